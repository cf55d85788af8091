/* The execution engine: runs runbook instances on one libuv loop.
 *
 * An instance starts at every activity without incoming links. When an
 * activity instance finishes, the engine hands its record to the
 * activity_finished hook and waits for the hook to call resume before any
 * successor starts: that is where the store commits it. Then each outgoing
 * link is evaluated once per published row (or once for a flattened
 * activity) and every link that fires starts the target activity with the
 * path's data. */
#ifndef BT_ENGINE_H
#define BT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "engine/databus.h"
#include "runbook/runbook.h"

typedef struct bt_engine bt_engine;
typedef struct bt_instance bt_instance;

/* One activity instance: one run (one attempt) of one activity. */
typedef struct bt_activity_record {
    uint64_t seq;            /* 1, 2, ... in the order they finished */
    size_t activity;         /* index in the runbook */
    const bt_activity_def *def;
    bt_result result;
    char *error;             /* NULL on success */
    unsigned attempt;        /* 1-based loop attempt */
    uint64_t start_us, end_us; /* wall clock */
    bt_row **rows;           /* published rows (with common fields) */
    size_t n_rows;
    uint64_t parent_seq;     /* record whose row triggered this; 0: start */
    uint32_t parent_row;     /* which row of that record (0-based) */
} bt_activity_record;

typedef void (*bt_resume_fn)(bt_instance *inst, void *token);

typedef struct bt_engine_hooks {
    /* Called when an activity instance has finished. Call resume(inst,
     * token) once it is stored (synchronously is fine). NULL: resume at
     * once. */
    void (*activity_finished)(bt_instance *inst, const bt_activity_record *rec,
                              bt_resume_fn resume, void *token, void *ud);
    /* Called once when the instance has nothing left to run. */
    void (*instance_finished)(bt_instance *inst, void *ud);
    /* Monitor runbooks: a monitor activity that fires starts a new
     * instance (monitor is the instance holding the monitor activity).
     * Called before anything of the new instance runs or is reported, so
     * the store can create it; set its user data here. May be NULL. */
    void (*instance_triggered)(bt_instance *inst, bt_instance *monitor,
                               void *ud);
    bt_var_lookup_fn var_lookup; /* {var:name}; may be NULL */
    /* Counters, schedules, Invoke Runbook (activity.h); may be NULL.
     * Must outlive the engine. */
    const bt_act_services *services;
    void *ud;
} bt_engine_hooks;

int bt_engine_new(uv_loop_t *loop, const bt_engine_hooks *hooks,
                  bt_engine **out);
/* Only when no instance is running. */
void bt_engine_free(bt_engine *eng);

typedef struct bt_param_value {
    const char *name;
    const char *value;
} bt_param_value;

/* Checks parameters (unknown, missing required, wrong type), then starts
 * the instance on the loop. rb must outlive the instance. */
int bt_engine_start(bt_engine *eng, const bt_runbook *rb,
                    const bt_param_value *params, size_t n_params,
                    void *user_data, bt_instance **out, bt_error *err);
size_t bt_engine_running(const bt_engine *eng);

/* Continues an instance whose server died, from the activity instances it
 * had committed, given in any order. Records are malloc'd, with malloc'd
 * rows arrays and error strings, and must belong to rb (def ==
 * &rb->activities[activity]). On success the instance owns them; on error
 * the caller still does. Activity instances that were started but not
 * committed run again; no committed one runs twice. The hooks are not
 * called for the records given. */
int bt_engine_resume(bt_engine *eng, const bt_runbook *rb,
                     const bt_param_value *params, size_t n_params,
                     bt_activity_record **done, size_t n_done,
                     void *user_data, bt_instance **out, bt_error *err);

/* The same for an instance that a monitor's trigger had started: the
 * monitor activity's committed record (the trigger) is followed by its
 * links, as it was when the monitor fired. */
int bt_engine_resume_triggered(bt_engine *eng, const bt_runbook *rb,
                               const bt_param_value *params, size_t n_params,
                               bt_activity_record **done, size_t n_done,
                               void *user_data, bt_instance **out,
                               bt_error *err);

/* Stops running activities (kills children) and starts no new ones; the
 * instance then finishes with result failed and canceled set. */
void bt_instance_cancel(bt_instance *inst);
bool bt_instance_done(const bt_instance *inst);
bool bt_instance_canceled(const bt_instance *inst);
bt_result bt_instance_result(const bt_instance *inst);
const bt_runbook *bt_instance_runbook(const bt_instance *inst);
void *bt_instance_user_data(const bt_instance *inst);
void bt_instance_set_user_data(bt_instance *inst, void *user_data);
/* True for an instance started by a monitor's trigger. */
bool bt_instance_triggered(const bt_instance *inst);
size_t bt_instance_record_count(const bt_instance *inst);
const bt_activity_record *bt_instance_record_at(const bt_instance *inst,
                                                size_t i);
/* Return Data collected from return-data activities (may be empty). */
const bt_row *bt_instance_returned(const bt_instance *inst);
/* Parameters after defaults were applied. */
const bt_row *bt_instance_params(const bt_instance *inst);
/* Frees a finished instance. */
void bt_instance_free(bt_instance *inst);
/* The instance an activity instance belongs to (hosts use it in their
 * services, e.g. to find the invoking runbook). */
bt_instance *bt_act_instance(bt_activity_ctx *ctx);

#endif
