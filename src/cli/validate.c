/* baton validate FILE...: every problem in every file, then exit 2 if any. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pack_cli.h"
#include "runbook/runbook.h"

int bt_cli_validate(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: baton validate FILE...\n"
                "Checks runbook files (YAML or JSON). Prints each problem as\n"
                "file:line:column: message. Exit status 2 when any file has\n"
                "problems, 0 when all are valid.\n");
        return argc < 2 ? BT_EXIT_USAGE : BT_EXIT_OK;
    }
    bt_cli_load_packs("validate");
    int status = BT_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        bt_diags diags;
        bt_diags_init(&diags);
        bt_runbook *rb = NULL;
        int rc = bt_runbook_load_file(argv[i], NULL, &rb, &diags);
        if (rc == 0) {
            printf("%s: ok (%zu activities, %zu links)\n", argv[i],
                   rb->n_activities, rb->n_links);
        } else {
            bt_diags_print(&diags, stderr);
            if (diags.count == 0)
                fprintf(stderr, "%s: %s\n", argv[i], bt_strerror(rc));
            status = BT_EXIT_USAGE;
        }
        bt_runbook_free(rb);
        bt_diags_free(&diags);
    }
    return status;
}
