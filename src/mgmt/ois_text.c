/* Text helpers of the Orchestrator import: names made into Baton
 * identifiers and file names, GUIDs, literal template text, YAML scalars. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

#define OIS_IDENT_MAX 64
#define OIS_FILE_MAX 100

char *ois_identifier(const char *text, const char *fallback) {
    size_t n = text ? strlen(text) : 0;
    char *out = bt_xmalloc(n + 2);
    size_t o = 0;
    bool sep = false;
    for (size_t i = 0; i < n && o < OIS_IDENT_MAX; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isalnum(c) && c < 0x80) {
            if (sep && o) out[o++] = '_';
            sep = false;
            if (o < OIS_IDENT_MAX) out[o++] = (char)tolower(c);
        } else {
            sep = true;
        }
    }
    out[o] = '\0';
    if (!o) {
        free(out);
        return bt_xstrdup(fallback);
    }
    if (isdigit((unsigned char)out[0])) {
        memmove(out + 1, out, o + 1);
        out[0] = '_';
    }
    return out;
}

char *ois_normalize(const char *text) {
    size_t n = text ? strlen(text) : 0;
    char *out = bt_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80 && isalnum(c)) out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return out;
}

bool ois_same_name(const char *a, const char *b) {
    char *na = ois_normalize(a), *nb = ois_normalize(b);
    bool same = na[0] && strcmp(na, nb) == 0;
    free(na);
    free(nb);
    return same;
}

char *ois_folder_join(const char *path, const char *name) {
    char *clean = bt_xstrdup(name);
    for (char *p = clean; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20) *p = '_';
    char *out =
        bt_xasprintf("%s%s%s", path, strcmp(path, "/") ? "/" : "", clean);
    free(clean);
    return out;
}

char *ois_file_component(const char *text) {
    size_t n = text ? strlen(text) : 0;
    if (n > OIS_FILE_MAX) {
        n = OIS_FILE_MAX;
        while (n && ((unsigned char)text[n] & 0xC0) == 0x80) n--; /* UTF-8 */
    }
    char *out = bt_xmalloc(n + 8);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f || strchr("/\\:*?\"<>|", c))
            out[o++] = '_';
        else if (c == ' ')
            out[o++] = '-';
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
    if (!o) {
        free(out);
        return bt_xstrdup("unnamed");
    }
    if (out[0] == '.') out[0] = '_'; /* never ".", ".." or hidden */
    return out;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *ois_guid(const char *text) {
    if (!text) return NULL;
    while (isspace((unsigned char)*text)) text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1])) n--;
    if (n == 38 && text[0] == '{' && text[37] == '}') {
        text++;
        n = 36;
    }
    if (n != 36) return NULL;
    char *out = bt_xmalloc(39);
    out[0] = '{';
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : hexval((unsigned char)text[i]) < 0) {
            free(out);
            return NULL;
        }
        out[1 + i] = (char)toupper((unsigned char)text[i]);
    }
    out[37] = '}';
    out[38] = '\0';
    return out;
}

static bool ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Length of a Baton reference ({a.b} or {var:x}) at s, or 0. Mirrors the
 * template compiler's rule (src/engine/template.c), which is not exported. */
static size_t ref_at(const char *s, size_t n) {
    if (n < 5 || s[0] != '{') return 0;
    size_t a = 1;
    while (a < n && ident_char(s[a])) a++;
    if (a == 1 || a >= n || (s[a] != '.' && s[a] != ':')) return 0;
    if (s[a] == ':' && (a != 4 || memcmp(s + 1, "var", 3) != 0)) return 0;
    size_t f = a + 1;
    while (f < n && ident_char(s[f])) f++;
    if (f == a + 1 || f >= n || s[f] != '}') return 0;
    return f + 1;
}

void ois_template_literal(bt_buf *b, const char *text, size_t len) {
    size_t i = 0, start = 0;
    while (i < len) {
        size_t m = text[i] == '{' ? ref_at(text + i, len - i) : 0;
        if (!m) {
            i++;
            continue;
        }
        bt_buf_append(b, text + start, i - start);
        bt_buf_appendc(b, '{');
        bt_buf_append(b, text + i, m);
        bt_buf_appendc(b, '}');
        i += m;
        start = i;
    }
    bt_buf_append(b, text + start, len - start);
}

size_t ois_clean_text(char *s) {
    size_t o = 0, removed = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r') {
            if (s[i + 1] != '\n') s[o++] = '\n';
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            removed++;
            continue;
        }
        s[o++] = (char)c;
    }
    s[o] = '\0';
    return removed;
}

/* ---- YAML ---------------------------------------------------------------- */

void oy_quoted(bt_buf *b, const char *s) {
    bt_buf_appendc(b, '"');
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '"':
            bt_buf_appends(b, "\\\"");
            break;
        case '\\':
            bt_buf_appends(b, "\\\\");
            break;
        case '\n':
            bt_buf_appends(b, "\\n");
            break;
        case '\t':
            bt_buf_appends(b, "\\t");
            break;
        default:
            bt_buf_appendc(b, *p);
        }
    }
    bt_buf_appendc(b, '"');
}

/* A multi-line text reads best as a literal block, as a script does in a
 * hand-written runbook; a block cannot start with indentation, so those
 * texts stay quoted. */
static bool block_ok(const char *s) {
    if (!strchr(s, '\n') || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') return false;
    /* A line of only spaces would be taken for indentation. */
    for (const char *p = s; *p; p++)
        if (*p == '\n' && p[1] == ' ') {
            const char *q = p + 1;
            while (*q == ' ') q++;
            if (*q == '\n' || *q == '\0') return false;
        }
    return true;
}

void oy_scalar(bt_buf *b, const char *s, int indent) {
    if (!s) s = "";
    if (!block_ok(s)) {
        oy_quoted(b, s);
        bt_buf_appendc(b, '\n');
        return;
    }
    size_t len = strlen(s), trail = 0;
    while (trail < len && s[len - 1 - trail] == '\n') trail++;
    bt_buf_appends(b, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
    size_t body = len - trail;
    const char *p = s, *end = s + body;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n) bt_buf_printf(b, "%*s", indent + 2, "");
        bt_buf_append(b, p, n);
        bt_buf_appendc(b, '\n');
        p += n + 1;
    }
    for (size_t i = 1; i < trail; i++) bt_buf_appendc(b, '\n');
}

void oy_key(bt_buf *b, int indent, const char *key) {
    bt_buf_printf(b, "%*s%s:", indent, "", key);
}

void oy_key_scalar(bt_buf *b, int indent, const char *key, const char *s) {
    oy_key(b, indent, key);
    bt_buf_appendc(b, ' ');
    oy_scalar(b, s, indent);
}
