/* Global settings and runbook servers against the management server:
 * baton variable(s), counter(s), schedule(s), server(s). An encrypted
 * variable's value goes in and never comes back out: the server returns
 * no value for it and these commands print "(encrypted)". Settings sit in
 * folders of their own ("/Ops/Mail"): --folder on set and list, move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/mgmt_cli.h"
#include "common/buf.h"
#include "common/util.h"

#define VALUE_MAX ((size_t)1 << 20)

/* "/api/variables/NAME" with NAME escaped. */
static char *named(bt_mgcli *o, const char *base, const char *name) {
    if (bt_mgcli_open(o))
        return NULL;
    char *e = bt_mgcli_escape(o, name);
    char *p = bt_xasprintf("%s/%s", base, e);
    free(e);
    return p;
}

/* "/api/variables" or "/api/variables?folder=ESCAPED". */
static char *list_path(bt_mgcli *o, const char *base, const char *folder) {
    if (bt_mgcli_open(o))
        return NULL;
    if (!folder)
        return bt_xstrdup(base);
    char *e = bt_mgcli_escape(o, folder);
    char *p = bt_xasprintf("%s?folder=%s", base, e);
    free(e);
    return p;
}

static int run_list(bt_mgcli *o, const char *base, const char *folder,
                    void (*print)(json_t *)) {
    char *p = list_path(o, base, folder);
    if (!p)
        return BT_EXIT_USAGE;
    int rc = bt_mgcli_run(o, "GET", p, NULL, print);
    free(p);
    return rc;
}

static void print_moved(json_t *reply) {
    printf("moved %s from %s to %s\n", bt_mgcli_str(reply, "name"),
           bt_mgcli_str(reply, "from"), bt_mgcli_str(reply, "folder"));
}

/* POST BASE/move {"name", "folder"} */
static int run_move(bt_mgcli *o, const char *base, const char *name,
                    const char *folder) {
    char *p = bt_xasprintf("%s/move", base);
    int rc = bt_mgcli_run(
        o, "POST", p, json_pack("{s:s, s:s}", "name", name, "folder", folder),
        print_moved);
    free(p);
    return rc;
}

/* Adds "folder" to a set body when --folder was given. */
static json_t *with_folder(json_t *body, const char *folder) {
    if (body && folder)
        json_object_set_new(body, "folder", json_string(folder));
    return body;
}

static int run_named(bt_mgcli *o, const char *method, const char *base,
                     const char *name, void (*print)(json_t *)) {
    char *p = named(o, base, name);
    if (!p)
        return BT_EXIT_USAGE;
    int rc = bt_mgcli_run(o, method, p, NULL, print);
    free(p);
    return rc;
}

/* ---- variables -------------------------------------------------------- */

static void print_variable(json_t *v) {
    if (json_is_true(json_object_get(v, "encrypted")))
        printf("%s = (encrypted)", bt_mgcli_str(v, "name"));
    else
        printf("%s = %s", bt_mgcli_str(v, "name"), bt_mgcli_str(v, "value"));
    printf("  (folder %s)\n", bt_mgcli_str(v, "folder"));
}

static void print_variables(json_t *reply) {
    json_t *items = json_object_get(reply, "items");
    if (!json_array_size(items))
        printf("no variables\n");
    else
        printf("%-32s %-20s %-20s %s\n", "NAME", "FOLDER", "UPDATED",
               "VALUE");
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) {
        char t[32];
        bt_mgcli_time(v, "updated", t, sizeof t);
        printf("%-32s %-20s %-20s %s\n", bt_mgcli_str(v, "name"),
               bt_mgcli_str(v, "folder"), t,
               json_is_true(json_object_get(v, "encrypted"))
                   ? "(encrypted)"
                   : bt_mgcli_str(v, "value"));
    }
}

static void print_deleted(json_t *reply) {
    printf("deleted %s\n", bt_mgcli_str(reply, "name"));
}

static const char VARIABLE_USAGE[] =
    "baton variable list [--folder PATH] | get NAME | set NAME VALUE|- "
    "[--encrypted] [--folder PATH] | move NAME PATH | rm NAME  [--json] "
    "[--mgmt-url URL]";
static const char VARIABLE_HELP[] =
    "Global variables, which runbooks read as {var:NAME}. VALUE - reads the "
    "value from\nstandard input (keeps secrets out of the shell history). "
    "--encrypted stores it\nsealed with the server's key: no command or API "
    "ever shows it again; runbooks\nstill get the plain value. Variables sit "
    "in settings folders (\"/Ops/Mail\",\ntheir own tree, not runbook "
    "folders): set --folder puts one there (without it a\nnew one goes to / "
    "and an existing one stays), move moves it, list --folder\nshows that "
    "folder's.\n";

/* --folder given to a verb that does not take it. */
static int folder_misused(bt_mgcli *o, const char *verb) {
    return bt_mgcli_usage(o, "--folder goes with list or set, not %s", verb);
}

int bt_cli_variable(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI("variable", VARIABLE_USAGE, VARIABLE_HELP);
    bool encrypted = false;
    const char *folder = NULL;
    const char *pos[3] = {0};
    int n = 0;
    bt_mgcli_opt opts[] = {{"--encrypted", NULL, NULL, &encrypted},
                           {"--folder", NULL, &folder, NULL},
                           {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 0, 3, &n);
    if (rc >= 0)
        return rc;
    const char *verb = n ? pos[0] : "list";
    if (!strcmp(verb, "list") && n <= 1)
        return run_list(&o, "/api/variables", folder, print_variables);
    if (folder && strcmp(verb, "set"))
        return folder_misused(&o, verb);
    if (!strcmp(verb, "move") && n == 3)
        return run_move(&o, "/api/variables", pos[1], pos[2]);
    if (!strcmp(verb, "get") && n == 2)
        return run_named(&o, "GET", "/api/variables", pos[1], print_variable);
    if ((!strcmp(verb, "rm") || !strcmp(verb, "delete")) && n == 2)
        return run_named(&o, "DELETE", "/api/variables", pos[1], print_deleted);
    if (strcmp(verb, "set") || n != 3)
        return bt_mgcli_usage(&o,
                              "'%s' with %d argument%s is not a variable "
                              "command",
                              verb, n ? n - 1 : 0, n == 2 ? "" : "s");
    char *value = NULL;
    if (!strcmp(pos[2], "-")) {
        bt_buf b;
        bt_buf_init(&b, VALUE_MAX);
        char chunk[4096];
        ssize_t got;
        while ((got = read(0, chunk, sizeof chunk)) > 0)
            if (bt_buf_append(&b, chunk, (size_t)got)) {
                bt_buf_free(&b);
                fprintf(stderr, "baton variable: the value is over 1 MiB\n");
                return BT_EXIT_USAGE;
            }
        value = bt_buf_detach(&b);
        size_t len = strlen(value);
        if (len && value[len - 1] == '\n')
            value[--len] = '\0';
    } else {
        value = bt_xstrdup(pos[2]);
    }
    json_t *body = json_pack("{s:s, s:s, s:b}", "name", pos[1], "value", value,
                             "encrypted", encrypted);
    free(value);
    if (!body) {
        fprintf(stderr, "baton variable: the value is not UTF-8 text\n");
        return BT_EXIT_USAGE;
    }
    return bt_mgcli_run(&o, "POST", "/api/variables",
                        with_folder(body, folder), print_variable);
}

/* baton variables|counters|schedules [list] [--folder PATH] */
static int run_plural(int argc, char **argv, bt_mgcli *o, const char *base,
                      void (*print)(json_t *)) {
    const char *folder = NULL;
    const char *pos[1] = {0};
    int n = 0;
    bt_mgcli_opt opts[] = {{"--folder", NULL, &folder, NULL}, {0}};
    int rc = bt_mgcli_parse(o, argc, argv, opts, pos, 0, 1, &n);
    if (rc >= 0)
        return rc;
    if (n && strcmp(pos[0], "list"))
        return bt_mgcli_usage(o, "'%s' is not a command here (only list)",
                              pos[0]);
    return run_list(o, base, folder, print);
}

int bt_cli_variables(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI("variables",
                          "baton variables [list] [--folder PATH] [--json] "
                          "[--mgmt-url URL]",
                          "Lists global variables (encrypted ones without a "
                          "value) with their folders;\n--folder: only that "
                          "folder's. See baton variable.\n");
    return run_plural(argc, argv, &o, "/api/variables", print_variables);
}

/* ---- counters --------------------------------------------------------- */

static void print_counter(json_t *c) {
    printf("%s = %lld\n", bt_mgcli_str(c, "name"),
           (long long)json_integer_value(json_object_get(c, "value")));
}

static void print_counters(json_t *reply) {
    json_t *items = json_object_get(reply, "items");
    if (!json_array_size(items))
        printf("no counters\n");
    else
        printf("%-32s %-20s %-20s %s\n", "NAME", "FOLDER", "UPDATED",
               "VALUE");
    size_t i;
    json_t *c;
    json_array_foreach(items, i, c) {
        char t[32];
        bt_mgcli_time(c, "updated", t, sizeof t);
        printf("%-32s %-20s %-20s %lld\n", bt_mgcli_str(c, "name"),
               bt_mgcli_str(c, "folder"), t,
               (long long)json_integer_value(json_object_get(c, "value")));
    }
}

int bt_cli_counter(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("counter",
                 "baton counter list [--folder PATH] | get NAME | set NAME N "
                 "[--folder PATH] | add NAME N | move NAME PATH | rm NAME  "
                 "[--json] [--mgmt-url URL]",
                 "Global counters (the counter activities read and change "
                 "them). add adds N\n(negative to subtract) atomically. "
                 "Counters sit in settings folders, as\nvariables do (see "
                 "baton variable --help).\n");
    const char *folder = NULL;
    const char *pos[3] = {0};
    int n = 0;
    bt_mgcli_opt opts[] = {{"--folder", NULL, &folder, NULL}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 1, 3, &n);
    if (rc >= 0)
        return rc;
    const char *verb = pos[0];
    if (!strcmp(verb, "list") && n == 1)
        return run_list(&o, "/api/counters", folder, print_counters);
    if (folder && strcmp(verb, "set"))
        return folder_misused(&o, verb);
    if (!strcmp(verb, "move") && n == 3)
        return run_move(&o, "/api/counters", pos[1], pos[2]);
    if (!strcmp(verb, "get") && n == 2)
        return run_named(&o, "GET", "/api/counters", pos[1], print_counter);
    if ((!strcmp(verb, "rm") || !strcmp(verb, "delete")) && n == 2)
        return run_named(&o, "DELETE", "/api/counters", pos[1], print_deleted);
    if ((!strcmp(verb, "set") || !strcmp(verb, "add")) && n == 3) {
        int64_t v;
        if (!bt_parse_int64(pos[2], &v))
            return bt_mgcli_usage(&o, "'%s' is not a whole number", pos[2]);
        return bt_mgcli_run(&o, "POST", "/api/counters",
                            with_folder(json_pack("{s:s, s:I}", "name", pos[1],
                                                  !strcmp(verb, "set")
                                                      ? "value"
                                                      : "add",
                                                  (json_int_t)v),
                                        folder),
                            print_counter);
    }
    return bt_mgcli_usage(&o,
                          "'%s' with %d argument%s is not a counter command",
                          verb, n - 1, n == 2 ? "" : "s");
}

int bt_cli_counters(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI("counters",
                          "baton counters [list] [--folder PATH] [--json] "
                          "[--mgmt-url URL]",
                          "Lists global counters with their values and "
                          "folders; --folder: only that\nfolder's. See baton "
                          "counter.\n");
    return run_plural(argc, argv, &o, "/api/counters", print_counters);
}

/* ---- schedules -------------------------------------------------------- */

static void print_schedule(json_t *s) {
    char *d = json_dumps(json_object_get(s, "definition"),
                         JSON_COMPACT | JSON_ENCODE_ANY);
    printf("%s = %s\n", bt_mgcli_str(s, "name"), d ? d : "null");
    free(d);
}

static void print_schedules(json_t *reply) {
    json_t *items = json_object_get(reply, "items");
    if (!json_array_size(items))
        printf("no schedules\n");
    else
        printf("%-32s %-20s %s\n", "NAME", "FOLDER", "DEFINITION");
    size_t i;
    json_t *s;
    json_array_foreach(items, i, s) {
        char *d = json_dumps(json_object_get(s, "definition"),
                             JSON_COMPACT | JSON_ENCODE_ANY);
        printf("%-32s %-20s %s\n", bt_mgcli_str(s, "name"),
               bt_mgcli_str(s, "folder"), d ? d : "null");
        free(d);
    }
}

int bt_cli_schedule(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("schedule",
                 "baton schedule list [--folder PATH] | get NAME | set NAME "
                 "JSON|@FILE [--folder PATH] | move NAME PATH | rm NAME  "
                 "[--json] [--mgmt-url URL]",
                 "Global schedules: a name and a JSON definition, as the "
                 "check-schedule activity\nreads it (docs/activities.md), "
                 "e.g. '{\"days\": [\"mon\", \"fri\"], \"hours\": "
                 "\"08-18\"}'.\nSchedules sit in settings folders, as "
                 "variables do (see baton variable --help).\n");
    const char *folder = NULL;
    const char *pos[3] = {0};
    int n = 0;
    bt_mgcli_opt opts[] = {{"--folder", NULL, &folder, NULL}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 0, 3, &n);
    if (rc >= 0)
        return rc;
    const char *verb = n ? pos[0] : "list";
    if (!strcmp(verb, "list") && n <= 1)
        return run_list(&o, "/api/schedules", folder, print_schedules);
    if (folder && strcmp(verb, "set"))
        return folder_misused(&o, verb);
    if (!strcmp(verb, "move") && n == 3)
        return run_move(&o, "/api/schedules", pos[1], pos[2]);
    if (!strcmp(verb, "get") && n == 2)
        return run_named(&o, "GET", "/api/schedules", pos[1], print_schedule);
    if ((!strcmp(verb, "rm") || !strcmp(verb, "delete")) && n == 2)
        return run_named(&o, "DELETE", "/api/schedules", pos[1], print_deleted);
    if (strcmp(verb, "set") || n != 3)
        return bt_mgcli_usage(&o,
                              "'%s' with %d argument%s is not a schedule "
                              "command",
                              verb, n ? n - 1 : 0, n == 2 ? "" : "s");
    json_error_t je;
    json_t *def = pos[2][0] == '@' ? json_load_file(pos[2] + 1, 0, &je)
                                   : json_loads(pos[2], 0, &je);
    if (!json_is_object(def)) {
        json_decref(def);
        return bt_mgcli_usage(&o, "the definition must be a JSON object: %s",
                              je.text);
    }
    return bt_mgcli_run(
        &o, "POST", "/api/schedules",
        with_folder(json_pack("{s:s, s:o}", "name", pos[1], "definition", def),
                    folder),
        print_schedule);
}

int bt_cli_schedules(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI("schedules",
                          "baton schedules [list] [--folder PATH] [--json] "
                          "[--mgmt-url URL]",
                          "Lists global schedules with their folders; "
                          "--folder: only that folder's.\nSee baton "
                          "schedule.\n");
    return run_plural(argc, argv, &o, "/api/schedules", print_schedules);
}

/* ---- runbook servers -------------------------------------------------- */

static void print_server_row(json_t *s) {
    char t[32];
    bt_mgcli_time(s, "lease_expires", t, sizeof t);
    long long th = json_integer_value(json_object_get(s, "throttle"));
    char throttle[24];
    if (th)
        snprintf(throttle, sizeof throttle, "%lld", th);
    else
        snprintf(throttle, sizeof throttle, "-");
    printf("%-20s %-9s %-8lld %-9s %-20s %s\n", bt_mgcli_str(s, "name"),
           bt_mgcli_str(s, "status"),
           (long long)json_integer_value(json_object_get(s, "running")),
           throttle, t, bt_mgcli_str(s, "version"));
    /* integration packs it could not load, and why */
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(s, "packs"), i, p) {
        if (!json_is_true(json_object_get(p, "loaded")))
            printf("    pack %s %s NOT LOADED: %s\n", bt_mgcli_str(p, "pack"),
                   bt_mgcli_str(p, "version"), bt_mgcli_str(p, "message"));
    }
}

static void print_servers(json_t *reply) {
    json_t *items = json_object_get(reply, "items");
    if (!json_array_size(items)) {
        printf("no runbook servers have registered\n");
        return;
    }
    printf("%-20s %-9s %-8s %-9s %-20s %s\n", "NAME", "STATUS", "RUNNING",
           "THROTTLE", "LEASE UNTIL", "VERSION");
    size_t i;
    json_t *s;
    json_array_foreach(items, i, s) print_server_row(s);
}

static void print_server(json_t *s) {
    printf("%-20s %-9s %-8s %-9s %-20s %s\n", "NAME", "STATUS", "RUNNING",
           "THROTTLE", "LEASE UNTIL", "VERSION");
    print_server_row(s);
}

int bt_cli_server(int argc, char **argv) {
    bt_mgcli o =
        BT_MGCLI("server",
                 "baton server list | throttle NAME N | drain NAME [--off]  "
                 "[--json] [--mgmt-url URL]",
                 "Runbook servers: status (up, down, draining), running "
                 "instances, lease.\nthrottle caps the instances a server "
                 "runs at once (0: back to its own setting);\ndrain stops it "
                 "claiming new jobs while running ones finish (--off: claim "
                 "again).\n");
    bool off = false;
    const char *pos[3] = {0};
    int n = 0;
    bt_mgcli_opt opts[] = {{"--off", NULL, NULL, &off}, {0}};
    int rc = bt_mgcli_parse(&o, argc, argv, opts, pos, 0, 3, &n);
    if (rc >= 0)
        return rc;
    const char *verb = n ? pos[0] : "list";
    if (!strcmp(verb, "list") && n <= 1)
        return bt_mgcli_run(&o, "GET", "/api/servers", NULL, print_servers);
    if (!strcmp(verb, "drain") && n == 2)
        return bt_mgcli_run(
            &o, "POST", "/api/servers/drain",
            json_pack("{s:s, s:b}", "server", pos[1], "drain", !off),
            print_server);
    if (!strcmp(verb, "throttle") && n == 3) {
        int64_t v;
        if (!bt_parse_int64(pos[2], &v) || v < 0)
            return bt_mgcli_usage(&o, "'%s' is not a number of instances",
                                  pos[2]);
        return bt_mgcli_run(&o, "POST", "/api/servers/throttle",
                            json_pack("{s:s, s:I}", "server", pos[1],
                                      "throttle", (json_int_t)v),
                            print_server);
    }
    return bt_mgcli_usage(&o, "'%s' with %d argument%s is not a server command",
                          verb, n ? n - 1 : 0, n == 2 ? "" : "s");
}

int bt_cli_servers(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI("servers", "baton servers [--json] [--mgmt-url URL]",
                          "Lists runbook servers. See baton server.\n");
    int rc = bt_mgcli_parse(&o, argc, argv, NULL, NULL, 0, 0, NULL);
    if (rc >= 0)
        return rc;
    return bt_mgcli_run(&o, "GET", "/api/servers", NULL, print_servers);
}
