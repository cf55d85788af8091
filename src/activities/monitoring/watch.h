/* Watching one folder for changes, for Monitor File and Monitor Folder.
 * A watch keeps a snapshot of the folder (name, size, modification time of
 * every entry) and, after a change, takes a new one and hands both to its
 * callback, so each monitor decides what the difference means. Changes are
 * noticed through inotify (uv_fs_event); when that is not available, or
 * when asked, by rescanning on a timer. Events are coalesced for `settle`
 * so a file being written is seen once it is quiet, not per write (but at
 * most ten settle times after the first change). */
#ifndef BT_WATCH_H
#define BT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Scans stop at this many entries (a monitor warns). */
#define BT_WATCH_MAX_ENTRIES 100000

typedef struct bt_watch_entry {
    char *name;
    int64_t size;
    int64_t mtime_ns;
    bool is_dir;
} bt_watch_entry;

typedef struct bt_watch_snapshot {
    bt_watch_entry *items; /* sorted by name */
    size_t n;
    bool truncated; /* more than BT_WATCH_MAX_ENTRIES */
} bt_watch_snapshot;

typedef struct bt_watch bt_watch;

typedef void (*bt_watch_fn)(bt_watch *w, const bt_watch_snapshot *before,
                            const bt_watch_snapshot *after, void *ud);
/* A scan that failed (the folder was removed): errno-style text. */
typedef void (*bt_watch_error_fn)(bt_watch *w, const char *message,
                                  void *ud);

typedef struct bt_watch_config {
    const char *folder;
    uint64_t settle_ms;  /* quiet time after an event before rescanning */
    uint64_t poll_ms;    /* 0: inotify, with polling at 1s if unavailable;
                            else: rescan at this interval only */
    bt_watch_fn changed;
    bt_watch_error_fn failed;
    void *ud;
} bt_watch_config;

/* Takes the first snapshot and starts watching; on error returns a
 * negative code with a sentence in why. */
int bt_watch_start(uv_loop_t *loop, const bt_watch_config *cfg,
                   bt_watch **out, char *why, size_t why_size);
const bt_watch_snapshot *bt_watch_current(const bt_watch *w);
/* True when inotify is in use (else polling). */
bool bt_watch_notifies(const bt_watch *w);
/* Stops; closed(ud) is called once every handle is closed, after which
 * the watch is freed. */
void bt_watch_stop(bt_watch *w, void (*closed)(void *ud), void *ud);

const bt_watch_entry *bt_watch_find(const bt_watch_snapshot *s,
                                    const char *name);

#endif
