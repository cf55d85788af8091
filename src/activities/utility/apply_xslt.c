/* Apply XSLT: transforms an XML document with an XSLT 1.0 stylesheet
 * (libxslt) and publishes the result or writes it to a file. Stylesheets
 * may not write files or reach the network. */
#include <errno.h>
#include <libxml/parser.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/variables.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activities/utility/xmlutil.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

static const bt_prop_spec props[] = {
    {"stylesheet", BT_PROP_STRING, false, NULL,
     "The XSLT stylesheet (give stylesheet or stylesheet_file).", NULL},
    {"stylesheet_file", BT_PROP_STRING, false, NULL,
     "A file holding the stylesheet.", NULL},
    {"text", BT_PROP_STRING, false, NULL,
     "The XML document (give text or file).", NULL},
    {"file", BT_PROP_STRING, false, NULL,
     "A file holding the XML document.", NULL},
    {"parameters", BT_PROP_MAP, false, NULL,
     "Stylesheet parameters (xsl:param), name: value, passed as strings.",
     NULL},
    {"output_file", BT_PROP_STRING, false, NULL,
     "Write the result here instead of publishing it.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"output", "output_file", "bytes",
                                        NULL};

/* libxslt reports through a process-wide function; each thread collects
 * its own messages. */
static __thread bt_buf *xslt_errors;

static void collect(void *ud, const char *fmt, ...) {
    (void)ud;
    if (!xslt_errors || xslt_errors->len > 2000) return;
    va_list ap;
    va_start(ap, fmt);
    bt_buf_vprintf(xslt_errors, fmt, ap);
    va_end(ap);
}

static const char *errors_text(bt_buf *b) {
    while (b->len &&
           (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
        b->data[--b->len] = '\0';
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] == '\n') b->data[i] = ' ';
    return b->len ? bt_buf_str(b) : "the stylesheet is not valid XSLT";
}

static int write_file(bt_activity_ctx *ctx, const char *path,
                      const xmlChar *data, int len) {
    char *tmp = bt_xasprintf("%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = 0;
    if (!f || (len && fwrite(data, 1, (size_t)len, f) != (size_t)len) ||
        fclose(f) != 0) {
        rc = bt_act_fail(ctx, "apply-xslt: cannot write '%s': %s", path,
                         strerror(errno));
        if (f) unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        rc = bt_act_fail(ctx, "apply-xslt: cannot write '%s': %s", path,
                         strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    const char *const *pk, *const *pv;
    size_t np = bt_act_map(ctx, "parameters", &pk, &pv);
    const char *out_file = bt_act_str(ctx, "output_file", NULL);
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    xmlDocPtr sdoc = bt_xml_load(ctx, "apply-xslt", "stylesheet",
                                 "stylesheet_file");
    if (!sdoc) return -BT_EINVAL;
    xmlDocPtr doc = bt_xml_load(ctx, "apply-xslt", "text", "file");
    if (!doc) {
        xmlFreeDoc(sdoc);
        return -BT_EINVAL;
    }
    bt_buf errs;
    bt_buf_init(&errs, 4096);
    xslt_errors = &errs;
    xsltSetGenericErrorFunc(NULL, collect);
    int rc = 0;
    xsltTransformContextPtr tc = NULL;
    xmlDocPtr res = NULL;
    xsltSecurityPrefsPtr sec = NULL;
    xsltStylesheetPtr ss = xsltParseStylesheetDoc(sdoc);
    if (!ss || ss->errors) {
        rc = bt_act_fail(ctx, "apply-xslt: stylesheet: %s",
                         errors_text(&errs));
        if (!ss) xmlFreeDoc(sdoc);
        goto out;
    }
    sec = xsltNewSecurityPrefs();
    xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid);
    xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY,
                         xsltSecurityForbid);
    xsltSetSecurityPrefs(sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid);
    xsltSetSecurityPrefs(sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid);
    tc = xsltNewTransformContext(ss, doc);
    xsltSetCtxtSecurityPrefs(sec, tc);
    xsltSetTransformErrorFunc(tc, NULL, collect);
    for (size_t i = 0; i < np; i++)
        /* Passed as strings, so a value is never read as XPath. */
        xsltQuoteOneUserParam(tc, (const xmlChar *)pk[i],
                              (const xmlChar *)pv[i]);
    res = xsltApplyStylesheetUser(ss, doc, NULL, NULL, NULL, tc);
    if (!res || tc->state != XSLT_STATE_OK) {
        rc = bt_act_fail(ctx, "apply-xslt: the transformation failed: %s",
                         errors_text(&errs));
        goto out;
    }
    xmlChar *text = NULL;
    int len = 0;
    if (xsltSaveResultToString(&text, &len, res, ss) != 0) {
        rc = bt_act_fail(ctx, "apply-xslt: cannot serialize the result");
        goto out;
    }
    if (out_file && *out_file) {
        rc = write_file(ctx, out_file, text, len);
        if (rc == 0) {
            bt_act_publish(ctx, "output", "");
            bt_act_publish(ctx, "output_file", out_file);
        }
    } else {
        bt_act_publishn(ctx, "output", text ? (const char *)text : "",
                        (size_t)len);
        bt_act_publish(ctx, "output_file", "");
    }
    if (rc == 0) bt_act_publishf(ctx, "bytes", "%d", len);
    xmlFree(text);
out:
    if (res) xmlFreeDoc(res);
    if (tc) xsltFreeTransformContext(tc);
    if (sec) xsltFreeSecurityPrefs(sec);
    if (ss) xsltFreeStylesheet(ss); /* frees sdoc */
    xmlFreeDoc(doc);
    xslt_errors = NULL;
    bt_buf_free(&errs);
    return rc;
}

const bt_activity_type bt_activity_apply_xslt = {
    .name = "apply-xslt",
    .title = "Apply XSLT",
    .category = "utility",
    .description = "Transforms an XML document with an XSLT stylesheet.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
