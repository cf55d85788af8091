/* baton pack ...: integration packs on the command line. */
#include <stdio.h>

#include "cli/pack_cli.h"
#include "packs/packs.h"

static void report_problem(const char *path, const bt_error *err, void *ud) {
    char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
    bt_error_format(err, msg, sizeof msg);
    fprintf(stderr, "baton %s: warning: pack %s not loaded: %s\n",
            (const char *)ud, path, msg);
}

void bt_cli_load_packs(const char *command) {
    bt_packs_load_path(NULL, report_problem, (void *)command);
}
