/* End Process: signals the processes found by name or pid (procscan.h)
 * and waits on the loop, looking every 25 ms, until they are gone; those
 * still there after `wait` get SIGKILL when `force` is on. A process that
 * is already gone counts as ended, so the activity can be run again
 * safely. Init and the runbook server itself are never signalled. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "activities/system/procscan.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

#define TYPE "end-process"
#define LOOK_MS 25
/* After SIGKILL the kernel needs no cooperation; this is for the reaping
 * parent and a loaded machine. */
#define KILL_WAIT_MS 5000

static const struct {
    const char *name;
    int sig;
} signals[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},
               {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
               {"USR2", SIGUSR2}, {NULL, 0}};
static const char *const signal_choices[] = {"TERM", "INT",  "HUP",  "QUIT",
                                             "KILL", "USR1", "USR2", NULL};

typedef struct ender {
    bt_activity_ctx *ctx;
    uv_timer_t timer;
    const char *what; /* "process 'name'" or "process 1234", for messages */
    int *pids;        /* still to see gone; 0 once gone */
    size_t n;
    size_t killed; /* how many needed SIGKILL */
    bool force, forced;
    uint64_t deadline_ms;
} ender;

static void free_ender(void *p) {
    ender *e = p;
    free(e->pids);
    free(e);
}

static size_t remaining(ender *e, bt_buf *list) {
    size_t left = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (!e->pids[i]) continue;
        bt_procinfo pi;
        if (!bt_procscan_read(e->pids[i], &pi)) {
            e->pids[i] = 0;
            continue;
        }
        if (list) bt_buf_printf(list, "%s%d", left ? "," : "", e->pids[i]);
        left++;
    }
    return left;
}

static void closed(uv_handle_t *h) {
    ender *e = h->data;
    bt_act_complete(e->ctx);
}

static void finish(ender *e) {
    bt_buf left;
    bt_buf_init(&left, 0);
    size_t n = remaining(e, &left);
    bt_act_publishf(e->ctx, "ended", "%zu", e->n - n);
    bt_act_publishf(e->ctx, "killed", "%zu", e->killed);
    bt_act_publish(e->ctx, "still_running", bt_buf_str(&left));
    if (n)
        bt_act_fail(e->ctx,
                    "%s: %zu of %zu processes (%s) still running "
                    "after %s",
                    TYPE, n, e->n, bt_buf_str(&left),
                    e->forced ? "SIGKILL" : "the wait");
    bt_buf_free(&left);
    uv_timer_stop(&e->timer);
    uv_close((uv_handle_t *)&e->timer, closed);
}

static void look(uv_timer_t *t) {
    ender *e = t->data;
    if (remaining(e, NULL) == 0) {
        finish(e);
        return;
    }
    if (uv_now(t->loop) < e->deadline_ms) return;
    if (!e->force || e->forced) {
        finish(e);
        return;
    }
    e->forced = true;
    for (size_t i = 0; i < e->n; i++)
        if (e->pids[i] && kill(e->pids[i], SIGKILL) == 0) e->killed++;
    e->deadline_ms = uv_now(t->loop) + KILL_WAIT_MS;
}

/* Refuses what must never be ended from a runbook. */
static int check_pid(bt_activity_ctx *ctx, int pid) {
    if (pid == 1 || pid == getpid())
        return bt_act_fail(ctx, "%s: refusing to end process %d (%s)", TYPE,
                           pid,
                           pid == 1 ? "init" : "the runbook server itself");
    return 0;
}

static int run(bt_activity_ctx *ctx) {
    const char *name = bt_act_str(ctx, "name", "");
    const char *signame = bt_act_str(ctx, "signal", "TERM");
    int64_t pid;
    uint64_t wait_ms;
    bool all, fail_if_none, force;
    if (bt_act_int(ctx, "pid", 0, &pid) ||
        bt_act_duration(ctx, "wait", 10000, &wait_ms) ||
        bt_act_bool(ctx, "all", true, &all) ||
        bt_act_bool(ctx, "force", true, &force) ||
        bt_act_bool(ctx, "fail_if_not_running", false, &fail_if_none))
        return -BT_EINVAL;
    if (!*name && pid <= 0)
        return bt_act_fail(ctx, "%s: give the process's 'name' or 'pid'", TYPE);
    if (*name && bt_act_has(ctx, "pid"))
        return bt_act_fail(ctx, "%s: give 'name' or 'pid', not both", TYPE);
    if (strchr(name, '/'))
        return bt_act_fail(ctx,
                           "%s: process name '%s' must be a program name, "
                           "not a path",
                           TYPE, name);
    if (pid > INT32_MAX)
        return bt_act_fail(ctx, "%s: pid %lld is out of range", TYPE,
                           (long long)pid);
    if (pid > 0 && check_pid(ctx, (int)pid)) return -BT_EINVAL;
    const char *s = signame;
    if (!strncasecmp(s, "SIG", 3)) s += 3;
    int sig = 0;
    const char *sigword = NULL;
    for (size_t i = 0; signals[i].name; i++)
        if (!strcasecmp(s, signals[i].name)) {
            sig = signals[i].sig;
            sigword = signals[i].name;
        }
    if (!sig)
        return bt_act_fail(ctx,
                           "%s: signal '%s' is not one of TERM, INT, HUP, "
                           "QUIT, KILL, USR1, USR2",
                           TYPE, signame);

    bt_procinfo *ps = NULL;
    size_t n = bt_procscan_find(name, (int)pid, &ps);
    ender *e = bt_xcalloc(1, sizeof *e);
    e->ctx = ctx;
    e->force = force && sig != SIGKILL;
    bt_act_set_state(ctx, e, free_ender);
    bt_buf pids;
    bt_buf_init(&pids, 0);
    for (size_t i = 0; i < n; i++)
        bt_buf_printf(&pids, "%s%d", i ? "," : "", ps[i].pid);
    bt_act_publish(ctx, "process", *name ? name : n ? ps[0].comm : "");
    bt_act_publish(ctx, "pids", bt_buf_str(&pids));
    bt_act_publishf(ctx, "count", "%zu", n);
    bt_act_publishf(ctx, "signal", "SIG%s", sigword);
    bt_buf_free(&pids);
    int rc = 0;
    if (n > 1 && !all)
        rc = bt_act_fail(ctx,
                         "%s: %zu processes are called '%s' and 'all' is "
                         "false",
                         TYPE, n, name);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = check_pid(ctx, ps[i].pid);
    e->pids = bt_xcalloc(n ? n : 1, sizeof *e->pids);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (kill(ps[i].pid, sig) == 0 || errno == ESRCH) {
            e->pids[e->n++] = ps[i].pid;
            continue;
        }
        rc = bt_act_fail(ctx, "%s: cannot signal process %d (%s): %s", TYPE,
                         ps[i].pid, ps[i].comm, strerror(errno));
    }
    free(ps);
    if (rc) return rc;
    if (n == 0 && fail_if_none) {
        if (*name)
            return bt_act_fail(ctx, "%s: no process '%s' is running", TYPE,
                               name);
        return bt_act_fail(ctx, "%s: process %lld is not running", TYPE,
                           (long long)pid);
    }
    if (sig == SIGKILL) e->killed = e->n;
    uv_timer_init(bt_act_loop(ctx), &e->timer);
    e->timer.data = e;
    e->deadline_ms = uv_now(bt_act_loop(ctx)) + wait_ms;
    uv_timer_start(&e->timer, look, 0, LOOK_MS);
    return 0;
}

static void cancel(bt_activity_ctx *ctx) {
    ender *e = bt_act_state(ctx);
    if (e && e->timer.data && !uv_is_closing((uv_handle_t *)&e->timer)) {
        uv_timer_stop(&e->timer);
        uv_close((uv_handle_t *)&e->timer, closed);
    }
}

static const bt_prop_spec props[] = {
    {"name", BT_PROP_STRING, false, NULL,
     "Program name: the kernel's name of the process or the base name of "
     "its first argument.",
     NULL},
    {"pid", BT_PROP_INTEGER, false, NULL, "A process id (instead of name).",
     NULL},
    {"signal", BT_PROP_STRING, false, "TERM", "The signal to send first.",
     signal_choices},
    {"all", BT_PROP_BOOLEAN, false, "true",
     "End every process with the name (false: fail when there are "
     "several).",
     NULL},
    {"wait", BT_PROP_DURATION, false, "10s",
     "How long the processes get to exit.", NULL},
    {"force", BT_PROP_BOOLEAN, false, "true",
     "Send SIGKILL to those still running after `wait`.", NULL},
    {"fail_if_not_running", BT_PROP_BOOLEAN, false, "false",
     "Fail when no such process runs (otherwise succeed with count 0).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"process",       "pids",  "count",
                                        "signal",        "ended", "killed",
                                        "still_running", NULL};

const bt_activity_type bt_activity_end_process = {
    .name = "end-process",
    .title = "End Process",
    .category = "system",
    .description = "Ends processes on the runbook server by name or pid: a "
                   "signal, a wait, then SIGKILL.",
    .mode = BT_EXEC_ASYNC,
    .props = props,
    .published = published,
    .run = run,
    .cancel = cancel,
};
