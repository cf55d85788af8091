/* Compare Values: one comparison whose answer is published data, not the
 * activity's result, as in Orchestrator; links then branch on
 * {step.comparison_result}. The operators are the ones conditions use
 * (engine/compare.h), so both always agree. */
#include <stdbool.h>
#include <string.h>

#include "baton/activity.h"
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
    bt_compare_mode mode;
    if (strcmp(type, "text") == 0) mode = BT_CMP_TEXT;
    else if (strcmp(type, "number") == 0) mode = BT_CMP_NUMBER;
    else if (strcmp(type, "datetime") == 0) mode = BT_CMP_DATETIME;
    else
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
    .run = run,
};
