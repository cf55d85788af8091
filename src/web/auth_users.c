/* Users, groups and folder permissions over the API: administrators only
 * (a user may change their own password). Every change writes an audit
 * entry: who, what, the object, before/after as JSON without secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define PASSWORD_MIN 8

static json_t *user_json(const bt_store_user *u) {
    return json_pack("{s:I, s:s, s:b, s:b, s:o}", "id", (json_int_t)u->id,
                     "name", u->name, "admin", u->is_admin, "disabled",
                     u->disabled, "created", bt_web_time(u->created_us));
}

static json_t *rights_json(unsigned rights) {
    json_t *a = json_array();
    const char *const *names = bt_auth_right_names();
    for (unsigned i = 0; names[i]; i++)
        if (rights & (1u << i)) json_array_append_new(a, json_string(names[i]));
    return a;
}

/* The user named by the path's first capture; answers 404/500. */
static bool find_user(bt_web_req *r, const char *name, bt_store_user *u) {
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_error err = {0};
    int rc = bt_store_user_find(s, name, u, &err);
    if (rc == -BT_ENOTFOUND)
        bt_web_error(r, 404, "not_found", "user", "no user '%s'", name);
    else if (rc)
        bt_web_error_from(r, rc, &err, "user");
    return !rc;
}

static bool find_group(bt_web_req *r, const char *name, bt_store_group *g) {
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_error err = {0};
    int rc = bt_store_group_find(s, name, g, &err);
    if (rc == -BT_ENOTFOUND)
        bt_web_error(r, 404, "not_found", "group", "no group '%s'", name);
    else if (rc)
        bt_web_error_from(r, rc, &err, "group");
    return !rc;
}

static const char *password_field(bt_web_req *r, json_t *doc) {
    const char *pw = json_string_value(json_object_get(doc, "password"));
    if (!pw) {
        bt_web_error(r, 400, "missing_field", "password",
                     "field 'password' (a text) is required");
        return NULL;
    }
    if (strlen(pw) < PASSWORD_MIN || strlen(pw) > BT_AUTH_PASSWORD_MAX) {
        bt_web_error(r, 400, "invalid_parameter", "password",
                     "a password has %d to %d bytes", PASSWORD_MIN,
                     BT_AUTH_PASSWORD_MAX);
        return NULL;
    }
    return pw;
}

/* ---- users ------------------------------------------------------------ */

/* GET /api/me: who the caller is, so a client (the console) can show
 * what they may do without probing an administrators-only resource. */
void bt_web_users_me(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    if (!bt_auth_enabled(r)) { /* everyone may do everything */
        const char *who = bt_web_user(r, "api");
        bt_web_reply(r, 200, json_pack("{s:s, s:b, s:b, s:[]}", "name",
                                       who ? who : "api", "admin", 1,
                                       "authentication", 0, "groups"));
        return;
    }
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_user u = {0};
    bt_error err = {0};
    int rc = bt_store_user_find(s, r->user, &u, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *o = user_json(&u);
    json_object_set_new(o, "authentication", json_true());
    json_object_set_new(o, "token", json_boolean(r->cred_is_token));
    bt_store_group *gs = NULL;
    size_t ng = 0;
    json_t *ga = json_array();
    if (!bt_store_user_groups(s, u.id, &gs, &ng, NULL))
        for (size_t k = 0; k < ng; k++)
            json_array_append_new(ga, json_string(gs[k].name));
    bt_store_group_list_free(gs, ng);
    json_object_set_new(o, "groups", ga);
    bt_store_user_clear(&u);
    bt_web_reply(r, 200, o);
}

void bt_web_users_list(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_user *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_user_list(s, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = user_json(&items[i]);
        bt_store_group *gs = NULL;
        size_t ng = 0;
        json_t *ga = json_array();
        if (!bt_store_user_groups(s, items[i].id, &gs, &ng, NULL))
            for (size_t k = 0; k < ng; k++)
                json_array_append_new(ga, json_string(gs[k].name));
        bt_store_group_list_free(gs, ng);
        json_object_set_new(o, "groups", ga);
        json_array_append_new(a, o);
    }
    bt_store_user_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", a));
}

void bt_web_users_create(bt_web_req *r) {
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"name", "password", "admin", NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    json_t *doc = bt_auth_body(r, fields);
    if (!doc) return;
    const char *name = json_string_value(json_object_get(doc, "name"));
    json_t *jadmin = json_object_get(doc, "admin");
    const char *pw;
    char hash[crypto_pwhash_STRBYTES];
    bt_store_user u = {0};
    bt_error err = {0};
    if (!bt_auth_valid_name(name)) {
        bt_web_error(r, 400, "invalid_parameter", "name",
                     "name must be 1 to %d letters, digits or . _ - @",
                     BT_AUTH_NAME_MAX);
        goto done;
    }
    if (jadmin && !json_is_boolean(jadmin)) {
        bt_web_error(r, 400, "invalid_parameter", "admin",
                     "admin must be true or false");
        goto done;
    }
    if (!(pw = password_field(r, doc))) goto done;
    int rc = bt_auth_hash_password(pw, hash, &err);
    bt_store *s = rc ? NULL : bt_web_store(r);
    if (!rc && !s) goto done;
    if (!rc) rc = bt_store_user_create(s, name, hash, json_is_true(jadmin), &u,
                                       &err);
    sodium_memzero(hash, sizeof hash);
    if (rc == -BT_EEXIST) {
        bt_web_error(r, 409, "conflict", "name", "user '%s' already exists",
                     name);
        goto done;
    }
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        goto done;
    }
    bt_auth_audit(r, "user.create", name, NULL,
                  json_pack("{s:s, s:b}", "name", name, "admin", u.is_admin));
    r->location = bt_xasprintf("/api/users/%s", name);
    bt_web_reply(r, 201, user_json(&u));
done:
    bt_store_user_clear(&u);
    json_decref(doc);
}

void bt_web_users_password(bt_web_req *r) {
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"password", NULL};
    if (!bt_web_query_only(r, none)) return;
    const char *name = r->captures[0];
    /* anyone may change their own password */
    bool self = r->user && !strcmp(r->user, name);
    if (!self && !bt_auth_require_admin(r)) return;
    json_t *doc = bt_auth_body(r, fields);
    if (!doc) return;
    bt_store_user u = {0};
    const char *pw = password_field(r, doc);
    if (pw && find_user(r, name, &u)) {
        char hash[crypto_pwhash_STRBYTES];
        bt_error err = {0};
        int rc = bt_auth_hash_password(pw, hash, &err);
        struct bt_store_user_update up = {.password_hash = hash, .is_admin = -1,
                                   .disabled = -1};
        if (!rc) rc = bt_store_user_update(bt_web_store(r), u.id, &up, &err);
        sodium_memzero(hash, sizeof hash);
        if (rc) {
            bt_web_error_from(r, rc, &err, NULL);
        } else {
            bt_auth_audit(r, "user.password", name, NULL,
                          json_pack("{s:s}", "password", "changed"));
            bt_web_reply(r, 200, user_json(&u));
        }
    }
    bt_store_user_clear(&u);
    json_decref(doc);
}

static void set_disabled(bt_web_req *r, bool disabled) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    const char *name = r->captures[0];
    if (disabled && r->user && !strcmp(r->user, name)) {
        bt_web_error(r, 409, "conflict", "user",
                     "you cannot disable yourself; ask another "
                     "administrator");
        return;
    }
    bt_store_user u = {0};
    if (!find_user(r, name, &u)) return;
    bt_error err = {0};
    struct bt_store_user_update up = {.is_admin = -1, .disabled = disabled};
    int rc = bt_store_user_update(bt_web_store(r), u.id, &up, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
    } else {
        bt_auth_audit(r, disabled ? "user.disable" : "user.enable", name,
                      json_pack("{s:b}", "disabled", u.disabled),
                      json_pack("{s:b}", "disabled", disabled));
        u.disabled = disabled;
        bt_web_reply(r, 200, user_json(&u));
    }
    bt_store_user_clear(&u);
}

void bt_web_users_disable(bt_web_req *r) { set_disabled(r, true); }
void bt_web_users_enable(bt_web_req *r) { set_disabled(r, false); }

void bt_web_users_delete(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    const char *name = r->captures[0];
    if (r->user && !strcmp(r->user, name)) {
        bt_web_error(r, 409, "conflict", "user",
                     "you cannot delete yourself; ask another administrator");
        return;
    }
    bt_store_user u = {0};
    if (!find_user(r, name, &u)) return;
    bt_error err = {0};
    int rc = bt_store_user_delete(bt_web_store(r), u.id, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
    } else {
        bt_auth_audit(r, "user.delete", name,
                      json_pack("{s:s, s:b, s:b}", "name", u.name, "admin",
                                u.is_admin, "disabled", u.disabled),
                      NULL);
        bt_web_reply(r, 200, json_pack("{s:s}", "deleted", name));
    }
    bt_store_user_clear(&u);
}

/* ---- groups ----------------------------------------------------------- */

static json_t *group_json(bt_store *s, const bt_store_group *g) {
    json_t *members = json_array();
    bt_store_user *us = NULL;
    size_t n = 0;
    if (!bt_store_group_members(s, g->id, &us, &n, NULL))
        for (size_t i = 0; i < n; i++)
            json_array_append_new(members, json_string(us[i].name));
    bt_store_user_list_free(us, n);
    return json_pack("{s:I, s:s, s:s?, s:o, s:o}", "id", (json_int_t)g->id,
                     "name", g->name, "description", g->description,
                     "members", members, "created",
                     bt_web_time(g->created_us));
}

void bt_web_groups_list(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_group *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_group_list(s, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, group_json(s, &items[i]));
    bt_store_group_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", a));
}

void bt_web_groups_create(bt_web_req *r) {
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"name", "description", NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    json_t *doc = bt_auth_body(r, fields);
    if (!doc) return;
    const char *name = json_string_value(json_object_get(doc, "name"));
    const char *desc = json_string_value(json_object_get(doc, "description"));
    bt_store *s;
    if (!bt_auth_valid_name(name)) {
        bt_web_error(r, 400, "invalid_parameter", "name",
                     "name must be 1 to %d letters, digits or . _ - @",
                     BT_AUTH_NAME_MAX);
    } else if ((s = bt_web_store(r))) {
        bt_store_group g = {0};
        bt_error err = {0};
        int rc = bt_store_group_create(s, name, desc, &g, &err);
        if (rc == -BT_EEXIST)
            bt_web_error(r, 409, "conflict", "name",
                         "group '%s' already exists", name);
        else if (rc)
            bt_web_error_from(r, rc, &err, NULL);
        else {
            bt_auth_audit(r, "group.create", name, NULL,
                          json_pack("{s:s, s:s?}", "name", name,
                                    "description", desc));
            bt_web_reply(r, 201, group_json(s, &g));
        }
        bt_store_group_clear(&g);
    }
    json_decref(doc);
}

void bt_web_groups_delete(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    bt_store_group g = {0};
    if (!find_group(r, r->captures[0], &g)) return;
    bt_error err = {0};
    int rc = bt_store_group_delete(bt_web_store(r), g.id, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
    } else {
        bt_auth_audit(r, "group.delete", g.name,
                      json_pack("{s:s}", "name", g.name), NULL);
        bt_web_reply(r, 200, json_pack("{s:s}", "deleted", g.name));
    }
    bt_store_group_clear(&g);
}

static void membership(bt_web_req *r, const char *user, bool add) {
    bt_store_group g = {0};
    bt_store_user u = {0};
    if (find_group(r, r->captures[0], &g) && find_user(r, user, &u)) {
        bt_store *s = bt_web_store(r);
        bt_error err = {0};
        int rc = add ? bt_store_group_add_member(s, g.id, u.id, &err)
                     : bt_store_group_remove_member(s, g.id, u.id, &err);
        if (rc == -BT_ENOTFOUND)
            bt_web_error(r, 404, "not_found", "user",
                         "'%s' is not a member of group '%s'", user, g.name);
        else if (rc)
            bt_web_error_from(r, rc, &err, NULL);
        else {
            bt_auth_audit(r, add ? "group.add_member" : "group.remove_member",
                          g.name, NULL, json_pack("{s:s}", "user", u.name));
            bt_web_reply(r, 200, group_json(s, &g));
        }
    }
    bt_store_group_clear(&g);
    bt_store_user_clear(&u);
}

void bt_web_groups_add_member(bt_web_req *r) {
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"user", NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    json_t *doc = bt_auth_body(r, fields);
    if (!doc) return;
    const char *user = json_string_value(json_object_get(doc, "user"));
    if (!user)
        bt_web_error(r, 400, "missing_field", "user",
                     "field 'user' (a user name) is required");
    else
        membership(r, user, true);
    json_decref(doc);
}

void bt_web_groups_remove_member(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    membership(r, r->captures[1], false);
}

/* ---- permissions ------------------------------------------------------ */

static json_t *perm_json(const bt_store_permission *p) {
    return json_pack("{s:s, s:s, s:s, s:o}", "folder", p->folder_path, "kind",
                     p->kind == BT_PRINCIPAL_GROUP ? "group" : "user",
                     p->kind == BT_PRINCIPAL_GROUP ? "group" : "user",
                     p->principal_name, "rights", rights_json(p->rights));
}

static bool find_folder(bt_web_req *r, const char *path, bt_store_folder *f) {
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_error err = {0};
    int rc = bt_store_folder_get(s, path, f, &err);
    if (rc == -BT_ENOTFOUND)
        bt_web_error(r, 404, "not_found", "folder", "no folder '%s'", path);
    else if (rc)
        bt_web_error_from(r, rc, &err, "folder");
    return !rc;
}

void bt_web_perms_list(bt_web_req *r) {
    static const char *const allowed[] = {"folder", NULL};
    if (!bt_web_query_only(r, allowed) || !bt_auth_require_admin(r)) return;
    const char *path = bt_web_query(r, "folder");
    bt_store_folder f = {0};
    if (path && *path && !find_folder(r, path, &f)) return;
    bt_store *s = bt_web_store(r);
    bt_store_permission *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = s ? bt_store_permission_list(s, f.id, &items, &n, &err) : -BT_EIO;
    bt_store_folder_clear(&f);
    if (rc) {
        if (!r->status) bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, perm_json(&items[i]));
    bt_store_permission_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", a));
}

/* The folder and the user or group a grant names (body or query). */
typedef struct grant_target {
    bt_store_folder folder;
    bt_principal kind;
    int64_t id;
    const char *name;
    unsigned before;
} grant_target;

static bool resolve_grant(bt_web_req *r, const char *folder, const char *user,
                          const char *group, grant_target *t) {
    memset(t, 0, sizeof *t);
    if (!folder || !*folder) {
        bt_web_error(r, 400, "missing_field", "folder",
                     "'folder' (a /Folder/Path) is required");
        return false;
    }
    if (!user == !group) {
        bt_web_error(r, 400, "missing_field", "user",
                     "name exactly one of 'user' or 'group'");
        return false;
    }
    if (!find_folder(r, folder, &t->folder)) return false;
    bool ok;
    if (user) {
        bt_store_user u = {0};
        ok = find_user(r, user, &u);
        t->kind = BT_PRINCIPAL_USER;
        t->id = u.id;
        bt_store_user_clear(&u);
        t->name = user;
    } else {
        bt_store_group g = {0};
        ok = find_group(r, group, &g);
        t->kind = BT_PRINCIPAL_GROUP;
        t->id = g.id;
        bt_store_group_clear(&g);
        t->name = group;
    }
    if (!ok) {
        bt_store_folder_clear(&t->folder);
        return false;
    }
    /* what was granted before, for the audit entry */
    bt_store_permission *items = NULL;
    size_t n = 0;
    if (!bt_store_permission_list(bt_web_store(r), t->folder.id, &items, &n,
                                  NULL))
        for (size_t i = 0; i < n; i++)
            if (items[i].folder_id == t->folder.id && items[i].kind == t->kind &&
                items[i].principal_id == t->id)
                t->before = items[i].rights;
    bt_store_permission_list_free(items, n);
    return true;
}

static void apply_grant(bt_web_req *r, grant_target *t, unsigned rights) {
    bt_error err = {0};
    int rc = bt_store_permission_set(bt_web_store(r), t->folder.id, t->kind,
                                     t->id, rights, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    const char *kind = t->kind == BT_PRINCIPAL_GROUP ? "group" : "user";
    char *object = bt_xasprintf("%s %s:%s", t->folder.path, kind, t->name);
    bt_auth_audit(r, rights ? "permission.set" : "permission.revoke", object,
                  json_pack("{s:o}", "rights", rights_json(t->before)),
                  json_pack("{s:o}", "rights", rights_json(rights)));
    free(object);
    bt_web_reply(r, 200, json_pack("{s:s, s:s, s:s, s:o}", "folder",
                                   t->folder.path, "kind", kind, kind, t->name,
                                   "rights", rights_json(rights)));
}

void bt_web_perms_grant(bt_web_req *r) {
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"folder", "user", "group", "rights",
                                         NULL};
    if (!bt_web_query_only(r, none) || !bt_auth_require_admin(r)) return;
    json_t *doc = bt_auth_body(r, fields);
    if (!doc) return;
    json_t *jr = json_object_get(doc, "rights");
    unsigned rights = 0;
    size_t i;
    json_t *v;
    bool ok = json_is_array(jr);
    json_array_foreach(jr, i, v) {
        unsigned bit;
        if (!json_is_string(v) || !bt_auth_rights_parse(json_string_value(v), &bit)) {
            ok = false;
            break;
        }
        rights |= bit;
    }
    grant_target t;
    if (!ok)
        bt_web_error(r, 400, "invalid_parameter", "rights",
                     "rights must be a list of view, start, stop, author, "
                     "admin");
    else if (resolve_grant(r, json_string_value(json_object_get(doc, "folder")),
                           json_string_value(json_object_get(doc, "user")),
                           json_string_value(json_object_get(doc, "group")),
                           &t)) {
        apply_grant(r, &t, rights);
        bt_store_folder_clear(&t.folder);
    }
    json_decref(doc);
}

void bt_web_perms_revoke(bt_web_req *r) {
    static const char *const allowed[] = {"folder", "user", "group", NULL};
    if (!bt_web_query_only(r, allowed) || !bt_auth_require_admin(r)) return;
    grant_target t;
    if (!resolve_grant(r, bt_web_query(r, "folder"), bt_web_query(r, "user"),
                       bt_web_query(r, "group"), &t))
        return;
    apply_grant(r, &t, 0);
    bt_store_folder_clear(&t.folder);
}
