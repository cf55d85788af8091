/* Templates are compiled into literal and reference segments once, so that
 * expansion for each activity instance is a walk and a few memcpys. */
#include "engine/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct segment {
    size_t start, len; /* literal: bytes of text; ref: unused */
    size_t ref;        /* index into refs, or SIZE_MAX for a literal */
} segment;

struct bt_template {
    char *text;       /* source */
    size_t len;
    char *literal;    /* literal bytes after unescaping */
    segment *segs;
    size_t n_segs;
    bt_template_ref *refs;
    size_t n_refs;
};

static int ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static size_t ident_len(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && ident_char(s[i])) i++;
    return i;
}

/* Recognises {a.b} or {var:name} at text[0]; returns its length (0 if
 * not a reference) and where the two names are. */
static size_t match_ref(const char *s, size_t n, bt_ref_kind *kind,
                        size_t *a_off, size_t *a_len, size_t *f_off,
                        size_t *f_len) {
    if (n < 5 || s[0] != '{') return 0;
    size_t a = ident_len(s + 1, n - 1);
    if (a == 0 || 1 + a >= n) return 0;
    char sep = s[1 + a];
    if (sep == ':') {
        if (a != 3 || memcmp(s + 1, "var", 3) != 0) return 0;
        *kind = BT_REF_VAR;
    } else if (sep == '.') {
        *kind = BT_REF_DATA;
    } else {
        return 0;
    }
    size_t f = ident_len(s + 2 + a, n - 2 - a);
    if (f == 0 || 2 + a + f >= n || s[2 + a + f] != '}') return 0;
    *a_off = 1;
    *a_len = a;
    *f_off = 2 + a;
    *f_len = f;
    return 3 + a + f;
}

static void add_segment(bt_template *t, size_t *cap, segment seg) {
    if (t->n_segs == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        t->segs = bt_xrealloc(t->segs, *cap * sizeof *t->segs);
    }
    t->segs[t->n_segs++] = seg;
}

int bt_template_compile(const char *text, size_t len, bt_template **out,
                        bt_error *err) {
    (void)err; /* every text is a valid template; kept for future syntax */
    bt_template *t = bt_xcalloc(1, sizeof *t);
    t->text = bt_xstrndup(text, len);
    t->len = len;
    t->literal = bt_xmalloc(len + 1);
    size_t seg_cap = 0, ref_cap = 0, lit = 0, lit_start = 0;
    for (size_t i = 0; i < len;) {
        bt_ref_kind kind;
        size_t ao, al, fo, fl, m = 0;
        int escaped = 0;
        if (text[i] == '{') {
            /* {{a.b}} is the escape for a literal {a.b}. */
            if (i + 1 < len && text[i + 1] == '{' &&
                (m = match_ref(text + i + 1, len - i - 1, &kind, &ao, &al,
                               &fo, &fl)) &&
                i + 1 + m < len && text[i + 1 + m] == '}') {
                escaped = 1;
            } else {
                m = match_ref(text + i, len - i, &kind, &ao, &al, &fo, &fl);
            }
        }
        if (escaped) {
            memcpy(t->literal + lit, text + i + 1, m);
            lit += m;
            i += m + 2;
            continue;
        }
        if (!m) {
            t->literal[lit++] = text[i++];
            continue;
        }
        if (lit > lit_start)
            add_segment(t, &seg_cap,
                        (segment){lit_start, lit - lit_start, SIZE_MAX});
        lit_start = lit;
        if (t->n_refs == ref_cap) {
            ref_cap = ref_cap ? ref_cap * 2 : 2;
            t->refs = bt_xrealloc(t->refs, ref_cap * sizeof *t->refs);
        }
        bt_template_ref *r = &t->refs[t->n_refs];
        r->kind = kind;
        r->activity = kind == BT_REF_DATA ? bt_xstrndup(text + i + ao, al)
                                          : NULL;
        r->field = bt_xstrndup(text + i + fo, fl);
        r->offset = i;
        r->activity_index = SIZE_MAX;
        add_segment(t, &seg_cap, (segment){0, 0, t->n_refs});
        t->n_refs++;
        i += m;
    }
    if (lit > lit_start)
        add_segment(t, &seg_cap,
                    (segment){lit_start, lit - lit_start, SIZE_MAX});
    t->literal[lit] = '\0';
    *out = t;
    return 0;
}

void bt_template_free(bt_template *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_refs; i++) {
        free(t->refs[i].activity);
        free(t->refs[i].field);
    }
    free(t->refs);
    free(t->segs);
    free(t->literal);
    free(t->text);
    free(t);
}

bool bt_template_is_literal(const bt_template *t) { return t->n_refs == 0; }

const char *bt_template_source(const bt_template *t) { return t->text; }

/* For a literal template this is the text after unescaping, so callers can
 * skip expansion entirely. */
const char *bt_template_literal(const bt_template *t) { return t->literal; }

size_t bt_template_ref_count(const bt_template *t) { return t->n_refs; }

bt_template_ref *bt_template_ref_at(bt_template *t, size_t i) {
    return i < t->n_refs ? &t->refs[i] : NULL;
}

static int append_escaped(bt_buf *out, const char *v, const char *specials) {
    int rc = 0;
    for (; *v && !rc; v++) {
        if (*v == '\\' || strchr(specials, *v)) rc = bt_buf_appendc(out, '\\');
        if (!rc) rc = bt_buf_appendc(out, *v);
    }
    return rc;
}

int bt_template_expand(const bt_template *t, const bt_expand_env *env,
                       bt_buf *out, const char **missing) {
    return bt_template_expand_escaped(t, env, out, missing, NULL);
}

int bt_template_expand_escaped(const bt_template *t, const bt_expand_env *env,
                               bt_buf *out, const char **missing,
                               const char *specials) {
    if (missing) *missing = NULL;
    for (size_t i = 0; i < t->n_segs; i++) {
        const segment *s = &t->segs[i];
        const char *v;
        if (s->ref == SIZE_MAX) {
            int rc = bt_buf_append(out, t->literal + s->start, s->len);
            if (rc) return rc;
            continue;
        }
        const bt_template_ref *r = &t->refs[s->ref];
        if (r->kind == BT_REF_VAR)
            v = env && env->var_lookup ? env->var_lookup(env->var_ud, r->field)
                                       : NULL;
        else
            v = env && r->activity_index != SIZE_MAX
                    ? bt_frame_lookup(env->frame, r->activity_index, r->field)
                    : NULL;
        if (!v) {
            /* Orchestrator substitutes an empty string for data that is not
             * on the path; we do too but let the caller report it. */
            if (missing && !*missing) *missing = t->text + r->offset;
            continue;
        }
        int rc = specials ? append_escaped(out, v, specials)
                          : bt_buf_appends(out, v);
        if (rc) return rc;
    }
    return 0;
}
