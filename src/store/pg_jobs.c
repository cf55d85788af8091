/* PostgreSQL backend: jobs, the claim, runbook servers and take-over.
 *
 * Several runbook servers claim at once here, so the claim locks the
 * pending rows it takes with SELECT ... FOR UPDATE SKIP LOCKED: concurrent
 * claims pass over each other's rows instead of waiting, and a row one
 * claim took is not pending any more when another looks again. A
 * runbook's concurrency limit is guarded by a transaction-scoped advisory
 * lock per runbook, taken without waiting: while one claim admits jobs of
 * a limited runbook, the others leave that runbook's jobs for their next
 * claim. Nothing ever waits on a lock, so claims cannot deadlock. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/pg_internal.h"

#define JOB_COLS                                                              \
    "id, guid, runbook_id, runbook_version, parameters, created_by, "        \
    "created_us, status, coalesce(server_id, 0), started_us, ended_us, "     \
    "cancel_requested, takeovers, has_targets"

/* Namespace of the per-runbook advisory locks (two-key form). */
#define RUNBOOK_LOCK_SPACE "1651798638" /* "bt-n" */

static void read_job(const PGresult *r, int row, bt_store_job *j,
                     bool *has_targets) {
    j->id = bt__pg_i64(r, row, 0);
    bt__pg_guid(r, row, 1, j->guid);
    j->runbook_id = bt__pg_i64(r, row, 2);
    j->runbook_version = (int)bt__pg_i64(r, row, 3);
    j->parameters = bt__pg_str0(r, row, 4);
    j->created_by = bt__pg_str0(r, row, 5);
    j->created_us = bt__pg_i64(r, row, 6);
    j->status = (bt_job_status)bt__pg_i64(r, row, 7);
    j->server_id = bt__pg_i64(r, row, 8);
    j->started_us = bt__pg_i64(r, row, 9);
    j->ended_us = bt__pg_i64(r, row, 10);
    j->cancel_requested = bt__pg_bool(r, row, 11);
    j->takeovers = (int)bt__pg_i64(r, row, 12);
    *has_targets = bt__pg_bool(r, row, 13);
}

static int read_targets(bt_pg *p, bt_store_job *j, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, j->id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT server_name FROM job_targets "
                         "WHERE job_id = $1 ORDER BY position",
                         &a, &r, "reading job targets", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) j->targets = bt_xcalloc((size_t)rows, sizeof(char *));
    for (int i = 0; i < rows; i++)
        j->targets[j->n_targets++] = bt__pg_str0(r, i, 0);
    PQclear(r);
    return 0;
}

/* Reads the jobs of a result (JOB_COLS) into *items, with their targets. */
static int read_jobs(bt_pg *p, PGresult *r, int rows, bt_store_job **items,
                     size_t *n, bt_error *err) {
    if (rows <= 0) return 0;
    *items = bt_xcalloc((size_t)rows, sizeof **items);
    bool *has_targets = bt_xcalloc((size_t)rows, sizeof *has_targets);
    for (int i = 0; i < rows; i++) read_job(r, i, &(*items)[(*n)++], &has_targets[i]);
    int rc = 0;
    for (size_t i = 0; i < *n && !rc; i++)
        if (has_targets[i]) rc = read_targets(p, &(*items)[i], err);
    free(has_targets);
    if (rc) {
        bt_store_job_list_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
    return rc;
}

int bt__pg_job_get(bt_store *s, int64_t id, bt_store_job *out, bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, "SELECT " JOB_COLS " FROM jobs WHERE id = $1", &a,
                         &r, "reading a job", err);
    if (rc) return rc;
    bool has_targets = false;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND, "store: job %lld does not exist",
                          (long long)id);
    else
        read_job(r, 0, out, &has_targets);
    PQclear(r);
    if (!rc && has_targets) rc = read_targets(p, out, err);
    if (rc) bt_store_job_clear(out);
    return rc;
}

/* The version a new job runs: the one asked for, which must exist, or the
 * runbook's latest. */
static int resolve_version(bt_pg *p, int64_t runbook_id, int asked, int *out,
                           bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, runbook_id);
    bt__pg_int(&a, asked);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT r.latest_version, EXISTS (SELECT 1 FROM "
                         "runbook_versions v WHERE v.runbook_id = r.id AND "
                         "v.version = $2), r.deleted_us FROM runbooks r "
                         "WHERE r.id = $1",
                         &a, &r, "creating a job", err);
    if (rc) return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook %lld does not exist",
                            (long long)runbook_id);
    }
    int latest = (int)bt__pg_i64(r, 0, 0);
    bool exists = bt__pg_bool(r, 0, 1);
    bool deleted = bt__pg_i64(r, 0, 2) != 0;
    PQclear(r);
    if (deleted)
        return bt_error_set(err, BT_ESTATE,
                            "store: runbook %lld is deleted, so it cannot "
                            "start",
                            (long long)runbook_id);
    if (asked == 0 && latest == 0)
        return bt_error_set(err, BT_ESTATE,
                            "store: runbook %lld has no version checked in, "
                            "so it cannot start",
                            (long long)runbook_id);
    if (asked != 0 && !exists)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook %lld has no version %d",
                            (long long)runbook_id, asked);
    *out = asked ? asked : latest;
    return 0;
}

static int insert_job(bt_pg *p, const bt_store_job_spec *spec, int64_t *id,
                      bt_error *err) {
    int version = 0;
    int rc = resolve_version(p, spec->runbook_id, spec->runbook_version,
                             &version, err);
    if (rc) return rc;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt_pg_args a = {0};
    bt__pg_text(&a, guid);
    bt__pg_int(&a, spec->runbook_id);
    bt__pg_int(&a, version);
    bt__pg_text(&a, spec->parameters ? spec->parameters : "{}");
    bt__pg_text(&a, spec->created_by ? spec->created_by : "");
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_text(&a, spec->n_targets > 0 ? "t" : "f");
    PGresult *r = NULL;
    rc = bt__pg_exec(p,
                     "INSERT INTO jobs(guid, runbook_id, runbook_version, "
                     "parameters, created_by, created_us, has_targets) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                     &a, &r, "creating a job", err);
    if (rc) return rc;
    *id = bt__pg_i64(r, 0, 0);
    PQclear(r);
    for (size_t i = 0; i < spec->n_targets && !rc; i++) {
        a = (bt_pg_args){0};
        bt__pg_int(&a, *id);
        bt__pg_int(&a, (int64_t)i);
        bt__pg_text(&a, spec->targets[i]);
        rc = bt__pg_exec(p,
                         "INSERT INTO job_targets(job_id, position, "
                         "server_name) VALUES ($1, $2, $3)",
                         &a, NULL, "creating a job", err);
    }
    if (!rc) rc = bt__pg_notify(p, "created", *id, err);
    return rc;
}

int bt__pg_job_create(bt_store *s, const bt_store_job_spec *spec,
                      bt_store_job *out, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int64_t id = 0;
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = insert_job(p, spec, &id, err))) {
        bt__pg_rollback(p);
        return rc;
    }
    if ((rc = bt__pg_commit(p, err))) return rc;
    return out ? bt__pg_job_get(s, id, out, err) : 0;
}

/* ---- Claim ---------------------------------------------------------- */

/* The next pending jobs this server may take, oldest first, locked: the
 * job's target list (or else its runbook's preferred list) must be empty
 * or have this server as its first server with a current lease. $3 is
 * where the previous batch ended, $5 the runbooks already full. */
static const char claim_scan_sql[] =
    "SELECT j.id, j.runbook_id, r.max_concurrent, j.takeovers "
    "FROM jobs j JOIN runbooks r ON r.id = j.runbook_id "
    "WHERE j.status = 0 AND j.id > $3 AND j.runbook_id <> ALL($5::bigint[]) "
    "AND CASE "
    "  WHEN j.has_targets THEN (SELECT t.server_name FROM job_targets t "
    "    JOIN servers s ON s.name = t.server_name "
    "    WHERE t.job_id = j.id AND s.lease_expires_us > $1 "
    "    ORDER BY t.position LIMIT 1) = $2 "
    "  WHEN EXISTS (SELECT 1 FROM runbook_servers p "
    "    WHERE p.runbook_id = j.runbook_id) "
    "  THEN (SELECT p.server_name FROM runbook_servers p "
    "    JOIN servers s ON s.name = p.server_name "
    "    WHERE p.runbook_id = j.runbook_id AND s.lease_expires_us > $1 "
    "    ORDER BY p.position LIMIT 1) = $2 "
    "  ELSE true END "
    "ORDER BY j.id LIMIT $4 FOR UPDATE OF j SKIP LOCKED";

/* Per claim: how many jobs of a limited runbook run, counting the ones
 * this claim has taken, so jobs beyond the limit stay queued. */
typedef struct runbook_slots {
    int64_t runbook_id;
    int64_t used;
    int64_t limit;
} runbook_slots;

typedef struct claim_state {
    runbook_slots *slots;
    size_t n_slots, slots_cap;
    int64_t *full; /* runbooks this claim can admit no more of */
    size_t n_full, full_cap;
    int64_t *picks;
    size_t n_picks, picks_cap;
    int64_t *resumed; /* picks that were taken over: move their instance */
    size_t n_resumed, resumed_cap;
} claim_state;

/* Counts a limited runbook's running jobs once per claim. The runbook's
 * advisory lock makes the count and the admissions of this claim one
 * step for everyone else; when another claim holds it, this claim leaves
 * the runbook alone (*slot NULL). */
static int runbook_slot(bt_pg *p, claim_state *cs, int64_t runbook_id,
                        int64_t limit, runbook_slots **slot, bt_error *err) {
    *slot = NULL;
    for (size_t i = 0; i < cs->n_slots; i++)
        if (cs->slots[i].runbook_id == runbook_id) {
            *slot = &cs->slots[i];
            return 0;
        }
    bt_pg_args a = {0};
    bt__pg_int(&a, runbook_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT CASE WHEN pg_try_advisory_xact_lock("
                         RUNBOOK_LOCK_SPACE ", ($1::bigint % 2147483647)::"
                         "integer) THEN (SELECT count(*) FROM jobs WHERE "
                         "runbook_id = $1 AND status = 1) END",
                         &a, &r, "claiming jobs", err);
    if (rc) return rc;
    bool locked = !PQgetisnull(r, 0, 0);
    int64_t running = bt__pg_i64(r, 0, 0);
    PQclear(r);
    cs->slots = bt__pg_grow(cs->slots, cs->n_slots, &cs->slots_cap,
                            sizeof *cs->slots);
    runbook_slots *sl = &cs->slots[cs->n_slots++];
    sl->runbook_id = runbook_id;
    sl->limit = limit;
    sl->used = locked ? running : limit;
    *slot = sl;
    return 0;
}

static void push_id(int64_t **arr, size_t *n, size_t *cap, int64_t id) {
    *arr = bt__pg_grow(*arr, *n, cap, sizeof **arr);
    (*arr)[(*n)++] = id;
}

static int pick_jobs(bt_pg *p, const char *me, size_t max, claim_state *cs,
                     bt_error *err) {
    int64_t after = 0, now = bt__pg_now(p);
    int rc = 0;
    while (!rc && cs->n_picks < max) {
        size_t want = max - cs->n_picks;
        bt_pg_args a = {0};
        bt__pg_int(&a, now);
        bt__pg_text(&a, me);
        bt__pg_int(&a, after);
        bt__pg_int(&a, (int64_t)want);
        bt__pg_ids(&a, cs->full, cs->n_full);
        PGresult *r = NULL;
        rc = bt__pg_exec(p, claim_scan_sql, &a, &r, "claiming jobs", err);
        if (rc) break;
        int rows = PQntuples(r);
        bool newly_full = false;
        for (int i = 0; i < rows && !rc; i++) {
            int64_t id = bt__pg_i64(r, i, 0);
            int64_t runbook_id = bt__pg_i64(r, i, 1);
            int64_t limit = bt__pg_i64(r, i, 2);
            after = id;
            if (limit > 0) {
                runbook_slots *sl = NULL;
                rc = runbook_slot(p, cs, runbook_id, limit, &sl, err);
                if (rc) break;
                if (sl->used >= sl->limit) continue;
                if (++sl->used >= sl->limit) {
                    push_id(&cs->full, &cs->n_full, &cs->full_cap, runbook_id);
                    newly_full = true;
                }
            }
            push_id(&cs->picks, &cs->n_picks, &cs->picks_cap, id);
            if (bt__pg_i64(r, i, 3) > 0)
                push_id(&cs->resumed, &cs->n_resumed, &cs->resumed_cap, id);
        }
        PQclear(r);
        /* A short batch means nothing eligible is left, unless some rows
         * were passed over for a runbook that has just become full. */
        if ((size_t)rows < want && !newly_full) break;
        if (rows == 0) break;
    }
    return rc;
}

static int server_name(bt_pg *p, int64_t id, char **name, bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, "SELECT name FROM servers WHERE id = $1", &a, &r,
                         "reading a runbook server", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "store: runbook server %lld is not registered",
                          (long long)id);
    else
        *name = bt__pg_str0(r, 0, 0);
    PQclear(r);
    return rc;
}

static int claim_in_tx(bt_pg *p, int64_t server_id, size_t max,
                       bt_store_job **jobs, size_t *n, bt_error *err) {
    char *name = NULL;
    int rc = server_name(p, server_id, &name, err);
    if (rc) return rc;
    claim_state cs = {0};
    rc = pick_jobs(p, name, max, &cs, err);
    free(name);
    if (!rc && cs.n_picks) {
        bt_pg_args a = {0};
        bt__pg_int(&a, server_id);
        bt__pg_int(&a, bt__pg_now(p));
        bt__pg_ids(&a, cs.picks, cs.n_picks);
        PGresult *r = NULL;
        rc = bt__pg_exec(p,
                         "UPDATE jobs SET status = 1, server_id = $1, "
                         "started_us = CASE started_us WHEN 0 THEN $2 ELSE "
                         "started_us END WHERE id = ANY($3::bigint[]) "
                         "RETURNING " JOB_COLS,
                         &a, &r, "claiming jobs", err);
        if (!rc) {
            rc = read_jobs(p, r, PQntuples(r), jobs, n, err);
            PQclear(r);
        }
    }
    /* A job handed back by take-over keeps its instance: the claiming
     * server now holds it and resumes it. */
    if (!rc && cs.n_resumed) {
        bt_pg_args a = {0};
        bt__pg_int(&a, server_id);
        bt__pg_ids(&a, cs.resumed, cs.n_resumed);
        rc = bt__pg_exec(p,
                         "UPDATE instances SET server_id = $1 WHERE job_id = "
                         "ANY($2::bigint[]) AND status = 1",
                         &a, NULL, "claiming jobs", err);
    }
    free(cs.slots);
    free(cs.full);
    free(cs.picks);
    free(cs.resumed);
    return rc;
}

static int by_id(const void *a, const void *b) {
    int64_t x = ((const bt_store_job *)a)->id, y = ((const bt_store_job *)b)->id;
    return (x > y) - (x < y);
}

int bt__pg_job_claim(bt_store *s, int64_t server_id, size_t max,
                     bt_store_job **jobs, size_t *n, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    rc = claim_in_tx(p, server_id, max, jobs, n, err);
    if (!rc) rc = bt__pg_commit(p, err);
    else bt__pg_rollback(p);
    if (rc) {
        bt_store_job_list_free(*jobs, *n);
        *jobs = NULL;
        *n = 0;
        return rc;
    }
    /* RETURNING has no order: oldest first, as promised. */
    if (*n > 1) qsort(*jobs, *n, sizeof **jobs, by_id);
    return 0;
}

/* ---- Status changes ------------------------------------------------- */

/* Locks the job's row for the rest of the call. */
static int job_status_of(bt_pg *p, int64_t id, bt_job_status *out,
                         bt_error *err) {
    bt_pg_args a = {0};
    bt__pg_int(&a, id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p, "SELECT status FROM jobs WHERE id = $1 FOR UPDATE",
                         &a, &r, "reading a job", err);
    if (rc) return rc;
    if (PQntuples(r) == 0)
        rc = bt_error_set(err, BT_ENOTFOUND, "store: job %lld does not exist",
                          (long long)id);
    else
        *out = (bt_job_status)bt__pg_i64(r, 0, 0);
    PQclear(r);
    return rc;
}

static bool transition_ok(bt_job_status from, bt_job_status to) {
    if (to == BT_JOB_RUNNING) return from == BT_JOB_PENDING;
    if (to == BT_JOB_CANCELED)
        return from == BT_JOB_PENDING || from == BT_JOB_RUNNING;
    return from == BT_JOB_RUNNING; /* completed, failed */
}

static int set_status_in_tx(bt_pg *p, int64_t id, bt_job_status to,
                            int64_t server_id, bt_error *err) {
    bt_job_status from = BT_JOB_PENDING; /* -O3 cannot see it is always set */
    int rc = job_status_of(p, id, &from, err);
    if (rc) return rc;
    if (!transition_ok(from, to))
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld is %s and cannot become %s",
                            (long long)id, bt_job_status_name(from),
                            bt_job_status_name(to));
    bt_pg_args a = {0};
    if (to == BT_JOB_RUNNING) {
        char *name = NULL;
        if ((rc = server_name(p, server_id, &name, err))) return rc;
        free(name);
        bt__pg_int(&a, server_id);
        bt__pg_int(&a, bt__pg_now(p));
        bt__pg_int(&a, id);
        return bt__pg_exec(p,
                           "UPDATE jobs SET status = 1, server_id = $1, "
                           "started_us = $2 WHERE id = $3",
                           &a, NULL, "changing a job's status", err);
    }
    /* The fence: a server ends only a job it still holds (one taken over
     * in the meantime belongs to another server now). */
    bt__pg_int(&a, (int)to);
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_int(&a, id);
    bt__pg_int(&a, server_id > 0 ? server_id : 0);
    PGresult *r = NULL;
    rc = bt__pg_exec(p,
                     "UPDATE jobs SET status = $1, ended_us = $2 "
                     "WHERE id = $3 AND ($4::bigint = 0 OR "
                     "(status = 1 AND server_id = $4))",
                     &a, &r, "changing a job's status", err);
    if (rc) return rc;
    int64_t changed = bt__pg_changes(r);
    PQclear(r);
    if (changed == 0)
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld is not held by server %lld "
                            "(taken over?); its end is not recorded",
                            (long long)id, (long long)server_id);
    return 0;
}

int bt__pg_job_set_status(bt_store *s, int64_t job_id, bt_job_status to,
                          int64_t server_id, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = set_status_in_tx(p, job_id, to, server_id, err))) {
        bt__pg_rollback(p);
        return rc;
    }
    return bt__pg_commit(p, err);
}

static int cancel_in_tx(bt_pg *p, int64_t id, bt_error *err) {
    bt_job_status from = BT_JOB_PENDING; /* -O3 cannot see it is always set */
    int rc = job_status_of(p, id, &from, err);
    if (rc) return rc;
    if (from == BT_JOB_PENDING)
        rc = set_status_in_tx(p, id, BT_JOB_CANCELED, 0, err);
    else if (from != BT_JOB_RUNNING)
        return bt_error_set(err, BT_ESTATE, "store: job %lld is already %s",
                            (long long)id, bt_job_status_name(from));
    else {
        bt_pg_args a = {0};
        bt__pg_int(&a, id);
        rc = bt__pg_exec(p,
                         "UPDATE jobs SET cancel_requested = true "
                         "WHERE id = $1",
                         &a, NULL, "canceling a job", err);
    }
    /* The holding server LISTENs too: it can stop the job at once. */
    if (!rc) rc = bt__pg_notify(p, "cancel", id, err);
    return rc;
}

int bt__pg_job_request_cancel(bt_store *s, int64_t job_id, bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    if ((rc = cancel_in_tx(p, job_id, err))) {
        bt__pg_rollback(p);
        return rc;
    }
    return bt__pg_commit(p, err);
}

int bt__pg_job_list(bt_store *s, const bt_store_job_filter *f,
                    bt_store_job **items, size_t *n, int64_t *next,
                    bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_text(&a, f->any_status ? "t" : "f");
    bt__pg_int(&a, (int)f->status);
    bt__pg_int(&a, f->runbook_id);
    bt__pg_int(&a, f->server_id);
    bt__pg_int(&a, f->newest_first ? f->before_id : f->after_id);
    bt__pg_int(&a, (int64_t)f->limit + 1); /* one more: a next page? */
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         f->newest_first
                             ? "SELECT " JOB_COLS " FROM jobs WHERE "
                               "($1::boolean OR status = $2) AND ($3::bigint "
                               "= 0 OR runbook_id = $3) AND ($4::bigint = 0 "
                               "OR server_id = $4) AND ($5::bigint = 0 OR "
                               "id < $5) ORDER BY id DESC LIMIT $6"
                             : "SELECT " JOB_COLS " FROM jobs WHERE "
                               "($1::boolean OR status = $2) AND ($3::bigint "
                               "= 0 OR runbook_id = $3) AND ($4::bigint = 0 "
                               "OR server_id = $4) AND id > $5 ORDER BY id "
                               "LIMIT $6",
                         &a, &r, "listing jobs", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    bool more = (size_t)rows > f->limit;
    if (more) rows = (int)f->limit;
    rc = read_jobs(p, r, rows, items, n, err);
    PQclear(r);
    if (!rc && more && *n) *next = (*items)[*n - 1].id;
    return rc;
}

/* ---- Runbook servers ------------------------------------------------ */

static int64_t lease_end(bt_pg *p, uint64_t lease_ms) {
    uint64_t cap = (uint64_t)INT64_MAX / 2000;
    return bt__pg_now(p) + (int64_t)(lease_ms > cap ? cap : lease_ms) * 1000;
}

int bt__pg_server_register(bt_store *s, const char *name, const char *version,
                           uint64_t lease_ms, int64_t *out_id, bt_error *err) {
    bt_pg *p = bt__pg(s);
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt_pg_args a = {0};
    bt__pg_text(&a, guid);
    bt__pg_text(&a, name);
    bt__pg_text(&a, version ? version : "");
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_int(&a, lease_end(p, lease_ms));
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "INSERT INTO servers(guid, name, version, "
                         "registered_us, heartbeat_us, lease_expires_us) "
                         "VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (name) "
                         "DO UPDATE SET version = excluded.version, "
                         "registered_us = excluded.registered_us, "
                         "heartbeat_us = excluded.heartbeat_us, "
                         "lease_expires_us = excluded.lease_expires_us "
                         "RETURNING id",
                         &a, &r, "registering a runbook server", err);
    if (rc) return rc;
    *out_id = bt__pg_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

int bt__pg_server_heartbeat(bt_store *s, int64_t server_id, uint64_t lease_ms,
                            bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt__pg_clock_refresh(p);
    bt_pg_args a = {0};
    bt__pg_int(&a, bt__pg_now(p));
    bt__pg_int(&a, lease_end(p, lease_ms));
    bt__pg_int(&a, server_id);
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "UPDATE servers SET heartbeat_us = $1, "
                         "lease_expires_us = $2 WHERE id = $3",
                         &a, &r, "recording a heartbeat", err);
    if (rc) return rc;
    int64_t changed = bt__pg_changes(r);
    PQclear(r);
    if (!changed)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook server %lld is not registered",
                            (long long)server_id);
    return 0;
}

int bt__pg_server_list(bt_store *s, bt_store_server **items, size_t *n,
                       bt_error *err) {
    bt_pg *p = bt__pg(s);
    bt_pg_args a = {0};
    bt__pg_int(&a, bt__pg_now(p));
    PGresult *r = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT id, guid, name, version, registered_us, "
                         "heartbeat_us, lease_expires_us, lease_expires_us > "
                         "$1, throttle, draining FROM servers "
                         "ORDER BY name COLLATE \"C\"",
                         &a, &r, "listing runbook servers", err);
    if (rc) return rc;
    int rows = PQntuples(r);
    if (rows) *items = bt_xcalloc((size_t)rows, sizeof **items);
    for (int i = 0; i < rows; i++) {
        bt_store_server *sv = &(*items)[(*n)++];
        sv->id = bt__pg_i64(r, i, 0);
        bt__pg_guid(r, i, 1, sv->guid);
        sv->name = bt__pg_str0(r, i, 2);
        sv->version = bt__pg_str0(r, i, 3);
        sv->registered_us = bt__pg_i64(r, i, 4);
        sv->heartbeat_us = bt__pg_i64(r, i, 5);
        sv->lease_expires_us = bt__pg_i64(r, i, 6);
        sv->up = bt__pg_bool(r, i, 7);
        sv->throttle = (int)bt__pg_i64(r, i, 8);
        sv->draining = bt__pg_i64(r, i, 9) != 0;
    }
    PQclear(r);
    return 0;
}

/* Jobs of lapsed servers, locked; a take-over running at the same time on
 * another server skips them rather than handing them back twice. */
static int takeover_in_tx(bt_pg *p, int64_t **ids, size_t *n, bt_error *err) {
    int64_t now = bt__pg_now(p);
    bt_pg_args a = {0};
    bt__pg_int(&a, now);
    PGresult *found = NULL;
    int rc = bt__pg_exec(p,
                         "SELECT j.id, j.cancel_requested, s.name FROM "
                         "servers s JOIN jobs j ON j.server_id = s.id AND "
                         "j.status = 1 WHERE s.lease_expires_us <= $1 "
                         "ORDER BY j.id FOR UPDATE OF j SKIP LOCKED",
                         &a, &found, "finding lapsed jobs", err);
    if (rc) return rc;
    int rows = PQntuples(found);
    bool any_pending = false;
    for (int i = 0; i < rows && !rc; i++) {
        int64_t id = bt__pg_i64(found, i, 0);
        bool canceling = bt__pg_bool(found, i, 1);
        const char *server = PQgetvalue(found, i, 2);
        /* A job whose cancel was requested is not worth resuming. */
        a = (bt_pg_args){0};
        bt__pg_int(&a, id);
        if (canceling) bt__pg_int(&a, now);
        rc = bt__pg_exec(p,
                         canceling ? "UPDATE jobs SET status = 4, ended_us = "
                                     "$2, takeovers = takeovers + 1 WHERE "
                                     "id = $1"
                                   : "UPDATE jobs SET status = 0, server_id "
                                     "= NULL, takeovers = takeovers + 1 "
                                     "WHERE id = $1",
                         &a, NULL, "handing a job back", err);
        /* Nobody resumes a canceled job: its unfinished instance ends
         * canceled too, with the worst result committed so far. */
        if (!rc && canceling) {
            a = (bt_pg_args){0};
            bt__pg_int(&a, id);
            bt__pg_int(&a, now);
            rc = bt__pg_exec(p,
                             "UPDATE instances i SET status = 4, ended_us = "
                             "$2, result = (SELECT coalesce(max(result), 0) "
                             "FROM activity_instances WHERE instance_id = "
                             "i.id) WHERE job_id = $1 AND status = 1",
                             &a, NULL, "canceling a job's instance", err);
        }
        if (rc) break;
        any_pending |= !canceling;
        char *msg = bt_xasprintf(
            canceling ? "runbook server '%s' stopped heartbeating while job "
                        "%lld was being canceled; the job is marked canceled"
                      : "runbook server '%s' stopped heartbeating; job %lld "
                        "is handed back to be resumed by the next server",
            server, (long long)id);
        rc = bt__pg_event_insert(p, BT_SEVERITY_WARNING, server, msg, id, err);
        free(msg);
    }
    if (!rc && any_pending) rc = bt__pg_notify(p, "pending", 0, err);
    if (!rc && rows) {
        *ids = bt_xcalloc((size_t)rows, sizeof **ids);
        for (int i = 0; i < rows; i++) (*ids)[i] = bt__pg_i64(found, i, 0);
        *n = (size_t)rows;
    }
    PQclear(found);
    return rc;
}

int bt__pg_server_takeover(bt_store *s, int64_t **ids, size_t *n,
                           bt_error *err) {
    bt_pg *p = bt__pg(s);
    int rc = bt__pg_begin(p, err);
    if (rc) return rc;
    rc = takeover_in_tx(p, ids, n, err);
    if (!rc) rc = bt__pg_commit(p, err);
    else bt__pg_rollback(p);
    if (rc) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}
