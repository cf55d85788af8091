/* Placeholder: what an imported Orchestrator activity becomes when Baton
 * has no equivalent for it (an integration pack's activity, Send SNMP
 * Trap, ...). It keeps the original type and properties so nothing of the
 * runbook is lost, lets the rest of the runbook load and be edited, and
 * fails when run, so a half-converted runbook can never pass for a
 * working one. */
#include "baton/activity.h"
#include "runbook/runbook.h"

static int run(bt_activity_ctx *ctx) {
    return bt_act_fail(ctx,
                       "activity '%s' was imported from Orchestrator type "
                       "'%s' and has no Baton equivalent yet",
                       bt_act_id(ctx),
                       bt_act_str(ctx, "orchestrator_type", "?"));
}

static const bt_prop_spec props[] = {
    {"orchestrator_type", BT_PROP_STRING, true, NULL,
     "The Orchestrator activity type it was imported from.", NULL},
    {"orchestrator_properties", BT_PROP_MAP, false, NULL,
     "The original activity's properties, by their Orchestrator names "
     "(published-data references converted).",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {NULL};

const bt_activity_type bt_activity_placeholder = {
    .name = "placeholder",
    .title = "Imported placeholder",
    .category = "control",
    .description = "Stands in for an imported Orchestrator activity that has "
                   "no Baton equivalent; fails when run.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    /* Whatever the original published, later activities may still read:
     * the runbook loads, and the placeholder fails before they run. */
    .open_published = true,
    .run = run,
};
