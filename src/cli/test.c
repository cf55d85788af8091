/* baton test: the Runbook Tester. Runs one runbook file on a local engine
 * and prints every activity instance with its published data, as text or
 * as one JSON document. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/pack_cli.h"
#include "cli/tester_services.h"
#include "common/util.h"
#include "engine/engine.h"
#include "runbook/runbook.h"

/* Published values longer than this are cut in text output (not JSON). */
#define TEXT_VALUE_MAX 4000

static const char *const common_fields[] = {BT_COMMON_FIELDS};

static bool is_common(const char *name) {
    for (size_t i = 0; i < BT_ARRAY_LEN(common_fields); i++)
        if (!strcmp(common_fields[i], name)) return true;
    return false;
}

static void print_value(const char *name, const char *value) {
    size_t len = strlen(value);
    printf("      %s = ", name);
    size_t shown = len > TEXT_VALUE_MAX ? TEXT_VALUE_MAX : len;
    for (size_t i = 0; i < shown; i++) {
        putchar(value[i]);
        if (value[i] == '\n' && i + 1 < shown) printf("        ");
    }
    if (shown < len) printf("… (%zu bytes in all)", len);
    if (!shown || value[shown - 1] != '\n') putchar('\n');
}

static void print_header(const bt_runbook *rb, const bt_row *params) {
    printf("Runbook: %s (%s)\n", rb->name, rb->file);
    for (size_t f = 0; f < params->count; f++)
        printf("  parameter %s = %s\n", params->names[f], params->values[f]);
}

static void print_text(const bt_instance *inst, double total_ms) {
    size_t n = bt_instance_record_count(inst);
    for (size_t i = 0; i < n; i++) {
        const bt_activity_record *r = bt_instance_record_at(inst, i);
        printf("[%llu] %s (%s)  %s  %.3f ms", (unsigned long long)r->seq,
               r->def->id, r->def->type_name, bt_result_name(r->result),
               (r->end_us - r->start_us) / 1000.0);
        if (r->def->retry.enabled) printf("  attempt %u", r->attempt);
        printf("\n");
        if (r->error) printf("      error: %s\n", r->error);
        for (size_t k = 0; k < r->n_rows; k++) {
            if (r->n_rows > 1) printf("    row %zu of %zu\n", k + 1, r->n_rows);
            const bt_row *row = r->rows[k];
            for (size_t f = 0; f < row->count; f++)
                if (!is_common(row->names[f]))
                    print_value(row->names[f], row->values[f]);
        }
        if (r->n_rows == 0) printf("      (no rows)\n");
    }
    printf("Result: %s%s (%zu activity instances, %.3f ms)\n",
           bt_result_name(bt_instance_result(inst)),
           bt_instance_canceled(inst) ? ", canceled" : "", n, total_ms);
    const bt_row *ret = bt_instance_returned(inst);
    if (ret->count) {
        printf("Returned:\n");
        for (size_t f = 0; f < ret->count; f++)
            print_value(ret->names[f], ret->values[f]);
    }
}

static json_t *row_json(const bt_row *row) {
    json_t *o = json_object();
    for (size_t f = 0; f < row->count; f++)
        json_object_set_new(o, row->names[f], json_string(row->values[f]));
    return o;
}

static json_t *instance_json(const bt_instance *inst, double total_ms) {
    const bt_runbook *rb = bt_instance_runbook(inst);
    json_t *doc = json_object();
    json_object_set_new(doc, "runbook", json_string(rb->name));
    json_object_set_new(doc, "result",
                        json_string(bt_result_name(bt_instance_result(inst))));
    json_object_set_new(doc, "canceled",
                        json_boolean(bt_instance_canceled(inst)));
    json_object_set_new(doc, "duration_ms", json_real(total_ms));
    json_object_set_new(doc, "parameters", row_json(bt_instance_params(inst)));
    json_t *acts = json_array();
    for (size_t i = 0; i < bt_instance_record_count(inst); i++) {
        const bt_activity_record *r = bt_instance_record_at(inst, i);
        char start[40], end[40];
        bt_format_time_us(r->start_us, start, sizeof start);
        bt_format_time_us(r->end_us, end, sizeof end);
        json_t *a = json_pack(
            "{s:I, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:s, s:f, s:I}", "seq",
            (json_int_t)r->seq, "id", r->def->id, "name", r->def->name,
            "type", r->def->type_name, "result", bt_result_name(r->result),
            "error", r->error ? json_string(r->error) : json_null(),
            "attempt", (json_int_t)r->attempt, "start_time", start,
            "end_time", end, "duration_ms",
            (r->end_us - r->start_us) / 1000.0, "parent_seq",
            (json_int_t)r->parent_seq);
        json_t *rows = json_array();
        for (size_t k = 0; k < r->n_rows; k++)
            json_array_append_new(rows, row_json(r->rows[k]));
        json_object_set_new(a, "rows", rows);
        json_array_append_new(acts, a);
    }
    json_object_set_new(doc, "activities", acts);
    json_object_set_new(doc, "returned", row_json(bt_instance_returned(inst)));
    return doc;
}

/* A monitor runbook's instance runs until its monitor stops (Ctrl-C, or
 * its own limit); every instance it triggers is printed as it finishes. */
typedef struct tester {
    uv_signal_t sigs[2];
    bool json;
    json_t *triggered; /* --json: the triggered instances */
    json_t *invoked;   /* --json: runbooks run by invoke-runbook */
    size_t n_triggered;
    size_t failed_triggered;
    uint64_t t0;
    bt_tester_services *services; /* counters, Invoke Runbook */
} tester;

static const char *lookup_var(void *ud, const char *name) {
    return bt_tester_services_variable(((tester *)ud)->services, name);
}

static void on_signal(uv_signal_t *s, int signum) {
    (void)signum;
    bt_instance_cancel(s->data);
}

static void on_instance_finished(bt_instance *inst, void *ud) {
    tester *t = ud;
    if (bt_tester_services_instance_finished(t->services, inst)) {
        double ms = (bt_mono_us() - t->t0) / 1000.0;
        long long job = (long long)bt_tester_services_job_id(t->services, inst);
        if (t->json) {
            json_t *doc = instance_json(inst, ms);
            json_object_set_new(doc, "job_id", json_integer(job));
            json_array_append_new(t->invoked, doc);
        } else {
            printf("--- invoked runbook %s (job %lld)\n",
                   bt_instance_runbook(inst)->name, job);
            print_text(inst, ms);
            fflush(stdout);
        }
        return;
    }
    if (!bt_instance_triggered(inst)) {
        uv_signal_stop(&t->sigs[0]);
        uv_signal_stop(&t->sigs[1]);
        return;
    }
    double ms = (bt_mono_us() - t->t0) / 1000.0;
    t->n_triggered++;
    if (bt_instance_result(inst) == BT_RESULT_FAILED) t->failed_triggered++;
    if (t->json) {
        json_array_append_new(t->triggered, instance_json(inst, ms));
    } else {
        printf("--- triggered instance %zu\n", t->n_triggered);
        print_text(inst, ms);
        fflush(stdout);
    }
    bt_instance_free(inst);
}

static int usage(int status) {
    fprintf(status ? stderr : stdout,
            "usage: baton test FILE [--param NAME=VALUE]... [--json] "
            "[--db sqlite:PATH]\n"
            "Runs the runbook locally and prints every activity instance\n"
            "with its result, duration and published data. A monitor\n"
            "runbook runs until its monitor stops (Ctrl-C or its own\n"
            "limit); each instance it starts is printed as it finishes.\n"
            "Counters live in memory for the run; --db uses a store's\n"
            "counters, schedules, variables and runbooks instead.\n"
            "Exit status: 0 succeeded, 1 failed, 2 invalid input.\n");
    return status;
}

int bt_cli_test(int argc, char **argv) {
    const char *file = NULL, *db = NULL;
    bool json = false;
    bt_param_value *params = bt_xcalloc((size_t)argc, sizeof *params);
    size_t n_params = 0;
    int status = BT_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *pv = NULL;
        if (!strcmp(arg, "--help")) {
            free(params);
            return usage(BT_EXIT_OK);
        } else if (!strcmp(arg, "--json")) {
            json = true;
        } else if (!strcmp(arg, "--db") || !strncmp(arg, "--db=", 5)) {
            if (!arg[4] && ++i == argc) goto bad_usage;
            db = arg[4] ? arg + 5 : argv[i];
        } else if (!strcmp(arg, "--param") || !strcmp(arg, "-p")) {
            if (++i == argc) goto bad_usage;
            pv = argv[i];
        } else if (!strncmp(arg, "--param=", 8)) {
            pv = arg + 8;
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "baton test: unknown option '%s'\n", arg);
            goto bad_usage;
        } else if (!file) {
            file = arg;
        } else {
            fprintf(stderr, "baton test: one runbook file at a time\n");
            goto bad_usage;
        }
        if (pv) {
            char *eq = strchr(pv, '=');
            if (!eq || eq == pv) {
                fprintf(stderr, "baton test: --param wants NAME=VALUE, "
                                "not '%s'\n", pv);
                goto bad_usage;
            }
            *eq = '\0';
            params[n_params].name = pv;
            params[n_params++].value = eq + 1;
        }
    }
    if (!file) goto bad_usage;

    bt_diags diags;
    bt_diags_init(&diags);
    bt_runbook *rb = NULL;
    bt_cli_load_packs("test");
    if (bt_runbook_load_file(file, NULL, &rb, &diags) != 0) {
        bt_diags_print(&diags, stderr);
        bt_diags_free(&diags);
        free(params);
        return BT_EXIT_USAGE;
    }
    bt_diags_free(&diags);

    uv_loop_t loop;
    uv_loop_init(&loop);
    tester t = {.json = json, .triggered = json_array(),
                .invoked = json_array(), .t0 = bt_mono_us()};
    bt_error serr;
    if (bt_tester_services_new(&loop, db, &t.services, &serr) != 0) {
        fprintf(stderr, "baton test: --db %s: %s\n", db, serr.message);
        json_decref(t.triggered);
        json_decref(t.invoked);
        uv_loop_close(&loop);
        bt_runbook_free(rb);
        free(params);
        return BT_EXIT_USAGE;
    }
    uv_signal_t *sigs = t.sigs;
    bt_engine_hooks hooks = {.instance_finished = on_instance_finished,
                             .services = bt_tester_services_table(t.services),
                             .var_lookup = lookup_var,
                             .ud = &t};
    bt_engine *eng;
    bt_engine_new(&loop, &hooks, &eng);
    bt_tester_services_set_engine(t.services, eng);
    bt_instance *inst = NULL;
    bt_error err;
    if (bt_engine_start(eng, rb, params, n_params, NULL, &inst, &err) != 0) {
        fprintf(stderr, "%s: %s\n", file, err.message);
        status = BT_EXIT_USAGE;
    } else {
        if (!json) print_header(rb, bt_instance_params(inst));
        fflush(stdout);
        for (int i = 0; i < 2; i++) {
            uv_signal_init(&loop, &sigs[i]);
            sigs[i].data = inst;
            if (!bt_instance_done(inst))
                uv_signal_start(&sigs[i], on_signal, i ? SIGTERM : SIGINT);
        }
        uv_run(&loop, UV_RUN_DEFAULT);
        double total_ms = (bt_mono_us() - t.t0) / 1000.0;
        if (json) {
            json_t *doc = instance_json(inst, total_ms);
            if (t.n_triggered)
                json_object_set(doc, "triggered", t.triggered);
            if (json_array_size(t.invoked))
                json_object_set(doc, "invoked", t.invoked);
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            putchar('\n');
            json_decref(doc);
        } else {
            if (t.n_triggered) printf("--- monitor\n");
            else if (bt_tester_services_children(t.services))
                printf("--- %s\n", rb->name);
            print_text(inst, total_ms);
        }
        /* Stopping a monitor is how a monitor runbook ends; what counts
         * then is whether the instances it started succeeded. */
        bool monitor_stopped = t.n_triggered && bt_instance_canceled(inst);
        bool failed = t.failed_triggered ||
                      (!monitor_stopped &&
                       bt_instance_result(inst) == BT_RESULT_FAILED);
        status = failed ? BT_EXIT_FAILED : BT_EXIT_OK;
        bt_instance_free(inst);
        for (int i = 0; i < 2; i++) uv_close((uv_handle_t *)&sigs[i], NULL);
    }
    json_decref(t.triggered);
    json_decref(t.invoked);
    bt_tester_services_free(t.services);
    bt_engine_free(eng);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    bt_runbook_free(rb);
    free(params);
    return status;

bad_usage:
    free(params);
    return usage(BT_EXIT_USAGE);
}
