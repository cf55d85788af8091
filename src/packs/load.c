/* Loading packs: one manifest, or every pack in the search path. A pack
 * with a library is a C pack (cpack.c); without, a command-line pack
 * (cmdpack.c). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "packs/cmdpack.h"
#include "packs/cpack.h"

void bt_pack_info_free(bt_pack_info *info) {
    if (!info)
        return;
    free(info->name);
    free(info->version);
    free(info->dir);
    free(info->library);
    memset(info, 0, sizeof *info);
}

int bt_pack_load(const char *path, bt_pack_info *info, bt_error *err) {
    if (info)
        memset(info, 0, sizeof *info);
    bt_pack_manifest m;
    int rc = bt__pack_manifest_read(path, &m, err);
    if (rc)
        return rc;
    rc = m.library ? bt__cpack_load(&m, info, err)
                   : bt__cmdpack_load(&m, info, err);
    if (rc == 0 && info) {
        info->name = bt_xstrdup(m.name);
        info->version = bt_xstrdup(m.version);
        info->dir = bt_xstrdup(m.dir);
    }
    if (rc && info)
        bt_pack_info_free(info);
    bt__pack_manifest_free(&m);
    return rc;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load_dir(const char *dir, bt_pack_problem_fn problem, void *ud) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    /* Sorted, so that which of two packs with one name wins does not
     * depend on the file system's order. */
    char **names = NULL;
    size_t n = 0, cap = 0, loaded = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = bt_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = bt_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char *manifest =
            bt_xasprintf("%s/%s/%s", dir, names[i], BT_PACK_MANIFEST);
        struct stat st;
        if (stat(manifest, &st) == 0) {
            bt_error err;
            bt_error_clear(&err);
            if (bt_pack_load(manifest, NULL, &err) == 0)
                loaded++;
            else if (problem)
                problem(manifest, &err, ud);
        }
        free(manifest);
        free(names[i]);
    }
    free(names);
    return loaded;
}

size_t bt_packs_load_path(const char *path_list, bt_pack_problem_fn problem,
                          void *ud) {
    if (!path_list)
        path_list = getenv("BATON_PACK_PATH");
    if (!path_list)
        path_list = BT_PACK_DEFAULT_PATH;
    char *copy = bt_xstrdup(path_list), *save = NULL;
    size_t loaded = 0;
    for (char *dir = strtok_r(copy, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save))
        loaded += load_dir(dir, problem, ud);
    free(copy);
    return loaded;
}
