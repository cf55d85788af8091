#include "cli/mgmt_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/util.h"

#define CALL_TIMEOUT_S 120L

/* `mgmt_url = VALUE` from the config file, or NULL. */
static char *config_mgmt_url(void) {
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char *path = NULL;
    if (xdg && *xdg)
        path = bt_xasprintf("%s/baton/config", xdg);
    else if (home && *home)
        path = bt_xasprintf("%s/.config/baton/config", home);
    if (!path)
        return NULL;
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    char *url = NULL;
    if (!bt_buf_read_file(&b, path, NULL)) {
        char *save = NULL;
        for (char *line = strtok_r(b.data ? b.data : (char *)"", "\n", &save);
             line; line = strtok_r(NULL, "\n", &save)) {
            line += strspn(line, " \t");
            if (strncmp(line, "mgmt_url", 8) && strncmp(line, "mgmt-url", 8))
                continue;
            char *p = line + 8;
            p += strspn(p, " \t");
            if (*p != '=')
                continue;
            p++;
            p += strspn(p, " \t");
            size_t len = strlen(p);
            while (len && strchr(" \t\r", p[len - 1]))
                len--;
            if (len >= 2 && (p[0] == '"' || p[0] == '\'') && p[len - 1] == p[0])
                p++, len -= 2;
            free(url);
            url = bt_xstrndup(p, len);
        }
    }
    bt_buf_free(&b);
    free(path);
    return url;
}

int bt_mgcli_usage(const bt_mgcli *o, const char *fmt, ...) {
    fprintf(stderr, "baton %s: ", o->cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", o->usage);
    return BT_EXIT_USAGE;
}

int bt_mgcli_common(bt_mgcli *o, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        printf("usage: %s\n%s", o->usage, o->help ? o->help : "");
        printf(
            "\nThe management server is --mgmt-url URL, else BATON_MGMT_URL, "
            "else mgmt_url = ...\nin ~/.config/baton/config, else %s. "
            "--json prints the server's answer.\nLog in with --user NAME "
            "(or BATON_USER and BATON_PASSWORD) or BATON_TOKEN.\nExit status: "
            "0 done, 1 "
            "failed or unreachable, 2 bad usage or invalid input,\n3 a "
            "conflict (checked out by someone else, not checked out, "
            "exists), 4 not found.\n",
            BT_MGMT_DEFAULT_URL);
        return 100 + BT_EXIT_OK;
    }
    if (!strcmp(a, "--json")) {
        o->json = true;
        return 1;
    }
    /* --user NAME stands for BATON_USER, as on the job commands */
    if (!strncmp(a, "--user=", 7) || !strcmp(a, "--user")) {
        bool bad = false;
        const char *unused = NULL;
        bt_client_url_arg(argc, argv, i, &unused, &bad);
        return bad ? 100 + BT_EXIT_USAGE : 1;
    }
    if (!strncmp(a, "--mgmt-url=", 11)) {
        o->url = a + 11;
        return 1;
    }
    if (!strcmp(a, "--mgmt-url")) {
        if (*i + 1 >= argc) {
            bt_mgcli_usage(o, "--mgmt-url needs a value (http://HOST:PORT)");
            return 100 + BT_EXIT_USAGE;
        }
        o->url = argv[++*i];
        return 1;
    }
    return 0;
}

int bt_mgcli_open(bt_mgcli *o) {
    if (o->client)
        return 0;
    char *url = NULL;
    const char *env = getenv("BATON_MGMT_URL");
    if (o->url && *o->url)
        url = bt_xstrdup(o->url);
    else if (env && *env)
        url = bt_xstrdup(env);
    else if (!(url = config_mgmt_url()))
        url = bt_xstrdup(BT_MGMT_DEFAULT_URL);
    bt_error err = {0};
    int rc = bt_client_open(url, &o->client, &err);
    free(url);
    if (rc) {
        fprintf(stderr, "baton %s: management server: %s\n", o->cmd,
                err.message);
        return BT_EXIT_USAGE;
    }
    bt_client_set_service(o->client, "the management server");
    return 0;
}

void bt_mgcli_close(bt_mgcli *o) {
    bt_client_close(o->client);
    o->client = NULL;
}

char *bt_mgcli_escape(bt_mgcli *o, const char *text) {
    return bt_client_escape(o->client, text);
}

static int exit_for_status(long status) {
    switch (status) {
    case 400:
    case 413:
        return BT_EXIT_USAGE;
    case 404:
        return BT_EXIT_NOT_FOUND;
    case 409:
        return BT_EXIT_CONFLICT;
    default:
        return BT_EXIT_FAILED;
    }
}

int bt_mgcli_call(bt_mgcli *o, const char *method, const char *path,
                  json_t *body, json_t **reply) {
    *reply = NULL;
    int rc = bt_mgcli_open(o);
    if (rc)
        return rc;
    long status = 0;
    bt_error err = {0};
    if (bt_client_call(o->client, method, path, body, CALL_TIMEOUT_S, &status,
                       reply, &err)) {
        fprintf(stderr,
                "baton %s: %s\n(the management server is set with "
                "--mgmt-url, BATON_MGMT_URL or mgmt_url in "
                "~/.config/baton/config)\n",
                o->cmd, err.message);
        return BT_EXIT_FAILED;
    }
    if (status >= 200 && status < 300)
        return -1;
    json_t *e = json_object_get(*reply, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (o->json) {
        bt_mgcli_print_json(*reply);
    } else {
        fprintf(stderr, "baton %s: %s\n", o->cmd,
                msg ? msg : "the management server answered an error");
        size_t i;
        json_t *p;
        json_t *problems = json_object_get(e, "problems");
        if (json_array_size(problems) > 1)
            json_array_foreach(problems, i, p) {
                if (json_is_string(p))
                    fprintf(stderr, "  %s\n", json_string_value(p));
                else
                    fprintf(stderr, "  %s: %s\n", bt_mgcli_str(p, "file"),
                            bt_mgcli_str(p, "message"));
            }
    }
    json_decref(*reply);
    *reply = NULL;
    return exit_for_status(status);
}

int bt_mgcli_run(bt_mgcli *o, const char *method, const char *path,
                 json_t *body, void (*print)(json_t *reply)) {
    json_t *reply = NULL;
    int rc = bt_mgcli_call(o, method, path, body, &reply);
    json_decref(body);
    if (rc < 0) {
        if (o->json || !print)
            bt_mgcli_print_json(reply);
        else
            print(reply);
        rc = BT_EXIT_OK;
    }
    json_decref(reply);
    bt_mgcli_close(o);
    return rc;
}

char *bt_mgcli_read_text(bt_mgcli *o, const char *path, int *rc) {
    bt_buf b;
    bt_buf_init(&b, BT_MGCLI_FILE_MAX);
    bt_error err = {0};
    if (bt_buf_read_file(&b, path, &err)) {
        fprintf(stderr, "baton %s: '%s': %s; nothing was sent\n", o->cmd, path,
                err.message);
        bt_buf_free(&b);
        *rc = BT_EXIT_USAGE;
        return NULL;
    }
    if (memchr(bt_buf_str(&b), '\0', b.len)) {
        fprintf(stderr,
                "baton %s: '%s' holds NUL bytes; it is not a runbook "
                "file\n",
                o->cmd, path);
        bt_buf_free(&b);
        *rc = BT_EXIT_USAGE;
        return NULL;
    }
    return bt_buf_detach(&b);
}

void bt_mgcli_print_json(json_t *doc) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text)
        puts(text);
    free(text);
}

const char *bt_mgcli_str(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

void bt_mgcli_time(json_t *o, const char *key, char *out, size_t size) {
    const char *t = bt_mgcli_str(o, key);
    snprintf(out, size, "%.19s", t);
    char *T = strchr(out, 'T');
    if (T)
        *T = ' ';
}

int bt_mgcli_parse(bt_mgcli *o, int argc, char **argv, const bt_mgcli_opt *opts,
                   const char **pos, int min_pos, int max_pos, int *n_pos) {
    int n = 0;
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && !strcmp(a, "--")) {
            only_pos = true;
            continue;
        }
        if (!only_pos) {
            int c = bt_mgcli_common(o, argc, argv, &i);
            if (c >= 100)
                return c - 100;
            if (c)
                continue;
        }
        bool done = false;
        for (size_t k = 0; !only_pos && opts && opts[k].name && !done; k++) {
            const bt_mgcli_opt *op = &opts[k];
            size_t nl = strlen(op->name);
            bool eq = !strncmp(a, op->name, nl) && a[nl] == '=';
            if (strcmp(a, op->name) && !eq &&
                !(op->alias && !strcmp(a, op->alias)))
                continue;
            done = true;
            if (op->flag) {
                if (eq)
                    return bt_mgcli_usage(o, "%s takes no value", op->name);
                *op->flag = true;
            } else if (eq) {
                *op->value = a + nl + 1;
            } else if (i + 1 >= argc) {
                return bt_mgcli_usage(o, "%s needs a value", a);
            } else {
                *op->value = argv[++i];
            }
        }
        if (done)
            continue;
        if (!only_pos && a[0] == '-' && a[1])
            return bt_mgcli_usage(o, "unknown option '%s'", a);
        if (n >= max_pos)
            return bt_mgcli_usage(o, "unexpected argument '%s'", a);
        pos[n++] = a;
    }
    if (n < min_pos)
        return bt_mgcli_usage(o, "missing arguments");
    if (n_pos)
        *n_pos = n;
    return -1;
}
