/* Data utility activities run through the loader and the engine against
 * real files: query-json, query-xml, apply-xslt, write-web-page,
 * query-database and write-to-database (SQLite here; PostgreSQL when
 * BATON_TEST_STORE_URL names a server, see unit.test_utility_data_pg). */
#include <stdlib.h>
#include <string.h>

#include "activity_support.h"
#include "common/util.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_json_text),
        cmocka_unit_test_setup_teardown(query_json_file, act_setup,
                                        act_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
