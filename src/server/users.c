/* The first administrator: an installation with authentication on and no
 * users would lock everybody out, so batond makes one on first start. The
 * generated password is shown once (log and a 0600 file in the data
 * directory) and never stored in clear: the store keeps its argon2id hash
 * like any other. */
#include "server/users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "web/auth.h"

#define ADMIN_NAME "admin"
#define MIN_PASSWORD 8

/* Writes the password to DIR/admin-password, readable by batond's user
 * only. Returns the path written, or NULL (why is logged). */
static char *write_password_file(const char *dir, const char *pw,
                                 const bt_log *log) {
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    char *path = bt_xasprintf("%s/admin-password", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0;
    if (ok) {
        size_t len = strlen(pw);
        ok = write(fd, pw, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    }
    int e = errno;
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (!ok) {
        bt_logf(log, BT_LOG_WARNING, "first admin: cannot write %s: %s", path,
                strerror(e));
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

int bt_users_first_admin(bt_store *s, const char *data_dir, const bt_log *log,
                         bt_error *err) {
    bt_store_user *users = NULL;
    size_t n = 0;
    int rc = bt_store_user_list(s, &users, &n, err);
    bt_store_user_list_free(users, n);
    if (rc || n) return rc;

    const char *given = getenv("BATON_ADMIN_PASSWORD");
    char generated[80];
    const char *pw = given;
    if (given && *given) {
        if (strlen(given) < MIN_PASSWORD)
            return bt_error_set(err, BT_EINVAL,
                                "BATON_ADMIN_PASSWORD: the first admin's "
                                "password needs at least %d characters",
                                MIN_PASSWORD);
    } else {
        /* 24 random characters: ~140 bits, typeable */
        bt_auth_token_new(generated, sizeof generated);
        memmove(generated, generated + strlen(BT_AUTH_TOKEN_PREFIX), 25);
        generated[24] = '\0';
        pw = generated;
    }
    char hash[crypto_pwhash_STRBYTES];
    rc = bt_auth_hash_password(pw, hash, err);
    if (!rc) rc = bt_store_user_create(s, ADMIN_NAME, hash, true, NULL, err);
    sodium_memzero(hash, sizeof hash);
    if (rc == -BT_EEXIST) { /* another batond made it just now */
        sodium_memzero(generated, sizeof generated);
        return 0;
    }
    if (rc) {
        sodium_memzero(generated, sizeof generated);
        return rc;
    }
    bt_store_audit_add(s, "batond", "user.create", ADMIN_NAME, NULL,
                       "{\"admin\":true,\"name\":\"admin\",\"first\":true}",
                       NULL);
    if (pw == given) {
        bt_logf(log, BT_LOG_NOTICE,
                "first start: created administrator '%s' with the password "
                "in BATON_ADMIN_PASSWORD", ADMIN_NAME);
        return 0;
    }
    char *file = write_password_file(data_dir, pw, log);
    bt_logf(log, BT_LOG_NOTICE,
            "first start: created administrator '%s' with password %s "
            "(shown only this once%s%s; change it with: baton user passwd "
            "admin)", ADMIN_NAME, pw, file ? ", also in " : "",
            file ? file : "");
    free(file);
    sodium_memzero(generated, sizeof generated);
    return 0;
}
