/* State shared by the engine's own files (engine.c, activity_ctx.c,
 * junction.c). Nothing outside src/engine includes this. */
#ifndef BT_ENGINE_INTERNAL_H
#define BT_ENGINE_INTERNAL_H

#include <stdatomic.h>

#include "engine/engine.h"

typedef struct bt_junctions bt_junctions;

/* What started an activity instance: row `row` of the record `seq` (0 for
 * a start activity). Resume after a crash matches on it. */
typedef struct bt_trigger {
    uint64_t seq;
    uint32_t row;
} bt_trigger;

/* How many queued contexts one idle callback runs before letting the loop
 * poll for I/O again. */
#define BT_ENGINE_BATCH 4096

struct bt_engine {
    uv_loop_t *loop;
    bt_engine_hooks hooks;
    uv_idle_t idle;
    bt_activity_ctx *queue_head, *queue_tail;
    size_t running;
    bool closing;
};

struct bt_instance {
    bt_engine *eng;
    const bt_runbook *rb;
    void *user_data;
    bt_row *params;
    bt_row *returned;
    bt_result result;        /* worst final result so far */
    bool canceled;
    bool done;
    /* Contexts alive (queued, delayed, running, finishing) plus junctions
     * holding arrivals; the instance is done when this reaches zero. */
    size_t active;
    unsigned *active_per_activity; /* same, per activity index */
    unsigned *link_fired;          /* per link, for loop guards */
    bt_junctions *junctions;
    bt_activity_ctx *ctx_list;     /* every live context */
    struct bt_replay *replay;      /* set only while resuming */
    bool triggered;                /* started by a monitor's trigger */
    bt_activity_record **records;
    size_t n_records, records_cap;
    uint64_t next_seq;
};

typedef enum {
    BT_CTX_QUEUED,
    BT_CTX_DELAYED, /* waiting for a retry delay */
    BT_CTX_RUNNING,
    BT_CTX_FINISHED /* record made, waiting for resume */
} bt_ctx_state;

typedef struct bt_arena_block bt_arena_block;

struct bt_activity_ctx {
    bt_instance *inst;
    const bt_activity_def *def;
    bt_frame *frame; /* data on the path that led here; may be NULL */
    bt_trigger trigger;
    unsigned attempt;
    bt_ctx_state state;
    uint64_t start_us, start_mono;
    bt_result result;
    char *error;
    bt_row **rows;
    size_t n_rows, rows_cap;
    bool no_rows;
    bool in_run, completed, timed_out;
    uint64_t triggers;             /* monitors: times fired */
    /* Read by blocking activities on pool threads (bt_act_canceled). */
    atomic_bool canceled;
    bt_arena_block *arena;
    bt_buf scratch;
    void *state_ptr;
    void (*state_free)(void *);
    bt_activity_record *record;
    bool timer_inited;
    uv_timer_t timer;
    uv_work_t work;
    bt_activity_ctx *queue_next;
    bt_activity_ctx *inst_prev, *inst_next;
};

/* activity_ctx.c */
bt_activity_ctx *bt__ctx_new(bt_instance *inst, const bt_activity_def *def,
                             bt_frame *frame, bt_trigger trigger,
                             unsigned attempt);
/* Unlinks from the instance and frees, after closing the timer if any. */
void bt__ctx_free(bt_activity_ctx *ctx);
void bt__ctx_timer(bt_activity_ctx *ctx); /* init ctx->timer once */
bt_row *bt__ctx_add_row(bt_activity_ctx *ctx);

/* engine.c */
int bt__instance_new(bt_engine *eng, const bt_runbook *rb,
                     const bt_param_value *params, size_t n_params,
                     void *user_data, bt_instance **out, bt_error *err);
bool bt__is_start(const bt_runbook *rb, const bt_activity_def *def);
/* Starts (or, while resuming, expects) an activity instance. */
void bt__activate(bt_instance *inst, const bt_activity_def *def,
                  bt_frame *frame, bt_trigger trigger, unsigned attempt,
                  uint64_t delay_ms);
void bt__instance_activate(bt_instance *inst, const bt_activity_def *def,
                           bt_frame *frame, bt_trigger trigger);
void bt__instance_add_record(bt_instance *inst, bt_activity_record *rec);
void bt__record_free(bt_activity_record *rec);
/* After an activity instance's record is stored: retry or follow links. */
void bt__ctx_resume(bt_instance *inst, void *token);
void bt__instance_maybe_finish(bt_instance *inst);

/* resume.c */
void bt__replay_expect(bt_instance *inst, const bt_activity_def *def,
                       bt_frame *frame, bt_trigger trigger, unsigned attempt);
uv_loop_t *bt__engine_loop(const bt_engine *eng);
/* One row joining, field by field, the values of rows (the "flatten"
 * option); the caller owns the result. */
bt_row *bt__flatten_rows(bt_row *const *rows, size_t n, const char *sep);
const char *bt__flatten_separator(const bt_activity_def *def);
bt_expand_env bt__instance_env(const bt_instance *inst,
                               const bt_frame *frame);

#endif
