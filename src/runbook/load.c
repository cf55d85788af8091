/* The runbook loader: from a parsed document to a checked bt_runbook.
 *
 * Every problem is reported (with its place in the file) and loading goes
 * on, so an operator fixes a file in one round instead of one error per
 * try. Later passes only look at what earlier passes accepted, so one
 * mistake does not cascade into a page of follow-on errors. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "runbook/load_internal.h"

/* ---- top level and parameters ----------------------------------------- */

static const char *const root_fields[] = {
    "name", "folder", "description", "parameters", "returns", "activities",
    "links", NULL};
static const char *const param_fields[] = {
    "name", "type", "required", "default", "description", "allowed", NULL};
static const char *const activity_fields[] = {
    "id",      "type",    "name",      "properties", "retry",
    "flatten", "timeout", "publishes", "position", NULL};
static const char *const retry_fields[] = {"max", "delay", "until", NULL};
static const char *const position_fields[] = {"x", "y", NULL};
static const char *const flatten_fields[] = {"separator", NULL};
static const char *const link_fields[] = {
    "from", "to", "name", "on", "when", "include", "exclude", "loop_guard",
    NULL};

static void load_param(bt_loader *ld, const bt_node *n, size_t idx) {
    bt_runbook *rb = ld->rb;
    char where[160];
    snprintf(where, sizeof where, "parameter #%zu", idx + 1);
    if (n->kind != BT_NODE_MAP) {
        bt__load_error(ld, n,
                       "each item of 'parameters' must be a map such as "
                       "{name: host, type: string}, not %s",
                       bt__kind_phrase(n->kind));
        return;
    }
    const bt_node *name = bt__text_field(ld, n, "name", where, true);
    if (name) snprintf(where, sizeof where, "parameter '%.100s'", name->str);
    bt__check_fields(ld, n, where, param_fields);
    if (!name) return;
    if (!bt__is_ident(name->str, false)) {
        bt__load_error(ld, name,
                       "parameter name '%.100s' is not valid: use letters, "
                       "digits and '_', starting with a letter or '_'",
                       name->str);
        return;
    }
    for (size_t i = 0; i < rb->n_params; i++)
        if (strcmp(rb->params[i].name, name->str) == 0) {
            bt__load_error(ld, name,
                           "parameter '%.100s' is defined twice (first at "
                           "line %d)",
                           name->str, rb->params[i].line);
            return;
        }
    bt_param_def *p = &rb->params[rb->n_params++];
    memset(p, 0, sizeof *p);
    p->name = bt__text_copy(name);
    p->line = n->line;
    p->column = n->column;
    const bt_node *type = bt__text_field(ld, n, "type", where, false);
    p->type = BT_TYPE_STRING;
    if (type) {
        const char *near = NULL;
        if (bt__value_type_parse(ld, type->str, &p->type, &near) != 0) {
            bt__load_error(ld, type,
                           "%s: unknown type '%.100s'%s%s%s (types: string, "
                           "integer, number, boolean, datetime)",
                           where, type->str, near ? "; did you mean '" : "",
                           near ? near : "", near ? "'?" : "");
            return; /* default and allowed cannot be checked */
        }
    }
    int req = bt__bool_field(ld, n, "required", where);
    p->required = req == 1;
    const bt_node *desc = bt__text_field(ld, n, "description", where, false);
    p->description = bt__text_copy(desc);
    const bt_node *allowed = bt_node_get(n, "allowed");
    if (allowed && allowed->kind != BT_NODE_NULL &&
        bt__expect_kind(ld, allowed, BT_NODE_SEQ, where, "allowed",
                    "a list of values")) {
        p->allowed = bt_xcalloc(allowed->count + 1, sizeof *p->allowed);
        for (size_t i = 0; i < allowed->count; i++) {
            const bt_node *it = allowed->items[i];
            if (it->kind != BT_NODE_SCALAR) {
                bt__load_error(ld, it,
                               "%s: each allowed value must be text, not %s",
                               where, bt__kind_phrase(it->kind));
                continue;
            }
            if (bt_value_check(p->type, it->str) != 0) {
                bt__load_error(ld, it,
                               "%s: allowed value '%.100s' is not %s (the "
                               "parameter's type is %s)",
                               where, it->str, bt__value_example(p->type),
                               bt_value_type_name(p->type));
                continue;
            }
            p->allowed[p->n_allowed++] = bt__text_copy(it);
        }
    }
    const bt_node *dflt = bt_node_get(n, "default");
    if (dflt && dflt->kind != BT_NODE_NULL) {
        if (!bt__expect_kind(ld, dflt, BT_NODE_SCALAR, where, "default",
                         "a single value"))
            return;
        if (bt_value_check(p->type, dflt->str) != 0) {
            bt__load_error(ld, dflt,
                           "%s: default '%.100s' is not %s (the parameter's "
                           "type is %s)",
                           where, dflt->str, bt__value_example(p->type),
                           bt_value_type_name(p->type));
            return;
        }
        p->has_default = true;
        p->default_value = bt__text_copy(dflt);
        if (!bt_param_allows(p, p->default_value))
            bt__load_error(ld, dflt,
                           "%s: default '%.100s' is not one of the allowed "
                           "values",
                           where, dflt->str);
    }
}

static void load_params(bt_loader *ld, const bt_node *list) {
    if (!list || list->kind == BT_NODE_NULL) return;
    if (!bt__expect_kind(ld, list, BT_NODE_SEQ, "", "parameters",
                     "a list of parameters"))
        return;
    if (list->count > BT_RUNBOOK_MAX_PARAMS) {
        bt__load_error(ld, list,
                       "the runbook has %zu parameters, over the limit of %d",
                       list->count, BT_RUNBOOK_MAX_PARAMS);
        return;
    }
    ld->rb->params = bt_xcalloc(list->count + 1, sizeof *ld->rb->params);
    for (size_t i = 0; i < list->count; i++)
        load_param(ld, list->items[i], i);
}

/* ---- activities -------------------------------------------------------- */

static void load_retry(bt_loader *ld, bt_activity_def *def, const bt_node *n,
                       const char *where) {
    if (!n || n->kind == BT_NODE_NULL) return;
    if (!bt__expect_kind(ld, n, BT_NODE_MAP, where, "retry",
                     "a map such as {max: 3, delay: 5s}"))
        return;
    char rwhere[200];
    snprintf(rwhere, sizeof rwhere, "%s: retry", where);
    bt__check_fields(ld, n, rwhere, retry_fields);
    def->retry.enabled = true;
    def->retry.max_attempts = 1;
    const bt_node *max = bt__text_field(ld, n, "max", rwhere, true);
    int64_t v;
    if (max) {
        if (!bt_parse_int64(max->str, &v) || v < 1 || v > 1000000)
            bt__load_error(ld, max,
                           "%s: 'max' must be a whole number of attempts "
                           "from 1 to 1000000, not '%.100s'",
                           rwhere, max->str);
        else
            def->retry.max_attempts = (unsigned)v;
    }
    bt__duration_field(ld, n, "delay", rwhere, &def->retry.delay_ms);
    const bt_node *until = bt_node_get(n, "until");
    if (until) {
        char uwhere[220];
        snprintf(uwhere, sizeof uwhere, "%s 'until'", rwhere);
        def->retry.until = bt__parse_condition(ld, until, uwhere);
    }
}

static void load_flatten(bt_loader *ld, bt_activity_def *def,
                         const bt_node *n, const char *where) {
    if (!n || n->kind == BT_NODE_NULL) return;
    if (n->kind == BT_NODE_SCALAR) {
        bool v;
        if (!bt_parse_bool(n->str, &v)) {
            bt__load_error(ld, n,
                           "%s: 'flatten' must be true, false or "
                           "{separator: \", \"}, not '%.100s'",
                           where, n->str);
            return;
        }
        def->flatten = v;
        if (v) def->flatten_separator = bt_xstrdup("\n");
        return;
    }
    if (!bt__expect_kind(ld, n, BT_NODE_MAP, where, "flatten",
                     "true, false or a map such as {separator: \", \"}"))
        return;
    char fwhere[200];
    snprintf(fwhere, sizeof fwhere, "%s: flatten", where);
    bt__check_fields(ld, n, fwhere, flatten_fields);
    const bt_node *sep = bt_node_get(n, "separator");
    def->flatten = true;
    if (sep && sep->kind == BT_NODE_SCALAR)
        def->flatten_separator = bt__text_copy(sep);
    else if (sep && sep->kind != BT_NODE_NULL)
        bt__expect_kind(ld, sep, BT_NODE_SCALAR, fwhere, "separator", "text");
    else
        def->flatten_separator = bt_xstrdup(sep ? "" : "\n");
    if (!def->flatten_separator) def->flatten_separator = bt_xstrdup("\n");
}

/* One coordinate of a position: a whole number of pixels, so a file moved
 * between designers draws the same. */
static bool load_coordinate(bt_loader *ld, const bt_node *map,
                            const char *key, const char *where, int *out) {
    const bt_node *n = bt_node_get(map, key);
    if (!n || n->kind == BT_NODE_NULL) {
        bt__load_error(ld, n ? n : map, "%s: '%s' is required", where, key);
        return false;
    }
    int64_t v;
    if (n->kind != BT_NODE_SCALAR || !bt_parse_int64(n->str, &v) || v < 0 ||
        v > BT_RUNBOOK_MAX_POSITION) {
        if (n->kind == BT_NODE_SCALAR)
            bt__load_error(ld, n,
                           "%s: '%s' must be a whole number of pixels from 0 "
                           "to %d, not '%.100s'",
                           where, key, BT_RUNBOOK_MAX_POSITION, n->str);
        else
            bt__load_error(ld, n,
                           "%s: '%s' must be a whole number of pixels from 0 "
                           "to %d, not %s",
                           where, key, BT_RUNBOOK_MAX_POSITION,
                           bt__kind_phrase(n->kind));
        return false;
    }
    *out = (int)v;
    return true;
}

/* Where the designer draws the activity. Only the designer reads it; it is
 * checked so that a hand-edited file cannot hide a typo in it. */
static void load_position(bt_loader *ld, bt_activity_def *def,
                          const bt_node *n, const char *where) {
    if (!n || n->kind == BT_NODE_NULL) return;
    if (!bt__expect_kind(ld, n, BT_NODE_MAP, where, "position",
                         "a map such as {x: 120, y: 80}"))
        return;
    char pwhere[200];
    snprintf(pwhere, sizeof pwhere, "%s: position", where);
    bt__check_fields(ld, n, pwhere, position_fields);
    int x = 0, y = 0;
    bool ok_x = load_coordinate(ld, n, "x", pwhere, &x);
    bool ok_y = load_coordinate(ld, n, "y", pwhere, &y);
    if (!ok_x || !ok_y) return;
    def->has_position = true;
    def->x = x;
    def->y = y;
}

static void suggest_type(bt_loader *ld, const bt_node *type,
                         const char *where) {
    const char **names = bt_xcalloc(ld->n_types + 1, sizeof *names);
    for (size_t i = 0; i < ld->n_types; i++)
        names[i] = ld->types[i] ? ld->types[i]->name : NULL;
    const char *near = bt__closest(ld, type->str, names, ld->n_types);
    if (near)
        bt__load_error(ld, type,
                       "%s: unknown activity type '%.100s'; did you mean "
                       "'%s'?",
                       where, type->str, near);
    else
        bt__load_error(ld, type,
                       "%s: unknown activity type '%.100s' (`baton "
                       "activities` lists the types)",
                       where, type->str);
    free(names);
}

static void load_activity(bt_loader *ld, const bt_node *n, size_t pos) {
    bt_runbook *rb = ld->rb;
    int errors_at_start = ld->errors;
    char where[160];
    snprintf(where, sizeof where, "activity #%zu", pos + 1);
    if (n->kind != BT_NODE_MAP) {
        bt__load_error(ld, n,
                       "each item of 'activities' must be a map such as "
                       "{id: start, type: initialize-data}, not %s",
                       bt__kind_phrase(n->kind));
        return;
    }
    const bt_node *id = bt__text_field(ld, n, "id", where, true);
    if (id) snprintf(where, sizeof where, "activity '%.100s'", id->str);
    bt__check_fields(ld, n, where, activity_fields);
    const bt_node *type = bt__text_field(ld, n, "type", where, true);
    if (!id) return;
    if (!bt__is_ident(id->str, true))
        bt__load_error(ld, id,
                       "activity id '%.100s' is not valid: use letters, "
                       "digits, '_' and '-', starting with a letter or '_'",
                       id->str);
    for (size_t i = 0; i < rb->n_activities; i++)
        if (strcmp(rb->activities[i].id, id->str) == 0) {
            bt__load_error(ld, id,
                           "activity id '%.100s' is used twice (first at line "
                           "%d)",
                           id->str, rb->activities[i].line);
            return;
        }
    size_t idx = rb->n_activities++;
    bt_activity_def *def = &rb->activities[idx];
    memset(def, 0, sizeof *def);
    ld->activity_nodes[idx] = n;
    def->index = idx;
    def->id = bt__text_copy(id);
    def->line = n->line;
    def->column = n->column;
    const bt_node *name = bt__text_field(ld, n, "name", where, false);
    def->name = name ? bt__text_copy(name) : bt_xstrdup(def->id);
    if (type) {
        def->type_name = bt__text_copy(type);
        def->type = bt__find_type(ld, type->str);
        if (!def->type) suggest_type(ld, type, where);
    }
    load_retry(ld, def, bt_node_get(n, "retry"), where);
    load_flatten(ld, def, bt_node_get(n, "flatten"), where);
    bt__duration_field(ld, n, "timeout", where, &def->timeout_ms);
    load_position(ld, def, bt_node_get(n, "position"), where);
    def->publishes = bt__name_list(ld, bt_node_get(n, "publishes"), where,
                               "publishes", &def->n_publishes);
    const bt_node *props = bt_node_get(n, "properties");
    if (props && props->kind != BT_NODE_NULL &&
        !bt__expect_kind(ld, props, BT_NODE_MAP, where, "properties",
                     "a map of property names to values"))
        props = NULL;
    if (props && props->kind == BT_NODE_NULL) props = NULL;
    bt__load_properties(ld, def, props);
    ld->activity_errors[idx] = ld->errors - errors_at_start;
}

typedef struct id_ref {
    const char *id;
    size_t index;
} id_ref;

static int id_ref_cmp(const void *a, const void *b) {
    return strcmp(((const id_ref *)a)->id, ((const id_ref *)b)->id);
}

/* Links and references look activities up by id; with thousands of each a
 * linear search would be the slowest part of a load. */
static void sort_ids(bt_loader *ld) {
    bt_runbook *rb = ld->rb;
    id_ref *refs = bt_xcalloc(rb->n_activities + 1, sizeof *refs);
    for (size_t i = 0; i < rb->n_activities; i++)
        refs[i] = (id_ref){rb->activities[i].id, i};
    qsort(refs, rb->n_activities, sizeof *refs, id_ref_cmp);
    ld->by_id = bt_xcalloc(rb->n_activities + 1, sizeof *ld->by_id);
    for (size_t i = 0; i < rb->n_activities; i++) ld->by_id[i] = refs[i].index;
    free(refs);
}

static void load_activities(bt_loader *ld, const bt_node *list,
                            const bt_node *root) {
    if (!list || list->kind == BT_NODE_NULL) {
        bt__load_error(ld, list ? list : root,
                       "'activities' is required: a runbook needs at least "
                       "one activity");
        return;
    }
    if (!bt__expect_kind(ld, list, BT_NODE_SEQ, "", "activities",
                     "a list of activities"))
        return;
    size_t n = list->count;
    if (n == 0) {
        bt__load_error(ld, list, "'activities' is empty: a runbook needs at "
                                 "least one activity");
        return;
    }
    if (n > BT_RUNBOOK_MAX_ACTIVITIES) {
        bt__load_error(ld, list,
                       "the runbook has %zu activities, over the limit of %d",
                       n, BT_RUNBOOK_MAX_ACTIVITIES);
        return;
    }
    ld->rb->activities = bt_xcalloc(n, sizeof *ld->rb->activities);
    ld->activity_nodes = bt_xcalloc(n, sizeof *ld->activity_nodes);
    ld->activity_errors = bt_xcalloc(n, sizeof *ld->activity_errors);
    for (size_t i = 0; i < n; i++) load_activity(ld, list->items[i], i);
    sort_ids(ld);
}

/* ---- links ------------------------------------------------------------- */

/* The conditions of one link key, with the node each one came from. */
typedef struct cond_list {
    bt_cond **conds;
    const bt_node **nodes;
    size_t n;
} cond_list;

static void link_conditions(bt_loader *ld, const bt_node *n, const char *key,
                            const char *where, cond_list *out) {
    if (!n || n->kind == BT_NODE_NULL) return;
    char cwhere[220];
    snprintf(cwhere, sizeof cwhere, "%s '%s'", where, key);
    if (n->kind == BT_NODE_MAP) {
        bt__expect_kind(ld, n, BT_NODE_SEQ, where, key, "a list of conditions");
        return;
    }
    size_t total = n->kind == BT_NODE_SEQ ? n->count : 1;
    out->conds = bt_xrealloc(out->conds, (out->n + total + 1) * sizeof *out->conds);
    out->nodes = bt_xrealloc(out->nodes, (out->n + total + 1) * sizeof *out->nodes);
    for (size_t i = 0; i < total; i++) {
        const bt_node *it = n->kind == BT_NODE_SEQ ? n->items[i] : n;
        bt_cond *c = bt__parse_condition(ld, it, cwhere);
        if (!c) continue;
        out->conds[out->n] = c;
        out->nodes[out->n++] = it;
    }
}

static unsigned parse_on(bt_loader *ld, const bt_node *n, const char *where) {
    if (!n || n->kind == BT_NODE_NULL) return BT_ON_SUCCESS;
    if (n->kind == BT_NODE_MAP || (n->kind == BT_NODE_SEQ && !n->count)) {
        bt__load_error(ld, n,
                       "%s: 'on' must be success, warning, failed, any or a "
                       "list of these",
                       where);
        return BT_ON_SUCCESS;
    }
    unsigned mask = 0;
    size_t total = n->kind == BT_NODE_SEQ ? n->count : 1;
    for (size_t i = 0; i < total; i++) {
        const bt_node *it = n->kind == BT_NODE_SEQ ? n->items[i] : n;
        bt_result r;
        if (it->kind == BT_NODE_SCALAR && strcmp(it->str, "any") == 0)
            mask |= BT_ON_SUCCESS | BT_ON_WARNING | BT_ON_FAILED;
        else if (it->kind == BT_NODE_SCALAR &&
                 bt_result_parse(it->str, &r) == 0)
            mask |= 1u << r;
        else
            bt__load_error(ld, it,
                           "%s: 'on' value '%.100s' is not success, warning, "
                           "failed or any",
                           where, it->kind == BT_NODE_SCALAR ? it->str : "");
    }
    return mask ? mask : BT_ON_SUCCESS;
}

static size_t link_end(bt_loader *ld, const bt_node *n, const char *which,
                       const char *where) {
    const bt_node *v = bt__text_field(ld, n, which, where, true);
    if (!v) return SIZE_MAX;
    size_t idx = bt__activity_index(ld, v->str);
    if (idx == SIZE_MAX)
        bt__load_error(ld, v, "%s: no activity named '%.100s'", where,
                       v->str);
    return idx;
}

static void load_link(bt_loader *ld, const bt_node *n, size_t pos) {
    bt_runbook *rb = ld->rb;
    char where[260];
    snprintf(where, sizeof where, "link #%zu", pos + 1);
    if (n->kind != BT_NODE_MAP) {
        bt__load_error(ld, n,
                       "each item of 'links' must be a map such as {from: a, "
                       "to: b}, not %s",
                       bt__kind_phrase(n->kind));
        return;
    }
    const bt_node *from = bt_node_get(n, "from"), *to = bt_node_get(n, "to");
    if (from && to && from->kind == BT_NODE_SCALAR &&
        to->kind == BT_NODE_SCALAR)
        snprintf(where, sizeof where, "link '%.100s' -> '%.100s'", from->str,
                 to->str);
    bt__check_fields(ld, n, where, link_fields);
    size_t f = link_end(ld, n, "from", where);
    size_t t = link_end(ld, n, "to", where);
    bt_link_def link;
    memset(&link, 0, sizeof link);
    link.from = f;
    link.to = t;
    link.line = n->line;
    link.column = n->column;
    link.name = bt__text_copy(bt__text_field(ld, n, "name", where, false));
    link.on_mask = parse_on(ld, bt_node_get(n, "on"), where);
    cond_list inc = {0}, exc = {0};
    link_conditions(ld, bt_node_get(n, "when"), "when", where, &inc);
    link_conditions(ld, bt_node_get(n, "include"), "include", where, &inc);
    link_conditions(ld, bt_node_get(n, "exclude"), "exclude", where, &exc);
    link.include = inc.conds;
    link.n_include = inc.n;
    link.exclude = exc.conds;
    link.n_exclude = exc.n;
    const bt_node **cond_nodes =
        bt_xcalloc(inc.n + exc.n + 1, sizeof *cond_nodes);
    if (inc.n) memcpy(cond_nodes, inc.nodes, inc.n * sizeof *cond_nodes);
    if (exc.n)
        memcpy(cond_nodes + inc.n, exc.nodes, exc.n * sizeof *cond_nodes);
    free(inc.nodes);
    free(exc.nodes);
    const bt_node *guard = bt__text_field(ld, n, "loop_guard", where, false);
    int64_t g;
    if (guard) {
        if (!bt_parse_int64(guard->str, &g) || g < 1 || g > 1000000)
            bt__load_error(ld, guard,
                           "%s: 'loop_guard' must be a whole number from 1 "
                           "to 1000000 (how often the link may fire), not "
                           "'%.100s'",
                           where, guard->str);
        else
            link.loop_guard = (unsigned)g;
    }
    if (f != SIZE_MAX && f == t && !link.loop_guard && !guard)
        bt__load_error(ld, n,
                       "%s links an activity to itself; add loop_guard to "
                       "allow the loop",
                       where);
    if (f == SIZE_MAX || t == SIZE_MAX) {
        /* Keep nothing of a link that points nowhere. */
        free(link.name);
        for (size_t i = 0; i < link.n_include; i++)
            bt_cond_free(link.include[i]);
        for (size_t i = 0; i < link.n_exclude; i++)
            bt_cond_free(link.exclude[i]);
        free(link.include);
        free(link.exclude);
        free(cond_nodes);
        return;
    }
    ld->link_cond_nodes[rb->n_links] = cond_nodes;
    ld->link_nodes[rb->n_links] = n;
    rb->links[rb->n_links++] = link;
}

static void load_links(bt_loader *ld, const bt_node *list) {
    if (!list || list->kind == BT_NODE_NULL) return;
    if (!bt__expect_kind(ld, list, BT_NODE_SEQ, "", "links", "a list of links"))
        return;
    if (list->count > BT_RUNBOOK_MAX_LINKS) {
        bt__load_error(ld, list,
                       "the runbook has %zu links, over the limit of %d",
                       list->count, BT_RUNBOOK_MAX_LINKS);
        return;
    }
    ld->rb->links = bt_xcalloc(list->count + 1, sizeof *ld->rb->links);
    ld->link_nodes = bt_xcalloc(list->count + 1, sizeof *ld->link_nodes);
    ld->link_cond_nodes =
        bt_xcalloc(list->count + 1, sizeof *ld->link_cond_nodes);
    for (size_t i = 0; i < list->count; i++)
        load_link(ld, list->items[i], i);
}

/* ---- the whole runbook ------------------------------------------------- */

static void load_root(bt_loader *ld, const bt_node *root) {
    bt_runbook *rb = ld->rb;
    if (!root || root->kind == BT_NODE_NULL) {
        bt__load_error_at(ld, 1, 1,
                          "the file is empty; a runbook needs at least "
                          "'name' and 'activities'");
        return;
    }
    if (root->kind != BT_NODE_MAP) {
        bt__load_error(ld, root,
                       "a runbook must be a map with 'name' and "
                       "'activities', not %s",
                       bt__kind_phrase(root->kind));
        return;
    }
    bt__check_fields(ld, root, "runbook", root_fields);
    const bt_node *name = bt__text_field(ld, root, "name", "runbook", true);
    rb->name = name ? bt__text_copy(name) : bt_xstrdup("");
    const bt_node *folder = bt__text_field(ld, root, "folder", "runbook", false);
    if (folder && folder->str[0] != '/')
        bt__load_error(ld, folder,
                       "runbook: 'folder' must be a path starting with '/', "
                       "such as /Operations/Web, not '%.100s'",
                       folder->str);
    rb->folder = folder ? bt__text_copy(folder) : bt_xstrdup("/");
    rb->description =
        bt__text_copy(bt__text_field(ld, root, "description", "runbook", false));
    load_params(ld, bt_node_get(root, "parameters"));
    rb->returns = bt__name_list(ld, bt_node_get(root, "returns"), "runbook",
                            "returns", &rb->n_returns);
    load_activities(ld, bt_node_get(root, "activities"), root);
    load_links(ld, bt_node_get(root, "links"));
}

/* Type-specific checks run last, on a model whose structure is sound; an
 * activity whose own definition already had errors is skipped because its
 * check could only repeat them. */
static void run_type_checks(bt_loader *ld) {
    bt_runbook *rb = ld->rb;
    for (size_t i = 0; i < rb->n_activities; i++) {
        bt_activity_def *def = &rb->activities[i];
        if (!def->type || !def->type->check || ld->activity_errors[i])
            continue;
        size_t before = ld->diags->count + (size_t)ld->diags->dropped;
        int rc = def->type->check(def, rb, ld->diags);
        size_t added = ld->diags->count + (size_t)ld->diags->dropped - before;
        if (added) ld->errors += (int)added;
        else if (rc < 0) {
            bt__load_error(ld, ld->activity_nodes[i],
                           "activity '%s' (%s): definition is not valid",
                           def->id, def->type->name);
        }
    }
}

int bt__runbook_load_doc(bt_doc *doc, const bt_activity_type *const *types,
                         size_t n_types, bt_runbook **out, bt_diags *diags) {
    *out = NULL;
    bt_diags local;
    bt_diags_init(&local);
    bt_loader ld = {0};
    ld.diags = diags ? diags : &local;
    ld.suggest_budget = BT_LOADER_SUGGEST_BUDGET;
    ld.types = types;
    ld.n_types = n_types;
    bt_runbook *rb = bt_xcalloc(1, sizeof *rb);
    rb->doc = doc;
    rb->file = bt_xstrdup(doc->file);
    ld.rb = rb;

    load_root(&ld, doc->root);
    bt__build_graph(&ld);
    run_type_checks(&ld);
    bt__check_references(&ld);
    for (size_t i = 0; ld.link_cond_nodes && i < rb->n_links; i++)
        free(ld.link_cond_nodes[i]);
    free(ld.link_cond_nodes);
    free(ld.by_id);
    free(ld.link_nodes);
    free(ld.activity_nodes);
    free(ld.activity_errors);
    bt_diags_free(&local);
    if (ld.errors) {
        bt_runbook_free(rb);
        return -BT_EINVAL;
    }
    *out = rb;
    return 0;
}

static int load_with_registry(bt_doc *doc, const bt_registry *reg,
                              bt_runbook **out, bt_diags *diags) {
    size_t n = bt_registry_count(reg), m = 0;
    const bt_activity_type **types = bt_xcalloc(n + 1, sizeof *types);
    for (size_t i = 0; i < n; i++) /* a removed pack activity gives NULL */
        if ((types[m] = bt_registry_at(reg, i))) m++;
    int rc = bt__runbook_load_doc(doc, types, m, out, diags);
    free(types);
    return rc;
}

static int doc_failed(bt_diags *diags, const bt_error *err) {
    if (diags) bt_diags_add_error(diags, err);
    return -(err->code ? err->code : BT_EINVAL);
}

int bt_runbook_load_file(const char *path, const bt_registry *reg,
                         bt_runbook **out, bt_diags *diags) {
    *out = NULL;
    bt_doc *doc;
    bt_error err;
    bt_error_clear(&err);
    if (bt_doc_parse_file(path, &doc, &err) != 0)
        return doc_failed(diags, &err);
    return load_with_registry(doc, reg, out, diags);
}

int bt_runbook_load_string(const char *name, const char *text, size_t len,
                           const bt_registry *reg, bt_runbook **out,
                           bt_diags *diags) {
    *out = NULL;
    bt_doc *doc;
    bt_error err;
    bt_error_clear(&err);
    if (bt_doc_parse_string(name, text, len, &doc, &err) != 0)
        return doc_failed(diags, &err);
    return load_with_registry(doc, reg, out, diags);
}

int bt__runbook_load_string_types(const char *name, const char *text,
                                  size_t len,
                                  const bt_activity_type *const *types,
                                  size_t n_types, bt_runbook **out,
                                  bt_diags *diags) {
    *out = NULL;
    bt_doc *doc;
    bt_error err;
    bt_error_clear(&err);
    if (bt_doc_parse_string(name, text, len, &doc, &err) != 0)
        return doc_failed(diags, &err);
    return bt__runbook_load_doc(doc, types, n_types, out, diags);
}

/* ---- freeing and lookups ---------------------------------------------- */

void bt_runbook_free(bt_runbook *rb) {
    if (!rb) return;
    for (size_t i = 0; i < rb->n_params; i++) {
        bt_param_def *p = &rb->params[i];
        free(p->name);
        free(p->default_value);
        free(p->description);
        bt__free_strv(p->allowed, p->n_allowed);
    }
    free(rb->params);
    for (size_t i = 0; i < rb->n_activities; i++) {
        bt_activity_def *d = &rb->activities[i];
        free(d->id);
        free(d->name);
        free(d->type_name);
        bt_cond_free(d->retry.until);
        free(d->flatten_separator);
        bt__free_strv(d->publishes, d->n_publishes);
        free(d->links_out);
        free(d->links_in);
    }
    free(rb->activities);
    for (size_t i = 0; i < rb->n_links; i++) {
        bt_link_def *l = &rb->links[i];
        free(l->name);
        for (size_t k = 0; k < l->n_include; k++) bt_cond_free(l->include[k]);
        for (size_t k = 0; k < l->n_exclude; k++) bt_cond_free(l->exclude[k]);
        free(l->include);
        free(l->exclude);
    }
    free(rb->links);
    bt__free_strv(rb->returns, rb->n_returns);
    free(rb->upstream);
    if (rb->doc) bt__free_compiled(rb->doc->root);
    bt_doc_free(rb->doc);
    free(rb->file);
    free(rb->name);
    free(rb->folder);
    free(rb->description);
    free(rb);
}

size_t bt_runbook_index(const bt_runbook *rb, const char *id) {
    if (!rb || !id) return SIZE_MAX;
    for (size_t i = 0; i < rb->n_activities; i++)
        if (strcmp(rb->activities[i].id, id) == 0) return i;
    return SIZE_MAX;
}

const bt_activity_def *bt_runbook_find(const bt_runbook *rb, const char *id) {
    size_t i = bt_runbook_index(rb, id);
    return i == SIZE_MAX ? NULL : &rb->activities[i];
}

bool bt_runbook_is_upstream(const bt_runbook *rb, size_t ancestor,
                            size_t activity) {
    if (!rb || !rb->upstream || ancestor >= rb->n_activities ||
        activity >= rb->n_activities)
        return false;
    return rb->upstream[activity * rb->n_activities + ancestor] != 0;
}
