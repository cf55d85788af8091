/* Pack synchronization (sync.h). What this process loaded from the store,
 * and which pack versions it failed to load, is remembered by checksum so
 * a poll that finds nothing changed does no work and a broken pack is
 * reported once, not at every poll. Locked: the management server's
 * threads sync after an upload while the runbook server's loop polls. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "packs/archive.h"
#include "packs/packs.h"
#include "packs/sync.h"
#include "store/packs.h"

/* A pack version this process tried; the management server's sync (no
 * server) and the runbook server's share it, so the runbook server still
 * records the outcome of a load the management server did. */
typedef struct known {
    char *name;
    char checksum[72];
    bool loaded;      /* else: failed */
    char *message;    /* why not */
    int64_t reported; /* server whose status holds this outcome, or 0 */
} known;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *cache_dir;
static known *table;
static size_t n_table;

void bt_packs_set_cache_dir(const char *dir) {
    pthread_mutex_lock(&lock);
    free(cache_dir);
    cache_dir = dir ? bt_xstrdup(dir) : NULL;
    pthread_mutex_unlock(&lock);
}

static known *find(const char *name) {
    for (size_t i = 0; i < n_table; i++)
        if (!strcmp(table[i].name, name))
            return &table[i];
    return NULL;
}

static known *remember(const char *name, const char *checksum, bool loaded,
                       const char *message) {
    known *k = find(name);
    if (!k) {
        table = bt_xrealloc(table, (n_table + 1) * sizeof *table);
        k = &table[n_table++];
        k->name = bt_xstrdup(name);
        k->message = NULL;
    }
    snprintf(k->checksum, sizeof k->checksum, "%s", checksum);
    k->loaded = loaded;
    free(k->message);
    k->message = bt_xstrdup(message);
    k->reported = 0;
    return k;
}

static void forget(size_t i) {
    free(table[i].name);
    free(table[i].message);
    table[i] = table[--n_table];
}

/* The server's status of the pack, and an event when it failed. */
static void report(bt_store *s, known *k, const bt_store_pack *p,
                   int64_t server_id, const char *server_name) {
    bt_error serr;
    if (bt_store_pack_status_set(s, server_id, p->name, p->version, p->checksum,
                                 k->loaded, k->message, &serr))
        return; /* tried again at the next sync */
    k->reported = server_id;
    if (k->loaded)
        return;
    char *ev = bt_xasprintf("runbook server %s cannot load pack '%s' %s: %s",
                            server_name ? server_name : "?", p->name,
                            p->version, k->message);
    bt_store_event_add(s, BT_SEVERITY_ERROR, "packs", ev, 0, &serr);
    free(ev);
}

/* Unpacks (once per archive: the folder name holds its checksum) and
 * loads one pack. */
static int load_one(bt_store *s, const bt_store_pack *p, bt_error *err) {
    void *data = NULL;
    size_t len = 0;
    bt_store_pack full;
    int rc = bt_store_pack_get(s, p->name, &full, &data, &len, err);
    if (rc)
        return rc;
    char sum[72];
    bt_pack_sha256(data, len, sum);
    char *dir = NULL;
    if (strcmp(sum, full.checksum)) {
        rc = bt_error_set(err, BT_EINVAL,
                          "pack '%s' %s: the archive's checksum is %s, the "
                          "registered one %s",
                          full.name, full.version, sum, full.checksum);
        goto out;
    }
    dir = bt_xasprintf("%s/%s-%s-%.12s", cache_dir, full.name, full.version,
                       full.checksum + 7);
    struct stat st;
    if (stat(dir, &st) != 0) {
        char *tmp = bt_xasprintf("%s.tmp%d", dir, (int)getpid());
        bt__pack_remove_dir(tmp);
        rc = bt_pack_archive_extract(data, len, tmp, err);
        if (!rc && rename(tmp, dir) != 0 && errno != EEXIST &&
            errno != ENOTEMPTY)
            rc = bt_error_set(err, BT_EIO, "cannot rename %s: %s", tmp,
                              strerror(errno));
        if (rc || stat(dir, &st) != 0)
            bt__pack_remove_dir(tmp);
        free(tmp);
        if (rc)
            goto out;
    }
    bt_pack_info info;
    rc = bt_pack_load(dir, &info, err);
    if (!rc) {
        if (strcmp(info.name, full.name) || strcmp(info.version, full.version))
            rc = bt_error_set(err, BT_EINVAL,
                              "pack '%s' %s: its archive holds pack '%s' %s",
                              full.name, full.version, info.name, info.version);
        bt_pack_info_free(&info);
    }
out:
    free(dir);
    free(data);
    bt_store_pack_clear(&full);
    return rc;
}

int bt_packs_sync(bt_store *s, int64_t server_id, const char *server_name,
                  bt_error *err) {
    pthread_mutex_lock(&lock);
    if (!cache_dir) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    mkdir(cache_dir, 0755);
    bt_store_pack *packs = NULL;
    size_t n = 0;
    int rc = bt_store_pack_list(s, &packs, &n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const bt_store_pack *p = &packs[i];
        known *k = find(p->name);
        if (!k || strcmp(k->checksum, p->checksum)) {
            bt_error lerr;
            bt_error_clear(&lerr);
            int lrc = load_one(s, p, &lerr);
            char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 16] = "";
            if (lrc)
                bt_error_format(&lerr, msg, sizeof msg);
            k = remember(p->name, p->checksum, lrc == 0, msg);
        }
        if (server_id > 0 && k->reported != server_id)
            report(s, k, p, server_id, server_name);
    }
    /* Removed from the store: its activities go (runbooks already loaded
     * keep the types they hold). */
    for (size_t i = 0; !rc && i < n_table;) {
        bool still = false;
        for (size_t k = 0; k < n && !still; k++)
            still = !strcmp(packs[k].name, table[i].name);
        if (still) {
            i++;
            continue;
        }
        bt_packs_unregister(table[i].name); /* also an older version */
        forget(i);
    }
    bt_store_pack_list_free(packs, n);
    pthread_mutex_unlock(&lock);
    return rc;
}
