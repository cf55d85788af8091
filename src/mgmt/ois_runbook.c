/* One Orchestrator runbook (a <Policy>) to one Baton runbook document.
 *
 * The order matters: the links are read first, because a Baton reference
 * must name an activity that runs before the reader; then each activity is
 * classified and converted (its properties kept in Orchestrator text), and
 * references are rewritten as the document is written. The document is
 * finally loaded by the runbook loader; a converted runbook that does not
 * validate is reported, never passed off as good. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"
#include "runbook/runbook.h"

/* Metadata every <Object> carries; never a property. */
static const char *const metadata[] = {"UniqueID",
                                       "ParentID",
                                       "Name",
                                       "Description",
                                       "PositionX",
                                       "PositionY",
                                       "ObjectType",
                                       "SubType",
                                       "Enabled",
                                       "Flags",
                                       "ASC_UseServiceSecurity",
                                       "ASC_ThisAccount",
                                       "ASC_Username",
                                       "ASC_Password",
                                       "HasExtenders",
                                       "CreationTime",
                                       "CreatedBy",
                                       "LastModified",
                                       "LastModifiedBy",
                                       "Deleted",
                                       "Cost",
                                       "Savings",
                                       "Number",
                                       "AlternateDisplayData",
                                       "ASW_ObjectTimeout",
                                       "ASW_NotifyOnFail",
                                       "Flatten",
                                       "FlatUseLineBreak",
                                       "FlatUseCSV",
                                       "FlatUseCustomSep",
                                       "FlatCustomSep",
                                       "ObjectTypeName",
                                       "ExecutionData",
                                       "CachedProps",
                                       "Logging",
                                       NULL};

static bool is_metadata(const char *name) {
    for (size_t i = 0; metadata[i]; i++)
        if (!strcmp(metadata[i], name)) return true;
    return false;
}

/* ---- helpers for converters --------------------------------------------- */

void ois_consume(ois_conv *cv, const char *name) {
    ois_act *a = cv->act;
    a->consumed =
        bt_xrealloc(a->consumed, (a->n_consumed + 1) * sizeof(char *));
    a->consumed[a->n_consumed++] = bt_xstrdup(name);
}

static char *vtake(ois_conv *cv, va_list ap) {
    char *found = NULL;
    for (const char *n = va_arg(ap, const char *); n;
         n = va_arg(ap, const char *)) {
        xmlNodePtr e = bt_ois_xml_child(cv->act->node, n);
        if (!e) continue;
        ois_consume(cv, n);
        char *t = bt_ois_xml_text(e);
        if (t && !found)
            found = t;
        else
            free(t);
    }
    return found;
}

char *ois_take(ois_conv *cv, ...) {
    va_list ap;
    va_start(ap, cv);
    char *t = vtake(cv, ap);
    va_end(ap);
    if (t) ois_clean_text(t);
    return t;
}

int ois_take_bool(ois_conv *cv, int dflt, ...) {
    va_list ap;
    va_start(ap, dflt);
    char *t = vtake(cv, ap);
    va_end(ap);
    if (!t) return dflt;
    int v = !strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "yes");
    free(t);
    return v;
}

static ois_value *new_value(ois_conv *cv, const char *name) {
    ois_act *a = cv->act;
    a->props = bt_xrealloc(a->props, (a->n_props + 1) * sizeof *a->props);
    ois_value *v = &a->props[a->n_props++];
    memset(v, 0, sizeof *v);
    v->name = bt_xstrdup(name);
    return v;
}

void ois_set(ois_conv *cv, const char *name, char *raw) {
    ois_value *v = new_value(cv, name);
    v->kind = OIS_SCALAR;
    v->items = bt_xmalloc(sizeof(char *));
    v->items[0] = raw ? raw : bt_xstrdup("");
    v->n = 1;
}

void ois_set_gen(ois_conv *cv, const char *name, const char *text) {
    ois_set(cv, name, bt_xstrdup(text));
    cv->act->props[cv->act->n_props - 1].generated = true;
}

void ois_set_list_gen(ois_conv *cv, const char *name, const char *const *items,
                      size_t n) {
    ois_value *v = new_value(cv, name);
    v->kind = OIS_LIST;
    v->generated = true;
    v->items = bt_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) v->items[i] = bt_xstrdup(items[i]);
    v->n = n;
}

void ois_set_map(ois_conv *cv, const char *name, char **keys, char **raw,
                 size_t n) {
    ois_value *v = new_value(cv, name);
    v->kind = OIS_MAP;
    v->keys = keys;
    v->items = raw;
    v->n = n;
}

void ois_note(ois_conv *cv, bt_ois_item_kind kind, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ois_item_add(cv->items, kind, cv->act->name, cv->act->id, "%s", msg);
}

int ois_refuse(ois_conv *cv, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(cv->why);
    cv->why = bt_xstrdup(msg);
    return -1;
}

void ois_rb_add_param(ois_rb *rb, const char *guid, const char *orig,
                      const char *type, const char *description) {
    char *name = ois_identifier(orig, "parameter");
    for (int k = 2;; k++) {
        bool taken = false;
        for (size_t i = 0; i < rb->n_params; i++)
            taken |= !strcmp(rb->params[i].name, name);
        if (!taken) break;
        free(name);
        char *base = ois_identifier(orig, "parameter");
        name = bt_xasprintf("%s_%d", base, k);
        free(base);
    }
    rb->params =
        bt_xrealloc(rb->params, (rb->n_params + 1) * sizeof *rb->params);
    rb->params[rb->n_params++] = (ois_param){
        guid ? bt_xstrdup(guid) : NULL, bt_xstrdup(orig), name,
        bt_xstrdup(type), description ? bt_xstrdup(description) : NULL};
}

void ois_rb_add_return(ois_rb *rb, const char *orig) {
    char *name = ois_identifier(orig, "value");
    for (size_t i = 0; i < rb->n_returns; i++)
        if (!strcmp(rb->ret_name[i], name)) {
            free(name);
            return;
        }
    rb->ret_orig =
        bt_xrealloc(rb->ret_orig, (rb->n_returns + 1) * sizeof(char *));
    rb->ret_name =
        bt_xrealloc(rb->ret_name, (rb->n_returns + 1) * sizeof(char *));
    rb->ret_orig[rb->n_returns] = bt_xstrdup(orig);
    rb->ret_name[rb->n_returns++] = name;
}

/* Orchestrator keeps lists (Initialize Data parameters, Invoke Runbook
 * parameters, published variables) either as child <Entry> elements or as
 * a small XML document escaped into the element's text. */
xmlNodePtr ois_nested(xmlNodePtr elem, xmlDocPtr *inner) {
    *inner = NULL;
    if (!elem) return NULL;
    if (bt_ois_xml_child(elem, NULL)) return elem;
    char *t = bt_ois_xml_text(elem);
    bt_error err;
    /* The same guarded parser: escaped XML is still untrusted XML. */
    if (t && t[0] == '<' &&
        bt_ois_xml_parse("nested list", t, strlen(t), BT_OIS_MAX_BYTES, inner,
                         &err) != 0)
        *inner = NULL;
    free(t);
    return *inner ? xmlDocGetRootElement(*inner) : NULL;
}

size_t ois_entries(xmlNodePtr elem, const char *const *name_keys, char ***names,
                   char ***values, char ***guids) {
    *names = *values = NULL;
    if (guids) *guids = NULL;
    xmlDocPtr inner;
    xmlNodePtr list = ois_nested(elem, &inner);
    if (!list) return 0;
    size_t n = 0;
    /* Entries may sit directly in the list or one level down (ItemRoot). */
    for (int pass = 0; pass < 2 && n == 0; pass++) {
        xmlNodePtr parent = list;
        if (pass == 1) parent = bt_ois_xml_child(list, NULL);
        for (xmlNodePtr e = bt_ois_xml_child(parent, "Entry"); e;
             e = bt_ois_xml_next(e, "Entry")) {
            char *name = NULL;
            for (size_t k = 0; name_keys[k] && !name; k++)
                name = bt_ois_xml_child_text(e, name_keys[k]);
            if (!name) continue;
            ois_clean_text(name);
            *names = bt_xrealloc(*names, (n + 1) * sizeof(char *));
            *values = bt_xrealloc(*values, (n + 1) * sizeof(char *));
            (*names)[n] = name;
            char *v = bt_ois_xml_child_text(e, "Value");
            if (v) ois_clean_text(v);
            (*values)[n] = v;
            if (guids) {
                *guids = bt_xrealloc(*guids, (n + 1) * sizeof(char *));
                char *g = bt_ois_xml_child_text(e, "UniqueID");
                (*guids)[n] = ois_guid(g);
                free(g);
            }
            n++;
        }
    }
    if (inner) xmlFreeDoc(inner);
    return n;
}

/* ---- activities ------------------------------------------------------------
 */

static bool consumed(const ois_act *a, const char *name) {
    for (size_t i = 0; i < a->n_consumed; i++)
        if (!strcmp(a->consumed[i], name)) return true;
    return false;
}

static void value_free(ois_value *v) {
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->name);
}

static void clear_props(ois_act *a) {
    for (size_t i = 0; i < a->n_props; i++) value_free(&a->props[i]);
    free(a->props);
    a->props = NULL;
    a->n_props = 0;
    a->declare_publishes = false;
    for (size_t i = 0; i < a->n_pub; i++) {
        free(a->pub_orig[i]);
        free(a->pub_name[i]);
    }
    free(a->pub_orig);
    free(a->pub_name);
    a->pub_orig = a->pub_name = NULL;
    a->n_pub = 0;
}

/* An element's value for the report and for placeholders: its text, or
 * for a nested block its XML. */
static char *element_value(xmlNodePtr e) {
    if (!bt_ois_xml_child(e, NULL)) {
        char *t = bt_ois_xml_text(e);
        if (t) ois_clean_text(t);
        return t;
    }
    xmlBufferPtr buf = xmlBufferCreate();
    for (xmlNodePtr c = e->children; c; c = c->next)
        xmlNodeDump(buf, e->doc, c, 0, 0);
    char *s = bt_xstrdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    ois_clean_text(s);
    return s;
}

static void make_placeholder(ois_rb *rb, ois_act *a, const char *why) {
    clear_props(a);
    a->map = NULL;
    a->type = bt_registry_find(rb->ctx->reg, "placeholder");
    a->why = bt_xstrdup(why);
    ois_conv cv = {rb->ctx, rb, a, rb->items, NULL};
    ois_set(&cv, "orchestrator_type", bt_xstrdup(a->type_name));
    char **keys = NULL, **vals = NULL;
    size_t n = 0;
    bt_ois_item *it =
        ois_item_add(rb->items, BT_OIS_PLACEHOLDER, a->name, a->id, "%s", why);
    it->original_type = bt_xstrdup(a->type_name);
    it->baton_type = bt_xstrdup("placeholder");
    for (xmlNodePtr e = bt_ois_xml_child(a->node, NULL); e;
         e = bt_ois_xml_next(e, NULL)) {
        if (is_metadata((const char *)e->name)) continue;
        char *raw = element_value(e);
        if (!raw) continue;
        /* Converted now (the graph is known), so the report shows what the
         * file holds; the value is then Baton text. */
        char where[300];
        snprintf(where, sizeof where, "property '%s'", (const char *)e->name);
        char *v = ois_convert_text(rb, (size_t)(a - rb->acts), false, raw,
                                   false, where);
        free(raw);
        keys = bt_xrealloc(keys, (n + 1) * sizeof(char *));
        vals = bt_xrealloc(vals, (n + 1) * sizeof(char *));
        keys[n] = bt_xstrdup((const char *)e->name);
        vals[n] = v;
        it->prop_names = bt_xrealloc(it->prop_names, (n + 1) * sizeof(char *));
        it->prop_values =
            bt_xrealloc(it->prop_values, (n + 1) * sizeof(char *));
        it->prop_names[n] = bt_xstrdup(keys[n]);
        it->prop_values[n] = bt_xstrdup(v);
        it->n_props = ++n;
    }
    if (n) {
        ois_set_map(&cv, "orchestrator_properties", keys, vals, n);
        a->props[a->n_props - 1].generated = true;
    }
}

static void setup_activity(ois_rb *rb, ois_act *a) {
    const ois_mapping *m = ois_mapping_find(a->type_name, NULL);
    char *tg = bt_ois_xml_child_text(a->node, "ObjectType");
    char *type_guid = ois_guid(tg);
    free(tg);
    if (!m) m = ois_mapping_find(NULL, type_guid);
    free(type_guid);
    if (!m) {
        make_placeholder(rb, a,
                         "Orchestrator activity type with no Baton "
                         "equivalent (not a standard activity)");
        return;
    }
    if (!m->baton_type) {
        make_placeholder(rb, a,
                         "standard Orchestrator activity with no "
                         "Baton equivalent yet");
        return;
    }
    a->type = bt_registry_find(rb->ctx->reg, m->baton_type);
    if (!a->type) {
        char why[200];
        snprintf(why, sizeof why,
                 "its Baton equivalent '%s' is not "
                 "available in this build",
                 m->baton_type);
        make_placeholder(rb, a, why);
        return;
    }
    a->map = m;
    ois_conv cv = {rb->ctx, rb, a, rb->items, NULL};
    if (m->convert && m->convert(&cv) != 0) {
        make_placeholder(rb, a, cv.why ? cv.why : "could not be converted");
        free(cv.why);
        return;
    }
    free(cv.why);
    bt_ois_item *it = ois_item_add(rb->items, BT_OIS_CONVERTED, a->name, a->id,
                                   "%s -> %s", a->type_name, a->type->name);
    it->original_type = bt_xstrdup(a->type_name);
    it->baton_type = bt_xstrdup(a->type->name);
    /* What the converter did not use is reported, never silently lost. */
    for (xmlNodePtr e = bt_ois_xml_child(a->node, NULL); e;
         e = bt_ois_xml_next(e, NULL)) {
        const char *en = (const char *)e->name;
        if (is_metadata(en) || consumed(a, en)) continue;
        char *v = element_value(e);
        if (v && v[0])
            ois_item_add(rb->items, BT_OIS_NOTE, a->name, a->id,
                         "property '%s' ('%.80s%s') has no counterpart in %s "
                         "and was left out",
                         en, v, strlen(v) > 80 ? "..." : "", a->type->name);
        free(v);
    }
}

/* Settings every object has: flatten, the run-as account, the timeout
 * event. */
static void common_settings(ois_rb *rb, ois_act *a) {
    if (bt_ois_xml_child_bool(a->node, "Flatten", 0)) {
        if (bt_ois_xml_child_bool(a->node, "FlatUseCSV", 0)) {
            a->flatten = bt_xstrdup(",");
        } else if (bt_ois_xml_child_bool(a->node, "FlatUseCustomSep", 0)) {
            char *sep = bt_ois_xml_child_text(a->node, "FlatCustomSep");
            a->flatten = sep ? sep : bt_xstrdup("");
        } else {
            a->flatten = bt_xstrdup("\n");
        }
    }
    char *user = bt_ois_xml_child_text(a->node, "ASC_Username");
    if (user && !bt_ois_xml_child_bool(a->node, "ASC_UseServiceSecurity", 1))
        ois_item_add(rb->items, BT_OIS_NOTE, a->name, a->id,
                     "ran as '%s' in Orchestrator; Baton runs it as the "
                     "runbook server's user (the password is not in the "
                     "export)",
                     user);
    free(user);
    char *to = bt_ois_xml_child_text(a->node, "ASW_ObjectTimeout");
    int64_t secs;
    if (to && bt_parse_int64(to, &secs) && secs > 0)
        ois_item_add(rb->items, BT_OIS_NOTE, a->name, a->id,
                     "Orchestrator raised an event after %lld s; Baton's "
                     "timeout would cancel the activity instead, so none was "
                     "set",
                     (long long)secs);
    free(to);
}

/* ---- YAML ------------------------------------------------------------------
 */

static void emit_value(ois_rb *rb, size_t idx, const ois_value *v, bt_buf *b) {
    char where[300];
    snprintf(where, sizeof where, "property '%s'", v->name);
    oy_key(b, 6, v->name);
    if (v->kind == OIS_SCALAR) {
        char *t =
            ois_convert_text(rb, idx, false, v->items[0], v->generated, where);
        bt_buf_appendc(b, ' ');
        oy_scalar(b, t, 6);
        free(t);
    } else if (v->kind == OIS_LIST) {
        bt_buf_appends(b, " [");
        for (size_t i = 0; i < v->n; i++) {
            char *t = ois_convert_text(rb, idx, false, v->items[i],
                                       v->generated, where);
            if (i) bt_buf_appends(b, ", ");
            oy_quoted(b, t);
            free(t);
        }
        bt_buf_appends(b, "]\n");
    } else {
        bt_buf_appendc(b, '\n');
        for (size_t i = 0; i < v->n; i++) {
            char *t =
                ois_convert_text(rb, idx, false, v->items[i] ? v->items[i] : "",
                                 v->generated, where);
            bt_buf_appends(b, "        ");
            oy_quoted(b, v->keys[i]);
            bt_buf_appends(b, ": ");
            oy_scalar(b, t, 8);
            free(t);
        }
    }
}

static void emit_comment(bt_buf *b, int indent, const char *text) {
    bt_buf_printf(b, "%*s# ois: ", indent, "");
    for (const char *p = text; *p; p++)
        bt_buf_appendc(b, *p == '\n' ? ' ' : *p);
    bt_buf_appendc(b, '\n');
}

/* Where the Runbook Designer drew each activity, so the designer shows the
 * diagram the author knows. Orchestrator's PositionX/PositionY place a
 * small icon's corner; Baton's boxes are wider and placed by their centre
 * (bt_runbook_position_from_orchestrator converts). Positions
 * are kept only when every activity has its own: an export whose objects
 * all sit on one spot (written by a tool, not drawn) is laid out by the
 * designer instead. */
static void read_positions(ois_rb *rb) {
    for (size_t i = 0; i < rb->n; i++) {
        ois_act *a = &rb->acts[i];
        char *px = bt_ois_xml_child_text(a->node, "PositionX");
        char *py = bt_ois_xml_child_text(a->node, "PositionY");
        int64_t x, y;
        bool ok = px && py && bt_parse_int64(px, &x) &&
                  bt_parse_int64(py, &y) && x >= 0 && y >= 0 &&
                  x <= 100000 && y <= 100000;
        free(px);
        free(py);
        if (!ok) return;
        bt_runbook_position_from_orchestrator((int)x, (int)y, &a->x, &a->y);
        for (size_t k = 0; k < i; k++)
            if (rb->acts[k].x == a->x && rb->acts[k].y == a->y) return;
    }
    for (size_t i = 0; i < rb->n; i++) rb->acts[i].has_position = true;
}

static char *emit(ois_rb *rb, const char *folder, const char *description) {
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_printf(&b, "# Imported from Orchestrator by baton import-ois.\n");
    oy_key_scalar(&b, 0, "name", rb->name);
    oy_key_scalar(&b, 0, "folder", folder);
    if (description) oy_key_scalar(&b, 0, "description", description);
    if (rb->n_params) bt_buf_appends(&b, "parameters:\n");
    for (size_t i = 0; i < rb->n_params; i++) {
        const ois_param *p = &rb->params[i];
        bt_buf_appends(&b, "  - name: ");
        oy_scalar(&b, p->name, 4);
        bt_buf_printf(&b, "    type: %s\n", p->type);
        /* A renamed parameter says what Orchestrator called it. */
        bt_buf d;
        bt_buf_init(&d, 0);
        if (p->description) bt_buf_appends(&d, p->description);
        if (strcmp(p->orig, p->name))
            bt_buf_printf(&d, "%s(Orchestrator: '%s')", d.len ? " " : "",
                          p->orig);
        if (d.len) oy_key_scalar(&b, 4, "description", bt_buf_str(&d));
        bt_buf_free(&d);
    }
    if (rb->n_returns) {
        bt_buf_appends(&b, "returns: [");
        for (size_t i = 0; i < rb->n_returns; i++) {
            if (i) bt_buf_appends(&b, ", ");
            oy_quoted(&b, rb->ret_name[i]);
        }
        bt_buf_appends(&b, "]\n");
    }
    bt_buf_appends(&b, "activities:\n");
    read_positions(rb);
    for (size_t i = 0; i < rb->n; i++) {
        ois_act *a = &rb->acts[i];
        if (a->why) emit_comment(&b, 2, a->why);
        bt_buf_appends(&b, "  - id: ");
        oy_scalar(&b, a->id, 4);
        bt_buf_printf(&b, "    type: %s\n", a->type->name);
        if (strcmp(a->name, a->id)) oy_key_scalar(&b, 4, "name", a->name);
        if (a->n_props) bt_buf_appends(&b, "    properties:\n");
        for (size_t k = 0; k < a->n_props; k++)
            emit_value(rb, i, &a->props[k], &b);
        if (a->declare_publishes && a->n_pub) {
            bt_buf_appends(&b, "    publishes: [");
            for (size_t k = 0, w = 0; k < a->n_pub; k++) {
                bool seen = false;
                for (size_t j = 0; j < k; j++)
                    seen |= !strcmp(a->pub_name[j], a->pub_name[k]);
                if (seen) continue;
                if (w++) bt_buf_appends(&b, ", ");
                oy_quoted(&b, a->pub_name[k]);
            }
            bt_buf_appends(&b, "]\n");
        }
        if (a->flatten && !strcmp(a->flatten, "\n")) {
            bt_buf_appends(&b, "    flatten: true\n");
        } else if (a->flatten) {
            bt_buf_appends(&b, "    flatten: {separator: ");
            oy_quoted(&b, a->flatten);
            bt_buf_appends(&b, "}\n");
        }
        if (a->has_position)
            bt_buf_printf(&b, "    position: {x: %d, y: %d}\n", a->x, a->y);
    }
    if (rb->n_links) bt_buf_appends(&b, "links:\n");
    for (size_t i = 0; i < rb->n_links; i++) {
        const ois_link *l = &rb->links[i];
        ois_link_out lo;
        ois_link_convert(rb, l, &lo);
        if (lo.comment) emit_comment(&b, 2, lo.comment);
        bt_buf_appends(&b, "  - from: ");
        oy_scalar(&b, rb->acts[l->from].id, 4);
        oy_key_scalar(&b, 4, "to", rb->acts[l->to].id);
        char *label = bt_ois_xml_child_text(l->node, "Name");
        if (label && strcmp(label, "Link")) {
            ois_clean_text(label);
            oy_key_scalar(&b, 4, "name", label);
        }
        free(label);
        if (lo.on_any) {
            bt_buf_appends(&b, "    on: any\n");
        } else if (lo.on && lo.on != BT_ON_SUCCESS) {
            static const char *const rn[] = {"success", "warning", "failed"};
            bt_buf_appends(&b, "    on: [");
            for (int r = 0, k = 0; r < 3; r++)
                if (lo.on & (1u << r))
                    bt_buf_printf(&b, "%s%s", k++ ? ", " : "", rn[r]);
            bt_buf_appends(&b, "]\n");
        }
        if (lo.n_include) bt_buf_appends(&b, "    include:\n");
        for (size_t k = 0; k < lo.n_include; k++) {
            bt_buf_appends(&b, "      - ");
            oy_quoted(&b, lo.include[k]);
            bt_buf_appendc(&b, '\n');
        }
        if (lo.n_exclude) bt_buf_appends(&b, "    exclude:\n");
        for (size_t k = 0; k < lo.n_exclude; k++) {
            bt_buf_appends(&b, "      - ");
            oy_quoted(&b, lo.exclude[k]);
            bt_buf_appendc(&b, '\n');
        }
        ois_link_out_free(&lo);
    }
    return bt_buf_detach(&b);
}

/* ---- the runbook ------------------------------------------------------------
 */

static void compute_upstream(ois_rb *rb) {
    size_t n = rb->n;
    rb->up = bt_xcalloc(n * n + 1, 1);
    /* Successor lists (CSR), then a breadth-first walk from each activity:
     * O(n * (n + links)), fine at the loader's limits. */
    size_t *start = bt_xcalloc(n + 1, sizeof(size_t));
    size_t *succ = bt_xmalloc((rb->n_links + 1) * sizeof(size_t));
    for (size_t k = 0; k < rb->n_links; k++) start[rb->links[k].from + 1]++;
    for (size_t i = 0; i < n; i++) start[i + 1] += start[i];
    size_t *fill = bt_xmalloc((n + 1) * sizeof(size_t));
    memcpy(fill, start, (n + 1) * sizeof(size_t));
    for (size_t k = 0; k < rb->n_links; k++)
        succ[fill[rb->links[k].from]++] = rb->links[k].to;
    size_t *queue = bt_xmalloc((n + 1) * sizeof(size_t));
    for (size_t s = 0; s < n; s++) {
        size_t head = 0, tail = 0;
        queue[tail++] = s;
        while (head < tail) {
            size_t x = queue[head++];
            for (size_t k = start[x]; k < start[x + 1]; k++) {
                size_t t = succ[k];
                if (!rb->up[t * n + s]) {
                    rb->up[t * n + s] = 1;
                    queue[tail++] = t;
                }
            }
        }
    }
    free(queue);
    free(fill);
    free(succ);
    free(start);
}

static void take_items(ois_items *items, bt_ois_runbook *out) {
    out->items = items->items;
    out->n_items = items->n;
}

static void validate(ois_rb *rb, bt_ois_runbook *out) {
    bt_runbook *loaded = NULL;
    bt_diags diags;
    bt_diags_init(&diags);
    int rc = bt_runbook_load_string(out->path, out->yaml, strlen(out->yaml),
                                    rb->ctx->reg, &loaded, &diags);
    out->valid = rc == 0;
    for (size_t i = 0; i < diags.count; i++) {
        char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
        bt_error_format(&diags.items[i], msg, sizeof msg);
        ois_item_add(rb->items, BT_OIS_INVALID, NULL, NULL,
                     "the converted runbook does not validate: %s", msg);
    }
    if (rc && !diags.count)
        ois_item_add(rb->items, BT_OIS_INVALID, NULL, NULL,
                     "the converted runbook does not load (%s)",
                     bt_strerror(rc));
    bt_diags_free(&diags);
    bt_runbook_free(loaded);
}

static void rb_free(ois_rb *rb) {
    for (size_t i = 0; i < rb->n; i++) {
        ois_act *a = &rb->acts[i];
        clear_props(a);
        for (size_t k = 0; k < a->n_consumed; k++) free(a->consumed[k]);
        free(a->consumed);
        free(a->guid);
        free(a->name);
        free(a->type_name);
        free(a->id);
        free(a->why);
        free(a->republish_guid);
        free(a->flatten);
    }
    free(rb->acts);
    free(rb->links);
    free(rb->up);
    for (size_t i = 0; i < rb->n_params; i++) {
        ois_param *p = &rb->params[i];
        free(p->guid);
        free(p->orig);
        free(p->name);
        free(p->type);
        free(p->description);
    }
    free(rb->params);
    for (size_t i = 0; i < rb->n_returns; i++) {
        free(rb->ret_orig[i]);
        free(rb->ret_name[i]);
    }
    free(rb->ret_orig);
    free(rb->ret_name);
    free(rb->name);
}

static bool is_link(xmlNodePtr obj) {
    char *t = bt_ois_xml_child_text(obj, "ObjectType");
    char *g = ois_guid(t);
    char *tn = bt_ois_xml_child_text(obj, "ObjectTypeName");
    bool link =
        (g && !strcmp(g, OIS_GUID_LINK)) || (tn && !strcasecmp(tn, "Link"));
    free(t);
    free(g);
    free(tn);
    return link;
}

static bool is_note(xmlNodePtr obj) {
    char *t = bt_ois_xml_child_text(obj, "ObjectType");
    char *g = ois_guid(t);
    bool note = g && !strcmp(g, OIS_GUID_NOTE);
    free(t);
    free(g);
    return note;
}

static void read_returns(ois_rb *rb, xmlNodePtr policy) {
    static const char *const keys[] = {"Key", "Name", "Variable", NULL};
    char **names, **values;
    size_t n = ois_entries(bt_ois_xml_child(policy, "ReturnDataDefinition"),
                           keys, &names, &values, NULL);
    for (size_t i = 0; i < n; i++) {
        ois_rb_add_return(rb, names[i]);
        free(names[i]);
        free(values[i]);
    }
    free(names);
    free(values);
}

int ois_runbook_convert(ois_ctx *ctx, xmlNodePtr policy, const char *folder,
                        bt_ois_runbook *out) {
    ois_items items = {0};
    ois_rb rb = {.ctx = ctx, .items = &items};
    char *name = bt_ois_xml_child_text(policy, "Name");
    if (name) ois_clean_text(name);
    rb.name = name ? name : bt_xstrdup("Unnamed runbook");
    memset(out, 0, sizeof *out);
    out->name = bt_xstrdup(rb.name);
    out->folder = bt_xstrdup(folder);
    read_returns(&rb, policy);

    /* The loader's limits (docs/runbook-format.md): a bigger runbook could
     * not load anyway, and the conversion is quadratic in activities. */
    size_t n_objects = 0;
    for (xmlNodePtr o = bt_ois_xml_child(policy, "Object"); o;
         o = bt_ois_xml_next(o, "Object"))
        n_objects++;
    if (n_objects > OIS_MAX_ACTIVITIES + OIS_MAX_LINKS) {
        ois_item_add(&items, BT_OIS_INVALID, NULL, NULL,
                     "the runbook has %zu objects, more than a Baton runbook "
                     "can hold (%d activities and %d links); not converted",
                     n_objects, OIS_MAX_ACTIVITIES, OIS_MAX_LINKS);
        out->path = bt_xstrdup("");
        take_items(&items, out);
        rb_free(&rb);
        return 0;
    }
    xmlNodePtr *links = NULL;
    size_t n_links = 0;
    for (xmlNodePtr o = bt_ois_xml_child(policy, "Object"); o;
         o = bt_ois_xml_next(o, "Object")) {
        if (bt_ois_xml_child_bool(o, "Deleted", 0)) continue;
        if (is_link(o)) {
            links = bt_xrealloc(links, (n_links + 1) * sizeof *links);
            links[n_links++] = o;
            continue;
        }
        char *an = bt_ois_xml_child_text(o, "Name");
        if (is_note(o)) {
            ois_item_add(&items, BT_OIS_SKIPPED, an, NULL,
                         "annotation (note) not imported");
            free(an);
            continue;
        }
        rb.acts = bt_xrealloc(rb.acts, (rb.n + 1) * sizeof *rb.acts);
        ois_act *a = &rb.acts[rb.n++];
        memset(a, 0, sizeof *a);
        a->node = o;
        char *g = bt_ois_xml_child_text(o, "UniqueID");
        a->guid = ois_guid(g);
        free(g);
        if (an) ois_clean_text(an);
        a->name = an ? an : bt_xstrdup("Activity");
        char *tn = bt_ois_xml_child_text(o, "ObjectTypeName");
        a->type_name = tn ? tn : bt_xstrdup("(no type name)");
        char *base = ois_identifier(a->name, "activity");
        a->id = bt_xstrdup(base);
        for (int k = 2;; k++) {
            bool taken = false;
            for (size_t i = 0; i + 1 < rb.n; i++)
                taken |= !strcmp(rb.acts[i].id, a->id);
            if (!taken) break;
            free(a->id);
            a->id = bt_xasprintf("%s_%d", base, k);
        }
        free(base);
    }
    /* Links first: converters of Junction need to know predecessors only
     * at emit time, but everything reads the graph after this. */
    rb.links = bt_xcalloc(n_links + 1, sizeof *rb.links);
    for (size_t i = 0; i < n_links; i++) {
        char *s = bt_ois_xml_child_text(links[i], "SourceObject");
        char *t = bt_ois_xml_child_text(links[i], "TargetObject");
        char *sg = ois_guid(s), *tg = ois_guid(t);
        size_t from = ois_act_index(&rb, sg), to = ois_act_index(&rb, tg);
        if (from == SIZE_MAX || to == SIZE_MAX)
            ois_item_add(&items, BT_OIS_SKIPPED, NULL, NULL,
                         "a link from %s to %s was dropped: one end is not "
                         "an activity of this runbook",
                         s ? s : "(none)", t ? t : "(none)");
        else
            rb.links[rb.n_links++] = (ois_link){from, to, links[i]};
        free(s);
        free(t);
        free(sg);
        free(tg);
    }
    free(links);
    if (rb.n > OIS_MAX_ACTIVITIES || rb.n_links > OIS_MAX_LINKS) {
        ois_item_add(&items, BT_OIS_INVALID, NULL, NULL,
                     "the runbook has %zu activities and %zu links, over "
                     "the limits of %d and %d; not converted",
                     rb.n, rb.n_links, OIS_MAX_ACTIVITIES, OIS_MAX_LINKS);
        out->path = bt_xstrdup("");
        take_items(&items, out);
        rb_free(&rb);
        return 0;
    }
    compute_upstream(&rb);
    for (size_t i = 0; i < rb.n; i++) {
        setup_activity(&rb, &rb.acts[i]);
        common_settings(&rb, &rb.acts[i]);
    }
    /* Junction: "republish data from" must be a direct predecessor. */
    for (size_t i = 0; i < rb.n; i++) {
        ois_act *a = &rb.acts[i];
        if (!a->republish_guid) continue;
        size_t x = ois_act_index(&rb, a->republish_guid);
        bool direct = false;
        for (size_t k = 0; k < rb.n_links && x != SIZE_MAX; k++)
            direct |= rb.links[k].from == x && rb.links[k].to == i;
        ois_conv cv = {ctx, &rb, a, &items, NULL};
        if (direct)
            ois_set_gen(&cv, "republish", rb.acts[x].id);
        else
            ois_note(&cv, BT_OIS_UNRESOLVED,
                     "the junction republished data "
                     "from %s, which is not linked into it; left out",
                     a->republish_guid);
    }
    if (!rb.n)
        ois_item_add(&items, BT_OIS_INVALID, NULL, NULL,
                     "the runbook has no activities");
    char *desc = bt_ois_xml_child_text(policy, "Description");
    if (desc) ois_clean_text(desc);
    out->yaml = emit(&rb, folder, desc);
    free(desc);
    char *dir = bt_xstrdup("");
    for (const char *p = folder; *p == '/' && p[1];) {
        const char *e = strchr(p + 1, '/');
        size_t len = e ? (size_t)(e - p - 1) : strlen(p + 1);
        char *seg = bt_xstrndup(p + 1, len);
        char *comp = ois_file_component(seg);
        char *nd = bt_xasprintf("%s%s/", dir, comp);
        free(dir);
        free(seg);
        free(comp);
        dir = nd;
        p += len + 1;
    }
    char *file = ois_file_component(rb.name);
    out->path = bt_xasprintf("%s%s.runbook.yaml", dir, file);
    free(dir);
    free(file);
    if (rb.n) validate(&rb, out);
    take_items(&items, out);
    rb_free(&rb);
    return 0;
}
