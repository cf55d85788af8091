/* The runbook server's insides, shared by rbserver.c (life cycle, leases,
 * claims, cancel polling), rb_job.c (a job's instances, the engine hooks,
 * commits) and rb_vars.c (global variables for {var:name}). */
#ifndef BT_RB_INTERNAL_H
#define BT_RB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "engine/engine.h"
#include "server/rbserver.h"
#include "server/services.h"

/* Published-data name under which schema 1 databases stored an activity
 * instance's parent_row (now the store's parent_row column). Not an
 * identifier, so no activity can publish it; only read, for resuming jobs
 * committed before the upgrade. */
#define BT_RB_PARENT_ROW "baton:parent_row"

typedef struct rb_job rb_job;

/* One loaded runbook version, shared by the jobs that run it. */
typedef struct rb_runbook {
    int64_t runbook_id;
    int version;
    bt_runbook *rb;
    bool monitor; /* starts with a monitor activity */
    unsigned refs;
    struct rb_runbook *next;
} rb_runbook;

/* One engine instance of a job. The monitor's own instance (of a monitor
 * runbook) has no store instance: each trigger gets one. */
typedef struct rb_inst {
    rb_job *job;
    bt_instance *inst;
    int64_t store_id;  /* 0: the monitor's own instance */
    bool dead;         /* no store instance: record nothing, cancel */
    struct rb_inst *next;
} rb_inst;

struct rb_job {
    bt_rbserver *srv;
    int64_t id;
    rb_runbook *rb;
    bt_param_value *params;
    size_t n_params;
    rb_inst *insts;     /* live engine instances */
    bool abandoned;     /* held elsewhere now, or the server is stopping:
                           record nothing more */
    bool cancel_sent;
    bool failed;        /* a commit or start failure: ends failed */
    bool monitor_failed;
    bool adopting;
    bt_job_status last_status; /* of the last instance that finished */
    struct rb_job *prev, *next;
};

typedef struct rb_commit {
    rb_inst *ri;
    const bt_activity_record *rec;
    bt_resume_fn resume;
    void *token;
} rb_commit;

typedef struct rb_vars rb_vars;

struct bt_rbserver {
    uv_loop_t *loop;
    bt_store *store;
    char *name;
    size_t throttle;            /* in effect: the override, or configured */
    size_t configured_throttle; /* from bt_rbserver_config */
    bool draining;              /* operator's drain: claim nothing new */
    uint64_t heartbeat_ms, poll_ms;
    const bt_log *log;
    int64_t id;
    bt_engine *eng;
    rb_runbook *runbooks;
    rb_job *jobs;
    size_t n_jobs;
    rb_vars *vars;
    bt_services *svc; /* counters, schedules, Invoke Runbook */

    uv_timer_t heartbeat, poll, soon, grace;
    uv_poll_t *notify; /* the store's LISTEN socket (PostgreSQL), or NULL */
    uv_async_t wake;
    uv_prepare_t flush_prepare;
    uv_check_t flush_check;
    unsigned open_handles;

    rb_commit *pending; /* activity instances waiting for their commit */
    size_t n_pending, pending_cap;

    bool stopping, abandoning, closing;
    void (*done)(bt_rbserver *srv, void *ud);
    void *done_ud;
};

/* rb_job.c */
const bt_engine_hooks *bt__rb_hooks(void);
void bt__rb_adopt(bt_rbserver *srv, const bt_store_job *sj);
void bt__rb_cancel_job(rb_job *job);
/* Stops recording anything for job and cancels its instances: another
 * server holds it now, or this one is stopping. */
void bt__rb_abandon_job(rb_job *job);
void bt__rb_flush(bt_rbserver *srv);
void bt__rb_runbooks_free(bt_rbserver *srv);
void bt__rb_event(bt_rbserver *srv, bt_severity sev, int64_t job_id,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Asks for a claim on the next loop turn (a slot was freed). */
void bt__rb_claim_soon(bt_rbserver *srv);
/* Every engine instance is gone: the stop can close the handles. */
void bt__rb_maybe_closed(bt_rbserver *srv);

/* rb_runbooks.c. get: a reference to the loaded version, or NULL with
 * the reason (does not load, not found) in msg. */
rb_runbook *bt__rb_runbook_get(bt_rbserver *srv, int64_t runbook_id,
                               int version, char *msg, size_t msg_size);
void bt__rb_runbook_put(bt_rbserver *srv, rb_runbook *e);
/* The job's JSON object as name/value text pairs (numbers and booleans as
 * written, null as absent). */
int bt__rb_params_parse(const char *text, bt_param_value **out, size_t *n,
                        char *msg, size_t msg_size);
void bt__rb_params_free(bt_param_value *pv, size_t n);

/* rb_records.c. spec: *data (malloc'd) holds the rows, and row_buf the
 * parent-row text, while spec is used. load: the committed activity
 * instances of instance_id as malloc'd engine records of rb. */
void bt__rb_record_spec(const rb_commit *c, bt_store_activity_spec *spec,
                        bt_store_datum **data, char *row_buf,
                        size_t row_size);
int bt__rb_records_load(bt_rbserver *srv, const bt_runbook *rb,
                        int64_t instance_id, bt_activity_record ***out,
                        size_t *n_out, char *msg, size_t msg_size);
void bt__rb_records_free(bt_activity_record **recs, size_t n);

/* rb_vars.c: a snapshot of the plain global variables, refreshed on the
 * loop; lookups are thread-safe (blocking activities expand on the pool). */
rb_vars *bt__rb_vars_new(const char *secret_key_file);
void bt__rb_vars_free(rb_vars *v);
void bt__rb_vars_refresh(bt_rbserver *srv);
const char *bt__rb_var_lookup(void *ud, const char *name);

#endif
