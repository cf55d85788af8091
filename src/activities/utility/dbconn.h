/* Query Database and Write to Database: one statement with positional
 * parameters against SQLite (a file), PostgreSQL or MariaDB (a URL), or an
 * ODBC data source. Values are always bound, never pasted into the SQL. */
#ifndef BT_DBCONN_H
#define BT_DBCONN_H

#include <stddef.h>

#include "baton/activity.h"

typedef struct bt_dbconn bt_dbconn;

/* Called once per result row: names and values (NULL for SQL NULL) of the
 * n columns. Return nonzero to stop. */
typedef int (*bt_dbconn_row_fn)(void *ud, size_t n, const char *const *names,
                                const char *const *values);

/* target: "postgresql://..." / "postgres://..." or an SQLite file
 * ("sqlite:PATH" or a plain path). create: make a missing SQLite file.
 * Returns 0 or -BT_E* with a sentence in err. */
int bt_dbconn_open(const char *target, bool create, int timeout_s,
                   bt_dbconn **out, char *err, size_t errlen);
void bt_dbconn_close(bt_dbconn *db);
/* Runs sql with params bound as text ($1.. / ?1..). *affected gets the rows
 * changed by INSERT/UPDATE/DELETE. */
int bt_dbconn_exec(bt_dbconn *db, const char *sql, const char *const *params,
                   size_t n_params, bt_dbconn_row_fn row, void *ud,
                   long long *affected, char *err, size_t errlen);
/* The target with any password replaced by "***", for messages. malloc'd. */
char *bt_dbconn_redact(const char *target);

#endif
