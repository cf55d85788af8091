/* The SQLite backend: one connection per handle, WAL journal, schema
 * migrations at open, a prepared-statement cache. The operations live in
 * sqlite_catalog.c, sqlite_jobs.c, sqlite_runs.c and sqlite_globals.c.
 *
 * Durability (docs/store.md): WAL with synchronous=FULL by default, so a
 * commit that returned 0 survives a SIGKILL and a power loss; "?sync=normal"
 * keeps only the SIGKILL guarantee (the WAL is fsynced at checkpoints) in
 * exchange for commits that cost no fsync. */
#include "store/sqlite_internal.h"

#include <assert.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util.h"

#define DEFAULT_BUSY_TIMEOUT_MS 10000

/* ---- Statement cache and helpers ------------------------------------ */

static size_t slot_of(const char *sql) {
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 7) % BT_SQLITE_STMT_SLOTS;
}

sqlite3_stmt *bt__sq_stmt(bt_sqlite *q, const char *sql, bt_error *err) {
    size_t i = slot_of(sql);
    for (size_t probes = 0; probes < BT_SQLITE_STMT_SLOTS; probes++) {
        if (q->cache[i].sql == sql) {
            sqlite3_reset(q->cache[i].stmt);
            return q->cache[i].stmt;
        }
        if (!q->cache[i].sql) {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                   &st, NULL) != SQLITE_OK) {
                bt__sq_fail(q, "preparing a statement", err);
                return NULL;
            }
            q->cache[i].sql = sql;
            q->cache[i].stmt = st;
            return st;
        }
        i = (i + 1) % BT_SQLITE_STMT_SLOTS;
    }
    assert(!"statement cache full: raise BT_SQLITE_STMT_SLOTS");
    bt_error_set(err, BT_EINTERNAL, "store: statement cache is full");
    return NULL;
}

static int map_code(int ext) {
    switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return BT_EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return BT_ENOTFOUND;
    case SQLITE_TOOBIG: return BT_ETOOBIG;
    case SQLITE_NOMEM: return BT_ENOMEM;
    }
    switch (ext & 0xff) {
    case SQLITE_CONSTRAINT: return BT_EINVAL;
    case SQLITE_NOMEM: return BT_ENOMEM;
    default: return BT_EIO;
    }
}

/* "disk I/O error" alone does not tell a full disk from a broken one, and
 * SQLite often no longer has the errno by the time it reports: look. */
static void describe_io_failure(bt_sqlite *q, char *hint, size_t size) {
    int sys = sqlite3_system_errno(q->db);
    if (sys) {
        snprintf(hint, size, " (%s)", strerror(sys));
        return;
    }
    char *copy = bt_xstrdup(q->path);
    struct statvfs vfs;
    bool full = statvfs(dirname(copy), &vfs) == 0 &&
                (uint64_t)vfs.f_bavail * vfs.f_frsize < ((uint64_t)1 << 20);
    free(copy);
    struct rlimit lim;
    if (full)
        snprintf(hint, size, " (the file system holding it is full)");
    else if (getrlimit(RLIMIT_FSIZE, &lim) == 0 &&
             lim.rlim_cur != RLIM_INFINITY)
        snprintf(hint, size,
                 " (the process may have reached its file size limit, "
                 "ulimit -f, of %llu bytes)",
                 (unsigned long long)lim.rlim_cur);
}

int bt__sq_fail(bt_sqlite *q, const char *doing, bt_error *err) {
    int ext = sqlite3_extended_errcode(q->db);
    int primary = ext & 0xff;
    char hint[160] = "";
    if (primary == SQLITE_FULL)
        snprintf(hint, sizeof hint, " (the disk is full)");
    else if (primary == SQLITE_BUSY)
        snprintf(hint, sizeof hint,
                 " (another process held the database lock for longer than "
                 "busy_timeout)");
    else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
        snprintf(hint, sizeof hint, " (the database file is corrupt)");
    else if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN)
        describe_io_failure(q, hint, sizeof hint);
    return bt_error_set(err, map_code(ext), "store: %s in '%s' failed: %s%s",
                        doing, q->path, sqlite3_errmsg(q->db), hint);
}

int bt__sq_exec_stmt(bt_sqlite *q, sqlite3_stmt *st, const char *doing,
                     bt_error *err) {
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) out = bt__sq_fail(q, doing, err);
    sqlite3_reset(st);
    return out;
}

static int exec_sql(bt_sqlite *q, const char *sql, const char *doing,
                    bt_error *err) {
    if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return bt__sq_fail(q, doing, err);
    return 0;
}

static int exec_cached(bt_sqlite *q, const char *sql, const char *doing,
                       bt_error *err) {
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    return bt__sq_exec_stmt(q, st, doing, err);
}

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_savepoint[] = "SAVEPOINT op";
static const char sql_release[] = "RELEASE op";
static const char sql_rollback_to[] = "ROLLBACK TO op";

int bt__sq_begin(bt_sqlite *q, bt_error *err) {
    if (q->in_group) {
        if (q->group_broken)
            return bt_error_set(err, BT_ESTATE,
                                "store: this group of changes was already "
                                "rolled back (%s); roll it back and start "
                                "again",
                                q->group_error);
        return exec_cached(q, sql_savepoint, "starting a change", err);
    }
    return exec_cached(q, sql_begin, "starting a transaction", err);
}

int bt__sq_commit(bt_sqlite *q, bt_error *err) {
    int rc = exec_cached(q, q->in_group ? sql_release : sql_commit,
                         "committing", err);
    if (rc) bt__sq_rollback(q);
    return rc;
}

void bt__sq_rollback(bt_sqlite *q) {
    if (q->in_group) {
        /* An I/O error or a full disk makes SQLite roll back the whole
         * transaction: the group is lost, and its commit must say so. */
        if (sqlite3_get_autocommit(q->db)) {
            if (!q->group_broken)
                snprintf(q->group_error, sizeof q->group_error, "%s",
                         sqlite3_errmsg(q->db));
            q->group_broken = true;
            return;
        }
        sqlite3_exec(q->db, sql_rollback_to, NULL, NULL, NULL);
        sqlite3_exec(q->db, sql_release, NULL, NULL, NULL);
        return;
    }
    /* Some errors (I/O, disk full) already rolled back. */
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_group_begin(bt_store *s, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    if (q->in_group)
        return bt_error_set(err, BT_ESTATE,
                            "store: a group of changes is already open on "
                            "this handle (groups do not nest)");
    int rc = exec_cached(q, sql_begin, "starting a group of changes", err);
    if (rc) return rc;
    q->in_group = true;
    q->group_broken = false;
    q->group_error[0] = '\0';
    return 0;
}

static void sq_group_rollback(bt_store *s) {
    bt_sqlite *q = bt__sq(s);
    if (!q->in_group) return;
    q->in_group = false;
    q->group_broken = false;
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_group_commit(bt_store *s, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    if (!q->in_group)
        return bt_error_set(err, BT_ESTATE,
                            "store: no group of changes is open");
    if (q->group_broken) {
        int rc = bt_error_set(err, BT_EIO,
                              "store: the group of changes in '%s' was "
                              "rolled back: %s",
                              q->path, q->group_error);
        sq_group_rollback(s);
        return rc;
    }
    q->in_group = false;
    int rc = exec_cached(q, sql_commit, "committing a group of changes", err);
    if (rc && !sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

char *bt__sq_text(sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t) return NULL;
    return bt_xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

char *bt__sq_text0(sqlite3_stmt *st, int col) {
    char *t = bt__sq_text(st, col);
    return t ? t : bt_xstrdup("");
}

void bt__sq_guid(sqlite3_stmt *st, int col, char out[BT_GUID_LEN]) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, BT_GUID_LEN, "%s", t ? (const char *)t : "");
}

int bt__sq_bind_text(sqlite3_stmt *st, int idx, const char *text) {
    if (!text) return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
}

void *bt__sq_grow(void *items, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return items;
    *cap = *cap ? *cap * 2 : 8;
    items = bt_xrealloc(items, *cap * size);
    memset((char *)items + n * size, 0, (*cap - n) * size);
    return items;
}

/* ---- Migrations ----------------------------------------------------- */

static int max_known_version(void) {
    int v = 0;
    for (size_t i = 0; i < bt__sqlite_migration_count; i++)
        if (bt__sqlite_migrations[i].version > v)
            v = bt__sqlite_migrations[i].version;
    return v;
}

/* -1 when the table does not exist. */
static int read_version(bt_sqlite *q, int *out, int *n_tables,
                        bt_error *err) {
    sqlite3_stmt *st = NULL;
    *out = -1;
    *n_tables = 0;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT name FROM sqlite_master WHERE type='table'",
                           -1, &st, NULL) != SQLITE_OK)
        return bt__sq_fail(q, "reading the schema", err);
    bool has = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        (*n_tables)++;
        if (!strcmp((const char *)sqlite3_column_text(st, 0),
                    "schema_migrations"))
            has = true;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bt__sq_fail(q, "reading the schema", err);
    if (!has) return 0;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT coalesce(max(version), 0) FROM "
                           "schema_migrations",
                           -1, &st, NULL) != SQLITE_OK)
        return bt__sq_fail(q, "reading the schema version", err);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return bt__sq_fail(q, "reading the schema version", err);
    return 0;
}

static int check_version(bt_sqlite *q, int have, int n_tables, bt_error *err) {
    int known = max_known_version();
    if (have < 0 && n_tables > 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: '%s' is an SQLite database but not a "
                            "Baton one (it has tables and no "
                            "schema_migrations table)",
                            q->path);
    if (have > known)
        return bt_error_set(err, BT_ESTATE,
                            "store: database '%s' has schema version %d, "
                            "newer than this Baton supports (%d); upgrade "
                            "Baton or open another database",
                            q->path, have, known);
    return 0;
}

static int create_root_folder(bt_sqlite *q, bt_error *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db,
                           "INSERT INTO folders(guid, parent_id, name, path, "
                           "created_us) VALUES (?, NULL, '', '/', ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return bt__sq_fail(q, "creating the root folder", err);
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, bt__sq_now(q));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return bt__sq_fail(q, "creating the root folder", err);
    return 0;
}

static int apply_one(bt_sqlite *q, const bt_sqlite_migration *m,
                     bt_error *err) {
    int rc = exec_sql(q, "BEGIN IMMEDIATE", "starting a migration", err);
    if (rc) return rc;
    /* Another process may have migrated while this one waited. */
    int have, n_tables;
    rc = read_version(q, &have, &n_tables, err);
    if (!rc) rc = check_version(q, have, n_tables, err);
    if (rc || have >= m->version) {
        bt__sq_rollback(q);
        return rc;
    }
    rc = exec_sql(q,
                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
                  "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                  "applied_us INTEGER NOT NULL)",
                  "creating schema_migrations", err);
    char doing[128];
    snprintf(doing, sizeof doing, "applying schema migration %d (%s)",
             m->version, m->name);
    if (!rc) rc = exec_sql(q, m->sql, doing, err);
    if (!rc && m->version == 1) rc = create_root_folder(q, err);
    if (!rc) {
        char *ins = sqlite3_mprintf("INSERT INTO schema_migrations VALUES "
                                    "(%d, %Q, %lld)",
                                    m->version, m->name,
                                    (long long)bt__sq_now(q));
        rc = exec_sql(q, ins, doing, err);
        sqlite3_free(ins);
    }
    if (!rc) rc = exec_sql(q, "COMMIT", doing, err);
    if (rc) bt__sq_rollback(q);
    return rc;
}

static int migrate(bt_sqlite *q, bt_error *err) {
    int have, n_tables;
    int rc = read_version(q, &have, &n_tables, err);
    if (!rc) rc = check_version(q, have, n_tables, err);
    if (rc) return rc;
    for (size_t i = 0; i < bt__sqlite_migration_count; i++) {
        if (bt__sqlite_migrations[i].version <= have) continue;
        if ((rc = apply_one(q, &bt__sqlite_migrations[i], err))) return rc;
    }
    return 0;
}

/* ---- Open / close --------------------------------------------------- */

static void sq_close(bt_store *s) {
    bt_sqlite *q = bt__sq(s);
    for (size_t i = 0; i < BT_SQLITE_STMT_SLOTS; i++)
        if (q->cache[i].stmt) sqlite3_finalize(q->cache[i].stmt);
    sqlite3_close(q->db);
    free(q->path);
    free(q);
}

static int sq_schema_version(bt_store *s, int *out, bt_error *err) {
    int n_tables;
    int rc = read_version(bt__sq(s), out, &n_tables, err);
    if (*out < 0) *out = 0;
    return rc;
}

/* ---- Portable queries (store/admin.c) ------------------------------- */

int bt__sq_query(bt_store *s, const char *sql, const char *const *args,
                 int nargs, bt_store_rows *out, const char *doing,
                 bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    /* "$1" is a named parameter to SQLite: bind by name, since the same
     * number may appear several times and in any order. */
    for (int i = 0; i < nargs; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx > 0) bt__sq_bind_text(st, idx, args[i]);
    }
    int cols = sqlite3_column_count(st);
    size_t cap = 0;
    int rc;
    bt_store_rows rows = {.cols = (size_t)cols};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!out) continue;
        rows.cell = bt__sq_grow(rows.cell, rows.n, &cap,
                                sizeof(char *) * (size_t)(cols ? cols : 1));
        for (int c = 0; c < cols; c++)
            rows.cell[rows.n * (size_t)cols + (size_t)c] = bt__sq_text(st, c);
        rows.n++;
    }
    int out_rc = rc == SQLITE_DONE ? 0 : bt__sq_fail(q, doing, err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (out_rc || !out) bt__store_rows_free(&rows);
    else *out = rows;
    return out_rc;
}

static int sq_query_begin(bt_store *s, bt_error *err) {
    return bt__sq_begin(bt__sq(s), err);
}

static int sq_query_commit(bt_store *s, bt_error *err) {
    return bt__sq_commit(bt__sq(s), err);
}

static void sq_query_rollback(bt_store *s) { bt__sq_rollback(bt__sq(s)); }

static const bt_store_ops sqlite_ops = {
#define OP(name) .name = bt__sq_##name
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .begin = sq_group_begin,
    .commit = sq_group_commit,
    .rollback = sq_group_rollback,
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
    .query_begin = sq_query_begin,
    .query_commit = sq_query_commit,
    .query_rollback = sq_query_rollback,
#undef OP
};

/* journal_mode is the first statement that reads the file: garbage in
 * place of a database fails here with SQLITE_NOTADB. Switching a new file
 * to WAL needs an exclusive lock and does not go through the busy handler,
 * and while another process is creating the same file SQLite can also
 * report a transient I/O error (its journal vanishing under fstat), so
 * those two are retried until busy_timeout. */
static int enable_wal(bt_sqlite *q, int busy_timeout_ms, bt_error *err) {
    uint64_t deadline = bt_mono_us() + (uint64_t)busy_timeout_ms * 1000;
    useconds_t pause_us = 1000;
    for (;;) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode=WAL", -1, &st,
                                    NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(st, 0);
            int out = 0;
            if (!mode || strcmp(mode, "wal") != 0)
                out = bt_error_set(err, BT_EIO,
                                   "store: '%s' cannot use WAL mode (journal "
                                   "mode stays '%s'); is it on a network "
                                   "file system?",
                                   q->path, mode ? mode : "");
            sqlite3_finalize(st);
            return out;
        }
        sqlite3_finalize(st);
        int ext = sqlite3_extended_errcode(q->db);
        int primary = ext & 0xff;
        if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
            return bt_error_set(err, BT_EINVAL,
                                "store: '%s' is not an SQLite database or is "
                                "corrupt (%s); restore it from a backup or "
                                "point Baton at another file",
                                q->path, sqlite3_errmsg(q->db));
        bool transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
                         ext == SQLITE_IOERR_FSTAT;
        if (!transient || bt_mono_us() >= deadline)
            return bt__sq_fail(q, "switching to WAL mode", err);
        usleep(pause_us);
        if (pause_us < 50000) pause_us *= 2;
    }
}

typedef struct open_options {
    bool sync_full;
    int busy_timeout_ms;
} open_options;

/* "PATH?sync=normal&busy_timeout=500": splits PATH off and reads options. */
static int parse_target(const char *target, char **path, open_options *o,
                        bt_error *err) {
    o->sync_full = true;
    o->busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
    const char *qm = strchr(target, '?');
    *path = qm ? bt_xstrndup(target, (size_t)(qm - target))
               : bt_xstrdup(target);
    if (!qm) return 0;
    char *opts = bt_xstrdup(qm + 1), *save = NULL;
    int rc = 0;
    for (char *kv = strtok_r(opts, "&", &save); kv && !rc;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq) *eq = '\0';
        int64_t ms;
        if (!strcmp(kv, "sync") && !strcmp(val, "full")) o->sync_full = true;
        else if (!strcmp(kv, "sync") && !strcmp(val, "normal"))
            o->sync_full = false;
        else if (!strcmp(kv, "busy_timeout") && bt_parse_int64(val, &ms) &&
                 ms >= 0 && ms <= 3600000)
            o->busy_timeout_ms = (int)ms;
        else
            rc = bt_error_set(err, BT_EINVAL,
                              "store: database option '%s=%s' is not "
                              "understood (sync=full|normal, "
                              "busy_timeout=MILLISECONDS)",
                              kv, val);
    }
    free(opts);
    if (rc) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

static int check_directory(const char *path, bt_error *err) {
    char *copy = bt_xstrdup(path);
    char *dir = dirname(copy);
    struct stat sb;
    int rc = 0;
    if (stat(dir, &sb) != 0)
        rc = bt_error_set(err, errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
                          "store: cannot create database '%s': directory "
                          "'%s': %s",
                          path, dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        rc = bt_error_set(err, BT_EINVAL,
                          "store: cannot create database '%s': '%s' is not "
                          "a directory",
                          path, dir);
    free(copy);
    return rc;
}

/* SQLite counts every allocation in process-wide statistics under one
 * global mutex; with a handle per web connection thread that lock is
 * contended on every malloc (docs/performance.md, "Web service"). Nothing
 * reads the statistics. It must be set before SQLite initialises; when
 * something in the process already used SQLite this is a harmless no-op. */
static void configure_once(void) {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int bt__store_sqlite_open(const char *target, bt_store **out, bt_error *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    *out = NULL;
    char *path = NULL;
    open_options o;
    int rc = parse_target(target, &path, &o, err);
    if (rc) return rc;
    if ((rc = check_directory(path, err))) {
        free(path);
        return rc;
    }
    bt_sqlite *q = bt_xcalloc(1, sizeof *q);
    q->base.ops = &sqlite_ops;
    q->path = path;
    if (sqlite3_open_v2(path, &q->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = q->db ? bt__sq_fail(q, "opening the database", err)
                   : bt_error_set(err, BT_ENOMEM, "store: out of memory");
        sq_close(&q->base);
        return rc;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, o.busy_timeout_ms);
    rc = 0;
    if (!rc) rc = enable_wal(q, o.busy_timeout_ms, err);
    if (!rc)
        rc = exec_sql(q,
                      o.sync_full ? "PRAGMA synchronous=FULL"
                                  : "PRAGMA synchronous=NORMAL",
                      "setting synchronous", err);
    if (!rc)
        rc = exec_sql(q, "PRAGMA foreign_keys=ON", "enabling foreign keys",
                      err);
    if (!rc) rc = migrate(q, err);
    if (rc) {
        sq_close(&q->base);
        return rc;
    }
    *out = &q->base;
    return 0;
}
