/* Get Counter, Modify Counter and Monitor Counter: Orchestrator's global
 * counters, kept by the host (the store on a runbook server, memory in the
 * Runbook Tester) and reached through its services. Counter operations are
 * single short store calls made on the loop, so get and modify are inline;
 * the monitor polls on a libuv timer. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "activities/host_services.h"
#include "baton/activity.h"
#include "common/util.h"
#include "runbook/runbook.h"

#define COUNTER_STORE "counter store"

/* ---- get-counter ------------------------------------------------------- */

static int get_run(bt_activity_ctx *ctx) {
    const bt_act_services *s =
        BT_NEED_SERVICE(ctx, "get-counter", counter_get, COUNTER_STORE);
    if (!s) return -BT_EINVAL;
    const char *name = bt_act_str(ctx, "counter", "");
    if (!*name) return bt_act_fail(ctx, "get-counter: 'counter' is empty");
    int64_t value;
    bt_error err = {0};
    if (s->counter_get(s->ud, name, &value, &err) != 0)
        return bt_act_fail(ctx, "get-counter: %s", err.message);
    bt_act_publish(ctx, "counter", name);
    bt_act_publishf(ctx, "value", "%lld", (long long)value);
    return 0;
}

static const bt_prop_spec get_props[] = {
    {"counter", BT_PROP_STRING, true, NULL, "The counter's name.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const get_published[] = {"counter", "value", NULL};

const bt_activity_type bt_activity_get_counter = {
    .name = "get-counter",
    .title = "Get Counter",
    .category = "utility",
    .description = "Publishes the current value of a global counter.",
    .mode = BT_EXEC_INLINE,
    .props = get_props,
    .published = get_published,
    .run = get_run,
};

/* ---- modify-counter ---------------------------------------------------- */

static const char *const actions[] = {"set", "add", "subtract", "reset",
                                      NULL};

static int modify_run(bt_activity_ctx *ctx) {
    const char *action = bt_act_str(ctx, "action", "add");
    bool is_set = !strcmp(action, "set") || !strcmp(action, "reset");
    const bt_act_services *s =
        is_set ? BT_NEED_SERVICE(ctx, "modify-counter", counter_set,
                                 COUNTER_STORE)
               : BT_NEED_SERVICE(ctx, "modify-counter", counter_add,
                                 COUNTER_STORE);
    if (!s) return -BT_EINVAL;
    const char *name = bt_act_str(ctx, "counter", "");
    if (!*name) return bt_act_fail(ctx, "modify-counter: 'counter' is empty");
    int64_t value;
    /* Orchestrator adds and subtracts 1 when no value is given. */
    int64_t dflt = !strcmp(action, "add") || !strcmp(action, "subtract");
    if (bt_act_int(ctx, "value", dflt, &value)) return -BT_EINVAL;
    bt_error err = {0};
    int rc;
    int64_t now = value;
    if (!strcmp(action, "reset")) {
        now = 0;
        rc = s->counter_set(s->ud, name, 0, &err);
    } else if (!strcmp(action, "set")) {
        if (!bt_act_has(ctx, "value"))
            return bt_act_fail(ctx, "modify-counter: action 'set' needs "
                                    "'value'");
        rc = s->counter_set(s->ud, name, value, &err);
    } else if (!strcmp(action, "add") || !strcmp(action, "subtract")) {
        if (!strcmp(action, "subtract")) {
            if (value == INT64_MIN)
                return bt_act_fail(ctx, "modify-counter: cannot subtract "
                                        "%lld", (long long)value);
            value = -value;
        }
        rc = s->counter_add(s->ud, name, value, &now, &err);
        if (rc == -BT_ENOTFOUND)
            return bt_act_fail(ctx,
                               "modify-counter: %s (create it first with "
                               "action: set)",
                               err.message);
    } else {
        return bt_act_fail(ctx,
                           "modify-counter: action '%s' is not one of set, "
                           "add, subtract, reset",
                           action);
    }
    if (rc != 0) return bt_act_fail(ctx, "modify-counter: %s", err.message);
    bt_act_publish(ctx, "counter", name);
    bt_act_publishf(ctx, "value", "%lld", (long long)now);
    return 0;
}

/* Literal text of property name, or NULL (absent or holding references). */
static const char *literal_prop(const bt_activity_def *def, const char *name) {
    const bt_node *n = bt_node_get(def->properties, name);
    return n && n->kind == BT_NODE_SCALAR && !strchr(n->str, '{') ? n->str
                                                                  : NULL;
}

static int modify_check(const bt_activity_def *def, const bt_runbook *rb,
                        bt_diags *diags) {
    const char *action = literal_prop(def, "action");
    if (action && !strcmp(action, "set") &&
        !bt_node_get(def->properties, "value"))
        return bt_diags_add(diags, BT_EINVAL, rb->file, def->line,
                            def->column,
                            "modify-counter '%s': action 'set' needs 'value'",
                            def->id);
    return 0;
}

static const bt_prop_spec modify_props[] = {
    {"counter", BT_PROP_STRING, true, NULL, "The counter's name.", NULL},
    {"action", BT_PROP_STRING, false, "add",
     "set, add, subtract or reset (to 0).", actions},
    {"value", BT_PROP_INTEGER, false, "1 for add and subtract",
     "The value to set, add or subtract.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

const bt_activity_type bt_activity_modify_counter = {
    .name = "modify-counter",
    .title = "Modify Counter",
    .category = "utility",
    .description = "Sets, increments, decrements or resets a global "
                   "counter and publishes its new value.",
    .mode = BT_EXEC_INLINE,
    .props = modify_props,
    .published = get_published,
    .check = modify_check,
    .run = modify_run,
};

/* ---- monitor-counter --------------------------------------------------- */

typedef enum { OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE, OP_CHANGED } op;

static const char *const op_names[] = {"==", "!=", ">", ">=",
                                       "<",  "<=", "changed", NULL};

typedef struct counter_monitor {
    bt_activity_ctx *ctx;
    const bt_act_services *s;
    uv_timer_t timer;
    const char *name;
    op cmp;
    int64_t value;
    int64_t max_triggers;
    bool matched;     /* the condition held at the last poll */
    bool have_last;   /* "changed": a value has been seen */
    int64_t last;
} counter_monitor;

static bool holds(const counter_monitor *m, int64_t v) {
    switch (m->cmp) {
    case OP_EQ: return v == m->value;
    case OP_NE: return v != m->value;
    case OP_GT: return v > m->value;
    case OP_GE: return v >= m->value;
    case OP_LT: return v < m->value;
    case OP_LE: return v <= m->value;
    case OP_CHANGED: return m->have_last && v != m->last;
    }
    return false;
}

static void monitor_closed(uv_handle_t *h) {
    counter_monitor *m = h->data;
    bt_act_complete(m->ctx);
}

static void monitor_stop(counter_monitor *m) {
    if (uv_is_closing((uv_handle_t *)&m->timer)) return;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, monitor_closed);
}

/* Fires on the poll where the condition starts to hold (an edge), as
 * Orchestrator's monitors fire once per event rather than on every poll
 * while a state lasts. "changed" fires on every change. */
static void poll_counter(uv_timer_t *t) {
    counter_monitor *m = t->data;
    int64_t v;
    bt_error err = {0};
    int rc = m->s->counter_get(m->s->ud, m->name, &v, &err);
    if (rc == -BT_ENOTFOUND) {
        m->matched = false; /* may be created later */
        return;
    }
    if (rc != 0) {
        bt_act_fail(m->ctx, "monitor-counter: %s", err.message);
        monitor_stop(m);
        return;
    }
    bool now = holds(m, v);
    bool fire = now && (m->cmp == OP_CHANGED || !m->matched);
    m->matched = now;
    m->have_last = true;
    int64_t before = m->last;
    m->last = v;
    if (!fire) return;
    char at[40];
    bt_format_time_us(bt_now_us(), at, sizeof at);
    bt_act_publish(m->ctx, "counter", m->name);
    bt_act_publishf(m->ctx, "value", "%lld", (long long)v);
    if (m->cmp == OP_CHANGED)
        bt_act_publishf(m->ctx, "previous", "%lld", (long long)before);
    bt_act_publish(m->ctx, "triggered_at", at);
    bt_act_publishf(m->ctx, "trigger_count", "%llu",
                    (unsigned long long)bt_act_trigger_count(m->ctx) + 1);
    bt_act_trigger(m->ctx);
    if (m->max_triggers &&
        (int64_t)bt_act_trigger_count(m->ctx) >= m->max_triggers)
        monitor_stop(m);
}

static void free_monitor(void *p) { free(p); }

static int monitor_run(bt_activity_ctx *ctx) {
    const bt_act_services *s =
        BT_NEED_SERVICE(ctx, "monitor-counter", counter_get, COUNTER_STORE);
    if (!s) return -BT_EINVAL;
    counter_monitor *m = bt_xcalloc(1, sizeof *m);
    m->ctx = ctx;
    m->s = s;
    bt_act_set_state(ctx, m, free_monitor);
    uint64_t interval;
    m->name = bt_act_str(ctx, "counter", "");
    const char *cmp = bt_act_str(ctx, "condition", "changed");
    if (bt_act_duration(ctx, "interval", 5000, &interval) ||
        bt_act_int(ctx, "value", 0, &m->value) ||
        bt_act_int(ctx, "max_triggers", 0, &m->max_triggers))
        return -BT_EINVAL;
    if (!*m->name)
        return bt_act_fail(ctx, "monitor-counter: 'counter' is empty");
    size_t i = 0;
    while (op_names[i] && strcmp(op_names[i], cmp)) i++;
    if (!op_names[i])
        return bt_act_fail(ctx,
                           "monitor-counter: condition '%s' is not one of "
                           "==, !=, >, >=, <, <=, changed",
                           cmp);
    m->cmp = (op)i;
    if (m->cmp != OP_CHANGED && !bt_act_has(ctx, "value"))
        return bt_act_fail(ctx, "monitor-counter: condition '%s' needs "
                                "'value'", cmp);
    if (interval == 0) interval = 1;
    uv_timer_init(bt_act_loop(ctx), &m->timer);
    m->timer.data = m;
    uv_timer_start(&m->timer, poll_counter, 0, interval);
    return 0;
}

static void monitor_cancel(bt_activity_ctx *ctx) {
    counter_monitor *m = bt_act_state(ctx);
    if (m && m->timer.data) monitor_stop(m);
}

static int monitor_check(const bt_activity_def *def, const bt_runbook *rb,
                         bt_diags *diags) {
    const char *cmp = literal_prop(def, "condition");
    if (cmp && strcmp(cmp, "changed") &&
        !bt_node_get(def->properties, "value"))
        return bt_diags_add(diags, BT_EINVAL, rb->file, def->line,
                            def->column,
                            "monitor-counter '%s': condition '%s' needs "
                            "'value'",
                            def->id, cmp);
    return 0;
}

static const bt_prop_spec monitor_props[] = {
    {"counter", BT_PROP_STRING, true, NULL, "The counter's name.", NULL},
    {"condition", BT_PROP_STRING, false, "changed",
     "==, !=, >, >=, <, <= (against 'value'), or changed.", op_names},
    {"value", BT_PROP_INTEGER, false, NULL,
     "The value the condition compares with.", NULL},
    {"interval", BT_PROP_DURATION, false, "5s", "How often to look.", NULL},
    {"max_triggers", BT_PROP_INTEGER, false, "0 (until stopped)",
     "Stop after this many triggers.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const monitor_published[] = {
    "counter", "value", "previous", "triggered_at", "trigger_count", NULL};

const bt_activity_type bt_activity_monitor_counter = {
    .name = "monitor-counter",
    .title = "Monitor Counter",
    .category = "utility",
    .description = "Starts a new runbook instance when a global counter "
                   "changes or starts to meet a condition.",
    .mode = BT_EXEC_ASYNC,
    .props = monitor_props,
    .published = monitor_published,
    .check = monitor_check,
    .run = monitor_run,
    .cancel = monitor_cancel,
    .monitor = true,
};
