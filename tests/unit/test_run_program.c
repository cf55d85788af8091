/* run-program through the engine: real child processes, exit codes,
 * capture and caps, argv without a shell, environment, working directory,
 * stdin, result codes, signals, timeouts, and per-line rows. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "proc_support.h"
#include "common/util.h"

static void run_ok(const char *yaml, bt_harness_run *run) {
    int rc = bt_harness_run_yaml(yaml, NULL, run);
    if (rc) {
        bt_diags_print(&run->diags, stderr);
        if (run->start_rc) fprintf(stderr, "%s\n", run->start_err.message);
    }
    assert_int_equal(rc, 0);
}

/* A runbook with one run-program activity `p`; props is the body of its
 * properties map, already indented by six spaces per line. */
static void run_program(const char *props, const char *extra,
                        bt_harness_run *run) {
    char *yaml = bt_xasprintf("name: rp\n"
                              "activities:\n"
                              "  - id: p\n"
                              "    type: run-program\n"
                              "%s"
                              "    properties:\n"
                              "%s",
                              extra ? extra : "", props);
    run_ok(yaml, run);
    free(yaml);
}

static const bt_activity_record *record(bt_harness_run *run) {
    const bt_activity_record *r = bt_harness_record(run, "p", 0);
    assert_non_null(r);
    return r;
}

static void assert_contains(const char *text, const char *part) {
    if (!text || !strstr(text, part)) {
        fprintf(stderr, "expected '%s' in '%s'\n", part,
                text ? text : "(null)");
        fail();
    }
}

static const char *field(bt_harness_run *run, const char *name) {
    const char *v = bt_harness_field(run, "p", name);
    assert_non_null(v);
    return v;
}

static void test_exit_code_and_capture(void **state) {
    (void)state;
    bt_harness_run run;
    run_program("      command: 'echo hello; echo oops >&2; echo'\n", NULL,
                &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "exit_code"), "0");
    assert_string_equal(field(&run, "stdout"), "hello"); /* newlines trimmed */
    assert_string_equal(field(&run, "stderr"), "oops");
    assert_string_equal(field(&run, "signal"), "");
    assert_string_equal(field(&run, "truncated"), "false");
    assert_true(atoi(field(&run, "pid")) > 0);
    double ms = -1;
    assert_true(bt_parse_double(field(&run, "process_duration_ms"), &ms));
    assert_true(ms >= 0);
    assert_non_null(bt_harness_field(&run, "p", "duration_ms"));
    bt_harness_run_free(&run);

    run_program("      command: 'echo partial; echo \"disk full\" >&2; "
                "echo more >&2; exit 3'\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "exited with code 3: disk full");
    assert_string_equal(field(&run, "exit_code"), "3");
    assert_string_equal(field(&run, "stdout"), "partial");
    assert_string_equal(field(&run, "stderr"), "disk full\nmore");
    assert_int_equal(bt_instance_result(run.inst), BT_RESULT_FAILED);
    bt_harness_run_free(&run);
}

static void test_args_bypass_the_shell(void **state) {
    (void)state;
    bt_harness_run run;
    run_program("      command: printf\n"
                "      args: ['%s|', 'a b', 'it''s \"quoted\"', '$HOME', "
                "'; rm -rf x', '']\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "stdout"),
                        "a b|it's \"quoted\"|$HOME|; rm -rf x||");
    bt_harness_run_free(&run);

    /* shell: true with args: the args are $1.. and need no quoting. */
    run_program("      command: 'printf \"<%s>\" \"$@\"'\n"
                "      shell: true\n"
                "      args: ['x y', '$(id)']\n",
                NULL, &run);
    assert_string_equal(field(&run, "stdout"), "<x y><$(id)>");
    bt_harness_run_free(&run);
}

static void test_environment(void **state) {
    (void)state;
    bt_harness_run run;
    setenv("BATON_TEST_INHERITED", "from-parent", 1);
    run_program("      command: 'echo \"$GREETING/$BATON_TEST_INHERITED\"'\n"
                "      env: {GREETING: 'hi there'}\n",
                NULL, &run);
    assert_string_equal(field(&run, "stdout"), "hi there/from-parent");
    bt_harness_run_free(&run);

    /* Overriding an inherited variable replaces it. */
    run_program("      command: /usr/bin/env\n"
                "      args: []\n"
                "      env: {BATON_TEST_INHERITED: replaced}\n",
                NULL, &run);
    assert_contains(field(&run, "stdout"), "BATON_TEST_INHERITED=replaced");
    assert_null(strstr(field(&run, "stdout"), "from-parent"));
    bt_harness_run_free(&run);

    run_program("      command: /usr/bin/env\n"
                "      args: []\n"
                "      clear_env: true\n"
                "      env: {ONLY: this}\n",
                NULL, &run);
    assert_string_equal(field(&run, "stdout"), "ONLY=this");
    bt_harness_run_free(&run);
    unsetenv("BATON_TEST_INHERITED");
}

static void test_working_dir(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char real[PATH_MAX];
    assert_non_null(realpath(dir, real));
    char *props = bt_xasprintf("      command: pwd -P\n"
                               "      working_dir: '%s'\n",
                               dir);
    bt_harness_run run;
    run_program(props, NULL, &run);
    assert_string_equal(field(&run, "stdout"), real);
    bt_harness_run_free(&run);
    free(props);

    props = bt_xasprintf("      command: pwd\n"
                         "      working_dir: '%s/missing'\n",
                         dir);
    run_program(props, NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "working_dir");
    assert_contains(record(&run)->error, "is not a directory");
    bt_harness_run_free(&run);
    free(props);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_stdin_input(void **state) {
    (void)state;
    bt_harness_run run;
    run_program("      command: tr\n"
                "      args: [a-z, A-Z]\n"
                "      input: \"hello\\nworld\\n\"\n",
                NULL, &run);
    assert_string_equal(field(&run, "stdout"), "HELLO\nWORLD");
    bt_harness_run_free(&run);

    /* Without input, stdin is /dev/null: a reader ends at once. */
    run_program("      command: 'cat; echo done'\n", NULL, &run);
    assert_string_equal(field(&run, "stdout"), "done");
    bt_harness_run_free(&run);
}

static void test_output_cap(void **state) {
    (void)state;
    bt_harness_run run;
    /* 10 MB of output through the default 1 MiB cap: the child is not
     * blocked (it exits 0), the first MiB is kept. */
    run_program("      command: \"head -c 10000000 /dev/zero | tr '\\\\0' x; "
                "echo tail >&2\"\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "truncated"), "true");
    assert_int_equal(strlen(field(&run, "stdout")), 1 << 20);
    assert_int_equal(field(&run, "stdout")[0], 'x');
    assert_string_equal(field(&run, "stderr"), "tail");
    bt_harness_run_free(&run);

    run_program("      command: 'seq 1 1000'\n"
                "      max_output: 10\n",
                NULL, &run);
    assert_string_equal(field(&run, "stdout"), "1\n2\n3\n4\n5"); /* 10 bytes,
                                                                     trimmed */
    assert_string_equal(field(&run, "truncated"), "true");
    bt_harness_run_free(&run);
}

static void test_success_and_warning_codes(void **state) {
    (void)state;
    bt_harness_run run;
    run_program("      command: 'exit 3'\n"
                "      success_codes: [0, 3]\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "exit_code"), "3");
    bt_harness_run_free(&run);

    run_program("      command: 'echo \"low disk\" >&2; exit 4'\n"
                "      warning_codes: [4]\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_WARNING);
    assert_contains(record(&run)->error, "exited with code 4: low disk");
    bt_harness_run_free(&run);

    /* 0 is not a success once success_codes says otherwise. */
    run_program("      command: 'true'\n"
                "      success_codes: [1]\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "exited with code 0");
    bt_harness_run_free(&run);

    run_program("      command: 'true'\n"
                "      success_codes: [zero]\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error,
                    "property 'success_codes': 'zero' is not an exit code");
    bt_harness_run_free(&run);
}

static void test_killed_by_signal(void **state) {
    (void)state;
    bt_harness_run run;
    run_program("      command: 'kill -TERM $$'\n", NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "killed by signal SIGTERM");
    assert_string_equal(field(&run, "signal"), "SIGTERM");
    assert_string_equal(field(&run, "exit_code"), "");
    bt_harness_run_free(&run);
}

static void test_timeout_kills_the_process(void **state) {
    (void)state;
    bt_harness_run run;
    uint64_t t0 = bt_mono_us();
    run_program("      command: sleep\n"
                "      args: ['30']\n",
                "    timeout: 200ms\n", &run);
    assert_true(bt_mono_us() - t0 < 20 * 1000000ull); /* well before 30 s */
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "timed out");
    pid_t pid = (pid_t)atoi(field(&run, "pid"));
    assert_true(pid > 0);
    assert_true(kill(pid, 0) != 0 || bt_test_process_gone(pid));
    bt_harness_run_free(&run);

    /* Through a shell, with a background child: the whole group goes. */
    char *dir = bt_harness_tmpdir();
    char *pidfile = bt_harness_path(dir, "bg.pid");
    char *props = bt_xasprintf("      command: 'sleep 30 & echo $! > %s; "
                               "wait'\n",
                               pidfile);
    t0 = bt_mono_us();
    run_program(props, "    timeout: 300ms\n", &run);
    assert_true(bt_mono_us() - t0 < 20 * 1000000ull);
    assert_contains(record(&run)->error, "timed out");
    /* The pipes only reach EOF once every holder is dead, so if the shell
     * got as far as starting the sleep, it is gone now. */
    char *bg = bt_harness_read_file(pidfile);
    if (bg && atoi(bg) > 0)
        assert_true(bt_test_process_gone((pid_t)atoi(bg)));
    free(bg);
    bt_harness_run_free(&run);
    free(props);
    free(pidfile);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_split_lines_fans_out(void **state) {
    (void)state;
    bt_harness_run run;
    run_ok("name: split\n"
           "activities:\n"
           "  - id: p\n"
           "    type: run-program\n"
           "    properties:\n"
           "      command: \"printf 'web01\\\\nweb02\\\\r\\\\nweb03'\"\n"
           "      split_lines: true\n"
           "  - id: each\n"
           "    type: run-program\n"
           "    properties:\n"
           "      command: echo\n"
           "      args: ['{p.line_number}:{p.line}']\n"
           "links:\n"
           "  - {from: p, to: each}\n",
           &run);
    const bt_activity_record *p = record(&run);
    assert_int_equal(p->result, BT_RESULT_SUCCESS);
    assert_int_equal(p->n_rows, 3);
    assert_string_equal(bt_row_get(p->rows[1], "line"), "web02");
    assert_string_equal(bt_row_get(p->rows[2], "line_number"), "3");
    assert_string_equal(bt_row_get(p->rows[2], "exit_code"), "0");
    /* The whole output is in the first row only. */
    assert_string_equal(bt_row_get(p->rows[0], "stdout"),
                        "web01\nweb02\r\nweb03");
    assert_string_equal(bt_row_get(p->rows[2], "stdout"), "");
    /* The three run side by side, so they may finish in any order. */
    assert_int_equal(bt_harness_record_count(&run, "each"), 3);
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < 3; i++) {
        const bt_activity_record *e = bt_harness_record(&run, "each", i);
        const char *out = bt_row_get(e->rows[0], "stdout");
        int n = out[0] - '1';
        assert_true(n >= 0 && n < 3 && !seen[n]);
        seen[n] = true;
        char want[16];
        snprintf(want, sizeof want, "%d:web0%d", n + 1, n + 1);
        assert_string_equal(out, want);
    }
    bt_harness_run_free(&run);

    /* No output: no rows, so nothing downstream runs. */
    run_ok("name: split-empty\n"
           "activities:\n"
           "  - {id: p, type: run-program, properties: {command: 'true', "
           "split_lines: true}}\n"
           "  - {id: each, type: run-program, properties: {command: "
           "'echo {p.line}'}}\n"
           "links:\n"
           "  - {from: p, to: each}\n",
           &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_int_equal(bt_harness_record_count(&run, "each"), 0);
    bt_harness_run_free(&run);
}

static void test_program_not_found(void **state) {
    (void)state;
    bt_harness_run run;
    run_program("      command: no-such-program-baton\n"
                "      args: [x]\n",
                NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error,
                    "'no-such-program-baton' could not start: not found in "
                    "PATH");
    assert_string_equal(field(&run, "pid"), "");
    bt_harness_run_free(&run);

    run_program("      command: /no/such/program\n"
                "      shell: false\n",
                NULL, &run);
    assert_contains(record(&run)->error, "could not start: no such file");
    bt_harness_run_free(&run);
}

static void test_path_from_env(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *tool = bt_harness_path(dir, "baton-tool");
    bt_harness_write_file(tool, "#!/bin/sh\necho \"tool:$1\"\n");
    chmod(tool, 0755);
    char *plain = bt_harness_path(dir, "baton-plain");
    bt_harness_write_file(plain, "#!/bin/sh\n");
    chmod(plain, 0644);
    /* A PATH set in env is where the program is looked up. */
    char *props = bt_xasprintf("      command: baton-tool\n"
                               "      args: [x]\n"
                               "      env: {PATH: '/nonexistent:%s'}\n",
                               dir);
    bt_harness_run run;
    run_program(props, NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "stdout"), "tool:x");
    bt_harness_run_free(&run);
    free(props);

    props = bt_xasprintf("      command: baton-plain\n"
                         "      args: []\n"
                         "      env: {PATH: '%s'}\n",
                         dir);
    run_program(props, NULL, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "permission denied");
    bt_harness_run_free(&run);
    free(props);
    free(plain);
    free(tool);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_references_in_properties(void **state) {
    (void)state;
    bt_harness_run run;
    run_ok("name: refs\n"
           "activities:\n"
           "  - {id: a, type: run-program, properties: {command: 'echo "
           "web01'}}\n"
           "  - id: p\n"
           "    type: run-program\n"
           "    properties:\n"
           "      command: 'echo \"$HOST\"'\n"
           "      shell: true\n"
           "      args: []\n"
           "      env: {HOST: '{a.stdout}'}\n"
           "links:\n"
           "  - {from: a, to: p, when: '{a.exit_code} == 0'}\n",
           &run);
    assert_string_equal(field(&run, "stdout"), "web01");
    bt_harness_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code_and_capture),
        cmocka_unit_test(test_args_bypass_the_shell),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_working_dir),
        cmocka_unit_test(test_stdin_input),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_success_and_warning_codes),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_timeout_kills_the_process),
        cmocka_unit_test(test_split_lines_fans_out),
        cmocka_unit_test(test_program_not_found),
        cmocka_unit_test(test_path_from_env),
        cmocka_unit_test(test_references_in_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
