/* The console role: serves the Orchestration console, a single-page
 * application embedded in batond (src/console/assets.h), and
 * /config.json, which tells the page where the web service and the
 * management server are. The page then talks to those two directly from
 * the browser, as Orchestrator's console talks to its web service, so
 * they may run on other hosts (web_url, mgmt_url; cors_origins there). */
#ifndef BT_CONSOLE_H
#define BT_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/error.h"
#include "server/listen.h"

typedef struct bt_console bt_console;

typedef struct bt_console_config {
  /* Public URLs as a browser reaches them ("https://baton.example:81").
   * NULL: the host the browser used for the console, on web_port /
   * mgmt_port (http, or https for the web service with web_tls). */
  const char *web_url;
  const char *mgmt_url;
  uint16_t web_port, mgmt_port;
  bool web_tls;
} bt_console_config;

/* Binds spec and serves the console. The strings are copied. */
int bt_console_start(const bt_listen_spec *spec, const bt_console_config *cfg,
                     bt_console **out, bt_error *err);
uint16_t bt_console_port(const bt_console *c);
/* 0 when batond was built without npm: the page says so. */
bool bt_console_built(void);
void bt_console_stop(bt_console *c); /* NULL is a no-op */

#endif
