/* PostgreSQL backend: folders, runbooks, their versions and settings. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/pg_internal.h"

/* ---- Folders -------------------------------------------------------- */

#define FOLDER_COLS                                                           \
    "id, guid, coalesce(parent_id, 0), name, path, created_us"

static void read_folder(const PGresult *r, int row, bt_store_folder *f) {
    f->id = bt__pg_i64(r, row, 0);
    bt__pg_guid(r, row, 1, f->guid);
    f->parent_id = bt__pg_i64(r, row, 2);
    f->name = bt__pg_str0(r, row, 3);
    f->path = bt__pg_str0(r, row, 4);
    f->created_us = bt__pg_i64(r, row, 5);
}

static int folder_by_path(bt_pg *p, const char *path, bt_store_folder *out,
                          bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_text(&a, path);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, "SELECT " FOLDER_COLS " FROM folders WHERE path = $1",
                         &a, &r, "reading a folder", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: folder '%s' does not exist", path);
    else if (out)
        read_folder(r, 0, out);
    PQclear(r);
    return rc;
}

static int check_component(const char *path, const char *c, size_t len,
                           bt_error *err) {
    if (len == 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: folder path '%s' has an empty name", path);
    if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
        return bt_error_set(err, BT_EINVAL,
                            "store: folder path '%s' may not contain '.' or "
                            "'..'",
                            path);
    if (len > 256)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: folder path '%s' has a name longer than "
                            "256 bytes",
                            path);
    return 0;
}

/* Missing parents are created with ON CONFLICT DO NOTHING so that two
 * sessions creating siblings under one new parent both succeed; the folder
 * itself must be new. */
static int insert_folder(bt_pg *p, int64_t parent_id, const char *name,
                         const char *path, bool last, int64_t *id,
                         bt_error *err) {
    static const char sql_parent[] =
        "WITH ins AS (INSERT INTO folders(guid, parent_id, name, path, "
        "created_us) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (path) DO "
        "NOTHING RETURNING id) SELECT id FROM ins UNION ALL "
        "SELECT id FROM folders WHERE path = $4";
    static const char sql_last[] =
        "INSERT INTO folders(guid, parent_id, name, path, created_us) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id";
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt_pg_args a = {0};
    bt__pg_text(&a, guid);
    bt__pg_int(&a, parent_id);
    bt__pg_text(&a, name);
    bt__pg_text(&a, path);
    bt__pg_int(&a, bt__pg_now(p));
    PGresult *r = NULL;
    bt_error e;
    int rc = bt__pg_exec(p, last ? sql_last : sql_parent, &a, &r,
                         "creating a folder", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: folder '%s' already exists", path);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    bool found = PQntuples(r) > 0;
    if (found) *id = bt__pg_i64(r, 0, 0);
    PQclear(r);
    if (found) return 0;
    /* Another session created the parent after this statement's snapshot
     * was taken; a new statement sees it. */
    bt_store_folder f = {0};
    rc = folder_by_path(p, path, &f, err);
    *id = f.id;
    bt_store_folder_clear(&f);
    return rc;
}

/* Walks path from the root, creating what is missing. */
static int create_path(bt_pg *p, const char *path, bt_error *err) {
    if (!path[1])
        return bt_error_set(err, BT_EEXIST, "store: folder '/' already exists");
    /* Check every name before writing anything. */
    for (const char *c = path + 1; *c;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        int rc = check_component(path, c, len, err);
        if (rc) return rc;
        c += len;
        if (*c == '/') c++;
    }
    bt_store_folder root = {0};
    int rc = folder_by_path(p, "/", &root, err);
    if (rc) return rc;
    int64_t parent = root.id;
    bt_store_folder_clear(&root);
    const char *c = path + 1;
    while (*c && !rc) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        bool last = !slash || !slash[1];
        char *prefix = bt_xstrndup(path, (size_t)(c + len - path));
        char *name = bt_xstrndup(c, len);
        rc = insert_folder(p, parent, name, prefix, last, &parent, err);
        free(prefix);
        free(name);
        c += len;
        if (*c == '/') c++;
    }
    return rc;
}

int bt__pg_folder_create(bt_store *s, const char *path, bt_store_folder *out,
                         bt_error *err) {
    bt_pg *p = bt__pg(s);
    /* Store paths without a trailing slash so lookups match. */
    char *norm = bt_xstrdup(path);
    size_t len = strlen(norm);
    if (len > 1 && norm[len - 1] == '/') norm[len - 1] = '\0';
    int rc = bt__pg_begin(p, err);
    if (!rc) {
        rc = create_path(p, norm, err);
        if (!rc) rc = bt__pg_commit(p, err);
        else bt__pg_rollback(p);
    }
    if (!rc && out) rc = folder_by_path(p, norm, out, err);
    free(norm);
    return rc;
}

int bt__pg_folder_get(bt_store *s, const char *path, bt_store_folder *out,
                      bt_error *err) {
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/') {
        char *norm = bt_xstrndup(path, len - 1);
        int rc = folder_by_path(bt__pg(s), norm, out, err);
        free(norm);
        return rc;
    }
    return folder_by_path(bt__pg(s), path, out, err);
}

int bt__pg_folder_get_id(bt_store *s, int64_t id, bt_store_folder *out,
                         bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT " FOLDER_COLS " FROM folders WHERE id = $1",
                         &a, &r, "reading a folder", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: folder %lld does not exist", (long long)id);
    else
        read_folder(r, 0, out);
    PQclear(r);
    return rc;
}

int bt__pg_folder_list(bt_store *s, int64_t parent_id, bt_store_folder **items,
                       size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, parent_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT " FOLDER_COLS " FROM folders WHERE "
                         "parent_id = $1 ORDER BY name COLLATE \"C\"",
                         &a, &r, "listing folders", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) read_folder(r, i, &(*items)[(*n)++]);
    PQclear(r);
    return 0;
}

/* ---- Runbooks ------------------------------------------------------- */

#define RUNBOOK_SELECT                                                        \
    "SELECT r.id, r.guid, r.folder_id, r.name, r.description, "              \
    "CASE f.path WHEN '/' THEN '/' || r.name ELSE f.path || '/' || r.name "  \
    "END, r.latest_version, r.max_concurrent, r.created_us, "               \
    "r.checked_out_by, r.checked_out_us, r.deleted_us "                      \
    "FROM runbooks r JOIN folders f ON f.id = r.folder_id "

static int read_preferred(bt_pg *p, bt_store_runbook *rb, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, rb->id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT server_name FROM runbook_servers "
                         "WHERE runbook_id = $1 ORDER BY position",
                         &a, &r, "reading a runbook", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) rb->preferred_servers = bt_xcalloc((size_t)rows, sizeof(char *));
    for (int i = 0; i < rows; i++)
        rb->preferred_servers[rb->n_preferred++] = bt__pg_str0(r, i, 0);
    PQclear(r);
    return 0;
}

static void read_runbook(const PGresult *r, int row, bt_store_runbook *rb) {
    rb->id = bt__pg_i64(r, row, 0);
    bt__pg_guid(r, row, 1, rb->guid);
    rb->folder_id = bt__pg_i64(r, row, 2);
    rb->name = bt__pg_str0(r, row, 3);
    rb->description = bt__pg_str0(r, row, 4);
    rb->path = bt__pg_str0(r, row, 5);
    rb->latest_version = (int)bt__pg_i64(r, row, 6);
    rb->max_concurrent = (int)bt__pg_i64(r, row, 7);
    rb->created_us = bt__pg_i64(r, row, 8);
    rb->checked_out_by = bt__pg_str(r, row, 9);
    rb->checked_out_us = bt__pg_i64(r, row, 10);
    rb->deleted_us = bt__pg_i64(r, row, 11);
}

/* Runs a one-row runbook query. */
static int one_runbook(bt_pg *p, const char *sql, bt_pg_args *a,
                       bt_store_runbook *out, const char *what,
                       bt_error *err) {
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, sql, a, &r, "reading a runbook", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook %s does not exist", what);
    else
        read_runbook(r, 0, out);
    PQclear(r);
    if (!rc) rc = read_preferred(p, out, err);
    if (rc) bt_store_runbook_clear(out);
    return rc;
}

int bt__pg_runbook_get(bt_store *s, int64_t id, bt_store_runbook *out,
                       bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    char what[32];
    snprintf(what, sizeof what, "%lld", (long long)id);
    return one_runbook(bt__pg(s), RUNBOOK_SELECT "WHERE r.id = $1", &a, out,
                       what, err);
}

int bt__pg_runbook_find(bt_store *s, int64_t folder_id, const char *name,
                        bt_store_runbook *out, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, folder_id);
    bt__pg_text(&a, name);
    char what[300];
    snprintf(what, sizeof what, "'%s'", name);
    return one_runbook(bt__pg(s),
                       RUNBOOK_SELECT "WHERE r.folder_id = $1 AND r.name = $2 "
                                      "AND r.deleted_us = 0",
                       &a, out, what, err);
}

int bt__pg_runbook_create(bt_store *s, int64_t folder_id, const char *name,
                          const char *description, bt_store_runbook *out,
                          bt_error *err) {
    bt_pg *p = bt__pg(s);
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt_pg_args a = {0};
    bt__pg_text(&a, guid);
    bt__pg_int(&a, folder_id);
    bt__pg_text(&a, name);
    bt__pg_text(&a, description ? description : "");
    bt__pg_int(&a, bt__pg_now(p));
    PGresult *r = NULL;
    bt_error e;
    int rc = bt__pg_exec(p,
                         "INSERT INTO runbooks(guid, folder_id, name, "
                         "description, created_us) VALUES ($1, $2, $3, $4, "
                         "$5) RETURNING id",
                         &a, &r, "creating a runbook", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: folder %lld already has a runbook named "
                            "'%s'",
                            (long long)folder_id, name);
    if (rc == -BT_ENOTFOUND)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: cannot create runbook '%s': folder %lld "
                            "does not exist",
                            name, (long long)folder_id);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    int64_t id = bt__pg_i64(r, 0, 0);
    PQclear(r);
    return out ? bt__pg_runbook_get(s, id, out, err) : 0;
}

int bt__pg_runbook_list(bt_store *s, int64_t folder_id,
                        bt_store_runbook **items, size_t *n, bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_int(&a, folder_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         RUNBOOK_SELECT "WHERE ($1::bigint = 0 OR "
                         "r.folder_id = $1) AND r.deleted_us = 0 ORDER BY f.path COLLATE \"C\", "
                         "r.name COLLATE \"C\"",
                         &a, &r, "listing runbooks", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) read_runbook(r, i, &(*items)[(*n)++]);
    PQclear(r);
    for (size_t i = 0; i < *n && !rc; i++)
        rc = read_preferred(p, &(*items)[i], err);
    if (rc) {
        bt_store_runbook_list_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return rc;
}

static int write_settings(bt_pg *p, int64_t id,
                          const bt_store_runbook_settings *set,
                          bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, set->max_concurrent);
    bt__pg_int(&a, id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "UPDATE runbooks SET max_concurrent = $1 "
                         "WHERE id = $2",
                         &a, &r, "saving runbook settings", err);
    if (rc) return rc;
    int64_t changed = bt__pg_changes(r);
    PQclear(r);
    if (!changed)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook %lld does not exist",
                            (long long)id);
    a = (bt_pg_args){0};
    bt__pg_int(&a, id);
    rc = bt__pg_exec(p, "DELETE FROM runbook_servers WHERE runbook_id = $1",
                     &a, NULL, "saving runbook settings", err);
    for (size_t i = 0; i < set->n_preferred && !rc; i++) {
        a = (bt_pg_args){0};
        bt__pg_int(&a, id);
        bt__pg_int(&a, (int64_t)i);
        bt__pg_text(&a, set->preferred_servers[i]);
        rc = bt__pg_exec(p,
                         "INSERT INTO runbook_servers(runbook_id, position, "
                         "server_name) VALUES ($1, $2, $3)",
                         &a, NULL, "saving runbook settings", err);
    }
    return rc;
}

int bt__pg_runbook_set_settings(bt_store *s, int64_t runbook_id,
                                const bt_store_runbook_settings *settings,
                                bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = write_settings(p, runbook_id, settings, err))) {
        bt__pg_rollback(p);
        return rc;
    }
    return bt__pg_commit(p, err);
}

/* ---- Versions ------------------------------------------------------- */

static int add_version(bt_pg *p, int64_t id, const char *yaml,
                       const char *author, const char *comment, int *out,
                       bt_error *err) {
    /* The UPDATE's row lock orders concurrent check-ins of one runbook. */
    /* A check-out by someone else, or a deleted runbook, refuses it. */
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    bt__pg_text(&a, author ? author : "");
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "UPDATE runbooks SET latest_version = "
                         "latest_version + 1 WHERE id = $1 AND deleted_us = 0 "
                         "AND (checked_out_by IS NULL OR checked_out_by = $2) "
                         "RETURNING latest_version",
                         &a, &r, "checking in a runbook", err);
    if (rc) return rc;
    bool found = PQntuples(r) > 0;
    if (found) *out = (int)bt__pg_i64(r, 0, 0);
    PQclear(r);
    if (!found) {
        a = (bt_pg_args){0};
        bt__pg_int(&a, id);
        rc = bt__pg_exec(p, "SELECT 1 FROM runbooks WHERE id = $1", &a, &r,
                         "checking in a runbook", err);
        if (rc) return rc;
        bool exists = PQntuples(r) > 0;
        PQclear(r);
        if (!exists)
            return bt_error_set(err, BT_ENOTFOUND,
                                "store: runbook %lld does not exist",
                                (long long)id);
        return bt_error_set(err, BT_ESTATE,
                            "store: runbook %lld is deleted or checked out "
                            "by a user other than '%s'",
                            (long long)id, author ? author : "");
    }
    a = (bt_pg_args){0};
    bt__pg_int(&a, id);
    bt__pg_int(&a, *out);
    bt__pg_text(&a, yaml);
    bt__pg_text(&a, author ? author : "");
    bt__pg_text(&a, comment ? comment : "");
    bt__pg_int(&a, bt__pg_now(p));
    return bt__pg_exec(p,
                       "INSERT INTO runbook_versions(runbook_id, version, "
                       "yaml, author, comment, created_us) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
                       &a, NULL, "checking in a runbook", err);
}

int bt__pg_version_add(bt_store *s, int64_t runbook_id, const char *yaml,
                       const char *author, const char *comment,
                       int *out_version, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    rc = add_version(p, runbook_id, yaml, author, comment, out_version, err);
    if (rc) {
        bt__pg_rollback(p);
        *out_version = 0;
        return rc;
    }
    return bt__pg_commit(p, err);
}

int bt__pg_version_get(bt_store *s, int64_t runbook_id, int version,
                       bt_store_version *out, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, runbook_id);
    bt__pg_int(&a, version);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT v.version, v.yaml, v.author, v.comment, "
                         "v.created_us FROM runbook_versions v WHERE "
                         "v.runbook_id = $1 AND v.version = CASE "
                         "$2::integer WHEN 0 THEN (SELECT latest_version "
                         "FROM runbooks WHERE id = $1) ELSE $2 END",
                         &a, &r, "reading a runbook version", err);
    if (rc) return rc;
    if (PQntuples(r)) {
        out->runbook_id = runbook_id;
        out->version = (int)bt__pg_i64(r, 0, 0);
        out->yaml = bt__pg_str0(r, 0, 1);
        out->author = bt__pg_str0(r, 0, 2);
        out->comment = bt__pg_str0(r, 0, 3);
        out->created_us = bt__pg_i64(r, 0, 4);
    } else if (version)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook %lld has no version %d",
                          (long long)runbook_id, version);
    else
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook %lld does not exist or has no "
                          "version checked in",
                          (long long)runbook_id);
    PQclear(r);
    return rc;
}

int bt__pg_version_list(bt_store *s, int64_t runbook_id,
                        bt_store_version **items, size_t *n, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, runbook_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(bt__pg(s),
                         "SELECT EXISTS (SELECT 1 FROM runbooks WHERE id = "
                         "$1), v.version, v.author, v.comment, v.created_us "
                         "FROM (SELECT 1) one LEFT JOIN runbook_versions v "
                         "ON v.runbook_id = $1 ORDER BY v.version DESC",
                         &a, &r, "listing runbook versions", err);
    if (rc) return rc;
    if (!bt__pg_bool(r, 0, 0)) {
        PQclear(r);
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook %lld does not exist",
                            (long long)runbook_id);
    }
    int rows = PQntuples(r);
    if (rows == 1 && PQgetisnull(r, 0, 1)) rows = 0; /* no versions */
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_version *v = &(*items)[(*n)++];
        v->runbook_id = runbook_id;
        v->version = (int)bt__pg_i64(r, i, 1);
        v->author = bt__pg_str0(r, i, 2);
        v->comment = bt__pg_str0(r, i, 3);
        v->created_us = bt__pg_i64(r, i, 4);
    }
    PQclear(r);
    return 0;
}
