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
#include "sshd_support.h"

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
