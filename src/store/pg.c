/* The PostgreSQL backend (libpq): one connection per handle, schema
 * migrations at open under an advisory lock, parameterized statements
 * only, transactions and group commit as savepoints, and LISTEN/NOTIFY
 * for waking runbook servers. The operations live in pg_catalog.c,
 * pg_jobs.c, pg_runs.c and pg_globals.c.
 *
 * Durability is the server's: a call that returned 0 was committed, and
 * with the default synchronous_commit=on the server flushed its WAL first
 * (docs/store.md). */
#include "store/pg_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

/* pg_advisory_xact_lock key serialising migrations ("baton-mg"). */
#define MIGRATION_LOCK "7089058396495259495"
#define MIN_SERVER_VERSION 100000 /* identity columns, SKIP LOCKED */

/* ---- Parameters ----------------------------------------------------- */

static const char *push(bt_pg_args *a, const char *v, int len, int fmt) {
    assert(a->n < BT_PG_MAX_ARGS);
    a->values[a->n] = v;
    a->lengths[a->n] = len;
    a->formats[a->n] = fmt;
    a->n++;
    return v;
}

void bt__pg_int(bt_pg_args *a, int64_t v) {
    assert(a->n < BT_PG_MAX_ARGS);
    snprintf(a->ints[a->n], sizeof a->ints[0], "%lld", (long long)v);
    push(a, a->ints[a->n], 0, 0);
}

void bt__pg_ref(bt_pg_args *a, int64_t v) {
    if (v) bt__pg_int(a, v);
    else push(a, NULL, 0, 0);
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    size_t len;
    uint32_t cp;
    if ((s[0] & 0xe0) == 0xc0) len = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0) len = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0) len = 4, cp = s[0] & 0x07;
    else return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static char *sanitize_utf8(const char *t) {
    const unsigned char *s = (const unsigned char *)t;
    size_t n = strlen(t), i = 0;
    for (; i < n; i += utf8_seq(s + i))
        if (!utf8_seq(s + i)) break;
    if (i == n) return NULL; /* valid as it is */
    char *out = bt_xmalloc(n * 3 + 1), *o = out;
    for (i = 0; i < n;) {
        size_t len = utf8_seq(s + i);
        if (len) {
            memcpy(o, s + i, len);
            o += len;
            i += len;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}

char *bt__pg_clean_text(const char *t) { return sanitize_utf8(t); }

void bt__pg_text(bt_pg_args *a, const char *t) {
    if (!t) {
        push(a, NULL, 0, 0);
        return;
    }
    char *clean = sanitize_utf8(t);
    a->owned[a->n] = clean;
    push(a, clean ? clean : t, 0, 0);
}

void bt__pg_bytes(bt_pg_args *a, const void *b, size_t len) {
    assert(len <= INT32_MAX);
    push(a, b ? (const char *)b : "", (int)len, 1);
}

void bt__pg_ids(bt_pg_args *a, const int64_t *ids, size_t n) {
    char *text = bt_xmalloc(n * 21 + 3), *o = text;
    *o++ = '{';
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "%s%lld", i ? "," : "", (long long)ids[i]);
    *o++ = '}';
    *o = '\0';
    a->owned[a->n] = text;
    push(a, text, 0, 0);
}

static void args_free(bt_pg_args *a) {
    if (!a) return;
    for (int i = 0; i < a->n; i++) {
        free(a->owned[i]);
        a->owned[i] = NULL;
    }
}

/* ---- Errors --------------------------------------------------------- */

/* libpq messages end in a newline and may continue on tab-indented lines. */
static void one_line(const char *in, char *out, size_t size) {
    size_t o = 0;
    bool space = false;
    for (; *in && o + 1 < size; in++) {
        if (*in == '\n' || *in == '\t' || *in == '\r') {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < size) out[o++] = ' ';
        space = false;
        out[o++] = *in;
    }
    out[o] = '\0';
}

static int map_state(const char *state) {
    if (!state) return BT_EIO;
    if (!strcmp(state, "23505")) return BT_EEXIST;      /* unique */
    if (!strcmp(state, "23503")) return BT_ENOTFOUND;   /* foreign key */
    if (!strncmp(state, "23", 2)) return BT_EINVAL;     /* other constraint */
    if (!strncmp(state, "22", 2)) return BT_EINVAL;     /* data exception */
    if (!strcmp(state, "54000")) return BT_ETOOBIG;     /* program limit */
    if (!strcmp(state, "53200")) return BT_ENOMEM;      /* out of memory */
    return BT_EIO;
}

static const char *hint_for(const char *state) {
    if (!state) return "";
    if (!strcmp(state, "53100")) return " (the database server's disk is full)";
    if (!strcmp(state, "55P03"))
        return " (another session held a lock for longer than lock_timeout)";
    if (!strcmp(state, "40P01")) return " (deadlock with another session)";
    if (!strcmp(state, "57014")) return " (canceled: statement_timeout?)";
    return "";
}

static int lost_connection(bt_pg *p, const char *doing, bt_error *err) {
    char msg[BT_ERROR_MESSAGE_MAX];
    one_line(PQerrorMessage(p->conn), msg, sizeof msg);
    /* The server may have committed just before the connection went. */
    bool committing = !strncmp(doing, "committing", 10);
    return bt_error_set(err, BT_EIO,
                        "store: lost the connection to PostgreSQL at %s "
                        "while %s: %s%s",
                        p->where, doing, msg,
                        committing ? " (the commit may or may not have "
                                     "been applied)"
                                   : "");
}

static int fail(bt_pg *p, PGresult *r, const char *doing, bt_error *err) {
    if (PQstatus(p->conn) == CONNECTION_BAD)
        return lost_connection(p, doing, err);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary =
        r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[BT_ERROR_MESSAGE_MAX];
    one_line(primary ? primary : PQerrorMessage(p->conn), msg, sizeof msg);
    return bt_error_set(err, map_state(state),
                        "store: %s in PostgreSQL database %s failed: %s%s",
                        doing, p->where, msg, hint_for(state));
}

/* ---- Statements ----------------------------------------------------- */

static int session_setup(bt_pg *p, bt_error *err);

static int reconnect(bt_pg *p, bt_error *err) {
    PQreset(p->conn);
    if (PQstatus(p->conn) == CONNECTION_OK) return session_setup(p, err);
    char msg[BT_ERROR_MESSAGE_MAX];
    one_line(PQerrorMessage(p->conn), msg, sizeof msg);
    return bt_error_set(err, BT_EIO,
                        "store: cannot reconnect to PostgreSQL at %s: %s",
                        p->where, msg);
}

/* A broken connection is re-opened only between calls: inside a
 * transaction its work is gone and the call must fail. */
static int ensure_connection(bt_pg *p, const char *doing, bt_error *err) {
    if (PQstatus(p->conn) == CONNECTION_OK) return 0;
    if (p->in_op || p->in_group) return lost_connection(p, doing, err);
    return reconnect(p, err);
}

/* A parameterless command (transaction control). */
static int run(bt_pg *p, const char *sql, const char *doing, bt_error *err) {
    PGresult *r = PQexec(p->conn, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK &&
        PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = fail(p, r, doing, err);
    else if (!strcmp(sql, "COMMIT") && !strcmp(PQcmdStatus(r), "ROLLBACK"))
        /* COMMIT of a transaction that had failed rolls it back. */
        rc = bt_error_set(err, BT_EIO,
                          "store: %s in PostgreSQL database %s failed: the "
                          "transaction had failed and was rolled back",
                          doing, p->where);
    PQclear(r);
    return rc;
}

static void note_group_state(bt_pg *p) {
    if (!p->in_group || p->group_broken) return;
    PGTransactionStatusType ts = PQtransactionStatus(p->conn);
    if (ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN) {
        one_line(PQerrorMessage(p->conn), p->group_error,
                 sizeof p->group_error);
        if (!p->group_error[0])
            snprintf(p->group_error, sizeof p->group_error,
                     "the transaction ended");
        p->group_broken = true;
    }
}

int bt__pg_exec(bt_pg *p, const char *sql, bt_pg_args *a, PGresult **res,
                const char *doing, bt_error *err) {
    int rc = bt__pg_execv(p, sql, a ? a->n : 0, a ? a->values : NULL,
                          a ? a->lengths : NULL, a ? a->formats : NULL, res,
                          doing, err);
    args_free(a);
    return rc;
}

static bool is_read(const char *sql) {
    while (*sql == ' ' || *sql == '\n' || *sql == '(') sql++;
    return strncasecmp(sql, "SELECT", 6) == 0 &&
           !strcasestr(sql, "FOR UPDATE") && !strcasestr(sql, "FOR SHARE");
}

int bt__pg_execv(bt_pg *p, const char *sql, int n, const char *const *values,
                 const int *lengths, const int *formats, PGresult **res,
                 const char *doing, bt_error *err) {
    if (res) *res = NULL;
    int rc = 0;
    if (p->in_group && p->group_broken)
        rc = bt_error_set(err, BT_ESTATE,
                          "store: this group of changes was already rolled "
                          "back (%s); roll it back and start again",
                          p->group_error);
    if (!rc) rc = ensure_connection(p, doing, err);
    bool guard = !rc && p->in_group && !p->in_op;
    if (guard) rc = run(p, "SAVEPOINT stmt", doing, err);
    PGresult *r = NULL;
    /* A lone SELECT that finds the connection gone changed nothing, so
     * it may reconnect and run again: readers (the web service, a job
     * wait) ride out a database restart instead of failing once. */
    bool retry = !p->in_op && !p->in_group && is_read(sql);
    while (!rc) {
        r = PQexecParams(p->conn, sql, n, NULL, values, lengths, formats, 0);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) break;
        rc = fail(p, r, doing, err);
        PQclear(r);
        r = NULL;
        if (!retry || PQstatus(p->conn) != CONNECTION_BAD) break;
        retry = false;
        rc = reconnect(p, err);
    }
    if (guard && PQstatus(p->conn) == CONNECTION_OK) {
        if (rc) {
            PQclear(PQexec(p->conn, "ROLLBACK TO SAVEPOINT stmt"));
        }
        PQclear(PQexec(p->conn, "RELEASE SAVEPOINT stmt"));
    }
    if (rc) note_group_state(p);
    if (res) *res = r;
    else PQclear(r);
    return rc;
}

int64_t bt__pg_changes(PGresult *res) {
    const char *n = PQcmdTuples(res);
    return n && *n ? strtoll(n, NULL, 10) : 0;
}

/* ---- Transactions and groups ---------------------------------------- */

/* libpq learns that the server closed the connection (restart, idle
 * timeout, pg_terminate_backend) only when it next uses it. BEGIN has no
 * effect, so when that is what finds out, it is safe to reconnect and
 * begin again; any other statement fails the call instead, as it may or
 * may not have been carried out. */
static int begin_tx(bt_pg *p, const char *doing, bt_error *err) {
    int rc = ensure_connection(p, doing, err);
    if (!rc) rc = run(p, "BEGIN", doing, err);
    if (rc && PQstatus(p->conn) == CONNECTION_BAD) {
        rc = reconnect(p, err);
        if (!rc) rc = run(p, "BEGIN", doing, err);
    }
    return rc;
}

int bt__pg_begin(bt_pg *p, bt_error *err) {
    assert(!p->in_op);
    int rc;
    if (p->in_group) {
        if (p->group_broken)
            return bt_error_set(err, BT_ESTATE,
                                "store: this group of changes was already "
                                "rolled back (%s); roll it back and start "
                                "again",
                                p->group_error);
        rc = run(p, "SAVEPOINT op", "starting a change", err);
        if (rc) note_group_state(p);
    } else {
        rc = begin_tx(p, "starting a transaction", err);
    }
    if (!rc) p->in_op = true;
    return rc;
}

void bt__pg_rollback(bt_pg *p) {
    p->in_op = false;
    if (PQstatus(p->conn) != CONNECTION_OK) {
        note_group_state(p);
        return;
    }
    if (p->in_group) {
        note_group_state(p);
        if (p->group_broken) return;
        PQclear(PQexec(p->conn, "ROLLBACK TO SAVEPOINT op"));
        PQclear(PQexec(p->conn, "RELEASE SAVEPOINT op"));
        return;
    }
    if (PQtransactionStatus(p->conn) != PQTRANS_IDLE)
        PQclear(PQexec(p->conn, "ROLLBACK"));
}

int bt__pg_commit(bt_pg *p, bt_error *err) {
    assert(p->in_op);
    int rc = run(p, p->in_group ? "RELEASE SAVEPOINT op" : "COMMIT",
                 "committing", err);
    if (rc) {
        p->in_op = true;
        bt__pg_rollback(p);
    }
    p->in_op = false;
    return rc;
}

static int pg_group_begin(bt_store *s, bt_error *err) {
    bt_pg *p = bt__pg(s);
    if (p->in_group)
        return bt_error_set(err, BT_ESTATE,
                            "store: a group of changes is already open on "
                            "this handle (groups do not nest)");
    int rc = begin_tx(p, "starting a group of changes", err);
    if (rc) return rc;
    p->in_group = true;
    p->group_broken = false;
    p->group_error[0] = '\0';
    return 0;
}

static void pg_group_rollback(bt_store *s) {
    bt_pg *p = bt__pg(s);
    if (!p->in_group) return;
    p->in_group = false;
    p->group_broken = false;
    if (PQstatus(p->conn) == CONNECTION_OK &&
        PQtransactionStatus(p->conn) != PQTRANS_IDLE)
        PQclear(PQexec(p->conn, "ROLLBACK"));
}

static int pg_group_commit(bt_store *s, bt_error *err) {
    bt_pg *p = bt__pg(s);
    if (!p->in_group)
        return bt_error_set(err, BT_ESTATE,
                            "store: no group of changes is open");
    if (p->group_broken) {
        int rc = bt_error_set(err, BT_EIO,
                              "store: the group of changes in PostgreSQL "
                              "database %s was rolled back: %s",
                              p->where, p->group_error);
        pg_group_rollback(s);
        return rc;
    }
    p->in_group = false;
    int rc = run(p, "COMMIT", "committing a group of changes", err);
    if (rc && PQstatus(p->conn) == CONNECTION_OK &&
        PQtransactionStatus(p->conn) != PQTRANS_IDLE)
        PQclear(PQexec(p->conn, "ROLLBACK"));
    return rc;
}

int bt__pg_notify(bt_pg *p, const char *what, int64_t job_id,
                  bt_error *err) {
    char payload[64];
    snprintf(payload, sizeof payload, "%s %lld", what, (long long)job_id);
    bt_pg_args a = {0};
    bt__pg_text(&a, payload);
    return bt__pg_exec(p, "SELECT pg_notify('" BT_PG_CHANNEL "', $1)", &a,
                       NULL, "announcing a job", err);
}

/* ---- Columns -------------------------------------------------------- */

int64_t bt__pg_i64(const PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col)) return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool bt__pg_bool(const PGresult *r, int row, int col) {
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

char *bt__pg_str(const PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col)) return NULL;
    return bt_xstrndup(PQgetvalue(r, row, col),
                       (size_t)PQgetlength(r, row, col));
}

char *bt__pg_str0(const PGresult *r, int row, int col) {
    char *t = bt__pg_str(r, row, col);
    return t ? t : bt_xstrdup("");
}

void bt__pg_guid(const PGresult *r, int row, int col, char out[BT_GUID_LEN]) {
    snprintf(out, BT_GUID_LEN, "%s",
             PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

unsigned char *bt__pg_bytea(const PGresult *r, int row, int col,
                            size_t *len) {
    *len = 0;
    unsigned char *raw = NULL;
    if (!PQgetisnull(r, row, col))
        raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col),
                              len);
    if (!raw && !PQgetisnull(r, row, col)) abort(); /* OOM, as bt_xmalloc */
    unsigned char *out = bt_xmalloc(*len + 1);
    if (*len) memcpy(out, raw, *len);
    out[*len] = '\0';
    PQfreemem(raw);
    return out;
}

void *bt__pg_grow(void *items, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return items;
    *cap = *cap ? *cap * 2 : 8;
    items = bt_xrealloc(items, *cap * size);
    memset((char *)items + n * size, 0, (*cap - n) * size);
    return items;
}

/* ---- Migrations ----------------------------------------------------- */

static int max_known_version(void) {
    int v = 0;
    for (size_t i = 0; i < bt__pg_migration_count; i++)
        if (bt__pg_migrations[i].version > v) v = bt__pg_migrations[i].version;
    return v;
}

/* *out is -1 when there is no schema_migrations table; *n_tables counts
 * the tables of the current schema. */
static int read_version(bt_pg *p, int *out, int64_t *n_tables,
                        bt_error *err) {
    *out = -1;
    *n_tables = 0;
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT to_regclass('schema_migrations') IS NOT "
                         "NULL, (SELECT count(*) FROM pg_tables WHERE "
                         "schemaname = current_schema())",
                         NULL, &r, "reading the schema", err);
    if (rc) return rc;
    bool has = bt__pg_bool(r, 0, 0);
    *n_tables = bt__pg_i64(r, 0, 1);
    PQclear(r);
    if (!has) return 0;
    rc = bt__pg_exec(p, "SELECT coalesce(max(version), 0) FROM "
                        "schema_migrations",
                     NULL, &r, "reading the schema version", err);
    if (rc) return rc;
    *out = (int)bt__pg_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

static int check_version(bt_pg *p, int have, int64_t n_tables,
                         bt_error *err) {
    int known = max_known_version();
    if (have < 0 && n_tables > 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: PostgreSQL database %s has tables but is "
                            "not a Baton one (no schema_migrations table); "
                            "point Baton at an empty database",
                            p->where);
    if (have > known)
        return bt_error_set(err, BT_ESTATE,
                            "store: database %s has schema version %d, newer "
                            "than this Baton supports (%d); upgrade Baton or "
                            "open another database",
                            p->where, have, known);
    return 0;
}

static int apply_one(bt_pg *p, const bt_pg_migration *m, bt_error *err) {
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    /* Concurrent first opens queue here; the next re-reads the version. */
    rc = bt__pg_exec(p, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")",
                     NULL, NULL, "locking the schema", err);
    int have = -1;
    int64_t n_tables = 0;
    if (!rc) rc = read_version(p, &have, &n_tables, err);
    if (!rc) rc = check_version(p, have, n_tables, err);
    if (rc || have >= m->version) {
        bt__pg_rollback(p);
        return rc;
    }
    char doing[128];
    snprintf(doing, sizeof doing, "applying schema migration %d (%s)",
             m->version, m->name);
    rc = bt__pg_exec(p,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version integer PRIMARY KEY, name text NOT NULL, "
                     "applied_us bigint NOT NULL)",
                     NULL, NULL, "creating schema_migrations", err);
    if (!rc) {
        /* Migration texts hold several statements and no values. */
        PGresult *r = PQexec(p->conn, m->sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK &&
            PQresultStatus(r) != PGRES_TUPLES_OK)
            rc = fail(p, r, doing, err);
        PQclear(r);
    }
    if (!rc && m->version == 1) {
        char guid[BT_GUID_LEN];
        bt_store_guid(guid);
        bt_pg_args a = {0};
        bt__pg_text(&a, guid);
        bt__pg_int(&a, bt__pg_now(p));
        rc = bt__pg_exec(p,
                         "INSERT INTO folders(guid, parent_id, name, path, "
                         "created_us) VALUES ($1, NULL, '', '/', $2)",
                         &a, NULL, "creating the root folder", err);
    }
    if (!rc) {
        bt_pg_args a = {0};
        bt__pg_int(&a, m->version);
        bt__pg_text(&a, m->name);
        bt__pg_int(&a, bt__pg_now(p));
        rc = bt__pg_exec(p,
                         "INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                         &a, NULL, doing, err);
    }
    if (rc) {
        bt__pg_rollback(p);
        return rc;
    }
    return bt__pg_commit(p, err);
}

static int migrate(bt_pg *p, bt_error *err) {
    int have;
    int64_t n_tables;
    int rc = read_version(p, &have, &n_tables, err);
    if (!rc) rc = check_version(p, have, n_tables, err);
    if (rc) return rc;
    for (size_t i = 0; i < bt__pg_migration_count; i++) {
        if (bt__pg_migrations[i].version <= have) continue;
        if ((rc = apply_one(p, &bt__pg_migrations[i], err))) return rc;
    }
    return 0;
}

/* ---- Notifications -------------------------------------------------- */

static PGconn *connect_url(const char *url) {
    /* Keywords after dbname override what the URL says; the ones before
     * it are defaults the URL can change. A firewall that starts dropping
     * packets must not leave a runbook server blocked for minutes in TCP
     * retransmissions while holding a job's row lock: unacknowledged data
     * fails the connection after 10 s (tcp_user_timeout), an idle one is
     * probed by keepalives, and the store then reconnects. */
    static const char *const keys[] = {
        "connect_timeout",     "keepalives",      "keepalives_idle",
        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "dbname",              "client_encoding", "fallback_application_name",
        NULL};
    const char *values[] = {"10", "1", "10", "3", "3", "10000",
                            url, "UTF8", "baton", NULL};
    return PQconnectdbParams(keys, values, 1);
}

static int pg_wait_fd(bt_store *s) {
    bt_pg *p = bt__pg(s);
    if (!p->listen) {
        PGconn *c = connect_url(p->url);
        if (!c) return -1;
        PGresult *r = NULL;
        if (PQstatus(c) == CONNECTION_OK)
            r = PQexec(c, "LISTEN " BT_PG_CHANNEL);
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            PQfinish(c);
            return -1;
        }
        p->listen = c;
    }
    return PQsocket(p->listen);
}

static int pg_drain_notifications(bt_store *s) {
    bt_pg *p = bt__pg(s);
    if (!p->listen) return 0;
    if (!PQconsumeInput(p->listen)) {
        /* Re-opened by the next bt_store_wait_fd. */
        PQfinish(p->listen);
        p->listen = NULL;
        return -BT_EIO;
    }
    int n = 0;
    PGnotify *note;
    while ((note = PQnotifies(p->listen))) {
        n++;
        PQfreemem(note);
    }
    return n;
}

/* ---- Open / close --------------------------------------------------- */

static void pg_close(bt_store *s) {
    bt_pg *p = bt__pg(s);
    PQfinish(p->conn); /* the server rolls back an open group */
    PQfinish(p->listen);
    free(p->url);
    free(p);
}

static int pg_schema_version(bt_store *s, int *out, bt_error *err) {
    int64_t n_tables;
    int rc = read_version(bt__pg(s), out, &n_tables, err);
    if (*out < 0) *out = 0;
    return rc;
}

/* ---- Portable queries (store/admin.c) ------------------------------- */

int bt__pg_query(bt_store *s, const char *sql, const char *const *args,
                 int nargs, bt_store_rows *out, const char *doing,
                 bt_error *err) {
    bt_pg *p = bt__pg(s);
    PGresult *r = NULL;
    int rc = bt__pg_execv(p, sql, nargs, args, NULL, NULL, out ? &r : NULL,
                          doing, err);
    if (rc || !out) return rc;
    bt_store_rows rows = {.n = (size_t)PQntuples(r),
                          .cols = (size_t)PQnfields(r)};
    if (rows.n && rows.cols) {
        rows.cell = bt_xcalloc(rows.n * rows.cols, sizeof(char *));
        for (size_t i = 0; i < rows.n; i++)
            for (size_t c = 0; c < rows.cols; c++)
                rows.cell[i * rows.cols + c] =
                    bt__pg_str(r, (int)i, (int)c);
    }
    PQclear(r);
    *out = rows;
    return 0;
}

static int pg_query_begin(bt_store *s, bt_error *err) {
    return bt__pg_begin(bt__pg(s), err);
}

static int pg_query_commit(bt_store *s, bt_error *err) {
    return bt__pg_commit(bt__pg(s), err);
}

static void pg_query_rollback(bt_store *s) { bt__pg_rollback(bt__pg(s)); }

static const bt_store_ops pg_ops = {
#define OP(name) .name = bt__pg_##name
    .name = "postgresql",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .begin = pg_group_begin,
    .commit = pg_group_commit,
    .rollback = pg_group_rollback,
    OP(folder_create), OP(folder_get), OP(folder_get_id), OP(folder_list),
    OP(runbook_create), OP(runbook_get), OP(runbook_find), OP(runbook_list),
    OP(runbook_set_settings), OP(version_add), OP(version_get),
    OP(version_list), OP(job_create), OP(job_claim), OP(job_set_status),
    OP(job_request_cancel), OP(job_get), OP(job_list), OP(instance_create),
    OP(instance_finish), OP(instance_get), OP(instance_list),
    OP(commit_activities), OP(activity_list), OP(server_register),
    OP(server_heartbeat), OP(server_list), OP(server_takeover), OP(event_add),
    OP(event_list), OP(audit_add), OP(audit_list), OP(variable_set),
    OP(variable_get), OP(variable_list), OP(variable_delete),
    OP(counter_set), OP(counter_get), OP(counter_add), OP(counter_delete),
    OP(counter_list), OP(setting_move),
    OP(schedule_set), OP(schedule_get), OP(schedule_list),
    OP(schedule_delete), OP(purge_instances), OP(purge_events),
    OP(purge_audit), OP(query),
    .query_begin = pg_query_begin,
    .query_commit = pg_query_commit,
    .query_rollback = pg_query_rollback,
#undef OP
    .wait_fd = pg_wait_fd,
    .drain_notifications = pg_drain_notifications,
};

/* "host:port/dbname" from the URL's own words, for messages: never the
 * password. */
static void describe_target(const char *url, char *out, size_t size) {
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    const char *host = NULL, *hostaddr = NULL, *port = NULL, *db = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !*o->val) continue;
        if (!strcmp(o->keyword, "host")) host = o->val;
        else if (!strcmp(o->keyword, "hostaddr")) hostaddr = o->val;
        else if (!strcmp(o->keyword, "port")) port = o->val;
        else if (!strcmp(o->keyword, "dbname")) db = o->val;
    }
    if (!host) host = hostaddr;
    snprintf(out, size, "%s:%s%s%s", host ? host : "localhost",
             port ? port : "5432", db ? "/" : "", db ? db : "");
    PQconninfoFree(opts);
}

/* After connecting and after every reconnection. A call waiting on a lock
 * longer than lock_timeout fails and says so (as SQLite's busy_timeout),
 * unless the server or the URL chose a lock_timeout of its own. */
static void measure_clock(bt_pg *p) {
    uint64_t t0 = bt_now_us();
    PGresult *r = PQexec(p->conn, "SELECT (extract(epoch FROM "
                                  "clock_timestamp()) * 1000000)::bigint");
    uint64_t t1 = bt_now_us();
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        /* the server read its clock about halfway through the round trip */
        int64_t db = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        p->clock_offset_us = db - (int64_t)(t0 + (t1 - t0) / 2);
        p->clock_checked_us = t1;
    }
    PQclear(r);
}

void bt__pg_clock_refresh(bt_pg *p) {
    if (p->in_op || p->in_group || PQstatus(p->conn) != CONNECTION_OK)
        return;
    if (bt_now_us() - p->clock_checked_us >= 60 * 1000000ull) measure_clock(p);
}

static int session_setup(bt_pg *p, bt_error *err) {
    int rc = bt__pg_exec(p,
                         "SELECT set_config('lock_timeout', '10s', false) "
                         "WHERE current_setting('lock_timeout') = '0'",
                         NULL, NULL, "setting lock_timeout", err);
    if (!rc) measure_clock(p);
    return rc;
}

static int connect_error(PGconn *c, const char *where, bt_error *err) {
    char msg[BT_ERROR_MESSAGE_MAX];
    one_line(c ? PQerrorMessage(c) : "out of memory", msg, sizeof msg);
    int code = strstr(msg, "does not exist") ? BT_ENOTFOUND : BT_EIO;
    return bt_error_set(err, code,
                        "store: cannot connect to PostgreSQL at %s: %s", where,
                        msg);
}

int bt__store_pg_open(const char *url, bt_store **out, bt_error *err) {
    *out = NULL;
    char *parse_error = NULL;
    PQconninfoOption *check = PQconninfoParse(url, &parse_error);
    if (!check) {
        char msg[BT_ERROR_MESSAGE_MAX];
        one_line(parse_error ? parse_error : "out of memory", msg, sizeof msg);
        PQfreemem(parse_error);
        return bt_error_set(err, BT_EINVAL,
                            "store: the PostgreSQL URL is not valid: %s", msg);
    }
    PQconninfoFree(check);
    bt_pg *p = bt_xcalloc(1, sizeof *p);
    p->base.ops = &pg_ops;
    p->url = bt_xstrdup(url);
    describe_target(url, p->where, sizeof p->where);
    p->conn = connect_url(url);
    int rc = 0;
    if (PQstatus(p->conn) != CONNECTION_OK)
        rc = connect_error(p->conn, p->where, err);
    else if (PQserverVersion(p->conn) < MIN_SERVER_VERSION)
        rc = bt_error_set(err, BT_EINVAL,
                          "store: PostgreSQL at %s is version %d.%d; Baton "
                          "needs 10 or newer",
                          p->where, PQserverVersion(p->conn) / 10000,
                          PQserverVersion(p->conn) / 100 % 100);
    if (!rc) rc = session_setup(p, err);
    if (!rc) rc = migrate(p, err);
    if (rc) {
        pg_close(&p->base);
        return rc;
    }
    *out = &p->base;
    return 0;
}
