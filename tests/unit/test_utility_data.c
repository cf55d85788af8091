/* Data utility activities run through the loader and the engine against
 * real files: query-json, query-xml, apply-xslt, write-web-page,
 * query-database and write-to-database (SQLite here; PostgreSQL when
 * BATON_TEST_STORE_URL names a server, see unit.test_utility_data_pg). */
#include <stdlib.h>
#include <string.h>

#include "activity_support.h"
#include "common/util.h"
#include "fixture_server.h"

static void query_json_text(void **state) {
    (void)state;
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-json",
        "path: '$.items[*].name', text: '{\"items\": [{\"name\": \"a\"}, "
        "{\"name\": \"b\", \"n\": 2}, {\"n\": 3}]}'");
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 0, "value"), "a");
    assert_string_equal(act_field(rec, 1, "value"), "b");
    assert_string_equal(act_field(rec, 1, "match_index"), "2");
    assert_string_equal(act_field(rec, 0, "match_count"), "2");
    assert_string_equal(act_field(rec, 0, "type"), "string");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "query-json",
                   "path: '$.a[-1]', text: '{\"a\": [1, {\"x\": [true]}]}'");
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "{\"x\":[true]}");
    assert_string_equal(act_field(rec, 0, "type"), "object");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "query-json",
                   "path: \"$..id\", text: '{\"id\": 1, \"c\": [{\"id\": 2}, "
                   "{\"d\": {\"id\": null}}], \"odd key\": 5}'");
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 3);
    assert_string_equal(act_field(rec, 2, "value"), "null");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "query-json",
                   "path: \"$['odd key']\", text: '{\"odd key\": 5.5}'");
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "5.5");
    assert_string_equal(act_field(rec, 0, "type"), "number");
    bt_harness_run_free(&run);

    /* No match: no rows; fail_if_none makes it an error. */
    rec = act_run1(&run, "query-json", "path: '$.zz', text: '{}'");
    act_expect_ok(rec);
    assert_int_equal(bt_harness_record_count(&run, "a"), 1);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-json",
                   "path: '$.zz', text: '{}', fail_if_none: true");
    act_expect_fail(rec, "matches nothing");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "query-json", "path: '$.a[', text: '{}'");
    act_expect_fail(rec, "is not valid");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-json", "path: '$.a', text: '{nope'");
    act_expect_fail(rec, "is not JSON");
    bt_harness_run_free(&run);
}

static void query_json_file(void **state) {
    char *f = act_path(*state, "doc.json");
    bt_harness_write_file(f, "{\"servers\": [{\"host\": \"web01\"}, "
                             "{\"host\": \"web02\"}]}");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-json", "path: '$.servers[1].host', file: '%s'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "web02");
    bt_harness_run_free(&run);
    char *missing = act_path(*state, "missing.json");
    rec = act_run1(&run, "query-json", "path: '$', file: '%s'", missing);
    act_expect_fail(rec, "missing.json");
    bt_harness_run_free(&run);
    free(missing);
    free(f);
}


/* ---- databases ---------------------------------------------------------- */

/* Runs write-to-database then query-database on conn; placeholders p1/p2
 * are "?1"/"?2" for SQLite and "$1"/"$2" for PostgreSQL. */
static void db_roundtrip(const char *conn, const char *table, const char *p1,
                         const char *p2) {
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "write-to-database",
        "connection: '%s', create: true, statement: 'CREATE TABLE %s (id "
        "integer, name text, note text)'",
        conn, table);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    /* Values from upstream data are bound, never pasted into the SQL. */
    char *yaml = bt_xasprintf(
        "name: t\n"
        "parameters: [{name: v}]\n"
        "activities:\n"
        "  - {id: start, type: initialize-data}\n"
        "  - id: w\n"
        "    type: write-to-database\n"
        "    properties:\n"
        "      connection: '%s'\n"
        "      statement: 'INSERT INTO %s (id, name, note) VALUES (1, %s, "
        "NULL), (2, %s, ''two'')'\n"
        "      parameters: ['{start.v}', 'plain']\n"
        "  - id: q\n"
        "    type: query-database\n"
        "    publishes: [id, name, note]\n"
        "    properties:\n"
        "      connection: '%s'\n"
        "      query: 'SELECT id, name, note FROM %s WHERE id >= %s ORDER BY "
        "id'\n"
        "      parameters: [1]\n"
        "  - {id: each, type: compare-values, properties: {left: '{q.name}'}}\n"
        "links: [{from: start, to: w}, {from: w, to: q}, {from: q, to: each}]\n",
        conn, table, p1, p2, conn, table, p1);
    const char *params[] = {"v=x'); DROP TABLE t; --", NULL};
    assert_int_equal(bt_harness_run_yaml(yaml, params, &run), 0);
    free(yaml);
    rec = bt_harness_record(&run, "w", 0);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "rows_affected"), "2");
    rec = bt_harness_record(&run, "q", 0);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 0, "id"), "1");
    assert_string_equal(act_field(rec, 0, "name"), "x'); DROP TABLE t; --");
    assert_string_equal(act_field(rec, 0, "note"), "");
    assert_string_equal(act_field(rec, 1, "note"), "two");
    assert_string_equal(act_field(rec, 1, "row_number"), "2");
    assert_string_equal(act_field(rec, 0, "row_count"), "2");
    /* One run of the next activity per row. */
    assert_int_equal(bt_harness_record_count(&run, "each"), 2);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "write-to-database",
                   "connection: '%s', statement: 'UPDATE %s SET note = %s', "
                   "parameters: [n]",
                   conn, table, p1);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "rows_affected"), "2");
    bt_harness_run_free(&run);

    /* No rows: nothing published, or a failure when asked. */
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELECT * FROM %s WHERE id = %s', "
                   "parameters: [99], fail_if_none: true",
                   conn, table, p1);
    act_expect_fail(rec, "returned no rows");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELECT 1 AS status'", conn);
    act_expect_fail(rec, "rename it with AS");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELECT * FROM %s', max_rows: 1",
                   conn, table);
    act_expect_fail(rec, "more than max_rows (1)");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELEC nonsense'", conn);
    act_expect_fail(rec, "'SELEC nonsense' on '");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "write-to-database",
                   "connection: '%s', statement: 'DROP TABLE %s'", conn,
                   table);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
}

static void database_sqlite(void **state) {
    char *file = act_path(*state, "app.db");
    db_roundtrip(file, "t", "?1", "?2");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-database",
        "connection: '%s', query: 'SELECT ?1 AS a', parameters: [1, 2]",
        file);
    act_expect_fail(rec, "has 1 parameter but 2 were given");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELECT 1 AS a; DELETE FROM x'",
                   file);
    act_expect_fail(rec, "give one statement");
    bt_harness_run_free(&run);
    char *missing = act_path(*state, "none.db");
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELECT 1 AS a'", missing);
    act_expect_fail(rec, "cannot open");
    assert_false(act_exists(missing));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-database",
                   "connection: 'oracle://h/db', query: 'SELECT 1 AS a'");
    act_expect_fail(rec, "only postgresql://");
    bt_harness_run_free(&run);
    free(missing);
    free(file);
}

/* MariaDB: a throw-away server started by the test
 * (tests/unit/fixtures/mariadb_server.sh). */
static void database_mariadb(void **state) {
    (void)state;
    fixture_server srv = {0};
    if (!fixture_start(&srv, "mariadb_server.sh", NULL, NULL, NULL)) {
        fprintf(stderr, "skipped: mariadb-server is not installed\n");
        skip();
    }
    char *url = bt_xasprintf("mysql://baton:baton@127.0.0.1:%d/test",
                             srv.port);
    db_roundtrip(url, "t", "?", "?");
    /* A long value comes back whole. */
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-database",
        "connection: '%s', query: 'SELECT REPEAT(?, 1000) AS long_text, "
        "NULL AS nothing, 42 AS n', parameters: [abcd]",
        url);
    act_expect_ok(rec);
    assert_int_equal(strlen(act_field(rec, 0, "long_text")), 4000);
    assert_string_equal(act_field(rec, 0, "nothing"), "");
    assert_string_equal(act_field(rec, 0, "n"), "42");
    bt_harness_run_free(&run);
    char *bad = bt_xasprintf("mariadb://baton:wrongpw@127.0.0.1:%d/test",
                             srv.port);
    rec = act_run1(&run, "query-database",
                   "connection: '%s', query: 'SELECT 1 AS a'", bad);
    act_expect_fail(rec, "mariadb://baton:***@127.0.0.1:");
    assert_non_null(strstr(rec->error, "Access denied"));
    bt_harness_run_free(&run);
    free(bad);
    free(url);
    fixture_stop(&srv);
}

/* ODBC through the SQLite ODBC driver (libsqliteodbc). */
static void database_odbc(void **state) {
    char *ini = bt_harness_read_file("/etc/odbcinst.ini");
    bool have = ini && strstr(ini, "[SQLite3]");
    free(ini);
    if (!have) {
        fprintf(stderr, "skipped: libsqliteodbc is not installed\n");
        skip();
    }
    char *file = act_path(*state, "odbc.db");
    char *conn = bt_xasprintf("odbc:Driver=SQLite3;Database=%s", file);
    db_roundtrip(conn, "t", "?", "?");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-database",
        "connection: 'odbc:Driver=NoSuchDriver;PWD=hush', query: 'SELECT 1'");
    act_expect_fail(rec, "odbc:Driver=NoSuchDriver;PWD=***");
    assert_null(strstr(rec->error, "hush"));
    bt_harness_run_free(&run);
    free(conn);
    free(file);
}

/* Runs under unit.test_utility_data_pg (scripts/pg-throwaway.sh). */
static void database_postgresql(void **state) {
    (void)state;
    const char *url = getenv("BATON_TEST_STORE_URL");
    if (!url || strncmp(url, "postgres", 8) != 0) {
        fprintf(stderr, "skipped here: runs in unit.test_utility_data_pg\n");
        skip();
    }
    char table[64];
    snprintf(table, sizeof table, "bt_act_%d", (int)getpid());
    db_roundtrip(url, table, "$1", "$2");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-database",
        "connection: 'postgresql://baton:sekrit@127.0.0.1:1/x', query: "
        "'SELECT 1 AS a', connect_timeout: 2s");
    act_expect_fail(rec, "postgresql://baton:***@127.0.0.1:1/x");
    assert_null(strstr(rec->error, "sekrit"));
    bt_harness_run_free(&run);
}

/* ---- XML ---------------------------------------------------------------- */

static const char servers_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<inv xmlns:x=\"urn:x\"><server name=\"web01\" role=\"web\"><ip>10.0.0.1"
    "</ip></server><server name=\"db01\" role=\"db\"><ip>10.0.0.2</ip>"
    "</server><x:note>hi &amp; bye</x:note></inv>";

static void query_xml(void **state) {
    char *f = act_path(*state, "inv.xml");
    bt_harness_write_file(f, servers_xml);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "query-xml", "file: '%s', xpath: '//server[@role=\"db\"]'", f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "name"), "server");
    assert_string_equal(act_field(rec, 0, "value"), "10.0.0.2");
    assert_string_equal(act_field(rec, 0, "xml"),
                        "<server name=\"db01\" role=\"db\"><ip>10.0.0.2</ip>"
                        "</server>");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-xml", "file: '%s', xpath: '//server/@name'",
                   f);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    assert_string_equal(act_field(rec, 1, "value"), "db01");
    assert_string_equal(act_field(rec, 1, "match_index"), "2");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-xml",
                   "file: '%s', xpath: 'string(//y:note)', namespaces: {y: "
                   "'urn:x'}",
                   f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "hi & bye");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-xml", "file: '%s', xpath: 'count(//ip)'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "value"), "2");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-xml",
                   "text: '<a><b>1</b></a>', xpath: '//c', fail_if_none: "
                   "true");
    act_expect_fail(rec, "matches nothing");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-xml", "text: '<a><b>1</b></a>', xpath: '//['");
    act_expect_fail(rec, "XPath '//['");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "query-xml", "text: '<a><b>1</a>', xpath: '/a'");
    act_expect_fail(rec, "not well-formed XML");
    bt_harness_run_free(&run);
    free(f);
}

static void query_xml_no_entities(void **state) {
    /* An external entity naming a local file is not read. */
    char *secret = act_path(*state, "secret.txt");
    bt_harness_write_file(secret, "TOPSECRET");
    char *f = act_path(*state, "xxe.xml");
    char *doc = bt_xasprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY "
                             "e SYSTEM \"file://%s\">]>\n<a>&e;</a>\n",
                             secret);
    bt_harness_write_file(f, doc);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "query-xml", "file: '%s', xpath: 'string(/a)'", f);
    act_expect_ok(rec);
    assert_null(strstr(act_field(rec, 0, "value"), "TOPSECRET"));
    bt_harness_run_free(&run);
    free(doc);
    free(f);
    free(secret);
}

static const char xslt[] =
    "<xsl:stylesheet version=\"1.0\" "
    "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
    "<xsl:output method=\"text\"/><xsl:param name=\"sep\"/>"
    "<xsl:template match=\"/\"><xsl:for-each select=\"//server\">"
    "<xsl:value-of select=\"@name\"/><xsl:value-of select=\"$sep\"/>"
    "</xsl:for-each></xsl:template></xsl:stylesheet>";

static void apply_xslt(void **state) {
    char *xml = act_path(*state, "inv.xml");
    char *xsl = act_path(*state, "names.xsl");
    char *out = act_path(*state, "out.txt");
    bt_harness_write_file(xml, servers_xml);
    bt_harness_write_file(xsl, xslt);
    bt_harness_run run;
    /* The parameter is a string, even when it looks like XPath. */
    const bt_activity_record *rec = act_run1(
        &run, "apply-xslt",
        "file: '%s', stylesheet_file: '%s', parameters: {sep: \"';\"}", xml,
        xsl);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "output"), "web01';db01';");
    assert_string_equal(act_field(rec, 0, "bytes"), "13");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "apply-xslt",
                   "file: '%s', stylesheet_file: '%s', output_file: '%s', "
                   "parameters: {sep: ','}",
                   xml, xsl, out);
    act_expect_ok(rec);
    act_assert_file(out, "web01,db01,");
    assert_string_equal(act_field(rec, 0, "output_file"), out);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "apply-xslt",
                   "text: '<a/>', stylesheet: '<xsl:stylesheet "
                   "version=\"1.0\" "
                   "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"
                   "<xsl:template match=\"/\"><xsl:value-of select=\"1 +\"/>"
                   "</xsl:template>"
                   "</xsl:stylesheet>'");
    act_expect_fail(rec, "apply-xslt:");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "apply-xslt", "text: '<a/>', stylesheet: '<a/>'");
    act_expect_fail(rec, "stylesheet");
    bt_harness_run_free(&run);
    /* A stylesheet may not write files. */
    char *evil = act_path(*state, "evil.txt");
    rec = act_run1(&run, "apply-xslt",
                   "text: '<a/>', stylesheet: '<xsl:stylesheet "
                   "version=\"1.0\" "
                   "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" "
                   "xmlns:exsl=\"http://exslt.org/common\" "
                   "extension-element-prefixes=\"exsl\"><xsl:template "
                   "match=\"/\"><exsl:document href=\"%s\">x</exsl:document>"
                   "</xsl:template></xsl:stylesheet>'",
                   evil);
    assert_false(act_exists(evil));
    bt_harness_run_free(&run);
    free(evil);
    free(out);
    free(xsl);
    free(xml);
}

/* ---- write-web-page ----------------------------------------------------- */

static void write_web_page(void **state) {
    char *page = act_path(*state, "status.html");
    char *yaml = bt_xasprintf(
        "name: t\n"
        "parameters: [{name: v}]\n"
        "activities:\n"
        "  - {id: start, type: initialize-data}\n"
        "  - id: a\n"
        "    type: write-web-page\n"
        "    properties:\n"
        "      file: '%s'\n"
        "      template: '<html><body><b>Host</b>: {start.v} {{start.v}} "
        "{nope}</body></html>'\n"
        "links: [{from: start, to: a}]\n",
        page);
    const char *params[] = {"v=<script>alert(\"x\")</script>&", NULL};
    bt_harness_run run;
    assert_int_equal(bt_harness_run_yaml(yaml, params, &run), 0);
    const bt_activity_record *rec = bt_harness_record(&run, "a", 0);
    act_expect_ok(rec);
    const char *want = "<html><body><b>Host</b>: &lt;script&gt;alert(&quot;x"
                       "&quot;)&lt;/script&gt;&amp; {start.v} {nope}</body>"
                       "</html>";
    act_assert_file(page, want);
    assert_int_equal(atoi(act_field(rec, 0, "bytes")), (int)strlen(want));
    bt_harness_run_free(&run);
    free(yaml);

    /* Built-in page; overwrite: false refuses an existing file. */
    rec = act_run1(&run, "write-web-page",
                   "file: '%s', title: 'A & B', text: \"1 < 2\\nok\"", page);
    act_expect_ok(rec);
    char *got = bt_harness_read_file(page);
    assert_non_null(strstr(got, "<title>A &amp; B</title>"));
    assert_non_null(strstr(got, "<pre>1 &lt; 2\nok</pre>"));
    free(got);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "write-web-page",
                   "file: '%s', text: x, overwrite: false", page);
    act_expect_fail(rec, "exists");
    bt_harness_run_free(&run);

    char *tf = act_path(*state, "page.tmpl");
    bt_harness_write_file(tf, "<p>{a.file}</p>");
    char *page2 = act_path(*state, "p2.html");
    rec = act_run1(&run, "write-web-page", "file: '%s', template_file: '%s'",
                   page2, tf);
    act_expect_ok(rec);
    act_assert_file(page2, "<p></p>");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "write-web-page",
                   "file: '/nonexistent-dir/x.html', text: x");
    act_expect_fail(rec, "'/nonexistent-dir/x.html'");
    bt_harness_run_free(&run);
    free(page2);
    free(tf);
    free(page);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_json_text),
        cmocka_unit_test_setup_teardown(query_json_file, act_setup,
                                        act_teardown),
        cmocka_unit_test_setup_teardown(database_sqlite, act_setup,
                                        act_teardown),
        cmocka_unit_test(database_postgresql),
        cmocka_unit_test(database_mariadb),
        cmocka_unit_test_setup_teardown(database_odbc, act_setup,
                                        act_teardown),
        cmocka_unit_test_setup_teardown(query_xml, act_setup, act_teardown),
        cmocka_unit_test_setup_teardown(query_xml_no_entities, act_setup,
                                        act_teardown),
        cmocka_unit_test_setup_teardown(apply_xslt, act_setup, act_teardown),
        cmocka_unit_test_setup_teardown(write_web_page, act_setup,
                                        act_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
