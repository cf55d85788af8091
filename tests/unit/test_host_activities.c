/* Activities that use the host's services, run for real against the
 * store-backed services (src/server/services.c) on a SQLite store in a
 * scratch folder: counters, Check Schedule, Monitor Counter, and how
 * Invoke Runbook records a child's lineage and limits its depth (Invoke
 * Runbook on a real runbook server is in test_invoke_runbook.c). */
#include <jansson.h>

#include "host_support.h"
#include "server/services.h"
#include "store/store.h"

typedef struct fixture {
    char *dir;
    bt_store *store;
    uv_loop_t loop;
    bt_services *svc;
    int64_t parent_job; /* what job_of answers for every instance */
} fixture;

static int64_t job_of(bt_instance *inst, void *ud) {
    (void)inst;
    return ((fixture *)ud)->parent_job;
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    char *url = bt_xasprintf("sqlite:%s/baton.db", f->dir);
    bt_error err = {0};
    int rc = bt_store_open(url, &f->store, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    free(url);
    uv_loop_init(&f->loop);
    bt_services_config cfg = {.poll_ms = 5, .job_of = job_of, .ud = f};
    assert_int_equal(bt_services_new(&f->loop, f->store, &cfg, &f->svc), 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    assert_int_equal(bt_services_pending(f->svc), 0);
    bt_services_free(f->svc);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    bt_store_close(f->store);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void run_on(fixture *f, const char *yaml, host_run *run) {
    run->services = bt_services_table(f->svc);
    host_run_yaml_on(&f->loop, yaml, run);
}

static const bt_activity_record *run_one(fixture *f, host_run *run,
                                         const char *type,
                                         const char *props) {
    char *yaml = bt_xasprintf("name: t\nactivities:\n"
                              "  - {id: a, type: %s, properties: {%s}}\n",
                              type, props);
    run_on(f, yaml, run);
    free(yaml);
    const bt_activity_record *r = host_record(run->main, "a");
    assert_non_null(r);
    return r;
}

static void expect_fail(const bt_activity_record *r, const char *text) {
    assert_int_equal(r->result, BT_RESULT_FAILED);
    assert_non_null(r->error);
    if (!strstr(r->error, text))
        fprintf(stderr, "error '%s' lacks '%s'\n", r->error, text);
    assert_non_null(strstr(r->error, text));
}

static void expect_ok(const bt_activity_record *r) {
    if (r->result != BT_RESULT_SUCCESS)
        fprintf(stderr, "failed: %s\n", r->error ? r->error : "?");
    assert_int_equal(r->result, BT_RESULT_SUCCESS);
}

/* ---- counters ---------------------------------------------------------- */

static void test_counters_modify_and_get(void **state) {
    fixture *f = *state;
    host_run run = {0};
    run_on(f,
           "name: counters\n"
           "activities:\n"
           "  - {id: set, type: modify-counter, properties: {counter: "
           "jobs, action: set, value: 5}}\n"
           "  - {id: add, type: modify-counter, properties: {counter: "
           "jobs, value: 3}}\n"
           "  - {id: inc, type: modify-counter, properties: {counter: "
           "jobs}}\n"
           "  - {id: sub, type: modify-counter, properties: {counter: "
           "jobs, action: subtract, value: '{add.value}'}}\n"
           "  - {id: get, type: get-counter, properties: {counter: jobs}}\n"
           "  - {id: reset, type: modify-counter, properties: {counter: "
           "jobs, action: reset}}\n"
           "links:\n"
           "  - {from: set, to: add}\n"
           "  - {from: add, to: inc}\n"
           "  - {from: inc, to: sub}\n"
           "  - {from: sub, to: get}\n"
           "  - {from: get, to: reset}\n",
           &run);
    assert_int_equal(bt_instance_result(run.main), BT_RESULT_SUCCESS);
    assert_string_equal(host_field(run.main, "set", "value"), "5");
    assert_string_equal(host_field(run.main, "add", "value"), "8");
    assert_string_equal(host_field(run.main, "inc", "value"), "9");
    assert_string_equal(host_field(run.main, "sub", "value"), "1");
    assert_string_equal(host_field(run.main, "get", "value"), "1");
    assert_string_equal(host_field(run.main, "get", "counter"), "jobs");
    assert_string_equal(host_field(run.main, "reset", "value"), "0");
    int64_t v = -1;
    assert_int_equal(bt_store_counter_get(f->store, "jobs", &v, NULL), 0);
    assert_int_equal(v, 0);
    host_run_free(&run);
}

static void test_counter_errors(void **state) {
    fixture *f = *state;
    host_run run = {0};
    expect_fail(run_one(f, &run, "get-counter", "counter: nope"), "nope");
    host_run_free(&run);
    expect_fail(run_one(f, &run, "modify-counter", "counter: nope"),
                "create it first with action: set");
    host_run_free(&run);
    /* Caught when the runbook loads. */
    bt_harness_run h;
    assert_int_not_equal(
        bt_harness_run_yaml("name: t\nactivities:\n"
                            "  - {id: a, type: modify-counter, properties: "
                            "{counter: c, action: set}}\n"
                            "  - {id: b, type: monitor-counter, properties: "
                            "{counter: c, condition: '>'}}\n",
                            NULL, &h),
        0);
    assert_true(bt_harness_diag_contains(&h, "action 'set' needs 'value'"));
    assert_true(bt_harness_diag_contains(&h, "condition '>' needs 'value'"));
    bt_harness_run_free(&h);
}

static void test_no_services_is_a_clear_failure(void **state) {
    (void)state;
    bt_harness_run run;
    assert_int_equal(
        bt_harness_run_yaml("name: t\nactivities:\n"
                            "  - {id: a, type: get-counter, properties: "
                            "{counter: c}}\n",
                            NULL, &run),
        0);
    const bt_activity_record *r = bt_harness_record(&run, "a", 0);
    expect_fail(r, "get-counter: no counter store here");
    bt_harness_run_free(&run);
    assert_int_equal(
        bt_harness_run_yaml("name: t\nactivities:\n"
                            "  - {id: a, type: invoke-runbook, properties: "
                            "{runbook: /x}}\n",
                            NULL, &run),
        0);
    expect_fail(bt_harness_record(&run, "a", 0),
                "invoke-runbook: no way to start runbooks here");
    bt_harness_run_free(&run);
    assert_int_equal(
        bt_harness_run_yaml("name: t\nactivities:\n"
                            "  - {id: a, type: send-platform-event, "
                            "properties: {summary: x}}\n",
                            NULL, &run),
        0);
    expect_fail(bt_harness_record(&run, "a", 0),
                "send-platform-event: no events list here");
    bt_harness_run_free(&run);
}

/* ---- monitor-counter --------------------------------------------------- */

/* The store services with one change: before each read of the counter, the
 * next value of a script is written to the store, so the monitor sees a
 * known sequence whatever the timing. */
typedef struct scripted {
    bt_act_services table;
    fixture *f;
    const int64_t *values;
    size_t n, next;
} scripted;

static int scripted_get(void *ud, const char *name, int64_t *out,
                        bt_error *err) {
    scripted *s = ud;
    const bt_act_services *real = bt_services_table(s->f->svc);
    if (s->next < s->n)
        assert_int_equal(
            bt_store_counter_set(s->f->store, name, s->values[s->next++],
                                 NULL),
            0);
    return real->counter_get(real->ud, name, out, err);
}

static void run_counter_monitor(fixture *f, const char *props,
                                const int64_t *values, size_t n,
                                host_run *run) {
    scripted s = {.f = f, .values = values, .n = n};
    s.table = *bt_services_table(f->svc);
    s.table.ud = &s;
    s.table.counter_get = scripted_get;
    char *yaml = bt_xasprintf(
        "name: watch\n"
        "activities:\n"
        "  - {id: mon, type: monitor-counter, properties: {counter: c, "
        "interval: 1ms, %s}}\n"
        "  - {id: seen, type: get-counter, properties: {counter: c}}\n"
        "links: [{from: mon, to: seen}]\n",
        props);
    run->services = &s.table;
    host_run_yaml_on(&f->loop, yaml, run);
    free(yaml);
}

static void test_monitor_counter_fires_on_edges(void **state) {
    fixture *f = *state;
    /* >= 3: fires at 5, not again at 6, re-arms at 1, fires at 4. */
    static const int64_t values[] = {5, 6, 1, 4, 4, 4};
    host_run run = {0};
    run_counter_monitor(f, "condition: '>=', value: 3, max_triggers: 2",
                        values, 6, &run);
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(host_field(run.triggered[0], "mon", "value"), "5");
    assert_string_equal(host_field(run.triggered[1], "mon", "value"), "4");
    assert_string_equal(host_field(run.triggered[1], "mon", "trigger_count"),
                        "2");
    assert_int_equal(
        bt_instance_result(run.triggered[0]), BT_RESULT_SUCCESS);
    host_run_free(&run);
}

static void test_monitor_counter_changed(void **state) {
    fixture *f = *state;
    static const int64_t values[] = {1, 1, 2, 2, 7};
    host_run run = {0};
    run_counter_monitor(f, "max_triggers: 2", values, 5, &run);
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(host_field(run.triggered[0], "mon", "value"), "2");
    assert_string_equal(host_field(run.triggered[0], "mon", "previous"), "1");
    assert_string_equal(host_field(run.triggered[1], "mon", "value"), "7");
    assert_string_equal(host_field(run.triggered[1], "mon", "previous"), "2");
    host_run_free(&run);
}

static void test_monitor_counter_cancel(void **state) {
    fixture *f = *state;
    static const int64_t values[] = {1, 2};
    host_run run = {.cancel_after = 1};
    run_counter_monitor(f, "", values, 2, &run);
    assert_int_equal(run.n_triggered, 1);
    assert_true(bt_instance_canceled(run.main));
    host_run_free(&run);
}

/* ---- check-schedule ---------------------------------------------------- */

static const char *conforms(fixture *f, host_run *run, const char *props) {
    const bt_activity_record *r = run_one(f, run, "check-schedule", props);
    expect_ok(r);
    return bt_row_get(r->rows[0], "conforms");
}

static void test_check_schedule_inline(void **state) {
    fixture *f = *state;
    static const struct {
        const char *props, *want;
    } cases[] = {
        /* 2026-11-25 is a Wednesday, the fourth of the month. */
        {"days_of_week: [mon, wed], time: '2026-11-25T10:00:00', "
         "timezone: utc", "true"},
        {"days_of_week: [mon, tue], time: '2026-11-25 10:00', "
         "timezone: utc", "false"},
        {"hours: ['08:00-12:00'], time: '2026-11-25T12:00:00Z', "
         "timezone: utc", "false"},
        {"hours: ['08:00-12:00', '13:00-17:30'], time: "
         "'2026-11-25T17:29:59Z', timezone: utc", "true"},
        {"hours: ['22:00-06:00'], time: '2026-11-25T05:59:00Z', "
         "timezone: utc", "true"},
        {"hours: ['22:00-06:00'], time: '2026-11-25T12:00:00Z', "
         "timezone: utc", "false"},
        {"days_of_month: [1, 25], time: '2026-11-25', timezone: utc", "true"},
        {"days_of_month: [last], time: '2026-11-30', timezone: utc", "true"},
        {"days_of_month: [last], time: '2026-11-29', timezone: utc",
         "false"},
        {"days_of_week: [wed], occurrences: [fourth], time: '2026-11-25', "
         "timezone: utc", "true"},
        {"days_of_week: [wed], occurrences: [last], time: '2026-11-25', "
         "timezone: utc", "true"},
        {"days_of_week: [wed], occurrences: [first], time: '2026-11-25', "
         "timezone: utc", "false"},
        {"days_of_week: [wed], exceptions: ['2026-11-25'], "
         "time: '2026-11-25T10:00:00Z', timezone: utc", "false"},
        /* An offset moves the moment into the schedule's zone. */
        {"hours: ['00:00-01:00'], time: '2026-11-25T23:30:00-01:00', "
         "timezone: utc", "true"},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
        host_run run = {0};
        const char *got = conforms(f, &run, cases[i].props);
        if (strcmp(got, cases[i].want))
            fprintf(stderr, "case %zu: %s -> %s\n", i, cases[i].props, got);
        assert_string_equal(got, cases[i].want);
        host_run_free(&run);
    }
}

static void test_check_schedule_stored_and_json(void **state) {
    fixture *f = *state;
    assert_int_equal(
        bt_store_schedule_set(f->store, "office",
                              "{\"days_of_week\": [\"mon\", \"tue\", "
                              "\"wed\", \"thu\", \"fri\"], \"hours\": "
                              "[\"08:00-18:00\"], \"timezone\": \"utc\"}",
                              NULL),
        0);
    host_run run = {0};
    const bt_activity_record *r = run_one(
        f, &run, "check-schedule",
        "schedule: office, time: '2026-11-25T09:00:00Z'");
    expect_ok(r);
    assert_string_equal(bt_row_get(r->rows[0], "conforms"), "true");
    assert_string_equal(bt_row_get(r->rows[0], "schedule"), "office");
    assert_string_equal(bt_row_get(r->rows[0], "checked_time"),
                        "2026-11-25T09:00:00");
    host_run_free(&run);
    assert_string_equal(
        conforms(f, &run,
                 "schedule: office, time: '2026-11-28T09:00:00Z'"),
        "false");
    host_run_free(&run);
    assert_string_equal(
        conforms(f, &run,
                 "definition: '{\"hours\": [\"09:00-10:00\"], \"timezone\": "
                 "\"utc\"}', time: '2026-11-28T09:00:00Z'"),
        "true");
    host_run_free(&run);
    /* Now: an empty schedule always conforms. */
    assert_string_equal(conforms(f, &run, "definition: '{}'"), "true");
    host_run_free(&run);
}

static void test_check_schedule_errors(void **state) {
    fixture *f = *state;
    /* Found when the runbook is run. */
    static const struct {
        const char *props, *error;
    } at_run[] = {
        {"schedule: nope", "nope"},
        {"definition: '{}', time: yesterday", "time 'yesterday' is not"},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(at_run); i++) {
        host_run run = {0};
        expect_fail(run_one(f, &run, "check-schedule", at_run[i].props),
                    at_run[i].error);
        host_run_free(&run);
    }
    /* Literal definitions are checked when the runbook loads. */
    static const struct {
        const char *props, *error;
    } at_load[] = {
        {"days_of_week: [funday]", "'funday' is not a weekday"},
        {"hours: ['8-17']", "'8-17' is not a range"},
        {"hours: ['08:00-08:00']", "is not a range"},
        {"days_of_month: [32]", "'32' is not a day of the month"},
        {"exceptions: ['2026-13-01']", "is not a date"},
        {"definition: '{\"day\": 1}'", "unknown field 'day'"},
        {"definition: '[1]'", "not a JSON object"},
        {"definition: '{}', hours: ['08:00-09:00']", "not several"},
        {"time: now", "not none"},
        {"days_of_week: ['%n%s']", "is not a weekday"},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(at_load); i++) {
        char *yaml = bt_xasprintf("name: t\nactivities:\n"
                                  "  - {id: a, type: check-schedule, "
                                  "properties: {%s}}\n",
                                  at_load[i].props);
        bt_harness_run run;
        assert_int_not_equal(bt_harness_run_yaml(yaml, NULL, &run), 0);
        if (!bt_harness_diag_contains(&run, at_load[i].error))
            fail_msg("case %zu: no diagnostic with '%s'", i,
                     at_load[i].error);
        bt_harness_run_free(&run);
        free(yaml);
    }
}

/* ---- invoke lineage ---------------------------------------------------- */

static int64_t job_by(fixture *f, int64_t runbook_id, const char *by) {
    bt_store_job_spec spec = {.runbook_id = runbook_id, .created_by = by};
    bt_store_job j;
    assert_int_equal(bt_store_job_create(f->store, &spec, &j, NULL), 0);
    int64_t id = j.id;
    bt_store_job_clear(&j);
    return id;
}

static void test_invoke_depth_is_limited(void **state) {
    fixture *f = *state;
    bt_store_folder root;
    assert_int_equal(bt_store_folder_get(f->store, "/", &root, NULL), 0);
    bt_store_runbook rb;
    assert_int_equal(
        bt_store_runbook_create(f->store, root.id, "Child", NULL, &rb, NULL),
        0);
    int v;
    assert_int_equal(
        bt_store_version_add(f->store, rb.id,
                             "name: Child\nactivities:\n"
                             "  - {id: a, type: junction}\n",
                             "t", NULL, &v, NULL),
        0);
    /* A parent three invokes down: the child is the fourth. */
    f->parent_job = job_by(f, rb.id, "invoke-runbook (job 1, depth 3)");
    host_run run = {0};
    const bt_activity_record *r = run_one(f, &run, "invoke-runbook",
                                          "runbook: /Child, wait: false");
    expect_ok(r);
    int64_t child;
    assert_true(bt_parse_int64(bt_row_get(r->rows[0], "job_id"), &child));
    bt_store_job j;
    assert_int_equal(bt_store_job_get(f->store, child, &j, NULL), 0);
    char *want = bt_xasprintf("invoke-runbook (job %lld, depth 4)",
                              (long long)f->parent_job);
    assert_string_equal(j.created_by, want);
    free(want);
    bt_store_job_clear(&j);
    host_run_free(&run);
    /* A parent at the limit cannot go deeper. */
    f->parent_job = job_by(f, rb.id, "invoke-runbook (job 1, depth 16)");
    expect_fail(run_one(f, &run, "invoke-runbook", "runbook: /Child"),
                "more than 16 deep");
    host_run_free(&run);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&root);
}

/* ---- send-platform-event ------------------------------------------------ */

static void test_send_platform_event(void **state) {
    fixture *f = *state;
    bt_store_folder root;
    assert_int_equal(bt_store_folder_get(f->store, "/", &root, NULL), 0);
    bt_store_runbook rb;
    assert_int_equal(
        bt_store_runbook_create(f->store, root.id, "Nightly", NULL, &rb, NULL),
        0);
    int v;
    assert_int_equal(bt_store_version_add(f->store, rb.id,
                                          "name: Nightly\nactivities:\n"
                                          "  - {id: a, type: junction}\n",
                                          "t", NULL, &v, NULL),
                     0);
    f->parent_job = job_by(f, rb.id, "test");
    host_run run = {0};
    const bt_activity_record *r =
        run_one(f, &run, "send-platform-event",
                "summary: 'backup of db1 failed', details: 'disk full', "
                "severity: error");
    expect_ok(r);
    char job[24];
    snprintf(job, sizeof job, "%lld", (long long)f->parent_job);
    assert_string_equal(bt_row_get(r->rows[0], "job_id"), job);
    assert_string_equal(bt_row_get(r->rows[0], "stored"), "true");
    assert_string_equal(bt_row_get(r->rows[0], "source"), "runbook t");
    assert_string_equal(bt_row_get(r->rows[0], "severity"), "error");
    host_run_free(&run);

    /* In the events list, on the job, as the API and console show it. */
    bt_store_event *ev;
    size_t n;
    assert_int_equal(
        bt_store_event_list(f->store, f->parent_job, 0, 10, &ev, &n, NULL),
        0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].severity, BT_SEVERITY_ERROR);
    assert_string_equal(ev[0].source, "runbook t");
    assert_string_equal(ev[0].message, "backup of db1 failed\ndisk full");
    assert_int_equal(ev[0].job_id, f->parent_job);
    bt_store_event_list_free(ev, n);

    f->parent_job = 0;
    r = run_one(f, &run, "send-platform-event",
                "summary: done, source: nightly-backup");
    expect_ok(r);
    assert_string_equal(bt_row_get(r->rows[0], "job_id"), "");
    assert_string_equal(bt_row_get(r->rows[0], "severity"), "info");
    host_run_free(&run);
    assert_int_equal(bt_store_event_list(f->store, 0, 0, 100, &ev, &n, NULL),
                     0);
    assert_true(n >= 2);
    assert_string_equal(ev[n - 1].source, "nightly-backup");
    assert_string_equal(ev[n - 1].message, "done");
    assert_int_equal(ev[n - 1].severity, BT_SEVERITY_INFO);
    assert_int_equal(ev[n - 1].job_id, 0);
    bt_store_event_list_free(ev, n);

    r = run_one(f, &run, "send-platform-event", "summary: ''");
    expect_fail(r, "send-platform-event: 'summary' is empty");
    host_run_free(&run);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&root);
}

/* A failing store write (injected: the store's table with event_add
 * answering as a full disk would): the activity fails saying why. */
static int event_add_fails(void *ud, bt_activity_ctx *caller, int severity,
                           const char *source, const char *message,
                           int64_t *job_id, bool *stored, bt_error *err) {
    (void)ud, (void)caller, (void)severity, (void)source, (void)message;
    *job_id = 0;
    *stored = false;
    return bt_error_set(err, BT_EIO, "database or disk is full");
}

static void test_send_platform_event_store_fails(void **state) {
    fixture *f = *state;
    bt_act_services table = *bt_services_table(f->svc);
    table.event_add = event_add_fails;
    host_run run = {.services = &table};
    host_run_yaml_on(&f->loop,
                     "name: t\nactivities:\n"
                     "  - {id: a, type: send-platform-event, properties: "
                     "{summary: x, severity: warning}}\n",
                     &run);
    expect_fail(host_record(run.main, "a"),
                "send-platform-event: cannot add the event: database or "
                "disk is full");
    host_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counters_modify_and_get, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_counter_errors, setup, teardown),
        cmocka_unit_test(test_no_services_is_a_clear_failure),
        cmocka_unit_test_setup_teardown(test_send_platform_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_send_platform_event_store_fails,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_counter_fires_on_edges,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_counter_changed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_monitor_counter_cancel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_check_schedule_inline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_check_schedule_stored_and_json,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_schedule_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invoke_depth_is_limited, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
