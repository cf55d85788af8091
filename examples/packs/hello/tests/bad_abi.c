/* A pack built for a pack ABI this Baton does not have: the loader must
 * refuse it before calling bt_pack_init. */
#include <stdlib.h>

#include "baton/pack.h"

BT_PACK_EXPORT const uint32_t bt_pack_abi_version = 99;

const bt_pack_descriptor *bt_pack_init(const bt_pack_api *api) {
    (void)api;
    abort(); /* never called */
}
