/* Resuming an instance from its committed activity instances, after the
 * server that ran it died.
 *
 * The records are replayed in commit order through the same code that ran
 * them (retry decisions, link conditions, loop guards, junction arrivals),
 * but with activation diverted: each activation the replay produces is
 * matched with the committed record it led to, by (activity, triggering
 * record and row, attempt). Activations left unmatched at the end were
 * started but never committed, or never started; they run now. So nothing
 * committed runs twice, and nothing that should have run is skipped. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/engine_internal.h"
#include "engine/junction.h"

typedef struct expected {
    const bt_activity_def *def;
    bt_frame *frame;
    bt_trigger trigger;
    unsigned attempt;
} expected;

struct bt_replay {
    expected *items;
    size_t n, cap;
};

void bt__replay_expect(bt_instance *inst, const bt_activity_def *def,
                       bt_frame *frame, bt_trigger trigger,
                       unsigned attempt) {
    struct bt_replay *r = inst->replay;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->items = bt_xrealloc(r->items, r->cap * sizeof *r->items);
    }
    r->items[r->n++] = (expected){def, bt_frame_ref(frame), trigger, attempt};
}

static bool take(struct bt_replay *r, const bt_activity_record *rec,
                 expected *out) {
    for (size_t i = 0; i < r->n; i++) {
        const expected *e = &r->items[i];
        if (e->def->index == rec->activity &&
            e->trigger.seq == rec->parent_seq &&
            e->trigger.row == rec->parent_row && e->attempt == rec->attempt) {
            *out = *e;
            /* Keep the order: what is left starts in the order the run
             * would have started it. */
            memmove(&r->items[i], &r->items[i + 1],
                    (--r->n - i) * sizeof *r->items);
            return true;
        }
    }
    return false;
}

/* Return Data publishes what it returns; a committed one is replayed into
 * the instance's returned data, since it will not run again. */
static void restore_returned(bt_instance *inst, const bt_activity_record *rec) {
    static const char *const common[] = {BT_COMMON_FIELDS};
    if (strcmp(rec->def->type->name, "return-data") != 0 || !rec->n_rows)
        return;
    const bt_row *row = rec->rows[0];
    for (size_t f = 0; f < row->count; f++) {
        bool is_common = false;
        for (size_t c = 0; c < BT_ARRAY_LEN(common) && !is_common; c++)
            is_common = strcmp(common[c], row->names[f]) == 0;
        if (!is_common)
            bt_row_set(inst->returned, row->names[f], row->values[f]);
    }
}

static int cmp_seq(const void *a, const void *b) {
    const bt_activity_record *x = *(bt_activity_record *const *)a;
    const bt_activity_record *y = *(bt_activity_record *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int resume(bt_engine *eng, const bt_runbook *rb,
                  const bt_param_value *params, size_t n_params,
                  bt_activity_record **done, size_t n_done, bool triggered,
                  void *user_data, bt_instance **out, bt_error *err) {
    for (size_t i = 0; i < n_done; i++)
        if (done[i]->activity >= rb->n_activities ||
            done[i]->def != &rb->activities[done[i]->activity])
            return bt_error_set(err, BT_EINVAL,
                                "committed activity instance %llu does not "
                                "belong to runbook '%s'",
                                (unsigned long long)done[i]->seq, rb->name);
    bt_instance *inst;
    int rc = bt__instance_new(eng, rb, params, n_params, user_data, &inst,
                              err);
    if (rc) return rc;
    inst->triggered = triggered;
    struct bt_replay replay = {0};
    inst->replay = &replay;
    inst->active++; /* nothing may finish the instance while replaying */
    for (size_t i = 0; i < rb->n_activities; i++)
        if (bt__is_start(rb, &rb->activities[i]))
            bt__instance_activate(inst, &rb->activities[i], NULL,
                                  (bt_trigger){0, 0});

    qsort(done, n_done, sizeof *done, cmp_seq);
    for (size_t i = 0; i < n_done; i++) {
        bt_activity_record *rec = done[i];
        bt__instance_add_record(inst, rec); /* the instance owns it now */
        if (rec->seq > inst->next_seq) inst->next_seq = rec->seq;
        restore_returned(inst, rec);
        expected e = {0};
        bool found = take(&replay, rec, &e);
        if (!found && bt__is_junction(rec->def)) {
            /* A junction fired between these commits; fire it now. */
            bt__junction_fire_now(inst, rec->def);
            found = take(&replay, rec, &e);
        }
        /* A record the replay did not produce can only come from damage
         * (jobs run the version they started with): its data is kept, but
         * it starts nothing. */
        if (!found) continue;
        bt_activity_ctx *ctx =
            bt__ctx_new(inst, rec->def, e.frame, (bt_trigger){rec->parent_seq,
                                                             rec->parent_row},
                        rec->attempt);
        bt_frame_unref(e.frame);
        ctx->state = BT_CTX_FINISHED;
        ctx->record = rec;
        bt__ctx_resume(inst, ctx);
    }

    inst->replay = NULL;
    for (size_t i = 0; i < replay.n; i++) {
        expected *e = &replay.items[i];
        bt__activate(inst, e->def, e->frame, e->trigger, e->attempt, 0);
        bt_frame_unref(e->frame);
    }
    free(replay.items);
    inst->active--;
    if (out) *out = inst;
    bt__instance_maybe_finish(inst);
    return 0;
}

int bt_engine_resume(bt_engine *eng, const bt_runbook *rb,
                     const bt_param_value *params, size_t n_params,
                     bt_activity_record **done, size_t n_done,
                     void *user_data, bt_instance **out, bt_error *err) {
    return resume(eng, rb, params, n_params, done, n_done, false, user_data,
                  out, err);
}

int bt_engine_resume_triggered(bt_engine *eng, const bt_runbook *rb,
                               const bt_param_value *params, size_t n_params,
                               bt_activity_record **done, size_t n_done,
                               void *user_data, bt_instance **out,
                               bt_error *err) {
    return resume(eng, rb, params, n_params, done, n_done, true, user_data,
                  out, err);
}
