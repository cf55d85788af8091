#include "common/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"

void bt_buf_init(bt_buf *b, size_t cap) {
    memset(b, 0, sizeof *b);
    b->cap = cap ? cap : BT_BUF_DEFAULT_CAP;
}

void bt_buf_free(bt_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void bt_buf_reset(bt_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static int buf_reserve(bt_buf *b, size_t extra) {
    size_t cap = b->cap ? b->cap : BT_BUF_DEFAULT_CAP;
    if (extra > cap - b->len) return -BT_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc) return 0;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < need) n *= 2;
    char *p = realloc(b->data, n);
    if (!p) return -BT_ENOMEM;
    b->data = p;
    b->alloc = n;
    return 0;
}

int bt_buf_append(bt_buf *b, const void *data, size_t len) {
    int rc = buf_reserve(b, len);
    if (rc) return rc;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int bt_buf_appends(bt_buf *b, const char *s) {
    return bt_buf_append(b, s, strlen(s));
}

int bt_buf_appendc(bt_buf *b, char c) { return bt_buf_append(b, &c, 1); }

int bt_buf_vprintf(bt_buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return -BT_EINVAL;
    int rc = buf_reserve(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int bt_buf_printf(bt_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = bt_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *bt_buf_detach(bt_buf *b) {
    char *p = b->data ? b->data : bt_xstrdup("");
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}

const char *bt_buf_str(const bt_buf *b) { return b->data ? b->data : ""; }

int bt_buf_read_file(bt_buf *b, const char *path, bt_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return bt_error_set_at(err, errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
                               path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return bt_error_set_at(err, BT_EINVAL, path, 0, 0,
                               "is a directory, not a file");
    }
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        rc = bt_buf_append(b, chunk, n);
        if (rc == -BT_ETOOBIG) {
            rc = bt_error_set_at(err, BT_ETOOBIG, path, 0, 0,
                                 "file is larger than the %zu byte limit",
                                 b->cap);
            break;
        }
        if (rc) {
            rc = bt_error_set_at(err, -rc, path, 0, 0, "out of memory");
            break;
        }
    }
    if (!rc && ferror(f))
        rc = bt_error_set_at(err, BT_EIO, path, 0, 0, "read error: %s",
                             strerror(errno));
    fclose(f);
    return rc;
}
