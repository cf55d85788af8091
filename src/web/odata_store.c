/* The store as the OData endpoint reads it: each kind of row (runbooks,
 * servers, jobs, instances, activity instances) is read once per request
 * and shared by every entity set and join that needs it; the entity sets
 * are built from these rows once and kept for the request. Also the GUIDs
 * Baton derives for entities it keeps none for. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/odata.h"

#define JOB_PAGE 500

/* ---- GUIDs ------------------------------------------------------------ */

void od_guid_derive(const char *ns, const char *kind, const char *name,
                    char out[BT_GUID_LEN]) {
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)ns, strlen(ns) + 1);
    crypto_generichash_update(&st, (const unsigned char *)kind,
                              strlen(kind) + 1);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, h, sizeof h);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50); /* version 5: name-based */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, BT_GUID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9],
             h[10], h[11], h[12], h[13], h[14], h[15]);
}

bool od_guid_parse(const char *text, size_t len, char out[BT_GUID_LEN]) {
    while (len && (*text == ' ' || *text == '\t' || *text == '\n' ||
                   *text == '\r')) {
        text++;
        len--;
    }
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
                   text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len == 38 && text[0] == '{' && text[37] == '}') {
        text++;
        len -= 2;
    }
    if (len != 36) return false;
    for (size_t i = 0; i < 36; i++) {
        char ch = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-') return false;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                     (ch >= 'A' && ch <= 'F'))) {
            return false;
        }
        out[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
    }
    out[36] = '\0';
    return true;
}

char *od_param_guid(const char *runbook_guid, const char *name) {
    char g[BT_GUID_LEN];
    od_guid_derive(runbook_guid, "parameter", name, g);
    return bt_xstrdup(g);
}

const char *od_job_status(bt_job_status st) {
    switch (st) {
    case BT_JOB_PENDING: return "Pending";
    case BT_JOB_RUNNING: return "Running";
    case BT_JOB_COMPLETED: return "Completed";
    case BT_JOB_FAILED: return "Failed";
    case BT_JOB_CANCELED: return "Canceled";
    }
    return "Pending";
}

/* ---- rows read once ------------------------------------------------------- */

int od_need_runbooks(od_ctx *c) {
    if (c->have_runbooks) return 0;
    int rc = bt_store_runbook_list(c->s, 0, &c->rbs, &c->n_rbs, &c->err);
    if (rc) return od_fail(c, rc);
    /* what the caller may not view is not there for them at all */
    bt_auth_scope sc;
    if (!bt_auth_scope_open(c->r, &sc))
        return od_fail(c, bt_error_set(&c->err, BT_EIO, "cannot read the "
                                                        "caller's rights"));
    size_t kept = 0;
    for (size_t i = 0; i < c->n_rbs; i++) {
        if (bt_auth_scope_can(c->r, &sc, c->rbs[i].folder_id, BT_RIGHT_VIEW))
            c->rbs[kept++] = c->rbs[i];
        else
            bt_store_runbook_clear(&c->rbs[i]);
    }
    c->n_rbs = kept;
    c->defs = bt_xcalloc(c->n_rbs + 1, sizeof *c->defs);
    c->def_tried = bt_xcalloc(c->n_rbs + 1, sizeof *c->def_tried);
    c->have_runbooks = true;
    return 0;
}

const bt_runbook *od_runbook_def(od_ctx *c, size_t idx) {
    if (c->def_tried[idx]) return c->defs[idx];
    c->def_tried[idx] = true;
    const bt_store_runbook *rb = &c->rbs[idx];
    if (!rb->latest_version) return NULL;
    c->defs[idx] = bt_web_defs_take(c->r->web->defs, c->s, rb->id,
                                    rb->latest_version, NULL);
    return c->defs[idx];
}

int od_find_runbook(od_ctx *c, const char *guid, size_t *idx) {
    int rc = od_need_runbooks(c);
    if (rc) return rc;
    for (size_t i = 0; i < c->n_rbs; i++)
        if (!strcasecmp(c->rbs[i].guid, guid)) {
            *idx = i;
            return 0;
        }
    return -BT_ENOTFOUND;
}

const bt_store_runbook *od_runbook_by_id(od_ctx *c, int64_t id,
                                             size_t *idx) {
    for (size_t i = 0; i < c->n_rbs; i++)
        if (c->rbs[i].id == id) {
            if (idx) *idx = i;
            return &c->rbs[i];
        }
    return NULL;
}

int od_need_servers(od_ctx *c) {
    if (c->have_servers) return 0;
    int rc = bt_store_server_list(c->s, &c->servers, &c->n_servers, &c->err);
    if (rc) return od_fail(c, rc);
    c->have_servers = true;
    return 0;
}

char *od_visible_runbook_ids(od_ctx *c) {
    if (!bt_auth_enabled(c->r)) return NULL;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appendc(&b, ',');
    for (size_t i = 0; i < c->n_rbs; i++)
        bt_buf_printf(&b, "%lld,", (long long)c->rbs[i].id);
    return bt_buf_detach(&b);
}

int64_t od_server_id(od_ctx *c, const char *text, size_t len) {
    char g[BT_GUID_LEN];
    if (len != BT_GUID_LEN - 1 || !od_guid_parse(text, len, g)) return 0;
    for (size_t i = 0; i < c->n_servers; i++)
        if (!strcmp(c->servers[i].guid, g)) return c->servers[i].id;
    return 0;
}

const char *od_server_guid(od_ctx *c, int64_t id) {
    for (size_t i = 0; id && i < c->n_servers; i++)
        if (c->servers[i].id == id) return c->servers[i].guid;
    return NULL;
}

int od_need_jobs(od_ctx *c) {
    if (c->have_jobs) return 0;
    if (bt_auth_enabled(c->r)) {
        int rc = od_need_runbooks(c);
        if (rc) return rc;
    }
    bt_store_job_filter f = {.any_status = true, .limit = JOB_PAGE};
    size_t cap = 0;
    for (;;) {
        bt_store_job *items = NULL;
        size_t n = 0;
        int64_t next = 0;
        int rc = bt_store_job_list(c->s, &f, &items, &n, &next, &c->err);
        if (rc) return od_fail(c, rc);
        if (c->n_jobs + n > cap) {
            cap = (c->n_jobs + n) * 2;
            c->jobs = bt_xrealloc(c->jobs, cap * sizeof *c->jobs);
        }
        /* the page's rows move into the cache; only the array goes; jobs
         * of runbooks the caller may not view are dropped */
        for (size_t i = 0; i < n; i++) {
            if (bt_auth_enabled(c->r) &&
                !od_runbook_by_id(c, items[i].runbook_id, NULL))
                bt_store_job_clear(&items[i]);
            else
                c->jobs[c->n_jobs++] = items[i];
        }
        free(items);
        if (!next || !n) break;
        f.after_id = next;
    }
    c->have_jobs = true;
    return 0;
}

int od_need_instances(od_ctx *c) {
    if (c->have_instances) return 0;
    int rc = od_need_jobs(c);
    if (rc) return rc;
    size_t cap = 0;
    for (size_t j = 0; j < c->n_jobs; j++) {
        bt_store_instance *items = NULL;
        size_t n = 0;
        rc = bt_store_instance_list(c->s, c->jobs[j].id, &items, &n, &c->err);
        if (rc) return od_fail(c, rc);
        if (c->n_insts + n > cap) {
            cap = (c->n_insts + n) * 2;
            c->insts = bt_xrealloc(c->insts, cap * sizeof *c->insts);
            c->inst_job = bt_xrealloc(c->inst_job, cap * sizeof *c->inst_job);
        }
        if (n) memcpy(c->insts + c->n_insts, items, n * sizeof *items);
        for (size_t k = 0; k < n; k++) c->inst_job[c->n_insts + k] = j;
        c->n_insts += n;
        free(items);
    }
    c->have_instances = true;
    return 0;
}

int od_need_acts(od_ctx *c) {
    if (c->have_acts) return 0;
    int rc = od_need_instances(c);
    if (rc) return rc;
    size_t cap = 0;
    for (size_t i = 0; i < c->n_insts; i++) {
        bt_store_activity *items = NULL;
        size_t n = 0;
        rc = bt_store_activity_list(c->s, c->insts[i].id, 0, &items, &n,
                                    &c->err);
        if (rc) return od_fail(c, rc);
        if (c->n_acts + n > cap) {
            cap = (c->n_acts + n) * 2;
            c->acts = bt_xrealloc(c->acts, cap * sizeof *c->acts);
            c->act_inst = bt_xrealloc(c->act_inst, cap * sizeof *c->act_inst);
        }
        if (n) memcpy(c->acts + c->n_acts, items, n * sizeof *items);
        for (size_t k = 0; k < n; k++) c->act_inst[c->n_acts + k] = i;
        c->n_acts += n;
        free(items);
    }
    c->have_acts = true;
    return 0;
}

/* A store failure; the message is in c->err. */
int od_fail(od_ctx *c, int rc) {
    if (!c->err.message[0])
        bt_error_set(&c->err, rc ? -rc : BT_EIO, "store error");
    return rc ? rc : -BT_EIO;
}

void od_ctx_clear(od_ctx *c) {
    for (size_t i = 0; i < OD_N_SETS; i++) json_decref(c->sets[i]);
    for (size_t i = 0; i < c->n_rbs && c->defs; i++)
        bt_web_defs_release(c->r->web->defs, c->defs[i]);
    free(c->defs);
    free(c->def_tried);
    bt_store_runbook_list_free(c->rbs, c->n_rbs);
    bt_store_server_list_free(c->servers, c->n_servers);
    bt_store_job_list_free(c->jobs, c->n_jobs);
    bt_store_instance_list_free(c->insts, c->n_insts);
    free(c->inst_job);
    bt_store_activity_list_free(c->acts, c->n_acts);
    free(c->act_inst);
    free(c->base);
}

/* ---- access ----------------------------------------------------------- */

json_t *od_set_rows(od_ctx *c, const od_set *set) {
    if (c->sets[set->id]) return c->sets[set->id];
    json_t *a = json_array();
    if (set->load(c, a)) {
        json_decref(a);
        return NULL;
    }
    c->sets[set->id] = a;
    return a;
}

/* What each loader can read without reading its whole set (odata_entities.c):
 * the sets whose rows grow with every job, by their key and their parent,
 * and Runbooks by key. Runbooks is small and built once per request
 * otherwise: a navigation to it from every entry of a feed or a filter
 * (Jobs?$expand=Runbook, Runbook/Name eq …) reads the whole set once rather
 * than one runbook (two statements) per entry. */
static const struct {
    od_set_id set;
    const char *prop;
    bool key_only; /* for Set(guid'…'), not for navigations */
} scopes[] = {
    {OD_JOBS, "Id", false},
    {OD_RUNBOOKS, "Id", true},
    {OD_RUNBOOK_INSTANCES, "Id", false},
    {OD_RUNBOOK_INSTANCES, "JobId", false},
    {OD_RUNBOOK_INSTANCE_PARAMETERS, "RunbookInstanceId", false},
    {OD_ACTIVITY_INSTANCES, "Id", false},
    {OD_ACTIVITY_INSTANCES, "RunbookInstanceId", false},
    {OD_ACTIVITY_INSTANCE_DATA, "ActivityInstanceId", false},
};

static bool scoped_load(od_set_id set, const char *prop, bool key) {
    for (size_t i = 0; i < BT_ARRAY_LEN(scopes); i++)
        if (scopes[i].set == set && !strcmp(scopes[i].prop, prop))
            return key || !scopes[i].key_only;
    return false;
}

const char *od_scope(const od_ctx *c, od_set_id set, const char *prop) {
    return c->scope_set == (int)set && !strcmp(c->scope_prop, prop)
               ? c->scope_key
               : NULL;
}

bool od_skip(const od_ctx *c, od_set_id set, const char *key) {
    const char *k = od_scope(c, set, "Id");
    return k && strcasecmp(k, key);
}

/* The entities of set whose prop is key (and maybe more), uncached; a new
 * reference, or NULL with c->err set. */
static json_t *load_scoped(od_ctx *c, const od_set *set, const char *prop,
                           const char *key) {
    int saved_set = c->scope_set;
    const char *saved_prop = c->scope_prop, *saved_key = c->scope_key;
    c->scope_set = (int)set->id;
    c->scope_prop = prop;
    c->scope_key = key;
    json_t *a = json_array();
    if (set->load(c, a)) {
        json_decref(a);
        a = NULL;
    }
    c->scope_set = saved_set;
    c->scope_prop = saved_prop;
    c->scope_key = saved_key;
    return a;
}

json_t *od_nav_rows(od_ctx *c, const od_set *set, const od_nav *nav,
                    json_t *entity) {
    (void)set;
    const od_set *target = od_set_find(nav->target);
    const char *want = json_string_value(json_object_get(entity, nav->local));
    if (!want) return json_array();
    json_t *rows = c->sets[target->id];
    if (!rows && scoped_load(target->id, nav->remote, false))
        rows = load_scoped(c, target, nav->remote, want);
    else if ((rows = od_set_rows(c, target)))
        json_incref(rows);
    if (!rows) return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *have = json_string_value(json_object_get(row, nav->remote));
        if (have && !strcasecmp(have, want)) {
            json_array_append(out, row);
            if (!nav->many) break;
        }
    }
    json_decref(rows);
    return out;
}

json_t *od_filter_rows(od_ctx *c, const od_set *set, const od_expr *filter) {
    od_term terms[16];
    size_t n = 0;
    if (!c->sets[set->id] && od_filter_terms(filter, terms, 16, &n))
        for (size_t i = 0; i < n; i++) {
            char g[BT_GUID_LEN];
            const od_term *t = &terms[i];
            if (t->op != OD_EQ || t->is_time || t->prop->type != OD_GUID ||
                !scoped_load(set->id, t->prop->name, false))
                continue;
            /* a term no GUID can equal matches nothing */
            if (t->text_len != BT_GUID_LEN - 1 ||
                !od_guid_parse(t->text, t->text_len, g))
                return json_array();
            return load_scoped(c, set, t->prop->name, g);
        }
    json_t *rows = od_set_rows(c, set);
    return rows ? json_incref(rows) : NULL;
}

int od_find_entity(od_ctx *c, const od_set *set, const char *key,
                   json_t **out) {
    *out = NULL;
    const char *id = set->props[0].name;
    json_t *rows = !c->sets[set->id] && scoped_load(set->id, id, true)
                       ? load_scoped(c, set, id, key)
                       : json_incref(od_set_rows(c, set));
    if (!rows) return od_fail(c, -BT_EIO);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *k = json_string_value(json_object_get(row, id));
        if (k && !strcasecmp(k, key)) {
            *out = json_incref(row);
            break;
        }
    }
    json_decref(rows);
    return 0;
}

int od_get_job(od_ctx *c, const char *guid, bt_store_job *out) {
    memset(out, 0, sizeof *out);
    int rc = od_need_runbooks(c);
    if (rc) return rc;
    bt_error e = {0};
    rc = bt_store_job_get_guid(c->s, guid, out, &e);
    if (rc == -BT_ENOTFOUND || rc == -BT_EINVAL) return 0;
    if (rc) {
        c->err = e;
        return od_fail(c, rc);
    }
    /* jobs of runbooks the caller may not view are not there */
    if (bt_auth_enabled(c->r) && !od_runbook_by_id(c, out->runbook_id, NULL)) {
        bt_store_job_clear(out);
        return 0;
    }
    return 1;
}
