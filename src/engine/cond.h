/* Link and loop conditions over published data.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | compare
 *   compare := operand OP operand | operand "is" ["not"] "empty"
 *   OP      := == != > < >= <= contains "not contains" "starts with"
 *              "ends with" matches "not matches"
 *   operand := {activity.field} | "quoted text with {refs}" | 'single'
 *            | bare word or number
 *
 * Comparisons are numeric when both sides parse as numbers, else textual
 * (case-sensitive). `matches` uses POSIX extended regular expressions. */
#ifndef BT_COND_H
#define BT_COND_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/error.h"
#include "engine/template.h"

typedef struct bt_cond bt_cond;

/* On a syntax error, err->column is the 1-based column within text. */
int bt_cond_parse(const char *text, bt_cond **out, bt_error *err);
void bt_cond_free(bt_cond *c);
const char *bt_cond_source(const bt_cond *c);

/* Every template used as an operand, so the loader can bind and check the
 * references. */
size_t bt_cond_template_count(const bt_cond *c);
bt_template *bt_cond_template_at(bt_cond *c, size_t i);

/* Evaluates. A literal regex is compiled at parse time (a bad one is a
 * parse error); one built from references is compiled here, and a bad one
 * makes eval return -BT_EINVAL, which the engine treats as "no match". */
int bt_cond_eval(const bt_cond *c, const bt_expand_env *env, bool *out,
                 bt_error *err);

#endif
