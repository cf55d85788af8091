/* Link and loop conditions: a hand-written recursive-descent parser into a
 * small node array, and an evaluator that runs for every link of every
 * activity instance, so it expands nothing it does not have to: literal
 * operands are used as they are and a lone {a.b} is looked up directly. */
#include "engine/cond.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "engine/compare.h"

#define COND_MAX_LEN ((size_t)64 << 10)
#define COND_MAX_DEPTH 64
#define SHOW_MAX 40 /* bytes of a token quoted in a message */

typedef enum { N_OR, N_AND, N_NOT, N_CMP } node_kind;

typedef struct node {
    node_kind kind;
    size_t first, count;  /* OR/AND: children in kids[first..]; NOT: first */
    bt_compare_op op;     /* CMP */
    size_t left, right;   /* CMP: operand indexes; right unused if unary */
    regex_t *re;          /* CMP matches with a literal pattern */
} node;

typedef struct operand {
    bt_template *tpl;
    /* One reference and nothing else: look it up without expanding. */
    const bt_template_ref *direct;
} operand;

struct bt_cond {
    char *source;
    node *nodes;
    size_t n_nodes, nodes_cap;
    size_t *kids;
    size_t n_kids, kids_cap;
    operand *ops;
    size_t n_ops, ops_cap;
    size_t root;
};

/* ---- tokens ----------------------------------------------------------- */

typedef enum { T_END, T_LPAREN, T_RPAREN, T_SYM, T_WORD, T_QUOTED } tok_kind;

typedef struct token {
    tok_kind kind;
    size_t start, len; /* source span, quotes included */
} token;

typedef struct parser {
    const char *text;
    size_t len, pos;
    token tok;
    size_t prev_end; /* end of the token before tok */
    int depth;
    bt_cond *c;
    bt_error *err;
    bt_buf scratch; /* unquoted text */
} parser;

static bool is_space(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
           ch == '\f' || ch == '\v';
}

static bool ends_word(char ch) {
    return is_space(ch) || ch == '(' || ch == ')' || ch == '=' ||
           ch == '!' || ch == '<' || ch == '>';
}

static int column_of(size_t offset) { return (int)offset + 1; }

/* Sets a syntax error at a source offset. */
__attribute__((format(printf, 3, 4))) static int syntax(parser *p,
                                                       size_t offset,
                                                       const char *fmt, ...) {
    char msg[BT_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bt_error_set_at(p->err, BT_ESYNTAX, NULL, 0, column_of(offset),
                           "%s", msg);
}

/* "'text'" or "the end of the condition", for "found ..." */
static void describe(const parser *p, const token *t, char *out, size_t n) {
    if (t->kind == T_END) {
        snprintf(out, n, "the end of the condition");
        return;
    }
    int shown = t->len > SHOW_MAX ? SHOW_MAX : (int)t->len;
    snprintf(out, n, "'%.*s%s'", shown, p->text + t->start,
             t->len > SHOW_MAX ? "..." : "");
}

static int next_token(parser *p) {
    const char *s = p->text;
    p->prev_end = p->tok.start + p->tok.len;
    while (p->pos < p->len && is_space(s[p->pos])) p->pos++;
    token t = {T_END, p->pos, 0};
    if (p->pos >= p->len) {
        p->tok = t;
        return 0;
    }
    char ch = s[p->pos], nx = p->pos + 1 < p->len ? s[p->pos + 1] : '\0';
    if (ch == '(' || ch == ')') {
        t.kind = ch == '(' ? T_LPAREN : T_RPAREN;
        t.len = 1;
    } else if (ch == '=') {
        t.kind = T_SYM;
        t.len = nx == '=' ? 2 : 1;
    } else if (ch == '!') {
        if (nx != '=')
            return syntax(p, p->pos,
                          "unexpected '!' at column %d: write != or 'not'",
                          column_of(p->pos));
        t.kind = T_SYM;
        t.len = 2;
    } else if (ch == '<' || ch == '>') {
        t.kind = T_SYM;
        t.len = nx == '=' || (ch == '<' && nx == '>') ? 2 : 1;
    } else if (ch == '"' || ch == '\'') {
        size_t i = p->pos + 1;
        while (i < p->len && s[i] != ch) i += s[i] == '\\' && i + 1 < p->len ? 2 : 1;
        if (i >= p->len)
            return syntax(p, p->pos,
                          "unterminated quoted text starting at column %d: "
                          "expected a closing %c",
                          column_of(p->pos), ch);
        t.kind = T_QUOTED;
        t.len = i + 1 - p->pos;
    } else {
        size_t i = p->pos;
        while (i < p->len && !ends_word(s[i])) i++;
        t.kind = T_WORD;
        t.len = i - p->pos;
    }
    p->pos += t.len;
    p->tok = t;
    return 0;
}

static bool tok_is(const parser *p, const char *word) {
    size_t n = strlen(word);
    return (p->tok.kind == T_WORD || p->tok.kind == T_SYM) &&
           p->tok.len == n &&
           strncasecmp(p->text + p->tok.start, word, n) == 0;
}

static bool tok_is_reserved(const parser *p) {
    return p->tok.kind == T_WORD &&
           (tok_is(p, "and") || tok_is(p, "or") || tok_is(p, "not"));
}

/* ---- building --------------------------------------------------------- */

static size_t add_node(bt_cond *c, node n) {
    if (c->n_nodes == c->nodes_cap) {
        c->nodes_cap = c->nodes_cap ? c->nodes_cap * 2 : 8;
        c->nodes = bt_xrealloc(c->nodes, c->nodes_cap * sizeof *c->nodes);
    }
    c->nodes[c->n_nodes] = n;
    return c->n_nodes++;
}

static size_t add_operand(bt_cond *c, bt_template *t) {
    if (c->n_ops == c->ops_cap) {
        c->ops_cap = c->ops_cap ? c->ops_cap * 2 : 4;
        c->ops = bt_xrealloc(c->ops, c->ops_cap * sizeof *c->ops);
    }
    operand o = {t, NULL};
    /* An escaped {{a.b}} leaves literal text, so an empty literal with one
     * reference means the operand is that reference alone. */
    if (bt_template_ref_count(t) == 1 && bt_template_literal(t)[0] == '\0')
        o.direct = bt_template_ref_at(t, 0);
    c->ops[c->n_ops] = o;
    return c->n_ops++;
}

/* Children are gathered on the side because nested groups append their own
 * children to kids meanwhile; they are copied in one block at the end. */
typedef struct kid_list {
    size_t *items;
    size_t count, cap;
} kid_list;

static void kid_push(kid_list *k, size_t v) {
    if (k->count == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 4;
        k->items = bt_xrealloc(k->items, k->cap * sizeof *k->items);
    }
    k->items[k->count++] = v;
}

static size_t add_group(bt_cond *c, node_kind kind, kid_list *k) {
    if (k->count == 1) return k->items[0];
    if (c->kids_cap < c->n_kids + k->count) {
        c->kids_cap = (c->n_kids + k->count) * 2;
        c->kids = bt_xrealloc(c->kids, c->kids_cap * sizeof *c->kids);
    }
    memcpy(c->kids + c->n_kids, k->items, k->count * sizeof *k->items);
    node n = {.kind = kind, .first = c->n_kids, .count = k->count};
    c->n_kids += k->count;
    return add_node(c, n);
}

/* ---- grammar ---------------------------------------------------------- */

static int parse_or(parser *p, size_t *out);

/* Reads the operand at the current token into an operand index. what
 * names the position for the message: "at the start of a comparison",
 * "after '=='". */
static int parse_operand(parser *p, const char *what, size_t *out) {
    const token t = p->tok;
    char found[SHOW_MAX + 64];
    if (t.kind != T_WORD && t.kind != T_QUOTED) {
        describe(p, &t, found, sizeof found);
        return syntax(p, t.start,
                      "expected a value (a {reference}, quoted text, a word "
                      "or a number) %s at column %d, found %s",
                      what, column_of(t.start), found);
    }
    if (tok_is_reserved(p)) {
        describe(p, &t, found, sizeof found);
        return syntax(p, t.start,
                      "expected a value %s at column %d, found the keyword "
                      "%s (quote it to compare with the word)",
                      what, column_of(t.start), found);
    }
    const char *src = p->text + t.start;
    size_t len = t.len;
    if (t.kind == T_QUOTED) {
        /* \" and \\ are escapes; any other backslash stays, so regular
         * expressions such as "\." need no doubling. */
        char q = src[0];
        bt_buf_reset(&p->scratch);
        for (size_t i = 1; i + 1 < t.len; i++) {
            char ch = src[i];
            if (ch == '\\' && i + 2 < t.len &&
                (src[i + 1] == q || src[i + 1] == '\\'))
                ch = src[++i];
            if (bt_buf_appendc(&p->scratch, ch))
                return bt_error_set(p->err, BT_ENOMEM, "out of memory");
        }
        src = bt_buf_str(&p->scratch);
        len = p->scratch.len;
    }
    bt_template *tpl;
    int rc = bt_template_compile(src, len, &tpl, p->err);
    if (rc) {
        if (p->err) p->err->column = column_of(t.start);
        return rc;
    }
    *out = add_operand(p->c, tpl);
    return next_token(p);
}

/* Recognises the operator at the current token (one or two tokens) and
 * consumes it. Returns 1 if found, 0 if not, <0 on a tokenizer error. */
static int parse_operator(parser *p, bt_compare_op *op) {
    static const struct {
        const char *first, *second;
        bt_compare_op op;
    } table[] = {
        {"==", NULL, BT_CMP_EQ},         {"=", NULL, BT_CMP_EQ},
        {"equals", NULL, BT_CMP_EQ},     {"!=", NULL, BT_CMP_NE},
        {"<>", NULL, BT_CMP_NE},         {">=", NULL, BT_CMP_GE},
        {"<=", NULL, BT_CMP_LE},         {">", NULL, BT_CMP_GT},
        {"<", NULL, BT_CMP_LT},          {"contains", NULL, BT_CMP_CONTAINS},
        {"matches", NULL, BT_CMP_MATCHES},
        {"starts", "with", BT_CMP_STARTS_WITH},
        {"ends", "with", BT_CMP_ENDS_WITH},
        {"not", "contains", BT_CMP_NOT_CONTAINS},
        {"not", "matches", BT_CMP_NOT_MATCHES},
        {"not", "equals", BT_CMP_NE},
        {"is", "empty", BT_CMP_IS_EMPTY},
    };
    if (tok_is(p, "is")) {
        size_t at = p->tok.start;
        int rc = next_token(p);
        if (rc) return rc;
        bool negated = tok_is(p, "not");
        if (negated && (rc = next_token(p))) return rc;
        if (!tok_is(p, "empty")) {
            char found[SHOW_MAX + 64];
            describe(p, &p->tok, found, sizeof found);
            return syntax(p, p->tok.start,
                          "expected 'empty' after '%s' (the 'is' at column "
                          "%d) at column %d, found %s",
                          negated ? "is not" : "is", column_of(at),
                          column_of(p->tok.start), found);
        }
        *op = negated ? BT_CMP_IS_NOT_EMPTY : BT_CMP_IS_EMPTY;
        rc = next_token(p);
        return rc ? rc : 1;
    }
    for (size_t i = 0; i < BT_ARRAY_LEN(table); i++) {
        if (!tok_is(p, table[i].first)) continue;
        if (!table[i].second) {
            *op = table[i].op;
            int rc = next_token(p);
            return rc ? rc : 1;
        }
        /* Two-word operator: peek at the next token without losing the
         * first if it does not complete this entry. */
        parser save = *p;
        int rc = next_token(p);
        if (rc) return rc;
        for (size_t j = i; j < BT_ARRAY_LEN(table); j++) {
            if (!table[j].second ||
                strcasecmp(table[j].first, table[i].first) != 0)
                continue;
            if (tok_is(p, table[j].second)) {
                *op = table[j].op;
                rc = next_token(p);
                return rc ? rc : 1;
            }
        }
        char found[SHOW_MAX + 64], first[SHOW_MAX + 8];
        describe(&save, &save.tok, first, sizeof first);
        describe(p, &p->tok, found, sizeof found);
        const char *want = tok_is(&save, "not")
                               ? "'contains', 'matches' or 'equals'"
                               : "'with'";
        return syntax(p, p->tok.start, "expected %s after %s at column %d, "
                      "found %s", want, first, column_of(p->tok.start), found);
    }
    return 0;
}

static int parse_compare(parser *p, size_t *out) {
    size_t left;
    const token lt = p->tok;
    int rc = parse_operand(p, "at the start of a comparison", &left);
    if (rc) return rc;
    bt_compare_op op = BT_CMP_EQ;
    token before = p->tok;
    rc = parse_operator(p, &op);
    if (rc < 0) return rc;
    if (rc == 0) {
        char found[SHOW_MAX + 64];
        describe(p, &before, found, sizeof found);
        return syntax(p, before.start,
                      "expected an operator (==, !=, <, >, <=, >=, contains, "
                      "starts with, ends with, matches, is empty...) after "
                      "'%.*s%s' at column %d, found %s",
                      lt.len > SHOW_MAX ? SHOW_MAX : (int)lt.len,
                      p->text + lt.start, lt.len > SHOW_MAX ? "..." : "",
                      column_of(before.start), found);
    }
    node n = {.kind = N_CMP, .op = op, .left = left, .right = SIZE_MAX};
    if (!bt_compare_op_is_unary(op)) {
        char what[64];
        snprintf(what, sizeof what, "after '%.*s'",
                 (int)(p->prev_end - before.start), p->text + before.start);
        size_t at = p->tok.start;
        rc = parse_operand(p, what, &n.right);
        if (rc) return rc;
        const bt_template *rt = p->c->ops[n.right].tpl;
        if ((op == BT_CMP_MATCHES || op == BT_CMP_NOT_MATCHES) &&
            bt_template_is_literal(rt)) {
            regex_t *re = bt_xmalloc(sizeof *re);
            bt_error rerr;
            if (bt_compare_regex_compile(re, bt_template_literal(rt), 0,
                                         &rerr) != 0) {
                free(re);
                return syntax(p, at, "%s (at column %d)", rerr.message,
                              column_of(at));
            }
            n.re = re;
        }
    }
    *out = add_node(p->c, n);
    return 0;
}

static int parse_unary(parser *p, size_t *out) {
    if (++p->depth > COND_MAX_DEPTH)
        return syntax(p, p->tok.start,
                      "condition nests 'not' and parentheses more than %d "
                      "deep at column %d",
                      COND_MAX_DEPTH, column_of(p->tok.start));
    int rc;
    if (tok_is(p, "not")) {
        if ((rc = next_token(p))) return rc;
        size_t child;
        if ((rc = parse_unary(p, &child))) return rc;
        *out = add_node(p->c, (node){.kind = N_NOT, .first = child});
    } else if (p->tok.kind == T_LPAREN) {
        size_t open = p->tok.start;
        if ((rc = next_token(p)) || (rc = parse_or(p, out))) return rc;
        if (p->tok.kind != T_RPAREN) {
            char found[SHOW_MAX + 64];
            describe(p, &p->tok, found, sizeof found);
            return syntax(p, p->tok.start,
                          "expected ')' to close the '(' at column %d, or "
                          "'and' / 'or', at column %d, found %s",
                          column_of(open), column_of(p->tok.start), found);
        }
        if ((rc = next_token(p))) return rc;
    } else {
        if ((rc = parse_compare(p, out))) return rc;
    }
    p->depth--;
    return 0;
}

static int parse_chain(parser *p, node_kind kind, size_t *out) {
    kid_list k = {0};
    int rc;
    for (;;) {
        size_t item;
        rc = kind == N_OR ? parse_chain(p, N_AND, &item)
                          : parse_unary(p, &item);
        if (rc) break;
        kid_push(&k, item);
        if (!tok_is(p, kind == N_OR ? "or" : "and")) break;
        if ((rc = next_token(p))) break;
    }
    if (!rc) *out = add_group(p->c, kind, &k);
    free(k.items);
    return rc;
}

static int parse_or(parser *p, size_t *out) { return parse_chain(p, N_OR, out); }

void bt_cond_free(bt_cond *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_nodes; i++)
        if (c->nodes[i].re) {
            regfree(c->nodes[i].re);
            free(c->nodes[i].re);
        }
    for (size_t i = 0; i < c->n_ops; i++) bt_template_free(c->ops[i].tpl);
    free(c->nodes);
    free(c->kids);
    free(c->ops);
    free(c->source);
    free(c);
}

int bt_cond_parse(const char *text, bt_cond **out, bt_error *err) {
    *out = NULL;
    if (!text) text = "";
    size_t len = strlen(text);
    if (len > COND_MAX_LEN)
        return bt_error_set_at(err, BT_ETOOBIG, NULL, 0, 1,
                               "condition is %zu bytes long; the limit is %zu",
                               len, COND_MAX_LEN);
    bt_cond *c = bt_xcalloc(1, sizeof *c);
    c->source = bt_xstrndup(text, len);
    parser p = {.text = c->source, .len = len, .c = c, .err = err};
    bt_buf_init(&p.scratch, COND_MAX_LEN);
    int rc = next_token(&p);
    if (!rc && p.tok.kind == T_END)
        rc = syntax(&p, 0, "empty condition: expected a comparison such as "
                           "{step.exit_code} == 0 at column 1");
    if (!rc) rc = parse_or(&p, &c->root);
    if (!rc && p.tok.kind != T_END) {
        char found[SHOW_MAX + 64];
        describe(&p, &p.tok, found, sizeof found);
        rc = p.tok.kind == T_RPAREN
                 ? syntax(&p, p.tok.start,
                          "unbalanced ')' at column %d: no '(' is open",
                          column_of(p.tok.start))
                 : syntax(&p, p.tok.start,
                          "expected 'and', 'or' or the end of the condition "
                          "at column %d, found %s",
                          column_of(p.tok.start), found);
    }
    bt_buf_free(&p.scratch);
    if (rc) {
        bt_cond_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

const char *bt_cond_source(const bt_cond *c) { return c->source; }

size_t bt_cond_template_count(const bt_cond *c) { return c->n_ops; }

bt_template *bt_cond_template_at(bt_cond *c, size_t i) {
    return i < c->n_ops ? c->ops[i].tpl : NULL;
}

/* ---- evaluation ------------------------------------------------------- */

typedef struct evaluator {
    const bt_cond *c;
    const bt_expand_env *env;
    bt_cond_operand_fn fn;
    void *ud;
    bt_buf buf; /* allocates only when an operand needs expanding */
    bt_error *err;
} evaluator;

/* Either returns the value in place (*off = SIZE_MAX) or appends it,
 * NUL-terminated, to ev->buf at *off: the buffer may move while the other
 * side is expanded, so pointers into it are taken afterwards. */
static int operand_value(evaluator *ev, size_t i, const char **val,
                         size_t *off) {
    const operand *o = &ev->c->ops[i];
    *off = SIZE_MAX;
    if (ev->fn) {
        *val = ev->fn(ev->ud, o->tpl);
        if (!*val) *val = "";
        return 0;
    }
    if (bt_template_is_literal(o->tpl)) {
        *val = bt_template_literal(o->tpl);
        return 0;
    }
    const bt_expand_env *env = ev->env;
    if (o->direct) {
        const bt_template_ref *r = o->direct;
        const char *v = NULL;
        if (r->kind == BT_REF_VAR)
            v = env && env->var_lookup ? env->var_lookup(env->var_ud, r->field)
                                       : NULL;
        else if (env && r->activity_index != SIZE_MAX)
            v = bt_frame_lookup(env->frame, r->activity_index, r->field);
        *val = v ? v : "";
        return 0;
    }
    *off = ev->buf.len;
    int rc = bt_template_expand(o->tpl, env, &ev->buf, NULL);
    if (!rc) rc = bt_buf_append(&ev->buf, "", 1);
    if (rc)
        return bt_error_set(ev->err, -rc,
                            "condition '%.80s': a value is too large to "
                            "compare",
                            ev->c->source);
    return 0;
}

static int eval_node(evaluator *ev, size_t idx, bool *out) {
    const node *n = &ev->c->nodes[idx];
    int rc;
    switch (n->kind) {
    case N_OR:
    case N_AND: {
        bool want = n->kind == N_OR; /* the value that decides the group */
        for (size_t i = 0; i < n->count; i++) {
            bool v;
            if ((rc = eval_node(ev, ev->c->kids[n->first + i], &v))) return rc;
            if (v == want) return (*out = want), 0;
        }
        *out = !want;
        return 0;
    }
    case N_NOT: {
        bool v;
        if ((rc = eval_node(ev, n->first, &v))) return rc;
        *out = !v;
        return 0;
    }
    case N_CMP: {
        const char *l, *r = "";
        size_t loff, roff = SIZE_MAX;
        bt_buf_reset(&ev->buf);
        if ((rc = operand_value(ev, n->left, &l, &loff))) return rc;
        if (n->right != SIZE_MAX &&
            (rc = operand_value(ev, n->right, &r, &roff)))
            return rc;
        if (loff != SIZE_MAX) l = ev->buf.data + loff;
        if (roff != SIZE_MAX) r = ev->buf.data + roff;
        rc = bt_compare(n->op, l, r, BT_CMP_AUTO, 0, n->re, out, ev->err);
        if (rc && ev->err) {
            char why[BT_ERROR_MESSAGE_MAX];
            snprintf(why, sizeof why, "%s", ev->err->message);
            bt_error_set(ev->err, -rc, "condition '%.120s': %s",
                         ev->c->source, why);
        }
        return rc;
    }
    }
    return bt_error_set(ev->err, BT_EINTERNAL, "bad condition node");
}

static int eval(evaluator *ev, bool *out) {
    bt_buf_init(&ev->buf, 0);
    bool v = false;
    int rc = eval_node(ev, ev->c->root, &v);
    bt_buf_free(&ev->buf);
    if (!rc) *out = v;
    return rc;
}

int bt_cond_eval(const bt_cond *c, const bt_expand_env *env, bool *out,
                 bt_error *err) {
    evaluator ev = {.c = c, .env = env, .err = err};
    return eval(&ev, out);
}

int bt_cond_eval_with(const bt_cond *c, bt_cond_operand_fn fn, void *ud,
                      bool *out, bt_error *err) {
    evaluator ev = {.c = c, .fn = fn, .ud = ud, .err = err};
    return eval(&ev, out);
}
