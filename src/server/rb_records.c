/* Activity instances between the engine and the store: an engine record
 * as the rows the store commits, and committed rows back as the records
 * bt_engine_resume replays. The parent's seq and row are store columns;
 * databases written before schema 2 carried the row as the published value
 * BT_RB_PARENT_ROW, which loading still understands (and hides). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "server/rb_internal.h"

void bt__rb_record_spec(const rb_commit *c, bt_store_activity_spec *spec,
                        bt_store_datum **data, char *row_buf,
                        size_t row_size) {
    const bt_activity_record *rec = c->rec;
    (void)row_buf; /* kept for the callers; the row is a column now */
    (void)row_size;
    size_t n = 0;
    for (size_t r = 0; r < rec->n_rows; r++) n += rec->rows[r]->count;
    bt_store_datum *d = bt_xcalloc(n ? n : 1, sizeof *d);
    size_t k = 0;
    for (size_t r = 0; r < rec->n_rows; r++)
        for (size_t f = 0; f < rec->rows[r]->count; f++)
            d[k++] = (bt_store_datum){(uint32_t)r, rec->rows[r]->names[f],
                                      rec->rows[r]->values[f]};
    *spec = (bt_store_activity_spec){
        .instance_id = c->ri->store_id,
        .activity_id = rec->def->id,
        .seq = rec->seq,
        .attempt = rec->attempt,
        .result = rec->result,
        .error = rec->error,
        .start_us = rec->start_us,
        .end_us = rec->end_us,
        .parent_seq = rec->parent_seq,
        .parent_row = rec->parent_row,
        .data = d,
        .n_data = k,
    };
    *data = d;
}

void bt__rb_records_free(bt_activity_record **recs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < recs[i]->n_rows; r++)
            bt_row_unref(recs[i]->rows[r]);
        free(recs[i]->rows);
        free(recs[i]->error);
        free(recs[i]);
    }
    free(recs);
}

int bt__rb_records_load(bt_rbserver *srv, const bt_runbook *rb,
                        int64_t instance_id, bt_activity_record ***out,
                        size_t *n_out, char *msg, size_t msg_size) {
    bt_store_activity *acts = NULL;
    size_t n = 0;
    bt_error err;
    *out = NULL;
    *n_out = 0;
    if (bt_store_activity_list(srv->store, instance_id, 0, &acts, &n, &err)) {
        snprintf(msg, msg_size, "cannot read the committed activities of "
                 "instance %lld: %s", (long long)instance_id, err.message);
        return -BT_EIO;
    }
    bt_activity_record **recs = bt_xcalloc(n ? n : 1, sizeof *recs);
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const bt_store_activity *a = &acts[i];
        size_t idx = bt_runbook_index(rb, a->activity_id);
        if (idx == SIZE_MAX) {
            snprintf(msg, msg_size, "committed activity '%s' (seq %llu) is "
                     "not in the runbook version the job runs",
                     a->activity_id, (unsigned long long)a->seq);
            rc = -BT_EINVAL;
            break;
        }
        bt_activity_record *rec = bt_xcalloc(1, sizeof *rec);
        recs[k++] = rec;
        rec->seq = a->seq;
        rec->activity = idx;
        rec->def = &rb->activities[idx];
        rec->result = a->result;
        rec->error = a->error ? bt_xstrdup(a->error) : NULL;
        rec->attempt = a->attempt;
        rec->start_us = a->start_us;
        rec->end_us = a->end_us;
        rec->parent_seq = a->parent_seq;
        rec->parent_row = a->parent_row;
        /* Rows come sorted by row index; a row holding nothing but the
         * parent-row marker is not a published row. */
        uint32_t max_row = 0;
        bool any = false;
        for (size_t d = 0; d < a->n_data; d++) {
            if (strcmp(a->data[d].name, BT_RB_PARENT_ROW) == 0) {
                int64_t pr = 0;
                if (bt_parse_int64(a->data[d].value, &pr) && pr >= 0 &&
                    pr <= UINT32_MAX)
                    rec->parent_row = (uint32_t)pr;
                continue;
            }
            any = true;
            if (a->data[d].row > max_row) max_row = a->data[d].row;
        }
        if (!any) continue;
        rec->n_rows = (size_t)max_row + 1;
        rec->rows = bt_xcalloc(rec->n_rows, sizeof *rec->rows);
        for (size_t r = 0; r < rec->n_rows; r++) rec->rows[r] = bt_row_new();
        for (size_t d = 0; d < a->n_data; d++)
            if (strcmp(a->data[d].name, BT_RB_PARENT_ROW) != 0)
                bt_row_set(rec->rows[a->data[d].row], a->data[d].name,
                           a->data[d].value ? a->data[d].value : "");
    }
    bt_store_activity_list_free(acts, n);
    if (rc) {
        bt__rb_records_free(recs, k);
        return rc;
    }
    *out = recs;
    *n_out = k;
    return 0;
}
