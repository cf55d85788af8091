#include "cli/ports_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"
#include "runbook/doc.h"
#include "store/store.h"

static const struct {
    const char *name;
    unsigned bit;
} HOST_ROLES[] = {
    {"management", BT_ROLE_MANAGEMENT},
    {"runbook-server", BT_ROLE_RUNBOOK_SERVER},
    {"web", BT_ROLE_WEB},
    {"console", BT_ROLE_CONSOLE},
    {"database", BT_PORTS_DATABASE},
    {"designer", BT_PORTS_DESIGNER},
    {"browser", BT_PORTS_BROWSER},
};

int bt_ports_parse_roles(const char *text, unsigned *out, bt_error *err) {
    unsigned roles = 0;
    char *copy = bt_xstrdup(text), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ", ", &save); tok && !rc;
         tok = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(tok, "all")) {
            roles |= BT_ROLE_ALL;
            continue;
        }
        size_t i = 0;
        while (i < BT_ARRAY_LEN(HOST_ROLES) && strcmp(HOST_ROLES[i].name, tok))
            i++;
        if (i == BT_ARRAY_LEN(HOST_ROLES))
            rc = bt_error_set(err, BT_EINVAL,
                              "'%s' is not a host role (use web, "
                              "runbook-server, management, console, database, "
                              "designer or browser, separated by commas)",
                              tok);
        else
            roles |= HOST_ROLES[i].bit;
    }
    free(copy);
    if (!rc && !roles)
        rc = bt_error_set(err, BT_EINVAL, "no host role given");
    if (!rc)
        *out = roles;
    return rc;
}

void bt_ports_roles_text(unsigned roles, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < BT_ARRAY_LEN(HOST_ROLES); i++) {
        if (!(roles & HOST_ROLES[i].bit))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? "," : "",
                         HOST_ROLES[i].name);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

const char *bt_ports_proto_name(bt_ports_proto p) {
    return p == BT_PORTS_UDP ? "udp" : p == BT_PORTS_ICMP ? "icmp" : "tcp";
}

/* ---- URLs ------------------------------------------------------------ */

typedef struct url_parts {
    char scheme[16];
    char *host;   /* NULL when missing or set at run time */
    bool runtime; /* the host (or port) comes from published data */
    long port;    /* -1 when not written */
} url_parts;

static bool has_template(const char *s, size_t n) {
    return memchr(s, '{', n) != NULL;
}

/* scheme://[user[:password]@]host[:port][/path][?query]. False when text
 * has no scheme. */
static bool parse_url(const char *text, url_parts *u) {
    memset(u, 0, sizeof *u);
    u->port = -1;
    const char *sep = strstr(text, "://");
    if (!sep || (size_t)(sep - text) >= sizeof u->scheme || sep == text)
        return false;
    for (size_t i = 0; i < (size_t)(sep - text); i++)
        u->scheme[i] =
            (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a'
                                                    : text[i]);
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    /* The last '@' ends the user info: a password may hold one. */
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    const char *h = at ? at + 1 : auth;
    const char *end = auth + alen;
    const char *hend = end, *colon = NULL;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (close) {
            hend = close + 1;
            if (hend < end && *hend == ':')
                colon = hend;
        }
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        if (colon)
            hend = colon;
    }
    if (colon) {
        const char *ps = colon + 1;
        if (has_template(ps, (size_t)(end - ps))) {
            u->runtime = true;
        } else {
            long v = 0;
            bool ok = ps < end;
            for (const char *p = ps; p < end && ok; p++) {
                if (*p < '0' || *p > '9' || v > 65535)
                    ok = false;
                else
                    v = v * 10 + (*p - '0');
            }
            if (ok && v >= 1 && v <= 65535)
                u->port = v;
        }
    }
    if (has_template(h, (size_t)(hend - h)) ||
        has_template(text, (size_t)(sep - text)))
        u->runtime = true;
    else if (hend > h)
        u->host = bt_xstrndup(h, (size_t)(hend - h));
    return true;
}

bool bt_ports_db_endpoint(const char *url, char **host, uint16_t *port) {
    *host = NULL;
    *port = 0;
    if (strncmp(url, "postgresql://", 13) && strncmp(url, "postgres://", 11))
        return false;
    url_parts u;
    parse_url(url, &u);
    /* libpq's defaults: a missing host is the local socket. */
    *host =
        u.host && *u.host ? u.host : (free(u.host), bt_xstrdup("localhost"));
    *port = u.port > 0 ? (uint16_t)u.port : 5432;
    return true;
}

char *bt_ports_mask_url(const char *url) {
    const char *sep = strstr(url, "://");
    if (!sep)
        return bt_xstrdup(url);
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon)
        return bt_xstrdup(url);
    return bt_xasprintf("%.*s:***%s", (int)(colon - url), url, at);
}

/* ---- The table ------------------------------------------------------ */

static bt_ports_row *add_row(bt_ports_table *t) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->rows = bt_xrealloc(t->rows, t->cap * sizeof *t->rows);
    }
    bt_ports_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void bt_ports_table_init(bt_ports_table *t, const bt_config *cfg) {
    memset(t, 0, sizeof *t);
    t->tls = cfg->tls_cert && cfg->tls_key;
    t->db_url = bt_ports_mask_url(cfg->db);

    bt_ports_row *r = add_row(t);
    r->kind = BT_PORTS_ROW_MGMT;
    /* The console's designer runs in the browser and calls the
     * management server itself (batond's mgmt_url). */
    r->sources = BT_PORTS_DESIGNER | BT_PORTS_BROWSER;
    r->targets = BT_ROLE_MANAGEMENT;
    r->source = bt_xstrdup(
        "Runbook designer (baton CLI; the console's designer in a browser)");
    r->target = bt_xstrdup("Management server");
    r->port = cfg->mgmt_port;
    r->port_text = bt_xasprintf("%u", (unsigned)cfg->mgmt_port);
    r->configurable = bt_xstrdup("yes: mgmt_port (BATON_MGMT_PORT, "
                                 "--mgmt-port)");
    r->notes = bt_xstrdup(
        "HTTP (JSON) on one fixed port: check-out/check-in, import/export, "
        "global settings, servers. Orchestrator needed 135 plus a dynamic "
        "DCOM range 1024-65535.");

    r = add_row(t);
    r->kind = BT_PORTS_ROW_DB;
    /* batond opens the database at start-up whatever its roles, so a
     * console-only host needs the port too. */
    r->sources = BT_ROLE_MANAGEMENT | BT_ROLE_RUNBOOK_SERVER | BT_ROLE_WEB |
                 BT_ROLE_CONSOLE;
    r->targets = BT_PORTS_DATABASE;
    r->source =
        bt_xstrdup("Management server, runbook servers, web service, console");
    char *host = NULL;
    uint16_t port = 0;
    if (bt_ports_db_endpoint(cfg->db, &host, &port)) {
        r->target =
            bt_xasprintf("Orchestration database (PostgreSQL on %s)", host);
        r->host = host;
        r->port = port;
        r->port_text = bt_xasprintf("%u", (unsigned)port);
        r->configurable = bt_xstrdup("yes: the port in db (BATON_DB, --db)");
        r->notes = bt_xasprintf(
            "%s. Runbook servers claim jobs and keep their lease over this "
            "connection and are woken by LISTEN/NOTIFY on it: there is no "
            "server-to-server port. batond opens the database on start for "
            "every role, the console's too.",
            t->db_url);
    } else {
        const char *path =
            !strncmp(cfg->db, "sqlite:", 7) ? cfg->db + 7 : cfg->db;
        r->target = bt_xstrdup("Orchestration database (SQLite file)");
        r->port_text = bt_xstrdup("none (file)");
        r->configurable = bt_xstrdup("yes: db (BATON_DB, --db), data_dir");
        r->notes = bt_xasprintf(
            "%s: every role runs on this one host and opens the file; no "
            "network port. Use PostgreSQL when roles span hosts.",
            path);
    }

    r = add_row(t);
    r->kind = BT_PORTS_ROW_WEB;
    r->sources = BT_PORTS_BROWSER | BT_PORTS_DESIGNER;
    r->targets = BT_ROLE_WEB;
    r->source = bt_xstrdup("Client browser, baton CLI, scripts");
    r->target =
        bt_xasprintf("REST web service (%s)", t->tls ? "HTTPS" : "HTTP");
    r->port = cfg->web_port;
    r->port_text = bt_xasprintf("%u", (unsigned)cfg->web_port);
    r->configurable = bt_xstrdup("yes: web_port (BATON_WEB_PORT, "
                                 "--web-port)");
    r->notes = bt_xstrdup(
        "JSON API under /api and the OData endpoint /Orchestrator2012/"
        "Orchestrator.svc/. Both this port and the console's must be "
        "reachable for the console: the browser calls this one directly.");

    r = add_row(t);
    r->kind = BT_PORTS_ROW_CONSOLE;
    r->sources = BT_PORTS_BROWSER;
    r->targets = BT_ROLE_CONSOLE;
    r->source = bt_xstrdup("Client browser");
    r->target = bt_xstrdup("Orchestration console");
    r->port = cfg->console_port;
    r->port_text = bt_xasprintf("%u", (unsigned)cfg->console_port);
    r->configurable = bt_xstrdup("yes: console_port (BATON_CONSOLE_PORT, "
                                 "--console-port)");
    r->notes = bt_xstrdup("Static web app. Both this port and the web "
                          "service's must be reachable for the console.");
}

void bt_ports_table_clear(bt_ports_table *t) {
    for (size_t i = 0; i < t->n; i++) {
        bt_ports_row *r = &t->rows[i];
        free(r->source);
        free(r->target);
        free(r->host);
        free(r->port_text);
        free(r->configurable);
        free(r->notes);
    }
    free(t->rows);
    free(t->db_url);
    memset(t, 0, sizeof *t);
}

/* ---- Activities ----------------------------------------------------- */

/* What one activity needs: a service on a host. */
typedef struct need {
    const char *service; /* "SSH", "SMTP" */
    char *host;          /* NULL: set at run time */
    long port;           /* 0: unknown (set at run time) */
    bt_ports_proto proto;
    const char *note; /* NULL or a remark */
} need;

static const char *prop(const bt_node *props, const char *key) {
    const bt_node *n = bt_node_get(props, key);
    return n && n->kind == BT_NODE_SCALAR ? n->str : NULL;
}

/* A host property: NULL when it comes from published data. */
static char *host_of(const char *text) {
    if (!text || !*text || strchr(text, '{'))
        return NULL;
    return bt_xstrdup(text);
}

/* A port property: def when absent, 0 when set at run time. */
static long port_of(const char *text, long def) {
    if (!text)
        return def;
    int64_t v;
    if (strchr(text, '{') || !bt_parse_int64(text, &v) || v < 1 || v > 65535)
        return 0;
    return (long)v;
}

static long scheme_port(const char *scheme) {
    static const struct {
        const char *scheme;
        long port;
    } P[] = {{"http", 80},         {"https", 443},     {"smtp", 25},
             {"smtps", 465},       {"ftp", 21},        {"ftps", 990},
             {"postgresql", 5432}, {"postgres", 5432}, {"mysql", 3306},
             {"mariadb", 3306}};
    for (size_t i = 0; i < BT_ARRAY_LEN(P); i++)
        if (!strcmp(P[i].scheme, scheme))
            return P[i].port;
    return 0;
}

static const char *scheme_service(const char *scheme) {
    if (!strcmp(scheme, "http"))
        return "HTTP";
    if (!strcmp(scheme, "https"))
        return "HTTPS";
    if (!strncmp(scheme, "smtp", 4))
        return "SMTP";
    if (!strncmp(scheme, "ftp", 3))
        return "FTP";
    if (!strncmp(scheme, "postgres", 8))
        return "PostgreSQL";
    return "MariaDB/MySQL";
}

/* A URL property: scheme, host and port. False when it names no network
 * service (a SQLite path, a MariaDB socket). */
static bool need_url(const char *text, need *n) {
    url_parts u;
    if (!text || !parse_url(text, &u))
        return false;
    if (strstr(text, "socket=")) {
        free(u.host);
        return false;
    }
    long def = scheme_port(u.scheme);
    if (!def && !strchr(u.scheme, '{')) {
        free(u.host);
        return false;
    }
    n->service = def ? scheme_service(u.scheme) : "URL";
    n->host = u.host;
    n->port = u.runtime && u.port < 0 && !def ? 0 : u.port > 0 ? u.port : def;
    if (strchr(u.scheme, '{'))
        n->port = 0;
    if (!strcmp(u.scheme, "ftp") || !strcmp(u.scheme, "ftps"))
        n->note = "passive FTP also opens a data connection to a port the "
                  "server chooses";
    return true;
}

/* ODBC: Server=host[,port] or Host=/Port= keys (driver dependent). */
static bool need_odbc(const char *text, need *n) {
    char *copy = bt_xstrdup(text + 5), *save = NULL;
    char *host = NULL;
    long port = 0;
    for (char *kv = strtok_r(copy, ";", &save); kv;
         kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcasecmp(kv, "server") || !strcasecmp(kv, "host") ||
            !strcasecmp(kv, "servername")) {
            free(host);
            host = bt_xstrndup(v, strcspn(v, ",:"));
            const char *p = v + strcspn(v, ",:");
            if (*p)
                port = port_of(p + 1, 0);
        } else if (!strcasecmp(kv, "port")) {
            port = port_of(v, 0);
        }
    }
    free(copy);
    if (!host)
        return false;
    n->service = "ODBC";
    n->host = host_of(host);
    free(host);
    n->port = port;
    n->note = "ODBC: the port is the driver's (give Port= to see it here)";
    return true;
}

/* Fills up to 2 needs for an activity; returns how many. */
static size_t needs_of(const char *type, const bt_node *props, need out[2]) {
    memset(out, 0, 2 * sizeof *out);
    need *n = &out[0];
    n->proto = BT_PORTS_TCP;
    if (!strcmp(type, "run-ssh-command")) {
        n->service = "SSH";
        n->host = host_of(prop(props, "host"));
        n->port = port_of(prop(props, "port"), 22);
        return 1;
    }
    if (!strcmp(type, "send-email")) {
        const char *tls = prop(props, "tls");
        bool implicit = tls && !strcmp(tls, "implicit");
        n->service = implicit ? "SMTPS" : "SMTP";
        n->host = host_of(prop(props, "server"));
        n->port = port_of(prop(props, "port"), implicit ? 465 : 25);
        return 1;
    }
    if (!strcmp(type, "invoke-web-service") ||
        !strcmp(type, "get-internet-application-status") ||
        !strcmp(type, "monitor-internet-application"))
        return need_url(prop(props, "url"), n) ? 1 : 0;
    if (!strcmp(type, "query-database") || !strcmp(type, "write-to-database")) {
        const char *c = prop(props, "connection");
        if (c && !strncmp(c, "odbc:", 5))
            return need_odbc(c, n) ? 1 : 0;
        return need_url(c, n) ? 1 : 0;
    }
    if (!strcmp(type, "send-syslog-message")) {
        const char *h = prop(props, "host");
        if (!h || !*h)
            return 0; /* the local socket */
        const char *p = prop(props, "protocol");
        n->service = "syslog";
        n->host = host_of(h);
        n->port = port_of(prop(props, "port"), 514);
        n->proto = p && !strcmp(p, "tcp") ? BT_PORTS_TCP : BT_PORTS_UDP;
        if (p && strchr(p, '{'))
            n->note = "protocol set at run time";
        return 1;
    }
    if (!strcmp(type, "send-snmp-trap") || !strcmp(type, "get-snmp-variable") ||
        !strcmp(type, "set-snmp-variable")) {
        bool trap = !strcmp(type, "send-snmp-trap");
        n->service = trap ? "SNMP trap" : "SNMP";
        n->host = host_of(prop(props, "host"));
        n->port = port_of(prop(props, "port"), trap ? 162 : 161);
        n->proto = BT_PORTS_UDP;
        return 1;
    }
    if (!strcmp(type, "get-computer-status") ||
        !strcmp(type, "monitor-computer-status")) {
        const char *m = prop(props, "method");
        bool icmp = !m || strcmp(m, "tcp") != 0;
        bool tcp = !m || strcmp(m, "icmp") != 0;
        size_t k = 0;
        if (icmp) {
            out[k].service = "ping (ICMP echo)";
            out[k].host = host_of(prop(props, "host"));
            out[k].proto = BT_PORTS_ICMP;
            k++;
        }
        if (tcp) {
            out[k].service = "TCP connect";
            out[k].host = host_of(prop(props, "host"));
            out[k].port = port_of(prop(props, "port"), 22);
            out[k].proto = BT_PORTS_TCP;
            if (icmp)
                out[k].note = "method auto: TCP when ICMP is not "
                              "permitted";
            k++;
        }
        return k;
    }
    return 0;
}

/* Activity rows with the same service, host, port and protocol share one
 * row whose notes list the activities. */
static bt_ports_row *find_activity_row(bt_ports_table *t, const need *n,
                                       const char *target) {
    for (size_t i = 0; i < t->n; i++) {
        bt_ports_row *r = &t->rows[i];
        if (r->kind == BT_PORTS_ROW_ACTIVITY && r->proto == n->proto &&
            r->port == (uint16_t)n->port && !strcmp(r->target, target))
            return r;
    }
    return NULL;
}

#define NOTES_MAX 600

static void add_need(bt_ports_table *t, const need *n, const char *runbook,
                     const char *id, const char *type) {
    char *target = bt_xasprintf("%s on %s", n->service,
                                n->host ? n->host : "hosts set at run time");
    char *use = bt_xasprintf("%s (%s in %s)", type, id, runbook);
    bt_ports_row *r = find_activity_row(t, n, target);
    if (r) {
        free(target);
        if (!strstr(r->notes, use)) {
            if (strlen(r->notes) < NOTES_MAX) {
                char *more = bt_xasprintf("%s; %s", r->notes, use);
                free(r->notes);
                r->notes = more;
            } else if (!strstr(r->notes, "; ...")) {
                char *more = bt_xasprintf("%s; ...", r->notes);
                free(r->notes);
                r->notes = more;
            }
        }
        free(use);
        return;
    }
    r = add_row(t);
    r->kind = BT_PORTS_ROW_ACTIVITY;
    r->sources = BT_ROLE_RUNBOOK_SERVER;
    r->targets = BT_PORTS_TARGET;
    r->source = bt_xstrdup("Runbook servers (activities)");
    r->target = target;
    r->host = n->host ? bt_xstrdup(n->host) : NULL;
    r->proto = n->proto;
    r->port = (uint16_t)n->port;
    if (n->proto == BT_PORTS_ICMP)
        r->port_text = bt_xstrdup("ICMP echo");
    else if (n->port)
        r->port_text = bt_xasprintf("%ld%s", n->port,
                                    n->proto == BT_PORTS_UDP ? "/udp" : "");
    else
        r->port_text = bt_xstrdup("set at run time");
    r->configurable = bt_xstrdup(
        n->proto == BT_PORTS_ICMP ? "no" : "yes: the activity's properties");
    r->notes = n->note ? bt_xasprintf("%s. %s", n->note, use) : bt_xstrdup(use);
    free(use);
}

int bt_ports_add_runbook(bt_ports_table *t, const char *name, const char *yaml,
                         size_t len, bt_error *err) {
    bt_doc *doc = NULL;
    int rc = bt_doc_parse_string(name, yaml, len, &doc, err);
    if (rc)
        return rc;
    const bt_node *root = doc->root;
    const bt_node *acts = bt_node_get(root, "activities");
    const bt_node *folder = bt_node_get(root, "folder");
    const bt_node *rbname = bt_node_get(root, "name");
    char *label;
    if (rbname && rbname->kind == BT_NODE_SCALAR)
        label = bt_xasprintf("%s/%s",
                             folder && folder->kind == BT_NODE_SCALAR &&
                                     strcmp(folder->str, "/")
                                 ? folder->str
                                 : "",
                             rbname->str);
    else
        label = bt_xstrdup(name);
    if (!root || root->kind != BT_NODE_MAP || !acts ||
        acts->kind != BT_NODE_SEQ) {
        rc = bt_error_set(err, BT_EINVAL,
                          "%s: not a runbook (no 'activities' list)", name);
        goto done;
    }
    for (size_t i = 0; i < acts->count; i++) {
        const bt_node *a = acts->items[i];
        const char *type = prop(a, "type");
        const char *id = prop(a, "id");
        if (!type)
            continue;
        need needs[2];
        size_t k = needs_of(type, bt_node_get(a, "properties"), needs);
        for (size_t j = 0; j < k; j++) {
            add_need(t, &needs[j], label, id ? id : "?", type);
            free(needs[j].host);
        }
    }
    t->runbooks++;
done:
    free(label);
    bt_doc_free(doc);
    return rc;
}

int bt_ports_add_store(bt_ports_table *t, const bt_config *cfg, bt_error *err) {
    char *host = NULL;
    uint16_t port;
    if (!bt_ports_db_endpoint(cfg->db, &host, &port)) {
        /* Opening a SQLite path creates it: a typo would give an empty
         * table, not an error. */
        const char *path =
            !strncmp(cfg->db, "sqlite:", 7) ? cfg->db + 7 : cfg->db;
        size_t plen = strcspn(path, "?");
        char *file = bt_xstrndup(path, plen);
        int ok = access(file, R_OK);
        free(file);
        if (ok != 0)
            return bt_error_set(err, BT_ENOTFOUND,
                                "no Baton database at %.*s (give --db or "
                                "--data-dir as batond has them, runbook "
                                "files, or --no-runbooks)",
                                (int)plen, path);
    }
    free(host);
    bt_store *s = NULL;
    int rc = bt_store_open(cfg->db, &s, err);
    if (rc)
        return rc;
    bt_store_runbook *rbs = NULL;
    size_t n = 0;
    rc = bt_store_runbook_list(s, 0, &rbs, &n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!rbs[i].latest_version)
            continue;
        bt_store_version v;
        memset(&v, 0, sizeof v);
        rc = bt_store_version_get(s, rbs[i].id, 0, &v, err);
        if (!rc && v.yaml) {
            bt_error e2 = {0};
            /* A stored runbook the parser refuses only loses its rows. */
            if (bt_ports_add_runbook(t, rbs[i].path, v.yaml, strlen(v.yaml),
                                     &e2))
                fprintf(stderr, "baton ports: skipping %s: %s\n", rbs[i].path,
                        e2.message);
            bt_error_clear(&e2);
        }
        bt_store_version_clear(&v);
    }
    bt_store_runbook_list_free(rbs, n);
    bt_store_close(s);
    return rc;
}
