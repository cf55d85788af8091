/* Checks shared by a Get activity and its Monitor: get-disk-space runs the
 * check once, monitor-disk-space runs the same check every interval and
 * fires when its state changes to the one wanted.
 *
 *   bt_probe_result  what one check found: named values (published as
 *                    they are), a state word the monitor compares between
 *                    polls ("up", "running", "low"), or an error when the
 *                    check itself could not be made.
 *   bt_pollmon_*     the monitor: a timer on the loop, the check on the
 *                    thread pool (blocking checks) or on the loop (async
 *                    ones, e.g. a systemctl child), edge detection, the
 *                    common properties and published fields, cancel.
 * Internal to src/activities (monitoring and system use it). */
#ifndef BT_ACTIVITIES_MONITORING_PROBE_H
#define BT_ACTIVITIES_MONITORING_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "baton/activity.h"

typedef struct bt_probe_result {
    size_t n, cap;
    char **names, **values;
    char *state; /* NULL until set */
    char *error; /* NULL unless the check could not be made */
} bt_probe_result;

/* Sets (or replaces) a value. */
void bt_probe_set(bt_probe_result *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bt_probe_state(bt_probe_result *r, const char *state);
/* The first error wins. */
void bt_probe_error(bt_probe_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *bt_probe_get(const bt_probe_result *r, const char *name);
void bt_probe_clear(bt_probe_result *r);
/* Publishes every value into the current row. */
void bt_probe_publish(bt_activity_ctx *ctx, const bt_probe_result *r);

typedef void (*bt_probe_done_fn)(void *ud);

typedef struct bt_probe_ops {
    /* Exactly one of blocking / start. blocking runs on the thread pool
     * and must not touch the loop or the activity. */
    void (*blocking)(const void *cfg, bt_probe_result *r);
    /* Starts the check on the loop; calls done(ud) exactly once, later
     * (never from inside start), after filling r. */
    void (*start)(uv_loop_t *loop, const void *cfg, bt_probe_result *r,
                  bt_probe_done_fn done, void *ud, void **handle);
    /* Async only: stop a running check early; done is still called. */
    void (*cancel)(void *handle);
} bt_probe_ops;

/* One choice of a monitor's trigger_on property. */
typedef struct bt_pollmon_trigger {
    const char *name;  /* "down" */
    const char *state; /* the state that fires; NULL: any change */
    bool at_start;     /* default of at_start for this choice */
} bt_pollmon_trigger;

typedef struct bt_pollmon_cfg {
    const char *type; /* "monitor-disk-space", for messages */
    const bt_probe_ops *ops;
    const void *cfg; /* the check's configuration; lives in the arena */
    /* Choices of trigger_on; the first is the default. NULL-name ended. */
    const bt_pollmon_trigger *triggers;
    uint64_t default_interval_ms;
    /* Optional: releases what cfg holds besides arena memory (a compiled
     * regex), when the monitor is done. */
    void (*free_cfg)(const void *cfg);
} bt_pollmon_cfg;

/* Reads interval, max_triggers, trigger_on and at_start, and starts
 * polling (the first check runs at once). c must live in the arena.
 * Returns 0, or -BT_EINVAL after failing the activity. */
int bt_pollmon_start(bt_activity_ctx *ctx, const bt_pollmon_cfg *c);
/* The cancel entry of every polling monitor. */
void bt_pollmon_cancel(bt_activity_ctx *ctx);

/* Property specs of every polling monitor (trigger_on is the activity's
 * own, with its choices). */
#define BT_POLLMON_PROPS(dflt_interval)                                      \
    {"interval", BT_PROP_DURATION, false, dflt_interval,                    \
     "How often to check.", NULL},                                          \
    {"at_start", BT_PROP_BOOLEAN, false, "see trigger_on",                  \
     "Fire at the first check when the state already is the wanted one "   \
     "(with trigger_on: change, fire once with the first state).", NULL},  \
    {"max_triggers", BT_PROP_INTEGER, false, "0 (until stopped)",          \
     "Stop after this many triggers.", NULL}

/* Fields every polling monitor publishes besides its check's. */
#define BT_POLLMON_PUBLISHED \
    "state", "previous_state", "triggered_at", "trigger_count"

#endif
