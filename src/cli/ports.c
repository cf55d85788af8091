/* baton ports: the port table for the actual configuration and the
 * deployed runbooks, as Markdown, JSON or firewall rules for one host. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/ports_opts.h"
#include "common/util.h"

typedef enum { F_MARKDOWN, F_JSON, F_NFT, F_IPT, F_FIREWALLD } format;

static void usage(FILE *out) {
    fprintf(out,
            "usage: baton ports [--json | --nftables | --iptables | "
            "--firewalld]\n"
            "                   [--host-role ROLES] [--no-runbooks] "
            "[RUNBOOK.yaml...]\n"
            "                   [batond settings: --config FILE, --db URL, "
            "--web-port N, ...]\n\n"
            "Prints which computer connects to which on which port, for the "
            "configuration\nbatond would run with (same config file, BATON_* "
            "environment and flags), and\nthe outbound ports the deployed "
            "runbooks' activities need (read from the\ndatabase, or from the "
            "runbook files given).\n\n"
            "  --json         the table as JSON\n"
            "  --nftables     an nft -f script for one host (inet table "
            "'baton')\n"
            "  --iptables     an iptables-restore file for one host (IPv4 "
            "filter table)\n"
            "  --firewalld    firewall-cmd commands for one host\n"
            "  --host-role R  the host's roles, comma separated: web, "
            "runbook-server,\n"
            "                 management, console, database, designer, "
            "browser\n"
            "                 (default: the roles setting)\n"
            "  --no-runbooks  leave out the activities' outbound ports\n");
}

/* Markdown cells: a '|' would end the cell, a line break the row. */
static void md_cell(const char *s) {
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", stdout);
        else if (*s == '\n')
            fputc(' ', stdout);
        else
            fputc(*s, stdout);
    }
}

static bool concerns(const bt_ports_row *r, unsigned roles) {
    return (r->sources & roles) || (r->targets & roles);
}

static void print_markdown(const bt_ports_opts *o, const bt_ports_table *t,
                           unsigned filter) {
    char roles[160];
    bt_config_roles_text(o->cfg.roles, roles, sizeof roles);
    printf("# Baton TCP/UDP port requirements\n\n");
    printf("Configuration: %s; roles setting: %s; database: %s; web "
           "service: %s.\n",
           o->cfg.config_file ? o->cfg.config_file : "no config file", roles,
           t->db_url, t->tls ? "HTTPS" : "HTTP");
    if (o->n_files)
        printf("Outbound ports from %zu runbook file(s).\n", t->runbooks);
    else if (!o->no_runbooks)
        printf("Outbound ports from the %zu runbook(s) in the database.\n",
               t->runbooks);
    if (filter) {
        bt_ports_roles_text(filter, roles, sizeof roles);
        printf("Rows that concern a host with the roles: %s.\n", roles);
    }
    printf("\n|Source|Targeted computer|Port|Configurable|Notes|\n"
           "|---|---|---|---|---|\n");
    for (size_t i = 0; i < t->n; i++) {
        const bt_ports_row *r = &t->rows[i];
        if (filter && !concerns(r, filter))
            continue;
        fputc('|', stdout);
        md_cell(r->source);
        fputc('|', stdout);
        md_cell(r->target);
        fputc('|', stdout);
        md_cell(r->port_text);
        fputc('|', stdout);
        md_cell(r->configurable);
        fputc('|', stdout);
        md_cell(r->notes);
        fputs("|\n", stdout);
    }
}

static json_t *roles_json(unsigned mask) {
    char text[160];
    bt_ports_roles_text(mask, text, sizeof text);
    json_t *a = json_array();
    char *save = NULL;
    for (char *tok = strtok_r(text, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(tok));
    if (mask & BT_PORTS_TARGET)
        json_array_append_new(a, json_string("target"));
    return a;
}

static void print_json(const bt_ports_opts *o, const bt_ports_table *t,
                       unsigned filter) {
    json_t *rows = json_array();
    for (size_t i = 0; i < t->n; i++) {
        const bt_ports_row *r = &t->rows[i];
        if (filter && !concerns(r, filter))
            continue;
        static const char *const kinds[] = {"management", "database", "web",
                                            "console", "activity"};
        json_t *j =
            json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:s}", "kind",
                      kinds[r->kind], "source", r->source, "source_roles",
                      roles_json(r->sources), "target", r->target,
                      "target_roles", roles_json(r->targets), "protocol",
                      bt_ports_proto_name(r->proto), "port_text", r->port_text,
                      "configurable", r->configurable, "notes", r->notes);
        json_object_set_new(j, "port",
                            r->port ? json_integer(r->port) : json_null());
        json_object_set_new(j, "host",
                            r->host ? json_string(r->host) : json_null());
        json_array_append_new(rows, j);
    }
    char roles[160];
    bt_config_roles_text(o->cfg.roles, roles, sizeof roles);
    json_t *doc = json_pack(
        "{s:o, s:s, s:s, s:b, s:I, s:o}", "config_file",
        o->cfg.config_file ? json_string(o->cfg.config_file) : json_null(),
        "roles", roles, "database", t->db_url, "tls", t->tls, "runbooks",
        (json_int_t)t->runbooks, "rows", rows);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text);
    json_decref(doc);
}

/* ---- Firewall rules ------------------------------------------------- */

/* A rule comment: nftables and iptables take at most ~128 bytes and no
 * quotes. */
static void comment_text(const bt_ports_row *r, char *out, size_t size) {
    char raw[256];
    snprintf(raw, sizeof raw, "baton: %s -> %s", r->source, r->target);
    size_t j = 0;
    for (size_t i = 0; raw[i] && j + 1 < size && j < 120; i++) {
        char c = raw[i];
        out[j++] = c == '"' || c == '\'' || c == '\\' || c == '\n' ? ' ' : c;
    }
    out[j] = '\0';
}

static int addr_family(const char *host) {
    unsigned char buf[16];
    if (!host)
        return 0;
    if (inet_pton(AF_INET, host, buf) == 1)
        return 4;
    if (inet_pton(AF_INET6, host, buf) == 1)
        return 6;
    return 0;
}

/* Rows to allow in (this host is the target) and out (the source). */
typedef struct dir_rows {
    const bt_ports_row *in[64], *out[64];
    size_t n_in, n_out;
    const bt_ports_row *manual[64]; /* outbound, port set at run time */
    size_t n_manual;
} dir_rows;

static void split_rows(const bt_ports_table *t, unsigned roles, dir_rows *d) {
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < t->n; i++) {
        const bt_ports_row *r = &t->rows[i];
        /* A SQLite database is a file on this host: no traffic. */
        if (r->kind == BT_PORTS_ROW_DB && !r->host)
            continue;
        bool usable = r->proto == BT_PORTS_ICMP || r->port;
        if ((r->targets & roles) && usable && d->n_in < 64)
            d->in[d->n_in++] = r;
        if (!(r->sources & roles))
            continue;
        if (!usable) {
            if (d->n_manual < 64)
                d->manual[d->n_manual++] = r;
        } else if (d->n_out < 64) {
            d->out[d->n_out++] = r;
        }
    }
}

static void print_manual(const dir_rows *d, const char *prefix) {
    for (size_t i = 0; i < d->n_manual; i++)
        printf("%s not derivable (port set at run time): %s -> %s; %s\n",
               prefix, d->manual[i]->source, d->manual[i]->target,
               d->manual[i]->notes);
}

static void nft_rule(const bt_ports_row *r, bool out) {
    char c[160];
    comment_text(r, c, sizeof c);
    int fam = out ? addr_family(r->host) : 0;
    printf("        ");
    if (fam)
        printf("%s daddr %s ", fam == 4 ? "ip" : "ip6", r->host);
    printf("%s dport %u accept comment \"%s\"\n", bt_ports_proto_name(r->proto),
           (unsigned)r->port, c);
}

static void print_nft(const bt_ports_table *t, unsigned roles) {
    dir_rows d;
    split_rows(t, roles, &d);
    char text[160];
    bt_ports_roles_text(roles, text, sizeof text);
    printf("#!/usr/sbin/nft -f\n"
           "# Baton firewall for a host with the roles: %s\n"
           "# Generated by baton ports --nftables; apply with nft -f FILE.\n"
           "# Only the connections the port table lists (and replies, "
           "loopback, ICMP,\n# DNS) are allowed in and out.\n"
           "table inet baton\n"
           "delete table inet baton\n"
           "table inet baton {\n"
           "    chain input {\n"
           "        type filter hook input priority 0; policy drop;\n"
           "        iif \"lo\" accept\n"
           "        ct state established,related accept\n"
           "        ct state invalid drop\n"
           "        meta l4proto { icmp, ipv6-icmp } accept\n",
           text);
    for (size_t i = 0; i < d.n_in; i++)
        if (d.in[i]->proto != BT_PORTS_ICMP)
            nft_rule(d.in[i], false);
    printf("    }\n"
           "    chain output {\n"
           "        type filter hook output priority 0; policy drop;\n"
           "        oif \"lo\" accept\n"
           "        ct state established,related accept\n"
           "        meta l4proto { icmp, ipv6-icmp } accept\n"
           "        udp dport 53 accept comment \"DNS\"\n"
           "        tcp dport 53 accept comment \"DNS\"\n");
    for (size_t i = 0; i < d.n_out; i++)
        if (d.out[i]->proto != BT_PORTS_ICMP)
            nft_rule(d.out[i], true);
    print_manual(&d, "        #");
    printf("    }\n}\n");
}

static void print_iptables(const bt_ports_table *t, unsigned roles) {
    dir_rows d;
    split_rows(t, roles, &d);
    char text[160];
    bt_ports_roles_text(roles, text, sizeof text);
    printf("# Baton firewall (IPv4) for a host with the roles: %s\n"
           "# Generated by baton ports --iptables; apply with "
           "iptables-restore < FILE\n"
           "# (it replaces the filter table).\n"
           "*filter\n"
           ":INPUT DROP [0:0]\n"
           ":FORWARD ACCEPT [0:0]\n"
           ":OUTPUT DROP [0:0]\n"
           "-A INPUT -i lo -j ACCEPT\n"
           "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
           "-A INPUT -p icmp -j ACCEPT\n",
           text);
    for (int dir = 0; dir < 2; dir++) {
        const bt_ports_row *const *rows = dir ? d.out : d.in;
        size_t n = dir ? d.n_out : d.n_in;
        if (dir)
            printf("-A OUTPUT -o lo -j ACCEPT\n"
                   "-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j "
                   "ACCEPT\n"
                   "-A OUTPUT -p icmp -j ACCEPT\n"
                   "-A OUTPUT -p udp --dport 53 -j ACCEPT\n"
                   "-A OUTPUT -p tcp --dport 53 -j ACCEPT\n");
        for (size_t i = 0; i < n; i++) {
            const bt_ports_row *r = rows[i];
            if (r->proto == BT_PORTS_ICMP)
                continue;
            char c[160];
            comment_text(r, c, sizeof c);
            int fam = addr_family(r->host);
            if (fam == 6) {
                printf("# IPv6 (ip6tables): %s port %u\n", r->host,
                       (unsigned)r->port);
                continue;
            }
            printf("-A %s -p %s", dir ? "OUTPUT" : "INPUT",
                   bt_ports_proto_name(r->proto));
            if (dir && fam == 4)
                printf(" -d %s", r->host);
            printf(" --dport %u -m comment --comment \"%s\" -j ACCEPT\n",
                   (unsigned)r->port, c);
        }
    }
    print_manual(&d, "#");
    printf("COMMIT\n");
}

static void print_firewalld(const bt_ports_table *t, unsigned roles) {
    dir_rows d;
    split_rows(t, roles, &d);
    char text[160];
    bt_ports_roles_text(roles, text, sizeof text);
    printf("#!/bin/sh\n"
           "# Baton firewall for a host with the roles: %s\n"
           "# Generated by baton ports --firewalld. firewalld filters "
           "incoming connections\n# (in the zone ZONE, default: the default "
           "zone); outgoing ones are allowed.\n"
           "set -e\n"
           "zone=${ZONE:+--zone=$ZONE}\n",
           text);
    for (size_t i = 0; i < d.n_in; i++) {
        const bt_ports_row *r = d.in[i];
        if (r->proto == BT_PORTS_ICMP)
            continue;
        printf("# %s -> %s\n"
               "firewall-cmd --permanent $zone --add-port=%u/%s\n",
               r->source, r->target, (unsigned)r->port,
               bt_ports_proto_name(r->proto));
    }
    printf("firewall-cmd --reload\n");
    for (size_t i = 0; i < d.n_out; i++)
        printf("# outgoing (allowed by firewalld): %s -> %s port %s\n",
               d.out[i]->source, d.out[i]->target, d.out[i]->port_text);
    print_manual(&d, "#");
}

int bt_cli_ports(int argc, char **argv) {
    static const char *const own[] = {"--json",      "--nftables", "--iptables",
                                      "--firewalld", "--markdown", "--help",
                                      NULL};
    bt_ports_opts o = {.cmd = "ports"};
    int rc = bt_ports_opts_parse(&o, argc, argv, own, NULL);
    format f = F_MARKDOWN;
    int formats = 0;
    for (size_t i = 0; !rc && i < o.n_own; i++) {
        const char *a = o.own[i];
        if (!strcmp(a, "--help")) {
            usage(stdout);
            bt_ports_opts_clear(&o);
            return BT_EXIT_OK;
        }
        formats++;
        f = !strcmp(a, "--json")        ? F_JSON
            : !strcmp(a, "--nftables")  ? F_NFT
            : !strcmp(a, "--iptables")  ? F_IPT
            : !strcmp(a, "--firewalld") ? F_FIREWALLD
                                        : F_MARKDOWN;
    }
    if (!rc && formats > 1) {
        fprintf(stderr, "baton ports: give one output format (--json, "
                        "--nftables, --iptables or --firewalld)\n");
        rc = BT_EXIT_USAGE;
    }
    if (rc) {
        bt_ports_opts_clear(&o);
        return rc;
    }
    bt_ports_table t;
    rc = bt_ports_opts_table(&o, &t);
    if (!rc) {
        unsigned roles = o.host_roles ? o.host_roles : o.cfg.roles;
        switch (f) {
        case F_MARKDOWN:
            print_markdown(&o, &t, o.host_roles);
            break;
        case F_JSON:
            print_json(&o, &t, o.host_roles);
            break;
        case F_NFT:
            print_nft(&t, roles);
            break;
        case F_IPT:
            print_iptables(&t, roles);
            break;
        case F_FIREWALLD:
            print_firewalld(&t, roles);
            break;
        }
        if (fflush(stdout) != 0)
            rc = BT_EXIT_FAILED;
    }
    bt_ports_table_clear(&t);
    bt_ports_opts_clear(&o);
    return rc;
}
