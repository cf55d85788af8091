/* Test support: load a runbook from YAML text, run it to completion on a
 * private libuv loop, and look at what each activity published. */
#ifndef BT_HARNESS_H
#define BT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "baton/error.h"
#include "engine/engine.h"
#include "runbook/runbook.h"

typedef struct bt_harness_run {
    int load_rc;        /* 0, or the loader's error */
    bt_diags diags;     /* loader problems */
    int start_rc;       /* 0, or bt_engine_start's error */
    bt_error start_err;
    bt_runbook *rb;
    bt_instance *inst;  /* finished instance, NULL if it did not start */
} bt_harness_run;

/* params: NULL-terminated "name=value" strings, or NULL. Returns 0 when the
 * runbook loaded and its instance ran to completion (whatever its result). */
int bt_harness_run_yaml(const char *yaml, const char *const *params,
                        bt_harness_run *out);
void bt_harness_run_free(bt_harness_run *run);

/* The nth (0-based) activity instance of activity id, in finish order. */
const bt_activity_record *bt_harness_record(const bt_harness_run *run,
                                            const char *id, size_t nth);
size_t bt_harness_record_count(const bt_harness_run *run, const char *id);
/* Field of row 0 of the first record of id; NULL when absent. */
const char *bt_harness_field(const bt_harness_run *run, const char *id,
                             const char *field);
/* True when any loader diagnostic's message contains text. */
int bt_harness_diag_contains(const bt_harness_run *run, const char *text);

/* Scratch files: a fresh directory under $TMPDIR, removed by rmrf. */
char *bt_harness_tmpdir(void);
void bt_harness_rmrf(const char *path);
char *bt_harness_path(const char *dir, const char *name); /* malloc'd */
void bt_harness_write_file(const char *path, const char *content);
char *bt_harness_read_file(const char *path); /* malloc'd, NULL if absent */

#endif
