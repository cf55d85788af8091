/* batond's log: one line per message on stderr, with a level and a
 * timestamp; under systemd (JOURNAL_STREAM names our stderr) the line
 * starts with a "<N>" syslog priority instead, which journald turns into
 * the entry's priority, and carries no timestamp since journald adds its
 * own. No libsystemd needed. */
#ifndef BT_SERVER_LOG_H
#define BT_SERVER_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* syslog priorities, so the journald prefix is the level itself. */
typedef enum {
    BT_LOG_ERROR = 3,
    BT_LOG_WARNING = 4,
    BT_LOG_NOTICE = 5,
    BT_LOG_INFO = 6,
    BT_LOG_DEBUG = 7
} bt_log_level;

typedef struct bt_log {
    FILE *out;          /* stderr */
    bool journal;       /* "<N>" prefixes, no timestamp */
    bt_log_level max;   /* messages above this level are dropped */
} bt_log;

/* stderr, journald format when JOURNAL_STREAM matches stderr's device and
 * inode (as systemd documents), level info. */
void bt_log_init(bt_log *lg);

/* lg NULL: nothing is written (tests that want a quiet server). */
void bt_logf(const bt_log *lg, bt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bt_vlogf(const bt_log *lg, bt_log_level level, const char *fmt,
              va_list ap);

#endif
