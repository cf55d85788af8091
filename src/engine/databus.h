/* The databus: published data rows, and the chain of rows that an activity
 * instance sees from the activities upstream of it on its path. */
#ifndef BT_DATABUS_H
#define BT_DATABUS_H

#include <stddef.h>

/* One row of published data: ordered name=value pairs. Refcounted because
 * the activity instance record and every downstream frame share it. */
typedef struct bt_row {
    unsigned refs;
    size_t count;
    size_t cap;
    char **names;
    char **values;
} bt_row;

bt_row *bt_row_new(void);
bt_row *bt_row_ref(bt_row *row);
void bt_row_unref(bt_row *row); /* NULL is a no-op */
/* Sets (or replaces) name; copies both strings. */
void bt_row_set(bt_row *row, const char *name, const char *value);
void bt_row_setn(bt_row *row, const char *name, const char *value, size_t len);
void bt_row_setf(bt_row *row, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *bt_row_get(const bt_row *row, const char *name);

/* A frame links one activity's row into the path that led here. Frames are
 * immutable once made, so threads may read them. */
typedef struct bt_frame bt_frame;
struct bt_frame {
    unsigned refs;
    size_t activity; /* index in the runbook */
    bt_row *row;     /* owned reference */
    bt_frame *parent;
};

/* Takes a new reference on parent and row. */
bt_frame *bt_frame_push(bt_frame *parent, size_t activity, bt_row *row);
bt_frame *bt_frame_ref(bt_frame *f);
void bt_frame_unref(bt_frame *f); /* NULL is a no-op */
/* Nearest row published by activity on this path; NULL if none. */
const bt_row *bt_frame_find(const bt_frame *f, size_t activity);
const char *bt_frame_lookup(const bt_frame *f, size_t activity,
                            const char *field);

#endif
