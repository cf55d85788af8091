/* The store's pack tables on the backend given by BATON_TEST_STORE_URL (a
 * throw-away PostgreSQL under scripts/pg-throwaway.sh), else on a SQLite
 * file in a scratch folder: register and upgrade rules, a binary archive
 * round trip, sorted lists, per-server status, removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "store/packs.h"

#define OK(call)                                                               \
    do {                                                                       \
        bt_error e_ = {0};                                                     \
        int rc_ = (call);                                                      \
        if (rc_)                                                               \
            fprintf(stderr, "%s: %s\n", #call, e_.message);                    \
        assert_int_equal(rc_, 0);                                              \
    } while (0)

typedef struct fixture {
    char *dir;
    bt_store *s;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    const char *url = getenv("BATON_TEST_STORE_URL");
    char *own = NULL;
    if (!url) {
        f->dir = bt_harness_tmpdir();
        assert_true(asprintf(&own, "sqlite:%s/baton.db", f->dir) > 0);
        url = own;
    }
    bt_error err = {0};
    int rc = bt_store_open(url, &f->s, &err);
    if (rc)
        fprintf(stderr, "%s: %s\n", url, err.message);
    assert_int_equal(rc, 0);
    free(own);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bt_store_close(f->s);
    if (f->dir)
        bt_harness_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void test_register_upgrade_remove(void **state) {
    fixture *f = *state;
    /* A tar holds NUL bytes: the archive must come back byte for byte. */
    unsigned char data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)i;
    bt_store_pack m = {.name = "zeta",
                       .version = "1.0",
                       .checksum = "sha256:z",
                       .kind = "c",
                       .activities = "a,b",
                       .registered_by = "admin"};
    bt_error err = {0};
    OK(bt_store_pack_put(f->s, &m, data, sizeof data, BT_STORE_PACK_REGISTER,
                         &e_));
    assert_int_equal(
        bt_store_pack_put(f->s, &m, data, 10, BT_STORE_PACK_REGISTER, &err),
        -BT_EEXIST);
    assert_non_null(strstr(err.message, "registered already"));
    bt_store_pack a = {.name = "alpha",
                       .version = "0.1",
                       .checksum = "x",
                       .kind = "command-line"};
    assert_int_equal(
        bt_store_pack_put(f->s, &a, "t", 1, BT_STORE_PACK_UPGRADE, &err),
        -BT_ENOTFOUND);
    OK(bt_store_pack_put(f->s, &a, "t", 1, BT_STORE_PACK_REGISTER, &e_));

    bt_store_pack *items = NULL;
    size_t n = 0;
    OK(bt_store_pack_list(f->s, &items, &n, &e_));
    assert_int_equal(n, 2);
    assert_string_equal(items[0].name, "alpha");
    assert_string_equal(items[1].name, "zeta");
    assert_string_equal(items[1].activities, "a,b");
    assert_int_equal(items[1].size, sizeof data);
    bt_store_pack_list_free(items, n);

    m.version = "2.0";
    m.checksum = "sha256:z2";
    data[0] = 0xff;
    OK(bt_store_pack_put(f->s, &m, data, sizeof data, BT_STORE_PACK_UPGRADE,
                         &e_));
    bt_store_pack got;
    void *blob = NULL;
    size_t len = 0;
    OK(bt_store_pack_get(f->s, "zeta", &got, &blob, &len, &e_));
    assert_string_equal(got.version, "2.0");
    assert_string_equal(got.checksum, "sha256:z2");
    assert_int_equal(len, sizeof data);
    assert_memory_equal(blob, data, sizeof data);
    free(blob);
    bt_store_pack_clear(&got);

    int64_t srv = 0;
    OK(bt_store_server_register(f->s, "pack-store-rb", "0.1.0", 60000, &srv,
                                &e_));
    OK(bt_store_pack_status_set(f->s, srv, "zeta", "2.0", "sha256:z2", false,
                                "cannot load", &e_));
    OK(bt_store_pack_status_set(f->s, srv, "zeta", "2.0", "sha256:z2", true, "",
                                &e_)); /* replaces */
    OK(bt_store_pack_status_set(f->s, srv, "alpha", "0.1", "x", true, "", &e_));
    bt_store_pack_status *st = NULL;
    OK(bt_store_pack_status_list(f->s, "zeta", &st, &n, &e_));
    assert_int_equal(n, 1);
    assert_true(st[0].loaded);
    assert_string_equal(st[0].server, "pack-store-rb");
    bt_store_pack_status_list_free(st, n);

    OK(bt_store_pack_delete(f->s, "zeta", &e_));
    assert_int_equal(bt_store_pack_delete(f->s, "zeta", &err), -BT_ENOTFOUND);
    assert_int_equal(bt_store_pack_get(f->s, "zeta", &got, NULL, NULL, &err),
                     -BT_ENOTFOUND);
    OK(bt_store_pack_status_list(f->s, NULL, &st, &n, &e_));
    assert_int_equal(n, 1); /* zeta's status went with it */
    assert_string_equal(st[0].pack, "alpha");
    bt_store_pack_status_list_free(st, n);
    OK(bt_store_pack_delete(f->s, "alpha", &e_));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_upgrade_remove, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
