/* Child processes for run-program and run-script: one libuv child with
 * captured output, a process group that cancel can kill as a whole, and
 * the activity plumbing both activities share. */
#include "activities/system/process.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "runbook/runbook.h"

/* One captured stream. Bytes past the cap are read and dropped: a child
 * blocked on a full pipe would never exit. */
typedef struct proc_stream {
    uv_pipe_t pipe;
    bt_proc *owner;
    bt_buf buf;
    size_t cap;
    bool truncated;
    char chunk[64 * 1024];
} proc_stream;

struct bt_proc {
    uv_process_t process;
    proc_stream out, err;
    uv_timer_t kill_timer;
    bool timer_inited;
    /* process + two pipes not yet closed; done fires after they and the
     * kill timer are. */
    unsigned core_open;
    bool done_called;
    bool exited;
    bool kill_requested;
    int spawn_error;
    int pid;
    int64_t exit_status;
    int term_signal;
    uint64_t start_ns, end_ns;
    unsigned grace_ms;
    bt_proc_done_fn done;
    void *ud;
};

/* ---- closing ---------------------------------------------------------- */

static void proc_finish(bt_proc *p) {
    assert(!p->done_called);
    p->done_called = true;
    p->done(p, p->ud);
}

static void timer_closed(uv_handle_t *h) { proc_finish(h->data); }

static void core_closed(uv_handle_t *h) {
    bt_proc *p = h->type == UV_PROCESS ? h->data
                                       : ((proc_stream *)h->data)->owner;
    assert(p->core_open > 0);
    if (--p->core_open) return;
    if (p->timer_inited)
        uv_close((uv_handle_t *)&p->kill_timer, timer_closed);
    else
        proc_finish(p);
}

/* ---- output ----------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    proc_stream *s = h->data;
    (void)suggested;
    *buf = uv_buf_init(s->chunk, sizeof s->chunk);
}

static void keep(proc_stream *s, const char *data, size_t n) {
    size_t room = s->cap - s->buf.len;
    if (n > room) {
        s->truncated = true;
        n = room;
    }
    if (n && bt_buf_append(&s->buf, data, n) != 0) s->truncated = true;
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
    proc_stream *s = st->data;
    if (n > 0) {
        keep(s, buf->base, (size_t)n);
    } else if (n < 0) {
        /* EOF once every holder of the write end (the child, and anything
         * it started) has closed it or died. */
        uv_close((uv_handle_t *)st, core_closed);
    }
}

static void exit_cb(uv_process_t *h, int64_t status, int sig) {
    bt_proc *p = h->data;
    p->exited = true;
    p->exit_status = status;
    p->term_signal = sig;
    p->end_ns = uv_hrtime();
    uv_close((uv_handle_t *)h, core_closed);
}

/* ---- spawning --------------------------------------------------------- */

/* The input goes through an in-memory file rather than a pipe: a child
 * that exits without reading stdin would otherwise make our write raise
 * SIGPIPE in the server, and a big input would need flow control. */
static int stage_input(const char *text, size_t len, bt_error *err) {
    int fd = memfd_create("baton-input", MFD_CLOEXEC);
    if (fd < 0)
        return bt_error_set(err, BT_EIO, "cannot stage the input text: %s",
                            strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return bt_error_set(err, BT_EIO,
                                "cannot stage the input text: %s",
                                strerror(e));
        }
        off += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        int e = errno;
        close(fd);
        return bt_error_set(err, BT_EIO, "cannot stage the input text: %s",
                            strerror(e));
    }
    return fd;
}

static void stream_init(bt_proc *p, proc_stream *s, uv_loop_t *loop,
                        size_t cap) {
    s->owner = p;
    s->cap = cap;
    bt_buf_init(&s->buf, cap ? cap : 1);
    uv_pipe_init(loop, &s->pipe, 0);
    s->pipe.data = s;
}

int bt_proc_spawn(uv_loop_t *loop, const bt_proc_opts *opts,
                  bt_proc_done_fn done, void *ud, bt_proc **out,
                  bt_error *err) {
    *out = NULL;
    int in_fd = -1;
    if (opts->input) {
        in_fd = stage_input(opts->input, opts->input_len, err);
        if (in_fd < 0) return in_fd;
    }
    bt_proc *p = bt_xcalloc(1, sizeof *p);
    p->done = done;
    p->ud = ud;
    p->grace_ms = opts->kill_grace_ms ? opts->kill_grace_ms
                                      : BT_PROC_KILL_GRACE_MS;
    stream_init(p, &p->out, loop, opts->max_output);
    stream_init(p, &p->err, loop, opts->max_output);
    p->core_open = 3;

    uv_stdio_container_t stdio[3];
    if (in_fd >= 0) {
        stdio[0].flags = UV_INHERIT_FD;
        stdio[0].data.fd = in_fd;
    } else {
        stdio[0].flags = UV_IGNORE; /* libuv opens /dev/null */
    }
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&p->out.pipe;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&p->err.pipe;

    uv_process_options_t po = {0};
    po.exit_cb = exit_cb;
    po.file = opts->file;
    po.args = (char **)opts->argv;
    po.env = (char **)opts->env;
    po.cwd = opts->cwd;
    /* DETACHED makes the child call setsid(): it leads its own process
     * group, so cancel can signal everything it started with kill(-pid). */
    po.flags = UV_PROCESS_DETACHED;
    po.stdio_count = 3;
    po.stdio = stdio;

    p->process.data = p;
    p->start_ns = uv_hrtime();
    int rc = uv_spawn(loop, &p->process, &po);
    if (in_fd >= 0) close(in_fd);
    if (rc != 0) {
        /* The handles are initialised either way; closing them is the one
         * way to finish, and done reports the error. */
        p->spawn_error = rc;
        p->end_ns = p->start_ns;
        uv_close((uv_handle_t *)&p->process, core_closed);
        uv_close((uv_handle_t *)&p->out.pipe, core_closed);
        uv_close((uv_handle_t *)&p->err.pipe, core_closed);
    } else {
        p->pid = p->process.pid;
        uv_read_start((uv_stream_t *)&p->out.pipe, alloc_cb, read_cb);
        uv_read_start((uv_stream_t *)&p->err.pipe, alloc_cb, read_cb);
    }
    *out = p;
    return 0;
}

/* ---- killing ---------------------------------------------------------- */

static void signal_group(bt_proc *p, int sig) {
    if (!p->pid) return;
    /* The leader may already be gone while a grandchild still holds the
     * pipes open; the group id stays valid (and unreused) as long as any
     * member lives. */
    if (kill(-p->pid, sig) != 0 && errno == ESRCH && !p->exited)
        kill(p->pid, sig); /* it left its group */
}

static void grace_over(uv_timer_t *t) { signal_group(t->data, SIGKILL); }

void bt_proc_kill(bt_proc *p) {
    if (!p || p->kill_requested || p->core_open == 0 || p->spawn_error)
        return;
    p->kill_requested = true;
    signal_group(p, SIGTERM);
    uv_timer_init(p->process.loop, &p->kill_timer);
    p->kill_timer.data = p;
    p->timer_inited = true;
    uv_timer_start(&p->kill_timer, grace_over, p->grace_ms, 0);
}

void bt_proc_free(bt_proc *p) {
    if (!p) return;
    bt_buf_free(&p->out.buf);
    bt_buf_free(&p->err.buf);
    free(p);
}

/* ---- results ---------------------------------------------------------- */

int bt_proc_spawn_error(const bt_proc *p) { return p->spawn_error; }
int bt_proc_pid(const bt_proc *p) { return p->pid; }
int64_t bt_proc_exit_status(const bt_proc *p) { return p->exit_status; }
int bt_proc_term_signal(const bt_proc *p) { return p->term_signal; }
bool bt_proc_kill_requested(const bt_proc *p) { return p->kill_requested; }
uint64_t bt_proc_duration_us(const bt_proc *p) {
    return p->end_ns > p->start_ns ? (p->end_ns - p->start_ns) / 1000 : 0;
}
const bt_buf *bt_proc_stdout(const bt_proc *p) { return &p->out.buf; }
const bt_buf *bt_proc_stderr(const bt_proc *p) { return &p->err.buf; }
bool bt_proc_truncated(const bt_proc *p) {
    return p->out.truncated || p->err.truncated;
}

const char *bt_proc_signal_name(int sig, char *buf, size_t size) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(buf, size, "SIG%s", abbrev);
    else
        snprintf(buf, size, "signal %d", sig);
    return buf;
}

size_t bt_proc_trimmed_len(const bt_buf *b) {
    size_t n = b->len;
    while (n && (b->data[n - 1] == '\n' || b->data[n - 1] == '\r')) n--;
    return n;
}

/* ======================================================================
 * Activity layer
 * ====================================================================== */

static bool env_name_ok(const char *name) {
    return *name && !strchr(name, '=');
}

/* Inherited environment with overrides: an entry replaced by `env` or by
 * extra is dropped from the inherited part. */
static int build_env(bt_activity_ctx *ctx, const char *const *extra,
                     bool clear, const char *const **out) {
    const char *const *keys, *const *values;
    size_t n_map = bt_act_map(ctx, "env", &keys, &values);
    size_t n_extra = 0;
    while (extra && extra[n_extra]) n_extra++;
    *out = NULL;
    if (!n_map && !n_extra && !clear) return 0;
    for (size_t i = 0; i < n_map; i++)
        if (!env_name_ok(keys[i]))
            return bt_act_fail(ctx,
                               "%s: property 'env': '%s' is not a valid "
                               "variable name",
                               bt_act_def(ctx)->type_name, keys[i]);

    size_t n_inherit = 0;
    if (!clear)
        while (environ[n_inherit]) n_inherit++;
    const char **env =
        bt_act_alloc(ctx, (n_inherit + n_map + n_extra + 1) * sizeof *env);
    size_t n = 0;
    for (size_t i = 0; i < n_inherit; i++) {
        const char *e = environ[i];
        size_t klen = strcspn(e, "=");
        bool replaced = false;
        for (size_t k = 0; k < n_map && !replaced; k++)
            replaced = strlen(keys[k]) == klen && !strncmp(keys[k], e, klen);
        for (size_t k = 0; k < n_extra && !replaced; k++)
            replaced = !strncmp(extra[k], e, klen) && extra[k][klen] == '=';
        if (!replaced) env[n++] = e;
    }
    for (size_t k = 0; k < n_map; k++) {
        char *kv = bt_xasprintf("%s=%s", keys[k], values[k]);
        env[n++] = bt_act_strdup(ctx, kv);
        free(kv);
    }
    for (size_t k = 0; k < n_extra; k++) env[n++] = extra[k];
    env[n] = NULL;
    *out = env;
    return 0;
}

static int read_codes(bt_activity_ctx *ctx, const char *name,
                      int64_t **codes, size_t *count) {
    const char *const *items;
    size_t n = bt_act_list(ctx, name, &items);
    *codes = bt_act_alloc(ctx, (n ? n : 1) * sizeof **codes);
    *count = n;
    for (size_t i = 0; i < n; i++)
        if (!bt_parse_int64(items[i], &(*codes)[i]))
            return bt_act_fail(ctx,
                               "%s: property '%s': '%s' is not an exit code",
                               bt_act_def(ctx)->type_name, name, items[i]);
    return 0;
}

int bt_procact_read(bt_activity_ctx *ctx, const char *const *extra_env,
                    bt_procact_cfg *cfg) {
    const char *type = bt_act_def(ctx)->type_name;
    memset(cfg, 0, sizeof *cfg);
    const char *cwd = bt_act_str(ctx, "working_dir", NULL);
    cfg->opts.cwd = cwd && *cwd ? cwd : NULL;
    bool clear = false;
    if (bt_act_bool(ctx, "clear_env", false, &clear) != 0) return -BT_EINVAL;
    if (build_env(ctx, extra_env, clear, &cfg->opts.env) != 0)
        return -BT_EINVAL;
    if (bt_act_has(ctx, "input")) {
        cfg->opts.input = bt_act_str(ctx, "input", "");
        cfg->opts.input_len = strlen(cfg->opts.input);
    }
    int64_t max = 0;
    if (bt_act_int(ctx, "max_output", (int64_t)BT_PROC_DEFAULT_MAX_OUTPUT,
                   &max) != 0)
        return -BT_EINVAL;
    if (max < 0)
        return bt_act_fail(ctx,
                           "%s: property 'max_output' must be 0 or more, "
                           "not %lld",
                           type, (long long)max);
    cfg->opts.max_output = (size_t)max;
    if (bt_act_has(ctx, "success_codes")) {
        if (read_codes(ctx, "success_codes", &cfg->success_codes,
                       &cfg->n_success) != 0)
            return -BT_EINVAL;
    } else {
        cfg->success_codes = bt_act_alloc(ctx, sizeof *cfg->success_codes);
        cfg->success_codes[0] = 0;
        cfg->n_success = 1;
    }
    if (read_codes(ctx, "warning_codes", &cfg->warning_codes,
                   &cfg->n_warning) != 0)
        return -BT_EINVAL;
    /* A {ref} that expanded past its cap fails the activity quietly in
     * the getters above. */
    return bt_act_failed(ctx) ? -BT_EINVAL : 0;
}

/* The activity's state while its child runs. */
typedef struct procact_job {
    bt_activity_ctx *ctx;
    const bt_procact_cfg *cfg;
    bt_procact_finish_fn finish;
    void *ud;
    bt_proc *proc;
} procact_job;

static void job_free(void *ptr) {
    procact_job *job = ptr;
    bt_proc_free(job->proc);
    free(job);
}

static void job_done(bt_proc *p, void *ud) {
    procact_job *job = ud;
    job->finish(job->ctx, p, job->cfg, job->ud);
    bt_act_complete(job->ctx);
}

int bt_procact_start(bt_activity_ctx *ctx, const bt_procact_cfg *cfg,
                     bt_procact_finish_fn finish, void *ud) {
    procact_job *job = bt_xcalloc(1, sizeof *job);
    job->ctx = ctx;
    job->cfg = cfg;
    job->finish = finish;
    job->ud = ud;
    bt_error err = {0};
    if (bt_proc_spawn(bt_act_loop(ctx), &cfg->opts, job_done, job,
                      &job->proc, &err) != 0) {
        free(job);
        return bt_act_fail(ctx, "%s: %s", bt_act_def(ctx)->type_name,
                           err.message);
    }
    bt_act_set_state(ctx, job, job_free);
    return 0;
}

void bt_procact_cancel(bt_activity_ctx *ctx) {
    procact_job *job = bt_act_state(ctx);
    if (job) bt_proc_kill(job->proc);
}

static bool has_code(const int64_t *codes, size_t n, int64_t code) {
    for (size_t i = 0; i < n; i++)
        if (codes[i] == code) return true;
    return false;
}

/* The first non-blank line of stderr, short enough for a message. */
static void first_line(const bt_buf *b, char *out, size_t size) {
    const char *s = bt_buf_str(b);
    while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t') s++;
    size_t n = strcspn(s, "\r\n");
    if (n >= size) n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static void explain_spawn_error(bt_activity_ctx *ctx, bt_proc *p,
                                const bt_procact_cfg *cfg, const char *what) {
    int e = bt_proc_spawn_error(p);
    struct stat st;
    const char *cwd = cfg->opts.cwd;
    if (cwd && (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode))) {
        bt_act_fail(ctx, "%s: working_dir '%s' is not a directory", what,
                    cwd);
    } else if (e == UV_ENOENT) {
        bt_act_fail(ctx, "%s could not start: %s", what,
                    strchr(cfg->opts.file, '/') ? "no such file"
                                                : "not found in PATH");
    } else {
        bt_act_fail(ctx, "%s could not start: %s", what, uv_strerror(e));
    }
}

bool bt_procact_result(bt_activity_ctx *ctx, bt_proc *p,
                       const bt_procact_cfg *cfg, const char *what) {
    if (bt_proc_spawn_error(p)) {
        explain_spawn_error(ctx, p, cfg, what);
        return false;
    }
    /* Timeout and instance cancel: the engine words the error. */
    if (bt_act_canceled(ctx)) return false;
    char sig[32];
    if (bt_proc_term_signal(p)) {
        bt_act_fail(ctx, "%s was killed by signal %s", what,
                    bt_proc_signal_name(bt_proc_term_signal(p), sig,
                                        sizeof sig));
        return false;
    }
    int64_t code = bt_proc_exit_status(p);
    if (has_code(cfg->success_codes, cfg->n_success, code)) return true;
    char line[256];
    first_line(bt_proc_stderr(p), line, sizeof line);
    bool warn = has_code(cfg->warning_codes, cfg->n_warning, code);
    if (warn)
        bt_act_warn(ctx, "%s exited with code %lld%s%s", what,
                    (long long)code, *line ? ": " : "", line);
    else
        bt_act_fail(ctx, "%s exited with code %lld%s%s", what,
                    (long long)code, *line ? ": " : "", line);
    return warn;
}

void bt_procact_publish_fields(bt_activity_ctx *ctx, bt_proc *p,
                               bool with_output) {
    bool ran = !bt_proc_spawn_error(p);
    bool exited = ran && !bt_proc_term_signal(p);
    if (exited)
        bt_act_publishf(ctx, "exit_code", "%lld",
                        (long long)bt_proc_exit_status(p));
    else
        bt_act_publish(ctx, "exit_code", "");
    const bt_buf *out = bt_proc_stdout(p), *err = bt_proc_stderr(p);
    bt_act_publishn(ctx, "stdout", bt_buf_str(out),
                    with_output ? bt_proc_trimmed_len(out) : 0);
    bt_act_publishn(ctx, "stderr", bt_buf_str(err),
                    with_output ? bt_proc_trimmed_len(err) : 0);
    if (ran)
        bt_act_publishf(ctx, "pid", "%d", bt_proc_pid(p));
    else
        bt_act_publish(ctx, "pid", "");
    bt_act_publishf(ctx, "process_duration_ms", "%.3f",
                    bt_proc_duration_us(p) / 1000.0);
    char sig[32] = "";
    if (ran && bt_proc_term_signal(p))
        bt_proc_signal_name(bt_proc_term_signal(p), sig, sizeof sig);
    bt_act_publish(ctx, "signal", sig);
    bt_act_publish(ctx, "truncated", bt_proc_truncated(p) ? "true" : "false");
}
