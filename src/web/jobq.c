/* Group commit for job creation (POST /api/jobs, OData POST Jobs). At the
 * store's default durability every commit is an fsync, so one transaction
 * per request capped the service at about 700 jobs/s, with 32 connection
 * threads queued in SQLite's busy handler behind one another (whose
 * back-off made a multi-second tail). Here the requests queue on a mutex
 * instead; whoever finds no commit running becomes the writer, takes every
 * request queued so far, creates them all in one group (one transaction,
 * one fsync; each job in its own savepoint, so one refused job does not
 * fail the others), and answers them all. Requests that arrive meanwhile
 * form the next group. Requests are validated before they queue; what
 * fails here is what only the store can refuse (a runbook deleted in the
 * meantime, a full disk). PostgreSQL takes the same path: a group there is
 * a transaction with savepoints too. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/web_internal.h"

/* A group larger than this waits for the next commit: a bound on how long
 * the first request of a burst waits for the others' inserts. */
#define GROUP_MAX 256

typedef struct jobq_item {
    const bt_store_job_spec *spec;
    bt_store_job *out;
    bt_error err;
    int rc;
    bool done;
    struct jobq_item *next;
} jobq_item;

struct bt_web_jobq {
    pthread_mutex_t lock;
    pthread_cond_t done;
    jobq_item *head, *tail;
    bool writing;
};

bt_web_jobq *bt_web_jobq_new(void) {
    bt_web_jobq *q = bt_xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->done, NULL);
    return q;
}

void bt_web_jobq_free(bt_web_jobq *q) {
    if (!q) return;
    pthread_cond_destroy(&q->done);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static void create_alone(bt_store *s, jobq_item *it) {
    memset(&it->err, 0, sizeof it->err);
    it->rc = bt_store_job_create(s, it->spec, it->out, &it->err);
}

/* One transaction for the whole group; when the group itself fails (the
 * begin or the commit: I/O, a lock not had in time), each job is tried
 * again on its own, so that each answer is that job's own. */
static void create_group(bt_store *s, jobq_item *first) {
    if (!first->next) {
        create_alone(s, first);
        return;
    }
    bt_error err = {0};
    int rc = bt_store_begin(s, &err);
    for (jobq_item *it = first; it && !rc; it = it->next) {
        memset(&it->err, 0, sizeof it->err);
        it->rc = bt_store_job_create(s, it->spec, it->out, &it->err);
    }
    if (!rc) rc = bt_store_commit(s, &err);
    else bt_store_rollback(s);
    if (!rc) return;
    for (jobq_item *it = first; it; it = it->next) {
        if (!it->rc) bt_store_job_clear(it->out);
        create_alone(s, it);
    }
}

int bt_web_jobq_create(bt_web_jobq *q, bt_store *s,
                       const bt_store_job_spec *spec, bt_store_job *out,
                       bt_error *err) {
    jobq_item me = {.spec = spec, .out = out};
    pthread_mutex_lock(&q->lock);
    if (q->tail) q->tail->next = &me;
    else q->head = &me;
    q->tail = &me;
    while (!me.done) {
        if (q->writing) {
            pthread_cond_wait(&q->done, &q->lock);
            continue;
        }
        /* this thread writes the next group: up to GROUP_MAX from the
         * head; when its own request is not among them it writes again */
        q->writing = true;
        jobq_item *first = q->head, *last = first;
        for (size_t n = 1; n < GROUP_MAX && last->next; n++)
            last = last->next;
        q->head = last->next;
        if (!q->head) q->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&q->lock);
        create_group(s, first);
        pthread_mutex_lock(&q->lock);
        for (jobq_item *it = first, *next; it; it = next) {
            next = it->next; /* an item is gone once it is marked done */
            it->done = true;
        }
        q->writing = false;
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->lock);
    if (me.rc && err) *err = me.err;
    return me.rc;
}
