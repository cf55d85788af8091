/* Notification activities against real listeners the test opens: a UDP
 * and a TCP syslog server on free loopback ports, unix datagram sockets
 * standing in for /dev/log and journald's socket, and an SMTP server
 * (tests/unit/fixtures/smtp_sink.py). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "activity_support.h"
#include "common/util.h"
#include "fixture_server.h"

/* A socket bound to 127.0.0.1 on a free port; *port gets the port. */
static int listen_inet(int type, int *port) {
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    if (type == SOCK_STREAM) assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static int listen_unix(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof sa.sun_path);
    strcpy(sa.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* The datagram the activity sent: already queued when it finished. */
static char *recv_dgram(int fd, size_t *len) {
    char *buf = calloc(1, 65536 + 1);
    ssize_t n = recv(fd, buf, 65536, MSG_DONTWAIT);
    assert_true(n > 0);
    if (len) *len = (size_t)n;
    return buf;
}

static void syslog_udp(void **state) {
    (void)state;
    int port;
    int fd = listen_inet(SOCK_DGRAM, &port);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-syslog-message",
        "host: 127.0.0.1, port: %d, facility: local3, severity: warning, "
        "app_name: deploy, msgid: ID47, hostname: web01, message: 'disk "
        "almost full: 91%%'",
        port);
    act_expect_ok(rec);
    /* local3 (19) * 8 + warning (4) */
    assert_string_equal(act_field(rec, 0, "priority"), "156");
    char *msg = recv_dgram(fd, NULL);
    assert_int_equal(strncmp(msg, "<156>1 ", 7), 0);
    assert_non_null(strstr(msg, "Z web01 deploy "));
    assert_non_null(strstr(msg, " ID47 - disk almost full: 91%"));
    char dest[64];
    snprintf(dest, sizeof dest, "udp://127.0.0.1:%d", port);
    assert_string_equal(act_field(rec, 0, "destination"), dest);
    assert_int_equal(atoi(act_field(rec, 0, "bytes")), (int)strlen(msg));
    free(msg);
    bt_harness_run_free(&run);
    close(fd);
}

static void syslog_load_checks(void **state) {
    (void)state;
    bt_harness_run run;
    int rc = bt_harness_run_yaml("name: t\nactivities:\n  - {id: a, type: "
                                 "send-syslog-message, properties: {message: "
                                 "x, severity: loud}}\n",
                                 NULL, &run);
    assert_int_not_equal(rc, 0);
    bt_harness_run_free(&run);
}

static void syslog_tcp(void **state) {
    (void)state;
    int port;
    int lfd = listen_inet(SOCK_STREAM, &port);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "send-syslog-message",
                 "host: 127.0.0.1, port: %d, protocol: tcp, severity: err, "
                 "message: \"two\\nlines\"",
                 port);
    act_expect_ok(rec);
    int c = accept(lfd, NULL, NULL);
    assert_true(c >= 0);
    char buf[4096] = "";
    size_t got = 0;
    ssize_t n;
    while ((n = read(c, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    buf[got] = '\0';
    /* Octet counting: "LEN <14>1 ..." (user.err = 8 + 3 = 11) */
    char *sp = strchr(buf, ' ');
    assert_non_null(sp);
    assert_int_equal(atoi(buf), (int)(got - (size_t)(sp + 1 - buf)));
    assert_int_equal(strncmp(sp + 1, "<11>1 ", 6), 0);
    assert_non_null(strstr(buf, " - two\nlines"));
    close(c);
    close(lfd);
    bt_harness_run_free(&run);

    /* Nothing listens any more. */
    rec = act_run1(&run, "send-syslog-message",
                   "host: 127.0.0.1, port: %d, protocol: tcp, message: x",
                   port);
    act_expect_fail(rec, "127.0.0.1");
    bt_harness_run_free(&run);
}

static void syslog_local(void **state) {
    char *path = act_path(*state, "log.sock");
    int fd = listen_unix(path);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-syslog-message",
        "socket: '%s', facility: daemon, app_name: baton-test, message: hi",
        path);
    act_expect_ok(rec);
    char *msg = recv_dgram(fd, NULL);
    /* daemon (3) * 8 + info (6) = 30, traditional local format */
    assert_int_equal(strncmp(msg, "<30>", 4), 0);
    assert_non_null(strstr(msg, " baton-test["));
    assert_non_null(strstr(msg, "]: hi"));
    free(msg);
    close(fd);
    bt_harness_run_free(&run);
    char *none = act_path(*state, "none.sock");
    rec = act_run1(&run, "send-syslog-message", "socket: '%s', message: x",
                   none);
    act_expect_fail(rec, "none.sock");
    bt_harness_run_free(&run);
    free(none);
    free(path);
}

static void journal(void **state) {
    char *path = act_path(*state, "journal.sock");
    int fd = listen_unix(path);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-journal-message",
        "socket: '%s', priority: err, identifier: nightly, message: "
        "\"backup failed\\non web01\", fields: {JOB_ID: '42', HOST: web01}",
        path);
    act_expect_ok(rec);
    size_t len;
    char *msg = recv_dgram(fd, &len);
    /* The multi-line MESSAGE uses the binary form. */
    const char expect_msg[] = "MESSAGE\n\x16\0\0\0\0\0\0\0backup failed\non "
                              "web01\n";
    assert_true(len > sizeof expect_msg - 1);
    assert_memory_equal(msg, expect_msg, sizeof expect_msg - 1);
    const char *rest = msg + sizeof expect_msg - 1;
    assert_string_equal(rest, "PRIORITY=3\nSYSLOG_IDENTIFIER=nightly\n"
                              "JOB_ID=42\nHOST=web01\n");
    assert_int_equal(atoi(act_field(rec, 0, "bytes")), (int)len);
    free(msg);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "send-journal-message",
                   "socket: '%s', message: x, fields: {_PID: '1'}", path);
    act_expect_fail(rec, "field name '_PID'");
    bt_harness_run_free(&run);
    close(fd);
    char *none = act_path(*state, "none.sock");
    rec = act_run1(&run, "send-journal-message", "socket: '%s', message: x",
                   none);
    act_expect_fail(rec, "no journald socket at");
    bt_harness_run_free(&run);
    free(none);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syslog_udp),
        cmocka_unit_test(syslog_load_checks),
        cmocka_unit_test(syslog_tcp),
        cmocka_unit_test_setup_teardown(syslog_local, act_setup,
                                        act_teardown),
        cmocka_unit_test_setup_teardown(journal, act_setup, act_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
