/* Find Text: the lines of a file that contain a text or match a regular
 * expression, one row per matching line. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "activities/file/fileutil.h"
#include "activities/text/textmatch.h"
#include "common/util.h"

static const bt_prop_spec find_text_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"pattern", BT_PROP_STRING, true, NULL,
     "Text to look for, or a POSIX extended regular expression", NULL},
    {"mode", BT_PROP_STRING, false, "text",
     "text: pattern is literal; regex: pattern is a regular expression",
     bt_textmatch_mode_names},
    {"case_sensitive", BT_PROP_BOOLEAN, false, "true",
     "Match letter case exactly (otherwise ASCII letters match either case)",
     NULL},
    {"lines", BT_PROP_STRING, false, "all",
     "Lines to search, as in read-line: all, N, N-M, N-END, END, 1,3,5-7",
     NULL},
    {"fail_if_not_found", BT_PROP_BOOLEAN, false, "false",
     "Fail when no line matches (otherwise publish one row with "
     "match_count 0)",
     NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const find_text_published[] = {
    "path", "line_number", "line", "match", "column", "match_count", NULL};

typedef struct hit {
    uint64_t line_number;
    char *line;
    size_t len;
    size_t match_start, match_end;
} hit;

/* match_count goes on every row, so the hits are gathered before any row
 * is published. */
typedef struct find_state {
    const bt_textmatch *m;
    const char *path;
    hit *hits;
    size_t count, cap;
} find_state;

static int collect(void *ud, uint64_t number, const char *line, size_t len,
                   bt_error *err) {
    find_state *s = ud;
    regmatch_t g[BT_TEXTMATCH_GROUPS];
    if (!bt_textmatch_find(s->m, line, len, 0, g)) return 0;
    if (s->count >= BT_FILEUTIL_MAX_ROWS)
        return bt_error_set(err, BT_ETOOBIG,
                            "more than %d lines of '%s' match; narrow the "
                            "pattern or the 'lines' property",
                            BT_FILEUTIL_MAX_ROWS, s->path);
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->hits = bt_xrealloc(s->hits, s->cap * sizeof *s->hits);
    }
    s->hits[s->count++] = (hit){number, bt_xstrndup(line, len), len,
                                (size_t)g[0].rm_so, (size_t)g[0].rm_eo};
    return 0;
}

static void publish_hits(bt_activity_ctx *ctx, const find_state *s) {
    if (s->count == 0) {
        /* One row that says "nothing": downstream links can test
         * {id.match_count} == 0, which zero rows would not allow. */
        bt_act_publish(ctx, "path", s->path);
        static const char *const empty[] = {"line_number", "line", "match",
                                            "column", NULL};
        for (size_t i = 0; empty[i]; i++) bt_act_publish(ctx, empty[i], "");
        bt_act_publish(ctx, "match_count", "0");
        return;
    }
    for (size_t i = 0; i < s->count; i++) {
        const hit *h = &s->hits[i];
        if (i > 0) bt_act_new_row(ctx);
        bt_act_publish(ctx, "path", s->path);
        bt_act_publishf(ctx, "line_number", "%" PRIu64, h->line_number);
        bt_act_publishn(ctx, "line", h->line, h->len);
        bt_act_publishn(ctx, "match", h->line + h->match_start,
                        h->match_end - h->match_start);
        bt_act_publishf(ctx, "column", "%zu", h->match_start + 1);
        bt_act_publishf(ctx, "match_count", "%zu", s->count);
    }
}

static int find_text_run(bt_activity_ctx *ctx) {
    const char *path;
    bool fail_if_not_found;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "fail_if_not_found", false, &fail_if_not_found))
        return -BT_EINVAL;
    bt_textmatch m;
    if (bt_textmatch_from_props(ctx, "pattern", &m)) return -BT_EINVAL;
    bt_error err = {0};
    bt_line_ranges ranges;
    int rc = bt_fileutil_ranges_parse(bt_act_str(ctx, "lines", "all"),
                                      &ranges, &err);
    find_state s = {&m, path, NULL, 0, 0};
    if (!rc) rc = bt_fileutil_each_line(path, &ranges, collect, &s, &err);
    if (!rc && s.count == 0 && fail_if_not_found)
        rc = bt_error_set(&err, BT_ENOTFOUND,
                          "'%s' not found in '%s' (fail_if_not_found: true)",
                          m.pattern, path);
    if (!rc) publish_hits(ctx, &s);
    for (size_t i = 0; i < s.count; i++) free(s.hits[i].line);
    free(s.hits);
    bt_fileutil_ranges_free(&ranges);
    bt_textmatch_free(&m);
    return rc ? bt_fileutil_fail(ctx, &err) : 0;
}

const bt_activity_type bt_activity_find_text = {
    .name = "find-text",
    .title = "Find Text",
    .category = "text",
    .description = "Finds the lines of a text file that contain a text or "
                   "match a regular expression.",
    .mode = BT_EXEC_BLOCKING,
    .props = find_text_props,
    .published = find_text_published,
    .run = find_text_run,
};
