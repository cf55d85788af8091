/* Write Web Page: writes an HTML file from a template. The template's own
 * text is HTML as written; every value substituted from published data or
 * variables is HTML-escaped, so upstream data cannot inject markup. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"
#include "engine/template.h"
#include "runbook/runbook.h"

static const bt_prop_spec props[] = {
    {"file", BT_PROP_STRING, true, NULL, "The HTML file to write.", NULL},
    {"template", BT_PROP_STRING, false, NULL,
     "HTML with {activity.field} references; substituted values are "
     "escaped.",
     NULL},
    {"template_file", BT_PROP_STRING, false, NULL,
     "A file holding the template (instead of template).", NULL},
    {"title", BT_PROP_STRING, false, "", "Title of the built-in page.", NULL},
    {"text", BT_PROP_STRING, false, "",
     "Text of the built-in page, shown preformatted.", NULL},
    {"overwrite", BT_PROP_BOOLEAN, false, "true",
     "Replace an existing file (else fail).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"file", "bytes", NULL};

static void html_escape(bt_buf *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': bt_buf_appends(out, "&amp;"); break;
        case '<': bt_buf_appends(out, "&lt;"); break;
        case '>': bt_buf_appends(out, "&gt;"); break;
        case '"': bt_buf_appends(out, "&quot;"); break;
        case '\'': bt_buf_appends(out, "&#39;"); break;
        default: bt_buf_appendc(out, *s);
        }
    }
}

/* Literal template text, with {{a.b}} escapes resolved. */
static void append_literal(bt_buf *out, const char *s, size_t len) {
    bt_template *t = NULL;
    bt_error err;
    bt_error_clear(&err);
    if (len && bt_template_compile(s, len, &t, &err) == 0 &&
        bt_template_is_literal(t))
        bt_buf_appends(out, bt_template_literal(t));
    else
        bt_buf_append(out, s, len);
    bt_template_free(t);
}

/* Expands src piece by piece: literal parts as they are, each reference
 * through the engine and then escaped. */
static int render(bt_activity_ctx *ctx, const char *src, bt_buf *out) {
    bt_template *t = NULL;
    bt_error err;
    bt_error_clear(&err);
    if (bt_template_compile(src, strlen(src), &t, &err) != 0)
        return bt_act_fail(ctx, "write-web-page: template: %s", err.message);
    size_t pos = 0, n = bt_template_ref_count(t);
    for (size_t i = 0; i < n; i++) {
        const bt_template_ref *r = bt_template_ref_at(t, i);
        const char *end = strchr(src + r->offset, '}');
        if (!end) break;
        append_literal(out, src + pos, r->offset - pos);
        char *ref = bt_xstrndup(src + r->offset,
                                (size_t)(end + 1 - (src + r->offset)));
        html_escape(out, bt_act_expand(ctx, ref));
        free(ref);
        pos = (size_t)(end + 1 - src);
    }
    append_literal(out, src + pos, strlen(src + pos));
    bt_template_free(t);
    return 0;
}

static int write_atomic(bt_activity_ctx *ctx, const char *path,
                        const bt_buf *data, bool overwrite) {
    if (!overwrite && access(path, F_OK) == 0)
        return bt_act_fail(ctx, "write-web-page: '%s' exists and overwrite "
                                "is false",
                           path);
    char *tmp = bt_xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = bt_act_fail(ctx, "write-web-page: cannot write '%s': %s", path,
                         strerror(errno));
        free(tmp);
        return rc;
    }
    size_t off = 0;
    while (off < data->len) {
        ssize_t w = write(fd, data->data + off, data->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        off += (size_t)w;
    }
    int e = errno;
    if (off < data->len || close(fd) != 0) {
        if (off < data->len) close(fd);
        rc = bt_act_fail(ctx, "write-web-page: cannot write '%s': %s", path,
                         strerror(off < data->len ? e : errno));
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        rc = bt_act_fail(ctx, "write-web-page: cannot write '%s': %s", path,
                         strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    const char *file = bt_act_str(ctx, "file", "");
    bool overwrite = true;
    if (bt_act_bool(ctx, "overwrite", true, &overwrite)) return -BT_EINVAL;
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    if (!*file) return bt_act_fail(ctx, "write-web-page: 'file' is empty");
    bool has_t = bt_act_has(ctx, "template");
    bool has_tf = bt_act_has(ctx, "template_file");
    if (has_t && has_tf)
        return bt_act_fail(ctx, "write-web-page: give template or "
                                "template_file, not both");
    bt_buf out;
    bt_buf_init(&out, 0);
    int rc = 0;
    if (has_t) {
        const bt_node *n =
            bt_node_get(bt_act_def(ctx)->properties, "template");
        rc = render(ctx, n && n->kind == BT_NODE_SCALAR ? n->str : "", &out);
    } else if (has_tf) {
        const char *tf = bt_act_str(ctx, "template_file", "");
        bt_buf src;
        bt_buf_init(&src, (size_t)16 << 20);
        bt_error err = {0};
        if (bt_buf_read_file(&src, tf, &err) != 0)
            rc = bt_act_fail(ctx, "write-web-page: cannot read template "
                                  "'%s': %s",
                             tf, err.message);
        else
            rc = render(ctx, bt_buf_str(&src), &out);
        bt_buf_free(&src);
    } else {
        const char *title = bt_act_str(ctx, "title", "");
        const char *text = bt_act_str(ctx, "text", "");
        bt_buf_appends(&out, "<!DOCTYPE html>\n<html>\n<head>\n<meta "
                             "charset=\"utf-8\">\n<title>");
        html_escape(&out, title);
        bt_buf_appends(&out, "</title>\n</head>\n<body>\n<h1>");
        html_escape(&out, title);
        bt_buf_appends(&out, "</h1>\n<pre>");
        html_escape(&out, text);
        bt_buf_appends(&out, "</pre>\n</body>\n</html>\n");
    }
    if (rc == 0) rc = write_atomic(ctx, file, &out, overwrite);
    if (rc == 0) {
        bt_act_publish(ctx, "file", file);
        bt_act_publishf(ctx, "bytes", "%zu", out.len);
    }
    bt_buf_free(&out);
    return rc;
}

const bt_activity_type bt_activity_write_web_page = {
    .name = "write-web-page",
    .title = "Write Web Page",
    .category = "utility",
    .description = "Writes an HTML file from a template, escaping the "
                   "published data put into it.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
