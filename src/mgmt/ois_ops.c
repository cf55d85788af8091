/* Converters for the standard activities Baton gained after the importer
 * was written: system operations, monitoring, notification, SNMP, XML,
 * SSH, archives and line editing. The table in ois_activities.c points at
 * these. An activity that acted on, or read the state of, another computer
 * is refused rather than converted: run on the runbook server it would
 * stop the wrong service or report the wrong disk. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

static bool is_local(const char *computer) {
    return !computer || !strcasecmp(computer, "localhost") ||
           !strcmp(computer, ".") || !strcmp(computer, "127.0.0.1");
}

/* 0 when the activity ran on the runbook server itself. */
static int local_only(ois_conv *cv) {
    char *c = ois_take(cv, "Computer", "ComputerName", "TargetComputer",
                       "RemoteComputer", NULL);
    if (is_local(c)) {
        free(c);
        return 0;
    }
    int rc = ois_refuse(cv,
                        "%s ran on computer '%s' in Orchestrator; Baton's "
                        "%s acts on the runbook server itself, so it is not "
                        "converted (use run-ssh-command to reach '%s')",
                        cv->act->type_name, c, cv->act->type->name, c);
    free(c);
    return rc;
}

/* Sets prop from the first element present; false when none is. */
static bool set_from(ois_conv *cv, const char *prop, char *raw) {
    if (!raw) return false;
    ois_set(cv, prop, raw);
    return true;
}

/* Orchestrator's list text ("a@x; b@y") as a list of raw items. */
static void set_list_raw(ois_conv *cv, const char *prop, char *raw) {
    const char *items[64];
    size_t n = 0;
    for (char *t = strtok(raw, ";,"); t && n < 64; t = strtok(NULL, ";,")) {
        while (*t == ' ' || *t == '\t' || *t == '\n')
            t++;
        char *e = t + strlen(t);
        while (e > t && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
            *--e = 0;
        if (*t) items[n++] = t;
    }
    ois_set_list_gen(cv, prop, items, n);
    cv->act->props[cv->act->n_props - 1].generated = false;
    free(raw);
}

/* A whole number of seconds as a Baton duration. */
static void set_seconds(ois_conv *cv, const char *prop, char *raw) {
    int64_t s;
    if (!raw) return;
    if (bt_parse_int64(raw, &s) && s >= 0) {
        char d[32];
        snprintf(d, sizeof d, "%llds", (long long)s);
        ois_set_gen(cv, prop, d);
    } else {
        ois_note(cv, BT_OIS_NOTE,
                 "'%s' is not a number of seconds; %s keeps its default", raw,
                 prop);
    }
    free(raw);
}

/* Picks a value by the normalized Orchestrator word; NULL: none matched. */
static const char *pick(const char *orch, const char *const *table) {
    char *n = ois_normalize(orch);
    const char *r = NULL;
    for (size_t i = 0; table[i] && !r; i += 2)
        if (strstr(n, table[i])) r = table[i + 1];
    free(n);
    return r;
}

/* ---- system ---------------------------------------------------------- */

static void windows_name(ois_conv *cv, const char *what, const char *name) {
    size_t l = strlen(name);
    if (l > 4 && !strcasecmp(name + l - 4, ".exe"))
        ois_note(cv, BT_OIS_NOTE,
                 "the %s '%s' is a Windows one; name the Linux one", what,
                 name);
}

int ois_conv_end_process(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *p = ois_take(cv, "Process", "ProcessName", "ProcessID", NULL);
    if (!p) return ois_refuse(cv, "End Process names no process");
    int64_t pid;
    if (bt_parse_int64(p, &pid))
        ois_set(cv, "pid", p);
    else {
        windows_name(cv, "process", p);
        ois_set(cv, "name", p);
    }
    char *all = ois_take(cv, "EndAllInstances", "AllInstances", NULL);
    if (all) {
        bool yes = !strcasecmp(all, "true") || !strcmp(all, "1");
        ois_set_gen(cv, "all", yes ? "true" : "false");
        free(all);
    }
    return 0;
}

int ois_conv_restart_system(ois_conv *cv) {
    if (local_only(cv)) return -1;
    set_from(cv, "message", ois_take(cv, "Message", "Reason", NULL));
    set_seconds(
        cv, "delay",
        ois_take(cv, "WaitTime", "Delay", "WaitSeconds", "Timeout", NULL));
    if (ois_take_bool(cv, 0, "Force", "ForceApplicationsClosed", NULL))
        ois_note(cv, BT_OIS_NOTE,
                 "Orchestrator forced applications closed; systemd stops "
                 "every service in order when the system restarts");
    return 0;
}

static const char *const service_actions[] = {
    "restart", "restart-service", "start", "start-service",
    "stop",    "stop-service",    NULL,    NULL};

/* Start/Stop Service is one Orchestrator activity with an action; Baton
 * has a type per action, so the written type follows the action. */
int ois_conv_service_control(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *unit = ois_take(cv, "Service", "ServiceName", "Name", NULL);
    char *act = ois_take(cv, "Action", "ServiceAction", "Operation", NULL);
    const char *type = pick(act ? act : "start", service_actions);
    if (!unit || !type) {
        int rc = !unit ? ois_refuse(cv, "Start/Stop Service names no service")
                       : ois_refuse(cv,
                                    "Start/Stop Service action '%s' has no "
                                    "systemd counterpart (start, stop and "
                                    "restart do)",
                                    act);
        free(unit);
        free(act);
        return rc;
    }
    free(act);
    const bt_activity_type *t = bt_registry_find(cv->ctx->reg, type);
    if (!t) {
        free(unit);
        return ois_refuse(cv,
                          "its Baton equivalent '%s' is not available "
                          "in this build",
                          type);
    }
    cv->act->type = t;
    ois_note(cv, BT_OIS_NOTE,
             "Orchestrator named the Windows service '%s'; check it is the "
             "systemd unit's name",
             unit);
    ois_set(cv, "unit", unit);
    if (!ois_take_bool(cv, 1, "WaitForCompletion", "Wait", NULL))
        ois_set_gen(cv, "wait", "false");
    return 0;
}

/* ---- monitoring -------------------------------------------------------- */

/* Monitors poll; Orchestrator's interval is in seconds. */
static void monitor_interval(ois_conv *cv) {
    set_seconds(cv, "interval",
                ois_take(cv, "Interval", "TestInterval", "PollingInterval",
                         "CheckInterval", NULL));
}

static int trigger(ois_conv *cv, const char *const *table) {
    char *t = ois_take(cv, "TriggerIf", "TriggerOn", "Trigger", "Status",
                       "State", NULL);
    if (!t) return 0;
    const char *v = pick(t, table);
    if (!v) {
        int rc = ois_refuse(cv,
                            "%s triggers on '%s', which the import "
                            "cannot read",
                            cv->act->type_name, t);
        free(t);
        return rc;
    }
    free(t);
    ois_set_gen(cv, "trigger_on", v);
    return 0;
}

static int get_service(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *unit = ois_take(cv, "Service", "ServiceName", "Name", NULL);
    if (!unit) return ois_refuse(cv, "%s names no service", cv->act->type_name);
    ois_note(cv, BT_OIS_NOTE,
             "Orchestrator named the Windows service '%s'; check it is the "
             "systemd unit's name",
             unit);
    ois_set(cv, "unit", unit);
    return 0;
}

int ois_conv_get_service_status(ois_conv *cv) { return get_service(cv); }

int ois_conv_monitor_service(ois_conv *cv) {
    static const char *const t[] = {"notrunning", "stopped", "stop",  "stopped",
                                    "running",    "started", "start", "started",
                                    "change",     "change",  NULL,    NULL};
    if (get_service(cv)) return -1;
    monitor_interval(cv);
    return trigger(cv, t);
}

static int get_process(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *p = ois_take(cv, "Process", "ProcessName", "Name", NULL);
    if (!p) return ois_refuse(cv, "%s names no process", cv->act->type_name);
    windows_name(cv, "process", p);
    ois_set(cv, "name", p);
    return 0;
}

int ois_conv_get_process_status(ois_conv *cv) { return get_process(cv); }

int ois_conv_monitor_process(ois_conv *cv) {
    static const char *const t[] = {
        "notrunning", "stopped", "stop",  "stopped", "end", "stopped",
        "running",    "started", "start", "started", NULL,  NULL};
    if (get_process(cv)) return -1;
    monitor_interval(cv);
    return trigger(cv, t);
}

static int get_host(ois_conv *cv) {
    char *h = ois_take(cv, "Computer", "ComputerName", "IPAddress", "Host",
                       "Address", "Target", NULL);
    if (!h) return ois_refuse(cv, "%s names no computer", cv->act->type_name);
    ois_set(cv, "host", h);
    return 0;
}

int ois_conv_get_computer_status(ois_conv *cv) { return get_host(cv); }

int ois_conv_monitor_computer_status(ois_conv *cv) {
    static const char *const t[] = {
        "notresponding", "down",   "unreachable", "down",
        "notavailable",  "down",   "responding",  "up",
        "reachable",     "up",     "available",   "up",
        "change",        "change", NULL,          NULL};
    if (get_host(cv)) return -1;
    monitor_interval(cv);
    return trigger(cv, t);
}

/* "C:" is the system drive: "/" on Linux. Other drives have no obvious
 * counterpart and are refused. */
static int disk_path(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *d = ois_take(cv, "Drive", "Disk", "Path", "Volume", NULL);
    if (!d) return 0; /* "/" by default */
    if (strlen(d) >= 2 && d[1] == ':' && (d[2] == 0 || !strcmp(d + 2, "\\"))) {
        if (d[0] != 'C' && d[0] != 'c') {
            int rc = ois_refuse(cv,
                                "%s watched drive '%s', which has no "
                                "Linux counterpart the import can know",
                                cv->act->type_name, d);
            free(d);
            return rc;
        }
        ois_note(cv, BT_OIS_NOTE, "drive '%s' became the root file system /",
                 d);
        free(d);
        ois_set_gen(cv, "path", "/");
        return 0;
    }
    ois_set(cv, "path", d);
    return 0;
}

int ois_conv_get_disk_space(ois_conv *cv) { return disk_path(cv); }

/* The threshold is a percentage, or an amount in MB or GB. */
int ois_conv_monitor_disk_space(ois_conv *cv) {
    if (disk_path(cv)) return -1;
    monitor_interval(cv);
    char *v = ois_take(cv, "Threshold", "FreeSpaceBelow", "Value", NULL);
    char *unit = ois_take(cv, "ThresholdUnit", "Unit", "Units", NULL);
    if (!v) {
        free(unit);
        return ois_refuse(cv, "Monitor Disk Space has no threshold");
    }
    char *u = ois_normalize(unit ? unit : "%");
    int64_t n;
    int rc = 0;
    if (!*u || strstr(u, "percent")) {
        ois_set(cv, "free_below_percent", v);
        v = NULL;
    } else if ((!strcmp(u, "mb") || !strcmp(u, "gb") ||
                !strcmp(u, "megabytes") || !strcmp(u, "gigabytes")) &&
               bt_parse_int64(v, &n) && n >= 0) {
        char b[32];
        snprintf(b, sizeof b, "%lld",
                 (long long)(n * (u[0] == 'g' ? 1073741824LL : 1048576LL)));
        ois_set_gen(cv, "free_below_bytes", b);
    } else {
        rc = ois_refuse(cv,
                        "Monitor Disk Space threshold '%s %s' is not one "
                        "the import can read",
                        v, unit ? unit : "");
    }
    free(v);
    free(u);
    free(unit);
    return rc;
}

static int get_app(ois_conv *cv) {
    char *url = ois_take(cv, "URL", "Url", "WebAddress", "Address", NULL);
    if (!url)
        return ois_refuse(cv,
                          "%s has no URL (only URL-based checks are "
                          "converted)",
                          cv->act->type_name);
    ois_set(cv, "url", url);
    return 0;
}

int ois_conv_get_internet_app(ois_conv *cv) { return get_app(cv); }

int ois_conv_monitor_internet_app(ois_conv *cv) {
    static const char *const t[] = {
        "notavailable", "failed",    "unavailable", "failed", "fail", "failed",
        "available",    "recovered", "change",      "change", NULL,   NULL};
    if (get_app(cv)) return -1;
    monitor_interval(cv);
    return trigger(cv, t);
}

/* ---- notification -------------------------------------------------------- */

static const char *const severities[] = {
    "emerg", "emerg", "alert", "alert",   "crit",   "crit",
    "error", "err",   "warn",  "warning", "notice", "notice",
    "info",  "info",  "debug", "debug",   NULL,     NULL};

int ois_conv_send_event_log(ois_conv *cv) {
    char *c = ois_take(cv, "Computer", "ComputerName", NULL);
    if (!is_local(c))
        ois_note(cv, BT_OIS_NOTE,
                 "Orchestrator wrote to the event log of '%s'; Baton writes "
                 "to the runbook server's journal",
                 c);
    free(c);
    if (!set_from(cv, "message", ois_take(cv, "Message", "Text", NULL)))
        return ois_refuse(cv, "Send Event Log Message has no message");
    char *s = ois_take(cv, "Severity", "Type", "EventType", NULL);
    const char *p = s ? pick(s, severities) : NULL;
    if (p) ois_set_gen(cv, "priority", p);
    free(s);
    ois_set_gen(cv, "identifier", "orchestrator");
    return 0;
}

static const char *const facilities[] = {
    "kern",   "kern",     "user",     "user",   "mail",   "mail",   "daemon",
    "daemon", "authpriv", "authpriv", "auth",   "auth",   "syslog", "syslog",
    "lpr",    "lpr",      "printer",  "lpr",    "news",   "news",   "uucp",
    "uucp",   "cron",     "cron",     "clock",  "cron",   "ftp",    "ftp",
    "ntp",    "ntp",      "audit",    "audit",  "local0", "local0", "local1",
    "local1", "local2",   "local2",   "local3", "local3", "local4", "local4",
    "local5", "local5",   "local6",   "local6", "local7", "local7", NULL,
    NULL};

int ois_conv_send_syslog(ois_conv *cv) {
    if (!set_from(cv, "message", ois_take(cv, "Message", "Text", NULL)))
        return ois_refuse(cv, "Send Syslog Message has no message");
    set_from(
        cv, "host",
        ois_take(cv, "SyslogServer", "Server", "Host", "Destination", NULL));
    set_from(cv, "port", ois_take(cv, "Port", NULL));
    char *f = ois_take(cv, "Facility", NULL);
    char *s = ois_take(cv, "Severity", NULL);
    const char *fv = f ? pick(f, facilities) : NULL;
    const char *sv = s ? pick(s, severities) : NULL;
    if (f && !fv)
        ois_note(cv, BT_OIS_NOTE, "facility '%s' is unknown; 'user' is used",
                 f);
    if (s && !sv)
        ois_note(cv, BT_OIS_NOTE, "severity '%s' is unknown; 'info' is used",
                 s);
    if (fv) ois_set_gen(cv, "facility", fv);
    if (sv) ois_set_gen(cv, "severity", sv);
    free(f);
    free(s);
    return 0;
}

int ois_conv_send_platform_event(ois_conv *cv) {
    if (!set_from(cv, "summary", ois_take(cv, "Summary", "Message", NULL)))
        return ois_refuse(cv, "Send Platform Event has no summary");
    set_from(cv, "details", ois_take(cv, "Details", "Description", NULL));
    static const char *const t[] = {"error", "error", "warn", "warning",
                                    "info",  "info",  NULL,   NULL};
    char *s = ois_take(cv, "Type", "Severity", "EventType", NULL);
    const char *v = s ? pick(s, t) : NULL;
    if (v) ois_set_gen(cv, "severity", v);
    free(s);
    return 0;
}

/* Orchestrator keeps some address lists as entries (child elements or an
 * escaped document) rather than text: joined with ';' for set_list_raw.
 * NULL when the element is plain text or missing. */
static char *entry_list(ois_conv *cv, const char *elem) {
    xmlNodePtr e = bt_ois_xml_child(cv->act->node, elem);
    if (!e) return NULL;
    static const char *const keys[] = {"Address", "EmailAddress", "Recipient",
                                       "Value", NULL};
    char **names, **values;
    size_t n = ois_entries(e, keys, &names, &values, NULL);
    if (!n) return NULL;
    ois_consume(cv, elem);
    bt_buf b;
    bt_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        bt_buf_printf(&b, "%s%s", i ? ";" : "", names[i]);
        free(names[i]);
        free(values[i]);
    }
    free(names);
    free(values);
    return bt_buf_detach(&b);
}

int ois_conv_send_email(ois_conv *cv) {
    char *server = ois_take(cv, "SmtpServer", "SMTPServer", "Server", NULL);
    char *from = ois_take(cv, "EmailFrom", "From", "Sender", NULL);
    char *to = entry_list(cv, "Recipients");
    if (!to) to = ois_take(cv, "Recipients", "To", "EmailTo", NULL);
    if (!server || !from || !to) {
        int rc = ois_refuse(cv, "Send Email lacks its %s",
                            !server ? "SMTP server"
                            : !from ? "sender"
                                    : "recipients");
        free(server);
        free(from);
        free(to);
        return rc;
    }
    ois_set(cv, "server", server);
    ois_set(cv, "from", from);
    set_list_raw(cv, "to", to);
    char *cc = ois_take(cv, "Cc", "CC", NULL);
    if (cc) set_list_raw(cv, "cc", cc);
    char *bcc = ois_take(cv, "Bcc", "BCC", NULL);
    if (bcc) set_list_raw(cv, "bcc", bcc);
    set_from(cv, "port", ois_take(cv, "Port", "SmtpPort", NULL));
    set_from(cv, "subject", ois_take(cv, "Subject", NULL));
    set_from(cv, "body", ois_take(cv, "Message", "Body", "Text", NULL));
    char *att = ois_take(cv, "Attachments", "Attachment", NULL);
    if (att) set_list_raw(cv, "attachments", att);
    static const char *const prio[] = {"high",   "high",   "low", "low",
                                       "normal", "normal", NULL,  NULL};
    char *imp = ois_take(cv, "Importance", "Priority", NULL);
    const char *p = imp ? pick(imp, prio) : NULL;
    if (p) ois_set_gen(cv, "priority", p);
    free(imp);
    if (set_from(cv, "username", ois_take(cv, "UserName", "Username", NULL)))
        set_from(cv, "password", ois_take(cv, "Password", NULL));
    if (ois_take_bool(cv, 0, "EnableSSL", "UseSSL", "SSL", NULL))
        ois_set_gen(cv, "tls", "required");
    return 0;
}

/* ---- SNMP ------------------------------------------------------------------
 */

static int snmp_target(ois_conv *cv, bool trap) {
    char *v = ois_take(cv, "Version", "SnmpVersion", NULL);
    if (v && !strstr(v, "2")) {
        int rc = ois_refuse(cv, "%s used SNMP version '%s'; Baton speaks v2c",
                            cv->act->type_name, v);
        free(v);
        return rc;
    }
    free(v);
    char *h = trap ? ois_take(cv, "Destination", "Host", "Manager",
                              "TrapDestination", NULL)
                   : ois_take(cv, "AgentAddress", "Agent", "Host", "Address",
                              "Computer", NULL);
    if (!h) return ois_refuse(cv, "%s names no host", cv->act->type_name);
    ois_set(cv, "host", h);
    set_from(cv, "port", ois_take(cv, "Port", NULL));
    set_from(cv, "community", ois_take(cv, "Community", NULL));
    return 0;
}

int ois_conv_get_snmp(ois_conv *cv) {
    if (snmp_target(cv, false)) return -1;
    char *oid = ois_take(cv, "OID", "Oid", "ObjectID", NULL);
    if (!oid) return ois_refuse(cv, "Get SNMP Variable names no OID");
    set_list_raw(cv, "oid", oid);
    static const char *const ops[] = {"next", "getnext", "walk", "walk",
                                      "get",  "get",     NULL,   NULL};
    char *op = ois_take(cv, "Operation", "Request", "RequestType", NULL);
    const char *o = op ? pick(op, ops) : NULL;
    if (o) ois_set_gen(cv, "operation", o);
    free(op);
    return 0;
}

/* Baton's value names its SNMP type with snmpset's letter. */
int ois_conv_set_snmp(ois_conv *cv) {
    if (snmp_target(cv, false)) return -1;
    char *oid = ois_take(cv, "OID", "Oid", "ObjectID", NULL);
    char *val = ois_take(cv, "Value", NULL);
    char *type = ois_take(cv, "Type", "ValueType", "Syntax", NULL);
    static const char *const letters[] = {
        "unsigned",  "u",       "gauge", "u",         "counter64",
        "C",         "counter", "c",     "timeticks", "t",
        "ipaddress", "a",       "oid",   "o",         "objectidentifier",
        "o",         "hex",     "x",     "int",       "i",
        "string",    "s",       "octet", "s",         NULL,
        NULL};
    const char *l = pick(type ? type : "string", letters);
    int rc = 0;
    if (!oid || !val || !l) {
        rc = !oid   ? ois_refuse(cv, "Set SNMP Variable names no OID")
             : !val ? ois_refuse(cv, "Set SNMP Variable has no value")
                    : ois_refuse(cv,
                                 "SNMP type '%s' is not one the import "
                                 "can read",
                                 type);
        free(oid);
        free(val);
    } else {
        ois_set(cv, "oid", oid);
        ois_set(cv, "value", bt_xasprintf("%s:%s", l, val));
        free(val);
    }
    free(type);
    return rc;
}

/* Orchestrator's trap carries its own enterprise OID unless one is given;
 * without one there is no trap OID to send, so it is not guessed. */
int ois_conv_send_snmp_trap(ois_conv *cv) {
    char *oid = ois_take(cv, "EnterpriseOID", "TrapOID", "Enterprise", NULL);
    if (!oid)
        return ois_refuse(cv, "Send SNMP Trap names no trap OID (Orchestrator "
                              "sent its own); set trap_oid by hand");
    if (snmp_target(cv, true)) {
        free(oid);
        return -1;
    }
    ois_set(cv, "trap_oid", oid);
    return 0;
}

/* ---- XML, SSH -------------------------------------------------------------
 */

int ois_conv_query_xml(ois_conv *cv) {
    char *x = ois_take(cv, "XPathQuery", "XPath", "Query", NULL);
    if (!x) return ois_refuse(cv, "Query XML has no XPath query");
    ois_set(cv, "xpath", x);
    if (!set_from(cv, "text", ois_take(cv, "XMLText", "XML", "Text", NULL)) &&
        !set_from(cv, "file", ois_take(cv, "XMLFile", "File", NULL)))
        return ois_refuse(cv, "Query XML has no XML");
    return 0;
}

int ois_conv_apply_xslt(ois_conv *cv) {
    if (!set_from(cv, "text", ois_take(cv, "XMLText", "XML", "Text", NULL)) &&
        !set_from(cv, "file", ois_take(cv, "XMLFile", "File", NULL)))
        return ois_refuse(cv, "Apply XSLT has no XML");
    if (!set_from(
            cv, "stylesheet_file",
            ois_take(cv, "XSLTFile", "XsltFile", "StylesheetFile", NULL)) &&
        !set_from(cv, "stylesheet", ois_take(cv, "XSLT", "Stylesheet", NULL)))
        return ois_refuse(cv, "Apply XSLT has no stylesheet");
    set_from(cv, "output_file", ois_take(cv, "OutputFile", NULL));
    return 0;
}

int ois_conv_run_ssh(ois_conv *cv) {
    char *host = ois_take(cv, "Host", "Computer", "ComputerName", NULL);
    char *cmd = ois_take(cv, "Command", "CommandLine", NULL);
    char *user = ois_take(cv, "UserName", "Username", "User", NULL);
    if (!host || !cmd || !user) {
        int rc = ois_refuse(cv, "Run SSH Command lacks its %s",
                            !host  ? "host"
                            : !cmd ? "command (a command set file is not "
                                     "converted)"
                                   : "user name");
        free(host);
        free(cmd);
        free(user);
        return rc;
    }
    ois_set(cv, "host", host);
    ois_set(cv, "command", cmd);
    ois_set(cv, "user", user);
    set_from(cv, "port", ois_take(cv, "Port", NULL));
    set_from(cv, "password", ois_take(cv, "Password", NULL));
    set_from(cv, "private_key_file",
             ois_take(cv, "PrivateKeyFile", "KeyFile", "PrivateKey", NULL));
    set_from(cv, "passphrase", ois_take(cv, "Passphrase", NULL));
    ois_note(cv, BT_OIS_NOTE,
             "Baton checks the host key: the host must be in the runbook "
             "server's known_hosts");
    return 0;
}

/* ---- files and lines ------------------------------------------------------
 */

int ois_conv_compress(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *src =
        ois_take(cv, "Files", "File", "Path", "Source", "SourceFileName", NULL);
    char *dst =
        ois_take(cv, "ArchivePath", "Archive", "ZipFile", "Destination", NULL);
    return ois_set_pair(cv, "Compress File", "source", src, "files", dst,
                        "archive");
}

int ois_conv_decompress(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *src =
        ois_take(cv, "ArchivePath", "Archive", "ZipFile", "File", "Path", NULL);
    char *dst =
        ois_take(cv, "DestinationFolder", "Destination", "Folder", NULL);
    return ois_set_pair(cv, "Decompress File", "path", src, "archive", dst,
                        "destination");
}

int ois_conv_move_folder(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *src = ois_take(cv, "SourceFolder", "Source", "Folder", "Path", NULL);
    char *dst = ois_take(cv, "DestinationFolder", "Destination", NULL);
    return ois_set_pair(cv, "Move Folder", "source", src, "source", dst,
                        "destination");
}

static int line_file(ois_conv *cv) {
    if (local_only(cv)) return -1;
    char *p = ois_take(cv, "File", "FileName", "Path", "FilePath", NULL);
    if (!p) return ois_refuse(cv, "%s names no file", cv->act->type_name);
    ois_set(cv, "path", p);
    free(ois_take(cv, "FileEncoding", "Encoding", NULL));
    return 0;
}

int ois_conv_insert_line(ois_conv *cv) {
    if (line_file(cv)) return -1;
    if (!set_from(cv, "text", ois_take(cv, "Text", "Line", "Content", NULL)))
        return ois_refuse(cv, "Insert Line has no text");
    set_from(cv, "line", ois_take(cv, "LineNumber", NULL));
    return 0;
}

int ois_conv_line_numbers(ois_conv *cv) {
    if (line_file(cv)) return -1;
    set_from(cv, "lines",
             ois_take(cv, "LineNumbers", "Lines", "LineNumber", NULL));
    return 0;
}

/* ---- Baton has the type, but what Orchestrator stored cannot be written
 * as its properties: a placeholder that says what to do by hand. ---------- */

static const struct {
    const char *orch, *why;
} by_hand[] = {
    {"Query Database",
     "Orchestrator connected to SQL Server, Oracle, Access or ODBC; Baton's "
     "query-database takes a sqlite: or postgresql: connection: write the "
     "connection and the query by hand"},
    {"Write to Database",
     "Orchestrator connected to SQL Server, Oracle, Access or ODBC; Baton's "
     "write-to-database takes a sqlite: or postgresql: connection: write "
     "the connection and the statement by hand"},
    {"Invoke Web Services",
     "Orchestrator built the SOAP request from the service's WSDL; "
     "invoke-web-service sends the body it is given: write the envelope "
     "and soap_action by hand"},
    {"PGP Encrypt File",
     "Orchestrator read the key from a key file; pgp-encrypt-file names "
     "recipients of a GnuPG keyring: import the key and name its owner"},
    {"PGP Decrypt File",
     "Orchestrator read the key from a key file; pgp-decrypt-file uses a "
     "GnuPG keyring: import the secret key there"},
};

int ois_conv_by_hand(ois_conv *cv) {
    for (size_t i = 0; i < BT_ARRAY_LEN(by_hand); i++)
        if (!strcasecmp(by_hand[i].orch, cv->act->type_name))
            return ois_refuse(cv, "%s", by_hand[i].why);
    return ois_refuse(cv,
                      "Baton has %s, but the import does not convert "
                      "to it yet",
                      cv->act->type->name);
}
