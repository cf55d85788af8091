/* A JSONPath subset shared by Query JSON and Invoke Web Service:
 *   $            the document
 *   .name        a member ("['name']" / "[\"name\"]" for odd names)
 *   [3], [-1]    an array element (negative counts from the end)
 *   [*], .*      every element / member
 *   ..name       a member at any depth
 * Matches come in document order. */
#ifndef BT_JSONPATH_H
#define BT_JSONPATH_H

#include <jansson.h>
#include <stddef.h>

typedef struct bt_jsonpath_matches {
    json_t **items; /* borrowed from the document */
    size_t n, alloc;
} bt_jsonpath_matches;

/* Returns 0, or -BT_EINVAL with a sentence in err for a malformed path. */
int bt_jsonpath_eval(json_t *root, const char *path, bt_jsonpath_matches *out,
                     char *err, size_t errlen);
void bt_jsonpath_matches_free(bt_jsonpath_matches *m);
/* Strings as their text, other scalars and containers as compact JSON.
 * malloc'd. */
char *bt_jsonpath_text(const json_t *v);
const char *bt_jsonpath_type(const json_t *v);

#endif
