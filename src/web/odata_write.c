/* The two writes Orchestrator's web service allows, as its scripts and
 * .NET clients make them:
 *
 *   start a job: POST Jobs with an Atom entry (or verbose JSON) carrying
 *   RunbookId, Parameters (<Data><Parameter><ID>{guid}</ID><Value>…
 *   </Value></Parameter></Data>, escaped or in CDATA) and optionally
 *   RunbookServers ("rb1,rb2"); answered 201 with Location and the entry.
 *
 *   stop a job: MERGE or PUT Jobs(guid'…') setting Status to Canceled, or
 *   POST with X-HTTP-Method: MERGE and If-Match: *; answered 204.
 *
 * A .NET DataServiceContext sends every property of the entity, so the
 * Job's other properties are accepted and ignored; names that are not Job
 * properties are refused. The entry is parsed with libxml2, never
 * fetching anything, and a document with a DTD (where entity bombs live)
 * is refused. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/odata.h"

#define NS_D "http://schemas.microsoft.com/ado/2007/08/dataservices"
#define NS_M "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
/* No NOBLANKS: a parameter's value may be all spaces. */
#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* libxml2 must be initialised once before threads use it; requests run
 * on libmicrohttpd's threads. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

/* NULL when text is not well-formed XML or carries a DTD. */
static xmlDoc *parse_xml(const char *text, size_t len, const char *name) {
    pthread_once(&xml_once, xml_init);
    if (len > INT32_MAX) return NULL;
    xmlDoc *doc = xmlReadMemory(text, (int)len, name, NULL, XML_OPTIONS);
    if (doc && (doc->intSubset || doc->extSubset)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static bool ns_is(const xmlNode *n, const char *ns) {
    return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns);
}

static xmlNode *find_properties(xmlNode *n) {
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (ns_is(n, NS_M) && !strcmp((const char *)n->name, "properties"))
            return n;
        xmlNode *f = find_properties(n->children);
        if (f) return f;
    }
    return NULL;
}

/* The entry's properties as name -> text (or null). */
static json_t *entry_properties(od_ctx *c, const char *body, size_t len) {
    xmlDoc *doc = parse_xml(body, len, "entry.xml");
    if (!doc) {
        od_error(c, 400, "BadRequest", "the request body is not well-formed "
                                       "XML without a DTD; expected an Atom "
                                       "entry");
        return NULL;
    }
    xmlNode *props = find_properties(xmlDocGetRootElement(doc));
    if (!props) {
        xmlFreeDoc(doc);
        od_error(c, 400, "BadRequest",
                 "the Atom entry has no <m:properties> element");
        return NULL;
    }
    json_t *out = json_object();
    for (xmlNode *n = props->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || !ns_is(n, NS_D)) continue;
        xmlChar *isnull = xmlGetNsProp(n, (const xmlChar *)"null",
                                       (const xmlChar *)NS_M);
        bool null = isnull && !strcmp((const char *)isnull, "true");
        xmlFree(isnull);
        xmlChar *text = null ? NULL : xmlNodeGetContent(n);
        json_t *v = text ? json_string((const char *)text) : NULL;
        json_object_set_new(out, (const char *)n->name, v ? v : json_null());
        xmlFree(text);
    }
    xmlFreeDoc(doc);
    return out;
}

/* Verbose JSON: {"RunbookId": "...", ...} or {"d": {...}}. */
static json_t *json_properties(od_ctx *c, const char *body, size_t len) {
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    json_t *o = json_is_object(json_object_get(doc, "d"))
                    ? json_incref(json_object_get(doc, "d"))
                    : json_incref(doc);
    json_decref(doc);
    if (!json_is_object(o)) {
        json_decref(o);
        od_error(c, 400, "BadRequest", "the request body is not a JSON "
                                       "object: %s", jerr.text);
        return NULL;
    }
    json_object_del(o, "__metadata");
    return o;
}

static json_t *body_properties(od_ctx *c) {
    bt_web_req *r = c->r;
    if (!r->body.len) {
        od_error(c, 400, "BadRequest", "the request body is empty; expected "
                                       "an Atom entry");
        return NULL;
    }
    const char *ct = bt_web_header(r, "Content-Type");
    const char *p = r->body.data;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if ((ct && strcasestr(ct, "json")) || *p == '{')
        return json_properties(c, r->body.data, r->body.len);
    return entry_properties(c, r->body.data, r->body.len);
}

/* Every name must be a Job property. */
static bool only_job_properties(od_ctx *c, json_t *props) {
    const od_set *jobs = &od_sets[OD_JOBS];
    const char *name;
    json_t *v;
    json_object_foreach(props, name, v) {
        if (!od_prop_find(jobs, name) && !od_nav_find(jobs, name)) {
            od_error(c, 400, "BadRequest", "Job has no property '%s'", name);
            return false;
        }
    }
    return true;
}

static const char *prop_text(json_t *props, const char *name) {
    return json_string_value(json_object_get(props, name));
}

/* ---- parameters ------------------------------------------------------- */

static xmlNode *child(xmlNode *n, const char *name) {
    for (n = n ? n->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE &&
            !strcasecmp((const char *)n->name, name))
            return n;
    return NULL;
}

/* Finds the parameter an <ID> names: its GUID (with or without braces),
 * or, for hand-written scripts, its name. */
static const bt_param_def *param_for(const bt_runbook *def,
                                     const char *rb_guid, const char *id) {
    char want[BT_GUID_LEN];
    bool is_guid = od_guid_parse(id, strlen(id), want);
    for (size_t i = 0; i < def->n_params; i++) {
        if (is_guid) {
            char g[BT_GUID_LEN];
            od_guid_derive(rb_guid, "parameter", def->params[i].name, g);
            if (!strcmp(g, want)) return &def->params[i];
        } else if (!strcmp(def->params[i].name, id)) {
            return &def->params[i];
        }
    }
    return NULL;
}

static bool check_value(od_ctx *c, const bt_param_def *p, const char *value) {
    bt_error err = {0};
    if (!bt_param_check(p, value, &err)) return true;
    od_error(c, 400, "BadRequest", "%s", err.message);
    return false;
}

/* Parameters XML -> JSON object of name: text, checked against the
 * runbook's Initialize Data; NULL after answering 400. */
static json_t *job_parameters(od_ctx *c, const bt_store_runbook *rb,
                              const bt_runbook *def, const char *xml) {
    json_t *out = json_object();
    if (xml && *xml) {
        xmlDoc *doc = parse_xml(xml, strlen(xml), "parameters.xml");
        xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (!root || strcasecmp((const char *)root->name, "Data")) {
            xmlFreeDoc(doc);
            od_error(c, 400, "BadRequest",
                     "Parameters must be <Data><Parameter><ID>{guid}</ID>"
                     "<Value>...</Value></Parameter></Data>");
            goto fail;
        }
        for (xmlNode *n = root->children; n; n = n->next) {
            if (n->type != XML_ELEMENT_NODE) continue;
            xmlNode *idn = child(n, "ID"), *vn = child(n, "Value");
            if (!idn) idn = child(n, "Name");
            xmlChar *id = idn ? xmlNodeGetContent(idn) : NULL;
            xmlChar *value = vn ? xmlNodeGetContent(vn) : NULL;
            const bt_param_def *p =
                id ? param_for(def, rb->guid, (const char *)id) : NULL;
            bool ok = p && check_value(c, p, value ? (const char *)value : "");
            if (!p)
                od_error(c, 400, "BadRequest",
                         "runbook '%s' has no parameter with ID '%s' (see "
                         "Runbooks(guid'%s')/Parameters)",
                         rb->path, id ? (const char *)id : "", rb->guid);
            if (ok)
                json_object_set_new(out, p->name,
                                    json_string(value ? (const char *)value
                                                      : ""));
            xmlFree(id);
            xmlFree(value);
            if (!ok) {
                xmlFreeDoc(doc);
                goto fail;
            }
        }
        xmlFreeDoc(doc);
    }
    for (size_t i = 0; i < def->n_params; i++) {
        const bt_param_def *p = &def->params[i];
        if (p->required && !p->has_default && !json_object_get(out, p->name)) {
            char *g = od_param_guid(rb->guid, p->name);
            od_error(c, 400, "BadRequest",
                     "runbook '%s' needs parameter '%s' (ID {%s}, %s)",
                     rb->path, p->name, g, bt_value_type_name(p->type));
            free(g);
            goto fail;
        }
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* A runbook server named by its Id (GUID) is named by its name. */
static char *server_name(od_ctx *c, const char *s, size_t l) {
    char g[BT_GUID_LEN];
    if (od_guid_parse(s, l, g) && !od_need_servers(c))
        for (size_t i = 0; i < c->n_servers; i++)
            if (!strcmp(c->servers[i].guid, g))
                return bt_xstrdup(c->servers[i].name);
    return bt_xstrndup(s, l);
}

/* "rb1,rb2" (or ';'): runbook servers in order of preference. */
static char **split_servers(od_ctx *c, const char *text, size_t *n) {
    *n = 0;
    if (!text) return NULL;
    char *copy = bt_xstrdup(text);
    char **out = bt_xcalloc(strlen(text) / 2 + 2, sizeof *out);
    char *save = NULL;
    for (char *s = strtok_r(copy, ",;", &save); s;
         s = strtok_r(NULL, ",;", &save)) {
        while (*s == ' ') s++;
        size_t l = strlen(s);
        while (l && s[l - 1] == ' ') l--;
        if (l) out[(*n)++] = server_name(c, s, l);
    }
    free(copy);
    return out;
}

/* ---- POST Jobs -------------------------------------------------------- */

void od_jobs_create(od_ctx *c) {
    json_t *props = body_properties(c);
    if (!props) return;
    json_t *params = NULL;
    char **servers = NULL;
    size_t n_servers = 0;
    if (!only_job_properties(c, props)) goto done;
    const char *rid = prop_text(props, "RunbookId");
    char guid[BT_GUID_LEN];
    if (!rid || !od_guid_parse(rid, strlen(rid), guid)) {
        od_error(c, 400, "BadRequest",
                 "RunbookId must be the GUID of a runbook, got '%s'",
                 rid ? rid : "");
        goto done;
    }
    size_t idx;
    int rc = od_find_runbook(c, guid, &idx);
    if (rc == -BT_ENOTFOUND) {
        od_error(c, 404, "NotFound", "no runbook has the Id %s", guid);
        goto done;
    }
    if (rc) {
        od_error(c, 500, "InternalError", "%s", c->err.message);
        goto done;
    }
    const bt_store_runbook *rb = &c->rbs[idx];
    if (!bt_auth_can(c->r, rb->folder_id, BT_RIGHT_START)) {
        od_error(c, 403, "Forbidden",
                 "you may not start runbook '%s' (the 'start' right on its "
                 "folder is needed)", rb->path);
        goto done;
    }
    const bt_runbook *def = od_runbook_def(c, idx);
    if (!rb->latest_version || !def) {
        od_error(c, 409, "Conflict",
                 rb->latest_version
                     ? "the latest version of runbook '%s' does not load"
                     : "runbook '%s' has no checked-in version to run",
                 rb->path);
        goto done;
    }
    params = job_parameters(c, rb, def, prop_text(props, "Parameters"));
    if (!params) goto done;
    servers = split_servers(c, prop_text(props, "RunbookServers"),
                            &n_servers);
    char *params_text = json_dumps(params, JSON_COMPACT);
    /* a header over the limit is ignored here: scripts cannot fix it */
    const char *user = bt_web_user(c->r, "odata");
    bt_store_job_spec spec = {
        .runbook_id = rb->id,
        .runbook_version = rb->latest_version,
        .parameters = params_text,
        .created_by = user ? user : "odata",
        .targets = (const char *const *)servers,
        .n_targets = n_servers,
    };
    bt_store_job job = {0};
    bt_error err = {0};
    rc = bt_web_jobq_create(c->r->web->jobq, c->s, &spec, &job, &err);
    free(params_text);
    if (rc) {
        od_error(c, 500, "InternalError", "cannot create the job: %s",
                 err.message);
        goto done;
    }
    /* Read back before waking the runbook servers, and answer the entry as
     * created (Pending, as Orchestrator does): a quick job may otherwise
     * already be Completed in its own 201. */
    json_t *entity = NULL;
    if (!od_find_entity(c, &od_sets[OD_JOBS], job.guid, &entity) && !entity)
        bt_error_set(&c->err, BT_ENOTFOUND, "not in the job list");
    bt_web_notify_jobs(c->r);
    if (entity)
        json_object_set_new(entity, "Status",
                            json_string(od_job_status(job.status)));
    if (!entity) {
        od_error(c, 500, "InternalError", "job %s was created but cannot be "
                                          "read back: %s", job.guid,
                 c->err.message);
    } else {
        c->r->location = bt_xasprintf("%sJobs(guid'%s')", c->base, job.guid);
        od_answer_entity(c, &od_sets[OD_JOBS], entity, 201);
        json_decref(entity);
    }
    bt_store_job_clear(&job);
done:
    for (size_t k = 0; k < n_servers; k++) free(servers[k]);
    free(servers);
    json_decref(params);
    json_decref(props);
}

/* ---- MERGE/PUT Jobs(guid) --------------------------------------------- */

void od_jobs_update(od_ctx *c, json_t *entity) {
    json_t *props = body_properties(c);
    if (!props) return;
    bt_store_job found = {0};
    if (!only_job_properties(c, props)) goto done;
    const char *guid = json_string_value(json_object_get(entity, "Id"));
    const char *status = prop_text(props, "Status");
    if (!status || (strcasecmp(status, "Canceled") &&
                    strcasecmp(status, "Cancelled"))) {
        od_error(c, 400, "BadRequest",
                 "a job can only be stopped: set Status to Canceled (got "
                 "'%s')", status ? status : "no Status");
        goto done;
    }
    int got = od_get_job(c, guid, &found);
    if (got < 0) {
        od_error(c, 500, "InternalError", "%s", c->err.message);
        goto done;
    }
    if (!got) {
        od_error(c, 404, "NotFound", "no job has the Id %s", guid);
        goto done;
    }
    const bt_store_job *job = &found;
    const bt_store_runbook *jrb = od_runbook_by_id(c, job->runbook_id, NULL);
    if (bt_auth_enabled(c->r) &&
        (!jrb || !bt_auth_can(c->r, jrb->folder_id, BT_RIGHT_STOP))) {
        od_error(c, 403, "Forbidden",
                 "you may not stop job %s (the 'stop' right on its runbook's "
                 "folder is needed)", guid);
        goto done;
    }
    bt_error err = {0};
    int rc = bt_store_job_request_cancel(c->s, job->id, &err);
    if (rc == -BT_ESTATE) {
        bt_store_job now = {0};
        bt_job_status st = job->status;
        if (!bt_store_job_get(c->s, job->id, &now, NULL)) st = now.status;
        bt_store_job_clear(&now);
        if (st != BT_JOB_CANCELED) { /* canceling twice is no error */
            od_error(c, 409, "Conflict",
                     "job %s cannot be canceled: it is already %s", guid,
                     od_job_status(st));
            goto done;
        }
    } else if (rc) {
        od_error(c, rc == -BT_ENOTFOUND ? 404 : 500,
                 rc == -BT_ENOTFOUND ? "NotFound" : "InternalError", "%s",
                 err.message);
        goto done;
    } else {
        bt_web_notify_jobs(c->r);
    }
    od_answer(c, 204, NULL, NULL);
done:
    bt_store_job_clear(&found);
    json_decref(props);
}
