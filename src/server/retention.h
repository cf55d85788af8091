/* The daily log purge: runs the retention policy (store/retention.h)
 * every day at a set local time, by default 02:00 as Orchestrator does,
 * on the loop's thread pool with its own store handle so a long purge
 * never stalls the loop. */
#ifndef BT_SERVER_RETENTION_H
#define BT_SERVER_RETENTION_H

#include <stdint.h>
#include <uv.h>

#include "baton/error.h"
#include "server/log.h"
#include "store/retention.h"

#define BT_RETENTION_AT_MINUTE (2 * 60) /* 02:00 local time */

/* The next time (µs since the epoch) after now_us at which the local
 * clock reads at_minute minutes past midnight. */
int64_t bt_retention_next(int64_t now_us, unsigned at_minute);

typedef struct bt_retention bt_retention;

/* Each run is logged. */
int bt_retention_start(uv_loop_t *loop, const char *store_url,
                       const bt_retention_policy *p, unsigned at_minute,
                       const bt_log *log, bt_retention **out, bt_error *err);
/* Runs a purge now (on demand), unless one is already running; done (may
 * be NULL) is called on the loop with its outcome. */
typedef void (*bt_retention_done_fn)(int rc, const bt_retention_report *rep,
                                     const bt_error *err, void *ud);
void bt_retention_trigger(bt_retention *r, bt_retention_done_fn done,
                          void *ud);

/* Stops the timer; a purge in progress finishes first. done runs on the
 * loop once nothing is left and the object is freed. done may be NULL. */
void bt_retention_stop(bt_retention *r, void (*done)(void *ud), void *ud);

#endif
