/* The runbook server with a real SQLite file, a real libuv loop and real
 * child processes: jobs run to their end with every activity instance
 * committed, failures and bad input become failed jobs with events,
 * cancel kills children, the throttle holds, two servers share one
 * database, preferred servers win the claim, a stopped server's job is
 * taken over (in-process, and after SIGKILL of a forked server process)
 * without running any committed activity twice, and a monitor runbook
 * starts one instance per trigger. Every wait is on a condition with a
 * generous deadline.
 *
 * With BATON_TEST_STORE_URL set to a PostgreSQL URL (scripts/pg-throwaway.sh
 * run <this test>) every test runs on a fresh database of that server
 * instead, and servers are also woken by LISTEN/NOTIFY. */
#include <libpq-fe.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "harness.h"
#include "proc_support.h"
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
    char *url;
    char *pg_db; /* the test's PostgreSQL database, or NULL */
    bt_store *s;
    uv_loop_t loop;
} fixture;

/* ---- PostgreSQL: one fresh database per test ---------------------------- */

static const char *pg_base(void) {
    const char *u = getenv("BATON_TEST_STORE_URL");
    return u && *u ? u : NULL;
}

/* base with its database replaced by db (query string kept). */
static char *url_with_db(const char *base, const char *db) {
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    const char *slash = strchr(host, '/');
    const char *query = strchr(host, '?');
    if (!slash || (query && query < slash)) slash = query;
    size_t head = slash ? (size_t)(slash - base) : strlen(base);
    return bt_xasprintf("%.*s/%s%s", (int)head, base, db, query ? query : "");
}

static void pg_admin(const char *sql) {
    PGconn *c = PQconnectdb(pg_base());
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("admin connection: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static bt_store *open_store(const fixture *f) {
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(f->url, &s, &err))
        fail_msg("open %s: %s", f->url, err.message);
    return s;
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    if (pg_base()) {
        char guid[BT_GUID_LEN];
        bt_store_guid(guid);
        f->pg_db = bt_xasprintf("bt_rbs_%.8s", guid);
        char *sql = bt_xasprintf("CREATE DATABASE %s", f->pg_db);
        pg_admin(sql);
        free(sql);
        f->url = url_with_db(pg_base(), f->pg_db);
    } else {
        char *path = bt_harness_path(f->dir, "baton.db");
        f->url = bt_xasprintf("sqlite:%s", path);
        free(path);
    }
    f->s = open_store(f);
    uv_loop_init(&f->loop);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    /* Anything left (a failed test) is closed before the loop. */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    uv_loop_close(&f->loop);
    bt_store_close(f->s);
    if (f->pg_db) {
        char *sql =
            bt_xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", f->pg_db);
        pg_admin(sql);
        free(sql);
        free(f->pg_db);
    }
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->url);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* "@" in yaml stands for the fixture's directory. */
static char *with_dir(const fixture *f, const char *text) {
    size_t n = 0;
    for (const char *p = text; *p; p++) n += *p == '@';
    char *out = bt_xmalloc(strlen(text) + n * strlen(f->dir) + 1), *o = out;
    for (const char *p = text; *p; p++) {
        if (*p == '@') {
            strcpy(o, f->dir);
            o += strlen(f->dir);
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static int64_t add_runbook(fixture *f, const char *name, const char *yaml) {
    bt_store_folder root = {0};
    OK(bt_store_folder_get(f->s, "/", &root, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, root.id, name, NULL, &rb, &e_));
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&root);
    char *text = with_dir(f, yaml);
    int v = 0;
    OK(bt_store_version_add(f->s, id, text, "tester", NULL, &v, &e_));
    free(text);
    return id;
}

static int64_t add_job(fixture *f, int64_t runbook_id, const char *params) {
    bt_store_job_spec spec = {.runbook_id = runbook_id,
                              .parameters = params,
                              .created_by = "tester"};
    bt_store_job j = {0};
    OK(bt_store_job_create(f->s, &spec, &j, &e_));
    int64_t id = j.id;
    bt_store_job_clear(&j);
    return id;
}

static bt_store_job get_job(fixture *f, int64_t id) {
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, id, &j, &e_));
    return j;
}

static bt_job_status job_status(fixture *f, int64_t id) {
    bt_store_job j = get_job(f, id);
    bt_job_status st = j.status;
    bt_store_job_clear(&j);
    return st;
}

static bool job_finished(fixture *f, int64_t id) {
    bt_job_status st = job_status(f, id);
    return st == BT_JOB_COMPLETED || st == BT_JOB_FAILED ||
           st == BT_JOB_CANCELED;
}

typedef bool (*pred_fn)(void *ud);

typedef struct waiter {
    pred_fn pred;
    void *ud;
    bool met;
    uint64_t deadline;
    uv_timer_t timer;
} waiter;

static void wait_tick(uv_timer_t *t) {
    waiter *w = t->data;
    if (w->pred(w->ud)) w->met = true;
    if (w->met || bt_mono_us() > w->deadline) uv_stop(t->loop);
}

/* Runs the loop until pred holds (checked every 5 ms) or the deadline. */
static bool run_until(uv_loop_t *loop, pred_fn pred, void *ud,
                      uint64_t timeout_ms) {
    waiter w = {pred, ud, pred(ud), bt_mono_us() + timeout_ms * 1000, {0}};
    if (w.met) return true;
    uv_timer_init(loop, &w.timer);
    w.timer.data = &w;
    uv_timer_start(&w.timer, wait_tick, 5, 5);
    while (!w.met && bt_mono_us() <= w.deadline) uv_run(loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&w.timer, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return w.met;
}

typedef struct job_wait {
    fixture *f;
    int64_t id;
} job_wait;

static bool job_done_pred(void *ud) {
    job_wait *w = ud;
    return job_finished(w->f, w->id);
}

static bt_job_status wait_job(fixture *f, int64_t id) {
    job_wait w = {f, id};
    if (!run_until(&f->loop, job_done_pred, &w, DEADLINE_MS))
        fail_msg("job %lld did not finish in time (status %s)", (long long)id,
                 bt_job_status_name(job_status(f, id)));
    return job_status(f, id);
}

static bt_rbserver *start_server(fixture *f, bt_store *s, const char *name,
                                 size_t throttle, uint64_t heartbeat_ms) {
    bt_rbserver_config cfg = {.name = name,
                              .throttle = throttle,
                              .heartbeat_ms = heartbeat_ms,
                              .poll_ms = 20};
    bt_rbserver *srv = NULL;
    bt_error err = {0};
    if (bt_rbserver_start(&f->loop, s, &cfg, &srv, &err))
        fail_msg("server %s: %s", name, err.message);
    return srv;
}

static void on_stopped(bt_rbserver *srv, void *ud) {
    (void)srv;
    *(bool *)ud = true;
}

static bool flag_pred(void *ud) { return *(bool *)ud; }

static void stop_server(fixture *f, bt_rbserver *srv, uint64_t grace_ms) {
    bool stopped = false;
    bt_rbserver_stop(srv, grace_ms, on_stopped, &stopped);
    assert_true(run_until(&f->loop, flag_pred, &stopped, DEADLINE_MS));
    bt_rbserver_free(srv);
}

static bt_store_activity *activities_of(fixture *f, int64_t job_id,
                                        size_t *n, int64_t *instance_id) {
    bt_store_instance *insts = NULL;
    size_t ni = 0;
    OK(bt_store_instance_list(f->s, job_id, &insts, &ni, &e_));
    assert_int_equal(ni, 1);
    if (instance_id) *instance_id = insts[0].id;
    bt_store_activity *acts = NULL;
    OK(bt_store_activity_list(f->s, insts[0].id, 0, &acts, n, &e_));
    bt_store_instance_list_free(insts, ni);
    return acts;
}

static const char *datum(const bt_store_activity *a, uint32_t row,
                         const char *name) {
    for (size_t i = 0; i < a->n_data; i++)
        if (a->data[i].row == row && strcmp(a->data[i].name, name) == 0)
            return a->data[i].value;
    return NULL;
}

static size_t count_lines(const char *path, const char *line) {
    char *text = bt_harness_read_file(path);
    if (!text) return 0;
    size_t n = 0, len = strlen(line);
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == len && strncmp(p, line, len) == 0) n++;
        p = nl ? nl + 1 : p + l;
    }
    free(text);
    return n;
}

static bool has_event(fixture *f, int64_t job_id, const char *text) {
    bt_store_event *ev = NULL;
    size_t n = 0;
    OK(bt_store_event_list(f->s, job_id, 0, 1000, &ev, &n, &e_));
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = strstr(ev[i].message, text) != NULL;
    bt_store_event_list_free(ev, n);
    return found;
}

/* ---- a job to its end --------------------------------------------------- */

static const char SEQ_YAML[] =
    "name: Seq\n"
    "parameters:\n"
    "  - {name: who, type: string, required: true}\n"
    "  - {name: count, type: integer, default: 1}\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: one, type: append-line, properties: {path: '@/out.txt', "
    "text: 'one {start.who} {start.count} {var:greeting}'}}\n"
    "  - {id: two, type: run-program, properties: {command: \"printf "
    "'a\\\\nb\\\\n'\", split_lines: true}}\n"
    "  - {id: three, type: append-line, properties: {path: '@/out.txt', "
    "text: 'row {two.line}'}}\n"
    "  - {id: done, type: return-data, properties: {greeting: 'hi "
    "{start.who}'}}\n"
    "links:\n"
    "  - {from: start, to: one}\n"
    "  - {from: one, to: two}\n"
    "  - {from: two, to: three}\n"
    "  - {from: one, to: done}\n";

static void test_job_completes_with_every_record(void **state) {
    fixture *f = *state;
    OK(bt_store_variable_set(f->s, "greeting", "hello", 5, false, &e_));
    int64_t rb = add_runbook(f, "Seq", SEQ_YAML);
    int64_t job = add_job(f, rb, "{\"who\": \"bob\", \"count\": 7}");
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);

    char *out = bt_harness_path(f->dir, "out.txt");
    assert_int_equal(count_lines(out, "one bob 7 hello"), 1);
    assert_int_equal(count_lines(out, "row a"), 1);
    assert_int_equal(count_lines(out, "row b"), 1);
    free(out);

    bt_store_job j = get_job(f, job);
    assert_int_equal(j.server_id, bt_rbserver_id(srv));
    assert_true(j.ended_us >= j.started_us && j.started_us > 0);
    bt_store_job_clear(&j);

    size_t n = 0;
    int64_t inst_id = 0;
    bt_store_activity *a = activities_of(f, job, &n, &inst_id);
    /* start, one, two, done, three x2 */
    assert_int_equal(n, 6);
    size_t threes = 0;
    bool rows_seen[2] = {false, false};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].seq, i + 1);
        assert_int_equal(a[i].result, BT_RESULT_SUCCESS);
        assert_non_null(datum(&a[i], 0, "status"));
        /* Each one was committed after the one that triggered it. */
        if (a[i].parent_seq) {
            assert_true(a[i].parent_seq < a[i].seq);
            assert_true(a[i].start_us >= a[a[i].parent_seq - 1].end_us);
        }
        if (strcmp(a[i].activity_id, "three") == 0) {
            threes++;
            assert_string_equal(a[a[i].parent_seq - 1].activity_id, "two");
            /* The row that started it is kept for a resume, as a
             * column, not as published data the web API would show. */
            assert_null(datum(&a[i], 0, "baton:parent_row"));
            unsigned row = a[i].parent_row;
            assert_true(row < 2);
            rows_seen[row] = true;
        }
    }
    assert_int_equal(threes, 2);
    assert_true(rows_seen[0] && rows_seen[1]);
    assert_string_equal(a[0].activity_id, "start");
    assert_string_equal(datum(&a[0], 0, "who"), "bob");
    const bt_store_activity *two = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].activity_id, "two") == 0) two = &a[i];
    assert_non_null(two);
    assert_string_equal(datum(two, 0, "line"), "a");
    assert_string_equal(datum(two, 1, "line"), "b");
    bt_store_activity_list_free(a, n);

    bt_store_instance in = {0};
    OK(bt_store_instance_get(f->s, inst_id, &in, &e_));
    assert_int_equal(in.status, BT_JOB_COMPLETED);
    assert_int_equal(in.result, BT_RESULT_SUCCESS);
    assert_non_null(in.return_data);
    assert_non_null(strstr(in.return_data, "\"greeting\":\"hi bob\""));
    bt_store_instance_clear(&in);

    stop_server(f, srv, 0);
    bt_store_close(s1);
}

/* A job runs the version it was created with, not the latest. */
static void test_job_runs_its_version(void **state) {
    fixture *f = *state;
    const char *v1 =
        "name: Versioned\n"
        "activities:\n"
        "  - {id: note, type: append-line, properties: {path: '@/v.txt', "
        "text: one}}\n";
    const char *v2 =
        "name: Versioned\n"
        "activities:\n"
        "  - {id: note, type: append-line, properties: {path: '@/v.txt', "
        "text: two}}\n";
    int64_t rb = add_runbook(f, "Versioned", v1);
    int64_t old_job = add_job(f, rb, NULL);
    char *text = with_dir(f, v2);
    int v = 0;
    OK(bt_store_version_add(f->s, rb, text, "tester", "second", &v, &e_));
    free(text);
    assert_int_equal(v, 2);
    int64_t new_job = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    assert_int_equal(wait_job(f, old_job), BT_JOB_COMPLETED);
    assert_int_equal(wait_job(f, new_job), BT_JOB_COMPLETED);
    char *path = bt_harness_path(f->dir, "v.txt");
    assert_int_equal(count_lines(path, "one"), 1);
    assert_int_equal(count_lines(path, "two"), 1);
    free(path);
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

/* ---- failures ----------------------------------------------------------- */

static const char FAIL_YAML[] =
    "name: Fails\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: bad, type: run-program, properties: {command: 'exit 3'}}\n"
    "  - {id: never, type: append-line, properties: {path: '@/never.txt', "
    "text: x}}\n"
    "links:\n"
    "  - {from: start, to: bad}\n"
    "  - {from: bad, to: never}\n";

static void test_failures(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Fails", FAIL_YAML);
    int64_t failing = add_job(f, rb, NULL);
    int64_t seq = add_runbook(f, "Seq", SEQ_YAML);
    int64_t missing = add_job(f, seq, "{\"count\": 2}");
    int64_t badtype = add_job(f, seq, "{\"who\": \"x\", \"count\": \"many\"}");
    int64_t broken = add_runbook(f, "Broken", "name: Broken\nactivities: 7\n");
    int64_t badyaml = add_job(f, broken, NULL);

    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    assert_int_equal(wait_job(f, failing), BT_JOB_FAILED);
    assert_int_equal(wait_job(f, missing), BT_JOB_FAILED);
    assert_int_equal(wait_job(f, badtype), BT_JOB_FAILED);
    assert_int_equal(wait_job(f, badyaml), BT_JOB_FAILED);

    size_t n = 0;
    bt_store_activity *a = activities_of(f, failing, &n, NULL);
    assert_int_equal(n, 2);
    assert_string_equal(a[1].activity_id, "bad");
    assert_int_equal(a[1].result, BT_RESULT_FAILED);
    bt_store_activity_list_free(a, n);
    char *never = bt_harness_path(f->dir, "never.txt");
    assert_null(bt_harness_read_file(never));
    free(never);

    assert_true(has_event(f, missing, "parameter 'who' is required"));
    assert_true(has_event(f, badtype, "parameter 'count'"));
    assert_true(has_event(f, badtype, "'many'"));
    assert_true(has_event(f, badyaml, "does not load"));
    assert_true(has_event(f, badyaml, "/Broken (version 1)"));
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

/* ---- cancel ------------------------------------------------------------- */

static const char SLEEP_YAML[] =
    "name: Sleeper\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: nap, type: run-program, properties: {command: 'echo $$ > "
    "@/pid.tmp && mv @/pid.tmp @/pid && exec sleep 30'}}\n"
    "links:\n"
    "  - {from: start, to: nap}\n";

static bool file_exists_pred(void *ud) { return access(ud, F_OK) == 0; }

static pid_t read_pid(const char *path) {
    char *text = bt_harness_read_file(path);
    assert_non_null(text);
    pid_t pid = (pid_t)atoi(text);
    free(text);
    assert_true(pid > 0);
    return pid;
}

static void test_cancel_kills_child(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Sleeper", SLEEP_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    char *pidfile = bt_harness_path(f->dir, "pid");
    assert_true(run_until(&f->loop, file_exists_pred, pidfile, DEADLINE_MS));
    pid_t pid = read_pid(pidfile);
    assert_false(bt_test_process_gone(pid));

    uint64_t t0 = bt_mono_us();
    OK(bt_store_job_request_cancel(f->s, job, &e_));
    assert_int_equal(wait_job(f, job), BT_JOB_CANCELED);
    /* Well before the 30 s sleep would have ended. */
    assert_true(bt_mono_us() - t0 < 10 * 1000000ull);
    assert_true(bt_test_process_gone(pid));

    bt_store_instance *insts = NULL;
    size_t ni = 0;
    OK(bt_store_instance_list(f->s, job, &insts, &ni, &e_));
    assert_int_equal(ni, 1);
    assert_int_equal(insts[0].status, BT_JOB_CANCELED);
    bt_store_instance_list_free(insts, ni);
    assert_int_equal(bt_rbserver_running(srv), 0);
    free(pidfile);
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

/* ---- throttle and sharing ----------------------------------------------- */

static const char SHORT_YAML[] =
    "name: Short\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: nap, type: run-program, properties: {command: 'sleep 0.2'}}\n"
    "links:\n"
    "  - {from: start, to: nap}\n";

typedef struct many {
    fixture *f;
    int64_t *jobs;
    size_t n;
    bt_rbserver *srv[2];
    size_t max_local, max_store;
} many;

static size_t store_running(fixture *f) {
    bt_store_job_filter flt = {.status = BT_JOB_RUNNING, .limit = 1000};
    bt_store_job *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    OK(bt_store_job_list(f->s, &flt, &items, &n, &next, &e_));
    bt_store_job_list_free(items, n);
    return n;
}

static bool all_done_pred(void *ud) {
    many *m = ud;
    size_t local = 0;
    for (size_t i = 0; i < 2; i++)
        if (m->srv[i]) local += bt_rbserver_running(m->srv[i]);
    if (local > m->max_local) m->max_local = local;
    size_t st = store_running(m->f);
    if (st > m->max_store) m->max_store = st;
    for (size_t i = 0; i < m->n; i++)
        if (!job_finished(m->f, m->jobs[i])) return false;
    return true;
}

static void test_throttle(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Short", SHORT_YAML);
    int64_t jobs[5];
    for (size_t i = 0; i < 5; i++) jobs[i] = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f);
    many m = {f, jobs, 5, {start_server(f, s1, "rbs1", 2, 0), NULL}, 0, 0};
    assert_true(run_until(&f->loop, all_done_pred, &m, DEADLINE_MS));
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(job_status(f, jobs[i]), BT_JOB_COMPLETED);
    assert_int_equal(m.max_store, 2);
    assert_true(m.max_local <= 2);
    stop_server(f, m.srv[0], 0);
    bt_store_close(s1);
}

typedef struct beats {
    fixture *f;
    int64_t server;
    int64_t last;
    int seen;
} beats;

/* Counts the heartbeats the store recorded for a server. */
static bool beats_pred(void *ud) {
    beats *b = ud;
    bt_store_server sv = {0};
    OK(bt_store_server_get(b->f->s, b->server, &sv, &e_));
    if (sv.heartbeat_us != b->last) {
        b->last = sv.heartbeat_us;
        b->seen++;
    }
    bt_store_server_clear(&sv);
    return b->seen >= 3;
}

/* An operator drains a server and overrides its throttle in the store: the
 * server reads both at each heartbeat. */
static void test_drain_and_throttle_override(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Short", SHORT_YAML);
    int64_t jobs[4];
    for (size_t i = 0; i < 4; i++) jobs[i] = add_job(f, rb, NULL);
    int64_t id = 0;
    OK(bt_store_server_register(f->s, "rbs1", "0", 60000, &id, &e_));
    OK(bt_store_server_set(f->s, "rbs1", 1, 1, &e_));
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 4, 30);
    /* Draining from the start: heartbeats go by, nothing is claimed. */
    beats b = {f, id, 0, 0};
    assert_true(run_until(&f->loop, beats_pred, &b, DEADLINE_MS));
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(job_status(f, jobs[i]), BT_JOB_PENDING);
    /* Drain off, throttle 1 instead of the configured 4. */
    OK(bt_store_server_set(f->s, "rbs1", -1, 0, &e_));
    many m = {f, jobs, 4, {srv, NULL}, 0, 0};
    assert_true(run_until(&f->loop, all_done_pred, &m, DEADLINE_MS));
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(job_status(f, jobs[i]), BT_JOB_COMPLETED);
    assert_int_equal(m.max_store, 1);
    assert_true(m.max_local <= 1);
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

static void test_two_servers_share(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Short", SHORT_YAML);
    int64_t jobs[12];
    for (size_t i = 0; i < 12; i++) jobs[i] = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f), *s2 = open_store(f);
    many m = {f, jobs, 12,
              {start_server(f, s1, "rbs1", 3, 0),
               start_server(f, s2, "rbs2", 3, 0)},
              0, 0};
    assert_true(run_until(&f->loop, all_done_pred, &m, DEADLINE_MS));
    size_t by[2] = {0, 0};
    for (size_t i = 0; i < 12; i++) {
        bt_store_job j = get_job(f, jobs[i]);
        assert_int_equal(j.status, BT_JOB_COMPLETED);
        by[j.server_id == bt_rbserver_id(m.srv[1])]++;
        bt_store_job_clear(&j);
    }
    assert_true(by[0] > 0 && by[1] > 0);
    assert_true(m.max_store <= 6);

    /* A runbook that prefers rbs2 runs there while rbs2 is up. */
    const char *prefer[] = {"rbs2", "rbs1"};
    bt_store_runbook_settings set = {0, prefer, 2};
    OK(bt_store_runbook_set_settings(f->s, rb, &set, &e_));
    int64_t pref[4];
    for (size_t i = 0; i < 4; i++) pref[i] = add_job(f, rb, NULL);
    m.jobs = pref;
    m.n = 4;
    bt_rbserver_wake(m.srv[0]);
    bt_rbserver_wake(m.srv[1]);
    assert_true(run_until(&f->loop, all_done_pred, &m, DEADLINE_MS));
    for (size_t i = 0; i < 4; i++) {
        bt_store_job j = get_job(f, pref[i]);
        assert_int_equal(j.status, BT_JOB_COMPLETED);
        assert_int_equal(j.server_id, bt_rbserver_id(m.srv[1]));
        bt_store_job_clear(&j);
    }
    stop_server(f, m.srv[0], 0);
    stop_server(f, m.srv[1], 0);
    bt_store_close(s1);
    bt_store_close(s2);
}

/* A runbook limited to one job at a time runs one at a time, even with
 * two servers claiming. */
static void test_runbook_limit(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Short", SHORT_YAML);
    bt_store_runbook_settings set = {1, NULL, 0};
    OK(bt_store_runbook_set_settings(f->s, rb, &set, &e_));
    int64_t jobs[4];
    for (size_t i = 0; i < 4; i++) jobs[i] = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f), *s2 = open_store(f);
    many m = {f, jobs, 4,
              {start_server(f, s1, "rbs1", 0, 0),
               start_server(f, s2, "rbs2", 0, 0)},
              0, 0};
    assert_true(run_until(&f->loop, all_done_pred, &m, DEADLINE_MS));
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(job_status(f, jobs[i]), BT_JOB_COMPLETED);
    assert_int_equal(m.max_store, 1);
    assert_true(m.max_local <= 1);
    stop_server(f, m.srv[0], 0);
    stop_server(f, m.srv[1], 0);
    bt_store_close(s1);
    bt_store_close(s2);
}

/* A stop with a grace period lets a running job finish and records it;
 * nothing new is claimed meanwhile. */
static bool running_pred(void *ud) {
    job_wait *w = ud;
    return job_status(w->f, w->id) == BT_JOB_RUNNING;
}

static void test_stop_grace_lets_jobs_finish(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Short", SHORT_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    job_wait w = {f, job};
    assert_true(run_until(&f->loop, running_pred, &w, DEADLINE_MS));
    bool stopped = false;
    bt_rbserver_stop(srv, DEADLINE_MS, on_stopped, &stopped);
    int64_t later = add_job(f, rb, NULL);
    assert_true(run_until(&f->loop, flag_pred, &stopped, DEADLINE_MS));
    bt_rbserver_free(srv);
    assert_int_equal(job_status(f, job), BT_JOB_COMPLETED);
    assert_int_equal(job_status(f, later), BT_JOB_PENDING);
    bt_store_close(s1);
}

/* ---- take-over ---------------------------------------------------------- */

/* step1 is recorded before the long step starts; the long step sleeps the
 * first time (leaving a marker) and returns at once when run again. */
static const char LONG_YAML[] =
    "name: Long\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: step1, type: append-line, properties: {path: '@/steps.txt', "
    "text: step1}}\n"
    "  - {id: long, type: run-program, properties: {command: 'if [ -e "
    "@/marker ]; then exit 0; fi; echo $$ > @/pid.tmp && mv @/pid.tmp "
    "@/pid && touch @/marker && exec sleep 30'}}\n"
    "  - {id: step2, type: append-line, properties: {path: '@/steps.txt', "
    "text: step2}}\n"
    "links:\n"
    "  - {from: start, to: step1}\n"
    "  - {from: step1, to: long}\n"
    "  - {from: long, to: step2}\n";

static void check_ran_once(fixture *f, int64_t job) {
    char *steps = bt_harness_path(f->dir, "steps.txt");
    assert_int_equal(count_lines(steps, "step1"), 1);
    assert_int_equal(count_lines(steps, "step2"), 1);
    free(steps);
    size_t n = 0;
    bt_store_activity *a = activities_of(f, job, &n, NULL);
    const char *order[] = {"start", "step1", "long", "step2"};
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].activity_id, order[i]);
        assert_int_equal(a[i].seq, i + 1);
        assert_int_equal(a[i].result, BT_RESULT_SUCCESS);
    }
    bt_store_activity_list_free(a, n);
}

static size_t committed(fixture *f, int64_t job) {
    size_t n = 0;
    bt_store_activity *a = activities_of(f, job, &n, NULL);
    bt_store_activity_list_free(a, n);
    return n;
}

static void test_takeover_after_stop(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Long", LONG_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *sa = open_store(f), *sb = open_store(f);
    bt_rbserver *a = start_server(f, sa, "rbs-a", 0, 100);
    int64_t a_id = bt_rbserver_id(a);
    char *marker = bt_harness_path(f->dir, "marker");
    assert_true(run_until(&f->loop, file_exists_pred, marker, DEADLINE_MS));
    char *pidfile = bt_harness_path(f->dir, "pid");
    pid_t pid = read_pid(pidfile);
    stop_server(f, a, 0);
    /* A recorded nothing of the stop: still running, held by A, and the
     * long step it killed is not committed. */
    assert_true(bt_test_process_gone(pid));
    bt_store_job j = get_job(f, job);
    assert_int_equal(j.status, BT_JOB_RUNNING);
    assert_int_equal(j.server_id, a_id);
    bt_store_job_clear(&j);
    assert_int_equal(committed(f, job), 2);

    uint64_t t0 = bt_mono_us();
    bt_rbserver *b = start_server(f, sb, "rbs-b", 0, 100);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    assert_true(bt_mono_us() - t0 < 10 * 1000000ull);
    j = get_job(f, job);
    assert_int_equal(j.server_id, bt_rbserver_id(b));
    assert_int_equal(j.takeovers, 1);
    bt_store_job_clear(&j);
    check_ran_once(f, job);
    free(marker);
    free(pidfile);
    stop_server(f, b, 0);
    bt_store_close(sa);
    bt_store_close(sb);
}

/* The same server name started again resumes its jobs at once. */
static void test_restart_resumes_held_jobs(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Long", LONG_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *sa = open_store(f);
    bt_rbserver *a = start_server(f, sa, "rbs-a", 0, 0);
    char *marker = bt_harness_path(f->dir, "marker");
    assert_true(run_until(&f->loop, file_exists_pred, marker, DEADLINE_MS));
    stop_server(f, a, 0);
    assert_int_equal(job_status(f, job), BT_JOB_RUNNING);
    a = start_server(f, sa, "rbs-a", 0, 0);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    bt_store_job j = get_job(f, job);
    assert_int_equal(j.takeovers, 0);
    bt_store_job_clear(&j);
    check_ran_once(f, job);
    free(marker);
    stop_server(f, a, 0);
    bt_store_close(sa);
}

/* A forked process runs a server and is SIGKILLed in the long step; a
 * server in this process takes the job over once the lease lapses. */
static void test_takeover_after_sigkill(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Long", LONG_YAML);
    int64_t job = add_job(f, rb, NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        bt_store *s = NULL;
        bt_rbserver *srv = NULL;
        bt_rbserver_config cfg = {.name = "doomed", .heartbeat_ms = 100,
                                  .poll_ms = 20};
        if (bt_store_open(f->url, &s, NULL) ||
            bt_rbserver_start(&loop, s, &cfg, &srv, NULL))
            _exit(3);
        uv_run(&loop, UV_RUN_DEFAULT);
        _exit(4);
    }
    char *marker = bt_harness_path(f->dir, "marker");
    assert_true(run_until(&f->loop, file_exists_pred, marker, DEADLINE_MS));
    char *pidfile = bt_harness_path(f->dir, "pid");
    pid_t sleeper = read_pid(pidfile);
    assert_int_equal(kill(child, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* The orphaned sleep is not ours to wait for. */
    kill(sleeper, SIGKILL);
    assert_int_equal(job_status(f, job), BT_JOB_RUNNING);
    assert_int_equal(committed(f, job), 2);

    bt_store *sb = open_store(f);
    uint64_t t0 = bt_mono_us();
    bt_rbserver *b = start_server(f, sb, "rescuer", 0, 100);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    assert_true(bt_mono_us() - t0 < 10 * 1000000ull);
    bt_store_job j = get_job(f, job);
    assert_int_equal(j.takeovers, 1);
    assert_int_equal(j.server_id, bt_rbserver_id(b));
    bt_store_job_clear(&j);
    check_ran_once(f, job);
    free(marker);
    free(pidfile);
    stop_server(f, b, 0);
    bt_store_close(sb);
}

/* A server that is only slow (here: its clock is a minute behind, so its
 * lease always looks lapsed to the others) loses its job to another
 * server; when it notices, it drops its run without writing anything. */
static uint64_t minute_behind(void *ud) {
    (void)ud;
    return bt_now_us() - 60ull * 1000000;
}

typedef struct gone_wait {
    pid_t pid;
} gone_wait;

static bool pid_gone_pred(void *ud) {
    return bt_test_process_gone(((gone_wait *)ud)->pid);
}

static bool idle_pred(void *ud) { return bt_rbserver_running(ud) == 0; }

static void test_fenced_server_drops_its_run(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Long", LONG_YAML);
    /* B first: once B is up, the slow A is never eligible again. */
    const char *prefer[] = {"rbs-b", "rbs-a"};
    bt_store_runbook_settings set = {0, prefer, 2};
    OK(bt_store_runbook_set_settings(f->s, rb, &set, &e_));
    int64_t job = add_job(f, rb, NULL);
    bt_store *sa = open_store(f), *sb = open_store(f);
    bt_store_set_clock(sa, minute_behind, NULL);
    bt_rbserver *a = start_server(f, sa, "rbs-a", 0, 100);
    char *marker = bt_harness_path(f->dir, "marker");
    assert_true(run_until(&f->loop, file_exists_pred, marker, DEADLINE_MS));
    char *pidfile = bt_harness_path(f->dir, "pid");
    gone_wait g = {read_pid(pidfile)};

    bt_rbserver *b = start_server(f, sb, "rbs-b", 0, 100);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    bt_store_job j = get_job(f, job);
    assert_int_equal(j.server_id, bt_rbserver_id(b));
    assert_int_equal(j.takeovers, 1);
    bt_store_job_clear(&j);
    /* A killed its child and recorded nothing: the job's records are B's
     * resume of A's two committed steps. */
    assert_true(run_until(&f->loop, pid_gone_pred, &g, DEADLINE_MS));
    assert_true(run_until(&f->loop, idle_pred, a, DEADLINE_MS));
    check_ran_once(f, job);
    assert_false(has_event(f, job, "could not be recorded"));
    free(marker);
    free(pidfile);
    stop_server(f, a, 0);
    stop_server(f, b, 0);
    bt_store_close(sa);
    bt_store_close(sb);
}

/* Many short in-process jobs at once: records of one loop phase share a
 * transaction; each job still has all its records. */
static const char QUICK_YAML[] =
    "name: Quick\n"
    "parameters: [{name: n, type: integer}]\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: cmp, type: compare-values, properties: {type: number, "
    "left: '{start.n}', operator: greater-or-equal, right: '0'}}\n"
    "  - {id: done, type: return-data, properties: {n: '{start.n}'}}\n"
    "links:\n"
    "  - {from: start, to: cmp}\n"
    "  - {from: cmp, to: done}\n";

static void test_many_quick_jobs(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Quick", QUICK_YAML);
    enum { N = 200 };
    int64_t jobs[N];
    for (size_t i = 0; i < N; i++) {
        char params[32];
        snprintf(params, sizeof params, "{\"n\": %zu}", i);
        jobs[i] = add_job(f, rb, params);
    }
    bt_store *s1 = open_store(f);
    many m = {f, jobs, N, {start_server(f, s1, "rbs1", 50, 0), NULL}, 0, 0};
    assert_true(run_until(&f->loop, all_done_pred, &m, DEADLINE_MS));
    assert_true(m.max_store <= 50);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(job_status(f, jobs[i]), BT_JOB_COMPLETED);
        size_t n = 0;
        int64_t inst_id = 0;
        bt_store_activity *a = activities_of(f, jobs[i], &n, &inst_id);
        assert_int_equal(n, 3);
        bt_store_activity_list_free(a, n);
        bt_store_instance in = {0};
        OK(bt_store_instance_get(f->s, inst_id, &in, &e_));
        char want[32];
        snprintf(want, sizeof want, "{\"n\":\"%zu\"}", i);
        assert_string_equal(in.return_data, want);
        bt_store_instance_clear(&in);
    }
    stop_server(f, m.srv[0], 0);
    bt_store_close(s1);
}

/* An activity instance the store refuses (a value over its 1 MiB cap)
 * fails the job: nothing after it runs. */
static const char HUGE_YAML[] =
    "name: Huge\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: big, type: run-program, properties: {command: \"head -c "
    "1100000 /dev/zero | tr '\\\\0' a\", max_output: 2000000}}\n"
    "  - {id: never, type: append-line, properties: {path: '@/never.txt', "
    "text: x}}\n"
    "links:\n"
    "  - {from: start, to: big}\n"
    "  - {from: big, to: never}\n";

static void test_commit_failure_fails_job(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Huge", HUGE_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    assert_int_equal(wait_job(f, job), BT_JOB_FAILED);
    assert_true(has_event(f, job, "activity 'big' (seq 2) could not be "
                                  "recorded"));
    char *never = bt_harness_path(f->dir, "never.txt");
    assert_null(bt_harness_read_file(never));
    free(never);
    size_t n = 0;
    int64_t inst_id = 0;
    bt_store_activity *a = activities_of(f, job, &n, &inst_id);
    assert_int_equal(n, 1);
    bt_store_activity_list_free(a, n);
    bt_store_instance in = {0};
    OK(bt_store_instance_get(f->s, inst_id, &in, &e_));
    assert_int_equal(in.status, BT_JOB_FAILED);
    bt_store_instance_clear(&in);
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

/* PostgreSQL only: with the poll a minute away, a job created after the
 * server started runs at once because the store notified the server. */
static void test_notified_of_new_jobs(void **state) {
    fixture *f = *state;
    if (!pg_base()) skip(); /* SQLite servers are woken in-process */
    int64_t rb = add_runbook(f, "Short", SHORT_YAML);
    bt_store *s1 = open_store(f);
    bt_rbserver_config cfg = {.name = "rbs1", .poll_ms = 60000};
    bt_rbserver *srv = NULL;
    OK(bt_rbserver_start(&f->loop, s1, &cfg, &srv, &e_));
    /* Let the server's first claim pass find nothing. */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    uint64_t t0 = bt_mono_us();
    int64_t job = add_job(f, rb, NULL);
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    assert_true(bt_mono_us() - t0 < 30 * 1000000ull);
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

/* ---- monitors ----------------------------------------------------------- */

static const char MONITOR_YAML[] =
    "name: Watch\n"
    "activities:\n"
    "  - {id: tick, type: monitor-datetime, properties: {interval: 50ms, "
    "start_immediately: true}}\n"
    "  - {id: note, type: append-line, properties: {path: '@/ticks.txt', "
    "text: tick}}\n"
    "links:\n"
    "  - {from: tick, to: note}\n";

typedef struct inst_count {
    fixture *f;
    int64_t job;
    size_t want;
} inst_count;

static bool finished_instances_pred(void *ud) {
    inst_count *c = ud;
    bt_store_instance *insts = NULL;
    size_t n = 0, done = 0;
    OK(bt_store_instance_list(c->f->s, c->job, &insts, &n, &e_));
    for (size_t i = 0; i < n; i++) done += insts[i].status == BT_JOB_COMPLETED;
    bt_store_instance_list_free(insts, n);
    return done >= c->want;
}

static void test_monitor_triggers_instances(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "Watch", MONITOR_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *s1 = open_store(f);
    bt_rbserver *srv = start_server(f, s1, "rbs1", 0, 0);
    inst_count c = {f, job, 3};
    assert_true(run_until(&f->loop, finished_instances_pred, &c, DEADLINE_MS));
    assert_int_equal(job_status(f, job), BT_JOB_RUNNING);

    bt_store_instance *insts = NULL;
    size_t n = 0;
    OK(bt_store_instance_list(f->s, job, &insts, &n, &e_));
    bt_store_activity *a = NULL;
    size_t na = 0;
    OK(bt_store_activity_list(f->s, insts[0].id, 0, &a, &na, &e_));
    assert_int_equal(na, 2);
    assert_string_equal(a[0].activity_id, "tick");
    assert_string_equal(a[1].activity_id, "note");
    bt_store_activity_list_free(a, na);
    bt_store_instance_list_free(insts, n);

    OK(bt_store_job_request_cancel(f->s, job, &e_));
    assert_int_equal(wait_job(f, job), BT_JOB_CANCELED);
    assert_int_equal(bt_rbserver_running(srv), 0);
    stop_server(f, srv, 0);
    bt_store_close(s1);
}

static const char MONITOR_LONG_YAML[] =
    "name: WatchLong\n"
    "activities:\n"
    "  - {id: tick, type: monitor-datetime, properties: {interval: 50ms, "
    "start_immediately: true, max_triggers: 1}}\n"
    "  - {id: step1, type: append-line, properties: {path: '@/steps.txt', "
    "text: step1}}\n"
    "  - {id: long, type: run-program, properties: {command: 'if [ -e "
    "@/marker ]; then exit 0; fi; touch @/marker && exec sleep 30'}}\n"
    "  - {id: step2, type: append-line, properties: {path: '@/steps.txt', "
    "text: step2}}\n"
    "links:\n"
    "  - {from: tick, to: step1}\n"
    "  - {from: step1, to: long}\n"
    "  - {from: long, to: step2}\n";

typedef struct inst_done {
    fixture *f;
    int64_t id;
} inst_done;

static bool instance_done_pred(void *ud) {
    inst_done *d = ud;
    bt_store_instance in = {0};
    OK(bt_store_instance_get(d->f->s, d->id, &in, &e_));
    bool done = in.status != BT_JOB_RUNNING;
    bt_store_instance_clear(&in);
    return done;
}

/* A triggered instance in the middle of a long step when its server stops
 * is resumed by the next server from its trigger on: the monitor's links
 * are taken, nothing committed runs again, and the monitor restarts. */
static void test_monitor_takeover_resumes_triggered(void **state) {
    fixture *f = *state;
    int64_t rb = add_runbook(f, "WatchLong", MONITOR_LONG_YAML);
    int64_t job = add_job(f, rb, NULL);
    bt_store *sa = open_store(f), *sb = open_store(f);
    bt_rbserver *a = start_server(f, sa, "rbs-a", 0, 100);
    char *marker = bt_harness_path(f->dir, "marker");
    assert_true(run_until(&f->loop, file_exists_pred, marker, DEADLINE_MS));
    stop_server(f, a, 0);
    bt_store_instance *insts = NULL;
    size_t n = 0;
    OK(bt_store_instance_list(f->s, job, &insts, &n, &e_));
    assert_int_equal(n, 1);
    int64_t first = insts[0].id;
    assert_int_equal(insts[0].status, BT_JOB_RUNNING);
    bt_store_instance_list_free(insts, n);

    bt_rbserver *b = start_server(f, sb, "rbs-b", 0, 100);
    inst_done d = {f, first};
    assert_true(run_until(&f->loop, instance_done_pred, &d, DEADLINE_MS));
    bt_store_instance in = {0};
    OK(bt_store_instance_get(f->s, first, &in, &e_));
    assert_int_equal(in.status, BT_JOB_COMPLETED);
    bt_store_instance_clear(&in);
    bt_store_activity *acts = NULL;
    size_t na = 0;
    OK(bt_store_activity_list(f->s, first, 0, &acts, &na, &e_));
    const char *want[] = {"tick", "step1", "long", "step2"};
    assert_int_equal(na, 4);
    for (size_t i = 0; i < na; i++)
        assert_string_equal(acts[i].activity_id, want[i]);
    bt_store_activity_list_free(acts, na);

    /* The restarted monitor triggers its one time on B and ends, and with
     * it the job. */
    assert_int_equal(wait_job(f, job), BT_JOB_COMPLETED);
    OK(bt_store_instance_list(f->s, job, &insts, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(insts[1].status, BT_JOB_COMPLETED);
    bt_store_instance_list_free(insts, n);
    free(marker);
    stop_server(f, b, 0);
    bt_store_close(sa);
    bt_store_close(sb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_job_completes_with_every_record,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_runs_its_version, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_kills_child, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_and_throttle_override,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_servers_share, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_runbook_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_grace_lets_jobs_finish,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_after_stop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart_resumes_held_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_takeover_after_sigkill, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fenced_server_drops_its_run,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_quick_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_failure_fails_job, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_notified_of_new_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_monitor_takeover_resumes_triggered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_triggers_instances,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
