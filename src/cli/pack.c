/* baton pack ...: integration packs on the command line.
 *   register FILE   upload a pack (a .tar/.tar.gz, a pack directory or its
 *                   pack.yaml: then the manifest and the library it names)
 *   upgrade FILE    the same for a newer version of a registered pack
 *   list            registered packs and what each runbook server made of
 *                   them
 *   show NAME       one pack
 *   remove NAME
 * and, for the local commands (validate, test), loading the pack path. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/mgmt_cli.h"
#include "cli/pack_cli.h"
#include "common/util.h"
#include "packs/archive.h"
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

static void print_servers_of(json_t *p) {
    json_t *servers = json_object_get(p, "servers");
    size_t i;
    json_t *s;
    json_array_foreach(servers, i, s) {
        bool loaded = json_is_true(json_object_get(s, "loaded"));
        bool current = json_is_true(json_object_get(s, "current"));
        printf("    %-20s %s %s%s%s\n", bt_mgcli_str(s, "server"),
               bt_mgcli_str(s, "version"), loaded ? "loaded" : "NOT LOADED",
               current ? "" : " (an earlier upload)", loaded ? "" : ": ");
        if (!loaded)
            printf("      %s\n", bt_mgcli_str(s, "message"));
    }
}

static void print_packs(json_t *reply) {
    json_t *items = json_object_get(reply, "items");
    if (!json_array_size(items)) {
        printf("no packs are registered\n");
        return;
    }
    printf("%-20s %-12s %-13s %s\n", "NAME", "VERSION", "KIND", "ACTIVITIES");
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p) {
        json_t *acts = json_object_get(p, "activities");
        printf("%-20s %-12s %-13s", bt_mgcli_str(p, "name"),
               bt_mgcli_str(p, "version"), bt_mgcli_str(p, "kind"));
        size_t k;
        json_t *a;
        json_array_foreach(acts, k, a)
            printf("%s%s/%s", k ? ", " : " ", bt_mgcli_str(p, "name"),
                   json_string_value(a));
        printf("\n");
        print_servers_of(p);
    }
}

static void print_pack(json_t *p) {
    char when[32];
    bt_mgcli_time(p, "registered_at", when, sizeof when);
    printf("pack %s %s (%s)\n  checksum  %s\n  size      %lld bytes\n"
           "  by        %s at %s\n  activities",
           bt_mgcli_str(p, "name"), bt_mgcli_str(p, "version"),
           bt_mgcli_str(p, "kind"), bt_mgcli_str(p, "checksum"),
           (long long)json_integer_value(json_object_get(p, "size")),
           bt_mgcli_str(p, "registered_by"), when);
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(p, "activities"), k, a)
        printf("%s%s/%s", k ? ", " : " ", bt_mgcli_str(p, "name"),
               json_string_value(a));
    printf("\n");
    if (json_array_size(json_object_get(p, "servers"))) {
        printf("  runbook servers:\n");
        print_servers_of(p);
    }
}

static void print_removed(json_t *reply) {
    printf("removed pack %s\n", bt_mgcli_str(reply, "name"));
}

static int upload(bt_mgcli *o, const char *path, bool upgrade) {
    bt_buf archive;
    bt_buf_init(&archive, BT_PACK_FILE_MAX * 2 + 65536);
    bt_error err = {0};
    if (bt_pack_archive_make(path, &archive, &err)) {
        char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 16];
        bt_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "baton %s: %s; nothing was sent\n", o->cmd, msg);
        bt_buf_free(&archive);
        return BT_EXIT_USAGE;
    }
    size_t b64_len =
        sodium_base64_encoded_len(archive.len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = bt_xmalloc(b64_len);
    sodium_bin2base64(b64, b64_len, (const unsigned char *)archive.data,
                      archive.len, sodium_base64_VARIANT_ORIGINAL);
    bt_buf_free(&archive);
    json_t *body = json_pack("{s:s, s:b}", "archive", b64, "upgrade", upgrade);
    free(b64);
    return bt_mgcli_run(o, "POST", "/api/packs", body, print_pack);
}

int bt_cli_pack(int argc, char **argv) {
    bt_mgcli o = BT_MGCLI(
        "pack",
        "baton pack register FILE | upgrade FILE | list | show NAME | "
        "remove NAME  [--json] [--mgmt-url URL]",
        "Integration packs on the management server (administrators).\n"
        "FILE is a pack archive (.tar, .tar.gz), a pack directory or its "
        "pack.yaml\n(then the manifest and the library it names are sent). "
        "Every runbook server\nloads registered packs; list shows which "
        "loaded each pack, and why not.\nLocal commands (validate, test) "
        "load packs from BATON_PACK_PATH instead.\n");
    const char *pos[2] = {0};
    int n = 0;
    int rc = bt_mgcli_parse(&o, argc, argv, NULL, pos, 0, 2, &n);
    if (rc >= 0)
        return rc;
    const char *verb = n ? pos[0] : "list";
    if (!strcmp(verb, "list") && n <= 1)
        return bt_mgcli_run(&o, "GET", "/api/packs", NULL, print_packs);
    if ((!strcmp(verb, "register") || !strcmp(verb, "upgrade")) && n == 2)
        return upload(&o, pos[1], !strcmp(verb, "upgrade"));
    bool show = !strcmp(verb, "show");
    if ((show || !strcmp(verb, "remove") || !strcmp(verb, "rm")) && n == 2) {
        if (!bt_pack_name_valid(pos[1]))
            return bt_mgcli_usage(&o, "'%s' is not a pack name", pos[1]);
        char *path = bt_xasprintf("/api/packs/%s", pos[1]);
        rc = bt_mgcli_run(&o, show ? "GET" : "DELETE", path, NULL,
                          show ? print_pack : print_removed);
        free(path);
        return rc;
    }
    return bt_mgcli_usage(&o, "'%s' with %d argument%s is not a pack command",
                          verb, n ? n - 1 : 0, n == 2 ? "" : "s");
}
