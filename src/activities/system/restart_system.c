/* Restart System: reboots the runbook server's computer with
 * `shutdown -r`, which schedules the reboot, tells logged-in users and
 * returns at once, so the activity (and the job, if it is the last one)
 * can be committed before the machine goes down.
 *
 * Guarded, unlike Orchestrator's: one careless runbook, or a `baton test`
 * on a workstation, would otherwise take the computer down. It refuses
 * unless the process running it was started with
 * BATON_ALLOW_RESTART_SYSTEM=yes (batond's environment, e.g. a systemd
 * drop-in; or `baton test`'s), which only the machine's administrator can
 * set. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activities/system/process.h"
#include "baton/activity.h"
#include "common/util.h"

#define TYPE "restart-system"
#define ALLOW_ENV "BATON_ALLOW_RESTART_SYSTEM"

typedef struct restart {
    bt_activity_ctx *ctx;
    bt_proc *p;
} restart;

static void free_restart(void *v) { free(v); }

static bool allowed(void) {
    const char *v = getenv(ALLOW_ENV);
    return v &&
           (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"));
}

static void done(bt_proc *p, void *ud) {
    restart *r = ud;
    r->p = NULL;
    int spawn = bt_proc_spawn_error(p);
    if (spawn) {
        bt_act_fail(r->ctx, "%s: cannot run shutdown: %s", TYPE,
                    uv_strerror(spawn));
    } else if (bt_proc_term_signal(p)) {
        bt_act_fail(r->ctx, "%s: shutdown was stopped", TYPE);
    } else if (bt_proc_exit_status(p) != 0) {
        const char *err = bt_buf_str(bt_proc_stderr(p));
        bt_act_fail(r->ctx, "%s: shutdown -r failed with code %lld: %.*s", TYPE,
                    (long long)bt_proc_exit_status(p), (int)strcspn(err, "\n"),
                    err);
    }
    bt_proc_free(p);
    bt_act_complete(r->ctx);
}

static int run(bt_activity_ctx *ctx) {
    const char *message = bt_act_str(ctx, "message", "");
    uint64_t delay_ms;
    if (bt_act_duration(ctx, "delay", 60000, &delay_ms)) return -BT_EINVAL;
    if (!allowed())
        return bt_act_fail(ctx,
                           "%s: refused: this runbook server does not allow "
                           "restarting its computer (start it with "
                           "%s=yes to allow it)",
                           TYPE, ALLOW_ENV);
    /* shutdown counts in whole minutes; round up so the users get at
     * least the delay asked for. */
    uint64_t minutes = (delay_ms + 59999) / 60000;
    char when[32];
    if (minutes)
        snprintf(when, sizeof when, "+%llu", (unsigned long long)minutes);
    else
        snprintf(when, sizeof when, "now");
    const char *argv[] = {"shutdown", "-r", when, *message ? message : NULL,
                          NULL};
    char at[40];
    bt_format_time_us(bt_now_us() + minutes * 60000000ULL, at, sizeof at);
    bt_act_publishf(ctx, "command", "shutdown -r %s%s%s", when,
                    *message ? " " : "", message);
    bt_act_publishf(ctx, "delay_seconds", "%llu",
                    (unsigned long long)minutes * 60);
    bt_act_publish(ctx, "scheduled_for", at);
    restart *r = bt_xcalloc(1, sizeof *r);
    r->ctx = ctx;
    bt_act_set_state(ctx, r, free_restart);
    bt_proc_opts o = {.file = "shutdown", .argv = argv, .max_output = 65536};
    bt_error err = {0};
    if (bt_proc_spawn(bt_act_loop(ctx), &o, done, r, &r->p, &err)) {
        bt_proc_free(r->p);
        r->p = NULL;
        return bt_act_fail(ctx, "%s: %s", TYPE, err.message);
    }
    return 0;
}

static void cancel(bt_activity_ctx *ctx) {
    restart *r = bt_act_state(ctx);
    if (r && r->p) bt_proc_kill(r->p);
}

static const bt_prop_spec props[] = {
    {"delay", BT_PROP_DURATION, false, "1m",
     "Time before the restart, rounded up to whole minutes (0: now).", NULL},
    {"message", BT_PROP_STRING, false, NULL,
     "Message shown to logged-in users.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"command", "delay_seconds",
                                        "scheduled_for", NULL};

const bt_activity_type bt_activity_restart_system = {
    .name = "restart-system",
    .title = "Restart System",
    .category = "system",
    .description = "Restarts the runbook server's computer (shutdown -r); "
                   "refused unless the server allows it with "
                   "BATON_ALLOW_RESTART_SYSTEM=yes.",
    .mode = BT_EXEC_ASYNC,
    .props = props,
    .published = published,
    .run = run,
    .cancel = cancel,
};
