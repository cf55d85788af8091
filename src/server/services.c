/* Store-backed services for activities. Counters, schedules and variables
 * are single store calls on the loop's handle. Invoke Runbook creates a
 * child job and follows it by polling: the child may run on any runbook
 * server, so the store is the only place its progress is visible. */
#include "server/services.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/engine.h"

struct bt_services {
    bt_act_services table;
    uv_loop_t *loop;
    bt_store *store;
    uint64_t poll_ms;
    char *created_by;
    void (*job_created)(int64_t job_id, void *ud);
    int64_t (*job_of)(bt_instance *inst, void *ud);
    void *ud;
    size_t pending;
};

struct bt_invoke {
    bt_services *svc;
    uv_timer_t timer;
    int64_t job_id;
    bool wait;
    bool reported;
    bt_invoke_done_fn done;
    void *done_ud;
};

/* ---- counters, schedules, variables ------------------------------------ */

static int counter_get(void *ud, const char *name, int64_t *out,
                       bt_error *err) {
    bt_services *svc = ud;
    return bt_store_counter_get(svc->store, name, out, err);
}

static int counter_set(void *ud, const char *name, int64_t value,
                       bt_error *err) {
    bt_services *svc = ud;
    return bt_store_counter_set(svc->store, name, value, err);
}

static int counter_add(void *ud, const char *name, int64_t delta,
                       int64_t *out, bt_error *err) {
    bt_services *svc = ud;
    return bt_store_counter_add(svc->store, name, delta, out, err);
}

static int schedule_get(void *ud, const char *name, char **definition,
                        bt_error *err) {
    bt_services *svc = ud;
    bt_store_schedule sc;
    int rc = bt_store_schedule_get(svc->store, name, &sc, err);
    if (rc) return rc;
    *definition = bt_xstrdup(sc.definition ? sc.definition : "{}");
    bt_store_schedule_clear(&sc);
    return 0;
}

static int variable_get(void *ud, const char *name, char **value,
                        bt_error *err) {
    bt_services *svc = ud;
    bt_store_variable v;
    int rc = bt_store_variable_get(svc->store, name, &v, err);
    if (rc) return rc;
    if (v.encrypted) {
        bt_store_variable_clear(&v);
        /* The store keeps ciphertext; decrypting is the web role's job
         * and it is not wired here yet. */
        return bt_error_set(err, BT_EINVAL,
                            "variable '%s' is encrypted and cannot be read "
                            "here",
                            name);
    }
    *value = bt_xstrndup((const char *)v.value, v.len);
    bt_store_variable_clear(&v);
    return 0;
}

/* ---- invoke runbook ---------------------------------------------------- */

/* "/Folder/Sub/Name" -> the runbook; "Name" alone is in the root. */
static int find_runbook(bt_store *s, const char *path, bt_store_runbook *out,
                        bt_error *err) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name)
        return bt_error_set(err, BT_EINVAL,
                            "'%s' does not name a runbook (a folder path "
                            "and a name, such as /Operations/Restart)",
                            path);
    char *folder = slash && slash != path ? bt_xstrndup(path, slash - path)
                                          : bt_xstrdup("/");
    bt_store_folder f = {0};
    int rc = bt_store_folder_get(s, folder, &f, NULL);
    if (rc == 0) rc = bt_store_runbook_find(s, f.id, name, out, NULL);
    bt_store_folder_clear(&f);
    free(folder);
    if (rc == -BT_ENOTFOUND)
        return bt_error_set(err, BT_ENOTFOUND, "no runbook '%s' in the store",
                            path);
    if (rc) return bt_error_set(err, -rc, "could not look up runbook '%s': %s",
                                path, bt_strerror(rc));
    if (out->latest_version == 0) {
        bt_store_runbook_clear(out);
        return bt_error_set(err, BT_ESTATE,
                            "runbook '%s' has no checked-in version", path);
    }
    return 0;
}

static bool finished(bt_job_status st) {
    return st == BT_JOB_COMPLETED || st == BT_JOB_FAILED ||
           st == BT_JOB_CANCELED;
}

static void invoke_closed(uv_handle_t *h) {
    bt_invoke *inv = h->data;
    inv->svc->pending--;
    free(inv);
}

static void report(bt_invoke *inv, const bt_invoke_result *res) {
    if (inv->reported) return;
    inv->reported = true;
    uv_timer_stop(&inv->timer);
    uv_close((uv_handle_t *)&inv->timer, invoke_closed);
    inv->done(res, inv->done_ud);
}

static void report_error(bt_invoke *inv, const char *status, const char *msg) {
    bt_invoke_result res = {.job_id = inv->job_id,
                            .status = status,
                            .result = BT_RESULT_FAILED,
                            .error = msg};
    report(inv, &res);
}

/* The last error event of the job: why a child failed (a parameter it
 * refused, a runbook that did not load) when the server wrote one. */
static char *job_error(bt_store *s, int64_t job_id) {
    bt_store_event *ev = NULL;
    size_t n = 0;
    char *msg = NULL;
    if (bt_store_event_list(s, job_id, 0, 1000, &ev, &n, NULL) == 0)
        for (size_t i = n; i-- > 0;)
            if (ev[i].severity == BT_SEVERITY_ERROR) {
                msg = bt_xstrdup(ev[i].message);
                break;
            }
    bt_store_event_list_free(ev, n);
    return msg;
}

/* The first failed activity instance of a child instance, as a reason. */
static char *failed_activity(bt_store *s, int64_t instance_id) {
    bt_store_activity *acts = NULL;
    size_t n = 0;
    char *msg = NULL;
    if (bt_store_activity_list(s, instance_id, 0, &acts, &n, NULL) == 0)
        for (size_t i = 0; i < n && !msg; i++)
            if (acts[i].result == BT_RESULT_FAILED)
                msg = bt_xasprintf("activity '%s' failed: %s",
                                   acts[i].activity_id,
                                   acts[i].error ? acts[i].error : "?");
    bt_store_activity_list_free(acts, n);
    return msg;
}

/* Reports a finished job with its last instance's result and Return Data
 * (kept by the store as a JSON object on the instance). */
static void report_finished(bt_invoke *inv, const bt_store_job *job) {
    bt_store *s = inv->svc->store;
    bt_store_instance *insts = NULL;
    size_t n_insts = 0;
    bt_invoke_result res = {.job_id = inv->job_id,
                            .status = bt_job_status_name(job->status),
                            .result = job->status == BT_JOB_COMPLETED
                                          ? BT_RESULT_SUCCESS
                                          : BT_RESULT_FAILED};
    json_t *ret = NULL;
    const char **names = NULL, **values = NULL;
    char **dumped = NULL;
    if (bt_store_instance_list(s, inv->job_id, &insts, &n_insts, NULL) == 0 &&
        n_insts) {
        const bt_store_instance *last = &insts[n_insts - 1];
        if (last->result >= 0) res.result = (bt_result)last->result;
        if (last->return_data)
            ret = json_loads(last->return_data, 0, NULL);
    }
    if (json_is_object(ret)) {
        size_t n = json_object_size(ret), i = 0;
        names = bt_xcalloc(n + 1, sizeof *names);
        values = bt_xcalloc(n + 1, sizeof *values);
        dumped = bt_xcalloc(n + 1, sizeof *dumped);
        const char *key;
        json_t *val;
        json_object_foreach(ret, key, val) {
            names[i] = key;
            if (json_is_string(val)) {
                values[i] = json_string_value(val);
            } else {
                dumped[i] = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
                values[i] = dumped[i] ? dumped[i] : "";
            }
            i++;
        }
        res.names = names;
        res.values = values;
        res.n_returned = n;
    }
    char *why = NULL;
    if (job->status == BT_JOB_FAILED) {
        why = job_error(s, inv->job_id);
        if (!why && n_insts)
            why = failed_activity(s, insts[n_insts - 1].id);
        res.error = why ? why : "the child runbook failed";
    } else if (job->status == BT_JOB_CANCELED) {
        res.error = "the child job was canceled";
    }
    report(inv, &res);
    free(why);
    for (size_t i = 0; dumped && names[i]; i++) free(dumped[i]);
    free(dumped);
    free(names);
    free(values);
    json_decref(ret);
    bt_store_instance_list_free(insts, n_insts);
}

static void poll_job(uv_timer_t *t) {
    bt_invoke *inv = t->data;
    bt_store_job job;
    bt_error err = {0};
    int rc = bt_store_job_get(inv->svc->store, inv->job_id, &job, &err);
    if (rc == -BT_ENOTFOUND) {
        report_error(inv, "unknown", "the child job is gone from the store");
        return;
    }
    if (rc) return; /* a busy or failing store: look again next time */
    if (!inv->wait) {
        bt_invoke_result res = {.job_id = inv->job_id,
                                .status = bt_job_status_name(job.status),
                                .result = BT_RESULT_SUCCESS};
        report(inv, &res);
    } else if (finished(job.status)) {
        report_finished(inv, &job);
    }
    bt_store_job_clear(&job);
}

static char *params_json(const bt_invoke_request *req) {
    json_t *o = json_object();
    for (size_t i = 0; i < req->n_params; i++)
        json_object_set_new(o, req->param_names[i],
                            json_string(req->param_values[i]));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Who creates the child: the parent's job and how deep the chain of
 * invokes is, read back from the parent job's creator. */
static int lineage(bt_services *svc, bt_activity_ctx *caller, char **by,
                   bt_error *err) {
    int64_t parent = svc->job_of && caller
                         ? svc->job_of(bt_act_instance(caller), svc->ud)
                         : 0;
    if (!parent) {
        *by = bt_xstrdup(svc->created_by);
        return 0;
    }
    unsigned depth = 1, above = 0;
    long long pj;
    bt_store_job job;
    if (bt_store_job_get(svc->store, parent, &job, NULL) == 0) {
        if (job.created_by &&
            sscanf(job.created_by, "invoke-runbook (job %lld, depth %u)",
                   &pj, &above) == 2)
            depth = above + 1;
        bt_store_job_clear(&job);
    }
    if (depth > BT_SERVICES_MAX_DEPTH)
        return bt_error_set(err, BT_EINVAL,
                            "runbooks invoke each other more than %d deep "
                            "(job %lld is at depth %u; does a runbook invoke "
                            "itself?)",
                            BT_SERVICES_MAX_DEPTH, (long long)parent, above);
    *by = bt_xasprintf("invoke-runbook (job %lld, depth %u)",
                       (long long)parent, depth);
    return 0;
}

static int invoke(void *ud, bt_activity_ctx *caller,
                  const bt_invoke_request *req, bt_invoke_done_fn done,
                  void *done_ud, bt_invoke **out, bt_error *err) {
    bt_services *svc = ud;
    char *by = NULL;
    int rc = lineage(svc, caller, &by, err);
    if (rc) return rc;
    bt_store_runbook rb;
    rc = find_runbook(svc->store, req->runbook, &rb, err);
    if (rc) {
        free(by);
        return rc;
    }
    char *params = params_json(req);
    if (!params) {
        free(by);
        bt_store_runbook_clear(&rb);
        return bt_error_set(err, BT_EINVAL,
                            "parameters of '%s' are not valid UTF-8 text",
                            req->runbook);
    }
    bt_store_job_spec spec = {.runbook_id = rb.id,
                              .parameters = params,
                              .created_by = by,
                              .targets = req->servers,
                              .n_targets = req->n_servers};
    bt_store_job job;
    bt_error serr = {0};
    rc = bt_store_job_create(svc->store, &spec, &job, &serr);
    free(params);
    free(by);
    bt_store_runbook_clear(&rb);
    if (rc)
        return bt_error_set(err, -rc, "could not create a job for '%s': %s",
                            req->runbook, serr.message);
    bt_invoke *inv = bt_xcalloc(1, sizeof *inv);
    inv->svc = svc;
    inv->job_id = job.id;
    inv->wait = req->wait;
    inv->done = done;
    inv->done_ud = done_ud;
    bt_store_job_clear(&job);
    uv_timer_init(svc->loop, &inv->timer);
    inv->timer.data = inv;
    svc->pending++;
    /* Without waiting, the first poll reports at once (done must not run
     * inside this call). */
    uv_timer_start(&inv->timer, poll_job, req->wait ? svc->poll_ms : 0,
                   svc->poll_ms);
    if (svc->job_created) svc->job_created(inv->job_id, svc->ud);
    *out = inv;
    return 0;
}

static void invoke_cancel(void *ud, bt_invoke *inv) {
    bt_services *svc = ud;
    if (inv->reported) return;
    /* A child that already finished keeps its result; one still pending
     * or running is canceled with its parent. */
    bt_store_job_request_cancel(svc->store, inv->job_id, NULL);
    report_error(inv, "canceled",
                 "canceled: stopped waiting and asked the child job to "
                 "stop");
}

/* ---- events ------------------------------------------------------------ */

static int event_add(void *ud, bt_activity_ctx *caller, int severity,
                     const char *source, const char *message,
                     int64_t *job_id, bool *stored, bt_error *err) {
    bt_services *svc = ud;
    *job_id = svc->job_of && caller
                  ? svc->job_of(bt_act_instance(caller), svc->ud)
                  : 0;
    *stored = false;
    int rc = bt_store_event_add(svc->store, (bt_severity)severity, source,
                                message, *job_id, err);
    if (rc == 0) *stored = true;
    return rc;
}

/* ---- lifecycle --------------------------------------------------------- */

int bt_services_new(uv_loop_t *loop, bt_store *store,
                    const bt_services_config *cfg, bt_services **out) {
    bt_services *svc = bt_xcalloc(1, sizeof *svc);
    svc->loop = loop;
    svc->store = store;
    svc->poll_ms = cfg && cfg->poll_ms ? cfg->poll_ms : 250;
    svc->created_by = bt_xstrdup(cfg && cfg->created_by ? cfg->created_by
                                                        : "invoke-runbook");
    if (cfg) {
        svc->job_created = cfg->job_created;
        svc->job_of = cfg->job_of;
        svc->ud = cfg->ud;
    }
    svc->table = (bt_act_services){
        .ud = svc,
        .counter_get = counter_get,
        .counter_set = counter_set,
        .counter_add = counter_add,
        .schedule_get = schedule_get,
        .variable_get = variable_get,
        .invoke = invoke,
        .invoke_cancel = invoke_cancel,
        .event_add = event_add,
    };
    *out = svc;
    return 0;
}

const bt_act_services *bt_services_table(bt_services *svc) {
    return &svc->table;
}

size_t bt_services_pending(const bt_services *svc) { return svc->pending; }

void bt_services_free(bt_services *svc) {
    if (!svc) return;
    assert(svc->pending == 0);
    free(svc->created_by);
    free(svc);
}
