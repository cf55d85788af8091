/* Parameter value types and their checks. */
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "runbook/load_internal.h"
#include "runbook/runbook.h"

/* ---- value types ------------------------------------------------------- */

static const char *const value_type_names[] = {"string", "integer", "number",
                                               "boolean", "datetime"};

int bt__value_type_parse(const char *name, bt_value_type *out,
                         const char **suggestion) {
    for (size_t k = 0; k < BT_ARRAY_LEN(value_type_names); k++)
        if (strcmp(value_type_names[k], name) == 0) {
            *out = (bt_value_type)k;
            return 0;
        }
    *suggestion = bt__closest(name, value_type_names,
                              BT_ARRAY_LEN(value_type_names));
    return -BT_EINVAL;
}

const char *bt_value_type_name(bt_value_type t) {
    return (size_t)t < BT_ARRAY_LEN(value_type_names) ? value_type_names[t]
                                                       : "unknown";
}

static bool digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* ISO 8601 as people write it: 2026-11-25, 2026-11-25T10:00,
 * 2026-11-25T10:00:00.5Z, 2026-11-25 10:00:00+01:00. */
static bool is_datetime(const char *s) {
    int y, mo, d, h, mi, se = 0;
    if (strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return false;
    s += 10;
    if (!*s) return true;
    if (*s != 'T' && *s != 't' && *s != ' ') return false;
    s++;
    if (!digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &mi))
        return false;
    s += 5;
    if (*s == ':') {
        if (!digits(s + 1, 2, &se)) return false;
        s += 3;
        if (*s == '.' || *s == ',') {
            s++;
            if (*s < '0' || *s > '9') return false;
            while (*s >= '0' && *s <= '9') s++;
        }
    }
    if (h > 23 || mi > 59 || se > 60) return false;
    if (!*s || ((*s == 'Z' || *s == 'z') && !s[1])) return true;
    if (*s != '+' && *s != '-') return false;
    s++;
    int oh, om = 0;
    if (!digits(s, 2, &oh)) return false;
    s += 2;
    if (*s == ':') s++;
    if (*s && (!digits(s, 2, &om) || s[2])) return false;
    return oh <= 23 && om <= 59;
}

int bt_value_check(bt_value_type t, const char *text) {
    int64_t i;
    double d;
    bool b;
    if (!text) return -BT_EINVAL;
    switch (t) {
    case BT_TYPE_STRING: return 0;
    case BT_TYPE_INTEGER: return bt_parse_int64(text, &i) ? 0 : -BT_EINVAL;
    case BT_TYPE_NUMBER: return bt_parse_double(text, &d) ? 0 : -BT_EINVAL;
    case BT_TYPE_BOOLEAN: return bt_parse_bool(text, &b) ? 0 : -BT_EINVAL;
    case BT_TYPE_DATETIME: return is_datetime(text) ? 0 : -BT_EINVAL;
    }
    return -BT_EINVAL;
}

const char *bt__value_example(bt_value_type t) {
    switch (t) {
    case BT_TYPE_INTEGER: return "an integer such as 42";
    case BT_TYPE_NUMBER: return "a number such as 1.5";
    case BT_TYPE_BOOLEAN: return "true or false";
    case BT_TYPE_DATETIME:
        return "a date/time such as 2026-11-25 or 2026-11-25T10:00:00Z";
    default: return "text";
    }
}
