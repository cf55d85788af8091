/* PGP Encrypt File: encrypts a file to the public keys of one or more
 * recipients, found in a keyring folder (GNUPGHOME), with GnuPG through
 * gpgme. The result goes through a temporary file and a rename. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/pgp.h"
#include "common/buf.h"
#include "common/util.h"

static const bt_prop_spec pgp_encrypt_file_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the file", NULL},
    {"recipients", BT_PROP_LIST, true, NULL,
     "Recipients' key IDs, fingerprints or e-mail addresses", NULL},
    {"output_path", BT_PROP_STRING, false, "path + .gpg (.asc with armor)",
     "Absolute path of the encrypted file", NULL},
    {"gnupghome", BT_PROP_STRING, false, "~/.gnupg",
     "Keyring folder holding the recipients' public keys", NULL},
    {"armor", BT_PROP_BOOLEAN, false, "false",
     "Write ASCII-armored text instead of binary", NULL},
    {"trust_keys", BT_PROP_BOOLEAN, false, "true",
     "Use the recipients' keys even when the keyring has not certified "
     "them (the keyring folder is the trust decision)",
     NULL},
    {"if_exists", BT_PROP_STRING, false, "fail",
     "When output_path exists: fail, overwrite, skip or rename",
     bt_fileutil_if_exists_names},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const pgp_encrypt_file_published[] = {
    "path", "output_path", "recipients", "size", "action", NULL};

#define WHAT "pgp-encrypt-file"
#define MAX_RECIPIENTS 64

/* The first key for `who` that can encrypt. */
static int find_key(gpgme_ctx_t g, const char *who, const char *home,
                    gpgme_key_t *out, bt_error *err) {
    *out = NULL;
    gpgme_error_t e = gpgme_op_keylist_start(g, who, 0);
    gpgme_key_t key;
    while (!e && !(e = gpgme_op_keylist_next(g, &key))) {
        if (!*out && key->can_encrypt && !key->revoked && !key->expired &&
            !key->disabled && !key->invalid)
            *out = key;
        else
            gpgme_key_unref(key);
    }
    gpgme_op_keylist_end(g);
    if (*out) return 0;
    return bt_error_set(err, BT_ENOTFOUND,
                        "no usable public key for recipient '%s' in keyring "
                        "'%s'",
                        who, home ? home : "~/.gnupg");
}

static int pgp_encrypt_file_run(bt_activity_ctx *ctx) {
    const char *path, *home, *output;
    bool armor, trust;
    bt_if_exists policy;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_pgp_home_prop(ctx, &home) ||
        bt_act_bool(ctx, "armor", false, &armor) ||
        bt_act_bool(ctx, "trust_keys", true, &trust) ||
        bt_fileutil_if_exists_prop(ctx, "if_exists", &policy))
        return -BT_EINVAL;
    if (bt_act_has(ctx, "output_path")) {
        if (bt_fileutil_path_prop(ctx, "output_path", &output))
            return -BT_EINVAL;
    } else {
        char *o = bt_xasprintf("%s%s", path, armor ? ".asc" : ".gpg");
        output = bt_act_strdup(ctx, o);
        free(o);
    }
    const char *const *who;
    size_t n_who = bt_act_list(ctx, "recipients", &who);
    if (n_who == 0)
        return bt_act_fail(ctx, WHAT ": property 'recipients' is empty");
    if (n_who > MAX_RECIPIENTS)
        return bt_act_fail(ctx, WHAT ": at most %d recipients",
                           MAX_RECIPIENTS);
    bt_error err = {0};
    struct stat st;
    if (policy == BT_IF_EXISTS_SKIP && lstat(output, &st) == 0) {
        bt_act_publish(ctx, "path", path);
        bt_act_publish(ctx, "output_path", output);
        bt_act_publish(ctx, "recipients", "");
        bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
        bt_act_publish(ctx, "action", "skipped");
        return 0;
    }
    gpgme_ctx_t g = NULL;
    gpgme_key_t keys[MAX_RECIPIENTS + 1] = {0};
    bt_buf fprs;
    bt_buf_init(&fprs, 1 << 16);
    int rc = bt_pgp_context(WHAT, home, NULL, &g, &err);
    for (size_t i = 0; !rc && i < n_who; i++) {
        rc = find_key(g, who[i], home, &keys[i], &err);
        if (!rc)
            (void)bt_buf_printf(&fprs, "%s%s", i ? "," : "",
                                keys[i]->fpr ? keys[i]->fpr : "");
    }
    int in_fd = -1;
    gpgme_data_t in = NULL, out = NULL;
    bt_tmpfile tmp = {.fd = -1};
    if (!rc) rc = bt_pgp_open_input(path, &in_fd, &in, &err);
    if (!rc) rc = bt_fileutil_tmp_open(&tmp, output, 0600, &err);
    if (!rc && gpgme_data_new_from_fd(&out, tmp.fd))
        rc = bt_error_set(&err, BT_ENOMEM, "out of memory");
    if (!rc) {
        gpgme_set_armor(g, armor);
        gpgme_error_t e = gpgme_op_encrypt(
            g, keys, trust ? GPGME_ENCRYPT_ALWAYS_TRUST : 0, in, out);
        if (e) {
            gpgme_encrypt_result_t r = gpgme_op_encrypt_result(g);
            if (r && r->invalid_recipients)
                rc = bt_error_set(&err, BT_EINVAL,
                                  "cannot encrypt '%s' to key %s: the key is "
                                  "not valid in keyring '%s' (set "
                                  "trust_keys: true to use it anyway)",
                                  path, r->invalid_recipients->fpr,
                                  home ? home : "~/.gnupg");
            else
                rc = bt_pgp_error(&err, e, "encrypt", path);
        }
    }
    if (out) gpgme_data_release(out);
    if (in) gpgme_data_release(in);
    if (in_fd >= 0) close(in_fd);
    char *final = NULL;
    const char *action = NULL;
    if (!rc) rc = bt_pgp_place(&tmp, output, policy, &final, &action, &err);
    bt_fileutil_tmp_discard(&tmp);
    for (size_t i = 0; i < n_who; i++)
        if (keys[i]) gpgme_key_unref(keys[i]);
    if (g) gpgme_release(g);
    if (!rc && stat(final, &st) != 0)
        rc = bt_fileutil_errno(&err, errno, "read", final);
    if (!rc) {
        bt_act_publish(ctx, "path", path);
        bt_act_publish(ctx, "output_path", final);
        bt_act_publish(ctx, "recipients", bt_buf_str(&fprs));
        bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)st.st_size);
        bt_act_publish(ctx, "action", action);
    }
    free(final);
    bt_buf_free(&fprs);
    return rc ? bt_fileutil_fail(ctx, &err) : 0;
}

const bt_activity_type bt_activity_pgp_encrypt_file = {
    .name = "pgp-encrypt-file",
    .title = "PGP Encrypt File",
    .category = "file",
    .description = "Encrypts a file to recipients' public keys with GnuPG.",
    .mode = BT_EXEC_BLOCKING,
    .props = pgp_encrypt_file_props,
    .published = pgp_encrypt_file_published,
    .run = pgp_encrypt_file_run,
};
