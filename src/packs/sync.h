/* Bringing a process's packs in line with the store: every batond process
 * (the runbook server that runs pack activities, the management server and
 * web service that validate runbooks using them) loads the registered
 * packs, unpacked into a cache folder, and unloads removed ones. */
#ifndef BT_PACKS_SYNC_H
#define BT_PACKS_SYNC_H

#include <stdint.h>

#include "store/store.h"

/* Where archives are unpacked (DATA_DIR/packs); until it is set, sync does
 * nothing. Set once, before any sync. */
void bt_packs_set_cache_dir(const char *dir);

/* Loads registered packs that are new or changed since the last call,
 * unregisters removed ones. When server_id > 0 each outcome is recorded in
 * the pack's status for that server, and a pack that cannot be loaded
 * gives an event naming the server (server_name), the pack, its version
 * and why, once per pack version. Returns 0, or the store's error; a pack
 * that fails to load is not an error of the call. */
int bt_packs_sync(bt_store *s, int64_t server_id, const char *server_name,
                  bt_error *err);

#endif
