/* Finding processes by name or pid through /proc, for get-process-status,
 * monitor-process and end-process. Internal to src/activities. */
#ifndef BT_ACTIVITIES_SYSTEM_PROCSCAN_H
#define BT_ACTIVITIES_SYSTEM_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bt_procinfo {
    int pid;
    char comm[64];       /* the kernel's name (at most 15 characters) */
    char state;          /* R, S, D, T, Z... */
    uint64_t rss_bytes;
    double cpu_seconds;  /* user + system */
} bt_procinfo;

/* Live processes (zombies are not) whose kernel name or whose first
 * argument's base name is `name`, or the process `pid` when name is NULL
 * or empty. Our own process never matches a name. Sorted by pid.
 * *out is malloc'd (NULL when none). Returns the count. */
size_t bt_procscan_find(const char *name, int pid, bt_procinfo **out);
/* Reads one process; false when it is gone or a zombie. */
bool bt_procscan_read(int pid, bt_procinfo *out);

#endif
