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
#define WINDOW " LIMIT CAST($2 AS bigint) OFFSET CAST($3 AS bigint)"

#define INSTANCES " FROM instances i JOIN jobs j ON j.id = i.job_id WHERE " RIGHTS
#define INSTANCE_COLS                                                          \
    "i.id, i.guid, i.job_id, i.runbook_id, coalesce(i.server_id, 0), "        \
    "i.status, i.result, i.started_us, i.ended_us, i.return_data, j.guid"
static const char inst_asc[] =
    "SELECT " INSTANCE_COLS INSTANCES " ORDER BY i.guid" WINDOW;
static const char inst_desc[] =
    "SELECT " INSTANCE_COLS INSTANCES " ORDER BY i.guid DESC" WINDOW;
static const char inst_count[] =
    "SELECT count(*) FROM instances i WHERE " RIGHTS; /* no job needed */

#define ACTIVITIES                                                             \
    " FROM activity_instances a JOIN instances i ON i.id = a.instance_id "    \
    "WHERE " RIGHTS
#define ACTIVITY_COLS                                                          \
    "a.id, a.guid, a.instance_id, a.activity_id, a.seq, a.attempt, "          \
    "a.result, a.error, a.start_us, a.end_us, a.parent_seq, a.parent_row, "   \
    "i.guid, i.runbook_id"
static const char act_asc[] =
    "SELECT " ACTIVITY_COLS ACTIVITIES " ORDER BY a.guid" WINDOW;
static const char act_desc[] =
    "SELECT " ACTIVITY_COLS ACTIVITIES " ORDER BY a.guid DESC" WINDOW;
static const char act_count[] = "SELECT count(*)" ACTIVITIES;

typedef struct args {
    char num[2][24];
    const char *v[3];
} args;

static void fill(const bt_store_window *w, args *a) {
    snprintf(a->num[0], sizeof a->num[0], "%lld",
             w->limit ? (long long)w->limit : (long long)INT64_MAX);
    snprintf(a->num[1], sizeof a->num[1], "%lld",
             w->offset > INT64_MAX ? (long long)INT64_MAX
                                   : (long long)w->offset);
    a->v[0] = w->runbook_ids;
    a->v[1] = a->num[0];
    a->v[2] = a->num[1];
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

static int count(bt_store *s, const char *sql, const bt_store_window *w,
                 uint64_t *out, const char *doing, bt_error *err) {
    *out = 0;
    args a;
    fill(w, &a);
    bt_store_rows r = {0};
    int rc = s->ops->query(s, sql, a.v, 1, &r, doing, err);
    if (rc) return rc;
    *out = r.n ? (uint64_t)i64(&r, 0, 0) : 0;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_instance_window(bt_store *s, const bt_store_window *w,
                             bt_store_instance **items,
                             bt_store_parent **parents, size_t *n,
                             bt_error *err) {
    *items = NULL;
    *parents = NULL;
    *n = 0;
    args a;
    fill(w, &a);
    bt_store_rows r = {0};
    int rc = s->ops->query(s, w->desc ? inst_desc : inst_asc, a.v, 3, &r,
                           "listing runbook instances", err);
    if (rc) return rc;
    bt_store_instance *out = bt_xcalloc(r.n + 1, sizeof *out);
    bt_store_parent *par = bt_xcalloc(r.n + 1, sizeof *par);
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
        guid(&r, k, 10, par[k].guid);
        par[k].runbook_id = in->runbook_id;
    }
    *items = out;
    *parents = par;
    *n = r.n;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_instance_window_count(bt_store *s, const bt_store_window *w,
                                   uint64_t *n, bt_error *err) {
    return count(s, inst_count, w, n, "counting runbook instances", err);
}

int bt_store_activity_window(bt_store *s, const bt_store_window *w,
                             bt_store_activity **items,
                             bt_store_parent **parents, size_t *n,
                             bt_error *err) {
    *items = NULL;
    *parents = NULL;
    *n = 0;
    args a;
    fill(w, &a);
    bt_store_rows r = {0};
    int rc = s->ops->query(s, w->desc ? act_desc : act_asc, a.v, 3, &r,
                           "listing activity instances", err);
    if (rc) return rc;
    bt_store_activity *out = bt_xcalloc(r.n + 1, sizeof *out);
    bt_store_parent *par = bt_xcalloc(r.n + 1, sizeof *par);
    for (size_t k = 0; k < r.n; k++) {
        bt_store_activity *act = &out[k];
        act->id = i64(&r, k, 0);
        guid(&r, k, 1, act->guid);
        act->instance_id = i64(&r, k, 2);
        act->activity_id = text(&r, k, 3);
        if (!act->activity_id) act->activity_id = bt_xstrdup("");
        act->seq = (uint64_t)i64(&r, k, 4);
        act->attempt = (unsigned)i64(&r, k, 5);
        act->result = (bt_result)i64(&r, k, 6);
        act->error = text(&r, k, 7);
        act->start_us = (uint64_t)i64(&r, k, 8);
        act->end_us = (uint64_t)i64(&r, k, 9);
        act->parent_seq = (uint64_t)i64(&r, k, 10);
        act->parent_row = (uint32_t)i64(&r, k, 11);
        guid(&r, k, 12, par[k].guid);
        par[k].runbook_id = i64(&r, k, 13);
    }
    *items = out;
    *parents = par;
    *n = r.n;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_activity_window_count(bt_store *s, const bt_store_window *w,
                                   uint64_t *n, bt_error *err) {
    return count(s, act_count, w, n, "counting activity instances", err);
}
