/* Query JSON: selects values from a JSON document (text or a file) with a
 * JSONPath subset and publishes one row per match. */
#include <stdlib.h>
#include <string.h>

#include "activities/utility/jsonpath.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

#define DOC_CAP ((size_t)64 << 20)

static const bt_prop_spec props[] = {
    {"path", BT_PROP_STRING, true, NULL,
     "JSONPath of the values to select: $.a.b, $.a[0], $.items[*].name, "
     "$..id, $['odd name'].",
     NULL},
    {"text", BT_PROP_STRING, false, NULL,
     "The JSON document (give text or file).", NULL},
    {"file", BT_PROP_STRING, false, NULL,
     "A file holding the JSON document (give text or file).", NULL},
    {"fail_if_none", BT_PROP_BOOLEAN, false, "false",
     "Fail when the path matches nothing (else: no rows).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"value", "type", "match_index",
                                        "match_count", NULL};

static int run(bt_activity_ctx *ctx) {
    const char *path = bt_act_str(ctx, "path", "$");
    bool fail_if_none = false;
    if (bt_act_bool(ctx, "fail_if_none", false, &fail_if_none) != 0)
        return -BT_EINVAL;
    bool has_text = bt_act_has(ctx, "text"), has_file = bt_act_has(ctx, "file");
    if (has_text == has_file)
        return bt_act_fail(ctx, "query-json: give exactly one of 'text' and "
                                "'file'");
    json_error_t jerr;
    json_t *root;
    const char *what;
    if (has_file) {
        const char *file = bt_act_str(ctx, "file", "");
        bt_buf b;
        bt_buf_init(&b, DOC_CAP);
        bt_error err = {0};
        if (bt_buf_read_file(&b, file, &err) != 0) {
            bt_buf_free(&b);
            return bt_act_fail(ctx, "query-json: cannot read '%s': %s", file,
                               err.message);
        }
        root = json_loadb(bt_buf_str(&b), b.len,
                          JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        bt_buf_free(&b);
        what = bt_act_strdup(ctx, file);
    } else {
        const char *text = bt_act_str(ctx, "text", "");
        root = json_loads(text, JSON_DECODE_ANY, &jerr);
        what = "text";
    }
    if (!root)
        return bt_act_fail(ctx,
                           "query-json: %s%s%s is not JSON: %s (line %d, "
                           "column %d)",
                           has_file ? "'" : "", what, has_file ? "'" : "",
                           jerr.text, jerr.line, jerr.column);
    bt_jsonpath_matches m;
    char msg[400];
    if (bt_jsonpath_eval(root, path, &m, msg, sizeof msg) != 0) {
        json_decref(root);
        return bt_act_fail(ctx, "query-json: %s", msg);
    }
    for (size_t i = 0; i < m.n; i++) {
        if (i) bt_act_new_row(ctx);
        char *text = bt_jsonpath_text(m.items[i]);
        bt_act_publish(ctx, "value", text);
        free(text);
        bt_act_publish(ctx, "type", bt_jsonpath_type(m.items[i]));
        bt_act_publishf(ctx, "match_index", "%zu", i + 1);
        bt_act_publishf(ctx, "match_count", "%zu", m.n);
    }
    size_t n = m.n;
    bt_jsonpath_matches_free(&m);
    json_decref(root);
    if (n == 0) {
        if (fail_if_none)
            return bt_act_fail(ctx, "query-json: path '%s' matches nothing",
                               path);
        bt_act_publish(ctx, "match_count", "0");
        bt_act_publish_no_rows(ctx);
    }
    return 0;
}

const bt_activity_type bt_activity_query_json = {
    .name = "query-json",
    .title = "Query JSON",
    .category = "utility",
    .description = "Selects values from a JSON document with a JSONPath and "
                   "publishes one row per match.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
