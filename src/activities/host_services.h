/* For activities that need the host's services (activity.h): counters,
 * schedules, Invoke Runbook. Header-only; each activity file takes what it
 * uses. */
#ifndef BT_ACT_HOST_SERVICES_H
#define BT_ACT_HOST_SERVICES_H

#include <stddef.h>

#include "baton/activity.h"

/* The host's services when it offers the one at offset `which` (a callback
 * pointer of bt_act_services, checked non-NULL by the caller's macro);
 * otherwise fails the activity naming what is missing and returns NULL. */
static inline const bt_act_services *
bt_act_need_services(bt_activity_ctx *ctx, const char *type, bool offered,
                     const char *what) {
    const bt_act_services *s = bt_act_get_services(ctx);
    if (s && offered) return s;
    bt_act_fail(ctx,
                "%s: no %s here (run the runbook on a runbook server or "
                "with `baton test`)",
                type, what);
    return NULL;
}

/* BT_NEED_SERVICE(ctx, "get-counter", counter_get, "counter store") */
#define BT_NEED_SERVICE(ctx, type, fn, what)                                \
    bt_act_need_services(ctx, type,                                         \
                         bt_act_get_services(ctx) &&                        \
                             bt_act_get_services(ctx)->fn != NULL,          \
                         what)

#endif
