/* What a job left behind, one level at a time: a runbook's diagram (the
 * graph the console draws), a job's runbook instances, one instance with
 * its activity instances, one activity instance with its published data
 * rows. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/cond.h"
#include "web/auth.h"
#include "web/auth.h"
#include "web/web_internal.h"

/* Activity instances are found by id by walking jobs, instances and
 * activities (the store has no lookup by activity instance id yet); this
 * bounds the walk. */
#define FIND_ACTIVITY_MAX_INSTANCES 20000
#define JOB_PAGE 500

/* ---- GET /api/runbooks/{id}/diagram ------------------------------------ */

/* A property tree as JSON: scalars as their text, maps and lists as such. */
static json_t *node_json(const bt_node *n, int depth) {
    if (!n) return json_null();
    if (depth > 32) return json_null();
    if (n->kind == BT_NODE_SCALAR) {
        json_t *v = json_stringn(n->str, n->len);
        return v ? v : json_null();
    }
    if (n->kind == BT_NODE_SEQ) {
        json_t *a = json_array();
        for (size_t i = 0; i < n->count; i++)
            json_array_append_new(a, node_json(n->items[i], depth + 1));
        return a;
    }
    if (n->kind == BT_NODE_MAP) {
        json_t *o = json_object();
        for (size_t i = 0; i < n->count; i++)
            json_object_set_new(o, n->keys[i]->str,
                                node_json(n->items[i], depth + 1));
        return o;
    }
    return json_null();
}

static json_t *conds_json(bt_cond *const *c, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(bt_cond_source(c[i])));
    return a;
}

static json_t *on_json(unsigned mask) {
    json_t *a = json_array();
    if (mask & BT_ON_SUCCESS) json_array_append_new(a, json_string("success"));
    if (mask & BT_ON_WARNING) json_array_append_new(a, json_string("warning"));
    if (mask & BT_ON_FAILED) json_array_append_new(a, json_string("failed"));
    return a;
}

static json_t *diagram_json(const bt_store_runbook *rb, int version,
                            const bt_runbook *def) {
    json_t *acts = json_array();
    for (size_t i = 0; i < def->n_activities; i++) {
        const bt_activity_def *a = &def->activities[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:i}", "id", a->id, "name",
                              a->name ? a->name : a->id, "type", a->type_name,
                              "line", a->line);
        json_object_set_new(o, "properties",
                            a->properties ? node_json(a->properties, 0)
                                          : json_object());
        json_object_set_new(o, "flatten", json_boolean(a->flatten));
        json_object_set_new(o, "timeout_ms",
                            json_integer((json_int_t)a->timeout_ms));
        json_object_set_new(
            o, "retry",
            a->retry.enabled
                ? json_pack("{s:i, s:I, s:o}", "max", (int)a->retry.max_attempts,
                            "delay_ms", (json_int_t)a->retry.delay_ms, "until",
                            a->retry.until
                                ? json_string(bt_cond_source(a->retry.until))
                                : json_null())
                : json_null());
        /* where the designer drew it, so every diagram shows the same */
        if (a->has_position)
            json_object_set_new(o, "position",
                                json_pack("{s:i, s:i}", "x", a->x, "y", a->y));
        json_array_append_new(acts, o);
    }
    json_t *links = json_array();
    for (size_t i = 0; i < def->n_links; i++) {
        const bt_link_def *l = &def->links[i];
        json_t *o = json_pack("{s:s, s:s}", "from",
                              def->activities[l->from].id, "to",
                              def->activities[l->to].id);
        json_object_set_new(o, "name", l->name ? json_string(l->name)
                                               : json_null());
        json_object_set_new(o, "on", on_json(l->on_mask));
        json_object_set_new(o, "include", conds_json(l->include, l->n_include));
        json_object_set_new(o, "exclude", conds_json(l->exclude, l->n_exclude));
        json_object_set_new(o, "loop_guard", json_integer(l->loop_guard));
        json_array_append_new(links, o);
    }
    return json_pack("{s:I, s:s, s:i, s:o, s:o, s:o}", "runbook_id",
                     (json_int_t)rb->id, "path", rb->path, "version", version,
                     "parameters", bt_web_params_json(def), "activities",
                     acts, "links", links);
}

void bt_web_runbooks_diagram(bt_web_req *r) {
    static const char *const allowed[] = {"version", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    int64_t version = 0;
    const char *q = bt_web_query(r, "version");
    if (q && *q && !bt_web_parse_id(r, q, "version", &version)) return;
    bt_store_runbook rb = {0};
    json_t *ref = json_string(r->captures[0]);
    bool ok = ref && bt_web_resolve_runbook(r, ref, "id", &rb);
    json_decref(ref);
    if (!ok) {
        if (!r->status)
            bt_web_error(r, 400, "invalid_parameter", "id",
                         "runbook id is not valid UTF-8");
        return;
    }
    if (!bt_auth_can(r, rb.folder_id, BT_RIGHT_VIEW)) {
        if (!r->status)
            bt_web_error(r, 404, "not_found", "id", "no runbook '%s'",
                         r->captures[0]);
    } else if (!rb.latest_version) {
        bt_web_error(r, 409, "no_version", "id",
                     "runbook '%s' has no checked-in version to draw", rb.path);
    } else if (version > rb.latest_version) {
        bt_web_error(r, 404, "not_found", "version",
                     "runbook '%s' has no version %lld (latest is %d)",
                     rb.path, (long long)version, rb.latest_version);
    } else {
        int v = version ? (int)version : rb.latest_version;
        const bt_runbook *def = bt_web_load_version(r, rb.id, v);
        if (def) bt_web_reply(r, 200, diagram_json(&rb, v, def));
        bt_web_release_version(r, def);
    }
    bt_store_runbook_clear(&rb);
}

/* ---- instances -------------------------------------------------------- */

/* The definition a job ran, to name activity types; NULL when it no
 * longer loads (the data is shown without names then). Give it back with
 * bt_web_release_version. */
static const bt_runbook *instance_def(bt_web_req *r,
                                      const bt_store_instance *in) {
    bt_store_job job = {0};
    const bt_runbook *def = NULL;
    if (!bt_store_job_get(r->store, in->job_id, &job, NULL))
        def = bt_web_defs_take(r->web->defs, r->store, job.runbook_id,
                               job.runbook_version, NULL);
    bt_store_job_clear(&job);
    return def;
}

static json_t *activities_json(bt_web_req *r, int64_t instance_id,
                               const bt_runbook *def, int *rc,
                               bt_error *err) {
    bt_store_activity *acts = NULL;
    size_t n = 0;
    *rc = BT_WEB_TIMED(r, bt_store_activity_list(r->store, instance_id, 0,
                                                 &acts, &n, err));
    if (*rc) return NULL;
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(a, bt_web_activity_json(&acts[k], def));
    bt_store_activity_list_free(acts, n);
    return a;
}

/* GET /api/jobs/{id}/instances: the job's runbook instances, oldest first,
 * each with how many activity instances it committed. */
void bt_web_jobs_instances(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return;
    if (!bt_auth_job_check(r, id, BT_RIGHT_VIEW)) return;
    bt_store *s = bt_web_store(r);
    if (!s || !bt_auth_job_check(r, id, BT_RIGHT_VIEW)) return;
    bt_store_job job = {0};
    bt_error err = {0};
    int rc = BT_WEB_TIMED(r, bt_store_job_get(s, id, &job, &err));
    bt_store_job_clear(&job);
    if (rc == -BT_ENOTFOUND) {
        bt_web_error(r, 404, "not_found", "id", "no job with id %lld",
                     (long long)id);
        return;
    }
    bt_store_instance *items = NULL;
    size_t n = 0;
    if (!rc) rc = BT_WEB_TIMED(r, bt_store_instance_list(s, id, &items, &n, &err));
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *o = bt_web_instance_json(&items[i]);
        bt_store_activity *acts = NULL;
        size_t n_acts = 0;
        rc = BT_WEB_TIMED(r, bt_store_activity_list(s, items[i].id, 0, &acts,
                                                    &n_acts, &err));
        bt_store_activity_list_free(acts, n_acts);
        json_object_set_new(o, "activity_count", json_integer((json_int_t)n_acts));
        json_array_append_new(a, o);
    }
    bt_store_instance_list_free(items, n);
    if (rc) {
        json_decref(a);
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    bt_web_reply(r, 200, json_pack("{s:o}", "items", a));
}

/* Whether the caller may view runbook_id's folder (answers 500 itself
 * when the store cannot say). */
static bool viewable(bt_web_req *r, int64_t runbook_id) {
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) return false;
    return sc.all || bt_auth_scope_runbook(r, &sc, runbook_id, BT_RIGHT_VIEW);
}

/* Answers 404/500 and returns false when the instance is not there (or
 * the caller may not view it: the same 404). */
static bool get_instance(bt_web_req *r, bt_store_instance *out) {
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return false;
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_error err = {0};
    int rc = BT_WEB_TIMED(r, bt_store_instance_get(s, id, out, &err));
    /* an instance of a runbook the caller may not view is not there */
    bt_auth_scope sc;
    if (!rc && !bt_auth_scope_open(r, &sc)) {
        bt_store_instance_clear(out);
        return false;
    }
    if (!rc && !bt_auth_scope_runbook(r, &sc, out->runbook_id, BT_RIGHT_VIEW)) {
        bt_store_instance_clear(out);
        if (r->status) return false;
        rc = -BT_ENOTFOUND;
    }
    if (rc == -BT_ENOTFOUND)
        bt_web_error(r, 404, "not_found", "id",
                     "no runbook instance with id %lld", (long long)id);
    else if (rc)
        bt_web_error_from(r, rc, &err, "id");
    if (!rc && !viewable(r, out->runbook_id)) {
        bt_web_error(r, 404, "not_found", "id",
                     "no runbook instance with id %lld", (long long)id);
        bt_store_instance_clear(out);
        return false;
    }
    return !rc;
}

/* GET /api/instances/{id}: the instance with its activity instances. */
void bt_web_instances_get(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    bt_store_instance in = {0};
    if (!get_instance(r, &in)) return;
    const bt_runbook *def = instance_def(r, &in);
    int rc = 0;
    bt_error err = {0};
    json_t *acts = activities_json(r, in.id, def, &rc, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
    } else {
        json_t *o = bt_web_instance_json(&in);
        json_object_set_new(o, "activities", acts);
        bt_web_reply(r, 200, o);
    }
    bt_web_release_version(r, def);
    bt_store_instance_clear(&in);
}

/* GET /api/instances/{id}/activities */
void bt_web_instances_activities(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    bt_store_instance in = {0};
    if (!get_instance(r, &in)) return;
    const bt_runbook *def = instance_def(r, &in);
    int rc = 0;
    bt_error err = {0};
    json_t *acts = activities_json(r, in.id, def, &rc, &err);
    if (rc)
        bt_web_error_from(r, rc, &err, NULL);
    else
        bt_web_reply(r, 200, json_pack("{s:o}", "items", acts));
    bt_web_release_version(r, def);
    bt_store_instance_clear(&in);
}

/* ---- GET /api/activity-instances/{id} ---------------------------------- */

/* Walks jobs (oldest first), their instances and activity instances for
 * the one with this id. -BT_ENOTFOUND when absent; -BT_ETOOBIG when the
 * walk gave up. */
static int find_activity(bt_web_req *r, int64_t id, bt_store_activity **out,
                         bt_store_instance *out_in, bt_error *err) {
    bt_store *s = r->store;
    bt_store_job_filter f = {.any_status = true, .limit = JOB_PAGE};
    size_t walked = 0;
    for (;;) {
        bt_store_job *jobs = NULL;
        size_t n_jobs = 0;
        int64_t next = 0;
        int rc = BT_WEB_TIMED(r, bt_store_job_list(s, &f, &jobs, &n_jobs,
                                                   &next, err));
        if (rc) return rc;
        for (size_t j = 0; j < n_jobs && !rc; j++) {
            bt_store_instance *ins = NULL;
            size_t n_ins = 0;
            rc = BT_WEB_TIMED(r, bt_store_instance_list(s, jobs[j].id, &ins,
                                                        &n_ins, err));
            for (size_t i = 0; i < n_ins && !rc; i++) {
                if (++walked > FIND_ACTIVITY_MAX_INSTANCES) {
                    rc = -BT_ETOOBIG;
                    break;
                }
                bt_store_activity *acts = NULL;
                size_t n_acts = 0;
                rc = BT_WEB_TIMED(r, bt_store_activity_list(
                                         s, ins[i].id, 0, &acts, &n_acts, err));
                for (size_t k = 0; k < n_acts && !rc; k++) {
                    if (acts[k].id != id) continue;
                    bt_store_activity *a = bt_xcalloc(1, sizeof *a);
                    *a = acts[k]; /* take it over */
                    memset(&acts[k], 0, sizeof acts[k]);
                    *out = a;
                    *out_in = ins[i];
                    memset(&ins[i], 0, sizeof ins[i]);
                    rc = 1;
                }
                bt_store_activity_list_free(acts, n_acts);
            }
            bt_store_instance_list_free(ins, n_ins);
        }
        bt_store_job_list_free(jobs, n_jobs);
        if (rc == 1) return 0;
        if (rc) return rc;
        if (!next) return -BT_ENOTFOUND;
        f.after_id = next;
    }
}

void bt_web_activity_instances_get(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return;
    if (!bt_web_store(r)) return;
    bt_store_activity *a = NULL;
    bt_store_instance in = {0};
    bt_error err = {0};
    int rc = find_activity(r, id, &a, &in, &err);
    /* an activity of a runbook the caller may not view is not there */
    bt_auth_scope sc;
    if (!rc && bt_auth_scope_open(r, &sc) &&
        !bt_auth_scope_runbook(r, &sc, in.runbook_id, BT_RIGHT_VIEW) &&
        !r->status)
        rc = -BT_ENOTFOUND;
    if (r->status) {
        /* answered already */
    } else if (rc == -BT_ENOTFOUND) {
        bt_web_error(r, 404, "not_found", "id",
                     "no activity instance with id %lld", (long long)id);
    } else if (rc == -BT_ETOOBIG) {
        bt_web_error(r, 404, "not_found", "id",
                     "activity instance %lld not found among the first %d "
                     "runbook instances; look it up through "
                     "/api/instances/{id}/activities",
                     (long long)id, FIND_ACTIVITY_MAX_INSTANCES);
    } else if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
    } else if (!viewable(r, in.runbook_id)) {
        if (!r->status)
            bt_web_error(r, 404, "not_found", "id",
                         "no activity instance with id %lld", (long long)id);
    } else {
        const bt_runbook *def = instance_def(r, &in);
        json_t *o = bt_web_activity_json(a, def);
        json_object_set_new(o, "job_id", json_integer(in.job_id));
        bt_web_reply(r, 200, o);
        bt_web_release_version(r, def);
    }
    if (a) {
        bt_store_activity_clear(a);
        free(a);
    }
    bt_store_instance_clear(&in);
}
