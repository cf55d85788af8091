/* The folder tree: listing (folders with their runbooks, recursively),
 * create, rename, move, delete. A deleted folder's runbooks keep their
 * history (the store soft-deletes them). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/version.h"
#include "mgmt/mgmt_internal.h"

#define TREE_DEPTH_MAX 64

/* GET /api/health */
void bt__mg_health(mg_req *r) {
    static const char *const none[] = {NULL};
    if (!bt__mg_query_only(r, none))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt__mg_reply(r, 200,
                 json_pack("{s:s, s:s, s:s, s:s}", "status", "ok", "service",
                           "management", "version", bt_version(), "database",
                           bt_store_backend(s)));
}

static json_t *folder_node(mg_req *r, const bt_store_folder *f, int depth,
                           bool recursive, int *rc, bt_error *err) {
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)f->id,
                          "guid", f->guid, "name", f->name, "path", f->path,
                          "created", bt__mg_time(f->created_us));
    json_t *folders = json_array(), *runbooks = json_array();
    json_object_set_new(o, "folders", folders);
    json_object_set_new(o, "runbooks", runbooks);
    bt_store_runbook *rbs = NULL;
    size_t nr = 0;
    /* folder_list(0) would be the root's children; runbook_list(0) is every
     * runbook, so the root's own runbooks are filtered by folder id. */
    *rc = bt_store_runbook_list(r->store, f->id, &rbs, &nr, err);
    if (*rc)
        return o;
    for (size_t i = 0; i < nr; i++)
        if (rbs[i].folder_id == f->id)
            json_array_append_new(runbooks, bt__mg_runbook_summary(&rbs[i]));
    bt_store_runbook_list_free(rbs, nr);
    if (!recursive && depth > 0)
        return o;
    if (depth >= TREE_DEPTH_MAX)
        return o;
    bt_store_folder *kids = NULL;
    size_t nk = 0;
    *rc = bt_store_folder_list(r->store, f->id, &kids, &nk, err);
    for (size_t i = 0; !*rc && i < nk; i++)
        json_array_append_new(
            folders, folder_node(r, &kids[i], depth + 1, recursive, rc, err));
    bt_store_folder_list_free(kids, nk);
    return o;
}

/* GET /api/tree?path=/Ops&depth=1: a folder with its runbooks and
 * subfolders (depth 1: direct children only, as `baton ls`). */
void bt__mg_tree(mg_req *r) {
    static const char *const allowed[] = {"path", "depth", NULL};
    if (!bt__mg_query_only(r, allowed))
        return;
    const char *path = bt__mg_query(r, "path");
    const char *depth = bt__mg_query(r, "depth");
    if (!path || !*path)
        path = "/";
    if (depth && strcmp(depth, "1") && strcmp(depth, "all")) {
        bt__mg_error(r, 400, "invalid_parameter", "depth",
                     "depth must be 1 or all, got '%s'", depth);
        return;
    }
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_folder f = {0};
    bt_error err = {0};
    int rc = bt_store_folder_get(s, path, &f, &err);
    if (rc == -BT_ENOTFOUND) {
        bt__mg_not_found(r, "path", "folder", path);
        return;
    }
    if (rc) {
        bt__mg_error_from(r, rc, &err, "path");
        return;
    }
    /* the root is no secret: without rights on it, 403 */
    if (!bt__mg_can_see(r, f.id, BT_RIGHT_VIEW, f.path,
                        strcmp(f.path, "/") ? "folder" : NULL, path, "path")) {
        bt_store_folder_clear(&f);
        return;
    }
    json_t *o =
        folder_node(r, &f, 0, !depth || !strcmp(depth, "all"), &rc, &err);
    bt_store_folder_clear(&f);
    if (rc) {
        json_decref(o);
        bt__mg_error_from(r, rc, &err, "path");
        return;
    }
    bt__mg_reply(r, 200, o);
}

static json_t *folder_json(const bt_store_folder *f) {
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)f->id, "guid",
                     f->guid, "name", f->name, "path", f->path);
}

/* POST /api/folders {"path"} */
void bt__mg_folder_create(mg_req *r) {
    static const char *const allowed[] = {"path", NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *path;
    if (!body || !bt__mg_str(r, body, "path", true, &path))
        return;
    if (path[0] != '/') {
        bt__mg_error(r, 400, "invalid", "path",
                     "folder path '%s' must start with '/'", path);
        return;
    }
    if (!bt__mg_can_path(r, path, BT_RIGHT_AUTHOR, path) || !bt__mg_begin(r))
        return;
    bt_store_folder f = {0};
    bt_error err = {0};
    int rc = bt_store_folder_create(r->store, path, &f, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "path");
        return;
    }
    json_t *after = folder_json(&f);
    if (bt__mg_audit(r, "folder.create", f.path, NULL, after) &&
        bt__mg_commit(r))
        bt__mg_reply(r, 201, json_incref(after));
    json_decref(after);
    bt_store_folder_clear(&f);
}

typedef enum { FOLDER_RENAME, FOLDER_MOVE, FOLDER_DELETE } folder_edit;

static void edit_folder(mg_req *r, folder_edit kind) {
    static const char *const rename_fields[] = {"path", "name", NULL};
    static const char *const move_fields[] = {"path", "to", NULL};
    static const char *const delete_fields[] = {"path", "recursive", NULL};
    json_t *body = bt__mg_body(r, kind == FOLDER_RENAME ? rename_fields
                                  : kind == FOLDER_MOVE ? move_fields
                                                        : delete_fields);
    const char *path, *arg = NULL;
    if (!body || !bt__mg_str(r, body, "path", true, &path))
        return;
    if (kind == FOLDER_RENAME && !bt__mg_str(r, body, "name", true, &arg))
        return;
    if (kind == FOLDER_MOVE && !bt__mg_str(r, body, "to", true, &arg))
        return;
    json_t *rec = json_object_get(body, "recursive");
    if (rec && !json_is_boolean(rec)) {
        bt__mg_error(r, 400, "invalid", "recursive",
                     "recursive must be true or false");
        return;
    }
    if (!bt__mg_begin(r))
        return;
    bt_store_folder f = {0}, to = {0}, now = {0};
    bt_error err = {0};
    int rc = bt_store_folder_get(r->store, path, &f, &err);
    if (rc == -BT_ENOTFOUND) {
        bt__mg_not_found(r, "path", "folder", path);
        goto out;
    }
    if (!rc &&
        !bt__mg_can_see(r, f.id, BT_RIGHT_AUTHOR, f.path,
                        strcmp(f.path, "/") ? "folder" : NULL, path, "path"))
        goto out;
    const char *target = "path";
    const char *action = "folder.delete";
    if (!rc && kind == FOLDER_RENAME) {
        action = "folder.rename";
        rc = bt_store_folder_rename(r->store, f.id, arg, &err);
    } else if (!rc && kind == FOLDER_MOVE) {
        action = "folder.move";
        target = "to";
        rc = bt_store_folder_get(r->store, arg, &to, &err);
        if (rc == -BT_ENOTFOUND) {
            bt__mg_not_found(r, "to", "folder", arg);
            goto out;
        }
        if (!rc &&
            !bt__mg_can_see(r, to.id, BT_RIGHT_AUTHOR, to.path,
                            strcmp(to.path, "/") ? "folder" : NULL, arg, "to"))
            goto out;
        if (!rc)
            rc = bt_store_folder_move(r->store, f.id, to.id, &err);
    } else if (!rc) {
        rc = bt_store_folder_delete(r->store, f.id, json_is_true(rec), &err);
        if (rc == -BT_ESTATE) {
            bt__mg_error(r, 409, "not_empty", "path",
                         "%s (delete it with everything in it: --recursive; "
                         "its runbooks keep their history)",
                         err.message);
            goto out;
        }
    }
    if (!rc && kind != FOLDER_DELETE)
        rc = bt_store_folder_get_id(r->store, f.id, &now, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, target);
        goto out;
    }
    json_t *before = folder_json(&f);
    json_t *after = kind == FOLDER_DELETE ? json_pack("{s:b}", "deleted", 1)
                                          : folder_json(&now);
    if (bt__mg_audit(r, action, f.path, before, after) && bt__mg_commit(r))
        bt__mg_reply(r, 200, json_incref(after));
    json_decref(before);
    json_decref(after);
out:
    bt_store_folder_clear(&f);
    bt_store_folder_clear(&to);
    bt_store_folder_clear(&now);
}

/* POST /api/folders/rename {"path", "name"} */
void bt__mg_folder_rename(mg_req *r) { edit_folder(r, FOLDER_RENAME); }
/* POST /api/folders/move {"path", "to"} */
void bt__mg_folder_move(mg_req *r) { edit_folder(r, FOLDER_MOVE); }
/* POST /api/folders/delete {"path", "recursive"} */
void bt__mg_folder_delete(mg_req *r) { edit_folder(r, FOLDER_DELETE); }
