/* The store front end: opens the backend named by the URL, checks what
 * every backend would otherwise check again (names, JSON, caps), zeroes
 * outputs, and owns the result types' memory rules. */
#include "store/store.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/backend.h"

#define NAME_MAX_LEN 256

/* ---- Opening -------------------------------------------------------- */

int bt_store_open(const char *url, bt_store **out, bt_error *err) {
    *out = NULL;
    if (!url || !*url)
        return bt_error_set(err, BT_EINVAL, "store: no database given");
    if (sodium_init() < 0)
        return bt_error_set(err, BT_EINTERNAL,
                            "store: libsodium failed to initialise");
    int rc;
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
        rc = bt__store_pg_open(url, out, err);
    } else {
        const char *target = url;
        if (!strncmp(url, "sqlite:", 7)) target = url + 7;
        else if (strstr(url, "://"))
            return bt_error_set(err, BT_EINVAL,
                                "store: '%s': unknown database scheme "
                                "(expected sqlite:PATH or postgresql://...)",
                                url);
        if (!*target)
            return bt_error_set(err, BT_EINVAL, "store: '%s' names no file",
                                url);
        rc = bt__store_sqlite_open(target, out, err);
    }
    if (rc == 0) {
        (*out)->clock = NULL;
        (*out)->clock_ud = NULL;
    }
    return rc;
}

void bt_store_close(bt_store *s) {
    if (s) s->ops->close(s);
}

const char *bt_store_backend(const bt_store *s) { return s->ops->name; }

int bt_store_schema_version(bt_store *s, int *out, bt_error *err) {
    *out = 0;
    return s->ops->schema_version(s, out, err);
}

void bt_store_set_clock(bt_store *s, bt_store_clock_fn fn, void *ud) {
    s->clock = fn;
    s->clock_ud = ud;
}

uint64_t bt_store_now(const bt_store *s) {
    return s->clock ? s->clock(s->clock_ud) : bt_now_us();
}

int bt_store_begin(bt_store *s, bt_error *err) {
    return s->ops->begin(s, err);
}

int bt_store_commit(bt_store *s, bt_error *err) {
    return s->ops->commit(s, err);
}

void bt_store_rollback(bt_store *s) { s->ops->rollback(s); }

int bt_store_wait_fd(bt_store *s) {
    return s->ops->wait_fd ? s->ops->wait_fd(s) : -1;
}

int bt_store_drain_notifications(bt_store *s) {
    return s->ops->drain_notifications ? s->ops->drain_notifications(s) : 0;
}

void bt_store_guid(char out[BT_GUID_LEN]) {
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, BT_GUID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
             "%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

/* ---- Shared checks -------------------------------------------------- */

static int check_name(const char *what, const char *name, bt_error *err) {
    if (!name || !*name)
        return bt_error_set(err, BT_EINVAL, "store: %s name is empty", what);
    if (strlen(name) > NAME_MAX_LEN)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: %s name is longer than %d bytes", what,
                            NAME_MAX_LEN);
    return 0;
}

static int check_text(const char *what, const char *text, bt_error *err) {
    if (text && strlen(text) > BT_STORE_TEXT_MAX)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: %s is larger than %zu bytes", what,
                            BT_STORE_TEXT_MAX);
    return 0;
}

/* JSON texts are checked here so that every backend stores only valid
 * JSON and the web service can embed them without re-parsing. */
static int check_json_object(const char *what, const char *text,
                             bt_error *err) {
    if (!text) return 0;
    int rc = check_text(what, text, err);
    if (rc) return rc;
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return bt_error_set(err, BT_ESYNTAX,
                            "store: %s is not valid JSON: %s (line %d, "
                            "column %d)",
                            what, jerr.text, jerr.line, jerr.column);
    bool ok = json_is_object(j);
    json_decref(j);
    if (!ok)
        return bt_error_set(err, BT_EINVAL,
                            "store: %s must be a JSON object", what);
    return 0;
}

static int check_server_list(const char *what, const char *const *names,
                             size_t n, bt_error *err) {
    if (n && !names)
        return bt_error_set(err, BT_EINVAL, "store: %s list is NULL", what);
    for (size_t i = 0; i < n; i++) {
        int rc = check_name("server", names[i], err);
        if (rc) return rc;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(names[k], names[i]))
                return bt_error_set(err, BT_EINVAL,
                                    "store: %s names server '%s' twice", what,
                                    names[i]);
    }
    return 0;
}

static bool status_valid(bt_job_status st) {
    return st >= BT_JOB_PENDING && st <= BT_JOB_CANCELED;
}

static bool result_valid(bt_result r) {
    return r >= BT_RESULT_SUCCESS && r <= BT_RESULT_FAILED;
}

#define ZERO_LIST(items, n) (*(items) = NULL, *(n) = 0)

/* ---- Folders -------------------------------------------------------- */

int bt_store_folder_create(bt_store *s, const char *path, bt_store_folder *out,
                           bt_error *err) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || path[0] != '/')
        return bt_error_set(err, BT_EINVAL,
                            "store: folder path '%s' must start with '/'",
                            path ? path : "");
    int rc = check_text("folder path", path, err);
    if (rc) return rc;
    return s->ops->folder_create(s, path, out, err);
}

int bt_store_folder_get(bt_store *s, const char *path, bt_store_folder *out,
                        bt_error *err) {
    memset(out, 0, sizeof *out);
    if (!path)
        return bt_error_set(err, BT_EINVAL, "store: no folder path given");
    return s->ops->folder_get(s, path, out, err);
}

int bt_store_folder_get_id(bt_store *s, int64_t id, bt_store_folder *out,
                           bt_error *err) {
    memset(out, 0, sizeof *out);
    return s->ops->folder_get_id(s, id, out, err);
}

int bt_store_folder_list(bt_store *s, int64_t parent_id,
                         bt_store_folder **items, size_t *n, bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->folder_list(s, parent_id, items, n, err);
}

/* ---- Runbooks ------------------------------------------------------- */

int bt_store_runbook_create(bt_store *s, int64_t folder_id, const char *name,
                            const char *description, bt_store_runbook *out,
                            bt_error *err) {
    if (out) memset(out, 0, sizeof *out);
    int rc = check_name("runbook", name, err);
    if (rc) return rc;
    if (strchr(name, '/'))
        return bt_error_set(err, BT_EINVAL,
                            "store: runbook name '%s' contains '/'", name);
    if ((rc = check_text("runbook description", description, err))) return rc;
    return s->ops->runbook_create(s, folder_id, name,
                                  description ? description : "", out, err);
}

int bt_store_runbook_get(bt_store *s, int64_t id, bt_store_runbook *out,
                         bt_error *err) {
    memset(out, 0, sizeof *out);
    return s->ops->runbook_get(s, id, out, err);
}

int bt_store_runbook_find(bt_store *s, int64_t folder_id, const char *name,
                          bt_store_runbook *out, bt_error *err) {
    memset(out, 0, sizeof *out);
    int rc = check_name("runbook", name, err);
    if (rc) return rc;
    return s->ops->runbook_find(s, folder_id, name, out, err);
}

int bt_store_runbook_list(bt_store *s, int64_t folder_id,
                          bt_store_runbook **items, size_t *n, bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->runbook_list(s, folder_id, items, n, err);
}

int bt_store_runbook_set_settings(bt_store *s, int64_t runbook_id,
                                  const bt_store_runbook_settings *settings,
                                  bt_error *err) {
    if (settings->max_concurrent < 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: max concurrent jobs %d is negative",
                            settings->max_concurrent);
    int rc = check_server_list("preferred servers",
                               settings->preferred_servers,
                               settings->n_preferred, err);
    if (rc) return rc;
    return s->ops->runbook_set_settings(s, runbook_id, settings, err);
}

int bt_store_version_add(bt_store *s, int64_t runbook_id, const char *yaml,
                         const char *author, const char *comment,
                         int *out_version, bt_error *err) {
    if (out_version) *out_version = 0;
    if (!yaml)
        return bt_error_set(err, BT_EINVAL, "store: runbook version has no text");
    int rc = check_text("runbook text", yaml, err);
    if (!rc) rc = check_name("author", author, err);
    if (!rc) rc = check_text("check-in comment", comment, err);
    if (rc) return rc;
    int v = 0;
    rc = s->ops->version_add(s, runbook_id, yaml, author,
                             comment ? comment : "", &v, err);
    if (rc == 0 && out_version) *out_version = v;
    return rc;
}

int bt_store_version_get(bt_store *s, int64_t runbook_id, int version,
                         bt_store_version *out, bt_error *err) {
    memset(out, 0, sizeof *out);
    if (version < 0)
        return bt_error_set(err, BT_EINVAL, "store: version %d is negative",
                            version);
    return s->ops->version_get(s, runbook_id, version, out, err);
}

int bt_store_version_list(bt_store *s, int64_t runbook_id,
                          bt_store_version **items, size_t *n, bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->version_list(s, runbook_id, items, n, err);
}

/* ---- Jobs ----------------------------------------------------------- */

static const char *const job_status_names[] = {
    [BT_JOB_PENDING] = "pending",     [BT_JOB_RUNNING] = "running",
    [BT_JOB_COMPLETED] = "completed", [BT_JOB_FAILED] = "failed",
    [BT_JOB_CANCELED] = "canceled",
};

const char *bt_job_status_name(bt_job_status st) {
    return status_valid(st) ? job_status_names[st] : "unknown";
}

int bt_job_status_parse(const char *text, bt_job_status *out) {
    for (size_t i = 0; i < BT_ARRAY_LEN(job_status_names); i++)
        if (text && !strcmp(text, job_status_names[i])) {
            *out = (bt_job_status)i;
            return 0;
        }
    return -BT_EINVAL;
}

int bt_store_job_create(bt_store *s, const bt_store_job_spec *spec,
                        bt_store_job *out, bt_error *err) {
    if (out) memset(out, 0, sizeof *out);
    if (spec->runbook_version < 0)
        return bt_error_set(err, BT_EINVAL, "store: version %d is negative",
                            spec->runbook_version);
    int rc = check_json_object("job parameters", spec->parameters, err);
    if (!rc) rc = check_name("job creator", spec->created_by, err);
    if (!rc)
        rc = check_server_list("job targets", spec->targets, spec->n_targets,
                               err);
    if (rc) return rc;
    bt_store_job_spec copy = *spec;
    if (!copy.parameters) copy.parameters = "{}";
    return s->ops->job_create(s, &copy, out, err);
}

int bt_store_job_claim(bt_store *s, int64_t server_id, size_t max,
                       bt_store_job **jobs, size_t *n, bt_error *err) {
    ZERO_LIST(jobs, n);
    if (max == 0) return 0;
    return s->ops->job_claim(s, server_id, max, jobs, n, err);
}

int bt_store_job_set_status(bt_store *s, int64_t job_id, bt_job_status st,
                            int64_t server_id, bt_error *err) {
    if (!status_valid(st))
        return bt_error_set(err, BT_EINVAL, "store: job status %d is unknown",
                            (int)st);
    if (st == BT_JOB_PENDING)
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld cannot be set back to pending",
                            (long long)job_id);
    if (st == BT_JOB_RUNNING && server_id <= 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: job %lld can only run on a server",
                            (long long)job_id);
    return s->ops->job_set_status(s, job_id, st, server_id, err);
}

int bt_store_job_request_cancel(bt_store *s, int64_t job_id, bt_error *err) {
    return s->ops->job_request_cancel(s, job_id, err);
}

int bt_store_job_get(bt_store *s, int64_t id, bt_store_job *out,
                     bt_error *err) {
    memset(out, 0, sizeof *out);
    return s->ops->job_get(s, id, out, err);
}

int bt_store_job_list(bt_store *s, const bt_store_job_filter *f,
                      bt_store_job **items, size_t *n, int64_t *next,
                      bt_error *err) {
    ZERO_LIST(items, n);
    *next = 0;
    bt_store_job_filter copy = *f;
    if (!copy.any_status && !status_valid(copy.status))
        return bt_error_set(err, BT_EINVAL, "store: job status %d is unknown",
                            (int)copy.status);
    if (copy.limit == 0) copy.limit = 100;
    if (copy.limit > 10000) copy.limit = 10000;
    return s->ops->job_list(s, &copy, items, n, next, err);
}

/* ---- Instances ------------------------------------------------------ */

int bt_store_instance_create(bt_store *s, int64_t job_id, int64_t server_id,
                             bt_store_instance *out, bt_error *err) {
    if (out) memset(out, 0, sizeof *out);
    return s->ops->instance_create(s, job_id, server_id, out, err);
}

int bt_store_instance_finish(bt_store *s, int64_t instance_id,
                             bt_job_status st, bt_result result,
                             const char *return_data, bt_error *err) {
    if (st == BT_JOB_PENDING || st == BT_JOB_RUNNING || !status_valid(st))
        return bt_error_set(err, BT_EINVAL,
                            "store: an instance finishes as completed, "
                            "failed or canceled, not '%s'",
                            bt_job_status_name(st));
    if (!result_valid(result))
        return bt_error_set(err, BT_EINVAL, "store: result %d is unknown",
                            (int)result);
    int rc = check_json_object("return data", return_data, err);
    if (rc) return rc;
    return s->ops->instance_finish(s, instance_id, st, result, return_data,
                                   err);
}

int bt_store_instance_get(bt_store *s, int64_t id, bt_store_instance *out,
                          bt_error *err) {
    memset(out, 0, sizeof *out);
    return s->ops->instance_get(s, id, out, err);
}

int bt_store_instance_list(bt_store *s, int64_t job_id,
                           bt_store_instance **items, size_t *n,
                           bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->instance_list(s, job_id, items, n, err);
}

/* Checks what does not need the database. Values over the cap are left to
 * the backend, which refuses them while writing: the same path as any
 * other failure mid-transaction, so that path is exercised by tests. */
static int check_activity(const bt_store_activity_spec *a, bt_error *err) {
    int rc = check_name("activity", a->activity_id, err);
    if (rc) return rc;
    if (a->seq == 0 || a->seq > INT64_MAX || a->parent_seq > INT64_MAX)
        return bt_error_set(err, BT_EINVAL,
                            "store: activity '%s': sequence number %llu is "
                            "out of range",
                            a->activity_id, (unsigned long long)a->seq);
    if (a->attempt == 0)
        return bt_error_set(err, BT_EINVAL,
                            "store: activity '%s': attempt must be >= 1",
                            a->activity_id);
    if (!result_valid(a->result))
        return bt_error_set(err, BT_EINVAL,
                            "store: activity '%s': result %d is unknown",
                            a->activity_id, (int)a->result);
    if (a->n_data && !a->data)
        return bt_error_set(err, BT_EINVAL,
                            "store: activity '%s': data is NULL",
                            a->activity_id);
    for (size_t i = 0; i < a->n_data; i++)
        if (!a->data[i].name || !*a->data[i].name)
            return bt_error_set(err, BT_EINVAL,
                                "store: activity '%s': row %u has a value "
                                "without a name",
                                a->activity_id, a->data[i].row);
    return 0;
}

int bt_store_commit_activity(bt_store *s, int64_t server_id,
                             const bt_store_activity_spec *a,
                             int64_t *out_id, bt_error *err) {
    if (out_id) *out_id = 0;
    int rc = check_activity(a, err);
    if (rc) return rc;
    int64_t id = 0;
    rc = s->ops->commit_activities(s, server_id, a, 1, &id, err);
    if (rc == 0 && out_id) *out_id = id;
    return rc;
}

int bt_store_commit_activities(bt_store *s, int64_t server_id,
                               const bt_store_activity_spec *a, size_t n,
                               bt_error *err) {
    for (size_t i = 0; i < n; i++) {
        int rc = check_activity(&a[i], err);
        if (rc) return rc;
    }
    if (n == 0) return 0;
    int64_t first = 0;
    return s->ops->commit_activities(s, server_id, a, n, &first, err);
}

int bt_store_activity_list(bt_store *s, int64_t instance_id,
                           uint64_t after_seq, bt_store_activity **items,
                           size_t *n, bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->activity_list(s, instance_id, after_seq, items, n, err);
}

/* ---- Servers -------------------------------------------------------- */

int bt_store_server_register(bt_store *s, const char *name,
                             const char *version, uint64_t lease_ms,
                             int64_t *out_id, bt_error *err) {
    *out_id = 0;
    int rc = check_name("server", name, err);
    if (!rc) rc = check_name("server version", version, err);
    if (rc) return rc;
    return s->ops->server_register(s, name, version, lease_ms, out_id, err);
}

int bt_store_server_heartbeat(bt_store *s, int64_t server_id,
                              uint64_t lease_ms, bt_error *err) {
    return s->ops->server_heartbeat(s, server_id, lease_ms, err);
}

int bt_store_server_list(bt_store *s, bt_store_server **items, size_t *n,
                         bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->server_list(s, items, n, err);
}

int bt_store_server_takeover(bt_store *s, int64_t **ids, size_t *n,
                             bt_error *err) {
    int64_t *tmp_ids = NULL;
    size_t tmp_n = 0;
    int rc = s->ops->server_takeover(s, &tmp_ids, &tmp_n, err);
    if (ids) *ids = tmp_ids;
    else free(tmp_ids);
    if (n) *n = tmp_n;
    return rc;
}

/* ---- Events and audit ----------------------------------------------- */

const char *bt_severity_name(bt_severity sev) {
    switch (sev) {
    case BT_SEVERITY_INFO: return "info";
    case BT_SEVERITY_WARNING: return "warning";
    case BT_SEVERITY_ERROR: return "error";
    }
    return "unknown";
}

int bt_store_event_add(bt_store *s, bt_severity sev, const char *source,
                       const char *message, int64_t job_id, bt_error *err) {
    if (sev < BT_SEVERITY_INFO || sev > BT_SEVERITY_ERROR)
        return bt_error_set(err, BT_EINVAL, "store: severity %d is unknown",
                            (int)sev);
    int rc = check_name("event source", source, err);
    if (!rc && !message)
        rc = bt_error_set(err, BT_EINVAL, "store: event has no message");
    if (!rc) rc = check_text("event message", message, err);
    if (rc) return rc;
    return s->ops->event_add(s, sev, source, message, job_id, err);
}

int bt_store_event_list(bt_store *s, int64_t job_id, int64_t after_id,
                        size_t limit, bt_store_event **items, size_t *n,
                        bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->event_list(s, job_id, after_id, limit ? limit : 100, items,
                              n, err);
}

int bt_store_audit_add(bt_store *s, const char *who, const char *action,
                       const char *object, const char *before,
                       const char *after, bt_error *err) {
    int rc = check_name("audit user", who, err);
    if (!rc) rc = check_name("audit action", action, err);
    if (!rc) rc = check_text("audited object", object, err);
    if (!rc) rc = check_json_object("audit 'before'", before, err);
    if (!rc) rc = check_json_object("audit 'after'", after, err);
    if (rc) return rc;
    return s->ops->audit_add(s, who, action, object ? object : "", before,
                             after, err);
}

int bt_store_audit_list(bt_store *s, int64_t after_id, size_t limit,
                        bt_store_audit **items, size_t *n, bt_error *err) {
    ZERO_LIST(items, n);
    return s->ops->audit_list(s, after_id, limit ? limit : 100, items, n, err);
}

/* ---- Variables, counters, schedules --------------------------------- */

/* Folders go into JSON answers as they are, so they must be UTF-8
 * (well-formed sequences, no overlongs or surrogates). */
static bool utf8_ok(const unsigned char *p) {
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1
                            : c >= 0xe0 && c <= 0xef   ? 2
                            : c >= 0xf0 && c <= 0xf4   ? 3
                                                       : 9;
        if (n == 9) return false;
        for (size_t i = 1; i <= n; i++)
            if ((p[i] & 0xc0) != 0x80) return false;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
            (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
            return false;
        p += n + 1;
    }
    return true;
}

int bt_store_setting_folder_check(const char *folder, bt_error *err) {
    if (!folder || folder[0] != '/')
        return bt_error_set(err, BT_EINVAL,
                            "store: folder '%s' does not start with '/'",
                            folder ? folder : "");
    size_t len = strlen(folder);
    if (len > BT_STORE_FOLDER_MAX)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: folder is longer than %d bytes",
                            BT_STORE_FOLDER_MAX);
    if (len == 1) return 0;
    if (folder[len - 1] == '/')
        return bt_error_set(err, BT_EINVAL,
                            "store: folder '%s' ends with '/'", folder);
    for (const char *seg = folder + 1; seg;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') ||
            (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return bt_error_set(err, BT_EINVAL,
                                "store: folder '%s' has an empty, '.' or "
                                "'..' segment",
                                folder);
        seg = end ? end + 1 : NULL;
    }
    for (const unsigned char *c = (const unsigned char *)folder; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return bt_error_set(err, BT_EINVAL,
                                "store: folder has a control character");
    if (!utf8_ok((const unsigned char *)folder))
        return bt_error_set(err, BT_EINVAL,
                            "store: folder is not UTF-8 text");
    return 0;
}

/* NULL is allowed where it means "keep" or "all". */
static int check_folder_opt(const char *folder, bt_error *err) {
    return folder ? bt_store_setting_folder_check(folder, err) : 0;
}

static const char *const setting_kinds[] = {"variable", "counter",
                                            "schedule"};

int bt_store_setting_move(bt_store *s, bt_store_setting_kind kind,
                          const char *name, const char *folder,
                          bt_error *err) {
    if ((unsigned)kind > BT_SETTING_SCHEDULE)
        return bt_error_set(err, BT_EINVAL, "store: unknown setting kind %d",
                            (int)kind);
    int rc = check_name(setting_kinds[kind], name, err);
    if (!rc) rc = bt_store_setting_folder_check(folder, err);
    if (rc) return rc;
    return s->ops->setting_move(s, kind, name, folder, err);
}

int bt_store_variable_set(bt_store *s, const char *name, const void *value,
                          size_t len, bool encrypted, bt_error *err) {
    return bt_store_variable_set_in(s, name, value, len, encrypted, NULL, err);
}

int bt_store_variable_set_in(bt_store *s, const char *name, const void *value,
                             size_t len, bool encrypted, const char *folder,
                             bt_error *err) {
    int rc = check_name("variable", name, err);
    if (!rc) rc = check_folder_opt(folder, err);
    if (rc) return rc;
    if (len && !value)
        return bt_error_set(err, BT_EINVAL, "store: variable '%s' has no value",
                            name);
    if (len > BT_STORE_VALUE_MAX)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: variable '%s' is larger than %zu bytes",
                            name, BT_STORE_VALUE_MAX);
    return s->ops->variable_set(s, name, value ? value : "", len, encrypted,
                                folder, err);
}

int bt_store_variable_get(bt_store *s, const char *name,
                          bt_store_variable *out, bt_error *err) {
    memset(out, 0, sizeof *out);
    int rc = check_name("variable", name, err);
    if (rc) return rc;
    return s->ops->variable_get(s, name, out, err);
}

int bt_store_variable_list(bt_store *s, bt_store_variable **items, size_t *n,
                           bt_error *err) {
    return bt_store_variable_list_in(s, NULL, items, n, err);
}

int bt_store_variable_list_in(bt_store *s, const char *folder,
                              bt_store_variable **items, size_t *n,
                              bt_error *err) {
    ZERO_LIST(items, n);
    int rc = check_folder_opt(folder, err);
    if (rc) return rc;
    return s->ops->variable_list(s, folder, items, n, err);
}

int bt_store_variable_delete(bt_store *s, const char *name, bt_error *err) {
    int rc = check_name("variable", name, err);
    if (rc) return rc;
    return s->ops->variable_delete(s, name, err);
}

int bt_store_counter_set(bt_store *s, const char *name, int64_t value,
                         bt_error *err) {
    return bt_store_counter_set_in(s, name, value, NULL, err);
}

int bt_store_counter_set_in(bt_store *s, const char *name, int64_t value,
                            const char *folder, bt_error *err) {
    int rc = check_name("counter", name, err);
    if (!rc) rc = check_folder_opt(folder, err);
    if (rc) return rc;
    return s->ops->counter_set(s, name, value, folder, err);
}

int bt_store_counter_list(bt_store *s, const char *folder,
                          bt_store_counter **items, size_t *n, bt_error *err) {
    ZERO_LIST(items, n);
    int rc = check_folder_opt(folder, err);
    if (rc) return rc;
    return s->ops->counter_list(s, folder, items, n, err);
}

int bt_store_counter_get(bt_store *s, const char *name, int64_t *out,
                         bt_error *err) {
    *out = 0;
    int rc = check_name("counter", name, err);
    if (rc) return rc;
    return s->ops->counter_get(s, name, out, err);
}

int bt_store_counter_add(bt_store *s, const char *name, int64_t delta,
                         int64_t *out, bt_error *err) {
    int64_t tmp = 0;
    int rc = check_name("counter", name, err);
    if (!rc) rc = s->ops->counter_add(s, name, delta, &tmp, err);
    if (out) *out = tmp;
    return rc;
}

int bt_store_counter_delete(bt_store *s, const char *name, bt_error *err) {
    int rc = check_name("counter", name, err);
    if (rc) return rc;
    return s->ops->counter_delete(s, name, err);
}

int bt_store_schedule_set(bt_store *s, const char *name,
                          const char *definition, bt_error *err) {
    return bt_store_schedule_set_in(s, name, definition, NULL, err);
}

int bt_store_schedule_set_in(bt_store *s, const char *name,
                             const char *definition, const char *folder,
                             bt_error *err) {
    int rc = check_name("schedule", name, err);
    if (!rc) rc = check_folder_opt(folder, err);
    if (!rc && !definition)
        rc = bt_error_set(err, BT_EINVAL, "store: schedule '%s' has no "
                          "definition", name);
    if (!rc) rc = check_json_object("schedule definition", definition, err);
    if (rc) return rc;
    return s->ops->schedule_set(s, name, definition, folder, err);
}

int bt_store_schedule_get(bt_store *s, const char *name,
                          bt_store_schedule *out, bt_error *err) {
    memset(out, 0, sizeof *out);
    int rc = check_name("schedule", name, err);
    if (rc) return rc;
    return s->ops->schedule_get(s, name, out, err);
}

int bt_store_schedule_list(bt_store *s, bt_store_schedule **items, size_t *n,
                           bt_error *err) {
    return bt_store_schedule_list_in(s, NULL, items, n, err);
}

int bt_store_schedule_list_in(bt_store *s, const char *folder,
                              bt_store_schedule **items, size_t *n,
                              bt_error *err) {
    ZERO_LIST(items, n);
    int rc = check_folder_opt(folder, err);
    if (rc) return rc;
    return s->ops->schedule_list(s, folder, items, n, err);
}

int bt_store_schedule_delete(bt_store *s, const char *name, bt_error *err) {
    int rc = check_name("schedule", name, err);
    if (rc) return rc;
    return s->ops->schedule_delete(s, name, err);
}

/* ---- Retention ------------------------------------------------------ */

int bt_store_purge_instances(bt_store *s, int64_t runbook_id,
                             size_t keep_last, int64_t older_than_us,
                             size_t *purged, bt_error *err) {
    size_t tmp = 0;
    int rc;
    if (keep_last == 0 && older_than_us <= 0)
        rc = bt_error_set(err, BT_EINVAL,
                          "store: purge needs a number of instances to keep "
                          "or an age");
    else
        rc = s->ops->purge_instances(s, runbook_id, keep_last, older_than_us,
                                     &tmp, err);
    if (purged) *purged = tmp;
    return rc;
}

int bt_store_purge_events(bt_store *s, int64_t older_than_us, size_t *purged,
                          bt_error *err) {
    size_t tmp = 0;
    int rc = s->ops->purge_events(s, older_than_us, &tmp, err);
    if (purged) *purged = tmp;
    return rc;
}

int bt_store_purge_audit(bt_store *s, int64_t older_than_us, size_t *purged,
                         bt_error *err) {
    size_t tmp = 0;
    int rc = s->ops->purge_audit(s, older_than_us, &tmp, err);
    if (purged) *purged = tmp;
    return rc;
}
