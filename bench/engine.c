/* Engine benchmark.
 *
 * (a) In-process activities: a 20-activity chain of map-published-data and
 *     compare-values, linked by conditions, run N times on one loop, against
 *     a baseline that does the same data work directly (template expansion,
 *     rows, frames, comparisons, link conditions) without the engine. The
 *     ratio is what the engine's bookkeeping costs per activity step.
 * (b) Run Program: M runs of /bin/true through run-program (argv, no shell)
 *     against a bare posix_spawn + waitpid loop of /bin/true.
 *
 * Usage: engine [N] [M]   (defaults 20000 and 500)
 * Prints readable lines, then one JSON line with every figure. */
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "activities/system/process.h"
#include "common/buf.h"
#include "common/util.h"
#include "engine/compare.h"
#include "engine/databus.h"
#include "engine/engine.h"
#include "engine/template.h"
#include "runbook/runbook.h"

enum { CHAIN = 20, BATCH = 500 };

/* ---- runbooks ----------------------------------------------------------- */

/* s0 maps a seed; even steps extend x, odd steps compare it; every link has
 * a condition, so each step costs one condition evaluation too. */
static char *chain_yaml(void) {
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b, "name: bench-chain\nactivities:\n");
    for (int i = 0; i < CHAIN; i++) {
        if (i == 0)
            bt_buf_printf(&b, "  - {id: s0, type: map-published-data, "
                              "properties: {map: {x: seed}}}\n");
        else if (i % 2 == 0)
            bt_buf_printf(&b,
                          "  - {id: s%d, type: map-published-data, "
                          "properties: {map: {x: '{s%d.x}.%d'}}}\n",
                          i, i - 2, i);
        else
            bt_buf_printf(&b,
                          "  - {id: s%d, type: compare-values, properties: "
                          "{left: '{s%d.x}', operator: starts-with, right: "
                          "seed}}\n",
                          i, i - 1);
    }
    bt_buf_appends(&b, "links:\n");
    for (int i = 1; i < CHAIN; i++) {
        if (i % 2 == 1)
            bt_buf_printf(&b,
                          "  - {from: s%d, to: s%d, when: '{s%d.x} is not "
                          "empty'}\n",
                          i - 1, i, i - 1);
        else
            bt_buf_printf(&b,
                          "  - {from: s%d, to: s%d, when: "
                          "'{s%d.comparison_result} == true'}\n",
                          i - 1, i, i - 1);
    }
    return bt_buf_detach(&b);
}

static const char *PROGRAM_YAML =
    "name: bench-program\n"
    "activities:\n"
    "  - {id: p, type: run-program, properties: {command: /bin/true, "
    "args: []}}\n";

static bt_runbook *load(const char *yaml) {
    bt_diags d;
    bt_diags_init(&d);
    bt_runbook *rb = NULL;
    if (bt_runbook_load_string("bench.runbook.yaml", yaml, strlen(yaml), NULL,
                               &rb, &d) != 0) {
        bt_diags_print(&d, stderr);
        exit(1);
    }
    bt_diags_free(&d);
    return rb;
}

/* ---- running through the engine --------------------------------------- */

/* Runs `count` instances of rb, at most BATCH at a time; returns how many
 * activity records they produced and how many failed. */
static void run_instances(uv_loop_t *loop, bt_engine *eng,
                          const bt_runbook *rb, size_t count, size_t batch,
                          size_t *records, size_t *failed) {
    bt_instance **insts = bt_xcalloc(batch, sizeof *insts);
    *records = *failed = 0;
    for (size_t done = 0; done < count;) {
        size_t n = count - done < batch ? count - done : batch;
        for (size_t i = 0; i < n; i++) {
            bt_error err;
            if (bt_engine_start(eng, rb, NULL, 0, NULL, &insts[i], &err)) {
                fprintf(stderr, "start: %s\n", err.message);
                exit(1);
            }
        }
        uv_run(loop, UV_RUN_DEFAULT);
        for (size_t i = 0; i < n; i++) {
            if (!bt_instance_done(insts[i])) {
                fprintf(stderr, "an instance did not finish\n");
                exit(1);
            }
            *records += bt_instance_record_count(insts[i]);
            if (bt_instance_result(insts[i]) != BT_RESULT_SUCCESS) ++*failed;
            bt_instance_free(insts[i]);
        }
        done += n;
    }
    free(insts);
}

/* ---- the baseline: the same data work, no engine ---------------------- */

typedef struct baseline {
    const bt_runbook *rb;
    bt_buf scratch;
    bt_buf left, right;
} baseline;

static const char *expand(baseline *bl, const bt_node *n, const bt_frame *f,
                          bt_buf *into) {
    bt_expand_env env = {.frame = f};
    bt_buf_reset(into);
    if (!n->compiled) return n->str;
    bt_template_expand(n->compiled, &env, into, NULL);
    return bt_buf_str(into);
}

/* One instance: every step expands its properties against the path,
 * publishes a row, pushes a frame and evaluates its outgoing link. */
static size_t baseline_instance(baseline *bl) {
    const bt_runbook *rb = bl->rb;
    bt_frame *frame = NULL;
    size_t steps = 0;
    for (size_t i = 0; i < rb->n_activities; i++) {
        const bt_activity_def *def = &rb->activities[i];
        bt_row *row = bt_row_new();
        if (i % 2 == 0) {
            const bt_node *map = bt_node_get(def->properties, "map");
            for (size_t k = 0; k < map->count; k++)
                bt_row_set(row, map->keys[k]->str,
                           expand(bl, map->items[k], frame, &bl->scratch));
        } else {
            const char *l = expand(bl, bt_node_get(def->properties, "left"),
                                   frame, &bl->left);
            const char *r = expand(bl, bt_node_get(def->properties, "right"),
                                   frame, &bl->right);
            expand(bl, bt_node_get(def->properties, "operator"), frame,
                   &bl->scratch);
            bool hit = false;
            bt_compare(BT_CMP_STARTS_WITH, l, r, BT_CMP_TEXT, 0, NULL, &hit,
                       NULL);
            bt_row_set(row, "comparison_result", hit ? "true" : "false");
            bt_row_set(row, "left", l);
            bt_row_set(row, "right", r);
        }
        bt_frame *next = bt_frame_push(frame, i, row);
        bt_row_unref(row);
        bt_frame_unref(frame);
        frame = next;
        steps++;
        if (def->n_links_out) {
            const bt_link_def *link = &rb->links[def->links_out[0]];
            bt_expand_env env = {.frame = frame};
            bool fire = false;
            bt_cond_eval(link->include[0], &env, &fire, NULL);
            if (!fire) break;
        }
    }
    bt_frame_unref(frame);
    return steps;
}

/* ---- bare process loop ------------------------------------------------ */

extern char **environ;

static void bare_spawn_loop(size_t m) {
    char *argv[] = {"/bin/true", NULL};
    for (size_t i = 0; i < m; i++) {
        pid_t pid;
        if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) {
            perror("posix_spawn");
            exit(1);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0) {
        }
    }
}

/* The process layer alone: the spawn with two capture pipes, a new session
 * and the exit watch, as run-program does, without engine or runbook. */
static void proc_done(bt_proc *p, void *ud) {
    (void)p;
    *(bool *)ud = true;
}

static void proc_loop(uv_loop_t *loop, size_t m) {
    const char *argv[] = {"/bin/true", NULL};
    bt_proc_opts o = {.file = argv[0], .argv = argv,
                      .max_output = BT_PROC_DEFAULT_MAX_OUTPUT};
    for (size_t i = 0; i < m; i++) {
        bool done = false;
        bt_proc *p;
        if (bt_proc_spawn(loop, &o, proc_done, &done, &p, NULL) != 0) exit(1);
        while (!done) uv_run(loop, UV_RUN_ONCE);
        if (bt_proc_spawn_error(p) || bt_proc_exit_status(p) != 0) {
            fprintf(stderr, "bt_proc: /bin/true failed\n");
            exit(1);
        }
        bt_proc_free(p);
    }
}

/* ---- main --------------------------------------------------------------- */

static double secs(uint64_t us) { return us / 1e6; }

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    size_t m = argc > 2 ? strtoul(argv[2], NULL, 10) : 500;
    if (!n || !m) {
        fprintf(stderr, "usage: %s [instances] [program-runs]\n", argv[0]);
        return 2;
    }
    char *yaml = chain_yaml();
    bt_runbook *chain = load(yaml);
    free(yaml);
    bt_runbook *program = load(PROGRAM_YAML);

    uv_loop_t loop;
    uv_loop_init(&loop);
    bt_engine *eng;
    bt_engine_new(&loop, NULL, &eng);

    /* (a) engine vs baseline; a short warm-up first for both. */
    size_t records, failed;
    run_instances(&loop, eng, chain, n / 20 + 1, BATCH, &records, &failed);
    uint64_t t0 = bt_mono_us();
    run_instances(&loop, eng, chain, n, BATCH, &records, &failed);
    uint64_t engine_us = bt_mono_us() - t0;
    if (records != n * CHAIN || failed) {
        fprintf(stderr, "chain: %zu records (want %zu), %zu failed\n",
                records, n * (size_t)CHAIN, failed);
        return 1;
    }

    baseline bl = {.rb = chain};
    bt_buf_init(&bl.scratch, 0);
    bt_buf_init(&bl.left, 0);
    bt_buf_init(&bl.right, 0);
    for (size_t i = 0; i < n / 20 + 1; i++) baseline_instance(&bl);
    size_t base_steps = 0;
    t0 = bt_mono_us();
    for (size_t i = 0; i < n; i++) base_steps += baseline_instance(&bl);
    uint64_t base_us = bt_mono_us() - t0;
    if (base_steps != n * CHAIN) {
        fprintf(stderr, "baseline: %zu steps (want %zu)\n", base_steps,
                n * (size_t)CHAIN);
        return 1;
    }
    bt_buf_free(&bl.scratch);
    bt_buf_free(&bl.left);
    bt_buf_free(&bl.right);

    double steps = (double)n * CHAIN;
    double eng_rate = steps / secs(engine_us);
    double base_rate = steps / secs(base_us);
    double eng_step_us = engine_us / steps;
    double base_step_us = base_us / steps;
    printf("in-process chain: %zu instances x %d activities = %.0f steps\n",
           n, CHAIN, steps);
    printf("  engine:   %.3f s, %.0f steps/s, %.2f us/step\n",
           secs(engine_us), eng_rate, eng_step_us);
    printf("  baseline: %.3f s, %.0f steps/s, %.2f us/step\n",
           secs(base_us), base_rate, base_step_us);
    printf("  engine overhead: %.2f us/step, %.2fx the baseline time\n",
           eng_step_us - base_step_us, (double)engine_us / base_us);

    /* (b) run-program vs a bare posix_spawn loop, one run at a time. The
     * three loops take turns in rounds so that load from elsewhere on the
     * machine falls on all of them alike. */
    enum { ROUNDS = 10 };
    run_instances(&loop, eng, program, 20, 1, &records, &failed);
    proc_loop(&loop, 20);
    bare_spawn_loop(20);
    uint64_t prog_us = 0, proc_us = 0, bare_us = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t k = m / ROUNDS + (r < (int)(m % ROUNDS));
        t0 = bt_mono_us();
        run_instances(&loop, eng, program, k, 1, &records, &failed);
        prog_us += bt_mono_us() - t0;
        if (records != k || failed) {
            fprintf(stderr, "run-program: %zu records, %zu failed\n",
                    records, failed);
            return 1;
        }
        t0 = bt_mono_us();
        proc_loop(&loop, k);
        proc_us += bt_mono_us() - t0;
        t0 = bt_mono_us();
        bare_spawn_loop(k);
        bare_us += bt_mono_us() - t0;
    }
    double prog_rate = m / secs(prog_us), bare_rate = m / secs(bare_us);
    double proc_rate = m / secs(proc_us);
    double spawn_ratio = (double)prog_us / bare_us;
    printf("run-program /bin/true: %zu runs each, in %d alternating rounds\n",
           m, ROUNDS);
    printf("  run-program:       %.3f s, %.0f runs/s, %.0f us/run\n",
           secs(prog_us), prog_rate, (double)prog_us / m);
    printf("  process layer:     %.3f s, %.0f runs/s, %.0f us/run "
           "(spawn + pipes + session + pidfd, no engine)\n",
           secs(proc_us), proc_rate, (double)proc_us / m);
    printf("  posix_spawn+wait:  %.3f s, %.0f runs/s, %.0f us/run\n",
           secs(bare_us), bare_rate, (double)bare_us / m);
    printf("  ratio: %.2fx the bare loop's time (target <= 1.5x)\n",
           spawn_ratio);

    printf("{\"bench\":\"engine\",\"instances\":%zu,\"activities\":%d,"
           "\"steps\":%.0f,\"engine_s\":%.4f,\"engine_steps_per_s\":%.0f,"
           "\"engine_us_per_step\":%.3f,\"baseline_s\":%.4f,"
           "\"baseline_steps_per_s\":%.0f,\"baseline_us_per_step\":%.3f,"
           "\"engine_overhead_us_per_step\":%.3f,\"engine_vs_baseline\":%.3f,"
           "\"program_runs\":%zu,\"run_program_per_s\":%.1f,"
           "\"run_program_us\":%.1f,\"posix_spawn_per_s\":%.1f,"
           "\"process_layer_per_s\":%.1f,\"process_layer_us\":%.1f,"
           "\"posix_spawn_us\":%.1f,\"run_program_vs_posix_spawn\":%.3f}\n",
           n, CHAIN, steps, secs(engine_us), eng_rate, eng_step_us,
           secs(base_us), base_rate, base_step_us,
           eng_step_us - base_step_us, (double)engine_us / base_us, m,
           prog_rate, (double)prog_us / m, bare_rate, proc_rate,
           (double)proc_us / m, (double)bare_us / m, spawn_ratio);

    bt_engine_free(eng);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    bt_runbook_free(chain);
    bt_runbook_free(program);
    return 0;
}
