/* Get Internet Application Status and Monitor Internet Application: is a
 * web site, mail server or FTP server answering as it should? One libcurl
 * request, on the thread pool: HTTP(S) checks the status code and
 * optionally the content (substring or POSIX regex); SMTP(S) reads the
 * greeting, says EHLO and NOOP; FTP(S) logs in (anonymously unless the URL
 * has credentials) and lists the path. The response time is the whole
 * exchange. */
#include <curl/curl.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activities/monitoring/probe.h"
#include "common/buf.h"
#include "common/util.h"

#define ALLOWED_PROTOCOLS "http,https,smtp,smtps,ftp,ftps"

typedef struct app_cfg {
    const char *type;
    const char *url;
    const char *scheme;                 /* lower case: http, https, smtp, ... */
    const char *const *expected_status; /* "200", "200-399" */
    size_t n_expected;
    const char *content;   /* substring, or NULL */
    const char *regex_src; /* ERE, or NULL */
    regex_t regex;
    bool have_regex;
    bool insecure, follow, head;
    uint64_t timeout_ms;
    int64_t max_content;
} app_cfg;

typedef struct capture {
    bt_buf body;
    size_t received;
    int64_t cap;
    char first_line[256];
} capture;

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
    capture *c = ud;
    size_t len = size * n;
    c->received += len;
    size_t room =
        c->body.len < (size_t)c->cap ? (size_t)c->cap - c->body.len : 0;
    bt_buf_append(&c->body, data, len < room ? len : room);
    return len;
}

/* HTTP's status line, or an SMTP/FTP server's first reply (its banner). */
static size_t on_header(char *data, size_t size, size_t n, void *ud) {
    capture *c = ud;
    size_t len = size * n;
    if (!c->first_line[0]) {
        size_t k = strcspn(data, "\r\n");
        if (k > len) k = len;
        if (k >= sizeof c->first_line) k = sizeof c->first_line - 1;
        memcpy(c->first_line, data, k);
        c->first_line[k] = '\0';
    }
    return len;
}

static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* "200", "2xx" or "200-399". */
static bool status_matches(const char *spec, long code) {
    long lo, hi;
    char x[3];
    if (sscanf(spec, "%ld-%ld", &lo, &hi) == 2) return code >= lo && code <= hi;
    if (strlen(spec) == 3 && sscanf(spec, "%1ld%2[xX]", &lo, x) == 2)
        return code / 100 == lo;
    return sscanf(spec, "%ld", &lo) == 1 && code == lo;
}

static void app_probe(const void *vc, bt_probe_result *r) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_init);
    const app_cfg *c = vc;
    capture cap = {.cap = c->max_content};
    bt_buf_init(&cap.body, 0);
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    if (!h) {
        bt_probe_error(r, "%s: cannot start a request to '%s'", c->type,
                       c->url);
        bt_buf_free(&cap.body);
        return;
    }
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, ALLOWED_PROTOCOLS);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &cap);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &cap);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "baton-monitor/1");
    if (c->follow) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    }
    if (c->head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    /* Without a recipient libcurl would send HELP; NOOP asks nothing of
     * the server but to answer. */
    if (!strncmp(c->scheme, "smtp", 4))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "NOOP");
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    double total = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
    curl_easy_cleanup(h);

    char reason[512] = "";
    const char *match = "";
    if (rc != CURLE_OK) {
        snprintf(reason, sizeof reason, "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else {
        bool ok = !c->n_expected;
        for (size_t i = 0; i < c->n_expected && !ok; i++)
            ok = status_matches(c->expected_status[i], code);
        if (!c->n_expected) ok = code >= 200 && code < 400;
        if (!ok) {
            char want[200] = "200-399";
            for (size_t i = 0; i < c->n_expected; i++)
                snprintf(want + (i ? strlen(want) : 0),
                         sizeof want - (i ? strlen(want) : 0), "%s%s",
                         i ? ", " : "", c->expected_status[i]);
            snprintf(reason, sizeof reason, "%s status %ld is not one of %s",
                     !strncmp(c->scheme, "http", 4) ? "HTTP" : "response", code,
                     want);
        }
        if (c->content || c->have_regex) {
            const char *body = bt_buf_str(&cap.body);
            bool found = c->content ? strstr(body, c->content) != NULL : true;
            if (found && c->have_regex)
                found = regexec(&c->regex, body, 0, NULL, 0) == 0;
            match = found ? "true" : "false";
            if (!found && !reason[0])
                snprintf(reason, sizeof reason,
                         "the response does not contain the expected %s",
                         c->content ? "text" : "pattern");
        }
    }
    bool up = rc == CURLE_OK && !reason[0];
    bt_probe_set(r, "url", "%s", c->url);
    bt_probe_set(r, "protocol", "%s", c->scheme);
    bt_probe_set(r, "available", "%s", up ? "true" : "false");
    bt_probe_set(r, "status_code", "%ld", code);
    bt_probe_set(r, "response_time_ms", "%.3f", total * 1000.0);
    bt_probe_set(r, "content_length", "%zu", cap.received);
    bt_probe_set(r, "content", "%s", bt_buf_str(&cap.body));
    bt_probe_set(r, "content_match", "%s", match);
    bt_probe_set(r, "banner", "%s", cap.first_line);
    bt_probe_set(r, "reason", "%s", reason);
    bt_probe_state(r, up ? "ok" : "failed");
    bt_buf_free(&cap.body);
}

static const bt_probe_ops app_ops = {.blocking = app_probe};

static void free_cfg(const void *vc) {
    const app_cfg *c = vc;
    if (c->have_regex) regfree((regex_t *)&c->regex);
}

/* c may be fresh arena memory: every field starts zeroed, so have_regex
 * is false until a regex was compiled and free_cfg is safe on any exit. */
static int read_cfg(bt_activity_ctx *ctx, const char *type, app_cfg *c) {
    *c = (app_cfg){.type = type};
    c->url = bt_act_str(ctx, "url", "");
    c->n_expected = bt_act_list(ctx, "expected_status", &c->expected_status);
    c->content = bt_act_has(ctx, "expected_content")
                     ? bt_act_str(ctx, "expected_content", "")
                     : NULL;
    c->regex_src = bt_act_has(ctx, "content_regex")
                       ? bt_act_str(ctx, "content_regex", "")
                       : NULL;
    const char *method = bt_act_str(ctx, "method", "GET");
    if (bt_act_duration(ctx, "timeout", 10000, &c->timeout_ms) ||
        bt_act_bool(ctx, "insecure", false, &c->insecure) ||
        bt_act_bool(ctx, "follow_redirects", true, &c->follow) ||
        bt_act_int(ctx, "max_content", 65536, &c->max_content))
        return -BT_EINVAL;
    if (!*c->url) return bt_act_fail(ctx, "%s: 'url' is empty", type);
    const char *colon = strstr(c->url, "://");
    static const char *const schemes[] = {"http", "https", "smtp", "smtps",
                                          "ftp",  "ftps",  NULL};
    size_t i = 0;
    while (colon && schemes[i] &&
           !((size_t)(colon - c->url) == strlen(schemes[i]) &&
             !strncasecmp(c->url, schemes[i], strlen(schemes[i]))))
        i++;
    if (!colon || !schemes[i])
        return bt_act_fail(ctx,
                           "%s: url '%s' must start with http://, https://, "
                           "smtp://, smtps://, ftp:// or ftps://",
                           type, c->url);
    c->scheme = schemes[i];
    c->head = !strcasecmp(method, "HEAD");
    if (!c->head && strcasecmp(method, "GET"))
        return bt_act_fail(ctx, "%s: method '%s' is not GET or HEAD", type,
                           method);
    if (c->max_content < 0)
        return bt_act_fail(ctx, "%s: max_content must not be negative", type);
    for (size_t k = 0; k < c->n_expected; k++) {
        long a, b;
        char x[3];
        const char *s = c->expected_status[k];
        if (!(sscanf(s, "%ld-%ld", &a, &b) == 2 ||
              (strlen(s) == 3 && sscanf(s, "%1ld%2[xX]", &a, x) == 2) ||
              bt_parse_int64(s, &(int64_t){0})))
            return bt_act_fail(ctx,
                               "%s: expected_status '%s' is not a code "
                               "(200), a class (2xx) or a range (200-299)",
                               type, s);
    }
    if (c->regex_src) {
        int rc = regcomp(&c->regex, c->regex_src, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char why[128];
            regerror(rc, &c->regex, why, sizeof why);
            return bt_act_fail(ctx, "%s: content_regex '%s': %s", type,
                               c->regex_src, why);
        }
        c->have_regex = true;
    }
    return 0;
}

static int get_run(bt_activity_ctx *ctx) {
    app_cfg c = {0};
    bool fail_if;
    int rc = read_cfg(ctx, "get-internet-application-status", &c);
    if (rc == 0 && bt_act_bool(ctx, "fail_if_unavailable", true, &fail_if) != 0)
        rc = -BT_EINVAL;
    if (rc == 0) {
        bt_probe_result r = {0};
        app_probe(&c, &r);
        if (r.error) {
            bt_act_fail(ctx, "%s", r.error);
        } else {
            bt_probe_publish(ctx, &r);
            if (fail_if && !strcmp(r.state, "failed"))
                bt_act_fail(ctx,
                            "get-internet-application-status: '%s' is not "
                            "available: %s",
                            c.url, bt_probe_get(&r, "reason"));
        }
        bt_probe_clear(&r);
    }
    free_cfg(&c);
    return rc;
}

static const bt_pollmon_trigger app_triggers[] = {{"failed", "failed", true},
                                                  {"recovered", "ok", false},
                                                  {"change", NULL, false},
                                                  {NULL, NULL, false}};

static int monitor_run(bt_activity_ctx *ctx) {
    app_cfg *c = bt_act_alloc(ctx, sizeof *c);
    if (read_cfg(ctx, "monitor-internet-application", c)) {
        free_cfg(c);
        return -BT_EINVAL;
    }
    bt_pollmon_cfg *pc = bt_act_alloc(ctx, sizeof *pc);
    *pc = (bt_pollmon_cfg){.type = "monitor-internet-application",
                           .ops = &app_ops,
                           .cfg = c,
                           .triggers = app_triggers,
                           .default_interval_ms = 60000,
                           .free_cfg = free_cfg};
    return bt_pollmon_start(ctx, pc);
}

#define APP_PROPS                                                              \
    {"url",                                                                    \
     BT_PROP_STRING,                                                           \
     true,                                                                     \
     NULL,                                                                     \
     "http://, https://, smtp://, smtps://, ftp:// or ftps:// address.",       \
     NULL},                                                                    \
        {"timeout",                                                            \
         BT_PROP_DURATION,                                                     \
         false,                                                                \
         "10s",                                                                \
         "Time allowed for the whole exchange.",                               \
         NULL},                                                                \
        {"expected_status",                                                    \
         BT_PROP_LIST,                                                         \
         false,                                                                \
         "200-399",                                                            \
         "Status codes that count as available: 200, 2xx or 200-299.",         \
         NULL},                                                                \
        {"expected_content",                                                   \
         BT_PROP_STRING,                                                       \
         false,                                                                \
         NULL,                                                                 \
         "Text the response must contain.",                                    \
         NULL},                                                                \
        {"content_regex",                                                      \
         BT_PROP_STRING,                                                       \
         false,                                                                \
         NULL,                                                                 \
         "POSIX extended regular expression the response must match.",         \
         NULL},                                                                \
        {"method", BT_PROP_STRING, false, "GET", "HTTP: GET or HEAD.", NULL},  \
        {"follow_redirects",                                                   \
         BT_PROP_BOOLEAN,                                                      \
         false,                                                                \
         "true",                                                               \
         "HTTP: follow redirects (up to 10).",                                 \
         NULL},                                                                \
        {"insecure",                                                           \
         BT_PROP_BOOLEAN,                                                      \
         false,                                                                \
         "false",                                                              \
         "Do not verify TLS certificates.",                                    \
         NULL},                                                                \
    {                                                                          \
        "max_content", BT_PROP_INTEGER, false, "65536",                        \
            "Bytes of the response kept for matching and `content`.", NULL     \
    }

static const bt_prop_spec get_props[] = {
    APP_PROPS,
    {"fail_if_unavailable", BT_PROP_BOOLEAN, false, "true",
     "Fail when the check does not pass (otherwise publish available: "
     "false).",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
#define APP_PUBLISHED                                                          \
    "url", "protocol", "available", "status_code", "response_time_ms",         \
        "content_length", "content", "content_match", "banner", "reason"
static const char *const get_published[] = {APP_PUBLISHED, NULL};

const bt_activity_type bt_activity_get_internet_application_status = {
    .name = "get-internet-application-status",
    .title = "Get Internet Application Status",
    .category = "monitoring",
    .description = "Checks a web, SMTP or FTP server: status code, "
                   "expected content, response time.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_props,
    .published = get_published,
    .run = get_run,
};

static const char *const trigger_choices[] = {"failed", "recovered", "change",
                                              NULL};
static const bt_prop_spec monitor_props[] = {
    APP_PROPS,
    {"trigger_on", BT_PROP_STRING, false, "failed",
     "failed: fire when the check starts failing; recovered: when it "
     "passes again; change: both.",
     trigger_choices},
    BT_POLLMON_PROPS("1m"),
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const monitor_published[] = {APP_PUBLISHED,
                                                BT_POLLMON_PUBLISHED, NULL};

const bt_activity_type bt_activity_monitor_internet_application = {
    .name = "monitor-internet-application",
    .title = "Monitor Internet Application",
    .category = "monitoring",
    .description = "Starts a new runbook instance when a web, SMTP or FTP "
                   "server's check starts failing or passes again.",
    .mode = BT_EXEC_ASYNC,
    .props = monitor_props,
    .published = monitor_published,
    .run = monitor_run,
    .cancel = bt_pollmon_cancel,
    .monitor = true,
};
