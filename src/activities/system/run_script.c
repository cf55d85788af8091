/* Run Script: runs script text with an interpreter (sh, bash, python3, ...)
 * and publishes what the script writes to $BATON_OUTPUT as name=value
 * lines. Orchestrator's Run .Net Script published the script's variables;
 * an output file is the interpreter-neutral way to do the same. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activities/system/process.h"
#include "common/util.h"
#include "runbook/runbook.h"

/* Hard cap on what is read back from $BATON_OUTPUT. */
#define OUTPUT_FILE_CAP ((size_t)4 << 20)

typedef struct run_script {
    char dir[256];    /* private 0700 directory holding both files */
    char script[280];
    char output[280];
    const char *what; /* "run-script (interpreter 'sh')" */
} run_script;

/* Names the script may not set: Baton publishes them itself. */
static const char *const reserved[] = {BT_PROCACT_PUBLISHED, BT_COMMON_FIELDS,
                                       NULL};

static void cleanup(run_script *rs) {
    if (!rs->dir[0]) return;
    unlink(rs->script);
    unlink(rs->output);
    rmdir(rs->dir);
    rs->dir[0] = '\0';
}

static int write_all(int fd, const char *s, size_t len) {
    while (len) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The script and the output file live in a fresh directory only we can
 * enter, so no other user can swap or read them. The files are small and
 * on local temp storage, so this is done on the loop. */
static int stage(bt_activity_ctx *ctx, run_script *rs, const char *text) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    int n = snprintf(rs->dir, sizeof rs->dir, "%s/baton-script-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof rs->dir) {
        rs->dir[0] = '\0';
        return bt_act_fail(ctx, "run-script: TMPDIR '%s' is too long", base);
    }
    if (!mkdtemp(rs->dir)) {
        int e = errno;
        rs->dir[0] = '\0';
        return bt_act_fail(ctx,
                           "run-script: cannot create a temporary "
                           "directory in '%s': %s",
                           base, strerror(e));
    }
    snprintf(rs->script, sizeof rs->script, "%s/script", rs->dir);
    snprintf(rs->output, sizeof rs->output, "%s/output", rs->dir);
    int fd = open(rs->script, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    int ok = fd >= 0 && write_all(fd, text, strlen(text)) == 0;
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && ok) ok = 0, e = errno;
    if (ok) {
        fd = open(rs->output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ok = fd >= 0;
        e = errno;
        if (fd >= 0) close(fd);
    }
    if (!ok) {
        cleanup(rs);
        return bt_act_fail(ctx,
                           "run-script: cannot write the script to '%s': %s",
                           base, strerror(e));
    }
    return 0;
}

/* Reads at most cap bytes; *over when the file holds more. */
static int read_capped(const char *path, size_t cap, bt_buf *b, bool *over) {
    *over = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -BT_EIO;
    char chunk[16384];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        size_t keep = (size_t)r;
        if (keep > cap - b->len) {
            keep = cap - b->len;
            *over = true;
        }
        if (keep && bt_buf_append(b, chunk, keep) != 0) *over = true;
        if (*over) break;
    }
    close(fd);
    return 0;
}

static bool is_identifier(const char *s, size_t n) {
    if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return false;
    return true;
}

static bool is_reserved(const char *s, size_t n) {
    for (size_t i = 0; reserved[i]; i++)
        if (strlen(reserved[i]) == n && !strncmp(reserved[i], s, n))
            return true;
    return false;
}

/* A row starts with the declared fields empty, so a reference to one the
 * script did not write expands to "" rather than going missing. */
static void start_row(bt_activity_ctx *ctx, size_t row) {
    if (row) bt_act_new_row(ctx);
    const bt_activity_def *def = bt_act_def(ctx);
    for (size_t i = 0; i < def->n_publishes; i++)
        bt_act_publish(ctx, def->publishes[i], "");
}

static void parse_output(bt_activity_ctx *ctx, bt_proc *p, const char *text,
                         size_t len) {
    const char *s = text, *end = text + len;
    size_t rows = 0, line_no = 0;
    bool in_row = false;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - s);
        if (n && s[n - 1] == '\r') n--;
        line_no++;
        if (n == 3 && !strncmp(s, "---", 3)) {
            /* Row separator; empty groups make no rows. */
            if (in_row) bt_procact_publish_fields(ctx, p, rows == 1);
            in_row = false;
        } else if (n) {
            const char *eq = memchr(s, '=', n);
            size_t klen = eq ? (size_t)(eq - s) : 0;
            if (!eq || !is_identifier(s, klen)) {
                bt_act_warn(ctx,
                            "run-script: BATON_OUTPUT line %zu is not "
                            "name=value with an identifier name: '%.*s'",
                            line_no, (int)(n > 80 ? 80 : n), s);
            } else if (is_reserved(s, klen)) {
                bt_act_warn(ctx,
                            "run-script: BATON_OUTPUT line %zu sets '%.*s', "
                            "which Baton publishes itself; ignored",
                            line_no, (int)klen, s);
            } else {
                if (!in_row) start_row(ctx, rows++);
                in_row = true;
                char *name = bt_xstrndup(s, klen);
                bt_act_publishn(ctx, name, eq + 1, n - klen - 1);
                free(name);
            }
        }
        s = nl ? nl + 1 : end;
    }
    if (in_row) {
        bt_procact_publish_fields(ctx, p, rows == 1);
    } else if (!rows) {
        start_row(ctx, 0);
        bt_procact_publish_fields(ctx, p, true);
    }
}

static void finish(bt_activity_ctx *ctx, bt_proc *p,
                   const bt_procact_cfg *cfg, void *ud) {
    run_script *rs = ud;
    bt_procact_result(ctx, p, cfg, rs->what);
    bt_buf b;
    bt_buf_init(&b, OUTPUT_FILE_CAP);
    bool over = false;
    if (!bt_proc_spawn_error(p) &&
        read_capped(rs->output, OUTPUT_FILE_CAP, &b, &over) != 0)
        bt_act_warn(ctx, "run-script: cannot read BATON_OUTPUT back: %s",
                    strerror(errno));
    size_t len = b.len;
    if (over) {
        bt_act_warn(ctx,
                    "run-script: BATON_OUTPUT is larger than %zu MiB; the "
                    "rest was ignored",
                    OUTPUT_FILE_CAP >> 20);
        /* Drop the line cut in the middle. */
        while (len && b.data[len - 1] != '\n') len--;
    }
    parse_output(ctx, p, bt_buf_str(&b), len);
    bt_buf_free(&b);
    cleanup(rs);
}

static int run(bt_activity_ctx *ctx) {
    const char *text = bt_act_str(ctx, "script", "");
    const char *interp = bt_act_str(ctx, "interpreter", "sh");
    const char *const *args;
    size_t n_args = bt_act_list(ctx, "args", &args);
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    if (!*interp)
        return bt_act_fail(ctx, "run-script: property 'interpreter' is empty");

    run_script *rs = bt_act_alloc(ctx, sizeof *rs);
    memset(rs, 0, sizeof *rs);
    char *what = bt_xasprintf("run-script: interpreter '%s'", interp);
    rs->what = bt_act_strdup(ctx, what);
    free(what);
    if (stage(ctx, rs, text) != 0) return -BT_EINVAL;

    char *env_line = bt_xasprintf("BATON_OUTPUT=%s", rs->output);
    const char *extra[] = {bt_act_strdup(ctx, env_line), NULL};
    free(env_line);
    bt_procact_cfg *cfg = bt_act_alloc(ctx, sizeof *cfg);
    int rc = bt_procact_read(ctx, extra, cfg);
    if (rc == 0) {
        const char **argv = bt_act_alloc(ctx, (n_args + 3) * sizeof *argv);
        size_t n = 0;
        argv[n++] = interp;
        argv[n++] = rs->script;
        for (size_t i = 0; i < n_args; i++) argv[n++] = args[i];
        argv[n] = NULL;
        cfg->opts.file = interp;
        cfg->opts.argv = argv;
        rc = bt_procact_start(ctx, cfg, finish, rs);
    }
    if (rc != 0) cleanup(rs);
    return rc;
}

static const bt_prop_spec props[] = {
    {"script", BT_PROP_STRING, true, NULL, "The script text.", NULL},
    {"interpreter", BT_PROP_STRING, false, "sh",
     "Program that runs the script file: sh, bash, python3, any program in "
     "PATH, or an absolute path.",
     NULL},
    {"args", BT_PROP_LIST, false, NULL,
     "Arguments passed to the script after its file name.", NULL},
    BT_PROCACT_COMMON_PROPS,
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {BT_PROCACT_PUBLISHED, NULL};

const bt_activity_type bt_activity_run_script = {
    .name = "run-script",
    .title = "Run Script",
    .category = "system",
    .description = "Runs a script with an interpreter and publishes the "
                   "name=value lines it writes to $BATON_OUTPUT.",
    .mode = BT_EXEC_ASYNC,
    .props = props,
    .published = published,
    .open_published = true,
    .run = run,
    .cancel = bt_procact_cancel,
};
