/* Syslog facility and severity names shared by Send Syslog Message and
 * Send Journal Message. */
#ifndef BT_SYSLOGMSG_H
#define BT_SYSLOGMSG_H

#include <string.h>

static const char *const bt_syslog_severities[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    NULL};

static const char *const bt_syslog_facilities[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog",
    "lpr",    "news",   "uucp",   "cron",   "authpriv", "ftp",
    "ntp",    "audit",  "alert",  "clock",  "local0", "local1",
    "local2", "local3", "local4", "local5", "local6", "local7",
    NULL};

/* Index of name in a NULL-terminated table, or -1. */
static inline int bt_syslog_index(const char *const *table, const char *name) {
    for (int i = 0; table[i]; i++)
        if (strcmp(table[i], name) == 0) return i;
    return -1;
}

#endif
