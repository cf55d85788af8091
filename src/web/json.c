/* Answers and the JSON shapes of Baton's resources. Every error has one
 * shape, {"error": {"code", "message", "target"}}, so clients need one
 * error path. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "web/web_internal.h"

void bt_web_reply(bt_web_req *r, unsigned status, json_t *body) {
    json_decref(r->reply);
    r->status = status;
    r->reply = body;
}

void bt_web_error(bt_web_req *r, unsigned status, const char *code,
                  const char *target, const char *fmt, ...) {
    char msg[BT_ERROR_MESSAGE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(code));
    /* messages may quote client text that is not UTF-8 */
    json_t *m = json_string(msg);
    json_object_set_new(e, "message",
                        m ? m : json_string("(message is not valid UTF-8)"));
    if (target) {
        json_t *t = json_string(target);
        json_object_set_new(e, "target", t ? t : json_null());
    }
    bt_web_reply(r, status, json_pack("{s:o}", "error", e));
}

void bt_web_error_from(bt_web_req *r, int rc, const bt_error *err,
                       const char *target) {
    if (rc < 0) rc = -rc;
    const char *msg = err && err->message[0] ? err->message : bt_strerror(rc);
    switch (rc) {
    case BT_ENOTFOUND:
        bt_web_error(r, 404, "not_found", target, "%s", msg);
        break;
    case BT_EINVAL:
    case BT_ESYNTAX:
        bt_web_error(r, 400, "invalid", target, "%s", msg);
        break;
    case BT_ETOOBIG:
        bt_web_error(r, 413, "too_large", target, "%s", msg);
        break;
    case BT_ESTATE:
    case BT_EEXIST:
        bt_web_error(r, 409, "conflict", target, "%s", msg);
        break;
    default:
        bt_web_error(r, 500, "store_error", target, "%s", msg);
        break;
    }
}

json_t *bt_web_time(int64_t us) {
    if (us <= 0) return json_null();
    char buf[40];
    bt_format_time_us((uint64_t)us, buf, sizeof buf);
    return json_string(buf);
}

json_t *bt_web_json_text(const char *text) {
    if (!text) return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

static json_t *string_array(char *const *items, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(items[i]));
    return a;
}

static json_t *string_or_null(const char *s) {
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

json_t *bt_web_runbook_json(const bt_store_runbook *rb) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(rb->id));
    json_object_set_new(o, "guid", json_string(rb->guid));
    json_object_set_new(o, "name", string_or_null(rb->name));
    json_object_set_new(o, "path", string_or_null(rb->path));
    json_object_set_new(o, "folder_id", json_integer(rb->folder_id));
    json_object_set_new(o, "description", string_or_null(rb->description));
    json_object_set_new(o, "latest_version", json_integer(rb->latest_version));
    json_object_set_new(o, "max_concurrent", json_integer(rb->max_concurrent));
    json_object_set_new(o, "preferred_servers",
                        string_array(rb->preferred_servers, rb->n_preferred));
    json_object_set_new(o, "created", bt_web_time(rb->created_us));
    return o;
}

json_t *bt_web_params_json(const bt_runbook *rb) {
    json_t *a = json_array();
    for (size_t i = 0; i < rb->n_params; i++) {
        const bt_param_def *p = &rb->params[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "type", json_string(bt_value_type_name(p->type)));
        json_object_set_new(o, "required", json_boolean(p->required));
        if (p->has_default)
            json_object_set_new(o, "default", string_or_null(p->default_value));
        if (p->description)
            json_object_set_new(o, "description", string_or_null(p->description));
        if (p->n_allowed)
            json_object_set_new(o, "allowed", string_array(p->allowed, p->n_allowed));
        json_array_append_new(a, o);
    }
    return a;
}

json_t *bt_web_job_json(const bt_store_job *j, const char *runbook_path) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(j->id));
    json_object_set_new(o, "guid", json_string(j->guid));
    json_object_set_new(o, "runbook_id", json_integer(j->runbook_id));
    json_object_set_new(o, "runbook_path", string_or_null(runbook_path));
    json_object_set_new(o, "runbook_version", json_integer(j->runbook_version));
    json_object_set_new(o, "status", json_string(bt_job_status_name(j->status)));
    json_object_set_new(o, "parameters", bt_web_json_text(j->parameters));
    json_object_set_new(o, "created_by", string_or_null(j->created_by));
    json_object_set_new(o, "created", bt_web_time(j->created_us));
    json_object_set_new(o, "started", bt_web_time(j->started_us));
    json_object_set_new(o, "ended", bt_web_time(j->ended_us));
    json_object_set_new(o, "server_id",
                        j->server_id ? json_integer(j->server_id) : json_null());
    json_object_set_new(o, "cancel_requested", json_boolean(j->cancel_requested));
    json_object_set_new(o, "takeovers", json_integer(j->takeovers));
    json_object_set_new(o, "servers", string_array(j->targets, j->n_targets));
    return o;
}

json_t *bt_web_instance_json(const bt_store_instance *in) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(in->id));
    json_object_set_new(o, "guid", json_string(in->guid));
    json_object_set_new(o, "job_id", json_integer(in->job_id));
    json_object_set_new(o, "runbook_id", json_integer(in->runbook_id));
    json_object_set_new(o, "server_id", json_integer(in->server_id));
    json_object_set_new(o, "status", json_string(bt_job_status_name(in->status)));
    json_object_set_new(o, "result", in->result >= 0
                                         ? json_string(bt_result_name(in->result))
                                         : json_null());
    json_object_set_new(o, "started", bt_web_time(in->started_us));
    json_object_set_new(o, "ended", bt_web_time(in->ended_us));
    json_object_set_new(o, "return_data", bt_web_json_text(in->return_data));
    return o;
}

json_t *bt_web_activity_json(const bt_store_activity *a,
                             const bt_runbook *rb) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "guid", json_string(a->guid));
    json_object_set_new(o, "instance_id", json_integer(a->instance_id));
    json_object_set_new(o, "activity", string_or_null(a->activity_id));
    const bt_activity_def *def = rb ? bt_runbook_find(rb, a->activity_id) : NULL;
    json_object_set_new(o, "name", string_or_null(def ? def->name : NULL));
    json_object_set_new(o, "type", string_or_null(def ? def->type_name : NULL));
    json_object_set_new(o, "seq", json_integer((json_int_t)a->seq));
    json_object_set_new(o, "parent_seq", json_integer((json_int_t)a->parent_seq));
    json_object_set_new(o, "attempt", json_integer(a->attempt));
    json_object_set_new(o, "result", json_string(bt_result_name(a->result)));
    json_object_set_new(o, "error", string_or_null(a->error));
    json_object_set_new(o, "started", bt_web_time((int64_t)a->start_us));
    json_object_set_new(o, "ended", bt_web_time((int64_t)a->end_us));
    json_object_set_new(o, "duration_ms",
                        json_real(a->end_us >= a->start_us
                                      ? (double)(a->end_us - a->start_us) / 1000.0
                                      : 0.0));
    /* rows in order; the store gives data sorted by row */
    json_t *rows = json_array();
    json_t *row = NULL;
    uint32_t cur = 0;
    for (size_t i = 0; i < a->n_data; i++) {
        const bt_store_value *v = &a->data[i];
        if (!row || v->row != cur) {
            while (json_array_size(rows) < (size_t)v->row + 1)
                json_array_append_new(rows, json_object());
            row = json_array_get(rows, v->row);
            cur = v->row;
        }
        json_object_set_new(row, v->name, string_or_null(v->value));
    }
    json_object_set_new(o, "rows", rows);
    return o;
}
