/* baton: the command-line designer and Runbook Tester. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/mgmt_cli.h"
#include "cli/pack_cli.h"
#include "cli/ports_opts.h"

#include "common/version.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"validate", bt_cli_validate, "check runbook files and report every problem"},
    {"test", bt_cli_test, "run a runbook file locally (the Runbook Tester)"},
    {"activities", bt_cli_activities, "list activity types, or show one"},
    {"import-ois", bt_cli_import_ois, "convert an Orchestrator export (.ois_export)"},
    {"runbooks", bt_cli_runbooks, "list the runbooks batond holds"},
    {"start", bt_cli_start, "start a job of a runbook (--wait for its end)"},
    {"jobs", bt_cli_jobs, "list jobs"},
    {"job", bt_cli_job, "show a job: instances, activities, published data"},
    {"wait", bt_cli_wait, "wait for a job to finish"},
    {"cancel", bt_cli_cancel, "stop a job"},
    {"ls", bt_cli_ls, "list a folder's folders and runbooks (management server)"},
    {"show", bt_cli_show, "show a runbook: properties, parameters, activities, links"},
    {"checkout", bt_cli_checkout, "check a runbook out to edit it"},
    {"checkin", bt_cli_checkin, "check a runbook file in as a new version"},
    {"undo-checkout", bt_cli_undo_checkout, "release a check-out without a new version"},
    {"history", bt_cli_history, "list a runbook's versions"},
    {"diff", bt_cli_diff, "compare two versions of a runbook"},
    {"revert", bt_cli_revert, "check in an earlier version again"},
    {"export", bt_cli_export, "write a folder tree as runbook YAML files"},
    {"import", bt_cli_import, "import runbook YAML files or an .ois_export"},
    {"folder", bt_cli_folder, "create, rename, move, delete folders"},
    {"runbook", bt_cli_runbook, "rename, move, delete a runbook; its servers"},
    {"audit", bt_cli_audit, "list who changed what, when"},
    {"variable", bt_cli_variable, "global variables: list, get, set, move, rm"},
    {"variables", bt_cli_variables, "list global variables (by folder)"},
    {"counter", bt_cli_counter,
     "global counters: list, get, set, add, move, rm"},
    {"counters", bt_cli_counters, "list global counters (by folder)"},
    {"schedule", bt_cli_schedule, "global schedules: list, get, set, move, rm"},
    {"schedules", bt_cli_schedules, "list global schedules (by folder)"},
    {"server", bt_cli_server, "runbook servers: list, throttle, drain"},
    {"servers", bt_cli_servers, "list runbook servers with status and load"},
    {"token", bt_cli_token, "API tokens: create, list, revoke"},
    {"user", bt_cli_user, "users: add, list, passwd, disable (admin)"},
    {"group", bt_cli_group, "groups: add, list, add-member (admin)"},
    {"perm", bt_cli_perm, "folder permissions: grant, revoke, list (admin)"},
    {"pack", bt_cli_pack, "integration packs: register, upgrade, list, remove"},
    {"ports", bt_cli_ports, "the port table and firewall rules for this setup"},
    {"doctor", bt_cli_doctor, "check this host's ports, TLS, logins, database"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: baton COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nbaton COMMAND --help shows a command's options. The job "
                 "commands talk to batond's\nweb service: --url URL, else "
                 "BATON_URL, else url = ... in ~/.config/baton/config,\nelse "
                 "%s.\n", BT_CLIENT_DEFAULT_URL);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return BT_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return BT_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("baton %s\n", bt_version());
        return BT_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "baton: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return BT_EXIT_USAGE;
}
