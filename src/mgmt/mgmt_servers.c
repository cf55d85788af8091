/* Runbook servers as the designer sees them (status, lease, running
 * instances, version, throttle, draining), their operator settings, and
 * the audit history. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/datetime.h"
#include "mgmt/mgmt_packs.h"

#define AUDIT_PAGE 1000
#define AUDIT_LIMIT_MAX 10000

static json_t *server_json(mg_req *r, const bt_store_server *sv, int *rc,
                           bt_error *err) {
    /* running jobs held by the server: one instance each */
    bt_store_job_filter f = {
        .status = BT_JOB_RUNNING, .server_id = sv->id, .limit = 1000};
    size_t running = 0;
    for (;;) {
        bt_store_job *jobs = NULL;
        size_t n = 0;
        int64_t next = 0;
        *rc = bt_store_job_list(r->store, &f, &jobs, &n, &next, err);
        if (*rc)
            break;
        running += n;
        bt_store_job_list_free(jobs, n);
        if (!next)
            break;
        f.after_id = next;
    }
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o, s:I, "
                     "s:i, s:b, s:o}",
                     "id", (json_int_t)sv->id, "guid", sv->guid, "name",
                     sv->name, "version", bt__mg_strn(sv->version), "status",
                     sv->draining ? (sv->up ? "draining" : "down")
                                  : (sv->up ? "up" : "down"),
                     "up", sv->up, "registered", bt__mg_time(sv->registered_us),
                     "heartbeat", bt__mg_time(sv->heartbeat_us),
                     "lease_expires", bt__mg_time(sv->lease_expires_us),
                     "running", (json_int_t)running, "throttle", sv->throttle,
                     "draining", sv->draining, "packs",
                     bt__mg_server_packs(r, sv->id));
}

/* GET /api/servers */
void bt__mg_servers_list(mg_req *r) {
    static const char *const none[] = {NULL};
    if (!bt__mg_query_only(r, none))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_server *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_server_list(s, &items, &n, &err);
    json_t *arr = json_array();
    for (size_t i = 0; !rc && i < n; i++)
        json_array_append_new(arr, server_json(r, &items[i], &rc, &err));
    bt_store_server_list_free(items, n);
    if (rc) {
        json_decref(arr);
        bt__mg_error_from(r, rc, &err, NULL);
        return;
    }
    bt__mg_reply(r, 200, json_pack("{s:o}", "items", arr));
}

static bool find_server(mg_req *r, const char *name, bt_store_server *out) {
    bt_store_server *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_server_list(r->store, &items, &n, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "server");
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        if (strcmp(items[i].name, name))
            continue;
        *out = items[i];
        memset(&items[i], 0, sizeof items[i]);
        found = true;
    }
    bt_store_server_list_free(items, n);
    if (!found)
        bt__mg_error(r, 404, "not_found", "server",
                     "no runbook server named '%s' has registered (baton "
                     "servers lists them)",
                     name);
    return found;
}

static void server_setting(mg_req *r, bool drain_call) {
    static const char *const throttle_fields[] = {"server", "throttle", NULL};
    static const char *const drain_fields[] = {"server", "drain", NULL};
    json_t *body = bt__mg_body(r, drain_call ? drain_fields : throttle_fields);
    const char *name;
    if (!body || !bt__mg_str(r, body, "server", true, &name))
        return;
    int throttle = -1, drain = -1;
    if (drain_call) {
        json_t *d = json_object_get(body, "drain");
        if (d && !json_is_boolean(d)) {
            bt__mg_error(r, 400, "invalid", "drain",
                         "drain must be true (stop claiming jobs) or false");
            return;
        }
        drain = !d || json_is_true(d);
    } else {
        json_t *t = json_object_get(body, "throttle");
        if (!json_is_integer(t) || json_integer_value(t) < 0 ||
            json_integer_value(t) > 100000) {
            bt__mg_error(r, 400, t ? "invalid" : "missing_field", "throttle",
                         "throttle must be a whole number from 1 to 100000, "
                         "or 0 to go back to the server's own setting");
            return;
        }
        throttle = (int)json_integer_value(t);
    }
    if (!bt__mg_admin(r, "change a runbook server's settings") ||
        !bt__mg_begin(r))
        return;
    bt_store_server before = {0}, after = {0};
    if (!find_server(r, name, &before))
        return;
    bt_error err = {0};
    int rc = bt_store_server_set(r->store, name, throttle, drain, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "server");
        bt_store_server_clear(&before);
        return;
    }
    if (find_server(r, name, &after)) {
        json_t *b = json_pack("{s:i, s:b}", "throttle", before.throttle,
                              "draining", before.draining);
        json_t *a = json_pack("{s:i, s:b}", "throttle", after.throttle,
                              "draining", after.draining);
        rc = 0;
        if (bt__mg_audit(r, drain_call ? "server.drain" : "server.throttle",
                         name, b, a) &&
            bt__mg_commit(r))
            bt__mg_reply(r, 200, server_json(r, &after, &rc, &err));
        json_decref(b);
        json_decref(a);
    }
    bt_store_server_clear(&before);
    bt_store_server_clear(&after);
}

/* POST /api/servers/throttle {"server", "throttle"} */
void bt__mg_server_throttle(mg_req *r) { server_setting(r, false); }
/* POST /api/servers/drain {"server", "drain"} */
void bt__mg_server_drain(mg_req *r) { server_setting(r, true); }

/* ---- audit ------------------------------------------------------------ */

/* "2026-11-25T10:00:00Z", "2026-11-25", or an age like "2h" / "30m". */
static bool parse_since(const char *text, int64_t now_us, int64_t *out) {
    uint64_t ms;
    if (!bt_duration_parse(text, &ms)) {
        *out = now_us - (int64_t)ms * 1000;
        return true;
    }
    bt_datetime dt;
    if (bt_datetime_parse_iso(text, &dt))
        return false;
    *out = bt_datetime_epoch_utc(&dt) * 1000000 + dt.nsec / 1000;
    return true;
}

static json_t *audit_json(const bt_store_audit *a) {
    json_t *before =
        a->before ? json_loads(a->before, JSON_DECODE_ANY, NULL) : NULL;
    json_t *after =
        a->after ? json_loads(a->after, JSON_DECODE_ANY, NULL) : NULL;
    return json_pack(
        "{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)a->id, "time",
        bt__mg_time(a->time_us), "who", bt__mg_strn(a->who), "action",
        bt__mg_strn(a->action), "object", bt__mg_strn(a->object), "before",
        before ? before : json_null(), "after", after ? after : json_null());
}

/* GET /api/audit?runbook=R&since=T&limit=N: oldest first, the newest N
 * that match. A runbook matches by its path (every entry made under it);
 * a path that no longer resolves (deleted, renamed away) is matched as
 * given. */
void bt__mg_audit_list(mg_req *r) {
    static const char *const allowed[] = {"runbook", "since", "limit", "action",
                                          NULL};
    if (!bt__mg_query_only(r, allowed))
        return;
    const char *ref = bt__mg_query(r, "runbook");
    const char *since = bt__mg_query(r, "since");
    const char *limit_q = bt__mg_query(r, "limit");
    const char *action = bt__mg_query(r, "action");
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    int64_t since_us = 0, limit = 1000;
    if (since && *since &&
        !parse_since(since, (int64_t)bt_store_now(s), &since_us)) {
        bt__mg_error(r, 400, "invalid_parameter", "since",
                     "since '%s' is neither a time (2026-11-25T10:00:00Z) "
                     "nor an age (2h, 30m)",
                     since);
        return;
    }
    if (limit_q && (!bt_parse_int64(limit_q, &limit) || limit < 1 ||
                    limit > AUDIT_LIMIT_MAX)) {
        bt__mg_error(r, 400, "invalid_parameter", "limit",
                     "limit must be a whole number from 1 to %d",
                     AUDIT_LIMIT_MAX);
        return;
    }
    /* The whole history is for administrators; anyone may read the
     * history of a runbook they can view. */
    bool admin = bt__mg_is_admin(r);
    if (!admin && !(ref && *ref)) {
        bt__mg_admin(r, "read the whole audit history (others: --runbook)");
        return;
    }
    char *object = NULL;
    if (ref && *ref) {
        bt_store_runbook rb;
        bool digits = strspn(ref, "0123456789") == strlen(ref);
        bt_error err = {0};
        int64_t id = 0;
        if (!admin || digits) {
            /* a path that no longer resolves is matched as given, for
             * administrators */
            if (digits && bt_parse_int64(ref, &id) && id > 0) {
                if (bt_store_runbook_get(s, id, &rb, &err)) {
                    bt__mg_not_found(r, "runbook", "runbook", ref);
                    return;
                }
                if (!bt__mg_can_see(r, rb.folder_id, BT_RIGHT_VIEW, rb.path,
                                    "runbook", ref, "runbook")) {
                    bt_store_runbook_clear(&rb);
                    return;
                }
            } else if (!bt__mg_resolve_runbook(r, ref, "runbook", &rb)) {
                return;
            }
            object = bt_xstrdup(rb.path);
            bt_store_runbook_clear(&rb);
        } else {
            object = bt_xstrdup(ref);
        }
    }
    json_t *arr = json_array();
    int64_t after = 0;
    bt_error err = {0};
    int rc = 0;
    for (;;) {
        bt_store_audit *items = NULL;
        size_t n = 0;
        rc = bt_store_audit_list(s, after, AUDIT_PAGE, &items, &n, &err);
        if (rc)
            break;
        for (size_t i = 0; i < n; i++) {
            const bt_store_audit *a = &items[i];
            after = a->id;
            if (a->time_us < since_us)
                continue;
            if (object && (!a->object || strcmp(a->object, object)))
                continue;
            if (action && *action &&
                (!a->action || strncmp(a->action, action, strlen(action))))
                continue;
            json_array_append_new(arr, audit_json(a));
            if (json_array_size(arr) > (size_t)limit)
                json_array_remove(arr, 0);
        }
        bt_store_audit_list_free(items, n);
        if (n < AUDIT_PAGE)
            break;
    }
    free(object);
    if (rc) {
        json_decref(arr);
        bt__mg_error_from(r, rc, &err, NULL);
        return;
    }
    bt__mg_reply(r, 200, json_pack("{s:o}", "items", arr));
}
