/* The port table of a Baton deployment: which host talks to which, on
 * which port, for the actual configuration (batond's settings) and the
 * runbooks that are deployed. `baton ports` prints it (Markdown, JSON,
 * firewall rules); `baton doctor` checks its rows from one host. */
#ifndef BT_CLI_PORTS_TABLE_H
#define BT_CLI_PORTS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "server/config.h"

/* Host roles: batond's four (BT_ROLE_*), plus the computers around it. */
enum {
    BT_PORTS_DATABASE = 1u << 4, /* PostgreSQL */
    BT_PORTS_DESIGNER = 1u << 5, /* baton CLI, console designer */
    BT_PORTS_BROWSER = 1u << 6,  /* the console user's browser */
    BT_PORTS_TARGET = 1u << 7,   /* computers the activities reach */
    BT_PORTS_ALL_HOSTS = 0x7fu   /* every role but the targets */
};

typedef enum { BT_PORTS_TCP, BT_PORTS_UDP, BT_PORTS_ICMP } bt_ports_proto;

typedef enum {
    BT_PORTS_ROW_MGMT,    /* designer -> management server */
    BT_PORTS_ROW_DB,      /* batond roles -> database */
    BT_PORTS_ROW_WEB,     /* browser -> web service */
    BT_PORTS_ROW_CONSOLE, /* browser -> console */
    BT_PORTS_ROW_ACTIVITY /* runbook server -> a targeted computer */
} bt_ports_row_kind;

typedef struct bt_ports_row {
    bt_ports_row_kind kind;
    unsigned sources, targets; /* role masks */
    char *source, *target;     /* as the table prints them */
    char *host;    /* the target's name or address when known, else NULL */
    uint16_t port; /* 0: no port (a SQLite file, ICMP) or not known */
    bt_ports_proto proto;
    char *port_text;    /* "81", "5432", "SQLite file", "set at run time" */
    char *configurable; /* "yes: web_port (BATON_WEB_PORT, --web-port)" */
    char *notes;
} bt_ports_row;

typedef struct bt_ports_table {
    bt_ports_row *rows;
    size_t n, cap;
    bool tls;        /* the web service speaks HTTPS */
    char *db_url;    /* password masked */
    size_t runbooks; /* how many runbooks were read */
} bt_ports_table;

/* The rows for Baton's own components under cfg. */
void bt_ports_table_init(bt_ports_table *t, const bt_config *cfg);
/* Adds the outbound rows that one runbook's activities need. yaml is the
 * runbook text; name says where it came from in messages. */
int bt_ports_add_runbook(bt_ports_table *t, const char *name, const char *yaml,
                         size_t len, bt_error *err);
/* Adds every deployed runbook's rows (latest versions in the store at
 * cfg->db). A SQLite database that does not exist is an error. */
int bt_ports_add_store(bt_ports_table *t, const bt_config *cfg, bt_error *err);
void bt_ports_table_clear(bt_ports_table *t);

/* "web,runbook-server" -> mask with BT_ROLE_* and BT_PORTS_* bits. */
int bt_ports_parse_roles(const char *text, unsigned *out, bt_error *err);
void bt_ports_roles_text(unsigned roles, char *out, size_t size);
const char *bt_ports_proto_name(bt_ports_proto p);

/* A store URL's host and port ("postgresql://u:p@db:5433/x" -> db, 5433);
 * false for SQLite. host is malloc'd. */
bool bt_ports_db_endpoint(const char *url, char **host, uint16_t *port);
/* The URL with any password replaced by *** (malloc'd). */
char *bt_ports_mask_url(const char *url);

#endif
