/* Authentication and authorization of the web service over real sockets
 * with a real SQLite file: Basic and bearer credentials, 401 vs 403 vs
 * 404, folder rights (direct, inherited, through a group), admin-only
 * management endpoints with their audit entries, API tokens (revoked and
 * expired ones fail), and the credential cache (a changed password or a
 * disabled user is refused at once). */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "server/config.h"
#include "store/store.h"
#include "web/auth.h"
#include "web/web.h"

static const char HELLO_YAML[] =
    "name: Hello\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n";

typedef struct fixture {
    char *dir, *path, *url;
    bt_store *s;
    bt_auth *auth;
    bt_web *web;
    char base[64];
    int64_t hello_id, hidden_id, deep_id;
    int64_t ops_id, secret_id;
    int64_t alice_id, bob_id, carol_id;
} fixture;

typedef struct reply {
    long status;
    json_t *json;
    char *challenge; /* WWW-Authenticate */
    bt_buf body;
} reply;

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

static int64_t add_user(fixture *f, const char *name, const char *pw,
                        bool admin) {
    char hash[crypto_pwhash_STRBYTES];
    OK(bt_auth_hash_password(pw, hash, &e_));
    bt_store_user u = {0};
    OK(bt_store_user_create(f->s, name, hash, admin, &u, &e_));
    int64_t id = u.id;
    bt_store_user_clear(&u);
    return id;
}

static int64_t add_runbook(fixture *f, int64_t folder, const char *name) {
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, folder, name, NULL, &rb, &e_));
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    int v = 0;
    OK(bt_store_version_add(f->s, id, HELLO_YAML, "tester", NULL, &v, &e_));
    return id;
}

static int64_t folder(fixture *f, const char *path) {
    bt_store_folder fo = {0};
    OK(bt_store_folder_create(f->s, path, &fo, &e_));
    int64_t id = fo.id;
    bt_store_folder_clear(&fo);
    return id;
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    f->path = bt_harness_path(f->dir, "baton.db");
    f->url = bt_xasprintf("sqlite:%s", f->path);
    bt_error err = {0};
    if (bt_store_open(f->url, &f->s, &err)) fail_msg("open: %s", err.message);
    f->ops_id = folder(f, "/Ops");
    int64_t deep = folder(f, "/Ops/Deep");
    f->secret_id = folder(f, "/Secret");
    f->hello_id = add_runbook(f, f->ops_id, "Hello");
    f->deep_id = add_runbook(f, deep, "Inner");
    f->hidden_id = add_runbook(f, f->secret_id, "Hidden");
    add_user(f, "admin", "admin-password", true);
    f->alice_id = add_user(f, "alice", "alice-password", false);
    f->bob_id = add_user(f, "bob", "bob-password", false);
    f->carol_id = add_user(f, "carol", "carol-password", false);
    /* alice: view+start on /Ops (inherited by /Ops/Deep); bob: view;
     * carol: view+start+stop through the group "ops" */
    OK(bt_store_permission_set(f->s, f->ops_id, BT_PRINCIPAL_USER, f->alice_id,
                               BT_RIGHT_VIEW | BT_RIGHT_START, &e_));
    OK(bt_store_permission_set(f->s, f->ops_id, BT_PRINCIPAL_USER, f->bob_id,
                               BT_RIGHT_VIEW, &e_));
    bt_store_group g = {0};
    OK(bt_store_group_create(f->s, "ops", NULL, &g, &e_));
    OK(bt_store_group_add_member(f->s, g.id, f->carol_id, &e_));
    OK(bt_store_permission_set(f->s, f->ops_id, BT_PRINCIPAL_GROUP, g.id,
                               BT_RIGHT_VIEW | BT_RIGHT_START | BT_RIGHT_STOP,
                               &e_));
    bt_store_group_clear(&g);

    f->auth = bt_auth_new(0);
    assert_non_null(f->auth);
    bt_web_config cfg = {.bind_address = "127.0.0.1",
                         .store_url = f->url,
                         .authenticate = bt_auth_admit,
                         .auth_ud = f->auth,
                         .stream_recheck_ms = 100};
    if (bt_web_start(&cfg, &f->web, &err)) fail_msg("web: %s", err.message);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_web_port(f->web));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_web_stop(f->web);
    bt_auth_free(f->auth);
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
    if (len > 18 && !strncasecmp(p, "WWW-Authenticate: ", 18)) {
        size_t end = len;
        while (end > 18 && (p[end - 1] == '\r' || p[end - 1] == '\n')) end--;
        free(r->challenge);
        r->challenge = bt_xstrndup(p + 18, end - 18);
    }
    return len;
}

/* who: "user:password", "Bearer TOKEN" or NULL. */
static reply http(fixture *f, const char *who, const char *method,
                  const char *path, const char *body, const char *extra) {
    reply r = {0};
    bt_buf_init(&r.body, 0);
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    char *auth = NULL;
    if (who && !strncmp(who, "Bearer ", 7)) {
        auth = bt_xasprintf("Authorization: %s", who);
        h = curl_slist_append(h, auth);
    } else if (who) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, who);
    }
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
    r.json = json_loads(bt_buf_str(&r.body), 0, NULL); /* NULL for XML */
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(auth);
    free(url);
    return r;
}

static void reply_free(reply *r) {
    json_decref(r->json);
    free(r->challenge);
    bt_buf_free(&r->body);
}

static void expect(fixture *f, const char *who, const char *method,
                   const char *path, const char *body, long status) {
    reply r = http(f, who, method, path, body, NULL);
    if (r.status != status)
        fail_msg("%s %s as %s: status %ld, wanted %ld: %s", method, path,
                 who ? who : "nobody", r.status, status, bt_buf_str(&r.body));
    reply_free(&r);
}

static const char *error_message(reply *r) {
    const char *m = json_string_value(
        json_object_get(json_object_get(r->json, "error"), "message"));
    if (!m) fail_msg("no error message in %s", bt_buf_str(&r->body));
    return m;
}

/* Paths of the runbooks a list shows. */
static bool lists(reply *r, const char *path) {
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) {
        const char *p = json_string_value(json_object_get(it, "path"));
        if (!p) p = json_string_value(json_object_get(it, "runbook_path"));
        if (p && !strcmp(p, path)) return true;
    }
    return false;
}

/* ---- tests ------------------------------------------------------------ */

static void test_credentials(void **state) {
    fixture *f = *state;
    expect(f, NULL, "GET", "/api/health", NULL, 200);

    reply r = http(f, NULL, "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(r.status, 401);
    assert_non_null(r.challenge);
    assert_string_equal(r.challenge, "Basic realm=\"Baton\"");
    reply_free(&r);

    /* unknown user and wrong password: the same answer */
    reply a = http(f, "alice:wrong-password", "GET", "/api/runbooks", NULL, NULL);
    reply b = http(f, "nobody:alice-password", "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(a.status, 401);
    assert_int_equal(b.status, 401);
    assert_string_equal(error_message(&a), error_message(&b));
    assert_non_null(a.challenge);
    reply_free(&a);
    reply_free(&b);

    expect(f, "alice:alice-password", "GET", "/api/runbooks", NULL, 200);
    expect(f, NULL, "GET", "/api/runbooks", NULL, 401);
    r = http(f, NULL, "GET", "/api/runbooks", NULL,
             "Authorization: Basic bm9jb2xvbg=="); /* "nocolon" */
    assert_int_equal(r.status, 401);
    reply_free(&r);
    r = http(f, NULL, "GET", "/api/runbooks", NULL, "Authorization: Digest x");
    assert_int_equal(r.status, 401);
    reply_free(&r);
}

static void test_lists_are_filtered(void **state) {
    fixture *f = *state;
    reply r = http(f, "alice:alice-password", "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(lists(&r, "/Ops/Hello"));
    assert_true(lists(&r, "/Ops/Deep/Inner")); /* inherited */
    assert_false(lists(&r, "/Secret/Hidden"));
    reply_free(&r);

    r = http(f, "admin:admin-password", "GET", "/api/runbooks", NULL, NULL);
    assert_true(lists(&r, "/Secret/Hidden"));
    reply_free(&r);

    /* the folder tree does not show /Secret either */
    r = http(f, "alice:alice-password", "GET", "/api/folders", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(bt_buf_str(&r.body), "Secret"));
    assert_non_null(strstr(bt_buf_str(&r.body), "Hello"));
    reply_free(&r);

    /* nor does the OData face */
    r = http(f, "alice:alice-password", "GET",
             "/Orchestrator2012/Orchestrator.svc/Runbooks", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(bt_buf_str(&r.body), "Hidden"));
    assert_non_null(strstr(bt_buf_str(&r.body), "Hello"));
    reply_free(&r);
}

/* The list is kept rendered (src/web/answers.c), but what it shows
 * follows a grant, a revocation, a check-in and a rename at once, and
 * users with different rights never see each other's list. */
static int64_t start_job(fixture *f, const char *who, const char *name,
                         const char *runbook);

static bool feed_has(fixture *f, const char *who, const char *guid) {
    reply r = http(f, who, "GET", "/Orchestrator2012/Orchestrator.svc/Jobs",
                   NULL, NULL);
    assert_int_equal(r.status, 200);
    bool has = strstr(bt_buf_str(&r.body), guid) != NULL;
    reply_free(&r);
    return has;
}

static void test_list_follows_changes(void **state) {
    fixture *f = *state;
    /* the OData Jobs page is kept per caller as well */
    int64_t job = start_job(f, "admin:admin-password", "admin",
                            "/Secret/Hidden");
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, job, &j, &e_));
    assert_true(feed_has(f, "admin:admin-password", j.guid));
    assert_false(feed_has(f, "alice:alice-password", j.guid));
    assert_false(feed_has(f, "alice:alice-password", j.guid));

    reply r = http(f, "alice:alice-password", "GET", "/api/runbooks", NULL, NULL);
    assert_false(lists(&r, "/Secret/Hidden"));
    reply_free(&r);
    r = http(f, "admin:admin-password", "GET", "/api/runbooks", NULL, NULL);
    assert_true(lists(&r, "/Secret/Hidden"));
    reply_free(&r);
    r = http(f, "alice:alice-password", "GET", "/api/runbooks", NULL, NULL);
    assert_false(lists(&r, "/Secret/Hidden"));
    reply_free(&r);

    OK(bt_store_permission_set(f->s, f->secret_id, BT_PRINCIPAL_USER,
                               f->alice_id, BT_RIGHT_VIEW, &e_));
    r = http(f, "alice:alice-password", "GET", "/api/runbooks", NULL, NULL);
    assert_true(lists(&r, "/Secret/Hidden"));
    reply_free(&r);
    assert_true(feed_has(f, "alice:alice-password", j.guid));
    OK(bt_store_permission_set(f->s, f->secret_id, BT_PRINCIPAL_USER,
                               f->alice_id, 0, &e_));
    r = http(f, "alice:alice-password", "GET", "/api/runbooks", NULL, NULL);
    assert_false(lists(&r, "/Secret/Hidden"));
    reply_free(&r);
    assert_false(feed_has(f, "alice:alice-password", j.guid));
    assert_true(feed_has(f, "admin:admin-password", j.guid));
    bt_store_job_clear(&j);

    /* a new version's parameters, a new name */
    int v = 0;
    OK(bt_store_version_add(f->s, f->hello_id,
                            "name: Hello\nfolder: /Ops\nparameters:\n"
                            "  - {name: brand_new_param, type: string}\n"
                            "activities:\n  - {id: start, type: "
                            "initialize-data}\n",
                            "tester", NULL, &v, &e_));
    r = http(f, "bob:bob-password", "GET", "/api/runbooks", NULL, NULL);
    assert_non_null(strstr(bt_buf_str(&r.body), "brand_new_param"));
    reply_free(&r);
    OK(bt_store_runbook_rename(f->s, f->hello_id, "Greeter", &e_));
    r = http(f, "bob:bob-password", "GET", "/api/runbooks", NULL, NULL);
    assert_true(lists(&r, "/Ops/Greeter"));
    assert_false(lists(&r, "/Ops/Hello"));
    reply_free(&r);
}

static void test_hidden_is_404_like_missing(void **state) {
    fixture *f = *state;
    char path[64], missing[64];
    snprintf(path, sizeof path, "/api/runbooks/%lld", (long long)f->hidden_id);
    snprintf(missing, sizeof missing, "/api/runbooks/%lld",
             (long long)f->hidden_id + 1000);
    reply hidden = http(f, "alice:alice-password", "GET", path, NULL, NULL);
    reply gone = http(f, "alice:alice-password", "GET", missing, NULL, NULL);
    assert_int_equal(hidden.status, 404);
    assert_int_equal(gone.status, 404);
    /* the same sentence, but for the id */
    char want[128];
    snprintf(want, sizeof want, "no runbook with id %lld",
             (long long)f->hidden_id);
    assert_string_equal(error_message(&hidden), want);
    reply_free(&hidden);
    reply_free(&gone);

    /* by path: the same sentence as for a path that does not exist */
    reply byp = http(f, "alice:alice-password", "GET",
                     "/api/jobs?runbook=/Secret/Hidden", NULL, NULL);
    assert_int_equal(byp.status, 404);
    assert_string_equal(error_message(&byp), "no runbook '/Secret/Hidden'");
    reply_free(&byp);
    byp = http(f, "alice:alice-password", "GET", "/api/jobs?runbook=/Secret/Nope",
               NULL, NULL);
    assert_int_equal(byp.status, 404);
    assert_string_equal(error_message(&byp), "no runbook '/Secret/Nope'");
    reply_free(&byp);
    snprintf(path, sizeof path, "/api/runbooks/%lld", (long long)f->hidden_id);
    expect(f, "admin:admin-password", "GET", path, NULL, 200);

    /* starting it is 404 too, not 403 */
    expect(f, "alice:alice-password", "POST", "/api/jobs",
           "{\"runbook\": \"/Secret/Hidden\"}", 404);
}

/* OData entries under a path as who: the number, or -1 for a 404. */
static int od_entries(fixture *f, const char *who, const char *fmt,
                      const char *guid) {
    char path[512];
    snprintf(path, sizeof path, "/Orchestrator2012/Orchestrator.svc/");
    size_t len = strlen(path);
    snprintf(path + len, sizeof path - len, fmt, guid);
    reply r = http(f, who, "GET", path, NULL, "Accept: application/json");
    int n = -1;
    if (r.status == 200) {
        json_t *d = json_object_get(r.json, "d");
        json_t *res = json_object_get(d, "results");
        n = json_is_array(res) ? (int)json_array_size(res)
            : json_is_array(d) ? (int)json_array_size(d)
                               : 1;
    } else if (r.status != 404) {
        fail_msg("GET %s as %s: status %ld: %s", path, who, r.status,
                 bt_buf_str(&r.body));
    }
    reply_free(&r);
    return n;
}

/* Runbook and activity instances are read one at a time when a script
 * names one (a key, a navigation from one, a filter on its parent's key):
 * those reads hide what the caller may not view exactly as reading the
 * whole set does. */
static void test_odata_instances_follow_rights(void **state) {
    fixture *f = *state;
    int64_t job = start_job(f, "admin:admin-password", "admin",
                            "/Secret/Hidden");
    int64_t server = 0;
    OK(bt_store_server_register(f->s, "rb1", "0.1.0", 60000, &server, &e_));
    OK(bt_store_job_set_status(f->s, job, BT_JOB_RUNNING, server, &e_));
    bt_store_instance in = {0};
    OK(bt_store_instance_create(f->s, job, server, &in, &e_));
    bt_store_datum d[] = {{0, "secret", "s3cr3t"}};
    bt_store_activity_spec a = {.instance_id = in.id, .activity_id = "start",
                                .seq = 1, .attempt = 1, .start_us = 1,
                                .end_us = 2, .data = d, .n_data = 1};
    OK(bt_store_commit_activity(f->s, server, &a, NULL, &e_));
    OK(bt_store_instance_finish(f->s, in.id, BT_JOB_COMPLETED,
                                BT_RESULT_SUCCESS, "{\"out\":\"x\"}", &e_));
    bt_store_activity *acts = NULL;
    size_t n = 0;
    OK(bt_store_activity_list(f->s, in.id, 0, &acts, &n, &e_));
    assert_int_equal(n, 1);
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, job, &j, &e_));
    static const struct {
        const char *fmt;
        int admin; /* what the administrator sees; alice sees nothing */
    } reads[] = {
        {"RunbookInstances(guid'%s')", 1},
        {"RunbookInstances(guid'%s')/Parameters", 1},
        {"RunbookInstances(guid'%s')/ActivityInstances", 1},
        {"RunbookInstances?$filter=Id%%20eq%%20guid'%s'", 1},
        {"RunbookInstanceParameters?$filter=RunbookInstanceId%%20eq%%20guid'%s'", 1},
        {"ActivityInstances?$filter=RunbookInstanceId%%20eq%%20guid'%s'", 1},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(reads); i++) {
        assert_int_equal(od_entries(f, "admin:admin-password", reads[i].fmt,
                                    in.guid),
                         reads[i].admin);
        int seen = od_entries(f, "alice:alice-password", reads[i].fmt, in.guid);
        if (seen > 0)
            fail_msg("alice sees %d entries of %s", seen, reads[i].fmt);
    }
    static const char *const by_activity[] = {
        "ActivityInstances(guid'%s')", "ActivityInstances(guid'%s')/Data",
        "ActivityInstances?$filter=Id%%20eq%%20guid'%s'",
        "ActivityInstanceData?$filter=ActivityInstanceId%%20eq%%20guid'%s'"};
    for (size_t i = 0; i < BT_ARRAY_LEN(by_activity); i++) {
        assert_int_equal(od_entries(f, "admin:admin-password", by_activity[i],
                                    acts[0].guid),
                         1);
        assert_true(od_entries(f, "alice:alice-password", by_activity[i],
                               acts[0].guid) <= 0);
    }
    static const char *const by_job[] = {
        "Jobs(guid'%s')/Instances",
        "RunbookInstances?$filter=JobId%%20eq%%20guid'%s'"};
    for (size_t i = 0; i < BT_ARRAY_LEN(by_job); i++) {
        assert_int_equal(od_entries(f, "admin:admin-password", by_job[i], j.guid),
                         1);
        assert_true(od_entries(f, "alice:alice-password", by_job[i], j.guid) <= 0);
    }
    /* the feeds the store pages leave them out, and their counts too */
    static const char *const feeds[] = {
        "/Orchestrator2012/Orchestrator.svc/RunbookInstances?$inlinecount=allpages",
        "/Orchestrator2012/Orchestrator.svc/ActivityInstances?$inlinecount=allpages"};
    const char *hidden[] = {in.guid, acts[0].guid};
    for (size_t i = 0; i < BT_ARRAY_LEN(feeds); i++) {
        reply ra = http(f, "admin:admin-password", "GET", feeds[i], NULL, NULL);
        reply rl = http(f, "alice:alice-password", "GET", feeds[i], NULL, NULL);
        assert_int_equal(ra.status, 200);
        assert_int_equal(rl.status, 200);
        assert_non_null(strstr(bt_buf_str(&ra.body), hidden[i]));
        assert_null(strstr(bt_buf_str(&rl.body), hidden[i]));
        assert_non_null(strstr(bt_buf_str(&ra.body), "<m:count>1</m:count>"));
        assert_non_null(strstr(bt_buf_str(&rl.body), "<m:count>0</m:count>"));
        reply_free(&ra);
        reply_free(&rl);
    }
    /* the count the store makes leaves the hidden job out too */
    reply ra = http(f, "admin:admin-password", "GET",
                    "/Orchestrator2012/Orchestrator.svc/Jobs/$count", NULL, NULL);
    reply rl = http(f, "alice:alice-password", "GET",
                    "/Orchestrator2012/Orchestrator.svc/Jobs/$count", NULL, NULL);
    assert_int_equal(ra.status, 200);
    assert_int_equal(rl.status, 200);
    assert_int_equal(atoi(bt_buf_str(&ra.body)),
                     atoi(bt_buf_str(&rl.body)) + 1);
    reply_free(&ra);
    reply_free(&rl);
    /* nor can alice stop it through OData: it is not there for her */
    char *stop = bt_xasprintf("/Orchestrator2012/Orchestrator.svc/Jobs(guid'%s')",
                              j.guid);
    reply r = http(f, "alice:alice-password", "MERGE", stop,
                   "{\"Status\": \"Canceled\"}", NULL);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    free(stop);
    bt_store_job_clear(&j);
    bt_store_activity_list_free(acts, n);
    bt_store_instance_clear(&in);
}

static int64_t start_job(fixture *f, const char *who, const char *name,
                         const char *runbook) {
    char *body = bt_xasprintf("{\"runbook\": \"%s\"}", runbook);
    reply r = http(f, who, "POST", "/api/jobs", body,
                   "X-Baton-User: mallory");
    free(body);
    if (r.status != 201)
        fail_msg("start %s as %s: %ld %s", runbook, who, r.status,
                 bt_buf_str(&r.body));
    /* the authenticated name, never the header */
    assert_string_equal(
        json_string_value(json_object_get(r.json, "created_by")), name);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    reply_free(&r);
    return id;
}

static void test_start_and_stop_rights(void **state) {
    fixture *f = *state;
    /* bob may view but not start */
    reply r = http(f, "bob:bob-password", "POST", "/api/jobs",
                   "{\"runbook\": \"/Ops/Hello\"}", NULL);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    int64_t job = start_job(f, "alice:alice-password", "alice", "/Ops/Hello");

    char path[64], cancel[64];
    snprintf(path, sizeof path, "/api/jobs/%lld", (long long)job);
    snprintf(cancel, sizeof cancel, "/api/jobs/%lld/cancel", (long long)job);
    expect(f, "bob:bob-password", "GET", path, NULL, 200);
    expect(f, "bob:bob-password", "POST", cancel, NULL, 403);
    expect(f, "alice:alice-password", "POST", cancel, NULL, 403);
    expect(f, "carol:carol-password", "POST", cancel, NULL, 202); /* group */

    /* a job of the hidden runbook: not listed, 404 to get or cancel */
    bt_store_job_spec spec = {.runbook_id = f->hidden_id,
                              .created_by = "admin"};
    bt_store_job hj = {0};
    OK(bt_store_job_create(f->s, &spec, &hj, &e_));
    snprintf(path, sizeof path, "/api/jobs/%lld", (long long)hj.id);
    snprintf(cancel, sizeof cancel, "/api/jobs/%lld/cancel", (long long)hj.id);
    reply hidden = http(f, "carol:carol-password", "GET", path, NULL, NULL);
    assert_int_equal(hidden.status, 404);
    char want[64];
    snprintf(want, sizeof want, "no job with id %lld", (long long)hj.id);
    assert_string_equal(error_message(&hidden), want);
    reply_free(&hidden);
    expect(f, "carol:carol-password", "POST", cancel, NULL, 404);
    expect(f, "admin:admin-password", "GET", path, NULL, 200);
    r = http(f, "carol:carol-password", "GET", "/api/jobs", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    reply_free(&r);
    r = http(f, "admin:admin-password", "GET", "/api/jobs", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    reply_free(&r);
    bt_store_job_clear(&hj);
}

static bool audited(fixture *f, const char *action, const char *object) {
    bt_store_audit *items = NULL;
    size_t n = 0;
    OK(bt_store_audit_list(f->s, 0, 1000, &items, &n, &e_));
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(items[i].action, action) &&
            !strcmp(items[i].object, object)) {
            found = true;
            assert_string_equal(items[i].who, "admin");
        }
        /* no secret ever reaches the audit log */
        assert_null(items[i].after ? strstr(items[i].after, "s3cret-pass")
                                   : NULL);
        assert_null(items[i].after ? strstr(items[i].after, "argon2") : NULL);
    }
    bt_store_audit_list_free(items, n);
    return found;
}

static void test_admin_only(void **state) {
    fixture *f = *state;
    const char *alice = "alice:alice-password", *admin = "admin:admin-password";
    expect(f, alice, "GET", "/api/users", NULL, 403);
    expect(f, alice, "POST", "/api/users",
           "{\"name\": \"eve\", \"password\": \"s3cret-pass\"}", 403);
    expect(f, alice, "GET", "/api/permissions", NULL, 403);
    expect(f, alice, "POST", "/api/maintenance/purge", NULL, 403);

    /* anyone may ask who they are: the console's menu needs no 403 */
    reply me = http(f, "carol:carol-password", "GET", "/api/me", NULL, NULL);
    assert_int_equal(me.status, 200);
    assert_string_equal(json_string_value(json_object_get(me.json, "name")),
                        "carol");
    assert_false(json_is_true(json_object_get(me.json, "admin")));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(me.json, "groups"), 0)),
                        "ops");
    reply_free(&me);
    me = http(f, admin, "GET", "/api/me", NULL, NULL);
    assert_true(json_is_true(json_object_get(me.json, "admin")));
    assert_true(json_is_true(json_object_get(me.json, "authentication")));
    reply_free(&me);
    expect(f, NULL, "GET", "/api/me", NULL, 401);

    expect(f, admin, "POST", "/api/users",
           "{\"name\": \"dave\", \"password\": \"s3cret-pass\"}", 201);
    assert_true(audited(f, "user.create", "dave"));
    expect(f, admin, "POST", "/api/users",
           "{\"name\": \"dave\", \"password\": \"s3cret-pass\"}", 409);
    expect(f, admin, "POST", "/api/users",
           "{\"name\": \"short\", \"password\": \"x\"}", 400);
    expect(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, 200);

    /* dave sees nothing until granted, then /Ops through a grant */
    reply r = http(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    reply_free(&r);
    expect(f, admin, "POST", "/api/permissions",
           "{\"folder\": \"/Ops\", \"user\": \"dave\", \"rights\": "
           "[\"view\"]}", 200);
    assert_true(audited(f, "permission.set", "/Ops user:dave"));
    r = http(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, NULL);
    assert_true(lists(&r, "/Ops/Hello"));
    reply_free(&r);
    expect(f, admin, "POST", "/api/permissions",
           "{\"folder\": \"/Ops\", \"user\": \"dave\", \"rights\": "
           "[\"fly\"]}", 400);
    expect(f, admin, "DELETE", "/api/permissions?folder=/Ops&user=dave", NULL,
           200);
    r = http(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    reply_free(&r);

    /* groups */
    expect(f, admin, "POST", "/api/groups", "{\"name\": \"auditors\"}", 201);
    expect(f, admin, "POST", "/api/groups/auditors/members",
           "{\"user\": \"dave\"}", 200);
    assert_true(audited(f, "group.add_member", "auditors"));
    expect(f, admin, "POST", "/api/permissions",
           "{\"folder\": \"/Secret\", \"group\": \"auditors\", \"rights\": "
           "[\"view\"]}", 200);
    r = http(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, NULL);
    assert_true(lists(&r, "/Secret/Hidden"));
    reply_free(&r);
    r = http(f, admin, "GET", "/api/users", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(bt_buf_str(&r.body), "argon2"));
    reply_free(&r);

    /* disabling: refused at once, although the login is cached */
    expect(f, admin, "POST", "/api/users/dave/disable", NULL, 200);
    assert_true(audited(f, "user.disable", "dave"));
    expect(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, 401);
    expect(f, admin, "POST", "/api/users/admin/disable", NULL, 409);
    expect(f, admin, "POST", "/api/users/dave/enable", NULL, 200);
    expect(f, "dave:s3cret-pass", "GET", "/api/runbooks", NULL, 200);
}

static void test_changed_password(void **state) {
    fixture *f = *state;
    /* cached after the first request */
    expect(f, "bob:bob-password", "GET", "/api/runbooks", NULL, 200);
    expect(f, "bob:bob-password", "GET", "/api/runbooks", NULL, 200);
    expect(f, "admin:admin-password", "POST", "/api/users/bob/password",
           "{\"password\": \"bob-new-password\"}", 200);
    assert_true(audited(f, "user.password", "bob"));
    /* the cached credential no longer matches the stored hash */
    expect(f, "bob:bob-password", "GET", "/api/runbooks", NULL, 401);
    expect(f, "bob:bob-new-password", "GET", "/api/runbooks", NULL, 200);
    /* users may change their own password, not someone else's */
    expect(f, "bob:bob-new-password", "POST", "/api/users/bob/password",
           "{\"password\": \"bob-third-password\"}", 200);
    expect(f, "bob:bob-third-password", "POST", "/api/users/alice/password",
           "{\"password\": \"hijacked-pass\"}", 403);
}

static void test_cache_ttl(void **state) {
    fixture *f = *state;
    /* a short TTL: after it, the password is verified again; a password
     * changed behind the service's back (straight in the store) is then
     * refused as well */
    bt_web_stop(f->web);
    bt_auth_free(f->auth);
    f->auth = bt_auth_new(50);
    bt_web_config cfg = {.bind_address = "127.0.0.1",
                         .store_url = f->url,
                         .authenticate = bt_auth_admit,
                         .auth_ud = f->auth};
    bt_error err = {0};
    if (bt_web_start(&cfg, &f->web, &err)) fail_msg("web: %s", err.message);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_web_port(f->web));
    expect(f, "alice:alice-password", "GET", "/api/runbooks", NULL, 200);
    char hash[crypto_pwhash_STRBYTES];
    OK(bt_auth_hash_password("alice-other", hash, &e_));
    struct bt_store_user_update up = {.password_hash = hash, .is_admin = -1,
                                      .disabled = -1};
    OK(bt_store_user_update(f->s, f->alice_id, &up, &e_));
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    expect(f, "alice:alice-password", "GET", "/api/runbooks", NULL, 401);
    expect(f, "alice:alice-other", "GET", "/api/runbooks", NULL, 200);
}

static char *make_token(fixture *f, const char *who, const char *body,
                        int64_t *id) {
    reply r = http(f, who, "POST", "/api/tokens", body, NULL);
    if (r.status != 201) fail_msg("token: %ld %s", r.status, bt_buf_str(&r.body));
    char *tok = bt_xstrdup(json_string_value(json_object_get(r.json, "token")));
    *id = json_integer_value(json_object_get(r.json, "id"));
    reply_free(&r);
    return tok;
}

static void test_tokens(void **state) {
    fixture *f = *state;
    int64_t id;
    char *tok = make_token(f, "alice:alice-password", "{\"name\": \"ci\"}", &id);
    assert_true(!strncmp(tok, "baton_", 6));
    char *bearer = bt_xasprintf("Bearer %s", tok);
    reply r = http(f, bearer, "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(lists(&r, "/Ops/Hello"));
    assert_false(lists(&r, "/Secret/Hidden")); /* alice's rights */
    reply_free(&r);
    /* a token starts jobs as its user */
    r = http(f, bearer, "POST", "/api/jobs", "{\"runbook\": \"/Ops/Hello\"}",
             NULL);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "created_by")),
                        "alice");
    reply_free(&r);

    /* the list never shows the secret or its hash */
    r = http(f, "alice:alice-password", "GET", "/api/tokens", NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_null(strstr(bt_buf_str(&r.body), tok));
    char hash[BT_AUTH_TOKEN_HASH_LEN];
    bt_auth_token_hash(tok, hash);
    assert_null(strstr(bt_buf_str(&r.body), hash));
    reply_free(&r);

    /* bob cannot revoke alice's token: it does not exist for him */
    char path[64];
    snprintf(path, sizeof path, "/api/tokens/%lld", (long long)id);
    expect(f, "bob:bob-password", "DELETE", path, NULL, 404);
    expect(f, "alice:alice-password", "DELETE", path, NULL, 200);
    expect(f, bearer, "GET", "/api/runbooks", NULL, 401);
    expect(f, "Bearer baton_not-a-real-token", "GET", "/api/runbooks", NULL, 401);
    free(bearer);
    free(tok);

    /* an expired token fails */
    char secret[80];
    bt_auth_token_new(secret, sizeof secret);
    bt_auth_token_hash(secret, hash);
    int64_t tid = 0;
    OK(bt_store_token_create(f->s, f->alice_id, "old", hash,
                             (int64_t)bt_store_now(f->s) - 1000000, &tid, &e_));
    bearer = bt_xasprintf("Bearer %s", secret);
    r = http(f, bearer, "GET", "/api/runbooks", NULL, NULL);
    assert_int_equal(r.status, 401);
    /* named for its holder, who needs a new one, not a typo hunt */
    if (!strstr(error_message(&r), "API token 'old' (id ") ||
        !strstr(error_message(&r), ") expired at "))
        fail_msg("expired token: %s", bt_buf_str(&r.body));
    reply_free(&r);
    free(bearer);
    expect(f, "alice:alice-password", "POST", "/api/tokens",
           "{\"expires_days\": 0}", 400);
    tok = make_token(f, "alice:alice-password", "{\"expires_days\": 30}", &id);
    bearer = bt_xasprintf("Bearer %s", tok);
    expect(f, bearer, "GET", "/api/runbooks", NULL, 200);
    /* a disabled user's tokens stop working */
    expect(f, "admin:admin-password", "POST", "/api/users/alice/disable", NULL,
           200);
    expect(f, bearer, "GET", "/api/runbooks", NULL, 401);
    free(bearer);
    free(tok);
}

/* ---- event streams ----------------------------------------------------- */

typedef struct sse {
    fixture *f;
    const char *who, *path;
    const char *until; /* stop once the body holds this; NULL: to the end */
    bt_buf body;
    atomic_bool connected;
    CURLcode rc;
    long status;
} sse;

static size_t on_sse(char *p, size_t size, size_t n, void *ud) {
    sse *c = ud;
    atomic_store(&c->connected, true);
    bt_buf_append(&c->body, p, size * n);
    if (c->until && strstr(bt_buf_str(&c->body), c->until)) return 0;
    return size * n;
}

static void *sse_thread(void *arg) {
    sse *c = arg;
    CURL *h = curl_easy_init();
    char *url = bt_xasprintf("%s%s", c->f->base, c->path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    struct curl_slist *hs = NULL;
    char *auth = NULL;
    if (!strncmp(c->who, "Bearer ", 7)) {
        auth = bt_xasprintf("Authorization: %s", c->who);
        hs = curl_slist_append(hs, auth);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERPWD, c->who);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    c->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    free(auth);
    free(url);
    return NULL;
}

static void sse_open(sse *c, pthread_t *t) {
    bt_buf_init(&c->body, 0);
    pthread_create(t, NULL, sse_thread, c);
    for (int i = 0; i < 3000 && !atomic_load(&c->connected); i++)
        usleep(10000);
    assert_true(atomic_load(&c->connected));
}

static void add_event(fixture *f, const char *message, int64_t job) {
    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "test", message, job, &e_));
}

/* Anyone may follow the events stream, seeing what they may view; a
 * stream narrows when a right is revoked and ends when its credential
 * is, saying why. */
static void test_event_stream_per_user(void **state) {
    fixture *f = *state;
    sse c = {.f = f, .who = "alice:alice-password",
             .path = "/api/events/stream", .until = "\"message\":\"marker\""};
    pthread_t t;
    sse_open(&c, &t);
    int64_t job = start_job(f, "alice:alice-password", "alice", "/Ops/Hello");
    bt_store_job_spec spec = {.runbook_id = f->hidden_id,
                              .created_by = "admin"};
    bt_store_job hj = {0};
    OK(bt_store_job_create(f->s, &spec, &hj, &e_));
    add_event(f, "secret-event", hj.id);
    add_event(f, "ops-event", job);
    add_event(f, "server-event", 0);
    add_event(f, "marker", 0);
    pthread_join(t, NULL);
    const char *b = bt_buf_str(&c.body);
    char seen[64], hidden[64];
    snprintf(seen, sizeof seen, "event: job\ndata: {\"id\":%lld,", (long long)job);
    snprintf(hidden, sizeof hidden, "event: job\ndata: {\"id\":%lld,", (long long)hj.id);
    if (c.status != 200 || !strstr(b, "ops-event") ||
        !strstr(b, "server-event") || !strstr(b, seen))
        fail_msg("alice's stream (%ld): %s", c.status, b);
    assert_null(strstr(b, "secret-event"));
    assert_null(strstr(b, hidden));
    bt_buf_free(&c.body);
    bt_store_job_clear(&hj);

    /* a right revoked while the stream is open narrows it */
    sse d = {.f = f, .who = "bob:bob-password", .path = "/api/events/stream",
             .until = "\"message\":\"marker2\""};
    sse_open(&d, &t);
    add_event(f, "bob-sees", job);
    for (int i = 0; i < 3000 && !strstr(bt_buf_str(&d.body), "bob-sees"); i++)
        usleep(10000);
    assert_non_null(strstr(bt_buf_str(&d.body), "bob-sees"));
    OK(bt_store_permission_set(f->s, f->ops_id, BT_PRINCIPAL_USER, f->bob_id,
                               0, &e_));
    usleep(1000000); /* ten re-check periods */
    add_event(f, "bob-no-longer", job);
    add_event(f, "marker2", 0);
    pthread_join(t, NULL);
    assert_null(strstr(bt_buf_str(&d.body), "bob-no-longer"));
    bt_buf_free(&d.body);

    /* a revoked token ends its stream, saying why */
    int64_t id;
    char *tok = make_token(f, "carol:carol-password", "{\"name\": \"tv\"}", &id);
    char *bearer = bt_xasprintf("Bearer %s", tok);
    sse e = {.f = f, .who = bearer, .path = "/api/events/stream"};
    sse_open(&e, &t);
    char path[64];
    snprintf(path, sizeof path, "/api/tokens/%lld", (long long)id);
    expect(f, "carol:carol-password", "DELETE", path, NULL, 200);
    pthread_join(t, NULL);
    assert_int_equal(e.rc, CURLE_OK);
    assert_non_null(strstr(bt_buf_str(&e.body),
                           "event: error\ndata: {\"code\":\"unauthorized\""));
    bt_buf_free(&e.body);
    free(bearer);
    free(tok);

    /* so does disabling the user, on one job's stream too */
    char jpath[64];
    snprintf(jpath, sizeof jpath, "/api/jobs/%lld/stream", (long long)job);
    sse g = {.f = f, .who = "alice:alice-password", .path = jpath};
    sse_open(&g, &t);
    expect(f, "admin:admin-password", "POST", "/api/users/alice/disable", NULL,
           200);
    pthread_join(t, NULL);
    assert_int_equal(g.rc, CURLE_OK);
    assert_non_null(strstr(bt_buf_str(&g.body), "\"code\":\"unauthorized\""));
    bt_buf_free(&g.body);
}

/* The comparisons that see secrets are constant-time: the cache compares
 * digests with sodium_memcmp, passwords go through
 * crypto_pwhash_str_verify, and tokens are looked up by hash (the secret
 * is never compared). Checked in the source, since timing cannot be
 * asserted reliably. */
static void test_timing_safe_comparisons(void **state) {
    const char *src = getenv("BATON_SOURCE_DIR");
    if (!src) skip();
    char *path = bt_xasprintf("%s/src/web/auth.c", src);
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_error err = {0};
    if (bt_buf_read_file(&b, path, &err)) fail_msg("%s", err.message);
    const char *text = bt_buf_str(&b);
    assert_non_null(strstr(text, "sodium_memcmp(s->digest"));
    assert_non_null(strstr(text, "crypto_pwhash_str_verify("));
    /* no plain memcmp/strcmp on a digest, password or token */
    for (const char *p = text; (p = strstr(p, "memcmp(")); p++)
        assert_true(p > text && p[-1] == '_'); /* only sodium_memcmp */
    assert_null(strstr(text, "strcmp(password"));
    assert_null(strstr(text, "strcmp(secret"));
    bt_buf_free(&b);
    free(path);
}

/* batond's auth setting: on by default, off by flag, environment or
 * file, and a clear error for anything else. */
static void test_config_setting(void **state) {
    unsetenv("BATON_AUTH");
    bt_config cfg;
    bt_error err = {0};
    char *argv0[] = {"batond", NULL};
    assert_int_equal(bt_config_load(&cfg, 1, argv0, &err), 0);
    assert_true(cfg.auth);
    bt_config_clear(&cfg);
    char *argv1[] = {"batond", "--auth", "off", NULL};
    assert_int_equal(bt_config_load(&cfg, 3, argv1, &err), 0);
    assert_false(cfg.auth);
    bt_config_clear(&cfg);
    setenv("BATON_AUTH", "off", 1);
    char *argv2[] = {"batond", "--auth=on", NULL};
    assert_int_equal(bt_config_load(&cfg, 2, argv2, &err), 0);
    assert_true(cfg.auth); /* the flag wins over the environment */
    bt_config_clear(&cfg);
    assert_int_equal(bt_config_load(&cfg, 1, argv0, &err), 0);
    assert_false(cfg.auth);
    bt_config_clear(&cfg);
    setenv("BATON_AUTH", "maybe", 1);
    assert_int_equal(bt_config_load(&cfg, 1, argv0, &err), -BT_EINVAL);
    assert_non_null(strstr(err.message, "BATON_AUTH: 'maybe' is not on or off"));
    bt_config_clear(&cfg);
    unsetenv("BATON_AUTH");
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_are_filtered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_follows_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hidden_is_404_like_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odata_instances_follow_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_and_stop_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_stream_per_user, setup, teardown),
        cmocka_unit_test(test_timing_safe_comparisons),
        cmocka_unit_test(test_config_setting),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
