/* batond: the Baton daemon. One binary runs any set of roles (management
 * server, runbook server, web service, console) around one libuv loop:
 * the runbook server lives on the loop, the web service on
 * libmicrohttpd's threads, and the loop also waits for SIGTERM/SIGINT.
 *
 * Start-up either brings every enabled role up or exits without serving
 * anything: settings (exit 2), then the database, then every port, and
 * only then the runbook server, which is the one role that claims jobs. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "common/util.h"
#include "common/version.h"
#include "console/console.h"
#include "server/config.h"
#include "mgmt/mgmt.h"
#include "server/listen.h"
#include "server/log.h"
#include "packs/sync.h"
#include "server/rb_packs.h"
#include "server/retention.h"
#include "server/rbserver.h"
#include "server/samples.h"
#include "server/users.h"
#include "store/store.h"
#include "web/auth.h"
#include "web/web.h"

#define EXIT_BAD_SETTINGS 2
#define EXIT_START_FAILED 1

typedef struct daemon_ctx {
    bt_config cfg;
    bt_log log;
    uv_loop_t loop;
    bt_store *store;
    bt_web *web;
    bt_auth *auth; /* NULL: authentication off */
    bt_mgmt *mgmt;
    bt_console *console;
    bt_retention *retention;
    /* Read by web threads (jobs_changed), written once by main. */
    _Atomic(bt_rbserver *) rb;
    uv_signal_t sigterm, sigint, sighup;
    /* Without a runbook server (whose heartbeat does it), the packs
     * registered, upgraded or removed elsewhere are picked up by this. */
    uv_timer_t pack_timer;
    bool pack_timer_on;
    bool stopping;
} daemon_ctx;

/* ---- shutdown --------------------------------------------------------- */

static void close_signals(daemon_ctx *d) {
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
}

/* SIGHUP would otherwise end batond without a clean shutdown (a closed
 * terminal, a reflexive `kill -HUP`); settings are only read at start. */
static void on_sighup(uv_signal_t *h, int signum) {
    daemon_ctx *d = h->data;
    bt_logf(&d->log, BT_LOG_NOTICE,
            "SIGHUP ignored: settings are read at start-up only; restart "
            "batond to apply changes");
}

static void on_rbserver_stopped(bt_rbserver *srv, void *ud) {
    daemon_ctx *d = ud;
    bt_logf(&d->log, BT_LOG_INFO, "runbook server stopped");
    close_signals(d);
}

#define PACK_REFRESH_MS 10000

static void on_pack_timer(uv_timer_t *t) {
    daemon_ctx *d = t->data;
    bt_error err = {0};
    if (bt_packs_sync(d->store, 0, NULL, &err))
        bt_logf(&d->log, BT_LOG_WARNING,
                "cannot read the registered packs: %s", err.message);
}

static void stop_pack_timer(daemon_ctx *d) {
    if (!d->pack_timer_on) return;
    uv_close((uv_handle_t *)&d->pack_timer, NULL);
    d->pack_timer_on = false;
}

static void stop_retention(daemon_ctx *d) {
    bt_retention_stop(d->retention, NULL, NULL);
    d->retention = NULL;
}

static void on_signal(uv_signal_t *h, int signum) {
    daemon_ctx *d = h->data;
    if (d->stopping) {
        /* Nothing is lost by not waiting: every activity instance is
         * committed, so held jobs resume on restart or on another server
         * once the lease lapses. */
        bt_logf(&d->log, BT_LOG_WARNING,
                "%s again: exiting now without waiting for running "
                "instances (their jobs resume later)",
                strsignal(signum));
        _exit(EXIT_START_FAILED);
    }
    d->stopping = true;
    bt_logf(&d->log, BT_LOG_NOTICE, "%s: shutting down", strsignal(signum));
    /* The web service first, so no new job arrives while the runbook
     * server drains; its long-polls notice and answer at once. */
    bt_web_stop(d->web);
    d->web = NULL;
    bt_mgmt_stop(d->mgmt);
    bt_console_stop(d->console);
    d->mgmt = NULL;
    d->console = NULL;
    stop_retention(d);
    stop_pack_timer(d);
    bt_rbserver *rb = atomic_load(&d->rb);
    if (rb) {
        size_t running = bt_rbserver_running(rb);
        if (running)
            bt_logf(&d->log, BT_LOG_INFO,
                    "waiting up to %.1fs for %zu running instance%s",
                    (double)d->cfg.grace_ms / 1000.0, running,
                    running == 1 ? "" : "s");
        bt_rbserver_stop(rb, d->cfg.grace_ms, on_rbserver_stopped, d);
    } else {
        close_signals(d);
    }
}

/* ---- start-up --------------------------------------------------------- */

static void wake_runbook_server(void *ud) {
    daemon_ctx *d = ud;
    bt_rbserver *rb = atomic_load(&d->rb);
    if (rb) bt_rbserver_wake(rb);
}

/* mkdir -p with mode 0750 (the database holds job parameters). */
static int make_dirs(const char *path, bt_error *err) {
    char *p = bt_xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; !rc; s++) {
        bool end = !*s;
        if (*s != '/' && !end) continue;
        *s = '\0';
        if (mkdir(p, 0750) != 0 && errno != EEXIST)
            rc = bt_error_set(err, BT_EIO,
                              "cannot create the data directory '%s': %s "
                              "(change it with --data-dir, BATON_DATA_DIR or "
                              "data_dir in the config file)",
                              p, strerror(errno));
        if (end) break;
        *s = '/';
    }
    free(p);
    return rc;
}

static int open_store(daemon_ctx *d, bt_error *err) {
    /* The data directory is only ours to create when the database lives
     * in it (the default); an explicit --db names its own place. */
    char *default_db = bt_xasprintf("sqlite:%s/baton.db", d->cfg.data_dir);
    int rc = 0;
    if (!strcmp(default_db, d->cfg.db)) rc = make_dirs(d->cfg.data_dir, err);
    free(default_db);
    if (rc) return rc;
    bt_error e = {0};
    rc = bt_store_open(d->cfg.db, &d->store, &e);
    if (rc)
        return bt_error_set(err, -rc,
                            "cannot open the orchestration database '%s': %s "
                            "(change it with --db, BATON_DB or db in the "
                            "config file)",
                            d->cfg.db, e.message);
    return 0;
}

static int load_samples(daemon_ctx *d, bt_error *err) {
    size_t loaded = 0;
    bool skipped = false;
    const char *what = d->cfg.samples_dir ? d->cfg.samples_dir
                                          : "the bundled examples";
    bt_error e = {0};
    int rc = bt_samples_load(d->store, d->cfg.samples_dir, &d->log, &loaded,
                             &skipped, &e);
    if (rc == -BT_EEXIST) { /* another batond loaded them just now */
        bt_logf(&d->log, BT_LOG_NOTICE,
                "samples: not loaded, another server loaded runbooks at the "
                "same time (%s)", e.message);
        return 0;
    }
    if (rc)
        return bt_error_set(err, -rc,
                            "samples: nothing loaded from %s: %s", what,
                            e.message);
    if (skipped)
        bt_logf(&d->log, BT_LOG_NOTICE,
                "samples: not loaded, the database already has runbooks");
    else
        bt_logf(&d->log, BT_LOG_INFO,
                "samples: loaded %zu runbook%s from %s", loaded,
                loaded == 1 ? "" : "s", what);
    return 0;
}

static char **cors_list(const daemon_ctx *d, size_t *n);

/* The management server and the console (the web service starts first). */
static int start_listeners(daemon_ctx *d, bt_error *err) {
    if (d->cfg.roles & BT_ROLE_MANAGEMENT) {
        bt_listen_spec spec = {"management server", d->cfg.bind,
                               d->cfg.mgmt_port, "mgmt_port"};
        int fd = -1;
        uint16_t port = 0;
        int rc = bt_listen_tcp(&spec, &fd, &port, err);
        if (rc) return rc;
        /* encrypted variables' key lives beside the database, not in it */
        char *key = bt_xasprintf("%s/secret.key", d->cfg.data_dir);
        /* the same users and tokens as the web service */
        bt_mgmt_config mc = {
            .listen_fd = fd,
            .store_url = d->cfg.db,
            .key_file = key,
            .authenticate = d->cfg.auth ? bt_mgmt_authenticate : NULL,
            /* the same HTTPS as the web service */
            .tls_cert_file = d->cfg.tls_cert,
            .tls_key_file = d->cfg.tls_key,
        };
        /* the console authors through this server from the browser */
        size_t n_cors = 0;
        char **cors = cors_list(d, &n_cors);
        mc.cors_origins = (const char *const *)cors;
        mc.n_cors_origins = n_cors;
        rc = bt_mgmt_start(&mc, &d->mgmt, err);
        for (size_t i = 0; i < n_cors; i++) free(cors[i]);
        free(cors);
        free(key);
        if (rc) return rc;
    }
    if (d->cfg.roles & BT_ROLE_CONSOLE) {
        bt_listen_spec spec = {"console", d->cfg.bind, d->cfg.console_port,
                               "console_port"};
        bt_console_config cc = {
            .web_url = d->cfg.web_url,
            .mgmt_url = d->cfg.mgmt_url,
            .web_port = d->cfg.web_port,
            .mgmt_port = d->cfg.mgmt_port,
            .web_tls = d->cfg.tls_cert != NULL,
        };
        int rc = bt_console_start(&spec, &cc, &d->console, err);
        if (rc) return rc;
    }
    return 0;
}

static void say_where(daemon_ctx *d) {
    char url[128];
    const char *where = d->cfg.bind ? d->cfg.bind : "all addresses";
    if (d->web) {
        bt_listen_url(d->cfg.bind, bt_web_port(d->web), url, sizeof url);
        char shown[sizeof url + 8];
        snprintf(shown, sizeof shown, "%s%s",
                 d->cfg.tls_cert && !strncmp(url, "http://", 7) ? "https://"
                                                                : "",
                 d->cfg.tls_cert && !strncmp(url, "http://", 7) ? url + 7
                                                                : url);
        bt_logf(&d->log, BT_LOG_INFO,
                "web service: listening on %s port %u: %s/api/health "
                "(BATON_URL=%s baton jobs)",
                where, (unsigned)bt_web_port(d->web), shown, shown);
    }
    if (d->mgmt) {
        bt_listen_url(d->cfg.bind, bt_mgmt_port(d->mgmt), url, sizeof url);
        bool tls = d->cfg.tls_cert && !strncmp(url, "http://", 7);
        bt_logf(&d->log, BT_LOG_INFO,
                "management server: listening on %s port %u: %s%s/api/health "
                "(BATON_MGMT_URL=%s%s baton ls)",
                where, (unsigned)bt_mgmt_port(d->mgmt), tls ? "https://" : "",
                tls ? url + 7 : url, tls ? "https://" : "", tls ? url + 7 : url);
    }
    if (d->console) {
        bt_listen_url(d->cfg.bind, bt_console_port(d->console), url,
                      sizeof url);
        bt_logf(&d->log, BT_LOG_INFO, "console: listening on %s port %u: %s/%s",
                where, (unsigned)bt_console_port(d->console), url,
                bt_console_built() ? ""
                                   : " (built without npm: a placeholder "
                                     "page)");
    }
    bt_rbserver *rb = atomic_load(&d->rb);
    if (rb)
        bt_logf(&d->log, BT_LOG_INFO,
                "runbook server: '%s' (id %lld) claiming jobs, throttle %zu, "
                "heartbeat %llums",
                d->cfg.name, (long long)bt_rbserver_id(rb), d->cfg.throttle,
                (unsigned long long)d->cfg.heartbeat_ms);
}

/* Every running Run Program or Run Script instance holds three file
 * descriptors (two pipes and a pidfd), so the usual soft limit of 1024
 * would cap a runbook server near 330 of them: take the hard limit, and
 * say when even that is short of the throttle. */
#define FDS_PER_CHILD 3
#define FDS_SPARE 256

static void raise_fd_limit(daemon_ctx *d) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            bt_logf(&d->log, BT_LOG_INFO,
                    "open files: limit raised from %llu to %llu",
                    (unsigned long long)was, (unsigned long long)rl.rlim_cur);
        else
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!(d->cfg.roles & BT_ROLE_RUNBOOK_SERVER) || rl.rlim_cur == RLIM_INFINITY)
        return;
    unsigned long long need =
        (unsigned long long)d->cfg.throttle * FDS_PER_CHILD + FDS_SPARE;
    if (need > rl.rlim_cur)
        bt_logf(&d->log, BT_LOG_WARNING,
                "open files: the limit is %llu, but %zu instances each "
                "running a program need about %llu; programs beyond about "
                "%llu at once will fail to start (raise LimitNOFILE / ulimit "
                "-n, or lower --throttle)",
                (unsigned long long)rl.rlim_cur, d->cfg.throttle, need,
                (unsigned long long)(rl.rlim_cur > FDS_SPARE
                                         ? (rl.rlim_cur - FDS_SPARE) /
                                               FDS_PER_CHILD
                                         : 0));
}

/* The web service's request log: one line per request. */
static void log_request(void *ud, const bt_web_log_entry *e) {
    daemon_ctx *d = ud;
    bt_logf(&d->log, BT_LOG_INFO, "web: %s %s %u %.1fms user=%s", e->method,
            e->route, e->status, e->duration_ms, e->user);
}

/* cors_origins as a list; by default the console on this host (its port,
 * by name and by loopback address, over HTTP and HTTPS). */
static char **cors_list(const daemon_ctx *d, size_t *n) {
    char **out = NULL;
    *n = 0;
    if (d->cfg.cors_origins) {
        char *copy = bt_xstrdup(d->cfg.cors_origins), *save = NULL;
        for (char *t = strtok_r(copy, ", ", &save); t;
             t = strtok_r(NULL, ", ", &save)) {
            out = bt_xrealloc(out, (*n + 1) * sizeof *out);
            out[(*n)++] = bt_xstrdup(t);
        }
        free(copy);
        return out;
    }
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0 || !*host)
        snprintf(host, sizeof host, "localhost");
    const char *hosts[] = {host, "localhost", "127.0.0.1"};
    out = bt_xcalloc(6, sizeof *out);
    for (size_t i = 0; i < 3; i++) {
        if (i && !strcmp(hosts[i], host)) continue;
        out[(*n)++] = bt_xasprintf("http://%s:%u", hosts[i],
                                   (unsigned)d->cfg.console_port);
        out[(*n)++] = bt_xasprintf("https://%s:%u", hosts[i],
                                   (unsigned)d->cfg.console_port);
    }
    return out;
}

static int start_roles(daemon_ctx *d, bt_error *err) {
    raise_fd_limit(d);
    int rc = open_store(d, err);
    if (rc) return rc;
    bt_logf(&d->log, BT_LOG_INFO, "database: %s (%s)", d->cfg.db,
            bt_store_backend(d->store));
    bt_batond_packs_start(d->cfg.data_dir, d->store, &d->log);
    if (d->cfg.samples && (rc = load_samples(d, err))) return rc;
    if (d->cfg.auth) {
        /* the roles people log in to make the first admin */
        if ((d->cfg.roles & (BT_ROLE_WEB | BT_ROLE_MANAGEMENT)) &&
            (rc = bt_users_first_admin(d->store, d->cfg.data_dir, &d->log,
                                       err)))
            return rc;
        if ((d->cfg.roles & BT_ROLE_WEB) && !(d->auth = bt_auth_new(0)))
            return bt_error_set(err, BT_EINTERNAL,
                                "authentication: libsodium did not start");
    } else if (d->cfg.roles & BT_ROLE_WEB) {
        bt_logf(&d->log, BT_LOG_WARNING,
                "authentication is OFF (--auth off): anyone who can reach "
                "the web service may start, stop and manage everything; use "
                "this only in a trusted lab");
    }
    if (d->cfg.roles & BT_ROLE_WEB) {
        bt_web_config wc = {
            .bind_address = d->cfg.bind,
            .port = d->cfg.web_port,
            .store_url = d->cfg.db,
            .jobs_changed = wake_runbook_server,
            .ud = d,
            .authenticate = d->auth ? bt_auth_admit : NULL,
            .auth_ud = d->auth,
            .max_body = d->cfg.max_body,
            .timeout_s = (unsigned)((d->cfg.web_timeout_ms + 999) / 1000),
            .log = log_request,
            .log_ud = d,
            .tls_cert_file = d->cfg.tls_cert,
            .tls_key_file = d->cfg.tls_key,
            .metrics_public = d->cfg.metrics_public,
        };
        size_t n_cors = 0;
        char **cors = cors_list(d, &n_cors);
        wc.cors_origins = (const char *const *)cors;
        wc.n_cors_origins = n_cors;
        rc = bt_web_start(&wc, &d->web, err);
        for (size_t i = 0; i < n_cors; i++) free(cors[i]);
        free(cors);
        if (rc) return rc;
    }
    if ((rc = start_listeners(d, err))) return rc;
    /* One purge per installation: the management server owns it, as
     * Orchestrator's management server owns the log purge. */
    if ((d->cfg.roles & BT_ROLE_MANAGEMENT) && d->cfg.purge_at >= 0) {
        bt_retention_policy p = {
            .keep_last = d->cfg.keep_instances,
            .max_age_days = (uint32_t)d->cfg.keep_days,
            .events_days = (uint32_t)d->cfg.events_days,
            .audit_days = (uint32_t)d->cfg.audit_days,
        };
        if ((rc = bt_retention_start(&d->loop, d->cfg.db, &p,
                                     (unsigned)d->cfg.purge_at, &d->log,
                                     &d->retention, err)))
            return rc;
        bt_logf(&d->log, BT_LOG_INFO,
                "log purge: daily at %02d:%02d local time, keeping %zu "
                "instance%s per runbook%s, events %zu days, audit %zu days "
                "(0: forever)",
                d->cfg.purge_at / 60, d->cfg.purge_at % 60,
                d->cfg.keep_instances, d->cfg.keep_instances == 1 ? "" : "s",
                d->cfg.keep_days ? " (and only older ones)" : "",
                d->cfg.events_days, d->cfg.audit_days);
    }
    if (d->cfg.roles & BT_ROLE_RUNBOOK_SERVER) {
        char *key = bt_xasprintf("%s/secret.key", d->cfg.data_dir);
        bt_rbserver_config rc_cfg = {
            .name = d->cfg.name,
            .throttle = d->cfg.throttle,
            .heartbeat_ms = d->cfg.heartbeat_ms,
            .log = &d->log,
            .secret_key_file = key,
        };
        bt_rbserver *rb = NULL;
        rc = bt_rbserver_start(&d->loop, d->store, &rc_cfg, &rb, err);
        free(key);
        if (rc) return rc;
        atomic_store(&d->rb, rb);
    } else {
        uv_timer_init(&d->loop, &d->pack_timer);
        d->pack_timer.data = d;
        d->pack_timer_on = true;
        uv_timer_start(&d->pack_timer, on_pack_timer, PACK_REFRESH_MS,
                       PACK_REFRESH_MS);
    }
    return 0;
}

static void stop_all(daemon_ctx *d) {
    stop_retention(d);
    stop_pack_timer(d);
    bt_web_stop(d->web);
    bt_mgmt_stop(d->mgmt);
    bt_console_stop(d->console);
    d->web = NULL;
    d->mgmt = NULL;
    d->console = NULL;
}

int main(int argc, char **argv) {
    daemon_ctx d;
    memset(&d, 0, sizeof d);
    atomic_init(&d.rb, NULL);
    bt_error err = {0};
    if (bt_config_load(&d.cfg, argc, argv, &err)) {
        fprintf(stderr, "batond: %s\n", err.message);
        bt_config_clear(&d.cfg);
        return EXIT_BAD_SETTINGS;
    }
    if (d.cfg.help || d.cfg.version) {
        if (d.cfg.help) bt_config_usage(stdout);
        else printf("batond %s\n", bt_version());
        bt_config_clear(&d.cfg);
        return 0;
    }
    bt_log_init(&d.log);
    /* A client that hangs up mid-answer must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);

    char roles[96];
    bt_config_roles_text(d.cfg.roles, roles, sizeof roles);
    bt_logf(&d.log, BT_LOG_INFO, "batond %s starting: roles %s%s%s",
            bt_version(), roles, d.cfg.config_file ? ", settings from " : "",
            d.cfg.config_file ? d.cfg.config_file : "");

    int rc = uv_loop_init(&d.loop);
    if (rc) {
        bt_logf(&d.log, BT_LOG_ERROR, "cannot start the event loop: %s",
                uv_strerror(rc));
        bt_config_clear(&d.cfg);
        return EXIT_START_FAILED;
    }
    uv_signal_init(&d.loop, &d.sigterm);
    uv_signal_init(&d.loop, &d.sigint);
    uv_signal_init(&d.loop, &d.sighup);
    d.sigterm.data = d.sigint.data = d.sighup.data = &d;
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_signal, SIGINT);
    uv_signal_start(&d.sighup, on_sighup, SIGHUP);

    int status = 0;
    if (start_roles(&d, &err)) {
        bt_logf(&d.log, BT_LOG_ERROR, "%s", err.message);
        if (geteuid() != 0 && strstr(err.message, "ports below 1024"))
            bt_logf(&d.log, BT_LOG_ERROR,
                    "batond runs as uid %u, not root: give every role a "
                    "port from 1024 up, e.g. --web-port 8081 "
                    "--console-port 8082 --mgmt-port 8135",
                    (unsigned)geteuid());
        bt_logf(&d.log, BT_LOG_ERROR, "batond did not start");
        status = err.code == BT_EINVAL ? EXIT_BAD_SETTINGS : EXIT_START_FAILED;
        stop_all(&d);
        close_signals(&d);
    } else {
        say_where(&d);
        bt_logf(&d.log, BT_LOG_INFO, "batond ready");
    }
    uv_run(&d.loop, UV_RUN_DEFAULT);
    stop_all(&d); /* no-ops after a signal */
    bt_rbserver_free(atomic_load(&d.rb));
    bt_auth_free(d.auth);
    bt_store_close(d.store);
    if (uv_loop_close(&d.loop) != 0)
        bt_logf(&d.log, BT_LOG_WARNING,
                "event loop closed with handles still open");
    if (!status) bt_logf(&d.log, BT_LOG_INFO, "batond stopped");
    bt_config_clear(&d.cfg);
    return status;
}
