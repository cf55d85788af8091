/* Freeing what the store hands out: one clear per result struct, one
 * list_free per list. Both accept zeroed or partly filled values, which is
 * what a backend leaves after an error. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

void bt_store_folder_clear(bt_store_folder *f) {
    if (!f) return;
    free(f->name);
    free(f->path);
    memset(f, 0, sizeof *f);
}

void bt_store_folder_list_free(bt_store_folder *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_folder_clear(&items[i]);
    free(items);
}

void bt_store_runbook_clear(bt_store_runbook *r) {
    if (!r) return;
    free(r->name);
    free(r->description);
    free(r->path);
    for (size_t i = 0; i < r->n_preferred; i++) free(r->preferred_servers[i]);
    free(r->preferred_servers);
    free(r->checked_out_by);
    memset(r, 0, sizeof *r);
}

void bt_store_runbook_list_free(bt_store_runbook *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_runbook_clear(&items[i]);
    free(items);
}

void bt_store_version_clear(bt_store_version *v) {
    if (!v) return;
    free(v->yaml);
    free(v->author);
    free(v->comment);
    memset(v, 0, sizeof *v);
}

void bt_store_version_list_free(bt_store_version *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_version_clear(&items[i]);
    free(items);
}

void bt_store_job_clear(bt_store_job *j) {
    if (!j) return;
    free(j->parameters);
    free(j->created_by);
    for (size_t i = 0; i < j->n_targets; i++) free(j->targets[i]);
    free(j->targets);
    memset(j, 0, sizeof *j);
}

void bt_store_job_list_free(bt_store_job *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_job_clear(&items[i]);
    free(items);
}

void bt_store_instance_clear(bt_store_instance *i) {
    if (!i) return;
    free(i->return_data);
    memset(i, 0, sizeof *i);
}

void bt_store_instance_list_free(bt_store_instance *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_instance_clear(&items[i]);
    free(items);
}

void bt_store_activity_clear(bt_store_activity *a) {
    if (!a) return;
    free(a->activity_id);
    free(a->error);
    for (size_t i = 0; i < a->n_data; i++) {
        free(a->data[i].name);
        free(a->data[i].value);
    }
    free(a->data);
    memset(a, 0, sizeof *a);
}

void bt_store_activity_list_free(bt_store_activity *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_activity_clear(&items[i]);
    free(items);
}

void bt_store_server_clear(bt_store_server *sv) {
    if (!sv) return;
    free(sv->name);
    free(sv->version);
    memset(sv, 0, sizeof *sv);
}

void bt_store_server_list_free(bt_store_server *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_server_clear(&items[i]);
    free(items);
}

void bt_store_event_list_free(bt_store_event *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(items[i].source);
        free(items[i].message);
    }
    free(items);
}

void bt_store_audit_list_free(bt_store_audit *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(items[i].who);
        free(items[i].action);
        free(items[i].object);
        free(items[i].before);
        free(items[i].after);
    }
    free(items);
}

void bt_store_variable_clear(bt_store_variable *v) {
    if (!v) return;
    free(v->name);
    free(v->value);
    free(v->folder);
    memset(v, 0, sizeof *v);
}

void bt_store_variable_list_free(bt_store_variable *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_variable_clear(&items[i]);
    free(items);
}

void bt_store_schedule_clear(bt_store_schedule *sc) {
    if (!sc) return;
    free(sc->name);
    free(sc->definition);
    free(sc->folder);
    memset(sc, 0, sizeof *sc);
}

void bt_store_schedule_list_free(bt_store_schedule *items, size_t n) {
    for (size_t i = 0; i < n; i++) bt_store_schedule_clear(&items[i]);
    free(items);
}

void bt_store_counter_list_free(bt_store_counter *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(items[i].name);
        free(items[i].folder);
    }
    free(items);
}
