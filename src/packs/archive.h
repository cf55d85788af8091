/* Pack archives: what `baton pack register` uploads and runbook servers
 * unpack. A tar (optionally gzip'ed) holding pack.yaml and, for a C pack,
 * its library; files may sit in one top-level folder. */
#ifndef BT_PACKS_ARCHIVE_H
#define BT_PACKS_ARCHIVE_H

#include <stddef.h>

#include "baton/error.h"
#include "common/buf.h"

/* At most this many files, each at most BT_PACK_FILE_MAX. */
#define BT_PACK_FILES_MAX 64
#define BT_PACK_FILE_MAX ((size_t)12 << 20)

/* The archive for path: a .tar / .tar.gz / .tgz file as it is, or for a
 * pack directory or its pack.yaml, a tar of the manifest and the library
 * it names (the manifest is read and checked first). */
int bt_pack_archive_make(const char *path, bt_buf *out, bt_error *err);

/* Unpacks into dir (created; must not exist). Only regular files, no
 * names with '..' or deeper than one folder: an archive cannot write
 * outside dir. */
int bt_pack_archive_extract(const void *data, size_t len, const char *dir,
                            bt_error *err);

/* What an archive holds, read from its manifest without loading any code
 * (the management server's checks). Strings are malloc'd. */
typedef struct bt_pack_summary {
    char *name;
    char *version;
    char *kind;        /* "c" or "command-line" */
    char *activities;  /* comma-separated names */
    char checksum[72]; /* of the archive */
} bt_pack_summary;

int bt_pack_archive_inspect(const void *data, size_t len, bt_pack_summary *out,
                            bt_error *err);
void bt_pack_summary_free(bt_pack_summary *s);

/* "sha256:<hex>" of a memory block. */
void bt_pack_sha256(const void *data, size_t len, char out[72]);

/* Removes a directory tree this module made (files one level deep). */
void bt__pack_remove_dir(const char *dir);

#endif
