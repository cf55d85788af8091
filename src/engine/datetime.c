/* A strict ISO 8601 reader: strptime cannot express "seconds and zone are
 * optional" in one format, and a lenient reader would let "2024-13-45"
 * compare as a date. */
#include "engine/datetime.h"

#include <string.h>
#include <strings.h>

#include "baton/error.h"

static int digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int year, int month /* 1-12 */) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses a zone at *p ("Z", "+hh:mm", "+hhmm", "+hh"); consumes it. */
static int parse_zone(const char **p, long *out) {
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *p = s + 1;
        *out = 0;
        return 0;
    }
    if (*s != '+' && *s != '-') return -1;
    int sign = *s == '-' ? -1 : 1, hh, mm = 0;
    s++;
    if (digits(&s, 2, &hh)) return -1;
    if (*s == ':') {
        s++;
        if (digits(&s, 2, &mm)) return -1;
    } else if (s[0] >= '0' && s[0] <= '9') {
        if (digits(&s, 2, &mm)) return -1;
    }
    if (hh > 23 || mm > 59) return -1;
    *out = sign * (hh * 3600L + mm * 60L);
    *p = s;
    return 0;
}

int bt_datetime_parse_offset(const char *text, long *out_sec) {
    if (!text) return -BT_EINVAL;
    if (strcasecmp(text, "UTC") == 0 || strcasecmp(text, "GMT") == 0) {
        *out_sec = 0;
        return 0;
    }
    const char *p = text;
    if (parse_zone(&p, out_sec) || *p) return -BT_EINVAL;
    return 0;
}

int bt_datetime_parse_iso(const char *text, bt_datetime *out) {
    if (!text) return -BT_EINVAL;
    bt_datetime dt;
    memset(&dt, 0, sizeof dt);
    const char *p = text;
    int year, mon, day, hh = 0, mi = 0, ss = 0;
    if (digits(&p, 4, &year) || *p++ != '-' || digits(&p, 2, &mon) ||
        *p++ != '-' || digits(&p, 2, &day))
        return -BT_EINVAL;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
        return -BT_EINVAL;
    if (*p == 'T' || *p == 't' || (*p == ' ' && p[1] >= '0' && p[1] <= '9')) {
        p++;
        if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mi))
            return -BT_EINVAL;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &ss)) return -BT_EINVAL;
            if (*p == '.' || *p == ',') {
                p++;
                long scale = 100000000L;
                if (*p < '0' || *p > '9') return -BT_EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                    dt.nsec += (*p - '0') * scale;
                    scale /= 10;
                }
            }
        }
        /* 60 admits a leap second as written; timegm carries it over. */
        if (hh > 23 || mi > 59 || ss > 60) return -BT_EINVAL;
        if (*p) {
            if (parse_zone(&p, &dt.offset_sec)) return -BT_EINVAL;
            dt.has_offset = true;
        }
    }
    if (*p) return -BT_EINVAL;
    dt.tm.tm_year = year - 1900;
    dt.tm.tm_mon = mon - 1;
    dt.tm.tm_mday = day;
    dt.tm.tm_hour = hh;
    dt.tm.tm_min = mi;
    dt.tm.tm_sec = ss;
    dt.tm.tm_isdst = -1;
    *out = dt;
    return 0;
}

int64_t bt_datetime_epoch_utc(const bt_datetime *dt) {
    struct tm tm = dt->tm;
    int64_t t = (int64_t)timegm(&tm);
    return dt->has_offset ? t - dt->offset_sec : t;
}
