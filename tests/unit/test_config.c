/* batond's settings: defaults, the precedence flag > BATON_* environment >
 * config file > default, every kind of bad value refused with a message
 * naming where it came from, and the samples loader on a real database
 * (loaded once, never into a database that has runbooks, all or nothing). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "harness.h"
#include "server/config.h"
#include "server/samples.h"
#include "store/store.h"

static const char *const ENV_NAMES[] = {
    "BATON_CONFIG",  "BATON_ROLES",     "BATON_DATA_DIR",   "BATON_DB",
    "BATON_WEB_PORT", "BATON_CONSOLE_PORT", "BATON_MGMT_PORT", "BATON_BIND",
    "BATON_NAME",    "BATON_THROTTLE",  "BATON_HEARTBEAT",  "BATON_GRACE",
    "BATON_SAMPLES", "BATON_SAMPLES_DIR", "STATE_DIRECTORY",
    "BATON_WEB_URL", "BATON_MGMT_URL"};

static char *dir;

static int setup(void **state) {
    for (size_t i = 0; i < BT_ARRAY_LEN(ENV_NAMES); i++) unsetenv(ENV_NAMES[i]);
    dir = bt_harness_tmpdir();
    return 0;
}

static int teardown(void **state) {
    char *cmd = bt_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
    for (size_t i = 0; i < BT_ARRAY_LEN(ENV_NAMES); i++) unsetenv(ENV_NAMES[i]);
    return 0;
}

/* load("--web-port", "9", NULL): argv[0] is "batond". */
static int load(bt_config *cfg, bt_error *err, ...) {
    char *argv[32] = {"batond"};
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) && argc < 31;) argv[argc++] = a;
    va_end(ap);
    return bt_config_load(cfg, argc, argv, err);
}

static char *write_file(const char *name, const char *text) {
    char *path = bt_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_defaults(void **state) {
    bt_config c;
    bt_error err = {0};
    char *dd = bt_xasprintf("--data-dir=%s/data", dir);
    assert_int_equal(load(&c, &err, dd, NULL), 0);
    assert_int_equal(c.roles, BT_ROLE_ALL);
    assert_int_equal(c.web_port, 81);
    assert_int_equal(c.console_port, 82);
    assert_int_equal(c.mgmt_port, 135);
    assert_int_equal(c.throttle, 1000);
    assert_int_equal(c.heartbeat_ms, 2000);
    assert_int_equal(c.grace_ms, 10000);
    assert_int_equal(c.purge_at, 120);
    assert_int_equal(c.keep_instances, 500);
    assert_int_equal(c.keep_days, 0);
    assert_int_equal(c.events_days, 30);
    assert_int_equal(c.audit_days, 365);
    assert_false(c.samples);
    assert_null(c.bind);
    assert_non_null(c.name);
    char *db = bt_xasprintf("sqlite:%s/data/baton.db", dir);
    assert_string_equal(c.db, db);
    free(db);
    free(dd);
    bt_config_clear(&c);
    bt_config_clear(NULL);
}

static void test_default_data_dir(void **state) {
    setenv("STATE_DIRECTORY", "/var/lib/baton-unit:/var/lib/other", 1);
    char *d = bt_config_default_data_dir();
    assert_string_equal(d, "/var/lib/baton-unit");
    free(d);
    unsetenv("STATE_DIRECTORY");
    d = bt_config_default_data_dir();
    if (geteuid() == 0) assert_string_equal(d, "/var/lib/baton");
    else assert_non_null(strstr(d, "baton"));
    free(d);
}

static void test_precedence(void **state) {
    char *file = write_file("baton.conf",
                            "# comment\n"
                            "web_port = 9001\n"
                            "console-port=9011   # dashes work too\n"
                            "mgmt_port = 9021\n"
                            "name = from-file\n"
                            "samples = yes\n");
    setenv("BATON_CONFIG", file, 1);
    setenv("BATON_WEB_PORT", "9002", 1);
    setenv("BATON_CONSOLE_PORT", "9012", 1);
    bt_config c;
    bt_error err = {0};
    assert_int_equal(load(&c, &err, "--web-port", "9003", NULL), 0);
    assert_int_equal(c.web_port, 9003);     /* flag */
    assert_int_equal(c.console_port, 9012); /* environment */
    assert_int_equal(c.mgmt_port, 9021);    /* file */
    assert_string_equal(c.name, "from-file");
    assert_true(c.samples);
    assert_string_equal(c.config_file, file);
    bt_config_clear(&c);

    /* --config beats BATON_CONFIG */
    char *other = write_file("other.conf", "mgmt_port = 9022\n");
    char *flag = bt_xasprintf("--config=%s", other);
    assert_int_equal(load(&c, &err, flag, NULL), 0);
    assert_int_equal(c.mgmt_port, 9022);
    bt_config_clear(&c);
    free(flag);
    free(other);
    free(file);
}

static void test_roles_and_kinds(void **state) {
    bt_config c;
    bt_error err = {0};
    assert_int_equal(load(&c, &err, "--roles", "web, runbook-server",
                          "--heartbeat=500ms", "--grace", "1m", "--throttle",
                          "8", "--bind", "::1", "--samples-dir", "/x", NULL),
                     0);
    assert_int_equal(c.roles, BT_ROLE_WEB | BT_ROLE_RUNBOOK_SERVER);
    char text[96];
    bt_config_roles_text(c.roles, text, sizeof text);
    assert_string_equal(text, "runbook-server,web");
    assert_int_equal(c.heartbeat_ms, 500);
    assert_int_equal(c.grace_ms, 60000);
    assert_int_equal(c.throttle, 8);
    assert_string_equal(c.bind, "::1");
    assert_true(c.samples); /* implied by --samples-dir */
    bt_config_clear(&c);

    assert_int_equal(load(&c, &err, "--purge-at", "23:45", "--keep-instances",
                          "0", "--keep-days=90", "--events-days", "0",
                          "--audit-days", "7", NULL),
                     0);
    assert_int_equal(c.purge_at, 23 * 60 + 45);
    assert_int_equal(c.keep_instances, 0);
    assert_int_equal(c.keep_days, 90);
    assert_int_equal(c.events_days, 0);
    assert_int_equal(c.audit_days, 7);
    bt_config_clear(&c);
    assert_int_equal(load(&c, &err, "--purge-at=off", NULL), 0);
    assert_int_equal(c.purge_at, -1);
    bt_config_clear(&c);
}

/* Each bad input: the load fails with EINVAL and err names the place. */
static void expect_bad(const char *want, ...) {
    char *argv[16] = {"batond"};
    int argc = 1;
    va_list ap;
    va_start(ap, want);
    for (char *a; (a = va_arg(ap, char *)) && argc < 15;) argv[argc++] = a;
    va_end(ap);
    bt_config c;
    bt_error err = {0};
    assert_int_equal(bt_config_load(&c, argc, argv, &err), -BT_EINVAL);
    if (!strstr(err.message, want))
        fail_msg("expected '%s' in: %s", want, err.message);
    bt_config_clear(&c);
}

static void test_bad_values(void **state) {
    expect_bad("--web-port: '0' is not a TCP port", "--web-port", "0", NULL);
    expect_bad("--web-port: '70000'", "--web-port=70000", NULL);
    expect_bad("--throttle: 'many'", "--throttle", "many", NULL);
    expect_bad("--heartbeat: '0'", "--heartbeat", "0", NULL);
    expect_bad("--purge-at: '24:00' is not a time of day", "--purge-at",
               "24:00", NULL);
    expect_bad("--purge-at: '2am'", "--purge-at", "2am", NULL);
    expect_bad("--purge-at: '02:00x'", "--purge-at", "02:00x", NULL);
    expect_bad("--keep-instances: '-1'", "--keep-instances", "-1", NULL);
    expect_bad("--roles: 'webb' is not a list of roles", "--roles", "webb",
               NULL);
    expect_bad("--bind: 'localhost' is not an IPv4 or IPv6 address",
               "--bind", "localhost", NULL);
    expect_bad("unknown option '--port'", "--port", "1", NULL);
    expect_bad("--db: needs a value", "--db", NULL);
    expect_bad("--samples takes no value", "--samples=yes", NULL);
    expect_bad("unexpected argument 'web'", "web", NULL);
    setenv("BATON_MGMT_PORT", "x", 1);
    expect_bad("BATON_MGMT_PORT: 'x' is not a TCP port", NULL);
    unsetenv("BATON_MGMT_PORT");

    char *file = write_file("bad.conf", "web_port = 81\nwebport = 82\n");
    char *flag = bt_xasprintf("--config=%s", file);
    char *want = bt_xasprintf("%s:2: unknown setting 'webport'", file);
    expect_bad(want, flag, NULL);
    free(want);
    free(file);
    file = write_file("bad2.conf", "\n\nthrottle 5\n");
    free(flag);
    flag = bt_xasprintf("--config=%s", file);
    want = bt_xasprintf("%s:3: expected 'key = value'", file);
    expect_bad(want, flag, NULL);
    free(want);
    free(flag);
    free(file);
    expect_bad("config file '/nonexistent/baton.conf'", "--config",
               "/nonexistent/baton.conf", NULL);
}

/* web_url and mgmt_url go into the console's Content-Security-Policy: only
 * an origin (scheme, host, port) is accepted, a trailing '/' dropped. */
static void test_console_urls(void **state) {
    bt_config c;
    bt_error err = {0};
    assert_int_equal(load(&c, &err, "--web-url", "https://baton.example:81/",
                          "--mgmt-url=http://[::1]:135", NULL),
                     0);
    assert_string_equal(c.web_url, "https://baton.example:81");
    assert_string_equal(c.mgmt_url, "http://[::1]:135");
    bt_config_clear(&c);
    assert_int_equal(load(&c, &err, NULL), 0);
    assert_null(c.web_url);
    assert_null(c.mgmt_url);
    bt_config_clear(&c);
    expect_bad("--web-url: 'baton.example:81' is not a URL like "
               "https://baton.example:81",
               "--web-url", "baton.example:81", NULL);
    expect_bad("--web-url: 'http://h:81/api'", "--web-url", "http://h:81/api",
               NULL);
    expect_bad("--mgmt-url: 'http://h:1 x'", "--mgmt-url", "http://h:1 x",
               NULL);
    expect_bad("--mgmt-url: 'http://h;'", "--mgmt-url", "http://h;", NULL);
    expect_bad("--web-url: 'https://'", "--web-url", "https://", NULL);
}

/* ---- samples ---------------------------------------------------------- */

static bt_store *open_db(const char *name) {
    char *url = bt_xasprintf("sqlite:%s/%s", dir, name);
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(url, &s, &err)) fail_msg("%s", err.message);
    free(url);
    return s;
}

static size_t count_runbooks(bt_store *s) {
    bt_store_runbook *items = NULL;
    size_t n = 0;
    assert_int_equal(bt_store_runbook_list(s, 0, &items, &n, NULL), 0);
    bt_store_runbook_list_free(items, n);
    return n;
}

static void test_bundled_samples_once(void **state) {
    assert_true(bt_samples_bundled_count >= 9);
    bt_store *s = open_db("a.db");
    size_t loaded = 0;
    bool skipped = true;
    bt_error err = {0};
    assert_int_equal(bt_samples_load(s, NULL, NULL, &loaded, &skipped, &err),
                     0);
    assert_int_equal(loaded, bt_samples_bundled_count);
    assert_false(skipped);
    assert_int_equal(count_runbooks(s), bt_samples_bundled_count);

    /* the Hello sample: root folder, version 1 holding the file's text */
    bt_store_folder root = {0};
    assert_int_equal(bt_store_folder_get(s, "/", &root, &err), 0);
    bt_store_runbook rb = {0};
    assert_int_equal(bt_store_runbook_find(s, root.id, "Hello", &rb, &err), 0);
    bt_store_folder_clear(&root);
    assert_string_equal(rb.path, "/Hello");
    assert_int_equal(rb.latest_version, 1);
    bt_store_version v = {0};
    assert_int_equal(bt_store_version_get(s, rb.id, 0, &v, &err), 0);
    assert_non_null(strstr(v.yaml, "name: Hello"));
    bt_store_version_clear(&v);
    bt_store_runbook_clear(&rb);

    assert_int_equal(bt_samples_load(s, NULL, NULL, &loaded, &skipped, &err),
                     0);
    assert_true(skipped);
    assert_int_equal(loaded, 0);
    assert_int_equal(count_runbooks(s), bt_samples_bundled_count);
    bt_store_close(s);
}

static void test_samples_dir(void **state) {
    char *sub = bt_xasprintf("%s/rb", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char *a = bt_xasprintf("rb/a.runbook.yaml");
    free(write_file(a, "name: A\nfolder: /X/Y\nactivities:\n"
                       "  - {id: start, type: initialize-data}\n"));
    free(write_file("rb/b.runbook.json",
                    "{\"name\": \"B\", \"activities\": "
                    "[{\"id\": \"s\", \"type\": \"initialize-data\"}]}"));
    free(write_file("rb/notes.txt", "ignored"));
    bt_store *s = open_db("b.db");
    size_t loaded = 0;
    bool skipped = false;
    bt_error err = {0};
    if (bt_samples_load(s, sub, NULL, &loaded, &skipped, &err))
        fail_msg("%s", err.message);
    assert_int_equal(loaded, 2);
    bt_store_folder f = {0};
    assert_int_equal(bt_store_folder_get(s, "/X/Y", &f, &err), 0);
    bt_store_folder_clear(&f);
    bt_store_close(s);

    /* one bad file: nothing is loaded, and the message names the file */
    free(write_file("rb/c.runbook.yaml", "name: C\nactivities: 5\n"));
    s = open_db("c.db");
    assert_int_equal(bt_samples_load(s, sub, NULL, &loaded, &skipped, &err),
                     -BT_EINVAL);
    assert_non_null(strstr(err.message, "c.runbook.yaml"));
    assert_int_equal(loaded, 0);
    assert_int_equal(count_runbooks(s), 0);

    /* an empty directory says so */
    char *empty = bt_xasprintf("%s/empty", dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    assert_int_equal(bt_samples_load(s, empty, NULL, &loaded, &skipped, &err),
                     -BT_ENOTFOUND);
    assert_non_null(strstr(err.message, "holds no"));
    bt_store_close(s);
    free(empty);
    free(a);
    free(sub);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_data_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundled_samples_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_samples_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
