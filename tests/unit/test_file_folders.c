/* rename-file, delete-folder and move-folder against real files, moving
 * across filesystems (to /dev/shm) when that is a different one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity_support.h"

static void mkdir_ok(const char *path) { assert_int_equal(mkdir(path, 0755), 0); }

/* ---- rename-file ------------------------------------------------------ */

static void test_rename_file(void **state) {
    char *a = act_path(*state, "a.txt"), *b = act_path(*state, "b.txt");
    bt_harness_write_file(a, "A");
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "rename-file", "path: '%s', new_name: b.txt", a);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "new_path"), b);
    assert_string_equal(act_field(rec, 0, "action"), "renamed");
    assert_false(act_exists(a));
    act_assert_file(b, "A");
    bt_harness_run_free(&run);

    /* Name taken: fail (untouched), skip, rename, overwrite. */
    bt_harness_write_file(a, "A2");
    rec = act_run1(&run, "rename-file", "path: '%s', new_name: b.txt", a);
    act_expect_fail(rec, "b.txt' already exists");
    act_assert_file(b, "A");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "rename-file",
                   "path: '%s', new_name: b.txt, if_exists: skip", a);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "skipped");
    assert_true(act_exists(a));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "rename-file",
                   "path: '%s', new_name: b.txt, if_exists: rename", a);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "numbered");
    char *b1 = act_path(*state, "b (1).txt");
    assert_string_equal(act_field(rec, 0, "new_path"), b1);
    act_assert_file(b1, "A2");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "rename-file",
                   "path: '%s', new_name: b.txt, if_exists: overwrite", b1);
    act_expect_ok(rec);
    act_assert_file(b, "A2");
    assert_false(act_exists(b1));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "rename-file", "path: '%s', new_name: '../x'", b);
    act_expect_fail(rec, "must be a file name without '/'");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "rename-file", "path: '%s', new_name: x", a);
    act_expect_fail(rec, "rename-file: '");
    act_expect_fail(rec, "a.txt' does not exist");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "rename-file", "path: '%s', new_name: x",
                   (char *)*state);
    act_expect_fail(rec, "is a folder");
    bt_harness_run_free(&run);
    free(b1);
    free(a);
    free(b);
}

/* ---- delete-folder ---------------------------------------------------- */

static void test_delete_folder(void **state) {
    char *d = act_path(*state, "d"), *sub = act_path(*state, "d/sub");
    char *f = act_path(*state, "d/sub/f.txt");
    char *outside = act_path(*state, "keep.txt");
    char *link = act_path(*state, "d/link");
    mkdir_ok(d);
    mkdir_ok(sub);
    bt_harness_write_file(f, "x");
    bt_harness_write_file(outside, "keep");
    assert_int_equal(symlink(outside, link), 0);

    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "delete-folder", "path: '%s'", d);
    act_expect_fail(rec, "is not empty (set recursive: true");
    assert_true(act_exists(f));
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-folder", "path: '%s'", f);
    act_expect_fail(rec, "is not a folder");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "delete-folder", "path: '%s'", link);
    act_expect_fail(rec, "is a symbolic link");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "delete-folder", "path: '/', recursive: true");
    act_expect_fail(rec, "refusing to delete '/'");
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-folder", "path: '%s', recursive: true", d);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "deleted"), "true");
    assert_false(act_exists(d));
    act_assert_file(outside, "keep"); /* the link's target survives */
    bt_harness_run_free(&run);

    rec = act_run1(&run, "delete-folder", "path: '%s'", d);
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "delete-folder", "path: '%s', ignore_missing: true",
                   d);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "deleted"), "false");
    bt_harness_run_free(&run);

    mkdir_ok(d);
    rec = act_run1(&run, "delete-folder", "path: '%s'", d);
    act_expect_ok(rec);
    assert_false(act_exists(d));
    bt_harness_run_free(&run);
    free(d);
    free(sub);
    free(f);
    free(outside);
    free(link);
}

/* ---- move-folder ------------------------------------------------------ */

static void make_tree(const char *root) {
    char p[4096];
    mkdir_ok(root);
    snprintf(p, sizeof p, "%s/sub", root);
    mkdir_ok(p);
    snprintf(p, sizeof p, "%s/sub/f.txt", root);
    bt_harness_write_file(p, "content");
    assert_int_equal(chmod(p, 0600), 0);
    snprintf(p, sizeof p, "%s/ln", root);
    assert_int_equal(symlink("sub/f.txt", p), 0);
}

static void check_tree(const char *root) {
    char p[4096];
    snprintf(p, sizeof p, "%s/sub/f.txt", root);
    act_assert_file(p, "content");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    snprintf(p, sizeof p, "%s/ln", root);
    char target[64] = {0};
    assert_int_equal(readlink(p, target, sizeof target - 1), 9);
    assert_string_equal(target, "sub/f.txt");
}

static void test_move_folder(void **state) {
    char *src = act_path(*state, "src"), *dst = act_path(*state, "dst");
    make_tree(src);
    mkdir_ok(dst);
    bt_harness_run run;
    /* An existing folder: moved into it, keeping its name. */
    const bt_activity_record *rec =
        act_run1(&run, "move-folder", "source: '%s', destination: '%s'", src,
                 dst);
    act_expect_ok(rec);
    char *moved = act_path(*state, "dst/src");
    assert_string_equal(act_field(rec, 0, "destination"), moved);
    assert_string_equal(act_field(rec, 0, "action"), "moved");
    assert_false(act_exists(src));
    check_tree(moved);
    bt_harness_run_free(&run);

    /* A new full path, with missing parents created. */
    char *renamed = act_path(*state, "x/y/renamed");
    rec = act_run1(&run, "move-folder", "source: '%s', destination: '%s'",
                   moved, renamed);
    act_expect_ok(rec);
    check_tree(renamed);
    bt_harness_run_free(&run);

    /* Target taken: dst/src exists. */
    make_tree(src);
    mkdir_ok(moved);
    rec = act_run1(&run, "move-folder", "source: '%s', destination: '%s'",
                   src, dst);
    act_expect_fail(rec, "dst/src' already exists");
    assert_true(act_exists(src));
    bt_harness_run_free(&run);
    rec = act_run1(&run, "move-folder",
                   "source: '%s', destination: '%s', if_exists: rename", src,
                   dst);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "renamed");
    char *r1 = act_path(*state, "dst/src (1)");
    check_tree(r1);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "move-folder", "source: '%s', destination: '%s/in'",
                   renamed, renamed);
    act_expect_fail(rec, "into itself");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "move-folder", "source: '/', destination: '%s'",
                   dst);
    act_expect_fail(rec, "refusing to move '/'");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "move-folder", "source: '%s', destination: '%s'",
                   src, dst);
    act_expect_fail(rec, "does not exist");
    bt_harness_run_free(&run);
    free(r1);
    free(renamed);
    free(moved);
    free(src);
    free(dst);
}

static void test_move_folder_across_filesystems(void **state) {
    struct stat a, b;
    if (stat("/dev/shm", &b) != 0 || access("/dev/shm", W_OK) != 0 ||
        stat(*state, &a) != 0 || a.st_dev == b.st_dev) {
        fprintf(stderr, "skipped: /dev/shm is not a separate writable "
                        "filesystem\n");
        skip();
    }
    char *src = act_path(*state, "tree");
    make_tree(src);
    char other[] = "/dev/shm/bt-move-XXXXXX";
    assert_non_null(mkdtemp(other));
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "move-folder", "source: '%s', destination: '%s/'",
                 src, other);
    act_expect_ok(rec);
    char *moved = act_path(other, "tree");
    assert_string_equal(act_field(rec, 0, "destination"), moved);
    check_tree(moved);
    assert_false(act_exists(src));
    bt_harness_run_free(&run);
    free(moved);
    free(src);
    bt_harness_rmrf(other);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, act_setup, act_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_rename_file),
        T(test_delete_folder),
        T(test_move_folder),
        T(test_move_folder_across_filesystems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
