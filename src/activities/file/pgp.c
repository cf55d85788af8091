/* gpgme set-up for the PGP activities. */
#include "activities/file/pgp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static pthread_once_t pgp_once = PTHREAD_ONCE_INIT;

/* gpgme must learn its version once per process before any context. */
static void pgp_init_once(void) { (void)gpgme_check_version(NULL); }

static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint,
                                   const char *info, int prev_bad, int fd) {
    (void)uid_hint;
    (void)info;
    const char *pass = hook;
    /* A wrong passphrase is not asked again: fail instead of looping. */
    if (!pass || prev_bad) return gpg_error(GPG_ERR_BAD_PASSPHRASE);
    size_t len = strlen(pass), off = 0;
    while (off < len) {
        ssize_t n = gpgme_io_write(fd, pass + off, len - off);
        if (n <= 0) return gpg_error(GPG_ERR_CANCELED);
        off += (size_t)n;
    }
    if (gpgme_io_write(fd, "\n", 1) != 1) return gpg_error(GPG_ERR_CANCELED);
    return 0;
}

int bt_pgp_error(bt_error *err, gpgme_error_t e, const char *verb,
                 const char *path) {
    char buf[256];
    gpgme_strerror_r(e, buf, sizeof buf);
    return bt_error_set(err, BT_EIO, "cannot %s '%s': %s", verb, path, buf);
}

int bt_pgp_context(const char *type_name, const char *home,
                   const char *passphrase, gpgme_ctx_t *out, bt_error *err) {
    pthread_once(&pgp_once, pgp_init_once);
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t e = gpgme_new(&ctx);
    if (!e)
        e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
                                      home);
    if (e) {
        char buf[256];
        gpgme_strerror_r(e, buf, sizeof buf);
        if (ctx) gpgme_release(ctx);
        return bt_error_set(err, BT_EIO,
                            "%s: cannot start GnuPG (is gnupg installed?): "
                            "%s",
                            type_name, buf);
    }
    gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
    gpgme_set_passphrase_cb(ctx, passphrase_cb, (void *)passphrase);
    *out = ctx;
    return 0;
}

int bt_pgp_open_input(const char *path, int *fd, gpgme_data_t *data,
                      bt_error *err) {
    struct stat st;
    *fd = bt_fileutil_open_read(path, &st, err);
    if (*fd < 0) return *fd;
    if (gpgme_data_new_from_fd(data, *fd)) {
        close(*fd);
        *fd = -1;
        return bt_error_set(err, BT_ENOMEM, "out of memory reading '%s'",
                            path);
    }
    return 0;
}

int bt_pgp_home_prop(bt_activity_ctx *ctx, const char **out) {
    *out = NULL;
    if (!bt_act_has(ctx, "gnupghome")) return 0;
    if (bt_fileutil_path_prop(ctx, "gnupghome", out)) return -BT_EINVAL;
    struct stat st;
    bt_error err = {0};
    if (stat(*out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        bt_error_set(&err, BT_ENOTFOUND,
                     "keyring folder '%s' (gnupghome) does not exist", *out);
        return bt_fileutil_fail(ctx, &err);
    }
    return 0;
}

int bt_pgp_place(bt_tmpfile *tmp, const char *target, bt_if_exists policy,
                 char **final, const char **action, bt_error *err) {
    *final = NULL;
    for (unsigned n = 0; n < 10000; n++) {
        char *name = n == 0 ? bt_xstrdup(target)
                            : bt_fileutil_numbered(target, n);
        struct stat st;
        bool exists = lstat(name, &st) == 0;
        int rc = bt_fileutil_tmp_commit(tmp, name,
                                        policy == BT_IF_EXISTS_OVERWRITE, err);
        if (rc == 0) {
            *final = name;
            *action = n > 0 ? "renamed" : exists ? "overwritten" : "created";
            return 0;
        }
        free(name);
        if (rc != -BT_EEXIST) return rc;
        if (policy != BT_IF_EXISTS_RENAME)
            return bt_error_set(err, BT_EEXIST,
                                "'%s' already exists (set if_exists to "
                                "overwrite, skip or rename)",
                                target);
    }
    return bt_error_set(err, BT_EEXIST, "no free name like '%s'", target);
}
