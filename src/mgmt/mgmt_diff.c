/* A runbook version as JSON, and a readable diff of two of them: which
 * properties, activities (by id) and links (by from -> to) were added,
 * removed or changed, and for a changed one each field before and after.
 * The JSON is the document as written (conditions as their text, values
 * as their scalars), so a diff talks in the author's terms. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mgmt/mgmt_internal.h"

static json_t *node_json(const bt_node *n) {
    if (!n)
        return json_null();
    switch (n->kind) {
    case BT_NODE_NULL:
        return json_null();
    case BT_NODE_SCALAR: {
        json_t *s = json_stringn(n->str, n->len);
        return s ? s : json_string("(not UTF-8)");
    }
    case BT_NODE_SEQ: {
        json_t *a = json_array();
        for (size_t i = 0; i < n->count; i++)
            json_array_append_new(a, node_json(n->items[i]));
        return a;
    }
    case BT_NODE_MAP: {
        json_t *o = json_object();
        for (size_t i = 0; i < n->count; i++)
            json_object_set_new(o, n->keys[i]->str, node_json(n->items[i]));
        return o;
    }
    }
    return json_null();
}

json_t *bt__mg_doc_json(const bt_runbook *rb) {
    json_t *o = rb->doc ? node_json(rb->doc->root) : json_object();
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    /* defaults the author may have left out, so show and diff say them */
    if (!json_object_get(o, "folder"))
        json_object_set_new(o, "folder",
                            json_string(rb->folder ? rb->folder : "/"));
    if (!json_object_get(o, "activities"))
        json_object_set_new(o, "activities", json_array());
    if (!json_object_get(o, "links"))
        json_object_set_new(o, "links", json_array());
    return o;
}

static void add_change(json_t *out, const char *kind, const char *key,
                       const char *change, json_t *before, json_t *after,
                       json_t *fields) {
    json_t *c = json_pack("{s:s, s:s, s:s}", "kind", kind, "key", key, "change",
                          change);
    if (before)
        json_object_set(c, "before", before);
    if (after)
        json_object_set(c, "after", after);
    if (fields)
        json_object_set_new(c, "fields", fields);
    json_array_append_new(out, c);
}

/* Field-level differences of two objects; "properties" (and other maps)
 * one level deeper as "properties.name". */
static void field_diff(json_t *a, json_t *b, const char *prefix, int depth,
                       json_t *fields) {
    const char *k;
    json_t *va;
    json_object_foreach(a, k, va) {
        json_t *vb = json_object_get(b, k);
        char *name = *prefix ? bt_xasprintf("%s.%s", prefix, k) : bt_xstrdup(k);
        if (vb && json_is_object(va) && json_is_object(vb) && depth < 1)
            field_diff(va, vb, name, depth + 1, fields);
        else if (!vb || !json_equal(va, vb))
            json_array_append_new(
                fields, json_pack("{s:s, s:O, s:o}", "name", name, "before", va,
                                  "after", vb ? json_incref(vb) : json_null()));
        free(name);
    }
    json_object_foreach(b, k, va) {
        if (json_object_get(a, k))
            continue;
        char *name = *prefix ? bt_xasprintf("%s.%s", prefix, k) : bt_xstrdup(k);
        json_array_append_new(fields, json_pack("{s:s, s:n, s:O}", "name", name,
                                                "before", "after", va));
        free(name);
    }
}

static const char *sv(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

/* Keys a list of activities by id, links by "from -> to" (with "#2" for a
 * second link between the same two activities). */
static json_t *keyed(json_t *list, bool links) {
    json_t *o = json_object();
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        char *key;
        if (links)
            key = bt_xasprintf("%s -> %s", sv(it, "from"), sv(it, "to"));
        else
            key = bt_xstrdup(sv(it, "id"));
        char *unique = bt_xstrdup(key);
        for (int n = 2; json_object_get(o, unique); n++) {
            free(unique);
            unique = bt_xasprintf("%s #%d", key, n);
        }
        json_object_set(o, unique, it);
        free(unique);
        free(key);
    }
    return o;
}

static void list_diff(json_t *la, json_t *lb, const char *kind, bool links,
                      json_t *out) {
    json_t *a = keyed(la, links), *b = keyed(lb, links);
    const char *k;
    json_t *va;
    json_object_foreach(a, k, va) {
        json_t *vb = json_object_get(b, k);
        if (!vb) {
            add_change(out, kind, k, "removed", va, NULL, NULL);
        } else if (!json_equal(va, vb)) {
            json_t *fields = json_array();
            field_diff(va, vb, "", 0, fields);
            add_change(out, kind, k, "changed", NULL, NULL, fields);
        }
    }
    json_object_foreach(b, k, va) {
        if (!json_object_get(a, k))
            add_change(out, kind, k, "added", NULL, va, NULL);
    }
    json_decref(a);
    json_decref(b);
}

json_t *bt__mg_diff(json_t *a, json_t *b) {
    json_t *out = json_array();
    const char *k;
    json_t *va;
    json_object_foreach(a, k, va) {
        if (!strcmp(k, "activities") || !strcmp(k, "links"))
            continue;
        json_t *vb = json_object_get(b, k);
        if (!vb)
            add_change(out, "property", k, "removed", va, NULL, NULL);
        else if (!json_equal(va, vb))
            add_change(out, "property", k, "changed", va, vb, NULL);
    }
    json_object_foreach(b, k, va) {
        if (!strcmp(k, "activities") || !strcmp(k, "links"))
            continue;
        if (!json_object_get(a, k))
            add_change(out, "property", k, "added", NULL, va, NULL);
    }
    list_diff(json_object_get(a, "activities"),
              json_object_get(b, "activities"), "activity", false, out);
    list_diff(json_object_get(a, "links"), json_object_get(b, "links"), "link",
              true, out);
    return out;
}
