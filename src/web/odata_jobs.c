/* The Jobs feed without reading every job: an installation keeps
 * thousands, and the generic path (odata.c) materialises the whole set to
 * filter, sort and page it, which made each page cost about 19 µs per
 * stored job. Here the common shapes of the query (Orchestrator's scripts
 * page Jobs by key or CreationTime and filter on Status, RunbookId,
 * RunbookServerId, CreationTime or Id) become one store query with a
 * window, and only the page's jobs are read and built. Anything else
 * (other properties, "or", functions) returns 0 and takes the
 * generic path, whose answer this must equal entry for entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/odata.h"

#define MAX_TERMS 16

typedef struct pushed {
    bt_store_job_query q;
    bool empty; /* the terms contradict or name nothing: no job matches */
    char guid[BT_GUID_LEN];
    char *runbook_ids;
} pushed;

static void lower_bound(pushed *p, int64_t t) {
    if (!p->q.has_created_min || t > p->q.created_min)
        p->q.created_min = t;
    p->q.has_created_min = true;
}

static void upper_bound(pushed *p, int64_t t) {
    if (!p->q.has_created_max || t < p->q.created_max)
        p->q.created_max = t;
    p->q.has_created_max = true;
}

/* A GUID term's text as the store keeps GUIDs; false: no GUID can be
 * equal to it (the generic comparison needs the same length). */
static bool term_guid(const od_term *t, char out[BT_GUID_LEN]) {
    return t->text_len == BT_GUID_LEN - 1 &&
           od_guid_parse(t->text, t->text_len, out);
}

/* false: this term needs the generic path. */
static bool push_term(od_ctx *c, pushed *p, const od_term *t) {
    const char *name = t->prop->name;
    if (!strcmp(name, "CreationTime")) {
        if (!t->is_time || t->op == OD_NE)
            return false;
        if (t->op == OD_EQ || t->op == OD_GE)
            lower_bound(p, t->time);
        if (t->op == OD_EQ || t->op == OD_LE)
            upper_bound(p, t->time);
        if (t->op == OD_GT)
            lower_bound(p, t->time + 1);
        if (t->op == OD_LT)
            upper_bound(p, t->time - 1);
        return true;
    }
    if (t->is_time || t->op != OD_EQ)
        return false;
    if (!strcmp(name, "Status")) {
        /* the names compare as text, without regard to case */
        int st = -1;
        for (int k = BT_JOB_PENDING; k <= BT_JOB_CANCELED && st < 0; k++) {
            const char *n = od_job_status((bt_job_status)k);
            if (strlen(n) == t->text_len &&
                !strncasecmp(n, t->text, t->text_len))
                st = k;
        }
        if (st < 0 || (!p->q.any_status && p->q.status != (bt_job_status)st))
            p->empty = true;
        p->q.any_status = false;
        p->q.status = (bt_job_status)(st < 0 ? 0 : st);
        return true;
    }
    char g[BT_GUID_LEN];
    if (!strcmp(name, "Id")) {
        if (!term_guid(t, g) || (p->guid[0] && strcmp(p->guid, g)))
            p->empty = true;
        else
            memcpy(p->guid, g, sizeof g);
        return true;
    }
    if (!strcmp(name, "RunbookServerId")) {
        /* a job shows its server's GUID only while the server is known */
        int64_t id = od_server_id(c, t->text, t->text_len);
        if (!id || (p->q.server_id && p->q.server_id != id))
            p->empty = true;
        p->q.server_id = id;
        return true;
    }
    if (!strcmp(name, "RunbookId")) {
        /* a job shows its runbook's GUID only while the caller can see the
         * runbook (od_need_runbooks), so only those can match */
        size_t idx;
        int64_t id = term_guid(t, g) && !od_find_runbook(c, g, &idx)
                         ? c->rbs[idx].id
                         : 0;
        if (!id || (p->q.runbook_id && p->q.runbook_id != id))
            p->empty = true;
        p->q.runbook_id = id;
        return true;
    }
    return false;
}

static bool push_order(pushed *p, const od_order *order, size_t n_order) {
    if (n_order == 0) {
        p->q.order = BT_JOB_BY_GUID; /* the key: the generic path's order */
        return true;
    }
    if (n_order > 1)
        return false;
    if (!strcmp(order->prop->name, "Id"))
        p->q.order = order->desc ? BT_JOB_BY_GUID_DESC : BT_JOB_BY_GUID;
    else if (!strcmp(order->prop->name, "CreationTime"))
        p->q.order = order->desc ? BT_JOB_BY_CREATED_DESC : BT_JOB_BY_CREATED;
    else
        return false;
    return true;
}

static int read_page(od_ctx *c, const pushed *p, json_t *page) {
    bt_store_job *jobs = NULL;
    size_t n = 0;
    int rc = bt_store_job_select(c->s, &p->q, &jobs, &n, &c->err);
    if (rc) return od_fail(c, rc);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(page, od_job_entity(c, &jobs[i]));
    bt_store_job_list_free(jobs, n);
    return 0;
}

int od_jobs_page(od_ctx *c, const od_expr *filter, const od_order *order,
                 size_t n_order, long long skip, long long top,
                 long long token, bool want_total, json_t **page,
                 long long *total, bool *more) {
    *page = NULL;
    *total = -1;
    *more = false;
    od_term terms[MAX_TERMS];
    size_t n_terms = 0;
    if (!od_filter_terms(filter, terms, MAX_TERMS, &n_terms))
        return 0;
    int rc;
    if ((rc = od_need_runbooks(c)) || (rc = od_need_servers(c)))
        return rc;
    pushed p = {.q = {.any_status = true}};
    if (!push_order(&p, order, n_order))
        return 0;
    for (size_t i = 0; i < n_terms; i++)
        if (!push_term(c, &p, &terms[i]))
            return 0;
    if (p.guid[0] && !p.empty) { /* the store filters by id */
        bt_store_job job;
        bt_error e = {0};
        rc = bt_store_job_get_guid(c->s, p.guid, &job, &e);
        if (rc && rc != -BT_ENOTFOUND) {
            c->err = e;
            return od_fail(c, rc);
        }
        p.q.id = rc ? 0 : job.id;
        p.empty = rc != 0;
        if (!rc)
            bt_store_job_clear(&job);
    }
    /* with folder rights on, the jobs of runbooks the caller may not view
     * (or of deleted runbooks) are not in the feed at all */
    p.runbook_ids = od_visible_runbook_ids(c);
    p.q.runbook_ids = p.runbook_ids;
    json_t *rows = json_array();
    if (want_total && !p.empty) {
        uint64_t count = 0;
        if ((rc = bt_store_job_select_count(c->s, &p.q, &count, &c->err))) {
            rc = od_fail(c, rc);
            goto out;
        }
        *total = (long long)count;
    } else if (want_total) {
        *total = 0;
    }
    /* the page: entries token .. token+50 of the window skip .. skip+top;
     * one more tells whether a next page exists */
    long long want = od_page_want(top, token);
    if (!p.empty && want > 0) {
        p.q.offset = (uint64_t)skip + (uint64_t)token;
        p.q.limit = (size_t)want;
        if ((rc = read_page(c, &p, rows)))
            goto out;
        *more = od_page_trim(rows);
    }
    *page = rows;
    rows = NULL;
    rc = 1;
out:
    json_decref(rows);
    free(p.runbook_ids);
    return rc;
}
