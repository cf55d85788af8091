/* Import of System Center Orchestrator exports (.ois_export): how an
 * Orchestrator user moves to Baton. The export's folders and runbooks
 * become Baton runbook YAML documents (each one checked by the runbook
 * loader), its global variables, counters and schedules become a globals
 * document, and everything that did not convert exactly is listed in a
 * report: placeholder activities with their original type and properties,
 * references that could not be resolved, link conditions that could not be
 * expressed. Nothing is written or stored here; the caller decides (the
 * CLI writes files, the management server would store runbooks) and bad
 * input fails before anything exists. docs/import-orchestrator.md. */
#ifndef BT_OIS_IMPORT_H
#define BT_OIS_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "baton/activity.h"
#include "baton/error.h"

typedef enum {
    BT_OIS_CONVERTED,        /* activity converted to a Baton type */
    BT_OIS_PLACEHOLDER,      /* activity imported as a placeholder */
    BT_OIS_UNRESOLVED,       /* reference or value that could not be kept */
    BT_OIS_CONDITION,        /* link condition converted */
    BT_OIS_CONDITION_FAILED, /* link condition not converted: link blocked */
    BT_OIS_NOTE,             /* converted, but the operator should know */
    BT_OIS_SKIPPED,          /* not imported on purpose (annotations) */
    BT_OIS_INVALID           /* generated document failed validation */
} bt_ois_item_kind;

const char *bt_ois_item_kind_name(bt_ois_item_kind k);

typedef struct bt_ois_item {
    bt_ois_item_kind kind;
    char *activity;      /* Orchestrator display name, or NULL */
    char *id;            /* Baton activity id (or global's name), or NULL */
    char *original_type; /* Orchestrator object type name, or NULL */
    char *baton_type;    /* converted or placeholder type, or NULL */
    char *text;          /* a sentence for the operator */
    /* Placeholders: the original properties (references converted). */
    char **prop_names;
    char **prop_values;
    size_t n_props;
} bt_ois_item;

typedef struct bt_ois_runbook {
    char *name;   /* as in Orchestrator */
    char *folder; /* "/Operations/Web" */
    char *path;   /* relative file: "Operations/Web/Restart-web.runbook.yaml" */
    char *yaml;   /* the runbook document */
    bool valid;   /* loads and validates (else an BT_OIS_INVALID item) */
    bt_ois_item *items;
    size_t n_items;
} bt_ois_runbook;

typedef struct bt_ois_variable {
    char *name; /* Baton name ({var:name}) */
    char *original_name;
    char *folder;
    char *value; /* NULL when encrypted */
    char *description;
    bool encrypted; /* Orchestrator encrypted it: value not imported */
} bt_ois_variable;

typedef struct bt_ois_counter {
    char *name, *original_name, *folder, *description;
    char *default_value; /* text of an integer */
} bt_ois_counter;

typedef struct bt_ois_schedule {
    char *name, *original_name, *folder, *description;
    char *definition; /* Baton schedule definition as JSON text */
} bt_ois_schedule;

typedef struct bt_ois_import {
    char *source;   /* file name used in messages */
    char **folders; /* every folder path, parents first */
    size_t n_folders;
    bt_ois_runbook *runbooks;
    size_t n_runbooks;
    bt_ois_variable *variables;
    size_t n_variables;
    bt_ois_counter *counters;
    size_t n_counters;
    bt_ois_schedule *schedules;
    size_t n_schedules;
    bt_ois_item *items; /* about global settings */
    size_t n_items;
    char *globals_yaml; /* NULL when the export has no global settings */
} bt_ois_import;

/* Converts an export held in memory. reg: the activity types available
 * (NULL: the built-ins); an Orchestrator activity whose Baton equivalent
 * is not registered becomes a placeholder. On bad input (not XML, hostile
 * XML, not an export, over a limit) returns -BT_E* with a precise error and
 * *out is NULL. */
int bt_ois_import_memory(const char *name, const char *data, size_t len,
                         const bt_registry *reg, bt_ois_import **out,
                         bt_error *err);
/* The same for a file, refused before reading when over BT_OIS_MAX_BYTES. */
int bt_ois_import_file(const char *path, const bt_registry *reg,
                       bt_ois_import **out, bt_error *err);
void bt_ois_import_free(bt_ois_import *imp); /* NULL is a no-op */

/* Counts of report items of one kind, over every runbook and the globals;
 * encrypted variables count as BT_OIS_UNRESOLVED. */
size_t bt_ois_import_count(const bt_ois_import *imp, bt_ois_item_kind kind);
/* True when nothing needs the operator: no placeholders, unresolved items,
 * blocked conditions or invalid documents. */
bool bt_ois_import_complete(const bt_ois_import *imp);

/* The report. */
json_t *bt_ois_report_json(const bt_ois_import *imp);
void bt_ois_report_print(const bt_ois_import *imp, FILE *out);

/* Writes the folder tree under dir: one directory per folder, one
 * *.runbook.yaml per runbook, globals.yaml. Each file is written to a
 * temporary name and renamed into place. */
int bt_ois_import_write(const bt_ois_import *imp, const char *dir,
                        bt_error *err);

#endif
