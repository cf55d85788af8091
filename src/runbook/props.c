/* Activity properties: checked against the type's property table and
 * compiled into templates once, so the engine only expands them.
 *
 * Values with {references} are known only at run time; literal values are
 * checked here so a typo in a number fails at load, not at 3 a.m. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/template.h"
#include "runbook/load_internal.h"

/* Compiles every scalar under n (values only: map keys are names). */
static void compile_tree(bt_loader *ld, bt_node *n, const char *where) {
    if (n->kind == BT_NODE_SCALAR) {
        if (n->compiled) return;
        bt_template *t = NULL;
        bt_error err;
        bt_error_clear(&err);
        if (bt_template_compile(n->str, n->len, &t, &err) != 0) {
            bt__load_error(ld, n, "%s: %s", where,
                           err.message[0] ? err.message : "invalid text");
            return;
        }
        n->compiled = t;
        return;
    }
    for (size_t i = 0; i < n->count; i++) compile_tree(ld, n->items[i], where);
}

void bt__free_compiled(bt_node *n) {
    if (!n) return;
    if (n->kind == BT_NODE_SCALAR) {
        bt_template_free(n->compiled);
        n->compiled = NULL;
        return;
    }
    for (size_t i = 0; i < n->count; i++) bt__free_compiled(n->items[i]);
}

static const bt_prop_spec *find_spec(const bt_activity_type *type,
                                     const char *name) {
    const bt_prop_spec *wild = NULL;
    for (const bt_prop_spec *s = type->props; s && s->name; s++) {
        if (strcmp(s->name, name) == 0) return s;
        if (strcmp(s->name, "*") == 0) wild = s;
    }
    return wild;
}

static const char *kind_expectation(bt_prop_kind k) {
    switch (k) {
    case BT_PROP_STRING: return "text";
    case BT_PROP_INTEGER: return "an integer such as 42";
    case BT_PROP_NUMBER: return "a number such as 1.5";
    case BT_PROP_BOOLEAN: return "true or false";
    case BT_PROP_DURATION: return "a duration such as 500ms, 30s or 2m";
    case BT_PROP_LIST: return "a list of values";
    case BT_PROP_MAP: return "a map of names to values";
    }
    return "a value";
}

static bool literal_ok(bt_prop_kind k, const char *s) {
    int64_t i;
    double d;
    bool b;
    uint64_t ms;
    switch (k) {
    case BT_PROP_INTEGER: return bt_parse_int64(s, &i);
    case BT_PROP_NUMBER: return bt_parse_double(s, &d);
    case BT_PROP_BOOLEAN: return bt_parse_bool(s, &b);
    case BT_PROP_DURATION: return bt_duration_parse(s, &ms) == 0;
    default: return true;
    }
}

static bool in_choices(const char *const *choices, const char *s) {
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(choices[i], s) == 0) return true;
    return false;
}

static void list_choices(const char *const *choices, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; choices[i] && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 i ? ", " : "", choices[i]);
}

/* One scalar value of a property: its literal form, when it has no
 * references, must be of the property's kind and among its choices. */
static void check_scalar(bt_loader *ld, const bt_node *v,
                         const bt_prop_spec *spec, bt_prop_kind kind,
                         const char *where) {
    if (v->kind != BT_NODE_SCALAR || !v->compiled) return;
    const bt_template *t = v->compiled;
    if (!bt_template_is_literal(t)) return;
    const char *lit = bt_template_literal(t);
    if (!literal_ok(kind, lit)) {
        bt__load_error(ld, v, "%s must be %s, not '%.100s'", where,
                       kind_expectation(kind), lit);
        return;
    }
    if (spec->choices && !in_choices(spec->choices, lit)) {
        char choices[256];
        list_choices(spec->choices, choices, sizeof choices);
        size_t n = 0;
        while (spec->choices[n]) n++;
        const char *near = bt__closest(ld, lit, spec->choices, n);
        if (near)
            bt__load_error(ld, v,
                           "%s: '%.100s' is not one of %s; did you mean "
                           "'%s'?",
                           where, lit, choices, near);
        else
            bt__load_error(ld, v, "%s: '%.100s' is not one of %s", where, lit,
                           choices);
    }
}

static void check_value(bt_loader *ld, bt_node *v, const bt_prop_spec *spec,
                        const char *where) {
    bt_prop_kind kind = spec->kind;
    switch (kind) {
    case BT_PROP_STRING:
    case BT_PROP_INTEGER:
    case BT_PROP_NUMBER:
    case BT_PROP_BOOLEAN:
    case BT_PROP_DURATION:
        if (v->kind == BT_NODE_SEQ || v->kind == BT_NODE_MAP) {
            bt__load_error(ld, v, "%s must be %s, not %s", where,
                           kind_expectation(kind), bt__kind_phrase(v->kind));
            return;
        }
        compile_tree(ld, v, where);
        check_scalar(ld, v, spec, kind, where);
        return;
    case BT_PROP_LIST:
        if (v->kind == BT_NODE_MAP) {
            bt__load_error(ld, v, "%s must be a list of values, not a map",
                           where);
            return;
        }
        if (v->kind == BT_NODE_SEQ) {
            for (size_t i = 0; i < v->count; i++) {
                bt_node *it = v->items[i];
                /* A list of maps is a list of records (Map Published Data's
                 * rules): the type's check validates their shape. */
                if (it->kind == BT_NODE_MAP) {
                    compile_tree(ld, it, where);
                    continue;
                }
                if (it->kind == BT_NODE_SEQ) {
                    bt__load_error(ld, it,
                                   "%s: each item must be a single value, "
                                   "not %s",
                                   where, bt__kind_phrase(it->kind));
                    continue;
                }
                compile_tree(ld, it, where);
                check_scalar(ld, it, spec, BT_PROP_STRING, where);
            }
            return;
        }
        compile_tree(ld, v, where);
        check_scalar(ld, v, spec, BT_PROP_STRING, where);
        return;
    case BT_PROP_MAP:
        if (v->kind == BT_NODE_NULL) return;
        if (v->kind != BT_NODE_MAP) {
            bt__load_error(ld, v, "%s must be a map of names to values, not %s",
                           where, bt__kind_phrase(v->kind));
            return;
        }
        for (size_t i = 0; i < v->count; i++) {
            bt_node *it = v->items[i];
            if (it->kind == BT_NODE_SEQ || it->kind == BT_NODE_MAP) {
                bt__load_error(ld, it,
                               "%s: the value of '%.100s' must be a single "
                               "value, not %s",
                               where, v->keys[i]->str,
                               bt__kind_phrase(it->kind));
                continue;
            }
            compile_tree(ld, it, where);
        }
        return;
    }
}

static void unknown_property(bt_loader *ld, const bt_activity_def *def,
                             const bt_node *key, const char *where) {
    const bt_activity_type *type = def->type;
    size_t n = 0;
    while (type->props && type->props[n].name) n++;
    const char **names = bt_xcalloc(n + 1, sizeof *names);
    char valid[300];
    size_t used = 0;
    valid[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        names[i] = type->props[i].name;
        if (used < sizeof valid)
            used += (size_t)snprintf(valid + used, sizeof valid - used,
                                     "%s%s", i ? ", " : "", names[i]);
    }
    const char *near = bt__closest(ld, key->str, names, n);
    if (!n)
        bt__load_error(ld, key,
                       "%s: unknown property '%.100s'; %s takes no properties",
                       where, key->str, type->name);
    else if (near)
        bt__load_error(ld, key,
                       "%s: unknown property '%.100s'; did you mean '%s'? "
                       "(properties of %s: %s)",
                       where, key->str, near, type->name, valid);
    else
        bt__load_error(ld, key,
                       "%s: unknown property '%.100s' (properties of %s: %s)",
                       where, key->str, type->name, valid);
    free(names);
}

void bt__load_properties(bt_loader *ld, bt_activity_def *def,
                         const bt_node *props) {
    char where[200];
    const bt_activity_type *type = def->type;
    def->properties = props;
    if (type)
        snprintf(where, sizeof where, "activity '%.80s' (%s)", def->id,
                 type->name);
    else
        snprintf(where, sizeof where, "activity '%.80s'", def->id);
    /* The node tree is the runbook's own; compiled templates hang off it
     * and are freed with the runbook. */
    bt_node *map = (bt_node *)props;
    if (map && map->count > BT_RUNBOOK_MAX_PROPERTIES) {
        bt__load_error(ld, map, "%s: %zu properties, over the limit of %d",
                       where, map->count, BT_RUNBOOK_MAX_PROPERTIES);
        def->properties = NULL;
        return;
    }
    for (size_t i = 0; map && i < map->count; i++) {
        const bt_node *key = map->keys[i];
        char pwhere[330];
        snprintf(pwhere, sizeof pwhere, "%s: property '%.100s'", where,
                 key->str);
        if (!type) {
            /* Unknown type (reported already): still compile so that the
             * references in it are checked. */
            compile_tree(ld, map->items[i], pwhere);
            continue;
        }
        const bt_prop_spec *spec = find_spec(type, key->str);
        if (!spec) {
            unknown_property(ld, def, key, where);
            continue;
        }
        check_value(ld, map->items[i], spec, pwhere);
    }
    if (!type) return;
    for (const bt_prop_spec *s = type->props; s && s->name; s++) {
        if (!s->required || strcmp(s->name, "*") == 0) continue;
        const bt_node *v = bt_node_get(props, s->name);
        if (!v)
            bt__load_error(ld, ld->activity_nodes[def->index],
                           "%s: required property '%s' is missing", where,
                           s->name);
        else if (v->kind == BT_NODE_NULL ||
                 (v->kind == BT_NODE_SEQ && v->count == 0))
            bt__load_error(ld, v, "%s: required property '%s' is empty",
                           where, s->name);
    }
}
