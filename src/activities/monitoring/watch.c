/* Folder watching for the monitors: snapshots and change detection. The
 * scan runs on the loop; it reads one directory (capped), which is the
 * cost Orchestrator's monitors pay too, and happens only after a change
 * has settled or at the polling interval. */
#include "activities/monitoring/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/error.h"
#include "common/util.h"

#define FALLBACK_POLL_MS 1000

struct bt_watch {
    uv_loop_t *loop;
    char *folder;
    uint64_t settle_ms, poll_ms;
    bt_watch_fn changed;
    bt_watch_error_fn failed;
    void *ud;
    bt_watch_snapshot snap;
    uv_fs_event_t event;
    uv_timer_t timer; /* settle delay, or the polling interval */
    uint64_t burst_start; /* loop time of the first event not yet seen */
    bool notifying;
    bool stopping;
    int open_handles;
    void (*closed)(void *ud);
    void *closed_ud;
};

static void snapshot_free(bt_watch_snapshot *s) {
    for (size_t i = 0; i < s->n; i++) free(s->items[i].name);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const bt_watch_entry *)a)->name,
                  ((const bt_watch_entry *)b)->name);
}

static int scan(const char *folder, bt_watch_snapshot *out, char *why,
                size_t size) {
    memset(out, 0, sizeof *out);
    int dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        snprintf(why, size, "cannot read folder '%s': %s", folder,
                 strerror(errno));
        if (dfd >= 0) close(dfd);
        return -BT_EIO;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        /* Gone between readdir and stat: it is not there any more. */
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (out->n == BT_WATCH_MAX_ENTRIES) {
            out->truncated = true;
            break;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->items = bt_xrealloc(out->items, cap * sizeof *out->items);
        }
        out->items[out->n++] = (bt_watch_entry){
            .name = bt_xstrdup(e->d_name),
            .size = (int64_t)st.st_size,
            .mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                        st.st_mtim.tv_nsec,
            .is_dir = S_ISDIR(st.st_mode)};
    }
    closedir(d);
    if (out->n) qsort(out->items, out->n, sizeof *out->items, by_name);
    return 0;
}

const bt_watch_entry *bt_watch_find(const bt_watch_snapshot *s,
                                    const char *name) {
    bt_watch_entry key = {.name = (char *)name};
    return s->n ? bsearch(&key, s->items, s->n, sizeof key, by_name) : NULL;
}

static void rescan(bt_watch *w) {
    bt_watch_snapshot now;
    char why[BT_ERROR_MESSAGE_MAX];
    if (scan(w->folder, &now, why, sizeof why) != 0) {
        if (w->failed) w->failed(w, why, w->ud);
        return;
    }
    bt_watch_snapshot before = w->snap;
    w->snap = now;
    w->changed(w, &before, &w->snap, w->ud);
    snapshot_free(&before);
}

static void timer_cb(uv_timer_t *t) {
    bt_watch *w = t->data;
    if (!w->stopping) rescan(w);
}

static void event_cb(uv_fs_event_t *h, const char *name, int events,
                     int status) {
    bt_watch *w = h->data;
    (void)name;
    (void)events;
    if (w->stopping) return;
    if (status < 0) {
        if (w->failed) w->failed(w, uv_strerror(status), w->ud);
        return;
    }
    /* Rescan once the folder is quiet for settle_ms, but no later than
     * ten of them after the first change, so a folder written to without
     * pause (a busy log) is still looked at. */
    uint64_t now = uv_now(w->loop);
    if (!uv_is_active((uv_handle_t *)&w->timer)) {
        w->burst_start = now;
    } else if (now + w->settle_ms > w->burst_start + 10 * w->settle_ms) {
        return;
    }
    uv_timer_start(&w->timer, timer_cb, w->settle_ms, 0);
}

int bt_watch_start(uv_loop_t *loop, const bt_watch_config *cfg,
                   bt_watch **out, char *why, size_t why_size) {
    bt_watch *w = bt_xcalloc(1, sizeof *w);
    w->loop = loop;
    w->folder = bt_xstrdup(cfg->folder);
    w->settle_ms = cfg->settle_ms;
    w->poll_ms = cfg->poll_ms;
    w->changed = cfg->changed;
    w->failed = cfg->failed;
    w->ud = cfg->ud;
    int rc = scan(w->folder, &w->snap, why, why_size);
    if (rc) {
        free(w->folder);
        free(w);
        return rc;
    }
    uv_timer_init(loop, &w->timer);
    w->timer.data = w;
    w->open_handles = 1;
    if (!w->poll_ms) {
        uv_fs_event_init(loop, &w->event);
        w->event.data = w;
        w->open_handles++;
        if (uv_fs_event_start(&w->event, event_cb, w->folder, 0) == 0)
            w->notifying = true;
        else
            w->poll_ms = FALLBACK_POLL_MS; /* inotify limits reached */
    }
    if (!w->notifying)
        uv_timer_start(&w->timer, timer_cb, w->poll_ms, w->poll_ms);
    *out = w;
    return 0;
}

const bt_watch_snapshot *bt_watch_current(const bt_watch *w) {
    return &w->snap;
}

bool bt_watch_notifies(const bt_watch *w) { return w->notifying; }

static void handle_closed(uv_handle_t *h) {
    bt_watch *w = h->data;
    if (--w->open_handles) return;
    void (*closed)(void *) = w->closed;
    void *ud = w->closed_ud;
    snapshot_free(&w->snap);
    free(w->folder);
    free(w);
    if (closed) closed(ud);
}

void bt_watch_stop(bt_watch *w, void (*closed)(void *ud), void *ud) {
    if (w->stopping) return;
    w->stopping = true;
    w->closed = closed;
    w->closed_ud = ud;
    uv_timer_stop(&w->timer);
    if (w->open_handles == 2) {
        uv_fs_event_stop(&w->event);
        uv_close((uv_handle_t *)&w->event, handle_closed);
    }
    uv_close((uv_handle_t *)&w->timer, handle_closed);
}
