/* Parameter value types and their checks. */
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "engine/datetime.h"
#include "runbook/load_internal.h"
#include "runbook/runbook.h"

/* ---- value types ------------------------------------------------------- */

static const char *const value_type_names[] = {"string", "integer", "number",
                                               "boolean", "datetime"};

int bt__value_type_parse(bt_loader *ld, const char *name, bt_value_type *out,
                         const char **suggestion) {
    for (size_t k = 0; k < BT_ARRAY_LEN(value_type_names); k++)
        if (strcmp(value_type_names[k], name) == 0) {
            *out = (bt_value_type)k;
            return 0;
        }
    *suggestion = bt__closest(ld, name, value_type_names,
                              BT_ARRAY_LEN(value_type_names));
    return -BT_EINVAL;
}

const char *bt_value_type_name(bt_value_type t) {
    return (size_t)t < BT_ARRAY_LEN(value_type_names) ? value_type_names[t]
                                                       : "unknown";
}

int bt_value_check(bt_value_type t, const char *text) {
    int64_t i;
    double d;
    bool b;
    bt_datetime dt;
    if (!text) return -BT_EINVAL;
    switch (t) {
    case BT_TYPE_STRING: return 0;
    case BT_TYPE_INTEGER: return bt_parse_int64(text, &i) ? 0 : -BT_EINVAL;
    case BT_TYPE_NUMBER: return bt_parse_double(text, &d) ? 0 : -BT_EINVAL;
    case BT_TYPE_BOOLEAN: return bt_parse_bool(text, &b) ? 0 : -BT_EINVAL;
    case BT_TYPE_DATETIME: return bt_datetime_parse_iso(text, &dt);
    }
    return -BT_EINVAL;
}

const char *bt__value_example(bt_value_type t) {
    switch (t) {
    case BT_TYPE_INTEGER: return "an integer such as 42";
    case BT_TYPE_NUMBER: return "a number such as 1.5";
    case BT_TYPE_BOOLEAN: return "true or false";
    case BT_TYPE_DATETIME:
        return "a date/time such as 2026-11-25 or 2026-11-25T10:00:00Z";
    default: return "text";
    }
}

/* ---- parameter values ------------------------------------------------- */

const bt_param_def *bt_runbook_param(const bt_runbook *rb, const char *name) {
    for (size_t i = 0; i < rb->n_params; i++)
        if (strcmp(rb->params[i].name, name) == 0) return &rb->params[i];
    return NULL;
}

bool bt_param_allows(const bt_param_def *p, const char *value) {
    if (!p->n_allowed) return true;
    for (size_t i = 0; i < p->n_allowed; i++)
        if (strcmp(p->allowed[i], value) == 0) return true;
    return false;
}

int bt_param_check(const bt_param_def *p, const char *value, bt_error *err) {
    if (bt_value_check(p->type, value) != 0)
        return bt_error_set(err, BT_EINVAL,
                            "parameter '%s' must be of type %s, got '%s'",
                            p->name, bt_value_type_name(p->type), value);
    if (!bt_param_allows(p, value))
        return bt_error_set(err, BT_EINVAL,
                            "parameter '%s' must be one of the allowed "
                            "values, got '%s'",
                            p->name, value);
    return 0;
}
