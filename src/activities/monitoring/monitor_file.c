/* Monitor File and Monitor Folder: start a new runbook instance when files
 * in a folder appear, change or go away (Monitor File, one instance per
 * file), or when the folder as a whole crosses a threshold of file count
 * or total size, or gains or loses files (Monitor Folder). Both sit on a
 * bt_watch, which notices changes and hands over before/after snapshots;
 * only plain entries matching the patterns count (subfolders are not
 * watched). */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "activities/monitoring/watch.h"
#include "runbook/runbook.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

typedef struct file_monitor {
    bt_activity_ctx *ctx;
    bt_watch *watch;
    const char *folder;
    const char *const *patterns;
    size_t n_patterns;
    int64_t max_triggers;
    bool stopped;
    /* Monitor File */
    unsigned events; /* EV_* bits */
    /* Monitor Folder */
    bool have_counts[4];  /* threshold given: count_above, count_below,
                             size_above, size_below */
    int64_t limit[4];
    bool held[4];         /* the threshold held at the last look */
    bool on_added, on_removed;
} file_monitor;

enum { EV_CREATED = 1, EV_MODIFIED = 2, EV_DELETED = 4 };
static const char *const event_names[] = {"created", "modified", "deleted",
                                          NULL};

static bool matches(const file_monitor *m, const bt_watch_entry *e) {
    if (!e || e->is_dir) return false;
    if (!m->n_patterns) return true;
    for (size_t i = 0; i < m->n_patterns; i++)
        if (fnmatch(m->patterns[i], e->name, FNM_PERIOD) == 0) return true;
    return false;
}

static void watch_closed(void *ud) {
    file_monitor *m = ud;
    m->watch = NULL;
    bt_act_complete(m->ctx);
}

static void stop(file_monitor *m) {
    if (m->stopped) return;
    m->stopped = true;
    bt_watch_stop(m->watch, watch_closed, m);
}

static bool limit_reached(file_monitor *m) {
    return m->max_triggers &&
           (int64_t)bt_act_trigger_count(m->ctx) >= m->max_triggers;
}

static void publish_common(file_monitor *m) {
    char at[40];
    bt_format_time_us(bt_now_us(), at, sizeof at);
    bt_act_publish(m->ctx, "folder", m->folder);
    bt_act_publish(m->ctx, "triggered_at", at);
    bt_act_publishf(m->ctx, "trigger_count", "%llu",
                    (unsigned long long)bt_act_trigger_count(m->ctx) + 1);
}

static void watch_failed(bt_watch *w, const char *message, void *ud) {
    file_monitor *m = ud;
    (void)w;
    bt_act_fail(m->ctx, "%s: %s", bt_act_def(m->ctx)->type_name, message);
    stop(m);
}

/* ---- monitor-file ------------------------------------------------------ */

static void fire_file(file_monitor *m, const bt_watch_entry *e,
                      const char *event) {
    if (m->stopped || limit_reached(m)) return;
    char mtime[40];
    bt_format_time_us((uint64_t)(e->mtime_ns / 1000), mtime, sizeof mtime);
    bt_act_publishf(m->ctx, "path", "%s/%s", m->folder, e->name);
    bt_act_publish(m->ctx, "name", e->name);
    bt_act_publishf(m->ctx, "size", "%lld", (long long)e->size);
    bt_act_publish(m->ctx, "event", event);
    bt_act_publish(m->ctx, "modified_time", mtime);
    publish_common(m);
    bt_act_trigger(m->ctx);
}

/* Walks both sorted snapshots together. */
static void file_changed(bt_watch *w, const bt_watch_snapshot *before,
                         const bt_watch_snapshot *after, void *ud) {
    file_monitor *m = ud;
    (void)w;
    size_t i = 0, k = 0;
    while ((i < before->n || k < after->n) && !m->stopped) {
        const bt_watch_entry *b = i < before->n ? &before->items[i] : NULL;
        const bt_watch_entry *a = k < after->n ? &after->items[k] : NULL;
        int cmp = !b ? 1 : !a ? -1 : strcmp(b->name, a->name);
        if (cmp < 0) { /* gone */
            if ((m->events & EV_DELETED) && matches(m, b))
                fire_file(m, b, "deleted");
            i++;
        } else if (cmp > 0) { /* new */
            if ((m->events & EV_CREATED) && matches(m, a))
                fire_file(m, a, "created");
            k++;
        } else {
            if ((m->events & EV_MODIFIED) && matches(m, a) &&
                (a->size != b->size || a->mtime_ns != b->mtime_ns))
                fire_file(m, a, "modified");
            i++;
            k++;
        }
        if (limit_reached(m)) stop(m);
    }
}

/* ---- monitor-folder ---------------------------------------------------- */

static const char *const threshold_names[] = {"count_above", "count_below",
                                              "size_above", "size_below"};

/* Names in one snapshot and not the other, one per line. */
static void difference(const file_monitor *m, const bt_watch_snapshot *from,
                       const bt_watch_snapshot *other, bt_buf *out) {
    for (size_t i = 0; i < from->n; i++) {
        const bt_watch_entry *e = &from->items[i];
        if (!matches(m, e) || bt_watch_find(other, e->name)) continue;
        if (out->len) bt_buf_appends(out, "\n");
        bt_buf_appends(out, e->name);
    }
}

static void folder_changed(bt_watch *w, const bt_watch_snapshot *before,
                           const bt_watch_snapshot *after, void *ud) {
    file_monitor *m = ud;
    (void)w;
    if (m->stopped) return;
    int64_t count = 0, total = 0;
    for (size_t i = 0; i < after->n; i++)
        if (matches(m, &after->items[i])) {
            count++;
            total += after->items[i].size;
        }
    bt_buf added, removed;
    bt_buf_init(&added, 0);
    bt_buf_init(&removed, 0);
    if (before) {
        difference(m, after, before, &added);
        difference(m, before, after, &removed);
    }
    const char *reason = NULL;
    int64_t measure[4] = {count, count, total, total};
    for (int t = 0; t < 4; t++) {
        if (!m->have_counts[t]) continue;
        bool now = t % 2 == 0 ? measure[t] > m->limit[t]
                              : measure[t] < m->limit[t];
        /* Fires when the threshold starts to hold (at start too). */
        if (now && !m->held[t] && !reason) reason = threshold_names[t];
        m->held[t] = now;
    }
    if (!reason && m->on_added && added.len) reason = "files_added";
    if (!reason && m->on_removed && removed.len) reason = "files_removed";
    if (reason && !limit_reached(m)) {
        bt_act_publishf(m->ctx, "file_count", "%lld", (long long)count);
        bt_act_publishf(m->ctx, "total_size", "%lld", (long long)total);
        bt_act_publish(m->ctx, "reason", reason);
        bt_act_publish(m->ctx, "added", bt_buf_str(&added));
        bt_act_publish(m->ctx, "removed", bt_buf_str(&removed));
        publish_common(m);
        bt_act_trigger(m->ctx);
        if (limit_reached(m)) stop(m);
    }
    bt_buf_free(&added);
    bt_buf_free(&removed);
}

/* ---- shared ------------------------------------------------------------ */

static void free_monitor(void *p) { free(p); }

static int start(bt_activity_ctx *ctx, bool folder_mode) {
    const char *type = folder_mode ? "monitor-folder" : "monitor-file";
    file_monitor *m = bt_xcalloc(1, sizeof *m);
    m->ctx = ctx;
    m->stopped = true; /* until the watch exists */
    bt_act_set_state(ctx, m, free_monitor);
    uint64_t settle, poll;
    bool existing = false;
    m->folder = bt_act_str(ctx, "folder", "");
    if (bt_act_duration(ctx, "settle", 250, &settle) ||
        bt_act_duration(ctx, "poll_interval", 0, &poll) ||
        bt_act_int(ctx, "max_triggers", 0, &m->max_triggers))
        return -BT_EINVAL;
    if (!*m->folder) return bt_act_fail(ctx, "%s: 'folder' is empty", type);
    m->n_patterns = bt_act_list(ctx, "pattern", &m->patterns);
    if (folder_mode) {
        for (int t = 0; t < 4; t++) {
            m->have_counts[t] = bt_act_has(ctx, threshold_names[t]);
            if (bt_act_int(ctx, threshold_names[t], 0, &m->limit[t]))
                return -BT_EINVAL;
        }
        if (bt_act_bool(ctx, "files_added", false, &m->on_added) ||
            bt_act_bool(ctx, "files_removed", false, &m->on_removed))
            return -BT_EINVAL;
        if (!m->have_counts[0] && !m->have_counts[1] && !m->have_counts[2] &&
            !m->have_counts[3] && !m->on_added && !m->on_removed)
            return bt_act_fail(ctx,
                               "monitor-folder: give a condition: "
                               "count_above, count_below, size_above, "
                               "size_below, files_added or files_removed");
    } else {
        const char *const *evs;
        size_t n = bt_act_list(ctx, "events", &evs);
        for (size_t i = 0; i < n; i++) {
            size_t e = 0;
            while (event_names[e] && strcmp(event_names[e], evs[i])) e++;
            if (!event_names[e])
                return bt_act_fail(ctx,
                                   "monitor-file: event '%s' is not one of "
                                   "created, modified, deleted",
                                   evs[i]);
            m->events |= 1u << e;
        }
        if (!n) m->events = EV_CREATED;
        if (bt_act_bool(ctx, "trigger_existing", false, &existing))
            return -BT_EINVAL;
    }
    bt_watch_config cfg = {.folder = m->folder,
                           .settle_ms = settle,
                           .poll_ms = poll,
                           .changed = folder_mode ? folder_changed
                                                  : file_changed,
                           .failed = watch_failed,
                           .ud = m};
    char why[BT_ERROR_MESSAGE_MAX];
    if (bt_watch_start(bt_act_loop(ctx), &cfg, &m->watch, why, sizeof why))
        return bt_act_fail(ctx, "%s: %s", type, why);
    m->stopped = false;
    const bt_watch_snapshot *now = bt_watch_current(m->watch);
    if (now->truncated)
        bt_act_warn(ctx, "%s: more than %d entries in '%s'; only the first "
                         "are watched",
                    type, BT_WATCH_MAX_ENTRIES, m->folder);
    if (folder_mode) {
        folder_changed(m->watch, NULL, now, m);
    } else if (existing) {
        for (size_t i = 0; i < now->n && !m->stopped; i++)
            if (matches(m, &now->items[i])) {
                fire_file(m, &now->items[i], "existing");
                if (limit_reached(m)) stop(m);
            }
    }
    return 0;
}

static int file_run(bt_activity_ctx *ctx) { return start(ctx, false); }
static int folder_run(bt_activity_ctx *ctx) { return start(ctx, true); }

static void cancel(bt_activity_ctx *ctx) {
    file_monitor *m = bt_act_state(ctx);
    if (m && m->watch) stop(m);
}

#define WATCH_PROPS                                                          \
    {"folder", BT_PROP_STRING, true, NULL, "The folder to watch.", NULL},     \
    {"pattern", BT_PROP_LIST, false, "*",                                    \
     "File name patterns (globs); a file matching any counts.", NULL},       \
    {"settle", BT_PROP_DURATION, false, "250ms",                             \
     "Quiet time after a change before looking (a file being written is "    \
     "seen once).", NULL},                                                   \
    {"poll_interval", BT_PROP_DURATION, false, "0 (inotify)",                \
     "Look at this interval instead of using inotify (network file "         \
     "systems).", NULL},                                                     \
    {"max_triggers", BT_PROP_INTEGER, false, "0 (until stopped)",            \
     "Stop after this many triggers.", NULL}

static const bt_prop_spec file_props[] = {
    WATCH_PROPS,
    {"events", BT_PROP_LIST, false, "created",
     "created, modified, deleted.", NULL},
    {"trigger_existing", BT_PROP_BOOLEAN, false, "false",
     "Also fire once for each matching file present at start.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const file_published[] = {
    "path",   "name",         "folder",        "size", "event",
    "modified_time", "triggered_at", "trigger_count", NULL};

const bt_activity_type bt_activity_monitor_file = {
    .name = "monitor-file",
    .title = "Monitor File",
    .category = "monitoring",
    .description = "Starts a new runbook instance for each file created, "
                   "modified or deleted in a folder.",
    .mode = BT_EXEC_ASYNC,
    .props = file_props,
    .published = file_published,
    .run = file_run,
    .cancel = cancel,
    .monitor = true,
};

static int folder_check(const bt_activity_def *def, const bt_runbook *rb,
                        bt_diags *diags) {
    static const char *const conditions[] = {
        "count_above", "count_below", "size_above", "size_below",
        "files_added", "files_removed"};
    for (size_t i = 0; i < BT_ARRAY_LEN(conditions); i++)
        if (bt_node_get(def->properties, conditions[i])) return 0;
    return bt_diags_add(diags, BT_EINVAL, rb->file, def->line, def->column,
                        "monitor-folder '%s': give a condition: "
                        "count_above, count_below, size_above, size_below, "
                        "files_added or files_removed",
                        def->id);
}

static const bt_prop_spec folder_props[] = {
    WATCH_PROPS,
    {"count_above", BT_PROP_INTEGER, false, NULL,
     "Fire when more than this many files match.", NULL},
    {"count_below", BT_PROP_INTEGER, false, NULL,
     "Fire when fewer than this many files match.", NULL},
    {"size_above", BT_PROP_INTEGER, false, NULL,
     "Fire when the matching files hold more than this many bytes.", NULL},
    {"size_below", BT_PROP_INTEGER, false, NULL,
     "Fire when the matching files hold fewer than this many bytes.", NULL},
    {"files_added", BT_PROP_BOOLEAN, false, "false",
     "Fire when matching files appear.", NULL},
    {"files_removed", BT_PROP_BOOLEAN, false, "false",
     "Fire when matching files go away.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const folder_published[] = {
    "folder",  "file_count", "total_size",   "reason",        "added",
    "removed", "triggered_at", "trigger_count", NULL};

const bt_activity_type bt_activity_monitor_folder = {
    .name = "monitor-folder",
    .title = "Monitor Folder",
    .category = "monitoring",
    .description = "Starts a new runbook instance when a folder's file "
                   "count or size crosses a threshold, or files come or go.",
    .mode = BT_EXEC_ASYNC,
    .props = folder_props,
    .published = folder_published,
    .check = folder_check,
    .run = folder_run,
    .cancel = cancel,
    .monitor = true,
};
