/* Atom/XML output, the default format of Orchestrator's web service and
 * the one its PowerShell scripts parse ([xml], SelectNodes, by position).
 * A small writer with careful escaping: text that XML 1.0 cannot carry
 * (control characters) becomes U+FFFD rather than a document that a
 * client's parser rejects. Attributes are always double-quoted, so an
 * apostrophe (as in Jobs(guid'…')) stays as it is, the way Orchestrator
 * writes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "web/odata.h"

#define NS_D "http://schemas.microsoft.com/ado/2007/08/dataservices"
#define NS_M "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
#define NS_ATOM "http://www.w3.org/2005/Atom"
#define REL_RELATED NS_D "/related/"
#define SCHEME NS_D "/scheme"

void od_xml_escape(bt_buf *b, const char *s) {
    /* runs of plain characters go in one append: a feed page is mostly
     * text that needs no escaping */
    while (s && *s) {
        const char *run = s;
        while ((unsigned char)*s >= 0x20 && !strchr("&<>\"", *s)) s++;
        if (s > run) bt_buf_append(b, run, (size_t)(s - run));
        unsigned char ch = (unsigned char)*s;
        if (!ch) break;
        s++;
        switch (ch) {
        case '&': bt_buf_appends(b, "&amp;"); break;
        case '<': bt_buf_appends(b, "&lt;"); break;
        case '>': bt_buf_appends(b, "&gt;"); break;
        case '"': bt_buf_appends(b, "&quot;"); break;
        case '\r': bt_buf_appends(b, "&#13;"); break;
        case '\t':
        case '\n': bt_buf_appendc(b, (char)ch); break;
        default: bt_buf_appends(b, "\xef\xbf\xbd");
        }
    }
}

/* Atom: "2026-11-25T10:41:17.123" (UTC, as Orchestrator's DateTime
 * values are); verbose JSON: "/Date(milliseconds)/". */
void od_format_time(bt_buf *b, int64_t us, bool json) {
    if (json) {
        bt_buf_printf(b, "/Date(%lld)/", (long long)(us / 1000));
        return;
    }
    char buf[40];
    bt_format_time_us((uint64_t)us, buf, sizeof buf);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == 'Z') buf[n - 1] = '\0';
    bt_buf_appends(b, buf);
}

static void now_text(bt_buf *b) {
    char buf[40];
    bt_format_time_us(bt_now_us(), buf, sizeof buf);
    bt_buf_appends(b, buf);
}

char *od_entity_href(const od_set *set, json_t *entity) {
    const char *key = json_string_value(json_object_get(entity,
                                                        set->props[0].name));
    return bt_xasprintf("%s(guid'%s')", set->name, key ? key : OD_NULL_GUID);
}

static const char *edm(od_type t) {
    switch (t) {
    case OD_GUID: return "Edm.Guid";
    case OD_INT32: return "Edm.Int32";
    case OD_BOOL: return "Edm.Boolean";
    case OD_DATETIME: return "Edm.DateTime";
    case OD_STRING: break;
    }
    return NULL;
}

/* Appends without printf: a feed page writes about 700 properties. */
void od_atom_property(const od_prop *p, json_t *v, bt_buf *b) {
    const char *type = edm(p->type);
    bt_buf_appends(b, "<d:");
    bt_buf_appends(b, p->name);
    if (type) {
        bt_buf_appends(b, " m:type=\"");
        bt_buf_appends(b, type);
        bt_buf_appendc(b, '"');
    }
    if (!v || json_is_null(v)) {
        bt_buf_appends(b, " m:null=\"true\" />");
        return;
    }
    bt_buf_appendc(b, '>');
    switch (p->type) {
    case OD_INT32:
        bt_buf_printf(b, "%lld", (long long)json_integer_value(v));
        break;
    case OD_BOOL: bt_buf_appends(b, json_is_true(v) ? "true" : "false"); break;
    case OD_DATETIME: od_format_time(b, json_integer_value(v), false); break;
    case OD_GUID:
    case OD_STRING: od_xml_escape(b, json_string_value(v)); break;
    }
    bt_buf_appends(b, "</d:");
    bt_buf_appends(b, p->name);
    bt_buf_appendc(b, '>');
}

static int write_entry(od_ctx *c, const od_set *set, json_t *e,
                       const od_shape *sh, bt_buf *b, bool top, int depth);

static int write_feed_body(od_ctx *c, const od_set *set, const char *title,
                           const char *self, json_t *rows, long long count,
                           const char *next, const od_shape *sh, bt_buf *b,
                           int depth) {
    bt_buf_appends(b, "<title type=\"text\">");
    od_xml_escape(b, title);
    bt_buf_appends(b, "</title><id>");
    od_xml_escape(b, c->base);
    od_xml_escape(b, self);
    bt_buf_appends(b, "</id><updated>");
    now_text(b);
    bt_buf_appends(b, "</updated><link rel=\"self\" title=\"");
    od_xml_escape(b, title);
    bt_buf_appends(b, "\" href=\"");
    od_xml_escape(b, self);
    bt_buf_appends(b, "\" />");
    if (count >= 0) bt_buf_printf(b, "<m:count>%lld</m:count>", count);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        int rc = write_entry(c, set, row, sh, b, false, depth);
        if (rc) return rc;
    }
    if (next) {
        bt_buf_appends(b, "<link rel=\"next\" href=\"");
        od_xml_escape(b, next);
        bt_buf_appends(b, "\" />");
    }
    return 0;
}

static int write_nav(od_ctx *c, const od_set *set, json_t *e,
                     const char *href, size_t k, const od_shape *sh,
                     bt_buf *b, int depth) {
    const od_nav *nv = &set->navs[k];
    bt_buf_printf(b, "<link rel=\"" REL_RELATED "%s\" "
                     "type=\"application/atom+xml;type=%s\" title=\"%s\" "
                     "href=\"",
                  nv->name, nv->many ? "feed" : "entry", nv->name);
    od_xml_escape(b, href);
    bt_buf_printf(b, "/%s\"", nv->name);
    const od_shape *child = sh ? sh->expand[k] : NULL;
    if (!child) {
        bt_buf_appends(b, " />");
        return 0;
    }
    json_t *rows = od_nav_rows(c, set, nv, e);
    if (!rows) return -BT_EIO;
    const od_set *target = od_set_find(nv->target);
    int rc = 0;
    bt_buf_appends(b, "><m:inline>");
    if (nv->many) {
        char *self = bt_xasprintf("%s/%s", href, nv->name);
        bt_buf_appends(b, "<feed>");
        rc = write_feed_body(c, target, nv->name, self, rows, -1, NULL, child,
                             b, depth + 1);
        bt_buf_appends(b, "</feed>");
        free(self);
    } else if (json_array_size(rows)) {
        rc = write_entry(c, target, json_array_get(rows, 0), child, b, false,
                         depth + 1);
    }
    bt_buf_appends(b, "</m:inline></link>");
    json_decref(rows);
    return rc;
}

static int write_entry(od_ctx *c, const od_set *set, json_t *e,
                       const od_shape *sh, bt_buf *b, bool top, int depth) {
    char *href = od_entity_href(set, e);
    bt_buf_appends(b, "<entry");
    if (top) {
        bt_buf_appends(b, " xml:base=\"");
        od_xml_escape(b, c->base);
        bt_buf_appends(b, "\" xmlns:d=\"" NS_D "\" xmlns:m=\"" NS_M
                          "\" xmlns=\"" NS_ATOM "\"");
    }
    bt_buf_appends(b, "><id>");
    od_xml_escape(b, c->base);
    od_xml_escape(b, href);
    bt_buf_printf(b, "</id><category term=\"" OD_NS ".%s\" scheme=\"" SCHEME
                     "\" /><link rel=\"edit\" title=\"%s\" href=\"",
                  set->type, set->type);
    od_xml_escape(b, href);
    bt_buf_appends(b, "\" />");
    int rc = 0;
    for (size_t k = 0; k < set->n_navs && !rc; k++)
        if (!sh || sh->all_props || sh->navs[k] || sh->expand[k])
            rc = write_nav(c, set, e, href, k, sh, b, depth);
    bt_buf_appends(b, "<title /><updated>");
    now_text(b);
    bt_buf_appends(b, "</updated><author><name /></author>");
    bool media = set->id == OD_RUNBOOK_DIAGRAMS;
    if (media) {
        bt_buf_appends(b, "<link rel=\"edit-media\" title=\"RunbookDiagram\" "
                          "href=\"");
        od_xml_escape(b, href);
        bt_buf_appends(b, "/$value\" /><content type=\"image/svg+xml\" src=\"");
        od_xml_escape(b, href);
        bt_buf_appends(b, "/$value\" /><m:properties>");
    } else {
        bt_buf_appends(b, "<content type=\"application/xml\"><m:properties>");
    }
    for (size_t k = 0; k < set->n_props; k++)
        if (!sh || sh->all_props || sh->props[k])
            od_atom_property(&set->props[k],
                             json_object_get(e, set->props[k].name), b);
    bt_buf_appends(b, media ? "</m:properties>"
                            : "</m:properties></content>");
    bt_buf_appends(b, "</entry>");
    free(href);
    return rc;
}

static void xml_header(bt_buf *b) {
    bt_buf_appends(b, "<?xml version=\"1.0\" encoding=\"utf-8\" "
                      "standalone=\"yes\"?>\n");
}

int od_atom_feed(od_ctx *c, const od_feed *f, const od_shape *sh, bt_buf *b) {
    xml_header(b);
    bt_buf_appends(b, "<feed xml:base=\"");
    od_xml_escape(b, c->base);
    bt_buf_appends(b, "\" xmlns:d=\"" NS_D "\" xmlns:m=\"" NS_M
                      "\" xmlns=\"" NS_ATOM "\">");
    const char *title = strrchr(f->self, '/');
    title = title ? title + 1 : f->self;
    int rc = write_feed_body(c, f->set, title, f->self, f->rows, f->count,
                             f->next, sh, b, 0);
    bt_buf_appends(b, "</feed>\n");
    return rc;
}

int od_atom_entry(od_ctx *c, const od_set *set, json_t *entity,
                  const od_shape *sh, bt_buf *b) {
    xml_header(b);
    int rc = write_entry(c, set, entity, sh, b, true, 0);
    bt_buf_appendc(b, '\n');
    return rc;
}

void od_atom_error(bt_buf *b, const char *code, const char *message) {
    xml_header(b);
    bt_buf_appends(b, "<error xmlns=\"" NS_M "\"><code>");
    od_xml_escape(b, code);
    bt_buf_appends(b, "</code><message xml:lang=\"en-US\">");
    od_xml_escape(b, message);
    bt_buf_appends(b, "</message></error>\n");
}
