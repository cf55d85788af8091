/* The web service's operational side over real sockets on 127.0.0.1 with
 * a real SQLite file: the instance and diagram resources, statistics and
 * job filters, Server-Sent Events (a job's stream, the event stream with
 * Last-Event-ID, 20 open streams not starving a plain GET), the OpenAPI
 * document against the route table, /metrics, the request log, CORS,
 * HTTPS with a freshly made self-signed certificate, the admission hook,
 * and a half-sent request being dropped after the connection timeout. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "store/store.h"
#include "web/web.h"
#include "web/web_internal.h"

static const char HELLO_YAML[] =
    "name: Hello\n"
    "folder: /Ops\n"
    "parameters:\n"
    "  - {name: host, type: string, default: web01}\n"
    "returns: [greeting]\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: done, type: return-data, name: Say hi, properties: {greeting: \"hi {start.host}\"},\n"
    "     position: {x: 300, y: 47}}\n"
    "links:\n"
    "  - {from: start, to: done, name: go, when: \"{start.host} != ''\"}\n";

typedef struct log_line {
    char method[16];
    char route[64];
    unsigned status;
    char user[32];
    double ms;
} log_line;

typedef struct fixture {
    char *dir, *path, *url;
    bt_store *s;
    bt_web *web;
    char base[96];
    int64_t hello_id;
    bt_web_config cfg;
    pthread_mutex_t log_lock;
    log_line logs[256];
    size_t n_logs;
    int64_t server_id;
} fixture;

typedef struct reply {
    long status;
    json_t *json;
    bt_buf headers;
    bt_buf body;
} reply;

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

static void on_log(void *ud, const bt_web_log_entry *e) {
    fixture *f = ud;
    pthread_mutex_lock(&f->log_lock);
    if (f->n_logs < BT_ARRAY_LEN(f->logs)) {
        log_line *l = &f->logs[f->n_logs++];
        snprintf(l->method, sizeof l->method, "%s", e->method);
        snprintf(l->route, sizeof l->route, "%s", e->route);
        snprintf(l->user, sizeof l->user, "%s", e->user);
        l->status = e->status;
        l->ms = e->duration_ms;
    }
    pthread_mutex_unlock(&f->log_lock);
}

static void start_web(fixture *f) {
    f->cfg.bind_address = "127.0.0.1";
    f->cfg.store_url = f->url;
    f->cfg.log = on_log;
    f->cfg.log_ud = f;
    bt_error err = {0};
    if (bt_web_start(&f->cfg, &f->web, &err)) fail_msg("web: %s", err.message);
    snprintf(f->base, sizeof f->base, "%s://127.0.0.1:%u",
             f->cfg.tls_cert_file ? "https" : "http",
             (unsigned)bt_web_port(f->web));
}

static int setup_nostart(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->log_lock, NULL);
    f->dir = bt_harness_tmpdir();
    f->path = bt_harness_path(f->dir, "baton.db");
    f->url = bt_xasprintf("sqlite:%s", f->path);
    bt_error err = {0};
    if (bt_store_open(f->url, &f->s, &err)) fail_msg("%s", err.message);
    bt_store_folder folder = {0};
    OK(bt_store_folder_create(f->s, "/Ops", &folder, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, folder.id, "Hello", NULL, &rb, &e_));
    f->hello_id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&folder);
    int v = 0;
    OK(bt_store_version_add(f->s, f->hello_id, HELLO_YAML, "t", NULL, &v, &e_));
    OK(bt_store_server_register(f->s, "rb1", "test", 600000, &f->server_id, &e_));
    f->cfg.keepalive_ms = 300;
    f->cfg.store_url = f->url;
    f->cfg.bind_address = "127.0.0.1";
    *state = f;
    return 0;
}

static int setup(void **state) {
    setup_nostart(state);
    start_web(*state);
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_web_stop(f->web);
    bt_store_close(f->s);
    bt_harness_rmrf(f->dir);
    pthread_mutex_destroy(&f->log_lock);
    free(f->dir);
    free(f->path);
    free(f->url);
    free(f);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    reply *r = ud;
    if (bt_buf_append(&r->body, p, size * n)) return 0;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    reply *r = ud;
    bt_buf_append(&r->headers, p, size * n);
    return size * n;
}

static const char *cainfo; /* for https */

/* One request; headers: NULL-terminated extra lines. */
static reply http_h(fixture *f, const char *method, const char *path,
                    const char *body, const char *const *headers) {
    reply r = {0};
    bt_buf_init(&r.body, 0);
    bt_buf_init(&r.headers, 0);
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (!strcmp(method, "OPTIONS") || !strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (cainfo) curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    r.json = json_loads(bt_buf_str(&r.body), 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    return r;
}

static reply http(fixture *f, const char *method, const char *path,
                  const char *body) {
    return http_h(f, method, path, body, NULL);
}

static void reply_free(reply *r) {
    json_decref(r->json);
    bt_buf_free(&r->body);
    bt_buf_free(&r->headers);
}

/* The value of header name (case-insensitive), copied into out; false
 * when absent. */
static bool header(const reply *r, const char *name, char *out, size_t size) {
    const char *p = bt_buf_str(&r->headers);
    size_t len = strlen(name);
    while (p && *p) {
        if (!strncasecmp(p, name, len) && p[len] == ':') {
            p += len + 1;
            while (*p == ' ') p++;
            size_t n = strcspn(p, "\r\n");
            snprintf(out, size, "%.*s", (int)n, p);
            return true;
        }
        p = strchr(p, '\n');
        if (p) p++;
    }
    return false;
}

static void expect_status(fixture *f, const char *method, const char *path,
                          long status, const char *code) {
    reply r = http(f, method, path, NULL);
    if (r.status != status)
        fail_msg("%s %s: %ld, wanted %ld: %s", method, path, r.status, status,
                 bt_buf_str(&r.body));
    if (code) {
        json_t *c = json_object_get(json_object_get(r.json, "error"), "code");
        assert_non_null(c);
        assert_string_equal(json_string_value(c), code);
    }
    reply_free(&r);
}

static int64_t start_job(fixture *f, const char *user) {
    char hdr[64];
    snprintf(hdr, sizeof hdr, "X-Baton-User: %s", user);
    const char *hs[] = {hdr, "Content-Type: application/json", NULL};
    reply r = http_h(f, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Hello\"}", hs);
    if (r.status != 201) fail_msg("start: %ld %s", r.status, bt_buf_str(&r.body));
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    reply_free(&r);
    return id;
}

/* What a runbook server does for the Hello runbook, step by step through
 * the store: claim, an instance, two activity instances, the end. */
typedef struct run {
    int64_t job, instance, acts[2];
} run;

static void run_claim(fixture *f, run *rn) {
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, f->server_id, 1, &jobs, &n, &e_));
    assert_int_equal(n, 1);
    rn->job = jobs[0].id;
    bt_store_job_list_free(jobs, n);
    bt_store_instance in = {0};
    OK(bt_store_instance_create(f->s, rn->job, f->server_id, &in, &e_));
    rn->instance = in.id;
    bt_store_instance_clear(&in);
}

static void run_activity(fixture *f, run *rn, int k) {
    uint64_t now = bt_now_us();
    bt_store_datum d[2] = {{0, "host", "web01"}, {1, "host", "web02"}};
    bt_store_activity_spec a = {
        .instance_id = rn->instance,
        .activity_id = k ? "done" : "start",
        .seq = (uint64_t)k + 1,
        .attempt = 1,
        .result = BT_RESULT_SUCCESS,
        .start_us = now - 250000,
        .end_us = now,
        .parent_seq = (uint64_t)k,
        .data = d,
        .n_data = k ? 1 : 2,
    };
    OK(bt_store_commit_activity(f->s, f->server_id, &a, &rn->acts[k], &e_));
}

static void run_finish(fixture *f, run *rn) {
    OK(bt_store_instance_finish(f->s, rn->instance, BT_JOB_COMPLETED,
                                BT_RESULT_SUCCESS, "{\"greeting\": \"hi\"}",
                                &e_));
    OK(bt_store_job_set_status(f->s, rn->job, BT_JOB_COMPLETED, f->server_id,
                               &e_));
}

/* ---- resources ---------------------------------------------------------- */

static void test_diagram_and_instances(void **state) {
    fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "/api/runbooks/%lld/diagram",
             (long long)f->hello_id);
    reply r = http(f, "GET", path, NULL);
    assert_int_equal(r.status, 200);
    json_t *acts = json_object_get(r.json, "activities");
    assert_int_equal(json_array_size(acts), 2);
    json_t *done = json_array_get(acts, 1);
    assert_string_equal(json_string_value(json_object_get(done, "name")), "Say hi");
    assert_string_equal(json_string_value(json_object_get(done, "type")), "return-data");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(done, "properties"), "greeting")),
                        "hi {start.host}");
    json_t *at = json_object_get(done, "position");
    assert_int_equal(json_integer_value(json_object_get(at, "x")), 300);
    assert_int_equal(json_integer_value(json_object_get(at, "y")), 47);
    assert_null(json_object_get(json_array_get(acts, 0), "position"));
    json_t *link = json_array_get(json_object_get(r.json, "links"), 0);
    assert_string_equal(json_string_value(json_object_get(link, "from")), "start");
    assert_string_equal(json_string_value(json_object_get(link, "name")), "go");
    assert_string_equal(json_string_value(json_array_get(json_object_get(link, "on"), 0)),
                        "success");
    assert_string_equal(json_string_value(json_array_get(json_object_get(link, "include"), 0)),
                        "{start.host} != ''");
    reply_free(&r);
    expect_status(f, "GET", "/api/runbooks/%2FOps%2FHello/diagram", 200, NULL);
    expect_status(f, "GET", "/api/runbooks/%2FOps%2FHello", 200, NULL);
    expect_status(f, "GET", "/api/runbooks/%2FOps%2FNope/diagram", 404, "not_found");
    expect_status(f, "GET", "/api/runbooks/999/diagram", 404, "not_found");
    snprintf(path, sizeof path, "/api/runbooks/%lld/diagram?version=9",
             (long long)f->hello_id);
    expect_status(f, "GET", path, 404, "not_found");
    snprintf(path, sizeof path, "/api/runbooks/%lld/diagram?version=x",
             (long long)f->hello_id);
    expect_status(f, "GET", path, 400, "invalid_parameter");

    start_job(f, "alice");
    run rn = {0};
    run_claim(f, &rn);
    run_activity(f, &rn, 0);
    run_activity(f, &rn, 1);
    run_finish(f, &rn);

    snprintf(path, sizeof path, "/api/jobs/%lld/instances", (long long)rn.job);
    r = http(f, "GET", path, NULL);
    assert_int_equal(r.status, 200);
    json_t *in = json_array_get(json_object_get(r.json, "items"), 0);
    assert_int_equal(json_integer_value(json_object_get(in, "id")), rn.instance);
    assert_int_equal(json_integer_value(json_object_get(in, "activity_count")), 2);
    assert_string_equal(json_string_value(json_object_get(in, "status")), "completed");
    reply_free(&r);

    snprintf(path, sizeof path, "/api/instances/%lld", (long long)rn.instance);
    r = http(f, "GET", path, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "job_id")), rn.job);
    assert_int_equal(json_array_size(json_object_get(r.json, "activities")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(r.json, "return_data"), "greeting")),
                        "hi");
    reply_free(&r);

    snprintf(path, sizeof path, "/api/instances/%lld/activities",
             (long long)rn.instance);
    r = http(f, "GET", path, NULL);
    assert_int_equal(r.status, 200);
    json_t *first = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "type")),
                        "initialize-data");
    reply_free(&r);

    snprintf(path, sizeof path, "/api/activity-instances/%lld",
             (long long)rn.acts[0]);
    r = http(f, "GET", path, NULL);
    assert_int_equal(r.status, 200);
    json_t *rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "host")),
                        "web02");
    assert_int_equal(json_integer_value(json_object_get(r.json, "job_id")), rn.job);
    assert_true(json_real_value(json_object_get(r.json, "duration_ms")) > 200);
    reply_free(&r);

    expect_status(f, "GET", "/api/activity-instances/9999", 404, "not_found");
    expect_status(f, "GET", "/api/activity-instances/abc", 400, "invalid_parameter");
    expect_status(f, "GET", "/api/instances/9999", 404, "not_found");
    expect_status(f, "GET", "/api/instances/0/activities", 400, "invalid_parameter");
    expect_status(f, "GET", "/api/jobs/9999/instances", 404, "not_found");
    expect_status(f, "POST", "/api/instances/1", 405, "method_not_allowed");
}

static void test_statistics_and_filters(void **state) {
    fixture *f = *state;
    int64_t ids[5];
    for (int i = 0; i < 5; i++) ids[i] = start_job(f, i % 2 ? "bob" : "alice");
    char path[160];
    snprintf(path, sizeof path, "/api/jobs/%lld/cancel", (long long)ids[4]);
    reply r = http(f, "POST", path, NULL);
    assert_int_equal(r.status, 202);
    reply_free(&r);

    r = http(f, "GET", "/api/statistics", NULL);
    assert_int_equal(r.status, 200);
    json_t *jobs = json_object_get(r.json, "jobs");
    assert_int_equal(json_integer_value(json_object_get(jobs, "pending")), 4);
    assert_int_equal(json_integer_value(json_object_get(jobs, "canceled")), 1);
    assert_int_equal(json_integer_value(json_object_get(jobs, "total")), 5);
    json_t *rb = json_array_get(json_object_get(r.json, "runbooks"), 0);
    assert_string_equal(json_string_value(json_object_get(rb, "path")), "/Ops/Hello");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rb, "jobs"), "total")), 5);
    reply_free(&r);

    /* created_by, newest first, paged by two */
    r = http(f, "GET", "/api/jobs?created_by=alice&order=desc&limit=2", NULL);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), ids[4]);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "id")), ids[2]);
    const char *cur = json_string_value(json_object_get(r.json, "next_cursor"));
    assert_non_null(cur);
    snprintf(path, sizeof path, "/api/jobs?created_by=alice&order=desc&limit=2&cursor=%s", cur);
    reply_free(&r);
    r = http(f, "GET", path, NULL);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), ids[0]);
    assert_true(json_is_null(json_object_get(r.json, "next_cursor")));
    reply_free(&r);

    /* oldest first with a web-side filter, paged */
    r = http(f, "GET", "/api/jobs?created_by=bob&limit=1", NULL);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), ids[1]);
    cur = json_string_value(json_object_get(r.json, "next_cursor"));
    assert_non_null(cur);
    snprintf(path, sizeof path, "/api/jobs?created_by=bob&limit=1&cursor=%s", cur);
    reply_free(&r);
    r = http(f, "GET", path, NULL);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), ids[3]);
    reply_free(&r);

    r = http(f, "GET", "/api/jobs?status=canceled", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    r = http(f, "GET", "/api/jobs?since=2000-01-01&until=2999-01-01T00:00:00Z", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 5);
    reply_free(&r);
    r = http(f, "GET", "/api/jobs?since=2999-01-01", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    reply_free(&r);

    /* running on rb1 */
    run rn = {0};
    run_claim(f, &rn);
    r = http(f, "GET", "/api/jobs?server=rb1", NULL);
    assert_int_equal(r.status, 200);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), rn.job);
    reply_free(&r);

    expect_status(f, "GET", "/api/jobs?order=sideways", 400, "invalid_parameter");
    expect_status(f, "GET", "/api/jobs?since=yesterday", 400, "invalid_parameter");
    expect_status(f, "GET", "/api/jobs?until=2026-13-01", 400, "invalid_parameter");
    expect_status(f, "GET", "/api/jobs?server=nope", 404, "not_found");
    expect_status(f, "GET", "/api/jobs?sort=id", 400, "unknown_parameter");
    expect_status(f, "GET", "/api/statistics?x=1", 400, "unknown_parameter");
}

/* ---- OpenAPI ------------------------------------------------------------- */

static void test_openapi_covers_routes(void **state) {
    fixture *f = *state;
    reply r = http(f, "GET", "/api/openapi.json", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(r.json);
    assert_string_equal(json_string_value(json_object_get(r.json, "openapi")), "3.0.3");
    json_t *paths = json_object_get(r.json, "paths");
    for (size_t i = 0; i < bt_web_route_count(); i++) {
        const char *method, *pattern;
        bt_web_route_at(i, &method, &pattern);
        json_t *item = json_object_get(paths, pattern);
        if (!item) fail_msg("route %s %s is not in openapi.json", method, pattern);
        char lower[16];
        size_t k = 0;
        for (; method[k] && k < sizeof lower - 1; k++) lower[k] = (char)(method[k] | 0x20);
        lower[k] = '\0';
        json_t *op = json_object_get(item, lower);
        if (!op) fail_msg("route %s %s has no '%s' in openapi.json", method, pattern, lower);
        /* every {param} of the path is declared */
        json_t *params = json_object_get(op, "parameters");
        for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
            size_t len = strcspn(p + 1, "}");
            bool found = false;
            for (size_t j = 0; j < json_array_size(params); j++) {
                const char *n = json_string_value(json_object_get(json_array_get(params, j), "name"));
                if (n && strlen(n) == len && !strncmp(n, p + 1, len)) found = true;
            }
            if (!found) fail_msg("%s %s: path parameter %.*s undeclared", method, pattern, (int)len, p + 1);
        }
    }
    /* and nothing documented that the router does not serve */
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item) {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op) {
            bool found = false;
            for (size_t i = 0; i < bt_web_route_count() && !found; i++) {
                const char *method, *pattern;
                bt_web_route_at(i, &method, &pattern);
                found = !strcmp(pattern, key) && !strcasecmp(method, m);
            }
            if (!found) fail_msg("openapi.json documents %s %s, which is not routed", m, key);
        }
    }
    assert_non_null(json_object_get(json_object_get(json_object_get(r.json, "components"), "schemas"), "Error"));
    reply_free(&r);
}

/* ---- Server-Sent Events ---------------------------------------------------- */

typedef struct sse_client {
    fixture *f;
    char path[128];
    const char *last_event_id;
    const char *until; /* stop once the body holds this */
    bt_buf body;
    long status;
    atomic_bool connected, done;
    CURLcode rc;
} sse_client;

static size_t on_sse(char *p, size_t size, size_t n, void *ud) {
    sse_client *c = ud;
    atomic_store(&c->connected, true);
    bt_buf_append(&c->body, p, size * n);
    if (c->until && strstr(bt_buf_str(&c->body), c->until)) return 0;
    return size * n;
}

static void *sse_thread(void *arg) {
    sse_client *c = arg;
    CURL *h = curl_easy_init();
    char *url = bt_xasprintf("%s%s", c->f->base, c->path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    struct curl_slist *hs = NULL;
    char line[64];
    if (c->last_event_id) {
        snprintf(line, sizeof line, "Last-Event-ID: %s", c->last_event_id);
        hs = curl_slist_append(hs, line);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    c->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    free(url);
    atomic_store(&c->done, true);
    return NULL;
}

static void wait_connected(sse_client *c) {
    for (int i = 0; i < 1000 && !atomic_load(&c->connected); i++) usleep(10000);
    assert_true(atomic_load(&c->connected));
}

static void test_job_stream(void **state) {
    fixture *f = *state;
    start_job(f, "alice");
    sse_client c = {.f = f};
    bt_buf_init(&c.body, 0);
    run rn = {0};
    run_claim(f, &rn);
    snprintf(c.path, sizeof c.path, "/api/jobs/%lld/stream", (long long)rn.job);
    pthread_t t;
    pthread_create(&t, NULL, sse_thread, &c);
    wait_connected(&c);
    run_activity(f, &rn, 0);
    usleep(400000);
    run_activity(f, &rn, 1);
    run_finish(f, &rn);
    pthread_join(t, NULL);
    assert_int_equal(c.rc, CURLE_OK); /* the server ended the stream */
    assert_int_equal(c.status, 200);
    const char *b = bt_buf_str(&c.body);
    const char *st = strstr(b, "event: status\ndata: {");
    const char *a1 = strstr(b, "event: activity\ndata: {");
    const char *a2 = a1 ? strstr(a1 + 1, "event: activity\ndata: {") : NULL;
    const char *end = strstr(b, "event: end\ndata: {");
    if (!st || !a1 || !a2 || !end) fail_msg("stream: %s", b);
    assert_true(st < a1 && a1 < a2 && a2 < end);
    assert_non_null(strstr(a1, "\"activity\":\"start\""));
    assert_non_null(strstr(a2, "\"activity\":\"done\""));
    assert_non_null(strstr(end, "\"status\":\"completed\""));
    assert_non_null(strstr(end, "\"greeting\":\"hi\""));
    bt_buf_free(&c.body);

    expect_status(f, "GET", "/api/jobs/9999/stream", 404, "not_found");
}

#define N_STREAMS 20

static void test_event_streams(void **state) {
    fixture *f = *state;
    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "test", "before", 0, &e_));
    sse_client cs[N_STREAMS];
    pthread_t ts[N_STREAMS];
    for (int i = 0; i < N_STREAMS; i++) {
        memset(&cs[i], 0, sizeof cs[i]);
        cs[i].f = f;
        bt_buf_init(&cs[i].body, 0);
        snprintf(cs[i].path, sizeof cs[i].path, "/api/events/stream");
        cs[i].until = "\"message\":\"after\"";
        pthread_create(&ts[i], NULL, sse_thread, &cs[i]);
    }
    for (int i = 0; i < N_STREAMS; i++) wait_connected(&cs[i]);
    /* twenty streams open and waiting; a plain request is still served */
    uint64_t t0 = bt_mono_us();
    reply r = http(f, "GET", "/api/health", NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_true(bt_mono_us() - t0 < 5000000);
    /* a job's status changes and an event reach every stream */
    int64_t job = start_job(f, "alice");
    OK(bt_store_event_add(f->s, BT_SEVERITY_WARNING, "test", "after", job, &e_));
    for (int i = 0; i < N_STREAMS; i++) {
        pthread_join(ts[i], NULL);
        const char *b = bt_buf_str(&cs[i].body);
        if (!strstr(b, "\"message\":\"after\"")) fail_msg("stream %d: %s", i, b);
        assert_null(strstr(b, "\"message\":\"before\"")); /* live only */
        assert_non_null(strstr(b, "event: job\ndata: {"));
        assert_non_null(strstr(b, "\"status\":\"pending\""));
        assert_non_null(strstr(b, "id: "));
        bt_buf_free(&cs[i].body);
    }

    /* Last-Event-ID 0 replays from the first event */
    sse_client c = {.f = f, .last_event_id = "0", .until = "\"message\":\"after\""};
    bt_buf_init(&c.body, 0);
    snprintf(c.path, sizeof c.path, "/api/events/stream");
    sse_thread(&c);
    const char *b = bt_buf_str(&c.body);
    const char *before = strstr(b, "\"message\":\"before\"");
    assert_non_null(before);
    assert_true(before < strstr(b, "\"message\":\"after\""));
    bt_buf_free(&c.body);

    /* nothing happening: keep-alive comments */
    sse_client k = {.f = f, .until = ": keep-alive"};
    bt_buf_init(&k.body, 0);
    snprintf(k.path, sizeof k.path, "/api/events/stream?job=%lld", (long long)job);
    sse_thread(&k);
    assert_non_null(strstr(bt_buf_str(&k.body), ": keep-alive\n\n"));
    bt_buf_free(&k.body);

    const char *bad[] = {"Last-Event-ID: x", NULL};
    r = http_h(f, "GET", "/api/events/stream", NULL, bad);
    assert_int_equal(r.status, 400);
    reply_free(&r);
}

/* bt_web_stop ends open streams instead of waiting for their clients. */
static void test_stop_ends_streams(void **state) {
    fixture *f = *state;
    sse_client c = {.f = f};
    bt_buf_init(&c.body, 0);
    snprintf(c.path, sizeof c.path, "/api/events/stream");
    pthread_t t;
    pthread_create(&t, NULL, sse_thread, &c);
    wait_connected(&c);
    uint64_t t0 = bt_mono_us();
    bt_web_stop(f->web);
    f->web = NULL;
    pthread_join(t, NULL);
    assert_true(bt_mono_us() - t0 < 5000000);
    /* the stream ended (cleanly, or cut by the daemon's shutdown) */
    assert_true(c.rc == CURLE_OK || c.rc == CURLE_PARTIAL_FILE ||
                c.rc == CURLE_RECV_ERROR);
    bt_buf_free(&c.body);
}

/* ---- metrics and the request log ------------------------------------------ */

static bool has_line(const char *text, const char *prefix) {
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, strlen(prefix))) return true;
        p = strchr(p, '\n');
        if (p) p++;
    }
    return false;
}

static void test_metrics_and_log(void **state) {
    fixture *f = *state;
    start_job(f, "alice");
    run rn = {0};
    run_claim(f, &rn);
    start_job(f, "bob");
    expect_status(f, "GET", "/api/jobs/777", 404, "not_found");
    const char *hs[] = {"X-Baton-User: carol", NULL};
    /* a request is counted when it completes, which may be just after its
     * client has the answer: look again until the last one is counted */
    static const char get404[] = "baton_http_requests_total{route=\"/api/"
                                 "jobs/{id}\",method=\"GET\",status=\"404\"} 1\n";
    static const char post201[] = "baton_http_requests_total{route=\"/api/"
                                  "jobs\",method=\"POST\",status=\"201\"} 2\n";
    reply r = http_h(f, "GET", "/metrics", NULL, hs);
    for (int i = 0; i < 200 && !(has_line(bt_buf_str(&r.body), get404) &&
                                 has_line(bt_buf_str(&r.body), post201));
         i++) {
        reply_free(&r);
        usleep(50 * 1000);
        r = http_h(f, "GET", "/metrics", NULL, hs);
    }
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_true(header(&r, "Content-Type", ct, sizeof ct));
    assert_non_null(strstr(ct, "text/plain; version=0.0.4"));
    const char *m = bt_buf_str(&r.body);
    assert_true(has_line(m, "# TYPE baton_jobs gauge"));
    assert_true(has_line(m, "baton_jobs{status=\"pending\"} 1\n"));
    assert_true(has_line(m, "baton_jobs{status=\"running\"} 1\n"));
    assert_true(has_line(m, "baton_instances_running{server=\"rb1\"} 1\n"));
    assert_true(has_line(m, "baton_http_requests_total{route=\"/api/jobs/{id}\",method=\"GET\",status=\"404\"} 1\n"));
    assert_true(has_line(m, "baton_http_requests_total{route=\"/api/jobs\",method=\"POST\",status=\"201\"} 2\n"));
    assert_true(has_line(m, "baton_http_request_duration_seconds_bucket{route=\"/api/jobs\",le=\"+Inf\"} 2\n"));
    assert_true(has_line(m, "baton_store_query_duration_seconds_count "));
    assert_true(has_line(m, "baton_activity_duration_seconds_count 0\n"));
    reply_free(&r);

    run_activity(f, &rn, 0);
    run_activity(f, &rn, 1);
    run_finish(f, &rn);
    r = http(f, "GET", "/metrics", NULL);
    m = bt_buf_str(&r.body);
    assert_true(has_line(m, "baton_activity_duration_seconds_count 2\n"));
    /* 0.25 s each */
    assert_true(has_line(m, "baton_activity_duration_seconds_bucket{le=\"0.1\"} 0\n"));
    assert_true(has_line(m, "baton_activity_duration_seconds_bucket{le=\"0.5\"} 2\n"));
    assert_true(has_line(m, "baton_instances_running{server=\"rb1\"} 0\n"));
    reply_free(&r);

    /* the request log saw every request, with its route pattern */
    bool seen404 = false, seen_metrics = false;
    pthread_mutex_lock(&f->log_lock);
    for (size_t i = 0; i < f->n_logs; i++) {
        log_line *l = &f->logs[i];
        if (!strcmp(l->route, "/api/jobs/{id}") && l->status == 404 &&
            !strcmp(l->method, "GET") && !strcmp(l->user, "-"))
            seen404 = true;
        if (!strcmp(l->route, "/metrics") && !strcmp(l->user, "carol") &&
            l->status == 200 && l->ms >= 0)
            seen_metrics = true;
    }
    pthread_mutex_unlock(&f->log_lock);
    assert_true(seen404);
    assert_true(seen_metrics);
}

/* ---- the admission hook ----------------------------------------------------- */

static bool only_bearer_ok(bt_web_req *r, void *ud) {
    const char *a = bt_web_header(r, "Authorization");
    if (a && !strcmp(a, "Bearer ok")) {
        r->user = bt_xstrdup("robot");
        return true;
    }
    bt_web_add_header(r, "WWW-Authenticate", "Bearer");
    return false;
}

static void test_admission_hook(void **state) {
    fixture *f = *state;
    f->cfg.authenticate = only_bearer_ok;
    start_web(f);
    reply r = http(f, "GET", "/metrics", NULL);
    assert_int_equal(r.status, 401);
    char v[64];
    assert_true(header(&r, "WWW-Authenticate", v, sizeof v));
    reply_free(&r);
    const char *ok[] = {"Authorization: Bearer ok", NULL};
    r = http_h(f, "GET", "/api/statistics", NULL, ok);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    expect_status(f, "GET", "/api/statistics", 401, "unauthorized");
    /* preflights are never authenticated */
    r = http(f, "OPTIONS", "/api/jobs", NULL);
    assert_int_equal(r.status, 204);
    reply_free(&r);
    bt_web_stop(f->web);
    f->cfg.metrics_public = true;
    start_web(f);
    r = http(f, "GET", "/metrics", NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    expect_status(f, "GET", "/api/jobs", 401, "unauthorized");
    pthread_mutex_lock(&f->log_lock);
    bool robot = false;
    for (size_t i = 0; i < f->n_logs; i++)
        if (!strcmp(f->logs[i].user, "robot")) robot = true;
    pthread_mutex_unlock(&f->log_lock);
    assert_true(robot);
}

/* ---- CORS ------------------------------------------------------------------- */

static void test_cors(void **state) {
    fixture *f = *state;
    const char *origins[] = {"http://console.example:82", "https://ops.example"};
    f->cfg.cors_origins = origins;
    f->cfg.n_cors_origins = 2;
    start_web(f);
    char v[256];
    const char *pre[] = {"Origin: http://console.example:82",
                         "Access-Control-Request-Method: POST",
                         "Access-Control-Request-Headers: authorization, content-type",
                         NULL};
    reply r = http_h(f, "OPTIONS", "/api/jobs", NULL, pre);
    assert_int_equal(r.status, 204);
    assert_true(header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    assert_string_equal(v, "http://console.example:82");
    assert_true(header(&r, "Access-Control-Allow-Methods", v, sizeof v));
    assert_non_null(strstr(v, "POST"));
    assert_non_null(strstr(v, "GET"));
    assert_true(header(&r, "Access-Control-Allow-Headers", v, sizeof v));
    assert_non_null(strstr(v, "Authorization"));
    assert_non_null(strstr(v, "Content-Type"));
    assert_non_null(strstr(v, "Last-Event-ID"));
    assert_true(header(&r, "Access-Control-Max-Age", v, sizeof v));
    reply_free(&r);

    const char *evil[] = {"Origin: http://evil.example", "Access-Control-Request-Method: POST", NULL};
    r = http_h(f, "OPTIONS", "/api/jobs", NULL, evil);
    assert_int_equal(r.status, 204);
    assert_false(header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    assert_false(header(&r, "Access-Control-Allow-Methods", v, sizeof v));
    reply_free(&r);

    /* a near miss is a different origin */
    const char *near[] = {"Origin: http://console.example:820", NULL};
    r = http_h(f, "GET", "/api/health", NULL, near);
    assert_false(header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    reply_free(&r);

    const char *ok[] = {"Origin: https://ops.example", NULL};
    r = http_h(f, "GET", "/api/health", NULL, ok);
    assert_int_equal(r.status, 200);
    assert_true(header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    assert_string_equal(v, "https://ops.example");
    assert_true(header(&r, "Vary", v, sizeof v));
    assert_true(header(&r, "Access-Control-Expose-Headers", v, sizeof v));
    assert_non_null(strstr(v, "ETag")); /* scripts may revalidate too */
    reply_free(&r);
    r = http_h(f, "GET", "/api/jobs/999", NULL, ok); /* errors too */
    assert_int_equal(r.status, 404);
    assert_true(header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    reply_free(&r);
    r = http(f, "GET", "/api/health", NULL);
    assert_false(header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    reply_free(&r);
    r = http_h(f, "OPTIONS", "/api/nothing", NULL, ok);
    assert_int_equal(r.status, 404);
    reply_free(&r);

    /* a runbook named by its path (%2F-encoded) and the OData endpoint
     * answer preflights too; OData's with the headers its clients send */
    const char *get[] = {"Origin: https://ops.example",
                         "Access-Control-Request-Method: GET", NULL};
    r = http_h(f, "OPTIONS", "/api/runbooks/%2FOps%2FHello%20World/diagram",
               NULL, get);
    assert_int_equal(r.status, 204);
    assert_true(header(&r, "Access-Control-Allow-Methods", v, sizeof v));
    assert_non_null(strstr(v, "GET"));
    reply_free(&r);
    r = http_h(f, "OPTIONS",
               "/Orchestrator2012/Orchestrator.svc/Jobs(guid'00000000-0000-"
               "0000-0000-000000000001')",
               NULL, get);
    assert_int_equal(r.status, 204);
    assert_true(header(&r, "Access-Control-Allow-Methods", v, sizeof v));
    assert_non_null(strstr(v, "MERGE"));
    assert_non_null(strstr(v, "OPTIONS"));
    assert_true(header(&r, "Access-Control-Allow-Headers", v, sizeof v));
    assert_non_null(strstr(v, "X-HTTP-Method"));
    assert_non_null(strstr(v, "If-Match"));
    reply_free(&r);
}

/* ---- HTTPS -------------------------------------------------------------------- */

static void test_https(void **state) {
    fixture *f = *state;
    if (access("/usr/bin/openssl", X_OK) != 0) {
        print_message("openssl is not installed (apt-get install openssl): skipped\n");
        skip();
    }
    char *cert = bt_harness_path(f->dir, "cert.pem");
    char *key = bt_harness_path(f->dir, "key.pem");
    char *cmd = bt_xasprintf(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' "
        ">/dev/null 2>&1", key, cert);
    assert_int_equal(system(cmd), 0);
    free(cmd);

    /* bad files are refused naming the file */
    f->cfg.tls_cert_file = "/nonexistent/cert.pem";
    f->cfg.tls_key_file = key;
    bt_error err = {0};
    assert_int_not_equal(bt_web_start(&f->cfg, &f->web, &err), 0);
    if (!strstr(err.message, "/nonexistent/cert.pem")) fail_msg("%s", err.message);
    f->cfg.tls_cert_file = cert;
    f->cfg.tls_key_file = cert; /* not a key */
    assert_int_not_equal(bt_web_start(&f->cfg, &f->web, &err), 0);
    assert_non_null(strstr(err.message, cert));
    f->cfg.tls_key_file = NULL;
    assert_int_not_equal(bt_web_start(&f->cfg, &f->web, &err), 0);
    assert_non_null(strstr(err.message, "tls_key"));

    f->cfg.tls_key_file = key;
    start_web(f);
    cainfo = cert;
    reply r = http(f, "GET", "/api/health", NULL);
    cainfo = NULL;
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
    reply_free(&r);

    /* plain HTTP to the HTTPS port gets no answer */
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("http://127.0.0.1:%u/api/health", (unsigned)bt_web_port(f->web));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    reply junk = {0};
    bt_buf_init(&junk.body, 0);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &junk);
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_true(rc != CURLE_OK || code != 200);
    bt_buf_free(&junk.body);
    curl_easy_cleanup(c);
    free(url);
    free(cert);
    free(key);
}

/* ---- slow and half-open clients ------------------------------------------------ */

static void test_slow_client_dropped(void **state) {
    fixture *f = *state;
    f->cfg.timeout_s = 1;
    start_web(f);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(bt_web_port(f->web))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char half[] = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    assert_int_equal(send(fd, half, sizeof half - 1, 0), (ssize_t)(sizeof half - 1));
    /* others are served meanwhile */
    reply r = http(f, "GET", "/api/health", NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* the stalled client is cut off: its socket reads end-of-file (or a
     * reset) well within a few timeouts */
    uint64_t t0 = bt_mono_us();
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1);
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    assert_true(n <= 0 || !strncmp(buf, "HTTP/1.1 408", 12));
    assert_true(bt_mono_us() - t0 < 10000000);
    close(fd);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_diagram_and_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_covers_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_ends_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_and_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admission_hook, setup_nostart, teardown),
        cmocka_unit_test_setup_teardown(test_cors, setup_nostart, teardown),
        cmocka_unit_test_setup_teardown(test_https, setup_nostart, teardown),
        cmocka_unit_test_setup_teardown(test_slow_client_dropped, setup_nostart, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
