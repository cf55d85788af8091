/* The import report (for people and for scripts) and writing the
 * converted tree to disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

static json_t *item_json(const bt_ois_item *it) {
    json_t *o = json_object();
    json_object_set_new(o, "kind",
                        json_string(bt_ois_item_kind_name(it->kind)));
    if (it->activity)
        json_object_set_new(o, "activity", json_string(it->activity));
    if (it->id) json_object_set_new(o, "id", json_string(it->id));
    if (it->original_type)
        json_object_set_new(o, "original_type", json_string(it->original_type));
    if (it->baton_type)
        json_object_set_new(o, "baton_type", json_string(it->baton_type));
    json_object_set_new(o, "text", json_string(it->text));
    if (it->n_props) {
        json_t *p = json_object();
        for (size_t i = 0; i < it->n_props; i++)
            json_object_set_new(p, it->prop_names[i],
                                json_string(it->prop_values[i]));
        json_object_set_new(o, "properties", p);
    }
    return o;
}

static json_t *items_json(const bt_ois_item *items, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, item_json(&items[i]));
    return a;
}

static size_t count_kind(const bt_ois_item *items, size_t n,
                         bt_ois_item_kind k) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += items[i].kind == k;
    return c;
}

static size_t encrypted(const bt_ois_import *imp) {
    size_t n = 0;
    for (size_t i = 0; i < imp->n_variables; i++)
        n += imp->variables[i].encrypted;
    return n;
}

json_t *bt_ois_report_json(const bt_ois_import *imp) {
    json_t *r = json_object();
    json_object_set_new(r, "source", json_string(imp->source));
    json_object_set_new(r, "complete",
                        json_boolean(bt_ois_import_complete(imp)));
    json_t *s = json_object();
    static const struct {
        const char *key;
        bt_ois_item_kind kind;
    } counts[] = {{"activities_converted", BT_OIS_CONVERTED},
                  {"placeholders", BT_OIS_PLACEHOLDER},
                  {"unresolved", BT_OIS_UNRESOLVED},
                  {"conditions_converted", BT_OIS_CONDITION},
                  {"conditions_not_converted", BT_OIS_CONDITION_FAILED},
                  {"notes", BT_OIS_NOTE},
                  {"skipped", BT_OIS_SKIPPED},
                  {"invalid", BT_OIS_INVALID}};
    json_object_set_new(s, "runbooks",
                        json_integer((json_int_t)imp->n_runbooks));
    json_object_set_new(s, "folders", json_integer((json_int_t)imp->n_folders));
    for (size_t i = 0; i < BT_ARRAY_LEN(counts); i++)
        json_object_set_new(
            s, counts[i].key,
            json_integer((json_int_t)bt_ois_import_count(imp, counts[i].kind)));
    json_object_set_new(s, "variables",
                        json_integer((json_int_t)imp->n_variables));
    json_object_set_new(s, "encrypted_variables",
                        json_integer((json_int_t)encrypted(imp)));
    json_object_set_new(s, "counters",
                        json_integer((json_int_t)imp->n_counters));
    json_object_set_new(s, "schedules",
                        json_integer((json_int_t)imp->n_schedules));
    json_object_set_new(r, "summary", s);
    json_t *folders = json_array();
    for (size_t i = 0; i < imp->n_folders; i++)
        json_array_append_new(folders, json_string(imp->folders[i]));
    json_object_set_new(r, "folders", folders);
    json_t *rbs = json_array();
    for (size_t i = 0; i < imp->n_runbooks; i++) {
        const bt_ois_runbook *rb = &imp->runbooks[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(rb->name));
        json_object_set_new(o, "folder", json_string(rb->folder));
        json_object_set_new(o, "file", json_string(rb->path));
        json_object_set_new(o, "valid", json_boolean(rb->valid));
        json_object_set_new(o, "items", items_json(rb->items, rb->n_items));
        json_array_append_new(rbs, o);
    }
    json_object_set_new(r, "runbooks", rbs);
    json_t *g = json_object();
    if (imp->globals_yaml)
        json_object_set_new(g, "file", json_string("globals.yaml"));
    json_t *vars = json_array();
    for (size_t i = 0; i < imp->n_variables; i++) {
        const bt_ois_variable *v = &imp->variables[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(v->name));
        json_object_set_new(o, "original_name", json_string(v->original_name));
        json_object_set_new(o, "folder", json_string(v->folder));
        json_object_set_new(o, "encrypted", json_boolean(v->encrypted));
        json_array_append_new(vars, o);
    }
    json_object_set_new(g, "variables", vars);
    json_t *ctr = json_array();
    for (size_t i = 0; i < imp->n_counters; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(imp->counters[i].name));
        json_object_set_new(o, "original_name",
                            json_string(imp->counters[i].original_name));
        json_object_set_new(o, "default",
                            json_string(imp->counters[i].default_value));
        json_array_append_new(ctr, o);
    }
    json_object_set_new(g, "counters", ctr);
    json_t *sch = json_array();
    for (size_t i = 0; i < imp->n_schedules; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(imp->schedules[i].name));
        json_object_set_new(o, "original_name",
                            json_string(imp->schedules[i].original_name));
        json_object_set_new(o, "definition",
                            json_loads(imp->schedules[i].definition, 0, NULL));
        json_array_append_new(sch, o);
    }
    json_object_set_new(g, "schedules", sch);
    json_object_set_new(g, "items", items_json(imp->items, imp->n_items));
    json_object_set_new(r, "globals", g);
    return r;
}

static void print_section(const bt_ois_import *imp, FILE *out,
                          bt_ois_item_kind kind, const char *title) {
    if (!bt_ois_import_count(imp, kind)) return;
    fprintf(out, "\n%s:\n", title);
    for (size_t i = 0; i < imp->n_runbooks; i++) {
        const bt_ois_runbook *rb = &imp->runbooks[i];
        for (size_t k = 0; k < rb->n_items; k++) {
            const bt_ois_item *it = &rb->items[k];
            if (it->kind != kind) continue;
            fprintf(out, "  %s%s%s", rb->folder,
                    strcmp(rb->folder, "/") ? "/" : "", rb->name);
            if (it->activity)
                fprintf(out, " / '%s'%s%s%s", it->activity,
                        it->original_type ? " (" : "",
                        it->original_type ? it->original_type : "",
                        it->original_type ? ")" : "");
            if (it->id) fprintf(out, " [%s]", it->id);
            fprintf(out, ": %s\n", it->text);
            for (size_t p = 0; p < it->n_props; p++) {
                const char *v = it->prop_values[p];
                fprintf(out, "      %s = %.*s%s\n", it->prop_names[p],
                        (int)strcspn(v, "\n") > 100 ? 100
                                                    : (int)strcspn(v, "\n"),
                        v,
                        strlen(v) > strcspn(v, "\n") || strlen(v) > 100 ? " ..."
                                                                        : "");
            }
        }
    }
    for (size_t k = 0; k < imp->n_items; k++)
        if (imp->items[k].kind == kind)
            fprintf(out, "  global settings%s%s: %s\n",
                    imp->items[k].id ? " / " : "",
                    imp->items[k].id ? imp->items[k].id : "",
                    imp->items[k].text);
}

void bt_ois_report_print(const bt_ois_import *imp, FILE *out) {
    fprintf(out,
            "Orchestrator import of '%s': %zu runbook(s) in %zu "
            "folder(s); %zu activities converted, %zu placeholder(s), %zu "
            "unresolved item(s), %zu condition(s) converted, %zu not "
            "converted; %zu variable(s) (%zu encrypted), %zu counter(s), %zu "
            "schedule(s).\n",
            imp->source, imp->n_runbooks, imp->n_folders,
            bt_ois_import_count(imp, BT_OIS_CONVERTED),
            bt_ois_import_count(imp, BT_OIS_PLACEHOLDER),
            bt_ois_import_count(imp, BT_OIS_UNRESOLVED),
            bt_ois_import_count(imp, BT_OIS_CONDITION),
            bt_ois_import_count(imp, BT_OIS_CONDITION_FAILED), imp->n_variables,
            encrypted(imp), imp->n_counters, imp->n_schedules);
    if (imp->n_runbooks) {
        fprintf(out, "\n%-40s %-9s %-11s %-10s %-10s %-7s %s\n", "RUNBOOK",
                "CONVERTED", "PLACEHOLDER", "UNRESOLVED", "CONDITIONS",
                "BLOCKED", "VALID");
        for (size_t i = 0; i < imp->n_runbooks; i++) {
            const bt_ois_runbook *rb = &imp->runbooks[i];
            char full[600];
            snprintf(full, sizeof full, "%s%s%s", rb->folder,
                     strcmp(rb->folder, "/") ? "/" : "", rb->name);
            fprintf(out, "%-40s %9zu %11zu %10zu %10zu %7zu %s\n", full,
                    count_kind(rb->items, rb->n_items, BT_OIS_CONVERTED),
                    count_kind(rb->items, rb->n_items, BT_OIS_PLACEHOLDER),
                    count_kind(rb->items, rb->n_items, BT_OIS_UNRESOLVED),
                    count_kind(rb->items, rb->n_items, BT_OIS_CONDITION),
                    count_kind(rb->items, rb->n_items, BT_OIS_CONDITION_FAILED),
                    rb->valid ? "yes" : "NO");
        }
    }
    print_section(imp, out, BT_OIS_INVALID,
                  "Documents that do not validate (a bug: please report)");
    print_section(imp, out, BT_OIS_PLACEHOLDER,
                  "Placeholders (activities to replace; they fail if run)");
    print_section(imp, out, BT_OIS_UNRESOLVED, "Unresolved");
    print_section(imp, out, BT_OIS_CONDITION_FAILED,
                  "Link conditions not converted (links blocked)");
    print_section(imp, out, BT_OIS_NOTE, "Notes");
    print_section(imp, out, BT_OIS_SKIPPED, "Skipped");
    print_section(imp, out, BT_OIS_CONVERTED, "Converted activities");
    print_section(imp, out, BT_OIS_CONDITION, "Converted link conditions");
}

/* ---- writing the tree
 * ---------------------------------------------------------- */

static int mkdirs(const char *path, bt_error *err) {
    if (!path[0]) return 0;
    char *p = bt_xstrdup(path);
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c != '/' && c != '\0') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int rc = bt_error_set_at(err, BT_EIO, p, 0, 0,
                                     "cannot create the folder: %s",
                                     strerror(errno));
            free(p);
            return rc;
        }
        *s = c;
        if (!c) break;
    }
    free(p);
    return 0;
}

static int write_file(const char *dir, const char *rel, const char *text,
                      bt_error *err) {
    char *path = bt_xasprintf("%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = mkdirs(path, err);
    *slash = '/';
    char *tmp = bt_xasprintf("%s.XXXXXX", path);
    int fd = rc ? -1 : mkstemp(tmp);
    if (!rc && fd < 0)
        rc = bt_error_set_at(err, BT_EIO, path, 0, 0, "cannot create: %s",
                             strerror(errno));
    size_t len = strlen(text), off = 0;
    while (!rc && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            rc = bt_error_set_at(err, BT_EIO, path, 0, 0, "cannot write: %s",
                                 strerror(errno));
        else
            off += (size_t)w;
    }
    if (!rc && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        rc = bt_error_set_at(err, BT_EIO, path, 0, 0, "cannot write: %s",
                             strerror(errno));
    if (fd >= 0) close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc = bt_error_set_at(err, BT_EIO, path, 0, 0,
                             "cannot rename into "
                             "place: %s",
                             strerror(errno));
    if (rc && fd >= 0) unlink(tmp);
    free(tmp);
    free(path);
    return rc;
}

int bt_ois_import_write(const bt_ois_import *imp, const char *dir,
                        bt_error *err) {
    int rc = mkdirs(dir, err);
    for (size_t i = 0; !rc && i < imp->n_folders; i++) {
        /* Empty folders exist in Orchestrator too; keep them. */
        bt_buf p;
        bt_buf_init(&p, 0);
        bt_buf_appends(&p, dir);
        const char *f = imp->folders[i];
        while (*f == '/' && f[1]) {
            const char *e = strchr(f + 1, '/');
            size_t len = e ? (size_t)(e - f - 1) : strlen(f + 1);
            char *seg = bt_xstrndup(f + 1, len);
            char *comp = ois_file_component(seg);
            bt_buf_printf(&p, "/%s", comp);
            free(seg);
            free(comp);
            f += len + 1;
        }
        rc = mkdirs(bt_buf_str(&p), err);
        bt_buf_free(&p);
    }
    for (size_t i = 0; !rc && i < imp->n_runbooks; i++)
        if (imp->runbooks[i].yaml) /* NULL: over a limit, not converted */
            rc = write_file(dir, imp->runbooks[i].path, imp->runbooks[i].yaml,
                            err);
    if (!rc && imp->globals_yaml)
        rc = write_file(dir, "globals.yaml", imp->globals_yaml, err);
    return rc;
}
