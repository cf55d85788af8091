/* What `baton ports` and `baton doctor` share: batond's settings read as
 * batond reads them (--config FILE, BATON_* environment, the config file,
 * defaults; batond's own flags are accepted), --host-role, and the runbook
 * files or the store the outbound rows come from. */
#ifndef BT_CLI_PORTS_OPTS_H
#define BT_CLI_PORTS_OPTS_H

#include <stdbool.h>

#include "cli/ports_table.h"
#include "server/config.h"

typedef struct bt_ports_opts {
    const char *cmd; /* "ports" */
    bt_config cfg;
    unsigned host_roles; /* 0: not given */
    bool no_runbooks;
    char **files; /* runbook files given on the command line */
    size_t n_files;
    /* argv entries the command itself must interpret ("--json"), in order */
    char **own;
    size_t n_own;
} bt_ports_opts;

/* own_flags: the command's flags, NULL-terminated; those in
 * own_valued take a value. Everything else that starts with "--" is one of
 * batond's settings. 0, or the exit status after printing the problem. */
int bt_ports_opts_parse(bt_ports_opts *o, int argc, char **argv,
                        const char *const *own_flags,
                        const char *const *own_valued);
/* Builds the table: Baton's rows, then the runbook files' or (unless
 * --no-runbooks) the store's. 0 or an exit status. */
int bt_ports_opts_table(bt_ports_opts *o, bt_ports_table *t);
void bt_ports_opts_clear(bt_ports_opts *o);

int bt_cli_ports(int argc, char **argv);
int bt_cli_doctor(int argc, char **argv);

#endif
