/* The in-memory runbook: what a *.runbook.yaml file describes, checked and
 * with every template and condition compiled and bound. Immutable once
 * loaded, so any number of instances share one. */
#ifndef BT_RUNBOOK_H
#define BT_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "engine/cond.h"
#include "runbook/doc.h"

typedef enum {
    BT_TYPE_STRING,
    BT_TYPE_INTEGER,
    BT_TYPE_NUMBER,
    BT_TYPE_BOOLEAN,
    BT_TYPE_DATETIME /* ISO 8601 */
} bt_value_type;

const char *bt_value_type_name(bt_value_type t);
/* 0 when text is a valid value of type t. */
int bt_value_check(bt_value_type t, const char *text);

typedef struct bt_param_def {
    char *name;
    bt_value_type type;
    bool required;
    bool has_default;
    char *default_value; /* as text; checked against type at load */
    char *description;
    char **allowed;      /* optional list of allowed values */
    size_t n_allowed;
    int line, column;
} bt_param_def;

typedef struct bt_retry_def {
    bool enabled;
    unsigned max_attempts;  /* total runs including the first; >= 1 */
    uint64_t delay_ms;      /* between attempts */
    bt_cond *until;         /* exit condition; NULL: until result is success */
} bt_retry_def;

typedef struct bt_activity_def {
    char *id;        /* unique, [A-Za-z_][A-Za-z0-9_-]* */
    char *name;      /* display name; defaults to id */
    char *type_name;
    const bt_activity_type *type;
    const bt_node *properties; /* map or NULL; scalars carry a compiled
                                  bt_template in node->compiled */
    bt_retry_def retry;
    bool flatten;            /* publish one row joining all rows */
    char *flatten_separator; /* default "\n"... see docs */
    uint64_t timeout_ms;     /* 0: none */
    char **publishes;        /* declared extra published fields */
    size_t n_publishes;
    /* Where the designer draws the box (its centre, in pixels from the
     * canvas's top left); the engine never reads it. */
    bool has_position;
    int x, y;
    size_t index;
    size_t *links_out, n_links_out; /* link indexes */
    size_t *links_in, n_links_in;
    int line, column;
} bt_activity_def;

#define BT_ON_SUCCESS (1u << BT_RESULT_SUCCESS)
#define BT_ON_WARNING (1u << BT_RESULT_WARNING)
#define BT_ON_FAILED (1u << BT_RESULT_FAILED)

typedef struct bt_link_def {
    char *name;  /* optional label */
    size_t from, to;
    unsigned on_mask;    /* results that may take this link; default
                            BT_ON_SUCCESS */
    bt_cond **include;   /* OR'd; none means "always" */
    size_t n_include;
    bt_cond **exclude;   /* any true vetoes the link */
    size_t n_exclude;
    unsigned loop_guard; /* 0: none; else fires at most N times per
                            instance, which makes a cycle legal */
    int line, column;
} bt_link_def;

typedef struct bt_runbook {
    char *file;
    char *name;
    char *folder;
    char *description;
    bt_param_def *params;
    size_t n_params;
    bt_activity_def *activities;
    size_t n_activities;
    bt_link_def *links;
    size_t n_links;
    char **returns; /* declared Return Data fields; may be empty */
    size_t n_returns;
    /* upstream[i * n_activities + j] != 0 when activity j can run before
     * activity i on some path (j is an ancestor of i). */
    unsigned char *upstream;
    bt_doc *doc;
} bt_runbook;

/* Loads and validates. On failure returns -BT_EINVAL (or -BT_E* for I/O)
 * and every problem found is in diags, each with file, line and column.
 * reg may be NULL for the built-in activities. */
int bt_runbook_load_file(const char *path, const bt_registry *reg,
                         bt_runbook **out, bt_diags *diags);
int bt_runbook_load_string(const char *name, const char *text, size_t len,
                           const bt_registry *reg, bt_runbook **out,
                           bt_diags *diags);
void bt_runbook_free(bt_runbook *rb);

const bt_activity_def *bt_runbook_find(const bt_runbook *rb, const char *id);
/* Index of the activity with this id, or SIZE_MAX. */
size_t bt_runbook_index(const bt_runbook *rb, const char *id);
/* The parameter called name, or NULL. */
const bt_param_def *bt_runbook_param(const bt_runbook *rb, const char *name);
/* Checks a value given for parameter p: its type and, when p lists them,
 * the allowed values. -BT_EINVAL with a sentence naming the parameter. */
int bt_param_check(const bt_param_def *p, const char *value, bt_error *err);
/* True when value is one of p's allowed values, or p lists none. */
bool bt_param_allows(const bt_param_def *p, const char *value);
bool bt_runbook_is_upstream(const bt_runbook *rb, size_t ancestor,
                            size_t activity);

/* Orchestrator's PositionX/PositionY (an icon's top-left corner) to a
 * box position (its centre, 1.5 times the scale) and back. */
void bt_runbook_position_from_orchestrator(int ox, int oy, int *x, int *y);
void bt_runbook_position_to_orchestrator(int x, int y, int *ox, int *oy);

#endif
