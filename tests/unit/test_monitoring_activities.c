/* The monitoring activities against real things: the file system of a
 * scratch folder, processes this test starts, TCP ports it listens on,
 * HTTP and SMTP servers it runs (python3), and systemd through a fake
 * systemctl that prints what `systemctl show` prints (our parsing of its
 * output format), plus the real one when systemd answers. Monitors move
 * forward from triggered instances (change of state, at_start), so no step
 * depends on timing. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activity_support.h"
#include "host_support.h"
#include "systemd_support.h"

/* ---- helpers ------------------------------------------------------------ */

/* A process of our own with a name nothing else has: a symbolic link to
 * sleep, so both its kernel name and argv[0] are the name. */
typedef struct sleeper {
    char *dir, *name, *link;
    pid_t pid;
} sleeper;

static void sleeper_init(sleeper *s) {
    s->dir = bt_harness_tmpdir();
    s->name = bt_xasprintf("btsl%d", (int)getpid());
    s->link = bt_harness_path(s->dir, s->name);
    assert_int_equal(symlink("/bin/sleep", s->link), 0);
    s->pid = 0;
}

static char proc_state(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

static void sleeper_start(sleeper *s) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(s->link, s->name, "300", (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    /* Until exec is done the child is still called after us. */
    for (int i = 0; i < 5000; i++) {
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f)) comm[0] = 0;
            fclose(f);
        }
        /* Renamed means exec has begun, not that sleep has mapped its
         * pages (RSS can still read 0): wait until it sleeps. */
        if (!strncmp(comm, s->name, strlen(s->name)) &&
            proc_state(pid) == 'S')
            return;
        usleep(1000);
    }
    fail_msg("the sleeper did not start");
}

static void sleeper_stop(sleeper *s) {
    if (!s->pid) return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static void sleeper_free(sleeper *s) {
    sleeper_stop(s);
    bt_harness_rmrf(s->dir);
    free(s->dir);
    free(s->name);
    free(s->link);
}

/* A listening TCP socket on a free loopback port. */
static int listen_any(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A loopback port nobody listens on (bound, then released). */
static int closed_port(void) {
    int port, fd = listen_any(&port);
    close(fd);
    return port;
}

typedef struct mon_test {
    void (*after_trigger[4])(struct mon_test *t);
    sleeper *sl;
    int listen_fd;
    pid_t server;
    char *state_file;
} mon_test;

static void mon_triggered(host_run *run, bt_instance *inst) {
    mon_test *t = run->ud;
    assert_int_equal(bt_instance_result(inst), BT_RESULT_SUCCESS);
    size_t k = run->n_triggered - 1;
    if (k < 4 && t->after_trigger[k]) t->after_trigger[k](t);
}

static void run_monitor(mon_test *t, const char *type, const char *props,
                        host_run *run) {
    char *yaml = bt_xasprintf(
        "name: watch\n"
        "activities:\n"
        "  - {id: mon, type: %s, properties: {interval: 10ms, %s}}\n"
        "  - {id: next, type: compare-values, properties: {left: "
        "'{mon.trigger_count}', right: '0', operator: greater-than}}\n"
        "links: [{from: mon, to: next}]\n",
        type, props);
    run->ud = t;
    run->on_triggered_done = mon_triggered;
    host_run_yaml(yaml, run);
    free(yaml);
}

static const char *trig(host_run *run, size_t i, const char *name) {
    assert_true(i < run->n_triggered);
    const char *v = host_field(run->triggered[i], "mon", name);
    if (!v) fprintf(stderr, "triggered %zu lacks %s\n", i, name);
    assert_non_null(v);
    return v;
}

static const bt_activity_record *monitor_record(host_run *run) {
    const bt_activity_record *r = host_record(run->main, "mon");
    assert_non_null(r);
    return r;
}

/* ---- disk space --------------------------------------------------------- */

static void test_get_disk_space(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "get-disk-space", "path: '%s'", dir);
    act_expect_ok(r);
    struct statvfs st;
    assert_int_equal(statvfs(dir, &st), 0);
    char want[32];
    snprintf(want, sizeof want, "%llu",
             (unsigned long long)st.f_blocks * st.f_frsize);
    assert_string_equal(act_field(r, 0, "total_bytes"), want);
    assert_string_equal(act_field(r, 0, "path"), dir);
    assert_string_equal(act_field(r, 0, "low"), "false");
    double fp = atof(act_field(r, 0, "free_percent"));
    double up = atof(act_field(r, 0, "used_percent"));
    assert_true(fp >= 0 && fp <= 100 && up >= 0 && up <= 100);
    assert_true(strtoull(act_field(r, 0, "used_bytes"), NULL, 10) <=
                strtoull(want, NULL, 10));
    bt_harness_run_free(&run);

    /* Asking for more free space than there can be: low. */
    r = act_run1(&run, "get-disk-space",
                 "path: '%s', free_below_bytes: 9223372036854775807", dir);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "low"), "true");
    bt_harness_run_free(&run);

    r = act_run1(&run, "get-disk-space", "path: /nonexistent/baton-disk");
    act_expect_fail(r, "get-disk-space: cannot read the disk space of "
                       "'/nonexistent/baton-disk'");
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-disk-space", "free_below_percent: 150");
    act_expect_fail(r, "free_below_percent must be between 0 and 100");
    bt_harness_run_free(&run);
    bt_harness_rmrf(dir);
    free(dir);
}

static void test_monitor_disk_space(void **state) {
    (void)state;
    mon_test t = {0};
    host_run run = {0};
    run_monitor(&t, "monitor-disk-space",
                "path: /tmp, free_below_bytes: 9223372036854775807, "
                "max_triggers: 1",
                &run);
    act_expect_ok(monitor_record(&run));
    assert_int_equal(run.n_triggered, 1);
    assert_string_equal(trig(&run, 0, "state"), "low");
    assert_string_equal(trig(&run, 0, "previous_state"), "");
    assert_string_equal(trig(&run, 0, "trigger_count"), "1");
    assert_true(strtoull(trig(&run, 0, "total_bytes"), NULL, 10) > 0);
    host_run_free(&run);

    run_monitor(&t, "monitor-disk-space", "path: /tmp", &run);
    const bt_activity_record *r = monitor_record(&run);
    act_expect_fail(r, "monitor-disk-space: give free_below_percent or "
                       "free_below_bytes");
    host_run_free(&run);
}

/* ---- processes ---------------------------------------------------------- */

static void test_get_process_status(void **state) {
    (void)state;
    sleeper s;
    sleeper_init(&s);
    sleeper_start(&s);
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "get-process-status", "name: %s", s.name);
    act_expect_ok(r);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)s.pid);
    assert_string_equal(act_field(r, 0, "running"), "true");
    assert_string_equal(act_field(r, 0, "pid"), pid);
    assert_string_equal(act_field(r, 0, "pids"), pid);
    assert_string_equal(act_field(r, 0, "count"), "1");
    assert_true(atoll(act_field(r, 0, "rss_bytes")) > 0);
    bt_harness_run_free(&run);

    r = act_run1(&run, "get-process-status", "pid: %d", (int)s.pid);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "process"), s.name);
    assert_string_equal(act_field(r, 0, "count"), "1");
    bt_harness_run_free(&run);

    sleeper_stop(&s);
    r = act_run1(&run, "get-process-status", "name: %s", s.name);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "running"), "false");
    assert_string_equal(act_field(r, 0, "count"), "0");
    assert_string_equal(act_field(r, 0, "pids"), "");
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-process-status",
                 "name: %s, fail_if_not_running: true", s.name);
    char *want = bt_xasprintf("get-process-status: no process '%s' is "
                              "running",
                              s.name);
    act_expect_fail(r, want);
    free(want);
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-process-status", "name: /bin/sleep");
    act_expect_fail(r, "must be a program name, not a path");
    bt_harness_run_free(&run);
    sleeper_free(&s);
}

static void start_sleeper(mon_test *t) { sleeper_start(t->sl); }
static void stop_sleeper(mon_test *t) { sleeper_stop(t->sl); }

static void test_monitor_process(void **state) {
    (void)state;
    sleeper s;
    sleeper_init(&s);
    mon_test t = {.sl = &s};
    t.after_trigger[0] = start_sleeper;
    t.after_trigger[1] = stop_sleeper;
    host_run run = {0};
    char *props = bt_xasprintf("name: %s, trigger_on: change, at_start: "
                               "true, max_triggers: 3",
                               s.name);
    run_monitor(&t, "monitor-process", props, &run);
    free(props);
    act_expect_ok(monitor_record(&run));
    assert_int_equal(run.n_triggered, 3);
    assert_string_equal(trig(&run, 0, "state"), "stopped");
    assert_string_equal(trig(&run, 1, "state"), "running");
    assert_string_equal(trig(&run, 1, "previous_state"), "stopped");
    assert_string_equal(trig(&run, 1, "count"), "1");
    assert_string_equal(trig(&run, 2, "state"), "stopped");
    assert_string_equal(trig(&run, 2, "running"), "false");
    host_run_free(&run);
    sleeper_free(&s);
}

/* ---- computer status ---------------------------------------------------- */

static void test_get_computer_status_tcp(void **state) {
    (void)state;
    int port, fd = listen_any(&port);
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "get-computer-status", "host: 127.0.0.1, method: tcp, port: %d",
        port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "reachable"), "true");
    assert_string_equal(act_field(r, 0, "method"), "tcp");
    assert_string_equal(act_field(r, 0, "address"), "127.0.0.1");
    assert_true(atof(act_field(r, 0, "latency_ms")) >= 0);
    assert_string_equal(act_field(r, 0, "reason"), "");
    bt_harness_run_free(&run);
    close(fd);

    int closed = closed_port();
    r = act_run1(&run, "get-computer-status",
                 "host: 127.0.0.1, method: tcp, port: %d", closed);
    char *want = bt_xasprintf("get-computer-status: host '127.0.0.1' port "
                              "%d is not reachable: Connection refused",
                              closed);
    act_expect_fail(r, want);
    free(want);
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-computer-status",
                 "host: 127.0.0.1, method: tcp, port: %d, "
                 "fail_if_unreachable: false",
                 closed);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "reachable"), "false");
    assert_string_equal(act_field(r, 0, "latency_ms"), "");
    bt_harness_run_free(&run);

    r = act_run1(&run, "get-computer-status",
                 "host: no-such-host.invalid, method: tcp, "
                 "fail_if_unreachable: false");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "reachable"), "false");
    assert_non_null(strstr(act_field(r, 0, "reason"), "cannot resolve"));
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-computer-status", "host: x, port: 70000");
    act_expect_fail(r, "port 70000 for host 'x' is not between 1 and 65535");
    bt_harness_run_free(&run);
}

/* Whether this process may send ICMP echo (ping socket or raw socket). */
static bool icmp_permitted(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (fd < 0) fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd < 0) return false;
    close(fd);
    return true;
}

static void test_get_computer_status_icmp(void **state) {
    (void)state;
    int port, fd = listen_any(&port);
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "get-computer-status", "host: 127.0.0.1, port: %d", port);
    assert_string_equal(act_field(r, 0, "reachable"), "true");
    if (icmp_permitted()) {
        act_expect_ok(r);
        assert_string_equal(act_field(r, 0, "method"), "icmp");
        assert_string_equal(act_field(r, 0, "port"), "");
        assert_string_equal(act_field(r, 0, "note"), "");
    } else {
        /* auto fell back to the port, and says so. */
        fprintf(stderr, "ICMP echo not permitted here: checking the "
                        "fallback to TCP\n");
        assert_int_equal(r->result, BT_RESULT_WARNING);
        assert_string_equal(act_field(r, 0, "method"), "tcp");
        assert_non_null(strstr(act_field(r, 0, "note"),
                               "ICMP echo is not permitted here"));
        bt_harness_run_free(&run);
        r = act_run1(&run, "get-computer-status",
                     "host: 127.0.0.1, method: icmp");
        act_expect_fail(r, "cannot send ICMP echo to '127.0.0.1'");
    }
    bt_harness_run_free(&run);
    close(fd);
}

static void close_listener(mon_test *t) {
    close(t->listen_fd);
    t->listen_fd = -1;
}

static void test_monitor_computer_status(void **state) {
    (void)state;
    int port;
    mon_test t = {.listen_fd = listen_any(&port)};
    t.after_trigger[0] = close_listener;
    host_run run = {0};
    char *props = bt_xasprintf("host: 127.0.0.1, method: tcp, port: %d, "
                               "at_start: true, max_triggers: 2, timeout: 2s",
                               port);
    run_monitor(&t, "monitor-computer-status", props, &run);
    free(props);
    act_expect_ok(monitor_record(&run));
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(trig(&run, 0, "state"), "up");
    assert_string_equal(trig(&run, 0, "reachable"), "true");
    assert_string_equal(trig(&run, 1, "state"), "down");
    assert_string_equal(trig(&run, 1, "previous_state"), "up");
    assert_string_equal(trig(&run, 1, "reason"), "Connection refused");
    host_run_free(&run);
}


/* ---- services ----------------------------------------------------------- */

static void test_get_service_status_fake(void **state) {
    (void)state;
    fake_systemd f;
    fake_systemd_init(&f);
    fake_unit(&f, "web", "active");
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "get-service-status", "unit: web");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "unit"), "web.service");
    assert_string_equal(act_field(r, 0, "description"), "Fake web");
    assert_string_equal(act_field(r, 0, "load_state"), "loaded");
    assert_string_equal(act_field(r, 0, "active_state"), "active");
    assert_string_equal(act_field(r, 0, "sub_state"), "running");
    assert_string_equal(act_field(r, 0, "main_pid"), "4242");
    assert_string_equal(act_field(r, 0, "unit_file_state"), "enabled");
    assert_string_equal(act_field(r, 0, "active_since"),
                        "Wed 2026-11-25 10:00:00 UTC");
    assert_string_equal(act_field(r, 0, "exists"), "true");
    assert_string_equal(act_field(r, 0, "running"), "true");
    bt_harness_run_free(&run);
    char *calls = fake_calls(&f);
    assert_non_null(strstr(calls, "systemctl show --property=Id,Description,"
                                  "LoadState,ActiveState,SubState,MainPID,"
                                  "UnitFileState,ActiveEnterTimestamp -- "
                                  "web\n"));
    free(calls);

    fake_unit(&f, "db", "failed");
    r = act_run1(&run, "get-service-status", "unit: db");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "running"), "false");
    assert_string_equal(act_field(r, 0, "active_state"), "failed");
    assert_string_equal(act_field(r, 0, "main_pid"), "0");
    bt_harness_run_free(&run);

    r = act_run1(&run, "get-service-status", "unit: ghost");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "exists"), "false");
    assert_string_equal(act_field(r, 0, "load_state"), "not-found");
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-service-status",
                 "unit: ghost, fail_if_missing: true");
    act_expect_fail(r, "get-service-status: systemd has no unit 'ghost'");
    bt_harness_run_free(&run);

    fake_unit(&f, "web", "nobus");
    r = act_run1(&run, "get-service-status", "unit: web");
    act_expect_fail(r, "get-service-status: cannot ask systemd about 'web': "
                       "systemctl exited with code 1: System has not been "
                       "booted with systemd");
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-service-status", "unit: '-H evil'");
    act_expect_fail(r, "unit name '-H evil' must not start with '-'");
    bt_harness_run_free(&run);
    fake_systemd_free(&f);
}

static void test_get_service_status_real(void **state) {
    (void)state;
    if (!real_systemd_answers()) {
        fprintf(stderr, "skipped: systemctl cannot talk to systemd here (not "
                        "PID 1?); the fake systemctl tests cover parsing\n");
        skip();
    }
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "get-service-status", "unit: baton-no-such-unit.service");
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "exists"), "false");
    assert_string_equal(act_field(r, 0, "running"), "false");
    bt_harness_run_free(&run);
}

static fake_systemd *mon_fake;
static void unit_fails(mon_test *t) {
    (void)t;
    fake_unit(mon_fake, "web", "failed");
}
static void unit_back(mon_test *t) {
    (void)t;
    fake_unit(mon_fake, "web", "active");
}

static void test_monitor_service(void **state) {
    (void)state;
    fake_systemd f;
    fake_systemd_init(&f);
    mon_fake = &f;
    fake_unit(&f, "web", "active");
    mon_test t = {0};
    t.after_trigger[0] = unit_fails;
    t.after_trigger[1] = unit_back;
    host_run run = {0};
    run_monitor(&t, "monitor-service",
                "unit: web, trigger_on: change, at_start: true, "
                "max_triggers: 3",
                &run);
    act_expect_ok(monitor_record(&run));
    assert_int_equal(run.n_triggered, 3);
    assert_string_equal(trig(&run, 0, "state"), "running");
    assert_string_equal(trig(&run, 1, "state"), "stopped");
    assert_string_equal(trig(&run, 1, "active_state"), "failed");
    assert_string_equal(trig(&run, 1, "previous_state"), "running");
    assert_string_equal(trig(&run, 2, "state"), "running");
    assert_string_equal(trig(&run, 2, "main_pid"), "4242");
    host_run_free(&run);

    /* Default trigger_on: stopped, which holds at the start. */
    fake_unit(&f, "web", "inactive");
    run_monitor(&t, "monitor-service", "unit: web, max_triggers: 1", &run);
    assert_int_equal(run.n_triggered, 1);
    assert_string_equal(trig(&run, 0, "active_state"), "inactive");
    host_run_free(&run);

    /* A monitor that cannot ask systemd fails, saying why. */
    fake_unit(&f, "web", "nobus");
    mon_test t2 = {0};
    run_monitor(&t2, "monitor-service", "unit: web", &run);
    act_expect_fail(monitor_record(&run),
                    "monitor-service: cannot ask systemd about 'web'");
    host_run_free(&run);
    fake_systemd_free(&f);
}

/* ---- internet applications ---------------------------------------------- */

/* A tiny HTTP, HTTPS (argv: cert, key), SMTP or FTP server in python3 on
 * a free loopback port; it prints the port once listening. The FTP server
 * knows what libcurl says to list a folder (EPSV, then LIST). */
static const char server_py[] =
    "import sys, socket, socketserver, http.server\n"
    "class Web(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        code, body = (200, b'hello baton 42\\n') if self.path == '/' "
    "else (404, b'no\\n')\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def log_message(self, *a): pass\n"
    "class Smtp(socketserver.StreamRequestHandler):\n"
    "    def handle(self):\n"
    "        self.wfile.write(b'220 baton-test ESMTP ready\\r\\n')\n"
    "        for line in self.rfile:\n"
    "            cmd = line.strip().upper()\n"
    "            if cmd.startswith(b'EHLO') or cmd.startswith(b'HELO'):\n"
    "                self.wfile.write(b'250-baton-test\\r\\n250 HELP\\r\\n')\n"
    "            elif cmd.startswith(b'QUIT'):\n"
    "                self.wfile.write(b'221 bye\\r\\n'); return\n"
    "            else:\n"
    "                self.wfile.write(b'250 OK\\r\\n')\n"
    "class Ftp(socketserver.StreamRequestHandler):\n"
    "    def handle(self):\n"
    "        w = lambda t: self.wfile.write(t.encode() + b'\\r\\n')\n"
    "        w('220 baton-test FTP ready')\n"
    "        data = None\n"
    "        for line in self.rfile:\n"
    "            cmd = line.decode().strip().split(' ')[0].upper()\n"
    "            if cmd == 'USER': w('331 password please')\n"
    "            elif cmd == 'PASS': w('230 logged in')\n"
    "            elif cmd == 'PWD': w('257 \"/\" is the current folder')\n"
    "            elif cmd in ('CWD', 'TYPE'): w('200 OK')\n"
    "            elif cmd == 'EPSV':\n"
    "                data = socket.create_server(('127.0.0.1', 0))\n"
    "                w('229 Extended Passive Mode (|||%d|)' % "
    "data.getsockname()[1])\n"
    "            elif cmd in ('LIST', 'NLST') and data:\n"
    "                w('150 listing')\n"
    "                c, _ = data.accept()\n"
    "                c.sendall(b'report-2026.csv\\r\\n'); c.close(); "
    "data.close()\n"
    "                w('226 done')\n"
    "            elif cmd == 'QUIT': w('221 bye'); return\n"
    "            else: w('502 not here')\n"
    "socketserver.TCPServer.allow_reuse_address = True\n"
    "kind = sys.argv[1]\n"
    "h = {'http': Web, 'https': Web, 'smtp': Smtp, 'ftp': Ftp}[kind]\n"
    "srv = socketserver.ThreadingTCPServer(('127.0.0.1', 0), h)\n"
    "srv.daemon_threads = True\n"
    "if kind == 'https':\n"
    "    import ssl\n"
    "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "    ctx.load_cert_chain(sys.argv[2], sys.argv[3])\n"
    "    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "print(srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

static bool have_python3(void) {
    return system("python3 -c 'pass' >/dev/null 2>&1") == 0;
}

/* Servers this test started and has not stopped yet: a failed assertion
 * leaves the test function early, and the teardown stops them then. */
static pid_t live_servers[4];

/* cert and key: for https, else NULL. */
static pid_t start_server_tls(const char *kind, const char *cert,
                              const char *key, int *port) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Dies with the test even when the test is killed. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", "-c", server_py, kind, cert, key,
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t slot = 0;
    while (slot < 4 && live_servers[slot]) slot++;
    assert_true(slot < 4);
    live_servers[slot] = pid;
    FILE *f = fdopen(fds[0], "r");
    assert_non_null(f);
    char line[32] = "";
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    *port = atoi(line);
    if (*port <= 0) fail_msg("the python3 %s server did not start", kind);
    return pid;
}

static pid_t start_server(const char *kind, int *port) {
    return start_server_tls(kind, NULL, NULL, port);
}

static void stop_server(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < 4; i++)
        if (live_servers[i] == pid) live_servers[i] = 0;
}

static int stop_servers(void **state) {
    (void)state;
    for (size_t i = 0; i < 4; i++)
        if (live_servers[i]) stop_server(live_servers[i]);
    return 0;
}

static void test_get_internet_application_http(void **state) {
    (void)state;
    if (!have_python3()) {
        fprintf(stderr, "skipped: python3 is not installed\n");
        skip();
    }
    int port;
    pid_t srv = start_server("http", &port);
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "get-internet-application-status",
        "url: 'http://127.0.0.1:%d/', expected_content: 'hello baton', "
        "content_regex: 'baton [0-9]+'",
        port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "available"), "true");
    assert_string_equal(act_field(r, 0, "status_code"), "200");
    assert_string_equal(act_field(r, 0, "protocol"), "http");
    assert_string_equal(act_field(r, 0, "content"), "hello baton 42\n");
    assert_string_equal(act_field(r, 0, "content_length"), "15");
    assert_string_equal(act_field(r, 0, "content_match"), "true");
    assert_non_null(strstr(act_field(r, 0, "banner"), "HTTP/1.0 200"));
    assert_true(atof(act_field(r, 0, "response_time_ms")) > 0);
    bt_harness_run_free(&run);

    r = act_run1(&run, "get-internet-application-status",
                 "url: 'http://127.0.0.1:%d/missing'", port);
    char *want = bt_xasprintf("get-internet-application-status: "
                              "'http://127.0.0.1:%d/missing' is not "
                              "available: HTTP status 404 is not one of "
                              "200-399",
                              port);
    act_expect_fail(r, want);
    free(want);
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-internet-application-status",
                 "url: 'http://127.0.0.1:%d/missing', expected_status: "
                 "[4xx]",
                 port);
    act_expect_ok(r);
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-internet-application-status",
                 "url: 'http://127.0.0.1:%d/', expected_content: nothere, "
                 "fail_if_unavailable: false",
                 port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "available"), "false");
    assert_string_equal(act_field(r, 0, "content_match"), "false");
    assert_string_equal(act_field(r, 0, "reason"),
                        "the response does not contain the expected text");
    bt_harness_run_free(&run);
    stop_server(srv);

    int closed = closed_port();
    r = act_run1(&run, "get-internet-application-status",
                 "url: 'http://127.0.0.1:%d/'", closed);
    act_expect_fail(r, "is not available: Failed to connect to 127.0.0.1");
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-internet-application-status",
                 "url: 'file:///etc/passwd'");
    act_expect_fail(r, "url 'file:///etc/passwd' must start with http://");
    bt_harness_run_free(&run);
    r = act_run1(&run, "get-internet-application-status",
                 "url: 'http://x/', content_regex: '(['");
    act_expect_fail(r, "content_regex '(['");
    bt_harness_run_free(&run);
}

static void test_get_internet_application_smtp(void **state) {
    (void)state;
    if (!have_python3()) {
        fprintf(stderr, "skipped: python3 is not installed\n");
        skip();
    }
    int port;
    pid_t srv = start_server("smtp", &port);
    bt_harness_run run;
    const bt_activity_record *r =
        act_run1(&run, "get-internet-application-status",
                 "url: 'smtp://127.0.0.1:%d', timeout: 20s", port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "protocol"), "smtp");
    assert_string_equal(act_field(r, 0, "banner"),
                        "220 baton-test ESMTP ready");
    assert_string_equal(act_field(r, 0, "status_code"), "250");
    bt_harness_run_free(&run);
    stop_server(srv);
}

static bool have_openssl(void) {
    return system("openssl version >/dev/null 2>&1") == 0;
}

static void test_get_internet_application_https(void **state) {
    (void)state;
    if (!have_python3() || !have_openssl()) {
        fprintf(stderr, "skipped: python3 or openssl is not installed\n");
        skip();
    }
    char *dir = bt_harness_tmpdir();
    char *cert = bt_harness_path(dir, "cert.pem");
    char *key = bt_harness_path(dir, "key.pem");
    char *cmd = bt_xasprintf("openssl req -x509 -newkey rsa:2048 -nodes "
                             "-keyout '%s' -out '%s' -days 2 "
                             "-subj /CN=127.0.0.1 >/dev/null 2>&1",
                             key, cert);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    int port;
    start_server_tls("https", cert, key, &port);
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "get-internet-application-status",
        "url: 'https://127.0.0.1:%d/', insecure: true, "
        "expected_content: 'baton 42'",
        port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "protocol"), "https");
    assert_string_equal(act_field(r, 0, "status_code"), "200");
    assert_string_equal(act_field(r, 0, "content_match"), "true");
    bt_harness_run_free(&run);
    /* A certificate nobody vouches for is not available by default. */
    r = act_run1(&run, "get-internet-application-status",
                 "url: 'https://127.0.0.1:%d/', fail_if_unavailable: false",
                 port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "available"), "false");
    assert_non_null(strstr(act_field(r, 0, "reason"), "certificate"));
    bt_harness_run_free(&run);
    stop_servers(NULL);
    bt_harness_rmrf(dir);
    free(dir);
    free(cert);
    free(key);
}

static void test_get_internet_application_ftp(void **state) {
    (void)state;
    if (!have_python3()) {
        fprintf(stderr, "skipped: python3 is not installed\n");
        skip();
    }
    int port;
    start_server("ftp", &port);
    bt_harness_run run;
    const bt_activity_record *r = act_run1(
        &run, "get-internet-application-status",
        "url: 'ftp://127.0.0.1:%d/', expected_content: report-2026.csv",
        port);
    act_expect_ok(r);
    assert_string_equal(act_field(r, 0, "protocol"), "ftp");
    assert_string_equal(act_field(r, 0, "banner"), "220 baton-test FTP ready");
    assert_string_equal(act_field(r, 0, "status_code"), "226");
    /* A listing is ASCII mode: libcurl turns CRLF into LF. */
    assert_string_equal(act_field(r, 0, "content"), "report-2026.csv\n");
    assert_string_equal(act_field(r, 0, "content_match"), "true");
    bt_harness_run_free(&run);
    stop_servers(NULL);
}

static void kill_server(mon_test *t) {
    stop_server(t->server);
    t->server = 0;
}

static void test_monitor_internet_application(void **state) {
    (void)state;
    if (!have_python3()) {
        fprintf(stderr, "skipped: python3 is not installed\n");
        skip();
    }
    int port;
    mon_test t = {.server = start_server("http", &port)};
    t.after_trigger[0] = kill_server;
    host_run run = {0};
    char *props = bt_xasprintf("url: 'http://127.0.0.1:%d/', trigger_on: "
                               "change, at_start: true, max_triggers: 2",
                               port);
    run_monitor(&t, "monitor-internet-application", props, &run);
    free(props);
    act_expect_ok(monitor_record(&run));
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(trig(&run, 0, "state"), "ok");
    assert_string_equal(trig(&run, 0, "status_code"), "200");
    assert_string_equal(trig(&run, 1, "state"), "failed");
    assert_string_equal(trig(&run, 1, "previous_state"), "ok");
    assert_string_equal(trig(&run, 1, "available"), "false");
    host_run_free(&run);
    if (t.server) stop_server(t.server);

    /* A regex is compiled once per monitor and freed with it. */
    mon_test t2 = {0};
    run_monitor(&t2, "monitor-internet-application",
                "url: 'http://127.0.0.1:1/', content_regex: 'x+', "
                "max_triggers: 1, timeout: 2s",
                &run);
    act_expect_ok(monitor_record(&run));
    assert_int_equal(run.n_triggered, 1);
    assert_string_equal(trig(&run, 0, "state"), "failed");
    host_run_free(&run);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_disk_space),
        cmocka_unit_test(test_monitor_disk_space),
        cmocka_unit_test(test_get_process_status),
        cmocka_unit_test(test_monitor_process),
        cmocka_unit_test(test_get_computer_status_tcp),
        cmocka_unit_test(test_get_computer_status_icmp),
        cmocka_unit_test(test_monitor_computer_status),
        cmocka_unit_test(test_get_service_status_fake),
        cmocka_unit_test(test_get_service_status_real),
        cmocka_unit_test(test_monitor_service),
        cmocka_unit_test_teardown(test_get_internet_application_http,
                                  stop_servers),
        cmocka_unit_test_teardown(test_get_internet_application_smtp,
                                  stop_servers),
        cmocka_unit_test_teardown(test_get_internet_application_https,
                                  stop_servers),
        cmocka_unit_test_teardown(test_get_internet_application_ftp,
                                  stop_servers),
        cmocka_unit_test_teardown(test_monitor_internet_application,
                                  stop_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
