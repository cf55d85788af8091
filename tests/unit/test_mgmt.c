/* The management server over real sockets: every endpoint and error class,
 * check-out / check-in rules (concurrent check-outs, an invalid check-in
 * leaves the versions untouched), export -> import -> export identical,
 * hostile imports refused whole, encrypted variables never returned. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "mgmt/mgmt.h"
#include "mgmt/secret.h"
#include "store/store.h"

typedef struct fixture {
    char *dir;
    char *db;
    char *key;
    bt_mgmt *m;
    char base[64];
    char *last_text; /* raw text of the last answer */
} fixture;

static int listen_loopback(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 64), 0);
    return fd;
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    char *path = bt_harness_path(f->dir, "baton.db");
    f->db = bt_xasprintf("sqlite:%s", path);
    free(path);
    f->key = bt_harness_path(f->dir, "secret.key");
    bt_mgmt_config cfg = {.listen_fd = listen_loopback(),
                          .store_url = f->db,
                          .key_file = f->key,
                          .max_body = 256 * 1024};
    bt_error err = {0};
    int rc = bt_mgmt_start(&cfg, &f->m, &err);
    if (rc)
        fail_msg("start: %s", err.message);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_mgmt_port(f->m));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_mgmt_stop(f->m);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->db);
    free(f->key);
    free(f->last_text);
    free(f);
    return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    bt_buf_append(ud, p, size * n);
    return size * n;
}

/* One request; returns the parsed answer (caller decrefs) and its status.
 * user NULL: no X-Baton-User header. */
static json_t *call_as(fixture *f, const char *user, const char *method,
                       const char *path, const char *body, long *status) {
    CURL *k = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    bt_buf b;
    bt_buf_init(&b, 64 << 20);
    struct curl_slist *h = NULL;
    char *uh = user ? bt_xasprintf("X-Baton-User: %s", user) : NULL;
    if (uh)
        h = curl_slist_append(h, uh);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, 30L);
    CURLcode cc = curl_easy_perform(k);
    if (cc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
    free(f->last_text);
    f->last_text = bt_xstrdup(bt_buf_str(&b));
    json_t *doc = json_loads(bt_buf_str(&b), 0, NULL);
    if (!doc)
        fail_msg("%s %s answered %ld without JSON: %s", method, path, *status,
                 bt_buf_str(&b));
    bt_buf_free(&b);
    curl_slist_free_all(h);
    free(uh);
    free(url);
    curl_easy_cleanup(k);
    return doc;
}

static json_t *call(fixture *f, const char *method, const char *path,
                    const char *body, long *status) {
    return call_as(f, "alice", method, path, body, status);
}

static const char *err_code(json_t *doc) {
    return json_string_value(
        json_object_get(json_object_get(doc, "error"), "code"));
}

static const char *err_msg(json_t *doc) {
    return json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));
}

static void expect(fixture *f, const char *user, const char *method,
                   const char *path, const char *body, long want_status,
                   const char *want_code) {
    long st = 0;
    json_t *d = call_as(f, user, method, path, body, &st);
    if (st != want_status)
        fail_msg("%s %s: want %ld, got %ld: %s", method, path, want_status, st,
                 f->last_text);
    if (want_code)
        assert_string_equal(err_code(d), want_code);
    json_decref(d);
}

static const char RB_V1[] =
    "name: Hello\n"
    "folder: /Ops\n"
    "description: says hi\n"
    "parameters:\n"
    "  - {name: who, type: string, default: world}\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - id: greet\n"
    "    type: run-program\n"
    "    properties: {command: \"echo hello {start.who}\"}\n"
    "links:\n"
    "  - {from: start, to: greet}\n";

static const char RB_V2[] =
    "name: Hello\n"
    "folder: /Ops\n"
    "description: says hi\n"
    "parameters:\n"
    "  - {name: who, type: string, default: world}\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - id: greet\n"
    "    type: run-program\n"
    "    properties: {command: \"echo hi {start.who}\"}\n"
    "  - {id: done, type: return-data, properties: {out: "
    "\"{greet.exit_code}\"}}\n"
    "links:\n"
    "  - {from: start, to: greet}\n"
    "  - {from: greet, to: done}\n";

/* {"yaml": text, "comment": c} as JSON text (malloc'd). */
static char *checkin_body(const char *yaml, const char *comment) {
    json_t *b = json_pack("{s:s, s:s}", "yaml", yaml, "comment", comment);
    char *t = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return t;
}

static void create_hello(fixture *f) {
    char *b = checkin_body(RB_V1, "first");
    expect(f, "alice", "POST", "/api/runbook/checkin", b, 201, NULL);
    free(b);
}

/* ---- tests ------------------------------------------------------------ */

static void test_protocol_errors(void **state) {
    fixture *f = *state;
    long st;
    json_t *d = call(f, "GET", "/api/health", NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(d, "service")),
                        "management");
    json_decref(d);
    expect(f, "alice", "GET", "/api/nothing", NULL, 404, "not_found");
    expect(f, "alice", "DELETE", "/api/tree", NULL, 405, "method_not_allowed");
    expect(f, "alice", "GET", "/api/tree?bogus=1", NULL, 400,
           "unknown_parameter");
    expect(f, "alice", "POST", "/api/folders", "{not json", 400,
           "invalid_json");
    expect(f, "alice", "POST", "/api/folders", "[1]", 400, "invalid_json");
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"/a\",\"x\":1}", 400,
           "unknown_field");
    expect(f, "alice", "POST", "/api/folders", "{}", 400, "missing_field");
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"rel\"}", 400,
           "invalid");
    char *big = bt_xmalloc(300 * 1024);
    memset(big, ' ', 300 * 1024 - 1);
    big[300 * 1024 - 1] = '\0';
    expect(f, "alice", "POST", "/api/folders", big, 413, "too_large");
    free(big);
    char *longuser = bt_xmalloc(400);
    memset(longuser, 'u', 399);
    longuser[399] = '\0';
    expect(f, longuser, "GET", "/api/tree", NULL, 400, "invalid_header");
    free(longuser);
}

static void test_folders_tree(void **state) {
    fixture *f = *state;
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"/Ops/Web\"}", 201,
           NULL);
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"/Ops/Web\"}", 409,
           "exists");
    create_hello(f);
    long st;
    json_t *d = call(f, "GET", "/api/tree?path=/Ops&depth=1", NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(d, "folders"), 0), "name")),
        "Web");
    json_t *rb = json_array_get(json_object_get(d, "runbooks"), 0);
    assert_string_equal(json_string_value(json_object_get(rb, "path")),
                        "/Ops/Hello");
    json_decref(d);
    expect(f, "alice", "GET", "/api/tree?path=/Nope", NULL, 404, "not_found");
    expect(f, "alice", "GET", "/api/tree?depth=7", NULL, 400,
           "invalid_parameter");
    expect(f, "alice", "POST", "/api/folders/rename",
           "{\"path\":\"/Ops/Web\",\"name\":\"Www\"}", 200, NULL);
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"/Other\"}", 201,
           NULL);
    expect(f, "alice", "POST", "/api/folders/move",
           "{\"path\":\"/Ops/Www\",\"to\":\"/Other\"}", 200, NULL);
    d = call(f, "GET", "/api/tree?path=/Other/Www", NULL, &st);
    assert_int_equal(st, 200);
    json_decref(d);
    /* not empty: refused, then recursive; the runbook's history stays */
    expect(f, "alice", "POST", "/api/folders/delete", "{\"path\":\"/Ops\"}",
           409, "not_empty");
    expect(f, "alice", "POST", "/api/folders/delete",
           "{\"path\":\"/Ops\",\"recursive\":true}", 200, NULL);
    expect(f, "alice", "GET", "/api/runbook?runbook=/Ops/Hello", NULL, 404,
           "not_found");
    d = call(f, "GET", "/api/runbook/history?runbook=1", NULL, &st);
    assert_int_equal(st, 200);
    assert_true(json_is_true(json_object_get(d, "deleted")));
    assert_int_equal(json_array_size(json_object_get(d, "versions")), 1);
    json_decref(d);
}

static void test_show_history_diff(void **state) {
    fixture *f = *state;
    create_hello(f);
    expect(f, "alice", "POST", "/api/runbook/checkout",
           "{\"runbook\":\"/Ops/Hello\"}", 200, NULL);
    char *b = checkin_body(RB_V2, "adds done");
    expect(f, "alice", "POST", "/api/runbook/checkin", b, 200, NULL);
    free(b);
    long st;
    json_t *d = call(f, "GET", "/api/runbook?runbook=/Ops/Hello", NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(d, "latest_version")),
                     2);
    assert_true(json_is_null(json_object_get(d, "checked_out_by")));
    json_t *doc = json_object_get(d, "document");
    assert_int_equal(json_array_size(json_object_get(doc, "activities")), 3);
    assert_int_equal(json_array_size(json_object_get(doc, "links")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "yaml")), RB_V2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(d, "version"), "author")),
                        "alice");
    json_decref(d);
    d = call(f, "GET", "/api/runbook?runbook=1&version=1", NULL, &st);
    assert_string_equal(json_string_value(json_object_get(d, "yaml")), RB_V1);
    json_decref(d);
    expect(f, "alice", "GET", "/api/runbook?runbook=1&version=9", NULL, 404,
           "not_found");
    expect(f, "alice", "GET", "/api/runbook?runbook=Hello", NULL, 400,
           "invalid");
    expect(f, "alice", "GET", "/api/runbook", NULL, 400, "missing_parameter");

    d = call(f, "GET", "/api/runbook/history?runbook=/Ops/Hello", NULL, &st);
    json_t *vs = json_object_get(d, "versions");
    assert_int_equal(json_array_size(vs), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(vs, 0), "comment")),
        "adds done");
    json_decref(d);

    d = call(f, "GET", "/api/runbook/diff?runbook=/Ops/Hello&from=1&to=2", NULL,
             &st);
    assert_int_equal(st, 200);
    bool changed_greet = false, added_done = false, added_link = false;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(d, "changes"), i, c) {
        const char *key = json_string_value(json_object_get(c, "key"));
        const char *ch = json_string_value(json_object_get(c, "change"));
        if (!strcmp(key, "greet") && !strcmp(ch, "changed")) {
            json_t *fld = json_array_get(json_object_get(c, "fields"), 0);
            assert_string_equal(json_string_value(json_object_get(fld, "name")),
                                "properties.command");
            assert_string_equal(
                json_string_value(json_object_get(fld, "after")),
                "echo hi {start.who}");
            changed_greet = true;
        }
        if (!strcmp(key, "done") && !strcmp(ch, "added"))
            added_done = true;
        if (!strcmp(key, "greet -> done") && !strcmp(ch, "added"))
            added_link = true;
    }
    assert_true(changed_greet && added_done && added_link);
    json_decref(d);
    expect(f, "alice", "GET", "/api/runbook/diff?runbook=1", NULL, 400,
           "missing_parameter");
    expect(f, "alice", "GET", "/api/runbook/diff?runbook=1&from=x", NULL, 400,
           "invalid_parameter");

    /* revert: v1's text becomes v3 */
    expect(f, "bob", "POST", "/api/runbook/revert",
           "{\"runbook\":1,\"version\":1}", 200, NULL);
    d = call(f, "GET", "/api/runbook?runbook=1", NULL, &st);
    assert_int_equal(json_integer_value(json_object_get(d, "latest_version")),
                     3);
    assert_string_equal(json_string_value(json_object_get(d, "yaml")), RB_V1);
    assert_true(json_is_null(json_object_get(d, "checked_out_by")));
    json_decref(d);
}

static void test_checkout_rules(void **state) {
    fixture *f = *state;
    create_hello(f);
    char *b2 = checkin_body(RB_V2, "v2");
    /* nobody holds it: check-in refused */
    expect(f, "alice", "POST", "/api/runbook/checkin", b2, 409,
           "not_checked_out");
    expect(f, "alice", "POST", "/api/runbook/checkout",
           "{\"runbook\":\"/Ops/Hello\"}", 200, NULL);
    expect(f, "alice", "POST", "/api/runbook/checkout",
           "{\"runbook\":\"/Ops/Hello\"}", 200, NULL); /* again: no-op */
    long st;
    json_t *d = call_as(f, "bob", "POST", "/api/runbook/checkout",
                        "{\"runbook\":\"/Ops/Hello\"}", &st);
    assert_int_equal(st, 409);
    assert_string_equal(err_code(d), "checked_out");
    assert_non_null(strstr(err_msg(d), "alice"));
    json_decref(d);
    expect(f, "bob", "POST", "/api/runbook/checkin", b2, 409,
           "not_checked_out");
    expect(f, "bob", "POST", "/api/runbook/undo-checkout", "{\"runbook\":1}",
           409, "checked_out");
    expect(f, "bob", "POST", "/api/runbook/rename",
           "{\"runbook\":1,\"name\":\"X\"}", 409, "checked_out");

    /* an invalid check-in is refused with every problem; nothing changes */
    char *bad = checkin_body("name: Hello\nfolder: /Ops\nactivities:\n"
                             "  - {id: a, type: no-such-type}\n"
                             "links:\n  - {from: a, to: ghost}\n",
                             "broken");
    d = call(f, "POST", "/api/runbook/checkin", bad, &st);
    assert_int_equal(st, 400);
    assert_string_equal(err_code(d), "invalid_runbook");
    assert_true(json_array_size(json_object_get(json_object_get(d, "error"),
                                                "problems")) >= 2);
    json_decref(d);
    free(bad);
    bad = checkin_body("name: Hello\nactivities: [\n", "truncated");
    expect(f, "alice", "POST", "/api/runbook/checkin", bad, 400,
           "invalid_runbook");
    free(bad);
    d = call(f, "GET", "/api/runbook/history?runbook=1", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "versions")), 1);
    json_decref(d);
    d = call(f, "GET", "/api/runbook?runbook=1", NULL, &st);
    assert_string_equal(json_string_value(json_object_get(d, "yaml")), RB_V1);
    assert_string_equal(json_string_value(json_object_get(d, "checked_out_by")),
                        "alice");
    json_decref(d);

    expect(f, "alice", "POST", "/api/runbook/checkin", b2, 200, NULL);
    expect(f, "alice", "POST", "/api/runbook/undo-checkout", "{\"runbook\":1}",
           409, "checked_out"); /* not checked out any more */
    /* undo, and an administrator's force */
    expect(f, "bob", "POST", "/api/runbook/checkout", "{\"runbook\":1}", 200,
           NULL);
    expect(f, "bob", "POST", "/api/runbook/undo-checkout", "{\"runbook\":1}",
           200, NULL);
    expect(f, "bob", "POST", "/api/runbook/checkout", "{\"runbook\":1}", 200,
           NULL);
    expect(f, "carol", "POST", "/api/runbook/undo-checkout",
           "{\"runbook\":1,\"force\":true}", 200, NULL);
    expect(f, "alice", "POST", "/api/runbook/checkout",
           "{\"runbook\":\"/Ops/Nope\"}", 404, "not_found");
    free(b2);
}

typedef struct racer {
    fixture *f;
    char user[16];
    long status;
} racer;

static void *race(void *ud) {
    racer *r = ud;
    json_t *d = call_as(r->f, r->user, "POST", "/api/runbook/checkout",
                        "{\"runbook\":\"/Ops/Hello\"}", &r->status);
    json_decref(d);
    return NULL;
}

static void test_concurrent_checkouts(void **state) {
    fixture *f = *state;
    create_hello(f);
    enum { N = 8 };
    racer rs[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        rs[i].f = f;
        snprintf(rs[i].user, sizeof rs[i].user, "user%d", i);
        rs[i].status = 0;
    }
    /* the last_text buffer is shared; the racers only look at statuses */
    for (int i = 0; i < N; i++)
        pthread_create(&th[i], NULL, race, &rs[i]);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    int won = 0, lost = 0, winner = -1;
    for (int i = 0; i < N; i++) {
        if (rs[i].status == 200)
            won++, winner = i;
        else if (rs[i].status == 409)
            lost++;
    }
    assert_int_equal(won, 1);
    assert_int_equal(lost, N - 1);
    long st;
    json_t *d = call(f, "GET", "/api/runbook?runbook=1", NULL, &st);
    assert_string_equal(json_string_value(json_object_get(d, "checked_out_by")),
                        rs[winner].user);
    json_decref(d);
}

static void test_settings_rename_move_delete(void **state) {
    fixture *f = *state;
    create_hello(f);
    long st;
    json_t *d = call(f, "POST", "/api/runbook/settings",
                     "{\"runbook\":1,\"preferred_servers\":[\"rb2\",\"rb1\"],"
                     "\"max_concurrent\":3}",
                     &st);
    assert_int_equal(st, 200);
    json_t *ps = json_object_get(d, "preferred_servers");
    assert_string_equal(json_string_value(json_array_get(ps, 0)), "rb2");
    assert_int_equal(json_integer_value(json_object_get(d, "max_concurrent")),
                     3);
    json_decref(d);
    expect(f, "alice", "POST", "/api/runbook/settings",
           "{\"runbook\":1,\"preferred_servers\":[1]}", 400, "invalid");
    expect(f, "alice", "POST", "/api/runbook/settings",
           "{\"runbook\":1,\"max_concurrent\":-1}", 400, "invalid");
    expect(f, "alice", "POST", "/api/runbook/rename",
           "{\"runbook\":1,\"name\":\"a/b\"}", 400, "invalid");
    expect(f, "alice", "POST", "/api/runbook/rename",
           "{\"runbook\":1,\"name\":\"Hi\"}", 200, NULL);
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"/Lab\"}", 201,
           NULL);
    expect(f, "alice", "POST", "/api/runbook/move",
           "{\"runbook\":\"/Ops/Hi\",\"folder\":\"/Lab\"}", 200, NULL);
    expect(f, "alice", "POST", "/api/runbook/move",
           "{\"runbook\":1,\"folder\":\"/Nowhere\"}", 404, "not_found");
    d = call(f, "GET", "/api/runbook?runbook=/Lab/Hi", NULL, &st);
    assert_int_equal(st, 200);
    json_decref(d);
    expect(f, "alice", "POST", "/api/runbook/delete",
           "{\"runbook\":\"/Lab/Hi\"}", 200, NULL);
    expect(f, "alice", "GET", "/api/runbook?runbook=/Lab/Hi", NULL, 404,
           "not_found");
    expect(f, "alice", "GET", "/api/runbook?runbook=1", NULL, 404, "not_found");
    d = call(f, "GET", "/api/runbook/history?runbook=1", NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(json_object_get(d, "versions")), 1);
    json_decref(d);
    /* the name is free again */
    char *b = checkin_body("name: Hi\nfolder: /Lab\nactivities:\n"
                           "  - {id: start, type: initialize-data}\n",
                           "new");
    expect(f, "alice", "POST", "/api/runbook/checkin", b, 201, NULL);
    free(b);
}

static json_t *export_tree(fixture *f, const char *path) {
    long st;
    char *p = bt_xasprintf("/api/export?path=%s", path);
    json_t *d = call(f, "GET", p, NULL, &st);
    free(p);
    assert_int_equal(st, 200);
    return d;
}

static char *import_body(json_t *exported, const char *folder) {
    json_t *files = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(exported, "files"), i, it)
        json_array_append_new(
            files, json_pack("{s:O, s:O}", "path", json_object_get(it, "path"),
                             "content", json_object_get(it, "content")));
    json_t *b = json_pack("{s:s, s:O, s:o}", "folder", folder, "folders",
                          json_object_get(exported, "folders"), "files", files);
    char *t = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return t;
}

static void test_export_import_round_trip(void **state) {
    fixture *f = *state;
    create_hello(f);
    expect(f, "alice", "POST", "/api/folders", "{\"path\":\"/Ops/Empty\"}", 201,
           NULL);
    char *b =
        checkin_body("name: Deep one\nfolder: /Ops/Web/Deep\n"
                     "activities:\n  - {id: start, type: initialize-data}\n",
                     "deep");
    expect(f, "alice", "POST", "/api/runbook/checkin", b, 201, NULL);
    free(b);
    json_t *e1 = export_tree(f, "/Ops");
    assert_int_equal(json_array_size(json_object_get(e1, "files")), 2);
    assert_int_equal(json_array_size(json_object_get(e1, "folders")), 3);
    /* back into the same place: unchanged, no new versions */
    char *ib = import_body(e1, "/Ops");
    long st;
    json_t *d = call(f, "POST", "/api/import", ib, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(d, "unchanged")), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "created")), 0);
    json_decref(d);
    json_t *e2 = export_tree(f, "/Ops");
    assert_true(
        json_equal(json_object_get(e1, "files"), json_object_get(e2, "files")));
    assert_true(json_equal(json_object_get(e1, "folders"),
                           json_object_get(e2, "folders")));
    /* into a new place: created, and its export has identical files */
    free(ib);
    ib = import_body(e1, "/Copy");
    d = call(f, "POST", "/api/import", ib, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(d, "created")), 2);
    json_decref(d);
    json_t *e3 = export_tree(f, "/Copy");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(e1, "files"), i, it) {
        json_t *o = json_array_get(json_object_get(e3, "files"), i);
        assert_true(json_equal(json_object_get(it, "path"),
                               json_object_get(o, "path")));
        assert_true(json_equal(json_object_get(it, "content"),
                               json_object_get(o, "content")));
    }
    assert_true(json_equal(json_object_get(e1, "folders"),
                           json_object_get(e3, "folders")));
    d = call(f, "GET", "/api/tree?path=/Copy/Empty", NULL, &st);
    assert_int_equal(st, 200); /* empty folders travel too */
    json_decref(d);
    json_decref(e1);
    json_decref(e2);
    json_decref(e3);
    free(ib);
}

/* Where the designer drew the boxes travels with the runbook: shown in the
 * document, diffed, kept byte for byte by export and import; a bad one is
 * refused naming the activity. */
static const char RB_DRAWN[] =
    "name: Drawn\n"
    "folder: /Ops\n"
    "activities:\n"
    "  - {id: start, type: initialize-data, position: {x: 110, y: 47}}\n"
    "  - id: greet\n"
    "    type: run-program\n"
    "    properties: {command: echo}\n"
    "    position: {x: 400, y: 47}\n"
    "  - {id: done, type: return-data}\n"
    "links:\n"
    "  - {from: start, to: greet}\n"
    "  - {from: greet, to: done}\n";

static void test_positions_round_trip(void **state) {
    fixture *f = *state;
    char *b = checkin_body(RB_DRAWN, "drawn");
    expect(f, "alice", "POST", "/api/runbook/checkin", b, 201, NULL);
    free(b);
    long st;
    json_t *d = call(f, "GET", "/api/runbook?runbook=/Ops/Drawn", NULL, &st);
    assert_int_equal(st, 200);
    json_t *acts = json_object_get(json_object_get(d, "document"), "activities");
    json_t *pos = json_object_get(json_array_get(acts, 1), "position");
    assert_string_equal(json_string_value(json_object_get(pos, "x")), "400");
    assert_string_equal(json_string_value(json_object_get(pos, "y")), "47");
    assert_null(json_object_get(json_array_get(acts, 2), "position"));
    json_decref(d);

    /* moved: the diff names the coordinate */
    expect(f, "alice", "POST", "/api/runbook/checkout",
           "{\"runbook\":\"/Ops/Drawn\"}", 200, NULL);
    char *moved = bt_xstrdup(RB_DRAWN);
    char *at = strstr(moved, "{x: 400, y: 47}");
    memcpy(at, "{x: 400, y: 99}", 15);
    b = checkin_body(moved, "moved");
    expect(f, "alice", "POST", "/api/runbook/checkin", b, 200, NULL);
    free(b);
    d = call(f, "GET", "/api/runbook/diff?runbook=/Ops/Drawn&from=1", NULL,
             &st);
    json_t *c = json_array_get(json_object_get(d, "changes"), 0);
    assert_int_equal(json_array_size(json_object_get(d, "changes")), 1);
    assert_string_equal(json_string_value(json_object_get(c, "key")), "greet");
    json_t *fld = json_array_get(json_object_get(c, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(fld, "name")),
                        "position.y");
    assert_string_equal(json_string_value(json_object_get(fld, "after")), "99");
    json_decref(d);

    /* export -> import elsewhere -> export: the same text */
    json_t *e1 = export_tree(f, "/Ops");
    json_t *file = json_array_get(json_object_get(e1, "files"), 0);
    assert_string_equal(json_string_value(json_object_get(file, "content")),
                        moved);
    char *ib = import_body(e1, "/Copy");
    d = call(f, "POST", "/api/import", ib, &st);
    assert_int_equal(st, 200);
    json_decref(d);
    json_t *e2 = export_tree(f, "/Copy");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(e2, "files"), 0), "content")),
        moved);
    json_decref(e1);
    json_decref(e2);
    free(ib);
    free(moved);

    /* a bad position: refused, the message names the activity */
    expect(f, "alice", "POST", "/api/runbook/checkout",
           "{\"runbook\":\"/Ops/Drawn\"}", 200, NULL);
    char *bad = bt_xstrdup(RB_DRAWN);
    at = strstr(bad, "{x: 400, y: 47}");
    memcpy(at, "{x: 400, y: -1}", 15);
    b = checkin_body(bad, "bad");
    d = call(f, "POST", "/api/runbook/checkin", b, &st);
    assert_int_equal(st, 400);
    assert_non_null(strstr(f->last_text,
                           "activity 'greet': position: 'y' must be a whole "
                           "number of pixels"));
    json_decref(d);
    free(b);
    free(bad);
    d = call(f, "GET", "/api/runbook/history?runbook=/Ops/Drawn", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "versions")), 2);
    json_decref(d);
}

static void test_hostile_imports(void **state) {
    fixture *f = *state;
    create_hello(f);
    json_t *before = export_tree(f, "/");
    static const char *const bodies[] = {
        /* truncated YAML next to a good file: nothing is stored */
        "{\"files\":[{\"path\":\"Ops/New.runbook.yaml\",\"content\":\"name: "
        "New\\n"
        "activities:\\n  - {id: s, type: initialize-data}\\n\"},"
        "{\"path\":\"Ops/Hello.runbook.yaml\",\"content\":\"name: "
        "Hello\\nactivities: [\\n\"}]}",
        /* escaping paths */
        "{\"files\":[{\"path\":\"../etc/x.runbook.yaml\",\"content\":\"name: "
        "X\\n"
        "activities:\\n  - {id: s, type: initialize-data}\\n\"}]}",
        "{\"files\":[{\"path\":\"/abs.runbook.yaml\",\"content\":\"x\"}]}",
        "{\"files\":[{\"path\":\"a/./b.runbook.yaml\",\"content\":\"x\"}]}",
        "{\"folders\":[\"..\"],\"files\":[]}",
        "{\"files\":[{\"path\":\"notes.txt\",\"content\":\"x\"}]}",
        /* aliases / anchors and a billion laughs */
        "{\"files\":[{\"path\":\"b.runbook.yaml\",\"content\":\"a: &a [x, "
        "x]\\nb: *a\\n\"}]}",
        /* two files for one runbook */
        "{\"files\":[{\"path\":\"A.runbook.yaml\",\"content\":\"name: Same\\n"
        "activities:\\n  - {id: s, type: initialize-data}\\n\"},"
        "{\"path\":\"B.runbook.yaml\",\"content\":\"name: Same\\n"
        "activities:\\n  - {id: s, type: initialize-data}\\n\"}]}",
        /* wrong shapes */
        "{\"files\":[{\"path\":\"x.runbook.yaml\"}]}",
        "{\"files\":{}}",
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(bodies); i++) {
        long st;
        json_t *d = call(f, "POST", "/api/import", bodies[i], &st);
        if (st != 400)
            fail_msg("body %zu: %ld %s", i, st, f->last_text);
        json_decref(d);
    }
    /* a runbook checked out by someone else: the whole import is refused */
    expect(f, "bob", "POST", "/api/runbook/checkout", "{\"runbook\":1}", 200,
           NULL);
    char *b = checkin_body(RB_V2, "x");
    json_t *files =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "folder", "/", "files",
                  "path", "Zed/Z.runbook.yaml", "content",
                  "name: Z\nactivities:\n  - {id: s, type: initialize-data}\n",
                  "path", "Ops/Hello.runbook.yaml", "content", RB_V2);
    char *t = json_dumps(files, JSON_COMPACT);
    long st;
    json_t *d = call(f, "POST", "/api/import", t, &st);
    assert_int_equal(st, 409);
    assert_string_equal(err_code(d), "checked_out");
    json_decref(d);
    free(t);
    free(b);
    json_decref(files);
    json_t *after = export_tree(f, "/");
    assert_true(json_equal(json_object_get(before, "files"),
                           json_object_get(after, "files")));
    assert_true(json_equal(json_object_get(before, "folders"),
                           json_object_get(after, "folders")));
    json_decref(before);
    json_decref(after);
    /* an Orchestrator export that is not one */
    expect(f, "alice", "POST", "/api/import-ois",
           "{\"name\":\"x.ois_export\",\"content\":\"<not-an-export/>\"}", 400,
           "invalid_import");
    expect(f, "alice", "POST", "/api/import-ois",
           "{\"name\":\"x.ois_export\",\"content\":\"<ExportData><Policies>\"}",
           400, "invalid_import");
}

static void test_import_ois(void **state) {
    fixture *f = *state;
    const char *src = getenv("BATON_SOURCE_DIR");
    char *path = bt_xasprintf("%s/tests/fixtures/ois/operations.ois_export",
                              src ? src : ".");
    char *xml = bt_harness_read_file(path);
    free(path);
    if (!xml)
        skip();
    json_t *b = json_pack("{s:s, s:s}", "name", "Operations.ois_export",
                          "content", xml);
    free(xml);
    if (!b)
        skip(); /* not UTF-8: the CLI test covers the file */
    char *t = json_dumps(b, JSON_COMPACT);
    char *t2 = bt_xstrdup(t);
    json_decref(b);
    long st;
    json_t *d = call(f, "POST", "/api/import-ois", t, &st);
    free(t);
    if (st != 200)
        fail_msg("%s", f->last_text);
    assert_true(json_integer_value(json_object_get(d, "runbooks")) > 0);
    assert_non_null(json_object_get(d, "report"));
    json_decref(d);
    /* again, while bob has one of its runbooks checked out: refused whole,
     * the stored runbooks and settings untouched */
    json_t *before = export_tree(f, "/");
    json_t *first = json_array_get(json_object_get(before, "files"), 0);
    assert_non_null(first);
    char *ref = json_dumps(json_object_get(first, "runbook"), JSON_ENCODE_ANY);
    char *co = bt_xasprintf("{\"runbook\":%s}", ref);
    free(ref);
    expect(f, "bob", "POST", "/api/runbook/checkout", co, 200, NULL);
    free(co);
    d = call(f, "POST", "/api/import-ois", t2, &st);
    if (st != 409)
        fail_msg("import over bob's check-out: %ld %s", st, f->last_text);
    if (!strstr(err_msg(d), "bob"))
        fail_msg("409 without the holder: %s", f->last_text);
    json_decref(d);
    free(t2);
    json_t *after = export_tree(f, "/");
    assert_true(json_equal(json_object_get(before, "files"),
                           json_object_get(after, "files")));
    json_decref(before);
    json_decref(after);
    /* one summary audit entry, written with the import; none for the
     * refused one */
    d = call(f, "GET", "/api/audit?action=import.ois", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
    json_decref(d);
}

static void test_variables_encrypted(void **state) {
    fixture *f = *state;
    static const char secret[] = "s3cr3t-PASSW0RD-xyzzy";
    long st;
    json_t *d = call(f, "POST", "/api/variables",
                     "{\"name\":\"db_host\",\"value\":\"db01\"}", &st);
    assert_int_equal(st, 201);
    assert_string_equal(json_string_value(json_object_get(d, "value")), "db01");
    json_decref(d);
    char *body = bt_xasprintf(
        "{\"name\":\"db_pass\",\"value\":\"%s\",\"encrypted\":true}", secret);
    d = call(f, "POST", "/api/variables", body, &st);
    assert_int_equal(st, 201);
    assert_null(strstr(f->last_text, secret));
    assert_true(json_is_null(json_object_get(d, "value")));
    assert_true(json_is_true(json_object_get(d, "encrypted")));
    json_decref(d);
    d = call(f, "POST", "/api/variables", body,
             &st); /* again: 200, new nonce */
    assert_int_equal(st, 200);
    json_decref(d);
    free(body);
    static const char *const reads[] = {"/api/variables",
                                        "/api/variables/db_pass", "/api/audit",
                                        "/api/audit?action=variable"};
    for (size_t i = 0; i < BT_ARRAY_LEN(reads); i++) {
        d = call(f, "GET", reads[i], NULL, &st);
        assert_int_equal(st, 200);
        assert_null(strstr(f->last_text, secret));
        json_decref(d);
    }
    /* the key file: 32 bytes, 0600; the store holds only a sealed value
     * that opens with it */
    struct stat sb;
    assert_int_equal(stat(f->key, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 32);
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(f->db, &s, &err), 0);
    bt_store_variable v = {0};
    assert_int_equal(bt_store_variable_get(s, "db_pass", &v, &err), 0);
    assert_true(v.encrypted);
    assert_null(memmem(v.value, v.len, secret, strlen(secret)));
    unsigned char key[BT_SECRET_KEY_BYTES];
    assert_int_equal(bt_secret_key_load(f->key, false, key, &err), 0);
    char *plain = NULL;
    assert_int_equal(bt_secret_open(key, v.value, v.len, &plain, NULL, &err),
                     0);
    assert_string_equal(plain, secret);
    free(plain);
    v.value[v.len - 1] ^= 1; /* altered: refused */
    assert_int_equal(bt_secret_open(key, v.value, v.len, &plain, NULL, &err),
                     -BT_EINVAL);
    bt_store_variable_clear(&v);
    bt_store_close(s);

    expect(f, "alice", "POST", "/api/variables",
           "{\"name\":\"9bad\",\"value\":\"x\"}", 400, "invalid");
    expect(f, "alice", "POST", "/api/variables",
           "{\"name\":\"x\",\"value\":\"x\",\"encrypted\":\"yes\"}", 400,
           "invalid");
    expect(f, "alice", "POST", "/api/variables", "{\"name\":\"x\"}", 400,
           "missing_field");
    expect(f, "alice", "DELETE", "/api/variables/db_host", NULL, 200, NULL);
    expect(f, "alice", "DELETE", "/api/variables/db_host", NULL, 404,
           "not_found");
    expect(f, "alice", "GET", "/api/variables/db_host", NULL, 404, "not_found");
}

static void test_counters_schedules(void **state) {
    fixture *f = *state;
    expect(f, "alice", "POST", "/api/counters",
           "{\"name\":\"hits\",\"value\":5}", 201, NULL);
    long st;
    json_t *d =
        call(f, "POST", "/api/counters", "{\"name\":\"hits\",\"add\":-2}", &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(d, "value")), 3);
    json_decref(d);
    d = call(f, "GET", "/api/counters/hits", NULL, &st);
    assert_int_equal(json_integer_value(json_object_get(d, "value")), 3);
    json_decref(d);
    expect(f, "alice", "POST", "/api/counters",
           "{\"name\":\"hits\",\"value\":1,\"add\":1}", 400, "invalid");
    expect(f, "alice", "POST", "/api/counters", "{\"name\":\"nope\",\"add\":1}",
           404, "not_found");
    expect(f, "alice", "DELETE", "/api/counters/hits", NULL, 200, NULL);
    expect(f, "alice", "GET", "/api/counters/hits", NULL, 404, "not_found");

    expect(f, "alice", "POST", "/api/schedules",
           "{\"name\":\"work\",\"definition\":{\"days\":[\"mon\"]}}", 201,
           NULL);
    expect(f, "alice", "POST", "/api/schedules",
           "{\"name\":\"work\",\"definition\":3}", 400, "invalid");
    d = call(f, "GET", "/api/schedules", NULL, &st);
    json_t *it = json_array_get(json_object_get(d, "items"), 0);
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(it, "definition"), "days"), 0)),
        "mon");
    json_decref(d);
    expect(f, "alice", "GET", "/api/schedules/work", NULL, 200, NULL);
    expect(f, "alice", "DELETE", "/api/schedules/work", NULL, 200, NULL);
    expect(f, "alice", "GET", "/api/schedules/work", NULL, 404, "not_found");
}

/* The n-th item's field of a {"items": [...]} answer. */
static const char *item_str(json_t *d, size_t i, const char *field) {
    return json_string_value(
        json_object_get(json_array_get(json_object_get(d, "items"), i), field));
}

/* Settings folders: set --folder, lists by folder, move (audited with the
 * folder before and after), set keeping the folder, bad folders refused. */
static void test_setting_folders(void **state) {
    fixture *f = *state;
    static const char secret[] = "folder-s3cret-Q";
    long st;
    json_t *d = call(f, "POST", "/api/variables",
                     "{\"name\":\"smtp\",\"value\":\"mx\","
                     "\"folder\":\"/Ops/Mail\"}",
                     &st);
    assert_int_equal(st, 201);
    assert_string_equal(json_string_value(json_object_get(d, "folder")),
                        "/Ops/Mail");
    json_decref(d);
    char *body = bt_xasprintf("{\"name\":\"smtp_pass\",\"value\":\"%s\","
                              "\"encrypted\":true,\"folder\":\"/Ops/Mail\"}",
                              secret);
    expect(f, "alice", "POST", "/api/variables", body, 201, NULL);
    free(body);
    expect(f, "alice", "POST", "/api/variables",
           "{\"name\":\"top\",\"value\":\"1\"}", 201, NULL);
    d = call(f, "GET", "/api/variables?folder=%2FOps%2FMail", NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 2);
    assert_string_equal(item_str(d, 0, "name"), "smtp");
    assert_string_equal(item_str(d, 1, "name"), "smtp_pass");
    assert_string_equal(item_str(d, 1, "folder"), "/Ops/Mail");
    assert_null(strstr(f->last_text, secret));
    json_decref(d);
    d = call(f, "GET", "/api/variables", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 3);
    assert_string_equal(item_str(d, 2, "name"), "top");
    assert_string_equal(item_str(d, 2, "folder"), "/");
    json_decref(d);

    d = call(f, "POST", "/api/variables/move",
             "{\"name\":\"smtp_pass\",\"folder\":\"/Secrets\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(d, "from")),
                        "/Ops/Mail");
    assert_string_equal(json_string_value(json_object_get(d, "folder")),
                        "/Secrets");
    json_decref(d);
    /* A set without a folder leaves the variable where it is. */
    d = call(f, "POST", "/api/variables",
             "{\"name\":\"smtp_pass\",\"value\":\"x2\",\"encrypted\":true}",
             &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(d, "folder")),
                        "/Secrets");
    json_decref(d);
    d = call(f, "GET", "/api/audit?action=variable.move", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
    json_t *a = json_array_get(json_object_get(d, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "object")),
                        "smtp_pass");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a, "before"), "folder")),
                        "/Ops/Mail");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a, "after"), "folder")),
                        "/Secrets");
    assert_null(strstr(f->last_text, secret));
    json_decref(d);

    /* counters: a list at last, set with a folder, add keeps it */
    expect(f, "alice", "POST", "/api/counters",
           "{\"name\":\"sent\",\"value\":1,\"folder\":\"/Ops/Mail\"}", 201,
           NULL);
    expect(f, "alice", "POST", "/api/counters", "{\"name\":\"sent\",\"add\":4}",
           200, NULL);
    expect(f, "alice", "POST", "/api/counters",
           "{\"name\":\"other\",\"value\":-7}", 201, NULL);
    expect(f, "alice", "POST", "/api/counters",
           "{\"name\":\"sent\",\"add\":1,\"folder\":\"/X\"}", 400,
           "invalid");
    d = call(f, "GET", "/api/counters", NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 2);
    assert_string_equal(item_str(d, 0, "name"), "other");
    assert_string_equal(item_str(d, 0, "folder"), "/");
    assert_string_equal(item_str(d, 1, "folder"), "/Ops/Mail");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(d, "items"), 1),
                         "value")),
                     5);
    json_decref(d);
    expect(f, "alice", "POST", "/api/counters/move",
           "{\"name\":\"other\",\"folder\":\"/Ops/Mail\"}", 200, NULL);
    d = call(f, "GET", "/api/counters?folder=/Ops/Mail", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 2);
    json_decref(d);

    /* schedules */
    expect(f, "alice", "POST", "/api/schedules",
           "{\"name\":\"office\",\"definition\":{\"days\":[\"mon\"]},"
           "\"folder\":\"/Hours\"}",
           201, NULL);
    expect(f, "alice", "POST", "/api/schedules",
           "{\"name\":\"night\",\"definition\":{\"hours\":\"0-6\"}}", 201,
           NULL);
    d = call(f, "GET", "/api/schedules?folder=/Hours", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
    assert_string_equal(item_str(d, 0, "name"), "office");
    json_decref(d);
    expect(f, "alice", "POST", "/api/schedules/move",
           "{\"name\":\"night\",\"folder\":\"/Hours\"}", 200, NULL);
    d = call(f, "GET", "/api/schedules/night", NULL, &st);
    assert_string_equal(json_string_value(json_object_get(d, "folder")),
                        "/Hours");
    json_decref(d);
    d = call(f, "GET", "/api/audit?action=schedule.move", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
    json_decref(d);

    /* refused, naming the problem */
    expect(f, "alice", "POST", "/api/variables",
           "{\"name\":\"v\",\"value\":\"1\",\"folder\":\"Ops\"}", 400,
           "invalid");
    expect(f, "alice", "POST", "/api/variables/move",
           "{\"name\":\"top\",\"folder\":\"/a/../b\"}", 400, "invalid");
    expect(f, "alice", "POST", "/api/variables/move",
           "{\"name\":\"top\"}", 400, "missing_field");
    expect(f, "alice", "POST", "/api/counters/move",
           "{\"name\":\"nope\",\"folder\":\"/A\"}", 404, "not_found");
    expect(f, "alice", "GET", "/api/schedules?folder=/A/", NULL, 400,
           "invalid_parameter");
    expect(f, "alice", "GET", "/api/counters?name=x", NULL, 400, NULL);
    d = call(f, "GET", "/api/variables/top", NULL, &st);
    assert_string_equal(json_string_value(json_object_get(d, "folder")), "/");
    json_decref(d);
}

static void test_servers(void **state) {
    fixture *f = *state;
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(f->db, &s, &err), 0);
    int64_t id = 0;
    assert_int_equal(
        bt_store_server_register(s, "rb1", "0.1.0", 60000, &id, &err), 0);
    bt_store_close(s);
    long st;
    json_t *d = call(f, "GET", "/api/servers", NULL, &st);
    assert_int_equal(st, 200);
    json_t *sv = json_array_get(json_object_get(d, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(sv, "name")), "rb1");
    assert_string_equal(json_string_value(json_object_get(sv, "status")), "up");
    assert_int_equal(json_integer_value(json_object_get(sv, "running")), 0);
    json_decref(d);
    d = call(f, "POST", "/api/servers/throttle",
             "{\"server\":\"rb1\",\"throttle\":7}", &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(d, "throttle")), 7);
    json_decref(d);
    d = call(f, "POST", "/api/servers/drain", "{\"server\":\"rb1\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(d, "status")),
                        "draining");
    json_decref(d);
    expect(f, "alice", "POST", "/api/servers/drain", "{\"server\":\"rb9\"}",
           404, "not_found");
    expect(f, "alice", "POST", "/api/servers/throttle",
           "{\"server\":\"rb1\",\"throttle\":-3}", 400, "invalid");
}

static void test_audit(void **state) {
    fixture *f = *state;
    create_hello(f);
    expect(f, "bob", "POST", "/api/runbook/checkout", "{\"runbook\":1}", 200,
           NULL);
    expect(f, "bob", "POST", "/api/variables",
           "{\"name\":\"v\",\"value\":\"1\"}", 201, NULL);
    long st;
    json_t *d = call(f, "GET", "/api/audit?runbook=/Ops/Hello", NULL, &st);
    assert_int_equal(st, 200);
    json_t *items = json_object_get(d, "items");
    assert_int_equal(json_array_size(items), 2);
    json_t *a0 = json_array_get(items, 0), *a1 = json_array_get(items, 1);
    assert_string_equal(json_string_value(json_object_get(a0, "action")),
                        "runbook.create");
    assert_string_equal(json_string_value(json_object_get(a0, "who")), "alice");
    assert_string_equal(json_string_value(json_object_get(a1, "action")),
                        "runbook.checkout");
    assert_string_equal(json_string_value(json_object_get(a1, "who")), "bob");
    assert_true(json_is_null(
        json_object_get(json_object_get(a1, "before"), "checked_out_by")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a1, "after"), "checked_out_by")),
                        "bob");
    json_decref(d);
    d = call(f, "GET", "/api/audit?since=2h", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 3);
    json_decref(d);
    d = call(f, "GET", "/api/audit?since=2999-01-01", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 0);
    json_decref(d);
    d = call(f, "GET", "/api/audit?limit=1", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
    json_decref(d);
    expect(f, "alice", "GET", "/api/audit?since=yesterdayish", NULL, 400,
           "invalid_parameter");
    expect(f, "alice", "GET", "/api/audit?limit=0", NULL, 400,
           "invalid_parameter");
}

/* One request with an Authorization header (and a forged X-Baton-User
 * that must be ignored); the status. */
static long authed(fixture *f, const char *authz, const char *method,
                   const char *path, const char *body) {
    CURL *k = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    char *h1 = bt_xasprintf("Authorization: %s", authz);
    struct curl_slist *hd = curl_slist_append(NULL, h1);
    hd = curl_slist_append(hd, "X-Baton-User: mallory");
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, hd);
    if (body)
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(k), CURLE_OK);
    long st = 0;
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &st);
    free(f->last_text);
    f->last_text = bt_xstrdup(bt_buf_str(&b));
    bt_buf_free(&b);
    curl_slist_free_all(hd);
    free(h1);
    free(url);
    curl_easy_cleanup(k);
    return st;
}

/* With the authenticate hook: the same users and tokens as the web
 * service; the audit names the logged-in user, not X-Baton-User. */
static void test_authentication(void **state) {
    fixture *f = *state;
    bt_mgmt_stop(f->m);
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(f->db, &s, &err), 0);
    char hash[crypto_pwhash_STRBYTES];
    assert_int_equal(crypto_pwhash_str(hash, "pw-dana", 7,
                                       crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE),
                     0);
    bt_store_user u = {0};
    assert_int_equal(bt_store_user_create(s, "dana", hash, false, &u, &err), 0);
    static const char token[] =
        "baton_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
    unsigned char h[32];
    char hex[65];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token),
                       NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    int64_t tid = 0;
    assert_int_equal(bt_store_token_create(s, u.id, "ci", hex, 0, &tid, &err),
                     0);
    /* a token that expired a second ago: named, with its expiry */
    static const char old_token[] =
        "baton_expiredexpiredexpiredexpiredexpiredexpir";
    crypto_generichash(h, sizeof h, (const unsigned char *)old_token,
                       strlen(old_token), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    assert_int_equal(bt_store_token_create(s, u.id, "old-ci", hex,
                                           (int64_t)bt_store_now(s) - 1000000,
                                           &tid, &err),
                     0);
    int64_t dana = u.id;
    bt_store_user_clear(&u);
    bt_store_close(s);
    bt_mgmt_config cfg = {.listen_fd = listen_loopback(),
                          .store_url = f->db,
                          .key_file = f->key,
                          .authenticate = bt_mgmt_authenticate};
    assert_int_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_mgmt_port(f->m));

    expect(f, "alice", "GET", "/api/health", NULL, 200, NULL);
    expect(f, "alice", "GET", "/api/tree", NULL, 401, "unauthorized");
    /* authenticated but without rights: 403 naming the right */
    static const char dana_basic[] =
        "Basic ZGFuYTpwdy1kYW5h"; /* dana:pw-dana */
    long st =
        authed(f, dana_basic, "POST", "/api/folders", "{\"path\":\"/x\"}");
    assert_int_equal(st, 403);
    assert_non_null(strstr(f->last_text, "author right"));
    assert_int_equal(authed(f, dana_basic, "GET", "/api/tree", NULL), 403);
    assert_int_equal(bt_store_open(f->db, &s, &err), 0);
    bt_store_folder root = {0};
    assert_int_equal(bt_store_folder_get(s, "/", &root, &err), 0);
    assert_int_equal(
        bt_store_permission_set(s, root.id, BT_PRINCIPAL_USER, dana,
                                BT_RIGHT_VIEW | BT_RIGHT_AUTHOR, &err),
        0);
    bt_store_folder_clear(&root);
    bt_store_close(s);
    /* authors author; global settings and servers are for administrators */
    assert_int_equal(authed(f, dana_basic, "GET", "/api/tree", NULL), 200);
    assert_int_equal(authed(f, dana_basic, "POST", "/api/variables",
                            "{\"name\":\"v\",\"value\":\"1\"}"),
                     403);
    assert_int_equal(authed(f, dana_basic, "GET", "/api/audit", NULL), 403);
    struct {
        const char *auth;
        long want;
    } cases[] = {
        {"Basic ZGFuYTpwdy1kYW5h", 201}, /* dana:pw-dana */
        {"Basic ZGFuYTp3cm9uZw==", 401}, /* dana:wrong */
        {"Basic !!!", 401},
        {"Bearer baton_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", 201},
        {"Bearer baton_nope", 401},
        {"Digest x", 401},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
        char *body = bt_xasprintf("{\"path\":\"/auth%zu\"}", i);
        st = authed(f, cases[i].auth, "POST", "/api/folders", body);
        if (st != cases[i].want)
            fail_msg("case %zu: %ld %s", i, st, f->last_text);
        free(body);
    }
    st = authed(f, "Bearer baton_expiredexpiredexpiredexpiredexpiredexpir",
                "GET", "/api/tree", NULL);
    assert_int_equal(st, 401);
    if (!strstr(f->last_text, "API token 'old-ci'") ||
        !strstr(f->last_text, "expired at 20") ||
        !strstr(f->last_text, "baton token create"))
        fail_msg("expired token: %s", f->last_text);
    assert_int_equal(authed(f, "Bearer baton_nope", "GET", "/api/tree", NULL),
                     401);
    assert_non_null(strstr(f->last_text, "unknown, revoked or expired"));
    assert_int_equal(bt_store_open(f->db, &s, &err), 0);
    bt_store_audit *items = NULL;
    size_t n = 0;
    assert_int_equal(bt_store_audit_list(s, 0, 100, &items, &n, &err), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].who, "dana");
    bt_store_audit_list_free(items, n);
    bt_store_close(s);
}

/* The message of the last answer's error. */
static char *last_message(fixture *f) {
    json_t *d = json_loads(f->last_text, 0, NULL);
    const char *m = err_msg(d);
    char *out = bt_xstrdup(m ? m : "");
    json_decref(d);
    return out;
}

/* As on the web service: what a user may not view is answered exactly as
 * if it did not exist (404, the same message), so nothing unseen is
 * confirmed; what they may view but not change is 403. The root is no
 * secret. */
static void test_unseen_is_missing(void **state) {
    fixture *f = *state;
    bt_mgmt_stop(f->m);
    f->m = NULL;
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(f->db, &s, &err), 0);
    char hash[crypto_pwhash_STRBYTES];
    assert_int_equal(crypto_pwhash_str(hash, "pw-erin", 7,
                                       crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE),
                     0);
    bt_store_user u = {0};
    assert_int_equal(bt_store_user_create(s, "erin", hash, false, &u, &err), 0);
    bt_store_folder open = {0}, secret = {0};
    assert_int_equal(bt_store_folder_create(s, "/Open", &open, &err), 0);
    assert_int_equal(bt_store_folder_create(s, "/Secret", &secret, &err), 0);
    bt_store_runbook rb = {0}, ob = {0};
    int v = 0;
    assert_int_equal(
        bt_store_runbook_create(s, secret.id, "Hello", NULL, &rb, &err), 0);
    assert_int_equal(
        bt_store_version_add(s, rb.id, RB_V1, "root", "x", &v, &err), 0);
    assert_int_equal(
        bt_store_runbook_create(s, open.id, "Hello", NULL, &ob, &err), 0);
    assert_int_equal(
        bt_store_version_add(s, ob.id, RB_V1, "root", "x", &v, &err), 0);
    assert_int_equal(bt_store_permission_set(s, open.id, BT_PRINCIPAL_USER,
                                             u.id, BT_RIGHT_VIEW, &err),
                     0);
    char secret_id[32], open_id[32];
    snprintf(secret_id, sizeof secret_id, "%lld", (long long)rb.id);
    snprintf(open_id, sizeof open_id, "%lld", (long long)ob.id);
    bt_store_runbook_clear(&rb);
    bt_store_runbook_clear(&ob);
    bt_store_folder_clear(&open);
    bt_store_folder_clear(&secret);
    bt_store_user_clear(&u);
    bt_store_close(s);
    bt_mgmt_config cfg = {.listen_fd = listen_loopback(),
                          .store_url = f->db,
                          .key_file = f->key,
                          .authenticate = bt_mgmt_authenticate};
    assert_int_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_mgmt_port(f->m));
    static const char erin[] = "Basic ZXJpbjpwdy1lcmlu"; /* erin:pw-erin */

    /* pairs: an existing object erin may not view, a missing one; both
     * 404 with the same message but for the name */
    struct {
        const char *method, *seen_path, *seen_body, *miss_path, *miss_body;
        const char *seen_name, *miss_name;
    } pairs[] = {
        {"GET", "/api/runbook?runbook=/Secret/Hello", NULL,
         "/api/runbook?runbook=/Secret/Nope", NULL, "/Secret/Hello",
         "/Secret/Nope"},
        {"GET", NULL, NULL, "/api/runbook?runbook=999999", NULL, NULL,
         "999999"},
        {"GET", NULL, NULL, "/api/runbook/history?runbook=999999", NULL, NULL,
         "999999"},
        {"GET", "/api/tree?path=/Secret", NULL, "/api/tree?path=/Nope", NULL,
         "/Secret", "/Nope"},
        {"GET", "/api/export?path=/Secret", NULL, "/api/export?path=/Nope",
         NULL, "/Secret", "/Nope"},
        {"POST", "/api/runbook/checkout", "{\"runbook\":\"/Secret/Hello\"}",
         "/api/runbook/checkout", "{\"runbook\":\"/Secret/Nope\"}",
         "/Secret/Hello", "/Secret/Nope"},
        {"POST", "/api/folders/rename", "{\"path\":\"/Secret\",\"name\":\"X\"}",
         "/api/folders/rename", "{\"path\":\"/Nope\",\"name\":\"X\"}",
         "/Secret", "/Nope"},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(pairs); i++) {
        long st = authed(f, erin, pairs[i].method, pairs[i].miss_path,
                         pairs[i].miss_body);
        if (st != 404)
            fail_msg("pair %zu missing: %ld %s", i, st, f->last_text);
        char *miss = last_message(f);
        if (!pairs[i].seen_path) {
            free(miss);
            continue;
        }
        st = authed(f, erin, pairs[i].method, pairs[i].seen_path,
                    pairs[i].seen_body);
        if (st != 404)
            fail_msg("pair %zu unseen: %ld %s", i, st, f->last_text);
        char *seen = last_message(f);
        char *want = bt_xstrdup(miss);
        char *at = strstr(want, pairs[i].miss_name);
        assert_non_null(at);
        char *expected =
            bt_xasprintf("%.*s%s%s", (int)(at - want), want, pairs[i].seen_name,
                         at + strlen(pairs[i].miss_name));
        if (strcmp(seen, expected))
            fail_msg("pair %zu: '%s' is not '%s'", i, seen, expected);
        free(expected);
        free(want);
        free(seen);
        free(miss);
    }
    /* by id: the unseen runbook's answer is the missing id's */
    char *path = bt_xasprintf("/api/runbook?runbook=%s", secret_id);
    assert_int_equal(authed(f, erin, "GET", path, NULL), 404);
    char *msg = last_message(f);
    char *want = bt_xasprintf("no runbook '%s'", secret_id);
    assert_string_equal(msg, want);
    free(msg);
    free(want);
    free(path);
    path = bt_xasprintf("/api/audit?runbook=%s", secret_id);
    assert_int_equal(authed(f, erin, "GET", path, NULL), 404);
    free(path);
    /* what erin may view: readable, but changing it is 403 naming the
     * right */
    path = bt_xasprintf("/api/runbook?runbook=%s", open_id);
    assert_int_equal(authed(f, erin, "GET", path, NULL), 200);
    free(path);
    assert_int_equal(authed(f, erin, "POST", "/api/runbook/checkout",
                            "{\"runbook\":\"/Open/Hello\"}"),
                     403);
    assert_non_null(strstr(f->last_text, "author right"));
    /* the root exists for everyone: 403 */
    assert_int_equal(authed(f, erin, "GET", "/api/tree?path=/", NULL), 403);
}

typedef struct headers {
    char text[4096];
    size_t len;
} headers;

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    headers *h = ud;
    size_t len = size * n;
    if (h->len + len < sizeof h->text) {
        memcpy(h->text + h->len, p, len);
        h->len += len;
        h->text[h->len] = '\0';
    }
    return len;
}

/* One request with extra headers (NULL-ended); the status, the answer's
 * headers in *h. */
static long with_headers(fixture *f, const char *method, const char *path,
                         const char *const *extra, headers *h) {
    CURL *k = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    struct curl_slist *hd = NULL;
    for (size_t i = 0; extra[i]; i++)
        hd = curl_slist_append(hd, extra[i]);
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    memset(h, 0, sizeof *h);
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(k, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(k), CURLE_OK);
    long st = 0;
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &st);
    free(f->last_text);
    f->last_text = bt_xstrdup(bt_buf_str(&b));
    bt_buf_free(&b);
    curl_slist_free_all(hd);
    free(url);
    curl_easy_cleanup(k);
    return st;
}

/* "Name: value" present in the headers (name case-insensitive). */
static bool has_header(const headers *h, const char *name, const char *value) {
    char *want = bt_xasprintf("\r\n%s: %s\r\n", name, value);
    bool found = false;
    for (const char *p = h->text; *p && !found; p++)
        found = !strncasecmp(p, want, strlen(want));
    free(want);
    return found;
}

static bool has_header_name(const headers *h, const char *name) {
    char *want = bt_xasprintf("\r\n%s:", name);
    bool found = false;
    for (const char *p = h->text; *p && !found; p++)
        found = !strncasecmp(p, want, strlen(want));
    free(want);
    return found;
}

/* The console calls the management server from the browser: preflights
 * are answered without credentials for its origin, real answers carry
 * Access-Control-Allow-Origin, other origins get no CORS headers. */
static void test_cors(void **state) {
    fixture *f = *state;
    bt_mgmt_stop(f->m);
    static const char *const origins[] = {"http://console.test:82",
                                          "https://console.test:82"};
    bt_mgmt_config cfg = {.listen_fd = listen_loopback(),
                          .store_url = f->db,
                          .key_file = f->key,
                          .authenticate = bt_mgmt_authenticate,
                          .cors_origins = origins,
                          .n_cors_origins = 2};
    bt_error err = {0};
    assert_int_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_mgmt_port(f->m));
    headers h;
    const char *const pre[] = {
        "Origin: http://console.test:82", "Access-Control-Request-Method: POST",
        "Access-Control-Request-Headers: authorization, content-type", NULL};
    /* a preflight needs no credentials even with authentication on */
    assert_int_equal(
        with_headers(f, "OPTIONS", "/api/runbook/checkout", pre, &h), 204);
    assert_true(has_header(&h, "Access-Control-Allow-Origin",
                           "http://console.test:82"));
    assert_true(
        has_header(&h, "Access-Control-Allow-Methods", "POST, OPTIONS"));
    assert_true(has_header(&h, "Access-Control-Allow-Headers",
                           "Authorization, Content-Type, X-Baton-User"));
    assert_true(has_header(&h, "Access-Control-Max-Age", "600"));
    assert_true(has_header(&h, "Vary", "Origin"));
    /* a path with a capture and several methods */
    assert_int_equal(with_headers(f, "OPTIONS", "/api/variables/x", pre, &h),
                     204);
    assert_true(has_header(&h, "Allow", "GET, DELETE, OPTIONS"));
    assert_int_equal(with_headers(f, "OPTIONS", "/api/nope", pre, &h), 404);
    /* another origin: answered, but without CORS headers */
    const char *const evil[] = {"Origin: http://evil.test",
                                "Access-Control-Request-Method: POST", NULL};
    assert_int_equal(
        with_headers(f, "OPTIONS", "/api/runbook/checkout", evil, &h), 204);
    assert_false(has_header_name(&h, "Access-Control-Allow-Origin"));
    assert_false(has_header_name(&h, "Access-Control-Allow-Methods"));
    /* real requests: the allowed origin is echoed, on errors too */
    const char *const anon[] = {"Origin: https://console.test:82", NULL};
    assert_int_equal(with_headers(f, "GET", "/api/tree", anon, &h), 401);
    assert_true(has_header(&h, "Access-Control-Allow-Origin",
                           "https://console.test:82"));
    assert_false(has_header_name(&h, "Access-Control-Allow-Methods"));
    assert_int_equal(with_headers(f, "GET", "/api/health", anon, &h), 200);
    assert_true(has_header(&h, "Access-Control-Allow-Origin",
                           "https://console.test:82"));
    const char *const other[] = {"Origin: http://console.test:8082", NULL};
    assert_int_equal(with_headers(f, "GET", "/api/health", other, &h), 200);
    assert_false(has_header_name(&h, "Access-Control-Allow-Origin"));
    assert_true(has_header(&h, "Vary", "Origin"));
    /* without cors_origins: no CORS headers, no Vary */
    bt_mgmt_stop(f->m);
    bt_mgmt_config plain = {
        .listen_fd = listen_loopback(), .store_url = f->db, .key_file = f->key};
    assert_int_equal(bt_mgmt_start(&plain, &f->m, &err), 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_mgmt_port(f->m));
    assert_int_equal(
        with_headers(f, "OPTIONS", "/api/runbook/checkout", pre, &h), 204);
    assert_false(has_header_name(&h, "Access-Control-Allow-Origin"));
    assert_false(has_header_name(&h, "Vary"));
    assert_true(has_header(&h, "Allow", "POST, OPTIONS"));
}

/* HTTPS with batond's tls_cert / tls_key: bad files are refused naming
 * them; with the certificate trusted, the API answers over TLS; plain
 * HTTP to the port gets no answer. */
static void test_https(void **state) {
    fixture *f = *state;
    if (access("/usr/bin/openssl", X_OK) != 0) {
        print_message("openssl is not installed (apt-get install openssl): "
                      "skipped\n");
        skip();
    }
    bt_mgmt_stop(f->m);
    f->m = NULL;
    char *cert = bt_harness_path(f->dir, "cert.pem");
    char *key = bt_harness_path(f->dir, "key.pem");
    char *cmd = bt_xasprintf(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
        "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '%s' "
        "-out '%s' >/dev/null 2>&1",
        key, cert);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    bt_mgmt_config cfg = {.listen_fd = listen_loopback(),
                          .store_url = f->db,
                          .key_file = f->key,
                          .tls_cert_file = "/nonexistent/cert.pem",
                          .tls_key_file = key};
    bt_error err = {0};
    assert_int_not_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    if (!strstr(err.message, "/nonexistent/cert.pem") ||
        !strstr(err.message, "tls_cert"))
        fail_msg("%s", err.message);
    cfg.listen_fd = listen_loopback();
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = cert; /* not a key */
    assert_int_not_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    if (!strstr(err.message, cert) || !strstr(err.message, "tls_key"))
        fail_msg("%s", err.message);
    cfg.listen_fd = listen_loopback();
    cfg.tls_key_file = NULL;
    assert_int_not_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    assert_non_null(strstr(err.message, "only the certificate"));
    cfg.listen_fd = listen_loopback();
    cfg.tls_key_file = key;
    assert_int_equal(bt_mgmt_start(&cfg, &f->m, &err), 0);
    unsigned port = (unsigned)bt_mgmt_port(f->m);

    CURL *k = curl_easy_init();
    char *url = bt_xasprintf("https://127.0.0.1:%u/api/health", port);
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_CAINFO, cert);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(k), CURLE_OK);
    long st = 0;
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &st);
    assert_int_equal(st, 200);
    assert_non_null(strstr(bt_buf_str(&b), "\"management\""));
    curl_easy_cleanup(k);
    free(url);
    bt_buf_free(&b);
    /* without trusting the certificate: refused by the client */
    k = curl_easy_init();
    url = bt_xasprintf("https://127.0.0.1:%u/api/health", port);
    bt_buf_init(&b, 1 << 20);
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_CAINFO, "/dev/null");
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, 30L);
    assert_int_not_equal(curl_easy_perform(k), CURLE_OK);
    curl_easy_cleanup(k);
    free(url);
    bt_buf_free(&b);
    /* plain HTTP to the HTTPS port gets no answer */
    k = curl_easy_init();
    url = bt_xasprintf("http://127.0.0.1:%u/api/health", port);
    bt_buf_init(&b, 1 << 20);
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, 10L);
    CURLcode cc = curl_easy_perform(k);
    st = 0;
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &st);
    assert_true(cc != CURLE_OK || st != 200);
    curl_easy_cleanup(k);
    free(url);
    bt_buf_free(&b);
    free(cert);
    free(key);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_protocol_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folders_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_history_diff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_checkout_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_checkouts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_settings_rename_move_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_export_import_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_positions_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_ois, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setting_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_variables_encrypted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_counters_schedules, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_https, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unseen_is_missing, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
