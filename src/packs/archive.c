/* Pack archives (archive.h), with libarchive. Extraction is written
 * defensively: the archive comes from the network (an administrator's
 * upload, then the database), so each entry is checked and written by us,
 * never by libarchive's disk writer with its path handling. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/pack.h"
#include "common/util.h"
#include "packs/archive.h"
#include "packs/manifest.h"
#include "packs/packs.h"

void bt_pack_sha256(const void *data, size_t len, char out[72]) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    memcpy(out, "sha256:", 7);
    sodium_bin2hex(out + 7, 65, h, sizeof h);
}

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int add_file(struct archive *a, const char *path, const char *name,
                    bt_error *err) {
    bt_buf b;
    bt_buf_init(&b, BT_PACK_FILE_MAX);
    int rc = bt_buf_read_file(&b, path, err);
    if (rc) {
        bt_buf_free(&b);
        return rc;
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)b.len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    if (archive_write_header(a, e) != ARCHIVE_OK ||
        (b.len && archive_write_data(a, b.data, b.len) < 0))
        rc = bt_error_set(err, BT_EIO, "cannot archive %s: %s", path,
                          archive_error_string(a));
    archive_entry_free(e);
    bt_buf_free(&b);
    return rc;
}

int bt_pack_archive_make(const char *path, bt_buf *out, bt_error *err) {
    if (has_suffix(path, ".tar") || has_suffix(path, ".tar.gz") ||
        has_suffix(path, ".tgz"))
        return bt_buf_read_file(out, path, err);
    bt_pack_manifest m;
    int rc = bt__pack_manifest_read(path, &m, err);
    if (rc)
        return rc;
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    size_t cap = BT_PACK_FILE_MAX * 2 + 65536, used = 0;
    char *mem = bt_xmalloc(cap);
    if (archive_write_open_memory(a, mem, cap, &used) != ARCHIVE_OK) {
        rc = bt_error_set(err, BT_EIO, "cannot make an archive: %s",
                          archive_error_string(a));
    } else {
        rc = add_file(a, m.path, BT_PACK_MANIFEST, err);
        if (!rc && m.library) {
            char *lib = bt_xasprintf("%s/%s", m.dir, m.library);
            rc = add_file(a, lib, m.library, err);
            free(lib);
        }
        if (archive_write_close(a) != ARCHIVE_OK && !rc)
            rc = bt_error_set(err, BT_EIO, "cannot make an archive: %s",
                              archive_error_string(a));
    }
    archive_write_free(a);
    if (!rc && bt_buf_append(out, mem, used))
        rc = bt_error_set(err, BT_ETOOBIG, "the pack archive is too big");
    free(mem);
    bt__pack_manifest_free(&m);
    return rc;
}

void bt__pack_remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = bt_xasprintf("%s/%s", dir, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* The entry's file name inside the pack, or NULL when it must be refused.
 * "x", "./x" and "top/x" are x; a lone folder entry gives "". */
static const char *entry_name(const char *path) {
    if (!strncmp(path, "./", 2))
        path += 2;
    const char *slash = strchr(path, '/');
    if (slash) {
        if (strchr(slash + 1, '/'))
            return NULL;
        path = slash + 1;
    }
    if (!strcmp(path, "..") || !strcmp(path, "."))
        return NULL;
    return path;
}

static int write_file(const char *dir, const char *name, const void *data,
                      size_t len, bt_error *err) {
    char *p = bt_xasprintf("%s/%s", dir, name);
    int fd =
        open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
        rc = bt_error_set(err, BT_EIO, "cannot write %s: %s", p,
                          strerror(errno));
    if (fd >= 0)
        close(fd);
    free(p);
    return rc;
}

int bt_pack_archive_extract(const void *data, size_t len, const char *dir,
                            bt_error *err) {
    if (mkdir(dir, 0755) != 0)
        return bt_error_set(err, BT_EIO, "cannot create %s: %s", dir,
                            strerror(errno));
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    int rc = 0;
    size_t files = 0;
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
        rc = bt_error_set(err, BT_EINVAL, "the pack is not a tar archive: %s",
                          archive_error_string(a));
    struct archive_entry *e;
    while (!rc) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            rc = bt_error_set(err, BT_EINVAL,
                              "the pack archive is damaged: "
                              "%s",
                              archive_error_string(a));
            break;
        }
        const char *path = archive_entry_pathname(e);
        const char *name = path ? entry_name(path) : NULL;
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFDIR && name && !*name)
            continue;
        if (!name || !*name || type != AE_IFREG) {
            rc = bt_error_set(err, BT_EINVAL,
                              "the pack archive holds '%s': only files, at "
                              "most one folder deep",
                              path ? path : "");
            break;
        }
        la_int64_t size = archive_entry_size(e);
        if (++files > BT_PACK_FILES_MAX || size < 0 ||
            (uint64_t)size > BT_PACK_FILE_MAX) {
            rc = bt_error_set(err, BT_ETOOBIG,
                              "the pack archive has too many or too large "
                              "files ('%s')",
                              name);
            break;
        }
        char *buf = bt_xmalloc((size_t)size + 1);
        la_ssize_t got = archive_read_data(a, buf, (size_t)size);
        if (got != size)
            rc = bt_error_set(err, BT_EINVAL,
                              "cannot read '%s' from the "
                              "pack archive",
                              name);
        else
            rc = write_file(dir, name, buf, (size_t)size, err);
        free(buf);
    }
    archive_read_free(a);
    if (rc)
        bt__pack_remove_dir(dir);
    return rc;
}

void bt_pack_summary_free(bt_pack_summary *s) {
    if (!s)
        return;
    free(s->name);
    free(s->version);
    free(s->kind);
    free(s->activities);
    memset(s, 0, sizeof *s);
}

int bt_pack_archive_inspect(const void *data, size_t len, bt_pack_summary *out,
                            bt_error *err) {
    memset(out, 0, sizeof *out);
    char tmpl[] = "/tmp/baton-pack-inspect-XXXXXX";
    if (!mkdtemp(tmpl))
        return bt_error_set(err, BT_EIO, "cannot make a scratch folder: %s",
                            strerror(errno));
    char *dir = bt_xasprintf("%s/pack", tmpl);
    int rc = bt_pack_archive_extract(data, len, dir, err);
    bt_pack_manifest m;
    if (!rc)
        rc = bt__pack_manifest_read(dir, &m, err);
    if (!rc) {
        /* What loading would refuse anyway, said at upload time. */
        if (m.library && m.abi != BT_PACK_ABI_VERSION)
            rc = bt_error_set(err, BT_EINVAL,
                              "pack '%s' %s: built for pack ABI %lld, but "
                              "this Baton supports pack ABI %d",
                              m.name, m.version, (long long)m.abi,
                              BT_PACK_ABI_VERSION);
        if (!rc && m.library) {
            char *lib = bt_xasprintf("%s/%s", dir, m.library);
            struct stat st;
            if (stat(lib, &st) != 0)
                rc = bt_error_set(err, BT_EINVAL,
                                  "pack '%s' %s: the archive has no %s", m.name,
                                  m.version, m.library);
            free(lib);
        }
        bt_buf names;
        bt_buf_init(&names, 0);
        for (size_t i = 0; !rc && i < m.activities->count; i++) {
            const bt_node *a = m.activities->items[i];
            const char *n =
                a->kind == BT_NODE_SCALAR
                    ? a->str
                    : (bt_node_get(a, "name") &&
                               bt_node_get(a, "name")->kind == BT_NODE_SCALAR
                           ? bt_node_get(a, "name")->str
                           : "?");
            if (i)
                bt_buf_append(&names, ",", 1);
            bt_buf_append(&names, n, strlen(n));
        }
        if (!rc) {
            out->name = bt_xstrdup(m.name);
            out->version = bt_xstrdup(m.version);
            out->kind = bt_xstrdup(m.library ? "c" : "command-line");
            out->activities = bt_xstrdup(bt_buf_str(&names));
            bt_pack_sha256(data, len, out->checksum);
        }
        bt_buf_free(&names);
        bt__pack_manifest_free(&m);
    }
    bt__pack_remove_dir(dir);
    rmdir(tmpl);
    free(dir);
    return rc;
}
