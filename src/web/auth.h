/* Authentication and authorization of web requests (internal to src/web
 * and batond's first-admin set-up). Who is asking: HTTP Basic against
 * Baton's users (argon2id hashes, libsodium) or a bearer API token; what
 * they may do: folder rights from the store (view, start, stop, author,
 * admin), inherited down the folder tree. See docs/security.md. */
#ifndef BT_WEB_AUTH_H
#define BT_WEB_AUTH_H

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "baton/error.h"

struct bt_web_req;


#define BT_AUTH_DEFAULT_CACHE_MS 60000u
#define BT_AUTH_NAME_MAX 128
#define BT_AUTH_PASSWORD_MAX 1024
/* "baton_" + 43 base64url characters (32 random bytes). */
#define BT_AUTH_TOKEN_PREFIX "baton_"
#define BT_AUTH_TOKEN_HASH_LEN 65 /* hex BLAKE2b-256 + NUL */

typedef struct bt_auth bt_auth;

/* What the caller may do, asked once per handler: a list handler opens
 * one scope and asks it for each row, so each folder costs one query. */
typedef struct bt_auth_scope {
    bool all; /* authentication off, or an administrator */
    int64_t user_id;
    int64_t folders[64];
    unsigned rights[64];
    size_t n;
    int64_t runbooks[64], runbook_folders[64]; /* runbook -> folder */
    size_t n_runbooks;
} bt_auth_scope;

/* cache_ms: how long a verified Basic credential is remembered (0: the
 * default, 60 s). */
bt_auth *bt_auth_new(unsigned cache_ms);
void bt_auth_free(bt_auth *a); /* NULL is a no-op */

/* The web service's admission hook (bt_web_config.authenticate, with the
 * bt_auth as auth_ud): /api/health passes, anything else needs valid
 * credentials, else it answers 401 (or 500) and returns false. On success
 * r->user is the user's name. */
bool bt_auth_admit(struct bt_web_req *r, void *auth);

/* Whether authentication is on for this request's service. */
bool bt_auth_enabled(const struct bt_web_req *r);
/* The caller's user name (authenticated), or NULL with auth off. */
const char *bt_auth_user_name(const struct bt_web_req *r);
/* Opens the caller's scope; false when it answered 500. */
bool bt_auth_scope_open(struct bt_web_req *r, bt_auth_scope *sc);
/* For a long answer (an event stream) on r's store handle, without
 * answering: reloads sc as the store has it now, and fails with
 * -BT_ENOTFOUND and a message for the client when the credential that
 * admitted r would no longer be accepted (token revoked or expired,
 * password changed, user disabled or deleted). */
int bt_auth_scope_recheck(struct bt_web_req *r, bt_auth_scope *sc,
                          bt_error *err);
/* Whether the caller holds every bit of `rights` (BT_RIGHT_*) on
 * folder_id (inherited rights count; admins hold all). Always true with
 * authentication off; false when the store cannot say. */
bool bt_auth_scope_can(struct bt_web_req *r, bt_auth_scope *sc,
                       int64_t folder_id, unsigned rights);
/* The same for a job of runbook_id (its runbook's folder); a runbook that
 * is gone is visible to administrators only. */
bool bt_auth_scope_runbook(struct bt_web_req *r, bt_auth_scope *sc,
                           int64_t runbook_id, unsigned rights);
/* GET/cancel of one job: true when the caller may view it and holds
 * `rights` too. Otherwise answers 404 "no job with id N" exactly as for a
 * missing job (when they may not view it), 403 (when they may view but not
 * do it) or 500, and returns false. A job that does not exist passes (the
 * handler answers its own 404). */
bool bt_auth_job_check(struct bt_web_req *r, int64_t job_id, unsigned rights);
/* The same for a single check. */
bool bt_auth_can(struct bt_web_req *r, int64_t folder_id, unsigned rights);
/* Admin-only endpoints: true, or answers 403 and returns false. */
bool bt_auth_require_admin(struct bt_web_req *r);
bool bt_auth_is_admin(struct bt_web_req *r);
/* The caller's user id (0 with authentication off or unknown). */
int64_t bt_auth_user_id(struct bt_web_req *r);

/* An argon2id hash string (crypto_pwhash_str, interactive limits). */
int bt_auth_hash_password(const char *password, char out[crypto_pwhash_STRBYTES],
                          bt_error *err);
/* A new random token secret "baton_..." (out: at least 64 bytes). */
void bt_auth_token_new(char *out, size_t size);
/* The hex BLAKE2b-256 of a token secret: what the store keeps. */
void bt_auth_token_hash(const char *secret, char out[BT_AUTH_TOKEN_HASH_LEN]);
/* Names of users and groups: 1-128 of [A-Za-z0-9._@-]. */
bool bt_auth_valid_name(const char *name);
/* rights bitmask <-> ["view", "start", ...]; unknown name: false. */
bool bt_auth_rights_parse(const char *name, unsigned *bit);
const char *const *bt_auth_right_names(void); /* NULL-terminated, bit order */

/* Parses the request body as a JSON object whose keys are all in fields
 * (NULL-terminated); an empty body is {}. Answers 400 and returns NULL. */
json_t *bt_auth_body(struct bt_web_req *r, const char *const *fields);
/* Writes an audit entry by the caller (takes the JSON references; never
 * pass secrets). */
void bt_auth_audit(struct bt_web_req *r, const char *action,
                   const char *object, json_t *before, json_t *after);

/* Handlers (auth_tokens.c, auth_users.c). */
void bt_web_tokens_create(struct bt_web_req *r);
void bt_web_tokens_list(struct bt_web_req *r);
void bt_web_tokens_delete(struct bt_web_req *r);
void bt_web_users_me(struct bt_web_req *r);
void bt_web_users_list(struct bt_web_req *r);
void bt_web_users_create(struct bt_web_req *r);
void bt_web_users_password(struct bt_web_req *r);
void bt_web_users_disable(struct bt_web_req *r);
void bt_web_users_enable(struct bt_web_req *r);
void bt_web_users_delete(struct bt_web_req *r);
void bt_web_groups_list(struct bt_web_req *r);
void bt_web_groups_create(struct bt_web_req *r);
void bt_web_groups_add_member(struct bt_web_req *r);
void bt_web_groups_remove_member(struct bt_web_req *r);
void bt_web_groups_delete(struct bt_web_req *r);
void bt_web_perms_list(struct bt_web_req *r);
void bt_web_perms_grant(struct bt_web_req *r);
void bt_web_perms_revoke(struct bt_web_req *r);

#endif
