/* GET /api/openapi.json: an OpenAPI 3.0 description of every route,
 * written by hand next to the router (test_web_ops checks that each route
 * in router.c appears here; a new route needs a row in OPS). Built once
 * per request with jansson from the table below, so the document is
 * always valid JSON. */
#include <string.h>

#include "common/version.h"
#include "web/web_internal.h"

typedef struct op {
    const char *method; /* lower case, as OpenAPI writes it */
    const char *path;
    const char *tag;
    const char *summary;
    const char *query; /* "name:type:description|..." or NULL */
    const char *ok;    /* success status */
    const char *schema; /* response: a components schema, "sse", "text",
                           or NULL (no body) */
    const char *body;   /* request body schema or NULL */
} op;

#define LIST_Q "limit:integer:page size (1-1000)|cursor:string:next_cursor of the previous page"

static const op OPS[] = {
    {"get", "/api/health", "service", "Is the service up and can it reach its database", NULL, "200", "Health", NULL},
    {"get", "/api/openapi.json", "service", "This document", NULL, "200", "Object", NULL},
    {"get", "/api/runbooks", "runbooks", "Runbooks with their parameters", NULL, "200", "RunbookList", NULL},
    {"get", "/api/runbooks/{id}", "runbooks", "One runbook by id or by URL-encoded /Folder/Name path, with its versions", NULL, "200", "Runbook", NULL},
    {"get", "/api/runbooks/{id}/diagram", "runbooks", "The runbook's activities and links (with their conditions) for drawing its graph", "version:integer:version to draw (default: the latest)", "200", "Diagram", NULL},
    {"get", "/api/activity-types", "runbooks", "Activity types (built-in and from integration packs) with their property schemas and published data", NULL, "200", "Object", NULL},
    {"post", "/api/jobs", "jobs", "Start a job", NULL, "201", "Job", "JobRequest"},
    {"get", "/api/jobs", "jobs", "List jobs, filtered and paged",
     "status:string:pending, running, completed, failed or canceled|runbook:string:runbook id or /Folder/Name path|server:string:runbook server name or id (jobs it is running)|created_by:string:who started the job|since:string:created at or after (ISO 8601 UTC)|until:string:created before (ISO 8601 UTC)|order:string:asc (oldest first, default) or desc|" LIST_Q,
     "200", "JobList", NULL},
    {"get", "/api/jobs/{id}", "jobs", "One job with its instances, activity instances and published data", "wait:number:seconds to wait for the job to finish (0-300)", "200", "JobDetail", NULL},
    {"post", "/api/jobs/{id}/cancel", "jobs", "Stop a job", NULL, "202", "JobDetail", NULL},
    {"get", "/api/jobs/{id}/instances", "jobs", "The job's runbook instances", NULL, "200", "InstanceList", NULL},
    {"get", "/api/jobs/{id}/stream", "jobs", "Server-Sent Events: status, instance and activity events of one job, then end", NULL, "200", "sse", NULL},
    {"get", "/api/instances/{id}", "instances", "One runbook instance with its activity instances", NULL, "200", "Instance", NULL},
    {"get", "/api/instances/{id}/activities", "instances", "The activity instances of a runbook instance", NULL, "200", "ActivityList", NULL},
    {"get", "/api/activity-instances/{id}", "instances", "One activity instance with its published data rows", NULL, "200", "ActivityInstance", NULL},
    {"get", "/api/statistics", "service", "Job counts by status, overall and per runbook", NULL, "200", "Statistics", NULL},
    {"get", "/api/servers", "service", "Runbook servers and their leases", NULL, "200", "Object", NULL},
    {"get", "/api/events", "events", "Server and job events, oldest first", "job:integer:only this job's events|cursor:integer:events after this id|limit:integer:page size (1-1000)", "200", "EventList", NULL},
    {"get", "/api/events/stream", "events", "Server-Sent Events: server events (with ids for Last-Event-ID) and job status changes", "job:integer:only this job|cursor:integer:resume after this event id (as Last-Event-ID)", "200", "sse", NULL},
    {"get", "/api/folders", "runbooks", "The folder tree with its runbooks", "path:string:folder to start at (default /)", "200", "Object", NULL},
    {"get", "/api/variables", "globals", "Global variables (encrypted ones without a value) with their settings folders", "folder:string:only this settings folder's (a path like /Ops/Mail)", "200", "Object", NULL},
    {"get", "/api/counters", "globals", "Counters with their values and settings folders", "folder:string:only this settings folder's (a path like /Ops/Mail)", "200", "Object", NULL},
    {"get", "/api/counters/{name}", "globals", "One counter's value", NULL, "200", "Object", NULL},
    {"get", "/api/schedules", "globals", "Schedules with their definitions and settings folders", "folder:string:only this settings folder's (a path like /Ops/Mail)", "200", "Object", NULL},
    {"post", "/api/maintenance/purge", "service", "Purge old runbook instances, events and audit entries now", NULL, "200", "Object", "Object"},
    {"post", "/api/tokens", "security", "Create an API token for the caller (the secret is shown once)", NULL, "201", "Object", "Object"},
    {"get", "/api/tokens", "security", "API tokens (the caller's; all for an administrator)", NULL, "200", "Object", NULL},
    {"delete", "/api/tokens/{id}", "security", "Revoke an API token", NULL, "204", NULL, NULL},
    {"get", "/api/me", "security", "The caller: name, admin, groups, whether authentication is on", NULL, "200", "Object", NULL},
    {"get", "/api/users", "security", "Users (administrators)", NULL, "200", "Object", NULL},
    {"post", "/api/users", "security", "Create a user (administrators)", NULL, "201", "Object", "Object"},
    {"delete", "/api/users/{name}", "security", "Delete a user (administrators)", NULL, "204", NULL, NULL},
    {"post", "/api/users/{name}/password", "security", "Set a user's password", NULL, "204", NULL, "Object"},
    {"post", "/api/users/{name}/disable", "security", "Disable a user (administrators)", NULL, "204", NULL, NULL},
    {"post", "/api/users/{name}/enable", "security", "Enable a user (administrators)", NULL, "204", NULL, NULL},
    {"get", "/api/groups", "security", "Groups with their members (administrators)", NULL, "200", "Object", NULL},
    {"post", "/api/groups", "security", "Create a group (administrators)", NULL, "201", "Object", "Object"},
    {"delete", "/api/groups/{name}", "security", "Delete a group (administrators)", NULL, "204", NULL, NULL},
    {"post", "/api/groups/{name}/members", "security", "Add a user to a group (administrators)", NULL, "204", NULL, "Object"},
    {"delete", "/api/groups/{name}/members/{user}", "security", "Remove a user from a group (administrators)", NULL, "204", NULL, NULL},
    {"get", "/api/permissions", "security", "Folder permissions (administrators)", "folder:string:only grants on this folder path", "200", "Object", NULL},
    {"post", "/api/permissions", "security", "Grant rights on a folder to a user or group (administrators)", NULL, "200", "Object", "Object"},
    {"delete", "/api/permissions", "security", "Revoke a grant (administrators)", "folder:string:folder path|user:string:user name|group:string:group name", "204", NULL, NULL},
    {"get", "/metrics", "service", "Prometheus text format 0.0.4 (authenticated unless metrics_public)", NULL, "200", "text", NULL},
};

static json_t *ref(const char *schema) {
    char buf[96];
    snprintf(buf, sizeof buf, "#/components/schemas/%s", schema);
    return json_pack("{s:s}", "$ref", buf);
}

static json_t *json_content(json_t *schema) {
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

/* Path parameters from the {name} segments of path. */
static void add_path_params(json_t *params, const char *path) {
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (!e) break;
        json_array_append_new(
            params, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
                              (size_t)(e - p - 1), "in", "path", "required", 1,
                              "schema", "type", "string"));
    }
}

static void add_query_params(json_t *params, const char *q) {
    while (q && *q) {
        const char *end = strchr(q, '|');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *c1 = memchr(q, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - q))
                            : NULL;
        if (c1 && c2)
            json_array_append_new(
                params,
                json_pack("{s:s%, s:s, s:b, s:{s:s%}, s:s%}", "name", q,
                          (size_t)(c1 - q), "in", "query", "required", 0,
                          "schema", "type", c1 + 1, (size_t)(c2 - c1 - 1),
                          "description", c2 + 1, len - (size_t)(c2 + 1 - q)));
        q = end ? end + 1 : NULL;
    }
}

static json_t *operation(const op *o) {
    json_t *params = json_array();
    add_path_params(params, o->path);
    add_query_params(params, o->query);
    json_t *ok = json_pack("{s:s}", "description", "success");
    if (o->schema && !strcmp(o->schema, "sse"))
        json_object_set_new(ok, "content",
                            json_pack("{s:{s:{s:s}}}", "text/event-stream",
                                      "schema", "type", "string"));
    else if (o->schema && !strcmp(o->schema, "text"))
        json_object_set_new(ok, "content",
                            json_pack("{s:{s:{s:s}}}", "text/plain",
                                      "schema", "type", "string"));
    else if (o->schema)
        json_object_set_new(ok, "content", json_content(ref(o->schema)));
    json_t *err = json_pack("{s:s, s:o}", "description",
                            "an error (400, 401, 403, 404, 405, 409, 413, 500)",
                            "content", json_content(ref("Error")));
    json_t *responses = json_object();
    json_object_set_new(responses, o->ok, ok);
    json_object_set_new(responses, "default", err);
    json_t *op_o = json_pack("{s:[s], s:s, s:o, s:o}", "tags", o->tag,
                             "summary", o->summary, "parameters", params,
                             "responses", responses);
    if (o->body)
        json_object_set_new(op_o, "requestBody",
                            json_pack("{s:b, s:o}", "required", 1, "content",
                                      json_content(ref(o->body))));
    return op_o;
}

/* Schemas of the main resources; the rest are plain objects. */
static json_t *schemas(void) {
    json_t *s = json_object();
    json_t *str = json_pack("{s:s}", "type", "string");
    json_t *integer = json_pack("{s:s}", "type", "integer");
    json_t *time = json_pack("{s:s, s:s, s:b}", "type", "string", "format",
                             "date-time", "nullable", 1);
    json_object_set_new(s, "Object", json_pack("{s:s}", "type", "object"));
    json_object_set_new(
        s, "Error",
        json_pack("{s:s, s:[s], s:{s:{s:s, s:[s,s], s:{s:O, s:O, s:O}}}}",
                  "type", "object", "required", "error", "properties",
                  "error", "type", "object", "required", "code", "message",
                  "properties", "code", str, "message", str, "target", str));
    json_object_set_new(
        s, "Health",
        json_pack("{s:s, s:{s:O, s:O, s:O}}", "type", "object", "properties",
                  "status", str, "version", str, "database", str));
    json_object_set_new(
        s, "Runbook",
        json_pack("{s:s, s:{s:O, s:O, s:O, s:O, s:O, s:{s:s}, s:O}}", "type",
                  "object", "properties", "id", integer, "guid", str, "name",
                  str, "path", str, "latest_version", integer, "parameters",
                  "type", "array", "created", time));
    json_object_set_new(s, "RunbookList",
                        json_pack("{s:s, s:{s:{s:s, s:o}}}", "type", "object",
                                  "properties", "items", "type", "array",
                                  "items", ref("Runbook")));
    json_object_set_new(
        s, "Diagram",
        json_pack("{s:s, s:{s:O, s:O, s:O, s:{s:s}, s:{s:s}}}", "type",
                  "object", "properties", "runbook_id", integer, "path", str,
                  "version", integer, "activities", "type", "array", "links",
                  "type", "array"));
    json_object_set_new(
        s, "JobRequest",
        json_pack("{s:s, s:[s], s:b, s:{s:{}, s:{s:s}, s:{s:s, s:O}}}", "type",
                  "object", "required", "runbook", "additionalProperties", 0,
                  "properties", "runbook", "parameters", "type", "object",
                  "servers", "type", "array", "items", str));
    json_object_set_new(
        s, "Job",
        json_pack("{s:s, s:{s:O, s:O, s:O, s:O, s:{s:s, s:[s,s,s,s,s]}, s:O, "
                  "s:O, s:O, s:O}}",
                  "type", "object", "properties", "id", integer, "guid", str,
                  "runbook_id", integer, "runbook_path", str, "status", "type",
                  "string", "enum", "pending", "running", "completed",
                  "failed", "canceled", "created_by", str, "created", time,
                  "started", time, "ended", time));
    json_object_set_new(s, "JobDetail", json_pack("{s:[o, {s:{s:{s:s}, s:{}}}]}",
                                                  "allOf", ref("Job"),
                                                  "properties", "instances",
                                                  "type", "array",
                                                  "return_data"));
    json_object_set_new(
        s, "JobList",
        json_pack("{s:s, s:{s:{s:s, s:o}, s:{s:s, s:b}}}", "type", "object",
                  "properties", "items", "type", "array", "items", ref("Job"),
                  "next_cursor", "type", "string", "nullable", 1));
    json_object_set_new(
        s, "ActivityInstance",
        json_pack("{s:s, s:{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:{s:s, "
                  "s:{s:s}}}}",
                  "type", "object", "properties", "id", integer,
                  "instance_id", integer, "activity", str, "name", str,
                  "type", str, "seq", integer, "result", str, "started", time,
                  "rows", "type", "array", "items", "type", "object"));
    json_object_set_new(s, "ActivityList",
                        json_pack("{s:s, s:{s:{s:s, s:o}}}", "type", "object",
                                  "properties", "items", "type", "array",
                                  "items", ref("ActivityInstance")));
    json_object_set_new(
        s, "Instance",
        json_pack("{s:s, s:{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:{s:s, s:o}}}",
                  "type", "object", "properties", "id", integer, "job_id",
                  integer, "server_id", integer, "status", str, "result", str,
                  "started", time, "ended", time, "activities", "type",
                  "array", "items", ref("ActivityInstance")));
    json_object_set_new(s, "InstanceList",
                        json_pack("{s:s, s:{s:{s:s, s:o}}}", "type", "object",
                                  "properties", "items", "type", "array",
                                  "items", ref("Instance")));
    json_object_set_new(
        s, "EventList",
        json_pack("{s:s, s:{s:{s:s}, s:O}}", "type", "object", "properties",
                  "items", "type", "array", "next_cursor", integer));
    json_object_set_new(
        s, "Statistics",
        json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "type", "object",
                  "properties", "jobs", "type", "object", "runbooks", "type",
                  "array"));
    json_decref(str);
    json_decref(integer);
    json_decref(time);
    return s;
}

void bt_web_openapi(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    json_t *paths = json_object();
    for (size_t i = 0; i < BT_ARRAY_LEN(OPS); i++) {
        json_t *item = json_object_get(paths, OPS[i].path);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, OPS[i].path, item);
        }
        json_object_set_new(item, OPS[i].method, operation(&OPS[i]));
    }
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:o, s:{s:{s:s, s:s}, s:{s:s, "
        "s:s}}}, s:[{s:[]}, {s:[]}]}",
        "openapi", "3.0.3", "info", "title", "Baton REST web service",
        "version", bt_version(), "description",
        "Runbook automation: start and watch jobs, browse runbooks and their "
        "history. See docs/api.md.",
        "paths", paths, "components", "schemas", schemas(),
        "securitySchemes", "basic", "type", "http", "scheme", "basic",
        "bearer", "type", "http", "scheme", "bearer", "security", "basic",
        "bearer");
    if (!doc) {
        bt_web_error(r, 500, "internal", NULL,
                     "the OpenAPI document did not build");
        return;
    }
    bt_web_reply(r, 200, doc);
}
