/* Get Process Status and Monitor Process: processes on the runbook server
 * found by name or pid through /proc. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "activities/monitoring/probe.h"
#include "activities/system/procscan.h"
#include "common/buf.h"
#include "common/util.h"

typedef struct proc_cfg {
    const char *type;
    const char *name;
    int64_t pid;
} proc_cfg;

static void proc_probe(const void *vc, bt_probe_result *r) {
    const proc_cfg *c = vc;
    bt_procinfo *ps;
    size_t n = bt_procscan_find(c->name, (int)c->pid, &ps);
    bt_buf pids;
    bt_buf_init(&pids, 0);
    uint64_t rss = 0;
    double cpu = 0;
    for (size_t i = 0; i < n; i++) {
        char one[24];
        snprintf(one, sizeof one, "%s%d", i ? "," : "", ps[i].pid);
        bt_buf_appends(&pids, one);
        rss += ps[i].rss_bytes;
        cpu += ps[i].cpu_seconds;
    }
    bt_probe_set(r, "process", "%s",
                 *c->name ? c->name : n ? ps[0].comm : "");
    bt_probe_set(r, "running", "%s", n ? "true" : "false");
    bt_probe_set(r, "pid", "%d", n ? ps[0].pid : 0);
    bt_probe_set(r, "pids", "%s", bt_buf_str(&pids));
    bt_probe_set(r, "count", "%zu", n);
    bt_probe_set(r, "rss_bytes", "%" PRIu64, rss);
    bt_probe_set(r, "cpu_seconds", "%.2f", cpu);
    bt_probe_state(r, n ? "running" : "stopped");
    bt_buf_free(&pids);
    free(ps);
}

static const bt_probe_ops proc_ops = {.blocking = proc_probe};

static int read_cfg(bt_activity_ctx *ctx, const char *type, proc_cfg *c) {
    c->type = type;
    c->name = bt_act_str(ctx, "name", "");
    if (bt_act_int(ctx, "pid", 0, &c->pid)) return -BT_EINVAL;
    if (!*c->name && c->pid <= 0)
        return bt_act_fail(ctx, "%s: give the process's 'name' or 'pid'",
                           type);
    if (*c->name && bt_act_has(ctx, "pid"))
        return bt_act_fail(ctx, "%s: give 'name' or 'pid', not both", type);
    if (strchr(c->name, '/'))
        return bt_act_fail(ctx,
                           "%s: process name '%s' must be a program name, "
                           "not a path",
                           type, c->name);
    return 0;
}

static int get_run(bt_activity_ctx *ctx) {
    proc_cfg c = {0};
    bool fail_if;
    if (read_cfg(ctx, "get-process-status", &c) ||
        bt_act_bool(ctx, "fail_if_not_running", false, &fail_if))
        return -BT_EINVAL;
    bt_probe_result r = {0};
    proc_probe(&c, &r);
    bt_probe_publish(ctx, &r);
    if (fail_if && !strcmp(r.state, "stopped")) {
        if (*c.name)
            bt_act_fail(ctx, "get-process-status: no process '%s' is running",
                        c.name);
        else
            bt_act_fail(ctx, "get-process-status: process %lld is not "
                             "running",
                        (long long)c.pid);
    }
    bt_probe_clear(&r);
    return 0;
}

static const bt_pollmon_trigger proc_triggers[] = {
    {"started", "running", false},
    {"stopped", "stopped", false},
    {"change", NULL, false},
    {NULL, NULL, false}};

static int monitor_run(bt_activity_ctx *ctx) {
    proc_cfg *c = bt_act_alloc(ctx, sizeof *c);
    if (read_cfg(ctx, "monitor-process", c)) return -BT_EINVAL;
    bt_pollmon_cfg *pc = bt_act_alloc(ctx, sizeof *pc);
    *pc = (bt_pollmon_cfg){.type = "monitor-process",
                           .ops = &proc_ops,
                           .cfg = c,
                           .triggers = proc_triggers,
                           .default_interval_ms = 5000};
    return bt_pollmon_start(ctx, pc);
}

#define PROC_PROPS                                                           \
    {"name", BT_PROP_STRING, false, NULL,                                   \
     "Program name: the kernel's name of the process or the base name of "  \
     "its first argument.", NULL},                                          \
    {"pid", BT_PROP_INTEGER, false, NULL,                                   \
     "A process id (instead of name).", NULL}

static const bt_prop_spec get_props[] = {
    PROC_PROPS,
    {"fail_if_not_running", BT_PROP_BOOLEAN, false, "false",
     "Fail when no such process runs (otherwise publish running: false).",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
#define PROC_PUBLISHED                                                       \
    "process", "running", "pid", "pids", "count", "rss_bytes", "cpu_seconds"
static const char *const get_published[] = {PROC_PUBLISHED, NULL};

const bt_activity_type bt_activity_get_process_status = {
    .name = "get-process-status",
    .title = "Get Process Status",
    .category = "monitoring",
    .description = "Publishes whether a process runs on the runbook server, "
                   "its pids, memory and CPU time.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_props,
    .published = get_published,
    .run = get_run,
};

static const char *const trigger_choices[] = {"started", "stopped", "change",
                                              NULL};
static const bt_prop_spec monitor_props[] = {
    PROC_PROPS,
    {"trigger_on", BT_PROP_STRING, false, "started",
     "started: fire when the process starts running; stopped: when the "
     "last one ends; change: both.",
     trigger_choices},
    BT_POLLMON_PROPS("5s"),
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const monitor_published[] = {PROC_PUBLISHED,
                                                BT_POLLMON_PUBLISHED, NULL};

const bt_activity_type bt_activity_monitor_process = {
    .name = "monitor-process",
    .title = "Monitor Process",
    .category = "monitoring",
    .description = "Starts a new runbook instance when a process starts or "
                   "stops on the runbook server.",
    .mode = BT_EXEC_ASYNC,
    .props = monitor_props,
    .published = monitor_published,
    .run = monitor_run,
    .cancel = bt_pollmon_cancel,
    .monitor = true,
};
