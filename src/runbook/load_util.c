/* Helpers shared by the loader's passes: reporting problems, reading typed
 * fields out of the document, names and suggestions. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "runbook/load_internal.h"

/* ---- reporting --------------------------------------------------------- */

bool bt__load_full(const bt_loader *ld) {
    size_t limit = ld->diags->limit ? ld->diags->limit : 200;
    return ld->diags->count >= limit;
}

static void vreport(bt_loader *ld, int line, int column, const char *fmt,
                    va_list ap) {
    ld->errors++;
    if (bt__load_full(ld)) {
        ld->diags->dropped++; /* what bt_diags_add_error would do */
        return;
    }
    bt_error e;
    bt_error_vset_at(&e, BT_EINVAL, ld->rb->file, line, column, fmt, ap);
    bt_diags_add_error(ld->diags, &e);
}

void bt__load_error(bt_loader *ld, const bt_node *at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, at ? at->line : 0, at ? at->column : 0, fmt, ap);
    va_end(ap);
}

void bt__load_error_at(bt_loader *ld, int line, int column, const char *fmt,
                       ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, line, column, fmt, ap);
    va_end(ap);
}

const char *bt__kind_phrase(bt_node_kind kind) {
    switch (kind) {
    case BT_NODE_NULL: return "an empty value";
    case BT_NODE_SCALAR: return "a string";
    case BT_NODE_SEQ: return "a list";
    case BT_NODE_MAP: return "a map";
    }
    return "unknown";
}

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *bt__closest(bt_loader *ld, const char *word,
                        const char *const *names, size_t n) {
    const char *best = NULL;
    size_t best_d = SIZE_MAX, wl = strlen(word);
    if (ld && bt__load_full(ld)) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        size_t nl = strlen(names[i]);
        /* A suggestion is a luxury: a hostile file must not turn it into
         * minutes of work. */
        if (ld) {
            size_t cost = (wl + 1) * (nl + 1);
            if (cost > ld->suggest_budget) return NULL;
            ld->suggest_budget -= cost;
        }
        size_t d = edit_distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    /* Close enough to be a typo, not just another short word. */
    if (best && (best_d <= 2 || best_d * 3 <= wl) && best_d < wl) return best;
    return NULL;
}

void bt__scalar_position(const bt_node *n, size_t offset, int *line,
                         int *column) {
    *line = n ? n->line : 0;
    *column = n ? n->column : 0;
    if (!n) return;
    if (n->kind != BT_NODE_SCALAR || offset > n->len) return;
    if (memchr(n->str, '\n', offset)) return;
    int chars = 0;
    for (size_t i = 0; i < offset; i++)
        if (((unsigned char)n->str[i] & 0xC0) != 0x80) chars++;
    *column = n->column + (n->quoted ? 1 : 0) + chars;
}

size_t bt__activity_index(const bt_loader *ld, const char *id) {
    const bt_runbook *rb = ld->rb;
    if (!ld->by_id) return bt_runbook_index(rb, id);
    size_t lo = 0, hi = rb->n_activities;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(rb->activities[ld->by_id[mid]].id, id);
        if (c == 0) return ld->by_id[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

const bt_activity_type *bt__find_type(const bt_loader *ld, const char *name) {
    for (size_t i = 0; i < ld->n_types; i++)
        if (ld->types[i] && strcmp(ld->types[i]->name, name) == 0)
            return ld->types[i];
    return NULL;
}

/* ---- field helpers ----------------------------------------------------- */

/* Reports every key of map that is not in names (NULL-terminated). */
void bt__check_fields(bt_loader *ld, const bt_node *map, const char *where,
                         const char *const *names) {
    size_t n = 0;
    while (names[n]) n++;
    for (size_t i = 0; i < map->count; i++) {
        const bt_node *k = map->keys[i];
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = strcmp(k->str, names[j]) == 0;
        if (known) continue;
        char valid[256] = "";
        size_t used = 0;
        for (size_t j = 0; j < n && used < sizeof valid; j++)
            used += (size_t)snprintf(valid + used, sizeof valid - used,
                                     "%s%s", j ? ", " : "", names[j]);
        const char *near = bt__closest(ld, k->str, names, n);
        if (near)
            bt__load_error(ld, k,
                           "%s: unknown field '%.100s'; did you mean '%s'? "
                           "(valid fields: %s)",
                           where, k->str, near, valid);
        else
            bt__load_error(ld, k,
                           "%s: unknown field '%.100s' (valid fields: %s)",
                           where, k->str, valid);
    }
}

bool bt__expect_kind(bt_loader *ld, const bt_node *n, bt_node_kind kind,
                        const char *where, const char *field,
                        const char *what) {
    if (n->kind == kind) return true;
    if (where && *where)
        bt__load_error(ld, n, "%s: '%s' must be %s, not %s", where, field,
                       what, bt__kind_phrase(n->kind));
    else
        bt__load_error(ld, n, "'%s' must be %s, not %s", field, what,
                       bt__kind_phrase(n->kind));
    return false;
}

/* A text field: scalar, or absent (NULL). Reports other kinds. */
const bt_node *bt__text_field(bt_loader *ld, const bt_node *map,
                                 const char *key, const char *where,
                                 bool required) {
    const bt_node *n = bt_node_get(map, key);
    if (!n || n->kind == BT_NODE_NULL) {
        if (required)
            bt__load_error(ld, n ? n : map, "%s: '%s' is required", where,
                           key);
        return NULL;
    }
    if (!bt__expect_kind(ld, n, BT_NODE_SCALAR, where, key, "text")) return NULL;
    return n;
}

char *bt__text_copy(const bt_node *n) {
    return n ? bt_xstrndup(n->str, n->len) : NULL;
}

/* Returns -1 when absent, 0/1 for false/true, -2 on error (reported). */
int bt__bool_field(bt_loader *ld, const bt_node *map, const char *key,
                      const char *where) {
    const bt_node *n = bt__text_field(ld, map, key, where, false);
    if (!n) return -1;
    bool v;
    if (!bt_parse_bool(n->str, &v)) {
        bt__load_error(ld, n, "%s: '%s' must be true or false, not '%.100s'",
                       where, key, n->str);
        return -2;
    }
    return v;
}

bool bt__duration_field(bt_loader *ld, const bt_node *map, const char *key,
                           const char *where, uint64_t *out) {
    const bt_node *n = bt__text_field(ld, map, key, where, false);
    if (!n) return false;
    if (bt_duration_parse(n->str, out) != 0) {
        bt__load_error(ld, n,
                       "%s: '%s' must be a duration such as 500ms, 30s, 2m "
                       "or 1h, not '%.100s'",
                       where, key, n->str);
        return false;
    }
    return true;
}

bool bt__is_ident(const char *s, bool dash) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    size_t n = 1;
    for (s++; *s; s++, n++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || (dash && c == '-')))
            return false;
    }
    return n <= 128;
}

/* A list of names: a sequence of identifiers or one identifier. The array
 * is NULL-terminated; *count excludes the terminator. */
char **bt__name_list(bt_loader *ld, const bt_node *n, const char *where,
                        const char *field, size_t *count) {
    *count = 0;
    if (!n || n->kind == BT_NODE_NULL) return NULL;
    if (n->kind == BT_NODE_MAP) {
        bt__expect_kind(ld, n, BT_NODE_SEQ, where, field, "a list of names");
        return NULL;
    }
    size_t total = n->kind == BT_NODE_SEQ ? n->count : 1;
    if (total > BT_RUNBOOK_MAX_NAMES) {
        bt__load_error(ld, n, "%s: '%s' lists %zu names, over the limit of %d",
                       where, field, total, BT_RUNBOOK_MAX_NAMES);
        return NULL;
    }
    char **out = bt_xcalloc(total + 1, sizeof *out);
    for (size_t i = 0; i < total; i++) {
        const bt_node *it = n->kind == BT_NODE_SEQ ? n->items[i] : n;
        if (it->kind != BT_NODE_SCALAR) {
            bt__load_error(ld, it, "%s: each item of '%s' must be a name, not "
                                   "%s",
                           where, field, bt__kind_phrase(it->kind));
            continue;
        }
        if (!bt__is_ident(it->str, true)) {
            bt__load_error(ld, it,
                           "%s: '%.100s' in '%s' is not a valid field name "
                           "(letters, digits, '_' and '-', starting with a "
                           "letter or '_')",
                           where, it->str, field);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < *count && !dup; k++)
            dup = strcmp(out[k], it->str) == 0;
        if (dup) {
            bt__load_error(ld, it, "%s: '%.100s' is listed twice in '%s'",
                           where, it->str, field);
            continue;
        }
        out[(*count)++] = bt_xstrdup(it->str);
    }
    return out;
}

void bt__free_strv(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* A condition in a scalar; syntax errors point inside the text. */
bt_cond *bt__parse_condition(bt_loader *ld, const bt_node *n,
                                const char *where) {
    if (!n || n->kind == BT_NODE_NULL) {
        bt__load_error(ld, n, "%s: condition is empty", where);
        return NULL;
    }
    if (n->kind != BT_NODE_SCALAR) {
        bt__load_error(ld, n, "%s: a condition must be text, not %s", where,
                       bt__kind_phrase(n->kind));
        return NULL;
    }
    bt_cond *c = NULL;
    bt_error err;
    bt_error_clear(&err);
    if (bt_cond_parse(n->str, &c, &err) != 0) {
        int line, col;
        bt__scalar_position(n, err.column > 0 ? (size_t)err.column - 1 : 0,
                            &line, &col);
        bt__load_error_at(ld, line, col, "%s: condition '%.120s': %s", where,
                          n->str, err.message[0] ? err.message : "invalid");
        bt_cond_free(c);
        return NULL;
    }
    return c;
}
