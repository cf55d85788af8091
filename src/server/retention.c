/* The daily log purge: a timer that runs the retention policy on the
 * thread pool. */
#include "server/retention.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

#define US_PER_DAY (86400LL * 1000000LL)

int64_t bt_retention_next(int64_t now_us, unsigned at_minute) {
    time_t now = (time_t)(now_us / 1000000);
    struct tm tm;
    localtime_r(&now, &tm);
    /* mktime normalises day overflow and finds the DST offset itself, so
     * "tomorrow at 02:00" is right across month ends and clock changes. */
    for (int add = 0; add < 3; add++) {
        struct tm t = tm;
        t.tm_mday += add;
        t.tm_hour = (int)(at_minute / 60);
        t.tm_min = (int)(at_minute % 60);
        t.tm_sec = 0;
        t.tm_isdst = -1;
        time_t when = mktime(&t);
        if (when != (time_t)-1 && when > now) return (int64_t)when * 1000000;
    }
    return now_us + US_PER_DAY;
}

struct bt_retention {
    uv_loop_t *loop;
    uv_timer_t timer;
    uv_work_t work;
    char *store_url;
    bt_retention_policy policy;
    unsigned at_minute;
    const bt_log *log;
    bool busy, stopping, timer_closed;
    void (*done)(void *ud);
    void *done_ud;
    bt_retention_done_fn run_done; /* of a triggered run */
    void *run_ud;
    /* the last run's outcome, written by the pool thread */
    int rc;
    bt_error err;
    bt_retention_report report;
};

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_timer(uv_timer_t *t);

static void schedule(bt_retention *r) {
    int64_t now = now_us();
    int64_t next = bt_retention_next(now, r->at_minute);
    uint64_t delay_ms = (uint64_t)(next - now) / 1000 + 1;
    uv_timer_start(&r->timer, on_timer, delay_ms, 0);
}

static void purge_work(uv_work_t *w) {
    bt_retention *r = w->data;
    bt_store *s = NULL;
    memset(&r->err, 0, sizeof r->err);
    r->report = (bt_retention_report){0};
    r->rc = bt_store_open(r->store_url, &s, &r->err);
    if (!r->rc)
        r->rc = bt_retention_run(s, &r->policy, now_us(), &r->report, &r->err);
    bt_store_close(s);
}

static void finish(bt_retention *r);

static void purge_done(uv_work_t *w, int status) {
    bt_retention *r = w->data;
    r->busy = false;
    if (status == UV_ECANCELED) {
        /* never started */
    } else if (r->rc) {
        bt_logf(r->log, BT_LOG_ERROR, "retention: purge failed: %s",
                r->err.message);
    } else {
        bt_logf(r->log, BT_LOG_INFO,
                "retention: purged %zu runbook instance%s, %zu event%s, "
                "%zu audit entr%s",
                r->report.instances, r->report.instances == 1 ? "" : "s",
                r->report.events, r->report.events == 1 ? "" : "s",
                r->report.audit, r->report.audit == 1 ? "y" : "ies");
    }
    bt_retention_done_fn run_done = r->run_done;
    r->run_done = NULL;
    if (run_done)
        run_done(status == UV_ECANCELED ? UV_ECANCELED : r->rc, &r->report,
                 &r->err, r->run_ud);
    if (r->stopping) finish(r);
    else schedule(r);
}

static bool start_purge(bt_retention *r) {
    if (r->busy || r->stopping) return false;
    r->busy = true;
    r->work.data = r;
    if (uv_queue_work(r->loop, &r->work, purge_work, purge_done)) {
        r->busy = false;
        return false;
    }
    return true;
}

static void on_timer(uv_timer_t *t) {
    bt_retention *r = t->data;
    if (!start_purge(r) && !r->stopping) schedule(r);
}

void bt_retention_trigger(bt_retention *r, bt_retention_done_fn done,
                          void *ud) {
    if (r->busy || r->stopping) {
        bt_error err = {0};
        bt_error_set(&err, BT_ESTATE, "retention: a purge is already running");
        if (done) done(-BT_ESTATE, NULL, &err, ud);
        return;
    }
    uv_timer_stop(&r->timer);
    r->run_done = done;
    r->run_ud = ud;
    if (!start_purge(r)) {
        r->run_done = NULL;
        bt_error err = {0};
        bt_error_set(&err, BT_EIO, "retention: cannot start a purge");
        if (done) done(-BT_EIO, NULL, &err, ud);
        schedule(r);
    }
}

int bt_retention_start(uv_loop_t *loop, const char *store_url,
                       const bt_retention_policy *p, unsigned at_minute,
                       const bt_log *log, bt_retention **out, bt_error *err) {
    *out = NULL;
    if (at_minute >= 24 * 60)
        return bt_error_set(err, BT_EINVAL,
                            "retention: the purge time must be between 00:00 "
                            "and 23:59");
    bt_retention *r = bt_xcalloc(1, sizeof *r);
    r->loop = loop;
    r->store_url = bt_xstrdup(store_url);
    r->policy = *p;
    r->at_minute = at_minute;
    r->log = log;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    schedule(r);
    *out = r;
    return 0;
}

static void free_retention(bt_retention *r) {
    void (*done)(void *) = r->done;
    void *ud = r->done_ud;
    free(r->store_url);
    free(r);
    if (done) done(ud);
}

static void on_timer_closed(uv_handle_t *h) {
    bt_retention *r = h->data;
    r->timer_closed = true;
    if (!r->busy) free_retention(r);
}

static void finish(bt_retention *r) {
    if (r->timer_closed) free_retention(r);
}

void bt_retention_stop(bt_retention *r, void (*done)(void *ud), void *ud) {
    if (!r) {
        if (done) done(ud);
        return;
    }
    r->stopping = true;
    r->done = done;
    r->done_ud = ud;
    uv_close((uv_handle_t *)&r->timer, on_timer_closed);
}
