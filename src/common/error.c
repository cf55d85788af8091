#include "baton/error.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int bt_error_vset_at(bt_error *err, int code, const char *file, int line,
                     int column, const char *fmt, va_list ap) {
    if (code < 0) code = -code;
    if (err) {
        err->code = code;
        err->line = line;
        err->column = column;
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return -code;
}

int bt_error_set_at(bt_error *err, int code, const char *file, int line,
                    int column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = bt_error_vset_at(err, code, file, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

int bt_error_set(bt_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = bt_error_vset_at(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

void bt_error_clear(bt_error *err) {
    if (err) memset(err, 0, sizeof *err);
}

void bt_error_format(const bt_error *err, char *out, size_t size) {
    if (!err->file[0])
        snprintf(out, size, "%s", err->message);
    else if (err->line && err->column)
        snprintf(out, size, "%s:%d:%d: %s", err->file, err->line,
                 err->column, err->message);
    else if (err->line)
        snprintf(out, size, "%s:%d: %s", err->file, err->line, err->message);
    else
        snprintf(out, size, "%s: %s", err->file, err->message);
}

const char *bt_strerror(int code) {
    static const char *const names[] = {
        [BT_OK] = "ok",
        [BT_EINVAL] = "invalid input",
        [BT_ENOMEM] = "out of memory",
        [BT_EIO] = "I/O error",
        [BT_ENOTFOUND] = "not found",
        [BT_ETOOBIG] = "too large",
        [BT_ESYNTAX] = "syntax error",
        [BT_ETIMEDOUT] = "timed out",
        [BT_ECANCELED] = "canceled",
        [BT_EEXIST] = "already exists",
        [BT_ESTATE] = "not allowed in the current state",
        [BT_EINTERNAL] = "internal error",
    };
    if (code < 0) code = -code;
    if ((size_t)code < BT_ARRAY_LEN(names) && names[code]) return names[code];
    return "unknown error";
}

void bt_diags_init(bt_diags *d) { memset(d, 0, sizeof *d); }

void bt_diags_free(bt_diags *d) {
    if (!d) return;
    free(d->items);
    memset(d, 0, sizeof *d);
}

void bt_diags_add_error(bt_diags *d, const bt_error *err) {
    size_t limit = d->limit ? d->limit : 200;
    if (d->count >= limit) {
        d->dropped++;
        return;
    }
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->items = bt_xrealloc(d->items, d->cap * sizeof *d->items);
    }
    d->items[d->count++] = *err;
}

int bt_diags_add(bt_diags *d, int code, const char *file, int line,
                 int column, const char *fmt, ...) {
    bt_error e;
    va_list ap;
    va_start(ap, fmt);
    int rc = bt_error_vset_at(&e, code, file, line, column, fmt, ap);
    va_end(ap);
    if (d) bt_diags_add_error(d, &e);
    return rc;
}

static int diag_cmp(const void *a, const void *b) {
    const bt_error *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c) return c;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->column != y->column) return x->column < y->column ? -1 : 1;
    return 0;
}

void bt_diags_print(bt_diags *d, FILE *out) {
    char line[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
    /* Stable order helps people and tests; qsort on equal keys keeps any
     * order, which is fine because equal positions are rare. */
    qsort(d->items, d->count, sizeof *d->items, diag_cmp);
    for (size_t i = 0; i < d->count; i++) {
        bt_error_format(&d->items[i], line, sizeof line);
        fprintf(out, "%s\n", line);
    }
    if (d->dropped)
        fprintf(out, "(%d more problems not shown)\n", d->dropped);
}
