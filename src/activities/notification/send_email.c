/* Send Email: one message through an SMTP server with libcurl: STARTTLS
 * (none, optional, required) or implicit TLS, AUTH, to/cc/bcc, a text
 * body and file attachments as MIME parts. Runs on the thread pool. */
#include <curl/curl.h>
#include <libgen.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

static const char *const tls_modes[] = {"none", "optional", "required",
                                        "implicit", NULL};
static const char *const priorities[] = {"low", "normal", "high", NULL};

static const bt_prop_spec props[] = {
    {"server", BT_PROP_STRING, true, NULL, "SMTP server host name.", NULL},
    {"port", BT_PROP_INTEGER, false, "25 (465 with tls: implicit)",
     "SMTP port.", NULL},
    {"tls", BT_PROP_STRING, false, "optional",
     "STARTTLS: none, optional, required; implicit: TLS from the start "
     "(smtps).",
     tls_modes},
    {"username", BT_PROP_STRING, false, NULL, "AUTH user.", NULL},
    {"password", BT_PROP_STRING, false, NULL, "AUTH password.", NULL},
    {"from", BT_PROP_STRING, true, NULL,
     "Sender: a@example.com or Name <a@example.com>.", NULL},
    {"to", BT_PROP_LIST, true, NULL, "Recipients.", NULL},
    {"cc", BT_PROP_LIST, false, NULL, "Copy recipients.", NULL},
    {"bcc", BT_PROP_LIST, false, NULL,
     "Blind copy recipients (in the envelope only).", NULL},
    {"reply_to", BT_PROP_STRING, false, NULL, "Reply-To address.", NULL},
    {"subject", BT_PROP_STRING, false, "", "Subject (UTF-8).", NULL},
    {"body", BT_PROP_STRING, false, "", "Plain text body (UTF-8).", NULL},
    {"attachments", BT_PROP_LIST, false, NULL, "Files to attach.", NULL},
    {"priority", BT_PROP_STRING, false, "normal", "low, normal or high.",
     priorities},
    {"verify_tls", BT_PROP_BOOLEAN, false, "true",
     "Check the server's certificate and name.", NULL},
    {"ca_file", BT_PROP_STRING, false, NULL,
     "PEM file of CA certificates to trust instead of the system's.", NULL},
    {"smtp_timeout", BT_PROP_DURATION, false, "60s",
     "Give up on the server after this long.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"message_id", "accepted_recipients",
                                        "recipient_count", "server", NULL};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static bool has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

/* The address of "Name <a@b>" or "a@b"; NULL when there is none. */
static char *address_of(const char *s) {
    const char *lt = strrchr(s, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt == lt + 1) return NULL;
        return bt_xstrndup(lt + 1, (size_t)(gt - lt - 1));
    }
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (!n || memchr(s, ' ', n) || !memchr(s, '@', n)) return NULL;
    return bt_xstrndup(s, n);
}

static bool address_of_ok(const char *s) {
    char *a = address_of(s);
    free(a);
    return a != NULL;
}

/* RFC 2047 encoded-word for a non-ASCII subject. */
static char *encode_header_text(const char *s) {
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80) ascii = false;
    if (ascii) return bt_xstrdup(s);
    size_t len = strlen(s);
    size_t b64len = sodium_base64_encoded_len(len,
                                              sodium_base64_VARIANT_ORIGINAL);
    char *b64 = bt_xmalloc(b64len);
    sodium_bin2base64(b64, b64len, (const unsigned char *)s, len,
                      sodium_base64_VARIANT_ORIGINAL);
    char *out = bt_xasprintf("=?UTF-8?B?%s?=", b64);
    free(b64);
    return out;
}

static void rfc5322_date(char *buf, size_t size) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static struct curl_slist *header(struct curl_slist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static struct curl_slist *header(struct curl_slist *l, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *h = NULL;
    if (vasprintf(&h, fmt, ap) < 0) h = NULL;
    va_end(ap);
    if (!h) return l;
    struct curl_slist *n = curl_slist_append(l, h);
    free(h);
    return n ? n : l;
}

/* Adds the recipients of list to the envelope and, joined, to *joined.
 * Returns 0 or fails the activity naming the bad one. */
static int add_rcpts(bt_activity_ctx *ctx, const char *prop,
                     struct curl_slist **rcpt, bt_buf *accepted,
                     bt_buf *joined, size_t *count) {
    const char *const *items;
    size_t n = bt_act_list(ctx, prop, &items);
    for (size_t i = 0; i < n; i++) {
        if (!*items[i]) continue;
        char *a = address_of(items[i]);
        if (!a || has_crlf(items[i])) {
            free(a);
            return bt_act_fail(ctx,
                               "send-email: %s '%.100s' is not an e-mail "
                               "address",
                               prop, items[i]);
        }
        char *env = bt_xasprintf("<%s>", a);
        struct curl_slist *nl = curl_slist_append(*rcpt, env);
        if (nl) *rcpt = nl;
        free(env);
        if (accepted->len) bt_buf_appendc(accepted, '\n');
        bt_buf_appends(accepted, a);
        free(a);
        if (joined) {
            if (joined->len) bt_buf_appends(joined, ", ");
            bt_buf_appends(joined, items[i]);
        }
        (*count)++;
    }
    return 0;
}

typedef struct email {
    struct curl_slist *rcpt, *headers;
    curl_mime *mime;
    CURL *curl;
    bt_buf accepted, to, cc;
    char *from_addr;
} email;

static void email_free(email *m) {
    curl_slist_free_all(m->rcpt);
    curl_slist_free_all(m->headers);
    curl_mime_free(m->mime);
    if (m->curl) curl_easy_cleanup(m->curl);
    bt_buf_free(&m->accepted);
    bt_buf_free(&m->to);
    bt_buf_free(&m->cc);
    free(m->from_addr);
}

static int build(bt_activity_ctx *ctx, email *m, const char *msgid) {
    const char *from = bt_act_str(ctx, "from", "");
    const char *subject = bt_act_str(ctx, "subject", "");
    const char *reply_to = bt_act_str(ctx, "reply_to", NULL);
    const char *prio = bt_act_str(ctx, "priority", "normal");
    m->from_addr = address_of(from);
    if (!m->from_addr || has_crlf(from))
        return bt_act_fail(ctx, "send-email: from '%.100s' is not an e-mail "
                                "address",
                           from);
    if (has_crlf(subject))
        return bt_act_fail(ctx, "send-email: the subject has a line break");
    if (reply_to && (has_crlf(reply_to) || !address_of_ok(reply_to)))
        return bt_act_fail(ctx, "send-email: reply_to '%.100s' is not an "
                                "e-mail address",
                           reply_to);
    size_t count = 0;
    if (add_rcpts(ctx, "to", &m->rcpt, &m->accepted, &m->to, &count) ||
        add_rcpts(ctx, "cc", &m->rcpt, &m->accepted, &m->cc, &count) ||
        add_rcpts(ctx, "bcc", &m->rcpt, &m->accepted, NULL, &count))
        return -BT_EINVAL;
    if (!count)
        return bt_act_fail(ctx, "send-email: no recipients (to, cc and bcc "
                                "are empty)");
    char date[64];
    rfc5322_date(date, sizeof date);
    char *subj = encode_header_text(subject);
    m->headers = header(m->headers, "Date: %s", date);
    m->headers = header(m->headers, "From: %s", from);
    if (m->to.len) m->headers = header(m->headers, "To: %s", m->to.data);
    if (m->cc.len) m->headers = header(m->headers, "Cc: %s", m->cc.data);
    if (reply_to) m->headers = header(m->headers, "Reply-To: %s", reply_to);
    m->headers = header(m->headers, "Subject: %s", subj);
    m->headers = header(m->headers, "Message-ID: %s", msgid);
    free(subj);
    if (strcmp(prio, "high") == 0) {
        m->headers = header(m->headers, "X-Priority: 1 (Highest)");
        m->headers = header(m->headers, "Importance: High");
    } else if (strcmp(prio, "low") == 0) {
        m->headers = header(m->headers, "X-Priority: 5 (Lowest)");
        m->headers = header(m->headers, "Importance: Low");
    }
    m->headers = header(m->headers, "X-Mailer: Baton send-email");

    m->mime = curl_mime_init(m->curl);
    curl_mimepart *part = curl_mime_addpart(m->mime);
    /* Text line breaks are CRLF on the wire; quoted-printable would
     * otherwise turn a bare LF into "=0A". */
    bt_buf body;
    bt_buf_init(&body, 0);
    for (const char *p = bt_act_str(ctx, "body", ""); *p; p++) {
        if (*p == '\r' && p[1] == '\n') continue;
        if (*p == '\n') bt_buf_appendc(&body, '\r');
        bt_buf_appendc(&body, *p);
    }
    curl_mime_data(part, bt_buf_str(&body), body.len);
    bt_buf_free(&body);
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_encoder(part, "quoted-printable");
    const char *const *files;
    size_t nf = bt_act_list(ctx, "attachments", &files);
    for (size_t i = 0; i < nf; i++) {
        if (access(files[i], R_OK) != 0)
            return bt_act_fail(ctx, "send-email: cannot read attachment "
                                    "'%s'",
                               files[i]);
        part = curl_mime_addpart(m->mime);
        if (curl_mime_filedata(part, files[i]) != CURLE_OK)
            return bt_act_fail(ctx, "send-email: cannot attach '%s'",
                               files[i]);
        char *copy = bt_xstrdup(files[i]);
        curl_mime_filename(part, basename(copy));
        free(copy);
        curl_mime_type(part, "application/octet-stream");
        curl_mime_encoder(part, "base64");
    }
    return 0;
}

static int run(bt_activity_ctx *ctx) {
    const char *server = bt_act_str(ctx, "server", "");
    const char *tls = bt_act_str(ctx, "tls", "optional");
    bool implicit = strcmp(tls, "implicit") == 0;
    int64_t port = implicit ? 465 : 25;
    bool verify = true;
    uint64_t timeout_ms = 60000;
    if (bt_act_int(ctx, "port", port, &port) ||
        bt_act_bool(ctx, "verify_tls", true, &verify) ||
        bt_act_duration(ctx, "smtp_timeout", 60000, &timeout_ms))
        return -BT_EINVAL;
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    long use_ssl;
    if (strcmp(tls, "none") == 0 || implicit)
        use_ssl = CURLUSESSL_NONE;
    else if (strcmp(tls, "optional") == 0)
        use_ssl = CURLUSESSL_TRY;
    else if (strcmp(tls, "required") == 0)
        use_ssl = CURLUSESSL_ALL;
    else
        return bt_act_fail(ctx, "send-email: tls '%.20s' is not one of none, "
                                "optional, required, implicit",
                           tls);
    if (!*server || strpbrk(server, "/@ \r\n"))
        return bt_act_fail(ctx, "send-email: server '%.100s' is not a host "
                                "name",
                           server);
    if (port < 1 || port > 65535)
        return bt_act_fail(ctx, "send-email: port %lld is not between 1 and "
                                "65535",
                           (long long)port);
    if (sodium_init() < 0)
        return bt_act_fail(ctx, "send-email: no random source for the "
                                "Message-ID");
    pthread_once(&curl_once, curl_init_once);

    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    unsigned char rnd[12];
    randombytes_buf(rnd, sizeof rnd);
    char hex[sizeof rnd * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    char *msgid = bt_xasprintf("<%s.%lld@%s>", hex, (long long)time(NULL),
                               host);
    const char *where;
    {
        char *w = bt_xasprintf("%s:%lld", server, (long long)port);
        where = bt_act_strdup(ctx, w);
        free(w);
    }

    email m = {0};
    bt_buf_init(&m.accepted, 0);
    bt_buf_init(&m.to, 0);
    bt_buf_init(&m.cc, 0);
    m.curl = curl_easy_init();
    int rc;
    if (!m.curl) {
        rc = bt_act_fail(ctx, "send-email: libcurl could not start");
        goto out;
    }
    rc = build(ctx, &m, msgid);
    if (rc) goto out;
    /* IPv6 literals need brackets in the URL. */
    bool v6 = strchr(server, ':') != NULL;
    char *url = bt_xasprintf("%s://%s%s%s:%lld/%s", implicit ? "smtps" : "smtp",
                             v6 ? "[" : "", server, v6 ? "]" : "",
                             (long long)port, host);
    char *mail_from = bt_xasprintf("<%s>", m.from_addr);
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = m.curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    const char *ca = bt_act_str(ctx, "ca_file", NULL);
    if (ca && *ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    const char *user = bt_act_str(ctx, "username", NULL);
    if (user && *user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD,
                         bt_act_str(ctx, "password", ""));
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, m.rcpt);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, m.headers);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m.mime);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    CURLcode cc = curl_easy_perform(c);
    free(url);
    free(mail_from);
    if (cc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        const char *hint = "";
        if (cc == CURLE_USE_SSL_FAILED)
            hint = " (the server offers no STARTTLS and tls is required)";
        else if (cc == CURLE_LOGIN_DENIED)
            hint = " (the server refused the user name or password)";
        rc = bt_act_fail(ctx, "send-email: SMTP server '%s': %s%s", where,
                         errbuf[0] ? errbuf : curl_easy_strerror(cc), hint);
        goto out;
    }
    bt_act_publish(ctx, "message_id", msgid);
    bt_act_publish(ctx, "accepted_recipients", bt_buf_str(&m.accepted));
    {
        size_t n = 1;
        for (const char *p = bt_buf_str(&m.accepted); *p; p++)
            if (*p == '\n') n++;
        bt_act_publishf(ctx, "recipient_count", "%zu", n);
    }
    bt_act_publish(ctx, "server", where);
out:
    email_free(&m);
    free(msgid);
    return rc;
}

const bt_activity_type bt_activity_send_email = {
    .name = "send-email",
    .title = "Send Email",
    .category = "notification",
    .description = "Sends an e-mail with attachments through an SMTP server.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
