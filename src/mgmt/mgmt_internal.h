/* What the management server's files share: the server, one request, the
 * route handlers and the helpers they answer with. Nothing outside
 * src/mgmt/ sees these. */
#ifndef BT_MGMT_INTERNAL_H
#define BT_MGMT_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "mgmt/mgmt.h"
#include "runbook/runbook.h"
#include "store/store.h"

#define BT_MGMT_DEFAULT_MAX_BODY ((size_t)16 << 20)
#define BT_MGMT_POOL_MAX 8
#define BT_MGMT_USER_MAX 256

struct bt_mgmt {
    struct MHD_Daemon *daemon;
    uint16_t port;
    char *store_url;
    char *key_file;
    size_t max_body;
    int (*authenticate)(void *ud, bt_store *s, const char *authorization,
                        char *user, size_t user_size, bt_error *err);
    void *auth_ud;
    char **cors_origins;
    size_t n_cors_origins;
    char *tls_cert, *tls_key; /* PEM text; NULL: plain HTTP */
    pthread_mutex_t pool_lock;
    bt_store *pool[BT_MGMT_POOL_MAX];
    size_t n_pool;
};

typedef struct mg_req {
    bt_mgmt *mgmt;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    bt_buf body;
    bool too_big;
    bool responded;
    bt_store *store;
    const char *capture; /* the {} segment of the route, if any */
    char *capture_buf;
    const char *user; /* who is asking, set by admission */
    char user_buf[BT_MGMT_USER_MAX + 1];
    bool authenticated; /* by the hook: rights are checked */
    bool rights_known;  /* user_id / is_admin looked up */
    int64_t user_id;
    bool is_admin;
    json_t *json; /* the parsed body (mg_body) */
    unsigned status;
    json_t *reply;
    char allow[48];
    const char *cors_origin; /* the request's Origin when allowed */
    bool preflight;          /* an OPTIONS answer: CORS method headers */
} mg_req;

typedef void (*mg_handler)(mg_req *r);

/* server.c */
bt_store *bt__mg_store(mg_req *r); /* NULL after answering 500 */
void bt__mg_reply(mg_req *r, unsigned status, json_t *body);
void bt__mg_error(mg_req *r, unsigned status, const char *code,
                  const char *target, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Maps -BT_E* to 400/404/409/413/500 with err's sentence. */
void bt__mg_error_from(mg_req *r, int rc, const bt_error *err,
                       const char *target);
/* The body as a JSON object whose keys are all in allowed (NULL-ended);
 * answers 400 and returns NULL otherwise. Borrowed. */
json_t *bt__mg_body(mg_req *r, const char *const *allowed);
/* A required / optional string field of the body; answers 400 on a wrong
 * kind or a missing required one. *out NULL when optional and absent. */
bool bt__mg_str(mg_req *r, json_t *body, const char *name, bool required,
                const char **out);
bool bt__mg_query_only(mg_req *r, const char *const *allowed);
const char *bt__mg_query(mg_req *r, const char *name);
/* Starts a store group; the handler then either bt__mg_commit()s or
 * returns after an error (the group is rolled back when the handle goes
 * back to the pool). */
bool bt__mg_begin(mg_req *r);
bool bt__mg_commit(mg_req *r);
/* An audit record in the current group: who (the request's user), action,
 * object; before/after are borrowed JSON values (NULL allowed). */
bool bt__mg_audit(mg_req *r, const char *action, const char *object,
                  json_t *before, json_t *after);
/* Authorization (authentication on): folder rights as on the web service,
 * inherited down the tree, administrators hold all. Each answers 403 (or
 * 500) and returns false when the caller lacks them; with authentication
 * off they always pass. bt__mg_can_path checks the nearest existing folder
 * of path (a folder about to be created inherits from it). */
bool bt__mg_can(mg_req *r, int64_t folder_id, unsigned rights,
                const char *what);
bool bt__mg_can_path(mg_req *r, const char *path, unsigned rights,
                     const char *what);
/* bt__mg_can for an object the caller names (kind "runbook" or "folder",
 * name as the caller gave it): without the view right on its folder the
 * answer is the 404 a missing object gets (bt__mg_not_found), as the web
 * service does, so nobody learns that something they may not see exists. */
bool bt__mg_can_see(mg_req *r, int64_t folder_id, unsigned rights,
                    const char *what, const char *kind, const char *name,
                    const char *target);
/* 404 "no KIND 'NAME'": the one answer for a missing runbook or folder. */
void bt__mg_not_found(mg_req *r, const char *target, const char *kind,
                      const char *name);
bool bt__mg_admin(mg_req *r, const char *what);
/* Authentication off, or an administrator (no answer either way). */
bool bt__mg_is_admin(mg_req *r);
json_t *bt__mg_time(int64_t us);
json_t *bt__mg_strn(const char *s); /* a JSON string, or null */
const char *bt__mg_key_file(mg_req *r);

/* mgmt_runbooks.c: resolves an id or a "/Folder/Name" path; answers and
 * returns false when it cannot. */
bool bt__mg_resolve_runbook(mg_req *r, const char *ref, const char *target,
                            bt_store_runbook *out);
/* Validates runbook YAML with the core loader; answers 400 with every
 * problem ("invalid_runbook", "problems": [...]) and returns NULL. */
bt_runbook *bt__mg_validate(mg_req *r, const char *name, const char *yaml);
json_t *bt__mg_runbook_summary(const bt_store_runbook *rb);

/* mgmt_diff.c: the runbook document as JSON (properties, parameters,
 * activities, links) and a readable diff of two of them. */
json_t *bt__mg_doc_json(const bt_runbook *rb);
json_t *bt__mg_diff(json_t *a, json_t *b);

/* handlers */
void bt__mg_health(mg_req *r);
void bt__mg_tree(mg_req *r);
void bt__mg_folder_create(mg_req *r);
void bt__mg_folder_rename(mg_req *r);
void bt__mg_folder_move(mg_req *r);
void bt__mg_folder_delete(mg_req *r);
void bt__mg_runbook_show(mg_req *r);
void bt__mg_runbook_history(mg_req *r);
void bt__mg_runbook_diff(mg_req *r);
void bt__mg_runbook_checkout(mg_req *r);
void bt__mg_runbook_undo_checkout(mg_req *r);
void bt__mg_runbook_checkin(mg_req *r);
void bt__mg_runbook_revert(mg_req *r);
void bt__mg_runbook_settings(mg_req *r);
void bt__mg_runbook_rename(mg_req *r);
void bt__mg_runbook_move(mg_req *r);
void bt__mg_runbook_delete(mg_req *r);
void bt__mg_export(mg_req *r);
void bt__mg_import(mg_req *r);
void bt__mg_import_ois(mg_req *r);
void bt__mg_variables_list(mg_req *r);
void bt__mg_variable_get(mg_req *r);
void bt__mg_variable_set(mg_req *r);
void bt__mg_variable_delete(mg_req *r);
void bt__mg_variable_move(mg_req *r);
void bt__mg_counters_list(mg_req *r);
void bt__mg_counter_move(mg_req *r);
void bt__mg_schedule_move(mg_req *r);
void bt__mg_counter_get(mg_req *r);
void bt__mg_counter_set(mg_req *r);
void bt__mg_counter_delete(mg_req *r);
void bt__mg_schedules_list(mg_req *r);
void bt__mg_schedule_get(mg_req *r);
void bt__mg_schedule_set(mg_req *r);
void bt__mg_schedule_delete(mg_req *r);
void bt__mg_servers_list(mg_req *r);
void bt__mg_server_throttle(mg_req *r);
void bt__mg_server_drain(mg_req *r);
void bt__mg_audit_list(mg_req *r);

#endif
