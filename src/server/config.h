/* batond's settings. Each comes, in order of precedence, from a command
 * line flag, a BATON_* environment variable, the config file (--config
 * FILE, else /etc/baton/baton.conf when present) or the built-in default.
 * Any bad value is refused with a message naming the setting and where it
 * came from; batond then exits with status 2. */
#ifndef BT_SERVER_CONFIG_H
#define BT_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baton/error.h"

enum {
    BT_ROLE_MANAGEMENT = 1u << 0,
    BT_ROLE_RUNBOOK_SERVER = 1u << 1,
    BT_ROLE_WEB = 1u << 2,
    BT_ROLE_CONSOLE = 1u << 3,
    BT_ROLE_ALL = 0xfu
};

#define BT_CONFIG_DEFAULT_FILE "/etc/baton/baton.conf"

typedef struct bt_config {
    unsigned roles;        /* BT_ROLE_* */
    char *config_file;     /* the file read, or NULL */
    char *data_dir;
    char *db;              /* store URL */
    uint16_t web_port, console_port, mgmt_port;
    char *bind;            /* NULL: every address */
    char *name;            /* runbook server name */
    size_t throttle;       /* concurrent runbook instances */
    uint64_t heartbeat_ms; /* the lease is three heartbeats */
    uint64_t grace_ms;     /* shutdown: running instances get this long */
    bool samples;          /* load the bundled examples into an empty db */
    char *samples_dir;     /* load the runbook files in DIR instead */
    /* log purge (the management role runs it) */
    int purge_at;          /* minutes past local midnight; -1: never */
    size_t keep_instances; /* newest instances kept per runbook; 0: any */
    size_t keep_days;      /* instances ended longer ago go; 0: any age */
    size_t events_days;    /* 0: events are kept forever */
    size_t audit_days;     /* 0: audit entries are kept forever */
    bool auth;             /* web requests need credentials (default) */
    /* web service */
    size_t max_body;       /* request body cap, bytes */
    uint64_t web_timeout_ms; /* idle / slow client cut-off */
    char *cors_origins;    /* comma list; NULL: the console on this host */
    char *tls_cert, *tls_key; /* HTTPS when both are set (PEM files) */
    bool metrics_public;   /* GET /metrics without credentials */
    /* console: the services as browsers reach them; NULL: the console's
     * host on web_port / mgmt_port */
    char *web_url, *mgmt_url;
    bool help, version;
} bt_config;

/* The data directory when none is set: $STATE_DIRECTORY (systemd's
 * StateDirectory=), else /var/lib/baton for root, else
 * $XDG_DATA_HOME/baton, ~/.local/share/baton or ./baton-data (malloc'd). */
char *bt_config_default_data_dir(void);

/* Reads flags (argv), the environment (getenv) and the config file.
 * Returns 0, or -BT_EINVAL with the message in err (exit status 2). */
int bt_config_load(bt_config *cfg, int argc, char **argv, bt_error *err);
void bt_config_clear(bt_config *cfg);

/* "management,runbook-server" for a role mask. */
void bt_config_roles_text(unsigned roles, char *out, size_t size);
const char *bt_config_role_name(unsigned role);

void bt_config_usage(FILE *out);

#endif
