#include "mgmt/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static int read_key(int fd, const char *path,
                    unsigned char key[BT_SECRET_KEY_BYTES], bt_error *err) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return bt_error_set(err, BT_EIO, "secret key '%s': %s", path,
                            strerror(errno));
    if (st.st_mode & 0077)
        return bt_error_set(err, BT_EINVAL,
                            "secret key '%s' is readable by others (mode "
                            "%04o); chmod 600 it",
                            path, (unsigned)(st.st_mode & 07777));
    if (st.st_size != BT_SECRET_KEY_BYTES)
        return bt_error_set(err, BT_EINVAL,
                            "secret key '%s' holds %lld bytes, not %d", path,
                            (long long)st.st_size, BT_SECRET_KEY_BYTES);
    ssize_t n = read(fd, key, BT_SECRET_KEY_BYTES);
    if (n != BT_SECRET_KEY_BYTES)
        return bt_error_set(err, BT_EIO, "secret key '%s': short read", path);
    return 0;
}

int bt_secret_key_load(const char *path, bool create,
                       unsigned char key[BT_SECRET_KEY_BYTES], bt_error *err) {
    if (sodium_init() < 0)
        return bt_error_set(err, BT_EINTERNAL, "libsodium did not start");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && create) {
        /* O_EXCL: two servers creating it at once agree on one key */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);
        if (fd >= 0) {
            unsigned char k[BT_SECRET_KEY_BYTES];
            randombytes_buf(k, sizeof k);
            bool ok =
                write(fd, k, sizeof k) == (ssize_t)sizeof k && fsync(fd) == 0;
            sodium_memzero(k, sizeof k);
            close(fd);
            if (!ok) {
                unlink(path);
                return bt_error_set(err, BT_EIO,
                                    "cannot write the secret key '%s'", path);
            }
        } else if (errno != EEXIST) {
            return bt_error_set(err, BT_EIO,
                                "cannot create the secret key '%s': %s", path,
                                strerror(errno));
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0)
        return bt_error_set(err, errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
                            "cannot open the secret key '%s': %s", path,
                            strerror(errno));
    int rc = read_key(fd, path, key, err);
    close(fd);
    return rc;
}

int bt_secret_seal(const unsigned char key[BT_SECRET_KEY_BYTES],
                   const void *plain, size_t len, unsigned char **out,
                   size_t *out_len, bt_error *err) {
    if (sodium_init() < 0)
        return bt_error_set(err, BT_EINTERNAL, "libsodium did not start");
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *box = bt_xmalloc(n);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len, box,
                          key);
    *out = box;
    *out_len = n;
    return 0;
}

int bt_secret_open(const unsigned char key[BT_SECRET_KEY_BYTES],
                   const unsigned char *sealed, size_t len, char **out,
                   size_t *out_len, bt_error *err) {
    *out = NULL;
    size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (len < over)
        return bt_error_set(err, BT_EINVAL,
                            "encrypted value is too short to be sealed");
    size_t n = len - over;
    char *plain = bt_xmalloc(n + 1);
    if (crypto_secretbox_open_easy(
            (unsigned char *)plain, sealed + crypto_secretbox_NONCEBYTES,
            len - crypto_secretbox_NONCEBYTES, sealed, key) != 0) {
        free(plain);
        return bt_error_set(err, BT_EINVAL,
                            "encrypted value does not open with this "
                            "server's secret key (another key, or altered)");
    }
    plain[n] = '\0';
    *out = plain;
    if (out_len)
        *out_len = n;
    return 0;
}
