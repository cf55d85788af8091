/* Delete Folder: removes one folder, with its contents only when asked
 * (recursive: true). A symbolic link is not a folder here: deleting
 * through it would surprise whoever wrote the path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/fileutil.h"

static const bt_prop_spec delete_folder_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the folder", NULL},
    {"recursive", BT_PROP_BOOLEAN, false, "false",
     "Delete the folder with everything in it (otherwise it must be empty)",
     NULL},
    {"ignore_missing", BT_PROP_BOOLEAN, false, "false",
     "Succeed when the folder does not exist (publishes deleted: false)",
     NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const delete_folder_published[] = {"path", "deleted",
                                                      NULL};

static int delete_folder_do(const char *path, bool recursive,
                            bool ignore_missing, bool *deleted,
                            bt_error *err) {
    *deleted = false;
    if (strspn(path, "/") == strlen(path))
        return bt_error_set(err, BT_EINVAL, "refusing to delete '/'");
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT && ignore_missing) return 0;
        if (errno == ENOENT)
            return bt_error_set(err, BT_ENOTFOUND,
                                "folder '%s' does not exist (set "
                                "ignore_missing: true to allow this)",
                                path);
        return bt_fileutil_errno(err, errno, "delete", path);
    }
    if (S_ISLNK(st.st_mode))
        return bt_error_set(err, BT_EINVAL,
                            "'%s' is a symbolic link, not a folder (use "
                            "delete-file to remove the link)",
                            path);
    if (!S_ISDIR(st.st_mode))
        return bt_error_set(err, BT_EINVAL,
                            "'%s' is not a folder (use delete-file)", path);
    if (recursive) {
        int rc = bt_fileutil_remove_tree(path, err);
        if (rc) return rc;
    } else if (rmdir(path) != 0) {
        int e = errno;
        if (e == ENOTEMPTY || e == EEXIST)
            return bt_error_set(err, BT_EINVAL,
                                "folder '%s' is not empty (set recursive: "
                                "true to delete its contents)",
                                path);
        return bt_fileutil_errno(err, e, "delete folder", path);
    }
    *deleted = true;
    char *dir = bt_fileutil_dirname(path);
    (void)bt_fileutil_sync_dir(dir, &(bt_error){0});
    free(dir);
    return 0;
}

static int delete_folder_run(bt_activity_ctx *ctx) {
    const char *path;
    bool recursive, ignore_missing, deleted;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "recursive", false, &recursive) ||
        bt_act_bool(ctx, "ignore_missing", false, &ignore_missing))
        return -BT_EINVAL;
    bt_error err = {0};
    if (delete_folder_do(path, recursive, ignore_missing, &deleted, &err))
        return bt_fileutil_fail(ctx, &err);
    bt_act_publish(ctx, "path", path);
    bt_act_publish(ctx, "deleted", deleted ? "true" : "false");
    return 0;
}

const bt_activity_type bt_activity_delete_folder = {
    .name = "delete-folder",
    .title = "Delete Folder",
    .category = "file",
    .description = "Deletes a folder; its contents too only with recursive.",
    .mode = BT_EXEC_BLOCKING,
    .props = delete_folder_props,
    .published = delete_folder_published,
    .run = delete_folder_run,
};
