/* Junction: the engine holds the branches (src/engine/junction.c); the
 * activity itself only checks its definition. */
#include <stdint.h>

#include "baton/activity.h"
#include "runbook/runbook.h"

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    const bt_node *rp = bt_node_get(def->properties, "republish");
    if (!rp) return 0;
    size_t idx = rp->kind == BT_NODE_SCALAR ? bt_runbook_index(rb, rp->str)
                                            : SIZE_MAX;
    for (size_t i = 0; idx != SIZE_MAX && i < def->n_links_in; i++)
        if (rb->links[def->links_in[i]].from == idx) return 0;
    return bt_diags_add(diags, BT_EINVAL, rb->file, rp->line, rp->column,
                        "junction '%s': republish must name an activity "
                        "with a link into this junction",
                        def->id);
}

static int run(bt_activity_ctx *ctx) {
    (void)ctx;
    return 0;
}

static const bt_prop_spec props[] = {
    {"republish", BT_PROP_STRING, false, NULL,
     "Id of the branch activity whose rows continue past the junction "
     "(once per row); without it the junction continues once.",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {NULL};

const bt_activity_type bt_activity_junction = {
    .name = "junction",
    .title = "Junction",
    .category = "control",
    .description = "Waits for every incoming branch, then continues once.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .check = check,
    .run = run,
};
