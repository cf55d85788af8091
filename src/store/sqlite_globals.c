/* SQLite backend: events, audit, variables, counters, schedules and
 * retention. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/sqlite_internal.h"

/* Runs a statement whose only effect is a change count; *missing is the
 * error when nothing matched (NULL: no error). */
static int exec_changed(bt_sqlite *q, sqlite3_stmt *st, const char *doing,
                        const char *kind, const char *name, bt_error *err) {
    int rc = bt__sq_exec_stmt(q, st, doing, err);
    if (!rc && kind && sqlite3_changes(q->db) == 0)
        return bt_error_set(err, BT_ENOTFOUND, "store: %s '%s' does not exist",
                            kind, name);
    return rc;
}

/* ---- Events and audit ----------------------------------------------- */

int bt__sq_event_insert(bt_sqlite *q, bt_severity sev, const char *source,
                        const char *message, int64_t job_id, bt_error *err) {
    static const char sql[] = "INSERT INTO events(time_us, severity, source, "
                              "message, job_id) VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, bt__sq_now(q));
    sqlite3_bind_int(st, 2, (int)sev);
    bt__sq_bind_text(st, 3, source);
    bt__sq_bind_text(st, 4, message);
    if (job_id) sqlite3_bind_int64(st, 5, job_id);
    else sqlite3_bind_null(st, 5);
    return bt__sq_exec_stmt(q, st, "recording an event", err);
}

int bt__sq_event_add(bt_store *s, bt_severity sev, const char *source,
                     const char *message, int64_t job_id, bt_error *err) {
    return bt__sq_event_insert(bt__sq(s), sev, source, message, job_id, err);
}

int bt__sq_event_list(bt_store *s, int64_t job_id, int64_t after_id,
                      size_t limit, bt_store_event **items, size_t *n,
                      bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT id, time_us, severity, source, message, coalesce(job_id, 0) "
        "FROM events WHERE (?1 = 0 OR job_id = ?1) AND id > ?2 "
        "ORDER BY id LIMIT ?3";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, job_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_event *e = &(*items)[(*n)++];
        e->id = sqlite3_column_int64(st, 0);
        e->time_us = sqlite3_column_int64(st, 1);
        e->severity = (bt_severity)sqlite3_column_int(st, 2);
        e->source = bt__sq_text0(st, 3);
        e->message = bt__sq_text0(st, 4);
        e->job_id = sqlite3_column_int64(st, 5);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_event_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing events", err);
    }
    return 0;
}

int bt__sq_audit_add(bt_store *s, const char *who, const char *action,
                     const char *object, const char *before, const char *after,
                     bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "INSERT INTO audit(time_us, who, action, object, "
                              "before, after) VALUES (?, ?, ?, ?, ?, ?)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, bt__sq_now(q));
    bt__sq_bind_text(st, 2, who);
    bt__sq_bind_text(st, 3, action);
    bt__sq_bind_text(st, 4, object);
    bt__sq_bind_text(st, 5, before);
    bt__sq_bind_text(st, 6, after);
    return bt__sq_exec_stmt(q, st, "recording an audit entry", err);
}

int bt__sq_audit_list(bt_store *s, int64_t after_id, size_t limit,
                      bt_store_audit **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT id, time_us, who, action, object, before, after FROM audit "
        "WHERE id > ? ORDER BY id LIMIT ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_audit *a = &(*items)[(*n)++];
        a->id = sqlite3_column_int64(st, 0);
        a->time_us = sqlite3_column_int64(st, 1);
        a->who = bt__sq_text0(st, 2);
        a->action = bt__sq_text0(st, 3);
        a->object = bt__sq_text0(st, 4);
        a->before = bt__sq_text(st, 5);
        a->after = bt__sq_text(st, 6);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_audit_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing audit entries", err);
    }
    return 0;
}

/* ---- Variables ------------------------------------------------------ */

int bt__sq_variable_set(bt_store *s, const char *name, const void *value,
                        size_t len, bool encrypted, const char *folder,
                        bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "INSERT INTO variables(name, value, encrypted, updated_us, folder) "
        "VALUES (?1, ?2, ?3, ?4, coalesce(?5, '/')) ON CONFLICT (name) DO "
        "UPDATE SET value = ?2, encrypted = ?3, updated_us = ?4, "
        "folder = coalesce(?5, folder)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    sqlite3_bind_blob(st, 2, value, (int)len, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, encrypted);
    sqlite3_bind_int64(st, 4, bt__sq_now(q));
    bt__sq_bind_text(st, 5, folder);
    return bt__sq_exec_stmt(q, st, "setting a variable", err);
}

static void read_variable(sqlite3_stmt *st, bt_store_variable *v) {
    v->name = bt__sq_text0(st, 0);
    const void *blob = sqlite3_column_blob(st, 1);
    v->len = (size_t)sqlite3_column_bytes(st, 1);
    v->value = bt_xmalloc(v->len + 1);
    if (v->len) memcpy(v->value, blob, v->len);
    v->value[v->len] = '\0';
    v->encrypted = sqlite3_column_int(st, 2) != 0;
    v->updated_us = sqlite3_column_int64(st, 3);
    v->folder = bt__sq_text0(st, 4);
}

int bt__sq_variable_get(bt_store *s, const char *name, bt_store_variable *out,
                        bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT name, value, encrypted, updated_us, "
                              "folder FROM variables WHERE name = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) read_variable(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: variable '%s' does not exist", name);
    else out_rc = bt__sq_fail(q, "reading a variable", err);
    sqlite3_reset(st);
    return out_rc;
}

int bt__sq_variable_list(bt_store *s, const char *folder,
                         bt_store_variable **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT name, value, encrypted, updated_us, "
                              "folder FROM variables WHERE ?1 IS NULL OR "
                              "folder = ?1 ORDER BY name";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, folder);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        read_variable(st, &(*items)[(*n)++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_variable_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing variables", err);
    }
    return 0;
}

int bt__sq_variable_delete(bt_store *s, const char *name, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "DELETE FROM variables WHERE name = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    return exec_changed(q, st, "deleting a variable", "variable", name, err);
}

/* ---- Counters ------------------------------------------------------- */

int bt__sq_counter_set(bt_store *s, const char *name, int64_t value,
                       const char *folder, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "INSERT INTO counters(name, value, updated_us, folder) VALUES "
        "(?1, ?2, ?3, coalesce(?4, '/')) ON CONFLICT (name) DO UPDATE SET "
        "value = ?2, updated_us = ?3, folder = coalesce(?4, folder)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, value);
    sqlite3_bind_int64(st, 3, bt__sq_now(q));
    bt__sq_bind_text(st, 4, folder);
    return bt__sq_exec_stmt(q, st, "setting a counter", err);
}

int bt__sq_counter_list(bt_store *s, const char *folder,
                        bt_store_counter **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT name, value, folder, updated_us FROM "
                              "counters WHERE ?1 IS NULL OR folder = ?1 "
                              "ORDER BY name";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, folder);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_counter *c = &(*items)[(*n)++];
        c->name = bt__sq_text0(st, 0);
        c->value = sqlite3_column_int64(st, 1);
        c->folder = bt__sq_text0(st, 2);
        c->updated_us = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_counter_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing counters", err);
    }
    return 0;
}

int bt__sq_counter_get(bt_store *s, const char *name, int64_t *out,
                       bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT value FROM counters WHERE name = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: counter '%s' does not exist", name);
    else out_rc = bt__sq_fail(q, "reading a counter", err);
    sqlite3_reset(st);
    return out_rc;
}

static int add_in_tx(bt_sqlite *q, const char *name, int64_t delta,
                     int64_t *out, bt_error *err) {
    int64_t cur = 0;
    int rc = bt__sq_counter_get(&q->base, name, &cur, err);
    if (rc) return rc;
    /* SQLite would quietly turn an overflowing sum into a float. */
    if (__builtin_add_overflow(cur, delta, out))
        return bt_error_set(err, BT_EINVAL,
                            "store: counter '%s' would overflow (%lld + %lld)",
                            name, (long long)cur, (long long)delta);
    return bt__sq_counter_set(&q->base, name, *out, NULL, err);
}

int bt__sq_counter_add(bt_store *s, const char *name, int64_t delta,
                       int64_t *out, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    if ((rc = add_in_tx(q, name, delta, out, err))) {
        bt__sq_rollback(q);
        *out = 0;
        return rc;
    }
    return bt__sq_commit(q, err);
}

int bt__sq_counter_delete(bt_store *s, const char *name, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "DELETE FROM counters WHERE name = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    return exec_changed(q, st, "deleting a counter", "counter", name, err);
}

/* ---- Schedules ------------------------------------------------------ */

int bt__sq_schedule_set(bt_store *s, const char *name, const char *definition,
                        const char *folder, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "INSERT INTO schedules(name, definition, updated_us, folder) "
        "VALUES (?1, ?2, ?3, coalesce(?4, '/')) ON CONFLICT (name) DO "
        "UPDATE SET definition = ?2, updated_us = ?3, "
        "folder = coalesce(?4, folder)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    bt__sq_bind_text(st, 2, definition);
    sqlite3_bind_int64(st, 3, bt__sq_now(q));
    bt__sq_bind_text(st, 4, folder);
    return bt__sq_exec_stmt(q, st, "saving a schedule", err);
}

int bt__sq_schedule_get(bt_store *s, const char *name, bt_store_schedule *out,
                        bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT name, definition, updated_us, folder "
                              "FROM schedules WHERE name = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) {
        out->name = bt__sq_text0(st, 0);
        out->definition = bt__sq_text0(st, 1);
        out->updated_us = sqlite3_column_int64(st, 2);
        out->folder = bt__sq_text0(st, 3);
    } else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: schedule '%s' does not exist", name);
    else out_rc = bt__sq_fail(q, "reading a schedule", err);
    sqlite3_reset(st);
    return out_rc;
}

int bt__sq_schedule_list(bt_store *s, const char *folder,
                         bt_store_schedule **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT name, definition, updated_us, folder "
                              "FROM schedules WHERE ?1 IS NULL OR folder = ?1 "
                              "ORDER BY name";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, folder);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_schedule *sc = &(*items)[(*n)++];
        sc->name = bt__sq_text0(st, 0);
        sc->definition = bt__sq_text0(st, 1);
        sc->updated_us = sqlite3_column_int64(st, 2);
        sc->folder = bt__sq_text0(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_schedule_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing schedules", err);
    }
    return 0;
}

int bt__sq_schedule_delete(bt_store *s, const char *name, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "DELETE FROM schedules WHERE name = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, name);
    return exec_changed(q, st, "deleting a schedule", "schedule", name, err);
}

/* ---- Setting folders ------------------------------------------------ */

int bt__sq_setting_move(bt_store *s, bt_store_setting_kind kind,
                        const char *name, const char *folder, bt_error *err) {
    static const char *const sql[] = {
        "UPDATE variables SET folder = ? WHERE name = ?",
        "UPDATE counters SET folder = ? WHERE name = ?",
        "UPDATE schedules SET folder = ? WHERE name = ?",
    };
    static const char *const kinds[] = {"variable", "counter", "schedule"};
    bt_sqlite *q = bt__sq(s);
    sqlite3_stmt *st = bt__sq_stmt(q, sql[kind], err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, folder);
    bt__sq_bind_text(st, 2, name);
    return exec_changed(q, st, "moving a setting", kinds[kind], name, err);
}

/* ---- Retention ------------------------------------------------------ */

/* Instances past the newest keep_last of their runbook (running ones
 * count towards the newest but are never chosen) and ended before the
 * cut-off. Activity instances and data go by ON DELETE CASCADE. */
static const char purge_pick[] =
    "SELECT id, job_id FROM ("
    "  SELECT i.id, i.job_id, i.status, i.ended_us, row_number() OVER "
    "    (PARTITION BY i.runbook_id ORDER BY i.id DESC) AS rn "
    "  FROM instances i WHERE ?1 = 0 OR i.runbook_id = ?1) "
    "WHERE status <> 1 AND (?2 = 0 OR rn > ?2) AND (?3 = 0 OR ended_us < ?3)";

static int purge_in_tx(bt_sqlite *q, int64_t runbook_id, size_t keep_last,
                       int64_t older_than_us, size_t *purged, bt_error *err) {
    static const char del_instance[] = "DELETE FROM instances WHERE id = ?";
    static const char del_job[] =
        "DELETE FROM jobs WHERE id = ? AND status >= 2 AND NOT EXISTS "
        "(SELECT 1 FROM instances i WHERE i.job_id = jobs.id)";
    sqlite3_stmt *st = bt__sq_stmt(q, purge_pick, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, runbook_id);
    sqlite3_bind_int64(st, 2, keep_last > INT64_MAX ? INT64_MAX
                                                    : (int64_t)keep_last);
    sqlite3_bind_int64(st, 3, older_than_us > 0 ? older_than_us : 0);
    int64_t(*pairs)[2] = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pairs = bt__sq_grow(pairs, n, &cap, sizeof *pairs);
        pairs[n][0] = sqlite3_column_int64(st, 0);
        pairs[n++][1] = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : bt__sq_fail(q, "choosing what to purge", err);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!(st = bt__sq_stmt(q, del_instance, err))) rc = -BT_EIO;
        else {
            sqlite3_bind_int64(st, 1, pairs[i][0]);
            rc = bt__sq_exec_stmt(q, st, "purging an instance", err);
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (!(st = bt__sq_stmt(q, del_job, err))) rc = -BT_EIO;
        else {
            sqlite3_bind_int64(st, 1, pairs[i][1]);
            rc = bt__sq_exec_stmt(q, st, "purging a job", err);
        }
    }
    free(pairs);
    if (!rc) *purged = n;
    return rc;
}

int bt__sq_purge_instances(bt_store *s, int64_t runbook_id, size_t keep_last,
                           int64_t older_than_us, size_t *purged,
                           bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    if ((rc = purge_in_tx(q, runbook_id, keep_last, older_than_us, purged,
                          err))) {
        bt__sq_rollback(q);
        *purged = 0;
        return rc;
    }
    rc = bt__sq_commit(q, err);
    if (rc) *purged = 0;
    return rc;
}

static int purge_older(bt_sqlite *q, const char *sql, int64_t older_than_us,
                       size_t *purged, bt_error *err) {
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, older_than_us);
    int rc = bt__sq_exec_stmt(q, st, "purging old entries", err);
    if (!rc) *purged = (size_t)sqlite3_changes(q->db);
    return rc;
}

int bt__sq_purge_events(bt_store *s, int64_t older_than_us, size_t *purged,
                        bt_error *err) {
    static const char sql[] = "DELETE FROM events WHERE time_us < ?";
    return purge_older(bt__sq(s), sql, older_than_us, purged, err);
}

int bt__sq_purge_audit(bt_store *s, int64_t older_than_us, size_t *purged,
                       bt_error *err) {
    static const char sql[] = "DELETE FROM audit WHERE time_us < ?";
    return purge_older(bt__sq(s), sql, older_than_us, purged, err);
}
