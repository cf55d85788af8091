/* Storing an Orchestrator import (src/mgmt/ois_import.h) in a Baton store. */
#ifndef BT_OIS_STORE_H
#define BT_OIS_STORE_H

#include "mgmt/ois_import.h"
#include "store/store.h"

typedef struct bt_ois_stored {
    size_t runbooks, variables, counters, schedules;
} bt_ois_stored;

/* In one store group: every folder; each runbook that validated, as a new
 * version (the runbook is created when missing; its path is its folder and
 * name); variables (not the encrypted ones: they have no value); counters
 * that do not exist yet (an existing counter keeps its value); schedules.
 * An audit record per runbook. On any error nothing is stored. */
int bt_ois_import_store(const bt_ois_import *imp, bt_store *s,
                        const char *author, bt_ois_stored *out, bt_error *err);
/* The same inside a group the caller has begun (and commits or rolls back),
 * so its own audit record goes in the same transaction. */
int bt_ois_import_store_in(const bt_ois_import *imp, bt_store *s,
                           const char *author, bt_ois_stored *out,
                           bt_error *err);

#endif
