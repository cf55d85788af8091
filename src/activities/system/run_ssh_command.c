/* Run SSH Command: runs a command (or a script fed to a remote shell) on
 * another computer over SSH with libssh, and publishes its exit code and
 * output. The host key is checked against a known_hosts file: strictly by
 * default, or accepting (and recording) a host seen for the first time. A
 * key that differs from the recorded one always fails.
 *
 * Blocking: libssh's calls block, so this runs on the thread pool. The
 * `timeout` property bounds the whole run (connect, authentication and
 * command) since a blocking activity cannot be canceled from outside. */
#include <errno.h>
#include <inttypes.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activities/file/fileutil.h"
#include "common/buf.h"
#include "common/util.h"

static const char *const host_key_check_names[] = {"strict", "accept-new",
                                                   NULL};

static const bt_prop_spec run_ssh_command_props[] = {
    {"host", BT_PROP_STRING, true, NULL, "Computer to connect to", NULL},
    {"port", BT_PROP_INTEGER, false, "22", "SSH port", NULL},
    {"user", BT_PROP_STRING, true, NULL, "User to log in as", NULL},
    {"password", BT_PROP_STRING, false, NULL,
     "Password (when no private_key_file is given)", NULL},
    {"private_key_file", BT_PROP_STRING, false, NULL,
     "Absolute path of a private key file (OpenSSH or PEM format)", NULL},
    {"passphrase", BT_PROP_STRING, false, NULL,
     "Passphrase of the private key", NULL},
    {"known_hosts_file", BT_PROP_STRING, false, "~/.ssh/known_hosts",
     "Absolute path of the known_hosts file holding the host's key", NULL},
    {"host_key_check", BT_PROP_STRING, false, "strict",
     "strict: the host key must be in known_hosts; accept-new: a host not "
     "in it is accepted and added (a changed key still fails)",
     host_key_check_names},
    {"command", BT_PROP_STRING, false, NULL,
     "Command line run by the remote user's shell", NULL},
    {"script", BT_PROP_STRING, false, NULL,
     "Script text fed to the remote interpreter's standard input "
     "(instead of command)",
     NULL},
    {"interpreter", BT_PROP_STRING, false, "/bin/sh -s",
     "Remote command that reads the script from standard input", NULL},
    {"input", BT_PROP_STRING, false, NULL,
     "Text written to the command's standard input (not with script)",
     NULL},
    {"timeout", BT_PROP_DURATION, false, "5m",
     "Longest the whole run may take: connecting, logging in and the "
     "command",
     NULL},
    {"max_output", BT_PROP_INTEGER, false, "1048576",
     "Bytes of stdout and of stderr kept (each); the rest is discarded and "
     "truncated is set",
     NULL},
    {"success_codes", BT_PROP_LIST, false, "[0]",
     "Exit codes that count as success", NULL},
    {"warning_codes", BT_PROP_LIST, false, "[]",
     "Exit codes that give a warning result", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const run_ssh_command_published[] = {
    "host", "exit_code", "stdout", "stderr", "truncated",
    "host_key_fingerprint", NULL};

typedef struct ssh_run {
    bt_activity_ctx *ctx;
    const char *host;
    int port;
    uint64_t deadline_ms; /* monotonic */
    bt_error err;
} ssh_run;

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int left_ms(const ssh_run *r) {
    uint64_t now = now_ms();
    if (now >= r->deadline_ms) return 0;
    uint64_t left = r->deadline_ms - now;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

static int ssh_fail(ssh_run *r, ssh_session s, const char *what) {
    const char *why = s ? ssh_get_error(s) : "";
    return bt_error_set(&r->err, BT_EIO, "%s on %s port %d: %s", what,
                        r->host, r->port, why && *why ? why : "failed");
}

static int read_codes(bt_activity_ctx *ctx, const char *prop, int64_t **out,
                      size_t *n) {
    const char *const *items;
    *n = bt_act_list(ctx, prop, &items);
    *out = bt_act_alloc(ctx, (*n + 1) * sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        char *end;
        errno = 0;
        long long v = strtoll(items[i], &end, 10);
        if (errno || end == items[i] || *end)
            return bt_act_fail(ctx,
                               "run-ssh-command: property '%s' must list "
                               "integers, got '%s'",
                               prop, items[i]);
        (*out)[i] = v;
    }
    return 0;
}

static bool has_code(const int64_t *codes, size_t n, int64_t code) {
    for (size_t i = 0; i < n; i++)
        if (codes[i] == code) return true;
    return false;
}

/* Checks the server's key against known_hosts; records it for a new host
 * with accept-new. Publishes the fingerprint either way. */
static int check_host_key(ssh_run *r, ssh_session s, bool accept_new,
                          const char *known_hosts) {
    ssh_key key = NULL;
    if (ssh_get_server_publickey(s, &key) != SSH_OK)
        return ssh_fail(r, s, "cannot get the host key");
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *fp = NULL;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
                               &hlen) == 0) {
        fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
    const char *fpr = fp ? fp : "(unknown)";
    bt_act_publish(r->ctx, "host_key_fingerprint", fpr);
    int rc = 0;
    switch (ssh_session_is_known_server(s)) {
    case SSH_KNOWN_HOSTS_OK:
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        rc = bt_error_set(&r->err, BT_EINVAL,
                          "the host key of %s port %d (%s) does not match "
                          "the one in '%s': refusing to connect (the host "
                          "was reinstalled, or someone is intercepting)",
                          r->host, r->port, fpr, known_hosts);
        break;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (!accept_new) {
            rc = bt_error_set(&r->err, BT_EINVAL,
                              "host %s port %d is not in '%s' (host key %s); "
                              "add it, or set host_key_check: accept-new",
                              r->host, r->port, known_hosts, fpr);
        } else if (ssh_session_update_known_hosts(s) != SSH_OK) {
            rc = bt_error_set(&r->err, BT_EIO,
                              "cannot add %s to '%s': %s", r->host,
                              known_hosts, ssh_get_error(s));
        }
        break;
    default:
        rc = ssh_fail(r, s, "cannot check the host key");
    }
    ssh_string_free_char(fp);
    return rc;
}

static int authenticate(ssh_run *r, ssh_session s, const char *key_file,
                        const char *passphrase, const char *password) {
    if (key_file) {
        ssh_key key = NULL;
        if (ssh_pki_import_privkey_file(key_file, passphrase, NULL, NULL,
                                        &key) != SSH_OK)
            return bt_error_set(&r->err, BT_EINVAL,
                                "cannot load private key '%s' (missing, "
                                "unreadable, or wrong passphrase)",
                                key_file);
        int a = ssh_userauth_publickey(s, NULL, key);
        ssh_key_free(key);
        if (a == SSH_AUTH_SUCCESS) return 0;
        if (a == SSH_AUTH_ERROR) return ssh_fail(r, s, "authentication error");
        return bt_error_set(&r->err, BT_EINVAL,
                            "%s port %d refused the key '%s' for user '%s'",
                            r->host, r->port, key_file,
                            bt_act_str(r->ctx, "user", ""));
    }
    int a = ssh_userauth_password(s, NULL, password);
    if (a == SSH_AUTH_SUCCESS) return 0;
    if (a == SSH_AUTH_ERROR) return ssh_fail(r, s, "authentication error");
    return bt_error_set(&r->err, BT_EINVAL,
                        "%s port %d refused the password for user '%s'",
                        r->host, r->port, bt_act_str(r->ctx, "user", ""));
}

typedef struct capture {
    bt_buf buf;
    size_t cap;
    bool truncated;
} capture;

static void capture_add(capture *c, const char *data, size_t n) {
    size_t room = c->buf.len < c->cap ? c->cap - c->buf.len : 0;
    if (n > room) c->truncated = true;
    if (room) (void)bt_buf_append(&c->buf, data, n < room ? n : room);
}

/* Runs the command on an open session; fills out/err and *status. */
static int run_command(ssh_run *r, ssh_session s, const char *command,
                       const char *input, capture *out, capture *errc,
                       int *status) {
    ssh_channel ch = ssh_channel_new(s);
    if (!ch) return ssh_fail(r, s, "cannot open a channel");
    int rc = 0;
    if (ssh_channel_open_session(ch) != SSH_OK)
        rc = ssh_fail(r, s, "cannot open a session");
    if (!rc && ssh_channel_request_exec(ch, command) != SSH_OK)
        rc = ssh_fail(r, s, "cannot start the command");
    if (!rc && input) {
        size_t len = strlen(input), off = 0;
        while (!rc && off < len) {
            int n = ssh_channel_write(ch, input + off,
                                      (uint32_t)(len - off > 65536
                                                     ? 65536
                                                     : len - off));
            if (n < 0) rc = ssh_fail(r, s, "cannot write standard input");
            else off += (size_t)n;
            if (!rc && !left_ms(r))
                rc = bt_error_set(&r->err, BT_ETIMEDOUT,
                                  "timed out writing to %s", r->host);
        }
    }
    if (!rc) ssh_channel_send_eof(ch);
    char buf[16384];
    while (!rc) {
        int t = left_ms(r);
        if (t == 0) {
            rc = bt_error_set(&r->err, BT_ETIMEDOUT,
                              "the command on %s port %d did not finish "
                              "within the timeout",
                              r->host, r->port);
            break;
        }
        int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0,
                                         t < 200 ? t : 200);
        if (n == SSH_ERROR) {
            rc = ssh_fail(r, s, "connection lost");
            break;
        }
        if (n > 0) capture_add(out, buf, (size_t)n);
        int m;
        while ((m = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
            capture_add(errc, buf, (size_t)m);
        if (m == SSH_ERROR) {
            rc = ssh_fail(r, s, "connection lost");
            break;
        }
        if (n == 0 && ssh_channel_is_eof(ch) &&
            ssh_channel_poll(ch, 1) <= 0 && ssh_channel_poll(ch, 0) <= 0)
            break;
    }
    if (!rc) {
        /* The exit status may come just after EOF. */
        *status = ssh_channel_get_exit_status(ch);
    }
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    return rc;
}

static void trim_newlines(bt_buf *b) {
    while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
                          b->data[b->len - 1] == '\r'))
        b->len--;
}

static int run_ssh_command_run(bt_activity_ctx *ctx) {
    ssh_run r = {.ctx = ctx};
    int64_t port, max_output;
    uint64_t timeout_ms;
    if (bt_act_int(ctx, "port", 22, &port) ||
        bt_act_int(ctx, "max_output", 1048576, &max_output) ||
        bt_act_duration(ctx, "timeout", 300000, &timeout_ms))
        return -BT_EINVAL;
    r.host = bt_act_str(ctx, "host", "");
    r.port = (int)port;
    const char *user = bt_act_str(ctx, "user", "");
    const char *command = bt_act_str(ctx, "command", NULL);
    const char *script = bt_act_str(ctx, "script", NULL);
    const char *input = bt_act_str(ctx, "input", NULL);
    const char *password = bt_act_str(ctx, "password", NULL);
    const char *passphrase = bt_act_str(ctx, "passphrase", NULL);
    const char *check = bt_act_str(ctx, "host_key_check", "strict");
    const char *key_file = NULL, *known_hosts = NULL;
    if (bt_act_has(ctx, "private_key_file") &&
        bt_fileutil_path_prop(ctx, "private_key_file", &key_file))
        return -BT_EINVAL;
    if (bt_act_has(ctx, "known_hosts_file") &&
        bt_fileutil_path_prop(ctx, "known_hosts_file", &known_hosts))
        return -BT_EINVAL;
    int64_t *ok_codes, *warn_codes;
    size_t n_ok, n_warn;
    if (read_codes(ctx, "success_codes", &ok_codes, &n_ok) ||
        read_codes(ctx, "warning_codes", &warn_codes, &n_warn))
        return -BT_EINVAL;
    if (!bt_act_has(ctx, "success_codes")) {
        ok_codes[0] = 0;
        n_ok = 1;
    }
    if (!*r.host) return bt_act_fail(ctx, "run-ssh-command: property 'host' is empty");
    if (port < 1 || port > 65535)
        return bt_act_fail(ctx, "run-ssh-command: property 'port' must be "
                                "1 to 65535, got %" PRId64,
                           port);
    if (!*user) return bt_act_fail(ctx, "run-ssh-command: property 'user' is empty");
    if (max_output < 0)
        return bt_act_fail(ctx, "run-ssh-command: property 'max_output' "
                                "must be 0 or more");
    if (!!command == !!script)
        return bt_act_fail(ctx, "run-ssh-command: set exactly one of "
                                "'command' and 'script'");
    if (script && input)
        return bt_act_fail(ctx, "run-ssh-command: 'input' cannot be used "
                                "with 'script' (the script is the input)");
    if (!key_file && !password)
        return bt_act_fail(ctx, "run-ssh-command: set 'password' or "
                                "'private_key_file'");
    if (strcmp(check, "strict") && strcmp(check, "accept-new"))
        return bt_act_fail(ctx, "run-ssh-command: property 'host_key_check' "
                                "must be strict or accept-new, got '%s'",
                           check);
    if (timeout_ms == 0) timeout_ms = 1;
    r.deadline_ms = now_ms() + timeout_ms;

    ssh_session s = ssh_new();
    if (!s) return bt_act_fail(ctx, "run-ssh-command: out of memory");
    long connect_s = (long)((timeout_ms + 999) / 1000);
    int bool_no = 0;
    unsigned int uport = (unsigned int)port;
    int rc = 0;
    /* Only what the runbook says: no ~/.ssh/config of the daemon's user. */
    if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &bool_no) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_HOST, r.host) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &uport) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_USER, user) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &connect_s) < 0 ||
        (known_hosts &&
         ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts) < 0) ||
        /* The global known hosts file would widen what strict trusts. */
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0)
        rc = ssh_fail(&r, s, "invalid connection settings");
    if (!rc && ssh_connect(s) != SSH_OK) rc = ssh_fail(&r, s, "cannot connect");
    if (!rc)
        rc = check_host_key(&r, s, strcmp(check, "accept-new") == 0,
                            known_hosts ? known_hosts : "~/.ssh/known_hosts");
    if (!rc) rc = authenticate(&r, s, key_file, passphrase, password);
    capture out = {.cap = (size_t)max_output}, errc = {.cap = (size_t)max_output};
    bt_buf_init(&out.buf, (size_t)max_output + 1);
    bt_buf_init(&errc.buf, (size_t)max_output + 1);
    int status = -1;
    if (!rc) {
        const char *cmd = script ? bt_act_str(ctx, "interpreter", "/bin/sh -s")
                                 : command;
        rc = run_command(&r, s, cmd, script ? script : input, &out, &errc,
                         &status);
    }
    ssh_disconnect(s);
    ssh_free(s);
    if (rc) {
        bt_buf_free(&out.buf);
        bt_buf_free(&errc.buf);
        return bt_act_fail(ctx, "run-ssh-command: %s", r.err.message);
    }
    trim_newlines(&out.buf);
    trim_newlines(&errc.buf);
    bt_act_publish(ctx, "host", r.host);
    if (status >= 0)
        bt_act_publishf(ctx, "exit_code", "%d", status);
    else
        bt_act_publish(ctx, "exit_code", "");
    bt_act_publishn(ctx, "stdout", bt_buf_str(&out.buf), out.buf.len);
    bt_act_publishn(ctx, "stderr", bt_buf_str(&errc.buf), errc.buf.len);
    bt_act_publish(ctx, "truncated",
                   out.truncated || errc.truncated ? "true" : "false");
    if (status < 0) {
        bt_act_fail(ctx, "run-ssh-command: the command on %s gave no exit "
                         "status (killed by a signal?)",
                    r.host);
    } else if (has_code(warn_codes, n_warn, status)) {
        bt_act_warn(ctx, "run-ssh-command: the command on %s exited with "
                         "code %d",
                    r.host, status);
    } else if (!has_code(ok_codes, n_ok, status)) {
        const char *e = bt_buf_str(&errc.buf);
        size_t n = strcspn(e, "\n");
        bt_act_fail(ctx, "run-ssh-command: the command on %s exited with "
                         "code %d%s%.*s",
                    r.host, status, n ? ": " : "", (int)(n > 200 ? 200 : n),
                    e);
    }
    bt_buf_free(&out.buf);
    bt_buf_free(&errc.buf);
    return 0;
}

const bt_activity_type bt_activity_run_ssh_command = {
    .name = "run-ssh-command",
    .title = "Run SSH Command",
    .category = "system",
    .description = "Runs a command or script on another computer over SSH "
                   "and publishes its exit code and output.",
    .mode = BT_EXEC_BLOCKING,
    .props = run_ssh_command_props,
    .published = run_ssh_command_published,
    .run = run_ssh_command_run,
};
