/* Log retention policy: purge by count and age. */
#include "store/retention.h"

#define US_PER_DAY (86400LL * 1000000LL)

void bt_retention_policy_default(bt_retention_policy *p) {
    *p = (bt_retention_policy){.keep_last = BT_RETENTION_KEEP_LAST,
                               .events_days = BT_RETENTION_EVENTS_DAYS,
                               .audit_days = BT_RETENTION_AUDIT_DAYS};
}

static int64_t days_before(int64_t now_us, uint32_t days) {
    return now_us - (int64_t)days * US_PER_DAY;
}

int bt_retention_run(bt_store *s, const bt_retention_policy *p,
                     int64_t now_us, bt_retention_report *out,
                     bt_error *err) {
    bt_retention_report rep = {0};
    int rc = 0;
    if (p->keep_last || p->max_age_days)
        rc = bt_store_purge_instances(
            s, 0, p->keep_last,
            p->max_age_days ? days_before(now_us, p->max_age_days) : 0,
            &rep.instances, err);
    if (!rc && p->events_days)
        rc = bt_store_purge_events(s, days_before(now_us, p->events_days),
                                   &rep.events, err);
    if (!rc && p->audit_days)
        rc = bt_store_purge_audit(s, days_before(now_us, p->audit_days),
                                  &rep.audit, err);
    if (out) *out = rep;
    return rc;
}
