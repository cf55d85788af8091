/* Get File Status: what stat(2) knows about a path, as published data. */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

static const bt_prop_spec get_file_status_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path to look at", NULL},
    {"fail_if_missing", BT_PROP_BOOLEAN, false, "true",
     "Fail when the path does not exist (otherwise publish exists: false)",
     NULL},
    {"follow_symlinks", BT_PROP_BOOLEAN, false, "false",
     "Describe what a symbolic link points at instead of the link", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const get_file_status_published[] = {
    "path",     "exists",  "type",     "size",      "mode",
    "owner",    "group",   "modified", "accessed",  "changed",
    "name",     "extension", "directory", "link_target", NULL};

static const char *type_name(mode_t m) {
    if (S_ISREG(m)) return "file";
    if (S_ISDIR(m)) return "directory";
    if (S_ISLNK(m)) return "symlink";
    return "other";
}

static void publish_time(bt_activity_ctx *ctx, const char *field,
                         struct timespec ts) {
    uint64_t us = ts.tv_sec < 0 ? 0
                                : (uint64_t)ts.tv_sec * 1000000u +
                                      (uint64_t)ts.tv_nsec / 1000u;
    char buf[40];
    bt_format_time_us(us, buf, sizeof buf);
    bt_act_publish(ctx, field, buf);
}

/* getpwuid/getgrgid share a static buffer; the _r forms are safe on the
 * thread pool. An id without a name is published as the number. */
static void publish_owner(bt_activity_ctx *ctx, uid_t uid, gid_t gid) {
    size_t size = 16384;
    char *buf = bt_xmalloc(size);
    struct passwd pw, *pwp = NULL;
    if (getpwuid_r(uid, &pw, buf, size, &pwp) == 0 && pwp)
        bt_act_publish(ctx, "owner", pw.pw_name);
    else
        bt_act_publishf(ctx, "owner", "%u", (unsigned)uid);
    struct group gr, *grp = NULL;
    if (getgrgid_r(gid, &gr, buf, size, &grp) == 0 && grp)
        bt_act_publish(ctx, "group", gr.gr_name);
    else
        bt_act_publishf(ctx, "group", "%u", (unsigned)gid);
    free(buf);
}

/* Fields that follow from the path text alone. */
static void publish_names(bt_activity_ctx *ctx, const char *path) {
    char *name = bt_fileutil_basename(path);
    char *dir = bt_fileutil_dirname(path);
    const char *dot = strrchr(name, '.');
    bt_act_publish(ctx, "path", path);
    bt_act_publish(ctx, "name", name);
    bt_act_publish(ctx, "extension", dot && dot != name ? dot + 1 : "");
    bt_act_publish(ctx, "directory", dir);
    free(name);
    free(dir);
}

static int get_file_status_run(bt_activity_ctx *ctx) {
    const char *path;
    bool fail_if_missing, follow;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "fail_if_missing", true, &fail_if_missing) ||
        bt_act_bool(ctx, "follow_symlinks", false, &follow))
        return -BT_EINVAL;
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
        bt_error err = {0};
        if (errno != ENOENT && errno != ENOTDIR) {
            bt_fileutil_errno(&err, errno, "read the status of", path);
            return bt_fileutil_fail(ctx, &err);
        }
        if (fail_if_missing)
            return bt_act_fail(ctx,
                               "get-file-status: '%s' does not exist (set "
                               "fail_if_missing: false to allow this)",
                               path);
        publish_names(ctx, path);
        bt_act_publish(ctx, "exists", "false");
        static const char *const empty[] = {
            "type",     "size",    "mode",     "owner",      "group",
            "modified", "accessed", "changed", "link_target", NULL};
        for (size_t i = 0; empty[i]; i++) bt_act_publish(ctx, empty[i], "");
        return 0;
    }
    publish_names(ctx, path);
    bt_act_publish(ctx, "exists", "true");
    bt_act_publish(ctx, "type", type_name(st.st_mode));
    bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
    char mode[8];
    bt_fileutil_format_mode(st.st_mode, mode, sizeof mode);
    bt_act_publish(ctx, "mode", mode);
    publish_owner(ctx, st.st_uid, st.st_gid);
    publish_time(ctx, "modified", st.st_mtim);
    publish_time(ctx, "accessed", st.st_atim);
    publish_time(ctx, "changed", st.st_ctim);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof target - 1);
        bt_act_publishn(ctx, "link_target", target, n > 0 ? (size_t)n : 0);
    } else {
        bt_act_publish(ctx, "link_target", "");
    }
    return 0;
}

const bt_activity_type bt_activity_get_file_status = {
    .name = "get-file-status",
    .title = "Get File Status",
    .category = "file",
    .description = "Publishes whether a path exists and its type, size, "
                   "mode, owner and times.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_file_status_props,
    .published = get_file_status_published,
    .run = get_file_status_run,
};
