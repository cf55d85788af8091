/* The runbook as a graph: incoming/outgoing links per activity, which
 * activities are upstream of which (for checking references), loops that
 * have no guard, and where an instance starts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "runbook/load_internal.h"

static void fill_link_lists(bt_runbook *rb) {
    size_t n = rb->n_activities;
    for (size_t l = 0; l < rb->n_links; l++) {
        rb->activities[rb->links[l].from].n_links_out++;
        rb->activities[rb->links[l].to].n_links_in++;
    }
    for (size_t i = 0; i < n; i++) {
        bt_activity_def *d = &rb->activities[i];
        d->links_out = bt_xcalloc(d->n_links_out + 1, sizeof *d->links_out);
        d->links_in = bt_xcalloc(d->n_links_in + 1, sizeof *d->links_in);
        d->n_links_out = d->n_links_in = 0;
    }
    for (size_t l = 0; l < rb->n_links; l++) {
        bt_activity_def *f = &rb->activities[rb->links[l].from];
        bt_activity_def *t = &rb->activities[rb->links[l].to];
        f->links_out[f->n_links_out++] = l;
        t->links_in[t->n_links_in++] = l;
    }
}

/* Transitive closure by a backward walk from each activity: O(n * (n+e)),
 * fine for the activity cap. */
static void compute_upstream(bt_runbook *rb) {
    size_t n = rb->n_activities;
    if (!n) return;
    rb->upstream = bt_xcalloc(n * n, 1);
    /* n + 1: activity i itself is queued first and again when a cycle
     * leads back to it (row[i] is only set then). */
    size_t *queue = bt_xmalloc((n + 1) * sizeof *queue);
    for (size_t i = 0; i < n; i++) {
        unsigned char *row = rb->upstream + i * n;
        size_t head = 0, tail = 0;
        queue[tail++] = i;
        while (head < tail) {
            const bt_activity_def *d = &rb->activities[queue[head++]];
            for (size_t k = 0; k < d->n_links_in; k++) {
                size_t from = rb->links[d->links_in[k]].from;
                if (row[from]) continue;
                row[from] = 1;
                queue[tail++] = from;
            }
        }
    }
    free(queue);
}

/* One cycle through root inside a component (comp[x] == c), by a
 * breadth-first walk over unguarded links; appended as "a -> b -> a". */
static size_t describe_cycle(bt_runbook *rb, const size_t *comp, size_t c,
                             size_t root, bt_buf *out) {
    size_t n = rb->n_activities;
    size_t *parent = bt_xmalloc(n * sizeof *parent);
    size_t *queue = bt_xmalloc(n * sizeof *queue);
    for (size_t i = 0; i < n; i++) parent[i] = SIZE_MAX;
    size_t head = 0, tail = 0, last = SIZE_MAX, first_link = SIZE_MAX;
    queue[tail++] = root;
    parent[root] = root;
    while (head < tail && last == SIZE_MAX) {
        size_t v = queue[head++];
        const bt_activity_def *d = &rb->activities[v];
        for (size_t k = 0; k < d->n_links_out; k++) {
            const bt_link_def *l = &rb->links[d->links_out[k]];
            if (l->loop_guard || comp[l->to] != c) continue;
            if (l->to == root) {
                last = v;
                break;
            }
            if (parent[l->to] != SIZE_MAX) continue;
            parent[l->to] = v;
            queue[tail++] = l->to;
        }
    }
    /* Walk back from last to root, then print forwards. */
    size_t len = 0;
    for (size_t v = last; v != root && v != SIZE_MAX; v = parent[v])
        queue[len++] = v;
    bt_buf_appends(out, rb->activities[root].id);
    for (size_t i = len; i-- > 0;) {
        bt_buf_appends(out, " -> ");
        bt_buf_appends(out, rb->activities[queue[i]].id);
    }
    bt_buf_appends(out, " -> ");
    bt_buf_appends(out, rb->activities[root].id);
    /* The link out of root that starts the cycle, for the position. */
    size_t next = len ? queue[len - 1] : root;
    const bt_activity_def *r = &rb->activities[root];
    for (size_t k = 0; k < r->n_links_out && first_link == SIZE_MAX; k++) {
        const bt_link_def *l = &rb->links[r->links_out[k]];
        if (!l->loop_guard && l->to == next) first_link = r->links_out[k];
    }
    free(parent);
    free(queue);
    return first_link;
}

typedef struct tarjan_call {
    size_t v, edge;
} tarjan_call;

/* Strongly connected components over unguarded links (Tarjan, without
 * recursion so a long chain cannot overflow the stack). Every component
 * with more than one activity is a loop nothing stops. */
static void check_cycles(bt_loader *ld) {
    bt_runbook *rb = ld->rb;
    size_t n = rb->n_activities;
    if (!n) return;
    size_t *index = bt_xmalloc(n * sizeof *index);
    size_t *low = bt_xmalloc(n * sizeof *low);
    size_t *comp = bt_xmalloc(n * sizeof *comp);
    bool *on_stack = bt_xcalloc(n, sizeof *on_stack);
    size_t *stack = bt_xmalloc(n * sizeof *stack);
    tarjan_call *calls = bt_xmalloc(n * sizeof *calls);
    size_t counter = 0, sp = 0, n_comp = 0;
    for (size_t i = 0; i < n; i++) index[i] = comp[i] = SIZE_MAX;
    for (size_t s = 0; s < n; s++) {
        if (index[s] != SIZE_MAX) continue;
        size_t cp = 0;
        calls[cp++] = (tarjan_call){s, 0};
        index[s] = low[s] = counter++;
        stack[sp++] = s;
        on_stack[s] = true;
        while (cp) {
            tarjan_call *top = &calls[cp - 1];
            size_t v = top->v;
            const bt_activity_def *d = &rb->activities[v];
            if (top->edge < d->n_links_out) {
                const bt_link_def *l = &rb->links[d->links_out[top->edge++]];
                if (l->loop_guard) continue;
                size_t w = l->to;
                if (index[w] == SIZE_MAX) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = w;
                    on_stack[w] = true;
                    calls[cp++] = (tarjan_call){w, 0};
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            cp--;
            if (cp && low[v] < low[calls[cp - 1].v])
                low[calls[cp - 1].v] = low[v];
            if (low[v] != index[v]) continue;
            size_t size = 0, root = v, w;
            do {
                w = stack[--sp];
                on_stack[w] = false;
                comp[w] = n_comp;
                if (w < root) root = w;
                size++;
            } while (w != v);
            if (size > 1) {
                bt_buf path;
                bt_buf_init(&path, 300);
                size_t link = describe_cycle(rb, comp, n_comp, root, &path);
                const bt_node *at = link != SIZE_MAX ? ld->link_nodes[link]
                                                     : ld->activity_nodes[root];
                bt__load_error(ld, at,
                               "cycle without a loop guard: %s; add "
                               "loop_guard to one of its links",
                               bt_buf_str(&path));
                bt_buf_free(&path);
            }
            n_comp++;
        }
    }
    free(index);
    free(low);
    free(comp);
    free(on_stack);
    free(stack);
    free(calls);
}

/* An instance starts at every activity whose incoming links are all
 * loop-backs (guarded); Initialize Data must be such a start. */
static void check_starts(bt_loader *ld) {
    bt_runbook *rb = ld->rb;
    size_t starts = 0, init = SIZE_MAX;
    for (size_t i = 0; i < rb->n_activities; i++) {
        const bt_activity_def *d = &rb->activities[i];
        bool start = true;
        for (size_t k = 0; k < d->n_links_in && start; k++)
            start = rb->links[d->links_in[k]].loop_guard != 0;
        starts += start;
        if (!d->type_name || strcmp(d->type_name, "initialize-data") != 0)
            continue;
        if (init != SIZE_MAX) {
            bt__load_error(ld, ld->activity_nodes[i],
                           "activity '%s': a runbook has at most one "
                           "initialize-data activity ('%s' at line %d is "
                           "the first)",
                           d->id, rb->activities[init].id,
                           rb->activities[init].line);
        } else {
            init = i;
        }
        for (size_t k = 0; k < d->n_links_in; k++) {
            const bt_link_def *l = &rb->links[d->links_in[k]];
            bt__load_error(ld, ld->link_nodes[d->links_in[k]],
                           "link '%s' -> '%s': initialize-data '%s' starts "
                           "the runbook and cannot have incoming links",
                           rb->activities[l->from].id, d->id, d->id);
        }
    }
    if (rb->n_activities && !starts)
        bt__load_error(ld, ld->activity_nodes[0],
                       "the runbook has no start activity: every activity "
                       "has an incoming link (only links with loop_guard "
                       "may lead back to a start)");
}

void bt__build_graph(bt_loader *ld) {
    bt_runbook *rb = ld->rb;
    fill_link_lists(rb);
    compute_upstream(rb);
    check_cycles(ld);
    check_starts(ld);
}
