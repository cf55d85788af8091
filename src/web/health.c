/* GET /api/health: is the service up and can it reach its database. */
#include "common/version.h"
#include "web/web_internal.h"

void bt_web_health(bt_web_req *r) {
    static const char *const none[] = {NULL};
    if (!bt_web_query_only(r, none)) return;
    bt_store *s = bt_web_store(r);
    if (!s) return;
    bt_web_reply(r, 200,
                 json_pack("{s:s, s:s, s:s}", "status", "ok", "version",
                           bt_version(), "database", bt_store_backend(s)));
}
