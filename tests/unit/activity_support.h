/* Helpers for activity tests: run a one-activity runbook against real files
 * in a scratch folder and look at its record. Header-only so each test
 * executable takes what it uses. */
#ifndef BT_ACTIVITY_SUPPORT_H
#define BT_ACTIVITY_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static inline void act_run_yaml(const char *yaml, bt_harness_run *run) {
    int rc = bt_harness_run_yaml(yaml, NULL, run);
    if (rc) {
        bt_diags_print(&run->diags, stderr);
        if (run->start_rc) fprintf(stderr, "%s\n", run->start_err.message);
    }
    assert_int_equal(rc, 0);
}

/* Runs activity "a" of type with the flow-map properties props_fmt (a
 * printf format) and returns its first record. */
static inline const bt_activity_record *
act_run1(bt_harness_run *run, const char *type, const char *props_fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline const bt_activity_record *
act_run1(bt_harness_run *run, const char *type, const char *props_fmt, ...) {
    va_list ap;
    va_start(ap, props_fmt);
    char *props = NULL;
    assert_true(vasprintf(&props, props_fmt, ap) >= 0);
    va_end(ap);
    char *yaml = NULL;
    assert_true(asprintf(&yaml,
                         "name: t\n"
                         "activities:\n"
                         "  - id: a\n"
                         "    type: %s\n"
                         "    properties: {%s}\n",
                         type, props) >= 0);
    act_run_yaml(yaml, run);
    free(yaml);
    free(props);
    const bt_activity_record *rec = bt_harness_record(run, "a", 0);
    assert_non_null(rec);
    return rec;
}

static inline const char *act_field(const bt_activity_record *rec, size_t row,
                                    const char *name) {
    assert_true(row < rec->n_rows);
    const char *v = bt_row_get(rec->rows[row], name);
    if (!v) fprintf(stderr, "row %zu has no field '%s'\n", row, name);
    assert_non_null(v);
    return v;
}

static inline void act_expect_ok(const bt_activity_record *rec) {
    if (rec->result != BT_RESULT_SUCCESS)
        fprintf(stderr, "activity failed: %s\n",
                rec->error ? rec->error : "(no message)");
    assert_int_equal(rec->result, BT_RESULT_SUCCESS);
}

static inline void act_expect_fail(const bt_activity_record *rec,
                                   const char *text) {
    assert_int_equal(rec->result, BT_RESULT_FAILED);
    assert_non_null(rec->error);
    if (!strstr(rec->error, text))
        fprintf(stderr, "error '%s' lacks '%s'\n", rec->error, text);
    assert_non_null(strstr(rec->error, text));
}

static inline char *act_path(const char *dir, const char *name) {
    return bt_harness_path(dir, name);
}

static inline void act_assert_file(const char *path, const char *content) {
    char *got = bt_harness_read_file(path);
    if (!got) fprintf(stderr, "missing file '%s'\n", path);
    assert_non_null(got);
    assert_string_equal(got, content);
    free(got);
}

static inline bool act_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Root ignores permission bits, so permission tests skip under root. */
static inline bool act_permissions_apply(void) { return geteuid() != 0; }

static inline int act_setup(void **state) {
    *state = bt_harness_tmpdir();
    return 0;
}

static inline int act_teardown(void **state) {
    bt_harness_rmrf(*state);
    free(*state);
    return 0;
}

#endif
