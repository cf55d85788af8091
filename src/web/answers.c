/* Rendered answers kept between requests: GET /api/runbooks per caller,
 * a finished job's detail, and pages of the OData Jobs feed. An answer is
 * kept with the store's change counters (bt_store_changes) read before the
 * data it was made of, and is given out again only while the counters it
 * depends on still read the same. Triggers bump them in the writing
 * transaction, whichever process writes (the management server, a runbook
 * server on another host), so a request pays one counter read instead of
 * reading and rendering the data, and never gets an answer older than the
 * last committed write. Anything a key does not name (the caller, the
 * URL, the media type) must not change the answer.
 *
 * The table is set-associative: a key's hash picks a set of WAYS entries,
 * and a full set drops its least recently used one. Atom answers carry
 * the time of the answer in their <updated> elements; those are written
 * again for each millisecond, so a kept feed reads as if rendered now.
 * Texts are shared, not copied: a hit takes a reference that the response
 * gives back once sent (a feed page is 100 KB).
 *
 * A kept answer carries an ETag made of its key and the counters it was
 * kept at, so a client that sends it back in If-None-Match while they
 * still hold gets 304 without a body. The tag is weak: an Atom page's
 * <updated> times differ between two answers of the same data. */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/version.h"
#include "web/web_internal.h"

#define SETS 256
#define WAYS 4
/* all kept text together; a put that would pass it is not kept */
#define BYTES_MAX ((size_t)64 << 20)
#define STAMP "<updated>"
#define STAMP_LEN 24 /* bt_format_time_us: 2026-12-04T16:24:28.123Z */

/* One rendered text, shared by the answers that send it. */
struct bt_web_kept {
    atomic_uint refs;
    uint64_t ms; /* the millisecond its <updated> times say; 0: as kept */
    size_t len;
    char text[];
};

typedef struct entry {
    char *key; /* NULL: free */
    uint64_t hash;
    unsigned uses;
    bt_store_changes at;
    bt_web_kept *base; /* as rendered */
    bt_web_kept *now;  /* base with this millisecond's times (Atom) */
    size_t *stamps;    /* offsets of <updated> times to write again */
    size_t n_stamps;
    char etag[40];
    uint64_t used;
} entry;

struct bt_web_answers {
    pthread_mutex_t lock;
    entry e[SETS][WAYS];
    size_t bytes;
    uint64_t tick;
    /* whether the store counts jobs (-1: not known yet): where it does not
     * (PostgreSQL), answers made of jobs skip the counter read */
    atomic_int jobs_counted;
};

static bt_web_kept *kept_new(const char *text, size_t len) {
    bt_web_kept *k = bt_xmalloc(sizeof *k + len + 1);
    atomic_init(&k->refs, 1);
    k->ms = 0;
    k->len = len;
    memcpy(k->text, text, len);
    k->text[len] = '\0';
    return k;
}

static bt_web_kept *kept_ref(bt_web_kept *k) {
    atomic_fetch_add(&k->refs, 1);
    return k;
}

void bt_web_kept_release(bt_web_kept *k) {
    if (k && atomic_fetch_sub(&k->refs, 1) == 1) free(k);
}

bt_web_answers *bt_web_answers_new(void) {
    bt_web_answers *a = bt_xcalloc(1, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
    atomic_init(&a->jobs_counted, -1);
    return a;
}

static void drop(bt_web_answers *a, entry *e) {
    if (!e->key) return;
    a->bytes -= e->base->len;
    free(e->key);
    bt_web_kept_release(e->base);
    bt_web_kept_release(e->now);
    free(e->stamps);
    memset(e, 0, sizeof *e);
}

void bt_web_answers_free(bt_web_answers *a) {
    if (!a) return;
    for (size_t s = 0; s < SETS; s++)
        for (size_t w = 0; w < WAYS; w++) drop(a, &a->e[s][w]);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static uint64_t hash_key(const char *key) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* false when a counter the answer depends on is not kept by this store */
static bool countable(const bt_store_changes *ch, unsigned uses) {
    return !((uses & BT_WEB_USES_CATALOG) && ch->catalog < 0) &&
           !((uses & BT_WEB_USES_PURGE) && ch->purge < 0) &&
           !((uses & BT_WEB_USES_JOBS) && ch->jobs < 0);
}

static bool current(const entry *e, const bt_store_changes *ch) {
    return (!(e->uses & BT_WEB_USES_CATALOG) || e->at.catalog == ch->catalog) &&
           (!(e->uses & BT_WEB_USES_PURGE) || e->at.purge == ch->purge) &&
           (!(e->uses & BT_WEB_USES_JOBS) || e->at.jobs == ch->jobs);
}

static entry *find(bt_web_answers *a, const char *key, uint64_t h) {
    entry *set = a->e[h % SETS];
    for (size_t w = 0; w < WAYS; w++)
        if (set[w].key && set[w].hash == h && !strcmp(set[w].key, key))
            return &set[w];
    return NULL;
}

/* The text to send now: base, or a copy with this millisecond's times,
 * made once per millisecond and shared by the answers in it. */
static bt_web_kept *text_now(entry *e) {
    if (!e->n_stamps) return kept_ref(e->base);
    uint64_t us = bt_now_us();
    if (!e->now || e->now->ms != us / 1000) {
        char now[40];
        bt_format_time_us(us, now, sizeof now);
        if (strlen(now) != STAMP_LEN) return kept_ref(e->base);
        bt_web_kept *k = kept_new(e->base->text, e->base->len);
        k->ms = us / 1000;
        for (size_t i = 0; i < e->n_stamps; i++)
            memcpy(k->text + e->stamps[i], now, STAMP_LEN);
        bt_web_kept_release(e->now);
        e->now = k;
    }
    return kept_ref(e->now);
}

static void etag_of(const char *key, const bt_store_changes *ch,
                    unsigned uses, char out[40]);

/* The text to send and its ETag (etag: 40 bytes), or NULL. */
static bt_web_kept *answers_get(bt_web_answers *a, const char *key,
                                const bt_store_changes *ch, unsigned uses,
                                char *etag) {
    if (!countable(ch, uses)) return NULL;
    uint64_t h = hash_key(key);
    bt_web_kept *k = NULL;
    pthread_mutex_lock(&a->lock);
    entry *e = find(a, key, h);
    if (e && e->uses == uses && current(e, ch)) {
        e->used = ++a->tick;
        k = text_now(e);
        memcpy(etag, e->etag, sizeof e->etag);
    } else if (e) {
        drop(a, e); /* stale for good: the counters only grow */
    }
    pthread_mutex_unlock(&a->lock);
    return k;
}

/* Offsets of the times in <updated>…</updated>; user data in an Atom
 * answer is escaped, so the element cannot appear inside a value. */
static size_t *find_stamps(const char *text, size_t len, size_t *n) {
    size_t *out = NULL, cap = 0;
    *n = 0;
    const char *end = text + len;
    for (const char *p = text; (p = strstr(p, STAMP)); p += sizeof STAMP - 1) {
        const char *t = p + sizeof STAMP - 1;
        if (end - t < STAMP_LEN + 2 || memcmp(t + STAMP_LEN, "</", 2)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            out = bt_xrealloc(out, cap * sizeof *out);
        }
        out[(*n)++] = (size_t)(t - text);
    }
    return out;
}

/* Keeps text under key; etag (40 bytes) gets its tag either way. */
static void answers_put(bt_web_answers *a, const char *key,
                        const bt_store_changes *ch, unsigned uses, bool atom,
                        const char *text, size_t len, char *etag) {
    etag_of(key, ch, uses, etag);
    if (len > BYTES_MAX / 16) return;
    entry fresh = {.key = bt_xstrdup(key),
                   .hash = hash_key(key),
                   .uses = uses,
                   .at = *ch,
                   .base = kept_new(text, len)};
    if (atom)
        fresh.stamps = find_stamps(fresh.base->text, len, &fresh.n_stamps);
    memcpy(fresh.etag, etag, sizeof fresh.etag);
    pthread_mutex_lock(&a->lock);
    entry *e = find(a, key, fresh.hash);
    if (!e) {
        entry *set = a->e[fresh.hash % SETS];
        e = &set[0];
        for (size_t w = 0; w < WAYS && e->key; w++)
            if (!set[w].key || set[w].used < e->used) e = &set[w];
    }
    /* another thread may have kept a newer one meanwhile */
    bool newer = e->key && !strcmp(e->key, key) &&
                 (e->at.catalog > ch->catalog || e->at.purge > ch->purge ||
                  e->at.jobs > ch->jobs);
    if (!newer) {
        drop(a, e);
        if (a->bytes + len <= BYTES_MAX) {
            fresh.used = ++a->tick;
            *e = fresh;
            a->bytes += len;
            memset(&fresh, 0, sizeof fresh);
        }
    }
    pthread_mutex_unlock(&a->lock);
    free(fresh.key);
    bt_web_kept_release(fresh.base);
    free(fresh.stamps);
}

/* ---- helpers for the handlers that keep answers ----------------------- */

/* The counters for this request, read once on first use; NULL when they
 * cannot be read, and the request then goes without kept answers. */
static const bt_store_changes *changes(bt_web_req *r) {
    if (!r->changes_read) {
        bt_store *s = bt_web_store(r);
        r->changes_read = -1;
        if (!s) return NULL;
        if (!BT_WEB_TIMED(r, bt_store_changes_read(s, &r->changes, NULL))) {
            r->changes_read = 1;
            atomic_store(&r->web->answers->jobs_counted, r->changes.jobs >= 0);
        }
    }
    return r->changes_read > 0 ? &r->changes : NULL;
}

char *bt_web_json_answer(json_t *body, size_t *len) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!text) text = bt_xstrdup("{}");
    size_t n = strlen(text);
    /* a trailing newline makes curl and shell users happier */
    text = bt_xrealloc(text, n + 2);
    text[n++] = '\n';
    text[n] = '\0';
    *len = n;
    return text;
}

void bt_web_reply_text(bt_web_req *r, unsigned status, char *text,
                       size_t len) {
    json_decref(r->reply);
    r->reply = NULL;
    free(r->text);
    r->status = status;
    r->content_type = BT_WEB_JSON_TYPE;
    r->text = text;
    r->text_len = len;
}

static void reply_kept(bt_web_req *r, unsigned status,
                       const char *content_type, bt_web_kept *k) {
    json_decref(r->reply);
    r->reply = NULL;
    free(r->text);
    r->text = NULL;
    r->text_len = 0;
    bt_web_kept_release(r->kept);
    r->status = status;
    r->content_type = content_type;
    r->kept = k;
}

const char *bt_web_kept_text(const bt_web_kept *k, size_t *len) {
    *len = k->len;
    return k->text;
}

/* ---- for the handlers: answer from what is kept, or keep an answer ---- */

/* W/"<32 hex>": the key, the counters it depends on, and this build (a
 * newer batond may render the same data differently). */
static void etag_of(const char *key, const bt_store_changes *ch,
                    unsigned uses, char out[40]) {
    int64_t v[4] = {(int64_t)uses, uses & BT_WEB_USES_CATALOG ? ch->catalog : 0,
                    uses & BT_WEB_USES_PURGE ? ch->purge : 0,
                    uses & BT_WEB_USES_JOBS ? ch->jobs : 0};
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)BATON_VERSION_STRING,
                              sizeof BATON_VERSION_STRING);
    crypto_generichash_update(&st, (const unsigned char *)key, strlen(key) + 1);
    crypto_generichash_update(&st, (const unsigned char *)v, sizeof v);
    crypto_generichash_final(&st, h, sizeof h);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, 40, "W/\"%s\"", hex);
}

/* If-None-Match names tag (or is "*"); compared weakly, as RFC 9110 says
 * for this header: the opaque part alone. */
static bool none_match(bt_web_req *r, const char *tag) {
    const char *h = bt_web_header(r, "If-None-Match");
    if (!h) return false;
    const char *opaque = tag + 2; /* "<hex>" with its quotes */
    size_t n = strlen(opaque);
    for (const char *p = h; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '*') return true;
        if (!strncmp(p, "W/", 2)) p += 2;
        if (!strncmp(p, opaque, n) &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
            return true;
        while (*p && *p != ',') p++;
    }
    return false;
}

bool bt_web_answer_kept(bt_web_req *r, const char *key, unsigned uses,
                        unsigned status, const char *content_type) {
    if ((uses & BT_WEB_USES_JOBS) &&
        !atomic_load(&r->web->answers->jobs_counted))
        return false; /* never kept here: no read for nothing */
    const bt_store_changes *ch = changes(r);
    if (!ch) return false;
    char tag[40];
    bt_web_kept *k = answers_get(r->web->answers, key, ch, uses, tag);
    if (!k) return false;
    bt_web_add_header(r, "ETag", tag);
    if (status == 200 && none_match(r, tag)) {
        bt_web_kept_release(k);
        json_decref(r->reply);
        r->reply = NULL;
        r->status = 304; /* no body */
        return true;
    }
    reply_kept(r, status, content_type, k);
    return true;
}

void bt_web_answer_keep(bt_web_req *r, const char *key, unsigned uses,
                        bool atom, const char *text, size_t len) {
    const bt_store_changes *ch = r->changes_read > 0 ? &r->changes : NULL;
    if (!ch || !countable(ch, uses)) return;
    char tag[40];
    answers_put(r->web->answers, key, ch, uses, atom, text, len, tag);
    bt_web_add_header(r, "ETag", tag);
}
