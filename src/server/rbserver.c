/* The runbook server role: its lease, its claims, cancel requests, stop.
 *
 * Everything runs on one loop with one store handle. Timers:
 *   heartbeat  every heartbeat_ms: renew the lease (3 heartbeats long),
 *              hand back the jobs of servers whose lease lapsed, refresh
 *              the global variables;
 *   poll       every poll_ms: claim pending jobs up to the throttle, and
 *              look at the jobs held here for cancel requests and for jobs
 *              another server took over while this one was too slow;
 *   soon       a claim on the next loop turn (after a job ended, or when
 *              bt_rbserver_wake's async handle fired).
 * Jobs, their instances and the commit path are in rb_job.c. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/version.h"
#include "server/rb_internal.h"
#include "server/rb_packs.h"

#define DEFAULT_THROTTLE 1000
#define DEFAULT_HEARTBEAT_MS 2000
#define DEFAULT_POLL_MS 250
#define LEASE_HEARTBEATS 3

static uint64_t lease_ms(const bt_rbserver *srv) {
    return srv->heartbeat_ms * LEASE_HEARTBEATS;
}

/* ---- claims ------------------------------------------------------------- */

/* The local run of job id that still records (an abandoned run of the
 * same job may still be dying next to a new one). */
static rb_job *live_job(const bt_rbserver *srv, int64_t id) {
    for (rb_job *j = srv->jobs; j; j = j->next)
        if (j->id == id && !j->abandoned) return j;
    return NULL;
}

static void claim(bt_rbserver *srv) {
    if (srv->stopping || srv->draining) return;
    size_t running = bt_engine_running(srv->eng);
    if (running >= srv->throttle) return;
    bt_store_job *jobs = NULL;
    size_t n = 0;
    bt_error err;
    if (bt_store_job_claim(srv->store, srv->id, srv->throttle - running, &jobs,
                           &n, &err)) {
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': cannot claim jobs: %s", srv->name,
                err.message);
        return;
    }
    if (n) bt__rb_vars_refresh(srv);
    /* One transaction for the new instances of every job claimed: nothing
     * of them runs before the next loop turn. If it fails, their first
     * commits fail and the jobs end failed, with an event. */
    bool group = n > 1 && bt_store_begin(srv->store, &err) == 0;
    for (size_t i = 0; i < n; i++) {
        /* Handed back (this server's lease had lapsed) and claimed back
         * before anyone else took it: the local run never stopped. */
        if (live_job(srv, jobs[i].id)) continue;
        bt__rb_adopt(srv, &jobs[i]);
    }
    if (group && bt_store_commit(srv->store, &err) != 0)
        bt_logf(srv->log, BT_LOG_ERROR,
                "runbook server '%s': the start of %zu claimed jobs could "
                "not be recorded: %s",
                srv->name, n, err.message);
    bt_store_job_list_free(jobs, n);
}

static void soon_cb(uv_timer_t *t) { claim(t->data); }

void bt__rb_claim_soon(bt_rbserver *srv) {
    if (!srv->stopping) uv_timer_start(&srv->soon, soon_cb, 0, 0);
}

static void wake_cb(uv_async_t *a) { claim(a->data); }

void bt_rbserver_wake(bt_rbserver *srv) {
    if (srv) uv_async_send(&srv->wake);
}

/* ---- cancel requests and lost jobs -------------------------------------- */

/* A job missing from this server's running jobs is lost when another
 * server runs it or it ended (a take-over marks a job canceled when its
 * cancel was pending). A job handed back and still pending is not: this
 * run's commits still pass the fence until another server claims it, and
 * this server may claim it back and carry on. */
static bool lost(bt_rbserver *srv, int64_t id) {
    bt_store_job j = {0};
    if (bt_store_job_get(srv->store, id, &j, NULL) != 0) return false;
    bool gone = j.status != BT_JOB_PENDING &&
                !(j.status == BT_JOB_RUNNING && j.server_id == srv->id);
    bt_store_job_clear(&j);
    return gone;
}

static int cmp_job_id(const void *a, const void *b) {
    const rb_job *x = *(rb_job *const *)a, *y = *(rb_job *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* One pass over the running jobs the store says this server holds, merged
 * with the local ones by id: a cancel request is acted on, and a local job
 * the store no longer gives this server (its lease lapsed while the loop
 * was stuck, and another server took the job) is dropped unrecorded. */
static void check_jobs(bt_rbserver *srv) {
    if (srv->abandoning) return;
    size_t n_local = 0;
    rb_job **local = bt_xcalloc(srv->n_jobs, sizeof *local);
    for (rb_job *j = srv->jobs; j; j = j->next)
        if (!j->abandoned) local[n_local++] = j;
    qsort(local, n_local, sizeof *local, cmp_job_id);

    bool *held = bt_xcalloc(n_local ? n_local : 1, sizeof *held);
    bool *cancel = bt_xcalloc(n_local ? n_local : 1, sizeof *cancel);
    bt_store_job_filter f = {.status = BT_JOB_RUNNING,
                             .server_id = srv->id,
                             .limit = 1000};
    size_t k = 0;
    bool ok = true;
    int64_t *orphans = NULL;
    size_t n_orphans = 0, orphans_cap = 0;
    for (;;) {
        bt_store_job *items = NULL;
        size_t n = 0;
        int64_t next = 0;
        bt_error err;
        if (bt_store_job_list(srv->store, &f, &items, &n, &next, &err)) {
            bt_logf(srv->log, BT_LOG_WARNING,
                    "runbook server '%s': cannot check its jobs: %s",
                    srv->name, err.message);
            ok = false;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            while (k < n_local && local[k]->id < items[i].id) k++;
            if (k < n_local && local[k]->id == items[i].id) {
                held[k] = true;
                cancel[k] = items[i].cancel_requested;
            } else if (!live_job(srv, items[i].id)) {
                /* Held here but not running here: its end could not be
                 * recorded, or it was held before a restart. */
                if (n_orphans == orphans_cap) {
                    orphans_cap = orphans_cap ? orphans_cap * 2 : 8;
                    orphans = bt_xrealloc(orphans,
                                          orphans_cap * sizeof *orphans);
                }
                orphans[n_orphans++] = items[i].id;
            }
        }
        bt_store_job_list_free(items, n);
        if (!next) break;
        f.after_id = next;
    }
    /* Acting may end jobs (and free them), so decide first, then act on
     * ids looked up again. */
    int64_t *drop = bt_xcalloc(n_local ? n_local : 1, sizeof *drop);
    int64_t *stop = bt_xcalloc(n_local ? n_local : 1, sizeof *stop);
    size_t n_drop = 0, n_stop = 0;
    for (size_t i = 0; ok && i < n_local; i++) {
        if (!held[i] && lost(srv, local[i]->id)) drop[n_drop++] = local[i]->id;
        else if (held[i] && cancel[i] && !local[i]->cancel_sent)
            stop[n_stop++] = local[i]->id;
    }
    free(local);
    free(held);
    free(cancel);
    for (size_t i = 0; i < n_drop + n_stop; i++) {
        int64_t id = i < n_drop ? drop[i] : stop[i - n_drop];
        rb_job *job = live_job(srv, id);
        if (!job) continue;
        if (i < n_drop) {
            bt_logf(srv->log, BT_LOG_NOTICE,
                    "runbook server '%s': job %lld is no longer held by this "
                    "server (taken over); dropping its local run",
                    srv->name, (long long)id);
            bt__rb_abandon_job(job);
        } else {
            bt__rb_cancel_job(job);
        }
    }
    free(drop);
    free(stop);
    for (size_t i = 0; ok && !srv->stopping && i < n_orphans; i++) {
        bt_store_job j = {0};
        if (bt_store_job_get(srv->store, orphans[i], &j, NULL) == 0 &&
            j.status == BT_JOB_RUNNING && j.server_id == srv->id &&
            !live_job(srv, j.id))
            bt__rb_adopt(srv, &j);
        bt_store_job_clear(&j);
    }
    free(orphans);
}

static void poll_cb(uv_timer_t *t) {
    bt_rbserver *srv = t->data;
    check_jobs(srv);
    claim(srv);
}

/* ---- notifications (PostgreSQL LISTEN) ---------------------------------- */

static void notify_closed(uv_handle_t *h) {
    bt_rbserver *srv = h->data;
    free(h);
    --srv->open_handles;
    if (srv->open_handles == 0 && srv->done) srv->done(srv, srv->done_ud);
}

static void notify_stop(bt_rbserver *srv) {
    if (!srv->notify) return;
    uv_close((uv_handle_t *)srv->notify, notify_closed);
    srv->notify = NULL;
}

static void notify_cb(uv_poll_t *h, int status, int events) {
    bt_rbserver *srv = h->data;
    (void)events;
    int n = status < 0 ? -BT_EIO : bt_store_drain_notifications(srv->store);
    if (n < 0) {
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': lost the store's notification "
                "connection; claiming on the %llu ms poll until the next "
                "heartbeat reopens it",
                srv->name, (unsigned long long)srv->poll_ms);
        notify_stop(srv);
        return;
    }
    if (n > 0) {
        check_jobs(srv);
        claim(srv);
    }
}

/* Job creations, cancel requests and take-overs wake the server at once
 * when the store can say so; the poll timer stays as the fallback, since a
 * notification sent while the connection was down is lost. */
static void notify_start(bt_rbserver *srv) {
    if (srv->notify || srv->stopping) return;
    int fd = bt_store_wait_fd(srv->store);
    if (fd < 0) return;
    uv_poll_t *p = bt_xcalloc(1, sizeof *p);
    if (uv_poll_init(srv->loop, p, fd) != 0) {
        free(p);
        return;
    }
    p->data = srv;
    srv->open_handles++;
    srv->notify = p;
    uv_poll_start(p, UV_READABLE, notify_cb);
}

/* ---- operator settings ------------------------------------------------- */

/* The throttle override and drain flag an operator set in the store
 * (bt_store_server_set), read at start and at each heartbeat. Running jobs
 * are never stopped by either: a lower throttle or a drain only holds back
 * new claims. */
static void read_settings(bt_rbserver *srv) {
    bt_store_server sv = {0};
    bt_error err;
    if (bt_store_server_get(srv->store, srv->id, &sv, &err)) {
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': cannot read its settings: %s",
                srv->name, err.message);
        return;
    }
    size_t throttle =
        sv.throttle > 0 ? (size_t)sv.throttle : srv->configured_throttle;
    bool more = throttle > srv->throttle || (srv->draining && !sv.draining);
    if (throttle != srv->throttle)
        bt_logf(srv->log, BT_LOG_NOTICE,
                "runbook server '%s': throttle %zu (%s)", srv->name, throttle,
                sv.throttle > 0 ? "set by an operator" : "as configured");
    if (sv.draining != srv->draining)
        bt_logf(srv->log, BT_LOG_NOTICE,
                sv.draining ? "runbook server '%s': draining: it claims no "
                              "new jobs, running ones finish"
                            : "runbook server '%s': no longer draining",
                srv->name);
    srv->throttle = throttle;
    srv->draining = sv.draining;
    bt_store_server_clear(&sv);
    if (more) bt__rb_claim_soon(srv);
}

/* ---- lease -------------------------------------------------------------- */

static void heartbeat_cb(uv_timer_t *t) {
    bt_rbserver *srv = t->data;
    bt_error err;
    int rc = bt_store_server_heartbeat(srv->store, srv->id, lease_ms(srv),
                                       &err);
    if (rc == -BT_ENOTFOUND) {
        int64_t id = 0;
        rc = bt_store_server_register(srv->store, srv->name, bt_version(),
                                      lease_ms(srv), &id, &err);
        if (rc == 0 && id != srv->id)
            bt_logf(srv->log, BT_LOG_WARNING,
                    "runbook server '%s': its registration had been removed; "
                    "registered again as server %lld",
                    srv->name, (long long)id);
        if (rc == 0) srv->id = id;
    }
    if (rc)
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': heartbeat failed: %s", srv->name,
                err.message);
    if (srv->stopping) return;
    read_settings(srv);
    bt__rb_packs_sync(srv);
    int64_t *ids = NULL;
    size_t n = 0;
    if (bt_store_server_takeover(srv->store, &ids, &n, &err))
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': take-over pass failed: %s", srv->name,
                err.message);
    for (size_t i = 0; i < n; i++)
        bt_logf(srv->log, BT_LOG_NOTICE,
                "runbook server '%s': job %lld handed back from a server "
                "whose lease lapsed",
                srv->name, (long long)ids[i]);
    free(ids);
    bt__rb_vars_refresh(srv);
    notify_start(srv);
    if (n) claim(srv);
}

/* ---- start -------------------------------------------------------------- */

/* Jobs this server held when it last stopped (by name: the id survives a
 * re-registration) resume now instead of after a lease lapse. */
static void resume_held(bt_rbserver *srv) {
    bt_store_job_filter f = {.status = BT_JOB_RUNNING,
                             .server_id = srv->id,
                             .limit = 100};
    for (;;) {
        bt_store_job *items = NULL;
        size_t n = 0;
        int64_t next = 0;
        bt_error err;
        if (bt_store_job_list(srv->store, &f, &items, &n, &next, &err)) {
            bt_logf(srv->log, BT_LOG_WARNING,
                    "runbook server '%s': cannot list the jobs it held: %s",
                    srv->name, err.message);
            return;
        }
        for (size_t i = 0; i < n; i++)
            if (!live_job(srv, items[i].id)) bt__rb_adopt(srv, &items[i]);
        bt_store_job_list_free(items, n);
        if (!next) return;
        f.after_id = next;
    }
}

/* Invoke Runbook made a job: it may well be ours to run. */
static void child_job_created(int64_t job_id, void *ud) {
    (void)job_id;
    bt__rb_claim_soon(ud);
}

static void handle_init(bt_rbserver *srv, uv_handle_t *h) {
    h->data = srv;
    srv->open_handles++;
}

/* The job an engine instance belongs to, so that a child job invoked from
 * it records its lineage (and chains that invoke themselves stop). */
static int64_t job_of(bt_instance *inst, void *ud) {
    (void)ud;
    rb_inst *ri = inst ? bt_instance_user_data(inst) : NULL;
    return ri && ri->job ? ri->job->id : 0;
}

int bt_rbserver_start(uv_loop_t *loop, bt_store *store,
                      const bt_rbserver_config *cfg, bt_rbserver **out,
                      bt_error *err) {
    *out = NULL;
    if (!cfg || !cfg->name || !*cfg->name)
        return bt_error_set(err, BT_EINVAL,
                            "runbook server: a server name is required");
    bt_rbserver *srv = bt_xcalloc(1, sizeof *srv);
    srv->loop = loop;
    srv->store = store;
    srv->name = bt_xstrdup(cfg->name);
    srv->throttle = cfg->throttle ? cfg->throttle : DEFAULT_THROTTLE;
    srv->configured_throttle = srv->throttle;
    srv->heartbeat_ms =
        cfg->heartbeat_ms ? cfg->heartbeat_ms : DEFAULT_HEARTBEAT_MS;
    srv->poll_ms = cfg->poll_ms ? cfg->poll_ms : DEFAULT_POLL_MS;
    srv->log = cfg->log;
    int rc = bt_store_server_register(store, srv->name, bt_version(),
                                      lease_ms(srv), &srv->id, err);
    if (rc) {
        free(srv->name);
        free(srv);
        return rc;
    }
    srv->vars = bt__rb_vars_new(cfg->secret_key_file);
    bt_services_config scfg = {.job_created = child_job_created,
                               .job_of = job_of,
                               .ud = srv};
    bt_services_new(loop, store, &scfg, &srv->svc);
    bt_engine_hooks h = *bt__rb_hooks();
    h.services = bt_services_table(srv->svc);
    h.ud = srv;
    bt_engine_new(loop, &h, &srv->eng);
    uv_timer_init(loop, &srv->heartbeat);
    handle_init(srv, (uv_handle_t *)&srv->heartbeat);
    uv_timer_init(loop, &srv->poll);
    handle_init(srv, (uv_handle_t *)&srv->poll);
    uv_timer_init(loop, &srv->soon);
    handle_init(srv, (uv_handle_t *)&srv->soon);
    uv_timer_init(loop, &srv->grace);
    handle_init(srv, (uv_handle_t *)&srv->grace);
    uv_async_init(loop, &srv->wake, wake_cb);
    handle_init(srv, (uv_handle_t *)&srv->wake);
    uv_prepare_init(loop, &srv->flush_prepare);
    handle_init(srv, (uv_handle_t *)&srv->flush_prepare);
    uv_check_init(loop, &srv->flush_check);
    handle_init(srv, (uv_handle_t *)&srv->flush_check);
    bt_logf(srv->log, BT_LOG_NOTICE,
            "runbook server '%s' registered as server %lld (throttle %zu, "
            "heartbeat %llu ms, lease %llu ms)",
            srv->name, (long long)srv->id, srv->throttle,
            (unsigned long long)srv->heartbeat_ms,
            (unsigned long long)lease_ms(srv));
    read_settings(srv);
    bt__rb_vars_refresh(srv);
    bt__rb_packs_sync(srv); /* before any job needs a pack's activities */
    notify_start(srv);
    resume_held(srv);
    uv_timer_start(&srv->heartbeat, heartbeat_cb, srv->heartbeat_ms,
                   srv->heartbeat_ms);
    uv_timer_start(&srv->poll, poll_cb, srv->poll_ms, srv->poll_ms);
    bt__rb_claim_soon(srv);
    *out = srv;
    return 0;
}

/* ---- stop --------------------------------------------------------------- */

static void closing_cb(uv_timer_t *t);

static void handle_closed(uv_handle_t *h) {
    bt_rbserver *srv = h->data;
    if (--srv->open_handles == 0 && srv->done) srv->done(srv, srv->done_ud);
}

void bt__rb_maybe_closed(bt_rbserver *srv) {
    if (!srv->stopping || srv->closing || bt_engine_running(srv->eng) ||
        srv->jobs)
        return;
    /* Stop paths may land here from inside an engine hook; the engine is
     * freed (its handle closed) only after that hook returned. */
    uv_timer_start(&srv->soon, closing_cb, 0, 0);
}

static void close_all(bt_rbserver *srv) {
    if (srv->closing) return;
    srv->closing = true;
    bt__rb_flush(srv);
    bt_engine_free(srv->eng);
    srv->eng = NULL;
    notify_stop(srv);
    uv_close((uv_handle_t *)&srv->heartbeat, handle_closed);
    uv_close((uv_handle_t *)&srv->poll, handle_closed);
    uv_close((uv_handle_t *)&srv->soon, handle_closed);
    uv_close((uv_handle_t *)&srv->grace, handle_closed);
    uv_close((uv_handle_t *)&srv->wake, handle_closed);
    uv_close((uv_handle_t *)&srv->flush_prepare, handle_closed);
    uv_close((uv_handle_t *)&srv->flush_check, handle_closed);
}

static void closing_cb(uv_timer_t *t) {
    bt_rbserver *srv = t->data;
    if (srv->closing || srv->jobs || bt_engine_running(srv->eng)) return;
    /* Invokes of canceled instances close their timers first. */
    if (bt_services_pending(srv->svc)) {
        uv_timer_start(&srv->soon, closing_cb, 1, 0);
        return;
    }
    close_all(srv);
}

static void abandon_all(bt_rbserver *srv) {
    srv->abandoning = true;
    /* Ids first: abandoning may end jobs synchronously. */
    size_t n = 0;
    int64_t *ids = bt_xcalloc(srv->n_jobs ? srv->n_jobs : 1, sizeof *ids);
    for (rb_job *j = srv->jobs; j; j = j->next) ids[n++] = j->id;
    for (size_t i = 0; i < n; i++) {
        rb_job *job = live_job(srv, ids[i]);
        if (job) bt__rb_abandon_job(job);
    }
    free(ids);
    if (n)
        bt_logf(srv->log, BT_LOG_NOTICE,
                "runbook server '%s': stopped %zu job%s without recording; "
                "they resume on restart or on another server",
                srv->name, n, n == 1 ? "" : "s");
}

static void grace_cb(uv_timer_t *t) {
    bt_rbserver *srv = t->data;
    abandon_all(srv);
    uv_timer_start(&srv->soon, closing_cb, 0, 0);
}

void bt_rbserver_stop(bt_rbserver *srv, uint64_t grace_ms,
                      void (*done)(bt_rbserver *srv, void *ud), void *ud) {
    if (srv->stopping) return;
    srv->stopping = true;
    srv->done = done;
    srv->done_ud = ud;
    /* The poll keeps running through the grace period: cancel requests
     * still count; claim() takes nothing once stopping. */
    uv_timer_stop(&srv->soon);
    bt_logf(srv->log, BT_LOG_NOTICE,
            "runbook server '%s': stopping (%zu job%s running, grace %llu "
            "ms)",
            srv->name, srv->n_jobs, srv->n_jobs == 1 ? "" : "s",
            (unsigned long long)grace_ms);
    if (grace_ms == 0 || !srv->jobs) {
        grace_cb(&srv->grace);
        return;
    }
    uv_timer_start(&srv->grace, grace_cb, grace_ms, 0);
}

void bt_rbserver_free(bt_rbserver *srv) {
    if (!srv) return;
    bt__rb_runbooks_free(srv);
    bt__rb_vars_free(srv->vars);
    bt_services_free(srv->svc);
    free(srv->pending);
    free(srv->name);
    free(srv);
}

int64_t bt_rbserver_id(const bt_rbserver *srv) { return srv->id; }

size_t bt_rbserver_running(const bt_rbserver *srv) {
    return srv->eng ? bt_engine_running(srv->eng) : 0;
}
