/* What the web service's files share: the service, one request, the route
 * table's handler signature and the JSON encoders. Not part of web.h:
 * nothing outside src/web/ sees these. */
#ifndef BT_WEB_INTERNAL_H
#define BT_WEB_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/util.h"
#include "runbook/runbook.h"
#include "store/store.h"
#include "web/web.h"

#define BT_WEB_DEFAULT_MAX_BODY ((size_t)1 << 20)
/* Idle store handles kept for reuse; busier moments open more. As many as
 * the connections a busy client keeps (bench/web's 32, with room): a
 * handle opened per request costs SQLite's schema read, 8% of a GET's CPU
 * when this was 16. An idle handle is a connection and its statements. */
#define BT_WEB_POOL_MAX 64
#define BT_WEB_MAX_CAPTURES 4
/* An oversize body of unknown length is read (and dropped) up to this
 * many times the cap for the sake of a proper 413, then cut off. */
#define BT_WEB_DRAIN_FACTOR 16

#define BT_WEB_MAX_HEADERS 8

typedef struct bt_web_metrics bt_web_metrics;
typedef struct bt_web_defs bt_web_defs;
typedef struct bt_web_jobq bt_web_jobq;
typedef struct bt_web_answers bt_web_answers;
typedef struct bt_web_kept bt_web_kept;
typedef struct bt_web_stream bt_web_stream;

struct bt_web {
    struct MHD_Daemon *daemon;
    uint16_t port;
    char *store_url;
    size_t max_body;
    unsigned timeout_s;
    unsigned keepalive_ms;
    unsigned stream_recheck_ms;
    void (*jobs_changed)(void *ud);
    void *ud;
    void (*log)(void *log_ud, const bt_web_log_entry *e);
    void *log_ud;
    char **cors_origins;
    size_t n_cors_origins;
    char *tls_cert, *tls_key; /* PEM text, kept while the daemon runs */
    bool metrics_public;
    bool (*authenticate)(bt_web_req *r, void *auth_ud);
    void *auth_ud;
    bt_web_metrics *metrics;
    bt_web_defs *defs; /* parsed runbook versions (defcache.c) */
    bt_web_jobq *jobq; /* job creations committed in groups (jobq.c) */
    bt_web_answers *answers; /* rendered answers kept (answers.c) */
    atomic_bool stopping; /* long-polls and streams give up when set */
    pthread_mutex_t pool_lock;
    bt_store *pool[BT_WEB_POOL_MAX];
    size_t n_pool;
};

/* One HTTP request from its first byte to its answer. */
typedef struct bt_web_req {
    bt_web *web;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    bt_buf body;
    bool too_big;
    uint64_t received; /* body bytes seen, kept or not */
    bool responded;
    bt_store *store; /* taken from the pool on first use */
    const char *captures[BT_WEB_MAX_CAPTURES]; /* {id} path segments */
    char *capture_buf;
    /* the answer */
    unsigned status;
    json_t *reply;
    char *location;
    char allow[48]; /* methods for a 405 or OPTIONS */
    /* A non-JSON answer (the OData endpoint): when content_type is set,
     * text/text_len is the body as is (none for a 204). */
    const char *content_type;
    char *text;
    size_t text_len;
    bt_web_kept *kept; /* instead of text: a kept answer (answers.c) */
    const char *data_service_version; /* OData's response header */
    /* bookkeeping for the request log and metrics */
    uint64_t start_us;        /* bt_mono_us at the first byte */
    const char *route;        /* the matched route's pattern */
    char *user;               /* set by the admission hook, or NULL */
    /* What admitted the caller, so a long stream can re-check it: the
     * token's hash, or the password hash the Basic credential matched. */
    char *cred;
    bool cred_is_token;
    /* the admitted user as admission read it (user_id 0: not yet), so
     * the rights checks of the request need not read the row again */
    int64_t user_id;
    bool user_admin;
    const char *cors_origin;  /* the request's Origin when allowed */
    /* more response headers (WWW-Authenticate, Cache-Control, ...) */
    char *hdr_names[BT_WEB_MAX_HEADERS], *hdr_values[BT_WEB_MAX_HEADERS];
    size_t n_hdrs;
    /* Server-Sent Events: set by a stream handler (with status 200); the
     * response is then produced by bt_web_stream_read until it ends. */
    bt_web_stream *stream;
    /* the store's change counters, read once for kept answers (answers.c):
     * 0 not yet, 1 read, -1 could not be read */
    int changes_read;
    bt_store_changes changes;
} bt_web_req;

typedef void (*bt_web_handler)(bt_web_req *r);

/* web.c: the request's store handle (NULL after answering 500). */
bt_store *bt_web_store(bt_web_req *r);
void bt_web_notify_jobs(bt_web_req *r);

/* Adds a response header (copied); at most BT_WEB_MAX_HEADERS. */
void bt_web_add_header(bt_web_req *r, const char *name, const char *value);
/* Times one store call for baton_store_query_duration_seconds. */
void bt_web_store_observe(bt_web *w, uint64_t start_us);
#define BT_WEB_TIMED(r, call)                                                 \
    __extension__({                                                           \
        uint64_t t0_ = bt_mono_us();                                          \
        int rc_ = (call);                                                     \
        bt_web_store_observe((r)->web, t0_);                                  \
        rc_;                                                                  \
    })

/* router.c */
void bt_web_route(bt_web_req *r);
/* The route table, for OPTIONS, the OpenAPI check and tests. */
size_t bt_web_route_count(void);
void bt_web_route_at(size_t i, const char **method, const char **pattern);
/* The pattern of the first route whose path matches (any method), or
 * NULL. */
const char *bt_web_route_pattern(const char *path);

/* metrics.c */
bt_web_metrics *bt_web_metrics_new(void);
void bt_web_metrics_free(bt_web_metrics *m);
void bt_web_metrics_request(bt_web_metrics *m, const char *route,
                            const char *method, unsigned status,
                            double seconds);
void bt_web_metrics_store(bt_web_metrics *m, double seconds);
/* Activity durations are taken from jobs with ids above job_id. */
void bt_web_metrics_scan_from(bt_web_metrics *m, int64_t job_id);

/* stream.c: Server-Sent Events */
/* The highest job id (0: none), in O(log n) store calls. */
int bt_web_max_job_id(bt_web_req *r, int64_t *out, bt_error *err);
ssize_t bt_web_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void bt_web_stream_free(bt_web_stream *st);

/* stats.c: job counts by status, overall and per runbook. */
typedef struct bt_web_job_counts {
    uint64_t total[5]; /* by bt_job_status */
    struct bt_web_runbook_counts {
        int64_t runbook_id;
        uint64_t by_status[5];
    } *runbooks;
    size_t n_runbooks;
} bt_web_job_counts;
int bt_web_count_jobs(bt_web_req *r, bt_web_job_counts *out, bt_error *err);
void bt_web_job_counts_clear(bt_web_job_counts *c);

/* odata.c: the Orchestrator-compatible OData v2 endpoint, every path under
 * BT_ODATA_ROOT. */
#define BT_ODATA_ROOT "/Orchestrator2012/Orchestrator.svc"
void bt_odata_handle(bt_web_req *r);

/* json.c: answers and encoders. */
void bt_web_reply(bt_web_req *r, unsigned status, json_t *body);
/* {"error": {"code", "message", "target"}}; target may be NULL. */
void bt_web_error(bt_web_req *r, unsigned status, const char *code,
                  const char *target, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Maps a store/loader error to its status (404, 409, 400, 413, 500). */
void bt_web_error_from(bt_web_req *r, int rc, const bt_error *err,
                       const char *target);
json_t *bt_web_time(int64_t us); /* ISO 8601 string, or null for 0 */
/* Parses JSON object text; an unparsable text is kept as a string. */
json_t *bt_web_json_text(const char *text);
json_t *bt_web_runbook_json(const bt_store_runbook *rb);
json_t *bt_web_job_json(const bt_store_job *j, const char *runbook_path);
json_t *bt_web_instance_json(const bt_store_instance *in);
json_t *bt_web_activity_json(const bt_store_activity *a,
                             const bt_runbook *rb);
json_t *bt_web_params_json(const bt_runbook *rb);

/* Request helpers (router.c). */
/* Only names in allowed (NULL-terminated) may appear in the query string;
 * otherwise answers 400 naming the first stranger and returns false. */
bool bt_web_query_only(bt_web_req *r, const char *const *allowed);
const char *bt_web_query(bt_web_req *r, const char *name);
const char *bt_web_header(bt_web_req *r, const char *name);
/* Who is asking: X-Baton-User until authentication lands, else fallback;
 * NULL when the header is longer than BT_WEB_USER_MAX bytes. */
#define BT_WEB_USER_MAX 256
const char *bt_web_user(bt_web_req *r, const char *fallback);
/* A positive id from text; answers 400 naming target and returns false. */
bool bt_web_parse_id(bt_web_req *r, const char *text, const char *target,
                     int64_t *out);

/* runbooks.c: resolves an id (number or digits) or a "/Folder/Name" path.
 * Answers 400/404/500 and returns false when it cannot. */
bool bt_web_resolve_runbook(bt_web_req *r, json_t *ref, const char *target,
                            bt_store_runbook *out);
/* The definition of a runbook version (from the cache of parsed
 * versions). Answers and returns NULL when it cannot. Give it back with
 * bt_web_release_version. */
const bt_runbook *bt_web_load_version(bt_web_req *r, int64_t runbook_id,
                                      int version);
void bt_web_release_version(bt_web_req *r, const bt_runbook *def);

/* defcache.c: parsed runbook versions shared by the connection threads.
 * take: version (> 0; 0 loads the latest uncached) of runbook_id, NULL
 * with err when it cannot be read or does not load; release gives back
 * what take returned (NULL is fine). */
bt_web_defs *bt_web_defs_new(void);
void bt_web_defs_free(bt_web_defs *d);
const bt_runbook *bt_web_defs_take(bt_web_defs *d, bt_store *s,
                                   int64_t runbook_id, int version,
                                   bt_error *err);
void bt_web_defs_release(bt_web_defs *d, const bt_runbook *def);

/* answers.c: rendered answers kept while the store's change counters
 * they depend on (BT_WEB_USES_*) read the same, sent from a shared,
 * referenced text (bt_web_kept). For handlers: answer_kept answers from
 * the answer kept under key while the counters in uses hold (with its
 * ETag; 304 when If-None-Match names it) and returns true; false: nothing
 * current is kept, render it. answer_keep then keeps the rendered text
 * (atom: its <updated> times are written anew for each answer) when the
 * request's counters were read before its data (by answer_kept), and
 * gives the answer its ETag. */
#define BT_WEB_USES_CATALOG 1u
#define BT_WEB_USES_PURGE 2u
#define BT_WEB_USES_JOBS 4u
bt_web_answers *bt_web_answers_new(void);
void bt_web_answers_free(bt_web_answers *a);
bool bt_web_answer_kept(bt_web_req *r, const char *key, unsigned uses,
                        unsigned status, const char *content_type);
void bt_web_answer_keep(bt_web_req *r, const char *key, unsigned uses,
                        bool atom, const char *text, size_t len);
void bt_web_kept_release(bt_web_kept *k); /* NULL is fine */
const char *bt_web_kept_text(const bt_web_kept *k, size_t *len);
#define BT_WEB_JSON_TYPE "application/json; charset=utf-8"
/* Answers with text as JSON (a copy of what send_reply writes). */
void bt_web_reply_text(bt_web_req *r, unsigned status, char *text,
                       size_t len);
/* The JSON text send_reply would write for body (with its newline). */
char *bt_web_json_answer(json_t *body, size_t *len);

/* jobq.c: bt_store_job_create through the group commit: the job is
 * committed (durably, at the store's setting) when this returns 0. */
bt_web_jobq *bt_web_jobq_new(void);
void bt_web_jobq_free(bt_web_jobq *q);
int bt_web_jobq_create(bt_web_jobq *q, bt_store *s,
                       const bt_store_job_spec *spec, bt_store_job *out,
                       bt_error *err);

/* Handlers. */
void bt_web_health(bt_web_req *r);
void bt_web_runbooks_list(bt_web_req *r);
void bt_web_runbooks_get(bt_web_req *r);
void bt_web_jobs_create(bt_web_req *r);
void bt_web_jobs_list(bt_web_req *r);
void bt_web_jobs_get(bt_web_req *r);
void bt_web_jobs_cancel(bt_web_req *r);
void bt_web_servers_list(bt_web_req *r);
void bt_web_events_list(bt_web_req *r);
void bt_web_folders_tree(bt_web_req *r);
void bt_web_variables_list(bt_web_req *r);
void bt_web_counters_list(bt_web_req *r);
void bt_web_counters_get(bt_web_req *r);
void bt_web_schedules_list(bt_web_req *r);
void bt_web_maintenance_purge(bt_web_req *r);
void bt_web_runbooks_diagram(bt_web_req *r);
void bt_web_jobs_instances(bt_web_req *r);
void bt_web_instances_get(bt_web_req *r);
void bt_web_instances_activities(bt_web_req *r);
void bt_web_activity_instances_get(bt_web_req *r);
void bt_web_statistics(bt_web_req *r);
void bt_web_events_stream(bt_web_req *r);
void bt_web_jobs_stream(bt_web_req *r);
void bt_web_openapi(bt_web_req *r);
void bt_web_metrics_get(bt_web_req *r);

#endif
