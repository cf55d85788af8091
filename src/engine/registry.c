/* The built-in activity registry: one table assembled from the per-category
 * activities.def lists, so adding an activity touches only its category. */
#include <string.h>

#include "baton/activity.h"
#include "packs/packs.h"

#define BT_ACTIVITY(sym) extern const bt_activity_type sym;
#include "activities/control/activities.def"
#include "activities/system/activities.def"
#include "activities/utility/activities.def"
#include "activities/file/activities.def"
#include "activities/text/activities.def"
#include "activities/scheduling/activities.def"
#include "activities/monitoring/activities.def"
#include "activities/notification/activities.def"
#undef BT_ACTIVITY

static const bt_activity_type *const builtin_types[] = {
#define BT_ACTIVITY(sym) &sym,
#include "activities/control/activities.def"
#include "activities/system/activities.def"
#include "activities/utility/activities.def"
#include "activities/file/activities.def"
#include "activities/text/activities.def"
#include "activities/scheduling/activities.def"
#include "activities/monitoring/activities.def"
#include "activities/notification/activities.def"
#undef BT_ACTIVITY
};

struct bt_registry {
    const bt_activity_type *const *types;
    size_t count;
};

static const bt_registry builtin_registry = {
    builtin_types, sizeof(builtin_types) / sizeof(builtin_types[0])};

const bt_registry *bt_registry_builtin(void) { return &builtin_registry; }

/* A NULL registry is the default one: the built-ins, then the activities
 * of the integration packs loaded into this process (src/packs). */
const bt_activity_type *bt_registry_find(const bt_registry *reg,
                                         const char *name) {
    const bt_registry *r = reg ? reg : &builtin_registry;
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->types[i]->name, name) == 0) return r->types[i];
    return reg ? NULL : bt__packs_find(name);
}

/* With the default registry, bt_registry_at may give NULL for a pack
 * activity removed meanwhile. */
size_t bt_registry_count(const bt_registry *reg) {
    if (reg) return reg->count;
    return builtin_registry.count + bt__packs_type_slots();
}

const bt_activity_type *bt_registry_at(const bt_registry *reg, size_t i) {
    const bt_registry *r = reg ? reg : &builtin_registry;
    if (i < r->count) return r->types[i];
    return reg ? NULL : bt__packs_type_at(i - r->count);
}
