/* The web service's life: binding the port, libmicrohttpd's callbacks
 * (reading a capped body, answering), and the pool of store handles.
 *
 * libmicrohttpd runs one thread per connection, so a long-poll
 * (GET /api/jobs/{id}?wait=) blocks only its own client. Each request takes
 * a store handle of its own from the pool: a handle is one connection and
 * SQLite in WAL mode lets many of them read while one writes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "web/web_internal.h"

/* ---- store pool ------------------------------------------------------- */

static bt_store *pool_take(bt_web *w, bt_error *err) {
    bt_store *s = NULL;
    pthread_mutex_lock(&w->pool_lock);
    if (w->n_pool) s = w->pool[--w->n_pool];
    pthread_mutex_unlock(&w->pool_lock);
    if (s) return s;
    if (bt_store_open(w->store_url, &s, err)) return NULL;
    return s;
}

static void pool_give(bt_web *w, bt_store *s) {
    if (!s) return;
    bt_store_rollback(s); /* a handler never leaves a group open; be sure */
    pthread_mutex_lock(&w->pool_lock);
    if (w->n_pool < BT_WEB_POOL_MAX) {
        w->pool[w->n_pool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&w->pool_lock);
    bt_store_close(s);
}

bt_store *bt_web_store(bt_web_req *r) {
    if (r->store) return r->store;
    bt_error err = {0};
    r->store = pool_take(r->web, &err);
    if (!r->store)
        bt_web_error(r, 500, "store_unavailable", NULL,
                     "cannot open the orchestration database: %s",
                     err.message);
    return r->store;
}

void bt_web_notify_jobs(bt_web_req *r) {
    if (r->web->jobs_changed) r->web->jobs_changed(r->web->ud);
}

/* ---- requests --------------------------------------------------------- */

static void req_free(bt_web_req *r) {
    if (!r) return;
    pool_give(r->web, r->store);
    bt_buf_free(&r->body);
    json_decref(r->reply);
    free(r->text);
    free(r->location);
    free(r->capture_buf);
    free(r);
}

/* An answer that is not JSON: OData's Atom/XML, verbose JSON, text. */
static enum MHD_Result send_text_reply(bt_web_req *r) {
    size_t len = r->text ? r->text_len : 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, len ? r->text : (void *)"", len ? MHD_RESPMEM_MUST_FREE
                                             : MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    if (len) r->text = NULL; /* the response owns it now */
    if (r->status != 204)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type);
    if (r->data_service_version)
        MHD_add_response_header(resp, "DataServiceVersion",
                                r->data_service_version);
    if (r->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
    if (*r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result rc = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return rc;
}

static enum MHD_Result send_reply(bt_web_req *r) {
    if (r->content_type) return send_text_reply(r);
    char *text = NULL;
    if (r->reply) text = json_dumps(r->reply, JSON_COMPACT);
    if (!text) text = bt_xstrdup("{}");
    size_t len = strlen(text);
    /* a trailing newline makes curl and shell users happier */
    char *body = bt_xrealloc(text, len + 2);
    body[len] = '\n';
    body[len + 1] = '\0';
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len + 1, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json; charset=utf-8");
    if (r->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
    if (*r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result rc = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return rc;
}

static void answer_too_big(bt_web_req *r) {
    bt_web_error(r, 413, "payload_too_large", "body",
                 "request body is larger than the limit of %zu bytes",
                 r->web->max_body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    bt_web *w = cls;
    bt_web_req *r = *con_cls;
    if (!r) {
        r = bt_xcalloc(1, sizeof *r);
        r->web = w;
        r->conn = conn;
        r->method = method;
        r->path = url;
        bt_buf_init(&r->body, w->max_body);
        *con_cls = r;
        /* Refuse an announced oversize body before "100 Continue", so the
         * client does not send it at all. */
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t n;
        if (cl && bt_parse_int64(cl, &n) && n > 0 &&
            (uint64_t)n > (uint64_t)w->max_body) {
            answer_too_big(r);
            return send_reply(r);
        }
        return MHD_YES;
    }
    if (r->responded) { /* answered early: discard what still arrives */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* libmicrohttpd cannot answer in the middle of an upload, so an
         * oversize body of unannounced length is drained and answered at
         * its end; one far beyond the cap just loses its connection. */
        r->received += *upload_size;
        if (!r->too_big && bt_buf_append(&r->body, upload, *upload_size)) {
            r->too_big = true;
            bt_buf_free(&r->body);
        }
        *upload_size = 0;
        if (r->too_big && r->received / BT_WEB_DRAIN_FACTOR > w->max_body)
            return MHD_NO;
        return MHD_YES;
    }
    if (r->too_big) {
        answer_too_big(r);
        return send_reply(r);
    }
    bt_web_route(r);
    if (!r->status) bt_web_error(r, 500, "internal", NULL,
                                 "the handler for %s %s gave no answer",
                                 method, url);
    /* the handle goes back before the client reads, so it is free sooner */
    pool_give(w, r->store);
    r->store = NULL;
    return send_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe) {
    req_free(*con_cls);
    *con_cls = NULL;
}

/* ---- start and stop --------------------------------------------------- */

/* We bind the socket ourselves: libmicrohttpd would only say "failed",
 * and an operator needs to know which port and why. */
static int bind_listener(const bt_web_config *cfg, int *out_fd,
                         uint16_t *out_port, bt_error *err) {
    const char *addr = cfg->bind_address && *cfg->bind_address
                           ? cfg->bind_address
                           : NULL;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    int family;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    if (addr && strchr(addr, ':')) {
        family = AF_INET6;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(cfg->port);
        if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
            return bt_error_set(err, BT_EINVAL,
                                "web service: '%s' is not an IP address "
                                "(setting web_bind)", addr);
        sl = sizeof *a6;
    } else {
        family = AF_INET;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(cfg->port);
        if (!addr)
            a4->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
            return bt_error_set(err, BT_EINVAL,
                                "web service: '%s' is not an IP address "
                                "(setting web_bind)", addr);
        sl = sizeof *a4;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_error_set(err, BT_EIO, "web service: socket: %s",
                            strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 128)) {
        int e = errno;
        close(fd);
        return bt_error_set(
            err, BT_EIO,
            "web service: cannot listen on %s port %u: %s (change it with "
            "--web-port or web_port in the config%s)",
            addr ? addr : "all addresses", (unsigned)cfg->port, strerror(e),
            cfg->port && cfg->port < 1024 && e == EACCES
                ? "; ports below 1024 need root or CAP_NET_BIND_SERVICE"
                : "");
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    getsockname(fd, (struct sockaddr *)&bound, &bl);
    *out_port = ntohs(family == AF_INET6
                          ? ((struct sockaddr_in6 *)&bound)->sin6_port
                          : ((struct sockaddr_in *)&bound)->sin_port);
    *out_fd = fd;
    return 0;
}

int bt_web_start(const bt_web_config *cfg, bt_web **out, bt_error *err) {
    *out = NULL;
    if (!cfg->store_url)
        return bt_error_set(err, BT_EINVAL,
                            "web service: no orchestration database given");
    bt_web *w = bt_xcalloc(1, sizeof *w);
    w->store_url = bt_xstrdup(cfg->store_url);
    w->max_body = cfg->max_body ? cfg->max_body : BT_WEB_DEFAULT_MAX_BODY;
    w->jobs_changed = cfg->jobs_changed;
    w->ud = cfg->ud;
    atomic_init(&w->stopping, false);
    pthread_mutex_init(&w->pool_lock, NULL);

    /* Open one handle now: a database that cannot be opened is a start-up
     * error, not a 500 on the first request. */
    bt_store *s = NULL;
    int rc = bt_store_open(w->store_url, &s, err);
    if (rc) {
        bt_web_stop(w);
        return rc;
    }
    w->pool[w->n_pool++] = s;

    int fd = -1;
    rc = bind_listener(cfg, &fd, &w->port, err);
    if (rc) {
        bt_web_stop(w);
        return rc;
    }
    w->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD, 0, NULL,
        NULL, on_request, w, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!w->daemon) {
        close(fd);
        bt_web_stop(w);
        return bt_error_set(err, BT_EIO,
                            "web service: libmicrohttpd did not start on "
                            "port %u", (unsigned)cfg->port);
    }
    *out = w;
    return 0;
}

uint16_t bt_web_port(const bt_web *w) { return w ? w->port : 0; }

void bt_web_stop(bt_web *w) {
    if (!w) return;
    atomic_store(&w->stopping, true);
    /* waits for every connection thread; long-polls see `stopping` */
    if (w->daemon) MHD_stop_daemon(w->daemon);
    for (size_t i = 0; i < w->n_pool; i++) bt_store_close(w->pool[i]);
    pthread_mutex_destroy(&w->pool_lock);
    free(w->store_url);
    free(w);
}
