/* File management activities against real files: create-folder, copy-file,
 * move-file, delete-file, get-file-status. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity_support.h"
#include "common/util.h"

/* Files whose names start with '.' in dir: leftovers of temp-file writes. */
static int hidden_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
            strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static mode_t mode_of(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- create-folder ---------------------------------------------------- */

static void test_create_folder_parents_and_mode(void **state) {
    const char *dir = *state;
    char *path = act_path(dir, "a/b/c");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "create-folder", "path: '%s', mode: '0750'", path);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "path"), path);
    assert_string_equal(act_field(rec, 0, "created"), "true");
    assert_int_equal(mode_of(path), 0750);
    bt_harness_run_free(&run);

    /* Already there: success, created false. */
    rec = act_run1(&run, "create-folder", "path: '%s'", path);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "created"), "false");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "create-folder",
                   "path: '%s', fail_if_exists: true", path);
    act_expect_fail(rec, "create-folder: folder '");
    act_expect_fail(rec, "already exists");
    bt_harness_run_free(&run);
    free(path);
}

static void test_create_folder_errors(void **state) {
    const char *dir = *state;
    char *path = act_path(dir, "x/y");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "create-folder", "path: '%s', parents: false", path);
    act_expect_fail(rec, "parent folder does not exist");
    assert_false(act_exists(path));
    bt_harness_run_free(&run);

    char *file = act_path(dir, "plain");
    bt_harness_write_file(file, "x");
    rec = act_run1(&run, "create-folder", "path: '%s'", file);
    act_expect_fail(rec, "exists and is not a folder");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "create-folder", "path: '%s', mode: '0999'", path);
    act_expect_fail(rec, "property 'mode' must be octal");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "create-folder", "path: 'relative/dir'");
    act_expect_fail(rec, "property 'path' must be an absolute path");
    bt_harness_run_free(&run);

    if (act_permissions_apply()) {
        char *locked = act_path(dir, "locked");
        assert_int_equal(mkdir(locked, 0500), 0);
        char *inside = act_path(locked, "sub");
        rec = act_run1(&run, "create-folder", "path: '%s'", inside);
        act_expect_fail(rec, "Permission denied");
        act_expect_fail(rec, inside);
        bt_harness_run_free(&run);
        free(inside);
        free(locked);
    }
    free(file);
    free(path);
}

/* ---- copy-file -------------------------------------------------------- */

static void test_copy_file_into_folder_preserves(void **state) {
    const char *dir = *state;
    char *src = act_path(dir, "report.txt");
    char *dst = act_path(dir, "out");
    bt_harness_write_file(src, "hello\n");
    assert_int_equal(chmod(src, 0640), 0);
    struct timespec times[2] = {{1000000000, 0}, {1200000000, 500000000}};
    assert_int_equal(utimensat(AT_FDCWD, src, times, 0), 0);

    bt_harness_run run;
    /* A destination ending in '/' is a folder, created on demand. */
    const bt_activity_record *rec = act_run1(
        &run, "copy-file", "source: '%s', destination: '%s/'", src, dst);
    act_expect_ok(rec);
    char *copy = act_path(dst, "report.txt");
    act_assert_file(copy, "hello\n");
    act_assert_file(src, "hello\n");
    assert_int_equal(rec->n_rows, 1);
    assert_string_equal(act_field(rec, 0, "source"), src);
    assert_string_equal(act_field(rec, 0, "destination"), copy);
    assert_string_equal(act_field(rec, 0, "size"), "6");
    assert_string_equal(act_field(rec, 0, "action"), "copied");
    struct stat st;
    assert_int_equal(stat(copy, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_mtim.tv_sec, 1200000000);
    assert_int_equal(st.st_mtim.tv_nsec, 500000000);
    assert_int_equal(hidden_entries(dst), 0);
    bt_harness_run_free(&run);

    /* preserve: false takes a fresh mtime. */
    char *copy2 = act_path(dir, "fresh.txt");
    rec = act_run1(&run, "copy-file",
                   "source: '%s', destination: '%s', preserve: false", src,
                   copy2);
    act_expect_ok(rec);
    assert_int_equal(stat(copy2, &st), 0);
    assert_true(st.st_mtim.tv_sec > 1200000000);
    bt_harness_run_free(&run);
    free(copy2);
    free(copy);
    free(dst);
    free(src);
}

static void test_copy_file_to_new_name_and_destination_folder(void **state) {
    const char *dir = *state;
    char *src = act_path(dir, "a.txt");
    bt_harness_write_file(src, "A");
    char *dst = act_path(dir, "new/deeper/b.txt");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "copy-file",
                 "source: '%s', destination: '%s', create_destination: false",
                 src, dst);
    act_expect_fail(rec, "destination folder '");
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "copy-file", "source: '%s', destination: '%s'", src,
                   dst);
    act_expect_ok(rec);
    act_assert_file(dst, "A");
    assert_string_equal(act_field(rec, 0, "destination"), dst);
    bt_harness_run_free(&run);
    free(dst);
    free(src);
}

static void test_copy_file_if_exists_policies(void **state) {
    const char *dir = *state;
    char *src = act_path(dir, "data.csv");
    char *dst = act_path(dir, "dst");
    char *target = act_path(dst, "data.csv");
    assert_int_equal(mkdir(dst, 0755), 0);
    bt_harness_write_file(src, "new");
    bt_harness_write_file(target, "old");
    bt_harness_run run;

    const bt_activity_record *rec = act_run1(
        &run, "copy-file", "source: '%s', destination: '%s'", src, dst);
    act_expect_fail(rec, "copy-file: destination '");
    act_expect_fail(rec, "already exists (if_exists: fail)");
    act_assert_file(target, "old");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "copy-file",
                   "source: '%s', destination: '%s', if_exists: skip", src,
                   dst);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "skipped");
    assert_string_equal(act_field(rec, 0, "destination"), target);
    act_assert_file(target, "old");
    bt_harness_run_free(&run);

    char *renamed1 = act_path(dst, "data (1).csv");
    char *renamed2 = act_path(dst, "data (2).csv");
    for (int i = 0; i < 2; i++) {
        rec = act_run1(&run, "copy-file",
                       "source: '%s', destination: '%s', if_exists: rename",
                       src, dst);
        act_expect_ok(rec);
        assert_string_equal(act_field(rec, 0, "action"), "renamed");
        assert_string_equal(act_field(rec, 0, "destination"),
                            i == 0 ? renamed1 : renamed2);
        bt_harness_run_free(&run);
    }
    act_assert_file(renamed1, "new");
    act_assert_file(renamed2, "new");
    act_assert_file(target, "old");

    rec = act_run1(&run, "copy-file",
                   "source: '%s', destination: '%s', if_exists: overwrite",
                   src, dst);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "copied");
    act_assert_file(target, "new");
    bt_harness_run_free(&run);
    assert_int_equal(hidden_entries(dst), 0);

    /* A policy outside the list is caught when the runbook loads. */
    char *yaml = bt_xasprintf(
        "name: t\n"
        "activities:\n"
        "  - {id: a, type: copy-file, properties: {source: '%s', "
        "destination: '%s', if_exists: sometimes}}\n",
        src, dst);
    assert_int_not_equal(bt_harness_run_yaml(yaml, NULL, &run), 0);
    assert_true(bt_harness_diag_contains(&run, "if_exists"));
    bt_harness_run_free(&run);
    free(yaml);
    free(renamed1);
    free(renamed2);
    free(target);
    free(dst);
    free(src);
}

static void test_copy_file_glob_rows(void **state) {
    const char *dir = *state;
    char *in = act_path(dir, "in");
    char *out = act_path(dir, "out");
    assert_int_equal(mkdir(in, 0755), 0);
    const char *names[] = {"b.log", "a.log", "c.txt"};
    for (size_t i = 0; i < 3; i++) {
        char *p = act_path(in, names[i]);
        bt_harness_write_file(p, names[i]);
        free(p);
    }
    char *sub = act_path(in, "sub.log"); /* a folder: patterns skip it */
    assert_int_equal(mkdir(sub, 0755), 0);

    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "copy-file", "source: '%s/*.log', destination: '%s'", in, out);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 2);
    char *a = act_path(out, "a.log");
    char *b = act_path(out, "b.log");
    assert_string_equal(act_field(rec, 0, "destination"), a);
    assert_string_equal(act_field(rec, 1, "destination"), b);
    assert_string_equal(act_field(rec, 1, "size"), "5");
    act_assert_file(a, "a.log");
    act_assert_file(b, "b.log");
    char *c_out = act_path(out, "c.txt");
    assert_false(act_exists(c_out));
    free(c_out);
    char *c = act_path(in, "c.txt");
    bt_harness_run_free(&run);

    /* Rows fan out: the next activity runs once per copied file. */
    char *yaml = bt_xasprintf(
        "name: fan\n"
        "activities:\n"
        "  - {id: cp, type: copy-file, properties: {source: '%s/*.log', "
        "destination: '%s', if_exists: overwrite}}\n"
        "  - {id: st, type: get-file-status, properties: {path: "
        "'{cp.destination}'}}\n"
        "links:\n"
        "  - {from: cp, to: st}\n",
        in, out);
    act_run_yaml(yaml, &run);
    assert_int_equal(bt_harness_record_count(&run, "st"), 2);
    assert_string_equal(
        act_field(bt_harness_record(&run, "st", 0), 0, "type"), "file");
    bt_harness_run_free(&run);
    free(yaml);

    rec = act_run1(&run, "copy-file",
                   "source: '%s/*.none', destination: '%s'", in, out);
    act_expect_fail(rec, "matched no files");
    bt_harness_run_free(&run);

    /* A pattern needs a folder as its destination. */
    rec = act_run1(&run, "copy-file", "source: '%s/*.log', destination: '%s'",
                   in, c);
    act_expect_fail(rec, "is not a folder");
    bt_harness_run_free(&run);
    free(c);
    free(a);
    free(b);
    free(sub);
    free(in);
    free(out);
}

static void test_copy_file_errors(void **state) {
    const char *dir = *state;
    char *missing = act_path(dir, "missing.txt");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "copy-file", "source: '%s', destination: '%s/out/'", missing,
        dir);
    act_expect_fail(rec, "copy-file: source '");
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "copy-file", "source: '%s', destination: '%s/x'",
                   dir, dir);
    act_expect_fail(rec, "is a folder");
    bt_harness_run_free(&run);

    char *fifo = act_path(dir, "fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    rec = act_run1(&run, "copy-file", "source: '%s', destination: '%s/x'",
                   fifo, dir);
    act_expect_fail(rec, "is a pipe or socket, not a file");
    bt_harness_run_free(&run);
    free(fifo);

    if (act_permissions_apply()) {
        char *secret = act_path(dir, "secret.txt");
        bt_harness_write_file(secret, "s");
        assert_int_equal(chmod(secret, 0), 0);
        rec = act_run1(&run, "copy-file",
                       "source: '%s', destination: '%s/copy.txt'", secret,
                       dir);
        char *expect = bt_xasprintf("copy-file: cannot read '%s': "
                                    "Permission denied",
                                    secret);
        act_expect_fail(rec, expect);
        bt_harness_run_free(&run);
        free(expect);

        char *ro = act_path(dir, "ro");
        assert_int_equal(mkdir(ro, 0555), 0);
        char *ok = act_path(dir, "ok.txt");
        bt_harness_write_file(ok, "ok");
        rec = act_run1(&run, "copy-file", "source: '%s', destination: '%s'",
                       ok, ro);
        act_expect_fail(rec, "Permission denied");
        bt_harness_run_free(&run);
        free(ok);
        free(ro);
        free(secret);
    }
    free(missing);
}

/* A write that fails half-way (a full disk, simulated with RLIMIT_FSIZE)
 * leaves neither a partial file under the final name nor a temp file, and
 * an overwritten target keeps its old content. */
static void test_copy_file_failure_leaves_no_partial_file(void **state) {
    const char *dir = *state;
    char *src = act_path(dir, "big.bin");
    char *out = act_path(dir, "out");
    char *target = act_path(out, "big.bin");
    assert_int_equal(mkdir(out, 0755), 0);
    char *data = bt_xmalloc(256 * 1024);
    memset(data, 'q', 256 * 1024);
    data[256 * 1024 - 1] = '\0';
    bt_harness_write_file(src, data);
    free(data);
    bt_harness_write_file(target, "previous");

    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "copy-file",
        "source: '%s', destination: '%s', if_exists: overwrite", src, out);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    char *expect = bt_xasprintf("copy-file: cannot write '%s': File too large",
                                target);
    act_expect_fail(rec, expect);
    free(expect);
    bt_harness_run_free(&run);
    act_assert_file(target, "previous");
    assert_int_equal(hidden_entries(out), 0);
    free(target);
    free(out);
    free(src);
}

/* ---- move-file -------------------------------------------------------- */

static void test_move_file_and_policies(void **state) {
    const char *dir = *state;
    char *src = act_path(dir, "m.txt");
    char *dst = act_path(dir, "moved.txt");
    bt_harness_write_file(src, "move me");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "move-file", "source: '%s', destination: '%s'", src, dst);
    act_expect_ok(rec);
    assert_false(act_exists(src));
    act_assert_file(dst, "move me");
    assert_string_equal(act_field(rec, 0, "action"), "moved");
    assert_string_equal(act_field(rec, 0, "size"), "7");
    bt_harness_run_free(&run);

    bt_harness_write_file(src, "second");
    rec = act_run1(&run, "move-file", "source: '%s', destination: '%s'", src,
                   dst);
    act_expect_fail(rec, "already exists (if_exists: fail)");
    assert_true(act_exists(src));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "move-file",
                   "source: '%s', destination: '%s', if_exists: skip", src,
                   dst);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "skipped");
    assert_true(act_exists(src));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "move-file",
                   "source: '%s', destination: '%s', if_exists: rename", src,
                   dst);
    act_expect_ok(rec);
    char *renamed = act_path(dir, "moved (1).txt");
    assert_string_equal(act_field(rec, 0, "action"), "renamed");
    assert_string_equal(act_field(rec, 0, "destination"), renamed);
    act_assert_file(renamed, "second");
    assert_false(act_exists(src));
    bt_harness_run_free(&run);

    bt_harness_write_file(src, "third");
    rec = act_run1(&run, "move-file",
                   "source: '%s', destination: '%s', if_exists: overwrite",
                   src, dst);
    act_expect_ok(rec);
    act_assert_file(dst, "third");
    assert_false(act_exists(src));
    bt_harness_run_free(&run);
    free(renamed);
    free(dst);
    free(src);
}

static void test_move_file_glob_rows(void **state) {
    const char *dir = *state;
    char *in = act_path(dir, "in");
    assert_int_equal(mkdir(in, 0755), 0);
    for (int i = 1; i <= 3; i++) {
        char *name = bt_xasprintf("f%d.dat", i);
        char *p = act_path(in, name);
        bt_harness_write_file(p, name);
        free(p);
        free(name);
    }
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "move-file", "source: '%s/f*.dat', destination: '%s/archive'",
        in, dir);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(act_field(rec, i, "action"), "moved");
    char *f3 = bt_xasprintf("%s/archive/f3.dat", dir);
    act_assert_file(f3, "f3.dat");
    assert_int_equal(hidden_entries(in), 0);
    DIR *d = opendir(in);
    int left = 0;
    for (struct dirent *e; (e = readdir(d));) left += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(left, 0);
    bt_harness_run_free(&run);
    free(f3);
    free(in);
}

/* A move to another filesystem copies, then removes the source. Runs when
 * /dev/shm is a different filesystem from the scratch folder. */
static void test_move_file_across_filesystems(void **state) {
    const char *dir = *state;
    struct stat a, b;
    if (stat(dir, &a) != 0 || stat("/dev/shm", &b) != 0 ||
        a.st_dev == b.st_dev || access("/dev/shm", W_OK) != 0) {
        skip();
        return;
    }
    char shm_tmpl[] = "/dev/shm/baton-test-XXXXXX";
    char *shm = mkdtemp(shm_tmpl);
    assert_non_null(shm);
    char *src = act_path(dir, "x.bin");
    bt_harness_write_file(src, "cross");
    assert_int_equal(chmod(src, 0604), 0);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "move-file", "source: '%s', destination: '%s'", src, shm);
    act_expect_ok(rec);
    char *moved = act_path(shm, "x.bin");
    act_assert_file(moved, "cross");
    assert_int_equal(mode_of(moved), 0604);
    assert_false(act_exists(src));
    assert_string_equal(act_field(rec, 0, "action"), "moved");
    bt_harness_run_free(&run);
    bt_harness_rmrf(shm);
    free(moved);
    free(src);
}

/* ---- delete-file ------------------------------------------------------ */

static void test_delete_file(void **state) {
    const char *dir = *state;
    char *f = act_path(dir, "gone.txt");
    bt_harness_write_file(f, "x");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "delete-file", "path: '%s'", f);
    act_expect_ok(rec);
    assert_false(act_exists(f));
    assert_string_equal(act_field(rec, 0, "deleted"), "true");
    assert_string_equal(act_field(rec, 0, "path"), f);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-file", "path: '%s'", f);
    act_expect_fail(rec, "delete-file: '");
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-file", "path: '%s', ignore_missing: true", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "deleted"), "false");
    bt_harness_run_free(&run);

    for (int i = 0; i < 3; i++) {
        char *name = bt_xasprintf("%s/old%d.log", dir, i);
        bt_harness_write_file(name, "x");
        free(name);
    }
    char *keep = act_path(dir, "keep.txt");
    bt_harness_write_file(keep, "k");
    rec = act_run1(&run, "delete-file", "path: '%s/old*.log'", dir);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 3);
    assert_true(act_exists(keep));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-file", "path: '%s/old*.log'", dir);
    act_expect_fail(rec, "matched nothing");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-file", "path: '/'");
    act_expect_fail(rec, "refusing");
    bt_harness_run_free(&run);
    free(keep);
    free(f);
}

static void test_delete_folder_recursive_keeps_link_targets(void **state) {
    const char *dir = *state;
    char *tree = act_path(dir, "tree");
    char *outside = act_path(dir, "outside.txt");
    bt_harness_write_file(outside, "survives");
    char *deep = bt_xasprintf("%s/a/b/c", tree);
    assert_int_equal(mkdir(tree, 0755), 0);
    char *a = act_path(tree, "a");
    char *ab = bt_xasprintf("%s/a/b", tree);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(ab, 0755), 0);
    assert_int_equal(mkdir(deep, 0755), 0);
    char *file = act_path(deep, "f.txt");
    bt_harness_write_file(file, "f");
    char *link = act_path(ab, "link");
    assert_int_equal(symlink(outside, link), 0);
    char *dirlink = act_path(a, "dirlink");
    assert_int_equal(symlink(dir, dirlink), 0);

    char *empty = act_path(dir, "empty");
    assert_int_equal(mkdir(empty, 0755), 0);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "delete-file", "path: '%s'", empty);
    act_expect_ok(rec);
    assert_false(act_exists(empty));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-file", "path: '%s'", tree);
    act_expect_fail(rec, "is not empty (set recursive: true");
    assert_true(act_exists(file));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-file", "path: '%s', recursive: true", tree);
    act_expect_ok(rec);
    assert_false(act_exists(tree));
    act_assert_file(outside, "survives");
    bt_harness_run_free(&run);
    free(empty);
    free(dirlink);
    free(link);
    free(file);
    free(ab);
    free(a);
    free(deep);
    free(outside);
    free(tree);
}

static void test_delete_file_permission_denied(void **state) {
    if (!act_permissions_apply()) {
        skip();
        return;
    }
    const char *dir = *state;
    char *locked = act_path(dir, "locked");
    assert_int_equal(mkdir(locked, 0755), 0);
    char *f = act_path(locked, "f");
    bt_harness_write_file(f, "x");
    assert_int_equal(chmod(locked, 0555), 0);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "delete-file", "path: '%s'", f);
    char *expect =
        bt_xasprintf("delete-file: cannot delete '%s': Permission denied", f);
    act_expect_fail(rec, expect);
    assert_true(act_exists(f));
    bt_harness_run_free(&run);
    chmod(locked, 0755);
    free(expect);
    free(f);
    free(locked);
}

/* A file name that comes from published data is taken literally even when
 * it holds wildcard characters; wildcards written in the runbook match. */
static void test_patterns_from_published_data_are_literal(void **state) {
    const char *dir = *state;
    char *odd = act_path(dir, "report[1]*.txt");
    char *other = act_path(dir, "report1-other.txt");
    bt_harness_write_file(odd, "odd");
    bt_harness_write_file(other, "other");
    char *out = act_path(dir, "out");
    char *yaml = bt_xasprintf(
        "name: literal\n"
        "activities:\n"
        "  - {id: m, type: map-published-data, properties: {map: {name: "
        "'report[1]*.txt'}}}\n"
        "  - {id: cp, type: copy-file, properties: {source: '%s/{m.name}', "
        "destination: '%s/'}}\n"
        "  - {id: rm, type: delete-file, properties: {path: '%s/{m.name}'}}\n"
        "links:\n"
        "  - {from: m, to: cp}\n"
        "  - {from: cp, to: rm}\n",
        dir, out, dir);
    bt_harness_run run;
    act_run_yaml(yaml, &run);
    const bt_activity_record *cp = bt_harness_record(&run, "cp", 0);
    assert_non_null(cp);
    act_expect_ok(cp);
    assert_int_equal(cp->n_rows, 1);
    assert_string_equal(act_field(cp, 0, "source"), odd);
    char *copied = act_path(out, "report[1]*.txt");
    act_assert_file(copied, "odd");
    const bt_activity_record *rm = bt_harness_record(&run, "rm", 0);
    assert_non_null(rm);
    act_expect_ok(rm);
    assert_int_equal(rm->n_rows, 1);
    assert_false(act_exists(odd));
    assert_true(act_exists(other));
    bt_harness_run_free(&run);
    free(yaml);
    free(copied);
    free(out);
    free(other);
    free(odd);
}

/* ---- get-file-status -------------------------------------------------- */

static void test_get_file_status(void **state) {
    const char *dir = *state;
    char *f = act_path(dir, "archive.tar.gz");
    bt_harness_write_file(f, "12345");
    assert_int_equal(chmod(f, 0640), 0);
    struct timespec times[2] = {{1700000000, 0}, {1700000000, 250000000}};
    assert_int_equal(utimensat(AT_FDCWD, f, times, 0), 0);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "get-file-status", "path: '%s'", f);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "exists"), "true");
    assert_string_equal(act_field(rec, 0, "type"), "file");
    assert_string_equal(act_field(rec, 0, "size"), "5");
    assert_string_equal(act_field(rec, 0, "mode"), "0640");
    assert_string_equal(act_field(rec, 0, "name"), "archive.tar.gz");
    assert_string_equal(act_field(rec, 0, "extension"), "gz");
    assert_string_equal(act_field(rec, 0, "directory"), dir);
    assert_string_equal(act_field(rec, 0, "modified"),
                        "2023-11-14T22:13:20.250Z");
    assert_string_equal(act_field(rec, 0, "accessed"),
                        "2023-11-14T22:13:20.000Z");
    assert_true(strlen(act_field(rec, 0, "owner")) > 0);
    assert_true(strlen(act_field(rec, 0, "group")) > 0);
    assert_string_equal(act_field(rec, 0, "link_target"), "");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "get-file-status", "path: '%s'", dir);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "type"), "directory");
    bt_harness_run_free(&run);

    char *link = act_path(dir, ".hidden-link");
    assert_int_equal(symlink(f, link), 0);
    rec = act_run1(&run, "get-file-status", "path: '%s'", link);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "type"), "symlink");
    assert_string_equal(act_field(rec, 0, "link_target"), f);
    assert_string_equal(act_field(rec, 0, "extension"), "");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "get-file-status",
                   "path: '%s', follow_symlinks: true", link);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "type"), "file");
    assert_string_equal(act_field(rec, 0, "size"), "5");
    bt_harness_run_free(&run);

    char *missing = act_path(dir, "nope.txt");
    rec = act_run1(&run, "get-file-status", "path: '%s'", missing);
    act_expect_fail(rec, "get-file-status: '");
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "get-file-status",
                   "path: '%s', fail_if_missing: false", missing);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "exists"), "false");
    assert_string_equal(act_field(rec, 0, "name"), "nope.txt");
    assert_string_equal(act_field(rec, 0, "size"), "");
    bt_harness_run_free(&run);

    /* Downstream links can branch on exists. */
    char *yaml = bt_xasprintf(
        "name: branch\n"
        "activities:\n"
        "  - {id: st, type: get-file-status, properties: {path: '%s', "
        "fail_if_missing: false}}\n"
        "  - {id: absent, type: create-folder, properties: {path: '%s'}}\n"
        "links:\n"
        "  - {from: st, to: absent, when: '{st.exists} == false'}\n",
        missing, missing);
    act_run_yaml(yaml, &run);
    assert_int_equal(bt_harness_record_count(&run, "absent"), 1);
    struct stat st;
    assert_int_equal(stat(missing, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    bt_harness_run_free(&run);
    free(yaml);
    free(missing);
    free(link);
    free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, act_setup, act_teardown)
        T(test_create_folder_parents_and_mode),
        T(test_create_folder_errors),
        T(test_copy_file_into_folder_preserves),
        T(test_copy_file_to_new_name_and_destination_folder),
        T(test_copy_file_if_exists_policies),
        T(test_copy_file_glob_rows),
        T(test_copy_file_errors),
        T(test_copy_file_failure_leaves_no_partial_file),
        T(test_move_file_and_policies),
        T(test_move_file_glob_rows),
        T(test_move_file_across_filesystems),
        T(test_delete_file),
        T(test_delete_folder_recursive_keeps_link_targets),
        T(test_delete_file_permission_denied),
        T(test_patterns_from_published_data_are_literal),
        T(test_get_file_status),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
