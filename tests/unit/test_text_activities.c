/* Text file activities against real files: read-line, append-line,
 * find-text, search-replace-text. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity_support.h"
#include "common/util.h"

/* Checks the line_number and line fields of every row. */
static void expect_lines(const bt_activity_record *rec,
                         const char *const *numbers,
                         const char *const *lines, size_t n) {
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(act_field(rec, i, "line_number"), numbers[i]);
        assert_string_equal(act_field(rec, i, "line"), lines[i]);
    }
}

static void write_bytes(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- read-line -------------------------------------------------------- */

static void test_read_line_all(void **state) {
    char *f = act_path(*state, "in.txt");
    /* CRLF endings lose their '\r'; a last line without '\n' counts. */
    bt_harness_write_file(f, "one\r\ntwo\n\nfour");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(&run, "read-line", "path: '%s'", f);
    const char *nums[] = {"1", "2", "3", "4"};
    const char *lines[] = {"one", "two", "", "four"};
    expect_lines(rec, nums, lines, 4);
    assert_string_equal(act_field(rec, 0, "path"), f);
    bt_harness_run_free(&run);
    free(f);
}

static void test_read_line_selections(void **state) {
    char *f = act_path(*state, "in.txt");
    bt_harness_write_file(f, "l1\nl2\nl3\nl4\nl5\n");
    bt_harness_run run;
    const bt_activity_record *rec;

    rec = act_run1(&run, "read-line", "path: '%s', lines: '3'", f);
    expect_lines(rec, (const char *[]){"3"}, (const char *[]){"l3"}, 1);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "read-line", "path: '%s', lines: 2-3", f);
    expect_lines(rec, (const char *[]){"2", "3"},
                 (const char *[]){"l2", "l3"}, 2);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "read-line", "path: '%s', lines: 4-END", f);
    expect_lines(rec, (const char *[]){"4", "5"},
                 (const char *[]){"l4", "l5"}, 2);
    bt_harness_run_free(&run);

    /* Overlaps give each line once, in file order. */
    rec = act_run1(&run, "read-line", "path: '%s', lines: '5, 1,2-3,3'", f);
    expect_lines(rec, (const char *[]){"1", "2", "3", "5"},
                 (const char *[]){"l1", "l2", "l3", "l5"}, 4);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "read-line", "path: '%s', lines: 'END'", f);
    expect_lines(rec, (const char *[]){"5"}, (const char *[]){"l5"}, 1);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "read-line", "path: '%s', lines: '1,end'", f);
    expect_lines(rec, (const char *[]){"1", "5"},
                 (const char *[]){"l1", "l5"}, 2);
    bt_harness_run_free(&run);

    /* Past the end: success with no rows. */
    rec = act_run1(&run, "read-line", "path: '%s', lines: 9-12", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 0);
    bt_harness_run_free(&run);

    const char *bad[] = {"0", "3-1", "x", "2-", "1,,2"};
    for (size_t i = 0; i < BT_ARRAY_LEN(bad); i++) {
        rec = act_run1(&run, "read-line", "path: '%s', lines: '%s'", f,
                       bad[i]);
        act_expect_fail(rec, "read-line: property 'lines':");
        bt_harness_run_free(&run);
    }
    free(f);
}

static void test_read_line_rows_fan_out_and_empty_file(void **state) {
    const char *dir = *state;
    char *in = act_path(dir, "hosts.txt");
    char *out = act_path(dir, "out.txt");
    bt_harness_write_file(in, "web01\nweb02\ndb01\n");
    const char *fmt =
        "name: fan\n"
        "activities:\n"
        "  - {id: r, type: read-line, properties: {path: '%s'}}\n"
        "  - {id: w, type: append-line, properties: {path: '%s', text: "
        "'{r.line_number}:{r.line}'}}\n"
        "links:\n"
        "  - {from: r, to: w}\n";
    char *yaml = bt_xasprintf(fmt, in, out);
    bt_harness_run run;
    act_run_yaml(yaml, &run);
    assert_int_equal(bt_harness_record_count(&run, "w"), 3);
    char *got = bt_harness_read_file(out);
    assert_non_null(got);
    /* The three appends may finish in any order; each is a whole line. */
    assert_int_equal(strlen(got), strlen("1:web01\n2:web02\n3:db01\n"));
    assert_non_null(strstr(got, "1:web01\n"));
    assert_non_null(strstr(got, "2:web02\n"));
    assert_non_null(strstr(got, "3:db01\n"));
    /* Each append reports the size right after its own write. */
    long sizes[3];
    for (size_t i = 0; i < 3; i++)
        sizes[i] = atol(act_field(bt_harness_record(&run, "w", i), 0, "size"));
    assert_true(sizes[0] != sizes[1] && sizes[1] != sizes[2] &&
                sizes[0] != sizes[2]);
    long max = sizes[0] > sizes[1] ? sizes[0] : sizes[1];
    assert_int_equal(max > sizes[2] ? max : sizes[2], (long)strlen(got));
    free(got);
    bt_harness_run_free(&run);
    free(yaml);

    /* An empty file: success, zero rows, no successor runs. */
    bt_harness_write_file(in, "");
    yaml = bt_xasprintf(fmt, in, out);
    act_run_yaml(yaml, &run);
    const bt_activity_record *rec = bt_harness_record(&run, "r", 0);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 0);
    assert_int_equal(bt_harness_record_count(&run, "w"), 0);
    bt_harness_run_free(&run);
    free(yaml);
    free(out);
    free(in);
}

static void test_read_line_caps(void **state) {
    const char *dir = *state;
    size_t cap = (size_t)1 << 20;
    char *big = bt_xmalloc(cap + 16);
    memset(big, 'a', cap + 16);
    char *f = act_path(dir, "long.txt");

    /* Exactly at the cap (with CRLF) is fine. */
    memcpy(big + cap, "\r\nok\n", 5);
    write_bytes(f, big, cap + 5);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(&run, "read-line", "path: '%s'", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_int_equal(strlen(act_field(rec, 0, "line")), cap);
    bt_harness_run_free(&run);

    /* One byte over fails, naming the line and the file. */
    memcpy(big, "first\n", 6);
    memset(big + 6, 'b', cap + 1);
    big[cap + 7] = '\n';
    write_bytes(f, big, cap + 8);
    rec = act_run1(&run, "read-line", "path: '%s'", f);
    char *expect = bt_xasprintf(
        "read-line: line 2 of '%s' is longer than the 1 MiB limit", f);
    act_expect_fail(rec, expect);
    free(expect);
    bt_harness_run_free(&run);
    /* ...but a selection that stops before it does not read that far. */
    rec = act_run1(&run, "read-line", "path: '%s', lines: 1", f);
    expect_lines(rec, (const char *[]){"1"}, (const char *[]){"first"}, 1);
    bt_harness_run_free(&run);
    free(big);

    /* Over the 64 MiB file cap: a sparse file of 1 KiB lines would do, but
     * a hole reads as NULs without newlines, so write real lines. */
    char *huge = act_path(dir, "huge.txt");
    FILE *h = fopen(huge, "wb");
    assert_non_null(h);
    char line[1024];
    memset(line, 'z', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (size_t i = 0; i < 65 * 1024; i++)
        assert_int_equal(fwrite(line, 1, sizeof line, h), sizeof line);
    assert_int_equal(fclose(h), 0);
    rec = act_run1(&run, "find-text", "path: '%s', pattern: 'nothere'", huge);
    act_expect_fail(rec, "is larger than the 64 MiB limit");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "read-line", "path: '%s', lines: 2", huge);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    bt_harness_run_free(&run);
    free(huge);
    free(f);
}

static void test_read_line_errors(void **state) {
    const char *dir = *state;
    char *missing = act_path(dir, "missing.txt");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "read-line", "path: '%s'", missing);
    char *expect = bt_xasprintf("read-line: '%s' does not exist", missing);
    act_expect_fail(rec, expect);
    free(expect);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "read-line", "path: '%s'", dir);
    act_expect_fail(rec, "is a folder, not a file");
    bt_harness_run_free(&run);

    /* A FIFO without a writer must not hang the thread pool. */
    char *fifo = act_path(dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    rec = act_run1(&run, "read-line", "path: '%s'", fifo);
    act_expect_fail(rec, "is a pipe or socket, not a file");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: a, replace: b", fifo);
    act_expect_fail(rec, "is a pipe or socket, not a file");
    bt_harness_run_free(&run);
    free(fifo);

    if (act_permissions_apply()) {
        char *secret = act_path(dir, "secret.txt");
        bt_harness_write_file(secret, "s\n");
        assert_int_equal(chmod(secret, 0), 0);
        rec = act_run1(&run, "read-line", "path: '%s'", secret);
        expect = bt_xasprintf("read-line: cannot read '%s': Permission denied",
                              secret);
        act_expect_fail(rec, expect);
        free(expect);
        bt_harness_run_free(&run);
        free(secret);
    }
    free(missing);
}

/* ---- append-line ------------------------------------------------------ */

static void test_append_line(void **state) {
    const char *dir = *state;
    char *f = act_path(dir, "log.txt");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "append-line", "path: '%s', text: \"a\\nb\", create: false", f);
    act_expect_fail(rec, "does not exist (set create: true");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "append-line", "path: '%s', text: \"a\\nb\"", f);
    act_expect_ok(rec);
    act_assert_file(f, "a\nb\n");
    assert_string_equal(act_field(rec, 0, "lines_appended"), "2");
    assert_string_equal(act_field(rec, 0, "size"), "4");
    assert_string_equal(act_field(rec, 0, "path"), f);
    bt_harness_run_free(&run);

    /* An unterminated last line is ended before the new line starts. */
    bt_harness_write_file(f, "x");
    rec = act_run1(&run, "append-line", "path: '%s', text: 'y'", f);
    act_expect_ok(rec);
    act_assert_file(f, "x\ny\n");
    assert_string_equal(act_field(rec, 0, "lines_appended"), "1");
    bt_harness_run_free(&run);

    /* newline: false appends the text exactly. */
    rec = act_run1(&run, "append-line",
                   "path: '%s', text: 'partial', newline: false", f);
    act_expect_ok(rec);
    act_assert_file(f, "x\ny\npartial");
    assert_string_equal(act_field(rec, 0, "size"), "11");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "append-line", "path: '%s', text: ''", dir);
    act_expect_fail(rec, "is a folder");
    bt_harness_run_free(&run);

    if (act_permissions_apply()) {
        assert_int_equal(chmod(f, 0444), 0);
        rec = act_run1(&run, "append-line", "path: '%s', text: z", f);
        char *expect = bt_xasprintf(
            "append-line: cannot write '%s': Permission denied", f);
        act_expect_fail(rec, expect);
        free(expect);
        bt_harness_run_free(&run);
        /* Write-only: appends still work, without the last-byte check. */
        assert_int_equal(chmod(f, 0200), 0);
        rec = act_run1(&run, "append-line", "path: '%s', text: z", f);
        act_expect_ok(rec);
        bt_harness_run_free(&run);
        assert_int_equal(chmod(f, 0644), 0);
        act_assert_file(f, "x\ny\npartialz\n");
    }
    free(f);
}

/* ---- find-text -------------------------------------------------------- */

static const char *LOG =
    "INFO start\n"
    "ERROR disk full on /dev/sda1\n"
    "info again\n"
    "Error code=42\n";

static void test_find_text_rows_and_modes(void **state) {
    char *f = act_path(*state, "app.log");
    bt_harness_write_file(f, LOG);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "find-text", "path: '%s', pattern: ERROR", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "line_number"), "2");
    assert_string_equal(act_field(rec, 0, "line"),
                        "ERROR disk full on /dev/sda1");
    assert_string_equal(act_field(rec, 0, "match"), "ERROR");
    assert_string_equal(act_field(rec, 0, "column"), "1");
    assert_string_equal(act_field(rec, 0, "match_count"), "1");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "find-text",
                   "path: '%s', pattern: error, case_sensitive: false", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 0, "match_count"), "2");
    assert_string_equal(act_field(rec, 1, "match_count"), "2");
    assert_string_equal(act_field(rec, 1, "line_number"), "4");
    assert_string_equal(act_field(rec, 1, "match"), "Error");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "find-text",
                   "path: '%s', pattern: 'code=([0-9]+)$', mode: regex", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "match"), "code=42");
    assert_string_equal(act_field(rec, 0, "column"), "7");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "find-text",
                   "path: '%s', pattern: '^info', mode: regex, "
                   "case_sensitive: false, lines: 2-END",
                   f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "line_number"), "3");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "find-text",
                   "path: '%s', pattern: 'a(b', mode: regex", f);
    act_expect_fail(rec, "find-text: property 'pattern': 'a(b' is not a "
                         "valid regular expression");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "find-text", "path: '%s', pattern: ''", f);
    act_expect_fail(rec, "property 'pattern' is empty");
    bt_harness_run_free(&run);
    free(f);
}

static void test_find_text_not_found(void **state) {
    char *f = act_path(*state, "app.log");
    bt_harness_write_file(f, LOG);
    /* No match: one row with match_count 0 so a link can test it. */
    char *yaml = bt_xasprintf(
        "name: nf\n"
        "activities:\n"
        "  - {id: f, type: find-text, properties: {path: '%s', pattern: "
        "PANIC}}\n"
        "  - {id: none, type: append-line, properties: {path: '%s.none', "
        "text: 'no panic [{f.line}]'}}\n"
        "  - {id: some, type: append-line, properties: {path: '%s.some', "
        "text: '{f.line}'}}\n"
        "links:\n"
        "  - {from: f, to: none, when: '{f.match_count} == 0'}\n"
        "  - {from: f, to: some, when: '{f.match_count} > 0'}\n",
        f, f, f);
    bt_harness_run run;
    act_run_yaml(yaml, &run);
    const bt_activity_record *rec = bt_harness_record(&run, "f", 0);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "match_count"), "0");
    assert_string_equal(act_field(rec, 0, "line"), "");
    assert_string_equal(act_field(rec, 0, "line_number"), "");
    assert_int_equal(bt_harness_record_count(&run, "none"), 1);
    assert_int_equal(bt_harness_record_count(&run, "some"), 0);
    char *none = bt_xasprintf("%s.none", f);
    act_assert_file(none, "no panic []\n");
    free(none);
    bt_harness_run_free(&run);
    free(yaml);

    rec = act_run1(&run, "find-text",
                   "path: '%s', pattern: PANIC, fail_if_not_found: true", f);
    act_expect_fail(rec, "find-text: 'PANIC' not found in '");
    bt_harness_run_free(&run);
    free(f);
}

/* ---- search-replace-text ---------------------------------------------- */

static void test_search_replace_text_modes(void **state) {
    char *f = act_path(*state, "conf.ini");
    bt_harness_run run;
    const bt_activity_record *rec;

    bt_harness_write_file(f, "a=1\nb=2\nA=3\n");
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: '=', replace: ' = '", f);
    act_expect_ok(rec);
    act_assert_file(f, "a = 1\nb = 2\nA = 3\n");
    assert_string_equal(act_field(rec, 0, "replacements"), "3");
    assert_string_equal(act_field(rec, 0, "path"), f);
    assert_string_equal(act_field(rec, 0, "output_path"), f);
    bt_harness_run_free(&run);

    bt_harness_write_file(f, "a=1\nb=2\nA=3\n");
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: 'a', replace: 'x', "
                   "case_sensitive: false",
                   f);
    act_expect_ok(rec);
    act_assert_file(f, "x=1\nb=2\nx=3\n");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: '=', replace: ':', first_only: true",
                   f);
    act_expect_ok(rec);
    act_assert_file(f, "x:1\nb=2\nx=3\n");
    assert_string_equal(act_field(rec, 0, "replacements"), "1");
    bt_harness_run_free(&run);

    /* Backreferences swap key and value; '^' anchors at each line. */
    bt_harness_write_file(f, "host=web01\n#port=80\nuser=ops\n");
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', mode: regex, search: '^([a-z]+)=(.*)$', "
                   "replace: '\\2 <- \\1 [\\0] \\\\'",
                   f);
    act_expect_ok(rec);
    act_assert_file(f, "web01 <- host [host=web01] \\\n#port=80\n"
                       "ops <- user [user=ops] \\\n");
    assert_string_equal(act_field(rec, 0, "replacements"), "2");
    bt_harness_run_free(&run);

    /* Empty matches behave as in sed: "x*" on "xxa" gives "RaR". */
    bt_harness_write_file(f, "xxa");
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', mode: regex, search: 'x*', replace: R", f);
    act_expect_ok(rec);
    act_assert_file(f, "RaR");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', mode: regex, search: '(a)', replace: '\\2'",
                   f);
    act_expect_fail(rec, "property 'replace' refers to group \\2 but the "
                         "pattern has 1 group");
    bt_harness_run_free(&run);
    free(f);
}

static void test_search_replace_text_atomic_rewrite(void **state) {
    const char *dir = *state;
    char *f = act_path(dir, "secret.conf");
    bt_harness_write_file(f, "password=old\n");
    assert_int_equal(chmod(f, 0600), 0);
    struct stat before;
    assert_int_equal(stat(f, &before), 0);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "search-replace-text",
        "path: '%s', search: 'old', replace: 'new'", f);
    act_expect_ok(rec);
    act_assert_file(f, "password=new\n");
    struct stat after;
    assert_int_equal(stat(f, &after), 0);
    assert_int_equal(after.st_mode & 07777, 0600);
    /* A new inode: the file was replaced by rename, not rewritten. */
    assert_int_not_equal(after.st_ino, before.st_ino);
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        assert_false(e->d_name[0] == '.' && strlen(e->d_name) > 2);
    closedir(d);
    bt_harness_run_free(&run);

    /* No occurrence: the file is left untouched. */
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: 'absent', replace: 'x'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "replacements"), "0");
    struct stat again;
    assert_int_equal(stat(f, &again), 0);
    assert_int_equal(again.st_ino, after.st_ino);
    bt_harness_run_free(&run);

    /* Through a symbolic link the target is rewritten, the link kept. */
    char *link = act_path(dir, "link.conf");
    assert_int_equal(symlink(f, link), 0);
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: 'new', replace: 'newer'", link);
    act_expect_ok(rec);
    struct stat lst;
    assert_int_equal(lstat(link, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    act_assert_file(f, "password=newer\n");
    bt_harness_run_free(&run);

    /* output_path: the source stays as it was. */
    char *out = act_path(dir, "out.conf");
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: 'newer', replace: 'x', "
                   "output_path: '%s'",
                   f, out);
    act_expect_ok(rec);
    act_assert_file(f, "password=newer\n");
    act_assert_file(out, "password=x\n");
    assert_string_equal(act_field(rec, 0, "output_path"), out);
    struct stat ost;
    assert_int_equal(stat(out, &ost), 0);
    assert_int_equal(ost.st_mode & 07777, 0600);
    bt_harness_run_free(&run);

    char *missing = act_path(dir, "missing.conf");
    rec = act_run1(&run, "search-replace-text",
                   "path: '%s', search: 'a', replace: 'b'", missing);
    act_expect_fail(rec, "search-replace-text: '");
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);

    if (act_permissions_apply()) {
        /* The folder refuses new entries: the temp file cannot be made
         * and the original is unchanged. */
        assert_int_equal(chmod(dir, 0555), 0);
        rec = act_run1(&run, "search-replace-text",
                       "path: '%s', search: 'newer', replace: 'y'", f);
        act_expect_fail(rec, "Permission denied");
        bt_harness_run_free(&run);
        assert_int_equal(chmod(dir, 0755), 0);
        act_assert_file(f, "password=newer\n");
    }
    free(missing);
    free(out);
    free(link);
    free(f);
}

/* A rewrite that cannot be completed (RLIMIT_FSIZE standing in for a full
 * disk) leaves the original file as it was and no temp file behind. */
static void test_search_replace_text_failed_write_keeps_original(void **state) {
    const char *dir = *state;
    char *f = act_path(dir, "data.txt");
    size_t n = 100 * 1024;
    char *text = bt_xmalloc(n + 1);
    memset(text, 'a', n);
    text[n] = '\0';
    bt_harness_write_file(f, text);
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 150 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "search-replace-text", "path: '%s', search: a, replace: bb", f);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    act_expect_fail(rec, "File too large");
    bt_harness_run_free(&run);
    act_assert_file(f, text);
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        assert_false(e->d_name[0] == '.' && strlen(e->d_name) > 2);
    closedir(d);
    free(text);
    free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, act_setup, act_teardown)
        T(test_read_line_all),
        T(test_read_line_selections),
        T(test_read_line_rows_fan_out_and_empty_file),
        T(test_read_line_caps),
        T(test_read_line_errors),
        T(test_append_line),
        T(test_find_text_rows_and_modes),
        T(test_find_text_not_found),
        T(test_search_replace_text_modes),
        T(test_search_replace_text_atomic_rewrite),
        T(test_search_replace_text_failed_write_keeps_original),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
