/* Jobs as a feed pages them (bt_store_job_select): one portable statement
 * per order, so the database walks an index and stops at the window's
 * end instead of the caller reading every job to sort them. GUIDs order
 * the same on both backends: lowercase hex text in SQLite, uuid (byte
 * order) in PostgreSQL. Filters that are off are written as always-true
 * terms, which keeps the SQL text static (backends cache by address). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/backend.h"

#define WHERE                                                                  \
    " FROM jobs WHERE (CAST($1 AS integer) = 1 OR "                            \
    "status = CAST($2 AS integer)) "                                           \
    "AND (CAST($3 AS bigint) = 0 OR runbook_id = CAST($3 AS bigint)) "         \
    "AND (CAST($4 AS bigint) = 0 OR id = CAST($4 AS bigint)) "                 \
    "AND created_us >= CAST($5 AS bigint) "                                    \
    "AND created_us <= CAST($6 AS bigint) "                                    \
    "AND (CAST($7 AS text) IS NULL OR "                                        \
    "CAST($7 AS text) LIKE '%,' || CAST(runbook_id AS text) || ',%') "         \
    "AND (CAST($8 AS bigint) = 0 OR server_id = CAST($8 AS bigint))"
#define WINDOW " LIMIT CAST($9 AS bigint) OFFSET CAST($10 AS bigint)"
/* the whole row, so that a page is one statement (one read transaction),
 * not one per job; flags as integers on both backends */
#define COLS                                                                   \
    "id, guid, runbook_id, runbook_version, parameters, created_by, "         \
    "created_us, status, coalesce(server_id, 0), started_us, ended_us, "      \
    "CAST(cancel_requested AS integer), takeovers, "                          \
    "CAST(has_targets AS integer)"

static const char by_guid[] = "SELECT " COLS WHERE " ORDER BY guid" WINDOW;
static const char by_guid_desc[] =
    "SELECT " COLS WHERE " ORDER BY guid DESC" WINDOW;
static const char by_created[] =
    "SELECT " COLS WHERE " ORDER BY created_us, guid" WINDOW;
static const char by_created_desc[] =
    "SELECT " COLS WHERE " ORDER BY created_us DESC, guid" WINDOW;
static const char count_sql[] = "SELECT count(*)" WHERE;

typedef struct args {
    char num[8][24];
    const char *v[10];
} args;

static const char *num(args *a, int slot, int64_t v) {
    snprintf(a->num[slot], sizeof a->num[slot], "%lld", (long long)v);
    return a->num[slot];
}

static int fill(const bt_store_job_query *q, args *a, bt_error *err) {
    if (!q->any_status &&
        (q->status < BT_JOB_PENDING || q->status > BT_JOB_CANCELED))
        return bt_error_set(err, BT_EINVAL, "store: job status %d is unknown",
                            (int)q->status);
    a->v[0] = q->any_status ? "1" : "0";
    a->v[1] = num(a, 0, (int64_t)q->status);
    a->v[2] = num(a, 1, q->runbook_id);
    a->v[3] = num(a, 6, q->id);
    a->v[4] = num(a, 2, q->has_created_min ? q->created_min : INT64_MIN);
    a->v[5] = num(a, 3, q->has_created_max ? q->created_max : INT64_MAX);
    a->v[6] = q->runbook_ids;
    a->v[7] = num(a, 7, q->server_id);
    a->v[8] = num(a, 4, q->limit ? (int64_t)q->limit : INT64_MAX);
    a->v[9] = num(a, 5, q->offset > INT64_MAX ? INT64_MAX : (int64_t)q->offset);
    return 0;
}

static int64_t i64(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return c ? strtoll(c, NULL, 10) : 0;
}

static char *text(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return bt_xstrdup(c ? c : "");
}

static int read_targets(bt_store *s, bt_store_job *j, bt_error *err) {
    static const char sql[] = "SELECT server_name FROM job_targets WHERE "
                              "job_id = CAST($1 AS bigint) ORDER BY position";
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)j->id);
    const char *arg = id;
    bt_store_rows r = {0};
    int rc = s->ops->query(s, sql, &arg, 1, &r, "reading job targets", err);
    if (rc) return rc;
    j->targets = bt_xcalloc(r.n + 1, sizeof *j->targets);
    for (size_t i = 0; i < r.n; i++) j->targets[i] = text(&r, i, 0);
    j->n_targets = r.n;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_job_select(bt_store *s, const bt_store_job_query *q,
                        bt_store_job **items, size_t *n, bt_error *err) {
    *items = NULL;
    *n = 0;
    args a;
    int rc = fill(q, &a, err);
    if (rc) return rc;
    const char *sql = q->order == BT_JOB_BY_GUID_DESC      ? by_guid_desc
                      : q->order == BT_JOB_BY_CREATED      ? by_created
                      : q->order == BT_JOB_BY_CREATED_DESC ? by_created_desc
                                                           : by_guid;
    bt_store_rows r = {0};
    rc = s->ops->query(s, sql, a.v, 10, &r, "listing jobs", err);
    if (rc) return rc;
    bt_store_job *out = bt_xcalloc(r.n + 1, sizeof *out);
    for (size_t i = 0; i < r.n; i++) {
        bt_store_job *j = &out[i];
        j->id = i64(&r, i, 0);
        const char *g = bt__store_cell(&r, i, 1);
        snprintf(j->guid, sizeof j->guid, "%s", g ? g : "");
        j->runbook_id = i64(&r, i, 2);
        j->runbook_version = (int)i64(&r, i, 3);
        j->parameters = text(&r, i, 4);
        j->created_by = text(&r, i, 5);
        j->created_us = i64(&r, i, 6);
        j->status = (bt_job_status)i64(&r, i, 7);
        j->server_id = i64(&r, i, 8);
        j->started_us = i64(&r, i, 9);
        j->ended_us = i64(&r, i, 10);
        j->cancel_requested = i64(&r, i, 11) != 0;
        j->takeovers = (int)i64(&r, i, 12);
        if (i64(&r, i, 13) && !rc) rc = read_targets(s, j, err);
    }
    size_t count = r.n;
    bt__store_rows_free(&r);
    if (rc) {
        bt_store_job_list_free(out, count);
        return rc;
    }
    *items = out;
    *n = count;
    return 0;
}

int bt_store_job_select_count(bt_store *s, const bt_store_job_query *q,
                              uint64_t *count, bt_error *err) {
    *count = 0;
    args a;
    int rc = fill(q, &a, err);
    if (rc)
        return rc;
    bt_store_rows r = {0};
    /* count ignores the window: $8 is the last argument it names */
    rc = s->ops->query(s, count_sql, a.v, 8, &r, "counting jobs", err);
    if (rc)
        return rc;
    const char *c = bt__store_cell(&r, 0, 0);
    *count = c ? strtoull(c, NULL, 10) : 0;
    bt__store_rows_free(&r);
    return 0;
}
