/* Delete Line: removes selected lines, optionally only those matching a
 * text or regular expression, and rewrites the file atomically (temporary
 * file, fsync, rename), so readers see the old content or the new. */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "activities/text/textlines.h"
#include "activities/text/textmatch.h"

static const bt_prop_spec delete_line_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"lines", BT_PROP_STRING, false, "all",
     "Lines that may be deleted: all, N, N-M, N-END, END or a comma list",
     NULL},
    {"pattern", BT_PROP_STRING, false, NULL,
     "Delete only the selected lines that contain this text or match this "
     "regular expression",
     NULL},
    {"mode", BT_PROP_STRING, false, "text",
     "text: pattern is literal; regex: pattern is a regular expression",
     bt_textmatch_mode_names},
    {"case_sensitive", BT_PROP_BOOLEAN, false, "true",
     "Match letter case exactly", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const delete_line_published[] = {
    "path", "lines_deleted", "line_count", NULL};

static int delete_line_run(bt_activity_ctx *ctx) {
    const char *path;
    if (bt_fileutil_path_prop(ctx, "path", &path)) return -BT_EINVAL;
    bool has_pattern = bt_act_has(ctx, "pattern");
    bt_error err = {0};
    if (!bt_act_has(ctx, "lines") && !has_pattern) {
        bt_error_set(&err, BT_EINVAL,
                     "set 'lines', 'pattern' or both (deleting every line "
                     "of '%s' must be asked for with lines: all)",
                     path);
        return bt_fileutil_fail(ctx, &err);
    }
    bt_textmatch m = {0};
    if (has_pattern && bt_textmatch_from_props(ctx, "pattern", &m))
        return -BT_EINVAL;
    bt_line_ranges ranges = {0};
    bt_textlines t = {0};
    bt_buf out;
    bt_buf_init(&out, BT_FILEUTIL_FILE_CAP);
    size_t deleted = 0;
    int rc = bt_fileutil_ranges_parse(bt_act_str(ctx, "lines", "all"),
                                      &ranges, &err);
    if (!rc) rc = bt_textlines_load(path, &t, &err);
    for (size_t i = 0; !rc && i < t.count; i++) {
        const bt_textline *l = &t.lines[i];
        const char *text = bt_buf_str(&t.data) + l->start;
        regmatch_t g[BT_TEXTMATCH_GROUPS];
        bool del = bt_textlines_selected(&ranges, i + 1, t.count) &&
                   (!has_pattern || bt_textmatch_find(&m, text, l->len, 0, g));
        if (del)
            deleted++;
        else if (bt_buf_append(&out, text, l->size))
            rc = bt_error_set(&err, BT_ENOMEM, "out of memory rewriting '%s'",
                              path);
    }
    /* Nothing to delete: leave the file and its modification time alone. */
    if (!rc && deleted > 0) {
        struct stat st;
        mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
        rc = bt_fileutil_rewrite(path, bt_buf_str(&out), out.len, mode, &err);
    }
    size_t total = t.count;
    bt_buf_free(&out);
    bt_textlines_free(&t);
    bt_fileutil_ranges_free(&ranges);
    if (has_pattern) bt_textmatch_free(&m);
    if (rc) return bt_fileutil_fail(ctx, &err);
    bt_act_publish(ctx, "path", path);
    bt_act_publishf(ctx, "lines_deleted", "%zu", deleted);
    bt_act_publishf(ctx, "line_count", "%zu", total - deleted);
    return 0;
}

const bt_activity_type bt_activity_delete_line = {
    .name = "delete-line",
    .title = "Delete Line",
    .category = "text",
    .description = "Deletes selected (or matching) lines from a text file, "
                   "rewriting it atomically.",
    .mode = BT_EXEC_BLOCKING,
    .props = delete_line_props,
    .published = delete_line_published,
    .run = delete_line_run,
};
