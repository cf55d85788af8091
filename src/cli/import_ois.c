/* baton import-ois FILE.ois_export: converts an Orchestrator export into
 * runbook files and a globals file, and reports what did not convert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "mgmt/ois_import.h"
#include "mgmt/ois_store.h"

static const char usage_text[] =
    "usage: baton import-ois FILE.ois_export [--out DIR] [--db URL] "
    "[--report FILE] [--json]\n"
    "Converts a System Center Orchestrator export: one DIR/<folder>/<name>."
    "runbook.yaml\nper runbook (folders become directories) and "
    "DIR/globals.yaml for variables,\ncounters and schedules. DIR defaults "
    "to the export's name without .ois_export.\n"
    "With --db the runbooks (as new versions), variables, new counters and\n"
    "schedules also go into that store (sqlite:PATH or postgresql://...) in "
    "one\ntransaction; files are then written only with --out.\n"
    "Prints the import report (to FILE with --report; as JSON with --json).\n"
    "Exit status: 0 everything converted, 1 placeholders or unresolved items "
    "to\nreview, 2 bad input (nothing is written or stored) or a write or "
    "store\nfailure.\n";

static char *default_dir(const char *file) {
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    const char *ext = ".ois_export";
    if (n > strlen(ext) && !strcmp(base + n - strlen(ext), ext))
        n -= strlen(ext);
    return n ? bt_xstrndup(base, n) : bt_xstrdup("imported");
}

int bt_cli_import_ois(int argc, char **argv) {
    const char *file = NULL, *out = NULL, *report = NULL, *db = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return BT_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--report") && i + 1 < argc) {
            report = argv[++i];
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "baton import-ois: unexpected argument '%s'\n%s",
                    argv[i], usage_text);
            return BT_EXIT_USAGE;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        fputs(usage_text, stderr);
        return BT_EXIT_USAGE;
    }
    bt_error err;
    bt_error_clear(&err);
    bt_ois_import *imp = NULL;
    if (bt_ois_import_file(file, NULL, &imp, &err) != 0) {
        char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
        bt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "baton import-ois: %s\n", msg);
        return BT_EXIT_USAGE;
    }
    char *dir = out ? bt_xstrdup(out) : db ? NULL : default_dir(file);
    int status = bt_ois_import_complete(imp) ? BT_EXIT_OK : BT_EXIT_FAILED;
    bt_ois_stored stored = {0};
    if (db) {
        bt_store *s = NULL;
        int rc = bt_store_open(db, &s, &err);
        if (!rc) rc = bt_ois_import_store(imp, s, "import-ois", &stored, &err);
        bt_store_close(s);
        if (rc) {
            fprintf(stderr,
                    "baton import-ois: --db %s: %s; nothing was "
                    "stored\n",
                    db, err.message);
            status = BT_EXIT_USAGE;
        }
    }
    if (dir && status != BT_EXIT_USAGE && bt_ois_import_write(imp, dir, &err)) {
        char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
        bt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "baton import-ois: %s\n", msg);
        status = BT_EXIT_USAGE;
    }
    FILE *rf = report ? fopen(report, "w") : stdout;
    if (!rf) {
        perror(report);
        status = BT_EXIT_USAGE;
    } else {
        if (json) {
            json_t *j = bt_ois_report_json(imp);
            if (dir) json_object_set_new(j, "out", json_string(dir));
            if (db && status != BT_EXIT_USAGE)
                json_object_set_new(
                    j, "stored",
                    json_pack("{s:I, s:I, s:I, s:I}", "runbooks",
                              (json_int_t)stored.runbooks, "variables",
                              (json_int_t)stored.variables, "counters",
                              (json_int_t)stored.counters, "schedules",
                              (json_int_t)stored.schedules));
            json_dumpf(j, rf, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputc('\n', rf);
            json_decref(j);
        } else {
            bt_ois_report_print(imp, rf);
            if (dir) fprintf(rf, "\nWritten under '%s'.\n", dir);
            if (db && status != BT_EXIT_USAGE)
                fprintf(rf,
                        "Stored in %s: %zu runbook(s), %zu variable(s), "
                        "%zu new counter(s), %zu schedule(s).\n",
                        db, stored.runbooks, stored.variables, stored.counters,
                        stored.schedules);
        }
        if (rf != stdout) fclose(rf);
    }
    free(dir);
    bt_ois_import_free(imp);
    return status;
}
