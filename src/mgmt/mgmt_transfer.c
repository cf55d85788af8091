/* Import and export of folder trees as runbook YAML files, and import of
 * Orchestrator exports. Export gives each runbook's latest checked-in text
 * byte for byte, and import stores a file only when its text differs from
 * the latest version, so export -> import -> export gives identical files
 * (and adds no versions). An import is validated as a whole before
 * anything is stored, then stored in one transaction: a truncated or
 * hostile file, or a runbook someone else has checked out, leaves every
 * stored runbook untouched. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mgmt/mgmt_internal.h"
#include "mgmt/ois_store.h"

#define IMPORT_FILES_MAX 10000
#define PATH_MAX_LEN 1024
#define TREE_DEPTH_MAX 64

/* ---- export ----------------------------------------------------------- */

/* A runbook name as a file name: '/' and control characters become '_',
 * and a leading '.' too, so no name makes a hidden or escaping file. */
static char *file_name(const char *name) {
    char *out = bt_xasprintf("%s.runbook.yaml", name);
    for (char *p = out; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = '_';
    if (out[0] == '.')
        out[0] = '_';
    return out;
}

static const char *relative(const char *root, const char *path) {
    size_t n = strlen(root);
    if (!strcmp(root, "/"))
        return path + 1;
    return path[n] == '/' ? path + n + 1 : path + n;
}

static int export_folder(mg_req *r, const char *root, const bt_store_folder *f,
                         int depth, json_t *folders, json_t *files,
                         json_t *skipped, bt_error *err) {
    const char *rel = relative(root, f->path);
    if (*rel)
        json_array_append_new(folders, json_string(rel));
    bt_store_runbook *rbs = NULL;
    size_t nr = 0;
    int rc = bt_store_runbook_list(r->store, f->id, &rbs, &nr, err);
    for (size_t i = 0; !rc && i < nr; i++) {
        const bt_store_runbook *rb = &rbs[i];
        if (rb->folder_id != f->id)
            continue;
        if (!rb->latest_version) {
            json_array_append_new(skipped, json_string(rb->path));
            continue;
        }
        bt_store_version v = {0};
        rc = bt_store_version_get(r->store, rb->id, 0, &v, err);
        if (rc)
            break;
        char *fn = file_name(rb->name);
        char *path = *rel ? bt_xasprintf("%s/%s", rel, fn) : bt_xstrdup(fn);
        json_array_append_new(files, json_pack("{s:s, s:o, s:s, s:i}", "path",
                                               path, "content",
                                               bt__mg_strn(v.yaml), "runbook",
                                               rb->path, "version", v.version));
        free(path);
        free(fn);
        bt_store_version_clear(&v);
    }
    bt_store_runbook_list_free(rbs, nr);
    if (rc || depth >= TREE_DEPTH_MAX)
        return rc;
    bt_store_folder *kids = NULL;
    size_t nk = 0;
    rc = bt_store_folder_list(r->store, f->id, &kids, &nk, err);
    for (size_t i = 0; !rc && i < nk; i++)
        rc = export_folder(r, root, &kids[i], depth + 1, folders, files,
                           skipped, err);
    bt_store_folder_list_free(kids, nk);
    return rc;
}

/* GET /api/export?path=/Ops: {"folder", "folders": [relative paths],
 * "files": [{"path", "content", "runbook", "version"}], "skipped": [...]} */
void bt__mg_export(mg_req *r) {
    static const char *const allowed[] = {"path", NULL};
    if (!bt__mg_query_only(r, allowed))
        return;
    const char *path = bt__mg_query(r, "path");
    if (!path || !*path)
        path = "/";
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
    if (!bt__mg_can_see(r, f.id, BT_RIGHT_VIEW, f.path,
                        strcmp(f.path, "/") ? "folder" : NULL, path, "path")) {
        bt_store_folder_clear(&f);
        return;
    }
    json_t *folders = json_array(), *files = json_array(),
           *skipped = json_array();
    rc = export_folder(r, f.path, &f, 0, folders, files, skipped, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "path");
        json_decref(folders);
        json_decref(files);
        json_decref(skipped);
    } else {
        bt__mg_reply(r, 200,
                     json_pack("{s:s, s:o, s:o, s:o}", "folder", f.path,
                               "folders", folders, "files", files, "skipped",
                               skipped));
    }
    bt_store_folder_clear(&f);
}

/* ---- import ----------------------------------------------------------- */

typedef struct import_file {
    const char *path; /* relative, as sent */
    const char *content;
    char *folder; /* destination folder path */
    bt_runbook *doc;
} import_file;

/* A relative path of plain segments: no "..", ".", empty segments or a
 * leading '/'. */
static bool safe_relative(const char *p) {
    if (!*p || p[0] == '/' || strlen(p) > PATH_MAX_LEN)
        return false;
    const char *s = p;
    for (;;) {
        const char *e = strchrnul(s, '/');
        size_t n = (size_t)(e - s);
        if (!n || (n == 1 && s[0] == '.') ||
            (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        if (!*e)
            return true;
        s = e + 1;
    }
}

static char *join_folder(const char *base, const char *rel, size_t rel_len) {
    if (!rel_len)
        return bt_xstrdup(base);
    if (!strcmp(base, "/"))
        return bt_xasprintf("/%.*s", (int)rel_len, rel);
    return bt_xasprintf("%s/%.*s", base, (int)rel_len, rel);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Checks every file (path, loader) and collects every problem; true when
 * there are none. */
static bool check_files(mg_req *r, const char *dest, json_t *jfiles,
                        import_file *files, size_t n, json_t *problems) {
    for (size_t i = 0; i < n; i++) {
        json_t *jf = json_array_get(jfiles, i);
        const char *path = json_string_value(json_object_get(jf, "path"));
        const char *content = json_string_value(json_object_get(jf, "content"));
        if (!json_is_object(jf) || !path || !content ||
            json_object_size(jf) != 2) {
            json_array_append_new(problems,
                                  json_pack("{s:s, s:s}", "file",
                                            path ? path : "?", "message",
                                            "each file must be {\"path\": ..., "
                                            "\"content\": ...}"));
            continue;
        }
        files[i].path = path;
        files[i].content = content;
        if (!safe_relative(path) || !(ends_with(path, ".runbook.yaml") ||
                                      ends_with(path, ".runbook.json"))) {
            json_array_append_new(
                problems,
                json_pack("{s:s, s:s}", "file", path, "message",
                          "the path must be relative, without '..', and end "
                          "in .runbook.yaml or .runbook.json"));
            continue;
        }
        if (memchr(content, '\0',
                   json_string_length(json_object_get(jf, "content")))) {
            json_array_append_new(problems, json_pack("{s:s, s:s}", "file",
                                                      path, "message",
                                                      "the file holds NUL "
                                                      "bytes"));
            continue;
        }
        const char *slash = strrchr(path, '/');
        files[i].folder =
            join_folder(dest, path, slash ? (size_t)(slash - path) : 0);
        bt_diags d;
        bt_diags_init(&d);
        if (bt_runbook_load_string(path, content, strlen(content), NULL,
                                   &files[i].doc, &d)) {
            for (size_t k = 0; k < d.count; k++) {
                char line[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
                bt_error_format(&d.items[k], line, sizeof line);
                json_array_append_new(problems,
                                      json_pack("{s:s, s:o}", "file", path,
                                                "message", bt__mg_strn(line)));
            }
            if (!d.count)
                json_array_append_new(problems,
                                      json_pack("{s:s, s:s}", "file", path,
                                                "message", "does not load"));
        }
        bt_diags_free(&d);
    }
    /* two files for one runbook would store one over the other */
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; files[i].doc && k < n; k++)
            if (files[k].doc && !strcmp(files[i].folder, files[k].folder) &&
                !strcmp(files[i].doc->name, files[k].doc->name))
                json_array_append_new(
                    problems,
                    json_pack("{s:s, s:o}", "file", files[k].path, "message",
                              json_sprintf("describes the same runbook '%s' "
                                           "in '%s' as %s",
                                           files[k].doc->name, files[k].folder,
                                           files[i].path)));
    (void)r;
    return json_array_size(problems) == 0;
}

static int ensure_folder(bt_store *s, const char *path, int64_t *id,
                         bt_error *err) {
    bt_store_folder f = {0};
    int rc = bt_store_folder_get(s, path, &f, err);
    if (rc == -BT_ENOTFOUND)
        rc = bt_store_folder_create(s, path, &f, err);
    if (!rc && id)
        *id = f.id;
    bt_store_folder_clear(&f);
    return rc;
}

/* Stores one file inside the group; *what says what happened. */
static int import_one(mg_req *r, const import_file *f, const char *comment,
                      const char **what, int *version, char **rb_path,
                      bt_error *err) {
    int64_t folder_id = 0;
    int rc = ensure_folder(r->store, f->folder, &folder_id, err);
    if (rc)
        return rc;
    bt_store_runbook rb = {0};
    rc = bt_store_runbook_find(r->store, folder_id, f->doc->name, &rb, err);
    if (rc == -BT_ENOTFOUND) {
        rc = bt_store_runbook_create(r->store, folder_id, f->doc->name,
                                     f->doc->description, &rb, err);
        if (!rc)
            rc = bt_store_version_add(r->store, rb.id, f->content, r->user,
                                      comment, version, err);
        *what = "created";
    } else if (!rc) {
        bt_store_version v = {0};
        if (rb.latest_version)
            rc = bt_store_version_get(r->store, rb.id, 0, &v, err);
        if (!rc && v.yaml && !strcmp(v.yaml, f->content)) {
            *what = "unchanged";
            *version = v.version;
        } else if (!rc && rb.checked_out_by &&
                   strcmp(rb.checked_out_by, r->user)) {
            rc = bt_error_set(err, BT_ESTATE,
                              "%s: runbook '%s' is checked out by %s; "
                              "nothing was imported",
                              f->path, rb.path, rb.checked_out_by);
        } else if (!rc && rb.checked_out_by) {
            rc = bt_store_runbook_checkin(r->store, rb.id, r->user, f->content,
                                          comment, version, err);
            *what = "updated";
        } else if (!rc) {
            rc = bt_store_version_add(r->store, rb.id, f->content, r->user,
                                      comment, version, err);
            *what = "updated";
        }
        bt_store_version_clear(&v);
    }
    if (!rc)
        *rb_path = bt_xstrdup(rb.path);
    bt_store_runbook_clear(&rb);
    return rc;
}

/* POST /api/import {"folder", "folders", "files", "comment"} */
void bt__mg_import(mg_req *r) {
    static const char *const allowed[] = {"folder", "folders", "files",
                                          "comment", NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *dest, *comment;
    if (!body || !bt__mg_str(r, body, "folder", false, &dest) ||
        !bt__mg_str(r, body, "comment", false, &comment))
        return;
    if (!dest)
        dest = "/";
    if (!comment)
        comment = "imported";
    if (dest[0] != '/') {
        bt__mg_error(r, 400, "invalid", "folder",
                     "destination folder '%s' must start with '/'", dest);
        return;
    }
    /* rights are inherited downwards: the destination's cover the tree */
    if (!bt__mg_can_path(r, dest, BT_RIGHT_AUTHOR, dest))
        return;
    json_t *jfolders = json_object_get(body, "folders");
    json_t *jfiles = json_object_get(body, "files");
    if ((jfolders && !json_is_array(jfolders)) || !json_is_array(jfiles)) {
        bt__mg_error(r, 400, jfiles ? "invalid" : "missing_field", "files",
                     "files must be a list of {\"path\", \"content\"} and "
                     "folders a list of relative paths");
        return;
    }
    size_t n = json_array_size(jfiles);
    if (n > IMPORT_FILES_MAX || json_array_size(jfolders) > IMPORT_FILES_MAX) {
        bt__mg_error(r, 413, "too_large", "files",
                     "an import holds at most %d files and %d folders",
                     IMPORT_FILES_MAX, IMPORT_FILES_MAX);
        return;
    }
    json_t *problems = json_array();
    size_t i;
    json_t *jf;
    json_array_foreach(jfolders, i, jf) {
        const char *p = json_string_value(jf);
        if (!p || !safe_relative(p))
            json_array_append_new(problems,
                                  json_pack("{s:s, s:s}", "file", p ? p : "?",
                                            "message",
                                            "a folder must be a relative path "
                                            "without '..'"));
    }
    import_file *files = bt_xcalloc(n ? n : 1, sizeof *files);
    bool ok = check_files(r, dest, jfiles, files, n, problems) &&
              !json_array_size(problems);
    if (!ok) {
        json_t *first = json_array_get(problems, 0);
        bt__mg_error(r, 400, "invalid_import", "files",
                     "nothing was imported: %zu problem%s, the first: %s: %s",
                     json_array_size(problems),
                     json_array_size(problems) == 1 ? "" : "s",
                     json_string_value(json_object_get(first, "file")),
                     json_string_value(json_object_get(first, "message")));
        json_object_set(json_object_get(r->reply, "error"), "problems",
                        problems);
        goto out;
    }
    if (!bt__mg_begin(r))
        goto out;
    bt_error err = {0};
    int rc = 0;
    json_array_foreach(jfolders, i, jf) {
        const char *p = json_string_value(jf);
        char *full = join_folder(dest, p, strlen(p));
        rc = ensure_folder(r->store, full, NULL, &err);
        free(full);
        if (rc)
            break;
    }
    if (!rc)
        rc = ensure_folder(r->store, dest, NULL, &err);
    json_t *results = json_array();
    size_t created = 0, updated = 0, unchanged = 0;
    for (i = 0; !rc && i < n; i++) {
        const char *what = "unchanged";
        int version = 0;
        char *path = NULL;
        rc = import_one(r, &files[i], comment, &what, &version, &path, &err);
        if (rc)
            break;
        json_array_append_new(results,
                              json_pack("{s:s, s:s, s:s, s:i}", "file",
                                        files[i].path, "runbook", path,
                                        "action", what, "version", version));
        if (!strcmp(what, "created"))
            created++;
        else if (!strcmp(what, "updated"))
            updated++;
        else
            unchanged++;
        if (strcmp(what, "unchanged")) {
            json_t *after =
                json_pack("{s:i, s:s, s:s}", "version", version, "file",
                          files[i].path, "comment", comment);
            bool audited = bt__mg_audit(r, "runbook.import", path, NULL, after);
            json_decref(after);
            if (!audited) {
                free(path);
                json_decref(results);
                goto out;
            }
        }
        free(path);
    }
    if (rc) {
        if (rc == -BT_ESTATE)
            bt__mg_error(r, 409, "checked_out", "files", "%s", err.message);
        else
            bt__mg_error_from(r, rc, &err, "files");
        json_decref(results);
        goto out;
    }
    json_t *summary = json_pack(
        "{s:s, s:I, s:I, s:I}", "folder", dest, "created", (json_int_t)created,
        "updated", (json_int_t)updated, "unchanged", (json_int_t)unchanged);
    if (bt__mg_audit(r, "import", dest, NULL, summary) && bt__mg_commit(r)) {
        json_object_set_new(summary, "runbooks", results);
        bt__mg_reply(r, 200, summary);
    } else {
        json_decref(summary);
        json_decref(results);
    }
out:
    for (i = 0; i < n; i++) {
        free(files[i].folder);
        bt_runbook_free(files[i].doc);
    }
    free(files);
    json_decref(problems);
}

/* POST /api/import-ois {"name", "content"}: an Orchestrator export
 * converted (src/mgmt/ois_import.h) and stored; the report says what did
 * not convert exactly. */
void bt__mg_import_ois(mg_req *r) {
    static const char *const allowed[] = {"name", "content", NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *name, *content;
    if (!body || !bt__mg_str(r, body, "name", false, &name) ||
        !bt__mg_str(r, body, "content", true, &content))
        return;
    if (!name)
        name = "export.ois_export";
    /* it writes global settings too */
    if (!bt__mg_admin(r, "import an Orchestrator export"))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_ois_import *imp = NULL;
    bt_error err = {0};
    size_t len = json_string_length(json_object_get(body, "content"));
    int rc = bt_ois_import_memory(name, content, len, NULL, &imp, &err);
    if (rc) {
        bt__mg_error(r, rc == -BT_ETOOBIG ? 413 : 400, "invalid_import",
                     "content", "nothing was imported: %s", err.message);
        return;
    }
    bt_ois_stored stored = {0};
    /* the import and its audit record in one transaction */
    if (!bt__mg_begin(r))
        goto out;
    rc = bt_ois_import_store_in(imp, s, r->user, &stored, &err);
    if (rc == -BT_ESTATE) {
        bt__mg_error(r, 409, "checked_out", "content", "%s", err.message);
        goto out;
    } else if (rc) {
        bt__mg_error_from(r, rc, &err, "content");
        goto out;
    }
    json_t *summary = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:b}", "name", name, "runbooks",
        (json_int_t)stored.runbooks, "variables", (json_int_t)stored.variables,
        "counters", (json_int_t)stored.counters, "schedules",
        (json_int_t)stored.schedules, "complete", bt_ois_import_complete(imp));
    if (!bt__mg_audit(r, "import.ois", name, NULL, summary) ||
        !bt__mg_commit(r)) {
        json_decref(summary);
        goto out;
    }
    json_object_set_new(summary, "report", bt_ois_report_json(imp));
    bt__mg_reply(r, 200, summary);
out:
    bt_ois_import_free(imp);
}
