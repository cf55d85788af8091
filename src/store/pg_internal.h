/* Shared by the PostgreSQL backend's files: the handle, parameterized
 * queries, transactions and column helpers. */
#ifndef BT_STORE_PG_INTERNAL_H
#define BT_STORE_PG_INTERNAL_H

#include <libpq-fe.h>

#include "common/util.h"
#include "store/backend.h"

typedef struct bt_pg {
    bt_store base; /* first: a bt_store * is a bt_pg * */
    PGconn *conn;
    char *url;         /* kept to open the listening connection */
    char where[160];   /* "host:port/dbname" for messages (no password) */
    bool in_op;        /* inside bt__pg_begin .. commit/rollback */
    bool in_group;     /* inside bt_store_begin .. bt_store_commit */
    bool group_broken; /* the group's transaction is lost */
    char group_error[BT_ERROR_MESSAGE_MAX];
    PGconn *listen;    /* LISTEN baton_jobs; opened by bt_store_wait_fd */
    /* The database server's clock minus this host's, measured at connect
     * and refreshed by heartbeats: every host stamps leases, heartbeats and
     * job times on the one clock they share, so a host whose clock is off
     * neither takes over live jobs nor loses its own. */
    int64_t clock_offset_us;
    uint64_t clock_checked_us; /* this host's time of the last measure */
} bt_pg;

typedef struct bt_pg_migration {
    int version;
    const char *name;
    const char *sql;
} bt_pg_migration;

extern const bt_pg_migration bt__pg_migrations[];
extern const size_t bt__pg_migration_count;

/* The channel a job's creation, cancel request or hand-back is announced
 * on; runbook servers LISTEN to it (bt_store_wait_fd). */
#define BT_PG_CHANNEL "baton_jobs"

static inline bt_pg *bt__pg(bt_store *s) { return (bt_pg *)s; }

/* A clock set by bt_store_set_clock (tests) is used as it is. */
static inline int64_t bt__pg_now(bt_pg *p) {
    if (p->base.clock) return (int64_t)bt_store_now(&p->base);
    return (int64_t)bt_now_us() + p->clock_offset_us;
}

/* Measures clock_offset_us again when it is older than a minute (clocks
 * drift and NTP steps them); a failed measure keeps the last one. */
void bt__pg_clock_refresh(bt_pg *p);

/* Query parameters, always passed apart from the SQL text. Text that is
 * not valid UTF-8 is sent with the bad bytes replaced by U+FFFD (the
 * database refuses it otherwise); bytes go as binary bytea. */
#define BT_PG_MAX_ARGS 12

typedef struct bt_pg_args {
    int n;
    const char *values[BT_PG_MAX_ARGS];
    int lengths[BT_PG_MAX_ARGS];
    int formats[BT_PG_MAX_ARGS];
    char ints[BT_PG_MAX_ARGS][24];
    char *owned[BT_PG_MAX_ARGS];
} bt_pg_args;

void bt__pg_int(bt_pg_args *a, int64_t v);
/* v == 0 is sent as SQL NULL (optional references such as server_id). */
void bt__pg_ref(bt_pg_args *a, int64_t v);
void bt__pg_text(bt_pg_args *a, const char *t); /* NULL: SQL NULL */
void bt__pg_bytes(bt_pg_args *a, const void *b, size_t len);
/* An array of ids, sent as a bigint[] literal. */
void bt__pg_ids(bt_pg_args *a, const int64_t *ids, size_t n);

/* Runs one statement with a's parameters (a may be NULL; its copies are
 * freed). On 0, *res (when res is not NULL) is the result, which the
 * caller PQclears. A statement outside bt__pg_begin inside a group runs
 * under its own savepoint, so that its failure undoes only itself. */
int bt__pg_exec(bt_pg *p, const char *sql, bt_pg_args *a, PGresult **res,
                const char *doing, bt_error *err);
/* The same with parameter arrays of any length (bulk inserts). */
int bt__pg_execv(bt_pg *p, const char *sql, int n, const char *const *values,
                 const int *lengths, const int *formats, PGresult **res,
                 const char *doing, bt_error *err);
/* A copy of t with invalid UTF-8 replaced by U+FFFD, or NULL when t is
 * valid as it is. */
char *bt__pg_clean_text(const char *t);
/* Rows changed by the last command of res. */
int64_t bt__pg_changes(PGresult *res);

/* A call's transaction: BEGIN, or a savepoint inside a group. */
int bt__pg_begin(bt_pg *p, bt_error *err);
int bt__pg_commit(bt_pg *p, bt_error *err);
void bt__pg_rollback(bt_pg *p);
/* NOTIFY baton_jobs inside the current transaction (sent on commit). */
int bt__pg_notify(bt_pg *p, const char *what, int64_t job_id, bt_error *err);

/* Column values. */
int64_t bt__pg_i64(const PGresult *r, int row, int col); /* NULL: 0 */
bool bt__pg_bool(const PGresult *r, int row, int col);
char *bt__pg_str(const PGresult *r, int row, int col);  /* NULL: NULL */
char *bt__pg_str0(const PGresult *r, int row, int col); /* NULL: "" */
void bt__pg_guid(const PGresult *r, int row, int col, char out[BT_GUID_LEN]);
/* A bytea column, NUL-terminated; *len excludes the NUL. */
unsigned char *bt__pg_bytea(const PGresult *r, int row, int col, size_t *len);

/* Growable arrays of result structs (as bt__sq_grow). */
void *bt__pg_grow(void *items, size_t n, size_t *cap, size_t size);

/* An event row inside the caller's transaction. */
int bt__pg_event_insert(bt_pg *p, bt_severity sev, const char *source,
                        const char *message, int64_t job_id, bt_error *err);

/* The backend's operations, one group per file. */
#define BT__PG_DECL(name, ...) int bt__pg_##name(bt_store *s, __VA_ARGS__)
BT__PG_DECL(folder_create, const char *path, bt_store_folder *out,
            bt_error *err);
BT__PG_DECL(folder_get, const char *path, bt_store_folder *out, bt_error *err);
BT__PG_DECL(folder_get_id, int64_t id, bt_store_folder *out, bt_error *err);
BT__PG_DECL(folder_list, int64_t parent_id, bt_store_folder **items,
            size_t *n, bt_error *err);
BT__PG_DECL(runbook_create, int64_t folder_id, const char *name,
            const char *description, bt_store_runbook *out, bt_error *err);
BT__PG_DECL(runbook_get, int64_t id, bt_store_runbook *out, bt_error *err);
BT__PG_DECL(runbook_find, int64_t folder_id, const char *name,
            bt_store_runbook *out, bt_error *err);
BT__PG_DECL(runbook_list, int64_t folder_id, bt_store_runbook **items,
            size_t *n, bt_error *err);
BT__PG_DECL(runbook_set_settings, int64_t runbook_id,
            const bt_store_runbook_settings *settings, bt_error *err);
BT__PG_DECL(version_add, int64_t runbook_id, const char *yaml,
            const char *author, const char *comment, int *out_version,
            bt_error *err);
BT__PG_DECL(version_get, int64_t runbook_id, int version,
            bt_store_version *out, bt_error *err);
BT__PG_DECL(version_list, int64_t runbook_id, bt_store_version **items,
            size_t *n, bt_error *err);

BT__PG_DECL(job_create, const bt_store_job_spec *spec, bt_store_job *out,
            bt_error *err);
BT__PG_DECL(job_claim, int64_t server_id, size_t max, bt_store_job **jobs,
            size_t *n, bt_error *err);
BT__PG_DECL(job_set_status, int64_t job_id, bt_job_status st,
            int64_t server_id, bt_error *err);
BT__PG_DECL(job_request_cancel, int64_t job_id, bt_error *err);
BT__PG_DECL(job_get, int64_t id, bt_store_job *out, bt_error *err);
BT__PG_DECL(job_list, const bt_store_job_filter *f, bt_store_job **items,
            size_t *n, int64_t *next, bt_error *err);
BT__PG_DECL(server_register, const char *name, const char *version,
            uint64_t lease_ms, int64_t *out_id, bt_error *err);
BT__PG_DECL(server_heartbeat, int64_t server_id, uint64_t lease_ms,
            bt_error *err);
BT__PG_DECL(server_list, bt_store_server **items, size_t *n, bt_error *err);
BT__PG_DECL(server_takeover, int64_t **ids, size_t *n, bt_error *err);

BT__PG_DECL(instance_create, int64_t job_id, int64_t server_id,
            bt_store_instance *out, bt_error *err);
BT__PG_DECL(instance_finish, int64_t instance_id, bt_job_status st,
            bt_result result, const char *return_data, bt_error *err);
BT__PG_DECL(instance_get, int64_t id, bt_store_instance *out, bt_error *err);
BT__PG_DECL(instance_list, int64_t job_id, bt_store_instance **items,
            size_t *n, bt_error *err);
BT__PG_DECL(commit_activities, int64_t server_id,
            const bt_store_activity_spec *a, size_t n, int64_t *first_id,
            bt_error *err);
BT__PG_DECL(activity_list, int64_t instance_id, uint64_t after_seq,
            bt_store_activity **items, size_t *n, bt_error *err);

BT__PG_DECL(event_add, bt_severity sev, const char *source,
            const char *message, int64_t job_id, bt_error *err);
BT__PG_DECL(event_list, int64_t job_id, int64_t after_id, size_t limit,
            bt_store_event **items, size_t *n, bt_error *err);
BT__PG_DECL(audit_add, const char *who, const char *action,
            const char *object, const char *before, const char *after,
            bt_error *err);
BT__PG_DECL(audit_list, int64_t after_id, size_t limit,
            bt_store_audit **items, size_t *n, bt_error *err);
BT__PG_DECL(variable_set, const char *name, const void *value, size_t len,
            bool encrypted, const char *folder, bt_error *err);
BT__PG_DECL(variable_get, const char *name, bt_store_variable *out,
            bt_error *err);
BT__PG_DECL(variable_list, const char *folder, bt_store_variable **items,
            size_t *n, bt_error *err);
BT__PG_DECL(variable_delete, const char *name, bt_error *err);
BT__PG_DECL(counter_set, const char *name, int64_t value, const char *folder,
            bt_error *err);
BT__PG_DECL(counter_list, const char *folder, bt_store_counter **items, size_t *n,
            bt_error *err);
BT__PG_DECL(counter_get, const char *name, int64_t *out, bt_error *err);
BT__PG_DECL(counter_add, const char *name, int64_t delta, int64_t *out,
            bt_error *err);
BT__PG_DECL(counter_delete, const char *name, bt_error *err);
BT__PG_DECL(schedule_set, const char *name, const char *definition,
            const char *folder, bt_error *err);
BT__PG_DECL(schedule_get, const char *name, bt_store_schedule *out,
            bt_error *err);
BT__PG_DECL(schedule_list, const char *folder, bt_store_schedule **items,
            size_t *n, bt_error *err);
BT__PG_DECL(setting_move, bt_store_setting_kind kind, const char *name,
            const char *folder, bt_error *err);
BT__PG_DECL(schedule_delete, const char *name, bt_error *err);
BT__PG_DECL(purge_instances, int64_t runbook_id, size_t keep_last,
            int64_t older_than_us, size_t *purged, bt_error *err);
BT__PG_DECL(purge_events, int64_t older_than_us, size_t *purged,
            bt_error *err);
BT__PG_DECL(query, const char *sql, const char *const *args, int nargs,
            bt_store_rows *out, const char *doing, bt_error *err);
BT__PG_DECL(purge_audit, int64_t older_than_us, size_t *purged,
            bt_error *err);

#endif
