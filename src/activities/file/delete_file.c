/* Delete File: files, symbolic links and (empty, or with recursive: true,
 * any) folders named by a path or a glob pattern. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/fileutil.h"

static const bt_prop_spec delete_file_props[] = {
    {"path", BT_PROP_STRING, true, NULL,
     "Absolute path of a file or folder, or a glob(3) pattern", NULL},
    {"recursive", BT_PROP_BOOLEAN, false, "false",
     "Delete folders with everything in them (otherwise only empty folders)",
     NULL},
    {"ignore_missing", BT_PROP_BOOLEAN, false, "false",
     "Succeed when nothing matches (publishes deleted: false)", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const delete_file_published[] = {"path", "deleted", NULL};

static void publish_row(bt_activity_ctx *ctx, const char *path, bool deleted) {
    if (bt_act_row_count(ctx) > 0) bt_act_new_row(ctx);
    bt_act_publish(ctx, "path", path);
    bt_act_publish(ctx, "deleted", deleted ? "true" : "false");
}

static int delete_one(const char *path, bool recursive, bool ignore_missing,
                      bool *deleted, bt_error *err) {
    *deleted = false;
    if (strspn(path, "/") == strlen(path))
        return bt_error_set(err, BT_EINVAL, "refusing to delete '/'");
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT && ignore_missing) return 0;
        if (errno == ENOENT)
            return bt_error_set(err, BT_ENOTFOUND,
                                "'%s' does not exist (set ignore_missing: "
                                "true to allow this)",
                                path);
        return bt_fileutil_errno(err, errno, "delete", path);
    }
    int rc = 0;
    if (S_ISDIR(st.st_mode) && recursive) {
        rc = bt_fileutil_remove_tree(path, err);
    } else if (S_ISDIR(st.st_mode)) {
        if (rmdir(path) != 0) {
            char buf[128];
            int e = errno;
            if (e == ENOTEMPTY || e == EEXIST)
                return bt_error_set(err, BT_EINVAL,
                                    "folder '%s' is not empty (set "
                                    "recursive: true to delete its contents)",
                                    path);
            return bt_error_set(err, BT_EIO, "cannot delete folder '%s': %s",
                                path, bt_fileutil_strerror(e, buf, sizeof buf));
        }
    } else if (unlink(path) != 0) {
        rc = bt_fileutil_errno(err, errno, "delete", path);
    }
    if (rc == 0) {
        *deleted = true;
        /* A deletion is only durable once its directory entry is synced. */
        char *dir = bt_fileutil_dirname(path);
        bt_error ignored = {0};
        (void)bt_fileutil_sync_dir(dir, &ignored);
        free(dir);
    }
    return rc;
}

static int delete_file_run(bt_activity_ctx *ctx) {
    const char *path;
    bool recursive, ignore_missing;
    if (bt_fileutil_pattern_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "recursive", false, &recursive) ||
        bt_act_bool(ctx, "ignore_missing", false, &ignore_missing))
        return -BT_EINVAL;
    bt_error err = {0};
    bt_pathlist list;
    if (bt_fileutil_expand("path", path, &list, &err))
        return bt_fileutil_fail(ctx, &err);
    int rc = 0;
    if (list.count == 0) {
        if (ignore_missing)
            publish_row(ctx, path, false);
        else
            rc = bt_error_set(&err, BT_ENOTFOUND,
                              "pattern '%s' matched nothing (set "
                              "ignore_missing: true to allow this)",
                              path);
    }
    for (size_t i = 0; !rc && i < list.count; i++) {
        bool deleted;
        rc = delete_one(list.items[i], recursive, ignore_missing, &deleted,
                        &err);
        if (!rc) publish_row(ctx, list.items[i], deleted);
    }
    bt_pathlist_free(&list);
    return rc ? bt_fileutil_fail(ctx, &err) : 0;
}

const bt_activity_type bt_activity_delete_file = {
    .name = "delete-file",
    .title = "Delete File",
    .category = "file",
    .description = "Deletes a file or folder, or everything a pattern "
                   "matches.",
    .mode = BT_EXEC_BLOCKING,
    .props = delete_file_props,
    .published = delete_file_published,
    .run = delete_file_run,
};
