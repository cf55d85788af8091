/* GET /api/activity-types: the activity types a runbook can use (the
 * built-ins and those of loaded integration packs) with their property
 * schemas and published data, for the console's designer palette and
 * property editor. */
#ifndef BT_WEB_ACTIVITY_TYPES_H
#define BT_WEB_ACTIVITY_TYPES_H

#include "web/web_internal.h"

void bt_web_activity_types_list(bt_web_req *r);

#endif
