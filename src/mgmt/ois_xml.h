/* Reading untrusted XML for the Orchestrator import: libxml2 with every
 * door that a hostile file could use shut (no DTD, no entities, no
 * network, a size, depth and element cap), plus the few tree helpers the
 * importer needs. */
#ifndef BT_OIS_XML_H
#define BT_OIS_XML_H

#include <libxml/tree.h>
#include <stddef.h>

#include "baton/error.h"

#define BT_OIS_MAX_BYTES ((size_t)32 << 20) /* a whole export */
#define BT_OIS_MAX_DEPTH 256                /* nesting of elements */
#define BT_OIS_MAX_ELEMENTS 1000000 /* elements and attributes (nodes) */

/* Parses text (not NUL-terminated) named name in messages. A document type
 * declaration (<!DOCTYPE ...>, which is where entities are declared) is
 * refused: Orchestrator never writes one. Errors name the line and column.
 * Returns 0 or -BT_E*; *out is freed with xmlFreeDoc. */
int bt_ois_xml_parse(const char *name, const char *text, size_t len,
                     size_t max_bytes, xmlDocPtr *out, bt_error *err);

/* The first element child of node named name (NULL: none). */
xmlNodePtr bt_ois_xml_child(xmlNodePtr node, const char *name);
/* The next element sibling of node named name, or any element when name is
 * NULL. */
xmlNodePtr bt_ois_xml_next(xmlNodePtr node, const char *name);
/* Element text, or NULL when the element is missing, has
 * datatype="null", or is empty. Freed with free(). */
char *bt_ois_xml_text(xmlNodePtr node);
/* bt_ois_xml_text of the child named name. */
char *bt_ois_xml_child_text(xmlNodePtr node, const char *name);
/* True when the child's text is TRUE/true/1. */
int bt_ois_xml_child_bool(xmlNodePtr node, const char *name, int dflt);

#endif
