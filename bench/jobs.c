/* Runbook server benchmarks on a real store (SQLite file, or PostgreSQL
 * with --db postgresql://...), each next to a baseline measured in the same
 * run:
 *
 * 1. throughput: N pending jobs of a 5-activity in-process runbook run by
 *    one runbook server (every activity instance committed before its
 *    successor starts) — jobs/s and activity instances committed/s; the
 *    baseline is the same N instances on the bare engine, no store.
 * 2. latency from job creation to the first activity's start: a client
 *    thread with its own store handle creates a job and wakes the server
 *    (as the web service does), one job at a time; p50/p99 over M jobs.
 *    The baseline is the store's own job_create call.
 * 3. concurrency: C simultaneously running instances, each a Run Program
 *    `sleep 30`, on one runbook server (throttle C); the process's peak
 *    RSS once all are running, against its RSS before the first job.
 *
 *   jobs [--jobs N] [--latency M] [--concurrent C] [--db URL] [--dir DIR]
 * C 0 skips part 3.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "common/util.h"
#include "engine/engine.h"
#include "runbook/runbook.h"
#include "server/rbserver.h"
#include "store/store.h"

static const char RUNBOOK[] =
    "name: Bench\n"
    "parameters:\n"
    "  - {name: n, type: integer, default: 1}\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: a, type: compare-values, properties: {left: '{start.n}', "
    "operator: greater-or-equal, right: '0', type: number}}\n"
    "  - {id: b, type: generate-random-text, properties: {length: 8}}\n"
    "  - {id: c, type: compare-values, properties: {left: '{b.text}', "
    "operator: is-not-empty}}\n"
    "  - {id: done, type: return-data, properties: {result: '{b.text}'}}\n"
    "returns: [result]\n"
    "links:\n"
    "  - {from: start, to: a}\n"
    "  - {from: a, to: b}\n"
    "  - {from: b, to: c}\n"
    "  - {from: c, to: done}\n";

static char *sleeper_yaml(void) {
    return bt_xasprintf(
        "name: Sleeper\n"
        "activities:\n"
        "  - {id: start, type: initialize-data}\n"
        "  - {id: nap, type: run-program, properties: {command: sleep, "
        "args: ['30']}}\n"
        "links:\n"
        "  - {from: start, to: nap}\n");
}

static void die(const char *what, const bt_error *err) {
    fprintf(stderr, "jobs: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

#define CHECK(call, what)                                                     \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        if ((call) != 0) die(what, &e_);                                      \
    } while (0)

static double now_s(void) { return (double)bt_mono_us() / 1e6; }

static int64_t add_runbook(bt_store *s, const char *name, const char *yaml) {
    bt_store_folder root = {0};
    CHECK(bt_store_folder_get(s, "/", &root, &e_), "root folder");
    bt_store_runbook rb = {0};
    CHECK(bt_store_runbook_create(s, root.id, name, NULL, &rb, &e_),
          "runbook");
    int v = 0;
    CHECK(bt_store_version_add(s, rb.id, yaml, "bench", NULL, &v, &e_),
          "version");
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&root);
    return id;
}

static int64_t add_job(bt_store *s, int64_t runbook_id) {
    bt_store_job_spec spec = {.runbook_id = runbook_id,
                              .parameters = "{}",
                              .created_by = "bench"};
    bt_store_job j = {0};
    CHECK(bt_store_job_create(s, &spec, &j, &e_), "job");
    int64_t id = j.id;
    bt_store_job_clear(&j);
    return id;
}

static size_t count_status(bt_store *s, bt_job_status st, size_t limit) {
    bt_store_job_filter f = {.status = st, .limit = limit};
    bt_store_job *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    CHECK(bt_store_job_list(s, &f, &items, &n, &next, &e_), "job list");
    bt_store_job_list_free(items, n);
    return n;
}

/* ---- shared: a server on its own loop, stopped when told ------------- */

typedef struct run {
    uv_loop_t loop;
    uv_timer_t check;
    bt_store *s;
    bt_rbserver *srv;
    /* when to stop: every job done (throughput), or a flag (latency) */
    bool (*finished)(struct run *r);
    size_t target;      /* part 3: running instances wanted */
    size_t peak_children;
    double reached_s;   /* part 3: when running == target */
    atomic_bool quit;
    bool stopping;
} run;

static void on_stopped(bt_rbserver *srv, void *ud) {
    (void)srv;
    run *r = ud;
    uv_close((uv_handle_t *)&r->check, NULL);
}

static void on_check(uv_timer_t *t) {
    run *r = t->data;
    if (r->stopping) return;
    if (r->finished(r)) {
        r->stopping = true;
        bt_rbserver_stop(r->srv, 0, on_stopped, r);
    }
}

static void serve(run *r, const char *url, size_t throttle,
                  uint64_t check_ms) {
    uv_loop_init(&r->loop);
    bt_error err = {0};
    if (bt_store_open(url, &r->s, &err)) die("open", &err);
    bt_rbserver_config cfg = {.name = "bench", .throttle = throttle};
    if (bt_rbserver_start(&r->loop, r->s, &cfg, &r->srv, &err))
        die("server", &err);
    uv_timer_init(&r->loop, &r->check);
    r->check.data = r;
    uv_timer_start(&r->check, on_check, check_ms, check_ms);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    bt_rbserver_free(r->srv);
    bt_store_close(r->s);
    if (uv_loop_close(&r->loop)) fprintf(stderr, "jobs: loop not empty\n");
}

/* ---- 1. throughput ----------------------------------------------------- */

static bool all_done(run *r) {
    return bt_rbserver_running(r->srv) == 0 &&
           count_status(r->s, BT_JOB_PENDING, 1) == 0 &&
           count_status(r->s, BT_JOB_RUNNING, 1) == 0;
}

typedef struct bare {
    size_t left, steps;
} bare;

static void bare_finished(bt_instance *inst, void *ud) {
    bare *b = ud;
    b->steps += bt_instance_record_count(inst);
    b->left--;
    bt_instance_free(inst);
}

/* The same instances on the bare engine: 1000 at a time, like the
 * server's default throttle. */
static double engine_baseline(size_t jobs, size_t *steps) {
    bt_runbook *rb = NULL;
    bt_diags d;
    bt_diags_init(&d);
    if (bt_runbook_load_string("bench", RUNBOOK, strlen(RUNBOOK), NULL, &rb,
                               &d))
        die("runbook does not load", NULL);
    bt_diags_free(&d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bare b = {0};
    bt_engine_hooks hooks = {.instance_finished = bare_finished, .ud = &b};
    bt_engine *eng = NULL;
    bt_engine_new(&loop, &hooks, &eng);
    double t0 = now_s();
    size_t started = 0;
    while (started < jobs || b.left) {
        while (started < jobs && b.left < 1000) {
            bt_instance *inst = NULL;
            bt_error err = {0};
            if (bt_engine_start(eng, rb, NULL, 0, NULL, &inst, &err))
                die("engine start", &err);
            started++;
            b.left++;
        }
        uv_run(&loop, UV_RUN_ONCE);
    }
    double dt = now_s() - t0;
    bt_engine_free(eng);
    uv_loop_close(&loop);
    bt_runbook_free(rb);
    *steps = b.steps;
    return dt;
}

static void throughput(const char *url, size_t jobs) {
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(url, &s, &err)) die("open", &err);
    int64_t rb = add_runbook(s, "Bench", RUNBOOK);
    bt_store_begin(s, &err);
    for (size_t i = 0; i < jobs; i++) add_job(s, rb);
    if (bt_store_commit(s, &err)) die("commit", &err);

    run r = {.finished = all_done};
    double t0 = now_s();
    serve(&r, url, 1000, 5);
    double dt = now_s() - t0;
    size_t done = count_status(s, BT_JOB_COMPLETED, jobs + 1);
    bt_store_close(s);
    if (done != jobs) {
        fprintf(stderr, "jobs: only %zu of %zu jobs completed\n", done, jobs);
        exit(1);
    }
    size_t steps = 0;
    double base = engine_baseline(jobs, &steps);
    printf("throughput: %zu jobs of 5 activities\n", jobs);
    printf("  runbook server + store  %8.3f s  %9.0f jobs/s  %9.0f activity "
           "instances committed/s\n",
           dt, jobs / dt, steps / dt);
    printf("  bare engine (baseline)  %8.3f s  %9.0f jobs/s  %9.0f activity "
           "instances/s\n",
           base, jobs / base, steps / base);
    printf("  ratio                   %8.1fx the bare engine's time\n",
           dt / base);
}

/* ---- 2. latency -------------------------------------------------------- */

typedef struct client {
    run *r;
    const char *url;
    int64_t runbook_id;
    size_t n;
    double *lat_ms, *create_ms;
} client;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *client_main(void *arg) {
    client *c = arg;
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(c->url, &s, &err)) die("client open", &err);
    for (size_t i = 0; i < c->n; i++) {
        uint64_t t0 = bt_now_us();
        uint64_t m0 = bt_mono_us();
        int64_t id = add_job(s, c->runbook_id);
        c->create_ms[i] = (double)(bt_mono_us() - m0) / 1000.0;
        bt_rbserver_wake(c->r->srv);
        /* wait for it to end, then read when its first activity started */
        for (;;) {
            bt_store_job j = {0};
            CHECK(bt_store_job_get(s, id, &j, &e_), "job get");
            bool fin = j.status >= BT_JOB_COMPLETED;
            bt_store_job_clear(&j);
            if (fin) break;
            usleep(200);
        }
        bt_store_instance *inst = NULL;
        size_t n_inst = 0;
        CHECK(bt_store_instance_list(s, id, &inst, &n_inst, &e_),
              "instances");
        bt_store_activity *acts = NULL;
        size_t n_acts = 0;
        if (!n_inst) die("job without an instance", NULL);
        CHECK(bt_store_activity_list(s, inst[0].id, 0, &acts, &n_acts, &e_),
              "activities");
        uint64_t first = UINT64_MAX;
        for (size_t k = 0; k < n_acts; k++)
            if (acts[k].start_us < first) first = acts[k].start_us;
        c->lat_ms[i] = first > t0 ? (double)(first - t0) / 1000.0 : 0.0;
        bt_store_activity_list_free(acts, n_acts);
        bt_store_instance_list_free(inst, n_inst);
    }
    bt_store_close(s);
    atomic_store(&c->r->quit, true);
    return NULL;
}

static bool quit_flag(run *r) { return atomic_load(&r->quit); }

static void latency(const char *url, size_t n) {
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(url, &s, &err)) die("open", &err);
    int64_t rb = add_runbook(s, "Latency", RUNBOOK);
    bt_store_close(s);

    run r = {.finished = quit_flag};
    client c = {.r = &r, .url = url, .runbook_id = rb, .n = n,
                .lat_ms = bt_xcalloc(n, sizeof(double)),
                .create_ms = bt_xcalloc(n, sizeof(double))};
    /* The server exists before the client thread can wake it. */
    pthread_t th;
    uv_loop_init(&r.loop);
    if (bt_store_open(url, &r.s, &err)) die("open", &err);
    bt_rbserver_config cfg = {.name = "latency"};
    if (bt_rbserver_start(&r.loop, r.s, &cfg, &r.srv, &err))
        die("server", &err);
    pthread_create(&th, NULL, client_main, &c);
    uv_timer_init(&r.loop, &r.check);
    r.check.data = &r;
    uv_timer_start(&r.check, on_check, 10, 10);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    bt_rbserver_free(r.srv);
    bt_store_close(r.s);
    uv_loop_close(&r.loop);

    qsort(c.lat_ms, n, sizeof(double), cmp_double);
    qsort(c.create_ms, n, sizeof(double), cmp_double);
    printf("latency: job creation to first activity start, %zu jobs one at "
           "a time\n", n);
    printf("  create -> first start   p50 %7.3f ms  p99 %7.3f ms  max "
           "%7.3f ms\n",
           c.lat_ms[n / 2], c.lat_ms[n * 99 / 100], c.lat_ms[n - 1]);
    printf("  job_create (baseline)   p50 %7.3f ms  p99 %7.3f ms\n",
           c.create_ms[n / 2], c.create_ms[n * 99 / 100]);
    free(c.lat_ms);
    free(c.create_ms);
}

/* ---- 3. concurrency ---------------------------------------------------- */

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Our live child processes, from /proc (every thread's children list):
 * the instances are only all running once each has its sleep. */
static size_t child_count(void) {
    uv_fs_t req;
    size_t n = 0;
    int ents = uv_fs_scandir(NULL, &req, "/proc/self/task", 0, NULL);
    uv_dirent_t ent;
    for (int i = 0; ents > 0 && uv_fs_scandir_next(&req, &ent) != UV_EOF;
         i++) {
        char path[128];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", ent.name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        int c;
        bool in_num = false;
        while ((c = fgetc(f)) != EOF) {
            if (c >= '0' && c <= '9') {
                if (!in_num) n++;
                in_num = true;
            } else {
                in_num = false;
            }
        }
        fclose(f);
    }
    uv_fs_req_cleanup(&req);
    return n;
}

static bool all_running(run *r) {
    size_t n = bt_rbserver_running(r->srv);
    size_t kids = child_count();
    if (kids > r->peak_children) r->peak_children = kids;
    if (n >= r->target && kids >= r->target) {
        r->reached_s = now_s();
        return true; /* stop: cancels the sleepers */
    }
    /* The first sleepers ended before the last started: report the peak
     * rather than wait for a number that will never come. */
    if (r->peak_children && kids + 16 < r->peak_children) return true;
    return false;
}

static void concurrency(const char *url, size_t n) {
    /* Each instance holds a pidfd and two pipes: take every descriptor the
     * hard limit allows, and run no more programs than fit in it. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    size_t wanted = n;
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)n * 3 + 256 > rl.rlim_cur) {
        n = (size_t)(rl.rlim_cur - 256) / 3;
        printf("concurrency: the open-file limit (%llu, hard) allows about "
               "%zu running programs, not %zu: running %zu\n",
               (unsigned long long)rl.rlim_cur, n, wanted, n);
    }
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(url, &s, &err)) die("open", &err);
    char *yaml = sleeper_yaml();
    int64_t rb = add_runbook(s, "Sleeper", yaml);
    free(yaml);
    bt_store_begin(s, &err);
    for (size_t i = 0; i < n; i++) add_job(s, rb);
    if (bt_store_commit(s, &err)) die("commit", &err);
    bt_store_close(s);

    long before = rss_kib();
    run r = {.finished = all_running, .target = n};
    double t0 = now_s();
    serve(&r, url, n, 20);
    long peak = peak_rss_kib();
    printf("concurrency: %zu instances each running `sleep 30`\n", n);
    if (!r.reached_s) {
        printf("  never reached %zu running instances: at most %zu children "
               "ran at once (peak RSS %.1f MiB)\n",
               n, r.peak_children, peak / 1024.0);
        exit(1);
    }
    printf("  all running after       %8.3f s\n", r.reached_s - t0);
    double per = (double)(peak - before) / (double)n;
    printf("  peak RSS                %8.1f MiB (%.1f KiB per instance "
           "above the %.1f MiB before)\n",
           peak / 1024.0, per, before / 1024.0);
    if (n < wanted)
        printf("  at %zu instances        %8.1f MiB (extrapolated)\n",
               wanted, (before + per * (double)wanted) / 1024.0);
}

int main(int argc, char **argv) {
    size_t jobs = 10000, lat = 1000, conc = 10000;
    const char *db = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--jobs"))
            jobs = strtoul(argv[++i], NULL, 10);
        else if (i + 1 < argc && !strcmp(argv[i], "--latency"))
            lat = strtoul(argv[++i], NULL, 10);
        else if (i + 1 < argc && !strcmp(argv[i], "--concurrent"))
            conc = strtoul(argv[++i], NULL, 10);
        else if (i + 1 < argc && !strcmp(argv[i], "--db"))
            db = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--dir"))
            dir = argv[++i];
        else {
            fprintf(stderr,
                    "usage: jobs [--jobs N] [--latency M] [--concurrent C] "
                    "[--db URL] [--dir DIR]\n");
            return 2;
        }
    }
    char tmpl[] = "/tmp/baton-bench-XXXXXX";
    if (!dir && !(dir = mkdtemp(tmpl))) die("mkdtemp", NULL);
    /* A fresh database per part, so one part's rows don't slow another. */
    const char *parts[] = {"throughput", "latency", "concurrency"};
    char *urls[3];
    for (int i = 0; i < 3; i++)
        urls[i] = db ? bt_xstrdup(db)
                     : bt_xasprintf("sqlite:%s/%s.db", dir, parts[i]);
    printf("store: %s\n", db ? db : "sqlite (synchronous=FULL)");
    if (jobs) throughput(urls[0], jobs);
    if (lat) latency(urls[1], lat);
    if (conc) concurrency(urls[2], conc);
    for (int i = 0; i < 3; i++) free(urls[i]);
    return 0;
}
