/* Probe results and the polling monitor (see probe.h). */
#include "activities/monitoring/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static char *vformat(const char *fmt, va_list ap) {
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    return s;
}

void bt_probe_set(bt_probe_result *r, const char *name, const char *fmt,
                  ...) {
    va_list ap;
    va_start(ap, fmt);
    char *v = vformat(fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->names[i], name)) {
            free(r->values[i]);
            r->values[i] = v;
            return;
        }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->names = bt_xrealloc(r->names, r->cap * sizeof *r->names);
        r->values = bt_xrealloc(r->values, r->cap * sizeof *r->values);
    }
    r->names[r->n] = bt_xstrdup(name);
    r->values[r->n++] = v;
}

void bt_probe_state(bt_probe_result *r, const char *state) {
    free(r->state);
    r->state = bt_xstrdup(state);
}

void bt_probe_error(bt_probe_result *r, const char *fmt, ...) {
    if (r->error) return;
    va_list ap;
    va_start(ap, fmt);
    r->error = vformat(fmt, ap);
    va_end(ap);
}

const char *bt_probe_get(const bt_probe_result *r, const char *name) {
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->names[i], name)) return r->values[i];
    return NULL;
}

void bt_probe_clear(bt_probe_result *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->state);
    free(r->error);
    memset(r, 0, sizeof *r);
}

void bt_probe_publish(bt_activity_ctx *ctx, const bt_probe_result *r) {
    for (size_t i = 0; i < r->n; i++)
        bt_act_publish(ctx, r->names[i], r->values[i]);
}

/* ---- polling monitor --------------------------------------------------- */

typedef struct pollmon {
    bt_activity_ctx *ctx;
    const bt_pollmon_cfg *c;
    uv_timer_t timer;
    uv_work_t work;
    bt_probe_result now;
    void *handle;          /* async check in flight */
    char *last_state;      /* NULL before the first check */
    const char *wanted;    /* NULL: any change */
    bool at_start;
    int64_t max_triggers;
    bool busy;             /* a check is in flight */
    bool stopping, timer_closed;
} pollmon;

static void free_pollmon(void *p) {
    pollmon *m = p;
    if (m->c->free_cfg) m->c->free_cfg(m->c->cfg);
    bt_probe_clear(&m->now);
    free(m->last_state);
    free(m);
}

/* Complete once the timer is closed and no check is in flight. */
static void maybe_complete(pollmon *m) {
    if (m->stopping && m->timer_closed && !m->busy) bt_act_complete(m->ctx);
}

static void timer_closed(uv_handle_t *h) {
    pollmon *m = h->data;
    m->timer_closed = true;
    maybe_complete(m);
}

static void stop(pollmon *m) {
    if (m->stopping) return;
    m->stopping = true;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, timer_closed);
    if (m->busy && m->handle && m->c->ops->cancel) m->c->ops->cancel(m->handle);
}

static void fire(pollmon *m) {
    char at[40];
    bt_format_time_us(bt_now_us(), at, sizeof at);
    bt_probe_publish(m->ctx, &m->now);
    bt_act_publish(m->ctx, "state", m->now.state);
    bt_act_publish(m->ctx, "previous_state",
                   m->last_state ? m->last_state : "");
    bt_act_publish(m->ctx, "triggered_at", at);
    bt_act_publishf(m->ctx, "trigger_count", "%llu",
                    (unsigned long long)bt_act_trigger_count(m->ctx) + 1);
    bt_act_trigger(m->ctx);
}

/* On the loop, after a check. Fires on an edge: the state became the
 * wanted one (or changed at all), as Orchestrator's monitors fire once per
 * event rather than on every poll while a state lasts. */
static void checked(void *ud) {
    pollmon *m = ud;
    m->busy = false;
    m->handle = NULL;
    if (m->stopping) {
        bt_probe_clear(&m->now);
        maybe_complete(m);
        return;
    }
    if (m->now.error) {
        bt_act_fail(m->ctx, "%s", m->now.error);
        bt_probe_clear(&m->now);
        stop(m);
        return;
    }
    const char *state = m->now.state ? m->now.state : "";
    if (!m->now.state) bt_probe_state(&m->now, "");
    bool changed = !m->last_state || strcmp(m->last_state, state) != 0;
    bool wanted = !m->wanted || !strcmp(m->wanted, m->now.state);
    bool go = m->last_state ? changed && wanted : m->at_start && wanted;
    if (go) fire(m);
    free(m->last_state);
    m->last_state = bt_xstrdup(m->now.state);
    bt_probe_clear(&m->now);
    if (m->max_triggers &&
        (int64_t)bt_act_trigger_count(m->ctx) >= m->max_triggers)
        stop(m);
}

static void work_cb(uv_work_t *w) {
    pollmon *m = w->data;
    m->c->ops->blocking(m->c->cfg, &m->now);
}

static void after_work_cb(uv_work_t *w, int status) {
    (void)status; /* UV_ECANCELED only: the check then never ran */
    checked(w->data);
}

static void poll_cb(uv_timer_t *t) {
    pollmon *m = t->data;
    if (m->busy || m->stopping) return; /* a slow check: skip this tick */
    m->busy = true;
    if (m->c->ops->blocking) {
        m->work.data = m;
        uv_queue_work(t->loop, &m->work, work_cb, after_work_cb);
    } else {
        m->c->ops->start(t->loop, m->c->cfg, &m->now, checked, m,
                         &m->handle);
    }
}

int bt_pollmon_start(bt_activity_ctx *ctx, const bt_pollmon_cfg *c) {
    pollmon *m = bt_xcalloc(1, sizeof *m);
    m->ctx = ctx;
    m->c = c;
    bt_act_set_state(ctx, m, free_pollmon);
    const char *on = bt_act_str(ctx, "trigger_on", c->triggers[0].name);
    const bt_pollmon_trigger *t = c->triggers;
    while (t->name && strcmp(t->name, on)) t++;
    if (!t->name) {
        char names[256] = "";
        for (const bt_pollmon_trigger *k = c->triggers; k->name; k++)
            snprintf(names + strlen(names), sizeof names - strlen(names),
                     "%s%s", k == c->triggers ? "" : ", ", k->name);
        return bt_act_fail(ctx, "%s: trigger_on '%s' is not one of %s",
                           c->type, on, names);
    }
    m->wanted = t->state;
    uint64_t interval;
    if (bt_act_duration(ctx, "interval", c->default_interval_ms, &interval) ||
        bt_act_bool(ctx, "at_start", t->at_start, &m->at_start) ||
        bt_act_int(ctx, "max_triggers", 0, &m->max_triggers))
        return -BT_EINVAL;
    if (m->max_triggers < 0)
        return bt_act_fail(ctx, "%s: max_triggers must not be negative",
                           c->type);
    if (interval == 0) interval = 1;
    uv_timer_init(bt_act_loop(ctx), &m->timer);
    m->timer.data = m;
    uv_timer_start(&m->timer, poll_cb, 0, interval);
    return 0;
}

void bt_pollmon_cancel(bt_activity_ctx *ctx) {
    pollmon *m = bt_act_state(ctx);
    if (m && m->timer.data) stop(m);
}
