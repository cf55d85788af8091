/* Shared between the Orchestrator import's modules; not a public API. */
#ifndef BT_OIS_INTERNAL_H
#define BT_OIS_INTERNAL_H

#include <libxml/tree.h>
#include <stdarg.h>
#include <stdbool.h>

#include "common/buf.h"
#include "mgmt/ois_import.h"
#include "mgmt/ois_xml.h"

/* Orchestrator's object type GUIDs that the importer needs to recognise
 * without relying on the type name. */
#define OIS_GUID_LINK "{7A65BD17-9532-4D07-A6DA-E0F89FA0203E}"
#define OIS_GUID_NOTE "{AB1D2E56-3842-4184-A9AF-DFBB99115D26}"
#define OIS_GUID_VARIABLE "{2E88BB5A-62F9-482E-84B0-4D963C987231}"
#define OIS_GUID_COUNTER "{0BABBCF6-C702-4F02-9BA6-BAB75983A06A}"
#define OIS_GUID_SCHEDULE "{4386DA28-C311-4A2B-8C47-3C7BB9D66B51}"

/* The runbook loader's limits (docs/runbook-format.md, Limits). */
#define OIS_MAX_ACTIVITIES 4096
#define OIS_MAX_LINKS 16384
/* Runbooks, and global settings of each kind, in one export. */
#define OIS_MAX_RUNBOOKS 10000
#define OIS_MAX_GLOBALS 10000

/* ---- text (ois_text.c) ------------------------------------------------ */

/* "Restart Web Service" -> "restart_web_service": [a-z0-9_], not starting
 * with a digit, at most 64 bytes, never empty (fallback used instead). */
char *ois_identifier(const char *text, const char *fallback);
/* Lower-case letters and digits only: how names are compared, so that
 * "Pure Output", "PureOutput" and "pure_output" are one name. */
char *ois_normalize(const char *text);
bool ois_same_name(const char *a, const char *b);
/* path + "/" + name, a '/' inside name replaced: a folder's path. */
char *ois_folder_join(const char *path, const char *name);
/* A folder or file name component safe on any file system. */
char *ois_file_component(const char *text);
/* "{7a65...}" / "7A65..." -> "{7A65...}" or NULL when not a GUID. */
char *ois_guid(const char *text);
/* Appends text that must stay literal in a Baton template: any piece that
 * reads as {a.b} or {var:x} is escaped as {{a.b}}. */
void ois_template_literal(bt_buf *b, const char *text, size_t len);
/* CR LF -> LF, lone CR -> LF, other control characters but TAB and LF
 * removed: what a runbook file may hold. Returns how many were removed. */
size_t ois_clean_text(char *s);

/* YAML output: every scalar is written by these, so quoting is one place.
 * indent is the column of the key the value belongs to. */
void oy_scalar(bt_buf *b, const char *s, int indent);
/* A double-quoted scalar with no line break after it (flow lists). */
void oy_quoted(bt_buf *b, const char *s);
void oy_key(bt_buf *b, int indent, const char *key);
void oy_key_scalar(bt_buf *b, int indent, const char *key, const char *s);

/* ---- report items ------------------------------------------------------ */

typedef struct ois_items {
    bt_ois_item *items;
    size_t n, cap;
} ois_items;

bt_ois_item *ois_item_add(ois_items *list, bt_ois_item_kind kind,
                          const char *activity, const char *id, const char *fmt,
                          ...) __attribute__((format(printf, 5, 6)));
void ois_item_free(bt_ois_item *it);

/* ---- import-wide state -------------------------------------------------- */

typedef struct ois_named {
    char *guid;
    char *name; /* Baton name */
} ois_named;

typedef struct ois_ctx {
    const char *source;
    const bt_registry *reg;
    ois_named *vars; /* variable GUID -> name */
    size_t n_vars;
    bool *var_encrypted;
    ois_named *counters; /* counter GUID -> name */
    size_t n_counters;
    ois_named *schedules; /* schedule GUID -> name */
    size_t n_schedules;
    ois_named *runbooks; /* runbook GUID -> "/Folder/Name" */
    size_t n_runbooks;
} ois_ctx;

const char *ois_lookup(const ois_named *list, size_t n, const char *guid);
bool ois_lookup_name_taken(const ois_named *list, size_t n, const char *name);

/* ---- global settings (ois_globals.c) ------------------------------------ */

/* Reads ExportData/GlobalSettings into imp and the GUID maps in ctx. */
void ois_globals_read(ois_ctx *ctx, xmlNodePtr export_data, bt_ois_import *imp,
                      ois_items *items);
char *ois_globals_yaml(const bt_ois_import *imp);

/* ---- activities --------------------------------------------------------- */

typedef enum { OIS_SCALAR, OIS_LIST, OIS_MAP } ois_value_kind;

/* A property value before references are converted: Orchestrator text
 * (raw) or text the importer wrote (generated, still a Baton template). */
typedef struct ois_value {
    char *name;
    ois_value_kind kind;
    char **keys; /* OIS_MAP */
    char **items;
    size_t n;
    bool generated;
} ois_value;

typedef struct ois_mapping ois_mapping;

typedef struct ois_act {
    xmlNodePtr node;
    char *guid, *name, *type_name, *id;
    const ois_mapping *map;       /* NULL: placeholder */
    const bt_activity_type *type; /* the Baton type written */
    char *why;                    /* placeholder: why */
    ois_value *props;
    size_t n_props;
    char **consumed; /* element names a converter used */
    size_t n_consumed;
    /* Fields whose names come from the export: run-script's published
     * variables (Orchestrator name -> Baton field). */
    char **pub_orig, **pub_name;
    size_t n_pub;
    bool declare_publishes;
    char *republish_guid; /* junction */
    char *flatten;        /* NULL, or the separator ("\n" default) */
    bool has_position;    /* where Orchestrator drew it, in Baton's scale */
    int x, y;
} ois_act;

typedef struct ois_rb ois_rb; /* the runbook being converted */

typedef struct ois_link {
    size_t from, to;
    xmlNodePtr node;
} ois_link;

typedef struct ois_param {
    char *guid, *orig, *name, *type, *description;
} ois_param;

/* The runbook being converted. */
struct ois_rb {
    ois_ctx *ctx;
    char *name;
    ois_act *acts;
    size_t n;
    ois_link *links;
    size_t n_links;
    unsigned char *up; /* up[i * n + j]: j runs before i */
    ois_param *params;
    size_t n_params;
    char **ret_orig, **ret_name;
    size_t n_returns;
    ois_items *items;
};

typedef struct ois_conv {
    ois_ctx *ctx;
    ois_rb *rb;
    ois_act *act;
    ois_items *items;
    char *why; /* set by ois_refuse */
} ois_conv;

struct ois_mapping {
    const char *names;            /* Orchestrator type names, '|' separated */
    const char *type_guid;        /* or NULL */
    const char *baton_type;       /* NULL: known, never converted */
    int (*convert)(ois_conv *cv); /* 0, or -1 after ois_refuse */
    /* published data: "orchestrator names|...=baton_field", NULL-ended */
    const char *const *fields;
};

const ois_mapping *ois_mapping_find(const char *type_name,
                                    const char *type_guid);

/* Helpers for converters (ois_runbook.c). */
char *ois_take(ois_conv *cv,
               ...); /* first non-empty of the names, NULL-ended */
int ois_take_bool(ois_conv *cv, int dflt, ...);
void ois_set(ois_conv *cv, const char *name, char *raw); /* takes raw */
void ois_set_gen(ois_conv *cv, const char *name, const char *text);
void ois_set_list_gen(ois_conv *cv, const char *name, const char *const *items,
                      size_t n);
void ois_set_map(ois_conv *cv, const char *name, char **keys, char **raw,
                 size_t n); /* takes the arrays and strings */
void ois_note(ois_conv *cv, bt_ois_item_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The end of a converter between two paths: both are needed (else the
 * import refuses, naming the one missing), src is set as src_prop and
 * dst as "destination", and Orchestrator's if-exists choice is read.
 * Takes src and dst. */
int ois_set_pair(ois_conv *cv, const char *title, const char *src_prop,
                 char *src, const char *src_what, char *dst,
                 const char *dst_what);
int ois_refuse(ois_conv *cv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ois_consume(ois_conv *cv, const char *name);
/* Parameters a Custom Start declares, and return data definitions. */
void ois_rb_add_param(ois_rb *rb, const char *guid, const char *orig,
                      const char *type, const char *description);
void ois_rb_add_return(ois_rb *rb, const char *orig);
/* Orchestrator nests small documents either as child elements or as XML
 * escaped into the element's text; the root of either (NULL: neither).
 * *inner, when set, is freed by the caller with xmlFreeDoc. */
xmlNodePtr ois_nested(xmlNodePtr elem, xmlDocPtr *inner);
/* Entries of a nested list (child elements or escaped XML in the text):
 * each entry's name (first of the name_keys present) and Value. */
size_t ois_entries(xmlNodePtr elem, const char *const *name_keys, char ***names,
                   char ***values, char ***guids);

/* ---- converters of ois_ops.c (for the table in ois_activities.c) ----- */

int ois_conv_end_process(ois_conv *cv);
int ois_conv_restart_system(ois_conv *cv);
int ois_conv_service_control(ois_conv *cv);
int ois_conv_get_service_status(ois_conv *cv);
int ois_conv_monitor_service(ois_conv *cv);
int ois_conv_get_process_status(ois_conv *cv);
int ois_conv_monitor_process(ois_conv *cv);
int ois_conv_get_computer_status(ois_conv *cv);
int ois_conv_monitor_computer_status(ois_conv *cv);
int ois_conv_get_disk_space(ois_conv *cv);
int ois_conv_monitor_disk_space(ois_conv *cv);
int ois_conv_get_internet_app(ois_conv *cv);
int ois_conv_monitor_internet_app(ois_conv *cv);
int ois_conv_send_event_log(ois_conv *cv);
int ois_conv_send_syslog(ois_conv *cv);
int ois_conv_send_platform_event(ois_conv *cv);
int ois_conv_send_email(ois_conv *cv);
int ois_conv_get_snmp(ois_conv *cv);
int ois_conv_set_snmp(ois_conv *cv);
int ois_conv_send_snmp_trap(ois_conv *cv);
int ois_conv_query_xml(ois_conv *cv);
int ois_conv_apply_xslt(ois_conv *cv);
int ois_conv_run_ssh(ois_conv *cv);
int ois_conv_compress(ois_conv *cv);
int ois_conv_decompress(ois_conv *cv);
int ois_conv_move_folder(ois_conv *cv);
int ois_conv_insert_line(ois_conv *cv);
int ois_conv_line_numbers(ois_conv *cv);
/* Always refuses, saying why (Baton has the type, the export lacks what
 * it needs). */
int ois_conv_by_hand(ois_conv *cv);

/* ---- references (ois_refs.c) ------------------------------------------- */

size_t ois_act_index(const ois_rb *rb, const char *guid); /* SIZE_MAX: none */
/* "{GUID}.name" as a Baton reference appended to out; false with a reason
 * in why when it cannot be one. allow_self: the reader may read its own
 * data (conditions of links leaving it). */
bool ois_data_ref(const ois_rb *rb, size_t reader, bool allow_self,
                  const char *body, bt_buf *out, char *why, size_t wsize);
/* Orchestrator text (raw) as a Baton template; generated text is already
 * one. where names the property in report items. */
char *ois_convert_text(ois_rb *rb, size_t reader, bool allow_self,
                       const char *raw, bool generated, const char *where);

/* ---- links (ois_links.c) --------------------------------------------------
 */

typedef struct ois_link_out { /* a link as written */
    unsigned on;              /* BT_ON_* bits; 0: default (success) */
    bool on_any;
    char **include;
    size_t n_include;
    char **exclude;
    size_t n_exclude;
    char *comment; /* why the link is blocked, or NULL */
} ois_link_out;

void ois_link_convert(ois_rb *rb, const ois_link *l, ois_link_out *lo);
void ois_link_out_free(ois_link_out *lo);

/* ---- one runbook (ois_runbook.c) ---------------------------------------- */

int ois_runbook_convert(ois_ctx *ctx, xmlNodePtr policy, const char *folder,
                        bt_ois_runbook *out);

#endif
