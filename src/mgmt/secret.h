/* Encrypted global variables: libsodium secretbox under a 32-byte key kept
 * in a file outside the database (DATA_DIR/secret.key, mode 0600), so a
 * copy of the database alone reveals nothing. A sealed value is the random
 * nonce followed by the ciphertext. The management server seals; the
 * runbook server opens when it expands {var:name}. No API returns the
 * plain text. */
#ifndef BT_MGMT_SECRET_H
#define BT_MGMT_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/error.h"

#define BT_SECRET_KEY_BYTES 32

/* Reads the key; when the file is missing and create is true, writes 32
 * random bytes to it first (0600, refusing to follow an existing link). A
 * file of another size or readable by others is an error naming it. */
int bt_secret_key_load(const char *path, bool create,
                       unsigned char key[BT_SECRET_KEY_BYTES], bt_error *err);

/* nonce || secretbox(plain), malloc'd into *out. */
int bt_secret_seal(const unsigned char key[BT_SECRET_KEY_BYTES],
                   const void *plain, size_t len, unsigned char **out,
                   size_t *out_len, bt_error *err);
/* The plain text (NUL-terminated, malloc'd); -BT_EINVAL when the value
 * was not sealed with this key or was altered. */
int bt_secret_open(const unsigned char key[BT_SECRET_KEY_BYTES],
                   const unsigned char *sealed, size_t len, char **out,
                   size_t *out_len, bt_error *err);

#endif
