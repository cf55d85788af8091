/* GET /api/activity-types over a real socket: the designer's palette and
 * property schemas come from the engine's activity registry. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "store/store.h"
#include "web/web.h"

typedef struct fixture {
    char *dir, *url;
    bt_web *web;
    char base[96];
} fixture;

static int setup(void **state) {
    fixture *f = bt_xcalloc(1, sizeof *f);
    f->dir = bt_harness_tmpdir();
    char *path = bt_harness_path(f->dir, "baton.db");
    f->url = bt_xasprintf("sqlite:%s", path);
    free(path);
    bt_store *s = NULL;
    bt_error err = {0};
    if (bt_store_open(f->url, &s, &err)) fail_msg("%s", err.message);
    bt_store_close(s);
    bt_web_config cfg = {.bind_address = "127.0.0.1", .store_url = f->url};
    if (bt_web_start(&cfg, &f->web, &err)) fail_msg("web: %s", err.message);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             (unsigned)bt_web_port(f->web));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_web_stop(f->web);
    bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f->url);
    free(f);
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    return bt_buf_append(ud, p, size * n) ? 0 : size * n;
}

static json_t *get(fixture *f, const char *path, long *status) {
    bt_buf body;
    bt_buf_init(&body, 0);
    CURL *c = curl_easy_init();
    char *url = bt_xasprintf("%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    free(url);
    json_t *doc = json_loadb(body.data, body.len, 0, NULL);
    bt_buf_free(&body);
    assert_non_null(doc);
    return doc;
}

static json_t *find(json_t *list, const char *name) {
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        const char *n = json_string_value(json_object_get(it, "name"));
        if (n && !strcmp(n, name)) return it;
    }
    return NULL;
}

static bool has_string(json_t *list, const char *s) {
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) if (!strcmp(json_string_value(it), s)) return true;
    return false;
}

static void test_lists_every_registered_type(void **state) {
    fixture *f = *state;
    long status = 0;
    json_t *doc = get(f, "/api/activity-types", &status);
    assert_int_equal(status, 200);
    json_t *items = json_object_get(doc, "items");
    assert_int_equal(json_array_size(items), bt_registry_count(NULL));
    json_t *rp = find(items, "run-program");
    assert_non_null(rp);
    assert_string_equal(json_string_value(json_object_get(rp, "title")), "Run Program");
    assert_string_equal(json_string_value(json_object_get(rp, "category")), "system");
    json_t *cmd = find(json_object_get(rp, "properties"), "command");
    assert_non_null(cmd);
    assert_string_equal(json_string_value(json_object_get(cmd, "kind")), "string");
    assert_true(has_string(json_object_get(rp, "published"), "stdout"));
    assert_true(has_string(json_object_get(rp, "published"), "exit_code"));
    assert_non_null(find(items, "initialize-data"));
    assert_non_null(find(items, "return-data"));
    assert_true(has_string(json_object_get(doc, "common_published"), "status"));
    assert_true(has_string(json_object_get(doc, "common_published"), "duration_ms"));
    json_decref(doc);
}

static void test_choices_and_defaults(void **state) {
    fixture *f = *state;
    long status = 0;
    json_t *doc = get(f, "/api/activity-types", &status);
    /* every property has a kind from the documented set, and choices,
     * when present, are strings */
    static const char *const kinds[] = {"string", "integer", "number", "boolean",
                                        "duration", "list", "map"};
    size_t i, j;
    json_t *t, *p;
    json_array_foreach(json_object_get(doc, "items"), i, t) {
        json_array_foreach(json_object_get(t, "properties"), j, p) {
            const char *k = json_string_value(json_object_get(p, "kind"));
            bool known = false;
            for (size_t n = 0; n < BT_ARRAY_LEN(kinds); n++)
                known |= k && !strcmp(k, kinds[n]);
            if (!known) fail_msg("%s.%s: kind %s", json_string_value(json_object_get(t, "name")),
                                 json_string_value(json_object_get(p, "name")), k ? k : "(none)");
            json_t *ch = json_object_get(p, "choices");
            if (ch) assert_true(json_is_array(ch) && json_array_size(ch) > 0);
        }
    }
    json_decref(doc);
}

static void test_unknown_parameter_refused(void **state) {
    fixture *f = *state;
    long status = 0;
    json_t *doc = get(f, "/api/activity-types?category=system", &status);
    assert_int_equal(status, 400);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "code")),
                        "unknown_parameter");
    json_decref(doc);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lists_every_registered_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_choices_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_parameter_refused, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
