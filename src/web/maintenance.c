/* POST /api/maintenance/purge: the log purge on demand, with the default
 * policy or the one given in the body. It runs on this request's thread
 * with its own store handle; runbook servers keep committing meanwhile
 * (the store purges in one short transaction per call). */
#include <string.h>

#include "store/retention.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define DAYS_MAX 36500

/* One optional non-negative integer field of the body. */
static bool take_count(bt_web_req *r, json_t *doc, const char *name,
                       long long max, long long *out) {
    json_t *v = json_object_get(doc, name);
    if (!v) return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > max) {
        bt_web_error(r, 400, "invalid_parameter", name,
                     "%s must be an integer from 0 to %lld", name, max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

void bt_web_maintenance_purge(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    bt_retention_policy p;
    bt_retention_policy_default(&p);
    json_t *doc = NULL;
    if (r->body.len) {
        json_error_t jerr;
        doc = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES,
                         &jerr);
        if (!json_is_object(doc)) {
            json_decref(doc);
            bt_web_error(r, 400, "invalid_json", "body",
                         "request body must be a JSON object of keep_last, "
                         "max_age_days, events_days, audit_days");
            return;
        }
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v) {
            if (strcmp(key, "keep_last") && strcmp(key, "max_age_days") &&
                strcmp(key, "events_days") && strcmp(key, "audit_days")) {
                bt_web_error(r, 400, "unknown_field", key,
                             "unknown field '%s' (expected keep_last, "
                             "max_age_days, events_days, audit_days)", key);
                json_decref(doc);
                return;
            }
        }
        long long keep = (long long)p.keep_last, age = p.max_age_days,
                  ev = p.events_days, au = p.audit_days;
        bool ok = take_count(r, doc, "keep_last", 1000000000LL, &keep) &&
                  take_count(r, doc, "max_age_days", DAYS_MAX, &age) &&
                  take_count(r, doc, "events_days", DAYS_MAX, &ev) &&
                  take_count(r, doc, "audit_days", DAYS_MAX, &au);
        json_decref(doc);
        if (!ok) return;
        p = (bt_retention_policy){.keep_last = (size_t)keep,
                                  .max_age_days = (uint32_t)age,
                                  .events_days = (uint32_t)ev,
                                  .audit_days = (uint32_t)au};
    }
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_retention_report rep = {0};
    bt_error err = {0};
    int rc = bt_retention_run(s, &p, (int64_t)bt_store_now(s), &rep, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    bt_web_reply(r, 200,
                 json_pack("{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}}",
                           "policy", "keep_last", (json_int_t)p.keep_last,
                           "max_age_days", (json_int_t)p.max_age_days,
                           "events_days", (json_int_t)p.events_days,
                           "audit_days", (json_int_t)p.audit_days, "purged",
                           "instances", (json_int_t)rep.instances, "events",
                           (json_int_t)rep.events, "audit",
                           (json_int_t)rep.audit));
}
