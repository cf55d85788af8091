/* Write to Database: runs one INSERT, UPDATE, DELETE or DDL statement on
 * SQLite, PostgreSQL, MariaDB or ODBC with bound parameters and publishes
 * how many rows it changed. */
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
    {"statement", BT_PROP_STRING, true, NULL,
     "One SQL statement; $1, $2 (PostgreSQL) or ? (others) mark "
     "parameters.",
     NULL},
    {"parameters", BT_PROP_LIST, false, NULL,
     "Values bound to the parameters, in order, as text.", NULL},
    {"create", BT_PROP_BOOLEAN, false, "false",
     "Create the SQLite file when it does not exist.", NULL},
    {"connect_timeout", BT_PROP_DURATION, false, "10s",
     "How long to wait for the server, or for an SQLite lock.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"rows_affected", NULL};

static int run(bt_activity_ctx *ctx) {
    const char *conn = bt_act_str(ctx, "connection", "");
    const char *sql = bt_act_str(ctx, "statement", "");
    const char *const *params;
    size_t n_params = bt_act_list(ctx, "parameters", &params);
    bool create = false;
    uint64_t tmo = 10000;
    if (bt_act_bool(ctx, "create", false, &create) ||
        bt_act_duration(ctx, "connect_timeout", 10000, &tmo))
        return -BT_EINVAL;
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    char *where = bt_dbconn_redact(conn);
    const char *shown = bt_act_strdup(ctx, where);
    free(where);
    char err[1024];
    bt_dbconn *db;
    if (bt_dbconn_open(conn, create, (int)((tmo + 999) / 1000), &db, err,
                       sizeof err) != 0)
        return bt_act_fail(ctx, "write-to-database: cannot open '%s': %s",
                           shown, err);
    long long affected = 0;
    int rc = bt_dbconn_exec(db, sql, params, n_params, NULL, NULL, &affected,
                            err, sizeof err);
    bt_dbconn_close(db);
    if (rc != 0)
        return bt_act_fail(ctx, "write-to-database: '%.200s' on '%s': %s",
                           sql, shown, err);
    bt_act_publishf(ctx, "rows_affected", "%lld", affected);
    return 0;
}

const bt_activity_type bt_activity_write_to_database = {
    .name = "write-to-database",
    .title = "Write to Database",
    .category = "utility",
    .description = "Runs an INSERT, UPDATE, DELETE or DDL statement on "
                   "a database and publishes the rows changed.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
