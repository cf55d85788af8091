/* bt_buf: a growable byte buffer with a hard cap. Every untrusted input
 * (child output, file reads, HTTP bodies) goes through one of these so that
 * "too large" is one error path. Contents are always NUL-terminated. */
#ifndef BT_BUF_H
#define BT_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "baton/error.h"

typedef struct bt_buf {
    char *data;   /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;   /* maximum len; 0 means BT_BUF_DEFAULT_CAP */
} bt_buf;

#define BT_BUF_DEFAULT_CAP ((size_t)64 << 20)

void bt_buf_init(bt_buf *b, size_t cap);
void bt_buf_free(bt_buf *b);
void bt_buf_reset(bt_buf *b); /* len = 0, keeps memory */
/* Return 0, -BT_ETOOBIG when the cap would be exceeded (nothing appended),
 * or -BT_ENOMEM. */
int bt_buf_append(bt_buf *b, const void *data, size_t len);
int bt_buf_appends(bt_buf *b, const char *s);
int bt_buf_appendc(bt_buf *b, char c);
int bt_buf_printf(bt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int bt_buf_vprintf(bt_buf *b, const char *fmt, va_list ap);
/* Hands the data to the caller (never NULL: "" when empty) and resets b. */
char *bt_buf_detach(bt_buf *b);
const char *bt_buf_str(const bt_buf *b); /* "" when empty */

/* Reads a whole file, refusing files over cap. */
int bt_buf_read_file(bt_buf *b, const char *path, bt_error *err);

#endif
