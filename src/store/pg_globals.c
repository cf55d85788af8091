/* PostgreSQL backend: events, audit, variables, counters, schedules and
 * retention. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/pg_internal.h"

/* Runs a statement whose only effect is a change count; nothing changed
 * is "<kind> '<name>' does not exist". */
static int exec_changed(bt_pg *p, const char *sql, bt_pg_args *a,
                        const char *doing, const char *kind, const char *name,
                        bt_error *err) {
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, sql, a, &r, doing, err);
    if (rc) return rc;
    int64_t changed = bt__pg_changes(r);
    PQclear(r);
    if (!changed)
        return bt_error_set(err, BT_ENOTFOUND, "store: %s '%s' does not exist",
                            kind, name);
    return 0;
}

/* ---- Events and audit ----------------------------------------------- */

int bt__pg_event_insert(bt_pg *p, bt_severity sev, const char *source,
                        const char *message, int64_t job_id, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_int(&a, (int)sev);
    bt__pg_text(&a, source);
    bt__pg_text(&a, message);
    bt__pg_ref(&a, job_id);
    return bt__pg_exec(p,
                       "INSERT INTO events(time_us, severity, source, "
                       "message, job_id) VALUES ($1, $2, $3, $4, $5)",
                       &a, NULL, "recording an event", err);
}

int bt__pg_event_add(bt_store *s, bt_severity sev, const char *source,
                     const char *message, int64_t job_id, bt_error *err) {
    return bt__pg_event_insert(bt__pg(s), sev, source, message, job_id, err);
}

int bt__pg_event_list(bt_store *s, int64_t job_id, int64_t after_id,
                      size_t limit, bt_store_event **items, size_t *n,
                      bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, job_id);
    bt__pg_int(&a, after_id);
    bt__pg_int(&a, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT id, time_us, severity, source, message, "
                         "coalesce(job_id, 0) FROM events WHERE ($1::bigint "
                         "= 0 OR job_id = $1) AND id > $2 ORDER BY id "
                         "LIMIT $3",
                         &a, &r, "listing events", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_event *e = &(*items)[(*n)++];
        e->id = bt__pg_i64(r, i, 0);
        e->time_us = bt__pg_i64(r, i, 1);
        e->severity = (bt_severity)bt__pg_i64(r, i, 2);
        e->source = bt__pg_str0(r, i, 3);
        e->message = bt__pg_str0(r, i, 4);
        e->job_id = bt__pg_i64(r, i, 5);
    }
    PQclear(r);
    return 0;
}

int bt__pg_audit_add(bt_store *s, const char *who, const char *action,
                     const char *object, const char *before, const char *after,
                     bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_text(&a, who);
    bt__pg_text(&a, action);
    bt__pg_text(&a, object ? object : "");
    bt__pg_text(&a, before);
    bt__pg_text(&a, after);
    return bt__pg_exec(p,
                       "INSERT INTO audit(time_us, who, action, object, "
                       "before, after) VALUES ($1, $2, $3, $4, $5, $6)",
                       &a, NULL, "recording an audit entry", err);
}

int bt__pg_audit_list(bt_store *s, int64_t after_id, size_t limit,
                      bt_store_audit **items, size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, after_id);
    bt__pg_int(&a, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT id, time_us, who, action, object, before, "
                         "after FROM audit WHERE id > $1 ORDER BY id LIMIT $2",
                         &a, &r, "listing audit entries", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_audit *au = &(*items)[(*n)++];
        au->id = bt__pg_i64(r, i, 0);
        au->time_us = bt__pg_i64(r, i, 1);
        au->who = bt__pg_str0(r, i, 2);
        au->action = bt__pg_str0(r, i, 3);
        au->object = bt__pg_str0(r, i, 4);
        au->before = bt__pg_str(r, i, 5);
        au->after = bt__pg_str(r, i, 6);
    }
    PQclear(r);
    return 0;
}

/* ---- Variables ------------------------------------------------------ */

int bt__pg_variable_set(bt_store *s, const char *name, const void *value,
                        size_t len, bool encrypted, const char *folder,
                        bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    bt__pg_bytes(&a, value, len);
    bt__pg_text(&a, encrypted ? "t" : "f");
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_text(&a, folder);
    return bt__pg_exec(p,
                       "INSERT INTO variables(name, value, encrypted, "
                       "updated_us, folder) VALUES ($1, $2, $3, $4, "
                       "coalesce($5::text, '/')) ON CONFLICT (name) DO "
                       "UPDATE SET value = excluded.value, encrypted = "
                       "excluded.encrypted, updated_us = excluded.updated_us, "
                       "folder = coalesce($5::text, variables.folder)",
                       &a, NULL, "setting a variable", err);
}

static void read_variable(const PGresult *r, int row, bt_store_variable *v) {
    v->name = bt__pg_str0(r, row, 0);
    v->value = bt__pg_bytea(r, row, 1, &v->len);
    v->encrypted = bt__pg_bool(r, row, 2);
    v->updated_us = bt__pg_i64(r, row, 3);
    v->folder = bt__pg_str0(r, row, 4);
}

int bt__pg_variable_get(bt_store *s, const char *name, bt_store_variable *out,
                        bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT name, value, encrypted, updated_us, folder "
                         "FROM variables WHERE name = $1",
                         &a, &r, "reading a variable", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: variable '%s' does not exist", name);
    else
        read_variable(r, 0, out);
    PQclear(r);
    return rc;
}

int bt__pg_variable_list(bt_store *s, const char *folder,
                         bt_store_variable **items, size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, folder);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT name, value, encrypted, updated_us, folder "
                         "FROM variables WHERE $1::text IS NULL OR folder = "
                         "$1 ORDER BY name COLLATE \"C\"",
                         &a, &r, "listing variables", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) read_variable(r, i, &(*items)[(*n)++]);
    PQclear(r);
    return 0;
}

int bt__pg_variable_delete(bt_store *s, const char *name, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    return exec_changed(bt__pg(s), "DELETE FROM variables WHERE name = $1", &a,
                        "deleting a variable", "variable", name, err);
}

/* ---- Counters ------------------------------------------------------- */

int bt__pg_counter_set(bt_store *s, const char *name, int64_t value,
                       const char *folder, bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    bt__pg_int(&a, value);
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_text(&a, folder);
    return bt__pg_exec(p,
                       "INSERT INTO counters(name, value, updated_us, folder) "
                       "VALUES ($1, $2, $3, coalesce($4::text, '/')) ON "
                       "CONFLICT (name) DO UPDATE SET value = excluded.value, "
                       "updated_us = excluded.updated_us, folder = "
                       "coalesce($4::text, counters.folder)",
                       &a, NULL, "setting a counter", err);
}

int bt__pg_counter_list(bt_store *s, const char *folder,
                        bt_store_counter **items, size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, folder);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT name, value, folder, updated_us FROM "
                         "counters WHERE $1::text IS NULL OR folder = $1 "
                         "ORDER BY name COLLATE \"C\"",
                         &a, &r, "listing counters", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_counter *c = &(*items)[(*n)++];
        c->name = bt__pg_str0(r, i, 0);
        c->value = bt__pg_i64(r, i, 1);
        c->folder = bt__pg_str0(r, i, 2);
        c->updated_us = bt__pg_i64(r, i, 3);
    }
    PQclear(r);
    return 0;
}

static int counter_read(bt_pg *p, const char *name, bool lock, int64_t *out,
                        bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         lock ? "SELECT value FROM counters WHERE name = $1 "
                                "FOR UPDATE"
                              : "SELECT value FROM counters WHERE name = $1",
                         &a, &r, "reading a counter", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: counter '%s' does not exist", name);
    else
        *out = bt__pg_i64(r, 0, 0);
    PQclear(r);
    return rc;
}

int bt__pg_counter_get(bt_store *s, const char *name, int64_t *out,
                       bt_error *err) {
    return counter_read(bt__pg(s), name, false, out, err);
}

static int add_in_tx(bt_pg *p, const char *name, int64_t delta, int64_t *out,
                     bt_error *err) {
    int64_t cur = 0;
    int rc = counter_read(p, name, true, &cur, err);
    if (rc) return rc;
    if (__builtin_add_overflow(cur, delta, out))
        return bt_error_set(err, BT_EINVAL,
                            "store: counter '%s' would overflow (%lld + %lld)",
                            name, (long long)cur, (long long)delta);
    return bt__pg_counter_set(&p->base, name, *out, NULL, err);
}

int bt__pg_counter_add(bt_store *s, const char *name, int64_t delta,
                       int64_t *out, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = add_in_tx(p, name, delta, out, err))) {
        bt__pg_rollback(p);
        *out = 0;
        return rc;
    }
    return bt__pg_commit(p, err);
}

int bt__pg_counter_delete(bt_store *s, const char *name, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    return exec_changed(bt__pg(s), "DELETE FROM counters WHERE name = $1", &a,
                        "deleting a counter", "counter", name, err);
}

/* ---- Schedules ------------------------------------------------------ */

int bt__pg_schedule_set(bt_store *s, const char *name, const char *definition,
                        const char *folder, bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    bt__pg_text(&a, definition);
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_text(&a, folder);
    return bt__pg_exec(p,
                       "INSERT INTO schedules(name, definition, updated_us, "
                       "folder) VALUES ($1, $2, $3, coalesce($4::text, '/')) "
                       "ON CONFLICT (name) DO UPDATE SET definition = "
                       "excluded.definition, updated_us = excluded.updated_us, "
                       "folder = coalesce($4::text, schedules.folder)",
                       &a, NULL, "saving a schedule", err);
}

int bt__pg_schedule_get(bt_store *s, const char *name, bt_store_schedule *out,
                        bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT name, definition, updated_us, folder FROM "
                         "schedules WHERE name = $1",
                         &a, &r, "reading a schedule", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: schedule '%s' does not exist", name);
    else {
        out->name = bt__pg_str0(r, 0, 0);
        out->definition = bt__pg_str0(r, 0, 1);
        out->updated_us = bt__pg_i64(r, 0, 2);
        out->folder = bt__pg_str0(r, 0, 3);
    }
    PQclear(r);
    return rc;
}

int bt__pg_schedule_list(bt_store *s, const char *folder,
                         bt_store_schedule **items, size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, folder);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT name, definition, updated_us, folder FROM "
                         "schedules WHERE $1::text IS NULL OR folder = $1 "
                         "ORDER BY name COLLATE \"C\"",
                         &a, &r, "listing schedules", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_schedule *sc = &(*items)[(*n)++];
        sc->name = bt__pg_str0(r, i, 0);
        sc->definition = bt__pg_str0(r, i, 1);
        sc->updated_us = bt__pg_i64(r, i, 2);
        sc->folder = bt__pg_str0(r, i, 3);
    }
    PQclear(r);
    return 0;
}

int bt__pg_schedule_delete(bt_store *s, const char *name, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, name);
    return exec_changed(bt__pg(s), "DELETE FROM schedules WHERE name = $1", &a,
                        "deleting a schedule", "schedule", name, err);
}

/* ---- Setting folders ------------------------------------------------ */

int bt__pg_setting_move(bt_store *s, bt_store_setting_kind kind,
                        const char *name, const char *folder, bt_error *err) {
    static const char *const sql[] = {
        "UPDATE variables SET folder = $1 WHERE name = $2",
        "UPDATE counters SET folder = $1 WHERE name = $2",
        "UPDATE schedules SET folder = $1 WHERE name = $2",
    };
    static const char *const kinds[] = {"variable", "counter", "schedule"};
    bt_pg_args a = {0};
    bt__pg_text(&a, folder);
    bt__pg_text(&a, name);
    return exec_changed(bt__pg(s), sql[kind], &a, "moving a setting",
                        kinds[kind], name, err);
}

/* ---- Retention ------------------------------------------------------ */

/* Instances past the newest keep_last of their runbook (running ones
 * count towards the newest but are never chosen) and ended before the
 * cut-off; then finished jobs left without an instance. Activity instances
 * and data go by ON DELETE CASCADE. */
static int purge_in_tx(bt_pg *p, int64_t runbook_id, size_t keep_last,
                       int64_t older_than_us, size_t *purged, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, runbook_id);
    bt__pg_int(&a, keep_last > INT64_MAX ? INT64_MAX : (int64_t)keep_last);
    bt__pg_int(&a, older_than_us > 0 ? older_than_us : 0);
    PGresult *r = NULL;
    int rc = bt__pg_exec(
        p,
        "WITH doomed AS (SELECT id, job_id FROM (SELECT i.id, i.job_id, "
        "i.status, i.ended_us, row_number() OVER (PARTITION BY i.runbook_id "
        "ORDER BY i.id DESC) AS rn FROM instances i WHERE $1::bigint = 0 OR "
        "i.runbook_id = $1) x WHERE status <> 1 AND ($2::bigint = 0 OR rn > "
        "$2) AND ($3::bigint = 0 OR ended_us < $3)), "
        "gone AS (DELETE FROM instances WHERE id IN (SELECT id FROM doomed) "
        "RETURNING job_id) SELECT count(*), array_agg(DISTINCT job_id) FROM "
        "gone",
        &a, &r, "purging instances", err);
    if (rc) return rc;
    *purged = (size_t)bt__pg_i64(r, 0, 0);
    char *jobs = bt__pg_str(r, 0, 1);
    PQclear(r);
    if (jobs) {
        a = (bt_pg_args){0};
        bt__pg_text(&a, jobs);
        rc = bt__pg_exec(p,
                         "DELETE FROM jobs WHERE id = ANY($1::bigint[]) AND "
                         "status >= 2 AND NOT EXISTS (SELECT 1 FROM instances "
                         "i WHERE i.job_id = jobs.id)",
                         &a, NULL, "purging jobs", err);
        free(jobs);
    }
    if (rc) *purged = 0;
    return rc;
}

int bt__pg_purge_instances(bt_store *s, int64_t runbook_id, size_t keep_last,
                           int64_t older_than_us, size_t *purged,
                           bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = purge_in_tx(p, runbook_id, keep_last, older_than_us, purged,
                          err))) {
        bt__pg_rollback(p);
        *purged = 0;
        return rc;
    }
    rc = bt__pg_commit(p, err);
    if (rc) *purged = 0;
    return rc;
}

static int purge_older(bt_pg *p, const char *sql, int64_t older_than_us,
                       size_t *purged, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, older_than_us);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, sql, &a, &r, "purging old entries", err);
    if (rc) return rc;
    *purged = (size_t)bt__pg_changes(r);
    PQclear(r);
    return 0;
}

int bt__pg_purge_events(bt_store *s, int64_t older_than_us, size_t *purged,
                        bt_error *err) {
    return purge_older(bt__pg(s), "DELETE FROM events WHERE time_us < $1",
                       older_than_us, purged, err);
}

int bt__pg_purge_audit(bt_store *s, int64_t older_than_us, size_t *purged,
                       bt_error *err) {
    return purge_older(bt__pg(s), "DELETE FROM audit WHERE time_us < $1",
                       older_than_us, purged, err);
}
