/* PGP Decrypt File: decrypts a file with a secret key from a keyring
 * folder (GNUPGHOME), with GnuPG through gpgme. The result goes through a
 * temporary file and a rename, so a failed decryption (wrong key, damaged
 * file) leaves nothing under the output name. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/pgp.h"
#include "common/util.h"

static const bt_prop_spec pgp_decrypt_file_props[] = {
    {"path", BT_PROP_STRING, true, NULL,
     "Absolute path of the encrypted file (binary or armored)", NULL},
    {"output_path", BT_PROP_STRING, false,
     "path without .gpg/.pgp/.asc (else path + .out)",
     "Absolute path of the decrypted file", NULL},
    {"gnupghome", BT_PROP_STRING, false, "~/.gnupg",
     "Keyring folder holding the secret key", NULL},
    {"passphrase", BT_PROP_STRING, false, NULL,
     "Passphrase of the secret key", NULL},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When output_path exists: fail, overwrite, skip or rename",
     bt_fileutil_if_exists_names},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const pgp_decrypt_file_published[] = {
    "path", "output_path", "size", "key_id", "file_name", "action", NULL};

#define WHAT "pgp-decrypt-file"

static const char *default_output(bt_activity_ctx *ctx, const char *path) {
    static const char *const exts[] = {".gpg", ".pgp", ".asc", NULL};
    size_t n = strlen(path);
    for (int i = 0; exts[i]; i++) {
        size_t m = strlen(exts[i]);
        if (n > m + 1 && strcmp(path + n - m, exts[i]) == 0 &&
            path[n - m - 1] != '/') {
            char *o = bt_xasprintf("%.*s", (int)(n - m), path);
            const char *out = bt_act_strdup(ctx, o);
            free(o);
            return out;
        }
    }
    char *o = bt_xasprintf("%s.out", path);
    const char *out = bt_act_strdup(ctx, o);
    free(o);
    return out;
}

static int pgp_decrypt_file_run(bt_activity_ctx *ctx) {
    const char *path, *home, *output;
    bt_if_exists policy;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_pgp_home_prop(ctx, &home) ||
        bt_fileutil_if_exists_prop(ctx, "if_exists", &policy))
        return -BT_EINVAL;
    if (bt_act_has(ctx, "output_path")) {
        if (bt_fileutil_path_prop(ctx, "output_path", &output))
            return -BT_EINVAL;
    } else {
        output = default_output(ctx, path);
    }
    const char *passphrase = bt_act_str(ctx, "passphrase", NULL);
    bt_error err = {0};
    struct stat st;
    if (policy == BT_IF_EXISTS_SKIP && lstat(output, &st) == 0) {
        bt_act_publish(ctx, "path", path);
        bt_act_publish(ctx, "output_path", output);
        bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
        bt_act_publish(ctx, "key_id", "");
        bt_act_publish(ctx, "file_name", "");
        bt_act_publish(ctx, "action", "skipped");
        return 0;
    }
    gpgme_ctx_t g = NULL;
    int in_fd = -1;
    gpgme_data_t in = NULL, out = NULL;
    bt_tmpfile tmp = {.fd = -1};
    char *key_id = NULL, *file_name = NULL;
    int rc = bt_pgp_context(WHAT, home, passphrase, &g, &err);
    if (!rc) rc = bt_pgp_open_input(path, &in_fd, &in, &err);
    if (!rc) rc = bt_fileutil_tmp_open(&tmp, output, 0600, &err);
    if (!rc && gpgme_data_new_from_fd(&out, tmp.fd))
        rc = bt_error_set(&err, BT_ENOMEM, "out of memory");
    if (!rc) {
        gpgme_error_t e = gpgme_op_decrypt(g, in, out);
        gpgme_decrypt_result_t r = gpgme_op_decrypt_result(g);
        if (e && gpg_err_code(e) == GPG_ERR_NO_SECKEY)
            rc = bt_error_set(&err, BT_EINVAL,
                              "cannot decrypt '%s': no secret key for it in "
                              "keyring '%s'",
                              path, home ? home : "~/.gnupg");
        else if (e && (gpg_err_code(e) == GPG_ERR_BAD_PASSPHRASE ||
                       gpg_err_code(e) == GPG_ERR_CANCELED))
            rc = bt_error_set(&err, BT_EINVAL,
                              "cannot decrypt '%s': the secret key needs a "
                              "passphrase and %s",
                              path,
                              passphrase ? "the one given is wrong"
                                         : "none was given");
        else if (e)
            rc = bt_pgp_error(&err, e, "decrypt", path);
        if (!rc && r) {
            for (gpgme_recipient_t rp = r->recipients; rp; rp = rp->next)
                if (rp->status == GPG_ERR_NO_ERROR && rp->keyid) {
                    key_id = bt_xstrdup(rp->keyid);
                    break;
                }
            if (r->file_name) file_name = bt_xstrdup(r->file_name);
        }
    }
    if (out) gpgme_data_release(out);
    if (in) gpgme_data_release(in);
    if (in_fd >= 0) close(in_fd);
    if (g) gpgme_release(g);
    /* Decrypted data is as sensitive as the key: owner-only, like gpg. */
    char *final = NULL;
    const char *action = NULL;
    if (!rc) rc = bt_pgp_place(&tmp, output, policy, &final, &action, &err);
    bt_fileutil_tmp_discard(&tmp);
    if (!rc && stat(final, &st) != 0)
        rc = bt_fileutil_errno(&err, errno, "read", final);
    if (!rc) {
        bt_act_publish(ctx, "path", path);
        bt_act_publish(ctx, "output_path", final);
        bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
        bt_act_publish(ctx, "key_id", key_id ? key_id : "");
        bt_act_publish(ctx, "file_name", file_name ? file_name : "");
        bt_act_publish(ctx, "action", action);
    }
    free(final);
    free(key_id);
    free(file_name);
    return rc ? bt_fileutil_fail(ctx, &err) : 0;
}

const bt_activity_type bt_activity_pgp_decrypt_file = {
    .name = "pgp-decrypt-file",
    .title = "PGP Decrypt File",
    .category = "file",
    .description = "Decrypts a PGP-encrypted file with a secret key from a "
                   "keyring.",
    .mode = BT_EXEC_BLOCKING,
    .props = pgp_decrypt_file_props,
    .published = pgp_decrypt_file_published,
    .run = pgp_decrypt_file_run,
};
