/* Integration pack deployment on the management server:
 *   GET    /api/packs          registered packs, with every runbook
 *                              server's status of each (loaded, or why not)
 *   GET    /api/packs/{name}   one of them
 *   POST   /api/packs          {archive: base64 tar, upgrade: bool}
 *   DELETE /api/packs/{name}
 * Changing packs is for administrators: a C pack is code every batond
 * process will load. The archive is checked here (a manifest, a known ABI,
 * the library present) so that a mistake is answered to whoever uploads
 * it rather than found later by each runbook server. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mgmt/mgmt_packs.h"
#include "packs/archive.h"
#include "packs/sync.h"
#include "store/packs.h"

static json_t *names_json(const char *csv) {
    json_t *arr = json_array();
    char *copy = bt_xstrdup(csv ? csv : ""), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_string(t));
    free(copy);
    return arr;
}

static json_t *pack_json(const bt_store_pack *p, const bt_store_pack_status *st,
                         size_t n_st) {
    json_t *servers = json_array();
    for (size_t i = 0; i < n_st; i++) {
        if (strcmp(st[i].pack, p->name))
            continue;
        json_array_append_new(
            servers,
            json_pack("{s:s, s:s, s:b, s:b, s:s, s:o}", "server", st[i].server,
                      "version", st[i].version, "loaded", st[i].loaded,
                      "current", !strcmp(st[i].checksum, p->checksum),
                      "message", st[i].message, "updated_at",
                      bt__mg_time(st[i].updated_us)));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:o, s:o}", "name",
                     p->name, "version", p->version, "checksum", p->checksum,
                     "kind", p->kind, "activities", names_json(p->activities),
                     "size", (json_int_t)p->size, "registered_by",
                     p->registered_by, "registered_at",
                     bt__mg_time(p->registered_us), "servers", servers);
}

/* Loads what changed into this process too, so that a runbook using the
 * pack can be checked in right away. */
static void sync_here(mg_req *r) {
    bt_error err = {0};
    bt_packs_sync(r->store, 0, NULL, &err);
}

void bt__mg_packs_list(mg_req *r) {
    static const char *const none[] = {NULL};
    if (!bt__mg_query_only(r, none))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_pack *items = NULL;
    size_t n = 0, n_st = 0;
    bt_store_pack_status *st = NULL;
    bt_error err = {0};
    int rc = bt_store_pack_list(s, &items, &n, &err);
    if (!rc)
        rc = bt_store_pack_status_list(s, NULL, &st, &n_st, &err);
    if (rc) {
        bt_store_pack_list_free(items, n);
        bt__mg_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, pack_json(&items[i], st, n_st));
    bt_store_pack_list_free(items, n);
    bt_store_pack_status_list_free(st, n_st);
    bt__mg_reply(r, 200, json_pack("{s:o}", "items", arr));
}

void bt__mg_pack_get(mg_req *r) {
    static const char *const none[] = {NULL};
    if (!bt__mg_query_only(r, none))
        return;
    bt_store *s = bt__mg_store(r);
    if (!s)
        return;
    bt_store_pack p;
    bt_store_pack_status *st = NULL;
    size_t n_st = 0;
    bt_error err = {0};
    int rc = bt_store_pack_get(s, r->capture, &p, NULL, NULL, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    rc = bt_store_pack_status_list(s, p.name, &st, &n_st, &err);
    if (rc)
        bt__mg_error_from(r, rc, &err, NULL);
    else
        bt__mg_reply(r, 200, pack_json(&p, st, n_st));
    bt_store_pack_status_list_free(st, n_st);
    bt_store_pack_clear(&p);
}

void bt__mg_pack_register(mg_req *r) {
    static const char *const allowed[] = {"archive", "upgrade", NULL};
    json_t *body = bt__mg_body(r, allowed);
    const char *b64;
    if (!body || !bt__mg_str(r, body, "archive", true, &b64) ||
        !bt__mg_admin(r, "register integration packs"))
        return;
    json_t *up = json_object_get(body, "upgrade");
    if (up && !json_is_boolean(up)) {
        bt__mg_error(r, 400, "invalid", "upgrade",
                     "upgrade must be true or false");
        return;
    }
    size_t blen = strlen(b64), len = 0;
    unsigned char *data = bt_xmalloc(blen + 1);
    if (sodium_base642bin(data, blen + 1, b64, blen, "\n\r ", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(data);
        bt__mg_error(r, 400, "invalid", "archive",
                     "archive must be the pack's tar file in base64");
        return;
    }
    bt_pack_summary sum;
    bt_error err = {0};
    int rc = bt_pack_archive_inspect(data, len, &sum, &err);
    if (rc) {
        free(data);
        bt__mg_error(r, 400, "invalid_pack", "archive", "%s", err.message);
        return;
    }
    bt_store_pack meta = {.name = sum.name,
                          .version = sum.version,
                          .checksum = sum.checksum,
                          .kind = sum.kind,
                          .activities = sum.activities,
                          .registered_by = (char *)(r->user ? r->user : "")};
    bool upgrade = json_is_true(up);
    bt_store_pack old = {0};
    if (bt__mg_begin(r)) {
        if (upgrade)
            bt_store_pack_get(r->store, sum.name, &old, NULL, NULL, &err);
        rc = bt_store_pack_put(
            r->store, &meta, data, len,
            upgrade ? BT_STORE_PACK_UPGRADE : BT_STORE_PACK_REGISTER, &err);
        if (rc) {
            bt__mg_error_from(r, rc, &err, "archive");
        } else {
            json_t *before =
                old.name ? json_pack("{s:s, s:s}", "version", old.version,
                                     "checksum", old.checksum)
                         : NULL;
            json_t *after = json_pack("{s:s, s:s}", "version", sum.version,
                                      "checksum", sum.checksum);
            if (bt__mg_audit(r, upgrade ? "pack.upgrade" : "pack.register",
                             sum.name, before, after) &&
                bt__mg_commit(r)) {
                sync_here(r);
                bt_store_pack stored;
                if (!bt_store_pack_get(r->store, sum.name, &stored, NULL, NULL,
                                       &err)) {
                    bt__mg_reply(r, upgrade ? 200 : 201,
                                 pack_json(&stored, NULL, 0));
                    bt_store_pack_clear(&stored);
                } else {
                    bt__mg_error_from(r, -BT_EINTERNAL, &err, NULL);
                }
            }
            json_decref(before);
            json_decref(after);
        }
    }
    bt_store_pack_clear(&old);
    bt_pack_summary_free(&sum);
    free(data);
}

void bt__mg_pack_delete(mg_req *r) {
    if (!bt__mg_admin(r, "remove integration packs") || !bt__mg_begin(r))
        return;
    bt_store_pack old;
    bt_error err = {0};
    int rc = bt_store_pack_get(r->store, r->capture, &old, NULL, NULL, &err);
    if (!rc)
        rc = bt_store_pack_delete(r->store, r->capture, &err);
    if (rc) {
        bt__mg_error_from(r, rc, &err, "name");
        return;
    }
    json_t *before = json_pack("{s:s, s:s}", "version", old.version, "checksum",
                               old.checksum);
    if (bt__mg_audit(r, "pack.remove", r->capture, before, NULL) &&
        bt__mg_commit(r)) {
        sync_here(r);
        bt__mg_reply(r, 200,
                     json_pack("{s:s, s:b}", "name", r->capture, "removed", 1));
    }
    json_decref(before);
    bt_store_pack_clear(&old);
}

json_t *bt__mg_server_packs(mg_req *r, int64_t server_id) {
    bt_store_pack_status *st = NULL;
    size_t n = 0;
    bt_error err = {0};
    json_t *arr = json_array();
    if (bt_store_pack_status_list(r->store, NULL, &st, &n, &err))
        return arr; /* the server's other fields are still worth showing */
    for (size_t i = 0; i < n; i++)
        if (st[i].server_id == server_id)
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:b, s:s}", "pack", st[i].pack,
                               "version", st[i].version, "loaded", st[i].loaded,
                               "message", st[i].message));
    bt_store_pack_status_list_free(st, n);
    return arr;
}
