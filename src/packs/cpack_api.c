/* The host side of include/baton/pack.h: the function table every C pack
 * gets, and the trampolines that run a pack activity as a Baton activity.
 *
 * The table's functions are thin: a bt_pack_ctx is the engine's
 * bt_activity_ctx. What the wrapper adds is ownership of the processes and
 * timers a pack starts (per-instance `run_state`), so a pack cannot leave a
 * child or a timer behind after its activity completes or is canceled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "activities/system/process.h"
#include "common/util.h"
#include "common/version.h"
#include "engine/template.h"
#include "packs/cpack.h"
#include "runbook/runbook.h"

typedef struct pack_proc pack_proc;
typedef struct pack_timer pack_timer;
typedef struct run_state run_state;

struct pack_proc {
    run_state *st; /* NULL once the activity is gone: just reap */
    bt_proc *proc;
    bt_pack_process_fn done;
    void *ud;
    pack_proc *next;
};

struct pack_timer {
    uv_timer_t handle;
    run_state *st;
    bt_pack_timer_fn fn;
    void *ud;
    pack_timer *next;
};

struct run_state {
    bt_activity_ctx *ctx;
    const bt_cpack_type *ct;
    void *pack_state;
    void (*pack_free)(void *);
    pack_proc *procs;
    pack_timer *timers;
    bool completed;
    /* Set while a pack callback runs: the callback may complete the
     * activity, which can free this state before it returns. */
    bool *freed;
};

#define CTX(c) ((bt_activity_ctx *)(c))

static const bt_cpack_type *ctx_type(bt_activity_ctx *ctx) {
    return (const bt_cpack_type *)bt_act_def(ctx)->type;
}

static run_state *ctx_state(bt_pack_ctx *c) { return bt_act_state(CTX(c)); }

/* ---- processes and timers --------------------------------------------- */

static void timer_closed(uv_handle_t *h) { free(h->data); }

static void drop_timer(pack_timer *t) {
    uv_timer_stop(&t->handle);
    t->handle.data = t;
    uv_close((uv_handle_t *)&t->handle, timer_closed);
}

/* Kills every child and stops every timer; children are detached when the
 * activity is over (their exit is then only reaped). */
static void stop_work(run_state *st, bool detach) {
    for (pack_proc *p = st->procs; p; p = p->next) {
        bt_proc_kill(p->proc);
        if (detach)
            p->st = NULL;
    }
    if (detach)
        st->procs = NULL;
    while (st->timers) {
        pack_timer *t = st->timers;
        st->timers = t->next;
        drop_timer(t);
    }
}

static void run_state_free(void *p) {
    run_state *st = p;
    if (st->freed)
        *st->freed = true;
    stop_work(st, true);
    if (st->pack_free)
        st->pack_free(st->pack_state);
    free(st);
}

static void api_complete(bt_pack_ctx *c) {
    run_state *st = ctx_state(c);
    if (!st || st->completed || ctx_type(CTX(c))->act->mode != BT_PACK_ASYNC)
        return;
    st->completed = true;
    stop_work(st, true);
    bt_act_complete(CTX(c));
}

/* A canceled activity whose pack has no cancel entry ends once its last
 * process is gone; so does one whose pack forgot to complete it. */
static void maybe_end_canceled(run_state *st) {
    if (!st->completed && !st->procs && bt_act_canceled(st->ctx))
        api_complete((bt_pack_ctx *)st->ctx);
}

static void proc_done(bt_proc *proc, void *ud) {
    pack_proc *pp = ud;
    run_state *st = pp->st;
    if (st) {
        pack_proc **link = &st->procs;
        while (*link != pp)
            link = &(*link)->next;
        *link = pp->next;
        const bt_buf *out = bt_proc_stdout(proc), *err = bt_proc_stderr(proc);
        int start = bt_proc_spawn_error(proc);
        bt_pack_process res = {
            .start_error = start,
            .start_error_text = start ? uv_strerror(start) : NULL,
            .exit_code = bt_proc_exit_status(proc),
            .term_signal = bt_proc_term_signal(proc),
            .out = bt_buf_str(out),
            .out_len = out->len,
            .err = bt_buf_str(err),
            .err_len = err->len,
            .truncated = bt_proc_truncated(proc),
            .pid = bt_proc_pid(proc),
        };
        if (res.term_signal)
            res.exit_code = -1;
        bool freed = false;
        st->freed = &freed;
        pp->done((bt_pack_ctx *)st->ctx, &res, pp->ud);
        if (!freed) {
            st->freed = NULL;
            maybe_end_canceled(st);
        }
    }
    bt_proc_free(proc);
    free(pp);
}

static int api_spawn(bt_pack_ctx *c, const bt_pack_spawn *o,
                     bt_pack_process_fn done, void *ud) {
    run_state *st = ctx_state(c);
    if (!st || st->completed || st->ct->act->mode != BT_PACK_ASYNC || !done ||
        !o || !o->argv || !o->argv[0])
        return -BT_ESTATE;
    bt_activity_ctx *ctx = CTX(c);
    /* bt_proc takes a whole environment: ours plus the pack's. */
    const char *const *env = NULL;
    if (o->env && o->env[0]) {
        extern char **environ;
        size_t n = 0, k = 0;
        while (environ[n])
            n++;
        while (o->env[k])
            k++;
        const char **all = bt_act_alloc(ctx, (n + k + 1) * sizeof *all);
        for (size_t i = 0; i < n; i++)
            all[i] = environ[i];
        for (size_t i = 0; i < k; i++)
            all[n + i] = o->env[i];
        all[n + k] = NULL;
        env = all;
    }
    bt_proc_opts opts = {
        .file = o->argv[0],
        .argv = o->argv,
        .env = env,
        .cwd = o->cwd,
        .input = o->input,
        .input_len = o->input ? o->input_len : 0,
        .max_output =
            o->max_output ? o->max_output : BT_PROC_DEFAULT_MAX_OUTPUT,
    };
    pack_proc *pp = bt_xcalloc(1, sizeof *pp);
    pp->st = st;
    pp->done = done;
    pp->ud = ud;
    bt_error err;
    int rc =
        bt_proc_spawn(bt_act_loop(ctx), &opts, proc_done, pp, &pp->proc, &err);
    if (rc) {
        bt_proc_free(pp->proc);
        free(pp);
        return rc;
    }
    pp->next = st->procs;
    st->procs = pp;
    return 0;
}

static void timer_fired(uv_timer_t *h) {
    pack_timer *t = (pack_timer *)h;
    run_state *st = t->st;
    pack_timer **link = &st->timers;
    while (*link != t)
        link = &(*link)->next;
    *link = t->next;
    bt_pack_timer_fn fn = t->fn;
    void *ud = t->ud;
    drop_timer(t);
    fn((bt_pack_ctx *)st->ctx, ud);
}

static int api_timer(bt_pack_ctx *c, uint64_t ms, bt_pack_timer_fn fn,
                     void *ud) {
    run_state *st = ctx_state(c);
    if (!st || st->completed || st->ct->act->mode != BT_PACK_ASYNC || !fn ||
        bt_act_canceled(CTX(c)))
        return -BT_ESTATE;
    pack_timer *t = bt_xcalloc(1, sizeof *t);
    uv_timer_init(bt_act_loop(CTX(c)), &t->handle);
    t->st = st;
    t->fn = fn;
    t->ud = ud;
    t->next = st->timers;
    st->timers = t;
    uv_timer_start(&t->handle, timer_fired, ms, 0);
    return 0;
}

/* ---- the rest of the table -------------------------------------------- */

static int api_has(bt_pack_ctx *c, const char *name) {
    return bt_act_has(CTX(c), name);
}
static const char *api_str(bt_pack_ctx *c, const char *name, const char *dflt) {
    return bt_act_str(CTX(c), name, dflt);
}
static int api_integer(bt_pack_ctx *c, const char *name, int64_t dflt,
                       int64_t *out) {
    return bt_act_int(CTX(c), name, dflt, out);
}
static int api_number(bt_pack_ctx *c, const char *name, double dflt,
                      double *out) {
    return bt_act_number(CTX(c), name, dflt, out);
}
static int api_boolean(bt_pack_ctx *c, const char *name, int dflt, int *out) {
    bool b = false;
    int rc = bt_act_bool(CTX(c), name, dflt != 0, &b);
    *out = b;
    return rc;
}
static int api_duration(bt_pack_ctx *c, const char *name, uint64_t dflt,
                        uint64_t *out) {
    return bt_act_duration(CTX(c), name, dflt, out);
}
static size_t api_list(bt_pack_ctx *c, const char *name,
                       const char *const **out) {
    return bt_act_list(CTX(c), name, out);
}
static size_t api_map(bt_pack_ctx *c, const char *name,
                      const char *const **keys, const char *const **values) {
    return bt_act_map(CTX(c), name, keys, values);
}
static const char *api_activity_id(bt_pack_ctx *c) { return bt_act_id(CTX(c)); }
static void *api_alloc(bt_pack_ctx *c, size_t size) {
    return bt_act_alloc(CTX(c), size);
}
static void api_publish(bt_pack_ctx *c, const char *name, const char *value,
                        size_t len) {
    if (!value)
        value = "";
    if (len == (size_t)-1)
        len = strlen(value);
    bt_act_publishn(CTX(c), name, value, len);
}
static void api_new_row(bt_pack_ctx *c) { bt_act_new_row(CTX(c)); }
static void api_no_rows(bt_pack_ctx *c) { bt_act_publish_no_rows(CTX(c)); }
static int api_fail(bt_pack_ctx *c, const char *msg) {
    return bt_act_fail(CTX(c), "%s", msg ? msg : "failed");
}
static void api_warn(bt_pack_ctx *c, const char *msg) {
    bt_act_warn(CTX(c), "%s", msg ? msg : "warning");
}
static void api_log(bt_pack_ctx *c, int level, const char *msg) {
    static const char *const names[] = {"debug", "info", "warning", "error"};
    const char *lv = level >= 0 && level <= 3 ? names[level] : "info";
    fprintf(stderr, "%s: pack %s: activity '%s': %s\n", lv,
            ctx_type(CTX(c))->pack, bt_act_id(CTX(c)), msg ? msg : "");
}
static void api_set_state(bt_pack_ctx *c, void *state, void (*fn)(void *)) {
    run_state *st = ctx_state(c);
    if (st->pack_free && st->pack_state != state)
        st->pack_free(st->pack_state);
    st->pack_state = state;
    st->pack_free = fn;
}
static void *api_state(bt_pack_ctx *c) { return ctx_state(c)->pack_state; }
static int api_canceled(bt_pack_ctx *c) { return bt_act_canceled(CTX(c)); }

/* ---- validation --------------------------------------------------------- */

struct bt_pack_check {
    const bt_activity_def *def;
    const bt_runbook *rb;
    bt_diags *diags;
};

static const bt_node *check_node(bt_pack_check *chk, const char *name) {
    return name ? bt_node_get(chk->def->properties, name) : NULL;
}
static int api_check_has(bt_pack_check *chk, const char *name) {
    return check_node(chk, name) != NULL;
}
static const char *api_check_literal(bt_pack_check *chk, const char *name) {
    const bt_node *n = check_node(chk, name);
    if (!n || n->kind != BT_NODE_SCALAR)
        return NULL;
    if (!n->compiled)
        return n->str;
    return bt_template_is_literal(n->compiled)
               ? bt_template_literal(n->compiled)
               : NULL;
}
static int api_check_error(bt_pack_check *chk, const char *name,
                           const char *msg) {
    const bt_node *n = check_node(chk, name);
    int line = n ? n->line : chk->def->line;
    int col = n ? n->column : chk->def->column;
    if (name)
        return bt_diags_add(chk->diags, BT_EINVAL, chk->rb->file, line, col,
                            "activity '%s' (%s): property '%s': %s",
                            chk->def->id, chk->def->type_name, name, msg);
    return bt_diags_add(chk->diags, BT_EINVAL, chk->rb->file, line, col,
                        "activity '%s' (%s): %s", chk->def->id,
                        chk->def->type_name, msg);
}

const bt_pack_api bt__pack_host_api = {
    .abi_version = BT_PACK_ABI_VERSION,
    .size = sizeof(bt_pack_api),
    .host_version = BATON_VERSION_STRING,
    .has = api_has,
    .str = api_str,
    .integer = api_integer,
    .number = api_number,
    .boolean = api_boolean,
    .duration = api_duration,
    .list = api_list,
    .map = api_map,
    .activity_id = api_activity_id,
    .alloc = api_alloc,
    .publish = api_publish,
    .new_row = api_new_row,
    .publish_no_rows = api_no_rows,
    .fail = api_fail,
    .warn = api_warn,
    .log = api_log,
    .set_state = api_set_state,
    .state = api_state,
    .canceled = api_canceled,
    .complete = api_complete,
    .spawn = api_spawn,
    .timer = api_timer,
    .check_has = api_check_has,
    .check_literal = api_check_literal,
    .check_error = api_check_error,
};

/* ---- trampolines -------------------------------------------------------- */

int bt__cpack_check(const bt_activity_def *def, const bt_runbook *rb,
                    bt_diags *diags) {
    const bt_cpack_type *ct = (const bt_cpack_type *)def->type;
    if (!ct->act->validate)
        return 0;
    bt_pack_check chk = {def, rb, diags};
    int rc = ct->act->validate(&bt__pack_host_api, &chk);
    return rc < 0 ? rc : 0;
}

int bt__cpack_run(bt_activity_ctx *ctx) {
    const bt_cpack_type *ct = ctx_type(ctx);
    run_state *st = bt_xcalloc(1, sizeof *st);
    st->ctx = ctx;
    st->ct = ct;
    bt_act_set_state(ctx, st, run_state_free);
    bt_pack_ctx *c = (bt_pack_ctx *)ctx;
    int rc = ct->act->execute(&bt__pack_host_api, c);
    if (ct->act->mode == BT_PACK_BLOCKING) {
        if (rc < 0 && !bt_act_failed(ctx))
            bt_act_fail(ctx, "%s: %s", bt_act_def(ctx)->type_name,
                        bt_strerror(rc));
        return rc;
    }
    if (rc < 0 && !st->completed) {
        /* The engine ends the activity; nothing the pack started may
         * outlive it. */
        if (!bt_act_failed(ctx))
            bt_act_fail(ctx, "%s: %s", bt_act_def(ctx)->type_name,
                        bt_strerror(rc));
        st->completed = true;
        stop_work(st, true);
        return rc;
    }
    return 0;
}

void bt__cpack_cancel(bt_activity_ctx *ctx) {
    run_state *st = bt_act_state(ctx);
    if (!st || st->completed)
        return;
    stop_work(st, false);
    const bt_cpack_type *ct = ctx_type(ctx);
    if (ct->act->cancel)
        ct->act->cancel(&bt__pack_host_api, (bt_pack_ctx *)ctx);
    else
        maybe_end_canceled(st);
}
