/* Global settings: variables (plain or encrypted), counters, schedules.
 * An encrypted variable is sealed with the server's key file before it is
 * stored (mgmt/secret.h), and no answer and no audit record ever carries
 * its value: only its name, that it is encrypted, and when it changed.
 * Each item sits in a settings folder, a path of its own tree (not a
 * runbook folder): set may name it, move changes it, lists filter by it. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mgmt/mgmt_internal.h"
#include "mgmt/secret.h"

#define SETTING_NAME_MAX 128

/* Names are what {var:name} can reference. */
static bool valid_name(mg_req *r, const char *what, const char *name) {
    size_t n = strlen(name);
    bool ok = n && n <= SETTING_NAME_MAX &&
              ((name[0] >= 'A' && name[0] <= 'Z') ||
               (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_');
    for (size_t i = 1; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    }
    if (!ok)
        bt__mg_error(r, 400, "invalid", "name",
                     "%s name '%s' must start with a letter or '_' and hold "
                     "only letters, digits, '_', '-' and '.' (at most %d)",
                     what, name, SETTING_NAME_MAX);
    return ok;
}

/* The optional "folder" of a set body: true to go on (*folder NULL when
 * absent: the item keeps its folder). */
static bool body_folder(mg_req *r, json_t *body, const char **folder) {
    *folder = NULL;
    if (!bt__mg_str(r, body, "folder", false, folder))
        return false;
    bt_error err = {0};
    if (*folder && bt_store_setting_folder_check(*folder, &err)) {
        bt__mg_error(r, 400, "invalid", "folder", "%s", err.message);
        return false;
    }
    return true;
}

/* ?folder= of a list: true to go on, *folder NULL for every item. */
static bool query_folder(mg_req *r, const char **folder) {
    static const char *const allowed[] = {"folder", NULL};
    if (!bt__mg_query_only(r, allowed))
        return false;
    *folder = bt__mg_query(r, "folder");
    bt_error err = {0};
    if (*folder && bt_store_setting_folder_check(*folder, &err)) {
        bt__mg_error(r, 400, "invalid_parameter", "folder", "%s", err.message);
        return false;
    }
    return true;
}

static const char *folder_or_root(const char *folder) {
    return folder && *folder ? folder : "/";
}

static json_t *variable_json(const bt_store_variable *v) {
    json_t *value = json_null();
    if (!v->encrypted && v->value && memchr(v->value, '\0', v->len) == NULL) {
        json_t *s = json_stringn((const char *)v->value, v->len);
        if (s)
            value = s;
    }
    return json_pack("{s:s, s:s, s:b, s:o, s:o}", "name", v->name, "folder",
                     folder_or_root(v->folder), "encrypted", v->encrypted,
                     "value", value, "updated", bt__mg_time(v->updated_us));
}

/* GET /api/variables[?folder=/A/B] */
void bt__mg_variables_list(mg_req *r) {
    const char *folder;
    if (!query_folder(r, &folder))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_variable *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_variable_list_in(s, folder, &items, &n, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, variable_json(&items[i]));
    bt_store_variable_list_free(items, n);
    bt__mg_reply(r, 200, json_pack("{s:o}", "items", arr));
}

/* GET /api/variables/{name} */
void bt__mg_variable_get(mg_req *r) {
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_variable v = {0};
    bt_error err = {0};
    int rc = bt_store_variable_get(s, r->capture, &v, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    bt__mg_reply(r, 200, variable_json(&v));
    bt_store_variable_clear(&v);
}

/* What an audit record says about a variable: never an encrypted value. */
static json_t *variable_audit(const bt_store_variable *v) {
    if (!v)
        return NULL;
    if (v->encrypted)
        return json_pack("{s:b, s:s}", "encrypted", 1, "folder",
                         folder_or_root(v->folder));
    return json_pack("{s:b, s:o, s:s}", "encrypted", 0, "value",
                     v->value ? bt__mg_strn((const char *)v->value)
                              : json_null(),
                     "folder", folder_or_root(v->folder));
}

/* POST /api/variables {"name", "value", "encrypted", "folder"} */
void bt__mg_variable_set(mg_req *r) {
    static const char *const allowed[] = {"name", "value", "encrypted",
                                          "folder", NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *name, *value, *folder;
    if (!body || !bt__mg_str(r, body, "name", true, &name) ||
        !bt__mg_str(r, body, "value", true, &value) ||
        !body_folder(r, body, &folder))
        return;
    if (!valid_name(r, "variable", name) ||
        !bt__mg_admin(r, "change global variables"))
        return;
    json_t *enc = json_object_get(body, "encrypted");
    if (enc && !json_is_boolean(enc)) {
        bt__mg_error(r, 400, "invalid", "encrypted",
                     "encrypted must be true or false");
        return;
    }
    bool encrypted = json_is_true(enc);
    size_t len = json_string_length(json_object_get(body, "value"));
    if (memchr(value, '\0', len)) {
        bt__mg_error(r, 400, "invalid", "value",
                     "a variable's value must not contain NUL characters");
        return;
    }
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    if (encrypted) {
        const char *key_file = bt__mg_key_file(r);
        if (!key_file) {
            bt__mg_error(r, 409, "no_key", "encrypted",
                         "this management server has no key file for "
                         "encrypted variables");
            return;
        }
        unsigned char key[BT_SECRET_KEY_BYTES];
        bt_error err = {0};
        int rc = bt_secret_key_load(key_file, true, key, &err);
        if (!rc)
            rc = bt_secret_seal(key, value, len, &sealed, &sealed_len, &err);
        sodium_memzero(key, sizeof key);
        if (rc) {
            bt__mg_error(r, 500, "key_error", "encrypted", "%s", err.message);
            return;
        }
    }
    if (!bt__mg_begin(r)) {
        free(sealed);
        return;
    }
    bt_store_variable old = {0};
    bt_error err = {0};
    int rc = bt_store_variable_get(r->store, name, &old, &err);
    bool existed = rc == 0;
    if (rc && rc != -BT_ENOTFOUND) {
        bt__mg_error_from(r, rc, &err, "name");
        free(sealed);
        return;
    }
    rc = encrypted ? bt_store_variable_set_in(r->store, name, sealed,
                                              sealed_len, true, folder, &err)
                   : bt_store_variable_set_in(r->store, name, value, len, false,
                                              folder, &err);
    free(sealed);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "value");
        bt_store_variable_clear(&old);
        return;
    }
    bt_store_variable now = {.name = (char *)name,
                             .value = (unsigned char *)value,
                             .len = len,
                             .encrypted = encrypted,
                             .folder = (char *)(folder ? folder
                                                : existed ? old.folder
                                                          : "/")};
    json_t *before = existed ? variable_audit(&old) : NULL;
    json_t *after = variable_audit(&now);
    if (bt__mg_audit(r, "variable.set", name, before, after) &&
        bt__mg_commit(r)) {
        bt_store_variable stored = {0};
        if (!bt_store_variable_get(r->store, name, &stored, &err)) {
            bt__mg_reply(r, existed ? 200 : 201, variable_json(&stored));
            bt_store_variable_clear(&stored);
        } else {
            bt__mg_error_from(r, -BT_EIO, &err, "name");
        }
    }
    json_decref(before);
    json_decref(after);
    bt_store_variable_clear(&old);
}

/* DELETE /api/variables/{name} */
void bt__mg_variable_delete(mg_req *r) {
    if (!bt__mg_admin(r, "change global variables") || !bt__mg_begin(r))
        return;
    bt_store_variable old = {0};
    bt_error err = {0};
    int rc = bt_store_variable_get(r->store, r->capture, &old, &err);
    if (!rc)
        rc = bt_store_variable_delete(r->store, r->capture, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        bt_store_variable_clear(&old);
        return;
    }
    json_t *before = variable_audit(&old);
    if (bt__mg_audit(r, "variable.delete", r->capture, before, NULL) &&
        bt__mg_commit(r))
        bt__mg_reply(r, 200,
                     json_pack("{s:s, s:b}", "name", r->capture, "deleted", 1));
    json_decref(before);
    bt_store_variable_clear(&old);
}

/* ---- counters --------------------------------------------------------- */

static json_t *counter_json(const bt_store_counter *c) {
    return json_pack("{s:s, s:s, s:I, s:o}", "name", c->name, "folder",
                     folder_or_root(c->folder), "value", (json_int_t)c->value,
                     "updated", bt__mg_time(c->updated_us));
}

/* GET /api/counters[?folder=/A/B] */
void bt__mg_counters_list(mg_req *r) {
    const char *folder;
    if (!query_folder(r, &folder))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_counter *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_counter_list(s, folder, &items, &n, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, counter_json(&items[i]));
    bt_store_counter_list_free(items, n);
    bt__mg_reply(r, 200, json_pack("{s:o}", "items", arr));
}

/* GET /api/counters/{name} */
void bt__mg_counter_get(mg_req *r) {
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    int64_t v = 0;
    bt_error err = {0};
    int rc = bt_store_counter_get(s, r->capture, &v, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    bt__mg_reply(
        r, 200,
        json_pack("{s:s, s:I}", "name", r->capture, "value", (json_int_t)v));
}

/* POST /api/counters {"name", "value", "folder"} sets; {"name", "add"}
 * adds. */
void bt__mg_counter_set(mg_req *r) {
    static const char *const allowed[] = {"name", "value", "add", "folder",
                                          NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *name, *folder;
    if (!body || !bt__mg_str(r, body, "name", true, &name) ||
        !body_folder(r, body, &folder))
        return;
    if (!valid_name(r, "counter", name) ||
        !bt__mg_admin(r, "change global counters"))
        return;
    json_t *value = json_object_get(body, "value");
    json_t *add = json_object_get(body, "add");
    if ((value && !json_is_integer(value)) || (add && !json_is_integer(add)) ||
        !value == !add) {
        bt__mg_error(r, 400, "invalid", value ? "value" : "add",
                     "give a whole number as either value (set) or add");
        return;
    }
    if (add && folder) {
        bt__mg_error(r, 400, "invalid", "folder",
                     "folder goes with value (set), not add: move a counter "
                     "with POST /api/counters/move");
        return;
    }
    if (!bt__mg_begin(r))
        return;
    bt_error err = {0};
    int64_t old = 0, now = 0;
    int rc = bt_store_counter_get(r->store, name, &old, &err);
    bool existed = rc == 0;
    if (rc && rc != -BT_ENOTFOUND) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    if (value) {
        now = json_integer_value(value);
        rc = bt_store_counter_set_in(r->store, name, now, folder, &err);
    } else {
        rc = bt_store_counter_add(r->store, name, json_integer_value(add), &now,
                                  &err);
    }
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    json_t *before =
        existed ? json_pack("{s:I}", "value", (json_int_t)old) : NULL;
    json_t *after = json_pack("{s:I}", "value", (json_int_t)now);
    if (folder)
        json_object_set_new(after, "folder", json_string(folder));
    if (bt__mg_audit(r, "counter.set", name, before, after) && bt__mg_commit(r))
        bt__mg_reply(
            r, existed ? 200 : 201,
            json_pack("{s:s, s:I}", "name", name, "value", (json_int_t)now));
    json_decref(before);
    json_decref(after);
}

/* DELETE /api/counters/{name} */
void bt__mg_counter_delete(mg_req *r) {
    if (!bt__mg_admin(r, "change global counters") || !bt__mg_begin(r))
        return;
    bt_error err = {0};
    int64_t old = 0;
    int rc = bt_store_counter_get(r->store, r->capture, &old, &err);
    if (!rc)
        rc = bt_store_counter_delete(r->store, r->capture, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    json_t *before = json_pack("{s:I}", "value", (json_int_t)old);
    if (bt__mg_audit(r, "counter.delete", r->capture, before, NULL) &&
        bt__mg_commit(r))
        bt__mg_reply(r, 200,
                     json_pack("{s:s, s:b}", "name", r->capture, "deleted", 1));
    json_decref(before);
}

/* ---- schedules -------------------------------------------------------- */

static json_t *schedule_json(const bt_store_schedule *sc) {
    json_t *def = json_loads(sc->definition ? sc->definition : "null",
                             JSON_DECODE_ANY, NULL);
    return json_pack("{s:s, s:s, s:o, s:o}", "name", sc->name, "folder",
                     folder_or_root(sc->folder), "definition",
                     def ? def : bt__mg_strn(sc->definition), "updated",
                     bt__mg_time(sc->updated_us));
}

/* GET /api/schedules[?folder=/A/B] */
void bt__mg_schedules_list(mg_req *r) {
    const char *folder;
    if (!query_folder(r, &folder))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_schedule *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_schedule_list_in(s, folder, &items, &n, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, schedule_json(&items[i]));
    bt_store_schedule_list_free(items, n);
    bt__mg_reply(r, 200, json_pack("{s:o}", "items", arr));
}

/* GET /api/schedules/{name} */
void bt__mg_schedule_get(mg_req *r) {
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_schedule sc = {0};
    bt_error err = {0};
    int rc = bt_store_schedule_get(s, r->capture, &sc, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    bt__mg_reply(r, 200, schedule_json(&sc));
    bt_store_schedule_clear(&sc);
}

/* POST /api/schedules {"name", "definition": {...}, "folder"} */
void bt__mg_schedule_set(mg_req *r) {
    static const char *const allowed[] = {"name", "definition", "folder",
                                          NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *name, *folder;
    if (!body || !bt__mg_str(r, body, "name", true, &name) ||
        !body_folder(r, body, &folder))
        return;
    if (!valid_name(r, "schedule", name) ||
        !bt__mg_admin(r, "change global schedules"))
        return;
    json_t *def = json_object_get(body, "definition");
    if (!json_is_object(def)) {
        bt__mg_error(r, 400, def ? "invalid" : "missing_field", "definition",
                     "definition must be a JSON object (see the "
                     "check-schedule activity for its fields)");
        return;
    }
    char *text = json_dumps(def, JSON_COMPACT | JSON_SORT_KEYS);
    if (!bt__mg_begin(r)) {
        free(text);
        return;
    }
    bt_store_schedule old = {0};
    bt_error err = {0};
    int rc = bt_store_schedule_get(r->store, name, &old, &err);
    bool existed = rc == 0;
    if (rc == 0 || rc == -BT_ENOTFOUND)
        rc = bt_store_schedule_set_in(r->store, name, text, folder, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "definition");
    } else {
        json_t *before = existed ? schedule_json(&old) : NULL;
        if (before)
            json_object_del(before, "updated");
        json_t *after = def;
        if (folder)
            after = json_pack("{s:O, s:s}", "definition", def, "folder",
                              folder);
        bool audited = bt__mg_audit(r, "schedule.set", name, before, after);
        if (after != def)
            json_decref(after);
        if (audited &&
            bt__mg_commit(r)) {
            bt_store_schedule now = {0};
            if (!bt_store_schedule_get(r->store, name, &now, &err)) {
                bt__mg_reply(r, existed ? 200 : 201, schedule_json(&now));
                bt_store_schedule_clear(&now);
            } else {
                bt__mg_error_from(r, -BT_EIO, &err, "name");
            }
        }
        json_decref(before);
    }
    bt_store_schedule_clear(&old);
    free(text);
}

/* DELETE /api/schedules/{name} */
void bt__mg_schedule_delete(mg_req *r) {
    if (!bt__mg_admin(r, "change global schedules") || !bt__mg_begin(r))
        return;
    bt_store_schedule old = {0};
    bt_error err = {0};
    int rc = bt_store_schedule_get(r->store, r->capture, &old, &err);
    if (!rc)
        rc = bt_store_schedule_delete(r->store, r->capture, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        bt_store_schedule_clear(&old);
        return;
    }
    json_t *before = schedule_json(&old);
    json_object_del(before, "updated");
    if (bt__mg_audit(r, "schedule.delete", r->capture, before, NULL) &&
        bt__mg_commit(r))
        bt__mg_reply(r, 200,
                     json_pack("{s:s, s:b}", "name", r->capture, "deleted", 1));
    json_decref(before);
    bt_store_schedule_clear(&old);
}

/* ---- moving between settings folders ---------------------------------- */

/* The folder an item is in now (for the audit record's "before"). */
static int current_folder(bt_store *s, bt_store_setting_kind kind,
                          const char *name, char **out, bt_error *err) {
    *out = NULL;
    int rc;
    if (kind == BT_SETTING_VARIABLE) {
        bt_store_variable v = {0};
        if (!(rc = bt_store_variable_get(s, name, &v, err)))
            *out = bt_xstrdup(folder_or_root(v.folder));
        bt_store_variable_clear(&v);
    } else if (kind == BT_SETTING_SCHEDULE) {
        bt_store_schedule sc = {0};
        if (!(rc = bt_store_schedule_get(s, name, &sc, err)))
            *out = bt_xstrdup(folder_or_root(sc.folder));
        bt_store_schedule_clear(&sc);
    } else {
        bt_store_counter *items = NULL;
        size_t n = 0;
        rc = bt_store_counter_list(s, NULL, &items, &n, err);
        for (size_t i = 0; !rc && i < n && !*out; i++)
            if (!strcmp(items[i].name, name))
                *out = bt_xstrdup(folder_or_root(items[i].folder));
        bt_store_counter_list_free(items, n);
        if (!rc && !*out)
            rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: counter '%s' does not exist", name);
    }
    return rc;
}

/* POST /api/{variables,counters,schedules}/move {"name", "folder"}: one
 * audit record "<kind>.move" with the folder before and after. */
static void move_setting(mg_req *r, bt_store_setting_kind kind,
                         const char *what, const char *right) {
    static const char *const allowed[] = {"name", "folder", NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *name, *folder;
    if (!body || !bt__mg_str(r, body, "name", true, &name) ||
        !bt__mg_str(r, body, "folder", true, &folder))
        return;
    bt_error err = {0};
    if (bt_store_setting_folder_check(folder, &err)) {
        bt__mg_error(r, 400, "invalid", "folder", "%s", err.message);
        return;
    }
    if (!bt__mg_admin(r, right) || !bt__mg_begin(r))
        return;
    char *old = NULL;
    int rc = current_folder(r->store, kind, name, &old, &err);
    if (!rc)
        rc = bt_store_setting_move(r->store, kind, name, folder, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        free(old);
        return;
    }
    char action[32];
    snprintf(action, sizeof action, "%s.move", what);
    json_t *before = json_pack("{s:s}", "folder", old);
    json_t *after = json_pack("{s:s}", "folder", folder);
    if (bt__mg_audit(r, action, name, before, after) && bt__mg_commit(r))
        bt__mg_reply(r, 200,
                     json_pack("{s:s, s:s, s:s}", "name", name, "folder",
                               folder, "from", old));
    json_decref(before);
    json_decref(after);
    free(old);
}

void bt__mg_variable_move(mg_req *r) {
    move_setting(r, BT_SETTING_VARIABLE, "variable",
                 "change global variables");
}

void bt__mg_counter_move(mg_req *r) {
    move_setting(r, BT_SETTING_COUNTER, "counter", "change global counters");
}

void bt__mg_schedule_move(mg_req *r) {
    move_setting(r, BT_SETTING_SCHEDULE, "schedule",
                 "change global schedules");
}
