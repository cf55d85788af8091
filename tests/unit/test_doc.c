/* The YAML/JSON document parser: positions, null handling, the limits
 * against hostile files, and the YAML features a runbook refuses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/buf.h"
#include "common/util.h"
#include "runbook/doc.h"

static bt_doc *parse_ok(const char *text) {
    bt_doc *doc = NULL;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_doc_parse_string("t.yaml", text, strlen(text), &doc, &err);
    if (rc) fprintf(stderr, "unexpected: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(doc);
    return doc;
}

/* Parses text (len bytes), expects failure with code, message containing
 * want, at line:column (0 = don't check). */
static void parse_fails_n(const char *text, size_t len, int code,
                          const char *want, int line, int column) {
    bt_doc *doc = (bt_doc *)1;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_doc_parse_string("t.yaml", text, len, &doc, &err);
    if (rc == 0 || !strstr(err.message, want))
        fprintf(stderr, "rc=%d message: %s (want '%s')\n", rc, err.message,
                want);
    assert_int_equal(rc, -code);
    assert_null(doc);
    assert_non_null(strstr(err.message, want));
    assert_string_equal(err.file, "t.yaml");
    if (line) assert_int_equal(err.line, line);
    if (column) assert_int_equal(err.column, column);
}

static void parse_fails(const char *text, int code, const char *want,
                        int line, int column) {
    parse_fails_n(text, strlen(text), code, want, line, column);
}

static void test_positions_and_kinds(void **state) {
    (void)state;
    bt_doc *doc = parse_ok("name: Restart\n"
                           "list:\n"
                           "  - one\n"
                           "  - \"two\"\n"
                           "  - {k: v, n: 12}\n"
                           "empty:\n"
                           "tilde: ~\n"
                           "null_word: null\n"
                           "quoted_null: \"null\"\n"
                           "single: ''\n"
                           "text: h\xc3\xa9llo w\n");
    const bt_node *root = doc->root;
    assert_int_equal(root->kind, BT_NODE_MAP);
    assert_int_equal(root->count, 8);
    assert_int_equal(root->line, 1);
    assert_int_equal(root->column, 1);
    const bt_node *name = bt_node_get(root, "name");
    assert_int_equal(name->kind, BT_NODE_SCALAR);
    assert_string_equal(name->str, "Restart");
    assert_int_equal(name->len, 7);
    assert_int_equal(name->line, 1);
    assert_int_equal(name->column, 7);
    assert_false(name->quoted);
    assert_int_equal(root->keys[0]->line, 1);
    assert_int_equal(root->keys[0]->column, 1);

    const bt_node *list = bt_node_get(root, "list");
    assert_int_equal(list->kind, BT_NODE_SEQ);
    assert_int_equal(list->count, 3);
    assert_null(list->keys);
    assert_int_equal(list->items[0]->line, 3);
    assert_int_equal(list->items[0]->column, 5);
    assert_true(list->items[1]->quoted);
    assert_string_equal(list->items[1]->str, "two");
    const bt_node *m = list->items[2];
    assert_int_equal(m->kind, BT_NODE_MAP);
    assert_int_equal(m->line, 5);
    assert_int_equal(m->column, 5);
    assert_string_equal(bt_node_get(m, "n")->str, "12");
    assert_int_equal(bt_node_get(m, "n")->column, 15);

    assert_int_equal(bt_node_get(root, "empty")->kind, BT_NODE_NULL);
    assert_string_equal(bt_node_get(root, "empty")->str, "");
    assert_int_equal(bt_node_get(root, "tilde")->kind, BT_NODE_NULL);
    assert_int_equal(bt_node_get(root, "null_word")->kind, BT_NODE_NULL);
    assert_int_equal(bt_node_get(root, "quoted_null")->kind, BT_NODE_SCALAR);
    assert_string_equal(bt_node_get(root, "quoted_null")->str, "null");
    const bt_node *single = bt_node_get(root, "single");
    assert_int_equal(single->kind, BT_NODE_SCALAR);
    assert_true(single->quoted);
    assert_int_equal(single->len, 0);
    /* Columns count characters, not bytes. */
    assert_int_equal(bt_node_get(root, "text")->column, 7);

    assert_null(bt_node_get(root, "missing"));
    assert_null(bt_node_get(list, "name"));
    assert_null(bt_node_get(NULL, "name"));
    bt_doc_free(doc);
    bt_doc_free(NULL);
}

static void test_empty_documents(void **state) {
    (void)state;
    const char *empties[] = {"", "\n\n", "# only a comment\n", "---\n"};
    for (size_t i = 0; i < BT_ARRAY_LEN(empties); i++) {
        bt_doc *doc = parse_ok(empties[i]);
        assert_true(doc->root == NULL || doc->root->kind == BT_NODE_NULL);
        bt_doc_free(doc);
    }
}

static void test_block_and_multiline_scalars(void **state) {
    (void)state;
    bt_doc *doc = parse_ok("script: |\n"
                           "  echo one\n"
                           "  echo two\n"
                           "folded: >-\n"
                           "  a\n"
                           "  b\n");
    assert_string_equal(bt_node_get(doc->root, "script")->str,
                        "echo one\necho two\n");
    assert_string_equal(bt_node_get(doc->root, "folded")->str, "a b");
    bt_doc_free(doc);
}

static void test_json_input(void **state) {
    (void)state;
    /* Pretty-printed JSON as tools write it: tabs, no spaces after ':',
     * true/false/null and numbers. */
    const char *json =
        "{\n"
        "\t\"name\":\"Restart\",\n"
        "\t\"folder\": \"/Ops\",\n"
        "\t\"activities\": [\n"
        "\t\t{\"id\": \"start\", \"type\": \"initialize-data\"},\n"
        "\t\t{\"id\":\"done\",\"type\":\"return-data\",\"properties\":"
        "{\"ok\":true,\"n\":3.5,\"none\":null}}\n"
        "\t],\n"
        "\t\"links\": [{\"from\": \"start\", \"to\": \"done\"}]\n"
        "}\n";
    bt_doc *doc = parse_ok(json);
    const bt_node *root = doc->root;
    assert_int_equal(root->kind, BT_NODE_MAP);
    assert_string_equal(bt_node_get(root, "name")->str, "Restart");
    assert_int_equal(bt_node_get(root, "name")->line, 2);
    const bt_node *acts = bt_node_get(root, "activities");
    assert_int_equal(acts->count, 2);
    const bt_node *props = bt_node_get(acts->items[1], "properties");
    assert_string_equal(bt_node_get(props, "ok")->str, "true");
    assert_false(bt_node_get(props, "ok")->quoted);
    assert_string_equal(bt_node_get(props, "n")->str, "3.5");
    assert_int_equal(bt_node_get(props, "none")->kind, BT_NODE_NULL);
    assert_int_equal(acts->items[1]->line, 6);
    bt_doc_free(doc);

    /* JSON's escapes. */
    doc = parse_ok("{\"s\": \"tab\\there \\u00e9 \\\"q\\\"\"}");
    assert_string_equal(bt_node_get(doc->root, "s")->str,
                        "tab\there \xc3\xa9 \"q\"");
    bt_doc_free(doc);
}

static void test_syntax_error_position(void **state) {
    (void)state;
    parse_fails("a: 1\nb: [1, 2\nc: 3\n", BT_ESYNTAX, "invalid YAML", 0, 0);
    parse_fails("a: 1\n  b: 2\n", BT_ESYNTAX,
                "mapping values are not allowed", 2, 4);
    parse_fails("key: \"unterminated\n", BT_ESYNTAX, "invalid YAML", 0, 0);
}

static void test_depth_limit(void **state) {
    (void)state;
    char text[2100];
    memset(text, '[', 1000);
    memset(text + 1000, ']', 1000);
    text[2000] = '\0';
    parse_fails(text, BT_ETOOBIG, "nested more than 64 levels", 1, 65);

    /* Exactly at the limit is fine. */
    memset(text, '[', BT_DOC_MAX_DEPTH);
    memset(text + BT_DOC_MAX_DEPTH, ']', BT_DOC_MAX_DEPTH);
    text[2 * BT_DOC_MAX_DEPTH] = '\0';
    bt_doc *doc = parse_ok(text);
    bt_doc_free(doc);

    /* Block style nesting counts the same way. */
    bt_buf b;
    bt_buf_init(&b, 0);
    for (int i = 0; i < 100; i++) {
        for (int k = 0; k < i; k++) bt_buf_appends(&b, " ");
        bt_buf_appends(&b, "k:\n");
    }
    parse_fails(bt_buf_str(&b), BT_ETOOBIG, "BT_DOC_MAX_DEPTH", 65, 0);
    bt_buf_free(&b);
}

static void test_scalar_limit(void **state) {
    (void)state;
    size_t n = (size_t)2 << 20;
    char *text = bt_xmalloc(n + 16);
    memcpy(text, "big: ", 5);
    memset(text + 5, 'x', n);
    strcpy(text + 5 + n, "\n");
    parse_fails(text, BT_ETOOBIG, "over the limit of 1048576 bytes", 1, 6);
    free(text);
}

static void test_node_limit(void **state) {
    (void)state;
    size_t count = 300000;
    char *text = bt_xmalloc(count * 2 + 8);
    char *p = text;
    *p++ = '[';
    for (size_t i = 0; i < count; i++) {
        *p++ = '1';
        *p++ = ',';
    }
    p[-1] = ']';
    *p = '\0';
    parse_fails(text, BT_ETOOBIG, "more than 200000 values", 1, 0);
    free(text);
}

static void test_file_size_limit(void **state) {
    (void)state;
    size_t n = BT_DOC_MAX_BYTES + 1;
    char *text = bt_xmalloc(n + 1);
    memset(text, '#', n);
    text[n] = '\0';
    parse_fails_n(text, n, BT_ETOOBIG, "BT_DOC_MAX_BYTES", 0, 0);
    free(text);
}

static void test_aliases_refused(void **state) {
    (void)state;
    parse_fails("base: &b {x: 1}\ncopy: *b\n", BT_ESYNTAX,
                "YAML anchors and aliases are not supported", 1, 7);
    parse_fails("a: *nothing\n", BT_ESYNTAX,
                "YAML anchors and aliases are not supported", 1, 4);
    /* Billion laughs: refused at the first anchor, long before any
     * expansion could happen. */
    const char *laughs =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    parse_fails(laughs, BT_ESYNTAX, "anchors and aliases", 1, 4);
    parse_fails("- &x one\n", BT_ESYNTAX, "anchors and aliases", 1, 3);
}

static void test_duplicate_keys(void **state) {
    (void)state;
    parse_fails("name: a\nid: 1\nname: b\n", BT_EINVAL,
                "duplicate key 'name' (first at line 1)", 3, 1);
    parse_fails("activities:\n  - {id: a, type: x, id: b}\n", BT_EINVAL,
                "duplicate key 'id' (first at line 2)", 2, 22);
    /* A big map takes the sorting path; the earliest repeat is named. */
    bt_buf b;
    bt_buf_init(&b, 0);
    for (int i = 0; i < 5000; i++) bt_buf_printf(&b, "k%d: %d\n", i, i);
    bt_buf_appends(&b, "k4000: again\nk17: again\n");
    parse_fails(bt_buf_str(&b), BT_EINVAL,
                "duplicate key 'k4000' (first at line 4001)", 5001, 1);
    bt_buf_free(&b);
    /* Same text, different quoting: still the same key. */
    parse_fails("a: 1\n\"a\": 2\n", BT_EINVAL, "duplicate key 'a'", 2, 1);
}

static void test_non_scalar_keys(void **state) {
    (void)state;
    parse_fails("? [a, b]\n: c\n", BT_ESYNTAX, "a map key must be text", 1,
                3);
    parse_fails("{{a: 1}: 2}\n", BT_ESYNTAX, "a map key must be text, not a map",
                1, 2);
    parse_fails("~: x\n", BT_ESYNTAX, "not an empty value", 1, 1);
}

static void test_multiple_documents(void **state) {
    (void)state;
    parse_fails("a: 1\n---\nb: 2\n", BT_ESYNTAX,
                "a second YAML document starts here", 2, 1);
    parse_fails("--- a\n...\n--- b\n", BT_ESYNTAX, "second YAML document", 3,
                1);
}

static void test_tags(void **state) {
    (void)state;
    bt_doc *doc = parse_ok("a: !!str 123\nb: !!int 5\nc: !!str null\n");
    assert_true(bt_node_get(doc->root, "a")->quoted);
    assert_false(bt_node_get(doc->root, "b")->quoted);
    assert_int_equal(bt_node_get(doc->root, "c")->kind, BT_NODE_SCALAR);
    bt_doc_free(doc);
    parse_fails("a: !!binary aGVsbG8=\n", BT_ESYNTAX,
                "YAML tag 'tag:yaml.org,2002:binary' is not supported", 1, 4);
    parse_fails("a: !custom {x: 1}\n", BT_ESYNTAX, "is not supported", 1, 4);
}

static void test_nul_and_control_bytes(void **state) {
    (void)state;
    const char text[] = "name: x\nid: a\0b\n";
    parse_fails_n(text, sizeof text - 1, BT_ESYNTAX, "NUL byte", 2, 6);
    /* An escaped NUL in a quoted string is refused too. */
    parse_fails("a: \"x\\0y\"\n", BT_ESYNTAX, "NUL character", 1, 4);
    parse_fails("a: b\x07\n", BT_ESYNTAX, "not valid", 1, 5);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    parse_fails("name: caf\xe9\n", BT_ESYNTAX, "not valid UTF-8", 1, 10);
    parse_fails("a: 1\nb: \xff\xfe\n", BT_ESYNTAX, "0xFF at byte offset 8", 2, 4);
    /* A lead byte without its continuation: libyaml points at the byte
     * that should have continued it. */
    parse_fails("a: \xc3\n", BT_ESYNTAX, "UTF-8", 1, 5);
}

/* xorshift: deterministic junk, same on every run and machine. */
static uint32_t next_rand(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void test_binary_junk(void **state) {
    (void)state;
    uint32_t seed = 0x9E3779B9u;
    char buf[4096];
    int failures = 0;
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + next_rand(&seed) % sizeof buf;
        for (size_t i = 0; i < n; i++) buf[i] = (char)next_rand(&seed);
        bt_doc *doc = NULL;
        bt_error err;
        bt_error_clear(&err);
        int rc = bt_doc_parse_string("junk.bin", buf, n, &doc, &err);
        if (rc) {
            failures++;
            assert_null(doc);
            assert_true(err.message[0] != '\0');
            assert_true(err.line >= 1);
            assert_true(err.column >= 1);
        }
        bt_doc_free(doc);
    }
    assert_true(failures > 250);
}

static void test_parse_file(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *path = bt_harness_path(dir, "rb.yaml");
    bt_harness_write_file(path, "name: x\nlist: [a, b]\n");
    bt_doc *doc;
    bt_error err;
    bt_error_clear(&err);
    assert_int_equal(bt_doc_parse_file(path, &doc, &err), 0);
    assert_string_equal(doc->file, path);
    assert_int_equal(bt_node_get(doc->root, "list")->count, 2);
    bt_doc_free(doc);

    char *missing = bt_harness_path(dir, "none.yaml");
    assert_int_equal(bt_doc_parse_file(missing, &doc, &err), -BT_ENOTFOUND);
    assert_null(doc);
    assert_string_equal(err.file, missing);

    bt_harness_write_file(path, "a: [1\n");
    assert_int_equal(bt_doc_parse_file(path, &doc, &err), -BT_ESYNTAX);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    free(missing);
    free(path);
    bt_harness_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions_and_kinds),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_block_and_multiline_scalars),
        cmocka_unit_test(test_json_input),
        cmocka_unit_test(test_syntax_error_position),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_scalar_limit),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_file_size_limit),
        cmocka_unit_test(test_aliases_refused),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_non_scalar_keys),
        cmocka_unit_test(test_multiple_documents),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_nul_and_control_bytes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_parse_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
