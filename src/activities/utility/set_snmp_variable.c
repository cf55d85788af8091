/* Set SNMP Variable: writes one variable on an SNMP agent (v2c SET) and
 * publishes the value the agent reports back. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "activities/utility/snmp.h"
#include "activities/utility/snmp_props.h"

static const bt_prop_spec set_snmp_variable_props[] = {
    BT_SNMP_TARGET_PROPS("161", "private"),
    {"oid", BT_PROP_STRING, true, NULL, "Numeric OID of the variable",
     NULL},
    {"value", BT_PROP_STRING, true, NULL,
     "TYPE:VALUE, e.g. 's:Server room 2', 'i:42', 'a:10.0.0.1' (i u c t a "
     "o s x d C as in snmpset)",
     NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const set_snmp_variable_published[] = {"oid", "type",
                                                          "value", NULL};

#define WHAT "set-snmp-variable"

static int set_snmp_variable_run(bt_activity_ctx *ctx) {
    bt_snmp_target t;
    if (bt_snmp_target_props(ctx, WHAT, 161, "private", &t)) return -BT_EINVAL;
    bt_error err = {0};
    unsigned long o[BT_SNMP_MAX_OID];
    size_t len;
    const char *oid_text = bt_act_str(ctx, "oid", "");
    if (bt_snmp_parse_oid("oid", oid_text, o, &len, &err))
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    bt_snmp_init();
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET);
    if (bt_snmp_add_typed(pdu, "value", o, len, bt_act_str(ctx, "value", ""),
                          &err)) {
        snmp_free_pdu(pdu);
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    }
    void *sess = bt_snmp_open(&t, &err);
    if (!sess) {
        snmp_free_pdu(pdu);
        return bt_act_fail(ctx, WHAT ": %s", err.message);
    }
    netsnmp_pdu *resp = NULL;
    int st = snmp_sess_synch_response(sess, pdu, &resp);
    int rc = 0;
    if (st != STAT_SUCCESS || !resp) {
        bt_snmp_session_error(sess, &t, "no answer from", &err);
        rc = -err.code;
    } else if (resp->errstat != SNMP_ERR_NOERROR) {
        rc = bt_error_set(&err, BT_EIO, "%s port %d refused to set %s: %s",
                          t.host, t.port, oid_text,
                          snmp_errstring(resp->errstat));
    } else if (resp->variables) {
        bt_snmp_publish_var(ctx, resp->variables);
    }
    if (resp) snmp_free_pdu(resp);
    bt_snmp_close(sess);
    if (rc) return bt_act_fail(ctx, WHAT ": %s", err.message);
    return 0;
}

const bt_activity_type bt_activity_set_snmp_variable = {
    .name = "set-snmp-variable",
    .title = "Set SNMP Variable",
    .category = "utility",
    .description = "Sets a variable on an SNMP agent.",
    .mode = BT_EXEC_BLOCKING,
    .props = set_snmp_variable_props,
    .published = set_snmp_variable_published,
    .run = set_snmp_variable_run,
};
