/* Decompress File: unpacks a zip or tar(.gz, .bz2, .xz) archive into a
 * folder with libarchive.
 *
 * An archive is untrusted input. The whole archive is checked before
 * anything is written, and the activity refuses it when any entry would
 * land outside the destination: absolute names, ".." components, symbolic
 * links whose target is absolute or climbs out, hard links to names
 * outside, and devices or FIFOs. While extracting, no path component under
 * the destination may be a symbolic link, so a link (made by the archive
 * or already there) is never written through. Regular files go through a
 * temporary file and a rename, as copy-file does. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

static const char *const decompress_if_exists[] = {"fail", "overwrite",
                                                   "skip", NULL};

static const bt_prop_spec decompress_file_props[] = {
    {"path", BT_PROP_STRING, true, NULL,
     "Absolute path of the archive (zip, tar, tar.gz, tar.bz2, tar.xz)",
     NULL},
    {"destination", BT_PROP_STRING, true, NULL,
     "Absolute path of the folder to unpack into", NULL},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When a file to unpack exists: fail (before anything is written), "
     "overwrite, or skip",
     decompress_if_exists},
    {"create_destination", BT_PROP_BOOLEAN, false, "true",
     "Create the destination folder when missing", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const decompress_file_published[] = {
    "archive", "destination", "name", "path", "type", "size", "action",
    NULL};

typedef struct unpack {
    bt_activity_ctx *ctx;
    const char *archive;
    const char *dest;
    int policy; /* index in decompress_if_exists */
    bt_error *err;
} unpack;

static struct archive *open_archive(const unpack *u, int *rc) {
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_filename(a, u->archive, 65536) != ARCHIVE_OK) {
        struct stat st;
        if (stat(u->archive, &st) != 0 && errno == ENOENT)
            *rc = bt_error_set(u->err, BT_ENOTFOUND,
                               "archive '%s' does not exist", u->archive);
        else
            *rc = bt_error_set(u->err, BT_EIO, "cannot read archive '%s': %s",
                               u->archive, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    *rc = 0;
    return a;
}

/* A relative name whose components are never "..": it stays under the
 * folder it is joined to. Empty names and "." components are tolerated
 * ("./a" is common in tarballs). */
static bool name_is_contained(const char *name) {
    if (name[0] == '/') return false;
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        p += n;
        while (*p == '/') p++;
    }
    return true;
}

/* A symbolic link at `name` pointing at `target` resolves inside the
 * destination: relative, and never climbing above the top while walking
 * from the link's own folder. */
static bool link_is_contained(const char *name, const char *target) {
    if (target[0] == '/' || target[0] == '\0') return false;
    long depth = 0;
    /* Depth of the link's folder: components of name before the last. */
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, "/");
        bool last = p[n] == '\0' || p[n + strspn(p + n, "/")] == '\0';
        if (!last && !(n == 1 && p[0] == '.')) depth++;
        p += n;
        while (*p == '/') p++;
    }
    for (p = target; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) return false;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        while (*p == '/') p++;
    }
    return true;
}

static const char *entry_kind(struct archive_entry *e) {
    if (archive_entry_hardlink(e)) return "hardlink";
    switch (archive_entry_filetype(e)) {
    case AE_IFREG: return "file";
    case AE_IFDIR: return "directory";
    case AE_IFLNK: return "symlink";
    default: return NULL;
    }
}

/* True when name lies under (or is) one of the symbolic links the
 * archive makes: unpacking it would write through the link. */
static bool under_link(char *const *links, size_t n, const char *name) {
    while (name[0] == '.' && name[1] == '/') name += 2;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(links[i]);
        if (strncmp(name, links[i], len) == 0 && name[len] == '/')
            return true;
    }
    return false;
}

/* Pass 1: every entry checked before anything is written. */
static int check_archive(unpack *u, size_t *count) {
    char **links = NULL;
    size_t n_links = 0;
    int rc;
    struct archive *a = open_archive(u, &rc);
    if (!a) return rc;
    struct archive_entry *e;
    int r;
    *count = 0;
    while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        const char *kind = entry_kind(e);
        if (!name || !*name)
            rc = bt_error_set(u->err, BT_EINVAL,
                              "archive '%s' has an entry without a name",
                              u->archive);
        else if (!name_is_contained(name))
            rc = bt_error_set(u->err, BT_EINVAL,
                              "refusing archive '%s': entry '%s' would be "
                              "written outside '%s'",
                              u->archive, name, u->dest);
        else if (!kind)
            rc = bt_error_set(u->err, BT_EINVAL,
                              "refusing archive '%s': entry '%s' is a "
                              "device, FIFO or socket",
                              u->archive, name);
        else if (strcmp(kind, "symlink") == 0 &&
                 !link_is_contained(name, archive_entry_symlink(e)
                                              ? archive_entry_symlink(e)
                                              : ""))
            rc = bt_error_set(u->err, BT_EINVAL,
                              "refusing archive '%s': symbolic link '%s' "
                              "points outside '%s' (to '%s')",
                              u->archive, name, u->dest,
                              archive_entry_symlink(e)
                                  ? archive_entry_symlink(e)
                                  : "");
        else if (strcmp(kind, "hardlink") == 0 &&
                 !name_is_contained(archive_entry_hardlink(e)))
            rc = bt_error_set(u->err, BT_EINVAL,
                              "refusing archive '%s': hard link '%s' refers "
                              "to '%s' outside '%s'",
                              u->archive, name, archive_entry_hardlink(e),
                              u->dest);
        if (!rc && under_link(links, n_links, name))
            rc = bt_error_set(u->err, BT_EINVAL,
                              "refusing archive '%s': entry '%s' would be "
                              "written through a symbolic link the archive "
                              "makes",
                              u->archive, name);
        if (!rc && strcmp(kind, "symlink") == 0) {
            const char *ln = name;
            while (ln[0] == '.' && ln[1] == '/') ln += 2;
            char *copy = bt_xstrdup(ln);
            size_t cl = strlen(copy);
            while (cl > 1 && copy[cl - 1] == '/') copy[--cl] = '\0';
            links = bt_xrealloc(links, (n_links + 1) * sizeof *links);
            links[n_links++] = copy;
        }
        if (!rc && strcmp(kind, "directory") != 0 && u->policy == 0) {
            char *path = bt_fileutil_join(u->dest, name);
            struct stat st;
            if (lstat(path, &st) == 0)
                rc = bt_error_set(u->err, BT_EEXIST,
                                  "'%s' already exists (set if_exists to "
                                  "overwrite or skip); nothing was unpacked",
                                  path);
            free(path);
        }
        if (!rc && ++*count > BT_FILEUTIL_MAX_ROWS)
            rc = bt_error_set(u->err, BT_ETOOBIG,
                              "archive '%s' has more than %d entries",
                              u->archive, BT_FILEUTIL_MAX_ROWS);
        if (!rc) archive_read_data_skip(a);
    }
    if (!rc && r != ARCHIVE_EOF)
        rc = bt_error_set(u->err, BT_EIO, "cannot read archive '%s': %s",
                          u->archive, archive_error_string(a));
    archive_read_free(a);
    for (size_t i = 0; i < n_links; i++) free(links[i]);
    free(links);
    return rc;
}

/* Refuses a path whose components under dest include a symbolic link:
 * writing there would follow the link. The last component is not checked
 * (it is what gets created or replaced). */
static int check_no_links(const unpack *u, const char *name) {
    char *path = bt_xstrdup(name);
    int rc = 0;
    for (char *slash = strchr(path, '/'); !rc && slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        char *full = bt_fileutil_join(u->dest, path);
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISLNK(st.st_mode))
            rc = bt_error_set(u->err, BT_EINVAL,
                              "refusing to unpack '%s' through the symbolic "
                              "link '%s'",
                              name, full);
        free(full);
        *slash = '/';
    }
    free(path);
    return rc;
}

static int write_file(const unpack *u, struct archive *a,
                      struct archive_entry *e, const char *path,
                      uint64_t *size) {
    bt_tmpfile t = {.fd = -1};
    mode_t mode = archive_entry_perm(e) & 0777;
    int rc = bt_fileutil_tmp_open(&t, path, mode ? mode : 0644, u->err);
    const void *buf;
    size_t len;
    la_int64_t off;
    int r;
    *size = 0;
    while (!rc && (r = archive_read_data_block(a, &buf, &len, &off)) ==
                      ARCHIVE_OK) {
        /* Sparse entries: holes come as gaps in the offsets. */
        if (off >= 0 && (uint64_t)off > *size &&
            lseek(t.fd, off, SEEK_SET) < 0)
            rc = bt_fileutil_errno(u->err, errno, "write", path);
        if (!rc) rc = bt_fileutil_tmp_write(&t, buf, len, u->err);
        if (!rc) *size = (uint64_t)off + len;
    }
    if (!rc && r != ARCHIVE_EOF)
        rc = bt_error_set(u->err, BT_EIO, "cannot read '%s' from '%s': %s",
                          archive_entry_pathname(e), u->archive,
                          archive_error_string(a));
    if (!rc && ftruncate(t.fd, (off_t)*size) != 0)
        rc = bt_fileutil_errno(u->err, errno, "write", path);
    if (!rc && archive_entry_mtime_is_set(e)) {
        struct timespec ts[2] = {
            {0, UTIME_OMIT},
            {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
        (void)futimens(t.fd, ts);
    }
    if (!rc) rc = bt_fileutil_tmp_commit(&t, path, true, u->err);
    bt_fileutil_tmp_discard(&t);
    return rc;
}

static int extract_entry(unpack *u, struct archive *a,
                         struct archive_entry *e) {
    const char *name = archive_entry_pathname(e);
    const char *kind = entry_kind(e);
    char *path = bt_fileutil_join(u->dest, name);
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/') path[--plen] = '\0';
    uint64_t size = 0;
    const char *action = "extracted";
    int rc = check_no_links(u, name);
    struct stat st;
    bool exists = !rc && lstat(path, &st) == 0;
    if (!rc && strcmp(kind, "directory") != 0 && exists) {
        if (u->policy == 2) action = "skipped";
        else if (u->policy == 0)
            rc = bt_error_set(u->err, BT_EEXIST, "'%s' already exists",
                              path);
        else if (S_ISDIR(st.st_mode))
            rc = bt_error_set(u->err, BT_EEXIST,
                              "cannot replace folder '%s' with a file", path);
        else
            action = "overwritten";
    }
    if (!rc && strcmp(action, "skipped") != 0) {
        char *parent = bt_fileutil_dirname(path);
        bool created;
        rc = bt_fileutil_mkdirs(parent, 0755, true, &created, u->err);
        free(parent);
    }
    if (rc || strcmp(action, "skipped") == 0) {
        /* nothing to write */
    } else if (strcmp(kind, "directory") == 0) {
        if (exists && !S_ISDIR(st.st_mode))
            rc = bt_error_set(u->err, BT_EEXIST,
                              "'%s' exists and is not a folder", path);
        else if (!exists) {
            bool created;
            mode_t mode = (archive_entry_perm(e) & 0777) | 0700;
            rc = bt_fileutil_mkdirs(path, mode, false, &created, u->err);
        }
    } else if (strcmp(kind, "file") == 0) {
        rc = write_file(u, a, e, path, &size);
    } else {
        if (exists && unlink(path) != 0)
            rc = bt_fileutil_errno(u->err, errno, "replace", path);
        if (!rc && strcmp(kind, "symlink") == 0 &&
            symlink(archive_entry_symlink(e), path) != 0)
            rc = bt_fileutil_errno(u->err, errno, "create link", path);
        if (!rc && strcmp(kind, "hardlink") == 0) {
            char *target = bt_fileutil_join(u->dest, archive_entry_hardlink(e));
            rc = check_no_links(u, archive_entry_hardlink(e));
            struct stat tst;
            if (!rc && (lstat(target, &tst) != 0 || !S_ISREG(tst.st_mode)))
                rc = bt_error_set(u->err, BT_EINVAL,
                                  "hard link '%s' refers to '%s', which is "
                                  "not a file unpacked before it",
                                  name, archive_entry_hardlink(e));
            if (!rc && link(target, path) != 0)
                rc = bt_fileutil_errno(u->err, errno, "create link", path);
            if (!rc) size = (uint64_t)tst.st_size;
            free(target);
        }
    }
    if (!rc) {
        bt_activity_ctx *ctx = u->ctx;
        if (bt_act_row_count(ctx) > 0) bt_act_new_row(ctx);
        bt_act_publish(ctx, "archive", u->archive);
        bt_act_publish(ctx, "destination", u->dest);
        bt_act_publish(ctx, "name", name);
        bt_act_publish(ctx, "path", path);
        bt_act_publish(ctx, "type", kind);
        bt_act_publishf(ctx, "size", "%" PRIu64, size);
        bt_act_publish(ctx, "action", action);
    }
    free(path);
    return rc;
}

static int decompress_file_run(bt_activity_ctx *ctx) {
    unpack u = {ctx, NULL, NULL, 0, NULL};
    bool create;
    if (bt_fileutil_path_prop(ctx, "path", &u.archive) ||
        bt_fileutil_path_prop(ctx, "destination", &u.dest) ||
        bt_act_bool(ctx, "create_destination", true, &create))
        return -BT_EINVAL;
    bt_error err = {0};
    u.err = &err;
    const char *pol = bt_act_str(ctx, "if_exists", "fail");
    u.policy = -1;
    for (int i = 0; decompress_if_exists[i]; i++)
        if (strcmp(pol, decompress_if_exists[i]) == 0) u.policy = i;
    if (u.policy < 0) {
        bt_error_set(&err, BT_EINVAL,
                     "property 'if_exists' must be fail, overwrite or skip, "
                     "got '%s'",
                     pol);
        return bt_fileutil_fail(ctx, &err);
    }
    struct stat st;
    int rc = 0;
    if (stat(u.dest, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            rc = bt_error_set(&err, BT_EINVAL,
                              "destination '%s' is not a folder", u.dest);
    } else if (errno == ENOENT && create) {
        /* made after the check, so a refused archive leaves no folder */
    } else if (errno == ENOENT) {
        rc = bt_error_set(&err, BT_ENOTFOUND,
                          "destination folder '%s' does not exist (set "
                          "create_destination: true)",
                          u.dest);
    } else {
        rc = bt_fileutil_errno(&err, errno, "use", u.dest);
    }
    size_t count = 0;
    if (!rc) rc = check_archive(&u, &count);
    if (!rc) {
        bool created;
        rc = bt_fileutil_mkdirs(u.dest, 0755, true, &created, &err);
    }
    struct archive *a = rc ? NULL : open_archive(&u, &rc);
    struct archive_entry *e;
    int r = ARCHIVE_EOF;
    while (a && !rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
        rc = extract_entry(&u, a, e);
    if (a && !rc && r != ARCHIVE_EOF)
        rc = bt_error_set(&err, BT_EIO, "cannot read archive '%s': %s",
                          u.archive, archive_error_string(a));
    if (a) archive_read_free(a);
    if (rc) return bt_fileutil_fail(ctx, &err);
    if (bt_act_row_count(ctx) == 0) bt_act_publish_no_rows(ctx);
    return 0;
}

const bt_activity_type bt_activity_decompress_file = {
    .name = "decompress-file",
    .title = "Decompress File",
    .category = "file",
    .description = "Unpacks a zip or tar archive into a folder, refusing "
                   "entries that would land outside it.",
    .mode = BT_EXEC_BLOCKING,
    .props = decompress_file_props,
    .published = decompress_file_published,
    .run = decompress_file_run,
};
