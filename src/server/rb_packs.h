/* Integration packs in batond (server/rb_packs.c). */
#ifndef BT_SERVER_RB_PACKS_H
#define BT_SERVER_RB_PACKS_H

#include "server/log.h"
#include "store/store.h"

struct bt_rbserver;

/* At start-up, whatever the roles: the packs on BATON_PACK_PATH (a pack
 * that cannot be loaded is logged), then the registered packs, unpacked
 * under DATA_DIR/packs, so that every role (validating or running
 * runbooks) knows their activities. */
void bt_batond_packs_start(const char *data_dir, bt_store *store,
                           const bt_log *log);

/* A runbook server: loads what was registered, upgraded or removed since
 * the last call, recording each outcome in its pack status. Called before
 * it resumes or claims jobs, and at every heartbeat. */
void bt__rb_packs_sync(struct bt_rbserver *srv);

#endif
