/* The store's administrative tables, written once for both backends in
 * the SQL they share (backend.h: query): users, groups, folder
 * permissions, API tokens, runbook check-out, folder and runbook
 * rename/move/delete, GUID lookups, job counts, server settings. These are
 * low-volume calls, so a portable statement is worth more here than the
 * last round trip; the hot paths (claim, activity commits) stay in each
 * backend. Parameters are $1, $2, ...; numbers are passed as text and
 * CAST where PostgreSQL could not infer their type. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/backend.h"

#define NAME_MAX_LEN 256

void bt__store_rows_free(bt_store_rows *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n * r->cols; i++) free(r->cell[i]);
    free(r->cell);
    memset(r, 0, sizeof *r);
}

typedef struct num {
    char b[24];
} num;

static const char *n64(num *n, int64_t v) {
    snprintf(n->b, sizeof n->b, "%lld", (long long)v);
    return n->b;
}

static int query(bt_store *s, const char *sql, const char *const *args,
                 int nargs, bt_store_rows *out, const char *doing,
                 bt_error *err) {
    if (out) memset(out, 0, sizeof *out);
    return s->ops->query(s, sql, args, nargs, out, doing, err);
}

static int begin(bt_store *s, bt_error *err) {
    return s->ops->query_begin(s, err);
}

/* Commits when rc is 0, else rolls back; returns the first failure. */
static int finish(bt_store *s, int rc, bt_error *err) {
    if (rc) {
        s->ops->query_rollback(s);
        return rc;
    }
    return s->ops->query_commit(s, err);
}

static int64_t i64_at(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return c ? strtoll(c, NULL, 10) : 0;
}

static char *str_at(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return bt_xstrdup(c ? c : "");
}

static int64_t now(bt_store *s) { return (int64_t)bt_store_now(s); }

static int check_name(const char *what, const char *name, bt_error *err) {
    if (!name || !*name)
        return bt_error_set(err, BT_EINVAL, "store: %s name is empty", what);
    if (strlen(name) > NAME_MAX_LEN)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: %s name is longer than %d bytes", what,
                            NAME_MAX_LEN);
    return 0;
}

static int check_hash(const char *what, const char *h, bt_error *err) {
    if (h && strlen(h) > 4096)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: %s is longer than 4096 bytes", what);
    return 0;
}

/* A GUID in canonical form, lower-cased into out. */
static int norm_guid(const char *in, char out[BT_GUID_LEN], bt_error *err) {
    size_t len = in ? strlen(in) : 0;
    bool ok = len == BT_GUID_LEN - 1;
    for (size_t i = 0; ok && i < len; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        ok = dash ? in[i] == '-' : isxdigit((unsigned char)in[i]) != 0;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    if (!ok)
        return bt_error_set(err, BT_EINVAL, "store: '%s' is not a GUID",
                            in ? in : "");
    out[len] = '\0';
    return 0;
}

/* Lists are sorted here, byte-wise: SQLite's and PostgreSQL's collations
 * would order mixed-case names differently. */
static int by_user_name(const void *a, const void *b) {
    return strcmp(((const bt_store_user *)a)->name,
                  ((const bt_store_user *)b)->name);
}

static int by_group_name(const void *a, const void *b) {
    return strcmp(((const bt_store_group *)a)->name,
                  ((const bt_store_group *)b)->name);
}

static int by_grant(const void *a, const void *b) {
    const bt_store_permission *x = a, *y = b;
    int c = strcmp(x->folder_path, y->folder_path);
    if (!c) c = (int)x->kind - (int)y->kind;
    if (!c) c = strcmp(x->principal_name, y->principal_name);
    return c;
}

/* ---- Users ---------------------------------------------------------- */

#define USER_COLS "id, name, password_hash, is_admin, disabled, created_us"

static void read_user(const bt_store_rows *r, size_t i, size_t c,
                      bt_store_user *u) {
    u->id = i64_at(r, i, c);
    u->name = str_at(r, i, c + 1);
    u->password_hash = str_at(r, i, c + 2);
    u->is_admin = i64_at(r, i, c + 3) != 0;
    u->disabled = i64_at(r, i, c + 4) != 0;
    u->created_us = i64_at(r, i, c + 5);
}

static int one_user(bt_store *s, const char *sql, const char *arg,
                    const char *what, bt_store_user *out, bt_error *err) {
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "reading a user", err);
    if (rc) return rc;
    if (r.n) read_user(&r, 0, 0, out);
    else rc = bt_error_set(err, BT_ENOTFOUND, "store: user %s does not exist",
                           what);
    bt__store_rows_free(&r);
    return rc;
}

int bt_store_user_get(bt_store *s, int64_t id, bt_store_user *out,
                      bt_error *err) {
    static const char sql[] =
        "SELECT " USER_COLS " FROM users WHERE id = CAST($1 AS bigint)";
    memset(out, 0, sizeof *out);
    num n;
    return one_user(s, sql, n64(&n, id), n.b, out, err);
}

int bt_store_user_find(bt_store *s, const char *name, bt_store_user *out,
                       bt_error *err) {
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE name = $1";
    memset(out, 0, sizeof *out);
    int rc = check_name("user", name, err);
    if (rc) return rc;
    char what[NAME_MAX_LEN + 3];
    snprintf(what, sizeof what, "'%s'", name);
    return one_user(s, sql, name, what, out, err);
}

int bt_store_user_create(bt_store *s, const char *name,
                         const char *password_hash, bool is_admin,
                         bt_store_user *out, bt_error *err) {
    static const char sql[] =
        "INSERT INTO users(name, password_hash, is_admin, disabled, "
        "created_us) VALUES ($1, $2, CAST($3 AS integer), 0, "
        "CAST($4 AS bigint)) RETURNING id";
    if (out) memset(out, 0, sizeof *out);
    int rc = check_name("user", name, err);
    if (!rc) rc = check_hash("password hash", password_hash, err);
    if (rc) return rc;
    num t;
    const char *args[] = {name, password_hash ? password_hash : "",
                          is_admin ? "1" : "0", n64(&t, now(s))};
    bt_store_rows r;
    bt_error e;
    rc = query(s, sql, args, 4, &r, "creating a user", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST, "store: user '%s' already exists",
                            name);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    int64_t id = i64_at(&r, 0, 0);
    bt__store_rows_free(&r);
    return out ? bt_store_user_get(s, id, out, err) : 0;
}

int bt_store_user_list(bt_store *s, bt_store_user **items, size_t *n,
                       bt_error *err) {
    static const char sql[] = "SELECT " USER_COLS " FROM users ORDER BY name";
    *items = NULL;
    *n = 0;
    bt_store_rows r;
    int rc = query(s, sql, NULL, 0, &r, "listing users", err);
    if (rc) return rc;
    if (r.n) *items = bt_xcalloc(r.n, sizeof **items);
    for (size_t i = 0; i < r.n; i++) read_user(&r, i, 0, &(*items)[i]);
    *n = r.n;
    bt__store_rows_free(&r);
    if (*n) qsort(*items, *n, sizeof **items, by_user_name);
    return 0;
}

static int not_found_id(const char *what, int64_t id, bt_error *err) {
    return bt_error_set(err, BT_ENOTFOUND, "store: %s %lld does not exist",
                        what, (long long)id);
}

int bt_store_user_update(bt_store *s, int64_t id,
                         const bt_store_user_changes *u, bt_error *err) {
    static const char sql[] =
        "UPDATE users SET name = coalesce($2, name), "
        "password_hash = coalesce($3, password_hash), "
        "is_admin = CASE WHEN CAST($4 AS integer) < 0 THEN is_admin "
        "ELSE CAST($4 AS integer) END, "
        "disabled = CASE WHEN CAST($5 AS integer) < 0 THEN disabled "
        "ELSE CAST($5 AS integer) END "
        "WHERE id = CAST($1 AS bigint) RETURNING id";
    int rc = u->name ? check_name("user", u->name, err) : 0;
    if (!rc) rc = check_hash("password hash", u->password_hash, err);
    if (rc) return rc;
    num a, b, c;
    const char *args[] = {n64(&a, id), u->name, u->password_hash,
                          n64(&b, u->is_admin < 0 ? -1 : u->is_admin != 0),
                          n64(&c, u->disabled < 0 ? -1 : u->disabled != 0)};
    bt_store_rows r;
    bt_error e;
    rc = query(s, sql, args, 5, &r, "updating a user", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST, "store: user '%s' already exists",
                            u->name);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    if (r.n == 0) rc = not_found_id("user", id, err);
    bt__store_rows_free(&r);
    return rc;
}

/* Deletes a principal's grants, then the principal (its memberships and
 * tokens go by cascade). */
static int delete_principal(bt_store *s, const char *del_sql, int kind,
                            const char *what, int64_t id, bt_error *err) {
    static const char grants[] =
        "DELETE FROM folder_permissions WHERE kind = CAST($1 AS integer) "
        "AND principal_id = CAST($2 AS bigint)";
    num k, i;
    const char *args[] = {n64(&k, kind), n64(&i, id)};
    int rc = begin(s, err);
    if (rc) return rc;
    rc = query(s, grants, args, 2, NULL, "deleting permissions", err);
    bt_store_rows r = {0};
    if (!rc) rc = query(s, del_sql, &args[1], 1, &r, "deleting", err);
    if (!rc && r.n == 0) rc = not_found_id(what, id, err);
    bt__store_rows_free(&r);
    return finish(s, rc, err);
}

int bt_store_user_delete(bt_store *s, int64_t id, bt_error *err) {
    static const char sql[] =
        "DELETE FROM users WHERE id = CAST($1 AS bigint) RETURNING id";
    return delete_principal(s, sql, BT_PRINCIPAL_USER, "user", id, err);
}

void bt_store_user_clear(bt_store_user *u) {
    if (!u) return;
    free(u->name);
    free(u->password_hash);
    memset(u, 0, sizeof *u);
}

void bt_store_user_list_free(bt_store_user *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_user_clear(&items[i]);
    free(items);
}

/* ---- Groups --------------------------------------------------------- */

#define GROUP_COLS "id, name, description, created_us"

static void read_group(const bt_store_rows *r, size_t i, bt_store_group *g) {
    g->id = i64_at(r, i, 0);
    g->name = str_at(r, i, 1);
    g->description = str_at(r, i, 2);
    g->created_us = i64_at(r, i, 3);
}

static int one_group(bt_store *s, const char *sql, const char *arg,
                     const char *what, bt_store_group *out, bt_error *err) {
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "reading a group", err);
    if (rc) return rc;
    if (r.n) read_group(&r, 0, out);
    else rc = bt_error_set(err, BT_ENOTFOUND,
                           "store: group %s does not exist", what);
    bt__store_rows_free(&r);
    return rc;
}

int bt_store_group_get(bt_store *s, int64_t id, bt_store_group *out,
                       bt_error *err) {
    static const char sql[] =
        "SELECT " GROUP_COLS " FROM user_groups WHERE id = CAST($1 AS bigint)";
    memset(out, 0, sizeof *out);
    num n;
    return one_group(s, sql, n64(&n, id), n.b, out, err);
}

int bt_store_group_find(bt_store *s, const char *name, bt_store_group *out,
                        bt_error *err) {
    static const char sql[] =
        "SELECT " GROUP_COLS " FROM user_groups WHERE name = $1";
    memset(out, 0, sizeof *out);
    int rc = check_name("group", name, err);
    if (rc) return rc;
    char what[NAME_MAX_LEN + 3];
    snprintf(what, sizeof what, "'%s'", name);
    return one_group(s, sql, name, what, out, err);
}

int bt_store_group_create(bt_store *s, const char *name,
                          const char *description, bt_store_group *out,
                          bt_error *err) {
    static const char sql[] =
        "INSERT INTO user_groups(name, description, created_us) "
        "VALUES ($1, $2, CAST($3 AS bigint)) RETURNING id";
    if (out) memset(out, 0, sizeof *out);
    int rc = check_name("group", name, err);
    if (!rc) rc = check_hash("group description", description, err);
    if (rc) return rc;
    num t;
    const char *args[] = {name, description ? description : "",
                          n64(&t, now(s))};
    bt_store_rows r;
    bt_error e;
    rc = query(s, sql, args, 3, &r, "creating a group", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: group '%s' already exists", name);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    int64_t id = i64_at(&r, 0, 0);
    bt__store_rows_free(&r);
    return out ? bt_store_group_get(s, id, out, err) : 0;
}

static int group_rows(bt_store *s, const char *sql, const char *arg,
                      bt_store_group **items, size_t *n, bt_error *err) {
    *items = NULL;
    *n = 0;
    bt_store_rows r;
    int rc = query(s, sql, &arg, arg ? 1 : 0, &r, "listing groups", err);
    if (rc) return rc;
    if (r.n) *items = bt_xcalloc(r.n, sizeof **items);
    for (size_t i = 0; i < r.n; i++) read_group(&r, i, &(*items)[i]);
    *n = r.n;
    bt__store_rows_free(&r);
    if (*n) qsort(*items, *n, sizeof **items, by_group_name);
    return 0;
}

int bt_store_group_list(bt_store *s, bt_store_group **items, size_t *n,
                        bt_error *err) {
    static const char sql[] =
        "SELECT " GROUP_COLS " FROM user_groups ORDER BY name";
    return group_rows(s, sql, NULL, items, n, err);
}

int bt_store_group_update(bt_store *s, int64_t id, const char *name,
                          const char *description, bt_error *err) {
    static const char sql[] =
        "UPDATE user_groups SET name = coalesce($2, name), "
        "description = coalesce($3, description) "
        "WHERE id = CAST($1 AS bigint) RETURNING id";
    int rc = name ? check_name("group", name, err) : 0;
    if (!rc) rc = check_hash("group description", description, err);
    if (rc) return rc;
    num a;
    const char *args[] = {n64(&a, id), name, description};
    bt_store_rows r;
    bt_error e;
    rc = query(s, sql, args, 3, &r, "updating a group", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: group '%s' already exists", name);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    if (r.n == 0) rc = not_found_id("group", id, err);
    bt__store_rows_free(&r);
    return rc;
}

int bt_store_group_delete(bt_store *s, int64_t id, bt_error *err) {
    static const char sql[] =
        "DELETE FROM user_groups WHERE id = CAST($1 AS bigint) RETURNING id";
    return delete_principal(s, sql, BT_PRINCIPAL_GROUP, "group", id, err);
}

int bt_store_group_add_member(bt_store *s, int64_t group_id, int64_t user_id,
                              bt_error *err) {
    static const char sql[] =
        "INSERT INTO group_members(group_id, user_id) VALUES "
        "(CAST($1 AS bigint), CAST($2 AS bigint)) ON CONFLICT DO NOTHING";
    num g, u;
    const char *args[] = {n64(&g, group_id), n64(&u, user_id)};
    bt_error e;
    int rc = query(s, sql, args, 2, NULL, "adding a group member", &e);
    if (rc == -BT_ENOTFOUND)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: group %lld or user %lld does not exist",
                            (long long)group_id, (long long)user_id);
    if (rc && err) *err = e;
    return rc;
}

int bt_store_group_remove_member(bt_store *s, int64_t group_id,
                                 int64_t user_id, bt_error *err) {
    static const char sql[] =
        "DELETE FROM group_members WHERE group_id = CAST($1 AS bigint) AND "
        "user_id = CAST($2 AS bigint) RETURNING user_id";
    num g, u;
    const char *args[] = {n64(&g, group_id), n64(&u, user_id)};
    bt_store_rows r;
    int rc = query(s, sql, args, 2, &r, "removing a group member", err);
    if (rc) return rc;
    if (r.n == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: user %lld is not a member of group %lld",
                          (long long)user_id, (long long)group_id);
    bt__store_rows_free(&r);
    return rc;
}

int bt_store_group_members(bt_store *s, int64_t group_id,
                           bt_store_user **items, size_t *n, bt_error *err) {
    static const char sql[] =
        "SELECT u.id, u.name, u.password_hash, u.is_admin, u.disabled, "
        "u.created_us FROM users u JOIN group_members m ON m.user_id = u.id "
        "WHERE m.group_id = CAST($1 AS bigint) ORDER BY u.name";
    *items = NULL;
    *n = 0;
    bt_store_group g;
    int rc = bt_store_group_get(s, group_id, &g, err);
    bt_store_group_clear(&g);
    if (rc) return rc;
    num a;
    const char *arg = n64(&a, group_id);
    bt_store_rows r;
    rc = query(s, sql, &arg, 1, &r, "listing group members", err);
    if (rc) return rc;
    if (r.n) *items = bt_xcalloc(r.n, sizeof **items);
    for (size_t i = 0; i < r.n; i++) read_user(&r, i, 0, &(*items)[i]);
    *n = r.n;
    bt__store_rows_free(&r);
    if (*n) qsort(*items, *n, sizeof **items, by_user_name);
    return 0;
}

int bt_store_user_groups(bt_store *s, int64_t user_id, bt_store_group **items,
                         size_t *n, bt_error *err) {
    static const char sql[] =
        "SELECT g.id, g.name, g.description, g.created_us FROM user_groups g "
        "JOIN group_members m ON m.group_id = g.id "
        "WHERE m.user_id = CAST($1 AS bigint) ORDER BY g.name";
    *items = NULL;
    *n = 0;
    bt_store_user u;
    int rc = bt_store_user_get(s, user_id, &u, err);
    bt_store_user_clear(&u);
    if (rc) return rc;
    num a;
    return group_rows(s, sql, n64(&a, user_id), items, n, err);
}

void bt_store_group_clear(bt_store_group *g) {
    if (!g) return;
    free(g->name);
    free(g->description);
    memset(g, 0, sizeof *g);
}

void bt_store_group_list_free(bt_store_group *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_group_clear(&items[i]);
    free(items);
}

/* ---- Permissions ---------------------------------------------------- */

int bt_store_permission_set(bt_store *s, int64_t folder_id, bt_principal kind,
                            int64_t principal_id, unsigned rights,
                            bt_error *err) {
    static const char del[] =
        "DELETE FROM folder_permissions WHERE folder_id = CAST($1 AS bigint) "
        "AND kind = CAST($2 AS integer) AND principal_id = CAST($3 AS bigint)";
    static const char ins[] =
        "INSERT INTO folder_permissions(folder_id, kind, principal_id, "
        "rights) VALUES (CAST($1 AS bigint), CAST($2 AS integer), "
        "CAST($3 AS bigint), CAST($4 AS integer)) ON CONFLICT (folder_id, "
        "kind, principal_id) DO UPDATE SET rights = excluded.rights";
    if (kind != BT_PRINCIPAL_USER && kind != BT_PRINCIPAL_GROUP)
        return bt_error_set(err, BT_EINVAL,
                            "store: principal kind %d is unknown", (int)kind);
    if (rights & ~BT_RIGHTS_ALL)
        return bt_error_set(err, BT_EINVAL,
                            "store: rights 0x%x name unknown bits", rights);
    num f, k, p, r;
    const char *args[] = {n64(&f, folder_id), n64(&k, kind),
                          n64(&p, principal_id), n64(&r, rights)};
    if (rights == 0)
        return query(s, del, args, 3, NULL, "removing a permission", err);
    /* The principal has no foreign key (it is a user or a group). */
    int rc;
    if (kind == BT_PRINCIPAL_USER) {
        bt_store_user u;
        rc = bt_store_user_get(s, principal_id, &u, err);
        bt_store_user_clear(&u);
    } else {
        bt_store_group g;
        rc = bt_store_group_get(s, principal_id, &g, err);
        bt_store_group_clear(&g);
    }
    if (rc) return rc;
    bt_error e;
    rc = query(s, ins, args, 4, NULL, "granting a permission", &e);
    if (rc == -BT_ENOTFOUND) return not_found_id("folder", folder_id, err);
    if (rc && err) *err = e;
    return rc;
}

int bt_store_permission_list(bt_store *s, int64_t folder_id,
                             bt_store_permission **items, size_t *n,
                             bt_error *err) {
    static const char sql[] =
        "SELECT p.folder_id, f.path, p.kind, p.principal_id, "
        "coalesce(u.name, g.name, ''), p.rights FROM folder_permissions p "
        "JOIN folders f ON f.id = p.folder_id "
        "LEFT JOIN users u ON p.kind = 0 AND u.id = p.principal_id "
        "LEFT JOIN user_groups g ON p.kind = 1 AND g.id = p.principal_id "
        "WHERE CAST($1 AS bigint) = 0 OR p.folder_id = CAST($1 AS bigint) "
        "ORDER BY f.path, p.kind, 5";
    *items = NULL;
    *n = 0;
    num a;
    const char *arg = n64(&a, folder_id);
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "listing permissions", err);
    if (rc) return rc;
    if (r.n) *items = bt_xcalloc(r.n, sizeof **items);
    for (size_t i = 0; i < r.n; i++) {
        bt_store_permission *p = &(*items)[i];
        p->folder_id = i64_at(&r, i, 0);
        p->folder_path = str_at(&r, i, 1);
        p->kind = (bt_principal)i64_at(&r, i, 2);
        p->principal_id = i64_at(&r, i, 3);
        p->principal_name = str_at(&r, i, 4);
        p->rights = (unsigned)i64_at(&r, i, 5);
    }
    *n = r.n;
    bt__store_rows_free(&r);
    if (*n) qsort(*items, *n, sizeof **items, by_grant);
    return 0;
}

void bt_store_permission_list_free(bt_store_permission *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(items[i].folder_path);
        free(items[i].principal_name);
    }
    free(items);
}

int bt_store_rights(bt_store *s, int64_t user_id, int64_t folder_id,
                    unsigned *rights, bt_error *err) {
    /* The folder and its ancestors, then every grant on them to the user
     * or one of the user's groups. */
    static const char sql[] =
        "WITH RECURSIVE up(id, parent_id) AS ("
        "SELECT id, parent_id FROM folders WHERE id = CAST($1 AS bigint) "
        "UNION ALL SELECT f.id, f.parent_id FROM folders f "
        "JOIN up ON f.id = up.parent_id) "
        "SELECT (SELECT count(*) FROM up), p.rights FROM up "
        "LEFT JOIN folder_permissions p ON p.folder_id = up.id AND "
        "((p.kind = 0 AND p.principal_id = CAST($2 AS bigint)) OR "
        "(p.kind = 1 AND p.principal_id IN (SELECT group_id FROM "
        "group_members WHERE user_id = CAST($2 AS bigint))))";
    *rights = 0;
    bt_store_user u;
    int rc = bt_store_user_get(s, user_id, &u, err);
    bool admin = u.is_admin, disabled = u.disabled;
    bt_store_user_clear(&u);
    if (rc) return rc;
    num f, a;
    const char *args[] = {n64(&f, folder_id), n64(&a, user_id)};
    bt_store_rows r;
    rc = query(s, sql, args, 2, &r, "computing rights", err);
    if (rc) return rc;
    if (r.n == 0) rc = not_found_id("folder", folder_id, err);
    unsigned acc = 0;
    for (size_t i = 0; i < r.n; i++) acc |= (unsigned)i64_at(&r, i, 1);
    bt__store_rows_free(&r);
    if (rc) return rc;
    *rights = disabled ? 0 : admin ? BT_RIGHTS_ALL : acc & BT_RIGHTS_ALL;
    return 0;
}

/* ---- API tokens ----------------------------------------------------- */

#define TOKEN_SELECT                                                         \
    "SELECT t.id, t.user_id, u.name, t.name, t.hash, t.created_us, "         \
    "t.expires_us, t.last_used_us, u.disabled FROM api_tokens t "            \
    "JOIN users u ON u.id = t.user_id "

static void read_token(const bt_store_rows *r, size_t i, bt_store_token *t) {
    t->id = i64_at(r, i, 0);
    t->user_id = i64_at(r, i, 1);
    t->user_name = str_at(r, i, 2);
    t->name = str_at(r, i, 3);
    t->hash = str_at(r, i, 4);
    t->created_us = i64_at(r, i, 5);
    t->expires_us = i64_at(r, i, 6);
    t->last_used_us = i64_at(r, i, 7);
}

int bt_store_token_create(bt_store *s, int64_t user_id, const char *name,
                          const char *hash, int64_t expires_us,
                          int64_t *out_id, bt_error *err) {
    static const char sql[] =
        "INSERT INTO api_tokens(user_id, name, hash, created_us, expires_us, "
        "last_used_us) VALUES (CAST($1 AS bigint), $2, $3, "
        "CAST($4 AS bigint), CAST($5 AS bigint), 0) RETURNING id";
    if (out_id) *out_id = 0;
    int rc = check_name("token", name, err);
    if (!rc && (!hash || !*hash))
        rc = bt_error_set(err, BT_EINVAL, "store: token '%s' has no hash",
                          name);
    if (!rc) rc = check_hash("token hash", hash, err);
    if (rc) return rc;
    if (expires_us < 0) expires_us = 0;
    num u, t, x;
    const char *args[] = {n64(&u, user_id), name, hash, n64(&t, now(s)),
                          n64(&x, expires_us)};
    bt_store_rows r;
    bt_error e;
    rc = query(s, sql, args, 5, &r, "creating an API token", &e);
    if (rc == -BT_ENOTFOUND) return not_found_id("user", user_id, err);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: an API token with this hash exists");
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    if (out_id) *out_id = i64_at(&r, 0, 0);
    bt__store_rows_free(&r);
    return 0;
}

#define TOKEN_USE_GRAIN_US (60 * (int64_t)1000000)

int bt_store_token_lookup(bt_store *s, const char *hash, bt_store_token *tok,
                          bt_store_user *user, bt_error *err) {
    static const char sql[] = TOKEN_SELECT "WHERE t.hash = $1";
    static const char used[] =
        "UPDATE api_tokens SET last_used_us = CAST($2 AS bigint) "
        "WHERE id = CAST($1 AS bigint)";
    if (tok) memset(tok, 0, sizeof *tok);
    if (user) memset(user, 0, sizeof *user);
    if (!hash || !*hash)
        return bt_error_set(err, BT_EINVAL, "store: no token hash given");
    bt_store_rows r;
    int rc = query(s, sql, &hash, 1, &r, "looking up an API token", err);
    if (rc) return rc;
    bt_store_token t = {0};
    if (r.n == 0) {
        bt__store_rows_free(&r);
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: no API token has this hash");
    }
    read_token(&r, 0, &t);
    bool disabled = i64_at(&r, 0, 8) != 0;
    bt__store_rows_free(&r);
    int64_t at = now(s);
    if (t.expires_us && t.expires_us <= at) {
        char when[40];
        bt_format_time_us((uint64_t)t.expires_us, when, sizeof when);
        rc = bt_error_set(err, BT_ESTATE,
                          "the API token '%s' (id %lld) expired at %s; create "
                          "a new one (baton token create --expires DAYS)",
                          t.name, (long long)t.id, when);
    } else if (disabled) {
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: API token '%s' belongs to disabled user "
                          "'%s'",
                          t.name, t.user_name);
    }
    /* Recorded to the minute: a script polling with its token must not
     * turn every read into a write. */
    num i, w;
    const char *args[] = {n64(&i, t.id), n64(&w, at)};
    if (!rc && at - t.last_used_us >= TOKEN_USE_GRAIN_US) {
        rc = query(s, used, args, 2, NULL, "recording a token's use", err);
        if (!rc) t.last_used_us = at;
    }
    if (!rc && user) rc = bt_store_user_get(s, t.user_id, user, err);
    if (!rc && tok) *tok = t;
    else bt_store_token_clear(&t);
    return rc;
}

int bt_store_token_list(bt_store *s, int64_t user_id, bt_store_token **items,
                        size_t *n, bt_error *err) {
    static const char sql[] =
        TOKEN_SELECT "WHERE CAST($1 AS bigint) = 0 OR "
                     "t.user_id = CAST($1 AS bigint) ORDER BY t.id DESC";
    *items = NULL;
    *n = 0;
    num a;
    const char *arg = n64(&a, user_id);
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "listing API tokens", err);
    if (rc) return rc;
    if (r.n) *items = bt_xcalloc(r.n, sizeof **items);
    for (size_t i = 0; i < r.n; i++) read_token(&r, i, &(*items)[i]);
    *n = r.n;
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_token_delete(bt_store *s, int64_t id, bt_error *err) {
    static const char sql[] =
        "DELETE FROM api_tokens WHERE id = CAST($1 AS bigint) RETURNING id";
    num a;
    const char *arg = n64(&a, id);
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "deleting an API token", err);
    if (rc) return rc;
    if (r.n == 0) rc = not_found_id("API token", id, err);
    bt__store_rows_free(&r);
    return rc;
}

void bt_store_token_clear(bt_store_token *t) {
    if (!t) return;
    free(t->user_name);
    free(t->name);
    free(t->hash);
    memset(t, 0, sizeof *t);
}

void bt_store_token_list_free(bt_store_token *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_token_clear(&items[i]);
    free(items);
}

/* ---- Runbook check-out ---------------------------------------------- */

/* Why a holder-only change of runbook id did not apply. */
static int explain_holder(bt_store *s, int64_t id, const char *user,
                          bool want_held, bt_error *err) {
    static const char sql[] =
        "SELECT name, checked_out_by, deleted_us FROM runbooks "
        "WHERE id = CAST($1 AS bigint)";
    num a;
    const char *arg = n64(&a, id);
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "reading a runbook", err);
    if (rc) return rc;
    const char *holder = bt__store_cell(&r, 0, 1);
    if (r.n == 0) rc = not_found_id("runbook", id, err);
    else if (i64_at(&r, 0, 2))
        rc = bt_error_set(err, BT_ESTATE, "store: runbook %lld is deleted",
                          (long long)id);
    else if (holder && (!user || strcmp(holder, user)))
        rc = bt_error_set(err, BT_ESTATE,
                          "store: runbook '%s' is checked out by '%s'",
                          bt__store_cell(&r, 0, 0), holder);
    else if (!holder && want_held)
        rc = bt_error_set(err, BT_ESTATE,
                          "store: runbook '%s' is not checked out%s%s%s",
                          bt__store_cell(&r, 0, 0), user ? " by '" : "",
                          user ? user : "", user ? "'" : "");
    else
        rc = bt_error_set(err, BT_EINTERNAL,
                          "store: runbook %lld changed while being checked "
                          "out",
                          (long long)id);
    bt__store_rows_free(&r);
    return rc;
}

/* Runs a one-row "... RETURNING" on a runbook; 0 rows: explain. */
static int holder_update(bt_store *s, const char *sql, const char *const *args,
                         int nargs, int64_t id, const char *user,
                         bool want_held, bt_error *err) {
    bt_store_rows r;
    int rc = query(s, sql, args, nargs, &r, "checking out a runbook", err);
    if (rc) return rc;
    size_t got = r.n;
    bt__store_rows_free(&r);
    return got ? 0 : explain_holder(s, id, user, want_held, err);
}

int bt_store_runbook_checkout(bt_store *s, int64_t id, const char *user,
                              bt_error *err) {
    static const char sql[] =
        "UPDATE runbooks SET checked_out_us = CASE WHEN checked_out_by = $2 "
        "THEN checked_out_us ELSE CAST($3 AS bigint) END, "
        "checked_out_by = $2 WHERE id = CAST($1 AS bigint) AND "
        "deleted_us = 0 AND (checked_out_by IS NULL OR checked_out_by = $2) "
        "RETURNING id";
    int rc = check_name("user", user, err);
    if (rc) return rc;
    num a, t;
    const char *args[] = {n64(&a, id), user, n64(&t, now(s))};
    return holder_update(s, sql, args, 3, id, user, false, err);
}

int bt_store_runbook_undo_checkout(bt_store *s, int64_t id, const char *user,
                                   bt_error *err) {
    static const char sql[] =
        "UPDATE runbooks SET checked_out_by = NULL, checked_out_us = 0 "
        "WHERE id = CAST($1 AS bigint) AND checked_out_by IS NOT NULL AND "
        "(CAST($2 AS text) IS NULL OR checked_out_by = CAST($2 AS text)) "
        "RETURNING id";
    num a;
    const char *args[] = {n64(&a, id), user};
    return holder_update(s, sql, args, 2, id, user, true, err);
}

int bt_store_runbook_checkin(bt_store *s, int64_t id, const char *user,
                             const char *yaml, const char *comment,
                             int *out_version, bt_error *err) {
    static const char bump[] =
        "UPDATE runbooks SET latest_version = latest_version + 1, "
        "checked_out_by = NULL, checked_out_us = 0 WHERE "
        "id = CAST($1 AS bigint) AND checked_out_by = $2 AND deleted_us = 0 "
        "RETURNING latest_version";
    static const char ins[] =
        "INSERT INTO runbook_versions(runbook_id, version, yaml, author, "
        "comment, created_us) VALUES (CAST($1 AS bigint), "
        "CAST($2 AS integer), $3, $4, $5, CAST($6 AS bigint))";
    if (out_version) *out_version = 0;
    int rc = check_name("user", user, err);
    if (!rc && !yaml)
        rc = bt_error_set(err, BT_EINVAL, "store: runbook version has no text");
    if (!rc && strlen(yaml) > BT_STORE_TEXT_MAX)
        rc = bt_error_set(err, BT_ETOOBIG,
                          "store: runbook text is larger than %zu bytes",
                          BT_STORE_TEXT_MAX);
    if (!rc && comment && strlen(comment) > BT_STORE_TEXT_MAX)
        rc = bt_error_set(err, BT_ETOOBIG,
                          "store: check-in comment is larger than %zu bytes",
                          BT_STORE_TEXT_MAX);
    if (rc) return rc;
    if ((rc = begin(s, err))) return rc;
    num a, v, t;
    const char *bargs[] = {n64(&a, id), user};
    bt_store_rows r;
    rc = query(s, bump, bargs, 2, &r, "checking in a runbook", err);
    int version = 0;
    if (!rc && r.n == 0) rc = explain_holder(s, id, user, true, err);
    if (!rc) version = (int)i64_at(&r, 0, 0);
    bt__store_rows_free(&r);
    const char *iargs[] = {a.b, n64(&v, version), yaml, user,
                           comment ? comment : "", n64(&t, now(s))};
    if (!rc) rc = query(s, ins, iargs, 6, NULL, "checking in a runbook", err);
    rc = finish(s, rc, err);
    if (!rc && out_version) *out_version = version;
    return rc;
}

/* ---- Runbook rename, move, delete ----------------------------------- */

static int runbook_update(bt_store *s, const char *sql, const char *const *args,
                          int nargs, int64_t id, const char *name,
                          const char *doing, bt_error *err) {
    bt_store_rows r;
    bt_error e;
    int rc = query(s, sql, args, nargs, &r, doing, &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: the folder already has a runbook named "
                            "'%s'",
                            name);
    if (rc == -BT_ENOTFOUND)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: the target folder does not exist");
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    if (r.n == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook %lld does not exist or is deleted",
                          (long long)id);
    bt__store_rows_free(&r);
    return rc;
}

int bt_store_runbook_rename(bt_store *s, int64_t id, const char *name,
                            bt_error *err) {
    static const char sql[] =
        "UPDATE runbooks SET name = $2 WHERE id = CAST($1 AS bigint) AND "
        "deleted_us = 0 RETURNING id";
    int rc = check_name("runbook", name, err);
    if (rc) return rc;
    if (strchr(name, '/'))
        return bt_error_set(err, BT_EINVAL,
                            "store: runbook name '%s' contains '/'", name);
    num a;
    const char *args[] = {n64(&a, id), name};
    return runbook_update(s, sql, args, 2, id, name, "renaming a runbook",
                          err);
}

int bt_store_runbook_move(bt_store *s, int64_t id, int64_t folder_id,
                          bt_error *err) {
    static const char sql[] =
        "UPDATE runbooks SET folder_id = CAST($2 AS bigint) WHERE "
        "id = CAST($1 AS bigint) AND deleted_us = 0 RETURNING id";
    static const char name_sql[] =
        "SELECT name FROM runbooks WHERE id = CAST($1 AS bigint)";
    num a, f;
    const char *args[] = {n64(&a, id), n64(&f, folder_id)};
    bt_store_rows r;
    int rc = query(s, name_sql, args, 1, &r, "reading a runbook", err);
    if (rc) return rc;
    char *name = str_at(&r, 0, 0);
    bt__store_rows_free(&r);
    rc = runbook_update(s, sql, args, 2, id, name, "moving a runbook", err);
    free(name);
    return rc;
}

/* Soft-deletes the live runbooks matched by `where_sql` (which binds $1
 * as its key and $2 as the time) and cancels their pending jobs. */
static const char rb_cancel_pending_one[] =
    "UPDATE jobs SET status = 4, ended_us = CAST($2 AS bigint) "
    "WHERE status = 0 AND runbook_id = CAST($1 AS bigint)";
static const char rb_soft_delete_one[] =
    "UPDATE runbooks SET deleted_us = CAST($2 AS bigint), "
    "name = name || '/' || CAST(id AS text), checked_out_by = NULL, "
    "checked_out_us = 0 WHERE id = CAST($1 AS bigint) AND deleted_us = 0 "
    "RETURNING id";

int bt_store_runbook_delete(bt_store *s, int64_t id, bt_error *err) {
    num a, t;
    const char *args[] = {n64(&a, id), n64(&t, now(s))};
    int rc = begin(s, err);
    if (rc) return rc;
    bt_store_rows r = {0};
    rc = query(s, rb_soft_delete_one, args, 2, &r, "deleting a runbook", err);
    if (!rc && r.n == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook %lld does not exist or is already "
                          "deleted",
                          (long long)id);
    bt__store_rows_free(&r);
    if (!rc)
        rc = query(s, rb_cancel_pending_one, args, 2, NULL,
                   "canceling a deleted runbook's jobs", err);
    return finish(s, rc, err);
}

/* ---- Folder rename, move, delete ------------------------------------ */

/* The subtree of the folder at path $1 (itself included). */
#define SUBTREE(col)                                                         \
    "(" col " = CAST($1 AS text) OR substr(" col ", 1, "                     \
    "length(CAST($1 AS text)) + 1) = CAST($1 AS text) || '/')"

typedef struct folder_row {
    int64_t id, parent_id;
    char *path, *name;
} folder_row;

static int read_folder_row(bt_store *s, int64_t id, folder_row *f,
                           bt_error *err) {
    static const char sql[] =
        "SELECT id, coalesce(parent_id, 0), path, name FROM folders "
        "WHERE id = CAST($1 AS bigint)";
    memset(f, 0, sizeof *f);
    num a;
    const char *arg = n64(&a, id);
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "reading a folder", err);
    if (rc) return rc;
    if (r.n == 0) rc = not_found_id("folder", id, err);
    else {
        f->id = id;
        f->parent_id = i64_at(&r, 0, 1);
        f->path = str_at(&r, 0, 2);
        f->name = str_at(&r, 0, 3);
    }
    bt__store_rows_free(&r);
    return rc;
}

static void folder_row_free(folder_row *f) {
    free(f->path);
    free(f->name);
}

static char *join_path(const char *parent, const char *name) {
    size_t len = strlen(parent) + strlen(name) + 2;
    char *p = bt_xmalloc(len);
    snprintf(p, len, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", name);
    return p;
}

/* Moves the subtree at f->path to new_path and sets the folder's parent
 * and name; the caller's transaction. */
static int relocate(bt_store *s, const folder_row *f, int64_t parent_id,
                    const char *name, const char *new_path, bt_error *err) {
    static const char paths[] =
        "UPDATE folders SET path = CAST($2 AS text) || "
        "substr(path, length(CAST($1 AS text)) + 1) WHERE " SUBTREE("path");
    static const char self[] =
        "UPDATE folders SET parent_id = CAST($2 AS bigint), name = $3 "
        "WHERE id = CAST($1 AS bigint)";
    const char *pargs[] = {f->path, new_path};
    bt_error e;
    int rc = query(s, paths, pargs, 2, NULL, "moving a folder", &e);
    if (rc == -BT_EEXIST)
        return bt_error_set(err, BT_EEXIST,
                            "store: folder '%s' already exists", new_path);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    num a, p;
    const char *sargs[] = {n64(&a, f->id), n64(&p, parent_id), name};
    return query(s, self, sargs, 3, NULL, "moving a folder", err);
}

static int check_folder_name(const char *name, bt_error *err) {
    int rc = check_name("folder", name, err);
    if (rc) return rc;
    if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return bt_error_set(err, BT_EINVAL,
                            "store: folder name '%s' must not contain '/' "
                            "nor be '.' or '..'",
                            name);
    return 0;
}

int bt_store_folder_rename(bt_store *s, int64_t id, const char *name,
                           bt_error *err) {
    int rc = check_folder_name(name, err);
    if (rc) return rc;
    folder_row f, parent = {0};
    if ((rc = begin(s, err))) return rc;
    rc = read_folder_row(s, id, &f, err);
    if (!rc && f.parent_id == 0)
        rc = bt_error_set(err, BT_EINVAL,
                          "store: the root folder cannot be renamed");
    if (!rc) rc = read_folder_row(s, f.parent_id, &parent, err);
    char *path = rc ? NULL : join_path(parent.path, name);
    if (!rc) rc = relocate(s, &f, f.parent_id, name, path, err);
    free(path);
    folder_row_free(&f);
    folder_row_free(&parent);
    return finish(s, rc, err);
}

int bt_store_folder_move(bt_store *s, int64_t id, int64_t parent_id,
                         bt_error *err) {
    folder_row f, parent = {0};
    int rc = begin(s, err);
    if (rc) return rc;
    rc = read_folder_row(s, id, &f, err);
    if (!rc && f.parent_id == 0)
        rc = bt_error_set(err, BT_EINVAL,
                          "store: the root folder cannot be moved");
    if (!rc) rc = read_folder_row(s, parent_id, &parent, err);
    if (!rc) {
        size_t len = strlen(f.path);
        if (!strncmp(parent.path, f.path, len) &&
            (parent.path[len] == '\0' || parent.path[len] == '/'))
            rc = bt_error_set(err, BT_EINVAL,
                              "store: folder '%s' cannot move into '%s', "
                              "which is inside it",
                              f.path, parent.path);
    }
    char *path = rc ? NULL : join_path(parent.path, f.name);
    if (!rc) rc = relocate(s, &f, parent_id, f.name, path, err);
    free(path);
    folder_row_free(&f);
    folder_row_free(&parent);
    return finish(s, rc, err);
}

int bt_store_folder_delete(bt_store *s, int64_t id, bool recursive,
                           bt_error *err) {
    static const char contents[] =
        "SELECT (SELECT count(*) FROM folders WHERE parent_id = "
        "CAST($1 AS bigint)), (SELECT count(*) FROM runbooks WHERE "
        "folder_id = CAST($1 AS bigint) AND deleted_us = 0)";
    static const char cancel[] =
        "UPDATE jobs SET status = 4, ended_us = CAST($2 AS bigint) "
        "WHERE status = 0 AND runbook_id IN (SELECT r.id FROM runbooks r "
        "JOIN folders f ON f.id = r.folder_id WHERE r.deleted_us = 0 AND "
        SUBTREE("f.path") ")";
    static const char soft[] =
        "UPDATE runbooks SET deleted_us = CAST($2 AS bigint), "
        "name = name || '/' || CAST(id AS text), checked_out_by = NULL, "
        "checked_out_us = 0 WHERE deleted_us = 0 AND folder_id IN "
        "(SELECT id FROM folders WHERE " SUBTREE("path") ")";
    /* Deleted runbooks keep their history, so they need a folder. */
    static const char rehome[] =
        "UPDATE runbooks SET folder_id = (SELECT id FROM folders WHERE "
        "parent_id IS NULL) WHERE folder_id IN (SELECT id FROM folders "
        "WHERE " SUBTREE("path") ")";
    static const char del[] =
        "DELETE FROM folders WHERE " SUBTREE("path");
    folder_row f;
    int rc = begin(s, err);
    if (rc) return rc;
    rc = read_folder_row(s, id, &f, err);
    if (!rc && f.parent_id == 0)
        rc = bt_error_set(err, BT_EINVAL,
                          "store: the root folder cannot be deleted");
    num a, t;
    const char *args[] = {f.path, n64(&t, now(s))};
    if (!rc && !recursive) {
        const char *carg = n64(&a, id);
        bt_store_rows r;
        rc = query(s, contents, &carg, 1, &r, "deleting a folder", err);
        int64_t folders = rc ? 0 : i64_at(&r, 0, 0);
        int64_t runbooks = rc ? 0 : i64_at(&r, 0, 1);
        bt__store_rows_free(&r);
        if (!rc && (folders || runbooks))
            rc = bt_error_set(err, BT_ESTATE,
                              "store: folder '%s' is not empty (%lld "
                              "folders, %lld runbooks)",
                              f.path, (long long)folders, (long long)runbooks);
    }
    if (!rc) rc = query(s, cancel, args, 2, NULL, "deleting a folder", err);
    if (!rc) rc = query(s, soft, args, 2, NULL, "deleting a folder", err);
    if (!rc) rc = query(s, rehome, args, 1, NULL, "deleting a folder", err);
    if (!rc) rc = query(s, del, args, 1, NULL, "deleting a folder", err);
    folder_row_free(&f);
    return finish(s, rc, err);
}

/* ---- Lookups by GUID ------------------------------------------------ */

/* The first row sql finds for the GUID ($1) into *r (freed on error). */
static int row_by_guid(bt_store *s, const char *sql, const char *what,
                       const char *guid, bt_store_rows *r, bt_error *err) {
    char g[BT_GUID_LEN];
    int rc = norm_guid(guid, g, err);
    if (rc) return rc;
    const char *arg = g;
    if ((rc = query(s, sql, &arg, 1, r, "looking up a GUID", err))) return rc;
    if (r->n == 0) {
        bt__store_rows_free(r);
        return bt_error_set(err, BT_ENOTFOUND, "store: no %s has GUID %s",
                            what, g);
    }
    return 0;
}

static int id_by_guid(bt_store *s, const char *sql, const char *what,
                      const char *guid, int64_t *id, bt_error *err) {
    bt_store_rows r;
    int rc = row_by_guid(s, sql, what, guid, &r, err);
    if (rc) return rc;
    *id = i64_at(&r, 0, 0);
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_runbook_get_guid(bt_store *s, const char *guid,
                              bt_store_runbook *out, bt_error *err) {
    static const char sql[] = "SELECT id FROM runbooks WHERE guid = $1";
    memset(out, 0, sizeof *out);
    int64_t id = 0;
    int rc = id_by_guid(s, sql, "runbook", guid, &id, err);
    return rc ? rc : bt_store_runbook_get(s, id, out, err);
}

int bt_store_job_get_guid(bt_store *s, const char *guid, bt_store_job *out,
                          bt_error *err) {
    static const char sql[] = "SELECT id FROM jobs WHERE guid = $1";
    memset(out, 0, sizeof *out);
    int64_t id = 0;
    int rc = id_by_guid(s, sql, "job", guid, &id, err);
    return rc ? rc : bt_store_job_get(s, id, out, err);
}

int bt_store_instance_get_guid(bt_store *s, const char *guid,
                               bt_store_instance *out, bt_error *err) {
    static const char sql[] = "SELECT id FROM instances WHERE guid = $1";
    memset(out, 0, sizeof *out);
    int64_t id = 0;
    int rc = id_by_guid(s, sql, "runbook instance", guid, &id, err);
    return rc ? rc : bt_store_instance_get(s, id, out, err);
}

/* The activity instance with this GUID, with its data: found by its
 * instance and sequence number, then read as a server resuming reads it. */
int bt_store_activity_get_guid(bt_store *s, const char *guid,
                               bt_store_activity *out, bt_error *err) {
    static const char sql[] =
        "SELECT instance_id, seq FROM activity_instances WHERE guid = $1";
    memset(out, 0, sizeof *out);
    bt_store_rows r;
    int rc = row_by_guid(s, sql, "activity instance", guid, &r, err);
    if (rc) return rc;
    int64_t instance_id = i64_at(&r, 0, 0), seq = i64_at(&r, 0, 1);
    bt__store_rows_free(&r);
    bt_store_activity *items = NULL;
    size_t n = 0;
    rc = bt_store_activity_list(s, instance_id, (uint64_t)seq - 1, &items, &n,
                                err);
    if (rc) return rc;
    if (n && items[0].seq == (uint64_t)seq) {
        *out = items[0];
        memset(&items[0], 0, sizeof items[0]);
    } else { /* purged between the two reads */
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: no activity instance has GUID %s", guid);
    }
    bt_store_activity_list_free(items, n);
    return rc;
}

/* ---- Statistics and server settings --------------------------------- */

int bt_store_job_counts(bt_store *s, int64_t runbook_id, uint64_t counts[5],
                        bt_error *err) {
    static const char sql[] =
        "SELECT status, count(*) FROM jobs WHERE CAST($1 AS bigint) = 0 OR "
        "runbook_id = CAST($1 AS bigint) GROUP BY status";
    memset(counts, 0, 5 * sizeof counts[0]);
    num a;
    const char *arg = n64(&a, runbook_id);
    bt_store_rows r;
    int rc = query(s, sql, &arg, 1, &r, "counting jobs", err);
    if (rc) return rc;
    for (size_t i = 0; i < r.n; i++) {
        int64_t st = i64_at(&r, i, 0);
        if (st >= BT_JOB_PENDING && st <= BT_JOB_CANCELED)
            counts[st] = (uint64_t)i64_at(&r, i, 1);
    }
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_server_get(bt_store *s, int64_t id, bt_store_server *out,
                        bt_error *err) {
    memset(out, 0, sizeof *out);
    bt_store_server *items = NULL;
    size_t n = 0;
    int rc = bt_store_server_list(s, &items, &n, err);
    if (rc) return rc;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        if (items[i].id == id) {
            *out = items[i];
            memset(&items[i], 0, sizeof items[i]);
            found = true;
        }
    bt_store_server_list_free(items, n);
    return found ? 0 : not_found_id("runbook server", id, err);
}

int bt_store_server_set(bt_store *s, const char *name, int throttle,
                        int drain, bt_error *err) {
    static const char sql[] =
        "UPDATE servers SET throttle = CASE WHEN CAST($2 AS integer) < 0 "
        "THEN throttle ELSE CAST($2 AS integer) END, draining = CASE WHEN "
        "CAST($3 AS integer) < 0 THEN draining ELSE CAST($3 AS integer) END "
        "WHERE name = $1 RETURNING id";
    int rc = check_name("server", name, err);
    if (rc) return rc;
    if (throttle < -1 || throttle > 100000)
        return bt_error_set(err, BT_EINVAL,
                            "store: throttle %d is out of range (0 to "
                            "100000, or -1 to keep)",
                            throttle);
    num t, d;
    const char *args[] = {name, n64(&t, throttle),
                          n64(&d, drain < 0 ? -1 : drain != 0)};
    bt_store_rows r;
    rc = query(s, sql, args, 3, &r, "changing a server's settings", err);
    if (rc) return rc;
    if (r.n == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook server '%s' is not registered",
                          name);
    bt__store_rows_free(&r);
    return rc;
}
