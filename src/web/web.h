/* The web service role: the REST JSON API under /api/ and the
 * Orchestrator-compatible OData v2 endpoint, served by libmicrohttpd on its own threads, each
 * request with its own store handle, so the runbook server's event loop is
 * never blocked by a client. */
#ifndef BT_WEB_H
#define BT_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

typedef struct bt_web bt_web;
typedef struct bt_web_req bt_web_req;

/* One finished request, for the request log. */
typedef struct bt_web_log_entry {
    const char *method;
    const char *route;  /* the route's pattern ("/api/jobs/{id}"), or the
                           path's first segments when nothing matched */
    unsigned status;
    double duration_ms; /* first byte in to the last byte out */
    const char *user;   /* authenticated user, X-Baton-User, or "-" */
} bt_web_log_entry;

typedef struct bt_web_config {
    const char *bind_address; /* NULL: all addresses */
    uint16_t port;            /* 0: pick a free port (tests) */
    const char *store_url;    /* the orchestration database */
    size_t max_body;          /* request body cap in bytes; 0: 1 MiB */
    unsigned timeout_s;       /* idle/slow connection timeout; 0: 60 s */
    unsigned keepalive_ms;    /* event streams' keep-alive comment; 0: 15 s */
    /* How often an open event stream re-checks its caller's credential and
     * rights (a revoked token, a disabled user or a revoked right ends or
     * narrows it); 0: 10 s. */
    unsigned stream_recheck_ms;
    /* Called (from a web thread) after a job was created or a cancel was
     * requested, so a runbook server in the same process wakes at once
     * instead of at its next poll. May be NULL. */
    void (*jobs_changed)(void *ud);
    void *ud;
    /* Called (from a web thread) once per finished request. May be NULL. */
    void (*log)(void *log_ud, const bt_web_log_entry *e);
    void *log_ud;
    /* Browser origins ("https://console.example:82") allowed to call the
     * API (CORS); an Origin not listed gets no CORS headers. */
    const char *const *cors_origins;
    size_t n_cors_origins;
    /* HTTPS when both are set (PEM files); plain HTTP otherwise. */
    const char *tls_cert_file;
    const char *tls_key_file;
    /* GET /metrics without authentication. */
    bool metrics_public;
    /* The one admission hook (authentication fills it): called for every
     * request except CORS preflights, before routing; returns true to go
     * on, or answers (401/403 with bt_web_error) and returns false. NULL:
     * every request is admitted. */
    bool (*authenticate)(bt_web_req *r, void *auth_ud);
    void *auth_ud;
} bt_web_config;

/* Binds and starts serving. A port that cannot be bound is an error that
 * names the port and the setting to change; so is a certificate or key
 * file that cannot be read or used. */
int bt_web_start(const bt_web_config *cfg, bt_web **out, bt_error *err);
uint16_t bt_web_port(const bt_web *w); /* the port actually bound */
void bt_web_stop(bt_web *w);           /* NULL is a no-op */

#endif
