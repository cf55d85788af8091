/* Binding a TCP listener for one of batond's services, with the message an
 * operator needs when it fails: which service, which address and port,
 * why, and which setting changes it. */
#ifndef BT_SERVER_LISTEN_H
#define BT_SERVER_LISTEN_H

#include <stdint.h>

#include "baton/error.h"

typedef struct bt_listen_spec {
    const char *service; /* "management server" */
    const char *bind;    /* NULL: every address */
    uint16_t port;       /* 0: any free port */
    const char *setting; /* "mgmt_port": flag --mgmt-port, BATON_MGMT_PORT */
} bt_listen_spec;

/* A listening socket (close-on-exec) in *fd and the port bound in *port. */
int bt_listen_tcp(const bt_listen_spec *spec, int *fd, uint16_t *port,
                  bt_error *err);

/* "http://127.0.0.1:8081" for reaching a service bound to bind:port from
 * this host (an unspecified bind address is reached on loopback). */
void bt_listen_url(const char *bind, uint16_t port, char *out, size_t size);

#endif
