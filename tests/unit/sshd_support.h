/* A real OpenSSH server for tests: started on a free loopback port with
 * its own config, host key and authorized_keys (a key without and one
 * with a passphrase) in a scratch folder, and known_hosts files that
 * hold its key, another key, or nothing. Used by the run-ssh-command and
 * the command-line pack tests as a cmocka group fixture; the tests skip
 * when sshd or ssh-keygen is not installed (scripts/install-deps.sh test
 * installs openssh-server). Header-only, like activity_support.h. */
#ifndef BT_SSHD_SUPPORT_H
#define BT_SSHD_SUPPORT_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activity_support.h"

#define SSHD "/usr/sbin/sshd"
#define KEYGEN "/usr/bin/ssh-keygen"

typedef struct sshd_fixture {
    char *dir;
    pid_t pid;
    int port;
    char user[64];
    char *client_key, *locked_key, *known_hosts, *empty_known, *wrong_known;
} sshd_fixture;

static int run_quiet(char *const argv[]) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void keygen(const char *path, const char *passphrase) {
    char *argv[] = {KEYGEN, "-q", "-t", "ed25519", "-N", (char *)passphrase,
                    "-f", (char *)path, "-C", "baton-test", NULL};
    assert_int_equal(run_quiet(argv), 0);
}

static int free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static bool port_open(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static char *slurp_line(const char *path) {
    char *s = bt_harness_read_file(path);
    assert_non_null(s);
    s[strcspn(s, "\n")] = '\0';
    return s;
}

static void write_known(const char *path, int port, const char *pubfile) {
    char *pub = slurp_line(pubfile);
    char *line = NULL;
    assert_true(asprintf(&line, "[127.0.0.1]:%d %s\n", port, pub) > 0);
    bt_harness_write_file(path, line);
    free(line);
    free(pub);
}

static int sshd_setup(void **state) {
    if (access(SSHD, X_OK) != 0 || access(KEYGEN, X_OK) != 0) {
        *state = NULL;
        return 0;
    }
    sshd_fixture *f = calloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    struct passwd *pw = getpwuid(geteuid());
    assert_non_null(pw);
    snprintf(f->user, sizeof f->user, "%s", pw->pw_name);
    char *host_key = act_path(f->dir, "host_key");
    char *other_key = act_path(f->dir, "other_host_key");
    f->client_key = act_path(f->dir, "client_key");
    f->locked_key = act_path(f->dir, "locked_key");
    keygen(host_key, "");
    keygen(other_key, "");
    keygen(f->client_key, "");
    keygen(f->locked_key, "s3cret phrase");
    char *auth = act_path(f->dir, "authorized_keys");
    char *pub1 = NULL, *pub2 = NULL;
    assert_true(asprintf(&pub1, "%s.pub", f->client_key) > 0);
    assert_true(asprintf(&pub2, "%s.pub", f->locked_key) > 0);
    char *k1 = bt_harness_read_file(pub1), *k2 = bt_harness_read_file(pub2);
    char *keys = NULL;
    assert_true(asprintf(&keys, "%s%s", k1, k2) > 0);
    bt_harness_write_file(auth, keys);
    free(keys);
    free(k1);
    free(k2);
    free(pub1);
    free(pub2);
    char *config = act_path(f->dir, "sshd_config");
    char *log = act_path(f->dir, "sshd.log");
    /* Another process may take the free port before sshd binds it: then
     * sshd exits, and it is started again on another port. */
    for (int attempt = 0; attempt < 3 && f->pid <= 0; attempt++) {
        f->port = free_port();
        char *conf = NULL;
        assert_true(asprintf(&conf,
                             "Port %d\nListenAddress 127.0.0.1\nHostKey %s\n"
                             "AuthorizedKeysFile %s\nPidFile none\n"
                             "UsePAM no\nStrictModes no\n"
                             "PermitRootLogin yes\n"
                             "PasswordAuthentication yes\n"
                             "KbdInteractiveAuthentication no\n"
                             "PubkeyAuthentication yes\nLogLevel ERROR\n",
                             f->port, host_key, auth) > 0);
        bt_harness_write_file(config, conf);
        free(conf);
        /* Privilege separation needs its empty folder (made by the
         * package's service unit, which a container does not run). */
        if (geteuid() == 0) mkdir("/run/sshd", 0755);
        f->pid = fork();
        if (f->pid == 0) {
            FILE *lf = fopen(log, "w");
            if (lf) dup2(fileno(lf), 2);
            execl(SSHD, SSHD, "-D", "-e", "-f", config, (char *)NULL);
            _exit(127);
        }
        /* Wait until it listens (or has died); generous for loaded CI. */
        for (int i = 0; i < 3000 && !port_open(f->port); i++) {
            int st;
            if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
                char *text = bt_harness_read_file(log);
                fprintf(stderr, "sshd exited: %s\n", text ? text : "");
                free(text);
                f->pid = 0;
                break;
            }
            usleep(10000);
        }
    }
    free(log);
    assert_true(f->pid > 0 && port_open(f->port));
    f->known_hosts = act_path(f->dir, "known_hosts");
    f->empty_known = act_path(f->dir, "known_hosts_empty");
    f->wrong_known = act_path(f->dir, "known_hosts_wrong");
    char *hpub = NULL, *opub = NULL;
    assert_true(asprintf(&hpub, "%s.pub", host_key) > 0);
    assert_true(asprintf(&opub, "%s.pub", other_key) > 0);
    write_known(f->known_hosts, f->port, hpub);
    write_known(f->wrong_known, f->port, opub);
    bt_harness_write_file(f->empty_known, "");
    free(hpub);
    free(opub);
    free(config);
    free(auth);
    free(host_key);
    free(other_key);
    *state = f;
    return 0;
}

static int sshd_teardown(void **state) {
    sshd_fixture *f = *state;
    if (!f) return 0;
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
    }
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->client_key);
    free(f->locked_key);
    free(f->known_hosts);
    free(f->empty_known);
    free(f->wrong_known);
    free(f);
    return 0;
}

static sshd_fixture *need_sshd(void **state) {
    if (!*state) {
        fprintf(stderr, "skipped: %s or %s not installed (install "
                        "openssh-server: scripts/install-deps.sh test)\n",
                SSHD, KEYGEN);
        skip();
    }
    return *state;
}

#endif
