/* Rendered GET /api/runbooks answers. The list is what the console and
 * scripts ask for most, and its answer changes only with the catalog. It
 * is kept keyed by a digest of everything it is made of: the rows of the
 * runbooks the caller may view, in order (a version's parameters never
 * change, so id and latest version stand for them). The rows and the
 * caller's rights are still read on every request, since a check-in, a
 * rename or a grant may come from another process (the management server)
 * at any time; what a hit saves is building and writing the JSON. Callers
 * with the same view share an entry. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/web_internal.h"

#define SLOTS 8
#define DIGEST 16

typedef struct slot {
    unsigned char digest[DIGEST];
    char *text;
    size_t len;
    uint64_t used;
} slot;

struct bt_web_listing {
    pthread_mutex_t lock;
    slot s[SLOTS];
    uint64_t tick;
};

bt_web_listing *bt_web_listing_new(void) {
    bt_web_listing *l = bt_xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

void bt_web_listing_free(bt_web_listing *l) {
    if (!l) return;
    for (size_t i = 0; i < SLOTS; i++) free(l->s[i].text);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static void put(crypto_generichash_state *st, const void *p, size_t n) {
    crypto_generichash_update(st, p, n);
}

/* Strings with their length (and NULL apart from ""), so that no two
 * different row sets feed the same bytes. */
static void put_str(crypto_generichash_state *st, const char *s) {
    uint64_t n = s ? strlen(s) + 1 : 0;
    put(st, &n, sizeof n);
    if (s) put(st, s, n);
}

static void put_i64(crypto_generichash_state *st, int64_t v) {
    put(st, &v, sizeof v);
}

void bt_web_listing_digest(const bt_store_runbook *const *rbs, size_t n,
                           unsigned char out[16]) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DIGEST);
    put_i64(&st, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        const bt_store_runbook *rb = rbs[i];
        put_i64(&st, rb->id);
        put_str(&st, rb->guid);
        put_i64(&st, rb->folder_id);
        put_str(&st, rb->name);
        put_str(&st, rb->description);
        put_str(&st, rb->path);
        put_i64(&st, rb->latest_version);
        put_i64(&st, rb->max_concurrent);
        put_i64(&st, (int64_t)rb->n_preferred);
        for (size_t k = 0; k < rb->n_preferred; k++)
            put_str(&st, rb->preferred_servers[k]);
        put_i64(&st, rb->created_us);
        put_str(&st, rb->checked_out_by);
        put_i64(&st, rb->checked_out_us);
        put_i64(&st, rb->deleted_us);
    }
    crypto_generichash_final(&st, out, DIGEST);
}

char *bt_web_listing_get(bt_web_listing *l, const unsigned char digest[16],
                         size_t *len) {
    char *copy = NULL;
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < SLOTS; i++) {
        slot *s = &l->s[i];
        if (s->text && !memcmp(s->digest, digest, DIGEST)) {
            s->used = ++l->tick;
            copy = bt_xmalloc(s->len + 1);
            memcpy(copy, s->text, s->len + 1);
            *len = s->len;
            break;
        }
    }
    pthread_mutex_unlock(&l->lock);
    return copy;
}

void bt_web_listing_put(bt_web_listing *l, const unsigned char digest[16],
                        const char *text, size_t len) {
    char *copy = bt_xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&l->lock);
    slot *old = &l->s[0];
    for (size_t i = 0; i < SLOTS; i++) {
        if (l->s[i].text && !memcmp(l->s[i].digest, digest, DIGEST)) {
            old = &l->s[i]; /* another thread rendered it too */
            break;
        }
        if (l->s[i].used < old->used) old = &l->s[i];
    }
    free(old->text);
    memcpy(old->digest, digest, DIGEST);
    old->text = copy;
    old->len = len;
    old->used = ++l->tick;
    pthread_mutex_unlock(&l->lock);
}
