/* Integration packs: loading packs and making their activities known.
 *
 * A pack is a directory (or an archive unpacked into one) holding a
 * manifest, pack.yaml, and for a C pack its shared library. Loading a pack
 * checks the manifest, the library's checksum and ABI, and registers the
 * pack's activities under "<pack>/<activity>" in the process's pack table.
 * The default registry (a NULL bt_registry everywhere: the validator, the
 * engine's loader, the tester, the runbook server) is the built-in
 * activities followed by that table.
 *
 * The table is process-wide because what it describes is: dlopen()'d code
 * is loaded into the whole process. It is locked, so a runbook server can
 * load a pack on its loop while the web service's threads load runbooks.
 * Activity types are never freed and libraries never unloaded: a runbook
 * loaded before an upgrade or removal keeps working with the version it
 * was loaded with. */
#ifndef BT_PACKS_H
#define BT_PACKS_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/activity.h"
#include "baton/error.h"

/* The manifest file name inside a pack directory. */
#define BT_PACK_MANIFEST "pack.yaml"
/* Where packs are looked for when BATON_PACK_PATH is not set. */
#define BT_PACK_DEFAULT_PATH "/usr/lib/baton/packs:/usr/local/lib/baton/packs"

typedef struct bt_pack_info {
    char *name;
    char *version;
    char *dir;     /* directory holding the manifest */
    char *library; /* absolute path of the library; NULL for a
                      command-line pack */
    unsigned abi;  /* manifest's abi (C packs) */
    size_t n_activities;
} bt_pack_info;

void bt_pack_info_free(bt_pack_info *info);

/* A pack or activity name: lower-case letters, digits, '-' and '_',
 * starting with a letter or digit, at most 64. */
bool bt_pack_name_valid(const char *name);

/* Loads the pack whose manifest is `path` (a pack.yaml, or a directory
 * holding one) and registers its activities, replacing those of an earlier
 * version of the same pack. On failure nothing is registered and err names
 * the pack, its version and the reason. info may be NULL. */
int bt_pack_load(const char *path, bt_pack_info *info, bt_error *err);

/* Called for each pack that could not be loaded from a search path. */
typedef void (*bt_pack_problem_fn)(const char *path, const bt_error *err,
                                   void *ud);

/* Loads every pack in the directories of a colon-separated list: each
 * directory's subdirectories holding a pack.yaml. NULL: BATON_PACK_PATH,
 * else BT_PACK_DEFAULT_PATH. Missing directories are skipped. Returns the
 * number of packs loaded; each failure goes to problem (may be NULL). */
size_t bt_packs_load_path(const char *path_list, bt_pack_problem_fn problem,
                          void *ud);

/* Removes a pack's activities from the table (a removed pack). Returns 0
 * or -BT_ENOTFOUND. */
int bt_packs_unregister(const char *pack);

/* Packs registered now: name and version of the i-th (i < count). */
size_t bt_packs_count(void);
bool bt_packs_at(size_t i, char **name, char **version);

/* ---- internal to src/packs and the registry --------------------------- */

/* Registers types for pack `name` (each type's name already namespaced),
 * replacing every type of an earlier version. Types must live forever. */
void bt__packs_register(const char *name, const char *version,
                        const bt_activity_type *const *types, size_t n);
/* Pack activity types by name, and by slot for listing; a removed slot
 * gives NULL. */
const bt_activity_type *bt__packs_find(const char *name);
size_t bt__packs_type_slots(void);
const bt_activity_type *bt__packs_type_at(size_t i);

#endif
