/* Compress File: packs files (a path, a pattern, or folders with their
 * contents) into a zip or tar.gz archive with libarchive. The archive is
 * written to a temporary file beside its final name and renamed into place
 * when complete, as copy-file does. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/archive_format.h"
#include "activities/file/fileutil.h"
#include "common/util.h"

static const bt_prop_spec compress_file_props[] = {
    {"source", BT_PROP_STRING, true, NULL,
     "Absolute path of a file or folder, or a glob pattern; folders are "
     "added with everything in them",
     NULL},
    {"destination", BT_PROP_STRING, true, NULL,
     "Absolute path of the archive to write", NULL},
    {"format", BT_PROP_STRING, false, "auto",
     "zip, tar.gz, or auto (from the destination's .zip, .tar.gz or .tgz)",
     bt_archive_format_names},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When the archive exists: fail, overwrite, skip, or rename (write "
     "'name (1).zip')",
     bt_fileutil_if_exists_names},
    {"create_destination", BT_PROP_BOOLEAN, false, "true",
     "Create the archive's folder when missing", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const compress_file_published[] = {
    "archive", "format", "file_count", "size", "action", NULL};

/* Most entries one archive may get, like the rows cap elsewhere. */
#define COMPRESS_MAX_ENTRIES 1000000

typedef struct packer {
    struct archive *a;
    const char *archive_path; /* skipped if a pattern matches it */
    size_t files;             /* regular files and links added */
    size_t entries;
    bt_error *err;
} packer;

static int archive_fail(packer *p, const char *what) {
    return bt_error_set(p->err, BT_EIO, "cannot write archive '%s' (%s): %s",
                        p->archive_path, what,
                        archive_error_string(p->a) ? archive_error_string(p->a)
                                                   : "unknown error");
}

static int add_path(packer *p, const char *path, const char *name);

static int sort_strcmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_folder(packer *p, const char *path, const char *name) {
    DIR *d = opendir(path);
    if (!d) return bt_fileutil_errno(p->err, errno, "read folder", path);
    /* Sorted, so the same folder gives the same archive. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = bt_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = bt_xstrdup(e->d_name);
    }
    int rc = errno ? bt_fileutil_errno(p->err, errno, "read folder", path) : 0;
    closedir(d);
    if (n) qsort(names, n, sizeof *names, sort_strcmp);
    for (size_t i = 0; i < n; i++) {
        if (!rc) {
            char *child = bt_fileutil_join(path, names[i]);
            char *cname = bt_fileutil_join(name, names[i]);
            rc = add_path(p, child, cname);
            free(child);
            free(cname);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int add_path(packer *p, const char *path, const char *name) {
    if (strcmp(path, p->archive_path) == 0) return 0;
    if (++p->entries > COMPRESS_MAX_ENTRIES)
        return bt_error_set(p->err, BT_ETOOBIG,
                            "more than %d entries for archive '%s'",
                            COMPRESS_MAX_ENTRIES, p->archive_path);
    struct stat st;
    if (lstat(path, &st) != 0)
        return bt_fileutil_errno(p->err, errno, "read", path);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
        return 0; /* devices, FIFOs and sockets have no content to pack */
    struct archive_entry *ent = archive_entry_new();
    archive_entry_copy_stat(ent, &st);
    archive_entry_set_uid(ent, 0); /* owners mean nothing elsewhere */
    archive_entry_set_gid(ent, 0);
    char *dname = NULL;
    if (S_ISDIR(st.st_mode)) {
        dname = bt_xmalloc(strlen(name) + 2);
        sprintf(dname, "%s/", name);
    }
    archive_entry_copy_pathname(ent, dname ? dname : name);
    free(dname);
    int rc = 0;
    int fd = -1;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) rc = bt_fileutil_errno(p->err, errno, "read link", path);
        else {
            target[n] = '\0';
            archive_entry_copy_symlink(ent, target);
        }
    } else if (S_ISREG(st.st_mode)) {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) rc = bt_fileutil_errno(p->err, errno, "read", path);
    }
    if (!rc && archive_write_header(p->a, ent) != ARCHIVE_OK)
        rc = archive_fail(p, path);
    archive_entry_free(ent);
    char buf[65536];
    while (!rc && fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = bt_fileutil_errno(p->err, errno, "read", path);
        if (n <= 0) break;
        if (archive_write_data(p->a, buf, (size_t)n) != n)
            rc = archive_fail(p, path);
    }
    if (fd >= 0) close(fd);
    if (rc) return rc;
    if (S_ISDIR(st.st_mode)) return add_folder(p, path, name);
    p->files++;
    return 0;
}

static int compress_file_run(bt_activity_ctx *ctx) {
    const char *source, *dest;
    bool create;
    bt_if_exists policy;
    if (bt_fileutil_pattern_prop(ctx, "source", &source) ||
        bt_fileutil_path_prop(ctx, "destination", &dest) ||
        bt_fileutil_if_exists_prop(ctx, "if_exists", &policy) ||
        bt_act_bool(ctx, "create_destination", true, &create))
        return -BT_EINVAL;
    bt_error err = {0};
    const char *fmt_text = bt_act_str(ctx, "format", "auto");
    const char *format = bt_archive_pick_format(fmt_text, dest);
    if (!format) {
        if (strcmp(fmt_text, "auto") == 0)
            bt_error_set(&err, BT_EINVAL,
                         "cannot tell the format of '%s' from its name (end "
                         "it with .zip, .tar.gz or .tgz, or set format)",
                         dest);
        else
            bt_error_set(&err, BT_EINVAL,
                         "property 'format' must be auto, zip or tar.gz, got "
                         "'%s'",
                         fmt_text);
        return bt_fileutil_fail(ctx, &err);
    }
    struct stat st;
    if (policy == BT_IF_EXISTS_SKIP && lstat(dest, &st) == 0) {
        bt_act_publish(ctx, "archive", dest);
        bt_act_publish(ctx, "format", format);
        bt_act_publish(ctx, "file_count", "0");
        bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
        bt_act_publish(ctx, "action", "skipped");
        return 0;
    }
    bt_pathlist list = {0};
    int rc = bt_fileutil_expand("source", source, &list, &err);
    if (!rc && list.count == 0)
        rc = bt_error_set(&err, BT_ENOTFOUND, "pattern '%s' matched nothing",
                          source);
    if (!rc && !list.pattern && lstat(list.items[0], &st) != 0)
        rc = errno == ENOENT ? bt_error_set(&err, BT_ENOTFOUND,
                                            "'%s' does not exist",
                                            list.items[0])
                             : bt_fileutil_errno(&err, errno, "read",
                                                 list.items[0]);
    char *dir = bt_fileutil_dirname(dest);
    if (!rc && create) {
        bool created;
        rc = bt_fileutil_mkdirs(dir, 0755, true, &created, &err);
    }
    free(dir);
    bt_tmpfile tmp = {.fd = -1};
    if (!rc) rc = bt_fileutil_tmp_open(&tmp, dest, 0666, &err);
    packer p = {archive_write_new(), dest, 0, 0, &err};
    if (!rc) {
        if (strcmp(format, "zip") == 0) {
            archive_write_set_format_zip(p.a);
        } else {
            archive_write_set_format_pax_restricted(p.a);
            archive_write_add_filter_gzip(p.a);
        }
        if (archive_write_open_fd(p.a, tmp.fd) != ARCHIVE_OK)
            rc = archive_fail(&p, "open");
    }
    for (size_t i = 0; !rc && i < list.count; i++) {
        char *name = bt_fileutil_basename(list.items[i]);
        rc = add_path(&p, list.items[i], name);
        free(name);
    }
    if (!rc && archive_write_close(p.a) != ARCHIVE_OK)
        rc = archive_fail(&p, "finish");
    archive_write_free(p.a);
    /* Commit under the name, or the next free numbered one. */
    char *final = NULL;
    const char *action = "created";
    for (unsigned n = 0; !rc && !final && n < 10000; n++) {
        char *name = n == 0 ? bt_xstrdup(dest) : bt_fileutil_numbered(dest, n);
        bool exists = lstat(name, &st) == 0;
        rc = bt_fileutil_tmp_commit(&tmp, name,
                                    policy == BT_IF_EXISTS_OVERWRITE, &err);
        if (rc == 0) {
            final = name;
            action = n > 0 ? "renamed" : exists ? "overwritten" : "created";
        } else {
            free(name);
            if (rc == -BT_EEXIST && policy == BT_IF_EXISTS_RENAME) rc = 0;
            else if (rc == -BT_EEXIST)
                rc = bt_error_set(&err, BT_EEXIST,
                                  "archive '%s' already exists (set "
                                  "if_exists to overwrite, skip or rename)",
                                  dest);
        }
    }
    bt_fileutil_tmp_discard(&tmp);
    bt_pathlist_free(&list);
    if (!rc && !final)
        rc = bt_error_set(&err, BT_EEXIST, "no free name like '%s'", dest);
    if (!rc && stat(final, &st) != 0)
        rc = bt_fileutil_errno(&err, errno, "read", final);
    if (rc) {
        free(final);
        return bt_fileutil_fail(ctx, &err);
    }
    bt_act_publish(ctx, "archive", final);
    bt_act_publish(ctx, "format", format);
    bt_act_publishf(ctx, "file_count", "%zu", p.files);
    bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
    bt_act_publish(ctx, "action", action);
    free(final);
    return 0;
}

const bt_activity_type bt_activity_compress_file = {
    .name = "compress-file",
    .title = "Compress File",
    .category = "file",
    .description = "Packs files and folders into a zip or tar.gz archive.",
    .mode = BT_EXEC_BLOCKING,
    .props = compress_file_props,
    .published = compress_file_published,
    .run = compress_file_run,
};
