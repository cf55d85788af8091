#include "cli/ports_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "runbook/doc.h"

static bool in_list(const char *const *list, const char *arg, size_t len) {
    for (; list && *list; list++)
        if (strlen(*list) == len && !strncmp(*list, arg, len))
            return true;
    return false;
}

int bt_ports_opts_parse(bt_ports_opts *o, int argc, char **argv,
                        const char *const *own_flags,
                        const char *const *own_valued) {
    /* batond's flags go to bt_config_load, which names any bad one. */
    char **fwd = bt_xcalloc((size_t)argc + 1, sizeof *fwd);
    int nfwd = 0;
    fwd[nfwd++] = (char *)"batond";
    o->files = bt_xcalloc((size_t)argc + 1, sizeof *o->files);
    o->own = bt_xcalloc((size_t)argc * 2 + 1, sizeof *o->own);
    const char *roles = NULL;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            if (a[0] == '-' && a[1]) {
                fprintf(stderr, "baton %s: unknown option '%s' (see --help)\n",
                        o->cmd, a);
                rc = BT_EXIT_USAGE;
            } else {
                o->files[o->n_files++] = a;
            }
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        bool valued = in_list(own_valued, a, len) ||
                      (len == 11 && !strncmp(a, "--host-role", 11));
        if (valued && !eq && i + 1 >= argc) {
            fprintf(stderr, "baton %s: %s needs a value\n", o->cmd, a);
            rc = BT_EXIT_USAGE;
            break;
        }
        if (len == 11 && !strncmp(a, "--host-role", 11)) {
            roles = eq ? eq + 1 : argv[++i];
        } else if (!strcmp(a, "--no-runbooks")) {
            o->no_runbooks = true;
        } else if (valued || in_list(own_flags, a, len)) {
            o->own[o->n_own++] = a;
            if (valued && !eq)
                o->own[o->n_own++] = argv[++i];
        } else {
            fwd[nfwd++] = a;
            bool plain = !strcmp(a, "--samples") || !strcmp(a, "--version");
            if (!eq && !plain && i + 1 < argc)
                fwd[nfwd++] = argv[++i];
        }
    }
    if (!rc && roles) {
        bt_error err = {0};
        if (bt_ports_parse_roles(roles, &o->host_roles, &err)) {
            fprintf(stderr, "baton %s: --host-role: %s\n", o->cmd, err.message);
            rc = BT_EXIT_USAGE;
        }
    }
    bool help = false;
    for (size_t i = 0; i < o->n_own; i++)
        if (!strcmp(o->own[i], "--help"))
            help = true;
    if (!rc && !help) {
        bt_error err = {0};
        if (bt_config_load(&o->cfg, nfwd, fwd, &err)) {
            fprintf(stderr, "baton %s: %s\n", o->cmd, err.message);
            rc = BT_EXIT_USAGE;
        }
    }
    free(fwd);
    return rc;
}

/* The whole file, up to the runbook size cap. */
static int read_file(const char *path, char **out, size_t *len, bt_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return bt_error_set(err, BT_EIO, "cannot read '%s': %s", path,
                            strerror(errno));
    size_t cap = 65536, n = 0;
    char *buf = bt_xcalloc(1, cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= BT_DOC_MAX_BYTES) {
                fclose(f);
                free(buf);
                return bt_error_set(err, BT_ETOOBIG,
                                    "'%s' is larger than %zu MiB", path,
                                    BT_DOC_MAX_BYTES >> 20);
            }
            cap *= 2;
            buf = bt_xrealloc(buf, cap + 1);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return bt_error_set(err, BT_EIO, "cannot read '%s'", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int bt_ports_opts_table(bt_ports_opts *o, bt_ports_table *t) {
    bt_ports_table_init(t, &o->cfg);
    bt_error err = {0};
    for (size_t i = 0; i < o->n_files; i++) {
        char *text = NULL;
        size_t len = 0;
        if (read_file(o->files[i], &text, &len, &err) ||
            bt_ports_add_runbook(t, o->files[i], text, len, &err)) {
            free(text);
            char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 32];
            bt_error_format(&err, msg, sizeof msg);
            /* A YAML error may not carry the file name. */
            if (!strstr(msg, o->files[i]))
                fprintf(stderr, "baton %s: %s: %s\n", o->cmd, o->files[i], msg);
            else
                fprintf(stderr, "baton %s: %s\n", o->cmd, msg);
            bt_ports_table_clear(t);
            return BT_EXIT_USAGE;
        }
        free(text);
    }
    if (!o->n_files && !o->no_runbooks &&
        bt_ports_add_store(t, &o->cfg, &err)) {
        fprintf(stderr, "baton %s: reading the deployed runbooks: %s\n", o->cmd,
                err.message);
        bt_ports_table_clear(t);
        return BT_EXIT_FAILED;
    }
    return 0;
}

void bt_ports_opts_clear(bt_ports_opts *o) {
    bt_config_clear(&o->cfg);
    free(o->files);
    free(o->own);
}
