/* Schedule definitions: parsing the JSON form and testing a moment. */
#include "activities/scheduling/schedule.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "baton/error.h"

static const char *const weekdays[] = {"sun", "mon", "tue", "wed",
                                       "thu", "fri", "sat"};
static const char *const nths[] = {"first", "second", "third", "fourth",
                                   "last"};

static int fail(char *why, size_t size, const char *fmt, const char *what) {
    snprintf(why, size, fmt, what);
    return -BT_EINVAL;
}

static int bad_item(char *why, size_t size, const char *field,
                    const char *item, const char *expected) {
    snprintf(why, size, "schedule: %s: '%.60s' is not %s", field, item,
             expected);
    return -BT_EINVAL;
}

/* "HH:MM" (24:00 allowed as an end) -> minutes. */
static int parse_hm(const char *s, size_t len, int *out) {
    int h, m, used = 0;
    char buf[8];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sscanf(buf, "%d:%d%n", &h, &m, &used) != 2 || (size_t)used != len ||
        h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int parse_range(const char *s, int *from, int *to) {
    const char *dash = strchr(s, '-');
    if (!dash || parse_hm(s, (size_t)(dash - s), from) ||
        parse_hm(dash + 1, strlen(dash + 1), to) || *from == 24 * 60 ||
        *from == *to)
        return -1;
    return 0;
}

static int parse_date(const char *s, int *out) {
    int y, m, d, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 ||
        s[used] != '\0' || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    *out = y * 10000 + m * 100 + d;
    return 0;
}

/* Text of a list item; numbers are accepted where numbers make sense. */
static const char *item_text(json_t *v, char *buf, size_t size) {
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

static int parse_list(json_t *root, const char *field, bt_schedule *s,
                      char *why, size_t size) {
    json_t *list = json_object_get(root, field);
    if (!list) return 0;
    if (!json_is_array(list))
        return fail(why, size, "schedule: '%s' must be a list", field);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        char num[32];
        const char *t = item_text(v, num, sizeof num);
        if (!t)
            return fail(why, size,
                        "schedule: '%s' holds a value that "
                        "is not text",
                        field);
        if (!strcmp(field, "days_of_week")) {
            int d = 0;
            while (d < 7 && strncasecmp(t, weekdays[d], 3))
                d++;
            if (d == 7)
                return bad_item(why, size, field, t, "a weekday (mon ... sun)");
            s->days_of_week |= 1u << d;
        } else if (!strcmp(field, "days_of_month")) {
            long d;
            char *end;
            if (!strcasecmp(t, "last")) {
                s->last_day = true;
                continue;
            }
            d = strtol(t, &end, 10);
            if (*end || end == t || d < 1 || d > 31)
                return bad_item(why, size, field, t,
                                "a day of the month (1-31 or "
                                "last)");
            s->days_of_month |= 1u << d;
        } else if (!strcmp(field, "occurrences")) {
            int n = 0;
            while (n < 5 && strcasecmp(t, nths[n]))
                n++;
            if (n == 5)
                return bad_item(why, size, field, t,
                                "first, second, third, fourth "
                                "or last");
            s->occurrences |= 1u << n;
        } else if (!strcmp(field, "hours")) {
            if (s->n_hours == BT_SCHEDULE_MAX_RANGES)
                return fail(why, size, "schedule: more than %s hour ranges",
                            "48");
            if (parse_range(t, &s->hours[s->n_hours].from,
                            &s->hours[s->n_hours].to))
                return bad_item(why, size, field, t,
                                "a range such as 08:00-17:30");
            s->n_hours++;
        } else { /* exceptions */
            if (s->n_exceptions == BT_SCHEDULE_MAX_EXCEPTIONS)
                return fail(why, size, "schedule: more than %s exceptions",
                            "366");
            if (parse_date(t, &s->exceptions[s->n_exceptions]))
                return bad_item(why, size, field, t,
                                "a date such as 2026-12-25");
            s->n_exceptions++;
        }
    }
    return 0;
}

int bt_schedule_parse(const char *json, bt_schedule *out, char *why,
                      size_t why_size) {
    static const char *const fields[] = {"days_of_week", "days_of_month",
                                         "occurrences", "hours",
                                         "exceptions", "timezone"};
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(why, why_size, "schedule: the definition is not a JSON "
                                   "object (%s)",
                    root ? "another JSON value" : jerr.text);
    }
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i = 0;
        while (i < 6 && strcmp(key, fields[i])) i++;
        if (i == 6) {
            rc = fail(why, why_size,
                      "schedule: unknown field '%.60s' (days_of_week, "
                      "days_of_month, occurrences, hours, exceptions, "
                      "timezone)",
                      key);
            break;
        }
        if (i < 5) {
            rc = parse_list(root, key, out, why, why_size);
        } else {
            const char *tz = json_string_value(v);
            if (!tz || (strcasecmp(tz, "utc") && strcasecmp(tz, "local")))
                rc = fail(why, why_size,
                          "schedule: timezone must be %s", "local or utc");
            else
                out->utc = !strcasecmp(tz, "utc");
        }
        if (rc) break;
    }
    json_decref(root);
    return rc;
}

static int days_in_month(int year, int mon /* 0-11 */) {
    static const int days[] = {31, 28, 31, 30, 31, 30,
                               31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon == 1 && leap ? 29 : days[mon];
}

bool bt_schedule_conforms(const bt_schedule *s, const struct tm *tm) {
    int year = tm->tm_year + 1900;
    int date = year * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
    for (size_t i = 0; i < s->n_exceptions; i++)
        if (s->exceptions[i] == date) return false;
    if (s->days_of_week && !(s->days_of_week & (1u << tm->tm_wday)))
        return false;
    bool is_last = tm->tm_mday == days_in_month(year, tm->tm_mon);
    if ((s->days_of_month || s->last_day) &&
        !(s->days_of_month & (1u << tm->tm_mday)) &&
        !(s->last_day && is_last))
        return false;
    if (s->occurrences) {
        unsigned nth = 1u << ((tm->tm_mday - 1) / 7); /* 5th: none */
        bool last = tm->tm_mday + 7 > days_in_month(year, tm->tm_mon);
        if (!(s->occurrences & nth & 0xf) &&
            !(last && (s->occurrences & (1u << 4))))
            return false;
    }
    if (!s->n_hours) return true;
    int minute = tm->tm_hour * 60 + tm->tm_min;
    for (size_t i = 0; i < s->n_hours; i++) {
        int from = s->hours[i].from, to = s->hours[i].to;
        if (from < to ? minute >= from && minute < to
                      : minute >= from || minute < to)
            return true;
    }
    return false;
}
