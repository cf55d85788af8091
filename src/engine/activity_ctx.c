/* The calls an activity makes while it runs: property values expanded
 * against the path's published data, publishing rows, reporting results.
 * Everything allocated here lives in the context's arena and is released
 * with it, so activities never free what these calls return. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine/engine_internal.h"

struct bt_arena_block {
    bt_arena_block *next;
    max_align_t data[];
};

/* ---- lifecycle -------------------------------------------------------- */

bt_activity_ctx *bt__ctx_new(bt_instance *inst, const bt_activity_def *def,
                             bt_frame *frame, bt_trigger trigger,
                             unsigned attempt) {
    bt_activity_ctx *ctx = bt_xcalloc(1, sizeof *ctx);
    ctx->inst = inst;
    ctx->def = def;
    ctx->frame = bt_frame_ref(frame);
    ctx->trigger = trigger;
    ctx->attempt = attempt;
    ctx->result = BT_RESULT_SUCCESS;
    bt_buf_init(&ctx->scratch, 0);
    ctx->inst_next = inst->ctx_list;
    if (inst->ctx_list) inst->ctx_list->inst_prev = ctx;
    inst->ctx_list = ctx;
    inst->active++;
    inst->active_per_activity[def->index]++;
    return ctx;
}

static void ctx_release(bt_activity_ctx *ctx) {
    bt_frame_unref(ctx->frame);
    for (size_t i = 0; i < ctx->n_rows; i++) bt_row_unref(ctx->rows[i]);
    free(ctx->rows);
    free(ctx->error);
    if (ctx->state_free) ctx->state_free(ctx->state_ptr);
    for (bt_arena_block *b = ctx->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    bt_buf_free(&ctx->scratch);
    free(ctx);
}

static void timer_closed(uv_handle_t *h) { ctx_release(h->data); }

void bt__ctx_free(bt_activity_ctx *ctx) {
    bt_instance *inst = ctx->inst;
    if (ctx->inst_prev)
        ctx->inst_prev->inst_next = ctx->inst_next;
    else
        inst->ctx_list = ctx->inst_next;
    if (ctx->inst_next) ctx->inst_next->inst_prev = ctx->inst_prev;
    inst->active--;
    inst->active_per_activity[ctx->def->index]--;
    if (ctx->timer_inited)
        uv_close((uv_handle_t *)&ctx->timer, timer_closed);
    else
        ctx_release(ctx);
}

void bt__ctx_timer(bt_activity_ctx *ctx) {
    if (ctx->timer_inited) return;
    uv_timer_init(bt__engine_loop(ctx->inst->eng), &ctx->timer);
    ctx->timer.data = ctx;
    ctx->timer_inited = true;
}

bt_row *bt__ctx_add_row(bt_activity_ctx *ctx) {
    if (ctx->n_rows == ctx->rows_cap) {
        ctx->rows_cap = ctx->rows_cap ? ctx->rows_cap * 2 : 1;
        ctx->rows = bt_xrealloc(ctx->rows, ctx->rows_cap * sizeof *ctx->rows);
    }
    return ctx->rows[ctx->n_rows++] = bt_row_new();
}

/* ---- memory ----------------------------------------------------------- */

void *bt_act_alloc(bt_activity_ctx *ctx, size_t size) {
    bt_arena_block *b = bt_xmalloc(sizeof *b + size);
    b->next = ctx->arena;
    ctx->arena = b;
    return b->data;
}

char *bt_act_strdup(bt_activity_ctx *ctx, const char *s) {
    size_t n = strlen(s);
    char *p = bt_act_alloc(ctx, n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* ---- identity --------------------------------------------------------- */

uv_loop_t *bt_act_loop(bt_activity_ctx *ctx) {
    return bt__engine_loop(ctx->inst->eng);
}
const char *bt_act_id(const bt_activity_ctx *ctx) { return ctx->def->id; }
const bt_activity_def *bt_act_def(const bt_activity_ctx *ctx) {
    return ctx->def;
}

const bt_act_services *bt_act_get_services(bt_activity_ctx *ctx) {
    return ctx->inst->eng->hooks.services;
}
bt_instance *bt_act_instance(bt_activity_ctx *ctx) { return ctx->inst; }

/* ---- properties ------------------------------------------------------- */

static const bt_node *prop_node(bt_activity_ctx *ctx, const char *name) {
    return bt_node_get(ctx->def->properties, name);
}

/* Expands a scalar node; literal values are returned without copying.
 * specials: characters to escape in substituted values, or NULL. */
static const char *expand_node_escaped(bt_activity_ctx *ctx, const bt_node *n,
                                       const char *specials) {
    if (n->kind == BT_NODE_NULL) return "";
    const bt_template *t = n->compiled;
    if (!t) return n->str;
    if (bt_template_is_literal(t)) return bt_template_literal(t);
    bt_expand_env env = bt__instance_env(ctx->inst, ctx->frame);
    bt_buf_reset(&ctx->scratch);
    if (bt_template_expand_escaped(t, &env, &ctx->scratch, NULL, specials) !=
        0) {
        bt_act_fail(ctx, "a value of '%s' expands to more than %zu bytes",
                    ctx->def->id, ctx->scratch.cap);
        return "";
    }
    return bt_act_strdup(ctx, bt_buf_str(&ctx->scratch));
}

static const char *expand_node(bt_activity_ctx *ctx, const bt_node *n) {
    return expand_node_escaped(ctx, n, NULL);
}

bool bt_act_has(bt_activity_ctx *ctx, const char *name) {
    return prop_node(ctx, name) != NULL;
}

static const char *scalar_prop(bt_activity_ctx *ctx, const char *name,
                               const char *dflt, const char *specials) {
    const bt_node *n = prop_node(ctx, name);
    if (!n) return dflt;
    if (n->kind == BT_NODE_SEQ || n->kind == BT_NODE_MAP) {
        bt_act_fail(ctx, "property '%s' must be a single value, not a %s",
                    name, bt_node_kind_name(n->kind));
        return dflt;
    }
    return expand_node_escaped(ctx, n, specials);
}

const char *bt_act_str(bt_activity_ctx *ctx, const char *name,
                       const char *dflt) {
    return scalar_prop(ctx, name, dflt, NULL);
}

const char *bt_act_pattern(bt_activity_ctx *ctx, const char *name,
                           const char *dflt) {
    return scalar_prop(ctx, name, dflt, "*?[]");
}

/* Shared shape of the typed getters: absent -> default, else parse. */
#define TYPED_GETTER(ctx, name, dflt, out, parse_ok, what)                  \
    do {                                                                    \
        const char *s_ = bt_act_str(ctx, name, NULL);                       \
        if (!s_ || !*s_) {                                                  \
            *(out) = (dflt);                                                \
            return 0;                                                       \
        }                                                                   \
        if (!(parse_ok))                                                    \
            return bt_act_fail(ctx, "property '%s': '%s' is not %s", name,  \
                               s_, what);                                   \
        return 0;                                                           \
    } while (0)

int bt_act_int(bt_activity_ctx *ctx, const char *name, int64_t dflt,
               int64_t *out) {
    TYPED_GETTER(ctx, name, dflt, out, bt_parse_int64(s_, out),
                 "an integer");
}

int bt_act_number(bt_activity_ctx *ctx, const char *name, double dflt,
                  double *out) {
    TYPED_GETTER(ctx, name, dflt, out, bt_parse_double(s_, out), "a number");
}

int bt_act_bool(bt_activity_ctx *ctx, const char *name, bool dflt,
                bool *out) {
    TYPED_GETTER(ctx, name, dflt, out, bt_parse_bool(s_, out),
                 "true or false");
}

int bt_act_duration(bt_activity_ctx *ctx, const char *name, uint64_t dflt_ms,
                    uint64_t *out_ms) {
    TYPED_GETTER(ctx, name, dflt_ms, out_ms,
                 bt_duration_parse(s_, out_ms) == 0,
                 "a duration such as 500ms, 5s or 2m");
}

size_t bt_act_list(bt_activity_ctx *ctx, const char *name,
                   const char *const **out) {
    const bt_node *n = prop_node(ctx, name);
    size_t count = !n ? 0 : n->kind == BT_NODE_SEQ ? n->count : 1;
    const char **items = bt_act_alloc(ctx, (count + 1) * sizeof *items);
    if (n && n->kind == BT_NODE_MAP) {
        bt_act_fail(ctx, "property '%s' must be a list, not a map", name);
        count = 0;
    } else if (n && n->kind == BT_NODE_SEQ) {
        for (size_t i = 0; i < count; i++) {
            const bt_node *it = n->items[i];
            items[i] = it->kind == BT_NODE_SCALAR || it->kind == BT_NODE_NULL
                           ? expand_node(ctx, it)
                           : "";
        }
    } else if (n) {
        items[0] = expand_node(ctx, n);
    }
    items[count] = NULL;
    *out = items;
    return count;
}

size_t bt_act_map(bt_activity_ctx *ctx, const char *name,
                  const char *const **keys, const char *const **values) {
    const bt_node *n = prop_node(ctx, name);
    size_t count = n && n->kind == BT_NODE_MAP ? n->count : 0;
    if (n && n->kind != BT_NODE_MAP && n->kind != BT_NODE_NULL)
        bt_act_fail(ctx, "property '%s' must be a map of names to values",
                    name);
    const char **k = bt_act_alloc(ctx, (count + 1) * sizeof *k);
    const char **v = bt_act_alloc(ctx, (count + 1) * sizeof *v);
    for (size_t i = 0; i < count; i++) {
        k[i] = n->keys[i]->str;
        v[i] = n->items[i]->kind == BT_NODE_SCALAR ||
                       n->items[i]->kind == BT_NODE_NULL
                   ? expand_node(ctx, n->items[i])
                   : "";
    }
    k[count] = v[count] = NULL;
    *keys = k;
    *values = v;
    return count;
}

size_t bt_act_prop_names(bt_activity_ctx *ctx, const char *const **names) {
    const bt_node *p = ctx->def->properties;
    size_t count = p && p->kind == BT_NODE_MAP ? p->count : 0;
    const char **out = bt_act_alloc(ctx, (count + 1) * sizeof *out);
    for (size_t i = 0; i < count; i++) out[i] = p->keys[i]->str;
    out[count] = NULL;
    *names = out;
    return count;
}

const char *bt_act_expand(bt_activity_ctx *ctx, const char *text) {
    bt_template *t;
    if (bt_template_compile(text, strlen(text), &t, NULL) != 0) return text;
    for (size_t i = 0; i < bt_template_ref_count(t); i++) {
        bt_template_ref *r = bt_template_ref_at(t, i);
        if (r->kind == BT_REF_DATA)
            r->activity_index = bt_runbook_index(ctx->inst->rb, r->activity);
    }
    bt_expand_env env = bt__instance_env(ctx->inst, ctx->frame);
    bt_buf_reset(&ctx->scratch);
    bt_template_expand(t, &env, &ctx->scratch, NULL);
    bt_template_free(t);
    return bt_act_strdup(ctx, bt_buf_str(&ctx->scratch));
}

/* ---- publishing ------------------------------------------------------- */

static bt_row *current_row(bt_activity_ctx *ctx) {
    return ctx->n_rows ? ctx->rows[ctx->n_rows - 1] : bt__ctx_add_row(ctx);
}

void bt_act_publish(bt_activity_ctx *ctx, const char *name,
                    const char *value) {
    bt_row_set(current_row(ctx), name, value);
}

void bt_act_publishn(bt_activity_ctx *ctx, const char *name,
                     const char *value, size_t len) {
    bt_row_setn(current_row(ctx), name, value, len);
}

void bt_act_publishf(bt_activity_ctx *ctx, const char *name, const char *fmt,
                     ...) {
    va_list ap;
    va_start(ap, fmt);
    char *v = NULL;
    if (vasprintf(&v, fmt, ap) < 0) v = NULL;
    va_end(ap);
    bt_row_set(current_row(ctx), name, v ? v : "");
    free(v);
}

void bt_act_new_row(bt_activity_ctx *ctx) { bt__ctx_add_row(ctx); }

size_t bt_act_row_count(const bt_activity_ctx *ctx) { return ctx->n_rows; }

void bt_act_publish_no_rows(bt_activity_ctx *ctx) { ctx->no_rows = true; }

/* ---- results ---------------------------------------------------------- */

static void set_result(bt_activity_ctx *ctx, bt_result r, const char *fmt,
                       va_list ap) {
    if (r > ctx->result) ctx->result = r;
    if (ctx->error) return; /* the first message names the cause */
    if (vasprintf(&ctx->error, fmt, ap) < 0) ctx->error = NULL;
}

int bt_act_fail(bt_activity_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_result(ctx, BT_RESULT_FAILED, fmt, ap);
    va_end(ap);
    return -BT_EINVAL;
}

void bt_act_warn(bt_activity_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_result(ctx, BT_RESULT_WARNING, fmt, ap);
    va_end(ap);
}

bool bt_act_failed(const bt_activity_ctx *ctx) {
    return ctx->result == BT_RESULT_FAILED;
}

void bt_act_set_state(bt_activity_ctx *ctx, void *state,
                      void (*free_fn)(void *)) {
    ctx->state_ptr = state;
    ctx->state_free = free_fn;
}

void *bt_act_state(bt_activity_ctx *ctx) { return ctx->state_ptr; }

bool bt_act_canceled(const bt_activity_ctx *ctx) { return ctx->canceled; }

/* ---- runbook control -------------------------------------------------- */

size_t bt_act_param_count(const bt_activity_ctx *ctx) {
    return ctx->inst->params->count;
}

void bt_act_param_at(const bt_activity_ctx *ctx, size_t i, const char **name,
                     const char **value) {
    const bt_row *p = ctx->inst->params;
    *name = i < p->count ? p->names[i] : NULL;
    *value = i < p->count ? p->values[i] : NULL;
}

void bt_act_return(bt_activity_ctx *ctx, const char *name,
                   const char *value) {
    bt_row_set(ctx->inst->returned, name, value);
}

const char *bt_result_name(bt_result r) {
    switch (r) {
    case BT_RESULT_SUCCESS: return "success";
    case BT_RESULT_WARNING: return "warning";
    case BT_RESULT_FAILED: return "failed";
    }
    return "unknown";
}

int bt_result_parse(const char *text, bt_result *out) {
    static const bt_result all[] = {BT_RESULT_SUCCESS, BT_RESULT_WARNING,
                                    BT_RESULT_FAILED};
    for (size_t i = 0; i < BT_ARRAY_LEN(all); i++)
        if (strcmp(text, bt_result_name(all[i])) == 0)
            return (*out = all[i]), 0;
    return -BT_EINVAL;
}
