/* Services for `baton test`. Counters live in memory for the run unless a
 * store is given; Invoke Runbook runs the child on the same engine, so the
 * tester needs no runbook server to try a parent and its children. */
#include "cli/tester_services.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "runbook/runbook.h"
#include "store/store.h"

/* A runbook that invokes itself would otherwise never stop. */
#define MAX_DEPTH 16

typedef struct counter {
    char *name;
    int64_t value;
} counter;

typedef struct child {
    struct child *next;
    bt_tester_services *ts;
    bt_instance *inst;
    int64_t job_id;
    unsigned depth;
    bool wait;
    bool reported;
    uv_timer_t timer; /* reports an invoke that does not wait */
    bt_invoke_done_fn done;
    void *done_ud;
} child;

typedef struct loaded {
    struct loaded *next;
    char *key;
    bt_runbook *rb;
} loaded;

struct bt_tester_services {
    bt_act_services table;
    uv_loop_t *loop;
    bt_engine *eng;
    bt_store *store; /* NULL: memory only */
    counter *counters;
    size_t n_counters;
    child *children;
    size_t n_children;
    int64_t next_job;
    loaded *runbooks;
    bt_store_variable *vars; /* --db: read once, never changed */
    size_t n_vars;
};

/* ---- counters, schedules, variables ------------------------------------ */

static counter *find_counter(bt_tester_services *ts, const char *name) {
    for (size_t i = 0; i < ts->n_counters; i++)
        if (!strcmp(ts->counters[i].name, name)) return &ts->counters[i];
    return NULL;
}

static int no_counter(const char *name, bt_error *err) {
    return bt_error_set(err, BT_ENOTFOUND,
                        "no counter named '%s' (the tester keeps counters "
                        "for this run only unless given --db)",
                        name);
}

static int counter_get(void *ud, const char *name, int64_t *out,
                       bt_error *err) {
    bt_tester_services *ts = ud;
    if (ts->store) return bt_store_counter_get(ts->store, name, out, err);
    counter *c = find_counter(ts, name);
    if (!c) return no_counter(name, err);
    *out = c->value;
    return 0;
}

static int counter_set(void *ud, const char *name, int64_t value,
                       bt_error *err) {
    bt_tester_services *ts = ud;
    if (ts->store) return bt_store_counter_set(ts->store, name, value, err);
    counter *c = find_counter(ts, name);
    if (!c) {
        ts->counters = bt_xrealloc(ts->counters, (ts->n_counters + 1) *
                                                     sizeof *ts->counters);
        c = &ts->counters[ts->n_counters++];
        c->name = bt_xstrdup(name);
    }
    c->value = value;
    return 0;
}

static int counter_add(void *ud, const char *name, int64_t delta,
                       int64_t *out, bt_error *err) {
    bt_tester_services *ts = ud;
    if (ts->store)
        return bt_store_counter_add(ts->store, name, delta, out, err);
    counter *c = find_counter(ts, name);
    if (!c) return no_counter(name, err);
    if (__builtin_add_overflow(c->value, delta, &c->value))
        return bt_error_set(err, BT_EINVAL, "counter '%s' would overflow",
                            name);
    *out = c->value;
    return 0;
}

static int schedule_get(void *ud, const char *name, char **definition,
                        bt_error *err) {
    bt_tester_services *ts = ud;
    if (!ts->store)
        return bt_error_set(err, BT_ENOTFOUND,
                            "no schedule named '%s' (the tester reads stored "
                            "schedules only with --db; or write the "
                            "schedule inline)",
                            name);
    bt_store_schedule sc;
    int rc = bt_store_schedule_get(ts->store, name, &sc, err);
    if (rc) return rc;
    *definition = bt_xstrdup(sc.definition ? sc.definition : "{}");
    bt_store_schedule_clear(&sc);
    return 0;
}

static int variable_get(void *ud, const char *name, char **value,
                        bt_error *err) {
    bt_tester_services *ts = ud;
    if (!ts->store)
        return bt_error_set(err, BT_ENOTFOUND,
                            "no variable named '%s' (the tester reads "
                            "variables only with --db)",
                            name);
    bt_store_variable v;
    int rc = bt_store_variable_get(ts->store, name, &v, err);
    if (rc) return rc;
    bool enc = v.encrypted;
    if (!enc) *value = bt_xstrndup((const char *)v.value, v.len);
    bt_store_variable_clear(&v);
    return enc ? bt_error_set(err, BT_EINVAL,
                              "variable '%s' is encrypted and cannot be "
                              "read here",
                              name)
               : 0;
}

/* ---- invoke runbook ---------------------------------------------------- */

static const bt_runbook *cached(bt_tester_services *ts, const char *key) {
    for (loaded *l = ts->runbooks; l; l = l->next)
        if (!strcmp(l->key, key)) return l->rb;
    return NULL;
}

static const bt_runbook *keep(bt_tester_services *ts, const char *key,
                              bt_runbook *rb) {
    loaded *l = bt_xcalloc(1, sizeof *l);
    l->key = bt_xstrdup(key);
    l->rb = rb;
    l->next = ts->runbooks;
    ts->runbooks = l;
    return rb;
}

static int load_failed(bt_diags *d, const char *what, bt_error *err) {
    char first[BT_ERROR_MESSAGE_MAX] = "";
    if (d->count) bt_error_format(&d->items[0], first, sizeof first);
    bt_diags_free(d);
    return bt_error_set(err, BT_EINVAL, "%s does not load: %s", what, first);
}

/* With --db, "/Folder/Name" is the stored runbook's latest version. */
static int load_stored(bt_tester_services *ts, const char *path,
                       const bt_runbook **out, bt_error *err) {
    const char *slash = strrchr(path, '/');
    char *folder = slash != path ? bt_xstrndup(path, slash - path)
                                 : bt_xstrdup("/");
    bt_store_folder f = {0};
    bt_store_runbook r = {0};
    bt_store_version v = {0};
    int rc = bt_store_folder_get(ts->store, folder, &f, NULL);
    if (rc == 0) rc = bt_store_runbook_find(ts->store, f.id, slash + 1, &r,
                                            NULL);
    if (rc == 0) rc = bt_store_version_get(ts->store, r.id, 0, &v, NULL);
    free(folder);
    bt_store_folder_clear(&f);
    bt_store_runbook_clear(&r);
    if (rc) {
        bt_store_version_clear(&v);
        return bt_error_set(err, BT_ENOTFOUND,
                            "no runbook '%s' in the store or on disk", path);
    }
    bt_diags d;
    bt_diags_init(&d);
    bt_runbook *rb = NULL;
    rc = bt_runbook_load_string(path, v.yaml, strlen(v.yaml), NULL, &rb, &d);
    bt_store_version_clear(&v);
    if (rc) return load_failed(&d, path, err);
    bt_diags_free(&d);
    *out = keep(ts, path, rb);
    return 0;
}

static int find_child_runbook(bt_tester_services *ts, bt_activity_ctx *caller,
                              const char *name, const bt_runbook **out,
                              bt_error *err) {
    const bt_runbook *parent = bt_instance_runbook(bt_act_instance(caller));
    char *path;
    if (name[0] == '/' || !parent->file) {
        path = bt_xstrdup(name);
    } else {
        char *copy = bt_xstrdup(parent->file);
        path = bt_xasprintf("%s/%s", dirname(copy), name);
        free(copy);
    }
    int rc = 0;
    if ((*out = cached(ts, path))) {
        /* loaded before */
    } else if (access(path, F_OK) == 0) {
        bt_diags d;
        bt_diags_init(&d);
        bt_runbook *rb = NULL;
        rc = bt_runbook_load_file(path, NULL, &rb, &d);
        if (rc)
            rc = load_failed(&d, path, err);
        else {
            bt_diags_free(&d);
            *out = keep(ts, path, rb);
        }
    } else if (ts->store && name[0] == '/') {
        rc = load_stored(ts, name, out, err);
    } else {
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "no runbook file '%s'%s", path,
                          name[0] == '/' ? " (stored runbooks need --db)"
                                         : "");
    }
    free(path);
    return rc;
}

static child *child_of(bt_tester_services *ts, const bt_instance *inst) {
    void *ud = bt_instance_user_data(inst);
    for (child *c = ts->children; c; c = c->next)
        if (c == ud) return c;
    return NULL;
}

static const char *status_of(const bt_instance *inst) {
    if (!bt_instance_done(inst)) return "running";
    if (bt_instance_canceled(inst)) return "canceled";
    return bt_instance_result(inst) == BT_RESULT_FAILED ? "failed"
                                                        : "completed";
}

static void report(child *c) {
    if (c->reported) return;
    c->reported = true;
    const bt_row *ret = bt_instance_returned(c->inst);
    bool done = bt_instance_done(c->inst);
    bt_invoke_result res = {
        .job_id = c->job_id,
        .status = status_of(c->inst),
        .result = done ? bt_instance_result(c->inst) : BT_RESULT_SUCCESS,
        .names = (const char *const *)ret->names,
        .values = (const char *const *)ret->values,
        .n_returned = done ? ret->count : 0};
    char *msg = NULL;
    if (!c->wait) {
        /* Not waiting: how the child ends is not the parent's result. */
    } else if (done && bt_instance_canceled(c->inst)) {
        res.error = "the child runbook was canceled";
    } else if (done && res.result == BT_RESULT_FAILED) {
        /* The first failed activity says why. */
        for (size_t i = 0; i < bt_instance_record_count(c->inst); i++) {
            const bt_activity_record *r = bt_instance_record_at(c->inst, i);
            if (r->result != BT_RESULT_FAILED) continue;
            msg = bt_xasprintf("activity '%s' failed: %s", r->def->id,
                               r->error ? r->error : "?");
            break;
        }
        res.error = msg ? msg : "the child runbook failed";
    }
    c->done(&res, c->done_ud);
    free(msg);
}

static void report_timer(uv_timer_t *t) { report(t->data); }

bool bt_tester_services_instance_finished(bt_tester_services *ts,
                                          bt_instance *inst) {
    child *c = child_of(ts, inst);
    if (!c) return false;
    if (c->wait) report(c);
    return true;
}

static int invoke(void *ud, bt_activity_ctx *caller,
                  const bt_invoke_request *req, bt_invoke_done_fn done,
                  void *done_ud, bt_invoke **out, bt_error *err) {
    bt_tester_services *ts = ud;
    child *parent = child_of(ts, bt_act_instance(caller));
    unsigned depth = parent ? parent->depth + 1 : 1;
    if (depth > MAX_DEPTH)
        return bt_error_set(err, BT_EINVAL,
                            "runbooks invoke each other more than %d deep "
                            "(does one invoke itself?)",
                            MAX_DEPTH);
    const bt_runbook *rb;
    int rc = find_child_runbook(ts, caller, req->runbook, &rb, err);
    if (rc) return rc;
    bt_param_value *pv = bt_xcalloc(req->n_params + 1, sizeof *pv);
    for (size_t i = 0; i < req->n_params; i++)
        pv[i] = (bt_param_value){req->param_names[i], req->param_values[i]};
    child *c = bt_xcalloc(1, sizeof *c);
    c->ts = ts;
    c->depth = depth;
    c->wait = req->wait;
    c->done = done;
    c->done_ud = done_ud;
    c->job_id = ++ts->next_job;
    bt_error serr = {0};
    rc = bt_engine_start(ts->eng, rb, pv, req->n_params, c, &c->inst, &serr);
    free(pv);
    if (rc) {
        free(c);
        return bt_error_set(err, -rc, "'%s' did not start: %s", req->runbook,
                            serr.message);
    }
    c->next = ts->children;
    ts->children = c;
    ts->n_children++;
    uv_timer_init(ts->loop, &c->timer);
    c->timer.data = c;
    if (!c->wait) uv_timer_start(&c->timer, report_timer, 0, 0);
    *out = (bt_invoke *)c;
    return 0;
}

static void invoke_cancel(void *ud, bt_invoke *inv) {
    (void)ud;
    child *c = (child *)inv;
    if (c->reported) return;
    bt_instance_cancel(c->inst); /* reports through instance_finished */
}

/* ---- events ------------------------------------------------------------ */

/* With --db the event goes to the store's list, with no job (the tester's
 * job ids are its own); without, it is printed so the author sees it. */
static int event_add(void *ud, bt_activity_ctx *caller, int severity,
                     const char *source, const char *message,
                     int64_t *job_id, bool *stored, bt_error *err) {
    bt_tester_services *ts = ud;
    (void)caller;
    *job_id = 0;
    *stored = false;
    if (ts->store) {
        int rc = bt_store_event_add(ts->store, (bt_severity)severity, source,
                                    message, 0, err);
        if (rc == 0) *stored = true;
        return rc;
    }
    fprintf(stderr, "baton test: event (%s) from %s: %s\n",
            bt_severity_name((bt_severity)severity), source, message);
    return 0;
}

/* ---- lifecycle --------------------------------------------------------- */

int bt_tester_services_new(uv_loop_t *loop, const char *db_url,
                           bt_tester_services **out, bt_error *err) {
    bt_tester_services *ts = bt_xcalloc(1, sizeof *ts);
    ts->loop = loop;
    if (db_url && bt_store_open(db_url, &ts->store, err) != 0) {
        free(ts);
        return -BT_EIO;
    }
    if (ts->store &&
        bt_store_variable_list(ts->store, &ts->vars, &ts->n_vars, err) != 0) {
        bt_store_close(ts->store);
        free(ts);
        return -BT_EIO;
    }
    ts->table = (bt_act_services){.ud = ts,
                                  .counter_get = counter_get,
                                  .counter_set = counter_set,
                                  .counter_add = counter_add,
                                  .schedule_get = schedule_get,
                                  .variable_get = variable_get,
                                  .invoke = invoke,
                                  .invoke_cancel = invoke_cancel,
                                  .event_add = event_add};
    *out = ts;
    return 0;
}

const bt_act_services *bt_tester_services_table(bt_tester_services *ts) {
    return &ts->table;
}

void bt_tester_services_set_engine(bt_tester_services *ts, bt_engine *eng) {
    ts->eng = eng;
}

int64_t bt_tester_services_job_id(const bt_tester_services *ts,
                                  const bt_instance *inst) {
    child *c = child_of((bt_tester_services *)ts, inst);
    return c ? c->job_id : 0;
}

const char *bt_tester_services_variable(const bt_tester_services *ts,
                                        const char *name) {
    for (size_t i = 0; i < ts->n_vars; i++)
        if (!ts->vars[i].encrypted && !strcmp(ts->vars[i].name, name))
            return (const char *)ts->vars[i].value;
    return NULL;
}

size_t bt_tester_services_children(const bt_tester_services *ts) {
    return ts->n_children;
}

static void child_closed(uv_handle_t *h) { free(h->data); }

void bt_tester_services_free(bt_tester_services *ts) {
    if (!ts) return;
    /* A child's memory goes once its timer closes (the caller runs the
     * loop again before closing it, as for every handle). */
    for (child *c = ts->children, *next; c; c = next) {
        next = c->next;
        bt_instance_free(c->inst);
        uv_close((uv_handle_t *)&c->timer, child_closed);
    }
    for (loaded *l = ts->runbooks, *next; l; l = next) {
        next = l->next;
        bt_runbook_free(l->rb);
        free(l->key);
        free(l);
    }
    for (size_t i = 0; i < ts->n_counters; i++) free(ts->counters[i].name);
    free(ts->counters);
    bt_store_variable_list_free(ts->vars, ts->n_vars);
    bt_store_close(ts->store);
    free(ts);
}
