/* Insert Line: inserts text as whole lines before a given line (or at the
 * end) and rewrites the file atomically. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "activities/text/textlines.h"

static const bt_prop_spec insert_line_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"text", BT_PROP_STRING, true, NULL,
     "Text to insert; may hold several lines", NULL},
    {"line", BT_PROP_STRING, false, "END",
     "Line number the text becomes (1 inserts at the top), or END to add "
     "it after the last line",
     NULL},
    {"create", BT_PROP_BOOLEAN, false, "false",
     "Create the file when it does not exist", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const insert_line_published[] = {
    "path", "line_number", "lines_inserted", "line_count", NULL};

static int parse_position(const char *text, uint64_t *out, bt_error *err) {
    if (strcasecmp(text, "end") == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || v == 0 || text[0] == '-')
        return bt_error_set(err, BT_EINVAL,
                            "property 'line' must be a line number from 1 "
                            "or END, got '%s'",
                            text);
    *out = v;
    return 0;
}

static int insert_line_run(bt_activity_ctx *ctx) {
    const char *path;
    bool create;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "create", false, &create))
        return -BT_EINVAL;
    const char *text = bt_act_str(ctx, "text", "");
    size_t text_len = strlen(text);
    bt_error err = {0};
    uint64_t pos = 0;
    if (parse_position(bt_act_str(ctx, "line", "END"), &pos, &err))
        return bt_fileutil_fail(ctx, &err);

    bt_textlines t = {0};
    struct stat st;
    bool exists = stat(path, &st) == 0;
    int rc = 0;
    if (!exists && errno == ENOENT && create) {
        bt_buf_init(&t.data, BT_FILEUTIL_FILE_CAP); /* an empty file */
    } else if (!exists && errno == ENOENT) {
        rc = bt_error_set(&err, BT_ENOTFOUND,
                          "'%s' does not exist (set create: true to create "
                          "it)",
                          path);
    } else {
        rc = bt_textlines_load(path, &t, &err);
    }
    if (!rc && pos != UINT64_MAX && pos > t.count + 1)
        rc = bt_error_set(&err, BT_EINVAL,
                          "cannot insert at line %" PRIu64 ": '%s' has only "
                          "%zu lines (use END to append)",
                          pos, path, t.count);
    size_t at = rc ? 0 : (pos == UINT64_MAX ? t.count : (size_t)pos - 1);
    const char *eol = t.crlf ? "\r\n" : "\n";
    bt_buf out;
    bt_buf_init(&out, BT_FILEUTIL_FILE_CAP);
    const char *data = bt_buf_str(&t.data);
    size_t inserted = 0;
    for (size_t i = 0; !rc && i <= t.count; i++) {
        if (i == at) {
            /* The last line may lack its newline: end it before adding. */
            if (i > 0 && i == t.count &&
                t.lines[i - 1].size == t.lines[i - 1].len)
                rc = bt_buf_appends(&out, eol);
            if (!rc) rc = bt_buf_append(&out, text, text_len);
            if (!rc && (text_len == 0 || text[text_len - 1] != '\n'))
                rc = bt_buf_appends(&out, eol);
        }
        if (!rc && i < t.count)
            rc = bt_buf_append(&out, data + t.lines[i].start,
                               t.lines[i].size);
    }
    if (rc && !err.code)
        rc = bt_error_set(&err, BT_ETOOBIG,
                          "the result for '%s' would be larger than the "
                          "64 MiB limit",
                          path);
    if (!rc) {
        for (size_t i = 0; i < text_len; i++) inserted += text[i] == '\n';
        if (text_len == 0 || text[text_len - 1] != '\n') inserted++;
        mode_t mode = exists ? (st.st_mode & 07777) : 0644;
        rc = bt_fileutil_rewrite(path, bt_buf_str(&out), out.len, mode, &err);
    }
    size_t total = t.count;
    bt_buf_free(&out);
    bt_textlines_free(&t);
    if (rc) return bt_fileutil_fail(ctx, &err);
    bt_act_publish(ctx, "path", path);
    bt_act_publishf(ctx, "line_number", "%zu", at + 1);
    bt_act_publishf(ctx, "lines_inserted", "%zu", inserted);
    bt_act_publishf(ctx, "line_count", "%zu", total + inserted);
    return 0;
}

const bt_activity_type bt_activity_insert_line = {
    .name = "insert-line",
    .title = "Insert Line",
    .category = "text",
    .description = "Inserts text as whole lines at a line number of a text "
                   "file, rewriting it atomically.",
    .mode = BT_EXEC_BLOCKING,
    .props = insert_line_props,
    .published = insert_line_published,
    .run = insert_line_run,
};
