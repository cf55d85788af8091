/* The built-in activity registry: one table assembled from the per-category
 * activities.def lists, so adding an activity touches only its category. */
#include <string.h>

#include "baton/activity.h"

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

const bt_activity_type *bt_registry_find(const bt_registry *reg,
                                         const char *name) {
    if (!reg) reg = &builtin_registry;
    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->types[i]->name, name) == 0) return reg->types[i];
    return NULL;
}

size_t bt_registry_count(const bt_registry *reg) {
    return (reg ? reg : &builtin_registry)->count;
}

const bt_activity_type *bt_registry_at(const bt_registry *reg, size_t i) {
    if (!reg) reg = &builtin_registry;
    return i < reg->count ? reg->types[i] : NULL;
}
