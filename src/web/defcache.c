/* Parsed runbook versions, shared by the connection threads. Listing
 * runbooks, showing a job and starting one all need a version's
 * definition (parameters, activity names and types), and loading its YAML
 * was most of their CPU (docs/performance.md, "Web service"). A version
 * never changes once checked in (the store only adds versions and deletes
 * runbooks softly), so an entry never goes stale; it is only evicted, the
 * least recently used first, when the cache is full and nobody holds it.
 * A definition is read-only once loaded, so threads share it. Versions
 * that do not load are not kept: their message is built each time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/web_internal.h"

#define DEFS_MAX 256

typedef struct def_entry {
    int64_t runbook_id;
    int version;
    bt_runbook *def;
    unsigned refs;
    uint64_t used; /* tick of the last take */
} def_entry;

struct bt_web_defs {
    pthread_mutex_t lock;
    def_entry e[DEFS_MAX];
    size_t n;
    uint64_t tick;
};

bt_web_defs *bt_web_defs_new(void) {
    bt_web_defs *d = bt_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void bt_web_defs_free(bt_web_defs *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        bt_runbook_free(d->e[i].def);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static int load(bt_store *s, int64_t runbook_id, int version, bt_runbook **out,
                bt_error *err) {
    *out = NULL;
    bt_store_version v = {0};
    int rc = bt_store_version_get(s, runbook_id, version, &v, err);
    if (rc)
        return rc;
    char name[64];
    snprintf(name, sizeof name, "runbook %lld version %d",
             (long long)runbook_id, v.version);
    bt_diags diags;
    bt_diags_init(&diags);
    rc =
        bt_runbook_load_string(name, v.yaml, strlen(v.yaml), NULL, out, &diags);
    if (rc) {
        char first[BT_ERROR_MESSAGE_MAX + 300] = "";
        if (diags.count)
            bt_error_format(&diags.items[0], first, sizeof first);
        bt_error_set(err, BT_EINTERNAL, "%s does not load (%zu problem%s): %s",
                     name, diags.count, diags.count == 1 ? "" : "s", first);
        rc = -BT_EINTERNAL;
    }
    bt_diags_free(&diags);
    bt_store_version_clear(&v);
    return rc;
}

static def_entry *find(bt_web_defs *d, int64_t runbook_id, int version) {
    for (size_t i = 0; i < d->n; i++)
        if (d->e[i].runbook_id == runbook_id && d->e[i].version == version)
            return &d->e[i];
    return NULL;
}

/* A free slot, evicting the least recently used unheld entry when full;
 * NULL when every entry is held. */
static def_entry *slot(bt_web_defs *d) {
    if (d->n < DEFS_MAX)
        return &d->e[d->n++];
    def_entry *old = NULL;
    for (size_t i = 0; i < d->n; i++)
        if (!d->e[i].refs && (!old || d->e[i].used < old->used))
            old = &d->e[i];
    if (old)
        bt_runbook_free(old->def);
    return old;
}

const bt_runbook *bt_web_defs_take(bt_web_defs *d, bt_store *s,
                                   int64_t runbook_id, int version,
                                   bt_error *err) {
    pthread_mutex_lock(&d->lock);
    def_entry *e = version > 0 ? find(d, runbook_id, version) : NULL;
    if (e) {
        e->refs++;
        e->used = ++d->tick;
        pthread_mutex_unlock(&d->lock);
        return e->def;
    }
    pthread_mutex_unlock(&d->lock);
    /* parse outside the lock: other threads' hits need not wait for it */
    bt_runbook *def = NULL;
    if (load(s, runbook_id, version, &def, err))
        return NULL;
    if (version <= 0)
        return def; /* "latest" is no key; not kept */
    pthread_mutex_lock(&d->lock);
    if ((e = find(d, runbook_id, version))) { /* another thread was first */
        bt_runbook_free(def);
        def = e->def;
    } else if ((e = slot(d))) {
        *e = (def_entry){runbook_id, version, def, 0, 0};
    }
    if (e) {
        e->refs++;
        e->used = ++d->tick;
    }
    pthread_mutex_unlock(&d->lock);
    return def;
}

void bt_web_defs_release(bt_web_defs *d, const bt_runbook *def) {
    if (!def)
        return;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->n; i++)
        if (d->e[i].def == def) {
            d->e[i].refs--;
            pthread_mutex_unlock(&d->lock);
            return;
        }
    pthread_mutex_unlock(&d->lock);
    /* not in the cache: it was the caller's own */
    bt_runbook_free((bt_runbook *)def);
}
