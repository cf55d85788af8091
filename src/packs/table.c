/* The process's table of pack activity types (see packs.h for why it is
 * process-wide). Slots only grow (an upgrade empties the old version's
 * slots and appends), so an index handed out by bt__packs_type_slots stays
 * meaningful while another thread registers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "packs/packs.h"

/* A removed or replaced type keeps its slot (marked removed): it is never
 * freed, since runbooks loaded earlier may hold it, and staying reachable
 * from here is what says so (to LeakSanitizer too). */
typedef struct type_slot {
    const bt_activity_type *type;
    bool removed;
    char *pack;
} type_slot;

typedef struct pack_slot {
    char *name;
    char *version; /* NULL once removed */
} pack_slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static type_slot *types;
static size_t n_types, cap_types;
static pack_slot *packs;
static size_t n_packs, cap_packs;

static void clear_pack_types(const char *name) {
    for (size_t i = 0; i < n_types; i++)
        if (!types[i].removed && !strcmp(types[i].pack, name))
            types[i].removed = true;
}

static pack_slot *find_pack(const char *name) {
    for (size_t i = 0; i < n_packs; i++)
        if (!strcmp(packs[i].name, name))
            return &packs[i];
    return NULL;
}

void bt__packs_register(const char *name, const char *version,
                        const bt_activity_type *const *list, size_t n) {
    pthread_mutex_lock(&lock);
    clear_pack_types(name);
    for (size_t k = 0; k < n; k++) {
        if (n_types == cap_types) {
            cap_types = cap_types ? cap_types * 2 : 16;
            types = bt_xrealloc(types, cap_types * sizeof *types);
        }
        type_slot *slot = &types[n_types++];
        slot->type = list[k];
        slot->removed = false;
        slot->pack = bt_xstrdup(name);
    }
    pack_slot *p = find_pack(name);
    if (!p) {
        if (n_packs == cap_packs) {
            cap_packs = cap_packs ? cap_packs * 2 : 8;
            packs = bt_xrealloc(packs, cap_packs * sizeof *packs);
        }
        p = &packs[n_packs++];
        p->name = bt_xstrdup(name);
        p->version = NULL;
    }
    free(p->version);
    p->version = bt_xstrdup(version);
    pthread_mutex_unlock(&lock);
}

int bt_packs_unregister(const char *name) {
    pthread_mutex_lock(&lock);
    pack_slot *p = find_pack(name);
    int rc = -BT_ENOTFOUND;
    if (p && p->version) {
        clear_pack_types(name);
        free(p->version);
        p->version = NULL;
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

const bt_activity_type *bt__packs_find(const char *name) {
    const bt_activity_type *t = NULL;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_types && !t; i++)
        if (!types[i].removed && !strcmp(types[i].type->name, name))
            t = types[i].type;
    pthread_mutex_unlock(&lock);
    return t;
}

size_t bt__packs_type_slots(void) {
    pthread_mutex_lock(&lock);
    size_t n = n_types;
    pthread_mutex_unlock(&lock);
    return n;
}

const bt_activity_type *bt__packs_type_at(size_t i) {
    pthread_mutex_lock(&lock);
    const bt_activity_type *t =
        i < n_types && !types[i].removed ? types[i].type : NULL;
    pthread_mutex_unlock(&lock);
    return t;
}

size_t bt_packs_count(void) {
    pthread_mutex_lock(&lock);
    size_t n = 0;
    for (size_t i = 0; i < n_packs; i++)
        n += packs[i].version != NULL;
    pthread_mutex_unlock(&lock);
    return n;
}

bool bt_packs_at(size_t i, char **name, char **version) {
    bool found = false;
    pthread_mutex_lock(&lock);
    for (size_t k = 0; k < n_packs && !found; k++) {
        if (!packs[k].version)
            continue;
        if (i-- == 0) {
            *name = bt_xstrdup(packs[k].name);
            *version = bt_xstrdup(packs[k].version);
            found = true;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}
