/* The OData v2 endpoint at /Orchestrator2012/Orchestrator.svc/: resource
 * paths (service document, $metadata, Set, Set(guid'…'), navigation,
 * properties, $count, $value), query options, content negotiation,
 * Orchestrator's server paging (50 entries and a next link), and OData's
 * error format. The writes (start and stop a job) are in odata_write.c. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "web/auth.h"
#include "web/odata.h"

#define DSV_1 "1.0;"
#define DSV_2 "2.0;"
#define CT_FEED "application/atom+xml;type=feed;charset=utf-8"
#define CT_ENTRY "application/atom+xml;type=entry;charset=utf-8"
#define CT_XML "application/xml;charset=utf-8"
#define CT_JSON "application/json;charset=utf-8"
#define CT_TEXT "text/plain;charset=utf-8"
#define MAX_SEGMENTS 8

/* ---- answers ---------------------------------------------------------- */

void od_answer(od_ctx *c, unsigned status, const char *content_type,
               bt_buf *b) {
    bt_web_req *r = c->r;
    json_decref(r->reply);
    r->reply = NULL;
    free(r->text);
    r->text_len = b ? b->len : 0;
    r->text = b ? bt_buf_detach(b) : NULL;
    r->status = status;
    r->content_type = content_type;
    if (!r->data_service_version) r->data_service_version = DSV_1;
}

void od_error(od_ctx *c, unsigned status, const char *code, const char *fmt,
              ...) {
    char msg[BT_ERROR_MESSAGE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bt_buf b;
    bt_buf_init(&b, 0);
    if (c->json) od_json_error(&b, code, msg);
    else od_atom_error(&b, code, msg);
    c->r->data_service_version = DSV_1;
    free(c->r->location);
    c->r->location = NULL;
    od_answer(c, status, c->json ? CT_JSON : CT_XML, &b);
}

/* ---- request ---------------------------------------------------------- */

/* Links are absolute, on the host and port the client used. */
static char *base_url(bt_web_req *r) {
    const char *host = bt_web_header(r, "Host");
    if (!host || !*host || strpbrk(host, "\"<>'\\ \t\r\n"))
        host = "localhost";
    return bt_xasprintf("http://%s" BT_ODATA_ROOT "/", host);
}

/* $format wins; else the Accept header's first OData media type. */
static bool wants_json(bt_web_req *r) {
    const char *f = bt_web_query(r, "$format");
    if (f && !strcasecmp(f, "json")) return true;
    if (f && (!strcasecmp(f, "atom") || !strcasecmp(f, "xml"))) return false;
    const char *accept = bt_web_header(r, "Accept");
    if (!accept) return false;
    const char *j = strcasestr(accept, "application/json");
    if (!j) return false;
    const char *a = strcasestr(accept, "application/atom+xml");
    const char *x = strcasestr(accept, "application/xml");
    return (!a || j < a) && (!x || j < x);
}

/* Orchestrator's own scripts tunnel MERGE through POST. */
static const char *effective_method(bt_web_req *r) {
    if (strcmp(r->method, "POST")) return r->method;
    const char *m = bt_web_header(r, "X-HTTP-Method");
    if (!m || !*m) m = bt_web_header(r, "X-HTTP-Method-Override");
    return m && *m ? m : r->method;
}

static const char *const known_options[] = {
    "$filter", "$orderby", "$top", "$skip", "$select", "$expand",
    "$inlinecount", "$format", "$skiptoken", NULL};

typedef struct arg_check {
    const char *stranger;
} arg_check;

static enum MHD_Result check_option(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value) {
    arg_check *a = cls;
    if (key[0] != '$') return MHD_YES; /* custom options are allowed */
    for (size_t i = 0; known_options[i]; i++)
        if (!strcmp(known_options[i], key)) return MHD_YES;
    a->stranger = key;
    return MHD_NO;
}

static bool parse_count(od_ctx *c, const char *name, long long *out) {
    const char *v = bt_web_query(c->r, name);
    if (!v) return true;
    int64_t n;
    if (!bt_parse_int64(v, &n) || n < 0) {
        od_error(c, 400, "BadRequest",
                 "%s must be a non-negative integer, got '%s'", name, v);
        return false;
    }
    *out = n;
    return true;
}

/* ---- next links ------------------------------------------------------- */

static void url_encode(bt_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || strchr("-_.~$'(),/:", ch)) {
            bt_buf_appendc(b, (char)ch);
        } else {
            bt_buf_appendc(b, '%');
            bt_buf_appendc(b, hex[ch >> 4]);
            bt_buf_appendc(b, hex[ch & 15]);
        }
    }
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value) {
    bt_buf *b = cls;
    if (!strcmp(key, "$skiptoken")) return MHD_YES;
    url_encode(b, key);
    if (value) {
        bt_buf_appendc(b, '=');
        url_encode(b, value);
    }
    bt_buf_appendc(b, '&');
    return MHD_YES;
}

static char *next_link(od_ctx *c, const char *self, long long token) {
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_printf(&b, "%s%s?", c->base, self);
    MHD_get_connection_values(c->r->conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    bt_buf_printf(&b, "$skiptoken=%lld", token);
    return bt_buf_detach(&b);
}

/* ---- resource paths --------------------------------------------------- */

typedef struct segment {
    char *name;
    bool has_key;
    char key[BT_GUID_LEN];
} segment;

/* "Runbooks(guid'…')": keys as guid'…', '…' or Id=guid'…'. */
static bool parse_segment(od_ctx *c, char *text, segment *seg) {
    memset(seg, 0, sizeof *seg);
    seg->name = text;
    char *open = strchr(text, '(');
    if (!open) return true;
    size_t len = strlen(open);
    if (open[len - 1] != ')') goto bad;
    *open = '\0';
    char *k = open + 1;
    open[len - 1] = '\0';
    char *eq = strchr(k, '=');
    if (eq) k = eq + 1;
    if (!strncasecmp(k, "guid", 4)) k += 4;
    size_t kl = strlen(k);
    if (kl >= 2 && k[0] == '\'' && k[kl - 1] == '\'') {
        k++;
        kl -= 2;
    }
    if (!od_guid_parse(k, kl, seg->key)) goto bad;
    seg->has_key = true;
    return true;
bad:
    od_error(c, 400, "BadRequest",
             "bad key in segment '%s': expected (guid'xxxxxxxx-xxxx-xxxx-"
             "xxxx-xxxxxxxxxxxx')", seg->name);
    return false;
}

static json_t *find_key(const od_set *set, json_t *rows, const char *key) {
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *k = json_string_value(json_object_get(row,
                                                          set->props[0].name));
        if (k && !strcasecmp(k, key)) return row;
    }
    return NULL;
}

/* ---- answers for GET -------------------------------------------------- */

static bool load_failed(od_ctx *c) {
    od_error(c, 500, "InternalError", "the orchestration database failed: %s",
             c->err.message[0] ? c->err.message : "unknown error");
    return false;
}

/* ---- kept Jobs pages ----------------------------------------------------- */

/* A page of the Jobs feed read through the store (odata_jobs.c) is made of
 * jobs, the runbooks and servers they name and the caller's rights alone,
 * so it is kept (answers.c) while the jobs and catalog counters hold: a
 * script polling the feed, or many of them, costs one counter read per
 * request until a job changes. Where jobs are not counted (PostgreSQL)
 * nothing is kept. */
#define PAGE_USES (BT_WEB_USES_CATALOG | BT_WEB_USES_PURGE | BT_WEB_USES_JOBS)

static enum MHD_Result key_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value) {
    bt_buf *b = cls;
    url_encode(b, key);
    bt_buf_appendc(b, value ? '=' : '!');
    if (value) url_encode(b, value);
    bt_buf_appendc(b, '&');
    return MHD_YES;
}

/* Everything the answer depends on besides the counters: the caller (their
 * rights), the media type, the base of the links (Host), the path and
 * every query argument (the next link repeats them). */
static char *page_key(od_ctx *c) {
    const char *who = bt_auth_enabled(c->r) ? c->r->user : NULL;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_printf(&b, "odata\n%c%s\n%c\n%s\n%s\n", who ? 'u' : '-',
                  who ? who : "", c->json ? 'j' : 'a', c->base, c->r->path);
    MHD_get_connection_values(c->r->conn, MHD_GET_ARGUMENT_KIND, key_arg, &b);
    return bt_buf_detach(&b);
}

/* rows: the set's entities, or NULL to read them only when the query
 * cannot be answered from the store directly (od_jobs_page). */
static void answer_collection(od_ctx *c, const od_set *set, json_t *rows,
                              const char *self, const od_prop *pin,
                              const char *pin_key) {
    /* an expanded page shows instances and activities, which the jobs
     * counter does not follow: never kept */
    const char *expand = bt_web_query(c->r, "$expand");
    char *key = set->id == OD_JOBS && !rows && !(expand && *expand)
                    ? page_key(c)
                    : NULL;
    if (key && bt_web_answer_kept(c->r, key, PAGE_USES, 200,
                                  c->json ? CT_JSON : CT_FEED)) {
        c->r->data_service_version = DSV_2;
        free(key);
        return;
    }
    const char *ftext = bt_web_query(c->r, "$filter");
    const char *otext = bt_web_query(c->r, "$orderby");
    const char *ic = bt_web_query(c->r, "$inlinecount");
    long long skip = 0, top = -1, token = 0;
    if (!parse_count(c, "$skip", &skip) || !parse_count(c, "$top", &top) ||
        !parse_count(c, "$skiptoken", &token)) {
        free(key);
        return;
    }
    if (ic && strcmp(ic, "allpages") && strcmp(ic, "none")) {
        od_error(c, 400, "BadRequest",
                 "$inlinecount must be allpages or none, got '%s'", ic);
        free(key);
        return;
    }
    char msg[256] = "";
    od_expr *filter = NULL;
    od_order *order = NULL;
    size_t n_order = 0;
    od_shape *sh = NULL;
    json_t *sel = json_array(), *owned = NULL;
    if (ftext && !(filter = od_filter_parse(set, ftext, msg, sizeof msg))) {
        od_error(c, 400, "BadRequest", "%s", msg);
        goto done;
    }
    if (pin) filter = od_filter_pin(filter, set, pin, pin_key);
    if (otext && od_orderby_parse(set, otext, &order, &n_order, msg,
                                  sizeof msg)) {
        od_error(c, 400, "BadRequest", "%s", msg);
        goto done;
    }
    sh = od_shape_parse(set, bt_web_query(c->r, "$select"),
                        bt_web_query(c->r, "$expand"), msg, sizeof msg);
    if (!sh) {
        od_error(c, 400, "BadRequest", "%s", msg);
        goto done;
    }
    bool want_total = ic && !strcmp(ic, "allpages");
    json_t *page = NULL;
    long long total = -1;
    bool more = false;
    if (!rows) {
        int rc = set->id == OD_JOBS
                     ? od_jobs_page(c, filter, order, n_order, skip, top,
                                    token, want_total, &page, &total, &more)
                     : od_window_page(c, set, filter, order, n_order, skip,
                                      top, token, want_total, &page, &total,
                                      &more);
        if (rc < 0) {
            load_failed(c);
            goto done;
        }
    }
    bool pushed = page != NULL; /* read through the store's query */
    if (!page && !rows && !(rows = owned = od_filter_rows(c, set, filter))) {
        load_failed(c);
        goto done;
    }
    if (!page) {
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            if (!filter || od_filter_match(c, filter, row))
                json_array_append(sel, row);
        }
        od_sort(set, sel, order, n_order);
        total = (long long)json_array_size(sel);
        long long avail = total > skip ? total - skip : 0;
        if (top >= 0 && top < avail) avail = top;
        page = json_array();
        for (long long k = token; k < avail && k < token + OD_PAGE_SIZE; k++)
            json_array_append(page, json_array_get(sel, (size_t)(skip + k)));
        more = token + OD_PAGE_SIZE < avail;
    }
    char *next = more ? next_link(c, self, token + OD_PAGE_SIZE) : NULL;
    od_feed f = {set, self, page, want_total ? total : -1, next};
    bt_buf b;
    bt_buf_init(&b, 0);
    int rc = c->json ? od_json_feed(c, &f, sh, &b) : od_atom_feed(c, &f, sh, &b);
    free(next);
    json_decref(page);
    if (rc) {
        bt_buf_free(&b);
        load_failed(c);
        goto done;
    }
    if (key && pushed)
        bt_web_answer_keep(c->r, key, PAGE_USES, !c->json, b.data, b.len);
    c->r->data_service_version = DSV_2;
    od_answer(c, 200, c->json ? CT_JSON : CT_FEED, &b);
done:
    free(key);
    json_decref(owned);
    json_decref(sel);
    od_shape_free(sh);
    free(order);
    od_expr_free(filter);
}

/* Set/$count of a whole set answered by the store's count (Jobs, with a
 * filter it can take; the instance sets without one): the count, -1 when
 * the store cannot answer it, or below -1 on a store failure. */
static long long set_count(od_ctx *c, const od_set *set,
                           const od_expr *filter) {
    json_t *page = NULL;
    long long total = -1;
    bool more = false;
    int rc = set->id == OD_JOBS
                 ? od_jobs_page(c, filter, NULL, 0, 0, 0, 0, true, &page,
                                &total, &more)
                 : od_window_page(c, set, filter, NULL, 0, 0, 0, 0, true,
                                  &page, &total, &more);
    json_decref(page);
    if (rc < 0) return -2;
    return rc ? total : -1;
}

static void answer_entity(od_ctx *c, const od_set *set, json_t *entity,
                          unsigned status) {
    char msg[256] = "";
    od_shape *sh = od_shape_parse(set, bt_web_query(c->r, "$select"),
                                  bt_web_query(c->r, "$expand"), msg,
                                  sizeof msg);
    if (!sh) {
        od_error(c, 400, "BadRequest", "%s", msg);
        return;
    }
    bt_buf b;
    bt_buf_init(&b, 0);
    int rc = c->json ? od_json_entry(c, set, entity, sh, &b)
                     : od_atom_entry(c, set, entity, sh, &b);
    od_shape_free(sh);
    if (rc) {
        bt_buf_free(&b);
        load_failed(c);
        return;
    }
    od_answer(c, status, c->json ? CT_JSON : CT_ENTRY, &b);
}

void od_answer_entity(od_ctx *c, const od_set *set, json_t *entity,
                      unsigned status) {
    answer_entity(c, set, entity, status);
}

static void answer_property(od_ctx *c, const od_prop *p, json_t *v,
                            bool raw) {
    bt_buf b;
    bt_buf_init(&b, 0);
    if (raw) {
        if (!v || json_is_null(v)) {
            od_error(c, 404, "NotFound", "property '%s' is null", p->name);
            return;
        }
        if (p->type == OD_DATETIME)
            od_format_time(&b, json_integer_value(v), false);
        else if (p->type == OD_INT32)
            bt_buf_printf(&b, "%lld", (long long)json_integer_value(v));
        else if (p->type == OD_BOOL)
            bt_buf_appends(&b, json_is_true(v) ? "true" : "false");
        else
            bt_buf_appends(&b, json_string_value(v));
        od_answer(c, 200, CT_TEXT, &b);
        return;
    }
    if (c->json) {
        od_json_property(p, v, &b);
        od_answer(c, 200, CT_JSON, &b);
        return;
    }
    bt_buf_appends(&b, "<?xml version=\"1.0\" encoding=\"utf-8\" "
                       "standalone=\"yes\"?>\n");
    bt_buf t;
    bt_buf_init(&t, 0);
    od_atom_property(p, v, &t);
    /* the property element carries its own namespace declarations */
    const char *body = bt_buf_str(&t);
    size_t name_end = strcspn(body + 1, " >/") + 1;
    bt_buf_append(&b, body, name_end);
    bt_buf_appends(&b, " xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/"
                       "dataservices\" xmlns:m=\"http://schemas.microsoft.com/"
                       "ado/2007/08/dataservices/metadata\"");
    bt_buf_appends(&b, body + name_end);
    bt_buf_appendc(&b, '\n');
    bt_buf_free(&t);
    od_answer(c, 200, CT_XML, &b);
}

/* The runbook's diagram: activities as boxes in the layered layout that
 * Activities' PositionX/PositionY report, links as lines. */
static void answer_diagram(od_ctx *c, json_t *entity) {
    const char *guid = json_string_value(json_object_get(entity, "RunbookId"));
    size_t idx;
    const bt_runbook *def =
        guid && !od_find_runbook(c, guid, &idx) ? od_runbook_def(c, idx) : NULL;
    if (!def) {
        od_error(c, 404, "NotFound", "runbook %s has no loadable version",
                 guid ? guid : "");
        return;
    }
    size_t n = def->n_activities;
    int *x = bt_xcalloc(n + 1, sizeof *x), *y = bt_xcalloc(n + 1, sizeof *y);
    od_layout(def, x, y);
    int w = 200, h = 100;
    for (size_t i = 0; i < n; i++) {
        if (x[i] + 200 > w) w = x[i] + 200;
        if (y[i] + 100 > h) h = y[i] + 100;
    }
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                      "height=\"%d\" font-family=\"sans-serif\" "
                      "font-size=\"12\">",
                  w, h);
    for (size_t l = 0; l < def->n_links; l++) {
        size_t f = def->links[l].from, t = def->links[l].to;
        bt_buf_printf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                          "stroke=\"#4a7ab5\" stroke-width=\"2\"/>",
                      x[f] + 140, y[f] + 25, x[t], y[t] + 25);
    }
    for (size_t i = 0; i < n; i++) {
        const bt_activity_def *a = &def->activities[i];
        bt_buf_printf(&b, "<rect x=\"%d\" y=\"%d\" width=\"140\" height=\"50\" "
                          "rx=\"6\" fill=\"#eef3fa\" stroke=\"#4a7ab5\"/>"
                          "<text x=\"%d\" y=\"%d\">",
                      x[i], y[i], x[i] + 8, y[i] + 22);
        od_xml_escape(&b, a->name ? a->name : a->id);
        bt_buf_printf(&b, "</text><text x=\"%d\" y=\"%d\" fill=\"#666\" "
                          "font-size=\"10\">",
                      x[i] + 8, y[i] + 38);
        od_xml_escape(&b, a->type_name);
        bt_buf_appends(&b, "</text>");
    }
    bt_buf_appends(&b, "</svg>\n");
    free(x);
    free(y);
    od_answer(c, 200, "image/svg+xml", &b);
}

/* ---- dispatch --------------------------------------------------------- */

static void not_allowed(od_ctx *c, const char *method, const char *what,
                        const char *allow) {
    snprintf(c->r->allow, sizeof c->r->allow, "%s", allow);
    od_error(c, 405, "MethodNotAllowed", "%s is not allowed on %s", method,
             what);
}

static void handle(od_ctx *c, char *rest) {
    const char *method = effective_method(c->r);
    bool get = !strcmp(method, "GET");
    /* a tunnelled method may come in any case */
    bool update = !strcasecmp(method, "MERGE") || !strcasecmp(method, "PUT") ||
                  !strcasecmp(method, "PATCH");
    arg_check ac = {NULL};
    MHD_get_connection_values(c->r->conn, MHD_GET_ARGUMENT_KIND, check_option,
                              &ac);
    if (ac.stranger) {
        od_error(c, 400, "BadRequest", "the query option '%s' is not supported",
                 ac.stranger);
        return;
    }
    const char *fmt = bt_web_query(c->r, "$format");
    if (fmt && strcasecmp(fmt, "json") && strcasecmp(fmt, "atom") &&
        strcasecmp(fmt, "xml")) {
        od_error(c, 400, "BadRequest",
                 "$format must be json, atom or xml, got '%s'", fmt);
        return;
    }
    size_t len = strlen(rest);
    while (len && rest[len - 1] == '/') rest[--len] = '\0';
    if (!*rest || !strcmp(rest, "$metadata")) {
        if (!get) {
            not_allowed(c, method, *rest ? "$metadata" : "the service document",
                        "GET");
            return;
        }
        bt_buf b;
        bt_buf_init(&b, 0);
        if (*rest) {
            od_write_metadata(&b);
            od_answer(c, 200, CT_XML, &b);
        } else {
            od_write_service(c, &b);
            od_answer(c, 200, c->json ? CT_JSON : "application/atomsvc+xml;"
                                                  "charset=utf-8",
                      &b);
        }
        return;
    }
    if (!strcmp(rest, "$batch")) {
        od_error(c, 501, "NotImplemented", "$batch is not supported");
        return;
    }
    char *segs_text[MAX_SEGMENTS];
    size_t n_segs = 0;
    for (char *save = NULL, *s = strtok_r(rest, "/", &save); s;
         s = strtok_r(NULL, "/", &save)) {
        if (n_segs == MAX_SEGMENTS) {
            od_error(c, 400, "BadRequest", "the path has too many segments");
            return;
        }
        segs_text[n_segs++] = s;
    }
    segment seg;
    if (!parse_segment(c, segs_text[0], &seg)) return;
    const od_set *set = od_set_find(seg.name);
    if (!set) {
        od_error(c, 404, "NotFound", "Resource not found for the segment '%s'.",
                 seg.name);
        return;
    }
    c->s = bt_web_store(c->r);
    if (!c->s) {
        od_error(c, 500, "InternalError",
                 "cannot open the orchestration database");
        return;
    }
    if (!strcmp(method, "POST") && n_segs == 1 && !seg.has_key) {
        if (set->id != OD_JOBS) {
            not_allowed(c, method, set->name, "GET");
            return;
        }
        od_jobs_create(c);
        return;
    }
    json_t *rows = NULL, *entity = NULL, *found = NULL;
    if (seg.has_key) {
        if (od_find_entity(c, set, seg.key, &found)) {
            load_failed(c);
            return;
        }
        rows = json_array();
        if (found) json_array_append_new(rows, found);
    } else if (n_segs > 1 && !(n_segs == 2 && !strcmp(segs_text[1], "$count"))) {
        rows = json_array(); /* a segment after a set needs a key: 400 below */
    } /* else a feed of the whole set: answer_collection reads what it needs */
    /* a navigation to a feed, last but for $count, is asked as a filter of
     * the target set (od_filter_pin), so the store can answer it */
    const od_prop *pin = NULL;
    char *pin_key = NULL;
    char *self = bt_xstrdup(seg.name);
    if (seg.has_key) {
        entity = found;
        if (!entity) {
            od_error(c, 404, "NotFound", "Resource not found for the segment "
                                         "'%s(guid'%s')'.", seg.name, seg.key);
            goto done;
        }
        free(self);
        self = od_entity_href(set, entity);
    }
    for (size_t i = 1; i < n_segs; i++) {
        const char *name = segs_text[i];
        if (!strcmp(name, "$count") && !entity && i == n_segs - 1 && get)
            break; /* answered below */
        if (!strcmp(name, "$value") && entity && i == n_segs - 1 && get &&
            set->id == OD_RUNBOOK_DIAGRAMS) {
            answer_diagram(c, entity);
            goto done;
        }
        if (!entity) {
            od_error(c, 400, "BadRequest", "segment '%s' needs a single entity "
                                           "before it; give a key",
                     name);
            goto done;
        }
        const od_prop *p = od_prop_find(set, name);
        if (p && get && (i == n_segs - 1 ||
                         (i == n_segs - 2 && !strcmp(segs_text[i + 1],
                                                     "$value")))) {
            answer_property(c, p, json_object_get(entity, p->name),
                            i == n_segs - 2);
            goto done;
        }
        if (!parse_segment(c, segs_text[i], &seg)) goto done;
        const od_nav *nv = od_nav_find(set, seg.name);
        if (!nv) {
            od_error(c, 404, "NotFound", "Resource not found for the segment "
                                         "'%s'.", segs_text[i]);
            goto done;
        }
        const od_set *target = od_set_find(nv->target);
        const char *want = json_string_value(json_object_get(entity, nv->local));
        bool last = i == n_segs - 1 ||
                    (i == n_segs - 2 && !strcmp(segs_text[i + 1], "$count"));
        const od_prop *remote = od_prop_find(target, nv->remote);
        json_t *nrows = NULL;
        if (get && nv->many && !seg.has_key && last && want && remote &&
            remote->type == OD_GUID) {
            pin = remote;
            pin_key = bt_xstrdup(want);
        } else if (!(nrows = od_nav_rows(c, set, nv, entity))) {
            load_failed(c);
            goto done;
        }
        char *nself = bt_xasprintf("%s/%s", self, seg.name);
        free(self);
        self = nself;
        json_decref(rows);
        rows = nrows;
        set = od_set_find(nv->target);
        entity = NULL;
        if (seg.has_key) {
            entity = nv->many ? find_key(set, rows, seg.key) : NULL;
        } else if (!nv->many) {
            entity = json_array_get(rows, 0);
            if (!entity) {
                od_error(c, 404, "NotFound", "Resource not found for the "
                                             "segment '%s'.", seg.name);
                goto done;
            }
        }
        if (seg.has_key && !entity) {
            od_error(c, 404, "NotFound", "Resource not found for the segment "
                                         "'%s(guid'%s')'.", seg.name, seg.key);
            goto done;
        }
    }
    if (n_segs > 1 && !strcmp(segs_text[n_segs - 1], "$count")) {
        char msg[256] = "";
        const char *ftext = bt_web_query(c->r, "$filter");
        od_expr *filter = ftext ? od_filter_parse(set, ftext, msg, sizeof msg)
                                : NULL;
        if (ftext && !filter) {
            od_error(c, 400, "BadRequest", "%s", msg);
            goto done;
        }
        if (pin) filter = od_filter_pin(filter, set, pin, pin_key);
        long long count = -1;
        if (!rows && (count = set_count(c, set, filter)) < -1) {
            od_expr_free(filter);
            load_failed(c);
            goto done;
        }
        if (!rows && count < 0 && !(rows = od_filter_rows(c, set, filter))) {
            od_expr_free(filter);
            load_failed(c);
            goto done;
        }
        if (count < 0) {
            size_t i;
            json_t *row;
            count = 0;
            json_array_foreach(rows, i, row) count +=
                !filter || od_filter_match(c, filter, row);
        }
        od_expr_free(filter);
        bt_buf b;
        bt_buf_init(&b, 0);
        bt_buf_printf(&b, "%lld", count);
        c->r->data_service_version = DSV_2;
        od_answer(c, 200, CT_TEXT, &b);
        goto done;
    }
    if (update) {
        if (!entity || set->id != OD_JOBS) {
            not_allowed(c, method, self, "GET");
            goto done;
        }
        od_jobs_update(c, entity);
        goto done;
    }
    if (!get) {
        not_allowed(c, method, self,
                    set->id == OD_JOBS ? (entity ? "GET, PUT, MERGE"
                                                 : "GET, POST")
                                       : "GET");
        goto done;
    }
    if (entity) answer_entity(c, set, entity, 200);
    else answer_collection(c, set, rows, self, pin, pin_key);
done:
    free(pin_key);
    free(self);
    json_decref(rows);
}

void bt_odata_handle(bt_web_req *r) {
    od_ctx c = {0};
    c.r = r;
    c.base = base_url(r);
    c.json = wants_json(r);
    c.scope_set = -1;
    char *rest = bt_xstrdup(r->path + strlen(BT_ODATA_ROOT));
    char *p = rest;
    while (*p == '/') p++;
    handle(&c, p);
    if (!r->status) od_error(&c, 500, "InternalError", "no answer was made");
    free(rest);
    od_ctx_clear(&c);
}
