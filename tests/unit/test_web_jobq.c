/* The web service's group commit for job creation (src/web/jobq.c): many
 * threads, each with its own store handle as connection threads have,
 * create jobs at once; every job is committed and answered with its own
 * row, and a job the store refuses (its runbook does not exist) fails
 * alone, not the group it was committed with. On SQLite, and on
 * PostgreSQL when BATON_TEST_STORE_URL is set (scripts/pg-throwaway.sh). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "harness.h"
#include "store/store.h"
#include "web/web_internal.h"

#define THREADS 16
#define PER_THREAD 40

typedef struct fixture {
    char *dir, *url;
    bt_store *s;
    int64_t runbook_id;
    bt_web_jobq *q;
} fixture;

typedef struct worker {
    fixture *f;
    int index;
    int created, refused, wrong;
    int64_t ids[PER_THREAD];
} worker;

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    const char *pg = getenv("BATON_TEST_STORE_URL");
    if (pg && *pg) {
        f->url = bt_xstrdup(pg);
    } else {
        char *path = bt_harness_path(f->dir, "baton.db");
        f->url = bt_xasprintf("sqlite:%s", path);
        free(path);
    }
    bt_error err = {0};
    if (bt_store_open(f->url, &f->s, &err)) fail_msg("open: %s", err.message);
    bt_store_folder fo = {0};
    OK(bt_store_folder_create(f->s, "/JobQ", &fo, &e_));
    bt_store_runbook rb = {0};
    char name[64];
    snprintf(name, sizeof name, "Q%lld", (long long)bt_now_us());
    OK(bt_store_runbook_create(f->s, fo.id, name, NULL, &rb, &e_));
    int v = 0;
    OK(bt_store_version_add(f->s, rb.id, "name: x\n", "tester", "first", &v,
                            &e_));
    f->runbook_id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
    f->q = bt_web_jobq_new();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_web_jobq_free(f->q);
    bt_store_close(f->s);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->url);
    free(f);
    return 0;
}

static void *work(void *ud) {
    worker *w = ud;
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(w->f->url, &s, &err)) {
        w->wrong = PER_THREAD;
        return NULL;
    }
    char who[32];
    snprintf(who, sizeof who, "thread%d", w->index);
    for (int i = 0; i < PER_THREAD; i++) {
        /* every seventh job names a runbook that does not exist */
        bool bad = (w->index * PER_THREAD + i) % 7 == 3;
        bt_store_job_spec spec = {
            .runbook_id = bad ? w->f->runbook_id + 100000 : w->f->runbook_id,
            .parameters = "{}",
            .created_by = who,
        };
        bt_store_job job = {0};
        memset(&err, 0, sizeof err);
        int rc = bt_web_jobq_create(w->f->q, s, &spec, &job, &err);
        if (bad) {
            if (rc == -BT_ENOTFOUND && strstr(err.message, "does not exist"))
                w->refused++;
            else w->wrong++;
        } else if (!rc && job.id > 0 && !strcmp(job.created_by, who) &&
                   job.runbook_id == w->f->runbook_id) {
            w->ids[w->created++] = job.id;
        } else {
            w->wrong++;
        }
        bt_store_job_clear(&job);
    }
    bt_store_close(s);
    return NULL;
}

static int cmp_id(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_concurrent_creations(void **state) {
    fixture *f = *state;
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.f = f, .index = i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    int created = 0, refused = 0, wrong = 0;
    int64_t *all = bt_xcalloc(THREADS * PER_THREAD, sizeof *all);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        memcpy(all + created, w[i].ids, (size_t)w[i].created * sizeof *all);
        created += w[i].created;
        refused += w[i].refused;
        wrong += w[i].wrong;
    }
    int bad = 0;
    for (int k = 0; k < THREADS * PER_THREAD; k++) bad += k % 7 == 3;
    assert_int_equal(wrong, 0);
    assert_int_equal(refused, bad);
    assert_int_equal(created, THREADS * PER_THREAD - bad);
    /* each answer is its own job, and each is in the store */
    qsort(all, (size_t)created, sizeof *all, cmp_id);
    for (int i = 1; i < created; i++) assert_true(all[i] != all[i - 1]);
    uint64_t counts[5];
    OK(bt_store_job_counts(f->s, f->runbook_id, counts, &e_));
    assert_int_equal(counts[BT_JOB_PENDING], created);
    free(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_creations, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
