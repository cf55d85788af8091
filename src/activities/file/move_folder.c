/* Move Folder: moves a folder and everything in it. On one filesystem
 * that is a single rename(2). Across filesystems the tree is copied under
 * a hidden temporary name next to the target, renamed into place when
 * complete, and only then is the source removed, so the target name never
 * holds half a tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

static const char *const move_folder_if_exists[] = {"fail", "skip", "rename",
                                                    NULL};

static const bt_prop_spec move_folder_props[] = {
    {"source", BT_PROP_STRING, true, NULL, "Absolute path of the folder",
     NULL},
    {"destination", BT_PROP_STRING, true, NULL,
     "Existing folder to move it into (or a path ending in '/'), or the "
     "folder's new full path",
     NULL},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When the target already exists: fail, skip, or rename (use "
     "'name (1)')",
     move_folder_if_exists},
    {"create_destination", BT_PROP_BOOLEAN, false, "true",
     "Create missing parent folders of the target", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const move_folder_published[] = {
    "source", "destination", "action", NULL};

/* ---- copying a tree (the cross-filesystem case) ----------------------- */

static int copy_tree(const char *src, const char *dst, bt_error *err);

static int copy_regular(const char *src, const char *dst,
                        const struct stat *st, bt_error *err) {
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) return bt_fileutil_errno(err, errno, "read", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                   st->st_mode & 07777);
    if (out < 0) {
        int rc = bt_fileutil_errno(err, errno, "write", dst);
        close(in);
        return rc;
    }
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = bt_fileutil_errno(err, errno, "read", src);
            break;
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                rc = bt_fileutil_errno(err, errno, "write", dst);
                break;
            }
            off += w;
        }
        if (rc) break;
    }
    if (!rc) {
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        (void)futimens(out, ts);
        (void)fchmod(out, st->st_mode & 07777);
        if (fsync(out) != 0) rc = bt_fileutil_errno(err, errno, "write", dst);
    }
    if (close(out) != 0 && !rc)
        rc = bt_fileutil_errno(err, errno, "write", dst);
    close(in);
    return rc;
}

static int copy_entry(const char *src, const char *dst, bt_error *err) {
    struct stat st;
    if (lstat(src, &st) != 0) return bt_fileutil_errno(err, errno, "read", src);
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst, 0700) != 0)
            return bt_fileutil_errno(err, errno, "create folder", dst);
        int rc = copy_tree(src, dst, err);
        if (rc) return rc;
        if (chmod(dst, st.st_mode & 07777) != 0)
            return bt_fileutil_errno(err, errno, "set the mode of", dst);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0) return bt_fileutil_errno(err, errno, "read link", src);
        target[n] = '\0';
        if (symlink(target, dst) != 0)
            return bt_fileutil_errno(err, errno, "create link", dst);
        return 0;
    }
    if (S_ISREG(st.st_mode)) return copy_regular(src, dst, &st, err);
    return bt_error_set(err, BT_EINVAL,
                        "cannot move '%s' to another filesystem: it is a "
                        "device, FIFO or socket",
                        src);
}

static int copy_tree(const char *src, const char *dst, bt_error *err) {
    DIR *d = opendir(src);
    if (!d) return bt_fileutil_errno(err, errno, "read folder", src);
    int rc = 0;
    struct dirent *e;
    while (!rc && (errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *s = bt_fileutil_join(src, e->d_name);
        char *t = bt_fileutil_join(dst, e->d_name);
        rc = copy_entry(s, t, err);
        free(s);
        free(t);
    }
    if (!rc && errno) rc = bt_fileutil_errno(err, errno, "read folder", src);
    closedir(d);
    return rc;
}

/* Copies src to a temporary name beside target, then renames it to
 * target without replacing anything (-BT_EEXIST if target appeared). */
static int move_across(const char *src, const char *target, bool *exists,
                       bt_error *err) {
    struct stat st;
    *exists = lstat(target, &st) == 0;
    if (*exists) return -BT_EEXIST; /* don't copy a tree only to drop it */
    char *dir = bt_fileutil_dirname(target);
    char *base = bt_fileutil_basename(target);
    char *tmp = bt_xmalloc(strlen(dir) + strlen(base) + 32);
    int rc = -BT_EEXIST;
    for (unsigned i = 0; i < 100 && rc == -BT_EEXIST; i++) {
        sprintf(tmp, "%s/.%s.%u.%u.tmp", strcmp(dir, "/") ? dir : "", base,
                (unsigned)getpid(), i);
        rc = copy_entry(src, tmp, err);
        if (rc == -BT_EEXIST) err->code = 0;
    }
    if (!rc && bt_fileutil_rename_noreplace(tmp, target) != 0) {
        *exists = errno == EEXIST;
        rc = bt_fileutil_errno(err, errno, "move into", target);
    }
    if (rc) {
        bt_error ignored = {0};
        (void)bt_fileutil_remove_tree(tmp, &ignored);
    } else {
        (void)bt_fileutil_sync_dir(dir, &(bt_error){0});
        rc = bt_fileutil_remove_tree(src, err);
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            rc = bt_error_set(err, BT_EIO,
                              "copied to '%s' but could not remove the "
                              "source: %s",
                              target, msg);
        }
    }
    free(tmp);
    free(base);
    free(dir);
    return rc;
}

/* ---- the activity ----------------------------------------------------- */

static bool is_inside(const char *path, const char *folder) {
    size_t n = strlen(folder);
    while (n > 1 && folder[n - 1] == '/') n--;
    return strncmp(path, folder, n) == 0 &&
           (path[n] == '/' || path[n] == '\0');
}

static int move_folder_run(bt_activity_ctx *ctx) {
    const char *source, *dest;
    bool create;
    if (bt_fileutil_path_prop(ctx, "source", &source) ||
        bt_fileutil_path_prop(ctx, "destination", &dest) ||
        bt_act_bool(ctx, "create_destination", true, &create))
        return -BT_EINVAL;
    const char *pol = bt_act_str(ctx, "if_exists", "fail");
    bt_error err = {0};
    if (strcmp(pol, "fail") && strcmp(pol, "skip") && strcmp(pol, "rename")) {
        bt_error_set(&err, BT_EINVAL,
                     "property 'if_exists' must be fail, skip or rename, "
                     "got '%s'",
                     pol);
        return bt_fileutil_fail(ctx, &err);
    }
    if (strspn(source, "/") == strlen(source)) {
        bt_error_set(&err, BT_EINVAL, "refusing to move '/'");
        return bt_fileutil_fail(ctx, &err);
    }
    struct stat st;
    if (lstat(source, &st) != 0) {
        if (errno == ENOENT)
            bt_error_set(&err, BT_ENOTFOUND, "folder '%s' does not exist",
                         source);
        else
            bt_fileutil_errno(&err, errno, "move", source);
        return bt_fileutil_fail(ctx, &err);
    }
    if (!S_ISDIR(st.st_mode)) {
        bt_error_set(&err, BT_EINVAL, "'%s' is not a folder (use move-file)",
                     source);
        return bt_fileutil_fail(ctx, &err);
    }
    struct stat dst_st;
    size_t dlen = strlen(dest);
    bool into = dest[dlen - 1] == '/' ||
                (stat(dest, &dst_st) == 0 && S_ISDIR(dst_st.st_mode));
    char *target;
    if (into) {
        char *base = bt_fileutil_basename(source);
        target = bt_fileutil_join(dest, base);
        free(base);
    } else {
        target = bt_xstrdup(dest);
    }
    while (strlen(target) > 1 && target[strlen(target) - 1] == '/')
        target[strlen(target) - 1] = '\0';
    int rc = 0;
    if (is_inside(target, source))
        rc = bt_error_set(&err, BT_EINVAL,
                          "cannot move folder '%s' into itself ('%s')",
                          source, target);
    char *parent = bt_fileutil_dirname(target);
    if (!rc && create) {
        bool created;
        rc = bt_fileutil_mkdirs(parent, 0755, true, &created, &err);
    }
    char *final = NULL;
    const char *action = NULL;
    for (unsigned n = 0; !rc && !final && n < 10000; n++) {
        char *name = n == 0 ? bt_xstrdup(target)
                            : bt_fileutil_numbered(target, n);
        int e = 0;
        if (bt_fileutil_rename_noreplace(source, name) == 0) {
            final = name;
            action = n == 0 ? "moved" : "renamed";
            (void)bt_fileutil_sync_dir(parent, &(bt_error){0});
            char *sparent = bt_fileutil_dirname(source);
            (void)bt_fileutil_sync_dir(sparent, &(bt_error){0});
            free(sparent);
            break;
        }
        e = errno;
        if (e == EXDEV) {
            bool exists;
            rc = move_across(source, name, &exists, &err);
            if (!rc) {
                final = name;
                action = n == 0 ? "moved" : "renamed";
                break;
            }
            if (exists) {
                rc = 0;
                e = EEXIST;
            }
        }
        if (e == EEXIST && strcmp(pol, "skip") == 0) {
            final = name;
            action = "skipped";
            break;
        }
        if (e == EEXIST && strcmp(pol, "fail") == 0)
            rc = bt_error_set(&err, BT_EEXIST,
                              "'%s' already exists (set if_exists to skip or "
                              "rename)",
                              name);
        else if (e != EEXIST && e != EXDEV)
            rc = bt_fileutil_errno(&err, e, "move", source);
        free(name);
    }
    if (!rc && !final)
        rc = bt_error_set(&err, BT_EEXIST, "no free name like '%s'", target);
    free(parent);
    free(target);
    if (rc) {
        free(final);
        return bt_fileutil_fail(ctx, &err);
    }
    bt_act_publish(ctx, "source", source);
    bt_act_publish(ctx, "destination", final);
    bt_act_publish(ctx, "action", action);
    free(final);
    return 0;
}

const bt_activity_type bt_activity_move_folder = {
    .name = "move-folder",
    .title = "Move Folder",
    .category = "file",
    .description = "Moves a folder and everything in it, also to another "
                   "filesystem.",
    .mode = BT_EXEC_BLOCKING,
    .props = move_folder_props,
    .published = move_folder_published,
    .run = move_folder_run,
};
