/* Connection properties shared by the SNMP activities. */
#ifndef BT_SNMP_PROPS_H
#define BT_SNMP_PROPS_H

#define BT_SNMP_TARGET_PROPS(port, community)                                \
    {"host", BT_PROP_STRING, true, NULL,                                    \
     "Host name or address of the SNMP agent (or trap receiver)", NULL},    \
    {"port", BT_PROP_INTEGER, false, port, "UDP port", NULL},               \
    {"community", BT_PROP_STRING, false, community,                         \
     "SNMP v2c community", NULL},                                            \
    {"timeout", BT_PROP_DURATION, false, "5s",                              \
     "How long to wait for each answer", NULL},                             \
    {"retries", BT_PROP_INTEGER, false, "1",                                \
     "Requests sent again after a timeout (0 to 10)", NULL}

#endif
