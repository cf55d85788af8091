/* SQLite backend: runbook instances, activity instances and their data.
 * bt__sq_commit_activities is the write the engine waits for before an
 * activity's successors start, so it is one transaction per call and
 * refuses, mid-transaction, anything it cannot store whole. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/sqlite_internal.h"

#define INSTANCE_COLS                                                         \
    "id, guid, job_id, runbook_id, coalesce(server_id, 0), status, result, " \
    "started_us, ended_us, return_data"

static void read_instance(sqlite3_stmt *st, bt_store_instance *i) {
    i->id = sqlite3_column_int64(st, 0);
    bt__sq_guid(st, 1, i->guid);
    i->job_id = sqlite3_column_int64(st, 2);
    i->runbook_id = sqlite3_column_int64(st, 3);
    i->server_id = sqlite3_column_int64(st, 4);
    i->status = (bt_job_status)sqlite3_column_int(st, 5);
    i->result = sqlite3_column_int(st, 6);
    i->started_us = sqlite3_column_int64(st, 7);
    i->ended_us = sqlite3_column_int64(st, 8);
    i->return_data = bt__sq_text(st, 9);
}

int bt__sq_instance_get(bt_store *s, int64_t id, bt_store_instance *out,
                        bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT " INSTANCE_COLS " FROM instances WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) read_instance(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: runbook instance %lld does not exist",
                              (long long)id);
    else out_rc = bt__sq_fail(q, "reading a runbook instance", err);
    sqlite3_reset(st);
    return out_rc;
}

static int create_in_tx(bt_sqlite *q, int64_t job_id, int64_t server_id,
                        int64_t *id, bt_error *err) {
    static const char job[] =
        "SELECT status, runbook_id, coalesce(server_id, 0) FROM jobs "
        "WHERE id = ?";
    static const char ins[] =
        "INSERT INTO instances(guid, job_id, runbook_id, server_id, status, "
        "started_us) VALUES (?, ?, ?, ?, 1, ?)";
    sqlite3_stmt *st = bt__sq_stmt(q, job, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, job_id);
    int rc = sqlite3_step(st);
    bt_job_status status = BT_JOB_PENDING;
    int64_t runbook_id = 0, holder = 0;
    if (rc == SQLITE_ROW) {
        status = (bt_job_status)sqlite3_column_int(st, 0);
        runbook_id = sqlite3_column_int64(st, 1);
        holder = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: job %lld does not exist",
                            (long long)job_id);
    if (rc != SQLITE_ROW) return bt__sq_fail(q, "starting an instance", err);
    if (status != BT_JOB_RUNNING)
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld is %s; instances start only for "
                            "a running job",
                            (long long)job_id, bt_job_status_name(status));
    if (server_id && holder != server_id)
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld is held by runbook server %lld, "
                            "not %lld",
                            (long long)job_id, (long long)holder,
                            (long long)server_id);
    if (!(st = bt__sq_stmt(q, ins, err))) return -BT_EIO;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt__sq_bind_text(st, 1, guid);
    sqlite3_bind_int64(st, 2, job_id);
    sqlite3_bind_int64(st, 3, runbook_id);
    if (server_id) sqlite3_bind_int64(st, 4, server_id);
    else sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, bt__sq_now(q));
    if ((rc = bt__sq_exec_stmt(q, st, "starting an instance", err))) return rc;
    *id = sqlite3_last_insert_rowid(q->db);
    return 0;
}

int bt__sq_instance_create(bt_store *s, int64_t job_id, int64_t server_id,
                           bt_store_instance *out, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int64_t id = 0;
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    if ((rc = create_in_tx(q, job_id, server_id, &id, err))) {
        bt__sq_rollback(q);
        return rc;
    }
    if ((rc = bt__sq_commit(q, err))) return rc;
    return out ? bt__sq_instance_get(s, id, out, err) : 0;
}

int bt__sq_instance_finish(bt_store *s, int64_t instance_id, bt_job_status st_,
                           bt_result result, const char *return_data,
                           bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "UPDATE instances SET status = ?, result = ?, ended_us = ?, "
        "return_data = ? WHERE id = ? AND status = 1";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int(st, 1, (int)st_);
    sqlite3_bind_int(st, 2, (int)result);
    sqlite3_bind_int64(st, 3, bt__sq_now(q));
    bt__sq_bind_text(st, 4, return_data);
    sqlite3_bind_int64(st, 5, instance_id);
    int rc = bt__sq_exec_stmt(q, st, "finishing an instance", err);
    if (rc || sqlite3_changes(q->db) > 0) return rc;
    bt_store_instance cur = {0};
    if ((rc = bt__sq_instance_get(s, instance_id, &cur, err))) return rc;
    rc = bt_error_set(err, BT_ESTATE,
                      "store: runbook instance %lld has already finished (%s)",
                      (long long)instance_id, bt_job_status_name(cur.status));
    bt_store_instance_clear(&cur);
    return rc;
}

int bt__sq_instance_list(bt_store *s, int64_t job_id,
                         bt_store_instance **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT " INSTANCE_COLS
                              " FROM instances WHERE job_id = ? ORDER BY id";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, job_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        read_instance(st, &(*items)[(*n)++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_instance_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing instances", err);
    }
    return 0;
}

/* ---- Activity instances --------------------------------------------- */

/* The fence: a server whose lease lapsed and whose job went to another
 * server must not keep writing into the instance it no longer holds. */
static int check_holder(bt_sqlite *q, int64_t server_id, int64_t instance_id,
                        bt_error *err) {
    static const char sql[] =
        "SELECT status, coalesce(server_id, 0) FROM instances WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, instance_id);
    int rc = sqlite3_step(st);
    int status = 0;
    int64_t holder = 0;
    if (rc == SQLITE_ROW) {
        status = sqlite3_column_int(st, 0);
        holder = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook instance %lld does not exist",
                            (long long)instance_id);
    if (rc != SQLITE_ROW)
        return bt__sq_fail(q, "committing an activity instance", err);
    if (status != BT_JOB_RUNNING)
        return bt_error_set(err, BT_ESTATE,
                            "store: runbook instance %lld has finished; no "
                            "more activity instances can be added",
                            (long long)instance_id);
    if (server_id && holder != server_id)
        return bt_error_set(err, BT_ESTATE,
                            "store: runbook instance %lld is now held by "
                            "runbook server %lld, not %lld (its job was "
                            "taken over)",
                            (long long)instance_id, (long long)holder,
                            (long long)server_id);
    return 0;
}

static int insert_data(bt_sqlite *q, int64_t aid,
                       const bt_store_activity_spec *a, bt_error *err) {
    static const char sql[] =
        "INSERT INTO activity_data(activity_instance_id, row_index, position, "
        "name, value) VALUES (?, ?, ?, ?, ?)";
    for (size_t i = 0; i < a->n_data; i++) {
        const bt_store_datum *d = &a->data[i];
        const char *value = d->value ? d->value : "";
        size_t len = strlen(value);
        if (len > BT_STORE_VALUE_MAX)
            return bt_error_set(err, BT_ETOOBIG,
                                "store: activity '%s' (seq %llu) published "
                                "'%s' of %zu bytes in row %u; the limit is "
                                "%zu",
                                a->activity_id, (unsigned long long)a->seq,
                                d->name, len, d->row, BT_STORE_VALUE_MAX);
        sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
        if (!st) return -BT_EIO;
        sqlite3_bind_int64(st, 1, aid);
        sqlite3_bind_int64(st, 2, d->row);
        sqlite3_bind_int64(st, 3, (int64_t)i);
        bt__sq_bind_text(st, 4, d->name);
        sqlite3_bind_text(st, 5, value, (int)len, SQLITE_STATIC);
        bt_error e;
        int rc = bt__sq_exec_stmt(q, st, "storing published data", &e);
        if (rc == -BT_EEXIST)
            return bt_error_set(err, BT_EINVAL,
                                "store: activity '%s' (seq %llu) publishes "
                                "'%s' twice in row %u",
                                a->activity_id, (unsigned long long)a->seq,
                                d->name, d->row);
        if (rc) {
            if (err) *err = e;
            return rc;
        }
    }
    return 0;
}

static int insert_activity(bt_sqlite *q, int64_t server_id,
                           const bt_store_activity_spec *a, int64_t *id,
                           bt_error *err) {
    static const char sql[] =
        "INSERT INTO activity_instances(guid, instance_id, activity_id, seq, "
        "attempt, result, error, start_us, end_us, parent_seq, parent_row) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    int rc = check_holder(q, server_id, a->instance_id, err);
    if (rc) return rc;
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt__sq_bind_text(st, 1, guid);
    sqlite3_bind_int64(st, 2, a->instance_id);
    bt__sq_bind_text(st, 3, a->activity_id);
    sqlite3_bind_int64(st, 4, (int64_t)a->seq);
    sqlite3_bind_int(st, 5, (int)a->attempt);
    sqlite3_bind_int(st, 6, (int)a->result);
    bt__sq_bind_text(st, 7, a->error);
    sqlite3_bind_int64(st, 8, (int64_t)a->start_us);
    sqlite3_bind_int64(st, 9, (int64_t)a->end_us);
    sqlite3_bind_int64(st, 10, (int64_t)a->parent_seq);
    sqlite3_bind_int64(st, 11, (int64_t)a->parent_row);
    bt_error e;
    rc = bt__sq_exec_stmt(q, st, "committing an activity instance", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: runbook instance %lld already has an "
                            "activity instance with seq %llu",
                            (long long)a->instance_id,
                            (unsigned long long)a->seq);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    *id = sqlite3_last_insert_rowid(q->db);
    return insert_data(q, *id, a, err);
}

int bt__sq_commit_activities(bt_store *s, int64_t server_id,
                             const bt_store_activity_spec *a, size_t n,
                             int64_t *first_id, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t id = 0;
        rc = insert_activity(q, server_id, &a[i], &id, err);
        if (i == 0) *first_id = id;
    }
    if (rc) {
        bt__sq_rollback(q);
        *first_id = 0;
        return rc;
    }
    rc = bt__sq_commit(q, err);
    if (rc) *first_id = 0;
    return rc;
}

static int read_data(bt_sqlite *q, bt_store_activity *a, bt_error *err) {
    static const char sql[] =
        "SELECT row_index, name, value FROM activity_data "
        "WHERE activity_instance_id = ? ORDER BY row_index, position";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, a->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        a->data = bt__sq_grow(a->data, a->n_data, &cap, sizeof *a->data);
        bt_store_value *v = &a->data[a->n_data++];
        v->row = (uint32_t)sqlite3_column_int64(st, 0);
        v->name = bt__sq_text0(st, 1);
        v->value = bt__sq_text0(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : bt__sq_fail(q, "reading published data", err);
}

int bt__sq_activity_list(bt_store *s, int64_t instance_id, uint64_t after_seq,
                         bt_store_activity **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT id, guid, activity_id, seq, attempt, result, error, start_us, "
        "end_us, parent_seq, parent_row FROM activity_instances "
        "WHERE instance_id = ? AND seq > ? ORDER BY seq";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, instance_id);
    sqlite3_bind_int64(st, 2, after_seq > INT64_MAX ? INT64_MAX
                                                    : (int64_t)after_seq);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_activity *a = &(*items)[(*n)++];
        a->id = sqlite3_column_int64(st, 0);
        bt__sq_guid(st, 1, a->guid);
        a->instance_id = instance_id;
        a->activity_id = bt__sq_text0(st, 2);
        a->seq = (uint64_t)sqlite3_column_int64(st, 3);
        a->attempt = (unsigned)sqlite3_column_int(st, 4);
        a->result = (bt_result)sqlite3_column_int(st, 5);
        a->error = bt__sq_text(st, 6);
        a->start_us = (uint64_t)sqlite3_column_int64(st, 7);
        a->end_us = (uint64_t)sqlite3_column_int64(st, 8);
        a->parent_seq = (uint64_t)sqlite3_column_int64(st, 9);
        a->parent_row = (uint32_t)sqlite3_column_int64(st, 9 + 1);
    }
    sqlite3_reset(st);
    int out_rc = rc == SQLITE_DONE
                     ? 0
                     : bt__sq_fail(q, "listing activity instances", err);
    for (size_t i = 0; i < *n && !out_rc; i++)
        out_rc = read_data(q, &(*items)[i], err);
    if (out_rc) {
        bt_store_activity_list_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return out_rc;
}
