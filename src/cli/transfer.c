/* baton export and baton import: folder trees as runbook files, and
 * Orchestrator exports (.ois_export) through the management server. An
 * import is one request (the server checks everything, then stores all
 * or nothing), so progress is shown for the parts that take time on this
 * side: reading the tree and sending it; then the server's answer. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/mgmt_cli.h"
#include "common/util.h"

#define WALK_DEPTH_MAX 64
#define PROGRESS_EVERY_FILES 100

/* ---- progress --------------------------------------------------------- */

/* On standard error, so --json output stays clean: one line rewritten in
 * place on a terminal, whole lines otherwise (--progress into a log). */
typedef struct progress {
    bool on;
    bool tty;
    bool open_line; /* a \r line is on the terminal */
    size_t files;
    uint64_t bytes;
    int sent_tenths; /* last tenth of the upload reported */
} progress;

static void say(progress *pg, bool final, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(progress *pg, bool final, const char *fmt, ...) {
    if (!pg->on)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (pg->tty)
        fputs("\r", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (pg->tty && !final) {
        fputs("\033[K", stderr);
        pg->open_line = true;
    } else {
        fputs(pg->tty ? "\033[K\n" : "\n", stderr);
        pg->open_line = false;
    }
    fflush(stderr);
}

static void progress_end(progress *pg) {
    if (pg->on && pg->open_line) {
        fputs("\n", stderr);
        pg->open_line = false;
    }
}

static double mib(uint64_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

static void progress_file(progress *pg, size_t bytes) {
    pg->files++;
    pg->bytes += bytes;
    if (pg->files % PROGRESS_EVERY_FILES == 0)
        say(pg, false, "reading: %zu runbook files (%.1f MiB)", pg->files,
            mib(pg->bytes));
}

static void on_upload(void *ud, uint64_t sent, uint64_t total) {
    progress *pg = ud;
    int tenths = (int)(sent * 10 / total);
    if (tenths <= pg->sent_tenths)
        return;
    pg->sent_tenths = tenths;
    if (tenths < 10)
        say(pg, false, "sending: %d%% of %.1f MiB", tenths * 10, mib(total));
    else
        say(pg, true,
            "sending: 100%% of %.1f MiB; the management server is checking "
            "and storing it",
            mib(total));
}

/* ---- export ----------------------------------------------------------- */

static int mkdirs(const char *path) {
    char *p = bt_xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; !rc; s++) {
        bool end = !*s;
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        if (*p && mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1;
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return rc;
}

static int write_file(const char *path, const char *text) {
    char *tmp = bt_xasprintf("%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

int bt_cli_export(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI(
        "export", "baton export [PATH] --out DIR [--json] [--mgmt-url URL]",
        "Writes the folder tree at PATH (default /) under DIR: one "
        "directory per folder\nand each runbook's latest checked-in "
        "version, byte for byte, as\nDIR/<folders>/<name>.runbook.yaml. "
        "baton import DIR puts it back.\n");
    const char *out = NULL;
    const char *pos[1] = {"/"};
    bt_mgcli_opt opts[] = {{"--out", "-o", &out, NULL}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 0, 1, NULL);
    if (rc >= 0)
        return rc;
    if (!out)
        return bt_mgcli_usage(&o, "where to? --out DIR");
    if ((rc = bt_mgcli_open(&o)))
        return rc;
    char *escaped = bt_mgcli_escape(&o, pos[0]);
    char *path = bt_xasprintf("/api/export?path=%s", escaped);
    free(escaped);
    json_t *reply = NULL;
    rc = bt_mgcli_call(&o, "GET", path, NULL, &reply);
    free(path);
    if (rc >= 0) {
        bt_mgcli_close(&o);
        return rc;
    }
    rc = BT_EXIT_OK;
    if (mkdirs(out)) {
        fprintf(stderr, "baton export: cannot create '%s': %s\n", out,
                strerror(errno));
        rc = BT_EXIT_FAILED;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(reply, "folders"), i, it) {
        if (rc)
            break;
        char *d = bt_xasprintf("%s/%s", out, json_string_value(it));
        if (strstr(d, "/../") || mkdirs(d)) {
            fprintf(stderr, "baton export: cannot create '%s'\n", d);
            rc = BT_EXIT_FAILED;
        }
        free(d);
    }
    json_array_foreach(json_object_get(reply, "files"), i, it) {
        if (rc)
            break;
        const char *rel = bt_mgcli_str(it, "path");
        char *f = bt_xasprintf("%s/%s", out, rel);
        if (strstr(rel, "..") || write_file(f, bt_mgcli_str(it, "content"))) {
            fprintf(stderr, "baton export: cannot write '%s': %s\n", f,
                    strerror(errno));
            rc = BT_EXIT_FAILED;
        }
        free(f);
    }
    if (o.json) {
        bt_mgcli_print_json(reply);
    } else if (!rc) {
        printf("exported %zu runbook%s and %zu folder%s from %s to %s\n",
               json_array_size(json_object_get(reply, "files")),
               json_array_size(json_object_get(reply, "files")) == 1 ? "" : "s",
               json_array_size(json_object_get(reply, "folders")),
               json_array_size(json_object_get(reply, "folders")) == 1 ? ""
                                                                       : "s",
               bt_mgcli_str(reply, "folder"), out);
        json_array_foreach(json_object_get(reply, "skipped"), i, it) printf(
            "  skipped %s: nothing checked in yet\n", json_string_value(it));
    }
    json_decref(reply);
    bt_mgcli_close(&o);
    return rc;
}

static bool is_runbook_file(const char *name) {
    size_t n = strlen(name);
    return (n > 13 && !strcmp(name + n - 13, ".runbook.yaml")) ||
           (n > 13 && !strcmp(name + n - 13, ".runbook.json"));
}

/* Collects DIR's subdirectories and runbook files (relative paths),
 * sorted, not following symbolic links. */
static int walk(const char *root, const char *rel, int depth, json_t *folders,
                json_t *files, bt_mgcli *o, progress *pg) {
    char *dir = *rel ? bt_xasprintf("%s/%s", root, rel) : bt_xstrdup(root);
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "baton import: cannot read '%s': %s\n", dir,
                strerror(errno));
        free(dir);
        return BT_EXIT_USAGE;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (rc || name[0] == '.')
            continue;
        char *r = *rel ? bt_xasprintf("%s/%s", rel, name) : bt_xstrdup(name);
        char *full = bt_xasprintf("%s/%s", root, r);
        struct stat st;
        if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode) &&
            depth < WALK_DEPTH_MAX) {
            json_array_append_new(folders, json_string(r));
            rc = walk(root, r, depth + 1, folders, files, o, pg);
        } else if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
                   is_runbook_file(name)) {
            char *text = bt_mgcli_read_text(o, full, &rc);
            if (text)
                progress_file(pg, strlen(text));
            json_t *s = text ? json_string(text) : NULL;
            if (text && !s) {
                fprintf(stderr, "baton import: '%s' is not UTF-8 text\n", full);
                rc = BT_EXIT_USAGE;
            }
            if (s)
                json_array_append_new(
                    files, json_pack("{s:s, s:o}", "path", r, "content", s));
            free(text);
        }
        free(full);
        free(r);
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    free(dir);
    return rc;
}

static void print_import(json_t *reply) {
    printf("imported into %s: %lld created, %lld updated, %lld unchanged\n",
           bt_mgcli_str(reply, "folder"),
           (long long)json_integer_value(json_object_get(reply, "created")),
           (long long)json_integer_value(json_object_get(reply, "updated")),
           (long long)json_integer_value(json_object_get(reply, "unchanged")));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(reply, "runbooks"), i, it) {
        if (strcmp(bt_mgcli_str(it, "action"), "unchanged"))
            printf(
                "  %-9s %s (version %lld)\n", bt_mgcli_str(it, "action"),
                bt_mgcli_str(it, "runbook"),
                (long long)json_integer_value(json_object_get(it, "version")));
    }
}

static void print_import_ois(json_t *reply) {
    printf("imported %s: %lld runbooks, %lld variables, %lld counters, %lld "
           "schedules%s\n",
           bt_mgcli_str(reply, "name"),
           (long long)json_integer_value(json_object_get(reply, "runbooks")),
           (long long)json_integer_value(json_object_get(reply, "variables")),
           (long long)json_integer_value(json_object_get(reply, "counters")),
           (long long)json_integer_value(json_object_get(reply, "schedules")),
           json_is_true(json_object_get(reply, "complete"))
               ? ""
               : " (some items need review: --json shows the report)");
}

int bt_cli_import(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI(
        "import",
        "baton import DIR|FILE.ois_export [--folder PATH] [-m COMMENT] "
        "[--progress|--no-progress]\n       [--json] [--mgmt-url URL]",
        "Imports a tree written by baton export (or any directory of "
        "*.runbook.yaml\nfiles) under PATH (default /): each "
        "directory is a folder, each file a runbook\nnamed by its "
        "name: field. A file whose text equals the latest version "
        "is left\nalone; others become a new version. Every file is "
        "validated first: one bad file\n(or a runbook someone else "
        "has checked out) and nothing is imported.\nAn Orchestrator "
        "export (.ois_export) is converted and stored instead.\n"
        "Progress (files read, upload) goes to standard error when it is "
        "a terminal;\n--progress shows it anyway, --no-progress never.\n");
    const char *folder = NULL, *comment = NULL;
    bool want = false, quiet = false;
    const char *pos[1];
    bt_mgcli_opt opts[] = {{"--folder", NULL, &folder, NULL},
                           {"--message", "-m", &comment, NULL},
                           {"--progress", NULL, NULL, &want},
                           {"--no-progress", NULL, NULL, &quiet},
                           {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 1, 1, NULL);
    if (rc >= 0)
        return rc;
    if (want && quiet)
        return bt_mgcli_usage(&o, "--progress or --no-progress, not both");
    progress pg = {.tty = isatty(2) == 1, .sent_tenths = -1};
    pg.on = want || (pg.tty && !quiet);
    size_t len = strlen(pos[0]);
    json_t *body;
    const char *route;
    void (*print)(json_t *);
    if (len > 11 && !strcmp(pos[0] + len - 11, ".ois_export")) {
        char *text = bt_mgcli_read_text(&o, pos[0], &rc);
        if (!text)
            return rc;
        const char *base = strrchr(pos[0], '/');
        body = json_pack("{s:s, s:s}", "name", base ? base + 1 : pos[0],
                         "content", text);
        free(text);
        if (!body) {
            fprintf(stderr, "baton import: '%s' is not UTF-8 text\n", pos[0]);
            return BT_EXIT_USAGE;
        }
        route = "/api/import-ois";
        print = print_import_ois;
    } else {
        struct stat st;
        if (stat(pos[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr,
                    "baton import: '%s' is not a directory (or an "
                    ".ois_export file)\n",
                    pos[0]);
            return BT_EXIT_USAGE;
        }
        json_t *folders = json_array(), *files = json_array();
        rc = walk(pos[0], "", 0, folders, files, &o, &pg);
        if (rc) {
            progress_end(&pg);
            json_decref(folders);
            json_decref(files);
            return rc;
        }
        say(&pg, true, "read %zu runbook file%s in %zu folder%s (%.1f MiB)",
            pg.files, pg.files == 1 ? "" : "s", json_array_size(folders),
            json_array_size(folders) == 1 ? "" : "s", mib(pg.bytes));
        body = json_pack("{s:o, s:o}", "folders", folders, "files", files);
        if (folder)
            json_object_set_new(body, "folder", json_string(folder));
        if (comment)
            json_object_set_new(body, "comment", json_string(comment));
        route = "/api/import";
        print = print_import;
    }
    if ((rc = bt_mgcli_open(&o))) {
        json_decref(body);
        return rc;
    }
    if (pg.on)
        bt_client_set_progress(o.client, on_upload, &pg);
    rc = bt_mgcli_run(&o, "POST", route, body, print);
    progress_end(&pg);
    return rc;
}
