/* net-snmp glue for the SNMP activities. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "activities/utility/snmp.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t snmp_once = PTHREAD_ONCE_INIT;

static void snmp_init_once(void) {
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    /* A handler that drops everything: without any, net-snmp writes to
     * stderr (missing MIB modules, for one; OIDs here are numeric). */
    snmp_disable_log();
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_DEBUG);
    init_snmp("baton");
}

void bt_snmp_init(void) { pthread_once(&snmp_once, snmp_init_once); }

int bt_snmp_parse_oid(const char *prop, const char *text, unsigned long *oid,
                      size_t *len, bt_error *err) {
    const char *p = text;
    size_t n = 0;
    if (*p == '.') p++;
    while (*p) {
        if (*p < '0' || *p > '9') break;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v > 0xffffffffULL || n == BT_SNMP_MAX_OID) break;
        oid[n++] = (unsigned long)v;
        p = end;
        if (*p == '.') {
            p++;
            if (!*p) break;
        } else if (*p) {
            break;
        }
    }
    if (*p || n < 2)
        return bt_error_set(err, BT_EINVAL,
                            "property '%s' must be a numeric OID such as "
                            "1.3.6.1.2.1.1.5.0, got '%s'",
                            prop, text);
    *len = n;
    return 0;
}

void bt_snmp_format_oid(const unsigned long *oid, size_t len, bt_buf *out) {
    for (size_t i = 0; i < len; i++)
        (void)bt_buf_printf(out, i ? ".%lu" : "%lu", oid[i]);
}

int bt_snmp_target_props(bt_activity_ctx *ctx, const char *type_name,
                         int default_port, const char *default_community,
                         bt_snmp_target *out) {
    int64_t port, retries;
    uint64_t timeout_ms;
    if (bt_act_int(ctx, "port", default_port, &port) ||
        bt_act_int(ctx, "retries", 1, &retries) ||
        bt_act_duration(ctx, "timeout", 5000, &timeout_ms))
        return -BT_EINVAL;
    out->host = bt_act_str(ctx, "host", "");
    out->community = bt_act_str(ctx, "community", default_community);
    if (!*out->host)
        return bt_act_fail(ctx, "%s: property 'host' is empty", type_name);
    if (strpbrk(out->host, "/ "))
        return bt_act_fail(ctx, "%s: property 'host' must be a host name or "
                                "address, got '%s'",
                           type_name, out->host);
    if (port < 1 || port > 65535)
        return bt_act_fail(ctx, "%s: property 'port' must be 1 to 65535",
                           type_name);
    if (retries < 0 || retries > 10)
        return bt_act_fail(ctx, "%s: property 'retries' must be 0 to 10",
                           type_name);
    if (timeout_ms == 0 || timeout_ms > 600000)
        return bt_act_fail(ctx, "%s: property 'timeout' must be between "
                                "1ms and 10m",
                           type_name);
    out->port = (int)port;
    out->retries = (int)retries;
    out->timeout_us = (long)timeout_ms * 1000;
    return 0;
}

void *bt_snmp_open(const bt_snmp_target *t, bt_error *err) {
    bt_snmp_init();
    char peer[300];
    if (strchr(t->host, ':'))
        snprintf(peer, sizeof peer, "udp6:[%s]:%d", t->host, t->port);
    else
        snprintf(peer, sizeof peer, "udp:%s:%d", t->host, t->port);
    netsnmp_session s;
    snmp_sess_init(&s);
    s.version = SNMP_VERSION_2c;
    s.peername = peer;
    s.community = (u_char *)t->community;
    s.community_len = strlen(t->community);
    s.timeout = t->timeout_us;
    s.retries = t->retries;
    void *sess = snmp_sess_open(&s);
    if (!sess) {
        int liberr = 0, syserr = 0;
        char *msg = NULL;
        snmp_error(&s, &liberr, &syserr, &msg);
        bt_error_set(err, BT_EIO, "cannot reach %s port %d: %s", t->host,
                     t->port, msg ? msg : "unknown error");
        free(msg);
    }
    return sess;
}

void bt_snmp_close(void *sess) {
    if (sess) snmp_sess_close(sess);
}

void bt_snmp_session_error(void *sess, const bt_snmp_target *t,
                           const char *what, bt_error *err) {
    int liberr = 0, syserr = 0;
    char *msg = NULL;
    snmp_sess_error(sess, &liberr, &syserr, &msg);
    bt_error_set(err, liberr == SNMPERR_TIMEOUT ? BT_ETIMEDOUT : BT_EIO,
                 "%s %s port %d: %s", what, t->host, t->port,
                 liberr == SNMPERR_TIMEOUT ? "no answer (timeout; wrong "
                                             "community, host or port?)"
                 : msg                     ? msg
                                           : "unknown error");
    free(msg);
}

int bt_snmp_add_typed(void *pdu, const char *prop, const unsigned long *ids,
                      size_t oid_len, const char *typed, bt_error *err) {
    static const char letters[] = "iuctaosxdC";
    if (!typed[0] || typed[1] != ':' || !strchr(letters, typed[0]))
        return bt_error_set(err, BT_EINVAL,
                            "property '%s': value '%s' must start with a "
                            "type letter and ':' (i: integer, u: unsigned, "
                            "c: counter32, t: timeticks, a: ip address, o: "
                            "OID, s: string, x: hex, d: decimal bytes, C: "
                            "counter64), e.g. 's:disk full'",
                            prop, typed);
    oid o[BT_SNMP_MAX_OID];
    for (size_t i = 0; i < oid_len; i++) o[i] = ids[i];
    int rc = snmp_add_var((netsnmp_pdu *)pdu, o, oid_len, typed[0], typed + 2);
    if (rc)
        return bt_error_set(err, BT_EINVAL, "property '%s': bad value '%s': %s",
                            prop, typed, snmp_api_errstring(rc));
    return 0;
}

bool bt_snmp_var_is_exception(const void *v, const char **name) {
    const netsnmp_variable_list *var = v;
    switch (var->type) {
    case SNMP_NOSUCHOBJECT: *name = "noSuchObject"; return true;
    case SNMP_NOSUCHINSTANCE: *name = "noSuchInstance"; return true;
    case SNMP_ENDOFMIBVIEW: *name = "endOfMibView"; return true;
    default: return false;
    }
}

void bt_snmp_publish_var(bt_activity_ctx *ctx, const void *v) {
    const netsnmp_variable_list *var = v;
    bt_buf b;
    bt_buf_init(&b, 1 << 20);
    unsigned long o[BT_SNMP_MAX_OID];
    size_t n = var->name_length < BT_SNMP_MAX_OID ? var->name_length
                                                  : BT_SNMP_MAX_OID;
    for (size_t i = 0; i < n; i++) o[i] = var->name[i];
    bt_snmp_format_oid(o, n, &b);
    bt_act_publish(ctx, "oid", bt_buf_str(&b));
    bt_buf_reset(&b);
    const char *type = "other";
    switch (var->type) {
    case ASN_INTEGER:
        type = "integer";
        bt_buf_printf(&b, "%ld", *var->val.integer);
        break;
    case ASN_OCTET_STR:
        type = "string";
        bt_buf_append(&b, var->val.string, var->val_len);
        break;
    case ASN_OBJECT_ID: {
        type = "oid";
        size_t on = var->val_len / sizeof(oid);
        for (size_t i = 0; i < on && i < BT_SNMP_MAX_OID; i++)
            o[i] = var->val.objid[i];
        bt_snmp_format_oid(o, on < BT_SNMP_MAX_OID ? on : BT_SNMP_MAX_OID,
                           &b);
        break;
    }
    case ASN_IPADDRESS:
        type = "ipaddress";
        if (var->val_len == 4)
            bt_buf_printf(&b, "%u.%u.%u.%u", var->val.string[0],
                          var->val.string[1], var->val.string[2],
                          var->val.string[3]);
        break;
    case ASN_COUNTER:
        type = "counter32";
        bt_buf_printf(&b, "%lu", (unsigned long)*var->val.integer & 0xffffffffUL);
        break;
    case ASN_GAUGE:
        type = "gauge32";
        bt_buf_printf(&b, "%lu", (unsigned long)*var->val.integer & 0xffffffffUL);
        break;
    case ASN_TIMETICKS:
        type = "timeticks";
        bt_buf_printf(&b, "%lu", (unsigned long)*var->val.integer & 0xffffffffUL);
        break;
    case ASN_COUNTER64:
        type = "counter64";
        bt_buf_printf(&b, "%" PRIu64,
                      ((uint64_t)var->val.counter64->high << 32) |
                          (var->val.counter64->low & 0xffffffffUL));
        break;
    case ASN_OPAQUE:
        type = "opaque";
        for (size_t i = 0; i < var->val_len; i++)
            bt_buf_printf(&b, "%02x", var->val.string[i]);
        break;
    case ASN_NULL:
        type = "null";
        break;
    default: {
        const char *name;
        if (bt_snmp_var_is_exception(var, &name)) type = name;
    }
    }
    bt_act_publish(ctx, "type", type);
    bt_act_publishn(ctx, "value", bt_buf_str(&b), b.len);
    bt_buf_free(&b);
}
