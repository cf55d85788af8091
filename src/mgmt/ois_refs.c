/* Orchestrator references in property text, made Baton references:
 * published data (\`d.T.~Ed/{ACTIVITY}.Name\`d.T.~Ed/, Initialize Data's
 * parameters as {ACTIVITY}.{PARAMETER}), global variables
 * (\`d.T.~Vb/{VARIABLE}\`d.T.~Vb/) and encrypted values (Ec, De). A
 * reference Baton could not honour (another runbook's activity, one that
 * does not run before the reader, a field with no counterpart) is written
 * as visible text and reported, never as a reference the loader refuses. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

/* Fields every Orchestrator object publishes ("Common Published Data")
 * that have a Baton counterpart. */
static const char *const common_fields[] = {
    "activitystarttime|starttime=start_time",
    "activityendtime|endtime=end_time",
    "errorsummarytext|errormessage|error=error",
    "loopnumberofattempts|numberofattempts=attempts",
    "activitystatus|status|result=status",
    NULL};

/* ---- published data ------------------------------------------------------ */

static bool type_publishes(const bt_activity_type *t, const char *field) {
    static const char *const common[] = {BT_COMMON_FIELDS, NULL};
    for (size_t i = 0; common[i]; i++)
        if (!strcmp(common[i], field)) return true;
    if (!t) return false;
    for (size_t i = 0; t->published && t->published[i]; i++)
        if (!strcmp(t->published[i], field)) return true;
    return false;
}

/* Looks orch up in a "a|b|c=field" table. */
static const char *table_field(const char *const *table, const char *orch) {
    char *norm = ois_normalize(orch);
    const char *found = NULL;
    for (size_t i = 0; table && table[i] && !found; i++) {
        const char *eq = strchr(table[i], '=');
        const char *p = table[i];
        while (p < eq && !found) {
            const char *bar = memchr(p, '|', (size_t)(eq - p));
            const char *end = bar ? bar : eq;
            if ((size_t)(end - p) == strlen(norm) &&
                !memcmp(p, norm, (size_t)(end - p)))
                found = eq + 1;
            p = end + 1;
        }
    }
    free(norm);
    return found;
}

static const char *ois_field_in(const ois_rb *rb, const ois_act *a,
                                const char *orch, char **owned) {
    *owned = NULL;
    const char *tn = a->type->name;
    if (!strcmp(tn, "initialize-data")) {
        char *g = ois_guid(orch);
        for (size_t i = 0; i < rb->n_params; i++)
            if ((g && rb->params[i].guid && !strcmp(g, rb->params[i].guid)) ||
                (!g && ois_same_name(orch, rb->params[i].orig))) {
                free(g);
                return rb->params[i].name;
            }
        free(g);
    }
    for (size_t i = 0; i < a->n_pub; i++)
        if (ois_same_name(orch, a->pub_orig[i])) return a->pub_name[i];
    const char *f = a->map ? table_field(a->map->fields, orch) : NULL;
    if (!f) f = table_field(common_fields, orch);
    if (f && type_publishes(a->type, f)) return f;
    /* Types whose fields are open (placeholders, invoke-runbook's return
     * data) take the Orchestrator name as an identifier. */
    if (a->type->open_published && !a->declare_publishes) {
        *owned = ois_identifier(orch, "value");
        return *owned;
    }
    return NULL;
}

/* ---- reference conversion ----------------------------------------------- */

size_t ois_act_index(const ois_rb *rb, const char *guid) {
    for (size_t i = 0; i < rb->n; i++)
        if (rb->acts[i].guid && guid && !strcmp(rb->acts[i].guid, guid))
            return i;
    return SIZE_MAX;
}

static bool runs_before(const ois_rb *rb, size_t x, size_t reader,
                        bool allow_self) {
    if (x == reader) return allow_self;
    return rb->up[reader * rb->n + x] != 0;
}

/* {GUID}.field as a Baton reference appended to out; false with a reason
 * when it cannot be one. */
bool ois_data_ref(const ois_rb *rb, size_t reader, bool allow_self,
                  const char *body, bt_buf *out, char *why, size_t wsize) {
    const char *dot = body[0] == '{' ? strchr(body, '}') : NULL;
    char *g = dot ? bt_xstrndup(body, (size_t)(dot - body) + 1) : NULL;
    char *guid = ois_guid(g);
    free(g);
    if (!guid || dot[1] != '.' || !dot[2]) {
        snprintf(why, wsize,
                 "published-data reference '%s' is not "
                 "{activity GUID}.name",
                 body);
        free(guid);
        return false;
    }
    const char *orch = dot + 2;
    size_t x = ois_act_index(rb, guid);
    free(guid);
    if (x == SIZE_MAX) {
        snprintf(why, wsize,
                 "'%s' is published by an activity that is not "
                 "in this runbook (%.38s)",
                 orch, body);
        return false;
    }
    const ois_act *src = &rb->acts[x];
    if (!runs_before(rb, x, reader, allow_self)) {
        snprintf(why, wsize,
                 "'%s' of '%s' is read where '%s' does not run "
                 "before it",
                 orch, src->name, src->name);
        return false;
    }
    char *owned;
    const char *f = ois_field_in(rb, src, orch, &owned);
    if (!f) {
        snprintf(why, wsize,
                 "'%s' published by '%s' (%s) has no Baton "
                 "counterpart in %s",
                 orch, src->name, src->type_name, src->type->name);
        return false;
    }
    bt_buf_printf(out, "{%s.%s}", src->id, f);
    free(owned);
    return true;
}

/* Finds the next Orchestrator marker \`d.T.~XX/ (backslash optional) at or
 * after from; returns its start, sets *code and *len. */
static const char *find_marker(const char *from, char code[3], size_t *len) {
    for (const char *p = strstr(from, "`d.T.~"); p;
         p = strstr(p + 1, "`d.T.~")) {
        if (p[6] && p[7] && p[8] == '/') {
            code[0] = p[6];
            code[1] = p[7];
            code[2] = '\0';
            const char *start = (p > from && p[-1] == '\\') ? p - 1 : p;
            *len = (size_t)(p + 9 - start);
            return start;
        }
    }
    return NULL;
}

static void unresolved(ois_rb *rb, size_t reader, const char *where,
                       const char *why, bt_buf *out, const char *shown) {
    const ois_act *a = reader < rb->n ? &rb->acts[reader] : NULL;
    ois_item_add(rb->items, BT_OIS_UNRESOLVED, a ? a->name : NULL,
                 a ? a->id : NULL, "%s: %s", where, why);
    bt_buf_printf(out, "[unresolved Orchestrator reference: %s]", shown);
}

/* Rewrites Orchestrator text (markers for published data, variables and
 * encrypted values) into a Baton template. */
char *ois_convert_text(ois_rb *rb, size_t reader, bool allow_self,
                       const char *raw, bool generated, const char *where) {
    bt_buf out;
    bt_buf_init(&out, 0);
    if (generated) {
        bt_buf_appends(&out, raw);
        return bt_buf_detach(&out);
    }
    const char *p = raw;
    char code[3];
    size_t mlen;
    for (const char *m; (m = find_marker(p, code, &mlen));) {
        ois_template_literal(&out, p, (size_t)(m - p));
        const char *body = m + mlen;
        char close_code[3];
        size_t clen;
        const char *c = find_marker(body, close_code, &clen);
        while (c && strcmp(close_code, code))
            c = find_marker(c + clen, close_code, &clen);
        if (!c) { /* no closing marker: literal to the end */
            p = m;
            break;
        }
        char *inner = bt_xstrndup(body, (size_t)(c - body));
        char why[512];
        if (!strcmp(code, "Ed")) {
            if (!ois_data_ref(rb, reader, allow_self, inner, &out, why,
                              sizeof why))
                unresolved(rb, reader, where, why, &out, inner);
        } else if (!strcmp(code, "Vb")) {
            char *g = ois_guid(inner);
            const char *name = ois_lookup(rb->ctx->vars, rb->ctx->n_vars, g);
            if (name) {
                bt_buf_printf(&out, "{var:%s}", name);
                for (size_t i = 0; i < rb->ctx->n_vars; i++)
                    if (rb->ctx->var_encrypted[i] &&
                        !strcmp(rb->ctx->vars[i].name, name)) {
                        const ois_act *a =
                            reader < rb->n ? &rb->acts[reader] : NULL;
                        ois_item_add(rb->items, BT_OIS_NOTE, a ? a->name : NULL,
                                     a ? a->id : NULL,
                                     "%s uses the encrypted "
                                     "variable '%s', imported without its "
                                     "value",
                                     where, name);
                    }
            } else {
                snprintf(why, sizeof why,
                         "global variable %s is not in the "
                         "export",
                         inner);
                unresolved(rb, reader, where, why, &out, inner);
            }
            free(g);
        } else if (!strcmp(code, "Ec") || !strcmp(code, "De")) {
            const ois_act *a = reader < rb->n ? &rb->acts[reader] : NULL;
            ois_item_add(rb->items, BT_OIS_UNRESOLVED, a ? a->name : NULL,
                         a ? a->id : NULL,
                         "%s: an encrypted value cannot be decrypted; set it "
                         "after import (a {var:...} encrypted variable)",
                         where);
            bt_buf_appends(&out, "[encrypted Orchestrator value: set it "
                                 "after import]");
        } else {
            snprintf(why, sizeof why, "unknown kind of reference '%s'", code);
            unresolved(rb, reader, where, why, &out, inner);
        }
        free(inner);
        p = c + clen;
    }
    ois_template_literal(&out, p, strlen(p));
    return bt_buf_detach(&out);
}
