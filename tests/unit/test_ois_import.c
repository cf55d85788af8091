/* Orchestrator import: the fixture export (written by
 * tests/fixtures/ois/generate.py in the layout of a Runbook Designer
 * export) converts into runbooks that load, run and say what they came
 * from; the report lists every placeholder, unresolved reference and
 * blocked condition; hostile and broken files fail with a precise error
 * and no result. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/util.h"
#include "harness.h"
#include "mgmt/ois_import.h"
#include "mgmt/ois_store.h"
#include "mgmt/ois_xml.h"
#include "runbook/doc.h"

static char *fixture(const char *name) {
    const char *src = getenv("BATON_SOURCE_DIR");
    return bt_xasprintf("%s/tests/fixtures/ois/%s", src ? src : ".", name);
}

static bt_ois_import *import_fixture_named(const char *name) {
    char *path = fixture(name);
    bt_ois_import *imp = NULL;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_ois_import_file(path, NULL, &imp, &err);
    if (rc) fprintf(stderr, "import: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(imp);
    free(path);
    return imp;
}

static bt_ois_import *import_fixture(void) {
    return import_fixture_named("operations.ois_export");
}

static const bt_ois_runbook *find_rb(const bt_ois_import *imp,
                                     const char *name) {
    for (size_t i = 0; i < imp->n_runbooks; i++)
        if (!strcmp(imp->runbooks[i].name, name)) return &imp->runbooks[i];
    fail_msg("no runbook '%s'", name);
    return NULL;
}

static bt_runbook *load(const bt_ois_runbook *r) {
    bt_runbook *rb = NULL;
    bt_diags d;
    bt_diags_init(&d);
    int rc = bt_runbook_load_string(r->path, r->yaml, strlen(r->yaml), NULL,
                                    &rb, &d);
    if (rc) {
        bt_diags_print(&d, stderr);
        fprintf(stderr, "%s\n", r->yaml);
    }
    assert_int_equal(rc, 0);
    bt_diags_free(&d);
    return rb;
}

static const char *prop(const bt_runbook *rb, const char *id,
                        const char *name) {
    const bt_activity_def *a = bt_runbook_find(rb, id);
    assert_non_null(a);
    const bt_node *n = bt_node_get(a->properties, name);
    return n && n->kind == BT_NODE_SCALAR ? n->str : NULL;
}

static const bt_ois_item *find_item(const bt_ois_runbook *r,
                                    bt_ois_item_kind kind, const char *text) {
    for (size_t i = 0; i < r->n_items; i++)
        if (r->items[i].kind == kind && strstr(r->items[i].text, text))
            return &r->items[i];
    return NULL;
}

static const bt_link_def *find_link(const bt_runbook *rb, const char *from,
                                    const char *to) {
    size_t f = bt_runbook_index(rb, from), t = bt_runbook_index(rb, to);
    for (size_t i = 0; i < rb->n_links; i++)
        if (rb->links[i].from == f && rb->links[i].to == t)
            return &rb->links[i];
    fail_msg("no link %s -> %s", from, to);
    return NULL;
}

/* ---- the fixture ----------------------------------------------------------
 */

static void test_tree_and_validity(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    assert_int_equal(imp->n_runbooks, 4);
    const char *want[] = {"/Operations", "/Operations/Web",
                          "/Operations/Maintenance", "/Operations/Empty Folder",
                          "/Reports"};
    for (size_t k = 0; k < BT_ARRAY_LEN(want); k++) {
        bool found = false;
        for (size_t i = 0; i < imp->n_folders; i++)
            found |= !strcmp(imp->folders[i], want[k]);
        if (!found) fail_msg("folder %s missing", want[k]);
    }
    const bt_ois_runbook *r = find_rb(imp, "Restart Web Service");
    assert_string_equal(r->folder, "/Operations/Web");
    assert_string_equal(r->path,
                        "Operations/Web/Restart-Web-Service.runbook.yaml");
    /* Every converted runbook passes the validator, checked again here. */
    for (size_t i = 0; i < imp->n_runbooks; i++) {
        assert_true(imp->runbooks[i].valid);
        bt_runbook_free(load(&imp->runbooks[i]));
    }
    assert_false(bt_ois_import_complete(imp));
    assert_int_equal(bt_ois_import_count(imp, BT_OIS_INVALID), 0);
    assert_int_equal(bt_ois_import_count(imp, BT_OIS_PLACEHOLDER), 2);
    assert_int_equal(bt_ois_import_count(imp, BT_OIS_CONDITION_FAILED), 1);
    assert_int_equal(bt_ois_import_count(imp, BT_OIS_UNRESOLVED), 3);
    bt_ois_import_free(imp);
}

static void test_parameters_references_conditions(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    const bt_ois_runbook *r = find_rb(imp, "Restart Web Service");
    bt_runbook *rb = load(r);
    /* Initialize Data parameters, names made identifiers, types kept. */
    assert_int_equal(rb->n_params, 3);
    assert_string_equal(rb->params[0].name, "host_name");
    assert_string_equal(rb->params[2].name, "max_attempts");
    assert_int_equal(rb->params[2].type, BT_TYPE_INTEGER);
    assert_non_null(strstr(rb->params[0].description, "Host Name"));
    /* {InitData}.{ParamGUID} and {Activity}.Name references. */
    assert_string_equal(prop(rb, "restart_unit", "command"),
                        "systemctl restart {initialize_data.unit}");
    assert_string_equal(prop(rb, "exit_code_is_zero", "left"),
                        "{restart_unit.exit_code}");
    assert_string_equal(prop(rb, "log_restart", "path"),
                        "{var:log_folder}/restarts.log");
    /* Literal braces that would read as a reference stay literal. */
    const char *text = prop(rb, "log_restart", "text");
    assert_non_null(strstr(text, "{restart_unit.end_time}"));
    assert_non_null(strstr(text, "{exit}="));
    assert_string_equal(prop(rb, "return_result", "output"),
                        "{restart_unit.stdout}");
    /* Links: a result condition, a data condition, And. */
    assert_int_equal(
        find_link(rb, "restart_unit", "send_failure_trap")->on_mask,
        BT_ON_WARNING | BT_ON_FAILED);
    const bt_link_def *l = find_link(rb, "exit_code_is_zero", "log_restart");
    assert_int_equal(l->on_mask, BT_ON_SUCCESS | BT_ON_WARNING | BT_ON_FAILED);
    assert_int_equal(l->n_include, 1);
    l = find_link(rb, "log_restart", "return_result");
    assert_int_equal(l->on_mask, BT_ON_SUCCESS);
    assert_int_equal(l->n_include, 1);
    assert_non_null(
        strstr(r->yaml, "{restart_unit.stdout} not contains \\\"error\\\""));
    assert_non_null(strstr(
        r->yaml, "{exit_code_is_zero.comparison_result} == \\\"true\\\""));
    assert_non_null(find_item(r, BT_OIS_CONDITION, "became"));
    /* The placeholder keeps the original type and properties. */
    const bt_ois_item *p = find_item(r, BT_OIS_PLACEHOLDER, "trap OID");
    assert_non_null(p);
    assert_string_equal(p->original_type, "Send SNMP Trap");
    assert_string_equal(p->id, "send_failure_trap");
    bool host = false;
    for (size_t i = 0; i < p->n_props; i++)
        host |= !strcmp(p->prop_names[i], "Host") &&
                !strcmp(p->prop_values[i], "nms.contoso.com");
    assert_true(host);
    assert_string_equal(bt_runbook_find(rb, "send_failure_trap")->type_name,
                        "placeholder");
    assert_non_null(find_item(r, BT_OIS_SKIPPED, "annotation"));
    bt_runbook_free(rb);
    bt_ois_import_free(imp);
}

static void test_unresolved_and_blocked(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    const bt_ois_runbook *r = find_rb(imp, "Nightly Report");
    bt_runbook *rb = load(r);
    /* A reference to an activity of another runbook. */
    assert_non_null(find_item(r, BT_OIS_UNRESOLVED, "not in this runbook"));
    assert_non_null(strstr(prop(rb, "mail_result", "text"),
                           "[unresolved Orchestrator reference:"));
    /* An encrypted property value. */
    assert_non_null(find_item(r, BT_OIS_UNRESOLVED, "encrypted"));
    /* An unknown condition blocks its link rather than dropping it. */
    assert_non_null(find_item(r, BT_OIS_CONDITION_FAILED, "isbetween"));
    const bt_link_def *l = find_link(rb, "read_counter", "collect_stats");
    assert_int_equal(l->n_include, 1);
    assert_non_null(strstr(r->yaml, "# ois: condition not converted"));
    /* A third-party integration pack activity is a placeholder. */
    const bt_ois_item *p = find_item(r, BT_OIS_PLACEHOLDER, "not a standard");
    assert_non_null(p);
    assert_string_equal(p->original_type, "Create VM From Template");
    /* Run .Net Script (PowerShell) publishes its variables. */
    const bt_activity_def *ps = bt_runbook_find(rb, "collect_stats");
    assert_string_equal(ps->type_name, "run-script");
    assert_int_equal(ps->n_publishes, 1);
    assert_string_equal(ps->publishes[0], "total_files");
    assert_non_null(
        strstr(prop(rb, "collect_stats", "script"), "$env:BATON_OUTPUT"));
    /* Counters and schedules are named by GUID in activities; converted
     * when this build has those activities, placeholders otherwise. */
    const bt_registry *reg = bt_registry_builtin();
    if (bt_registry_find(reg, "get-counter"))
        assert_string_equal(prop(rb, "read_counter", "counter"),
                            "restart_count");
    if (bt_registry_find(reg, "check-schedule"))
        assert_string_equal(prop(rb, "in_maintenance_window", "schedule"),
                            "business_hours");
    if (bt_registry_find(reg, "invoke-runbook"))
        assert_string_equal(prop(rb, "restart_web", "runbook"),
                            "/Operations/Web/Restart Web Service");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);
}

/* Monitor File's nested filters and event flags. */
static void test_monitor_file(void **state) {
    (void)state;
    if (!bt_registry_find(bt_registry_builtin(), "monitor-file")) skip();
    bt_ois_import *imp = import_fixture();
    const bt_ois_runbook *r = find_rb(imp, "Import Drops");
    bt_runbook *rb = load(r);
    const bt_activity_def *w = bt_runbook_find(rb, "watch_incoming");
    assert_string_equal(w->type_name, "monitor-file");
    assert_string_equal(prop(rb, "watch_incoming", "folder"), "/srv/incoming");
    const bt_node *pat = bt_node_get(w->properties, "pattern");
    assert_int_equal(pat->kind, BT_NODE_SEQ);
    assert_string_equal(pat->items[0]->str, "*.csv");
    assert_string_equal(prop(rb, "load_csv", "command"),
                        "/usr/local/bin/import-csv '{watch_incoming.path}'");
    assert_non_null(find_item(r, BT_OIS_NOTE, "rename"));
    bt_runbook_free(rb);
    bt_ois_import_free(imp);
}

static void test_globals(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    assert_int_equal(imp->n_variables, 3);
    int encrypted = 0;
    for (size_t i = 0; i < imp->n_variables; i++) {
        const bt_ois_variable *v = &imp->variables[i];
        if (!strcmp(v->name, "service_password")) {
            assert_true(v->encrypted);
            assert_null(v->value);
            encrypted++;
        } else if (!strcmp(v->name, "smtp_server")) {
            assert_string_equal(v->value, "mail.contoso.com");
            assert_string_equal(v->folder, "/Mail");
        }
    }
    assert_int_equal(encrypted, 1);
    assert_int_equal(imp->n_counters, 1);
    assert_string_equal(imp->counters[0].name, "restart_count");
    assert_string_equal(imp->counters[0].default_value, "0");
    assert_int_equal(imp->n_schedules, 1);
    json_t *def = json_loads(imp->schedules[0].definition, 0, NULL);
    assert_non_null(def);
    assert_int_equal(json_array_size(json_object_get(def, "days_of_week")), 5);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(def, "hours"), 0)),
        "08:00-17:00");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(def, "exceptions"), 1)),
                        "2027-01-01");
    json_decref(def);
    /* globals.yaml is YAML the project's parser reads. */
    bt_doc *doc = NULL;
    bt_error err;
    assert_int_equal(bt_doc_parse_string("globals.yaml", imp->globals_yaml,
                                         strlen(imp->globals_yaml), &doc, &err),
                     0);
    const bt_node *vars = bt_node_get(doc->root, "variables");
    assert_non_null(vars);
    assert_int_equal(vars->count, 3);
    bt_doc_free(doc);
    bt_ois_import_free(imp);
}

static void test_report_json(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    json_t *j = bt_ois_report_json(imp);
    json_t *s = json_object_get(j, "summary");
    assert_int_equal(json_integer_value(json_object_get(s, "placeholders")), 2);
    assert_int_equal(
        json_integer_value(json_object_get(s, "encrypted_variables")), 1);
    assert_false(json_is_true(json_object_get(j, "complete")));
    json_t *rbs = json_object_get(j, "runbooks");
    assert_int_equal(json_array_size(rbs), 4);
    bool placeholder_props = false;
    size_t i;
    json_t *rb;
    json_array_foreach(rbs, i, rb) {
        size_t k;
        json_t *it;
        json_array_foreach(json_object_get(rb, "items"), k, it) {
            if (!strcmp(json_string_value(json_object_get(it, "kind")),
                        "placeholder"))
                placeholder_props |= json_object_get(it, "properties") != NULL;
        }
    }
    assert_true(placeholder_props);
    json_decref(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bt_ois_report_print(imp, f);
    fclose(f);
    assert_non_null(strstr(buf, "Send SNMP Trap"));
    assert_non_null(strstr(buf, "Link conditions not converted"));
    free(buf);
    bt_ois_import_free(imp);
}

/* The runbook that uses only converted activities runs, end to end. */
static void test_converted_runbook_runs(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    const bt_ois_runbook *r = find_rb(imp, "Rotate Logs");
    assert_int_equal(find_item(r, BT_OIS_PLACEHOLDER, "") == NULL, 1);
    char *dir = bt_harness_tmpdir();
    char *param = bt_xasprintf("work_dir=%s", dir);
    const char *params[] = {param, NULL};
    bt_harness_run run;
    assert_int_equal(bt_harness_run_yaml(r->yaml, params, &run), 0);
    assert_int_equal(bt_instance_result(run.inst), BT_RESULT_SUCCESS);
    assert_string_equal(bt_harness_field(&run, "report", "errors"), "1");
    assert_string_equal(bt_harness_field(&run, "report", "day"), "2026-11-24");
    assert_string_equal(bt_harness_field(&run, "report", "archive_size"), "37");
    const char *tok = bt_harness_field(&run, "make_token", "text");
    assert_int_equal(strlen(tok), 12);
    for (const char *p = tok; *p; p++)
        assert_true((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
    bt_harness_run_free(&run);
    char *copy = bt_xasprintf("%s/archive/app.log", dir);
    char *content = bt_harness_read_file(copy);
    assert_non_null(content);
    assert_non_null(strstr(content, "ERROR disk full"));
    free(content);
    free(copy);
    bt_harness_rmrf(dir);
    free(dir);
    free(param);
    bt_ois_import_free(imp);
}

static void test_write_tree(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture();
    char *dir = bt_harness_tmpdir();
    bt_error err;
    assert_int_equal(bt_ois_import_write(imp, dir, &err), 0);
    for (size_t i = 0; i < imp->n_runbooks; i++) {
        char *p = bt_xasprintf("%s/%s", dir, imp->runbooks[i].path);
        char *c = bt_harness_read_file(p);
        assert_non_null(c);
        assert_string_equal(c, imp->runbooks[i].yaml);
        free(c);
        free(p);
    }
    char *g = bt_xasprintf("%s/globals.yaml", dir);
    char *e = bt_xasprintf("%s/Operations/Empty-Folder", dir);
    struct stat st;
    assert_int_equal(stat(g, &st), 0);
    assert_int_equal(stat(e, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(g);
    free(e);
    bt_harness_rmrf(dir);
    free(dir);
    bt_ois_import_free(imp);
}

/* ---- small exports built here -----------------------------------------------
 */

#define OBJ(guid, name, type, body)                                            \
    "<Object><UniqueID datatype=\"string\">" guid "</UniqueID>"                \
    "<Name datatype=\"string\">" name "</Name>"                                \
    "<ObjectTypeName datatype=\"string\">" type "</ObjectTypeName>" body       \
    "</Object>"
#define LINK(guid, from, to, triggers)                                         \
    OBJ(guid, "Link", "Link",                                                  \
        "<ObjectType datatype=\"string\">"                                     \
        "{7A65BD17-9532-4D07-A6DA-E0F89FA0203E}</ObjectType>"                  \
        "<SourceObject datatype=\"string\">" from "</SourceObject>"            \
        "<TargetObject datatype=\"string\">" to "</TargetObject>" triggers)
#define G1 "{11111111-1111-1111-1111-111111111111}"
#define G2 "{22222222-2222-2222-2222-222222222222}"
#define G3 "{33333333-3333-3333-3333-333333333333}"
#define EXPORT(objects)                                                        \
    "<ExportData><Policies><Folder><Name datatype=\"string\">T</Name>"         \
    "<Policy><UniqueID datatype=\"string\">{44444444-4444-4444-4444-"          \
    "444444444444}</UniqueID><Name datatype=\"string\">R</Name>" objects       \
    "</Policy></Folder></Policies></ExportData>"

static bt_ois_import *import_text(const char *xml) {
    bt_ois_import *imp = NULL;
    bt_error err;
    bt_error_clear(&err);
    int rc = bt_ois_import_memory("t.ois_export", xml, strlen(xml), NULL, &imp,
                                  &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(imp->n_runbooks, 1);
    if (!imp->runbooks[0].valid) fprintf(stderr, "%s\n", imp->runbooks[0].yaml);
    assert_true(imp->runbooks[0].valid);
    return imp;
}

/* A placeholder fails when run, naming the original type. */
static void test_placeholder_fails_when_run(void **state) {
    (void)state;
    bt_ois_import *imp =
        import_text(EXPORT(OBJ(G1, "Trap It", "Send SNMP Trap",
                               "<Host datatype=\"string\">nms</Host>")));
    bt_harness_run run;
    assert_int_equal(bt_harness_run_yaml(imp->runbooks[0].yaml, NULL, &run), 0);
    assert_int_equal(bt_instance_result(run.inst), BT_RESULT_FAILED);
    const bt_activity_record *rec = bt_harness_record(&run, "trap_it", 0);
    assert_non_null(rec);
    assert_non_null(strstr(bt_harness_field(&run, "trap_it", "error"),
                           "imported from Orchestrator type 'Send SNMP Trap' "
                           "and has no Baton equivalent yet"));
    bt_harness_run_free(&run);
    bt_ois_import_free(imp);
}

/* Orchestrator text that reads like a Baton reference stays literal, and a
 * reference to an activity that does not run before the reader is
 * reported instead of written. */
static void test_literal_braces_and_order(void **state) {
    (void)state;
    bt_ois_import *imp = import_text(EXPORT(
        OBJ(G1, "Gen", "Generate Random Text",
            "<StringLength datatype=\"string\">4</StringLength>")
            OBJ(G2, "Out", "Return Data",
                "<ReturnData><Entry><Key>Value</Key><Value>{lit.eral} "
                "{var:x} \\`d.T.~Ed/" G1
                ".Random text\\`d.T.~Ed/</Value></Entry>"
                "<Entry><Key>Later</Key><Value>\\`d.T.~Ed/" G3
                ".Random text\\`d.T.~Ed/</Value></Entry></ReturnData>")
                OBJ(G3, "After", "Generate Random Text", "")
                    LINK("{55555555-5555-5555-5555-555555555555}", G1, G2, "")
                        LINK("{66666666-6666-6666-6666-666666666666}", G2, G3,
                             "")));
    const bt_ois_runbook *r = &imp->runbooks[0];
    assert_non_null(find_item(r, BT_OIS_UNRESOLVED, "does not run before"));
    bt_harness_run run;
    assert_int_equal(bt_harness_run_yaml(r->yaml, NULL, &run), 0);
    const char *v = bt_harness_field(&run, "out", "value");
    assert_non_null(v);
    assert_int_equal(strncmp(v, "{lit.eral} {var:x} ", 19), 0);
    assert_int_equal(strlen(v), 19 + 4);
    bt_harness_run_free(&run);
    bt_ois_import_free(imp);
}

/* Text survives the trip through YAML exactly: blocks, tabs, quotes,
 * backslashes, CR LF, trailing newlines, leading spaces, non-ASCII. */
static void test_text_round_trip(void **state) {
    (void)state;
    static const char *const texts[] = {
        "line one&#xD;\nline two\n",
        "a\n\tb\n  c",
        "  leading\nx",
        "ends\n\n\n",
        "quote \" and \\ backslash: # not a comment",
        "caf\xc3\xa9 \xe2\x82\xac",
        "- dash\n? q\n: colon",
        "x\n \ny",
        "*star &amp; {curly} [bracket] %pct @at `tick`",
        ""};
    static const char *const want[] = {
        "line one\nline two\n",
        "a\n\tb\n  c",
        "  leading\nx",
        "ends\n\n\n",
        "quote \" and \\ backslash: # not a comment",
        "caf\xc3\xa9 \xe2\x82\xac",
        "- dash\n? q\n: colon",
        "x\n \ny",
        "*star & {curly} [bracket] %pct @at `tick`",
        ""};
    for (size_t i = 0; i < BT_ARRAY_LEN(texts); i++) {
        char *xml = bt_xasprintf(
            "<ExportData><Policies><Folder><Policy><Name>R</Name>"
            "<Object><UniqueID>" G1 "</UniqueID><Name>Out</Name>"
            "<ObjectTypeName>Return Data</ObjectTypeName><ReturnData><Entry>"
            "<Key>v</Key><Value>%s</Value></Entry></ReturnData></Object>"
            "</Policy></Folder></Policies></ExportData>",
            texts[i]);
        bt_ois_import *imp = import_text(xml);
        bt_runbook *rb = load(&imp->runbooks[0]);
        const char *got = prop(rb, "out", "v");
        if (!got) got = "";
        if (strcmp(got, want[i]))
            fail_msg("text %zu: got '%s' from\n%s", i, got,
                     imp->runbooks[0].yaml);
        bt_runbook_free(rb);
        bt_ois_import_free(imp);
        free(xml);
    }
}

/* Include conditions are OR'd unless And is set; a result condition OR'd
 * with data becomes a condition on status. */
static void test_or_conditions(void **state) {
    (void)state;
    bt_ois_import *imp = import_text(EXPORT(
        OBJ(G1, "A", "Generate Random Text", "") OBJ(G2, "B",
                                                     "Generate Random Text", "")
            LINK("{55555555-5555-5555-5555-555555555555}", G1, G2,
                 "<TRIGGERS><Entry><Data>" G1 "</Data><Condition></Condition>"
                 "<Value>failed</Value></Entry><Entry><Data>" G1 ".Random text"
                 "</Data><Condition>startswith</Condition><Value>Q</Value>"
                 "</Entry><Entry><Data>" G1 ".Random text</Data><Condition>"
                 "doesnotmatchpattern</Condition><Value>^\\d+$</Value></Entry>"
                 "</TRIGGERS>")));
    const bt_ois_runbook *r = &imp->runbooks[0];
    assert_non_null(strstr(r->yaml, "on: any"));
    assert_non_null(strstr(r->yaml, "\"{a.status} == failed\""));
    assert_non_null(strstr(r->yaml, "{a.text} starts with \\\"Q\\\""));
    assert_non_null(strstr(r->yaml, "{a.text} not matches \\\"^[0-9]+$\\\""));
    bt_runbook *rb = load(r);
    assert_int_equal(rb->links[0].n_include, 3);
    bt_runbook_free(rb);
    assert_true(bt_ois_import_complete(imp));
    bt_ois_import_free(imp);
}

/* ---- bad input
 * ----------------------------------------------------------------- */

static int import_bad(const char *xml, size_t len, bt_error *err) {
    bt_ois_import *imp = (bt_ois_import *)1;
    bt_error_clear(err);
    int rc = bt_ois_import_memory("bad.ois_export", xml, len, NULL, &imp, err);
    assert_null(imp);
    assert_int_not_equal(rc, 0);
    assert_int_equal(-rc, err->code);
    assert_string_equal(err->file, "bad.ois_export");
    return rc;
}

static void test_billion_laughs(void **state) {
    (void)state;
    const char *xml =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 "
        "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 "
        "\"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 "
        "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 "
        "\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 "
        "\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 "
        "\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 "
        "\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 "
        "\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 "
        "\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<ExportData><Policies><Folder><Name>&lol9;</Name></Folder>"
        "</Policies></ExportData>\n";
    bt_error err;
    uint64_t t0 = bt_mono_us();
    assert_int_equal(import_bad(xml, strlen(xml), &err), -BT_EINVAL);
    assert_true(bt_mono_us() - t0 < 2000000);
    assert_non_null(strstr(err.message, "document type declaration"));
    assert_int_equal(err.line, 2);
}

static void test_external_entity(void **state) {
    (void)state;
    const char *xml =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
        "<ExportData><Policies><Folder><Name>&xxe;</Name></Folder>"
        "</Policies></ExportData>\n";
    bt_error err;
    import_bad(xml, strlen(xml), &err);
    assert_non_null(strstr(err.message, "document type declaration"));
    assert_null(strstr(err.message, "root:"));
    /* Without a DTD an entity reference is simply undefined. */
    const char *bare = "<ExportData><Policies><Folder><Name>&xxe;</Name>"
                       "</Folder></Policies></ExportData>";
    import_bad(bare, strlen(bare), &err);
    assert_int_equal(err.code, BT_ESYNTAX);
    assert_non_null(strstr(err.message, "xxe"));
    assert_null(strstr(err.message, "root:"));
    /* An external DTD is refused the same way, without being fetched. */
    const char *ext =
        "<!DOCTYPE ExportData SYSTEM \"http://127.0.0.1:9/x.dtd\">"
        "<ExportData/>";
    import_bad(ext, strlen(ext), &err);
    assert_non_null(strstr(err.message, "document type declaration"));
}

static void test_truncated(void **state) {
    (void)state;
    char *path = fixture("operations.ois_export");
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_error err;
    assert_int_equal(bt_buf_read_file(&b, path, &err), 0);
    free(path);
    import_bad(b.data, b.len / 2, &err);
    assert_int_equal(err.code, BT_ESYNTAX);
    assert_non_null(strstr(err.message, "not well-formed XML"));
    assert_true(err.line > 0);
    bt_buf_free(&b);
}

static void test_huge_file(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *path = bt_harness_path(dir, "huge.ois_export");
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)50 << 20), 0); /* 50 MiB, sparse */
    close(fd);
    bt_ois_import *imp = (bt_ois_import *)1;
    bt_error err;
    assert_int_equal(bt_ois_import_file(path, NULL, &imp, &err), -BT_ETOOBIG);
    assert_null(imp);
    assert_non_null(strstr(err.message, "52428800 bytes, over the limit"));
    bt_harness_rmrf(dir);
    free(path);
    free(dir);
}

static void test_deep_nesting(void **state) {
    (void)state;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b, "<ExportData>");
    for (int i = 0; i < 100000; i++)
        bt_buf_appends(&b, "<Folder>");
    bt_error err;
    import_bad(b.data, b.len, &err);
    assert_int_equal(err.code, BT_ETOOBIG);
    assert_non_null(strstr(err.message, "nested more than 256 levels"));
    assert_int_equal(err.line, 1);
    bt_buf_free(&b);
}

/* Many small nodes: a tree of millions of nodes is refused at the cap,
 * whether elements, attributes or comments. */
static void test_node_cap(void **state) {
    (void)state;
    const char *unit[] = {"<a/>", "<a b='' c='' d='' e='' f='' g='' h=''/>",
                          "<!---->"};
    size_t per[] = {1, 8, 1};
    for (size_t k = 0; k < 3; k++) {
        bt_buf b;
        bt_buf_init(&b, 0);
        bt_buf_appends(&b, "<ExportData>");
        for (size_t i = 0; i <= BT_OIS_MAX_ELEMENTS / per[k] + 1; i++)
            bt_buf_appends(&b, unit[k]);
        bt_buf_appends(&b, "</ExportData>");
        bt_error err;
        import_bad(b.data, b.len, &err);
        assert_int_equal(err.code, BT_ETOOBIG);
        assert_non_null(strstr(err.message, "BT_OIS_MAX_ELEMENTS"));
        bt_buf_free(&b);
    }
}

/* An export in another encoding its declaration names (UTF-16 with a
 * byte order mark) reads the same. */
static void test_utf16(void **state) {
    (void)state;
    const char *xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?>" EXPORT(
        OBJ(G1, "Caf\xc3\xa9 Token", "Generate Random Text", ""));
    /* UTF-8 to UTF-16LE: every character here is below U+0800. */
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_append(&b, "\xff\xfe", 2);
    for (const unsigned char *p = (const unsigned char *)xml; *p; p++) {
        unsigned cp = *p;
        if (cp >= 0xC0) {
            cp = ((cp & 0x1F) << 6) | (p[1] & 0x3F);
            p++;
        }
        char u[2] = {(char)(cp & 0xFF), (char)(cp >> 8)};
        bt_buf_append(&b, u, 2);
    }
    bt_ois_import *imp = NULL;
    bt_error err;
    assert_int_equal(
        bt_ois_import_memory("u16.ois_export", b.data, b.len, NULL, &imp, &err),
        0);
    assert_non_null(
        strstr(imp->runbooks[0].yaml, "name: \"Caf\xc3\xa9 Token\""));
    assert_true(imp->runbooks[0].valid);
    bt_ois_import_free(imp);
    bt_buf_free(&b);
}

/* A runbook over the loader's limits is reported, not converted; the rest
 * of the export still is. Too many runbooks refuse the whole file. */
static void test_counts(void **state) {
    (void)state;
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appends(&b,
                   "<ExportData><Policies><Folder><Policy><Name>Huge</Name>");
    for (int i = 0; i < 4097; i++)
        bt_buf_printf(&b,
                      "<Object><UniqueID>{%08X-0000-0000-0000-000000000000}"
                      "</UniqueID><Name>A%d</Name><ObjectTypeName>Junction"
                      "</ObjectTypeName></Object>",
                      i, i);
    bt_buf_appends(&b, "</Policy><Policy><Name>Small</Name>" OBJ(
                           G1, "J", "Junction",
                           "") "</Policy></Folder></Policies></ExportData>");
    bt_ois_import *imp = NULL;
    bt_error err;
    assert_int_equal(
        bt_ois_import_memory("c.ois_export", b.data, b.len, NULL, &imp, &err),
        0);
    assert_int_equal(imp->n_runbooks, 2);
    assert_null(imp->runbooks[0].yaml);
    assert_false(imp->runbooks[0].valid);
    assert_non_null(find_item(&imp->runbooks[0], BT_OIS_INVALID,
                              "4097 activities and 0 links, over the limits"));
    assert_true(imp->runbooks[1].valid);
    char *dir = bt_harness_tmpdir();
    assert_int_equal(bt_ois_import_write(imp, dir, &err), 0);
    char *small = bt_xasprintf("%s/Small.runbook.yaml", dir);
    struct stat st;
    assert_int_equal(stat(small, &st), 0);
    free(small);
    bt_harness_rmrf(dir);
    free(dir);
    bt_ois_import_free(imp);

    bt_buf_reset(&b);
    bt_buf_appends(&b, "<ExportData><Policies><Folder>");
    for (int i = 0; i < 10001; i++)
        bt_buf_appends(&b, "<Policy/>");
    bt_buf_appends(&b, "</Folder></Policies></ExportData>");
    import_bad(b.data, b.len, &err);
    assert_non_null(strstr(err.message, "10001 runbooks, over the limit"));
    bt_buf_free(&b);
}

/* Storing: runbooks as versions, globals; a counter keeps its value on a
 * second import; a failure part-way stores nothing. */
static void test_store(void **state) {
    (void)state;
    char *dir = bt_harness_tmpdir();
    char *url = bt_xasprintf("sqlite:%s/baton.db", dir);
    bt_store *s = NULL;
    bt_error err;
    assert_int_equal(bt_store_open(url, &s, &err), 0);
    bt_ois_import *imp = import_fixture();
    bt_ois_stored st;
    assert_int_equal(bt_ois_import_store(imp, s, "tester", &st, &err), 0);
    assert_int_equal(st.runbooks, 4);
    assert_int_equal(st.variables, 2); /* not the encrypted one */
    assert_int_equal(st.counters, 1);
    assert_int_equal(st.schedules, 1);
    bt_store_folder f;
    assert_int_equal(bt_store_folder_get(s, "/Operations/Web", &f, &err), 0);
    bt_store_runbook rb;
    assert_int_equal(
        bt_store_runbook_find(s, f.id, "Restart Web Service", &rb, &err), 0);
    assert_int_equal(rb.latest_version, 1);
    bt_store_version v;
    assert_int_equal(bt_store_version_get(s, rb.id, 0, &v, &err), 0);
    assert_string_equal(v.yaml, find_rb(imp, "Restart Web Service")->yaml);
    bt_store_version_clear(&v);
    bt_store_folder ef;
    assert_int_equal(
        bt_store_folder_get(s, "/Operations/Empty Folder", &ef, &err), 0);
    bt_store_folder_clear(&ef);
    bt_store_variable var;
    assert_int_equal(bt_store_variable_get(s, "smtp_server", &var, &err), 0);
    assert_string_equal((const char *)var.value, "mail.contoso.com");
    bt_store_variable_clear(&var);
    assert_int_equal(bt_store_variable_get(s, "service_password", &var, &err),
                     -BT_ENOTFOUND);
    /* Again: a new version; the counter's value is state and stays. */
    assert_int_equal(bt_store_counter_set(s, "restart_count", 7, &err), 0);
    assert_int_equal(bt_ois_import_store(imp, s, "tester", &st, &err), 0);
    assert_int_equal(st.counters, 0);
    int64_t c;
    assert_int_equal(bt_store_counter_get(s, "restart_count", &c, &err), 0);
    assert_int_equal(c, 7);
    bt_store_runbook_clear(&rb);
    assert_int_equal(
        bt_store_runbook_find(s, f.id, "Restart Web Service", &rb, &err), 0);
    assert_int_equal(rb.latest_version, 2);
    bt_store_runbook_clear(&rb);
    bt_store_folder_clear(&f);
    bt_ois_import_free(imp);
    /* A folder name the store refuses, after a good runbook: nothing of
     * this import is stored. */
    imp = NULL;
    const char *xml =
        "<ExportData><Policies><Folder><Name>Fresh</Name><Policy><Name>Good"
        "</Name>" OBJ(G1, "J", "Junction",
                      "") "</Policy></Folder><Folder>"
                          "<Name>..</Name><Policy><Name>Bad</Name>" OBJ(
                              G2, "J", "Junction",
                              "") "</Policy></Folder></Policies></ExportData>";
    assert_int_equal(bt_ois_import_memory("x.ois_export", xml, strlen(xml),
                                          NULL, &imp, &err),
                     0);
    assert_int_not_equal(bt_ois_import_store(imp, s, "tester", &st, &err), 0);
    assert_int_equal(bt_store_folder_get(s, "/Fresh", &ef, &err),
                     -BT_ENOTFOUND);
    bt_ois_import_free(imp);
    bt_store_close(s);
    bt_harness_rmrf(dir);
    free(url);
    free(dir);
}

/* Monitor Counter, with the counter named by GUID. */
static void test_monitor_counter(void **state) {
    (void)state;
    if (!bt_registry_find(bt_registry_builtin(), "monitor-counter")) skip();
    const char *xml =
        "<ExportData><Policies><Folder><Policy><Name>W</Name>" OBJ(
            G1, "Watch", "Monitor Counter",
            "<Counter>" G3 "</Counter><Condition>isgreaterthan</Condition>"
            "<Value>5</Value>") OBJ(G2, "Log", "Append Line",
                                    "<File>/tmp/c.log</File><Text>at "
                                    "\\`d.T.~Ed/" G1
                                    ".Counter value\\`d.T.~Ed/</Text>")
            LINK("{55555555-5555-5555-5555-555555555555}", G1, G2,
                 "") "</Policy></Folder></"
                     "Policies><GlobalSettings><Counters><Folder>"
                     "<Objects><Object><UniqueID>" G3
                     "</UniqueID><Name>Queue Depth</Name>"
                     "<ObjectTypeName>Counter</ObjectTypeName><DefaultValue>0"
                     "</DefaultValue></Object></Objects></Folder></Counters>"
                     "</GlobalSettings></ExportData>";
    bt_ois_import *imp = import_text(xml);
    bt_runbook *rb = load(&imp->runbooks[0]);
    assert_string_equal(prop(rb, "watch", "counter"), "queue_depth");
    assert_string_equal(prop(rb, "watch", "condition"), ">");
    assert_string_equal(prop(rb, "log", "text"), "at {watch.value}");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);
}

/* Exclude filters veto the link. */
static void test_exclude(void **state) {
    (void)state;
    bt_ois_import *imp = import_text(EXPORT(
        OBJ(G1, "A", "Generate Random Text", "") OBJ(G2, "B",
                                                     "Generate Random Text", "")
            LINK("{55555555-5555-5555-5555-555555555555}", G1, G2,
                 "<TRIGGERS><Entry><Data>" G1 "</Data><Condition></Condition>"
                 "<Value>success</Value></Entry><Entry><Data>" G1 ".Random text"
                 "</Data><Condition>contains</Condition><Value>X</Value>"
                 "<Exclude>TRUE</Exclude></Entry></TRIGGERS>")));
    bt_runbook *rb = load(&imp->runbooks[0]);
    assert_int_equal(rb->links[0].on_mask, BT_ON_SUCCESS);
    assert_int_equal(rb->links[0].n_include, 0);
    assert_int_equal(rb->links[0].n_exclude, 1);
    bt_runbook_free(rb);
    bt_ois_import_free(imp);
}

static void test_junk_and_encodings(void **state) {
    (void)state;
    bt_error err;
    unsigned char junk[4096];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (unsigned char)(seed >> 16);
    }
    import_bad((const char *)junk, sizeof junk, &err);
    assert_int_equal(err.code, BT_ESYNTAX);
    const char latin1[] = "<ExportData><Policies><Folder><Name>caf\xe9</Name>"
                          "</Folder></Policies></ExportData>";
    import_bad(latin1, strlen(latin1), &err);
    assert_int_equal(err.code, BT_ESYNTAX);
    assert_non_null(strstr(err.message, "UTF-8"));
    const char nul[] = "<ExportData>\0</ExportData>";
    import_bad(nul, sizeof nul - 1, &err);
    import_bad("", 0, &err);
    assert_non_null(strstr(err.message, "empty"));
    const char *other = "<rss version=\"2.0\"/>";
    import_bad(other, strlen(other), &err);
    assert_non_null(strstr(err.message, "root element is <rss>"));
    const char *empty = "<ExportData><GlobalConfigurations/></ExportData>";
    import_bad(empty, strlen(empty), &err);
    assert_non_null(strstr(err.message, "nothing to import"));
}

/* ---- activities Baton gained after the importer was first written ------ */

static bool yaml_has(const bt_ois_runbook *r, const char *text) {
    if (strstr(r->yaml, text)) return true;
    fprintf(stderr, "'%s' not in:\n%s\n", text, r->yaml);
    return false;
}

/* Line editing, XML, archives and disk space convert and run: the
 * published data downstream activities read maps to Baton's names. */
static void test_standard_runbook_runs(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture_named("standard.ois_export");
    const bt_ois_runbook *r = find_rb(imp, "Edit Hosts");
    assert_null(find_item(r, BT_OIS_PLACEHOLDER, ""));
    assert_null(find_item(r, BT_OIS_UNRESOLVED, ""));
    bt_runbook *rb = load(r);
    assert_string_equal(bt_runbook_find(rb, "insert_first_host")->type_name,
                        "insert-line");
    assert_string_equal(prop(rb, "insert_first_host", "line"), "1");
    assert_string_equal(prop(rb, "drop_database_host", "lines"), "2");
    assert_string_equal(prop(rb, "system_drive_space", "path"), "/");
    assert_string_equal(prop(rb, "pack_hosts", "if_exists"), "overwrite");
    assert_string_equal(prop(rb, "unpack_hosts", "path"),
                        "{pack_hosts.archive}");
    assert_non_null(find_item(r, BT_OIS_NOTE, "drive 'C:'"));
    bt_runbook_free(rb);
    char *dir = bt_harness_tmpdir();
    char *param = bt_xasprintf("work_dir=%s", dir);
    const char *params[] = {param, NULL};
    bt_harness_run run;
    assert_int_equal(bt_harness_run_yaml(r->yaml, params, &run), 0);
    assert_int_equal(bt_instance_result(run.inst), BT_RESULT_SUCCESS);
    assert_string_equal(bt_harness_field(&run, "report", "host"), "web01");
    char *zip = bt_xasprintf("%s/hosts.zip", dir);
    assert_string_equal(bt_harness_field(&run, "report", "archive"), zip);
    assert_true(atof(bt_harness_field(&run, "report", "free_percent")) > 0);
    bt_harness_run_free(&run);
    char *out = bt_xasprintf("%s/unpacked/hosts.txt", dir);
    char *content = bt_harness_read_file(out);
    assert_non_null(content);
    assert_string_equal(content, "web01\nweb02\n");
    free(content);
    free(out);
    free(zip);
    bt_harness_rmrf(dir);
    free(dir);
    free(param);
    bt_ois_import_free(imp);
}

/* Services, mail, syslog, journal, platform events, SSH and SNMP convert
 * (loaded, not run: they need servers); a service on another computer
 * stays a placeholder rather than acting on the runbook server. */
static void test_standard_notify(void **state) {
    (void)state;
    bt_ois_import *imp = import_fixture_named("standard.ois_export");
    const bt_ois_runbook *r = find_rb(imp, "Notify Ops");
    bt_runbook *rb = load(r);
    assert_string_equal(bt_runbook_find(rb, "restart_web")->type_name,
                        "restart-service");
    assert_string_equal(prop(rb, "restart_web", "unit"), "nginx");
    assert_string_equal(bt_runbook_find(rb, "web_service_state")->type_name,
                        "get-service-status");
    const bt_ois_item *p = find_item(r, BT_OIS_PLACEHOLDER, "print01");
    assert_non_null(p);
    assert_string_equal(p->original_type, "Start/Stop Service");
    assert_string_equal(bt_runbook_find(rb, "stop_remote_spooler")->type_name,
                        "placeholder");
    assert_string_equal(prop(rb, "mail_ops", "server"), "{var:smtp_server}");
    assert_string_equal(prop(rb, "mail_ops", "from"),
                        "orchestrator@contoso.com");
    assert_true(
        yaml_has(r, "to: [\"ops@contoso.com\", \"oncall@contoso.com\"]"));
    assert_string_equal(prop(rb, "mail_ops", "subject"),
                        "nginx is {web_service_state.active_state}");
    assert_string_equal(prop(rb, "mail_ops", "priority"), "high");
    assert_string_equal(prop(rb, "tell_syslog", "host"), "127.0.0.1");
    assert_string_equal(prop(rb, "tell_syslog", "facility"), "local3");
    assert_string_equal(prop(rb, "tell_syslog", "severity"), "warning");
    assert_string_equal(bt_runbook_find(rb, "log_event")->type_name,
                        "send-journal-message");
    assert_string_equal(prop(rb, "log_event", "priority"), "err");
    assert_string_equal(prop(rb, "platform_event", "severity"), "warning");
    assert_string_equal(prop(rb, "platform_event", "details"),
                        "by {restart_web.unit}");
    assert_string_equal(prop(rb, "check_backend", "host"), "app01.contoso.com");
    assert_string_equal(prop(rb, "check_backend", "user"), "ops");
    assert_string_equal(prop(rb, "check_backend", "private_key_file"),
                        "/etc/baton/ops.key");
    assert_string_equal(prop(rb, "check_backend", "command"),
                        "systemctl is-active app");
    assert_string_equal(prop(rb, "read_uptime", "host"), "127.0.0.1");
    assert_true(yaml_has(r, "oid: [\"1.3.6.1.2.1.1.3.0\"]"));
    assert_string_equal(prop(rb, "trap_nms", "trap_oid"),
                        "1.3.6.1.4.1.8072.2.3.0.1");
    assert_true(yaml_has(r, "{read_uptime.value} > 0"));
    bt_runbook_free(rb);
    bt_ois_import_free(imp);
}

static const char *one_prop(bt_ois_import *imp, const char *id,
                            const char *name, bt_runbook **rb) {
    *rb = load(&imp->runbooks[0]);
    return prop(*rb, id, name);
}

/* The choices each converter makes, and what it refuses. */
static void test_standard_choices(void **state) {
    (void)state;
    bt_runbook *rb;
    bt_ois_import *imp = import_text(EXPORT(
        OBJ(G1, "Watch", "Monitor Service",
            "<Service datatype=\"string\">cron</Service>"
            "<TriggerIf datatype=\"string\">Service is not running</TriggerIf>"
            "<Interval datatype=\"int\">30</Interval>")));
    assert_string_equal(one_prop(imp, "watch", "trigger_on", &rb), "stopped");
    assert_string_equal(prop(rb, "watch", "interval"), "30s");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    imp = import_text(EXPORT(OBJ(G1, "Low", "Monitor Disk Space",
                                 "<Drive datatype=\"string\">/var</Drive>"
                                 "<Threshold datatype=\"int\">500</Threshold>"
                                 "<ThresholdUnit datatype=\"string\">MB"
                                 "</ThresholdUnit>")));
    assert_string_equal(one_prop(imp, "low", "free_below_bytes", &rb),
                        "524288000");
    assert_string_equal(prop(rb, "low", "path"), "/var");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    imp = import_text(EXPORT(OBJ(G1, "Set", "Set SNMP Variable",
                                 "<AgentAddress>127.0.0.1</AgentAddress>"
                                 "<OID>1.3.6.1.4.1.1.0</OID>"
                                 "<Value>42</Value><Type>Integer</Type>")));
    assert_string_equal(one_prop(imp, "set", "value", &rb), "i:42");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    imp = import_text(EXPORT(OBJ(G1, "Kill", "End Process",
                                 "<ProcessName>notepad.exe</ProcessName>")));
    assert_string_equal(one_prop(imp, "kill", "name", &rb), "notepad.exe");
    assert_non_null(find_item(&imp->runbooks[0], BT_OIS_NOTE, "Windows one"));
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    imp = import_text(EXPORT(OBJ(G1, "Stop", "Start/Stop Service",
                                 "<Service>cron</Service>"
                                 "<Action>Stop</Action>")));
    one_prop(imp, "stop", "unit", &rb);
    assert_string_equal(bt_runbook_find(rb, "stop")->type_name, "stop-service");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    imp = import_text(EXPORT(
        OBJ(G1, "Drops", "Monitor Folder",
            "<Path>/srv/drops</Path>"
            "<Filters>&lt;ItemRoot&gt;&lt;Entry&gt;&lt;FilterValue&gt;*.csv"
            "&lt;/FilterValue&gt;&lt;/Entry&gt;&lt;/ItemRoot&gt;</Filters>"
            "<NumberOfFilesGreaterThan>10</NumberOfFilesGreaterThan>"
            "<NotifyIfFilesAdded>TRUE</NotifyIfFilesAdded>")));
    assert_string_equal(one_prop(imp, "drops", "count_above", &rb), "10");
    assert_string_equal(prop(rb, "drops", "files_added"), "true");
    assert_string_equal(prop(rb, "drops", "folder"), "/srv/drops");
    assert_non_null(strstr(imp->runbooks[0].yaml, "\"*.csv\""));
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    imp = import_text(EXPORT(OBJ(G1, "Page", "Write Web Page",
                                 "<OutputFile>/tmp/x.html</OutputFile>"
                                 "<Title>Status</Title>")));
    assert_string_equal(one_prop(imp, "page", "file", &rb), "/tmp/x.html");
    assert_string_equal(prop(rb, "page", "title"), "Status");
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    /* Recipients kept as entries, as an escaped document. */
    imp = import_text(EXPORT(
        OBJ(G1, "Mail", "Send Email",
            "<SmtpServer>127.0.0.1</SmtpServer><EmailFrom>a@x</EmailFrom>"
            "<Recipients>&lt;ItemRoot&gt;&lt;Entry&gt;&lt;Address&gt;b@x"
            "&lt;/Address&gt;&lt;/Entry&gt;&lt;Entry&gt;&lt;Address&gt;c@x"
            "&lt;/Address&gt;&lt;/Entry&gt;&lt;/ItemRoot&gt;</Recipients>")));
    one_prop(imp, "mail", "server", &rb);
    assert_non_null(strstr(imp->runbooks[0].yaml, "to: [\"b@x\", \"c@x\"]"));
    bt_runbook_free(rb);
    bt_ois_import_free(imp);

    /* Refused: placeholders with the reason. */
    static const struct {
        const char *xml, *why;
    } refused[] = {
        {EXPORT(OBJ(G1, "X", "Start/Stop Service",
                    "<Service>cron</Service><Action>Pause</Action>")),
         "no systemd counterpart"},
        {EXPORT(OBJ(G1, "X", "Restart System", "<Computer>db01</Computer>")),
         "ran on computer 'db01'"},
        {EXPORT(OBJ(G1, "X", "Get Disk Space Status", "<Drive>D:</Drive>")),
         "drive 'D:'"},
        {EXPORT(OBJ(G1, "X", "Get SNMP Variable",
                    "<AgentAddress>h</AgentAddress><OID>1.3</OID>"
                    "<Version>1</Version>")),
         "version '1'"},
        {EXPORT(OBJ(G1, "X", "Query Database", "<Query>select 1</Query>")),
         "sqlite: or postgresql:"},
        {EXPORT(OBJ(G1, "X", "Monitor Folder", "<Path>/srv</Path>")),
         "no trigger"},
        {EXPORT(OBJ(G1, "X", "Query WMI", "<Query>select 1</Query>")),
         "no Baton equivalent yet"},
    };
    for (size_t i = 0; i < BT_ARRAY_LEN(refused); i++) {
        imp = import_text(refused[i].xml);
        const bt_ois_item *p =
            find_item(&imp->runbooks[0], BT_OIS_PLACEHOLDER, refused[i].why);
        if (!p) fail_msg("case %zu: no placeholder '%s'", i, refused[i].why);
        bt_ois_import_free(imp);
    }
}

/* ---- where the Runbook Designer drew the activities ------------------- */

/* text with each "<Name datatype=\"int\">100</Name>" replaced by the next
 * value of f(k), k counting from 0 (malloc'd). */
static char *set_positions(const char *text, const char *name, int base,
                           int step) {
    char *from = bt_xasprintf("<%s datatype=\"int\">100</%s>", name, name);
    bt_buf b;
    bt_buf_init(&b, 0);
    const char *p = text, *hit;
    for (int k = 0; (hit = strstr(p, from)); k++) {
        bt_buf_append(&b, p, (size_t)(hit - p));
        bt_buf_printf(&b, "<%s datatype=\"int\">%d</%s>", name, base + k * step,
                      name);
        p = hit + strlen(from);
    }
    bt_buf_appends(&b, p);
    free(from);
    return bt_buf_detach(&b);
}

static void test_positions(void **state) {
    (void)state;
    /* The fixture's objects all sit at (100, 100): no positions kept, the
     * designer lays them out. */
    bt_ois_import *imp = import_fixture();
    for (size_t i = 0; i < imp->n_runbooks; i++)
        assert_null(strstr(imp->runbooks[i].yaml, "position:"));
    bt_ois_import_free(imp);

    /* Drawn: one column at x 200, a row every 20 px. */
    char *path = fixture("operations.ois_export");
    char *text = bt_harness_read_file(path);
    assert_non_null(text);
    char *xs = set_positions(text, "PositionX", 200, 0);
    char *drawn = set_positions(xs, "PositionY", 0, 20);
    bt_error err;
    bt_error_clear(&err);
    imp = NULL;
    int rc = bt_ois_import_memory("drawn.ois_export", drawn, strlen(drawn),
                                  NULL, &imp, &err);
    if (rc) fprintf(stderr, "import: %s\n", err.message);
    assert_int_equal(rc, 0);
    const bt_ois_runbook *r = find_rb(imp, "Restart Web Service");
    assert_true(yaml_has(r, "    position: {x: 390, y: "));
    for (size_t i = 0; i < imp->n_runbooks; i++) {
        bt_runbook *rb = load(&imp->runbooks[i]);
        for (size_t k = 0; k < rb->n_activities; k++) {
            const bt_activity_def *a = &rb->activities[k];
            assert_true(a->has_position);
            /* 200 * 1.5 + 90 and 20k * 1.5 + 27 */
            assert_int_equal(a->x, 390);
            assert_int_equal(a->y % 30, 27);
            for (size_t j = 0; j < k; j++)
                assert_int_not_equal(rb->activities[j].y, a->y);
        }
        bt_runbook_free(rb);
    }
    bt_ois_import_free(imp);
    free(drawn);
    free(xs);
    free(text);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_validity),
        cmocka_unit_test(test_parameters_references_conditions),
        cmocka_unit_test(test_unresolved_and_blocked),
        cmocka_unit_test(test_monitor_file),
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_report_json),
        cmocka_unit_test(test_converted_runbook_runs),
        cmocka_unit_test(test_write_tree),
        cmocka_unit_test(test_placeholder_fails_when_run),
        cmocka_unit_test(test_literal_braces_and_order),
        cmocka_unit_test(test_or_conditions),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_external_entity),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_huge_file),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_junk_and_encodings),
        cmocka_unit_test(test_node_cap),
        cmocka_unit_test(test_exclude),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_monitor_counter),
        cmocka_unit_test(test_standard_runbook_runs),
        cmocka_unit_test(test_standard_notify),
        cmocka_unit_test(test_standard_choices),
        cmocka_unit_test(test_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
