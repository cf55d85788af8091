/* Map Published Data: publishes fields computed from upstream data. Each
 * field of `map` has a default value; `rules` can override it when a
 * condition holds, the first matching rule for a field winning, which is
 * how Orchestrator's mapping table of "if this, publish that" reads. */
#include <stdio.h>
#include <string.h>

#include "baton/activity.h"
#include "common/util.h"
#include "engine/compare.h"
#include "engine/cond.h"
#include "runbook/runbook.h"

static const char *const common_fields[] = {BT_COMMON_FIELDS};

static const bt_prop_spec props[] = {
    {"map", BT_PROP_MAP, true, NULL,
     "Each key is a field to publish; its value (with {references}) is "
     "published unless a rule for that field matches.",
     NULL},
    {"rules", BT_PROP_LIST, false, NULL,
     "A list of {field, when, value}: when the condition `when` holds, "
     "`field` gets `value`. Rules are tried in order; the first that "
     "matches for a field wins.",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {NULL};

static bool publishes_field(const bt_activity_def *def, const bt_runbook *rb,
                            const char *field) {
    (void)rb;
    const bt_node *map = bt_node_get(def->properties, "map");
    return map && map->kind == BT_NODE_MAP && bt_node_get(map, field);
}

/* ---- load-time checks ------------------------------------------------- */

static bool is_field_name(const char *s) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int check_map(const bt_activity_def *def, const bt_runbook *rb,
                     const bt_node *map, bt_diags *diags) {
    int rc = 0;
    for (size_t i = 0; i < map->count; i++) {
        const bt_node *k = map->keys[i];
        if (!is_field_name(k->str)) {
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, k->line, k->column,
                              "map-published-data '%s': '%.80s' is not a "
                              "field name (letters, digits and _, not "
                              "starting with a digit)",
                              def->id, k->str);
            continue;
        }
        for (size_t c = 0; c < BT_ARRAY_LEN(common_fields); c++)
            if (strcmp(k->str, common_fields[c]) == 0)
                rc = bt_diags_add(diags, BT_EINVAL, rb->file, k->line,
                                  k->column,
                                  "map-published-data '%s': '%s' is a field "
                                  "every activity publishes; choose another "
                                  "name",
                                  def->id, k->str);
    }
    return rc;
}

/* Where in the file column col (1-based, of the condition text) is. */
static int text_column(const bt_node *n, int col) {
    if (col < 1 || memchr(n->str, '\n', (size_t)col - 1 < n->len
                                            ? (size_t)col - 1
                                            : n->len))
        return n->column;
    return n->column + (n->quoted ? 1 : 0) + col - 1;
}

static int check_rule(const bt_activity_def *def, const bt_runbook *rb,
                      const bt_node *map, const bt_node *rule, size_t nth,
                      bt_diags *diags) {
    const char *id = def->id;
    if (rule->kind != BT_NODE_MAP)
        return bt_diags_add(diags, BT_EINVAL, rb->file, rule->line,
                            rule->column,
                            "map-published-data '%s': rule %zu must be a map "
                            "{field, when, value}",
                            id, nth);
    int rc = 0;
    for (size_t i = 0; i < rule->count; i++) {
        const bt_node *k = rule->keys[i];
        if (strcmp(k->str, "field") && strcmp(k->str, "when") &&
            strcmp(k->str, "value"))
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, k->line, k->column,
                              "map-published-data '%s': rule %zu: unknown "
                              "key '%.60s' (a rule has field, when and value)",
                              id, nth, k->str);
        else if (rule->items[i]->kind == BT_NODE_SEQ ||
                 rule->items[i]->kind == BT_NODE_MAP)
            rc = bt_diags_add(diags, BT_EINVAL, rb->file,
                              rule->items[i]->line, rule->items[i]->column,
                              "map-published-data '%s': rule %zu: '%s' must "
                              "be a single value",
                              id, nth, k->str);
    }
    if (rc) return rc;
    static const char *const required[] = {"field", "when", "value"};
    for (size_t i = 0; i < BT_ARRAY_LEN(required); i++)
        if (!bt_node_get(rule, required[i]))
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, rule->line,
                              rule->column,
                              "map-published-data '%s': rule %zu has no "
                              "'%s'",
                              id, nth, required[i]);
    if (rc) return rc;
    const bt_node *field = bt_node_get(rule, "field");
    if (!bt_node_get(map, field->str))
        rc = bt_diags_add(diags, BT_EINVAL, rb->file, field->line,
                          field->column,
                          "map-published-data '%s': rule %zu sets field "
                          "'%.60s', which is not a key of 'map' (every field "
                          "needs a default there)",
                          id, nth, field->str);
    const bt_node *when = bt_node_get(rule, "when");
    bt_cond *c = NULL;
    bt_error err;
    bt_error_clear(&err);
    if (bt_cond_parse(when->str, &c, &err) != 0)
        rc = bt_diags_add(diags, BT_ESYNTAX, rb->file, when->line,
                          text_column(when, err.column),
                          "map-published-data '%s': rule %zu: condition "
                          "'%.120s': %s",
                          id, nth, when->str, err.message);
    bt_cond_free(c);
    return rc;
}

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    const bt_node *map = bt_node_get(def->properties, "map");
    if (!map || map->kind != BT_NODE_MAP) return 0; /* loader reported it */
    int rc = check_map(def, rb, map, diags);
    const bt_node *rules = bt_node_get(def->properties, "rules");
    if (!rules || rules->kind == BT_NODE_NULL) return rc;
    if (rules->kind != BT_NODE_SEQ)
        return bt_diags_add(diags, BT_EINVAL, rb->file, rules->line,
                            rules->column,
                            "map-published-data '%s': 'rules' must be a list "
                            "of {field, when, value}",
                            def->id);
    for (size_t i = 0; i < rules->count; i++) {
        int r = check_rule(def, rb, map, rules->items[i], i + 1, diags);
        if (r) rc = r;
    }
    return rc;
}

/* ---- run -------------------------------------------------------------- */

static const char *operand_value(void *ud, const bt_template *t) {
    return bt_act_expand(ud, bt_template_source(t));
}

/* Evaluates a rule's condition against this instance's data. */
static int rule_holds(bt_activity_ctx *ctx, const bt_node *when,
                      size_t nth, bool *out) {
    bt_cond *c = NULL;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_cond_parse(when->str, &c, &err);
    if (rc == 0) rc = bt_cond_eval_with(c, operand_value, ctx, out, &err);
    bt_cond_free(c);
    if (rc)
        return bt_act_fail(ctx, "map-published-data: rule %zu: %s", nth,
                           err.message);
    return 0;
}

static int run(bt_activity_ctx *ctx) {
    const char *const *keys, *const *values;
    size_t n = bt_act_map(ctx, "map", &keys, &values);
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    const char **out = bt_act_alloc(ctx, (n + 1) * sizeof *out);
    bool *decided = bt_act_alloc(ctx, (n + 1) * sizeof *decided);
    for (size_t i = 0; i < n; i++) {
        out[i] = values[i];
        decided[i] = false;
    }
    const bt_node *rules = bt_node_get(bt_act_def(ctx)->properties, "rules");
    for (size_t r = 0; rules && rules->kind == BT_NODE_SEQ && r < rules->count;
         r++) {
        const bt_node *rule = rules->items[r];
        const bt_node *field = bt_node_get(rule, "field");
        const bt_node *when = bt_node_get(rule, "when");
        const bt_node *value = bt_node_get(rule, "value");
        if (!field || !when || !value) continue; /* refused at load */
        size_t k = 0;
        while (k < n && strcmp(keys[k], field->str) != 0) k++;
        if (k == n || decided[k]) continue;
        bool holds = false;
        if (rule_holds(ctx, when, r + 1, &holds) != 0) return -BT_EINVAL;
        if (!holds) continue;
        decided[k] = true;
        out[k] = value->kind == BT_NODE_SCALAR ? bt_act_expand(ctx, value->str)
                                               : "";
    }
    for (size_t i = 0; i < n; i++) bt_act_publish(ctx, keys[i], out[i]);
    return 0;
}

const bt_activity_type bt_activity_map_published_data = {
    .name = "map-published-data",
    .title = "Map Published Data",
    .category = "utility",
    .description = "Publishes fields computed from upstream data, with "
                   "conditional rules.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .publishes = publishes_field,
    .check = check,
    .run = run,
};
