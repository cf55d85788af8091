/* Runbooks in the designer: show, history, diff, check-out / check-in,
 * revert, settings, rename / move / delete. Every change runs in one store
 * group with its audit record, so a change is never stored without its
 * history line, and a refused one leaves both untouched. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mgmt/mgmt_internal.h"

/* ---- shared ----------------------------------------------------------- */

static bool all_digits(const char *s) {
    return *s && strspn(s, "0123456789") == strlen(s);
}

bool bt__mg_resolve_runbook(mg_req *r, const char *ref, const char *target,
                            bt_store_runbook *out) {
    memset(out, 0, sizeof *out);
    bt_store *s = bt__mg_store(r);
    if (!s)
        return false;
    bt_error err = {0};
    int rc;
    if (all_digits(ref)) {
        int64_t id = 0;
        if (!bt_parse_int64(ref, &id) || id <= 0) {
            bt__mg_error(r, 400, "invalid", target, "'%s' is not a runbook id",
                         ref);
            return false;
        }
        rc = bt_store_runbook_get(s, id, out, &err);
        if (rc == -BT_ENOTFOUND) {
            bt__mg_not_found(r, target, "runbook", ref);
            return false;
        }
        /* an unseen runbook is missing, deleted or not */
        if (!rc && !bt__mg_can_see(r, out->folder_id, BT_RIGHT_VIEW, out->path,
                                   "runbook", ref, target)) {
            bt_store_runbook_clear(out);
            return false;
        }
        if (!rc && out->deleted_us) {
            bt_store_runbook_clear(out);
            bt__mg_error(r, 404, "not_found", target,
                         "runbook %s was deleted (its history is kept: "
                         "baton history %s)",
                         ref, ref);
            return false;
        }
    } else {
        const char *slash = strrchr(ref, '/');
        if (ref[0] != '/' || !slash || !slash[1]) {
            bt__mg_error(r, 400, "invalid", target,
                         "runbook '%s' is neither an id nor a /Folder/Name "
                         "path",
                         ref);
            return false;
        }
        char *folder = slash == ref ? bt_xstrdup("/")
                                    : bt_xstrndup(ref, (size_t)(slash - ref));
        bt_store_folder f = {0};
        rc = bt_store_folder_get(s, folder, &f, &err);
        if (!rc)
            rc = bt_store_runbook_find(s, f.id, slash + 1, out, &err);
        bt_store_folder_clear(&f);
        free(folder);
        if (rc == -BT_ENOTFOUND) {
            bt__mg_not_found(r, target, "runbook", ref);
            return false;
        }
    }
    if (rc) {
        bt__mg_error_from(r, rc, &err, target);
        return false;
    }
    if (!bt__mg_can_see(r, out->folder_id, BT_RIGHT_VIEW, out->path, "runbook",
                        ref, target)) {
        bt_store_runbook_clear(out);
        return false;
    }
    return true;
}

bt_runbook *bt__mg_validate(mg_req *r, const char *name, const char *yaml) {
    bt_diags d;
    bt_diags_init(&d);
    bt_runbook *rb = NULL;
    int rc = bt_runbook_load_string(name, yaml, strlen(yaml), NULL, &rb, &d);
    if (!rc) {
        bt_diags_free(&d);
        return rb;
    }
    json_t *problems = json_array();
    for (size_t i = 0; i < d.count; i++) {
        char line[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
        bt_error_format(&d.items[i], line, sizeof line);
        json_array_append_new(problems, bt__mg_strn(line));
    }
    char first[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32] = "";
    if (d.count)
        bt_error_format(&d.items[0], first, sizeof first);
    size_t n = d.count;
    bt_diags_free(&d);
    bt__mg_error(r, rc == -BT_ETOOBIG ? 413 : 400, "invalid_runbook", name,
                 "%s does not validate (%zu problem%s): %s", name, n,
                 n == 1 ? "" : "s", n ? first : bt_strerror(rc));
    json_object_set_new(json_object_get(r->reply, "error"), "problems",
                        problems);
    return NULL;
}

static json_t *string_array(char *const *items, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, bt__mg_strn(items[i]));
    return a;
}

json_t *bt__mg_runbook_summary(const bt_store_runbook *rb) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(rb->id));
    json_object_set_new(o, "guid", json_string(rb->guid));
    json_object_set_new(o, "name", bt__mg_strn(rb->name));
    json_object_set_new(o, "path", bt__mg_strn(rb->path));
    json_object_set_new(o, "description", bt__mg_strn(rb->description));
    json_object_set_new(o, "latest_version", json_integer(rb->latest_version));
    json_object_set_new(o, "max_concurrent", json_integer(rb->max_concurrent));
    json_object_set_new(o, "preferred_servers",
                        string_array(rb->preferred_servers, rb->n_preferred));
    json_object_set_new(o, "checked_out_by", bt__mg_strn(rb->checked_out_by));
    json_object_set_new(o, "checked_out", bt__mg_time(rb->checked_out_us));
    json_object_set_new(o, "created", bt__mg_time(rb->created_us));
    return o;
}

/* The body's "runbook" field resolved; answers and returns false when it
 * cannot. */
static bool body_runbook(mg_req *r, json_t *body, bt_store_runbook *rb) {
    const char *ref = NULL;
    json_t *v = json_object_get(body, "runbook");
    char idbuf[32];
    if (json_is_integer(v)) {
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(v));
        ref = idbuf;
    } else if (!bt__mg_str(r, body, "runbook", true, &ref)) {
        return false;
    }
    if (!bt__mg_resolve_runbook(r, ref, "runbook", rb))
        return false;
    if (bt__mg_can(r, rb->folder_id, BT_RIGHT_AUTHOR, rb->path))
        return true;
    bt_store_runbook_clear(rb);
    return false;
}

static bool query_version(mg_req *r, const char *name, int *out) {
    const char *q = bt__mg_query(r, name);
    *out = 0;
    if (!q || !*q)
        return true;
    int64_t v;
    if (!bt_parse_int64(q, &v) || v < 1 || v > 1000000000) {
        bt__mg_error(r, 400, "invalid_parameter", name,
                     "%s must be a version number (1, 2, ...), got '%s'", name,
                     q);
        return false;
    }
    *out = (int)v;
    return true;
}

/* Version `version` (0: latest) with its text, answering when missing. */
static bool get_version(mg_req *r, const bt_store_runbook *rb, int version,
                        bt_store_version *v) {
    memset(v, 0, sizeof *v);
    if (!rb->latest_version) {
        bt__mg_error(r, 409, "no_version", "runbook",
                     "runbook '%s' has no version checked in yet", rb->path);
        return false;
    }
    bt_error err = {0};
    int rc = bt_store_version_get(r->store, rb->id, version, v, &err);
    if (rc == -BT_ENOTFOUND) {
        bt__mg_error(r, 404, "not_found", "version",
                     "runbook '%s' has no version %d (latest: %d)", rb->path,
                     version, rb->latest_version);
        return false;
    }
    if (rc)
        bt__mg_error_from(r, rc, &err, "version");
    return !rc;
}

static json_t *version_json(const bt_store_version *v) {
    return json_pack("{s:i, s:o, s:o, s:o}", "version", v->version, "author",
                     bt__mg_strn(v->author), "comment", bt__mg_strn(v->comment),
                     "created", bt__mg_time(v->created_us));
}

/* ---- reading ---------------------------------------------------------- */

/* GET /api/runbook?runbook=R[&version=N] */
void bt__mg_runbook_show(mg_req *r) {
    static const char *const allowed[] = {"runbook", "version", NULL};
    if (!bt__mg_query_only(r, allowed))
        return;
    const char *ref = bt__mg_query(r, "runbook");
    int version = 0;
    if (!ref || !*ref) {
        bt__mg_error(r, 400, "missing_parameter", "runbook",
                     "which runbook? (?runbook=ID or /Folder/Name)");
        return;
    }
    if (!query_version(r, "version", &version))
        return;
    bt_store_runbook rb;
    if (!bt__mg_resolve_runbook(r, ref, "runbook", &rb))
        return;
    json_t *o = bt__mg_runbook_summary(&rb);
    if (rb.latest_version || version) {
        bt_store_version v;
        if (!get_version(r, &rb, version, &v)) {
            json_decref(o);
            bt_store_runbook_clear(&rb);
            return;
        }
        json_object_set_new(o, "version", version_json(&v));
        bt_diags d;
        bt_diags_init(&d);
        bt_runbook *doc = NULL;
        if (!bt_runbook_load_string(rb.path, v.yaml, strlen(v.yaml), NULL, &doc,
                                    &d)) {
            json_object_set_new(o, "document", bt__mg_doc_json(doc));
            bt_runbook_free(doc);
        } else {
            char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32] = "";
            if (d.count)
                bt_error_format(&d.items[0], msg, sizeof msg);
            json_object_set_new(o, "document", json_null());
            json_object_set_new(o, "load_error", bt__mg_strn(msg));
        }
        bt_diags_free(&d);
        json_object_set_new(o, "yaml", bt__mg_strn(v.yaml));
        bt_store_version_clear(&v);
    }
    bt_store_runbook_clear(&rb);
    bt__mg_reply(r, 200, o);
}

/* GET /api/runbook/history?runbook=R: versions, newest first. A deleted
 * runbook's history stays reachable by id. */
void bt__mg_runbook_history(mg_req *r) {
    static const char *const allowed[] = {"runbook", NULL};
    if (!bt__mg_query_only(r, allowed))
        return;
    const char *ref = bt__mg_query(r, "runbook");
    if (!ref || !*ref) {
        bt__mg_error(r, 400, "missing_parameter", "runbook",
                     "which runbook? (?runbook=ID or /Folder/Name)");
        return;
    }
    bt_store_runbook rb;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_error err = {0};
    int64_t id = 0;
    int rc;
    if (all_digits(ref) && bt_parse_int64(ref, &id)) {
        rc = bt_store_runbook_get(s, id, &rb, &err); /* deleted ones too */
        if (rc == -BT_ENOTFOUND) {
            bt__mg_not_found(r, "runbook", "runbook", ref);
            return;
        }
        if (rc) {
            bt__mg_error_from(r, rc, &err, "runbook");
            return;
        }
        if (!bt__mg_can_see(r, rb.folder_id, BT_RIGHT_VIEW, rb.path, "runbook",
                            ref, "runbook")) {
            bt_store_runbook_clear(&rb);
            return;
        }
    } else if (!bt__mg_resolve_runbook(r, ref, "runbook", &rb)) {
        return;
    }
    bt_store_version *items = NULL;
    size_t n = 0;
    rc = bt_store_version_list(s, rb.id, &items, &n, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "runbook");
        bt_store_runbook_clear(&rb);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, version_json(&items[i]));
    bt_store_version_list_free(items, n);
    json_t *o = bt__mg_runbook_summary(&rb);
    json_object_set_new(o, "deleted", json_boolean(rb.deleted_us != 0));
    json_object_set_new(o, "versions", arr);
    bt_store_runbook_clear(&rb);
    bt__mg_reply(r, 200, o);
}

/* The document of one version as JSON, or NULL after answering. */
static json_t *version_doc(mg_req *r, const bt_store_runbook *rb, int version) {
    bt_store_version v;
    if (!get_version(r, rb, version, &v))
        return NULL;
    bt_runbook *doc = NULL;
    bt_diags d;
    bt_diags_init(&d);
    json_t *out = NULL;
    if (!bt_runbook_load_string(rb->path, v.yaml, strlen(v.yaml), NULL, &doc,
                                &d)) {
        out = bt__mg_doc_json(doc);
        bt_runbook_free(doc);
    } else {
        char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32] = "";
        if (d.count)
            bt_error_format(&d.items[0], msg, sizeof msg);
        bt__mg_error(r, 409, "load_error", "version",
                     "version %d of '%s' no longer loads: %s", v.version,
                     rb->path, msg);
    }
    bt_diags_free(&d);
    bt_store_version_clear(&v);
    return out;
}

/* GET /api/runbook/diff?runbook=R&from=V1&to=V2 (to default: latest) */
void bt__mg_runbook_diff(mg_req *r) {
    static const char *const allowed[] = {"runbook", "from", "to", NULL};
    if (!bt__mg_query_only(r, allowed))
        return;
    const char *ref = bt__mg_query(r, "runbook");
    int from = 0, to = 0;
    if (!ref || !*ref) {
        bt__mg_error(r, 400, "missing_parameter", "runbook",
                     "which runbook? (?runbook=ID or /Folder/Name)");
        return;
    }
    if (!query_version(r, "from", &from) || !query_version(r, "to", &to))
        return;
    if (!from) {
        bt__mg_error(r, 400, "missing_parameter", "from",
                     "from: which version to compare?");
        return;
    }
    bt_store_runbook rb;
    if (!bt__mg_resolve_runbook(r, ref, "runbook", &rb))
        return;
    json_t *a = version_doc(r, &rb, from);
    json_t *b = a ? version_doc(r, &rb, to ? to : rb.latest_version) : NULL;
    if (a && b) {
        json_t *o = json_pack("{s:s, s:i, s:i, s:o}", "runbook", rb.path,
                              "from", from, "to", to ? to : rb.latest_version,
                              "changes", bt__mg_diff(a, b));
        bt__mg_reply(r, 200, o);
    }
    json_decref(a);
    json_decref(b);
    bt_store_runbook_clear(&rb);
}

/* ---- check-out / check-in --------------------------------------------- */

static json_t *checkout_state(const bt_store_runbook *rb) {
    return json_pack("{s:o, s:i}", "checked_out_by",
                     bt__mg_strn(rb->checked_out_by), "latest_version",
                     rb->latest_version);
}

/* Answers with the runbook as it is now (after a change). */
static void reply_runbook(mg_req *r, unsigned status, int64_t id) {
    bt_store_runbook rb;
    bt_error err = {0};
    int rc = bt_store_runbook_get(r->store, id, &rb, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "runbook");
        return;
    }
    bt__mg_reply(r, status, bt__mg_runbook_summary(&rb));
    bt_store_runbook_clear(&rb);
}

/* A check-out conflict says who holds it, so the designer can ask them. */
static void checkout_error(mg_req *r, int rc, const bt_error *err) {
    if (rc == -BT_ESTATE)
        bt__mg_error(r, 409, "checked_out", "runbook", "%s", err->message);
    else
        bt__mg_error_from(r, rc, err, "runbook");
}

static void checkout_change(mg_req *r, bool undo) {
    static const char *const allowed[] = {"runbook", "force", NULL};
    json_t *body = bt__mg_body(r, allowed);
    if (!body)
        return;
    bool force = json_is_true(json_object_get(body, "force"));
    bt_store_runbook rb;
    if (!body_runbook(r, body, &rb))
        return;
    bt_error err = {0};
    json_t *before = checkout_state(&rb);
    int rc = 0;
    if (bt__mg_begin(r)) {
        rc = undo ? bt_store_runbook_undo_checkout(r->store, rb.id,
                                                   force ? NULL : r->user, &err)
                  : bt_store_runbook_checkout(r->store, rb.id, r->user, &err);
        if (rc) {
            checkout_error(r, rc, &err);
        } else {
            json_t *after = json_pack("{s:o, s:i}", "checked_out_by",
                                      undo ? json_null() : json_string(r->user),
                                      "latest_version", rb.latest_version);
            if (bt__mg_audit(
                    r, undo ? "runbook.undo_checkout" : "runbook.checkout",
                    rb.path, before, after) &&
                bt__mg_commit(r))
                reply_runbook(r, 200, rb.id);
            json_decref(after);
        }
    }
    json_decref(before);
    bt_store_runbook_clear(&rb);
}

/* POST /api/runbook/checkout {"runbook"} */
void bt__mg_runbook_checkout(mg_req *r) { checkout_change(r, false); }
/* POST /api/runbook/undo-checkout {"runbook", "force"} */
void bt__mg_runbook_undo_checkout(mg_req *r) { checkout_change(r, true); }

/* Finds or creates the folder at path (and its parents). */
static int ensure_folder(bt_store *s, const char *path, int64_t *id,
                         bt_error *err) {
    bt_store_folder f = {0};
    int rc = bt_store_folder_get(s, path, &f, err);
    if (rc == -BT_ENOTFOUND)
        rc = bt_store_folder_create(s, path, &f, err);
    if (!rc)
        *id = f.id;
    bt_store_folder_clear(&f);
    return rc;
}

/* Stores yaml as the next version of rb (checked out by the caller), or,
 * when rb is NULL, creates the runbook doc describes with version 1.
 * Inside the caller's group; answers on error. */
static bool store_checkin(mg_req *r, const bt_store_runbook *rb,
                          const bt_runbook *doc, const char *yaml,
                          const char *comment, int64_t *out_id, int *out_ver) {
    bt_error err = {0};
    int rc;
    if (rb) {
        rc = bt_store_runbook_checkin(r->store, rb->id, r->user, yaml, comment,
                                      out_ver, &err);
        if (rc == -BT_ESTATE) {
            bt__mg_error(r, 409, "not_checked_out", "runbook",
                         "%s (check it out first: baton checkout %s)",
                         err.message, rb->path);
            return false;
        }
        if (rc) {
            bt__mg_error_from(r, rc, &err, "runbook");
            return false;
        }
        *out_id = rb->id;
        json_t *before = json_pack("{s:i}", "version", rb->latest_version);
        json_t *after = json_pack("{s:i, s:o}", "version", *out_ver, "comment",
                                  bt__mg_strn(comment));
        bool ok = bt__mg_audit(r, "runbook.checkin", rb->path, before, after);
        json_decref(before);
        json_decref(after);
        return ok;
    }
    int64_t folder_id = 0;
    bt_store_runbook created = {0};
    rc = ensure_folder(r->store, doc->folder ? doc->folder : "/", &folder_id,
                       &err);
    if (!rc)
        rc = bt_store_runbook_create(r->store, folder_id, doc->name,
                                     doc->description, &created, &err);
    if (!rc)
        rc = bt_store_version_add(r->store, created.id, yaml, r->user, comment,
                                  out_ver, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "runbook");
        bt_store_runbook_clear(&created);
        return false;
    }
    *out_id = created.id;
    json_t *after = json_pack("{s:i, s:o}", "version", *out_ver, "comment",
                              bt__mg_strn(comment));
    bool ok = bt__mg_audit(r, "runbook.create", created.path, NULL, after);
    json_decref(after);
    bt_store_runbook_clear(&created);
    return ok;
}

/* POST /api/runbook/checkin {"yaml", "comment", "runbook"?}: the runbook is
 * "runbook" when given, else the one the document names (folder + name);
 * a document naming a runbook that does not exist creates it. */
void bt__mg_runbook_checkin(mg_req *r) {
    static const char *const allowed[] = {"runbook", "yaml", "comment", "file",
                                          NULL};
    json_t *body = bt__mg_body(r, allowed);
    if (!body)
        return;
    const char *yaml, *comment, *file;
    if (!bt__mg_str(r, body, "yaml", true, &yaml) ||
        !bt__mg_str(r, body, "comment", false, &comment) ||
        !bt__mg_str(r, body, "file", false, &file))
        return;
    if (!comment)
        comment = "";
    /* problems point into the designer's file when the client names it */
    bt_runbook *doc =
        bt__mg_validate(r, file && *file ? file : "runbook", yaml);
    if (!doc)
        return;
    bt_store_runbook rb = {0};
    bool have = false;
    if (json_object_get(body, "runbook")) {
        if (!body_runbook(r, body, &rb))
            goto out;
        have = true;
    } else {
        bt_store *s = bt__mg_store(r);
        bt_store_folder f = {0};
        bt_error err = {0};
        int rc = s ? bt_store_folder_get(s, doc->folder ? doc->folder : "/", &f,
                                         &err)
                   : -BT_EIO;
        if (!rc)
            rc = bt_store_runbook_find(s, f.id, doc->name, &rb, &err);
        bt_store_folder_clear(&f);
        if (!s)
            goto out;
        if (!rc)
            have = true;
        else if (rc != -BT_ENOTFOUND) {
            bt__mg_error_from(r, rc, &err, "runbook");
            goto out;
        }
        if (have ? !bt__mg_can(r, rb.folder_id, BT_RIGHT_AUTHOR, rb.path)
                 : !bt__mg_can_path(r, doc->folder ? doc->folder : "/",
                                    BT_RIGHT_AUTHOR,
                                    doc->folder ? doc->folder : "/"))
            goto out;
    }
    int64_t id = 0;
    int version = 0;
    if (bt__mg_begin(r) &&
        store_checkin(r, have ? &rb : NULL, doc, yaml, comment, &id,
                      &version) &&
        bt__mg_commit(r)) {
        reply_runbook(r, have ? 200 : 201, id);
        if (r->status < 300)
            json_object_set_new(r->reply, "checked_in_version",
                                json_integer(version));
    }
out:
    bt_store_runbook_clear(&rb);
    bt_runbook_free(doc);
}

/* POST /api/runbook/revert {"runbook", "version", "comment"?}: the text of
 * an earlier version becomes the next one. The caller must hold the
 * check-out or nobody may (then it is taken and released in the same
 * transaction). */
void bt__mg_runbook_revert(mg_req *r) {
    static const char *const allowed[] = {"runbook", "version", "comment",
                                          NULL};
    json_t *body = bt__mg_body(r, allowed);
    if (!body)
        return;
    json_t *jv = json_object_get(body, "version");
    if (!json_is_integer(jv) || json_integer_value(jv) < 1) {
        bt__mg_error(r, 400, jv ? "invalid" : "missing_field", "version",
                     "version must be a version number (1, 2, ...)");
        return;
    }
    const char *comment;
    if (!bt__mg_str(r, body, "comment", false, &comment))
        return;
    bt_store_runbook rb;
    if (!body_runbook(r, body, &rb))
        return;
    int target = (int)json_integer_value(jv);
    bt_store_version v = {0};
    char *msg = comment ? bt_xstrdup(comment)
                        : bt_xasprintf("revert to version %d", target);
    bt_runbook *doc = NULL;
    if (!get_version(r, &rb, target, &v))
        goto out;
    if (!(doc = bt__mg_validate(r, rb.path, v.yaml)))
        goto out;
    bt_error err = {0};
    int64_t id;
    int version = 0;
    if (!bt__mg_begin(r))
        goto out;
    if (!rb.checked_out_by) {
        int rc = bt_store_runbook_checkout(r->store, rb.id, r->user, &err);
        if (rc) {
            checkout_error(r, rc, &err);
            goto out;
        }
    }
    if (store_checkin(r, &rb, doc, v.yaml, msg, &id, &version) &&
        bt__mg_commit(r)) {
        reply_runbook(r, 200, rb.id);
        if (r->status < 300)
            json_object_set_new(r->reply, "checked_in_version",
                                json_integer(version));
    }
out:
    bt_runbook_free(doc);
    free(msg);
    bt_store_version_clear(&v);
    bt_store_runbook_clear(&rb);
}

/* ---- settings, rename, move, delete ----------------------------------- */

/* POST /api/runbook/settings {"runbook", "preferred_servers", "max_concurrent"}
 */
void bt__mg_runbook_settings(mg_req *r) {
    static const char *const allowed[] = {"runbook", "preferred_servers",
                                          "max_concurrent", NULL};
    json_t *body = bt__mg_body(r, allowed);
    if (!body)
        return;
    json_t *ps = json_object_get(body, "preferred_servers");
    json_t *mc = json_object_get(body, "max_concurrent");
    if (ps && !json_is_array(ps)) {
        bt__mg_error(r, 400, "invalid", "preferred_servers",
                     "preferred_servers must be a list of server names");
        return;
    }
    size_t i;
    json_t *it;
    json_array_foreach(ps, i, it) {
        if (!json_is_string(it) || !json_string_length(it)) {
            bt__mg_error(r, 400, "invalid", "preferred_servers",
                         "preferred_servers[%zu] must be a server name", i);
            return;
        }
    }
    if (mc && (!json_is_integer(mc) || json_integer_value(mc) < 0 ||
               json_integer_value(mc) > 1000000)) {
        bt__mg_error(r, 400, "invalid", "max_concurrent",
                     "max_concurrent must be a whole number from 0 "
                     "(unlimited) to 1000000");
        return;
    }
    bt_store_runbook rb;
    if (!body_runbook(r, body, &rb))
        return;
    json_t *before =
        json_pack("{s:o, s:i}", "preferred_servers",
                  string_array(rb.preferred_servers, rb.n_preferred),
                  "max_concurrent", rb.max_concurrent);
    size_t n = ps ? json_array_size(ps) : rb.n_preferred;
    const char **names = bt_xcalloc(n + 1, sizeof *names);
    for (size_t k = 0; k < n; k++)
        names[k] = ps ? json_string_value(json_array_get(ps, k))
                      : rb.preferred_servers[k];
    bt_store_runbook_settings set = {
        .max_concurrent = mc ? (int)json_integer_value(mc) : rb.max_concurrent,
        .preferred_servers = names,
        .n_preferred = n,
    };
    bt_error err = {0};
    if (bt__mg_begin(r)) {
        int rc = bt_store_runbook_set_settings(r->store, rb.id, &set, &err);
        json_t *after = json_pack("{s:o, s:i}", "preferred_servers",
                                  string_array((char *const *)names, n),
                                  "max_concurrent", set.max_concurrent);
        if (rc)
            bt__mg_error_from(r, rc, &err, "runbook");
        else if (bt__mg_audit(r, "runbook.settings", rb.path, before, after) &&
                 bt__mg_commit(r))
            reply_runbook(r, 200, rb.id);
        json_decref(after);
    }
    free(names);
    json_decref(before);
    bt_store_runbook_clear(&rb);
}

typedef enum { EDIT_RENAME, EDIT_MOVE, EDIT_DELETE } edit_kind;

static void runbook_edit(mg_req *r, edit_kind kind) {
    static const char *const rename_fields[] = {"runbook", "name", NULL};
    static const char *const move_fields[] = {"runbook", "folder", NULL};
    static const char *const delete_fields[] = {"runbook", NULL};
    json_t *body = bt__mg_body(r, kind == EDIT_RENAME ? rename_fields
                                  : kind == EDIT_MOVE ? move_fields
                                                      : delete_fields);
    if (!body)
        return;
    const char *arg = NULL;
    if (kind == EDIT_RENAME && !bt__mg_str(r, body, "name", true, &arg))
        return;
    if (kind == EDIT_MOVE && !bt__mg_str(r, body, "folder", true, &arg))
        return;
    if (kind == EDIT_RENAME && (!*arg || strchr(arg, '/'))) {
        bt__mg_error(r, 400, "invalid", "name",
                     "a runbook name must not be empty or contain '/'");
        return;
    }
    bt_store_runbook rb;
    if (!body_runbook(r, body, &rb))
        return;
    /* Someone else editing it would check in over the change. */
    if (rb.checked_out_by && strcmp(rb.checked_out_by, r->user)) {
        bt__mg_error(r, 409, "checked_out", "runbook",
                     "runbook '%s' is checked out by %s", rb.path,
                     rb.checked_out_by);
        bt_store_runbook_clear(&rb);
        return;
    }
    bt_error err = {0};
    int rc = 0;
    const char *action = kind == EDIT_RENAME ? "runbook.rename"
                         : kind == EDIT_MOVE ? "runbook.move"
                                             : "runbook.delete";
    if (!bt__mg_begin(r))
        goto out;
    if (kind == EDIT_RENAME) {
        rc = bt_store_runbook_rename(r->store, rb.id, arg, &err);
    } else if (kind == EDIT_MOVE) {
        bt_store_folder f = {0};
        rc = bt_store_folder_get(r->store, arg, &f, &err);
        if (rc == -BT_ENOTFOUND) {
            bt__mg_not_found(r, "folder", "folder", arg);
            goto out;
        }
        if (!rc && !bt__mg_can_see(r, f.id, BT_RIGHT_AUTHOR, arg,
                                   strcmp(f.path, "/") ? "folder" : NULL, arg,
                                   "folder")) {
            bt_store_folder_clear(&f);
            goto out;
        }
        if (!rc)
            rc = bt_store_runbook_move(r->store, rb.id, f.id, &err);
        bt_store_folder_clear(&f);
    } else {
        rc = bt_store_runbook_delete(r->store, rb.id, &err);
    }
    if (rc) {
        bt__mg_error_from(r, rc, &err,
                          kind == EDIT_MOVE ? "folder" : "runbook");
        goto out;
    }
    bt_store_runbook now = {0};
    rc = bt_store_runbook_get(r->store, rb.id, &now, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "runbook");
        goto out;
    }
    json_t *before =
        json_pack("{s:s, s:I}", "path", rb.path, "id", (json_int_t)rb.id);
    json_t *after =
        kind == EDIT_DELETE
            ? json_pack("{s:b, s:I}", "deleted", 1, "id", (json_int_t)rb.id)
            : json_pack("{s:s, s:I}", "path", now.path, "id",
                        (json_int_t)rb.id);
    if (bt__mg_audit(r, action, rb.path, before, after) && bt__mg_commit(r)) {
        json_t *o = bt__mg_runbook_summary(&now);
        json_object_set_new(o, "deleted", json_boolean(now.deleted_us != 0));
        bt__mg_reply(r, 200, o);
    }
    json_decref(before);
    json_decref(after);
    bt_store_runbook_clear(&now);
out:
    bt_store_runbook_clear(&rb);
}

/* POST /api/runbook/rename {"runbook", "name"} */
void bt__mg_runbook_rename(mg_req *r) { runbook_edit(r, EDIT_RENAME); }
/* POST /api/runbook/move {"runbook", "folder"} */
void bt__mg_runbook_move(mg_req *r) { runbook_edit(r, EDIT_MOVE); }
/* POST /api/runbook/delete {"runbook"}: versions and jobs are kept */
void bt__mg_runbook_delete(mg_req *r) { runbook_edit(r, EDIT_DELETE); }
