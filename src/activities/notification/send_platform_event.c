/* Send Platform Event: adds an event to Baton's own events list, the one
 * the console's Events view and GET /api/events show, next to the events
 * the servers write. The host does the writing (bt_act_services.event_add):
 * a runbook server writes to the store, tied to the job; `baton test`
 * writes to the store with --db and otherwise prints the event. Inline: a
 * single store write on the loop's handle, like the counters. */
#include <stdlib.h>
#include <string.h>

#include "activities/host_services.h"
#include "baton/activity.h"
#include "common/util.h"
#include "engine/engine.h"
#include "runbook/runbook.h"

#define TYPE "send-platform-event"

static const char *const severities[] = {"info", "warning", "error", NULL};

static int run(bt_activity_ctx *ctx) {
    const char *summary = bt_act_str(ctx, "summary", "");
    const char *details = bt_act_str(ctx, "details", "");
    const char *sev_word = bt_act_str(ctx, "severity", "info");
    int sev = -1;
    for (int i = 0; severities[i]; i++)
        if (!strcmp(sev_word, severities[i])) sev = i;
    if (sev < 0)
        return bt_act_fail(ctx,
                           "%s: severity '%s' is not one of info, warning, "
                           "error",
                           TYPE, sev_word);
    if (!*summary) return bt_act_fail(ctx, "%s: 'summary' is empty", TYPE);
    const bt_act_services *s =
        BT_NEED_SERVICE(ctx, TYPE, event_add, "events list");
    if (!s) return -BT_EINVAL;

    char *source;
    if (bt_act_has(ctx, "source")) {
        source = bt_xstrdup(bt_act_str(ctx, "source", ""));
    } else {
        /* Like Orchestrator, which names the runbook that sent it. */
        const bt_instance *inst = bt_act_instance(ctx);
        const bt_runbook *rb = inst ? bt_instance_runbook(inst) : NULL;
        source = rb && rb->name ? bt_xasprintf("runbook %s", rb->name)
                                : bt_xstrdup("runbook");
    }
    char *message = *details ? bt_xasprintf("%s\n%s", summary, details)
                             : bt_xstrdup(summary);
    int64_t job_id = 0;
    bool stored = false;
    bt_error err = {0};
    int rc =
        s->event_add(s->ud, ctx, sev, source, message, &job_id, &stored, &err);
    if (rc) {
        bt_act_fail(ctx, "%s: cannot add the event: %s", TYPE, err.message);
    } else {
        bt_act_publish(ctx, "severity", sev_word);
        bt_act_publish(ctx, "source", source);
        bt_act_publish(ctx, "message", message);
        bt_act_publish(ctx, "stored", stored ? "true" : "false");
        if (job_id)
            bt_act_publishf(ctx, "job_id", "%lld", (long long)job_id);
        else
            bt_act_publish(ctx, "job_id", "");
    }
    free(message);
    free(source);
    return rc ? -BT_EINVAL : 0;
}

static const bt_prop_spec props[] = {
    {"summary", BT_PROP_STRING, true, NULL, "The event's first line.", NULL},
    {"details", BT_PROP_STRING, false, NULL,
     "More text, after the summary on its own lines.", NULL},
    {"severity", BT_PROP_STRING, false, "info", "info, warning or error.",
     severities},
    {"source", BT_PROP_STRING, false, "runbook NAME",
     "Who the event says it is from.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"severity", "source", "message",
                                        "stored",   "job_id", NULL};

const bt_activity_type bt_activity_send_platform_event = {
    .name = "send-platform-event",
    .title = "Send Platform Event",
    .category = "notification",
    .description = "Adds an event to Baton's events list (console Events, "
                   "GET /api/events), tied to the job.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .run = run,
};
