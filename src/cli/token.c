/* baton token create|list|revoke: API tokens for scripts, through the web
 * service's /api/tokens (docs/security.md). The secret is printed once, at
 * creation; the service keeps only its hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "common/util.h"

static const char USAGE[] =
    "usage: baton token create [--name NAME] [--expires DAYS] [--json]\n"
    "       baton token list [--all] [--json]\n"
    "       baton token revoke ID\n"
    "Common options: --url URL, --user NAME (or BATON_USER + "
    "BATON_PASSWORD, or BATON_TOKEN).\n"
    "Use a token with BATON_TOKEN=... or `token = ...` in "
    "~/.config/baton/config.\n";

static int request(const char *url, const char *method, const char *path,
                   json_t *body, long ok, json_t **reply) {
    bt_client *c = NULL;
    bt_error err = {0};
    *reply = NULL;
    if (bt_client_open(url, &c, &err)) {
        fprintf(stderr, "baton token: %s\n", err.message);
        return BT_EXIT_USAGE;
    }
    long status = 0;
    int rc = -1;
    if (bt_client_call(c, method, path, body, 60, &status, reply, &err)) {
        fprintf(stderr, "baton token: %s\n", err.message);
        rc = BT_EXIT_FAILED;
    } else if (status != ok) {
        rc = bt_client_report("token", status, *reply);
        json_decref(*reply);
        *reply = NULL;
    }
    bt_client_close(c);
    return rc;
}

static const char *str(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void print_json(json_t *doc) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) puts(text);
    free(text);
}

int bt_cli_token(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? BT_EXIT_USAGE : BT_EXIT_OK;
    }
    const char *sub = argv[1];
    const char *url = NULL, *name = NULL, *id = NULL;
    long days = 0;
    bool json = false, all = false, bad = false;
    for (int i = 2; i < argc && !bad; i++) {
        const char *a = argv[i];
        if (bt_client_url_arg(argc, argv, &i, &url, &bad)) continue;
        if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--all") && !strcmp(sub, "list")) all = true;
        else if (!strcmp(a, "--name") && i + 1 < argc && !strcmp(sub, "create"))
            name = argv[++i];
        else if (!strcmp(a, "--expires") && i + 1 < argc &&
                 !strcmp(sub, "create")) {
            int64_t d;
            if (!bt_parse_int64(argv[++i], &d) || d < 1 || d > 3650) {
                fprintf(stderr, "baton token: --expires takes a number of "
                                "days from 1 to 3650, got '%s'\n", argv[i]);
                return BT_EXIT_USAGE;
            }
            days = (long)d;
        } else if (a[0] != '-' && !id && !strcmp(sub, "revoke"))
            id = a;
        else {
            fprintf(stderr, "baton token %s: unexpected argument '%s'\n%s",
                    sub, a, USAGE);
            return BT_EXIT_USAGE;
        }
    }
    if (bad) return BT_EXIT_USAGE;
    json_t *reply = NULL;
    int rc;
    if (!strcmp(sub, "create")) {
        json_t *body = json_object();
        if (name) json_object_set_new(body, "name", json_string(name));
        if (days) json_object_set_new(body, "expires_days", json_integer(days));
        rc = request(url, "POST", "/api/tokens", body, 201, &reply);
        json_decref(body);
        if (rc >= 0) return rc;
        if (json) {
            print_json(reply);
        } else {
            printf("%s\n", str(reply, "token"));
            fprintf(stderr,
                    "token %lld '%s' for %s, expires %s. This is the only "
                    "time it is shown: keep it secret (BATON_TOKEN=...).\n",
                    (long long)json_integer_value(json_object_get(reply, "id")),
                    str(reply, "name"), str(reply, "user"),
                    json_is_null(json_object_get(reply, "expires"))
                        ? "never"
                        : str(reply, "expires"));
        }
    } else if (!strcmp(sub, "list")) {
        rc = request(url, "GET", all ? "/api/tokens?all=true" : "/api/tokens",
                     NULL, 200, &reply);
        if (rc >= 0) return rc;
        if (json) {
            print_json(reply);
        } else {
            printf("%-6s %-20s %-12s %-25s %-25s %s\n", "ID", "NAME", "USER",
                   "CREATED", "EXPIRES", "LAST USED");
            size_t i;
            json_t *t;
            json_array_foreach(json_object_get(reply, "items"), i, t)
                printf("%-6lld %-20s %-12s %-25s %-25s %s\n",
                       (long long)json_integer_value(json_object_get(t, "id")),
                       str(t, "name"), str(t, "user"), str(t, "created"),
                       json_is_null(json_object_get(t, "expires"))
                           ? "never"
                           : str(t, "expires"),
                       str(t, "last_used"));
        }
    } else if (!strcmp(sub, "revoke")) {
        int64_t n;
        if (!id || !bt_parse_int64(id, &n) || n < 1) {
            fprintf(stderr, "baton token revoke: give the token's id (see "
                            "baton token list)\n");
            return BT_EXIT_USAGE;
        }
        char path[64];
        snprintf(path, sizeof path, "/api/tokens/%lld", (long long)n);
        rc = request(url, "DELETE", path, NULL, 200, &reply);
        if (rc >= 0) return rc;
        if (json) print_json(reply);
        else printf("token %lld revoked\n", (long long)n);
    } else {
        fprintf(stderr, "baton token: unknown subcommand '%s'\n%s", sub,
                USAGE);
        return BT_EXIT_USAGE;
    }
    json_decref(reply);
    return BT_EXIT_OK;
}
