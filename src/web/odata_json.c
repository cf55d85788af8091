/* Verbose JSON, OData v2's JSON format: {"d": ...} with __metadata on
 * each entity, __deferred links for navigation properties that are not
 * expanded, DateTime as "/Date(ms)/", and collections as
 * {"results": [...], "__count", "__next"} (the v2 shape, which WCF Data
 * Services uses once server paging is on, as it is in Orchestrator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "web/odata.h"

static json_t *text_or_null(const char *s) {
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

static json_t *prop_json(const od_prop *p, json_t *v) {
    if (!v || json_is_null(v)) return json_null();
    if (p->type == OD_DATETIME) {
        bt_buf b;
        bt_buf_init(&b, 0);
        od_format_time(&b, json_integer_value(v), true);
        json_t *s = json_string(bt_buf_str(&b));
        bt_buf_free(&b);
        return s;
    }
    return json_incref(v);
}

static json_t *entity_json(od_ctx *c, const od_set *set, json_t *e,
                           const od_shape *sh, int *rc);

static json_t *collection_json(od_ctx *c, const od_set *set, json_t *rows,
                               const od_shape *sh, int *rc) {
    json_t *a = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *o = entity_json(c, set, row, sh, rc);
        if (!o) break;
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *entity_json(od_ctx *c, const od_set *set, json_t *e,
                           const od_shape *sh, int *rc) {
    char *href = od_entity_href(set, e);
    char *uri = bt_xasprintf("%s%s", c->base, href);
    json_t *o = json_object();
    json_t *meta = json_object();
    json_object_set_new(meta, "uri", text_or_null(uri));
    char *type = bt_xasprintf(OD_NS ".%s", set->type);
    json_object_set_new(meta, "type", json_string(type));
    free(type);
    if (set->id == OD_RUNBOOK_DIAGRAMS) {
        char *media = bt_xasprintf("%s/$value", uri);
        json_object_set_new(meta, "media_src", text_or_null(media));
        json_object_set_new(meta, "edit_media", text_or_null(media));
        json_object_set_new(meta, "content_type", json_string("image/svg+xml"));
        free(media);
    }
    json_object_set_new(o, "__metadata", meta);
    for (size_t k = 0; k < set->n_props; k++)
        if (!sh || sh->all_props || sh->props[k])
            json_object_set_new(
                o, set->props[k].name,
                prop_json(&set->props[k], json_object_get(e, set->props[k].name)));
    for (size_t k = 0; k < set->n_navs && !*rc; k++) {
        const od_nav *nv = &set->navs[k];
        const od_shape *child = sh ? sh->expand[k] : NULL;
        if (sh && !sh->all_props && !sh->navs[k] && !child) continue;
        if (!child) {
            char *nav_uri = bt_xasprintf("%s/%s", uri, nv->name);
            json_object_set_new(o, nv->name,
                                json_pack("{s:{s:o}}", "__deferred", "uri",
                                          text_or_null(nav_uri)));
            free(nav_uri);
            continue;
        }
        json_t *rows = od_nav_rows(c, set, nv, e);
        if (!rows) {
            *rc = -BT_EIO;
            break;
        }
        const od_set *target = od_set_find(nv->target);
        json_t *v;
        if (nv->many)
            v = json_pack("{s:o}", "results",
                          collection_json(c, target, rows, child, rc));
        else if (json_array_size(rows))
            v = entity_json(c, target, json_array_get(rows, 0), child, rc);
        else
            v = json_null();
        json_object_set_new(o, nv->name, v ? v : json_null());
        json_decref(rows);
    }
    free(uri);
    free(href);
    if (*rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void dump(json_t *doc, bt_buf *b) {
    char *text = json_dumps(doc, JSON_COMPACT);
    bt_buf_appends(b, text ? text : "{}");
    bt_buf_appendc(b, '\n');
    free(text);
    json_decref(doc);
}

int od_json_feed(od_ctx *c, const od_feed *f, const od_shape *sh, bt_buf *b) {
    int rc = 0;
    json_t *d = json_object();
    json_object_set_new(d, "results",
                        collection_json(c, f->set, f->rows, sh, &rc));
    if (f->count >= 0) {
        char n[32];
        snprintf(n, sizeof n, "%lld", f->count); /* v2 sends it as text */
        json_object_set_new(d, "__count", json_string(n));
    }
    if (f->next) json_object_set_new(d, "__next", text_or_null(f->next));
    if (rc) {
        json_decref(d);
        return rc;
    }
    dump(json_pack("{s:o}", "d", d), b);
    return 0;
}

int od_json_entry(od_ctx *c, const od_set *set, json_t *entity,
                  const od_shape *sh, bt_buf *b) {
    int rc = 0;
    json_t *o = entity_json(c, set, entity, sh, &rc);
    if (!o) return rc ? rc : -BT_EIO;
    dump(json_pack("{s:o}", "d", o), b);
    return 0;
}

void od_json_property(const od_prop *p, json_t *v, bt_buf *b) {
    dump(json_pack("{s:{s:o}}", "d", p->name, prop_json(p, v)), b);
}

void od_json_error(bt_buf *b, const char *code, const char *message) {
    dump(json_pack("{s:{s:s, s:{s:s, s:o}}}", "error", "code", code,
                   "message", "lang", "en-US", "value",
                   text_or_null(message)),
         b);
}

void od_json_service(bt_buf *b) {
    json_t *sets = json_array();
    for (size_t i = 0; i < OD_N_SETS; i++)
        json_array_append_new(sets, json_string(od_sets[i].name));
    dump(json_pack("{s:{s:o}}", "d", "EntitySets", sets), b);
}
