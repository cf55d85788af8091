/* C packs: the activity type wrapping a pack's bt_pack_activity, and the
 * host side of include/baton/pack.h. Internal to src/packs. */
#ifndef BT_PACKS_CPACK_H
#define BT_PACKS_CPACK_H

#include "baton/activity.h"
#include "baton/pack.h"
#include "packs/manifest.h"
#include "packs/packs.h"

/* An activity type of a C pack; the engine sees `type` (first member), the
 * trampolines find the pack's entry points from it. */
typedef struct bt_cpack_type {
    bt_activity_type type;
    const bt_pack_activity *act;
    const char *pack; /* "name version" for log lines */
} bt_cpack_type;

/* The function table given to every pack (cpack_api.c). */
extern const bt_pack_api bt__pack_host_api;

/* Entry points of every bt_cpack_type (cpack_api.c). */
int bt__cpack_run(bt_activity_ctx *ctx);
void bt__cpack_cancel(bt_activity_ctx *ctx);
int bt__cpack_check(const struct bt_activity_def *def,
                    const struct bt_runbook *rb, bt_diags *diags);

/* Loads the library a manifest names and registers its activities. */
int bt__cpack_load(const bt_pack_manifest *m, bt_pack_info *info,
                   bt_error *err);

#endif
