/* Loading a C pack: checksum, ABI, dlopen, the descriptor, and the
 * activity types registered for it. Every refusal names the pack, its
 * version and, for an ABI mismatch, both ABI versions, so that the person
 * who deployed it knows what to rebuild. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/version.h"
#include "packs/cpack.h"

static int abi_refused(const bt_pack_manifest *m, unsigned abi,
                       const char *where, bt_error *err) {
    return bt_error_set(err, BT_EINVAL,
                        "pack '%s' %s: built for pack ABI %u (%s), but this "
                        "Baton %s supports pack ABI %d: rebuild the pack "
                        "against this Baton's include/baton/pack.h",
                        m->name, m->version, abi, where, bt_version(),
                        BT_PACK_ABI_VERSION);
}

static bt_prop_kind prop_kind(int kind) {
    switch (kind) {
    case BT_PACK_INTEGER:
        return BT_PROP_INTEGER;
    case BT_PACK_NUMBER:
        return BT_PROP_NUMBER;
    case BT_PACK_BOOLEAN:
        return BT_PROP_BOOLEAN;
    case BT_PACK_DURATION:
        return BT_PROP_DURATION;
    case BT_PACK_LIST:
        return BT_PROP_LIST;
    case BT_PACK_MAP:
        return BT_PROP_MAP;
    default:
        return BT_PROP_STRING;
    }
}

/* Checks what the library describes before anything is registered. */
static int check_descriptor(const bt_pack_manifest *m,
                            const bt_pack_descriptor *d, const char *lib,
                            bt_error *err) {
    if (!d)
        return bt_error_set(err, BT_EINVAL,
                            "pack '%s' %s: bt_pack_init in %s returned no "
                            "descriptor",
                            m->name, m->version, lib);
    if (d->abi_version != BT_PACK_ABI_VERSION)
        return abi_refused(m, d->abi_version, "its descriptor", err);
    if (!d->name || strcmp(d->name, m->name) || !d->version ||
        strcmp(d->version, m->version))
        return bt_error_set(err, BT_EINVAL,
                            "pack '%s' %s: the library %s is pack '%s' %s; "
                            "the manifest and the library disagree",
                            m->name, m->version, lib,
                            d->name ? d->name : "(none)",
                            d->version ? d->version : "(none)");
    size_t n = 0;
    for (const bt_pack_activity *a = d->activities; a && a->name; a++, n++) {
        if (!bt__pack_name_ok(a->name) || !a->execute)
            return bt_error_set(err, BT_EINVAL,
                                "pack '%s' %s: activity '%s' in %s: %s",
                                m->name, m->version, a->name, lib,
                                a->execute ? "bad name (lower-case letters, "
                                             "digits, '-' and '_')"
                                           : "no execute entry point");
        if (a->mode != BT_PACK_ASYNC && a->mode != BT_PACK_BLOCKING)
            return bt_error_set(err, BT_EINVAL,
                                "pack '%s' %s: activity '%s': unknown mode %d",
                                m->name, m->version, a->name, a->mode);
        for (const bt_pack_prop *p = a->props; p && p->name; p++)
            if (p->kind < BT_PACK_STRING || p->kind > BT_PACK_MAP)
                return bt_error_set(err, BT_EINVAL,
                                    "pack '%s' %s: activity '%s': property "
                                    "'%s' has unknown kind %d",
                                    m->name, m->version, a->name, p->name,
                                    p->kind);
    }
    /* The manifest lists the activities so that they can be shown (the
     * designer's palette) without loading code; both lists must agree. */
    const bt_node *list = m->activities;
    for (size_t i = 0; i < list->count; i++) {
        const bt_node *it = list->items[i];
        if (it->kind != BT_NODE_SCALAR)
            return bt__pack_manifest_error(m, it, err,
                                           "a C pack's activities are listed "
                                           "by name");
        const bt_pack_activity *a = d->activities;
        while (a && a->name && strcmp(a->name, it->str))
            a++;
        if (!a || !a->name)
            return bt__pack_manifest_error(
                m, it, err, "activity '%s' is not in %s", it->str, lib);
    }
    if (n != list->count)
        return bt__pack_manifest_error(m, list, err,
                                       "the manifest lists %zu activities, "
                                       "%s defines %zu",
                                       list->count, lib, n);
    return 0;
}

static const bt_activity_type *wrap(const bt_pack_manifest *m,
                                    const bt_pack_activity *a) {
    bt_cpack_type *ct = bt_xcalloc(1, sizeof *ct);
    size_t np = 0;
    while (a->props && a->props[np].name)
        np++;
    bt_prop_spec *props = bt_xcalloc(np + 1, sizeof *props);
    for (size_t i = 0; i < np; i++) {
        const bt_pack_prop *p = &a->props[i];
        props[i] = (bt_prop_spec){p->name,          prop_kind(p->kind),
                                  p->required != 0, p->default_text,
                                  p->description,   p->choices};
    }
    static const char *const none[] = {NULL};
    ct->type = (bt_activity_type){
        .name = bt_xasprintf("%s/%s", m->name, a->name),
        .title = a->title ? a->title : a->name,
        .category = bt_xstrdup(m->name),
        .description = a->description ? a->description : "",
        .mode = a->mode == BT_PACK_BLOCKING ? BT_EXEC_BLOCKING : BT_EXEC_ASYNC,
        .props = props,
        .published = a->published ? a->published : none,
        .check = bt__cpack_check,
        .run = bt__cpack_run,
        .cancel = bt__cpack_cancel,
    };
    ct->act = a;
    ct->pack = bt_xasprintf("%s %s", m->name, m->version);
    return &ct->type;
}

int bt__cpack_load(const bt_pack_manifest *m, bt_pack_info *info,
                   bt_error *err) {
    if (m->abi != BT_PACK_ABI_VERSION)
        return abi_refused(m, (unsigned)m->abi, "its manifest says", err);
    char *lib = bt_xasprintf("%s/%s", m->dir, m->library);
    int rc = 0;
    void *h = NULL;
    if (m->checksum) {
        char sum[72];
        bt_error io;
        if ((rc = bt__pack_file_sha256(lib, sum, &io)) != 0) {
            rc = bt_error_set(err, -rc, "pack '%s' %s: %s", m->name, m->version,
                              io.message);
            goto out;
        }
        if (strcmp(sum, m->checksum)) {
            rc = bt_error_set(err, BT_EINVAL,
                              "pack '%s' %s: %s does not match the "
                              "manifest's checksum (%s, the file has %s)",
                              m->name, m->version, lib, m->checksum, sum);
            goto out;
        }
    }
    /* RTLD_LOCAL: packs do not see each other's symbols, so two packs may
     * both define helpers of the same name. */
    h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        rc = bt_error_set(err, BT_EINVAL, "pack '%s' %s: cannot load %s",
                          m->name, m->version, dlerror());
        goto out;
    }
    const uint32_t *abi = dlsym(h, "bt_pack_abi_version");
    if (!abi) {
        rc = bt_error_set(err, BT_EINVAL,
                          "pack '%s' %s: %s exports no bt_pack_abi_version "
                          "(is BT_PACK_DEFINE() from baton/pack.h in it?)",
                          m->name, m->version, lib);
        goto out;
    }
    if (*abi != BT_PACK_ABI_VERSION) {
        rc = abi_refused(m, *abi, "its library says", err);
        goto out;
    }
    if (*abi != (uint32_t)m->abi) {
        rc = bt_error_set(err, BT_EINVAL,
                          "pack '%s' %s: the manifest says abi %lld, the "
                          "library %u",
                          m->name, m->version, (long long)m->abi, *abi);
        goto out;
    }
    const bt_pack_descriptor *(*init)(const bt_pack_api *);
    *(void **)&init = dlsym(h, "bt_pack_init");
    if (!init) {
        rc = bt_error_set(err, BT_EINVAL,
                          "pack '%s' %s: %s exports no bt_pack_init", m->name,
                          m->version, lib);
        goto out;
    }
    const bt_pack_descriptor *d = init(&bt__pack_host_api);
    if ((rc = check_descriptor(m, d, lib, err)) != 0)
        goto out;

    size_t n = m->activities->count;
    const bt_activity_type **types = bt_xcalloc(n, sizeof *types);
    for (size_t i = 0; i < n; i++)
        types[i] = wrap(m, &d->activities[i]);
    bt__packs_register(m->name, m->version, types, n);
    free(types);
    if (info) {
        info->library = lib;
        lib = NULL;
        info->abi = (unsigned)m->abi;
        info->n_activities = n;
    }
    h = NULL; /* stays loaded: its types are registered for good */
out:
    if (h)
        dlclose(h);
    free(lib);
    return rc;
}
