/* Published data rows and the frames that chain them along a path. Lookups
 * walk up the chain, so the nearest publisher wins: inside a loop guarded
 * cycle, {a.x} means the latest run of a on this path. */
#include "engine/databus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

bt_row *bt_row_new(void) {
    bt_row *row = bt_xcalloc(1, sizeof *row);
    row->refs = 1;
    return row;
}

bt_row *bt_row_ref(bt_row *row) {
    if (row) row->refs++;
    return row;
}

void bt_row_unref(bt_row *row) {
    if (!row || --row->refs) return;
    for (size_t i = 0; i < row->count; i++) {
        free(row->names[i]);
        free(row->values[i]);
    }
    free(row->names);
    free(row->values);
    free(row);
}

static void row_put(bt_row *row, const char *name, char *value) {
    for (size_t i = 0; i < row->count; i++) {
        if (strcmp(row->names[i], name) == 0) {
            free(row->values[i]);
            row->values[i] = value;
            return;
        }
    }
    if (row->count == row->cap) {
        row->cap = row->cap ? row->cap * 2 : 8;
        row->names = bt_xrealloc(row->names, row->cap * sizeof(char *));
        row->values = bt_xrealloc(row->values, row->cap * sizeof(char *));
    }
    row->names[row->count] = bt_xstrdup(name);
    row->values[row->count] = value;
    row->count++;
}

void bt_row_set(bt_row *row, const char *name, const char *value) {
    row_put(row, name, bt_xstrdup(value ? value : ""));
}

void bt_row_setn(bt_row *row, const char *name, const char *value,
                 size_t len) {
    row_put(row, name, bt_xstrndup(value, len));
}

void bt_row_setf(bt_row *row, const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *value = NULL;
    if (vasprintf(&value, fmt, ap) < 0) value = bt_xstrdup("");
    va_end(ap);
    row_put(row, name, value);
}

const char *bt_row_get(const bt_row *row, const char *name) {
    if (!row) return NULL;
    for (size_t i = 0; i < row->count; i++)
        if (strcmp(row->names[i], name) == 0) return row->values[i];
    return NULL;
}

bt_frame *bt_frame_push(bt_frame *parent, size_t activity, bt_row *row) {
    bt_frame *f = bt_xmalloc(sizeof *f);
    f->refs = 1;
    f->activity = activity;
    f->row = bt_row_ref(row);
    f->parent = bt_frame_ref(parent);
    return f;
}

bt_frame *bt_frame_ref(bt_frame *f) {
    if (f) f->refs++;
    return f;
}

void bt_frame_unref(bt_frame *f) {
    /* Iterative so that a long chain (thousands of loop iterations) cannot
     * overflow the stack. */
    while (f && --f->refs == 0) {
        bt_frame *parent = f->parent;
        bt_row_unref(f->row);
        free(f);
        f = parent;
    }
}

const bt_row *bt_frame_find(const bt_frame *f, size_t activity) {
    for (; f; f = f->parent)
        if (f->activity == activity) return f->row;
    return NULL;
}

const char *bt_frame_lookup(const bt_frame *f, size_t activity,
                            const char *field) {
    return bt_row_get(bt_frame_find(f, activity), field);
}
