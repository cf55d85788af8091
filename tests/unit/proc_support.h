/* Shared by the process tests: is a process dead? */
#ifndef BT_TEST_PROC_SUPPORT_H
#define BT_TEST_PROC_SUPPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* True when pid no longer runs: gone, a zombie waiting for its new parent
 * to reap it, or already inside exit(). The last matters because a dying
 * process closes its files (our pipes reach EOF) a moment before it turns
 * into a zombie; PF_EXITING is set before that, so this is no race. */
static inline bool bt_test_process_gone(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    char state = 0;
    unsigned long flags = 0;
    /* Fields after the name: state ppid pgrp session tty tpgid flags. */
    if (!rp || sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %lu", &state,
                      &flags) != 2)
        return false;
    const unsigned long pf_exiting = 0x4;
    return state == 'Z' || state == 'X' || (flags & pf_exiting);
}

#endif
