/* Jobs: start one (POST /api/jobs), list them with paging, show one with
 * its instances and activity data (optionally waiting for it to finish),
 * cancel one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define WAIT_MAX_S 300
#define WAIT_POLL_MS 50
#define LIST_LIMIT_MAX 1000

/* ---- POST /api/jobs --------------------------------------------------- */

/* The text form of a JSON parameter value; NULL for objects, arrays and
 * null, which no parameter type accepts. */
static char *param_text(json_t *v) {
    if (json_is_string(v)) return bt_xstrdup(json_string_value(v));
    if (json_is_integer(v))
        return bt_xasprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v)) return bt_xasprintf("%.17g", json_real_value(v));
    if (json_is_boolean(v)) return bt_xstrdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

/* Checks the given parameters against the runbook's declared ones and
 * returns them as a JSON object of texts, or answers 400 and returns NULL. */
static json_t *check_params(bt_web_req *r, const bt_runbook *rb,
                            const char *path, json_t *given) {
    if (given && !json_is_object(given)) {
        bt_web_error(r, 400, "invalid_parameter", "parameters",
                     "parameters must be an object of name: value");
        return NULL;
    }
    json_t *out = json_object();
    const char *name;
    json_t *v;
    json_object_foreach(given, name, v) {
        const bt_param_def *p = bt_runbook_param(rb, name);
        if (!p) {
            bt_web_error(r, 400, "unknown_parameter", name,
                         "runbook '%s' has no parameter '%s'", path, name);
            goto fail;
        }
        char *text = param_text(v);
        if (!text) {
            bt_web_error(r, 400, "invalid_parameter", name,
                         "parameter '%s' must be a string, number or boolean",
                         name);
            goto fail;
        }
        bt_error err = {0};
        if (bt_param_check(p, text, &err)) {
            bt_web_error(r, 400, "invalid_parameter", name, "%s", err.message);
            free(text);
            goto fail;
        }
        json_object_set_new(out, name, json_string(text));
        free(text);
    }
    for (size_t i = 0; i < rb->n_params; i++) {
        const bt_param_def *p = &rb->params[i];
        if (p->required && !p->has_default && !json_object_get(out, p->name)) {
            bt_web_error(r, 400, "missing_parameter", p->name,
                         "runbook '%s' needs parameter '%s' (%s)", path,
                         p->name, bt_value_type_name(p->type));
            goto fail;
        }
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* "servers": a list of runbook server names, in order of preference. */
static bool check_servers(bt_web_req *r, json_t *servers,
                          const char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!servers) return true;
    if (!json_is_array(servers)) {
        bt_web_error(r, 400, "invalid_parameter", "servers",
                     "servers must be a list of runbook server names");
        return false;
    }
    size_t count = json_array_size(servers);
    const char **names = bt_xcalloc(count + 1, sizeof *names);
    for (size_t i = 0; i < count; i++) {
        json_t *s = json_array_get(servers, i);
        if (!json_is_string(s) || !json_string_length(s)) {
            bt_web_error(r, 400, "invalid_parameter", "servers",
                         "servers[%zu] must be a non-empty server name", i);
            free(names);
            return false;
        }
        names[i] = json_string_value(s);
    }
    *out = names;
    *n = count;
    return true;
}

static json_t *parse_body(bt_web_req *r) {
    if (!r->body.len) {
        bt_web_error(r, 400, "invalid_json", "body",
                     "request body is empty; expected a JSON object");
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES,
                             &jerr);
    if (!doc) {
        bt_web_error(r, 400, "invalid_json", "body",
                     "request body is not valid JSON: %s (line %d, column %d)",
                     jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        bt_web_error(r, 400, "invalid_json", "body",
                     "request body must be a JSON object");
        return NULL;
    }
    return doc;
}

static void answer_job(bt_web_req *r, unsigned status, int64_t job_id);

void bt_web_jobs_create(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    const char *user = bt_web_user(r, "api");
    if (!user) {
        bt_web_error(r, 400, "invalid_header", "X-Baton-User",
                     "X-Baton-User is longer than %d bytes", BT_WEB_USER_MAX);
        return;
    }
    json_t *doc = parse_body(r);
    if (!doc) return;
    bt_store_runbook rb = {0};
    const bt_runbook *def = NULL;
    json_t *params = NULL;
    const char **servers = NULL;
    size_t n_servers = 0;

    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        if (strcmp(key, "runbook") && strcmp(key, "parameters") &&
            strcmp(key, "servers")) {
            bt_web_error(r, 400, "unknown_field", key,
                         "unknown field '%s' (expected runbook, parameters, "
                         "servers)", key);
            goto done;
        }
    }
    json_t *ref = json_object_get(doc, "runbook");
    if (!ref) {
        bt_web_error(r, 400, "missing_field", "runbook",
                     "field 'runbook' (an id or a /Folder/Name path) is "
                     "required");
        goto done;
    }
    if (!bt_web_resolve_runbook(r, ref, "runbook", &rb)) goto done;
    if (!bt_auth_can(r, rb.folder_id, BT_RIGHT_START)) {
        if (!r->status)
            bt_web_error(r, 403, "forbidden", "runbook",
                         "you may not start runbook '%s' (the 'start' right "
                         "on its folder is needed)", rb.path);
        goto done;
    }
    if (!rb.latest_version) {
        bt_web_error(r, 409, "no_version", "runbook",
                     "runbook '%s' has no checked-in version to run", rb.path);
        goto done;
    }
    def = bt_web_load_version(r, rb.id, rb.latest_version);
    if (!def) goto done;
    params = check_params(r, def, rb.path, json_object_get(doc, "parameters"));
    if (!params) goto done;
    if (!check_servers(r, json_object_get(doc, "servers"), &servers,
                       &n_servers))
        goto done;

    char *params_text = json_dumps(params, JSON_COMPACT);
    bt_store_job_spec spec = {
        .runbook_id = rb.id,
        .runbook_version = rb.latest_version,
        .parameters = params_text,
        .created_by = user,
        .targets = servers,
        .n_targets = n_servers,
    };
    bt_store_job job = {0};
    bt_error err = {0};
    int rc =
        bt_web_jobq_create(r->web->jobq, r->store, &spec, &job, &err);
    free(params_text);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        goto done;
    }
    bt_web_notify_jobs(r);
    r->location = bt_xasprintf("/api/jobs/%lld", (long long)job.id);
    bt_web_reply(r, 201, bt_web_job_json(&job, rb.path));
    bt_store_job_clear(&job);
done:
    free(servers);
    json_decref(params);
    bt_web_release_version(r, def);
    bt_store_runbook_clear(&rb);
    json_decref(doc);
}

/* ---- GET /api/jobs ---------------------------------------------------- */

/* Runbook paths of a page of jobs, looked up once per runbook. */
typedef struct path_cache {
    int64_t ids[64];
    char *paths[64];
    size_t n;
} path_cache;

static const char *runbook_path(bt_store *s, path_cache *c, int64_t id) {
    for (size_t i = 0; i < c->n; i++)
        if (c->ids[i] == id) return c->paths[i];
    bt_store_runbook rb = {0};
    char *path = NULL;
    if (!bt_store_runbook_get(s, id, &rb, NULL)) path = bt_xstrdup(rb.path);
    bt_store_runbook_clear(&rb);
    if (c->n == BT_ARRAY_LEN(c->ids)) { /* full: start over */
        for (size_t i = 0; i < c->n; i++) free(c->paths[i]);
        c->n = 0;
    }
    c->ids[c->n] = id;
    c->paths[c->n] = path;
    return c->paths[c->n++];
}

static void path_cache_free(path_cache *c) {
    for (size_t i = 0; i < c->n; i++) free(c->paths[i]);
}

/* "2026-11-25", "2026-11-25T10:41", "2026-11-25T10:41:17.123Z" (UTC) or
 * microseconds since the epoch; false when it is none of these. */
static bool parse_time(const char *text, int64_t *out_us) {
    int64_t n;
    if (bt_parse_int64(text, &n) && n >= 0) {
        *out_us = n;
        return true;
    }
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
        return false;
    const char *p = text + used;
    long frac_us = 0;
    if (*p == 'T' || *p == ' ') {
        int u2 = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &u2) != 2 || u2 != 5)
            return false;
        p += 1 + u2;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &u2) != 1 || u2 != 2) return false;
            p += 1 + u2;
            if (*p == '.') {
                p++;
                long scale = 100000;
                if (*p < '0' || *p > '9') return false;
                for (; *p >= '0' && *p <= '9'; p++) {
                    frac_us += (*p - '0') * scale;
                    scale /= 10;
                }
            }
        }
        if (*p == 'Z') p++;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t < 0) return false;
    *out_us = (int64_t)t * 1000000 + frac_us;
    return true;
}

/* What the store cannot filter on yet is checked here. */
typedef struct job_match {
    const char *created_by; /* NULL: any */
    int64_t since_us, until_us; /* 0: open */
    /* only jobs of runbooks the caller may view */
    bt_web_req *r;
    bt_auth_scope *scope;
} job_match;

static bool matches(const job_match *m, const bt_store_job *j) {
    if (m->scope &&
        !bt_auth_scope_runbook(m->r, m->scope, j->runbook_id, BT_RIGHT_VIEW))
        return false;
    if (m->created_by &&
        (!j->created_by || strcmp(m->created_by, j->created_by)))
        return false;
    if (m->since_us && j->created_us < m->since_us) return false;
    if (m->until_us && j->created_us >= m->until_us) return false;
    return true;
}

/* One page in either order: pages of the store filtered here, until the
 * page is full or LIST_SCAN_MAX jobs were looked at (then the page is
 * short, and next_cursor says where to go on). f carries the order and
 * the cursor (after_id oldest first, before_id newest first). */
#define LIST_SCAN_MAX 50000
#define LIST_PAGE 500

static int list_page(bt_web_req *r, bt_store_job_filter f, const job_match *m,
                     size_t limit, bt_store_job **out, size_t *n_out,
                     int64_t *next_out, bt_error *err) {
    bt_store_job *res = bt_xcalloc(limit, sizeof *res);
    size_t n = 0, scanned = 0;
    int64_t cursor = 0;
    f.limit = limit > LIST_PAGE ? limit : LIST_PAGE;
    for (;;) {
        bt_store_job *items = NULL;
        size_t k = 0;
        int64_t next = 0;
        int rc = BT_WEB_TIMED(r, bt_store_job_list(r->store, &f, &items, &k,
                                                   &next, err));
        if (rc) {
            bt_store_job_list_free(res, n);
            return rc;
        }
        size_t i = 0;
        for (; i < k && n < limit; i++) {
            scanned++;
            cursor = items[i].id;
            if (!matches(m, &items[i])) continue;
            res[n++] = items[i];
            memset(&items[i], 0, sizeof items[i]);
        }
        bool more = i < k || next;
        bt_store_job_list_free(items, k);
        if (!more) {
            cursor = 0;
            break;
        }
        if (n == limit || scanned >= LIST_SCAN_MAX) break;
        if (f.newest_first) f.before_id = next;
        else f.after_id = next;
    }
    *out = res;
    *n_out = n;
    *next_out = cursor;
    return 0;
}

void bt_web_jobs_list(bt_web_req *r) {
    static const char *const allowed[] = {
        "status", "runbook", "server", "created_by", "since", "until",
        "order",  "limit",   "cursor", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_job_filter f = {.any_status = true};
    bt_auth_scope scope;
    if (!bt_auth_scope_open(r, &scope)) return;
    job_match m = {.r = r, .scope = scope.all ? NULL : &scope};
    size_t limit = 100;
    int64_t cursor = 0;
    bool newest = false;
    const char *q = bt_web_query(r, "status");
    if (q && *q) {
        if (bt_job_status_parse(q, &f.status)) {
            bt_web_error(r, 400, "invalid_parameter", "status",
                         "status must be pending, running, completed, failed "
                         "or canceled, got '%s'", q);
            return;
        }
        f.any_status = false;
    }
    q = bt_web_query(r, "limit");
    if (q) {
        int64_t lim;
        if (!bt_parse_int64(q, &lim) || lim < 1 || lim > LIST_LIMIT_MAX) {
            bt_web_error(r, 400, "invalid_parameter", "limit",
                         "limit must be an integer from 1 to %d, got '%s'",
                         LIST_LIMIT_MAX, q);
            return;
        }
        limit = (size_t)lim;
    }
    q = bt_web_query(r, "cursor");
    if (q && *q && !bt_web_parse_id(r, q, "cursor", &cursor)) return;
    q = bt_web_query(r, "order");
    if (q && *q) {
        if (!strcmp(q, "desc")) newest = true;
        else if (strcmp(q, "asc")) {
            bt_web_error(r, 400, "invalid_parameter", "order",
                         "order must be asc (oldest first) or desc (newest "
                         "first), got '%s'", q);
            return;
        }
    }
    const char *names[2] = {"since", "until"};
    int64_t *slots[2] = {&m.since_us, &m.until_us};
    for (int i = 0; i < 2; i++) {
        q = bt_web_query(r, names[i]);
        if (q && *q && !parse_time(q, slots[i])) {
            bt_web_error(r, 400, "invalid_parameter", names[i],
                         "%s must be an ISO 8601 UTC time like "
                         "2026-11-25T10:41:17Z (or a date), got '%s'",
                         names[i], q);
            return;
        }
    }
    q = bt_web_query(r, "created_by");
    if (q && *q) m.created_by = q;
    q = bt_web_query(r, "server");
    if (q && *q) {
        /* a name or an id; jobs it holds (running) */
        bt_store_server *sv = NULL;
        size_t n_sv = 0;
        bt_error err = {0};
        int rc = BT_WEB_TIMED(r, bt_store_server_list(s, &sv, &n_sv, &err));
        if (rc) {
            bt_web_error_from(r, rc, &err, "server");
            return;
        }
        int64_t id = 0;
        bt_parse_int64(q, &id);
        for (size_t i = 0; i < n_sv && !f.server_id; i++)
            if (!strcmp(sv[i].name, q) || sv[i].id == id) f.server_id = sv[i].id;
        bt_store_server_list_free(sv, n_sv);
        if (!f.server_id) {
            bt_web_error(r, 404, "not_found", "server",
                         "no runbook server '%s'", q);
            return;
        }
    }
    q = bt_web_query(r, "runbook");
    if (q && *q) {
        bt_store_runbook rb = {0};
        json_t *ref = json_string(q);
        bool ok = ref && bt_web_resolve_runbook(r, ref, "runbook", &rb);
        json_decref(ref);
        if (!ok) {
            if (!r->status)
                bt_web_error(r, 400, "invalid_parameter", "runbook",
                             "runbook is not valid UTF-8");
            return;
        }
        f.runbook_id = rb.id;
        bt_store_runbook_clear(&rb);
    }
    bt_store_job *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    bt_error err = {0};
    f.newest_first = newest;
    if (newest) f.before_id = cursor;
    else f.after_id = cursor;
    int rc = list_page(r, f, &m, limit, &items, &n, &next, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    path_cache cache = {0};
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, bt_web_job_json(&items[i],
                               runbook_path(s, &cache, items[i].runbook_id)));
    path_cache_free(&cache);
    bt_store_job_list_free(items, n);
    json_t *next_cursor = json_null();
    if (next) {
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)next);
        next_cursor = json_string(buf);
    }
    bt_web_reply(r, 200, json_pack("{s:o, s:o}", "items", a, "next_cursor",
                                   next_cursor));
}

/* ---- GET /api/jobs/{id} ----------------------------------------------- */

static bool finished(bt_job_status st) {
    return st == BT_JOB_COMPLETED || st == BT_JOB_FAILED ||
           st == BT_JOB_CANCELED;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The job with its instances, each with its activity instances and their
 * published data. The runbook version is loaded to name activity types;
 * when it does not load the data is shown without them. */
static json_t *job_detail(bt_web_defs *defs, bt_store *s,
                          const bt_store_job *job, bool *settled,
                          bt_error *err, int *rc) {
    bt_store_runbook rb = {0};
    bool have_rb = !bt_store_runbook_get(s, job->runbook_id, &rb, NULL);
    json_t *o = bt_web_job_json(job, have_rb ? rb.path : NULL);
    bt_store_runbook_clear(&rb);

    bt_store_instance *inst = NULL;
    size_t n_inst = 0;
    *rc = bt_store_instance_list(s, job->id, &inst, &n_inst, err);
    if (*rc) {
        json_decref(o);
        return NULL;
    }
    /* finished, with every instance ended: it will not change */
    *settled = finished(job->status) && have_rb;
    for (size_t i = 0; i < n_inst; i++)
        if (!finished(inst[i].status)) *settled = false;
    const bt_runbook *def =
        n_inst ? bt_web_defs_take(defs, s, job->runbook_id,
                                  job->runbook_version, NULL)
               : NULL;
    /* without its definition (a version that does not load, or could not
     * be read just now) the answer lacks the activity types: not kept */
    if (n_inst && !def) *settled = false;
    json_t *instances = json_array();
    json_t *returned = json_null();
    for (size_t i = 0; i < n_inst && !*rc; i++) {
        json_t *io = bt_web_instance_json(&inst[i]);
        bt_store_activity *acts = NULL;
        size_t n_acts = 0;
        *rc = bt_store_activity_list(s, inst[i].id, 0, &acts, &n_acts, err);
        json_t *aa = json_array();
        for (size_t k = 0; k < n_acts; k++)
            json_array_append_new(aa, bt_web_activity_json(&acts[k], def));
        bt_store_activity_list_free(acts, n_acts);
        json_object_set_new(io, "activities", aa);
        if (inst[i].return_data) {
            json_decref(returned);
            returned = bt_web_json_text(inst[i].return_data);
        }
        json_array_append_new(instances, io);
    }
    bt_web_defs_release(defs, def);
    bt_store_instance_list_free(inst, n_inst);
    if (*rc) {
        json_decref(instances);
        json_decref(returned);
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "instances", instances);
    json_object_set_new(o, "return_data", returned);
    return o;
}

/* A finished job whose instances have all ended too never changes again,
 * except that a purge may delete it and a rename moves its runbook's
 * path: its detail is kept (answers.c) while the purge and catalog
 * counters hold. The caller's right to see it was checked before
 * (bt_auth_job_check), and the detail is the same for everyone. */
#define DETAIL_USES (BT_WEB_USES_CATALOG | BT_WEB_USES_PURGE)

static void answer_job(bt_web_req *r, unsigned status, int64_t job_id) {
    bt_store *s = bt_web_store(r);
    if (!s) return;
    char key[40];
    snprintf(key, sizeof key, "job\n%lld", (long long)job_id);
    if (bt_web_answer_kept(r, key, DETAIL_USES, status, BT_WEB_JSON_TYPE))
        return;
    bt_store_job job = {0};
    bt_error err = {0};
    int rc = bt_store_job_get(s, job_id, &job, &err);
    json_t *o = NULL;
    bool settled = false;
    if (!rc) o = job_detail(r->web->defs, s, &job, &settled, &err, &rc);
    bool keep = !rc && settled;
    if (rc == -BT_ENOTFOUND) {
        bt_web_error(r, 404, "not_found", "id", "no job with id %lld",
                     (long long)job_id);
    } else if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
    } else {
        size_t len = 0;
        char *text = bt_web_json_answer(o, &len);
        json_decref(o);
        if (keep) bt_web_answer_keep(r, key, DETAIL_USES, false, text, len);
        bt_web_reply_text(r, status, text, len);
    }
    bt_store_job_clear(&job);
}

/* Blocks until the job is finished, the time is up or the service stops.
 * Polls the store: simple and backend-neutral; an event feed (SSE, LISTEN)
 * will replace it. */
static int wait_for_job(bt_web_req *r, int64_t job_id, double seconds,
                        bt_error *err) {
    bt_store *s = bt_web_store(r);
    if (!s) return -BT_EIO;
    uint64_t deadline = bt_mono_us() + (uint64_t)(seconds * 1e6);
    for (;;) {
        bt_store_job job = {0};
        int rc = bt_store_job_get(s, job_id, &job, err);
        bt_job_status st = job.status;
        bt_store_job_clear(&job);
        if (rc) return rc;
        if (finished(st)) return 0;
        uint64_t now = bt_mono_us();
        if (now >= deadline || atomic_load(&r->web->stopping)) return 0;
        uint64_t left_ms = (deadline - now + 999) / 1000;
        sleep_ms(left_ms < WAIT_POLL_MS ? (unsigned)left_ms : WAIT_POLL_MS);
    }
}

void bt_web_jobs_get(bt_web_req *r) {
    static const char *const allowed[] = {"wait", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return;
    if (!bt_auth_job_check(r, id, BT_RIGHT_VIEW)) return;
    const char *q = bt_web_query(r, "wait");
    if (q) {
        double secs;
        if (!bt_parse_double(q, &secs) || !isfinite(secs) || secs < 0 ||
            secs > WAIT_MAX_S) {
            bt_web_error(r, 400, "invalid_parameter", "wait",
                         "wait must be a number of seconds from 0 to %d, "
                         "got '%s'", WAIT_MAX_S, q);
            return;
        }
        bt_error err = {0};
        int rc = wait_for_job(r, id, secs, &err);
        if (rc == -BT_ENOTFOUND) {
            bt_web_error(r, 404, "not_found", "id", "no job with id %lld",
                         (long long)id);
            return;
        }
        if (rc) {
            if (!r->status) bt_web_error_from(r, rc, &err, NULL);
            return;
        }
    }
    answer_job(r, 200, id);
}

/* ---- POST /api/jobs/{id}/cancel --------------------------------------- */

void bt_web_jobs_cancel(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return;
    if (!bt_auth_job_check(r, id, BT_RIGHT_STOP)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_error err = {0};
    int rc = bt_store_job_request_cancel(s, id, &err);
    if (rc == -BT_ENOTFOUND) {
        bt_web_error(r, 404, "not_found", "id", "no job with id %lld",
                     (long long)id);
        return;
    }
    if (rc == -BT_ESTATE) {
        bt_store_job job = {0};
        const char *st = "finished";
        if (!bt_store_job_get(s, id, &job, NULL)) st = bt_job_status_name(job.status);
        bt_web_error(r, 409, "job_finished", "id",
                     "job %lld cannot be canceled: it is already %s",
                     (long long)id, st);
        bt_store_job_clear(&job);
        return;
    }
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    bt_web_notify_jobs(r);
    answer_job(r, 202, id);
}
