/* Get Disk Space and Monitor Disk Space: statvfs(3) of the file system
 * holding a path. Free space is what an unprivileged user may still write
 * (f_bavail), as df reports it; used is what is taken (blocks - bfree). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "activities/monitoring/probe.h"
#include "common/util.h"

typedef struct disk_cfg {
    const char *type;
    const char *path;
    bool have_percent, have_bytes;
    double below_percent;
    int64_t below_bytes;
} disk_cfg;

static void disk_probe(const void *vc, bt_probe_result *r) {
    const disk_cfg *c = vc;
    struct statvfs st;
    if (statvfs(c->path, &st) != 0) {
        bt_probe_error(r, "%s: cannot read the disk space of '%s': %s",
                       c->type, c->path, strerror(errno));
        return;
    }
    uint64_t bs = st.f_frsize ? st.f_frsize : st.f_bsize;
    uint64_t total = (uint64_t)st.f_blocks * bs;
    uint64_t free_b = (uint64_t)st.f_bavail * bs;
    uint64_t used = (uint64_t)(st.f_blocks - st.f_bfree) * bs;
    /* Percentages of what a user can have (used + available), as df. */
    uint64_t usable = used + free_b;
    double free_pct = usable ? 100.0 * (double)free_b / (double)usable : 0;
    bt_probe_set(r, "path", "%s", c->path);
    bt_probe_set(r, "total_bytes", "%" PRIu64, total);
    bt_probe_set(r, "free_bytes", "%" PRIu64, free_b);
    bt_probe_set(r, "used_bytes", "%" PRIu64, used);
    bt_probe_set(r, "free_percent", "%.2f", free_pct);
    bt_probe_set(r, "used_percent", "%.2f", usable ? 100.0 - free_pct : 0);
    bool low = (c->have_percent && free_pct < c->below_percent) ||
               (c->have_bytes && free_b < (uint64_t)c->below_bytes);
    bt_probe_state(r, low ? "low" : "ok");
}

static const bt_probe_ops disk_ops = {.blocking = disk_probe};

static int read_cfg(bt_activity_ctx *ctx, const char *type, disk_cfg *c) {
    c->type = type;
    c->path = bt_act_str(ctx, "path", "/");
    c->have_percent = bt_act_has(ctx, "free_below_percent");
    c->have_bytes = bt_act_has(ctx, "free_below_bytes");
    if (bt_act_number(ctx, "free_below_percent", 0, &c->below_percent) ||
        bt_act_int(ctx, "free_below_bytes", 0, &c->below_bytes))
        return -BT_EINVAL;
    if (!*c->path) return bt_act_fail(ctx, "%s: 'path' is empty", type);
    if (c->have_percent && (c->below_percent < 0 || c->below_percent > 100))
        return bt_act_fail(ctx,
                           "%s: free_below_percent must be between 0 and "
                           "100, not %g",
                           type, c->below_percent);
    if (c->have_bytes && c->below_bytes < 0)
        return bt_act_fail(ctx, "%s: free_below_bytes must not be negative",
                           type);
    return 0;
}

static int get_run(bt_activity_ctx *ctx) {
    disk_cfg c = {0};
    if (read_cfg(ctx, "get-disk-space", &c)) return -BT_EINVAL;
    bt_probe_result r = {0};
    disk_probe(&c, &r);
    if (r.error) {
        bt_act_fail(ctx, "%s", r.error);
    } else {
        bt_probe_publish(ctx, &r);
        bt_act_publish(ctx, "low", strcmp(r.state, "low") ? "false" : "true");
    }
    bt_probe_clear(&r);
    return bt_act_failed(ctx) ? -BT_EINVAL : 0;
}

static const bt_pollmon_trigger disk_triggers[] = {
    {"low", "low", true}, {"change", NULL, false}, {NULL, NULL, false}};

static int monitor_run(bt_activity_ctx *ctx) {
    disk_cfg *c = bt_act_alloc(ctx, sizeof *c);
    if (read_cfg(ctx, "monitor-disk-space", c)) return -BT_EINVAL;
    if (!c->have_percent && !c->have_bytes)
        return bt_act_fail(ctx, "monitor-disk-space: give "
                                "free_below_percent or free_below_bytes");
    bt_pollmon_cfg *pc = bt_act_alloc(ctx, sizeof *pc);
    *pc = (bt_pollmon_cfg){.type = "monitor-disk-space",
                           .ops = &disk_ops,
                           .cfg = c,
                           .triggers = disk_triggers,
                           .default_interval_ms = 60000};
    return bt_pollmon_start(ctx, pc);
}

#define DISK_PROPS                                                           \
    {"path", BT_PROP_STRING, false, "/",                                    \
     "A path on the file system to look at.", NULL},                        \
    {"free_below_percent", BT_PROP_NUMBER, false, NULL,                     \
     "Space is low when less than this percentage is free.", NULL},         \
    {"free_below_bytes", BT_PROP_INTEGER, false, NULL,                      \
     "Space is low when fewer than this many bytes are free.", NULL}

static const bt_prop_spec get_props[] = {DISK_PROPS,
                                         {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const get_published[] = {
    "path",         "total_bytes",  "free_bytes", "used_bytes",
    "free_percent", "used_percent", "low",        NULL};

const bt_activity_type bt_activity_get_disk_space = {
    .name = "get-disk-space",
    .title = "Get Disk Space Status",
    .category = "monitoring",
    .description = "Publishes the total, free and used space of the file "
                   "system holding a path.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_props,
    .published = get_published,
    .run = get_run,
};

static const char *const trigger_choices[] = {"low", "change", NULL};
static const bt_prop_spec monitor_props[] = {
    DISK_PROPS,
    {"trigger_on", BT_PROP_STRING, false, "low",
     "low: fire when free space drops below the threshold; change: also "
     "when it recovers.",
     trigger_choices},
    BT_POLLMON_PROPS("1m"),
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const monitor_published[] = {
    "path",         "total_bytes",  "free_bytes", "used_bytes",
    "free_percent", "used_percent", BT_POLLMON_PUBLISHED, NULL};

const bt_activity_type bt_activity_monitor_disk_space = {
    .name = "monitor-disk-space",
    .title = "Monitor Disk Space",
    .category = "monitoring",
    .description = "Starts a new runbook instance when the free space of a "
                   "file system drops below a threshold.",
    .mode = BT_EXEC_ASYNC,
    .props = monitor_props,
    .published = monitor_published,
    .run = monitor_run,
    .cancel = bt_pollmon_cancel,
    .monitor = true,
};
