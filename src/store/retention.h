/* Log retention policy: which finished runbook instances (with their
 * activity instances and published data), events and audit entries to
 * purge. Like Orchestrator's log purge it keeps the newest N instances of
 * each runbook (default 500); unlike it, events and audit entries have
 * ages of their own. A running instance is never purged (the store
 * guarantees it). The daily schedule is server/retention.h; the web
 * service runs it on demand. */
#ifndef BT_STORE_RETENTION_H
#define BT_STORE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "store/store.h"

#define BT_RETENTION_KEEP_LAST 500
#define BT_RETENTION_EVENTS_DAYS 30
#define BT_RETENTION_AUDIT_DAYS 365

typedef struct bt_retention_policy {
    size_t keep_last;       /* newest instances kept per runbook; 0: any */
    uint32_t max_age_days;  /* instances ended longer ago go; 0: any age */
    uint32_t events_days;   /* 0: events are kept forever */
    uint32_t audit_days;    /* 0: audit entries are kept forever */
} bt_retention_policy;

typedef struct bt_retention_report {
    size_t instances, events, audit;
} bt_retention_report;

/* The defaults above. */
void bt_retention_policy_default(bt_retention_policy *p);

/* Purges once, now, on the calling thread. An instance is purged only
 * when it is beyond keep_last AND older than max_age_days (a criterion
 * that is 0 is dropped; both 0 purges no instances). */
int bt_retention_run(bt_store *s, const bt_retention_policy *p,
                     int64_t now_us, bt_retention_report *out, bt_error *err);

#endif
