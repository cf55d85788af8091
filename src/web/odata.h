/* What the OData files share. The endpoint re-creates System Center
 * Orchestrator 2012's web service (WCF Data Services, OData v2) over
 * Baton's store: the same entity sets, property names and order, GUID
 * keys, Atom by default and verbose JSON on request.
 *
 * Every entity set is materialised per request as a JSON array of objects
 * keyed by Orchestrator's property names (DateTime values as integer
 * microseconds), then filtered, ordered, paged and written by one generic
 * path. Navigation properties are joins on a property pair, so $expand and
 * Runbooks(guid'…')/Parameters need no per-set code. */
#ifndef BT_ODATA_H
#define BT_ODATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "runbook/runbook.h"
#include "store/store.h"
#include "web/web_internal.h"

#define OD_NS "Microsoft.SystemCenter.Orchestrator.WebService"
#define OD_CONTAINER "OrchestratorContext"
#define OD_PAGE_SIZE 50 /* Orchestrator's default server page */
#define OD_NULL_GUID "00000000-0000-0000-0000-000000000000"

typedef enum { OD_GUID, OD_STRING, OD_INT32, OD_BOOL, OD_DATETIME } od_type;

typedef struct od_prop {
    const char *name;
    od_type type;
    bool nullable;
} od_prop;

/* A navigation property: the target set's entities whose `remote`
 * property equals this entity's `local` property. */
typedef struct od_nav {
    const char *name;
    const char *target; /* entity set name */
    bool many;
    const char *local;
    const char *remote;
} od_nav;

typedef struct od_ctx od_ctx;

typedef enum {
    OD_RUNBOOKS,
    OD_RUNBOOK_PARAMETERS,
    OD_JOBS,
    OD_RUNBOOK_INSTANCES,
    OD_RUNBOOK_INSTANCE_PARAMETERS,
    OD_ACTIVITY_INSTANCES,
    OD_ACTIVITY_INSTANCE_DATA,
    OD_ACTIVITIES,
    OD_RUNBOOK_SERVERS,
    OD_FOLDERS,
    OD_EVENTS,
    OD_STATISTICS,
    OD_RUNBOOK_DIAGRAMS,
    OD_N_SETS
} od_set_id;

typedef struct od_set {
    od_set_id id;
    const char *name; /* "Runbooks" */
    const char *type; /* "Runbook" */
    const od_prop *props; /* props[0] is the key */
    size_t n_props;
    const od_nav *navs;
    size_t n_navs;
    int (*load)(od_ctx *c, json_t *out);
} od_set;

/* One request. Raw store rows are loaded once and shared by the sets. */
struct od_ctx {
    bt_web_req *r;
    bt_store *s;
    char *base; /* "http://host/Orchestrator2012/Orchestrator.svc/" */
    bool json;  /* verbose JSON instead of Atom */
    json_t *sets[OD_N_SETS];
    bt_error err;
    /* While set `scope_set` is loaded, its loader may read only the
     * entities whose `scope_prop` is the GUID `scope_key` (a key lookup, a
     * navigation from one entity, a filter term): a poll of
     * RunbookInstances(guid'…')/Parameters must not read every job's
     * instances. It may return more, never fewer; the caller still
     * filters, and never caches the partial set. */
    int scope_set; /* od_set_id, or -1 */
    const char *scope_prop;
    const char *scope_key;
    /* raw caches (odata_entities.c) */
    bool have_runbooks, have_servers, have_jobs, have_instances, have_acts;
    bt_store_runbook *rbs;
    size_t n_rbs;
    const bt_runbook **defs; /* latest version of rbs[i] (defcache.c) */
    bool *def_tried;
    bt_store_server *servers;
    size_t n_servers;
    bt_store_job *jobs;
    size_t n_jobs;
    bt_store_instance *insts;
    size_t *inst_job; /* index into jobs */
    size_t n_insts;
    bt_store_activity *acts;
    size_t *act_inst; /* index into insts */
    size_t n_acts;
};

/* odata_model.c */
extern const od_set od_sets[OD_N_SETS];
const od_set *od_set_find(const char *name);
const od_prop *od_prop_find(const od_set *set, const char *name);
const od_nav *od_nav_find(const od_set *set, const char *name);
void od_write_metadata(bt_buf *b);
void od_write_service(od_ctx *c, bt_buf *b);

/* odata_store.c: rows read once per request, GUIDs. The od_need_*
 * calls fill the ctx's caches; 0 or -BT_E* with c->err set. */
int od_need_runbooks(od_ctx *c);
int od_need_servers(od_ctx *c);
int od_need_jobs(od_ctx *c);
int od_need_instances(od_ctx *c);
int od_need_acts(od_ctx *c);
int od_fail(od_ctx *c, int rc);
const bt_store_runbook *od_runbook_by_id(od_ctx *c, int64_t id, size_t *idx);
const char *od_server_guid(od_ctx *c, int64_t id); /* NULL: none */
/* The id of the server with this GUID text (a filter term's), 0: none
 * (needs od_need_servers). */
int64_t od_server_id(od_ctx *c, const char *text, size_t len);
/* ",1,2,": the runbooks whose jobs and instances the caller may see, for
 * the store's queries (needs od_need_runbooks); NULL when every one. */
char *od_visible_runbook_ids(od_ctx *c);
json_t *od_set_rows(od_ctx *c, const od_set *set); /* borrowed; NULL+err */
/* The entity of set with this key (a new reference), loading only it when
 * the set's loader can; *out NULL when there is none. 0 or -BT_E*. */
int od_find_entity(od_ctx *c, const od_set *set, const char *key,
                   json_t **out);
/* The GUID that set's loader may restrict its property prop to (see
 * scope_set), or NULL: load every entity. */
const char *od_scope(const od_ctx *c, od_set_id set, const char *prop);
/* Whether a loader may skip the entity with this key (a scope on Id). */
bool od_skip(const od_ctx *c, od_set_id set, const char *key);
void od_ctx_clear(od_ctx *c);
void od_guid_derive(const char *ns, const char *kind, const char *name,
                    char out[BT_GUID_LEN]);
/* "{ABC...}" / "abc..." -> canonical lowercase; false when not a GUID. */
bool od_guid_parse(const char *text, size_t len, char out[BT_GUID_LEN]);
int od_find_runbook(od_ctx *c, const char *guid, size_t *idx);
const bt_runbook *od_runbook_def(od_ctx *c, size_t idx);
/* The job with this GUID into *out when the caller may see it: 1, else 0
 * (no such job, or hidden), or -BT_E* with c->err set. */
int od_get_job(od_ctx *c, const char *guid, bt_store_job *out);
char *od_param_guid(const char *runbook_guid, const char *name);

/* Orchestrator's job status names. */
const char *od_job_status(bt_job_status st);
/* Entities of target whose remote property equals the value of local. */
json_t *od_nav_rows(od_ctx *c, const od_set *set, const od_nav *nav,
                    json_t *entity); /* new reference; NULL+err */

/* odata_entities.c: the loaders (od_sets[i].load) and the layout.
 * x/y per activity: a layered layout shared by Activities and diagrams. */
void od_layout(const bt_runbook *def, int *x, int *y);
/* A job as Orchestrator's Job entity; needs od_need_runbooks and
 * od_need_servers. A new reference. */
json_t *od_job_entity(od_ctx *c, const bt_store_job *job);
/* An activity instance as Orchestrator's entity. A new reference. */
json_t *od_activity_entity(const bt_store_activity *a, const char *inst_guid,
                           const char *rb_guid);
/* Orchestrator's name of a runbook instance's Status ("InProgress"). */
const char *od_instance_state_name(bt_store_instance_state st);
/* A runbook instance as Orchestrator's entity (same needs). */
json_t *od_instance_entity(od_ctx *c, const bt_store_instance *in,
                           const char *job_guid);

/* odata_query.c */
typedef struct od_expr od_expr;
/* Parses $filter text against set; NULL with a message in err. */
od_expr *od_filter_parse(const od_set *set, const char *text, char *err,
                         size_t errlen);
bool od_filter_match(od_ctx *c, const od_expr *e, json_t *entity);
/* A $filter that is only "Property op literal" terms joined by "and" (no
 * navigation, functions or arithmetic, the property on the left) can be
 * handed to the store. text is borrowed from the expression; a GUID's
 * braces are not part of it. */
typedef enum { OD_EQ, OD_NE, OD_GT, OD_GE, OD_LT, OD_LE } od_cmp;
typedef struct od_term {
    const od_prop *prop;
    od_cmp op;
    bool is_time;
    int64_t time;     /* microseconds, when is_time */
    const char *text; /* else */
    size_t text_len;
} od_term;
/* false when e is anything else or has more than max terms; no filter is
 * zero terms. */
bool od_filter_terms(const od_expr *e, od_term *out, size_t max, size_t *n);
/* The rows of set that can satisfy filter (NULL: all), a new reference:
 * only those of the scope when filter requires a GUID property to equal
 * one and the set's loader can read by it, else the whole (cached) set. */
json_t *od_filter_rows(od_ctx *c, const od_set *set, const od_expr *filter);
/* e and "prop eq guid'…'" (e may be NULL): a navigation from one entity
 * asked as a filter of the target set, so the store can answer it. Takes
 * e. */
od_expr *od_filter_pin(od_expr *e, const od_set *set, const od_prop *prop,
                       const char *guid);
void od_expr_free(od_expr *e);

/* odata_select.c */
typedef struct od_order {
    const od_prop *prop;
    bool desc;
} od_order;
int od_orderby_parse(const od_set *set, const char *text, od_order **out,
                     size_t *n, char *err, size_t errlen);
void od_sort(const od_set *set, json_t *rows, const od_order *o, size_t n);
/* Compares two property values of one type; NULL (json null) first. */
int od_value_cmp(od_type t, json_t *a, json_t *b);

/* Output shape: $select and $expand. */
typedef struct od_shape {
    const od_set *set;
    bool all_props;     /* no $select or '*' */
    bool *props;        /* per set->props, when !all_props */
    bool *navs;         /* nav links to show, when !all_props */
    struct od_shape **expand; /* per set->navs, NULL when not expanded */
} od_shape;
od_shape *od_shape_parse(const od_set *set, const char *select,
                         const char *expand, char *err, size_t errlen);
void od_shape_free(od_shape *sh);

/* odata_atom.c: Atom/XML; odata_json.c: verbose JSON. */
typedef struct od_feed {
    const od_set *set;
    const char *self;  /* href relative to base: "Runbooks" */
    json_t *rows;      /* the page */
    long long count;   /* $inlinecount, or -1 */
    const char *next;  /* absolute next link, or NULL */
} od_feed;
void od_xml_escape(bt_buf *b, const char *s);
void od_format_time(bt_buf *b, int64_t us, bool json);
/* "Runbooks(guid'...')" */
char *od_entity_href(const od_set *set, json_t *entity);
int od_atom_feed(od_ctx *c, const od_feed *f, const od_shape *sh, bt_buf *b);
int od_atom_entry(od_ctx *c, const od_set *set, json_t *entity,
                  const od_shape *sh, bt_buf *b);
void od_atom_property(const od_prop *p, json_t *v, bt_buf *b);
void od_atom_error(bt_buf *b, const char *code, const char *message);
int od_json_feed(od_ctx *c, const od_feed *f, const od_shape *sh, bt_buf *b);
int od_json_entry(od_ctx *c, const od_set *set, json_t *entity,
                  const od_shape *sh, bt_buf *b);
void od_json_property(const od_prop *p, json_t *v, bt_buf *b);
void od_json_error(bt_buf *b, const char *code, const char *message);
void od_json_service(bt_buf *b);

/* odata.c: answers. */
void od_error(od_ctx *c, unsigned status, const char *code, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));
void od_answer(od_ctx *c, unsigned status, const char *content_type,
               bt_buf *b);
/* One entity in the negotiated format, honouring $select/$expand. */
void od_answer_entity(od_ctx *c, const od_set *set, json_t *entity,
                      unsigned status);

/* odata_write.c: POST Jobs (start) and MERGE/PUT Jobs(guid) (stop). */
void od_jobs_create(od_ctx *c);
void od_jobs_update(od_ctx *c, json_t *job);

/* odata_jobs.c: a Jobs feed page straight from the store (filters, order
 * and window pushed down). 1: *page (and *total when want_total, else -1;
 * *more when a next page exists) is the answer; 0: the query needs the
 * generic path; <0: store failure with c->err set. */
int od_jobs_page(od_ctx *c, const od_expr *filter, const od_order *order,
                 size_t n_order, long long skip, long long top,
                 long long token, bool want_total, json_t **page,
                 long long *total, bool *more);

/* odata_window.c: the same for RunbookInstances and ActivityInstances
 * (key order, no filter), 0 for any other set or query. */
int od_window_page(od_ctx *c, const od_set *set, const od_expr *filter,
                   const od_order *order, size_t n_order, long long skip,
                   long long top, long long token, bool want_total,
                   json_t **page, long long *total, bool *more);
/* How many entries to read for the page at token of a window of top (-1:
 * all): at most a page, and one more that tells whether a next exists. */
long long od_page_want(long long top, long long token);
/* Drops the look-ahead entry of a page read with od_page_want; whether it
 * was there (a next page exists). */
bool od_page_trim(json_t *rows);

#endif
