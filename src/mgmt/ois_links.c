/* Link conditions: Orchestrator's include filters (the result an activity
 * returns, published-data comparisons; OR'd, or AND'd with <And>) and
 * exclude filters, made Baton `on:` results and `include:`/`exclude:`
 * conditions. A filter that cannot be expressed blocks its link (an
 * always-false include) rather than letting it fire more often than it
 * did. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"
#include "runbook/runbook.h"

/* ---- link conditions ------------------------------------------------------
 */

static const struct {
    const char *names; /* normalized Orchestrator condition names */
    const char *fmt;   /* left, right */
    bool regex;
} cond_ops[] = {
    {"equals|isequalto|equal", "%s == %s", false},
    {"doesnotequal|isnotequalto|notequals", "%s != %s", false},
    {"contains", "%s contains %s", false},
    {"doesnotcontain", "%s not contains %s", false},
    {"startswith|beginswith", "%s starts with %s", false},
    {"doesnotstartwith|doesnotbeginwith", "not (%s starts with %s)", false},
    {"endswith", "%s ends with %s", false},
    {"doesnotendwith", "not (%s ends with %s)", false},
    {"matchespattern|matches", "%s matches %s", true},
    {"doesnotmatchpattern|doesnotmatch", "%s not matches %s", true},
    {"isgreaterthan|greaterthan|isafter", "%s > %s", false},
    {"isgreaterthanorequalto|isgreaterthanorequalsto|isgreaterorequal",
     "%s >= %s", false},
    {"islessthan|lessthan|isbefore", "%s < %s", false},
    {"islessthanorequalto|islessthanorequalsto|islessorequal", "%s <= %s",
     false},
    {"isempty", "%s is empty", false},
    {"isnotempty", "%s is not empty", false},
};

static bool in_list(const char *list, const char *norm) {
    size_t n = strlen(norm);
    for (const char *p = list; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !memcmp(p, norm, n)) return true;
        if (!bar) break;
        p = bar + 1;
    }
    return false;
}

/* .NET regular expressions know shorthand classes POSIX ERE does not:
 * \d is [0-9] outside a bracket expression and 0-9 inside one. The
 * negated forms have no spelling inside brackets; they stay and the
 * pattern is reported. */
static char *ere_from_dotnet(const char *re, bool *changed, bool *lossy) {
    static const struct {
        char c;
        const char *outside, *inside;
    } map[] = {{'d', "[0-9]", "0-9"},
               {'D', "[^0-9]", NULL},
               {'w', "[[:alnum:]_]", "[:alnum:]_"},
               {'W', "[^[:alnum:]_]", NULL},
               {'s', "[[:space:]]", "[:space:]"},
               {'S', "[^[:space:]]", NULL}};
    bt_buf b;
    bt_buf_init(&b, 0);
    *changed = *lossy = false;
    bool bracket = false;
    for (const char *p = re; *p; p++) {
        if (*p == '\\' && p[1]) {
            const char *cls = NULL;
            bool known = false;
            for (size_t i = 0; i < BT_ARRAY_LEN(map); i++)
                if (p[1] == map[i].c) {
                    known = true;
                    cls = bracket ? map[i].inside : map[i].outside;
                }
            if (cls) {
                bt_buf_appends(&b, cls);
                *changed = true;
            } else {
                if (known) *lossy = true;
                bt_buf_append(&b, p, 2);
            }
            p++;
            continue;
        }
        if (*p == '[' && !bracket) {
            bracket = true;
            bt_buf_appendc(&b, *p);
            if (p[1] == '^') bt_buf_appendc(&b, *++p);
            if (p[1] == ']') bt_buf_appendc(&b, *++p); /* a literal ] */
            continue;
        }
        if (*p == ']' && bracket) bracket = false;
        bt_buf_appendc(&b, *p);
    }
    return bt_buf_detach(&b);
}

/* A number is written bare, so the condition reads as written by hand. */
static bool plain_number(const char *s) {
    double d;
    if (!*s || !bt_parse_double(s, &d)) return false;
    for (const char *p = s; *p; p++)
        if (!strchr("+-.0123456789", *p)) return false;
    return true;
}

static void cond_quoted(bt_buf *b, const char *s) {
    bt_buf_appendc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') bt_buf_appendc(b, '\\');
        bt_buf_appendc(b, *p);
    }
    bt_buf_appendc(b, '"');
}

static void push(char ***list, size_t *n, char *s) {
    *list = bt_xrealloc(*list, (*n + 1) * sizeof(char *));
    (*list)[(*n)++] = s;
}

static unsigned status_bits(const char *value, bool *ok) {
    unsigned bits = 0;
    char *v = bt_xstrdup(value ? value : "");
    *ok = true;
    for (char *t = strtok(v, "#,; |"); t; t = strtok(NULL, "#,; |")) {
        char *n = ois_normalize(t);
        if (!strcmp(n, "success") || !strcmp(n, "succeeded"))
            bits |= BT_ON_SUCCESS;
        else if (!strcmp(n, "warning"))
            bits |= BT_ON_WARNING;
        else if (!strcmp(n, "failed") || !strcmp(n, "failure") ||
                 !strcmp(n, "error"))
            bits |= BT_ON_FAILED;
        else
            *ok = false;
        free(n);
    }
    free(v);
    return bits && *ok ? bits : 0;
}

void ois_link_convert(ois_rb *rb, const ois_link *l, ois_link_out *lo) {
    memset(lo, 0, sizeof *lo);
    const ois_act *from = &rb->acts[l->from], *to = &rb->acts[l->to];
    xmlNodePtr triggers = bt_ois_xml_child(l->node, "TRIGGERS");
    bool all = bt_ois_xml_child_bool(l->node, "And", 0);
    unsigned status = 0;
    bool any_status = false;
    char **data = NULL, **excl = NULL;
    size_t n_data = 0, n_excl = 0;
    char where[600];
    snprintf(where, sizeof where, "link '%s' -> '%s'", from->name, to->name);
    for (xmlNodePtr e = bt_ois_xml_child(triggers, "Entry"); e;
         e = bt_ois_xml_next(e, "Entry")) {
        char *cond = bt_ois_xml_child_text(e, "Condition");
        char *dat = bt_ois_xml_child_text(e, "Data");
        char *val = bt_ois_xml_child_text(e, "Value");
        char *type = bt_ois_xml_child_text(e, "Type");
        bool exclude = bt_ois_xml_child_bool(e, "Exclude", 0) ||
                       (type && !strcasecmp(type, "exclude"));
        char *nc = ois_normalize(cond ? cond : "");
        char *g = dat ? ois_guid(dat) : NULL; /* a bare GUID: a status */
        char text[1200];
        snprintf(text, sizeof text, "%s %s %s", dat ? dat : "",
                 cond ? cond : "returns", val ? val : "");
        bool ok = true;
        bool is_status = !exclude && (g || !nc[0] || !strcmp(nc, "returns"));
        if (is_status) {
            unsigned bits = status_bits(val, &ok);
            if (bits) {
                status |= bits;
                any_status = true;
                ois_item_add(rb->items, BT_OIS_CONDITION, from->name, from->id,
                             "%s: '%s returns %s' became a result "
                             "condition (on:)",
                             where, from->name, val);
            } else {
                ok = false;
            }
        } else {
            size_t op = SIZE_MAX;
            for (size_t i = 0; i < BT_ARRAY_LEN(cond_ops); i++)
                if (in_list(cond_ops[i].names, nc)) op = i;
            bt_buf left, right;
            bt_buf_init(&left, 0);
            bt_buf_init(&right, 0);
            char why[512] = "";
            if (op == SIZE_MAX) {
                snprintf(why, sizeof why,
                         "condition '%s' is not one Baton "
                         "knows",
                         cond ? cond : "");
                ok = false;
            } else if (!dat || !ois_data_ref(rb, l->from, true, dat, &left, why,
                                             sizeof why)) {
                if (!why[0])
                    snprintf(why, sizeof why, "the condition has no data");
                ok = false;
            }
            if (ok) {
                char *rv = ois_convert_text(rb, l->from, true, val ? val : "",
                                            false, where);
                if (cond_ops[op].regex) {
                    bool changed, lossy;
                    char *ere = ere_from_dotnet(rv, &changed, &lossy);
                    free(rv);
                    rv = ere;
                    if (changed)
                        ois_item_add(rb->items, BT_OIS_NOTE, from->name,
                                     from->id,
                                     "%s: the pattern's \\d, \\w "
                                     "or \\s became POSIX classes",
                                     where);
                    if (lossy)
                        ois_item_add(rb->items, BT_OIS_NOTE, from->name,
                                     from->id,
                                     "%s: \\D, \\W or \\S inside "
                                     "[...] has no POSIX spelling; check the "
                                     "pattern",
                                     where);
                }
                /* Baton's booleans are lower case; Orchestrator's True. */
                if (!strcasecmp(rv, "true") || !strcasecmp(rv, "false"))
                    for (char *q = rv; *q; q++) *q = (char)tolower(*q);
                bool letters = false;
                for (const char *q = rv; *q; q++)
                    letters |= isalpha((unsigned char)*q) != 0;
                if (plain_number(rv))
                    bt_buf_appends(&right, rv);
                else
                    cond_quoted(&right, rv);
                free(rv);
                char *s = bt_xasprintf(cond_ops[op].fmt, bt_buf_str(&left),
                                       bt_buf_str(&right));
                if (exclude)
                    push(&excl, &n_excl, s);
                else
                    push(&data, &n_data, s);
                ois_item_add(rb->items, BT_OIS_CONDITION, from->name, from->id,
                             "%s: '%s' became \"%s\"%s%s", where, text, s,
                             exclude ? " (exclude)" : "",
                             letters && !cond_ops[op].regex
                                 ? " (Orchestrator compared text ignoring "
                                   "case; Baton does not)"
                                 : "");
            } else {
                ois_item_add(rb->items, BT_OIS_CONDITION_FAILED, from->name,
                             from->id,
                             "%s: '%s' was not converted: %s; the "
                             "link is blocked until it is rewritten",
                             where, text, why);
            }
            bt_buf_free(&left);
            bt_buf_free(&right);
        }
        if (!ok && !lo->comment)
            lo->comment = bt_xasprintf("condition not converted: %s", text);
        if (!ok && is_status)
            ois_item_add(rb->items, BT_OIS_CONDITION_FAILED, from->name,
                         from->id,
                         "%s: result condition '%s' was not "
                         "understood; the link is blocked until it is "
                         "rewritten",
                         where, text);
        free(nc);
        free(g);
        free(cond);
        free(dat);
        free(val);
        free(type);
    }
    /* Orchestrator follows a link when any include condition holds (all,
     * with And) and none of the excludes. Baton's `on` is a hard gate, so a
     * result condition OR'd with data conditions becomes a condition on
     * {from.status}. */
    if (lo->comment) {
        push(&lo->include, &lo->n_include,
             bt_xstrdup("'ois: condition not converted' == ''"));
        lo->on_any = true;
    } else if (all || n_data == 0) {
        lo->on = any_status ? status : 0;
        lo->on_any = !any_status && n_data > 0;
        if (n_data) {
            bt_buf b;
            bt_buf_init(&b, 0);
            for (size_t i = 0; i < n_data; i++)
                bt_buf_printf(&b, "%s(%s)", i ? " and " : "", data[i]);
            push(&lo->include, &lo->n_include,
                 n_data == 1 ? bt_xstrdup(data[0]) : bt_buf_detach(&b));
            bt_buf_free(&b);
        }
    } else {
        lo->on_any = true;
        if (any_status) {
            bt_buf b;
            bt_buf_init(&b, 0);
            static const char *const rn[] = {"success", "warning", "failed"};
            for (int r = 0, k = 0; r < 3; r++)
                if (status & (1u << r))
                    bt_buf_printf(&b, "%s{%s.status} == %s", k++ ? " or " : "",
                                  from->id, rn[r]);
            push(&lo->include, &lo->n_include, bt_buf_detach(&b));
        }
        for (size_t i = 0; i < n_data; i++)
            push(&lo->include, &lo->n_include, bt_xstrdup(data[i]));
    }
    for (size_t i = 0; i < n_data; i++) free(data[i]);
    free(data);
    lo->exclude = excl;
    lo->n_exclude = n_excl;
}

void ois_link_out_free(ois_link_out *lo) {
    for (size_t i = 0; i < lo->n_include; i++) free(lo->include[i]);
    for (size_t i = 0; i < lo->n_exclude; i++) free(lo->exclude[i]);
    free(lo->include);
    free(lo->exclude);
    free(lo->comment);
}
