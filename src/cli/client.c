/* libcurl under the CLI: one handle per command, answers through a capped
 * bt_buf, connection problems said in one sentence. */
#include <curl/curl.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "common/buf.h"
#include "common/util.h"

struct bt_client {
    CURL *curl;
    char *base; /* without a trailing '/' */
};

/* `url = VALUE` from the config file, or NULL. */
static char *config_url(void) {
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char *path = NULL;
    if (xdg && *xdg)
        path = bt_xasprintf("%s/baton/config", xdg);
    else if (home && *home)
        path = bt_xasprintf("%s/.config/baton/config", home);
    if (!path) return NULL;
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    char *url = NULL;
    if (!bt_buf_read_file(&b, path, NULL)) {
        char *save = NULL;
        for (char *line = strtok_r(b.data ? b.data : (char *)"", "\n", &save);
             line; line = strtok_r(NULL, "\n", &save)) {
            while (*line == ' ' || *line == '\t') line++;
            if (strncmp(line, "url", 3)) continue;
            char *p = line + 3;
            while (*p == ' ' || *p == '\t') p++;
            if (*p != '=') continue;
            p++;
            while (*p == ' ' || *p == '\t') p++;
            size_t len = strlen(p);
            while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
                           p[len - 1] == '\r'))
                len--;
            if (len >= 2 && (p[0] == '"' || p[0] == '\'') && p[len - 1] == p[0])
                p++, len -= 2;
            free(url);
            url = bt_xstrndup(p, len);
        }
    }
    bt_buf_free(&b);
    free(path);
    return url;
}

int bt_client_open(const char *url_flag, bt_client **out, bt_error *err) {
    *out = NULL;
    char *url = NULL;
    const char *env = getenv("BATON_URL");
    if (url_flag && *url_flag)
        url = bt_xstrdup(url_flag);
    else if (env && *env)
        url = bt_xstrdup(env);
    else if (!(url = config_url()))
        url = bt_xstrdup(BT_CLIENT_DEFAULT_URL);
    size_t len = strlen(url);
    while (len && url[len - 1] == '/') url[--len] = '\0';
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
        int rc = bt_error_set(err, BT_EINVAL,
                              "web service URL '%s' must start with http:// "
                              "or https://", url);
        free(url);
        return rc;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT); /* reference-counted */
    bt_client *c = bt_xcalloc(1, sizeof *c);
    c->curl = curl_easy_init();
    c->base = url;
    if (!c->curl) {
        bt_client_close(c);
        return bt_error_set(err, BT_ENOMEM, "cannot start libcurl");
    }
    *out = c;
    return 0;
}

void bt_client_close(bt_client *c) {
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    curl_global_cleanup();
    free(c->base);
    free(c);
}

const char *bt_client_url(const bt_client *c) { return c->base; }

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    if (bt_buf_append(ud, p, size * n)) return 0; /* over the cap: abort */
    return size * n;
}

int bt_client_call(bt_client *c, const char *method, const char *path,
                   json_t *body, long timeout_s, long *status, json_t **reply,
                   bt_error *err) {
    *reply = NULL;
    *status = 0;
    char *url = bt_xasprintf("%s%s", c->base, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    bt_buf b;
    bt_buf_init(&b, BT_CLIENT_REPLY_MAX);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Accept: application/json");
    if (text) h = curl_slist_append(h, "Content-Type: application/json");
    /* X-Baton-User names who started a job until authentication lands. */
    const char *user = getenv("USER");
    if (!user || !*user) {
        struct passwd *pw = getpwuid(geteuid());
        user = pw ? pw->pw_name : NULL;
    }
    char *user_header = user && *user ? bt_xasprintf("X-Baton-User: %s", user)
                                      : NULL;
    if (user_header) h = curl_slist_append(h, user_header);
    CURL *k = c->curl;
    curl_easy_reset(k);
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
    if (text) {
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
    } else if (!strcmp(method, "POST")) {
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(k, CURLOPT_TIMEOUT, timeout_s > 0 ? timeout_s : 60L);
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(k, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode cc = curl_easy_perform(k);
    int rc = 0;
    if (cc == CURLE_WRITE_ERROR && b.len + 1 >= BT_CLIENT_REPLY_MAX) {
        rc = bt_error_set(err, BT_ETOOBIG,
                          "the answer to %s %s is larger than %zu MiB", method,
                          path, BT_CLIENT_REPLY_MAX >> 20);
    } else if (cc != CURLE_OK) {
        rc = bt_error_set(err, BT_EIO,
                          "cannot reach the Baton web service at %s: %s",
                          c->base, *curl_err ? curl_err : curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
        json_error_t jerr;
        *reply = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
        if (!*reply)
            rc = bt_error_set(err, BT_ESYNTAX,
                              "%s does not look like the Baton web service: "
                              "%s %s answered %ld without JSON", c->base,
                              method, path, *status);
    }
    curl_slist_free_all(h);
    free(user_header);
    free(text);
    free(url);
    bt_buf_free(&b);
    return rc;
}

char *bt_client_escape(bt_client *c, const char *text) {
    char *e = curl_easy_escape(c->curl, text, 0);
    char *out = bt_xstrdup(e ? e : "");
    curl_free(e);
    return out;
}

int bt_client_report(const char *cmd, long status, json_t *reply) {
    json_t *e = json_object_get(reply, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (msg)
        fprintf(stderr, "baton %s: %s\n", cmd, msg);
    else
        fprintf(stderr, "baton %s: the web service answered HTTP %ld\n", cmd,
                status);
    return status == 400 ? BT_EXIT_USAGE : BT_EXIT_FAILED;
}

bool bt_client_url_arg(int argc, char **argv, int *i, const char **url,
                       bool *bad) {
    const char *a = argv[*i];
    if (!strncmp(a, "--url=", 6)) {
        *url = a + 6;
        return true;
    }
    if (strcmp(a, "--url")) return false;
    if (*i + 1 >= argc) {
        fprintf(stderr, "baton: --url needs a value (http://HOST:PORT)\n");
        *bad = true;
        return true;
    }
    *url = argv[++*i];
    return true;
}
