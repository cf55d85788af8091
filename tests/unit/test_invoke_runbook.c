/* Invoke Runbook on a real runbook server (src/server/rbserver.c, which
 * hands the engine the store-backed services) with a real SQLite store:
 * the parent's job creates a child job, the server runs it, and the parent
 * publishes the child's Return Data. Waits are on conditions with a
 * generous deadline. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "harness.h"
#include "server/rbserver.h"
#include "store/store.h"

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

#define DEADLINE_MS 20000

typedef struct fixture {
    char *dir;
    bt_store *s;
    uv_loop_t loop;
    bt_rbserver *srv;
} fixture;

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    char *url = bt_xasprintf("sqlite:%s/baton.db", f->dir);
    OK(bt_store_open(url, &f->s, &e_));
    free(url);
    uv_loop_init(&f->loop);
    bt_rbserver_config cfg = {.name = "rb1", .poll_ms = 10};
    OK(bt_rbserver_start(&f->loop, f->s, &cfg, &f->srv, &e_));
    *state = f;
    return 0;
}

static void on_stopped(bt_rbserver *srv, void *ud) {
    (void)srv;
    *(bool *)ud = true;
}

static int teardown(void **state) {
    fixture *f = *state;
    bool stopped = false;
    bt_rbserver_stop(f->srv, 0, on_stopped, &stopped);
    while (!stopped) uv_run(&f->loop, UV_RUN_ONCE);
    bt_rbserver_free(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    bt_store_close(f->s);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static int64_t add_runbook(fixture *f, const char *folder, const char *name,
                           const char *yaml) {
    bt_store_folder fo = {0};
    if (bt_store_folder_get(f->s, folder, &fo, NULL) != 0)
        OK(bt_store_folder_create(f->s, folder, &fo, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, fo.id, name, NULL, &rb, &e_));
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
    int v = 0;
    OK(bt_store_version_add(f->s, id, yaml, "tester", NULL, &v, &e_));
    return id;
}

static int64_t add_job(fixture *f, int64_t runbook_id) {
    bt_store_job_spec spec = {.runbook_id = runbook_id, .created_by = "t"};
    bt_store_job j = {0};
    OK(bt_store_job_create(f->s, &spec, &j, &e_));
    int64_t id = j.id;
    bt_store_job_clear(&j);
    return id;
}

static bt_job_status job_status(fixture *f, int64_t id) {
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, id, &j, &e_));
    bt_job_status st = j.status;
    bt_store_job_clear(&j);
    return st;
}

static bool finished(bt_job_status st) {
    return st == BT_JOB_COMPLETED || st == BT_JOB_FAILED ||
           st == BT_JOB_CANCELED;
}

typedef struct waiter {
    fixture *f;
    int64_t job;
    bool (*pred)(struct waiter *w);
    bool met;
    uint64_t deadline;
} waiter;

static void tick(uv_timer_t *t) {
    waiter *w = t->data;
    w->met = w->pred(w);
    if (w->met || bt_mono_us() > w->deadline) uv_stop(t->loop);
}

static bool run_until(fixture *f, int64_t job, bool (*pred)(waiter *)) {
    waiter w = {f, job, pred, false, bt_mono_us() + DEADLINE_MS * 1000ull};
    uv_timer_t t;
    uv_timer_init(&f->loop, &t);
    t.data = &w;
    uv_timer_start(&t, tick, 5, 5);
    while (!w.met && bt_mono_us() <= w.deadline)
        uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    return w.met;
}

static bool job_done(waiter *w) { return finished(job_status(w->f, w->job)); }

static bt_job_status wait_job(fixture *f, int64_t job) {
    if (!run_until(f, job, job_done))
        fail_msg("job %lld did not finish", (long long)job);
    return job_status(f, job);
}

/* Data of the first committed record of activity id in the job. */
typedef struct record {
    bt_store_activity *acts;
    size_t n;
    const bt_store_activity *a;
} record;

static record record_of(fixture *f, int64_t job, const char *id) {
    record r = {0};
    bt_store_instance *insts = NULL;
    size_t ni = 0;
    OK(bt_store_instance_list(f->s, job, &insts, &ni, &e_));
    assert_true(ni >= 1);
    OK(bt_store_activity_list(f->s, insts[0].id, 0, &r.acts, &r.n, &e_));
    bt_store_instance_list_free(insts, ni);
    for (size_t i = 0; i < r.n && !r.a; i++)
        if (!strcmp(r.acts[i].activity_id, id)) r.a = &r.acts[i];
    assert_non_null(r.a);
    return r;
}

static const char *datum(const record *r, const char *name) {
    for (size_t i = 0; i < r->a->n_data; i++)
        if (r->a->data[i].row == 0 && !strcmp(r->a->data[i].name, name))
            return r->a->data[i].value;
    fprintf(stderr, "no field %s\n", name);
    return NULL;
}

static const char CHILD_YAML[] =
    "name: Child\n"
    "parameters: [{name: n, type: integer, required: true}]\n"
    "returns: [echo, status]\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: done, type: return-data, properties: {echo: 'got {start.n}', "
    "status: fine}}\n"
    "links: [{from: start, to: done}]\n";

static const char FAILING_YAML[] =
    "name: Failing\n"
    "activities:\n"
    "  - {id: boom, type: run-program, properties: {command: 'false'}}\n";

static int64_t parent(fixture *f, const char *name, const char *props) {
    char *yaml = bt_xasprintf(
        "name: %s\n"
        "returns: [echo]\n"
        "activities:\n"
        "  - {id: call, type: invoke-runbook, properties: {%s}}\n"
        "  - {id: done, type: return-data, properties: {echo: '{call.echo}'}}\n"
        "links: [{from: call, to: done}]\n",
        name, props);
    int64_t id = add_runbook(f, "/", name, yaml);
    free(yaml);
    return id;
}

static void test_invoke_waits_for_return_data(void **state) {
    fixture *f = *state;
    add_runbook(f, "/Ops/Lib", "Child", CHILD_YAML);
    int64_t p = parent(f, "Parent",
                       "runbook: /Ops/Lib/Child, parameters: {n: '21'}");
    int64_t job = add_job(f, p);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    record r = record_of(f, job, "call");
    assert_int_equal(r.a->result, BT_RESULT_SUCCESS);
    assert_string_equal(datum(&r, "echo"), "got 21");
    /* The child's "status" would hide the activity's own status. */
    assert_string_equal(datum(&r, "return_status"), "fine");
    assert_string_equal(datum(&r, "status"), "success");
    assert_string_equal(datum(&r, "job_status"), "completed");
    int64_t child;
    assert_true(bt_parse_int64(datum(&r, "job_id"), &child));
    assert_true(child > job);
    assert_int_equal(job_status(f, child), BT_JOB_COMPLETED);
    bt_store_activity_list_free(r.acts, r.n);
    /* The parent returned what it read from the child. */
    bt_store_instance *insts = NULL;
    size_t ni = 0;
    OK(bt_store_instance_list(f->s, job, &insts, &ni, &e_));
    assert_non_null(strstr(insts[0].return_data, "got 21"));
    bt_store_instance_list_free(insts, ni);
}

static void test_invoke_failures(void **state) {
    fixture *f = *state;
    add_runbook(f, "/", "Failing", FAILING_YAML);
    add_runbook(f, "/", "Child", CHILD_YAML);
    static const struct {
        const char *props, *error;
    } cases[] = {
        {"runbook: /Failing", "activity 'boom' failed: "},
        {"runbook: /Nope", "no runbook '/Nope' in the store"},
        {"runbook: /Ops/", "does not name a runbook"},
        /* The child refuses the parameters: the server says why. */
        {"runbook: /Child, parameters: {n: abc}", "'n'"},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
        char name[16];
        snprintf(name, sizeof name, "P%zu", i);
        int64_t job = add_job(f, parent(f, name, cases[i].props));
        assert_int_equal(wait_job(f, job), BT_JOB_FAILED);
        record r = record_of(f, job, "call");
        assert_int_equal(r.a->result, BT_RESULT_FAILED);
        assert_non_null(r.a->error);
        print_message("case %zu: %s\n", i, r.a->error);
        if (!strstr(r.a->error, cases[i].error))
            fail_msg("case %zu: error '%s' lacks '%s'", i, r.a->error,
                     cases[i].error);
        bt_store_activity_list_free(r.acts, r.n);
    }
}

static void test_invoke_without_waiting(void **state) {
    fixture *f = *state;
    add_runbook(f, "/", "Child", CHILD_YAML);
    int64_t job = add_job(
        f, parent(f, "Parent", "runbook: Child, wait: false, "
                               "parameters: {n: 1}"));
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    record r = record_of(f, job, "call");
    assert_int_equal(r.a->result, BT_RESULT_SUCCESS);
    const char *st = datum(&r, "job_status");
    assert_true(!strcmp(st, "pending") || !strcmp(st, "running"));
    int64_t child;
    assert_true(bt_parse_int64(datum(&r, "job_id"), &child));
    bt_store_activity_list_free(r.acts, r.n);
    assert_int_equal(wait_job(f, child), BT_JOB_COMPLETED);
}

/* servers: the child runs on the server named, not on the parent's. */
static void test_invoke_targets_a_server(void **state) {
    fixture *f = *state;
    char *url = bt_xasprintf("sqlite:%s/baton.db", f->dir);
    bt_store *s2 = NULL;
    OK(bt_store_open(url, &s2, &e_));
    free(url);
    bt_rbserver_config cfg = {.name = "rb2", .poll_ms = 10};
    bt_rbserver *rb2 = NULL;
    OK(bt_rbserver_start(&f->loop, s2, &cfg, &rb2, &e_));
    add_runbook(f, "/", "Child", CHILD_YAML);
    int64_t job = add_job(
        f, parent(f, "Parent", "runbook: /Child, parameters: {n: 2}, "
                               "servers: [rb2]"));
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    record r = record_of(f, job, "call");
    int64_t child;
    assert_true(bt_parse_int64(datum(&r, "job_id"), &child));
    bt_store_activity_list_free(r.acts, r.n);
    bt_store_job cj = {0};
    OK(bt_store_job_get(f->s, child, &cj, &e_));
    assert_int_equal(cj.server_id, bt_rbserver_id(rb2));
    assert_int_equal(cj.n_targets, 1);
    assert_string_equal(cj.targets[0], "rb2");
    bt_store_job_clear(&cj);
    bool stopped = false;
    bt_rbserver_stop(rb2, 0, on_stopped, &stopped);
    while (!stopped) uv_run(&f->loop, UV_RUN_ONCE);
    bt_rbserver_free(rb2);
    bt_store_close(s2);
}

/* A runbook that invokes itself stops at the depth limit with a sentence
 * saying so, and the failure reaches the first job. */
static void test_invoke_depth_limit(void **state) {
    fixture *f = *state;
    int64_t self = add_runbook(f, "/", "Self",
                "name: Self\n"
                "activities:\n"
                "  - {id: again, type: invoke-runbook, properties: "
                "{runbook: /Self}}\n");
    int64_t job = add_job(f, self);
    assert_int_equal(wait_job(f, job), BT_JOB_FAILED);
    bt_store_event *ev = NULL;
    size_t n = 0;
    OK(bt_store_event_list(f->s, 0, 0, 1000, &ev, &n, &e_));
    bool said = false;
    for (size_t i = 0; i < n; i++)
        said = said || strstr(ev[i].message, "more than 16 deep") != NULL;
    bt_store_event_list_free(ev, n);
    record r = record_of(f, job, "again");
    assert_int_equal(r.a->result, BT_RESULT_FAILED);
    said = said || (r.a->error && strstr(r.a->error, "deep"));
    bt_store_activity_list_free(r.acts, r.n);
    assert_true(said);
}

static const char SLOW_YAML[] =
    "name: Slow\n"
    "activities:\n"
    "  - {id: nap, type: run-program, properties: {command: 'sleep 30'}}\n";

static int64_t child_of;
static bool child_running(waiter *w) {
    bt_store_job_filter flt = {.any_status = false,
                               .status = BT_JOB_RUNNING};
    bt_store_job *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(bt_store_job_list(w->f->s, &flt, &items, &n, &next, &e_));
    for (size_t i = 0; i < n; i++)
        if (items[i].id != w->job) child_of = items[i].id;
    bt_store_job_list_free(items, n);
    return child_of != 0;
}

static void test_cancel_parent_cancels_child(void **state) {
    fixture *f = *state;
    add_runbook(f, "/", "Slow", SLOW_YAML);
    int64_t job = add_job(f, parent(f, "Parent", "runbook: /Slow"));
    child_of = 0;
    assert_true(run_until(f, job, child_running));
    OK(bt_store_job_request_cancel(f->s, job, &e_));
    assert_int_equal(wait_job(f, job), BT_JOB_CANCELED);
    assert_int_equal(wait_job(f, child_of), BT_JOB_CANCELED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_invoke_waits_for_return_data,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_invoke_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invoke_targets_a_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invoke_depth_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invoke_without_waiting, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_parent_cancels_child,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
