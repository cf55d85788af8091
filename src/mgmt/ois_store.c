/* Storing an Orchestrator import: the management server's (and
 * `baton import-ois --db`'s) way to bring an export into a Baton store. All
 * of it goes in one store group, so a failure part-way (a name the store
 * refuses, a full disk) leaves the stored runbooks and settings exactly as
 * they were. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/ois_store.h"

static int folder(bt_store *s, const char *path, int64_t *id, bt_error *err) {
    bt_store_folder f;
    memset(&f, 0, sizeof f);
    int rc = bt_store_folder_get(s, path, &f, err);
    if (rc == -BT_ENOTFOUND) rc = bt_store_folder_create(s, path, &f, err);
    if (!rc) *id = f.id;
    bt_store_folder_clear(&f);
    return rc;
}

static int store_runbook(bt_store *s, const bt_ois_import *imp,
                         const bt_ois_runbook *r, const char *author,
                         bt_error *err) {
    int64_t fid = 0;
    int rc = folder(s, r->folder, &fid, err);
    bt_store_runbook rb;
    memset(&rb, 0, sizeof rb);
    if (!rc) {
        rc = bt_store_runbook_find(s, fid, r->name, &rb, err);
        if (rc == -BT_ENOTFOUND)
            rc = bt_store_runbook_create(s, fid, r->name, NULL, &rb, err);
    }
    char comment[600];
    snprintf(comment, sizeof comment,
             "imported from the Orchestrator export "
             "'%s' by import-ois",
             imp->source);
    int version;
    /* as the YAML import: another designer's check-out stops it all */
    if (!rc && rb.checked_out_by && strcmp(rb.checked_out_by, author))
        rc = bt_error_set(err, BT_ESTATE,
                          "runbook '%s' is checked out by %s; nothing was "
                          "imported",
                          rb.path, rb.checked_out_by);
    if (!rc)
        rc = bt_store_version_add(s, rb.id, r->yaml, author, comment, &version,
                                  err);
    if (!rc) {
        json_t *after =
            json_pack("{s:s, s:i}", "source", imp->source, "version", version);
        char *a = json_dumps(after, JSON_COMPACT);
        rc = bt_store_audit_add(s, author, "runbook.import", rb.path, NULL, a,
                                err);
        free(a);
        json_decref(after);
    }
    bt_store_runbook_clear(&rb);
    return rc;
}

int bt_ois_import_store_in(const bt_ois_import *imp, bt_store *s,
                           const char *author, bt_ois_stored *out,
                           bt_error *err) {
    bt_ois_stored counts = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < imp->n_folders; i++) {
        int64_t id;
        rc = folder(s, imp->folders[i], &id, err);
    }
    for (size_t i = 0; !rc && i < imp->n_runbooks; i++) {
        const bt_ois_runbook *r = &imp->runbooks[i];
        if (!r->yaml || !r->valid) continue; /* reported, not stored */
        rc = store_runbook(s, imp, r, author, err);
        counts.runbooks += !rc;
    }
    for (size_t i = 0; !rc && i < imp->n_variables; i++) {
        const bt_ois_variable *v = &imp->variables[i];
        if (v->encrypted) continue; /* no value to store */
        rc = bt_store_variable_set(s, v->name, v->value, strlen(v->value),
                                   false, err);
        counts.variables += !rc;
    }
    for (size_t i = 0; !rc && i < imp->n_counters; i++) {
        /* A counter's value is state: an existing one keeps it. */
        int64_t cur, dflt = strtoll(imp->counters[i].default_value, NULL, 10);
        rc = bt_store_counter_get(s, imp->counters[i].name, &cur, err);
        if (rc == -BT_ENOTFOUND) {
            rc = bt_store_counter_set(s, imp->counters[i].name, dflt, err);
            counts.counters += !rc;
        }
    }
    for (size_t i = 0; !rc && i < imp->n_schedules; i++) {
        rc = bt_store_schedule_set(s, imp->schedules[i].name,
                                   imp->schedules[i].definition, err);
        counts.schedules += !rc;
    }
    if (!rc && out) *out = counts;
    return rc;
}

int bt_ois_import_store(const bt_ois_import *imp, bt_store *s,
                        const char *author, bt_ois_stored *out, bt_error *err) {
    bt_ois_stored counts = {0};
    int rc = bt_store_begin(s, err);
    if (rc) return rc;
    rc = bt_ois_import_store_in(imp, s, author, &counts, err);
    if (rc) {
        bt_store_rollback(s);
        return rc;
    }
    rc = bt_store_commit(s, err);
    if (rc) {
        bt_store_rollback(s);
        return rc;
    }
    if (out) *out = counts;
    return 0;
}
