/* GET /api/statistics: how many jobs there are in each status, overall and
 * per runbook (the store counts; one query per runbook). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define N_STATUS 5

static struct bt_web_runbook_counts *runbook_slot(bt_web_job_counts *c,
                                                  int64_t runbook_id,
                                                  size_t *cap) {
    for (size_t i = 0; i < c->n_runbooks; i++)
        if (c->runbooks[i].runbook_id == runbook_id) return &c->runbooks[i];
    if (c->n_runbooks == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        c->runbooks = bt_xrealloc(c->runbooks, *cap * sizeof *c->runbooks);
    }
    struct bt_web_runbook_counts *slot = &c->runbooks[c->n_runbooks++];
    memset(slot, 0, sizeof *slot);
    slot->runbook_id = runbook_id;
    return slot;
}

int bt_web_count_jobs(bt_web_req *r, bt_web_job_counts *out, bt_error *err) {
    memset(out, 0, sizeof *out);
    bt_store *s = bt_web_store(r);
    if (!s) return -BT_EIO;
    int rc = BT_WEB_TIMED(r, bt_store_job_counts(s, 0, out->total, err));
    if (rc) return rc;
    /* per live runbook; jobs of deleted runbooks count in the totals */
    bt_store_runbook *rbs = NULL;
    size_t n = 0;
    rc = BT_WEB_TIMED(r, bt_store_runbook_list(s, 0, &rbs, &n, err));
    if (rc) return rc;
    size_t cap = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        uint64_t c[N_STATUS] = {0};
        rc = BT_WEB_TIMED(r, bt_store_job_counts(s, rbs[i].id, c, err));
        uint64_t sum = 0;
        for (unsigned st = 0; st < N_STATUS; st++) sum += c[st];
        if (!rc && sum)
            memcpy(runbook_slot(out, rbs[i].id, &cap)->by_status, c, sizeof c);
    }
    bt_store_runbook_list_free(rbs, n);
    if (rc) bt_web_job_counts_clear(out);
    return rc;
}

void bt_web_job_counts_clear(bt_web_job_counts *c) {
    if (!c) return;
    free(c->runbooks);
    memset(c, 0, sizeof *c);
}

static json_t *counts_json(const uint64_t *by_status) {
    json_t *o = json_object();
    uint64_t total = 0;
    for (unsigned st = 0; st < N_STATUS; st++) {
        json_object_set_new(o, bt_job_status_name((bt_job_status)st),
                            json_integer((json_int_t)by_status[st]));
        total += by_status[st];
    }
    json_object_set_new(o, "total", json_integer((json_int_t)total));
    return o;
}

static int by_runbook_id(const void *a, const void *b) {
    int64_t x = ((const struct bt_web_runbook_counts *)a)->runbook_id;
    int64_t y = ((const struct bt_web_runbook_counts *)b)->runbook_id;
    return x < y ? -1 : x > y;
}

void bt_web_statistics(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    bt_web_job_counts c;
    bt_error err = {0};
    int rc = bt_web_count_jobs(r, &c, &err);
    if (rc) {
        if (!r->status) bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    if (c.n_runbooks) /* qsort(NULL, 0, ...) is undefined */
        qsort(c.runbooks, c.n_runbooks, sizeof *c.runbooks, by_runbook_id);
    /* only runbooks the caller may view count, in the totals too */
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) {
        bt_web_job_counts_clear(&c);
        return;
    }
    if (!sc.all) memset(c.total, 0, sizeof c.total);
    json_t *rbs = json_array();
    for (size_t i = 0; i < c.n_runbooks; i++) {
        if (!sc.all) {
            if (!bt_auth_scope_runbook(r, &sc, c.runbooks[i].runbook_id,
                                       BT_RIGHT_VIEW))
                continue;
            for (size_t k = 0; k < 5; k++)
                c.total[k] += c.runbooks[i].by_status[k];
        }
        bt_store_runbook rb = {0};
        bool have = !BT_WEB_TIMED(
            r, bt_store_runbook_get(r->store, c.runbooks[i].runbook_id, &rb,
                                    NULL));
        json_t *o = json_pack("{s:I}", "runbook_id",
                              (json_int_t)c.runbooks[i].runbook_id);
        json_object_set_new(o, "path", have && rb.path ? json_string(rb.path)
                                                       : json_null());
        json_object_set_new(o, "jobs", counts_json(c.runbooks[i].by_status));
        bt_store_runbook_clear(&rb);
        json_array_append_new(rbs, o);
    }
    json_t *body = json_pack("{s:o, s:o}", "jobs", counts_json(c.total),
                             "runbooks", rbs);
    bt_web_job_counts_clear(&c);
    bt_web_reply(r, 200, body);
}
