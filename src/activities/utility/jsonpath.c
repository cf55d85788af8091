/* The JSONPath subset of jsonpath.h, evaluated step by step over a set of
 * current nodes; no filters or scripts, so a path from published data can
 * only select, never run anything. */
#include "activities/utility/jsonpath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/error.h"
#include "common/util.h"

static void push(bt_jsonpath_matches *m, json_t *v) {
    if (m->n == m->alloc) {
        m->alloc = m->alloc ? m->alloc * 2 : 8;
        m->items = bt_xrealloc(m->items, m->alloc * sizeof *m->items);
    }
    m->items[m->n++] = v;
}

void bt_jsonpath_matches_free(bt_jsonpath_matches *m) {
    if (!m) return;
    free(m->items);
    m->items = NULL;
    m->n = m->alloc = 0;
}

static void descend(json_t *v, const char *name, bt_jsonpath_matches *out) {
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) {
            if (!name || strcmp(k, name) == 0) push(out, c);
            descend(c, name, out);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            if (!name) push(out, c);
            descend(c, name, out);
        }
    }
}

static void children(json_t *v, bt_jsonpath_matches *out) {
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) push(out, c);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) push(out, c);
    }
}

typedef enum { STEP_MEMBER, STEP_INDEX, STEP_ALL, STEP_DEEP } step_kind;

static void apply(const bt_jsonpath_matches *cur, step_kind kind,
                  const char *name, long long index,
                  bt_jsonpath_matches *next) {
    for (size_t i = 0; i < cur->n; i++) {
        json_t *v = cur->items[i];
        switch (kind) {
        case STEP_MEMBER: {
            json_t *c = json_is_object(v) ? json_object_get(v, name) : NULL;
            if (c) push(next, c);
            break;
        }
        case STEP_INDEX: {
            if (!json_is_array(v)) break;
            long long n = (long long)json_array_size(v);
            long long k = index < 0 ? n + index : index;
            if (k >= 0 && k < n) push(next, json_array_get(v, (size_t)k));
            break;
        }
        case STEP_ALL: children(v, next); break;
        case STEP_DEEP: descend(v, name, next); break;
        }
    }
}

static size_t ident_len(const char *p) {
    size_t n = 0;
    while (p[n] && p[n] != '.' && p[n] != '[') n++;
    return n;
}

int bt_jsonpath_eval(json_t *root, const char *path, bt_jsonpath_matches *out,
                     char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const char *p = path;
    while (*p == ' ') p++;
    if (*p == '$') p++;
    bt_jsonpath_matches cur = {0};
    push(&cur, root);
    char *name = NULL;
    while (*p) {
        step_kind kind;
        long long index = 0;
        free(name);
        name = NULL;
        if (p[0] == '.' && p[1] == '.') {
            p += 2;
            kind = STEP_DEEP;
            if (*p == '*') {
                p++;
            } else {
                size_t n = ident_len(p);
                if (!n) goto bad;
                name = bt_xstrndup(p, n);
                p += n;
            }
        } else if (*p == '.') {
            p++;
            if (*p == '*') {
                p++;
                kind = STEP_ALL;
            } else {
                size_t n = ident_len(p);
                if (!n) goto bad;
                name = bt_xstrndup(p, n);
                p += n;
                kind = STEP_MEMBER;
            }
        } else if (*p == '[') {
            p++;
            if (*p == '*' && p[1] == ']') {
                p += 2;
                kind = STEP_ALL;
            } else if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *end = strchr(p, q);
                if (!end || end[1] != ']') goto bad;
                name = bt_xstrndup(p, (size_t)(end - p));
                p = end + 2;
                kind = STEP_MEMBER;
            } else {
                char *end;
                index = strtoll(p, &end, 10);
                if (end == p || *end != ']') goto bad;
                p = end + 1;
                kind = STEP_INDEX;
            }
        } else if (p == path || (p == path + 1 && path[0] == '$')) {
            /* "a.b" without "$." reads as "$.a.b". */
            size_t n = ident_len(p);
            if (!n) goto bad;
            name = bt_xstrndup(p, n);
            p += n;
            kind = STEP_MEMBER;
        } else {
            goto bad;
        }
        bt_jsonpath_matches next = {0};
        apply(&cur, kind, name, index, &next);
        bt_jsonpath_matches_free(&cur);
        cur = next;
    }
    free(name);
    *out = cur;
    return 0;
bad:
    free(name);
    bt_jsonpath_matches_free(&cur);
    snprintf(err, errlen,
             "JSON path '%.200s' is not valid near '%.40s' (use $.a.b, "
             "$.a[0], $.a[*].b, $..b, $['odd name'])",
             path, p);
    return -BT_EINVAL;
}

char *bt_jsonpath_text(const json_t *v) {
    if (json_is_string(v)) return bt_xstrndup(json_string_value(v),
                                              json_string_length(v));
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) return bt_xstrdup("");
    char *r = bt_xstrdup(s);
    free(s);
    return r;
}

const char *bt_jsonpath_type(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}
