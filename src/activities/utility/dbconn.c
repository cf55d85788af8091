/* The two database back ends of dbconn.h. */
#include "activities/utility/dbconn.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <pthread.h>
#include <sql.h>
#include <sqlext.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/util.h"

struct bt_dbconn {
    sqlite3 *lite;
    PGconn *pg;
    MYSQL *my;
    SQLHENV env;
    SQLHDBC dbc; /* ODBC when non-NULL */
};

static bool is_pg(const char *t) {
    return strncmp(t, "postgresql://", 13) == 0 ||
           strncmp(t, "postgres://", 11) == 0;
}

static bool is_my(const char *t) {
    return strncmp(t, "mysql://", 8) == 0 || strncmp(t, "mariadb://", 10) == 0;
}

static bool is_odbc(const char *t) { return strncmp(t, "odbc:", 5) == 0; }

/* ODBC connection strings carry PWD=...; hide the value. */
static char *redact_odbc(const char *t) {
    bt_buf b;
    bt_buf_init(&b, 0);
    const char *p = t;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq && ((eq - p == 3 && strncasecmp(p, "pwd", 3) == 0) ||
                   (eq - p == 8 && strncasecmp(p, "password", 8) == 0))) {
            bt_buf_append(&b, p, (size_t)(eq + 1 - p));
            bt_buf_appends(&b, "***");
        } else {
            bt_buf_append(&b, p, n);
        }
        if (!semi) break;
        bt_buf_appendc(&b, ';');
        p = semi + 1;
    }
    return bt_buf_detach(&b);
}

char *bt_dbconn_redact(const char *target) {
    if (is_odbc(target)) return redact_odbc(target);
    if (!is_pg(target) && !is_my(target)) return bt_xstrdup(target);
    const char *scheme = strstr(target, "://") + 3;
    const char *at = strchr(scheme, '@');
    const char *slash = strchr(scheme, '/');
    if (!at || (slash && slash < at)) return bt_xstrdup(target);
    const char *colon = memchr(scheme, ':', (size_t)(at - scheme));
    if (!colon) return bt_xstrdup(target);
    return bt_xasprintf("%.*s***%s", (int)(colon + 1 - target), target, at);
}

/* ---- MariaDB / MySQL ---------------------------------------------------- */

static pthread_once_t my_once = PTHREAD_ONCE_INIT;
static void my_init(void) { mysql_library_init(0, NULL, NULL); }

static char *pct_decode(const char *s, size_t n) {
    char *out = bt_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n + 1 && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* mysql://[user[:password]@]host[:port][/database][?socket=PATH] */
static int open_mysql(bt_dbconn *db, const char *url, int timeout_s,
                      char *err, size_t errlen) {
    const char *p = strstr(url, "://") + 3;
    const char *q = strchr(p, '?');
    const char *end = q ? q : p + strlen(p);
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *hp_end = slash ? slash : end;
    const char *at = NULL;
    for (const char *c = p; c < hp_end; c++)
        if (*c == '@') at = c;
    char *user = NULL, *pass = NULL, *host, *dbname = NULL, *sock = NULL;
    unsigned port = 0;
    const char *hs = p;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        user = pct_decode(p, (size_t)((colon ? colon : at) - p));
        if (colon) pass = pct_decode(colon + 1, (size_t)(at - colon - 1));
        hs = at + 1;
    }
    const char *pc = memchr(hs, ':', (size_t)(hp_end - hs));
    host = bt_xstrndup(hs, (size_t)((pc ? pc : hp_end) - hs));
    if (pc) port = (unsigned)strtoul(pc + 1, NULL, 10);
    if (slash && slash + 1 < end)
        dbname = pct_decode(slash + 1, (size_t)(end - slash - 1));
    if (q && strncmp(q + 1, "socket=", 7) == 0)
        sock = pct_decode(q + 8, strlen(q + 8));
    pthread_once(&my_once, my_init);
    db->my = mysql_init(NULL);
    int rc = 0;
    if (!db->my) {
        snprintf(err, errlen, "out of memory");
        rc = -BT_ENOMEM;
    } else {
        unsigned tmo = (unsigned)(timeout_s > 0 ? timeout_s : 10);
        my_bool off = 0;
        mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &tmo);
        mysql_options(db->my, MYSQL_OPT_LOCAL_INFILE, &off);
        mysql_options(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        if (!mysql_real_connect(db->my, *host ? host : NULL, user, pass,
                                dbname, port, sock, 0)) {
            snprintf(err, errlen, "%s", mysql_error(db->my));
            rc = -BT_EIO;
        }
    }
    free(user);
    free(pass);
    free(host);
    free(dbname);
    free(sock);
    return rc;
}

static int exec_mysql(bt_dbconn *db, const char *sql,
                      const char *const *params, size_t n_params,
                      bt_dbconn_row_fn row, void *ud, long long *affected,
                      char *err, size_t errlen) {
    enum { CHUNK = 256 };
    MYSQL_STMT *st = mysql_stmt_init(db->my);
    if (!st) {
        snprintf(err, errlen, "%s", mysql_error(db->my));
        return -BT_EIO;
    }
    int out = 0;
    MYSQL_BIND *pb = NULL, *rb = NULL;
    unsigned long *plen = NULL, *rlen = NULL;
    my_bool *rnull = NULL, *rerr = NULL;
    char **bufs = NULL;
    const char **names = NULL, **vals = NULL;
    MYSQL_RES *meta = NULL;
    unsigned ncol = 0;
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        snprintf(err, errlen, "%s", mysql_stmt_error(st));
        out = -BT_EINVAL;
        goto done;
    }
    unsigned long want = mysql_stmt_param_count(st);
    if (want != n_params) {
        snprintf(err, errlen, "the query has %lu parameter%s but %zu %s given",
                 want, want == 1 ? "" : "s", n_params,
                 n_params == 1 ? "was" : "were");
        out = -BT_EINVAL;
        goto done;
    }
    pb = bt_xcalloc(n_params + 1, sizeof *pb);
    plen = bt_xcalloc(n_params + 1, sizeof *plen);
    for (size_t i = 0; i < n_params; i++) {
        plen[i] = strlen(params[i]);
        pb[i].buffer_type = MYSQL_TYPE_STRING;
        pb[i].buffer = (void *)params[i];
        pb[i].buffer_length = plen[i];
        pb[i].length = &plen[i];
    }
    if ((n_params && mysql_stmt_bind_param(st, pb) != 0) ||
        mysql_stmt_execute(st) != 0) {
        snprintf(err, errlen, "%s", mysql_stmt_error(st));
        out = -BT_EIO;
        goto done;
    }
    meta = mysql_stmt_result_metadata(st);
    if (meta) {
        ncol = mysql_num_fields(meta);
        MYSQL_FIELD *f = mysql_fetch_fields(meta);
        rb = bt_xcalloc(ncol + 1, sizeof *rb);
        rlen = bt_xcalloc(ncol + 1, sizeof *rlen);
        rnull = bt_xcalloc(ncol + 1, sizeof *rnull);
        rerr = bt_xcalloc(ncol + 1, sizeof *rerr);
        bufs = bt_xcalloc(ncol + 1, sizeof *bufs);
        names = bt_xcalloc(ncol + 1, sizeof *names);
        vals = bt_xcalloc(ncol + 1, sizeof *vals);
        for (unsigned i = 0; i < ncol; i++) {
            names[i] = f[i].name;
            bufs[i] = bt_xmalloc(CHUNK);
            rb[i].buffer_type = MYSQL_TYPE_STRING;
            rb[i].buffer = bufs[i];
            rb[i].buffer_length = CHUNK - 1;
            rb[i].length = &rlen[i];
            rb[i].is_null = &rnull[i];
            rb[i].error = &rerr[i];
        }
        if (mysql_stmt_bind_result(st, rb) != 0) {
            snprintf(err, errlen, "%s", mysql_stmt_error(st));
            out = -BT_EIO;
            goto done;
        }
        int fr;
        while ((fr = mysql_stmt_fetch(st)) == 0 || fr == MYSQL_DATA_TRUNCATED) {
            char **big = bt_xcalloc(ncol + 1, sizeof *big);
            for (unsigned i = 0; i < ncol; i++) {
                if (rnull[i]) {
                    vals[i] = NULL;
                } else if (rlen[i] >= CHUNK - 1) {
                    /* Longer than the first buffer: fetch it whole. */
                    big[i] = bt_xmalloc(rlen[i] + 1);
                    MYSQL_BIND one = {0};
                    unsigned long l = 0;
                    one.buffer_type = MYSQL_TYPE_STRING;
                    one.buffer = big[i];
                    one.buffer_length = rlen[i] + 1;
                    one.length = &l;
                    mysql_stmt_fetch_column(st, &one, i, 0);
                    big[i][rlen[i]] = '\0';
                    vals[i] = big[i];
                } else {
                    bufs[i][rlen[i]] = '\0';
                    vals[i] = bufs[i];
                }
            }
            int stop = row ? row(ud, ncol, names, vals) : 0;
            for (unsigned i = 0; i < ncol; i++) free(big[i]);
            free(big);
            if (stop) break;
        }
        if (fr == 1) {
            snprintf(err, errlen, "%s", mysql_stmt_error(st));
            out = -BT_EIO;
        }
    }
    if (affected && !meta) *affected = (long long)mysql_stmt_affected_rows(st);
done:
    if (meta) mysql_free_result(meta);
    for (unsigned i = 0; bufs && i < ncol; i++) free(bufs[i]);
    free(bufs);
    free(names);
    free(vals);
    free(rb);
    free(rlen);
    free(rnull);
    free(rerr);
    free(pb);
    free(plen);
    mysql_stmt_close(st);
    return out;
}

/* ---- ODBC ------------------------------------------------------------- */

static void odbc_error(SQLSMALLINT type, SQLHANDLE h, char *err,
                       size_t errlen) {
    SQLCHAR state[6] = "", msg[512] = "";
    SQLINTEGER native = 0;
    SQLSMALLINT len = 0;
    if (SQL_SUCCEEDED(SQLGetDiagRec(type, h, 1, state, &native, msg,
                                    sizeof msg, &len)))
        snprintf(err, errlen, "%s (SQLSTATE %s)", (char *)msg, (char *)state);
    else
        snprintf(err, errlen, "the ODBC driver gave no reason");
}

static int open_odbc(bt_dbconn *db, const char *conn, int timeout_s,
                     char *err, size_t errlen) {
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
                                      &db->env))) {
        snprintf(err, errlen, "cannot start ODBC");
        return -BT_EIO;
    }
    SQLSetEnvAttr(db->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, db->env, &db->dbc))) {
        db->dbc = NULL;
        snprintf(err, errlen, "cannot start ODBC");
        return -BT_EIO;
    }
    SQLSetConnectAttr(db->dbc, SQL_ATTR_LOGIN_TIMEOUT,
                      (SQLPOINTER)(intptr_t)(timeout_s > 0 ? timeout_s : 10),
                      0);
    SQLCHAR outstr[1024];
    SQLSMALLINT outlen = 0;
    SQLRETURN r = SQLDriverConnect(db->dbc, NULL, (SQLCHAR *)conn, SQL_NTS,
                                   outstr, sizeof outstr, &outlen,
                                   SQL_DRIVER_NOPROMPT);
    if (!SQL_SUCCEEDED(r)) {
        odbc_error(SQL_HANDLE_DBC, db->dbc, err, errlen);
        SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
        db->dbc = NULL;
        return -BT_EIO;
    }
    return 0;
}

/* One column of the current row as text; NULL for SQL NULL. malloc'd. */
static char *odbc_column(SQLHSTMT st, SQLUSMALLINT col, bool *ok) {
    bt_buf b;
    bt_buf_init(&b, 0);
    char chunk[4096];
    *ok = true;
    for (;;) {
        SQLLEN ind = 0;
        SQLRETURN r =
            SQLGetData(st, col, SQL_C_CHAR, chunk, sizeof chunk, &ind);
        if (r == SQL_NO_DATA) break;
        if (!SQL_SUCCEEDED(r)) {
            *ok = false;
            break;
        }
        if (ind == SQL_NULL_DATA) {
            bt_buf_free(&b);
            return NULL;
        }
        size_t got = (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof chunk)
                         ? sizeof chunk - 1
                         : (size_t)ind;
        bt_buf_append(&b, chunk, got);
        if (r == SQL_SUCCESS) break;
    }
    return bt_buf_detach(&b);
}

static int exec_odbc(bt_dbconn *db, const char *sql,
                     const char *const *params, size_t n_params,
                     bt_dbconn_row_fn row, void *ud, long long *affected,
                     char *err, size_t errlen) {
    SQLHSTMT st = NULL;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, db->dbc, &st))) {
        odbc_error(SQL_HANDLE_DBC, db->dbc, err, errlen);
        return -BT_EIO;
    }
    int out = 0;
    SQLLEN *ind = bt_xcalloc(n_params + 1, sizeof *ind);
    const char **names = NULL, **vals = NULL;
    char **namebufs = NULL;
    SQLSMALLINT ncol = 0;
    if (!SQL_SUCCEEDED(SQLPrepare(st, (SQLCHAR *)sql, SQL_NTS))) {
        odbc_error(SQL_HANDLE_STMT, st, err, errlen);
        out = -BT_EINVAL;
        goto done;
    }
    SQLSMALLINT want = 0;
    if (SQL_SUCCEEDED(SQLNumParams(st, &want)) && (size_t)want != n_params) {
        snprintf(err, errlen, "the query has %d parameter%s but %zu %s given",
                 want, want == 1 ? "" : "s", n_params,
                 n_params == 1 ? "was" : "were");
        out = -BT_EINVAL;
        goto done;
    }
    for (size_t i = 0; i < n_params; i++) {
        size_t len = strlen(params[i]);
        ind[i] = (SQLLEN)len;
        SQLBindParameter(st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT,
                         SQL_C_CHAR, SQL_VARCHAR, len ? len : 1, 0,
                         (SQLPOINTER)params[i], (SQLLEN)len, &ind[i]);
    }
    SQLRETURN r = SQLExecute(st);
    if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA) {
        odbc_error(SQL_HANDLE_STMT, st, err, errlen);
        out = -BT_EIO;
        goto done;
    }
    SQLNumResultCols(st, &ncol);
    if (ncol > 0) {
        names = bt_xcalloc((size_t)ncol + 1, sizeof *names);
        vals = bt_xcalloc((size_t)ncol + 1, sizeof *vals);
        namebufs = bt_xcalloc((size_t)ncol + 1, sizeof *namebufs);
        for (SQLSMALLINT i = 0; i < ncol; i++) {
            SQLCHAR nm[256] = "";
            SQLSMALLINT nl = 0, dt, dd, nu;
            SQLULEN cs;
            SQLDescribeCol(st, (SQLUSMALLINT)(i + 1), nm, sizeof nm, &nl, &dt,
                           &cs, &dd, &nu);
            namebufs[i] = bt_xstrdup((char *)nm);
            names[i] = namebufs[i];
        }
        while ((r = SQLFetch(st)) != SQL_NO_DATA) {
            if (!SQL_SUCCEEDED(r)) {
                odbc_error(SQL_HANDLE_STMT, st, err, errlen);
                out = -BT_EIO;
                break;
            }
            char **cells = bt_xcalloc((size_t)ncol + 1, sizeof *cells);
            bool ok = true;
            for (SQLSMALLINT i = 0; i < ncol && ok; i++) {
                cells[i] = odbc_column(st, (SQLUSMALLINT)(i + 1), &ok);
                vals[i] = cells[i];
            }
            if (!ok) odbc_error(SQL_HANDLE_STMT, st, err, errlen);
            int stop = ok && row ? row(ud, (size_t)ncol, names, vals) : 0;
            for (SQLSMALLINT i = 0; i < ncol; i++) free(cells[i]);
            free(cells);
            if (!ok) {
                out = -BT_EIO;
                break;
            }
            if (stop) break;
        }
    } else if (affected) {
        SQLLEN n = 0;
        if (SQL_SUCCEEDED(SQLRowCount(st, &n)) && n > 0) *affected = n;
    }
done:
    for (SQLSMALLINT i = 0; namebufs && i < ncol; i++) free(namebufs[i]);
    free(namebufs);
    free(names);
    free(vals);
    free(ind);
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    return out;
}

int bt_dbconn_open(const char *target, bool create, int timeout_s,
                   bt_dbconn **out, char *err, size_t errlen) {
    *out = NULL;
    bt_dbconn *db = bt_xcalloc(1, sizeof *db);
    if (is_pg(target)) {
        char tmo[24];
        snprintf(tmo, sizeof tmo, "%d", timeout_s > 0 ? timeout_s : 10);
        const char *keys[] = {"dbname", "connect_timeout",
                              "application_name", NULL};
        const char *vals[] = {target, tmo, "baton", NULL};
        db->pg = PQconnectdbParams(keys, vals, 1);
        if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
            const char *m = db->pg ? PQerrorMessage(db->pg) : "out of memory";
            size_t n = strlen(m);
            while (n && isspace((unsigned char)m[n - 1])) n--;
            snprintf(err, errlen, "%.*s", (int)n, m);
            bt_dbconn_close(db);
            return -BT_EIO;
        }
    } else if (is_my(target)) {
        int rc = open_mysql(db, target, timeout_s, err, errlen);
        if (rc) {
            bt_dbconn_close(db);
            return rc;
        }
    } else if (is_odbc(target)) {
        int rc = open_odbc(db, target + 5, timeout_s, err, errlen);
        if (rc) {
            bt_dbconn_close(db);
            return rc;
        }
    } else if (strstr(target, "://")) {
        snprintf(err, errlen,
                 "only postgresql://, mysql:// or mariadb:// URLs, odbc: "
                 "connection strings and SQLite files are supported");
        bt_dbconn_close(db);
        return -BT_EINVAL;
    } else {
        const char *path = strncmp(target, "sqlite:", 7) == 0 ? target + 7
                                                              : target;
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                    (create ? SQLITE_OPEN_CREATE : 0);
        if (!*path) {
            snprintf(err, errlen, "no database file given");
            bt_dbconn_close(db);
            return -BT_EINVAL;
        }
        int rc = sqlite3_open_v2(path, &db->lite, flags, NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s",
                     db->lite ? sqlite3_errmsg(db->lite)
                              : sqlite3_errstr(rc));
            bt_dbconn_close(db);
            return rc == SQLITE_CANTOPEN ? -BT_ENOTFOUND : -BT_EIO;
        }
        sqlite3_busy_timeout(db->lite, (timeout_s > 0 ? timeout_s : 10) * 1000);
        sqlite3_extended_result_codes(db->lite, 1);
    }
    *out = db;
    return 0;
}

void bt_dbconn_close(bt_dbconn *db) {
    if (!db) return;
    if (db->lite) sqlite3_close_v2(db->lite);
    if (db->pg) PQfinish(db->pg);
    if (db->my) mysql_close(db->my);
    if (db->dbc) {
        SQLDisconnect(db->dbc);
        SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
    }
    if (db->env) SQLFreeHandle(SQL_HANDLE_ENV, db->env);
    free(db);
}

static int exec_sqlite(bt_dbconn *db, const char *sql,
                       const char *const *params, size_t n_params,
                       bt_dbconn_row_fn row, void *ud, long long *affected,
                       char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db->lite, sql, -1, &st, &tail) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db->lite));
        return -BT_EINVAL;
    }
    if (!st) {
        snprintf(err, errlen, "the query is empty");
        return -BT_EINVAL;
    }
    while (tail && isspace((unsigned char)*tail)) tail++;
    if (tail && *tail && !(tail[0] == ';' && !tail[1])) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "give one statement (text follows it: "
                              "'%.40s')",
                 tail);
        return -BT_EINVAL;
    }
    int want = sqlite3_bind_parameter_count(st);
    if ((size_t)want != n_params) {
        sqlite3_finalize(st);
        snprintf(err, errlen,
                 "the query has %d parameter%s but %zu %s given", want,
                 want == 1 ? "" : "s", n_params,
                 n_params == 1 ? "was" : "were");
        return -BT_EINVAL;
    }
    for (size_t i = 0; i < n_params; i++)
        sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_TRANSIENT);
    int ncol = sqlite3_column_count(st);
    const char **names = bt_xcalloc((size_t)ncol + 1, sizeof *names);
    const char **vals = bt_xcalloc((size_t)ncol + 1, sizeof *vals);
    for (int i = 0; i < ncol; i++) names[i] = sqlite3_column_name(st, i);
    int rc, stop = 0, out = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncol; i++)
            vals[i] = sqlite3_column_type(st, i) == SQLITE_NULL
                          ? NULL
                          : (const char *)sqlite3_column_text(st, i);
        if (row) stop = row(ud, (size_t)ncol, names, vals);
    }
    if (!stop && rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db->lite));
        out = -BT_EIO;
    }
    if (affected) *affected = sqlite3_changes64(db->lite);
    free(names);
    free(vals);
    sqlite3_finalize(st);
    return out;
}

static int exec_pg(bt_dbconn *db, const char *sql, const char *const *params,
                   size_t n_params, bt_dbconn_row_fn row, void *ud,
                   long long *affected, char *err, size_t errlen) {
    PGresult *r = PQexecParams(db->pg, sql, (int)n_params, NULL,
                               (const char *const *)params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        const char *m = PQresultErrorMessage(r);
        if (!*m) m = PQerrorMessage(db->pg);
        size_t n = strlen(m);
        while (n && isspace((unsigned char)m[n - 1])) n--;
        snprintf(err, errlen, "%.*s", (int)n, m);
        PQclear(r);
        return -BT_EIO;
    }
    int ncol = PQnfields(r), nrow = PQntuples(r);
    const char **names = bt_xcalloc((size_t)ncol + 1, sizeof *names);
    const char **vals = bt_xcalloc((size_t)ncol + 1, sizeof *vals);
    for (int i = 0; i < ncol; i++) names[i] = PQfname(r, i);
    for (int j = 0; j < nrow; j++) {
        for (int i = 0; i < ncol; i++)
            vals[i] = PQgetisnull(r, j, i) ? NULL : PQgetvalue(r, j, i);
        if (row && row(ud, (size_t)ncol, names, vals)) break;
    }
    if (affected) {
        const char *t = PQcmdTuples(r);
        *affected = *t ? strtoll(t, NULL, 10) : 0;
    }
    free(names);
    free(vals);
    PQclear(r);
    return 0;
}

int bt_dbconn_exec(bt_dbconn *db, const char *sql, const char *const *params,
                   size_t n_params, bt_dbconn_row_fn row, void *ud,
                   long long *affected, char *err, size_t errlen) {
    if (affected) *affected = 0;
    if (db->my)
        return exec_mysql(db, sql, params, n_params, row, ud, affected, err,
                          errlen);
    if (db->dbc)
        return exec_odbc(db, sql, params, n_params, row, ud, affected, err,
                         errlen);
    if (db->lite)
        return exec_sqlite(db, sql, params, n_params, row, ud, affected, err,
                           errlen);
    return exec_pg(db, sql, params, n_params, row, ud, affected, err, errlen);
}
