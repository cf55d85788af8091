/* A pack's manifest (pack.yaml) as read, and the checks both kinds of pack
 * share. Internal to src/packs. */
#ifndef BT_PACKS_MANIFEST_H
#define BT_PACKS_MANIFEST_H

#include <stdint.h>

#include "baton/error.h"
#include "runbook/doc.h"

typedef struct bt_pack_manifest {
    bt_doc *doc;
    char *path; /* the manifest file */
    char *dir;  /* its directory */
    const char *name;
    const char *version;
    const char *description;   /* "" when absent */
    const char *library;       /* NULL: a command-line pack */
    const char *checksum;      /* "sha256:<hex>" or NULL */
    int64_t abi;               /* 0 when absent */
    const bt_node *activities; /* a sequence */
} bt_pack_manifest;

/* Reads and checks the common fields; path is a pack.yaml or a directory
 * holding one. */
int bt__pack_manifest_read(const char *path, bt_pack_manifest *m,
                           bt_error *err);
void bt__pack_manifest_free(bt_pack_manifest *m);

/* An error at a node of the manifest: "pack.yaml:4:3: pack 'x' 1.0: ...". */
int bt__pack_manifest_error(const bt_pack_manifest *m, const bt_node *at,
                            bt_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* True for a pack or activity name: [a-z0-9][a-z0-9_-]*, at most 64. */
bool bt__pack_name_ok(const char *name);

/* "sha256:<64 hex>" of a file. -BT_EIO with the reason in err. */
int bt__pack_file_sha256(const char *path, char out[72], bt_error *err);

#endif
