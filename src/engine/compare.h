/* The comparison operators behind link conditions and Compare Values: one
 * implementation, so `{a.x} > 5` in a link and Compare Values with
 * operator greater-than can never disagree. Internal to Baton. */
#ifndef BT_COMPARE_H
#define BT_COMPARE_H

#include <regex.h>
#include <stdbool.h>

#include "baton/error.h"
#include "engine/cond.h"

typedef enum bt_compare_op {
    BT_CMP_EQ,
    BT_CMP_NE,
    BT_CMP_GT,
    BT_CMP_LT,
    BT_CMP_GE,
    BT_CMP_LE,
    BT_CMP_CONTAINS,
    BT_CMP_NOT_CONTAINS,
    BT_CMP_STARTS_WITH,
    BT_CMP_ENDS_WITH,
    BT_CMP_MATCHES,
    BT_CMP_NOT_MATCHES,
    BT_CMP_IS_EMPTY,    /* unary: right is ignored */
    BT_CMP_IS_NOT_EMPTY /* unary */
} bt_compare_op;

/* How the two sides are read. AUTO is what conditions do: numbers when
 * both sides are numbers, else text. The others are Compare Values' type
 * property; NUMBER and DATETIME refuse a side that is not one. */
typedef enum bt_compare_mode {
    BT_CMP_AUTO,
    BT_CMP_TEXT,
    BT_CMP_NUMBER,
    BT_CMP_DATETIME
} bt_compare_mode;

#define BT_CMP_NOCASE 1u /* ASCII case-insensitive text and regex */

/* Compare Values' operator names ("greater-than"); NULL-terminated, in
 * bt_compare_op order. */
extern const char *const bt_compare_op_words[];

/* Returns 0 or -BT_EINVAL when word is not one of bt_compare_op_words. */
int bt_compare_op_parse(const char *word, bt_compare_op *out);
const char *bt_compare_op_word(bt_compare_op op);
/* The symbol or words a condition uses ("==", "starts with"). */
const char *bt_compare_op_symbol(bt_compare_op op);
bool bt_compare_op_is_unary(bt_compare_op op);

/* Compiles a pattern the way every `matches` does (POSIX ERE, no
 * sub-matches). On failure returns -BT_EINVAL with regerror's text. */
int bt_compare_regex_compile(regex_t *re, const char *pattern, unsigned flags,
                             bt_error *err);

/* Evaluates left OP right into *out. re is the compiled pattern for
 * MATCHES / NOT_MATCHES, or NULL to compile right now. Returns 0, or
 * -BT_EINVAL (a side that is not a number or date in those modes, a bad
 * pattern) with a sentence in err. */
int bt_compare(bt_compare_op op, const char *left, const char *right,
               bt_compare_mode mode, unsigned flags, const regex_t *re,
               bool *out, bt_error *err);

/* Evaluates a condition taking each operand's value from fn instead of a
 * frame: activities such as Map Published Data evaluate conditions they
 * parse at run time through bt_act_expand. fn returns NULL for "". */
typedef const char *(*bt_cond_operand_fn)(void *ud, const bt_template *t);
int bt_cond_eval_with(const bt_cond *c, bt_cond_operand_fn fn, void *ud,
                      bool *out, bt_error *err);

#endif
