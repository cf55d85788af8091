/* PostgreSQL backend: runbook instances, activity instances and their
 * data. bt__pg_commit_activities is the write the engine waits for before
 * an activity's successors start, so it is one transaction (or savepoint)
 * per call and refuses, mid-transaction, anything it cannot store whole. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/pg_internal.h"

#define INSTANCE_COLS                                                         \
    "id, guid, job_id, runbook_id, coalesce(server_id, 0), status, result, " \
    "started_us, ended_us, return_data"

static void read_instance(const PGresult *r, int row, bt_store_instance *i) {
    i->id = bt__pg_i64(r, row, 0);
    bt__pg_guid(r, row, 1, i->guid);
    i->job_id = bt__pg_i64(r, row, 2);
    i->runbook_id = bt__pg_i64(r, row, 3);
    i->server_id = bt__pg_i64(r, row, 4);
    i->status = (bt_job_status)bt__pg_i64(r, row, 5);
    i->result = (int)bt__pg_i64(r, row, 6);
    i->started_us = bt__pg_i64(r, row, 7);
    i->ended_us = bt__pg_i64(r, row, 8);
    i->return_data = bt__pg_str(r, row, 9);
}

int bt__pg_instance_get(bt_store *s, int64_t id, bt_store_instance *out,
                        bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT " INSTANCE_COLS " FROM instances WHERE id = $1",
                         &a, &r, "reading a runbook instance", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook instance %lld does not exist",
                          (long long)id);
    else
        read_instance(r, 0, out);
    PQclear(r);
    return rc;
}

/* FOR SHARE: a take-over or claim moving the job waits for this call. */
static int create_in_tx(bt_pg *p, int64_t job_id, int64_t server_id,
                        int64_t *id, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, job_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT status, runbook_id, coalesce(server_id, 0) "
                         "FROM jobs WHERE id = $1 FOR SHARE",
                         &a, &r, "starting an instance", err);
    if (rc) return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return bt_error_set(err, BT_ENOTFOUND, "store: job %lld does not exist",
                            (long long)job_id);
    }
    bt_job_status status = (bt_job_status)bt__pg_i64(r, 0, 0);
    int64_t runbook_id = bt__pg_i64(r, 0, 1), holder = bt__pg_i64(r, 0, 2);
    PQclear(r);
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
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    a = (bt_pg_args){0};
    bt__pg_text(&a, guid);
    bt__pg_int(&a, job_id);
    bt__pg_int(&a, runbook_id);
    bt__pg_ref(&a, server_id);
    bt__pg_int(&a, bt__pg_now(p));
    rc = bt__pg_exec(p,
                     "INSERT INTO instances(guid, job_id, runbook_id, "
                     "server_id, status, started_us) VALUES ($1, $2, $3, $4, "
                     "1, $5) RETURNING id",
                     &a, &r, "starting an instance", err);
    if (rc) return rc;
    *id = bt__pg_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

int bt__pg_instance_create(bt_store *s, int64_t job_id, int64_t server_id,
                           bt_store_instance *out, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int64_t id = 0;
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = create_in_tx(p, job_id, server_id, &id, err))) {
        bt__pg_rollback(p);
        return rc;
    }
    if ((rc = bt__pg_commit(p, err))) return rc;
    return out ? bt__pg_instance_get(s, id, out, err) : 0;
}

int bt__pg_instance_finish(bt_store *s, int64_t instance_id, bt_job_status st,
                           bt_result result, const char *return_data,
                           bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_int(&a, (int)st);
    bt__pg_int(&a, (int)result);
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_text(&a, return_data);
    bt__pg_int(&a, instance_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "UPDATE instances SET status = $1, result = $2, "
                         "ended_us = $3, return_data = $4 WHERE id = $5 AND "
                         "status = 1",
                         &a, &r, "finishing an instance", err);
    if (rc) return rc;
    int64_t changed = bt__pg_changes(r);
    PQclear(r);
    if (changed) return 0;
    bt_store_instance cur = {0};
    if ((rc = bt__pg_instance_get(s, instance_id, &cur, err))) return rc;
    rc = bt_error_set(err, BT_ESTATE,
                      "store: runbook instance %lld has already finished (%s)",
                      (long long)instance_id, bt_job_status_name(cur.status));
    bt_store_instance_clear(&cur);
    return rc;
}

int bt__pg_instance_list(bt_store *s, int64_t job_id,
                         bt_store_instance **items, size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, job_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT " INSTANCE_COLS " FROM instances "
                         "WHERE job_id = $1 ORDER BY id",
                         &a, &r, "listing instances", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) read_instance(r, i, &(*items)[(*n)++]);
    PQclear(r);
    return 0;
}

/* ---- Activity instances --------------------------------------------- */

/* The fence: a server whose lease lapsed and whose job went to another
 * server must not keep writing into the instance it no longer holds. The
 * row stays share-locked until the commit, so the claim that moves the
 * instance waits for this commit instead of racing it. */
static int check_holder(bt_pg *p, int64_t server_id, int64_t instance_id,
                        bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, instance_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT status, coalesce(server_id, 0) FROM "
                         "instances WHERE id = $1 FOR SHARE",
                         &a, &r, "committing an activity instance", err);
    if (rc) return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook instance %lld does not exist",
                            (long long)instance_id);
    }
    int64_t status = bt__pg_i64(r, 0, 0), holder = bt__pg_i64(r, 0, 1);
    PQclear(r);
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

typedef struct datum_key {
    uint32_t row;
    const char *name;
    size_t index;
} datum_key;

static int by_row_name(const void *a, const void *b) {
    const datum_key *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* What the table would refuse half-way through a bulk insert is checked
 * first, so that the error can name the value. */
static int check_data(const bt_store_activity_spec *a, bt_error *err) {
    for (size_t i = 0; i < a->n_data; i++) {
        const bt_store_datum *d = &a->data[i];
        size_t len = d->value ? strlen(d->value) : 0;
        if (len > BT_STORE_VALUE_MAX)
            return bt_error_set(err, BT_ETOOBIG,
                                "store: activity '%s' (seq %llu) published "
                                "'%s' of %zu bytes in row %u; the limit is "
                                "%zu",
                                a->activity_id, (unsigned long long)a->seq,
                                d->name, len, d->row, BT_STORE_VALUE_MAX);
    }
    if (a->n_data < 2) return 0;
    datum_key *keys = bt_xcalloc(a->n_data, sizeof *keys);
    for (size_t i = 0; i < a->n_data; i++)
        keys[i] = (datum_key){a->data[i].row, a->data[i].name, i};
    qsort(keys, a->n_data, sizeof *keys, by_row_name);
    int rc = 0;
    for (size_t i = 1; i < a->n_data && !rc; i++)
        if (keys[i].row == keys[i - 1].row &&
            !strcmp(keys[i].name, keys[i - 1].name))
            rc = bt_error_set(err, BT_EINVAL,
                              "store: activity '%s' (seq %llu) publishes "
                              "'%s' twice in row %u",
                              a->activity_id, (unsigned long long)a->seq,
                              keys[i].name, keys[i].row);
    free(keys);
    return rc;
}

/* Rows go in multi-row INSERTs (placeholders only, values as parameters,
 * published values as binary bytea): one round trip per DATA_BATCH values
 * instead of one per value. */
#define DATA_BATCH 1000

static int insert_batch(bt_pg *p, const char *aid,
                        const bt_store_activity_spec *a, size_t start,
                        size_t m, bt_error *err) {
    int np = 1 + 4 * (int)m;
    const char **values = bt_xcalloc((size_t)np, sizeof *values);
    int *lengths = bt_xcalloc((size_t)np, sizeof *lengths);
    int *formats = bt_xcalloc((size_t)np, sizeof *formats);
    char(*nums)[2][24] = bt_xcalloc(m, sizeof *nums);
    char **owned = bt_xcalloc(m, sizeof *owned);
    char *sql = bt_xmalloc(128 + m * 48), *o = sql;
    o += sprintf(o, "INSERT INTO activity_data(activity_instance_id, "
                    "row_index, position, name, value) VALUES ");
    values[0] = aid;
    for (size_t k = 0; k < m; k++) {
        const bt_store_datum *d = &a->data[start + k];
        int b = 1 + 4 * (int)k;
        snprintf(nums[k][0], sizeof nums[k][0], "%u", d->row);
        snprintf(nums[k][1], sizeof nums[k][1], "%zu", start + k);
        owned[k] = bt__pg_clean_text(d->name);
        values[b] = nums[k][0];
        values[b + 1] = nums[k][1];
        values[b + 2] = owned[k] ? owned[k] : d->name;
        values[b + 3] = d->value ? d->value : "";
        lengths[b + 3] = (int)strlen(values[b + 3]);
        formats[b + 3] = 1;
        o += sprintf(o, "%s($1, $%d, $%d, $%d, $%d)", k ? ", " : "", b + 1,
                     b + 2, b + 3, b + 4);
    }
    int rc = bt__pg_execv(p, sql, np, values, lengths, formats, NULL,
                          "storing published data", err);
    for (size_t k = 0; k < m; k++) free(owned[k]);
    free(owned);
    free(nums);
    free(formats);
    free(lengths);
    free(values);
    free(sql);
    return rc;
}

/* One statement writes an activity instance with (up to DATA_BATCH of)
 * its published values, and only into an instance that is running and,
 * when server_id is not 0, held by that server: the fence. The instance
 * row is share-locked (FOR SHARE) until the commit, so the claim that
 * moves it waits for this commit instead of racing it. No row back means
 * the fence refused; check_holder then says why. */
static char *activity_sql(size_t m) {
    char *sql = bt_xmalloc(1024 + m * 96), *o = sql; /* row: < 70 chars */
    o += sprintf(o,
                 "WITH h AS (SELECT id FROM instances WHERE id = $2 AND "
                 "status = 1 AND ($11::bigint = 0 OR server_id = $11) "
                 "FOR SHARE), "
                 "a AS (INSERT INTO activity_instances(guid, instance_id, "
                 "activity_id, seq, attempt, result, error, start_us, end_us, "
                 "parent_seq, parent_row) SELECT $1::uuid, h.id, $3::text, "
                 "$4::bigint, $5::integer, $6::integer, $7::text, $8::bigint, "
                 "$9::bigint, $10::bigint, $12::bigint FROM h RETURNING id)");
    if (m) {
        o += sprintf(o, ", d AS (INSERT INTO activity_data("
                        "activity_instance_id, row_index, position, name, "
                        "value) SELECT a.id, v.r, v.p, v.n, v.v FROM a, "
                        "(VALUES ");
        for (size_t k = 0; k < m; k++) {
            int b = 13 + 4 * (int)k;
            o += sprintf(o, "%s($%d::bigint, $%d::integer, $%d::text, "
                            "$%d::bytea)",
                         k ? ", " : "", b, b + 1, b + 2, b + 3);
        }
        o += sprintf(o, ") AS v(r, p, n, v))");
    }
    sprintf(o, " SELECT id FROM a");
    return sql;
}

static int insert_activity(bt_pg *p, int64_t server_id,
                           const bt_store_activity_spec *a, int64_t *id,
                           bt_error *err) {
    int rc = check_data(a, err);
    if (rc) return rc;
    size_t m = a->n_data < DATA_BATCH ? a->n_data : DATA_BATCH;
    int np = 12 + 4 * (int)m;
    const char **values = bt_xcalloc((size_t)np, sizeof *values);
    int *lengths = bt_xcalloc((size_t)np, sizeof *lengths);
    int *formats = bt_xcalloc((size_t)np, sizeof *formats);
    char(*nums)[24] = bt_xcalloc((size_t)np, sizeof *nums);
    char **owned = bt_xcalloc((size_t)np, sizeof *owned);
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    int64_t ints[] = {0, a->instance_id, 0, (int64_t)a->seq, (int)a->attempt,
                      (int)a->result, 0, (int64_t)a->start_us,
                      (int64_t)a->end_us, (int64_t)a->parent_seq, server_id,
                      (int64_t)a->parent_row};
    for (int i = 0; i < 12; i++) {
        snprintf(nums[i], sizeof nums[i], "%lld", (long long)ints[i]);
        values[i] = nums[i];
    }
    values[0] = guid;
    owned[2] = bt__pg_clean_text(a->activity_id);
    values[2] = owned[2] ? owned[2] : a->activity_id;
    owned[6] = a->error ? bt__pg_clean_text(a->error) : NULL;
    values[6] = owned[6] ? owned[6] : a->error; /* NULL: SQL NULL */
    for (size_t k = 0; k < m; k++) {
        const bt_store_datum *d = &a->data[k];
        int b = 12 + 4 * (int)k;
        snprintf(nums[b], sizeof nums[b], "%u", d->row);
        snprintf(nums[b + 1], sizeof nums[b + 1], "%zu", k);
        owned[b + 2] = bt__pg_clean_text(d->name);
        values[b] = nums[b];
        values[b + 1] = nums[b + 1];
        values[b + 2] = owned[b + 2] ? owned[b + 2] : d->name;
        values[b + 3] = d->value ? d->value : "";
        lengths[b + 3] = (int)strlen(values[b + 3]);
        formats[b + 3] = 1;
    }
    char *sql = activity_sql(m);
    PGresult *r = NULL;
    bt_error e;
    rc = bt__pg_execv(p, sql, np, values, lengths, formats, &r,
                      "committing an activity instance", &e);
    free(sql);
    for (int i = 0; i < np; i++) free(owned[i]);
    free(owned);
    free(nums);
    free(formats);
    free(lengths);
    free(values);
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
    bool written = PQntuples(r) > 0;
    if (written) *id = bt__pg_i64(r, 0, 0);
    PQclear(r);
    if (!written) {
        rc = check_holder(p, server_id, a->instance_id, err);
        return rc ? rc
                  : bt_error_set(err, BT_ESTATE,
                                 "store: runbook instance %lld changed while "
                                 "an activity instance was committed; try "
                                 "again",
                                 (long long)a->instance_id);
    }
    /* Values beyond the first statement's share (very large results). */
    char aid[24];
    snprintf(aid, sizeof aid, "%lld", (long long)*id);
    for (size_t start = m; start < a->n_data && !rc; start += DATA_BATCH) {
        size_t k = a->n_data - start < DATA_BATCH ? a->n_data - start
                                                  : DATA_BATCH;
        rc = insert_batch(p, aid, a, start, k, err);
    }
    return rc;
}

int bt__pg_commit_activities(bt_store *s, int64_t server_id,
                             const bt_store_activity_spec *a, size_t n,
                             int64_t *first_id, bt_error *err) {
    bt_pg *p = bt__pg(s);
    /* One activity that fits one statement is atomic without a
     * transaction around it: one round trip. */
    bool single = n == 1 && a[0].n_data <= DATA_BATCH;
    int rc = single ? 0 : bt__pg_begin(p, err);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t id = 0;
        rc = insert_activity(p, server_id, &a[i], &id, err);
        if (i == 0) *first_id = id;
    }
    if (single) {
        if (rc) *first_id = 0;
        return rc;
    }
    if (rc) {
        bt__pg_rollback(p);
        *first_id = 0;
        return rc;
    }
    rc = bt__pg_commit(p, err);
    if (rc) *first_id = 0;
    return rc;
}

int bt__pg_activity_list(bt_store *s, int64_t instance_id, uint64_t after_seq,
                         bt_store_activity **items, size_t *n, bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_int(&a, instance_id);
    bt__pg_int(&a, after_seq > INT64_MAX ? INT64_MAX : (int64_t)after_seq);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT id, guid, activity_id, seq, attempt, result, "
                         "error, start_us, end_us, parent_seq, parent_row "
                         "FROM activity_instances WHERE instance_id = $1 AND "
                         "seq > $2 ORDER BY seq",
                         &a, &r, "listing activity instances", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_activity *act = &(*items)[(*n)++];
        act->id = bt__pg_i64(r, i, 0);
        bt__pg_guid(r, i, 1, act->guid);
        act->instance_id = instance_id;
        act->activity_id = bt__pg_str0(r, i, 2);
        act->seq = (uint64_t)bt__pg_i64(r, i, 3);
        act->attempt = (unsigned)bt__pg_i64(r, i, 4);
        act->result = (bt_result)bt__pg_i64(r, i, 5);
        act->error = bt__pg_str(r, i, 6);
        act->start_us = (uint64_t)bt__pg_i64(r, i, 7);
        act->end_us = (uint64_t)bt__pg_i64(r, i, 8);
        act->parent_seq = (uint64_t)bt__pg_i64(r, i, 9);
        act->parent_row = (uint32_t)bt__pg_i64(r, i, 10);
    }
    PQclear(r);
    if (!rows) return 0;
    /* All their data in one query, in (activity, row, position) order. */
    int64_t first = (*items)[0].seq, last = (*items)[*n - 1].seq;
    a = (bt_pg_args){0};
    bt__pg_int(&a, instance_id);
    bt__pg_int(&a, first);
    bt__pg_int(&a, last);
    rc = bt__pg_exec(p,
                     "SELECT ai.seq, d.row_index, d.name, d.value FROM "
                     "activity_data d JOIN activity_instances ai ON ai.id = "
                     "d.activity_instance_id WHERE ai.instance_id = $1 AND "
                     "ai.seq BETWEEN $2 AND $3 ORDER BY ai.seq, d.row_index, "
                     "d.position",
                     &a, &r, "reading published data", err);
    if (rc) {
        bt_store_activity_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return rc;
    }
    int drows = PQntuples(r);
    size_t k = 0, cap = 0;
    for (int i = 0; i < drows; i++) {
        uint64_t seq = (uint64_t)bt__pg_i64(r, i, 0);
        while (k < *n && (*items)[k].seq < seq) {
            k++;
            cap = 0;
        }
        if (k == *n) break;
        bt_store_activity *act = &(*items)[k];
        act->data = bt__pg_grow(act->data, act->n_data, &cap, sizeof *act->data);
        bt_store_value *v = &act->data[act->n_data++];
        v->row = (uint32_t)bt__pg_i64(r, i, 1);
        v->name = bt__pg_str0(r, i, 2);
        size_t len;
        v->value = (char *)bt__pg_bytea(r, i, 3, &len);
    }
    PQclear(r);
    return 0;
}
