/* What a store backend implements. store.c checks arguments, zeroes the
 * outputs and dispatches here; a backend may then assume non-NULL handles,
 * validated names and JSON, and outputs that are zeroed. Each entry has the
 * signature of the bt_store_* function of the same name. */
#ifndef BT_STORE_BACKEND_H
#define BT_STORE_BACKEND_H

#include "store/store.h"

/* Rows of a portable query: cell[row * cols + col], NULL for SQL NULL. */
typedef struct bt_store_rows {
    size_t n, cols;
    char **cell;
} bt_store_rows;

void bt__store_rows_free(bt_store_rows *r);
/* One cell, or NULL when out of range or SQL NULL. */
static inline const char *bt__store_cell(const bt_store_rows *r, size_t row,
                                         size_t col) {
    return row < r->n && col < r->cols ? r->cell[row * r->cols + col] : NULL;
}

typedef struct bt_store_ops {
    const char *name; /* "sqlite", "postgresql" */
    void (*close)(bt_store *s);
    int (*schema_version)(bt_store *s, int *out, bt_error *err);
    int (*begin)(bt_store *s, bt_error *err);
    int (*commit)(bt_store *s, bt_error *err);
    void (*rollback)(bt_store *s);

    int (*folder_create)(bt_store *s, const char *path, bt_store_folder *out,
                         bt_error *err);
    int (*folder_get)(bt_store *s, const char *path, bt_store_folder *out,
                      bt_error *err);
    int (*folder_get_id)(bt_store *s, int64_t id, bt_store_folder *out,
                         bt_error *err);
    int (*folder_list)(bt_store *s, int64_t parent_id, bt_store_folder **items,
                       size_t *n, bt_error *err);

    int (*runbook_create)(bt_store *s, int64_t folder_id, const char *name,
                          const char *description, bt_store_runbook *out,
                          bt_error *err);
    int (*runbook_get)(bt_store *s, int64_t id, bt_store_runbook *out,
                       bt_error *err);
    int (*runbook_find)(bt_store *s, int64_t folder_id, const char *name,
                        bt_store_runbook *out, bt_error *err);
    int (*runbook_list)(bt_store *s, int64_t folder_id,
                        bt_store_runbook **items, size_t *n, bt_error *err);
    int (*runbook_set_settings)(bt_store *s, int64_t runbook_id,
                                const bt_store_runbook_settings *settings,
                                bt_error *err);
    int (*version_add)(bt_store *s, int64_t runbook_id, const char *yaml,
                       const char *author, const char *comment,
                       int *out_version, bt_error *err);
    int (*version_get)(bt_store *s, int64_t runbook_id, int version,
                       bt_store_version *out, bt_error *err);
    int (*version_list)(bt_store *s, int64_t runbook_id,
                        bt_store_version **items, size_t *n, bt_error *err);

    int (*job_create)(bt_store *s, const bt_store_job_spec *spec,
                      bt_store_job *out, bt_error *err);
    int (*job_claim)(bt_store *s, int64_t server_id, size_t max,
                     bt_store_job **jobs, size_t *n, bt_error *err);
    int (*job_set_status)(bt_store *s, int64_t job_id, bt_job_status st,
                          int64_t server_id, bt_error *err);
    int (*job_request_cancel)(bt_store *s, int64_t job_id, bt_error *err);
    int (*job_get)(bt_store *s, int64_t id, bt_store_job *out, bt_error *err);
    int (*job_list)(bt_store *s, const bt_store_job_filter *f,
                    bt_store_job **items, size_t *n, int64_t *next,
                    bt_error *err);

    int (*instance_create)(bt_store *s, int64_t job_id, int64_t server_id,
                           bt_store_instance *out, bt_error *err);
    int (*instance_finish)(bt_store *s, int64_t instance_id, bt_job_status st,
                           bt_result result, const char *return_data,
                           bt_error *err);
    int (*instance_get)(bt_store *s, int64_t id, bt_store_instance *out,
                        bt_error *err);
    int (*instance_list)(bt_store *s, int64_t job_id,
                         bt_store_instance **items, size_t *n, bt_error *err);
    int (*commit_activities)(bt_store *s, int64_t server_id,
                             const bt_store_activity_spec *a, size_t n,
                             int64_t *first_id, bt_error *err);
    int (*activity_list)(bt_store *s, int64_t instance_id, uint64_t after_seq,
                         bt_store_activity **items, size_t *n, bt_error *err);

    int (*server_register)(bt_store *s, const char *name, const char *version,
                           uint64_t lease_ms, int64_t *out_id, bt_error *err);
    int (*server_heartbeat)(bt_store *s, int64_t server_id, uint64_t lease_ms,
                            bt_error *err);
    int (*server_list)(bt_store *s, bt_store_server **items, size_t *n,
                       bt_error *err);
    int (*server_takeover)(bt_store *s, int64_t **ids, size_t *n,
                           bt_error *err);

    int (*event_add)(bt_store *s, bt_severity sev, const char *source,
                     const char *message, int64_t job_id, bt_error *err);
    int (*event_list)(bt_store *s, int64_t job_id, int64_t after_id,
                      size_t limit, bt_store_event **items, size_t *n,
                      bt_error *err);
    int (*audit_add)(bt_store *s, const char *who, const char *action,
                     const char *object, const char *before, const char *after,
                     bt_error *err);
    int (*audit_list)(bt_store *s, int64_t after_id, size_t limit,
                      bt_store_audit **items, size_t *n, bt_error *err);

    /* folder NULL: keep an existing item's folder, "/" for a new one. */
    int (*variable_set)(bt_store *s, const char *name, const void *value,
                        size_t len, bool encrypted, const char *folder,
                        bt_error *err);
    int (*variable_get)(bt_store *s, const char *name, bt_store_variable *out,
                        bt_error *err);
    int (*variable_list)(bt_store *s, const char *folder,
                         bt_store_variable **items, size_t *n, bt_error *err);
    int (*variable_delete)(bt_store *s, const char *name, bt_error *err);
    int (*counter_set)(bt_store *s, const char *name, int64_t value,
                       const char *folder, bt_error *err);
    int (*counter_list)(bt_store *s, const char *folder,
                        bt_store_counter **items, size_t *n, bt_error *err);
    int (*counter_get)(bt_store *s, const char *name, int64_t *out,
                       bt_error *err);
    int (*counter_add)(bt_store *s, const char *name, int64_t delta,
                       int64_t *out, bt_error *err);
    int (*counter_delete)(bt_store *s, const char *name, bt_error *err);
    int (*schedule_set)(bt_store *s, const char *name, const char *definition,
                        const char *folder, bt_error *err);
    int (*schedule_get)(bt_store *s, const char *name, bt_store_schedule *out,
                        bt_error *err);
    int (*schedule_list)(bt_store *s, const char *folder,
                         bt_store_schedule **items, size_t *n, bt_error *err);
    int (*setting_move)(bt_store *s, bt_store_setting_kind kind,
                        const char *name, const char *folder, bt_error *err);
    int (*schedule_delete)(bt_store *s, const char *name, bt_error *err);

    int (*purge_instances)(bt_store *s, int64_t runbook_id, size_t keep_last,
                           int64_t older_than_us, size_t *purged,
                           bt_error *err);
    int (*purge_events)(bt_store *s, int64_t older_than_us, size_t *purged,
                        bt_error *err);
    int (*purge_audit)(bt_store *s, int64_t older_than_us, size_t *purged,
                       bt_error *err);

    /* Portable SQL for the simpler tables (store/admin.c): the statement
     * uses $1, $2, ... parameters and the SQL both backends understand
     * (CAST(x AS bigint), ||, RETURNING, ON CONFLICT). args[i] NULL is
     * SQL NULL. Every value comes back as text (NULL for SQL NULL); out
     * may be NULL. The SQL text must be static: backends cache by its
     * address. query_begin/commit/rollback bracket one call's transaction
     * (a savepoint inside a group), as a backend's own calls do. */
    int (*query)(bt_store *s, const char *sql, const char *const *args,
                 int nargs, struct bt_store_rows *out, const char *doing,
                 bt_error *err);
    int (*query_begin)(bt_store *s, bt_error *err);
    int (*query_commit)(bt_store *s, bt_error *err);
    void (*query_rollback)(bt_store *s);

    /* Optional (NULL: the backend has no notifications). */
    int (*wait_fd)(bt_store *s);
    int (*drain_notifications)(bt_store *s);
} bt_store_ops;

/* The part of every handle that store.c owns; a backend embeds it first. */
struct bt_store {
    const bt_store_ops *ops;
    bt_store_clock_fn clock;
    void *clock_ud;
};

/* Backend entry points: parse what follows the scheme, open, migrate. */
int bt__store_sqlite_open(const char *target, bt_store **out, bt_error *err);
/* url: the whole "postgresql://..." URL, handed to libpq. */
int bt__store_pg_open(const char *url, bt_store **out, bt_error *err);

#endif
