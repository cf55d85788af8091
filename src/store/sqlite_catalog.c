/* SQLite backend: folders, runbooks, their versions and settings. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/sqlite_internal.h"

/* ---- Folders -------------------------------------------------------- */

#define FOLDER_COLS "id, guid, coalesce(parent_id, 0), name, path, created_us"

static void read_folder(sqlite3_stmt *st, bt_store_folder *f) {
    f->id = sqlite3_column_int64(st, 0);
    bt__sq_guid(st, 1, f->guid);
    f->parent_id = sqlite3_column_int64(st, 2);
    f->name = bt__sq_text0(st, 3);
    f->path = bt__sq_text0(st, 4);
    f->created_us = sqlite3_column_int64(st, 5);
}

static int folder_by_path(bt_sqlite *q, const char *path, bt_store_folder *out,
                          bt_error *err) {
    static const char sql[] =
        "SELECT " FOLDER_COLS " FROM folders WHERE path = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    bt__sq_bind_text(st, 1, path);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) {
        if (out) read_folder(st, out);
    } else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: folder '%s' does not exist", path);
    else
        out_rc = bt__sq_fail(q, "reading a folder", err);
    sqlite3_reset(st);
    return out_rc;
}

static int insert_folder(bt_sqlite *q, int64_t parent_id, const char *name,
                         const char *path, bt_error *err) {
    static const char sql[] =
        "INSERT INTO folders(guid, parent_id, name, path, created_us) "
        "VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt__sq_bind_text(st, 1, guid);
    sqlite3_bind_int64(st, 2, parent_id);
    bt__sq_bind_text(st, 3, name);
    bt__sq_bind_text(st, 4, path);
    sqlite3_bind_int64(st, 5, bt__sq_now(q));
    return bt__sq_exec_stmt(q, st, "creating a folder", err);
}

static int check_component(const char *path, const char *c, size_t len,
                           bt_error *err) {
    if (len == 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: folder path '%s' has an empty name",
                            path);
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

/* Walks path from the root, creating what is missing. */
static int create_path(bt_sqlite *q, const char *path, bt_error *err) {
    bt_store_folder cur = {0};
    int rc = folder_by_path(q, "/", &cur, err);
    if (rc) return rc;
    int64_t parent = cur.id;
    bt_store_folder_clear(&cur);
    if (!path[1])
        return bt_error_set(err, BT_EEXIST, "store: folder '/' already exists");
    const char *p = path + 1;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        bool last = !slash || !slash[1];
        if ((rc = check_component(path, p, len, err))) return rc;
        char *prefix = bt_xstrndup(path, (size_t)(p + len - path));
        char *name = bt_xstrndup(p, len);
        rc = folder_by_path(q, prefix, &cur, err);
        if (rc == 0 && last)
            rc = bt_error_set(err, BT_EEXIST,
                              "store: folder '%s' already exists", prefix);
        else if (rc == -BT_ENOTFOUND) {
            rc = insert_folder(q, parent, name, prefix, err);
            if (!rc) rc = folder_by_path(q, prefix, &cur, err);
        }
        if (!rc) parent = cur.id;
        bt_store_folder_clear(&cur);
        free(prefix);
        free(name);
        if (rc) return rc;
        p += len;
        if (*p == '/') p++;
    }
    return 0;
}

int bt__sq_folder_create(bt_store *s, const char *path, bt_store_folder *out,
                         bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    /* Store paths without a trailing slash so lookups match. */
    char *norm = bt_xstrdup(path);
    size_t len = strlen(norm);
    if (len > 1 && norm[len - 1] == '/') norm[len - 1] = '\0';
    int rc = bt__sq_begin(q, err);
    if (!rc) {
        rc = create_path(q, norm, err);
        if (!rc) rc = bt__sq_commit(q, err);
        else bt__sq_rollback(q);
    }
    if (!rc && out) rc = folder_by_path(q, norm, out, err);
    free(norm);
    return rc;
}

int bt__sq_folder_get(bt_store *s, const char *path, bt_store_folder *out,
                      bt_error *err) {
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/') {
        char *norm = bt_xstrndup(path, len - 1);
        int rc = folder_by_path(bt__sq(s), norm, out, err);
        free(norm);
        return rc;
    }
    return folder_by_path(bt__sq(s), path, out, err);
}

int bt__sq_folder_get_id(bt_store *s, int64_t id, bt_store_folder *out,
                         bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT " FOLDER_COLS " FROM folders WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) read_folder(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: folder %lld does not exist",
                              (long long)id);
    else out_rc = bt__sq_fail(q, "reading a folder", err);
    sqlite3_reset(st);
    return out_rc;
}

int bt__sq_folder_list(bt_store *s, int64_t parent_id, bt_store_folder **items,
                       size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT " FOLDER_COLS
                              " FROM folders WHERE parent_id = ? ORDER BY name";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, parent_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        read_folder(st, &(*items)[(*n)++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_folder_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing folders", err);
    }
    return 0;
}

/* ---- Runbooks ------------------------------------------------------- */

#define RUNBOOK_SELECT                                                        \
    "SELECT r.id, r.guid, r.folder_id, r.name, r.description, "              \
    "CASE f.path WHEN '/' THEN '/' || r.name ELSE f.path || '/' || r.name "  \
    "END, r.latest_version, r.max_concurrent, r.created_us, "               \
    "r.checked_out_by, r.checked_out_us, r.deleted_us "                      \
    "FROM runbooks r JOIN folders f ON f.id = r.folder_id "

static int read_preferred(bt_sqlite *q, bt_store_runbook *r, bt_error *err) {
    static const char sql[] = "SELECT server_name FROM runbook_servers "
                              "WHERE runbook_id = ? ORDER BY position";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, r->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        r->preferred_servers = bt__sq_grow(r->preferred_servers, r->n_preferred,
                                           &cap, sizeof(char *));
        r->preferred_servers[r->n_preferred++] = bt__sq_text0(st, 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : bt__sq_fail(q, "reading a runbook", err);
}

static void read_runbook(sqlite3_stmt *st, bt_store_runbook *r) {
    r->id = sqlite3_column_int64(st, 0);
    bt__sq_guid(st, 1, r->guid);
    r->folder_id = sqlite3_column_int64(st, 2);
    r->name = bt__sq_text0(st, 3);
    r->description = bt__sq_text0(st, 4);
    r->path = bt__sq_text0(st, 5);
    r->latest_version = sqlite3_column_int(st, 6);
    r->max_concurrent = sqlite3_column_int(st, 7);
    r->created_us = sqlite3_column_int64(st, 8);
    r->checked_out_by = bt__sq_text(st, 9);
    r->checked_out_us = sqlite3_column_int64(st, 10);
    r->deleted_us = sqlite3_column_int64(st, 11);
}

/* Runs a one-row runbook query whose parameters are bound already. */
static int one_runbook(bt_sqlite *q, sqlite3_stmt *st, bt_store_runbook *out,
                       const char *what, bt_error *err) {
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) read_runbook(st, out);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: runbook %s does not exist", what);
    else out_rc = bt__sq_fail(q, "reading a runbook", err);
    sqlite3_reset(st);
    if (!out_rc) out_rc = read_preferred(q, out, err);
    if (out_rc) bt_store_runbook_clear(out);
    return out_rc;
}

int bt__sq_runbook_get(bt_store *s, int64_t id, bt_store_runbook *out,
                       bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = RUNBOOK_SELECT "WHERE r.id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    char what[32];
    snprintf(what, sizeof what, "%lld", (long long)id);
    return one_runbook(q, st, out, what, err);
}

int bt__sq_runbook_find(bt_store *s, int64_t folder_id, const char *name,
                        bt_store_runbook *out, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        RUNBOOK_SELECT "WHERE r.folder_id = ? AND r.name = ? AND r.deleted_us = 0";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, folder_id);
    bt__sq_bind_text(st, 2, name);
    char what[300];
    snprintf(what, sizeof what, "'%s'", name);
    return one_runbook(q, st, out, what, err);
}

int bt__sq_runbook_create(bt_store *s, int64_t folder_id, const char *name,
                          const char *description, bt_store_runbook *out,
                          bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "INSERT INTO runbooks(guid, folder_id, name, description, created_us) "
        "VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt__sq_bind_text(st, 1, guid);
    sqlite3_bind_int64(st, 2, folder_id);
    bt__sq_bind_text(st, 3, name);
    bt__sq_bind_text(st, 4, description);
    sqlite3_bind_int64(st, 5, bt__sq_now(q));
    bt_error e;
    int rc = bt__sq_exec_stmt(q, st, "creating a runbook", &e);
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
    if (!out) return 0;
    return bt__sq_runbook_get(s, sqlite3_last_insert_rowid(q->db), out, err);
}

int bt__sq_runbook_list(bt_store *s, int64_t folder_id,
                        bt_store_runbook **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = RUNBOOK_SELECT
        "WHERE (?1 = 0 OR r.folder_id = ?1) AND r.deleted_us = 0 "
        "ORDER BY f.path, r.name";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, folder_id);
    size_t cap = 0;
    int rc = SQLITE_DONE, out_rc = 0;
    /* each runbook's servers are read while the list statement is still
     * open: one read transaction (one snapshot, one WAL read lock) for the
     * whole list instead of one per runbook */
    while (!out_rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        read_runbook(st, &(*items)[(*n)++]);
        out_rc = read_preferred(q, &(*items)[*n - 1], err);
    }
    if (!out_rc && rc != SQLITE_DONE)
        out_rc = bt__sq_fail(q, "listing runbooks", err);
    sqlite3_reset(st);
    if (out_rc) {
        bt_store_runbook_list_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return out_rc;
}

static int runbook_exists(bt_sqlite *q, int64_t id, bt_error *err) {
    static const char sql[] = "SELECT 1 FROM runbooks WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc == SQLITE_DONE)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook %lld does not exist",
                            (long long)id);
    return bt__sq_fail(q, "reading a runbook", err);
}

static int write_settings(bt_sqlite *q, int64_t id,
                          const bt_store_runbook_settings *set,
                          bt_error *err) {
    static const char upd[] =
        "UPDATE runbooks SET max_concurrent = ? WHERE id = ?";
    static const char del[] = "DELETE FROM runbook_servers WHERE runbook_id = ?";
    static const char ins[] = "INSERT INTO runbook_servers(runbook_id, "
                              "position, server_name) VALUES (?, ?, ?)";
    int rc = runbook_exists(q, id, err);
    if (rc) return rc;
    sqlite3_stmt *st = bt__sq_stmt(q, upd, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int(st, 1, set->max_concurrent);
    sqlite3_bind_int64(st, 2, id);
    if ((rc = bt__sq_exec_stmt(q, st, "saving runbook settings", err)))
        return rc;
    if (!(st = bt__sq_stmt(q, del, err))) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = bt__sq_exec_stmt(q, st, "saving runbook settings", err)))
        return rc;
    for (size_t i = 0; i < set->n_preferred; i++) {
        if (!(st = bt__sq_stmt(q, ins, err))) return -BT_EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        bt__sq_bind_text(st, 3, set->preferred_servers[i]);
        if ((rc = bt__sq_exec_stmt(q, st, "saving runbook settings", err)))
            return rc;
    }
    return 0;
}

int bt__sq_runbook_set_settings(bt_store *s, int64_t runbook_id,
                                const bt_store_runbook_settings *settings,
                                bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    rc = write_settings(q, runbook_id, settings, err);
    if (rc) {
        bt__sq_rollback(q);
        return rc;
    }
    return bt__sq_commit(q, err);
}

/* ---- Versions ------------------------------------------------------- */

static int add_version(bt_sqlite *q, int64_t id, const char *yaml,
                       const char *author, const char *comment, int *out,
                       bt_error *err) {
    /* A check-out by someone else, or a deleted runbook, refuses it. */
    static const char bump[] =
        "UPDATE runbooks SET latest_version = latest_version + 1 "
        "WHERE id = ?1 AND deleted_us = 0 AND (checked_out_by IS NULL OR "
        "checked_out_by = ?2) RETURNING latest_version";
    static const char ins[] =
        "INSERT INTO runbook_versions(runbook_id, version, yaml, author, "
        "comment, created_us) VALUES (?, ?, ?, ?, ?, ?)";
    sqlite3_stmt *st = bt__sq_stmt(q, bump, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    bt__sq_bind_text(st, 2, author);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        if ((rc = runbook_exists(q, id, err))) return rc;
        return bt_error_set(err, BT_ESTATE,
                            "store: runbook %lld is deleted or checked out "
                            "by a user other than '%s'",
                            (long long)id, author);
    }
    if (rc != SQLITE_ROW) return bt__sq_fail(q, "checking in a runbook", err);
    if (!(st = bt__sq_stmt(q, ins, err))) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, *out);
    bt__sq_bind_text(st, 3, yaml);
    bt__sq_bind_text(st, 4, author);
    bt__sq_bind_text(st, 5, comment);
    sqlite3_bind_int64(st, 6, bt__sq_now(q));
    return bt__sq_exec_stmt(q, st, "checking in a runbook", err);
}

int bt__sq_version_add(bt_store *s, int64_t runbook_id, const char *yaml,
                       const char *author, const char *comment,
                       int *out_version, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    rc = add_version(q, runbook_id, yaml, author, comment, out_version, err);
    if (rc) {
        bt__sq_rollback(q);
        *out_version = 0;
        return rc;
    }
    return bt__sq_commit(q, err);
}

int bt__sq_version_get(bt_store *s, int64_t runbook_id, int version,
                       bt_store_version *out, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT v.version, v.yaml, v.author, v.comment, v.created_us "
        "FROM runbook_versions v WHERE v.runbook_id = ?1 AND v.version = "
        "CASE ?2 WHEN 0 THEN (SELECT latest_version FROM runbooks "
        "WHERE id = ?1) ELSE ?2 END";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, runbook_id);
    sqlite3_bind_int(st, 2, version);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) {
        out->runbook_id = runbook_id;
        out->version = sqlite3_column_int(st, 0);
        out->yaml = bt__sq_text0(st, 1);
        out->author = bt__sq_text0(st, 2);
        out->comment = bt__sq_text0(st, 3);
        out->created_us = sqlite3_column_int64(st, 4);
    } else if (rc == SQLITE_DONE) {
        if (version)
            out_rc = bt_error_set(err, BT_ENOTFOUND,
                                  "store: runbook %lld has no version %d",
                                  (long long)runbook_id, version);
        else
            out_rc = bt_error_set(err, BT_ENOTFOUND,
                                  "store: runbook %lld does not exist or has "
                                  "no version checked in",
                                  (long long)runbook_id);
    } else
        out_rc = bt__sq_fail(q, "reading a runbook version", err);
    sqlite3_reset(st);
    return out_rc;
}

int bt__sq_version_list(bt_store *s, int64_t runbook_id,
                        bt_store_version **items, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT version, author, comment, created_us FROM runbook_versions "
        "WHERE runbook_id = ? ORDER BY version DESC";
    int rc = runbook_exists(q, runbook_id, err);
    if (rc) return rc;
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, runbook_id);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_version *v = &(*items)[(*n)++];
        v->runbook_id = runbook_id;
        v->version = sqlite3_column_int(st, 0);
        v->author = bt__sq_text0(st, 1);
        v->comment = bt__sq_text0(st, 2);
        v->created_us = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_version_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing runbook versions", err);
    }
    return 0;
}
