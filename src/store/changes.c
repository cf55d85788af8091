/* The change counters (bt_store_changes_read): one portable statement
 * over the table that migration 5's triggers keep. */
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"

int bt_store_changes_read(bt_store *s, bt_store_changes *out, bt_error *err) {
    static const char sql[] = "SELECT name, value FROM change_counters";
    out->catalog = out->purge = out->jobs = -1;
    bt_store_rows r = {0};
    int rc = s->ops->query(s, sql, NULL, 0, &r, "reading change counters",
                           err);
    if (rc) return rc;
    for (size_t i = 0; i < r.n; i++) {
        const char *name = bt__store_cell(&r, i, 0);
        const char *value = bt__store_cell(&r, i, 1);
        if (!name || !value) continue;
        int64_t v = strtoll(value, NULL, 10);
        if (!strcmp(name, "catalog")) out->catalog = v;
        else if (!strcmp(name, "purge")) out->purge = v;
        else if (!strcmp(name, "jobs")) out->jobs = v;
    }
    bt__store_rows_free(&r);
    if (out->catalog < 0 || out->purge < 0)
        return bt_error_set(err, BT_EIO,
                            "store: the change counters are missing (schema "
                            "migration 5)");
    return 0;
}
