/* The example command-line pack, loaded and run for real: rows from a
 * pattern (df), fields from patterns (getent), fields and rows from JSON
 * paths, published data that reaches a command as one argument and never
 * as shell text, and the manifest's mistakes named with their place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "activity_support.h"
#include "sshd_support.h"
#include "harness.h"
#include "packs/packs.h"

static void load_sysinfo(void) {
    const char *src = getenv("BATON_SOURCE_DIR");
    assert_non_null(src);
    char *dir = NULL;
    assert_true(asprintf(&dir, "%s/examples/packs/sysinfo", src) >= 0);
    bt_pack_info info;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_pack_load(dir, &info, &err);
    if (rc) {
        char msg[1024];
        bt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "%s\n", msg);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(info.name, "sysinfo");
    assert_null(info.library);
    assert_int_equal(info.n_activities, 4);
    bt_pack_info_free(&info);
    free(dir);
}

static void test_rows_from_pattern(void **state) {
    (void)state;
    load_sysinfo();
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "sysinfo/disk-usage", "path: /");
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "mount"), "/");
    assert_true(atoll(act_field(rec, 0, "kbytes")) > 0);
    assert_string_equal(act_field(rec, 0, "exit_code"), "0");
    bt_harness_run_free(&run);
    /* Without path the optional group is left out: every file system. */
    rec = act_run1(&run, "sysinfo/disk-usage", "%s", "");
    act_expect_ok(rec);
    assert_true(rec->n_rows >= 1);
    bt_harness_run_free(&run);
}

static void test_fields_from_pattern(void **state) {
    (void)state;
    load_sysinfo();
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "sysinfo/user-info", "user: root");
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "uid"), "0");
    assert_string_equal(act_field(rec, 0, "home"), "/root");
    assert_true(strlen(act_field(rec, 0, "shell")) > 0);
    bt_harness_run_free(&run);
    /* getent exits 2 for an unknown user: the activity fails, naming it. */
    rec = act_run1(&run, "sysinfo/user-info", "user: no-such-user-for-baton");
    act_expect_fail(rec, "sysinfo/user-info exited with code 2");
    bt_harness_run_free(&run);
}

static void test_json_and_no_injection(void **state) {
    (void)state;
    load_sysinfo();
    bt_harness_run run;
    /* The document comes from upstream published data and holds shell
     * syntax: it must reach printf as one argument, unchanged. */
    act_run_yaml(
        "name: t\n"
        "parameters:\n"
        "  - {name: doc, type: string, default: '{\"name\": \"$(touch "
        "/tmp/baton-pwned); x`id`\", \"items\": [{\"id\": 1, \"label\": "
        "\"a;b\"}, {\"id\": 2}]}'}\n"
        "activities:\n"
        "  - {id: i, type: initialize-data}\n"
        "  - {id: a, type: sysinfo/echo-json, properties: {document: "
        "'{i.doc}'}}\n"
        "links: [{from: i, to: a}]\n",
        &run);
    const bt_activity_record *rec = bt_harness_record(&run, "a", 0);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 0, "name"),
                        "$(touch /tmp/baton-pwned); x`id`");
    assert_string_equal(act_field(rec, 0, "id"), "1");
    assert_string_equal(act_field(rec, 0, "label"), "a;b");
    assert_string_equal(act_field(rec, 1, "id"), "2");
    assert_string_equal(act_field(rec, 1, "label"), "none");
    assert_int_not_equal(access("/tmp/baton-pwned", F_OK), 0);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "sysinfo/echo-json", "document: 'not json'");
    act_expect_fail(rec, "the output is not JSON");
    bt_harness_run_free(&run);
}

static void expect_manifest_error(const char *manifest, const char *text) {
    char tmpl[] = "/tmp/baton-cmdpack-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *path = NULL;
    assert_true(asprintf(&path, "%s/pack.yaml", tmpl) >= 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(manifest, f);
    fclose(f);
    bt_error err;
    bt_error_clear(&err);
    assert_int_not_equal(bt_pack_load(tmpl, NULL, &err), 0);
    char msg[1024];
    bt_error_format(&err, msg, sizeof msg);
    if (!strstr(msg, text))
        fprintf(stderr, "'%s' lacks '%s'\n", msg, text);
    assert_non_null(strstr(msg, text));
    unlink(path);
    rmdir(tmpl);
    free(path);
}

static void test_manifest_errors(void **state) {
    (void)state;
    const char *head = "name: bad\nversion: '1'\nactivities:\n";
    char m[1024];
    snprintf(m, sizeof m, "%s  - {name: a, command: [ls, '{nope}']}\n", head);
    expect_manifest_error(m, "pack.yaml:4:29: pack 'bad' 1: activity "
                             "'bad/a': '{nope}' is not one of the "
                             "activity's properties");
    snprintf(m, sizeof m,
             "%s  - {name: a, command: [ls], published: [{name: x, regex: "
             "'(a'}]}\n",
             head);
    expect_manifest_error(m, "pattern '(a': missing closing parenthesis");
    snprintf(m, sizeof m,
             "%s  - {name: a, command: [ls], published: [{name: x, regex: "
             "'a', group: 2}]}\n",
             head);
    expect_manifest_error(m, "the pattern has no group '2'");
    snprintf(m, sizeof m, "%s  - {name: a}\n", head);
    expect_manifest_error(m, "'command' is required");
    snprintf(m, sizeof m,
             "%s  - {name: a, command: [ls], published: [{name: x, json: "
             "'$.['}]}\n",
             head);
    expect_manifest_error(m, "JSON path '$.['");
    snprintf(m, sizeof m,
             "%s  - {name: a, command: [ls]}\n  - {name: a, command: [ls]}\n",
             head);
    expect_manifest_error(m, "defined twice");
    snprintf(m, sizeof m, "%s  - {name: a, command: [ls], shell: true}\n",
             head);
    expect_manifest_error(m, "unknown field 'shell'");
}

/* A remote activity against a real sshd: the text, holding quotes and
 * shell syntax, comes back unchanged; a wrong host key fails naming it. */
static void test_remote_over_ssh(void **state) {
    sshd_fixture *f = need_sshd(state);
    load_sysinfo();
    const char *text = "it's $(touch /tmp/baton-ssh-pwned); `id` \\ ok";
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "sysinfo/remote-echo",
        "host: 127.0.0.1, port: %d, user: '%s', private_key_file: '%s', "
        "known_hosts_file: '%s', text: \"%s\"",
        f->port, f->user, f->client_key, f->known_hosts,
        "it's $(touch /tmp/baton-ssh-pwned); `id` \\\\ ok");
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "echoed"), text);
    assert_string_equal(act_field(rec, 0, "remote_user"), f->user);
    assert_string_equal(act_field(rec, 0, "exit_code"), "0");
    assert_string_equal(act_field(rec, 0, "host"), "127.0.0.1");
    assert_true(strlen(act_field(rec, 0, "host_key_fingerprint")) > 10);
    assert_int_not_equal(access("/tmp/baton-ssh-pwned", F_OK), 0);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "sysinfo/remote-echo",
                   "host: 127.0.0.1, port: %d, user: '%s', "
                   "private_key_file: '%s', known_hosts_file: '%s', text: x",
                   f->port, f->user, f->client_key, f->wrong_known);
    act_expect_fail(rec, "sysinfo/remote-echo: the host key of 127.0.0.1");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "sysinfo/remote-echo",
                   "host: 127.0.0.1, port: %d, user: '%s', text: x", f->port,
                   f->user);
    act_expect_fail(rec, "give the SSH password or private_key_file");
    bt_harness_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_from_pattern),
        cmocka_unit_test(test_fields_from_pattern),
        cmocka_unit_test(test_json_and_no_injection),
        cmocka_unit_test(test_manifest_errors),
        cmocka_unit_test(test_remote_over_ssh),
    };
    return cmocka_run_group_tests(tests, sshd_setup, sshd_teardown);
}
