#include "server/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

typedef enum {
    K_ROLES,
    K_TEXT,
    K_ADDRESS,
    K_PORT,
    K_COUNT,   /* 1 .. 1000000 */
    K_AMOUNT,  /* 0 .. 1000000000; 0 switches the criterion off */
    K_CLOCK,   /* HH:MM local time, or "off" */
    K_DURATION,
    K_SWITCH,  /* on/off (true/false, yes/no) */
    K_BYTES,   /* 1024 .. 1 GiB, with an optional k, M or G suffix */
    K_URL      /* http(s)://host[:port] as a browser reaches a service */
} kind;

/* One row per setting: its config file key, environment variable and flag
 * share a name, so an operator who knows one can guess the others. */
typedef struct setting {
    const char *key;  /* config file key; the flag is "--" + key with '-' */
    const char *env;
    kind kind;
    size_t offset;
    const char *help;
} setting;

#define OFF(f) offsetof(bt_config, f)
static const setting SETTINGS[] = {
    {"roles", "BATON_ROLES", K_ROLES, OFF(roles),
     "all, or a list of management,runbook-server,web,console"},
    {"data_dir", "BATON_DATA_DIR", K_TEXT, OFF(data_dir),
     "directory for the SQLite database (default $STATE_DIRECTORY, "
     "/var/lib/baton as root, else $XDG_DATA_HOME/baton)"},
    {"db", "BATON_DB", K_TEXT, OFF(db),
     "sqlite:PATH or postgresql://... (default sqlite:DATA_DIR/baton.db)"},
    {"web_port", "BATON_WEB_PORT", K_PORT, OFF(web_port),
     "REST web service port (default 81)"},
    {"console_port", "BATON_CONSOLE_PORT", K_PORT, OFF(console_port),
     "console port (default 82)"},
    {"mgmt_port", "BATON_MGMT_PORT", K_PORT, OFF(mgmt_port),
     "management server port (default 135)"},
    {"bind", "BATON_BIND", K_ADDRESS, OFF(bind),
     "address to listen on (default: every address)"},
    {"name", "BATON_NAME", K_TEXT, OFF(name),
     "runbook server name (default: the host name)"},
    {"throttle", "BATON_THROTTLE", K_COUNT, OFF(throttle),
     "most runbook instances running at once (default 1000)"},
    {"heartbeat", "BATON_HEARTBEAT", K_DURATION, OFF(heartbeat_ms),
     "runbook server heartbeat; the lease is 3 of them (default 2s)"},
    {"grace", "BATON_GRACE", K_DURATION, OFF(grace_ms),
     "on shutdown, how long running instances may finish (default 10s)"},
    {"purge_at", "BATON_PURGE_AT", K_CLOCK, OFF(purge_at),
     "local time of the nightly log purge, HH:MM or off (default 02:00)"},
    {"keep_instances", "BATON_KEEP_INSTANCES", K_AMOUNT, OFF(keep_instances),
     "finished runbook instances kept per runbook; 0: no limit (default "
     "500)"},
    {"keep_days", "BATON_KEEP_DAYS", K_AMOUNT, OFF(keep_days),
     "also purge only instances older than this many days; 0: any age "
     "(default 0)"},
    {"events_days", "BATON_EVENTS_DAYS", K_AMOUNT, OFF(events_days),
     "days events are kept; 0: forever (default 30)"},
    {"audit_days", "BATON_AUDIT_DAYS", K_AMOUNT, OFF(audit_days),
     "days audit entries are kept; 0: forever (default 365)"},
    {"auth", "BATON_AUTH", K_SWITCH, OFF(auth),
     "on: every web request needs a user or API token (default); off: "
     "anyone may do anything (a trusted lab only)"},
    {"max_body", "BATON_MAX_BODY", K_BYTES, OFF(max_body),
     "largest request body the web service accepts, like 512k or 4M "
     "(default 1M)"},
    {"web_timeout", "BATON_WEB_TIMEOUT", K_DURATION, OFF(web_timeout_ms),
     "web clients silent this long are disconnected: half-sent requests, "
     "idle connections (default 60s; at least 1s)"},
    {"cors_origins", "BATON_CORS_ORIGINS", K_TEXT, OFF(cors_origins),
     "browser origins allowed to call the web service, comma separated, "
     "like https://console.example:82 (default: the console on this host)"},
    {"tls_cert", "BATON_TLS_CERT", K_TEXT, OFF(tls_cert),
     "PEM certificate (chain) file: the web service speaks HTTPS"},
    {"tls_key", "BATON_TLS_KEY", K_TEXT, OFF(tls_key),
     "PEM private key file of tls_cert (not encrypted)"},
    {"metrics_public", "BATON_METRICS_PUBLIC", K_SWITCH, OFF(metrics_public),
     "on: GET /metrics needs no credentials (default off)"},
    {"web_url", "BATON_WEB_URL", K_URL, OFF(web_url),
     "the web service as browsers reach it, for the console, like "
     "https://baton.example:81 (default: the console's host, web_port)"},
    {"mgmt_url", "BATON_MGMT_URL", K_URL, OFF(mgmt_url),
     "the management server as browsers reach it, for the console's "
     "designer (default: the console's host, mgmt_port)"},
    {"samples_dir", "BATON_SAMPLES_DIR", K_TEXT, OFF(samples_dir),
     "like --samples, but load DIR/*.runbook.yaml instead of the bundled "
     "examples"},
};
#undef OFF

void bt_config_usage(FILE *out) {
    fprintf(out,
            "usage: batond [options]\n"
            "Runs the Baton roles: management server, runbook server, web "
            "service, console.\n\n"
            "  --config FILE          settings file (default %s if present)\n",
            BT_CONFIG_DEFAULT_FILE);
    for (size_t i = 0; i < BT_ARRAY_LEN(SETTINGS); i++) {
        char flag[40];
        snprintf(flag, sizeof flag, "--%s", SETTINGS[i].key);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_') *p = '-';
        char left[64];
        snprintf(left, sizeof left, "%s VALUE", flag);
        fprintf(out, "  %-22s %s [%s]\n", left, SETTINGS[i].help,
                SETTINGS[i].env);
    }
    fprintf(out,
            "  --samples              load the bundled example runbooks into "
            "an empty database\n"
            "  --help, --version\n\n"
            "Precedence: flag > BATON_* environment > config file > "
            "default.\n");
}

static const struct {
    const char *name;
    unsigned bit;
} ROLES[] = {
    {"management", BT_ROLE_MANAGEMENT},
    {"runbook-server", BT_ROLE_RUNBOOK_SERVER},
    {"web", BT_ROLE_WEB},
    {"console", BT_ROLE_CONSOLE},
};

const char *bt_config_role_name(unsigned role) {
    for (size_t i = 0; i < BT_ARRAY_LEN(ROLES); i++)
        if (ROLES[i].bit == role) return ROLES[i].name;
    return "?";
}

void bt_config_roles_text(unsigned roles, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < BT_ARRAY_LEN(ROLES); i++) {
        if (!(roles & ROLES[i].bit)) continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? "," : "",
                         ROLES[i].name);
        if (n < 0 || (size_t)n >= size - used) return;
        used += (size_t)n;
    }
}

static int parse_roles(const char *text, unsigned *out) {
    if (!strcmp(text, "all")) {
        *out = BT_ROLE_ALL;
        return 0;
    }
    unsigned roles = 0;
    char *copy = bt_xstrdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        size_t i = 0;
        while (i < BT_ARRAY_LEN(ROLES) && strcmp(ROLES[i].name, tok)) i++;
        if (i == BT_ARRAY_LEN(ROLES) && strcmp(tok, "all")) {
            free(copy);
            return -1;
        }
        roles |= i < BT_ARRAY_LEN(ROLES) ? ROLES[i].bit : BT_ROLE_ALL;
    }
    free(copy);
    if (!roles) return -1;
    *out = roles;
    return 0;
}

/* Applies one value; `where` names its source for the message:
 * "--throttle", "BATON_THROTTLE" or "/etc/baton/baton.conf:4: throttle". */
static int apply(bt_config *cfg, const setting *s, const char *value,
                 const char *where, bt_error *err) {
    char *field = (char *)cfg + s->offset;
    int64_t n;
    switch (s->kind) {
    case K_ROLES:
        if (parse_roles(value, (unsigned *)(void *)field) != 0)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a list of roles (use all, or "
                                "any of management,runbook-server,web,"
                                "console separated by commas)",
                                where, value);
        return 0;
    case K_URL: {
        /* it goes into the page's Content-Security-Policy as a source */
        size_t skip = !strncmp(value, "http://", 7)    ? 7
                      : !strncmp(value, "https://", 8) ? 8
                                                       : 0;
        size_t len = strlen(value);
        while (len > skip && value[len - 1] == '/') len--;
        bool ok = skip && len > skip;
        for (size_t i = skip; ok && i < len; i++)
            ok = value[i] > ' ' && value[i] < 0x7f &&
                 !strchr("/?#;,'\"\\", value[i]);
        if (!ok)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a URL like "
                                "https://baton.example:81 (http or https, a "
                                "host and an optional port, no path)",
                                where, value);
        char **p = (char **)(void *)field;
        free(*p);
        *p = bt_xstrndup(value, len);
        return 0;
    }
    case K_ADDRESS:
    case K_TEXT: {
        if (!*value)
            return bt_error_set(err, BT_EINVAL, "%s: the value is empty",
                                where);
        unsigned char addr[sizeof(struct in6_addr)];
        if (s->kind == K_ADDRESS && inet_pton(AF_INET, value, addr) != 1 &&
            inet_pton(AF_INET6, value, addr) != 1)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not an IPv4 or IPv6 address "
                                "(like 127.0.0.1, 0.0.0.0 or ::)",
                                where, value);
        char **p = (char **)(void *)field;
        free(*p);
        *p = bt_xstrdup(value);
        return 0;
    }
    case K_PORT:
        if (!bt_parse_int64(value, &n) || n < 1 || n > 65535)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a TCP port (1-65535)", where,
                                value);
        *(uint16_t *)(void *)field = (uint16_t)n;
        return 0;
    case K_COUNT:
        if (!bt_parse_int64(value, &n) || n < 1 || n > 1000000)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a whole number from 1 to "
                                "1000000",
                                where, value);
        *(size_t *)(void *)field = (size_t)n;
        return 0;
    case K_AMOUNT:
        if (!bt_parse_int64(value, &n) || n < 0 || n > 1000000000)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a whole number from 0 to "
                                "1000000000",
                                where, value);
        *(size_t *)(void *)field = (size_t)n;
        return 0;
    case K_CLOCK: {
        int h = -1, m = -1;
        char tail = 0;
        if (!strcmp(value, "off") || !strcmp(value, "never")) {
            *(int *)(void *)field = -1;
            return 0;
        }
        if (sscanf(value, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 ||
            h > 23 || m < 0 || m > 59)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a time of day HH:MM (like "
                                "02:00) or off",
                                where, value);
        *(int *)(void *)field = h * 60 + m;
        return 0;
    }
    case K_BYTES: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        unsigned long long mult = 1;
        if (end && *end) {
            if (!strcmp(end, "k") || !strcmp(end, "K") || !strcmp(end, "KiB"))
                mult = 1ull << 10;
            else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
                mult = 1ull << 20;
            else if (!strcmp(end, "G") || !strcmp(end, "GiB"))
                mult = 1ull << 30;
            else
                mult = 0;
        }
        if (end == value || errno || !mult || *value == '-' ||
            v > (1ull << 30) / mult || v * mult < 1024)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a size from 1k to 1G (like "
                                "65536, 512k or 4M)",
                                where, value);
        *(size_t *)(void *)field = (size_t)(v * mult);
        return 0;
    }
    case K_SWITCH: {
        bool b;
        if (!strcmp(value, "on")) b = true;
        else if (!strcmp(value, "off")) b = false;
        else if (!bt_parse_bool(value, &b))
            return bt_error_set(err, BT_EINVAL, "%s: '%s' is not on or off",
                                where, value);
        *(bool *)(void *)field = b;
        return 0;
    }
    case K_DURATION: {
        uint64_t ms;
        if (bt_duration_parse(value, &ms) != 0 || ms == 0 ||
            ms > 24ull * 3600 * 1000)
            return bt_error_set(err, BT_EINVAL,
                                "%s: '%s' is not a duration between 1ms and "
                                "24h (like 250ms, 2s, 1m)",
                                where, value);
        *(uint64_t *)(void *)field = ms;
        return 0;
    }
    }
    return bt_error_set(err, BT_EINTERNAL, "%s: unknown setting kind", where);
}

static const setting *find_key(const char *key) {
    for (size_t i = 0; i < BT_ARRAY_LEN(SETTINGS); i++)
        if (!strcmp(SETTINGS[i].key, key)) return &SETTINGS[i];
    return NULL;
}

/* "--web-port" -> the web_port setting. */
static const setting *find_flag(const char *flag, size_t len) {
    char key[40];
    if (len >= sizeof key) return NULL;
    for (size_t i = 0; i < len; i++) key[i] = flag[i] == '-' ? '_' : flag[i];
    key[len] = '\0';
    return find_key(key);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                 s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

#define CONFIG_FILE_MAX (1u << 20)

static int read_file(const char *path, bt_config *cfg, bt_error *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return bt_error_set(err, BT_EINVAL, "config file '%s': %s", path,
                            strerror(errno));
    int rc = 0, line_no = 0;
    char line[4096];
    size_t total = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        line_no++;
        size_t len = strlen(line);
        total += len;
        if (total > CONFIG_FILE_MAX) {
            rc = bt_error_set(err, BT_EINVAL,
                              "%s: the file is larger than 1 MiB", path);
            break;
        }
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = bt_error_set(err, BT_EINVAL, "%s:%d: the line is too long",
                              path, line_no);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *text = trim(line);
        if (!*text) continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            rc = bt_error_set(err, BT_EINVAL,
                              "%s:%d: expected 'key = value', got '%s'", path,
                              line_no, text);
            break;
        }
        *eq = '\0';
        char *key = trim(text), *value = trim(eq + 1);
        for (char *p = key; *p; p++)
            if (*p == '-') *p = '_';
        char where[600];
        snprintf(where, sizeof where, "%s:%d: %s", path, line_no, key);
        if (!strcmp(key, "samples")) {
            bool b;
            if (!bt_parse_bool(value, &b))
                rc = bt_error_set(err, BT_EINVAL,
                                  "%s: '%s' is not true or false", where,
                                  value);
            else
                cfg->samples = b;
            continue;
        }
        const setting *s = find_key(key);
        if (!s) {
            rc = bt_error_set(err, BT_EINVAL, "%s:%d: unknown setting '%s'",
                              path, line_no, key);
            break;
        }
        rc = apply(cfg, s, value, where, err);
    }
    if (!rc && ferror(f))
        rc = bt_error_set(err, BT_EINVAL, "config file '%s': read error",
                          path);
    fclose(f);
    return rc;
}

/* Flags are "--key VALUE" or "--key=VALUE". *consumed says how many argv
 * entries the flag took. value is NULL for a flag without one. */
static int split_flag(int argc, char **argv, int i, const char **name,
                      size_t *name_len, const char **value, int *consumed,
                      bool wants_value) {
    const char *arg = argv[i] + 2;
    const char *eq = strchr(arg, '=');
    *name = arg;
    *name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    *consumed = 1;
    *value = NULL;
    if (eq) {
        *value = eq + 1;
    } else if (wants_value) {
        if (i + 1 >= argc) return -1;
        *value = argv[i + 1];
        *consumed = 2;
    }
    return 0;
}

static int scan_flags(bt_config *cfg, int argc, char **argv, bool apply_them,
                      const char **config_flag, bt_error *err) {
    for (int i = 1; i < argc;) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || !arg[2])
            return bt_error_set(err, BT_EINVAL,
                                "unexpected argument '%s' (see --help)", arg);
        const char *name, *value;
        size_t len;
        int used;
        const char *eq = strchr(arg + 2, '=');
        size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        bool simple = (n == 4 && !strncmp(arg + 2, "help", 4)) ||
                      (n == 7 && !strncmp(arg + 2, "version", 7)) ||
                      (n == 7 && !strncmp(arg + 2, "samples", 7));
        const setting *s = NULL;
        if (!simple) {
            bool is_config = n == 6 && !strncmp(arg + 2, "config", 6);
            if (!is_config && !(s = find_flag(arg + 2, n)))
                return bt_error_set(err, BT_EINVAL,
                                    "unknown option '%.*s' (see --help)",
                                    (int)(n + 2), arg);
        }
        if (split_flag(argc, argv, i, &name, &len, &value, &used, !simple))
            return bt_error_set(err, BT_EINVAL, "%s: needs a value", arg);
        if (simple) {
            if (value)
                return bt_error_set(err, BT_EINVAL,
                                    "--%.*s takes no value", (int)len, name);
            if (!strcmp(arg, "--help")) cfg->help = true;
            if (!strcmp(arg, "--version")) cfg->version = true;
            if (!strcmp(arg, "--samples")) cfg->samples = true;
        } else if (!s) {
            if (!*value)
                return bt_error_set(err, BT_EINVAL, "--config: the value is "
                                                    "empty");
            *config_flag = value;
        } else if (apply_them) {
            char where[64];
            snprintf(where, sizeof where, "--%.*s", (int)len, name);
            int rc = apply(cfg, s, value, where, err);
            if (rc) return rc;
        }
        i += used;
    }
    return 0;
}

static void defaults(bt_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->roles = BT_ROLE_ALL;
    cfg->web_port = 81;
    cfg->console_port = 82;
    cfg->mgmt_port = 135;
    cfg->throttle = 1000;
    cfg->heartbeat_ms = 2000;
    cfg->grace_ms = 10000;
    cfg->purge_at = 2 * 60;
    cfg->keep_instances = 500;
    cfg->events_days = 30;
    cfg->audit_days = 365;
    cfg->auth = true;
    cfg->max_body = (size_t)1 << 20;
    cfg->web_timeout_ms = 60000;
}

char *bt_config_default_data_dir(void) {
    /* systemd's StateDirectory= says where a unit keeps its state. */
    const char *state = getenv("STATE_DIRECTORY");
    if (state && *state == '/') return bt_xstrndup(state, strcspn(state, ":"));
    if (geteuid() == 0) return bt_xstrdup("/var/lib/baton");
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg == '/') return bt_xasprintf("%s/baton", xdg);
    const char *home = getenv("HOME");
    if (home && *home == '/' && access(home, W_OK) == 0)
        return bt_xasprintf("%s/.local/share/baton", home);
    return bt_xstrdup("./baton-data");
}

int bt_config_load(bt_config *cfg, int argc, char **argv, bt_error *err) {
    defaults(cfg);
    /* First pass: only --config (and --help/--version), because the file
     * sits below the environment and the flags in precedence. */
    const char *config_flag = NULL;
    int rc = scan_flags(cfg, argc, argv, false, &config_flag, err);
    if (rc) return rc;
    if (cfg->help || cfg->version) return 0;
    const char *file = config_flag;
    if (!file) {
        const char *env = getenv("BATON_CONFIG");
        if (env && *env) file = env;
    }
    if (!file && access(BT_CONFIG_DEFAULT_FILE, F_OK) == 0)
        file = BT_CONFIG_DEFAULT_FILE;
    if (file) {
        cfg->config_file = bt_xstrdup(file);
        if ((rc = read_file(file, cfg, err))) return rc;
    }
    for (size_t i = 0; i < BT_ARRAY_LEN(SETTINGS); i++) {
        const char *v = getenv(SETTINGS[i].env);
        if (v && (rc = apply(cfg, &SETTINGS[i], v, SETTINGS[i].env, err)))
            return rc;
    }
    const char *samples = getenv("BATON_SAMPLES");
    if (samples && *samples) {
        bool b;
        if (!bt_parse_bool(samples, &b))
            return bt_error_set(err, BT_EINVAL,
                                "BATON_SAMPLES: '%s' is not true or false",
                                samples);
        cfg->samples = b;
    }
    if ((rc = scan_flags(cfg, argc, argv, true, &config_flag, err))) return rc;

    if (cfg->samples_dir) cfg->samples = true;
    if (!cfg->data_dir) cfg->data_dir = bt_config_default_data_dir();
    if (!cfg->db) cfg->db = bt_xasprintf("sqlite:%s/baton.db", cfg->data_dir);
    if (!cfg->name) {
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0 || !*host)
            snprintf(host, sizeof host, "localhost");
        cfg->name = bt_xstrdup(host);
    }
    return 0;
}

void bt_config_clear(bt_config *cfg) {
    if (!cfg) return;
    free(cfg->config_file);
    free(cfg->data_dir);
    free(cfg->db);
    free(cfg->bind);
    free(cfg->name);
    free(cfg->samples_dir);
    free(cfg->cors_origins);
    free(cfg->web_url);
    free(cfg->mgmt_url);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    memset(cfg, 0, sizeof *cfg);
}
