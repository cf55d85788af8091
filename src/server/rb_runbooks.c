/* Runbook versions as the server runs them (loaded from the store once
 * and shared by every job of that version), and a job's parameters. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "server/rb_internal.h"

/* ---- runbook versions --------------------------------------------------- */

static bool has_monitor(const bt_runbook *rb) {
    for (size_t i = 0; i < rb->n_activities; i++)
        if (rb->activities[i].type && rb->activities[i].type->monitor)
            return true;
    return false;
}

rb_runbook *bt__rb_runbook_get(bt_rbserver *srv, int64_t runbook_id,
                               int version, char *msg, size_t msg_size) {
    for (rb_runbook *e = srv->runbooks; e; e = e->next)
        if (e->runbook_id == runbook_id && e->version == version) {
            e->refs++;
            return e;
        }
    bt_store_version v = {0};
    bt_error err;
    if (bt_store_version_get(srv->store, runbook_id, version, &v, &err)) {
        snprintf(msg, msg_size, "cannot read version %d of runbook %lld: %s",
                 version, (long long)runbook_id, err.message);
        return NULL;
    }
    bt_store_runbook meta = {0};
    char *label = bt_store_runbook_get(srv->store, runbook_id, &meta, NULL)
                      ? bt_xasprintf("runbook %lld", (long long)runbook_id)
                      : bt_xstrdup(meta.path);
    bt_store_runbook_clear(&meta);
    char *file = bt_xasprintf("%s (version %d)", label, version);
    bt_diags diags;
    bt_diags_init(&diags);
    bt_runbook *rb = NULL;
    int rc = bt_runbook_load_string(file, v.yaml, strlen(v.yaml), NULL, &rb,
                                    &diags);
    bt_store_version_clear(&v);
    if (rc) {
        char first[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32] = "";
        if (diags.count) bt_error_format(&diags.items[0], first, sizeof first);
        snprintf(msg, msg_size,
                 "%s does not load (%zu problem%s): %s", file,
                 diags.count + (size_t)diags.dropped,
                 diags.count == 1 ? "" : "s", first);
        bt_diags_free(&diags);
        free(file);
        free(label);
        return NULL;
    }
    bt_diags_free(&diags);
    free(file);
    free(label);
    rb_runbook *e = bt_xcalloc(1, sizeof *e);
    e->runbook_id = runbook_id;
    e->version = version;
    e->rb = rb;
    e->monitor = has_monitor(rb);
    e->refs = 1;
    e->next = srv->runbooks;
    srv->runbooks = e;
    return e;
}

/* Unused versions stay loaded (a runbook's next job needs no parse) until
 * more than this many are cached. */
#define RUNBOOK_CACHE 64

void bt__rb_runbook_put(bt_rbserver *srv, rb_runbook *e) {
    if (!e || --e->refs) return;
    size_t n = 0;
    for (rb_runbook *c = srv->runbooks; c; c = c->next) n++;
    if (n <= RUNBOOK_CACHE) return;
    for (rb_runbook **pp = &srv->runbooks; *pp;) {
        rb_runbook *c = *pp;
        if (c->refs) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        bt_runbook_free(c->rb);
        free(c);
    }
}

void bt__rb_runbooks_free(bt_rbserver *srv) {
    while (srv->runbooks) {
        rb_runbook *e = srv->runbooks;
        srv->runbooks = e->next;
        bt_runbook_free(e->rb);
        free(e);
    }
}

/* ---- parameters --------------------------------------------------------- */

int bt__rb_params_parse(const char *text, bt_param_value **out, size_t *n,
                        char *msg, size_t msg_size) {
    *out = NULL;
    *n = 0;
    if (!text || !*text) return 0;
    json_error_t jerr;
    json_t *obj = json_loads(text, 0, &jerr);
    if (!obj || !json_is_object(obj)) {
        snprintf(msg, msg_size, "its parameters are not a JSON object: %s",
                 obj ? "another JSON value" : jerr.text);
        json_decref(obj);
        return -BT_EINVAL;
    }
    bt_param_value *pv = bt_xcalloc(json_object_size(obj) + 1, sizeof *pv);
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        char *text_val;
        if (json_is_null(val)) continue;
        if (json_is_string(val)) text_val = bt_xstrdup(json_string_value(val));
        else if (json_is_integer(val))
            text_val =
                bt_xasprintf("%lld", (long long)json_integer_value(val));
        else if (json_is_real(val))
            text_val = bt_xasprintf("%.17g", json_real_value(val));
        else if (json_is_boolean(val))
            text_val = bt_xstrdup(json_is_true(val) ? "true" : "false");
        else {
            char *dump = json_dumps(val, JSON_COMPACT);
            text_val = bt_xstrdup(dump ? dump : "");
            free(dump);
        }
        pv[*n].name = bt_xstrdup(key);
        pv[(*n)++].value = text_val;
    }
    json_decref(obj);
    *out = pv;
    return 0;
}

void bt__rb_params_free(bt_param_value *pv, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free((char *)pv[i].name);
        free((char *)pv[i].value);
    }
    free(pv);
}
