/* Safe XML parsing for .ois_export files. The file comes from outside
 * (an operator's export, possibly edited, possibly hostile), so libxml2
 * runs without entity substitution, DTD loading or network access, and
 * SAX hooks stop the parser at the first document type declaration, past
 * the depth cap or past the element cap. Each stop leaves a sentence with
 * the line and column; the caller never gets a partial tree. */
#include "mgmt/ois_xml.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <string.h>

#include "common/util.h"

typedef struct guard {
    startElementNsSAX2Func start;
    endElementNsSAX2Func end;
    int depth;
    size_t elements;
    char why[BT_ERROR_MESSAGE_MAX]; /* our own reason to stop, or "" */
    int line, column;
    int code;
} guard;

static void stop(xmlParserCtxtPtr ctxt, guard *g, int code, const char *why) {
    if (g->why[0]) return;
    snprintf(g->why, sizeof g->why, "%s", why);
    g->code = code;
    g->line = xmlSAX2GetLineNumber(ctxt);
    g->column = xmlSAX2GetColumnNumber(ctxt);
    xmlStopParser(ctxt);
}

/* Entities (and with them billion-laughs expansion and external entities
 * such as file:///etc/passwd) can only be declared in a DTD; refusing the
 * DTD itself refuses them all, before any is read. */
static void on_internal_subset(void *ctx, const xmlChar *name,
                               const xmlChar *external_id,
                               const xmlChar *system_id) {
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    stop(ctxt, ctxt->_private, BT_EINVAL,
         "the file has a document type declaration (<!DOCTYPE ...>); an "
         "Orchestrator export never has one, and the entities it could "
         "declare are refused");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type,
                           const xmlChar *public_id, const xmlChar *system_id,
                           xmlChar *content) {
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    xmlParserCtxtPtr ctxt = ctx;
    stop(ctxt, ctxt->_private, BT_EINVAL,
         "the file declares an entity (<!ENTITY ...>); entities are refused");
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                     const xmlChar *uri, int nb_namespaces,
                     const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes) {
    xmlParserCtxtPtr ctxt = ctx;
    guard *g = ctxt->_private;
    if (++g->depth > BT_OIS_MAX_DEPTH) {
        char why[160];
        snprintf(why, sizeof why,
                 "elements are nested more than %d levels deep, the limit "
                 "(BT_OIS_MAX_DEPTH)",
                 BT_OIS_MAX_DEPTH);
        stop(ctxt, g, BT_ETOOBIG, why);
        return;
    }
    /* Nodes cost memory: a 32 MiB file of <a/> or of attributes would
     * otherwise build a tree of hundreds of megabytes. */
    g->elements += 1 + (size_t)nb_attributes;
    if (g->elements > BT_OIS_MAX_ELEMENTS) {
        char why[160];
        snprintf(why, sizeof why,
                 "the file has more than %d elements and attributes, the "
                 "limit (BT_OIS_MAX_ELEMENTS)",
                 BT_OIS_MAX_ELEMENTS);
        stop(ctxt, g, BT_ETOOBIG, why);
        return;
    }
    g->start(ctx, localname, prefix, uri, nb_namespaces, namespaces,
             nb_attributes, nb_defaulted, attributes);
}

/* Comments and processing instructions mean nothing in an export; they
 * are counted (so a file of them is bounded like elements) but not kept. */
static void on_comment(void *ctx, const xmlChar *value) {
    (void)value;
    xmlParserCtxtPtr ctxt = ctx;
    guard *g = ctxt->_private;
    if (++g->elements > BT_OIS_MAX_ELEMENTS)
        stop(ctxt, g, BT_ETOOBIG,
             "the file has too many comments and elements "
             "(BT_OIS_MAX_ELEMENTS)");
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data) {
    (void)data;
    (void)target;
    on_comment(ctx, NULL);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                   const xmlChar *uri) {
    xmlParserCtxtPtr ctxt = ctx;
    guard *g = ctxt->_private;
    g->depth--;
    g->end(ctx, localname, prefix, uri);
}

/* libxml2 messages end with a newline and sometimes continue on a second
 * line ("Bytes: 0xE9 ..."); an error here is one line. */
static void one_line(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) s[--n] = '\0';
    for (char *p = s; *p; p++)
        if (*p == '\n') *p = ' ';
}

int bt_ois_xml_parse(const char *name, const char *text, size_t len,
                     size_t max_bytes, xmlDocPtr *out, bt_error *err) {
    *out = NULL;
    if (len > max_bytes)
        return bt_error_set_at(err, BT_ETOOBIG, name, 0, 0,
                               "the file is %zu bytes, over the limit of "
                               "%zu bytes for an Orchestrator export",
                               len, max_bytes);
    if (len == 0)
        return bt_error_set_at(err, BT_EINVAL, name, 0, 0,
                               "the file is empty; an Orchestrator export "
                               "is an XML document starting with "
                               "<ExportData>");
    if (len > (size_t)INT_MAX)
        return bt_error_set_at(err, BT_ETOOBIG, name, 0, 0,
                               "the file is too large");
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) return bt_error_set(err, BT_ENOMEM, "out of memory");
    guard g = {0};
    g.start = ctxt->sax->startElementNs;
    g.end = ctxt->sax->endElementNs;
    ctxt->sax->startElementNs = on_start;
    ctxt->sax->endElementNs = on_end;
    ctxt->sax->comment = on_comment;
    ctxt->sax->processingInstruction = on_pi;
    ctxt->sax->internalSubset = on_internal_subset;
    ctxt->sax->externalSubset = NULL;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->getEntity = NULL; /* only the five predefined entities */
    ctxt->_private = &g;
    /* No XML_PARSE_NOENT (no substitution), no DTDLOAD/DTDATTR/DTDVALID,
     * no XINCLUDE, no HUGE (keeps libxml2's own text-node limits). */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc =
        xmlCtxtReadMemory(ctxt, text, (int)len, NULL, NULL, options);
    int rc = 0;
    if (g.why[0]) {
        rc = bt_error_set_at(err, g.code, name, g.line, g.column, "%s", g.why);
    } else if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[BT_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s",
                 e && e->message ? e->message : "unknown parser error");
        one_line(msg);
        int line = e ? e->line : 0, col = e ? e->int2 : 0;
        rc = bt_error_set_at(err, BT_ESYNTAX, name, line, col,
                             "not well-formed XML: %s", msg);
    }
    if (rc && doc) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    *out = doc;
    return rc;
}

xmlNodePtr bt_ois_xml_next(xmlNodePtr node, const char *name) {
    for (xmlNodePtr n = node ? node->next : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE &&
            (!name || xmlStrEqual(n->name, BAD_CAST name)))
            return n;
    return NULL;
}

xmlNodePtr bt_ois_xml_child(xmlNodePtr node, const char *name) {
    if (!node) return NULL;
    for (xmlNodePtr n = node->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE &&
            (!name || xmlStrEqual(n->name, BAD_CAST name)))
            return n;
    return NULL;
}

char *bt_ois_xml_text(xmlNodePtr node) {
    if (!node) return NULL;
    xmlChar *dt = xmlGetProp(node, BAD_CAST "datatype");
    int is_null = dt && xmlStrEqual(dt, BAD_CAST "null");
    xmlFree(dt);
    if (is_null) return NULL;
    xmlChar *c = xmlNodeGetContent(node);
    if (!c) return NULL;
    char *s = NULL;
    if (c[0]) s = bt_xstrdup((const char *)c);
    xmlFree(c);
    return s;
}

char *bt_ois_xml_child_text(xmlNodePtr node, const char *name) {
    return bt_ois_xml_text(bt_ois_xml_child(node, name));
}

int bt_ois_xml_child_bool(xmlNodePtr node, const char *name, int dflt) {
    char *t = bt_ois_xml_child_text(node, name);
    if (!t) return dflt;
    int v = !strcasecmp(t, "true") || !strcmp(t, "1");
    free(t);
    return v;
}
