/* The OData v2 endpoint (/Orchestrator2012/Orchestrator.svc/) over real
 * sockets with a real SQLite file: the service document and $metadata,
 * every entity set with Orchestrator's property names and order, guid
 * keys, navigation, every $filter operator, server paging with next links,
 * $inlinecount, $select, $expand, verbose JSON, starting a job with the
 * Atom entry Orchestrator's scripts POST (parameters by GUID) and stopping
 * it with MERGE, PUT and POST + X-HTTP-Method, and OData's error format.
 * Atom answers are checked with libxml2's XPath, as a script would. */
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "runbook/runbook.h"
#include "common/util.h"
#include "harness.h"
#include "store/store.h"
#include "web/web.h"

#define ROOT "/Orchestrator2012/Orchestrator.svc/"
#define N_JOBS 121

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
    char *dir, *path, *url;
    bt_store *s;
    bt_web *web;
    char base[64];
    int64_t hello_id, empty_id, server_id, done_job;
    char hello[BT_GUID_LEN], empty[BT_GUID_LEN], done_guid[BT_GUID_LEN];
} fixture;

typedef struct reply {
    long status;
    bt_buf body;
    char *location, *content_type, *allow, *dsv;
    xmlDoc *xml;
    json_t *json;
} reply;

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

/* A finished job with one instance, two activity instances with data, an
 * event, a registered server and N_JOBS - 1 pending jobs for paging. */
static void seed(fixture *f) {
    bt_store_folder folder = {0};
    OK(bt_store_folder_create(f->s, "/Ops", &folder, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, folder.id, "Hello", "says hi", &rb, &e_));
    f->hello_id = rb.id;
    snprintf(f->hello, sizeof f->hello, "%s", rb.guid);
    bt_store_runbook_clear(&rb);
    int v = 0;
    OK(bt_store_version_add(f->s, f->hello_id, HELLO_YAML, "alice", "first",
                            &v, &e_));
    OK(bt_store_runbook_create(f->s, folder.id, "Empty", NULL, &rb, &e_));
    f->empty_id = rb.id;
    snprintf(f->empty, sizeof f->empty, "%s", rb.guid);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&folder);
    OK(bt_store_server_register(f->s, "rb1", "0.1.0", 60000, &f->server_id,
                                &e_));

    bt_store_job_spec spec = {.runbook_id = f->hello_id,
                              .parameters = "{\"host\":\"web01\"}",
                              .created_by = "alice"};
    bt_store_job job = {0};
    OK(bt_store_job_create(f->s, &spec, &job, &e_));
    f->done_job = job.id;
    snprintf(f->done_guid, sizeof f->done_guid, "%s", job.guid);
    bt_store_job_clear(&job);
    OK(bt_store_job_set_status(f->s, f->done_job, BT_JOB_RUNNING, f->server_id,
                               &e_));
    bt_store_instance in = {0};
    OK(bt_store_instance_create(f->s, f->done_job, f->server_id, &in, &e_));
    bt_store_datum d1[] = {{0, "host", "web01"}};
    bt_store_datum d2[] = {{0, "greeting", "hi web01"},
                           {1, "greeting", "second <row> & more"}};
    bt_store_activity_spec a1 = {.instance_id = in.id, .activity_id = "start",
                                 .seq = 1, .attempt = 1, .start_us = 1000,
                                 .end_us = 2000, .data = d1, .n_data = 1};
    bt_store_activity_spec a2 = {.instance_id = in.id, .activity_id = "done",
                                 .seq = 2, .attempt = 1, .start_us = 3000,
                                 .end_us = 4000, .parent_seq = 1, .data = d2,
                                 .n_data = 2};
    OK(bt_store_commit_activity(f->s, f->server_id, &a1, NULL, &e_));
    OK(bt_store_commit_activity(f->s, f->server_id, &a2, NULL, &e_));
    OK(bt_store_instance_finish(f->s, in.id, BT_JOB_COMPLETED,
                                BT_RESULT_SUCCESS, "{\"greeting\":\"hi web01\"}",
                                &e_));
    bt_store_instance_clear(&in);
    OK(bt_store_job_set_status(f->s, f->done_job, BT_JOB_COMPLETED, 0, &e_));
    OK(bt_store_event_add(f->s, BT_SEVERITY_WARNING, "rb1",
                          "disk almost full\non /var", f->done_job, &e_));
    OK(bt_store_begin(f->s, &e_));
    for (int i = 1; i < N_JOBS; i++)
        OK(bt_store_job_create(f->s, &spec, NULL, &e_));
    OK(bt_store_commit(f->s, &e_));
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    f->path = bt_harness_path(f->dir, "baton.db");
    f->url = bt_xasprintf("sqlite:%s", f->path);
    bt_error err = {0};
    if (bt_store_open(f->url, &f->s, &err)) fail_msg("open: %s", err.message);
    seed(f);
    bt_web_config cfg = {.bind_address = "127.0.0.1", .store_url = f->url};
    if (bt_web_start(&cfg, &f->web, &err)) fail_msg("web: %s", err.message);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_web_port(f->web));
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

/* ---- HTTP ------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    return bt_buf_append(&((reply *)ud)->body, p, size * n) ? 0 : size * n;
}

static void grab(const char *p, size_t len, const char *name, char **slot) {
    size_t nl = strlen(name);
    if (len <= nl + 2 || strncasecmp(p, name, nl) || p[nl] != ':') return;
    size_t start = nl + 2, end = len;
    while (end > start && (p[end - 1] == '\r' || p[end - 1] == '\n')) end--;
    free(*slot);
    *slot = bt_xstrndup(p + start, end - start);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    reply *r = ud;
    size_t len = size * n;
    grab(p, len, "Location", &r->location);
    grab(p, len, "Content-Type", &r->content_type);
    grab(p, len, "Allow", &r->allow);
    grab(p, len, "DataServiceVersion", &r->dsv);
    return len;
}

/* Percent-encodes what a URL cannot carry raw; keeps the query's own
 * separators. */
static char *encode(const char *raw) {
    bt_buf b;
    bt_buf_init(&b, 0);
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
        if (*p == ' ' || *p == '\'' || *p == '{' || *p == '}' || *p == '<' ||
            *p == '>' || *p == '"' || *p == '+')
            bt_buf_printf(&b, "%%%02X", *p);
        else
            bt_buf_appendc(&b, (char)*p);
    }
    return bt_buf_detach(&b);
}

/* path is relative to the service root unless it starts with "http". */
static reply http(fixture *f, const char *method, const char *path,
                  const char *body, const char *const *headers) {
    reply r = {0};
    bt_buf_init(&r.body, 0);
    CURL *c = curl_easy_init();
    char *enc = encode(path);
    char *url = !strncmp(path, "http", 4) ? bt_xstrdup(path)
                                          : bt_xasprintf("%s" ROOT "%s",
                                                         f->base, enc);
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
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    const char *ct = r.content_type ? r.content_type : "";
    if (r.body.len && strstr(ct, "json"))
        r.json = json_loads(bt_buf_str(&r.body), 0, NULL);
    else if (r.body.len && strstr(ct, "xml"))
        r.xml = xmlReadMemory(r.body.data, (int)r.body.len, "reply.xml", NULL,
                              XML_PARSE_NONET);
    if (r.body.len && !r.json && !r.xml && (strstr(ct, "json") || strstr(ct, "xml")))
        fail_msg("%s %s: unparsable %s: %s", method, path, ct,
                 bt_buf_str(&r.body));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    free(enc);
    return r;
}

static reply get(fixture *f, const char *path) {
    return http(f, "GET", path, NULL, NULL);
}

static reply get_json(fixture *f, const char *path) {
    static const char *const h[] = {"Accept: application/json", NULL};
    return http(f, "GET", path, NULL, h);
}

static void reply_free(reply *r) {
    bt_buf_free(&r->body);
    free(r->location);
    free(r->content_type);
    free(r->allow);
    free(r->dsv);
    xmlFreeDoc(r->xml);
    json_decref(r->json);
}

static void expect_status(const reply *r, long status, const char *what) {
    if (r->status != status)
        fail_msg("%s: status %ld, wanted %ld: %s", what, r->status, status,
                 bt_buf_str(&r->body));
}

/* ---- XPath ------------------------------------------------------------ */

static xmlXPathObject *xp(xmlDoc *doc, const char *expr) {
    if (!doc) fail_msg("no XML document for %s", expr);
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"a",
                       (const xmlChar *)"http://www.w3.org/2005/Atom");
    xmlXPathRegisterNs(ctx, (const xmlChar *)"d",
                       (const xmlChar *)"http://schemas.microsoft.com/ado/2007/08/dataservices");
    xmlXPathRegisterNs(ctx, (const xmlChar *)"m",
                       (const xmlChar *)"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata");
    xmlXPathRegisterNs(ctx, (const xmlChar *)"app",
                       (const xmlChar *)"http://www.w3.org/2007/app");
    xmlXPathRegisterNs(ctx, (const xmlChar *)"edm",
                       (const xmlChar *)"http://schemas.microsoft.com/ado/2008/09/edm");
    xmlXPathObject *o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    xmlXPathFreeContext(ctx);
    if (!o) fail_msg("bad XPath %s", expr);
    return o;
}

static int xcount(xmlDoc *doc, const char *expr) {
    xmlXPathObject *o = xp(doc, expr);
    int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(o);
    return n;
}

/* Text of the first node, "" when none; static storage per call site use. */
static char *xtext(xmlDoc *doc, const char *expr) {
    xmlXPathObject *o = xp(doc, expr);
    char *out = bt_xstrdup("");
    if (o->nodesetval && o->nodesetval->nodeNr) {
        xmlChar *t = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        free(out);
        out = bt_xstrdup(t ? (const char *)t : "");
        xmlFree(t);
    }
    xmlXPathFreeObject(o);
    return out;
}

static void expect_text(xmlDoc *doc, const char *expr, const char *want) {
    char *t = xtext(doc, expr);
    if (strcmp(t, want)) fail_msg("%s: '%s', wanted '%s'", expr, t, want);
    free(t);
}

static int entries(fixture *f, const char *path) {
    reply r = get(f, path);
    expect_status(&r, 200, path);
    int n = xcount(r.xml, "/a:feed/a:entry");
    reply_free(&r);
    return n;
}

/* An OData error in Atom's shape with this status. */
static void expect_odata_error(fixture *f, const char *method,
                               const char *path, const char *body,
                               long status) {
    reply r = http(f, method, path, body, NULL);
    expect_status(&r, status, path);
    assert_int_equal(xcount(r.xml, "/m:error/m:code"), 1);
    char *msg = xtext(r.xml, "/m:error/m:message");
    assert_true(strlen(msg) > 0);
    free(msg);
    reply_free(&r);
}

/* ---- tests ------------------------------------------------------------ */

/* The Ids of every page of a JSON feed (following __next) and its
 * __count ("" without $inlinecount). */
static json_t *all_ids(fixture *f, const char *path, char **count) {
    json_t *ids = json_array();
    char *next = bt_xstrdup(path);
    *count = NULL;
    for (int pages = 0; next; pages++) {
        assert_true(pages < 20);
        reply r = get_json(f, next);
        expect_status(&r, 200, next);
        json_t *d = json_object_get(r.json, "d");
        if (!*count) {
            const char *c = json_string_value(json_object_get(d, "__count"));
            *count = bt_xstrdup(c ? c : "");
        }
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(d, "results"), i, row)
            json_array_append(ids, json_object_get(row, "Id"));
        const char *n = json_string_value(json_object_get(d, "__next"));
        free(next);
        next = n ? bt_xstrdup(n) : NULL;
        reply_free(&r);
    }
    return ids;
}

static void test_service_document_and_metadata(void **state) {
    fixture *f = *state;
    reply r = get(f, "");
    expect_status(&r, 200, "service document");
    assert_non_null(strstr(r.content_type, "application/atomsvc+xml"));
    assert_int_equal(xcount(r.xml, "//app:collection"), 13);
    assert_int_equal(xcount(r.xml, "//app:collection[@href='Runbooks']"), 1);
    assert_int_equal(xcount(r.xml, "//app:collection[@href='RunbookDiagrams']"), 1);
    reply_free(&r);

    r = get_json(f, "");
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(r.json, "d"), "EntitySets")),
                     13);
    reply_free(&r);

    r = get(f, "$metadata");
    expect_status(&r, 200, "$metadata");
    expect_text(r.xml, "//edm:Schema/@Namespace",
                "Microsoft.SystemCenter.Orchestrator.WebService");
    assert_int_equal(xcount(r.xml, "//edm:EntityType"), 13);
    assert_int_equal(xcount(r.xml, "//edm:EntityContainer/edm:EntitySet"), 13);
    /* Orchestrator's property order: scripts read properties by position */
    expect_text(r.xml, "//edm:EntityType[@Name='Runbook']/edm:Property[3]/@Name",
                "Name");
    expect_text(r.xml, "//edm:EntityType[@Name='Runbook']/edm:Property[10]/@Name",
                "Path");
    expect_text(r.xml, "//edm:EntityType[@Name='Job']/edm:Property[6]/@Name",
                "Status");
    expect_text(r.xml, "//edm:EntityType[@Name='Job']/edm:Key/edm:PropertyRef/@Name",
                "Id");
    expect_text(r.xml, "//edm:EntityType[@Name='RunbookDiagram']/edm:Key/"
                       "edm:PropertyRef/@Name", "RunbookId");
    assert_int_equal(xcount(r.xml, "//edm:EntityType[@Name='Runbook']/"
                                   "edm:NavigationProperty[@Name='Parameters']"),
                     1);
    assert_int_equal(xcount(r.xml, "//edm:Association[@Name='Runbook_Parameters']"),
                     1);
    reply_free(&r);
}

static void test_runbooks_keys_and_navigation(void **state) {
    fixture *f = *state;
    reply r = get(f, "Runbooks");
    expect_status(&r, 200, "Runbooks");
    assert_non_null(strstr(r.content_type, "application/atom+xml"));
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 2);
    reply_free(&r);

    char path[256];
    snprintf(path, sizeof path, "Runbooks(guid'%s')", f->hello);
    r = get(f, path);
    expect_status(&r, 200, path);
    expect_text(r.xml, "/a:entry/a:content/m:properties/d:Id", f->hello);
    expect_text(r.xml, "/a:entry/a:content/m:properties/*[3]", "Hello");
    expect_text(r.xml, "/a:entry/a:content/m:properties/*[10]",
                "\\Runbooks\\Ops\\Hello");
    expect_text(r.xml, "/a:entry/a:content/m:properties/d:Id/@m:type",
                "Edm.Guid");
    expect_text(r.xml, "/a:entry/a:content/m:properties/d:CreatedBy", "alice");
    expect_text(r.xml, "/a:entry/a:content/m:properties/d:IsMonitor", "false");
    expect_text(r.xml, "/a:entry/a:content/m:properties/d:CheckedOutBy/@m:null",
                "true");
    assert_int_equal(xcount(r.xml, "/a:entry/a:link[@title='Parameters']"), 1);
    reply_free(&r);

    /* keys: upper case, braces, Id= and the unquoted form all name it */
    char upper[BT_GUID_LEN];
    for (size_t i = 0; i < sizeof upper; i++)
        upper[i] = (char)(f->hello[i] >= 'a' && f->hello[i] <= 'f'
                              ? f->hello[i] - 32 : f->hello[i]);
    snprintf(path, sizeof path, "Runbooks(guid'{%s}')", upper);
    reply k = get(f, path);
    expect_status(&k, 200, path);
    reply_free(&k);
    snprintf(path, sizeof path, "Runbooks(Id=guid'%s')", f->hello);
    k = get(f, path);
    expect_status(&k, 200, path);
    reply_free(&k);

    expect_odata_error(f, "GET", "Runbooks(guid'not-a-guid')", NULL, 400);
    expect_odata_error(f, "GET",
                       "Runbooks(guid'00000000-0000-0000-0000-000000000001')",
                       NULL, 404);

    /* navigation: parameters (4 in, 1 out), the folder, a property */
    snprintf(path, sizeof path, "Runbooks(guid'%s')/Parameters", f->hello);
    r = get(f, path);
    expect_status(&r, 200, path);
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 5);
    assert_int_equal(xcount(r.xml, "//d:Direction[text()='Out']"), 1);
    expect_text(r.xml, "//m:properties[d:Name='count']/d:Type", "Integer");
    char *host_id = xtext(r.xml, "//m:properties[d:Name='host']/d:Id");
    reply_free(&r);

    /* a parameter's GUID is stable across versions */
    int v = 0;
    OK(bt_store_version_add(f->s, f->hello_id, HELLO_YAML, "bob", "second", &v,
                            &e_));
    r = get(f, path);
    char *again = xtext(r.xml, "//m:properties[d:Name='host']/d:Id");
    assert_string_equal(host_id, again);
    reply_free(&r);
    snprintf(path, sizeof path, "Runbooks(guid'%s')", f->hello);
    r = get(f, path);
    expect_text(r.xml, "//d:LastModifiedBy", "bob");
    expect_text(r.xml, "//d:CreatedBy", "alice");
    reply_free(&r);
    snprintf(path, sizeof path, "RunbookParameters(guid'%s')/Runbook", again);
    r = get(f, path);
    expect_text(r.xml, "/a:entry//d:Name", "Hello");
    reply_free(&r);
    free(host_id);
    free(again);

    snprintf(path, sizeof path, "Runbooks(guid'%s')/Folder", f->hello);
    r = get(f, path);
    expect_status(&r, 200, path);
    expect_text(r.xml, "/a:entry//d:Name", "Ops");
    expect_text(r.xml, "/a:entry//d:Path", "\\Runbooks\\Ops");
    reply_free(&r);

    snprintf(path, sizeof path, "Runbooks(guid'%s')/Name", f->hello);
    r = get(f, path);
    expect_status(&r, 200, path);
    expect_text(r.xml, "/d:Name", "Hello");
    reply_free(&r);
    snprintf(path, sizeof path, "Runbooks(guid'%s')/Name/$value", f->hello);
    r = get(f, path);
    assert_string_equal(bt_buf_str(&r.body), "Hello");
    reply_free(&r);
    assert_int_equal(entries(f, "Folders"), 2);
}

static void test_every_set(void **state) {
    fixture *f = *state;
    static const struct {
        const char *set;
        int min;
    } sets[] = {
        {"Runbooks", 2},          {"RunbookParameters", 5},
        {"Jobs", 50},             {"RunbookInstances", 1},
        {"RunbookInstanceParameters", 2}, {"ActivityInstances", 2},
        {"ActivityInstanceData", 3},     {"Activities", 2},
        {"RunbookServers", 1},    {"Folders", 2},
        {"Events", 1},            {"Statistics", 5},
        {"RunbookDiagrams", 1},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(sets); i++) {
        int n = entries(f, sets[i].set);
        if (n < sets[i].min)
            fail_msg("%s: %d entries, wanted at least %d", sets[i].set, n,
                     sets[i].min);
    }
    char path[256];
    /* the finished job: its instance, parameters in and out, activities */
    snprintf(path, sizeof path, "Jobs(guid'%s')", f->done_guid);
    reply r = get(f, path);
    expect_text(r.xml, "//d:Status", "Completed");
    expect_text(r.xml, "//d:RunbookId", f->hello);
    expect_text(r.xml, "//d:CreatedBy", "alice");
    char *server = xtext(r.xml, "//d:RunbookServerId");
    assert_true(strlen(server) == 36);
    reply_free(&r);
    snprintf(path, sizeof path, "Jobs(guid'%s')/RunbookServer", f->done_guid);
    r = get(f, path);
    expect_text(r.xml, "//d:Name", "rb1");
    expect_text(r.xml, "//d:Id", server);
    reply_free(&r);
    /* a finished job's server is looked up only when needed, but wherever
     * it is read: $filter, $orderby, joins both ways, a property */
    snprintf(path, sizeof path, "Jobs?$filter=RunbookServerId eq guid'%s'", server);
    assert_int_equal(entries(f, path), 1);
    r = get(f, "Jobs?$orderby=RunbookServerId desc&$top=1");
    expect_text(r.xml, "//d:Id", f->done_guid);
    reply_free(&r);
    snprintf(path, sizeof path, "RunbookServers(guid'%s')/Jobs", server);
    assert_int_equal(entries(f, path), 1);
    snprintf(path, sizeof path,
             "RunbookInstances?$filter=Job/RunbookServerId eq guid'%s'", server);
    assert_int_equal(entries(f, path), 1);
    snprintf(path, sizeof path, "Jobs(guid'%s')/RunbookServerId/$value",
             f->done_guid);
    r = get(f, path);
    assert_string_equal(bt_buf_str(&r.body), server);
    reply_free(&r);
    free(server);

    snprintf(path, sizeof path, "Jobs(guid'%s')/Instances", f->done_guid);
    r = get(f, path);
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 1);
    expect_text(r.xml, "//d:Status", "Success");
    char *inst = xtext(r.xml, "//d:Id");
    reply_free(&r);
    /* read for that job alone, it equals the whole set filtered */
    snprintf(path, sizeof path, "Jobs(guid'%s')/Instances?$format=json",
             f->done_guid);
    char *c1, *c2;
    json_t *one = all_ids(f, path, &c1);
    snprintf(path, sizeof path,
             "RunbookInstances?$filter=JobId eq guid'%s'&$format=json",
             f->done_guid);
    json_t *all = all_ids(f, path, &c2);
    assert_int_equal(json_array_size(one), 1);
    assert_true(json_equal(one, all));
    json_decref(one);
    json_decref(all);
    free(c1);
    free(c2);
    /* a pending job has none */
    r = get(f, "Jobs?$filter=Status eq 'Pending'&$top=1");
    char *pending = xtext(r.xml, "//d:Id");
    reply_free(&r);
    snprintf(path, sizeof path, "Jobs(guid'%s')/Instances", pending);
    assert_int_equal(entries(f, path), 0);
    free(pending);
    snprintf(path, sizeof path, "RunbookInstances(guid'%s')/Parameters", inst);
    r = get(f, path);
    expect_text(r.xml, "//m:properties[d:Direction='In']/d:Value", "web01");
    expect_text(r.xml, "//m:properties[d:Direction='Out']/d:Value", "hi web01");
    expect_text(r.xml, "//m:properties[d:Direction='In']/d:Name", "host");
    reply_free(&r);
    snprintf(path, sizeof path, "RunbookInstances(guid'%s')/ActivityInstances",
             inst);
    r = get(f, path);
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 2);
    expect_text(r.xml, "//m:properties[d:SequenceNumber='2']/d:Status",
                "success");
    char *act = xtext(r.xml, "//m:properties[d:SequenceNumber='2']/d:Id");
    reply_free(&r);
    snprintf(path, sizeof path, "ActivityInstances(guid'%s')/Data", act);
    r = get(f, path);
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 2);
    expect_text(r.xml, "//m:properties[d:GroupId='1']/d:Value",
                "second <row> & more");
    reply_free(&r);
    snprintf(path, sizeof path, "ActivityInstances(guid'%s')/Activity", act);
    r = get(f, path);
    expect_text(r.xml, "//d:TypeName", "return-data");
    reply_free(&r);
    free(act);
    free(inst);

    r = get(f, "Events");
    expect_text(r.xml, "//d:Type", "Warning");
    expect_text(r.xml, "//d:Summary", "disk almost full");
    expect_text(r.xml, "//d:SourceName", "rb1");
    reply_free(&r);
    r = get(f, "Statistics?$filter=Criteria eq 'Pending'");
    expect_text(r.xml, "//d:Value", "120");
    reply_free(&r);

    snprintf(path, sizeof path, "RunbookDiagrams(guid'%s')", f->hello);
    r = get(f, path);
    expect_text(r.xml, "//d:ContentType", "image/svg+xml");
    reply_free(&r);
    snprintf(path, sizeof path, "RunbookDiagrams(guid'%s')/$value", f->hello);
    r = get(f, path);
    expect_status(&r, 200, path);
    assert_non_null(strstr(r.content_type, "image/svg+xml"));
    assert_non_null(strstr(bt_buf_str(&r.body), "<svg"));
    assert_non_null(strstr(bt_buf_str(&r.body), "initialize-data"));
    reply_free(&r);
    r = get(f, "Jobs/$count");
    assert_string_equal(bt_buf_str(&r.body), "121");
    reply_free(&r);
    /* a key lookup reads only its entity; joins after it see every job */
    snprintf(path, sizeof path, "Jobs(guid'%s')/Runbook/Jobs/$count", f->done_guid);
    r = get(f, path);
    assert_string_equal(bt_buf_str(&r.body), "121");
    reply_free(&r);
    snprintf(path, sizeof path, "Jobs(guid'%s')?$expand=Runbook/Jobs", f->done_guid);
    r = get(f, path);
    assert_int_equal(xcount(r.xml, "//a:link[@title='Runbook']/m:inline/a:entry/"
                                   "a:link[@title='Jobs']/m:inline/a:feed/a:entry"),
                     121);
    reply_free(&r);
}

/* Number of results of a JSON query. */
static int count_json(fixture *f, const char *path) {
    reply r = get_json(f, path);
    expect_status(&r, 200, path);
    json_t *res = json_object_get(json_object_get(r.json, "d"), "results");
    if (!json_is_array(res)) fail_msg("%s: no d.results", path);
    int n = (int)json_array_size(res);
    reply_free(&r);
    return n;
}

/* Activities placed by the designer (or imported from Orchestrator)
 * report those places, in Orchestrator's terms; the others the layout. */
static void test_drawn_positions(void **state) {
    fixture *f = *state;
    static const char drawn[] =
        "name: Hello\n"
        "folder: /Ops\n"
        "activities:\n"
        "  - {id: start, type: initialize-data, position: {x: 390, y: 177}}\n"
        "  - {id: done, type: return-data}\n"
        "links:\n"
        "  - {from: start, to: done}\n";
    int v = 0;
    OK(bt_store_version_add(f->s, f->hello_id, drawn, "bob", "drawn", &v, &e_));
    /* the box's centre 390,177 is the icon's corner 200,100 */
    assert_int_equal(count_json(f, "Activities?$filter=Name eq 'start' and "
                                   "PositionX eq 200 and PositionY eq 100"),
                     1);
    assert_int_equal(count_json(f, "Activities?$filter=Name eq 'done' and "
                                   "PositionX eq 240 and PositionY eq 40"),
                     1);
    int ox, oy, x, y;
    bt_runbook_position_from_orchestrator(200, 100, &x, &y);
    assert_int_equal(x, 390);
    assert_int_equal(y, 177);
    bt_runbook_position_to_orchestrator(10, 10, &ox, &oy);
    assert_int_equal(ox, 0); /* never negative */
    assert_int_equal(oy, 0);
}

static void test_filter_operators(void **state) {
    fixture *f = *state;
    char path[512];
    assert_int_equal(count_json(f, "Runbooks?$filter=Name eq 'hello'"), 1);
    assert_int_equal(count_json(f, "Runbooks?$filter=Name ne 'Hello'"), 1);
    assert_int_equal(count_json(f, "Runbooks?$filter=CheckedOutBy eq null"), 2);
    assert_int_equal(count_json(f, "Runbooks?$filter=CheckedOutBy ne null"), 0);
    snprintf(path, sizeof path, "Runbooks?$filter=Id eq guid'%s'", f->hello);
    assert_int_equal(count_json(f, path), 1);
    snprintf(path, sizeof path, "RunbookParameters?$filter=RunbookId eq guid'%s'",
             f->hello);
    assert_int_equal(count_json(f, path), 5);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=startswith(Name,'co')"), 1);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=endswith(Name,'ST')"), 1);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=substringof('od',Name)"), 1);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=Name eq 'host' or Name eq 'flag'"), 2);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=Direction eq 'In' and "
                                   "not startswith(Name,'h')"), 3);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=not (Direction eq 'In')"), 1);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=tolower(Type) eq 'integer'"), 1);
    assert_int_equal(count_json(f, "RunbookParameters?$filter=length(Name) eq 4"), 3);
    /* numbers: layout positions 40 and 240 */
    assert_int_equal(count_json(f, "Activities?$filter=PositionX gt 40"), 1);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX ge 40"), 2);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX lt 240"), 1);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX le 240"), 2);
    assert_int_equal(count_json(f, "Activities?$filter=Enabled eq true and HasBreakpoint eq false"), 2);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX add 10 eq 50"), 1);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX sub 40 eq 0"), 1);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX mul 2 sub 80 eq 400"), 1);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX div 2 gt 100"), 1);
    assert_int_equal(count_json(f, "Activities?$filter=PositionX mod 200 eq 40"), 2);
    assert_int_equal(count_json(f, "Activities?$filter=round(PositionX div 3) eq 13 "
                                   "and floor(1.5) eq 1 and ceiling(1.5) eq 2"), 1);
    /* through a single-valued navigation property */
    assert_int_equal(count_json(f, "RunbookParameters?$filter=Runbook/Name eq 'hello'"), 5);
    assert_int_equal(count_json(f, "Jobs?$filter=Runbook/Path eq '\\Runbooks\\Ops\\Hello'"
                                   " and Status eq 'Completed'"), 1);
    /* dates */
    assert_int_equal(count_json(f, "ActivityInstances?$filter=StartTime lt datetime'1971-01-01T00:00:00'"), 2);
    assert_int_equal(count_json(f, "ActivityInstances?$filter=StartTime gt datetime'1970-01-01T00:00:00.0025'"), 1);
    assert_int_equal(count_json(f, "Jobs?$filter=CreationTime gt datetime'2000-01-01T00:00'&$top=5"), 5);
    assert_int_equal(count_json(f, "Jobs?$filter=Status eq 'Completed'"), 1);
    assert_int_equal(count_json(f, "Jobs?$filter=(Status eq 'Completed' or Status eq 'Running') and CreatedBy eq 'alice'"), 1);

    /* errors come in OData's shape: unknown property, bad syntax */
    reply r = get_json(f, "Runbooks?$filter=Nope eq 1");
    expect_status(&r, 400, "unknown property");
    json_t *e = json_object_get(r.json, "error");
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(e, "message"), "value")),
                           "Nope"));
    reply_free(&r);
    expect_odata_error(f, "GET", "Runbooks?$filter=Name eq 'x", NULL, 400);
    expect_odata_error(f, "GET", "Runbooks?$filter=Jobs/Status eq 'x'", NULL, 400);
    expect_odata_error(f, "GET", "Runbooks?$filter=bogus(Name)", NULL, 400);
    expect_odata_error(f, "GET", "Runbooks?$orderby=Name sideways", NULL, 400);
}

static void test_paging_next_link_and_inlinecount(void **state) {
    fixture *f = *state;
    reply r = get(f, "Jobs?$inlinecount=allpages&$orderby=CreationTime");
    expect_status(&r, 200, "Jobs");
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 50);
    expect_text(r.xml, "/a:feed/m:count", "121");
    assert_string_equal(r.dsv, "2.0;");
    char *next = xtext(r.xml, "/a:feed/a:link[@rel='next']/@href");
    /* the first job made comes first in CreationTime order */
    expect_text(r.xml, "/a:feed/a:entry[1]//d:Id", f->done_guid);
    reply_free(&r);
    assert_true(!strncmp(next, f->base, strlen(f->base)));
    assert_non_null(strstr(next, "$orderby=CreationTime"));
    int total = 50, pages = 1;
    while (*next) {
        r = get(f, next);
        expect_status(&r, 200, next);
        total += xcount(r.xml, "/a:feed/a:entry");
        pages++;
        free(next);
        next = xtext(r.xml, "/a:feed/a:link[@rel='next']/@href");
        reply_free(&r);
        assert_true(pages < 10);
    }
    free(next);
    assert_int_equal(total, 121);
    assert_int_equal(pages, 3);

    /* $top above the page: 50 now, the rest behind the next link */
    r = get(f, "Jobs?$top=60");
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 50);
    next = xtext(r.xml, "/a:feed/a:link[@rel='next']/@href");
    reply_free(&r);
    r = get(f, next);
    assert_int_equal(xcount(r.xml, "/a:feed/a:entry"), 10);
    assert_int_equal(xcount(r.xml, "/a:feed/a:link[@rel='next']"), 0);
    reply_free(&r);
    free(next);
    assert_int_equal(entries(f, "Jobs?$skip=100"), 21);
    assert_int_equal(entries(f, "Jobs?$skip=200"), 0);
    assert_int_equal(entries(f, "Jobs?$top=0"), 0);

    /* JSON: __count as text and __next */
    r = get_json(f, "Jobs?$inlinecount=allpages");
    json_t *d = json_object_get(r.json, "d");
    assert_string_equal(json_string_value(json_object_get(d, "__count")), "121");
    assert_non_null(strstr(json_string_value(json_object_get(d, "__next")),
                           "$skiptoken=50"));
    reply_free(&r);
    /* descending order, stable across pages */
    r = get_json(f, "Jobs?$orderby=CreationTime desc&$top=1&$select=Id");
    json_t *first = json_array_get(json_object_get(json_object_get(r.json, "d"),
                                                   "results"), 0);
    assert_string_not_equal(json_string_value(json_object_get(first, "Id")),
                            f->done_guid);
    assert_null(json_object_get(first, "Status"));
    reply_free(&r);
    expect_odata_error(f, "GET", "Jobs?$top=-1", NULL, 400);
    expect_odata_error(f, "GET", "Jobs?$inlinecount=some", NULL, 400);
}

/* Two queries that must answer the same feed: every page's Ids and the
 * $inlinecount. fast is named in the failure. */
static void expect_same_feed(fixture *f, const char *fast, const char *slow) {
    char *cf, *cs;
    json_t *a = all_ids(f, fast, &cf), *b = all_ids(f, slow, &cs);
    if (!json_equal(a, b) || strcmp(cf, cs))
        fail_msg("%s: %zu entries (count %s), the generic path %zu (count %s)",
                 fast, json_array_size(a), cf, json_array_size(b), cs);
    json_decref(a);
    json_decref(b);
    free(cf);
    free(cs);
}

/* The Jobs feed answered by the store (filters, order and window pushed
 * down) must equal the generic path's answer: the same query with a term
 * the store is not given ("CreatedBy ne ...", true for every job) takes
 * the generic path. Jobs of three statuses and two runbooks, created in
 * one transaction, so CreationTime ties break on the Id. */
static void test_jobs_pushdown_matches_generic(void **state) {
    fixture *f = *state;
    bt_store_runbook rb = {0};
    bt_store_folder folder = {0};
    OK(bt_store_folder_get(f->s, "/Ops", &folder, &e_));
    OK(bt_store_runbook_create(f->s, folder.id, "Other", NULL, &rb, &e_));
    bt_store_folder_clear(&folder);
    int v = 0;
    OK(bt_store_version_add(f->s, rb.id, HELLO_YAML, "bob", "first", &v, &e_));
    bt_store_job_spec spec = {.runbook_id = rb.id,
                              .parameters = "{\"host\":\"db01\"}",
                              .created_by = "bob"};
    for (int i = 0; i < 40; i++) {
        bt_store_job job = {0};
        OK(bt_store_job_create(f->s, &spec, &job, &e_));
        if (i % 3 == 0)
            OK(bt_store_job_set_status(f->s, job.id, BT_JOB_CANCELED, 0, &e_));
        bt_store_job_clear(&job);
    }
    char other[BT_GUID_LEN], upper[BT_GUID_LEN];
    snprintf(other, sizeof other, "%s", rb.guid);
    for (size_t i = 0; i < sizeof upper; i++)
        upper[i] = (char)toupper((unsigned char)rb.guid[i]);
    bt_store_runbook_clear(&rb);
    /* a creation time in the middle, as Atom writes it */
    reply r = get(f, "Jobs?$orderby=CreationTime&$skip=80&$top=1");
    char *mid = xtext(r.xml, "/a:feed/a:entry[1]//d:CreationTime");
    reply_free(&r);
    assert_true(*mid);

    char filters[20][200];
    size_t nf = 0;
    char sp[128];
    snprintf(sp, sizeof sp, "Jobs(guid'%s')/RunbookServerId/$value", f->done_guid);
    reply rs = get(f, sp);
    char *server = bt_xstrdup(bt_buf_str(&rs.body));
    reply_free(&rs);
    assert_int_equal(strlen(server), 36);
    snprintf(filters[nf++], 200, "%s", "");
    snprintf(filters[nf++], 200, "Status eq 'Pending'");
    snprintf(filters[nf++], 200, "Status eq 'canceled'");
    snprintf(filters[nf++], 200, "Status eq 'Nope'");
    snprintf(filters[nf++], 200, "Status eq 'Pending' and Status eq 'Canceled'");
    snprintf(filters[nf++], 200, "RunbookId eq guid'%s'", other);
    snprintf(filters[nf++], 200, "RunbookId eq '{%s}' and Status eq 'Pending'", upper);
    snprintf(filters[nf++], 200, "RunbookId eq guid'%s'", "00000000-0000-0000-0000-000000000000");
    snprintf(filters[nf++], 200, "Id eq guid'%s'", f->done_guid);
    snprintf(filters[nf++], 200, "Id eq guid'%s' and Status eq 'Pending'", f->done_guid);
    snprintf(filters[nf++], 200, "CreationTime ge datetime'%s'", mid);
    snprintf(filters[nf++], 200, "CreationTime lt datetime'%s'", mid);
    snprintf(filters[nf++], 200, "CreationTime eq datetime'%s'", mid);
    snprintf(filters[nf++], 200, "CreationTime gt datetime'%s' and "
             "CreationTime le datetime'2999-01-01T00:00'", mid);
    snprintf(filters[nf++], 200, "RunbookServerId eq guid'%s'", server);
    snprintf(filters[nf++], 200, "RunbookServerId eq '{%s}' and Status eq "
             "'Completed'", server);
    snprintf(filters[nf++], 200, "RunbookServerId eq guid'%s'",
             "00000000-0000-0000-0000-000000000002");
    free(server);
    static const char *const orders[] = {"", "Id", "Id desc", "CreationTime",
                                         "CreationTime desc"};
    static const char *const windows[] = {"", "&$top=7", "&$skip=45",
                                          "&$skip=3&$top=60", "&$top=0",
                                          "&$skiptoken=50"};
    for (size_t i = 0; i < nf; i++)
        for (size_t o = 0; o < BT_ARRAY_LEN(orders); o++)
            for (size_t w = 0; w < BT_ARRAY_LEN(windows); w++) {
                const char *ob = *orders[o] ? "&$orderby=" : "";
                char *fast = bt_xasprintf(
                    "Jobs?$inlinecount=allpages%s%s%s%s%s",
                    *filters[i] ? "&$filter=" : "", filters[i], ob, orders[o],
                    windows[w]);
                char *slow = bt_xasprintf(
                    "Jobs?$inlinecount=allpages&$filter=%s%sCreatedBy ne "
                    "'nobody'%s%s%s",
                    filters[i], *filters[i] ? " and " : "", ob, orders[o],
                    windows[w]);
                expect_same_feed(f, fast, slow);
                free(fast);
                free(slow);
            }
    /* and the pushed-down answers are the expected ones */
    char path[256];
    assert_int_equal(count_json(f, "Jobs?$filter=Status eq 'Canceled'"), 14);
    snprintf(path, sizeof path, "Jobs?$filter=RunbookId eq guid'%s'", other);
    char *c;
    json_t *ids = all_ids(f, path, &c);
    assert_int_equal(json_array_size(ids), 40);
    json_decref(ids);
    free(c);
    free(mid);
}

/* Every entity of a one-page JSON feed (d.results), a new reference. */
static json_t *feed_rows(fixture *f, const char *path) {
    char *enc = encode(path);
    reply r = get_json(f, enc);
    expect_status(&r, 200, path);
    json_t *res = json_object_get(json_object_get(r.json, "d"), "results");
    if (!json_is_array(res)) fail_msg("%s: no d.results", path);
    json_t *out = json_incref(res);
    reply_free(&r);
    free(enc);
    return out;
}

/* The scoped reads (a key, a navigation from one entity, a filter on a
 * parent's key: odata_store.c reads only those rows) must answer what
 * the generic path answers from the whole set: "not (P ne K)" asks the
 * same but cannot be scoped. Two finished jobs, so a scope that leaked
 * another instance's rows would show. */
static void test_scoped_reads_match_generic(void **state) {
    fixture *f = *state;
    bt_store_job_spec spec = {.runbook_id = f->hello_id,
                              .parameters = "{\"host\":\"db02\"}",
                              .created_by = "bob"};
    bt_store_job job = {0};
    OK(bt_store_job_create(f->s, &spec, &job, &e_));
    OK(bt_store_job_set_status(f->s, job.id, BT_JOB_RUNNING, f->server_id,
                               &e_));
    bt_store_instance in = {0};
    OK(bt_store_instance_create(f->s, job.id, f->server_id, &in, &e_));
    bt_store_datum d[] = {{0, "host", "db02"}, {1, "host", "db03"},
                          {2, "host", "db04"}};
    for (unsigned seq = 1; seq <= 3; seq++) {
        bt_store_activity_spec a = {.instance_id = in.id,
                                    .activity_id = seq == 3 ? "done" : "start",
                                    .seq = seq, .attempt = 1,
                                    .start_us = 10 * seq, .end_us = 10 * seq + 5,
                                    .data = d, .n_data = seq};
        OK(bt_store_commit_activity(f->s, f->server_id, &a, NULL, &e_));
    }
    OK(bt_store_instance_finish(f->s, in.id, BT_JOB_FAILED, BT_RESULT_FAILED,
                                NULL, &e_));
    OK(bt_store_job_set_status(f->s, job.id, BT_JOB_FAILED, 0, &e_));
    bt_store_instance_clear(&in);
    bt_store_job_clear(&job);

    static const struct {
        const char *set, *prop, *parent, *nav;
    } scopes[] = {
        {"RunbookInstances", "JobId", "Jobs", "Instances"},
        {"RunbookInstances", "Id", NULL, NULL},
        {"RunbookInstanceParameters", "RunbookInstanceId", "RunbookInstances",
         "Parameters"},
        {"ActivityInstances", "RunbookInstanceId", "RunbookInstances",
         "ActivityInstances"},
        {"ActivityInstances", "Id", NULL, NULL},
        {"ActivityInstanceData", "ActivityInstanceId", "ActivityInstances",
         "Data"},
    };
    char path[512];
    size_t compared = 0;
    for (size_t s = 0; s < BT_ARRAY_LEN(scopes); s++) {
        /* every key the property takes, and two it never takes */
        snprintf(path, sizeof path, "%s?$select=%s", scopes[s].set,
                 scopes[s].prop);
        json_t *all = feed_rows(f, path);
        json_t *keys = json_array();
        size_t i;
        json_t *row;
        json_array_foreach(all, i, row)
            json_array_append(keys, json_object_get(row, scopes[s].prop));
        json_array_append_new(keys, json_string("00000000-0000-0000-0000-000000000001"));
        json_array_append_new(keys, json_string("nope"));
        json_decref(all);
        json_array_foreach(keys, i, row) {
            const char *k = json_string_value(row);
            bool guid = strlen(k) == 36;
            char upper[64];
            snprintf(upper, sizeof upper, "{%s}", k);
            for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
            snprintf(path, sizeof path, "%s?$filter=not (%s ne %s'%s')",
                     scopes[s].set, scopes[s].prop, guid ? "guid" : "", k);
            json_t *want = feed_rows(f, path);
            const char *forms[3];
            char f0[256], f1[256], f2[256];
            snprintf(f0, sizeof f0, "%s?$filter=%s eq guid'%s'", scopes[s].set,
                     scopes[s].prop, k);
            snprintf(f1, sizeof f1, "%s?$filter=%s eq '%s'", scopes[s].set,
                     scopes[s].prop, upper);
            forms[0] = guid ? f0 : NULL; /* guid'nope' is a 400 */
            forms[1] = f1;
            forms[2] = NULL;
            if (scopes[s].nav && guid) {
                snprintf(f2, sizeof f2, "%s(guid'%s')/%s", scopes[s].parent, k,
                         scopes[s].nav);
                forms[2] = f2;
            }
            for (size_t x = 0; x < 3; x++) {
                if (!forms[x]) continue;
                if (x == 2 && !json_array_size(want)) continue; /* 404 */
                json_t *got = feed_rows(f, forms[x]);
                if (!json_equal(got, want)) {
                    char *a = json_dumps(got, JSON_COMPACT);
                    char *b = json_dumps(want, JSON_COMPACT);
                    fail_msg("%s: %s\nthe whole set filtered: %s", forms[x], a, b);
                }
                json_decref(got);
                compared++;
            }
            json_decref(want);
        }
        json_decref(keys);
    }
    assert_true(compared > 30);
    /* a key lookup of one of them equals its row in the whole set */
    json_t *acts = feed_rows(f, "ActivityInstances");
    assert_int_equal(json_array_size(acts), 5);
    size_t i;
    json_t *row;
    json_array_foreach(acts, i, row) {
        snprintf(path, sizeof path, "ActivityInstances(guid'%s')?$format=json",
                 json_string_value(json_object_get(row, "Id")));
        reply r = get(f, path);
        expect_status(&r, 200, path);
        json_t *one = json_loads(bt_buf_str(&r.body), 0, NULL);
        json_t *d1 = json_object_get(one, "d");
        json_t *e1 = json_object_get(d1, "results");
        if (!json_equal(e1 ? e1 : d1, row)) fail_msg("%s differs", path);
        json_decref(one);
        reply_free(&r);
    }
    json_decref(acts);
    /* Jobs/$count is the store's count, with or without a filter */
    static const char *const counts[][2] = {
        {"Jobs/$count", "Jobs/$count?$filter=not (Status eq 'Nope')"},
        {"Jobs/$count?$filter=Status eq 'Pending'",
         "Jobs/$count?$filter=not (Status ne 'Pending')"},
        {"Jobs/$count?$filter=Status eq 'Failed'",
         "Jobs/$count?$filter=not (Status ne 'Failed')"},
    };
    for (size_t c = 0; c < BT_ARRAY_LEN(counts); c++) {
        char *a = encode(counts[c][0]), *b = encode(counts[c][1]);
        reply ra = get(f, a), rb = get(f, b);
        expect_status(&ra, 200, a);
        assert_string_equal(bt_buf_str(&ra.body), bt_buf_str(&rb.body));
        reply_free(&ra);
        reply_free(&rb);
        free(a);
        free(b);
    }
    reply r = get(f, "Jobs/$count?$filter=Status%20eq%20'Failed'");
    assert_string_equal(bt_buf_str(&r.body), "1");
    reply_free(&r);
}

/* The RunbookInstances and ActivityInstances feeds paged by the store
 * (odata_window.c) equal the generic path's pages: an always-true filter
 * takes that path. 70 finished jobs, 140 activity instances: more than a
 * server page of each. */
static void test_instance_pages_match_generic(void **state) {
    fixture *f = *state;
    bt_store_job_filter jf = {.any_status = false, .status = BT_JOB_PENDING,
                              .limit = 70};
    bt_store_job *jobs = NULL;
    size_t nj = 0;
    int64_t next = 0;
    OK(bt_store_job_list(f->s, &jf, &jobs, &nj, &next, &e_));
    assert_int_equal(nj, 70);
    bt_store_datum d[] = {{0, "n", "1"}};
    /* one job in seven runs on a second server */
    int64_t rb2 = 0;
    OK(bt_store_server_register(f->s, "rb2", "0.1.0", 60000, &rb2, &e_));
    for (size_t j = 0; j < nj; j++) {
        int64_t srv = j % 7 ? f->server_id : rb2;
        OK(bt_store_job_set_status(f->s, jobs[j].id, BT_JOB_RUNNING, srv,
                                   &e_));
        bt_store_instance in = {0};
        OK(bt_store_instance_create(f->s, jobs[j].id, srv, &in, &e_));
        for (unsigned seq = 1; seq <= 2; seq++) {
            bt_store_activity_spec a = {.instance_id = in.id,
                                        .activity_id = seq == 1 ? "start"
                                                                : "done",
                                        .seq = seq, .attempt = 1,
                                        .start_us = seq, .end_us = seq + 1,
                                        .data = d, .n_data = 1};
            OK(bt_store_commit_activity(f->s, srv, &a, NULL, &e_));
        }
        /* every state an instance can show: one in five still running */
        static const struct {
            bt_job_status st;
            bt_result result;
        } ends[] = {{BT_JOB_RUNNING, 0},
                    {BT_JOB_FAILED, BT_RESULT_FAILED},
                    {BT_JOB_CANCELED, BT_RESULT_WARNING},
                    {BT_JOB_COMPLETED, BT_RESULT_WARNING},
                    {BT_JOB_COMPLETED, BT_RESULT_SUCCESS}};
        if (ends[j % 5].st != BT_JOB_RUNNING) {
            OK(bt_store_instance_finish(f->s, in.id, ends[j % 5].st,
                                        ends[j % 5].result, NULL, &e_));
            OK(bt_store_job_set_status(f->s, jobs[j].id, BT_JOB_COMPLETED, 0,
                                       &e_));
        }
        bt_store_instance_clear(&in);
    }
    bt_store_job_list_free(jobs, nj);
    char by_runbook[160];
    snprintf(by_runbook, sizeof by_runbook,
             "RunbookId eq guid'%s' and Status eq 'warning'", f->hello);
    char sp[128];
    snprintf(sp, sizeof sp, "Jobs(guid'%s')/RunbookServerId/$value", f->done_guid);
    reply rs = get(f, sp);
    char server[BT_GUID_LEN];
    snprintf(server, sizeof server, "%s", bt_buf_str(&rs.body));
    reply_free(&rs);
    char by_server[160], by_server_failed[200];
    snprintf(by_server, sizeof by_server, "RunbookServerId eq guid'%s'", server);
    snprintf(by_server_failed, sizeof by_server_failed,
             "Status eq 'Failed' and RunbookServerId eq guid'%s'", server);
    char slow_server[160], slow_server_failed[200];
    snprintf(slow_server, sizeof slow_server,
             "not (RunbookServerId ne guid'%s')", server);
    snprintf(slow_server_failed, sizeof slow_server_failed,
             "not (RunbookServerId ne guid'%s') and not (Status ne 'Failed')",
             server);
    /* [set, $filter the store takes or "", the same the generic way] */
    const char *sets[][3] = {
        {"RunbookInstances", "", "Status ne 'Nope'"},
        {"ActivityInstances", "", "SequenceNumber ge 0"},
        {"RunbookInstances", "Status eq 'InProgress'", "not (Status ne 'InProgress')"},
        {"RunbookInstances", "Status eq 'Success'", "not (Status ne 'Success')"},
        {"RunbookInstances", "Status eq 'failed'", "not (Status ne 'Failed')"},
        {"RunbookInstances", "Status eq 'Canceled'", "not (Status ne 'Canceled')"},
        {"RunbookInstances", "Status eq 'Nope'", "not (Status ne 'Nope')"},
        {"RunbookInstances", "Status eq 'Success' and Status eq 'Failed'",
         "not (Status ne 'Success') and not (Status ne 'Failed')"},
        {"RunbookInstances", by_runbook, "Status ne 'x' and Status eq 'Warning'"},
        {"RunbookInstances", by_server, slow_server},
        {"RunbookInstances", by_server_failed, slow_server_failed},
    };
    static const char *const orders[] = {"", "&$orderby=Id",
                                         "&$orderby=Id desc"};
    static const char *const windows[] = {"", "&$top=7", "&$skip=45",
                                          "&$skip=3&$top=60", "&$top=0",
                                          "&$skiptoken=50", "&$skip=500"};
    for (size_t k = 0; k < BT_ARRAY_LEN(sets); k++)
        for (size_t o = 0; o < BT_ARRAY_LEN(orders); o++)
            for (size_t w = 0; w < BT_ARRAY_LEN(windows); w++) {
                char *fast = bt_xasprintf("%s?$inlinecount=allpages%s%s%s%s",
                                          sets[k][0], *sets[k][1] ? "&$filter=" : "",
                                          sets[k][1], orders[o], windows[w]);
                char *slow = bt_xasprintf("%s?$inlinecount=allpages&$filter=%s%s%s",
                                          sets[k][0], sets[k][2], orders[o],
                                          windows[w]);
                expect_same_feed(f, fast, slow);
                /* and the entries themselves, property for property */
                json_t *ra = feed_rows(f, fast), *rb = feed_rows(f, slow);
                if (!json_equal(ra, rb)) fail_msg("%s: entries differ", fast);
                json_decref(ra);
                json_decref(rb);
                free(fast);
                free(slow);
            }
    /* a runbook's jobs and instances (a navigation, asked of the store as
     * a filter) equal the whole set filtered the generic way */
    const char *rbs[] = {f->hello, f->empty, "00000000-0000-0000-0000-000000000001"};
    static const char *const navs[][3] = {
        {"Jobs", "Jobs", ""},
        {"Jobs", "Jobs", "Status eq 'Pending'"},
        {"Instances", "RunbookInstances", ""},
        {"Instances", "RunbookInstances", "Status eq 'Success'"},
    };
    static const char *const nav_windows[] = {"", "&$top=7&$orderby=Id desc",
                                              "&$skip=45", "&$skiptoken=50"};
    for (size_t k = 0; k < BT_ARRAY_LEN(rbs); k++)
        for (size_t v = 0; v < BT_ARRAY_LEN(navs); v++)
            for (size_t w = 0; w < BT_ARRAY_LEN(nav_windows); w++) {
                const char *ff = navs[v][2];
                char *nav = bt_xasprintf(
                    "Runbooks(guid'%s')/%s?$inlinecount=allpages%s%s%s", rbs[k],
                    navs[v][0], *ff ? "&$filter=" : "", ff, nav_windows[w]);
                char *slow = bt_xasprintf(
                    "%s?$inlinecount=allpages&$filter=not (RunbookId ne "
                    "guid'%s')%s%s%s", navs[v][1], rbs[k], *ff ? " and " : "",
                    ff, nav_windows[w]);
                reply probe = get(f, nav);
                if (k == 2) { /* no such runbook */
                    expect_status(&probe, 404, nav);
                    reply_free(&probe);
                    free(nav);
                    free(slow);
                    continue;
                }
                reply_free(&probe);
                expect_same_feed(f, nav, slow);
                free(nav);
                free(slow);
            }
    /* and a server's, the same way */
    static const char *const server_navs[][2] = {{"Jobs", "Jobs"},
                                                 {"Instances", "RunbookInstances"}};
    for (size_t v = 0; v < BT_ARRAY_LEN(server_navs); v++)
        for (size_t w = 0; w < BT_ARRAY_LEN(nav_windows); w++) {
            char *nav = bt_xasprintf(
                "RunbookServers(guid'%s')/%s?$inlinecount=allpages%s", server,
                server_navs[v][0], nav_windows[w]);
            char *slow = bt_xasprintf(
                "%s?$inlinecount=allpages&$filter=not (RunbookServerId ne "
                "guid'%s')%s", server_navs[v][1], server, nav_windows[w]);
            expect_same_feed(f, nav, slow);
            free(nav);
            free(slow);
        }
    char nav_count[160];
    snprintf(nav_count, sizeof nav_count, "Runbooks(guid'%s')/Instances/$count",
             f->hello);
    reply rc = get(f, nav_count);
    assert_string_equal(bt_buf_str(&rc.body), "71");
    reply_free(&rc);
    snprintf(nav_count, sizeof nav_count,
             "Runbooks(guid'%s')/Jobs/$count?$filter=Status%%20eq%%20'Completed'",
             f->hello);
    rc = get(f, nav_count);
    assert_string_equal(bt_buf_str(&rc.body), "57"); /* 56 and the seed's */
    reply_free(&rc);
    snprintf(nav_count, sizeof nav_count, "Runbooks(guid'%s')/Instances/$count",
             f->empty);
    rc = get(f, nav_count);
    assert_string_equal(bt_buf_str(&rc.body), "0");
    reply_free(&rc);
    /* the counts the store makes, and the generic path's */
    static const char *const counts[][2] = {
        {"ActivityInstances/$count", "142"},
        {"ActivityInstances/$count?$filter=SequenceNumber%20ge%200", "142"},
        {"RunbookInstances/$count", "71"},
        {"RunbookInstances/$count?$filter=Status%20ne%20'Nope'", "71"},
        {"RunbookInstances/$count?$filter=Status%20eq%20'InProgress'", "14"},
        {"RunbookInstances/$count?$filter=Status%20eq%20'Success'", "15"},
        {"RunbookInstances/$count?$filter=Status%20eq%20'Warning'", "14"},
    };
    for (size_t k = 0; k < BT_ARRAY_LEN(counts); k++) {
        reply r = get(f, counts[k][0]);
        expect_status(&r, 200, counts[k][0]);
        assert_string_equal(bt_buf_str(&r.body), counts[k][1]);
        reply_free(&r);
    }
    char *c;
    json_t *ids = all_ids(f, "RunbookInstances", &c);
    assert_int_equal(json_array_size(ids), 71);
    json_decref(ids);
    free(c);
    /* an expanded page read through the store reads each entry's
     * navigations alone; it equals the generic path's, property for
     * property */
    static const char *const expanded[][2] = {
        {"RunbookInstances?$format=json&$expand=Parameters,ActivityInstances/Data,Job&$top=9",
         "RunbookInstances?$format=json&$expand=Parameters,ActivityInstances/Data,Job&$top=9"
         "&$filter=Status ne 'Nope'"},
        {"Jobs?$format=json&$expand=Instances/ActivityInstances,Runbook&$orderby=Id desc&$top=9",
         "Jobs?$format=json&$expand=Instances/ActivityInstances,Runbook&$orderby=Id desc&$top=9"
         "&$filter=CreatedBy ne 'nobody'"},
    };
    for (size_t k = 0; k < BT_ARRAY_LEN(expanded); k++) {
        json_t *ra = feed_rows(f, expanded[k][0]), *rb = feed_rows(f, expanded[k][1]);
        assert_int_equal(json_array_size(ra), 9);
        if (!json_equal(ra, rb)) fail_msg("%s: entries differ", expanded[k][0]);
        json_decref(ra);
        json_decref(rb);
    }
    /* and is never kept: an instance ending changes no job row */
    bt_store_instance_state want = BT_INSTANCE_RUNNING;
    char exp_path[200];
    snprintf(exp_path, sizeof exp_path,
             "Runbooks(guid'%s')/Jobs?$format=json&$expand=Instances"
             "&$filter=Status eq 'Running'&$top=1", f->hello);
    for (int round = 0; round < 2; round++) {
        json_t *rows = feed_rows(f, exp_path);
        json_t *ins = json_object_get(json_array_get(rows, 0), "Instances");
        json_t *in0 = json_array_get(json_object_get(ins, "results"), 0);
        if (!in0) in0 = json_array_get(ins, 0);
        assert_non_null(in0);
        assert_string_equal(json_string_value(json_object_get(in0, "Status")),
                            want == BT_INSTANCE_RUNNING ? "InProgress" : "Success");
        if (!round) {
            bt_store_instance got = {0};
            OK(bt_store_instance_get_guid(
                f->s, json_string_value(json_object_get(in0, "Id")), &got, &e_));
            OK(bt_store_instance_finish(f->s, got.id, BT_JOB_COMPLETED,
                                        BT_RESULT_SUCCESS, NULL, &e_));
            bt_store_instance_clear(&got);
            want = BT_INSTANCE_SUCCEEDED;
        }
        json_decref(rows);
    }
}

static void test_select_and_expand(void **state) {
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "Runbooks(guid'%s')?$select=Name,Path", f->hello);
    reply r = get(f, path);
    assert_int_equal(xcount(r.xml, "//m:properties/*"), 2);
    expect_text(r.xml, "//m:properties/*[1]", "Hello");
    assert_int_equal(xcount(r.xml, "/a:entry/a:link[@title='Parameters']"), 0);
    reply_free(&r);

    snprintf(path, sizeof path, "Runbooks(guid'%s')?$expand=Parameters,Folder",
             f->hello);
    r = get(f, path);
    expect_status(&r, 200, path);
    assert_int_equal(xcount(r.xml, "/a:entry/a:link[@title='Parameters']/m:inline/"
                                   "a:feed/a:entry"), 5);
    expect_text(r.xml, "/a:entry/a:link[@title='Folder']/m:inline/a:entry//d:Name",
                "Ops");
    reply_free(&r);

    /* nested, in JSON */
    snprintf(path, sizeof path,
             "Jobs(guid'%s')?$expand=Instances/ActivityInstances/Data", f->done_guid);
    r = get_json(f, path);
    json_t *inst = json_array_get(json_object_get(json_object_get(
        json_object_get(r.json, "d"), "Instances"), "results"), 0);
    json_t *acts = json_object_get(json_object_get(inst, "ActivityInstances"),
                                   "results");
    assert_int_equal(json_array_size(acts), 2);
    json_t *data = json_object_get(json_object_get(json_array_get(acts, 1), "Data"),
                                   "results");
    assert_int_equal(json_array_size(data), 2);
    /* not expanded: deferred */
    assert_non_null(json_object_get(json_object_get(inst, "Parameters"),
                                    "__deferred"));
    reply_free(&r);

    snprintf(path, sizeof path, "Runbooks?$expand=Jobs&$select=Name,Jobs&"
                                "$filter=Name eq 'Empty'");
    r = get_json(f, path);
    json_t *rb = json_array_get(json_object_get(json_object_get(r.json, "d"),
                                                "results"), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(rb, "Jobs"),
                                                     "results")), 0);
    assert_null(json_object_get(rb, "Path"));
    reply_free(&r);
    expect_odata_error(f, "GET", "Runbooks?$expand=Nope", NULL, 400);
    expect_odata_error(f, "GET", "Runbooks?$select=Nope", NULL, 400);
}

static void test_json_verbose(void **state) {
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "Jobs(guid'%s')", f->done_guid);
    reply r = get_json(f, path);
    expect_status(&r, 200, path);
    assert_non_null(strstr(r.content_type, "application/json"));
    json_t *d = json_object_get(r.json, "d");
    json_t *meta = json_object_get(d, "__metadata");
    assert_string_equal(json_string_value(json_object_get(meta, "type")),
                        "Microsoft.SystemCenter.Orchestrator.WebService.Job");
    assert_non_null(strstr(json_string_value(json_object_get(meta, "uri")),
                           f->done_guid));
    const char *created = json_string_value(json_object_get(d, "CreationTime"));
    assert_true(!strncmp(created, "/Date(", 6));
    assert_string_equal(json_string_value(json_object_get(d, "Status")),
                        "Completed");
    assert_true(json_is_false(json_object_get(d, "ParentIsWaiting")));
    assert_non_null(strstr(json_string_value(json_object_get(d, "Parameters")),
                           "<Value>web01</Value>"));
    assert_non_null(json_object_get(json_object_get(d, "Runbook"), "__deferred"));
    reply_free(&r);
    /* $format=json wins over Accept, and atom over JSON Accept */
    snprintf(path, sizeof path, "Jobs(guid'%s')?$format=json", f->done_guid);
    r = get(f, path);
    assert_non_null(r.json);
    reply_free(&r);
    static const char *const h[] = {"Accept: application/json", NULL};
    snprintf(path, sizeof path, "Jobs(guid'%s')?$format=atom", f->done_guid);
    r = http(f, "GET", path, NULL, h);
    assert_non_null(r.xml);
    reply_free(&r);
}

static const char ENTRY_HEAD[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n"
    "<entry xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" "
    "xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\" "
    "xmlns=\"http://www.w3.org/2005/Atom\"><content type=\"application/xml\">"
    "<m:properties>";
static const char ENTRY_TAIL[] = "</m:properties></content></entry>";

static char *param_guid(fixture *f, const char *name) {
    char path[256];
    snprintf(path, sizeof path,
             "RunbookParameters?$filter=RunbookId eq guid'%s' and Name eq '%s'",
             f->hello, name);
    reply r = get(f, path);
    char *g = xtext(r.xml, "//d:Id");
    reply_free(&r);
    assert_int_equal(strlen(g), 36);
    return g;
}

static const char *const ATOM_HEADERS[] = {
    "Content-Type: application/atom+xml",
    "Accept: application/atom+xml,application/xml",
    "DataServiceVersion: 1.0;NetFx", "MaxDataServiceVersion: 2.0;NetFx", NULL};

static bt_store_job job_by_guid(fixture *f, const char *guid) {
    bt_store_job_filter flt = {.any_status = true, .limit = 1000};
    bt_store_job *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(bt_store_job_list(f->s, &flt, &items, &n, &next, &e_));
    bt_store_job out = {0};
    for (size_t i = 0; i < n; i++)
        if (!strcmp(items[i].guid, guid)) OK(bt_store_job_get(f->s, items[i].id, &out, &e_));
    bt_store_job_list_free(items, n);
    if (!out.id) fail_msg("no job %s in the store", guid);
    return out;
}

static void test_start_job_with_atom_entry(void **state) {
    fixture *f = *state;
    char *host = param_guid(f, "host"), *count = param_guid(f, "count");
    /* escaped parameters XML with braces, as the classic script sends */
    char *body = bt_xasprintf(
        "%s<d:RunbookId m:type=\"Edm.Guid\">%s</d:RunbookId>"
        "<d:Parameters>&lt;Data&gt;&lt;Parameter&gt;&lt;ID&gt;{%s}&lt;/ID&gt;"
        "&lt;Value&gt;web&amp;amp;01&lt;/Value&gt;&lt;/Parameter&gt;"
        "&lt;Parameter&gt;&lt;ID&gt;{%s}&lt;/ID&gt;&lt;Value&gt;5&lt;/Value&gt;"
        "&lt;/Parameter&gt;&lt;/Data&gt;</d:Parameters>"
        "<d:RunbookServers>rb2,rb1</d:RunbookServers>%s",
        ENTRY_HEAD, f->hello, host, count, ENTRY_TAIL);
    reply r = http(f, "POST", "Jobs", body, ATOM_HEADERS);
    free(body);
    expect_status(&r, 201, "POST Jobs");
    assert_non_null(strstr(r.content_type, "application/atom+xml"));
    char *id = xtext(r.xml, "/a:entry/a:content/m:properties/d:Id");
    char *want = bt_xasprintf("%s" ROOT "Jobs(guid'%s')", f->base, id);
    assert_string_equal(r.location, want);
    expect_text(r.xml, "//d:Status", "Pending");
    expect_text(r.xml, "//d:RunbookId", f->hello);
    expect_text(r.xml, "//d:RunbookServers", "rb2,rb1");
    char *params = xtext(r.xml, "//d:Parameters");
    assert_non_null(strstr(params, host));
    free(params);
    reply_free(&r);
    bt_store_job job = job_by_guid(f, id);
    json_t *p = json_loads(job.parameters, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(p, "host")), "web&01");
    assert_string_equal(json_string_value(json_object_get(p, "count")), "5");
    json_decref(p);
    assert_int_equal(job.n_targets, 2);
    assert_string_equal(job.targets[0], "rb2");
    assert_int_equal(job.status, BT_JOB_PENDING);
    bt_store_job_clear(&job);
    /* the Location answers */
    r = get(f, want);
    expect_status(&r, 200, want);
    reply_free(&r);
    free(want);
    free(id);

    /* CDATA, no braces, the parameter named instead of its GUID */
    body = bt_xasprintf("%s<d:RunbookId m:type=\"Edm.Guid\">{%s}</d:RunbookId>"
                        "<d:Parameters><![CDATA[<Data><Parameter><ID>%s</ID>"
                        "<Value>db1</Value></Parameter><Parameter><ID>mode</ID>"
                        "<Value>fast</Value></Parameter></Data>]]></d:Parameters>"
                        "<d:Status m:null=\"true\" />%s",
                        ENTRY_HEAD, f->hello, host, ENTRY_TAIL);
    r = http(f, "POST", "Jobs", body, ATOM_HEADERS);
    free(body);
    expect_status(&r, 201, "POST Jobs CDATA");
    reply_free(&r);

    /* the whole entity, as a .NET DataServiceContext sends it */
    body = bt_xasprintf(
        "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>"
        "<entry xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" "
        "xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\" "
        "xmlns=\"http://www.w3.org/2005/Atom\">"
        "<category scheme=\"http://schemas.microsoft.com/ado/2007/08/dataservices/"
        "scheme\" term=\"Microsoft.SystemCenter.Orchestrator.WebService.Job\" />"
        "<title /><author><name /></author><updated>2012-03-25T10:00:00Z</updated>"
        "<id /><content type=\"application/xml\"><m:properties>"
        "<d:CreatedBy m:null=\"true\" />"
        "<d:CreationTime m:type=\"Edm.DateTime\">0001-01-01T00:00:00</d:CreationTime>"
        "<d:Id m:type=\"Edm.Guid\">00000000-0000-0000-0000-000000000000</d:Id>"
        "<d:LastModifiedBy m:null=\"true\" />"
        "<d:LastModifiedTime m:type=\"Edm.DateTime\">0001-01-01T00:00:00"
        "</d:LastModifiedTime>"
        "<d:Parameters>&lt;Data&gt;&lt;Parameter&gt;&lt;ID&gt;%s&lt;/ID&gt;"
        "&lt;Value&gt;  net 01 &lt;/Value&gt;&lt;/Parameter&gt;&lt;/Data&gt;"
        "</d:Parameters>"
        "<d:ParentId m:type=\"Edm.Guid\" m:null=\"true\" />"
        "<d:ParentIsWaiting m:type=\"Edm.Boolean\" m:null=\"true\" />"
        "<d:RunbookId m:type=\"Edm.Guid\">%s</d:RunbookId>"
        "<d:RunbookServerId m:type=\"Edm.Guid\" m:null=\"true\" />"
        "<d:RunbookServers m:null=\"true\" /><d:Status m:null=\"true\" />"
        "</m:properties></content></entry>",
        host, f->hello);
    r = http(f, "POST", "Jobs", body, ATOM_HEADERS);
    free(body);
    expect_status(&r, 201, "POST Jobs as .NET sends it");
    id = xtext(r.xml, "/a:entry/a:content/m:properties/d:Id");
    reply_free(&r);
    job = job_by_guid(f, id);
    assert_non_null(strstr(job.parameters, "\"  net 01 \"")); /* spaces kept */
    assert_int_equal(job.n_targets, 0);
    bt_store_job_clear(&job);
    free(id);

    /* servers by Id as well as by name */
    r = get(f, "RunbookServers");
    char *rb1 = xtext(r.xml, "//d:Id");
    reply_free(&r);
    body = bt_xasprintf("%s<d:RunbookId>%s</d:RunbookId><d:RunbookServers>{%s}; "
                        "rb9</d:RunbookServers><d:Parameters>&lt;Data&gt;"
                        "&lt;Parameter&gt;&lt;ID&gt;host&lt;/ID&gt;&lt;Value&gt;"
                        "x&lt;/Value&gt;&lt;/Parameter&gt;&lt;/Data&gt;"
                        "</d:Parameters>%s",
                        ENTRY_HEAD, f->hello, rb1, ENTRY_TAIL);
    r = http(f, "POST", "Jobs", body, ATOM_HEADERS);
    free(body);
    free(rb1);
    expect_status(&r, 201, "POST Jobs with a server Id");
    expect_text(r.xml, "//d:RunbookServers", "rb1,rb9");
    reply_free(&r);

    /* refusals, each an OData error */
    static const struct {
        const char *props;
        long status;
    } bad[] = {
        {"<d:RunbookId>not-a-guid</d:RunbookId>", 400},
        {"<d:RunbookId>00000000-0000-0000-0000-000000000009</d:RunbookId>", 404},
        {"<d:RunbookId>%s</d:RunbookId>", 400}, /* host is required */
        {"<d:RunbookId>%s</d:RunbookId><d:Parameters>&lt;Data&gt;&lt;Parameter&gt;"
         "&lt;ID&gt;{00000000-0000-0000-0000-000000000001}&lt;/ID&gt;&lt;Value&gt;x"
         "&lt;/Value&gt;&lt;/Parameter&gt;&lt;/Data&gt;</d:Parameters>", 400},
        {"<d:RunbookId>%s</d:RunbookId><d:Parameters>&lt;Data&gt;&lt;Parameter&gt;"
         "&lt;ID&gt;count&lt;/ID&gt;&lt;Value&gt;many&lt;/Value&gt;&lt;/Parameter&gt;"
         "&lt;/Data&gt;</d:Parameters>", 400},
        {"<d:RunbookId>%s</d:RunbookId><d:Parameters>not xml</d:Parameters>", 400},
        {"<d:RunbookId>%s</d:RunbookId><d:Colour>red</d:Colour>", 400},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(bad); i++) {
        char *props = bt_xasprintf(bad[i].props, f->hello);
        body = bt_xasprintf("%s%s%s", ENTRY_HEAD, props, ENTRY_TAIL);
        expect_odata_error(f, "POST", "Jobs", body, bad[i].status);
        free(body);
        free(props);
    }
    body = bt_xasprintf("%s<d:RunbookId>%s</d:RunbookId>%s", ENTRY_HEAD,
                        f->empty, ENTRY_TAIL);
    expect_odata_error(f, "POST", "Jobs", body, 409);
    free(body);
    expect_odata_error(f, "POST", "Jobs", "<entry><unclosed>", 400);
    /* an entity bomb never gets expanded: a DTD is refused */
    body = bt_xasprintf("<?xml version=\"1.0\"?><!DOCTYPE entry [<!ENTITY a "
                        "\"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                        "%s<d:RunbookId>%s</d:RunbookId><d:Parameters>&b;"
                        "</d:Parameters>%s",
                        ENTRY_HEAD + strlen("<?xml version=\"1.0\" encoding=\"utf-8\" "
                                            "standalone=\"yes\"?>\n"),
                        f->hello, ENTRY_TAIL);
    r = http(f, "POST", "Jobs", body, ATOM_HEADERS);
    expect_status(&r, 400, "DTD");
    char *msg = xtext(r.xml, "/m:error/m:message");
    assert_non_null(strstr(msg, "DTD"));
    free(msg);
    reply_free(&r);
    free(body);
    expect_odata_error(f, "POST", "Runbooks", "<entry/>", 405);
    free(host);
    free(count);
}

static void test_start_job_with_json(void **state) {
    fixture *f = *state;
    char *host = param_guid(f, "host");
    char *body = bt_xasprintf(
        "{\"RunbookId\": \"%s\", \"Parameters\": \"<Data><Parameter><ID>{%s}</ID>"
        "<Value>json01</Value></Parameter></Data>\"}", f->hello, host);
    static const char *const h[] = {"Content-Type: application/json",
                                    "Accept: application/json", NULL};
    reply r = http(f, "POST", "Jobs", body, h);
    expect_status(&r, 201, "POST Jobs JSON");
    json_t *d = json_object_get(r.json, "d");
    assert_string_equal(json_string_value(json_object_get(d, "Status")), "Pending");
    assert_non_null(r.location);
    reply_free(&r);
    free(body);
    free(host);
}

static char *pending_job(fixture *f) {
    bt_store_job_spec spec = {.runbook_id = f->hello_id,
                              .parameters = "{\"host\":\"x\"}",
                              .created_by = "t"};
    bt_store_job job = {0};
    OK(bt_store_job_create(f->s, &spec, &job, &e_));
    char *g = bt_xstrdup(job.guid);
    bt_store_job_clear(&job);
    return g;
}

static void expect_job_status(fixture *f, const char *guid, bt_job_status st) {
    bt_store_job job = job_by_guid(f, guid);
    if (job.status != st)
        fail_msg("job %s is %s, wanted %s", guid, bt_job_status_name(job.status),
                 bt_job_status_name(st));
    bt_store_job_clear(&job);
}

static void test_stop_job(void **state) {
    fixture *f = *state;
    char *stop = bt_xasprintf("%s<d:Status>Canceled</d:Status>%s", ENTRY_HEAD,
                              ENTRY_TAIL);
    char path[128];
    /* MERGE */
    char *g = pending_job(f);
    snprintf(path, sizeof path, "Jobs(guid'%s')", g);
    reply r = http(f, "MERGE", path, stop, ATOM_HEADERS);
    expect_status(&r, 204, "MERGE");
    assert_int_equal(r.body.len, 0);
    reply_free(&r);
    expect_job_status(f, g, BT_JOB_CANCELED);
    r = get(f, path);
    expect_text(r.xml, "//d:Status", "Canceled");
    reply_free(&r);
    /* again: no error */
    r = http(f, "MERGE", path, stop, ATOM_HEADERS);
    expect_status(&r, 204, "MERGE twice");
    reply_free(&r);
    free(g);

    /* POST + X-HTTP-Method: MERGE + If-Match: *, as Orchestrator's scripts */
    g = pending_job(f);
    snprintf(path, sizeof path, "Jobs(guid'%s')", g);
    static const char *const tunnel[] = {
        "Content-Type: application/atom+xml", "X-HTTP-Method: MERGE",
        "If-Match: *", NULL};
    r = http(f, "POST", path, stop, tunnel);
    expect_status(&r, 204, "POST X-HTTP-Method MERGE");
    reply_free(&r);
    expect_job_status(f, g, BT_JOB_CANCELED);
    free(g);

    /* PUT, with the whole entity as a .NET client sends it */
    g = pending_job(f);
    snprintf(path, sizeof path, "Jobs(guid'%s')", g);
    char *full = bt_xasprintf("%s<d:Id m:type=\"Edm.Guid\">%s</d:Id>"
                              "<d:RunbookId m:type=\"Edm.Guid\">%s</d:RunbookId>"
                              "<d:Status>Canceled</d:Status>"
                              "<d:ParentIsWaiting m:type=\"Edm.Boolean\">false"
                              "</d:ParentIsWaiting>%s",
                              ENTRY_HEAD, g, f->hello, ENTRY_TAIL);
    r = http(f, "PUT", path, full, ATOM_HEADERS);
    expect_status(&r, 204, "PUT");
    reply_free(&r);
    expect_job_status(f, g, BT_JOB_CANCELED);
    free(full);

    /* and with verbose JSON */
    char *g2 = pending_job(f);
    snprintf(path, sizeof path, "Jobs(guid'%s')", g2);
    static const char *const jh[] = {"Content-Type: application/json", NULL};
    r = http(f, "MERGE", path, "{\"Status\": \"Canceled\"}", jh);
    expect_status(&r, 204, "MERGE JSON");
    reply_free(&r);
    expect_job_status(f, g2, BT_JOB_CANCELED);
    free(g2);

    /* refusals */
    char *running = bt_xasprintf("%s<d:Status>Running</d:Status>%s", ENTRY_HEAD,
                                 ENTRY_TAIL);
    snprintf(path, sizeof path, "Jobs(guid'%s')", g);
    expect_odata_error(f, "MERGE", path, running, 400);
    free(running);
    snprintf(path, sizeof path, "Jobs(guid'%s')", f->done_guid);
    expect_odata_error(f, "MERGE", path, stop, 409);
    expect_odata_error(f, "MERGE",
                       "Jobs(guid'00000000-0000-0000-0000-000000000002')", stop,
                       404);
    snprintf(path, sizeof path, "Runbooks(guid'%s')", f->hello);
    expect_odata_error(f, "MERGE", path, stop, 405);
    free(g);
    free(stop);
}

static void test_errors(void **state) {
    fixture *f = *state;
    expect_odata_error(f, "GET", "Nope", NULL, 404);
    expect_odata_error(f, "GET", "Runbooks?$bogus=1", NULL, 400);
    expect_odata_error(f, "GET", "Runbooks?$format=csv", NULL, 400);
    expect_odata_error(f, "GET", "Runbooks/Name", NULL, 400);
    expect_odata_error(f, "GET", "$batch", NULL, 501);
    reply r = http(f, "DELETE", "Jobs", NULL, NULL);
    expect_status(&r, 405, "DELETE Jobs");
    assert_non_null(r.allow);
    assert_non_null(strstr(r.allow, "POST"));
    assert_int_equal(xcount(r.xml, "/m:error/m:message[@xml:lang='en-US']"), 1);
    reply_free(&r);
    /* custom (non-$) query options are allowed, as in OData */
    assert_int_equal(entries(f, "Runbooks?tag=1"), 2);
    /* the JSON API beside it is untouched */
    char *url = bt_xasprintf("%s/api/health", f->base);
    r = get(f, url);
    expect_status(&r, 200, url);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")),
                        "ok");
    reply_free(&r);
    free(url);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_service_document_and_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runbooks_keys_and_navigation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drawn_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_next_link_and_inlinecount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs_pushdown_matches_generic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scoped_reads_match_generic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instance_pages_match_generic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_and_expand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_verbose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_job_with_atom_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_job_with_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    curl_global_cleanup();
    return rc;
}
