/* A job on a runbook server: its runbook version, its engine instances,
 * and the engine hooks that record them in the store.
 *
 * The commit rule: an activity instance is written (fenced by the server
 * id) before the engine may start anything after it. The hook queues the
 * record; a prepare and a check handle flush the queue once per loop phase
 * (one store transaction for all of them, see bt_store_begin), and only
 * then are the instances resumed. A fence failure means another server
 * holds the job now: its local run is dropped without writing anything. */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "server/rb_internal.h"

void bt__rb_event(bt_rbserver *srv, bt_severity sev, int64_t job_id,
                  const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bt_logf(srv->log,
            sev == BT_SEVERITY_ERROR     ? BT_LOG_ERROR
            : sev == BT_SEVERITY_WARNING ? BT_LOG_WARNING
                                         : BT_LOG_INFO,
            "runbook server '%s': job %lld: %s", srv->name, (long long)job_id,
            msg);
    bt_error err;
    if (bt_store_event_add(srv->store, sev, srv->name, msg, job_id, &err))
        bt_logf(srv->log, BT_LOG_ERROR,
                "runbook server '%s': cannot record an event: %s", srv->name,
                err.message);
}

/* ---- job life ----------------------------------------------------------- */

static void job_unlink(bt_rbserver *srv, rb_job *job) {
    if (job->prev) job->prev->next = job->next;
    else srv->jobs = job->next;
    if (job->next) job->next->prev = job->prev;
    srv->n_jobs--;
}

/* The store says the job is still ours (and running): a server that was
 * only slow must not finish a job another server holds now. */
static bool still_held(bt_rbserver *srv, int64_t job_id) {
    bt_store_job j = {0};
    bool held = bt_store_job_get(srv->store, job_id, &j, NULL) == 0 &&
                j.status == BT_JOB_RUNNING && j.server_id == srv->id;
    bt_store_job_clear(&j);
    return held;
}

static void set_job_status(bt_rbserver *srv, int64_t job_id,
                           bt_job_status st) {
    if (!still_held(srv, job_id)) {
        bt_logf(srv->log, BT_LOG_NOTICE,
                "runbook server '%s': job %lld is no longer held by this "
                "server; its end is not recorded here",
                srv->name, (long long)job_id);
        return;
    }
    bt_error err;
    if (bt_store_job_set_status(srv->store, job_id, st, srv->id, &err))
        bt_logf(srv->log, BT_LOG_ERROR,
                "runbook server '%s': job %lld: cannot record status %s: %s",
                srv->name, (long long)job_id, bt_job_status_name(st),
                err.message);
    else
        bt_logf(srv->log, BT_LOG_INFO, "runbook server '%s': job %lld %s",
                srv->name, (long long)job_id, bt_job_status_name(st));
}

/* A job that could not start: an error event, then failed. */
static void fail_unstarted(bt_rbserver *srv, int64_t job_id,
                           const char *msg) {
    bt__rb_event(srv, BT_SEVERITY_ERROR, job_id, "%s", msg);
    bt_store_instance *insts = NULL;
    size_t n = 0;
    if (bt_store_instance_list(srv->store, job_id, &insts, &n, NULL) == 0)
        for (size_t i = 0; i < n; i++)
            if (insts[i].status == BT_JOB_RUNNING &&
                insts[i].server_id == srv->id)
                bt_store_instance_finish(srv->store, insts[i].id,
                                         BT_JOB_FAILED, BT_RESULT_FAILED,
                                         NULL, NULL);
    bt_store_instance_list_free(insts, n);
    set_job_status(srv, job_id, BT_JOB_FAILED);
}

static void job_end(rb_job *job) {
    bt_rbserver *srv = job->srv;
    if (!job->abandoned) {
        bt_job_status st = job->last_status;
        if (job->cancel_sent) st = BT_JOB_CANCELED;
        else if (job->failed || job->monitor_failed) st = BT_JOB_FAILED;
        else if (job->rb->monitor) st = BT_JOB_COMPLETED;
        set_job_status(srv, job->id, st);
    }
    job_unlink(srv, job);
    bt__rb_runbook_put(srv, job->rb);
    bt__rb_params_free(job->params, job->n_params);
    free(job);
    bt__rb_claim_soon(srv);
    bt__rb_maybe_closed(srv);
}

static rb_inst *inst_add(rb_job *job, int64_t store_id) {
    rb_inst *ri = bt_xcalloc(1, sizeof *ri);
    ri->job = job;
    ri->store_id = store_id;
    ri->next = job->insts;
    job->insts = ri;
    return ri;
}

static void inst_remove(rb_inst *ri) {
    for (rb_inst **pp = &ri->job->insts; *pp; pp = &(*pp)->next)
        if (*pp == ri) {
            *pp = ri->next;
            break;
        }
    free(ri);
}

/* Canceling may finish an instance synchronously, which unlinks it and,
 * for the last one, ends (frees) the job: collect first, and callers do
 * not touch job afterwards. */
static void cancel_all(rb_job *job) {
    size_t n = 0;
    for (rb_inst *ri = job->insts; ri; ri = ri->next) n++;
    bt_instance **all = bt_xcalloc(n ? n : 1, sizeof *all);
    n = 0;
    for (rb_inst *ri = job->insts; ri; ri = ri->next)
        if (ri->inst) all[n++] = ri->inst;
    for (size_t i = 0; i < n; i++) bt_instance_cancel(all[i]);
    free(all);
}

void bt__rb_cancel_job(rb_job *job) {
    if (job->cancel_sent) return;
    job->cancel_sent = true;
    bt_logf(job->srv->log, BT_LOG_INFO,
            "runbook server '%s': job %lld: canceling on request",
            job->srv->name, (long long)job->id);
    cancel_all(job);
}

void bt__rb_abandon_job(rb_job *job) {
    if (job->abandoned) return;
    job->abandoned = true;
    job->cancel_sent = true; /* no cancel request will matter now */
    cancel_all(job);
}

/* ---- hooks -------------------------------------------------------------- */

static void flush_prepare_cb(uv_prepare_t *h) { bt__rb_flush(h->data); }
static void flush_check_cb(uv_check_t *h) { bt__rb_flush(h->data); }

static void on_activity_finished(bt_instance *inst,
                                 const bt_activity_record *rec,
                                 bt_resume_fn resume, void *token, void *ud) {
    bt_rbserver *srv = ud;
    rb_inst *ri = bt_instance_user_data(inst);
    rb_job *job = ri->job;
    if (ri->store_id == 0 || ri->dead || job->abandoned) {
        /* The monitor's own instance is not recorded; say why it stopped
         * if it failed on its own. */
        if (ri->store_id == 0 && !ri->dead && !job->abandoned &&
            !job->cancel_sent && rec->result == BT_RESULT_FAILED) {
            job->monitor_failed = true;
            bt__rb_event(srv, BT_SEVERITY_ERROR, job->id,
                         "monitor activity '%s' failed: %s", rec->def->id,
                         rec->error ? rec->error : "no reason given");
        }
        if (ri->dead || job->abandoned) bt_instance_cancel(inst);
        resume(inst, token);
        return;
    }
    if (srv->n_pending == srv->pending_cap) {
        srv->pending_cap = srv->pending_cap ? srv->pending_cap * 2 : 64;
        srv->pending =
            bt_xrealloc(srv->pending, srv->pending_cap * sizeof *srv->pending);
    }
    srv->pending[srv->n_pending++] = (rb_commit){ri, rec, resume, token};
    /* Flushed before the loop next waits for I/O: prepare runs after the
     * engine's idle work, check after I/O callbacks. */
    if (srv->n_pending == 1) {
        uv_prepare_start(&srv->flush_prepare, flush_prepare_cb);
        uv_check_start(&srv->flush_check, flush_check_cb);
    }
}

static void commit_failed(rb_commit *c, int rc, const bt_error *err) {
    rb_job *job = c->ri->job;
    bt_rbserver *srv = job->srv;
    if (rc == -BT_ESTATE) {
        bt_logf(srv->log, BT_LOG_NOTICE,
                "runbook server '%s': job %lld is held by another server now "
                "(%s); dropping its local run",
                srv->name, (long long)job->id, err->message);
        bt__rb_abandon_job(job);
    } else if (!job->abandoned) {
        bt__rb_event(srv, BT_SEVERITY_ERROR, job->id,
                     "activity '%s' (seq %llu) could not be recorded, so the "
                     "job stops: %s",
                     c->rec->def->id, (unsigned long long)c->rec->seq,
                     err->message);
        job->failed = true;
        bt_instance_cancel(c->ri->inst);
    }
}

void bt__rb_flush(bt_rbserver *srv) {
    if (!srv->n_pending) return;
    rb_commit *items = srv->pending;
    size_t n = srv->n_pending;
    srv->pending = NULL;
    srv->n_pending = srv->pending_cap = 0;
    uv_prepare_stop(&srv->flush_prepare);
    uv_check_stop(&srv->flush_check);

    int *rcs = bt_xcalloc(n, sizeof *rcs);
    bt_error *errs = bt_xcalloc(n, sizeof *errs);
    bt_error gerr;
    bool group = n > 1 && bt_store_begin(srv->store, &gerr) == 0;
    for (size_t i = 0; i < n; i++) {
        rb_commit *c = &items[i];
        if (c->ri->dead || c->ri->job->abandoned) {
            rcs[i] = 1; /* nothing to record */
            continue;
        }
        bt_store_activity_spec spec;
        bt_store_datum *data;
        char row_buf[16];
        bt__rb_record_spec(c, &spec, &data, row_buf, sizeof row_buf);
        rcs[i] = bt_store_commit_activity(srv->store, srv->id, &spec, NULL,
                                          &errs[i]);
        free(data);
    }
    if (group && bt_store_commit(srv->store, &gerr) != 0) {
        /* Nothing of the group is durable: none of it may be resumed. */
        for (size_t i = 0; i < n; i++)
            if (rcs[i] == 0) {
                rcs[i] = -gerr.code;
                errs[i] = gerr;
            }
    }
    /* Resuming ends instances and jobs, and those writes share a group as
     * well. Should that group fail, the jobs are still running and held
     * here in the store, and the check of this server's jobs adopts them
     * again: they resume with nothing left to run and end once more. */
    group = n > 1 && bt_store_begin(srv->store, &gerr) == 0;
    for (size_t i = 0; i < n; i++) {
        rb_commit *c = &items[i];
        if (rcs[i] < 0) commit_failed(c, rcs[i], &errs[i]);
        else if (rcs[i] > 0) bt_instance_cancel(c->ri->inst);
        c->resume(c->ri->inst, c->token);
    }
    if (group && bt_store_commit(srv->store, &gerr) != 0)
        bt_logf(srv->log, BT_LOG_ERROR,
                "runbook server '%s': the ends of instances and jobs could "
                "not be recorded (they are tried again): %s",
                srv->name, gerr.message);
    free(rcs);
    free(errs);
    free(items);
}

static char *returned_json(const bt_instance *inst) {
    const bt_row *row = bt_instance_returned(inst);
    if (!row || row->count == 0) return NULL;
    json_t *o = json_object();
    for (size_t i = 0; i < row->count; i++)
        json_object_set_new(o, row->names[i], json_string(row->values[i]));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static void on_instance_finished(bt_instance *inst, void *ud) {
    bt_rbserver *srv = ud;
    rb_inst *ri = bt_instance_user_data(inst);
    rb_job *job = ri->job;
    if (ri->store_id && !ri->dead && !job->abandoned) {
        bt_job_status st = BT_JOB_COMPLETED;
        bt_result result = bt_instance_result(inst);
        if (job->failed) st = BT_JOB_FAILED;
        else if (bt_instance_canceled(inst)) st = BT_JOB_CANCELED;
        else if (result == BT_RESULT_FAILED) st = BT_JOB_FAILED;
        char *ret = returned_json(inst);
        bt_error err;
        if (bt_store_instance_finish(srv->store, ri->store_id, st, result, ret,
                                     &err)) {
            bt__rb_event(srv, BT_SEVERITY_ERROR, job->id,
                         "the end of runbook instance %lld could not be "
                         "recorded: %s",
                         (long long)ri->store_id, err.message);
            job->failed = true;
        }
        free(ret);
        job->last_status = st;
    }
    inst_remove(ri);
    bt_instance_free(inst);
    if (!job->insts && !job->adopting) job_end(job);
}

/* A monitor fired: the new instance gets its own store instance before
 * anything of it is recorded. */
static void on_instance_triggered(bt_instance *inst, bt_instance *monitor,
                                  void *ud) {
    bt_rbserver *srv = ud;
    rb_inst *mi = bt_instance_user_data(monitor);
    rb_job *job = mi->job;
    rb_inst *ri = inst_add(job, 0);
    ri->inst = inst;
    bt_instance_set_user_data(inst, ri);
    if (job->abandoned) {
        ri->dead = true;
        return;
    }
    bt_store_instance si = {0};
    bt_error err;
    int rc = bt_store_instance_create(srv->store, job->id, srv->id, &si, &err);
    if (rc == 0) {
        ri->store_id = si.id;
        bt_store_instance_clear(&si);
        return;
    }
    /* The new instance then records nothing and stops at its first
     * activity instance. Nothing is canceled from here: this runs inside
     * the monitor's trigger. A job held elsewhere now (BT_ESTATE) is
     * dropped as a whole by the next check of this server's jobs. */
    ri->dead = true;
    if (rc != -BT_ESTATE)
        bt__rb_event(srv, BT_SEVERITY_ERROR, job->id,
                     "a triggered runbook instance could not be recorded: %s",
                     err.message);
}

static const bt_engine_hooks hooks = {
    .activity_finished = on_activity_finished,
    .instance_finished = on_instance_finished,
    .instance_triggered = on_instance_triggered,
    .var_lookup = bt__rb_var_lookup,
};

const bt_engine_hooks *bt__rb_hooks(void) { return &hooks; }

/* ---- adopting a job ----------------------------------------------------- */

static int resume_instance(rb_job *job, int64_t instance_id, char *msg,
                           size_t msg_size) {
    bt_rbserver *srv = job->srv;
    bt_activity_record **recs = NULL;
    size_t n = 0;
    int rc = bt__rb_records_load(srv, job->rb->rb, instance_id, &recs, &n,
                                 msg, msg_size);
    if (rc) {
        bt_store_instance_finish(srv->store, instance_id, BT_JOB_FAILED,
                                 BT_RESULT_FAILED, NULL, NULL);
        return rc;
    }
    /* A monitor job's stored instances are all triggered ones (the
     * monitor's own instance is not stored). One that has not even its
     * trigger committed ran nothing: resuming it would start a second
     * monitor inside it. */
    if (job->rb->monitor && n == 0) {
        bt__rb_records_free(recs, n);
        bt_store_instance_finish(srv->store, instance_id, BT_JOB_FAILED,
                                 BT_RESULT_FAILED, NULL, NULL);
        bt__rb_event(srv, BT_SEVERITY_WARNING, job->id,
                     "runbook instance %lld was triggered on a server that "
                     "stopped before its trigger was recorded; it ran "
                     "nothing and is marked failed",
                     (long long)instance_id);
        return 0;
    }
    rb_inst *ri = inst_add(job, instance_id);
    bt_error err;
    rc = job->rb->monitor
             ? bt_engine_resume_triggered(srv->eng, job->rb->rb, job->params,
                                          job->n_params, recs, n, ri,
                                          &ri->inst, &err)
             : bt_engine_resume(srv->eng, job->rb->rb, job->params,
                                job->n_params, recs, n, ri, &ri->inst, &err);
    if (rc) {
        bt__rb_records_free(recs, n);
        inst_remove(ri);
        snprintf(msg, msg_size, "instance %lld cannot resume: %s",
                 (long long)instance_id, err.message);
        bt_store_instance_finish(srv->store, instance_id, BT_JOB_FAILED,
                                 BT_RESULT_FAILED, NULL, NULL);
        return rc;
    }
    free(recs); /* the instance owns the records now */
    bt_logf(srv->log, BT_LOG_INFO,
            "runbook server '%s': job %lld: resumed instance %lld from %zu "
            "committed activity instance%s",
            srv->name, (long long)job->id, (long long)instance_id, n,
            n == 1 ? "" : "s");
    return 0;
}

static int start_instance(rb_job *job, bool recorded, char *msg,
                          size_t msg_size) {
    bt_rbserver *srv = job->srv;
    bt_error err;
    int64_t store_id = 0;
    if (recorded) {
        bt_store_instance si = {0};
        int rc = bt_store_instance_create(srv->store, job->id, srv->id, &si,
                                          &err);
        if (rc) {
            snprintf(msg, msg_size, "cannot record a new runbook instance: %s",
                     err.message);
            return rc;
        }
        store_id = si.id;
        bt_store_instance_clear(&si);
    }
    rb_inst *ri = inst_add(job, store_id);
    int rc = bt_engine_start(srv->eng, job->rb->rb, job->params, job->n_params,
                             ri, &ri->inst, &err);
    if (rc) {
        inst_remove(ri);
        snprintf(msg, msg_size, "%s", err.message);
        if (store_id)
            bt_store_instance_finish(srv->store, store_id, BT_JOB_FAILED,
                                     BT_RESULT_FAILED, NULL, NULL);
        return rc;
    }
    return 0;
}

/* Runs a job this server holds: a new one starts, one taken over (or held
 * before a restart) resumes its unfinished instance. */
static int adopt_runs(rb_job *job, char *msg, size_t msg_size) {
    bt_rbserver *srv = job->srv;
    bt_store_instance *insts = NULL;
    size_t n = 0;
    bt_error err;
    if (bt_store_instance_list(srv->store, job->id, &insts, &n, &err)) {
        snprintf(msg, msg_size, "cannot list its instances: %s", err.message);
        return -BT_EIO;
    }
    int rc = 0;
    size_t resumed = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (insts[i].status != BT_JOB_RUNNING) {
            job->last_status = insts[i].status;
            continue;
        }
        rc = resume_instance(job, insts[i].id, msg, msg_size);
        if (!job->rb->monitor) resumed++;
    }
    /* An instance that finished while the job did not: the server stopped
     * in between; the job ends as its instance did. */
    bool finished_before = n > 0 && resumed == 0 && !job->rb->monitor;
    bt_store_instance_list_free(insts, n);
    if (rc || resumed || finished_before) return rc;
    return start_instance(job, !job->rb->monitor, msg, msg_size);
}

void bt__rb_adopt(bt_rbserver *srv, const bt_store_job *sj) {
    char msg[1024] = "";
    rb_runbook *rbe = bt__rb_runbook_get(srv, sj->runbook_id,
                                         sj->runbook_version, msg, sizeof msg);
    if (!rbe) {
        fail_unstarted(srv, sj->id, msg);
        return;
    }
    bt_param_value *params = NULL;
    size_t n_params = 0;
    if (bt__rb_params_parse(sj->parameters, &params, &n_params, msg,
                            sizeof msg)) {
        bt__rb_runbook_put(srv, rbe);
        fail_unstarted(srv, sj->id, msg);
        return;
    }
    rb_job *job = bt_xcalloc(1, sizeof *job);
    job->srv = srv;
    job->id = sj->id;
    job->rb = rbe;
    job->params = params;
    job->n_params = n_params;
    job->last_status = BT_JOB_COMPLETED;
    job->next = srv->jobs;
    if (srv->jobs) srv->jobs->prev = job;
    srv->jobs = job;
    srv->n_jobs++;
    bt_logf(srv->log, BT_LOG_INFO,
            "runbook server '%s': job %lld: runbook %lld version %d%s",
            srv->name, (long long)job->id, (long long)sj->runbook_id,
            sj->runbook_version, sj->takeovers ? " (taken over)" : "");
    /* Instances may finish while this runs (a resumed one with nothing
     * left to do); the job ends only once adoption is over. */
    job->adopting = true;
    if (adopt_runs(job, msg, sizeof msg) < 0) {
        bt__rb_event(srv, BT_SEVERITY_ERROR, job->id, "%s", msg);
        job->failed = true;
        cancel_all(job);
    }
    job->adopting = false;
    if (!job->insts) {
        job_end(job);
        return;
    }
    if (sj->cancel_requested) bt__rb_cancel_job(job);
}
