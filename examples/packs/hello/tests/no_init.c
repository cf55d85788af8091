/* A library that says its ABI but exports no bt_pack_init. */
#include "baton/pack.h"

BT_PACK_DEFINE();

int no_init_helper(void);
int no_init_helper(void) { return 1; }
