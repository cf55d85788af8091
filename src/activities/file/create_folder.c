/* Create Folder: mkdir, optionally with its parents (mkdir -p). */
#include "activities/file/fileutil.h"

static const bt_prop_spec create_folder_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the folder", NULL},
    {"parents", BT_PROP_BOOLEAN, false, "true",
     "Also create missing parent folders", NULL},
    {"mode", BT_PROP_STRING, false, "0755",
     "Permission bits in octal, applied exactly (the umask does not apply)",
     NULL},
    {"fail_if_exists", BT_PROP_BOOLEAN, false, "false",
     "Fail when the folder already exists", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const create_folder_published[] = {"path", "created",
                                                      NULL};

static int create_folder_run(bt_activity_ctx *ctx) {
    const char *path;
    bool parents, fail_if_exists;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "parents", true, &parents) ||
        bt_act_bool(ctx, "fail_if_exists", false, &fail_if_exists))
        return -BT_EINVAL;
    const char *mode_text = bt_act_str(ctx, "mode", "0755");
    mode_t mode;
    if (bt_fileutil_parse_mode(mode_text, &mode))
        return bt_act_fail(ctx,
                           "create-folder: property 'mode' must be octal "
                           "permission bits such as 0755, got '%s'",
                           mode_text);
    bt_error err = {0};
    bool created = false;
    if (bt_fileutil_mkdirs(path, mode, parents, &created, &err))
        return bt_fileutil_fail(ctx, &err);
    if (!created && fail_if_exists)
        return bt_act_fail(ctx,
                           "create-folder: folder '%s' already exists "
                           "(fail_if_exists: true)",
                           path);
    bt_act_publish(ctx, "path", path);
    bt_act_publish(ctx, "created", created ? "true" : "false");
    return 0;
}

const bt_activity_type bt_activity_create_folder = {
    .name = "create-folder",
    .title = "Create Folder",
    .category = "file",
    .description = "Creates a folder, and its parents when asked.",
    .mode = BT_EXEC_BLOCKING,
    .props = create_folder_props,
    .published = create_folder_published,
    .run = create_folder_run,
};
