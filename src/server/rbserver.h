/* The runbook server role: claims pending jobs from the store and runs
 * them on the engine, on one libuv loop with one store handle.
 *
 * It registers under its name and heartbeats a lease; on each heartbeat
 * it hands back the jobs of servers whose lease lapsed, so they are
 * claimed again (by this server or another) and resume from their last
 * committed activity instance. Every activity instance is committed
 * (fenced by the server id) before any successor starts; a failed commit
 * fails the job rather than running on without a record, and a fenced-off
 * one (another server holds the job now) drops the local run silently.
 * docs/runbook-server.md has the whole story. */
#ifndef BT_RBSERVER_H
#define BT_RBSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "baton/error.h"
#include "server/log.h"
#include "store/store.h"

typedef struct bt_rbserver bt_rbserver;

typedef struct bt_rbserver_config {
    const char *name;      /* the server's name in the store */
    size_t throttle;       /* concurrent runbook instances; 0: 1000 */
    uint64_t heartbeat_ms; /* 0: 2000; the lease is three heartbeats */
    uint64_t poll_ms;      /* claim and cancel check fallback; 0: 250 */
    const bt_log *log;     /* NULL: quiet */
    /* The management server's key file (DATA_DIR/secret.key): encrypted
     * global variables are opened with it for {var:name}. NULL, or a key
     * that is not there: encrypted variables stay unset. */
    const char *secret_key_file;
} bt_rbserver_config;

/* Registers the server and starts claiming on loop. The store handle is
 * borrowed and used only from the loop's thread; it must outlive the
 * server. Jobs this server (by name) held when it last stopped are resumed
 * at once. */
int bt_rbserver_start(uv_loop_t *loop, bt_store *store,
                      const bt_rbserver_config *cfg, bt_rbserver **out,
                      bt_error *err);

/* Claims at once instead of at the next poll. Safe from any thread (the
 * web role calls it after creating a job), until bt_rbserver_stop. */
void bt_rbserver_wake(bt_rbserver *srv);

/* Stops claiming; running instances get grace_ms to finish, then are
 * canceled without recording the cancel, so their jobs stay held and
 * resume on restart or on another server after the lease lapses. done is
 * called on the loop once every handle is closed; then free the server. */
void bt_rbserver_stop(bt_rbserver *srv, uint64_t grace_ms,
                      void (*done)(bt_rbserver *srv, void *ud), void *ud);
void bt_rbserver_free(bt_rbserver *srv); /* NULL is a no-op */

int64_t bt_rbserver_id(const bt_rbserver *srv);
size_t bt_rbserver_running(const bt_rbserver *srv);

#endif
