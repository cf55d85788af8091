/* Query Database: runs one SELECT (or any statement returning rows)
 * against SQLite, PostgreSQL, MariaDB or ODBC and publishes one row per
 * result row, the column names as field names. Parameters are bound,
 * never pasted. */
#include <stdlib.h>
#include <string.h>

#include "activities/utility/dbconn.h"
#include "baton/activity.h"
#include "common/util.h"

static const bt_prop_spec props[] = {
    {"connection", BT_PROP_STRING, true, NULL,
     "SQLite file, postgresql:// or mysql:// URL, or "
     "odbc:CONNECTION-STRING.",
     NULL},
    {"query", BT_PROP_STRING, true, NULL,
     "One SQL statement; $1, $2 (PostgreSQL) or ? (others) mark "
     "parameters.",
     NULL},
    {"parameters", BT_PROP_LIST, false, NULL,
     "Values bound to the parameters, in order, as text.", NULL},
    {"max_rows", BT_PROP_INTEGER, false, "10000",
     "Fail when the query returns more rows than this.", NULL},
    {"fail_if_none", BT_PROP_BOOLEAN, false, "false",
     "Fail when the query returns no rows (else: no rows published).", NULL},
    {"connect_timeout", BT_PROP_DURATION, false, "10s",
     "How long to wait for the server, or for an SQLite lock.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"row_number", "row_count", NULL};

typedef struct rows {
    size_t n, max;
    char **names;  /* columns of the first row, checked once */
    size_t ncol;
    struct row_data {
        char **v;
    } *data;
    size_t alloc;
    bool too_many;
} rows;

static int on_row(void *ud, size_t n, const char *const *names,
                  const char *const *values) {
    rows *r = ud;
    if (r->n >= r->max) {
        r->too_many = true;
        return 1;
    }
    if (!r->names) {
        r->ncol = n;
        r->names = bt_xcalloc(n + 1, sizeof *r->names);
        for (size_t i = 0; i < n; i++) r->names[i] = bt_xstrdup(names[i]);
    }
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? r->alloc * 2 : 16;
        r->data = bt_xrealloc(r->data, r->alloc * sizeof *r->data);
    }
    char **v = bt_xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = bt_xstrdup(values[i] ? values[i] : "");
    r->data[r->n++].v = v;
    return 0;
}

static void rows_free(rows *r) {
    for (size_t j = 0; j < r->n; j++) {
        for (size_t i = 0; i < r->ncol; i++) free(r->data[j].v[i]);
        free(r->data[j].v);
    }
    free(r->data);
    if (r->names)
        for (size_t i = 0; i < r->ncol; i++) free(r->names[i]);
    free(r->names);
}

static const char *const reserved[] = {BT_COMMON_FIELDS, "row_number",
                                       "row_count"};

static int run(bt_activity_ctx *ctx) {
    const char *conn = bt_act_str(ctx, "connection", "");
    const char *sql = bt_act_str(ctx, "query", "");
    const char *const *params;
    size_t n_params = bt_act_list(ctx, "parameters", &params);
    int64_t max_rows = 10000;
    bool fail_if_none = false;
    uint64_t tmo = 10000;
    if (bt_act_int(ctx, "max_rows", 10000, &max_rows) ||
        bt_act_bool(ctx, "fail_if_none", false, &fail_if_none) ||
        bt_act_duration(ctx, "connect_timeout", 10000, &tmo))
        return -BT_EINVAL;
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    char *where = bt_dbconn_redact(conn);
    const char *shown = bt_act_strdup(ctx, where);
    free(where);
    char err[1024];
    bt_dbconn *db;
    if (bt_dbconn_open(conn, false, (int)((tmo + 999) / 1000), &db, err,
                       sizeof err) != 0)
        return bt_act_fail(ctx, "query-database: cannot open '%s': %s", shown,
                           err);
    rows r = {.max = max_rows > 0 ? (size_t)max_rows : 0};
    int rc = bt_dbconn_exec(db, sql, params, n_params, on_row, &r, NULL, err,
                            sizeof err);
    bt_dbconn_close(db);
    if (rc != 0) {
        rows_free(&r);
        return bt_act_fail(ctx, "query-database: '%.200s' on '%s': %s", sql,
                           shown, err);
    }
    if (r.too_many) {
        rows_free(&r);
        return bt_act_fail(ctx,
                           "query-database: '%.200s' on '%s' returned more "
                           "than max_rows (%lld) rows",
                           sql, shown, (long long)max_rows);
    }
    for (size_t i = 0; i < r.ncol; i++)
        for (size_t k = 0; k < BT_ARRAY_LEN(reserved); k++)
            if (strcmp(r.names[i], reserved[k]) == 0) {
                rc = bt_act_fail(ctx,
                                 "query-database: column '%s' of '%.200s' "
                                 "has the name of a field every activity "
                                 "publishes; rename it with AS",
                                 r.names[i], sql);
                rows_free(&r);
                return rc;
            }
    for (size_t j = 0; j < r.n; j++) {
        if (j) bt_act_new_row(ctx);
        bt_act_publishf(ctx, "row_number", "%zu", j + 1);
        bt_act_publishf(ctx, "row_count", "%zu", r.n);
        for (size_t i = 0; i < r.ncol; i++)
            bt_act_publish(ctx, r.names[i], r.data[j].v[i]);
    }
    size_t n = r.n;
    rows_free(&r);
    if (n == 0) {
        if (fail_if_none)
            return bt_act_fail(ctx, "query-database: '%.200s' on '%s' "
                                    "returned no rows",
                               sql, shown);
        bt_act_publish(ctx, "row_count", "0");
        bt_act_publish_no_rows(ctx);
    }
    return 0;
}

const bt_activity_type bt_activity_query_database = {
    .name = "query-database",
    .title = "Query Database",
    .category = "utility",
    .description = "Runs a database query and publishes one "
                   "row per result row.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .open_published = true,
    .run = run,
};
