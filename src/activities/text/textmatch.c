#include "activities/text/textmatch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "activities/file/fileutil.h"
#include "common/util.h"

const char *const bt_textmatch_mode_names[] = {"text", "regex", NULL};

int bt_textmatch_from_props(bt_activity_ctx *ctx, const char *prop,
                            bt_textmatch *m) {
    memset(m, 0, sizeof *m);
    const char *pattern = bt_act_str(ctx, prop, "");
    const char *mode = bt_act_str(ctx, "mode", "text");
    bool case_sensitive;
    if (bt_act_bool(ctx, "case_sensitive", true, &case_sensitive))
        return -BT_EINVAL;
    bt_error err = {0};
    if (strcmp(mode, "text") != 0 && strcmp(mode, "regex") != 0) {
        bt_error_set(&err, BT_EINVAL,
                     "property 'mode' must be text or regex, got '%s'", mode);
        return bt_fileutil_fail(ctx, &err);
    }
    if (bt_textmatch_init(m, prop, pattern, strcmp(mode, "regex") == 0,
                          case_sensitive, &err))
        return bt_fileutil_fail(ctx, &err);
    return 0;
}

int bt_textmatch_init(bt_textmatch *m, const char *prop, const char *pattern,
                      bool regex, bool case_sensitive, bt_error *err) {
    memset(m, 0, sizeof *m);
    if (!pattern || !*pattern)
        return bt_error_set(err, BT_EINVAL, "property '%s' is empty", prop);
    m->regex = regex;
    m->icase = !case_sensitive;
    m->pattern = bt_xstrdup(pattern);
    m->len = strlen(pattern);
    if (!regex) return 0;
    int flags = REG_EXTENDED | REG_NEWLINE | (m->icase ? REG_ICASE : 0);
    int rc = regcomp(&m->re, pattern, flags);
    if (rc != 0) {
        char msg[256];
        regerror(rc, &m->re, msg, sizeof msg);
        free(m->pattern);
        m->pattern = NULL;
        return bt_error_set(err, BT_ESYNTAX,
                            "property '%s': '%s' is not a valid regular "
                            "expression: %s",
                            prop, pattern, msg);
    }
    m->compiled = true;
    return 0;
}

void bt_textmatch_free(bt_textmatch *m) {
    if (!m) return;
    if (m->compiled) regfree(&m->re);
    free(m->pattern);
    memset(m, 0, sizeof *m);
}

static bool equal_icase(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

bool bt_textmatch_find(const bt_textmatch *m, const char *text, size_t len,
                       size_t start, regmatch_t groups[BT_TEXTMATCH_GROUPS]) {
    for (size_t i = 0; i < BT_TEXTMATCH_GROUPS; i++)
        groups[i].rm_so = groups[i].rm_eo = -1;
    if (start > len) return false;
    if (m->regex) {
        /* REG_STARTEND (glibc, the BSDs) bounds the match without a NUL
         * terminator and keeps the text before start as context, so '^'
         * only matches at a real line start. */
        groups[0].rm_so = (regoff_t)start;
        groups[0].rm_eo = (regoff_t)len;
        return regexec(&m->re, text, BT_TEXTMATCH_GROUPS, groups,
                       REG_STARTEND) == 0;
    }
    if (m->len > len - start) return false;
    const char *hit = NULL;
    if (!m->icase) {
        hit = memmem(text + start, len - start, m->pattern, m->len);
    } else {
        for (size_t i = start; i + m->len <= len; i++)
            if (equal_icase(text + i, m->pattern, m->len)) {
                hit = text + i;
                break;
            }
    }
    if (!hit) return false;
    groups[0].rm_so = (regoff_t)(hit - text);
    groups[0].rm_eo = (regoff_t)(hit - text + (ptrdiff_t)m->len);
    return true;
}

int bt_textmatch_check_replacement(const bt_textmatch *m, const char *prop,
                                   const char *replacement, bt_error *err) {
    if (!m->regex) return 0;
    for (const char *p = replacement; *p; p++) {
        if (*p != '\\' || !p[1]) continue;
        p++;
        if (*p >= '1' && *p <= '9' && (size_t)(*p - '0') > m->re.re_nsub)
            return bt_error_set(err, BT_EINVAL,
                                "property '%s' refers to group \\%c but the "
                                "pattern has %zu group%s",
                                prop, *p, m->re.re_nsub,
                                m->re.re_nsub == 1 ? "" : "s");
    }
    return 0;
}

int bt_textmatch_replace(const bt_textmatch *m, const char *replacement,
                         const char *text,
                         const regmatch_t groups[BT_TEXTMATCH_GROUPS],
                         bt_buf *out) {
    if (!m->regex) return bt_buf_appends(out, replacement);
    int rc = 0;
    const char *p = replacement;
    while (*p && !rc) {
        const char *bs = strchr(p, '\\');
        if (!bs) {
            rc = bt_buf_appends(out, p);
            break;
        }
        rc = bt_buf_append(out, p, (size_t)(bs - p));
        if (rc) break;
        char c = bs[1];
        if (c >= '0' && c <= '9') {
            const regmatch_t *g = &groups[c - '0'];
            if (g->rm_so >= 0)
                rc = bt_buf_append(out, text + g->rm_so,
                                   (size_t)(g->rm_eo - g->rm_so));
            p = bs + 2;
        } else if (c == '\\') {
            rc = bt_buf_appendc(out, '\\');
            p = bs + 2;
        } else {
            /* Any other escape stays as written. */
            rc = bt_buf_appendc(out, '\\');
            p = bs + 1;
        }
    }
    return rc;
}
