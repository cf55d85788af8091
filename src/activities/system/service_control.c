/* Start Service, Stop Service, Restart Service: `systemctl VERB UNIT` as a
 * child process, then `systemctl show` to publish the state the unit is
 * left in. systemctl waits for the job to finish unless wait is false
 * (--no-block), and fails when the job does. */
#include <stdlib.h>
#include <string.h>

#include "activities/system/process.h"
#include "activities/system/service.h"
#include "common/util.h"

typedef struct svc_call {
    bt_activity_ctx *ctx;
    const char *verb; /* start, stop, restart */
    bool wait;
    bt_service_cfg cfg;
    bt_proc *p; /* systemctl VERB, while it runs */
    void *show; /* systemctl show, while it runs */
    bt_probe_result r;
    bool canceled;
} svc_call;

static void free_call(void *v) {
    svc_call *c = v;
    bt_probe_clear(&c->r);
    free(c);
}

static void shown(void *ud) {
    svc_call *c = ud;
    c->show = NULL;
    if (c->r.error) {
        bt_act_fail(c->ctx, "%s", c->r.error);
    } else {
        bt_probe_publish(c->ctx, &c->r);
        const char *state = c->r.state;
        bool want_running = strcmp(c->verb, "stop") != 0;
        if (c->wait && want_running != !strcmp(state, "running"))
            bt_act_warn(c->ctx, "%s: '%s' is %s after systemctl %s",
                        c->cfg.type, c->cfg.unit,
                        bt_probe_get(&c->r, "active_state"), c->verb);
    }
    bt_act_complete(c->ctx);
}

static void verb_done(bt_proc *p, void *ud) {
    svc_call *c = ud;
    c->p = NULL;
    int spawn = bt_proc_spawn_error(p);
    bt_act_publish(c->ctx, "action", c->verb);
    if (spawn) {
        bt_act_fail(c->ctx, "%s: cannot run systemctl to %s '%s': %s",
                    c->cfg.type, c->verb, c->cfg.unit, uv_strerror(spawn));
    } else if (bt_proc_term_signal(p) || c->canceled) {
        bt_act_fail(c->ctx, "%s: systemctl %s '%s' was stopped", c->cfg.type,
                    c->verb, c->cfg.unit);
    } else if (bt_proc_exit_status(p) != 0) {
        const char *err = bt_buf_str(bt_proc_stderr(p));
        bt_act_fail(c->ctx,
                    "%s: systemctl %s '%s' failed with code %lld: "
                    "%.*s",
                    c->cfg.type, c->verb, c->cfg.unit,
                    (long long)bt_proc_exit_status(p), (int)strcspn(err, "\n"),
                    err);
    }
    bt_proc_free(p);
    if (bt_act_failed(c->ctx)) {
        bt_act_complete(c->ctx);
        return;
    }
    bt_service_show_ops.start(bt_act_loop(c->ctx), &c->cfg, &c->r, shown, c,
                              &c->show);
}

static int run_verb(bt_activity_ctx *ctx, const char *verb, const char *type) {
    svc_call *c = bt_xcalloc(1, sizeof *c);
    c->ctx = ctx;
    c->verb = verb;
    bt_act_set_state(ctx, c, free_call);
    c->cfg =
        (bt_service_cfg){.type = type, .unit = bt_act_str(ctx, "unit", "")};
    if (bt_act_bool(ctx, "wait", true, &c->wait) ||
        bt_service_check_unit(ctx, type, c->cfg.unit))
        return -BT_EINVAL;
    const char *argv[7];
    size_t n = 0;
    argv[n++] = "systemctl";
    argv[n++] = verb;
    if (!c->wait) argv[n++] = "--no-block";
    argv[n++] = "--";
    argv[n++] = c->cfg.unit;
    argv[n] = NULL;
    bt_proc_opts o = {.file = "systemctl", .argv = argv, .max_output = 65536};
    bt_error err = {0};
    if (bt_proc_spawn(bt_act_loop(ctx), &o, verb_done, c, &c->p, &err)) {
        bt_proc_free(c->p);
        c->p = NULL;
        return bt_act_fail(ctx, "%s: %s", type, err.message);
    }
    return 0;
}

static void cancel(bt_activity_ctx *ctx) {
    svc_call *c = bt_act_state(ctx);
    if (!c) return;
    c->canceled = true;
    if (c->p) bt_proc_kill(c->p);
    if (c->show) bt_service_show_ops.cancel(c->show);
}

static int start_run(bt_activity_ctx *ctx) {
    return run_verb(ctx, "start", "start-service");
}
static int stop_run(bt_activity_ctx *ctx) {
    return run_verb(ctx, "stop", "stop-service");
}
static int restart_run(bt_activity_ctx *ctx) {
    return run_verb(ctx, "restart", "restart-service");
}

static const bt_prop_spec props[] = {
    {"unit", BT_PROP_STRING, true, NULL,
     "The systemd unit (\"nginx\" means nginx.service).", NULL},
    {"wait", BT_PROP_BOOLEAN, false, "true",
     "Wait for systemd to finish the job (false: systemctl --no-block).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {"action", BT_SERVICE_PUBLISHED, NULL};

#define SERVICE_TYPE(sym, type_name, type_title, desc, fn)                     \
    const bt_activity_type sym = {.name = type_name,                           \
                                  .title = type_title,                         \
                                  .category = "system",                        \
                                  .description = desc,                         \
                                  .mode = BT_EXEC_ASYNC,                       \
                                  .props = props,                              \
                                  .published = published,                      \
                                  .run = fn,                                   \
                                  .cancel = cancel}

SERVICE_TYPE(bt_activity_start_service, "start-service", "Start Service",
             "Starts a systemd unit and publishes the state it is in.",
             start_run);
SERVICE_TYPE(bt_activity_stop_service, "stop-service", "Stop Service",
             "Stops a systemd unit and publishes the state it is in.",
             stop_run);
SERVICE_TYPE(bt_activity_restart_service, "restart-service", "Restart Service",
             "Restarts a systemd unit and publishes the state it is in.",
             restart_run);
