/* Runbooks: GET /api/runbooks, GET /api/runbooks/{id}, and resolving the
 * runbook a request names (by id or by "/Folder/Name" path). Parameters
 * come from the latest version's YAML, read by the same loader that runs
 * it, so what the API shows is what a job is checked against. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/web_internal.h"

const bt_runbook *bt_web_load_version(bt_web_req *r, int64_t runbook_id,
                                      int version) {
    bt_store *s = bt_web_store(r);
    if (!s) return NULL;
    bt_error err = {0};
    const bt_runbook *def =
        bt_web_defs_take(r->web->defs, s, runbook_id, version, &err);
    if (!def) bt_web_error_from(r, err.code ? -(int)err.code : -BT_EIO, &err,
                                "runbook");
    return def;
}

void bt_web_release_version(bt_web_req *r, const bt_runbook *def) {
    bt_web_defs_release(r->web->defs, def);
}

/* The runbook's JSON with its parameters (or why they are unknown).
 * *lasting (may be NULL) turns false when the reason is the store's (a
 * read that failed just now) rather than a version that does not load. */
static json_t *runbook_json(bt_web_req *r, bt_store *s,
                            const bt_store_runbook *rb, bool *lasting) {
    json_t *o = bt_web_runbook_json(rb);
    if (!rb->latest_version) {
        json_object_set_new(o, "parameters", json_array());
        return o;
    }
    bt_error err = {0};
    const bt_runbook *def = bt_web_defs_take(r->web->defs, s, rb->id,
                                             rb->latest_version, &err);
    if (!def) {
        if (lasting && err.code != BT_EINTERNAL) *lasting = false;
        json_object_set_new(o, "parameters", json_null());
        json_object_set_new(o, "load_error", json_string(err.message));
    } else {
        json_object_set_new(o, "parameters", bt_web_params_json(def));
        json_object_set_new(o, "returns",
                            json_array());
        for (size_t i = 0; i < def->n_returns; i++)
            json_array_append_new(json_object_get(o, "returns"),
                                  json_string(def->returns[i]));
    }
    bt_web_defs_release(r->web->defs, def);
    return o;
}

/* The answer is kept per caller (answers.c): what they may view depends
 * on who they are and on the catalog alone, which the catalog counter
 * covers (rights, users and groups included). */
static char *list_key(bt_web_req *r) {
    const char *who = bt_auth_enabled(r) ? r->user : NULL;
    return bt_xasprintf("runbooks\n%c%s", who ? 'u' : '-', who ? who : "");
}

void bt_web_runbooks_list(bt_web_req *r) {
    static const char *const allowed[] = {NULL};
    if (!bt_web_query_only(r, allowed)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    char *key = list_key(r);
    if (bt_web_answer_kept(r, key, BT_WEB_USES_CATALOG, 200,
                           BT_WEB_JSON_TYPE)) {
        free(key);
        return;
    }
    bt_store_runbook *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_runbook_list(s, 0, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        free(key);
        return;
    }
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) {
        bt_store_runbook_list_free(items, n);
        free(key);
        return;
    }
    json_t *a = json_array();
    bool lasting = true;
    for (size_t i = 0; i < n && !r->status; i++)
        if (bt_auth_scope_can(r, &sc, items[i].folder_id, BT_RIGHT_VIEW))
            json_array_append_new(a, runbook_json(r, s, &items[i], &lasting));
    bt_store_runbook_list_free(items, n);
    if (r->status) { /* reading the rights failed */
        json_decref(a);
        free(key);
        return;
    }
    json_t *o = json_pack("{s:o}", "items", a);
    size_t len = 0;
    char *text = bt_web_json_answer(o, &len);
    json_decref(o);
    if (lasting)
        bt_web_answer_keep(r, key, BT_WEB_USES_CATALOG, false, text, len);
    free(key);
    bt_web_reply_text(r, 200, text, len);
}

static json_t *versions_json(bt_store *s, int64_t id, bt_error *err,
                             int *rc) {
    bt_store_version *v = NULL;
    size_t n = 0;
    *rc = bt_store_version_list(s, id, &v, &n, err);
    if (*rc) return NULL;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:i, s:s?, s:s?, s:o}", "version", v[i].version,
                         "author", v[i].author, "comment", v[i].comment,
                         "created", bt_web_time(v[i].created_us)));
    bt_store_version_list_free(v, n);
    return a;
}

void bt_web_runbooks_get(bt_web_req *r) {
    static const char *const allowed[] = {NULL};
    if (!bt_web_query_only(r, allowed)) return;
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
    bt_store *s = bt_web_store(r);
    bt_error err = {0};
    int rc = 0;
    json_t *versions = versions_json(s, rb.id, &err, &rc);
    if (rc) {
        bt_web_error_from(r, rc, &err, "id");
    } else {
        json_t *o = runbook_json(r, s, &rb, NULL);
        json_object_set_new(o, "versions", versions);
        bt_web_reply(r, 200, o);
    }
    bt_store_runbook_clear(&rb);
}

static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

bool bt_web_resolve_runbook(bt_web_req *r, json_t *ref, const char *target,
                            bt_store_runbook *out) {
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_error err = {0};
    int rc;
    int64_t id = 0;
    const char *text = json_is_string(ref) ? json_string_value(ref) : NULL;
    if (json_is_integer(ref)) {
        id = json_integer_value(ref);
    } else if (text && all_digits(text)) {
        if (!bt_web_parse_id(r, text, target, &id)) return false;
    } else if (text && text[0] == '/' && text[1]) {
        const char *slash = strrchr(text, '/');
        char *folder = slash == text ? bt_xstrdup("/")
                                     : bt_xstrndup(text, (size_t)(slash - text));
        bt_store_folder f = {0};
        rc = bt_store_folder_get(s, folder, &f, &err);
        if (!rc) {
            rc = bt_store_runbook_find(s, f.id, slash + 1, out, &err);
            bt_store_folder_clear(&f);
        }
        free(folder);
        /* a runbook the caller may not view does not exist for them */
        if (!rc && !bt_auth_can(r, out->folder_id, BT_RIGHT_VIEW)) {
            bt_store_runbook_clear(out);
            if (r->status) return false;
            rc = -BT_ENOTFOUND;
        }
        if (rc == -BT_ENOTFOUND) {
            bt_web_error(r, 404, "not_found", target, "no runbook '%s'", text);
            return false;
        }
        if (rc) {
            bt_web_error_from(r, rc, &err, target);
            return false;
        }
        return true;
    } else {
        bt_web_error(r, 400, "invalid_parameter", target,
                     "%s must be a runbook id or a /Folder/Name path", target);
        return false;
    }
    if (id <= 0) {
        bt_web_error(r, 400, "invalid_parameter", target,
                     "%s must be a positive runbook id", target);
        return false;
    }
    rc = bt_store_runbook_get(s, id, out, &err);
    if (!rc && !bt_auth_can(r, out->folder_id, BT_RIGHT_VIEW)) {
        bt_store_runbook_clear(out);
        if (r->status) return false;
        rc = -BT_ENOTFOUND;
    }
    if (rc == -BT_ENOTFOUND) {
        bt_web_error(r, 404, "not_found", target, "no runbook with id %lld",
                     (long long)id);
        return false;
    }
    if (rc) {
        bt_web_error_from(r, rc, &err, target);
        return false;
    }
    return true;
}
