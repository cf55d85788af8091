/* The example C pack, loaded for real: its activities in runbooks (a
 * timer, a child process, a blocking activity with rows), load-time
 * validation, and the loader's refusals (wrong ABI in the manifest or the
 * library, no bt_pack_init, a checksum mismatch, a manifest that disagrees
 * with the library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "activity_support.h"
#include "baton/pack.h"
#include "harness.h"
#include "packs/packs.h"

static char *build_path(const char *rel) {
    const char *b = getenv("BATON_BUILD_DIR");
    assert_non_null(b);
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", b, rel) >= 0);
    return p;
}

static void load_hello(void) {
    char *dir = build_path("packs/hello");
    bt_pack_info info;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_pack_load(dir, &info, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(info.name, "hello");
    assert_string_equal(info.version, "1.0.0");
    assert_int_equal(info.abi, BT_PACK_ABI_VERSION);
    assert_int_equal(info.n_activities, 3);
    bt_pack_info_free(&info);
    free(dir);
}

static void test_activities_registered(void **state) {
    (void)state;
    load_hello();
    const bt_activity_type *t = bt_registry_find(NULL, "hello/greet");
    assert_non_null(t);
    assert_string_equal(t->title, "Greet");
    assert_int_equal(t->mode, BT_EXEC_ASYNC);
    assert_non_null(bt_registry_find(NULL, "hello/split"));
    assert_int_equal(bt_registry_find(NULL, "hello/split")->mode,
                     BT_EXEC_BLOCKING);
    /* Namespaced only: the bare name is not an activity. */
    assert_null(bt_registry_find(NULL, "greet"));
    /* The built-in registry alone does not have them. */
    assert_null(bt_registry_find(bt_registry_builtin(), "hello/greet"));
    size_t n = bt_packs_count();
    assert_true(n >= 1);
}

static void test_runbook_with_pack(void **state) {
    (void)state;
    load_hello();
    bt_harness_run run;
    act_run_yaml("name: t\n"
                 "activities:\n"
                 "  - {id: s, type: hello/split,"
                 " properties: {text: 'ann;bob', separator: ';'}}\n"
                 "  - {id: g, type: hello/greet,"
                 " properties: {name: '{s.item}', delay: 50ms, style: shout}}\n"
                 "  - {id: c, type: hello/count-words,"
                 " properties: {text: 'one two three {g.greeting}'}}\n"
                 "links:\n"
                 "  - {from: s, to: g}\n"
                 "  - {from: g, to: c}\n",
                 &run);
    const bt_activity_record *s = bt_harness_record(&run, "s", 0);
    act_expect_ok(s);
    assert_int_equal(s->n_rows, 2);
    assert_string_equal(act_field(s, 1, "item"), "bob");
    assert_string_equal(act_field(s, 1, "index"), "2");
    /* One greet and one count per row of split. */
    assert_int_equal(bt_harness_record_count(&run, "g"), 2);
    assert_int_equal(bt_harness_record_count(&run, "c"), 2);
    for (size_t i = 0; i < 2; i++) {
        const bt_activity_record *g = bt_harness_record(&run, "g", i);
        act_expect_ok(g);
        const char *greeting = act_field(g, 0, "greeting");
        assert_true(!strcmp(greeting, "HELLO, ANN!") ||
                    !strcmp(greeting, "HELLO, BOB!"));
        const bt_activity_record *c = bt_harness_record(&run, "c", i);
        act_expect_ok(c);
        assert_string_equal(act_field(c, 0, "words"), "5");
        assert_true(atoi(act_field(c, 0, "pid")) > 0);
    }
    bt_harness_run_free(&run);
}

static void test_pack_failure_and_missing_program(void **state) {
    (void)state;
    load_hello();
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "hello/count-words",
                 "text: x, program: /nonexistent/wc-for-baton");
    act_expect_fail(rec, "count-words: cannot run wc");
    bt_harness_run_free(&run);
    /* Empty only at run time: the validator could not know. */
    act_run_yaml("name: t\n"
                 "parameters: [{name: who, type: string, default: ''}]\n"
                 "activities:\n"
                 "  - {id: i, type: initialize-data}\n"
                 "  - {id: a, type: hello/greet,"
                 " properties: {name: '{i.who}'}}\n"
                 "links: [{from: i, to: a}]\n",
                 &run);
    act_expect_fail(bt_harness_record(&run, "a", 0), "'name' is empty");
    bt_harness_run_free(&run);
}

/* An activity's timeout cancels pack work: a pending timer is stopped
 * (the host completes the activity, greet has no cancel entry), a child
 * process is killed and its callback still ends the activity. Both end
 * long before the work would have. */
static void test_timeout_cancels(void **state) {
    (void)state;
    load_hello();
    char dir[] = "/tmp/baton-pack-slow-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *slow = NULL;
    assert_true(asprintf(&slow, "%s/slow-wc", dir) >= 0);
    FILE *f = fopen(slow, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nsleep 30\n", f);
    fclose(f);
    assert_int_equal(chmod(slow, 0755), 0);
    char *yaml = NULL;
    assert_true(asprintf(&yaml,
                         "name: t\n"
                         "activities:\n"
                         "  - {id: g, type: hello/greet, timeout: 300ms,"
                         " properties: {delay: 30s}}\n"
                         "  - {id: c, type: hello/count-words, timeout: 300ms,"
                         " properties: {text: a b, program: '%s'}}\n",
                         slow) >= 0);
    time_t t0 = time(NULL);
    bt_harness_run run;
    act_run_yaml(yaml, &run);
    assert_true(time(NULL) - t0 < 15);
    act_expect_fail(bt_harness_record(&run, "g", 0), "timed out");
    act_expect_fail(bt_harness_record(&run, "c", 0), "timed out");
    bt_harness_run_free(&run);
    free(yaml);
    unlink(slow);
    rmdir(dir);
    free(slow);
}

static void test_validation(void **state) {
    (void)state;
    load_hello();
    bt_harness_run run;
    int rc = bt_harness_run_yaml("name: t\n"
                                 "activities:\n"
                                 "  - {id: g, type: hello/greet,"
                                 " properties: {style: whisper}}\n",
                                 NULL, &run);
    assert_int_not_equal(rc, 0);
    /* The schema's choices, checked by the host. */
    assert_true(bt_harness_diag_contains(&run, "'whisper' is not one of"));
    bt_harness_run_free(&run);
    /* The pack's own validate, at the property's position. */
    rc = bt_harness_run_yaml("name: t\n"
                             "activities:\n"
                             "  - {id: g, type: hello/greet,"
                             " properties: {name: ''}}\n",
                             NULL, &run);
    assert_int_not_equal(rc, 0);
    assert_true(bt_harness_diag_contains(
        &run, "activity 'g' (hello/greet): property 'name': must not be "
              "empty"));
    bt_harness_run_free(&run);
    rc = bt_harness_run_yaml("name: t\n"
                             "activities:\n"
                             "  - {id: c, type: hello/count-words}\n",
                             NULL, &run);
    assert_int_not_equal(rc, 0);
    assert_true(bt_harness_diag_contains(&run, "text"));
    bt_harness_run_free(&run);
}

/* A pack dir in a scratch folder: a manifest and a copy of a library. */
static char *scratch_pack(const char *manifest, const char *lib_rel,
                          const char *lib_name) {
    char tmpl[] = "/tmp/baton-pack-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *dir = strdup(tmpl);
    char *path = NULL;
    assert_true(asprintf(&path, "%s/pack.yaml", dir) >= 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(manifest, f);
    fclose(f);
    free(path);
    if (lib_rel) {
        char *src = build_path(lib_rel);
        char *cmd = NULL;
        assert_true(asprintf(&cmd, "cp '%s' '%s/%s'", src, dir, lib_name) >= 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(src);
    }
    return dir;
}

static void remove_dir(char *dir) {
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "rm -rf '%s'", dir) >= 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static void expect_refused(const char *manifest, const char *lib_rel,
                           const char *lib_name, const char *text) {
    char *dir = scratch_pack(manifest, lib_rel, lib_name);
    bt_error err;
    bt_error_clear(&err);
    assert_int_not_equal(bt_pack_load(dir, NULL, &err), 0);
    char msg[1024];
    bt_error_format(&err, msg, sizeof msg);
    if (!strstr(msg, text))
        fprintf(stderr, "error '%s' lacks '%s'\n", msg, text);
    assert_non_null(strstr(msg, text));
    remove_dir(dir);
}

static void test_refuses_wrong_abi(void **state) {
    (void)state;
    /* The manifest says another ABI: refused before loading any code. */
    expect_refused("name: hello\nversion: 2.0.0\nabi: 2\nlibrary: hello.so\n"
                   "activities: [greet, count-words, split]\n",
                   "packs/hello/hello.so", "hello.so",
                   "pack 'hello' 2.0.0: built for pack ABI 2 (its manifest "
                   "says), but this Baton 0.1.0 supports pack ABI 1");
    /* The library says another ABI although the manifest says 1. */
    expect_refused("name: old\nversion: 0.9\nabi: 1\nlibrary: bad_abi.so\n"
                   "activities: [x]\n",
                   "packs/fixtures/bad_abi.so", "bad_abi.so",
                   "pack 'old' 0.9: built for pack ABI 99 (its library "
                   "says), but this Baton 0.1.0 supports pack ABI 1");
    assert_null(bt_registry_find(NULL, "old/x"));
}

static void test_refuses_missing_symbol(void **state) {
    (void)state;
    expect_refused("name: broken\nversion: 1.0\nabi: 1\nlibrary: no_init.so\n"
                   "activities: [x]\n",
                   "packs/fixtures/no_init.so", "no_init.so",
                   "pack 'broken' 1.0: ");
    expect_refused("name: broken\nversion: 1.0\nabi: 1\nlibrary: no_init.so\n"
                   "activities: [x]\n",
                   "packs/fixtures/no_init.so", "no_init.so",
                   "exports no bt_pack_init");
    expect_refused("name: gone\nversion: 1.0\nabi: 1\nlibrary: gone.so\n"
                   "activities: [x]\n",
                   NULL, NULL, "pack 'gone' 1.0: cannot load");
}

static void test_refuses_bad_manifest_or_checksum(void **state) {
    (void)state;
    expect_refused("name: hello\nversion: 1.0.0\nabi: 1\nlibrary: hello.so\n"
                   "checksum: sha256:00\n"
                   "activities: [greet, count-words, split]\n",
                   "packs/hello/hello.so", "hello.so",
                   "does not match the manifest's checksum");
    expect_refused("name: hello\nversion: 1.0.0\nabi: 1\nlibrary: hello.so\n"
                   "activities: [greet, wave]\n",
                   "packs/hello/hello.so", "hello.so",
                   "activity 'wave' is not in");
    expect_refused("name: other\nversion: 1.0.0\nabi: 1\nlibrary: hello.so\n"
                   "activities: [greet, count-words, split]\n",
                   "packs/hello/hello.so", "hello.so",
                   "the manifest and the library disagree");
    expect_refused("name: Hello!\nversion: 1\nactivities: [a]\n", NULL, NULL,
                   "pack.yaml:1:7: pack name 'Hello!' must be lower-case");
    expect_refused("name: h\nversion: 1\nlibrary: h.so\nactivities: [a]\n",
                   NULL, NULL, "must say which pack ABI");
    expect_refused("name: h\nversion: 1\ncolour: red\nactivities: [a]\n", NULL,
                   NULL, "unknown manifest field 'colour'");
}

static void test_search_path(void **state) {
    (void)state;
    char *packs = build_path("packs");
    char *fixtures = build_path("packs/fixtures");
    char *list = NULL;
    assert_true(asprintf(&list, "/nonexistent:%s", packs) >= 0);
    size_t n = bt_packs_load_path(list, NULL, NULL);
    assert_true(n >= 1);
    assert_non_null(bt_registry_find(NULL, "hello/greet"));
    assert_int_equal(bt_packs_unregister("hello"), 0);
    assert_null(bt_registry_find(NULL, "hello/greet"));
    assert_int_equal(bt_packs_unregister("hello"), -BT_ENOTFOUND);
    free(list);
    free(fixtures);
    free(packs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activities_registered),
        cmocka_unit_test(test_runbook_with_pack),
        cmocka_unit_test(test_pack_failure_and_missing_program),
        cmocka_unit_test(test_timeout_cancels),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_refuses_wrong_abi),
        cmocka_unit_test(test_refuses_missing_symbol),
        cmocka_unit_test(test_refuses_bad_manifest_or_checksum),
        cmocka_unit_test(test_search_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
