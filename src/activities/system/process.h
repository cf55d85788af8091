/* Child processes for the system activities (run-program, run-script).
 *
 * Two layers:
 *   bt_proc_*      one child on a libuv loop: posix_spawn'ed in its own session
 *                  (so its whole process group can be killed), stdout and
 *                  stderr captured through capped buffers, stdin from
 *                  /dev/null or a given text. Knows nothing of activities.
 *   bt_procact_*   what run-program and run-script share on top of it:
 *                  reading the common properties, running the child as an
 *                  ASYNC activity, cancel, and publishing the outcome.
 * Internal to src/activities/system. */
#ifndef BT_ACTIVITIES_SYSTEM_PROCESS_H
#define BT_ACTIVITIES_SYSTEM_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "baton/activity.h"
#include "common/buf.h"

/* Default capture per stream (stdout, stderr). */
#define BT_PROC_DEFAULT_MAX_OUTPUT ((size_t)1 << 20)
/* After SIGTERM, how long the group gets before SIGKILL. */
#define BT_PROC_KILL_GRACE_MS 2000

typedef struct bt_proc bt_proc;

typedef struct bt_proc_opts {
    const char *file;         /* program; searched in PATH without a '/' */
    const char *const *argv;  /* NULL-terminated, argv[0] included */
    const char *const *env;   /* NULL-terminated; NULL: inherit ours */
    const char *cwd;          /* NULL: inherit */
    const char *input;        /* stdin text; NULL: /dev/null */
    size_t input_len;
    size_t max_output;        /* per stream; bytes beyond are drained */
    unsigned kill_grace_ms;   /* 0: BT_PROC_KILL_GRACE_MS */
    /* Watch for the exit by polling waitpid, the fallback used when
     * pidfd_open is unavailable; set by tests to cover that path. */
    bool poll_exit;
} bt_proc_opts;

/* Called once, on the loop, when the child has exited (or failed to
 * start) and every handle is closed. The proc may be freed from here. */
typedef void (*bt_proc_done_fn)(bt_proc *p, void *ud);

/* Starts the child. Never fails synchronously for child-side reasons: a
 * program that cannot be started is reported by bt_proc_spawn_error() in
 * the done callback, so there is one completion path. Returns 0, or
 * -BT_EIO when the input text cannot be staged (done is then not called
 * and the proc must be freed). */
int bt_proc_spawn(uv_loop_t *loop, const bt_proc_opts *opts,
                  bt_proc_done_fn done, void *ud, bt_proc **out,
                  bt_error *err);
/* SIGTERM to the child's process group, SIGKILL after the grace period.
 * Safe to call more than once and after the child has exited. */
void bt_proc_kill(bt_proc *p);
/* Only after done was called (or spawn failed). NULL is a no-op. */
void bt_proc_free(bt_proc *p);

int bt_proc_spawn_error(const bt_proc *p); /* 0 or a libuv error code */
int bt_proc_pid(const bt_proc *p);         /* 0 when not started */
int64_t bt_proc_exit_status(const bt_proc *p);
int bt_proc_term_signal(const bt_proc *p); /* 0 when it exited normally */
bool bt_proc_kill_requested(const bt_proc *p);
uint64_t bt_proc_duration_us(const bt_proc *p); /* spawn to exit */
/* Captured output (NUL-terminated); truncated when it went over the cap. */
const bt_buf *bt_proc_stdout(const bt_proc *p);
const bt_buf *bt_proc_stderr(const bt_proc *p);
bool bt_proc_truncated(const bt_proc *p);

/* "SIGTERM" for 15; "signal 99" for unknown numbers. */
const char *bt_proc_signal_name(int sig, char *buf, size_t size);

/* ---- activity layer ---------------------------------------------------- */

/* Property specs every process activity accepts; expand inside a
 * bt_prop_spec table. */
#define BT_PROCACT_COMMON_PROPS                                              \
    {"working_dir", BT_PROP_STRING, false, NULL,                            \
     "Directory the process starts in (default: the server's).", NULL},     \
    {"env", BT_PROP_MAP, false, NULL,                                       \
     "Environment variables to set, on top of the inherited ones.", NULL},  \
    {"clear_env", BT_PROP_BOOLEAN, false, "false",                          \
     "Start from an empty environment: only `env` is passed.", NULL},       \
    {"input", BT_PROP_STRING, false, NULL,                                  \
     "Text written to the process's standard input (default: none, "        \
     "/dev/null).", NULL},                                                  \
    {"max_output", BT_PROP_INTEGER, false, "1048576",                       \
     "Bytes of stdout and of stderr kept (each); the rest is discarded "    \
     "and truncated is set.", NULL},                                        \
    {"success_codes", BT_PROP_LIST, false, "[0]",                           \
     "Exit codes that count as success.", NULL},                            \
    {"warning_codes", BT_PROP_LIST, false, "[]",                            \
     "Exit codes that give a warning result.", NULL}

/* Fields every process activity publishes. */
#define BT_PROCACT_PUBLISHED                                                 \
    "exit_code", "stdout", "stderr", "pid", "process_duration_ms",          \
        "signal", "truncated"

/* What the common properties say. Strings live in the activity's arena. */
typedef struct bt_procact_cfg {
    bt_proc_opts opts;
    int64_t *success_codes;
    size_t n_success;
    int64_t *warning_codes;
    size_t n_warning;
} bt_procact_cfg;

/* Reads the common properties; `extra_env` (NULL-terminated "NAME=value"
 * strings, may be NULL) is added last. Returns 0, or -BT_EINVAL after
 * failing the activity with a message naming the property. */
int bt_procact_read(bt_activity_ctx *ctx, const char *const *extra_env,
                    bt_procact_cfg *cfg);

/* Called when the child is done, before bt_act_complete: publish and set
 * the result here (bt_procact_publish does the common part). */
typedef void (*bt_procact_finish_fn)(bt_activity_ctx *ctx, bt_proc *p,
                                     const bt_procact_cfg *cfg, void *ud);

/* Spawns cfg->opts as this activity's child; finish runs once it is done.
 * cfg must live in the activity's arena. Returns 0 (the activity completes
 * later) or -BT_EINVAL after failing the activity. */
int bt_procact_start(bt_activity_ctx *ctx, const bt_procact_cfg *cfg,
                     bt_procact_finish_fn finish, void *ud);
/* The cancel entry of every process activity. */
void bt_procact_cancel(bt_activity_ctx *ctx);

/* Sets the result from how the child ended: success, warning or failed
 * with "<what>: exited with code N: <first line of stderr>", "<what>:
 * killed by signal SIGTERM", or why it could not start. Returns true when
 * the process ran and exited with a success or warning code. */
bool bt_procact_result(bt_activity_ctx *ctx, bt_proc *p,
                       const bt_procact_cfg *cfg, const char *what);
/* Publishes the common fields into the current row. stdout and stderr are
 * left empty unless with_output: a multi-row result carries them in its
 * first row only, so that many rows do not copy the output many times. */
void bt_procact_publish_fields(bt_activity_ctx *ctx, bt_proc *p,
                               bool with_output);

/* Output text as published: trailing newlines removed, as a shell's
 * $(...) does. Returns the length to publish. */
size_t bt_proc_trimmed_len(const bt_buf *b);

#endif
