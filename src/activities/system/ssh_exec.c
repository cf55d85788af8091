/* One command over SSH with libssh (ssh_exec.h): connect with a deadline,
 * check the host key (strict, or accept-new recording a new host; a
 * changed key always fails), log in with a key or a password, run the
 * command with optional standard input and capture its output within a
 * cap. */
#include <errno.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activities/system/ssh_exec.h"
#include "common/util.h"

typedef struct ssh_run {
    const bt_ssh_exec_opts *o;
    bt_ssh_exec_result *res;
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
    if (now >= r->deadline_ms)
        return 0;
    uint64_t left = r->deadline_ms - now;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

static int ssh_fail(ssh_run *r, ssh_session s, const char *what) {
    const char *why = s ? ssh_get_error(s) : "";
    return bt_error_set(&r->err, BT_EIO, "%s on %s port %d: %s", what, r->host,
                        r->port, why && *why ? why : "failed");
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
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) ==
        0) {
        fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
    const char *fpr = fp ? fp : "(unknown)";
    r->res->fingerprint = bt_xstrdup(fpr);
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
            rc = bt_error_set(&r->err, BT_EIO, "cannot add %s to '%s': %s",
                              r->host, known_hosts, ssh_get_error(s));
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
        if (a == SSH_AUTH_SUCCESS)
            return 0;
        if (a == SSH_AUTH_ERROR)
            return ssh_fail(r, s, "authentication error");
        return bt_error_set(&r->err, BT_EINVAL,
                            "%s port %d refused the key '%s' for user '%s'",
                            r->host, r->port, key_file, r->o->user);
    }
    int a = ssh_userauth_password(s, NULL, password);
    if (a == SSH_AUTH_SUCCESS)
        return 0;
    if (a == SSH_AUTH_ERROR)
        return ssh_fail(r, s, "authentication error");
    return bt_error_set(&r->err, BT_EINVAL,
                        "%s port %d refused the password for user '%s'",
                        r->host, r->port, r->o->user);
}

typedef struct capture {
    bt_buf buf;
    size_t cap;
    bool truncated;
} capture;

static void capture_add(capture *c, const char *data, size_t n) {
    size_t room = c->buf.len < c->cap ? c->cap - c->buf.len : 0;
    if (n > room)
        c->truncated = true;
    if (room)
        (void)bt_buf_append(&c->buf, data, n < room ? n : room);
}

/* Runs the command on an open session; fills out/err and *status. */
static int run_command(ssh_run *r, ssh_session s, const char *command,
                       const char *input, capture *out, capture *errc,
                       int *status) {
    ssh_channel ch = ssh_channel_new(s);
    if (!ch)
        return ssh_fail(r, s, "cannot open a channel");
    int rc = 0;
    if (ssh_channel_open_session(ch) != SSH_OK)
        rc = ssh_fail(r, s, "cannot open a session");
    if (!rc && ssh_channel_request_exec(ch, command) != SSH_OK)
        rc = ssh_fail(r, s, "cannot start the command");
    if (!rc && input) {
        size_t len = strlen(input), off = 0;
        while (!rc && off < len) {
            int n = ssh_channel_write(
                ch, input + off,
                (uint32_t)(len - off > 65536 ? 65536 : len - off));
            if (n < 0)
                rc = ssh_fail(r, s, "cannot write standard input");
            else
                off += (size_t)n;
            if (!rc && !left_ms(r))
                rc = bt_error_set(&r->err, BT_ETIMEDOUT,
                                  "timed out writing to %s", r->host);
        }
    }
    if (!rc)
        ssh_channel_send_eof(ch);
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
        int n =
            ssh_channel_read_timeout(ch, buf, sizeof buf, 0, t < 200 ? t : 200);
        if (n == SSH_ERROR) {
            rc = ssh_fail(r, s, "connection lost");
            break;
        }
        if (n > 0)
            capture_add(out, buf, (size_t)n);
        int m;
        while ((m = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
            capture_add(errc, buf, (size_t)m);
        if (m == SSH_ERROR) {
            rc = ssh_fail(r, s, "connection lost");
            break;
        }
        if (n == 0 && ssh_channel_is_eof(ch) && ssh_channel_poll(ch, 1) <= 0 &&
            ssh_channel_poll(ch, 0) <= 0)
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
    while (b->len > 0 &&
           (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
        b->len--;
}

int bt_ssh_exec(const bt_ssh_exec_opts *o, bt_ssh_exec_result *res,
                bt_error *err) {
    memset(res, 0, sizeof *res);
    res->status = -1;
    bt_buf_init(&res->out, o->max_output + 1);
    bt_buf_init(&res->err, o->max_output + 1);
    ssh_run r = {.o = o, .res = res, .host = o->host, .port = o->port};
    uint64_t timeout_ms = o->timeout_ms ? o->timeout_ms : 1;
    r.deadline_ms = now_ms() + timeout_ms;
    ssh_session s = ssh_new();
    if (!s)
        return bt_error_set(err, BT_ENOMEM, "out of memory");
    long connect_s = (long)((timeout_ms + 999) / 1000);
    int bool_no = 0;
    unsigned int uport = (unsigned int)o->port;
    int rc = 0;
    /* Only what the runbook says: no ~/.ssh/config of the daemon's user. */
    if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &bool_no) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_HOST, o->host) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &uport) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_USER, o->user) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &connect_s) < 0 ||
        (o->known_hosts &&
         ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0) ||
        /* The global known hosts file would widen what strict trusts. */
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0)
        rc = ssh_fail(&r, s, "invalid connection settings");
    if (!rc && ssh_connect(s) != SSH_OK)
        rc = ssh_fail(&r, s, "cannot connect");
    if (!rc)
        rc = check_host_key(&r, s, o->accept_new,
                            o->known_hosts ? o->known_hosts
                                           : "~/.ssh/known_hosts");
    if (!rc)
        rc = authenticate(&r, s, o->key_file, o->passphrase, o->password);
    capture out = {.buf = res->out, .cap = o->max_output},
            errc = {.buf = res->err, .cap = o->max_output};
    if (!rc)
        rc =
            run_command(&r, s, o->command, o->input, &out, &errc, &res->status);
    ssh_disconnect(s);
    ssh_free(s);
    res->out = out.buf;
    res->err = errc.buf;
    res->truncated = out.truncated || errc.truncated;
    trim_newlines(&res->out);
    trim_newlines(&res->err);
    if (rc) {
        bt_error_set(err, r.err.code ? r.err.code : -rc, "%s", r.err.message);
        return rc;
    }
    return 0;
}

void bt_ssh_exec_result_free(bt_ssh_exec_result *res) {
    if (!res)
        return;
    bt_buf_free(&res->out);
    bt_buf_free(&res->err);
    free(res->fingerprint);
    res->fingerprint = NULL;
}
