/* Test servers written in Python (tests/unit/fixtures/NAME.py): each binds
 * 127.0.0.1 on a free port and prints the port as its first line. */
#ifndef BT_FIXTURE_SERVER_H
#define BT_FIXTURE_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef struct fixture_server {
    pid_t pid;
    int port;
} fixture_server;

static inline bool fixture_have_python(void) {
    return system("python3 -c 'import http.server' >/dev/null 2>&1") == 0;
}

/* Starts tests/unit/fixtures/script (python3, or bash for *.sh) with up
 * to 3 extra arguments (NULL ends them). Returns false when python3 is
 * missing or the script exits 77 (its server is not installed). */
static inline bool fixture_start(fixture_server *s, const char *script,
                                 const char *arg1, const char *arg2,
                                 const char *arg3) {
    if (!fixture_have_python()) return false;
    const char *src = getenv("BATON_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/%s", src ? src : ".",
             script);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        size_t n = strlen(path);
        if (n > 3 && strcmp(path + n - 3, ".sh") == 0)
            execlp("bash", "bash", path, arg1, arg2, arg3, (char *)NULL);
        else
            execlp("python3", "python3", path, arg1, arg2, arg3, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[64] = "";
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        int st = 0;
        waitpid(pid, &st, 0);
        /* 77: the server's package is not installed */
        if (WIFEXITED(st) && WEXITSTATUS(st) == 77) return false;
        fail_msg("%s printed no port", script);
    }
    fclose(f);
    s->pid = pid;
    s->port = atoi(line);
    assert_true(s->port > 0);
    return true;
}

static inline void fixture_stop(fixture_server *s) {
    if (s->pid <= 0) return;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

#endif
