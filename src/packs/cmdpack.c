/* Command-line packs (see cmdpack.h). */
#include "packs/cmdpack.h"

int bt__cmdpack_load(const bt_pack_manifest *m, bt_pack_info *info,
                     bt_error *err) {
    (void)info;
    return bt__pack_manifest_error(m, m->doc->root, err,
                                   "the manifest names no library");
}
