/* libcurl under the CLI: one handle per command, answers through a capped
 * bt_buf, connection problems said in one sentence. */
#include <curl/curl.h>
#include <pwd.h>
#include <termios.h>
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
    /* credentials: Basic (user + password) or a bearer API token */
    char *user, *password, *token;
    char *ca_file; /* BATON_CA_FILE or ca_file =: trust these CAs for https */
    const char *service; /* NULL: the Baton web service */
    bt_client_progress_fn progress;
    void *progress_ud;
};

void bt_client_set_progress(bt_client *c, bt_client_progress_fn fn, void *ud) {
    c->progress = fn;
    c->progress_ud = ud;
}

void bt_client_set_service(bt_client *c, const char *name) { c->service = name; }

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
    (void)dltotal;
    (void)dlnow;
    bt_client *c = ud;
    if (ultotal > 0)
        c->progress(c->progress_ud, (uint64_t)ulnow, (uint64_t)ultotal);
    return 0;
}

/* `KEY = VALUE` from the config file, or NULL. */
static char *config_value(const char *key) {
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
            size_t klen = strlen(key);
            if (strncmp(line, key, klen)) continue;
            char *p = line + klen;
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

/* Reads a password from the terminal without echo; NULL when there is no
 * terminal. */
static char *prompt_password(const char *user) {
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return NULL;
    struct termios old, quiet;
    bool echo_off = tcgetattr(fileno(tty), &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    }
    fprintf(tty, "Password for %s: ", user);
    fflush(tty);
    char line[1024];
    char *pw = NULL;
    if (fgets(line, sizeof line, tty)) {
        line[strcspn(line, "\r\n")] = '\0';
        pw = bt_xstrdup(line);
    }
    if (echo_off) tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    memset(line, 0, sizeof line);
    return pw;
}

/* Who to log in as: a user (--user or BATON_USER, password from
 * BATON_PASSWORD or the terminal) with HTTP Basic, else an API token
 * (BATON_TOKEN, else `token = ...` in the config file), else nobody (a
 * server with authentication off). */
static int credentials(bt_client *c, bt_error *err) {
    const char *user = getenv("BATON_USER");
    if (user && *user) {
        const char *pw = getenv("BATON_PASSWORD");
        c->user = bt_xstrdup(user);
        c->password = pw ? bt_xstrdup(pw) : prompt_password(user);
        if (!c->password)
            return bt_error_set(err, BT_EINVAL,
                                "user '%s' given but no password: set "
                                "BATON_PASSWORD (or run on a terminal to be "
                                "asked)", user);
        return 0;
    }
    const char *tok = getenv("BATON_TOKEN");
    if (tok && *tok) c->token = bt_xstrdup(tok);
    else c->token = config_value("token");
    return 0;
}

int bt_client_open(const char *url_flag, bt_client **out, bt_error *err) {
    *out = NULL;
    char *url = NULL;
    const char *env = getenv("BATON_URL");
    if (url_flag && *url_flag)
        url = bt_xstrdup(url_flag);
    else if (env && *env)
        url = bt_xstrdup(env);
    else if (!(url = config_value("url")))
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
    /* a private CA (a self-signed batond) without touching the system's
     * trust store */
    const char *ca = getenv("BATON_CA_FILE");
    c->ca_file = ca && *ca ? bt_xstrdup(ca) : config_value("ca_file");
    if (c->ca_file && access(c->ca_file, R_OK) != 0) {
        int rc = bt_error_set(err, BT_EINVAL,
                              "cannot read the CA file '%s' (BATON_CA_FILE "
                              "or ca_file in ~/.config/baton/config)",
                              c->ca_file);
        bt_client_close(c);
        return rc;
    }
    int rc = credentials(c, err);
    if (rc) {
        bt_client_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void bt_client_close(bt_client *c) {
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    curl_global_cleanup();
    free(c->base);
    free(c->ca_file);
    free(c->user);
    if (c->password) memset(c->password, 0, strlen(c->password));
    free(c->password);
    if (c->token) memset(c->token, 0, strlen(c->token));
    free(c->token);
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
    char *bearer = c->token && !c->user
                       ? bt_xasprintf("Authorization: Bearer %s", c->token)
                       : NULL;
    if (bearer) h = curl_slist_append(h, bearer);
    /* X-Baton-User names who started a job when the server runs without
     * authentication (a server with it ignores the header). */
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
    if (c->user) {
        curl_easy_setopt(k, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(k, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(k, CURLOPT_PASSWORD, c->password);
    }
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
    if (c->ca_file) curl_easy_setopt(k, CURLOPT_CAINFO, c->ca_file);
    if (c->progress && text) {
        curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(k, CURLOPT_XFERINFODATA, c);
        curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
    }
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
                          "cannot reach %s at %s: %s",
                          c->service ? c->service : "the Baton web service",
                          c->base, *curl_err ? curl_err : curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
        json_error_t jerr;
        *reply = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
        if (!*reply)
            rc = bt_error_set(err, BT_ESYNTAX,
                              "%s does not look like %s: %s %s answered %ld "
                              "without JSON", c->base,
                              c->service ? c->service
                                         : "the Baton web service",
                              method, path, *status);
    }
    curl_slist_free_all(h);
    if (bearer) memset(bearer, 0, strlen(bearer));
    free(bearer);
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
    if (msg && status == 401)
        fprintf(stderr,
                "baton %s: %s (log in with --user NAME or BATON_USER and "
                "BATON_PASSWORD, or an API token in BATON_TOKEN)\n",
                cmd, msg);
    else if (msg)
        fprintf(stderr, "baton %s: %s\n", cmd, msg);
    else
        fprintf(stderr, "baton %s: the web service answered HTTP %ld\n", cmd,
                status);
    return status == 400 ? BT_EXIT_USAGE : BT_EXIT_FAILED;
}

bool bt_client_url_arg(int argc, char **argv, int *i, const char **url,
                       bool *bad) {
    const char *a = argv[*i];
    /* --user NAME: every command that talks to the service takes it; it
     * stands for BATON_USER, which bt_client_open reads */
    if (!strncmp(a, "--user=", 7)) {
        setenv("BATON_USER", a + 7, 1);
        return true;
    }
    if (!strcmp(a, "--user")) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "baton: --user needs a value (a user name)\n");
            *bad = true;
            return true;
        }
        setenv("BATON_USER", argv[++*i], 1);
        return true;
    }
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
