/* The SNMP activities for real: send-snmp-trap to a UDP socket of this
 * test, whose BER is decoded far enough to check the community, the trap
 * OID and the variables; get-snmp-variable and set-snmp-variable against
 * Debian's snmpd started on a free loopback port with a private config
 * (skipped when snmpd is not installed; scripts/install-deps.sh test
 * installs it). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activity_support.h"

#define SNMPD "/usr/sbin/snmpd"

static int udp_socket(int *port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return s;
}

/* ---- a little BER ----------------------------------------------------- */

typedef struct tlv {
    uint8_t tag;
    const uint8_t *val;
    size_t len;
} tlv;

/* Reads one TLV at *p; advances *p. */
static void ber_next(const uint8_t **p, const uint8_t *end, tlv *out) {
    assert_true(end - *p >= 2);
    out->tag = (*p)[0];
    size_t len = (*p)[1];
    const uint8_t *v = *p + 2;
    if (len & 0x80) {
        size_t nb = len & 0x7f;
        assert_true(nb >= 1 && nb <= 3 && end - v >= (ptrdiff_t)nb);
        len = 0;
        for (size_t i = 0; i < nb; i++) len = len << 8 | v[i];
        v += nb;
    }
    assert_true((size_t)(end - v) >= len);
    out->val = v;
    out->len = len;
    *p = v + len;
}

static size_t ber_oid(const char *text, uint8_t *out) {
    unsigned long a[64] = {0};
    size_t n = 0;
    for (const char *p = text; *p;) {
        a[n++] = strtoul(p, (char **)&p, 10);
        if (*p == '.') p++;
    }
    size_t k = 0;
    out[k++] = (uint8_t)(a[0] * 40 + a[1]);
    for (size_t i = 2; i < n; i++) {
        uint8_t tmp[8];
        size_t m = 0;
        unsigned long v = a[i];
        do {
            tmp[m++] = v & 0x7f;
            v >>= 7;
        } while (v);
        while (m--) out[k++] = tmp[m] | (m ? 0x80 : 0);
    }
    return k;
}

static void expect_oid(const tlv *t, const char *text) {
    uint8_t enc[128];
    size_t n = ber_oid(text, enc);
    assert_int_equal(t->tag, 0x06);
    assert_int_equal(t->len, n);
    assert_memory_equal(t->val, enc, n);
}

static void test_send_snmp_trap(void **state) {
    (void)state;
    int port;
    int s = udp_socket(&port);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "send-snmp-trap",
        "host: 127.0.0.1, port: %d, community: 'ops team', "
        "trap_oid: '1.3.6.1.4.1.8072.2.3.0.1', uptime: 4242, "
        "variables: {'1.3.6.1.4.1.8072.2.3.2.1': 's:disk full; $(rm -rf)', "
        "'1.3.6.1.4.1.8072.2.3.2.2': 'i:-17'}",
        port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "trap_oid"),
                        "1.3.6.1.4.1.8072.2.3.0.1");
    assert_string_equal(act_field(rec, 0, "variable_count"), "2");
    bt_harness_run_free(&run);

    struct pollfd pfd = {.fd = s, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    uint8_t pkt[4096];
    ssize_t n = recv(s, pkt, sizeof pkt, 0);
    assert_true(n > 0);
    const uint8_t *p = pkt, *end = pkt + n;
    tlv msg, ver, comm, pdu, f, binds;
    ber_next(&p, end, &msg);
    assert_int_equal(msg.tag, 0x30);
    p = msg.val;
    end = msg.val + msg.len;
    ber_next(&p, end, &ver);
    assert_int_equal(ver.tag, 0x02);
    assert_int_equal(ver.val[0], 1); /* v2c */
    ber_next(&p, end, &comm);
    assert_int_equal(comm.tag, 0x04);
    assert_int_equal(comm.len, 8);
    assert_memory_equal(comm.val, "ops team", 8);
    ber_next(&p, end, &pdu);
    assert_int_equal(pdu.tag, 0xA7); /* SNMPv2-Trap-PDU */
    p = pdu.val;
    end = pdu.val + pdu.len;
    for (int i = 0; i < 3; i++) ber_next(&p, end, &f); /* id, status, index */
    ber_next(&p, end, &binds);
    assert_int_equal(binds.tag, 0x30);
    p = binds.val;
    end = binds.val + binds.len;
    tlv vb, name, value;
    const uint8_t *q;
    /* 1: sysUpTime.0 = 4242 */
    ber_next(&p, end, &vb);
    q = vb.val;
    ber_next(&q, vb.val + vb.len, &name);
    expect_oid(&name, "1.3.6.1.2.1.1.3.0");
    ber_next(&q, vb.val + vb.len, &value);
    assert_int_equal(value.tag, 0x43);
    assert_int_equal(value.len, 2);
    assert_int_equal(value.val[0] << 8 | value.val[1], 4242);
    /* 2: snmpTrapOID.0 = the trap */
    ber_next(&p, end, &vb);
    q = vb.val;
    ber_next(&q, vb.val + vb.len, &name);
    expect_oid(&name, "1.3.6.1.6.3.1.1.4.1.0");
    ber_next(&q, vb.val + vb.len, &value);
    expect_oid(&value, "1.3.6.1.4.1.8072.2.3.0.1");
    /* 3 and 4: the variables, as sent (the map keeps their order). */
    ber_next(&p, end, &vb);
    q = vb.val;
    ber_next(&q, vb.val + vb.len, &name);
    expect_oid(&name, "1.3.6.1.4.1.8072.2.3.2.1");
    ber_next(&q, vb.val + vb.len, &value);
    assert_int_equal(value.tag, 0x04);
    assert_int_equal(value.len, strlen("disk full; $(rm -rf)"));
    assert_memory_equal(value.val, "disk full; $(rm -rf)", value.len);
    ber_next(&p, end, &vb);
    q = vb.val;
    ber_next(&q, vb.val + vb.len, &name);
    expect_oid(&name, "1.3.6.1.4.1.8072.2.3.2.2");
    ber_next(&q, vb.val + vb.len, &value);
    assert_int_equal(value.tag, 0x02);
    assert_int_equal(value.len, 1);
    assert_int_equal((int8_t)value.val[0], -17);
    assert_true(p == end);
    close(s);

    rec = act_run1(&run, "send-snmp-trap",
                   "host: 127.0.0.1, port: %d, trap_oid: 'coldStart'", port);
    act_expect_fail(rec, "property 'trap_oid' must be a numeric OID");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-snmp-trap",
                   "host: 127.0.0.1, port: %d, trap_oid: '1.3.6.1.4.1.1', "
                   "variables: {'1.3.6.1.4.1.1.1': 'no type'}",
                   port);
    act_expect_fail(rec, "must start with a type letter");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "send-snmp-trap",
                   "host: 127.0.0.1, port: %d, trap_oid: '1.3.6.1.4.1.1', "
                   "variables: {'1.3.6.1.4.1.1.1': 'i:many'}",
                   port);
    act_expect_fail(rec, "bad value 'i:many'");
    bt_harness_run_free(&run);
}

/* ---- against snmpd ---------------------------------------------------- */

typedef struct agent {
    char *dir;
    pid_t pid;
    int port;
} agent;

static bool udp_port_taken(int port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool taken = bind(s, (struct sockaddr *)&a, sizeof a) != 0 &&
                 errno == EADDRINUSE;
    close(s);
    return taken;
}

static int agent_setup(void **state) {
    *state = NULL;
    if (access(SNMPD, X_OK) != 0) return 0;
    agent *ag = calloc(1, sizeof *ag);
    ag->dir = bt_harness_tmpdir();
    char *conf = act_path(ag->dir, "snmpd.conf");
    char *log = act_path(ag->dir, "snmpd.log");
    /* Another process may take the free port before snmpd binds it: then
     * snmpd exits, and it is started again on another port. */
    for (int attempt = 0; attempt < 3 && ag->pid <= 0; attempt++) {
        int s = udp_socket(&ag->port);
        close(s);
        char *text = NULL;
        assert_true(asprintf(&text,
                             "agentAddress udp:127.0.0.1:%d\n"
                             "rocommunity public 127.0.0.1\n"
                             "rwcommunity private 127.0.0.1\n"
                             "sysName baton-test-agent\n"
                             "sysContact ops@example.com\n",
                             ag->port) > 0);
        bt_harness_write_file(conf, text);
        free(text);
        ag->pid = fork();
        if (ag->pid == 0) {
            FILE *lf = fopen(log, "a"); /* startup warnings too */
            if (lf) {
                dup2(fileno(lf), 1);
                dup2(fileno(lf), 2);
            }
            setenv("SNMP_PERSISTENT_DIR", ag->dir, 1);
            setenv("MIBS", "", 1);
            /* The pid file is removed at exit: it must be our own. */
            char pidfile[4096];
            snprintf(pidfile, sizeof pidfile, "%s/snmpd.pid", ag->dir);
            execl(SNMPD, SNMPD, "-f", "-C", "-c", conf, "-Lf", log, "-p",
                  pidfile, (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 3000 && !udp_port_taken(ag->port); i++) {
            int st;
            if (waitpid(ag->pid, &st, WNOHANG) == ag->pid) {
                char *t = bt_harness_read_file(log);
                fprintf(stderr, "snmpd exited: %s\n", t ? t : "");
                free(t);
                ag->pid = 0;
                break;
            }
            usleep(10000);
        }
    }
    assert_true(ag->pid > 0 && udp_port_taken(ag->port));
    free(conf);
    free(log);
    *state = ag;
    return 0;
}

static int agent_teardown(void **state) {
    agent *ag = *state;
    if (!ag) return 0;
    if (ag->pid > 0) {
        kill(ag->pid, SIGTERM);
        waitpid(ag->pid, NULL, 0);
    }
    bt_harness_rmrf(ag->dir);
    free(ag->dir);
    free(ag);
    return 0;
}

static agent *need_agent(void **state) {
    if (!*state) {
        fprintf(stderr, "skipped: %s not installed (install snmpd: "
                        "scripts/install-deps.sh test)\n",
                SNMPD);
        skip();
    }
    return *state;
}

static void test_get_snmp_variable(void **state) {
    agent *ag = need_agent(state);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "get-snmp-variable",
        "host: 127.0.0.1, port: %d, oid: ['1.3.6.1.2.1.1.5.0', "
        "'.1.3.6.1.2.1.1.4.0']",
        ag->port);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 0, "oid"), "1.3.6.1.2.1.1.5.0");
    assert_string_equal(act_field(rec, 0, "type"), "string");
    assert_string_equal(act_field(rec, 0, "value"), "baton-test-agent");
    assert_string_equal(act_field(rec, 1, "value"), "ops@example.com");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.3', "
                   "operation: get-next",
                   ag->port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "oid"), "1.3.6.1.2.1.1.3.0");
    assert_string_equal(act_field(rec, 0, "type"), "timeticks");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1', "
                   "operation: walk",
                   ag->port);
    act_expect_ok(rec);
    assert_true(rec->n_rows >= 5);
    bool saw_name = false;
    for (size_t i = 0; i < rec->n_rows; i++) {
        assert_true(strncmp(act_field(rec, i, "oid"), "1.3.6.1.2.1.1.", 14) ==
                    0);
        if (strcmp(act_field(rec, i, "oid"), "1.3.6.1.2.1.1.5.0") == 0) {
            saw_name = true;
            assert_string_equal(act_field(rec, i, "value"),
                                "baton-test-agent");
        }
    }
    assert_true(saw_name);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.99.0'",
                   ag->port);
    act_expect_fail(rec, "has no variable 1.3.6.1.2.1.1.99.0");
    bt_harness_run_free(&run);

    /* A v2c agent ignores a wrong community: that is a timeout. */
    rec = act_run1(&run, "get-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.5.0', "
                   "community: wrong, timeout: 300ms, retries: 0",
                   ag->port);
    act_expect_fail(rec, "no answer from 127.0.0.1 port");
    bt_harness_run_free(&run);
}

static void test_set_snmp_variable(void **state) {
    agent *ag = need_agent(state);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "set-snmp-variable",
        "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.6.0', "
        "value: 's:Rack 7, room \"B\"'",
        ag->port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "Rack 7, room \"B\"");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "get-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.6.0'",
                   ag->port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "Rack 7, room \"B\"");
    bt_harness_run_free(&run);

    /* The agent checks the type, and read-only communities. */
    rec = act_run1(&run, "set-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.6.0', "
                   "value: 'i:5'",
                   ag->port);
    act_expect_fail(rec, "refused to set 1.3.6.1.2.1.1.6.0");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "set-snmp-variable",
                   "host: 127.0.0.1, port: %d, oid: '1.3.6.1.2.1.1.6.0', "
                   "value: 's:x', community: public",
                   ag->port);
    act_expect_fail(rec, "refused to set");
    bt_harness_run_free(&run);
}

int main(void) {
    const struct CMUnitTest trap[] = {
        cmocka_unit_test(test_send_snmp_trap),
    };
    const struct CMUnitTest agent_tests[] = {
        cmocka_unit_test(test_get_snmp_variable),
        cmocka_unit_test(test_set_snmp_variable),
    };
    int rc = cmocka_run_group_tests(trap, NULL, NULL);
    return rc | cmocka_run_group_tests(agent_tests, agent_setup,
                                       agent_teardown);
}
