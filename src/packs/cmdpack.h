/* Command-line packs: activities declared in the manifest whose execution
 * is a command template and whose published data is parsed from the
 * command's output. Internal to src/packs. */
#ifndef BT_PACKS_CMDPACK_H
#define BT_PACKS_CMDPACK_H

#include "packs/manifest.h"
#include "packs/packs.h"

int bt__cmdpack_load(const bt_pack_manifest *m, bt_pack_info *info,
                     bt_error *err);

#endif
