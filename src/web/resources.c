/* Read-only resources an operator watches: runbook servers, events, the
 * folder tree, global variables, counters and schedules. Encrypted
 * variables show their name and nothing of their value: no API ever
 * returns one. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define EVENTS_LIMIT_MAX 1000
#define FOLDER_DEPTH_MAX 64

/* GET /api/servers */
void bt_web_servers_list(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_server *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_server_list(s, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const bt_store_server *sv = &items[i];
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:s?, s:b, s:o, s:o, s:o}", "id",
                           (json_int_t)sv->id, "guid", sv->guid, "name",
                           sv->name, "version", sv->version, "up", sv->up,
                           "registered", bt_web_time(sv->registered_us),
                           "heartbeat", bt_web_time(sv->heartbeat_us),
                           "lease_expires",
                           bt_web_time(sv->lease_expires_us)));
    }
    bt_store_server_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", arr));
}

/* A non-negative integer query parameter no larger than max; answers 400
 * and returns false when it is something else. */
static bool query_count(bt_web_req *r, const char *name, long long max,
                        long long *out) {
    const char *q = bt_web_query(r, name);
    if (!q || !*q) return true;
    char *end = NULL;
    long long v = strtoll(q, &end, 10);
    if (*end || v < 0 || v > max) {
        bt_web_error(r, 400, "invalid_parameter", name,
                     "%s must be an integer from 0 to %lld, got '%s'", name,
                     max, q);
        return false;
    }
    *out = v;
    return true;
}

/* GET /api/events?job=ID&cursor=ID&limit=N: oldest first, so a client
 * follows the log by passing back next_cursor (the last id it saw). */
void bt_web_events_list(bt_web_req *r) {
    static const char *const allowed[] = {"job", "cursor", "limit", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    long long job = 0, after = 0, limit = 100;
    if (!query_count(r, "job", INT64_MAX, &job) ||
        !query_count(r, "cursor", INT64_MAX, &after) ||
        !query_count(r, "limit", EVENTS_LIMIT_MAX, &limit))
        return;
    if (!limit) limit = 100;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_event *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_event_list(s, job, after, (size_t)limit, &items, &n,
                                 &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    /* events of jobs the caller may not view are left out; events of no
     * job (servers) are for everyone */
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) {
        bt_store_event_list_free(items, n);
        return;
    }
    int64_t seen_job = 0;
    bool seen_ok = true;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const bt_store_event *e = &items[i];
        if (!sc.all && e->job_id) {
            if (e->job_id != seen_job) {
                bt_store_job j = {0};
                seen_job = e->job_id;
                seen_ok = !bt_store_job_get(s, e->job_id, &j, NULL) &&
                          bt_auth_scope_runbook(r, &sc, j.runbook_id,
                                                BT_RIGHT_VIEW);
                bt_store_job_clear(&j);
            }
            if (!seen_ok) continue;
        }
        json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s}", "id",
                              (json_int_t)e->id, "time",
                              bt_web_time(e->time_us), "severity",
                              bt_severity_name(e->severity), "source",
                              e->source, "message", e->message);
        json_object_set_new(o, "job", e->job_id
                                          ? json_integer(e->job_id)
                                          : json_null());
        json_array_append_new(arr, o);
    }
    json_t *body = json_pack("{s:o}", "items", arr);
    json_object_set_new(body, "next_cursor",
                        json_integer(n ? items[n - 1].id : after));
    bt_store_event_list_free(items, n);
    bt_web_reply(r, 200, body);
}

/* The folder with its subfolders and runbooks, depth-first. */
/* Only what the caller may view: runbooks in folders they hold view on,
 * and folders that are viewable or lead to something viewable. */
static int folder_tree(bt_web_req *r, bt_auth_scope *sc, bt_store *s,
                       const bt_store_folder *f, int depth, json_t **out,
                       bt_error *err) {
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)f->id,
                          "guid", f->guid, "name", f->name, "path", f->path);
    json_t *runbooks = json_array(), *folders = json_array();
    json_object_set_new(o, "folders", folders);
    json_object_set_new(o, "runbooks", runbooks);
    *out = o;

    bt_store_runbook *rbs = NULL;
    size_t n_rbs = 0;
    int rc = bt_store_runbook_list(s, f->id, &rbs, &n_rbs, err);
    if (rc) return rc;
    bool view = bt_auth_scope_can(r, sc, f->id, BT_RIGHT_VIEW);
    for (size_t i = 0; view && i < n_rbs; i++)
        json_array_append_new(runbooks, bt_web_runbook_json(&rbs[i]));
    bt_store_runbook_list_free(rbs, n_rbs);

    if (depth >= FOLDER_DEPTH_MAX) return 0;
    bt_store_folder *subs = NULL;
    size_t n_subs = 0;
    rc = bt_store_folder_list(s, f->id, &subs, &n_subs, err);
    for (size_t i = 0; !rc && i < n_subs; i++) {
        json_t *child = NULL;
        rc = folder_tree(r, sc, s, &subs[i], depth + 1, &child, err);
        if (child && !bt_auth_scope_can(r, sc, subs[i].id, BT_RIGHT_VIEW) &&
            !json_array_size(json_object_get(child, "folders")) &&
            !json_array_size(json_object_get(child, "runbooks"))) {
            json_decref(child);
            child = NULL;
        }
        if (child) json_array_append_new(folders, child);
    }
    bt_store_folder_list_free(subs, n_subs);
    return rc;
}

/* GET /api/folders?path=/Ops: the tree under path (default the root). */
void bt_web_folders_tree(bt_web_req *r) {
    static const char *const allowed[] = {"path", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    const char *path = bt_web_query(r, "path");
    if (!path || !*path) path = "/";
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_folder f = {0};
    bt_error err = {0};
    int rc = bt_store_folder_get(s, path, &f, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, "path");
        return;
    }
    json_t *tree = NULL;
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) {
        bt_store_folder_clear(&f);
        return;
    }
    rc = folder_tree(r, &sc, s, &f, 0, &tree, &err);
    bt_store_folder_clear(&f);
    if (rc) {
        json_decref(tree);
        bt_web_error_from(r, rc, &err, "path");
        return;
    }
    bt_web_reply(r, 200, tree);
}

/* ?folder=/A/B of the global settings lists (their own folder tree, not
 * the runbook folders): true to go on, *folder NULL for every item. */
static bool settings_folder(bt_web_req *r, const char **folder) {
    static const char *const allowed[] = {"folder", NULL};
    if (!bt_web_query_only(r, allowed)) return false;
    *folder = bt_web_query(r, "folder");
    bt_error err = {0};
    if (*folder && bt_store_setting_folder_check(*folder, &err)) {
        bt_web_error(r, 400, "invalid_parameter", "folder", "%s", err.message);
        return false;
    }
    return true;
}

/* GET /api/variables[?folder=] */
void bt_web_variables_list(bt_web_req *r) {
    const char *folder;
    if (!settings_folder(r, &folder)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_variable *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_variable_list_in(s, folder, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const bt_store_variable *v = &items[i];
        json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "name", v->name,
                              "folder", v->folder ? v->folder : "/",
                              "encrypted", v->encrypted, "updated",
                              bt_web_time(v->updated_us));
        /* A plain value that is not UTF-8 text is shown as null rather
         * than mangled. */
        json_t *val = v->encrypted
                          ? NULL
                          : json_stringn((const char *)v->value, v->len);
        json_object_set_new(o, "value", val ? val : json_null());
        json_array_append_new(arr, o);
    }
    bt_store_variable_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", arr));
}

/* GET /api/counters[?folder=] */
void bt_web_counters_list(bt_web_req *r) {
    const char *folder;
    if (!settings_folder(r, &folder)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_counter *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_counter_list(s, folder, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:I, s:o}", "name", items[i].name,
                           "folder", items[i].folder, "value",
                           (json_int_t)items[i].value, "updated",
                           bt_web_time(items[i].updated_us)));
    bt_store_counter_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", arr));
}

/* GET /api/counters/{name} */
void bt_web_counters_get(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    int64_t value = 0;
    bt_error err = {0};
    int rc = bt_store_counter_get(s, r->captures[0], &value, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, "name");
        return;
    }
    bt_web_reply(r, 200, json_pack("{s:s, s:I}", "name", r->captures[0],
                                   "value", (json_int_t)value));
}

/* GET /api/schedules[?folder=] */
void bt_web_schedules_list(bt_web_req *r) {
    const char *folder;
    if (!settings_folder(r, &folder)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_schedule *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_schedule_list_in(s, folder, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:o, s:o}", "name", items[i].name,
                           "folder", items[i].folder, "definition",
                           bt_web_json_text(items[i].definition), "updated",
                           bt_web_time(items[i].updated_us)));
    bt_store_schedule_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", arr));
}
