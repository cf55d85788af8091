/* compress-file and decompress-file against real files, and hostile
 * archives built here with libarchive: entries with "..", absolute names,
 * symbolic links pointing out, and entries written through a link. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity_support.h"

static void mkdir_ok(const char *path) { assert_int_equal(mkdir(path, 0755), 0); }

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void make_input(const char *dir) {
    char p[4096];
    snprintf(p, sizeof p, "%s/in", dir);
    mkdir_ok(p);
    snprintf(p, sizeof p, "%s/in/a.txt", dir);
    bt_harness_write_file(p, "alpha\n");
    snprintf(p, sizeof p, "%s/in/b.log", dir);
    bt_harness_write_file(p, "bravo\n");
    snprintf(p, sizeof p, "%s/in/sub", dir);
    mkdir_ok(p);
    snprintf(p, sizeof p, "%s/in/sub/c.txt", dir);
    bt_harness_write_file(p, "charlie\n");
    assert_int_equal(chmod(p, 0750), 0);
    snprintf(p, sizeof p, "%s/in/sub/ln", dir);
    assert_int_equal(symlink("c.txt", p), 0);
}

static void round_trip(const char *dir, const char *archive_name) {
    char *src = act_path(dir, "in/*"), *archive = act_path(dir, archive_name);
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "compress-file", "source: '%s', destination: '%s'", src, archive);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "archive"), archive);
    assert_string_equal(act_field(rec, 0, "file_count"), "4");
    assert_string_equal(act_field(rec, 0, "action"), "created");
    assert_true(atoi(act_field(rec, 0, "size")) > 0);
    bt_harness_run_free(&run);

    char *out = act_path(dir, "out");
    rec = act_run1(&run, "decompress-file", "path: '%s', destination: '%s'",
                   archive, out);
    act_expect_ok(rec);
    assert_int_equal(rec->n_rows, 5); /* a.txt b.log sub/ sub/c.txt sub/ln */
    char p[4096];
    snprintf(p, sizeof p, "%s/a.txt", out);
    act_assert_file(p, "alpha\n");
    snprintf(p, sizeof p, "%s/sub/c.txt", out);
    act_assert_file(p, "charlie\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    snprintf(p, sizeof p, "%s/sub/ln", out);
    act_assert_file(p, "charlie\n"); /* through the link */
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    bt_harness_run_free(&run);

    /* Unpacking again: fail before writing anything, skip, overwrite. */
    snprintf(p, sizeof p, "%s/a.txt", out);
    bt_harness_write_file(p, "changed\n");
    rec = act_run1(&run, "decompress-file", "path: '%s', destination: '%s'",
                   archive, out);
    act_expect_fail(rec, "already exists (set if_exists");
    act_assert_file(p, "changed\n");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "decompress-file",
                   "path: '%s', destination: '%s', if_exists: skip", archive,
                   out);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "skipped");
    act_assert_file(p, "changed\n");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "decompress-file",
                   "path: '%s', destination: '%s', if_exists: overwrite",
                   archive, out);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "overwritten");
    act_assert_file(p, "alpha\n");
    bt_harness_run_free(&run);
    bt_harness_rmrf(out);
    free(out);
    free(src);
    free(archive);
}

static void test_zip_round_trip(void **state) { round_trip(*state, "x.zip"); }

static void test_tar_gz_round_trip(void **state) {
    round_trip(*state, "x.tar.gz");
}

static void test_compress_options(void **state) {
    const char *dir = *state;
    make_input(dir);
    char *src = act_path(dir, "in/a.txt"), *archive = act_path(dir, "a.zip");
    bt_harness_run run;
    const bt_activity_record *rec = act_run1(
        &run, "compress-file", "source: '%s', destination: '%s'", src, archive);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "file_count"), "1");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "compress-file", "source: '%s', destination: '%s'",
                   src, archive);
    act_expect_fail(rec, "a.zip' already exists (set if_exists");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "compress-file",
                   "source: '%s', destination: '%s', if_exists: skip", src,
                   archive);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "skipped");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "compress-file",
                   "source: '%s', destination: '%s', if_exists: rename", src,
                   archive);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "renamed");
    char *a1 = act_path(dir, "a (1).zip");
    assert_string_equal(act_field(rec, 0, "archive"), a1);
    bt_harness_run_free(&run);
    rec = act_run1(&run, "compress-file",
                   "source: '%s', destination: '%s', if_exists: overwrite",
                   src, archive);
    act_expect_ok(rec);
    assert_string_equal(act_field(rec, 0, "action"), "overwritten");
    bt_harness_run_free(&run);

    char *other = act_path(dir, "a.bin");
    rec = act_run1(&run, "compress-file", "source: '%s', destination: '%s'",
                   src, other);
    act_expect_fail(rec, "cannot tell the format");
    bt_harness_run_free(&run);
    rec = act_run1(&run, "compress-file",
                   "source: '%s', destination: '%s', format: tar.gz", src,
                   other);
    act_expect_ok(rec);
    bt_harness_run_free(&run);
    char *missing = act_path(dir, "nope/*.txt");
    rec = act_run1(&run, "compress-file", "source: '%s', destination: '%s'",
                   missing, archive);
    act_expect_fail(rec, "matched nothing");
    bt_harness_run_free(&run);
    free(missing);
    free(other);
    free(a1);
    free(src);
    free(archive);
}

/* ---- hostile archives ------------------------------------------------- */

typedef struct evil_entry {
    const char *name;
    const char *content; /* file content, or NULL */
    const char *symlink; /* link target, or NULL */
} evil_entry;

static void write_archive(const char *path, bool zip, const evil_entry *ents,
                          size_t n) {
    struct archive *a = archive_write_new();
    if (zip)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].name);
        if (ents[i].symlink) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, ents[i].symlink);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)strlen(ents[i].content));
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (!ents[i].symlink)
            archive_write_data(a, ents[i].content, strlen(ents[i].content));
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

static void expect_refused(const char *dir, bool zip, const evil_entry *ents,
                           size_t n, const char *why) {
    char *archive = act_path(dir, zip ? "evil.zip" : "evil.tar");
    char *out = act_path(dir, "deep/out");
    unlink(archive);
    write_archive(archive, zip, ents, n);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "decompress-file", "path: '%s', destination: '%s'",
                 archive, out);
    act_expect_fail(rec, "decompress-file: refusing archive '");
    act_expect_fail(rec, why);
    /* Checked before writing: not even the destination was made. */
    assert_false(act_exists(out));
    bt_harness_run_free(&run);
    free(archive);
    free(out);
}

static void test_decompress_refuses_hostile_archives(void **state) {
    const char *dir = *state;
    char deep[4096];
    snprintf(deep, sizeof deep, "%s/deep", dir);
    mkdir_ok(deep);
    for (int zip = 0; zip <= 1; zip++) {
        evil_entry dotdot[] = {{"ok.txt", "fine", NULL},
                               {"../escaped.txt", "evil", NULL}};
        expect_refused(dir, zip, dotdot, 2, "entry '../escaped.txt' would be "
                                            "written outside");
        evil_entry inner_dotdot[] = {{"a/../../escaped.txt", "evil", NULL}};
        expect_refused(dir, zip, inner_dotdot, 1, "would be written outside");
        char abs[4200];
        snprintf(abs, sizeof abs, "%s/abs.txt", dir);
        evil_entry absolute[] = {{abs, "evil", NULL}};
        expect_refused(dir, zip, absolute, 1, "would be written outside");
        evil_entry link_abs[] = {{"ln", NULL, "/etc"}};
        expect_refused(dir, zip, link_abs, 1,
                       "symbolic link 'ln' points outside");
        evil_entry link_up[] = {{"sub/ln", NULL, "../../x"}};
        expect_refused(dir, zip, link_up, 1,
                       "symbolic link 'sub/ln' points outside");
        /* A link that stays inside, then a file written through it. */
        evil_entry through[] = {{"ln", NULL, "."},
                                {"ln/x.txt", "evil", NULL}};
        expect_refused(dir, zip, through, 2,
                       "written through a symbolic link");
    }
    assert_false(act_exists(deep) && count_entries(deep) != 0);
    char esc[4096];
    snprintf(esc, sizeof esc, "%s/escaped.txt", dir);
    assert_false(act_exists(esc));
    snprintf(esc, sizeof esc, "%s/abs.txt", dir);
    assert_false(act_exists(esc));

    /* A link inside that stays inside is fine. */
    char *archive = act_path(dir, "good.tar"), *out = act_path(dir, "good");
    evil_entry good[] = {{"d/f.txt", "x", NULL}, {"d/ln", NULL, "../d/f.txt"}};
    write_archive(archive, false, good, 2);
    bt_harness_run run;
    const bt_activity_record *rec =
        act_run1(&run, "decompress-file", "path: '%s', destination: '%s'",
                 archive, out);
    act_expect_ok(rec);
    char p[4096];
    snprintf(p, sizeof p, "%s/d/ln", out);
    act_assert_file(p, "x");
    bt_harness_run_free(&run);

    /* A link already in the destination is not written through. */
    char *out2 = act_path(dir, "pre");
    mkdir_ok(out2);
    snprintf(p, sizeof p, "%s/d", out2);
    assert_int_equal(symlink(deep, p), 0);
    rec = act_run1(&run, "decompress-file", "path: '%s', destination: '%s'",
                   archive, out2);
    act_expect_fail(rec, "through the symbolic link");
    assert_int_equal(count_entries(deep), 0);
    bt_harness_run_free(&run);

    rec = act_run1(&run, "decompress-file", "path: '%s/none.zip', "
                   "destination: '%s'", dir, out);
    act_expect_fail(rec, "none.zip' does not exist");
    bt_harness_run_free(&run);
    free(out2);
    free(archive);
    free(out);
}

static int setup_input(void **state) {
    act_setup(state);
    make_input(*state);
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, act_setup, act_teardown)
#define TI(fn) cmocka_unit_test_setup_teardown(fn, setup_input, act_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        TI(test_zip_round_trip),
        TI(test_tar_gz_round_trip),
        T(test_compress_options),
        T(test_decompress_refuses_hostile_archives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
