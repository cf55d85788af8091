/* The Runbook Tester's services for activities (bt_act_services): counters
 * kept in memory for the run (or, with --db, the store's counters,
 * schedules and variables), and Invoke Runbook running the child on the
 * tester's own engine: a runbook file, relative to the invoking runbook's
 * file, or with --db a stored runbook by folder path and name. */
#ifndef BT_TESTER_SERVICES_H
#define BT_TESTER_SERVICES_H

#include <stdbool.h>
#include <uv.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "engine/engine.h"

typedef struct bt_tester_services bt_tester_services;

/* db_url: NULL for memory only, else a store URL ("sqlite:PATH"). */
int bt_tester_services_new(uv_loop_t *loop, const char *db_url,
                           bt_tester_services **out, bt_error *err);
const bt_act_services *bt_tester_services_table(bt_tester_services *ts);
/* The engine children run on; set before the first instance starts. */
void bt_tester_services_set_engine(bt_tester_services *ts, bt_engine *eng);
/* Call first from the engine's instance_finished hook: true when inst is
 * a child started by Invoke Runbook (then it is handled and kept until
 * bt_tester_services_free). */
bool bt_tester_services_instance_finished(bt_tester_services *ts,
                                          bt_instance *inst);
/* The child's job id (1, 2, ... in the order started), 0 for an instance
 * that is not a child. */
int64_t bt_tester_services_job_id(const bt_tester_services *ts,
                                  const bt_instance *inst);
/* With --db: a plain variable's value for {var:name}, read from the store
 * when the services were made (so safe from any thread); NULL otherwise. */
const char *bt_tester_services_variable(const bt_tester_services *ts,
                                        const char *name);
/* How many child instances ran. */
size_t bt_tester_services_children(const bt_tester_services *ts);
/* After every instance finished. NULL is a no-op. */
void bt_tester_services_free(bt_tester_services *ts);

#endif
