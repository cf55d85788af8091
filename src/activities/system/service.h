/* systemd units through `systemctl`, run as a child process on the loop
 * (no libsystemd needed, and it works for any unit systemctl knows). For
 * get-service-status, monitor-service and start/stop/restart-service.
 * Internal to src/activities. */
#ifndef BT_ACTIVITIES_SYSTEM_SERVICE_H
#define BT_ACTIVITIES_SYSTEM_SERVICE_H

#include "activities/monitoring/probe.h"

typedef struct bt_service_cfg {
    const char *type; /* activity type, for messages */
    const char *unit;
} bt_service_cfg;

/* The check: `systemctl show UNIT --property=...`, published as unit,
 * description, load_state, active_state, sub_state, main_pid,
 * unit_file_state, active_since, exists, running; state is running,
 * stopped (inactive, failed, not found) or systemd's word (activating,
 * deactivating). cfg is a bt_service_cfg. */
extern const bt_probe_ops bt_service_show_ops;

/* Fields published by bt_service_show_ops. */
#define BT_SERVICE_PUBLISHED                                                 \
    "unit", "description", "load_state", "active_state", "sub_state",       \
        "main_pid", "unit_file_state", "active_since", "exists", "running"

/* Checks a unit name before it goes on a command line: not empty, no
 * leading '-', no spaces or control characters. Fails the activity. */
int bt_service_check_unit(bt_activity_ctx *ctx, const char *type,
                          const char *unit);

/* Parses `systemctl show` output (Key=Value lines) into r. */
void bt_service_parse_show(const char *text, const char *unit,
                           bt_probe_result *r);

#endif
