/* $orderby, $select and $expand: the order of a feed and the shape of
 * each entity in it. Ordering compares text without regard to case, as
 * $filter does (see odata_query.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/odata.h"

/* ---- $orderby --------------------------------------------------------- */

int od_value_cmp(od_type t, json_t *a, json_t *b) {
    bool na = !a || json_is_null(a), nb = !b || json_is_null(b);
    if (na || nb) return na && nb ? 0 : na ? -1 : 1; /* nulls first */
    switch (t) {
    case OD_INT32:
    case OD_DATETIME: {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    case OD_BOOL: return (int)json_is_true(a) - (int)json_is_true(b);
    case OD_GUID:
    case OD_STRING: break;
    }
    const char *x = json_string_value(a), *y = json_string_value(b);
    int r = strcasecmp(x, y);
    if (!r) r = strcmp(x, y);
    return (r > 0) - (r < 0);
}

int od_orderby_parse(const od_set *set, const char *text, od_order **out,
                     size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    char *copy = bt_xstrdup(text);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char name[128] = "", dir[16] = "", extra[8] = "";
        int k = sscanf(item, " %127s %15s %7s", name, dir, extra);
        if (k < 1 || k > 2 || (k == 2 && strcmp(dir, "asc") &&
                               strcmp(dir, "desc"))) {
            snprintf(err, errlen, "$orderby: expected 'Property [asc|desc]', "
                                  "got '%s'", item);
            goto fail;
        }
        const od_prop *p = od_prop_find(set, name);
        if (!p) {
            snprintf(err, errlen, "$orderby: %s has no property '%s'",
                     set->type, name);
            goto fail;
        }
        *out = bt_xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[*n].prop = p;
        (*out)[(*n)++].desc = k == 2 && !strcmp(dir, "desc");
    }
    free(copy);
    return 0;
fail:
    free(copy);
    free(*out);
    *out = NULL;
    *n = 0;
    return -BT_EINVAL;
}

typedef struct sort_ctx {
    const od_set *set;
    const od_order *o;
    size_t n;
} sort_ctx;

typedef struct sort_item {
    json_t *row;
    size_t index;
} sort_item;

static int cmp_rows(const void *pa, const void *pb, void *ud) {
    const sort_ctx *sc = ud;
    const sort_item *a = pa, *b = pb;
    for (size_t i = 0; i < sc->n; i++) {
        const char *name = sc->o[i].prop->name;
        int r = od_value_cmp(sc->o[i].prop->type, json_object_get(a->row, name),
                             json_object_get(b->row, name));
        if (r) return sc->o[i].desc ? -r : r;
    }
    /* like WCF Data Services, the key breaks ties, so pages are stable */
    const od_prop *key = &sc->set->props[0];
    int r = od_value_cmp(key->type, json_object_get(a->row, key->name),
                         json_object_get(b->row, key->name));
    if (r) return r;
    return (a->index > b->index) - (a->index < b->index);
}

void od_sort(const od_set *set, json_t *rows, const od_order *o, size_t n) {
    size_t count = json_array_size(rows);
    sort_item *items = bt_xcalloc(count + 1, sizeof *items);
    for (size_t i = 0; i < count; i++) {
        items[i].row = json_incref(json_array_get(rows, i));
        items[i].index = i;
    }
    sort_ctx sc = {set, o, n};
    qsort_r(items, count, sizeof *items, cmp_rows, &sc);
    json_array_clear(rows);
    for (size_t i = 0; i < count; i++) json_array_append_new(rows, items[i].row);
    free(items);
}

/* ---- $select and $expand ---------------------------------------------- */

static od_shape *shape_new(const od_set *set) {
    od_shape *sh = bt_xcalloc(1, sizeof *sh);
    sh->set = set;
    sh->all_props = true;
    sh->props = bt_xcalloc(set->n_props + 1, sizeof *sh->props);
    sh->navs = bt_xcalloc(set->n_navs + 1, sizeof *sh->navs);
    sh->expand = bt_xcalloc(set->n_navs + 1, sizeof *sh->expand);
    return sh;
}

void od_shape_free(od_shape *sh) {
    if (!sh) return;
    for (size_t i = 0; i < sh->set->n_navs; i++) od_shape_free(sh->expand[i]);
    free(sh->expand);
    free(sh->props);
    free(sh->navs);
    free(sh);
}

static void trim(char **s) {
    while (**s == ' ') (*s)++;
    size_t n = strlen(*s);
    while (n && (*s)[n - 1] == ' ') (*s)[--n] = '\0';
}

static int add_expand(od_shape *sh, char *path, char *err, size_t errlen,
                      int depth) {
    char *slash = strchr(path, '/');
    if (slash) *slash = '\0';
    const od_nav *nav = od_nav_find(sh->set, path);
    if (!nav || depth > 8) {
        snprintf(err, errlen, "$expand: %s has no navigation property '%s'",
                 sh->set->type, path);
        return -BT_EINVAL;
    }
    size_t i = (size_t)(nav - sh->set->navs);
    if (!sh->expand[i]) sh->expand[i] = shape_new(od_set_find(nav->target));
    return slash ? add_expand(sh->expand[i], slash + 1, err, errlen, depth + 1)
                 : 0;
}

od_shape *od_shape_parse(const od_set *set, const char *select,
                         const char *expand, char *err, size_t errlen) {
    od_shape *sh = shape_new(set);
    char *save = NULL, *copy = NULL;
    if (expand && *expand) {
        copy = bt_xstrdup(expand);
        for (char *it = strtok_r(copy, ",", &save); it;
             it = strtok_r(NULL, ",", &save)) {
            trim(&it);
            if (add_expand(sh, it, err, errlen, 0)) goto fail;
        }
        free(copy);
        copy = NULL;
    }
    if (select && *select) {
        copy = bt_xstrdup(select);
        bool all = false;
        for (char *it = strtok_r(copy, ",", &save); it;
             it = strtok_r(NULL, ",", &save)) {
            trim(&it);
            char *slash = strchr(it, '/');
            if (slash) *slash = '\0'; /* Nav/Prop: the nav as a whole */
            const od_prop *p = od_prop_find(set, it);
            const od_nav *nv = od_nav_find(set, it);
            if (!strcmp(it, "*")) all = true;
            else if (p) sh->props[p - set->props] = true;
            else if (nv) sh->navs[nv - set->navs] = true;
            else {
                snprintf(err, errlen, "$select: %s has no property '%s'",
                         set->type, it);
                goto fail;
            }
        }
        sh->all_props = all;
        free(copy);
    }
    return sh;
fail:
    free(copy);
    od_shape_free(sh);
    return NULL;
}
