/* invoke-web-service against a real HTTP server the test starts
 * (tests/unit/fixtures/http_echo_server.py on a free loopback port). */
#include <stdlib.h>
#include <string.h>

#include "activity_support.h"
#include "common/util.h"
#include "fixture_server.h"

static fixture_server srv;

static int group_setup(void **state) {
    (void)state;
    if (!fixture_start(&srv, "http_echo_server.py", NULL, NULL, NULL))
        srv.pid = -1;
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    fixture_stop(&srv);
    return 0;
}

#define NEED_SERVER()                                                        \
    do {                                                                     \
        if (srv.pid <= 0) {                                                  \
            fprintf(stderr, "skipped: python3 is not installed\n");          \
            skip();                                                          \
        }                                                                    \
    } while (0)

static void get_json_select(void **state) {
    (void)state;
    NEED_SERVER();
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "invoke-web-service",
        "url: 'http://127.0.0.1:%d/echo?x=1', headers: {X-Run: abc}, "
        "select: {first: '$.items[0].name', names: '$.items[*].name', "
        "method: '$.method', xrun: '$.headers.x-run', nothing: '$.zz'}",
        srv.port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "status_code"), "200");
    assert_string_equal(act_field(rec, 0, "content_type"),
                        "application/json");
    assert_string_equal(act_field(rec, 0, "first"), "a");
    assert_string_equal(act_field(rec, 0, "names"), "a\nb");
    assert_string_equal(act_field(rec, 0, "method"), "GET");
    assert_string_equal(act_field(rec, 0, "xrun"), "abc");
    assert_string_equal(act_field(rec, 0, "nothing"), "");
    assert_non_null(strstr(act_field(rec, 0, "headers"), "X-Test: yes"));
    assert_non_null(strstr(act_field(rec, 0, "body"), "\"path\": \"/echo?x=1\""));
    int64_t ms;
    assert_true(bt_parse_int64(act_field(rec, 0, "elapsed_ms"), &ms));
    bt_harness_run_free(&run);
}

static void post_body_from_data(void **state) {
    (void)state;
    NEED_SERVER();
    /* The body comes from upstream data: sent as is, JSON content type. */
    char *yaml = bt_xasprintf(
        "name: t\n"
        "parameters: [{name: v}]\n"
        "activities:\n"
        "  - {id: start, type: initialize-data}\n"
        "  - id: a\n"
        "    type: invoke-web-service\n"
        "    properties:\n"
        "      url: 'http://127.0.0.1:%d/echo'\n"
        "      method: PUT\n"
        "      body: '{\"v\": \"{start.v}\"}'\n"
        "      select: {body: '$.body', ct: '$.headers.content-type', m: "
        "'$.method'}\n"
        "links: [{from: start, to: a}]\n",
        srv.port);
    bt_harness_run run;
    const char *params[] = {"v=hello world", NULL};
    int rc = bt_harness_run_yaml(yaml, params, &run);
    /* "body" clashes with a published field: refused at load. */
    assert_int_not_equal(rc, 0);
    assert_true(bt_harness_diag_contains(&run, "select field 'body'"));
    bt_harness_run_free(&run);
    char *fixed = bt_xasprintf("%s", yaml);
    char *p = strstr(fixed, "{body: ");
    memcpy(p, "{sent: ", 7);
    rc = bt_harness_run_yaml(fixed, params, &run);
    assert_int_equal(rc, 0);
    const bt_activity_record *rec = bt_harness_record(&run, "a", 0);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "sent"), "{\"v\": \"hello world\"}");
    assert_string_equal(act_field(rec, 0, "ct"), "application/json");
    assert_string_equal(act_field(rec, 0, "m"), "PUT");
    bt_harness_run_free(&run);
    free(fixed);
    free(yaml);
}

static void status_codes(void **state) {
    (void)state;
    NEED_SERVER();
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "invoke-web-service", "url: 'http://127.0.0.1:%d/status/404'",
        srv.port);
    act_expect_fail(rec, "answered 404 (expected 2xx)");
    assert_non_null(strstr(rec->error, "/status/404"));
    /* The response is still published for an error branch. */
    assert_string_equal(act_field(rec, 0, "status_code"), "404");
    assert_string_equal(act_field(rec, 0, "body"), "{\"status\": 404}");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/status/404', "
                   "expected_status: [200, 400-404]",
                   srv.port);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/status/503', method: DELETE, "
                   "expected_status: [5xx]",
                   srv.port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "status_code"), "503");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/redirect'", srv.port);
    act_expect_ok(rec);
    assert_non_null(strstr(act_field(rec, 0, "url"), "/echo"));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/redirect', follow_redirects: "
                   "false, expected_status: 302",
                   srv.port);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/big', max_response_bytes: 1000",
                   srv.port);
    act_expect_fail(rec, "larger than max_response_bytes");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/status/200', "
                   "expected_status: [two hundred]",
                   srv.port);
    act_expect_fail(rec, "expected_status 'two hundred'");
    bt_harness_run_free(&run);
}

static void auth(void **state) {
    (void)state;
    NEED_SERVER();
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "invoke-web-service",
        "url: 'http://127.0.0.1:%d/auth', auth: basic, username: user, "
        "password: secret, select: {who: '$.user'}",
        srv.port);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "who"), "ok");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/auth', auth: basic, username: "
                   "user, password: wrong",
                   srv.port);
    act_expect_fail(rec, "answered 401");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/auth', auth: bearer, token: "
                   "tok123",
                   srv.port);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/auth'", srv.port);
    act_expect_fail(rec, "answered 401");
    bt_harness_run_free(&run);
}

static void timeout_and_errors(void **state) {
    (void)state;
    NEED_SERVER();
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "invoke-web-service",
        "url: 'http://127.0.0.1:%d/slow', request_timeout: 300ms", srv.port);
    act_expect_fail(rec, "/slow");
    assert_non_null(strstr(rec->error, "timed out"));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service", "url: 'ftp://127.0.0.1/x'");
    act_expect_fail(rec, "not an http:// or https:// URL");
    bt_harness_run_free(&run);
    /* A header value from data with a line break would add headers. */
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/echo', headers: {X-A: \"a\\r\\n"
                   "X-B: b\"}",
                   srv.port);
    act_expect_fail(rec, "line break");
    bt_harness_run_free(&run);
    /* select on a body that is not JSON */
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'http://127.0.0.1:%d/soap', method: POST, body: "
                   "'<a/>', select: {x: '$.x'}",
                   srv.port);
    act_expect_fail(rec, "not JSON");
    bt_harness_run_free(&run);
    /* Nothing listens on the port the server is not on... after stop we
     * cannot know; use port 1, refused on loopback. */
    rec = act_run1(&run, "invoke-web-service", "url: 'http://127.0.0.1:1/'");
    act_expect_fail(rec, "http://127.0.0.1:1/");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "invoke-web-service",
                   "url: 'https://127.0.0.1:%d/echo'", srv.port);
    act_expect_fail(rec, "https://127.0.0.1");
    bt_harness_run_free(&run);
}

static void soap(void **state) {
    (void)state;
    NEED_SERVER();
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "invoke-web-service",
        "url: 'http://127.0.0.1:%d/soap', soap_action: "
        "'urn:example#GetStatus', body: '<soap:Envelope "
        "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/>"
        "</soap:Envelope>'",
        srv.port);
    act_expect_ok(rec);
    const char *body = act_field(rec, 0, "body");
    assert_non_null(strstr(body, "<action>\"urn:example#GetStatus\"</action>"));
    assert_non_null(strstr(body, "<ctype>text/xml; charset=utf-8</ctype>"));
    assert_null(strstr(body, "<len>0</len>"));
    assert_string_equal(act_field(rec, 0, "content_type"), "text/xml");
    bt_harness_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_json_select),
        cmocka_unit_test(post_body_from_data),
        cmocka_unit_test(status_codes),
        cmocka_unit_test(auth),
        cmocka_unit_test(timeout_and_errors),
        cmocka_unit_test(soap),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
