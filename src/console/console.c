#include "console/console.h"

#include <ctype.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "common/version.h"
#include "console/assets.h"

struct bt_console {
  struct MHD_Daemon *daemon;
  uint16_t port;
  char *web_url, *mgmt_url; /* NULL: from the Host header */
  uint16_t web_port, mgmt_port;
  bool web_tls;
};

bool bt_console_built(void) { return bt_console_assets_built != 0; }

static const bt_console_asset *find_asset(const char *path) {
  for (size_t i = 0; i < bt_console_asset_count; i++)
    if (!strcmp(bt_console_assets[i].path, path))
      return &bt_console_assets[i];
  return NULL;
}

/* The host name the browser used, without the port, when it is a plain
 * name or address; the Host header is the client's to choose, and what we
 * take from it goes into a header and a URL. */
static void request_host(struct MHD_Connection *conn, char *out, size_t size) {
  snprintf(out, size, "localhost");
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
  if (!h || !*h)
    return;
  size_t n;
  if (h[0] == '[') { /* [::1]:82 */
    const char *end = strchr(h, ']');
    if (!end)
      return;
    n = (size_t)(end - h) + 1;
  } else {
    const char *colon = strchr(h, ':');
    n = colon ? (size_t)(colon - h) : strlen(h);
  }
  if (n == 0 || n >= size)
    return;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)h[i];
    if (!isalnum(c) && !strchr(".-_[]:", c))
      return;
  }
  memcpy(out, h, n);
  out[n] = '\0';
}

static void service_urls(const bt_console *c, struct MHD_Connection *conn,
                         char *web, char *mgmt, size_t size) {
  char host[256];
  request_host(conn, host, sizeof host);
  if (c->web_url)
    snprintf(web, size, "%s", c->web_url);
  else
    snprintf(web, size, "%s://%s:%u", c->web_tls ? "https" : "http", host,
             (unsigned)c->web_port);
  if (c->mgmt_url)
    snprintf(mgmt, size, "%s", c->mgmt_url);
  else
    snprintf(mgmt, size, "http://%s:%u", host, (unsigned)c->mgmt_port);
}

static void common_headers(struct MHD_Response *resp) {
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status,
                                   const char *text, const char *allow) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "text/plain; charset=utf-8");
  if (allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
  common_headers(resp);
  enum MHD_Result rc = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* Where the page may connect: itself, the web service and the management
 * server; scripts and styles only from the console. Inline styles stay
 * allowed for the chart and diagram libraries' computed positions. */
static void add_csp(struct MHD_Response *resp, const char *web,
                    const char *mgmt) {
  char *csp = bt_xasprintf(
      "default-src 'self'; connect-src 'self' %s %s; img-src 'self' "
      "data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
      "form-action 'self'",
      web, mgmt);
  MHD_add_response_header(resp, "Content-Security-Policy", csp);
  free(csp);
}

static enum MHD_Result answer_config(const bt_console *c,
                                     struct MHD_Connection *conn) {
  char web[600], mgmt[600];
  service_urls(c, conn, web, mgmt, sizeof web);
  json_t *doc =
      json_pack("{s:s, s:s, s:s, s:b}", "web_url", web, "mgmt_url", mgmt,
                "version", bt_version(), "built", bt_console_assets_built != 0);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  if (!text)
    return MHD_NO;
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(text), text, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "application/json; charset=utf-8");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  common_headers(resp);
  enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return rc;
}

static enum MHD_Result answer_asset(const bt_console *c,
                                    struct MHD_Connection *conn,
                                    const bt_console_asset *a) {
  const char *inm =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
  bool fresh = inm && !strcmp(inm, a->etag);
  struct MHD_Response *resp =
      fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
            : MHD_create_response_from_buffer(a->size, (void *)a->data,
                                              MHD_RESPMEM_PERSISTENT);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
  /* Hashed bundles never change under their name; the page itself must
   * be revalidated so a new batond's bundles are picked up at once. */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                          a->immutable ? "public, max-age=31536000, "
                                         "immutable"
                                       : "no-cache");
  common_headers(resp);
  if (!strncmp(a->content_type, "text/html", 9)) {
    char web[600], mgmt[600];
    service_urls(c, conn, web, mgmt, sizeof web);
    add_csp(resp, web, mgmt);
  }
  enum MHD_Result rc = MHD_queue_response(
      conn, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  const bt_console *c = cls;
  if (*con_cls) { /* answered at the headers: drop any body */
    *upload_size = 0;
    return MHD_YES;
  }
  *con_cls = (void *)c;
  if (strcmp(method, "GET") && strcmp(method, "HEAD"))
    return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                       "the console serves files: GET or HEAD only\n",
                       "GET, HEAD");
  if (!strcmp(url, "/config.json"))
    return answer_config(c, conn);
  /* the page routes with the fragment (#/jobs), so "/" is the page */
  const bt_console_asset *a =
      find_asset(!strcmp(url, "/") ? "/index.html" : url);
  if (!a)
    return answer_text(conn, MHD_HTTP_NOT_FOUND,
                       "not found: the console is at /\n", NULL);
  return answer_asset(c, conn, a);
}

int bt_console_start(const bt_listen_spec *spec, const bt_console_config *cfg,
                     bt_console **out, bt_error *err) {
  *out = NULL;
  int fd = -1;
  uint16_t port = 0;
  int rc = bt_listen_tcp(spec, &fd, &port, err);
  if (rc)
    return rc;
  bt_console *c = bt_xcalloc(1, sizeof *c);
  c->port = port;
  c->web_url = cfg->web_url ? bt_xstrdup(cfg->web_url) : NULL;
  c->mgmt_url = cfg->mgmt_url ? bt_xstrdup(cfg->mgmt_url) : NULL;
  c->web_port = cfg->web_port;
  c->mgmt_port = cfg->mgmt_port;
  c->web_tls = cfg->web_tls;
  c->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, on_request,
      c, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)30, MHD_OPTION_END);
  if (!c->daemon) {
    close(fd);
    bt_console_stop(c);
    return bt_error_set(err, BT_EIO,
                        "%s: libmicrohttpd did not start on port %u",
                        spec->service, (unsigned)port);
  }
  *out = c;
  return 0;
}

uint16_t bt_console_port(const bt_console *c) { return c ? c->port : 0; }

void bt_console_stop(bt_console *c) {
  if (!c)
    return;
  if (c->daemon)
    MHD_stop_daemon(c->daemon);
  free(c->web_url);
  free(c->mgmt_url);
  free(c);
}
