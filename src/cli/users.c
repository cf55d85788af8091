/* baton user|group|perm: users, groups and folder permissions through the
 * web service (/api/users, /api/groups, /api/permissions; administrators
 * only, except `baton user passwd` for oneself). See docs/security.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "common/buf.h"
#include "common/util.h"

static const char USER_USAGE[] =
    "usage: baton user add NAME [--admin] [--password-stdin]\n"
    "       baton user list [--json]\n"
    "       baton user passwd NAME [--password-stdin]\n"
    "       baton user disable|enable|delete NAME\n"
    "The new password is read from stdin with --password-stdin, else from\n"
    "BATON_NEW_PASSWORD, else asked on the terminal (8 characters at "
    "least).\n";
static const char GROUP_USAGE[] =
    "usage: baton group add NAME [--description TEXT]\n"
    "       baton group list [--json]\n"
    "       baton group add-member GROUP USER\n"
    "       baton group remove-member GROUP USER\n"
    "       baton group delete GROUP\n";
static const char PERM_USAGE[] =
    "usage: baton perm grant FOLDER (--user NAME | --group NAME) RIGHTS\n"
    "       baton perm revoke FOLDER (--user NAME | --group NAME)\n"
    "       baton perm list [FOLDER] [--json]\n"
    "RIGHTS: a comma list of view,start,stop,author,admin (grant replaces "
    "what the\nuser or group had on FOLDER; rights are inherited by "
    "subfolders).\n";

typedef struct opts {
    const char *cmd; /* "user", "group", "perm" */
    const char *url;
    bool json;
    bool bad;
    const char *args[4];
    size_t n_args;
} opts;

static int request(opts *o, const char *method, const char *path, json_t *body,
                   json_t **reply) {
    bt_client *c = NULL;
    bt_error err = {0};
    *reply = NULL;
    if (bt_client_open(o->url, &c, &err)) {
        fprintf(stderr, "baton %s: %s\n", o->cmd, err.message);
        return BT_EXIT_USAGE;
    }
    long status = 0;
    int rc = -1;
    if (bt_client_call(c, method, path, body, 60, &status, reply, &err)) {
        fprintf(stderr, "baton %s: %s\n", o->cmd, err.message);
        rc = BT_EXIT_FAILED;
    } else if (status != 200 && status != 201) {
        rc = bt_client_report(o->cmd, status, *reply);
        json_decref(*reply);
        *reply = NULL;
    }
    bt_client_close(c);
    return rc;
}

static char *escape(opts *o, const char *text) {
    bt_client *c = NULL;
    if (bt_client_open(o->url, &c, NULL)) return bt_xstrdup(text);
    char *e = bt_client_escape(c, text);
    bt_client_close(c);
    return e;
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

static char *join(json_t *array) {
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        if (i) bt_buf_append(&b, ",", 1);
        const char *s = json_string_value(v);
        if (s) bt_buf_append(&b, s, strlen(s));
    }
    char *out = bt_xstrndup(b.data ? b.data : "", b.len);
    bt_buf_free(&b);
    return out;
}

/* A new password: stdin, BATON_NEW_PASSWORD or the terminal (twice). */
static char *new_password(bool from_stdin) {
    char line[1100];
    if (from_stdin) {
        if (!fgets(line, sizeof line, stdin)) return NULL;
        line[strcspn(line, "\r\n")] = '\0';
        char *pw = bt_xstrdup(line);
        memset(line, 0, sizeof line);
        return pw;
    }
    const char *env = getenv("BATON_NEW_PASSWORD");
    if (env && *env) return bt_xstrdup(env);
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return NULL;
    struct termios old, quiet;
    bool echo_off = tcgetattr(fileno(tty), &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    }
    char again[1100];
    char *pw = NULL;
    fputs("New password: ", tty);
    fflush(tty);
    if (fgets(line, sizeof line, tty)) {
        fputs("\nAgain: ", tty);
        fflush(tty);
        if (fgets(again, sizeof again, tty) && !strcmp(line, again)) {
            line[strcspn(line, "\r\n")] = '\0';
            pw = bt_xstrdup(line);
        } else {
            fputs("\nthe passwords differ", tty);
        }
    }
    if (echo_off) tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    memset(line, 0, sizeof line);
    memset(again, 0, sizeof again);
    return pw;
}

static int usage(const char *text, const char *cmd, const char *fmt,
                 const char *arg) {
    fprintf(stderr, "baton %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", text);
    return BT_EXIT_USAGE;
}

/* ---- baton user ------------------------------------------------------- */

int bt_cli_user(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(USER_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? BT_EXIT_USAGE : BT_EXIT_OK;
    }
    opts o = {.cmd = "user"};
    const char *sub = argv[1];
    bool admin = false, pw_stdin = false;
    for (int i = 2; i < argc && !o.bad; i++) {
        const char *a = argv[i];
        if (bt_client_url_arg(argc, argv, &i, &o.url, &o.bad)) continue;
        if (!strcmp(a, "--json")) o.json = true;
        else if (!strcmp(a, "--admin")) admin = true;
        else if (!strcmp(a, "--password-stdin")) pw_stdin = true;
        else if (a[0] != '-' && o.n_args < 1) o.args[o.n_args++] = a;
        else return usage(USER_USAGE, "user", "unexpected argument '%s'", a);
    }
    if (o.bad) return BT_EXIT_USAGE;
    json_t *reply = NULL;
    int rc;
    if (!strcmp(sub, "list")) {
        if ((rc = request(&o, "GET", "/api/users", NULL, &reply)) >= 0) return rc;
        if (o.json) {
            print_json(reply);
        } else {
            printf("%-20s %-6s %-9s %s\n", "NAME", "ADMIN", "DISABLED", "GROUPS");
            size_t i;
            json_t *u;
            json_array_foreach(json_object_get(reply, "items"), i, u) {
                char *groups = join(json_object_get(u, "groups"));
                printf("%-20s %-6s %-9s %s\n", str(u, "name"),
                       json_is_true(json_object_get(u, "admin")) ? "yes" : "no",
                       json_is_true(json_object_get(u, "disabled")) ? "yes" : "no",
                       groups);
                free(groups);
            }
        }
        json_decref(reply);
        return BT_EXIT_OK;
    }
    if (o.n_args != 1)
        return usage(USER_USAGE, "user", "%s needs a user name", sub);
    const char *name = o.args[0];
    char *ename = escape(&o, name);
    char *path = NULL;
    json_t *body = NULL;
    const char *method = "POST", *done = NULL;
    if (!strcmp(sub, "add") || !strcmp(sub, "passwd")) {
        char *pw = new_password(pw_stdin);
        if (!pw) {
            free(ename);
            fprintf(stderr, "baton user %s: no password given (use "
                            "--password-stdin, BATON_NEW_PASSWORD or a "
                            "terminal)\n", sub);
            return BT_EXIT_USAGE;
        }
        if (!strcmp(sub, "add")) {
            body = json_pack("{s:s, s:s, s:b}", "name", name, "password", pw,
                             "admin", admin);
            path = bt_xstrdup("/api/users");
            done = "created";
        } else {
            body = json_pack("{s:s}", "password", pw);
            path = bt_xasprintf("/api/users/%s/password", ename);
            done = "password changed";
        }
        memset(pw, 0, strlen(pw));
        free(pw);
    } else if (!strcmp(sub, "disable") || !strcmp(sub, "enable")) {
        path = bt_xasprintf("/api/users/%s/%s", ename, sub);
        done = !strcmp(sub, "disable") ? "disabled" : "enabled";
    } else if (!strcmp(sub, "delete")) {
        path = bt_xasprintf("/api/users/%s", ename);
        method = "DELETE";
        done = "deleted";
    } else {
        free(ename);
        return usage(USER_USAGE, "user", "unknown subcommand '%s'", sub);
    }
    rc = request(&o, method, path, body, &reply);
    free(path);
    free(ename);
    json_decref(body);
    if (rc >= 0) return rc;
    if (o.json) print_json(reply);
    else printf("user %s %s\n", name, done);
    json_decref(reply);
    return BT_EXIT_OK;
}

/* ---- baton group ------------------------------------------------------ */

int bt_cli_group(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(GROUP_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? BT_EXIT_USAGE : BT_EXIT_OK;
    }
    opts o = {.cmd = "group"};
    const char *sub = argv[1], *desc = NULL;
    for (int i = 2; i < argc && !o.bad; i++) {
        const char *a = argv[i];
        if (bt_client_url_arg(argc, argv, &i, &o.url, &o.bad)) continue;
        if (!strcmp(a, "--json")) o.json = true;
        else if (!strcmp(a, "--description") && i + 1 < argc) desc = argv[++i];
        else if (a[0] != '-' && o.n_args < 2) o.args[o.n_args++] = a;
        else return usage(GROUP_USAGE, "group", "unexpected argument '%s'", a);
    }
    if (o.bad) return BT_EXIT_USAGE;
    json_t *reply = NULL, *body = NULL;
    int rc;
    if (!strcmp(sub, "list")) {
        if ((rc = request(&o, "GET", "/api/groups", NULL, &reply)) >= 0) return rc;
        if (o.json) {
            print_json(reply);
        } else {
            printf("%-20s %s\n", "NAME", "MEMBERS");
            size_t i;
            json_t *g;
            json_array_foreach(json_object_get(reply, "items"), i, g) {
                char *m = join(json_object_get(g, "members"));
                printf("%-20s %s\n", str(g, "name"), m);
                free(m);
            }
        }
        json_decref(reply);
        return BT_EXIT_OK;
    }
    size_t want = !strcmp(sub, "add-member") || !strcmp(sub, "remove-member")
                      ? 2 : 1;
    if (o.n_args != want)
        return usage(GROUP_USAGE, "group", "%s: wrong number of names", sub);
    char *eg = escape(&o, o.args[0]);
    char *path;
    const char *method = "POST";
    if (!strcmp(sub, "add")) {
        body = json_pack("{s:s, s:s?}", "name", o.args[0], "description", desc);
        path = bt_xstrdup("/api/groups");
    } else if (!strcmp(sub, "add-member")) {
        body = json_pack("{s:s}", "user", o.args[1]);
        path = bt_xasprintf("/api/groups/%s/members", eg);
    } else if (!strcmp(sub, "remove-member")) {
        char *eu = escape(&o, o.args[1]);
        path = bt_xasprintf("/api/groups/%s/members/%s", eg, eu);
        free(eu);
        method = "DELETE";
    } else if (!strcmp(sub, "delete")) {
        path = bt_xasprintf("/api/groups/%s", eg);
        method = "DELETE";
    } else {
        free(eg);
        return usage(GROUP_USAGE, "group", "unknown subcommand '%s'", sub);
    }
    rc = request(&o, method, path, body, &reply);
    free(path);
    free(eg);
    json_decref(body);
    if (rc >= 0) return rc;
    if (o.json) {
        print_json(reply);
    } else if (json_object_get(reply, "members")) {
        char *m = join(json_object_get(reply, "members"));
        printf("group %s: members %s\n", str(reply, "name"), *m ? m : "(none)");
        free(m);
    } else {
        printf("group %s deleted\n", o.args[0]);
    }
    json_decref(reply);
    return BT_EXIT_OK;
}

/* ---- baton perm ------------------------------------------------------- */

int bt_cli_perm(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(PERM_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? BT_EXIT_USAGE : BT_EXIT_OK;
    }
    opts o = {.cmd = "perm"};
    const char *sub = argv[1], *user = NULL, *group = NULL;
    for (int i = 2; i < argc && !o.bad; i++) {
        const char *a = argv[i];
        /* here --user names whom the grant is for, not who logs in */
        if (!strcmp(a, "--user") && i + 1 < argc) user = argv[++i];
        else if (!strcmp(a, "--group") && i + 1 < argc) group = argv[++i];
        else if (bt_client_url_arg(argc, argv, &i, &o.url, &o.bad)) continue;
        else if (!strcmp(a, "--json")) o.json = true;
        else if (a[0] != '-' && o.n_args < 2) o.args[o.n_args++] = a;
        else return usage(PERM_USAGE, "perm", "unexpected argument '%s'", a);
    }
    if (o.bad) return BT_EXIT_USAGE;
    json_t *reply = NULL, *body = NULL;
    int rc;
    if (!strcmp(sub, "list")) {
        char *path = bt_xstrdup("/api/permissions");
        if (o.n_args) {
            char *e = escape(&o, o.args[0]);
            free(path);
            path = bt_xasprintf("/api/permissions?folder=%s", e);
            free(e);
        }
        rc = request(&o, "GET", path, NULL, &reply);
        free(path);
        if (rc >= 0) return rc;
        if (o.json) {
            print_json(reply);
        } else {
            printf("%-30s %-6s %-20s %s\n", "FOLDER", "KIND", "NAME", "RIGHTS");
            size_t i;
            json_t *p;
            json_array_foreach(json_object_get(reply, "items"), i, p) {
                const char *kind = str(p, "kind");
                char *rights = join(json_object_get(p, "rights"));
                printf("%-30s %-6s %-20s %s\n", str(p, "folder"), kind,
                       str(p, kind), rights);
                free(rights);
            }
        }
        json_decref(reply);
        return BT_EXIT_OK;
    }
    if (!user == !group)
        return usage(PERM_USAGE, "perm", "%s: give --user NAME or --group NAME",
                     sub);
    if (!strcmp(sub, "grant")) {
        if (o.n_args != 2)
            return usage(PERM_USAGE, "perm", "%s needs FOLDER and RIGHTS", sub);
        json_t *rights = json_array();
        char *copy = bt_xstrdup(o.args[1]), *save = NULL;
        for (char *t = strtok_r(copy, ", ", &save); t;
             t = strtok_r(NULL, ", ", &save))
            json_array_append_new(rights, json_string(t));
        free(copy);
        body = json_pack("{s:s, s:s?, s:s?, s:o}", "folder", o.args[0], "user",
                         user, "group", group, "rights", rights);
        rc = request(&o, "POST", "/api/permissions", body, &reply);
        json_decref(body);
    } else if (!strcmp(sub, "revoke")) {
        if (o.n_args != 1)
            return usage(PERM_USAGE, "perm", "%s needs FOLDER", sub);
        char *ef = escape(&o, o.args[0]);
        char *en = escape(&o, user ? user : group);
        char *path = bt_xasprintf("/api/permissions?folder=%s&%s=%s", ef,
                                  user ? "user" : "group", en);
        rc = request(&o, "DELETE", path, NULL, &reply);
        free(path);
        free(ef);
        free(en);
    } else {
        return usage(PERM_USAGE, "perm", "unknown subcommand '%s'", sub);
    }
    if (rc >= 0) return rc;
    if (o.json) {
        print_json(reply);
    } else {
        char *r = join(json_object_get(reply, "rights"));
        printf("%s %s on %s: %s\n", user ? "user" : "group", user ? user : group,
               str(reply, "folder"), *r ? r : "(no rights)");
        free(r);
    }
    json_decref(reply);
    return BT_EXIT_OK;
}
