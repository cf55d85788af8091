/* The orchestration store: everything Baton keeps in its database (folders,
 * runbooks and their versions, jobs, runbook and activity instances with
 * their published data, runbook servers, events, global settings, audit).
 *
 * Like redis' ae.c, this header is the whole interface; backends live
 * behind a table of function pointers (store/backend.h): store/sqlite*.c
 * and store/pg*.c. Nothing above this layer sees SQL.
 *
 * Every call returns 0 or -BT_E*, with a sentence for the operator in *err
 * (which may be NULL). A handle is one database connection and is used by
 * one thread at a time (a Baton process runs one event loop).
 *
 * Times are microseconds since the epoch, taken from the handle's clock
 * (bt_now_us unless bt_store_set_clock replaced it), so that leases and
 * retention behave the same on every backend and tests control time. On
 * PostgreSQL the default clock is the database server's (this host's plus
 * an offset measured at connect and every minute): hosts whose clocks
 * disagree still agree on leases.
 * Ids are 64-bit integers (0 means "none"); the entities that Orchestrator's
 * web service exposes by key also carry a random v4 GUID. */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/activity.h"
#include "baton/error.h"

typedef struct bt_store bt_store;

#define BT_GUID_LEN 37 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */

/* Hard caps on what one call may write; a value over a cap is refused with
 * BT_ETOOBIG and nothing of that call is stored. */
#define BT_STORE_VALUE_MAX ((size_t)1 << 20)  /* one published value */
#define BT_STORE_TEXT_MAX ((size_t)16 << 20)  /* runbook YAML, JSON texts */

/* ---- Opening -------------------------------------------------------- */

/* url: "sqlite:PATH", or a plain PATH, optionally followed by options
 * "?sync=full|normal&busy_timeout=MS" (sqlite); or a libpq URL
 * "postgresql://[user[:password]@]host[:port]/dbname[?param=value&...]"
 * (PostgreSQL 10 or newer; the database must exist). Creates the database
 * (SQLite) when missing and applies pending schema migrations, each in its
 * own transaction. */
int bt_store_open(const char *url, bt_store **out, bt_error *err);
void bt_store_close(bt_store *s); /* NULL is a no-op */

/* "sqlite" or "postgresql". */
const char *bt_store_backend(const bt_store *s);
/* Highest schema migration applied. */
int bt_store_schema_version(bt_store *s, int *out, bt_error *err);

typedef uint64_t (*bt_store_clock_fn)(void *ud);
/* Replaces the clock (NULL restores bt_now_us). */
void bt_store_set_clock(bt_store *s, bt_store_clock_fn fn, void *ud);
uint64_t bt_store_now(const bt_store *s);

/* A random version 4 GUID (libsodium randombytes). */
void bt_store_guid(char out[BT_GUID_LEN]);

/* ---- Notifications (optional) -------------------------------------- */

/* Immediate wake-up for runbook servers. On PostgreSQL, creating a job,
 * requesting a cancel and handing jobs back after a take-over send NOTIFY
 * baton_jobs (on commit); bt_store_wait_fd opens, on first use, a second
 * connection that LISTENs and returns its socket: poll it for reading
 * (e.g. uv_poll_start(UV_READABLE)), and when it is readable call
 * bt_store_drain_notifications, then claim. Returns -1 when the backend
 * has no notifications (SQLite: servers in one process wake each other
 * in-process) or the connection failed (call again later to retry).
 * Notifications are a hint: a server still claims on a timer, since one
 * sent while the listening connection was down is lost. */
int bt_store_wait_fd(bt_store *s);
/* Consumes what arrived on the wait fd; returns how many notifications
 * (0 when none or no notifications), or -BT_EIO when the listening
 * connection broke (the next bt_store_wait_fd reopens it: its fd may
 * change). */
int bt_store_drain_notifications(bt_store *s);

/* ---- Group commit --------------------------------------------------- */

/* Every call below is atomic on its own and, outside a group, durable when
 * it returns 0. Between bt_store_begin and bt_store_commit the calls join
 * one transaction instead (each still all-or-nothing: a failed call undoes
 * only itself), and nothing of the group is durable, nor may it be
 * acknowledged to anyone, until bt_store_commit returns 0. This is how a
 * runbook server pays one disk flush for every activity instance that
 * finished in the same loop iteration. Groups do not nest. */
int bt_store_begin(bt_store *s, bt_error *err);
int bt_store_commit(bt_store *s, bt_error *err);
void bt_store_rollback(bt_store *s); /* no-op outside a group */

/* ---- Folders -------------------------------------------------------- */

typedef struct bt_store_folder {
    int64_t id;
    char guid[BT_GUID_LEN];
    int64_t parent_id; /* 0 for the root folder "/" */
    char *name;        /* "" for the root */
    char *path;        /* "/Operations/Web" */
    int64_t created_us;
} bt_store_folder;

/* Creates path and any missing parents (names: no '/', not "." or "..").
 * -BT_EEXIST when path itself already exists. out may be NULL. */
int bt_store_folder_create(bt_store *s, const char *path, bt_store_folder *out,
                           bt_error *err);
int bt_store_folder_get(bt_store *s, const char *path, bt_store_folder *out,
                        bt_error *err);
int bt_store_folder_get_id(bt_store *s, int64_t id, bt_store_folder *out,
                           bt_error *err);
/* Direct children of parent_id, by name. */
int bt_store_folder_list(bt_store *s, int64_t parent_id,
                         bt_store_folder **items, size_t *n, bt_error *err);
void bt_store_folder_clear(bt_store_folder *f);
void bt_store_folder_list_free(bt_store_folder *items, size_t n);

/* ---- Runbooks, versions, settings ----------------------------------- */

typedef struct bt_store_runbook {
    int64_t id;
    char guid[BT_GUID_LEN];
    int64_t folder_id;
    char *name;
    char *description;
    char *path;               /* folder path + "/" + name */
    int latest_version;       /* 0 until a version is added */
    int max_concurrent;       /* simultaneous jobs; 0 = unlimited */
    char **preferred_servers; /* server names in order of preference */
    size_t n_preferred;
    int64_t created_us;
    char *checked_out_by;     /* user holding the check-out, or NULL */
    int64_t checked_out_us;   /* 0 when not checked out */
    int64_t deleted_us;       /* 0 unless deleted (soft delete) */
} bt_store_runbook;

int bt_store_runbook_create(bt_store *s, int64_t folder_id, const char *name,
                            const char *description, bt_store_runbook *out,
                            bt_error *err);
int bt_store_runbook_get(bt_store *s, int64_t id, bt_store_runbook *out,
                         bt_error *err);
/* find and list skip deleted runbooks; get (by id or GUID) returns them
 * too, with deleted_us set, so that history keeps its runbook. */
int bt_store_runbook_find(bt_store *s, int64_t folder_id, const char *name,
                          bt_store_runbook *out, bt_error *err);
/* GUID in any letter case; -BT_EINVAL when it is not a GUID. */
int bt_store_runbook_get_guid(bt_store *s, const char *guid,
                              bt_store_runbook *out, bt_error *err);
/* folder_id 0: every runbook. Ordered by path. */
int bt_store_runbook_list(bt_store *s, int64_t folder_id,
                          bt_store_runbook **items, size_t *n, bt_error *err);
void bt_store_runbook_clear(bt_store_runbook *r);
void bt_store_runbook_list_free(bt_store_runbook *items, size_t n);

typedef struct bt_store_runbook_settings {
    int max_concurrent; /* 0 = unlimited (Baton's default) */
    const char *const *preferred_servers;
    size_t n_preferred;
} bt_store_runbook_settings;

int bt_store_runbook_set_settings(bt_store *s, int64_t runbook_id,
                                  const bt_store_runbook_settings *settings,
                                  bt_error *err);

typedef struct bt_store_version {
    int64_t runbook_id;
    int version; /* 1, 2, ... */
    char *yaml;  /* NULL in lists */
    char *author;
    char *comment;
    int64_t created_us;
} bt_store_version;

/* Adds the next version (its number in *out_version). -BT_ESTATE when the
 * runbook is deleted or checked out by a user other than author; see
 * bt_store_runbook_checkin for the check-out workflow. */
int bt_store_version_add(bt_store *s, int64_t runbook_id, const char *yaml,
                         const char *author, const char *comment,
                         int *out_version, bt_error *err);
/* version 0: the latest. */
int bt_store_version_get(bt_store *s, int64_t runbook_id, int version,
                         bt_store_version *out, bt_error *err);
/* Newest first, without the YAML text. */
int bt_store_version_list(bt_store *s, int64_t runbook_id,
                          bt_store_version **items, size_t *n, bt_error *err);
void bt_store_version_clear(bt_store_version *v);
void bt_store_version_list_free(bt_store_version *items, size_t n);

/* Check-out (Orchestrator's Runbook Designer model): one user at a time
 * edits a runbook. checkout by the holder again is a no-op; by another
 * user -BT_ESTATE naming the holder. undo_checkout releases it without a
 * new version: user must be the holder (-BT_ESTATE otherwise), or NULL to
 * release whoever holds it (an administrator's override); -BT_ESTATE when
 * it is not checked out. checkin adds the next version, authored by user,
 * and releases the check-out in one transaction; only the holder may
 * (-BT_ESTATE otherwise, also when nobody holds it). A deleted runbook
 * cannot be checked out (-BT_ESTATE). */
int bt_store_runbook_checkout(bt_store *s, int64_t id, const char *user,
                              bt_error *err);
int bt_store_runbook_undo_checkout(bt_store *s, int64_t id, const char *user,
                                   bt_error *err);
int bt_store_runbook_checkin(bt_store *s, int64_t id, const char *user,
                             const char *yaml, const char *comment,
                             int *out_version, bt_error *err);

/* Rename (same folder) and move (same name): -BT_EEXIST when the target
 * folder already has a live runbook of that name. */
int bt_store_runbook_rename(bt_store *s, int64_t id, const char *name,
                            bt_error *err);
int bt_store_runbook_move(bt_store *s, int64_t id, int64_t folder_id,
                          bt_error *err);
/* Soft delete: the runbook disappears from find and list, its versions,
 * jobs and instances stay. Its stored name becomes "NAME/ID" (a name no
 * live runbook can have) so the name is free for a new runbook. Pending
 * jobs of it are canceled. -BT_ENOTFOUND when already deleted. */
int bt_store_runbook_delete(bt_store *s, int64_t id, bt_error *err);

/* Folder tree edits. The root cannot be renamed, moved or deleted
 * (-BT_EINVAL), nor a folder moved into itself or below itself. Paths of
 * the whole subtree follow. -BT_EEXIST when the target path exists. */
int bt_store_folder_rename(bt_store *s, int64_t id, const char *name,
                           bt_error *err);
int bt_store_folder_move(bt_store *s, int64_t id, int64_t parent_id,
                         bt_error *err);
/* Refuses (-BT_ESTATE) a folder holding subfolders or live runbooks unless
 * recursive: then the whole subtree goes, its runbooks soft-deleted (they
 * are re-parented to the root folder, keeping history) and its
 * permissions removed. */
int bt_store_folder_delete(bt_store *s, int64_t id, bool recursive,
                           bt_error *err);

/* ---- Jobs ----------------------------------------------------------- */

typedef enum {
    BT_JOB_PENDING = 0,
    BT_JOB_RUNNING = 1,
    BT_JOB_COMPLETED = 2,
    BT_JOB_FAILED = 3,
    BT_JOB_CANCELED = 4
} bt_job_status;

const char *bt_job_status_name(bt_job_status st);
int bt_job_status_parse(const char *text, bt_job_status *out);

typedef struct bt_store_job {
    int64_t id;
    char guid[BT_GUID_LEN];
    int64_t runbook_id;
    int runbook_version;
    char *parameters; /* JSON object text */
    char *created_by;
    int64_t created_us;
    bt_job_status status;
    int64_t server_id; /* holder while running; 0 otherwise */
    int64_t started_us, ended_us; /* 0 when not yet */
    bool cancel_requested;
    int takeovers;     /* times handed back after its server went down */
    char **targets;    /* job-specific servers in order; overrides the
                          runbook's preferred servers */
    size_t n_targets;
} bt_store_job;

typedef struct bt_store_job_spec {
    int64_t runbook_id;
    int runbook_version;    /* 0: the latest (the runbook needs one) */
    const char *parameters; /* JSON object text; NULL: "{}" */
    const char *created_by;
    const char *const *targets;
    size_t n_targets;
} bt_store_job_spec;

/* A new pending job. out may be NULL. */
int bt_store_job_create(bt_store *s, const bt_store_job_spec *spec,
                        bt_store_job *out, bt_error *err);

/* Server server_id atomically claims up to max pending jobs, oldest first:
 * each becomes running and held by the server. A job is eligible when
 * (a) its target list, or else its runbook's preferred list, is empty or
 * names server_id's server as the first server in the list whose lease is
 * current, and (b) its runbook has fewer running jobs than its limit; jobs
 * beyond the limit stay pending, queued in creation order. An unfinished
 * instance of a claimed job (one taken over) moves to the claiming server. */
int bt_store_job_claim(bt_store *s, int64_t server_id, size_t max,
                       bt_store_job **jobs, size_t *n, bt_error *err);
/* Legal moves: pending -> running (server_id required), running ->
 * completed | failed | canceled, pending -> canceled. Sets the times.
 * -BT_ESTATE otherwise. To an end state with server_id not 0: only while
 * the job is running and held by server_id (the fence against a server
 * whose job was taken over), else -BT_ESTATE; 0 skips that check. */
int bt_store_job_set_status(bt_store *s, int64_t job_id, bt_job_status st,
                            int64_t server_id, bt_error *err);
/* Pending: canceled at once. Running: cancel_requested is set for its
 * server to act on. Finished: -BT_ESTATE. */
int bt_store_job_request_cancel(bt_store *s, int64_t job_id, bt_error *err);
int bt_store_job_get(bt_store *s, int64_t id, bt_store_job *out,
                     bt_error *err);

typedef struct bt_store_job_filter {
    bool any_status;      /* false: only jobs with status */
    bt_job_status status;
    int64_t runbook_id;   /* 0: any */
    int64_t server_id;    /* 0: any */
    int64_t after_id;     /* cursor: ids greater than this (oldest first) */
    size_t limit;         /* 0: 100 */
    bool newest_first;    /* highest id first; then before_id is the cursor
                             and after_id is ignored */
    int64_t before_id;    /* with newest_first: ids below this (0: none) */
} bt_store_job_filter;

/* *next is the cursor for the following page (after_id, or before_id when
 * newest_first), 0 when this was the last. */
int bt_store_job_list(bt_store *s, const bt_store_job_filter *f,
                      bt_store_job **items, size_t *n, int64_t *next,
                      bt_error *err);
void bt_store_job_clear(bt_store_job *j);
void bt_store_job_list_free(bt_store_job *items, size_t n);

int bt_store_job_get_guid(bt_store *s, const char *guid, bt_store_job *out,
                          bt_error *err);
/* Jobs the way a feed pages them (OData's Jobs): filters, an order whose
 * ties break on the GUID, and a window, all done by the database so that a
 * page costs what it returns, not what is stored. The rows come back in
 * order (free with bt_store_job_list_free). */
typedef enum {
    BT_JOB_BY_GUID,
    BT_JOB_BY_GUID_DESC,
    BT_JOB_BY_CREATED,     /* then GUID */
    BT_JOB_BY_CREATED_DESC /* then GUID ascending */
} bt_store_job_order;

typedef struct bt_store_job_query {
    bool any_status; /* false: only jobs with status */
    bt_job_status status;
    int64_t runbook_id; /* 0: any */
    int64_t server_id;  /* 0: any; else only jobs this server ran or runs */
    int64_t id;         /* 0: any; else only this job */
    bool has_created_min, has_created_max;
    int64_t created_min, created_max; /* inclusive, microseconds */
    const char *runbook_ids; /* ",1,5,": only these runbooks; NULL: any */
    bt_store_job_order order;
    uint64_t offset;
    size_t limit; /* 0: none */
} bt_store_job_query;

int bt_store_job_select(bt_store *s, const bt_store_job_query *q,
                        bt_store_job **items, size_t *n, bt_error *err);
int bt_store_job_select_count(bt_store *s, const bt_store_job_query *q,
                              uint64_t *count, bt_error *err);
/* Jobs by status: counts[st] for each bt_job_status; runbook_id 0: all. */
int bt_store_job_counts(bt_store *s, int64_t runbook_id, uint64_t counts[5],
                        bt_error *err);

/* ---- Runbook instances and activity instances ----------------------- */

typedef struct bt_store_instance {
    int64_t id;
    char guid[BT_GUID_LEN];
    int64_t job_id;
    int64_t runbook_id;
    int64_t server_id;
    bt_job_status status; /* running, completed, failed or canceled */
    int result;           /* bt_result, or -1 while running */
    int64_t started_us, ended_us;
    char *return_data;    /* JSON object text, or NULL */
} bt_store_instance;

/* A new running instance of a running job, on server_id. */
int bt_store_instance_create(bt_store *s, int64_t job_id, int64_t server_id,
                             bt_store_instance *out, bt_error *err);
int bt_store_instance_finish(bt_store *s, int64_t instance_id,
                             bt_job_status st, bt_result result,
                             const char *return_data, bt_error *err);
int bt_store_instance_get(bt_store *s, int64_t id, bt_store_instance *out,
                          bt_error *err);
int bt_store_instance_get_guid(bt_store *s, const char *guid,
                               bt_store_instance *out, bt_error *err);
/* Instances of job_id, oldest first. */
int bt_store_instance_list(bt_store *s, int64_t job_id,
                           bt_store_instance **items, size_t *n,
                           bt_error *err);
void bt_store_instance_clear(bt_store_instance *i);
void bt_store_instance_list_free(bt_store_instance *items, size_t n);

/* One published value: row `row` (0-based) of an activity instance. */
typedef struct bt_store_datum {
    uint32_t row;
    const char *name;
    const char *value;
} bt_store_datum;

typedef struct bt_store_activity_spec {
    int64_t instance_id;
    const char *activity_id; /* the runbook's activity id */
    uint64_t seq;            /* 1, 2, ... unique per instance */
    unsigned attempt;        /* 1-based */
    bt_result result;
    const char *error;       /* NULL on success */
    uint64_t start_us, end_us;
    uint64_t parent_seq;     /* 0: started without a triggering row */
    uint32_t parent_row;     /* the row of parent_seq that triggered it */
    const bt_store_datum *data;
    size_t n_data;
} bt_store_activity_spec;

/* Writes one activity instance and all its data in one transaction: after
 * 0 it is durable (see docs/store.md), after an error nothing of it is
 * stored. server_id fences off a server whose job was taken over: when it
 * is not 0 and the instance is no longer held by that server, -BT_ESTATE.
 * A seq already stored for the instance is -BT_EEXIST. */
int bt_store_commit_activity(bt_store *s, int64_t server_id,
                             const bt_store_activity_spec *a,
                             int64_t *out_id, bt_error *err);
/* The same for n activity instances in one transaction (group commit). */
int bt_store_commit_activities(bt_store *s, int64_t server_id,
                               const bt_store_activity_spec *a, size_t n,
                               bt_error *err);

typedef struct bt_store_value {
    uint32_t row;
    char *name;
    char *value;
} bt_store_value;

typedef struct bt_store_activity {
    int64_t id;
    char guid[BT_GUID_LEN];
    int64_t instance_id;
    char *activity_id;
    uint64_t seq;
    unsigned attempt;
    bt_result result;
    char *error; /* NULL when none */
    uint64_t start_us, end_us;
    uint64_t parent_seq;
    uint32_t parent_row;
    bt_store_value *data; /* by row, then in insertion order */
    size_t n_data;
} bt_store_activity;

/* The committed activity instances of instance_id with seq > after_seq,
 * in seq order, with their data: what a server resumes from. */
int bt_store_activity_list(bt_store *s, int64_t instance_id,
                           uint64_t after_seq, bt_store_activity **items,
                           size_t *n, bt_error *err);
/* One activity instance by its GUID, with its data; -BT_ENOTFOUND when
 * none has it. */
int bt_store_activity_get_guid(bt_store *s, const char *guid,
                               bt_store_activity *out, bt_error *err);
void bt_store_activity_clear(bt_store_activity *a);
void bt_store_activity_list_free(bt_store_activity *items, size_t n);

/* A window of a whole table in GUID order, for feeds that page it (the
 * OData RunbookInstances and ActivityInstances sets) without reading
 * every row. runbook_ids: ",1,2,", only rows of those runbooks (NULL:
 * any), as in bt_store_job_query. */
/* A runbook instance's state as its feed filters it: running (or still
 * pending), canceled, or ended with a result. */
typedef enum {
    BT_INSTANCE_ANY = 0,
    BT_INSTANCE_RUNNING,
    BT_INSTANCE_CANCELED,
    BT_INSTANCE_SUCCEEDED,
    BT_INSTANCE_WARNED,
    BT_INSTANCE_FAILED
} bt_store_instance_state;
bt_store_instance_state bt_store_instance_state_of(const bt_store_instance *in);

typedef struct bt_store_window {
    const char *runbook_ids;
    int64_t server_id;             /* runbook instances only; 0: any */
    bt_store_instance_state state; /* runbook instances only */
    bool desc;       /* highest GUID first */
    uint64_t offset;
    size_t limit;    /* 0: no limit */
} bt_store_window;

/* What a windowed row belongs to: a runbook instance's job, an activity
 * instance's runbook instance (GUID), and that one's runbook. */
typedef struct bt_store_parent {
    char guid[BT_GUID_LEN];
    int64_t runbook_id;
} bt_store_parent;

/* Free items with bt_store_instance_list_free, parents with free. */
int bt_store_instance_window(bt_store *s, const bt_store_window *w,
                             bt_store_instance **items,
                             bt_store_parent **parents, size_t *n,
                             bt_error *err);
int bt_store_instance_window_count(bt_store *s, const bt_store_window *w,
                                   uint64_t *n, bt_error *err);
/* Activity instances without their data (n_data 0); free items with
 * bt_store_activity_list_free, parents with free. */
int bt_store_activity_window(bt_store *s, const bt_store_window *w,
                             bt_store_activity **items,
                             bt_store_parent **parents, size_t *n,
                             bt_error *err);
int bt_store_activity_window_count(bt_store *s, const bt_store_window *w,
                                   uint64_t *n, bt_error *err);

/* ---- Runbook servers ------------------------------------------------ */

typedef struct bt_store_server {
    int64_t id;
    char guid[BT_GUID_LEN];
    char *name;
    char *version;
    int64_t registered_us;
    int64_t heartbeat_us;
    int64_t lease_expires_us;
    bool up; /* lease_expires_us > now */
    int throttle;  /* operator's override of the server's throttle; 0: none */
    bool draining; /* claims no new jobs; running ones finish */
} bt_store_server;

/* Registers (or re-registers) the server called name and gives it a lease
 * of lease_ms. */
int bt_store_server_register(bt_store *s, const char *name,
                             const char *version, uint64_t lease_ms,
                             int64_t *out_id, bt_error *err);
/* Lease expiry = now + lease_ms. */
int bt_store_server_heartbeat(bt_store *s, int64_t server_id,
                              uint64_t lease_ms, bt_error *err);
int bt_store_server_list(bt_store *s, bt_store_server **items, size_t *n,
                         bt_error *err);
int bt_store_server_get(bt_store *s, int64_t id, bt_store_server *out,
                        bt_error *err);
/* Operator settings of the registered server called name: throttle > 0
 * overrides its configured throttle (0 clears the override, -1 keeps the
 * current value); drain 1 starts draining, 0 stops it, -1 keeps it. The
 * server reads them at each heartbeat. */
int bt_store_server_set(bt_store *s, const char *name, int throttle,
                        int drain, bt_error *err);
/* Hands every running job held by a server whose lease has lapsed back to
 * pending (takeovers + 1, an event per job), so the next eligible server
 * claims it and resumes its instance. A job whose cancel was requested is
 * marked canceled instead, and so is its running instance (with the worst
 * result committed so far). ids/n may be NULL. */
int bt_store_server_takeover(bt_store *s, int64_t **ids, size_t *n,
                             bt_error *err);
void bt_store_server_clear(bt_store_server *sv);
void bt_store_server_list_free(bt_store_server *items, size_t n);

/* ---- Users, groups, permissions, API tokens ------------------------- */

/* Rights on a folder, a bitmask. They are inherited down the folder tree:
 * a user's rights on a folder are the union of what the user and the
 * user's groups were granted on that folder and on every ancestor. */
#define BT_RIGHT_VIEW 1u
#define BT_RIGHT_START 2u
#define BT_RIGHT_STOP 4u
#define BT_RIGHT_AUTHOR 8u
#define BT_RIGHT_ADMIN 16u
#define BT_RIGHTS_ALL 31u

typedef struct bt_store_user {
    int64_t id;
    char *name;
    char *password_hash; /* as given by the caller (argon2id string); "" */
    bool is_admin;
    bool disabled;
    int64_t created_us;
} bt_store_user;

/* name unique (-BT_EEXIST); password_hash NULL: "" (no password login). */
int bt_store_user_create(bt_store *s, const char *name,
                         const char *password_hash, bool is_admin,
                         bt_store_user *out, bt_error *err);
int bt_store_user_get(bt_store *s, int64_t id, bt_store_user *out,
                      bt_error *err);
int bt_store_user_find(bt_store *s, const char *name, bt_store_user *out,
                       bt_error *err);
/* By name. */
int bt_store_user_list(bt_store *s, bt_store_user **items, size_t *n,
                       bt_error *err);

/* What to change: NULL / -1 keeps a field. */
typedef struct bt_store_user_update {
    const char *name;
    const char *password_hash;
    int is_admin; /* -1 keep, 0, 1 */
    int disabled; /* -1 keep, 0, 1 */
} bt_store_user_changes;

int bt_store_user_update(bt_store *s, int64_t id,
                         const bt_store_user_changes *u, bt_error *err);
/* Also removes the user's memberships, permissions and API tokens. */
int bt_store_user_delete(bt_store *s, int64_t id, bt_error *err);
void bt_store_user_clear(bt_store_user *u);
void bt_store_user_list_free(bt_store_user *items, size_t n);

typedef struct bt_store_group {
    int64_t id;
    char *name;
    char *description;
    int64_t created_us;
} bt_store_group;

int bt_store_group_create(bt_store *s, const char *name,
                          const char *description, bt_store_group *out,
                          bt_error *err);
int bt_store_group_get(bt_store *s, int64_t id, bt_store_group *out,
                       bt_error *err);
int bt_store_group_find(bt_store *s, const char *name, bt_store_group *out,
                        bt_error *err);
int bt_store_group_list(bt_store *s, bt_store_group **items, size_t *n,
                        bt_error *err);
/* name / description NULL: kept. */
int bt_store_group_update(bt_store *s, int64_t id, const char *name,
                          const char *description, bt_error *err);
/* Also removes its memberships and permissions. */
int bt_store_group_delete(bt_store *s, int64_t id, bt_error *err);
/* Adding a member twice is a no-op; removing a non-member -BT_ENOTFOUND. */
int bt_store_group_add_member(bt_store *s, int64_t group_id, int64_t user_id,
                              bt_error *err);
int bt_store_group_remove_member(bt_store *s, int64_t group_id,
                                 int64_t user_id, bt_error *err);
/* Members by name; groups of a user by name. */
int bt_store_group_members(bt_store *s, int64_t group_id,
                           bt_store_user **items, size_t *n, bt_error *err);
int bt_store_user_groups(bt_store *s, int64_t user_id, bt_store_group **items,
                         size_t *n, bt_error *err);
void bt_store_group_clear(bt_store_group *g);
void bt_store_group_list_free(bt_store_group *items, size_t n);

typedef enum { BT_PRINCIPAL_USER = 0, BT_PRINCIPAL_GROUP = 1 } bt_principal;

typedef struct bt_store_permission {
    int64_t folder_id;
    char *folder_path;
    bt_principal kind;
    int64_t principal_id;
    char *principal_name;
    unsigned rights;
} bt_store_permission;

/* Grants exactly rights (replacing an earlier grant) to the user or group
 * on folder_id; rights 0 removes the grant. */
int bt_store_permission_set(bt_store *s, int64_t folder_id, bt_principal kind,
                            int64_t principal_id, unsigned rights,
                            bt_error *err);
/* Grants on folder_id (0: on every folder), by folder path then kind and
 * principal name. */
int bt_store_permission_list(bt_store *s, int64_t folder_id,
                             bt_store_permission **items, size_t *n,
                             bt_error *err);
void bt_store_permission_list_free(bt_store_permission *items, size_t n);
/* Effective rights of user_id on folder_id: BT_RIGHTS_ALL for an
 * administrator, 0 for a disabled user, else the inherited union. */
int bt_store_rights(bt_store *s, int64_t user_id, int64_t folder_id,
                    unsigned *rights, bt_error *err);

typedef struct bt_store_token {
    int64_t id;
    int64_t user_id;
    char *user_name;
    char *name;
    char *hash;        /* as given: a hash of the secret, never the secret */
    int64_t created_us;
    int64_t expires_us;   /* 0: never */
    int64_t last_used_us; /* 0: never used */
} bt_store_token;

/* hash unique (-BT_EEXIST). */
int bt_store_token_create(bt_store *s, int64_t user_id, const char *name,
                          const char *hash, int64_t expires_us,
                          int64_t *out_id, bt_error *err);
/* The token with this hash and its user (either output may be NULL);
 * records last_used (to the minute: at most one write a minute per token).
 * -BT_ENOTFOUND when unknown or its user is disabled (the message says
 * which, for the log, not for the client); -BT_ESTATE when it expired,
 * with a message for its holder naming the token and when (only someone
 * holding the secret can learn it, so it tells a guesser nothing). */
int bt_store_token_lookup(bt_store *s, const char *hash, bt_store_token *tok,
                          bt_store_user *user, bt_error *err);
/* user_id 0: every token. Newest first. */
int bt_store_token_list(bt_store *s, int64_t user_id, bt_store_token **items,
                        size_t *n, bt_error *err);
int bt_store_token_delete(bt_store *s, int64_t id, bt_error *err);
void bt_store_token_clear(bt_store_token *t);
void bt_store_token_list_free(bt_store_token *items, size_t n);

/* ---- Events and audit ----------------------------------------------- */

typedef enum {
    BT_SEVERITY_INFO = 0,
    BT_SEVERITY_WARNING = 1,
    BT_SEVERITY_ERROR = 2
} bt_severity;

const char *bt_severity_name(bt_severity sev);

typedef struct bt_store_event {
    int64_t id;
    int64_t time_us;
    bt_severity severity;
    char *source;   /* server name or component */
    char *message;
    int64_t job_id; /* 0 when none */
} bt_store_event;

int bt_store_event_add(bt_store *s, bt_severity sev, const char *source,
                       const char *message, int64_t job_id, bt_error *err);
/* Events with id > after_id (oldest first); job_id 0: any. */
int bt_store_event_list(bt_store *s, int64_t job_id, int64_t after_id,
                        size_t limit, bt_store_event **items, size_t *n,
                        bt_error *err);
void bt_store_event_list_free(bt_store_event *items, size_t n);

typedef struct bt_store_audit {
    int64_t id;
    int64_t time_us;
    char *who;
    char *action; /* "runbook.checkin", "variable.set", ... */
    char *object; /* what it acted on: a path, a name */
    char *before; /* JSON text or NULL */
    char *after;  /* JSON text or NULL */
} bt_store_audit;

int bt_store_audit_add(bt_store *s, const char *who, const char *action,
                       const char *object, const char *before,
                       const char *after, bt_error *err);
int bt_store_audit_list(bt_store *s, int64_t after_id, size_t limit,
                        bt_store_audit **items, size_t *n, bt_error *err);
void bt_store_audit_list_free(bt_store_audit *items, size_t n);

/* ---- Global settings: variables, counters, schedules ---------------- */

typedef struct bt_store_variable {
    char *name;
    unsigned char *value; /* bytes as stored; NUL-terminated for text */
    size_t len;
    bool encrypted;       /* the caller encrypts and decrypts */
    int64_t updated_us;
    char *folder;         /* "/" or "/Ops/Mail" */
} bt_store_variable;

/* Global settings live in folders of their own, apart from the runbook
 * folders (as in Orchestrator): a folder is just a path on each item,
 * "/" or "/A/B" (segments without '/', not "." or "..", no control
 * characters, at most BT_STORE_FOLDER_MAX bytes), so a folder exists
 * exactly while something is in it. set leaves an existing item's folder
 * alone and puts a new one in "/"; the _in variants take the folder (NULL:
 * the same as set). List calls with a folder return the items of exactly
 * that folder, NULL: all. */
#define BT_STORE_FOLDER_MAX 1024
typedef enum bt_store_setting_kind {
    BT_SETTING_VARIABLE,
    BT_SETTING_COUNTER,
    BT_SETTING_SCHEDULE,
} bt_store_setting_kind;

int bt_store_setting_folder_check(const char *folder, bt_error *err);
/* -BT_ENOTFOUND when the item does not exist. */
int bt_store_setting_move(bt_store *s, bt_store_setting_kind kind,
                          const char *name, const char *folder, bt_error *err);

int bt_store_variable_set(bt_store *s, const char *name, const void *value,
                          size_t len, bool encrypted, bt_error *err);
int bt_store_variable_get(bt_store *s, const char *name,
                          bt_store_variable *out, bt_error *err);
int bt_store_variable_set_in(bt_store *s, const char *name, const void *value,
                             size_t len, bool encrypted, const char *folder,
                             bt_error *err);
int bt_store_variable_list(bt_store *s, bt_store_variable **items, size_t *n,
                           bt_error *err);
int bt_store_variable_list_in(bt_store *s, const char *folder,
                              bt_store_variable **items, size_t *n,
                              bt_error *err);
int bt_store_variable_delete(bt_store *s, const char *name, bt_error *err);
void bt_store_variable_clear(bt_store_variable *v);
void bt_store_variable_list_free(bt_store_variable *items, size_t n);

/* Counters are created by set; add on a missing counter is -BT_ENOTFOUND.
 * add is atomic across handles and returns the new value. */
int bt_store_counter_set(bt_store *s, const char *name, int64_t value,
                         bt_error *err);
int bt_store_counter_get(bt_store *s, const char *name, int64_t *out,
                         bt_error *err);
int bt_store_counter_add(bt_store *s, const char *name, int64_t delta,
                         int64_t *out, bt_error *err);
int bt_store_counter_delete(bt_store *s, const char *name, bt_error *err);

typedef struct bt_store_counter {
    char *name;
    int64_t value;
    char *folder;
    int64_t updated_us;
} bt_store_counter;

int bt_store_counter_set_in(bt_store *s, const char *name, int64_t value,
                            const char *folder, bt_error *err);
/* Ordered by name; folder NULL: every counter. */
int bt_store_counter_list(bt_store *s, const char *folder,
                          bt_store_counter **items, size_t *n, bt_error *err);
void bt_store_counter_list_free(bt_store_counter *items, size_t n);

/* A schedule is a name and a JSON object definition (its meaning belongs
 * to the scheduler). */
typedef struct bt_store_schedule {
    char *name;
    char *definition;
    int64_t updated_us;
    char *folder;
} bt_store_schedule;

int bt_store_schedule_set(bt_store *s, const char *name,
                          const char *definition, bt_error *err);
int bt_store_schedule_get(bt_store *s, const char *name,
                          bt_store_schedule *out, bt_error *err);
int bt_store_schedule_set_in(bt_store *s, const char *name,
                             const char *definition, const char *folder,
                             bt_error *err);
int bt_store_schedule_list(bt_store *s, bt_store_schedule **items, size_t *n,
                           bt_error *err);
int bt_store_schedule_list_in(bt_store *s, const char *folder,
                              bt_store_schedule **items, size_t *n,
                              bt_error *err);
int bt_store_schedule_delete(bt_store *s, const char *name, bt_error *err);
void bt_store_schedule_clear(bt_store_schedule *sc);
void bt_store_schedule_list_free(bt_store_schedule *items, size_t n);

/* ---- Change counters ------------------------------------------------ */

/* Counters the database bumps in every transaction that writes what they
 * cover (triggers, schema migration 5), whichever process writes: a
 * process may keep an answer made from those tables and check it with
 * this one read. Read them BEFORE the data the answer is made of: then a
 * write that lands in between makes the kept answer look stale rather
 * than a stale one look fresh. The values only grow. */
typedef struct bt_store_changes {
    /* folders, runbooks, versions, preferred servers, users, groups,
     * group members, folder rights, runbook servers registered or removed
     * (not their heartbeats) */
    int64_t catalog;
    int64_t purge; /* jobs or runbook instances deleted */
    /* any job row written; -1 where it is not counted (PostgreSQL, where
     * one counter row written by every job write would make concurrent
     * runbook servers wait for each other's commits) */
    int64_t jobs;
} bt_store_changes;

int bt_store_changes_read(bt_store *s, bt_store_changes *out, bt_error *err);

/* ---- Retention ------------------------------------------------------ */

/* Deletes finished instances (with their activity instances and data) of
 * runbook_id (0: of every runbook) that are beyond the newest keep_last of
 * their runbook AND ended before older_than_us. keep_last 0 or
 * older_than_us 0 drops that criterion (not both). A running instance is
 * never purged. Finished jobs left without instances go too. */
int bt_store_purge_instances(bt_store *s, int64_t runbook_id,
                             size_t keep_last, int64_t older_than_us,
                             size_t *purged, bt_error *err);
int bt_store_purge_events(bt_store *s, int64_t older_than_us, size_t *purged,
                          bt_error *err);
int bt_store_purge_audit(bt_store *s, int64_t older_than_us, size_t *purged,
                         bt_error *err);

#endif
