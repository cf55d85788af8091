#include "web/activity_types.h"

#include "baton/activity.h"

static const char *kind_name(bt_prop_kind k) {
  static const char *const names[] = {
      "string", "integer", "number", "boolean", "duration", "list", "map"};
  return (size_t)k < BT_ARRAY_LEN(names) ? names[k] : "string";
}

static json_t *strings(const char *const *list) {
  json_t *a = json_array();
  for (const char *const *s = list; s && *s; s++)
    json_array_append_new(a, json_string(*s));
  return a;
}

static json_t *nullable(const char *s) {
  return s ? json_string(s) : json_null();
}

static json_t *type_json(const bt_activity_type *t) {
  json_t *props = json_array();
  for (const bt_prop_spec *p = t->props; p && p->name; p++) {
    json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:o}", "name", p->name, "kind",
                          kind_name(p->kind), "required", p->required,
                          "default", nullable(p->default_text), "description",
                          nullable(p->description));
    if (p->choices)
      json_object_set_new(o, "choices", strings(p->choices));
    json_array_append_new(props, o);
  }
  return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "name", t->name,
                   "title", nullable(t->title), "category",
                   nullable(t->category), "description",
                   nullable(t->description), "properties", props, "published",
                   strings(t->published), "open_published", t->open_published,
                   "monitor", t->monitor);
}

void bt_web_activity_types_list(bt_web_req *r) {
  static const char *const none[] = {NULL};
  if (!bt_web_query_only(r, none))
    return;
  static const char *const common[] = {BT_COMMON_FIELDS, NULL};
  json_t *items = json_array();
  /* the default registry: built-ins, then the packs loaded now (a slot
   * may be NULL for a pack removed meanwhile) */
  size_t n = bt_registry_count(NULL);
  for (size_t i = 0; i < n; i++) {
    const bt_activity_type *t = bt_registry_at(NULL, i);
    if (t)
      json_array_append_new(items, type_json(t));
  }
  bt_web_reply(r, 200,
               json_pack("{s:o, s:o}", "items", items, "common_published",
                         strings(common)));
}
