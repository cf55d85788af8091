/* Conditions: every operator, precedence, quoting, numeric versus text
 * comparison, regular expressions, syntax error positions and limits.
 * Frames are built directly with the databus; references are bound by
 * hand the way the loader binds them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "engine/compare.h"
#include "engine/cond.h"
#include "engine/databus.h"

/* Activity "a" is index 0, "b" is index 1; anything else stays unbound. */
static void bind(bt_cond *c) {
    for (size_t i = 0; i < bt_cond_template_count(c); i++) {
        bt_template *t = bt_cond_template_at(c, i);
        for (size_t j = 0; j < bt_template_ref_count(t); j++) {
            bt_template_ref *r = bt_template_ref_at(t, j);
            if (r->kind != BT_REF_DATA) continue;
            if (strcmp(r->activity, "a") == 0) r->activity_index = 0;
            if (strcmp(r->activity, "b") == 0) r->activity_index = 1;
        }
    }
}

static const char *vars(void *ud, const char *name) {
    (void)ud;
    return strcmp(name, "env") == 0 ? "prod" : NULL;
}

typedef struct fixture {
    bt_frame *frame;
    bt_expand_env env;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    bt_row *a = bt_row_new();
    bt_row_set(a, "x", "5");
    bt_row_set(a, "name", "web01");
    bt_row_set(a, "empty", "");
    bt_row_set(a, "s", "hello world");
    bt_row_set(a, "n10", "10");
    bt_row_set(a, "n9", "9");
    bt_row_set(a, "f", "1.50");
    bt_row_set(a, "neg", "-3");
    bt_row_set(a, "quote", "say \"hi\"");
    bt_row_set(a, "brace", "{a.x}");
    bt_row *b = bt_row_new();
    bt_row_set(b, "code", "0");
    bt_row_set(b, "msg", "Service OK");
    bt_row_set(b, "pat", "^Serv[a-z]+ O");
    bt_row_set(b, "badpat", "([");
    bt_frame *fa = bt_frame_push(NULL, 0, a);
    f->frame = bt_frame_push(fa, 1, b);
    bt_frame_unref(fa);
    bt_row_unref(a);
    bt_row_unref(b);
    f->env = (bt_expand_env){f->frame, vars, NULL};
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_frame_unref(f->frame);
    free(f);
    return 0;
}

static fixture *fx;

/* Parses, binds and evaluates; fails the test on any error. */
static bool ev(const char *text) {
    bt_cond *c = NULL;
    bt_error err = {0};
    int rc = bt_cond_parse(text, &c, &err);
    if (rc) fail_msg("parse '%s': %s (column %d)", text, err.message,
                     err.column);
    bind(c);
    bool out = false;
    rc = bt_cond_eval(c, &fx->env, &out, &err);
    if (rc) fail_msg("eval '%s': %s", text, err.message);
    assert_string_equal(bt_cond_source(c), text);
    bt_cond_free(c);
    return out;
}

/* Expects a syntax error at column; returns the message for checks. */
static char msg_buf[BT_ERROR_MESSAGE_MAX];
static const char *bad(const char *text, int column) {
    bt_cond *c = NULL;
    bt_error err = {0};
    int rc = bt_cond_parse(text, &c, &err);
    if (rc == 0) fail_msg("'%s' parsed but should not", text);
    assert_null(c);
    if (err.column != column)
        fail_msg("'%s': column %d, expected %d (%s)", text, err.column,
                 column, err.message);
    snprintf(msg_buf, sizeof msg_buf, "%s", err.message);
    return msg_buf;
}

static void has(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle))
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void test_equality(void **state) {
    fx = *state;
    assert_true(ev("{a.x} == 5"));
    assert_true(ev("{a.x} = 5"));
    assert_true(ev("{a.x} equals 5"));
    assert_true(ev("{a.x} EQUALS 5"));
    assert_false(ev("{a.x} == 6"));
    assert_true(ev("{a.x} != 6"));
    assert_true(ev("{a.x} <> 6"));
    assert_true(ev("{a.x} not equals 6"));
    assert_false(ev("{a.x} != 5"));
    assert_true(ev("{a.name} == web01"));
    assert_false(ev("{a.name} == WEB01")); /* text is case-sensitive */
    assert_true(ev("{b.msg} == \"Service OK\""));
    assert_true(ev("{b.code}==0"));
    assert_true(ev("5 == {a.x}"));
}

static void test_numeric_versus_text(void **state) {
    fx = *state;
    /* Both sides numbers: compared as numbers. */
    assert_true(ev("{a.n10} > {a.n9}"));
    assert_true(ev("{a.f} == 1.5"));
    assert_true(ev("\"1.0\" == 1"));
    assert_true(ev("{a.neg} < 0"));
    assert_true(ev("1e3 == 1000"));
    assert_true(ev("{a.x} >= 5"));
    assert_true(ev("{a.x} <= 5"));
    assert_false(ev("{a.x} < 5"));
    assert_false(ev("{a.x} > 5"));
    /* One side not a number: byte-wise text order, so "10" < "9a". */
    assert_true(ev("{a.n10} < 9a"));
    assert_true(ev("abc < abd"));
    assert_true(ev("b > abc"));
    assert_false(ev("\"1.0\" == \"1.0x\""));
    assert_true(ev("0x10 != 16")); /* hex is not a runbook number */
    assert_true(ev("inf != inf0"));
}

static void test_text_operators(void **state) {
    fx = *state;
    assert_true(ev("{a.s} contains world"));
    assert_true(ev("{a.s} contains \"o w\""));
    assert_false(ev("{a.s} contains World"));
    assert_true(ev("{a.s} not contains World"));
    assert_false(ev("{a.s} not contains hello"));
    assert_true(ev("{a.s} contains \"\""));
    assert_true(ev("{a.s} starts with hello"));
    assert_false(ev("{a.s} starts with world"));
    assert_true(ev("{a.s} ends with world"));
    assert_false(ev("{a.s} ends with hello"));
    assert_false(ev("{a.x} ends with \"longer than five\""));
    assert_true(ev("{a.s} STARTS WITH h and {a.s} Ends With d"));
    /* Text operators never compare as numbers. */
    assert_true(ev("{a.n10} contains 1"));
    assert_true(ev("{a.f} starts with \"1.5\""));
}

static void test_empty(void **state) {
    fx = *state;
    assert_true(ev("{a.empty} is empty"));
    assert_false(ev("{a.empty} is not empty"));
    assert_true(ev("{a.name} is not empty"));
    assert_false(ev("{a.name} is empty"));
    /* Data that is not on the path reads as empty, as in Orchestrator. */
    assert_true(ev("{a.nosuch} is empty"));
    assert_true(ev("{zz.field} is empty"));
    assert_true(ev("{var:nosuch} IS EMPTY"));
    assert_true(ev("\"\" is empty"));
    assert_true(ev("{a.empty} == \"\""));
}

static void test_regex(void **state) {
    fx = *state;
    assert_true(ev("{a.name} matches \"^web[0-9]+$\""));
    assert_true(ev("{a.name} matches ^web"));
    assert_false(ev("{a.name} matches \"^db\""));
    assert_true(ev("{a.name} not matches \"^db\""));
    assert_true(ev("{a.f} matches \"^1\\.50$\"")); /* \. stays a backslash */
    assert_true(ev("{a.s} matches 'o (w|x)'"));
    /* A pattern with references is compiled when evaluated. */
    assert_true(ev("{b.msg} matches {b.pat}"));
    assert_true(ev("{b.msg} matches \"{b.pat}K$\""));
    assert_false(ev("{a.s} matches {b.pat}"));
}

static void test_bad_regex(void **state) {
    fx = *state;
    /* A literal pattern is checked when parsed. */
    const char *m = bad("{a.x} matches \"([\"", 15);
    has(m, "invalid regular expression '(['");
    has(m, "column 15");
    /* A pattern from data can only fail when evaluated. */
    bt_cond *c;
    bt_error err = {0};
    assert_int_equal(bt_cond_parse("{a.x} not matches {b.badpat}", &c, &err),
                     0);
    bind(c);
    bool out;
    assert_int_equal(bt_cond_eval(c, &fx->env, &out, &err), -BT_EINVAL);
    has(err.message, "invalid regular expression '(['");
    has(err.message, "{b.badpat}");
    bt_cond_free(c);
}

static void test_precedence(void **state) {
    fx = *state;
    /* and binds tighter than or: true or (false and false). */
    assert_true(ev("{a.x} == 5 or {a.x} == 6 and {a.x} == 7"));
    /* (false and true) or true */
    assert_true(ev("{a.x} == 6 and {a.x} == 5 or {a.x} == 5"));
    /* not binds tighter than and: (not true) and true is false. */
    assert_false(ev("not {a.x} == 5 and {a.x} == 5"));
    /* not binds tighter than or: (not false) or false is true. */
    assert_true(ev("not {a.x} == 6 or {a.x} == 6"));
    assert_true(ev("not not {a.x} == 5"));
    assert_true(ev("NOT {a.x} == 6 AND {a.name} == web01 OR 1 == 2"));
}

static void test_parentheses(void **state) {
    fx = *state;
    /* (true or false) and false is false; without parens it is true. */
    assert_false(ev("({a.x} == 5 or {a.x} == 6) and {a.x} == 7"));
    assert_true(ev("{a.x} == 5 or ({a.x} == 6 and {a.x} == 7)"));
    assert_false(ev("not ({a.x} == 5 or {a.x} == 6)"));
    assert_true(ev("((({a.x} == 5)))"));
    assert_true(ev("({a.x}==5)and({b.code}==0)"));
}

static void test_quoting_and_references(void **state) {
    fx = *state;
    assert_true(ev("'web01' == \"web01\""));
    assert_true(ev("\"{a.name}-x\" == 'web01-x'"));
    assert_true(ev("'{a.name}:{b.code}' == web01:0"));
    assert_true(ev("{a.quote} == \"say \\\"hi\\\"\""));
    assert_true(ev("{a.quote} == 'say \"hi\"'"));
    assert_true(ev("'it\\'s' == \"it's\""));
    assert_true(ev("\"a\\\\b\" ends with \"\\\\b\""));
    assert_true(ev("\"back\\\\\" == 'back\\\\'"));
    /* Parentheses and keywords inside quotes are text. */
    assert_true(ev("\"(a and b)\" contains \"and\""));
    assert_true(ev("'or' == \"or\""));
    /* {{a.x}} is a literal {a.x}. */
    assert_true(ev("{a.brace} == \"{{a.x}}\""));
    assert_true(ev("{a.brace} != \"{a.x}\""));
    /* Variables. */
    assert_true(ev("{var:env} == prod"));
    assert_true(ev("\"{var:env}-{a.x}\" == prod-5"));
    /* Words may hold other characters: paths, dashes, dots. */
    assert_true(ev("/var/log/x.log ends with .log"));
    assert_true(ev("web-01 starts with web-"));
}

static void test_syntax_errors(void **state) {
    (void)state;
    const char *m;
    m = bad("{a.b} foo 1", 7);
    has(m, "expected an operator");
    has(m, "after '{a.b}' at column 7, found 'foo'");
    m = bad("{a.x} ==", 9);
    has(m, "expected a value");
    has(m, "after '==' at column 9, found the end of the condition");
    m = bad("{a.x} equals", 13);
    has(m, "after 'equals'");
    m = bad("", 1);
    has(m, "empty condition");
    bad("   ", 1);
    m = bad("({a.x} == 1", 12);
    has(m, "expected ')' to close the '(' at column 1");
    m = bad("{a.x} == 1 )", 12);
    has(m, "unbalanced ')'");
    m = bad("{a.x} == 1 2", 12);
    has(m, "expected 'and', 'or' or the end of the condition at column 12, "
           "found '2'");
    m = bad("\"abc == 1", 1);
    has(m, "unterminated quoted text starting at column 1");
    m = bad("{a.x} == 'abc", 10);
    has(m, "expected a closing '");
    m = bad("{a.x} is full", 10);
    has(m, "expected 'empty' after 'is'");
    m = bad("{a.x} is not there", 14);
    has(m, "expected 'empty' after 'is not'");
    m = bad("{a.x} starts at 1", 14);
    has(m, "expected 'with' after 'starts'");
    m = bad("{a.x} not like 1", 11);
    has(m, "'contains', 'matches' or 'equals'");
    m = bad("! {a.x} == 1", 1);
    has(m, "unexpected '!'");
    m = bad("{a.x} == 1 and", 15);
    has(m, "at the start of a comparison");
    m = bad("{a.x} == 1 or or {a.x} == 2", 15);
    has(m, "keyword 'or'");
    m = bad("{a.x} == and", 10);
    has(m, "quote it");
    m = bad("()", 2);
    has(m, "found ')'");
    m = bad("{a.x} == 1 and (", 17);
    has(bad("{a.x} >> 1", 8), "after '>' at column 8, found '>'");
    bad("{a.x} === 1", 9);
    /* Long tokens are shortened in messages. */
    char longw[200];
    memset(longw, 'w', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    char text[300];
    snprintf(text, sizeof text, "%s nope", longw);
    m = bad(text, 201);
    has(m, "...'");
}

static void test_depth_and_size_limits(void **state) {
    fx = *state;
    char text[1200];
    /* 63 parentheses plus the comparison is the deepest accepted. */
    size_t n = 0;
    for (int i = 0; i < 63; i++) text[n++] = '(';
    n += (size_t)sprintf(text + n, "{a.x} == 5");
    for (int i = 0; i < 63; i++) text[n++] = ')';
    text[n] = '\0';
    assert_true(ev(text));
    n = 0;
    for (int i = 0; i < 200; i++) text[n++] = '(';
    n += (size_t)sprintf(text + n, "1 == 1");
    for (int i = 0; i < 200; i++) text[n++] = ')';
    text[n] = '\0';
    const char *m = bad(text, 65);
    has(m, "more than 64 deep");
    n = 0;
    for (int i = 0; i < 100; i++) n += (size_t)sprintf(text + n, "not ");
    sprintf(text + n, "1 == 1");
    has(bad(text, 257), "more than 64 deep");

    /* A long flat chain is not deep: it is one group. */
    bt_buf b;
    bt_buf_init(&b, 0);
    for (int i = 0; i < 3000; i++)
        bt_buf_printf(&b, "%s{a.x} == %d", i ? " or " : "", 3000 - i);
    assert_true(ev(bt_buf_str(&b)));
    bt_buf_reset(&b);
    for (int i = 0; i < 3000; i++)
        bt_buf_printf(&b, "%s{a.x} != %d", i ? " and " : "", 10000 + i);
    assert_true(ev(bt_buf_str(&b)));

    /* Over 64 KiB is refused outright. */
    bt_buf_reset(&b);
    bt_buf_appends(&b, "{a.x} == \"");
    for (int i = 0; i < 70000; i++) bt_buf_appendc(&b, 'x');
    bt_buf_appends(&b, "\"");
    bt_cond *c = NULL;
    bt_error err = {0};
    assert_int_equal(bt_cond_parse(bt_buf_str(&b), &c, &err), -BT_ETOOBIG);
    assert_null(c);
    has(err.message, "the limit is 65536");
    bt_buf_free(&b);
}

static void test_templates_exposed(void **state) {
    (void)state;
    bt_cond *c;
    bt_error err = {0};
    assert_int_equal(bt_cond_parse("{a.x} == \"{b.code}/{var:env}\" or "
                                   "({a.s} is empty or lit > 3)",
                                   &c, &err),
                     0);
    assert_int_equal(bt_cond_template_count(c), 5);
    bt_template *t = bt_cond_template_at(c, 1);
    assert_int_equal(bt_template_ref_count(t), 2);
    assert_string_equal(bt_template_ref_at(t, 0)->activity, "b");
    assert_string_equal(bt_template_ref_at(t, 0)->field, "code");
    assert_int_equal(bt_template_ref_at(t, 1)->kind, BT_REF_VAR);
    assert_string_equal(bt_template_source(bt_cond_template_at(c, 2)),
                        "{a.s}");
    assert_true(bt_template_is_literal(bt_cond_template_at(c, 3)));
    assert_string_equal(bt_template_literal(bt_cond_template_at(c, 4)), "3");
    assert_null(bt_cond_template_at(c, 5));
    /* Unbound references read as empty instead of failing. */
    bool out;
    assert_int_equal(bt_cond_eval(c, &(bt_expand_env){0}, &out, &err), 0);
    assert_true(out);
    bt_cond_free(c);
    bt_cond_free(NULL);
}

static const char *operand_upper(void *ud, const bt_template *t) {
    (void)ud;
    return strcmp(bt_template_source(t), "{q.v}") == 0 ? "42" : NULL;
}

static void test_eval_with_operand_source(void **state) {
    (void)state;
    bt_cond *c;
    bt_error err = {0};
    assert_int_equal(bt_cond_parse("{q.v} > 40 and {q.w} is empty", &c, &err),
                     0);
    bool out = false;
    assert_int_equal(bt_cond_eval_with(c, operand_upper, NULL, &out, &err), 0);
    assert_true(out);
    bt_cond_free(c);
}

static void test_compare_modes(void **state) {
    (void)state;
    bool out;
    bt_error err = {0};
    /* Text mode never reads numbers. */
    assert_int_equal(bt_compare(BT_CMP_EQ, "1.0", "1", BT_CMP_TEXT, 0, NULL,
                                &out, &err), 0);
    assert_false(out);
    assert_int_equal(bt_compare(BT_CMP_EQ, "1.0", "1", BT_CMP_NUMBER, 0, NULL,
                                &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_GT, "abc", "1", BT_CMP_NUMBER, 0, NULL,
                                &out, &err), -BT_EINVAL);
    has(err.message, "the left value 'abc' is not a number");
    assert_int_equal(bt_compare(BT_CMP_GT, "2", "", BT_CMP_NUMBER, 0, NULL,
                                &out, &err), -BT_EINVAL);
    has(err.message, "the right value '' is not a number");
    /* Dates compare as instants, whatever zone they are written in. */
    assert_int_equal(bt_compare(BT_CMP_EQ, "2024-05-01T12:00:00Z",
                                "2024-05-01T14:00:00+02:00", BT_CMP_DATETIME,
                                0, NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_LT, "2024-05-01T12:00:00.250Z",
                                "2024-05-01 12:00:00.5", BT_CMP_DATETIME, 0,
                                NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_GT, "2024-05-02", "2024-05-01T23:59Z",
                                BT_CMP_DATETIME, 0, NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_GT, "2024-02-30", "2024-05-01",
                                BT_CMP_DATETIME, 0, NULL, &out, &err),
                     -BT_EINVAL);
    has(err.message, "'2024-02-30' is not an ISO 8601 date");
    /* Case-insensitive text, prefixes, suffixes and patterns. */
    unsigned ci = BT_CMP_NOCASE;
    assert_int_equal(bt_compare(BT_CMP_EQ, "Web", "wEB", BT_CMP_TEXT, ci, NULL,
                                &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_CONTAINS, "Hello World", "o w",
                                BT_CMP_TEXT, ci, NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_STARTS_WITH, "Hello", "HE", BT_CMP_TEXT,
                                ci, NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_ENDS_WITH, "Hello", "LO", BT_CMP_TEXT,
                                ci, NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_MATCHES, "Hello", "^h.*O$", BT_CMP_TEXT,
                                ci, NULL, &out, &err), 0);
    assert_true(out);
    assert_int_equal(bt_compare(BT_CMP_MATCHES, "Hello", "^h.*O$", BT_CMP_TEXT,
                                0, NULL, &out, &err), 0);
    assert_false(out);
    /* Operator names round-trip. */
    for (size_t i = 0; bt_compare_op_words[i]; i++) {
        bt_compare_op op;
        assert_int_equal(bt_compare_op_parse(bt_compare_op_words[i], &op), 0);
        assert_int_equal((size_t)op, i);
        assert_string_equal(bt_compare_op_word(op), bt_compare_op_words[i]);
    }
    bt_compare_op op;
    assert_int_equal(bt_compare_op_parse("bigger", &op), -BT_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_equality, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric_versus_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_text_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_regex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parentheses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting_and_references, setup,
                                        teardown),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test_setup_teardown(test_depth_and_size_limits, setup,
                                        teardown),
        cmocka_unit_test(test_templates_exposed),
        cmocka_unit_test(test_eval_with_operand_source),
        cmocka_unit_test(test_compare_modes),
    };
    return cmocka_run_group_tests_name("cond", tests, NULL, NULL);
}
