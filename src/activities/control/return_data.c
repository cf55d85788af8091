/* Return Data: each property becomes a field of the instance's returned
 * data, which the tester prints and Invoke Runbook hands to its caller. */
#include <string.h>

#include "baton/activity.h"
#include "runbook/runbook.h"

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    /* When the runbook declares its Return Data, only those fields may be
     * set: callers rely on that list. */
    const bt_node *p = def->properties;
    if (!rb->n_returns || !p || p->kind != BT_NODE_MAP) return 0;
    int rc = 0;
    for (size_t i = 0; i < p->count; i++) {
        bool declared = false;
        for (size_t k = 0; k < rb->n_returns && !declared; k++)
            declared = strcmp(rb->returns[k], p->keys[i]->str) == 0;
        if (!declared)
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, p->keys[i]->line,
                              p->keys[i]->column,
                              "return-data '%s': '%s' is not one of the "
                              "runbook's declared returns",
                              def->id, p->keys[i]->str);
    }
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    const char *const *names;
    size_t n = bt_act_prop_names(ctx, &names);
    for (size_t i = 0; i < n; i++) {
        const char *v = bt_act_str(ctx, names[i], "");
        bt_act_return(ctx, names[i], v);
        bt_act_publish(ctx, names[i], v);
    }
    return 0;
}

static const bt_prop_spec props[] = {
    {"*", BT_PROP_STRING, false, NULL,
     "Each property is one field of the returned data.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {NULL};

static bool publishes_field(const bt_activity_def *def, const bt_runbook *rb,
                            const char *field) {
    (void)rb;
    return bt_node_get(def->properties, field) != NULL;
}

const bt_activity_type bt_activity_return_data = {
    .name = "return-data",
    .title = "Return Data",
    .category = "control",
    .description = "Sets the data the runbook instance returns.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .publishes = publishes_field,
    .check = check,
    .run = run,
};
