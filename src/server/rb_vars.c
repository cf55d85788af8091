/* Global variables for {var:name}.
 *
 * Templates are expanded wherever an activity runs, and a blocking
 * activity runs on the thread pool, where the store must not be used. So
 * the loop refreshes a table from the store (at each heartbeat and before
 * jobs start) and lookups read the table under a mutex. A value handed out
 * is copied by the caller right away but may be read after the lock is
 * released, so entries are never changed or freed while the server lives:
 * a changed variable appends a new entry (the newest wins). The table
 * grows only when variables change. Encrypted variables are opened with
 * the management server's key file (mgmt/secret.h) and kept here in plain
 * text only: they reach activities and never go back to the store. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "mgmt/secret.h"
#include "server/rb_internal.h"

typedef struct var_entry {
    char *name;
    char *value; /* NULL: deleted */
} var_entry;

struct rb_vars {
    uv_mutex_t mu;
    char *key_file; /* NULL: encrypted variables stay unset */
    unsigned char key[BT_SECRET_KEY_BYTES];
    bool have_key;
    bool key_warned; /* say once that the key cannot be read */
    var_entry *items;
    size_t n, cap;
};

rb_vars *bt__rb_vars_new(const char *secret_key_file) {
    rb_vars *v = bt_xcalloc(1, sizeof *v);
    v->key_file = secret_key_file ? bt_xstrdup(secret_key_file) : NULL;
    uv_mutex_init(&v->mu);
    return v;
}

void bt__rb_vars_free(rb_vars *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i].name);
        free(v->items[i].value);
    }
    free(v->items);
    sodium_memzero(v->key, sizeof v->key);
    free(v->key_file);
    uv_mutex_destroy(&v->mu);
    free(v);
}

/* Newest entry for name; caller holds the lock. */
static var_entry *newest(rb_vars *v, const char *name) {
    for (size_t i = v->n; i-- > 0;)
        if (strcmp(v->items[i].name, name) == 0) return &v->items[i];
    return NULL;
}

static void append(rb_vars *v, const char *name, const char *value) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = bt_xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->n++] = (var_entry){bt_xstrdup(name),
                                   value ? bt_xstrdup(value) : NULL};
}

static bool listed(const bt_store_variable *items, size_t n,
                   const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, name) == 0) return true;
    return false;
}

/* The plain text of an encrypted variable (malloc'd), or NULL when it
 * cannot be opened (no key file yet, another key): logged, left unset. */
static char *open_encrypted(bt_rbserver *srv, const bt_store_variable *item) {
    rb_vars *v = srv->vars;
    bt_error err = {0};
    if (!v->key_file) return NULL;
    if (!v->have_key) {
        if (bt_secret_key_load(v->key_file, false, v->key, &err)) {
            if (!v->key_warned)
                bt_logf(srv->log, BT_LOG_WARNING,
                        "runbook server '%s': encrypted variable '%s' stays "
                        "unset: %s",
                        srv->name, item->name, err.message);
            v->key_warned = true;
            return NULL;
        }
        v->have_key = true;
    }
    char *plain = NULL;
    if (bt_secret_open(v->key, item->value, item->len, &plain, NULL, &err)) {
        if (!v->key_warned)
            bt_logf(srv->log, BT_LOG_WARNING,
                    "runbook server '%s': encrypted variable '%s' stays unset: "
                    "%s",
                    srv->name, item->name, err.message);
        v->key_warned = true;
        return NULL;
    }
    return plain;
}

void bt__rb_vars_refresh(bt_rbserver *srv) {
    bt_store_variable *items = NULL;
    size_t n = 0;
    bt_error err;
    if (bt_store_variable_list(srv->store, &items, &n, &err) != 0) {
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': cannot read global variables: %s",
                srv->name, err.message);
        return;
    }
    rb_vars *v = srv->vars;
    uv_mutex_lock(&v->mu);
    for (size_t i = 0; i < n; i++) {
        char *plain = items[i].encrypted ? open_encrypted(srv, &items[i]) : NULL;
        if (items[i].encrypted && !plain) {
            var_entry *old = newest(v, items[i].name);
            if (old && old->value) append(v, items[i].name, NULL);
            continue;
        }
        const char *value = plain ? plain
                          : items[i].value ? (const char *)items[i].value : "";
        /* Values are text: a BLOB with a NUL inside ends there. */
        var_entry *e = newest(v, items[i].name);
        if (!e || !e->value || strcmp(e->value, value) != 0)
            append(v, items[i].name, value);
        if (plain) sodium_memzero(plain, strlen(plain));
        free(plain);
    }
    /* Deleted since the last refresh: a tombstone. Walk a copy of the
     * count, since append grows the table. */
    size_t count = v->n;
    for (size_t i = 0; i < count; i++) {
        var_entry *e = &v->items[i];
        if (!e->value || newest(v, e->name) != e) continue;
        if (!listed(items, n, e->name)) append(v, e->name, NULL);
    }
    uv_mutex_unlock(&v->mu);
    bt_store_variable_list_free(items, n);
}

const char *bt__rb_var_lookup(void *ud, const char *name) {
    bt_rbserver *srv = ud;
    rb_vars *v = srv->vars;
    uv_mutex_lock(&v->mu);
    var_entry *e = newest(v, name);
    const char *value = e ? e->value : NULL;
    uv_mutex_unlock(&v->mu);
    return value;
}
