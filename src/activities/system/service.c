/* systemctl as a child process (see service.h). */
#include "activities/system/service.h"

#include <stdlib.h>
#include <string.h>

#include "activities/system/process.h"
#include "common/util.h"

static const struct {
    const char *key, *field;
} show_fields[] = {{"Id", "unit"},
                   {"Description", "description"},
                   {"LoadState", "load_state"},
                   {"ActiveState", "active_state"},
                   {"SubState", "sub_state"},
                   {"MainPID", "main_pid"},
                   {"UnitFileState", "unit_file_state"},
                   {"ActiveEnterTimestamp", "active_since"}};

#define SHOW_PROPERTIES                                                      \
    "--property=Id,Description,LoadState,ActiveState,SubState,MainPID,"     \
    "UnitFileState,ActiveEnterTimestamp"

void bt_service_parse_show(const char *text, const char *unit,
                           bt_probe_result *r) {
    bt_probe_set(r, "unit", "%s", unit);
    for (size_t i = 1; i < BT_ARRAY_LEN(show_fields); i++)
        bt_probe_set(r, show_fields[i].field, "%s", "");
    const char *s = text;
    while (*s) {
        size_t len = strcspn(s, "\n");
        const char *eq = memchr(s, '=', len);
        for (size_t i = 0; eq && i < BT_ARRAY_LEN(show_fields); i++) {
            size_t k = strlen(show_fields[i].key);
            if ((size_t)(eq - s) == k && !memcmp(s, show_fields[i].key, k)) {
                int vlen = (int)(len - k - 1);
                if (vlen && eq[vlen] == '\r') vlen--;
                bt_probe_set(r, show_fields[i].field, "%.*s", vlen, eq + 1);
            }
        }
        s += len + (s[len] == '\n');
    }
    const char *load = bt_probe_get(r, "load_state");
    const char *active = bt_probe_get(r, "active_state");
    bool exists = *load && strcmp(load, "not-found") != 0;
    bool running = !strcmp(active, "active") || !strcmp(active, "reloading");
    bt_probe_set(r, "exists", "%s", exists ? "true" : "false");
    bt_probe_set(r, "running", "%s", running ? "true" : "false");
    if (!*bt_probe_get(r, "main_pid")) bt_probe_set(r, "main_pid", "0");
    const char *state = running ? "running"
                        : !exists || !*active || !strcmp(active, "inactive") ||
                                !strcmp(active, "failed")
                            ? "stopped"
                            : active;
    bt_probe_state(r, state);
}

typedef struct show_call {
    const bt_service_cfg *cfg;
    bt_probe_result *r;
    bt_probe_done_fn done;
    void *ud;
    bt_proc *p;
} show_call;

/* The first line of what the child wrote to stderr, for messages. */
static const char *first_line(const bt_buf *b, char *out, size_t size) {
    const char *s = bt_buf_str(b);
    size_t n = strcspn(s, "\n");
    snprintf(out, size, "%.*s", (int)n, s);
    return out;
}

static void show_done(bt_proc *p, void *ud) {
    show_call *c = ud;
    char line[256];
    int spawn = bt_proc_spawn_error(p);
    if (spawn) {
        bt_probe_error(c->r, "%s: cannot run systemctl to ask about '%s': %s",
                       c->cfg->type, c->cfg->unit, uv_strerror(spawn));
    } else if (bt_proc_term_signal(p)) {
        bt_probe_error(c->r, "%s: systemctl asking about '%s' was stopped",
                       c->cfg->type, c->cfg->unit);
    } else if (bt_proc_exit_status(p) != 0) {
        bt_probe_error(c->r,
                       "%s: cannot ask systemd about '%s': systemctl "
                       "exited with code %lld: %s",
                       c->cfg->type, c->cfg->unit,
                       (long long)bt_proc_exit_status(p),
                       first_line(bt_proc_stderr(p), line, sizeof line));
    } else {
        bt_service_parse_show(bt_buf_str(bt_proc_stdout(p)), c->cfg->unit,
                              c->r);
    }
    bt_proc_free(p);
    bt_probe_done_fn done = c->done;
    void *done_ud = c->ud;
    free(c);
    done(done_ud);
}

static void show_start(uv_loop_t *loop, const void *vcfg, bt_probe_result *r,
                       bt_probe_done_fn done, void *ud, void **handle) {
    const bt_service_cfg *cfg = vcfg;
    show_call *c = bt_xcalloc(1, sizeof *c);
    *c = (show_call){.cfg = cfg, .r = r, .done = done, .ud = ud};
    *handle = c;
    const char *argv[] = {"systemctl", "show", SHOW_PROPERTIES, "--",
                          cfg->unit, NULL};
    bt_proc_opts o = {.file = "systemctl", .argv = argv,
                      .max_output = 65536};
    bt_error err = {0};
    /* Without input text spawning does not fail here (process.h). */
    if (bt_proc_spawn(loop, &o, show_done, c, &c->p, &err) != 0) abort();
}

static void show_cancel(void *handle) {
    show_call *c = handle;
    if (c->p) bt_proc_kill(c->p);
}

const bt_probe_ops bt_service_show_ops = {.start = show_start,
                                          .cancel = show_cancel};

int bt_service_check_unit(bt_activity_ctx *ctx, const char *type,
                          const char *unit) {
    if (!*unit) return bt_act_fail(ctx, "%s: 'unit' is empty", type);
    if (unit[0] == '-')
        return bt_act_fail(ctx, "%s: unit name '%s' must not start with '-'",
                           type, unit);
    for (const char *s = unit; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return bt_act_fail(ctx,
                               "%s: unit name '%s' must not contain spaces "
                               "or control characters",
                               type, unit);
    return 0;
}
