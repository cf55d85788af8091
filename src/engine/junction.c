/* Junction state per instance. A junction is ready when no activity that
 * could still reach it is alive; it then fires if every incoming link
 * delivered at least once (Orchestrator's "wait for all branches"), else
 * the branches that did arrive are dropped. */
#include "engine/junction.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct arrival {
    size_t link;
    bt_frame *frame;
    bt_trigger trigger;
} arrival;

typedef struct junction_state {
    size_t activity;
    size_t republish; /* activity index or SIZE_MAX */
    arrival *arrivals;
    size_t n, cap;
} junction_state;

struct bt_junctions {
    junction_state *items;
    size_t count;
    size_t pending; /* junctions holding arrivals */
};

bool bt__is_junction(const bt_activity_def *def) {
    return strcmp(def->type->name, "junction") == 0;
}

bt_junctions *bt__junctions_new(const bt_runbook *rb) {
    size_t n = 0;
    for (size_t i = 0; i < rb->n_activities; i++)
        n += bt__is_junction(&rb->activities[i]);
    if (!n) return NULL;
    bt_junctions *js = bt_xcalloc(1, sizeof *js);
    js->items = bt_xcalloc(n, sizeof *js->items);
    for (size_t i = 0; i < rb->n_activities; i++) {
        const bt_activity_def *def = &rb->activities[i];
        if (!bt__is_junction(def)) continue;
        junction_state *j = &js->items[js->count++];
        j->activity = i;
        const bt_node *rp = bt_node_get(def->properties, "republish");
        j->republish = rp && rp->kind == BT_NODE_SCALAR
                           ? bt_runbook_index(rb, rp->str)
                           : SIZE_MAX;
    }
    return js;
}

static void clear_arrivals(bt_instance *inst, junction_state *j) {
    if (!j->n) return;
    for (size_t i = 0; i < j->n; i++) bt_frame_unref(j->arrivals[i].frame);
    j->n = 0;
    inst->junctions->pending--;
    inst->active--;
    inst->active_per_activity[j->activity]--;
}

void bt__junctions_free(bt_junctions *js) {
    if (!js) return;
    for (size_t i = 0; i < js->count; i++) {
        for (size_t k = 0; k < js->items[i].n; k++)
            bt_frame_unref(js->items[i].arrivals[k].frame);
        free(js->items[i].arrivals);
    }
    free(js->items);
    free(js);
}

static junction_state *find(bt_junctions *js, size_t activity) {
    for (size_t i = 0; i < js->count; i++)
        if (js->items[i].activity == activity) return &js->items[i];
    return NULL;
}

void bt__junction_arrive(bt_instance *inst, const bt_activity_def *def,
                         size_t link, bt_frame *f, bt_trigger trigger) {
    junction_state *j = find(inst->junctions, def->index);
    if (!j->n) {
        /* Holding arrivals keeps the instance, and junctions downstream,
         * waiting. */
        inst->junctions->pending++;
        inst->active++;
        inst->active_per_activity[j->activity]++;
    }
    if (j->n == j->cap) {
        j->cap = j->cap ? j->cap * 2 : 4;
        j->arrivals = bt_xrealloc(j->arrivals, j->cap * sizeof *j->arrivals);
    }
    j->arrivals[j->n++] = (arrival){link, bt_frame_ref(f), trigger};
}

static bool ready(const bt_instance *inst, const junction_state *j) {
    const bt_runbook *rb = inst->rb;
    for (size_t a = 0; a < rb->n_activities; a++) {
        if (a == j->activity || !inst->active_per_activity[a]) continue;
        if (bt_runbook_is_upstream(rb, a, j->activity)) return false;
    }
    return true;
}

static bool all_branches(const bt_instance *inst, const junction_state *j) {
    const bt_activity_def *def = &inst->rb->activities[j->activity];
    for (size_t l = 0; l < def->n_links_in; l++) {
        bool seen = false;
        for (size_t k = 0; k < j->n && !seen; k++)
            seen = j->arrivals[k].link == def->links_in[l];
        if (!seen) return false;
    }
    return true;
}

/* The chosen branch's path plus, on top, every row of the other branches'
 * first arrivals that the chosen path lacks, so that activities after the
 * junction can still refer to data from any branch. */
static bt_frame *merge(const bt_instance *inst, const junction_state *j,
                       const arrival *base) {
    bt_frame *merged = bt_frame_ref(base->frame);
    const bt_activity_def *def = &inst->rb->activities[j->activity];
    for (size_t l = 0; l < def->n_links_in; l++) {
        const arrival *first = NULL;
        for (size_t k = 0; k < j->n && !first; k++)
            if (j->arrivals[k].link == def->links_in[l])
                first = &j->arrivals[k];
        if (!first || first->frame == base->frame) continue;
        for (bt_frame *f = first->frame; f; f = f->parent) {
            if (bt_frame_find(merged, f->activity)) continue;
            bt_frame *next = bt_frame_push(merged, f->activity, f->row);
            bt_frame_unref(merged);
            merged = next;
        }
    }
    return merged;
}

/* flatten on a junction gathers the republished branch back into one row:
 * the way to collect the results of a fan-out. */
static void fire_flattened(bt_instance *inst, junction_state *j) {
    const bt_runbook *rb = inst->rb;
    const bt_activity_def *def = &rb->activities[j->activity];
    bt_row **rows = bt_xcalloc(j->n, sizeof *rows);
    const arrival *base = NULL;
    size_t n = 0;
    for (size_t k = 0; k < j->n; k++) {
        const arrival *a = &j->arrivals[k];
        if (rb->links[a->link].from != j->republish) continue;
        if (!base) base = a;
        rows[n++] = (bt_row *)bt_frame_find(a->frame, j->republish);
    }
    bt_row *flat = bt__flatten_rows(rows, n, bt__flatten_separator(def));
    bt_frame *merged = merge(inst, j, base);
    bt_frame *top = bt_frame_push(merged, j->republish, flat);
    bt__instance_activate(inst, def, top, base->trigger);
    bt_frame_unref(top);
    bt_frame_unref(merged);
    bt_row_unref(flat);
    free(rows);
}

static void fire(bt_instance *inst, junction_state *j) {
    const bt_runbook *rb = inst->rb;
    const bt_activity_def *def = &rb->activities[j->activity];
    size_t fired = 0;
    if (def->flatten && j->republish != SIZE_MAX) {
        fire_flattened(inst, j);
        return;
    }
    for (size_t k = 0; k < j->n; k++) {
        const arrival *a = &j->arrivals[k];
        if (j->republish == SIZE_MAX ? fired > 0
                                     : rb->links[a->link].from != j->republish)
            continue;
        bt_frame *merged = merge(inst, j, a);
        bt__instance_activate(inst, def, merged, a->trigger);
        bt_frame_unref(merged);
        fired++;
    }
}

bool bt__junctions_settle(bt_instance *inst) {
    bt_junctions *js = inst->junctions;
    if (!js || !js->pending) return false;
    bool started = false;
    for (size_t i = 0; i < js->count; i++) {
        junction_state *j = &js->items[i];
        if (!j->n || !ready(inst, j)) continue;
        /* Activate before clearing, so the instance never looks idle in
         * between. */
        if (all_branches(inst, j)) {
            fire(inst, j);
            started = true;
        }
        clear_arrivals(inst, j);
    }
    return started;
}

void bt__junction_fire_now(bt_instance *inst, const bt_activity_def *def) {
    junction_state *j = inst->junctions ? find(inst->junctions, def->index)
                                        : NULL;
    if (!j || !j->n) return;
    fire(inst, j);
    clear_arrivals(inst, j);
}

void bt__junctions_drop(bt_instance *inst) {
    bt_junctions *js = inst->junctions;
    if (!js) return;
    for (size_t i = 0; i < js->count; i++) clear_arrivals(inst, &js->items[i]);
}
