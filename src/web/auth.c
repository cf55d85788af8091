/* Who is asking, and may they: the admission check every request passes
 * through (web.c calls bt_auth_admit before routing) and the folder-right
 * checks the handlers ask for.
 *
 * Basic credentials cost an argon2id verify (tens of milliseconds and
 * 64 MiB by design), far too much for every request of a script that
 * polls. So a verified credential is remembered for a short while (60 s by
 * default) in a small table keyed by a keyed BLAKE2b hash of user name,
 * password and the stored hash string: the table never holds a password,
 * its key is random per process (so the digests are useless elsewhere),
 * and since the stored hash is part of what is hashed, a changed password
 * stops matching at once, on every server, without any invalidation. What
 * the cache trades: a credential verified once stays accepted for the TTL
 * only while the stored hash is unchanged, and a user disabled meanwhile is
 * refused at once because the user row is read on every request anyway.
 * Failures are never cached (that would make guessing cheaper), and at most
 * BT_AUTH_VERIFY_MAX verifies run at once, so a burst of bad logins cannot
 * eat the memory of the host. */
#include "web/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/web_internal.h"

#define CACHE_SLOTS 256
#define BT_AUTH_VERIFY_MAX 4

typedef struct cache_slot {
    unsigned char digest[crypto_generichash_BYTES];
    int64_t user_id;
    uint64_t expires_us; /* monotonic; 0: free */
} cache_slot;

struct bt_auth {
    unsigned char key[crypto_generichash_KEYBYTES];
    uint64_t ttl_us;
    pthread_mutex_t lock;
    pthread_cond_t verify_free;
    unsigned verifying;
    cache_slot slots[CACHE_SLOTS];
    /* an unknown user costs a verify against this, like a known one */
    char dummy_hash[crypto_pwhash_STRBYTES];
};

bt_auth *bt_auth_new(unsigned cache_ms) {
    if (sodium_init() < 0) return NULL;
    bt_auth *a = bt_xcalloc(1, sizeof *a);
    crypto_generichash_keygen(a->key);
    a->ttl_us = (uint64_t)(cache_ms ? cache_ms : BT_AUTH_DEFAULT_CACHE_MS) *
                1000u;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->verify_free, NULL);
    char pw[64]; /* a whole token: snprintf never truncates */
    bt_auth_token_new(pw, sizeof pw);
    if (crypto_pwhash_str(a->dummy_hash, pw, strlen(pw),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE))
        a->dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof pw);
    return a;
}

void bt_auth_free(bt_auth *a) {
    if (!a) return;
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->verify_free);
    sodium_memzero(a, sizeof *a);
    free(a);
}

/* ---- small shared helpers -------------------------------------------- */

int bt_auth_hash_password(const char *password,
                          char out[crypto_pwhash_STRBYTES], bt_error *err) {
    if (sodium_init() < 0)
        return bt_error_set(err, BT_EINTERNAL, "libsodium did not start");
    if (crypto_pwhash_str(out, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE))
        return bt_error_set(err, BT_ENOMEM,
                            "cannot hash the password: out of memory");
    return 0;
}

void bt_auth_token_new(char *out, size_t size) {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, size, "%s%s", BT_AUTH_TOKEN_PREFIX, b64);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(b64, sizeof b64);
}

void bt_auth_token_hash(const char *secret, char out[BT_AUTH_TOKEN_HASH_LEN]) {
    /* Unkeyed: tokens are 256 random bits, so a plain hash cannot be
     * reversed, and every server (and restart) must compute the same. */
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)secret,
                       strlen(secret), NULL, 0);
    sodium_bin2hex(out, BT_AUTH_TOKEN_HASH_LEN, h, sizeof h);
}

bool bt_auth_valid_name(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (!n || n > BT_AUTH_NAME_MAX) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-' || *p == '@'))
            return false;
    return true;
}

static const char *const RIGHT_NAMES[] = {"view", "start", "stop", "author",
                                          "admin", NULL};

const char *const *bt_auth_right_names(void) { return RIGHT_NAMES; }

bool bt_auth_rights_parse(const char *name, unsigned *bit) {
    for (unsigned i = 0; RIGHT_NAMES[i]; i++)
        if (!strcmp(RIGHT_NAMES[i], name)) {
            *bit = 1u << i;
            return true;
        }
    return false;
}

/* ---- the cache -------------------------------------------------------- */

static void cache_digest(const bt_auth *a, const char *user,
                         const char *password, const char *stored,
                         unsigned char out[crypto_generichash_BYTES]) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, a->key, sizeof a->key, crypto_generichash_BYTES);
    crypto_generichash_update(&st, (const unsigned char *)user, strlen(user) + 1);
    crypto_generichash_update(&st, (const unsigned char *)password,
                              strlen(password) + 1);
    crypto_generichash_update(&st, (const unsigned char *)stored, strlen(stored));
    crypto_generichash_final(&st, out, crypto_generichash_BYTES);
    sodium_memzero(&st, sizeof st);
}

static bool cache_hit(bt_auth *a, const unsigned char *d, int64_t user_id) {
    uint64_t now = bt_mono_us();
    bool hit = false;
    pthread_mutex_lock(&a->lock);
    cache_slot *s = &a->slots[d[0]]; /* the digest is uniform: index by it */
    if (s->expires_us && s->expires_us > now && s->user_id == user_id &&
        sodium_memcmp(s->digest, d, sizeof s->digest) == 0)
        hit = true;
    else if (s->expires_us && s->expires_us <= now)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&a->lock);
    return hit;
}

static void cache_put(bt_auth *a, const unsigned char *d, int64_t user_id) {
    pthread_mutex_lock(&a->lock);
    cache_slot *s = &a->slots[d[0]];
    memcpy(s->digest, d, sizeof s->digest);
    s->user_id = user_id;
    s->expires_us = bt_mono_us() + a->ttl_us;
    pthread_mutex_unlock(&a->lock);
}

static bool verify(bt_auth *a, const char *stored, const char *password) {
    pthread_mutex_lock(&a->lock);
    while (a->verifying >= BT_AUTH_VERIFY_MAX)
        pthread_cond_wait(&a->verify_free, &a->lock);
    a->verifying++;
    pthread_mutex_unlock(&a->lock);
    bool ok = *stored && crypto_pwhash_str_verify(stored, password,
                                                  strlen(password)) == 0;
    pthread_mutex_lock(&a->lock);
    a->verifying--;
    pthread_cond_signal(&a->verify_free);
    pthread_mutex_unlock(&a->lock);
    return ok;
}

/* ---- admission -------------------------------------------------------- */

bool bt_auth_enabled(const bt_web_req *r) {
    return r->web->authenticate == bt_auth_admit;
}

const char *bt_auth_user_name(const bt_web_req *r) {
    return bt_auth_enabled(r) ? r->user : NULL;
}

static bool unauthorized(bt_web_req *r, const char *why) {
    bt_web_add_header(r, "WWW-Authenticate", "Basic realm=\"Baton\"");
    bt_web_error(r, 401, "unauthorized", NULL, "%s", why);
    return false;
}

#define BAD_LOGIN "invalid user name or password"

static void admitted(bt_web_req *r, const bt_store_user *u, const char *cred,
                     bool is_token) {
    free(r->user);
    r->user = bt_xstrdup(u->name);
    r->user_id = u->id;
    r->user_admin = u->is_admin; /* a disabled user is not admitted */
    free(r->cred);
    r->cred = bt_xstrdup(cred);
    r->cred_is_token = is_token;
}

static bool admit_basic(bt_web_req *r, bt_auth *a, bt_store *s,
                        const char *b64) {
    static const char bad_b64[] =
        "the Basic credentials are not base64 of user:password";
    size_t b64_len = strlen(b64);
    if (b64_len > 2 * (BT_AUTH_NAME_MAX + BT_AUTH_PASSWORD_MAX))
        return unauthorized(r, BAD_LOGIN);
    size_t cap = b64_len + 1, len = 0;
    char *plain = bt_xmalloc(cap);
    bool ok = false;
    if (sodium_base642bin((unsigned char *)plain, cap - 1, b64, b64_len,
                          " ", &len, NULL, sodium_base64_VARIANT_ORIGINAL) ||
        memchr(plain, '\0', len)) {
        free(plain);
        return unauthorized(r, bad_b64);
    }
    plain[len] = '\0';
    char *colon = strchr(plain, ':');
    if (!colon) {
        sodium_memzero(plain, cap);
        free(plain);
        return unauthorized(r, bad_b64);
    }
    *colon = '\0';
    const char *user = plain, *password = colon + 1;

    bt_store_user u = {0};
    bt_error err = {0};
    int rc = bt_auth_valid_name(user) ? bt_store_user_find(s, user, &u, &err)
                                      : -BT_ENOTFOUND;
    if (rc && rc != -BT_ENOTFOUND) {
        bt_web_error_from(r, rc, &err, NULL);
        goto done;
    }
    if (rc == -BT_ENOTFOUND || u.disabled || !u.password_hash ||
        !*u.password_hash) {
        /* the same work and the same answer as a wrong password */
        verify(a, a->dummy_hash, password);
        unauthorized(r, BAD_LOGIN);
        goto done;
    }
    unsigned char d[crypto_generichash_BYTES];
    cache_digest(a, user, password, u.password_hash, d);
    if (cache_hit(a, d, u.id) || verify(a, u.password_hash, password)) {
        cache_put(a, d, u.id);
        admitted(r, &u, u.password_hash, false);
        ok = true;
    } else {
        unauthorized(r, BAD_LOGIN);
    }
    sodium_memzero(d, sizeof d);
done:
    bt_store_user_clear(&u);
    sodium_memzero(plain, cap);
    free(plain);
    return ok;
}

static bool admit_bearer(bt_web_req *r, bt_store *s, const char *secret) {
    static const char bad[] = "the API token is unknown, revoked or expired";
    if (strncmp(secret, BT_AUTH_TOKEN_PREFIX, strlen(BT_AUTH_TOKEN_PREFIX)) ||
        strlen(secret) > 128)
        return unauthorized(r, bad);
    char hash[BT_AUTH_TOKEN_HASH_LEN];
    bt_auth_token_hash(secret, hash);
    bt_store_token t = {0};
    bt_store_user u = {0};
    bt_error err = {0};
    /* The lookup is by hash, so the secret itself is never compared with
     * anything: its comparison cannot leak through timing. */
    int rc = bt_store_token_lookup(s, hash, &t, &u, &err);
    bool ok = false;
    if (rc == -BT_ENOTFOUND)
        unauthorized(r, bad);
    else if (rc == -BT_ESTATE) /* expired: named for its holder */
        unauthorized(r, err.message);
    else if (rc)
        bt_web_error_from(r, rc, &err, NULL);
    else if ((t.expires_us && t.expires_us <= (int64_t)bt_store_now(s)) ||
             u.disabled)
        unauthorized(r, bad);
    else {
        admitted(r, &u, hash, true);
        ok = true;
    }
    bt_store_user_clear(&u);
    bt_store_token_clear(&t);
    return ok;
}

bool bt_auth_admit(bt_web_req *r, void *auth) {
    bt_auth *a = auth;
    if (!strcmp(r->path, "/api/health") || !strcmp(r->path, "/api/health/"))
        return true;
    const char *h = bt_web_header(r, "Authorization");
    if (!h || !*h)
        return unauthorized(r, "authentication required: send HTTP Basic "
                               "credentials or an API token (Authorization: "
                               "Bearer ...)");
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    while (*h == ' ') h++;
    if (!strncasecmp(h, "Basic ", 6)) {
        h += 6;
        while (*h == ' ') h++;
        return admit_basic(r, a, s, h);
    }
    if (!strncasecmp(h, "Bearer ", 7)) {
        h += 7;
        while (*h == ' ') h++;
        return admit_bearer(r, s, h);
    }
    return unauthorized(r, "unsupported Authorization scheme: use Basic or "
                           "Bearer");
}

/* ---- rights ----------------------------------------------------------- */

/* The scope of r's user as the store has it now; with `recheck`,
 * *revoked tells whether the credential that admitted r still would. */
static int scope_load(bt_web_req *r, bt_store *s, bt_auth_scope *sc,
                      bool recheck, bool *revoked, bt_error *err) {
    memset(sc, 0, sizeof *sc);
    *revoked = false;
    if (!bt_auth_enabled(r)) {
        sc->all = true;
        return 0;
    }
    if (!r->user) return 0; /* no rights at all */
    if (!recheck && r->user_id) { /* admission has just read the row */
        sc->user_id = r->user_id;
        sc->all = r->user_admin;
        return 0;
    }
    bt_store_user u = {0};
    int rc = bt_store_user_find(s, r->user, &u, err);
    if (!rc) {
        sc->user_id = u.id;
        sc->all = u.is_admin && !u.disabled;
        *revoked = recheck &&
                   (u.disabled || (r->cred && !r->cred_is_token &&
                                   (!u.password_hash ||
                                    strcmp(u.password_hash, r->cred))));
    } else if (rc == -BT_ENOTFOUND) {
        *revoked = recheck;
        rc = 0;
    }
    bt_store_user_clear(&u);
    if (!rc && recheck && !*revoked && r->cred && r->cred_is_token) {
        int trc = bt_store_token_lookup(s, r->cred, NULL, NULL, err);
        if (trc == -BT_ENOTFOUND || trc == -BT_ESTATE) *revoked = true;
        else rc = trc;
    }
    return rc;
}

bool bt_auth_scope_open(bt_web_req *r, bt_auth_scope *sc) {
    bool revoked;
    if (!bt_auth_enabled(r) || !r->user)
        return !scope_load(r, NULL, sc, false, &revoked, NULL);
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_error err = {0};
    /* the credential was checked moments ago by the admission hook */
    int rc = scope_load(r, s, sc, false, &revoked, &err);
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return false;
    }
    return true;
}

int bt_auth_scope_recheck(bt_web_req *r, bt_auth_scope *sc, bt_error *err) {
    bool revoked = false;
    int rc = scope_load(r, r->store, sc, true, &revoked, err);
    if (!rc && revoked)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "the credentials of this stream are no longer "
                          "valid (token revoked or expired, password "
                          "changed, or user disabled or deleted)");
    return rc;
}

bool bt_auth_scope_can(bt_web_req *r, bt_auth_scope *sc, int64_t folder_id,
                       unsigned rights) {
    if (sc->all) return true;
    if (!sc->user_id) return false;
    for (size_t i = 0; i < sc->n; i++)
        if (sc->folders[i] == folder_id)
            return (sc->rights[i] & rights) == rights;
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    unsigned have = 0;
    if (bt_store_rights(s, sc->user_id, folder_id, &have, NULL)) return false;
    if (sc->n < BT_ARRAY_LEN(sc->folders)) {
        sc->folders[sc->n] = folder_id;
        sc->rights[sc->n++] = have;
    }
    return (have & rights) == rights;
}

bool bt_auth_can(bt_web_req *r, int64_t folder_id, unsigned rights) {
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) return false;
    return bt_auth_scope_can(r, &sc, folder_id, rights);
}

bool bt_auth_is_admin(bt_web_req *r) {
    bt_auth_scope sc;
    return bt_auth_scope_open(r, &sc) && sc.all;
}

int64_t bt_auth_user_id(bt_web_req *r) {
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) return 0;
    return sc.user_id;
}

bool bt_auth_require_admin(bt_web_req *r) {
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) return false;
    if (sc.all) return true;
    bt_web_error(r, 403, "forbidden", NULL,
                 "only an administrator may do this");
    return false;
}

/* ---- helpers for the management handlers ------------------------------ */

json_t *bt_auth_body(bt_web_req *r, const char *const *fields) {
    json_error_t jerr;
    json_t *doc = r->body.len ? json_loadb(r->body.data, r->body.len,
                                           JSON_REJECT_DUPLICATES, &jerr)
                              : json_object();
    if (!doc) {
        bt_web_error(r, 400, "invalid_json", "body",
                     "request body is not valid JSON: %s (line %d, column %d)",
                     jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        bt_web_error(r, 400, "invalid_json", "body",
                     "request body must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        size_t i = 0;
        while (fields[i] && strcmp(fields[i], key)) i++;
        if (!fields[i]) {
            bt_web_error(r, 400, "unknown_field", key, "unknown field '%s'",
                         key);
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

void bt_auth_audit(bt_web_req *r, const char *action, const char *object,
                   json_t *before, json_t *after) {
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    bt_store *s = bt_web_store(r);
    /* the change is made: an audit row that cannot be written is a 500
     * only in the log, not a lie to the client about the change */
    if (s)
        bt_store_audit_add(s, r->user ? r->user : "-", action, object, b, a,
                           NULL);
    free(b);
    free(a);
    json_decref(before);
    json_decref(after);
}

bool bt_auth_scope_runbook(bt_web_req *r, bt_auth_scope *sc,
                           int64_t runbook_id, unsigned rights) {
    if (sc->all) return true;
    if (!sc->user_id) return false;
    for (size_t i = 0; i < sc->n_runbooks; i++)
        if (sc->runbooks[i] == runbook_id)
            return bt_auth_scope_can(r, sc, sc->runbook_folders[i], rights);
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_store_runbook rb = {0};
    int rc = bt_store_runbook_get(s, runbook_id, &rb, NULL);
    int64_t folder = rb.folder_id;
    bt_store_runbook_clear(&rb);
    if (rc) return false;
    if (sc->n_runbooks < BT_ARRAY_LEN(sc->runbooks)) {
        sc->runbooks[sc->n_runbooks] = runbook_id;
        sc->runbook_folders[sc->n_runbooks++] = folder;
    }
    return bt_auth_scope_can(r, sc, folder, rights);
}

bool bt_auth_job_check(bt_web_req *r, int64_t job_id, unsigned rights) {
    bt_auth_scope sc;
    if (!bt_auth_scope_open(r, &sc)) return false;
    if (sc.all) return true;
    bt_store *s = bt_web_store(r);
    if (!s) return false;
    bt_store_job job = {0};
    bt_error err = {0};
    int rc = bt_store_job_get(s, job_id, &job, &err);
    int64_t runbook_id = job.runbook_id;
    bt_store_job_clear(&job);
    if (rc == -BT_ENOTFOUND) return true;
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return false;
    }
    if (!bt_auth_scope_runbook(r, &sc, runbook_id, BT_RIGHT_VIEW)) {
        if (!r->status)
            bt_web_error(r, 404, "not_found", "id", "no job with id %lld",
                         (long long)job_id);
        return false;
    }
    if (rights & ~BT_RIGHT_VIEW &&
        !bt_auth_scope_runbook(r, &sc, runbook_id, rights)) {
        if (!r->status)
            bt_web_error(r, 403, "forbidden", "id",
                         "you may not %s job %lld (the '%s' right on its "
                         "runbook's folder is needed)",
                         rights & BT_RIGHT_STOP ? "stop" : "start",
                         (long long)job_id,
                         rights & BT_RIGHT_STOP ? "stop" : "start");
        return false;
    }
    return true;
}
