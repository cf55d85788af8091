/* Baton's store seen as Orchestrator's entities. Each loader turns store
 * rows into JSON objects keyed by Orchestrator's property names.
 *
 * Entities Baton keeps no GUID for (runbook parameters, activities,
 * instance parameters, activity data, events, statistics) get a
 * name-based GUID derived from their parent's GUID and their name, so the
 * same parameter has the same Id across runbook versions and requests:
 * Orchestrator addresses parameters by GUID and scripts keep them.
 *
 * Paths follow Orchestrator's form, "\Runbooks\Folder\Runbook", because
 * scripts filter on them; Baton's "/Folder/Runbook" maps one to one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/odata.h"

#define EVENT_PAGE 1000

/* ---- small setters ---------------------------------------------------- */

static void put_str(json_t *o, const char *k, const char *v) {
    json_t *s = v ? json_string(v) : NULL;
    json_object_set_new(o, k, s ? s : json_null());
}

static void put_time(json_t *o, const char *k, int64_t us) {
    json_object_set_new(o, k, us > 0 ? json_integer(us) : json_null());
}

static void put_int(json_t *o, const char *k, int64_t v) {
    json_object_set_new(o, k, json_integer(v));
}

static void put_bool(json_t *o, const char *k, bool v) {
    json_object_set_new(o, k, json_boolean(v));
}

static char *orch_path(const char *path) {
    if (!path || !strcmp(path, "/")) return bt_xstrdup("\\Runbooks");
    char *p = bt_xasprintf("\\Runbooks%s", path);
    for (char *q = p; *q; q++)
        if (*q == '/') *q = '\\';
    return p;
}

/* ---- sets ------------------------------------------------------------- */

static const char *param_type(bt_value_type t) {
    switch (t) {
    case BT_TYPE_INTEGER: return "Integer";
    case BT_TYPE_NUMBER: return "Number";
    case BT_TYPE_BOOLEAN: return "Boolean";
    case BT_TYPE_DATETIME: return "Date/Time";
    case BT_TYPE_STRING: break;
    }
    return "String";
}

static bool is_monitor(const bt_runbook *def) {
    for (size_t i = 0; def && i < def->n_activities; i++)
        if (def->activities[i].type && def->activities[i].type->monitor)
            return true;
    return false;
}

int od_load_runbooks(od_ctx *c, json_t *out) {
    int rc = od_need_runbooks(c);
    if (rc) return rc;
    for (size_t i = 0; i < c->n_rbs; i++) {
        const bt_store_runbook *rb = &c->rbs[i];
        if (od_skip(c, OD_RUNBOOKS, rb->guid)) continue;
        json_t *o = json_object();
        put_str(o, "Id", rb->guid);
        bt_store_folder f = {0};
        bool have_folder = !bt_store_folder_get_id(c->s, rb->folder_id, &f,
                                                   NULL);
        put_str(o, "FolderId", have_folder ? f.guid : NULL);
        bt_store_folder_clear(&f);
        put_str(o, "Name", rb->name);
        put_str(o, "Description", rb->description);
        bt_store_version *v = NULL;
        size_t nv = 0;
        if (bt_store_version_list(c->s, rb->id, &v, &nv, NULL)) nv = 0;
        /* newest first: the last one is the first check-in */
        put_str(o, "CreatedBy", nv ? v[nv - 1].author : NULL);
        put_time(o, "CreationTime", rb->created_us);
        put_str(o, "LastModifiedBy", nv ? v[0].author : NULL);
        put_time(o, "LastModifiedTime", nv ? v[0].created_us : rb->created_us);
        bt_store_version_list_free(v, nv);
        put_bool(o, "IsMonitor", is_monitor(od_runbook_def(c, i)));
        char *p = orch_path(rb->path);
        put_str(o, "Path", p);
        free(p);
        put_str(o, "CheckedOutBy", NULL);
        put_time(o, "CheckedOutTime", 0);
        json_array_append_new(out, o);
    }
    return 0;
}

static void add_parameter(json_t *out, const char *rb_guid, const char *kind,
                          const char *name, const char *type,
                          const char *direction, const char *description) {
    char g[BT_GUID_LEN];
    od_guid_derive(rb_guid, kind, name, g);
    json_t *o = json_object();
    put_str(o, "Id", g);
    put_str(o, "RunbookId", rb_guid);
    put_str(o, "Name", name);
    put_str(o, "Type", type);
    put_str(o, "Direction", direction);
    put_str(o, "Description", description);
    json_array_append_new(out, o);
}

int od_load_runbook_parameters(od_ctx *c, json_t *out) {
    int rc = od_need_runbooks(c);
    if (rc) return rc;
    for (size_t i = 0; i < c->n_rbs; i++) {
        const bt_runbook *def = od_runbook_def(c, i);
        if (!def) continue;
        for (size_t k = 0; k < def->n_params; k++)
            add_parameter(out, c->rbs[i].guid, "parameter",
                          def->params[k].name,
                          param_type(def->params[k].type), "In",
                          def->params[k].description);
        for (size_t k = 0; k < def->n_returns; k++)
            add_parameter(out, c->rbs[i].guid, "return", def->returns[k],
                          "String", "Out", NULL);
    }
    return 0;
}

/* <Data><Parameter><ID>{guid}</ID><Value>v</Value></Parameter></Data>,
 * the shape Orchestrator stores and scripts send. */
static char *job_parameters_xml(const char *rb_guid, const char *params) {
    json_t *p = params ? json_loads(params, 0, NULL) : NULL;
    if (!json_is_object(p) || !json_object_size(p)) {
        json_decref(p);
        return NULL;
    }
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b, "<Data>");
    const char *name;
    json_t *v;
    json_object_foreach(p, name, v) {
        char g[BT_GUID_LEN];
        od_guid_derive(rb_guid, "parameter", name, g);
        bt_buf_printf(&b, "<Parameter><ID>{%s}</ID><Value>", g);
        od_xml_escape(&b, json_is_string(v) ? json_string_value(v) : "");
        bt_buf_appends(&b, "</Value></Parameter>");
    }
    bt_buf_appends(&b, "</Data>");
    json_decref(p);
    return bt_buf_detach(&b);
}

static int64_t latest(int64_t a, int64_t b, int64_t c3) {
    int64_t m = a > b ? a : b;
    return m > c3 ? m : c3;
}

json_t *od_job_entity(od_ctx *c, const bt_store_job *job) {
    const bt_store_runbook *rb = od_runbook_by_id(c, job->runbook_id, NULL);
    json_t *o = json_object();
    put_str(o, "Id", job->guid);
    put_str(o, "RunbookId", rb ? rb->guid : NULL);
    char *px = rb ? job_parameters_xml(rb->guid, job->parameters) : NULL;
    put_str(o, "Parameters", px);
    free(px);
    char *servers = NULL;
    for (size_t k = 0; k < job->n_targets; k++) {
        char *t = bt_xasprintf("%s%s%s", servers ? servers : "",
                               servers ? "," : "", job->targets[k]);
        free(servers);
        servers = t;
    }
    put_str(o, "RunbookServers", servers);
    free(servers);
    /* the store keeps the last holder of a finished job; a job
     * canceled before it ran has none */
    put_str(o, "RunbookServerId", od_server_guid(c, job->server_id));
    put_str(o, "Status", od_job_status(job->status));
    put_str(o, "ParentId", NULL);
    put_bool(o, "ParentIsWaiting", false);
    put_str(o, "CreatedBy", job->created_by);
    put_time(o, "CreationTime", job->created_us);
    put_str(o, "LastModifiedBy", job->created_by);
    put_time(o, "LastModifiedTime",
             latest(job->created_us, job->started_us, job->ended_us));
    return o;
}

/* A poll of Jobs(guid'…') reads that one job, not the table. */
static int load_one_job(od_ctx *c, const char *guid, json_t *out) {
    bt_store_job job;
    int rc = od_get_job(c, guid, &job);
    if (rc <= 0) return rc;
    json_array_append_new(out, od_job_entity(c, &job));
    bt_store_job_clear(&job);
    return 0;
}

int od_load_jobs(od_ctx *c, json_t *out) {
    int rc;
    if ((rc = od_need_runbooks(c)) || (rc = od_need_servers(c))) return rc;
    const char *key = od_scope(c, OD_JOBS, "Id");
    if (key && !c->have_jobs) return load_one_job(c, key, out);
    if ((rc = od_need_jobs(c))) return rc;
    for (size_t j = 0; j < c->n_jobs; j++) {
        if (od_skip(c, OD_JOBS, c->jobs[j].guid)) continue;
        json_array_append_new(out, od_job_entity(c, &c->jobs[j]));
    }
    return 0;
}

const char *od_instance_state_name(bt_store_instance_state st) {
    static const char *const names[] = {
        [BT_INSTANCE_ANY] = "",
        [BT_INSTANCE_RUNNING] = "InProgress",
        [BT_INSTANCE_CANCELED] = "Canceled",
        [BT_INSTANCE_SUCCEEDED] = "Success",
        [BT_INSTANCE_WARNED] = "Warning",
        [BT_INSTANCE_FAILED] = "Failed"};
    return (size_t)st < BT_ARRAY_LEN(names) ? names[st] : "";
}

static const char *instance_runbook_guid(od_ctx *c, size_t i) {
    const bt_store_runbook *rb = od_runbook_by_id(c, c->insts[i].runbook_id, NULL);
    return rb ? rb->guid : NULL;
}

json_t *od_instance_entity(od_ctx *c, const bt_store_instance *in,
                           const char *job_guid) {
    const bt_store_runbook *rb = od_runbook_by_id(c, in->runbook_id, NULL);
    json_t *o = json_object();
    put_str(o, "Id", in->guid);
    put_str(o, "RunbookId", rb ? rb->guid : NULL);
    put_str(o, "JobId", job_guid);
    put_str(o, "RunbookServerId", od_server_guid(c, in->server_id));
    put_str(o, "Status",
            od_instance_state_name(bt_store_instance_state_of(in)));
    put_time(o, "CreationTime", in->started_us);
    put_time(o, "CompletionTime", in->ended_us);
    return o;
}

/* One runbook instance (by GUID, or by id when guid is NULL) and its job,
 * for a scoped load: 1 when the caller may see them, 0 when there is none
 * or it is hidden, or -BT_E*. */
static int scoped_instance(od_ctx *c, const char *guid, int64_t id,
                           bt_store_instance *in, bt_store_job *job) {
    bt_error e = {0};
    int rc = guid ? bt_store_instance_get_guid(c->s, guid, in, &e)
                  : bt_store_instance_get(c->s, id, in, &e);
    if (!rc) {
        rc = bt_store_job_get(c->s, in->job_id, job, &e);
        if (rc) bt_store_instance_clear(in);
    }
    if (rc == -BT_ENOTFOUND || rc == -BT_EINVAL) return 0;
    if (rc) {
        c->err = e;
        return od_fail(c, rc);
    }
    /* the instances of jobs the caller may not see are not there */
    if (bt_auth_enabled(c->r) && !od_runbook_by_id(c, job->runbook_id, NULL)) {
        bt_store_instance_clear(in);
        bt_store_job_clear(job);
        return 0;
    }
    return 1;
}

/* Jobs(guid'…')/Instances, the way scripts fetch a job's result: that
 * job's instances only. */
static int load_job_instances(od_ctx *c, const char *job_guid, json_t *out) {
    bt_store_job job;
    int rc = od_get_job(c, job_guid, &job);
    if (rc <= 0) return rc;
    bt_store_instance *items = NULL;
    size_t n = 0;
    rc = bt_store_instance_list(c->s, job.id, &items, &n, &c->err);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, od_instance_entity(c, &items[i], job.guid));
    bt_store_instance_list_free(items, n);
    bt_store_job_clear(&job);
    return rc ? od_fail(c, rc) : 0;
}

int od_load_instances(od_ctx *c, json_t *out) {
    int rc;
    if ((rc = od_need_runbooks(c)) || (rc = od_need_servers(c))) return rc;
    const char *key;
    if ((key = od_scope(c, OD_RUNBOOK_INSTANCES, "JobId")))
        return load_job_instances(c, key, out);
    if ((key = od_scope(c, OD_RUNBOOK_INSTANCES, "Id"))) {
        bt_store_instance in;
        bt_store_job job;
        if ((rc = scoped_instance(c, key, 0, &in, &job)) <= 0) return rc;
        json_array_append_new(out, od_instance_entity(c, &in, job.guid));
        bt_store_instance_clear(&in);
        bt_store_job_clear(&job);
        return 0;
    }
    if ((rc = od_need_instances(c))) return rc;
    for (size_t i = 0; i < c->n_insts; i++)
        json_array_append_new(
            out, od_instance_entity(c, &c->insts[i],
                                    c->jobs[c->inst_job[i]].guid));
    return 0;
}

static void add_instance_params(json_t *out, const char *inst_guid,
                                const char *rb_guid, const char *text,
                                const char *kind, const char *direction) {
    json_t *p = text ? json_loads(text, 0, NULL) : NULL;
    const char *name;
    json_t *v;
    json_object_foreach(p, name, v) {
        char id[BT_GUID_LEN], pid[BT_GUID_LEN];
        od_guid_derive(inst_guid, direction, name, id);
        od_guid_derive(rb_guid ? rb_guid : OD_NULL_GUID, kind, name, pid);
        json_t *o = json_object();
        put_str(o, "Id", id);
        put_str(o, "RunbookInstanceId", inst_guid);
        put_str(o, "RunbookParameterId", pid);
        put_str(o, "Name", name);
        char *txt = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        put_str(o, "Value", txt ? txt : json_string_value(v));
        free(txt);
        put_str(o, "Direction", direction);
        put_int(o, "GroupId", 0);
        json_array_append_new(out, o);
    }
    json_decref(p);
}

static void add_instance_in_out(od_ctx *c, json_t *out,
                                const bt_store_instance *in,
                                const bt_store_job *job) {
    const bt_store_runbook *rb = od_runbook_by_id(c, in->runbook_id, NULL);
    const char *rbg = rb ? rb->guid : NULL;
    add_instance_params(out, in->guid, rbg, job->parameters, "parameter", "In");
    add_instance_params(out, in->guid, rbg, in->return_data, "return", "Out");
}

int od_load_instance_parameters(od_ctx *c, json_t *out) {
    int rc;
    if ((rc = od_need_runbooks(c))) return rc;
    const char *key = od_scope(c, OD_RUNBOOK_INSTANCE_PARAMETERS,
                               "RunbookInstanceId");
    if (key) {
        bt_store_instance in;
        bt_store_job job;
        if ((rc = scoped_instance(c, key, 0, &in, &job)) <= 0) return rc;
        add_instance_in_out(c, out, &in, &job);
        bt_store_instance_clear(&in);
        bt_store_job_clear(&job);
        return 0;
    }
    if ((rc = od_need_instances(c))) return rc;
    for (size_t i = 0; i < c->n_insts; i++)
        add_instance_in_out(c, out, &c->insts[i], &c->jobs[c->inst_job[i]]);
    return 0;
}

json_t *od_activity_entity(const bt_store_activity *a, const char *inst_guid,
                           const char *rb_guid) {
    char aid[BT_GUID_LEN];
    od_guid_derive(rb_guid ? rb_guid : OD_NULL_GUID, "activity",
                   a->activity_id, aid);
    json_t *o = json_object();
    put_str(o, "Id", a->guid);
    put_str(o, "RunbookInstanceId", inst_guid);
    put_str(o, "ActivityId", aid);
    put_int(o, "SequenceNumber", (int64_t)a->seq);
    put_str(o, "Status", bt_result_name(a->result));
    put_time(o, "StartTime", (int64_t)a->start_us);
    put_time(o, "EndTime", (int64_t)a->end_us);
    return o;
}

static void add_activity_data(json_t *out, const bt_store_activity *a) {
    for (size_t k = 0; k < a->n_data; k++) {
        const bt_store_value *v = &a->data[k];
        char key[64 + 256];
        snprintf(key, sizeof key, "%u:%s", v->row, v->name);
        char g[BT_GUID_LEN];
        od_guid_derive(a->guid, "data", key, g);
        json_t *o = json_object();
        put_str(o, "Id", g);
        put_str(o, "ActivityInstanceId", a->guid);
        put_str(o, "Name", v->name);
        put_str(o, "Value", v->value);
        put_int(o, "GroupId", v->row);
        json_array_append_new(out, o);
    }
}

/* One activity instance by GUID when the caller may see its runbook
 * instance: 1, 0 (none, or hidden) or -BT_E*; *in is its instance. */
static int scoped_activity(od_ctx *c, const char *guid, bt_store_activity *a,
                           bt_store_instance *in) {
    bt_error e = {0};
    int rc = bt_store_activity_get_guid(c->s, guid, a, &e);
    if (rc == -BT_ENOTFOUND || rc == -BT_EINVAL) return 0;
    if (rc) {
        c->err = e;
        return od_fail(c, rc);
    }
    bt_store_job job;
    rc = scoped_instance(c, NULL, a->instance_id, in, &job);
    if (rc > 0) bt_store_job_clear(&job);
    else bt_store_activity_clear(a);
    return rc;
}

/* The activity instances of one runbook instance, or one of them. */
static int load_scoped_activities(od_ctx *c, const char *inst_guid,
                                  const char *guid, json_t *out) {
    bt_store_instance in;
    bt_store_activity *items = NULL;
    size_t n = 0;
    int rc;
    if (guid) {
        items = bt_xcalloc(1, sizeof *items);
        rc = scoped_activity(c, guid, items, &in);
        n = rc > 0;
    } else {
        bt_store_job job;
        rc = scoped_instance(c, inst_guid, 0, &in, &job);
        if (rc > 0) {
            bt_store_job_clear(&job);
            int lrc = bt_store_activity_list(c->s, in.id, 0, &items, &n,
                                             &c->err);
            if (lrc) rc = od_fail(c, lrc);
        }
    }
    if (rc > 0) {
        const bt_store_runbook *rb = od_runbook_by_id(c, in.runbook_id, NULL);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(out, od_activity_entity(&items[i], in.guid,
                                                       rb ? rb->guid : NULL));
        bt_store_instance_clear(&in);
    }
    bt_store_activity_list_free(items, n);
    return rc < 0 ? rc : 0;
}

int od_load_activity_instances(od_ctx *c, json_t *out) {
    int rc;
    if ((rc = od_need_runbooks(c))) return rc;
    const char *key = od_scope(c, OD_ACTIVITY_INSTANCES, "Id");
    const char *inst = od_scope(c, OD_ACTIVITY_INSTANCES, "RunbookInstanceId");
    if (key || inst) return load_scoped_activities(c, inst, key, out);
    if ((rc = od_need_acts(c))) return rc;
    for (size_t i = 0; i < c->n_acts; i++)
        json_array_append_new(
            out, od_activity_entity(&c->acts[i], c->insts[c->act_inst[i]].guid,
                                 instance_runbook_guid(c, c->act_inst[i])));
    return 0;
}

int od_load_activity_data(od_ctx *c, json_t *out) {
    int rc;
    const char *key = od_scope(c, OD_ACTIVITY_INSTANCE_DATA,
                               "ActivityInstanceId");
    if (key) {
        if ((rc = od_need_runbooks(c))) return rc;
        bt_store_activity a;
        bt_store_instance in;
        if ((rc = scoped_activity(c, key, &a, &in)) <= 0) return rc;
        add_activity_data(out, &a);
        bt_store_activity_clear(&a);
        bt_store_instance_clear(&in);
        return 0;
    }
    if ((rc = od_need_acts(c))) return rc;
    for (size_t i = 0; i < c->n_acts; i++) add_activity_data(out, &c->acts[i]);
    return 0;
}

/* A layered layout: column = longest link path from a start activity
 * (loop links ignored), row = order within the column. The diagram and
 * PositionX/PositionY agree. */
void od_layout(const bt_runbook *def, int *x, int *y) {
    size_t n = def->n_activities;
    int *depth = bt_xcalloc(n + 1, sizeof *depth);
    for (size_t pass = 0; pass < n; pass++) {
        bool changed = false;
        for (size_t l = 0; l < def->n_links; l++) {
            const bt_link_def *lk = &def->links[l];
            if (lk->loop_guard) continue;
            if (depth[lk->to] < depth[lk->from] + 1 &&
                depth[lk->from] + 1 < (int)n) {
                depth[lk->to] = depth[lk->from] + 1;
                changed = true;
            }
        }
        if (!changed) break;
    }
    int *rows = bt_xcalloc(n + 1, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        x[i] = 40 + depth[i] * 200;
        y[i] = 40 + rows[depth[i]]++ * 100;
    }
    free(rows);
    free(depth);
}

int od_load_activities(od_ctx *c, json_t *out) {
    int rc = od_need_runbooks(c);
    if (rc) return rc;
    for (size_t i = 0; i < c->n_rbs; i++) {
        const bt_runbook *def = od_runbook_def(c, i);
        if (!def) continue;
        int *x = bt_xcalloc(def->n_activities + 1, sizeof *x);
        int *y = bt_xcalloc(def->n_activities + 1, sizeof *y);
        od_layout(def, x, y);
        for (size_t k = 0; k < def->n_activities; k++) {
            const bt_activity_def *a = &def->activities[k];
            char g[BT_GUID_LEN];
            od_guid_derive(c->rbs[i].guid, "activity", a->id, g);
            json_t *o = json_object();
            put_str(o, "Id", g);
            put_str(o, "RunbookId", c->rbs[i].guid);
            put_str(o, "Name", a->name ? a->name : a->id);
            put_str(o, "TypeName", a->type_name);
            put_str(o, "Description", NULL);
            put_str(o, "CreatedBy", NULL);
            put_time(o, "CreationTime", c->rbs[i].created_us);
            put_str(o, "LastModifiedBy", NULL);
            put_time(o, "LastModifiedTime", c->rbs[i].created_us);
            put_bool(o, "HasBreakpoint", false);
            /* where the designer (or Orchestrator, for an imported
             * runbook) drew it; else the layout the diagram uses */
            int px = x[k], py = y[k];
            if (a->has_position)
                bt_runbook_position_to_orchestrator(a->x, a->y, &px, &py);
            put_int(o, "PositionX", px);
            put_int(o, "PositionY", py);
            put_bool(o, "Enabled", true);
            json_array_append_new(out, o);
        }
        free(x);
        free(y);
    }
    return 0;
}

int od_load_servers(od_ctx *c, json_t *out) {
    int rc = od_need_servers(c);
    if (rc) return rc;
    for (size_t i = 0; i < c->n_servers; i++) {
        const bt_store_server *sv = &c->servers[i];
        json_t *o = json_object();
        put_str(o, "Id", sv->guid);
        put_str(o, "Name", sv->name);
        char *d = bt_xasprintf("Baton runbook server %s (%s)",
                               sv->version ? sv->version : "",
                               sv->up ? "up" : "lease lapsed");
        put_str(o, "Description", d);
        free(d);
        json_array_append_new(out, o);
    }
    return 0;
}

static void add_folder(json_t *out, const bt_store_folder *f,
                       const char *parent_guid) {
    json_t *o = json_object();
    put_str(o, "Id", f->guid);
    put_str(o, "ParentId", parent_guid);
    put_str(o, "Name", f->parent_id ? f->name : "Runbooks");
    put_str(o, "Description", NULL);
    put_str(o, "CreatedBy", NULL);
    put_time(o, "CreationTime", f->created_us);
    put_str(o, "LastModifiedBy", NULL);
    put_time(o, "LastModifiedTime", f->created_us);
    char *p = orch_path(f->path);
    put_str(o, "Path", p);
    free(p);
    json_array_append_new(out, o);
}

static int load_subfolders(od_ctx *c, const bt_store_folder *parent,
                           json_t *out, int depth) {
    if (depth > 64) return 0; /* the store forbids cycles; be sure */
    bt_store_folder *items = NULL;
    size_t n = 0;
    int rc = bt_store_folder_list(c->s, parent->id, &items, &n, &c->err);
    if (rc) return od_fail(c, rc);
    for (size_t i = 0; i < n && !rc; i++) {
        add_folder(out, &items[i], parent->guid);
        rc = load_subfolders(c, &items[i], out, depth + 1);
    }
    bt_store_folder_list_free(items, n);
    return rc;
}

int od_load_folders(od_ctx *c, json_t *out) {
    bt_store_folder root = {0};
    int rc = bt_store_folder_get(c->s, "/", &root, NULL);
    if (rc == -BT_ENOTFOUND) return 0;
    if (rc) return od_fail(c, rc);
    add_folder(out, &root, OD_NULL_GUID);
    rc = load_subfolders(c, &root, out, 0);
    bt_store_folder_clear(&root);
    return rc;
}

static const char *event_type(bt_severity sev) {
    switch (sev) {
    case BT_SEVERITY_WARNING: return "Warning";
    case BT_SEVERITY_ERROR: return "Error";
    case BT_SEVERITY_INFO: break;
    }
    return "Information";
}

int od_load_events(od_ctx *c, json_t *out) {
    int rc = od_need_servers(c);
    if (rc) return rc;
    int64_t after = 0;
    for (;;) {
        bt_store_event *ev = NULL;
        size_t n = 0;
        rc = bt_store_event_list(c->s, 0, after, EVENT_PAGE, &ev, &n, &c->err);
        if (rc) return od_fail(c, rc);
        for (size_t i = 0; i < n; i++) {
            char id[24], g[BT_GUID_LEN];
            snprintf(id, sizeof id, "%lld", (long long)ev[i].id);
            od_guid_derive(OD_NULL_GUID, "event", id, g);
            const char *src = NULL;
            for (size_t k = 0; ev[i].source && k < c->n_servers; k++)
                if (!strcmp(c->servers[k].name, ev[i].source))
                    src = c->servers[k].guid;
            json_t *o = json_object();
            put_str(o, "Id", g);
            put_str(o, "Type", event_type(ev[i].severity));
            const char *msg = ev[i].message ? ev[i].message : "";
            char *summary = bt_xstrndup(msg, strcspn(msg, "\n"));
            put_str(o, "Summary", summary);
            free(summary);
            put_str(o, "Description", msg);
            put_str(o, "SourceId", src);
            put_str(o, "SourceName", ev[i].source);
            put_time(o, "CreationTime", ev[i].time_us);
            json_array_append_new(out, o);
            after = ev[i].id;
        }
        bt_store_event_list_free(ev, n);
        if (n < EVENT_PAGE) break;
    }
    return 0;
}

/* Job counts per runbook and status since the first job: what the
 * Orchestration console's summary page shows. */
int od_load_statistics(od_ctx *c, json_t *out) {
    int rc;
    if ((rc = od_need_runbooks(c)) || (rc = od_need_jobs(c))) return rc;
    int64_t now = (int64_t)bt_store_now(c->s);
    for (size_t i = 0; i < c->n_rbs; i++) {
        long long counts[BT_JOB_CANCELED + 1] = {0};
        int64_t first = 0;
        for (size_t j = 0; j < c->n_jobs; j++) {
            if (c->jobs[j].runbook_id != c->rbs[i].id) continue;
            counts[c->jobs[j].status]++;
            if (!first || c->jobs[j].created_us < first)
                first = c->jobs[j].created_us;
        }
        if (!first) continue;
        char *path = orch_path(c->rbs[i].path);
        for (int st = BT_JOB_PENDING; st <= BT_JOB_CANCELED; st++) {
            const char *crit = od_job_status((bt_job_status)st);
            char g[BT_GUID_LEN];
            od_guid_derive(c->rbs[i].guid, "statistic", crit, g);
            json_t *o = json_object();
            put_str(o, "Id", g);
            put_str(o, "ResourceId", c->rbs[i].guid);
            put_str(o, "ResourceType", "Runbook");
            put_str(o, "Counter", "Jobs");
            put_str(o, "Criteria", crit);
            put_int(o, "Value", counts[st]);
            put_time(o, "StartTime", first);
            put_time(o, "EndTime", now);
            put_str(o, "RunbookId", c->rbs[i].guid);
            put_str(o, "RunbookPath", path);
            json_array_append_new(out, o);
        }
        free(path);
    }
    return 0;
}

int od_load_diagrams(od_ctx *c, json_t *out) {
    int rc = od_need_runbooks(c);
    if (rc) return rc;
    for (size_t i = 0; i < c->n_rbs; i++) {
        if (!c->rbs[i].latest_version) continue;
        json_t *o = json_object();
        put_str(o, "RunbookId", c->rbs[i].guid);
        put_str(o, "ContentType", "image/svg+xml");
        bt_store_version v = {0};
        int64_t t = c->rbs[i].created_us;
        if (!bt_store_version_get(c->s, c->rbs[i].id, 0, &v, NULL))
            t = v.created_us;
        bt_store_version_clear(&v);
        put_time(o, "LastModifiedTime", t);
        json_array_append_new(out, o);
    }
    return 0;
}
