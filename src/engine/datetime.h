/* ISO 8601 date/time text, as runbooks write it and as Compare Values
 * (type datetime) and Format Date/Time read it. Internal to Baton. */
#ifndef BT_DATETIME_H
#define BT_DATETIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct bt_datetime {
    struct tm tm;     /* fields as written: year - 1900, month 0-11, ... */
    long nsec;        /* fraction of the second */
    bool has_offset;  /* a zone was written: Z or +hh:mm */
    long offset_sec;  /* seconds east of UTC when has_offset */
} bt_datetime;

/* Accepts YYYY-MM-DD, optionally followed by T (or a space) and
 * HH:MM[:SS[.fraction]], optionally followed by Z, +HH:MM, +HHMM or +HH.
 * Fields are range-checked (Feb 30 is refused). Returns 0 or -BT_EINVAL. */
int bt_datetime_parse_iso(const char *text, bt_datetime *out);

/* Seconds since the epoch: the written zone, or UTC when none. */
int64_t bt_datetime_epoch_utc(const bt_datetime *dt);

/* "+HH:MM", "-HHMM", "+HH", "Z", "UTC": a fixed offset in seconds east.
 * Returns 0 or -BT_EINVAL. */
int bt_datetime_parse_offset(const char *text, long *out_sec);

#endif
