/* One command on another computer over SSH (libssh), with the host key
 * checked against a known_hosts file. Shared by Run SSH Command and the
 * command-line packs' remote activities. Blocking: call it from the thread
 * pool. Internal to Baton. */
#ifndef BT_ACTIVITIES_SYSTEM_SSH_EXEC_H
#define BT_ACTIVITIES_SYSTEM_SSH_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "common/buf.h"

typedef struct bt_ssh_exec_opts {
    const char *host;
    int port;
    const char *user;
    const char *password;    /* when no key_file */
    const char *key_file;    /* absolute path, or NULL */
    const char *passphrase;  /* of the key, or NULL */
    const char *known_hosts; /* absolute path; NULL: ~/.ssh/known_hosts */
    bool accept_new;         /* record a host not in known_hosts yet */
    const char *command;     /* run by the remote user's shell */
    const char *input;       /* standard input text, or NULL */
    uint64_t timeout_ms;     /* the whole run: connect, log in, command */
    size_t max_output;       /* per stream */
} bt_ssh_exec_opts;

typedef struct bt_ssh_exec_result {
    int status;        /* exit status; -1 when the command gave none */
    bt_buf out, err;   /* trailing newlines removed */
    bool truncated;    /* output over max_output */
    char *fingerprint; /* the host key's SHA256 fingerprint, or NULL */
} bt_ssh_exec_result;

/* Connects, checks the host key, logs in and runs the command. Returns 0
 * (whatever the exit status) or a negative code with a sentence in err
 * naming the host and port. res is filled as far as it got and must be
 * freed either way. */
int bt_ssh_exec(const bt_ssh_exec_opts *o, bt_ssh_exec_result *res,
                bt_error *err);
void bt_ssh_exec_result_free(bt_ssh_exec_result *res);

#endif
