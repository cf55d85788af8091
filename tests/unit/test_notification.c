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


/* ---- send-email --------------------------------------------------------- */

typedef struct smtp_fixture {
    char *dir;
    char *plain_out, *tls_out, *cert;
    fixture_server plain, tls; /* tls.pid 0: no openssl */
    int plain_msgs, tls_msgs;
} smtp_fixture;

static int smtp_setup(void **state) {
    smtp_fixture *f = calloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    f->plain_out = act_path(f->dir, "plain");
    f->tls_out = act_path(f->dir, "tls");
    mkdir(f->plain_out, 0700);
    mkdir(f->tls_out, 0700);
    f->cert = act_path(f->dir, "cert.pem");
    char *key = act_path(f->dir, "key.pem");
    if (fixture_start(&f->plain, "smtp_sink.py", f->plain_out, NULL, NULL)) {
        char *cmd = bt_xasprintf(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' "
            "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
            ">/dev/null 2>&1",
            key, f->cert);
        if (system(cmd) == 0)
            fixture_start(&f->tls, "smtp_sink.py", f->tls_out, f->cert, key);
        free(cmd);
    }
    free(key);
    *state = f;
    return 0;
}

static int smtp_teardown(void **state) {
    smtp_fixture *f = *state;
    fixture_stop(&f->plain);
    fixture_stop(&f->tls);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->plain_out);
    free(f->tls_out);
    free(f->cert);
    free(f);
    return 0;
}

#define NEED_SMTP(f)                                                          \
    do {                                                                      \
        if ((f)->plain.pid <= 0) {                                            \
            fprintf(stderr, "skipped: python3 is not installed\n");           \
            skip();                                                           \
        }                                                                     \
    } while (0)

static char *read_msg(const char *dir, int n) {
    char name[32];
    snprintf(name, sizeof name, "msg-%d.eml", n);
    char *path = act_path(dir, name);
    char *text = bt_harness_read_file(path);
    if (!text) fail_msg("the SMTP server stored no %s", name);
    free(path);
    return text;
}

static void email_full(void **state) {
    smtp_fixture *f = *state;
    NEED_SMTP(f);
    char *att = act_path(f->dir, "report.txt");
    bt_harness_write_file(att, "hello attachment\n");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-email",
        "server: 127.0.0.1, port: %d, tls: optional, username: user, "
        "password: secret, from: 'Baton <baton@example.com>', to: "
        "[ops@example.com, 'Dev Team <dev@example.com>'], cc: "
        "boss@example.com, bcc: [audit@example.com], subject: 'Größe', "
        "body: \"Line one\\n.leading dot\\nend\", attachments: ['%s'], "
        "priority: high",
        f->plain.port, att);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "accepted_recipients"),
                        "ops@example.com\ndev@example.com\nboss@example.com\n"
                        "audit@example.com");
    assert_string_equal(act_field(rec, 0, "recipient_count"), "4");
    char *m = read_msg(f->plain_out, ++f->plain_msgs);
    assert_non_null(strstr(m, "X-Envelope-From: <baton@example.com>"));
    assert_non_null(strstr(m, "X-Envelope-To: ops@example.com,dev@example.com,"
                              "boss@example.com,audit@example.com"));
    assert_non_null(strstr(m, "X-TLS: no"));
    assert_non_null(strstr(m, "X-Auth: user"));
    assert_non_null(strstr(m, "\r\nFrom: Baton <baton@example.com>\r\n"));
    assert_non_null(strstr(m, "\r\nTo: ops@example.com, Dev Team "
                              "<dev@example.com>\r\n"));
    assert_non_null(strstr(m, "\r\nCc: boss@example.com\r\n"));
    assert_null(strstr(m, "audit@example.com>"));
    assert_null(strstr(m, "Bcc"));
    assert_non_null(strstr(m, "\r\nSubject: =?UTF-8?B?R3LDtsOfZQ==?=\r\n"));
    assert_non_null(strstr(m, "\r\nX-Priority: 1"));
    char *mid = bt_xasprintf("\r\nMessage-ID: %s\r\n",
                             act_field(rec, 0, "message_id"));
    assert_non_null(strstr(m, mid));
    free(mid);
    assert_non_null(strstr(m, "multipart/mixed"));
    assert_non_null(strstr(m, "Line one\r\n.leading dot\r\nend"));
    assert_non_null(strstr(m, "filename=\"report.txt\""));
    assert_non_null(strstr(m, "aGVsbG8gYXR0YWNobWVudAo="));
    free(m);
    bt_harness_run_free(&run);
    free(att);
}

static void email_errors(void **state) {
    smtp_fixture *f = *state;
    NEED_SMTP(f);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-email",
        "server: 127.0.0.1, port: %d, username: user, password: wrong, "
        "from: a@example.com, to: b@example.com",
        f->plain.port);
    act_expect_fail(rec, "refused the user name or password");
    assert_non_null(strstr(rec->error, "127.0.0.1:"));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, from: a@example.com, to: "
                   "[b@example.com, rejectme@example.com]",
                   f->plain.port);
    act_expect_fail(rec, "SMTP server '127.0.0.1:");
    bt_harness_run_free(&run);
    /* No STARTTLS offered but required. */
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, tls: required, from: "
                   "a@example.com, to: b@example.com",
                   f->plain.port);
    act_expect_fail(rec, "STARTTLS");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, from: a@example.com, to: "
                   "b@example.com, subject: \"x\\nBcc: evil@example.com\"",
                   f->plain.port);
    act_expect_fail(rec, "line break");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, from: a@example.com, to: "
                   "'not an address'",
                   f->plain.port);
    act_expect_fail(rec, "'not an address' is not an e-mail address");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, from: a@example.com, to: "
                   "b@example.com, attachments: [/nonexistent/file.pdf]",
                   f->plain.port);
    act_expect_fail(rec, "'/nonexistent/file.pdf'");
    bt_harness_run_free(&run);
    /* Nothing was delivered by any of these. */
    char *next = bt_xasprintf("%s/msg-%d.eml", f->plain_out,
                              f->plain_msgs + 1);
    assert_false(act_exists(next));
    free(next);
}

static void email_starttls(void **state) {
    smtp_fixture *f = *state;
    NEED_SMTP(f);
    if (f->tls.pid <= 0) {
        fprintf(stderr, "skipped: openssl is not installed\n");
        skip();
    }
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-email",
        "server: 127.0.0.1, port: %d, tls: required, ca_file: '%s', "
        "username: user, password: secret, from: a@example.com, to: "
        "b@example.com, subject: over tls, body: secret text",
        f->tls.port, f->cert);
    act_expect_ok(rec);
    char *m = read_msg(f->tls_out, ++f->tls_msgs);
    assert_non_null(strstr(m, "X-TLS: yes"));
    assert_non_null(strstr(m, "X-Auth: user"));
    assert_non_null(strstr(m, "Subject: over tls"));
    free(m);
    bt_harness_run_free(&run);
    /* optional upgrades too when offered */
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, ca_file: '%s', from: "
                   "a@example.com, to: b@example.com",
                   f->tls.port, f->cert);
    act_expect_ok(rec);
    m = read_msg(f->tls_out, ++f->tls_msgs);
    assert_non_null(strstr(m, "X-TLS: yes"));
    free(m);
    bt_harness_run_free(&run);
    /* The self-signed certificate is not trusted without ca_file. */
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, tls: required, from: "
                   "a@example.com, to: b@example.com",
                   f->tls.port);
    act_expect_fail(rec, "SMTP server '127.0.0.1:");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, tls: required, verify_tls: "
                   "false, from: a@example.com, to: b@example.com",
                   f->tls.port);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    /* tls: none stays in clear text even when offered */
    rec = act_run1(&run, "send-email",
                   "server: 127.0.0.1, port: %d, tls: none, from: "
                   "a@example.com, to: b@example.com",
                   f->tls.port);
    act_expect_ok(rec);
    f->tls_msgs++;
    m = read_msg(f->tls_out, ++f->tls_msgs);
    assert_non_null(strstr(m, "X-TLS: no"));
    free(m);
    bt_harness_run_free(&run);
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
    const struct CMUnitTest email_tests[] = {
        cmocka_unit_test(email_full),
        cmocka_unit_test(email_errors),
        cmocka_unit_test(email_starttls),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc | cmocka_run_group_tests(email_tests, smtp_setup,
                                       smtp_teardown);
}
