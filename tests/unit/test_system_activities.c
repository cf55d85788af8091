/* The system activities that act on the machine: start/stop/restart-service
 * through a fake systemctl first on PATH (systemd_support.h: it keeps each
 * unit's state in a file and prints what `systemctl show` prints, since
 * systemd is not PID 1 here), end-process on processes this test starts,
 * restart-system's guard and, with a fake systemctl and shutdown, its
 * allowed path, and get-system-info against what /proc and uname say. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activity_support.h"
#include "systemd_support.h"

/* ---- services ----------------------------------------------------------- */

static void marker(fake_systemd *f, const char *name) {
    char *p = bt_harness_path(f->dir, name);
    bt_harness_write_file(p, "");
    free(p);
}

static void test_start_stop_restart_service(void **state) {
    (void)state;
    fake_systemd f;
    fake_systemd_init(&f);
    fake_unit(&f, "web", "inactive");
    bt_harness_run run;
    const bt_activity_record *r = act_run1(&run, "start-service", "unit: web");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "action"), "start");
    assert_string_equal(act_field(r, 0, "unit"), "web.service");
    assert_string_equal(act_field(r, 0, "active_state"), "active");
    assert_string_equal(act_field(r, 0, "running"), "true");
    assert_string_equal(act_field(r, 0, "main_pid"), "4242");
    bt_harness_run_free(&run);

    r = act_run1(&run, "stop-service", "unit: web");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "action"), "stop");
    assert_string_equal(act_field(r, 0, "active_state"), "inactive");
    assert_string_equal(act_field(r, 0, "running"), "false");
    bt_harness_run_free(&run);

    r = act_run1(&run, "restart-service", "unit: web, wait: false");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "action"), "restart");
    assert_string_equal(act_field(r, 0, "running"), "true");
    bt_harness_run_free(&run);

    char *calls = fake_calls(&f);
    assert_non_null(strstr(calls, "systemctl start -- web\n"
                                  "systemctl show --property="));
    assert_non_null(strstr(calls, "systemctl stop -- web\n"));
    assert_non_null(strstr(calls, "systemctl restart --no-block -- web\n"));
    free(calls);
    fake_systemd_free(&f);
}

static void test_service_control_failures(void **state) {
    (void)state;
    fake_systemd f;
    fake_systemd_init(&f);
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "start-service", "unit: ghost");
    act_expect_fail(r, "start-service: systemctl start 'ghost' failed with "
                       "code 5: Failed to start ghost: Unit ghost not "
                       "found.");
    assert_string_equal(act_field(r, 0, "action"), "start");
    bt_harness_run_free(&run);

    /* The job fails: systemctl's own words, and the unit is left failed. */
    fake_unit(&f, "db", "inactive");
    marker(&f, "db.broken");
    r = act_run1(&run, "restart-service", "unit: db");
    act_expect_fail(r, "restart-service: systemctl restart 'db' failed with "
                       "code 1: Job for db failed because the control "
                       "process exited with error code.");
    bt_harness_run_free(&run);

    /* Started, yet not running afterwards (a oneshot that ran): a
     * warning, with the state published. */
    fake_unit(&f, "job", "inactive");
    marker(&f, "job.oneshot");
    r = act_run1(&run, "start-service", "unit: job");
    assert_int_equal(r->result, BT_RESULT_WARNING);
    assert_string_equal(r->error,
                        "start-service: 'job' is inactive after systemctl "
                        "start");
    assert_string_equal(act_field(r, 0, "running"), "false");
    bt_harness_run_free(&run);

    fake_unit(&f, "web", "nobus");
    r = act_run1(&run, "stop-service", "unit: web");
    act_expect_fail(r, "stop-service: systemctl stop 'web' failed with code "
                       "1: System has not been booted with systemd");
    bt_harness_run_free(&run);

    r = act_run1(&run, "stop-service", "unit: '--now'");
    act_expect_fail(r, "stop-service: unit name '--now' must not start with "
                       "'-'");
    bt_harness_run_free(&run);
    r = act_run1(&run, "start-service", "unit: ''");
    act_expect_fail(r, "start-service: 'unit' is empty");
    bt_harness_run_free(&run);
    fake_systemd_free(&f);

    /* No systemctl at all. */
    char *old = bt_xstrdup(getenv("PATH"));
    char *empty = bt_harness_tmpdir();
    setenv("PATH", empty, 1);
    r = act_run1(&run, "start-service", "unit: web");
    act_expect_fail(r, "start-service: cannot run systemctl to start 'web'");
    bt_harness_run_free(&run);
    setenv("PATH", old, 1);
    free(old);
    bt_harness_rmrf(empty);
    free(empty);
}

/* ---- end-process -------------------------------------------------------- */

/* Processes of our own with a name nothing else has (a symbolic link to
 * sleep), optionally deaf to SIGTERM; they die with the test. */
typedef struct sleepers {
    char *dir, *name, *link;
    pid_t pids[4];
    size_t n;
} sleepers;

static void sleepers_init(sleepers *s) {
    s->dir = bt_harness_tmpdir();
    s->name = bt_xasprintf("btend%d", (int)getpid());
    s->link = bt_harness_path(s->dir, s->name);
    assert_int_equal(symlink("/bin/sleep", s->link), 0);
    s->n = 0;
}

static pid_t sleeper_start(sleepers *s, bool deaf) {
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        /* An ignored signal stays ignored across exec. */
        if (deaf) signal(SIGTERM, SIG_IGN);
        execl(s->link, s->name, "300", (char *)NULL);
        _exit(127);
    }
    assert_true(s->n < 4);
    s->pids[s->n++] = pid;
    for (int i = 0; i < 5000; i++) {
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f)) comm[0] = 0;
            fclose(f);
        }
        if (!strncmp(comm, s->name, strlen(s->name))) return pid;
        usleep(1000);
    }
    fail_msg("the sleeper did not start");
    return 0;
}

/* How the process ended (waitpid's status), reaping it. */
static int sleeper_reap(sleepers *s, pid_t pid) {
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    for (size_t i = 0; i < s->n; i++)
        if (s->pids[i] == pid) s->pids[i] = 0;
    return st;
}

static void sleepers_free(sleepers *s) {
    for (size_t i = 0; i < s->n; i++)
        if (s->pids[i]) {
            kill(s->pids[i], SIGKILL);
            waitpid(s->pids[i], NULL, 0);
        }
    bt_harness_rmrf(s->dir);
    free(s->dir);
    free(s->name);
    free(s->link);
}

static void test_end_process(void **state) {
    (void)state;
    sleepers s;
    sleepers_init(&s);
    pid_t a = sleeper_start(&s, false);
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "end-process", "name: %s", s.name);
    act_expect_ok(r);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)a);
    assert_string_equal(act_field(r, 0, "pids"), pid);
    assert_string_equal(act_field(r, 0, "count"), "1");
    assert_string_equal(act_field(r, 0, "ended"), "1");
    assert_string_equal(act_field(r, 0, "killed"), "0");
    assert_string_equal(act_field(r, 0, "signal"), "SIGTERM");
    assert_string_equal(act_field(r, 0, "still_running"), "");
    bt_harness_run_free(&run);
    int st = sleeper_reap(&s, a);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);

    /* Deaf to SIGTERM: SIGKILL after the wait. */
    pid_t b = sleeper_start(&s, true);
    r = act_run1(&run, "end-process", "pid: %d, wait: 200ms", (int)b);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "ended"), "1");
    assert_string_equal(act_field(r, 0, "killed"), "1");
    assert_string_equal(act_field(r, 0, "process"), s.name);
    bt_harness_run_free(&run);
    st = sleeper_reap(&s, b);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* ... and without force it is still running, which fails. */
    pid_t c = sleeper_start(&s, true);
    r = act_run1(&run, "end-process", "name: %s, wait: 100ms, force: false",
                 s.name);
    char *want = bt_xasprintf("end-process: 1 of 1 processes (%d) still "
                              "running after the wait",
                              (int)c);
    act_expect_fail(r, want);
    free(want);
    snprintf(pid, sizeof pid, "%d", (int)c);
    assert_string_equal(act_field(r, 0, "still_running"), pid);
    bt_harness_run_free(&run);

    /* Two of them and all: false refuses; signal KILL ends both. */
    sleeper_start(&s, false);
    r = act_run1(&run, "end-process", "name: %s, all: false", s.name);
    want = bt_xasprintf("end-process: 2 processes are called '%s' and "
                        "'all' is false",
                        s.name);
    act_expect_fail(r, want);
    free(want);
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "name: %s, signal: KILL", s.name);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "count"), "2");
    assert_string_equal(act_field(r, 0, "ended"), "2");
    assert_string_equal(act_field(r, 0, "killed"), "2");
    assert_string_equal(act_field(r, 0, "signal"), "SIGKILL");
    bt_harness_run_free(&run);

    /* Nothing left: success with count 0, unless asked to fail. */
    r = act_run1(&run, "end-process", "name: %s", s.name);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "count"), "0");
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "name: %s, fail_if_not_running: true",
                 s.name);
    want = bt_xasprintf("end-process: no process '%s' is running", s.name);
    act_expect_fail(r, want);
    free(want);
    bt_harness_run_free(&run);
    sleepers_free(&s);
}

static void test_end_process_refuses(void **state) {
    (void)state;
    bt_harness_run run;
    const bt_activity_record *r = act_run1(&run, "end-process", "pid: 1");
    act_expect_fail(r, "end-process: refusing to end process 1 (init)");
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "pid: %d", (int)getpid());
    act_expect_fail(r, "(the runbook server itself)");
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "name: /bin/sleep");
    act_expect_fail(r, "process name '/bin/sleep' must be a program name, "
                       "not a path");
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "signal: HUP");
    act_expect_fail(r, "end-process: give the process's 'name' or 'pid'");
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "name: x, pid: 5");
    act_expect_fail(r, "give 'name' or 'pid', not both");
    bt_harness_run_free(&run);
    r = act_run1(&run, "end-process", "pid: 99999999999");
    act_expect_fail(r, "pid 99999999999 is out of range");
    bt_harness_run_free(&run);
}

/* ---- restart-system ----------------------------------------------------- */

static void test_restart_system_refused(void **state) {
    (void)state;
    fake_systemd f;
    fake_systemd_init(&f);
    unsetenv("BATON_ALLOW_RESTART_SYSTEM");
    bt_harness_run run;
    const bt_activity_record *r = act_run1(&run, "restart-system", "delay: 0s");
    act_expect_fail(r, "restart-system: refused: this runbook server does "
                       "not allow restarting its computer (start it with "
                       "BATON_ALLOW_RESTART_SYSTEM=yes to allow it)");
    bt_harness_run_free(&run);
    setenv("BATON_ALLOW_RESTART_SYSTEM", "no", 1);
    r = act_run1(&run, "restart-system", "delay: 0s");
    act_expect_fail(r, "restart-system: refused");
    bt_harness_run_free(&run);
    /* Nothing was run. */
    char *calls = fake_calls(&f);
    assert_string_equal(calls, "");
    free(calls);
    unsetenv("BATON_ALLOW_RESTART_SYSTEM");
    fake_systemd_free(&f);
}

static void test_restart_system_allowed(void **state) {
    (void)state;
    fake_systemd f;
    fake_systemd_init(&f);
    setenv("BATON_ALLOW_RESTART_SYSTEM", "yes", 1);
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "restart-system", "delay: 90s, message: 'baton: patching'");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "command"),
                        "shutdown -r +2 baton: patching");
    assert_string_equal(act_field(r, 0, "delay_seconds"), "120");
    assert_true(strlen(act_field(r, 0, "scheduled_for")) > 10);
    bt_harness_run_free(&run);
    r = act_run1(&run, "restart-system", "delay: 0s");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "command"), "shutdown -r now");
    bt_harness_run_free(&run);
    char *calls = fake_calls(&f);
    assert_string_equal(calls, "shutdown -r +2 baton: patching\n"
                               "shutdown -r now\n");
    free(calls);
    fake_systemd_free(&f);

    /* Allowed, but there is no shutdown to run. */
    char *old = bt_xstrdup(getenv("PATH"));
    char *empty = bt_harness_tmpdir();
    setenv("PATH", empty, 1);
    r = act_run1(&run, "restart-system", "delay: 0s");
    act_expect_fail(r, "restart-system: cannot run shutdown");
    bt_harness_run_free(&run);
    setenv("PATH", old, 1);
    free(old);
    bt_harness_rmrf(empty);
    free(empty);
    unsetenv("BATON_ALLOW_RESTART_SYSTEM");
}

/* ---- get-system-info ---------------------------------------------------- */

static unsigned long long meminfo_kb(const char *key) {
    FILE *f = fopen("/proc/meminfo", "r");
    assert_non_null(f);
    char line[256];
    unsigned long long kb = 0;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':')
            kb = strtoull(line + n + 1, NULL, 10);
    fclose(f);
    return kb;
}

static void test_get_system_info(void **state) {
    (void)state;
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "get-system-info", "include_loopback: false");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "hostname"), u.nodename);
    assert_string_equal(act_field(r, 0, "kernel_name"), "Linux");
    assert_string_equal(act_field(r, 0, "kernel_release"), u.release);
    assert_string_equal(act_field(r, 0, "architecture"), u.machine);
    char n[32];
    snprintf(n, sizeof n, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    assert_string_equal(act_field(r, 0, "cpu_count"), n);
    snprintf(n, sizeof n, "%llu", meminfo_kb("MemTotal") * 1024ULL);
    assert_string_equal(act_field(r, 0, "memory_total_bytes"), n);
    assert_true(strtoull(act_field(r, 0, "memory_available_bytes"), NULL, 10) >
                0);
    assert_true(atof(act_field(r, 0, "uptime_seconds")) > 0);
    assert_true(strlen(act_field(r, 0, "boot_time")) > 10);
    assert_true(atof(act_field(r, 0, "load_1")) >= 0);
    /* What os-release says, when this machine has one. */
    char *osr = bt_harness_read_file("/etc/os-release");
    if (osr) {
        char *id = strstr(osr, "\nID=");
        if (id) {
            id += 4;
            id[strcspn(id, "\n")] = 0;
            if (*id == '"') id++;
            if (*id && id[strlen(id) - 1] == '"') id[strlen(id) - 1] = 0;
            assert_string_equal(act_field(r, 0, "os_id"), id);
        }
        free(osr);
    }
    assert_null(strstr(act_field(r, 0, "ip_addresses"), "127.0.0.1"));
    bt_harness_run_free(&run);

    r = act_run1(&run, "get-system-info", "include_loopback: true");
    act_expect_ok(r);
    assert_non_null(strstr(act_field(r, 0, "ip_addresses"), "127.0.0.1"));
    assert_non_null(strstr(act_field(r, 0, "ipv4_addresses"), "127.0.0.1"));
    assert_non_null(strstr(act_field(r, 0, "interfaces"), "lo=127.0.0.1"));
    bt_harness_run_free(&run);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_stop_restart_service),
        cmocka_unit_test(test_service_control_failures),
        cmocka_unit_test(test_end_process),
        cmocka_unit_test(test_end_process_refuses),
        cmocka_unit_test(test_restart_system_refused),
        cmocka_unit_test(test_restart_system_allowed),
        cmocka_unit_test(test_get_system_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
