/* pgp-encrypt-file and pgp-decrypt-file with throw-away keyrings made here
 * by gpg: Alice's (secret key without passphrase), Bob's (secret key with
 * one), and a public-only keyring holding both public keys. Skipped when
 * gpg is not installed (scripts/install-deps.sh test installs gnupg). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activity_support.h"

#define GPG "/usr/bin/gpg"
#define GPGCONF "/usr/bin/gpgconf"

typedef struct keyrings {
    char *dir, *alice, *bob, *pub;
} keyrings;

static int run_quiet(char *const argv[]) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
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

static char *make_home(const char *dir, const char *name) {
    char *home = act_path(dir, name);
    assert_int_equal(mkdir(home, 0700), 0);
    return home;
}

static void gen_key(const char *home, const char *uid, const char *pass) {
    char *argv[] = {GPG, "--batch", "--homedir", (char *)home,
                    "--pinentry-mode", "loopback", "--passphrase",
                    (char *)pass, "--quick-gen-key", (char *)uid,
                    "future-default", "default", "never", NULL};
    assert_int_equal(run_quiet(argv), 0);
}

static void copy_public(const char *from, const char *uid, const char *to,
                        const char *dir) {
    char *file = act_path(dir, "pub.key");
    char *exp[] = {GPG, "--batch", "--yes", "--homedir", (char *)from,
                   "--output", file, "--export", (char *)uid, NULL};
    assert_int_equal(run_quiet(exp), 0);
    char *imp[] = {GPG, "--batch", "--homedir", (char *)to, "--import", file,
                   NULL};
    assert_int_equal(run_quiet(imp), 0);
    free(file);
}

static int pgp_setup(void **state) {
    *state = NULL;
    if (access(GPG, X_OK) != 0) return 0;
    keyrings *k = calloc(1, sizeof *k);
    k->dir = bt_harness_tmpdir();
    k->alice = make_home(k->dir, "a");
    k->bob = make_home(k->dir, "b");
    k->pub = make_home(k->dir, "p");
    gen_key(k->alice, "Alice <alice@example.com>", "");
    gen_key(k->bob, "Bob <bob@example.com>", "bob's secret");
    copy_public(k->alice, "alice@example.com", k->pub, k->dir);
    copy_public(k->bob, "bob@example.com", k->pub, k->dir);
    *state = k;
    return 0;
}

static int pgp_teardown(void **state) {
    keyrings *k = *state;
    if (!k) return 0;
    /* Each keyring started a gpg-agent: stop them. */
    const char *homes[] = {k->alice, k->bob, k->pub};
    for (int i = 0; i < 3; i++) {
        char *argv[] = {GPGCONF, "--homedir", (char *)homes[i], "--kill",
                        "all", NULL};
        (void)run_quiet(argv);
    }
    bt_harness_rmrf(k->dir);
    free(k->dir);
    free(k->alice);
    free(k->bob);
    free(k->pub);
    free(k);
    return 0;
}

static keyrings *need_gpg(void **state) {
    if (!*state) {
        fprintf(stderr, "skipped: %s not installed (install gnupg: "
                        "scripts/install-deps.sh test)\n",
                GPG);
        skip();
    }
    return *state;
}

static void test_pgp_round_trip(void **state) {
    keyrings *k = need_gpg(state);
    char *plain = act_path(k->dir, "report.csv");
    bt_harness_write_file(plain, "id,amount\n1,100\n");
    bt_harness_run run;
    /* Encrypt with the public-only keyring to both recipients. */
    const bt_activity_record *rec = act_run1(
        &run, "pgp-encrypt-file",
        "path: '%s', gnupghome: '%s', recipients: [alice@example.com, "
        "bob@example.com]",
        plain, k->pub);
    act_expect_ok(rec);
    char *enc = act_path(k->dir, "report.csv.gpg");
    assert_string_equal(act_field(rec, 0, "output_path"), enc);
    assert_non_null(strchr(act_field(rec, 0, "recipients"), ','));
    char *raw = bt_harness_read_file(enc);
    assert_non_null(raw);
    assert_null(strstr(raw, "amount"));
    free(raw);
    bt_harness_run_free(&run);

    /* Alice decrypts without a passphrase; output drops the .gpg. */
    unlink(plain);
    rec = act_run1(&run, "pgp-decrypt-file", "path: '%s', gnupghome: '%s'",
                   enc, k->alice);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "output_path"), plain);
    act_assert_file(plain, "id,amount\n1,100\n");
    assert_true(strlen(act_field(rec, 0, "key_id")) >= 16);
    bt_harness_run_free(&run);

    /* Bob needs his passphrase. */
    char *bob_out = act_path(k->dir, "bob.csv");
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', output_path: '%s'", enc,
                   k->bob, bob_out);
    act_expect_fail(rec, "needs a passphrase and none was given");
    assert_false(act_exists(bob_out));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', output_path: '%s', "
                   "passphrase: 'wrong'",
                   enc, k->bob, bob_out);
    act_expect_fail(rec, "the one given is wrong");
    assert_false(act_exists(bob_out));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', output_path: '%s', "
                   "passphrase: \"bob's secret\"",
                   enc, k->bob, bob_out);
    act_expect_ok(rec);
    act_assert_file(bob_out, "id,amount\n1,100\n");
    bt_harness_run_free(&run);

    /* The output exists now: fail, then rename. */
    rec = act_run1(&run, "pgp-decrypt-file", "path: '%s', gnupghome: '%s'",
                   enc, k->alice);
    act_expect_fail(rec, "report.csv' already exists");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', if_exists: rename", enc,
                   k->alice);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "renamed");
    bt_harness_run_free(&run);
    free(bob_out);
    free(enc);
    free(plain);
}

static void test_pgp_armor_and_errors(void **state) {
    keyrings *k = need_gpg(state);
    char *plain = act_path(k->dir, "note.txt");
    bt_harness_write_file(plain, "hello\n");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "pgp-encrypt-file",
        "path: '%s', gnupghome: '%s', recipients: alice@example.com, "
        "armor: true",
        plain, k->pub);
    act_expect_ok(rec);
    char *asc = act_path(k->dir, "note.txt.asc");
    char *text = bt_harness_read_file(asc);
    assert_non_null(text);
    assert_true(strncmp(text, "-----BEGIN PGP MESSAGE-----", 27) == 0);
    free(text);
    bt_harness_run_free(&run);
    char *back = act_path(k->dir, "note.back");
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', output_path: '%s'", asc,
                   k->alice, back);
    act_expect_ok(rec);
    act_assert_file(back, "hello\n");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "pgp-encrypt-file",
                   "path: '%s', gnupghome: '%s', recipients: "
                   "carol@example.com",
                   plain, k->pub);
    act_expect_fail(rec, "no usable public key for recipient "
                         "'carol@example.com' in keyring");
    bt_harness_run_free(&run);

    /* A keyring without the secret key cannot decrypt. */
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', output_path: '%s/x'", asc,
                   k->pub, k->dir);
    act_expect_fail(rec, "no secret key for it in keyring");
    bt_harness_run_free(&run);

    /* Not an encrypted file. */
    rec = act_run1(&run, "pgp-decrypt-file",
                   "path: '%s', gnupghome: '%s', output_path: '%s/y'", plain,
                   k->alice, k->dir);
    act_expect_fail(rec, "cannot decrypt '");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "pgp-encrypt-file",
                   "path: '%s', gnupghome: '%s/none', recipients: x", plain,
                   k->dir);
    act_expect_fail(rec, "(gnupghome) does not exist");
    bt_harness_run_free(&run);
    free(back);
    free(asc);
    free(plain);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pgp_round_trip),
        cmocka_unit_test(test_pgp_armor_and_errors),
    };
    return cmocka_run_group_tests(tests, pgp_setup, pgp_teardown);
}
