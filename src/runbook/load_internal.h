/* Shared state of the runbook loader's passes (load.c: structure, props.c:
 * activity properties, refs.c: references, graph.c: links and graph). */
#ifndef BT_LOAD_INTERNAL_H
#define BT_LOAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "runbook/runbook.h"

/* The matrix of upstream flags is n*n bytes, so the activity count has a
 * cap; real runbooks have tens of activities. */
#define BT_RUNBOOK_MAX_ACTIVITIES 4096
#define BT_RUNBOOK_MAX_LINKS 16384
/* Caps that keep every check linear or close to it on hostile files; far
 * above what any real runbook uses. */
#define BT_RUNBOOK_MAX_PARAMS 1000
#define BT_RUNBOOK_MAX_NAMES 1000      /* returns, publishes */
#define BT_RUNBOOK_MAX_PROPERTIES 1000 /* per activity */
#define BT_RUNBOOK_MAX_REFERENCES 20000
/* Largest coordinate of an activity's position, in pixels. */
#define BT_RUNBOOK_MAX_POSITION 1000000
/* Edit-distance cells spent on "did you mean" suggestions per load. */
#define BT_LOADER_SUGGEST_BUDGET ((size_t)20 << 20)

typedef struct bt_loader {
    bt_runbook *rb;
    bt_diags *diags;
    int errors; /* problems this load reported */
    /* Activity types the runbook may use. */
    const bt_activity_type *const *types;
    size_t n_types;
    /* Link nodes that loaded, parallel to rb->links (conditions' nodes). */
    const bt_node **link_nodes;
    /* Activity nodes, parallel to rb->activities. */
    const bt_node **activity_nodes;
    /* Problems found in each activity's own definition. */
    int *activity_errors;
    /* Activity indexes sorted by id, for lookups in O(log n). */
    size_t *by_id;
    /* Per loaded link: the scalar node of each include, then exclude
     * condition, parallel to the link's arrays (for positions). */
    const bt_node ***link_cond_nodes;
    size_t suggest_budget; /* see BT_LOADER_SUGGEST_BUDGET */
} bt_loader;

void bt__load_error(bt_loader *ld, const bt_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bt__load_error_at(bt_loader *ld, int line, int column, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

/* True when the diagnostics list is full: callers then skip work that only
 * serves the message, and bt__load_error just counts. */
bool bt__load_full(const bt_loader *ld);

/* "a string", "a list", ... for messages. */
const char *bt__kind_phrase(bt_node_kind kind);

/* Nearest name by edit distance, for "did you mean"; NULL when nothing is
 * close enough. */
const char *bt__closest(bt_loader *ld, const char *word,
                        const char *const *names, size_t n);

/* Index of the activity with this id among those loaded, or SIZE_MAX
 * (after the activities pass has sorted them). */
size_t bt__activity_index(const bt_loader *ld, const char *id);

/* Where offset bytes into a scalar's text sit in the file (approximate for
 * multi-line or escaped text: then the scalar's own position). */
void bt__scalar_position(const bt_node *n, size_t offset, int *line,
                         int *column);

const bt_activity_type *bt__find_type(const bt_loader *ld, const char *name);

/* load_util.c: typed fields. Each reports what is wrong with the field
 * (named by where + key) and returns NULL/false/-1 for absent or bad. */
void bt__check_fields(bt_loader *ld, const bt_node *map, const char *where,
                      const char *const *names);
bool bt__expect_kind(bt_loader *ld, const bt_node *n, bt_node_kind kind,
                     const char *where, const char *field, const char *what);
const bt_node *bt__text_field(bt_loader *ld, const bt_node *map,
                              const char *key, const char *where,
                              bool required);
char *bt__text_copy(const bt_node *n); /* NULL for NULL */
/* -1 absent or bad, else 0/1. */
int bt__bool_field(bt_loader *ld, const bt_node *map, const char *key,
                   const char *where);
bool bt__duration_field(bt_loader *ld, const bt_node *map, const char *key,
                        const char *where, uint64_t *out);
/* [A-Za-z_][A-Za-z0-9_]* (with '-' too when dash), at most 128 chars. */
bool bt__is_ident(const char *s, bool dash);
/* A sequence of field names or one name; NULL-terminated, *count names. */
char **bt__name_list(bt_loader *ld, const bt_node *n, const char *where,
                     const char *field, size_t *count);
void bt__free_strv(char **v, size_t n);
/* Parses a condition; a syntax error is reported at its column. */
bt_cond *bt__parse_condition(bt_loader *ld, const bt_node *n,
                             const char *where);

/* value.c */
int bt__value_type_parse(bt_loader *ld, const char *name, bt_value_type *out,
                         const char **suggestion);
const char *bt__value_example(bt_value_type t); /* "an integer such as 42" */

/* props.c: checks an activity's properties against its type and compiles
 * every scalar into a template (node->compiled). */
void bt__load_properties(bt_loader *ld, bt_activity_def *def,
                         const bt_node *props);
void bt__free_compiled(bt_node *n);

/* graph.c: links_in/out, the upstream matrix, cycles, start activities. */
void bt__build_graph(bt_loader *ld);

/* refs.c: binds and checks every {activity.field} reference. */
void bt__check_references(bt_loader *ld);

/* The loader proper, with an explicit list of activity types: the public
 * entry points pass a registry's types; tests may pass their own. */
int bt__runbook_load_doc(bt_doc *doc, const bt_activity_type *const *types,
                         size_t n_types, bt_runbook **out, bt_diags *diags);
int bt__runbook_load_string_types(const char *name, const char *text,
                                  size_t len,
                                  const bt_activity_type *const *types,
                                  size_t n_types, bt_runbook **out,
                                  bt_diags *diags);

#endif
