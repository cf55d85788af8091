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

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_stop_restart_service),
        cmocka_unit_test(test_service_control_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
