/* Line-oriented reading for the text activities: a streaming reader with
 * caps, line selections, and a walk over the selected lines. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

/* ---- lines ------------------------------------------------------------ */

#define LINE_CHUNK ((size_t)64 << 10)

int bt_fileutil_lines_open(bt_line_reader *r, const char *path,
                           bt_error *err) {
    memset(r, 0, sizeof *r);
    r->path = path;
    r->file_cap = BT_FILEUTIL_FILE_CAP;
    r->line_cap = BT_FILEUTIL_LINE_CAP;
    struct stat st;
    r->fd = bt_fileutil_open_read(path, &st, err);
    if (r->fd < 0) return r->fd;
    /* One byte of slack for the '\r' that a CRLF line carries. */
    bt_buf_init(&r->line, r->line_cap + 1);
    r->chunk = bt_xmalloc(LINE_CHUNK);
    return 0;
}

static int line_too_long(const bt_line_reader *r, bt_error *err) {
    char capbuf[32];
    bt_fileutil_format_size(r->line_cap, capbuf, sizeof capbuf);
    return bt_error_set(err, BT_ETOOBIG,
                        "line %" PRIu64 " of '%s' is longer than the %s limit",
                        r->line_number + 1, r->path, capbuf);
}

int bt_fileutil_lines_next(bt_line_reader *r, const char **line,
                           size_t *len, bt_error *err) {
    bt_buf_reset(&r->line);
    for (;;) {
        if (r->chunk_pos == r->chunk_len) {
            if (r->eof) {
                if (r->line.len == 0) return 0;
                break; /* a last line without '\n' */
            }
            ssize_t n = read(r->fd, r->chunk, LINE_CHUNK);
            if (n < 0) {
                if (errno == EINTR) continue;
                return bt_fileutil_errno(err, errno, "read", r->path);
            }
            if (n == 0) {
                r->eof = true;
                continue;
            }
            r->bytes_read += (uint64_t)n;
            if (r->bytes_read > r->file_cap)
                return bt_fileutil_file_too_large(err, r->path, r->file_cap);
            r->chunk_pos = 0;
            r->chunk_len = (size_t)n;
        }
        const char *start = r->chunk + r->chunk_pos;
        size_t avail = r->chunk_len - r->chunk_pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (bt_buf_append(&r->line, start, take) != 0)
            return line_too_long(r, err);
        r->chunk_pos += take;
        if (nl) {
            r->chunk_pos++;
            break;
        }
    }
    size_t n = r->line.len;
    if (n > 0 && r->line.data[n - 1] == '\r') n--;
    if (n > r->line_cap) return line_too_long(r, err);
    r->line_number++;
    *line = r->line.data ? r->line.data : "";
    *len = n;
    return 1;
}

void bt_fileutil_lines_close(bt_line_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    bt_buf_free(&r->line);
    free(r->chunk);
    r->chunk = NULL;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    return s;
}

static bool parse_line_number(const char *s, uint64_t *out) {
    int64_t v;
    if (!bt_parse_int64(s, &v) || v < 1) return false;
    *out = (uint64_t)v;
    return true;
}

int bt_fileutil_ranges_parse(const char *text, bt_line_ranges *out,
                             bt_error *err) {
    memset(out, 0, sizeof *out);
    char *copy = bt_xstrdup(text ? text : "");
    char *all = trim(copy);
    if (*all == '\0' || strcasecmp(all, "all") == 0) {
        out->all = true;
        free(copy);
        return 0;
    }
    int rc = 0;
    /* strsep keeps empty items, so "1,,2" is reported, not skipped. */
    char *rest = all;
    for (char *tok; (tok = strsep(&rest, ",")) != NULL && !rc;) {
        char *item = trim(tok);
        char shown[64];
        snprintf(shown, sizeof shown, "%s", item);
        bt_line_range r = {0, 0};
        char *dash = strchr(item, '-');
        bool ok;
        if (strcasecmp(item, "end") == 0) {
            out->want_last = true;
            continue;
        } else if (dash) {
            *dash = '\0';
            char *hi = trim(dash + 1);
            ok = parse_line_number(trim(item), &r.first);
            if (ok && strcasecmp(hi, "end") == 0)
                r.last = UINT64_MAX;
            else
                ok = ok && parse_line_number(hi, &r.last) &&
                     r.last >= r.first;
        } else {
            ok = parse_line_number(item, &r.first);
            r.last = r.first;
        }
        if (!ok) {
            rc = bt_error_set(err, BT_EINVAL,
                              "property 'lines': '%s' is not a line "
                              "selection (use all, N, N-M, N-END, END or a "
                              "comma list such as 1,3,5-7)",
                              shown);
            break;
        }
        out->items =
            bt_xrealloc(out->items, (out->count + 1) * sizeof *out->items);
        out->items[out->count++] = r;
    }
    free(copy);
    if (rc) bt_fileutil_ranges_free(out);
    return rc;
}

bool bt_fileutil_ranges_has(const bt_line_ranges *r, uint64_t line) {
    if (r->all) return true;
    for (size_t i = 0; i < r->count; i++)
        if (line >= r->items[i].first && line <= r->items[i].last)
            return true;
    return false;
}

bool bt_fileutil_ranges_done(const bt_line_ranges *r, uint64_t line) {
    if (r->all || r->want_last) return false;
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].last > line) return false;
    return true;
}

void bt_fileutil_ranges_free(bt_line_ranges *r) {
    if (!r) return;
    free(r->items);
    memset(r, 0, sizeof *r);
}

int bt_fileutil_each_line(const char *path, const bt_line_ranges *ranges,
                          bt_line_fn fn, void *ud, bt_error *err) {
    bt_line_reader r;
    int rc = bt_fileutil_lines_open(&r, path, err);
    if (rc) return rc;
    /* "END" needs the last line, known only at the end: keep a copy of the
     * latest line that was not already handed to fn. */
    bt_buf last;
    bt_buf_init(&last, BT_FILEUTIL_LINE_CAP + 1);
    uint64_t last_number = 0;
    bool last_done = false;
    const char *line;
    size_t len;
    while ((rc = bt_fileutil_lines_next(&r, &line, &len, err)) == 1) {
        bool want = bt_fileutil_ranges_has(ranges, r.line_number);
        rc = want ? fn(ud, r.line_number, line, len, err) : 0;
        if (rc) break;
        if (ranges->want_last) {
            last_number = r.line_number;
            last_done = want;
            bt_buf_reset(&last);
            if (!want && bt_buf_append(&last, line, len) != 0) {
                rc = bt_error_set(err, BT_ENOMEM, "out of memory reading "
                                  "'%s'", path);
                break;
            }
        }
        if (bt_fileutil_ranges_done(ranges, r.line_number)) break;
    }
    if (rc == 0 && ranges->want_last && last_number > 0 && !last_done)
        rc = fn(ud, last_number, bt_buf_str(&last), last.len, err);
    bt_buf_free(&last);
    bt_fileutil_lines_close(&r);
    return rc < 0 ? rc : 0;
}
