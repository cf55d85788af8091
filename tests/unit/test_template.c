/* Templates and the databus, without a loader: frames are built by hand. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/util.h"
#include "engine/template.h"

/* *missing (may be NULL) gets a malloc'd copy of the first missing ref. */
static char *expand(const char *text, const bt_frame *f,
                    bt_var_lookup_fn vars, char **missing) {
    bt_template *t;
    assert_int_equal(bt_template_compile(text, strlen(text), &t, NULL), 0);
    /* Bind "a" -> 0, "b" -> 1 as the loader would. */
    for (size_t i = 0; i < bt_template_ref_count(t); i++) {
        bt_template_ref *r = bt_template_ref_at(t, i);
        if (r->kind == BT_REF_DATA)
            r->activity_index = !strcmp(r->activity, "a")   ? 0
                                : !strcmp(r->activity, "b") ? 1
                                                            : SIZE_MAX;
    }
    bt_expand_env env = {f, vars, NULL};
    bt_buf b;
    bt_buf_init(&b, 0);
    const char *miss = NULL;
    assert_int_equal(bt_template_expand(t, &env, &b, &miss), 0);
    if (missing)
        *missing = miss ? bt_xstrndup(miss, strcspn(miss, "}") + 1) : NULL;
    bt_template_free(t);
    return bt_buf_detach(&b);
}

static bt_frame *two_frames(void) {
    bt_row *ra = bt_row_new(), *rb = bt_row_new();
    bt_row_set(ra, "host", "web01");
    bt_row_set(ra, "port", "8080");
    bt_row_set(rb, "host", "db01");
    bt_frame *fa = bt_frame_push(NULL, 0, ra);
    bt_frame *fb = bt_frame_push(fa, 1, rb);
    bt_frame_unref(fa);
    bt_row_unref(ra);
    bt_row_unref(rb);
    return fb;
}

static void test_references_expand(void **state) {
    (void)state;
    bt_frame *f = two_frames();
    char *s = expand("ssh {a.host}:{a.port} then {b.host}", f, NULL, NULL);
    assert_string_equal(s, "ssh web01:8080 then db01");
    free(s);
    bt_frame_unref(f);
}

static void test_other_braces_are_literal(void **state) {
    (void)state;
    bt_frame *f = two_frames();
    const char *text = "awk '{print $1}' ${HOME} {\"json\": {}} {a.} {.x} {a b}";
    char *s = expand(text, f, NULL, NULL);
    assert_string_equal(s, text);
    free(s);
    bt_frame_unref(f);
}

static void test_escape_writes_literal_reference(void **state) {
    (void)state;
    char *s = expand("{{a.host}} is {a.host}", NULL, NULL, NULL);
    assert_string_equal(s, "{a.host} is ");
    free(s);
}

static void test_missing_reference_is_reported(void **state) {
    (void)state;
    bt_frame *f = two_frames();
    char *missing = NULL;
    char *s = expand("x{a.nope}y{zz.top}", f, NULL, &missing);
    assert_string_equal(s, "xy");
    assert_string_equal(missing, "{a.nope}");
    free(missing);
    free(s);
    bt_frame_unref(f);
}

static void test_escaped_expansion(void **state) {
    (void)state;
    bt_row *r = bt_row_new();
    bt_row_set(r, "name", "report[1]*.log");
    bt_frame *f = bt_frame_push(NULL, 0, r);
    bt_template *t;
    const char *text = "/logs/*/{a.name}";
    assert_int_equal(bt_template_compile(text, strlen(text), &t, NULL), 0);
    bt_template_ref_at(t, 0)->activity_index = 0;
    bt_expand_env env = {f, NULL, NULL};
    bt_buf b;
    bt_buf_init(&b, 0);
    assert_int_equal(bt_template_expand_escaped(t, &env, &b, NULL, "*?[]"), 0);
    /* The runbook's own wildcard stays; the data's are escaped. */
    assert_string_equal(bt_buf_str(&b), "/logs/*/report\\[1\\]\\*.log");
    bt_buf_free(&b);
    bt_template_free(t);
    bt_frame_unref(f);
    bt_row_unref(r);
}

static const char *vars(void *ud, const char *name) {
    (void)ud;
    return !strcmp(name, "env") ? "prod" : NULL;
}

static void test_variables(void **state) {
    (void)state;
    char *s = expand("{var:env}-{var:none}", NULL, vars, NULL);
    assert_string_equal(s, "prod-");
    free(s);
}

static void test_nearest_frame_wins(void **state) {
    (void)state;
    bt_row *r1 = bt_row_new(), *r2 = bt_row_new();
    bt_row_set(r1, "n", "1");
    bt_row_set(r2, "n", "2");
    bt_frame *f1 = bt_frame_push(NULL, 0, r1);
    bt_frame *f2 = bt_frame_push(f1, 0, r2);
    assert_string_equal(bt_frame_lookup(f2, 0, "n"), "2");
    assert_string_equal(bt_frame_lookup(f1, 0, "n"), "1");
    bt_row_setf(r2, "n", "%d", 3); /* rows are shared, not copied */
    assert_string_equal(bt_frame_lookup(f2, 0, "n"), "3");
    bt_frame_unref(f1);
    bt_frame_unref(f2);
    bt_row_unref(r1);
    bt_row_unref(r2);
}

static void test_long_chain_frees_without_recursion(void **state) {
    (void)state;
    bt_row *r = bt_row_new();
    bt_frame *f = NULL;
    for (int i = 0; i < 1000000; i++) {
        bt_frame *next = bt_frame_push(f, (size_t)i % 7, r);
        bt_frame_unref(f);
        f = next;
    }
    bt_frame_unref(f);
    bt_row_unref(r);
}

static void test_buf_cap(void **state) {
    (void)state;
    bt_buf b;
    bt_buf_init(&b, 8);
    assert_int_equal(bt_buf_appends(&b, "12345678"), 0);
    assert_int_equal(bt_buf_appendc(&b, '9'), -BT_ETOOBIG);
    assert_string_equal(bt_buf_str(&b), "12345678");
    bt_buf_free(&b);
}

static void test_duration_parse(void **state) {
    (void)state;
    uint64_t ms;
    assert_int_equal(bt_duration_parse("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(bt_duration_parse("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(bt_duration_parse("2m", &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(bt_duration_parse("3", &ms), 0);
    assert_int_equal(ms, 3000);
    assert_int_not_equal(bt_duration_parse("soon", &ms), 0);
    assert_int_not_equal(bt_duration_parse("-1s", &ms), 0);
    assert_int_not_equal(bt_duration_parse("5 parsecs", &ms), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_references_expand),
        cmocka_unit_test(test_other_braces_are_literal),
        cmocka_unit_test(test_escape_writes_literal_reference),
        cmocka_unit_test(test_missing_reference_is_reported),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_escaped_expansion),
        cmocka_unit_test(test_nearest_frame_wins),
        cmocka_unit_test(test_long_chain_frees_without_recursion),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_duration_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
