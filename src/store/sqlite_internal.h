/* Shared by the SQLite backend's files: the handle, the prepared-statement
 * cache, transactions and column helpers. */
#ifndef BT_STORE_SQLITE_INTERNAL_H
#define BT_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "store/backend.h"

#define BT_SQLITE_STMT_SLOTS 256 /* > the number of distinct statements */

typedef struct bt_sqlite {
    bt_store base; /* first: a bt_store * is a bt_sqlite * */
    sqlite3 *db;
    char *path;
    bool in_group;     /* inside bt_store_begin .. bt_store_commit */
    bool group_broken; /* SQLite rolled the group back on an error */
    char group_error[BT_ERROR_MESSAGE_MAX];
    /* Statements are cached per connection, keyed by the address of their
     * static SQL text (open addressing; the set of statements is fixed). */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[BT_SQLITE_STMT_SLOTS];
} bt_sqlite;

typedef struct bt_sqlite_migration {
    int version;
    const char *name;
    const char *sql;
} bt_sqlite_migration;

extern const bt_sqlite_migration bt__sqlite_migrations[];
extern const size_t bt__sqlite_migration_count;

static inline bt_sqlite *bt__sq(bt_store *s) { return (bt_sqlite *)s; }

/* A reset statement from the cache, or NULL with *err set. */
sqlite3_stmt *bt__sq_stmt(bt_sqlite *q, const char *sql, bt_error *err);
/* Turns an SQLite failure into a bt_error naming what was being done. */
int bt__sq_fail(bt_sqlite *q, const char *doing, bt_error *err);
/* Steps a statement that returns no rows (or ignores them) and resets it. */
int bt__sq_exec_stmt(bt_sqlite *q, sqlite3_stmt *st, const char *doing,
                     bt_error *err);

/* Write transactions take the write lock up front (BEGIN IMMEDIATE), so
 * two handles never deadlock upgrading a read lock; busy_timeout waits.
 * Inside a group they are savepoints of the group's transaction. */
int bt__sq_begin(bt_sqlite *q, bt_error *err);
int bt__sq_commit(bt_sqlite *q, bt_error *err);
void bt__sq_rollback(bt_sqlite *q);

/* Copies of column values (NULL for SQL NULL). */
char *bt__sq_text(sqlite3_stmt *st, int col);
/* "" for SQL NULL. */
char *bt__sq_text0(sqlite3_stmt *st, int col);
void bt__sq_guid(sqlite3_stmt *st, int col, char out[BT_GUID_LEN]);
int bt__sq_bind_text(sqlite3_stmt *st, int idx, const char *text);

/* Growable arrays of result structs. */
void *bt__sq_grow(void *items, size_t n, size_t *cap, size_t size);

static inline int64_t bt__sq_now(bt_sqlite *q) {
    return (int64_t)bt_store_now(&q->base);
}

/* An event row inside the caller's transaction. */
int bt__sq_event_insert(bt_sqlite *q, bt_severity sev, const char *source,
                        const char *message, int64_t job_id, bt_error *err);

/* The backend's operations, one group per file. */
#define BT__SQ_DECL(name, ...) int bt__sq_##name(bt_store *s, __VA_ARGS__)
BT__SQ_DECL(folder_create, const char *path, bt_store_folder *out,
            bt_error *err);
BT__SQ_DECL(folder_get, const char *path, bt_store_folder *out, bt_error *err);
BT__SQ_DECL(folder_get_id, int64_t id, bt_store_folder *out, bt_error *err);
BT__SQ_DECL(folder_list, int64_t parent_id, bt_store_folder **items,
            size_t *n, bt_error *err);
BT__SQ_DECL(runbook_create, int64_t folder_id, const char *name,
            const char *description, bt_store_runbook *out, bt_error *err);
BT__SQ_DECL(runbook_get, int64_t id, bt_store_runbook *out, bt_error *err);
BT__SQ_DECL(runbook_find, int64_t folder_id, const char *name,
            bt_store_runbook *out, bt_error *err);
BT__SQ_DECL(runbook_list, int64_t folder_id, bt_store_runbook **items,
            size_t *n, bt_error *err);
BT__SQ_DECL(runbook_set_settings, int64_t runbook_id,
            const bt_store_runbook_settings *settings, bt_error *err);
BT__SQ_DECL(version_add, int64_t runbook_id, const char *yaml,
            const char *author, const char *comment, int *out_version,
            bt_error *err);
BT__SQ_DECL(version_get, int64_t runbook_id, int version,
            bt_store_version *out, bt_error *err);
BT__SQ_DECL(version_list, int64_t runbook_id, bt_store_version **items,
            size_t *n, bt_error *err);

BT__SQ_DECL(job_create, const bt_store_job_spec *spec, bt_store_job *out,
            bt_error *err);
BT__SQ_DECL(job_claim, int64_t server_id, size_t max, bt_store_job **jobs,
            size_t *n, bt_error *err);
BT__SQ_DECL(job_set_status, int64_t job_id, bt_job_status st,
            int64_t server_id, bt_error *err);
BT__SQ_DECL(job_request_cancel, int64_t job_id, bt_error *err);
BT__SQ_DECL(job_get, int64_t id, bt_store_job *out, bt_error *err);
BT__SQ_DECL(job_list, const bt_store_job_filter *f, bt_store_job **items,
            size_t *n, int64_t *next, bt_error *err);
BT__SQ_DECL(server_register, const char *name, const char *version,
            uint64_t lease_ms, int64_t *out_id, bt_error *err);
BT__SQ_DECL(server_heartbeat, int64_t server_id, uint64_t lease_ms,
            bt_error *err);
BT__SQ_DECL(server_list, bt_store_server **items, size_t *n, bt_error *err);
BT__SQ_DECL(server_takeover, int64_t **ids, size_t *n, bt_error *err);

BT__SQ_DECL(instance_create, int64_t job_id, int64_t server_id,
            bt_store_instance *out, bt_error *err);
BT__SQ_DECL(instance_finish, int64_t instance_id, bt_job_status st,
            bt_result result, const char *return_data, bt_error *err);
BT__SQ_DECL(instance_get, int64_t id, bt_store_instance *out, bt_error *err);
BT__SQ_DECL(instance_list, int64_t job_id, bt_store_instance **items,
            size_t *n, bt_error *err);
BT__SQ_DECL(commit_activities, int64_t server_id,
            const bt_store_activity_spec *a, size_t n, int64_t *first_id,
            bt_error *err);
BT__SQ_DECL(activity_list, int64_t instance_id, uint64_t after_seq,
            bt_store_activity **items, size_t *n, bt_error *err);

BT__SQ_DECL(event_add, bt_severity sev, const char *source,
            const char *message, int64_t job_id, bt_error *err);
BT__SQ_DECL(event_list, int64_t job_id, int64_t after_id, size_t limit,
            bt_store_event **items, size_t *n, bt_error *err);
BT__SQ_DECL(audit_add, const char *who, const char *action,
            const char *object, const char *before, const char *after,
            bt_error *err);
BT__SQ_DECL(audit_list, int64_t after_id, size_t limit,
            bt_store_audit **items, size_t *n, bt_error *err);
BT__SQ_DECL(variable_set, const char *name, const void *value, size_t len,
            bool encrypted, const char *folder, bt_error *err);
BT__SQ_DECL(variable_get, const char *name, bt_store_variable *out,
            bt_error *err);
BT__SQ_DECL(variable_list, const char *folder, bt_store_variable **items,
            size_t *n, bt_error *err);
BT__SQ_DECL(variable_delete, const char *name, bt_error *err);
BT__SQ_DECL(counter_set, const char *name, int64_t value, const char *folder,
            bt_error *err);
BT__SQ_DECL(counter_list, const char *folder, bt_store_counter **items, size_t *n,
            bt_error *err);
BT__SQ_DECL(counter_get, const char *name, int64_t *out, bt_error *err);
BT__SQ_DECL(counter_add, const char *name, int64_t delta, int64_t *out,
            bt_error *err);
BT__SQ_DECL(counter_delete, const char *name, bt_error *err);
BT__SQ_DECL(schedule_set, const char *name, const char *definition,
            const char *folder, bt_error *err);
BT__SQ_DECL(schedule_get, const char *name, bt_store_schedule *out,
            bt_error *err);
BT__SQ_DECL(schedule_list, const char *folder, bt_store_schedule **items,
            size_t *n, bt_error *err);
BT__SQ_DECL(setting_move, bt_store_setting_kind kind, const char *name,
            const char *folder, bt_error *err);
BT__SQ_DECL(schedule_delete, const char *name, bt_error *err);
BT__SQ_DECL(purge_instances, int64_t runbook_id, size_t keep_last,
            int64_t older_than_us, size_t *purged, bt_error *err);
BT__SQ_DECL(purge_events, int64_t older_than_us, size_t *purged,
            bt_error *err);
BT__SQ_DECL(query, const char *sql, const char *const *args, int nargs,
            bt_store_rows *out, const char *doing, bt_error *err);
BT__SQ_DECL(purge_audit, int64_t older_than_us, size_t *purged,
            bt_error *err);

#endif
