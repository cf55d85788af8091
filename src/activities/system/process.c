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
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
} proc_stream;

struct bt_proc {
    uv_loop_t *loop;
    proc_stream out, err;
    /* Exit watch: a pidfd polled on the loop, or a timer polling waitpid
     * where pidfds are not available (Linux before 5.3, some sandboxes). */
    int pidfd;
    uv_poll_t exit_poll;
    uv_timer_t exit_timer;
    uv_timer_t kill_timer;
    bool timer_inited;
    /* Exit watch + two pipes not yet closed; done fires after they and
     * the kill timer are. */
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
    bt_proc *p = h->type == UV_NAMED_PIPE ? ((proc_stream *)h->data)->owner
                                          : h->data;
    assert(p->core_open > 0);
    if (--p->core_open) return;
    if (p->timer_inited)
        uv_close((uv_handle_t *)&p->kill_timer, timer_closed);
    else
        proc_finish(p);
}

/* ---- output ----------------------------------------------------------- */

/* libuv hands a read buffer back to read_cb before it asks for the next
 * one, and a loop runs on one thread, so one buffer per thread serves every
 * child of that loop: 10,000 running children would otherwise hold 1.25 GiB
 * of idle read buffers. */
static _Thread_local char read_chunk[64 * 1024];

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(read_chunk, sizeof read_chunk);
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

/* ---- exit ------------------------------------------------------------- */

static void exit_watch_closed(uv_handle_t *h) {
    bt_proc *p = h->data;
    if (p->pidfd >= 0) close(p->pidfd);
    p->pidfd = -1;
    core_closed(h);
}

/* Reaps the child if it has exited. Only our own pid is waited for, so
 * other children of the server (libuv's among them) are left alone. */
static void check_exit(bt_proc *p) {
    if (p->exited) return;
    int st = 0;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) return;
    p->exited = true;
    p->end_ns = uv_hrtime();
    if (r == p->pid && WIFEXITED(st)) {
        p->exit_status = WEXITSTATUS(st);
    } else if (r == p->pid && WIFSIGNALED(st)) {
        p->term_signal = WTERMSIG(st);
    } else {
        /* Reaped behind our back (SIGCHLD set to SIG_IGN): the status is
         * gone. */
        p->exit_status = -1;
    }
    uv_handle_t *h = p->pidfd >= 0 ? (uv_handle_t *)&p->exit_poll
                                   : (uv_handle_t *)&p->exit_timer;
    uv_close(h, exit_watch_closed);
}

static void exit_poll_cb(uv_poll_t *h, int status, int events) {
    (void)status;
    (void)events;
    check_exit(h->data);
}

static void exit_timer_cb(uv_timer_t *t) { check_exit(t->data); }

static void watch_exit(bt_proc *p, bool poll_exit) {
    p->pidfd = poll_exit ? -1 : pidfd_open(p->pid, 0);
    if (p->pidfd >= 0 && uv_poll_init(p->loop, &p->exit_poll, p->pidfd) == 0) {
        p->exit_poll.data = p;
        uv_poll_start(&p->exit_poll, UV_READABLE, exit_poll_cb);
        return;
    }
    if (p->pidfd >= 0) close(p->pidfd);
    p->pidfd = -1;
    uv_timer_init(p->loop, &p->exit_timer);
    p->exit_timer.data = p;
    uv_timer_start(&p->exit_timer, exit_timer_cb, 0, 10);
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

static void stream_init(bt_proc *p, proc_stream *s, size_t cap) {
    s->owner = p;
    s->cap = cap;
    bt_buf_init(&s->buf, cap ? cap : 1);
    uv_pipe_init(p->loop, &s->pipe, 0);
    s->pipe.data = s;
}

/* Our descriptors must not sit on 0-2 (a server started with those
 * closed): the child's dup2 onto 0-2 would clobber them in turn. */
static int above_stdio(int fd) {
    if (fd < 0 || fd > 2) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

static int make_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    fds[0] = above_stdio(fds[0]);
    fds[1] = above_stdio(fds[1]);
    return fds[0] < 0 || fds[1] < 0 ? -EMFILE : 0;
}

/* The PATH lookup execvp would do, but in the child's environment (an
 * `env` that sets PATH is honoured) and before spawning, so that "not
 * found" is known without a child. */
static int find_program(const char *file, const char *const *env,
                        char *out, size_t size) {
    if (strchr(file, '/')) {
        snprintf(out, size, "%s", file);
        return 0;
    }
    const char *path = NULL;
    for (size_t i = 0; env && env[i] && !path; i++)
        if (!strncmp(env[i], "PATH=", 5)) path = env[i] + 5;
    if (!path && !env) path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    int rc = -ENOENT;
    for (;;) {
        size_t n = strcspn(path, ":");
        /* An empty entry means the current directory, as for execvp. */
        snprintf(out, size, "%.*s%s%s", (int)n, path, n ? "/" : "", file);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0) return 0;
            rc = -EACCES;
        }
        if (!path[n]) break;
        path += n + 1;
    }
    return rc;
}

/* posix_spawn rather than fork: glibc starts the child with
 * CLONE_VM|CLONE_VFORK, so the cost does not grow with the server's
 * memory (fork copies page tables and then takes copy-on-write faults).
 * The child gets a new session (it leads its own process group, so
 * cancel can signal everything it starts), default signal dispositions
 * and an empty mask, whatever the server uses. */
static int spawn_child(bt_proc *p, const bt_proc_opts *o, const char *path,
                       int in_fd, int out_fd, int err_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    if (o->cwd) posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&dflt, sig);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, &fa, &at, (char *const *)o->argv,
                         o->env ? (char *const *)o->env : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) return -rc;
    p->pid = pid;
    return 0;
}

int bt_proc_spawn(uv_loop_t *loop, const bt_proc_opts *opts,
                  bt_proc_done_fn done, void *ud, bt_proc **out,
                  bt_error *err) {
    *out = NULL;
    int in_fd = -1;
    if (opts->input) {
        in_fd = above_stdio(stage_input(opts->input, opts->input_len, err));
        if (in_fd < 0) return -BT_EIO;
    }
    bt_proc *p = bt_xcalloc(1, sizeof *p);
    p->loop = loop;
    p->done = done;
    p->ud = ud;
    p->pidfd = -1;
    p->grace_ms = opts->kill_grace_ms ? opts->kill_grace_ms
                                      : BT_PROC_KILL_GRACE_MS;
    stream_init(p, &p->out, opts->max_output);
    stream_init(p, &p->err, opts->max_output);

    int out_fds[2] = {-1, -1}, err_fds[2] = {-1, -1};
    char path[4096];
    p->start_ns = uv_hrtime();
    int rc = make_pipe(out_fds);
    if (rc == 0) rc = make_pipe(err_fds);
    if (rc == 0) rc = find_program(opts->file, opts->env, path, sizeof path);
    if (rc == 0) rc = spawn_child(p, opts, path, in_fd, out_fds[1], err_fds[1]);
    /* The child has its copies; ours would keep the pipes from EOF. */
    if (in_fd >= 0) close(in_fd);
    if (out_fds[1] >= 0) close(out_fds[1]);
    if (err_fds[1] >= 0) close(err_fds[1]);
    if (rc == 0) {
        uv_pipe_open(&p->out.pipe, out_fds[0]);
        uv_pipe_open(&p->err.pipe, err_fds[0]);
        uv_read_start((uv_stream_t *)&p->out.pipe, alloc_cb, read_cb);
        uv_read_start((uv_stream_t *)&p->err.pipe, alloc_cb, read_cb);
        p->core_open = 3;
        watch_exit(p, opts->poll_exit);
    } else {
        /* One way to finish: close what exists, and done reports it. */
        if (out_fds[0] >= 0) close(out_fds[0]);
        if (err_fds[0] >= 0) close(err_fds[0]);
        p->spawn_error = rc;
        p->end_ns = p->start_ns;
        p->core_open = 2;
        uv_close((uv_handle_t *)&p->out.pipe, core_closed);
        uv_close((uv_handle_t *)&p->err.pipe, core_closed);
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
    uv_timer_init(p->loop, &p->kill_timer);
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
