/* The job commands: baton start, jobs, job, wait, cancel. They talk to the
 * web service's JSON API (src/web, docs/api.md) through cli/client.c and
 * print for a person, or the service's JSON with --json.
 *
 * Exit status: 0 the job completed (or the request was done), 1 the job
 * failed or was canceled, is still running when a wait ran out, or the
 * service failed; 2 the command line or the request was wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "common/util.h"

/* The web service answers a long-poll after at most this long. */
#define WAIT_CHUNK_S 300.0
#define CALL_TIMEOUT_S 60L

/* ---- shared ----------------------------------------------------------- */

typedef struct job_opts {
    const char *url;
    bool json;
    bool bad; /* a usage error was printed */
} job_opts;

/* Options every job command takes; true when argv[*i] was one. */
static bool common_opt(int argc, char **argv, int *i, job_opts *o) {
    if (bt_client_url_arg(argc, argv, i, &o->url, &o->bad)) return true;
    if (!strcmp(argv[*i], "--json")) {
        o->json = true;
        return true;
    }
    return false;
}

static int usage_error(const char *cmd, const char *usage, const char *fmt,
                       const char *arg) {
    fprintf(stderr, "baton %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: %s\n", usage);
    return BT_EXIT_USAGE;
}

static bool parse_job_id(const char *text, int64_t *id) {
    return bt_parse_int64(text, id) && *id > 0;
}

/* "--wait [SECONDS]" style optional number at argv[*i + 1]. */
static bool optional_seconds(int argc, char **argv, int *i, double *out) {
    double v;
    if (*i + 1 < argc && bt_parse_double(argv[*i + 1], &v)) {
        *out = v;
        ++*i;
        return true;
    }
    return false;
}

static bool valid_seconds(double s) { return isfinite(s) && s >= 0; }

static int open_client(const char *cmd, const job_opts *o, bt_client **c) {
    bt_error err = {0};
    if (bt_client_open(o->url, c, &err)) {
        fprintf(stderr, "baton %s: %s\n", cmd, err.message);
        return BT_EXIT_USAGE;
    }
    return BT_EXIT_OK;
}

/* Calls the service; on anything but `ok` prints why and returns the exit
 * status (-1 when the answer is the expected one). */
static int call(bt_client *c, const char *cmd, const char *method,
                const char *path, json_t *body, long timeout_s, long ok,
                json_t **reply) {
    long status = 0;
    bt_error err = {0};
    if (bt_client_call(c, method, path, body, timeout_s, &status, reply,
                       &err)) {
        fprintf(stderr, "baton %s: %s\n", cmd, err.message);
        return BT_EXIT_FAILED;
    }
    if (status == ok) return -1;
    int rc = bt_client_report(cmd, status, *reply);
    json_decref(*reply);
    *reply = NULL;
    return rc;
}

static const char *str(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static bool job_finished(const char *status) {
    return !strcmp(status, "completed") || !strcmp(status, "failed") ||
           !strcmp(status, "canceled");
}

static int exit_for(json_t *job) {
    return !strcmp(str(job, "status"), "completed") ? BT_EXIT_OK
                                                    : BT_EXIT_FAILED;
}

static void print_json(json_t *doc) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) puts(text);
    free(text);
}

/* A published value, indented under its name; multi-line values (program
 * output) keep their lines, without the trailing newline. */
static void print_value(const char *indent, const char *name, json_t *v) {
    char *owned = NULL;
    const char *text = json_string_value(v);
    if (!text) text = owned = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) text = "";
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n') len--;
    printf("%s%s = ", indent, name);
    for (size_t i = 0; i < len; i++) {
        putchar(text[i]);
        if (text[i] == '\n') printf("%s%*s", indent, (int)strlen(name) + 3, "");
    }
    putchar('\n');
    free(owned);
}

static void print_object(const char *indent, json_t *o) {
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) print_value(indent, k, v);
}

/* Fields every activity publishes; the activity's line already says them
 * (--json keeps them). */
static bool common_field(const char *name) {
    static const char *const common[] = {"status",   "error",
                                         "start_time", "end_time",
                                         "duration_ms", "attempts"};
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (!strcmp(common[i], name)) return true;
    return false;
}

static void print_row(const char *indent, json_t *row) {
    const char *k;
    json_t *v;
    json_object_foreach(row, k, v) {
        if (!common_field(k)) print_value(indent, k, v);
    }
}

static void print_job_line(json_t *job) {
    printf("job %lld  %s  %s", (long long)json_integer_value(
                                   json_object_get(job, "id")),
           str(job, "runbook_path"), str(job, "status"));
    if (json_is_true(json_object_get(job, "cancel_requested")) &&
        !job_finished(str(job, "status")))
        printf(" (cancel requested)");
    putchar('\n');
}

/* What a finished job came to: its status, its failed activities' errors
 * and its Return Data. */
static void print_outcome(json_t *job) {
    print_job_line(job);
    size_t i;
    json_t *inst;
    json_array_foreach(json_object_get(job, "instances"), i, inst) {
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(inst, "activities"), k, a) {
            if (strcmp(str(a, "result"), "failed")) continue;
            printf("  %s failed: %s\n", str(a, "activity"),
                   *str(a, "error") ? str(a, "error") : "(no message)");
        }
    }
    json_t *ret = json_object_get(job, "return_data");
    if (json_is_object(ret) && json_object_size(ret)) {
        printf("returned:\n");
        print_object("  ", ret);
    }
}

/* Everything: the job, each instance, each activity with its data. */
static void print_detail(json_t *job) {
    print_job_line(job);
    printf("  runbook version %lld, created %s by %s\n",
           (long long)json_integer_value(json_object_get(job, "runbook_version")),
           str(job, "created"), str(job, "created_by"));
    if (*str(job, "started"))
        printf("  started %s%s%s\n", str(job, "started"),
               *str(job, "ended") ? ", ended " : "", str(job, "ended"));
    json_t *params = json_object_get(job, "parameters");
    if (json_is_object(params) && json_object_size(params)) {
        printf("  parameters:\n");
        print_object("    ", params);
    }
    long long takeovers =
        (long long)json_integer_value(json_object_get(job, "takeovers"));
    if (takeovers)
        printf("  taken over %lld time%s after its server went down\n",
               takeovers, takeovers == 1 ? "" : "s");
    size_t i;
    json_t *inst;
    json_array_foreach(json_object_get(job, "instances"), i, inst) {
        json_t *result = json_object_get(inst, "result");
        printf("instance %lld on server %lld: %s%s%s\n",
               (long long)json_integer_value(json_object_get(inst, "id")),
               (long long)json_integer_value(json_object_get(inst, "server_id")),
               str(inst, "status"), json_is_string(result) ? ", " : "",
               json_is_string(result) ? json_string_value(result) : "");
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(inst, "activities"), k, a) {
            long long attempt =
                (long long)json_integer_value(json_object_get(a, "attempt"));
            printf("  %-20s %-18s %-8s %8.1f ms", str(a, "activity"),
                   str(a, "type"), str(a, "result"),
                   json_number_value(json_object_get(a, "duration_ms")));
            if (attempt > 1) printf("  attempt %lld", attempt);
            putchar('\n');
            if (*str(a, "error")) printf("    error: %s\n", str(a, "error"));
            size_t r;
            json_t *row;
            json_t *rows = json_object_get(a, "rows");
            json_array_foreach(rows, r, row) {
                if (json_array_size(rows) > 1) printf("    row %zu:\n", r + 1);
                print_row(json_array_size(rows) > 1 ? "      " : "    ", row);
            }
        }
    }
    json_t *ret = json_object_get(job, "return_data");
    if (json_is_object(ret) && json_object_size(ret)) {
        printf("returned:\n");
        print_object("  ", ret);
    }
}

/* Long-polls until the job finishes or `seconds` (negative: no limit)
 * pass; *job is its last state. Returns -1 when the answer came, else the
 * exit status for the error already printed. */
static int wait_job(bt_client *c, const char *cmd, int64_t id, double seconds,
                    json_t **job) {
    *job = NULL;
    uint64_t deadline = seconds < 0 ? 0
                                    : bt_mono_us() + (uint64_t)(seconds * 1e6);
    for (;;) {
        double chunk = WAIT_CHUNK_S;
        if (deadline) {
            uint64_t now = bt_mono_us();
            double left = now >= deadline ? 0 : (double)(deadline - now) / 1e6;
            if (left < chunk) chunk = left;
        }
        char path[96];
        snprintf(path, sizeof path, "/api/jobs/%lld?wait=%.3f", (long long)id,
                 chunk);
        json_decref(*job);
        *job = NULL;
        int rc = call(c, cmd, "GET", path, NULL, (long)chunk + CALL_TIMEOUT_S,
                      200, job);
        if (rc >= 0) return rc;
        if (job_finished(str(*job, "status"))) return -1;
        if (deadline && bt_mono_us() >= deadline) return -1;
    }
}

/* Prints a job after a wait and gives the exit status for it. */
static int report_waited(const char *cmd, json_t *job, double seconds,
                         const job_opts *o) {
    if (o->json) print_json(job);
    else print_outcome(job);
    if (!job_finished(str(job, "status"))) {
        fprintf(stderr, "baton %s: job %lld is still %s after %gs\n", cmd,
                (long long)json_integer_value(json_object_get(job, "id")),
                str(job, "status"), seconds);
        return BT_EXIT_FAILED;
    }
    return exit_for(job);
}

/* A runbook named without a leading '/' (like "Hello") is looked up by
 * name among every runbook; it must match exactly one. */
static int resolve_runbook(bt_client *c, const char *ref, json_t **out) {
    if (ref[0] == '/' || (ref[0] >= '0' && ref[0] <= '9' &&
                          strspn(ref, "0123456789") == strlen(ref))) {
        *out = json_string(ref);
        return *out ? -1 : BT_EXIT_USAGE;
    }
    json_t *reply = NULL;
    int rc = call(c, "start", "GET", "/api/runbooks", NULL, CALL_TIMEOUT_S,
                  200, &reply);
    if (rc >= 0) return rc;
    json_t *matches = json_array();
    size_t i;
    json_t *rb;
    json_array_foreach(json_object_get(reply, "items"), i, rb) {
        if (!strcmp(str(rb, "name"), ref) || !strcmp(str(rb, "path") + 1, ref))
            json_array_append(matches, rb);
    }
    size_t hits = json_array_size(matches);
    if (hits == 1) {
        *out = json_incref(json_object_get(json_array_get(matches, 0), "id"));
        rc = -1;
    } else if (!hits) {
        fprintf(stderr, "baton start: no runbook named '%s' (baton runbooks "
                        "lists them)\n",
                ref);
        rc = BT_EXIT_FAILED;
    } else {
        fprintf(stderr, "baton start: %zu runbooks are named '%s'; give the "
                        "path of one:\n",
                hits, ref);
        json_array_foreach(matches, i, rb)
            fprintf(stderr, "  %s\n", str(rb, "path"));
        rc = BT_EXIT_FAILED;
    }
    json_decref(matches);
    json_decref(reply);
    return rc;
}

/* ---- baton runbooks --------------------------------------------------- */

static const char RUNBOOKS_USAGE[] = "baton runbooks [--json] [--url URL]";

int bt_cli_runbooks(int argc, char **argv) {
    job_opts o = {0};
    for (int i = 1; i < argc; i++) {
        if (common_opt(argc, argv, &i, &o)) {
            if (o.bad) return BT_EXIT_USAGE;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s\n", RUNBOOKS_USAGE);
            return BT_EXIT_OK;
        }
        return usage_error("runbooks", RUNBOOKS_USAGE,
                           "unexpected argument '%s'", argv[i]);
    }
    bt_client *c = NULL;
    int rc = open_client("runbooks", &o, &c);
    if (rc) return rc;
    json_t *reply = NULL;
    rc = call(c, "runbooks", "GET", "/api/runbooks", NULL, CALL_TIMEOUT_S, 200,
              &reply);
    if (rc < 0 && o.json) {
        print_json(reply);
    } else if (rc < 0) {
        size_t i, k;
        json_t *rb, *p;
        json_array_foreach(json_object_get(reply, "items"), i, rb) {
            printf("%-5lld %s", (long long)json_integer_value(
                                    json_object_get(rb, "id")),
                   str(rb, "path"));
            json_array_foreach(json_object_get(rb, "parameters"), k, p)
                printf("%s%s%s", k ? " " : "  ", str(p, "name"),
                       json_is_true(json_object_get(p, "required")) ? "*"
                                                                     : "");
            putchar('\n');
        }
    }
    if (rc < 0) rc = BT_EXIT_OK;
    json_decref(reply);
    bt_client_close(c);
    return rc;
}

/* ---- baton start ------------------------------------------------------ */

static const char START_USAGE[] =
    "baton start RUNBOOK [--param NAME=VALUE]... [--server NAME]... "
    "[--wait [SECONDS]] [--json] [--url URL]";

int bt_cli_start(int argc, char **argv) {
    job_opts o = {0};
    const char *ref = NULL;
    bool wait = false;
    double seconds = -1;
    json_t *params = json_object(), *servers = json_array();
    int rc = BT_EXIT_USAGE;
    for (int i = 1; i < argc && !o.bad; i++) {
        const char *a = argv[i];
        if (common_opt(argc, argv, &i, &o)) continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s\nStarts a job; RUNBOOK is an id, a /Folder/Name "
                   "path or a unique name.\n--wait waits for it to finish "
                   "(at most SECONDS) and exits 0 when it completed, 1 when "
                   "it failed or was canceled.\n",
                   START_USAGE);
            rc = BT_EXIT_OK;
            goto done;
        } else if (!strcmp(a, "--param") || !strcmp(a, "--server")) {
            if (i + 1 >= argc) {
                rc = usage_error("start", START_USAGE, "%s needs a value", a);
                goto done;
            }
            const char *v = argv[++i];
            if (a[2] == 's') {
                json_array_append_new(servers, json_string(v));
                continue;
            }
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) {
                rc = usage_error("start", START_USAGE,
                                 "--param '%s' is not NAME=VALUE", v);
                goto done;
            }
            char *name = bt_xstrndup(v, (size_t)(eq - v));
            json_t *value = json_string(eq + 1);
            if (!value) {
                free(name);
                rc = usage_error("start", START_USAGE,
                                 "--param '%s' is not valid UTF-8", v);
                goto done;
            }
            json_object_set_new(params, name, value);
            free(name);
        } else if (!strcmp(a, "--wait")) {
            wait = true;
            if (optional_seconds(argc, argv, &i, &seconds) &&
                !valid_seconds(seconds)) {
                rc = usage_error("start", START_USAGE,
                                 "--wait '%s' is not a number of seconds",
                                 argv[i]);
                goto done;
            }
        } else if (a[0] == '-' && a[1]) {
            rc = usage_error("start", START_USAGE, "unknown option '%s'", a);
            goto done;
        } else if (ref) {
            rc = usage_error("start", START_USAGE, "unexpected argument '%s'",
                             a);
            goto done;
        } else {
            ref = a;
        }
    }
    if (o.bad) goto done;
    if (!ref) {
        rc = usage_error("start", START_USAGE, "%s", "which runbook?");
        goto done;
    }
    bt_client *c = NULL;
    if ((rc = open_client("start", &o, &c))) goto done;
    json_t *body = json_object(), *reply = NULL, *rb = NULL;
    rc = resolve_runbook(c, ref, &rb);
    if (rc < 0) {
        json_object_set_new(body, "runbook", rb);
        json_object_set(body, "parameters", params);
        if (json_array_size(servers)) json_object_set(body, "servers", servers);
        rc = call(c, "start", "POST", "/api/jobs", body, CALL_TIMEOUT_S, 201,
                  &reply);
    }
    if (rc < 0 && !wait) {
        if (o.json) print_json(reply);
        else print_job_line(reply);
        rc = BT_EXIT_OK;
    } else if (rc < 0) {
        int64_t id = json_integer_value(json_object_get(reply, "id"));
        json_t *job = NULL;
        rc = wait_job(c, "start", id, seconds, &job);
        if (rc < 0) rc = report_waited("start", job, seconds, &o);
        json_decref(job);
    }
    json_decref(reply);
    json_decref(body);
    bt_client_close(c);
done:
    json_decref(params);
    json_decref(servers);
    return rc;
}

/* ---- baton wait / job / cancel ---------------------------------------- */

static const char WAIT_USAGE[] = "baton wait ID [SECONDS] [--json] [--url URL]";
static const char JOB_USAGE[] =
    "baton job ID [--json] [--url URL]\n"
    "       baton job start|list|show|wait|cancel ... (same as baton start, "
    "jobs,\n       job ID, wait, cancel)";
static const char CANCEL_USAGE[] =
    "baton cancel ID [--wait [SECONDS]] [--json] [--url URL]";

/* Parses "CMD ID [SECONDS]" plus the common options (and --wait for
 * cancel). Returns -1 when the command should go on. */
static int parse_id_command(int argc, char **argv, const char *cmd,
                            const char *usage, bool takes_seconds,
                            bool takes_wait, job_opts *o, int64_t *id,
                            double *seconds, bool *wait) {
    const char *id_text = NULL;
    bool have_seconds = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (common_opt(argc, argv, &i, o)) {
            if (o->bad) return BT_EXIT_USAGE;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s\n", usage);
            return BT_EXIT_OK;
        }
        if (takes_wait && !strcmp(a, "--wait")) {
            *wait = true;
            if (optional_seconds(argc, argv, &i, seconds) &&
                !valid_seconds(*seconds))
                return usage_error(cmd, usage,
                                   "--wait '%s' is not a number of seconds",
                                   argv[i]);
            continue;
        }
        if (a[0] == '-' && a[1])
            return usage_error(cmd, usage, "unknown option '%s'", a);
        if (!id_text) {
            id_text = a;
        } else if (takes_seconds && !have_seconds) {
            if (!bt_parse_double(a, seconds) || !valid_seconds(*seconds))
                return usage_error(cmd, usage,
                                   "'%s' is not a number of seconds", a);
            have_seconds = true;
        } else {
            return usage_error(cmd, usage, "unexpected argument '%s'", a);
        }
    }
    if (!id_text) return usage_error(cmd, usage, "%s", "which job?");
    if (!parse_job_id(id_text, id))
        return usage_error(cmd, usage, "job id '%s' is not a positive integer",
                           id_text);
    return -1;
}

int bt_cli_wait(int argc, char **argv) {
    job_opts o = {0};
    int64_t id = 0;
    double seconds = -1;
    int rc = parse_id_command(argc, argv, "wait", WAIT_USAGE, true, false, &o,
                              &id, &seconds, NULL);
    if (rc >= 0) return rc;
    bt_client *c = NULL;
    if ((rc = open_client("wait", &o, &c))) return rc;
    json_t *job = NULL;
    rc = wait_job(c, "wait", id, seconds, &job);
    if (rc < 0) rc = report_waited("wait", job, seconds, &o);
    json_decref(job);
    bt_client_close(c);
    return rc;
}

static int show_job(int argc, char **argv);

/* `baton job ID` shows the job whatever its state: 0 when it was shown.
 * `baton job VERB ...` is the grouped spelling of the job commands. */
int bt_cli_job(int argc, char **argv) {
    static const struct {
        const char *verb;
        int (*run)(int argc, char **argv);
    } verbs[] = {{"start", bt_cli_start}, {"list", bt_cli_jobs},
                 {"show", show_job},      {"wait", bt_cli_wait},
                 {"cancel", bt_cli_cancel}};
    if (argc >= 2)
        for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
            if (!strcmp(argv[1], verbs[i].verb))
                return verbs[i].run(argc - 1, argv + 1);
    return show_job(argc, argv);
}

static int show_job(int argc, char **argv) {
    job_opts o = {0};
    int64_t id = 0;
    int rc = parse_id_command(argc, argv, "job", JOB_USAGE, false, false, &o,
                              &id, NULL, NULL);
    if (rc >= 0) return rc;
    bt_client *c = NULL;
    if ((rc = open_client("job", &o, &c))) return rc;
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld", (long long)id);
    json_t *job = NULL;
    rc = call(c, "job", "GET", path, NULL, CALL_TIMEOUT_S, 200, &job);
    if (rc < 0) {
        if (o.json) print_json(job);
        else print_detail(job);
        rc = BT_EXIT_OK;
    }
    json_decref(job);
    bt_client_close(c);
    return rc;
}

int bt_cli_cancel(int argc, char **argv) {
    job_opts o = {0};
    int64_t id = 0;
    double seconds = -1;
    bool wait = false;
    int rc = parse_id_command(argc, argv, "cancel", CANCEL_USAGE, false, true,
                              &o, &id, &seconds, &wait);
    if (rc >= 0) return rc;
    bt_client *c = NULL;
    if ((rc = open_client("cancel", &o, &c))) return rc;
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%lld/cancel", (long long)id);
    json_t *job = NULL;
    rc = call(c, "cancel", "POST", path, NULL, CALL_TIMEOUT_S, 202, &job);
    if (rc < 0 && wait) {
        json_decref(job);
        rc = wait_job(c, "cancel", id, seconds, &job);
        /* canceled is what was asked for; any other end is reported */
        if (rc < 0) {
            report_waited("cancel", job, seconds, &o);
            rc = !strcmp(str(job, "status"), "canceled") ? BT_EXIT_OK
                                                         : BT_EXIT_FAILED;
        }
    } else if (rc < 0) {
        if (o.json) print_json(job);
        else print_job_line(job);
        rc = BT_EXIT_OK;
    }
    json_decref(job);
    bt_client_close(c);
    return rc;
}

/* ---- baton jobs ------------------------------------------------------- */

static const char JOBS_USAGE[] =
    "baton jobs [--status S] [--runbook R] [--limit N] [--json] [--url URL]";

static void append_query(char **q, const char *name, const char *value,
                         bt_client *c) {
    char *e = bt_client_escape(c, value);
    char *next = bt_xasprintf("%s%c%s=%s", *q, **q ? '&' : '?', name, e);
    free(e);
    free(*q);
    *q = next;
}

int bt_cli_jobs(int argc, char **argv) {
    job_opts o = {0};
    const char *status = NULL, *runbook = NULL, *limit = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (common_opt(argc, argv, &i, &o)) {
            if (o.bad) return BT_EXIT_USAGE;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s\nS is pending, running, completed, failed or "
                   "canceled; R an id or /Folder/Name path.\n",
                   JOBS_USAGE);
            return BT_EXIT_OK;
        }
        const char **slot = !strcmp(a, "--status")    ? &status
                            : !strcmp(a, "--runbook") ? &runbook
                            : !strcmp(a, "--limit")   ? &limit
                                                      : NULL;
        if (!slot)
            return usage_error("jobs", JOBS_USAGE,
                               a[0] == '-' ? "unknown option '%s'"
                                           : "unexpected argument '%s'",
                               a);
        if (i + 1 >= argc)
            return usage_error("jobs", JOBS_USAGE, "%s needs a value", a);
        *slot = argv[++i];
    }
    bt_client *c = NULL;
    int rc = open_client("jobs", &o, &c);
    if (rc) return rc;
    char *q = bt_xstrdup("");
    if (status) append_query(&q, "status", status, c);
    if (runbook) append_query(&q, "runbook", runbook, c);
    if (limit) append_query(&q, "limit", limit, c);
    char *path = bt_xasprintf("/api/jobs%s", q);
    json_t *reply = NULL;
    rc = call(c, "jobs", "GET", path, NULL, CALL_TIMEOUT_S, 200, &reply);
    if (rc < 0 && o.json) {
        print_json(reply);
    } else if (rc < 0) {
        json_t *items = json_object_get(reply, "items");
        if (!json_array_size(items)) printf("no jobs\n");
        else printf("%-6s %-10s %-24s %-10s %s\n", "ID", "STATUS", "CREATED",
                    "BY", "RUNBOOK");
        size_t i;
        json_t *j;
        json_array_foreach(items, i, j)
            printf("%-6lld %-10s %-24s %-10s %s\n",
                   (long long)json_integer_value(json_object_get(j, "id")),
                   str(j, "status"), str(j, "created"), str(j, "created_by"),
                   str(j, "runbook_path"));
    }
    if (rc < 0) rc = BT_EXIT_OK;
    json_decref(reply);
    free(path);
    free(q);
    bt_client_close(c);
    return rc;
}
