/* Search and Replace Text: rewrites a file with every (or the first)
 * occurrence of a text or regular expression replaced. The result is
 * written to a temporary file and renamed into place, so readers see the
 * old content or the new, never a mixture. */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "activities/file/fileutil.h"
#include "activities/text/textmatch.h"

static const bt_prop_spec search_replace_text_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"search", BT_PROP_STRING, true, NULL,
     "Text to replace, or a POSIX extended regular expression", NULL},
    {"replace", BT_PROP_STRING, false, "",
     "Replacement; in regex mode \\1..\\9 insert groups, \\0 the whole "
     "match, \\\\ a backslash",
     NULL},
    {"mode", BT_PROP_STRING, false, "text",
     "text: search is literal; regex: search is a regular expression",
     bt_textmatch_mode_names},
    {"case_sensitive", BT_PROP_BOOLEAN, false, "true",
     "Match letter case exactly (otherwise ASCII letters match either case)",
     NULL},
    {"first_only", BT_PROP_BOOLEAN, false, "false",
     "Replace only the first occurrence in the file", NULL},
    {"output_path", BT_PROP_STRING, false, NULL,
     "Write the result here instead of rewriting path", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const search_replace_text_published[] = {
    "path", "output_path", "replacements", NULL};

/* Builds the replaced text in out; *count gets the number of
 * replacements. */
static int replace_all(const bt_textmatch *m, const char *replacement,
                       bool first_only, const bt_buf *in, bt_buf *out,
                       size_t *count) {
    const char *text = bt_buf_str(in);
    size_t len = in->len, pos = 0;
    /* Like sed: an empty match right after the previous match is not a
     * new occurrence ("x*" on "xxa" gives "RaR", not "RRaR"). */
    size_t prev_end = SIZE_MAX;
    regmatch_t g[BT_TEXTMATCH_GROUPS];
    int rc = 0;
    *count = 0;
    while (!rc && pos <= len && bt_textmatch_find(m, text, len, pos, g)) {
        size_t so = (size_t)g[0].rm_so, eo = (size_t)g[0].rm_eo;
        if (so == eo && so == prev_end) {
            if (so < len) rc = bt_buf_appendc(out, text[so]);
            pos = so + 1;
            prev_end = SIZE_MAX;
            continue;
        }
        rc = bt_buf_append(out, text + pos, so - pos);
        if (!rc) rc = bt_textmatch_replace(m, replacement, text, g, out);
        if (rc) break;
        (*count)++;
        prev_end = eo;
        if (so == eo) {
            /* An empty match consumes one character so the scan moves. */
            if (so < len) rc = bt_buf_appendc(out, text[so]);
            pos = so + 1;
        } else {
            pos = eo;
        }
        if (first_only) break;
    }
    if (!rc && pos < len) rc = bt_buf_append(out, text + pos, len - pos);
    return rc;
}

static int search_replace_text_run(bt_activity_ctx *ctx) {
    const char *path, *output;
    bool first_only;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "first_only", false, &first_only))
        return -BT_EINVAL;
    if (bt_act_has(ctx, "output_path")) {
        if (bt_fileutil_path_prop(ctx, "output_path", &output))
            return -BT_EINVAL;
    } else {
        output = path;
    }
    bt_textmatch m;
    if (bt_textmatch_from_props(ctx, "search", &m)) return -BT_EINVAL;
    const char *replacement = bt_act_str(ctx, "replace", "");
    bt_error err = {0};
    bt_buf in, out;
    bt_buf_init(&out, BT_FILEUTIL_FILE_CAP);
    int rc = bt_textmatch_check_replacement(&m, "replace", replacement, &err);
    if (!rc) rc = bt_fileutil_read_all(path, BT_FILEUTIL_FILE_CAP, &in, &err);
    size_t count = 0;
    if (!rc) {
        rc = replace_all(&m, replacement, first_only, &in, &out, &count);
        if (rc) {
            char capbuf[32];
            bt_fileutil_format_size(BT_FILEUTIL_FILE_CAP, capbuf,
                                    sizeof capbuf);
            rc = bt_error_set(&err, BT_ETOOBIG,
                              "the result for '%s' would be larger than the "
                              "%s limit",
                              path, capbuf);
        }
        bt_buf_free(&in);
    }
    /* Nothing replaced in place: leave the file (and its mtime) alone. */
    bool same = strcmp(output, path) == 0;
    if (!rc && !(same && count == 0)) {
        struct stat st;
        mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
        rc = bt_fileutil_rewrite(output, bt_buf_str(&out), out.len, mode,
                                 &err);
    }
    bt_buf_free(&out);
    bt_textmatch_free(&m);
    if (rc) return bt_fileutil_fail(ctx, &err);
    bt_act_publish(ctx, "path", path);
    bt_act_publish(ctx, "output_path", output);
    bt_act_publishf(ctx, "replacements", "%zu", count);
    return 0;
}

const bt_activity_type bt_activity_search_replace_text = {
    .name = "search-replace-text",
    .title = "Search and Replace Text",
    .category = "text",
    .description = "Replaces a text or regular expression in a file, "
                   "rewriting it atomically.",
    .mode = BT_EXEC_BLOCKING,
    .props = search_replace_text_props,
    .published = search_replace_text_published,
    .run = search_replace_text_run,
};
