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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sodium.h>
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

void bt_web_add_header(bt_web_req *r, const char *name, const char *value) {
    if (r->n_hdrs == BT_WEB_MAX_HEADERS) return;
    r->hdr_names[r->n_hdrs] = bt_xstrdup(name);
    r->hdr_values[r->n_hdrs] = bt_xstrdup(value);
    r->n_hdrs++;
}

void bt_web_store_observe(bt_web *w, uint64_t start_us) {
    bt_web_metrics_store(w->metrics, (double)(bt_mono_us() - start_us) / 1e6);
}

static void req_free(bt_web_req *r) {
    if (!r) return;
    bt_web_stream_free(r->stream);
    pool_give(r->web, r->store);
    bt_buf_free(&r->body);
    json_decref(r->reply);
    free(r->text);
    bt_web_kept_release(r->kept);
    free(r->location);
    free(r->capture_buf);
    free(r->user);
    free(r->cred);
    for (size_t i = 0; i < r->n_hdrs; i++) {
        free(r->hdr_names[i]);
        free(r->hdr_values[i]);
    }
    free(r);
}

/* What every answer carries besides its body: Location, Allow, the
 * handler's extra headers and, for an allowed browser origin, CORS. */
static void add_headers(bt_web_req *r, struct MHD_Response *resp) {
    if (r->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
    if (*r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    for (size_t i = 0; i < r->n_hdrs; i++)
        MHD_add_response_header(resp, r->hdr_names[i], r->hdr_values[i]);
    if (r->cors_origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin",
                                r->cors_origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                "Location, Allow, WWW-Authenticate, ETag");
    }
    /* the answer depends on Origin whenever CORS is configured */
    if (r->web->n_cors_origins) MHD_add_response_header(resp, "Vary", "Origin");
}

static enum MHD_Result queue(bt_web_req *r, struct MHD_Response *resp) {
    add_headers(r, resp);
    enum MHD_Result rc = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return rc;
}

/* An answer that is not JSON: OData's Atom/XML, verbose JSON, text. */
static void kept_sent(void *cls) { bt_web_kept_release(cls); }

/* A kept answer goes out from the shared text itself; the response holds
 * a reference until it is sent. */
static struct MHD_Response *kept_response(bt_web_req *r) {
    size_t len = 0;
    const char *text = bt_web_kept_text(r->kept, &len);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback_cls(
            len, (void *)text, kept_sent, r->kept);
    if (resp) r->kept = NULL; /* the response owns the reference now */
    return resp;
}

static enum MHD_Result send_text_reply(bt_web_req *r) {
    struct MHD_Response *resp;
    if (r->kept) {
        resp = kept_response(r);
    } else {
        size_t len = r->text ? r->text_len : 0;
        resp = MHD_create_response_from_buffer(
            len, len ? r->text : (void *)"",
            len ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (resp && len) r->text = NULL; /* the response owns it now */
    }
    if (!resp) return MHD_NO;
    if (r->status != 204)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type);
    if (r->data_service_version)
        MHD_add_response_header(resp, "DataServiceVersion",
                                r->data_service_version);
    return queue(r, resp);
}

/* Server-Sent Events: the stream handler keeps the request's store handle
 * and produces the body as events happen. One thread per connection, so a
 * stream waiting for events holds up nobody else. */
static enum MHD_Result send_stream(bt_web_req *r) {
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16 * 1024, bt_web_stream_read, r, NULL);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return queue(r, resp);
}

static enum MHD_Result send_reply(bt_web_req *r) {
    if (r->stream && r->status == 200) return send_stream(r);
    if (r->content_type) return send_text_reply(r);
    if ((r->status == 204 || r->status == 304) && !r->reply) {
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        return queue(r, resp);
    }
    size_t len = 0;
    char *body = bt_web_json_answer(r->reply, &len);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            BT_WEB_JSON_TYPE);
    return queue(r, resp);
}

static void answer_too_big(bt_web_req *r) {
    bt_web_error(r, 413, "payload_too_large", "body",
                 "request body is larger than the limit of %zu bytes",
                 r->web->max_body);
}

/* The request's Origin when it is one of the configured console origins
 * (compared exactly, as browsers send it: scheme://host[:port]). */
static const char *allowed_origin(bt_web *w, struct MHD_Connection *conn) {
    const char *o = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (!o) return NULL;
    for (size_t i = 0; i < w->n_cors_origins; i++)
        if (!strcmp(w->cors_origins[i], o)) return o;
    return NULL;
}

#define CORS_MAX_AGE "600"

/* OPTIONS: the methods of the path (a CORS preflight is answered with the
 * CORS headers only for an allowed origin). Never authenticated: browsers
 * send preflights without credentials. */
static void answer_options(bt_web_req *r) {
    size_t root = strlen(BT_ODATA_ROOT);
    bool odata = !strncmp(r->path, BT_ODATA_ROOT, root) &&
                 (r->path[root] == '\0' || r->path[root] == '/');
    const char *pattern = odata ? BT_ODATA_ROOT : bt_web_route_pattern(r->path);
    r->route = pattern ? pattern : "unmatched";
    if (odata) {
        /* what Orchestrator's clients send: MERGE to stop a job, or a POST
         * carrying X-HTTP-Method with If-Match */
        snprintf(r->allow, sizeof r->allow, "GET, POST, PUT, MERGE, PATCH");
    } else if (!pattern) {
        bt_web_error(r, 404, "not_found", r->path, "no such resource: %s",
                     r->path);
        return;
    }
    /* the methods of every route with this pattern */
    for (size_t i = 0; i < bt_web_route_count() && !odata; i++) {
        const char *m, *pat;
        bt_web_route_at(i, &m, &pat);
        if (strcmp(pat, pattern) || strstr(r->allow, m)) continue;
        if (strlen(r->allow) + strlen(m) + 3 >= sizeof r->allow) continue;
        if (*r->allow) strcat(r->allow, ", ");
        strcat(r->allow, m);
    }
    strcat(r->allow, ", OPTIONS");
    r->status = 204;
    if (r->cors_origin) {
        bt_web_add_header(r, "Access-Control-Allow-Methods", r->allow);
        bt_web_add_header(r, "Access-Control-Allow-Headers",
                          odata ? "Authorization, Content-Type, Accept, "
                                  "DataServiceVersion, MaxDataServiceVersion, "
                                  "X-HTTP-Method, If-Match"
                                : "Authorization, Content-Type, Last-Event-ID, "
                                  "X-Baton-User");
        bt_web_add_header(r, "Access-Control-Max-Age", CORS_MAX_AGE);
    }
}

/* The single place a request is let in, before its body is read: the
 * authentication hook decides (it answers 401/403 itself), except for
 * /metrics when it is configured public. */
static bool admit(bt_web_req *r) {
    bt_web *w = r->web;
    if (!strcmp(r->path, "/metrics") && w->metrics_public) return true;
    if (!w->authenticate) return true;
    if (w->authenticate(r, w->auth_ud)) return true;
    if (!r->status)
        bt_web_error(r, 401, "unauthorized", NULL,
                     "authentication is required");
    return false;
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
        r->start_us = bt_mono_us();
        bt_buf_init(&r->body, w->max_body);
        *con_cls = r;
        r->cors_origin = allowed_origin(w, conn);
        if (!strcmp(method, "OPTIONS")) {
            answer_options(r);
            return send_reply(r);
        }
        if (!admit(r)) {
            r->route = bt_web_route_pattern(url);
            return send_reply(r);
        }
        /* Refuse an announced oversize body before "100 Continue", so the
         * client does not send it at all. */
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t n;
        if (cl && bt_parse_int64(cl, &n) && n > 0 &&
            (uint64_t)n > (uint64_t)w->max_body) {
            r->route = bt_web_route_pattern(url);
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
        if (r->too_big && r->received / BT_WEB_DRAIN_FACTOR > w->max_body) {
            r->status = 413;
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (r->too_big) {
        r->route = bt_web_route_pattern(url);
        answer_too_big(r);
        return send_reply(r);
    }
    bt_web_route(r);
    if (!r->status) bt_web_error(r, 500, "internal", NULL,
                                 "the handler for %s %s gave no answer",
                                 method, url);
    /* the handle goes back before the client reads, so it is free sooner;
     * a stream keeps it to follow the store */
    if (!(r->stream && r->status == 200)) {
        pool_give(w, r->store);
        r->store = NULL;
    }
    return send_reply(r);
}

/* The route label for the log and metrics: the pattern, never the raw
 * path, so ids do not make a metric series each. */
static const char *route_label(const bt_web_req *r) {
    if (r->route) return r->route;
    size_t root = strlen(BT_ODATA_ROOT);
    if (r->path && !strncmp(r->path, BT_ODATA_ROOT, root)) return BT_ODATA_ROOT;
    return "unmatched";
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe) {
    bt_web *w = cls;
    bt_web_req *r = *con_cls;
    if (r) {
        double secs = (double)(bt_mono_us() - r->start_us) / 1e6;
        /* 0: the client went away before any answer */
        unsigned status = r->status ? r->status : 499;
        const char *route = route_label(r);
        bt_web_metrics_request(w->metrics, route, r->method, status, secs);
        if (w->log) {
            const char *user = r->user;
            if (!user) user = bt_web_user(r, NULL);
            bt_web_log_entry e = {r->method, route, status, secs * 1000.0,
                                  user ? user : "-"};
            w->log(w->log_ud, &e);
        }
    }
    req_free(r);
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

/* Reads a PEM file for HTTPS; the message names the file and the
 * setting, since a typo there is the usual mistake. */
static int read_pem(const char *path, const char *setting, const char *marker,
                    char **out, bt_error *err) {
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    bt_error e = {0};
    if (bt_buf_read_file(&b, path, &e)) {
        bt_buf_free(&b);
        return bt_error_set(err, BT_EINVAL,
                            "web service: cannot read the %s file '%s' "
                            "(setting %s): %s",
                            setting, path, setting, e.message);
    }
    if (!strstr(bt_buf_str(&b), marker)) {
        bt_buf_free(&b);
        return bt_error_set(err, BT_EINVAL,
                            "web service: the %s file '%s' (setting %s) is "
                            "not PEM: no '%s' line",
                            setting, path, setting, marker);
    }
    *out = bt_buf_detach(&b);
    return 0;
}

int bt_web_start(const bt_web_config *cfg, bt_web **out, bt_error *err) {
    *out = NULL;
    if (!cfg->store_url)
        return bt_error_set(err, BT_EINVAL,
                            "web service: no orchestration database given");
    if (!cfg->tls_cert_file != !cfg->tls_key_file)
        return bt_error_set(err, BT_EINVAL,
                            "web service: HTTPS needs both a certificate "
                            "(tls_cert) and its private key (tls_key); only "
                            "the %s is set",
                            cfg->tls_cert_file ? "certificate" : "key");
    bt_web *w = bt_xcalloc(1, sizeof *w);
    w->store_url = bt_xstrdup(cfg->store_url);
    w->max_body = cfg->max_body ? cfg->max_body : BT_WEB_DEFAULT_MAX_BODY;
    w->timeout_s = cfg->timeout_s ? cfg->timeout_s : 60;
    w->keepalive_ms = cfg->keepalive_ms ? cfg->keepalive_ms : 15000;
    w->stream_recheck_ms = cfg->stream_recheck_ms ? cfg->stream_recheck_ms
                                                  : 10000;
    w->jobs_changed = cfg->jobs_changed;
    w->ud = cfg->ud;
    w->log = cfg->log;
    w->log_ud = cfg->log_ud;
    w->metrics_public = cfg->metrics_public;
    w->authenticate = cfg->authenticate;
    w->auth_ud = cfg->auth_ud;
    if (cfg->n_cors_origins) {
        w->cors_origins = bt_xcalloc(cfg->n_cors_origins, sizeof(char *));
        for (size_t i = 0; i < cfg->n_cors_origins; i++)
            w->cors_origins[i] = bt_xstrdup(cfg->cors_origins[i]);
        w->n_cors_origins = cfg->n_cors_origins;
    }
    w->metrics = bt_web_metrics_new();
    w->defs = bt_web_defs_new();
    w->jobq = bt_web_jobq_new();
    w->answers = bt_web_answers_new();
    atomic_init(&w->stopping, false);
    pthread_mutex_init(&w->pool_lock, NULL);

    int rc;
    if (cfg->tls_cert_file) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            bt_web_stop(w);
            return bt_error_set(err, BT_EINVAL,
                                "web service: this libmicrohttpd has no TLS "
                                "support; unset tls_cert and tls_key");
        }
        if ((rc = read_pem(cfg->tls_cert_file, "tls_cert",
                           "-----BEGIN CERTIFICATE-----", &w->tls_cert, err)) ||
            (rc = read_pem(cfg->tls_key_file, "tls_key", "PRIVATE KEY-----",
                           &w->tls_key, err))) {
            bt_web_stop(w);
            return rc;
        }
    }

    /* Open one handle now: a database that cannot be opened is a start-up
     * error, not a 500 on the first request. */
    bt_store *s = NULL;
    rc = bt_store_open(w->store_url, &s, err);
    if (rc) {
        bt_web_stop(w);
        return rc;
    }
    w->pool[w->n_pool++] = s;
    /* activity durations count from jobs created from now on */
    bt_web_req probe = {.web = w, .store = s};
    int64_t newest = 0;
    if (!bt_web_max_job_id(&probe, &newest, NULL))
        bt_web_metrics_scan_from(w->metrics, newest);

    int fd = -1;
    rc = bind_listener(cfg, &fd, &w->port, err);
    if (rc) {
        bt_web_stop(w);
        return rc;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD;
    if (w->tls_cert) flags |= MHD_USE_TLS;
    /* MHD_OPTION_CONNECTION_TIMEOUT drops a client that sends nothing for
     * that long: a half-sent request or an idle keep-alive connection. */
    if (w->tls_cert)
        w->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, w, MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
            MHD_OPTION_CONNECTION_TIMEOUT, w->timeout_s,
            MHD_OPTION_HTTPS_MEM_CERT, w->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
            w->tls_key, MHD_OPTION_END);
    else
        w->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, w, MHD_OPTION_LISTEN_SOCKET, fd,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
            MHD_OPTION_CONNECTION_TIMEOUT, w->timeout_s, MHD_OPTION_END);
    if (!w->daemon) {
        close(fd);
        bt_web_stop(w);
        if (cfg->tls_cert_file)
            return bt_error_set(
                err, BT_EINVAL,
                "web service: HTTPS did not start with certificate '%s' "
                "(tls_cert) and key '%s' (tls_key): check that the key is "
                "the certificate's and is not encrypted",
                cfg->tls_cert_file, cfg->tls_key_file);
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
    /* waits for every connection thread; long-polls and streams see
     * `stopping` */
    if (w->daemon) MHD_stop_daemon(w->daemon);
    for (size_t i = 0; i < w->n_pool; i++) bt_store_close(w->pool[i]);
    pthread_mutex_destroy(&w->pool_lock);
    for (size_t i = 0; i < w->n_cors_origins; i++) free(w->cors_origins[i]);
    free(w->cors_origins);
    if (w->tls_key) sodium_memzero(w->tls_key, strlen(w->tls_key));
    free(w->tls_key);
    free(w->tls_cert);
    bt_web_metrics_free(w->metrics);
    bt_web_defs_free(w->defs);
    bt_web_jobq_free(w->jobq);
    bt_web_answers_free(w->answers);
    free(w->store_url);
    free(w);
}
