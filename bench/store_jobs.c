/* Store throughput: N jobs of a 5-activity runbook through the whole store
 * life cycle (create, claim, instance, 5 activity commits of one row with
 * 6 fields each, finish, complete), next to a baseline of raw sqlite3
 * inserts of the same activity rows, one transaction per activity
 * instance, on the same schema and pragmas. Run for synchronous=FULL (the
 * default) and NORMAL.
 *
 * A second row per mode keeps `--group K` jobs in flight and commits each
 * step of all of them in one transaction (bt_store_begin/commit and
 * bt_store_commit_activities), as a runbook server with group commit does.
 *
 *   store_jobs [--jobs N] [--dir DIR] [--sync full|normal|both] [--group K]
 *   store_jobs --pg postgresql://... [--jobs N] [--group K]
 *
 * With --pg the same two runs go to that PostgreSQL database (which should
 * be empty: each run adds its own folder); there is no raw baseline.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "store/store.h"

#define ACTIVITIES 5
#define FIELDS 6

static const char *const field_names[FIELDS] = {
    "status", "error", "start_time", "end_time", "duration_ms", "attempts"};

static void die(const char *what, const bt_error *err) {
    fprintf(stderr, "store_jobs: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

#define CHECK(call, what)                                                     \
    do {                                                                      \
        if ((call) != 0) die(what, &err);                                     \
    } while (0)

static void make_values(char values[FIELDS][32], uint64_t seq) {
    snprintf(values[0], 32, "success");
    snprintf(values[1], 32, "%s", "");
    snprintf(values[2], 32, "2026-11-25T10:00:%02llu.000Z",
             (unsigned long long)(seq % 60));
    snprintf(values[3], 32, "2026-11-25T10:00:%02llu.001Z",
             (unsigned long long)(seq % 60));
    snprintf(values[4], 32, "%llu", (unsigned long long)(seq % 1000));
    snprintf(values[5], 32, "1");
}

typedef struct result {
    double total_s;   /* whole job life cycle */
    double commit_s;  /* time inside bt_store_commit_activity */
    double raw_s;     /* raw sqlite3 baseline, same rows */
} result;

static int64_t setup_runbook(bt_store *s, int64_t *server) {
    bt_error err = {0};
    bt_store_folder fo = {0};
    /* A folder per run, so that runs can share one PostgreSQL database. */
    char folder[64];
    snprintf(folder, sizeof folder, "/Bench/%llu",
             (unsigned long long)bt_mono_us());
    CHECK(bt_store_folder_create(s, folder, &fo, &err), "folder");
    bt_store_runbook rb = {0};
    CHECK(bt_store_runbook_create(s, fo.id, "Five steps", NULL, &rb, &err),
          "runbook");
    int v;
    CHECK(bt_store_version_add(s, rb.id, "name: Five steps\n", "bench", "",
                               &v, &err),
          "version");
    CHECK(bt_store_server_register(s, "bench", "0", 600000, server, &err),
          "server");
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
    return id;
}

static void commit_one(bt_store *s, int64_t server, int64_t inst,
                       uint64_t seq, bt_store_activity_spec *a,
                       bt_store_datum d[FIELDS], char values[FIELDS][32]) {
    make_values(values, seq);
    for (int k = 0; k < FIELDS; k++)
        d[k] = (bt_store_datum){0, field_names[k], values[k]};
    *a = (bt_store_activity_spec){
        .instance_id = inst, .activity_id = "step", .seq = seq, .attempt = 1,
        .result = BT_RESULT_SUCCESS, .start_us = bt_now_us(),
        .end_us = bt_now_us(), .parent_seq = seq - 1, .data = d,
        .n_data = FIELDS};
    (void)s;
    (void)server;
}

/* One job at a time, every store call its own transaction: what a server
 * without group commit does. */
static void run_store(const char *url, int jobs, result *r) {
    bt_error err = {0};
    bt_store *s = NULL;
    CHECK(bt_store_open(url, &s, &err), "open");
    int64_t server = 0;
    int64_t rid = setup_runbook(s, &server);
    uint64_t t0 = bt_mono_us(), commit_us = 0;
    for (int i = 0; i < jobs; i++) {
        bt_store_job_spec spec = {.runbook_id = rid, .created_by = "bench",
                                  .parameters = "{\"host\": \"web01\"}"};
        CHECK(bt_store_job_create(s, &spec, NULL, &err), "job create");
        bt_store_job *claimed = NULL;
        size_t n = 0;
        CHECK(bt_store_job_claim(s, server, 1, &claimed, &n, &err), "claim");
        if (n != 1) die("claim returned no job", NULL);
        int64_t job = claimed[0].id;
        bt_store_job_list_free(claimed, n);
        bt_store_instance inst = {0};
        CHECK(bt_store_instance_create(s, job, server, &inst, &err),
              "instance");
        for (uint64_t seq = 1; seq <= ACTIVITIES; seq++) {
            char values[FIELDS][32];
            bt_store_datum d[FIELDS];
            bt_store_activity_spec a;
            commit_one(s, server, inst.id, seq, &a, d, values);
            uint64_t c0 = bt_mono_us();
            CHECK(bt_store_commit_activity(s, server, &a, NULL, &err),
                  "commit activity");
            commit_us += bt_mono_us() - c0;
        }
        CHECK(bt_store_instance_finish(s, inst.id, BT_JOB_COMPLETED,
                                       BT_RESULT_SUCCESS, NULL, &err),
              "instance finish");
        CHECK(bt_store_job_set_status(s, job, BT_JOB_COMPLETED, 0, &err),
              "job complete");
        bt_store_instance_clear(&inst);
    }
    r->total_s = (double)(bt_mono_us() - t0) / 1e6;
    r->commit_s = (double)commit_us / 1e6;
    bt_store_close(s);
}

/* `group` jobs in flight, the way a runbook server with group commit runs
 * them: one transaction per loop iteration for everything that happened
 * in it (jobs created, claimed with their instances, each activity step
 * of every instance, the finishes). */
static void run_store_grouped(const char *url, int jobs, int group,
                              result *r) {
    bt_error err = {0};
    bt_store *s = NULL;
    CHECK(bt_store_open(url, &s, &err), "open");
    int64_t server = 0;
    int64_t rid = setup_runbook(s, &server);
    int64_t *job_ids = bt_xcalloc((size_t)group, sizeof *job_ids);
    int64_t *inst_ids = bt_xcalloc((size_t)group, sizeof *inst_ids);
    bt_store_activity_spec *acts = bt_xcalloc((size_t)group, sizeof *acts);
    bt_store_datum(*data)[FIELDS] = bt_xcalloc((size_t)group, sizeof *data);
    char(*values)[FIELDS][32] = bt_xcalloc((size_t)group, sizeof *values);
    uint64_t t0 = bt_mono_us(), commit_us = 0;
    for (int done = 0; done < jobs; done += group) {
        int k = jobs - done < group ? jobs - done : group;
        CHECK(bt_store_begin(s, &err), "begin");
        for (int i = 0; i < k; i++) {
            bt_store_job_spec spec = {.runbook_id = rid, .created_by = "bench",
                                      .parameters = "{\"host\": \"web01\"}"};
            CHECK(bt_store_job_create(s, &spec, NULL, &err), "job create");
        }
        CHECK(bt_store_commit(s, &err), "commit creates");
        CHECK(bt_store_begin(s, &err), "begin");
        bt_store_job *claimed = NULL;
        size_t n = 0;
        CHECK(bt_store_job_claim(s, server, (size_t)k, &claimed, &n, &err),
              "claim");
        if (n != (size_t)k) die("claim returned too few jobs", NULL);
        for (int i = 0; i < k; i++) {
            job_ids[i] = claimed[i].id;
            bt_store_instance inst = {0};
            CHECK(bt_store_instance_create(s, job_ids[i], server, &inst, &err),
                  "instance");
            inst_ids[i] = inst.id;
        }
        bt_store_job_list_free(claimed, n);
        CHECK(bt_store_commit(s, &err), "commit claims");
        for (uint64_t seq = 1; seq <= ACTIVITIES; seq++) {
            for (int i = 0; i < k; i++)
                commit_one(s, server, inst_ids[i], seq, &acts[i], data[i],
                           values[i]);
            uint64_t c0 = bt_mono_us();
            CHECK(bt_store_commit_activities(s, server, acts, (size_t)k, &err),
                  "commit activities");
            commit_us += bt_mono_us() - c0;
        }
        CHECK(bt_store_begin(s, &err), "begin");
        for (int i = 0; i < k; i++) {
            CHECK(bt_store_instance_finish(s, inst_ids[i], BT_JOB_COMPLETED,
                                           BT_RESULT_SUCCESS, NULL, &err),
                  "instance finish");
            CHECK(bt_store_job_set_status(s, job_ids[i], BT_JOB_COMPLETED, 0,
                                          &err),
                  "job complete");
        }
        CHECK(bt_store_commit(s, &err), "commit finishes");
    }
    r->total_s = (double)(bt_mono_us() - t0) / 1e6;
    r->commit_s = (double)commit_us / 1e6;
    free(job_ids);
    free(inst_ids);
    free(acts);
    free(data);
    free(values);
    bt_store_close(s);
}

static void sq_check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "store_jobs: raw %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

/* The same activity rows straight into sqlite3: one transaction each, or
 * `group` per transaction to compare with the grouped store run. */
static void run_raw(const char *path, const char *url, bool sync_full,
                    int jobs, int group, result *r) {
    bt_error err = {0};
    bt_store *s = NULL;
    CHECK(bt_store_open(url, &s, &err), "open"); /* schema */
    int64_t server = 0;
    int64_t rid = setup_runbook(s, &server);
    bt_store_job_spec spec = {.runbook_id = rid, .created_by = "bench"};
    bt_store_job j = {0};
    CHECK(bt_store_job_create(s, &spec, &j, &err), "job");
    CHECK(bt_store_job_set_status(s, j.id, BT_JOB_RUNNING, server, &err),
          "job run");
    bt_store_instance inst = {0};
    CHECK(bt_store_instance_create(s, j.id, server, &inst, &err), "instance");
    bt_store_job_clear(&j);
    bt_store_close(s);

    sqlite3 *db = NULL;
    sq_check(db, sqlite3_open(path, &db), "open");
    sq_check(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL),
             "wal");
    sq_check(db, sqlite3_exec(db, sync_full ? "PRAGMA synchronous=FULL"
                                            : "PRAGMA synchronous=NORMAL",
                              NULL, NULL, NULL),
             "sync");
    sq_check(db, sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL),
             "fk");
    sqlite3_stmt *begin, *commit, *ins_a, *ins_d;
    sq_check(db, sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL),
             "prepare");
    sq_check(db, sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL),
             "prepare");
    sq_check(db,
             sqlite3_prepare_v2(db,
                                "INSERT INTO activity_instances(guid, "
                                "instance_id, activity_id, seq, attempt, "
                                "result, error, start_us, end_us, parent_seq)"
                                " VALUES (?, ?, 'step', ?, 1, 0, NULL, ?, ?, "
                                "?)",
                                -1, &ins_a, NULL),
             "prepare");
    sq_check(db,
             sqlite3_prepare_v2(db,
                                "INSERT INTO activity_data(activity_instance_"
                                "id, row_index, position, name, value) "
                                "VALUES (?, 0, ?, ?, ?)",
                                -1, &ins_d, NULL),
             "prepare");
    uint64_t t0 = bt_mono_us();
    uint64_t seq_all = 0;
    for (int i = 0; i < jobs; i++) {
        for (uint64_t seq = 1; seq <= ACTIVITIES; seq++) {
            seq_all++;
            char values[FIELDS][32], guid[BT_GUID_LEN];
            make_values(values, seq);
            bt_store_guid(guid);
            bool first = group <= 1 || (seq_all - 1) % (uint64_t)group == 0;
            bool last = group <= 1 || seq_all % (uint64_t)group == 0 ||
                        seq_all == (uint64_t)jobs * ACTIVITIES;
            if (first) {
                sq_check(db, sqlite3_step(begin), "begin");
                sqlite3_reset(begin);
            }
            sqlite3_bind_text(ins_a, 1, guid, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins_a, 2, inst.id);
            sqlite3_bind_int64(ins_a, 3, (int64_t)seq_all);
            sqlite3_bind_int64(ins_a, 4, (int64_t)bt_now_us());
            sqlite3_bind_int64(ins_a, 5, (int64_t)bt_now_us());
            sqlite3_bind_int64(ins_a, 6, (int64_t)seq_all - 1);
            sq_check(db, sqlite3_step(ins_a), "insert activity");
            sqlite3_reset(ins_a);
            int64_t aid = sqlite3_last_insert_rowid(db);
            for (int k = 0; k < FIELDS; k++) {
                sqlite3_bind_int64(ins_d, 1, aid);
                sqlite3_bind_int(ins_d, 2, k);
                sqlite3_bind_text(ins_d, 3, field_names[k], -1, SQLITE_STATIC);
                sqlite3_bind_text(ins_d, 4, values[k], -1, SQLITE_STATIC);
                sq_check(db, sqlite3_step(ins_d), "insert data");
                sqlite3_reset(ins_d);
            }
            if (last) {
                sq_check(db, sqlite3_step(commit), "commit");
                sqlite3_reset(commit);
            }
        }
    }
    r->raw_s = (double)(bt_mono_us() - t0) / 1e6;
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_finalize(ins_a);
    sqlite3_finalize(ins_d);
    sqlite3_close(db);
    bt_store_instance_clear(&inst);
}

static void bench_mode(const char *dir, const char *sync, int jobs,
                       int group) {
    char *path = bt_xasprintf("%s/store-%s.db", dir, sync);
    char *raw_path = bt_xasprintf("%s/raw-%s.db", dir, sync);
    char *url = bt_xasprintf("sqlite:%s?sync=%s", path, sync);
    char *raw_url = bt_xasprintf("sqlite:%s?sync=%s", raw_path, sync);
    result r = {0};
    if (group > 1) run_store_grouped(url, jobs, group, &r);
    else run_store(url, jobs, &r);
    run_raw(raw_path, raw_url, !strcmp(sync, "full"), jobs, group, &r);
    double acts = (double)jobs * ACTIVITIES;
    double store_rate = acts / r.commit_s, raw_rate = acts / r.raw_s;
    char mode[32];
    if (group > 1) snprintf(mode, sizeof mode, "group of %d", group);
    else snprintf(mode, sizeof mode, "per call");
    printf("| %-6s | %-12s | %6d | %9.0f | %12.0f | %12.0f | %5.2f |\n", sync,
           mode, jobs, jobs / r.total_s, store_rate, raw_rate,
           store_rate / raw_rate);
    fflush(stdout);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char *a = bt_xasprintf("%s%s", path, suffixes[i]);
        char *b = bt_xasprintf("%s%s", raw_path, suffixes[i]);
        unlink(a);
        unlink(b);
        free(a);
        free(b);
    }
    free(path);
    free(raw_path);
    free(url);
    free(raw_url);
}

/* The store's two runs against PostgreSQL. */
static void bench_pg(const char *url, int jobs, int group) {
    printf("store_jobs: %d jobs x %d activity instances (1 row, %d fields), "
           "PostgreSQL\n\n",
           jobs, ACTIVITIES, FIELDS);
    printf("| commits      | jobs   | jobs/s    | store acts/s |\n");
    printf("|--------------|--------|-----------|--------------|\n");
    for (int pass = 0; pass < (group > 1 ? 2 : 1); pass++) {
        result r = {0};
        if (pass) run_store_grouped(url, jobs, group, &r);
        else run_store(url, jobs, &r);
        char mode[32];
        if (pass) snprintf(mode, sizeof mode, "group of %d", group);
        else snprintf(mode, sizeof mode, "per call");
        printf("| %-12s | %6d | %9.0f | %12.0f |\n", mode, jobs,
               jobs / r.total_s, (double)jobs * ACTIVITIES / r.commit_s);
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    int jobs = 10000, group = 100;
    const char *dir = NULL, *sync = "both", *pg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--jobs") && i + 1 < argc) jobs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--sync") && i + 1 < argc) sync = argv[++i];
        else if (!strcmp(argv[i], "--group") && i + 1 < argc)
            group = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--pg") && i + 1 < argc) pg = argv[++i];
        else {
            fprintf(stderr,
                    "usage: store_jobs [--jobs N] [--dir DIR] "
                    "[--sync full|normal|both] [--group K] "
                    "[--pg postgresql://...]\n");
            return 2;
        }
    }
    if (jobs <= 0) jobs = 1;
    if (pg) {
        bench_pg(pg, jobs, group);
        return 0;
    }
    char tmpl[] = "/tmp/baton-bench-XXXXXX";
    char *made = NULL;
    if (!dir) {
        if (!(made = mkdtemp(tmpl))) {
            perror("store_jobs: mkdtemp");
            return 1;
        }
        dir = made;
    }
    printf("store_jobs: %d jobs x %d activity instances (1 row, %d fields), "
           "SQLite %s, in %s\n\n",
           jobs, ACTIVITIES, FIELDS, sqlite3_libversion(), dir);
    printf("| sync   | commits      | jobs   | jobs/s    | store acts/s | "
           "raw acts/s   | ratio |\n");
    printf("|--------|--------------|--------|-----------|--------------|"
           "--------------|-------|\n");
    for (int full = 1; full >= 0; full--) {
        const char *mode = full ? "full" : "normal";
        if (strcmp(sync, "both") && strcmp(sync, mode)) continue;
        bench_mode(dir, mode, jobs, 1);
        if (group > 1) bench_mode(dir, mode, jobs, group);
    }
    if (made) rmdir(made);
    return 0;
}
