/* Query XML: evaluates an XPath 1.0 expression on an XML document (text or
 * a file) with libxml2 and publishes one row per node found (or one row
 * for a number, string or boolean result). */
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <string.h>

#include "activities/utility/xmlutil.h"
#include "baton/activity.h"
#include "common/util.h"

static const bt_prop_spec props[] = {
    {"xpath", BT_PROP_STRING, true, NULL, "XPath 1.0 expression.", NULL},
    {"text", BT_PROP_STRING, false, NULL,
     "The XML document (give text or file).", NULL},
    {"file", BT_PROP_STRING, false, NULL,
     "A file holding the XML document (give text or file).", NULL},
    {"namespaces", BT_PROP_MAP, false, NULL,
     "Prefixes for the expression: prefix: namespace URI.", NULL},
    {"fail_if_none", BT_PROP_BOOLEAN, false, "false",
     "Fail when no node matches (else: no rows).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"value", "xml", "name",
                                        "match_index", "match_count", NULL};

static void quiet(void *ud, xmlErrorPtr e) {
    (void)ud;
    (void)e;
}

static void publish_node(bt_activity_ctx *ctx, xmlDocPtr doc, xmlNodePtr n) {
    xmlChar *v = xmlXPathCastNodeToString(n);
    bt_act_publish(ctx, "value", v ? (const char *)v : "");
    xmlFree(v);
    xmlBufferPtr buf = xmlBufferCreate();
    if (n->type == XML_ATTRIBUTE_NODE || n->type == XML_TEXT_NODE) {
        xmlChar *t = xmlXPathCastNodeToString(n);
        bt_act_publish(ctx, "xml", t ? (const char *)t : "");
        xmlFree(t);
    } else if (buf) {
        xmlNodeDump(buf, doc, n, 0, 0);
        bt_act_publish(ctx, "xml", (const char *)xmlBufferContent(buf));
    }
    xmlBufferFree(buf);
    bt_act_publish(ctx, "name", n->name ? (const char *)n->name : "");
}

static int run(bt_activity_ctx *ctx) {
    const char *xpath = bt_act_str(ctx, "xpath", "");
    bool fail_if_none = false;
    if (bt_act_bool(ctx, "fail_if_none", false, &fail_if_none))
        return -BT_EINVAL;
    const char *const *prefixes, *const *uris;
    size_t nns = bt_act_map(ctx, "namespaces", &prefixes, &uris);
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    xmlDocPtr doc = bt_xml_load(ctx, "query-xml", "text", "file");
    if (!doc) return -BT_EINVAL;
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    if (!xc) {
        xmlFreeDoc(doc);
        return bt_act_fail(ctx, "query-xml: out of memory");
    }
    xc->error = quiet;
    for (size_t i = 0; i < nns; i++)
        xmlXPathRegisterNs(xc, (const xmlChar *)prefixes[i],
                           (const xmlChar *)uris[i]);
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)xpath, xc);
    int rc = 0;
    size_t n = 0;
    if (!r) {
        const char *m = xc->lastError.message ? xc->lastError.message
                                              : "invalid expression";
        size_t len = strlen(m);
        while (len && m[len - 1] == '\n') len--;
        rc = bt_act_fail(ctx, "query-xml: XPath '%.200s': %.*s", xpath,
                         (int)len, m);
    } else if (r->type == XPATH_NODESET) {
        n = r->nodesetval ? (size_t)r->nodesetval->nodeNr : 0;
        for (size_t i = 0; i < n; i++) {
            if (i) bt_act_new_row(ctx);
            publish_node(ctx, doc, r->nodesetval->nodeTab[i]);
            bt_act_publishf(ctx, "match_index", "%zu", i + 1);
            bt_act_publishf(ctx, "match_count", "%zu", n);
        }
    } else {
        xmlChar *v = xmlXPathCastToString(r);
        bt_act_publish(ctx, "value", v ? (const char *)v : "");
        xmlFree(v);
        bt_act_publish(ctx, "xml", "");
        bt_act_publish(ctx, "name", "");
        bt_act_publish(ctx, "match_index", "1");
        bt_act_publish(ctx, "match_count", "1");
        n = 1;
    }
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(xc);
    xmlFreeDoc(doc);
    if (rc == 0 && n == 0) {
        if (fail_if_none)
            return bt_act_fail(ctx, "query-xml: XPath '%.200s' matches "
                                    "nothing",
                               xpath);
        bt_act_publish(ctx, "match_count", "0");
        bt_act_publish_no_rows(ctx);
    }
    return rc;
}

const bt_activity_type bt_activity_query_xml = {
    .name = "query-xml",
    .title = "Query XML",
    .category = "utility",
    .description = "Evaluates an XPath expression on an XML document and "
                   "publishes one row per node found.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
