/* Junctions: wait for every incoming branch, then continue once with the
 * data of the branch chosen by the `republish` property. */
#ifndef BT_JUNCTION_H
#define BT_JUNCTION_H

#include "engine/engine_internal.h"

bt_junctions *bt__junctions_new(const bt_runbook *rb);
void bt__junctions_free(bt_junctions *js);
bool bt__is_junction(const bt_activity_def *def);
/* A link into junction `def` fired with data frame f. */
void bt__junction_arrive(bt_instance *inst, const bt_activity_def *def,
                         size_t link, bt_frame *f, bt_trigger trigger);
/* Called when nothing runs: fires every junction that has all its
 * branches, drops the others. True when something was started. */
bool bt__junctions_settle(bt_instance *inst);
/* Resume: fire junction def with the arrivals it holds, ready or not. */
void bt__junction_fire_now(bt_instance *inst, const bt_activity_def *def);
/* Cancel: forget every arrival. */
void bt__junctions_drop(bt_instance *inst);

#endif
