/* `batond --samples`: the bundled example runbooks (examples/, embedded at
 * build time by cmake/embed_samples.cmake) or the runbook files of a
 * directory, checked in as folder + runbook + version 1 — but only into a
 * database that has no runbook yet, so a restart never loads them twice
 * and an operator's runbooks are never mixed with demos. */
#ifndef BT_SERVER_SAMPLES_H
#define BT_SERVER_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/error.h"
#include "server/log.h"
#include "store/store.h"

typedef struct bt_sample_file {
    const char *name; /* file name, "hello.runbook.yaml" */
    const char *text;
    size_t len;
} bt_sample_file;

extern const bt_sample_file bt_samples_bundled[];
extern const size_t bt_samples_bundled_count;

/* Loads the samples (dir NULL: the bundled ones; else DIR/NAME.runbook.yaml
 * and DIR/NAME.runbook.json) in one transaction. When the database already
 * holds a runbook nothing is loaded, *loaded is 0 and *skipped true. A
 * file that does not validate fails the whole load with its first
 * problem (file:line:column). */
int bt_samples_load(bt_store *s, const char *dir, const bt_log *log,
                    size_t *loaded, bool *skipped, bt_error *err);

#endif
