/* YAML (and JSON, as YAML flow syntax) to a position-carrying node tree.
 *
 * libyaml's event parser is used rather than its document loader because
 * the loader expands aliases (billion laughs) and builds a tree we would
 * copy anyway; with events we enforce every limit before memory grows and
 * keep the position of each node. Nodes and strings live in one arena so a
 * document is freed in one sweep however hostile it was. */
#include "runbook/doc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/buf.h"
#include "common/util.h"

/* ---- arena ------------------------------------------------------------- */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
} arena_chunk;

typedef struct arena {
    arena_chunk *head;
} arena;

#define ARENA_CHUNK ((size_t)64 << 10)

static void *arena_alloc(arena *a, size_t n) {
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = bt_xmalloc(sizeof *c + size);
        c->size = size;
        c->used = 0;
        /* A big one-off block goes behind the current chunk so the space
         * left in the current one is still used. */
        if (a->head && size > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(arena *a) {
    if (!a) return;
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

static char *arena_strndup(arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- parser state ------------------------------------------------------ */

typedef struct frame {
    bt_node *node;
    bt_node **items;
    bt_node **keys;
    size_t n, cap;
    bool want_key; /* maps: the next node is a key */
} frame;

typedef struct parse_ctx {
    const char *name;
    const char *text;
    size_t len;
    arena *ar;
    frame stack[BT_DOC_MAX_DEPTH + 1];
    int depth;
    size_t nodes;
    bt_node *root;
    bt_error *err;
} parse_ctx;

static int fail_at(parse_ctx *p, int code, int line, int column,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail_at(parse_ctx *p, int code, int line, int column,
                   const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = bt_error_vset_at(p->err, code, p->name, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

/* Line and column (in characters) of a byte offset, for problems found
 * before libyaml has a mark for them. */
static void offset_position(const char *text, size_t len, size_t off,
                            int *line, int *column) {
    int l = 1, c = 1;
    if (off > len) off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

static bt_node *new_node(parse_ctx *p, bt_node_kind kind,
                         const yaml_mark_t *mark) {
    bt_node *n = arena_alloc(p->ar, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->column = (int)mark->column + 1;
    n->str = "";
    return n;
}

static void frame_grow(frame *f) {
    if (f->n < f->cap) return;
    f->cap = f->cap ? f->cap * 2 : 8;
    f->items = bt_xrealloc(f->items, f->cap * sizeof *f->items);
    if (f->node->kind == BT_NODE_MAP)
        f->keys = bt_xrealloc(f->keys, f->cap * sizeof *f->keys);
}

static const char *kind_phrase(bt_node_kind k) {
    switch (k) {
    case BT_NODE_NULL: return "an empty value";
    case BT_NODE_SCALAR: return "text";
    case BT_NODE_SEQ: return "a list";
    case BT_NODE_MAP: return "a map";
    }
    return "?";
}

/* A node is complete: hand it to its parent (or make it the root). */
static int attach(parse_ctx *p, bt_node *n) {
    if (p->depth == 0) {
        p->root = n;
        return 0;
    }
    frame *f = &p->stack[p->depth - 1];
    if (f->node->kind == BT_NODE_SEQ) {
        frame_grow(f);
        f->items[f->n++] = n;
        return 0;
    }
    if (f->want_key) {
        if (n->kind != BT_NODE_SCALAR)
            return fail_at(p, BT_ESYNTAX, n->line, n->column,
                           "a map key must be text, not %s",
                           kind_phrase(n->kind));
        frame_grow(f);
        f->keys[f->n] = n;
        f->want_key = false;
        return 0;
    }
    f->items[f->n++] = n;
    f->want_key = true;
    return 0;
}

static int count_node(parse_ctx *p, const yaml_mark_t *mark) {
    if (++p->nodes > BT_DOC_MAX_NODES)
        return fail_at(p, BT_ETOOBIG, (int)mark->line + 1,
                       (int)mark->column + 1,
                       "the document has more than %d values, the limit "
                       "(BT_DOC_MAX_NODES)",
                       BT_DOC_MAX_NODES);
    return 0;
}

/* Tags that only restate what the text already is are harmless (JSON
 * converters emit !!str); any other tag asks for a type we do not have. */
static int check_tag(parse_ctx *p, const yaml_char_t *tag,
                     const yaml_mark_t *mark, bool *is_str) {
    static const char *const ok[] = {
        "tag:yaml.org,2002:str",   "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",  "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",   "!"};
    if (is_str) *is_str = false;
    if (!tag) return 0;
    for (size_t i = 0; i < BT_ARRAY_LEN(ok); i++) {
        if (strcmp((const char *)tag, ok[i]) == 0) {
            if (is_str && (i == 0 || i == BT_ARRAY_LEN(ok) - 1))
                *is_str = true;
            return 0;
        }
    }
    return fail_at(p, BT_ESYNTAX, (int)mark->line + 1, (int)mark->column + 1,
                   "YAML tag '%.64s' is not supported", (const char *)tag);
}

static int reject_anchor(parse_ctx *p, const yaml_char_t *anchor,
                         const yaml_mark_t *mark) {
    if (!anchor) return 0;
    return fail_at(p, BT_ESYNTAX, (int)mark->line + 1, (int)mark->column + 1,
                   "YAML anchors and aliases are not supported (anchor "
                   "'&%.64s')",
                   (const char *)anchor);
}

static bool is_null_text(const char *s, size_t n) {
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (memcmp(s, "null", 4) == 0 ||
                       memcmp(s, "Null", 4) == 0 ||
                       memcmp(s, "NULL", 4) == 0));
}

static int on_scalar(parse_ctx *p, const yaml_event_t *ev) {
    const yaml_mark_t *m = &ev->start_mark;
    int rc = count_node(p, m);
    if (!rc) rc = reject_anchor(p, ev->data.scalar.anchor, m);
    bool tagged_str = false;
    if (!rc) rc = check_tag(p, ev->data.scalar.tag, m, &tagged_str);
    if (rc) return rc;
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (n > BT_DOC_MAX_SCALAR)
        return fail_at(p, BT_ETOOBIG, (int)m->line + 1, (int)m->column + 1,
                       "a text value of %zu bytes is over the limit of %zu "
                       "bytes (BT_DOC_MAX_SCALAR)",
                       n, BT_DOC_MAX_SCALAR);
    if (memchr(s, '\0', n))
        return fail_at(p, BT_ESYNTAX, (int)m->line + 1, (int)m->column + 1,
                       "text contains a NUL character (\\0), which is not "
                       "allowed");
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    bt_node_kind kind = plain && !tagged_str && is_null_text(s, n)
                            ? BT_NODE_NULL
                            : BT_NODE_SCALAR;
    bt_node *node = new_node(p, kind, m);
    node->quoted = !plain || tagged_str;
    if (kind == BT_NODE_SCALAR) {
        node->str = arena_strndup(p->ar, s, n);
        node->len = n;
    }
    return attach(p, node);
}

static int on_start(parse_ctx *p, const yaml_event_t *ev, bt_node_kind kind) {
    const yaml_mark_t *m = &ev->start_mark;
    int rc = count_node(p, m);
    if (rc) return rc;
    const yaml_char_t *anchor = kind == BT_NODE_MAP
                                    ? ev->data.mapping_start.anchor
                                    : ev->data.sequence_start.anchor;
    const yaml_char_t *tag = kind == BT_NODE_MAP ? ev->data.mapping_start.tag
                                                 : ev->data.sequence_start.tag;
    if ((rc = reject_anchor(p, anchor, m))) return rc;
    if ((rc = check_tag(p, tag, m, NULL))) return rc;
    if (p->depth > 0) {
        frame *parent = &p->stack[p->depth - 1];
        if (parent->node->kind == BT_NODE_MAP && parent->want_key)
            return fail_at(p, BT_ESYNTAX, (int)m->line + 1,
                           (int)m->column + 1,
                           "a map key must be text, not %s",
                           kind_phrase(kind));
    }
    if (p->depth >= BT_DOC_MAX_DEPTH)
        return fail_at(p, BT_ETOOBIG, (int)m->line + 1, (int)m->column + 1,
                       "maps and lists are nested more than %d levels deep, "
                       "the limit (BT_DOC_MAX_DEPTH)",
                       BT_DOC_MAX_DEPTH);
    frame *f = &p->stack[p->depth++];
    memset(f, 0, sizeof *f);
    f->node = new_node(p, kind, m);
    f->want_key = kind == BT_NODE_MAP;
    return 0;
}

static int key_cmp(const bt_node *a, const bt_node *b) {
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->str, b->str, n);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

typedef struct key_ref {
    const bt_node *key;
    size_t pos;
} key_ref;

static int key_ref_cmp(const void *x, const void *y) {
    const key_ref *a = x, *b = y;
    int c = key_cmp(a->key, b->key);
    if (c) return c;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Sorting keeps this O(n log n): a map with 100k keys must not take
 * minutes. The duplicate reported is the earliest second occurrence. */
static int check_duplicates(parse_ctx *p, frame *f) {
    if (f->n < 2) return 0;
    if (f->n <= 16) {
        for (size_t j = 1; j < f->n; j++)
            for (size_t i = 0; i < j; i++)
                if (key_cmp(f->keys[i], f->keys[j]) == 0)
                    return fail_at(p, BT_EINVAL, f->keys[j]->line,
                                   f->keys[j]->column,
                                   "duplicate key '%.100s' (first at line %d)",
                                   f->keys[j]->str, f->keys[i]->line);
        return 0;
    }
    key_ref *refs = bt_xmalloc(f->n * sizeof *refs);
    for (size_t i = 0; i < f->n; i++) refs[i] = (key_ref){f->keys[i], i};
    qsort(refs, f->n, sizeof *refs, key_ref_cmp);
    size_t best = SIZE_MAX, first = 0;
    for (size_t i = 1; i < f->n; i++) {
        if (key_cmp(refs[i - 1].key, refs[i].key) != 0) continue;
        /* refs[i-1] is the group's first when it starts the group. */
        size_t g = i - 1;
        while (g > 0 && key_cmp(refs[g - 1].key, refs[i].key) == 0) g--;
        if (refs[i].pos < best) {
            best = refs[i].pos;
            first = refs[g].pos;
        }
    }
    free(refs);
    if (best == SIZE_MAX) return 0;
    return fail_at(p, BT_EINVAL, f->keys[best]->line, f->keys[best]->column,
                   "duplicate key '%.100s' (first at line %d)",
                   f->keys[best]->str, f->keys[first]->line);
}

static int on_end(parse_ctx *p) {
    frame *f = &p->stack[p->depth - 1];
    bt_node *n = f->node;
    if (n->kind == BT_NODE_MAP) {
        int rc = check_duplicates(p, f);
        if (rc) return rc;
    }
    n->count = f->n;
    if (f->n) {
        n->items = arena_alloc(p->ar, f->n * sizeof *n->items);
        memcpy(n->items, f->items, f->n * sizeof *n->items);
        if (n->kind == BT_NODE_MAP) {
            n->keys = arena_alloc(p->ar, f->n * sizeof *n->keys);
            memcpy(n->keys, f->keys, f->n * sizeof *n->keys);
        }
    }
    free(f->items);
    free(f->keys);
    f->items = f->keys = NULL;
    p->depth--;
    return attach(p, n);
}

static int yaml_failure(parse_ctx *p, const yaml_parser_t *parser) {
    int line, col;
    switch (parser->error) {
    case YAML_MEMORY_ERROR:
        return bt_error_set_at(p->err, BT_ENOMEM, p->name, 0, 0,
                               "out of memory while parsing YAML");
    case YAML_READER_ERROR: {
        const char *problem = parser->problem ? parser->problem : "bad input";
        char value[48] = "";
        if (parser->problem_value >= 0)
            snprintf(value, sizeof value, " (0x%02X at byte offset %zu)",
                     (unsigned)parser->problem_value, parser->problem_offset);
        else
            snprintf(value, sizeof value, " (at byte offset %zu)",
                     parser->problem_offset);
        offset_position(p->text, p->len, parser->problem_offset, &line, &col);
        if (strstr(problem, "UTF"))
            return fail_at(p, BT_ESYNTAX, line, col,
                           "not valid UTF-8 text: %s%s; a runbook must be "
                           "UTF-8 text",
                           problem, value);
        return fail_at(p, BT_ESYNTAX, line, col, "not valid text: %s%s",
                       problem, value);
    }
    default:
        break;
    }
    line = (int)parser->problem_mark.line + 1;
    col = (int)parser->problem_mark.column + 1;
    if (parser->context)
        return fail_at(p, BT_ESYNTAX, line, col,
                       "invalid YAML: %s (%s at line %d, column %d)",
                       parser->problem ? parser->problem : "syntax error",
                       parser->context, (int)parser->context_mark.line + 1,
                       (int)parser->context_mark.column + 1);
    return fail_at(p, BT_ESYNTAX, line, col, "invalid YAML: %s",
                   parser->problem ? parser->problem : "syntax error");
}

static int run_parser(parse_ctx *p) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return bt_error_set(p->err, BT_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)p->text,
                                 p->len);
    int rc = 0, documents = 0;
    bool done = false;
    while (!rc && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_failure(p, &parser);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                rc = fail_at(p, BT_ESYNTAX, (int)ev.start_mark.line + 1,
                             (int)ev.start_mark.column + 1,
                             "a second YAML document starts here; a runbook "
                             "file holds exactly one");
            break;
        case YAML_ALIAS_EVENT:
            rc = fail_at(p, BT_ESYNTAX, (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1,
                         "YAML anchors and aliases are not supported (alias "
                         "'*%.64s')",
                         (const char *)ev.data.alias.anchor);
            break;
        case YAML_SCALAR_EVENT: rc = on_scalar(p, &ev); break;
        case YAML_SEQUENCE_START_EVENT: rc = on_start(p, &ev, BT_NODE_SEQ); break;
        case YAML_MAPPING_START_EVENT: rc = on_start(p, &ev, BT_NODE_MAP); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: rc = on_end(p); break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    for (int i = 0; i < p->depth; i++) {
        free(p->stack[i].items);
        free(p->stack[i].keys);
    }
    p->depth = 0;
    return rc;
}

int bt_doc_parse_string(const char *name, const char *text, size_t len,
                        bt_doc **out, bt_error *err) {
    *out = NULL;
    if (!name) name = "<string>";
    if (!text) text = "";
    if (len > BT_DOC_MAX_BYTES)
        return bt_error_set_at(err, BT_ETOOBIG, name, 0, 0,
                               "the file is %zu bytes, over the limit of %zu "
                               "bytes (BT_DOC_MAX_BYTES)",
                               len, BT_DOC_MAX_BYTES);
    /* libyaml would stop at a NUL with a vaguer message; a runbook is text,
     * so say so with the exact place. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line, col;
        offset_position(text, len, (size_t)(nul - text), &line, &col);
        return bt_error_set_at(err, BT_ESYNTAX, name, line, col,
                               "the file contains a NUL byte (offset %zu); "
                               "a runbook must be UTF-8 text",
                               (size_t)(nul - text));
    }
    parse_ctx *p = bt_xcalloc(1, sizeof *p);
    p->name = name;
    p->text = text;
    p->len = len;
    p->ar = bt_xcalloc(1, sizeof *p->ar);
    p->err = err;
    int rc = run_parser(p);
    if (rc) {
        arena_free(p->ar);
        free(p);
        return rc;
    }
    bt_doc *doc = bt_xcalloc(1, sizeof *doc);
    doc->file = bt_xstrdup(name);
    doc->root = p->root;
    doc->arena = p->ar;
    free(p);
    *out = doc;
    return 0;
}

int bt_doc_parse_file(const char *path, bt_doc **out, bt_error *err) {
    *out = NULL;
    bt_buf b;
    bt_buf_init(&b, BT_DOC_MAX_BYTES);
    int rc = bt_buf_read_file(&b, path, err);
    if (rc == -BT_ETOOBIG)
        rc = bt_error_set_at(err, BT_ETOOBIG, path, 0, 0,
                             "the file is over the limit of %zu bytes "
                             "(BT_DOC_MAX_BYTES)",
                             BT_DOC_MAX_BYTES);
    if (!rc) rc = bt_doc_parse_string(path, bt_buf_str(&b), b.len, out, err);
    bt_buf_free(&b);
    return rc;
}

void bt_doc_free(bt_doc *doc) {
    if (!doc) return;
    arena_free(doc->arena);
    free(doc->file);
    free(doc);
}

const bt_node *bt_node_get(const bt_node *map, const char *key) {
    if (!map || map->kind != BT_NODE_MAP || !key) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < map->count; i++)
        if (map->keys[i]->len == n && memcmp(map->keys[i]->str, key, n) == 0)
            return map->items[i];
    return NULL;
}

const char *bt_node_kind_name(bt_node_kind kind) {
    switch (kind) {
    case BT_NODE_NULL: return "empty value";
    case BT_NODE_SCALAR: return "string";
    case BT_NODE_SEQ: return "list";
    case BT_NODE_MAP: return "map";
    }
    return "unknown";
}
