/* A parsed YAML or JSON document as a tree of nodes that remember their
 * line and column, so every later check can point at the text. */
#ifndef BT_DOC_H
#define BT_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "baton/error.h"

/* Hard limits against hostile files; each breach is a clear error. */
#define BT_DOC_MAX_BYTES ((size_t)8 << 20)  /* whole file */
#define BT_DOC_MAX_DEPTH 64                 /* nesting of maps/sequences */
#define BT_DOC_MAX_SCALAR ((size_t)1 << 20) /* one string */
#define BT_DOC_MAX_NODES 200000

typedef enum {
    BT_NODE_NULL,   /* "~", "null" or an empty value, unquoted */
    BT_NODE_SCALAR,
    BT_NODE_SEQ,
    BT_NODE_MAP
} bt_node_kind;

typedef struct bt_node bt_node;
struct bt_node {
    bt_node_kind kind;
    int line;   /* 1-based */
    int column; /* 1-based */
    bool quoted; /* scalar was written quoted ("123" is a string) */
    char *str;   /* scalar text, NUL-terminated; "" for NULL nodes */
    size_t len;
    size_t count;    /* items in a sequence or pairs in a map */
    bt_node **items; /* sequence items, or map values */
    bt_node **keys;  /* map keys (scalar nodes); NULL for sequences */
    void *compiled;  /* owned by the runbook loader: a compiled template */
};

typedef struct bt_doc {
    char *file;    /* name used in messages */
    bt_node *root; /* NULL for an empty document */
    void *arena;   /* internal: every node and string */
} bt_doc;

/* Parse YAML (JSON is accepted as YAML flow syntax). Anchors/aliases and
 * multiple documents are refused; duplicate map keys are an error. */
int bt_doc_parse_file(const char *path, bt_doc **out, bt_error *err);
int bt_doc_parse_string(const char *name, const char *text, size_t len,
                        bt_doc **out, bt_error *err);
void bt_doc_free(bt_doc *doc);

/* Map lookup; NULL when map is not a map or has no such key. */
const bt_node *bt_node_get(const bt_node *map, const char *key);
const char *bt_node_kind_name(bt_node_kind kind);

#endif
