/* Baton integration pack SDK: the only header a C integration pack
 * includes.
 *
 * A pack is a shared library plus a manifest (pack.yaml, see docs/packs.md).
 * The library exports two symbols, both defined by BT_PACK_DEFINE:
 *
 *   bt_pack_abi_version  the BT_PACK_ABI_VERSION it was built against; the
 *                        loader reads it before calling any pack code and
 *                        refuses a pack built for another ABI.
 *   bt_pack_init         called once after loading with the host's function
 *                        table; returns the pack's descriptor.
 *
 * Stability: nothing here refers to Baton's internal structures. The host
 * passes a table of functions (bt_pack_api) to every entry point; new
 * functions are only ever appended to it (api->size tells which exist), and
 * any change that breaks an existing pack raises BT_PACK_ABI_VERSION.
 *
 * Execution: an activity's execute() runs on the runbook server's event
 * loop (BT_PACK_ASYNC, the default). It must not block: it reads its
 * properties, starts work (api->spawn for a process, api->timer for a
 * delay) and returns; the callbacks run later on the same loop, and the
 * activity ends when it calls api->complete() exactly once. A pack whose
 * work is a blocking library call declares BT_PACK_BLOCKING instead:
 * execute() then runs on a worker thread, the activity completes when it
 * returns, and spawn/timer are not available.
 *
 * Every string the host returns lives until the activity completes. Every
 * function returns 0 or a negative BT_PACK_E* code. */
#ifndef BATON_PACK_H
#define BATON_PACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BT_PACK_ABI_VERSION 1

/* Error codes (negated on return); the same numbers as Baton's BT_E*. */
enum {
    BT_PACK_OK = 0,
    BT_PACK_EINVAL = 1,
    BT_PACK_ENOMEM = 2,
    BT_PACK_EIO = 3,
    BT_PACK_ENOTFOUND = 4,
    BT_PACK_ESTATE = 10
};

/* Property kinds, as runbooks write them. */
typedef enum {
    BT_PACK_STRING = 0,
    BT_PACK_INTEGER = 1,
    BT_PACK_NUMBER = 2,
    BT_PACK_BOOLEAN = 3,
    BT_PACK_DURATION = 4, /* "5s", "250ms", "2m" */
    BT_PACK_LIST = 5,     /* sequence of strings */
    BT_PACK_MAP = 6       /* map of name -> string */
} bt_pack_prop_kind;

typedef enum { BT_PACK_ASYNC = 0, BT_PACK_BLOCKING = 1 } bt_pack_mode;

typedef enum {
    BT_PACK_LOG_DEBUG = 0,
    BT_PACK_LOG_INFO = 1,
    BT_PACK_LOG_WARNING = 2,
    BT_PACK_LOG_ERROR = 3
} bt_pack_log_level;

/* One property an activity accepts (the property schema). */
typedef struct bt_pack_prop {
    const char *name;
    int kind;                 /* bt_pack_prop_kind */
    int required;             /* non-zero: the runbook must set it */
    const char *default_text; /* documented default, or NULL */
    const char *description;
    const char *const *choices; /* NULL-terminated allowed values, or NULL */
} bt_pack_prop;

typedef struct bt_pack_ctx bt_pack_ctx;     /* one running activity */
typedef struct bt_pack_check bt_pack_check; /* one activity being validated */

/* How a process started with api->spawn ended. */
typedef struct bt_pack_process {
    /* Non-zero when the program could not be started; then
     * start_error_text says why and nothing else is meaningful. */
    int start_error;
    const char *start_error_text;
    int64_t exit_code; /* -1 when killed by a signal */
    int term_signal;   /* 0 when it exited normally */
    const char *out;   /* standard output, NUL-terminated */
    size_t out_len;
    const char *err; /* standard error, NUL-terminated */
    size_t err_len;
    int truncated; /* output went over max_output */
    int pid;
} bt_pack_process;

typedef struct bt_pack_spawn {
    const char *const *argv; /* NULL-terminated; argv[0] is searched in
                                PATH without a '/'. No shell is involved. */
    const char *const *env;  /* NULL-terminated "NAME=value" added to the
                                server's environment, or NULL */
    const char *cwd;         /* NULL: the server's */
    const char *input;       /* standard input text; NULL: /dev/null */
    size_t input_len;
    size_t max_output; /* per stream; 0: 1 MiB */
} bt_pack_spawn;

typedef void (*bt_pack_process_fn)(bt_pack_ctx *ctx,
                                   const bt_pack_process *proc, void *ud);
typedef void (*bt_pack_timer_fn)(bt_pack_ctx *ctx, void *ud);

/* The host's functions. Check api->size before calling a member that a
 * later ABI minor addition appended (offsetof(bt_pack_api, member)). */
typedef struct bt_pack_api {
    uint32_t abi_version;     /* BT_PACK_ABI_VERSION of the host */
    uint32_t size;            /* sizeof(bt_pack_api) in the host */
    const char *host_version; /* "0.1.0" */

    /* ---- properties: values with {refs} expanded; absent gives dflt ---- */
    int (*has)(bt_pack_ctx *ctx, const char *name);
    const char *(*str)(bt_pack_ctx *ctx, const char *name, const char *dflt);
    /* A value of the wrong form fails the activity with a message naming
     * the property and returns -BT_PACK_EINVAL. */
    int (*integer)(bt_pack_ctx *ctx, const char *name, int64_t dflt,
                   int64_t *out);
    int (*number)(bt_pack_ctx *ctx, const char *name, double dflt, double *out);
    int (*boolean)(bt_pack_ctx *ctx, const char *name, int dflt, int *out);
    int (*duration)(bt_pack_ctx *ctx, const char *name, uint64_t dflt_ms,
                    uint64_t *out_ms);
    /* Returns the count; *out is NULL-terminated. */
    size_t (*list)(bt_pack_ctx *ctx, const char *name, const char *const **out);
    size_t (*map)(bt_pack_ctx *ctx, const char *name, const char *const **keys,
                  const char *const **values);
    const char *(*activity_id)(bt_pack_ctx *ctx);
    /* Memory freed when the activity completes. */
    void *(*alloc)(bt_pack_ctx *ctx, size_t size);

    /* ---- published data ---------------------------------------------- */
    /* The first publish creates row 1; new_row starts another. len may be
     * (size_t)-1 for a NUL-terminated value. */
    void (*publish)(bt_pack_ctx *ctx, const char *name, const char *value,
                    size_t len);
    void (*new_row)(bt_pack_ctx *ctx);
    /* A successful run that found nothing: no link out of it fires. */
    void (*publish_no_rows)(bt_pack_ctx *ctx);

    /* ---- result and log ---------------------------------------------- */
    /* Returns -BT_PACK_EINVAL; the first message wins. */
    int (*fail)(bt_pack_ctx *ctx, const char *message);
    void (*warn)(bt_pack_ctx *ctx, const char *message);
    /* A line in the server's log, tagged with the pack and activity. */
    void (*log)(bt_pack_ctx *ctx, int level, const char *message);

    /* ---- asynchronous work (BT_PACK_ASYNC only) ---------------------- */
    /* Per-instance state, freed with free_fn when the activity ends. */
    void (*set_state)(bt_pack_ctx *ctx, void *state, void (*free_fn)(void *));
    void *(*state)(bt_pack_ctx *ctx);
    int (*canceled)(bt_pack_ctx *ctx);
    /* Ends the activity; call once. Processes still running are killed. */
    void (*complete)(bt_pack_ctx *ctx);
    /* Starts a child process; done runs on the loop once it has exited
     * (also when it could not start: see start_error). A canceled activity
     * has its processes killed, and done still runs. */
    int (*spawn)(bt_pack_ctx *ctx, const bt_pack_spawn *opts,
                 bt_pack_process_fn done, void *ud);
    /* Calls fn after ms milliseconds; timers do not fire once canceled. */
    int (*timer)(bt_pack_ctx *ctx, uint64_t ms, bt_pack_timer_fn fn, void *ud);

    /* ---- validation (the validate entry point) ----------------------- */
    int (*check_has)(bt_pack_check *chk, const char *name);
    /* The property's text when it is written without {refs}, else NULL:
     * a value that depends on published data is only known at run time. */
    const char *(*check_literal)(bt_pack_check *chk, const char *name);
    /* Reports a problem at the property (or the activity when name is
     * NULL); returns -BT_PACK_EINVAL. */
    int (*check_error)(bt_pack_check *chk, const char *name,
                       const char *message);
} bt_pack_api;

/* One activity type the pack adds. Runbooks name it "<pack>/<name>". */
typedef struct bt_pack_activity {
    const char *name;             /* "greet": lower case, digits, '-' */
    const char *title;            /* "Greet" */
    const char *description;      /* one sentence */
    int mode;                     /* bt_pack_mode */
    const bt_pack_prop *props;    /* terminated by an entry with name NULL */
    const char *const *published; /* NULL-terminated field names */
    /* Optional: checks when a runbook is loaded (the validator, check-in,
     * the tester); report with api->check_error, return 0 or negative. */
    int (*validate)(const bt_pack_api *api, bt_pack_check *chk);
    /* Required: runs one activity instance (see the top of this file). */
    int (*execute)(const bt_pack_api *api, bt_pack_ctx *ctx);
    /* Optional, ASYNC: stop now. The activity must still complete: here,
     * or from the callback of the work it stops. Without it, the host
     * kills the activity's processes and stops its timers, and completes
     * the activity when no process is left. */
    void (*cancel)(const bt_pack_api *api, bt_pack_ctx *ctx);
} bt_pack_activity;

typedef struct bt_pack_descriptor {
    uint32_t abi_version;               /* BT_PACK_ABI_VERSION */
    const char *name;                   /* must match the manifest's name */
    const char *version;                /* must match the manifest's version */
    const bt_pack_activity *activities; /* terminated by name NULL */
} bt_pack_descriptor;

#if defined(__GNUC__)
#define BT_PACK_EXPORT __attribute__((visibility("default")))
#else
#define BT_PACK_EXPORT
#endif

/* What the pack exports; BT_PACK_DEFINE defines the ABI symbol, the pack
 * writes bt_pack_init. api stays valid while the pack is loaded. */
BT_PACK_EXPORT extern const uint32_t bt_pack_abi_version;
BT_PACK_EXPORT const bt_pack_descriptor *bt_pack_init(const bt_pack_api *api);

#define BT_PACK_DEFINE()                                                       \
    BT_PACK_EXPORT const uint32_t bt_pack_abi_version = BT_PACK_ABI_VERSION

#ifdef __cplusplus
}
#endif
#endif
