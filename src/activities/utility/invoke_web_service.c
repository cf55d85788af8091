/* Invoke Web Service: one HTTP(S) request through libcurl (REST, or SOAP
 * as a POST with a SOAPAction header), publishing the response and,
 * for JSON answers, fields picked by JSONPath. Runs on the thread pool. */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "activities/utility/jsonpath.h"
#include "activities/utility/literal.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"
#include "runbook/runbook.h"

static const char *const methods[] = {"GET",  "POST", "PUT",     "PATCH",
                                      "DELETE", "HEAD", "OPTIONS", NULL};
static const char *const auths[] = {"none", "basic", "bearer", NULL};

static const bt_prop_spec props[] = {
    {"url", BT_PROP_STRING, true, NULL, "http:// or https:// URL.", NULL},
    {"method", BT_PROP_STRING, false, "GET (POST with soap_action)",
     "HTTP method.", methods},
    {"headers", BT_PROP_MAP, false, NULL, "Request headers, name: value.",
     NULL},
    {"body", BT_PROP_STRING, false, NULL, "Request body.", NULL},
    {"content_type", BT_PROP_STRING, false,
     "application/json (text/xml for SOAP)",
     "Content-Type of the body, when there is one.", NULL},
    {"soap_action", BT_PROP_STRING, false, NULL,
     "Makes the call a SOAP 1.1 request: POST, this SOAPAction header.",
     NULL},
    {"auth", BT_PROP_STRING, false, "none", "none, basic or bearer.", auths},
    {"username", BT_PROP_STRING, false, NULL, "User for basic auth.", NULL},
    {"password", BT_PROP_STRING, false, NULL, "Password for basic auth.",
     NULL},
    {"token", BT_PROP_STRING, false, NULL, "Token for bearer auth.", NULL},
    {"verify_tls", BT_PROP_BOOLEAN, false, "true",
     "Check the server's certificate and name.", NULL},
    {"ca_file", BT_PROP_STRING, false, NULL,
     "PEM file of CA certificates to trust instead of the system's.", NULL},
    {"request_timeout", BT_PROP_DURATION, false, "30s",
     "Give up on the request after this long.", NULL},
    {"follow_redirects", BT_PROP_BOOLEAN, false, "true",
     "Follow up to 10 redirects.", NULL},
    {"expected_status", BT_PROP_LIST, false, "2xx",
     "Statuses that mean success: 200, 2xx, 200-204. Others fail the "
     "activity (the response is still published).",
     NULL},
    {"max_response_bytes", BT_PROP_INTEGER, false, "16777216",
     "Largest response body accepted.", NULL},
    {"select", BT_PROP_MAP, false, NULL,
     "Fields to publish from a JSON response: name: JSONPath.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {
    "status_code", "headers", "body", "content_type", "elapsed_ms", "url",
    NULL};

static bool publishes_field(const bt_activity_def *def, const bt_runbook *rb,
                            const char *field) {
    (void)rb;
    const bt_node *sel = bt_node_get(def->properties, "select");
    return sel && sel->kind == BT_NODE_MAP && bt_node_get(sel, field);
}

static bool is_ident(const char *s) {
    if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
    return true;
}

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    const bt_node *sel = bt_node_get(def->properties, "select");
    int rc = 0;
    if (!sel || sel->kind != BT_NODE_MAP) return 0;
    static const char *const taken[] = {"status_code", "headers", "body",
                                        "content_type", "elapsed_ms", "url",
                                        BT_COMMON_FIELDS};
    for (size_t i = 0; i < sel->count; i++) {
        const bt_node *k = sel->keys[i];
        bool clash = false;
        for (size_t j = 0; j < BT_ARRAY_LEN(taken); j++)
            if (strcmp(k->str, taken[j]) == 0) clash = true;
        if (!is_ident(k->str) || clash)
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, k->line, k->column,
                              "invoke-web-service '%s': select field '%.60s' "
                              "must be a name [A-Za-z_][A-Za-z0-9_]* that the "
                              "activity does not already publish",
                              def->id, k->str);
    }
    return rc;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct sink {
    bt_buf buf;
    bool too_big;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    sink *s = ud;
    if (bt_buf_append(&s->buf, p, size * n) != 0) {
        s->too_big = true;
        return 0;
    }
    return size * n;
}

/* Keeps only the last response's headers (redirects send several). */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    sink *s = ud;
    if (size * n >= 5 && memcmp(p, "HTTP/", 5) == 0) bt_buf_reset(&s->buf);
    if (size * n == 2 && p[0] == '\r') return size * n;
    if (bt_buf_append(&s->buf, p, size * n) != 0) return 0;
    return size * n;
}

/* "200", "2xx", "200-299" */
static int status_matches(const char *spec, long code, bool *out) {
    *out = false;
    char a[4];
    long lo, hi;
    if (strlen(spec) == 3 && isdigit((unsigned char)spec[0]) &&
        (strcmp(spec + 1, "xx") == 0 || strcmp(spec + 1, "XX") == 0)) {
        *out = code / 100 == spec[0] - '0';
        return 0;
    }
    char tail;
    if (sscanf(spec, "%ld-%ld%c", &lo, &hi, &tail) == 2) {
        *out = code >= lo && code <= hi;
        return 0;
    }
    if (sscanf(spec, "%3[0-9]%c", a, &tail) == 1) {
        *out = code == strtol(a, NULL, 10);
        return 0;
    }
    return -BT_EINVAL;
}

static bool has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

static struct curl_slist *add_header(struct curl_slist *l, const char *name,
                                     const char *value) {
    char *h = bt_xasprintf("%s: %s", name, value);
    struct curl_slist *n = curl_slist_append(l, h);
    free(h);
    return n ? n : l;
}

static void publish_select(bt_activity_ctx *ctx, const char *url,
                           const char *body, size_t len) {
    const char *const *keys, *const *paths;
    size_t n = bt_act_map(ctx, "select", &keys, &paths);
    if (!n) return;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        for (size_t i = 0; i < n; i++) bt_act_publish(ctx, keys[i], "");
        bt_act_fail(ctx,
                    "invoke-web-service: '%s' answered with a body that is "
                    "not JSON (%s), so 'select' cannot read it",
                    url, jerr.text);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bt_jsonpath_matches m;
        char msg[400];
        if (bt_jsonpath_eval(root, paths[i], &m, msg, sizeof msg) != 0) {
            bt_act_publish(ctx, keys[i], "");
            bt_act_fail(ctx, "invoke-web-service: select '%s': %s", keys[i],
                        msg);
            continue;
        }
        /* Several matches join with newlines, like a flattened row. */
        bt_buf b;
        bt_buf_init(&b, 0);
        for (size_t j = 0; j < m.n; j++) {
            char *t = bt_jsonpath_text(m.items[j]);
            if (j) bt_buf_appendc(&b, '\n');
            bt_buf_appends(&b, t);
            free(t);
        }
        bt_act_publishn(ctx, keys[i], bt_buf_str(&b), b.len);
        bt_buf_free(&b);
        bt_jsonpath_matches_free(&m);
    }
    json_decref(root);
}

static int run(bt_activity_ctx *ctx) {
    const char *url = bt_act_str(ctx, "url", "");
    const char *soap_action = bt_act_str(ctx, "soap_action", NULL);
    const char *method =
        bt_act_str(ctx, "method", soap_action ? "POST" : "GET");
    const char *body = bt_act_str(ctx, "body", NULL);
    const char *ctype = bt_act_str(
        ctx, "content_type",
        soap_action ? "text/xml; charset=utf-8" : "application/json");
    const char *auth = bt_act_str(ctx, "auth", "none");
    bool verify = true, follow = true;
    uint64_t timeout_ms = 30000;
    int64_t max_bytes = 16 << 20;
    if (bt_act_bool(ctx, "verify_tls", true, &verify) ||
        bt_act_bool(ctx, "follow_redirects", true, &follow) ||
        bt_act_duration(ctx, "request_timeout", 30000, &timeout_ms) ||
        bt_act_int(ctx, "max_response_bytes", 16 << 20, &max_bytes))
        return -BT_EINVAL;
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return bt_act_fail(ctx,
                           "invoke-web-service: url '%.200s' is not an "
                           "http:// or https:// URL",
                           url);
    bool known = false;
    for (size_t i = 0; methods[i]; i++)
        if (strcmp(method, methods[i]) == 0) known = true;
    if (!known)
        return bt_act_fail(ctx,
                           "invoke-web-service: method '%.40s' is not one of "
                           "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
                           method);
    if (max_bytes < 1)
        return bt_act_fail(ctx, "invoke-web-service: max_response_bytes "
                                "must be at least 1");
    const char *const *expected;
    size_t n_expected = bt_act_list(ctx, "expected_status", &expected);
    static const char *const dflt_expected[] = {"2xx", NULL};
    if (!n_expected) expected = dflt_expected;
    for (size_t i = 0; expected[i]; i++) {
        bool m;
        if (status_matches(expected[i], 200, &m) != 0)
            return bt_act_fail(ctx,
                               "invoke-web-service: expected_status '%.40s' "
                               "is not a status (200), class (2xx) or range "
                               "(200-299)",
                               expected[i]);
    }

    struct curl_slist *hl = NULL;
    const char *const *hk, *const *hv;
    size_t nh = bt_act_map(ctx, "headers", &hk, &hv);
    for (size_t i = 0; i < nh; i++) {
        /* A newline in a value taken from data would add headers. */
        if (has_crlf(hk[i]) || has_crlf(hv[i]) || strchr(hk[i], ':')) {
            curl_slist_free_all(hl);
            return bt_act_fail(ctx,
                               "invoke-web-service: header '%.60s' has a "
                               "line break or colon in its name or value",
                               hk[i]);
        }
        hl = add_header(hl, hk[i], hv[i]);
    }
    if (body) hl = add_header(hl, "Content-Type", ctype);
    if (soap_action) {
        if (has_crlf(soap_action)) {
            curl_slist_free_all(hl);
            return bt_act_fail(ctx, "invoke-web-service: soap_action has a "
                                    "line break");
        }
        char *q = bt_xasprintf("\"%s\"", soap_action);
        hl = add_header(hl, "SOAPAction", q);
        free(q);
    }
    if (strcmp(auth, "bearer") == 0) {
        const char *token = bt_act_str(ctx, "token", "");
        if (!*token || has_crlf(token)) {
            curl_slist_free_all(hl);
            return bt_act_fail(ctx, "invoke-web-service: auth is bearer but "
                                    "'token' is empty or has a line break");
        }
        char *a = bt_xasprintf("Bearer %s", token);
        hl = add_header(hl, "Authorization", a);
        free(a);
    }

    pthread_once(&curl_once, curl_init_once);
    CURL *c = curl_easy_init();
    if (!c) {
        curl_slist_free_all(hl);
        return bt_act_fail(ctx, "invoke-web-service: libcurl could not start "
                                "a request");
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    sink bsink = {0}, hsink = {0};
    bt_buf_init(&bsink.buf, (size_t)max_bytes);
    bt_buf_init(&hsink.buf, 1 << 20);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    const char *ca = bt_act_str(ctx, "ca_file", NULL);
    if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bsink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hsink);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "baton-invoke-web-service");
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
        if (strcmp(method, "GET") == 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
    }
    if (strcmp(auth, "basic") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME,
                         bt_act_str(ctx, "username", ""));
        curl_easy_setopt(c, CURLOPT_PASSWORD,
                         bt_act_str(ctx, "password", ""));
    }
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

    CURLcode cc = curl_easy_perform(c);
    int rc = 0;
    if (cc != CURLE_OK) {
        if (bsink.too_big)
            rc = bt_act_fail(ctx,
                             "invoke-web-service: %s '%s': the response "
                             "is larger than max_response_bytes (%lld)",
                             method, url, (long long)max_bytes);
        else
            rc = bt_act_fail(ctx, "invoke-web-service: %s '%s': %s", method,
                             url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else {
        long code = 0;
        curl_off_t total_us = 0;
        char *ct = NULL, *eff = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
        bt_act_publishf(ctx, "status_code", "%ld", code);
        bt_act_publishn(ctx, "headers", bt_buf_str(&hsink.buf),
                        hsink.buf.len);
        bt_act_publishn(ctx, "body", bt_buf_str(&bsink.buf), bsink.buf.len);
        bt_act_publish(ctx, "content_type", ct ? ct : "");
        bt_act_publishf(ctx, "elapsed_ms", "%lld",
                        (long long)(total_us / 1000));
        bt_act_publish(ctx, "url", eff ? eff : url);
        bool ok = false;
        for (size_t i = 0; expected[i] && !ok; i++)
            status_matches(expected[i], code, &ok);
        if (!ok) {
            bt_buf want;
            bt_buf_init(&want, 4096);
            for (size_t i = 0; expected[i]; i++)
                bt_buf_printf(&want, "%s%s", i ? ", " : "", expected[i]);
            rc = bt_act_fail(ctx,
                             "invoke-web-service: %s '%s' answered %ld "
                             "(expected %s)",
                             method, url, code, bt_buf_str(&want));
            bt_buf_free(&want);
        }
        if (bt_act_has(ctx, "select"))
            publish_select(ctx, url, bt_buf_str(&bsink.buf), bsink.buf.len);
        if (bt_act_failed(ctx)) rc = -BT_EINVAL;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    bt_buf_free(&bsink.buf);
    bt_buf_free(&hsink.buf);
    return rc;
}

const bt_activity_type bt_activity_invoke_web_service = {
    .name = "invoke-web-service",
    .title = "Invoke Web Services",
    .category = "utility",
    .description = "Sends an HTTP request (REST or SOAP) and publishes the "
                   "response.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .publishes = publishes_field,
    .check = check,
    .run = run,
};
