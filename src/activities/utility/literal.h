/* Load-time checks of the utility activities look at property values that
 * are written out literally; values with {references} are only known when
 * the activity runs, and are checked then. */
#ifndef BT_UTILITY_LITERAL_H
#define BT_UTILITY_LITERAL_H

#include <string.h>

#include "baton/activity.h"
#include "engine/template.h"
#include "runbook/runbook.h"

/* The literal text of property name, or NULL when it is absent, not a
 * single value, or holds references. *node (may be NULL) gets its node. */
static inline const char *bt_utility_literal(const bt_activity_def *def,
                                             const char *name,
                                             const bt_node **node) {
    const bt_node *n = bt_node_get(def->properties, name);
    if (node) *node = n;
    if (!n || n->kind != BT_NODE_SCALAR) return NULL;
    const bt_template *t = n->compiled;
    if (!t) return strchr(n->str, '{') ? NULL : n->str;
    return bt_template_is_literal(t) ? bt_template_literal(t) : NULL;
}

#endif
