/* SQLite backend: jobs, the claim, runbook servers and take-over.
 *
 * SQLite has one writer at a time, so a claim is a single UPDATE inside a
 * BEGIN IMMEDIATE transaction: once it holds the write lock no other handle
 * can see the same pending rows until it commits. PostgreSQL gets the same
 * semantics from SELECT ... FOR UPDATE SKIP LOCKED (docs/store.md). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/sqlite_internal.h"

#define JOB_COLS                                                              \
    "id, guid, runbook_id, runbook_version, parameters, created_by, "        \
    "created_us, status, coalesce(server_id, 0), started_us, ended_us, "     \
    "cancel_requested, takeovers, has_targets"

static void read_job(sqlite3_stmt *st, bt_store_job *j, bool *has_targets) {
    j->id = sqlite3_column_int64(st, 0);
    bt__sq_guid(st, 1, j->guid);
    j->runbook_id = sqlite3_column_int64(st, 2);
    j->runbook_version = sqlite3_column_int(st, 3);
    j->parameters = bt__sq_text0(st, 4);
    j->created_by = bt__sq_text0(st, 5);
    j->created_us = sqlite3_column_int64(st, 6);
    j->status = (bt_job_status)sqlite3_column_int(st, 7);
    j->server_id = sqlite3_column_int64(st, 8);
    j->started_us = sqlite3_column_int64(st, 9);
    j->ended_us = sqlite3_column_int64(st, 10);
    j->cancel_requested = sqlite3_column_int(st, 11) != 0;
    j->takeovers = sqlite3_column_int(st, 12);
    *has_targets = sqlite3_column_int(st, 13) != 0;
}

static int read_targets(bt_sqlite *q, bt_store_job *j, bt_error *err) {
    static const char sql[] = "SELECT server_name FROM job_targets "
                              "WHERE job_id = ? ORDER BY position";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, j->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        j->targets = bt__sq_grow(j->targets, j->n_targets, &cap, sizeof(char *));
        j->targets[j->n_targets++] = bt__sq_text0(st, 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : bt__sq_fail(q, "reading job targets", err);
}

int bt__sq_job_get(bt_store *s, int64_t id, bt_store_job *out, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    bool has_targets = false;
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) read_job(st, out, &has_targets);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: job %lld does not exist", (long long)id);
    else out_rc = bt__sq_fail(q, "reading a job", err);
    sqlite3_reset(st);
    if (!out_rc && has_targets) out_rc = read_targets(q, out, err);
    if (out_rc) bt_store_job_clear(out);
    return out_rc;
}

/* The version a new job runs: the one asked for, which must exist, or the
 * runbook's latest. */
static int resolve_version(bt_sqlite *q, int64_t runbook_id, int asked,
                           int *out, bt_error *err) {
    static const char sql[] =
        "SELECT r.latest_version, EXISTS (SELECT 1 FROM runbook_versions v "
        "WHERE v.runbook_id = r.id AND v.version = ?2), r.deleted_us "
        "FROM runbooks r WHERE r.id = ?1";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, runbook_id);
    sqlite3_bind_int(st, 2, asked);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) {
        int latest = sqlite3_column_int(st, 0);
        bool exists = sqlite3_column_int(st, 1) != 0;
        if (sqlite3_column_int64(st, 2) != 0)
            out_rc = bt_error_set(err, BT_ESTATE,
                                  "store: runbook %lld is deleted, so it "
                                  "cannot start",
                                  (long long)runbook_id);
        else if (asked == 0 && latest == 0)
            out_rc = bt_error_set(err, BT_ESTATE,
                                  "store: runbook %lld has no version checked "
                                  "in, so it cannot start",
                                  (long long)runbook_id);
        else if (asked != 0 && !exists)
            out_rc = bt_error_set(err, BT_ENOTFOUND,
                                  "store: runbook %lld has no version %d",
                                  (long long)runbook_id, asked);
        *out = asked ? asked : latest;
    } else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: runbook %lld does not exist",
                              (long long)runbook_id);
    else out_rc = bt__sq_fail(q, "creating a job", err);
    sqlite3_reset(st);
    return out_rc;
}

static int insert_job(bt_sqlite *q, const bt_store_job_spec *spec,
                      int64_t *id, bt_error *err) {
    static const char ins[] =
        "INSERT INTO jobs(guid, runbook_id, runbook_version, parameters, "
        "created_by, created_us, has_targets) VALUES (?, ?, ?, ?, ?, ?, ?)";
    static const char ins_target[] =
        "INSERT INTO job_targets(job_id, position, server_name) "
        "VALUES (?, ?, ?)";
    int version = 0;
    int rc = resolve_version(q, spec->runbook_id, spec->runbook_version,
                             &version, err);
    if (rc) return rc;
    sqlite3_stmt *st = bt__sq_stmt(q, ins, err);
    if (!st) return -BT_EIO;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt__sq_bind_text(st, 1, guid);
    sqlite3_bind_int64(st, 2, spec->runbook_id);
    sqlite3_bind_int(st, 3, version);
    bt__sq_bind_text(st, 4, spec->parameters);
    bt__sq_bind_text(st, 5, spec->created_by);
    sqlite3_bind_int64(st, 6, bt__sq_now(q));
    sqlite3_bind_int(st, 7, spec->n_targets > 0);
    if ((rc = bt__sq_exec_stmt(q, st, "creating a job", err))) return rc;
    *id = sqlite3_last_insert_rowid(q->db);
    for (size_t i = 0; i < spec->n_targets; i++) {
        if (!(st = bt__sq_stmt(q, ins_target, err))) return -BT_EIO;
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        bt__sq_bind_text(st, 3, spec->targets[i]);
        if ((rc = bt__sq_exec_stmt(q, st, "creating a job", err))) return rc;
    }
    return 0;
}

int bt__sq_job_create(bt_store *s, const bt_store_job_spec *spec,
                      bt_store_job *out, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int64_t id = 0;
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    if ((rc = insert_job(q, spec, &id, err))) {
        bt__sq_rollback(q);
        return rc;
    }
    if ((rc = bt__sq_commit(q, err))) return rc;
    return out ? bt__sq_job_get(s, id, out, err) : 0;
}

/* ---- Claim ---------------------------------------------------------- */

/* Pending jobs this server may take, oldest first: the job's target list
 * (or else its runbook's preferred list) must be empty or have this server
 * as its first server with a current lease. The scan stops as soon as the
 * claim is full, so its cost follows what it takes, not the backlog. */
static const char claim_scan_sql[] =
    "SELECT j.id, j.runbook_id, r.max_concurrent, j.takeovers "
    "FROM jobs j JOIN runbooks r ON r.id = j.runbook_id "
    "WHERE j.status = 0 AND CASE "
    "  WHEN j.has_targets THEN (SELECT t.server_name FROM job_targets t "
    "    JOIN servers s ON s.name = t.server_name "
    "    WHERE t.job_id = j.id AND s.lease_expires_us > ?1 "
    "    ORDER BY t.position LIMIT 1) = ?2 "
    "  WHEN EXISTS (SELECT 1 FROM runbook_servers p "
    "    WHERE p.runbook_id = j.runbook_id) "
    "  THEN (SELECT p.server_name FROM runbook_servers p "
    "    JOIN servers s ON s.name = p.server_name "
    "    WHERE p.runbook_id = j.runbook_id AND s.lease_expires_us > ?1 "
    "    ORDER BY p.position LIMIT 1) = ?2 "
    "  ELSE 1 END "
    "ORDER BY j.id";

/* Per claim: how many jobs of a limited runbook run, counting the ones
 * this claim has taken, so jobs beyond the limit stay queued. */
typedef struct runbook_slots {
    int64_t runbook_id;
    int64_t used;
} runbook_slots;

typedef struct claim_pick {
    int64_t id;
    bool taken_over;
} claim_pick;

static int running_of(bt_sqlite *q, int64_t runbook_id, int64_t *out,
                      bt_error *err) {
    static const char sql[] =
        "SELECT count(*) FROM jobs WHERE runbook_id = ? AND status = 1";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, runbook_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : bt__sq_fail(q, "claiming jobs", err);
}

/* True when a job of runbook_id (limit lim > 0) still fits. */
static int fits_limit(bt_sqlite *q, runbook_slots **slots, size_t *n_slots,
                      size_t *cap, int64_t runbook_id, int64_t lim,
                      bool *fits, bt_error *err) {
    runbook_slots *sl = NULL;
    for (size_t i = 0; i < *n_slots && !sl; i++)
        if ((*slots)[i].runbook_id == runbook_id) sl = &(*slots)[i];
    if (!sl) {
        int64_t running = 0;
        int rc = running_of(q, runbook_id, &running, err);
        if (rc) return rc;
        *slots = bt__sq_grow(*slots, *n_slots, cap, sizeof **slots);
        sl = &(*slots)[(*n_slots)++];
        sl->runbook_id = runbook_id;
        sl->used = running;
    }
    *fits = sl->used < lim;
    if (*fits) sl->used++;
    return 0;
}

static int pick_jobs(bt_sqlite *q, const char *me, size_t max,
                     claim_pick **picks, size_t *n_picks, bt_error *err) {
    sqlite3_stmt *st = bt__sq_stmt(q, claim_scan_sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, bt__sq_now(q));
    sqlite3_bind_text(st, 2, me, -1, SQLITE_STATIC);
    runbook_slots *slots = NULL;
    size_t n_slots = 0, slots_cap = 0, cap = 0;
    int rc = 0, step = SQLITE_DONE;
    while (*n_picks < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t runbook_id = sqlite3_column_int64(st, 1);
        int64_t lim = sqlite3_column_int64(st, 2);
        bool fits = true;
        if (lim > 0 &&
            (rc = fits_limit(q, &slots, &n_slots, &slots_cap, runbook_id, lim,
                             &fits, err)))
            break;
        if (!fits) continue;
        *picks = bt__sq_grow(*picks, *n_picks, &cap, sizeof **picks);
        (*picks)[*n_picks].id = sqlite3_column_int64(st, 0);
        (*picks)[(*n_picks)++].taken_over = sqlite3_column_int(st, 3) > 0;
    }
    if (!rc && *n_picks < max && step != SQLITE_DONE)
        rc = bt__sq_fail(q, "claiming jobs", err);
    sqlite3_reset(st);
    free(slots);
    return rc;
}

static int server_name(bt_sqlite *q, int64_t id, char **name, bt_error *err) {
    static const char sql[] = "SELECT name FROM servers WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) *name = bt__sq_text0(st, 0);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: runbook server %lld is not registered",
                              (long long)id);
    else out_rc = bt__sq_fail(q, "reading a runbook server", err);
    sqlite3_reset(st);
    return out_rc;
}

static int claim_in_tx(bt_sqlite *q, int64_t server_id, size_t max,
                       bt_store_job **jobs, size_t *n, bt_error *err) {
    static const char take[] =
        "UPDATE jobs SET status = 1, server_id = ?1, started_us = CASE "
        "started_us WHEN 0 THEN ?2 ELSE started_us END WHERE id = ?3";
    /* A job handed back by take-over keeps its instance: the claiming
     * server now holds it and resumes it. */
    static const char move_instances[] =
        "UPDATE instances SET server_id = ? WHERE job_id = ? AND status = 1";
    char *name = NULL;
    int rc = server_name(q, server_id, &name, err);
    if (rc) return rc;
    claim_pick *picks = NULL;
    size_t n_picks = 0;
    rc = pick_jobs(q, name, max, &picks, &n_picks, err);
    free(name);
    int64_t now = bt__sq_now(q);
    for (size_t i = 0; i < n_picks && !rc; i++) {
        sqlite3_stmt *st = bt__sq_stmt(q, take, err);
        if (!st) {
            rc = -BT_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, server_id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, picks[i].id);
        rc = bt__sq_exec_stmt(q, st, "claiming jobs", err);
        if (rc || !picks[i].taken_over) continue;
        if (!(st = bt__sq_stmt(q, move_instances, err))) {
            rc = -BT_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, server_id);
        sqlite3_bind_int64(st, 2, picks[i].id);
        rc = bt__sq_exec_stmt(q, st, "claiming jobs", err);
    }
    if (!rc && n_picks) {
        *jobs = bt_xcalloc(n_picks, sizeof **jobs);
        for (size_t i = 0; i < n_picks && !rc; i++) {
            rc = bt__sq_job_get(&q->base, picks[i].id, &(*jobs)[i], err);
            if (!rc) (*n)++;
        }
    }
    free(picks);
    return rc;
}

int bt__sq_job_claim(bt_store *s, int64_t server_id, size_t max,
                     bt_store_job **jobs, size_t *n, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    rc = claim_in_tx(q, server_id, max, jobs, n, err);
    if (!rc) rc = bt__sq_commit(q, err);
    else bt__sq_rollback(q);
    if (rc) {
        bt_store_job_list_free(*jobs, *n);
        *jobs = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- Status changes ------------------------------------------------- */

static int job_status_of(bt_sqlite *q, int64_t id, bt_job_status *st_out,
                         bt_error *err) {
    static const char sql[] = "SELECT status FROM jobs WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), out_rc = 0;
    if (rc == SQLITE_ROW) *st_out = (bt_job_status)sqlite3_column_int(st, 0);
    else if (rc == SQLITE_DONE)
        out_rc = bt_error_set(err, BT_ENOTFOUND,
                              "store: job %lld does not exist", (long long)id);
    else out_rc = bt__sq_fail(q, "reading a job", err);
    sqlite3_reset(st);
    return out_rc;
}

static bool transition_ok(bt_job_status from, bt_job_status to) {
    if (to == BT_JOB_RUNNING) return from == BT_JOB_PENDING;
    if (to == BT_JOB_CANCELED)
        return from == BT_JOB_PENDING || from == BT_JOB_RUNNING;
    return from == BT_JOB_RUNNING; /* completed, failed */
}

static int set_status_in_tx(bt_sqlite *q, int64_t id, bt_job_status to,
                            int64_t server_id, bt_error *err) {
    static const char run[] =
        "UPDATE jobs SET status = 1, server_id = ?, started_us = ? "
        "WHERE id = ?";
    /* The fence: a server ends only a job it still holds (one taken over
     * in the meantime belongs to another server now). */
    static const char end[] =
        "UPDATE jobs SET status = ?1, ended_us = ?2 WHERE id = ?3 AND "
        "(?4 = 0 OR (status = 1 AND server_id = ?4))";
    bt_job_status from = BT_JOB_PENDING; /* -O3 cannot see it is always set */
    int rc = job_status_of(q, id, &from, err);
    if (rc) return rc;
    if (!transition_ok(from, to))
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld is %s and cannot become %s",
                            (long long)id, bt_job_status_name(from),
                            bt_job_status_name(to));
    sqlite3_stmt *st;
    if (to == BT_JOB_RUNNING) {
        char *name = NULL;
        if ((rc = server_name(q, server_id, &name, err))) return rc;
        free(name);
        if (!(st = bt__sq_stmt(q, run, err))) return -BT_EIO;
        sqlite3_bind_int64(st, 1, server_id);
        sqlite3_bind_int64(st, 2, bt__sq_now(q));
        sqlite3_bind_int64(st, 3, id);
    } else {
        if (!(st = bt__sq_stmt(q, end, err))) return -BT_EIO;
        sqlite3_bind_int(st, 1, (int)to);
        sqlite3_bind_int64(st, 2, bt__sq_now(q));
        sqlite3_bind_int64(st, 3, id);
        sqlite3_bind_int64(st, 4, server_id > 0 ? server_id : 0);
        rc = bt__sq_exec_stmt(q, st, "changing a job's status", err);
        if (!rc && sqlite3_changes(q->db) == 0)
            return bt_error_set(err, BT_ESTATE,
                                "store: job %lld is not held by server %lld "
                                "(taken over?); its end is not recorded",
                                (long long)id, (long long)server_id);
        return rc;
    }
    return bt__sq_exec_stmt(q, st, "changing a job's status", err);
}

int bt__sq_job_set_status(bt_store *s, int64_t job_id, bt_job_status to,
                          int64_t server_id, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    if ((rc = set_status_in_tx(q, job_id, to, server_id, err))) {
        bt__sq_rollback(q);
        return rc;
    }
    return bt__sq_commit(q, err);
}

static int cancel_in_tx(bt_sqlite *q, int64_t id, bt_error *err) {
    static const char flag[] =
        "UPDATE jobs SET cancel_requested = 1 WHERE id = ?";
    bt_job_status from = BT_JOB_PENDING; /* -O3 cannot see it is always set */
    int rc = job_status_of(q, id, &from, err);
    if (rc) return rc;
    if (from == BT_JOB_PENDING)
        return set_status_in_tx(q, id, BT_JOB_CANCELED, 0, err);
    if (from != BT_JOB_RUNNING)
        return bt_error_set(err, BT_ESTATE,
                            "store: job %lld is already %s", (long long)id,
                            bt_job_status_name(from));
    sqlite3_stmt *st = bt__sq_stmt(q, flag, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, id);
    return bt__sq_exec_stmt(q, st, "canceling a job", err);
}

int bt__sq_job_request_cancel(bt_store *s, int64_t job_id, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    if ((rc = cancel_in_tx(q, job_id, err))) {
        bt__sq_rollback(q);
        return rc;
    }
    return bt__sq_commit(q, err);
}

int bt__sq_job_list(bt_store *s, const bt_store_job_filter *f,
                    bt_store_job **items, size_t *n, int64_t *next,
                    bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char oldest[] =
        "SELECT " JOB_COLS " FROM jobs WHERE (?1 OR status = ?2) "
        "AND (?3 = 0 OR runbook_id = ?3) AND (?4 = 0 OR server_id = ?4) "
        "AND id > ?5 ORDER BY id LIMIT ?6";
    static const char newest[] =
        "SELECT " JOB_COLS " FROM jobs WHERE (?1 OR status = ?2) "
        "AND (?3 = 0 OR runbook_id = ?3) AND (?4 = 0 OR server_id = ?4) "
        "AND (?5 = 0 OR id < ?5) ORDER BY id DESC LIMIT ?6";
    sqlite3_stmt *st = bt__sq_stmt(q, f->newest_first ? newest : oldest, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int(st, 1, f->any_status);
    sqlite3_bind_int(st, 2, (int)f->status);
    sqlite3_bind_int64(st, 3, f->runbook_id);
    sqlite3_bind_int64(st, 4, f->server_id);
    sqlite3_bind_int64(st, 5, f->newest_first ? f->before_id : f->after_id);
    sqlite3_bind_int64(st, 6, (int64_t)f->limit + 1); /* one more: a next page? */
    size_t cap = 0;
    bool *has_targets = NULL;
    size_t cap2 = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == f->limit) {
            *next = (*items)[*n - 1].id;
            break;
        }
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        has_targets = bt__sq_grow(has_targets, *n, &cap2, sizeof *has_targets);
        read_job(st, &(*items)[*n], &has_targets[*n]);
        (*n)++;
    }
    sqlite3_reset(st);
    int out_rc = rc == SQLITE_DONE || rc == SQLITE_ROW
                     ? 0
                     : bt__sq_fail(q, "listing jobs", err);
    for (size_t i = 0; i < *n && !out_rc; i++)
        if (has_targets[i]) out_rc = read_targets(q, &(*items)[i], err);
    free(has_targets);
    if (out_rc) {
        bt_store_job_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        *next = 0;
    }
    return out_rc;
}

/* ---- Runbook servers ------------------------------------------------ */

static int64_t lease_end(bt_sqlite *q, uint64_t lease_ms) {
    uint64_t cap = (uint64_t)INT64_MAX / 2000;
    return bt__sq_now(q) + (int64_t)(lease_ms > cap ? cap : lease_ms) * 1000;
}

int bt__sq_server_register(bt_store *s, const char *name, const char *version,
                           uint64_t lease_ms, int64_t *out_id, bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "INSERT INTO servers(guid, name, version, registered_us, "
        "heartbeat_us, lease_expires_us) VALUES (?1, ?2, ?3, ?4, ?4, ?5) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
        "registered_us = excluded.registered_us, heartbeat_us = "
        "excluded.heartbeat_us, lease_expires_us = excluded.lease_expires_us "
        "RETURNING id";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    bt__sq_bind_text(st, 1, guid);
    bt__sq_bind_text(st, 2, name);
    bt__sq_bind_text(st, 3, version);
    sqlite3_bind_int64(st, 4, bt__sq_now(q));
    sqlite3_bind_int64(st, 5, lease_end(q, lease_ms));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out_id = sqlite3_column_int64(st, 0);
    /* RETURNING rows are all computed by the first step; finish it. */
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_DONE
                     ? 0
                     : bt__sq_fail(q, "registering a runbook server", err);
    sqlite3_reset(st);
    return out_rc;
}

int bt__sq_server_heartbeat(bt_store *s, int64_t server_id, uint64_t lease_ms,
                            bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] = "UPDATE servers SET heartbeat_us = ?, "
                              "lease_expires_us = ? WHERE id = ?";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, bt__sq_now(q));
    sqlite3_bind_int64(st, 2, lease_end(q, lease_ms));
    sqlite3_bind_int64(st, 3, server_id);
    int rc = bt__sq_exec_stmt(q, st, "recording a heartbeat", err);
    if (!rc && sqlite3_changes(q->db) == 0)
        return bt_error_set(err, BT_ENOTFOUND,
                            "store: runbook server %lld is not registered",
                            (long long)server_id);
    return rc;
}

int bt__sq_server_list(bt_store *s, bt_store_server **items, size_t *n,
                       bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    static const char sql[] =
        "SELECT id, guid, name, version, registered_us, heartbeat_us, "
        "lease_expires_us, lease_expires_us > ?, throttle, draining "
        "FROM servers ORDER BY name";
    sqlite3_stmt *st = bt__sq_stmt(q, sql, err);
    if (!st) return -BT_EIO;
    sqlite3_bind_int64(st, 1, bt__sq_now(q));
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *items = bt__sq_grow(*items, *n, &cap, sizeof **items);
        bt_store_server *sv = &(*items)[(*n)++];
        sv->id = sqlite3_column_int64(st, 0);
        bt__sq_guid(st, 1, sv->guid);
        sv->name = bt__sq_text0(st, 2);
        sv->version = bt__sq_text0(st, 3);
        sv->registered_us = sqlite3_column_int64(st, 4);
        sv->heartbeat_us = sqlite3_column_int64(st, 5);
        sv->lease_expires_us = sqlite3_column_int64(st, 6);
        sv->up = sqlite3_column_int(st, 7) != 0;
        sv->throttle = sqlite3_column_int(st, 8);
        sv->draining = sqlite3_column_int(st, 9) != 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        bt_store_server_list_free(*items, *n);
        *items = NULL;
        *n = 0;
        return bt__sq_fail(q, "listing runbook servers", err);
    }
    return 0;
}

typedef struct lapsed_job {
    int64_t id;
    bool cancel_requested;
    char *server;
} lapsed_job;

static int takeover_in_tx(bt_sqlite *q, int64_t **ids, size_t *n,
                          bt_error *err) {
    static const char find[] =
        "SELECT j.id, j.cancel_requested, s.name FROM servers s "
        "JOIN jobs j ON j.server_id = s.id AND j.status = 1 "
        "WHERE s.lease_expires_us <= ? ORDER BY j.id";
    /* A job whose cancel was requested is not worth resuming. */
    static const char hand_back[] =
        "UPDATE jobs SET status = CASE cancel_requested WHEN 0 THEN 0 ELSE 4 "
        "END, ended_us = CASE cancel_requested WHEN 0 THEN 0 ELSE ?2 END, "
        "server_id = CASE cancel_requested WHEN 0 THEN NULL ELSE server_id "
        "END, takeovers = takeovers + 1 WHERE id = ?1";
    static const char cancel_instances[] =
        "UPDATE instances SET status = 4, ended_us = ?2, result = (SELECT "
        "coalesce(max(result), 0) FROM activity_instances a WHERE "
        "a.instance_id = instances.id) WHERE job_id = ?1 AND status = 1";
    sqlite3_stmt *st = bt__sq_stmt(q, find, err);
    if (!st) return -BT_EIO;
    int64_t now = bt__sq_now(q);
    sqlite3_bind_int64(st, 1, now);
    lapsed_job *jobs = NULL;
    size_t n_jobs = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        jobs = bt__sq_grow(jobs, n_jobs, &cap, sizeof *jobs);
        jobs[n_jobs].id = sqlite3_column_int64(st, 0);
        jobs[n_jobs].cancel_requested = sqlite3_column_int(st, 1) != 0;
        jobs[n_jobs++].server = bt__sq_text0(st, 2);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? 0 : bt__sq_fail(q, "finding lapsed jobs", err);
    for (size_t i = 0; i < n_jobs && !rc; i++) {
        if (!(st = bt__sq_stmt(q, hand_back, err))) {
            rc = -BT_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, jobs[i].id);
        sqlite3_bind_int64(st, 2, now);
        rc = bt__sq_exec_stmt(q, st, "handing a job back", err);
        /* Nobody resumes a canceled job: its unfinished instance ends
         * canceled too, with the worst result committed so far. */
        if (!rc && jobs[i].cancel_requested) {
            if (!(st = bt__sq_stmt(q, cancel_instances, err))) {
                rc = -BT_EIO;
                break;
            }
            sqlite3_bind_int64(st, 1, jobs[i].id);
            sqlite3_bind_int64(st, 2, now);
            rc = bt__sq_exec_stmt(q, st, "canceling a job's instance", err);
        }
        if (rc) break;
        char *msg = bt_xasprintf(
            jobs[i].cancel_requested
                ? "runbook server '%s' stopped heartbeating while job %lld "
                  "was being canceled; the job is marked canceled"
                : "runbook server '%s' stopped heartbeating; job %lld is "
                  "handed back to be resumed by the next server",
            jobs[i].server, (long long)jobs[i].id);
        rc = bt__sq_event_insert(q, BT_SEVERITY_WARNING, jobs[i].server, msg,
                                 jobs[i].id, err);
        free(msg);
    }
    if (!rc && n_jobs) {
        *ids = bt_xcalloc(n_jobs, sizeof **ids);
        for (size_t i = 0; i < n_jobs; i++) (*ids)[i] = jobs[i].id;
        *n = n_jobs;
    }
    for (size_t i = 0; i < n_jobs; i++) free(jobs[i].server);
    free(jobs);
    return rc;
}

int bt__sq_server_takeover(bt_store *s, int64_t **ids, size_t *n,
                           bt_error *err) {
    bt_sqlite *q = bt__sq(s);
    int rc = bt__sq_begin(q, err);
    if (rc) return rc;
    rc = takeover_in_tx(q, ids, n, err);
    if (!rc) rc = bt__sq_commit(q, err);
    else bt__sq_rollback(q);
    if (rc) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}
