/* run-ssh-command against a real OpenSSH server started here on a free
 * loopback port, with its own config, host key and authorized_keys in a
 * scratch folder. Skips when sshd or ssh-keygen is not installed
 * (scripts/install-deps.sh test installs openssh-server). */
#include <arpa/inet.h>
#include <errno.h>
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
#include <time.h>
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

static void test_ssh_key_auth_command(void **state) {
    sshd_fixture *f = need_sshd(state);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "run-ssh-command",
        "host: 127.0.0.1, port: %d, user: '%s', private_key_file: '%s', "
        "known_hosts_file: '%s', command: 'echo out; echo err >&2; exit 3', "
        "success_codes: [3]",
        f->port, f->user, f->client_key, f->known_hosts);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "exit_code"), "3");
    assert_string_equal(act_field(rec, 0, "stdout"), "out");
    assert_string_equal(act_field(rec, 0, "stderr"), "err");
    assert_string_equal(act_field(rec, 0, "host"), "127.0.0.1");
    assert_non_null(strstr(act_field(rec, 0, "host_key_fingerprint"),
                           "SHA256:"));
    bt_harness_run_free(&run);

    /* By default a non-zero code fails, quoting stderr. */
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "command: 'echo broken >&2; exit 2'",
                   f->port, f->user, f->client_key, f->known_hosts);
    act_expect_fail(rec, "exited with code 2: broken");
    assert_string_equal(act_field(rec, 0, "exit_code"), "2");
    bt_harness_run_free(&run);

    /* Standard input, and a script fed to the interpreter. */
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "command: 'tr a-z A-Z', input: \"it's {a};$(x)\"",
                   f->port, f->user, f->client_key, f->known_hosts);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "stdout"), "IT'S {A};$(X)");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "script: \"x=4\\necho $((x * 2))\\n\"",
                   f->port, f->user, f->client_key, f->known_hosts);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "stdout"), "8");
    bt_harness_run_free(&run);

    /* A key with a passphrase. */
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', passphrase: 's3cret phrase', "
                   "known_hosts_file: '%s', command: 'echo locked'",
                   f->port, f->user, f->locked_key, f->known_hosts);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "stdout"), "locked");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', passphrase: wrong, "
                   "known_hosts_file: '%s', command: 'echo locked'",
                   f->port, f->user, f->locked_key, f->known_hosts);
    act_expect_fail(rec, "cannot load private key");
    bt_harness_run_free(&run);
}

static void test_ssh_host_keys(void **state) {
    sshd_fixture *f = need_sshd(state);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "run-ssh-command",
        "host: 127.0.0.1, port: %d, user: '%s', private_key_file: '%s', "
        "known_hosts_file: '%s', command: 'echo hi'",
        f->port, f->user, f->client_key, f->empty_known);
    act_expect_fail(rec, "is not in '");
    act_expect_fail(rec, "host_key_check: accept-new");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "command: 'echo changed'",
                   f->port, f->user, f->client_key, f->wrong_known);
    act_expect_fail(rec, "does not match the one in");
    bt_harness_run_free(&run);
    /* accept-new never accepts a changed key. */
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "host_key_check: accept-new, command: 'echo changed'",
                   f->port, f->user, f->client_key, f->wrong_known);
    act_expect_fail(rec, "does not match the one in");
    bt_harness_run_free(&run);

    /* accept-new records a new host; strict then trusts it. */
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "host_key_check: accept-new, command: 'echo new'",
                   f->port, f->user, f->client_key, f->empty_known);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    char *known = bt_harness_read_file(f->empty_known);
    assert_non_null(known);
    assert_non_null(strstr(known, "127.0.0.1"));
    free(known);
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "command: 'echo again'",
                   f->port, f->user, f->client_key, f->empty_known);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "stdout"), "again");
    bt_harness_run_free(&run);
}

static void test_ssh_refusals(void **state) {
    sshd_fixture *f = need_sshd(state);
    bt_harness_run run;
    /* Password authentication reaches the server, which refuses a wrong
     * password (this test cannot know a right one: see the docs). */
    const bt_activity_record *rec = act_run1(
        &run, "run-ssh-command",
        "host: 127.0.0.1, port: %d, user: '%s', password: 'not-it', "
        "known_hosts_file: '%s', command: 'echo hi'",
        f->port, f->user, f->known_hosts);
    act_expect_fail(rec, "refused the password for user");
    bt_harness_run_free(&run);

    int closed = free_port();
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', password: x, "
                   "known_hosts_file: '%s', command: 'echo hi'",
                   closed, f->user, f->known_hosts);
    act_expect_fail(rec, "cannot connect on 127.0.0.1 port");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, user: x, password: x, command: a, "
                   "script: b");
    act_expect_fail(rec, "exactly one of 'command' and 'script'");
    bt_harness_run_free(&run);

    /* The timeout bounds a command that runs too long. */
    rec = act_run1(&run, "run-ssh-command",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', "
                   "command: 'sleep 30', timeout: 2s",
                   f->port, f->user, f->client_key, f->known_hosts);
    act_expect_fail(rec, "did not finish within the timeout");
    bt_harness_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_key_auth_command),
        cmocka_unit_test(test_ssh_host_keys),
        cmocka_unit_test(test_ssh_refusals),
    };
    return cmocka_run_group_tests(tests, sshd_setup, sshd_teardown);
}
