/* Monitor Date/Time: starts a new runbook instance at an interval or at
 * given times of day. Orchestrator's version offers "every N seconds /
 * minutes / hours / days" and "at a time" with a day filter; so does this,
 * on a libuv timer, so thousands of monitors cost one timer each. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "baton/activity.h"
#include "common/util.h"
#include "runbook/runbook.h"

#define MAX_TIMES 64

typedef struct monitor {
    bt_activity_ctx *ctx;
    uv_timer_t timer;
    uint64_t interval_ms;  /* interval mode; 0 in time-of-day mode */
    int times[MAX_TIMES];  /* minutes after midnight, time-of-day mode */
    size_t n_times;
    unsigned days;         /* bit per weekday (0 = Sunday); 0: every day */
    bool utc;
    int64_t max_triggers;  /* 0: until canceled */
    uint64_t due_us;       /* when the pending fire was scheduled for */
} monitor;

static const char *const day_names[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static int parse_time(const char *s, int *minutes) {
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 ||
        m < 0 || m > 59)
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

static int parse_day(const char *s) {
    for (int d = 0; d < 7; d++)
        if (strncasecmp(s, day_names[d], 3) == 0) return d;
    return -1;
}

/* The next wall-clock time strictly after now_us that matches the times
 * and days, in microseconds. */
static uint64_t next_time_of_day(const monitor *m, uint64_t now_us) {
    time_t now = (time_t)(now_us / 1000000u);
    struct tm tm;
    for (int day = 0; day <= 7; day++) {
        time_t probe = now + (time_t)day * 86400;
        if (m->utc)
            gmtime_r(&probe, &tm);
        else
            localtime_r(&probe, &tm);
        if (m->days && !(m->days & (1u << tm.tm_wday))) continue;
        time_t best = 0;
        for (size_t i = 0; i < m->n_times; i++) {
            struct tm at = tm;
            at.tm_hour = m->times[i] / 60;
            at.tm_min = m->times[i] % 60;
            at.tm_sec = 0;
            at.tm_isdst = -1;
            time_t t = m->utc ? timegm(&at) : mktime(&at);
            if (t > now && (!best || t < best)) best = t;
        }
        if (best) return (uint64_t)best * 1000000u;
    }
    return now_us + 86400ull * 1000000u; /* no match: look again tomorrow */
}

static void arm(monitor *m);

/* The activity completes only once the timer is closed: its memory is
 * freed with the activity's state. */
static void closed(uv_handle_t *h) {
    monitor *m = h->data;
    bt_act_complete(m->ctx);
}

static void stop(monitor *m) {
    if (uv_is_closing((uv_handle_t *)&m->timer)) return;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, closed);
}

static void fire(uv_timer_t *t) {
    monitor *m = t->data;
    char at[40], due[40];
    bt_format_time_us(bt_now_us(), at, sizeof at);
    bt_format_time_us(m->due_us, due, sizeof due);
    bt_act_publish(m->ctx, "triggered_at", at);
    bt_act_publish(m->ctx, "scheduled_for", due);
    bt_act_publishf(m->ctx, "trigger_count", "%llu",
                    (unsigned long long)bt_act_trigger_count(m->ctx) + 1);
    bt_act_trigger(m->ctx);
    if (m->max_triggers &&
        (int64_t)bt_act_trigger_count(m->ctx) >= m->max_triggers) {
        stop(m);
        return;
    }
    arm(m);
}

static void arm(monitor *m) {
    uint64_t now = bt_now_us();
    uint64_t delay_ms;
    if (m->interval_ms) {
        delay_ms = m->interval_ms;
        m->due_us = now + delay_ms * 1000u;
    } else {
        m->due_us = next_time_of_day(m, now);
        delay_ms = (m->due_us - now + 999) / 1000;
    }
    uv_timer_start(&m->timer, fire, delay_ms, 0);
}

static void free_monitor(void *p) { free(p); }

static int run(bt_activity_ctx *ctx) {
    monitor *m = bt_xcalloc(1, sizeof *m);
    m->ctx = ctx;
    bt_act_set_state(ctx, m, free_monitor);
    bool immediately = false;
    if (bt_act_duration(ctx, "interval", 0, &m->interval_ms) ||
        bt_act_int(ctx, "max_triggers", 0, &m->max_triggers) ||
        bt_act_bool(ctx, "start_immediately", false, &immediately))
        return -BT_EINVAL;
    const char *tz = bt_act_str(ctx, "timezone", "local");
    m->utc = strcmp(tz, "utc") == 0 || strcmp(tz, "UTC") == 0;
    const char *const *items;
    size_t n = bt_act_list(ctx, "at", &items);
    for (size_t i = 0; i < n && i < MAX_TIMES; i++)
        if (parse_time(items[i], &m->times[m->n_times++]) != 0)
            return bt_act_fail(ctx, "monitor-datetime: '%s' is not a time "
                                    "of day such as 07:30", items[i]);
    n = bt_act_list(ctx, "days", &items);
    for (size_t i = 0; i < n; i++) {
        int d = parse_day(items[i]);
        if (d < 0)
            return bt_act_fail(ctx, "monitor-datetime: '%s' is not a day "
                                    "of the week", items[i]);
        m->days |= 1u << d;
    }
    if (!m->interval_ms == !m->n_times)
        return bt_act_fail(ctx, "monitor-datetime: set either 'interval' or "
                                "'at'");
    uv_timer_init(bt_act_loop(ctx), &m->timer);
    m->timer.data = m;
    if (immediately) {
        m->due_us = bt_now_us();
        uv_timer_start(&m->timer, fire, 0, 0);
    } else {
        arm(m);
    }
    return 0;
}

static void cancel(bt_activity_ctx *ctx) {
    monitor *m = bt_act_state(ctx);
    if (m && m->timer.data) stop(m);
}

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    const bt_node *p = def->properties;
    bool interval = bt_node_get(p, "interval") != NULL;
    bool at = bt_node_get(p, "at") != NULL;
    if (interval == at)
        return bt_diags_add(diags, BT_EINVAL, rb->file, def->line,
                            def->column,
                            "monitor-datetime '%s': set either 'interval' "
                            "or 'at', not %s",
                            def->id, interval ? "both" : "neither");
    const bt_node *list = bt_node_get(p, "at");
    for (size_t i = 0; list && list->kind == BT_NODE_SEQ && i < list->count;
         i++) {
        int minutes;
        const bt_node *it = list->items[i];
        if (it->kind == BT_NODE_SCALAR && !strchr(it->str, '{') &&
            parse_time(it->str, &minutes) != 0)
            return bt_diags_add(diags, BT_EINVAL, rb->file, it->line,
                                it->column,
                                "monitor-datetime '%s': '%s' is not a time "
                                "of day such as 07:30",
                                def->id, it->str);
    }
    list = bt_node_get(p, "days");
    for (size_t i = 0; list && list->kind == BT_NODE_SEQ && i < list->count;
         i++) {
        const bt_node *it = list->items[i];
        if (it->kind == BT_NODE_SCALAR && parse_day(it->str) < 0)
            return bt_diags_add(diags, BT_EINVAL, rb->file, it->line,
                                it->column,
                                "monitor-datetime '%s': '%s' is not a day of "
                                "the week (mon, tue, ...)",
                                def->id, it->str);
    }
    return 0;
}

static const char *const timezones[] = {"local", "utc", NULL};

static const bt_prop_spec props[] = {
    {"interval", BT_PROP_DURATION, false, NULL,
     "Fire every this long (e.g. 30s, 5m, 1h).", NULL},
    {"at", BT_PROP_LIST, false, NULL,
     "Fire at these times of day (HH:MM).", NULL},
    {"days", BT_PROP_LIST, false, "every day",
     "With 'at': only on these weekdays (mon, tue, ...).", NULL},
    {"timezone", BT_PROP_STRING, false, "local",
     "Time zone of 'at': local or utc.", timezones},
    {"start_immediately", BT_PROP_BOOLEAN, false, "false",
     "With 'interval': fire once as soon as the monitor starts.", NULL},
    {"max_triggers", BT_PROP_INTEGER, false, "0 (until stopped)",
     "Stop after this many triggers.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {"triggered_at", "scheduled_for",
                                        "trigger_count", NULL};

const bt_activity_type bt_activity_monitor_datetime = {
    .name = "monitor-datetime",
    .title = "Monitor Date/Time",
    .category = "scheduling",
    .description = "Starts a new runbook instance at an interval or at "
                   "times of day.",
    .mode = BT_EXEC_ASYNC,
    .props = props,
    .published = published,
    .check = check,
    .run = run,
    .cancel = cancel,
    .monitor = true,
};
