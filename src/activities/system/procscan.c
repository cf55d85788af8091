/* /proc scanning (see procscan.h). */
#include "activities/system/procscan.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static size_t read_small(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

bool bt_procscan_read(int pid, bt_procinfo *out) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!read_small(path, buf, sizeof buf)) return false;
    const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open) return false;
    memset(out, 0, sizeof *out);
    out->pid = pid;
    size_t n = (size_t)(close - open - 1);
    if (n >= sizeof out->comm) n = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, n);
    /* Fields after the name, numbered from 3 (state) as in proc(5). */
    unsigned long long utime = 0, stime = 0;
    long long rss = 0;
    if (sscanf(close + 1,
               " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu "
               "%*s %*s %*s %*s %*s %*s %*s %*s %lld",
               &out->state, &utime, &stime, &rss) != 4)
        return false;
    if (out->state == 'Z' || out->state == 'X') return false;
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    out->cpu_seconds = (double)(utime + stime) / (double)(tick > 0 ? tick
                                                                  : 100);
    out->rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
    return true;
}

/* The base name of argv[0], which a program started through a symbolic
 * link or with a longer name than 15 characters is known by. */
static bool argv0_is(int pid, const char *name) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    if (!read_small(path, buf, sizeof buf)) return false;
    const char *slash = strrchr(buf, '/');
    return !strcmp(slash ? slash + 1 : buf, name);
}

static int by_pid(const void *a, const void *b) {
    const bt_procinfo *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

size_t bt_procscan_find(const char *name, int pid, bt_procinfo **out) {
    *out = NULL;
    if (!name || !*name) {
        bt_procinfo info;
        if (pid <= 0 || !bt_procscan_read(pid, &info)) return 0;
        *out = bt_xmalloc(sizeof info);
        **out = info;
        return 1;
    }
    DIR *d = opendir("/proc");
    if (!d) return 0;
    size_t n = 0, cap = 0;
    int self = (int)getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        int p = atoi(e->d_name);
        bt_procinfo info;
        if (p == self || !bt_procscan_read(p, &info)) continue;
        if (strcmp(info.comm, name) && !argv0_is(p, name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bt_xrealloc(*out, cap * sizeof **out);
        }
        (*out)[n++] = info;
    }
    closedir(d);
    if (n) qsort(*out, n, sizeof **out, by_pid);
    return n;
}
