/* Server-Sent Events: GET /api/events/stream (server events and job status
 * changes, resumable with Last-Event-ID) and GET /api/jobs/{id}/stream
 * (one job's status, instances and each activity instance as it is
 * committed, then an "end" event and the end of the stream).
 *
 * libmicrohttpd runs a thread per connection, so the body callback may
 * wait: it polls the store on the request's own handle every POLL_MS
 * (backend-neutral; PostgreSQL's LISTEN would only shorten the wait),
 * sends a comment line as keep-alive when nothing happened for a while
 * (which also finds clients that went away), and ends when the service
 * stops.
 *
 * Anyone may follow the events stream: it carries the events and jobs of
 * the runbooks the caller may view, and the events of no job (servers).
 * A stream can stay open for days, so it re-reads the caller's rights
 * every stream_recheck_ms and ends when the credential that opened it
 * would no longer be accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/web_internal.h"

#define POLL_MS 250
#define EVENTS_PAGE 200
#define JOBS_PAGE 500
#define OUT_MAX ((size_t)64 << 20)

enum { STREAM_EVENTS, STREAM_JOB };

typedef struct open_job {
    int64_t id;
    bt_job_status st;
} open_job;

typedef struct inst_state {
    int64_t id;
    bt_job_status st;
    uint64_t seq; /* last activity instance sent */
} inst_state;

struct bt_web_stream {
    int kind;
    bt_auth_scope scope; /* what the caller may view */
    bt_buf out;
    size_t off;
    bool ended;
    uint64_t last_out_us;
    uint64_t checked_us; /* when the caller's rights were last read */
    /* events stream */
    int64_t job_filter;
    int64_t after_event;
    int64_t jobs_after; /* highest job id seen */
    open_job *open;
    size_t n_open, cap_open;
    /* job stream */
    int64_t job_id;
    int job_st; /* -1 before the first look */
    inst_state *insts;
    size_t n_insts;
    bt_runbook *def;
};

void bt_web_stream_free(bt_web_stream *st) {
    if (!st) return;
    bt_buf_free(&st->out);
    free(st->open);
    free(st->insts);
    bt_runbook_free(st->def);
    free(st);
}

/* One event: "event: NAME", an optional "id: N", and the JSON as data. */
static void emit(bt_web_stream *st, const char *name, int64_t id, json_t *data) {
    char *text = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    if (id) bt_buf_printf(&st->out, "id: %lld\n", (long long)id);
    bt_buf_printf(&st->out, "event: %s\ndata: %s\n\n", name, text ? text : "{}");
    free(text);
}

static json_t *job_status_json(const bt_store_job *j) {
    return json_pack("{s:I, s:I, s:s, s:o, s:o}", "id", (json_int_t)j->id,
                     "runbook_id", (json_int_t)j->runbook_id, "status",
                     bt_job_status_name(j->status), "started",
                     bt_web_time(j->started_us), "ended",
                     bt_web_time(j->ended_us));
}

static bool finished(bt_job_status st) {
    return st == BT_JOB_COMPLETED || st == BT_JOB_FAILED ||
           st == BT_JOB_CANCELED;
}

/* ---- /api/events/stream ------------------------------------------------ */

/* The highest event id (0 when none): events are listed oldest first, so
 * max_id gallops and then bisects on "is there an event above X". */
static int probe_events(bt_web_req *r, int64_t after, bool *any,
                        bt_error *err) {
    bt_store_event *items = NULL;
    size_t n = 0;
    int rc = BT_WEB_TIMED(r, bt_store_event_list(r->store, 0, after, 1,
                                                 &items, &n, err));
    *any = n > 0;
    bt_store_event_list_free(items, n);
    return rc;
}

typedef int (*probe_fn)(bt_web_req *r, int64_t after, bool *any,
                        bt_error *err);

static int max_id(bt_web_req *r, probe_fn probe, int64_t *out, bt_error *err) {
    int64_t lo = 0, hi = 1; /* invariant: something above lo */
    bool any;
    int rc = probe(r, 0, &any, err);
    if (rc || !any) {
        *out = 0;
        return rc;
    }
    for (;;) {
        if ((rc = probe(r, hi, &any, err))) return rc;
        if (!any) break;
        lo = hi;
        hi *= 2;
    }
    /* something above lo, nothing above hi */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if ((rc = probe(r, mid, &any, err))) return rc;
        if (any) lo = mid;
        else hi = mid;
    }
    *out = hi;
    return 0;
}

static void open_add(bt_web_stream *st, int64_t id, bt_job_status s) {
    if (st->n_open == st->cap_open) {
        st->cap_open = st->cap_open ? st->cap_open * 2 : 64;
        st->open = bt_xrealloc(st->open, st->cap_open * sizeof *st->open);
    }
    st->open[st->n_open++] = (open_job){id, s};
}

/* Whether the caller may view job_id's runbook (always, with auth off or
 * for an administrator). */
static bool may_view_job(bt_web_req *r, bt_web_stream *st, int64_t job_id,
                         int64_t runbook_id) {
    if (st->scope.all) return true;
    if (!runbook_id) {
        bt_store_job j = {0};
        if (bt_store_job_get(r->store, job_id, &j, NULL)) return false;
        runbook_id = j.runbook_id;
        bt_store_job_clear(&j);
    }
    return bt_auth_scope_runbook(r, &st->scope, runbook_id, BT_RIGHT_VIEW);
}

static int poll_events(bt_web_req *r, bt_web_stream *st, bt_error *err) {
    bt_store *s = r->store;
    /* store events */
    for (;;) {
        bt_store_event *ev = NULL;
        size_t n = 0;
        int rc = BT_WEB_TIMED(r, bt_store_event_list(s, st->job_filter,
                                                     st->after_event,
                                                     EVENTS_PAGE, &ev, &n,
                                                     err));
        if (rc) return rc;
        for (size_t i = 0; i < n; i++) {
            st->after_event = ev[i].id;
            if (ev[i].job_id && !may_view_job(r, st, ev[i].job_id, 0))
                continue;
            json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s}", "id",
                                  (json_int_t)ev[i].id, "time",
                                  bt_web_time(ev[i].time_us), "severity",
                                  bt_severity_name(ev[i].severity), "source",
                                  ev[i].source, "message", ev[i].message);
            json_object_set_new(o, "job", ev[i].job_id
                                              ? json_integer(ev[i].job_id)
                                              : json_null());
            emit(st, "event", ev[i].id, o);
        }
        bt_store_event_list_free(ev, n);
        if (n < EVENTS_PAGE) break;
    }
    /* new jobs */
    for (;;) {
        bt_store_job_filter f = {.any_status = true,
                                 .after_id = st->jobs_after,
                                 .limit = JOBS_PAGE};
        bt_store_job *jobs = NULL;
        size_t n = 0;
        int64_t next = 0;
        int rc = BT_WEB_TIMED(r, bt_store_job_list(s, &f, &jobs, &n, &next,
                                                   err));
        if (rc) return rc;
        for (size_t i = 0; i < n; i++) {
            st->jobs_after = jobs[i].id;
            if (st->job_filter && jobs[i].id != st->job_filter) continue;
            if (!may_view_job(r, st, jobs[i].id, jobs[i].runbook_id)) continue;
            emit(st, "job", 0, job_status_json(&jobs[i]));
            if (!finished(jobs[i].status))
                open_add(st, jobs[i].id, jobs[i].status);
        }
        bt_store_job_list_free(jobs, n);
        if (!next) break;
    }
    /* status changes of the jobs not finished when last seen */
    for (size_t i = 0; i < st->n_open;) {
        bt_store_job j = {0};
        int rc = BT_WEB_TIMED(r, bt_store_job_get(s, st->open[i].id, &j, err));
        if (rc == -BT_ENOTFOUND) { /* purged */
            st->open[i] = st->open[--st->n_open];
            continue;
        }
        if (rc) return rc;
        if (j.status != st->open[i].st) {
            emit(st, "job", 0, job_status_json(&j));
            st->open[i].st = j.status;
        }
        bool done = finished(j.status);
        bt_store_job_clear(&j);
        if (done) st->open[i] = st->open[--st->n_open];
        else i++;
    }
    return 0;
}

/* Jobs unfinished right now, so their later changes are reported. */
static int seed_open_jobs(bt_web_req *r, bt_web_stream *st, bt_error *err) {
    bt_job_status sts[2] = {BT_JOB_PENDING, BT_JOB_RUNNING};
    for (int k = 0; k < 2; k++) {
        bt_store_job_filter f = {.status = sts[k], .limit = JOBS_PAGE};
        for (;;) {
            bt_store_job *jobs = NULL;
            size_t n = 0;
            int64_t next = 0;
            int rc = BT_WEB_TIMED(r, bt_store_job_list(r->store, &f, &jobs,
                                                       &n, &next, err));
            if (rc) return rc;
            for (size_t i = 0; i < n; i++)
                if (jobs[i].id <= st->jobs_after &&
                    (!st->job_filter || jobs[i].id == st->job_filter) &&
                    may_view_job(r, st, jobs[i].id, jobs[i].runbook_id))
                    open_add(st, jobs[i].id, jobs[i].status);
            bt_store_job_list_free(jobs, n);
            if (!next) break;
            f.after_id = next;
        }
    }
    return 0;
}

void bt_web_events_stream(bt_web_req *r) {
    static const char *const allowed[] = {"job", "cursor", NULL};
    if (!bt_web_query_only(r, allowed)) return;
    int64_t job = 0, after = -1;
    const char *q = bt_web_query(r, "job");
    if (q && *q && !bt_web_parse_id(r, q, "job", &job)) return;
    /* one job's feed is for those who may view it; the whole feed is
     * filtered by what the caller may view */
    if (job && !bt_auth_job_check(r, job, BT_RIGHT_VIEW)) return;
    /* EventSource resends the last id it saw as Last-Event-ID; cursor is
     * the same for a first connection */
    q = bt_web_header(r, "Last-Event-ID");
    const char *target = "Last-Event-ID";
    if (!q || !*q) {
        q = bt_web_query(r, "cursor");
        target = "cursor";
    }
    if (q && *q) {
        if (!bt_parse_int64(q, &after) || after < 0) {
            bt_web_error(r, 400, target[0] == 'L' ? "invalid_header"
                                                  : "invalid_parameter",
                         target, "%s must be an event id (a non-negative "
                         "integer), got '%s'", target, q);
            return;
        }
    }
    if (!bt_web_store(r)) return;
    bt_web_stream *st = bt_xcalloc(1, sizeof *st);
    if (!bt_auth_scope_open(r, &st->scope)) {
        free(st);
        return;
    }
    st->checked_us = bt_mono_us();
    bt_buf_init(&st->out, OUT_MAX);
    st->kind = STREAM_EVENTS;
    st->job_filter = job;
    st->job_st = -1;
    bt_error err = {0};
    int rc = 0;
    if (after >= 0) st->after_event = after;
    else rc = max_id(r, probe_events, &st->after_event, &err);
    if (!rc) rc = bt_web_max_job_id(r, &st->jobs_after, &err);
    if (!rc) rc = seed_open_jobs(r, st, &err);
    if (rc) {
        bt_web_stream_free(st);
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    /* a first comment so the client sees the stream is open */
    bt_buf_printf(&st->out, ": baton events from %lld\nretry: 2000\n\n",
                  (long long)st->after_event);
    r->stream = st;
    r->status = 200;
}

int bt_web_max_job_id(bt_web_req *r, int64_t *out, bt_error *err) {
    bt_store_job_filter f = {.any_status = true, .newest_first = true,
                             .limit = 1};
    bt_store_job *items = NULL;
    size_t n = 0;
    int64_t next = 0;
    int rc = BT_WEB_TIMED(r, bt_store_job_list(r->store, &f, &items, &n,
                                               &next, err));
    *out = n ? items[0].id : 0;
    bt_store_job_list_free(items, n);
    return rc;
}

/* ---- /api/jobs/{id}/stream --------------------------------------------- */

static inst_state *inst_find(bt_web_stream *st, int64_t id) {
    for (size_t i = 0; i < st->n_insts; i++)
        if (st->insts[i].id == id) return &st->insts[i];
    return NULL;
}

static int poll_job(bt_web_req *r, bt_web_stream *st, bt_error *err) {
    bt_store *s = r->store;
    bt_store_job job = {0};
    int rc = BT_WEB_TIMED(r, bt_store_job_get(s, st->job_id, &job, err));
    if (rc) return rc;
    bool job_done = finished(job.status);
    if ((int)job.status != st->job_st) {
        emit(st, "status", 0, job_status_json(&job));
        st->job_st = (int)job.status;
    }
    bt_store_instance *ins = NULL;
    size_t n = 0;
    rc = BT_WEB_TIMED(r, bt_store_instance_list(s, st->job_id, &ins, &n, err));
    json_t *returned = NULL;
    for (size_t i = 0; i < n && !rc; i++) {
        inst_state *is = inst_find(st, ins[i].id);
        if (!is) {
            st->insts = bt_xrealloc(st->insts, (st->n_insts + 1) *
                                                   sizeof *st->insts);
            is = &st->insts[st->n_insts++];
            *is = (inst_state){ins[i].id, (bt_job_status)-1, 0};
        }
        /* activities before the instance's own end, so "end" comes last */
        bt_store_activity *acts = NULL;
        size_t n_acts = 0;
        rc = BT_WEB_TIMED(r, bt_store_activity_list(s, is->id, is->seq, &acts,
                                                    &n_acts, err));
        for (size_t k = 0; k < n_acts && !rc; k++) {
            emit(st, "activity", 0, bt_web_activity_json(&acts[k], st->def));
            is->seq = acts[k].seq;
        }
        bt_store_activity_list_free(acts, n_acts);
        if (ins[i].status != is->st) {
            emit(st, "instance", 0, bt_web_instance_json(&ins[i]));
            is->st = ins[i].status;
        }
        if (ins[i].return_data) {
            json_decref(returned);
            returned = bt_web_json_text(ins[i].return_data);
        }
    }
    bt_store_instance_list_free(ins, n);
    if (!rc && job_done) {
        /* the job's end was read before its instances, so everything it
         * committed has been sent */
        json_t *o = bt_web_job_json(&job, NULL);
        json_object_set_new(o, "return_data", returned ? returned : json_null());
        returned = NULL;
        emit(st, "end", 0, o);
        st->ended = true;
    }
    json_decref(returned);
    bt_store_job_clear(&job);
    return rc;
}

void bt_web_jobs_stream(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    int64_t id;
    if (!bt_web_parse_id(r, r->captures[0], "id", &id)) return;
    if (!bt_auth_job_check(r, id, BT_RIGHT_VIEW)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_store_job job = {0};
    bt_error err = {0};
    int rc = BT_WEB_TIMED(r, bt_store_job_get(s, id, &job, &err));
    if (rc == -BT_ENOTFOUND) {
        bt_web_error(r, 404, "not_found", "id", "no job with id %lld",
                     (long long)id);
        return;
    }
    if (rc) {
        bt_web_error_from(r, rc, &err, NULL);
        return;
    }
    bt_web_stream *st = bt_xcalloc(1, sizeof *st);
    if (!bt_auth_scope_open(r, &st->scope)) {
        free(st);
        bt_store_job_clear(&job);
        return;
    }
    st->checked_us = bt_mono_us();
    bt_buf_init(&st->out, OUT_MAX);
    st->kind = STREAM_JOB;
    st->job_id = id;
    st->job_st = -1;
    /* activity names and types come from the version the job runs */
    bt_store_version v = {0};
    if (!bt_store_version_get(s, job.runbook_id, job.runbook_version, &v,
                              NULL)) {
        bt_diags d;
        bt_diags_init(&d);
        if (bt_runbook_load_string("job", v.yaml, strlen(v.yaml), NULL,
                                   &st->def, &d))
            st->def = NULL;
        bt_diags_free(&d);
    }
    bt_store_version_clear(&v);
    bt_store_job_clear(&job);
    bt_buf_printf(&st->out, ": baton job %lld\n\n", (long long)id);
    r->stream = st;
    r->status = 200;
}

/* ---- the body callback -------------------------------------------------- */

/* The caller's rights as they are now: false (with the reason sent as an
 * "error" event) when the stream must end. A job the caller may no
 * longer view ends its stream as a missing one would. */
static bool recheck(bt_web_req *r, bt_web_stream *st) {
    if (!bt_auth_enabled(r)) return true;
    uint64_t now = bt_mono_us();
    if (now - st->checked_us < (uint64_t)r->web->stream_recheck_ms * 1000)
        return true;
    st->checked_us = now;
    bt_error err = {0};
    int rc = bt_auth_scope_recheck(r, &st->scope, &err);
    const char *code = rc == -BT_ENOTFOUND ? "unauthorized" : "store_error";
    if (!rc && st->kind == STREAM_JOB && !may_view_job(r, st, st->job_id, 0)) {
        rc = bt_error_set(&err, BT_ENOTFOUND, "no job with id %lld",
                          (long long)st->job_id);
        code = "not_found";
    }
    if (!rc) return true;
    emit(st, "error", 0, json_pack("{s:s, s:s}", "code", code, "message",
                                   err.message));
    st->ended = true;
    return false;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

ssize_t bt_web_stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    bt_web_req *r = cls;
    bt_web_stream *st = r->stream;
    bt_web *w = r->web;
    for (;;) {
        if (st->out.len > st->off) {
            size_t n = st->out.len - st->off;
            if (n > max) n = max;
            memcpy(buf, st->out.data + st->off, n);
            st->off += n;
            if (st->off == st->out.len) {
                bt_buf_reset(&st->out);
                st->off = 0;
            }
            st->last_out_us = bt_mono_us();
            return (ssize_t)n;
        }
        if (st->ended || atomic_load(&w->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (!recheck(r, st)) continue;
        bt_error err = {0};
        int rc = st->kind == STREAM_JOB ? poll_job(r, st, &err)
                                        : poll_events(r, st, &err);
        if (rc) {
            /* the client learns why, then the stream ends; EventSource
             * reconnects and resumes */
            emit(st, "error", 0,
                 json_pack("{s:s, s:s}", "code",
                           rc == -BT_ENOTFOUND ? "not_found" : "store_error",
                           "message", err.message[0] ? err.message
                                                     : bt_strerror(-rc)));
            st->ended = true;
            continue;
        }
        if (st->out.len) continue;
        if (bt_mono_us() - st->last_out_us >= (uint64_t)w->keepalive_ms * 1000) {
            bt_buf_appends(&st->out, ": keep-alive\n\n");
            continue;
        }
        sleep_ms(POLL_MS);
    }
}
