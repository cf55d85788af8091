/* Command-line packs: Orchestrator's Command Line Activity Wizard as a
 * manifest. Each activity declares its properties, a command template and
 * how its published data is found in the output:
 *
 *   command: [df, -P, [-t, "{fstype}"], "{path}"]
 *
 * Every element is one argument. "{name}" is replaced by the property's
 * value (itself expanded from published data by the engine); the command
 * runs without a shell, so a value is only ever one argument and cannot
 * inject anything. A nested list is a group of arguments dropped when a
 * property it names is not set. A string command is split at spaces before
 * the substitution, with the same guarantee.
 *
 * Published data: `published` fields are taken from the first match of a
 * PCRE2 pattern (a group's text) or from a JSON path into the output;
 * `rows` makes one row per pattern match (named groups become fields) or
 * per JSON path match. The process fields of run-program are published
 * too. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities/system/process.h"
#include "activities/system/ssh_exec.h"
#include "activities/utility/jsonpath.h"
#include "common/util.h"
#include "packs/cmdpack.h"
#include "runbook/runbook.h"

/* A field found in the output. */
typedef struct cmd_field {
    char *name;
    pcre2_code *re; /* or */
    char *json;     /* a JSON path */
    char *group;    /* regex: group name or number; NULL: 1 if any, else 0 */
    bool from_stderr;
    bool required;
    char *dflt;
} cmd_field;

/* One argument template: literal text and {property} references; a group
 * is several arguments dropped together when a property is unset. */
typedef struct cmd_arg {
    char **parts; /* one template per argument */
    size_t n_parts;
    bool optional; /* a group */
} cmd_arg;

typedef struct cmd_type {
    bt_activity_type type; /* first: the engine's view */
    cmd_arg *args;
    size_t n_args;
    char *input; /* template or NULL */
    cmd_field *fields;
    size_t n_fields;
    pcre2_code *rows_re;
    char *rows_json;
    cmd_field *row_fields; /* rows by JSON: paths relative to each match */
    size_t n_row_fields;
    int64_t *success;
    size_t n_success;
    uint64_t max_output;
    /* Remote: templates of the SSH settings; NULL host: run locally. */
    struct {
        char *host, *port, *user, *password, *key_file, *known_hosts,
            *host_key_check;
        uint64_t timeout_ms;
    } ssh;
} cmd_type;

/* What a run produced: a local process, or a command run over SSH. */
typedef struct cmd_output {
    const bt_buf *out, *err;
    bt_proc *proc;                 /* local */
    const bt_ssh_exec_result *ssh; /* remote */
    const char *host;
} cmd_output;

/* ---- templates ---------------------------------------------------------- */

/* Calls fn for each {name} in a template; returns the first non-zero. */
static int each_ref(const char *t,
                    int (*fn)(const char *name, size_t len, void *ud),
                    void *ud) {
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] == '{') {
            p++;
            continue;
        }
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end)
            return 0;
        int rc = fn(p + 1, (size_t)(end - p - 1), ud);
        if (rc)
            return rc;
        p = end;
    }
    return 0;
}

static const bt_prop_spec *find_prop(const bt_activity_type *t,
                                     const char *name, size_t len) {
    for (const bt_prop_spec *p = t->props; p->name; p++)
        if (strlen(p->name) == len && !strncmp(p->name, name, len))
            return p;
    return NULL;
}

typedef struct expand_env {
    bt_activity_ctx *ctx;
    const cmd_type *ct;
    bt_buf *out;
    bool missing; /* a property without a value */
} expand_env;

static int set_check(const char *name, size_t len, void *ud) {
    expand_env *e = ud;
    char *n = bt_xstrndup(name, len);
    const bt_prop_spec *p = find_prop(&e->ct->type, name, len);
    if (!bt_act_has(e->ctx, n) && !(p && p->default_text))
        e->missing = true;
    free(n);
    return 0;
}

static const char *expand(expand_env *e, const char *t) {
    bt_buf *b = e->out;
    b->len = 0;
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] == '{') {
            bt_buf_append(b, "{", 1);
            p++;
            continue;
        }
        if (p[0] == '}' && p[1] == '}') {
            bt_buf_append(b, "}", 1);
            p++;
            continue;
        }
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (!end) {
            bt_buf_append(b, p, 1);
            continue;
        }
        char *name = bt_xstrndup(p + 1, (size_t)(end - p - 1));
        const bt_prop_spec *spec = find_prop(&e->ct->type, name, strlen(name));
        const char *v = bt_act_str(
            e->ctx, name, spec && spec->default_text ? spec->default_text : "");
        bt_buf_append(b, v, strlen(v));
        free(name);
        p = end;
    }
    return bt_act_strdup(e->ctx, bt_buf_str(b));
}

/* ---- parsing the output -------------------------------------------------- */

static const char *field_text(const cmd_field *f, const cmd_output *o) {
    return bt_buf_str(f->from_stderr ? o->err : o->out);
}

/* The text of group g of a match, malloc'd; NULL when it did not take
 * part. */
static char *group_text(const pcre2_code *re, pcre2_match_data *md,
                        const char *subject, const char *group) {
    uint32_t groups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    int n;
    int64_t num;
    if (!group)
        n = groups ? 1 : 0;
    else if (bt_parse_int64(group, &num))
        n = (int)num;
    else
        n = pcre2_substring_number_from_name(re, (PCRE2_SPTR)group);
    if (n < 0 || (uint32_t)n > groups)
        return NULL;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * n] == PCRE2_UNSET)
        return NULL;
    return bt_xstrndup(subject + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
}

static char *regex_first(const cmd_field *f, const char *subject) {
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(f->re, NULL);
    char *v = NULL;
    if (pcre2_match(f->re, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md,
                    NULL) >= 0)
        v = group_text(f->re, md, subject, f->group);
    pcre2_match_data_free(md);
    return v;
}

static char *json_first(json_t *root, const char *path) {
    bt_jsonpath_matches m = {0};
    char err[128];
    char *v = NULL;
    if (root && bt_jsonpath_eval(root, path, &m, err, sizeof err) == 0 && m.n)
        v = bt_jsonpath_text(m.items[0]);
    bt_jsonpath_matches_free(&m);
    return v;
}

typedef struct parsed {
    json_t *json; /* stdout as JSON, when a field needs it */
    json_t *json_err;
} parsed;

static int parse_json_once(bt_activity_ctx *ctx, parsed *ps,
                           const cmd_output *o, bool from_stderr) {
    json_t **slot = from_stderr ? &ps->json_err : &ps->json;
    if (*slot)
        return 0;
    json_error_t je;
    const bt_buf *b = from_stderr ? o->err : o->out;
    *slot = json_loadb(bt_buf_str(b), b->len, JSON_DECODE_ANY, &je);
    if (!*slot)
        return bt_act_fail(ctx, "%s: the %s is not JSON: %s (line %d)",
                           bt_act_def(ctx)->type_name,
                           from_stderr ? "error output" : "output", je.text,
                           je.line);
    return 0;
}

/* The single-valued fields, published into the current row. */
static int publish_fields(bt_activity_ctx *ctx, const cmd_type *ct,
                          const cmd_output *p, parsed *ps) {
    for (size_t i = 0; i < ct->n_fields; i++) {
        const cmd_field *f = &ct->fields[i];
        char *v = NULL;
        if (f->re) {
            v = regex_first(f, field_text(f, p));
        } else {
            if (parse_json_once(ctx, ps, p, f->from_stderr))
                return -BT_EINVAL;
            v = json_first(f->from_stderr ? ps->json_err : ps->json, f->json);
        }
        if (!v && f->required)
            return bt_act_fail(ctx,
                               "%s: published field '%s' not found in "
                               "the output (%s '%s')",
                               bt_act_def(ctx)->type_name, f->name,
                               f->re ? "pattern" : "JSON path",
                               f->re ? "" : f->json);
        bt_act_publish(ctx, f->name, v ? v : (f->dflt ? f->dflt : ""));
        free(v);
    }
    return 0;
}

/* The fields of how the command ran: Run Program's for a local process,
 * Run SSH Command's for a remote one. The output only in the first row. */
static void publish_run_fields(bt_activity_ctx *ctx, const cmd_output *o,
                               bool with_output) {
    if (o->proc) {
        bt_procact_publish_fields(ctx, o->proc, with_output);
        return;
    }
    bt_act_publish(ctx, "host", o->host);
    if (o->ssh->status >= 0)
        bt_act_publishf(ctx, "exit_code", "%d", o->ssh->status);
    else
        bt_act_publish(ctx, "exit_code", "");
    bt_act_publishn(ctx, "stdout", with_output ? bt_buf_str(o->out) : "",
                    with_output ? o->out->len : 0);
    bt_act_publishn(ctx, "stderr", with_output ? bt_buf_str(o->err) : "",
                    with_output ? o->err->len : 0);
    bt_act_publish(ctx, "truncated", o->ssh->truncated ? "true" : "false");
    bt_act_publish(ctx, "host_key_fingerprint",
                   o->ssh->fingerprint ? o->ssh->fingerprint : "");
}

static void publish_row_common(bt_activity_ctx *ctx, const cmd_type *ct,
                               const cmd_output *p, parsed *ps, size_t row) {
    publish_run_fields(ctx, p, row == 0);
    publish_fields(ctx, ct, p, ps);
}

static size_t rows_by_regex(bt_activity_ctx *ctx, const cmd_type *ct,
                            const cmd_output *p, parsed *ps) {
    const char *s = bt_buf_str(p->out);
    size_t len = strlen(s), off = 0, rows = 0;
    uint32_t n_names = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(ct->rows_re, PCRE2_INFO_NAMECOUNT, &n_names);
    pcre2_pattern_info(ct->rows_re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(ct->rows_re, PCRE2_INFO_NAMETABLE, &table);
    pcre2_match_data *md =
        pcre2_match_data_create_from_pattern(ct->rows_re, NULL);
    while (off <= len && pcre2_match(ct->rows_re, (PCRE2_SPTR)s, len, off, 0,
                                     md, NULL) >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (rows)
            bt_act_new_row(ctx);
        if (!n_names)
            bt_act_publishn(ctx, "match", s + ov[0], ov[1] - ov[0]);
        for (uint32_t i = 0; i < n_names; i++) {
            PCRE2_SPTR e = table + i * entry;
            int g = (e[0] << 8) | e[1];
            const char *name = (const char *)e + 2;
            if (ov[2 * g] == PCRE2_UNSET)
                bt_act_publish(ctx, name, "");
            else
                bt_act_publishn(ctx, name, s + ov[2 * g],
                                ov[2 * g + 1] - ov[2 * g]);
        }
        publish_row_common(ctx, ct, p, ps, rows++);
        /* An empty match would match again at the same place. */
        off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    pcre2_match_data_free(md);
    return rows;
}

static size_t rows_by_json(bt_activity_ctx *ctx, const cmd_type *ct,
                           const cmd_output *p, parsed *ps) {
    if (parse_json_once(ctx, ps, p, false))
        return 0;
    bt_jsonpath_matches m = {0};
    char err[128];
    size_t rows = 0;
    if (bt_jsonpath_eval(ps->json, ct->rows_json, &m, err, sizeof err) != 0)
        return 0;
    for (size_t i = 0; i < m.n; i++) {
        if (rows)
            bt_act_new_row(ctx);
        if (!ct->n_row_fields) {
            char *v = bt_jsonpath_text(m.items[i]);
            bt_act_publish(ctx, "item", v);
            free(v);
        }
        for (size_t k = 0; k < ct->n_row_fields; k++) {
            char *v = json_first(m.items[i], ct->row_fields[k].json);
            bt_act_publish(
                ctx, ct->row_fields[k].name,
                v ? v : (ct->row_fields[k].dflt ? ct->row_fields[k].dflt : ""));
            free(v);
        }
        publish_row_common(ctx, ct, p, ps, rows++);
    }
    bt_jsonpath_matches_free(&m);
    return rows;
}

/* Publishes the fields and rows found in the output. */
static void publish_output(bt_activity_ctx *ctx, const cmd_type *ct,
                           const cmd_output *o, bool ran) {
    parsed ps = {0};
    if (!ran) {
        publish_run_fields(ctx, o, true);
    } else if (ct->rows_re || ct->rows_json) {
        size_t rows = ct->rows_re ? rows_by_regex(ctx, ct, o, &ps)
                                  : rows_by_json(ctx, ct, o, &ps);
        if (!rows && !bt_act_failed(ctx)) {
            publish_row_common(ctx, ct, o, &ps, 0);
            bt_act_publish_no_rows(ctx);
        }
    } else {
        publish_run_fields(ctx, o, true);
        publish_fields(ctx, ct, o, &ps);
    }
    json_decref(ps.json);
    json_decref(ps.json_err);
}

static void finish(bt_activity_ctx *ctx, bt_proc *p, const bt_procact_cfg *cfg,
                   void *ud) {
    bool ran = bt_procact_result(ctx, p, cfg, bt_act_def(ctx)->type_name);
    cmd_output o = {
        .out = bt_proc_stdout(p), .err = bt_proc_stderr(p), .proc = p};
    publish_output(ctx, ud, &o, ran);
}

/* The command's arguments with the properties' values. */
static const char **build_argv(bt_activity_ctx *ctx, const cmd_type *ct,
                               expand_env *e) {
    size_t n = 0, cap = 1;
    for (size_t i = 0; i < ct->n_args; i++)
        cap += ct->args[i].n_parts;
    const char **argv = bt_act_alloc(ctx, cap * sizeof *argv);
    for (size_t i = 0; i < ct->n_args; i++) {
        const cmd_arg *a = &ct->args[i];
        if (a->optional) {
            e->missing = false;
            for (size_t k = 0; k < a->n_parts; k++)
                each_ref(a->parts[k], set_check, e);
            if (e->missing)
                continue;
        }
        for (size_t k = 0; k < a->n_parts; k++)
            argv[n++] = expand(e, a->parts[k]);
    }
    argv[n] = NULL;
    return argv;
}

static int run(bt_activity_ctx *ctx) {
    const cmd_type *ct = (const cmd_type *)bt_act_def(ctx)->type;
    bt_buf scratch;
    bt_buf_init(&scratch, 0);
    expand_env e = {.ctx = ctx, .ct = ct, .out = &scratch};
    const char **argv = build_argv(ctx, ct, &e);
    bt_procact_cfg *cfg = bt_act_alloc(ctx, sizeof *cfg);
    memset(cfg, 0, sizeof *cfg);
    cfg->opts.file = argv[0];
    cfg->opts.argv = argv;
    cfg->opts.max_output = ct->max_output;
    if (ct->input) {
        cfg->opts.input = expand(&e, ct->input);
        cfg->opts.input_len = strlen(cfg->opts.input);
    }
    bt_buf_free(&scratch);
    cfg->success_codes = ct->success;
    cfg->n_success = ct->n_success;
    if (!*argv[0])
        return bt_act_fail(ctx, "%s: the command's program is empty",
                           bt_act_def(ctx)->type_name);
    return bt_procact_start(ctx, cfg, finish, (void *)ct);
}

/* The remote shell gets one word per argument: each is single-quoted, so
 * a value from published data is never shell syntax there either. */
static const char *shell_join(bt_activity_ctx *ctx, const char **argv) {
    bt_buf b;
    bt_buf_init(&b, 0);
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            bt_buf_append(&b, " ", 1);
        bt_buf_append(&b, "'", 1);
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'')
                bt_buf_append(&b, "'\\''", 4);
            else
                bt_buf_append(&b, c, 1);
        }
        bt_buf_append(&b, "'", 1);
    }
    const char *out = bt_act_strdup(ctx, bt_buf_str(&b));
    bt_buf_free(&b);
    return out;
}

static bool has_code(const cmd_type *ct, int64_t code) {
    for (size_t i = 0; i < ct->n_success; i++)
        if (ct->success[i] == code)
            return true;
    return false;
}

/* A remote activity: BLOCKING, since libssh's calls block. */
static int run_ssh(bt_activity_ctx *ctx) {
    const cmd_type *ct = (const cmd_type *)bt_act_def(ctx)->type;
    const char *type = bt_act_def(ctx)->type_name;
    bt_buf scratch;
    bt_buf_init(&scratch, 0);
    expand_env e = {.ctx = ctx, .ct = ct, .out = &scratch};
    const char **argv = build_argv(ctx, ct, &e);
    const char *port_text = ct->ssh.port ? expand(&e, ct->ssh.port) : "22";
    const char *check =
        ct->ssh.host_key_check ? expand(&e, ct->ssh.host_key_check) : "strict";
    bt_ssh_exec_opts o = {
        .host = expand(&e, ct->ssh.host),
        .user = ct->ssh.user ? expand(&e, ct->ssh.user) : "",
        .password = ct->ssh.password ? expand(&e, ct->ssh.password) : "",
        .key_file = ct->ssh.key_file ? expand(&e, ct->ssh.key_file) : "",
        .known_hosts =
            ct->ssh.known_hosts ? expand(&e, ct->ssh.known_hosts) : "",
        .command = shell_join(ctx, argv),
        .input = ct->input ? expand(&e, ct->input) : NULL,
        .timeout_ms = ct->ssh.timeout_ms,
        .max_output = ct->max_output,
    };
    bt_buf_free(&scratch);
    int64_t port;
    if (!bt_parse_int64(port_text, &port) || port < 1 || port > 65535)
        return bt_act_fail(ctx, "%s: SSH port '%s' is not 1 to 65535", type,
                           port_text);
    o.port = (int)port;
    if (!*o.host || !*o.user)
        return bt_act_fail(ctx, "%s: the SSH host and user must not be empty",
                           type);
    if (strcmp(check, "strict") && strcmp(check, "accept-new"))
        return bt_act_fail(ctx,
                           "%s: host_key_check must be strict or accept-new, "
                           "got '%s'",
                           type, check);
    o.accept_new = !strcmp(check, "accept-new");
    /* Empty means unset: a property left out expands to "". */
    if (!*o.password)
        o.password = NULL;
    if (!*o.key_file)
        o.key_file = NULL;
    if (!*o.known_hosts)
        o.known_hosts = NULL;
    if (!o.password && !o.key_file)
        return bt_act_fail(ctx,
                           "%s: give the SSH password or "
                           "private_key_file",
                           type);
    bt_ssh_exec_result res;
    bt_error err = {0};
    int rc = bt_ssh_exec(&o, &res, &err);
    cmd_output out = {
        .out = &res.out, .err = &res.err, .ssh = &res, .host = o.host};
    if (rc) {
        bt_act_fail(ctx, "%s: %s", type, err.message);
        publish_run_fields(ctx, &out, true);
    } else {
        bool ran = res.status >= 0 && has_code(ct, res.status);
        if (!ran) {
            const char *m = bt_buf_str(&res.err);
            size_t n = strcspn(m, "\n");
            bt_act_fail(ctx, "%s on %s exited with code %d%s%.*s", type, o.host,
                        res.status, n ? ": " : "", (int)(n > 200 ? 200 : n), m);
        }
        publish_output(ctx, ct, &out, ran);
    }
    bt_ssh_exec_result_free(&res);
    return 0;
}

/* ---- reading the manifest ------------------------------------------------ */

typedef struct reader {
    const bt_pack_manifest *m;
    bt_error *err;
    cmd_type *ct;
} reader;

static const char *scalar(const bt_node *map, const char *key) {
    const bt_node *n = bt_node_get(map, key);
    return n && n->kind == BT_NODE_SCALAR ? n->str : NULL;
}

static int bad(reader *r, const bt_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(reader *r, const bt_node *at, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *an = r->ct && r->ct->type.name ? r->ct->type.name : NULL;
    return bt__pack_manifest_error(r->m, at, r->err, "%s%s%s%s",
                                   an ? "activity '" : "", an ? an : "",
                                   an ? "': " : "", msg);
}

static int check_keys(reader *r, const bt_node *map, const char *const *known) {
    for (size_t i = 0; i < map->count; i++) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], map->keys[i]->str))
            k++;
        if (!known[k])
            return bad(r, map->keys[i], "unknown field '%s'",
                       map->keys[i]->str);
    }
    return 0;
}

static int compile_re(reader *r, const bt_node *at, const char *pattern,
                      pcre2_code **out) {
    int code;
    PCRE2_SIZE off;
    *out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                         PCRE2_MULTILINE | PCRE2_UTF, &code, &off, NULL);
    if (*out)
        return 0;
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code, msg, sizeof msg);
    return bad(r, at, "pattern '%s': %s at offset %zu", pattern,
               (const char *)msg, (size_t)off);
}

static int check_json_path(reader *r, const bt_node *at, const char *path) {
    json_t *probe = json_object();
    bt_jsonpath_matches m = {0};
    char err[200];
    int rc = bt_jsonpath_eval(probe, path, &m, err, sizeof err);
    bt_jsonpath_matches_free(&m);
    json_decref(probe);
    return rc ? bad(r, at, "JSON path '%s': %s", path, err) : 0;
}

static int read_field(reader *r, const bt_node *n, cmd_field *f, bool in_rows) {
    static const char *const known[] = {"name", "regex",    "group",   "json",
                                        "from", "required", "default", NULL};
    if (n->kind != BT_NODE_MAP)
        return bad(r, n, "a published field is a map (name, regex or json)");
    int rc = check_keys(r, n, known);
    if (rc)
        return rc;
    const char *name = scalar(n, "name"), *re = scalar(n, "regex"),
               *json = scalar(n, "json"), *from = scalar(n, "from");
    if (!name || !*name)
        return bad(r, n, "a published field needs a name");
    f->name = bt_xstrdup(name);
    if (!!re == !!json)
        return bad(r, n, "field '%s': give one of regex and json", name);
    if (in_rows && re)
        return bad(r, n, "field '%s': fields of JSON rows are JSON paths",
                   name);
    if (re && (rc = compile_re(r, bt_node_get(n, "regex"), re, &f->re)))
        return rc;
    if (json) {
        if ((rc = check_json_path(r, bt_node_get(n, "json"), json)))
            return rc;
        f->json = bt_xstrdup(json);
    }
    if (scalar(n, "group"))
        f->group = bt_xstrdup(scalar(n, "group"));
    if (f->group && f->re) {
        int64_t num;
        uint32_t groups = 0;
        pcre2_pattern_info(f->re, PCRE2_INFO_CAPTURECOUNT, &groups);
        bool ok = bt_parse_int64(f->group, &num)
                      ? num >= 0 && num <= groups
                      : pcre2_substring_number_from_name(
                            f->re, (PCRE2_SPTR)f->group) >= 0;
        if (!ok)
            return bad(r, bt_node_get(n, "group"),
                       "field '%s': the pattern has no group '%s'", name,
                       f->group);
    }
    if (from && strcmp(from, "stdout") && strcmp(from, "stderr"))
        return bad(r, bt_node_get(n, "from"),
                   "field '%s': from must be stdout or stderr", name);
    f->from_stderr = from && !strcmp(from, "stderr");
    if (scalar(n, "required") &&
        !bt_parse_bool(scalar(n, "required"), &f->required))
        return bad(r, bt_node_get(n, "required"),
                   "field '%s': required must be true or false", name);
    if (scalar(n, "default"))
        f->dflt = bt_xstrdup(scalar(n, "default"));
    return 0;
}

static int read_props(reader *r, const bt_node *list) {
    static const char *const kinds[] = {"string",  "integer",  "number",
                                        "boolean", "duration", NULL};
    static const char *const known[] = {
        "name", "type", "required", "default", "description", "choices", NULL};
    size_t n = list ? list->count : 0;
    if (list && list->kind != BT_NODE_SEQ)
        return bad(r, list, "properties must be a list");
    bt_prop_spec *props = bt_xcalloc(n + 1, sizeof *props);
    r->ct->type.props = props;
    for (size_t i = 0; i < n; i++) {
        const bt_node *p = list->items[i];
        if (p->kind != BT_NODE_MAP)
            return bad(r, p, "a property is a map (name, type, ...)");
        int rc = check_keys(r, p, known);
        if (rc)
            return rc;
        const char *name = scalar(p, "name"), *type = scalar(p, "type");
        if (!name || !bt__pack_name_ok(name))
            return bad(r, p,
                       "a property needs a name of lower-case letters, "
                       "digits, '-' and '_'");
        size_t k = 0;
        while (type && kinds[k] && strcmp(kinds[k], type))
            k++;
        if (type && !kinds[k])
            return bad(r, bt_node_get(p, "type"),
                       "property '%s': type '%s' is not one of string, "
                       "integer, number, boolean, duration",
                       name, type);
        bool required = false;
        if (scalar(p, "required") &&
            !bt_parse_bool(scalar(p, "required"), &required))
            return bad(r, bt_node_get(p, "required"),
                       "property '%s': required must be true or false", name);
        const bt_node *choices = bt_node_get(p, "choices");
        const char **ch = NULL;
        if (choices) {
            if (choices->kind != BT_NODE_SEQ)
                return bad(r, choices, "property '%s': choices is a list",
                           name);
            ch = bt_xcalloc(choices->count + 1, sizeof *ch);
            for (size_t c = 0; c < choices->count; c++)
                ch[c] = bt_xstrdup(choices->items[c]->str);
        }
        const char *d = scalar(p, "default"), *desc = scalar(p, "description");
        props[i] = (bt_prop_spec){bt_xstrdup(name),
                                  (bt_prop_kind)(type ? k : 0),
                                  required,
                                  d ? bt_xstrdup(d) : NULL,
                                  bt_xstrdup(desc ? desc : ""),
                                  (const char *const *)ch};
    }
    return 0;
}

typedef struct ref_check {
    reader *r;
    const bt_node *at;
} ref_check;

static int ref_known(const char *name, size_t len, void *ud) {
    ref_check *c = ud;
    if (find_prop(&c->r->ct->type, name, len))
        return 0;
    return bad(c->r, c->at, "'{%.*s}' is not one of the activity's properties",
               (int)len, name);
}

static int read_template(reader *r, const bt_node *n, char **out) {
    if (n->kind != BT_NODE_SCALAR)
        return bad(r, n, "a command argument is a text");
    ref_check c = {r, n};
    int rc = each_ref(n->str, ref_known, &c);
    if (!rc)
        *out = bt_xstrdup(n->str);
    return rc;
}

static int read_command(reader *r, const bt_node *cmd) {
    cmd_type *ct = r->ct;
    if (!cmd || (cmd->kind != BT_NODE_SEQ && cmd->kind != BT_NODE_SCALAR) ||
        (cmd->kind == BT_NODE_SEQ && !cmd->count))
        return bad(r, cmd,
                   "'command' is required: a list of arguments, or "
                   "a text split at spaces");
    if (cmd->kind == BT_NODE_SCALAR) {
        /* Split before substitution: a value is never split. */
        char *copy = bt_xstrdup(cmd->str), *save = NULL;
        for (char *w = strtok_r(copy, " \t\n", &save); w;
             w = strtok_r(NULL, " \t\n", &save)) {
            ct->args =
                bt_xrealloc(ct->args, (ct->n_args + 1) * sizeof *ct->args);
            cmd_arg *a = &ct->args[ct->n_args++];
            memset(a, 0, sizeof *a);
            ref_check c = {r, cmd};
            int rc = each_ref(w, ref_known, &c);
            if (rc) {
                free(copy);
                return rc;
            }
            a->parts = bt_xcalloc(1, sizeof *a->parts);
            a->parts[a->n_parts++] = bt_xstrdup(w);
        }
        free(copy);
        if (!ct->n_args)
            return bad(r, cmd, "'command' is empty");
        return 0;
    }
    ct->args = bt_xcalloc(cmd->count, sizeof *ct->args);
    for (size_t i = 0; i < cmd->count; i++) {
        const bt_node *it = cmd->items[i];
        cmd_arg *a = &ct->args[ct->n_args++];
        bool group = it->kind == BT_NODE_SEQ;
        if (group && i == 0)
            return bad(r, it,
                       "the program (first argument) cannot be "
                       "optional");
        size_t np = group ? it->count : 1;
        a->parts = bt_xcalloc(np ? np : 1, sizeof *a->parts);
        a->optional = group;
        for (size_t k = 0; k < np; k++) {
            int rc = read_template(r, group ? it->items[k] : it,
                                   &a->parts[a->n_parts]);
            if (rc)
                return rc;
            a->n_parts++;
        }
    }
    return 0;
}

static int read_rows(reader *r, const bt_node *rows) {
    cmd_type *ct = r->ct;
    static const char *const known[] = {"regex", "json", "fields", NULL};
    if (rows->kind != BT_NODE_MAP)
        return bad(r, rows, "rows is a map: regex, or json with fields");
    int rc = check_keys(r, rows, known);
    if (rc)
        return rc;
    const char *re = scalar(rows, "regex"), *json = scalar(rows, "json");
    if (!!re == !!json)
        return bad(r, rows, "rows: give one of regex and json");
    if (re)
        return compile_re(r, bt_node_get(rows, "regex"), re, &ct->rows_re);
    if ((rc = check_json_path(r, bt_node_get(rows, "json"), json)))
        return rc;
    ct->rows_json = bt_xstrdup(json);
    const bt_node *fields = bt_node_get(rows, "fields");
    if (fields && fields->kind != BT_NODE_SEQ)
        return bad(r, fields, "rows: fields is a list");
    size_t n = fields ? fields->count : 0;
    ct->row_fields = bt_xcalloc(n + 1, sizeof *ct->row_fields);
    for (size_t i = 0; i < n; i++) {
        if ((rc = read_field(r, fields->items[i], &ct->row_fields[i], true)))
            return rc;
        ct->n_row_fields++;
    }
    return 0;
}

/* The published names: process fields, row fields, single fields. */
static void build_published(cmd_type *ct) {
    static const char *const local[] = {BT_PROCACT_PUBLISHED, NULL};
    static const char *const remote[] = {"host",      "exit_code",
                                         "stdout",    "stderr",
                                         "truncated", "host_key_fingerprint",
                                         NULL};
    const char *const *proc = ct->ssh.host ? remote : local;
    size_t n_proc = 0;
    while (proc[n_proc])
        n_proc++;
    size_t n = n_proc + ct->n_fields + ct->n_row_fields + 2;
    uint32_t names = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    if (ct->rows_re) {
        pcre2_pattern_info(ct->rows_re, PCRE2_INFO_NAMECOUNT, &names);
        pcre2_pattern_info(ct->rows_re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
        pcre2_pattern_info(ct->rows_re, PCRE2_INFO_NAMETABLE, &table);
    }
    const char **pub = bt_xcalloc(n + names, sizeof *pub);
    size_t k = 0;
    for (size_t i = 0; i < n_proc; i++)
        pub[k++] = proc[i];
    for (size_t i = 0; i < ct->n_fields; i++)
        pub[k++] = ct->fields[i].name;
    for (size_t i = 0; i < ct->n_row_fields; i++)
        pub[k++] = ct->row_fields[i].name;
    for (uint32_t i = 0; i < names; i++)
        pub[k++] = (const char *)table + i * entry + 2; /* lives with re */
    if (ct->rows_re && !names)
        pub[k++] = "match";
    if (ct->rows_json && !ct->n_row_fields)
        pub[k++] = "item";
    ct->type.published = pub;
}

static int read_codes(reader *r, const bt_node *n) {
    cmd_type *ct = r->ct;
    if (!n) {
        ct->success = bt_xcalloc(1, sizeof *ct->success);
        ct->n_success = 1;
        return 0;
    }
    if (n->kind != BT_NODE_SEQ || !n->count)
        return bad(r, n, "success_codes is a non-empty list of integers");
    ct->success = bt_xcalloc(n->count, sizeof *ct->success);
    for (size_t i = 0; i < n->count; i++)
        if (n->items[i]->kind != BT_NODE_SCALAR ||
            !bt_parse_int64(n->items[i]->str, &ct->success[ct->n_success++]))
            return bad(r, n->items[i], "success_codes: '%s' is not an integer",
                       n->items[i]->str);
    return 0;
}

/* ssh: {host, port, user, password, private_key_file, known_hosts_file,
 * host_key_check, timeout}: templates of the activity's properties. */
static int read_ssh(reader *r, const bt_node *n) {
    static const char *const known[] = {"host",
                                        "port",
                                        "user",
                                        "password",
                                        "private_key_file",
                                        "known_hosts_file",
                                        "host_key_check",
                                        "timeout",
                                        NULL};
    if (n->kind != BT_NODE_MAP)
        return bad(r, n,
                   "ssh is a map (host, user, password or "
                   "private_key_file, ...)");
    int rc = check_keys(r, n, known);
    if (rc)
        return rc;
    cmd_type *ct = r->ct;
    struct {
        const char *key;
        char **slot;
    } fields[] = {{"host", &ct->ssh.host},
                  {"port", &ct->ssh.port},
                  {"user", &ct->ssh.user},
                  {"password", &ct->ssh.password},
                  {"private_key_file", &ct->ssh.key_file},
                  {"known_hosts_file", &ct->ssh.known_hosts},
                  {"host_key_check", &ct->ssh.host_key_check}};
    for (size_t i = 0; i < BT_ARRAY_LEN(fields); i++) {
        const bt_node *v = bt_node_get(n, fields[i].key);
        if (v && (rc = read_template(r, v, fields[i].slot)))
            return rc;
    }
    if (!ct->ssh.host || !ct->ssh.user)
        return bad(r, n, "ssh needs host and user");
    if (!ct->ssh.password && !ct->ssh.key_file)
        return bad(r, n, "ssh needs password or private_key_file");
    const char *t = scalar(n, "timeout");
    ct->ssh.timeout_ms = 300000;
    if (t && bt_duration_parse(t, &ct->ssh.timeout_ms))
        return bad(r, bt_node_get(n, "timeout"),
                   "ssh timeout '%s' is not a duration (5s, 2m)", t);
    return 0;
}

static int read_activity(reader *r, const bt_node *a) {
    static const char *const known[] = {
        "name",      "title", "description",   "properties", "command", "input",
        "published", "rows",  "success_codes", "max_output", "ssh",     NULL};
    cmd_type *ct = r->ct;
    if (a->kind != BT_NODE_MAP)
        return bad(r, a,
                   "a command-line activity is a map (name, command, "
                   "published...)");
    const char *name = scalar(a, "name");
    if (!name || !bt__pack_name_ok(name))
        return bad(r, a,
                   "an activity needs a name of lower-case letters, "
                   "digits, '-' and '_'");
    ct->type.name = bt_xasprintf("%s/%s", r->m->name, name);
    int rc = check_keys(r, a, known);
    if (rc || (rc = read_props(r, bt_node_get(a, "properties"))) ||
        (rc = read_command(r, bt_node_get(a, "command"))) ||
        (rc = read_codes(r, bt_node_get(a, "success_codes"))))
        return rc;
    const bt_node *ssh = bt_node_get(a, "ssh");
    if (ssh && (rc = read_ssh(r, ssh)))
        return rc;
    const bt_node *input = bt_node_get(a, "input");
    if (input && (rc = read_template(r, input, &ct->input)))
        return rc;
    const bt_node *pub = bt_node_get(a, "published");
    if (pub && pub->kind != BT_NODE_SEQ)
        return bad(r, pub, "published is a list of fields");
    size_t n = pub ? pub->count : 0;
    ct->fields = bt_xcalloc(n + 1, sizeof *ct->fields);
    for (size_t i = 0; i < n; i++) {
        if ((rc = read_field(r, pub->items[i], &ct->fields[i], false)))
            return rc;
        ct->n_fields++;
    }
    const bt_node *rows = bt_node_get(a, "rows");
    if (rows && (rc = read_rows(r, rows)))
        return rc;
    const char *max = scalar(a, "max_output");
    int64_t mo = BT_PROC_DEFAULT_MAX_OUTPUT;
    if (max && (!bt_parse_int64(max, &mo) || mo < 1))
        return bad(r, bt_node_get(a, "max_output"),
                   "max_output must be a positive number of bytes");
    ct->max_output = (uint64_t)mo;
    build_published(ct);
    const char *title = scalar(a, "title"), *desc = scalar(a, "description");
    ct->type.title = bt_xstrdup(title ? title : name);
    ct->type.description = bt_xstrdup(desc ? desc : "");
    ct->type.category = bt_xstrdup(r->m->name);
    ct->type.mode = ct->ssh.host ? BT_EXEC_BLOCKING : BT_EXEC_ASYNC;
    ct->type.run = ct->ssh.host ? run_ssh : run;
    ct->type.cancel = ct->ssh.host ? NULL : bt_procact_cancel;
    return 0;
}

/* Only a partly read type is freed: a registered one lives for good. */
static void cmd_type_free(cmd_type *ct) {
    for (const bt_prop_spec *p = ct->type.props; p && p->name; p++) {
        free((char *)p->name);
        free((char *)p->default_text);
        free((char *)p->description);
        for (const char *const *c = p->choices; c && *c; c++)
            free((char *)*c);
        free((void *)p->choices);
    }
    free((void *)ct->type.props);
    for (size_t i = 0; i < ct->n_args; i++) {
        for (size_t k = 0; k < ct->args[i].n_parts; k++)
            free(ct->args[i].parts[k]);
        free(ct->args[i].parts);
    }
    free(ct->args);
    cmd_field *lists[] = {ct->fields, ct->row_fields};
    size_t counts[] = {ct->n_fields + 1, ct->n_row_fields + 1};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && i < counts[l]; i++) {
            /* +1: the field being read when an error stopped us. */
            free(lists[l][i].name);
            pcre2_code_free(lists[l][i].re);
            free(lists[l][i].json);
            free(lists[l][i].group);
            free(lists[l][i].dflt);
        }
    free(ct->fields);
    free(ct->row_fields);
    pcre2_code_free(ct->rows_re);
    free(ct->rows_json);
    free(ct->input);
    free(ct->success);
    char *ssh[] = {ct->ssh.host,          ct->ssh.port,     ct->ssh.user,
                   ct->ssh.password,      ct->ssh.key_file, ct->ssh.known_hosts,
                   ct->ssh.host_key_check};
    for (size_t i = 0; i < BT_ARRAY_LEN(ssh); i++)
        free(ssh[i]);
    free((char *)ct->type.name);
    free((void *)ct->type.published);
    free((char *)ct->type.title);
    free((char *)ct->type.description);
    free((char *)ct->type.category);
    free(ct);
}

int bt__cmdpack_load(const bt_pack_manifest *m, bt_pack_info *info,
                     bt_error *err) {
    const bt_node *activities = m->activities;
    size_t n = activities->count;
    cmd_type **types = bt_xcalloc(n, sizeof *types);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        types[i] = bt_xcalloc(1, sizeof *types[i]);
        reader r = {m, err, types[i]};
        rc = read_activity(&r, activities->items[i]);
        for (size_t k = 0; k < i && !rc; k++)
            if (!strcmp(types[k]->type.name, types[i]->type.name))
                rc = bad(&r, activities->items[i], "defined twice");
    }
    if (rc) {
        for (size_t i = 0; i < n; i++)
            if (types[i])
                cmd_type_free(types[i]);
        free(types);
        return rc;
    }
    const bt_activity_type **list_types = bt_xcalloc(n, sizeof *list_types);
    for (size_t i = 0; i < n; i++)
        list_types[i] = &types[i]->type;
    bt__packs_register(m->name, m->version, list_types, n);
    free(list_types);
    free(types);
    if (info)
        info->n_activities = n;
    return 0;
}
