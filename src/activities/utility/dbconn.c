/* The two database back ends of dbconn.h. */
#include "activities/utility/dbconn.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct bt_dbconn {
    sqlite3 *lite;
    PGconn *pg;
};

static bool is_pg(const char *t) {
    return strncmp(t, "postgresql://", 13) == 0 ||
           strncmp(t, "postgres://", 11) == 0;
}

char *bt_dbconn_redact(const char *target) {
    if (!is_pg(target)) return bt_xstrdup(target);
    const char *scheme = strstr(target, "://") + 3;
    const char *at = strchr(scheme, '@');
    const char *slash = strchr(scheme, '/');
    if (!at || (slash && slash < at)) return bt_xstrdup(target);
    const char *colon = memchr(scheme, ':', (size_t)(at - scheme));
    if (!colon) return bt_xstrdup(target);
    return bt_xasprintf("%.*s***%s", (int)(colon + 1 - target), target, at);
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
    } else if (strstr(target, "://")) {
        snprintf(err, errlen,
                 "only postgresql:// URLs and SQLite files are supported");
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
    if (db->lite)
        return exec_sqlite(db, sql, params, n_params, row, ud, affected, err,
                           errlen);
    return exec_pg(db, sql, params, n_params, row, ud, affected, err, errlen);
}
