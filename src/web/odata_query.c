/* $filter over materialised entities: OData v2's comparison, logical and
 * arithmetic operators, the common functions, and Nav/Prop paths through
 * single-valued navigation properties. ($orderby, $select and $expand are
 * in odata_select.c.)
 *
 * Text comparison is case-insensitive, as it is in Orchestrator, whose web
 * service hands $filter to SQL Server under its default case-insensitive
 * collation: a script's `Name eq 'restart web'` finds "Restart Web" there,
 * so it must here too. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/util.h"
#include "web/odata.h"

#define MAX_DEPTH 64

typedef enum { V_NULL, V_BOOL, V_NUM, V_STR, V_GUID, V_TIME } vkind;

typedef struct val {
    vkind k;
    bool b;
    double n;
    int64_t t; /* microseconds */
    char *s;   /* owned */
} val;

typedef enum { E_LIT, E_PROP, E_AND, E_OR, E_NOT, E_CMP, E_FN, E_ARITH } ekind;
typedef enum { OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE } cmp_op;
typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD } arith_op;

typedef enum {
    F_SUBSTRINGOF, F_STARTSWITH, F_ENDSWITH, F_TOLOWER, F_TOUPPER, F_TRIM,
    F_LENGTH, F_INDEXOF, F_CONCAT, F_SUBSTRING, F_YEAR, F_MONTH, F_DAY,
    F_HOUR, F_MINUTE, F_SECOND, F_ROUND, F_FLOOR, F_CEILING
} fn_id;

static const struct {
    const char *name;
    size_t min_args, max_args;
} fns[] = {
    [F_SUBSTRINGOF] = {"substringof", 2, 2}, [F_STARTSWITH] = {"startswith", 2, 2},
    [F_ENDSWITH] = {"endswith", 2, 2},       [F_TOLOWER] = {"tolower", 1, 1},
    [F_TOUPPER] = {"toupper", 1, 1},         [F_TRIM] = {"trim", 1, 1},
    [F_LENGTH] = {"length", 1, 1},           [F_INDEXOF] = {"indexof", 2, 2},
    [F_CONCAT] = {"concat", 2, 2},           [F_SUBSTRING] = {"substring", 2, 3},
    [F_YEAR] = {"year", 1, 1},               [F_MONTH] = {"month", 1, 1},
    [F_DAY] = {"day", 1, 1},                 [F_HOUR] = {"hour", 1, 1},
    [F_MINUTE] = {"minute", 1, 1},           [F_SECOND] = {"second", 1, 1},
    [F_ROUND] = {"round", 1, 1},             [F_FLOOR] = {"floor", 1, 1},
    [F_CEILING] = {"ceiling", 1, 1},
};

struct od_expr {
    ekind kind;
    cmp_op op;
    arith_op aop;
    fn_id fn;
    val lit;
    const od_prop *prop;
    const od_set *set;  /* E_PROP through nav: the set nav belongs to */
    const od_nav *nav;  /* E_PROP of a single-valued navigation: Nav/Prop */
    od_expr *a[3];
    size_t n;
};

/* ---- values ----------------------------------------------------------- */

static void val_clear(val *v) {
    free(v->s);
    v->s = NULL;
}

/* "2012-03-18T10:00:00.123", optional Z or +hh:mm; seconds optional. */
static bool parse_datetime(const char *s, int64_t *out) {
    int Y, M, D, h = 0, m = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3) return false;
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &m, &k) != 2) return false;
        p += 1 + k;
        if (*p == ':') {
            char *end;
            sec = strtod(p + 1, &end);
            if (end == p + 1) return false;
            p = end;
        }
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2) return false;
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 ||
        sec < 0 || sec >= 61)
        return false;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                    .tm_hour = h, .tm_min = m};
    time_t t = timegm(&tm);
    *out = ((int64_t)t - off * 60) * 1000000 + (int64_t)llround(sec * 1e6);
    return true;
}

static char *val_text(const val *v) {
    char buf[64];
    switch (v->k) {
    case V_NULL: return NULL;
    case V_BOOL: return bt_xstrdup(v->b ? "true" : "false");
    case V_NUM:
        snprintf(buf, sizeof buf, "%.15g", v->n);
        return bt_xstrdup(buf);
    case V_TIME:
        bt_format_time_us((uint64_t)v->t, buf, sizeof buf);
        return bt_xstrdup(buf);
    case V_STR:
    case V_GUID: break;
    }
    return bt_xstrdup(v->s ? v->s : "");
}

static val entity_val(const od_prop *p, json_t *entity) {
    val v = {V_NULL};
    json_t *j = json_object_get(entity, p->name);
    if (!j || json_is_null(j)) return v;
    switch (p->type) {
    case OD_GUID: v.k = V_GUID; v.s = bt_xstrdup(json_string_value(j)); break;
    case OD_STRING: v.k = V_STR; v.s = bt_xstrdup(json_string_value(j)); break;
    case OD_INT32: v.k = V_NUM; v.n = (double)json_integer_value(j); break;
    case OD_BOOL: v.k = V_BOOL; v.b = json_is_true(j); break;
    case OD_DATETIME: v.k = V_TIME; v.t = json_integer_value(j); break;
    }
    return v;
}

static const char *strip_braces(const char *s, size_t *len) {
    *len = strlen(s);
    if (*len >= 2 && s[0] == '{' && s[*len - 1] == '}') {
        *len -= 2;
        return s + 1;
    }
    return s;
}

static int sign(double d) { return (d > 0) - (d < 0); }

/* -2: not comparable. */
static int val_cmp(const val *a, const val *b) {
    if (a->k == V_NULL || b->k == V_NULL) return -2;
    if (a->k == V_NUM && b->k == V_NUM) return sign(a->n - b->n);
    if (a->k == V_BOOL && b->k == V_BOOL) return (int)a->b - (int)b->b;
    if (a->k == V_TIME || b->k == V_TIME) {
        int64_t x, y;
        if (a->k == V_TIME) x = a->t;
        else if (!a->s || !parse_datetime(a->s, &x)) return -2;
        if (b->k == V_TIME) y = b->t;
        else if (!b->s || !parse_datetime(b->s, &y)) return -2;
        return (x > y) - (x < y);
    }
    if (a->k == V_GUID || b->k == V_GUID) {
        if (!a->s || !b->s) return -2;
        size_t la, lb;
        const char *x = strip_braces(a->s, &la), *y = strip_braces(b->s, &lb);
        if (la != lb) return la < lb ? -1 : 1;
        int r = strncasecmp(x, y, la);
        return (r > 0) - (r < 0);
    }
    if ((a->k == V_NUM) != (b->k == V_NUM)) { /* number against text */
        const val *txt = a->k == V_NUM ? b : a;
        double d;
        if (!txt->s || !bt_parse_double(txt->s, &d)) return -2;
        return a->k == V_NUM ? sign(a->n - d) : sign(d - b->n);
    }
    char *x = val_text(a), *y = val_text(b);
    int r = strcasecmp(x, y);
    free(x);
    free(y);
    return (r > 0) - (r < 0);
}

/* ---- parser ----------------------------------------------------------- */

typedef struct parser {
    const char *p;
    const od_set *set;
    char *err;
    size_t errlen;
    bool failed;
    int depth;
} parser;

static void perr(parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void perr(parser *ps, const char *fmt, ...) {
    if (ps->failed) return;
    ps->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err, ps->errlen, fmt, ap);
    va_end(ap);
}

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static size_t word_len(const char *p) {
    size_t n = 0;
    if (!(isalpha((unsigned char)p[0]) || p[0] == '_')) return 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '/' ||
           p[n] == '.')
        n++;
    return n;
}

/* Consumes keyword kw when it is the next whole word. */
static bool accept_word(parser *ps, const char *kw) {
    skip_ws(ps);
    size_t n = word_len(ps->p);
    if (n != strlen(kw) || strncmp(ps->p, kw, n)) return false;
    ps->p += n;
    return true;
}

static bool accept_char(parser *ps, char ch) {
    skip_ws(ps);
    if (*ps->p != ch) return false;
    ps->p++;
    return true;
}

static od_expr *node(ekind k) {
    od_expr *e = bt_xcalloc(1, sizeof *e);
    e->kind = k;
    return e;
}

/* '...' with '' for a quote; ps->p is at the opening quote. */
static char *quoted(parser *ps) {
    bt_buf b;
    bt_buf_init(&b, 0);
    ps->p++;
    for (;;) {
        if (!*ps->p) {
            perr(ps, "unterminated string literal in $filter");
            bt_buf_free(&b);
            return NULL;
        }
        if (*ps->p == '\'') {
            if (ps->p[1] != '\'') break;
            ps->p++;
        }
        bt_buf_appendc(&b, *ps->p++);
    }
    ps->p++;
    return bt_buf_detach(&b);
}

static od_expr *parse_or(parser *ps);

static od_expr *parse_primary(parser *ps) {
    skip_ws(ps);
    if (++ps->depth > MAX_DEPTH) {
        perr(ps, "$filter is nested too deeply");
        return NULL;
    }
    if (accept_char(ps, '(')) {
        od_expr *e = parse_or(ps);
        if (e && !accept_char(ps, ')')) perr(ps, "$filter: ')' expected");
        return e;
    }
    if (*ps->p == '\'') {
        od_expr *e = node(E_LIT);
        e->lit.k = V_STR;
        e->lit.s = quoted(ps);
        return e;
    }
    if (*ps->p == '-' || isdigit((unsigned char)*ps->p)) {
        char *end;
        double d = strtod(ps->p, &end);
        if (end == ps->p) {
            perr(ps, "$filter: bad number at '%.20s'", ps->p);
            return NULL;
        }
        ps->p = end;
        if (*ps->p && strchr("LlMmDdFf", *ps->p)) ps->p++; /* type suffix */
        od_expr *e = node(E_LIT);
        e->lit.k = V_NUM;
        e->lit.n = d;
        return e;
    }
    size_t n = word_len(ps->p);
    if (!n) {
        perr(ps, "$filter: unexpected '%.20s'", *ps->p ? ps->p : "end of text");
        return NULL;
    }
    char *word = bt_xstrndup(ps->p, n);
    ps->p += n;
    od_expr *e = NULL;
    if (*ps->p == '\'') { /* typed literal: guid'…', datetime'…' */
        char *text = quoted(ps);
        if (!text) goto out;
        e = node(E_LIT);
        if (!strcmp(word, "guid")) {
            char g[BT_GUID_LEN];
            if (!od_guid_parse(text, strlen(text), g))
                perr(ps, "$filter: '%s' is not a GUID", text);
            e->lit.k = V_GUID;
            e->lit.s = text;
        } else if (!strcmp(word, "datetime") ||
                   !strcmp(word, "datetimeoffset")) {
            e->lit.k = V_TIME;
            if (!parse_datetime(text, &e->lit.t))
                perr(ps, "$filter: '%s' is not a datetime", text);
            free(text);
        } else {
            perr(ps, "$filter: unsupported literal type '%s'", word);
            free(text);
        }
        goto out;
    }
    if (!strcmp(word, "true") || !strcmp(word, "false")) {
        e = node(E_LIT);
        e->lit.k = V_BOOL;
        e->lit.b = word[0] == 't';
        goto out;
    }
    if (!strcmp(word, "null")) {
        e = node(E_LIT);
        goto out;
    }
    if (accept_char(ps, '(')) {
        size_t f = 0;
        while (f < BT_ARRAY_LEN(fns) && strcmp(fns[f].name, word)) f++;
        if (f == BT_ARRAY_LEN(fns)) {
            perr(ps, "$filter: unknown function '%s'", word);
            goto out;
        }
        e = node(E_FN);
        e->fn = (fn_id)f;
        if (!accept_char(ps, ')')) {
            do {
                if (e->n == 3) {
                    perr(ps, "$filter: too many arguments to %s", word);
                    goto out;
                }
                e->a[e->n] = parse_or(ps);
                if (!e->a[e->n++]) goto out;
            } while (accept_char(ps, ','));
            if (!accept_char(ps, ')'))
                perr(ps, "$filter: ')' expected after the arguments of %s",
                     word);
        }
        if (e->n < fns[f].min_args || e->n > fns[f].max_args)
            perr(ps, "$filter: %s takes %zu argument(s), got %zu", word,
                 fns[f].min_args, e->n);
        goto out;
    }
    char *slash = strchr(word, '/');
    const od_nav *nav = NULL;
    const od_set *owner = ps->set;
    if (slash) { /* Nav/Prop through a single-valued navigation property */
        *slash = '\0';
        nav = od_nav_find(ps->set, word);
        if (!nav || nav->many || strchr(slash + 1, '/')) {
            perr(ps, "$filter: '%s' is not a single-valued navigation "
                     "property of %s", word, ps->set->type);
            goto out;
        }
        owner = od_set_find(nav->target);
    }
    const od_prop *p = od_prop_find(owner, slash ? slash + 1 : word);
    if (!p) {
        perr(ps, "$filter: %s has no property '%s'", owner->type,
             slash ? slash + 1 : word);
        goto out;
    }
    e = node(E_PROP);
    e->prop = p;
    e->nav = nav;
    e->set = ps->set;
out:
    free(word);
    return e;
}

/* Index of the operator word next in the text, or n when none is. */
static size_t accept_any(parser *ps, const char *const *ops, size_t n) {
    size_t i = 0;
    while (i < n && !accept_word(ps, ops[i])) i++;
    return i;
}

static od_expr *parse_mul(parser *ps) {
    static const char *const ops[] = {"mul", "div", "mod"};
    od_expr *l = parse_primary(ps);
    size_t i;
    while (l && !ps->failed && (i = accept_any(ps, ops, 3)) < 3) {
        od_expr *e = node(E_ARITH);
        e->aop = (arith_op)(OP_MUL + i);
        e->a[0] = l;
        e->a[1] = parse_primary(ps);
        e->n = 2;
        l = e;
    }
    return l;
}

static od_expr *parse_add(parser *ps) {
    static const char *const ops[] = {"add", "sub"};
    od_expr *l = parse_mul(ps);
    size_t i;
    while (l && !ps->failed && (i = accept_any(ps, ops, 2)) < 2) {
        od_expr *e = node(E_ARITH);
        e->aop = (arith_op)(OP_ADD + i);
        e->a[0] = l;
        e->a[1] = parse_mul(ps);
        e->n = 2;
        l = e;
    }
    return l;
}

static od_expr *parse_cmp(parser *ps) {
    od_expr *l = parse_add(ps);
    if (!l || ps->failed) return l;
    static const char *ops[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    for (size_t i = 0; i < BT_ARRAY_LEN(ops); i++) {
        if (!accept_word(ps, ops[i])) continue;
        od_expr *e = node(E_CMP);
        e->op = (cmp_op)i;
        e->a[0] = l;
        e->a[1] = parse_add(ps);
        e->n = 2;
        return e;
    }
    return l;
}

static od_expr *parse_not(parser *ps) {
    if (accept_word(ps, "not")) {
        od_expr *e = node(E_NOT);
        e->a[0] = parse_not(ps);
        e->n = 1;
        return e;
    }
    return parse_cmp(ps);
}

static od_expr *parse_and(parser *ps) {
    od_expr *l = parse_not(ps);
    while (l && !ps->failed && accept_word(ps, "and")) {
        od_expr *e = node(E_AND);
        e->a[0] = l;
        e->a[1] = parse_not(ps);
        e->n = 2;
        l = e;
    }
    return l;
}

static od_expr *parse_or(parser *ps) {
    od_expr *l = parse_and(ps);
    while (l && !ps->failed && accept_word(ps, "or")) {
        od_expr *e = node(E_OR);
        e->a[0] = l;
        e->a[1] = parse_and(ps);
        e->n = 2;
        l = e;
    }
    return l;
}

void od_expr_free(od_expr *e) {
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) od_expr_free(e->a[i]);
    val_clear(&e->lit);
    free(e);
}

od_expr *od_filter_parse(const od_set *set, const char *text, char *err,
                         size_t errlen) {
    parser ps = {.p = text, .set = set, .err = err, .errlen = errlen};
    od_expr *e = parse_or(&ps);
    skip_ws(&ps);
    if (!ps.failed && *ps.p)
        perr(&ps, "$filter: unexpected '%.20s'", ps.p);
    if (!ps.failed && !e) perr(&ps, "$filter is empty");
    if (ps.failed) {
        od_expr_free(e);
        return NULL;
    }
    return e;
}

od_expr *od_filter_pin(od_expr *e, const od_set *set, const od_prop *prop,
                       const char *guid) {
    od_expr *p = node(E_PROP);
    p->prop = prop;
    p->set = set;
    od_expr *lit = node(E_LIT);
    lit->lit.k = V_GUID;
    lit->lit.s = bt_xstrdup(guid);
    od_expr *cmp = node(E_CMP);
    cmp->op = OP_EQ;
    cmp->a[0] = p;
    cmp->a[1] = lit;
    cmp->n = 2;
    if (!e) return cmp;
    od_expr *both = node(E_AND);
    both->a[0] = e;
    both->a[1] = cmp;
    both->n = 2;
    return both;
}

/* ---- terms a database can evaluate -------------------------------------- */

static bool collect_terms(const od_expr *e, od_term *out, size_t max,
                          size_t *n) {
    if (e->kind == E_AND)
        return collect_terms(e->a[0], out, max, n) &&
               collect_terms(e->a[1], out, max, n);
    if (e->kind != E_CMP || *n == max) return false;
    const od_expr *p = e->a[0], *l = e->a[1];
    if (p->kind != E_PROP || p->nav || l->kind != E_LIT) return false;
    od_term *t = &out[(*n)++];
    memset(t, 0, sizeof *t);
    t->prop = p->prop;
    t->op = (od_cmp)e->op;
    switch (l->lit.k) {
    case V_TIME:
        t->is_time = true;
        t->time = l->lit.t;
        return true;
    case V_STR:
    case V_GUID:
        t->text = l->lit.s ? l->lit.s : "";
        /* GUIDs compare without their braces (val_cmp) */
        if (l->lit.k == V_GUID || p->prop->type == OD_GUID)
            t->text = strip_braces(t->text, &t->text_len);
        else t->text_len = strlen(t->text);
        return true;
    default: return false;
    }
}

bool od_filter_terms(const od_expr *e, od_term *out, size_t max, size_t *n) {
    *n = 0;
    return !e || collect_terms(e, out, max, n);
}

/* ---- evaluation ------------------------------------------------------- */

typedef struct env {
    od_ctx *c;
    json_t *entity;
} env;

static val eval(const od_expr *e, const env *en);

/* A property, or Nav/Prop through a single-valued navigation property. */
static val prop_val(const od_expr *e, const env *en) {
    if (!e->nav) return entity_val(e->prop, en->entity);
    json_t *rows = od_nav_rows(en->c, e->set, e->nav, en->entity);
    json_t *target = json_array_get(rows, 0);
    val v = target ? entity_val(e->prop, target) : (val){V_NULL};
    json_decref(rows);
    return v;
}

static bool truthy(const od_expr *e, const env *en) {
    val v = eval(e, en);
    bool t = v.k == V_BOOL && v.b;
    val_clear(&v);
    return t;
}

static val mk_bool(bool b) { return (val){.k = V_BOOL, .b = b}; }
static val mk_num(double n) { return (val){.k = V_NUM, .n = n}; }
static val mk_str(char *s) { return (val){.k = s ? V_STR : V_NULL, .s = s}; }

static const char *ci_find(const char *hay, const char *needle) {
    return strcasestr(hay, needle);
}

static bool ci_ends(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

static val eval_fn(const od_expr *e, const env *en) {
    val a[3] = {{V_NULL}, {V_NULL}, {V_NULL}};
    char *s[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < e->n; i++) {
        a[i] = eval(e->a[i], en);
        s[i] = val_text(&a[i]);
    }
    val r = {V_NULL};
    struct tm tm;
    time_t secs = (time_t)(a[0].t / 1000000);
    switch (e->fn) {
    case F_SUBSTRINGOF: /* substringof(needle, haystack) */
        r = mk_bool(s[0] && s[1] && ci_find(s[1], s[0]));
        break;
    case F_STARTSWITH:
        r = mk_bool(s[0] && s[1] && !strncasecmp(s[0], s[1], strlen(s[1])));
        break;
    case F_ENDSWITH: r = mk_bool(s[0] && s[1] && ci_ends(s[0], s[1])); break;
    case F_TOLOWER:
    case F_TOUPPER:
        if (s[0]) {
            for (char *q = s[0]; *q; q++)
                *q = (char)(e->fn == F_TOLOWER ? tolower((unsigned char)*q)
                                               : toupper((unsigned char)*q));
            r = mk_str(s[0]);
            s[0] = NULL;
        }
        break;
    case F_TRIM:
        if (s[0]) {
            char *b = s[0];
            while (isspace((unsigned char)*b)) b++;
            size_t n = strlen(b);
            while (n && isspace((unsigned char)b[n - 1])) n--;
            r = mk_str(bt_xstrndup(b, n));
        }
        break;
    case F_LENGTH:
        if (s[0]) r = mk_num((double)strlen(s[0]));
        break;
    case F_INDEXOF:
        if (s[0] && s[1]) {
            const char *f = ci_find(s[0], s[1]);
            r = mk_num(f ? (double)(f - s[0]) : -1);
        }
        break;
    case F_CONCAT:
        if (s[0] && s[1]) r = mk_str(bt_xasprintf("%s%s", s[0], s[1]));
        break;
    case F_SUBSTRING:
        if (s[0] && a[1].k == V_NUM) {
            size_t len = strlen(s[0]);
            size_t from = a[1].n < 0 ? 0 : (size_t)a[1].n;
            if (from > len) from = len;
            size_t n = len - from;
            if (e->n == 3 && a[2].k == V_NUM)
                n = a[2].n < 0 ? 0 : (size_t)a[2].n < n ? (size_t)a[2].n : n;
            r = mk_str(bt_xstrndup(s[0] + from, n));
        }
        break;
    case F_ROUND:
    case F_FLOOR:
    case F_CEILING:
        if (a[0].k == V_NUM)
            r = mk_num(e->fn == F_ROUND ? round(a[0].n)
                       : e->fn == F_FLOOR ? floor(a[0].n)
                                          : ceil(a[0].n));
        break;
    case F_YEAR: case F_MONTH: case F_DAY:
    case F_HOUR: case F_MINUTE: case F_SECOND:
        if (a[0].k != V_TIME) break;
        gmtime_r(&secs, &tm);
        r = mk_num(e->fn == F_YEAR     ? tm.tm_year + 1900
                   : e->fn == F_MONTH  ? tm.tm_mon + 1
                   : e->fn == F_DAY    ? tm.tm_mday
                   : e->fn == F_HOUR   ? tm.tm_hour
                   : e->fn == F_MINUTE ? tm.tm_min
                                       : tm.tm_sec);
        break;
    }
    for (size_t i = 0; i < 3; i++) {
        val_clear(&a[i]);
        free(s[i]);
    }
    return r;
}

static val eval(const od_expr *e, const env *en) {
    switch (e->kind) {
    case E_LIT: {
        val v = e->lit;
        if (v.s) v.s = bt_xstrdup(v.s);
        return v;
    }
    case E_PROP: return prop_val(e, en);
    case E_AND: return mk_bool(truthy(e->a[0], en) && truthy(e->a[1], en));
    case E_OR: return mk_bool(truthy(e->a[0], en) || truthy(e->a[1], en));
    case E_NOT: {
        val v = eval(e->a[0], en);
        val r = v.k == V_BOOL ? mk_bool(!v.b) : (val){V_NULL};
        val_clear(&v);
        return r;
    }
    case E_CMP: {
        val a = eval(e->a[0], en), b = eval(e->a[1], en);
        bool r;
        if (a.k == V_NULL || b.k == V_NULL) {
            bool both = a.k == V_NULL && b.k == V_NULL;
            r = e->op == OP_EQ ? both : e->op == OP_NE ? !both : false;
        } else {
            int c = val_cmp(&a, &b);
            switch (e->op) {
            case OP_EQ: r = c == 0; break;
            case OP_NE: r = c != 0; break;
            case OP_GT: r = c != -2 && c > 0; break;
            case OP_GE: r = c >= 0; break;
            case OP_LT: r = c == -1; break;
            default: r = c == -1 || c == 0; break;
            }
        }
        val_clear(&a);
        val_clear(&b);
        return mk_bool(r);
    }
    case E_FN: return eval_fn(e, en);
    case E_ARITH: {
        val a = eval(e->a[0], en), b = eval(e->a[1], en);
        val r = {V_NULL};
        if (a.k == V_NUM && b.k == V_NUM) {
            switch (e->aop) {
            case OP_ADD: r = mk_num(a.n + b.n); break;
            case OP_SUB: r = mk_num(a.n - b.n); break;
            case OP_MUL: r = mk_num(a.n * b.n); break;
            case OP_DIV: if (b.n != 0) r = mk_num(a.n / b.n); break;
            case OP_MOD: if (b.n != 0) r = mk_num(fmod(a.n, b.n)); break;
            }
        }
        val_clear(&a);
        val_clear(&b);
        return r;
    }
    }
    return (val){V_NULL};
}

bool od_filter_match(od_ctx *c, const od_expr *e, json_t *entity) {
    env en = {c, entity};
    return truthy(e, &en);
}
