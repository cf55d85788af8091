/* The orchestration store against a real SQLite file in a temp dir: every
 * operation, the claim under contention (two handles, two processes),
 * per-runbook limits, lease take-over, atomic activity commits, SIGKILL
 * durability, bad files and schema versions.
 *
 * With BATON_TEST_STORE_URL=postgresql://... (scripts/pg-throwaway.sh run,
 * CTest's unit.test_store_pg) the same tests run against PostgreSQL, each
 * in a database of its own created from that URL's and dropped after; the
 * tests of SQLite's files (corruption, a missing directory, a full disk)
 * are skipped there, and PostgreSQL's own refusals are tested instead. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "store/store.h"

typedef struct fixture {
    char *dir;
    char *path;
    char *url;
    char *raw; /* what raw_count/raw_exec open: the file, or the pg URL */
    char *pg_db; /* PostgreSQL: this test's database, dropped by teardown */
    bt_store *s;
    uint64_t now; /* the store's clock while clock_on */
} fixture;

static uint64_t fixed_clock(void *ud) { return ((fixture *)ud)->now; }

static bt_store *open_or_fail(const char *url) {
    bt_store *s = NULL;
    bt_error err = {0};
    int rc = bt_store_open(url, &s, &err);
    if (rc) fail_msg("open %s: %s", url, err.message);
    return s;
}

/* The PostgreSQL server under test, or NULL: test against SQLite. */
static const char *pg_base(void) {
    const char *u = getenv("BATON_TEST_STORE_URL");
    return u && *u ? u : NULL;
}

#define PG_ONLY_SQLITE()                                                      \
    do {                                                                      \
        if (pg_base()) skip(); /* about SQLite's files */                    \
    } while (0)

/* base with its database replaced by db (query string kept). */
static char *url_with_db(const char *base, const char *db) {
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    const char *slash = strchr(host, '/');
    const char *query = strchr(host, '?');
    if (!slash || (query && query < slash)) slash = query;
    size_t head = slash ? (size_t)(slash - base) : strlen(base);
    return bt_xasprintf("%.*s/%s%s", (int)head, base, db, query ? query : "");
}

static void pg_admin(const char *sql) {
    PGconn *c = PQconnectdb(pg_base());
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("admin connection: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK &&
        PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* A new empty database; returns its URL, its name in *name. */
static char *pg_create_db(char **name) {
    char guid[BT_GUID_LEN];
    bt_store_guid(guid);
    *name = bt_xasprintf("bt_%.8s%.4s", guid, guid + 9);
    char *sql = bt_xasprintf("CREATE DATABASE %s", *name);
    pg_admin(sql);
    free(sql);
    return url_with_db(pg_base(), *name);
}

static void pg_drop_db(const char *name) {
    char *sql = bt_xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    pg_admin(sql);
    free(sql);
}

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    f->path = bt_harness_path(f->dir, "baton.db");
    if (pg_base()) {
        f->url = pg_create_db(&f->pg_db);
        f->raw = bt_xstrdup(f->url);
    } else {
        f->url = bt_xasprintf("sqlite:%s", f->path);
        f->raw = bt_xstrdup(f->path);
    }
    f->s = open_or_fail(f->url);
    f->now = 1000000000000000ull; /* 2001-09-09 */
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_store_close(f->s);
    if (f->pg_db) pg_drop_db(f->pg_db);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->path);
    free(f->url);
    free(f->raw);
    free(f->pg_db);
    free(f);
    return 0;
}

static void use_clock(fixture *f, bt_store *s) {
    bt_store_set_clock(s, fixed_clock, f);
}

#define OK(call)                                                              \
    do {                                                                      \
        bt_error e_ = {0};                                                    \
        int rc_ = (call);                                                     \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);               \
    } while (0)
/* `call` must pass &e_ as its error argument for OK to print it. */

/* Straight to the database, behind the store's back: path is an SQLite
 * file or a postgresql:// URL. */
static int64_t raw_count(const char *path, const char *sql) {
    if (!strncmp(path, "postgresql://", 13)) {
        PGconn *c = PQconnectdb(path);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return n;
    }
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void raw_exec(const char *path, const char *sql) {
    if (!strncmp(path, "postgresql://", 13)) {
        PGconn *c = PQconnectdb(path);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return;
    }
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A runbook with one version in "/Ops"; returns its id. */
static int64_t make_runbook(bt_store *s, const char *name) {
    bt_store_folder fo = {0};
    bt_error err = {0};
    int rc = bt_store_folder_get(s, "/Ops", &fo, &err);
    if (rc == -BT_ENOTFOUND) OK(bt_store_folder_create(s, "/Ops", &fo, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(s, fo.id, name, "test runbook", &rb, &e_));
    int v = 0;
    OK(bt_store_version_add(s, rb.id, "name: x\n", "tester", "first", &v,
                            &e_));
    assert_int_equal(v, 1);
    int64_t id = rb.id;
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
    return id;
}

static int64_t make_job(bt_store *s, int64_t runbook_id) {
    bt_store_job j = {0};
    bt_store_job_spec spec = {.runbook_id = runbook_id, .created_by = "tester"};
    OK(bt_store_job_create(s, &spec, &j, &e_));
    int64_t id = j.id;
    bt_store_job_clear(&j);
    return id;
}

static int64_t make_server(bt_store *s, const char *name) {
    int64_t id = 0;
    OK(bt_store_server_register(s, name, "0.1.0", 60000, &id, &e_));
    return id;
}

/* ---- Opening, migrations, bad files --------------------------------- */

static void test_open_is_idempotent(void **state) {
    fixture *f = *state;
    int v = 0;
    OK(bt_store_schema_version(f->s, &v, &e_));
    assert_int_equal(v, 5);
    assert_string_equal(bt_store_backend(f->s),
                        pg_base() ? "postgresql" : "sqlite");
    bt_store_close(f->s);
    /* A plain path works too. */
    f->s = open_or_fail(pg_base() ? f->url : f->path);
    OK(bt_store_schema_version(f->s, &v, &e_));
    assert_int_equal(v, 5);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM schema_migrations"),
                     5);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM folders"), 1);
    if (!pg_base())
        assert_int_equal(raw_count(f->raw, "SELECT journal_mode = 'wal' FROM "
                                           "pragma_journal_mode"),
                         1);
    bt_store_folder root = {0};
    OK(bt_store_folder_get(f->s, "/", &root, &e_));
    assert_string_equal(root.path, "/");
    assert_int_equal(strlen(root.guid), 36);
    assert_int_equal(root.guid[14], '4');
    bt_store_folder_clear(&root);
}

/* Several processes creating the same fresh database at once: one applies
 * the migrations, the others find them applied; nobody fails. */
static void test_concurrent_first_open(void **state) {
    fixture *f = *state;
    char *fresh_db = NULL;
    char *fresh = pg_base() ? pg_create_db(&fresh_db)
                            : bt_harness_path(f->dir, "fresh.db");
    int go[2];
    assert_int_equal(pipe(go), 0);
    enum { KIDS = 4 };
    pid_t pids[KIDS];
    for (int i = 0; i < KIDS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) != 0) _exit(3); /* wait for the close */
            bt_store *s = NULL;
            bt_error err = {0};
            if (bt_store_open(fresh, &s, &err)) {
                fprintf(stderr, "child: %s\n", err.message);
                _exit(2);
            }
            bt_store_close(s);
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]); /* releases every child at once */
    for (int i = 0; i < KIDS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(raw_count(fresh, "SELECT count(*) FROM schema_migrations"),
                     5);
    assert_int_equal(raw_count(fresh, "SELECT count(*) FROM folders"), 1);
    if (fresh_db) pg_drop_db(fresh_db);
    free(fresh_db);
    free(fresh);
}

static void test_newer_schema_refused(void **state) {
    fixture *f = *state;
    bt_store_close(f->s);
    f->s = NULL;
    raw_exec(f->raw, "INSERT INTO schema_migrations VALUES (999, 'future', 0)");
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(f->url, &s, &err), -BT_ESTATE);
    assert_null(s);
    assert_non_null(strstr(err.message, "schema version 999"));
    assert_non_null(strstr(err.message, "newer than this Baton supports"));
}

/* PostgreSQL: a database with tables that are not Baton's is refused, not
 * adopted (the counterpart of a foreign SQLite file). */
static void test_foreign_database(void **state) {
    fixture *f = *state;
    if (!pg_base()) skip();
    char *name = NULL;
    char *url = pg_create_db(&name);
    raw_exec(url, "CREATE TABLE customers(id integer)");
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(url, &s, &err), -BT_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.message, "not a Baton one"));
    assert_non_null(strstr(err.message, name));
    pg_drop_db(name);
    /* A database that does not exist is named as such. */
    assert_int_equal(bt_store_open(url, &s, &err), -BT_ENOTFOUND);
    assert_non_null(strstr(err.message, "cannot connect to PostgreSQL at "));
    assert_non_null(strstr(err.message, "does not exist"));
    (void)f;
    free(name);
    free(url);
}

static void test_corrupt_file(void **state) {
    fixture *f = *state;
    PG_ONLY_SQLITE();
    char *bad = bt_harness_path(f->dir, "garbage.db");
    int fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 7 + 13);
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(bad, &s, &err), -BT_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.message, "is not an SQLite database or is "
                                        "corrupt"));
    assert_non_null(strstr(err.message, bad));

    /* A real SQLite database that is not Baton's is refused, not adopted. */
    char *other = bt_harness_path(f->dir, "other.db");
    raw_exec(other, "CREATE TABLE customers(id INTEGER)");
    assert_int_equal(bt_store_open(other, &s, &err), -BT_EINVAL);
    assert_non_null(strstr(err.message, "not a Baton one"));

    /* A Baton database whose pages were overwritten fails on use, with an
     * error rather than a crash. */
    bt_store_close(f->s);
    f->s = NULL;
    fd = open(f->path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, junk, 4096, 4096), 4096);
    close(fd);
    char *wal = bt_xasprintf("%s-wal", f->path);
    unlink(wal);
    free(wal);
    int rc = bt_store_open(f->url, &s, &err);
    if (rc == 0) {
        bt_store_folder fo = {0};
        rc = bt_store_folder_create(s, "/After/Corruption", &fo, &err);
        bt_store_folder_clear(&fo);
        bt_store_close(s);
    }
    assert_int_not_equal(rc, 0);
    assert_true(err.message[0] != '\0');
    free(bad);
    free(other);
}

static void test_missing_directory(void **state) {
    fixture *f = *state;
    PG_ONLY_SQLITE();
    char *url = bt_xasprintf("sqlite:%s/no/such/dir/baton.db", f->dir);
    bt_store *s = NULL;
    bt_error err = {0};
    assert_int_equal(bt_store_open(url, &s, &err), -BT_ENOTFOUND);
    assert_null(s);
    assert_non_null(strstr(err.message, "/no/such/dir'"));
    assert_non_null(strstr(err.message, "No such file or directory"));
    free(url);
}

static void test_bad_urls(void **state) {
    fixture *f = *state;
    bt_store *s = NULL;
    bt_error err = {0};
    /* Nothing listens on port 1: the error says where and why. */
    assert_int_equal(bt_store_open("postgresql://baton:secret@127.0.0.1:1/"
                                   "baton",
                                   &s, &err),
                     -BT_EIO);
    assert_null(s);
    assert_non_null(strstr(err.message, "cannot connect to PostgreSQL at "
                                        "127.0.0.1:1/baton: "));
    assert_non_null(strstr(err.message, "Connection refused"));
    assert_null(strstr(err.message, "secret")); /* never the password */
    assert_int_equal(bt_store_open("postgresql://127.0.0.1/x?no_such_option=1",
                                   &s, &err),
                     -BT_EINVAL);
    assert_non_null(strstr(err.message, "no_such_option"));
    assert_int_equal(bt_store_open("mysql://x", &s, &err), -BT_EINVAL);
    assert_int_equal(bt_store_open("sqlite:", &s, &err), -BT_EINVAL);
    char *url = bt_xasprintf("sqlite:%s?sync=sometimes", f->path);
    assert_int_equal(bt_store_open(url, &s, &err), -BT_EINVAL);
    assert_non_null(strstr(err.message, "sync=sometimes"));
    free(url);
    url = bt_xasprintf("sqlite:%s?sync=normal&busy_timeout=500", f->path);
    s = open_or_fail(url);
    bt_store_close(s);
    free(url);
}

/* ---- Folders, runbooks, versions ------------------------------------ */

static void test_folders(void **state) {
    fixture *f = *state;
    bt_store_folder web = {0}, ops = {0};
    OK(bt_store_folder_create(f->s, "/Operations/Web", &web, &e_));
    assert_string_equal(web.path, "/Operations/Web");
    assert_string_equal(web.name, "Web");
    OK(bt_store_folder_get(f->s, "/Operations", &ops, &e_));
    assert_int_equal(web.parent_id, ops.id);
    OK(bt_store_folder_create(f->s, "/Operations/Db/", NULL, &e_));
    bt_store_folder *kids = NULL;
    size_t n = 0;
    OK(bt_store_folder_list(f->s, ops.id, &kids, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(kids[0].name, "Db");
    assert_string_equal(kids[1].name, "Web");
    bt_store_folder_list_free(kids, n);
    bt_store_folder byid = {0};
    OK(bt_store_folder_get_id(f->s, web.id, &byid, &e_));
    assert_string_equal(byid.guid, web.guid);
    bt_store_folder_clear(&byid);

    bt_error err = {0};
    assert_int_equal(bt_store_folder_create(f->s, "/Operations/Web", NULL, &err),
                     -BT_EEXIST);
    assert_non_null(strstr(err.message, "'/Operations/Web' already exists"));
    assert_int_equal(bt_store_folder_create(f->s, "relative", NULL, &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_folder_create(f->s, "/a//b", NULL, &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_folder_create(f->s, "/a/../b", NULL, &err),
                     -BT_EINVAL);
    /* A refused path leaves no half-created parents. */
    assert_int_equal(bt_store_folder_get(f->s, "/a", &byid, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_folder_get_id(f->s, 9999, &byid, &err),
                     -BT_ENOTFOUND);
    bt_store_folder_clear(&web);
    bt_store_folder_clear(&ops);
}

/* Processes creating siblings under the same new parents at once: every
 * one succeeds, and each parent exists once. */
static void test_folders_concurrent(void **state) {
    fixture *f = *state;
    enum { KIDS = 4, ROUNDS = 10 };
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            close(go[1]);
            bt_store *s = NULL;
            bt_error err = {0};
            if (bt_store_open(f->url, &s, &err)) _exit(2);
            char c;
            if (read(go[0], &c, 1) != 0) _exit(3);
            for (int r = 0; r < ROUNDS; r++) {
                char path[64];
                snprintf(path, sizeof path, "/Shared%d/Deep/K%d", r, k);
                if (bt_store_folder_create(s, path, NULL, &err)) {
                    fprintf(stderr, "child %d: %s\n", k, err.message);
                    _exit(4);
                }
            }
            bt_store_close(s);
            _exit(0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int k = 0; k < KIDS; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM folders"),
                     1 + ROUNDS * (2 + KIDS));
}

static void test_runbooks_and_versions(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    bt_store_folder fo = {0};
    OK(bt_store_folder_create(f->s, "/Ops", &fo, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, fo.id, "Restart", "restarts", &rb, &e_));
    assert_string_equal(rb.path, "/Ops/Restart");
    assert_int_equal(rb.latest_version, 0);
    assert_int_equal(rb.max_concurrent, 0);
    assert_int_equal(strlen(rb.guid), 36);
    assert_int_equal(bt_store_runbook_create(f->s, fo.id, "Restart", NULL,
                                             NULL, &err),
                     -BT_EEXIST);
    assert_int_equal(bt_store_runbook_create(f->s, 777, "X", NULL, NULL, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_runbook_create(f->s, fo.id, "a/b", NULL, NULL,
                                             &err),
                     -BT_EINVAL);
    bt_store_runbook at_root = {0};
    OK(bt_store_runbook_create(f->s, fo.parent_id, "Top", NULL, &at_root, &e_));
    assert_string_equal(at_root.path, "/Top");
    bt_store_runbook_clear(&at_root);

    int v = 0;
    bt_store_version ver = {0};
    assert_int_equal(bt_store_version_get(f->s, rb.id, 0, &ver, &err),
                     -BT_ENOTFOUND);
    OK(bt_store_version_add(f->s, rb.id, "name: Restart\n", "alice", "first",
                            &v, &e_));
    assert_int_equal(v, 1);
    OK(bt_store_version_add(f->s, rb.id, "name: Restart\n# v2\n", "bob",
                            "second", &v, &e_));
    assert_int_equal(v, 2);
    OK(bt_store_version_get(f->s, rb.id, 0, &ver, &e_));
    assert_int_equal(ver.version, 2);
    assert_string_equal(ver.author, "bob");
    assert_string_equal(ver.yaml, "name: Restart\n# v2\n");
    bt_store_version_clear(&ver);
    OK(bt_store_version_get(f->s, rb.id, 1, &ver, &e_));
    assert_string_equal(ver.comment, "first");
    bt_store_version_clear(&ver);
    assert_int_equal(bt_store_version_get(f->s, rb.id, 3, &ver, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_version_add(f->s, 4242, "x", "a", "", &v, &err),
                     -BT_ENOTFOUND);
    bt_store_version *vs = NULL;
    size_t n = 0;
    OK(bt_store_version_list(f->s, rb.id, &vs, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(vs[0].version, 2);
    assert_null(vs[0].yaml);
    bt_store_version_list_free(vs, n);

    const char *servers[] = {"rs1", "rs2"};
    bt_store_runbook_settings set = {.max_concurrent = 3,
                                     .preferred_servers = servers,
                                     .n_preferred = 2};
    OK(bt_store_runbook_set_settings(f->s, rb.id, &set, &e_));
    bt_store_runbook got = {0};
    OK(bt_store_runbook_find(f->s, fo.id, "Restart", &got, &e_));
    assert_int_equal(got.max_concurrent, 3);
    assert_int_equal(got.latest_version, 2);
    assert_int_equal(got.n_preferred, 2);
    assert_string_equal(got.preferred_servers[1], "rs2");
    bt_store_runbook_clear(&got);
    set.n_preferred = 1;
    set.max_concurrent = 0;
    OK(bt_store_runbook_set_settings(f->s, rb.id, &set, &e_));
    OK(bt_store_runbook_get(f->s, rb.id, &got, &e_));
    assert_int_equal(got.n_preferred, 1);
    assert_int_equal(got.max_concurrent, 0);
    bt_store_runbook_clear(&got);
    const char *dup[] = {"rs1", "rs1"};
    bt_store_runbook_settings bad = {.preferred_servers = dup, .n_preferred = 2};
    assert_int_equal(bt_store_runbook_set_settings(f->s, rb.id, &bad, &err),
                     -BT_EINVAL);
    bad = (bt_store_runbook_settings){.max_concurrent = -1};
    assert_int_equal(bt_store_runbook_set_settings(f->s, rb.id, &bad, &err),
                     -BT_EINVAL);

    bt_store_runbook *all = NULL;
    OK(bt_store_runbook_list(f->s, 0, &all, &n, &e_));
    assert_int_equal(n, 2);
    bt_store_runbook_list_free(all, n);
    OK(bt_store_runbook_list(f->s, fo.id, &all, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(all[0].name, "Restart");
    bt_store_runbook_list_free(all, n);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
}

/* ---- Jobs ----------------------------------------------------------- */

static void test_job_lifecycle(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    bt_store_folder fo = {0};
    OK(bt_store_folder_create(f->s, "/Ops", &fo, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, fo.id, "Empty", NULL, &rb, &e_));
    bt_store_job_spec spec = {.runbook_id = rb.id, .created_by = "alice"};
    assert_int_equal(bt_store_job_create(f->s, &spec, NULL, &err), -BT_ESTATE);
    assert_non_null(strstr(err.message, "no version checked in"));
    int64_t rid = make_runbook(f->s, "Restart");
    spec.runbook_id = rid;
    spec.parameters = "{\"host\": \"web01\"";
    assert_int_equal(bt_store_job_create(f->s, &spec, NULL, &err), -BT_ESYNTAX);
    assert_non_null(strstr(err.message, "job parameters"));
    spec.parameters = "[1]";
    assert_int_equal(bt_store_job_create(f->s, &spec, NULL, &err), -BT_EINVAL);
    spec.runbook_version = 9;
    spec.parameters = NULL;
    assert_int_equal(bt_store_job_create(f->s, &spec, NULL, &err),
                     -BT_ENOTFOUND);
    spec.runbook_version = 0;
    spec.parameters = "{\"host\": \"web01\"}";
    bt_store_job j = {0};
    OK(bt_store_job_create(f->s, &spec, &j, &e_));
    assert_int_equal(j.status, BT_JOB_PENDING);
    assert_int_equal(j.runbook_version, 1);
    assert_string_equal(j.parameters, "{\"host\": \"web01\"}");
    assert_string_equal(j.created_by, "alice");
    assert_int_equal(j.server_id, 0);
    assert_int_equal(strlen(j.guid), 36);

    /* Illegal moves are refused with the current state named. */
    assert_int_equal(bt_store_job_set_status(f->s, j.id, BT_JOB_COMPLETED, 0,
                                             &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "is pending and cannot become "
                                        "completed"));
    int64_t srv = make_server(f->s, "rs1");
    OK(bt_store_job_set_status(f->s, j.id, BT_JOB_RUNNING, srv, &e_));
    OK(bt_store_job_set_status(f->s, j.id, BT_JOB_COMPLETED, 0, &e_));
    bt_store_job got = {0};
    OK(bt_store_job_get(f->s, j.id, &got, &e_));
    assert_int_equal(got.status, BT_JOB_COMPLETED);
    assert_int_equal(got.server_id, srv);
    assert_true(got.started_us > 0 && got.ended_us >= got.started_us);
    bt_store_job_clear(&got);
    assert_int_equal(bt_store_job_request_cancel(f->s, j.id, &err),
                     -BT_ESTATE);
    assert_int_equal(bt_store_job_get(f->s, 31337, &got, &err), -BT_ENOTFOUND);

    /* Cancel: pending jobs end at once, running ones get the flag. */
    int64_t p = make_job(f->s, rid), r = make_job(f->s, rid);
    OK(bt_store_job_request_cancel(f->s, p, &e_));
    OK(bt_store_job_set_status(f->s, r, BT_JOB_RUNNING, srv, &e_));
    OK(bt_store_job_request_cancel(f->s, r, &e_));
    OK(bt_store_job_get(f->s, p, &got, &e_));
    assert_int_equal(got.status, BT_JOB_CANCELED);
    bt_store_job_clear(&got);
    OK(bt_store_job_get(f->s, r, &got, &e_));
    assert_int_equal(got.status, BT_JOB_RUNNING);
    assert_true(got.cancel_requested);
    bt_store_job_clear(&got);

    /* Targets are kept in order. */
    const char *targets[] = {"rs2", "rs1"};
    spec.targets = targets;
    spec.n_targets = 2;
    bt_store_job t = {0};
    OK(bt_store_job_create(f->s, &spec, &t, &e_));
    assert_int_equal(t.n_targets, 2);
    assert_string_equal(t.targets[0], "rs2");
    bt_store_job_clear(&t);

    assert_string_equal(bt_job_status_name(BT_JOB_CANCELED), "canceled");
    bt_job_status parsed;
    assert_int_equal(bt_job_status_parse("running", &parsed), 0);
    assert_int_equal(parsed, BT_JOB_RUNNING);
    assert_int_equal(bt_job_status_parse("done", &parsed), -BT_EINVAL);
    bt_store_job_clear(&j);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
}

static void test_job_list_paging(void **state) {
    fixture *f = *state;
    int64_t a = make_runbook(f->s, "A"), b = make_runbook(f->s, "B");
    for (int i = 0; i < 25; i++) make_job(f->s, a);
    for (int i = 0; i < 4; i++) make_job(f->s, b);
    bt_store_job_filter filt = {.any_status = true, .runbook_id = a,
                                .limit = 10};
    size_t total = 0, pages = 0;
    int64_t last = 0;
    do {
        bt_store_job *items = NULL;
        size_t n = 0;
        int64_t next = 0;
        OK(bt_store_job_list(f->s, &filt, &items, &n, &next, &e_));
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(items[i].runbook_id, a);
            assert_true(items[i].id > last);
            last = items[i].id;
        }
        total += n;
        pages++;
        bt_store_job_list_free(items, n);
        filt.after_id = next;
    } while (filt.after_id);
    assert_int_equal(total, 25);
    assert_int_equal(pages, 3);

    int64_t srv = make_server(f->s, "rs1");
    bt_store_job *claimed = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, srv, 3, &claimed, &n, &e_));
    assert_int_equal(n, 3);
    bt_store_job_list_free(claimed, n);
    filt = (bt_store_job_filter){.status = BT_JOB_RUNNING};
    bt_store_job *items = NULL;
    int64_t next = 0;
    OK(bt_store_job_list(f->s, &filt, &items, &n, &next, &e_));
    assert_int_equal(n, 3);
    assert_int_equal(next, 0);
    bt_store_job_list_free(items, n);
    filt = (bt_store_job_filter){.status = BT_JOB_PENDING, .runbook_id = b};
    OK(bt_store_job_list(f->s, &filt, &items, &n, &next, &e_));
    assert_int_equal(n, 4);
    bt_store_job_list_free(items, n);

    /* Newest first, paged with before_id: the latest jobs of `baton jobs`. */
    filt = (bt_store_job_filter){.any_status = true, .runbook_id = a,
                                 .limit = 10, .newest_first = true};
    total = pages = 0;
    last = INT64_MAX;
    do {
        OK(bt_store_job_list(f->s, &filt, &items, &n, &next, &e_));
        for (size_t i = 0; i < n; i++) {
            assert_true(items[i].id < last);
            last = items[i].id;
        }
        total += n;
        pages++;
        bt_store_job_list_free(items, n);
        filt.before_id = next;
    } while (filt.before_id);
    assert_int_equal(total, 25);
    assert_int_equal(pages, 3);

    /* Counts by status, for one runbook and for all. */
    uint64_t counts[5];
    OK(bt_store_job_counts(f->s, a, counts, &e_));
    assert_int_equal(counts[BT_JOB_PENDING], 22);
    assert_int_equal(counts[BT_JOB_RUNNING], 3);
    assert_int_equal(counts[BT_JOB_COMPLETED], 0);
    OK(bt_store_job_counts(f->s, 0, counts, &e_));
    assert_int_equal(counts[BT_JOB_PENDING], 26);
    OK(bt_store_job_counts(f->s, 9999, counts, &e_));
    assert_int_equal(counts[BT_JOB_PENDING], 0);

    /* GUID lookups of a job and of an instance. */
    bt_store_job j = {0}, byguid = {0};
    OK(bt_store_job_get(f->s, last, &j, &e_));
    OK(bt_store_job_get_guid(f->s, j.guid, &byguid, &e_));
    assert_int_equal(byguid.id, last);
    bt_store_job_clear(&byguid);
    bt_store_job_clear(&j);
    bt_error err = {0};
    assert_int_equal(bt_store_job_get_guid(f->s, "x", &byguid, &err),
                     -BT_EINVAL);
}

static int by_guid(const void *x, const void *y) {
    return strcmp(((const bt_store_job *)x)->guid,
                  ((const bt_store_job *)y)->guid);
}

/* The feed query: GUID order (the same text order on both backends),
 * creation order with GUID ties, filters, the runbook list, the window,
 * and the count that ignores the window. */
static void test_job_select(void **state) {
    fixture *f = *state;
    use_clock(f, f->s);
    int64_t a = make_runbook(f->s, "A"), b = make_runbook(f->s, "B");
    for (int i = 0; i < 12; i++) {
        f->now += i % 3 == 0 ? 1000000 : 0; /* three jobs per instant */
        make_job(f->s, i < 8 ? a : b);
    }
    bt_store_job *all = NULL;
    size_t n_all = 0;
    int64_t next = 0;
    bt_store_job_filter lf = {.any_status = true, .limit = 100};
    OK(bt_store_job_list(f->s, &lf, &all, &n_all, &next, &e_));
    assert_int_equal(n_all, 12);
    OK(bt_store_job_set_status(f->s, all[0].id, BT_JOB_CANCELED, 0, &e_));
    OK(bt_store_job_set_status(f->s, all[5].id, BT_JOB_CANCELED, 0, &e_));
    int64_t t_first = all[0].created_us, t_last = all[11].created_us;
    qsort(all, n_all, sizeof *all, by_guid);

    bt_store_job *ids = NULL;
    size_t n = 0;
    bt_store_job_query q = {.any_status = true, .order = BT_JOB_BY_GUID};
    OK(bt_store_job_select(f->s, &q, &ids, &n, &e_));
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i].id, all[i].id);
    bt_store_job_list_free(ids, n);
    q.order = BT_JOB_BY_GUID_DESC;
    q.offset = 2;
    q.limit = 3;
    OK(bt_store_job_select(f->s, &q, &ids, &n, &e_));
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i].id, all[9 - i].id);
    bt_store_job_list_free(ids, n);
    uint64_t count = 0;
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 12);

    /* creation order, ties by GUID: each instant's jobs in GUID order */
    q = (bt_store_job_query){.any_status = true, .order = BT_JOB_BY_CREATED};
    OK(bt_store_job_select(f->s, &q, &ids, &n, &e_));
    assert_int_equal(n, 12);
    int64_t prev_t = 0;
    char prev_g[BT_GUID_LEN] = "";
    for (size_t i = 0; i < n; i++) {
        const bt_store_job *j = &ids[i];
        assert_true(j->created_us >= prev_t);
        if (j->created_us == prev_t) assert_true(strcmp(j->guid, prev_g) > 0);
        prev_t = j->created_us;
        snprintf(prev_g, sizeof prev_g, "%s", j->guid);
        /* the whole row, as bt_store_job_get reads it */
        bt_store_job g = {0};
        OK(bt_store_job_get(f->s, j->id, &g, &e_));
        assert_string_equal(j->guid, g.guid);
        assert_string_equal(j->parameters, g.parameters);
        assert_string_equal(j->created_by, g.created_by);
        assert_int_equal(j->runbook_id, g.runbook_id);
        assert_int_equal(j->runbook_version, g.runbook_version);
        assert_int_equal(j->status, g.status);
        assert_int_equal(j->cancel_requested, g.cancel_requested);
        assert_int_equal(j->n_targets, g.n_targets);
        bt_store_job_clear(&g);
    }
    bt_store_job_list_free(ids, n);
    q.order = BT_JOB_BY_CREATED_DESC;
    q.limit = 1;
    OK(bt_store_job_select(f->s, &q, &ids, &n, &e_));
    assert_int_equal(ids[0].created_us, t_last);
    bt_store_job_list_free(ids, n);

    /* filters */
    q = (bt_store_job_query){.status = BT_JOB_CANCELED};
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 2);
    q = (bt_store_job_query){.any_status = true, .runbook_id = b};
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 4);
    q = (bt_store_job_query){.any_status = true, .has_created_min = true,
                             .created_min = t_first + 1};
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 9);
    q.has_created_max = true;
    q.created_max = t_last - 1;
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 6);
    q = (bt_store_job_query){.any_status = true, .id = all[4].id};
    OK(bt_store_job_select(f->s, &q, &ids, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0].id, all[4].id);
    bt_store_job_list_free(ids, n);
    char list[64];
    snprintf(list, sizeof list, ",%lld,", (long long)b);
    q = (bt_store_job_query){.any_status = true, .runbook_ids = list};
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 4);
    q.runbook_ids = ",";
    OK(bt_store_job_select_count(f->s, &q, &count, &e_));
    assert_int_equal(count, 0);
    bt_store_job_list_free(all, n_all);

    /* a job with servers of its own comes with them, in order */
    const char *const targets[] = {"rs2", "rs1"};
    bt_store_job_spec ts = {.runbook_id = b, .created_by = "tester",
                            .targets = targets, .n_targets = 2};
    bt_store_job tj = {0};
    OK(bt_store_job_create(f->s, &ts, &tj, &e_));
    q = (bt_store_job_query){.any_status = true, .id = tj.id};
    bt_store_job_clear(&tj);
    OK(bt_store_job_select(f->s, &q, &ids, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0].n_targets, 2);
    assert_string_equal(ids[0].targets[0], "rs2");
    assert_string_equal(ids[0].targets[1], "rs1");
    bt_store_job_list_free(ids, n);

    bt_error err = {0};
    q = (bt_store_job_query){.status = (bt_job_status)9};
    assert_int_equal(bt_store_job_select(f->s, &q, &ids, &n, &err),
                     -BT_EINVAL);
    /* by the server that runs them: three new jobs, two on one server */
    int64_t srv = make_server(f->s, "sel1"), other = make_server(f->s, "sel2");
    int64_t j1 = make_job(f->s, a), j2 = make_job(f->s, b);
    int64_t j3 = make_job(f->s, a);
    OK(bt_store_job_set_status(f->s, j1, BT_JOB_RUNNING, srv, &e_));
    OK(bt_store_job_set_status(f->s, j2, BT_JOB_RUNNING, srv, &e_));
    OK(bt_store_job_set_status(f->s, j3, BT_JOB_RUNNING, other, &e_));
    bt_store_job_query sq = {.any_status = true, .server_id = srv};
    bt_store_job *on = NULL;
    size_t n_on = 0;
    OK(bt_store_job_select(f->s, &sq, &on, &n_on, &e_));
    assert_int_equal(n_on, 2);
    assert_true((on[0].id == j1 && on[1].id == j2) ||
                (on[0].id == j2 && on[1].id == j1));
    bt_store_job_list_free(on, n_on);
    uint64_t on_count = 0;
    OK(bt_store_job_select_count(f->s, &sq, &on_count, &e_));
    assert_int_equal(on_count, 2);
    sq.server_id = other;
    OK(bt_store_job_select_count(f->s, &sq, &on_count, &e_));
    assert_int_equal(on_count, 1);
}

/* Claims until nothing is left; records every id in seen[] (counts). */
static size_t claim_all(bt_store *s, int64_t srv, size_t batch,
                        unsigned char *seen, size_t max_id, int out_fd) {
    size_t total = 0;
    for (;;) {
        bt_store_job *jobs = NULL;
        size_t n = 0;
        bt_error err = {0};
        int rc = bt_store_job_claim(s, srv, batch, &jobs, &n, &err);
        if (rc) fail_msg("claim: %s", err.message);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(jobs[i].status, BT_JOB_RUNNING);
            assert_int_equal(jobs[i].server_id, srv);
            if (seen) {
                assert_true(jobs[i].id > 0 && (size_t)jobs[i].id <= max_id);
                seen[jobs[i].id]++;
            }
            if (out_fd >= 0) {
                int64_t id = jobs[i].id;
                assert_int_equal(write(out_fd, &id, sizeof id),
                                 (ssize_t)sizeof id);
            }
        }
        bt_store_job_list_free(jobs, n);
        total += n;
        if (n == 0) return total;
    }
}

static void test_claim_two_handles(void **state) {
    fixture *f = *state;
    bt_store *other = open_or_fail(f->url);
    int64_t rid = make_runbook(f->s, "Many");
    enum { JOBS = 500 };
    for (int i = 0; i < JOBS; i++) make_job(f->s, rid);
    int64_t s1 = make_server(f->s, "rs1"), s2 = make_server(other, "rs2");
    unsigned char seen[JOBS + 1] = {0};
    size_t got1 = 0, got2 = 0;
    /* Interleave handles with uneven batch sizes. */
    for (unsigned round = 0;; round++) {
        bt_store_job *jobs = NULL;
        size_t n = 0;
        bt_store *h = round % 2 ? other : f->s;
        int64_t srv = round % 2 ? s2 : s1;
            OK(bt_store_job_claim(h, srv, 1 + round % 7, &jobs, &n, &e_));
        for (size_t i = 0; i < n; i++) seen[jobs[i].id]++;
        if (round % 2) got2 += n;
        else got1 += n;
        bt_store_job_list_free(jobs, n);
        if (n == 0 && got1 + got2 == JOBS) break;
        assert_true(round < 10 * JOBS);
    }
    for (int i = 1; i <= JOBS; i++) assert_int_equal(seen[i], 1);
    assert_true(got1 > 0 && got2 > 0);
    bt_store_close(other);
}

static void test_claim_two_processes(void **state) {
    fixture *f = *state;
    int64_t rid = make_runbook(f->s, "Many");
    enum { JOBS = 2000 };
    for (int i = 0; i < JOBS; i++) make_job(f->s, rid);
    int64_t s1 = make_server(f->s, "parent");
    int64_t s2 = make_server(f->s, "child");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    /* The child's ids go to a file, so neither side waits on the other. */
    char *ids_path = bt_harness_path(f->dir, "child-ids");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        bt_store *s = NULL;
        bt_error err = {0};
        if (bt_store_open(f->url, &s, &err)) _exit(2);
        int out = open(ids_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char go = 1;
        if (write(fds[1], &go, 1) != 1) _exit(3); /* ready */
        claim_all(s, s2, 5, NULL, JOBS, out);
        close(out);
        bt_store_close(s);
        _exit(0);
    }
    close(fds[1]);
    char go = 0;
    assert_int_equal(read(fds[0], &go, 1), 1);
    close(fds[0]);
    unsigned char *seen = bt_xcalloc(JOBS + 1, 1);
    size_t mine = claim_all(f->s, s1, 3, seen, JOBS, -1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_error err = {0};
    assert_int_equal(bt_buf_read_file(&b, ids_path, &err), 0);
    size_t theirs = b.len / sizeof(int64_t);
    for (size_t i = 0; i < theirs; i++) {
        int64_t id;
        memcpy(&id, b.data + i * sizeof id, sizeof id);
        assert_true(id > 0 && id <= JOBS);
        seen[id]++;
    }
    for (int i = 1; i <= JOBS; i++) {
        if (seen[i] != 1) fail_msg("job %d claimed %d times", i, seen[i]);
    }
    assert_int_equal(mine + theirs, JOBS);
    bt_buf_free(&b);
    free(seen);
    free(ids_path);
}

static void test_concurrency_limit_queues(void **state) {
    fixture *f = *state;
    int64_t rid = make_runbook(f->s, "One at a time");
    int64_t other = make_runbook(f->s, "Free");
    bt_store_runbook_settings set = {.max_concurrent = 2};
    OK(bt_store_runbook_set_settings(f->s, rid, &set, &e_));
    int64_t ids[5];
    for (int i = 0; i < 5; i++) ids[i] = make_job(f->s, rid);
    int64_t free_job = make_job(f->s, other);
    int64_t srv = make_server(f->s, "rs1");
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, srv, 100, &jobs, &n, &e_));
    /* Two of the limited runbook (oldest first) plus the unlimited one. */
    assert_int_equal(n, 3);
    assert_int_equal(jobs[0].id, ids[0]);
    assert_int_equal(jobs[1].id, ids[1]);
    assert_int_equal(jobs[2].id, free_job);
    bt_store_job_list_free(jobs, n);
    OK(bt_store_job_claim(f->s, srv, 100, &jobs, &n, &e_));
    assert_int_equal(n, 0);
    /* The rest wait, queued, not dropped. */
    for (int i = 2; i < 5; i++) {
        bt_store_job j = {0};
        OK(bt_store_job_get(f->s, ids[i], &j, &e_));
        assert_int_equal(j.status, BT_JOB_PENDING);
        bt_store_job_clear(&j);
    }
    for (int done = 0; done < 5; done++) {
        OK(bt_store_job_set_status(f->s, ids[done], BT_JOB_COMPLETED, 0, &e_));
        OK(bt_store_job_claim(f->s, srv, 100, &jobs, &n, &e_));
        if (done + 2 < 5) {
            assert_int_equal(n, 1);
            assert_int_equal(jobs[0].id, ids[done + 2]);
        } else
            assert_int_equal(n, 0);
        bt_store_job_list_free(jobs, n);
    }
}

/* Four processes claim at once, from a runbook limited to 3 and an
 * unlimited one: the limit holds under contention and no job is claimed
 * twice (PostgreSQL: advisory lock per runbook, SKIP LOCKED rows). */
static void test_claim_limit_processes(void **state) {
    fixture *f = *state;
    enum { LIMITED = 30, FREE = 40, KIDS = 4, LIMIT = 3 };
    int64_t rid = make_runbook(f->s, "Limited");
    int64_t free_rid = make_runbook(f->s, "Free");
    bt_store_runbook_settings set = {.max_concurrent = LIMIT};
    OK(bt_store_runbook_set_settings(f->s, rid, &set, &e_));
    for (int i = 0; i < LIMITED + FREE; i++)
        make_job(f->s, i % 2 && i / 2 < LIMITED ? rid : free_rid);
    int64_t srv[KIDS];
    for (int k = 0; k < KIDS; k++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", k);
        srv[k] = make_server(f->s, name);
    }
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            close(go[1]);
            bt_store *s = NULL;
            bt_error err = {0};
            if (bt_store_open(f->url, &s, &err)) _exit(250);
            char c;
            if (read(go[0], &c, 1) != 0) _exit(251);
            int total = 0, empty = 0;
            for (int round = 0; round < 200 && empty < 3; round++) {
                bt_store_job *jobs = NULL;
                size_t n = 0;
                if (bt_store_job_claim(s, srv[k], 1 + (size_t)(round + k) % 4,
                                       &jobs, &n, &err)) {
                    fprintf(stderr, "child %d: %s\n", k, err.message);
                    _exit(252);
                }
                bt_store_job_list_free(jobs, n);
                total += (int)n;
                empty = n ? 0 : empty + 1;
            }
            bt_store_close(s);
            _exit(total);
        }
    }
    close(go[0]);
    close(go[1]); /* releases every child at once */
    int claimed = 0;
    for (int k = 0; k < KIDS; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) < 250);
        claimed += WEXITSTATUS(status);
    }
    char *sql = bt_xasprintf("SELECT count(*) FROM jobs WHERE status = 1 AND "
                             "runbook_id = %lld",
                             (long long)rid);
    assert_true(raw_count(f->raw, sql) <= LIMIT);
    /* Whatever a race left unclaimed, one more claim takes. */
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, srv[0], 1000, &jobs, &n, &e_));
    bt_store_job_list_free(jobs, n);
    claimed += (int)n;
    assert_int_equal(raw_count(f->raw, sql), LIMIT);
    assert_int_equal(claimed, LIMIT + FREE);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM jobs WHERE "
                                       "status = 0"),
                     LIMITED - LIMIT);
    free(sql);
}

static void test_preferred_servers(void **state) {
    fixture *f = *state;
    use_clock(f, f->s);
    int64_t rid = make_runbook(f->s, "Pinned");
    const char *prefs[] = {"rsA", "rsB"};
    bt_store_runbook_settings set = {.preferred_servers = prefs,
                                     .n_preferred = 2};
    OK(bt_store_runbook_set_settings(f->s, rid, &set, &e_));
    int64_t a = 0, b = 0, c = 0;
    OK(bt_store_server_register(f->s, "rsA", "1", 6000, &a, &e_));
    OK(bt_store_server_register(f->s, "rsB", "1", 6000, &b, &e_));
    OK(bt_store_server_register(f->s, "rsC", "1", 6000, &c, &e_));
    int64_t j1 = make_job(f->s, rid);
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, b, 10, &jobs, &n, &e_));
    assert_int_equal(n, 0); /* rsA is up and comes first */
    OK(bt_store_job_claim(f->s, c, 10, &jobs, &n, &e_));
    assert_int_equal(n, 0); /* not in the list at all */
    OK(bt_store_job_claim(f->s, a, 10, &jobs, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, j1);
    bt_store_job_list_free(jobs, n);

    /* rsA's lease lapses: rsB is next in line. */
    int64_t j2 = make_job(f->s, rid);
    f->now += 7000000;
    OK(bt_store_server_heartbeat(f->s, b, 6000, &e_));
    OK(bt_store_server_heartbeat(f->s, c, 6000, &e_));
    OK(bt_store_job_claim(f->s, a, 10, &jobs, &n, &e_));
    assert_int_equal(n, 0);
    OK(bt_store_job_claim(f->s, b, 10, &jobs, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, j2);
    bt_store_job_list_free(jobs, n);

    /* A job's own target list overrides the runbook's. */
    const char *only_c[] = {"rsC"};
    bt_store_job_spec spec = {.runbook_id = rid, .created_by = "t",
                              .targets = only_c, .n_targets = 1};
    bt_store_job j3 = {0};
    OK(bt_store_job_create(f->s, &spec, &j3, &e_));
    OK(bt_store_job_claim(f->s, b, 10, &jobs, &n, &e_));
    assert_int_equal(n, 0);
    OK(bt_store_job_claim(f->s, c, 10, &jobs, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, j3.id);
    bt_store_job_list_free(jobs, n);
    bt_store_job_clear(&j3);

    /* Nobody in the list is up: the job waits. */
    f->now += 60000000;
    OK(bt_store_server_heartbeat(f->s, c, 6000, &e_));
    make_job(f->s, rid);
    OK(bt_store_job_claim(f->s, c, 10, &jobs, &n, &e_));
    assert_int_equal(n, 0);
    bt_error err = {0};
    assert_int_equal(bt_store_job_claim(f->s, 999, 10, &jobs, &n, &err),
                     -BT_ENOTFOUND);
}

/* ---- Instances and activity instances ------------------------------- */

/* A running job on a new server, with an instance. */
static int64_t start_instance(bt_store *s, const char *srv_name,
                              int64_t *srv_out, int64_t *job_out) {
    int64_t rid = make_runbook(s, srv_name);
    int64_t job = make_job(s, rid);
    int64_t srv = make_server(s, srv_name);
    OK(bt_store_job_set_status(s, job, BT_JOB_RUNNING, srv, &e_));
    bt_store_instance inst = {0};
    OK(bt_store_instance_create(s, job, srv, &inst, &e_));
    if (srv_out) *srv_out = srv;
    if (job_out) *job_out = job;
    return inst.id;
}

static bt_store_activity_spec activity(int64_t inst, uint64_t seq,
                                       const bt_store_datum *d, size_t n) {
    return (bt_store_activity_spec){.instance_id = inst,
                                    .activity_id = "step",
                                    .seq = seq,
                                    .attempt = 1,
                                    .result = BT_RESULT_SUCCESS,
                                    .start_us = 1000 * seq,
                                    .end_us = 1000 * seq + 500,
                                    .parent_seq = seq - 1,
                                    .data = d,
                                    .n_data = n};
}

static void test_instances(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    int64_t rid = make_runbook(f->s, "R");
    int64_t job = make_job(f->s, rid);
    int64_t srv = make_server(f->s, "rs1");
    assert_int_equal(bt_store_instance_create(f->s, job, srv, NULL, &err),
                     -BT_ESTATE); /* still pending */
    OK(bt_store_job_set_status(f->s, job, BT_JOB_RUNNING, srv, &e_));
    int64_t other = make_server(f->s, "rs2");
    assert_int_equal(bt_store_instance_create(f->s, job, other, NULL, &err),
                     -BT_ESTATE);
    bt_store_instance a = {0}, b = {0};
    OK(bt_store_instance_create(f->s, job, srv, &a, &e_));
    OK(bt_store_instance_create(f->s, job, srv, &b, &e_)); /* monitors */
    assert_int_equal(a.status, BT_JOB_RUNNING);
    assert_int_equal(a.result, -1);
    assert_int_equal(a.runbook_id, rid);
    assert_int_equal(a.server_id, srv);
    bt_store_instance byguid = {0};
    OK(bt_store_instance_get_guid(f->s, b.guid, &byguid, &e_));
    assert_int_equal(byguid.id, b.id);
    bt_store_instance_clear(&byguid);
    OK(bt_store_instance_finish(f->s, a.id, BT_JOB_COMPLETED,
                                BT_RESULT_WARNING, "{\"status\": \"ok\"}",
                                &e_));
    assert_int_equal(bt_store_instance_finish(f->s, a.id, BT_JOB_COMPLETED,
                                              BT_RESULT_SUCCESS, NULL, &err),
                     -BT_ESTATE);
    assert_int_equal(bt_store_instance_finish(f->s, b.id, BT_JOB_RUNNING,
                                              BT_RESULT_SUCCESS, NULL, &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_instance_finish(f->s, b.id, BT_JOB_COMPLETED,
                                              BT_RESULT_SUCCESS, "oops", &err),
                     -BT_ESYNTAX);
    bt_store_instance *items = NULL;
    size_t n = 0;
    OK(bt_store_instance_list(f->s, job, &items, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, a.id);
    assert_int_equal(items[0].status, BT_JOB_COMPLETED);
    assert_int_equal(items[0].result, BT_RESULT_WARNING);
    assert_string_equal(items[0].return_data, "{\"status\": \"ok\"}");
    assert_true(items[0].ended_us > 0);
    assert_null(items[1].return_data);
    bt_store_instance_list_free(items, n);
    assert_int_equal(bt_store_instance_get(f->s, 404, &a, &err),
                     -BT_ENOTFOUND);
    bt_store_instance_clear(&a);
    bt_store_instance_clear(&b);
}

static void test_commit_activity_roundtrip(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    int64_t srv = 0;
    int64_t inst = start_instance(f->s, "rs1", &srv, NULL);
    bt_store_datum d1[] = {{0, "path", "/tmp/a"}, {0, "size", "10"},
                           {1, "path", "/tmp/b"}, {1, "size", ""}};
    bt_store_activity_spec a1 = activity(inst, 1, d1, 4);
    int64_t id1 = 0;
    OK(bt_store_commit_activity(f->s, srv, &a1, &id1, &e_));
    assert_true(id1 > 0);
    bt_store_activity_spec a2 = activity(inst, 2, NULL, 0);
    a2.activity_id = "fail";
    a2.result = BT_RESULT_FAILED;
    a2.error = "copy-file: source '/x' does not exist";
    a2.attempt = 3;
    a2.parent_row = 1; /* started by row 1 of seq 1 */
    OK(bt_store_commit_activity(f->s, srv, &a2, NULL, &e_));
    assert_int_equal(bt_store_commit_activity(f->s, srv, &a2, NULL, &err),
                     -BT_EEXIST);
    assert_non_null(strstr(err.message, "seq 2"));

    bt_store_activity *items = NULL;
    size_t n = 0;
    OK(bt_store_activity_list(f->s, inst, 0, &items, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(items[0].seq, 1);
    assert_string_equal(items[0].activity_id, "step");
    assert_int_equal(strlen(items[0].guid), 36);
    assert_int_equal(items[0].n_data, 4);
    assert_int_equal(items[0].data[2].row, 1);
    assert_string_equal(items[0].data[2].value, "/tmp/b");
    assert_string_equal(items[0].data[3].value, "");
    assert_null(items[0].error);
    assert_int_equal(items[0].start_us, 1000);
    assert_int_equal(items[1].result, BT_RESULT_FAILED);
    assert_int_equal(items[1].attempt, 3);
    assert_int_equal(items[1].parent_seq, 1);
    assert_int_equal(items[1].parent_row, 1);
    assert_int_equal(items[0].parent_row, 0);
    assert_string_equal(items[1].error, a2.error);
    /* by GUID, one with its data; in either case; none */
    bt_store_activity one = {0};
    char upper[BT_GUID_LEN];
    snprintf(upper, sizeof upper, "%s", items[0].guid);
    for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
    OK(bt_store_activity_get_guid(f->s, upper, &one, &e_));
    assert_int_equal(one.id, items[0].id);
    assert_int_equal(one.seq, 1);
    assert_int_equal(one.n_data, 4);
    assert_string_equal(one.data[2].value, "/tmp/b");
    bt_store_activity_clear(&one);
    OK(bt_store_activity_get_guid(f->s, items[1].guid, &one, &e_));
    assert_int_equal(one.seq, 2);
    assert_string_equal(one.error, a2.error);
    bt_store_activity_clear(&one);
    assert_int_equal(bt_store_activity_get_guid(
                         f->s, "00000000-0000-0000-0000-000000000001", &one,
                         &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_activity_get_guid(f->s, "nope", &one, &err),
                     -BT_EINVAL);
    bt_store_activity_list_free(items, n);
    OK(bt_store_activity_list(f->s, inst, 1, &items, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(items[0].seq, 2);
    bt_store_activity_list_free(items, n);

    /* Group commit: several in one transaction. */
    bt_store_activity_spec batch[3] = {activity(inst, 3, d1, 1),
                                       activity(inst, 4, d1, 2),
                                       activity(inst, 5, NULL, 0)};
    OK(bt_store_commit_activities(f->s, srv, batch, 3, &e_));
    OK(bt_store_activity_list(f->s, inst, 2, &items, &n, &e_));
    assert_int_equal(n, 3);
    assert_int_equal(items[1].n_data, 2);
    bt_store_activity_list_free(items, n);

    bt_store_activity_spec bad = activity(inst, 0, NULL, 0);
    assert_int_equal(bt_store_commit_activity(f->s, srv, &bad, NULL, &err),
                     -BT_EINVAL);
    bad = activity(404, 9, NULL, 0);
    assert_int_equal(bt_store_commit_activity(f->s, srv, &bad, NULL, &err),
                     -BT_ENOTFOUND);

    /* A program's output need not be UTF-8: published values come back
     * byte for byte. (PostgreSQL stores an error text that is not UTF-8
     * with U+FFFD in place of the bad bytes.) */
    bt_store_datum raw[] = {{0, "out", "caf\xe9 \xff\xfe"}};
    bt_store_activity_spec a6 = activity(inst, 6, raw, 1);
    a6.error = "bad \xff byte";
    OK(bt_store_commit_activity(f->s, srv, &a6, NULL, &e_));
    OK(bt_store_activity_list(f->s, inst, 5, &items, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(items[0].data[0].value, "caf\xe9 \xff\xfe");
    assert_string_equal(items[0].error, pg_base() ? "bad \xef\xbf\xbd byte"
                                                  : "bad \xff byte");
    bt_store_activity_list_free(items, n);

    /* A large result (PostgreSQL writes it in several statements). */
    enum { ROWS = 2500 };
    bt_store_datum *many = bt_xcalloc(ROWS, sizeof *many);
    char(*vals)[16] = bt_xcalloc(ROWS, sizeof *vals);
    for (uint32_t i = 0; i < ROWS; i++) {
        snprintf(vals[i], sizeof vals[i], "v%u", i);
        many[i] = (bt_store_datum){i, "line", vals[i]};
    }
    bt_store_activity_spec a7 = activity(inst, 7, many, ROWS);
    OK(bt_store_commit_activity(f->s, srv, &a7, NULL, &e_));
    OK(bt_store_activity_list(f->s, inst, 6, &items, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(items[0].n_data, ROWS);
    for (uint32_t i = 0; i < ROWS; i++) {
        assert_int_equal(items[0].data[i].row, i);
        assert_string_equal(items[0].data[i].value, vals[i]);
    }
    bt_store_activity_list_free(items, n);
    free(many);
    free(vals);
}

static int64_t count_rows(fixture *f) {
    return raw_count(f->raw, "SELECT (SELECT count(*) FROM activity_instances)"
                              " + (SELECT count(*) FROM activity_data)");
}

static void test_commit_activity_atomic(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    int64_t srv = 0;
    int64_t inst = start_instance(f->s, "rs1", &srv, NULL);
    bt_store_datum ok_row[] = {{0, "a", "1"}};
    bt_store_activity_spec first = activity(inst, 1, ok_row, 1);
    OK(bt_store_commit_activity(f->s, srv, &first, NULL, &e_));
    int64_t before = count_rows(f);
    assert_int_equal(before, 2);

    /* Fault 1: the last value is over the cap; the activity instance row
     * and the rows before it were already written in the transaction. */
    char *huge = bt_xmalloc(BT_STORE_VALUE_MAX + 2);
    memset(huge, 'x', BT_STORE_VALUE_MAX + 1);
    huge[BT_STORE_VALUE_MAX + 1] = '\0';
    bt_store_datum big[] = {{0, "a", "1"}, {0, "b", "2"}, {1, "a", "3"},
                            {1, "b", huge}};
    bt_store_activity_spec a2 = activity(inst, 2, big, 4);
    assert_int_equal(bt_store_commit_activity(f->s, srv, &a2, NULL, &err),
                     -BT_ETOOBIG);
    assert_non_null(strstr(err.message, "'b'"));
    assert_non_null(strstr(err.message, "row 1"));
    assert_int_equal(count_rows(f), before);

    /* Fault 2: a field published twice in a row violates the table's
     * uniqueness in the middle of the inserts. */
    bt_store_datum dup[] = {{0, "a", "1"}, {0, "b", "2"}, {0, "a", "3"}};
    bt_store_activity_spec a3 = activity(inst, 2, dup, 3);
    assert_int_equal(bt_store_commit_activity(f->s, srv, &a3, NULL, &err),
                     -BT_EINVAL);
    assert_non_null(strstr(err.message, "publishes 'a' twice in row 0"));
    assert_int_equal(count_rows(f), before);

    /* Fault 3: in a group commit, the second one fails: neither stays. */
    bt_store_activity_spec batch[2] = {activity(inst, 2, ok_row, 1),
                                       activity(inst, 1, ok_row, 1)};
    assert_int_equal(bt_store_commit_activities(f->s, srv, batch, 2, &err),
                     -BT_EEXIST);
    assert_int_equal(count_rows(f), before);

    /* The handle is still usable, and seq 2 is still free. */
    OK(bt_store_commit_activity(f->s, srv, &batch[0], NULL, &e_));
    assert_int_equal(count_rows(f), before + 2);

    /* A finished instance takes no more activity instances. */
    OK(bt_store_instance_finish(f->s, inst, BT_JOB_COMPLETED,
                                BT_RESULT_SUCCESS, NULL, &e_));
    bt_store_activity_spec late = activity(inst, 3, NULL, 0);
    assert_int_equal(bt_store_commit_activity(f->s, srv, &late, NULL, &err),
                     -BT_ESTATE);
    free(huge);
}

/* The child commits activity instances forever and acknowledges each one
 * through a pipe once the call returned; the parent kills it mid-stream.
 * Every acknowledged seq must be in the database afterwards. */
static void test_sigkill_loses_nothing(void **state) {
    fixture *f = *state;
    int64_t srv = 0;
    int64_t inst = start_instance(f->s, "rs1", &srv, NULL);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        bt_store *s = NULL;
        bt_error err = {0};
        if (bt_store_open(f->url, &s, &err)) _exit(2);
        for (uint64_t seq = 1;; seq++) {
            char value[32];
            snprintf(value, sizeof value, "value-%llu",
                     (unsigned long long)seq);
            bt_store_datum d[] = {{0, "a", value}, {0, "b", "x"},
                                  {1, "a", value}};
            bt_store_activity_spec a = activity(inst, seq, d, 3);
            if (bt_store_commit_activity(s, srv, &a, NULL, &err)) _exit(4);
            if (write(fds[1], &seq, sizeof seq) != sizeof seq) _exit(5);
        }
    }
    close(fds[1]);
    uint64_t acked = 0, seq;
    while (acked < 40 && read(fds[0], &seq, sizeof seq) == sizeof seq) {
        assert_int_equal(seq, acked + 1);
        acked = seq;
    }
    assert_int_equal(acked, 40);
    assert_int_equal(kill(pid, SIGKILL), 0);
    /* Acks already in the pipe count too. */
    while (read(fds[0], &seq, sizeof seq) == sizeof seq) acked = seq;
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    bt_store_close(f->s);
    f->s = open_or_fail(f->url);
    bt_store_activity *items = NULL;
    size_t n = 0;
    OK(bt_store_activity_list(f->s, inst, 0, &items, &n, &e_));
    assert_true(n >= acked);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].seq, i + 1);
        assert_int_equal(items[i].n_data, 3); /* whole, never partial */
        char value[32];
        snprintf(value, sizeof value, "value-%zu", i + 1);
        assert_string_equal(items[i].data[0].value, value);
    }
    bt_store_activity_list_free(items, n);
}

/* Group commit: calls join one transaction; each call stays atomic; other
 * handles see nothing before bt_store_commit; a kill before it loses the
 * whole group (which was never acknowledged). */
static void test_group_commit(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    int64_t srv = 0;
    int64_t inst = start_instance(f->s, "rs1", &srv, NULL);
    bt_store *other = open_or_fail(f->url);
    int64_t before = count_rows(f);

    assert_int_equal(bt_store_commit(f->s, &err), -BT_ESTATE);
    bt_store_rollback(f->s); /* harmless outside a group */
    OK(bt_store_begin(f->s, &e_));
    assert_int_equal(bt_store_begin(f->s, &err), -BT_ESTATE);
    bt_store_datum d[] = {{0, "a", "1"}};
    bt_store_activity_spec a1 = activity(inst, 1, d, 1);
    bt_store_activity_spec a2 = activity(inst, 2, d, 1);
    bt_store_datum dup[] = {{0, "a", "1"}, {0, "a", "2"}};
    bt_store_activity_spec bad = activity(inst, 3, dup, 2);
    bt_store_activity_spec a3 = activity(inst, 3, d, 1);
    OK(bt_store_commit_activity(f->s, srv, &a1, NULL, &e_));
    OK(bt_store_commit_activity(f->s, srv, &a2, NULL, &e_));
    assert_int_equal(bt_store_commit_activity(f->s, srv, &bad, NULL, &err),
                     -BT_EINVAL);
    OK(bt_store_commit_activity(f->s, srv, &a3, NULL, &e_)); /* seq 3 free */
    bt_store_activity *items = NULL;
    size_t n = 0;
    OK(bt_store_activity_list(f->s, inst, 0, &items, &n, &e_));
    assert_int_equal(n, 3); /* this handle sees its own group */
    bt_store_activity_list_free(items, n);
    OK(bt_store_activity_list(other, inst, 0, &items, &n, &e_));
    assert_int_equal(n, 0); /* others do not, yet */
    OK(bt_store_commit(f->s, &e_));
    OK(bt_store_activity_list(other, inst, 0, &items, &n, &e_));
    assert_int_equal(n, 3);
    bt_store_activity_list_free(items, n);
    assert_int_equal(count_rows(f), before + 6);

    /* Rolled back: nothing stays. */
    OK(bt_store_begin(f->s, &e_));
    bt_store_activity_spec a4 = activity(inst, 4, d, 1);
    OK(bt_store_commit_activity(f->s, srv, &a4, NULL, &e_));
    OK(bt_store_counter_set(f->s, "c", 1, &e_));
    bt_store_rollback(f->s);
    assert_int_equal(count_rows(f), before + 6);
    int64_t c;
    assert_int_equal(bt_store_counter_get(f->s, "c", &c, &err), -BT_ENOTFOUND);

    /* Killed inside a group: the unacknowledged group is gone, whole. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        bt_store *s = NULL;
        if (bt_store_open(f->url, &s, &err) || bt_store_begin(s, &err))
            _exit(2);
        for (uint64_t seq = 4; seq < 9; seq++) {
            bt_store_activity_spec a = activity(inst, seq, d, 1);
            if (bt_store_commit_activity(s, srv, &a, NULL, &err)) _exit(3);
        }
        char done = 1;
        if (write(fds[1], &done, 1) != 1) _exit(4);
        pause();
        _exit(5);
    }
    close(fds[1]);
    char done = 0;
    assert_int_equal(read(fds[0], &done, 1), 1);
    close(fds[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    OK(bt_store_activity_list(other, inst, 0, &items, &n, &e_));
    assert_int_equal(n, 3);
    bt_store_activity_list_free(items, n);
    bt_store_close(other);
}

/* A full disk (RLIMIT_FSIZE on the child): commits start failing with an
 * error that names the cause, and every commit acknowledged before that is
 * still there, whole, after the process is gone. */
static void test_disk_full(void **state) {
    fixture *f = *state;
    PG_ONLY_SQLITE();
    int64_t srv = 0;
    int64_t inst = start_instance(f->s, "rs1", &srv, NULL);
    char *msg_path = bt_harness_path(f->dir, "child-error");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of a signal */
        struct rlimit lim = {2 << 20, 2 << 20};
        if (setrlimit(RLIMIT_FSIZE, &lim)) _exit(2);
        bt_store *s = NULL;
        bt_error err = {0};
        if (bt_store_open(f->url, &s, &err)) _exit(3);
        char *big = bt_xmalloc(64 << 10);
        memset(big, 'v', (64 << 10) - 1);
        big[(64 << 10) - 1] = '\0';
        for (uint64_t seq = 1; seq < 1000; seq++) {
            bt_store_datum d[] = {{0, "blob", big}, {0, "n", "1"}};
            bt_store_activity_spec a = activity(inst, seq, d, 2);
            if (bt_store_commit_activity(s, srv, &a, NULL, &err)) {
                bt_harness_write_file(msg_path, err.message);
                /* The handle survives: a small commit may still fit or
                 * fail the same clear way, but never crash. */
                bt_store_close(s);
                _exit(0);
            }
            if (write(fds[1], &seq, sizeof seq) != sizeof seq) _exit(4);
        }
        _exit(5); /* the limit never hit */
    }
    close(fds[1]);
    uint64_t acked = 0, seq;
    while (read(fds[0], &seq, sizeof seq) == sizeof seq) acked = seq;
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(acked > 0);
    char *msg = bt_harness_read_file(msg_path);
    assert_non_null(msg);
    if (!strstr(msg, "File too large") && !strstr(msg, "disk is full") &&
        !strstr(msg, "file size limit"))
        fail_msg("error does not name the cause: %s", msg);
    assert_non_null(strstr(msg, f->path));
    print_message("what the operator sees: %s\n", msg);

    bt_store_close(f->s);
    f->s = open_or_fail(f->url);
    bt_store_activity *items = NULL;
    size_t n = 0;
    OK(bt_store_activity_list(f->s, inst, 0, &items, &n, &e_));
    assert_true(n >= acked);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(items[i].seq, i + 1);
        assert_int_equal(items[i].n_data, 2);
        assert_int_equal(strlen(items[i].data[0].value), (64 << 10) - 1);
    }
    bt_store_activity_list_free(items, n);
    free(msg);
    free(msg_path);
}

/* ---- Notifications -------------------------------------------------- */

/* Waits (bounded, as a failure guard) until fd is readable, then drains. */
static int wait_notified(bt_store *s, int fd, int timeout_ms) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int got = 0;
    while (got == 0) {
        int ready = poll(&pfd, 1, timeout_ms);
        assert_true(ready >= 0);
        if (ready == 0) return 0;
        got = bt_store_drain_notifications(s);
        assert_true(got >= 0);
    }
    return got;
}

static void test_notifications(void **state) {
    fixture *f = *state;
    if (!pg_base()) {
        assert_int_equal(bt_store_wait_fd(f->s), -1);
        assert_int_equal(bt_store_drain_notifications(f->s), 0);
        return;
    }
    int fd = bt_store_wait_fd(f->s);
    assert_true(fd >= 0);
    assert_int_equal(bt_store_wait_fd(f->s), fd);
    assert_int_equal(bt_store_drain_notifications(f->s), 0);
    bt_store *other = open_or_fail(f->url);
    int64_t rid = make_runbook(other, "Notified");
    int64_t job = make_job(other, rid);
    assert_true(wait_notified(f->s, fd, 10000) >= 1);
    /* Inside a group the job is announced when the group commits. */
    OK(bt_store_begin(other, &e_));
    make_job(other, rid);
    assert_int_equal(wait_notified(f->s, fd, 200), 0);
    OK(bt_store_commit(other, &e_));
    assert_true(wait_notified(f->s, fd, 10000) >= 1);
    /* A cancel request reaches the server holding the job. */
    OK(bt_store_job_request_cancel(other, job, &e_));
    assert_true(wait_notified(f->s, fd, 10000) >= 1);
    bt_store_close(other);
}

/* PostgreSQL: the server ends the handle's session (a restart, an idle
 * timeout, an operator's pg_terminate_backend). */
static void terminate_sessions(fixture *f) {
    char *sql = bt_xasprintf("SELECT pg_terminate_backend(pid) FROM "
                             "pg_stat_activity WHERE datname = '%s'",
                             f->pg_db);
    pg_admin(sql);
    free(sql);
}

static void test_connection_lost(void **state) {
    fixture *f = *state;
    if (!pg_base()) skip();
    bt_error err = {0};
    int64_t rid = make_runbook(f->s, "R");
    int64_t srv = make_server(f->s, "rs1");
    /* A call that starts with BEGIN reconnects and carries on. */
    terminate_sessions(f);
    make_job(f->s, rid);
    /* A single statement that may or may not have run fails, saying so;
     * the next call reconnects. */
    terminate_sessions(f);
    assert_int_equal(bt_store_counter_set(f->s, "c", 1, &err), -BT_EIO);
    assert_non_null(strstr(err.message, "lost the connection to PostgreSQL"));
    print_message("what the operator sees: %s\n", err.message);
    OK(bt_store_counter_set(f->s, "c", 2, &e_));
    /* A read changes nothing, so it reconnects and runs again. */
    terminate_sessions(f);
    int64_t seen = 0;
    OK(bt_store_counter_get(f->s, "c", &seen, &e_));
    assert_int_equal(seen, 2);
    /* A group whose session ends is lost as a whole, and commit says so. */
    OK(bt_store_job_set_status(f->s, make_job(f->s, rid), BT_JOB_RUNNING, srv,
                               &e_));
    OK(bt_store_begin(f->s, &e_));
    OK(bt_store_counter_set(f->s, "c", 3, &e_));
    terminate_sessions(f);
    assert_int_equal(bt_store_counter_set(f->s, "c", 4, &err), -BT_EIO);
    assert_int_not_equal(bt_store_commit(f->s, &err), 0);
    assert_non_null(strstr(err.message, "rolled back"));
    int64_t c = 0;
    OK(bt_store_counter_get(f->s, "c", &c, &e_));
    assert_int_equal(c, 2);
}

/* PostgreSQL: a call waiting on a row lock longer than lock_timeout (here
 * set through the URL's libpq options) fails and names the cause. */
static void test_lock_timeout(void **state) {
    fixture *f = *state;
    if (!pg_base()) skip();
    bt_error err = {0};
    int64_t job = make_job(f->s, make_runbook(f->s, "R"));
    PGconn *c = PQconnectdb(f->url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "BEGIN"));
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)job);
    const char *values[] = {id};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE",
                               1, NULL, values, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    char *url = bt_xasprintf("%s?options=-c%%20lock_timeout%%3D300", f->url);
    bt_store *s = open_or_fail(url);
    assert_int_equal(bt_store_job_request_cancel(s, job, &err), -BT_EIO);
    assert_non_null(strstr(err.message, "lock_timeout"));
    print_message("what the operator sees: %s\n", err.message);
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
    OK(bt_store_job_request_cancel(s, job, &e_));
    bt_store_close(s);
    free(url);
}

/* ---- Servers and take-over ------------------------------------------ */

static void test_servers(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    use_clock(f, f->s);
    int64_t a = 0, again = 0;
    OK(bt_store_server_register(f->s, "rs1", "0.1.0", 6000, &a, &e_));
    OK(bt_store_server_register(f->s, "rs1", "0.2.0", 6000, &again, &e_));
    assert_int_equal(a, again);
    bt_store_server *items = NULL;
    size_t n = 0;
    OK(bt_store_server_list(f->s, &items, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(items[0].version, "0.2.0");
    assert_true(items[0].up);
    assert_int_equal(items[0].lease_expires_us, (int64_t)f->now + 6000000);
    assert_int_equal(strlen(items[0].guid), 36);
    bt_store_server_list_free(items, n);
    f->now += 6000000; /* expiry is exclusive: now == expiry is down */
    OK(bt_store_server_list(f->s, &items, &n, &e_));
    assert_false(items[0].up);
    bt_store_server_list_free(items, n);
    OK(bt_store_server_heartbeat(f->s, a, 2000, &e_));
    OK(bt_store_server_list(f->s, &items, &n, &e_));
    assert_true(items[0].up);
    assert_int_equal(items[0].heartbeat_us, (int64_t)f->now);
    bt_store_server_list_free(items, n);
    assert_int_equal(bt_store_server_heartbeat(f->s, 77, 2000, &err),
                     -BT_ENOTFOUND);

    /* Operator settings: a throttle override and draining. */
    int64_t id = make_server(f->s, "rs-set");
    bt_store_server sv = {0};
    OK(bt_store_server_get(f->s, id, &sv, &e_));
    assert_int_equal(sv.throttle, 0);
    assert_false(sv.draining);
    bt_store_server_clear(&sv);
    OK(bt_store_server_set(f->s, "rs-set", 7, 1, &e_));
    OK(bt_store_server_get(f->s, id, &sv, &e_));
    assert_string_equal(sv.name, "rs-set");
    assert_int_equal(sv.throttle, 7);
    assert_true(sv.draining);
    bt_store_server_clear(&sv);
    OK(bt_store_server_set(f->s, "rs-set", -1, 0, &e_)); /* keep throttle */
    OK(bt_store_server_get(f->s, id, &sv, &e_));
    assert_int_equal(sv.throttle, 7);
    assert_false(sv.draining);
    bt_store_server_clear(&sv);
    /* Re-registering (a restart) keeps what the operator set. */
    OK(bt_store_server_register(f->s, "rs-set", "0.2.0", 60000, &id, &e_));
    OK(bt_store_server_get(f->s, id, &sv, &e_));
    assert_int_equal(sv.throttle, 7);
    bt_store_server_clear(&sv);
    assert_int_equal(bt_store_server_set(f->s, "nope", 1, 1, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_server_set(f->s, "rs-set", -5, 1, &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_server_get(f->s, 31337, &sv, &err),
                     -BT_ENOTFOUND);
}

static void test_lease_takeover(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    use_clock(f, f->s);
    int64_t rid = make_runbook(f->s, "Resumable");
    const char *prefs[] = {"rsA", "rsB"};
    bt_store_runbook_settings set = {.preferred_servers = prefs,
                                     .n_preferred = 2};
    OK(bt_store_runbook_set_settings(f->s, rid, &set, &e_));
    int64_t a = 0, b = 0;
    OK(bt_store_server_register(f->s, "rsA", "1", 6000, &a, &e_));
    OK(bt_store_server_register(f->s, "rsB", "1", 6000, &b, &e_));
    int64_t job = make_job(f->s, rid);
    int64_t untouched = make_job(f->s, make_runbook(f->s, "Other"));
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, a, 1, &jobs, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].id, job);
    bt_store_job_list_free(jobs, n);
    bt_store_instance inst = {0}, *insts = NULL;
    OK(bt_store_instance_create(f->s, job, a, &inst, &e_));
    bt_store_activity_spec s1 = activity(inst.id, 1, NULL, 0);
    OK(bt_store_commit_activity(f->s, a, &s1, NULL, &e_));

    /* Nothing lapsed yet. */
    int64_t *ids = NULL;
    OK(bt_store_server_takeover(f->s, &ids, &n, &e_));
    assert_int_equal(n, 0);

    /* rsA stops heartbeating; rsB keeps going. */
    f->now += 3000000;
    OK(bt_store_server_heartbeat(f->s, b, 6000, &e_));
    f->now += 3500000;
    OK(bt_store_server_takeover(f->s, &ids, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], job);
    free(ids);
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, job, &j, &e_));
    assert_int_equal(j.status, BT_JOB_PENDING);
    assert_int_equal(j.takeovers, 1);
    assert_int_equal(j.server_id, 0);
    bt_store_job_clear(&j);
    bt_store_event *ev = NULL;
    OK(bt_store_event_list(f->s, job, 0, 10, &ev, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].severity, BT_SEVERITY_WARNING);
    assert_string_equal(ev[0].source, "rsA");
    assert_non_null(strstr(ev[0].message, "stopped heartbeating"));
    bt_store_event_list_free(ev, n);

    /* rsB, next in the list, claims it and now holds the instance. */
    OK(bt_store_job_claim(f->s, b, 10, &jobs, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(jobs[0].id, job);
    assert_int_equal(jobs[0].takeovers, 1);
    assert_int_equal(jobs[1].id, untouched);
    bt_store_job_list_free(jobs, n);
    bt_store_instance moved = {0};
    OK(bt_store_instance_get(f->s, inst.id, &moved, &e_));
    assert_int_equal(moved.server_id, b);
    bt_store_instance_clear(&moved);

    /* rsA wakes up and tries to carry on: fenced off. */
    bt_store_activity_spec s2 = activity(inst.id, 2, NULL, 0);
    assert_int_equal(bt_store_commit_activity(f->s, a, &s2, NULL, &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "taken over"));
    OK(bt_store_commit_activity(f->s, b, &s2, NULL, &e_));
    bt_store_activity *acts = NULL;
    OK(bt_store_activity_list(f->s, inst.id, 0, &acts, &n, &e_));
    assert_int_equal(n, 2);
    bt_store_activity_list_free(acts, n);

    /* rsA cannot record the end of the job rsB holds now: fenced too. */
    assert_int_equal(bt_store_job_set_status(f->s, job, BT_JOB_COMPLETED, a,
                                             &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "not held by server"));
    OK(bt_store_job_get(f->s, job, &j, &e_));
    assert_int_equal(j.status, BT_JOB_RUNNING);
    bt_store_job_clear(&j);

    /* A job being canceled when its server died ends canceled, and so
     * does its unfinished instance (with the worst result so far). */
    bt_store_instance ui = {0};
    OK(bt_store_instance_create(f->s, untouched, b, &ui, &e_));
    bt_store_activity_spec w = activity(ui.id, 1, NULL, 0);
    w.result = BT_RESULT_WARNING;
    OK(bt_store_commit_activity(f->s, b, &w, NULL, &e_));
    OK(bt_store_job_request_cancel(f->s, untouched, &e_));
    f->now += 10000000;
    OK(bt_store_server_takeover(f->s, NULL, &n, &e_));
    assert_int_equal(n, 2);
    OK(bt_store_job_get(f->s, untouched, &j, &e_));
    assert_int_equal(j.status, BT_JOB_CANCELED);
    bt_store_job_clear(&j);
    bt_store_instance_clear(&ui);
    OK(bt_store_instance_list(f->s, untouched, &insts, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(insts[0].status, BT_JOB_CANCELED);
    assert_int_equal(insts[0].result, BT_RESULT_WARNING);
    assert_int_equal(insts[0].ended_us, (int64_t)f->now);
    bt_store_instance_list_free(insts, n);
    OK(bt_store_job_get(f->s, job, &j, &e_));
    assert_int_equal(j.status, BT_JOB_PENDING);
    assert_int_equal(j.takeovers, 2);
    bt_store_job_clear(&j);
    bt_store_instance_clear(&inst);
}

/* Three live servers run take-over at the same moment: each lapsed job is
 * handed back exactly once, with one event. */
static void test_takeover_processes(void **state) {
    fixture *f = *state;
    enum { JOBS = 40, KIDS = 3 };
    int64_t rid = make_runbook(f->s, "Orphaned");
    for (int i = 0; i < JOBS; i++) make_job(f->s, rid);
    int64_t dead = make_server(f->s, "dead");
    bt_store_job *jobs = NULL;
    size_t n = 0;
    OK(bt_store_job_claim(f->s, dead, JOBS, &jobs, &n, &e_));
    assert_int_equal(n, JOBS);
    bt_store_job_list_free(jobs, n);
    OK(bt_store_server_heartbeat(f->s, dead, 0, &e_)); /* lapsed now */
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            close(go[1]);
            bt_store *s = NULL;
            bt_error err = {0};
            if (bt_store_open(f->url, &s, &err)) _exit(250);
            char c;
            if (read(go[0], &c, 1) != 0) _exit(251);
            size_t got = 0;
            if (bt_store_server_takeover(s, NULL, &got, &err)) {
                fprintf(stderr, "child %d: %s\n", k, err.message);
                _exit(252);
            }
            bt_store_close(s);
            _exit((int)got);
        }
    }
    close(go[0]);
    close(go[1]);
    int handed = 0;
    for (int k = 0; k < KIDS; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) <= JOBS);
        handed += WEXITSTATUS(status);
    }
    /* A server that saw some rows locked by another leaves them to it;
     * whatever is left, one more pass takes. */
    size_t rest = 0;
    OK(bt_store_server_takeover(f->s, NULL, &rest, &e_));
    assert_int_equal(handed + (int)rest, JOBS);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM jobs WHERE "
                                       "status = 0 AND takeovers = 1"),
                     JOBS);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM events"), JOBS);
}

/* ---- Events, audit, globals ----------------------------------------- */

static void test_events_and_audit(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    use_clock(f, f->s);
    int64_t rid = make_runbook(f->s, "R");
    int64_t job = make_job(f->s, rid);
    OK(bt_store_event_add(f->s, BT_SEVERITY_ERROR, "rs1", "disk full", job,
                          &e_));
    for (int i = 0; i < 5; i++)
        OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "rs1", "started", 0,
                              &e_));
    assert_int_equal(bt_store_event_add(f->s, BT_SEVERITY_INFO, "", "m", 0,
                                        &err),
                     -BT_EINVAL);
    bt_store_event *ev = NULL;
    size_t n = 0;
    OK(bt_store_event_list(f->s, 0, 0, 4, &ev, &n, &e_));
    assert_int_equal(n, 4);
    assert_string_equal(ev[0].message, "disk full");
    assert_int_equal(ev[0].job_id, job);
    assert_int_equal(ev[0].time_us, (int64_t)f->now);
    int64_t cursor = ev[3].id;
    bt_store_event_list_free(ev, n);
    OK(bt_store_event_list(f->s, 0, cursor, 4, &ev, &n, &e_));
    assert_int_equal(n, 2);
    bt_store_event_list_free(ev, n);
    assert_string_equal(bt_severity_name(BT_SEVERITY_WARNING), "warning");

    OK(bt_store_audit_add(f->s, "alice", "variable.set", "smtp_host",
                          "{\"value\": \"a\"}", "{\"value\": \"b\"}", &e_));
    OK(bt_store_audit_add(f->s, "bob", "runbook.checkin", "/Ops/R", NULL,
                          NULL, &e_));
    assert_int_equal(bt_store_audit_add(f->s, "bob", "x", "y", "{bad", NULL,
                                        &err),
                     -BT_ESYNTAX);
    assert_non_null(strstr(err.message, "audit 'before'"));
    bt_store_audit *au = NULL;
    OK(bt_store_audit_list(f->s, 0, 0, &au, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(au[0].who, "alice");
    assert_string_equal(au[0].after, "{\"value\": \"b\"}");
    assert_null(au[1].before);
    bt_store_audit_list_free(au, n);
}

static void test_variables_counters_schedules(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    const unsigned char secret[] = {0x00, 0xff, 0x10, 0x00, 0x7f};
    OK(bt_store_variable_set(f->s, "api_key", secret, sizeof secret, true,
                             &e_));
    OK(bt_store_variable_set(f->s, "smtp_host", "mail.local", 10, false, &e_));
    bt_store_variable v = {0};
    OK(bt_store_variable_get(f->s, "api_key", &v, &e_));
    assert_int_equal(v.len, sizeof secret);
    assert_memory_equal(v.value, secret, sizeof secret);
    assert_true(v.encrypted);
    bt_store_variable_clear(&v);
    OK(bt_store_variable_set(f->s, "smtp_host", "mx", 2, false, &e_));
    OK(bt_store_variable_get(f->s, "smtp_host", &v, &e_));
    assert_string_equal((char *)v.value, "mx");
    assert_false(v.encrypted);
    bt_store_variable_clear(&v);
    bt_store_variable *vars = NULL;
    size_t n = 0;
    OK(bt_store_variable_list(f->s, &vars, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(vars[0].name, "api_key");
    bt_store_variable_list_free(vars, n);
    OK(bt_store_variable_delete(f->s, "api_key", &e_));
    assert_int_equal(bt_store_variable_get(f->s, "api_key", &v, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_variable_delete(f->s, "api_key", &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_variable_set(f->s, "big", "x",
                                           BT_STORE_VALUE_MAX + 1, false,
                                           &err),
                     -BT_ETOOBIG);

    int64_t c = 0;
    assert_int_equal(bt_store_counter_add(f->s, "hits", 1, &c, &err),
                     -BT_ENOTFOUND);
    OK(bt_store_counter_set(f->s, "hits", 10, &e_));
    OK(bt_store_counter_add(f->s, "hits", 5, &c, &e_));
    assert_int_equal(c, 15);
    OK(bt_store_counter_add(f->s, "hits", -20, &c, &e_));
    assert_int_equal(c, -5);
    OK(bt_store_counter_get(f->s, "hits", &c, &e_));
    assert_int_equal(c, -5);
    OK(bt_store_counter_set(f->s, "hits", INT64_MAX, &e_));
    assert_int_equal(bt_store_counter_add(f->s, "hits", 1, &c, &err),
                     -BT_EINVAL);
    assert_non_null(strstr(err.message, "overflow"));
    OK(bt_store_counter_get(f->s, "hits", &c, &e_));
    assert_int_equal(c, INT64_MAX);
    OK(bt_store_counter_delete(f->s, "hits", &e_));
    assert_int_equal(bt_store_counter_get(f->s, "hits", &c, &err),
                     -BT_ENOTFOUND);

    assert_int_equal(bt_store_schedule_set(f->s, "nightly", "02:00", &err),
                     -BT_ESYNTAX);
    OK(bt_store_schedule_set(f->s, "nightly", "{\"at\": \"02:00\"}", &e_));
    OK(bt_store_schedule_set(f->s, "weekdays", "{\"days\": [1,2,3,4,5]}",
                             &e_));
    bt_store_schedule sc = {0};
    OK(bt_store_schedule_get(f->s, "nightly", &sc, &e_));
    assert_string_equal(sc.definition, "{\"at\": \"02:00\"}");
    bt_store_schedule_clear(&sc);
    bt_store_schedule *scs = NULL;
    OK(bt_store_schedule_list(f->s, &scs, &n, &e_));
    assert_int_equal(n, 2);
    bt_store_schedule_list_free(scs, n);
    OK(bt_store_schedule_delete(f->s, "nightly", &e_));
    assert_int_equal(bt_store_schedule_get(f->s, "nightly", &sc, &err),
                     -BT_ENOTFOUND);
}

/* Global settings folders: a path per item, set keeps it, _in and move
 * change it, lists filter by exactly one folder. */
static void test_setting_folders(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    OK(bt_store_variable_set(f->s, "smtp_host", "mx", 2, false, &e_));
    bt_store_variable v = {0};
    OK(bt_store_variable_get(f->s, "smtp_host", &v, &e_));
    assert_string_equal(v.folder, "/");
    bt_store_variable_clear(&v);
    OK(bt_store_variable_set_in(f->s, "api_key", "\x01", 1, true, "/Ops/Mail",
                                &e_));
    OK(bt_store_setting_move(f->s, BT_SETTING_VARIABLE, "smtp_host",
                             "/Ops/Mail", &e_));
    /* A plain set of an item in a folder leaves it there. */
    OK(bt_store_variable_set(f->s, "smtp_host", "mx2", 3, false, &e_));
    OK(bt_store_variable_get(f->s, "smtp_host", &v, &e_));
    assert_string_equal(v.folder, "/Ops/Mail");
    assert_string_equal((char *)v.value, "mx2");
    bt_store_variable_clear(&v);
    OK(bt_store_variable_set(f->s, "root_var", "r", 1, false, &e_));
    bt_store_variable *vars = NULL;
    size_t n = 0;
    OK(bt_store_variable_list_in(f->s, "/Ops/Mail", &vars, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(vars[0].name, "api_key");
    assert_true(vars[0].encrypted);
    assert_string_equal(vars[1].name, "smtp_host");
    assert_string_equal(vars[1].folder, "/Ops/Mail");
    bt_store_variable_list_free(vars, n);
    /* Exactly that folder: not its parent, not a prefix. */
    OK(bt_store_variable_list_in(f->s, "/Ops", &vars, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_variable_list_free(vars, n);
    OK(bt_store_variable_list(f->s, &vars, &n, &e_));
    assert_int_equal(n, 3);
    bt_store_variable_list_free(vars, n);

    OK(bt_store_counter_set(f->s, "tickets", 41, &e_));
    OK(bt_store_counter_set_in(f->s, "mails", 3, "/Ops/Mail", &e_));
    int64_t c = 0;
    OK(bt_store_counter_add(f->s, "mails", 2, &c, &e_));
    bt_store_counter *cs = NULL;
    OK(bt_store_counter_list(f->s, NULL, &cs, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(cs[0].name, "mails");
    assert_int_equal(cs[0].value, 5);
    assert_string_equal(cs[0].folder, "/Ops/Mail");
    assert_string_equal(cs[1].name, "tickets");
    assert_int_equal(cs[1].value, 41);
    assert_string_equal(cs[1].folder, "/");
    assert_true(cs[1].updated_us > 0);
    bt_store_counter_list_free(cs, n);
    OK(bt_store_setting_move(f->s, BT_SETTING_COUNTER, "tickets", "/Desk",
                             &e_));
    OK(bt_store_counter_list(f->s, "/Desk", &cs, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(cs[0].name, "tickets");
    bt_store_counter_list_free(cs, n);

    OK(bt_store_schedule_set_in(f->s, "nightly", "{\"at\": \"02:00\"}",
                                "/Maintenance", &e_));
    OK(bt_store_schedule_set(f->s, "weekdays", "{\"days\": [1]}", &e_));
    bt_store_schedule sc = {0};
    OK(bt_store_schedule_get(f->s, "nightly", &sc, &e_));
    assert_string_equal(sc.folder, "/Maintenance");
    bt_store_schedule_clear(&sc);
    bt_store_schedule *scs = NULL;
    OK(bt_store_schedule_list_in(f->s, "/", &scs, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(scs[0].name, "weekdays");
    assert_string_equal(scs[0].folder, "/");
    bt_store_schedule_list_free(scs, n);
    OK(bt_store_setting_move(f->s, BT_SETTING_SCHEDULE, "nightly", "/", &e_));
    OK(bt_store_schedule_list_in(f->s, "/", &scs, &n, &e_));
    assert_int_equal(n, 2);
    bt_store_schedule_list_free(scs, n);

    /* Bad folders and missing items are refused, naming the problem. */
    const char *bad[] = {"", "Ops", "/Ops/", "//", "/Ops//Mail", "/Ops/..",
                         "/./x", "/a\tb", "/bad\xff", "/x\xc3",
                         "/\xc0\xaf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bt_store_setting_move(f->s, BT_SETTING_VARIABLE,
                                               "root_var", bad[i], &err),
                         -BT_EINVAL);
        assert_non_null(strstr(err.message, "folder"));
    }
    assert_int_equal(bt_store_variable_list_in(f->s, "x", &vars, &n, &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_counter_set_in(f->s, "x", 1, "/a/", &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_setting_move(f->s, BT_SETTING_COUNTER, "nope",
                                           "/A", &err),
                     -BT_ENOTFOUND);
    assert_non_null(strstr(err.message, "counter 'nope'"));
    assert_int_equal(bt_store_setting_move(f->s, (bt_store_setting_kind)7,
                                           "x", "/A", &err),
                     -BT_EINVAL);
    char longf[BT_STORE_FOLDER_MAX + 2];
    memset(longf, 'a', sizeof longf - 1);
    longf[0] = '/';
    longf[sizeof longf - 1] = '\0';
    assert_int_equal(bt_store_setting_move(f->s, BT_SETTING_SCHEDULE,
                                           "nightly", longf, &err),
                     -BT_ETOOBIG);
    /* UTF-8 names are fine. */
    OK(bt_store_setting_move(f->s, BT_SETTING_SCHEDULE, "nightly",
                             "/Wartung/N\xc3\xa4" "chte", &e_));
    OK(bt_store_schedule_get(f->s, "nightly", &sc, &e_));
    assert_string_equal(sc.folder, "/Wartung/N\xc3\xa4" "chte");
    bt_store_schedule_clear(&sc);
}

/* Two processes add to one counter; no increment is lost. */
static void test_counter_add_two_processes(void **state) {
    fixture *f = *state;
    OK(bt_store_counter_set(f->s, "n", 0, &e_));
    enum { ADDS = 300 };
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bt_store *s = NULL;
        bt_error err = {0};
        if (bt_store_open(f->url, &s, &err)) _exit(2);
        for (int i = 0; i < ADDS; i++)
            if (bt_store_counter_add(s, "n", 1, NULL, &err)) _exit(3);
        bt_store_close(s);
        _exit(0);
    }
    for (int i = 0; i < ADDS; i++)
        OK(bt_store_counter_add(f->s, "n", 1, NULL, &e_));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int64_t c = 0;
    OK(bt_store_counter_get(f->s, "n", &c, &e_));
    assert_int_equal(c, 2 * ADDS);
}

/* ---- Retention ------------------------------------------------------ */

static void test_retention(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    use_clock(f, f->s);
    int64_t rid = make_runbook(f->s, "Busy");
    int64_t other_rid = make_runbook(f->s, "Quiet");
    int64_t srv = make_server(f->s, "rs1");
    bt_store_datum d[] = {{0, "a", "1"}};
    /* The oldest instance is still running: it must survive any purge. */
    int64_t running_job = make_job(f->s, rid);
    OK(bt_store_job_set_status(f->s, running_job, BT_JOB_RUNNING, srv, &e_));
    bt_store_instance running = {0};
    OK(bt_store_instance_create(f->s, running_job, srv, &running, &e_));
    int64_t jobs[10];
    for (int i = 0; i < 10; i++) {
        f->now += 1000000;
        jobs[i] = make_job(f->s, rid);
        OK(bt_store_job_set_status(f->s, jobs[i], BT_JOB_RUNNING, srv, &e_));
        bt_store_instance in = {0};
        OK(bt_store_instance_create(f->s, jobs[i], srv, &in, &e_));
        bt_store_activity_spec a = activity(in.id, 1, d, 1);
        OK(bt_store_commit_activity(f->s, srv, &a, NULL, &e_));
        OK(bt_store_instance_finish(f->s, in.id, BT_JOB_COMPLETED,
                                    BT_RESULT_SUCCESS, NULL, &e_));
        OK(bt_store_job_set_status(f->s, jobs[i], BT_JOB_COMPLETED, 0, &e_));
        bt_store_instance_clear(&in);
    }
    /* One finished instance of another runbook, old. */
    int64_t q = make_job(f->s, other_rid);
    OK(bt_store_job_set_status(f->s, q, BT_JOB_RUNNING, srv, &e_));
    bt_store_instance qi = {0};
    OK(bt_store_instance_create(f->s, q, srv, &qi, &e_));
    OK(bt_store_instance_finish(f->s, qi.id, BT_JOB_FAILED, BT_RESULT_FAILED,
                                NULL, &e_));
    bt_store_instance_clear(&qi);

    assert_int_equal(bt_store_purge_instances(f->s, rid, 0, 0, NULL, &err),
                     -BT_EINVAL);
    size_t purged = 0;
    /* Keep the newest 3 of "Busy": 7 finished go, the running one stays. */
    OK(bt_store_purge_instances(f->s, rid, 3, 0, &purged, &e_));
    assert_int_equal(purged, 7);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM instances"), 5);
    assert_int_equal(raw_count(f->raw, "SELECT count(*) FROM activity_data"),
                     3);
    bt_store_job j = {0};
    assert_int_equal(bt_store_job_get(f->s, jobs[0], &j, &err), -BT_ENOTFOUND);
    OK(bt_store_job_get(f->s, jobs[9], &j, &e_));
    bt_store_job_clear(&j);
    OK(bt_store_instance_get(f->s, running.id, &running, &e_));
    /* By age only, across runbooks: what ended before now - 1s, that is
     * the oldest kept "Busy" one (now - 2s). */
    OK(bt_store_purge_instances(f->s, 0, 0, (int64_t)f->now - 1000000,
                                &purged, &e_));
    assert_int_equal(purged, 1);
    OK(bt_store_purge_instances(f->s, 0, 1, (int64_t)f->now + 1, &purged,
                                &e_));
    /* Busy keeps its newest; the next one goes; the running one (older)
     * is never purged. Quiet keeps its only one. */
    assert_int_equal(purged, 1);
    OK(bt_store_instance_get(f->s, running.id, &running, &e_));
    assert_int_equal(running.status, BT_JOB_RUNNING);
    bt_store_instance_clear(&running);

    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "rs1", "old", 0, &e_));
    OK(bt_store_audit_add(f->s, "a", "x", "y", NULL, NULL, &e_));
    f->now += 3600000000ull;
    OK(bt_store_event_add(f->s, BT_SEVERITY_INFO, "rs1", "new", 0, &e_));
    OK(bt_store_audit_add(f->s, "a", "x", "z", NULL, NULL, &e_));
    OK(bt_store_purge_events(f->s, (int64_t)f->now - 60000000, &purged, &e_));
    assert_int_equal(purged, 1);
    OK(bt_store_purge_audit(f->s, (int64_t)f->now - 60000000, &purged, &e_));
    assert_int_equal(purged, 1);
    bt_store_event *ev = NULL;
    size_t n = 0;
    OK(bt_store_event_list(f->s, 0, 0, 10, &ev, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].message, "new");
    bt_store_event_list_free(ev, n);
}

static void test_guid(void **state) {
    (void)state;
    char a[BT_GUID_LEN], b[BT_GUID_LEN];
    bt_store_guid(a);
    bt_store_guid(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    assert_int_equal(a[8], '-');
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}

/* ---- Users, groups, permissions, API tokens ------------------------- */

static void test_users_and_groups(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    bt_store_user alice = {0}, bob = {0}, got = {0};
    OK(bt_store_user_create(f->s, "alice", "$argon2id$v=19$x", false, &alice,
                            &e_));
    assert_true(alice.id > 0);
    assert_string_equal(alice.password_hash, "$argon2id$v=19$x");
    assert_false(alice.is_admin);
    assert_false(alice.disabled);
    OK(bt_store_user_create(f->s, "bob", NULL, true, &bob, &e_));
    assert_string_equal(bob.password_hash, "");
    assert_true(bob.is_admin);
    assert_int_equal(bt_store_user_create(f->s, "alice", "h", false, NULL, &err),
                     -BT_EEXIST);
    assert_non_null(strstr(err.message, "user 'alice' already exists"));
    assert_int_equal(bt_store_user_create(f->s, "", "h", false, NULL, &err),
                     -BT_EINVAL);
    OK(bt_store_user_find(f->s, "bob", &got, &e_));
    assert_int_equal(got.id, bob.id);
    bt_store_user_clear(&got);
    assert_int_equal(bt_store_user_find(f->s, "carol", &got, &err),
                     -BT_ENOTFOUND);
    assert_non_null(strstr(err.message, "user 'carol' does not exist"));

    bt_store_user_changes ch = {.password_hash = "new", .is_admin = -1,
                                .disabled = 1};
    OK(bt_store_user_update(f->s, alice.id, &ch, &e_));
    OK(bt_store_user_get(f->s, alice.id, &got, &e_));
    assert_string_equal(got.name, "alice");
    assert_string_equal(got.password_hash, "new");
    assert_false(got.is_admin);
    assert_true(got.disabled);
    bt_store_user_clear(&got);
    ch = (bt_store_user_changes){.name = "bob", .is_admin = -1, .disabled = -1};
    assert_int_equal(bt_store_user_update(f->s, alice.id, &ch, &err),
                     -BT_EEXIST);
    ch.name = "alice2";
    ch.disabled = 0;
    OK(bt_store_user_update(f->s, alice.id, &ch, &e_));
    assert_int_equal(bt_store_user_update(f->s, 9999, &ch, &err),
                     -BT_ENOTFOUND);
    bt_store_user *users = NULL;
    size_t n = 0;
    OK(bt_store_user_list(f->s, &users, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(users[0].name, "alice2");
    assert_false(users[0].disabled);
    assert_string_equal(users[1].name, "bob");
    bt_store_user_list_free(users, n);
    /* Byte order on both backends, whatever the database's collation. */
    OK(bt_store_user_create(f->s, "Zed", NULL, false, NULL, &e_));
    OK(bt_store_user_list(f->s, &users, &n, &e_));
    assert_int_equal(n, 3);
    assert_string_equal(users[0].name, "Zed");
    assert_string_equal(users[1].name, "alice2");
    bt_store_user_list_free(users, n);

    bt_store_group ops = {0}, g = {0};
    OK(bt_store_group_create(f->s, "operators", "run things", &ops, &e_));
    assert_string_equal(ops.description, "run things");
    assert_int_equal(bt_store_group_create(f->s, "operators", NULL, NULL, &err),
                     -BT_EEXIST);
    OK(bt_store_group_add_member(f->s, ops.id, alice.id, &e_));
    OK(bt_store_group_add_member(f->s, ops.id, alice.id, &e_)); /* no-op */
    OK(bt_store_group_add_member(f->s, ops.id, bob.id, &e_));
    assert_int_equal(bt_store_group_add_member(f->s, ops.id, 9999, &err),
                     -BT_ENOTFOUND);
    OK(bt_store_group_members(f->s, ops.id, &users, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(users[0].name, "alice2");
    bt_store_user_list_free(users, n);
    bt_store_group *groups = NULL;
    OK(bt_store_user_groups(f->s, alice.id, &groups, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(groups[0].name, "operators");
    bt_store_group_list_free(groups, n);
    OK(bt_store_group_remove_member(f->s, ops.id, bob.id, &e_));
    assert_int_equal(bt_store_group_remove_member(f->s, ops.id, bob.id, &err),
                     -BT_ENOTFOUND);
    OK(bt_store_group_update(f->s, ops.id, "ops", NULL, &e_));
    OK(bt_store_group_find(f->s, "ops", &g, &e_));
    assert_string_equal(g.description, "run things");
    bt_store_group_clear(&g);
    OK(bt_store_group_list(f->s, &groups, &n, &e_));
    assert_int_equal(n, 1);
    bt_store_group_list_free(groups, n);

    /* Deleting a user takes its memberships along. */
    OK(bt_store_user_delete(f->s, alice.id, &e_));
    assert_int_equal(bt_store_user_delete(f->s, alice.id, &err), -BT_ENOTFOUND);
    OK(bt_store_group_members(f->s, ops.id, &users, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_user_list_free(users, n);
    OK(bt_store_group_delete(f->s, ops.id, &e_));
    assert_int_equal(bt_store_group_get(f->s, ops.id, &g, &err), -BT_ENOTFOUND);
    bt_store_user_clear(&alice);
    bt_store_user_clear(&bob);
    bt_store_group_clear(&ops);
}

static void test_permissions_inherit(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    bt_store_folder ops = {0}, web = {0}, db = {0}, root = {0};
    OK(bt_store_folder_create(f->s, "/Ops/Web", &web, &e_));
    OK(bt_store_folder_get(f->s, "/Ops", &ops, &e_));
    OK(bt_store_folder_create(f->s, "/Db", &db, &e_));
    OK(bt_store_folder_get(f->s, "/", &root, &e_));
    bt_store_user u = {0}, admin = {0};
    OK(bt_store_user_create(f->s, "dave", "h", false, &u, &e_));
    OK(bt_store_user_create(f->s, "root", "h", true, &admin, &e_));
    bt_store_group grp = {0};
    OK(bt_store_group_create(f->s, "webops", NULL, &grp, &e_));
    OK(bt_store_group_add_member(f->s, grp.id, u.id, &e_));

    unsigned r = 99;
    OK(bt_store_rights(f->s, u.id, web.id, &r, &e_));
    assert_int_equal(r, 0);
    /* Granted on /Ops to the user, on /Ops/Web to the group: both count
     * below, only the first above. */
    OK(bt_store_permission_set(f->s, ops.id, BT_PRINCIPAL_USER, u.id,
                               BT_RIGHT_VIEW, &e_));
    OK(bt_store_permission_set(f->s, web.id, BT_PRINCIPAL_GROUP, grp.id,
                               BT_RIGHT_START | BT_RIGHT_STOP, &e_));
    OK(bt_store_rights(f->s, u.id, web.id, &r, &e_));
    assert_int_equal(r, BT_RIGHT_VIEW | BT_RIGHT_START | BT_RIGHT_STOP);
    OK(bt_store_rights(f->s, u.id, ops.id, &r, &e_));
    assert_int_equal(r, BT_RIGHT_VIEW);
    OK(bt_store_rights(f->s, u.id, db.id, &r, &e_));
    assert_int_equal(r, 0);
    OK(bt_store_permission_set(f->s, root.id, BT_PRINCIPAL_USER, u.id,
                               BT_RIGHT_AUTHOR, &e_));
    OK(bt_store_rights(f->s, u.id, db.id, &r, &e_));
    assert_int_equal(r, BT_RIGHT_AUTHOR);
    /* Set replaces; 0 removes. */
    OK(bt_store_permission_set(f->s, root.id, BT_PRINCIPAL_USER, u.id, 0, &e_));
    OK(bt_store_rights(f->s, u.id, db.id, &r, &e_));
    assert_int_equal(r, 0);
    OK(bt_store_rights(f->s, admin.id, db.id, &r, &e_));
    assert_int_equal(r, BT_RIGHTS_ALL);
    assert_int_equal(bt_store_rights(f->s, u.id, 9999, &r, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_rights(f->s, 9999, db.id, &r, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_permission_set(f->s, 9999, BT_PRINCIPAL_USER,
                                             u.id, 1, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_permission_set(f->s, db.id, BT_PRINCIPAL_GROUP,
                                             9999, 1, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_permission_set(f->s, db.id, BT_PRINCIPAL_USER,
                                             u.id, 64, &err),
                     -BT_EINVAL);

    bt_store_permission *p = NULL;
    size_t n = 0;
    OK(bt_store_permission_list(f->s, 0, &p, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(p[0].folder_path, "/Ops");
    assert_int_equal(p[0].kind, BT_PRINCIPAL_USER);
    assert_string_equal(p[0].principal_name, "dave");
    assert_string_equal(p[1].folder_path, "/Ops/Web");
    assert_string_equal(p[1].principal_name, "webops");
    assert_int_equal(p[1].rights, BT_RIGHT_START | BT_RIGHT_STOP);
    bt_store_permission_list_free(p, n);

    /* A disabled user has none; a removed member loses the group's. */
    bt_store_user_changes ch = {.is_admin = -1, .disabled = 1};
    OK(bt_store_user_update(f->s, u.id, &ch, &e_));
    OK(bt_store_rights(f->s, u.id, web.id, &r, &e_));
    assert_int_equal(r, 0);
    ch.disabled = 0;
    OK(bt_store_user_update(f->s, u.id, &ch, &e_));
    OK(bt_store_group_remove_member(f->s, grp.id, u.id, &e_));
    OK(bt_store_rights(f->s, u.id, web.id, &r, &e_));
    assert_int_equal(r, BT_RIGHT_VIEW);
    /* Deleting the group removes its grants. */
    OK(bt_store_group_delete(f->s, grp.id, &e_));
    OK(bt_store_permission_list(f->s, web.id, &p, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_permission_list_free(p, n);
    bt_store_folder_clear(&ops);
    bt_store_folder_clear(&web);
    bt_store_folder_clear(&db);
    bt_store_folder_clear(&root);
    bt_store_user_clear(&u);
    bt_store_user_clear(&admin);
    bt_store_group_clear(&grp);
}

static void test_api_tokens(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    use_clock(f, f->s);
    bt_store_user u = {0};
    OK(bt_store_user_create(f->s, "erin", "h", false, &u, &e_));
    int64_t t1 = 0, t2 = 0;
    OK(bt_store_token_create(f->s, u.id, "ci", "aa11", 0, &t1, &e_));
    OK(bt_store_token_create(f->s, u.id, "short", "bb22",
                             (int64_t)f->now + 1000000, &t2, &e_));
    assert_int_equal(bt_store_token_create(f->s, u.id, "dup", "aa11", 0, NULL,
                                           &err),
                     -BT_EEXIST);
    assert_int_equal(bt_store_token_create(f->s, 9999, "x", "cc33", 0, NULL,
                                           &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_token_create(f->s, u.id, "x", "", 0, NULL, &err),
                     -BT_EINVAL);

    bt_store_token tok = {0};
    bt_store_user who = {0};
    f->now += 500;
    OK(bt_store_token_lookup(f->s, "aa11", &tok, &who, &e_));
    assert_int_equal(tok.id, t1);
    assert_string_equal(tok.name, "ci");
    assert_string_equal(tok.user_name, "erin");
    assert_int_equal(tok.last_used_us, (int64_t)f->now);
    assert_int_equal(who.id, u.id);
    bt_store_token_clear(&tok);
    bt_store_user_clear(&who);
    assert_int_equal(bt_store_token_lookup(f->s, "zz", &tok, &who, &err),
                     -BT_ENOTFOUND);
    f->now += 2000000;
    assert_int_equal(bt_store_token_lookup(f->s, "bb22", &tok, NULL, &err),
                     -BT_ESTATE);
    if (!strstr(err.message, "API token 'short' (id ") ||
        !strstr(err.message, ") expired at "))
        fail_msg("expired token: %s", err.message);
    /* uses are recorded to the minute, not at every lookup */
    {
        bt_store_token again = {0};
        int64_t before = (int64_t)f->now;
        f->now += 1000;
        OK(bt_store_token_lookup(f->s, "aa11", &again, NULL, &e_));
        assert_int_equal(again.last_used_us, before - 2000000);
        bt_store_token_clear(&again);
        f->now += 60000000;
        OK(bt_store_token_lookup(f->s, "aa11", &again, NULL, &e_));
        assert_int_equal(again.last_used_us, (int64_t)f->now);
        bt_store_token_clear(&again);
    }
    bt_store_user_changes ch = {.is_admin = -1, .disabled = 1};
    OK(bt_store_user_update(f->s, u.id, &ch, &e_));
    assert_int_equal(bt_store_token_lookup(f->s, "aa11", NULL, NULL, &err),
                     -BT_ENOTFOUND);
    assert_non_null(strstr(err.message, "disabled user 'erin'"));

    bt_store_token *list = NULL;
    size_t n = 0;
    OK(bt_store_token_list(f->s, u.id, &list, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, t2); /* newest first */
    assert_int_equal(list[1].last_used_us, (int64_t)f->now);
    bt_store_token_list_free(list, n);
    OK(bt_store_token_delete(f->s, t2, &e_));
    assert_int_equal(bt_store_token_delete(f->s, t2, &err), -BT_ENOTFOUND);
    /* A deleted user's tokens go with it. */
    OK(bt_store_user_delete(f->s, u.id, &e_));
    OK(bt_store_token_list(f->s, 0, &list, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_token_list_free(list, n);
    bt_store_user_clear(&u);
}

/* ---- Check-out, rename, move, delete, GUIDs -------------------------- */

static void test_checkout_checkin(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    int64_t rid = make_runbook(f->s, "Deploy");
    int v = 0;
    assert_int_equal(bt_store_runbook_checkin(f->s, rid, "alice", "name: y\n",
                                              "x", &v, &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "is not checked out"));
    OK(bt_store_runbook_checkout(f->s, rid, "alice", &e_));
    OK(bt_store_runbook_checkout(f->s, rid, "alice", &e_)); /* again: no-op */
    assert_int_equal(bt_store_runbook_checkout(f->s, rid, "bob", &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "checked out by 'alice'"));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_get(f->s, rid, &rb, &e_));
    assert_string_equal(rb.checked_out_by, "alice");
    assert_true(rb.checked_out_us > 0);
    bt_store_runbook_clear(&rb);
    assert_int_equal(bt_store_runbook_checkin(f->s, rid, "bob", "name: y\n",
                                              "x", &v, &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "checked out by 'alice'"));
    assert_int_equal(bt_store_runbook_undo_checkout(f->s, rid, "bob", &err),
                     -BT_ESTATE);
    /* A plain version_add by anyone else is refused too; by the holder it
     * adds a version and keeps the check-out. */
    assert_int_equal(bt_store_version_add(f->s, rid, "name: z\n", "bob", "x",
                                          &v, &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "checked out by a user other than"));
    OK(bt_store_runbook_checkin(f->s, rid, "alice", "name: y\n", "second", &v,
                                &e_));
    assert_int_equal(v, 2);
    OK(bt_store_runbook_get(f->s, rid, &rb, &e_));
    assert_null(rb.checked_out_by);
    assert_int_equal(rb.checked_out_us, 0);
    assert_int_equal(rb.latest_version, 2);
    bt_store_runbook_clear(&rb);
    bt_store_version ver = {0};
    OK(bt_store_version_get(f->s, rid, 0, &ver, &e_));
    assert_string_equal(ver.yaml, "name: y\n");
    assert_string_equal(ver.author, "alice");
    assert_string_equal(ver.comment, "second");
    bt_store_version_clear(&ver);
    /* Undo: by the holder, or by anyone with user NULL. */
    OK(bt_store_runbook_checkout(f->s, rid, "bob", &e_));
    OK(bt_store_runbook_undo_checkout(f->s, rid, "bob", &e_));
    assert_int_equal(bt_store_runbook_undo_checkout(f->s, rid, "bob", &err),
                     -BT_ESTATE);
    OK(bt_store_runbook_checkout(f->s, rid, "carol", &e_));
    OK(bt_store_runbook_undo_checkout(f->s, rid, NULL, &e_));
    assert_int_equal(bt_store_runbook_checkout(f->s, 9999, "bob", &err),
                     -BT_ENOTFOUND);
}

static void test_runbook_rename_move_delete(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    int64_t rid = make_runbook(f->s, "Backup");
    int64_t other = make_runbook(f->s, "Other");
    bt_store_folder dst = {0};
    OK(bt_store_folder_create(f->s, "/Archive", &dst, &e_));
    assert_int_equal(bt_store_runbook_rename(f->s, rid, "Other", &err),
                     -BT_EEXIST);
    assert_int_equal(bt_store_runbook_rename(f->s, rid, "a/b", &err),
                     -BT_EINVAL);
    OK(bt_store_runbook_rename(f->s, rid, "Backup DB", &e_));
    OK(bt_store_runbook_move(f->s, rid, dst.id, &e_));
    assert_int_equal(bt_store_runbook_move(f->s, rid, 9999, &err),
                     -BT_ENOTFOUND);
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_get(f->s, rid, &rb, &e_));
    assert_string_equal(rb.path, "/Archive/Backup DB");
    char guid[BT_GUID_LEN];
    memcpy(guid, rb.guid, sizeof guid);
    bt_store_runbook_clear(&rb);
    /* GUID lookups, in any case. */
    for (char *c = guid; *c; c++) *c = (char)toupper((unsigned char)*c);
    OK(bt_store_runbook_get_guid(f->s, guid, &rb, &e_));
    assert_int_equal(rb.id, rid);
    bt_store_runbook_clear(&rb);
    assert_int_equal(bt_store_runbook_get_guid(f->s, "nope", &rb, &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_runbook_get_guid(
                         f->s, "00000000-0000-4000-8000-000000000000", &rb,
                         &err),
                     -BT_ENOTFOUND);

    /* Soft delete: pending jobs canceled, history kept, name reusable. */
    int64_t job = make_job(f->s, rid);
    OK(bt_store_runbook_delete(f->s, rid, &e_));
    assert_int_equal(bt_store_runbook_delete(f->s, rid, &err), -BT_ENOTFOUND);
    bt_store_job j = {0};
    OK(bt_store_job_get(f->s, job, &j, &e_));
    assert_int_equal(j.status, BT_JOB_CANCELED);
    bt_store_job_clear(&j);
    OK(bt_store_runbook_get(f->s, rid, &rb, &e_));
    assert_true(rb.deleted_us > 0);
    bt_store_runbook_clear(&rb);
    assert_int_equal(bt_store_runbook_find(f->s, dst.id, "Backup DB", &rb,
                                           &err),
                     -BT_ENOTFOUND);
    bt_store_version_list_free(NULL, 0);
    bt_store_version *vers = NULL;
    size_t n = 0;
    OK(bt_store_version_list(f->s, rid, &vers, &n, &e_));
    assert_int_equal(n, 1);
    bt_store_version_list_free(vers, n);
    bt_store_runbook *list = NULL;
    OK(bt_store_runbook_list(f->s, 0, &list, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, other);
    bt_store_runbook_list_free(list, n);
    OK(bt_store_runbook_create(f->s, dst.id, "Backup DB", NULL, NULL, &e_));
    /* A deleted runbook takes no new job and no new version. */
    bt_store_job_spec spec = {.runbook_id = rid, .created_by = "tester"};
    assert_int_equal(bt_store_job_create(f->s, &spec, NULL, &err), -BT_ESTATE);
    assert_non_null(strstr(err.message, "is deleted"));
    int v = 0;
    assert_int_equal(bt_store_version_add(f->s, rid, "name: q\n", "tester",
                                          "x", &v, &err),
                     -BT_ESTATE);
    assert_int_equal(bt_store_runbook_checkout(f->s, rid, "bob", &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "deleted"));
    bt_store_folder_clear(&dst);
}

static void test_folder_rename_move_delete(void **state) {
    fixture *f = *state;
    bt_error err = {0};
    bt_store_folder a = {0}, b = {0}, c = {0}, root = {0}, got = {0};
    OK(bt_store_folder_create(f->s, "/A/B/C", &c, &e_));
    OK(bt_store_folder_get(f->s, "/A", &a, &e_));
    OK(bt_store_folder_get(f->s, "/A/B", &b, &e_));
    OK(bt_store_folder_get(f->s, "/", &root, &e_));
    OK(bt_store_folder_create(f->s, "/X", NULL, &e_));
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(f->s, c.id, "Deep", NULL, &rb, &e_));

    assert_int_equal(bt_store_folder_rename(f->s, root.id, "R", &err),
                     -BT_EINVAL);
    assert_int_equal(bt_store_folder_rename(f->s, a.id, "X", &err),
                     -BT_EEXIST);
    assert_int_equal(bt_store_folder_rename(f->s, a.id, "x/y", &err),
                     -BT_EINVAL);
    OK(bt_store_folder_rename(f->s, a.id, "Alpha", &e_));
    OK(bt_store_folder_get_id(f->s, c.id, &got, &e_));
    assert_string_equal(got.path, "/Alpha/B/C");
    bt_store_folder_clear(&got);
    bt_store_runbook r2 = {0};
    OK(bt_store_runbook_get(f->s, rb.id, &r2, &e_));
    assert_string_equal(r2.path, "/Alpha/B/C/Deep");
    bt_store_runbook_clear(&r2);
    /* Move /Alpha/B under /X; not into itself. */
    assert_int_equal(bt_store_folder_move(f->s, a.id, c.id, &err), -BT_EINVAL);
    bt_store_folder x = {0};
    OK(bt_store_folder_get(f->s, "/X", &x, &e_));
    OK(bt_store_folder_move(f->s, b.id, x.id, &e_));
    OK(bt_store_folder_get_id(f->s, c.id, &got, &e_));
    assert_string_equal(got.path, "/X/B/C");
    bt_store_folder_clear(&got);
    OK(bt_store_folder_get_id(f->s, b.id, &got, &e_));
    assert_int_equal(got.parent_id, x.id);
    bt_store_folder_clear(&got);
    /* /Alpha is empty now: the name "/Alpha/B" is free again. */
    OK(bt_store_folder_create(f->s, "/Alpha/B", NULL, &e_));

    /* Delete: refused when not empty unless recursive. */
    assert_int_equal(bt_store_folder_delete(f->s, x.id, false, &err),
                     -BT_ESTATE);
    assert_non_null(strstr(err.message, "not empty"));
    assert_int_equal(bt_store_folder_delete(f->s, root.id, true, &err),
                     -BT_EINVAL);
    bt_store_user u = {0};
    OK(bt_store_user_create(f->s, "fay", "h", false, &u, &e_));
    OK(bt_store_permission_set(f->s, c.id, BT_PRINCIPAL_USER, u.id, 1, &e_));
    OK(bt_store_folder_delete(f->s, x.id, true, &e_));
    assert_int_equal(bt_store_folder_get(f->s, "/X/B/C", &got, &err),
                     -BT_ENOTFOUND);
    assert_int_equal(bt_store_folder_get(f->s, "/X", &got, &err),
                     -BT_ENOTFOUND);
    OK(bt_store_runbook_get(f->s, rb.id, &r2, &e_));
    assert_true(r2.deleted_us > 0);
    assert_int_equal(r2.folder_id, root.id);
    bt_store_runbook_clear(&r2);
    bt_store_permission *p = NULL;
    size_t n = 0;
    OK(bt_store_permission_list(f->s, 0, &p, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_permission_list_free(p, n);
    /* An empty folder goes without recursive. */
    OK(bt_store_folder_get(f->s, "/Alpha/B", &got, &e_));
    OK(bt_store_folder_delete(f->s, got.id, false, &e_));
    bt_store_folder_clear(&got);
    bt_store_folder_clear(&a);
    bt_store_folder_clear(&b);
    bt_store_folder_clear(&c);
    bt_store_folder_clear(&x);
    bt_store_folder_clear(&root);
    bt_store_runbook_clear(&rb);
    bt_store_user_clear(&u);
}

/* The change counters (migration 5) move with every write to what they
 * cover, from any handle, and not with what they do not cover (a
 * heartbeat, a job on PostgreSQL, an event). */
static bt_store_changes changes(bt_store *s) {
    bt_store_changes c;
    OK(bt_store_changes_read(s, &c, &e_));
    return c;
}

static void test_change_counters(void **state) {
    fixture *f = *state;
    bt_store *other = open_or_fail(f->url); /* another writer */
    bt_store_changes c0 = changes(f->s);
    assert_true(c0.catalog >= 0 && c0.purge >= 0);
    if (pg_base()) assert_int_equal(c0.jobs, -1);
    else assert_true(c0.jobs >= 0);

    bt_store_folder fo = {0};
    OK(bt_store_folder_create(other, "/Counted", &fo, &e_));
    bt_store_changes c1 = changes(f->s);
    assert_true(c1.catalog > c0.catalog);
    assert_int_equal(c1.purge, c0.purge);
    bt_store_runbook rb = {0};
    OK(bt_store_runbook_create(other, fo.id, "R", NULL, &rb, &e_));
    int v = 0;
    OK(bt_store_version_add(other, rb.id, "name: R\nactivities:\n  - {id: a, "
                                          "type: initialize-data}\n",
                            "t", NULL, &v, &e_));
    bt_store_changes c2 = changes(f->s);
    assert_true(c2.catalog > c1.catalog);
    bt_store_user u = {0};
    OK(bt_store_user_create(other, "counted", "", false, &u, &e_));
    bt_store_changes c3 = changes(f->s);
    assert_true(c3.catalog > c2.catalog);
    OK(bt_store_permission_set(other, fo.id, BT_PRINCIPAL_USER, u.id,
                               BT_RIGHT_VIEW, &e_));
    bt_store_changes c4 = changes(f->s);
    assert_true(c4.catalog > c3.catalog);
    OK(bt_store_runbook_rename(other, rb.id, "R2", &e_));
    bt_store_changes c5 = changes(f->s);
    assert_true(c5.catalog > c4.catalog);

    /* a server coming counts; its heartbeats do not */
    int64_t sid = 0;
    OK(bt_store_server_register(other, "counted-srv", "t", 60000, &sid, &e_));
    bt_store_changes c6 = changes(f->s);
    assert_true(c6.catalog > c5.catalog);
    OK(bt_store_server_heartbeat(other, sid, 60000, &e_));
    OK(bt_store_event_add(other, BT_SEVERITY_INFO, "test", "hello", 0, &e_));
    bt_store_changes c7 = changes(f->s);
    assert_int_equal(c7.catalog, c6.catalog);
    assert_int_equal(c7.jobs, c6.jobs);

    /* jobs: counted on SQLite only; the catalog stays */
    bt_store_job_spec spec = {.runbook_id = rb.id, .created_by = "t"};
    bt_store_job job = {0};
    OK(bt_store_job_create(other, &spec, &job, &e_));
    bt_store_changes c8 = changes(f->s);
    assert_int_equal(c8.catalog, c7.catalog);
    if (pg_base()) assert_int_equal(c8.jobs, -1);
    else assert_true(c8.jobs > c7.jobs);
    OK(bt_store_job_set_status(other, job.id, BT_JOB_RUNNING, sid, &e_));
    bt_store_instance in = {0};
    OK(bt_store_instance_create(other, job.id, sid, &in, &e_));
    OK(bt_store_instance_finish(other, in.id, BT_JOB_COMPLETED,
                                BT_RESULT_SUCCESS, NULL, &e_));
    OK(bt_store_job_set_status(other, job.id, BT_JOB_COMPLETED, sid, &e_));
    bt_store_changes c9 = changes(f->s);
    if (!pg_base()) assert_true(c9.jobs > c8.jobs);
    assert_int_equal(c9.purge, c0.purge);

    /* a purge: the instance and its job go */
    size_t purged = 0;
    OK(bt_store_purge_instances(other, 0, 0, (int64_t)bt_store_now(other) + 1000000,
                                &purged, &e_));
    assert_int_equal(purged, 1);
    bt_store_changes c10 = changes(f->s);
    assert_true(c10.purge > c9.purge);
    assert_true(c10.catalog >= c9.catalog);

    /* a group's writes count once committed, and not when rolled back */
    OK(bt_store_begin(other, &e_));
    OK(bt_store_folder_create(other, "/Rolled", NULL, &e_));
    bt_store_rollback(other);
    assert_int_equal(changes(f->s).catalog, c10.catalog);

    bt_store_instance_clear(&in);
    bt_store_job_clear(&job);
    bt_store_user_clear(&u);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&fo);
    bt_store_close(other);
}

/* Windows of every runbook and activity instance in GUID order, as the
 * OData feeds page them: order, offset, limit, the runbooks filter, the
 * parents, the counts. */
static void test_instance_windows(void **state) {
    fixture *f = *state;
    int64_t r1 = make_runbook(f->s, "W1"), r2 = make_runbook(f->s, "W2");
    int64_t srv = make_server(f->s, "rs1");
    char guids[6][BT_GUID_LEN], jobs[6][BT_GUID_LEN];
    bt_store_datum d[] = {{0, "k", "v"}};
    for (int k = 0; k < 6; k++) {
        int64_t job = make_job(f->s, k < 4 ? r1 : r2);
        OK(bt_store_job_set_status(f->s, job, BT_JOB_RUNNING, srv, &e_));
        bt_store_job j = {0};
        OK(bt_store_job_get(f->s, job, &j, &e_));
        snprintf(jobs[k], sizeof jobs[k], "%s", j.guid);
        bt_store_job_clear(&j);
        bt_store_instance in = {0};
        OK(bt_store_instance_create(f->s, job, srv, &in, &e_));
        snprintf(guids[k], sizeof guids[k], "%s", in.guid);
        bt_store_activity_spec a = activity(in.id, 1, d, 1);
        OK(bt_store_commit_activity(f->s, srv, &a, NULL, &e_));
        if (k % 2)
            OK(bt_store_instance_finish(f->s, in.id, BT_JOB_COMPLETED,
                                        BT_RESULT_SUCCESS, "{\"o\": 1}", &e_));
        bt_store_instance_clear(&in);
    }
    bt_store_window w = {0};
    bt_store_instance *items = NULL;
    bt_store_parent *par = NULL;
    size_t n = 0;
    OK(bt_store_instance_window(f->s, &w, &items, &par, &n, &e_));
    assert_int_equal(n, 6);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(items[i - 1].guid, items[i].guid) < 0);
    for (size_t i = 0; i < n; i++) {
        int k = 0;
        while (k < 6 && strcmp(guids[k], items[i].guid)) k++;
        assert_true(k < 6);
        assert_string_equal(par[i].guid, jobs[k]);
        assert_int_equal(items[i].runbook_id, k < 4 ? r1 : r2);
        assert_int_equal(items[i].server_id, srv);
        if (k % 2) {
            assert_int_equal(items[i].status, BT_JOB_COMPLETED);
            assert_string_equal(items[i].return_data, "{\"o\": 1}");
        } else {
            assert_int_equal(items[i].status, BT_JOB_RUNNING);
            assert_null(items[i].return_data);
        }
    }
    char second[BT_GUID_LEN], last[BT_GUID_LEN];
    snprintf(second, sizeof second, "%s", items[1].guid);
    snprintf(last, sizeof last, "%s", items[5].guid);
    bt_store_instance_list_free(items, n);
    free(par);
    /* a window, backwards, of one runbook */
    w = (bt_store_window){.offset = 1, .limit = 2};
    OK(bt_store_instance_window(f->s, &w, &items, &par, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(items[0].guid, second);
    bt_store_instance_list_free(items, n);
    free(par);
    w = (bt_store_window){.desc = true, .limit = 1};
    OK(bt_store_instance_window(f->s, &w, &items, &par, &n, &e_));
    assert_int_equal(n, 1);
    assert_string_equal(items[0].guid, last);
    bt_store_instance_list_free(items, n);
    free(par);
    char ids[64];
    snprintf(ids, sizeof ids, ",%lld,", (long long)r2);
    w = (bt_store_window){.runbook_ids = ids};
    uint64_t count = 0;
    OK(bt_store_instance_window_count(f->s, &w, &count, &e_));
    assert_int_equal(count, 2);
    OK(bt_store_activity_window_count(f->s, &w, &count, &e_));
    assert_int_equal(count, 2);
    w = (bt_store_window){.runbook_ids = ","};
    OK(bt_store_instance_window_count(f->s, &w, &count, &e_));
    assert_int_equal(count, 0);
    /* by state: three running, three ended with success, none failed */
    static const struct {
        bt_store_instance_state st;
        size_t n;
    } states[] = {{BT_INSTANCE_RUNNING, 3}, {BT_INSTANCE_SUCCEEDED, 3},
                  {BT_INSTANCE_FAILED, 0}, {BT_INSTANCE_CANCELED, 0}};
    for (size_t k = 0; k < BT_ARRAY_LEN(states); k++) {
        w = (bt_store_window){.state = states[k].st};
        OK(bt_store_instance_window_count(f->s, &w, &count, &e_));
        assert_int_equal(count, states[k].n);
        OK(bt_store_instance_window(f->s, &w, &items, &par, &n, &e_));
        assert_int_equal(n, states[k].n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(bt_store_instance_state_of(&items[i]),
                             states[k].st);
        bt_store_instance_list_free(items, n);
        free(par);
    }
    w = (bt_store_window){.state = BT_INSTANCE_RUNNING, .runbook_ids = ids};
    OK(bt_store_instance_window_count(f->s, &w, &count, &e_));
    assert_int_equal(count, 1); /* k = 4 */
    w = (bt_store_window){.server_id = srv};
    OK(bt_store_instance_window_count(f->s, &w, &count, &e_));
    assert_int_equal(count, 6);
    w.server_id = srv + 1000;
    OK(bt_store_instance_window(f->s, &w, &items, &par, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_instance_list_free(items, n);
    free(par);
    bt_error err = {0};
    assert_int_equal(bt_store_activity_window_count(f->s, &w, &count, &err),
                     -BT_EINVAL);
    /* activity instances, with their instance as parent, no data */
    bt_store_activity *acts = NULL;
    w = (bt_store_window){.runbook_ids = ids, .desc = true};
    OK(bt_store_activity_window(f->s, &w, &acts, &par, &n, &e_));
    assert_int_equal(n, 2);
    assert_true(strcmp(acts[0].guid, acts[1].guid) > 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(!strcmp(par[i].guid, guids[4]) ||
                    !strcmp(par[i].guid, guids[5]));
        assert_int_equal(par[i].runbook_id, r2);
        assert_string_equal(acts[i].activity_id, "step");
        assert_int_equal(acts[i].seq, 1);
        assert_int_equal(acts[i].start_us, 1000);
        assert_int_equal(acts[i].n_data, 0);
    }
    bt_store_activity_list_free(acts, n);
    free(par);
    w = (bt_store_window){.offset = 100};
    OK(bt_store_activity_window(f->s, &w, &acts, &par, &n, &e_));
    assert_int_equal(n, 0);
    bt_store_activity_list_free(acts, n);
    free(par);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_open_is_idempotent),
        T(test_concurrent_first_open),
        T(test_newer_schema_refused),
        T(test_corrupt_file),
        T(test_foreign_database),
        T(test_missing_directory),
        T(test_bad_urls),
        T(test_folders),
        T(test_folders_concurrent),
        T(test_runbooks_and_versions),
        T(test_job_lifecycle),
        T(test_job_list_paging),
        T(test_job_select),
        T(test_instance_windows),
        T(test_claim_two_handles),
        T(test_claim_two_processes),
        T(test_concurrency_limit_queues),
        T(test_claim_limit_processes),
        T(test_preferred_servers),
        T(test_instances),
        T(test_commit_activity_roundtrip),
        T(test_commit_activity_atomic),
        T(test_sigkill_loses_nothing),
        T(test_group_commit),
        T(test_disk_full),
        T(test_notifications),
        T(test_connection_lost),
        T(test_lock_timeout),
        T(test_servers),
        T(test_lease_takeover),
        T(test_takeover_processes),
        T(test_events_and_audit),
        T(test_variables_counters_schedules),
        T(test_setting_folders),
        T(test_counter_add_two_processes),
        T(test_retention),
        T(test_users_and_groups),
        T(test_permissions_inherit),
        T(test_api_tokens),
        T(test_checkout_checkin),
        T(test_runbook_rename_move_delete),
        T(test_folder_rename_move_delete),
        T(test_change_counters),
        cmocka_unit_test(test_guid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
