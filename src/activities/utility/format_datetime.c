/* Format Date/Time: reads a date and time (ISO 8601, a strptime format or
 * epoch seconds), optionally shifts it, and publishes it formatted and
 * broken into fields, in UTC, a fixed offset or an IANA time zone.
 *
 * IANA zones go through the C library's TZ handling. Setting TZ is not
 * thread-safe, which is acceptable only because this activity is INLINE:
 * it runs on the loop thread, sets TZ for the few calls that need it and
 * restores it before returning. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "activities/utility/literal.h"
#include "baton/activity.h"
#include "common/util.h"
#include "engine/datetime.h"

#define FORMATTED_MAX 1024

static const bt_prop_spec props[] = {
    {"input", BT_PROP_STRING, false, "now",
     "The date and time to read; empty or absent means now.", NULL},
    {"input_format", BT_PROP_STRING, false, "ISO 8601",
     "A strptime format for input, or 'epoch' for seconds since 1970; "
     "absent reads ISO 8601 (2024-05-01T12:00:00Z, with or without "
     "seconds, fraction and zone).",
     NULL},
    {"output_format", BT_PROP_STRING, false, "ISO 8601",
     "A strftime format for 'formatted', or 'epoch'; absent gives ISO 8601.",
     NULL},
    {"timezone", BT_PROP_STRING, false, "UTC",
     "Zone of the output, and of an input written without one: UTC, a "
     "fixed offset such as +02:00, 'local', or an IANA name such as "
     "Europe/Paris.",
     NULL},
    {"add", BT_PROP_STRING, false, NULL,
     "A signed duration added to the input: -2h, +1d, 90m, 30s, 250ms.",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {
    "formatted", "epoch", "year",   "month",   "day", "hour",
    "minute",    "second", "weekday", "iso",   NULL};

/* ---- zones ------------------------------------------------------------ */

typedef enum { ZONE_OFFSET, ZONE_NAMED, ZONE_LOCAL } zone_kind;

typedef struct zone {
    zone_kind kind;
    long offset;      /* ZONE_OFFSET: seconds east of UTC */
    const char *name; /* ZONE_NAMED */
    char *saved_tz;   /* TZ before we set it; NULL when it was unset */
    bool entered;
} zone;

static bool zone_name_ok(const char *name) {
    if (!*name || name[0] == '/' || strstr(name, "..")) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
              *p == '-' || *p == '+'))
            return false;
    /* glibc silently falls back to UTC for a zone it cannot find, so a
     * misspelt zone would give wrong times without this check. */
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
             name);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

#define ZONE_EXPECTED \
    "UTC, an offset such as +02:00, 'local' or a time zone name such as " \
    "Europe/Paris"

static bool zone_from_text(const char *text, zone *z) {
    memset(z, 0, sizeof *z);
    if (!*text || bt_datetime_parse_offset(text, &z->offset) == 0) {
        z->kind = ZONE_OFFSET;
        return true;
    }
    if (strcasecmp(text, "local") == 0) {
        z->kind = ZONE_LOCAL;
        return true;
    }
    z->kind = ZONE_NAMED;
    z->name = text;
    return zone_name_ok(text);
}

static int zone_parse(bt_activity_ctx *ctx, const char *text, zone *z) {
    if (zone_from_text(text, z)) return 0;
    return bt_act_fail(ctx, "format-datetime: timezone '%.100s' is not "
                            ZONE_EXPECTED, text);
}

static void zone_enter(bt_activity_ctx *ctx, zone *z) {
    if (z->kind != ZONE_NAMED || z->entered) return;
    const char *old = getenv("TZ");
    z->saved_tz = old ? bt_act_strdup(ctx, old) : NULL;
    char tz[300];
    snprintf(tz, sizeof tz, ":%s", z->name);
    setenv("TZ", tz, 1);
    tzset();
    z->entered = true;
}

static void zone_leave(zone *z) {
    if (!z->entered) return;
    if (z->saved_tz)
        setenv("TZ", z->saved_tz, 1);
    else
        unsetenv("TZ");
    tzset();
    z->entered = false;
}

/* Seconds since the epoch of wall-clock fields read in zone z. */
static time_t zone_mktime(bt_activity_ctx *ctx, zone *z, struct tm tm) {
    if (z->kind == ZONE_OFFSET) return timegm(&tm) - z->offset;
    zone_enter(ctx, z);
    tm.tm_isdst = -1;
    return mktime(&tm);
}

static void zone_breakdown(bt_activity_ctx *ctx, zone *z, time_t t,
                           struct tm *out) {
    if (z->kind == ZONE_OFFSET) {
        time_t shifted = t + z->offset;
        gmtime_r(&shifted, out);
        out->tm_gmtoff = z->offset;
        out->tm_zone = z->offset ? "" : "UTC";
        return;
    }
    zone_enter(ctx, z);
    localtime_r(&t, out);
}

/* ---- reading ---------------------------------------------------------- */

typedef struct instant {
    int64_t sec;
    long nsec; /* 0 <= nsec < 1e9 */
} instant;

static int read_epoch(bt_activity_ctx *ctx, const char *text, instant *out) {
    double v;
    if (!bt_parse_double(text, &v) || fabs(v) > 1e13)
        return bt_act_fail(ctx,
                           "format-datetime: input '%.100s' is not a number "
                           "of seconds since 1970 (input_format is epoch)",
                           text);
    double whole = floor(v);
    out->sec = (int64_t)whole;
    out->nsec = lround((v - whole) * 1e9);
    if (out->nsec >= 1000000000L) {
        out->sec++;
        out->nsec -= 1000000000L;
    }
    return 0;
}

static int read_input(bt_activity_ctx *ctx, zone *z, const char *input,
                      const char *format, instant *out) {
    if (!*input) {
        uint64_t us = bt_now_us();
        out->sec = (int64_t)(us / 1000000u);
        out->nsec = (long)(us % 1000000u) * 1000L;
        return 0;
    }
    if (strcmp(format, "epoch") == 0) return read_epoch(ctx, input, out);
    if (!*format) {
        bt_datetime dt;
        if (bt_datetime_parse_iso(input, &dt) != 0)
            return bt_act_fail(ctx,
                               "format-datetime: input '%.100s' is not an ISO "
                               "8601 date and time such as "
                               "2024-05-01T12:00:00Z; set input_format to "
                               "read other forms",
                               input);
        out->sec = dt.has_offset ? bt_datetime_epoch_utc(&dt)
                                 : (int64_t)zone_mktime(ctx, z, dt.tm);
        out->nsec = dt.nsec;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_mday = 1; /* a format without a day means the first */
    tm.tm_gmtoff = LONG_MIN; /* strptime sets it only for %z */
    const char *end = strptime(input, format, &tm);
    while (end && (*end == ' ' || *end == '\t' || *end == '\n')) end++;
    if (!end || *end)
        return bt_act_fail(ctx,
                           "format-datetime: input '%.100s' does not match "
                           "input_format '%.100s'%s%.40s%s",
                           input, format, end ? " (left over: '" : "",
                           end ? end : "", end ? "')" : "");
    if (tm.tm_gmtoff != LONG_MIN) {
        long off = tm.tm_gmtoff;
        tm.tm_gmtoff = 0;
        out->sec = (int64_t)timegm(&tm) - off;
    } else {
        out->sec = (int64_t)zone_mktime(ctx, z, tm);
    }
    out->nsec = 0;
    return 0;
}

/* "+1d", "-2h", "90m": a signed duration in milliseconds. */
static bool parse_add(const char *text, int64_t *ms) {
    const char *p = text;
    while (*p == ' ') p++;
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    uint64_t v;
    if (bt_duration_parse(p, &v) != 0 || v > (uint64_t)INT64_MAX / 2)
        return false;
    *ms = sign * (int64_t)v;
    return true;
}

#define ADD_EXPECTED "a duration such as -2h, +1d, 90m or 30s"

static int read_add(bt_activity_ctx *ctx, const char *text, int64_t *ms) {
    if (parse_add(text, ms)) return 0;
    return bt_act_fail(ctx, "format-datetime: add '%.100s' is not "
                            ADD_EXPECTED, text);
}

/* ---- writing ---------------------------------------------------------- */

static void iso_text(const struct tm *tm, char *out, size_t size) {
    long off = tm->tm_gmtoff;
    char zone_text[16] = "Z";
    if (off) {
        int a = (int)((off < 0 ? -off : off) % 86400);
        snprintf(zone_text, sizeof zone_text, "%c%02d:%02d",
                 off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm->tm_year + 1900,
             tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
             zone_text);
}

/* A literal input is read as run would read it, in UTC: the zone
 * changes the instant, not whether the text parses. */
static bool input_ok(const char *input, const char *format) {
    double v;
    bt_datetime dt;
    struct tm tm;
    if (strcmp(format, "epoch") == 0) return bt_parse_double(input, &v);
    if (!*format) return bt_datetime_parse_iso(input, &dt) == 0;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(input, format, &tm);
    while (end && (*end == ' ' || *end == '\t' || *end == '\n')) end++;
    return end && !*end;
}

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    int rc = 0;
    const bt_node *n, *fmt_node;
    const char *tz = bt_utility_literal(def, "timezone", &n);
    zone z;
    if (tz && !zone_from_text(tz, &z))
        rc = bt_diags_add(diags, BT_EINVAL, rb->file, n->line, n->column,
                          "format-datetime '%s': timezone '%.100s' is not "
                          ZONE_EXPECTED, def->id, tz);
    int64_t ms;
    const char *add = bt_utility_literal(def, "add", &n);
    if (add && *add && !parse_add(add, &ms))
        rc = bt_diags_add(diags, BT_EINVAL, rb->file, n->line, n->column,
                          "format-datetime '%s': add '%.100s' is not "
                          ADD_EXPECTED, def->id, add);
    const char *input = bt_utility_literal(def, "input", &n);
    const char *format = bt_utility_literal(def, "input_format", &fmt_node);
    if (fmt_node && !format) return rc; /* format from data */
    if (input && *input && !input_ok(input, format ? format : ""))
        rc = bt_diags_add(diags, BT_EINVAL, rb->file, n->line, n->column,
                          "format-datetime '%s': input '%.100s' is not %s",
                          def->id, input,
                          !format || !*format
                              ? "an ISO 8601 date and time such as "
                                "2024-05-01T12:00:00Z; set input_format to "
                                "read other forms"
                          : strcmp(format, "epoch") == 0
                              ? "a number of seconds since 1970"
                              : "in input_format");
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    static const char *const weekdays[] = {"Sunday",   "Monday", "Tuesday",
                                           "Wednesday", "Thursday", "Friday",
                                           "Saturday"};
    const char *input = bt_act_str(ctx, "input", "");
    const char *in_fmt = bt_act_str(ctx, "input_format", "");
    const char *out_fmt = bt_act_str(ctx, "output_format", "");
    const char *tz = bt_act_str(ctx, "timezone", "UTC");
    const char *add = bt_act_str(ctx, "add", "");
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    zone z;
    if (zone_parse(ctx, tz, &z) != 0) return -BT_EINVAL;
    instant t = {0, 0};
    int64_t add_ms = 0;
    int rc = read_input(ctx, &z, input, in_fmt, &t);
    if (!rc && *add) rc = read_add(ctx, add, &add_ms);
    if (rc) {
        zone_leave(&z);
        return rc;
    }
    int64_t nsec = t.nsec + (add_ms % 1000) * 1000000L;
    t.sec += add_ms / 1000 + (nsec < 0 ? -1 : nsec >= 1000000000L ? 1 : 0);
    t.nsec = (long)((nsec + 1000000000L) % 1000000000L);

    struct tm tm;
    zone_breakdown(ctx, &z, (time_t)t.sec, &tm);
    char iso[64], formatted[FORMATTED_MAX];
    iso_text(&tm, iso, sizeof iso);
    if (!*out_fmt) {
        snprintf(formatted, sizeof formatted, "%s", iso);
    } else if (strcmp(out_fmt, "epoch") == 0) {
        snprintf(formatted, sizeof formatted, "%lld", (long long)t.sec);
    } else if (strftime(formatted, sizeof formatted, out_fmt, &tm) == 0) {
        zone_leave(&z);
        return bt_act_fail(ctx,
                           "format-datetime: output_format '%.100s' gives "
                           "nothing or more than %d bytes",
                           out_fmt, FORMATTED_MAX - 1);
    }
    zone_leave(&z);

    bt_act_publish(ctx, "formatted", formatted);
    bt_act_publishf(ctx, "epoch", "%lld", (long long)t.sec);
    bt_act_publishf(ctx, "year", "%d", tm.tm_year + 1900);
    bt_act_publishf(ctx, "month", "%d", tm.tm_mon + 1);
    bt_act_publishf(ctx, "day", "%d", tm.tm_mday);
    bt_act_publishf(ctx, "hour", "%d", tm.tm_hour);
    bt_act_publishf(ctx, "minute", "%d", tm.tm_min);
    bt_act_publishf(ctx, "second", "%d", tm.tm_sec);
    bt_act_publish(ctx, "weekday", weekdays[tm.tm_wday % 7]);
    bt_act_publish(ctx, "iso", iso);
    return 0;
}

const bt_activity_type bt_activity_format_datetime = {
    .name = "format-datetime",
    .title = "Format Date/Time",
    .category = "utility",
    .description = "Reads a date and time, shifts it and publishes it "
                   "formatted and as fields.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .check = check,
    .run = run,
};
