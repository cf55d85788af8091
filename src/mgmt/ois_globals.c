/* Orchestrator's Global Settings: variables, counters and schedules, each
 * kept under ExportData/GlobalSettings/<Kind>/Folder as a folder tree of
 * <Object> elements. Runbooks refer to variables (and counter and schedule
 * activities to counters and schedules) by GUID, so the GUID -> name maps
 * built here serve the runbook conversion. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

typedef enum { G_VARIABLE, G_COUNTER, G_SCHEDULE } gkind;

static const struct {
    const char *section, *type_guid, *type_name, *noun;
} kinds[] = {
    [G_VARIABLE] = {"Variables", OIS_GUID_VARIABLE, "Variable", "variable"},
    [G_COUNTER] = {"Counters", OIS_GUID_COUNTER, "Counter", "counter"},
    [G_SCHEDULE] = {"Schedules", OIS_GUID_SCHEDULE, "Schedule", "schedule"},
};

typedef struct gwalk {
    ois_ctx *ctx;
    bt_ois_import *imp;
    ois_items *items;
    gkind kind;
} gwalk;

static bool has_marker(const char *s, const char *code) {
    char m[16];
    snprintf(m, sizeof m, "`d.T.~%s/", code);
    return s && strstr(s, m);
}

/* A name used twice (in two folders) gets a suffix: Baton's global names
 * are flat. */
static char *unique_name(const ois_named *list, size_t n, const char *want) {
    char *name = bt_xstrdup(want);
    for (int k = 2; ois_lookup_name_taken(list, n, name); k++) {
        free(name);
        name = bt_xasprintf("%s_%d", want, k);
    }
    return name;
}

static void add_named(ois_named **list, size_t *n, const char *guid,
                      const char *name) {
    *list = bt_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[*n].guid = bt_xstrdup(guid ? guid : "");
    (*list)[*n].name = bt_xstrdup(name);
    (*n)++;
}

/* ---- schedules ------------------------------------------------------------
 */

static const char *const weekdays[] = {"sun", "mon", "tue", "wed",
                                       "thu", "fri", "sat"};
static const char *const day_elems[] = {"Sunday",    "Monday",   "Tuesday",
                                        "Wednesday", "Thursday", "Friday",
                                        "Saturday"};

/* Splits a list written with commas, semicolons or spaces. */
static size_t split(char *s, char **out, size_t max) {
    size_t n = 0;
    for (char *tok = strtok(s, ",; \t\n"); tok && n < max;
         tok = strtok(NULL, ",; \t\n"))
        out[n++] = tok;
    return n;
}

/* An Orchestrator hour grid: 24 characters of 0/1, hour 0 first. */
static bool hour_mask(const char *s, unsigned *mask) {
    if (!s || strlen(s) != 24) return false;
    *mask = 0;
    for (int h = 0; h < 24; h++) {
        if (s[h] != '0' && s[h] != '1') return false;
        if (s[h] == '1') *mask |= 1u << h;
    }
    return true;
}

static void mask_ranges(unsigned mask, json_t *hours) {
    for (int h = 0; h < 24;) {
        if (!(mask & (1u << h))) {
            h++;
            continue;
        }
        int e = h;
        while (e < 24 && (mask & (1u << e))) e++;
        char r[16];
        snprintf(r, sizeof r, "%02d:00-%02d:00", h, e == 24 ? 0 : e);
        if (h == 0 && e == 24) snprintf(r, sizeof r, "00:00-24:00");
        json_array_append_new(hours, json_string(r));
        h = e;
    }
}

static char *schedule_definition(xmlNodePtr obj, ois_items *items,
                                 const char *name) {
    json_t *def = json_object();
    char *tok[64];
    char *t = bt_ois_xml_child_text(obj, "DaysOfWeek");
    if (t) {
        json_t *days = json_array();
        size_t n = split(t, tok, 64);
        for (size_t i = 0; i < n; i++) {
            int d = -1;
            for (int k = 0; k < 7; k++)
                if (!strncasecmp(tok[i], weekdays[k], 3)) d = k;
            if (d < 0)
                ois_item_add(items, BT_OIS_UNRESOLVED, NULL, name,
                             "schedule '%s': day of week '%s' not "
                             "understood; left out",
                             name, tok[i]);
            else
                json_array_append_new(days, json_string(weekdays[d]));
        }
        json_object_set_new(def, "days_of_week", days);
        free(t);
    }
    t = bt_ois_xml_child_text(obj, "Occurrences");
    if (t) {
        static const char *const occ[] = {"first", "second", "third", "fourth",
                                          "last"};
        json_t *arr = json_array();
        size_t n = split(t, tok, 64);
        for (size_t i = 0; i < n; i++) {
            int k = -1;
            for (int j = 0; j < 5; j++)
                if (!strcasecmp(tok[i], occ[j])) k = j;
            if (k < 0)
                ois_item_add(items, BT_OIS_UNRESOLVED, NULL, name,
                             "schedule '%s': occurrence '%s' not "
                             "understood; left out",
                             name, tok[i]);
            else
                json_array_append_new(arr, json_string(occ[k]));
        }
        json_object_set_new(def, "occurrences", arr);
        free(t);
    }
    t = bt_ois_xml_child_text(obj, "DaysOfMonth");
    if (t) {
        json_t *arr = json_array();
        size_t n = split(t, tok, 64);
        for (size_t i = 0; i < n; i++) {
            int64_t d;
            if (!strcasecmp(tok[i], "last"))
                json_array_append_new(arr, json_string("last"));
            else if (bt_parse_int64(tok[i], &d) && d >= 1 && d <= 31)
                json_array_append_new(arr, json_integer(d));
            else
                ois_item_add(items, BT_OIS_UNRESOLVED, NULL, name,
                             "schedule '%s': day of month '%s' not "
                             "understood; left out",
                             name, tok[i]);
        }
        json_object_set_new(def, "days_of_month", arr);
        free(t);
    }
    /* Hours: either ranges, or Orchestrator's grid of one 24-hour mask per
     * weekday. Baton's hours apply to every day, so the grid converts only
     * when the days that are masked agree. */
    t = bt_ois_xml_child_text(obj, "Hours");
    if (t) {
        json_t *arr = json_array();
        size_t n = split(t, tok, 64);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_string(tok[i]));
        json_object_set_new(def, "hours", arr);
        free(t);
    } else {
        unsigned common = 0, m;
        bool any = false, same = true;
        for (int d = 0; d < 7; d++) {
            char *g = bt_ois_xml_child_text(obj, day_elems[d]);
            if (!g) continue;
            if (!hour_mask(g, &m)) {
                ois_item_add(items, BT_OIS_UNRESOLVED, NULL, name,
                             "schedule '%s': hours of %s ('%s') are not a "
                             "24-hour grid; left out",
                             name, day_elems[d], g);
            } else if (m) {
                if (any && m != common) same = false;
                common = m;
                any = true;
            }
            free(g);
        }
        if (any && same && common != 0xFFFFFFu) {
            json_t *arr = json_array();
            mask_ranges(common, arr);
            json_object_set_new(def, "hours", arr);
        } else if (any && !same) {
            ois_item_add(items, BT_OIS_UNRESOLVED, NULL, name,
                         "schedule '%s': its allowed hours differ from day "
                         "to day, which a Baton schedule cannot express "
                         "(its hours apply to every day); hours left out",
                         name);
        }
    }
    t = bt_ois_xml_child_text(obj, "Exceptions");
    if (t) {
        json_t *arr = json_array();
        size_t n = split(t, tok, 64);
        for (size_t i = 0; i < n; i++) {
            int y, mo, d;
            char rest;
            if (sscanf(tok[i], "%4d-%2d-%2d%c", &y, &mo, &d, &rest) == 3 ||
                sscanf(tok[i], "%2d/%2d/%4d%c", &mo, &d, &y, &rest) == 3) {
                char iso[16];
                snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mo, d);
                json_array_append_new(arr, json_string(iso));
            } else {
                ois_item_add(items, BT_OIS_UNRESOLVED, NULL, name,
                             "schedule '%s': exception date '%s' not "
                             "understood; left out",
                             name, tok[i]);
            }
        }
        json_object_set_new(def, "exceptions", arr);
        free(t);
    }
    json_object_set_new(def, "timezone", json_string("local"));
    char *s = json_dumps(def, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(def);
    return s;
}

/* ---- the walk --------------------------------------------------------------
 */

static void read_object(gwalk *w, xmlNodePtr obj, const char *folder) {
    char *type = bt_ois_xml_child_text(obj, "ObjectType");
    char *type_name = bt_ois_xml_child_text(obj, "ObjectTypeName");
    char *type_guid = ois_guid(type);
    bool ours = (type_guid && !strcmp(type_guid, kinds[w->kind].type_guid)) ||
                (type_name && !strcasecmp(type_name, kinds[w->kind].type_name));
    free(type);
    free(type_name);
    free(type_guid);
    if (!ours || bt_ois_xml_child_bool(obj, "Deleted", 0)) return;
    char *raw_guid = bt_ois_xml_child_text(obj, "UniqueID");
    char *guid = ois_guid(raw_guid);
    free(raw_guid);
    char *orig = bt_ois_xml_child_text(obj, "Name");
    char *want = ois_identifier(orig, kinds[w->kind].noun);
    char *desc = bt_ois_xml_child_text(obj, "Description");
    ois_ctx *c = w->ctx;
    bt_ois_import *imp = w->imp;
    if (w->kind == G_VARIABLE) {
        char *name = unique_name(c->vars, c->n_vars, want);
        char *value = bt_ois_xml_child_text(obj, "Value");
        bool enc = has_marker(value, "De") || has_marker(value, "Ec") ||
                   bt_ois_xml_child_bool(obj, "Encrypted", 0) ||
                   bt_ois_xml_child_bool(obj, "IsEncrypted", 0);
        add_named(&c->vars, &c->n_vars, guid, name);
        c->var_encrypted =
            bt_xrealloc(c->var_encrypted, c->n_vars * sizeof(bool));
        c->var_encrypted[c->n_vars - 1] = enc;
        imp->variables = bt_xrealloc(
            imp->variables, (imp->n_variables + 1) * sizeof *imp->variables);
        bt_ois_variable *v = &imp->variables[imp->n_variables++];
        *v = (bt_ois_variable){bt_xstrdup(name),
                               bt_xstrdup(orig ? orig : name),
                               bt_xstrdup(folder),
                               NULL,
                               desc,
                               enc};
        desc = NULL;
        if (enc) {
            free(value);
            ois_item_add(w->items, BT_OIS_UNRESOLVED, orig, name,
                         "variable '%s' is encrypted in the export and "
                         "cannot be decrypted; imported without a value: "
                         "set it in Baton (as an encrypted variable) "
                         "before running runbooks that use {var:%s}",
                         orig ? orig : name, name);
        } else {
            if (value) ois_clean_text(value);
            v->value = value ? value : bt_xstrdup("");
        }
        free(name);
    } else if (w->kind == G_COUNTER) {
        char *name = unique_name(c->counters, c->n_counters, want);
        char *dflt = bt_ois_xml_child_text(obj, "DefaultValue");
        if (!dflt) dflt = bt_ois_xml_child_text(obj, "Value");
        int64_t iv = 0;
        if (dflt && !bt_parse_int64(dflt, &iv))
            ois_item_add(w->items, BT_OIS_UNRESOLVED, orig, name,
                         "counter '%s': default value '%s' is not an "
                         "integer; imported as 0",
                         orig ? orig : name, dflt);
        free(dflt);
        add_named(&c->counters, &c->n_counters, guid, name);
        imp->counters = bt_xrealloc(imp->counters, (imp->n_counters + 1) *
                                                       sizeof *imp->counters);
        imp->counters[imp->n_counters++] = (bt_ois_counter){
            bt_xstrdup(name), bt_xstrdup(orig ? orig : name),
            bt_xstrdup(folder), desc, bt_xasprintf("%lld", (long long)iv)};
        desc = NULL;
        free(name);
    } else {
        char *name = unique_name(c->schedules, c->n_schedules, want);
        add_named(&c->schedules, &c->n_schedules, guid, name);
        imp->schedules = bt_xrealloc(
            imp->schedules, (imp->n_schedules + 1) * sizeof *imp->schedules);
        imp->schedules[imp->n_schedules++] = (bt_ois_schedule){
            bt_xstrdup(name), bt_xstrdup(orig ? orig : name),
            bt_xstrdup(folder), desc, schedule_definition(obj, w->items, name)};
        desc = NULL;
        free(name);
    }
    free(desc);
    free(want);
    free(orig);
    free(guid);
}

/* The section's own root folder stands for the place the export was taken
 * from and has no name of its own; only named folders below it are the
 * author's structure. */
static void walk_folder(gwalk *w, xmlNodePtr folder, const char *path) {
    char *name = bt_ois_xml_child_text(folder, "Name");
    char *here;
    if (name && path) {
        here = ois_folder_join(path, name);
    } else {
        here = bt_xstrdup(path ? path : "/");
    }
    free(name);
    for (xmlNodePtr n = bt_ois_xml_child(folder, NULL); n;
         n = bt_ois_xml_next(n, NULL)) {
        if (xmlStrEqual(n->name, BAD_CAST "Folder")) {
            walk_folder(w, n, here);
        } else if (xmlStrEqual(n->name, BAD_CAST "Objects")) {
            for (xmlNodePtr o = bt_ois_xml_child(n, NULL); o;
                 o = bt_ois_xml_next(o, NULL)) {
                if (xmlStrEqual(o->name, BAD_CAST "Object"))
                    read_object(w, o, here);
                else if (xmlStrEqual(o->name, BAD_CAST "Folder"))
                    walk_folder(w, o, here);
            }
        } else if (xmlStrEqual(n->name, BAD_CAST "Object")) {
            read_object(w, n, here);
        }
    }
    free(here);
}

void ois_globals_read(ois_ctx *ctx, xmlNodePtr export_data, bt_ois_import *imp,
                      ois_items *items) {
    xmlNodePtr gs = bt_ois_xml_child(export_data, "GlobalSettings");
    if (!gs) return;
    for (int k = 0; k < 3; k++) {
        xmlNodePtr sec = bt_ois_xml_child(gs, kinds[k].section);
        gwalk w = {ctx, imp, items, (gkind)k};
        for (xmlNodePtr f = bt_ois_xml_child(sec, "Folder"); f;
             f = bt_ois_xml_next(f, "Folder"))
            walk_folder(&w, f, NULL);
    }
}

/* ---- globals.yaml ----------------------------------------------------------
 */

static void common_fields(bt_buf *b, const char *name, const char *orig,
                          const char *folder, const char *desc) {
    bt_buf_appends(b, "  - name: ");
    oy_scalar(b, name, 4);
    if (orig && strcmp(orig, name)) oy_key_scalar(b, 4, "original_name", orig);
    if (folder && strcmp(folder, "/")) oy_key_scalar(b, 4, "folder", folder);
    if (desc) oy_key_scalar(b, 4, "description", desc);
}

char *ois_globals_yaml(const bt_ois_import *imp) {
    if (!imp->n_variables && !imp->n_counters && !imp->n_schedules) return NULL;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_printf(&b,
                  "# Global settings imported from the Orchestrator export "
                  "'%s' by baton import-ois.\n",
                  imp->source);
    if (imp->n_variables) bt_buf_appends(&b, "variables:\n");
    for (size_t i = 0; i < imp->n_variables; i++) {
        const bt_ois_variable *v = &imp->variables[i];
        common_fields(&b, v->name, v->original_name, v->folder, v->description);
        if (v->encrypted) {
            bt_buf_appends(&b, "    encrypted: true\n");
            bt_buf_appends(&b, "    value: ~  # encrypted in Orchestrator: "
                               "set the value after import\n");
        } else {
            oy_key_scalar(&b, 4, "value", v->value);
        }
    }
    if (imp->n_counters) bt_buf_appends(&b, "counters:\n");
    for (size_t i = 0; i < imp->n_counters; i++) {
        const bt_ois_counter *c = &imp->counters[i];
        common_fields(&b, c->name, c->original_name, c->folder, c->description);
        bt_buf_printf(&b, "    default: %s\n", c->default_value);
    }
    if (imp->n_schedules) bt_buf_appends(&b, "schedules:\n");
    for (size_t i = 0; i < imp->n_schedules; i++) {
        const bt_ois_schedule *s = &imp->schedules[i];
        common_fields(&b, s->name, s->original_name, s->folder, s->description);
        bt_buf_printf(&b, "    definition: %s\n", s->definition);
    }
    return bt_buf_detach(&b);
}
