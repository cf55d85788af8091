/* The RunbookInstances and ActivityInstances feeds paged by the store: a
 * page of either read every job's instances (and every instance's
 * activities) before it was cut to 50 entries, so its cost grew with the
 * whole history. In key order (none, or $orderby=Id) and without a
 * filter (but a runbook's, a server's or a Status, for RunbookInstances),
 * the store's GUID index gives the window and only its entries are read
 * ($expand then reads each entry's navigations alone, od_nav_rows).
 * Anything else returns 0 and takes the generic path, whose
 * answer this must equal entry for entry (test_odata). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/odata.h"

long long od_page_want(long long top, long long token) {
    long long remaining = top >= 0 ? top - token : OD_PAGE_SIZE + 1;
    return remaining > OD_PAGE_SIZE ? OD_PAGE_SIZE + 1 : remaining;
}

bool od_page_trim(json_t *rows) {
    if (json_array_size(rows) <= OD_PAGE_SIZE)
        return false;
    json_array_remove(rows, OD_PAGE_SIZE);
    return true;
}

/* The window's entries as the set's entities. */
static int read_window(od_ctx *c, od_set_id set, const bt_store_window *w,
                       json_t *page) {
    bt_store_parent *par = NULL;
    size_t n = 0;
    int rc;
    if (set == OD_RUNBOOK_INSTANCES) {
        bt_store_instance *in = NULL;
        rc = bt_store_instance_window(c->s, w, &in, &par, &n, &c->err);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(page,
                                  od_instance_entity(c, &in[i], par[i].guid));
        bt_store_instance_list_free(in, n);
    } else {
        bt_store_activity *a = NULL;
        rc = bt_store_activity_window(c->s, w, &a, &par, &n, &c->err);
        for (size_t i = 0; i < n; i++) {
            const bt_store_runbook *rb =
                od_runbook_by_id(c, par[i].runbook_id, NULL);
            json_array_append_new(
                page,
                od_activity_entity(&a[i], par[i].guid, rb ? rb->guid : NULL));
        }
        bt_store_activity_list_free(a, n);
    }
    free(par);
    return rc ? od_fail(c, rc) : 0;
}

/* The filter terms taken, for RunbookInstances only: "RunbookId eq
 * guid'…'" (Runbooks(guid'…')/Instances asks that), "RunbookServerId eq
 * guid'…'" (RunbookServers(guid'…')/Instances) and "Status eq '…'".
 * 1 with w's runbooks and state set (*none: no row can match), 0: the
 * generic path. */
static int window_terms(od_ctx *c, const od_set *set, const od_expr *filter,
                        int64_t *runbook, bt_store_window *w, bool *none) {
    od_term t[8];
    size_t n = 0;
    if (!filter)
        return 1;
    if (set->id != OD_RUNBOOK_INSTANCES || !od_filter_terms(filter, t, 8, &n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].op != OD_EQ || t[i].is_time)
            return 0;
        if (!strcmp(t[i].prop->name, "Status")) {
            /* the names compare as text, without regard to case */
            int st = 0;
            for (int k = BT_INSTANCE_RUNNING; k <= BT_INSTANCE_FAILED; k++) {
                const char *name = od_instance_state_name(k);
                if (strlen(name) == t[i].text_len &&
                    !strncasecmp(name, t[i].text, t[i].text_len))
                    st = k;
            }
            if (!st || (w->state && w->state != (bt_store_instance_state)st))
                *none = true;
            w->state = (bt_store_instance_state)st;
            continue;
        }
        if (!strcmp(t[i].prop->name, "RunbookServerId")) {
            int64_t id = od_server_id(c, t[i].text, t[i].text_len);
            if (!id || (w->server_id && w->server_id != id))
                *none = true;
            w->server_id = id;
            continue;
        }
        if (strcmp(t[i].prop->name, "RunbookId"))
            return 0;
        char g[BT_GUID_LEN];
        size_t idx;
        /* an instance shows its runbook's GUID only while the caller can
         * see the runbook (od_need_runbooks), so only those can match */
        int64_t id = t[i].text_len == BT_GUID_LEN - 1 &&
                             od_guid_parse(t[i].text, t[i].text_len, g) &&
                             !od_find_runbook(c, g, &idx)
                         ? c->rbs[idx].id
                         : 0;
        if (!id || (*runbook && *runbook != id))
            *none = true;
        *runbook = id;
    }
    return 1;
}

int od_window_page(od_ctx *c, const od_set *set, const od_expr *filter,
                   const od_order *order, size_t n_order, long long skip,
                   long long top, long long token, bool want_total,
                   json_t **page, long long *total, bool *more) {
    *page = NULL;
    *total = -1;
    *more = false;
    if (set->id != OD_RUNBOOK_INSTANCES && set->id != OD_ACTIVITY_INSTANCES)
        return 0;
    if (n_order > 1 ||
        (n_order == 1 && strcmp(order->prop->name, "Id")))
        return 0;
    int rc;
    if ((rc = od_need_runbooks(c)) || (rc = od_need_servers(c)))
        return rc;
    int64_t runbook = 0;
    bool none = false;
    bt_store_window w = {.desc = n_order && order->desc};
    if ((rc = window_terms(c, set, filter, &runbook, &w, &none)) <= 0)
        return rc;
    char *ids = none      ? bt_xstrdup(",") /* no runbook: no rows */
                : runbook ? bt_xasprintf(",%lld,", (long long)runbook)
                          : od_visible_runbook_ids(c);
    w.runbook_ids = ids;
    json_t *rows = json_array();
    if (want_total) {
        uint64_t count = 0;
        rc = set->id == OD_RUNBOOK_INSTANCES
                 ? bt_store_instance_window_count(c->s, &w, &count, &c->err)
                 : bt_store_activity_window_count(c->s, &w, &count, &c->err);
        if (rc) {
            rc = od_fail(c, rc);
            goto out;
        }
        *total = (long long)count;
    }
    long long want = od_page_want(top, token);
    if (want > 0) {
        w.offset = (uint64_t)skip + (uint64_t)token;
        w.limit = (size_t)want;
        if ((rc = read_window(c, set->id, &w, rows)))
            goto out;
        *more = od_page_trim(rows);
    }
    *page = rows;
    rows = NULL;
    rc = 1;
out:
    json_decref(rows);
    free(ids);
    return rc;
}
