#include "activities/file/fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/util.h"
#include "runbook/runbook.h"

/* ---- errors ----------------------------------------------------------- */

const char *bt_fileutil_strerror(int errnum, char *buf, size_t size) {
    /* GNU strerror_r: returns a static string or fills buf. */
    return strerror_r(errnum, buf, size);
}

int bt_fileutil_errno(bt_error *err, int errnum, const char *verb,
                      const char *path) {
    char buf[128];
    int code = errnum == ENOENT   ? BT_ENOTFOUND
               : errnum == EEXIST ? BT_EEXIST
               : errnum == EFBIG  ? BT_ETOOBIG
                                  : BT_EIO;
    return bt_error_set(err, code, "cannot %s '%s': %s", verb, path,
                        bt_fileutil_strerror(errnum, buf, sizeof buf));
}

int bt_fileutil_fail(bt_activity_ctx *ctx, const bt_error *err) {
    const bt_activity_def *def = bt_act_def(ctx);
    const char *type = def && def->type_name ? def->type_name : "activity";
    return bt_act_fail(ctx, "%s: %s", type,
                       err->message[0] ? err->message : "failed");
}

void bt_fileutil_format_size(size_t n, char *buf, size_t size) {
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(buf, size, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, size, "%zu KiB", n >> 10);
    else
        snprintf(buf, size, "%zu byte", n);
}

int bt_fileutil_file_too_large(bt_error *err, const char *path, size_t cap) {
    char capbuf[32];
    bt_fileutil_format_size(cap, capbuf, sizeof capbuf);
    return bt_error_set(err, BT_ETOOBIG, "'%s' is larger than the %s limit",
                        path, capbuf);
}

/* ---- properties ------------------------------------------------------- */

int bt_fileutil_check_path(const char *prop, const char *path,
                           bt_error *err) {
    if (!path || !*path)
        return bt_error_set(err, BT_EINVAL, "property '%s' is empty", prop);
    if (path[0] != '/')
        return bt_error_set(err, BT_EINVAL,
                            "property '%s' must be an absolute path, got '%s'",
                            prop, path);
    if (strlen(path) >= PATH_MAX)
        return bt_error_set(err, BT_EINVAL,
                            "property '%s' is longer than %d characters",
                            prop, PATH_MAX - 1);
    return 0;
}

static int checked_prop(bt_activity_ctx *ctx, const char *prop,
                        const char *v, const char **out) {
    bt_error err = {0};
    if (bt_fileutil_check_path(prop, v, &err))
        return bt_fileutil_fail(ctx, &err);
    *out = v;
    return 0;
}

int bt_fileutil_path_prop(bt_activity_ctx *ctx, const char *prop,
                          const char **out) {
    return checked_prop(ctx, prop, bt_act_str(ctx, prop, NULL), out);
}

int bt_fileutil_pattern_prop(bt_activity_ctx *ctx, const char *prop,
                             const char **out) {
    return checked_prop(ctx, prop, bt_act_pattern(ctx, prop, NULL), out);
}

int bt_fileutil_parse_mode(const char *text, mode_t *out) {
    if (!text) return -BT_EINVAL;
    size_t n = strlen(text);
    if (n == 0 || n > 5) return -BT_EINVAL;
    mode_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '7') return -BT_EINVAL;
        m = (mode_t)(m * 8 + (mode_t)(text[i] - '0'));
    }
    if (m > 07777) return -BT_EINVAL;
    *out = m;
    return 0;
}

void bt_fileutil_format_mode(mode_t mode, char *buf, size_t size) {
    snprintf(buf, size, "%04o", (unsigned)(mode & 07777));
}

const char *const bt_fileutil_if_exists_names[] = {"fail", "overwrite",
                                                   "skip", "rename", NULL};

int bt_fileutil_if_exists_prop(bt_activity_ctx *ctx, const char *prop,
                               bt_if_exists *out) {
    const char *v = bt_act_str(ctx, prop, "fail");
    for (int i = 0; bt_fileutil_if_exists_names[i]; i++) {
        if (strcmp(v, bt_fileutil_if_exists_names[i]) == 0) {
            *out = (bt_if_exists)i;
            return 0;
        }
    }
    bt_error err = {0};
    bt_error_set(&err, BT_EINVAL,
                 "property '%s' must be overwrite, skip, fail or rename, "
                 "got '%s'",
                 prop, v);
    return bt_fileutil_fail(ctx, &err);
}

/* ---- paths and globs -------------------------------------------------- */

bool bt_fileutil_has_glob(const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '\\') {
            if (!*++p) break;
        } else if (*p == '*' || *p == '?' || *p == '[') {
            return true;
        }
    }
    return false;
}

/* Drops glob escapes: "a\\[1\\].txt" names the file "a[1].txt". */
static char *glob_unescape(const char *text) {
    char *out = bt_xmalloc(strlen(text) + 1), *o = out;
    for (const char *p = text; *p; p++) {
        if (*p == '\\' && p[1]) p++;
        *o++ = *p;
    }
    *o = '\0';
    return out;
}

static void pathlist_add(bt_pathlist *l, const char *path) {
    l->items = bt_xrealloc(l->items, (l->count + 1) * sizeof *l->items);
    l->items[l->count++] = bt_xstrdup(path);
}

int bt_fileutil_expand(const char *prop, const char *text, bt_pathlist *out,
                       bt_error *err) {
    memset(out, 0, sizeof *out);
    out->pattern = bt_fileutil_has_glob(text);
    if (!out->pattern) {
        char *path = glob_unescape(text);
        pathlist_add(out, path);
        free(path);
        return 0;
    }
    /* Unreadable folders are skipped rather than fatal, the way a shell
     * expands a pattern; glob(3) sorts the matches. */
    glob_t g;
    memset(&g, 0, sizeof g);
    int rc = glob(text, 0, NULL, &g);
    if (rc == GLOB_NOSPACE) {
        globfree(&g);
        return bt_error_set(err, BT_ENOMEM,
                            "out of memory expanding %s pattern '%s'", prop,
                            text);
    }
    if (rc == 0 && g.gl_pathc > BT_FILEUTIL_MAX_ROWS) {
        size_t n = g.gl_pathc;
        globfree(&g);
        return bt_error_set(err, BT_ETOOBIG,
                            "%s pattern '%s' matches %zu paths, more than "
                            "the %d one activity handles",
                            prop, text, n, BT_FILEUTIL_MAX_ROWS);
    }
    if (rc == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) pathlist_add(out, g.gl_pathv[i]);
    globfree(&g);
    return 0;
}

void bt_pathlist_free(bt_pathlist *list) {
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* Length of path without trailing slashes (but "/" stays "/"). */
static size_t trimmed_len(const char *path) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    return n;
}

char *bt_fileutil_basename(const char *path) {
    size_t n = trimmed_len(path);
    size_t start = n;
    while (start > 0 && path[start - 1] != '/') start--;
    if (start == n) return bt_xstrndup(path, n); /* "/" or "" */
    return bt_xstrndup(path + start, n - start);
}

char *bt_fileutil_dirname(const char *path) {
    size_t n = trimmed_len(path);
    while (n > 0 && path[n - 1] != '/') n--;
    if (n == 0) return bt_xstrdup(".");
    while (n > 1 && path[n - 1] == '/') n--;
    return bt_xstrndup(path, n);
}

char *bt_fileutil_join(const char *dir, const char *name) {
    size_t n = trimmed_len(dir);
    if (n == 1 && dir[0] == '/') return bt_xasprintf("/%s", name);
    return bt_xasprintf("%.*s/%s", (int)n, dir, name);
}

char *bt_fileutil_numbered(const char *path, unsigned n) {
    char *dir = bt_fileutil_dirname(path);
    char *base = bt_fileutil_basename(path);
    /* The number goes before the extension, as a file manager does it;
     * a leading dot (".profile") is not an extension. */
    char *dot = strrchr(base, '.');
    if (dot == base) dot = NULL;
    char *name;
    if (dot)
        name = bt_xasprintf("%.*s (%u)%s", (int)(dot - base), base, n, dot);
    else
        name = bt_xasprintf("%s (%u)", base, n);
    char *out = bt_fileutil_join(dir, name);
    free(name);
    free(base);
    free(dir);
    return out;
}

int bt_fileutil_mkdirs(const char *path, mode_t mode, bool parents,
                       bool *created, bt_error *err) {
    *created = false;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return bt_error_set(err, BT_EEXIST,
                                "'%s' exists and is not a folder", path);
        return 0;
    }
    if (errno != ENOENT) return bt_fileutil_errno(err, errno, "access", path);
    if (parents) {
        char *parent = bt_fileutil_dirname(path);
        bool made;
        int rc = strcmp(parent, path) == 0
                     ? 0
                     : bt_fileutil_mkdirs(parent, mode | 0300, true, &made,
                                          err);
        free(parent);
        if (rc) return rc;
    }
    if (mkdir(path, mode) != 0) {
        int e = errno;
        /* Someone else made it in between: that is what we wanted. */
        if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        if (e == ENOENT && !parents)
            return bt_error_set(err, BT_ENOTFOUND,
                                "cannot create folder '%s': its parent folder "
                                "does not exist",
                                path);
        return bt_fileutil_errno(err, e, "create folder", path);
    }
    if (chmod(path, mode) != 0)
        return bt_fileutil_errno(err, errno, "set the mode of", path);
    *created = true;
    return 0;
}

/* Walks with dirfd-relative calls so a symbolic link met on the way is
 * removed, never followed. */
static int remove_at(int dirfd, const char *name, const char *display,
                     bt_error *err) {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return bt_fileutil_errno(err, errno, "delete", display);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) != 0)
            return bt_fileutil_errno(err, errno, "delete", display);
        return 0;
    }
    int fd = openat(dirfd, name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return bt_fileutil_errno(err, errno, "open folder", display);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return bt_fileutil_errno(err, e, "open folder", display);
    }
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (!rc && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *child = bt_fileutil_join(display, de->d_name);
        rc = remove_at(fd, de->d_name, child, err);
        free(child);
        errno = 0;
    }
    if (!rc && errno) rc = bt_fileutil_errno(err, errno, "list folder", display);
    closedir(d);
    if (!rc && unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
        rc = bt_fileutil_errno(err, errno, "delete folder", display);
    return rc;
}

int bt_fileutil_remove_tree(const char *path, bt_error *err) {
    return remove_at(AT_FDCWD, path, path, err);
}

int bt_fileutil_rename_noreplace(const char *from, const char *to) {
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    /* The filesystem has no RENAME_NOREPLACE: link(2) also refuses an
     * existing name atomically, for anything but a folder. */
    if (link(from, to) == 0) {
        unlink(from);
        return 0;
    }
    if (errno == EEXIST) return -1;
    struct stat st;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

int bt_fileutil_sync_dir(const char *dir, bt_error *err) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return bt_fileutil_errno(err, errno, "open folder", dir);
    int rc = 0;
    /* Some filesystems cannot sync a directory; nothing more to do then. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        rc = bt_fileutil_errno(err, errno, "sync folder", dir);
    close(fd);
    return rc;
}

/* ---- writing through a temporary file ---------------------------------- */

static void random_suffix(char *out, size_t n) {
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char rnd[16];
    if (n > sizeof rnd) n = sizeof rnd;
    if (getrandom(rnd, n, 0) != (ssize_t)n) {
        uint64_t x = bt_mono_us() ^ ((uint64_t)getpid() << 32) ^
                     (uint64_t)(uintptr_t)out;
        for (size_t i = 0; i < n; i++, x = x * 6364136223846793005u + 1)
            rnd[i] = (unsigned char)(x >> 56);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
    out[n] = '\0';
}

int bt_fileutil_tmp_open(bt_tmpfile *t, const char *final_path, mode_t mode,
                         bt_error *err) {
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->dir = bt_fileutil_dirname(final_path);
    t->final = bt_xstrdup(final_path);
    char *base = bt_fileutil_basename(final_path);
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[8];
        random_suffix(suffix, 6);
        /* Keep the temporary name within NAME_MAX for long names. */
        char *name = bt_xasprintf(".%.200s.%s.tmp", base, suffix);
        t->path = bt_fileutil_join(t->dir, name);
        free(name);
        t->fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (t->fd >= 0) break;
        int e = errno;
        free(t->path);
        t->path = NULL;
        if (e != EEXIST) {
            free(base);
            int rc = bt_fileutil_errno(err, e, "create a file in", t->dir);
            bt_fileutil_tmp_discard(t);
            return rc;
        }
    }
    free(base);
    if (t->fd < 0) {
        int rc = bt_error_set(err, BT_EIO,
                              "cannot create a temporary file in '%s'",
                              t->dir);
        bt_fileutil_tmp_discard(t);
        return rc;
    }
    return 0;
}

int bt_fileutil_tmp_write(bt_tmpfile *t, const void *data, size_t len,
                          bt_error *err) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(t->fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return bt_fileutil_errno(err, errno, "write", t->final);
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int bt_fileutil_tmp_copy_from(bt_tmpfile *t, int fd, const char *src_path,
                              uint64_t *copied, bt_error *err) {
    /* copy_file_range lets the kernel (or a reflink-capable filesystem) do
     * the work; on any error the read/write loop takes over from the same
     * offsets and reports the failing side precisely. */
    for (;;) {
        ssize_t n = copy_file_range(fd, NULL, t->fd, NULL, (size_t)1 << 30, 0);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        *copied += (uint64_t)n;
    }
    size_t size = (size_t)128 << 10;
    char *buf = bt_xmalloc(size);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = bt_fileutil_errno(err, errno, "read", src_path);
            break;
        }
        if (n == 0) break;
        rc = bt_fileutil_tmp_write(t, buf, (size_t)n, err);
        if (rc) break;
        *copied += (uint64_t)n;
    }
    free(buf);
    return rc;
}

int bt_fileutil_tmp_commit(bt_tmpfile *t, const char *target, bool replace,
                           bt_error *err) {
    if (t->fd >= 0) {
        int fd = t->fd;
        t->fd = -1;
        /* fsync before rename: otherwise a crash may leave the new name
         * pointing at an empty file. */
        if (fsync(fd) != 0) {
            int e = errno;
            close(fd);
            return bt_fileutil_errno(err, e, "write", t->final);
        }
        if (close(fd) != 0)
            return bt_fileutil_errno(err, errno, "write", t->final);
    }
    int rc = replace ? rename(t->path, target)
                     : bt_fileutil_rename_noreplace(t->path, target);
    if (rc != 0) {
        if (errno == EEXIST)
            return bt_error_set(err, BT_EEXIST, "'%s' already exists",
                                target);
        return bt_fileutil_errno(err, errno, "write", target);
    }
    free(t->path);
    t->path = NULL;
    return bt_fileutil_sync_dir(t->dir, err);
}

void bt_fileutil_tmp_discard(bt_tmpfile *t) {
    if (!t) return;
    if (t->fd >= 0) close(t->fd);
    if (t->path) unlink(t->path);
    free(t->path);
    free(t->dir);
    free(t->final);
    memset(t, 0, sizeof *t);
    t->fd = -1;
}

int bt_fileutil_rewrite(const char *path, const void *data, size_t len,
                        mode_t mode_if_new, bt_error *err) {
    /* Rewrite the file a symbolic link points at, not the link. */
    char *real = realpath(path, NULL);
    const char *target = real ? real : path;
    struct stat st;
    bool exists = stat(target, &st) == 0;
    if (!exists && errno != ENOENT) {
        int rc = bt_fileutil_errno(err, errno, "access", path);
        free(real);
        return rc;
    }
    bt_tmpfile t;
    int rc = bt_fileutil_tmp_open(&t, target, 0600, err);
    if (rc) {
        free(real);
        return rc;
    }
    mode_t mode = exists ? (st.st_mode & 07777) : mode_if_new;
    if (fchmod(t.fd, mode) != 0)
        rc = bt_fileutil_errno(err, errno, "set the mode of", path);
    /* Keeping the owner needs privilege; without it the file becomes ours,
     * as it would with any editor that saves by rename. */
    if (!rc && exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
        (void)fchown(t.fd, st.st_uid, st.st_gid);
    if (!rc) rc = bt_fileutil_tmp_write(&t, data, len, err);
    if (!rc) rc = bt_fileutil_tmp_commit(&t, target, true, err);
    bt_fileutil_tmp_discard(&t);
    free(real);
    return rc;
}

int bt_fileutil_open_read(const char *path, struct stat *st,
                          bt_error *err) {
    /* O_NONBLOCK so that a FIFO without a writer cannot hang the thread;
     * FIFOs and sockets are then refused, anything else read normally. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return bt_error_set(err, BT_ENOTFOUND, "'%s' does not exist",
                                path);
        return bt_fileutil_errno(err, errno, "read", path);
    }
    int rc = 0;
    if (fstat(fd, st) != 0)
        rc = bt_fileutil_errno(err, errno, "read", path);
    else if (S_ISDIR(st->st_mode))
        rc = bt_error_set(err, BT_EINVAL, "'%s' is a folder, not a file",
                          path);
    else if (S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode))
        rc = bt_error_set(err, BT_EINVAL,
                          "'%s' is a pipe or socket, not a file", path);
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        rc = bt_fileutil_errno(err, errno, "read", path);
    if (rc) {
        close(fd);
        return rc;
    }
    return fd;
}

int bt_fileutil_read_all(const char *path, size_t cap, bt_buf *out,
                         bt_error *err) {
    struct stat st;
    int fd = bt_fileutil_open_read(path, &st, err);
    if (fd < 0) return fd;
    int rc = 0;
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > cap)
        rc = bt_fileutil_file_too_large(err, path, cap);
    bt_buf_init(out, cap);
    char chunk[65536];
    while (!rc) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = bt_fileutil_errno(err, errno, "read", path);
        } else if (n == 0) {
            break;
        } else {
            int arc = bt_buf_append(out, chunk, (size_t)n);
            if (arc == -BT_ETOOBIG)
                rc = bt_fileutil_file_too_large(err, path, cap);
            else if (arc)
                rc = bt_error_set(err, -arc, "out of memory reading '%s'",
                                  path);
        }
    }
    close(fd);
    if (rc) bt_buf_free(out);
    return rc;
}
