/* The REST web service over real sockets on 127.0.0.1 with a real SQLite
 * file: every endpoint, every error class, the body cap, paging, the
 * long-poll (returning when another thread finishes the job, and timing
 * out), Location headers and the jobs_changed callback. */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "store/store.h"
#include "web/web.h"

static const char HELLO_YAML[] =
    "name: Hello\n"
    "folder: /Ops\n"
    "parameters:\n"
    "  - {name: host, type: string, required: true}\n"
    "  - {name: count, type: integer, default: 3}\n"
    "  - {name: mode, type: string, allowed: [fast, slow]}\n"
    "  - {name: flag, type: boolean}\n"
    "returns: [greeting]\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: done, type: return-data, properties: {greeting: \"hi {start.host}\"}}\n"
    "links:\n"
    "  - {from: start, to: done}\n";

typedef struct fixture {
    char *dir;
    char *path;
    char *url;
    bt_store *s;
    bt_web *web;
    atomic_int changed;
    char base[64];
    int64_t hello_id;  /* /Ops/Hello, one version */
    int64_t empty_id;  /* /Ops/Empty, no version */
    size_t max_body;
} fixture;

typedef struct reply {
    long status;
    json_t *json; /* NULL for an answer that is not JSON (raw_request) */
    char *location;
    char *allow;
    char etag[64]; /* "" when none */
    bt_buf body;
} reply;

static void on_jobs_changed(void *ud) {
    atomic_fetch_add(&((fixture *)ud)->changed, 1);
}

static bt_store *open_or_fail(const char *url) {
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(url, &s, &err)) fail_msg("open %s: %s", url, err.message);
    return s;
}

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

static void start_web(fixture *f) {
    bt_web_config cfg = {.bind_address = "127.0.0.1",
                         .port = 0,
                         .store_url = f->url,
                         .max_body = f->max_body,
                         .jobs_changed = on_jobs_changed,
                         .ud = f};
    bt_error err = {0};
    if (bt_web_start(&cfg, &f->web, &err)) fail_msg("web: %s", err.message);
    assert_true(bt_web_port(f->web) > 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_web_port(f->web));
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    f->path = bt_harness_path(f->dir, "baton.db");
    f->url = bt_xasprintf("sqlite:%s", f->path);
    f->s = open_or_fail(f->url);
    bt_store_folder folder = {0};
    OK(bt_store_folder_create(f->s, "/Ops", &folder, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, folder.id, "Hello", "says hi", &rb, &e_));
    f->hello_id = rb.id;
    bt_store_runbook_clear(&rb);
    int v = 0;
    OK(bt_store_version_add(f->s, f->hello_id, HELLO_YAML, "tester", "first",
                            &v, &e_));
    OK(bt_store_runbook_create(f->s, folder.id, "Empty", NULL, &rb, &e_));
    f->empty_id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&folder);
    f->max_body = 4096;
    start_web(f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_web_stop(f->web);
    bt_store_close(f->s);
    bt_harness_rmrf(f->dir);
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
    size_t len = size * n;
    char **slot = NULL;
    size_t skip = 0;
    if (len > 10 && !strncasecmp(p, "Location: ", 10)) slot = &r->location, skip = 10;
    if (len > 7 && !strncasecmp(p, "Allow: ", 7)) slot = &r->allow, skip = 7;
    bool etag = len > 6 && !strncasecmp(p, "ETag: ", 6);
    if (etag) skip = 6;
    size_t end = len;
    while (end > skip && (p[end - 1] == '\r' || p[end - 1] == '\n')) end--;
    if (slot) {
        free(*slot);
        *slot = bt_xstrndup(p + skip, end - skip);
    }
    if (etag)
        snprintf(r->etag, sizeof r->etag, "%.*s", (int)(end - skip), p + skip);
    return len;
}

static size_t on_discard(char *p, size_t size, size_t n, void *ud) {
    return size * n;
}

/* One request; body may be NULL. extra: one more header line or NULL.
 * The answer need not be JSON (r.json is then NULL). */
static reply raw_request(fixture *f, const char *method, const char *path,
                         const char *body, const char *extra) {
    reply r = {0};
    bt_buf_init(&r.body, 0);
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    if (extra) h = curl_slist_append(h, extra);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
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

/* The same, for an answer that must be JSON. */
static reply http(fixture *f, const char *method, const char *path,
                  const char *body, const char *extra) {
    reply r = raw_request(f, method, path, body, extra);
    if (!r.json) fail_msg("%s %s: not JSON: %s", method, path, bt_buf_str(&r.body));
    return r;
}

static void reply_free(reply *r) {
    json_decref(r->json);
    free(r->location);
    free(r->allow);
    bt_buf_free(&r->body);
}

static const char *str_at(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) fail_msg("field %s is not a string", key);
    return json_string_value(v);
}

static json_int_t int_at(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) fail_msg("field %s is not an integer", key);
    return json_integer_value(v);
}

/* The answer is an error with this status, code and target. */
static void expect_error(fixture *f, const char *method, const char *path,
                         const char *body, long status, const char *code,
                         const char *target) {
    reply r = http(f, method, path, body, NULL);
    if (r.status != status)
        fail_msg("%s %s: status %ld, wanted %ld: %s", method, path, r.status,
                 status, bt_buf_str(&r.body));
    json_t *e = json_object_get(r.json, "error");
    assert_non_null(e);
    assert_string_equal(str_at(e, "code"), code);
    assert_true(strlen(str_at(e, "message")) > 0);
    if (target) assert_string_equal(str_at(e, "target"), target);
    reply_free(&r);
}

static int64_t start_job(fixture *f, const char *body) {
    reply r = http(f, "POST", "/api/jobs", body, NULL);
    if (r.status != 201) fail_msg("start: %ld %s", r.status, bt_buf_str(&r.body));
    int64_t id = int_at(r.json, "id");
    reply_free(&r);
    return id;
}

/* ---- tests ------------------------------------------------------------ */

static void test_health(void **state) {
    fixture *f = *state;
    reply r = http(f, "GET", "/api/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "status"), "ok");
    assert_string_equal(str_at(r.json, "database"), "sqlite");
    assert_true(strlen(str_at(r.json, "version")) > 0);
    reply_free(&r);
}

static void test_runbooks(void **state) {
    fixture *f = *state;
    reply r = http(f, "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 2);
    json_t *empty = json_array_get(items, 0), *hello = json_array_get(items, 1);
    assert_string_equal(str_at(empty, "path"), "/Ops/Empty");
    assert_int_equal(int_at(empty, "latest_version"), 0);
    assert_string_equal(str_at(hello, "path"), "/Ops/Hello");
    assert_string_equal(str_at(hello, "name"), "Hello");
    assert_int_equal(int_at(hello, "id"), f->hello_id);
    assert_int_equal(strlen(str_at(hello, "guid")), 36);
    assert_int_equal(int_at(hello, "latest_version"), 1);
    json_t *params = json_object_get(hello, "parameters");
    assert_int_equal(json_array_size(params), 4);
    json_t *host = json_array_get(params, 0), *count = json_array_get(params, 1);
    assert_string_equal(str_at(host, "name"), "host");
    assert_string_equal(str_at(host, "type"), "string");
    assert_true(json_is_true(json_object_get(host, "required")));
    assert_null(json_object_get(host, "default"));
    assert_string_equal(str_at(count, "type"), "integer");
    assert_string_equal(str_at(count, "default"), "3");
    assert_true(json_is_false(json_object_get(count, "required")));
    json_t *mode = json_array_get(params, 2);
    assert_int_equal(json_array_size(json_object_get(mode, "allowed")), 2);
    reply_free(&r);

    char path[64];
    snprintf(path, sizeof path, "/api/runbooks/%lld", (long long)f->hello_id);
    r = http(f, "GET", path, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "path"), "/Ops/Hello");
    assert_string_equal(str_at(r.json, "description"), "says hi");
    json_t *versions = json_object_get(r.json, "versions");
    assert_int_equal(json_array_size(versions), 1);
    assert_string_equal(str_at(json_array_get(versions, 0), "author"), "tester");
    assert_int_equal(json_array_size(json_object_get(r.json, "parameters")), 4);
    reply_free(&r);

    expect_error(f, "GET", "/api/runbooks/999", NULL, 404, "not_found", "id");
    expect_error(f, "GET", "/api/runbooks/abc", NULL, 400, "invalid_parameter", "id");
    expect_error(f, "GET", "/api/runbooks?x=1", NULL, 400, "unknown_parameter", "x");
}

static void test_runbook_that_does_not_load(void **state) {
    fixture *f = *state;
    int v;
    OK(bt_store_version_add(f->s, f->empty_id, "name: Empty\nactivities: 7\n",
                            "tester", "broken", &v, &e_));
    reply r = http(f, "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *empty = json_array_get(json_object_get(r.json, "items"), 0);
    assert_true(json_is_null(json_object_get(empty, "parameters")));
    assert_non_null(strstr(str_at(empty, "load_error"), "does not load"));
    reply_free(&r);
    /* starting it is the server's fault, not the client's */
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Empty\"}", 500,
                 "store_error", "runbook");
}

static void test_start_job(void **state) {
    fixture *f = *state;
    int before = atomic_load(&f->changed);
    reply r = http(f, "POST", "/api/jobs",
                   "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": "
                   "\"web01\", \"count\": 5, \"flag\": true, \"mode\": \"slow\"},"
                   " \"servers\": [\"rb2\", \"rb1\"]}",
                   "X-Baton-User: alice");
    assert_int_equal(r.status, 201);
    int64_t id = int_at(r.json, "id");
    char want[64];
    snprintf(want, sizeof want, "/api/jobs/%lld", (long long)id);
    assert_non_null(r.location);
    assert_string_equal(r.location, want);
    assert_string_equal(str_at(r.json, "status"), "pending");
    assert_string_equal(str_at(r.json, "created_by"), "alice");
    assert_string_equal(str_at(r.json, "runbook_path"), "/Ops/Hello");
    assert_int_equal(int_at(r.json, "runbook_version"), 1);
    json_t *p = json_object_get(r.json, "parameters");
    assert_string_equal(str_at(p, "host"), "web01");
    assert_string_equal(str_at(p, "count"), "5");
    assert_string_equal(str_at(p, "flag"), "true");
    json_t *servers = json_object_get(r.json, "servers");
    assert_int_equal(json_array_size(servers), 2);
    assert_string_equal(json_string_value(json_array_get(servers, 0)), "rb2");
    reply_free(&r);
    assert_int_equal(atomic_load(&f->changed), before + 1);

    /* what the store holds is what a runbook server will run */
    bt_store_job job = {0};
    OK(bt_store_job_get(f->s, id, &job, &e_));
    assert_int_equal(job.runbook_id, f->hello_id);
    assert_string_equal(job.created_by, "alice");
    assert_int_equal(job.n_targets, 2);
    json_t *stored = json_loads(job.parameters, 0, NULL);
    assert_string_equal(str_at(stored, "mode"), "slow");
    json_decref(stored);
    bt_store_job_clear(&job);

    /* by id, numeric or as text; default user */
    char body[128];
    snprintf(body, sizeof body, "{\"runbook\": %lld, \"parameters\": {\"host\": \"a\"}}",
             (long long)f->hello_id);
    r = http(f, "POST", "/api/jobs", body, NULL);
    assert_int_equal(r.status, 201);
    assert_string_equal(str_at(r.json, "created_by"), "api");
    reply_free(&r);
    snprintf(body, sizeof body, "{\"runbook\": \"%lld\", \"parameters\": {\"host\": \"a\"}}",
             (long long)f->hello_id);
    start_job(f, body);
    assert_int_equal(atomic_load(&f->changed), before + 3);
}

static void test_start_job_errors(void **state) {
    fixture *f = *state;
    int before = atomic_load(&f->changed);
    expect_error(f, "POST", "/api/jobs", "", 400, "invalid_json", "body");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": ", 400, "invalid_json", "body");
    expect_error(f, "POST", "/api/jobs", "[1]", 400, "invalid_json", "body");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": 1, \"runbook\": 2}", 400,
                 "invalid_json", "body");
    expect_error(f, "POST", "/api/jobs", "{\"parameters\": {}}", 400,
                 "missing_field", "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Hello\", \"colour\": 1}",
                 400, "unknown_field", "colour");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": true}", 400,
                 "invalid_parameter", "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": -4}", 400,
                 "invalid_parameter", "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": 999}", 404, "not_found",
                 "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Nope\"}", 404,
                 "not_found", "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": \"/Nowhere/Hello\"}", 404,
                 "not_found", "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Empty\"}", 409,
                 "no_version", "runbook");
    expect_error(f, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Hello\"}", 400,
                 "missing_parameter", "host");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\", "
                 "\"hots\": 1}}", 400, "unknown_parameter", "hots");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\", "
                 "\"count\": \"many\"}}", 400, "invalid_parameter", "count");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\", "
                 "\"count\": 1.5}}", 400, "invalid_parameter", "count");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\", "
                 "\"flag\": \"perhaps\"}}", 400, "invalid_parameter", "flag");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\", "
                 "\"mode\": \"medium\"}}", 400, "invalid_parameter", "mode");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": [1]}}",
                 400, "invalid_parameter", "host");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": [\"host\"]}", 400,
                 "invalid_parameter", "parameters");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\"}, "
                 "\"servers\": \"rb1\"}", 400, "invalid_parameter", "servers");
    expect_error(f, "POST", "/api/jobs",
                 "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"a\"}, "
                 "\"servers\": [\"\"]}", 400, "invalid_parameter", "servers");
    /* nothing was written and nobody was woken */
    bt_store_job *items = NULL;
    size_t n = 9;
    int64_t next;
    bt_store_job_filter all = {.any_status = true};
    OK(bt_store_job_list(f->s, &all, &items, &n, &next, &e_));
    assert_int_equal(n, 0);
    bt_store_job_list_free(items, n);
    assert_int_equal(atomic_load(&f->changed), before);
}

static void test_routes_and_methods(void **state) {
    fixture *f = *state;
    expect_error(f, "GET", "/api/nothing", NULL, 404, "not_found", "/api/nothing");
    expect_error(f, "GET", "/", NULL, 404, "not_found", "/");
    expect_error(f, "GET", "/api/jobs/1/cancel/x", NULL, 404, "not_found", NULL);
    reply r = http(f, "DELETE", "/api/jobs", NULL, NULL);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "POST, GET");
    assert_string_equal(str_at(json_object_get(r.json, "error"), "code"),
                        "method_not_allowed");
    reply_free(&r);
    r = http(f, "GET", "/api/jobs/1/cancel", NULL, NULL);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "POST");
    reply_free(&r);
    expect_error(f, "PUT", "/api/health", NULL, 405, "method_not_allowed", "PUT");
    /* a trailing slash is the same resource */
    r = http(f, "GET", "/api/health/", NULL, NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    expect_error(f, "GET", "/api/jobs/999", NULL, 404, "not_found", "id");
    expect_error(f, "GET", "/api/jobs/x1", NULL, 400, "invalid_parameter", "id");
    expect_error(f, "GET", "/api/jobs/0", NULL, 400, "invalid_parameter", "id");
    expect_error(f, "POST", "/api/jobs/999/cancel", NULL, 404, "not_found", "id");
}

static void test_body_cap(void **state) {
    fixture *f = *state;
    size_t big = f->max_body + 1;
    char *body = bt_xmalloc(big + 1);
    memset(body, ' ', big);
    body[big] = '\0';
    body[0] = '{';
    body[big - 1] = '}';
    /* announced by Content-Length: refused before it is read */
    expect_error(f, "POST", "/api/jobs", body, 413, "payload_too_large", "body");

    /* chunked: no length up front, refused when the cap is crossed */
    reply r = {0};
    bt_buf_init(&r.body, 0);
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("%s/api/jobs", f->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)big);
    struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(bt_buf_str(&r.body), "payload_too_large"));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    bt_buf_free(&r.body);

    /* far beyond the cap with no length: cut off, never buffered */
    size_t huge = f->max_body * 32;
    char *flood = bt_xmalloc(huge);
    memset(flood, ' ', huge);
    c = curl_easy_init();
    url = bt_xasprintf("%s/api/jobs", f->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, flood);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)huge);
    h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_discard);
    assert_int_not_equal(curl_easy_perform(c), CURLE_OK);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    free(flood);
    reply ok = http(f, "GET", "/api/health", NULL, NULL); /* still serving */
    assert_int_equal(ok.status, 200);
    reply_free(&ok);

    /* at the cap exactly is fine (and then a JSON problem) */
    body[big - 2] = '}';
    body[big - 1] = '\0';
    expect_error(f, "POST", "/api/jobs", body, 400, "missing_field", "runbook");
    free(body);
}

static void test_list_and_paging(void **state) {
    fixture *f = *state;
    int64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = start_job(f, "{\"runbook\": \"/Ops/Hello\", \"parameters\": "
                              "{\"host\": \"h\"}}");
    OK(bt_store_job_request_cancel(f->s, ids[1], &e_)); /* pending: canceled */

    /* pages of two, following the cursor */
    int64_t seen[5];
    size_t n_seen = 0;
    char path[128] = "/api/jobs?limit=2";
    for (int page = 0; page < 5; page++) {
        reply r = http(f, "GET", path, NULL, NULL);
        assert_int_equal(r.status, 200);
        json_t *items = json_object_get(r.json, "items");
        assert_true(json_array_size(items) <= 2);
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *j = json_array_get(items, i);
            assert_string_equal(str_at(j, "runbook_path"), "/Ops/Hello");
            seen[n_seen++] = int_at(j, "id");
        }
        json_t *next = json_object_get(r.json, "next_cursor");
        if (json_is_null(next)) {
            reply_free(&r);
            break;
        }
        snprintf(path, sizeof path, "/api/jobs?limit=2&cursor=%s",
                 json_string_value(next));
        reply_free(&r);
    }
    assert_int_equal(n_seen, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(seen[i], ids[i]);

    reply r = http(f, "GET", "/api/jobs?status=canceled", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_int_equal(int_at(json_array_get(json_object_get(r.json, "items"), 0), "id"),
                     ids[1]);
    reply_free(&r);
    r = http(f, "GET", "/api/jobs?status=pending&runbook=/Ops/Hello", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 4);
    assert_true(json_is_null(json_object_get(r.json, "next_cursor")));
    reply_free(&r);
    snprintf(path, sizeof path, "/api/jobs?runbook=%lld", (long long)f->empty_id);
    r = http(f, "GET", path, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    reply_free(&r);

    expect_error(f, "GET", "/api/jobs?status=done", NULL, 400, "invalid_parameter", "status");
    expect_error(f, "GET", "/api/jobs?limit=0", NULL, 400, "invalid_parameter", "limit");
    expect_error(f, "GET", "/api/jobs?limit=1001", NULL, 400, "invalid_parameter", "limit");
    expect_error(f, "GET", "/api/jobs?limit=ten", NULL, 400, "invalid_parameter", "limit");
    expect_error(f, "GET", "/api/jobs?cursor=abc", NULL, 400, "invalid_parameter", "cursor");
    expect_error(f, "GET", "/api/jobs?runbook=/Ops/Nope", NULL, 404, "not_found", "runbook");
    expect_error(f, "GET", "/api/jobs?sort=id", NULL, 400, "unknown_parameter", "sort");
}

/* Plays a runbook server through the store API: claims the job, commits
 * two activity instances with data, finishes instance and job. */
static int64_t server_id_of(fixture *f, bt_store *s) {
    int64_t sid = 0;
    OK(bt_store_server_register(s, "rb-test", "0", 60000, &sid, &e_));
    return sid;
}

static void claim(bt_store *s, int64_t sid, int64_t job_id, int64_t *inst_id) {
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(s, sid, 100, &jobs, &n, &e_));
    bool found = false;
    for (size_t i = 0; i < n; i++) found |= jobs[i].id == job_id;
    assert_true(found);
    bt_store_job_list_free(jobs, n);
    bt_store_instance in = {0};
    OK(bt_store_instance_create(s, job_id, sid, &in, &e_));
    *inst_id = in.id;
    bt_store_instance_clear(&in);
}

static void finish(bt_store *s, int64_t sid, int64_t job_id, int64_t inst_id) {
    bt_store_datum d1[] = {{0, "host", "web01"}, {0, "status", "success"}};
    bt_store_datum d2[] = {{0, "greeting", "hi web01"}, {1, "greeting", "hi again"}};
    bt_store_activity_spec a[] = {
        {.instance_id = inst_id, .activity_id = "start", .seq = 1, .attempt = 1,
         .result = BT_RESULT_SUCCESS, .start_us = 1000, .end_us = 3000,
         .data = d1, .n_data = 2},
        {.instance_id = inst_id, .activity_id = "done", .seq = 2, .attempt = 1,
         .result = BT_RESULT_WARNING, .error = "odd", .start_us = 3000,
         .end_us = 4000, .parent_seq = 1, .data = d2, .n_data = 2},
    };
    OK(bt_store_commit_activities(s, sid, a, 2, &e_));
    OK(bt_store_instance_finish(s, inst_id, BT_JOB_COMPLETED, BT_RESULT_WARNING,
                                "{\"greeting\": \"hi web01\"}", &e_));
    OK(bt_store_job_set_status(s, job_id, BT_JOB_COMPLETED, sid, &e_));
}

/* A /Ops/Hello job started through the API and claimed by this process
 * as server *sid would, running in runbook instance *inst. */
static int64_t running_job(fixture *f, int64_t *sid, int64_t *inst) {
    int64_t id = start_job(f, "{\"runbook\": \"/Ops/Hello\", \"parameters\": "
                              "{\"host\": \"web01\"}}");
    *sid = server_id_of(f, f->s);
    claim(f->s, *sid, id, inst);
    return id;
}

/* The same, run to its end. */
static int64_t finished_job(fixture *f, int64_t *sid, int64_t *inst) {
    int64_t id = running_job(f, sid, inst);
    finish(f->s, *sid, id, *inst);
    return id;
}

static void test_show_job(void **state) {
    fixture *f = *state;
    int64_t sid, inst, id = finished_job(f, &sid, &inst);
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld", (long long)id);
    reply r = http(f, "GET", path, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "status"), "completed");
    assert_non_null(json_object_get(r.json, "ended"));
    assert_string_equal(str_at(json_object_get(r.json, "return_data"), "greeting"),
                        "hi web01");
    json_t *instances = json_object_get(r.json, "instances");
    assert_int_equal(json_array_size(instances), 1);
    json_t *in = json_array_get(instances, 0);
    assert_int_equal(int_at(in, "id"), inst);
    assert_string_equal(str_at(in, "result"), "warning");
    json_t *acts = json_object_get(in, "activities");
    assert_int_equal(json_array_size(acts), 2);
    json_t *a0 = json_array_get(acts, 0), *a1 = json_array_get(acts, 1);
    assert_string_equal(str_at(a0, "activity"), "start");
    assert_string_equal(str_at(a0, "type"), "initialize-data");
    assert_string_equal(str_at(a0, "result"), "success");
    assert_string_equal(str_at(json_array_get(json_object_get(a0, "rows"), 0), "host"),
                        "web01");
    assert_string_equal(str_at(a1, "type"), "return-data");
    assert_string_equal(str_at(a1, "error"), "odd");
    assert_int_equal(int_at(a1, "parent_seq"), 1);
    json_t *rows = json_object_get(a1, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(str_at(json_array_get(rows, 1), "greeting"), "hi again");
    reply_free(&r);
}

typedef struct finisher {
    fixture *f;
    int64_t job_id, inst_id, sid;
} finisher;

static void *finish_later(void *arg) {
    finisher *fin = arg;
    bt_store *s = open_or_fail(fin->f->url);
    usleep(300 * 1000); /* so the request is (very likely) already waiting */
    finish(s, fin->sid, fin->job_id, fin->inst_id);
    bt_store_close(s);
    return NULL;
}

static void test_wait(void **state) {
    fixture *f = *state;
    int64_t sid, inst, id = running_job(f, &sid, &inst);

    /* times out: still running, after about the time asked for */
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld?wait=0.5", (long long)id);
    uint64_t t0 = bt_mono_us();
    reply r = http(f, "GET", path, NULL, NULL);
    uint64_t took = bt_mono_us() - t0;
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "status"), "running");
    assert_true(took >= 500000);
    reply_free(&r);

    /* returns as soon as another handle finishes the job, long before 60 s */
    finisher fin = {f, id, inst, sid};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, finish_later, &fin), 0);
    snprintf(path, sizeof path, "/api/jobs/%lld?wait=60", (long long)id);
    t0 = bt_mono_us();
    r = http(f, "GET", path, NULL, NULL);
    took = bt_mono_us() - t0;
    pthread_join(th, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "status"), "completed");
    assert_true(took < 30 * 1000000ull);
    assert_int_equal(json_array_size(json_object_get(r.json, "instances")), 1);
    reply_free(&r);

    expect_error(f, "GET", "/api/jobs/1?wait=301", NULL, 400, "invalid_parameter", "wait");
    expect_error(f, "GET", "/api/jobs/1?wait=-1", NULL, 400, "invalid_parameter", "wait");
    expect_error(f, "GET", "/api/jobs/1?wait=soon", NULL, 400, "invalid_parameter", "wait");
    expect_error(f, "GET", "/api/jobs/999?wait=5", NULL, 404, "not_found", "id");
}

/* bt_web_stop does not wait out a long-poll. */
typedef struct waiter {
    fixture *f;
    char path[64];
    long status;
} waiter;

static void *wait_long(void *arg) {
    waiter *w = arg;
    /* no cmocka asserts off the main thread: record what happened */
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("%s%s", w->f->base, w->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w->status);
    curl_easy_cleanup(c);
    free(url);
    return NULL;
}

static void test_stop_ends_long_poll(void **state) {
    fixture *f = *state;
    int64_t id = start_job(f, "{\"runbook\": \"/Ops/Hello\", \"parameters\": "
                              "{\"host\": \"web01\"}}");
    waiter w = {.f = f};
    snprintf(w.path, sizeof w.path, "/api/jobs/%lld?wait=300", (long long)id);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_long, &w), 0);
    /* whether the request is already waiting or arrives during the stop,
     * it must be answered (or refused) promptly either way */
    usleep(200 * 1000);
    uint64_t t0 = bt_mono_us();
    bt_web_stop(f->web);
    f->web = NULL;
    pthread_join(th, NULL);
    assert_true(bt_mono_us() - t0 < 30 * 1000000ull);
    /* answered with the job as it is, or refused if it came too late */
    assert_true(w.status == 200 || w.status == 0);
}

static void test_cancel(void **state) {
    fixture *f = *state;
    const char *body = "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"h\"}}";
    int64_t running = start_job(f, body);
    int64_t sid = server_id_of(f, f->s), inst;
    claim(f->s, sid, running, &inst);

    int before = atomic_load(&f->changed);
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld/cancel", (long long)running);
    reply r = http(f, "POST", path, NULL, NULL);
    assert_int_equal(r.status, 202);
    assert_string_equal(str_at(r.json, "status"), "running");
    assert_true(json_is_true(json_object_get(r.json, "cancel_requested")));
    reply_free(&r);
    assert_int_equal(atomic_load(&f->changed), before + 1);

    int64_t fresh = start_job(f, body);
    snprintf(path, sizeof path, "/api/jobs/%lld/cancel", (long long)fresh);
    r = http(f, "POST", path, NULL, NULL);
    assert_int_equal(r.status, 202);
    assert_string_equal(str_at(r.json, "status"), "canceled");
    reply_free(&r);
    /* a finished job cannot be canceled */
    expect_error(f, "POST", path, NULL, 409, "job_finished", "id");
}

/* Servers, events, the folder tree, variables (encrypted ones show no
 * value), counters and schedules, as the store holds them. */
static void test_resources(void **state) {
    fixture *f = *state;
    int64_t sid = 0;
    OK(bt_store_server_register(f->s, "rb1", "9.9", 60000, &sid, &e_));
    OK(bt_store_event_add(f->s, BT_SEVERITY_ERROR, "rb1", "disk <full>", 0,
                          &e_));
    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "rb1", "second", 0, &e_));
    OK(bt_store_folder_create(f->s, "/Ops/Web/Deep", NULL, &e_));
    OK(bt_store_variable_set(f->s, "plain", "v1", 2, false, &e_));
    OK(bt_store_variable_set(f->s, "secret", "\x01\x02cipher", 8, true, &e_));
    OK(bt_store_counter_set(f->s, "tickets", 41, &e_));
    OK(bt_store_schedule_set(f->s, "weekdays", "{\"days\": [\"mon\"]}", &e_));

    reply r = http(f, "GET", "/api/servers", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *sv = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(str_at(sv, "name"), "rb1");
    assert_string_equal(str_at(sv, "version"), "9.9");
    assert_true(json_is_true(json_object_get(sv, "up")));
    reply_free(&r);

    r = http(f, "GET", "/api/events?limit=1", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *evs = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_array_get(evs, 0);
    assert_string_equal(str_at(ev, "message"), "disk <full>");
    assert_string_equal(str_at(ev, "severity"), "error");
    json_int_t next = int_at(r.json, "next_cursor");
    reply_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/events?cursor=%lld", (long long)next);
    r = http(f, "GET", path, NULL, NULL);
    evs = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(evs), 1);
    assert_string_equal(str_at(json_array_get(evs, 0), "message"), "second");
    reply_free(&r);
    expect_error(f, "GET", "/api/events?limit=x", NULL, 400,
                 "invalid_parameter", "limit");
    expect_error(f, "GET", "/api/events?severity=1", NULL, 400,
                 "unknown_parameter", "severity");

    r = http(f, "GET", "/api/folders", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "path"), "/");
    json_t *ops = json_array_get(json_object_get(r.json, "folders"), 0);
    assert_string_equal(str_at(ops, "path"), "/Ops");
    assert_int_equal(json_array_size(json_object_get(ops, "runbooks")), 2);
    json_t *web = json_array_get(json_object_get(ops, "folders"), 0);
    assert_string_equal(
        str_at(json_array_get(json_object_get(web, "folders"), 0), "path"),
        "/Ops/Web/Deep");
    reply_free(&r);
    r = http(f, "GET", "/api/folders?path=/Ops/Web", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "name"), "Web");
    reply_free(&r);
    expect_error(f, "GET", "/api/folders?path=/Nope", NULL, 404, "not_found",
                 "path");

    r = http(f, "GET", "/api/variables", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *vars = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(vars), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_array_get(vars, i);
        if (!strcmp(str_at(v, "name"), "plain")) {
            assert_string_equal(str_at(v, "value"), "v1");
        } else {
            assert_true(json_is_true(json_object_get(v, "encrypted")));
            assert_true(json_is_null(json_object_get(v, "value")));
        }
    }
    assert_null(strstr(bt_buf_str(&r.body), "cipher"));
    reply_free(&r);

    r = http(f, "GET", "/api/counters/tickets", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(int_at(r.json, "value"), 41);
    reply_free(&r);
    expect_error(f, "GET", "/api/counters/nope", NULL, 404, "not_found",
                 "name");

    r = http(f, "GET", "/api/schedules", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *sc = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(str_at(sc, "name"), "weekdays");
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(sc, "definition"), "days"), 0)),
        "mon");
    assert_string_equal(str_at(sc, "folder"), "/");
    reply_free(&r);

    /* Settings folders: each item names its folder, ?folder= filters. */
    OK(bt_store_setting_move(f->s, BT_SETTING_VARIABLE, "secret", "/Ops/Mail",
                             &e_));
    OK(bt_store_counter_set_in(f->s, "mails", 3, "/Ops/Mail", &e_));
    OK(bt_store_schedule_set_in(f->s, "night", "{\"hours\": \"0-6\"}",
                                "/Ops/Mail", &e_));
    static const char *const lists[] = {"/api/variables", "/api/counters",
                                        "/api/schedules"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s?folder=%%2FOps%%2FMail", lists[i]);
        r = http(f, "GET", path, NULL, NULL);
        assert_int_equal(r.status, 200);
        json_t *items = json_object_get(r.json, "items");
        assert_int_equal(json_array_size(items), 1);
        assert_string_equal(str_at(json_array_get(items, 0), "folder"),
                            "/Ops/Mail");
        reply_free(&r);
        r = http(f, "GET", lists[i], NULL, NULL);
        assert_int_equal(json_array_size(json_object_get(r.json, "items")),
                         2);
        assert_string_equal(
            str_at(json_array_get(json_object_get(r.json, "items"), 0),
                   "folder"),
            i == 0 ? "/" : "/Ops/Mail"); /* by name */
        reply_free(&r);
        snprintf(path, sizeof path, "%s?folder=Ops", lists[i]);
        expect_error(f, "GET", path, NULL, 400, "invalid_parameter",
                     "folder");
    }
    r = http(f, "GET", "/api/counters", NULL, NULL);
    json_t *c1 = json_array_get(json_object_get(r.json, "items"), 1);
    assert_string_equal(str_at(c1, "name"), "tickets");
    assert_int_equal(int_at(c1, "value"), 41);
    reply_free(&r);
}

/* The purge on demand: the default policy keeps 500 per runbook, a body
 * sets another; bad bodies are refused naming the field. */
static void test_purge(void **state) {
    fixture *f = *state;
    int64_t srv = 0;
    OK(bt_store_server_register(f->s, "rb1", "t", 60000, &srv, &e_));
    for (int i = 0; i < 4; i++) {
        int64_t id = start_job(f, "{\"runbook\": \"/Ops/Hello\", "
                                  "\"parameters\": {\"host\": \"h\"}}");
        OK(bt_store_job_set_status(f->s, id, BT_JOB_RUNNING, srv, &e_));
        bt_store_instance in = {0};
        OK(bt_store_instance_create(f->s, id, srv, &in, &e_));
        OK(bt_store_instance_finish(f->s, in.id, BT_JOB_COMPLETED,
                                    BT_RESULT_SUCCESS, NULL, &e_));
        OK(bt_store_job_set_status(f->s, id, BT_JOB_COMPLETED, 0, &e_));
        bt_store_instance_clear(&in);
    }
    reply r = http(f, "POST", "/api/maintenance/purge", NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *purged = json_object_get(r.json, "purged");
    assert_int_equal(int_at(purged, "instances"), 0);
    assert_int_equal(int_at(json_object_get(r.json, "policy"), "keep_last"),
                     500);
    reply_free(&r);
    r = http(f, "POST", "/api/maintenance/purge", "{\"keep_last\": 1}", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(int_at(json_object_get(r.json, "purged"), "instances"), 3);
    reply_free(&r);
    r = http(f, "GET", "/api/jobs", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    expect_error(f, "POST", "/api/maintenance/purge", "{\"keep\": 1}", 400,
                 "unknown_field", "keep");
    expect_error(f, "POST", "/api/maintenance/purge", "{\"keep_last\": -1}",
                 400, "invalid_parameter", "keep_last");
    expect_error(f, "POST", "/api/maintenance/purge", "[1]", 400,
                 "invalid_json", "body");
}

static void test_store_error_is_500(void **state) {
    fixture *f = *state;
    start_job(f, "{\"runbook\": \"/Ops/Hello\", \"parameters\": {\"host\": \"h\"}}");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE jobs RENAME TO jobs_gone",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    reply r = http(f, "GET", "/api/jobs", NULL, NULL);
    assert_int_equal(r.status, 500);
    json_t *e = json_object_get(r.json, "error");
    assert_string_equal(str_at(e, "code"), "store_error");
    assert_non_null(strstr(str_at(e, "message"), "jobs"));
    reply_free(&r);
}

static void test_port_in_use(void **state) {
    fixture *f = *state;
    bt_web_config cfg = {.bind_address = "127.0.0.1",
                         .port = bt_web_port(f->web),
                         .store_url = f->url};
    bt_web *other = NULL;
    bt_error err = {0};
    assert_int_not_equal(bt_web_start(&cfg, &other, &err), 0);
    assert_null(other);
    char port[16];
    snprintf(port, sizeof port, "port %u", (unsigned)cfg.port);
    assert_non_null(strstr(err.message, port));
    assert_non_null(strstr(err.message, "web-port"));

    cfg.port = 0;
    cfg.bind_address = "not-an-address";
    assert_int_not_equal(bt_web_start(&cfg, &other, &err), 0);
    assert_non_null(strstr(err.message, "not-an-address"));

    cfg.bind_address = "127.0.0.1";
    char *bad = bt_xasprintf("sqlite:%s/missing-dir/x.db", f->dir);
    cfg.store_url = bad;
    assert_int_not_equal(bt_web_start(&cfg, &other, &err), 0);
    assert_null(other);
    free(bad);
}

/* ---- kept answers (src/web/answers.c) ---------------------------------- */

typedef struct writer_args {
    int64_t runbook_id, job_id, server_id;
} writer_args;

static int rename_hello(bt_store *s, void *arg) {
    return bt_store_runbook_rename(s, ((writer_args *)arg)->runbook_id,
                                   "Greeter", NULL);
}

static int create_job(bt_store *s, void *arg) {
    writer_args *w = arg;
    bt_store_job_spec spec = {.runbook_id = w->runbook_id,
                              .parameters = "{\"host\": \"other\"}",
                              .created_by = "elsewhere"};
    /* the parent finds it as the one pending job */
    return bt_store_job_create(s, &spec, NULL, NULL);
}

static int run_job(bt_store *s, void *arg) {
    writer_args *w = arg;
    return bt_store_job_set_status(s, w->job_id, BT_JOB_RUNNING, w->server_id,
                                   NULL);
}

static int end_job(bt_store *s, void *arg) {
    writer_args *w = arg;
    bt_store_instance *in = NULL;
    size_t n = 0;
    int rc = bt_store_instance_list(s, w->job_id, &in, &n, NULL);
    for (size_t i = 0; i < n && !rc; i++)
        rc = bt_store_instance_finish(s, in[i].id, BT_JOB_COMPLETED,
                                      BT_RESULT_SUCCESS, NULL, NULL);
    bt_store_instance_list_free(in, n);
    return rc ? rc
              : bt_store_job_set_status(s, w->job_id, BT_JOB_COMPLETED,
                                        w->server_id, NULL);
}

static int purge_all_but_newest(bt_store *s, void *arg) {
    size_t purged = 0;
    int rc = bt_store_purge_instances(s, 0, 1, 0, &purged, NULL);
    return rc ? rc : purged == 0;
}

typedef struct writer {
    const char *name;
    int (*fn)(bt_store *s, void *arg);
} writer;

static const writer WRITERS[] = {
    {"rename", rename_hello},     {"create", create_job},
    {"run", run_job},             {"end", end_job},
    {"purge", purge_all_but_newest},
};

/* The other process: this test program run again as
 * "--other-writer NAME URL RUNBOOK JOB SERVER" (see main). */
static int other_writer(char **argv) {
    writer_args w = {strtoll(argv[3], NULL, 10), strtoll(argv[4], NULL, 10),
                     strtoll(argv[5], NULL, 10)};
    for (size_t i = 0; i < BT_ARRAY_LEN(WRITERS); i++) {
        if (strcmp(WRITERS[i].name, argv[1])) continue;
        bt_store *s = NULL;
        int rc = bt_store_open(argv[2], &s, NULL) ? 10
                 : WRITERS[i].fn(s, &w)          ? 11
                                                 : 0;
        bt_store_close(s);
        return rc;
    }
    return 12;
}

/* Runs a writer in another process with its own store handle, as the
 * management server or a runbook server on another host writes: nothing
 * in this process hears of the change but the store's counters. A new
 * program, not a fork: a fork of this process (web threads inside SQLite
 * or the allocator) could inherit a lock held by a thread it does not
 * have. */
static void in_other_process(fixture *f, const char *name,
                             const writer_args *w) {
    char ids[3][24];
    snprintf(ids[0], sizeof ids[0], "%lld", (long long)w->runbook_id);
    snprintf(ids[1], sizeof ids[1], "%lld", (long long)w->job_id);
    snprintf(ids[2], sizeof ids[2], "%lld", (long long)w->server_id);
    char *argv[] = {"test_web", "--other-writer", (char *)name, f->url,
                    ids[0], ids[1], ids[2], NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv,
                                 environ),
                     0);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* The text of an answer (the OData feed is Atom, not JSON). */
static char *get_text(fixture *f, const char *path, long *status) {
    reply r = raw_request(f, "GET", path, NULL, NULL);
    *status = r.status;
    char *text = bt_buf_detach(&r.body);
    reply_free(&r);
    return text;
}

static char *job_guid(fixture *f, int64_t id) {
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, id, &j, &e_));
    char *g = bt_xstrdup(j.guid);
    bt_store_job_clear(&j);
    return g;
}

/* The entry of a job in an Atom feed, up to its end. */
static char *feed_entry(const char *feed, const char *guid) {
    const char *p = strstr(feed, guid);
    if (!p) return NULL;
    const char *end = strstr(p, "</entry>");
    return end ? bt_xstrndup(p, (size_t)(end - p)) : NULL;
}

#define JOBS_FEED "/Orchestrator2012/Orchestrator.svc/Jobs?$top=50"

/* A job's detail, the runbook list and a page of the OData Jobs feed are
 * kept rendered, but each follows at once what another process writes:
 * a rename (catalog), a new job and a job's status (jobs), a purge. A job
 * still running is never kept, and the kept feed says when it was read. */
static void test_kept_answers_follow_other_writers(void **state) {
    fixture *f = *state;
    int64_t sid, inst, id = finished_job(f, &sid, &inst);
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld", (long long)id);
    long status = 0;
    char *first = get_text(f, path, &status);
    assert_int_equal(status, 200);
    char *again = get_text(f, path, &status);
    assert_string_equal(first, again); /* kept: byte for byte the same */
    free(first);
    free(again);
    reply r = http(f, "GET", "/api/runbooks", NULL, NULL);
    assert_non_null(strstr(bt_buf_str(&r.body), "\"/Ops/Hello\""));
    reply_free(&r);
    char *feed = get_text(f, JOBS_FEED, &status);
    assert_int_equal(status, 200);
    char *g1 = job_guid(f, id);
    assert_non_null(strstr(feed, g1));
    free(feed);

    writer_args w = {.runbook_id = f->hello_id, .server_id = sid};
    in_other_process(f, "rename", &w);
    r = http(f, "GET", path, NULL, NULL);
    assert_string_equal(str_at(r.json, "runbook_path"), "/Ops/Greeter");
    reply_free(&r);
    r = http(f, "GET", "/api/runbooks", NULL, NULL);
    assert_non_null(strstr(bt_buf_str(&r.body), "\"/Ops/Greeter\""));
    assert_null(strstr(bt_buf_str(&r.body), "\"/Ops/Hello\""));
    reply_free(&r);

    /* a job created elsewhere joins the kept feed, and its status follows */
    feed = get_text(f, JOBS_FEED, &status);
    char *kept = get_text(f, JOBS_FEED, &status);
    in_other_process(f, "create", &w);
    bt_store_job *pending = NULL;
    size_t n = 0;
    bt_store_job_filter jf = {.status = BT_JOB_PENDING};
    int64_t next = 0;
    OK(bt_store_job_list(f->s, &jf, &pending, &n, &next, &e_));
    assert_int_equal(n, 1);
    w.job_id = pending[0].id;
    char *g2 = bt_xstrdup(pending[0].guid);
    bt_store_job_list_free(pending, n);
    assert_null(strstr(kept, g2));
    free(feed);
    free(kept);
    feed = get_text(f, JOBS_FEED, &status);
    char *e2 = feed_entry(feed, g2);
    assert_non_null(e2);
    assert_non_null(strstr(e2, ">Pending<"));
    free(e2);
    free(feed);
    in_other_process(f, "run", &w);
    feed = get_text(f, JOBS_FEED, &status);
    e2 = feed_entry(feed, g2);
    assert_non_null(strstr(e2, ">Running<"));
    free(e2);
    free(feed);

    /* the detail of a job still running is read each time */
    bt_store_instance in2 = {0};
    OK(bt_store_instance_create(f->s, w.job_id, sid, &in2, &e_));
    bt_store_instance_clear(&in2);
    char p2[64];
    snprintf(p2, sizeof p2, "/api/jobs/%lld", (long long)w.job_id);
    r = http(f, "GET", p2, NULL, NULL);
    assert_string_equal(str_at(r.json, "status"), "running");
    reply_free(&r);
    in_other_process(f, "end", &w);
    r = http(f, "GET", p2, NULL, NULL);
    assert_string_equal(str_at(r.json, "status"), "completed");
    assert_string_equal(
        str_at(json_array_get(json_object_get(r.json, "instances"), 0),
               "status"),
        "completed");
    reply_free(&r);

    /* a kept feed says when it was read, not when it was kept */
    char *a = get_text(f, JOBS_FEED, &status);
    usleep(20 * 1000);
    char *b = get_text(f, JOBS_FEED, &status);
    assert_int_equal(strlen(a), strlen(b));
    const char *ua = strstr(a, "<updated>"), *ub = strstr(b, "<updated>");
    assert_non_null(ua);
    assert_true(strncmp(ua, ub, 9 + 24) < 0);
    free(a);
    free(b);

    /* purged elsewhere: gone here too */
    r = http(f, "GET", path, NULL, NULL);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    in_other_process(f, "purge", &w);
    r = http(f, "GET", path, NULL, NULL);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    feed = get_text(f, JOBS_FEED, &status);
    assert_null(strstr(feed, g1));
    assert_non_null(strstr(feed, g2));
    free(feed);
    free(g1);
    free(g2);
}

/* The tag revalidates: 304 without a body while nothing changed, 200 with
 * a new tag once another process changed what the answer shows. */
static void revalidates(fixture *f, const char *path, reply *first) {
    assert_int_equal(first->status, 200);
    assert_true(!strncmp(first->etag, "W/\"", 3));
    char inm[96];
    snprintf(inm, sizeof inm, "If-None-Match: %s", first->etag);
    reply t = raw_request(f, "GET", path, NULL, inm);
    assert_int_equal(t.status, 304);
    assert_int_equal(t.body.len, 0);
    assert_string_equal(t.etag, first->etag);
    reply_free(&t);
    t = raw_request(f, "GET", path, NULL, "If-None-Match: W/\"0123\", \"abc\"");
    assert_int_equal(t.status, 200);
    assert_true(t.body.len > 0);
    reply_free(&t);
}

static void test_etags(void **state) {
    fixture *f = *state;
    int64_t sid, inst, id = running_job(f, &sid, &inst);
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld", (long long)id);
    /* running: read each time, no tag */
    reply t = raw_request(f, "GET", path, NULL, NULL);
    assert_int_equal(t.status, 200);
    assert_string_equal(t.etag, "");
    reply_free(&t);
    finish(f->s, sid, id, inst);

    const char *paths[] = {path, "/api/runbooks", JOBS_FEED};
    reply first[3];
    for (int i = 0; i < 3; i++) {
        first[i] = raw_request(f, "GET", paths[i], NULL, NULL);
        revalidates(f, paths[i], &first[i]);
    }
    /* a rename elsewhere: the job's runbook path, the list and the feed's
     * runbook links all may change, so no tag matches any more */
    writer_args w = {.runbook_id = f->hello_id, .server_id = sid};
    in_other_process(f, "rename", &w);
    for (int i = 0; i < 3; i++) {
        char inm[96];
        snprintf(inm, sizeof inm, "If-None-Match: %s", first[i].etag);
        reply again = raw_request(f, "GET", paths[i], NULL, inm);
        assert_int_equal(again.status, 200);
        assert_true(again.etag[0] && strcmp(again.etag, first[i].etag));
        reply_free(&again);
        reply_free(&first[i]);
    }
}

int main(int argc, char **argv) {
    if (argc == 7 && !strcmp(argv[1], "--other-writer"))
        return other_writer(argv + 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runbooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runbook_that_does_not_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_job_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes_and_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_ends_long_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_error_is_500, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_answers_follow_other_writers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_etags, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
