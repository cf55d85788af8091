/* The activity interface: what an activity type declares and the calls it
 * makes while it runs. Built-in activities and integration packs use the
 * same interface.
 *
 * An activity runs in one of three modes:
 *   BT_EXEC_INLINE   run() is quick and non-blocking; runs on the loop.
 *   BT_EXEC_BLOCKING run() may block (file I/O, libraries); the engine runs
 *                    it on the libuv thread pool. It must not touch the loop.
 *   BT_EXEC_ASYNC    run() starts work on the loop (child processes, timers) and
 *                    returns; the activity calls bt_act_complete() later.
 * For INLINE and BLOCKING the activity is complete when run() returns.
 * The result is success unless bt_act_fail() or bt_act_warn() was called. */
#ifndef BATON_ACTIVITY_H
#define BATON_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uv_loop_s uv_loop_t;

typedef enum {
    BT_RESULT_SUCCESS = 0,
    BT_RESULT_WARNING = 1,
    BT_RESULT_FAILED = 2
} bt_result;

const char *bt_result_name(bt_result r); /* "success", "warning", "failed" */
/* Parses a result name; returns 0 or -BT_EINVAL. */
int bt_result_parse(const char *text, bt_result *out);

typedef enum {
    BT_PROP_STRING,   /* text with {refs} */
    BT_PROP_INTEGER,
    BT_PROP_NUMBER,
    BT_PROP_BOOLEAN,
    BT_PROP_DURATION, /* "5s", "250ms", "2m" */
    BT_PROP_LIST,     /* sequence of strings (a scalar is a 1-item list) */
    BT_PROP_MAP       /* map of name -> string */
} bt_prop_kind;

typedef struct bt_prop_spec {
    /* "*" as the last entry admits any other property name of this kind
     * (Return Data's fields, for example). */
    const char *name;
    bt_prop_kind kind;
    bool required;
    const char *default_text;     /* documented default, NULL if none */
    const char *description;
    const char *const *choices;   /* NULL-terminated allowed values or NULL */
} bt_prop_spec;

typedef enum { BT_EXEC_INLINE, BT_EXEC_BLOCKING, BT_EXEC_ASYNC } bt_exec_mode;

typedef struct bt_activity_ctx bt_activity_ctx;
struct bt_activity_def;
struct bt_runbook;

typedef struct bt_activity_type {
    const char *name;        /* "run-program": what runbooks write */
    const char *title;       /* "Run Program": Orchestrator's name */
    const char *category;    /* "system", "file", ... */
    const char *description; /* one sentence */
    bt_exec_mode mode;
    const bt_prop_spec *props; /* terminated by an entry with name NULL */
    const char *const *published; /* NULL-terminated field names */
    /* Publishes fields not known in advance (run-script) unless the
     * activity declares them with `publishes:`. */
    bool open_published;
    /* Optional: fields that depend on the definition (Initialize Data
     * publishes the runbook's parameters). True when field is one. */
    bool (*publishes)(const struct bt_activity_def *def,
                      const struct bt_runbook *rb, const char *field);
    /* Optional extra checks at load time; report with bt_diags_add at the
     * definition's position and return 0 or a negative code. */
    int (*check)(const struct bt_activity_def *def,
                 const struct bt_runbook *rb, bt_diags *diags);
    int (*run)(bt_activity_ctx *ctx);
    /* ASYNC only: stop now (kill the child); bt_act_complete must still be
     * called once the work has stopped. */
    void (*cancel)(bt_activity_ctx *ctx);
    /* A monitor (Monitor File, Monitor Date/Time...): ASYNC, starts a
     * runbook, and runs until canceled; each time it fires it publishes
     * the trigger's row(s) and calls bt_act_trigger. */
    bool monitor;
} bt_activity_type;

/* Fields the engine publishes for every activity instance. */
#define BT_COMMON_FIELDS \
    "status", "error", "start_time", "end_time", "duration_ms", "attempts"

/* ---- while running ---------------------------------------------------- */

uv_loop_t *bt_act_loop(bt_activity_ctx *ctx); /* ASYNC only */
const char *bt_act_id(const bt_activity_ctx *ctx);
const struct bt_activity_def *bt_act_def(const bt_activity_ctx *ctx);

/* Property values with {refs} expanded. Strings live until the activity
 * completes. A property that is absent yields the default passed in. A value
 * of the wrong form fails the activity with a message naming the property
 * and returns -BT_EINVAL. */
bool bt_act_has(bt_activity_ctx *ctx, const char *name);
const char *bt_act_str(bt_activity_ctx *ctx, const char *name,
                       const char *dflt);
/* A glob pattern property: wildcards written in the runbook match, but
 * *, ?, [, ] and \ inside substituted published data are backslash-escaped,
 * so a file name taken from upstream data matches only itself. */
const char *bt_act_pattern(bt_activity_ctx *ctx, const char *name,
                           const char *dflt);
int bt_act_int(bt_activity_ctx *ctx, const char *name, int64_t dflt,
               int64_t *out);
int bt_act_number(bt_activity_ctx *ctx, const char *name, double dflt,
                  double *out);
int bt_act_bool(bt_activity_ctx *ctx, const char *name, bool dflt, bool *out);
int bt_act_duration(bt_activity_ctx *ctx, const char *name, uint64_t dflt_ms,
                    uint64_t *out_ms);
/* A sequence property as expanded strings (a scalar gives one item).
 * Returns the count; *out is NULL-terminated. */
size_t bt_act_list(bt_activity_ctx *ctx, const char *name,
                   const char *const **out);
/* A map property; keys are not expanded, values are. Returns the count. */
size_t bt_act_map(bt_activity_ctx *ctx, const char *name,
                  const char *const **keys, const char *const **values);
/* Names of the properties present in the definition (for types whose
 * property names are free, like Return Data). Returns the count. */
size_t bt_act_prop_names(bt_activity_ctx *ctx, const char *const **names);
/* Expands any text against this instance's published data. */
const char *bt_act_expand(bt_activity_ctx *ctx, const char *text);
/* Memory that lives until the activity completes. */
void *bt_act_alloc(bt_activity_ctx *ctx, size_t size);
char *bt_act_strdup(bt_activity_ctx *ctx, const char *s);

/* Published data. The first call to bt_act_publish creates row 1;
 * bt_act_new_row starts another row (multi-row output). */
void bt_act_publish(bt_activity_ctx *ctx, const char *name,
                    const char *value);
void bt_act_publishn(bt_activity_ctx *ctx, const char *name,
                     const char *value, size_t len);
void bt_act_publishf(bt_activity_ctx *ctx, const char *name, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));
void bt_act_new_row(bt_activity_ctx *ctx);
size_t bt_act_row_count(const bt_activity_ctx *ctx);
/* A successful run that found nothing (Read Line on an empty file) may
 * publish zero rows: then no link out of it fires. Without this call an
 * activity that published nothing still gets one row of common fields. */
void bt_act_publish_no_rows(bt_activity_ctx *ctx);

/* Result. bt_act_fail returns -BT_EINVAL so `return bt_act_fail(...)`
 * reads naturally. The first message wins. */
int bt_act_fail(bt_activity_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bt_act_warn(bt_activity_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool bt_act_failed(const bt_activity_ctx *ctx);

/* ASYNC: per-instance state, freed with free_fn when the activity is done. */
void bt_act_set_state(bt_activity_ctx *ctx, void *state,
                      void (*free_fn)(void *));
void *bt_act_state(bt_activity_ctx *ctx);
bool bt_act_canceled(const bt_activity_ctx *ctx);
/* ASYNC: report completion. Must be called exactly once, on the loop. */
void bt_act_complete(bt_activity_ctx *ctx);
/* Monitors, on the loop: the rows published since the last trigger start
 * a new runbook instance, which continues from this activity's links. */
void bt_act_trigger(bt_activity_ctx *ctx);
/* How many times this monitor has triggered. */
uint64_t bt_act_trigger_count(const bt_activity_ctx *ctx);

/* Runbook control activities. */
size_t bt_act_param_count(const bt_activity_ctx *ctx);
void bt_act_param_at(const bt_activity_ctx *ctx, size_t i, const char **name,
                     const char **value);
void bt_act_return(bt_activity_ctx *ctx, const char *name, const char *value);

/* ---- host services ----------------------------------------------------
 * What the host running the engine (a runbook server, the Runbook Tester)
 * offers activities that need more than their inputs: the counters,
 * schedules and variables of the store, and starting other runbooks.
 * Every callback is called on the loop thread only, so the activities that
 * use them are INLINE or ASYNC. Callbacks return 0 or -BT_E* with a
 * sentence in *err; -BT_ENOTFOUND when the named thing does not exist. A
 * NULL callback means the host does not offer that service. */

typedef struct bt_invoke bt_invoke; /* a child runbook being followed */

typedef struct bt_invoke_request {
    const char *runbook; /* "/Folder/Name"; the tester also takes a file,
                            relative to the invoking runbook's file */
    const char *const *param_names;
    const char *const *param_values;
    size_t n_params;
    bool wait; /* false: done as soon as the child job exists */
    /* Runbook servers to run the child on, in order of preference; none:
     * the child runbook's own preference, else any server. */
    const char *const *servers;
    size_t n_servers;
} bt_invoke_request;

typedef struct bt_invoke_result {
    int64_t job_id;     /* the child's job; 0 when none was created */
    const char *status; /* job status: pending, running, completed, failed,
                           canceled */
    bt_result result;   /* the child instance's result once it finished */
    const char *error;  /* NULL, or why the child failed or was lost */
    /* The child's Return Data (empty unless it finished). */
    const char *const *names;
    const char *const *values;
    size_t n_returned;
} bt_invoke_result;

/* Called exactly once per started invoke, on the loop; res and everything
 * it points to live only during the call. */
typedef void (*bt_invoke_done_fn)(const bt_invoke_result *res, void *ud);

typedef struct bt_act_services {
    void *ud;
    int (*counter_get)(void *ud, const char *name, int64_t *out,
                       bt_error *err);
    /* Creates the counter when missing. */
    int (*counter_set)(void *ud, const char *name, int64_t value,
                       bt_error *err);
    /* Atomic; -BT_ENOTFOUND on a missing counter. *out: the new value. */
    int (*counter_add)(void *ud, const char *name, int64_t delta,
                       int64_t *out, bt_error *err);
    /* A schedule's JSON definition (docs/activities/scheduling.md); the
     * caller frees *definition with free(). */
    int (*schedule_get)(void *ud, const char *name, char **definition,
                        bt_error *err);
    /* A variable's plain value; the caller frees *value with free(). */
    int (*variable_get)(void *ud, const char *name, char **value,
                        bt_error *err);
    /* Starts the child runbook. On 0, done is called later (never from
     * inside invoke) and *out identifies the child until then. */
    int (*invoke)(void *ud, bt_activity_ctx *caller,
                  const bt_invoke_request *req, bt_invoke_done_fn done,
                  void *done_ud, bt_invoke **out, bt_error *err);
    /* Stops following the child and asks for it to be canceled; done is
     * still called once (possibly from inside this call). */
    void (*invoke_cancel)(void *ud, bt_invoke *inv);
    /* Adds an event to Baton's events list (GET /api/events), tied to the
     * caller's job when the host knows it (*job_id, else 0). severity: 0
     * information, 1 warning, 2 error. *stored is false when the host
     * keeps no events list and only showed the event (the tester without
     * a store prints it). */
    int (*event_add)(void *ud, bt_activity_ctx *caller, int severity,
                     const char *source, const char *message,
                     int64_t *job_id, bool *stored, bt_error *err);
} bt_act_services;

/* The host's services, or NULL when it offers none (the tester without
 * --db offers in-memory ones). */
const bt_act_services *bt_act_get_services(bt_activity_ctx *ctx);

/* A registry of activity types: the built-ins, later packs. */
typedef struct bt_registry bt_registry;
const bt_registry *bt_registry_builtin(void);
const bt_activity_type *bt_registry_find(const bt_registry *reg,
                                         const char *name);
size_t bt_registry_count(const bt_registry *reg);
const bt_activity_type *bt_registry_at(const bt_registry *reg, size_t i);

#ifdef __cplusplus
}
#endif
#endif
