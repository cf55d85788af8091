/* The child-process layer under run-program and run-script, driven on a
 * private loop without the engine: capture, caps, stdin, process-group
 * kill with the SIGKILL fallback, and start failures. */
#include "harness.h"
#include "proc_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/system/process.h"
#include "common/util.h"

typedef struct run_state {
    bool done;
    bt_proc *proc;
    const char *kill_when_exists; /* kill once this file is non-empty */
    uv_timer_t poll;
} run_state;

static void on_done(bt_proc *p, void *ud) {
    run_state *st = ud;
    assert_ptr_equal(p, st->proc);
    st->done = true;
}

static bool file_ready(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

static void poll_cb(uv_timer_t *t) {
    run_state *st = t->data;
    if (st->done || !file_ready(st->kill_when_exists)) return;
    bt_proc_kill(st->proc);
    bt_proc_kill(st->proc); /* twice is harmless */
    uv_timer_stop(t);
}

/* Runs argv to completion; the caller frees the proc. */
static bt_proc *run(const char *const *argv, bt_proc_opts *opts,
                    const char *kill_when_exists) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    run_state st = {0};
    opts->file = argv[0];
    opts->argv = argv;
    assert_int_equal(bt_proc_spawn(&loop, opts, on_done, &st, &st.proc, NULL),
                     0);
    if (kill_when_exists) {
        st.kill_when_exists = kill_when_exists;
        uv_timer_init(&loop, &st.poll);
        st.poll.data = &st;
        uv_timer_start(&st.poll, poll_cb, 5, 5);
    }
    while (!st.done) uv_run(&loop, UV_RUN_ONCE);
    if (kill_when_exists) uv_close((uv_handle_t *)&st.poll, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return st.proc;
}

static void test_capture(void **state) {
    (void)state;
    const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3",
                          NULL};
    bt_proc_opts o = {.max_output = 1024};
    bt_proc *p = run(argv, &o, NULL);
    assert_int_equal(bt_proc_spawn_error(p), 0);
    assert_int_equal(bt_proc_exit_status(p), 3);
    assert_int_equal(bt_proc_term_signal(p), 0);
    assert_string_equal(bt_buf_str(bt_proc_stdout(p)), "out\n");
    assert_string_equal(bt_buf_str(bt_proc_stderr(p)), "err\n");
    assert_int_equal(bt_proc_trimmed_len(bt_proc_stdout(p)), 3);
    assert_false(bt_proc_truncated(p));
    assert_true(bt_proc_pid(p) > 0);
    bt_proc_free(p);

    /* The same through the fallback exit watch (no pidfd). */
    bt_proc_opts polled = {.max_output = 1024, .poll_exit = true};
    p = run(argv, &polled, NULL);
    assert_int_equal(bt_proc_exit_status(p), 3);
    assert_string_equal(bt_buf_str(bt_proc_stdout(p)), "out\n");
    bt_proc_free(p);
}

static void test_cap_keeps_draining(void **state) {
    (void)state;
    /* 10 MB through a 1 MiB cap: the child must still finish. */
    const char *argv[] = {"/bin/sh", "-c",
                          "head -c 10000000 /dev/zero | tr '\\0' x; exit 0",
                          NULL};
    bt_proc_opts o = {.max_output = 1 << 20};
    bt_proc *p = run(argv, &o, NULL);
    assert_int_equal(bt_proc_exit_status(p), 0);
    assert_int_equal(bt_proc_stdout(p)->len, 1 << 20);
    assert_true(bt_proc_truncated(p));
    assert_int_equal(bt_proc_stdout(p)->data[0], 'x');
    bt_proc_free(p);
}

static void test_stdin(void **state) {
    (void)state;
    const char *argv[] = {"cat", NULL};
    bt_proc_opts o = {.max_output = 1024, .input = "line1\nline2\n",
                      .input_len = 12};
    bt_proc *p = run(argv, &o, NULL);
    assert_string_equal(bt_buf_str(bt_proc_stdout(p)), "line1\nline2\n");
    bt_proc_free(p);

    /* Without input, stdin is /dev/null: cat ends at once. */
    bt_proc_opts o2 = {.max_output = 1024};
    p = run(argv, &o2, NULL);
    assert_int_equal(bt_proc_exit_status(p), 0);
    assert_string_equal(bt_buf_str(bt_proc_stdout(p)), "");
    bt_proc_free(p);
}

static void test_kill_group(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *pidfile = bt_harness_path(dir, "pid");
    char *script = bt_xasprintf(
        "sleep 30 & echo $! > %s.tmp; mv %s.tmp %s; wait", pidfile, pidfile,
        pidfile);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    bt_proc_opts o = {.max_output = 1024};
    uint64_t t0 = bt_mono_us();
    bt_proc *p = run(argv, &o, pidfile);
    assert_true(bt_mono_us() - t0 < 20 * 1000000ull);
    assert_true(bt_proc_kill_requested(p));
    assert_int_equal(bt_proc_term_signal(p), SIGTERM);
    char *pid_text = bt_harness_read_file(pidfile);
    pid_t bg = (pid_t)atoi(pid_text);
    assert_true(bg > 0);
    /* The background sleep held our pipes; they only closed once it died. */
    assert_true(bt_test_process_gone(bg));
    free(pid_text);
    bt_proc_free(p);
    free(script);
    free(pidfile);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_sigkill_after_grace(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *pidfile = bt_harness_path(dir, "pid");
    /* Ignoring TERM is inherited by sleep, so only SIGKILL ends them. */
    char *script = bt_xasprintf("trap '' TERM; echo $$ > %s.tmp; mv %s.tmp "
                                "%s; sleep 30",
                                pidfile, pidfile, pidfile);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    bt_proc_opts o = {.max_output = 1024, .kill_grace_ms = 100};
    uint64_t t0 = bt_mono_us();
    bt_proc *p = run(argv, &o, pidfile);
    assert_true(bt_mono_us() - t0 < 20 * 1000000ull);
    assert_int_equal(bt_proc_term_signal(p), SIGKILL);
    char name[32];
    assert_string_equal(bt_proc_signal_name(SIGKILL, name, sizeof name),
                        "SIGKILL");
    bt_proc_free(p);
    free(script);
    free(pidfile);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_spawn_error(void **state) {
    (void)state;
    const char *argv[] = {"no-such-program-baton", NULL};
    bt_proc_opts o = {.max_output = 1024};
    bt_proc *p = run(argv, &o, NULL);
    assert_int_equal(bt_proc_spawn_error(p), UV_ENOENT);
    assert_int_equal(bt_proc_pid(p), 0);
    bt_proc_kill(p); /* nothing to kill: harmless */
    bt_proc_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture),
        cmocka_unit_test(test_cap_keeps_draining),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_kill_group),
        cmocka_unit_test(test_sigkill_after_grace),
        cmocka_unit_test(test_spawn_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
