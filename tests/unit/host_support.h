/* Test support for activities that use the host's services or trigger
 * instances: runs a runbook on a private loop with a services table, keeps
 * every instance a monitor triggered, and can cancel the monitor after a
 * number of them finished. Header-only. */
#ifndef BT_HOST_SUPPORT_H
#define BT_HOST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "harness.h"

#define HOST_MAX_TRIGGERED 32

typedef struct host_run {
    /* set by the test */
    const bt_act_services *services;
    size_t cancel_after; /* cancel the monitor after this many finished */
    /* Called on the loop once before anything runs, and after each
     * triggered instance finished. */
    void (*on_start)(struct host_run *run, uv_loop_t *loop);
    void (*on_triggered_done)(struct host_run *run, bt_instance *inst);
    void *ud;
    /* results */
    bt_runbook *rb;
    bt_instance *main;
    bt_instance *triggered[HOST_MAX_TRIGGERED];
    size_t n_triggered; /* finished triggered instances kept */
    uv_loop_t *loop;
} host_run;

static inline void host_instance_finished(bt_instance *inst, void *ud) {
    host_run *run = ud;
    if (!bt_instance_triggered(inst)) return;
    assert_true(run->n_triggered < HOST_MAX_TRIGGERED);
    run->triggered[run->n_triggered++] = inst;
    if (run->on_triggered_done) run->on_triggered_done(run, inst);
    if (run->cancel_after && run->n_triggered == run->cancel_after)
        bt_instance_cancel(run->main);
}

static inline void host_run_yaml_on(uv_loop_t *loop, const char *yaml,
                                    host_run *run) {
    bt_diags diags;
    bt_diags_init(&diags);
    int rc = bt_runbook_load_string("test.runbook.yaml", yaml, strlen(yaml),
                                    NULL, &run->rb, &diags);
    if (rc) bt_diags_print(&diags, stderr);
    bt_diags_free(&diags);
    assert_int_equal(rc, 0);
    run->loop = loop;
    bt_engine_hooks hooks = {.instance_finished = host_instance_finished,
                             .services = run->services,
                             .ud = run};
    bt_engine *eng;
    assert_int_equal(bt_engine_new(loop, &hooks, &eng), 0);
    bt_error err = {0};
    rc = bt_engine_start(eng, run->rb, NULL, 0, NULL, &run->main, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    if (run->on_start) run->on_start(run, loop);
    uv_run(loop, UV_RUN_DEFAULT);
    assert_true(bt_instance_done(run->main));
    bt_engine_free(eng);
    uv_run(loop, UV_RUN_DEFAULT);
}

/* The same on a fresh loop that is closed afterwards. */
static inline void host_run_yaml(const char *yaml, host_run *run) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    host_run_yaml_on(&loop, yaml, run);
    assert_int_equal(uv_loop_close(&loop), 0);
    run->loop = NULL;
}

static inline void host_run_free(host_run *run) {
    for (size_t i = 0; i < run->n_triggered; i++)
        bt_instance_free(run->triggered[i]);
    bt_instance_free(run->main);
    bt_runbook_free(run->rb);
    run->n_triggered = 0;
    run->main = NULL;
    run->rb = NULL;
}

/* Field of row 0 of the first record of activity id in inst. */
static inline const char *host_field(const bt_instance *inst, const char *id,
                                     const char *field) {
    for (size_t i = 0; i < bt_instance_record_count(inst); i++) {
        const bt_activity_record *r = bt_instance_record_at(inst, i);
        if (!strcmp(r->def->id, id))
            return r->n_rows ? bt_row_get(r->rows[0], field) : NULL;
    }
    return NULL;
}

static inline const bt_activity_record *host_record(const bt_instance *inst,
                                                    const char *id) {
    for (size_t i = 0; i < bt_instance_record_count(inst); i++) {
        const bt_activity_record *r = bt_instance_record_at(inst, i);
        if (!strcmp(r->def->id, id)) return r;
    }
    return NULL;
}

#endif
