/* Get Service Status and Monitor Service: systemd units, asked through
 * `systemctl show` (a child process on the loop, see system/service.h). */
#include <stdlib.h>
#include <string.h>

#include "activities/monitoring/probe.h"
#include "activities/system/service.h"
#include "common/util.h"

typedef struct get_call {
    bt_activity_ctx *ctx;
    bt_service_cfg cfg;
    bt_probe_result r;
    void *handle;
    bool fail_if_missing, done;
} get_call;

static void free_call(void *p) {
    get_call *g = p;
    bt_probe_clear(&g->r);
    free(g);
}

static void get_done(void *ud) {
    get_call *g = ud;
    g->done = true;
    g->handle = NULL;
    if (g->r.error) {
        bt_act_fail(g->ctx, "%s", g->r.error);
    } else {
        bt_probe_publish(g->ctx, &g->r);
        if (g->fail_if_missing && !strcmp(bt_probe_get(&g->r, "exists"),
                                          "false"))
            bt_act_fail(g->ctx,
                        "get-service-status: systemd has no unit '%s' (set "
                        "fail_if_missing: false to allow this)",
                        g->cfg.unit);
    }
    bt_act_complete(g->ctx);
}

static int get_run(bt_activity_ctx *ctx) {
    get_call *g = bt_xcalloc(1, sizeof *g);
    g->ctx = ctx;
    bt_act_set_state(ctx, g, free_call);
    g->cfg = (bt_service_cfg){.type = "get-service-status",
                              .unit = bt_act_str(ctx, "unit", "")};
    if (bt_act_bool(ctx, "fail_if_missing", false, &g->fail_if_missing) ||
        bt_service_check_unit(ctx, g->cfg.type, g->cfg.unit))
        return -BT_EINVAL;
    bt_service_show_ops.start(bt_act_loop(ctx), &g->cfg, &g->r, get_done, g,
                              &g->handle);
    return 0;
}

static void get_cancel(bt_activity_ctx *ctx) {
    get_call *g = bt_act_state(ctx);
    if (g && g->handle && !g->done) bt_service_show_ops.cancel(g->handle);
}

static const bt_pollmon_trigger svc_triggers[] = {
    {"stopped", "stopped", true},
    {"started", "running", true},
    {"change", NULL, false},
    {NULL, NULL, false}};

static int monitor_run(bt_activity_ctx *ctx) {
    bt_service_cfg *c = bt_act_alloc(ctx, sizeof *c);
    *c = (bt_service_cfg){.type = "monitor-service",
                          .unit = bt_act_str(ctx, "unit", "")};
    if (bt_service_check_unit(ctx, c->type, c->unit)) return -BT_EINVAL;
    bt_pollmon_cfg *pc = bt_act_alloc(ctx, sizeof *pc);
    *pc = (bt_pollmon_cfg){.type = "monitor-service",
                           .ops = &bt_service_show_ops,
                           .cfg = c,
                           .triggers = svc_triggers,
                           .default_interval_ms = 10000};
    return bt_pollmon_start(ctx, pc);
}

static const bt_prop_spec get_props[] = {
    {"unit", BT_PROP_STRING, true, NULL,
     "The systemd unit (\"nginx\" means nginx.service).", NULL},
    {"fail_if_missing", BT_PROP_BOOLEAN, false, "false",
     "Fail when systemd has no such unit (otherwise publish exists: "
     "false).",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const get_published[] = {BT_SERVICE_PUBLISHED, NULL};

const bt_activity_type bt_activity_get_service_status = {
    .name = "get-service-status",
    .title = "Get Service Status",
    .category = "monitoring",
    .description = "Publishes whether a systemd unit exists and runs, its "
                   "states and main pid.",
    .mode = BT_EXEC_ASYNC,
    .props = get_props,
    .published = get_published,
    .run = get_run,
    .cancel = get_cancel,
};

static const char *const trigger_choices[] = {"stopped", "started", "change",
                                              NULL};
static const bt_prop_spec monitor_props[] = {
    {"unit", BT_PROP_STRING, true, NULL, "The systemd unit.", NULL},
    {"trigger_on", BT_PROP_STRING, false, "stopped",
     "stopped: fire when the unit stops running (inactive, failed, gone); "
     "started: when it runs; change: on every change of state.",
     trigger_choices},
    BT_POLLMON_PROPS("10s"),
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const monitor_published[] = {BT_SERVICE_PUBLISHED,
                                                BT_POLLMON_PUBLISHED, NULL};

const bt_activity_type bt_activity_monitor_service = {
    .name = "monitor-service",
    .title = "Monitor Service",
    .category = "monitoring",
    .description = "Starts a new runbook instance when a systemd unit "
                   "stops or starts running.",
    .mode = BT_EXEC_ASYNC,
    .props = monitor_props,
    .published = monitor_published,
    .run = monitor_run,
    .cancel = bt_pollmon_cancel,
    .monitor = true,
};
