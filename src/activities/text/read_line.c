/* Read Line: publishes selected lines of a text file, one row per line. */
#include <inttypes.h>

#include "activities/file/fileutil.h"

static const bt_prop_spec read_line_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"lines", BT_PROP_STRING, false, "all",
     "Lines to read: all, N, N-M, N-END, END (the last line) or a comma "
     "list such as 1,3,5-7",
     NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const read_line_published[] = {"path", "line_number",
                                                  "line", NULL};

typedef struct read_state {
    bt_activity_ctx *ctx;
    const char *path;
} read_state;

static int publish_line(void *ud, uint64_t number, const char *line,
                        size_t len, bt_error *err) {
    read_state *s = ud;
    size_t rows = bt_act_row_count(s->ctx);
    if (rows >= BT_FILEUTIL_MAX_ROWS)
        return bt_error_set(err, BT_ETOOBIG,
                            "more than %d lines selected from '%s'; select "
                            "fewer with the 'lines' property",
                            BT_FILEUTIL_MAX_ROWS, s->path);
    if (rows > 0) bt_act_new_row(s->ctx);
    bt_act_publish(s->ctx, "path", s->path);
    bt_act_publishf(s->ctx, "line_number", "%" PRIu64, number);
    bt_act_publishn(s->ctx, "line", line, len);
    return 0;
}

static int read_line_run(bt_activity_ctx *ctx) {
    read_state s = {ctx, NULL};
    if (bt_fileutil_path_prop(ctx, "path", &s.path)) return -BT_EINVAL;
    bt_error err = {0};
    bt_line_ranges ranges;
    if (bt_fileutil_ranges_parse(bt_act_str(ctx, "lines", "all"), &ranges,
                                 &err))
        return bt_fileutil_fail(ctx, &err);
    int rc = bt_fileutil_each_line(s.path, &ranges, publish_line, &s, &err);
    bt_fileutil_ranges_free(&ranges);
    if (rc) return bt_fileutil_fail(ctx, &err);
    /* An empty file, or a selection past its end, is not an error: the
     * activity succeeds with no rows and no link out of it fires. */
    if (bt_act_row_count(ctx) == 0) bt_act_publish_no_rows(ctx);
    return 0;
}

const bt_activity_type bt_activity_read_line = {
    .name = "read-line",
    .title = "Read Line",
    .category = "text",
    .description = "Reads lines of a text file, publishing one row per "
                   "line.",
    .mode = BT_EXEC_BLOCKING,
    .props = read_line_props,
    .published = read_line_published,
    .run = read_line_run,
};
