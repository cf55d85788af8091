/* Integration packs in batond (rb_packs.h). */
#include <stdlib.h>

#include "common/util.h"
#include "packs/packs.h"
#include "packs/sync.h"
#include "server/rb_internal.h"
#include "server/rb_packs.h"

static void log_problem(const char *path, const bt_error *err, void *ud) {
    char msg[BT_ERROR_MESSAGE_MAX + BT_ERROR_FILE_MAX + 16];
    bt_error_format(err, msg, sizeof msg);
    bt_logf(ud, BT_LOG_WARNING, "pack %s not loaded: %s", path, msg);
}

void bt_batond_packs_start(const char *data_dir, bt_store *store,
                           const bt_log *log) {
    size_t n = bt_packs_load_path(NULL, log_problem, (void *)log);
    if (n)
        bt_logf(log, BT_LOG_INFO,
                "%zu integration pack%s loaded from the "
                "pack path",
                n, n == 1 ? "" : "s");
    char *dir = bt_xasprintf("%s/packs", data_dir);
    bt_packs_set_cache_dir(dir);
    free(dir);
    bt_error err = {0};
    if (bt_packs_sync(store, 0, NULL, &err))
        bt_logf(log, BT_LOG_WARNING, "cannot read the registered packs: %s",
                err.message);
}

void bt__rb_packs_sync(struct bt_rbserver *srv) {
    bt_error err = {0};
    if (bt_packs_sync(srv->store, srv->id, srv->name, &err))
        bt_logf(srv->log, BT_LOG_WARNING,
                "runbook server '%s': cannot read the registered packs: %s",
                srv->name, err.message);
}
