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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities/file/fileutil.h"
#include "activities/system/ssh_exec.h"
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

static int run_ssh_command_run(bt_activity_ctx *ctx) {
    int64_t port, max_output;
    uint64_t timeout_ms;
    if (bt_act_int(ctx, "port", 22, &port) ||
        bt_act_int(ctx, "max_output", 1048576, &max_output) ||
        bt_act_duration(ctx, "timeout", 300000, &timeout_ms))
        return -BT_EINVAL;
    bt_ssh_exec_opts o = {
        .host = bt_act_str(ctx, "host", ""),
        .port = (int)port,
        .user = bt_act_str(ctx, "user", ""),
        .password = bt_act_str(ctx, "password", NULL),
        .passphrase = bt_act_str(ctx, "passphrase", NULL),
        .timeout_ms = timeout_ms,
    };
    const char *command = bt_act_str(ctx, "command", NULL);
    const char *script = bt_act_str(ctx, "script", NULL);
    const char *input = bt_act_str(ctx, "input", NULL);
    const char *check = bt_act_str(ctx, "host_key_check", "strict");
    if (bt_act_has(ctx, "private_key_file") &&
        bt_fileutil_path_prop(ctx, "private_key_file", &o.key_file))
        return -BT_EINVAL;
    if (bt_act_has(ctx, "known_hosts_file") &&
        bt_fileutil_path_prop(ctx, "known_hosts_file", &o.known_hosts))
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
    if (!*o.host)
        return bt_act_fail(ctx, "run-ssh-command: property 'host' is empty");
    if (port < 1 || port > 65535)
        return bt_act_fail(ctx,
                           "run-ssh-command: property 'port' must be "
                           "1 to 65535, got %" PRId64,
                           port);
    if (!*o.user)
        return bt_act_fail(ctx, "run-ssh-command: property 'user' is empty");
    if (max_output < 0)
        return bt_act_fail(ctx, "run-ssh-command: property 'max_output' "
                                "must be 0 or more");
    if (!!command == !!script)
        return bt_act_fail(ctx, "run-ssh-command: set exactly one of "
                                "'command' and 'script'");
    if (script && input)
        return bt_act_fail(ctx, "run-ssh-command: 'input' cannot be used "
                                "with 'script' (the script is the input)");
    if (!o.key_file && !o.password)
        return bt_act_fail(ctx, "run-ssh-command: set 'password' or "
                                "'private_key_file'");
    if (strcmp(check, "strict") && strcmp(check, "accept-new"))
        return bt_act_fail(ctx,
                           "run-ssh-command: property 'host_key_check' "
                           "must be strict or accept-new, got '%s'",
                           check);
    o.accept_new = strcmp(check, "accept-new") == 0;
    o.max_output = (size_t)max_output;
    o.command =
        script ? bt_act_str(ctx, "interpreter", "/bin/sh -s") : command;
    o.input = script ? script : input;

    bt_ssh_exec_result res;
    bt_error err = {0};
    int rc = bt_ssh_exec(&o, &res, &err);
    if (res.fingerprint)
        bt_act_publish(ctx, "host_key_fingerprint", res.fingerprint);
    if (rc) {
        bt_ssh_exec_result_free(&res);
        return bt_act_fail(ctx, "run-ssh-command: %s", err.message);
    }
    int status = res.status;
    bt_act_publish(ctx, "host", o.host);
    if (status >= 0)
        bt_act_publishf(ctx, "exit_code", "%d", status);
    else
        bt_act_publish(ctx, "exit_code", "");
    bt_act_publishn(ctx, "stdout", bt_buf_str(&res.out), res.out.len);
    bt_act_publishn(ctx, "stderr", bt_buf_str(&res.err), res.err.len);
    bt_act_publish(ctx, "truncated", res.truncated ? "true" : "false");
    if (status < 0) {
        bt_act_fail(ctx,
                    "run-ssh-command: the command on %s gave no exit "
                    "status (killed by a signal?)",
                    o.host);
    } else if (has_code(warn_codes, n_warn, status)) {
        bt_act_warn(ctx,
                    "run-ssh-command: the command on %s exited with "
                    "code %d",
                    o.host, status);
    } else if (!has_code(ok_codes, n_ok, status)) {
        const char *e = bt_buf_str(&res.err);
        size_t n = strcspn(e, "\n");
        bt_act_fail(ctx,
                    "run-ssh-command: the command on %s exited with "
                    "code %d%s%.*s",
                    o.host, status, n ? ": " : "", (int)(n > 200 ? 200 : n),
                    e);
    }
    bt_ssh_exec_result_free(&res);
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
