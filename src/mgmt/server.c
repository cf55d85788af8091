/* The management server's life and its request layer: binding, reading a
 * capped body, admission (who is asking), routing, answering, and the pool
 * of store handles. It follows src/web/web.c (thread per connection, a
 * store handle per request); the two share no code because the web
 * service's request type carries OData state the designer API has no use
 * for. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "mgmt/mgmt_internal.h"
#include "mgmt/mgmt_packs.h"

/* ---- routes ----------------------------------------------------------- */

typedef struct route {
    const char *method;
    const char *pattern; /* a trailing "{}" captures the last segment */
    mg_handler handler;
} route;

static const route routes[] = {
    {"GET", "/api/health", bt__mg_health},
    {"GET", "/api/tree", bt__mg_tree},
    {"POST", "/api/folders", bt__mg_folder_create},
    {"POST", "/api/folders/rename", bt__mg_folder_rename},
    {"POST", "/api/folders/move", bt__mg_folder_move},
    {"POST", "/api/folders/delete", bt__mg_folder_delete},
    {"GET", "/api/runbook", bt__mg_runbook_show},
    {"GET", "/api/runbook/history", bt__mg_runbook_history},
    {"GET", "/api/runbook/diff", bt__mg_runbook_diff},
    {"POST", "/api/runbook/checkout", bt__mg_runbook_checkout},
    {"POST", "/api/runbook/undo-checkout", bt__mg_runbook_undo_checkout},
    {"POST", "/api/runbook/checkin", bt__mg_runbook_checkin},
    {"POST", "/api/runbook/revert", bt__mg_runbook_revert},
    {"POST", "/api/runbook/settings", bt__mg_runbook_settings},
    {"POST", "/api/runbook/rename", bt__mg_runbook_rename},
    {"POST", "/api/runbook/move", bt__mg_runbook_move},
    {"POST", "/api/runbook/delete", bt__mg_runbook_delete},
    {"GET", "/api/export", bt__mg_export},
    {"POST", "/api/import", bt__mg_import},
    {"POST", "/api/import-ois", bt__mg_import_ois},
    {"GET", "/api/variables", bt__mg_variables_list},
    {"POST", "/api/variables", bt__mg_variable_set},
    {"POST", "/api/variables/move", bt__mg_variable_move},
    {"GET", "/api/variables/{}", bt__mg_variable_get},
    {"DELETE", "/api/variables/{}", bt__mg_variable_delete},
    {"GET", "/api/counters", bt__mg_counters_list},
    {"POST", "/api/counters", bt__mg_counter_set},
    {"POST", "/api/counters/move", bt__mg_counter_move},
    {"GET", "/api/counters/{}", bt__mg_counter_get},
    {"DELETE", "/api/counters/{}", bt__mg_counter_delete},
    {"GET", "/api/schedules", bt__mg_schedules_list},
    {"POST", "/api/schedules", bt__mg_schedule_set},
    {"POST", "/api/schedules/move", bt__mg_schedule_move},
    {"GET", "/api/schedules/{}", bt__mg_schedule_get},
    {"DELETE", "/api/schedules/{}", bt__mg_schedule_delete},
    {"GET", "/api/servers", bt__mg_servers_list},
    {"POST", "/api/servers/throttle", bt__mg_server_throttle},
    {"POST", "/api/servers/drain", bt__mg_server_drain},
    {"GET", "/api/audit", bt__mg_audit_list},
    {"GET", "/api/packs", bt__mg_packs_list},
    {"POST", "/api/packs", bt__mg_pack_register},
    {"GET", "/api/packs/{}", bt__mg_pack_get},
    {"DELETE", "/api/packs/{}", bt__mg_pack_delete},
};

/* pattern "/a/b/{}" matches "/a/b/x" (x without '/'); a trailing '/' on
 * the path is tolerated. *cap_len is the capture's length. */
static bool match(const char *pattern, const char *path, const char **cap,
                  size_t *cap_len) {
    size_t plen = strlen(pattern), len = strlen(path);
    if (len > 1 && path[len - 1] == '/')
        len--;
    *cap = NULL;
    if (plen >= 2 && !strcmp(pattern + plen - 2, "{}")) {
        size_t prefix = plen - 2;
        if (len <= prefix || strncmp(pattern, path, prefix))
            return false;
        if (memchr(path + prefix, '/', len - prefix))
            return false;
        *cap = path + prefix;
        *cap_len = len - prefix;
        return true;
    }
    return len == plen && !strncmp(pattern, path, len);
}

static void allow_method(mg_req *r, const char *method) {
    if (!strstr(r->allow, method) &&
        strlen(r->allow) + strlen(method) + 3 < sizeof r->allow) {
        if (*r->allow)
            strcat(r->allow, ", ");
        strcat(r->allow, method);
    }
}

static void route_request(mg_req *r) {
    for (size_t i = 0; i < BT_ARRAY_LEN(routes); i++) {
        const char *cap;
        size_t cap_len = 0;
        if (!match(routes[i].pattern, r->path, &cap, &cap_len))
            continue;
        if (!strcmp(routes[i].method, r->method)) {
            if (cap)
                r->capture = r->capture_buf = bt_xstrndup(cap, cap_len);
            routes[i].handler(r);
            return;
        }
        allow_method(r, routes[i].method);
    }
    if (*r->allow)
        bt__mg_error(r, 405, "method_not_allowed", r->method,
                     "%s is not allowed on %s (allowed: %s)", r->method,
                     r->path, r->allow);
    else
        bt__mg_error(r, 404, "not_found", r->path, "no such resource: %s",
                     r->path);
}

/* ---- CORS ------------------------------------------------------------- */

/* The console (port 82) authors through this server straight from the
 * browser, so its origin needs the same CORS answers the web service
 * gives it: the request's Origin echoed when it is one of cors_origins
 * (exactly, as browsers send scheme://host[:port]), nothing otherwise. */
static const char *allowed_origin(bt_mgmt *m, struct MHD_Connection *conn) {
    const char *o =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (!o)
        return NULL;
    for (size_t i = 0; i < m->n_cors_origins; i++)
        if (!strcmp(m->cors_origins[i], o))
            return o;
    return NULL;
}

/* OPTIONS: the path's methods, and for an allowed origin what a preflight
 * asks. Never authenticated: browsers send preflights without
 * credentials, and the answer reveals nothing but the route table. */
static void answer_options(mg_req *r) {
    for (size_t i = 0; i < BT_ARRAY_LEN(routes); i++) {
        const char *cap;
        size_t cap_len;
        if (match(routes[i].pattern, r->path, &cap, &cap_len))
            allow_method(r, routes[i].method);
    }
    if (!*r->allow) {
        bt__mg_error(r, 404, "not_found", r->path, "no such resource: %s",
                     r->path);
        return;
    }
    allow_method(r, "OPTIONS");
    r->status = 204;
    r->preflight = true;
}

static void add_cors(mg_req *r, struct MHD_Response *resp) {
    if (r->cors_origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin",
                                r->cors_origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                "Allow, WWW-Authenticate");
        if (r->preflight) {
            MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                    r->allow);
            MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                    "Authorization, Content-Type, "
                                    "X-Baton-User");
            MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
        }
    }
    /* the answer depends on Origin whenever CORS is configured */
    if (r->mgmt->n_cors_origins)
        MHD_add_response_header(resp, "Vary", "Origin");
}

/* ---- admission -------------------------------------------------------- */

/* The one place that decides who is asking: the configured hook (the
 * same users and tokens as the web service), else X-Baton-User as on the
 * web service without authentication. The audit history records the name.
 * Returns false after answering. */
static bool admit(mg_req *r) {
    bt_mgmt *m = r->mgmt;
    if (m->authenticate && !(strcmp(r->method, "GET") == 0 &&
                             strcmp(r->path, "/api/health") == 0)) {
        bt_store *s = bt__mg_store(r);
        if (!s)
            return false;
        bt_error err = {0};
        const char *authz = MHD_lookup_connection_value(
            r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        int rc = m->authenticate(m->auth_ud, s, authz, r->user_buf,
                                 sizeof r->user_buf, &err);
        if (rc == -BT_EINVAL)
            bt__mg_error(r, 401, "unauthorized", "Authorization", "%s",
                         err.message[0] ? err.message
                                        : "credentials are required");
        else if (rc == -BT_ESTATE)
            bt__mg_error(r, 403, "forbidden", NULL, "%s", err.message);
        else if (rc)
            bt__mg_error_from(r, rc, &err, NULL);
        if (rc)
            return false;
        r->user = r->user_buf;
        r->authenticated = true;
        return true;
    }
    const char *u =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Baton-User");
    if (!u || !*u) {
        r->user = "api";
        return true;
    }
    if (strlen(u) > BT_MGMT_USER_MAX) {
        bt__mg_error(r, 400, "invalid_header", "X-Baton-User",
                     "X-Baton-User is longer than %d bytes", BT_MGMT_USER_MAX);
        return false;
    }
    r->user = u;
    return true;
}

/* ---- authorization -------------------------------------------------- */

static bool know_user(mg_req *r) {
    if (r->rights_known)
        return true;
    bt_store_user u = {0};
    bt_error err = {0};
    int rc = bt_store_user_find(r->store, r->user, &u, &err);
    if (rc) {
        bt__mg_error_from(r, rc == -BT_ENOTFOUND ? -BT_EIO : rc, &err, NULL);
        return false;
    }
    r->user_id = u.id;
    r->is_admin = u.is_admin && !u.disabled;
    r->rights_known = true;
    bt_store_user_clear(&u);
    return true;
}

static const char *right_name(unsigned rights) {
    if (rights & BT_RIGHT_ADMIN)
        return "admin";
    if (rights & BT_RIGHT_AUTHOR)
        return "author";
    if (rights & BT_RIGHT_STOP)
        return "stop";
    if (rights & BT_RIGHT_START)
        return "start";
    return "view";
}

/* not_found: the kind ("runbook", "folder") and name a missing object is
 * answered with; when the caller may not even view the folder, the answer
 * is that 404, word for word, as on the web service, so nothing unseen is
 * confirmed to exist. NULL kind: always 403. */
static bool check_rights(mg_req *r, int64_t folder_id, unsigned rights,
                         const char *what, const char *kind, const char *name,
                         const char *target) {
    if (!r->authenticated)
        return true;
    if (!bt__mg_store(r) || !know_user(r))
        return false;
    if (r->is_admin)
        return true;
    unsigned have = 0;
    bt_error err = {0};
    int rc = bt_store_rights(r->store, r->user_id, folder_id, &have, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, NULL);
        return false;
    }
    if ((have & rights) == rights)
        return true;
    if (kind && !(have & BT_RIGHT_VIEW)) {
        bt__mg_not_found(r, target, kind, name);
        return false;
    }
    bt__mg_error(r, 403, "forbidden", NULL,
                 "%s needs the %s right on %s (baton perm grant)", r->user,
                 right_name(rights & ~have), what);
    return false;
}

bool bt__mg_can(mg_req *r, int64_t folder_id, unsigned rights,
                const char *what) {
    return check_rights(r, folder_id, rights, what, NULL, NULL, NULL);
}

bool bt__mg_can_see(mg_req *r, int64_t folder_id, unsigned rights,
                    const char *what, const char *kind, const char *name,
                    const char *target) {
    return check_rights(r, folder_id, rights, what, kind, name, target);
}

void bt__mg_not_found(mg_req *r, const char *target, const char *kind,
                      const char *name) {
    bt__mg_error(r, 404, "not_found", target, "no %s '%s'", kind, name);
}

bool bt__mg_can_path(mg_req *r, const char *path, unsigned rights,
                     const char *what) {
    if (!r->authenticated)
        return true;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return false;
    char *p = bt_xstrdup(path && *path ? path : "/");
    bt_store_folder f = {0};
    bt_error err = {0};
    int rc;
    while ((rc = bt_store_folder_get(s, p, &f, &err)) == -BT_ENOTFOUND &&
           strcmp(p, "/")) {
        char *slash = strrchr(p, '/');
        if (slash == p)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    free(p);
    if (rc) {
        bt__mg_error_from(r, rc, &err, NULL);
        return false;
    }
    bool ok = bt__mg_can(r, f.id, rights, what);
    bt_store_folder_clear(&f);
    return ok;
}

bool bt__mg_is_admin(mg_req *r) {
    if (!r->authenticated)
        return true;
    return bt__mg_store(r) && know_user(r) && r->is_admin;
}

bool bt__mg_admin(mg_req *r, const char *what) {
    if (!r->authenticated)
        return true;
    if (!bt__mg_store(r) || !know_user(r))
        return false;
    if (r->is_admin)
        return true;
    bt__mg_error(r, 403, "forbidden", NULL,
                 "%s needs to be an administrator to %s", r->user, what);
    return false;
}

/* ---- store pool ------------------------------------------------------- */

static bt_store *pool_take(bt_mgmt *m, bt_error *err) {
    bt_store *s = NULL;
    pthread_mutex_lock(&m->pool_lock);
    if (m->n_pool)
        s = m->pool[--m->n_pool];
    pthread_mutex_unlock(&m->pool_lock);
    if (s)
        return s;
    if (bt_store_open(m->store_url, &s, err))
        return NULL;
    return s;
}

static void pool_give(bt_mgmt *m, bt_store *s) {
    if (!s)
        return;
    bt_store_rollback(s); /* a handler that failed leaves its group open */
    pthread_mutex_lock(&m->pool_lock);
    if (m->n_pool < BT_MGMT_POOL_MAX) {
        m->pool[m->n_pool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&m->pool_lock);
    bt_store_close(s);
}

bt_store *bt__mg_store(mg_req *r) {
    if (r->store)
        return r->store;
    bt_error err = {0};
    r->store = pool_take(r->mgmt, &err);
    if (!r->store)
        bt__mg_error(r, 500, "store_unavailable", NULL,
                     "cannot open the orchestration database: %s", err.message);
    return r->store;
}

const char *bt__mg_key_file(mg_req *r) { return r->mgmt->key_file; }

/* ---- answers ---------------------------------------------------------- */

void bt__mg_reply(mg_req *r, unsigned status, json_t *body) {
    json_decref(r->reply);
    r->status = status;
    r->reply = body;
}

void bt__mg_error(mg_req *r, unsigned status, const char *code,
                  const char *target, const char *fmt, ...) {
    char msg[BT_ERROR_MESSAGE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(code));
    json_t *m = json_string(msg);
    json_object_set_new(e, "message",
                        m ? m : json_string("(message is not valid UTF-8)"));
    if (target)
        json_object_set_new(e, "target", bt__mg_strn(target));
    bt__mg_reply(r, status, json_pack("{s:o}", "error", e));
}

void bt__mg_error_from(mg_req *r, int rc, const bt_error *err,
                       const char *target) {
    if (rc < 0)
        rc = -rc;
    const char *msg = err && err->message[0] ? err->message : bt_strerror(rc);
    switch (rc) {
    case BT_ENOTFOUND:
        bt__mg_error(r, 404, "not_found", target, "%s", msg);
        break;
    case BT_EINVAL:
    case BT_ESYNTAX:
        bt__mg_error(r, 400, "invalid", target, "%s", msg);
        break;
    case BT_ETOOBIG:
        bt__mg_error(r, 413, "too_large", target, "%s", msg);
        break;
    case BT_EEXIST:
        bt__mg_error(r, 409, "exists", target, "%s", msg);
        break;
    case BT_ESTATE:
        bt__mg_error(r, 409, "conflict", target, "%s", msg);
        break;
    default:
        bt__mg_error(r, 500, "store_error", target, "%s", msg);
        break;
    }
}

json_t *bt__mg_time(int64_t us) {
    if (us <= 0)
        return json_null();
    char buf[40];
    bt_format_time_us((uint64_t)us, buf, sizeof buf);
    return json_string(buf);
}

json_t *bt__mg_strn(const char *s) {
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

/* ---- request helpers -------------------------------------------------- */

json_t *bt__mg_body(mg_req *r, const char *const *allowed) {
    if (!r->json) {
        json_error_t je;
        r->json = json_loadb(r->body.data ? r->body.data : "", r->body.len,
                             JSON_REJECT_DUPLICATES, &je);
        if (!r->json) {
            bt__mg_error(r, 400, "invalid_json", "body",
                         "the request body is not JSON: %s (line %d, column "
                         "%d)",
                         je.text, je.line, je.column);
            return NULL;
        }
    }
    if (!json_is_object(r->json)) {
        bt__mg_error(r, 400, "invalid_json", "body",
                     "the request body must be a JSON object");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(allowed[i], k);
        if (!ok) {
            bt__mg_error(r, 400, "unknown_field", k, "unknown field '%s'", k);
            return NULL;
        }
    }
    return r->json;
}

bool bt__mg_str(mg_req *r, json_t *body, const char *name, bool required,
                const char **out) {
    json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return true;
        bt__mg_error(r, 400, "missing_field", name, "'%s' is required", name);
        return false;
    }
    if (!json_is_string(v)) {
        bt__mg_error(r, 400, "invalid", name, "'%s' must be a string", name);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

typedef struct query_check {
    const char *const *allowed;
    const char *stranger;
} query_check;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
    query_check *q = cls;
    for (size_t i = 0; q->allowed[i]; i++)
        if (!strcmp(q->allowed[i], key))
            return MHD_YES;
    q->stranger = key;
    return MHD_NO;
}

bool bt__mg_query_only(mg_req *r, const char *const *allowed) {
    query_check q = {allowed, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
    if (!q.stranger)
        return true;
    bt__mg_error(r, 400, "unknown_parameter", q.stranger,
                 "unknown query parameter '%s'", q.stranger);
    return false;
}

const char *bt__mg_query(mg_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool bt__mg_begin(mg_req *r) {
    bt_store *s = bt__mg_store(r);
    if (!s)
        return false;
    bt_error err = {0};
    int rc = bt_store_begin(s, &err);
    if (rc)
        bt__mg_error_from(r, rc, &err, NULL);
    return !rc;
}

bool bt__mg_commit(mg_req *r) {
    bt_error err = {0};
    int rc = bt_store_commit(r->store, &err);
    if (rc)
        bt__mg_error_from(r, rc, &err, NULL);
    return !rc;
}

bool bt__mg_audit(mg_req *r, const char *action, const char *object,
                  json_t *before, json_t *after) {
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_ENCODE_ANY |
                                              JSON_SORT_KEYS)
                     : NULL;
    char *a =
        after
            ? json_dumps(after, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS)
            : NULL;
    bt_error err = {0};
    int rc = bt_store_audit_add(r->store, r->user, action, object, b, a, &err);
    free(b);
    free(a);
    if (rc)
        bt__mg_error_from(r, rc, &err, NULL);
    return !rc;
}

/* ---- libmicrohttpd ---------------------------------------------------- */

static void req_free(mg_req *r) {
    if (!r)
        return;
    pool_give(r->mgmt, r->store);
    bt_buf_free(&r->body);
    json_decref(r->reply);
    json_decref(r->json);
    free(r->capture_buf);
    free(r);
}

static enum MHD_Result queue(mg_req *r, struct MHD_Response *resp) {
    if (*r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    add_cors(r, resp);
    enum MHD_Result rc = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return rc;
}

static enum MHD_Result send_reply(mg_req *r) {
    if (r->status == 204 && !r->reply) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            0, (void *)"", MHD_RESPMEM_PERSISTENT);
        return resp ? queue(r, resp) : MHD_NO;
    }
    char *text = r->reply ? json_dumps(r->reply, JSON_COMPACT) : NULL;
    if (!text)
        text = bt_xstrdup("{}");
    size_t len = strlen(text);
    char *body = bt_xrealloc(text, len + 2);
    body[len] = '\n';
    body[len + 1] = '\0';
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len + 1, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json; charset=utf-8");
    return queue(r, resp);
}

static void answer_too_big(mg_req *r) {
    bt__mg_error(r, 413, "too_large", "body",
                 "request body is larger than the limit of %zu bytes",
                 r->mgmt->max_body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    bt_mgmt *m = cls;
    mg_req *r = *con_cls;
    if (!r) {
        r = bt_xcalloc(1, sizeof *r);
        r->mgmt = m;
        r->conn = conn;
        r->method = method;
        r->path = url;
        bt_buf_init(&r->body, m->max_body);
        *con_cls = r;
        r->cors_origin = allowed_origin(m, conn);
        if (!strcmp(method, "OPTIONS")) {
            answer_options(r);
            return send_reply(r);
        }
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t n;
        if (cl && bt_parse_int64(cl, &n) && n > 0 &&
            (uint64_t)n > (uint64_t)m->max_body) {
            answer_too_big(r);
            return send_reply(r);
        }
        return MHD_YES;
    }
    if (r->responded) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big && bt_buf_append(&r->body, upload, *upload_size)) {
            r->too_big = true;
            bt_buf_free(&r->body);
        }
        *upload_size = 0;
        return r->too_big ? MHD_NO : MHD_YES;
    }
    if (r->too_big) {
        answer_too_big(r);
        return send_reply(r);
    }
    if (admit(r))
        route_request(r);
    if (!r->status)
        bt__mg_error(r, 500, "internal", NULL,
                     "the handler for %s %s gave no answer", method, url);
    pool_give(m, r->store);
    r->store = NULL;
    return send_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    req_free(*con_cls);
    *con_cls = NULL;
}

/* Reads a PEM file for HTTPS; the message names the file and the
 * setting, since a typo there is the usual mistake. */
static int read_pem(const char *path, const char *setting, const char *marker,
                    char **out, bt_error *err) {
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    bt_error e = {0};
    if (bt_buf_read_file(&b, path, &e)) {
        bt_buf_free(&b);
        return bt_error_set(err, BT_EINVAL,
                            "management server: cannot read the %s file '%s' "
                            "(setting %s): %s",
                            setting, path, setting, e.message);
    }
    if (!strstr(bt_buf_str(&b), marker)) {
        bt_buf_free(&b);
        return bt_error_set(err, BT_EINVAL,
                            "management server: the %s file '%s' (setting "
                            "%s) is not PEM: no '%s' line",
                            setting, path, setting, marker);
    }
    *out = bt_buf_detach(&b);
    return 0;
}

static int load_tls(bt_mgmt *m, const bt_mgmt_config *cfg, bt_error *err) {
    if (!cfg->tls_cert_file && !cfg->tls_key_file)
        return 0;
    if (!cfg->tls_cert_file || !cfg->tls_key_file)
        return bt_error_set(err, BT_EINVAL,
                            "management server: HTTPS needs both a "
                            "certificate (tls_cert) and its private key "
                            "(tls_key); only the %s is set",
                            cfg->tls_cert_file ? "certificate" : "key");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return bt_error_set(err, BT_EINVAL,
                            "management server: this libmicrohttpd has no "
                            "TLS support; unset tls_cert and tls_key");
    int rc = read_pem(cfg->tls_cert_file, "tls_cert",
                      "-----BEGIN CERTIFICATE-----", &m->tls_cert, err);
    if (!rc)
        rc = read_pem(cfg->tls_key_file, "tls_key", "PRIVATE KEY-----",
                      &m->tls_key, err);
    return rc;
}

int bt_mgmt_start(const bt_mgmt_config *cfg, bt_mgmt **out, bt_error *err) {
    *out = NULL;
    if (!cfg->store_url) {
        if (cfg->listen_fd >= 0)
            close(cfg->listen_fd);
        return bt_error_set(err, BT_EINVAL,
                            "management server: no orchestration database "
                            "given");
    }
    bt_mgmt *m = bt_xcalloc(1, sizeof *m);
    m->store_url = bt_xstrdup(cfg->store_url);
    m->key_file = cfg->key_file ? bt_xstrdup(cfg->key_file) : NULL;
    m->max_body = cfg->max_body ? cfg->max_body : BT_MGMT_DEFAULT_MAX_BODY;
    m->authenticate = cfg->authenticate;
    m->auth_ud = cfg->auth_ud;
    if (cfg->n_cors_origins) {
        m->cors_origins = bt_xcalloc(cfg->n_cors_origins, sizeof(char *));
        for (size_t i = 0; i < cfg->n_cors_origins; i++)
            m->cors_origins[i] = bt_xstrdup(cfg->cors_origins[i]);
        m->n_cors_origins = cfg->n_cors_origins;
    }
    pthread_mutex_init(&m->pool_lock, NULL);
    bt_store *s = NULL;
    int rc = bt_store_open(m->store_url, &s, err);
    if (rc) {
        if (cfg->listen_fd >= 0)
            close(cfg->listen_fd);
        bt_mgmt_stop(m);
        return rc;
    }
    m->pool[m->n_pool++] = s;
    if ((rc = load_tls(m, cfg, err))) {
        close(cfg->listen_fd);
        bt_mgmt_stop(m);
        return rc;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(cfg->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
        m->port = ntohs(ss.ss_family == AF_INET6
                            ? ((struct sockaddr_in6 *)&ss)->sin6_port
                            : ((struct sockaddr_in *)&ss)->sin_port);
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD;
    if (m->tls_cert)
        m->daemon = MHD_start_daemon(
            flags | MHD_USE_TLS, 0, NULL, NULL, on_request, m,
            MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
            MHD_OPTION_HTTPS_MEM_CERT, m->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
            m->tls_key, MHD_OPTION_END);
    else
        m->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET,
            cfg->listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!m->daemon) {
        close(cfg->listen_fd);
        bool tls = m->tls_cert != NULL;
        bt_mgmt_stop(m);
        if (tls)
            return bt_error_set(
                err, BT_EINVAL,
                "management server: HTTPS did not start with certificate "
                "'%s' (tls_cert) and key '%s' (tls_key): check that the key "
                "is the certificate's and is not encrypted",
                cfg->tls_cert_file, cfg->tls_key_file);
        return bt_error_set(err, BT_EIO,
                            "management server: libmicrohttpd did not start");
    }
    *out = m;
    return 0;
}

uint16_t bt_mgmt_port(const bt_mgmt *m) { return m ? m->port : 0; }

void bt_mgmt_stop(bt_mgmt *m) {
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    for (size_t i = 0; i < m->n_pool; i++)
        bt_store_close(m->pool[i]);
    pthread_mutex_destroy(&m->pool_lock);
    free(m->store_url);
    free(m->key_file);
    free(m->tls_cert);
    if (m->tls_key)
        memset(m->tls_key, 0, strlen(m->tls_key));
    free(m->tls_key);
    for (size_t i = 0; i < m->n_cors_origins; i++)
        free(m->cors_origins[i]);
    free(m->cors_origins);
    free(m);
}
