/* Invoke Runbook: starts another runbook with parameters and, by default,
 * waits for it and publishes its Return Data. The host does the starting
 * (bt_act_services.invoke): a runbook server creates a child job that any
 * server may run; the Runbook Tester runs the child on its own engine. */
#include <stdlib.h>
#include <string.h>

#include "activities/host_services.h"
#include "baton/activity.h"
#include "common/util.h"

typedef struct invoke_state {
    bt_activity_ctx *ctx;
    const bt_act_services *s;
    bt_invoke *inv;
    const char *runbook;
    bool wait;
} invoke_state;

static const char *const reserved[] = {BT_COMMON_FIELDS, "job_id",
                                       "job_status", "runbook"};

/* A Return Data field named like one of this activity's own fields is
 * published with a return_ prefix rather than hiding either. */
static bool is_reserved(const char *name) {
    for (size_t i = 0; i < BT_ARRAY_LEN(reserved); i++)
        if (!strcmp(reserved[i], name)) return true;
    return false;
}

static void done(const bt_invoke_result *res, void *ud) {
    invoke_state *st = ud;
    bt_activity_ctx *ctx = st->ctx;
    st->inv = NULL;
    bt_act_publish(ctx, "runbook", st->runbook);
    bt_act_publishf(ctx, "job_id", "%lld", (long long)res->job_id);
    bt_act_publish(ctx, "job_status", res->status ? res->status : "");
    for (size_t i = 0; i < res->n_returned; i++) {
        if (is_reserved(res->names[i])) {
            char *name = bt_xasprintf("return_%s", res->names[i]);
            bt_act_publish(ctx, name, res->values[i]);
            free(name);
        } else {
            bt_act_publish(ctx, res->names[i], res->values[i]);
        }
    }
    if (res->error)
        bt_act_fail(ctx, "invoke-runbook: '%s' (job %lld) %s: %s",
                    st->runbook, (long long)res->job_id,
                    res->status ? res->status : "", res->error);
    else if (st->wait && res->result == BT_RESULT_FAILED)
        bt_act_fail(ctx, "invoke-runbook: '%s' (job %lld) failed",
                    st->runbook, (long long)res->job_id);
    else if (st->wait && res->result == BT_RESULT_WARNING)
        bt_act_warn(ctx, "invoke-runbook: '%s' (job %lld) ended with a "
                         "warning",
                    st->runbook, (long long)res->job_id);
    bt_act_complete(ctx);
}

static void free_state(void *p) { free(p); }

static int run(bt_activity_ctx *ctx) {
    const bt_act_services *s = BT_NEED_SERVICE(
        ctx, "invoke-runbook", invoke, "way to start runbooks");
    if (!s) return -BT_EINVAL;
    invoke_state *st = bt_xcalloc(1, sizeof *st);
    st->ctx = ctx;
    st->s = s;
    bt_act_set_state(ctx, st, free_state);
    st->runbook = bt_act_str(ctx, "runbook", "");
    if (bt_act_bool(ctx, "wait", true, &st->wait)) return -BT_EINVAL;
    if (!*st->runbook)
        return bt_act_fail(ctx, "invoke-runbook: 'runbook' is empty");
    bt_invoke_request req = {.runbook = st->runbook, .wait = st->wait};
    req.n_params =
        bt_act_map(ctx, "parameters", &req.param_names, &req.param_values);
    req.n_servers = bt_act_list(ctx, "servers", &req.servers);
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    bt_error err = {0};
    if (s->invoke(s->ud, ctx, &req, done, st, &st->inv, &err) != 0)
        return bt_act_fail(ctx, "invoke-runbook: %s", err.message);
    return 0;
}

static void cancel(bt_activity_ctx *ctx) {
    invoke_state *st = bt_act_state(ctx);
    if (st && st->inv && st->s->invoke_cancel)
        st->s->invoke_cancel(st->s->ud, st->inv);
}

static const bt_prop_spec props[] = {
    {"runbook", BT_PROP_STRING, true, NULL,
     "The runbook to start: its folder path and name (/Ops/Restart); the "
     "tester also takes a file, relative to this runbook's file.",
     NULL},
    {"parameters", BT_PROP_MAP, false, NULL,
     "The child's parameters, name: value.", NULL},
    {"wait", BT_PROP_BOOLEAN, false, "true",
     "Wait for the child to finish and publish its Return Data.", NULL},
    {"servers", BT_PROP_LIST, false, NULL,
     "Runbook servers to run the child on, in order of preference (the "
     "first one up takes it); default: the child runbook's preferred "
     "servers, else any. The tester runs the child itself.",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {"runbook", "job_id", "job_status",
                                        NULL};

const bt_activity_type bt_activity_invoke_runbook = {
    .name = "invoke-runbook",
    .title = "Invoke Runbook",
    .category = "control",
    .description = "Starts another runbook with parameters and, by default, "
                   "waits for it and publishes its Return Data.",
    .mode = BT_EXEC_ASYNC,
    .props = props,
    .published = published,
    .open_published = true,
    .run = run,
    .cancel = cancel,
};
