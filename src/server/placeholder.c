#include "server/placeholder.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

struct bt_placeholder {
    struct MHD_Daemon *daemon;
    uint16_t port;
    char *body; /* the one answer, prepared once */
    size_t len;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    const bt_placeholder *p = cls;
    if (*con_cls) { /* answered at the headers: drop any body */
        *upload_size = 0;
        return MHD_YES;
    }
    *con_cls = (void *)p;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        p->len, p->body, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_NOT_IMPLEMENTED,
                                            resp);
    MHD_destroy_response(resp);
    return rc;
}

int bt_placeholder_start(const bt_listen_spec *spec, const char *message,
                         bt_placeholder **out, bt_error *err) {
    *out = NULL;
    int fd = -1;
    uint16_t port = 0;
    int rc = bt_listen_tcp(spec, &fd, &port, err);
    if (rc) return rc;
    bt_placeholder *p = bt_xcalloc(1, sizeof *p);
    p->port = port;
    json_t *doc = json_pack("{s:{s:s, s:s}}", "error", "code",
                            "not_implemented", "message", message);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    p->body = bt_xasprintf("%s\n", text ? text : "{}");
    free(text);
    p->len = strlen(p->body);
    p->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
        on_request, p, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!p->daemon) {
        close(fd);
        bt_placeholder_stop(p);
        return bt_error_set(err, BT_EIO, "%s: libmicrohttpd did not start on "
                                         "port %u",
                            spec->service, (unsigned)port);
    }
    *out = p;
    return 0;
}

uint16_t bt_placeholder_port(const bt_placeholder *p) {
    return p ? p->port : 0;
}

void bt_placeholder_stop(bt_placeholder *p) {
    if (!p) return;
    if (p->daemon) MHD_stop_daemon(p->daemon);
    free(p->body);
    free(p);
}
