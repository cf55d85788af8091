/* The import's entry points: read the file under its caps, check it is an
 * export, walk the folder tree of runbooks (ExportData/Policies/Folder...)
 * and the global settings, and hand back documents and a report. */
#include "mgmt/ois_import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

const char *bt_ois_item_kind_name(bt_ois_item_kind k) {
    switch (k) {
    case BT_OIS_CONVERTED:
        return "converted";
    case BT_OIS_PLACEHOLDER:
        return "placeholder";
    case BT_OIS_UNRESOLVED:
        return "unresolved";
    case BT_OIS_CONDITION:
        return "condition";
    case BT_OIS_CONDITION_FAILED:
        return "condition-not-converted";
    case BT_OIS_NOTE:
        return "note";
    case BT_OIS_SKIPPED:
        return "skipped";
    case BT_OIS_INVALID:
        return "invalid";
    }
    return "?";
}

bt_ois_item *ois_item_add(ois_items *list, bt_ois_item_kind kind,
                          const char *activity, const char *id, const char *fmt,
                          ...) {
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = bt_xrealloc(list->items, list->cap * sizeof *list->items);
    }
    bt_ois_item *it = &list->items[list->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->activity = activity ? bt_xstrdup(activity) : NULL;
    it->id = id ? bt_xstrdup(id) : NULL;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    it->text = bt_xstrdup(msg);
    return it;
}

void ois_item_free(bt_ois_item *it) {
    free(it->activity);
    free(it->id);
    free(it->original_type);
    free(it->baton_type);
    free(it->text);
    for (size_t i = 0; i < it->n_props; i++) {
        free(it->prop_names[i]);
        free(it->prop_values[i]);
    }
    free(it->prop_names);
    free(it->prop_values);
}

const char *ois_lookup(const ois_named *list, size_t n, const char *guid) {
    for (size_t i = 0; guid && i < n; i++)
        if (!strcmp(list[i].guid, guid)) return list[i].name;
    return NULL;
}

bool ois_lookup_name_taken(const ois_named *list, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].name, name)) return true;
    return false;
}

static void named_free(ois_named *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(list[i].guid);
        free(list[i].name);
    }
    free(list);
}

/* ---- the folder tree --------------------------------------------------------
 */

typedef struct walk {
    ois_ctx *ctx;
    bt_ois_import *imp;
    bool convert; /* first pass only names the runbooks */
} walk;

static void add_folder(bt_ois_import *imp, const char *path) {
    if (!strcmp(path, "/")) return; /* the root is not a folder of its own */
    for (size_t i = 0; i < imp->n_folders; i++)
        if (!strcmp(imp->folders[i], path)) return;
    imp->folders =
        bt_xrealloc(imp->folders, (imp->n_folders + 1) * sizeof(char *));
    imp->folders[imp->n_folders++] = bt_xstrdup(path);
}

static void unique_path(bt_ois_import *imp, bt_ois_runbook *rb) {
    if (!rb->yaml) return; /* not converted: nothing to write */
    char *base =
        bt_xstrndup(rb->path, strlen(rb->path) - strlen(".runbook.yaml"));
    for (int k = 2;; k++) {
        bool taken = false;
        for (size_t i = 0; i < imp->n_runbooks; i++)
            taken |= !strcmp(imp->runbooks[i].path, rb->path);
        if (!taken) break;
        free(rb->path);
        rb->path = bt_xasprintf("%s-%d.runbook.yaml", base, k);
    }
    free(base);
}

static void visit_policy(walk *w, xmlNodePtr n, const char *here) {
    if (bt_ois_xml_child_bool(n, "Deleted", 0)) return;
    if (!w->convert) {
        char *g = bt_ois_xml_child_text(n, "UniqueID");
        char *guid = ois_guid(g);
        char *rn = bt_ois_xml_child_text(n, "Name");
        char *full = ois_folder_join(here, rn ? rn : "Unnamed runbook");
        ois_ctx *c = w->ctx;
        c->runbooks =
            bt_xrealloc(c->runbooks, (c->n_runbooks + 1) * sizeof *c->runbooks);
        c->runbooks[c->n_runbooks++] =
            (ois_named){bt_xstrdup(guid ? guid : ""), full};
        free(g);
        free(guid);
        free(rn);
        return;
    }
    bt_ois_runbook rb;
    ois_runbook_convert(w->ctx, n, here, &rb);
    unique_path(w->imp, &rb);
    bt_ois_import *imp = w->imp;
    imp->runbooks =
        bt_xrealloc(imp->runbooks, (imp->n_runbooks + 1) * sizeof rb);
    imp->runbooks[imp->n_runbooks++] = rb;
}

static void walk_folder(walk *w, xmlNodePtr folder, const char *path) {
    char *name = bt_ois_xml_child_text(folder, "Name");
    char *here = name ? ois_folder_join(path, name) : bt_xstrdup(path);
    free(name);
    if (w->convert) add_folder(w->imp, here);
    for (xmlNodePtr n = bt_ois_xml_child(folder, NULL); n;
         n = bt_ois_xml_next(n, NULL)) {
        if (xmlStrEqual(n->name, BAD_CAST "Folder"))
            walk_folder(w, n, here);
        else if (xmlStrEqual(n->name, BAD_CAST "Policy"))
            visit_policy(w, n, here);
    }
    free(here);
}

static void walk_policies(walk *w, xmlNodePtr root) {
    xmlNodePtr pol = bt_ois_xml_child(root, "Policies");
    for (xmlNodePtr f = bt_ois_xml_child(pol, NULL); f;
         f = bt_ois_xml_next(f, NULL)) {
        if (xmlStrEqual(f->name, BAD_CAST "Folder"))
            walk_folder(w, f, "/");
        else if (xmlStrEqual(f->name, BAD_CAST "Policy"))
            visit_policy(w, f, "/"); /* a runbook exported on its own */
    }
}

/* Elements named name under node, at any depth (depth is capped by the
 * parser). */
static size_t count_named(xmlNodePtr node, const char *name) {
    size_t n = 0;
    for (xmlNodePtr c = bt_ois_xml_child(node, NULL); c;
         c = bt_ois_xml_next(c, NULL))
        n += xmlStrEqual(c->name, BAD_CAST name) + count_named(c, name);
    return n;
}

/* The conversion keeps names unique by comparing with every earlier one;
 * these caps keep that, and the work per export, bounded. */
static int check_counts(const char *name, xmlNodePtr root, bt_error *err) {
    size_t n = count_named(bt_ois_xml_child(root, "Policies"), "Policy");
    if (n > OIS_MAX_RUNBOOKS)
        return bt_error_set_at(err, BT_ETOOBIG, name, 0, 0,
                               "the export has %zu runbooks, over the limit "
                               "of %d for one import; export fewer folders "
                               "at a time",
                               n, OIS_MAX_RUNBOOKS);
    static const char *const kinds[] = {"Variables", "Counters", "Schedules"};
    xmlNodePtr gs = bt_ois_xml_child(root, "GlobalSettings");
    for (size_t k = 0; k < 3; k++) {
        n = count_named(bt_ois_xml_child(gs, kinds[k]), "Object");
        if (n > OIS_MAX_GLOBALS)
            return bt_error_set_at(err, BT_ETOOBIG, name, 0, 0,
                                   "the export has %zu %s, over the limit of "
                                   "%d for one import",
                                   n, kinds[k], OIS_MAX_GLOBALS);
    }
    return 0;
}

static void ctx_free(ois_ctx *c) {
    named_free(c->vars, c->n_vars);
    named_free(c->counters, c->n_counters);
    named_free(c->schedules, c->n_schedules);
    named_free(c->runbooks, c->n_runbooks);
    free(c->var_encrypted);
}

int bt_ois_import_memory(const char *name, const char *data, size_t len,
                         const bt_registry *reg, bt_ois_import **out,
                         bt_error *err) {
    *out = NULL;
    if (!reg) reg = bt_registry_builtin();
    if (!bt_registry_find(reg, "placeholder"))
        return bt_error_set(err, BT_EINVAL,
                            "the activity registry has no "
                            "'placeholder' type, which the import needs");
    xmlDocPtr doc;
    int rc = bt_ois_xml_parse(name, data, len, BT_OIS_MAX_BYTES, &doc, err);
    if (rc) return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || !xmlStrEqual(root->name, BAD_CAST "ExportData")) {
        rc = bt_error_set_at(err, BT_EINVAL, name, root ? root->line : 0, 0,
                             "not an Orchestrator export: the root element "
                             "is <%s>, expected <ExportData>",
                             root ? (const char *)root->name : "(none)");
        xmlFreeDoc(doc);
        return rc;
    }
    if (!bt_ois_xml_child(root, "Policies") &&
        !bt_ois_xml_child(root, "GlobalSettings")) {
        rc = bt_error_set_at(err, BT_EINVAL, name, root->line, 0,
                             "the export has neither <Policies> (runbooks) "
                             "nor <GlobalSettings>; there is nothing to "
                             "import");
        xmlFreeDoc(doc);
        return rc;
    }
    if ((rc = check_counts(name, root, err)) != 0) {
        xmlFreeDoc(doc);
        return rc;
    }
    bt_ois_import *imp = bt_xcalloc(1, sizeof *imp);
    imp->source = bt_xstrdup(name);
    ois_ctx ctx = {.source = name, .reg = reg};
    ois_items items = {0};
    ois_globals_read(&ctx, root, imp, &items);
    walk w = {&ctx, imp, false};
    walk_policies(&w, root);
    w.convert = true;
    walk_policies(&w, root);
    imp->items = items.items;
    imp->n_items = items.n;
    imp->globals_yaml = ois_globals_yaml(imp);
    ctx_free(&ctx);
    xmlFreeDoc(doc);
    *out = imp;
    return 0;
}

int bt_ois_import_file(const char *path, const bt_registry *reg,
                       bt_ois_import **out, bt_error *err) {
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return bt_error_set_at(err, errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
                               path, 0, 0, "cannot open: %s", strerror(errno));
    if (S_ISREG(st.st_mode) && (size_t)st.st_size > BT_OIS_MAX_BYTES)
        return bt_error_set_at(err, BT_ETOOBIG, path, 0, 0,
                               "the file is %lld bytes, over the limit of %zu "
                               "bytes for an Orchestrator export "
                               "(BT_OIS_MAX_BYTES); nothing was imported",
                               (long long)st.st_size, BT_OIS_MAX_BYTES);
    bt_buf b;
    bt_buf_init(&b, BT_OIS_MAX_BYTES);
    int rc = bt_buf_read_file(&b, path, err);
    if (!rc)
        rc = bt_ois_import_memory(path, b.data ? b.data : "", b.len, reg, out,
                                  err);
    bt_buf_free(&b);
    return rc;
}

void bt_ois_import_free(bt_ois_import *imp) {
    if (!imp) return;
    for (size_t i = 0; i < imp->n_runbooks; i++) {
        bt_ois_runbook *r = &imp->runbooks[i];
        free(r->name);
        free(r->folder);
        free(r->path);
        free(r->yaml);
        for (size_t k = 0; k < r->n_items; k++) ois_item_free(&r->items[k]);
        free(r->items);
    }
    free(imp->runbooks);
    for (size_t i = 0; i < imp->n_folders; i++) free(imp->folders[i]);
    free(imp->folders);
    for (size_t i = 0; i < imp->n_variables; i++) {
        bt_ois_variable *v = &imp->variables[i];
        free(v->name);
        free(v->original_name);
        free(v->folder);
        free(v->value);
        free(v->description);
    }
    free(imp->variables);
    for (size_t i = 0; i < imp->n_counters; i++) {
        bt_ois_counter *c = &imp->counters[i];
        free(c->name);
        free(c->original_name);
        free(c->folder);
        free(c->description);
        free(c->default_value);
    }
    free(imp->counters);
    for (size_t i = 0; i < imp->n_schedules; i++) {
        bt_ois_schedule *s = &imp->schedules[i];
        free(s->name);
        free(s->original_name);
        free(s->folder);
        free(s->description);
        free(s->definition);
    }
    free(imp->schedules);
    for (size_t k = 0; k < imp->n_items; k++) ois_item_free(&imp->items[k]);
    free(imp->items);
    free(imp->globals_yaml);
    free(imp->source);
    free(imp);
}

size_t bt_ois_import_count(const bt_ois_import *imp, bt_ois_item_kind kind) {
    size_t n = 0;
    for (size_t i = 0; i < imp->n_runbooks; i++)
        for (size_t k = 0; k < imp->runbooks[i].n_items; k++)
            n += imp->runbooks[i].items[k].kind == kind;
    for (size_t k = 0; k < imp->n_items; k++) n += imp->items[k].kind == kind;
    return n;
}

bool bt_ois_import_complete(const bt_ois_import *imp) {
    return !bt_ois_import_count(imp, BT_OIS_PLACEHOLDER) &&
           !bt_ois_import_count(imp, BT_OIS_UNRESOLVED) &&
           !bt_ois_import_count(imp, BT_OIS_CONDITION_FAILED) &&
           !bt_ois_import_count(imp, BT_OIS_INVALID);
}
