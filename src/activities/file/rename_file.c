/* Rename File: gives a file (or symbolic link) a new name in the same
 * folder with one rename(2), so the file is never missing or doubled. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

static const bt_prop_spec rename_file_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the file", NULL},
    {"new_name", BT_PROP_STRING, true, NULL,
     "The new file name (no folder part): the file stays in its folder",
     NULL},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When a file already has the new name: fail, overwrite, skip, or "
     "rename (use 'name (1).ext')",
     bt_fileutil_if_exists_names},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const rename_file_published[] = {"path", "new_path",
                                                    "action", NULL};

static int check_name(const char *name, bt_error *err) {
    if (!*name)
        return bt_error_set(err, BT_EINVAL, "property 'new_name' is empty");
    if (strchr(name, '/') || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return bt_error_set(err, BT_EINVAL,
                            "property 'new_name' must be a file name without "
                            "'/', got '%s' (use move-file to change folder)",
                            name);
    return 0;
}

static int rename_file_run(bt_activity_ctx *ctx) {
    const char *path;
    bt_if_exists policy;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_fileutil_if_exists_prop(ctx, "if_exists", &policy))
        return -BT_EINVAL;
    const char *new_name = bt_act_str(ctx, "new_name", "");
    bt_error err = {0};
    if (check_name(new_name, &err)) return bt_fileutil_fail(ctx, &err);
    struct stat st;
    if (lstat(path, &st) != 0) {
        bt_fileutil_errno(&err, errno, "rename", path);
        if (errno == ENOENT)
            bt_error_set(&err, BT_ENOTFOUND, "'%s' does not exist", path);
        return bt_fileutil_fail(ctx, &err);
    }
    if (S_ISDIR(st.st_mode)) {
        bt_error_set(&err, BT_EINVAL,
                     "'%s' is a folder (use move-folder to rename it)", path);
        return bt_fileutil_fail(ctx, &err);
    }
    char *dir = bt_fileutil_dirname(path);
    char *target = bt_fileutil_join(dir, new_name);
    char *final = NULL;
    const char *action = NULL;
    int rc = 0;
    if (strcmp(target, path) == 0) {
        final = bt_xstrdup(target);
        action = "unchanged";
    }
    for (unsigned n = 0; !final && !rc && n < 10000; n++) {
        char *name = n == 0 ? bt_xstrdup(target)
                            : bt_fileutil_numbered(target, n);
        bool replace = policy == BT_IF_EXISTS_OVERWRITE;
        if ((replace ? rename(path, name)
                     : bt_fileutil_rename_noreplace(path, name)) == 0) {
            final = name;
            action = n == 0 ? "renamed" : "numbered";
            break;
        }
        int e = errno;
        if (e == EISDIR || e == ENOTEMPTY ||
            (e == EEXIST && policy == BT_IF_EXISTS_OVERWRITE)) {
            rc = bt_error_set(&err, BT_EEXIST,
                              "cannot replace folder '%s' with a file",
                              name);
        } else if (e == EEXIST && policy == BT_IF_EXISTS_SKIP) {
            final = name;
            action = "skipped";
            break;
        } else if (e == EEXIST && policy == BT_IF_EXISTS_FAIL) {
            rc = bt_error_set(&err, BT_EEXIST,
                              "'%s' already exists (set if_exists to "
                              "overwrite, skip or rename)",
                              name);
        } else if (e != EEXIST) {
            rc = bt_fileutil_errno(&err, e, "rename", path);
            if (rc == -BT_EEXIST) rc = -BT_EIO;
        }
        free(name); /* on EEXIST with rename: try the next number */
    }
    if (!rc && !final)
        rc = bt_error_set(&err, BT_EEXIST, "no free name like '%s'", target);
    if (!rc && strcmp(action, "skipped") != 0 &&
        strcmp(action, "unchanged") != 0)
        (void)bt_fileutil_sync_dir(dir, &(bt_error){0});
    free(target);
    free(dir);
    if (rc) {
        free(final);
        return bt_fileutil_fail(ctx, &err);
    }
    bt_act_publish(ctx, "path", path);
    bt_act_publish(ctx, "new_path", final);
    bt_act_publish(ctx, "action", action);
    free(final);
    return 0;
}

const bt_activity_type bt_activity_rename_file = {
    .name = "rename-file",
    .title = "Rename File",
    .category = "file",
    .description = "Gives a file a new name in the same folder.",
    .mode = BT_EXEC_BLOCKING,
    .props = rename_file_props,
    .published = rename_file_published,
    .run = rename_file_run,
};
