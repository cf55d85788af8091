/* run-script through the engine: sh, bash and python3 scripts, arguments,
 * $BATON_OUTPUT publishing (one row and many), bad output lines, missing
 * interpreters, and the temporary files being removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "common/util.h"

static void run_ok(const char *yaml, bt_harness_run *run) {
    int rc = bt_harness_run_yaml(yaml, NULL, run);
    if (rc) {
        bt_diags_print(&run->diags, stderr);
        if (run->start_rc) fprintf(stderr, "%s\n", run->start_err.message);
    }
    assert_int_equal(rc, 0);
}

/* One run-script activity `s`; body holds its lines after `type:`. */
static void run_script(const char *body, bt_harness_run *run) {
    char *yaml = bt_xasprintf("name: rs\n"
                              "activities:\n"
                              "  - id: s\n"
                              "    type: run-script\n"
                              "%s",
                              body);
    run_ok(yaml, run);
    free(yaml);
}

static const bt_activity_record *record(bt_harness_run *run) {
    const bt_activity_record *r = bt_harness_record(run, "s", 0);
    assert_non_null(r);
    return r;
}

static const char *field(bt_harness_run *run, const char *name) {
    const char *v = bt_harness_field(run, "s", name);
    if (!v) fprintf(stderr, "no field '%s'\n", name);
    assert_non_null(v);
    return v;
}

static void assert_contains(const char *text, const char *part) {
    if (!text || !strstr(text, part)) {
        fprintf(stderr, "expected '%s' in '%s'\n", part,
                text ? text : "(null)");
        fail();
    }
}

static void test_sh_publishes_output(void **state) {
    (void)state;
    bt_harness_run run;
    run_script("    publishes: [host, port, missing]\n"
               "    properties:\n"
               "      script: |\n"
               "        echo working\n"
               "        echo \"host=web01\" >> \"$BATON_OUTPUT\"\n"
               "        echo \"port=8080\" >> \"$BATON_OUTPUT\"\n"
               "        echo \"url=http://x/?a=b\" >> \"$BATON_OUTPUT\"\n"
               "  - id: after\n"
               "    type: return-data\n"
               "    properties: {host: '{s.host}', missing: '[{s.missing}]'}\n"
               "links:\n"
               "  - {from: s, to: after}\n",
               &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "host"), "web01");
    assert_string_equal(field(&run, "port"), "8080");
    assert_string_equal(field(&run, "url"), "http://x/?a=b");
    assert_string_equal(field(&run, "missing"), "");
    assert_string_equal(field(&run, "stdout"), "working");
    assert_string_equal(field(&run, "exit_code"), "0");
    const bt_row *ret = bt_instance_returned(run.inst);
    assert_string_equal(bt_row_get(ret, "host"), "web01");
    assert_string_equal(bt_row_get(ret, "missing"), "[]");
    bt_harness_run_free(&run);
}

static void test_bash_and_args(void **state) {
    (void)state;
    bt_harness_run run;
    run_script("    publishes: [count, joined]\n"
               "    properties:\n"
               "      interpreter: bash\n"
               "      args: [one, 'two words']\n"
               "      script: |\n"
               "        arr=(\"$@\")\n"
               "        echo \"count=${#arr[@]}\" >> \"$BATON_OUTPUT\"\n"
               "        echo \"joined=${arr[1]}|${arr[0]}\" >> "
               "\"$BATON_OUTPUT\"\n",
               &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "count"), "2");
    assert_string_equal(field(&run, "joined"), "two words|one");
    bt_harness_run_free(&run);
}

static void test_python3(void **state) {
    (void)state;
    bt_harness_run run;
    run_script("    publishes: [answer, arg]\n"
               "    properties:\n"
               "      interpreter: python3\n"
               "      args: ['--flag']\n"
               "      env: {FACTOR: '6'}\n"
               "      script: |\n"
               "        import os, sys\n"
               "        with open(os.environ['BATON_OUTPUT'], 'a') as f:\n"
               "            n = int(os.environ['FACTOR']) * 7\n"
               "            f.write(f\"answer={n}\\n\")\n"
               "            f.write(f\"arg={sys.argv[1]}\\n\")\n"
               "        print('done')\n",
               &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    assert_string_equal(field(&run, "answer"), "42");
    assert_string_equal(field(&run, "arg"), "--flag");
    assert_string_equal(field(&run, "stdout"), "done");
    bt_harness_run_free(&run);
}

static void test_multi_row_output(void **state) {
    (void)state;
    bt_harness_run run;
    run_script("    publishes: [host, port]\n"
               "    properties:\n"
               "      script: |\n"
               "        echo chatter\n"
               "        cat > \"$BATON_OUTPUT\" <<'EOF'\n"
               "        ---\n"
               "        host=a\n"
               "        port=1\n"
               "        ---\n"
               "\n"
               "        host=b\n"
               "        ---\n"
               "        host=c\n"
               "        port=3\n"
               "        ---\n"
               "        EOF\n"
               "  - id: each\n"
               "    type: return-data\n"
               "    properties: {last: '{s.host}:{s.port}'}\n"
               "links:\n"
               "  - {from: s, to: each}\n",
               &run);
    const bt_activity_record *s = record(&run);
    assert_int_equal(s->result, BT_RESULT_SUCCESS);
    assert_int_equal(s->n_rows, 3);
    assert_string_equal(bt_row_get(s->rows[0], "host"), "a");
    assert_string_equal(bt_row_get(s->rows[1], "host"), "b");
    assert_string_equal(bt_row_get(s->rows[1], "port"), ""); /* declared */
    assert_string_equal(bt_row_get(s->rows[2], "port"), "3");
    /* Process fields in every row, the output in the first only. */
    assert_string_equal(bt_row_get(s->rows[2], "exit_code"), "0");
    assert_string_equal(bt_row_get(s->rows[0], "stdout"), "chatter");
    assert_string_equal(bt_row_get(s->rows[2], "stdout"), "");
    assert_int_equal(bt_harness_record_count(&run, "each"), 3);
    assert_string_equal(
        bt_row_get(bt_harness_record(&run, "each", 1)->rows[0], "last"),
        "b:");
    bt_harness_run_free(&run);
}

static void test_bad_output_lines_warn(void **state) {
    (void)state;
    bt_harness_run run;
    run_script("    properties:\n"
               "      script: |\n"
               "        printf 'good=1\\nnot a pair\\n9bad=2\\nstatus=x\\n' "
               "> \"$BATON_OUTPUT\"\n",
               &run);
    assert_int_equal(record(&run)->result, BT_RESULT_WARNING);
    assert_contains(record(&run)->error, "BATON_OUTPUT line 2");
    assert_contains(record(&run)->error, "'not a pair'");
    assert_string_equal(field(&run, "good"), "1");
    assert_null(bt_harness_field(&run, "s", "9bad"));
    /* status stays Baton's own. */
    assert_string_equal(field(&run, "status"), "warning");
    bt_harness_run_free(&run);
}

static void test_failures(void **state) {
    (void)state;
    bt_harness_run run;
    run_script("    properties:\n"
               "      interpreter: no-such-interpreter-baton\n"
               "      script: 'echo hi'\n",
               &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error,
                    "interpreter 'no-such-interpreter-baton' could not "
                    "start: not found in PATH");
    bt_harness_run_free(&run);

    run_script("    properties:\n"
               "      script: |\n"
               "        echo partial=yes >> \"$BATON_OUTPUT\"\n"
               "        echo 'cannot reach db' >&2\n"
               "        exit 2\n",
               &run);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "exited with code 2: cannot reach db");
    assert_string_equal(field(&run, "partial"), "yes");
    assert_string_equal(field(&run, "exit_code"), "2");
    bt_harness_run_free(&run);
}

static void test_temp_files_removed(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *note = bt_harness_path(dir, "seen");
    char *body = bt_xasprintf("    properties:\n"
                              "      working_dir: '%s'\n"
                              "      script: |\n"
                              "        echo \"$0\" > seen\n"
                              "        echo \"$BATON_OUTPUT\" >> seen\n"
                              "        ls -ld \"$(dirname \"$0\")\" | "
                              "cut -c1-10 >> seen\n",
                              dir);
    bt_harness_run run;
    run_script(body, &run);
    assert_int_equal(record(&run)->result, BT_RESULT_SUCCESS);
    char *seen = bt_harness_read_file(note);
    assert_non_null(seen);
    char script[512], output[512], mode[32];
    assert_int_equal(sscanf(seen, "%511s %511s %31s", script, output, mode),
                     3);
    assert_string_equal(mode, "drwx------");
    assert_int_not_equal(access(script, F_OK), 0);
    assert_int_not_equal(access(output, F_OK), 0);
    *strrchr(script, '/') = '\0';
    assert_int_not_equal(access(script, F_OK), 0);
    free(seen);
    bt_harness_run_free(&run);
    free(body);
    free(note);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_timeout(void **state) {
    (void)state;
    bt_harness_run run;
    uint64_t t0 = bt_mono_us();
    run_script("    timeout: 200ms\n"
               "    properties:\n"
               "      script: 'sleep 30'\n",
               &run);
    assert_true(bt_mono_us() - t0 < 20 * 1000000ull);
    assert_int_equal(record(&run)->result, BT_RESULT_FAILED);
    assert_contains(record(&run)->error, "timed out");
    bt_harness_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sh_publishes_output),
        cmocka_unit_test(test_bash_and_args),
        cmocka_unit_test(test_python3),
        cmocka_unit_test(test_multi_row_output),
        cmocka_unit_test(test_bad_output_lines_warn),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_temp_files_removed),
        cmocka_unit_test(test_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
