/* See xmlutil.h. */
#include "activities/utility/xmlutil.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"

#define DOC_CAP ((size_t)64 << 20)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

xmlDocPtr bt_xml_load(bt_activity_ctx *ctx, const char *what,
                      const char *text_prop, const char *file_prop) {
    pthread_once(&xml_once, xml_init);
    bool has_text = bt_act_has(ctx, text_prop);
    bool has_file = bt_act_has(ctx, file_prop);
    if (has_text == has_file) {
        bt_act_fail(ctx, "%s: give exactly one of '%s' and '%s'", what,
                    text_prop, file_prop);
        return NULL;
    }
    bt_buf b;
    bt_buf_init(&b, DOC_CAP);
    const char *name;
    if (has_file) {
        name = bt_act_str(ctx, file_prop, "");
        bt_error err = {0};
        if (bt_buf_read_file(&b, name, &err) != 0) {
            bt_buf_free(&b);
            bt_act_fail(ctx, "%s: cannot read '%s': %s", what, name,
                        err.message);
            return NULL;
        }
    } else {
        name = text_prop;
        bt_buf_appends(&b, bt_act_str(ctx, text_prop, ""));
    }
    if (b.len > (size_t)0x7fffffff) {
        bt_buf_free(&b);
        bt_act_fail(ctx, "%s: '%s' is too large", what, name);
        return NULL;
    }
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (!pc) {
        bt_buf_free(&b);
        bt_act_fail(ctx, "%s: out of memory", what);
        return NULL;
    }
    /* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD: a document
     * from data cannot read files or expand entity bombs. */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlCtxtReadMemory(pc, bt_buf_str(&b), (int)b.len, NULL,
                                      NULL, options);
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(pc);
        char msg[300] = "not well-formed";
        int line = 0;
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
            line = e->line;
        }
        bt_act_fail(ctx, "%s: %s%s%s is not well-formed XML: %s (line %d)",
                    what, has_file ? "'" : "", name, has_file ? "'" : "",
                    msg, line);
    }
    xmlFreeParserCtxt(pc);
    bt_buf_free(&b);
    return doc;
}
