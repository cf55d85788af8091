/* The management server's integration pack handlers (mgmt/packs.c). */
#ifndef BT_MGMT_PACKS_H
#define BT_MGMT_PACKS_H

#include "mgmt/mgmt_internal.h"

void bt__mg_packs_list(mg_req *r);
void bt__mg_pack_get(mg_req *r);
void bt__mg_pack_register(mg_req *r);
void bt__mg_pack_delete(mg_req *r);
/* A runbook server's packs for its status: [{pack, version, loaded,
 * message}] (why not, when not loaded). */
json_t *bt__mg_server_packs(mg_req *r, int64_t server_id);

#endif
