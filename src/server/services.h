/* The runbook server's services for activities (bt_act_services in
 * baton/activity.h), backed by the store: global counters, schedules and
 * variables, and Invoke Runbook, which creates a child job for the
 * runbook's latest version and, when asked to wait, polls the job on a
 * libuv timer until it is finished, then reads its Return Data from the
 * child's runbook instance. */
#ifndef BT_SERVICES_H
#define BT_SERVICES_H

#include <stdint.h>
#include <uv.h>

#include "baton/activity.h"
#include "engine/engine.h"
#include "store/store.h"

typedef struct bt_services bt_services;

typedef struct bt_services_config {
    uint64_t poll_ms;       /* how often a waiting invoke looks; 0: 250 */
    const char *created_by; /* jobs' creator; NULL: "invoke-runbook" */
    /* Called after a child job was created (the runbook server wakes its
     * claim loop here). May be NULL. */
    void (*job_created)(int64_t job_id, void *ud);
    /* The job an engine instance belongs to (0: unknown). With it, child
     * jobs are created by "invoke-runbook (job P, depth D)" and a chain of
     * invokes deeper than BT_SERVICES_MAX_DEPTH (a runbook that invokes
     * itself) is refused instead of filling the servers. May be NULL. */
    int64_t (*job_of)(bt_instance *inst, void *ud);
    void *ud;
} bt_services_config;

#define BT_SERVICES_MAX_DEPTH 16

/* The store handle is borrowed, used only on loop's thread, and must
 * outlive the services. cfg may be NULL. */
int bt_services_new(uv_loop_t *loop, bt_store *store,
                    const bt_services_config *cfg, bt_services **out);
/* Give this to bt_engine_hooks.services. */
const bt_act_services *bt_services_table(bt_services *svc);
/* Invokes still being followed (each holds a timer). */
size_t bt_services_pending(const bt_services *svc);
/* Only when no invoke is pending: after every instance that used it has
 * finished (canceling an instance cancels its invokes). NULL is a no-op. */
void bt_services_free(bt_services *svc);

#endif
