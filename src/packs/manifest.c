/* Reading pack.yaml: the fields every pack has. What a C pack's library or
 * a command-line pack's activities say is checked by cpack.c / cmdpack.c. */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "packs/manifest.h"
#include "packs/packs.h"

bool bt__pack_name_ok(const char *name) {
    size_t n = strlen(name);
    if (!n || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i && (c == '-' || c == '_'));
        if (!ok)
            return false;
    }
    return true;
}

bool bt_pack_name_valid(const char *name) { return bt__pack_name_ok(name); }

int bt__pack_manifest_error(const bt_pack_manifest *m, const bt_node *at,
                            bt_error *err, const char *fmt, ...) {
    char msg[BT_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char who[200] = "";
    if (m->name && m->version)
        snprintf(who, sizeof who, "pack '%s' %s: ", m->name, m->version);
    else if (m->name)
        snprintf(who, sizeof who, "pack '%s': ", m->name);
    return bt_error_set_at(err, BT_EINVAL, m->path, at ? at->line : 0,
                           at ? at->column : 0, "%s%s", who, msg);
}

/* A scalar field, or NULL when absent; anything else is an error. */
static int scalar_field(bt_pack_manifest *m, const char *key, bool required,
                        const char **out, bt_error *err) {
    const bt_node *n = bt_node_get(m->doc->root, key);
    *out = NULL;
    if (!n || n->kind == BT_NODE_NULL) {
        if (required)
            return bt__pack_manifest_error(m, m->doc->root, err,
                                           "the manifest has no '%s'", key);
        return 0;
    }
    if (n->kind != BT_NODE_SCALAR || !n->len)
        return bt__pack_manifest_error(m, n, err,
                                       "'%s' must be a non-empty text", key);
    *out = n->str;
    return 0;
}

static bool version_ok(const char *v) {
    if (strlen(v) > 64)
        return false;
    for (const char *p = v; *p; p++)
        if (!strchr("0123456789abcdefghijklmnopqrstuvwxyz"
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-+~_",
                    *p))
            return false;
    return true;
}

static int read_fields(bt_pack_manifest *m, bt_error *err) {
    const bt_node *root = m->doc->root;
    if (!root || root->kind != BT_NODE_MAP)
        return bt__pack_manifest_error(m, root, err,
                                       "a pack manifest is a map (name, "
                                       "version, activities...)");
    static const char *const known[] = {"name",       "version",  "abi",
                                        "library",    "checksum", "description",
                                        "activities", NULL};
    for (size_t i = 0; i < root->count; i++) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], root->keys[i]->str))
            k++;
        if (!known[k])
            return bt__pack_manifest_error(
                m, root->keys[i], err,
                "unknown manifest field '%s' (known: name, version, abi, "
                "library, checksum, description, activities)",
                root->keys[i]->str);
    }
    const char *abi_text = NULL;
    int rc;
    if ((rc = scalar_field(m, "name", true, &m->name, err)) ||
        (rc = scalar_field(m, "version", true, &m->version, err)))
        return rc;
    if (!bt__pack_name_ok(m->name)) {
        const char *bad = m->name;
        m->name = NULL;
        return bt__pack_manifest_error(
            m, bt_node_get(root, "name"), err,
            "pack name '%s' must be lower-case letters, digits, '-' and '_' "
            "(at most 64), starting with a letter or digit",
            bad);
    }
    if (!version_ok(m->version))
        return bt__pack_manifest_error(
            m, bt_node_get(root, "version"), err,
            "version '%s' may hold only letters, digits and . - + ~ _",
            m->version);
    if ((rc = scalar_field(m, "description", false, &m->description, err)) ||
        (rc = scalar_field(m, "library", false, &m->library, err)) ||
        (rc = scalar_field(m, "checksum", false, &m->checksum, err)) ||
        (rc = scalar_field(m, "abi", false, &abi_text, err)))
        return rc;
    if (!m->description)
        m->description = "";
    if (abi_text && (!bt_parse_int64(abi_text, &m->abi) || m->abi < 1))
        return bt__pack_manifest_error(m, bt_node_get(root, "abi"), err,
                                       "abi '%s' is not a positive integer",
                                       abi_text);
    if (m->library && (strchr(m->library, '/') || m->library[0] == '.'))
        return bt__pack_manifest_error(
            m, bt_node_get(root, "library"), err,
            "library '%s' must be a file name in the pack's directory",
            m->library);
    if (m->library && !abi_text)
        return bt__pack_manifest_error(m, root, err,
                                       "a pack with a library must say which "
                                       "pack ABI it was built for (abi: N)");
    m->activities = bt_node_get(root, "activities");
    if (!m->activities || m->activities->kind != BT_NODE_SEQ ||
        !m->activities->count)
        return bt__pack_manifest_error(m, m->activities ? m->activities : root,
                                       err,
                                       "'activities' must be a non-empty list");
    return 0;
}

int bt__pack_manifest_read(const char *path, bt_pack_manifest *m,
                           bt_error *err) {
    memset(m, 0, sizeof *m);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        m->path = bt_xasprintf("%s/%s", path, BT_PACK_MANIFEST);
    else
        m->path = bt_xstrdup(path);
    const char *slash = strrchr(m->path, '/');
    m->dir = slash ? bt_xstrndup(m->path, (size_t)(slash - m->path))
                   : bt_xstrdup(".");
    if (!m->dir[0]) {
        free(m->dir);
        m->dir = bt_xstrdup("/");
    }
    int rc = bt_doc_parse_file(m->path, &m->doc, err);
    if (rc == 0)
        rc = read_fields(m, err);
    if (rc)
        bt__pack_manifest_free(m);
    return rc;
}

void bt__pack_manifest_free(bt_pack_manifest *m) {
    bt_doc_free(m->doc);
    free(m->path);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

int bt__pack_file_sha256(const char *path, char out[72], bt_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return bt_error_set(err, BT_EIO, "cannot open %s: %s", path,
                            strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    bool bad = ferror(f);
    fclose(f);
    if (bad)
        return bt_error_set(err, BT_EIO, "cannot read %s", path);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    memcpy(out, "sha256:", 7);
    sodium_bin2hex(out + 7, 65, h, sizeof h);
    return 0;
}
