/* batond: the Baton daemon. The roles (management server, runbook server,
 * web service, console) arrive with the server work; until then batond
 * says so plainly rather than pretending to serve. */
#include <stdio.h>
#include <string.h>

#ifndef BATON_VERSION
#define BATON_VERSION "0.1.0"
#endif

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("batond %s\n", BATON_VERSION);
        return 0;
    }
    fprintf(stderr,
            "batond %s: the server roles are not built yet; use\n"
            "`baton test FILE` (the Runbook Tester) to run runbooks.\n",
            BATON_VERSION);
    return 2;
}
