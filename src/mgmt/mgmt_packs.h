/* The management server's integration pack handlers (mgmt/packs.c). */
#ifndef BT_MGMT_PACKS_H
#define BT_MGMT_PACKS_H

#include "mgmt/mgmt_internal.h"

void bt__mg_packs_list(mg_req *r);
void bt__mg_pack_get(mg_req *r);
void bt__mg_pack_register(mg_req *r);
void bt__mg_pack_delete(mg_req *r);

#endif
