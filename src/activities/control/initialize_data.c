/* Initialize Data: the start of a runbook that takes parameters. It
 * publishes every parameter (after defaults), which is how the rest of the
 * runbook reads them: {start.host}. */
#include <string.h>

#include "baton/activity.h"
#include "runbook/runbook.h"

static bool publishes_param(const bt_activity_def *def, const bt_runbook *rb,
                            const char *field) {
    (void)def;
    for (size_t i = 0; i < rb->n_params; i++)
        if (strcmp(rb->params[i].name, field) == 0) return true;
    return false;
}

static int run(bt_activity_ctx *ctx) {
    size_t n = bt_act_param_count(ctx);
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        bt_act_param_at(ctx, i, &name, &value);
        bt_act_publish(ctx, name, value);
    }
    return 0;
}

static const bt_prop_spec props[] = {{NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {NULL};

const bt_activity_type bt_activity_initialize_data = {
    .name = "initialize-data",
    .title = "Initialize Data",
    .category = "control",
    .description = "Starts the runbook and publishes its parameters.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .publishes = publishes_param,
    .run = run,
};
