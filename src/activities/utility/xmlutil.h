/* Safe XML parsing for Query XML and Apply XSLT: no network, no external
 * entities or DTDs, errors as a sentence instead of on stderr. */
#ifndef BT_XMLUTIL_H
#define BT_XMLUTIL_H

#include <libxml/tree.h>
#include <stddef.h>

#include "baton/activity.h"

/* Reads the document from property text_prop or file_prop (exactly one
 * must be given). what names the activity in messages. NULL after failing
 * the activity. */
xmlDocPtr bt_xml_load(bt_activity_ctx *ctx, const char *what,
                      const char *text_prop, const char *file_prop);

#endif
