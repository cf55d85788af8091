/* The body shared by copy-file and move-file: expand the source, decide
 * where each file goes, apply the if_exists policy, publish one row per
 * file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

static const char *const if_exists_choices[] = {"fail", "overwrite", "skip",
                                                "rename", NULL};

const bt_prop_spec bt_fileutil_transfer_props[] = {
    {"source", BT_PROP_STRING, true, NULL,
     "Absolute path of a file, or a glob(3) pattern matching files", NULL},
    {"destination", BT_PROP_STRING, true, NULL,
     "Folder to put the files in, or the new file path for a single file",
     NULL},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When the destination file exists: overwrite, skip, fail, or rename "
     "(keep both, adding \" (1)\" to the new name)",
     if_exists_choices},
    {"create_destination", BT_PROP_BOOLEAN, false, "true",
     "Create the destination folder (and its parents) when missing", NULL},
    {"preserve", BT_PROP_BOOLEAN, false, "true",
     "Keep the source's permission bits and access/modification times", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

const char *const bt_fileutil_transfer_published[] = {
    "source", "destination", "size", "action", NULL};

typedef struct transfer {
    bool move;
    bt_if_exists policy;
    bool preserve;
    /* results for the row */
    char *final;        /* where the file is now (or the skipped target) */
    const char *action; /* copied|moved|renamed|skipped */
    uint64_t size;
} transfer;

/* Puts the finished temporary file (copy) or the source itself (move)
 * under target according to the policy; sets final and action. A move that
 * meets another filesystem sets *cross_device and leaves err unset. */
static int place(transfer *x, bt_tmpfile *tmp, const char *src,
                 const char *target, bool *cross_device, bt_error *err) {
    const char *done = x->move ? "moved" : "copied";
    bool replace = x->policy == BT_IF_EXISTS_OVERWRITE;
    for (unsigned n = 0; n < 10000; n++) {
        char *name = n == 0 ? bt_xstrdup(target)
                            : bt_fileutil_numbered(target, n);
        int rc;
        if (tmp) {
            rc = bt_fileutil_tmp_commit(tmp, name, replace, err);
        } else if ((replace ? rename(src, name)
                            : bt_fileutil_rename_noreplace(src, name)) == 0) {
            rc = 0;
        } else if (errno == EEXIST) {
            rc = -BT_EEXIST;
        } else if (errno == EXDEV) {
            *cross_device = true;
            free(name);
            return -BT_EIO;
        } else {
            rc = bt_fileutil_errno(err, errno, "move", src);
            if (rc == -BT_EEXIST) rc = -BT_EIO;
        }
        if (rc == 0) {
            x->final = name;
            x->action = n == 0 ? done : "renamed";
            return 0;
        }
        if (rc == -BT_EEXIST && x->policy == BT_IF_EXISTS_RENAME) {
            free(name);
            continue;
        }
        /* Lost a race with another writer: skip still means skip. */
        if (rc == -BT_EEXIST && x->policy == BT_IF_EXISTS_SKIP) {
            x->final = name;
            x->action = "skipped";
            return 0;
        }
        free(name);
        if (rc == -BT_EEXIST)
            return bt_error_set(err, BT_EEXIST,
                                "destination '%s' already exists "
                                "(if_exists: fail)",
                                target);
        return rc;
    }
    return bt_error_set(err, BT_EEXIST,
                        "no free name like '%s' after 9999 tries", target);
}

static int copy_one(transfer *x, const char *src, const char *target,
                    bt_error *err) {
    struct stat st;
    int fd = bt_fileutil_open_read(src, &st, err);
    if (fd < 0) return fd;
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return bt_error_set(err, BT_EINVAL,
                            "source '%s' is not a regular file", src);
    }
    bt_tmpfile tmp;
    /* Without preserve the new file gets the source's mode through the
     * umask, as cp(1) does. */
    int rc = bt_fileutil_tmp_open(&tmp, target, st.st_mode & 0777, err);
    if (rc) {
        close(fd);
        return rc;
    }
    x->size = 0;
    rc = bt_fileutil_tmp_copy_from(&tmp, fd, src, &x->size, err);
    close(fd);
    if (!rc && x->preserve) {
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (fchmod(tmp.fd, st.st_mode & 07777) != 0 ||
            futimens(tmp.fd, times) != 0)
            rc = bt_fileutil_errno(err, errno, "set the mode and times of",
                                   target);
    }
    bool unused = false;
    if (!rc) rc = place(x, &tmp, src, target, &unused, err);
    bt_fileutil_tmp_discard(&tmp);
    return rc;
}

static int move_one(transfer *x, const char *src, const char *target,
                    const struct stat *st, bt_error *err) {
    x->size = (uint64_t)st->st_size;
    bool cross_device = false;
    int rc = place(x, NULL, src, target, &cross_device, err);
    if (!cross_device) return rc;
    /* Another filesystem: copy, then remove the source. */
    if (!S_ISREG(st->st_mode))
        return bt_error_set(err, BT_EINVAL,
                            "cannot move '%s' to another filesystem: only "
                            "regular files can be copied across",
                            src);
    rc = copy_one(x, src, target, err);
    if (rc || strcmp(x->action, "skipped") == 0) return rc;
    if (strcmp(x->action, "copied") == 0) x->action = "moved";
    if (unlink(src) != 0) {
        char buf[128];
        return bt_error_set(err, BT_EIO,
                            "copied '%s' to '%s' but cannot remove the "
                            "source: %s",
                            src, x->final,
                            bt_fileutil_strerror(errno, buf, sizeof buf));
    }
    return 0;
}

/* One source file to one target path; fills x's results. */
static int transfer_one(transfer *x, const char *src, const char *target,
                        bt_error *err) {
    struct stat sst, tst;
    /* A move renames a symbolic link itself; a copy copies what it points
     * at. */
    int src_rc = x->move ? lstat(src, &sst) : stat(src, &sst);
    if (src_rc != 0) {
        if (errno == ENOENT)
            return bt_error_set(err, BT_ENOTFOUND,
                                "source '%s' does not exist", src);
        return bt_fileutil_errno(err, errno, "read", src);
    }
    x->size = (uint64_t)sst.st_size;
    if (lstat(target, &tst) == 0) {
        if (S_ISDIR(tst.st_mode))
            return bt_error_set(err, BT_EEXIST,
                                "destination '%s' is a folder", target);
        if (tst.st_dev == sst.st_dev && tst.st_ino == sst.st_ino &&
            x->policy == BT_IF_EXISTS_OVERWRITE)
            return bt_error_set(err, BT_EINVAL,
                                "source and destination are the same file "
                                "'%s'",
                                src);
        if (x->policy == BT_IF_EXISTS_FAIL)
            return bt_error_set(err, BT_EEXIST,
                                "destination '%s' already exists "
                                "(if_exists: fail)",
                                target);
        if (x->policy == BT_IF_EXISTS_SKIP) {
            x->final = bt_xstrdup(target);
            x->action = "skipped";
            return 0;
        }
    } else if (errno != ENOENT) {
        return bt_fileutil_errno(err, errno, "access", target);
    }
    return x->move ? move_one(x, src, target, &sst, err)
                   : copy_one(x, src, target, err);
}

/* Decides whether destination names a folder, creating it (or a file
 * destination's parent) when allowed. */
static int prepare_destination(const char *dest, bool pattern, bool create,
                               bool *is_dir, bt_error *err) {
    struct stat st;
    bool exists = stat(dest, &st) == 0;
    if (!exists && errno != ENOENT)
        return bt_fileutil_errno(err, errno, "access", dest);
    size_t n = strlen(dest);
    *is_dir = (exists && S_ISDIR(st.st_mode)) || dest[n - 1] == '/' ||
              (!exists && pattern);
    if (exists && !S_ISDIR(st.st_mode) && (pattern || dest[n - 1] == '/'))
        return bt_error_set(err, BT_EINVAL,
                            "destination '%s' is not a folder, but the "
                            "source is a pattern",
                            dest);
    char *folder = *is_dir ? bt_xstrdup(dest) : bt_fileutil_dirname(dest);
    int rc = 0;
    if (stat(folder, &st) != 0) {
        if (errno != ENOENT) {
            rc = bt_fileutil_errno(err, errno, "access", folder);
        } else if (!create) {
            rc = bt_error_set(err, BT_ENOTFOUND,
                              "destination folder '%s' does not exist "
                              "(set create_destination: true to create it)",
                              folder);
        } else {
            bool created;
            rc = bt_fileutil_mkdirs(folder, 0755, true, &created, err);
        }
    } else if (!S_ISDIR(st.st_mode)) {
        rc = bt_error_set(err, BT_EINVAL,
                          "destination folder '%s' is not a folder", folder);
    }
    free(folder);
    return rc;
}

int bt_fileutil_transfer_run(bt_activity_ctx *ctx, bool move) {
    const char *source, *dest;
    bool create;
    transfer x = {.move = move};
    if (bt_fileutil_pattern_prop(ctx, "source", &source) ||
        bt_fileutil_path_prop(ctx, "destination", &dest) ||
        bt_fileutil_if_exists_prop(ctx, "if_exists", &x.policy) ||
        bt_act_bool(ctx, "create_destination", true, &create) ||
        bt_act_bool(ctx, "preserve", true, &x.preserve))
        return -BT_EINVAL;

    bt_error err = {0};
    bt_pathlist list;
    int rc = bt_fileutil_expand("source", source, &list, &err);
    if (rc) return bt_fileutil_fail(ctx, &err);

    /* A pattern picks files; folders it matches are left alone. A folder
     * named literally is a mistake worth reporting. */
    size_t files = 0;
    for (size_t i = 0; i < list.count; i++) {
        struct stat st;
        int src_rc = move ? lstat(list.items[i], &st) : stat(list.items[i], &st);
        if (src_rc != 0) {
            if (errno == ENOENT)
                rc = bt_error_set(&err, BT_ENOTFOUND,
                                  "source '%s' does not exist",
                                  list.items[i]);
            else
                rc = bt_fileutil_errno(&err, errno, "read", list.items[i]);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!list.pattern) {
                rc = bt_error_set(&err, BT_EINVAL,
                                  "source '%s' is a folder; give a pattern "
                                  "such as '%s/*' to take its files",
                                  list.items[i], list.items[i]);
                break;
            }
            free(list.items[i]);
            list.items[i] = NULL;
            continue;
        }
        files++;
    }
    if (!rc && files == 0)
        rc = bt_error_set(&err, BT_ENOTFOUND,
                          "source pattern '%s' matched no files", source);
    bool dest_is_dir = false;
    if (!rc)
        rc = prepare_destination(dest, list.pattern, create, &dest_is_dir,
                                 &err);

    for (size_t i = 0; !rc && i < list.count; i++) {
        const char *src = list.items[i];
        if (!src) continue;
        char *target;
        if (dest_is_dir) {
            char *base = bt_fileutil_basename(src);
            target = bt_fileutil_join(dest, base);
            free(base);
        } else {
            target = bt_xstrdup(dest);
        }
        x.final = NULL;
        x.action = NULL;
        rc = transfer_one(&x, src, target, &err);
        free(target);
        if (rc) break;
        if (bt_act_row_count(ctx) > 0) bt_act_new_row(ctx);
        bt_act_publish(ctx, "source", src);
        bt_act_publish(ctx, "destination", x.final);
        bt_act_publishf(ctx, "size", "%" PRIu64, x.size);
        bt_act_publish(ctx, "action", x.action);
        free(x.final);
    }
    bt_pathlist_free(&list);
    if (rc) return bt_fileutil_fail(ctx, &err);
    return 0;
}
