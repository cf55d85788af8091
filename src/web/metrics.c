/* GET /metrics in the Prometheus text format (0.0.4): jobs by status,
 * instances running per runbook server, activity durations, HTTP requests
 * by route, method and status, request and store-call durations.
 *
 * Request and store figures are counted in memory as requests finish (one
 * mutex; routes are patterns, so the series stay few). Jobs and running
 * instances are read from the store at scrape time. Activity durations
 * come from jobs created since the service started, added once each job
 * has finished (a scrape looks at the jobs that finished since the last
 * one). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/web_internal.h"

#define MAX_BUCKETS 16
#define SCRAPE_JOBS_MAX 5000 /* new jobs looked at per scrape */

static const double HTTP_BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                      0.5,   1,    2.5,   5,    10};
static const double STORE_BUCKETS[] = {0.0001, 0.0005, 0.001, 0.0025, 0.005,
                                       0.01,   0.025,  0.05,  0.1,    0.5, 1};
static const double ACTIVITY_BUCKETS[] = {0.01, 0.05, 0.1, 0.5, 1,   5,
                                          10,   30,   60,  300, 1800};

typedef struct hist {
    uint64_t b[MAX_BUCKETS];
    uint64_t count;
    double sum;
} hist;

static void observe(hist *h, const double *bounds, size_t n, double v) {
    for (size_t i = 0; i < n; i++)
        if (v <= bounds[i]) h->b[i]++;
    h->count++;
    h->sum += v;
}

typedef struct req_series {
    const char *route; /* a static pattern */
    char method[12];
    unsigned status;
    uint64_t count;
} req_series;

typedef struct route_hist {
    const char *route;
    hist h;
} route_hist;

struct bt_web_metrics {
    pthread_mutex_t lock;
    req_series *req;
    size_t n_req, cap_req;
    route_hist *rh;
    size_t n_rh, cap_rh;
    hist store;
    /* activity durations; scan_lock serialises scrapes */
    pthread_mutex_t scan_lock;
    bool scan_started;
    int64_t scan_after;
    int64_t *open;
    size_t n_open, cap_open;
    hist act;
};

bt_web_metrics *bt_web_metrics_new(void) {
    bt_web_metrics *m = bt_xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->scan_lock, NULL);
    return m;
}

void bt_web_metrics_free(bt_web_metrics *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->scan_lock);
    free(m->req);
    free(m->rh);
    free(m->open);
    free(m);
}

void bt_web_metrics_request(bt_web_metrics *m, const char *route,
                            const char *method, unsigned status,
                            double seconds) {
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    req_series *rs = NULL;
    for (size_t i = 0; i < m->n_req && !rs; i++)
        if (m->req[i].route == route && m->req[i].status == status &&
            !strcmp(m->req[i].method, method))
            rs = &m->req[i];
    if (!rs) {
        if (m->n_req == m->cap_req) {
            m->cap_req = m->cap_req ? m->cap_req * 2 : 32;
            m->req = bt_xrealloc(m->req, m->cap_req * sizeof *m->req);
        }
        rs = &m->req[m->n_req++];
        memset(rs, 0, sizeof *rs);
        rs->route = route;
        snprintf(rs->method, sizeof rs->method, "%s", method);
        rs->status = status;
    }
    rs->count++;
    route_hist *rh = NULL;
    for (size_t i = 0; i < m->n_rh && !rh; i++)
        if (m->rh[i].route == route) rh = &m->rh[i];
    if (!rh) {
        if (m->n_rh == m->cap_rh) {
            m->cap_rh = m->cap_rh ? m->cap_rh * 2 : 32;
            m->rh = bt_xrealloc(m->rh, m->cap_rh * sizeof *m->rh);
        }
        rh = &m->rh[m->n_rh++];
        memset(rh, 0, sizeof *rh);
        rh->route = route;
    }
    observe(&rh->h, HTTP_BUCKETS, BT_ARRAY_LEN(HTTP_BUCKETS), seconds);
    pthread_mutex_unlock(&m->lock);
}

void bt_web_metrics_store(bt_web_metrics *m, double seconds) {
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    observe(&m->store, STORE_BUCKETS, BT_ARRAY_LEN(STORE_BUCKETS), seconds);
    pthread_mutex_unlock(&m->lock);
}

void bt_web_metrics_scan_from(bt_web_metrics *m, int64_t job_id) {
    pthread_mutex_lock(&m->scan_lock);
    m->scan_after = job_id;
    m->scan_started = true;
    pthread_mutex_unlock(&m->scan_lock);
}

/* ---- the text format ---------------------------------------------------- */

/* A label value with \ " and newlines escaped. */
static void label(bt_buf *b, const char *v) {
    for (; *v; v++) {
        if (*v == '\\') bt_buf_appends(b, "\\\\");
        else if (*v == '"') bt_buf_appends(b, "\\\"");
        else if (*v == '\n') bt_buf_appends(b, "\\n");
        else bt_buf_appendc(b, *v);
    }
}

static void num(bt_buf *b, double v) {
    if (v == floor(v) && fabs(v) < 1e15) bt_buf_printf(b, "%.0f", v);
    else bt_buf_printf(b, "%.9g", v);
}

/* name{labels,le="..."} lines, _sum and _count; labels may be "". */
static void hist_lines(bt_buf *b, const char *name, const char *labels,
                       const hist *h, const double *bounds, size_t n) {
    const char *sep = *labels ? "," : "";
    for (size_t i = 0; i < n; i++) {
        bt_buf_printf(b, "%s_bucket{%s%sle=\"", name, labels, sep);
        num(b, bounds[i]);
        bt_buf_printf(b, "\"} %llu\n", (unsigned long long)h->b[i]);
    }
    bt_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                  (unsigned long long)h->count);
    bt_buf_printf(b, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels,
                  *labels ? "}" : "");
    num(b, h->sum);
    bt_buf_printf(b, "\n%s_count%s%s%s %llu\n", name, *labels ? "{" : "",
                  labels, *labels ? "}" : "", (unsigned long long)h->count);
}

/* ---- figures read from the store ---------------------------------------- */

static int jobs_lines(bt_web_req *r, bt_buf *b, bt_error *err) {
    bt_web_job_counts c;
    int rc = bt_web_count_jobs(r, &c, err);
    if (rc) return rc;
    bt_buf_appends(b, "# HELP baton_jobs Jobs in the store by status.\n"
                      "# TYPE baton_jobs gauge\n");
    for (unsigned st = 0; st < 5; st++)
        bt_buf_printf(b, "baton_jobs{status=\"%s\"} %llu\n",
                      bt_job_status_name((bt_job_status)st),
                      (unsigned long long)c.total[st]);
    bt_web_job_counts_clear(&c);
    return 0;
}

static int running_lines(bt_web_req *r, bt_buf *b, bt_error *err) {
    bt_store_server *sv = NULL;
    size_t n_sv = 0;
    int rc = BT_WEB_TIMED(r, bt_store_server_list(r->store, &sv, &n_sv, err));
    if (rc) return rc;
    uint64_t *running = bt_xcalloc(n_sv + 1, sizeof *running);
    bt_store_job_filter f = {.status = BT_JOB_RUNNING, .limit = 1000};
    for (;;) {
        bt_store_job *jobs = NULL;
        size_t n = 0;
        int64_t next = 0;
        rc = BT_WEB_TIMED(r, bt_store_job_list(r->store, &f, &jobs, &n, &next,
                                               err));
        if (rc) break;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < n_sv; k++)
                if (sv[k].id == jobs[i].server_id) running[k]++;
        bt_store_job_list_free(jobs, n);
        if (!next) break;
        f.after_id = next;
    }
    if (!rc) {
        bt_buf_appends(b, "# HELP baton_instances_running Runbook instances "
                          "running, by runbook server.\n"
                          "# TYPE baton_instances_running gauge\n");
        for (size_t k = 0; k < n_sv; k++) {
            bt_buf_appends(b, "baton_instances_running{server=\"");
            label(b, sv[k].name);
            bt_buf_printf(b, "\"} %llu\n", (unsigned long long)running[k]);
        }
    }
    free(running);
    bt_store_server_list_free(sv, n_sv);
    return rc;
}

static int add_job_activities(bt_web_req *r, bt_web_metrics *m, int64_t job,
                              bt_error *err) {
    bt_store_instance *ins = NULL;
    size_t n = 0;
    int rc = BT_WEB_TIMED(r, bt_store_instance_list(r->store, job, &ins, &n,
                                                    err));
    for (size_t i = 0; i < n && !rc; i++) {
        bt_store_activity *acts = NULL;
        size_t n_acts = 0;
        rc = BT_WEB_TIMED(r, bt_store_activity_list(r->store, ins[i].id, 0,
                                                    &acts, &n_acts, err));
        for (size_t k = 0; k < n_acts; k++) {
            const bt_store_activity *a = &acts[k];
            double secs = a->end_us >= a->start_us
                              ? (double)(a->end_us - a->start_us) / 1e6
                              : 0;
            observe(&m->act, ACTIVITY_BUCKETS, BT_ARRAY_LEN(ACTIVITY_BUCKETS),
                    secs);
        }
        bt_store_activity_list_free(acts, n_acts);
    }
    bt_store_instance_list_free(ins, n);
    return rc;
}

static bool is_finished(bt_job_status st) {
    return st == BT_JOB_COMPLETED || st == BT_JOB_FAILED ||
           st == BT_JOB_CANCELED;
}

/* Under scan_lock. */
static int scan_activities(bt_web_req *r, bt_web_metrics *m, bt_error *err) {
    int rc;
    if (!m->scan_started) {
        if ((rc = bt_web_max_job_id(r, &m->scan_after, err))) return rc;
        m->scan_started = true;
    }
    for (size_t i = 0; i < m->n_open;) {
        bt_store_job j = {0};
        rc = BT_WEB_TIMED(r, bt_store_job_get(r->store, m->open[i], &j, err));
        bool done = rc == -BT_ENOTFOUND || (!rc && is_finished(j.status));
        bt_store_job_clear(&j);
        if (rc && rc != -BT_ENOTFOUND) return rc;
        if (!rc && done && (rc = add_job_activities(r, m, m->open[i], err)))
            return rc;
        if (done) m->open[i] = m->open[--m->n_open];
        else i++;
    }
    size_t looked = 0;
    bt_store_job_filter f = {.any_status = true, .limit = 500};
    while (looked < SCRAPE_JOBS_MAX) {
        f.after_id = m->scan_after;
        bt_store_job *jobs = NULL;
        size_t n = 0;
        int64_t next = 0;
        rc = BT_WEB_TIMED(r, bt_store_job_list(r->store, &f, &jobs, &n, &next,
                                               err));
        if (rc) return rc;
        for (size_t i = 0; i < n && !rc; i++) {
            looked++;
            m->scan_after = jobs[i].id;
            if (is_finished(jobs[i].status)) {
                rc = add_job_activities(r, m, jobs[i].id, err);
            } else {
                if (m->n_open == m->cap_open) {
                    m->cap_open = m->cap_open ? m->cap_open * 2 : 64;
                    m->open = bt_xrealloc(m->open,
                                          m->cap_open * sizeof *m->open);
                }
                m->open[m->n_open++] = jobs[i].id;
            }
        }
        bt_store_job_list_free(jobs, n);
        if (rc) return rc;
        if (!next) break;
    }
    return 0;
}

void bt_web_metrics_get(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    if (!bt_web_store(r)) return;
    bt_web_metrics *m = r->web->metrics;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_error err = {0};
    int rc = jobs_lines(r, &b, &err);
    if (!rc) rc = running_lines(r, &b, &err);
    if (!rc) {
        pthread_mutex_lock(&m->scan_lock);
        rc = scan_activities(r, m, &err);
        if (!rc) {
            bt_buf_appends(&b, "# HELP baton_activity_duration_seconds "
                               "Durations of activity instances of jobs "
                               "created since the web service started.\n"
                               "# TYPE baton_activity_duration_seconds "
                               "histogram\n");
            hist_lines(&b, "baton_activity_duration_seconds", "", &m->act,
                       ACTIVITY_BUCKETS, BT_ARRAY_LEN(ACTIVITY_BUCKETS));
        }
        pthread_mutex_unlock(&m->scan_lock);
    }
    if (rc) {
        bt_buf_free(&b);
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    pthread_mutex_lock(&m->lock);
    bt_buf_appends(&b, "# HELP baton_http_requests_total HTTP requests by "
                       "route, method and status.\n"
                       "# TYPE baton_http_requests_total counter\n");
    for (size_t i = 0; i < m->n_req; i++) {
        bt_buf_appends(&b, "baton_http_requests_total{route=\"");
        label(&b, m->req[i].route);
        bt_buf_appends(&b, "\",method=\"");
        label(&b, m->req[i].method);
        bt_buf_printf(&b, "\",status=\"%u\"} %llu\n", m->req[i].status,
                      (unsigned long long)m->req[i].count);
    }
    bt_buf_appends(&b, "# HELP baton_http_request_duration_seconds HTTP "
                       "request durations by route.\n"
                       "# TYPE baton_http_request_duration_seconds "
                       "histogram\n");
    for (size_t i = 0; i < m->n_rh; i++) {
        bt_buf lb;
        bt_buf_init(&lb, 0);
        bt_buf_appends(&lb, "route=\"");
        label(&lb, m->rh[i].route);
        bt_buf_appendc(&lb, '"');
        hist_lines(&b, "baton_http_request_duration_seconds", bt_buf_str(&lb),
                   &m->rh[i].h, HTTP_BUCKETS, BT_ARRAY_LEN(HTTP_BUCKETS));
        bt_buf_free(&lb);
    }
    bt_buf_appends(&b, "# HELP baton_store_query_duration_seconds Store "
                       "calls made by the web service.\n"
                       "# TYPE baton_store_query_duration_seconds "
                       "histogram\n");
    hist_lines(&b, "baton_store_query_duration_seconds", "", &m->store,
               STORE_BUCKETS, BT_ARRAY_LEN(STORE_BUCKETS));
    pthread_mutex_unlock(&m->lock);
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->text_len = b.len;
    r->text = bt_buf_detach(&b);
    r->status = 200;
}
