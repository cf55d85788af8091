/* Small helpers shared by every module. */
#ifndef BT_UTIL_H
#define BT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation that aborts on failure: Baton treats OOM inside the engine as
 * fatal, the way redis does; input size caps keep it from being reachable by
 * untrusted input. */
void *bt_xmalloc(size_t n);
void *bt_xcalloc(size_t n, size_t size);
void *bt_xrealloc(void *p, size_t n);
char *bt_xstrdup(const char *s);
char *bt_xstrndup(const char *s, size_t n);
char *bt_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "250ms", "5s", "2m", "1h", "1d", "1.5s", or a bare number of seconds.
 * Returns 0 or -BT_EINVAL. */
int bt_duration_parse(const char *text, uint64_t *out_ms);

/* Strict integer / number / boolean parsing of a whole string. */
bool bt_parse_int64(const char *s, int64_t *out);
bool bt_parse_double(const char *s, double *out);
bool bt_parse_bool(const char *s, bool *out); /* true/false/yes/no/1/0/on/off */

/* Wall clock in microseconds since the epoch, and a monotonic clock. */
uint64_t bt_now_us(void);
uint64_t bt_mono_us(void);

/* ISO 8601 UTC with milliseconds: 2026-11-25T10:00:00.123Z (buf >= 32). */
void bt_format_time_us(uint64_t us, char *buf, size_t size);

#define BT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
