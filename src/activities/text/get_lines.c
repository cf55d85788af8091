/* Get Lines: publishes the lines of a text file that are in a selection
 * and (optionally) contain a text or match a regular expression, one row
 * per line. */
#include <inttypes.h>

#include "activities/file/fileutil.h"
#include "activities/text/textmatch.h"

static const bt_prop_spec get_lines_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"lines", BT_PROP_STRING, false, "all",
     "Lines to consider: all, N, N-M, N-END, END or a comma list", NULL},
    {"pattern", BT_PROP_STRING, false, NULL,
     "Publish only lines that contain this text or match this regular "
     "expression",
     NULL},
    {"mode", BT_PROP_STRING, false, "text",
     "text: pattern is literal; regex: pattern is a regular expression",
     bt_textmatch_mode_names},
    {"case_sensitive", BT_PROP_BOOLEAN, false, "true",
     "Match letter case exactly", NULL},
    {"invert", BT_PROP_BOOLEAN, false, "false",
     "Publish the lines that do NOT match pattern (grep -v)", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const get_lines_published[] = {"path", "line_number",
                                                  "line", NULL};

typedef struct get_state {
    bt_activity_ctx *ctx;
    const char *path;
    const bt_textmatch *m; /* NULL: no filter */
    bool invert;
} get_state;

static int take_line(void *ud, uint64_t number, const char *line, size_t len,
                     bt_error *err) {
    get_state *s = ud;
    if (s->m) {
        regmatch_t g[BT_TEXTMATCH_GROUPS];
        if (bt_textmatch_find(s->m, line, len, 0, g) == s->invert) return 0;
    }
    size_t rows = bt_act_row_count(s->ctx);
    if (rows >= BT_FILEUTIL_MAX_ROWS)
        return bt_error_set(err, BT_ETOOBIG,
                            "more than %d lines selected from '%s'; narrow "
                            "'lines' or 'pattern'",
                            BT_FILEUTIL_MAX_ROWS, s->path);
    if (rows > 0) bt_act_new_row(s->ctx);
    bt_act_publish(s->ctx, "path", s->path);
    bt_act_publishf(s->ctx, "line_number", "%" PRIu64, number);
    bt_act_publishn(s->ctx, "line", line, len);
    return 0;
}

static int get_lines_run(bt_activity_ctx *ctx) {
    get_state s = {ctx, NULL, NULL, false};
    if (bt_fileutil_path_prop(ctx, "path", &s.path) ||
        bt_act_bool(ctx, "invert", false, &s.invert))
        return -BT_EINVAL;
    bt_textmatch m = {0};
    bool has_pattern = bt_act_has(ctx, "pattern");
    if (has_pattern) {
        if (bt_textmatch_from_props(ctx, "pattern", &m)) return -BT_EINVAL;
        s.m = &m;
    }
    bt_error err = {0};
    bt_line_ranges ranges;
    int rc = bt_fileutil_ranges_parse(bt_act_str(ctx, "lines", "all"),
                                      &ranges, &err);
    if (!rc) {
        rc = bt_fileutil_each_line(s.path, &ranges, take_line, &s, &err);
        bt_fileutil_ranges_free(&ranges);
    }
    if (has_pattern) bt_textmatch_free(&m);
    if (rc) return bt_fileutil_fail(ctx, &err);
    /* Nothing selected is not an error: zero rows, no link fires. */
    if (bt_act_row_count(ctx) == 0) bt_act_publish_no_rows(ctx);
    return 0;
}

const bt_activity_type bt_activity_get_lines = {
    .name = "get-lines",
    .title = "Get Lines",
    .category = "text",
    .description = "Publishes the selected (or matching) lines of a text "
                   "file, one row per line.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_lines_props,
    .published = get_lines_published,
    .run = get_lines_run,
};
