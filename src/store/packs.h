/* The store's integration pack tables (migration 3): registered packs with
 * their archives, and what each runbook server made of each pack. Written
 * once for both backends in their shared SQL (backend.h: query). */
#ifndef BT_STORE_PACKS_H
#define BT_STORE_PACKS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* An archive larger than this is refused (base64 text in the table). */
#define BT_STORE_PACK_MAX ((size_t)12 << 20)

typedef struct bt_store_pack {
    char *name;
    char *version;
    char *checksum;   /* "sha256:<hex>" of the archive */
    char *kind;       /* "c" or "command-line" */
    char *activities; /* names, comma-separated (for the palette) */
    char *registered_by;
    int64_t registered_us;
    int64_t size; /* archive bytes */
} bt_store_pack;

typedef enum {
    BT_STORE_PACK_REGISTER, /* -BT_EEXIST when the pack is registered */
    BT_STORE_PACK_UPGRADE   /* -BT_ENOTFOUND when it is not */
} bt_store_pack_mode;

/* Stores meta (size taken from archive_len) with the archive. */
int bt_store_pack_put(bt_store *s, const bt_store_pack *meta,
                      const void *archive, size_t archive_len,
                      bt_store_pack_mode mode, bt_error *err);
/* archive may be NULL (metadata only); *archive is malloc'd. */
int bt_store_pack_get(bt_store *s, const char *name, bt_store_pack *out,
                      void **archive, size_t *archive_len, bt_error *err);
/* Sorted by name. */
int bt_store_pack_list(bt_store *s, bt_store_pack **items, size_t *n,
                       bt_error *err);
/* -BT_ENOTFOUND when not registered. Its server statuses go with it. */
int bt_store_pack_delete(bt_store *s, const char *name, bt_error *err);
void bt_store_pack_clear(bt_store_pack *p);
void bt_store_pack_list_free(bt_store_pack *items, size_t n);

typedef struct bt_store_pack_status {
    int64_t server_id;
    char *server; /* its name */
    char *pack;
    char *version;
    char *checksum;
    bool loaded;
    char *message; /* why not, when not loaded */
    int64_t updated_us;
} bt_store_pack_status;

int bt_store_pack_status_set(bt_store *s, int64_t server_id, const char *pack,
                             const char *version, const char *checksum,
                             bool loaded, const char *message, bt_error *err);
/* Every server's status of every pack (pack NULL) or of one; by pack,
 * then server name. */
int bt_store_pack_status_list(bt_store *s, const char *pack,
                              bt_store_pack_status **items, size_t *n,
                              bt_error *err);
void bt_store_pack_status_list_free(bt_store_pack_status *items, size_t n);

#endif
