/* Finding text in text: a literal string or a POSIX extended regular
 * expression, case-sensitive or not, and building replacements with \1..\9
 * back-references. Shared by find-text and search-replace-text. */
#ifndef BT_TEXTMATCH_H
#define BT_TEXTMATCH_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "common/buf.h"

#define BT_TEXTMATCH_GROUPS 10 /* \0 (whole match) .. \9 */

/* The `mode` property's choices: "text", "regex", NULL. */
extern const char *const bt_textmatch_mode_names[];

typedef struct bt_textmatch {
    bool regex;
    bool icase; /* ASCII letters only in text mode */
    char *pattern;
    size_t len;
    regex_t re;
    bool compiled;
} bt_textmatch;

/* Reads the `mode` and `case_sensitive` properties and compiles the
 * pattern held by property prop; fails the activity on a bad value. */
int bt_textmatch_from_props(bt_activity_ctx *ctx, const char *prop,
                            bt_textmatch *m);
/* Regexes use REG_NEWLINE: '^' and '$' match at line ends and '.' does not
 * cross a line, as in grep and sed. */
int bt_textmatch_init(bt_textmatch *m, const char *prop, const char *pattern,
                      bool regex, bool case_sensitive, bt_error *err);
void bt_textmatch_free(bt_textmatch *m);

/* First match in text[start, len) (text may hold NUL bytes). Offsets in
 * groups are from text, -1 for groups that did not take part. */
bool bt_textmatch_find(const bt_textmatch *m, const char *text, size_t len,
                       size_t start, regmatch_t groups[BT_TEXTMATCH_GROUPS]);

/* Checks that replacement only refers to groups the pattern has. */
int bt_textmatch_check_replacement(const bt_textmatch *m, const char *prop,
                                   const char *replacement, bt_error *err);
/* Appends the replacement for one match: in regex mode \0..\9 insert the
 * groups and \\ a backslash; in text mode the replacement is literal.
 * Returns 0 or -BT_ETOOBIG / -BT_ENOMEM from out. */
int bt_textmatch_replace(const bt_textmatch *m, const char *replacement,
                         const char *text,
                         const regmatch_t groups[BT_TEXTMATCH_GROUPS],
                         bt_buf *out);

#endif
