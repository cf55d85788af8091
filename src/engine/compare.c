/* One implementation of every comparison operator, shared by link
 * conditions (cond.c) and the Compare Values activity. */
#include "engine/compare.h"

#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "engine/datetime.h"

const char *const bt_compare_op_words[] = {
    "equals",      "not-equals",   "greater-than", "less-than",
    "greater-or-equal", "less-or-equal", "contains", "not-contains",
    "starts-with", "ends-with",    "matches",      "not-matches",
    "is-empty",    "is-not-empty", NULL};

static const char *const op_symbols[] = {
    "==",          "!=",        ">",       "<",           ">=",
    "<=",          "contains",  "not contains", "starts with", "ends with",
    "matches",     "not matches", "is empty",   "is not empty"};

int bt_compare_op_parse(const char *word, bt_compare_op *out) {
    for (size_t i = 0; bt_compare_op_words[i]; i++)
        if (word && strcasecmp(word, bt_compare_op_words[i]) == 0) {
            *out = (bt_compare_op)i;
            return 0;
        }
    return -BT_EINVAL;
}

const char *bt_compare_op_word(bt_compare_op op) {
    return (size_t)op < BT_ARRAY_LEN(op_symbols) ? bt_compare_op_words[op]
                                                 : "?";
}

const char *bt_compare_op_symbol(bt_compare_op op) {
    return (size_t)op < BT_ARRAY_LEN(op_symbols) ? op_symbols[op] : "?";
}

bool bt_compare_op_is_unary(bt_compare_op op) {
    return op == BT_CMP_IS_EMPTY || op == BT_CMP_IS_NOT_EMPTY;
}

int bt_compare_regex_compile(regex_t *re, const char *pattern, unsigned flags,
                             bt_error *err) {
    int cflags = REG_EXTENDED | REG_NOSUB;
    if (flags & BT_CMP_NOCASE) cflags |= REG_ICASE;
    int rc = regcomp(re, pattern, cflags);
    if (rc == 0) return 0;
    char why[128];
    regerror(rc, re, why, sizeof why);
    regfree(re);
    return bt_error_set(err, BT_EINVAL,
                        "invalid regular expression '%.80s': %s", pattern,
                        why);
}

static bool is_ordering(bt_compare_op op) {
    return op <= BT_CMP_LE; /* EQ NE GT LT GE LE */
}

static bool from_order(bt_compare_op op, int c) {
    switch (op) {
    case BT_CMP_EQ: return c == 0;
    case BT_CMP_NE: return c != 0;
    case BT_CMP_GT: return c > 0;
    case BT_CMP_LT: return c < 0;
    case BT_CMP_GE: return c >= 0;
    case BT_CMP_LE: return c <= 0;
    default: return false;
    }
}

static int sign3(double a, double b) { return (a > b) - (a < b); }

static int text_order(const char *a, const char *b, unsigned flags) {
    int c = flags & BT_CMP_NOCASE ? strcasecmp(a, b) : strcmp(a, b);
    return (c > 0) - (c < 0);
}

static int number_side(const char *side, const char *text, double *out,
                       bt_error *err) {
    if (bt_parse_double(text, out)) return 0;
    return bt_error_set(err, BT_EINVAL, "the %s value '%.80s' is not a number",
                        side, text);
}

static int datetime_side(const char *side, const char *text, int64_t *sec,
                         long *nsec, bt_error *err) {
    bt_datetime dt;
    if (bt_datetime_parse_iso(text, &dt) != 0)
        return bt_error_set(err, BT_EINVAL,
                            "the %s value '%.80s' is not an ISO 8601 date "
                            "and time (2024-05-01T12:00:00Z)",
                            side, text);
    *sec = bt_datetime_epoch_utc(&dt);
    *nsec = dt.nsec;
    return 0;
}

/* Returns -1/0/1 in *order, or an error when the mode demands a number or
 * date that a side is not. */
static int order_values(const char *l, const char *r, bt_compare_mode mode,
                        unsigned flags, int *order, bt_error *err) {
    double a = 0, b = 0;
    switch (mode) {
    case BT_CMP_AUTO:
        if (bt_parse_double(l, &a) && bt_parse_double(r, &b))
            *order = sign3(a, b);
        else
            *order = text_order(l, r, flags);
        return 0;
    case BT_CMP_TEXT:
        *order = text_order(l, r, flags);
        return 0;
    case BT_CMP_NUMBER: {
        int rc = number_side("left", l, &a, err);
        if (!rc) rc = number_side("right", r, &b, err);
        if (!rc) *order = sign3(a, b);
        return rc;
    }
    case BT_CMP_DATETIME: {
        int64_t sa = 0, sb = 0;
        long na = 0, nb = 0;
        int rc = datetime_side("left", l, &sa, &na, err);
        if (!rc) rc = datetime_side("right", r, &sb, &nb, err);
        if (!rc) *order = sa != sb ? (sa > sb) - (sa < sb) : (na > nb) - (na < nb);
        return rc;
    }
    }
    return bt_error_set(err, BT_EINTERNAL, "unknown comparison mode %d",
                        (int)mode);
}

static bool has_prefix(const char *s, const char *p, unsigned flags) {
    size_t n = strlen(p);
    return flags & BT_CMP_NOCASE ? strncasecmp(s, p, n) == 0
                                 : strncmp(s, p, n) == 0;
}

static bool has_suffix(const char *s, const char *p, unsigned flags) {
    size_t ls = strlen(s), lp = strlen(p);
    if (lp > ls) return false;
    return flags & BT_CMP_NOCASE ? strcasecmp(s + ls - lp, p) == 0
                                 : memcmp(s + ls - lp, p, lp) == 0;
}

static int regex_match(const char *text, const char *pattern, unsigned flags,
                       const regex_t *re, bool *out, bt_error *err) {
    if (re) {
        *out = regexec(re, text, 0, NULL, 0) == 0;
        return 0;
    }
    regex_t own;
    int rc = bt_compare_regex_compile(&own, pattern, flags, err);
    if (rc) return rc;
    *out = regexec(&own, text, 0, NULL, 0) == 0;
    regfree(&own);
    return 0;
}

int bt_compare(bt_compare_op op, const char *left, const char *right,
               bt_compare_mode mode, unsigned flags, const regex_t *re,
               bool *out, bt_error *err) {
    if (!left) left = "";
    if (!right) right = "";
    if (is_ordering(op)) {
        int order = 0;
        int rc = order_values(left, right, mode, flags, &order, err);
        if (rc) return rc;
        *out = from_order(op, order);
        return 0;
    }
    bool m;
    switch (op) {
    case BT_CMP_CONTAINS:
    case BT_CMP_NOT_CONTAINS:
        m = flags & BT_CMP_NOCASE ? strcasestr(left, right) != NULL
                                  : strstr(left, right) != NULL;
        *out = op == BT_CMP_CONTAINS ? m : !m;
        return 0;
    case BT_CMP_STARTS_WITH:
        *out = has_prefix(left, right, flags);
        return 0;
    case BT_CMP_ENDS_WITH:
        *out = has_suffix(left, right, flags);
        return 0;
    case BT_CMP_MATCHES:
    case BT_CMP_NOT_MATCHES: {
        int rc = regex_match(left, right, flags, re, &m, err);
        if (rc) return rc;
        *out = op == BT_CMP_MATCHES ? m : !m;
        return 0;
    }
    case BT_CMP_IS_EMPTY:
        *out = left[0] == '\0';
        return 0;
    case BT_CMP_IS_NOT_EMPTY:
        *out = left[0] != '\0';
        return 0;
    default:
        return bt_error_set(err, BT_EINTERNAL, "unknown operator %d",
                            (int)op);
    }
}
