/* Get SNMP Variable: reads variables from an SNMP agent (v2c) with GET,
 * GETNEXT, or a walk of a subtree, publishing one row per variable. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdlib.h>
#include <string.h>

#include "activities/utility/snmp.h"
#include "activities/utility/snmp_props.h"

static const char *const snmp_operations[] = {"get", "get-next", "walk",
                                              NULL};

static const bt_prop_spec get_snmp_variable_props[] = {
    BT_SNMP_TARGET_PROPS("161", "public"),
    {"oid", BT_PROP_LIST, true, NULL,
     "Numeric OID, or a list of them (get and get-next)", NULL},
    {"operation", BT_PROP_STRING, false, "get",
     "get: these variables; get-next: the variable after each; walk: every "
     "variable under the (single) OID",
     snmp_operations},
    {"max_rows", BT_PROP_INTEGER, false, "10000",
     "Most variables a walk may publish", NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const get_snmp_variable_published[] = {"oid", "type",
                                                          "value", NULL};

#define WHAT "get-snmp-variable"

static void new_row(bt_activity_ctx *ctx) {
    if (bt_act_row_count(ctx) > 0) bt_act_new_row(ctx);
}

/* One GET or GETNEXT request for all the OIDs. */
static int get_once(bt_activity_ctx *ctx, void *sess,
                    const bt_snmp_target *t, int command,
                    const char *const *oids, size_t n, bt_error *err) {
    netsnmp_pdu *pdu = snmp_pdu_create(command);
    for (size_t i = 0; i < n; i++) {
        unsigned long o[BT_SNMP_MAX_OID];
        oid oo[BT_SNMP_MAX_OID];
        size_t len;
        if (bt_snmp_parse_oid("oid", oids[i], o, &len, err)) {
            snmp_free_pdu(pdu);
            return -BT_EINVAL;
        }
        for (size_t k = 0; k < len; k++) oo[k] = o[k];
        snmp_add_null_var(pdu, oo, len);
    }
    netsnmp_pdu *resp = NULL;
    int st = snmp_sess_synch_response(sess, pdu, &resp);
    int rc = 0;
    if (st != STAT_SUCCESS || !resp) {
        bt_snmp_session_error(sess, t, "no answer from", err);
        rc = -err->code;
    } else if (resp->errstat != SNMP_ERR_NOERROR) {
        rc = bt_error_set(err, BT_EIO, "%s port %d answered %s (variable %ld)",
                          t->host, t->port, snmp_errstring(resp->errstat),
                          resp->errindex);
    } else {
        size_t i = 0;
        for (netsnmp_variable_list *v = resp->variables; v && !rc;
             v = v->next_variable, i++) {
            const char *ex;
            if (command == SNMP_MSG_GET && bt_snmp_var_is_exception(v, &ex)) {
                rc = bt_error_set(err, BT_ENOTFOUND,
                                  "%s port %d has no variable %s (%s)",
                                  t->host, t->port, i < n ? oids[i] : "?",
                                  ex);
                break;
            }
            new_row(ctx);
            bt_snmp_publish_var(ctx, v);
        }
    }
    if (resp) snmp_free_pdu(resp);
    return rc;
}

static bool oid_under(const netsnmp_variable_list *v, const oid *root,
                      size_t len) {
    return v->name_length > len &&
           memcmp(v->name, root, len * sizeof(oid)) == 0;
}

static int walk(bt_activity_ctx *ctx, void *sess, const bt_snmp_target *t,
                const char *text, int64_t max_rows, bt_error *err) {
    unsigned long o[BT_SNMP_MAX_OID];
    oid root[BT_SNMP_MAX_OID], cur[BT_SNMP_MAX_OID];
    size_t root_len, cur_len;
    if (bt_snmp_parse_oid("oid", text, o, &root_len, err)) return -BT_EINVAL;
    for (size_t k = 0; k < root_len; k++) root[k] = cur[k] = o[k];
    cur_len = root_len;
    int64_t rows = 0;
    for (;;) {
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
        snmp_add_null_var(pdu, cur, cur_len);
        netsnmp_pdu *resp = NULL;
        int st = snmp_sess_synch_response(sess, pdu, &resp);
        if (st != STAT_SUCCESS || !resp) {
            if (resp) snmp_free_pdu(resp);
            bt_snmp_session_error(sess, t, "no answer from", err);
            return -err->code;
        }
        netsnmp_variable_list *v = resp->variables;
        const char *ex;
        bool done = resp->errstat == SNMP_ERR_NOSUCHNAME || !v ||
                    bt_snmp_var_is_exception(v, &ex) ||
                    !oid_under(v, root, root_len);
        if (!done && resp->errstat != SNMP_ERR_NOERROR) {
            int rc = bt_error_set(err, BT_EIO, "%s port %d answered %s",
                                  t->host, t->port,
                                  snmp_errstring(resp->errstat));
            snmp_free_pdu(resp);
            return rc;
        }
        /* An agent that does not move forward would loop for ever. */
        if (!done && snmp_oid_compare(v->name, v->name_length, cur,
                                      cur_len) <= 0) {
            snmp_free_pdu(resp);
            return bt_error_set(err, BT_EIO,
                                "%s port %d returned OIDs out of order",
                                t->host, t->port);
        }
        if (!done && ++rows > max_rows) {
            snmp_free_pdu(resp);
            return bt_error_set(err, BT_ETOOBIG,
                                "walk of %s on %s has more than %lld "
                                "variables (raise max_rows)",
                                text, t->host, (long long)max_rows);
        }
        if (!done) {
            new_row(ctx);
            bt_snmp_publish_var(ctx, v);
            cur_len = v->name_length < BT_SNMP_MAX_OID ? v->name_length
                                                       : BT_SNMP_MAX_OID;
            memcpy(cur, v->name, cur_len * sizeof(oid));
        }
        snmp_free_pdu(resp);
        if (done) return 0;
    }
}

static int get_snmp_variable_run(bt_activity_ctx *ctx) {
    bt_snmp_target t;
    int64_t max_rows;
    if (bt_snmp_target_props(ctx, WHAT, 161, "public", &t) ||
        bt_act_int(ctx, "max_rows", 10000, &max_rows))
        return -BT_EINVAL;
    const char *const *oids;
    size_t n = bt_act_list(ctx, "oid", &oids);
    const char *op = bt_act_str(ctx, "operation", "get");
    bt_error err = {0};
    if (n == 0) return bt_act_fail(ctx, WHAT ": property 'oid' is empty");
    if (n > 64)
        return bt_act_fail(ctx, WHAT ": at most 64 OIDs in one request");
    if (max_rows < 1 || max_rows > 100000)
        return bt_act_fail(ctx, WHAT ": property 'max_rows' must be 1 to "
                                     "100000");
    bool is_walk = strcmp(op, "walk") == 0;
    if (!is_walk && strcmp(op, "get") && strcmp(op, "get-next"))
        return bt_act_fail(ctx, WHAT ": property 'operation' must be get, "
                                     "get-next or walk, got '%s'",
                           op);
    if (is_walk && n != 1)
        return bt_act_fail(ctx, WHAT ": a walk takes one OID");
    void *sess = bt_snmp_open(&t, &err);
    int rc = sess ? 0 : -BT_EIO;
    if (!rc && is_walk)
        rc = walk(ctx, sess, &t, oids[0], max_rows, &err);
    else if (!rc)
        rc = get_once(ctx, sess, &t,
                      strcmp(op, "get") == 0 ? SNMP_MSG_GET : SNMP_MSG_GETNEXT,
                      oids, n, &err);
    bt_snmp_close(sess);
    if (rc) return bt_act_fail(ctx, WHAT ": %s", err.message);
    /* An empty walk is not an error: zero rows, no link fires. */
    if (bt_act_row_count(ctx) == 0) bt_act_publish_no_rows(ctx);
    return 0;
}

const bt_activity_type bt_activity_get_snmp_variable = {
    .name = "get-snmp-variable",
    .title = "Get SNMP Variable",
    .category = "utility",
    .description = "Reads variables from an SNMP agent (get, get-next or "
                   "walk), one row per variable.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_snmp_variable_props,
    .published = get_snmp_variable_published,
    .run = get_snmp_variable_run,
};
