/* Run Program: starts a program (directly, or a command line through
 * /bin/sh) and publishes its exit code and output. Orchestrator's Run
 * Program ran a program on a target computer; Baton runs it on the runbook
 * server, and remote work goes through ssh in the command. */
#include <stdlib.h>
#include <string.h>

#include "activities/system/process.h"
#include "common/util.h"
#include "runbook/runbook.h"

typedef struct run_program {
    const char *what; /* "run-program: 'command'" for messages */
    bool split_lines;
} run_program;

/* Long shell lines make unreadable errors: keep the start. */
static const char *describe(bt_activity_ctx *ctx, const char *command) {
    enum { MAX = 60 };
    size_t n = strcspn(command, "\n");
    bool cut = n > MAX || command[n];
    char *s = bt_xasprintf("run-program: '%.*s%s'", (int)(n > MAX ? MAX : n),
                           command, cut ? "..." : "");
    const char *out = bt_act_strdup(ctx, s);
    free(s);
    return out;
}

/* One row per line of stdout: the Orchestrator way to fan out over a
 * command's output. Rows share the process fields; the whole output is
 * only in the first (the lines carry it). */
static void publish_lines(bt_activity_ctx *ctx, bt_proc *p) {
    const bt_buf *out = bt_proc_stdout(p);
    const char *s = bt_buf_str(out), *end = s + out->len;
    size_t line_no = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        size_t len = (size_t)(stop - s);
        if (len && s[len - 1] == '\r') len--;
        if (line_no++) bt_act_new_row(ctx);
        bt_act_publishf(ctx, "line_number", "%zu", line_no);
        bt_act_publishn(ctx, "line", s, len);
        bt_procact_publish_fields(ctx, p, line_no == 1);
        s = nl ? nl + 1 : end;
    }
    if (!line_no) {
        /* No output: nothing to fan out over. The row keeps the process
         * fields for the record; successors do not run. */
        bt_act_publish(ctx, "line_number", "");
        bt_act_publish(ctx, "line", "");
        bt_procact_publish_fields(ctx, p, true);
        bt_act_publish_no_rows(ctx);
    }
}

static void finish(bt_activity_ctx *ctx, bt_proc *p,
                   const bt_procact_cfg *cfg, void *ud) {
    run_program *rp = ud;
    bt_procact_result(ctx, p, cfg, rp->what);
    if (rp->split_lines && !bt_proc_spawn_error(p))
        publish_lines(ctx, p);
    else
        bt_procact_publish_fields(ctx, p, true);
}

static int run(bt_activity_ctx *ctx) {
    const char *command = bt_act_str(ctx, "command", "");
    const char *const *args;
    size_t n_args = bt_act_list(ctx, "args", &args);
    bool has_args = bt_act_has(ctx, "args");
    bool shell = false;
    run_program *rp = bt_act_alloc(ctx, sizeof *rp);
    rp->what = describe(ctx, command);
    if (bt_act_bool(ctx, "shell", !has_args, &shell) != 0 ||
        bt_act_bool(ctx, "split_lines", false, &rp->split_lines) != 0)
        return -BT_EINVAL;
    bt_procact_cfg *cfg = bt_act_alloc(ctx, sizeof *cfg);
    if (bt_procact_read(ctx, NULL, cfg) != 0) return -BT_EINVAL;
    if (!*command)
        return bt_act_fail(ctx, "run-program: property 'command' is empty");

    /* With a shell, args become "$1".. of the command line: data passed
     * that way needs no quoting and cannot inject shell syntax. */
    size_t n = 0;
    const char **argv = bt_act_alloc(ctx, (n_args + 5) * sizeof *argv);
    if (shell) {
        argv[n++] = "/bin/sh";
        argv[n++] = "-c";
        argv[n++] = command;
        if (n_args) argv[n++] = "sh";
    } else {
        argv[n++] = command;
    }
    for (size_t i = 0; i < n_args; i++) argv[n++] = args[i];
    argv[n] = NULL;
    cfg->opts.file = argv[0];
    cfg->opts.argv = argv;
    return bt_procact_start(ctx, cfg, finish, rp);
}

static const bt_prop_spec props[] = {
    {"command", BT_PROP_STRING, true, NULL,
     "The command line (run by /bin/sh -c), or with `args` the program to "
     "run.",
     NULL},
    {"args", BT_PROP_LIST, false, NULL,
     "Arguments; the program is then run directly, without a shell.", NULL},
    {"shell", BT_PROP_BOOLEAN, false, "true without args, else false",
     "Run `command` through /bin/sh -c (args become $1, $2, ...).", NULL},
    {"split_lines", BT_PROP_BOOLEAN, false, "false",
     "Publish one row per line of standard output.", NULL},
    BT_PROCACT_COMMON_PROPS,
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {BT_PROCACT_PUBLISHED, "line_number",
                                        "line", NULL};

const bt_activity_type bt_activity_run_program = {
    .name = "run-program",
    .title = "Run Program",
    .category = "system",
    .description = "Runs a program or shell command on the runbook server "
                   "and publishes its exit code and output.",
    .mode = BT_EXEC_ASYNC,
    .props = props,
    .published = published,
    .run = run,
    .cancel = bt_procact_cancel,
};
