/* Splitting a text file into lines that keep their endings. */
#include "activities/text/textlines.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int bt_textlines_load(const char *path, bt_textlines *out, bt_error *err) {
    memset(out, 0, sizeof *out);
    int rc = bt_fileutil_read_all(path, BT_FILEUTIL_FILE_CAP, &out->data, err);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    const char *text = bt_buf_str(&out->data);
    size_t len = out->data.len, cap = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) + 1 : len;
        size_t tlen = (nl ? end - 1 : end) - pos;
        if (nl && tlen > 0 && text[pos + tlen - 1] == '\r') tlen--;
        if (tlen > BT_FILEUTIL_LINE_CAP) {
            char capbuf[32];
            bt_fileutil_format_size(BT_FILEUTIL_LINE_CAP, capbuf,
                                    sizeof capbuf);
            rc = bt_error_set(err, BT_ETOOBIG,
                              "line %zu of '%s' is longer than the %s limit",
                              out->count + 1, path, capbuf);
            bt_textlines_free(out);
            return rc;
        }
        if (out->count == cap) {
            cap = cap ? cap * 2 : 64;
            out->lines = bt_xrealloc(out->lines, cap * sizeof *out->lines);
        }
        out->lines[out->count++] = (bt_textline){pos, tlen, end - pos};
        if (out->count == 1) out->crlf = nl && tlen + 2 == end - pos;
        pos = end;
    }
    return 0;
}

void bt_textlines_free(bt_textlines *t) {
    if (!t) return;
    bt_buf_free(&t->data);
    free(t->lines);
    t->lines = NULL;
    t->count = 0;
}

bool bt_textlines_selected(const bt_line_ranges *r, uint64_t n,
                           uint64_t total) {
    return bt_fileutil_ranges_has(r, n) || (r->want_last && n == total);
}
