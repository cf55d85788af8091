/* batond: the Baton daemon. The roles (management server, runbook server,
 * web service, console) arrive with the server work; until then batond
 * says so plainly rather than pretending to serve. */
#include <stdio.h>
#include <string.h>

#include "common/version.h"

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("batond %s\n", bt_version());
        return 0;
    }
    fprintf(stderr,
            "batond %s: the server roles are not built yet; use\n"
            "`baton test FILE` (the Runbook Tester) to run runbooks.\n",
            bt_version());
    return 2;
}
