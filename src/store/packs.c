/* Integration pack tables (packs.h). The archive is kept as base64 text so
 * that the portable queries carry it on both backends; packs are few and
 * read when a server starts or a pack changes, not on a hot path. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "store/backend.h"
#include "store/packs.h"

static int query(bt_store *s, const char *sql, const char *const *args,
                 int nargs, bt_store_rows *out, const char *doing,
                 bt_error *err) {
    if (out)
        memset(out, 0, sizeof *out);
    return s->ops->query(s, sql, args, nargs, out, doing, err);
}

static char *str_at(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return bt_xstrdup(c ? c : "");
}

static int64_t i64_at(const bt_store_rows *r, size_t row, size_t col) {
    const char *c = bt__store_cell(r, row, col);
    return c ? strtoll(c, NULL, 10) : 0;
}

static int check_name(const char *name, bt_error *err) {
    if (!name || !*name || strlen(name) > 64)
        return bt_error_set(err, BT_EINVAL,
                            "store: a pack name is 1 to 64 characters");
    return 0;
}

void bt_store_pack_clear(bt_store_pack *p) {
    if (!p)
        return;
    free(p->name);
    free(p->version);
    free(p->checksum);
    free(p->kind);
    free(p->activities);
    free(p->registered_by);
    memset(p, 0, sizeof *p);
}

void bt_store_pack_list_free(bt_store_pack *items, size_t n) {
    for (size_t i = 0; i < n; i++)
        bt_store_pack_clear(&items[i]);
    free(items);
}

#define PACK_COLS                                                              \
    "name, version, checksum, kind, activities, registered_by, "               \
    "registered_us, size"

static void read_pack(const bt_store_rows *r, size_t i, bt_store_pack *p) {
    p->name = str_at(r, i, 0);
    p->version = str_at(r, i, 1);
    p->checksum = str_at(r, i, 2);
    p->kind = str_at(r, i, 3);
    p->activities = str_at(r, i, 4);
    p->registered_by = str_at(r, i, 5);
    p->registered_us = i64_at(r, i, 6);
    p->size = i64_at(r, i, 7);
}

int bt_store_pack_put(bt_store *s, const bt_store_pack *m, const void *archive,
                      size_t len, bt_store_pack_mode mode, bt_error *err) {
    int rc = check_name(m->name, err);
    if (rc)
        return rc;
    if (len > BT_STORE_PACK_MAX)
        return bt_error_set(err, BT_ETOOBIG,
                            "store: pack '%s' is %zu bytes, over the %zu "
                            "byte limit",
                            m->name, len, BT_STORE_PACK_MAX);
    static const char exists_sql[] = "SELECT 1 FROM packs WHERE name = $1";
    static const char insert_sql[] =
        "INSERT INTO packs (" PACK_COLS ", archive) VALUES ($1, $2, $3, $4, "
        "$5, $6, CAST($7 AS bigint), CAST($8 AS bigint), $9)";
    static const char update_sql[] =
        "UPDATE packs SET version = $2, checksum = $3, kind = $4, "
        "activities = $5, registered_by = $6, registered_us = CAST($7 AS "
        "bigint), size = CAST($8 AS bigint), archive = $9 WHERE name = $1";
    size_t b64_len =
        sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = bt_xmalloc(b64_len);
    sodium_bin2base64(b64, b64_len, archive, len,
                      sodium_base64_VARIANT_ORIGINAL);
    char us[24], size[24];
    snprintf(us, sizeof us, "%lld", (long long)bt_store_now(s));
    snprintf(size, sizeof size, "%zu", len);
    const char *args[] = {m->name,
                          m->version,
                          m->checksum,
                          m->kind,
                          m->activities ? m->activities : "",
                          m->registered_by ? m->registered_by : "",
                          us,
                          size,
                          b64};
    if ((rc = s->ops->query_begin(s, err)))
        goto out;
    bt_store_rows r;
    rc = query(s, exists_sql, args, 1, &r, "looking a pack up", err);
    bool exists = r.n > 0;
    bt__store_rows_free(&r);
    if (!rc && mode == BT_STORE_PACK_REGISTER && exists)
        rc = bt_error_set(err, BT_EEXIST,
                          "pack '%s' is registered already (upgrade it)",
                          m->name);
    else if (!rc && mode == BT_STORE_PACK_UPGRADE && !exists)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "pack '%s' is not registered (register it)", m->name);
    if (!rc)
        rc = query(s, exists ? update_sql : insert_sql, args, 9, NULL,
                   "storing a pack", err);
    if (rc)
        s->ops->query_rollback(s);
    else
        rc = s->ops->query_commit(s, err);
out:
    free(b64);
    return rc;
}

int bt_store_pack_get(bt_store *s, const char *name, bt_store_pack *out,
                      void **archive, size_t *archive_len, bt_error *err) {
    memset(out, 0, sizeof *out);
    if (archive)
        *archive = NULL;
    if (archive_len)
        *archive_len = 0;
    int rc = check_name(name, err);
    if (rc)
        return rc;
    static const char sql[] =
        "SELECT " PACK_COLS ", archive FROM packs WHERE name = $1";
    static const char meta_sql[] =
        "SELECT " PACK_COLS " FROM packs WHERE name = $1";
    bt_store_rows r;
    rc =
        query(s, archive ? sql : meta_sql, &name, 1, &r, "reading a pack", err);
    if (rc)
        return rc;
    if (!r.n) {
        bt__store_rows_free(&r);
        return bt_error_set(err, BT_ENOTFOUND, "pack '%s' is not registered",
                            name);
    }
    read_pack(&r, 0, out);
    if (archive) {
        const char *b64 = bt__store_cell(&r, 0, 8);
        size_t blen = b64 ? strlen(b64) : 0;
        unsigned char *bin = bt_xmalloc(blen + 1);
        size_t n = 0;
        if (sodium_base642bin(bin, blen + 1, b64 ? b64 : "", blen, NULL, &n,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
            free(bin);
            bt_store_pack_clear(out);
            bt__store_rows_free(&r);
            return bt_error_set(err, BT_EINTERNAL,
                                "store: pack '%s': the stored archive is "
                                "not base64",
                                name);
        }
        *archive = bin;
        *archive_len = n;
    }
    bt__store_rows_free(&r);
    return 0;
}

static int by_pack_name(const void *a, const void *b) {
    return strcmp(((const bt_store_pack *)a)->name,
                  ((const bt_store_pack *)b)->name);
}

int bt_store_pack_list(bt_store *s, bt_store_pack **items, size_t *n,
                       bt_error *err) {
    *items = NULL;
    *n = 0;
    static const char sql[] = "SELECT " PACK_COLS " FROM packs";
    bt_store_rows r;
    int rc = query(s, sql, NULL, 0, &r, "listing packs", err);
    if (rc)
        return rc;
    *items = bt_xcalloc(r.n + 1, sizeof **items);
    for (size_t i = 0; i < r.n; i++)
        read_pack(&r, i, &(*items)[i]);
    *n = r.n;
    qsort(*items, *n, sizeof **items, by_pack_name);
    bt__store_rows_free(&r);
    return 0;
}

int bt_store_pack_delete(bt_store *s, const char *name, bt_error *err) {
    int rc = check_name(name, err);
    if (rc)
        return rc;
    static const char del_status[] = "DELETE FROM pack_status WHERE pack = $1";
    static const char del_pack[] =
        "DELETE FROM packs WHERE name = $1 RETURNING name";
    if ((rc = s->ops->query_begin(s, err)))
        return rc;
    bt_store_rows r = {0};
    rc = query(s, del_status, &name, 1, NULL, "removing a pack", err);
    if (!rc)
        rc = query(s, del_pack, &name, 1, &r, "removing a pack", err);
    if (!rc && !r.n)
        rc = bt_error_set(err, BT_ENOTFOUND, "pack '%s' is not registered",
                          name);
    bt__store_rows_free(&r);
    if (rc) {
        s->ops->query_rollback(s);
        return rc;
    }
    return s->ops->query_commit(s, err);
}

int bt_store_pack_status_set(bt_store *s, int64_t server_id, const char *pack,
                             const char *version, const char *checksum,
                             bool loaded, const char *message, bt_error *err) {
    int rc = check_name(pack, err);
    if (rc)
        return rc;
    static const char sql[] =
        "INSERT INTO pack_status (server_id, pack, version, checksum, "
        "loaded, message, updated_us) VALUES (CAST($1 AS bigint), $2, $3, "
        "$4, CAST($5 AS integer), $6, CAST($7 AS bigint)) ON CONFLICT "
        "(server_id, pack) DO UPDATE SET version = excluded.version, "
        "checksum = excluded.checksum, loaded = excluded.loaded, message = "
        "excluded.message, updated_us = excluded.updated_us";
    char id[24], us[24];
    snprintf(id, sizeof id, "%lld", (long long)server_id);
    snprintf(us, sizeof us, "%lld", (long long)bt_store_now(s));
    const char *args[] = {id,
                          pack,
                          version ? version : "",
                          checksum ? checksum : "",
                          loaded ? "1" : "0",
                          message ? message : "",
                          us};
    if ((rc = s->ops->query_begin(s, err)))
        return rc;
    rc = query(s, sql, args, 7, NULL, "recording a pack's status", err);
    if (rc) {
        s->ops->query_rollback(s);
        return rc;
    }
    return s->ops->query_commit(s, err);
}

void bt_store_pack_status_list_free(bt_store_pack_status *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(items[i].server);
        free(items[i].pack);
        free(items[i].version);
        free(items[i].checksum);
        free(items[i].message);
    }
    free(items);
}

static int by_pack_server(const void *a, const void *b) {
    const bt_store_pack_status *x = a, *y = b;
    int c = strcmp(x->pack, y->pack);
    return c ? c : strcmp(x->server, y->server);
}

int bt_store_pack_status_list(bt_store *s, const char *pack,
                              bt_store_pack_status **items, size_t *n,
                              bt_error *err) {
    *items = NULL;
    *n = 0;
    static const char all_sql[] =
        "SELECT p.server_id, s.name, p.pack, p.version, p.checksum, "
        "p.loaded, p.message, p.updated_us FROM pack_status p JOIN servers "
        "s ON s.id = p.server_id";
    static const char one_sql[] =
        "SELECT p.server_id, s.name, p.pack, p.version, p.checksum, "
        "p.loaded, p.message, p.updated_us FROM pack_status p JOIN servers "
        "s ON s.id = p.server_id WHERE p.pack = $1";
    bt_store_rows r;
    int rc = query(s, pack ? one_sql : all_sql, &pack, pack ? 1 : 0, &r,
                   "listing pack statuses", err);
    if (rc)
        return rc;
    *items = bt_xcalloc(r.n + 1, sizeof **items);
    for (size_t i = 0; i < r.n; i++) {
        bt_store_pack_status *st = &(*items)[i];
        st->server_id = i64_at(&r, i, 0);
        st->server = str_at(&r, i, 1);
        st->pack = str_at(&r, i, 2);
        st->version = str_at(&r, i, 3);
        st->checksum = str_at(&r, i, 4);
        st->loaded = i64_at(&r, i, 5) != 0;
        st->message = str_at(&r, i, 6);
        st->updated_us = i64_at(&r, i, 7);
    }
    *n = r.n;
    qsort(*items, *n, sizeof **items, by_pack_server);
    bt__store_rows_free(&r);
    return 0;
}
