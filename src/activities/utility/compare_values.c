/* Compare Values: one comparison whose answer is published data, not the
 * activity's result, as in Orchestrator; links then branch on
 * {step.comparison_result}. The operators are the ones conditions use
 * (engine/compare.h), so both always agree. */
#include <stdbool.h>
#include <string.h>

#include "baton/activity.h"
#include "activities/utility/literal.h"
#include "common/util.h"
#include "engine/compare.h"

static const char *const types[] = {"text", "number", "datetime", NULL};

static const bt_prop_spec props[] = {
    {"left", BT_PROP_STRING, true, NULL, "The value to test.", NULL},
    {"operator", BT_PROP_STRING, false, "equals",
     "How to compare left with right.", bt_compare_op_words},
    {"right", BT_PROP_STRING, false, "",
     "The value to compare with (a POSIX extended regular expression for "
     "matches); ignored by is-empty and is-not-empty.",
     NULL},
    {"type", BT_PROP_STRING, false, "text",
     "How equality and ordering read the values: text (byte order), number "
     "or datetime (ISO 8601); number and datetime fail the activity on a "
     "value that is not one.",
     types},
    {"case_sensitive", BT_PROP_BOOLEAN, false, "true",
     "When false, text comparisons and patterns ignore ASCII case.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"comparison_result", "left", "right",
                                        NULL};

static bt_compare_mode mode_of(const char *type) {
    if (strcmp(type, "number") == 0) return BT_CMP_NUMBER;
    if (strcmp(type, "datetime") == 0) return BT_CMP_DATETIME;
    return BT_CMP_TEXT;
}

/* What can be known before running: a literal pattern compiles, and
 * literal sides of a number or datetime comparison are numbers or dates. */
static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    const bt_node *op_node;
    const char *op_word = bt_utility_literal(def, "operator", &op_node);
    const char *type = bt_utility_literal(def, "type", NULL);
    const char *cs = bt_utility_literal(def, "case_sensitive", NULL);
    bt_compare_op op = BT_CMP_EQ;
    if (op_node && !op_word) return 0; /* from data: known at run time */
    if (op_word && bt_compare_op_parse(op_word, &op) != 0)
        return 0; /* the loader reports values outside the choices */
    if (bt_compare_op_is_unary(op)) return 0;
    bool case_sensitive = true;
    if (cs && !bt_parse_bool(cs, &case_sensitive)) return 0;
    const bt_node *rnode;
    const char *right = bt_utility_literal(def, "right", &rnode);
    int rc = 0;
    if ((op == BT_CMP_MATCHES || op == BT_CMP_NOT_MATCHES) && right) {
        regex_t re;
        bt_error err;
        bt_error_clear(&err);
        if (bt_compare_regex_compile(&re, right,
                                     case_sensitive ? 0 : BT_CMP_NOCASE,
                                     &err) != 0)
            return bt_diags_add(diags, BT_EINVAL, rb->file,
                                rnode ? rnode->line : def->line,
                                rnode ? rnode->column : def->column,
                                "compare-values '%s': property 'right': %s",
                                def->id, err.message);
        regfree(&re);
        return 0;
    }
    bt_compare_mode mode = type ? mode_of(type) : BT_CMP_TEXT;
    if (mode == BT_CMP_TEXT || op > BT_CMP_LE) return 0;
    static const char *const sides[] = {"left", "right"};
    for (size_t i = 0; i < 2; i++) {
        const bt_node *n;
        const char *v = bt_utility_literal(def, sides[i], &n);
        if (!v || !n) continue;
        /* Comparing a value with itself checks just that one side. */
        bool ignored;
        bt_error err;
        bt_error_clear(&err);
        if (bt_compare(op, v, v, mode, 0, NULL, &ignored, &err) != 0)
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, n->line, n->column,
                              "compare-values '%s': property '%s': '%.80s' "
                              "is not %s",
                              def->id, sides[i], v,
                              mode == BT_CMP_NUMBER
                                  ? "a number (type is number)"
                                  : "an ISO 8601 date and time (type is "
                                    "datetime)");
    }
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    const char *left = bt_act_str(ctx, "left", "");
    const char *right = bt_act_str(ctx, "right", "");
    const char *op_word = bt_act_str(ctx, "operator", "equals");
    const char *type = bt_act_str(ctx, "type", "text");
    bool case_sensitive = true;
    if (bt_act_bool(ctx, "case_sensitive", true, &case_sensitive) != 0 ||
        bt_act_failed(ctx))
        return -BT_EINVAL;
    bt_compare_op op;
    if (bt_compare_op_parse(op_word, &op) != 0)
        return bt_act_fail(ctx,
                           "compare-values: operator '%.100s' is not one of "
                           "equals, not-equals, contains, not-contains, "
                           "starts-with, ends-with, matches, not-matches, "
                           "greater-than, less-than, greater-or-equal, "
                           "less-or-equal, is-empty, is-not-empty",
                           op_word);
    bt_compare_mode mode = mode_of(type);
    if (mode == BT_CMP_TEXT && strcmp(type, "text") != 0)
        return bt_act_fail(ctx,
                           "compare-values: type '%.100s' is not one of "
                           "text, number, datetime",
                           type);
    bool result = false;
    bt_error err;
    bt_error_clear(&err);
    if (bt_compare(op, left, right, mode, case_sensitive ? 0 : BT_CMP_NOCASE,
                   NULL, &result, &err) != 0)
        return bt_act_fail(ctx, "compare-values: %s", err.message);
    bt_act_publish(ctx, "comparison_result", result ? "true" : "false");
    bt_act_publish(ctx, "left", left);
    bt_act_publish(ctx, "right", right);
    return 0;
}

const bt_activity_type bt_activity_compare_values = {
    .name = "compare-values",
    .title = "Compare Values",
    .category = "utility",
    .description = "Compares two values and publishes whether the "
                   "comparison holds.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .check = check,
    .run = run,
};
