/* The web service role: the REST JSON API under /api/ and the
 * Orchestrator-compatible OData v2 endpoint, served by libmicrohttpd on its own threads, each
 * request with its own store handle, so the runbook server's event loop is
 * never blocked by a client. */
#ifndef BT_WEB_H
#define BT_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"

typedef struct bt_web bt_web;

typedef struct bt_web_config {
    const char *bind_address; /* NULL: all addresses */
    uint16_t port;            /* 0: pick a free port (tests) */
    const char *store_url;    /* the orchestration database */
    size_t max_body;          /* request body cap in bytes; 0: 1 MiB */
    /* Called (from a web thread) after a job was created or a cancel was
     * requested, so a runbook server in the same process wakes at once
     * instead of at its next poll. May be NULL. */
    void (*jobs_changed)(void *ud);
    void *ud;
} bt_web_config;

/* Binds and starts serving. A port that cannot be bound is an error that
 * names the port and the setting to change. */
int bt_web_start(const bt_web_config *cfg, bt_web **out, bt_error *err);
uint16_t bt_web_port(const bt_web *w); /* the port actually bound */
void bt_web_stop(bt_web *w);           /* NULL is a no-op */

#endif
