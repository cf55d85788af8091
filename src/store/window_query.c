/* Runbook and activity instances as a feed pages them
 * (bt_store_instance_window, bt_store_activity_window): one portable
 * statement walks the GUID index and stops at the window's end, where
 * reading a page used to mean reading every job's instances and every
 * instance's activities. GUIDs order the same on both backends (see
 * job_query.c). The rights filter, when off, is an always-true term, so the
 * SQL text stays static (backends cache statements by address). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/backend.h"

#define RIGHTS                                                                 \
    "(CAST($1 AS text) IS NULL OR "                                            \
    "CAST($1 AS text) LIKE '%,' || CAST(i.runbook_id AS text) || ',%')"

/* an instance's state as bt_store_instance_state numbers it, its server */
#define INSTANCE_FILTERS                                                       \
    " AND (CAST($2 AS integer) = 0 OR CAST($2 AS integer) = CASE "             \
    "WHEN i.status IN (0, 1) THEN 1 WHEN i.status = 4 THEN 2 "                 \
    "WHEN i.result = 0 THEN 3 WHEN i.result = 1 THEN 4 ELSE 5 END) "           \
    "AND (CAST($3 AS bigint) = 0 OR i.server_id = CAST($3 AS bigint))"
#define INSTANCES                                                              \
    " FROM instances i JOIN jobs j ON j.id = i.job_id WHERE " RIGHTS           \
        INSTANCE_FILTERS
#define INSTANCE_COLS                                                          \
    "i.id, i.guid, i.job_id, i.runbook_id, coalesce(i.server_id, 0), "         \
    "i.status, i.result, i.started_us, i.ended_us, i.return_data, "            \
    "j.guid, i.runbook_id"
#define INSTANCE_WINDOW " LIMIT CAST($4 AS bigint) OFFSET CAST($5 AS bigint)"
static const char inst_asc[] =
    "SELECT " INSTANCE_COLS INSTANCES " ORDER BY i.guid" INSTANCE_WINDOW;
static const char inst_desc[] =
    "SELECT " INSTANCE_COLS INSTANCES " ORDER BY i.guid DESC" INSTANCE_WINDOW;
static const char inst_count[] = /* no job needed */
    "SELECT count(*) FROM instances i WHERE " RIGHTS INSTANCE_FILTERS;

#define ACTIVITIES                                                             \
    " FROM activity_instances a JOIN instances i ON i.id = a.instance_id "     \
    "WHERE " RIGHTS
#define ACTIVITY_COLS                                                          \
    "a.id, a.guid, a.instance_id, a.activity_id, a.seq, a.attempt, "           \
    "a.result, a.error, a.start_us, a.end_us, a.parent_seq, a.parent_row, "    \
    "i.guid, i.runbook_id"
#define ACTIVITY_WINDOW " LIMIT CAST($2 AS bigint) OFFSET CAST($3 AS bigint)"
static const char act_asc[] =
    "SELECT " ACTIVITY_COLS ACTIVITIES " ORDER BY a.guid" ACTIVITY_WINDOW;
static const char act_desc[] =
    "SELECT " ACTIVITY_COLS ACTIVITIES " ORDER BY a.guid DESC" ACTIVITY_WINDOW;
static const char act_count[] = "SELECT count(*)" ACTIVITIES;

/* The statements' arguments: the runbooks, [the state, the server,]
 * limit, offset. */
typedef struct args {
    char num[4][24];
    const char *v[5];
    int n;
} args;

static void fill(const bt_store_window *w, bool instances, args *a) {
    snprintf(a->num[0], sizeof a->num[0], "%d", (int)w->state);
    snprintf(a->num[3], sizeof a->num[3], "%lld", (long long)w->server_id);
    snprintf(a->num[1], sizeof a->num[1], "%lld",
             w->limit ? (long long)w->limit : (long long)INT64_MAX);
    snprintf(a->num[2], sizeof a->num[2], "%lld",
             w->offset > INT64_MAX ? (long long)INT64_MAX
                                   : (long long)w->offset);
    a->n = 0;
    a->v[a->n++] = w->runbook_ids;
    if (instances) {
        a->v[a->n++] = a->num[0];
        a->v[a->n++] = a->num[3];
    }
    a->v[a->n++] = a->num[1];
    a->v[a->n++] = a->num[2];
}

static int64_t i64(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return c ? strtoll(c, NULL, 10) : 0;
}

static char *text(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return c ? bt_xstrdup(c) : NULL;
}

static void guid(const bt_store_rows *r, size_t row, size_t col,
                 char out[BT_GUID_LEN]) {
    const char *c = bt__store_cell(r, row, col);
    snprintf(out, BT_GUID_LEN, "%s", c ? c : "");
}

/* count(*) takes the window's filters, not its limit and offset */
static int count(bt_store *s, const char *sql, const bt_store_window *w,
                 bool instances, uint64_t *out, const char *doing,
                 bt_error *err) {
    *out = 0;
    args a;
    fill(w, instances, &a);
    bt_store_rows r = {0};
    int rc = s->ops->query(s, sql, a.v, a.n - 2, &r, doing, err);
    if (rc)
        return rc;
    *out = r.n ? (uint64_t)i64(&r, 0, 0) : 0;
    bt__store_rows_free(&r);
    return 0;
}

/* Runs a window statement whose last two columns are each row's parent
 * (its GUID and runbook): the rows in *r, the parents in *parents. */
static int window_rows(bt_store *s, const char *sql, const bt_store_window *w,
                       bool instances, const char *doing, bt_store_rows *r,
                       bt_store_parent **parents, bt_error *err) {
    args a;
    fill(w, instances, &a);
    int rc = s->ops->query(s, sql, a.v, a.n, r, doing, err);
    if (rc)
        return rc;
    bt_store_parent *par = bt_xcalloc(r->n + 1, sizeof *par);
    for (size_t k = 0; k < r->n; k++) {
        guid(r, k, r->cols - 2, par[k].guid);
        par[k].runbook_id = i64(r, k, r->cols - 1);
    }
    *parents = par;
    return 0;
}

int bt_store_instance_window(bt_store *s, const bt_store_window *w,
                             bt_store_instance **items,
                             bt_store_parent **parents, size_t *n,
                             bt_error *err) {
    *items = NULL;
    *parents = NULL;
    *n = 0;
    bt_store_rows r = {0};
    int rc = window_rows(s, w->desc ? inst_desc : inst_asc, w, true,
                         "listing runbook instances", &r, parents, err);
    if (rc)
        return rc;
    bt_store_instance *out = bt_xcalloc(r.n + 1, sizeof *out);
    for (size_t k = 0; k < r.n; k++) {
        bt_store_instance *in = &out[k];
        in->id = i64(&r, k, 0);
        guid(&r, k, 1, in->guid);
        in->job_id = i64(&r, k, 2);
        in->runbook_id = i64(&r, k, 3);
        in->server_id = i64(&r, k, 4);
        in->status = (bt_job_status)i64(&r, k, 5);
        in->result = (int)i64(&r, k, 6);
        in->started_us = i64(&r, k, 7);
        in->ended_us = i64(&r, k, 8);
        in->return_data = text(&r, k, 9);
    }
    *items = out;
    *n = r.n;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_instance_window_count(bt_store *s, const bt_store_window *w,
                                   uint64_t *n, bt_error *err) {
    return count(s, inst_count, w, true, n, "counting runbook instances", err);
}

/* The filters of runbook instances alone are refused for activities. */
static bool activity_filters(const bt_store_window *w, bt_error *err) {
    if (!w->state && !w->server_id)
        return true;
    bt_error_set(err, BT_EINVAL,
                 "store: activity instances have no state or server filter");
    return false;
}

int bt_store_activity_window(bt_store *s, const bt_store_window *w,
                             bt_store_activity **items,
                             bt_store_parent **parents, size_t *n,
                             bt_error *err) {
    *items = NULL;
    *parents = NULL;
    *n = 0;
    if (!activity_filters(w, err))
        return -BT_EINVAL;
    bt_store_rows r = {0};
    int rc = window_rows(s, w->desc ? act_desc : act_asc, w, false,
                         "listing activity instances", &r, parents, err);
    if (rc)
        return rc;
    bt_store_activity *out = bt_xcalloc(r.n + 1, sizeof *out);
    for (size_t k = 0; k < r.n; k++) {
        bt_store_activity *act = &out[k];
        act->id = i64(&r, k, 0);
        guid(&r, k, 1, act->guid);
        act->instance_id = i64(&r, k, 2);
        act->activity_id = text(&r, k, 3);
        if (!act->activity_id)
            act->activity_id = bt_xstrdup("");
        act->seq = (uint64_t)i64(&r, k, 4);
        act->attempt = (unsigned)i64(&r, k, 5);
        act->result = (bt_result)i64(&r, k, 6);
        act->error = text(&r, k, 7);
        act->start_us = (uint64_t)i64(&r, k, 8);
        act->end_us = (uint64_t)i64(&r, k, 9);
        act->parent_seq = (uint64_t)i64(&r, k, 10);
        act->parent_row = (uint32_t)i64(&r, k, 11);
    }
    *items = out;
    *n = r.n;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_activity_window_count(bt_store *s, const bt_store_window *w,
                                   uint64_t *n, bt_error *err) {
    if (!activity_filters(w, err))
        return -BT_EINVAL;
    return count(s, act_count, w, false, n, "counting activity instances", err);
}

/* The C twin of the state in INSTANCE_FILTERS above. */
bt_store_instance_state
bt_store_instance_state_of(const bt_store_instance *in) {
    if (in->status == BT_JOB_PENDING || in->status == BT_JOB_RUNNING)
        return BT_INSTANCE_RUNNING;
    if (in->status == BT_JOB_CANCELED)
        return BT_INSTANCE_CANCELED;
    if (in->result == BT_RESULT_SUCCESS)
        return BT_INSTANCE_SUCCEEDED;
    if (in->result == BT_RESULT_WARNING)
        return BT_INSTANCE_WARNED;
    return BT_INSTANCE_FAILED;
}
