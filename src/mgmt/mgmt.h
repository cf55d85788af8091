/* The management server role: the designer's API (folders, runbooks with
 * check-out / check-in and versions, import / export, global settings,
 * runbook servers, audit history) as HTTP/JSON on one port (135 by
 * default), served by libmicrohttpd threads, each request with its own
 * store handle. docs/management.md describes every endpoint. */
#ifndef BT_MGMT_H
#define BT_MGMT_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "store/store.h"

typedef struct bt_mgmt bt_mgmt;

typedef struct bt_mgmt_config {
    /* A listening TCP socket (batond gets it from bt_listen_tcp, so a port
     * that cannot be bound is reported with the setting to change); the
     * server owns it from then on, even when start fails. */
    int listen_fd;
    const char *store_url; /* the orchestration database */
    /* Where encrypted variables' key lives (DATA_DIR/secret.key); created
     * 0600 on first use. NULL: encrypted variables are refused. */
    const char *key_file;
    size_t max_body; /* request body cap in bytes; 0: 16 MiB (imports) */
    /* Admission: who is asking. Called for every request but GET
     * /api/health with the Authorization header (NULL when absent) and a
     * store handle; writes the user's name (NUL-terminated, at most
     * user_size - 1 bytes) and returns 0, or -BT_EINVAL (answered 401) /
     * -BT_ESTATE (403) / other (500) with a sentence in err. NULL: the
     * caller names itself with X-Baton-User (default "api"), as on the web
     * service without authentication. */
    int (*authenticate)(void *ud, bt_store *s, const char *authorization,
                        char *user, size_t user_size, bt_error *err);
    void *auth_ud;
    /* Browser origins ("http://console.example:82") allowed to call the
     * API from a page (CORS), compared exactly; batond passes the web
     * service's cors_origins, because the console authors through this
     * server. An Origin not listed gets no CORS headers. */
    const char *const *cors_origins;
    size_t n_cors_origins;
    /* HTTPS when both are set (PEM files; batond passes the web service's
     * tls_cert and tls_key); plain HTTP otherwise. A file that cannot be
     * read or is not PEM stops the start naming the file and setting. */
    const char *tls_cert_file;
    const char *tls_key_file;
} bt_mgmt_config;

/* The authenticate hook for a batond with authentication on: the same
 * users and API tokens as the web service (HTTP Basic, Bearer tokens);
 * ud is unused. mgmt/mgmt_auth.c. */
int bt_mgmt_authenticate(void *ud, bt_store *s, const char *authorization,
                         char *user, size_t user_size, bt_error *err);

int bt_mgmt_start(const bt_mgmt_config *cfg, bt_mgmt **out, bt_error *err);
uint16_t bt_mgmt_port(const bt_mgmt *m); /* the port actually bound */
void bt_mgmt_stop(bt_mgmt *m);           /* NULL is a no-op */

#endif
