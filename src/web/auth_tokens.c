/* API tokens: POST /api/tokens makes one for the caller and shows its
 * secret once; the store keeps only the secret's hash. GET lists the
 * caller's tokens (an administrator may ask for ?all=true), DELETE revokes
 * one of the caller's (any, for an administrator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define TOKEN_DAYS_MAX 3650
#define TOKEN_NAME_MAX 128

static json_t *token_json(const bt_store_token *t) {
    return json_pack("{s:I, s:s?, s:s?, s:o, s:o, s:o}", "id", (json_int_t)t->id,
                     "name", t->name, "user", t->user_name, "created",
                     bt_web_time(t->created_us), "expires",
                     bt_web_time(t->expires_us), "last_used",
                     bt_web_time(t->last_used_us));
}

/* Tokens belong to users: with authentication off there is nobody. */
static int64_t caller(bt_web_req *r) {
    if (!bt_auth_enabled(r)) {
        bt_web_error(r, 409, "conflict", NULL,
                     "API tokens need authentication, which is off on this "
                     "server (batond --auth on)");
        return 0;
    }
    int64_t id = bt_auth_user_id(r);
    if (!id && !r->status)
        bt_web_error(r, 401, "unauthorized", NULL, "unknown user");
    return id;
}

void bt_web_tokens_create(bt_web_req *r) {
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"name", "expires_days", NULL};
    if (!bt_web_query_only(r, none)) return;
    int64_t uid = caller(r);
    if (!uid) return;
    json_t *doc = bt_auth_body(r, fields);
    if (!doc) return;
    json_t *jn = json_object_get(doc, "name");
    json_t *jd = json_object_get(doc, "expires_days");
    const char *name = jn ? json_string_value(jn) : "token";
    if (!name || !*name || strlen(name) > TOKEN_NAME_MAX) {
        bt_web_error(r, 400, "invalid_parameter", "name",
                     "name must be a text of 1 to %d bytes", TOKEN_NAME_MAX);
        goto done;
    }
    int64_t days = 0;
    if (jd && !json_is_null(jd)) {
        if (!json_is_integer(jd) || json_integer_value(jd) < 1 ||
            json_integer_value(jd) > TOKEN_DAYS_MAX) {
            bt_web_error(r, 400, "invalid_parameter", "expires_days",
                         "expires_days must be a whole number of days from 1 "
                         "to %d (leave it out for a token that never "
                         "expires)", TOKEN_DAYS_MAX);
            goto done;
        }
        days = json_integer_value(jd);
    }
    bt_store *s = bt_web_store(r);
    if (!s) goto done;
    char secret[80], hash[BT_AUTH_TOKEN_HASH_LEN];
    bt_auth_token_new(secret, sizeof secret);
    bt_auth_token_hash(secret, hash);
    int64_t expires = days ? (int64_t)bt_store_now(s) + days * 86400LL * 1000000LL
                           : 0;
    int64_t id = 0;
    bt_error err = {0};
    int rc = bt_store_token_create(s, uid, name, hash, expires, &id, &err);
    if (rc) {
        sodium_memzero(secret, sizeof secret);
        bt_web_error_from(r, rc, &err, NULL);
        goto done;
    }
    char object[64];
    snprintf(object, sizeof object, "token %lld", (long long)id);
    bt_auth_audit(r, "token.create", object, NULL,
                  json_pack("{s:s, s:s, s:o}", "user", r->user, "name", name,
                            "expires", bt_web_time(expires)));
    r->location = bt_xasprintf("/api/tokens/%lld", (long long)id);
    bt_web_reply(r, 201,
                 json_pack("{s:I, s:s, s:s, s:s, s:o, s:s}", "id",
                           (json_int_t)id, "name", name, "user", r->user,
                           "token", secret, "expires", bt_web_time(expires),
                           "note",
                           "the token is shown only now: keep it secret"));
    sodium_memzero(secret, sizeof secret);
done:
    json_decref(doc);
}

void bt_web_tokens_list(bt_web_req *r) {
    static const char *const allowed[] = {"all", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    int64_t uid = caller(r);
    if (!uid) return;
    const char *all = bt_web_query(r, "all");
    bool every = all && (!strcmp(all, "true") || !strcmp(all, "1"));
    if (every && !bt_auth_require_admin(r)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_token *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_token_list(s, every ? 0 : uid, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, token_json(&items[i]));
    bt_store_token_list_free(items, n);
    bt_web_reply(r, 200, json_pack("{s:o}", "items", a));
}

void bt_web_tokens_delete(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    int64_t uid = caller(r);
    if (!uid) return;
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return;
    bool admin = bt_auth_is_admin(r);
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_token *items = NULL;
    size_t n = 0;
    bt_error err = {0};
    int rc = bt_store_token_list(s, admin ? 0 : uid, &items, &n, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    const bt_store_token *t = NULL;
    for (size_t i = 0; i < n && !t; i++)
        if (items[i].id == id) t = &items[i];
    /* someone else's token answers like a missing one */
    if (!t) {
        bt_web_error(r, 404, "not_found", "id", "no token with id %lld",
                     (long long)id);
    } else if ((rc = bt_store_token_delete(s, id, &err))) {
        bt_web_error_from(r, rc, &err, "id");
    } else {
        char object[64];
        snprintf(object, sizeof object, "token %lld", (long long)id);
        bt_auth_audit(r, "token.revoke", object,
                      json_pack("{s:s?, s:s?}", "user", t->user_name, "name",
                                t->name),
                      NULL);
        bt_web_reply(r, 200, json_pack("{s:I}", "revoked", (json_int_t)id));
    }
    bt_store_token_list_free(items, n);
}
