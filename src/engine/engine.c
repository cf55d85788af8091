/* The engine: schedules activity instances of many runbook instances on one
 * libuv loop.
 *
 * Every activity instance is a context (bt_activity_ctx, in activity_ctx.h)
 * that moves through: queued -> running -> finished (record made, handed to
 * the activity_finished hook) -> resumed (links followed) -> freed. Work is
 * queued and drained from an idle handle rather than run by recursion, so a
 * chain of ten thousand in-process activities never deepens the stack and
 * never starves the loop's I/O. */
#include "engine/engine.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/engine_internal.h"
#include "engine/junction.h"

static void ctx_run(bt_activity_ctx *ctx);

/* ---- queue ------------------------------------------------------------ */

static void idle_cb(uv_idle_t *h) {
    bt_engine *eng = h->data;
    for (int n = 0; n < BT_ENGINE_BATCH && eng->queue_head; n++) {
        bt_activity_ctx *ctx = eng->queue_head;
        eng->queue_head = ctx->queue_next;
        if (!eng->queue_head) eng->queue_tail = NULL;
        ctx->queue_next = NULL;
        ctx_run(ctx);
    }
    if (!eng->queue_head) uv_idle_stop(&eng->idle);
}

static void enqueue(bt_activity_ctx *ctx) {
    bt_engine *eng = ctx->inst->eng;
    ctx->state = BT_CTX_QUEUED;
    ctx->queue_next = NULL;
    if (eng->queue_tail)
        eng->queue_tail->queue_next = ctx;
    else
        eng->queue_head = ctx;
    eng->queue_tail = ctx;
    if (!uv_is_active((uv_handle_t *)&eng->idle))
        uv_idle_start(&eng->idle, idle_cb);
}

static void dequeue(bt_activity_ctx *ctx) {
    bt_engine *eng = ctx->inst->eng;
    bt_activity_ctx **pp = &eng->queue_head, *prev = NULL;
    while (*pp && *pp != ctx) {
        prev = *pp;
        pp = &(*pp)->queue_next;
    }
    if (!*pp) return;
    *pp = ctx->queue_next;
    if (eng->queue_tail == ctx) eng->queue_tail = prev;
    ctx->queue_next = NULL;
}

/* ---- engine ----------------------------------------------------------- */

int bt_engine_new(uv_loop_t *loop, const bt_engine_hooks *hooks,
                  bt_engine **out) {
    bt_engine *eng = bt_xcalloc(1, sizeof *eng);
    eng->loop = loop;
    if (hooks) eng->hooks = *hooks;
    uv_idle_init(loop, &eng->idle);
    /* The idle handle is active only while work is queued, and then it
     * must keep the loop alive and polling without blocking. */
    eng->idle.data = eng;
    *out = eng;
    return 0;
}

static void engine_closed(uv_handle_t *h) { free(h->data); }

void bt_engine_free(bt_engine *eng) {
    if (!eng) return;
    assert(eng->running == 0);
    eng->closing = true;
    uv_close((uv_handle_t *)&eng->idle, engine_closed);
}

size_t bt_engine_running(const bt_engine *eng) { return eng->running; }

uv_loop_t *bt__engine_loop(const bt_engine *eng) { return eng->loop; }

bt_expand_env bt__instance_env(const bt_instance *inst,
                               const bt_frame *frame) {
    bt_expand_env env = {frame, inst->eng->hooks.var_lookup,
                         inst->eng->hooks.ud};
    return env;
}

/* ---- parameters ------------------------------------------------------- */

static int check_params(const bt_runbook *rb, const bt_param_value *params,
                        size_t n, bt_row **out, bt_error *err) {
    for (size_t i = 0; i < n; i++)
        if (!bt_runbook_param(rb, params[i].name))
            return bt_error_set(err, BT_EINVAL,
                                "runbook '%s' has no parameter '%s'",
                                rb->name, params[i].name);
    bt_row *row = bt_row_new();
    for (size_t j = 0; j < rb->n_params; j++) {
        const bt_param_def *pd = &rb->params[j];
        const char *v = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(params[i].name, pd->name) == 0) v = params[i].value;
        if (!v && pd->has_default) v = pd->default_value;
        if (!v && pd->required) {
            bt_row_unref(row);
            return bt_error_set(err, BT_EINVAL,
                                "parameter '%s' is required", pd->name);
        }
        if (!v) v = "";
        /* An empty value is "not given" for an optional parameter. */
        if (*v && bt_param_check(pd, v, err) != 0) {
            bt_row_unref(row);
            return -BT_EINVAL;
        }
        bt_row_set(row, pd->name, v);
    }
    *out = row;
    return 0;
}

/* ---- instances -------------------------------------------------------- */

bool bt__is_start(const bt_runbook *rb, const bt_activity_def *def) {
    for (size_t i = 0; i < def->n_links_in; i++)
        if (rb->links[def->links_in[i]].loop_guard == 0) return false;
    return true;
}

int bt_engine_start(bt_engine *eng, const bt_runbook *rb,
                    const bt_param_value *params, size_t n_params,
                    void *user_data, bt_instance **out, bt_error *err) {
    bt_instance *inst;
    int rc = bt__instance_new(eng, rb, params, n_params, user_data, &inst,
                              err);
    if (rc) return rc;
    /* Count the start activities before queuing any, so that a start
     * activity finishing early cannot make the instance look done. */
    inst->active++;
    for (size_t i = 0; i < rb->n_activities; i++)
        if (bt__is_start(rb, &rb->activities[i]))
            bt__instance_activate(inst, &rb->activities[i], NULL,
                                  (bt_trigger){0, 0});
    inst->active--;
    if (out) *out = inst;
    bt__instance_maybe_finish(inst);
    return 0;
}

int bt__instance_new(bt_engine *eng, const bt_runbook *rb,
                     const bt_param_value *params, size_t n_params,
                     void *user_data, bt_instance **out, bt_error *err) {
    bt_row *param_row = NULL;
    int rc = check_params(rb, params, n_params, &param_row, err);
    if (rc) return rc;
    bt_instance *inst = bt_xcalloc(1, sizeof *inst);
    inst->eng = eng;
    inst->rb = rb;
    inst->user_data = user_data;
    inst->params = param_row;
    inst->returned = bt_row_new();
    inst->result = BT_RESULT_SUCCESS;
    inst->active_per_activity =
        bt_xcalloc(rb->n_activities, sizeof *inst->active_per_activity);
    inst->link_fired = bt_xcalloc(rb->n_links, sizeof *inst->link_fired);
    inst->junctions = bt__junctions_new(rb);
    eng->running++;
    *out = inst;
    return 0;
}

static void worst(bt_result *acc, bt_result r) {
    if (r > *acc) *acc = r;
}

void bt__instance_maybe_finish(bt_instance *inst) {
    if (inst->done || inst->replay) return;
    /* A junction may fire as soon as nothing upstream of it is alive. */
    bt__junctions_settle(inst);
    if (inst->active) return;
    inst->done = true;
    if (inst->canceled) inst->result = BT_RESULT_FAILED;
    inst->eng->running--;
    if (inst->eng->hooks.instance_finished)
        inst->eng->hooks.instance_finished(inst, inst->eng->hooks.ud);
}

void bt__instance_activate(bt_instance *inst, const bt_activity_def *def,
                           bt_frame *frame, bt_trigger trigger) {
    bt__activate(inst, def, frame, trigger, 1, 0);
}

void bt_instance_cancel(bt_instance *inst) {
    if (inst->done || inst->canceled) return;
    inst->canceled = true;
    bt__junctions_drop(inst);
    /* Copy first: cancel callbacks may complete a context synchronously,
     * which unlinks it from the list we are walking. */
    size_t n = 0;
    for (bt_activity_ctx *c = inst->ctx_list; c; c = c->inst_next) n++;
    bt_activity_ctx **all = bt_xcalloc(n ? n : 1, sizeof *all);
    n = 0;
    for (bt_activity_ctx *c = inst->ctx_list; c; c = c->inst_next)
        all[n++] = c;
    for (size_t i = 0; i < n; i++) {
        bt_activity_ctx *c = all[i];
        c->canceled = true;
        if (c->state == BT_CTX_QUEUED) {
            dequeue(c);
            bt__ctx_free(c);
        } else if (c->state == BT_CTX_DELAYED) {
            bt__ctx_free(c); /* stops the retry timer */
        } else if (c->state == BT_CTX_RUNNING &&
                   c->def->type->mode == BT_EXEC_ASYNC &&
                   c->def->type->cancel) {
            c->def->type->cancel(c);
        }
    }
    free(all);
    bt__instance_maybe_finish(inst);
}

bool bt_instance_done(const bt_instance *inst) { return inst->done; }
bool bt_instance_canceled(const bt_instance *inst) { return inst->canceled; }
bt_result bt_instance_result(const bt_instance *inst) { return inst->result; }
const bt_runbook *bt_instance_runbook(const bt_instance *inst) {
    return inst->rb;
}
void *bt_instance_user_data(const bt_instance *inst) {
    return inst->user_data;
}
void bt_instance_set_user_data(bt_instance *inst, void *user_data) {
    inst->user_data = user_data;
}
bool bt_instance_triggered(const bt_instance *inst) {
    return inst->triggered;
}
size_t bt_instance_record_count(const bt_instance *inst) {
    return inst->n_records;
}
const bt_activity_record *bt_instance_record_at(const bt_instance *inst,
                                                size_t i) {
    return i < inst->n_records ? inst->records[i] : NULL;
}
const bt_row *bt_instance_returned(const bt_instance *inst) {
    return inst->returned;
}
const bt_row *bt_instance_params(const bt_instance *inst) {
    return inst->params;
}

void bt__record_free(bt_activity_record *rec) {
    for (size_t i = 0; i < rec->n_rows; i++) bt_row_unref(rec->rows[i]);
    free(rec->rows);
    free(rec->error);
    free(rec);
}

void bt_instance_free(bt_instance *inst) {
    if (!inst) return;
    assert(inst->done);
    for (size_t i = 0; i < inst->n_records; i++)
        bt__record_free(inst->records[i]);
    free(inst->records);
    bt_row_unref(inst->params);
    bt_row_unref(inst->returned);
    free(inst->active_per_activity);
    free(inst->link_fired);
    bt__junctions_free(inst->junctions);
    free(inst);
}

/* ---- running one activity instance ------------------------------------ */

static void ctx_finished(bt_activity_ctx *ctx);

static void timeout_cb(uv_timer_t *t) {
    bt_activity_ctx *ctx = t->data;
    /* Only a flag here: a blocking activity may be writing its own error
     * on a pool thread right now. ctx_finished turns it into the result. */
    ctx->timed_out = true;
    ctx->canceled = true; /* a blocking activity may check it and stop */
    if (ctx->def->type->mode == BT_EXEC_ASYNC && ctx->def->type->cancel)
        ctx->def->type->cancel(ctx);
}

static void work_cb(uv_work_t *w) {
    bt_activity_ctx *ctx = w->data;
    ctx->def->type->run(ctx);
}

static void after_work_cb(uv_work_t *w, int status) {
    bt_activity_ctx *ctx = w->data;
    (void)status;
    ctx_finished(ctx);
}

static void ctx_run(bt_activity_ctx *ctx) {
    bt_instance *inst = ctx->inst;
    if (inst->canceled) {
        bt__ctx_free(ctx);
        bt__instance_maybe_finish(inst);
        return;
    }
    ctx->state = BT_CTX_RUNNING;
    ctx->start_us = bt_now_us();
    ctx->start_mono = bt_mono_us();
    const bt_activity_type *type = ctx->def->type;
    if (type->mode != BT_EXEC_INLINE && ctx->def->timeout_ms) {
        bt__ctx_timer(ctx);
        uv_timer_start(&ctx->timer, timeout_cb, ctx->def->timeout_ms, 0);
    }
    switch (type->mode) {
    case BT_EXEC_INLINE:
        type->run(ctx);
        ctx_finished(ctx);
        break;
    case BT_EXEC_BLOCKING:
        ctx->work.data = ctx;
        uv_queue_work(inst->eng->loop, &ctx->work, work_cb, after_work_cb);
        break;
    case BT_EXEC_ASYNC:
        ctx->in_run = true;
        int rc = type->run(ctx);
        ctx->in_run = false;
        if (rc < 0 && !ctx->completed) {
            if (!ctx->error) bt_act_fail(ctx, "%s", bt_strerror(rc));
            ctx->completed = true;
            ctx_finished(ctx);
        } else if (ctx->completed) {
            ctx_finished(ctx);
        }
        break;
    }
}

/* A monitor fired: its rows become the first activity instance of a new
 * runbook instance, which the engine then runs like any other. The monitor
 * itself keeps running in its own instance. */
void bt_act_trigger(bt_activity_ctx *ctx) {
    bt_instance *monitor = ctx->inst;
    assert(ctx->def->type->monitor);
    if (monitor->canceled || ctx->canceled) return;
    ctx->triggers++;
    /* Same parameters as the monitor's instance (checked when it
     * started, so this cannot fail). */
    const bt_row *p = monitor->params;
    bt_param_value *pv = bt_xcalloc(p->count + 1, sizeof *pv);
    for (size_t i = 0; i < p->count; i++)
        pv[i] = (bt_param_value){p->names[i], p->values[i]};
    bt_instance *inst = NULL;
    int rc = bt__instance_new(monitor->eng, monitor->rb, pv, p->count,
                              monitor->user_data, &inst, NULL);
    free(pv);
    assert(rc == 0);
    (void)rc;
    inst->triggered = true;
    const bt_engine_hooks *h = &monitor->eng->hooks;
    if (h->instance_triggered) h->instance_triggered(inst, monitor, h->ud);
    bt_activity_ctx *fired =
        bt__ctx_new(inst, ctx->def, ctx->frame, ctx->trigger, 1);
    fired->rows = ctx->rows;
    fired->n_rows = ctx->n_rows;
    fired->rows_cap = ctx->rows_cap;
    ctx->rows = NULL;
    ctx->n_rows = ctx->rows_cap = 0;
    fired->start_us = bt_now_us();
    fired->start_mono = bt_mono_us();
    fired->state = BT_CTX_RUNNING;
    ctx_finished(fired);
}

uint64_t bt_act_trigger_count(const bt_activity_ctx *ctx) {
    return ctx->triggers;
}

void bt_act_complete(bt_activity_ctx *ctx) {
    assert(!ctx->completed);
    ctx->completed = true;
    if (!ctx->in_run) ctx_finished(ctx);
}

const char *bt__flatten_separator(const bt_activity_def *def) {
    return def->flatten_separator ? def->flatten_separator : "\n";
}

/* Joins the values of every row, field by field, into one row: the
 * Orchestrator "flatten" option. */
bt_row *bt__flatten_rows(bt_row *const *rows, size_t n, const char *sep) {
    bt_row *out = bt_row_new();
    bt_buf b;
    bt_buf_init(&b, 0);
    for (size_t r = 0; r < n; r++) {
        for (size_t f = 0; f < rows[r]->count; f++) {
            const char *name = rows[r]->names[f];
            if (bt_row_get(out, name)) continue;
            bt_buf_reset(&b);
            size_t joined = 0;
            for (size_t k = 0; k < n; k++) {
                const char *v = bt_row_get(rows[k], name);
                if (!v) continue;
                if (joined++) bt_buf_appends(&b, sep);
                bt_buf_appends(&b, v);
            }
            bt_row_set(out, name, bt_buf_str(&b));
        }
    }
    bt_buf_free(&b);
    return out;
}

static void add_common_fields(bt_activity_ctx *ctx, bt_row *row,
                              uint64_t end_us, uint64_t dur_us) {
    char start[40], end[40];
    bt_format_time_us(ctx->start_us, start, sizeof start);
    bt_format_time_us(end_us, end, sizeof end);
    bt_row_set(row, "status", bt_result_name(ctx->result));
    bt_row_set(row, "error", ctx->error ? ctx->error : "");
    bt_row_set(row, "start_time", start);
    bt_row_set(row, "end_time", end);
    bt_row_setf(row, "duration_ms", "%.3f", dur_us / 1000.0);
    bt_row_setf(row, "attempts", "%u", ctx->attempt);
}

void bt__instance_add_record(bt_instance *inst, bt_activity_record *rec) {
    if (inst->n_records == inst->records_cap) {
        inst->records_cap = inst->records_cap ? inst->records_cap * 2 : 16;
        inst->records = bt_xrealloc(inst->records,
                                    inst->records_cap * sizeof *inst->records);
    }
    inst->records[inst->n_records++] = rec;
}

static void ctx_finished(bt_activity_ctx *ctx) {
    bt_instance *inst = ctx->inst;
    if (ctx->timer_inited) uv_timer_stop(&ctx->timer);
    ctx->state = BT_CTX_FINISHED;
    if (ctx->timed_out) {
        free(ctx->error);
        ctx->error = bt_xasprintf("timed out after %.3gs",
                                  ctx->def->timeout_ms / 1e3);
        ctx->result = BT_RESULT_FAILED;
    } else if (ctx->canceled && !ctx->error) {
        bt_act_fail(ctx, "canceled");
    }
    uint64_t end_us = bt_now_us();
    uint64_t dur_us = bt_mono_us() - ctx->start_mono;

    bt_activity_record *rec = bt_xcalloc(1, sizeof *rec);
    rec->seq = ++inst->next_seq;
    rec->activity = ctx->def->index;
    rec->def = ctx->def;
    rec->result = ctx->result;
    rec->error = ctx->error ? bt_xstrdup(ctx->error) : NULL;
    rec->attempt = ctx->attempt;
    rec->start_us = ctx->start_us;
    rec->end_us = end_us;
    rec->parent_seq = ctx->trigger.seq;
    rec->parent_row = ctx->trigger.row;
    if (ctx->no_rows && ctx->result == BT_RESULT_SUCCESS) {
        for (size_t i = 0; i < ctx->n_rows; i++) bt_row_unref(ctx->rows[i]);
        ctx->n_rows = 0;
    } else if (ctx->n_rows == 0) {
        bt__ctx_add_row(ctx);
    } else if (ctx->def->flatten && ctx->n_rows > 1) {
        bt_row *flat = bt__flatten_rows(ctx->rows, ctx->n_rows,
                                    bt__flatten_separator(ctx->def));
        for (size_t i = 0; i < ctx->n_rows; i++) bt_row_unref(ctx->rows[i]);
        ctx->rows[0] = flat;
        ctx->n_rows = 1;
    }
    for (size_t i = 0; i < ctx->n_rows; i++)
        add_common_fields(ctx, ctx->rows[i], end_us, dur_us);
    rec->rows = ctx->rows;
    rec->n_rows = ctx->n_rows;
    ctx->rows = NULL;
    ctx->n_rows = ctx->rows_cap = 0;

    bt__instance_add_record(inst, rec);
    ctx->record = rec;

    const bt_engine_hooks *h = &inst->eng->hooks;
    if (h->activity_finished)
        h->activity_finished(inst, rec, bt__ctx_resume, ctx, h->ud);
    else
        bt__ctx_resume(inst, ctx);
}

static bool retry_wanted(bt_activity_ctx *ctx, const bt_activity_record *rec) {
    const bt_retry_def *r = &ctx->def->retry;
    if (!r->enabled || ctx->canceled || ctx->inst->canceled) return false;
    if (ctx->attempt >= r->max_attempts) return false;
    if (!r->until) return rec->result != BT_RESULT_SUCCESS;
    bool done = false;
    bt_row *status = NULL;
    const bt_row *row = rec->n_rows ? rec->rows[0] : NULL;
    if (!row) {
        status = bt_row_new();
        bt_row_set(status, "status", bt_result_name(rec->result));
        row = status;
    }
    bt_frame *f = bt_frame_push(ctx->frame, ctx->def->index, (bt_row *)row);
    bt_expand_env env = bt__instance_env(ctx->inst, f);
    bt_error err;
    if (bt_cond_eval(r->until, &env, &done, &err) != 0) done = true;
    bt_frame_unref(f);
    bt_row_unref(status);
    return !done;
}

static void retry_timer_cb(uv_timer_t *t) { enqueue(t->data); }

void bt__activate(bt_instance *inst, const bt_activity_def *def,
                  bt_frame *frame, bt_trigger trigger, unsigned attempt,
                  uint64_t delay_ms) {
    if (inst->replay) {
        /* Resuming: the activation is matched against committed records
         * first, and only started if none carries it. */
        bt__replay_expect(inst, def, frame, trigger, attempt);
        return;
    }
    bt_activity_ctx *ctx = bt__ctx_new(inst, def, frame, trigger, attempt);
    if (delay_ms == 0) {
        enqueue(ctx);
        return;
    }
    ctx->state = BT_CTX_DELAYED;
    bt__ctx_timer(ctx);
    uv_timer_start(&ctx->timer, retry_timer_cb, delay_ms, 0);
}

static bool link_fires(bt_instance *inst, const bt_link_def *link,
                       bt_result result, const bt_frame *frame) {
    if (!(link->on_mask & (1u << result))) return false;
    bt_expand_env env = bt__instance_env(inst, frame);
    bt_error err;
    bool hit = link->n_include == 0;
    for (size_t i = 0; i < link->n_include && !hit; i++)
        if (bt_cond_eval(link->include[i], &env, &hit, &err) != 0) hit = false;
    for (size_t i = 0; i < link->n_exclude && hit; i++) {
        bool veto = false;
        if (bt_cond_eval(link->exclude[i], &env, &veto, &err) == 0 && veto)
            hit = false;
    }
    return hit;
}

static void follow_links(bt_activity_ctx *ctx, const bt_activity_record *rec) {
    bt_instance *inst = ctx->inst;
    const bt_runbook *rb = inst->rb;
    const bt_activity_def *def = ctx->def;
    for (size_t r = 0; r < rec->n_rows && !inst->canceled; r++) {
        bt_frame *f = bt_frame_push(ctx->frame, def->index, rec->rows[r]);
        for (size_t l = 0; l < def->n_links_out; l++) {
            size_t li = def->links_out[l];
            const bt_link_def *link = &rb->links[li];
            if (link->loop_guard && inst->link_fired[li] >= link->loop_guard)
                continue;
            if (!link_fires(inst, link, rec->result, f)) continue;
            inst->link_fired[li]++;
            const bt_activity_def *to = &rb->activities[link->to];
            if (bt__is_junction(to))
                bt__junction_arrive(inst, to, li, f,
                                    (bt_trigger){rec->seq, (uint32_t)r});
            else
                bt__instance_activate(inst, to, f,
                                      (bt_trigger){rec->seq, (uint32_t)r});
        }
        bt_frame_unref(f);
    }
}

void bt__ctx_resume(bt_instance *inst, void *token) {
    bt_activity_ctx *ctx = token;
    const bt_activity_record *rec = ctx->record;
    assert(ctx->state == BT_CTX_FINISHED);
    if (retry_wanted(ctx, rec)) {
        bt__activate(inst, ctx->def, ctx->frame, ctx->trigger,
                     ctx->attempt + 1, ctx->def->retry.delay_ms);
    } else {
        worst(&inst->result, rec->result);
        /* A monitor's links are taken by the instances it triggers, not
         * when the monitor itself stops. */
        if (!ctx->def->type->monitor || inst->triggered)
            follow_links(ctx, rec);
    }
    bt__ctx_free(ctx);
    bt__instance_maybe_finish(inst);
}
