/* Monitor File and Monitor Folder on real folders. The test changes files
 * only once the monitor is watching: the engine runs start activities in
 * the loop's idle phase, so by the first prepare phase (just before the
 * loop polls) the monitor's run() has taken its snapshot and started its
 * watch. Later steps happen when a
 * triggered instance finishes, so nothing depends on timing. */
#include <errno.h>
#include <unistd.h>

#include "host_support.h"

typedef struct scenario {
    char *dir;
    uv_prepare_t prepare;
    bool acted;
    bool expect_inotify;
    void (*first)(struct scenario *sc);
    void (*after_trigger[4])(struct scenario *sc);
} scenario;

static void write_in(scenario *sc, const char *name, const char *text) {
    char *p = bt_harness_path(sc->dir, name);
    bt_harness_write_file(p, text);
    free(p);
}

static void append_in(scenario *sc, const char *name, const char *text) {
    char *p = bt_harness_path(sc->dir, name);
    FILE *f = fopen(p, "ab");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    free(p);
}

static void remove_in(scenario *sc, const char *name) {
    char *p = bt_harness_path(sc->dir, name);
    assert_int_equal(unlink(p), 0);
    free(p);
}

static void find_fs_event(uv_handle_t *h, void *arg) {
    if (h->type == UV_FS_EVENT && uv_is_active(h)) *(bool *)arg = true;
}

static void prepare_cb(uv_prepare_t *c) {
    scenario *sc = c->data;
    if (sc->acted) return;
    sc->acted = true;
    if (sc->expect_inotify) {
        bool watching = false;
        uv_walk(c->loop, find_fs_event, &watching);
        assert_true(watching);
    }
    if (sc->first) sc->first(sc);
    uv_close((uv_handle_t *)c, NULL);
}

static void on_start(host_run *run, uv_loop_t *loop) {
    scenario *sc = run->ud;
    uv_prepare_init(loop, &sc->prepare);
    sc->prepare.data = sc;
    uv_prepare_start(&sc->prepare, prepare_cb);
}

static void on_triggered_done(host_run *run, bt_instance *inst) {
    scenario *sc = run->ud;
    assert_int_equal(bt_instance_result(inst), BT_RESULT_SUCCESS);
    size_t k = run->n_triggered - 1;
    if (k < 4 && sc->after_trigger[k]) sc->after_trigger[k](sc);
}

static void run_monitor(scenario *sc, const char *type, const char *props,
                        host_run *run) {
    char *yaml = bt_xasprintf(
        "name: watch\n"
        "activities:\n"
        "  - {id: mon, type: %s, properties: {folder: '%s', settle: 10ms, "
        "%s}}\n"
        "  - {id: next, type: compare-values, properties: {left: "
        "'{mon.trigger_count}', right: '0', operator: greater-than}}\n"
        "links: [{from: mon, to: next}]\n",
        type, sc->dir, props);
    run->ud = sc;
    run->on_start = on_start;
    run->on_triggered_done = on_triggered_done;
    host_run_yaml(yaml, run);
    free(yaml);
}

static const char *field(host_run *run, size_t i, const char *name) {
    assert_true(i < run->n_triggered);
    const char *v = host_field(run->triggered[i], "mon", name);
    if (!v) fprintf(stderr, "triggered %zu lacks %s\n", i, name);
    assert_non_null(v);
    return v;
}

static void create_files(scenario *sc) {
    write_in(sc, "a.txt", "ignored");
    write_in(sc, "b.csv", "1,2,3\n");
    write_in(sc, "c.csv", "4\n");
}

static void test_monitor_file_created(void **state) {
    (void)state;
    scenario sc = {.dir = bt_harness_tmpdir(), .expect_inotify = true,
                   .first = create_files};
    host_run run = {0};
    run_monitor(&sc, "monitor-file", "pattern: '*.csv', max_triggers: 2",
                &run);
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(field(&run, 0, "name"), "b.csv");
    assert_string_equal(field(&run, 0, "size"), "6");
    assert_string_equal(field(&run, 0, "event"), "created");
    char *want = bt_harness_path(sc.dir, "b.csv");
    assert_string_equal(field(&run, 0, "path"), want);
    free(want);
    assert_string_equal(field(&run, 1, "name"), "c.csv");
    assert_string_equal(field(&run, 1, "trigger_count"), "2");
    /* The triggered instances ran on past the monitor. */
    assert_non_null(host_record(run.triggered[1], "next"));
    host_run_free(&run);
    bt_harness_rmrf(sc.dir);
    free(sc.dir);
}

static void grow_log(scenario *sc) { append_in(sc, "x.log", "more\n"); }
static void drop_log(scenario *sc) { remove_in(sc, "x.log"); }

static void modified_then_deleted(const char *extra) {
    scenario sc = {.dir = bt_harness_tmpdir(), .first = grow_log};
    sc.after_trigger[0] = drop_log;
    write_in(&sc, "x.log", "line\n");
    write_in(&sc, "other.txt", "x");
    host_run run = {0};
    char *props = bt_xasprintf("pattern: [x.log, y.log], events: [modified, "
                               "deleted], max_triggers: 2%s",
                               extra);
    run_monitor(&sc, "monitor-file", props, &run);
    free(props);
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(field(&run, 0, "event"), "modified");
    assert_string_equal(field(&run, 0, "size"), "10");
    assert_string_equal(field(&run, 1, "event"), "deleted");
    assert_string_equal(field(&run, 1, "name"), "x.log");
    host_run_free(&run);
    bt_harness_rmrf(sc.dir);
    free(sc.dir);
}

static void test_monitor_file_modified_deleted(void **state) {
    (void)state;
    modified_then_deleted("");
}

static void test_monitor_file_polling(void **state) {
    (void)state;
    modified_then_deleted(", poll_interval: 5ms");
}

static void test_monitor_file_existing_and_cancel(void **state) {
    (void)state;
    scenario sc = {.dir = bt_harness_tmpdir()};
    write_in(&sc, "one", "1");
    write_in(&sc, "two", "22");
    host_run run = {.cancel_after = 2};
    run_monitor(&sc, "monitor-file", "trigger_existing: true", &run);
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(field(&run, 0, "event"), "existing");
    assert_string_equal(field(&run, 0, "name"), "one");
    assert_string_equal(field(&run, 1, "size"), "2");
    assert_true(bt_instance_canceled(run.main));
    host_run_free(&run);
    bt_harness_rmrf(sc.dir);
    free(sc.dir);
}

static void test_monitor_file_missing_folder(void **state) {
    (void)state;
    scenario sc = {.dir = "/nonexistent/baton-monitor"};
    host_run run = {0};
    run_monitor(&sc, "monitor-file", "max_triggers: 1", &run);
    const bt_activity_record *r = host_record(run.main, "mon");
    assert_int_equal(r->result, BT_RESULT_FAILED);
    assert_non_null(strstr(r->error, "monitor-file: cannot read folder "
                                     "'/nonexistent/baton-monitor'"));
    assert_int_equal(run.n_triggered, 0);
    host_run_free(&run);
}

static void three_files(scenario *sc) {
    write_in(sc, "a", "aaaa");
    write_in(sc, "b", "bb");
    write_in(sc, "c", "c");
}
static void drop_a(scenario *sc) { remove_in(sc, "a"); }

static void test_monitor_folder_count_and_removed(void **state) {
    (void)state;
    scenario sc = {.dir = bt_harness_tmpdir(), .expect_inotify = true,
                   .first = three_files};
    sc.after_trigger[0] = drop_a;
    host_run run = {0};
    run_monitor(&sc, "monitor-folder",
                "count_above: 2, files_removed: true, max_triggers: 2", &run);
    assert_int_equal(run.n_triggered, 2);
    assert_string_equal(field(&run, 0, "reason"), "count_above");
    assert_string_equal(field(&run, 0, "file_count"), "3");
    assert_string_equal(field(&run, 0, "total_size"), "7");
    assert_string_equal(field(&run, 1, "reason"), "files_removed");
    assert_string_equal(field(&run, 1, "removed"), "a");
    assert_string_equal(field(&run, 1, "file_count"), "2");
    host_run_free(&run);
    bt_harness_rmrf(sc.dir);
    free(sc.dir);
}

static void test_monitor_folder_fires_at_start(void **state) {
    (void)state;
    scenario sc = {.dir = bt_harness_tmpdir()};
    write_in(&sc, "big.bin", "12345");
    write_in(&sc, "skip.txt", "123456789");
    host_run run = {0};
    run_monitor(&sc, "monitor-folder",
                "pattern: '*.bin', size_above: 4, max_triggers: 1", &run);
    assert_int_equal(run.n_triggered, 1);
    assert_string_equal(field(&run, 0, "reason"), "size_above");
    assert_string_equal(field(&run, 0, "total_size"), "5");
    host_run_free(&run);
    bt_harness_rmrf(sc.dir);
    free(sc.dir);
}

static void test_monitor_folder_needs_a_condition(void **state) {
    (void)state;
    bt_harness_run h;
    assert_int_not_equal(
        bt_harness_run_yaml("name: t\nactivities:\n"
                            "  - {id: mon, type: monitor-folder, properties: "
                            "{folder: /tmp}}\n",
                            NULL, &h),
        0);
    assert_true(bt_harness_diag_contains(&h, "give a condition"));
    bt_harness_run_free(&h);
}

static void remove_folder(scenario *sc) { bt_harness_rmrf(sc->dir); }

static void folder_removed(const char *props) {
    scenario sc = {.dir = bt_harness_tmpdir(), .first = remove_folder};
    host_run run = {0};
    run_monitor(&sc, "monitor-file", props, &run);
    const bt_activity_record *r = host_record(run.main, "mon");
    assert_int_equal(r->result, BT_RESULT_FAILED);
    if (!strstr(r->error, "cannot read folder"))
        fail_msg("error: %s", r->error);
    assert_int_equal(run.n_triggered, 0);
    host_run_free(&run);
    free(sc.dir);
}

static void test_monitor_fails_when_folder_goes(void **state) {
    (void)state;
    folder_removed("events: [deleted]");
    folder_removed("poll_interval: 5ms");
}

/* A file written to every 2 ms never lets the folder settle for 10 ms;
 * the monitor still looks within ten settle times. */
typedef struct writer {
    scenario sc;
    uv_timer_t timer;
    bool stop;
} writer;

static void write_tick(uv_timer_t *t) {
    writer *w = t->data;
    if (w->stop) {
        uv_close((uv_handle_t *)t, NULL);
        return;
    }
    append_in(&w->sc, "busy.log", "x");
}

static void start_writing(scenario *sc) {
    writer *w = (writer *)sc;
    uv_timer_init(w->sc.prepare.loop, &w->timer);
    w->timer.data = w;
    uv_timer_start(&w->timer, write_tick, 0, 2);
}

static void stop_writing(scenario *sc) { ((writer *)sc)->stop = true; }

static void test_monitor_file_busy_file(void **state) {
    (void)state;
    writer w = {.sc = {.dir = bt_harness_tmpdir(), .first = start_writing}};
    w.sc.after_trigger[0] = stop_writing;
    write_in(&w.sc, "busy.log", "");
    host_run run = {0};
    run_monitor(&w.sc, "monitor-file", "events: [modified], "
                "max_triggers: 1", &run);
    assert_int_equal(run.n_triggered, 1);
    assert_string_equal(field(&run, 0, "name"), "busy.log");
    host_run_free(&run);
    bt_harness_rmrf(w.sc.dir);
    free(w.sc.dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monitor_file_created),
        cmocka_unit_test(test_monitor_file_modified_deleted),
        cmocka_unit_test(test_monitor_file_polling),
        cmocka_unit_test(test_monitor_file_existing_and_cancel),
        cmocka_unit_test(test_monitor_file_missing_folder),
        cmocka_unit_test(test_monitor_folder_count_and_removed),
        cmocka_unit_test(test_monitor_folder_fires_at_start),
        cmocka_unit_test(test_monitor_folder_needs_a_condition),
        cmocka_unit_test(test_monitor_fails_when_folder_goes),
        cmocka_unit_test(test_monitor_file_busy_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
