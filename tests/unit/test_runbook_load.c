/* The runbook loader and validator: the model it builds from valid files,
 * and one test per class of problem, each checking the message and the
 * line:column it points at. Activity types come from a small test table
 * (through the loader's internal entry point) plus the built-in registry,
 * so the checks are tested whatever activities exist; the tests that need
 * a particular built-in type skip when it is not registered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/buf.h"
#include "common/util.h"
#include "engine/template.h"
#include "runbook/load_internal.h"

/* ---- test activity types ---------------------------------------------- */

static const char *const modes[] = {"fast", "slow", NULL};

static const bt_prop_spec exec_props[] = {
    {"command", BT_PROP_STRING, true, NULL, "command", NULL},
    {"arguments", BT_PROP_LIST, false, NULL, "args", NULL},
    {"env", BT_PROP_MAP, false, NULL, "environment", NULL},
    {"retries", BT_PROP_INTEGER, false, "0", "count", NULL},
    {"ratio", BT_PROP_NUMBER, false, NULL, "ratio", NULL},
    {"wait", BT_PROP_BOOLEAN, false, "true", "wait", NULL},
    {"interval", BT_PROP_DURATION, false, NULL, "interval", NULL},
    {"mode", BT_PROP_STRING, false, "fast", "mode", modes},
    {"tags", BT_PROP_LIST, false, NULL, "tags", modes},
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const exec_published[] = {"exit_code", "stdout", NULL};

static const bt_activity_type fake_exec = {
    .name = "fake-exec",
    .title = "Fake Exec",
    .category = "test",
    .props = exec_props,
    .published = exec_published,
};

static const bt_prop_spec script_props[] = {
    {"script", BT_PROP_STRING, true, NULL, "script", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const bt_activity_type fake_script = {
    .name = "fake-script",
    .category = "test",
    .props = script_props,
    .published = NULL,
    .open_published = true,
};

static int complain(const bt_activity_def *def, const bt_runbook *rb,
                    bt_diags *diags) {
    return bt_diags_add(diags, BT_EINVAL, rb->file, def->line, def->column,
                        "fake-checked '%s': always complains", def->id);
}

static const bt_prop_spec no_props[] = {{NULL, 0, 0, NULL, NULL, NULL}};

static const bt_activity_type fake_checked = {
    .name = "fake-checked",
    .category = "test",
    .props = no_props,
    .check = complain,
};

static const bt_activity_type *test_types[256];
static size_t n_test_types;

static void setup_types(void) {
    if (n_test_types) return;
    test_types[n_test_types++] = &fake_exec;
    test_types[n_test_types++] = &fake_script;
    test_types[n_test_types++] = &fake_checked;
    for (size_t i = 0; i < bt_registry_count(NULL) && n_test_types < 256; i++)
        test_types[n_test_types++] = bt_registry_at(NULL, i);
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct loaded {
    int rc;
    bt_runbook *rb;
    bt_diags d;
} loaded;

static void load(const char *yaml, loaded *l) {
    setup_types();
    bt_diags_init(&l->d);
    l->rc = bt__runbook_load_string_types("t.runbook.yaml", yaml,
                                          strlen(yaml), test_types,
                                          n_test_types, &l->rb, &l->d);
}

static void load_builtin(const char *yaml, loaded *l) {
    bt_diags_init(&l->d);
    l->rc = bt_runbook_load_string("t.runbook.yaml", yaml, strlen(yaml), NULL,
                                   &l->rb, &l->d);
}

static void loaded_free(loaded *l) {
    bt_runbook_free(l->rb);
    bt_diags_free(&l->d);
}

static void print_diags(const loaded *l) {
    char line[1024];
    for (size_t i = 0; i < l->d.count && i < 20; i++) {
        bt_error_format(&l->d.items[i], line, sizeof line);
        fprintf(stderr, "  diag: %s\n", line);
    }
}

static void expect_ok(const loaded *l) {
    if (l->rc) print_diags(l);
    assert_int_equal(l->rc, 0);
    assert_non_null(l->rb);
    assert_int_equal(l->d.count, 0);
}

/* The load failed and one diagnostic contains text at line:column
 * (column 0: any). */
static void expect_at(const loaded *l, int line, int column,
                      const char *text) {
    assert_int_equal(l->rc, -BT_EINVAL);
    assert_null(l->rb);
    for (size_t i = 0; i < l->d.count; i++) {
        const bt_error *e = &l->d.items[i];
        if (!strstr(e->message, text)) continue;
        if (e->line != line || (column && e->column != column)) {
            fprintf(stderr, "'%s' reported at %d:%d, expected %d:%d\n", text,
                    e->line, e->column, line, column);
            print_diags(l);
        }
        assert_int_equal(e->line, line);
        if (column) assert_int_equal(e->column, column);
        assert_string_equal(e->file, "t.runbook.yaml");
        assert_int_equal(e->code, BT_EINVAL);
        return;
    }
    fprintf(stderr, "no diagnostic contains '%s'\n", text);
    print_diags(l);
    fail();
}

static void load_expect(const char *yaml, int line, int column,
                        const char *text) {
    loaded l;
    load(yaml, &l);
    expect_at(&l, line, column, text);
    loaded_free(&l);
}

static void load_ok(const char *yaml) {
    loaded l;
    load(yaml, &l);
    expect_ok(&l);
    loaded_free(&l);
}

static bool need_type(const char *name) {
    if (bt_registry_find(NULL, name)) return true;
    fprintf(stderr, "  (skipped: activity type '%s' is not registered)\n",
            name);
    return false;
}

static const bt_template *prop_template(const bt_activity_def *d,
                                        const char *name) {
    const bt_node *n = bt_node_get(d->properties, name);
    assert_non_null(n);
    assert_int_equal(n->kind, BT_NODE_SCALAR);
    assert_non_null(n->compiled);
    return n->compiled;
}

/* ---- valid runbooks ---------------------------------------------------- */

static const char *FULL =
    "name: Restart service\n"
    "folder: /Operations/Web\n"
    "description: Restarts a unit\n"
    "parameters:\n"
    "  - name: host\n"
    "    type: string\n"
    "    required: true\n"
    "    description: target\n"
    "    allowed: [web01, web02]\n"
    "  - {name: count, type: integer, default: 3}\n"
    "  - {name: ratio, type: number, default: 0.5}\n"
    "  - {name: force, type: boolean, default: no}\n"
    "  - {name: at, type: datetime, default: 2026-11-25T10:00:00Z}\n"
    "returns: [status, message]\n"
    "activities:\n"
    "  - id: start\n"
    "    type: initialize-data\n"
    "  - id: restart\n"
    "    type: fake-exec\n"
    "    name: Restart the unit\n"
    "    properties:\n"
    "      command: \"systemctl restart {start.host} {{literal.x}}\"\n"
    "      arguments: [\"-n\", \"{start.count}\"]\n"
    "      env: {HOST: \"{start.host}\", PLAIN: x}\n"
    "      retries: \"{start.count}\"\n"
    "      wait: yes\n"
    "      interval: 250ms\n"
    "      mode: slow\n"
    "    retry: {max: 3, delay: 5s, until: \"{restart.exit_code} == 0\"}\n"
    "    flatten: {separator: \", \"}\n"
    "    timeout: 2m\n"
    "    publishes: [extra]\n"
    "  - {id: done, type: return-data, properties: {status: "
    "\"{restart.exit_code}\", message: \"{restart.stdout}\"}}\n"
    "  - {id: oops, type: return-data, properties: {status: failed}}\n"
    "links:\n"
    "  - from: start\n"
    "    to: restart\n"
    "  - from: restart\n"
    "    to: done\n"
    "    name: ok\n"
    "    on: [success, warning]\n"
    "    when: \"{restart.exit_code} == 0\"\n"
    "    include: [\"{restart.stdout} contains ok\"]\n"
    "    exclude: \"{start.force} == true\"\n"
    "  - {from: restart, to: oops, on: failed}\n"
    "  - {from: oops, to: restart, on: any, loop_guard: 2}\n";

static void test_full_model(void **state) {
    (void)state;
    loaded l;
    load(FULL, &l);
    expect_ok(&l);
    const bt_runbook *rb = l.rb;
    assert_string_equal(rb->file, "t.runbook.yaml");
    assert_string_equal(rb->name, "Restart service");
    assert_string_equal(rb->folder, "/Operations/Web");
    assert_string_equal(rb->description, "Restarts a unit");

    assert_int_equal(rb->n_params, 5);
    const bt_param_def *p = &rb->params[0];
    assert_string_equal(p->name, "host");
    assert_int_equal(p->type, BT_TYPE_STRING);
    assert_true(p->required);
    assert_false(p->has_default);
    assert_string_equal(p->description, "target");
    assert_int_equal(p->n_allowed, 2);
    assert_string_equal(p->allowed[1], "web02");
    assert_int_equal(p->line, 5);
    assert_int_equal(rb->params[1].type, BT_TYPE_INTEGER);
    assert_true(rb->params[1].has_default);
    assert_string_equal(rb->params[1].default_value, "3");
    assert_int_equal(rb->params[2].type, BT_TYPE_NUMBER);
    assert_int_equal(rb->params[3].type, BT_TYPE_BOOLEAN);
    assert_string_equal(rb->params[3].default_value, "no");
    assert_int_equal(rb->params[4].type, BT_TYPE_DATETIME);

    assert_int_equal(rb->n_returns, 2);
    assert_string_equal(rb->returns[0], "status");
    assert_string_equal(rb->returns[1], "message");

    assert_int_equal(rb->n_activities, 4);
    const bt_activity_def *start = bt_runbook_find(rb, "start");
    const bt_activity_def *restart = bt_runbook_find(rb, "restart");
    assert_non_null(start);
    assert_ptr_equal(start->type, bt_registry_find(NULL, "initialize-data"));
    assert_string_equal(start->name, "start");
    assert_null(start->properties);
    assert_int_equal(start->line, 16);
    assert_int_equal(start->column, 5);
    assert_ptr_equal(restart->type, &fake_exec);
    assert_string_equal(restart->type_name, "fake-exec");
    assert_string_equal(restart->name, "Restart the unit");
    assert_int_equal(restart->index, 1);
    assert_int_equal(bt_runbook_index(rb, "done"), 2);
    assert_int_equal(bt_runbook_index(rb, "nobody"), SIZE_MAX);
    assert_null(bt_runbook_find(rb, "nobody"));

    /* Retry, flatten, timeout, publishes. */
    assert_true(restart->retry.enabled);
    assert_int_equal(restart->retry.max_attempts, 3);
    assert_int_equal(restart->retry.delay_ms, 5000);
    assert_non_null(restart->retry.until);
    assert_string_equal(bt_cond_source(restart->retry.until),
                        "{restart.exit_code} == 0");
    assert_true(restart->flatten);
    assert_string_equal(restart->flatten_separator, ", ");
    assert_int_equal(restart->timeout_ms, 120000);
    assert_int_equal(restart->n_publishes, 1);
    assert_string_equal(restart->publishes[0], "extra");
    assert_false(start->retry.enabled);
    assert_false(start->flatten);
    assert_int_equal(start->timeout_ms, 0);

    /* Templates: compiled, references bound to activity indexes. */
    const bt_template *cmd = prop_template(restart, "command");
    assert_int_equal(bt_template_ref_count(cmd), 1);
    bt_template_ref *r = bt_template_ref_at((bt_template *)cmd, 0);
    assert_string_equal(r->activity, "start");
    assert_int_equal(r->activity_index, 0);
    const bt_node *args = bt_node_get(restart->properties, "arguments");
    assert_true(bt_template_is_literal(args->items[0]->compiled));
    assert_int_equal(
        bt_template_ref_at(args->items[1]->compiled, 0)->activity_index, 0);
    const bt_node *env = bt_node_get(restart->properties, "env");
    assert_int_equal(
        bt_template_ref_at(env->items[0]->compiled, 0)->activity_index, 0);
    assert_true(bt_template_is_literal(env->items[1]->compiled));
    assert_null(env->keys[0]->compiled);
    const bt_activity_def *done = bt_runbook_find(rb, "done");
    assert_int_equal(
        bt_template_ref_at((bt_template *)prop_template(done, "status"), 0)
            ->activity_index,
        1);
    /* Conditions are bound too. */
    bt_template *ut = bt_cond_template_at(restart->retry.until, 0);
    assert_int_equal(bt_template_ref_at(ut, 0)->activity_index, 1);

    /* Links. */
    assert_int_equal(rb->n_links, 4);
    const bt_link_def *l0 = &rb->links[0], *l1 = &rb->links[1];
    assert_int_equal(l0->from, 0);
    assert_int_equal(l0->to, 1);
    assert_int_equal(l0->on_mask, BT_ON_SUCCESS);
    assert_int_equal(l0->n_include, 0);
    assert_null(l0->name);
    assert_string_equal(l1->name, "ok");
    assert_int_equal(l1->on_mask, BT_ON_SUCCESS | BT_ON_WARNING);
    assert_int_equal(l1->n_include, 2);
    assert_string_equal(bt_cond_source(l1->include[0]),
                        "{restart.exit_code} == 0");
    assert_int_equal(l1->n_exclude, 1);
    bt_template *et = bt_cond_template_at(l1->exclude[0], 0);
    assert_int_equal(bt_template_ref_at(et, 0)->activity_index, 0);
    assert_int_equal(rb->links[2].on_mask, BT_ON_FAILED);
    assert_int_equal(rb->links[3].on_mask,
                     BT_ON_SUCCESS | BT_ON_WARNING | BT_ON_FAILED);
    assert_int_equal(rb->links[3].loop_guard, 2);
    assert_int_equal(l1->line, 38);
    assert_int_equal(l1->column, 5);

    assert_int_equal(restart->n_links_in, 2);
    assert_int_equal(restart->n_links_out, 2);
    assert_int_equal(restart->links_out[0], 1);
    assert_int_equal(restart->links_out[1], 2);
    assert_int_equal(start->n_links_in, 0);
    assert_int_equal(done->n_links_in, 1);
    assert_int_equal(done->links_in[0], 1);

    /* Upstream: start before everything; restart and oops loop. */
    size_t s = 0, rs = 1, d = 2, o = 3;
    assert_true(bt_runbook_is_upstream(rb, s, rs));
    assert_true(bt_runbook_is_upstream(rb, s, d));
    assert_true(bt_runbook_is_upstream(rb, rs, d));
    assert_true(bt_runbook_is_upstream(rb, o, rs));
    assert_true(bt_runbook_is_upstream(rb, rs, rs));
    assert_false(bt_runbook_is_upstream(rb, d, rs));
    assert_false(bt_runbook_is_upstream(rb, rs, s));
    assert_false(bt_runbook_is_upstream(rb, s, s));
    assert_false(bt_runbook_is_upstream(rb, d, d));
    assert_false(bt_runbook_is_upstream(rb, 99, 0));
    loaded_free(&l);
}

static void test_defaults(void **state) {
    (void)state;
    loaded l;
    load("name: x\n"
         "activities:\n"
         "  - {id: a, type: fake-exec, properties: {command: ls}, "
         "flatten: true}\n"
         "  - {id: b, type: fake-exec, properties: {command: ls}, "
         "flatten: false}\n"
         "  - {id: c, type: fake-exec, properties: {command: ls}, "
         "retry: {max: 2}}\n"
         "  - {id: d, type: fake-exec, properties: {command: ls}, "
         "timeout: 5}\n",
         &l);
    expect_ok(&l);
    const bt_runbook *rb = l.rb;
    assert_string_equal(rb->folder, "/");
    assert_null(rb->description);
    assert_int_equal(rb->n_params, 0);
    assert_int_equal(rb->n_returns, 0);
    assert_int_equal(rb->n_links, 0);
    assert_true(rb->activities[0].flatten);
    assert_string_equal(rb->activities[0].flatten_separator, "\n");
    assert_false(rb->activities[1].flatten);
    assert_null(rb->activities[1].flatten_separator);
    assert_true(rb->activities[2].retry.enabled);
    assert_int_equal(rb->activities[2].retry.max_attempts, 2);
    assert_int_equal(rb->activities[2].retry.delay_ms, 0);
    assert_null(rb->activities[2].retry.until);
    assert_int_equal(rb->activities[3].timeout_ms, 5000);
    assert_string_equal(rb->activities[3].name, "d");
    loaded_free(&l);
}

static void test_json_runbook(void **state) {
    (void)state;
    loaded l;
    load("{\n"
         "  \"name\": \"JSON runbook\",\n"
         "  \"parameters\": [{\"name\": \"n\", \"type\": \"integer\", "
         "\"default\": 4}],\n"
         "  \"activities\": [\n"
         "    {\"id\": \"start\", \"type\": \"initialize-data\"},\n"
         "    {\"id\": \"run\", \"type\": \"fake-exec\",\n"
         "     \"properties\": {\"command\": \"echo {start.n}\", \"wait\": "
         "true, \"retries\": 2},\n"
         "     \"retry\": {\"max\": 2, \"delay\": \"1s\"}, \"flatten\": "
         "false}\n"
         "  ],\n"
         "  \"links\": [{\"from\": \"start\", \"to\": \"run\", \"on\": "
         "[\"success\"]}]\n"
         "}\n",
         &l);
    expect_ok(&l);
    assert_string_equal(l.rb->name, "JSON runbook");
    assert_string_equal(l.rb->params[0].default_value, "4");
    assert_int_equal(l.rb->activities[1].retry.max_attempts, 2);
    assert_int_equal(l.rb->n_links, 1);
    loaded_free(&l);

    /* Errors in JSON point at the JSON text. */
    load_expect("{\"name\": \"x\", \"activities\": [{\"id\": \"a\", \"type\": "
                "\"fake-exec\", \"propertis\": {}}]}",
                1, 63, "unknown field 'propertis'; did you mean 'properties'");
}

static void test_load_file(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *path = bt_harness_path(dir, "x.runbook.yaml");
    bt_harness_write_file(path, "name: from a file\n"
                                "activities:\n"
                                "  - {id: start, type: initialize-data}\n"
                                "  - {id: j, type: junction}\n"
                                "links:\n"
                                "  - {from: start, to: j}\n"
                                "  - {from: j, to: cleanup}\n");
    bt_runbook *rb = (bt_runbook *)1;
    bt_diags d;
    bt_diags_init(&d);
    assert_int_equal(bt_runbook_load_file(path, NULL, &rb, &d), -BT_EINVAL);
    assert_null(rb);
    assert_int_equal(d.count, 1);
    char line[1024], want[1024];
    bt_error_format(&d.items[0], line, sizeof line);
    snprintf(want, sizeof want,
             "%s:7:19: link 'j' -> 'cleanup': no activity named 'cleanup'",
             path);
    assert_string_equal(line, want);
    bt_diags_free(&d);

    bt_harness_write_file(path, "name: ok\n"
                                "activities: [{id: j, type: junction}]\n");
    bt_diags_init(&d);
    assert_int_equal(bt_runbook_load_file(path, NULL, &rb, &d), 0);
    assert_string_equal(rb->file, path);
    bt_runbook_free(rb);
    bt_diags_free(&d);

    char *missing = bt_harness_path(dir, "none.yaml");
    bt_diags_init(&d);
    assert_int_equal(bt_runbook_load_file(missing, NULL, &rb, &d),
                     -BT_ENOTFOUND);
    assert_null(rb);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.items[0].file, missing);
    bt_diags_free(&d);

    /* A NULL diags is allowed: the result code still says it failed. */
    bt_harness_write_file(path, "name: [\n");
    assert_int_equal(bt_runbook_load_file(path, NULL, &rb, NULL),
                     -BT_ESYNTAX);
    assert_int_equal(bt_runbook_load_string("s", "name: x\n", 8, NULL, &rb,
                                            NULL),
                     -BT_EINVAL);
    free(missing);
    free(path);
    bt_harness_rmrf(dir);
    free(dir);
}

/* ---- structure errors -------------------------------------------------- */

static void test_wrong_kinds(void **state) {
    (void)state;
    load_expect("name: x\nactivities: start\n", 2, 13,
                "'activities' must be a list of activities, not a string");
    load_expect("name: x\nactivities:\n  a: 1\n", 3, 3,
                "'activities' must be a list of activities, not a map");
    load_expect("- a\n- b\n", 1, 1,
                "a runbook must be a map with 'name' and 'activities', not "
                "a list");
    load_expect("name: [a]\nactivities: [{id: j, type: junction}]\n", 1, 7,
                "runbook: 'name' must be text, not a list");
    load_expect("name: x\nparameters: {name: a}\n"
                "activities: [{id: j, type: junction}]\n",
                2, 13, "'parameters' must be a list of parameters, not a map");
    load_expect("name: x\nactivities: [{id: j, type: junction}]\nlinks: j\n",
                3, 8, "'links' must be a list of links, not a string");
    load_expect("name: x\nactivities: [{id: j, type: junction, properties: "
                "[a]}]\n",
                2, 50,
                "activity 'j': 'properties' must be a map of property names "
                "to values, not a list");
    load_expect("name: x\nactivities: [{id: j, type: junction, retry: 3}]\n",
                2, 45, "activity 'j': 'retry' must be a map");
    load_expect("name: x\nactivities: [{id: j, type: junction}, 7]\n", 2, 39,
                "each item of 'activities' must be a map");
    load_expect("name: x\nactivities: [{id: j, type: junction}]\nlinks: "
                "[[j]]\n",
                3, 9, "each item of 'links' must be a map");
}

static void test_unknown_fields(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "colour: red\n"
        "parameters: [{name: p, typ: string}]\n"
        "activities:\n"
        "  - {id: a, type: fake-exec, properties: {command: ls}, retrys: 1}\n"
        "  - {id: b, type: fake-exec, properties: {command: ls}, retry: "
        "{max: 2, wait: 1s}, flatten: {sep: x}}\n"
        "links: [{from: a, to: b, condition: x}]\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 2, 1,
              "runbook: unknown field 'colour' (valid fields: name, folder, "
              "description, parameters, returns, activities, links)");
    expect_at(&l, 3, 24,
              "parameter 'p': unknown field 'typ'; did you mean 'type'?");
    expect_at(&l, 5, 57,
              "activity 'a': unknown field 'retrys'; did you mean 'retry'? "
              "(valid fields: id, type, name, properties, retry, flatten, "
              "timeout, publishes, position)");
    expect_at(&l, 6, 73, "activity 'b': retry: unknown field 'wait'");
    expect_at(&l, 6, 94,
              "activity 'b': flatten: unknown field 'sep' (valid fields: "
              "separator)");
    expect_at(&l, 7, 26, "link 'a' -> 'b': unknown field 'condition'");
    assert_int_equal(l.d.count, 6);
    loaded_free(&l);
}

static void test_missing_required(void **state) {
    (void)state;
    load_expect("activities: [{id: j, type: junction}]\n", 1, 1,
                "runbook: 'name' is required");
    load_expect("name: x\n", 1, 1, "'activities' is required");
    load_expect("name: x\nactivities: []\n", 2, 13, "'activities' is empty");
    load_expect("name: x\nactivities: [{type: junction}]\n", 2, 14,
                "activity #1: 'id' is required");
    load_expect("name: x\nactivities: [{id: j}]\n", 2, 14,
                "activity 'j': 'type' is required");
    load_expect("name: x\nactivities: [{id: j, type: }]\n", 2, 28,
                "activity 'j': 'type' is required");
    load_expect("name: x\nactivities: [{id: j, type: junction}]\n"
                "links: [{from: j}]\n",
                3, 9, "link #1: 'to' is required");
    load_expect("name: x\nparameters: [{type: string}]\n"
                "activities: [{id: j, type: junction}]\n",
                2, 14, "parameter #1: 'name' is required");
    load_expect("", 1, 1, "the file is empty");
    load_expect("# nothing\n", 1, 1, "the file is empty");
}

static void test_identifiers_and_duplicates(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "parameters:\n"
        "  - {name: my-param}\n"
        "  - {name: p}\n"
        "  - {name: p, type: integer}\n"
        "returns: [ok, \"bad name\", ok]\n"
        "activities:\n"
        "  - {id: 1abc, type: junction}\n"
        "  - {id: \"a b\", type: junction}\n"
        "  - {id: j, type: junction}\n"
        "  - {id: j, type: junction}\n"
        "  - {id: k, type: junction, publishes: [x, \"{y}\"]}\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 3, 12, "parameter name 'my-param' is not valid");
    expect_at(&l, 5, 12, "parameter 'p' is defined twice (first at line 4)");
    expect_at(&l, 6, 15, "'bad name' in 'returns' is not a valid field name");
    expect_at(&l, 6, 27, "'ok' is listed twice in 'returns'");
    expect_at(&l, 8, 10, "activity id '1abc' is not valid");
    expect_at(&l, 9, 10, "activity id 'a b' is not valid");
    expect_at(&l, 11, 10, "activity id 'j' is used twice (first at line 10)");
    expect_at(&l, 12, 44, "'{y}' in 'publishes' is not a valid field name");
    loaded_free(&l);
}

static void test_limits(void **state) {
    (void)state;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b, "name: big\nactivities:\n");
    for (int i = 0; i <= BT_RUNBOOK_MAX_ACTIVITIES; i++)
        bt_buf_printf(&b, "  - {id: a%d, type: junction}\n", i);
    load_expect(bt_buf_str(&b), 3, 3, "over the limit of 4096");
    bt_buf_free(&b);
}

/* ---- parameters -------------------------------------------------------- */

static void test_value_types(void **state) {
    (void)state;
    assert_string_equal(bt_value_type_name(BT_TYPE_STRING), "string");
    assert_string_equal(bt_value_type_name(BT_TYPE_INTEGER), "integer");
    assert_string_equal(bt_value_type_name(BT_TYPE_NUMBER), "number");
    assert_string_equal(bt_value_type_name(BT_TYPE_BOOLEAN), "boolean");
    assert_string_equal(bt_value_type_name(BT_TYPE_DATETIME), "datetime");
    assert_int_equal(bt_value_check(BT_TYPE_STRING, ""), 0);
    assert_int_equal(bt_value_check(BT_TYPE_INTEGER, "-42"), 0);
    assert_int_not_equal(bt_value_check(BT_TYPE_INTEGER, "4.2"), 0);
    assert_int_not_equal(bt_value_check(BT_TYPE_INTEGER, ""), 0);
    assert_int_equal(bt_value_check(BT_TYPE_NUMBER, "4.2e3"), 0);
    assert_int_not_equal(bt_value_check(BT_TYPE_NUMBER, "nan"), 0);
    assert_int_equal(bt_value_check(BT_TYPE_BOOLEAN, "Yes"), 0);
    assert_int_not_equal(bt_value_check(BT_TYPE_BOOLEAN, "maybe"), 0);
    const char *good[] = {"2026-11-25", "2026-11-25T10:00:00Z",
                          "2026-11-25T10:00:00+01:00", "2026-11-25 10:00",
                          "2024-02-29T23:59:59.123Z"};
    for (size_t i = 0; i < BT_ARRAY_LEN(good); i++)
        assert_int_equal(bt_value_check(BT_TYPE_DATETIME, good[i]), 0);
    const char *bad[] = {"2026-13-01", "2026-02-30", "2025-02-29",
                         "25/11/2026", "2026-11-25T25:00", "tomorrow", ""};
    for (size_t i = 0; i < BT_ARRAY_LEN(bad); i++)
        assert_int_not_equal(bt_value_check(BT_TYPE_DATETIME, bad[i]), 0);
    assert_int_not_equal(bt_value_check(BT_TYPE_STRING, NULL), 0);
}

static void test_parameter_checks(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "parameters:\n"
        "  - {name: a, type: strng}\n"
        "  - {name: b, type: integer, default: many}\n"
        "  - {name: c, type: number, default: 1.5x}\n"
        "  - {name: d, type: boolean, default: perhaps}\n"
        "  - {name: e, type: datetime, default: 2026-02-30}\n"
        "  - {name: f, type: integer, allowed: [1, two, 3]}\n"
        "  - {name: g, allowed: [x, y], default: z}\n"
        "  - {name: h, required: sometimes}\n"
        "  - {name: i, type: integer, default: [1]}\n"
        "  - {name: j, type: datetime, default: '2026-11-25T10:00:00+02:00'}\n"
        "activities: [{id: s, type: initialize-data}]\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 3, 21,
              "parameter 'a': unknown type 'strng'; did you mean 'string'? "
              "(types: string, integer, number, boolean, datetime)");
    expect_at(&l, 4, 39,
              "parameter 'b': default 'many' is not an integer such as 42 "
              "(the parameter's type is integer)");
    expect_at(&l, 5, 38, "parameter 'c': default '1.5x' is not a number");
    expect_at(&l, 6, 39, "parameter 'd': default 'perhaps' is not true or "
                         "false");
    expect_at(&l, 7, 40, "parameter 'e': default '2026-02-30' is not a "
                         "date/time such as 2026-11-25");
    expect_at(&l, 8, 43,
              "parameter 'f': allowed value 'two' is not an integer");
    expect_at(&l, 9, 41,
              "parameter 'g': default 'z' is not one of the allowed values");
    expect_at(&l, 10, 25,
              "parameter 'h': 'required' must be true or false, not "
              "'sometimes'");
    expect_at(&l, 11, 39, "parameter 'i': 'default' must be a single value, "
                          "not a list");
    assert_int_equal(l.d.count, 9);
    loaded_free(&l);
}

/* ---- activities and properties ---------------------------------------- */

static void test_activity_types(void **state) {
    (void)state;
    load_expect("name: x\nactivities: [{id: a, type: fake-exce}]\n", 2, 28,
                "activity 'a': unknown activity type 'fake-exce'; did you "
                "mean 'fake-exec'?");
    load_expect("name: x\nactivities: [{id: a, type: teleport}]\n", 2, 28,
                "activity 'a': unknown activity type 'teleport' (`baton "
                "activities` lists the types)");
    load_expect("name: x\nactivities: [{id: a, type: [x]}]\n", 2, 28,
                "activity 'a': 'type' must be text, not a list");
}

static void test_property_checks(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "activities:\n"
        "  - id: a\n"
        "    type: fake-exec\n"
        "    properties:\n"
        "      comand: ls\n"
        "      arguments: {x: 1}\n"
        "      env: [a, b]\n"
        "      retries: three\n"
        "      ratio: 1/2\n"
        "      wait: sure\n"
        "      interval: 5 parsecs\n"
        "      mode: quick\n"
        "      tags: [fast, sloww]\n"
        "  - id: b\n"
        "    type: fake-exec\n"
        "    properties:\n"
        "      command: [ls]\n"
        "      env: {A: [1]}\n"
        "      arguments: [[x]]\n"
        "  - {id: c, type: fake-exec}\n"
        "  - {id: d, type: fake-exec, properties: {command: }}\n"
        "  - {id: e, type: junction, properties: {wait: 1}}\n"
        "  - {id: f, type: fake-exec, properties: {command: x, env: y}}\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 6, 7,
              "activity 'a' (fake-exec): unknown property 'comand'; did you "
              "mean 'command'? (properties of fake-exec: command, arguments, "
              "env, retries, ratio, wait, interval, mode, tags)");
    expect_at(&l, 3, 5,
              "activity 'a' (fake-exec): required property 'command' is "
              "missing");
    expect_at(&l, 7, 18,
              "property 'arguments' must be a list of values, not a map");
    expect_at(&l, 8, 12,
              "property 'env' must be a map of names to values, not a list");
    expect_at(&l, 9, 16,
              "activity 'a' (fake-exec): property 'retries' must be an "
              "integer such as 42, not 'three'");
    expect_at(&l, 10, 14, "property 'ratio' must be a number such as 1.5, "
                          "not '1/2'");
    expect_at(&l, 11, 13, "property 'wait' must be true or false, not "
                          "'sure'");
    expect_at(&l, 12, 17, "property 'interval' must be a duration such as "
                          "500ms, 30s or 2m, not '5 parsecs'");
    expect_at(&l, 13, 13,
              "property 'mode': 'quick' is not one of fast, slow");
    expect_at(&l, 14, 20,
              "property 'tags': 'sloww' is not one of fast, slow; did you "
              "mean 'slow'?");
    expect_at(&l, 18, 16, "property 'command' must be text, not a list");
    expect_at(&l, 19, 16,
              "property 'env': the value of 'A' must be a single value, not "
              "a list");
    expect_at(&l, 20, 19,
              "property 'arguments': each item must be a single value, not "
              "a list");
    expect_at(&l, 21, 5,
              "activity 'c' (fake-exec): required property 'command' is "
              "missing");
    expect_at(&l, 22, 52,
              "activity 'd' (fake-exec): required property 'command' is "
              "empty");
    expect_at(&l, 23, 42,
              "activity 'e' (junction): unknown property 'wait' (properties "
              "of junction: republish)");
    expect_at(&l, 24, 60, "property 'env' must be a map of names to values, "
                          "not a string");
    loaded_free(&l);

    /* Values with references are only checked at run time; {{..}} is a
     * literal and is checked like one. */
    load_ok("name: x\n"
            "activities:\n"
            "  - {id: a, type: fake-exec, properties: {command: ls}}\n"
            "  - {id: b, type: fake-exec, properties: {command: ls, retries: "
            "'{a.exit_code}', mode: '{a.stdout}', wait: 'false', interval: "
            "1.5s, ratio: -2e3, tags: fast}}\n"
            "links: [{from: a, to: b}]\n");
    load_expect("name: x\n"
                "activities:\n"
                "  - {id: a, type: fake-exec, properties: {command: ls, "
                "retries: '{{a.exit_code}}'}}\n",
                3, 65, "must be an integer such as 42, not '{a.exit_code}'");
}

static void test_type_check_hook(void **state) {
    (void)state;
    loaded l;
    load("name: x\n"
         "activities:\n"
         "  - {id: a, type: fake-checked}\n"
         "  - {id: b, type: fake-checked, name: [bad]}\n",
         &l);
    expect_at(&l, 3, 5, "fake-checked 'a': always complains");
    expect_at(&l, 4, 39, "activity 'b': 'name' must be text");
    /* The hook is skipped for an activity whose definition had errors. */
    for (size_t i = 0; i < l.d.count; i++)
        assert_null(strstr(l.d.items[i].message, "fake-checked 'b'"));
    loaded_free(&l);

    /* A built-in check: junction's republish must name a branch. */
    load_expect("name: x\n"
                "activities:\n"
                "  - {id: a, type: junction}\n"
                "  - {id: j, type: junction, properties: {republish: zz}}\n"
                "links: [{from: a, to: j}]\n",
                4, 53, "junction 'j': republish must name an activity");
}

static void test_retry_flatten_timeout(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "activities:\n"
        "  - id: a\n"
        "    type: fake-exec\n"
        "    properties: {command: ls}\n"
        "    retry: {max: 0, delay: soon, until: \"{a.exit_code} =! 0\"}\n"
        "    flatten: sometimes\n"
        "    timeout: 3 weeks\n"
        "  - id: b\n"
        "    type: fake-exec\n"
        "    properties: {command: ls}\n"
        "    retry: {delay: 1s}\n"
        "    flatten: [x]\n"
        "    publishes: {a: b}\n"
        "  - {id: c, type: fake-exec, properties: {command: ls}, retry: "
        "{max: lots}}\n"
        "  - {id: d, type: fake-exec, properties: {command: ls}, retry: "
        "{max: 2, until: }}\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 6, 18,
              "activity 'a': retry: 'max' must be a whole number of attempts "
              "from 1 to 1000000, not '0'");
    expect_at(&l, 6, 28,
              "activity 'a': retry: 'delay' must be a duration such as "
              "500ms, 30s, 2m or 1h, not 'soon'");
    /* The condition's error points inside the quoted text, at the '!'. */
    expect_at(&l, 6, 57, "activity 'a': retry 'until': condition "
                         "'{a.exit_code} =! 0'");
    expect_at(&l, 7, 14, "activity 'a': 'flatten' must be true, false or "
                         "{separator: \", \"}, not 'sometimes'");
    expect_at(&l, 8, 14, "activity 'a': 'timeout' must be a duration");
    expect_at(&l, 12, 12, "activity 'b': retry: 'max' is required");
    expect_at(&l, 13, 14, "activity 'b': 'flatten' must be true, false or a "
                          "map such as {separator: \", \"}, not a list");
    expect_at(&l, 14, 16, "activity 'b': 'publishes' must be a list of "
                          "names, not a map");
    expect_at(&l, 15, 70, "activity 'c': retry: 'max' must be a whole number");
    expect_at(&l, 16, 80, "activity 'd': retry 'until': condition is empty");
    loaded_free(&l);
}

/* Where the designer draws each box: kept on the model, in YAML flow and
 * block style and in JSON, and every bad value named with its activity. */
static void test_positions(void **state) {
    (void)state;
    loaded l;
    load("name: drawn\n"
         "activities:\n"
         "  - {id: start, type: initialize-data, position: {x: 110, y: 47}}\n"
         "  - id: run\n"
         "    type: fake-exec\n"
         "    properties: {command: ls}\n"
         "    position:\n"
         "      x: 0\n"
         "      y: 1000000\n"
         "  - {id: free, type: fake-exec, properties: {command: ls}}\n"
         "  - {id: none, type: fake-exec, properties: {command: ls}, "
         "position: ~}\n"
         "links:\n"
         "  - {from: start, to: run}\n"
         "  - {from: run, to: free}\n"
         "  - {from: free, to: none}\n",
         &l);
    expect_ok(&l);
    const bt_activity_def *a = l.rb->activities;
    assert_true(a[0].has_position);
    assert_int_equal(a[0].x, 110);
    assert_int_equal(a[0].y, 47);
    assert_true(a[1].has_position);
    assert_int_equal(a[1].x, 0);
    assert_int_equal(a[1].y, 1000000);
    assert_false(a[2].has_position);
    assert_false(a[3].has_position);
    loaded_free(&l);

    load("{\"name\": \"j\", \"activities\": [{\"id\": \"s\", \"type\": "
         "\"initialize-data\", \"position\": {\"x\": 90, \"y\": 27}}]}",
         &l);
    expect_ok(&l);
    assert_true(l.rb->activities[0].has_position);
    assert_int_equal(l.rb->activities[0].x, 90);
    assert_int_equal(l.rb->activities[0].y, 27);
    loaded_free(&l);

    load("name: x\n"
         "activities:\n"
         "  - {id: a, type: initialize-data, position: here}\n"
         "  - {id: b, type: junction, position: {x: 10}}\n"
         "  - {id: c, type: junction, position: {x: -5, y: 1.5}}\n"
         "  - {id: d, type: junction, position: {x: 1, y: 2, z: 3}}\n"
         "  - {id: e, type: junction, position: {x: [1], y: 1000001}}\n"
         "  - {id: f, type: junction, position: [1, 2]}\n"
         "  - {id: g, type: junction, positon: {x: 1, y: 2}}\n"
         "links:\n"
         "  - {from: a, to: b}\n"
         "  - {from: b, to: c}\n"
         "  - {from: c, to: d}\n"
         "  - {from: d, to: e}\n"
         "  - {from: e, to: f}\n"
         "  - {from: f, to: g}\n",
         &l);
    expect_at(&l, 3, 46,
              "activity 'a': 'position' must be a map such as {x: 120, y: "
              "80}, not a string");
    expect_at(&l, 4, 39, "activity 'b': position: 'y' is required");
    expect_at(&l, 5, 43,
              "activity 'c': position: 'x' must be a whole number of pixels "
              "from 0 to 1000000, not '-5'");
    expect_at(&l, 5, 50,
              "activity 'c': position: 'y' must be a whole number of pixels "
              "from 0 to 1000000, not '1.5'");
    expect_at(&l, 6, 52,
              "activity 'd': position: unknown field 'z' (valid fields: x, "
              "y)");
    expect_at(&l, 7, 43,
              "activity 'e': position: 'x' must be a whole number of pixels "
              "from 0 to 1000000, not a list");
    expect_at(&l, 7, 51,
              "activity 'e': position: 'y' must be a whole number of pixels "
              "from 0 to 1000000, not '1000001'");
    expect_at(&l, 8, 39,
              "activity 'f': 'position' must be a map such as {x: 120, y: "
              "80}, not a list");
    expect_at(&l, 9, 29,
              "activity 'g': unknown field 'positon'; did you mean "
              "'position'?");
    assert_int_equal(l.d.count, 9);
    loaded_free(&l);
}

/* ---- references -------------------------------------------------------- */

static const char *REFS_HEAD =
    "name: refs\n"
    "parameters: [{name: host}]\n"
    "activities:\n"
    "  - {id: start, type: initialize-data}\n"
    "  - {id: run, type: fake-exec, properties: {command: ls}}\n"
    "  - {id: side, type: fake-exec, properties: {command: ls}}\n"
    "  - {id: script, type: fake-script, properties: {script: x}}\n"
    "  - {id: declared, type: fake-script, properties: {script: x}, "
    "publishes: [count]}\n";
static const char *REFS_LINKS =
    "links:\n"
    "  - {from: start, to: run}\n"
    "  - {from: start, to: side}\n"
    "  - {from: run, to: script}\n"
    "  - {from: script, to: declared}\n"
    "  - {from: declared, to: use}\n";

static void load_refs(const char *use, loaded *l) {
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b, REFS_HEAD);
    bt_buf_appends(&b, use);
    bt_buf_appends(&b, REFS_LINKS);
    load(bt_buf_str(&b), l);
    bt_buf_free(&b);
}

/* The "use" activity is on line 9 of the refs runbook. */
static void refs_ok(const char *command) {
    char use[512];
    snprintf(use, sizeof use,
             "  - {id: use, type: fake-exec, properties: {command: \"%s\"}}\n",
             command);
    loaded l;
    load_refs(use, &l);
    expect_ok(&l);
    loaded_free(&l);
}

static void refs_fail(const char *command, int column, const char *text) {
    char use[512];
    snprintf(use, sizeof use,
             "  - {id: use, type: fake-exec, properties: {command: \"%s\"}}\n",
             command);
    loaded l;
    load_refs(use, &l);
    expect_at(&l, 9, column, text);
    loaded_free(&l);
}

static void test_reference_checks(void **state) {
    (void)state;
    /* Upstream data, common fields, declared and open published fields,
     * parameters through initialize-data, variables, escapes, and brace
     * text that is not a reference. */
    refs_ok("{start.host} {run.exit_code} {run.stdout} {run.status} "
            "{script.anything} {declared.count} {declared.attempts} "
            "{var:region} {{nobody.x}} ${HOME} awk '{print $1}' {\\\"a\\\":1}");

    /* Column 54 is the opening quote of command's value. */
    refs_fail("x {nobody.field}", 57,
              "activity 'use': property 'command': reference "
              "{nobody.field}: no activity named 'nobody'");
    refs_fail("{sdie.exit_code}", 55,
              "reference {sdie.exit_code}: no activity named 'sdie'; did you "
              "mean 'side'?");
    refs_fail("{side.exit_code}", 55,
              "reference {side.exit_code}: activity 'side' does not run "
              "before 'use' (no path of links leads from it to 'use')");
    refs_fail("{use.exit_code}", 55,
              "reference {use.exit_code}: an activity cannot read its own "
              "data in its properties");
    refs_fail("ok {run.exit_cod}", 58,
              "reference {run.exit_cod}: activity 'run' (fake-exec) does "
              "not publish 'exit_cod' (did you mean 'exit_code'?); it "
              "publishes exit_code, stdout, status, error, start_time, "
              "end_time, duration_ms, attempts");
    refs_fail("{declared.total}", 55,
              "activity 'declared' (fake-script) does not publish 'total'; "
              "its 'publishes' list does not include it");
    refs_fail("{start.hots}", 55,
              "activity 'start' (initialize-data) does not publish 'hots' "
              "(did you mean 'host'?); it publishes host, status");

    /* References deep inside lists and maps are checked too. */
    loaded l;
    load_refs("  - id: use\n"
              "    type: fake-exec\n"
              "    properties:\n"
              "      command: ls\n"
              "      arguments: [a, \"{side.stdout}\"]\n"
              "      env: {X: \"{nobody.y}\"}\n",
              &l);
    expect_at(&l, 13, 23, "property 'arguments': reference {side.stdout}");
    expect_at(&l, 14, 17, "property 'env': reference {nobody.y}");
    loaded_free(&l);
}

static void test_references_in_conditions(void **state) {
    (void)state;
    /* retry.until may read the activity itself; a link condition may read
     * the activity it leaves; neither may read what runs later. */
    load_ok("name: x\n"
            "activities:\n"
            "  - {id: a, type: fake-exec, properties: {command: ls}, retry: "
            "{max: 3, until: '{a.exit_code} == 0'}}\n"
            "  - {id: b, type: fake-exec, properties: {command: ls}}\n"
            "links:\n"
            "  - {from: a, to: b, when: \"{a.stdout} contains 'x {a.status}'\", "
            "exclude: ['{a.error} is not empty']}\n");
    loaded l;
    load("name: x\n"
         "activities:\n"
         "  - {id: a, type: fake-exec, properties: {command: ls}, retry: "
         "{max: 3, until: '{b.exit_code} == 0'}}\n"
         "  - {id: b, type: fake-exec, properties: {command: ls}}\n"
         "links:\n"
         "  - {from: a, to: b, when: \"{a.stdout} == x and {b.stdout} == y\"}\n"
         "  - {from: a, to: b, include: [\"{a.bogus} == 1\"]}\n",
         &l);
    expect_at(&l, 3, 81,
              "activity 'a': retry 'until': reference {b.exit_code}: activity "
              "'b' does not run before 'a'");
    expect_at(&l, 6, 49,
              "link 'a' -> 'b' condition: reference {b.stdout}: activity 'b' "
              "does not run before 'a'");
    expect_at(&l, 7, 33,
              "link 'a' -> 'b' condition: reference {a.bogus}: activity 'a' "
              "(fake-exec) does not publish 'bogus'");
    loaded_free(&l);
}

/* ---- links and the graph ---------------------------------------------- */

static void test_link_checks(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "activities:\n"
        "  - {id: a, type: junction}\n"
        "  - {id: b, type: junction}\n"
        "links:\n"
        "  - {from: a, to: cleanup}\n"
        "  - {from: nowhere, to: b}\n"
        "  - {from: b, to: b}\n"
        "  - {from: a, to: b, on: sometimes}\n"
        "  - {from: a, to: b, on: [success, nope]}\n"
        "  - {from: a, to: b, on: []}\n"
        "  - {from: a, to: b, loop_guard: 0}\n"
        "  - {from: a, to: b, when: \"{a.status} == success and\"}\n"
        "  - {from: a, to: b, include: [\"x ==\", ok == ok], exclude: "
        "\"(a == b\"}\n"
        "  - {from: a, to: b, when: [[x]]}\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 6, 19,
              "link 'a' -> 'cleanup': no activity named 'cleanup'");
    expect_at(&l, 7, 12, "link 'nowhere' -> 'b': no activity named 'nowhere'");
    expect_at(&l, 8, 5,
              "link 'b' -> 'b' links an activity to itself; add loop_guard "
              "to allow the loop");
    expect_at(&l, 9, 26,
              "link 'a' -> 'b': 'on' value 'sometimes' is not success, "
              "warning, failed or any");
    expect_at(&l, 10, 36, "'on' value 'nope'");
    expect_at(&l, 11, 26, "link 'a' -> 'b': 'on' must be success, warning, "
                          "failed, any or a list of these");
    expect_at(&l, 12, 34, "link 'a' -> 'b': 'loop_guard' must be a whole "
                          "number from 1 to 1000000");
    /* Syntax errors point at the place inside the condition text: the end
     * of the text here (column 28 + 1 quote + 25 characters). */
    expect_at(&l, 13, 54, "link 'a' -> 'b' 'when': condition '{a.status} == "
                          "success and'");
    expect_at(&l, 14, 37, "link 'a' -> 'b' 'include': condition 'x =='");
    expect_at(&l, 14, 68, "link 'a' -> 'b' 'exclude': condition '(a == b'");
    expect_at(&l, 15, 29, "a condition must be text, not a list");
    loaded_free(&l);

    /* A guarded self-link is a legal loop. */
    load_ok("name: x\n"
            "activities:\n"
            "  - {id: a, type: junction}\n"
            "  - {id: b, type: junction}\n"
            "links:\n"
            "  - {from: a, to: b}\n"
            "  - {from: b, to: b, loop_guard: 3}\n");
}

static void test_cycles(void **state) {
    (void)state;
    const char *yaml =
        "name: x\n"
        "activities:\n"
        "  - {id: s, type: junction}\n"
        "  - {id: a, type: junction}\n"
        "  - {id: b, type: junction}\n"
        "  - {id: c, type: junction}\n"
        "  - {id: d, type: junction}\n"
        "  - {id: e, type: junction}\n"
        "links:\n"
        "  - {from: s, to: a}\n"
        "  - {from: a, to: b}\n"
        "  - {from: b, to: c}\n"
        "  - {from: c, to: a}\n"
        "  - {from: s, to: d}\n"
        "  - {from: d, to: e}\n"
        "  - {from: e, to: d}\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 11, 5,
              "cycle without a loop guard: a -> b -> c -> a; add loop_guard "
              "to one of its links");
    expect_at(&l, 15, 5, "cycle without a loop guard: d -> e -> d;");
    assert_int_equal(l.d.count, 2);
    loaded_free(&l);

    /* One guarded link anywhere in the loop makes it legal. */
    load_ok("name: x\n"
            "activities:\n"
            "  - {id: s, type: junction}\n"
            "  - {id: a, type: junction}\n"
            "  - {id: b, type: junction}\n"
            "  - {id: c, type: junction}\n"
            "links:\n"
            "  - {from: s, to: a}\n"
            "  - {from: a, to: b}\n"
            "  - {from: b, to: c, loop_guard: 10}\n"
            "  - {from: c, to: a}\n");
}

static void test_start_activities(void **state) {
    (void)state;
    load_expect("name: x\n"
                "activities:\n"
                "  - {id: a, type: junction}\n"
                "  - {id: b, type: junction}\n"
                "links:\n"
                "  - {from: a, to: b}\n"
                "  - {from: b, to: a, loop_guard: 2}\n"
                "  - {from: b, to: a}\n",
                3, 5, "the runbook has no start activity");
    /* A start reached only by a guarded loop-back is still a start. */
    load_ok("name: x\n"
            "activities:\n"
            "  - {id: a, type: junction}\n"
            "  - {id: b, type: junction}\n"
            "links:\n"
            "  - {from: a, to: b}\n"
            "  - {from: b, to: a, loop_guard: 2}\n");
    loaded l;
    load("name: x\n"
         "activities:\n"
         "  - {id: s1, type: initialize-data}\n"
         "  - {id: s2, type: initialize-data}\n"
         "  - {id: j, type: junction}\n"
         "links:\n"
         "  - {from: s1, to: j}\n"
         "  - {from: j, to: s1, loop_guard: 1}\n",
         &l);
    expect_at(&l, 4, 5,
              "activity 's2': a runbook has at most one initialize-data "
              "activity ('s1' at line 3 is the first)");
    expect_at(&l, 8, 5,
              "link 'j' -> 's1': initialize-data 's1' starts the runbook and "
              "cannot have incoming links");
    loaded_free(&l);
}

static void test_many_errors_at_once(void **state) {
    (void)state;
    const char *yaml =
        "name: many\n"
        "folder: Ops\n"
        "parameters: [{name: n, type: integer, default: x}]\n"
        "activities:\n"
        "  - {id: start, type: initialize-data}\n"
        "  - {id: run, type: fake-exec, properties: {command: \"{start.m}\", "
        "wait: maybe}}\n"
        "  - {id: run, type: junction}\n"
        "  - {id: gone, type: fake-exce}\n"
        "links:\n"
        "  - {from: start, to: run}\n"
        "  - {from: run, to: cleanup}\n";
    loaded l;
    load(yaml, &l);
    expect_at(&l, 2, 9, "'folder' must be a path starting with '/'");
    expect_at(&l, 3, 48, "default 'x' is not an integer");
    expect_at(&l, 6, 55, "reference {start.m}");
    expect_at(&l, 6, 73, "property 'wait' must be true or false");
    expect_at(&l, 7, 10, "activity id 'run' is used twice");
    expect_at(&l, 8, 22, "unknown activity type 'fake-exce'");
    expect_at(&l, 11, 21, "no activity named 'cleanup'");
    assert_int_equal(l.d.count, 7);
    loaded_free(&l);

    /* The diags limit keeps a file with thousands of errors bounded. */
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b, "name: x\nactivities:\n");
    for (int i = 0; i < 1000; i++)
        bt_buf_printf(&b, "  - {id: a%d, type: nope}\n", i);
    load(bt_buf_str(&b), &l);
    assert_int_equal(l.rc, -BT_EINVAL);
    assert_int_equal(l.d.count, 200);
    assert_true(l.d.dropped >= 800);
    loaded_free(&l);
    bt_buf_free(&b);
}

/* ---- built-in types ---------------------------------------------------- */

static void test_builtin_control_types(void **state) {
    (void)state;
    if (!need_type("initialize-data") || !need_type("return-data")) skip();
    loaded l;
    load_builtin("name: x\n"
                 "parameters: [{name: who}]\n"
                 "returns: [greeting]\n"
                 "activities:\n"
                 "  - {id: start, type: initialize-data}\n"
                 "  - {id: done, type: return-data, properties: {greeting: "
                 "'hi {start.who}'}}\n"
                 "  - {id: after, type: return-data, properties: {greeting: "
                 "'{done.greeting} {done.status}'}}\n"
                 "links:\n"
                 "  - {from: start, to: done}\n"
                 "  - {from: done, to: after}\n",
                 &l);
    expect_ok(&l);
    loaded_free(&l);
    load_builtin("name: x\n"
                 "returns: [greeting]\n"
                 "activities:\n"
                 "  - {id: done, type: return-data, properties: {greting: "
                 "x}}\n",
                 &l);
    expect_at(&l, 4, 48, "'greting' is not one of the runbook's declared "
                         "returns");
    loaded_free(&l);
}

static void test_builtin_run_program(void **state) {
    (void)state;
    if (!need_type("run-program") || !need_type("return-data")) skip();
    loaded l;
    load_builtin("name: x\n"
                 "activities:\n"
                 "  - id: restart\n"
                 "    type: run-program\n"
                 "    properties: {command: \"systemctl restart x\"}\n"
                 "  - {id: done, type: return-data, properties: {status: "
                 "\"{restart.exit_cod}\"}}\n"
                 "links: [{from: restart, to: done}]\n",
                 &l);
    expect_at(&l, 6, 57,
              "reference {restart.exit_cod}: activity 'restart' "
              "(run-program) does not publish 'exit_cod' (did you mean "
              "'exit_code'?); it publishes exit_code");
    loaded_free(&l);
    load_builtin("name: x\n"
                 "activities: [{id: r, type: run-program, properties: "
                 "{comand: ls}}]\n",
                 &l);
    expect_at(&l, 2, 54, "unknown property 'comand'; did you mean 'command'?");
    loaded_free(&l);
}

static void test_builtin_run_script(void **state) {
    (void)state;
    if (!need_type("run-script") || !need_type("return-data")) skip();
    const bt_activity_type *t = bt_registry_find(NULL, "run-script");
    if (!t->open_published) skip();
    /* Without `publishes`, any field is accepted; with it, only those. */
    const bt_prop_spec *first = t->props;
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: x\n"
             "activities:\n"
             "  - {id: s, type: run-script, properties: {%s: 'echo'}%s}\n"
             "  - {id: d, type: return-data, properties: {v: '{s.custom}'}}\n"
             "links: [{from: s, to: d}]\n",
             first->name, "");
    loaded l;
    load_builtin(yaml, &l);
    if (l.rc) skip(); /* run-script needs other required properties */
    loaded_free(&l);
    snprintf(yaml, sizeof yaml,
             "name: x\n"
             "activities:\n"
             "  - {id: s, type: run-script, properties: {%s: 'echo'}%s}\n"
             "  - {id: d, type: return-data, properties: {v: '{s.custom}'}}\n"
             "links: [{from: s, to: d}]\n",
             first->name, ", publishes: [other]");
    load_builtin(yaml, &l);
    expect_at(&l, 4, 0, "does not publish 'custom'");
    loaded_free(&l);
}

static void test_builtin_compare_values(void **state) {
    (void)state;
    if (!need_type("compare-values")) skip();
    /* compare-values exists: an unknown property on it is refused and
     * suggestions come from the registry. */
    load_expect("name: x\nactivities: [{id: c, type: compare-value}]\n", 2, 28,
                "did you mean 'compare-values'?");
}

/* ---- robustness -------------------------------------------------------- */

/* Files built to make a naive loader quadratic: each must fail fast with a
 * message naming the limit (the test's own time budget is the check). */
static void test_hostile_sizes(void **state) {
    (void)state;
    bt_buf b;
    bt_buf_init(&b, 0);
    /* 30000 references to fields of an activity with 1000 properties. */
    bt_buf_appends(&b, "name: x\nactivities:\n"
                       "  - {id: a, type: fake-script, properties: {script: "
                       "x}, publishes: [");
    for (int i = 0; i < 1000; i++) bt_buf_printf(&b, "%sf%d", i ? "," : "", i);
    bt_buf_appends(&b, "]}\n  - {id: b, type: fake-exec, properties: "
                       "{command: \"");
    for (int i = 0; i < 30000; i++) bt_buf_printf(&b, "{a.g%d}", i);
    bt_buf_appends(&b, "\"}}\nlinks: [{from: a, to: b}]\n");
    loaded l;
    load(bt_buf_str(&b), &l);
    expect_at(&l, 1, 1, "the runbook has 30000 references ({...}), over the "
                        "limit of 20000");
    assert_int_equal(l.d.count, 1);
    loaded_free(&l);

    /* Lists of names, parameters and properties over their caps. */
    bt_buf_reset(&b);
    bt_buf_appends(&b, "name: x\nreturns: [");
    for (int i = 0; i < 5000; i++) bt_buf_printf(&b, "%sr%d", i ? "," : "", i);
    bt_buf_appends(&b, "]\nparameters:\n");
    for (int i = 0; i < 1001; i++) bt_buf_printf(&b, "  - {name: p%d}\n", i);
    bt_buf_appends(&b, "activities:\n  - {id: d, type: fake-exec, "
                       "properties: {command: x, env: {");
    for (int i = 0; i < 100; i++) bt_buf_printf(&b, "%sk%d: v", i ? "," : "", i);
    bt_buf_appends(&b, "}}}\n  - {id: e, type: return-data, properties: {");
    for (int i = 0; i < 1001; i++) bt_buf_printf(&b, "%sk%d: v", i ? "," : "", i);
    bt_buf_appends(&b, "}}\n");
    load(bt_buf_str(&b), &l);
    expect_at(&l, 2, 10, "'returns' lists 5000 names, over the limit of 1000");
    expect_at(&l, 4, 3, "the runbook has 1001 parameters, over the limit of "
                        "1000");
    expect_at(&l, 1007, 0, "activity 'e' (return-data): 1001 properties, over "
                           "the limit of 1000");
    assert_int_equal(l.d.count, 3);
    loaded_free(&l);
    bt_buf_free(&b);
}

static const char *FUZZ_BASE =
    "name: Fuzz\n"
    "parameters: [{name: n, type: integer, default: 2}]\n"
    "activities:\n"
    "  - {id: s, type: initialize-data}\n"
    "  - id: r\n"
    "    type: fake-exec\n"
    "    properties: {command: \"x {s.n}\", arguments: [a, b], env: {K: v}}\n"
    "    retry: {max: 2, delay: 1s, until: \"{r.exit_code} == 0\"}\n"
    "    flatten: {separator: ','}\n"
    "  - {id: d, type: return-data, properties: {v: '{r.stdout}'}}\n"
    "links:\n"
    "  - {from: s, to: r}\n"
    "  - {from: r, to: d, when: \"{r.stdout} contains x\", on: [success]}\n"
    "  - {from: d, to: r, loop_guard: 2}\n";

static void load_mutant(const char *text, size_t len, int *ok, int *bad) {
    setup_types();
    bt_runbook *rb = NULL;
    bt_diags d;
    bt_diags_init(&d);
    bt_doc *doc = NULL;
    bt_error err;
    bt_error_clear(&err);
    int rc;
    if (bt_doc_parse_string("m.yaml", text, len, &doc, &err) != 0) {
        bt_diags_add_error(&d, &err);
        rc = -err.code;
    } else {
        rc = bt__runbook_load_doc(doc, test_types, n_test_types, &rb, &d);
    }
    if (rc == 0) {
        assert_non_null(rb);
        assert_int_equal(d.count, 0);
        (*ok)++;
    } else {
        assert_null(rb);
        assert_true(d.count > 0);
        for (size_t i = 0; i < d.count; i++)
            assert_true(d.items[i].message[0] != '\0');
        (*bad)++;
    }
    bt_runbook_free(rb);
    bt_diags_free(&d);
}

static uint32_t next_rand(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void test_mutations_never_crash(void **state) {
    (void)state;
    {
        loaded l;
        load(FUZZ_BASE, &l);
        expect_ok(&l);
        loaded_free(&l);
    }
    size_t n = strlen(FUZZ_BASE);
    char *buf = bt_xmalloc(n + 64);
    int ok = 0, bad = 0;
    /* Truncation at every offset. */
    for (size_t cut = 0; cut < n; cut++) load_mutant(FUZZ_BASE, cut, &ok, &bad);
    /* Bit flips: every bit of every byte. */
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, FUZZ_BASE, n);
            buf[i] = (char)(buf[i] ^ (1 << bit));
            load_mutant(buf, n, &ok, &bad);
        }
    }
    /* Insertions of YAML-significant and random bytes, fixed seed. */
    static const char special[] = "{}[]:,-#&*!|>'\"%@`\n\t {}.";
    uint32_t seed = 12345;
    for (int round = 0; round < 5000; round++) {
        size_t at = next_rand(&seed) % (n + 1);
        size_t k = 1 + next_rand(&seed) % 3;
        memcpy(buf, FUZZ_BASE, at);
        for (size_t j = 0; j < k; j++)
            buf[at + j] = round % 2
                              ? special[next_rand(&seed) % (sizeof special - 1)]
                              : (char)next_rand(&seed);
        memcpy(buf + at + k, FUZZ_BASE + at, n - at);
        load_mutant(buf, n + k, &ok, &bad);
    }
    /* Deletions of a random span. */
    for (int round = 0; round < 2000; round++) {
        size_t at = next_rand(&seed) % n;
        size_t k = 1 + next_rand(&seed) % 8;
        if (at + k > n) k = n - at;
        memcpy(buf, FUZZ_BASE, at);
        memcpy(buf + at, FUZZ_BASE + at + k, n - at - k);
        load_mutant(buf, n - k, &ok, &bad);
    }
    free(buf);
    /* Both outcomes happen: the mutations are neither all fatal nor all
     * harmless. */
    assert_true(ok > 10);
    assert_true(bad > 3000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_model),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_json_runbook),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_wrong_kinds),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_identifiers_and_duplicates),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_parameter_checks),
        cmocka_unit_test(test_activity_types),
        cmocka_unit_test(test_property_checks),
        cmocka_unit_test(test_type_check_hook),
        cmocka_unit_test(test_retry_flatten_timeout),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_reference_checks),
        cmocka_unit_test(test_references_in_conditions),
        cmocka_unit_test(test_link_checks),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_start_activities),
        cmocka_unit_test(test_many_errors_at_once),
        cmocka_unit_test(test_builtin_control_types),
        cmocka_unit_test(test_builtin_run_program),
        cmocka_unit_test(test_builtin_run_script),
        cmocka_unit_test(test_builtin_compare_values),
        cmocka_unit_test(test_hostile_sizes),
        cmocka_unit_test(test_mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
