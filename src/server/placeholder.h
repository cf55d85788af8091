/* The management server (135) and console (82) roles are not built yet.
 * Rather than leave their ports closed (and a firewall rule untestable) or
 * pretend, batond binds them and answers every request with HTTP 501 and
 * a JSON error saying so, in the web service's error shape. */
#ifndef BT_SERVER_PLACEHOLDER_H
#define BT_SERVER_PLACEHOLDER_H

#include <stdint.h>

#include "baton/error.h"
#include "server/listen.h"

typedef struct bt_placeholder bt_placeholder;

/* Binds spec and answers 501 with message on every request. */
int bt_placeholder_start(const bt_listen_spec *spec, const char *message,
                         bt_placeholder **out, bt_error *err);
uint16_t bt_placeholder_port(const bt_placeholder *p);
void bt_placeholder_stop(bt_placeholder *p); /* NULL is a no-op */

#endif
