/* Check Schedule: does a moment (now by default) fall within a schedule?
 * Orchestrator's version publishes "Conforms to schedule" and succeeds
 * either way, so a link condition picks the branch; so does this. The
 * schedule is a stored one (by name, through the host's services), a JSON
 * definition, or written inline as properties. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activities/host_services.h"
#include "activities/scheduling/schedule.h"
#include "baton/activity.h"
#include "common/util.h"
#include "engine/template.h"
#include "runbook/runbook.h"

static const char *const inline_lists[] = {"days_of_week", "days_of_month",
                                           "occurrences", "hours",
                                           "exceptions"};

/* The inline properties as a definition, so both forms share one parser. */
static char *inline_definition(bt_activity_ctx *ctx) {
    json_t *o = json_object();
    for (size_t i = 0; i < BT_ARRAY_LEN(inline_lists); i++) {
        if (!bt_act_has(ctx, inline_lists[i])) continue;
        const char *const *items;
        size_t n = bt_act_list(ctx, inline_lists[i], &items);
        json_t *a = json_array();
        for (size_t k = 0; k < n; k++)
            json_array_append_new(a, json_string(items[k]));
        json_object_set_new(o, inline_lists[i], a);
    }
    if (bt_act_has(ctx, "timezone"))
        json_object_set_new(o, "timezone",
                            json_string(bt_act_str(ctx, "timezone", "")));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* "2026-11-25T10:00:00Z", "2026-11-25 10:00", with an optional Z or
 * +hh:mm: without a zone the text is a wall-clock time in the schedule's
 * zone and is used as written. */
static int parse_moment(const char *text, bool utc, struct tm *out) {
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S",
                                          "%Y-%m-%d %H:%M:%S",
                                          "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                          "%Y-%m-%d"};
    for (size_t i = 0; i < BT_ARRAY_LEN(formats); i++) {
        struct tm tm = {0};
        const char *end = strptime(text, formats[i], &tm);
        if (!end) continue;
        if (*end == '.') /* fractions of a second do not matter here */
            while (*++end >= '0' && *end <= '9') {}
        long offset = 0;
        bool zoned = false;
        if (*end == 'Z' && !end[1]) {
            zoned = true;
        } else if ((*end == '+' || *end == '-') && end[1]) {
            int h, m, used = 0;
            if (sscanf(end + 1, "%2d:%2d%n", &h, &m, &used) != 2 ||
                end[1 + used])
                continue;
            offset = (h * 3600L + m * 60L) * (*end == '-' ? -1 : 1);
            zoned = true;
        } else if (*end) {
            continue;
        }
        if (!zoned) {
            /* Let mktime/timegm fill in the weekday. */
            tm.tm_isdst = -1;
            time_t t = utc ? timegm(&tm) : mktime(&tm);
            if (utc)
                gmtime_r(&t, out);
            else
                localtime_r(&t, out);
            return 0;
        }
        time_t t = timegm(&tm) - offset;
        if (utc)
            gmtime_r(&t, out);
        else
            localtime_r(&t, out);
        return 0;
    }
    return -1;
}

static int run(bt_activity_ctx *ctx) {
    const char *name = bt_act_str(ctx, "schedule", NULL);
    const char *json = bt_act_str(ctx, "definition", NULL);
    bool inline_given = bt_act_has(ctx, "timezone");
    for (size_t i = 0; i < BT_ARRAY_LEN(inline_lists); i++)
        inline_given |= bt_act_has(ctx, inline_lists[i]);
    if ((name != NULL) + (json != NULL) + inline_given != 1)
        return bt_act_fail(ctx, "check-schedule: give one of 'schedule' (a "
                                "stored schedule's name), 'definition' "
                                "(JSON) or the schedule's own properties");
    char *owned = NULL;
    if (name) {
        const bt_act_services *s = BT_NEED_SERVICE(
            ctx, "check-schedule", schedule_get, "schedule store");
        if (!s) return -BT_EINVAL;
        bt_error err = {0};
        if (s->schedule_get(s->ud, name, &owned, &err) != 0)
            return bt_act_fail(ctx, "check-schedule: %s", err.message);
        json = owned;
    } else if (!json) {
        json = owned = inline_definition(ctx);
    }
    bt_schedule sched;
    char why[300];
    int rc = bt_schedule_parse(json, &sched, why, sizeof why);
    free(owned);
    if (rc)
        return bt_act_fail(ctx, "check-schedule: %s%s%s", why,
                           name ? " in stored schedule " : "",
                           name ? name : "");
    struct tm tm;
    const char *at = bt_act_str(ctx, "time", "");
    if (*at) {
        if (parse_moment(at, sched.utc, &tm))
            return bt_act_fail(ctx, "check-schedule: time '%s' is not a "
                                    "date and time such as "
                                    "2026-11-25T14:30:00Z",
                               at);
    } else {
        time_t now = (time_t)(bt_now_us() / 1000000u);
        if (sched.utc)
            gmtime_r(&now, &tm);
        else
            localtime_r(&now, &tm);
    }
    char checked[40];
    strftime(checked, sizeof checked, "%Y-%m-%dT%H:%M:%S", &tm);
    bt_act_publish(ctx, "conforms",
                   bt_schedule_conforms(&sched, &tm) ? "true" : "false");
    bt_act_publish(ctx, "schedule", name ? name : "inline");
    bt_act_publish(ctx, "checked_time", checked);
    return 0;
}

/* ---- load-time checks -------------------------------------------------- */

static bool literal(const bt_node *n) {
    if (!n || n->kind != BT_NODE_SCALAR) return false;
    return n->compiled ? bt_template_is_literal(n->compiled)
                       : !strchr(n->str, '{');
}

/* A literal's text as the activity will see it ({{ written as {). */
static const char *text_of(const bt_node *n) {
    return n->compiled ? bt_template_literal(n->compiled) : n->str;
}

/* The inline properties as JSON when every value is literal, else NULL. */
static char *literal_inline(const bt_node *p) {
    json_t *o = json_object();
    bool all = true;
    for (size_t i = 0; i < BT_ARRAY_LEN(inline_lists) && all; i++) {
        const bt_node *n = bt_node_get(p, inline_lists[i]);
        if (!n) continue;
        json_t *a = json_array();
        json_object_set_new(o, inline_lists[i], a);
        if (n->kind != BT_NODE_SEQ) {
            all = literal(n);
            if (all) json_array_append_new(a, json_string(text_of(n)));
            continue;
        }
        for (size_t k = 0; k < n->count && all; k++) {
            all = literal(n->items[k]);
            if (all)
                json_array_append_new(a,
                                      json_string(text_of(n->items[k])));
        }
    }
    const bt_node *tz = bt_node_get(p, "timezone");
    if (tz) {
        all = all && literal(tz);
        if (all) json_object_set_new(o, "timezone", json_string(text_of(tz)));
    }
    char *text = all ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    const bt_node *p = def->properties;
    const bt_node *def_node = bt_node_get(p, "definition");
    bool inline_given = bt_node_get(p, "timezone") != NULL;
    for (size_t i = 0; i < BT_ARRAY_LEN(inline_lists); i++)
        inline_given |= bt_node_get(p, inline_lists[i]) != NULL;
    int forms = (bt_node_get(p, "schedule") != NULL) + (def_node != NULL) +
                inline_given;
    if (forms != 1)
        return bt_diags_add(diags, BT_EINVAL, rb->file, def->line,
                            def->column,
                            "check-schedule '%s': give one of 'schedule', "
                            "'definition' or the schedule's own properties "
                            "(days_of_week, hours, ...), not %s",
                            def->id, forms ? "several" : "none");
    char *json = NULL;
    if (def_node && literal(def_node))
        json = bt_xstrdup(text_of(def_node));
    else if (inline_given)
        json = literal_inline(p);
    if (!json) return 0;
    bt_schedule sched;
    char why[300];
    int rc = bt_schedule_parse(json, &sched, why, sizeof why);
    free(json);
    if (rc)
        return bt_diags_add(diags, BT_EINVAL, rb->file, def->line,
                            def->column, "check-schedule '%s': %s", def->id,
                            why);
    return 0;
}

static const char *const timezones[] = {"local", "utc", NULL};

static const bt_prop_spec props[] = {
    {"schedule", BT_PROP_STRING, false, NULL,
     "A stored schedule's name.", NULL},
    {"definition", BT_PROP_STRING, false, NULL,
     "A schedule definition as JSON text.", NULL},
    {"days_of_week", BT_PROP_LIST, false, "every day",
     "Inline: weekdays (mon ... sun).", NULL},
    {"days_of_month", BT_PROP_LIST, false, "every day",
     "Inline: days of the month (1-31, last).", NULL},
    {"occurrences", BT_PROP_LIST, false, "every",
     "Inline: which of the month's weekdays (first ... fourth, last).", NULL},
    {"hours", BT_PROP_LIST, false, "all day",
     "Inline: time ranges such as 08:00-17:30.", NULL},
    {"exceptions", BT_PROP_LIST, false, NULL,
     "Inline: dates that never conform (2026-12-25).", NULL},
    {"timezone", BT_PROP_STRING, false, "local",
     "Inline: local or utc.", timezones},
    {"time", BT_PROP_STRING, false, "now",
     "The moment to check (ISO 8601).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const published[] = {"conforms", "schedule",
                                        "checked_time", NULL};

const bt_activity_type bt_activity_check_schedule = {
    .name = "check-schedule",
    .title = "Check Schedule",
    .category = "scheduling",
    .description = "Publishes whether now (or a given time) falls within a "
                   "schedule.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .check = check,
    .run = run,
};
