#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "baton/error.h"

static void oom(size_t n) {
    fprintf(stderr, "baton: out of memory allocating %zu bytes\n", n);
    abort();
}

void *bt_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *bt_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *bt_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *bt_xstrdup(const char *s) { return bt_xstrndup(s, strlen(s)); }

char *bt_xstrndup(const char *s, size_t n) {
    char *p = bt_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *bt_xasprintf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *p = bt_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

int bt_duration_parse(const char *text, uint64_t *out_ms) {
    if (!text) return -BT_EINVAL;
    while (isspace((unsigned char)*text)) text++;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || v < 0 || !isfinite(v)) return -BT_EINVAL;
    while (isspace((unsigned char)*end)) end++;
    double mul;
    if (*end == '\0' || strcmp(end, "s") == 0) mul = 1000;
    else if (strcmp(end, "ms") == 0) mul = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) mul = 60e3;
    else if (strcmp(end, "h") == 0) mul = 3600e3;
    else if (strcmp(end, "d") == 0) mul = 86400e3;
    else return -BT_EINVAL;
    double ms = v * mul;
    if (ms > 1e15) return -BT_EINVAL;
    *out_ms = (uint64_t)llround(ms);
    return 0;
}

bool bt_parse_int64(const char *s, int64_t *out) {
    if (!s || !*s || isspace((unsigned char)*s)) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool bt_parse_double(const char *s, double *out) {
    if (!s || !*s || isspace((unsigned char)*s)) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return false;
    /* strtod accepts hex and "inf"/"nan"; a runbook number is decimal. */
    for (const char *p = s; *p; p++)
        if (isalpha((unsigned char)*p) && *p != 'e' && *p != 'E') return false;
    *out = v;
    return true;
}

bool bt_parse_bool(const char *s, bool *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    if (!s) return false;
    for (size_t i = 0; i < BT_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) return (*out = true), true;
        if (strcasecmp(s, no[i]) == 0) return (*out = false), true;
    }
    return false;
}

uint64_t bt_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t bt_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void bt_format_time_us(uint64_t us, char *buf, size_t size) {
    time_t secs = (time_t)(us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03uZ", base, (unsigned)((us / 1000u) % 1000u));
}
