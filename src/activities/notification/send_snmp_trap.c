/* Send SNMP Trap: sends an SNMPv2c trap (SNMPv2-Trap-PDU) to a receiver:
 * sysUpTime.0, snmpTrapOID.0 and the variables the runbook lists. A trap
 * is one unacknowledged UDP datagram; success means it was sent. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activities/utility/snmp.h"
#include "activities/utility/snmp_props.h"
#include "common/buf.h"

static const bt_prop_spec send_snmp_trap_props[] = {
    BT_SNMP_TARGET_PROPS("162", "public"),
    {"trap_oid", BT_PROP_STRING, true, NULL,
     "Numeric OID identifying the trap (the value of snmpTrapOID.0)", NULL},
    {"variables", BT_PROP_MAP, false, NULL,
     "Variables to send: numeric OID -> TYPE:VALUE (i u c t a o s x d C as "
     "in snmptrap, e.g. 's:disk full')",
     NULL},
    {"uptime", BT_PROP_INTEGER, false, NULL,
     "sysUpTime.0 in hundredths of a second (default: this system's uptime)",
     NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const send_snmp_trap_published[] = {
    "host", "port", "trap_oid", "variable_count", NULL};

#define WHAT "send-snmp-trap"

static const oid sysuptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid trapoid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

static int send_snmp_trap_run(bt_activity_ctx *ctx) {
    bt_snmp_target t;
    int64_t uptime = -1;
    if (bt_snmp_target_props(ctx, WHAT, 162, "public", &t) ||
        (bt_act_has(ctx, "uptime") && bt_act_int(ctx, "uptime", 0, &uptime)))
        return -BT_EINVAL;
    bt_error err = {0};
    const char *trap_text = bt_act_str(ctx, "trap_oid", "");
    unsigned long trap[BT_SNMP_MAX_OID];
    size_t trap_len;
    if (bt_snmp_parse_oid("trap_oid", trap_text, trap, &trap_len, &err))
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    if (uptime < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        uptime = (int64_t)ts.tv_sec * 100 + ts.tv_nsec / 10000000;
    }
    bt_snmp_init();
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
    u_long ticks = (u_long)(uptime & 0xffffffff);
    snmp_pdu_add_variable(pdu, sysuptime_oid, OID_LENGTH(sysuptime_oid),
                          ASN_TIMETICKS, &ticks, sizeof ticks);
    oid trap_oid[BT_SNMP_MAX_OID];
    for (size_t i = 0; i < trap_len; i++) trap_oid[i] = trap[i];
    snmp_pdu_add_variable(pdu, trapoid_oid, OID_LENGTH(trapoid_oid),
                          ASN_OBJECT_ID, trap_oid, trap_len * sizeof(oid));
    const char *const *keys, *const *values;
    size_t n = bt_act_map(ctx, "variables", &keys, &values);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned long o[BT_SNMP_MAX_OID];
        size_t len;
        char prop[160];
        snprintf(prop, sizeof prop, "variables.%s", keys[i]);
        rc = bt_snmp_parse_oid(prop, keys[i], o, &len, &err);
        if (!rc) rc = bt_snmp_add_typed(pdu, prop, o, len, values[i], &err);
    }
    if (rc) {
        snmp_free_pdu(pdu);
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    }
    void *sess = bt_snmp_open(&t, &err);
    if (!sess) {
        snmp_free_pdu(pdu);
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    }
    /* snmp_sess_send frees the PDU only when it succeeds. */
    if (snmp_sess_send(sess, pdu) == 0) {
        snmp_free_pdu(pdu);
        bt_snmp_session_error(sess, &t, "cannot send the trap to", &err);
        bt_snmp_close(sess);
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    }
    bt_snmp_close(sess);
    bt_act_publish(ctx, "host", t.host);
    bt_act_publishf(ctx, "port", "%d", t.port);
    bt_act_publish(ctx, "trap_oid", trap_text[0] == '.' ? trap_text + 1
                                                        : trap_text);
    bt_act_publishf(ctx, "variable_count", "%zu", n);
    return 0;
}

const bt_activity_type bt_activity_send_snmp_trap = {
    .name = "send-snmp-trap",
    .title = "Send SNMP Trap",
    .category = "notification",
    .description = "Sends an SNMP v2c trap with a trap OID and variables.",
    .mode = BT_EXEC_BLOCKING,
    .props = send_snmp_trap_props,
    .published = send_snmp_trap_published,
    .run = send_snmp_trap_run,
};
