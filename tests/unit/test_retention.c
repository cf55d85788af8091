/* Log retention: the policy against a real SQLite store with a controlled
 * clock (instances by count, events and audit entries by their own ages,
 * running instances untouched), the daily schedule's next time across
 * month ends and daylight-saving changes, and the timer's start and stop. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "harness.h"
#include "server/retention.h"
#include "store/retention.h"
#include "store/store.h"

#define DAY_US (86400LL * 1000000LL)

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

typedef struct fixture {
    char *dir, *url;
    bt_store *s;
    uint64_t now;
} fixture;

static uint64_t fixed_clock(void *ud) { return ((fixture *)ud)->now; }

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    char *path = bt_harness_path(f->dir, "baton.db");
    f->url = bt_xasprintf("sqlite:%s", path);
    free(path);
    bt_error err = {0};
    if (bt_store_open(f->url, &f->s, &err)) fail_msg("%s", err.message);
    f->now = (uint64_t)1767225600 * 1000000u; /* 2026-01-01 */
    bt_store_set_clock(f->s, fixed_clock, f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_store_close(f->s);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->url);
    free(f);
    return 0;
}

static int64_t count(bt_store *s, int64_t runbook_id) {
    bt_store_job_filter flt = {.any_status = true, .limit = 100000,
                               .runbook_id = runbook_id};
    bt_store_job *jobs = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(bt_store_job_list(s, &flt, &jobs, &n, &next, &e_));
    bt_store_job_list_free(jobs, n);
    return (int64_t)n;
}

/* n finished jobs of runbook rid, one second apart; returns the server. */
static void finished_jobs(fixture *f, int64_t rid, int64_t srv, int n) {
    for (int i = 0; i < n; i++) {
        f->now += 1000000;
        bt_store_job_spec spec = {.runbook_id = rid, .runbook_version = 1,
                                  .parameters = "{}", .created_by = "t"};
        bt_store_job job = {0};
        OK(bt_store_job_create(f->s, &spec, &job, &e_));
        OK(bt_store_job_set_status(f->s, job.id, BT_JOB_RUNNING, srv, &e_));
        bt_store_instance in = {0};
        OK(bt_store_instance_create(f->s, job.id, srv, &in, &e_));
        OK(bt_store_instance_finish(f->s, in.id, BT_JOB_COMPLETED,
                                    BT_RESULT_SUCCESS, NULL, &e_));
        OK(bt_store_job_set_status(f->s, job.id, BT_JOB_COMPLETED, 0, &e_));
        bt_store_instance_clear(&in);
        bt_store_job_clear(&job);
    }
}

static int64_t make_runbook(bt_store *s, const char *name) {
    bt_store_folder root = {0};
    OK(bt_store_folder_get(s, "/", &root, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(s, root.id, name, NULL, &rb, &e_));
    int v = 0;
    OK(bt_store_version_add(s, rb.id,
                            "name: x\nactivities:\n  - {id: a, type: "
                            "initialize-data}\n",
                            "t", "c", &v, &e_));
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&root);
    return id;
}

static void test_policy(void **state) {
    fixture *f = *state;
    int64_t srv = 0;
    OK(bt_store_server_register(f->s, "rs1", "t", 1000000, &srv, &e_));
    int64_t busy = make_runbook(f->s, "Busy");
    int64_t quiet = make_runbook(f->s, "Quiet");
    /* A running job older than everything else. */
    bt_store_job_spec spec = {.runbook_id = busy, .runbook_version = 1,
                              .parameters = "{}", .created_by = "t"};
    bt_store_job running = {0};
    OK(bt_store_job_create(f->s, &spec, &running, &e_));
    OK(bt_store_job_set_status(f->s, running.id, BT_JOB_RUNNING, srv, &e_));
    bt_store_instance rin = {0};
    OK(bt_store_instance_create(f->s, running.id, srv, &rin, &e_));
    bt_store_instance_clear(&rin);

    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "t", "old", 0, &e_));
    OK(bt_store_audit_add(f->s, "t", "x.old", "o", NULL, NULL, &e_));
    finished_jobs(f, busy, srv, 510);
    finished_jobs(f, quiet, srv, 3);
    /* 40 days on: the first event is past 30 days, the audit entry is not
     * past 365. */
    f->now += 40 * DAY_US;
    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "t", "new", 0, &e_));

    bt_retention_policy p;
    bt_retention_policy_default(&p);
    assert_int_equal(p.keep_last, 500);
    bt_retention_report rep = {0};
    OK(bt_retention_run(f->s, &p, (int64_t)f->now, &rep, &e_));
    assert_int_equal(rep.instances, 10);
    assert_int_equal(rep.events, 1);
    assert_int_equal(rep.audit, 0);
    assert_int_equal(count(f->s, busy), 501); /* 500 kept + the running one */
    assert_int_equal(count(f->s, quiet), 3);
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, running.id, &j, &e_));
    assert_int_equal(j.status, BT_JOB_RUNNING);
    bt_store_job_clear(&j);

    /* By age only: everything finished more than 30 days ago goes, and the
     * audit entry once it is a year old. */
    p = (bt_retention_policy){.max_age_days = 30, .audit_days = 365};
    f->now += 400 * DAY_US;
    OK(bt_retention_run(f->s, &p, (int64_t)f->now, &rep, &e_));
    assert_int_equal(rep.instances, 503);
    assert_int_equal(rep.audit, 1);
    assert_int_equal(count(f->s, busy), 1);
    assert_int_equal(count(f->s, quiet), 0);
    bt_store_job_clear(&running);

    /* Nothing configured purges nothing. */
    p = (bt_retention_policy){0};
    OK(bt_retention_run(f->s, &p, (int64_t)f->now, &rep, &e_));
    assert_int_equal(rep.instances + rep.events + rep.audit, 0);
}

static int64_t local_us(int y, int mo, int d, int h, int mi) {
    struct tm t = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                   .tm_hour = h, .tm_min = mi, .tm_isdst = -1};
    return (int64_t)mktime(&t) * 1000000;
}

static void test_next_time(void **state) {
    (void)state;
    char *old = getenv("TZ") ? bt_xstrdup(getenv("TZ")) : NULL;
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    /* Before 02:00: today. After: tomorrow. Exactly at: tomorrow. */
    assert_int_equal(bt_retention_next(local_us(2026, 6, 10, 1, 0), 120),
                     local_us(2026, 6, 10, 2, 0));
    assert_int_equal(bt_retention_next(local_us(2026, 6, 10, 3, 0), 120),
                     local_us(2026, 6, 11, 2, 0));
    assert_int_equal(bt_retention_next(local_us(2026, 6, 10, 2, 0), 120),
                     local_us(2026, 6, 11, 2, 0));
    /* Month and year ends. */
    assert_int_equal(bt_retention_next(local_us(2026, 12, 31, 23, 0), 120),
                     local_us(2027, 1, 1, 2, 0));
    /* The autumn change (25 October 2026, 03:00 CEST -> 02:00 CET): the day
     * before at 12:00 to the next 02:00 is 15 h of local time but 15 h of
     * real time too, since 02:00 comes before the change... */
    int64_t from = local_us(2026, 10, 24, 12, 0);
    int64_t next = bt_retention_next(from, 120);
    struct tm t;
    time_t secs = (time_t)(next / 1000000);
    localtime_r(&secs, &t);
    assert_int_equal(t.tm_mday, 25);
    assert_int_equal(t.tm_hour, 2);
    assert_int_equal(t.tm_min, 0);
    /* ...and in spring 02:00 does not exist (29 March 2026): the purge
     * still runs that night, once, not a day late. */
    from = local_us(2026, 3, 28, 12, 0);
    next = bt_retention_next(from, 120);
    assert_true(next > from);
    assert_true(next - from < DAY_US);
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void on_stopped(void *ud) { *(int *)ud += 1; }

typedef struct run_result {
    int calls, rc;
    bt_retention_report rep;
    bt_retention *r;
    int stopped;
} run_result;

static void on_run(int rc, const bt_retention_report *rep,
                   const bt_error *err, void *ud) {
    run_result *res = ud;
    res->calls++;
    res->rc = rc;
    if (rc) fail_msg("purge: %s", err->message);
    res->rep = *rep;
    bt_retention_stop(res->r, on_stopped, &res->stopped);
}

/* A purge on demand runs on the pool with its own store handle. */
static void test_trigger(void **state) {
    fixture *f = *state;
    int64_t srv = 0;
    OK(bt_store_server_register(f->s, "rs1", "t", 1000000, &srv, &e_));
    int64_t rid = make_runbook(f->s, "Busy");
    /* Real times this time: the pool's handle uses the real clock. */
    bt_store_set_clock(f->s, NULL, NULL);
    finished_jobs(f, rid, srv, 5);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bt_retention_policy p = {.keep_last = 2};
    run_result res = {0};
    OK(bt_retention_start(&loop, f->url, &p, BT_RETENTION_AT_MINUTE, NULL,
                          &res.r, &e_));
    bt_retention_trigger(res.r, on_run, &res);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.rep.instances, 3);
    assert_int_equal(res.stopped, 1);
    assert_int_equal(count(f->s, rid), 2);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Started and stopped at once: the loop ends with nothing left behind (a
 * leak or a live handle fails under ASan or uv_loop_close). */
static void test_timer_lifecycle(void **state) {
    fixture *f = *state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    bt_retention_policy p;
    bt_retention_policy_default(&p);
    bt_retention *r = NULL;
    bt_error err = {0};
    assert_int_equal(bt_retention_start(&loop, f->url, &p, 24 * 60, NULL, &r,
                                        &err),
                     -BT_EINVAL);
    assert_non_null(strstr(err.message, "23:59"));
    OK(bt_retention_start(&loop, f->url, &p, BT_RETENTION_AT_MINUTE, NULL, &r,
                          &e_));
    int stopped = 0;
    bt_retention_stop(r, on_stopped, &stopped);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(stopped, 1);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
        cmocka_unit_test(test_next_time),
        cmocka_unit_test_setup_teardown(test_timer_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
