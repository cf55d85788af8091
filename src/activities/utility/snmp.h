/* Shared by the SNMP activities (get-snmp-variable, set-snmp-variable,
 * send-snmp-trap): net-snmp's single-session API, which is safe to use
 * from the thread pool once the library is initialized. OIDs are numeric
 * ("1.3.6.1.2.1.1.5.0"): no MIB files are read. */
#ifndef BT_SNMP_H
#define BT_SNMP_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "common/buf.h"

#define BT_SNMP_MAX_OID 128

/* Initializes net-snmp once per process (its init is not thread-safe and
 * keeps global tables): no configuration files, no MIBs, no logging. */
void bt_snmp_init(void);

/* Parses "1.3.6.1.2.1.1.5.0" (a leading '.' is allowed). */
int bt_snmp_parse_oid(const char *prop, const char *text, unsigned long *oid,
                      size_t *len, bt_error *err);
void bt_snmp_format_oid(const unsigned long *oid, size_t len, bt_buf *out);

/* The connection properties every SNMP activity reads: host, port,
 * community, timeout, retries. */
typedef struct bt_snmp_target {
    const char *host;
    int port;
    const char *community;
    long timeout_us;
    int retries;
} bt_snmp_target;

int bt_snmp_target_props(bt_activity_ctx *ctx, const char *type_name,
                         int default_port, const char *default_community,
                         bt_snmp_target *out);
/* Opens a v2c session; NULL with err set. Close with bt_snmp_close. */
void *bt_snmp_open(const bt_snmp_target *t, bt_error *err);
void bt_snmp_close(void *sess);
/* The session's last error as a sentence ("Timeout"). */
void bt_snmp_session_error(void *sess, const bt_snmp_target *t,
                           const char *what, bt_error *err);

/* Adds a "TYPE:VALUE" variable to a PDU (net-snmp's snmpset letters: i
 * integer, u unsigned, c counter32, t timeticks, a ipaddress, o oid,
 * s string, x hex string, d decimal bytes, C counter64). */
int bt_snmp_add_typed(void *pdu, const char *prop, const unsigned long *oid,
                      size_t oid_len, const char *typed, bt_error *err);

/* Publishes oid, type and value of one variable binding (a
 * netsnmp_variable_list). */
void bt_snmp_publish_var(bt_activity_ctx *ctx, const void *var);
/* True when the binding is noSuchObject/noSuchInstance/endOfMibView. */
bool bt_snmp_var_is_exception(const void *var, const char **name);

#endif
