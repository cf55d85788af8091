/* baton doctor: checks, from the host it runs on, each row of the port
 * table that concerns the host: listening, reachable (TCP connect), the TLS
 * handshake, an authenticated call, the database and its schema version.
 * One PASS/FAIL line per check, with the fix; exit status 1 on a FAIL. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ports_opts.h"
#include "common/util.h"
#include "store/pg_internal.h"
#include "store/sqlite_internal.h"

typedef struct doctor {
    bt_ports_opts o;
    unsigned roles;
    long timeout_ms;
    const char *ca_file;
    const char *web_url, *mgmt_url, *console_url; /* remote services */
    char *local_web, *local_mgmt, *local_console; /* this host's */
    bool outbound;
    size_t passed, failed, skipped;
} doctor;

static void usage(FILE *out) {
    fprintf(out,
            "usage: baton doctor [--host-role ROLES] [--url URL] "
            "[--mgmt-url URL]\n"
            "                    [--console-url URL] [--timeout SECONDS] "
            "[--ca-file PEM]\n"
            "                    [--outbound [RUNBOOK.yaml...]] [batond "
            "settings: --config FILE, ...]\n\n"
            "Checks each row of `baton ports` that concerns this host and "
            "prints PASS or\nFAIL with the fix; the exit status is 1 when "
            "any check fails.\n\n"
            "  --host-role R   this host's roles: web, runbook-server, "
            "management, console,\n"
            "                  database, designer, browser (default: the "
            "roles setting)\n"
            "  --url URL       the web service (else BATON_URL), checked "
            "from a designer\n"
            "                  or browser host\n"
            "  --mgmt-url URL  the management server (else BATON_MGMT_URL)\n"
            "  --console-url URL  the console (else BATON_CONSOLE_URL, else "
            "the web\n"
            "                  service's host on console_port)\n"
            "  --timeout S     TCP connect timeout (default 3)\n"
            "  --ca-file PEM   CA certificates for HTTPS (else BATON_CA_FILE, "
            "else the\n"
            "                  system's)\n"
            "  --outbound      also connect to the activities' targets (TCP "
            "rows whose\n"
            "                  host is known)\n"
            "Credentials for the authenticated calls: BATON_USER and "
            "BATON_PASSWORD, or\nBATON_TOKEN.\n");
}

/* ---- Reporting ------------------------------------------------------ */

static void report(doctor *d, int status, const char *row, const char *check,
                   const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* status: 1 pass, 0 fail, -1 skipped. */
static void report(doctor *d, int status, const char *row, const char *check,
                   const char *fix, const char *fmt, ...) {
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    const char *word = status > 0 ? "PASS" : status == 0 ? "FAIL" : "SKIP";
    printf("%s  %s: %s: %s\n", word, row, check, detail);
    if (status == 0 && fix)
        printf("      fix: %s\n", fix);
    if (status > 0)
        d->passed++;
    else if (status == 0)
        d->failed++;
    else
        d->skipped++;
    fflush(stdout);
}

/* ---- TCP ------------------------------------------------------------ */

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

typedef enum { TCP_OK, TCP_REFUSED, TCP_TIMEOUT, TCP_UNREACH, TCP_NAME } tcp_rc;

/* Connects to host:port within timeout_ms; why in out (a sentence). */
static tcp_rc tcp_connect(const char *host, unsigned port, long timeout_ms,
                          char *out, size_t size) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int g = getaddrinfo(host, service, &hints, &res);
    if (g != 0) {
        snprintf(out, size, "cannot resolve '%s': %s", host, gai_strerror(g));
        return TCP_NAME;
    }
    tcp_rc rc = TCP_UNREACH;
    snprintf(out, size, "no address for %s", host);
    long deadline = now_ms() + timeout_ms;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        char addr[INET6_ADDRSTRLEN] = "?";
        if (a->ai_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr,
                      addr, sizeof addr);
        else if (a->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr,
                      addr, sizeof addr);
        int fd =
            socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   a->ai_protocol);
        if (fd < 0)
            continue;
        long start = now_ms();
        int c = connect(fd, a->ai_addr, a->ai_addrlen);
        int e = c == 0 ? 0 : errno;
        if (e == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            long left = deadline - now_ms();
            int n = left > 0 ? poll(&p, 1, (int)left) : 0;
            if (n == 0) {
                e = ETIMEDOUT;
            } else {
                socklen_t len = sizeof e;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
                    e = errno;
            }
        }
        close(fd);
        if (e == 0) {
            snprintf(out, size, "connected to %s port %u in %ld ms", addr, port,
                     now_ms() - start);
            rc = TCP_OK;
            break;
        }
        if (e == ECONNREFUSED) {
            snprintf(out, size,
                     "%s port %u refused the connection (nothing listens "
                     "there, or a firewall rejects it)",
                     addr, port);
            rc = TCP_REFUSED;
        } else if (e == ETIMEDOUT) {
            snprintf(out, size,
                     "no answer from %s port %u within %ld ms (a firewall "
                     "drops the packets, or the host is down)",
                     addr, port, timeout_ms);
            rc = TCP_TIMEOUT;
        } else {
            snprintf(out, size, "%s port %u: %s", addr, port, strerror(e));
            rc = TCP_UNREACH;
        }
    }
    freeaddrinfo(res);
    return rc;
}

/* ---- HTTP ----------------------------------------------------------- */

typedef struct url_hp {
    char host[256];
    unsigned port;
    bool https;
} url_hp;

static bool split_url(const char *url, url_hp *u) {
    memset(u, 0, sizeof *u);
    if (!strncmp(url, "https://", 8))
        u->https = true;
    else if (strncmp(url, "http://", 7))
        return false;
    const char *h = url + (u->https ? 8 : 7);
    size_t n = strcspn(h, "/?#");
    const char *at = memchr(h, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    const char *colon = NULL;
    size_t hl = n;
    if (*h == '[') {
        const char *close = memchr(h, ']', n);
        if (!close)
            return false;
        hl = (size_t)(close - h - 1);
        if (hl >= sizeof u->host)
            return false;
        memcpy(u->host, h + 1, hl);
        if ((size_t)(close + 1 - h) < n && close[1] == ':')
            colon = close + 1;
    } else {
        colon = memchr(h, ':', n);
        if (colon)
            hl = (size_t)(colon - h);
        if (hl >= sizeof u->host || !hl)
            return false;
        memcpy(u->host, h, hl);
    }
    u->port = u->https ? 443 : 80;
    if (colon) {
        int64_t v;
        char digits[8] = "";
        size_t dl = (size_t)(h + n - colon - 1);
        if (dl == 0 || dl >= sizeof digits)
            return false;
        memcpy(digits, colon + 1, dl);
        if (!bt_parse_int64(digits, &v) || v < 1 || v > 65535)
            return false;
        u->port = (unsigned)v;
    }
    return true;
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
    (void)p;
    size_t *total = ud;
    *total += size * n;
    return *total > ((size_t)4 << 20) ? 0 : size * n;
}

/* GET base+path; 0 with *status when an answer came, else -1 with the
 * reason. connect_only: just the TCP connection and TLS handshake. */
static int http_get(doctor *d, const char *base, const char *path, bool auth,
                    bool connect_only, long *status, char *why, size_t size) {
    CURL *k = curl_easy_init();
    if (!k) {
        snprintf(why, size, "cannot start libcurl");
        return -1;
    }
    char *url = bt_xasprintf("%s%s", base, path);
    char errbuf[CURL_ERROR_SIZE] = "";
    size_t total = 0;
    struct curl_slist *h = NULL;
    char *bearer = NULL;
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
    curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, d->timeout_ms + 10000);
    curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &total);
    if (d->ca_file)
        curl_easy_setopt(k, CURLOPT_CAINFO, d->ca_file);
    if (connect_only)
        curl_easy_setopt(k, CURLOPT_CONNECT_ONLY, 1L);
    const char *user = getenv("BATON_USER"), *token = getenv("BATON_TOKEN");
    if (auth && user && *user) {
        const char *pw = getenv("BATON_PASSWORD");
        curl_easy_setopt(k, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(k, CURLOPT_USERNAME, user);
        curl_easy_setopt(k, CURLOPT_PASSWORD, pw ? pw : "");
    } else if (auth && token && *token) {
        bearer = bt_xasprintf("Authorization: Bearer %s", token);
        h = curl_slist_append(h, bearer);
        curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
    }
    CURLcode cc = curl_easy_perform(k);
    int rc = 0;
    if (cc != CURLE_OK) {
        snprintf(why, size, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
        rc = -1;
    } else {
        curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(h);
    if (bearer)
        memset(bearer, 0, strlen(bearer));
    free(bearer);
    free(url);
    curl_easy_cleanup(k);
    return rc;
}

/* ---- Checks --------------------------------------------------------- */

/* `listening`: this host's batond accepts connections on its port. */
static bool check_listening(doctor *d, const char *row, const char *url,
                            const char *setting) {
    url_hp u;
    split_url(url, &u);
    char why[512], fix[512];
    tcp_rc rc = tcp_connect(u.host, u.port, d->timeout_ms, why, sizeof why);
    snprintf(fix, sizeof fix,
             "start batond with this role on this host (systemctl start "
             "baton), or make %s say the port it listens on (its log "
             "prints 'listening on')",
             setting);
    report(d, rc == TCP_OK, row, "listening", fix, "%s", why);
    return rc == TCP_OK;
}

/* `reachable`: a TCP connection from this host to the service. */
static bool check_reachable(doctor *d, const char *row, const char *host,
                            unsigned port, const char *target_role,
                            const char *setting) {
    char why[512], fix[768];
    tcp_rc rc = tcp_connect(host, port, d->timeout_ms, why, sizeof why);
    if (rc == TCP_NAME)
        snprintf(fix, sizeof fix,
                 "use a host name this host resolves, or "
                 "the address");
    else if (rc == TCP_REFUSED)
        snprintf(fix, sizeof fix,
                 "on %s: run batond with the %s role and %s = %u, and allow "
                 "TCP %u in (baton ports --host-role %s --nftables)",
                 host, target_role, setting, port, port, target_role);
    else
        snprintf(fix, sizeof fix,
                 "a firewall between here and %s blocks TCP %u: allow it in "
                 "on that host (baton ports --host-role %s --nftables) and "
                 "out on this one",
                 host, port, target_role);
    report(d, rc == TCP_OK, row, "reachable", fix, "%s", why);
    return rc == TCP_OK;
}

static void answer(char *out, size_t size, int rc, const char *why, long status,
                   const char *more) {
    if (rc)
        snprintf(out, size, "%s", why);
    else
        snprintf(out, size, "HTTP %ld%s", status, more);
}

/* TLS handshake, /api/health and an authenticated GET of an API. */
static void check_http(doctor *d, const char *row, const char *base,
                       const char *auth_path, bool api) {
    url_hp u;
    split_url(base, &u);
    char why[CURL_ERROR_SIZE + 64];
    long status = 0;
    if (u.https) {
        int rc = http_get(d, base, "/", false, true, &status, why, sizeof why);
        report(d, rc == 0, row, "TLS handshake",
               "give the CA that signed the certificate (--ca-file or "
               "BATON_CA_FILE), or fix tls_cert/tls_key on the server (the "
               "certificate must name the host in the URL)",
               "%s", rc == 0 ? "the certificate was accepted" : why);
        if (rc)
            return;
    }
    if (!api) {
        int rc = http_get(d, base, "/", false, false, &status, why, sizeof why);
        if (rc == 0 && status == 501) {
            /* The port and the role are right; the assets are a build
             * matter. */
            report(d, -1, row, "GET /", NULL,
                   "HTTP 501: this batond was built without the console's "
                   "assets");
            return;
        }
        bool ok = rc == 0 && status == 200;
        char detail[CURL_ERROR_SIZE + 64];
        answer(detail, sizeof detail, rc, why, status, "");
        report(d, ok, row, "GET /", "check that the console role runs there",
               "%s", detail);
        return;
    }
    int rc =
        http_get(d, base, "/api/health", true, false, &status, why, sizeof why);
    bool ok = rc == 0 && (status == 200 || status == 401);
    char detail[CURL_ERROR_SIZE + 64];
    answer(detail, sizeof detail, rc, why, status,
           status == 401 ? " (needs credentials)" : "");
    report(d, ok, row, "GET /api/health",
           "check the URL: it must be batond's, with no path", "%s", detail);
    if (!ok)
        return;
    rc = http_get(d, base, auth_path, true, false, &status, why, sizeof why);
    bool have = (getenv("BATON_USER") && *getenv("BATON_USER")) ||
                (getenv("BATON_TOKEN") && *getenv("BATON_TOKEN"));
    const char *fix =
        status == 401 && !have
            ? "set BATON_USER and BATON_PASSWORD, or BATON_TOKEN (baton "
              "token create)"
        : status == 401 ? "the credentials were refused: check "
                          "BATON_USER/BATON_PASSWORD or BATON_TOKEN"
        : status == 403 ? "the user may not read this: grant it view "
                          "(baton perm grant)"
                        : "see the server's log";
    char check[128];
    snprintf(check, sizeof check, "authenticated GET %s", auth_path);
    answer(detail, sizeof detail, rc, why, status, "");
    report(d, rc == 0 && status == 200, row, check, fix, "%s", detail);
}

/* Leases are stamped on the database server's clock (the store measures
 * the offset), but schedules, Monitor Date/Time, log lines and
 * certificate checks use this host's: beyond this, times stop agreeing. */
#define CLOCK_SKEW_MAX_MS 1000

/* skew_ms: this host's clock minus the database server's, the query's
 * round trip taken off. */
static int pg_version(const char *url, long timeout_ms, int *version,
                      double *skew_ms, char *why, size_t size) {
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%ld", (timeout_ms + 999) / 1000);
    const char *keys[] = {"dbname", "connect_timeout", NULL};
    const char *vals[] = {url, timeout, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(why, size, "%s", c ? PQerrorMessage(c) : "out of memory");
        why[strcspn(why, "\n")] = '\0';
        PQfinish(c);
        return -1;
    }
    PGresult *r = PQexec(c, "SELECT coalesce(max(version), 0) FROM "
                            "schema_migrations");
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(why, size, "no Baton schema: %s", PQerrorMessage(c));
        why[strcspn(why, "\n")] = '\0';
        rc = -2;
    } else {
        *version = atoi(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    if (!rc) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_REALTIME, &t0);
        r = PQexec(c, "SELECT extract(epoch FROM clock_timestamp())::float8");
        clock_gettime(CLOCK_REALTIME, &t1);
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            double db_s = strtod(PQgetvalue(r, 0, 0), NULL);
            double mid =
                (t0.tv_sec + t1.tv_sec) / 2.0 + (t0.tv_nsec + t1.tv_nsec) / 2e9;
            *skew_ms = (mid - db_s) * 1000.0;
        }
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

static int sqlite_version(const char *path, int *version, char *why,
                          size_t size) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(why, size, "cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(max(version), 0) FROM "
                           "schema_migrations",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(why, size, "no Baton schema in %s: %s", path,
                 sqlite3_errmsg(db));
        rc = -2;
    } else {
        *version = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static void check_schema(doctor *d, const char *row, int rc, int version,
                         int want, const char *why) {
    if (rc == -1) {
        report(d, 0, row, "database login",
               "check the user, password and database name in db "
               "(BATON_DB), and pg_hba.conf on the database host",
               "%s", why);
        return;
    }
    if (rc == -2) {
        report(d, 0, row, "schema version",
               "start batond (any role) once against this database: it "
               "creates the schema",
               "%s", why);
        return;
    }
    const char *fix = version < want
                          ? "start batond of this version (it migrates the "
                            "schema on start), or upgrade the management "
                            "host first"
                          : "upgrade baton on this host: the database is "
                            "newer";
    report(d, version == want, row, "schema version", fix,
           "version %d, this baton expects %d", version, want);
}

static void check_database(doctor *d, const bt_ports_row *r, const char *row) {
    int want, version = 0, rc;
    char why[512];
    if (r->host) {
        want = bt__pg_migrations[bt__pg_migration_count - 1].version;
        if (d->roles & BT_PORTS_DATABASE) {
            char lw[512];
            tcp_rc t =
                tcp_connect(r->host, r->port, d->timeout_ms, lw, sizeof lw);
            report(d, t == TCP_OK, row, "listening",
                   "start PostgreSQL here with listen_addresses covering "
                   "the address in db and the port in it",
                   "%s", lw);
        }
        if (!(d->roles & r->sources))
            return;
        if (!check_reachable(d, row, r->host, r->port, "database",
                             "the port in db"))
            return;
        double skew = 0;
        rc = pg_version(d->o.cfg.db, d->timeout_ms, &version, &skew, why,
                        sizeof why);
        if (!rc) {
            bool ok = skew < CLOCK_SKEW_MAX_MS && skew > -CLOCK_SKEW_MAX_MS;
            report(d, ok, row, "clock",
                   "keep every Baton host's clock in sync with the "
                   "database's (chrony or systemd-timesyncd): schedules, "
                   "logs and certificates use this host's clock",
                   "this host's clock is %.1f s %s the database server's "
                   "(at most %.1f s either way)",
                   (skew < 0 ? -skew : skew) / 1000.0,
                   skew < 0 ? "behind" : "ahead of",
                   CLOCK_SKEW_MAX_MS / 1000.0);
        }
    } else {
        want = bt__sqlite_migrations[bt__sqlite_migration_count - 1].version;
        const char *path =
            !strncmp(d->o.cfg.db, "sqlite:", 7) ? d->o.cfg.db + 7 : d->o.cfg.db;
        char *file = bt_xstrndup(path, strcspn(path, "?"));
        bool ok = access(file, R_OK | W_OK) == 0;
        report(d, ok, row, "database file",
               "run doctor as batond's user with the same data_dir/db, or "
               "start batond once to create the database",
               ok ? "%s is readable and writable" : "%s: %s", file,
               ok ? "" : strerror(errno));
        if (!ok) {
            free(file);
            return;
        }
        rc = sqlite_version(file, &version, why, sizeof why);
        free(file);
    }
    check_schema(d, row, rc, version, want, why);
}

static const char *env_or(const char *flag, const char *env) {
    if (flag)
        return flag;
    const char *v = getenv(env);
    return v && *v ? v : NULL;
}

static int run(doctor *d) {
    bt_ports_table t;
    bt_ports_opts *o = &d->o;
    if (!d->outbound)
        o->no_runbooks = true;
    int rc = bt_ports_opts_table(o, &t);
    if (rc)
        return rc;
    const char *bind = o->cfg.bind;
    const char *local = !bind || !strcmp(bind, "0.0.0.0") ? "127.0.0.1"
                        : !strcmp(bind, "::")             ? "[::1]"
                                                          : NULL;
    char lhost[80];
    if (local)
        snprintf(lhost, sizeof lhost, "%s", local);
    else if (strchr(bind, ':'))
        snprintf(lhost, sizeof lhost, "[%s]", bind);
    else
        snprintf(lhost, sizeof lhost, "%s", bind);
    d->local_web = bt_xasprintf("%s://%s:%u", t.tls ? "https" : "http", lhost,
                                (unsigned)o->cfg.web_port);
    d->local_mgmt =
        bt_xasprintf("http://%s:%u", lhost, (unsigned)o->cfg.mgmt_port);
    d->local_console =
        bt_xasprintf("http://%s:%u", lhost, (unsigned)o->cfg.console_port);
    char roles[160];
    bt_ports_roles_text(d->roles, roles, sizeof roles);
    printf("baton doctor: host roles %s; database %s\n", roles, t.db_url);

    for (size_t i = 0; i < t.n; i++) {
        const bt_ports_row *r = &t.rows[i];
        char row[300];
        if (r->port)
            snprintf(row, sizeof row, "%s -> %s, %s %u", r->source, r->target,
                     r->proto == BT_PORTS_UDP ? "UDP" : "TCP",
                     (unsigned)r->port);
        else
            snprintf(row, sizeof row, "%s -> %s, %s", r->source, r->target,
                     r->port_text);
        bool target = r->targets & d->roles, source = r->sources & d->roles;
        switch (r->kind) {
        case BT_PORTS_ROW_DB:
            if (target || source)
                check_database(d, r, row);
            break;
        case BT_PORTS_ROW_MGMT:
        case BT_PORTS_ROW_WEB:
        case BT_PORTS_ROW_CONSOLE: {
            const char *local_url = r->kind == BT_PORTS_ROW_MGMT ? d->local_mgmt
                                    : r->kind == BT_PORTS_ROW_WEB
                                        ? d->local_web
                                        : d->local_console;
            const char *setting = r->kind == BT_PORTS_ROW_MGMT ? "mgmt_port"
                                  : r->kind == BT_PORTS_ROW_WEB
                                      ? "web_port"
                                      : "console_port";
            const char *role = r->kind == BT_PORTS_ROW_MGMT  ? "management"
                               : r->kind == BT_PORTS_ROW_WEB ? "web"
                                                             : "console";
            const char *auth =
                r->kind == BT_PORTS_ROW_MGMT ? "/api/tree" : "/api/runbooks";
            bool api = r->kind != BT_PORTS_ROW_CONSOLE;
            if (target) {
                if (check_listening(d, row, local_url, setting))
                    check_http(d, row, local_url, auth, api);
            } else if (source) {
                const char *remote = r->kind == BT_PORTS_ROW_MGMT ? d->mgmt_url
                                     : r->kind == BT_PORTS_ROW_WEB
                                         ? d->web_url
                                         : d->console_url;
                char *derived = NULL;
                url_hp w;
                if (!remote && r->kind == BT_PORTS_ROW_CONSOLE && d->web_url &&
                    split_url(d->web_url, &w))
                    remote = derived = bt_xasprintf(
                        "http://%s%s%s:%u", strchr(w.host, ':') ? "[" : "",
                        w.host, strchr(w.host, ':') ? "]" : "",
                        (unsigned)o->cfg.console_port);
                url_hp u;
                if (!remote) {
                    report(d, -1, row, "reachable", NULL,
                           "no URL given (--%s or BATON_%s)",
                           r->kind == BT_PORTS_ROW_MGMT  ? "mgmt-url"
                           : r->kind == BT_PORTS_ROW_WEB ? "url"
                                                         : "console-url",
                           r->kind == BT_PORTS_ROW_MGMT  ? "MGMT_URL"
                           : r->kind == BT_PORTS_ROW_WEB ? "URL"
                                                         : "CONSOLE_URL");
                } else if (!split_url(remote, &u)) {
                    report(d, 0, row, "reachable",
                           "give an http:// or https:// URL",
                           "'%s' is not "
                           "an http(s) URL",
                           remote);
                } else if ((snprintf(row, sizeof row, "%s -> %s, TCP %u",
                                     r->source, r->target, u.port),
                            check_reachable(d, row, u.host, u.port, role,
                                            setting))) {
                    char *base = bt_xstrdup(remote);
                    size_t n = strlen(base);
                    while (n && base[n - 1] == '/')
                        base[--n] = '\0';
                    check_http(d, row, base, auth, api);
                    free(base);
                }
                free(derived);
            }
            break;
        }
        case BT_PORTS_ROW_ACTIVITY:
            if (!source || !d->outbound)
                break;
            if (r->proto != BT_PORTS_TCP || !r->host || !r->port) {
                report(d, -1, row, "reachable", NULL, "%s",
                       r->proto != BT_PORTS_TCP
                           ? "not checked: UDP and ICMP have no connection"
                           : "not checked: the host or port is set at run "
                             "time");
                break;
            }
            check_reachable(d, row, r->host, r->port, "target",
                            "the activity's port property");
            break;
        }
    }
    printf("doctor summary: %zu PASS, %zu FAIL, %zu SKIP\n", d->passed,
           d->failed, d->skipped);
    bt_ports_table_clear(&t);
    return d->failed ? BT_EXIT_FAILED : BT_EXIT_OK;
}

int bt_cli_doctor(int argc, char **argv) {
    static const char *const own[] = {"--outbound", "--help", NULL};
    static const char *const valued[] = {
        "--url", "--mgmt-url", "--console-url", "--timeout", "--ca-file", NULL};
    doctor d = {.o = {.cmd = "doctor"}, .timeout_ms = 3000};
    int rc = bt_ports_opts_parse(&d.o, argc, argv, own, valued);
    const char *url = NULL, *mgmt = NULL, *console = NULL, *ca = NULL;
    for (size_t i = 0; !rc && i < d.o.n_own; i++) {
        const char *a = d.o.own[i];
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const char *v = eq ? eq + 1 : NULL;
        bool takes = strncmp(a, "--outbound", len) && strncmp(a, "--help", len);
        if (takes && !v)
            v = d.o.own[++i];
        if (!strcmp(a, "--help")) {
            usage(stdout);
            bt_ports_opts_clear(&d.o);
            return BT_EXIT_OK;
        } else if (!strcmp(a, "--outbound")) {
            d.outbound = true;
        } else if (!strncmp(a, "--url", len) && len == 5) {
            url = v;
        } else if (!strncmp(a, "--mgmt-url", len) && len == 10) {
            mgmt = v;
        } else if (!strncmp(a, "--console-url", len) && len == 13) {
            console = v;
        } else if (!strncmp(a, "--ca-file", len) && len == 9) {
            ca = v;
        } else if (!strncmp(a, "--timeout", len) && len == 9) {
            int64_t s;
            if (!bt_parse_int64(v, &s) || s < 1 || s > 600) {
                fprintf(stderr,
                        "baton doctor: --timeout: '%s' is not a "
                        "number of seconds from 1 to 600\n",
                        v);
                rc = BT_EXIT_USAGE;
            }
            d.timeout_ms = (long)s * 1000;
        }
    }
    if (!rc && d.o.n_files && !d.outbound) {
        fprintf(stderr, "baton doctor: runbook files are read with "
                        "--outbound only\n");
        rc = BT_EXIT_USAGE;
    }
    if (!rc) {
        d.web_url = env_or(url, "BATON_URL");
        d.mgmt_url = env_or(mgmt, "BATON_MGMT_URL");
        d.console_url = env_or(console, "BATON_CONSOLE_URL");
        d.ca_file = env_or(ca, "BATON_CA_FILE");
        d.roles = d.o.host_roles ? d.o.host_roles : d.o.cfg.roles;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = run(&d);
        curl_global_cleanup();
    }
    free(d.local_web);
    free(d.local_mgmt);
    free(d.local_console);
    bt_ports_opts_clear(&d.o);
    return rc;
}
