/* Shared by pgp-encrypt-file and pgp-decrypt-file: a gpgme context on a
 * chosen keyring folder (GNUPGHOME), never asking a pinentry. */
#ifndef BT_PGP_H
#define BT_PGP_H

#include <gpgme.h>

#include "activities/file/fileutil.h"

/* A context for OpenPGP on keyring `home` (NULL: gpg's default, the
 * daemon user's ~/.gnupg). passphrase (may be NULL) answers any
 * passphrase question through loopback pinentry; without one the question
 * fails instead of waiting for a pinentry that nobody sees. */
int bt_pgp_context(const char *type_name, const char *home,
                   const char *passphrase, gpgme_ctx_t *out, bt_error *err);
/* "cannot encrypt '/x': No public key" from a gpgme error. */
int bt_pgp_error(bt_error *err, gpgme_error_t e, const char *verb,
                 const char *path);

/* Opens path for reading and fills a gpgme data object over it. */
int bt_pgp_open_input(const char *path, int *fd, gpgme_data_t *data,
                      bt_error *err);
/* The `home` property: an absolute folder that exists. */
int bt_pgp_home_prop(bt_activity_ctx *ctx, const char **out);

/* Renames the finished temporary file to target under the if_exists
 * policy (skip is the caller's: checked before any work). *final is
 * malloc'd; *action: created, overwritten or renamed. */
int bt_pgp_place(bt_tmpfile *tmp, const char *target, bt_if_exists policy,
                 char **final, const char **action, bt_error *err);

#endif
