/* References to published data: {activity.field}. Each one is bound to the
 * activity's index and checked for the three ways it can never work: the
 * activity does not exist, it cannot have run before the place that reads
 * it, or it does not publish that field. Orchestrator only showed upstream
 * data in its picker; a text file needs the same guarantee from a check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/template.h"
#include "runbook/load_internal.h"

static const char *const common_fields[] = {BT_COMMON_FIELDS};

/* Every field name this activity is known to publish, for messages and
 * suggestions: common, declared by the type, declared by the definition,
 * and the definition-dependent ones a publishes() hook accepts among the
 * runbook's parameter names and the activity's property names. */
static size_t known_fields(const bt_runbook *rb, const bt_activity_def *d,
                           const char ***out) {
    size_t cap = BT_ARRAY_LEN(common_fields) + d->n_publishes + 8, n = 0;
    const bt_activity_type *t = d->type;
    for (const char *const *p = t->published; p && *p; p++) cap++;
    /* Candidates for a publishes() hook, capped: this only feeds a
     * message. */
    size_t n_params = rb->n_params < 100 ? rb->n_params : 100;
    size_t n_props = d->properties ? d->properties->count : 0;
    if (n_props > 100) n_props = 100;
    if (t->publishes) cap += n_params + n_props;
    const char **names = bt_xcalloc(cap + 1, sizeof *names);
    for (const char *const *p = t->published; p && *p; p++) names[n++] = *p;
    for (size_t i = 0; i < d->n_publishes; i++) names[n++] = d->publishes[i];
    if (t->publishes) {
        for (size_t i = 0; i < n_params; i++)
            if (t->publishes(d, rb, rb->params[i].name))
                names[n++] = rb->params[i].name;
        for (size_t i = 0; i < n_props; i++)
            if (t->publishes(d, rb, d->properties->keys[i]->str))
                names[n++] = d->properties->keys[i]->str;
    }
    for (size_t i = 0; i < BT_ARRAY_LEN(common_fields); i++)
        names[n++] = common_fields[i];
    *out = names;
    return n;
}

static bool publishes(const bt_runbook *rb, const bt_activity_def *d,
                      const char *field) {
    for (size_t i = 0; i < BT_ARRAY_LEN(common_fields); i++)
        if (strcmp(common_fields[i], field) == 0) return true;
    const bt_activity_type *t = d->type;
    if (!t) return true; /* unknown type: reported already */
    for (const char *const *p = t->published; p && *p; p++)
        if (strcmp(*p, field) == 0) return true;
    for (size_t i = 0; i < d->n_publishes; i++)
        if (strcmp(d->publishes[i], field) == 0) return true;
    if (t->publishes && t->publishes(d, rb, field)) return true;
    return t->open_published && !d->publishes;
}

static void report_field(bt_loader *ld, int line, int col, const char *where,
                         const bt_template_ref *r, const bt_activity_def *d) {
    if (bt__load_full(ld)) {
        /* Counted, not kept: the list is full, so skip building it. */
        bt__load_error_at(ld, line, col, "%s", "");
        return;
    }
    const char **names;
    size_t n = known_fields(ld->rb, d, &names);
    char list[300];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 i ? ", " : "", names[i]);
    if (used >= sizeof list) memcpy(list + sizeof list - 4, "...", 4);
    const char *near = bt__closest(ld, r->field, names, n);
    char hint[160] = "";
    if (near) snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
    const char *open = d->type->open_published
                           ? "; its 'publishes' list does not include it"
                           : "";
    bt__load_error_at(ld, line, col,
                      "%s: reference {%.60s.%.60s}: activity '%s' (%s) does "
                      "not publish '%.60s'%s%s; it publishes %s",
                      where, r->activity, r->field, d->id, d->type->name,
                      r->field, open, hint, list);
    free(names);
}

static const char **activity_ids(const bt_runbook *rb) {
    /* Only called for a report; the list is rebuilt each time because
     * reports are capped by the diagnostics limit. */
    const char **ids = bt_xcalloc(rb->n_activities + 1, sizeof *ids);
    for (size_t i = 0; i < rb->n_activities; i++)
        ids[i] = rb->activities[i].id;
    return ids;
}

/* Checks the references of template t, written in scalar node at whose
 * text holds t's source at byte offset base. user is the activity whose
 * run reads the data; self_ok when it may read its own (retry.until and
 * conditions of links leaving it). */
static void check_template(bt_loader *ld, bt_template *t, const bt_node *at,
                           size_t base, const char *where, size_t user,
                           bool self_ok) {
    bt_runbook *rb = ld->rb;
    const bt_activity_def *u = &rb->activities[user];
    for (size_t i = 0; i < bt_template_ref_count(t); i++) {
        bt_template_ref *r = bt_template_ref_at(t, i);
        if (r->kind != BT_REF_DATA) continue; /* {var:x}: resolved at run */
        size_t idx = bt__activity_index(ld, r->activity);
        if (idx != SIZE_MAX) r->activity_index = idx;
        bool upstream = idx != SIZE_MAX &&
                        ((self_ok && idx == user) ||
                         bt_runbook_is_upstream(rb, idx, user));
        if (upstream && publishes(rb, &rb->activities[idx], r->field))
            continue;
        /* Only a problem costs a position (a scan of the text). */
        int line, col;
        bt__scalar_position(at, base + r->offset, &line, &col);
        if (idx == SIZE_MAX) {
            const char **ids = activity_ids(rb);
            const char *near =
                bt__closest(ld, r->activity, ids, rb->n_activities);
            bt__load_error_at(ld, line, col,
                              "%s: reference {%.60s.%.60s}: no activity "
                              "named '%.60s'%s%s%s",
                              where, r->activity, r->field, r->activity,
                              near ? "; did you mean '" : "",
                              near ? near : "", near ? "'?" : "");
            free(ids);
        } else if (!upstream && idx == user) {
            bt__load_error_at(ld, line, col,
                              "%s: reference {%.60s.%.60s}: an activity "
                              "cannot read its own data in its properties "
                              "(only in retry 'until' and in conditions of "
                              "links leaving it)",
                              where, r->activity, r->field);
        } else if (!upstream) {
            bt__load_error_at(ld, line, col,
                              "%s: reference {%.60s.%.60s}: activity '%s' "
                              "does not run before '%s' (no path of links "
                              "leads from it to '%s')",
                              where, r->activity, r->field,
                              rb->activities[idx].id, u->id, u->id);
        } else {
            report_field(ld, line, col, where, r, &rb->activities[idx]);
        }
    }
}

static void check_tree(bt_loader *ld, const bt_node *n, const char *where,
                       size_t user) {
    if (n->kind == BT_NODE_SCALAR) {
        if (n->compiled) check_template(ld, n->compiled, n, 0, where, user,
                                        false);
        return;
    }
    for (size_t i = 0; i < n->count; i++)
        check_tree(ld, n->items[i], where, user);
}

/* at is the scalar holding the condition's text, for positions. */
static void check_cond(bt_loader *ld, bt_cond *c, const bt_node *at,
                       const char *where, size_t user) {
    const char *src = bt_cond_source(c);
    for (size_t i = 0; i < bt_cond_template_count(c); i++) {
        bt_template *t = bt_cond_template_at(c, i);
        /* The operand's place in the condition text: its first
         * occurrence is right for all but repeated identical operands,
         * where any of them is a fine place to point. */
        const char *op = strstr(src, bt_template_source(t));
        size_t base = op ? (size_t)(op - src) : 0;
        check_template(ld, t, at, base, where, user, true);
    }
}

static size_t count_tree(const bt_node *n) {
    if (n->kind == BT_NODE_SCALAR)
        return n->compiled ? bt_template_ref_count(n->compiled) : 0;
    size_t total = 0;
    for (size_t i = 0; i < n->count; i++) total += count_tree(n->items[i]);
    return total;
}

static size_t count_cond(bt_cond *c) {
    size_t total = 0;
    for (size_t i = 0; c && i < bt_cond_template_count(c); i++)
        total += bt_template_ref_count(bt_cond_template_at(c, i));
    return total;
}

/* Each check may call a type's publishes() hook, whose cost grows with the
 * definition; the cap keeps the product bounded on hostile files. */
static size_t count_references(const bt_runbook *rb) {
    size_t total = 0;
    for (size_t a = 0; a < rb->n_activities; a++) {
        const bt_activity_def *d = &rb->activities[a];
        if (d->properties) total += count_tree(d->properties);
        total += count_cond(d->retry.until);
    }
    for (size_t l = 0; l < rb->n_links; l++) {
        for (size_t i = 0; i < rb->links[l].n_include; i++)
            total += count_cond(rb->links[l].include[i]);
        for (size_t i = 0; i < rb->links[l].n_exclude; i++)
            total += count_cond(rb->links[l].exclude[i]);
    }
    return total;
}

void bt__check_references(bt_loader *ld) {
    bt_runbook *rb = ld->rb;
    size_t total = count_references(rb);
    if (total > BT_RUNBOOK_MAX_REFERENCES) {
        bt__load_error_at(ld, 1, 1,
                          "the runbook has %zu references ({...}), over the "
                          "limit of %d",
                          total, BT_RUNBOOK_MAX_REFERENCES);
        return;
    }
    for (size_t a = 0; a < rb->n_activities; a++) {
        bt_activity_def *d = &rb->activities[a];
        const bt_node *p = d->properties;
        for (size_t i = 0; p && i < p->count; i++) {
            char where[300];
            snprintf(where, sizeof where, "activity '%.80s': property '%.80s'",
                     d->id, p->keys[i]->str);
            check_tree(ld, p->items[i], where, a);
        }
        if (d->retry.until) {
            char where[200];
            snprintf(where, sizeof where, "activity '%.80s': retry 'until'",
                     d->id);
            const bt_node *retry = bt_node_get(ld->activity_nodes[a], "retry");
            check_cond(ld, d->retry.until, bt_node_get(retry, "until"), where,
                       a);
        }
    }
    for (size_t l = 0; l < rb->n_links; l++) {
        bt_link_def *link = &rb->links[l];
        size_t n_conds = link->n_include + link->n_exclude;
        char where[260];
        snprintf(where, sizeof where, "link '%.80s' -> '%.80s' condition",
                 rb->activities[link->from].id, rb->activities[link->to].id);
        for (size_t i = 0; i < n_conds; i++) {
            bt_cond *c = i < link->n_include
                             ? link->include[i]
                             : link->exclude[i - link->n_include];
            check_cond(ld, c, ld->link_cond_nodes[l][i], where, link->from);
        }
    }
}
