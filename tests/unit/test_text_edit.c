/* Text activities that select and rewrite lines: get-lines, delete-line,
 * insert-line, against real files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "activity_support.h"

static void write_bytes(const char *path, const char *data) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
    assert_int_equal(fclose(f), 0);
}

static mode_t mode_of(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- get-lines -------------------------------------------------------- */

static void test_get_lines_range_and_pattern(void **state) {
    char *f = act_path(*state, "log.txt");
    write_bytes(f, "INFO start\r\nERROR disk\nINFO more\nerror net\nERROR end");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "get-lines", "path: '%s', lines: '2-END'", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 4);
    assert_string_equal(act_field(rec, 0, "line_number"), "2");
    assert_string_equal(act_field(rec, 3, "line"), "ERROR end");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-lines",
                   "path: '%s', pattern: 'error', case_sensitive: false", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 3);
    assert_string_equal(act_field(rec, 0, "line_number"), "2");
    assert_string_equal(act_field(rec, 1, "line"), "error net");
    assert_string_equal(act_field(rec, 2, "line_number"), "5");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-lines",
                   "path: '%s', pattern: '^INFO', mode: regex, invert: true, "
                   "lines: '1-4'",
                   f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 0, "line"), "ERROR disk");
    assert_string_equal(act_field(rec, 1, "line"), "error net");
    bt_harness_run_free(&run);

    /* Nothing matches: success with zero rows. */
    rec = act_run1(&run, "get-lines", "path: '%s', pattern: 'WARN'", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 0);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-lines", "path: '%s', lines: 'END'", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "line_number"), "5");
    bt_harness_run_free(&run);

    char *missing = act_path(*state, "nope.txt");
    rec = act_run1(&run, "get-lines", "path: '%s'", missing);
    act_expect_fail(rec, "get-lines: ");
    act_expect_fail(rec, "nope.txt' does not exist");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "get-lines", "path: 'rel.txt'");
    act_expect_fail(rec, "absolute path");
    bt_harness_run_free(&run);
    free(missing);
    free(f);
}

/* ---- delete-line ------------------------------------------------------ */

static void test_delete_line(void **state) {
    char *f = act_path(*state, "hosts.txt");
    write_bytes(f, "a\r\nb\r\nc\r\nd\r\ne");
    assert_int_equal(chmod(f, 0640), 0);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "delete-line", "path: '%s', lines: '2,END'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "lines_deleted"), "2");
    assert_string_equal(act_field(rec, 0, "line_count"), "3");
    /* Kept lines keep their CRLF endings; the mode is kept. */
    act_assert_file(f, "a\r\nc\r\nd\r\n");
    assert_int_equal(mode_of(f), 0640);
    bt_harness_run_free(&run);

    write_bytes(f, "keep 1\n# drop\nkeep 2\n# drop too\n# kept: out of range\n");
    rec = act_run1(&run, "delete-line",
                   "path: '%s', pattern: '^#', mode: regex, lines: '1-4'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "lines_deleted"), "2");
    act_assert_file(f, "keep 1\nkeep 2\n# kept: out of range\n");
    bt_harness_run_free(&run);

    /* Neither lines nor pattern: refused rather than emptying the file. */
    rec = act_run1(&run, "delete-line", "path: '%s'", f);
    act_expect_fail(rec, "set 'lines', 'pattern' or both");
    act_assert_file(f, "keep 1\nkeep 2\n# kept: out of range\n");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-line", "path: '%s', lines: '9'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "lines_deleted"), "0");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-line", "path: '%s', lines: 'x-'", f);
    assert_int_equal(rec->result, BT_RESULT_FAILED);
    bt_harness_run_free(&run);
    free(f);
}

/* ---- insert-line ------------------------------------------------------ */

static void test_insert_line(void **state) {
    char *f = act_path(*state, "conf.txt");
    write_bytes(f, "one\ntwo\nthree");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "insert-line", "path: '%s', line: '2', text: 'new'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "line_number"), "2");
    assert_string_equal(act_field(rec, 0, "lines_inserted"), "1");
    assert_string_equal(act_field(rec, 0, "line_count"), "4");
    act_assert_file(f, "one\nnew\ntwo\nthree");
    bt_harness_run_free(&run);

    /* END after an unterminated last line: that line gets its newline. */
    rec = act_run1(&run, "insert-line", "path: '%s', text: \"x\\ny\"", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "line_number"), "5");
    assert_string_equal(act_field(rec, 0, "lines_inserted"), "2");
    act_assert_file(f, "one\nnew\ntwo\nthree\nx\ny\n");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "insert-line", "path: '%s', line: 1, text: top", f);
    act_expect_ok(rec);
    act_assert_file(f, "top\none\nnew\ntwo\nthree\nx\ny\n");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "insert-line", "path: '%s', line: 20, text: z", f);
    act_expect_fail(rec, "has only 7 lines");
    bt_harness_run_free(&run);

    char *g = act_path(*state, "new.txt");
    rec = act_run1(&run, "insert-line", "path: '%s', text: z", g);
    act_expect_fail(rec, "does not exist (set create: true");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "insert-line", "path: '%s', text: z, create: true",
                   g);
    act_expect_ok(rec);
    act_assert_file(g, "z\n");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "insert-line", "path: '%s', text: z, line: '0'", g);
    act_expect_fail(rec, "property 'line' must be a line number");
    bt_harness_run_free(&run);
    free(g);
    free(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, act_setup, act_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_get_lines_range_and_pattern),
        T(test_delete_line),
        T(test_insert_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
