/* Templates: property text with {activity.field} references to published
 * data and {var:name} references to global variables. Compiled once when a
 * runbook loads; expanded for every activity instance. */
#ifndef BT_TEMPLATE_H
#define BT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/error.h"
#include "common/buf.h"
#include "engine/databus.h"

typedef enum {
    BT_REF_DATA, /* {activity.field} */
    BT_REF_VAR   /* {var:name} */
} bt_ref_kind;

typedef struct bt_template_ref {
    bt_ref_kind kind;
    char *activity;  /* BT_REF_DATA: activity id as written */
    char *field;     /* field name, or variable name */
    size_t offset;   /* byte offset of '{' in the source text */
    size_t activity_index; /* set by bt_template_bind; SIZE_MAX unbound */
} bt_template_ref;

typedef struct bt_template bt_template;

/* Resolves what a template cannot know by itself: variables now, counters
 * and more later. Returns NULL when the name is unknown. */
typedef const char *(*bt_var_lookup_fn)(void *ud, const char *name);

typedef struct bt_expand_env {
    const bt_frame *frame;     /* published data on the current path */
    bt_var_lookup_fn var_lookup; /* may be NULL */
    void *var_ud;
} bt_expand_env;

/* A reference is exactly {id.field} or {var:name} with identifier
 * characters [A-Za-z0-9_-]; any other brace text is literal, so shell and
 * JSON text pass through. {{id.field}} writes a literal {id.field}. */
int bt_template_compile(const char *text, size_t len, bt_template **out,
                        bt_error *err);
void bt_template_free(bt_template *t);
bool bt_template_is_literal(const bt_template *t);
/* The text with escapes resolved; the whole value when is_literal. */
const char *bt_template_literal(const bt_template *t);
const char *bt_template_source(const bt_template *t);
size_t bt_template_ref_count(const bt_template *t);
bt_template_ref *bt_template_ref_at(bt_template *t, size_t i);

/* Appends the expansion. An unbound or missing reference expands to "" and
 * *missing (may be NULL) then points at the '{' of the first such
 * reference in the source text. */
int bt_template_expand(const bt_template *t, const bt_expand_env *env,
                       bt_buf *out, const char **missing);
/* The same, but every character of `specials` (and the backslash) inside
 * a substituted value is preceded by a backslash: data from upstream
 * activities is then never taken for syntax, e.g. a file named "a[1].log"
 * for a glob pattern. */
int bt_template_expand_escaped(const bt_template *t, const bt_expand_env *env,
                               bt_buf *out, const char **missing,
                               const char *specials);

#endif
