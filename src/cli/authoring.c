/* The Runbook Designer's commands against the management server: ls,
 * show, checkout, undo-checkout, checkin, history, diff, revert, folder,
 * runbook, audit (export and import: cli/transfer.c). Human output by default,
 * the server's JSON with --json; exit statuses in cli/mgmt_cli.h.
 * docs/management.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/mgmt_cli.h"
#include "common/buf.h"
#include "common/util.h"

/* path?name=value&... with escaped values; NULL values are left out. */
static char *query_path(bt_mgcli *o, const char *base, const char *const *kv,
                        size_t n) {
    if (bt_mgcli_open(o))
        return NULL;
    char *out = bt_xstrdup(base);
    for (size_t i = 0; i + 1 < n * 2; i += 2) {
        if (!kv[i + 1])
            continue;
        char *e = bt_mgcli_escape(o, kv[i + 1]);
        char *next = bt_xasprintf("%s%c%s=%s", out,
                                  strchr(out, '?') ? '&' : '?', kv[i], e);
        free(e);
        free(out);
        out = next;
    }
    return out;
}

static int get(bt_mgcli *o, const char *base, const char *const *kv, size_t n,
               void (*print)(json_t *)) {
    char *path = query_path(o, base, kv, n);
    if (!path)
        return BT_EXIT_USAGE;
    int rc = bt_mgcli_run(o, "GET", path, NULL, print);
    free(path);
    return rc;
}

/* ---- baton ls --------------------------------------------------------- */

static void print_runbook_line(json_t *rb, int indent) {
    const char *by = bt_mgcli_str(rb, "checked_out_by");
    long long v = json_integer_value(json_object_get(rb, "latest_version"));
    printf("%*s%-32s v%-4lld %s%s\n", indent, "", bt_mgcli_str(rb, "name"), v,
           *by ? "checked out by " : "", by);
}

static void print_folder(json_t *f, int indent, bool recursive) {
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f, "folders"), i, it) {
        printf("%*s%s/\n", indent, "", bt_mgcli_str(it, "name"));
        if (recursive)
            print_folder(it, indent + 2, true);
    }
    json_array_foreach(json_object_get(f, "runbooks"), i, it)
        print_runbook_line(it, indent);
}

static void print_ls(json_t *reply) {
    printf("%s\n", bt_mgcli_str(reply, "path"));
    print_folder(reply, 2, false);
}

static void print_ls_recursive(json_t *reply) {
    printf("%s\n", bt_mgcli_str(reply, "path"));
    print_folder(reply, 2, true);
}

int bt_cli_ls(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI(
        "ls", "baton ls [PATH] [-R|--recursive] [--json] [--mgmt-url URL]",
        "Lists a folder's subfolders and runbooks (version, who has "
        "it checked out);\n-R the whole tree below it.\n");
    bool recursive = false;
    const char *pos[1] = {"/"};
    bt_mgcli_opt opts[] = {{"--recursive", "-R", NULL, &recursive}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 0, 1, NULL);
    if (rc >= 0)
        return rc;
    const char *kv[] = {"path", pos[0], "depth", recursive ? "all" : "1"};
    return get(&o, "/api/tree", kv, 2,
               recursive ? print_ls_recursive : print_ls);
}

/* ---- baton show ------------------------------------------------------- */

static void print_value(json_t *v) {
    if (json_is_string(v)) {
        fputs(json_string_value(v), stdout);
        return;
    }
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    fputs(t ? t : "", stdout);
    free(t);
}

static void print_show(json_t *rb) {
    char t[32];
    printf("%s  (id %lld)\n", bt_mgcli_str(rb, "path"),
           (long long)json_integer_value(json_object_get(rb, "id")));
    if (*bt_mgcli_str(rb, "description"))
        printf("  description:  %s\n", bt_mgcli_str(rb, "description"));
    printf(
        "  latest:       version %lld\n",
        (long long)json_integer_value(json_object_get(rb, "latest_version")));
    json_t *v = json_object_get(rb, "version");
    if (v) {
        bt_mgcli_time(v, "created", t, sizeof t);
        printf("  shown:        version %lld by %s at %s: %s\n",
               (long long)json_integer_value(json_object_get(v, "version")),
               bt_mgcli_str(v, "author"), t, bt_mgcli_str(v, "comment"));
    }
    const char *by = bt_mgcli_str(rb, "checked_out_by");
    printf("  checked out:  %s\n", *by ? by : "no");
    size_t i;
    json_t *it;
    json_t *ps = json_object_get(rb, "preferred_servers");
    if (json_array_size(ps)) {
        printf("  servers:      ");
        json_array_foreach(ps, i, it)
            printf("%s%s", i ? ", " : "", json_string_value(it));
        putchar('\n');
    }
    long long mc = json_integer_value(json_object_get(rb, "max_concurrent"));
    if (mc)
        printf("  max jobs:     %lld at once\n", mc);
    if (*bt_mgcli_str(rb, "load_error"))
        printf("  does not load: %s\n", bt_mgcli_str(rb, "load_error"));
    json_t *doc = json_object_get(rb, "document");
    if (!json_is_object(doc))
        return;
    json_t *params = json_object_get(doc, "parameters");
    if (json_array_size(params)) {
        printf("parameters:\n");
        json_array_foreach(params, i, it) {
            printf("  %-20s %-9s%s", bt_mgcli_str(it, "name"),
                   *bt_mgcli_str(it, "type") ? bt_mgcli_str(it, "type")
                                             : "string",
                   json_is_true(json_object_get(it, "required")) ||
                           !strcmp(bt_mgcli_str(it, "required"), "true")
                       ? " required"
                       : "");
            json_t *d = json_object_get(it, "default");
            if (d) {
                printf(" default=");
                print_value(d);
            }
            putchar('\n');
        }
    }
    printf("activities:\n");
    json_array_foreach(json_object_get(doc, "activities"), i, it) {
        printf("  %-20s %-20s %s\n", bt_mgcli_str(it, "id"),
               bt_mgcli_str(it, "type"), bt_mgcli_str(it, "name"));
        const char *k;
        json_t *pv;
        json_object_foreach(json_object_get(it, "properties"), k, pv) {
            printf("      %s: ", k);
            print_value(pv);
            putchar('\n');
        }
    }
    json_t *links = json_object_get(doc, "links");
    if (json_array_size(links))
        printf("links:\n");
    json_array_foreach(links, i, it) {
        printf("  %s -> %s", bt_mgcli_str(it, "from"), bt_mgcli_str(it, "to"));
        static const char *const extra[] = {"name",    "on",      "when",
                                            "include", "exclude", "loop_guard"};
        for (size_t k = 0; k < BT_ARRAY_LEN(extra); k++) {
            json_t *e = json_object_get(it, extra[k]);
            if (!e)
                continue;
            printf("  %s: ", extra[k]);
            print_value(e);
        }
        putchar('\n');
    }
}

static void print_yaml(json_t *rb) { fputs(bt_mgcli_str(rb, "yaml"), stdout); }

int bt_cli_show(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("show",
                 "baton show RUNBOOK [--version N] [--yaml] [--json] "
                 "[--mgmt-url URL]",
                 "Shows a runbook: properties, parameters, activities with "
                 "their properties and links,\nof its latest version or "
                 "version N. --yaml prints the checked-in file itself.\n"
                 "RUNBOOK is an id or a /Folder/Name path.\n");
    const char *version = NULL;
    bool yaml = false;
    const char *pos[1];
    bt_mgcli_opt opts[] = {{"--version", "-v", &version, NULL},
                           {"--yaml", NULL, NULL, &yaml},
                           {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 1, 1, NULL);
    if (rc >= 0)
        return rc;
    const char *kv[] = {"runbook", pos[0], "version", version};
    return get(&o, "/api/runbook", kv, 2, yaml ? print_yaml : print_show);
}

/* ---- check-out, check-in ---------------------------------------------- */

static void print_checkout(json_t *rb) {
    const char *by = bt_mgcli_str(rb, "checked_out_by");
    if (*by)
        printf("%s is checked out by %s (latest version %lld)\n",
               bt_mgcli_str(rb, "path"), by,
               (long long)json_integer_value(
                   json_object_get(rb, "latest_version")));
    else
        printf("%s is not checked out (latest version %lld)\n",
               bt_mgcli_str(rb, "path"),
               (long long)json_integer_value(
                   json_object_get(rb, "latest_version")));
}

int bt_cli_checkout(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("checkout", "baton checkout RUNBOOK [--json] [--mgmt-url URL]",
                 "Checks a runbook out to you: nobody else can check it in "
                 "until you check it in\nor undo the check-out. Exit 3 when "
                 "someone else has it.\n");
    const char *pos[1];
    int rc = bt_mgcli_parse(&o, argc, argv, NULL, pos, 1, 1, NULL);
    if (rc >= 0)
        return rc;
    return bt_mgcli_run(&o, "POST", "/api/runbook/checkout",
                        json_pack("{s:s}", "runbook", pos[0]), print_checkout);
}

int bt_cli_undo_checkout(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("undo-checkout",
                 "baton undo-checkout RUNBOOK [--force] [--json] "
                 "[--mgmt-url URL]",
                 "Releases your check-out without a new version. --force "
                 "releases anyone's (an\nadministrator's override).\n");
    bool force = false;
    const char *pos[1];
    bt_mgcli_opt opts[] = {{"--force", NULL, NULL, &force}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 1, 1, NULL);
    if (rc >= 0)
        return rc;
    return bt_mgcli_run(
        &o, "POST", "/api/runbook/undo-checkout",
        json_pack("{s:s, s:b}", "runbook", pos[0], "force", force),
        print_checkout);
}

static void print_checkin(json_t *rb) {
    long long v = json_integer_value(json_object_get(rb, "checked_in_version"));
    printf("%s: checked in version %lld%s\n", bt_mgcli_str(rb, "path"), v,
           v == 1 ? " (new runbook)" : "");
}

int bt_cli_checkin(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("checkin",
                 "baton checkin FILE -m COMMENT [--runbook RUNBOOK] [--json] "
                 "[--mgmt-url URL]",
                 "Checks a runbook file in as the next version, with your "
                 "comment. The server\nvalidates it first: an invalid file "
                 "is refused with every problem (exit 2)\nand nothing is "
                 "stored. The runbook is the one the file names (folder: "
                 "and\nname:), or RUNBOOK; you must have it checked out "
                 "(exit 3 otherwise). A file\nnaming a runbook that does not "
                 "exist creates it as version 1.\n");
    const char *comment = NULL, *runbook = NULL;
    const char *pos[1];
    bt_mgcli_opt opts[] = {{"--message", "-m", &comment, NULL},
                           {"--runbook", NULL, &runbook, NULL},
                           {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 1, 1, NULL);
    if (rc >= 0)
        return rc;
    if (!comment)
        return bt_mgcli_usage(&o, "say what changed with -m COMMENT");
    char *text = bt_mgcli_read_text(&o, pos[0], &rc);
    if (!text)
        return rc;
    json_t *body = json_pack("{s:s, s:s}", "comment", comment, "yaml", text);
    free(text);
    if (!body) {
        fprintf(stderr, "baton checkin: '%s' is not UTF-8 text\n", pos[0]);
        return BT_EXIT_USAGE;
    }
    if (runbook)
        json_object_set_new(body, "runbook", json_string(runbook));
    const char *base = strrchr(pos[0], '/');
    json_t *fname = json_string(base ? base + 1 : pos[0]);
    if (fname)
        json_object_set_new(body, "file", fname);
    return bt_mgcli_run(&o, "POST", "/api/runbook/checkin", body,
                        print_checkin);
}

/* ---- history, diff, revert -------------------------------------------- */

static void print_history(json_t *reply) {
    printf("%s%s\n", bt_mgcli_str(reply, "path"),
           json_is_true(json_object_get(reply, "deleted")) ? " (deleted)" : "");
    printf("%-8s %-20s %-16s %s\n", "VERSION", "CHECKED IN", "AUTHOR",
           "COMMENT");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(reply, "versions"), i, v) {
        char t[32];
        bt_mgcli_time(v, "created", t, sizeof t);
        printf("%-8lld %-20s %-16s %s\n",
               (long long)json_integer_value(json_object_get(v, "version")), t,
               bt_mgcli_str(v, "author"), bt_mgcli_str(v, "comment"));
    }
}

int bt_cli_history(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("history", "baton history RUNBOOK [--json] [--mgmt-url URL]",
                 "Lists a runbook's versions, newest first: who checked each "
                 "in, when, and why.\nA deleted runbook's history is still "
                 "there by id.\n");
    const char *pos[1];
    int rc = bt_mgcli_parse(&o, argc, argv, NULL, pos, 1, 1, NULL);
    if (rc >= 0)
        return rc;
    const char *kv[] = {"runbook", pos[0]};
    return get(&o, "/api/runbook/history", kv, 1, print_history);
}

static void print_diff(json_t *reply) {
    printf("--- %s version %lld\n+++ %s version %lld\n",
           bt_mgcli_str(reply, "runbook"),
           (long long)json_integer_value(json_object_get(reply, "from")),
           bt_mgcli_str(reply, "runbook"),
           (long long)json_integer_value(json_object_get(reply, "to")));
    json_t *changes = json_object_get(reply, "changes");
    if (!json_array_size(changes))
        printf("no differences\n");
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c) {
        const char *change = bt_mgcli_str(c, "change");
        char mark = !strcmp(change, "added")     ? '+'
                    : !strcmp(change, "removed") ? '-'
                                                 : '~';
        printf("%c %s %s", mark, bt_mgcli_str(c, "kind"),
               bt_mgcli_str(c, "key"));
        json_t *before = json_object_get(c, "before"),
               *after = json_object_get(c, "after");
        json_t *whole = after ? after : before;
        if (!strcmp(bt_mgcli_str(c, "kind"), "property") &&
            !strcmp(change, "changed")) {
            printf(": ");
            print_value(before);
            printf(" -> ");
            print_value(after);
        } else if (json_is_object(whole) && json_object_get(whole, "type")) {
            printf(" (%s)", bt_mgcli_str(whole, "type"));
        } else if (whole && !json_is_object(whole)) {
            printf(": ");
            print_value(whole);
        }
        putchar('\n');
        size_t k;
        json_t *f;
        json_array_foreach(json_object_get(c, "fields"), k, f) {
            printf("    %s: ", bt_mgcli_str(f, "name"));
            print_value(json_object_get(f, "before"));
            printf(" -> ");
            print_value(json_object_get(f, "after"));
            putchar('\n');
        }
    }
}

int bt_cli_diff(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI(
        "diff", "baton diff RUNBOOK V1 [V2] [--json] [--mgmt-url URL]",
        "Compares two versions of a runbook (V2 default: the latest): "
        "properties,\nactivities by id (+ added, - removed, ~ changed "
        "with each field before -> after)\nand links by from -> to.\n");
    const char *pos[3] = {0};
    int rc = bt_mgcli_parse(&o, argc, argv, NULL, pos, 2, 3, NULL);
    if (rc >= 0)
        return rc;
    const char *kv[] = {"runbook", pos[0], "from", pos[1], "to", pos[2]};
    return get(&o, "/api/runbook/diff", kv, 3, print_diff);
}

int bt_cli_revert(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("revert",
                 "baton revert RUNBOOK VERSION [-m COMMENT] [--json] "
                 "[--mgmt-url URL]",
                 "Checks in the text of an earlier VERSION as the next "
                 "version (history is kept).\nThe runbook must not be checked "
                 "out by someone else.\n");
    const char *comment = NULL;
    const char *pos[2];
    bt_mgcli_opt opts[] = {{"--message", "-m", &comment, NULL}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 2, 2, NULL);
    if (rc >= 0)
        return rc;
    int64_t v;
    if (!bt_parse_int64(pos[1], &v) || v < 1)
        return bt_mgcli_usage(&o, "'%s' is not a version number", pos[1]);
    json_t *body =
        json_pack("{s:s, s:I}", "runbook", pos[0], "version", (json_int_t)v);
    if (comment)
        json_object_set_new(body, "comment", json_string(comment));
    return bt_mgcli_run(&o, "POST", "/api/runbook/revert", body, print_checkin);
}

/* ---- baton folder / runbook ------------------------------------------- */

static void print_folder_result(json_t *reply) {
    if (json_is_true(json_object_get(reply, "deleted")))
        printf("deleted\n");
    else
        printf("%s\n", bt_mgcli_str(reply, "path"));
}

int bt_cli_folder(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("folder",
                 "baton folder mkdir PATH | rename PATH NAME | mv PATH TO | "
                 "rm PATH [--recursive]\n       [--json] [--mgmt-url URL]",
                 "Creates, renames, moves or deletes folders. rm refuses a "
                 "folder that is not\nempty unless --recursive; its runbooks "
                 "are deleted with their history kept.\n");
    bool recursive = false;
    const char *pos[3] = {0};
    int n = 0;
    bt_mgcli_opt opts[] = {{"--recursive", "-r", NULL, &recursive}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 1, 3, &n);
    if (rc >= 0)
        return rc;
    const char *verb = pos[0];
    if (!strcmp(verb, "mkdir") && n == 2)
        return bt_mgcli_run(&o, "POST", "/api/folders",
                            json_pack("{s:s}", "path", pos[1]),
                            print_folder_result);
    if (!strcmp(verb, "rename") && n == 3)
        return bt_mgcli_run(
            &o, "POST", "/api/folders/rename",
            json_pack("{s:s, s:s}", "path", pos[1], "name", pos[2]),
            print_folder_result);
    if ((!strcmp(verb, "mv") || !strcmp(verb, "move")) && n == 3)
        return bt_mgcli_run(
            &o, "POST", "/api/folders/move",
            json_pack("{s:s, s:s}", "path", pos[1], "to", pos[2]),
            print_folder_result);
    if ((!strcmp(verb, "rm") || !strcmp(verb, "delete")) && n == 2)
        return bt_mgcli_run(
            &o, "POST", "/api/folders/delete",
            json_pack("{s:s, s:b}", "path", pos[1], "recursive", recursive),
            print_folder_result);
    return bt_mgcli_usage(&o, "'%s' with %d argument%s is not a folder command",
                          verb, n - 1, n == 2 ? "" : "s");
}

static void print_runbook_result(json_t *rb) {
    if (json_is_true(json_object_get(rb, "deleted"))) {
        printf("deleted runbook %lld (its history stays: baton history %lld)\n",
               (long long)json_integer_value(json_object_get(rb, "id")),
               (long long)json_integer_value(json_object_get(rb, "id")));
        return;
    }
    printf("%s", bt_mgcli_str(rb, "path"));
    json_t *ps = json_object_get(rb, "preferred_servers");
    size_t i;
    json_t *it;
    if (json_array_size(ps))
        printf("  servers:");
    json_array_foreach(ps, i, it) printf(" %s", json_string_value(it));
    long long mc = json_integer_value(json_object_get(rb, "max_concurrent"));
    if (mc)
        printf("  at most %lld jobs at once", mc);
    putchar('\n');
}

int bt_cli_runbook(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI(
        "runbook",
        "baton runbook rename RUNBOOK NAME | mv RUNBOOK FOLDER | rm "
        "RUNBOOK\n       | servers RUNBOOK [SERVER...] | limit RUNBOOK "
        "N  [--json] [--mgmt-url URL]",
        "Renames, moves or deletes a runbook (deleting keeps its "
        "versions and jobs), sets\nthe runbook servers that run its "
        "jobs in order of preference (none: any), or\nthe most jobs "
        "of it that run at once (0: no limit).\n");
    const char *pos[34] = {0};
    int n = 0;
    int rc = bt_mgcli_parse(&o, argc, argv, NULL, pos, 2, 34, &n);
    if (rc >= 0)
        return rc;
    const char *verb = pos[0];
    if (!strcmp(verb, "rename") && n == 3)
        return bt_mgcli_run(
            &o, "POST", "/api/runbook/rename",
            json_pack("{s:s, s:s}", "runbook", pos[1], "name", pos[2]),
            print_runbook_result);
    if ((!strcmp(verb, "mv") || !strcmp(verb, "move")) && n == 3)
        return bt_mgcli_run(
            &o, "POST", "/api/runbook/move",
            json_pack("{s:s, s:s}", "runbook", pos[1], "folder", pos[2]),
            print_runbook_result);
    if ((!strcmp(verb, "rm") || !strcmp(verb, "delete")) && n == 2)
        return bt_mgcli_run(&o, "POST", "/api/runbook/delete",
                            json_pack("{s:s}", "runbook", pos[1]),
                            print_runbook_result);
    if (!strcmp(verb, "servers")) {
        json_t *names = json_array();
        for (int i = 2; i < n; i++)
            json_array_append_new(names, json_string(pos[i]));
        return bt_mgcli_run(&o, "POST", "/api/runbook/settings",
                            json_pack("{s:s, s:o}", "runbook", pos[1],
                                      "preferred_servers", names),
                            print_runbook_result);
    }
    if (!strcmp(verb, "limit") && n == 3) {
        int64_t v;
        if (!bt_parse_int64(pos[2], &v) || v < 0)
            return bt_mgcli_usage(&o, "'%s' is not a number of jobs", pos[2]);
        return bt_mgcli_run(&o, "POST", "/api/runbook/settings",
                            json_pack("{s:s, s:I}", "runbook", pos[1],
                                      "max_concurrent", (json_int_t)v),
                            print_runbook_result);
    }
    return bt_mgcli_usage(&o,
                          "'%s' with %d argument%s is not a runbook command",
                          verb, n - 1, n == 2 ? "" : "s");
}

/* ---- baton audit ------------------------------------------------------ */

static void print_change(json_t *v) {
    char *t = v && !json_is_null(v)
                  ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                  : bt_xstrdup("-");
    if (t && strlen(t) > 60)
        strcpy(t + 57, "...");
    fputs(t ? t : "-", stdout);
    free(t);
}

static void print_audit(json_t *reply) {
    json_t *items = json_object_get(reply, "items");
    if (!json_array_size(items)) {
        printf("no audit entries\n");
        return;
    }
    printf("%-20s %-12s %-22s %-28s %s\n", "TIME", "WHO", "ACTION", "OBJECT",
           "BEFORE -> AFTER");
    size_t i;
    json_t *a;
    json_array_foreach(items, i, a) {
        char t[32];
        bt_mgcli_time(a, "time", t, sizeof t);
        printf("%-20s %-12s %-22s %-28s ", t, bt_mgcli_str(a, "who"),
               bt_mgcli_str(a, "action"), bt_mgcli_str(a, "object"));
        print_change(json_object_get(a, "before"));
        printf(" -> ");
        print_change(json_object_get(a, "after"));
        putchar('\n');
    }
}

int bt_cli_audit(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("audit",
                 "baton audit [--runbook R] [--since T] [--action A] "
                 "[--limit N] [--json] [--mgmt-url URL]",
                 "Lists the audit history: every change made through the "
                 "management server,\nwho made it and when, with the state "
                 "before and after. T is a time\n(2026-11-25T10:00:00Z) or an "
                 "age (2h, 30m); A an action prefix (runbook.,\nvariable.set). "
                 "Newest N (default 1000), oldest first.\n");
    const char *runbook = NULL, *since = NULL, *action = NULL, *limit = NULL;
    bt_mgcli_opt opts[] = {{"--runbook", NULL, &runbook, NULL},
                           {"--since", NULL, &since, NULL},
                           {"--action", NULL, &action, NULL},
                           {"--limit", NULL, &limit, NULL},
                           {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, NULL, 0, 0, NULL);
    if (rc >= 0)
        return rc;
    const char *kv[] = {"runbook", runbook, "since", since,
                        "action",  action,  "limit", limit};
    return get(&o, "/api/audit", kv, 4, print_audit);
}
