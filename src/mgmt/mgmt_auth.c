/* Admission for the management server with Baton's users and API tokens,
 * checked the same way as the web service does (src/web/auth.c): HTTP
 * Basic against the user's argon2id hash, or "Bearer baton_..." whose
 * unkeyed BLAKE2b-256 (hex) the store keeps. Disabled users and unknown
 * tokens get the same answer as a wrong password; an expired token is
 * named with its expiry (its holder needs a new one). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/mgmt.h"

#define NAME_MAX_LEN 128
#define PASSWORD_MAX_LEN 1024
#define TOKEN_PREFIX "baton_"
#define BAD_LOGIN "invalid user name or password"

static int give(const char *name, char *user, size_t size, bt_error *err) {
    if (strlen(name) >= size)
        return bt_error_set(err, BT_EINVAL, "user name '%s' is too long", name);
    strcpy(user, name);
    return 0;
}

static int basic(bt_store *s, const char *b64, char *user, size_t size,
                 bt_error *err) {
    size_t b64_len = strlen(b64);
    if (b64_len > 2 * (NAME_MAX_LEN + PASSWORD_MAX_LEN))
        return bt_error_set(err, BT_EINVAL, BAD_LOGIN);
    char *plain = bt_xmalloc(b64_len + 1);
    size_t len = 0;
    int rc = -BT_EINVAL;
    if (sodium_base642bin((unsigned char *)plain, b64_len, b64, b64_len, " ",
                          &len, NULL, sodium_base64_VARIANT_ORIGINAL) ||
        memchr(plain, '\0', len) || !memchr(plain, ':', len)) {
        bt_error_set(err, BT_EINVAL,
                     "the Basic credentials are not base64 of user:password");
        goto out;
    }
    plain[len] = '\0';
    char *colon = strchr(plain, ':');
    *colon = '\0';
    bt_store_user u = {0};
    rc = bt_store_user_find(s, plain, &u, err);
    if (rc == -BT_ENOTFOUND ||
        (!rc && (u.disabled || !u.password_hash || !*u.password_hash ||
                 crypto_pwhash_str_verify(u.password_hash, colon + 1,
                                          strlen(colon + 1)) != 0)))
        rc = bt_error_set(err, BT_EINVAL, BAD_LOGIN);
    else if (!rc)
        rc = give(u.name, user, size, err);
    bt_store_user_clear(&u);
out:
    sodium_memzero(plain, b64_len + 1);
    free(plain);
    return rc;
}

static int bearer(bt_store *s, const char *secret, char *user, size_t size,
                  bt_error *err) {
    static const char bad[] = "the API token is unknown, revoked or expired";
    if (strncmp(secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) ||
        strlen(secret) > 128)
        return bt_error_set(err, BT_EINVAL, bad);
    unsigned char h[32];
    char hash[65];
    crypto_generichash(h, sizeof h, (const unsigned char *)secret,
                       strlen(secret), NULL, 0);
    sodium_bin2hex(hash, sizeof hash, h, sizeof h);
    bt_store_token t = {0};
    bt_store_user u = {0};
    int rc = bt_store_token_lookup(s, hash, &t, &u, err);
    if (rc == -BT_ESTATE) /* expired: the message names it for its holder */
        rc = -BT_EINVAL;
    else if (rc == -BT_ENOTFOUND ||
             (!rc &&
              ((t.expires_us && t.expires_us <= (int64_t)bt_store_now(s)) ||
               u.disabled)))
        rc = bt_error_set(err, BT_EINVAL, bad);
    else if (!rc)
        rc = give(u.name, user, size, err);
    bt_store_token_clear(&t);
    bt_store_user_clear(&u);
    return rc;
}

int bt_mgmt_authenticate(void *ud, bt_store *s, const char *authorization,
                         char *user, size_t user_size, bt_error *err) {
    (void)ud;
    if (!authorization || !*authorization)
        return bt_error_set(err, BT_EINVAL,
                            "log in: the management server needs a user "
                            "(baton --user NAME, BATON_USER and "
                            "BATON_PASSWORD) or an API token (BATON_TOKEN)");
    if (!strncasecmp(authorization, "Basic ", 6))
        return basic(s, authorization + 6, user, user_size, err);
    if (!strncasecmp(authorization, "Bearer ", 7))
        return bearer(s, authorization + 7, user, user_size, err);
    return bt_error_set(err, BT_EINVAL,
                        "the Authorization header must be Basic or Bearer");
}
