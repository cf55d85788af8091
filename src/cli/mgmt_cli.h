/* What the authoring and settings commands share: finding the management
 * server (--mgmt-url, else BATON_MGMT_URL, else `mgmt_url = ...` in
 * ~/.config/baton/config, else http://127.0.0.1:135), the common options,
 * calling it, and turning its answers into messages and exit statuses. */
#ifndef BT_CLI_MGMT_CLI_H
#define BT_CLI_MGMT_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/client.h"

#define BT_MGMT_DEFAULT_URL "http://127.0.0.1:135"

/* Exit statuses of the authoring and settings commands. */
#define BT_EXIT_CONFLICT                                                       \
    3 /* checked out by someone else, not checked out, exists */
#define BT_EXIT_NOT_FOUND 4

typedef struct bt_mgcli {
    const char *cmd;   /* "checkout" */
    const char *usage; /* one line (or a few) */
    const char *help;  /* what --help adds */
    const char *url;   /* --mgmt-url */
    bool json;
    bt_client *client;
} bt_mgcli;

#define BT_MGCLI(cmd, usage, help)                                             \
    { cmd, usage, help, NULL, false, NULL }

/* Consumes --mgmt-url URL, --json, --help at argv[*i]: 1 when it did, 0
 * when argv[*i] is something else, or an exit status + 100 when the
 * command must end (help printed: 100; usage error: 102). */
int bt_mgcli_common(bt_mgcli *o, int argc, char **argv, int *i);
/* Prints "baton CMD: <message>\nusage: ..." and returns 2. */
int bt_mgcli_usage(const bt_mgcli *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Opens the client (once). 0 or an exit status. */
int bt_mgcli_open(bt_mgcli *o);
/* Calls the server. -1 when it answered with a 2xx status (*reply set,
 * the caller decrefs), else the exit status after printing why. */
int bt_mgcli_call(bt_mgcli *o, const char *method, const char *path,
                  json_t *body, json_t **reply);
/* Calls the server and prints the answer: the server's JSON with --json
 * or when print is NULL, else print(reply). body is stolen; the client
 * is closed. The exit status. */
int bt_mgcli_run(bt_mgcli *o, const char *method, const char *path,
                 json_t *body, void (*print)(json_t *reply));
/* A text file for the server (at most BT_MGCLI_FILE_MAX bytes, no NUL
 * bytes), malloc'd; NULL after printing why, with the exit status in *rc. */
#define BT_MGCLI_FILE_MAX ((size_t)16 << 20)
char *bt_mgcli_read_text(bt_mgcli *o, const char *path, int *rc);
/* Query-string escaping through the client. */
char *bt_mgcli_escape(bt_mgcli *o, const char *text);
void bt_mgcli_close(bt_mgcli *o);
void bt_mgcli_print_json(json_t *doc);
const char *bt_mgcli_str(json_t *o, const char *key); /* "" when absent */
/* "2026-11-25T10:41:17.123Z" -> "2026-11-25 10:41:17" */
void bt_mgcli_time(json_t *o, const char *key, char *out, size_t size);

/* The commands (cli/authoring.c, cli/settings.c). */
int bt_cli_ls(int argc, char **argv);
int bt_cli_show(int argc, char **argv);
int bt_cli_checkout(int argc, char **argv);
int bt_cli_undo_checkout(int argc, char **argv);
int bt_cli_checkin(int argc, char **argv);
int bt_cli_history(int argc, char **argv);
int bt_cli_diff(int argc, char **argv);
int bt_cli_revert(int argc, char **argv);
int bt_cli_export(int argc, char **argv);
int bt_cli_import(int argc, char **argv);
int bt_cli_folder(int argc, char **argv);
int bt_cli_runbook(int argc, char **argv);
int bt_cli_audit(int argc, char **argv);
int bt_cli_variable(int argc, char **argv);
int bt_cli_variables(int argc, char **argv);
int bt_cli_counter(int argc, char **argv);
int bt_cli_schedule(int argc, char **argv);
int bt_cli_schedules(int argc, char **argv);
int bt_cli_counters(int argc, char **argv);
int bt_cli_server(int argc, char **argv);
int bt_cli_servers(int argc, char **argv);

/* One option of a command: "--name VALUE" / "--name=VALUE" (value set)
 * or a flag (flag set); alias is a short spelling ("-m") or NULL. */
typedef struct bt_mgcli_opt {
    const char *name;
    const char *alias;
    const char **value;
    bool *flag;
} bt_mgcli_opt;

/* Parses argv[1..]: the common options, opts (NULL-name-terminated, may
 * be NULL) and between min_pos and max_pos positional arguments into pos.
 * -1 to go on, else the exit status (after --help or a usage error). */
int bt_mgcli_parse(bt_mgcli *o, int argc, char **argv, const bt_mgcli_opt *opts,
                   const char **pos, int min_pos, int max_pos, int *n_pos);
#endif
