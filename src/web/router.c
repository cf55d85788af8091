/* The routing table: method + path pattern -> handler. A "{name}" segment
 * captures one path segment (the names are the OpenAPI document's). A path that matches with another method is
 * 405 with an Allow header; no match at all is 404. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/activity_types.h"
#include "web/auth.h"
#include "web/web_internal.h"

typedef struct route {
    const char *method;
    const char *pattern;
    bt_web_handler handler;
} route;

static const route routes[] = {
    {"GET", "/api/health", bt_web_health},
    {"GET", "/api/openapi.json", bt_web_openapi},
    {"GET", "/api/runbooks", bt_web_runbooks_list},
    {"GET", "/api/runbooks/{id}", bt_web_runbooks_get},
    {"GET", "/api/runbooks/{id}/diagram", bt_web_runbooks_diagram},
    {"GET", "/api/activity-types", bt_web_activity_types_list},
    {"POST", "/api/jobs", bt_web_jobs_create},
    {"GET", "/api/jobs", bt_web_jobs_list},
    {"GET", "/api/jobs/{id}", bt_web_jobs_get},
    {"POST", "/api/jobs/{id}/cancel", bt_web_jobs_cancel},
    {"GET", "/api/jobs/{id}/instances", bt_web_jobs_instances},
    {"GET", "/api/jobs/{id}/stream", bt_web_jobs_stream},
    {"GET", "/api/instances/{id}", bt_web_instances_get},
    {"GET", "/api/instances/{id}/activities", bt_web_instances_activities},
    {"GET", "/api/activity-instances/{id}", bt_web_activity_instances_get},
    {"GET", "/api/statistics", bt_web_statistics},
    {"GET", "/api/servers", bt_web_servers_list},
    {"GET", "/api/events", bt_web_events_list},
    {"GET", "/api/events/stream", bt_web_events_stream},
    {"GET", "/api/folders", bt_web_folders_tree},
    {"GET", "/api/variables", bt_web_variables_list},
    {"GET", "/api/counters", bt_web_counters_list},
    {"GET", "/api/counters/{name}", bt_web_counters_get},
    {"GET", "/api/schedules", bt_web_schedules_list},
    {"POST", "/api/maintenance/purge", bt_web_maintenance_purge},
    {"POST", "/api/tokens", bt_web_tokens_create},
    {"GET", "/api/tokens", bt_web_tokens_list},
    {"DELETE", "/api/tokens/{id}", bt_web_tokens_delete},
    {"GET", "/api/me", bt_web_users_me},
    {"GET", "/api/users", bt_web_users_list},
    {"POST", "/api/users", bt_web_users_create},
    {"DELETE", "/api/users/{name}", bt_web_users_delete},
    {"POST", "/api/users/{name}/password", bt_web_users_password},
    {"POST", "/api/users/{name}/disable", bt_web_users_disable},
    {"POST", "/api/users/{name}/enable", bt_web_users_enable},
    {"GET", "/api/groups", bt_web_groups_list},
    {"POST", "/api/groups", bt_web_groups_create},
    {"DELETE", "/api/groups/{name}", bt_web_groups_delete},
    {"POST", "/api/groups/{name}/members", bt_web_groups_add_member},
    {"DELETE", "/api/groups/{name}/members/{user}", bt_web_groups_remove_member},
    {"GET", "/api/permissions", bt_web_perms_list},
    {"POST", "/api/permissions", bt_web_perms_grant},
    {"DELETE", "/api/permissions", bt_web_perms_revoke},
    {"GET", "/metrics", bt_web_metrics_get},
};

size_t bt_web_route_count(void) { return BT_ARRAY_LEN(routes); }

void bt_web_route_at(size_t i, const char **method, const char **pattern) {
    *method = routes[i].method;
    *pattern = routes[i].pattern;
}

/* Matches path against pattern, pointing captures into buf (a copy of
 * path; a capture runs to the next '/', which bt_web_route cuts once the
 * route is chosen). A trailing '/' is tolerated. */
static bool match(const char *pattern, const char *path, char *buf,
                  const char **captures) {
    strcpy(buf, path);
    size_t len = strlen(buf);
    if (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
    if (buf[0] != '/') return false;
    const char *p = pattern + 1;
    char *s = buf + 1;
    size_t n_cap = 0;
    for (;;) {
        const char *pe = strchrnul(p, '/');
        char *se = strchrnul(s, '/');
        size_t plen = (size_t)(pe - p), slen = (size_t)(se - s);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (!slen || n_cap == BT_WEB_MAX_CAPTURES) return false;
            captures[n_cap++] = s;
        } else if (plen != slen || strncmp(p, s, plen)) {
            return false;
        }
        if (!*pe || !*se) return !*pe && !*se;
        p = pe + 1;
        s = se + 1;
    }
}

/* "/api/runbooks/%2FOps%2FHello[/diagram]": libmicrohttpd hands handlers
 * the decoded path, so a runbook path arrives as more segments
 * ("/api/runbooks//Ops/Hello"). A runbook literally named "diagram" is
 * reached by id. */
static const route *runbook_path_route(const char *path, size_t *cap_len) {
    static const char prefix[] = "/api/runbooks/", tail[] = "/diagram";
    size_t pl = sizeof prefix - 1, tl = sizeof tail - 1;
    if (strncmp(path, prefix, pl) || path[pl] != '/') return NULL;
    size_t len = strlen(path + pl);
    bool diagram = len > tl && !strcmp(path + pl + len - tl, tail);
    bt_web_handler h = diagram ? bt_web_runbooks_diagram : bt_web_runbooks_get;
    *cap_len = diagram ? len - tl : len;
    for (size_t i = 0; i < BT_ARRAY_LEN(routes); i++)
        if (routes[i].handler == h) return &routes[i];
    return NULL;
}

static bool route_runbook_path(bt_web_req *r) {
    size_t cap_len;
    const route *rt = runbook_path_route(r->path, &cap_len);
    if (!rt || strcmp(r->method, "GET")) return false;
    r->route = rt->pattern;
    r->capture_buf = bt_xstrndup(r->path + strlen("/api/runbooks/"), cap_len);
    r->captures[0] = r->capture_buf;
    rt->handler(r);
    return true;
}

void bt_web_route(bt_web_req *r) {
    size_t root = strlen(BT_ODATA_ROOT);
    if (!strncmp(r->path, BT_ODATA_ROOT, root) &&
        (r->path[root] == '\0' || r->path[root] == '/')) {
        bt_odata_handle(r);
        return;
    }
    if (route_runbook_path(r)) return;
    char *buf = bt_xmalloc(strlen(r->path) + 1);
    for (size_t i = 0; i < BT_ARRAY_LEN(routes); i++) {
        const char *caps[BT_WEB_MAX_CAPTURES] = {0};
        if (!match(routes[i].pattern, r->path, buf, caps)) continue;
        if (!strcmp(routes[i].method, r->method)) {
            for (size_t k = 0; k < BT_WEB_MAX_CAPTURES && caps[k]; k++) {
                char *slash = strchr(caps[k], '/');
                if (slash) *slash = '\0';
                r->captures[k] = caps[k];
            }
            r->capture_buf = buf;
            r->route = routes[i].pattern;
            routes[i].handler(r);
            return;
        }
        if (!strstr(r->allow, routes[i].method) &&
            strlen(r->allow) + strlen(routes[i].method) + 3 <
                sizeof r->allow) {
            if (*r->allow) strcat(r->allow, ", ");
            strcat(r->allow, routes[i].method);
        }
    }
    free(buf);
    if (*r->allow) {
        r->route = bt_web_route_pattern(r->path);
        bt_web_error(r, 405, "method_not_allowed", r->method,
                     "%s is not allowed on %s (allowed: %s)", r->method,
                     r->path, r->allow);
        return;
    }
    bt_web_error(r, 404, "not_found", r->path, "no such resource: %s",
                 r->path);
}

const char *bt_web_route_pattern(const char *path) {
    size_t cap_len;
    const route *rt = runbook_path_route(path, &cap_len);
    if (rt) return rt->pattern;
    char *buf = bt_xmalloc(strlen(path) + 1);
    const char *found = NULL;
    for (size_t i = 0; i < BT_ARRAY_LEN(routes) && !found; i++) {
        const char *caps[BT_WEB_MAX_CAPTURES] = {0};
        if (match(routes[i].pattern, path, buf, caps))
            found = routes[i].pattern;
    }
    free(buf);
    return found;
}

/* ---- request helpers -------------------------------------------------- */

typedef struct query_check {
    const char *const *allowed;
    const char *stranger;
} query_check;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
    query_check *q = cls;
    for (size_t i = 0; q->allowed[i]; i++)
        if (!strcmp(q->allowed[i], key)) return MHD_YES;
    q->stranger = key;
    return MHD_NO;
}

bool bt_web_query_only(bt_web_req *r, const char *const *allowed) {
    query_check q = {allowed, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
    if (!q.stranger) return true;
    bt_web_error(r, 400, "unknown_parameter", q.stranger,
                 "unknown query parameter '%s'", q.stranger);
    return false;
}

const char *bt_web_query(bt_web_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *bt_web_header(bt_web_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *bt_web_user(bt_web_req *r, const char *fallback) {
    if (r->user) return r->user; /* authenticated */
    const char *u = bt_web_header(r, "X-Baton-User");
    if (!u || !*u) return fallback;
    return strlen(u) > BT_WEB_USER_MAX ? NULL : u;
}

bool bt_web_parse_id(bt_web_req *r, const char *text, const char *target,
                     int64_t *out) {
    int64_t v;
    if (text && bt_parse_int64(text, &v) && v > 0) {
        *out = v;
        return true;
    }
    bt_web_error(r, 400, "invalid_parameter", target,
                 "%s must be a positive integer, got '%s'", target,
                 text ? text : "");
    return false;
}
