/* Orchestrator's standard activities and their Baton equivalents: one
 * table entry per activity with the element names its properties are
 * exported under, a converter, and the published-data names Orchestrator
 * gives the fields (normalized: "Pure Output" = "PureOutput" =
 * "pureoutput"). Element names are tried in order, the names seen in real
 * exports first; anything an entry does not read is reported by the
 * caller. Types with no entry, or whose Baton equivalent is not registered,
 * become placeholders. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "mgmt/ois_internal.h"

static bool is_local(const char *computer) {
    return !computer || !strcasecmp(computer, "localhost") ||
           !strcmp(computer, ".") || !strcmp(computer, "127.0.0.1");
}

static void note_computer(ois_conv *cv) {
    char *c = ois_take(cv, "Computer", "ComputerName", "TargetComputer",
                       "RemoteComputer", NULL);
    if (!is_local(c))
        ois_note(cv, BT_OIS_NOTE,
                 "ran on computer '%s' in Orchestrator; "
                 "Baton runs it on the runbook server (reach '%s' with ssh "
                 "in the command if it must run there)",
                 c, c);
    free(c);
}

/* ---- runbook control -------------------------------------------------- */

static const char *param_type(ois_conv *cv, const char *name,
                              const char *orch) {
    char *n = ois_normalize(orch ? orch : "string");
    const char *t = "string";
    if (!strcmp(n, "integer") || !strcmp(n, "int"))
        t = "integer";
    else if (!strcmp(n, "boolean") || !strcmp(n, "bool"))
        t = "boolean";
    else if (!strcmp(n, "datetime") || !strcmp(n, "date"))
        t = "datetime";
    else if (strcmp(n, "string") && strcmp(n, "text"))
        ois_note(cv, BT_OIS_NOTE,
                 "parameter '%s' had type '%s', imported "
                 "as string",
                 name, orch);
    free(n);
    return t;
}

static int conv_initialize_data(ois_conv *cv) {
    xmlNodePtr list =
        bt_ois_xml_child(cv->act->node, "CUSTOM_START_PARAMETERS");
    ois_consume(cv, "CUSTOM_START_PARAMETERS");
    size_t n = 0;
    for (xmlNodePtr e = bt_ois_xml_child(list, "Entry"); e;
         e = bt_ois_xml_next(e, "Entry")) {
        char *name = bt_ois_xml_child_text(e, "Value");
        if (!name) continue;
        ois_clean_text(name);
        char *type = bt_ois_xml_child_text(e, "Type");
        char *desc = bt_ois_xml_child_text(e, "ParameterDescription");
        char *g = bt_ois_xml_child_text(e, "UniqueID");
        char *guid = ois_guid(g);
        if (desc) ois_clean_text(desc);
        ois_rb_add_param(cv->rb, guid, name, param_type(cv, name, type), desc);
        n++;
        free(name);
        free(type);
        free(desc);
        free(g);
        free(guid);
    }
    if (!n) { /* older exports list the parameters as published data */
        static const char *const keys[] = {"Name", "Variable", NULL};
        char **names, **values;
        n = ois_entries(bt_ois_xml_child(cv->act->node, "PublishedData"), keys,
                        &names, &values, NULL);
        ois_consume(cv, "PublishedData");
        for (size_t i = 0; i < n; i++) {
            ois_rb_add_param(cv->rb, NULL, names[i], "string", NULL);
            free(names[i]);
            free(values[i]);
        }
        free(names);
        free(values);
    }
    return 0;
}

static int conv_return_data(ois_conv *cv) {
    static const char *const keys[] = {"Key", "Name", "Variable",
                                       "ParameterName", NULL};
    static const char *const elems[] = {"ReturnData", "RETURN_DATA",
                                        "ReturnDataParameters", "PublishedData",
                                        NULL};
    for (size_t k = 0; elems[k]; k++) {
        xmlNodePtr e = bt_ois_xml_child(cv->act->node, elems[k]);
        if (!e) continue;
        ois_consume(cv, elems[k]);
        char **names, **values;
        size_t n = ois_entries(e, keys, &names, &values, NULL);
        for (size_t i = 0; i < n; i++) {
            ois_rb_add_return(cv->rb, names[i]);
            char *id = ois_identifier(names[i], "value");
            ois_set(cv, id, values[i]);
            free(id);
            free(names[i]);
        }
        free(names);
        free(values);
        if (n) return 0;
    }
    ois_note(cv, BT_OIS_NOTE, "Return Data sets no values");
    return 0;
}

static int conv_junction(ois_conv *cv) {
    char *from = ois_take(cv, "ReturnDataFrom", "RepublishFrom", "Republish",
                          "ReturnData", NULL);
    cv->act->republish_guid = ois_guid(from); /* "None" is not a GUID */
    free(from);
    return 0;
}

/* "\Folder\Sub\Runbook" or "Policies\Folder\Runbook" -> "/Folder/Sub/Runbook"
 */
static char *runbook_path(const char *orch) {
    bt_buf b;
    bt_buf_init(&b, 0);
    const char *p = orch;
    if (!strncasecmp(p, "\\Policies\\", 10))
        p += 9;
    else if (!strncasecmp(p, "Policies\\", 9))
        p += 8;
    if (*p != '\\' && *p != '/') bt_buf_appendc(&b, '/');
    for (; *p; p++) bt_buf_appendc(&b, *p == '\\' ? '/' : *p);
    return bt_buf_detach(&b);
}

static int conv_invoke_runbook(ois_conv *cv) {
    char *id = ois_take(cv, "PolicyObjectID", "RunbookID", "PolicyID", NULL);
    char *guid = ois_guid(id);
    const char *known =
        ois_lookup(cv->ctx->runbooks, cv->ctx->n_runbooks, guid);
    char *path = ois_take(cv, "PolicyPath", "RunbookPath", "Policy", NULL);
    char *target = known ? bt_xstrdup(known) : path ? runbook_path(path) : NULL;
    free(id);
    free(guid);
    free(path);
    if (!target) return ois_refuse(cv, "Invoke Runbook names no runbook");
    ois_set(cv, "runbook", target);
    ois_set_gen(
        cv, "wait",
        ois_take_bool(cv, 1, "WaitToComplete", "WaitForCompletion", NULL)
            ? "true"
            : "false");
    static const char *const keys[] = {"ParameterName", "Name", "Key", NULL};
    char **names, **values;
    size_t n = ois_entries(
        bt_ois_xml_child(cv->act->node, "TRIGGER_POLICY_PARAMETERS"), keys,
        &names, &values, NULL);
    ois_consume(cv, "TRIGGER_POLICY_PARAMETERS");
    if (n) {
        for (size_t i = 0; i < n; i++) {
            char *ident = ois_identifier(names[i], "parameter");
            free(names[i]);
            names[i] = ident; /* named as the imported child names them */
            if (!values[i]) values[i] = bt_xstrdup("");
        }
        ois_set_map(cv, "parameters", names, values, n);
    } else {
        free(names);
        free(values);
    }
    char *srv = ois_take(cv, "InvokeOnServer", "RunbookServers", NULL);
    if (srv)
        ois_note(cv, BT_OIS_NOTE,
                 "Orchestrator chose the runbook server "
                 "('%s'); Baton's job decides",
                 srv);
    free(srv);
    return 0;
}

/* ---- system ------------------------------------------------------------ */

static bool windows_path(const char *s) {
    return s &&
           ((isalpha((unsigned char)s[0]) && s[1] == ':') ||
            strstr(s, ".exe") || strstr(s, ".EXE") || !strncmp(s, "\\\\", 2));
}

static int conv_run_program(ois_conv *cv) {
    char *prog = ois_take(cv, "Program", "FilePath", "ProgramPath",
                          "ApplicationPath", "Command", NULL);
    if (!prog) return ois_refuse(cv, "Run Program names no program");
    char *args =
        ois_take(cv, "Parameters", "Arguments", "CommandLineArguments", NULL);
    char *dir = ois_take(cv, "StartupDir", "WorkingDirectory",
                         "InitialDirectory", "WorkingFolder", NULL);
    if (windows_path(prog))
        ois_note(cv, BT_OIS_NOTE,
                 "the program '%s' is a Windows one; "
                 "rewrite the command for Linux",
                 prog);
    ois_set(cv, "command",
            args ? bt_xasprintf("%s %s", prog, args) : bt_xstrdup(prog));
    if (dir) ois_set(cv, "working_dir", dir);
    free(prog);
    free(args);
    note_computer(cv);
    free(ois_take(cv, "ProgramMode", "Mode", "WaitForCompletion", NULL));
    return 0;
}

/* Run .Net Script publishes chosen script variables; the Baton script
 * writes them to $BATON_OUTPUT, so the import appends the lines that do
 * it. Only PowerShell has an interpreter on Linux (pwsh). */
static int conv_run_script(ois_conv *cv) {
    char *lang = ois_take(cv, "ScriptType", "Language", "Type", NULL);
    char *body = ois_take(cv, "ScriptBody", "Script", "ScriptText", NULL);
    if (!body) {
        free(lang);
        return ois_refuse(cv, "Run .Net Script has no script");
    }
    if (lang && strcasecmp(lang, "PowerShell")) {
        free(body);
        int rc = ois_refuse(cv,
                            "a %s script (Run .Net Script) has no "
                            "interpreter on Linux; only PowerShell ones are "
                            "converted (to pwsh)",
                            lang);
        free(lang);
        return rc;
    }
    free(lang);
    static const char *const keys[] = {"Name", "Variable", NULL};
    xmlNodePtr pd = bt_ois_xml_child(cv->act->node, "PublishedData");
    ois_consume(cv, "PublishedData");
    char **names, **unused;
    size_t n = ois_entries(pd, keys, &names, &unused, NULL);
    bt_buf s;
    bt_buf_init(&s, 0);
    bt_buf_appends(&s, body);
    free(body);
    ois_act *a = cv->act;
    a->declare_publishes = true;
    if (n) {
        bt_buf_appends(&s, "\n# Added by baton import-ois: publish what "
                           "Orchestrator published.\n");
    }
    static const char *const vkeys[] = {"Variable", "Name", NULL};
    char **vars, **vunused;
    size_t nv = ois_entries(pd, vkeys, &vars, &vunused, NULL);
    for (size_t i = 0; i < n; i++) {
        /* The script sets the variable; Orchestrator names the field after
         * the entry's Name, and references may use either. */
        const char *var = i < nv ? vars[i] : names[i];
        char *field = ois_identifier(names[i], "value");
        bt_buf_printf(&s,
                      "Add-Content -Path $env:BATON_OUTPUT -Value "
                      "(\"%s=\" + $%s)\n",
                      field, var);
        const char *orig[2] = {names[i], var};
        for (int k = 0; k < 2; k++) {
            a->pub_orig =
                bt_xrealloc(a->pub_orig, (a->n_pub + 1) * sizeof(char *));
            a->pub_name =
                bt_xrealloc(a->pub_name, (a->n_pub + 1) * sizeof(char *));
            a->pub_orig[a->n_pub] = bt_xstrdup(orig[k]);
            a->pub_name[a->n_pub++] = bt_xstrdup(field);
        }
        free(field);
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(unused[i]);
    }
    for (size_t i = 0; i < nv; i++) {
        free(vars[i]);
        free(vunused[i]);
    }
    free(vars);
    free(vunused);
    free(names);
    free(unused);
    ois_set(cv, "script", bt_buf_detach(&s));
    ois_set_gen(cv, "interpreter", "pwsh");
    ois_note(cv, BT_OIS_NOTE,
             "PowerShell script: the runbook server needs "
             "pwsh, and Windows-only cmdlets will not work");
    free(ois_take(cv, "Namespaces", "Dependencies", NULL));
    return 0;
}

/* ---- utility ------------------------------------------------------------ */

/* Orchestrator's comparisons as Baton operators. The numeric codes are the
 * two attested in real exports (2 equals, 7 matches pattern with a
 * wildcard); others are refused rather than guessed. */
static const struct {
    const char *names, *op;
} compare_ops[] = {
    {"equals|isequalto|2", "equals"},
    {"doesnotequal|isnotequalto", "not-equals"},
    {"contains", "contains"},
    {"doesnotcontain", "not-contains"},
    {"startswith|beginswith", "starts-with"},
    {"endswith", "ends-with"},
    {"matchespattern|matches", "matches"},
    {"doesnotmatchpattern", "not-matches"},
    {"isgreaterthan", "greater-than"},
    {"isgreaterthanorequalto", "greater-or-equal"},
    {"islessthan", "less-than"},
    {"islessthanorequalto", "less-or-equal"},
    {"isempty", "is-empty"},
    {"isnotempty", "is-not-empty"},
};

static bool name_in(const char *list, const char *norm) {
    size_t n = strlen(norm);
    for (const char *p = list;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !memcmp(p, norm, n)) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

static char *glob_to_ere(const char *glob) {
    bt_buf b;
    bt_buf_init(&b, 0);
    bt_buf_appendc(&b, '^');
    for (const char *p = glob; *p; p++) {
        if (*p == '*')
            bt_buf_appends(&b, ".*");
        else if (*p == '?')
            bt_buf_appendc(&b, '.');
        else {
            if (strchr(".[]()+^$|\\{}", *p)) bt_buf_appendc(&b, '\\');
            bt_buf_appendc(&b, *p);
        }
    }
    bt_buf_appendc(&b, '$');
    return bt_buf_detach(&b);
}

static int conv_compare_values(ois_conv *cv) {
    char *left = ois_take(cv, "StringToCompare", "ValueA", NULL);
    char *right = ois_take(cv, "StringToCompareTo", "ValueB", NULL);
    char *opt =
        ois_take(cv, "StringTestOption", "TestOption", "Condition", NULL);
    bool number = false;
    if (!left) {
        left = ois_take(cv, "ValueToCompare", "NumberToCompare", NULL);
        free(right);
        right = ois_take(cv, "ValueToCompareTo", "NumberToCompareTo", NULL);
        free(opt);
        opt = ois_take(cv, "ValueTestOption", NULL);
        number = true;
    }
    char *norm = ois_normalize(opt ? opt : "equals");
    const char *op = NULL;
    for (size_t i = 0; i < BT_ARRAY_LEN(compare_ops) && !op; i++)
        if (name_in(compare_ops[i].names, norm)) op = compare_ops[i].op;
    bool glob = !strcmp(norm, "7");
    if (glob) op = "matches";
    free(norm);
    if (!left || !op) {
        int rc = !left ? ois_refuse(cv, "Compare Values has no value to "
                                        "compare")
                       : ois_refuse(cv,
                                    "Compare Values option '%s' is not "
                                    "one the import can read",
                                    opt);
        free(left);
        free(right);
        free(opt);
        return rc;
    }
    free(opt);
    ois_set(cv, "left", left);
    ois_set_gen(cv, "operator", op);
    if (glob && right) {
        char *re = glob_to_ere(right);
        free(right);
        right = re;
        ois_note(cv, BT_OIS_NOTE,
                 "the wildcard pattern became the regular "
                 "expression '%s'",
                 right);
    }
    if (right) ois_set(cv, "right", right);
    if (number) ois_set_gen(cv, "type", "number");
    if (!ois_take_bool(cv, 0, "CaseSensitive", NULL) && !number)
        ois_set_gen(cv, "case_sensitive", "false");
    return 0;
}

/* .NET custom date/time format -> strftime. */
static char *strftime_from_dotnet(const char *f, bool *exact) {
    static const struct {
        const char *tok, *out;
    } map[] = {{"yyyy", "%Y"}, {"yy", "%y"},   {"MMMM", "%B"}, {"MMM", "%b"},
               {"MM", "%m"},   {"dddd", "%A"}, {"ddd", "%a"},  {"dd", "%d"},
               {"HH", "%H"},   {"hh", "%I"},   {"mm", "%M"},   {"ss", "%S"},
               {"tt", "%p"},   {"zzz", "%z"}};
    bt_buf b;
    bt_buf_init(&b, 0);
    *exact = true;
    for (const char *p = f; *p;) {
        size_t i = 0;
        for (; i < BT_ARRAY_LEN(map); i++)
            if (!strncmp(p, map[i].tok, strlen(map[i].tok))) break;
        if (i < BT_ARRAY_LEN(map)) {
            bt_buf_appends(&b, map[i].out);
            p += strlen(map[i].tok);
        } else if (*p == '%') {
            bt_buf_appends(&b, "%%");
            p++;
        } else {
            if (isalpha((unsigned char)*p)) *exact = false;
            bt_buf_appendc(&b, *p++);
        }
    }
    return bt_buf_detach(&b);
}

static int conv_format_datetime(ois_conv *cv) {
    char *in = ois_take(cv, "Input", "DateTime", "InputDateTime", "Date", NULL);
    char *ifmt = ois_take(cv, "InputFormat", "Format", NULL);
    char *ofmt = ois_take(cv, "OutputFormat", NULL);
    if (in) ois_set(cv, "input", in);
    bool exact = true;
    if (ifmt) {
        char *f = strftime_from_dotnet(ifmt, &exact);
        ois_set(cv, "input_format", f);
        free(ifmt);
    }
    if (ofmt) {
        bool ex2;
        char *f = strftime_from_dotnet(ofmt, &ex2);
        exact &= ex2;
        ois_set(cv, "output_format", f);
        free(ofmt);
    }
    if (!exact)
        ois_note(cv, BT_OIS_NOTE,
                 "a .NET date format had letters with no "
                 "strftime counterpart; check the formats");
    static const char *const units[] = {"AddSeconds", "AddMinutes", "AddHours",
                                        "AddDays"};
    static const int64_t mult[] = {1, 60, 3600, 86400};
    int64_t total = 0;
    for (size_t i = 0; i < 4; i++) {
        char *v = ois_take(cv, units[i], NULL);
        int64_t n;
        if (v && bt_parse_int64(v, &n))
            total += n * mult[i];
        else if (v)
            ois_note(cv, BT_OIS_UNRESOLVED,
                     "%s '%s' is not a number; left "
                     "out",
                     units[i], v);
        free(v);
    }
    for (size_t i = 0; i < 2; i++) {
        char *v = ois_take(cv, i ? "AddYears" : "AddMonths", NULL);
        if (v && strcmp(v, "0"))
            ois_note(cv, BT_OIS_UNRESOLVED,
                     "%s %s cannot be written as a "
                     "Baton duration; left out",
                     i ? "AddYears" : "AddMonths", v);
        free(v);
    }
    if (total) {
        char add[32];
        snprintf(add, sizeof add, "%+llds", (long long)total);
        ois_set_gen(cv, "add", add);
    }
    return 0;
}

static int conv_random_text(ois_conv *cv) {
    char *len = ois_take(cv, "StringLength", "Length", "TextLength", NULL);
    int up = ois_take_bool(cv, 0, "UseUpperCase", "UpperCase", NULL);
    int low = ois_take_bool(cv, 0, "UseLowerCase", "LowerCase", NULL);
    int num = ois_take_bool(cv, 0, "UseNumbers", "Numbers", "Digits", NULL);
    int sym = ois_take_bool(cv, 0, "UseSymbols", "Symbols", NULL);
    if (len) ois_set(cv, "length", len);
    const char *cs = NULL;
    if (sym)
        cs = up && low && num ? "symbols" : NULL;
    else if (up && low && num)
        cs = "alphanumeric";
    else if (up && low && !num)
        cs = "letters";
    else if (!up && !low && num)
        cs = "digits";
    else if (up && !low && !num)
        cs = "uppercase";
    else if (!up && low && !num)
        cs = "lowercase";
    else if (!up && !low)
        cs = "alphanumeric";
    if (cs) {
        ois_set_gen(cv, "charset", cs);
    } else { /* any other mix is written out exactly */
        bt_buf b;
        bt_buf_init(&b, 0);
        if (up) bt_buf_appends(&b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (low) bt_buf_appends(&b, "abcdefghijklmnopqrstuvwxyz");
        if (num) bt_buf_appends(&b, "0123456789");
        if (sym) bt_buf_appends(&b, "!#$%&()*+,-./:;<=>?@[]^_|~");
        ois_set_gen(cv, "charset", "custom");
        char *c = bt_buf_detach(&b);
        ois_set_gen(cv, "custom", c);
        free(c);
    }
    return 0;
}

static int conv_monitor_datetime(ois_conv *cv) {
    static const char *const units[] = {"EveryMinuteValue", "EveryHourValue",
                                        "EveryDayValue"};
    static const int64_t minutes[] = {1, 60, 1440};
    int64_t mins = 0;
    for (size_t i = 0; i < 3; i++) {
        char *v = ois_take(cv, units[i], NULL);
        int64_t n;
        if (v && bt_parse_int64(v, &n) && n > 0) mins += n * minutes[i];
        free(v);
    }
    char *at = ois_take(cv, "At", "AtTime", "Time", NULL);
    if (mins > 0) {
        char iv[32];
        snprintf(iv, sizeof iv, "%lldm", (long long)mins);
        ois_set_gen(cv, "interval", iv);
        free(at);
        return 0;
    }
    if (at) {
        int h, m;
        if (sscanf(at, "%d:%d", &h, &m) == 2 && h >= 0 && h < 24 && m >= 0 &&
            m < 60) {
            char t[8];
            snprintf(t, sizeof t, "%02d:%02d", h, m);
            const char *items[] = {t};
            ois_set_list_gen(cv, "at", items, 1);
            free(at);
            return 0;
        }
        free(at);
    }
    return ois_refuse(cv, "Monitor Date/Time has no interval or time the "
                          "import can read");
}

/* Counters and schedules are named by GUID in activities. */
static char *global_name(const ois_named *list, size_t n, const char *text) {
    char *g = ois_guid(text);
    const char *name = ois_lookup(list, n, g);
    free(g);
    if (name) return bt_xstrdup(name);
    return ois_identifier(text, "global");
}

static int conv_get_counter(ois_conv *cv) {
    char *c = ois_take(cv, "Counter", "CounterName", "CounterID", NULL);
    if (!c) return ois_refuse(cv, "Get Counter names no counter");
    char *name = global_name(cv->ctx->counters, cv->ctx->n_counters, c);
    ois_set_gen(cv, "counter", name);
    free(name);
    free(c);
    return 0;
}

static int conv_modify_counter(ois_conv *cv) {
    char *c = ois_take(cv, "Counter", "CounterName", "CounterID", NULL);
    if (!c) return ois_refuse(cv, "Modify Counter names no counter");
    char *name = global_name(cv->ctx->counters, cv->ctx->n_counters, c);
    free(c);
    char *act = ois_take(cv, "Action", "ModifyAction", "Operation", NULL);
    char *norm = ois_normalize(act ? act : "increment");
    const char *op = !strcmp(norm, "increment") || !strcmp(norm, "add") ? "add"
                     : !strcmp(norm, "decrement") || !strcmp(norm, "subtract")
                         ? "subtract"
                     : !strcmp(norm, "set") || !strcmp(norm, "setvalue") ? "set"
                     : !strcmp(norm, "reset") ? "reset"
                                              : NULL;
    free(norm);
    if (!op) {
        int rc = ois_refuse(cv,
                            "Modify Counter action '%s' is not one the "
                            "import can read",
                            act);
        free(act);
        free(name);
        return rc;
    }
    free(act);
    ois_set_gen(cv, "counter", name);
    free(name);
    ois_set_gen(cv, "action", op);
    char *v = ois_take(cv, "Value", "Amount", NULL);
    if (v && strcmp(op, "reset"))
        ois_set(cv, "value", v);
    else
        free(v);
    return 0;
}

static int conv_monitor_counter(ois_conv *cv) {
    static const struct {
        const char *names, *op;
    } ops[] = {{"equals|isequalto", "=="}, {"doesnotequal|isnotequalto", "!="},
               {"isgreaterthan", ">"},     {"isgreaterthanorequalto", ">="},
               {"islessthan", "<"},        {"islessthanorequalto", "<="}};
    char *c = ois_take(cv, "Counter", "CounterName", "CounterID", NULL);
    if (!c) return ois_refuse(cv, "Monitor Counter names no counter");
    char *name = global_name(cv->ctx->counters, cv->ctx->n_counters, c);
    free(c);
    char *cond = ois_take(cv, "Condition", "TestOption", "Trigger", NULL);
    char *norm = ois_normalize(cond ? cond : "");
    const char *op = NULL;
    for (size_t i = 0; i < BT_ARRAY_LEN(ops) && !op; i++)
        if (name_in(ops[i].names, norm)) op = ops[i].op;
    free(norm);
    char *v = ois_take(cv, "Value", "CounterValue", NULL);
    if (!op || !v) {
        int rc = ois_refuse(cv,
                            "Monitor Counter condition '%s' (value '%s') "
                            "is not one the import can read",
                            cond ? cond : "", v ? v : "");
        free(cond);
        free(v);
        free(name);
        return rc;
    }
    free(cond);
    ois_set_gen(cv, "counter", name);
    free(name);
    ois_set_gen(cv, "condition", op);
    ois_set(cv, "value", v);
    return 0;
}

static int conv_check_schedule(ois_conv *cv) {
    char *s = ois_take(cv, "Schedule", "ScheduleName", "ScheduleID", NULL);
    if (!s) return ois_refuse(cv, "Check Schedule names no schedule");
    char *name = global_name(cv->ctx->schedules, cv->ctx->n_schedules, s);
    ois_set_gen(cv, "schedule", name);
    free(name);
    free(s);
    return 0;
}

static void collect_values(xmlNodePtr n, const char *name, bt_buf *out) {
    for (xmlNodePtr c = bt_ois_xml_child(n, NULL); c;
         c = bt_ois_xml_next(c, NULL)) {
        if (xmlStrEqual(c->name, BAD_CAST name)) {
            char *t = bt_ois_xml_text(c);
            if (t) bt_buf_printf(out, "%s%s", out->len ? ";" : "", t);
            free(t);
        }
        collect_values(c, name, out);
    }
}

/* Monitor File and Monitor Folder: the folder, and the file-name filters
 * kept as one FileFilter text and/or a nested document of <FilterValue>s,
 * become `folder` and `pattern`. */
static void conv_watched_folder(ois_conv *cv, char *dir) {
    ois_set(cv, "folder", dir);
    bt_buf pats;
    bt_buf_init(&pats, 0);
    char *simple = ois_take(cv, "FileFilter", "Filter", NULL);
    if (simple) bt_buf_appends(&pats, simple);
    free(simple);
    xmlDocPtr inner;
    xmlNodePtr f =
        ois_nested(bt_ois_xml_child(cv->act->node, "Filters"), &inner);
    ois_consume(cv, "Filters");
    if (f) collect_values(f, "FilterValue", &pats);
    if (inner) xmlFreeDoc(inner);
    if (pats.len) {
        const char *items[64];
        size_t n = 0;
        char *all = bt_buf_detach(&pats);
        for (char *t = strtok(all, ";,"); t && n < 64; t = strtok(NULL, ";,"))
            items[n++] = t;
        ois_set_list_gen(cv, "pattern", items, n);
        free(all);
    }
    bt_buf_free(&pats);
}

/* Monitor File keeps its file-name filters in a nested document of
 * <FilterValue>s; the events it watches are four booleans. */
static int conv_monitor_file(ois_conv *cv) {
    char *dir =
        ois_take(cv, "Path", "DirectoryToMonitor", "Directory", "Folder", NULL);
    if (!dir) return ois_refuse(cv, "Monitor File names no folder");
    conv_watched_folder(cv, dir);
    const char *events[3];
    size_t ne = 0;
    if (ois_take_bool(cv, 0, "NotifyIfCreated", NULL)) events[ne++] = "created";
    if (ois_take_bool(cv, 0, "NotifyIfChanged", NULL))
        events[ne++] = "modified";
    if (ois_take_bool(cv, 0, "NotifyIfDeleted", NULL)) events[ne++] = "deleted";
    if (ois_take_bool(cv, 0, "NotifyIfRenamed", NULL))
        ois_note(cv, BT_OIS_NOTE,
                 "Orchestrator also fired on renames; Baton "
                 "sees a rename as a deletion and a creation");
    if (ne) ois_set_list_gen(cv, "events", events, ne);
    if (ois_take_bool(cv, 0, "IncludeSubFolders", "IncludeSubfolders", NULL))
        ois_note(cv, BT_OIS_NOTE,
                 "Orchestrator watched subfolders too; "
                 "monitor-file watches the folder itself only");
    note_computer(cv);
    return 0;
}

/* Monitor Folder keeps the same filter document as Monitor File; its
 * triggers are thresholds on the number and total size of the files and
 * the files added or removed. */
static int conv_monitor_folder(ois_conv *cv) {
    char *dir =
        ois_take(cv, "Path", "Folder", "Directory", "DirectoryToMonitor", NULL);
    if (!dir) return ois_refuse(cv, "Monitor Folder names no folder");
    conv_watched_folder(cv, dir);
    static const struct {
        const char *prop, *a, *b;
    } th[] = {
        {"count_above", "NumberOfFilesGreaterThan", "FileCountGreaterThan"},
        {"count_below", "NumberOfFilesLessThan", "FileCountLessThan"},
        {"size_above", "TotalSizeGreaterThan", "SizeGreaterThan"},
        {"size_below", "TotalSizeLessThan", "SizeLessThan"},
    };
    bool any = false;
    for (size_t i = 0; i < BT_ARRAY_LEN(th); i++) {
        char *v = ois_take(cv, th[i].a, th[i].b, NULL);
        if (v) {
            ois_set(cv, th[i].prop, v);
            any = true;
        }
    }
    if (ois_take_bool(cv, 0, "NotifyIfFilesAdded", "FilesAdded", NULL)) {
        ois_set_gen(cv, "files_added", "true");
        any = true;
    }
    if (ois_take_bool(cv, 0, "NotifyIfFilesRemoved", "FilesRemoved",
                      "NotifyIfFilesDeleted", NULL)) {
        ois_set_gen(cv, "files_removed", "true");
        any = true;
    }
    if (!any)
        return ois_refuse(cv, "Monitor Folder has no trigger the import can "
                              "read");
    if (ois_take_bool(cv, 0, "IncludeSubFolders", "IncludeSubfolders", NULL))
        ois_note(cv, BT_OIS_NOTE,
                 "Orchestrator counted subfolders too; "
                 "monitor-folder looks at the folder itself only");
    note_computer(cv);
    return 0;
}

/* An Opalis activity still found in migrated exports. */
static int conv_write_web_page(ois_conv *cv) {
    char *file = ois_take(cv, "OutputFile", "WebPage", "File", "Path", NULL);
    if (!file) return ois_refuse(cv, "Write Web Page names no output file");
    ois_set(cv, "file", file);
    char *t = ois_take(cv, "TemplateFile", NULL);
    if (t) ois_set(cv, "template_file", t);
    t = ois_take(cv, "Template", NULL);
    if (t) ois_set(cv, "template", t);
    t = ois_take(cv, "Title", NULL);
    if (t) ois_set(cv, "title", t);
    t = ois_take(cv, "Text", "Body", "Content", NULL);
    if (t) ois_set(cv, "text", t);
    note_computer(cv);
    return 0;
}

/* ---- files and text ------------------------------------------------------ */

/* Orchestrator's choice for a destination that exists, as if_exists. */
static void set_if_exists(ois_conv *cv) {
    char *ex = ois_take(cv, "IfExists", "IfTheDestinationFileExists",
                        "Overwrite", "FileExistsOption", NULL);
    if (!ex) return;
    char *n = ois_normalize(ex);
    const char *v =
        strstr(n, "overwrite") || !strcmp(n, "true") || !strcmp(n, "1")
            ? "overwrite"
        : strstr(n, "unique") || strstr(n, "increment") || strstr(n, "rename")
            ? "rename"
        : strstr(n, "skip") || strstr(n, "ignore") ? "skip"
                                                   : "fail";
    ois_set_gen(cv, "if_exists", v);
    free(n);
    free(ex);
}

int ois_set_pair(ois_conv *cv, const char *title, const char *src_prop,
                 char *src, const char *src_what, char *dst,
                 const char *dst_what) {
    if (!src || !dst) {
        free(src);
        free(dst);
        return ois_refuse(cv, "%s lacks its %s", title,
                          src ? dst_what : src_what);
    }
    ois_set(cv, src_prop, src);
    ois_set(cv, "destination", dst);
    set_if_exists(cv);
    return 0;
}

static int conv_copy_move(ois_conv *cv) {
    char *src = ois_take(cv, "SourceFileName", "SourceFile", "Source",
                         "SourcePath", "Path", "FileName", "File", NULL);
    char *dst = ois_take(cv, "DestinationFolder", "Destination",
                         "DestinationPath", "TargetFolder", NULL);
    int rc = ois_set_pair(cv, cv->act->type_name, "source", src, "source",
                          dst, "destination");
    if (!rc) note_computer(cv);
    return rc;
}

static int conv_delete_file(ois_conv *cv) {
    char *path = ois_take(cv, "Path", "SourceFileName", "FileName", "File",
                          "OriginFolder", "SourcePath", NULL);
    char *age = ois_take(cv, "FileAgeDays", "Age", NULL);
    int64_t days = 0;
    if (age && bt_parse_int64(age, &days) && days > 0) {
        free(path);
        free(age);
        return ois_refuse(cv,
                          "Delete File deleted only files older than "
                          "%lld days, which delete-file cannot select",
                          (long long)days);
    }
    free(age);
    if (!path) return ois_refuse(cv, "Delete File names no file");
    ois_set(cv, "path", path);
    if (ois_take_bool(cv, 0, "IncludeSubfolders", "Recursive", NULL))
        ois_set_gen(cv, "recursive", "true");
    note_computer(cv);
    return 0;
}

static int conv_delete_folder(ois_conv *cv) {
    char *path = ois_take(cv, "Folder", "Path", "FolderPath", NULL);
    if (!path) return ois_refuse(cv, "Delete Folder names no folder");
    ois_set(cv, "path", path);
    if (ois_take_bool(cv, 1, "DeleteSubfolders", "Recursive",
                      "DeleteAllFilesAndSubfolders", NULL))
        ois_set_gen(cv, "recursive", "true");
    note_computer(cv);
    return 0;
}

static int conv_create_folder(ois_conv *cv) {
    char *path =
        ois_take(cv, "Folder", "Path", "FolderPath", "NewFolder", NULL);
    if (!path) return ois_refuse(cv, "Create Folder names no folder");
    ois_set(cv, "path", path);
    note_computer(cv);
    return 0;
}

static int conv_path_only(ois_conv *cv) {
    char *path = ois_take(cv, "File", "FileName", "Path", "SourceFileName",
                          "FilePath", NULL);
    if (!path) return ois_refuse(cv, "%s names no file", cv->act->type_name);
    ois_set(cv, "path", path);
    note_computer(cv);
    return 0;
}

static int conv_read_line(ois_conv *cv) {
    if (conv_path_only(cv)) return -1;
    char *lines = ois_take(cv, "LineNumbers", "Lines", "LineNumber", NULL);
    if (lines) ois_set(cv, "lines", lines);
    free(ois_take(cv, "FileEncoding", "Encoding", NULL));
    return 0;
}

static int conv_append_line(ois_conv *cv) {
    if (conv_path_only(cv)) return -1;
    char *text = ois_take(cv, "Text", "Line", "Content", NULL);
    ois_set(cv, "text", text);
    free(ois_take(cv, "FileEncoding", "Encoding", NULL));
    return 0;
}

static void regex_and_case(ois_conv *cv) {
    if (ois_take_bool(cv, 0, "IsRegularExpression", "IsRegEx",
                      "RegularExpression", "UseRegex", NULL))
        ois_set_gen(cv, "mode", "regex");
    if (!ois_take_bool(cv, 1, "CaseSensitive", "MatchCase", NULL))
        ois_set_gen(cv, "case_sensitive", "false");
}

static int conv_find_text(ois_conv *cv) {
    if (conv_path_only(cv)) return -1;
    char *pat =
        ois_take(cv, "Text", "SearchText", "Pattern", "SearchPattern", NULL);
    if (!pat) return ois_refuse(cv, "Find Text has no text to find");
    ois_set(cv, "pattern", pat);
    regex_and_case(cv);
    char *lines = ois_take(cv, "LineNumbers", "Lines", NULL);
    if (lines) ois_set(cv, "lines", lines);
    free(ois_take(cv, "FileEncoding", "Encoding", NULL));
    return 0;
}

static int conv_search_replace(ois_conv *cv) {
    if (conv_path_only(cv)) return -1;
    char *search =
        ois_take(cv, "SearchText", "Text", "FindText", "Pattern", NULL);
    if (!search)
        return ois_refuse(cv, "Search and Replace Text has no search text");
    ois_set(cv, "search", search);
    char *rep = ois_take(cv, "ReplaceText", "ReplaceWith", "Replacement", NULL);
    if (rep) ois_set(cv, "replace", rep);
    regex_and_case(cv);
    free(ois_take(cv, "FileEncoding", "Encoding", NULL));
    return 0;
}

/* ---- the table ----------------------------------------------------------- */

static const char *const f_run_program[] = {
    "pureoutput|output|commandoutput|stdout=stdout",
    "exitcode|programexitcode|returncode|exitstatus=exit_code",
    "erroroutput|stderr|standarderror=stderr", "processid|pid=pid", NULL};
static const char *const f_compare[] = {
    "comparisonresult|compareresult|comparecompareresult|result=comparison_"
    "result",
    NULL};
static const char *const f_copy[] = {
    "sourcefile|sourcefilepath|originalfile|originfile=source",
    "destinationfile|destinationfilepath|newfile|newfilepath=destination",
    "filesize|size=size", NULL};
static const char *const f_delete[] = {
    "deletedfile|file|path|filepath|filename=path", NULL};
static const char *const f_folder[] = {
    "folder|folderpath|path|newfolder|createdfolder=path", NULL};
static const char *const f_status[] = {
    "fullpath|filepath|path=path",
    "filename|name=name",
    "fileextension|extension=extension",
    "filesize|size=size",
    "folder|directory|parentfolder|filefolder=directory",
    "lastmodified|modifiedtime|datemodified|lastwritetime=modified",
    "lastaccessed|accessedtime|lastaccesstime=accessed",
    "owner|fileowner=owner",
    NULL};
static const char *const f_read_line[] = {"linetext|line|text=line",
                                          "linenumber=line_number",
                                          "file|filename|path=path", NULL};
static const char *const f_append[] = {"file|filename|path=path", NULL};
static const char *const f_find[] = {
    "linetext|line|matchingline=line", "linenumber=line_number",
    "numberofmatchinglines|matchcount|numberofmatches|numberoflines=match_"
    "count",
    "file|filename|path=path", NULL};
static const char *const f_replace[] = {
    "numberofreplacements|replacements|numberofmatches=replacements",
    "file|filename|path=path", NULL};
static const char *const f_format[] = {
    "formatteddatetime|formatteddate|formattedtime|output|result=formatted",
    "year=year",
    "month=month",
    "day=day",
    "hour=hour",
    "minute=minute",
    "second=second",
    "dayofweek|weekday=weekday",
    NULL};
static const char *const f_random[] = {
    "randomtext|generatedtext|stringresult|text|randomstring=text", NULL};
static const char *const f_monitor_dt[] = {
    "currenttime|triggertime|datetime|triggeredat=triggered_at", NULL};
static const char *const f_monitor_file[] = {
    "fullname|nameandpathofthefile|filepath|fullpath=path",
    "filenameext|nameofthefile|filenamewithextension=name",
    "path|folder|foldername|directory|pathofthefile=folder",
    "filesize|size=size", NULL};
static const char *const f_monitor_folder[] = {
    "folder|path=folder", "numberoffiles|filecount=file_count",
    "totalsize|size=total_size", NULL};
static const char *const f_web_page[] = {"file|outputfile|webpage=file", NULL};
static const char *const f_counter[] = {"countervalue|value=value", NULL};
static const char *const f_schedule[] = {
    "conformstoschedule|conforms|result=conforms", NULL};
static const char *const f_invoke[] = {"jobid=job_id",
                                       "jobstatus|status=job_status", NULL};

static const char *const f_end_process[] = {
    "processname|process|name=process",
    "numberofprocesses|processcount|instances|count=count", NULL};
static const char *const f_service[] = {
    "servicename|service|name=unit", "servicestatus|status|state=active_state",
    "displayname|description=description", NULL};
static const char *const f_process[] = {
    "processname|process|name=process", "processid|pid=pid",
    "numberofinstances|instances|processcount|count=count",
    "workingset|memoryusage=rss_bytes", NULL};
static const char *const f_computer[] = {
    "computer|computername|host=host", "ipaddress|address=address",
    "responsetime|roundtriptime|latency=latency_ms", NULL};
static const char *const f_disk[] = {
    "drive|disk|path=path",
    "freespace|freebytes=free_bytes",
    "totalspace|capacity|totalsize=total_bytes",
    "usedspace|usedbytes=used_bytes",
    "percentfree|freepercent|freespacepercent=free_percent",
    "percentused|usedpercent=used_percent",
    NULL};
static const char *const f_app[] = {
    "url|address=url", "statuscode|httpstatus|httpstatuscode=status_code",
    "responsetime=response_time_ms", "content|pagecontent|response=content",
    NULL};
static const char *const f_ssh[] = {"exitcode|exitstatus=exit_code",
                                    "result|output|commandoutput|stdout=stdout",
                                    "erroroutput|stderr=stderr",
                                    "host|computer=host", NULL};
static const char *const f_query_xml[] = {
    "queryresult|result|xmlresult|value=value",
    "numberofmatches|matchcount=match_count", NULL};
static const char *const f_xslt[] = {
    "transformedxml|transformedtext|output|result=output", NULL};
static const char *const f_snmp[] = {
    "oid|objectid=oid", "value|variablevalue=value", "type|syntax=type", NULL};
static const char *const f_compress[] = {"archivepath|archive|zipfile=archive",
                                         "numberoffiles|filecount=file_count",
                                         "archivesize|size=size", NULL};
static const char *const f_decompress[] = {
    "archivepath|archive|zipfile=archive",
    "destination|destinationfolder=destination", NULL};
static const char *const f_move_folder[] = {
    "source|sourcefolder=source", "destination|destinationfolder=destination",
    NULL};
static const char *const f_insert[] = {"file|filename|path=path",
                                       "linenumber=line_number", NULL};
static const char *const f_delete_line[] = {
    "file|filename|path=path",
    "numberoflinesdeleted|linesdeleted|deletedlines=lines_deleted", NULL};

static const ois_mapping mappings[] = {
    {"Initialize Data|Custom Start", "{6C576F3D-E927-417A-B145-5D3EFF9C995F}",
     "initialize-data", conv_initialize_data, NULL},
    {"Return Data|Publish Policy Data", NULL, "return-data", conv_return_data,
     NULL},
    {"Junction", "{1C5F9236-92E0-4795-8CAA-1669B7643607}", "junction",
     conv_junction, NULL},
    {"Invoke Runbook|Trigger Policy", "{9C1BF9B4-515A-4FD2-A753-87D235D8BA1F}",
     "invoke-runbook", conv_invoke_runbook, f_invoke},
    {"Run Program", NULL, "run-program", conv_run_program, f_run_program},
    {"Run .Net Script", "{ED7F2A41-107A-4B74-BAFE-ADAE63632B79}", "run-script",
     conv_run_script, NULL},
    {"Compare Values", NULL, "compare-values", conv_compare_values, f_compare},
    {"Format Date/Time", NULL, "format-datetime", conv_format_datetime,
     f_format},
    {"Generate Random Text", NULL, "generate-random-text", conv_random_text,
     f_random},
    {"Copy File", NULL, "copy-file", conv_copy_move, f_copy},
    {"Move File", NULL, "move-file", conv_copy_move, f_copy},
    {"Delete File", NULL, "delete-file", conv_delete_file, f_delete},
    {"Delete Folder", NULL, "delete-file", conv_delete_folder, f_delete},
    {"Create Folder", NULL, "create-folder", conv_create_folder, f_folder},
    {"Get File Status", NULL, "get-file-status", conv_path_only, f_status},
    {"Read Line", NULL, "read-line", conv_read_line, f_read_line},
    {"Append Line", NULL, "append-line", conv_append_line, f_append},
    {"Find Text", NULL, "find-text", conv_find_text, f_find},
    {"Search and Replace Text", NULL, "search-replace-text",
     conv_search_replace, f_replace},
    {"Monitor Date/Time", NULL, "monitor-datetime", conv_monitor_datetime,
     f_monitor_dt},
    {"Monitor File", NULL, "monitor-file", conv_monitor_file, f_monitor_file},
    {"Monitor Folder", NULL, "monitor-folder", conv_monitor_folder,
     f_monitor_folder},
    {"Write Web Page", NULL, "write-web-page", conv_write_web_page, f_web_page},
    {"Get Counter", "{4E753C05-1A1F-4350-B572-09AE196AB593}", "get-counter",
     conv_get_counter, f_counter},
    {"Modify Counter", "{D2259B53-4C86-4A58-B40B-7493FC182E02}",
     "modify-counter", conv_modify_counter, f_counter},
    {"Monitor Counter", "{15A1CEB4-16D8-4AD7-A54B-8162A309439C}",
     "monitor-counter", conv_monitor_counter, f_counter},
    {"Check Schedule", "{0B807C4B-41C3-4517-B24E-7D98F016AD1C}",
     "check-schedule", conv_check_schedule, f_schedule},
    {"End Process", NULL, "end-process", ois_conv_end_process, f_end_process},
    {"Restart System", NULL, "restart-system", ois_conv_restart_system, NULL},
    /* the converter writes stop-service or restart-service by the action */
    {"Start/Stop Service", NULL, "start-service", ois_conv_service_control,
     f_service},
    {"Get Service Status", NULL, "get-service-status",
     ois_conv_get_service_status, f_service},
    {"Monitor Service", NULL, "monitor-service", ois_conv_monitor_service,
     f_service},
    {"Get Process Status", NULL, "get-process-status",
     ois_conv_get_process_status, f_process},
    {"Monitor Process", NULL, "monitor-process", ois_conv_monitor_process,
     f_process},
    {"Get Computer/IP Status", NULL, "get-computer-status",
     ois_conv_get_computer_status, f_computer},
    {"Monitor Computer/IP|Monitor Computer/IP Status", NULL,
     "monitor-computer-status", ois_conv_monitor_computer_status, f_computer},
    {"Get Disk Space Status", NULL, "get-disk-space", ois_conv_get_disk_space,
     f_disk},
    {"Monitor Disk Space", NULL, "monitor-disk-space",
     ois_conv_monitor_disk_space, f_disk},
    {"Get Internet Application Status", NULL, "get-internet-application-status",
     ois_conv_get_internet_app, f_app},
    {"Monitor Internet Application", NULL, "monitor-internet-application",
     ois_conv_monitor_internet_app, f_app},
    {"Send Event Log Message", NULL, "send-journal-message",
     ois_conv_send_event_log, NULL},
    {"Send Syslog Message", NULL, "send-syslog-message", ois_conv_send_syslog,
     NULL},
    {"Send Platform Event", NULL, "send-platform-event",
     ois_conv_send_platform_event, NULL},
    {"Send Email", NULL, "send-email", ois_conv_send_email, NULL},
    {"Send SNMP Trap", NULL, "send-snmp-trap", ois_conv_send_snmp_trap, NULL},
    {"Get SNMP Variable", NULL, "get-snmp-variable", ois_conv_get_snmp, f_snmp},
    {"Set SNMP Variable", NULL, "set-snmp-variable", ois_conv_set_snmp, f_snmp},
    {"Query XML", NULL, "query-xml", ois_conv_query_xml, f_query_xml},
    {"Apply XSLT", NULL, "apply-xslt", ois_conv_apply_xslt, f_xslt},
    {"Run SSH Command", NULL, "run-ssh-command", ois_conv_run_ssh, f_ssh},
    {"Compress File", NULL, "compress-file", ois_conv_compress, f_compress},
    {"Decompress File", NULL, "decompress-file", ois_conv_decompress,
     f_decompress},
    {"Move Folder", NULL, "move-folder", ois_conv_move_folder, f_move_folder},
    {"Insert Line", NULL, "insert-line", ois_conv_insert_line, f_insert},
    {"Delete Line", NULL, "delete-line", ois_conv_line_numbers, f_delete_line},
    {"Get Lines", NULL, "get-lines", ois_conv_line_numbers, f_read_line},
    /* Baton has these types, but the export does not hold what they need:
     * placeholders saying what to write by hand. */
    {"Query Database", NULL, "query-database", ois_conv_by_hand, NULL},
    {"Write to Database", NULL, "write-to-database", ois_conv_by_hand, NULL},
    {"Invoke Web Services", NULL, "invoke-web-service", ois_conv_by_hand, NULL},
    {"PGP Encrypt File", NULL, "pgp-encrypt-file", ois_conv_by_hand, NULL},
    {"PGP Decrypt File", NULL, "pgp-decrypt-file", ois_conv_by_hand, NULL},
    {"Map Published Data", NULL, "map-published-data", ois_conv_by_hand, NULL},
    {"Rename File", NULL, "rename-file", ois_conv_by_hand, NULL},
    /* Standard activities Baton does not have (yet): placeholders, named
     * so the report can say they are standard ones. */
    {"Monitor Event Log|Monitor SNMP Trap|Monitor WMI|Query WMI|Print File|"
     "Save Event Log|Create Computer Group|Send FTP|Upload File|"
     "Download File|Wait",
     NULL, NULL, NULL, NULL},
};

const ois_mapping *ois_mapping_find(const char *type_name,
                                    const char *type_guid) {
    for (size_t i = 0; i < BT_ARRAY_LEN(mappings); i++) {
        const ois_mapping *m = &mappings[i];
        if (type_guid && m->type_guid && !strcmp(type_guid, m->type_guid))
            return m;
        if (!type_name) continue;
        const char *p = m->names;
        size_t tl = strlen(type_name);
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t len = bar ? (size_t)(bar - p) : strlen(p);
            if (len == tl && !strncasecmp(p, type_name, len)) return m;
            if (!bar) break;
            p = bar + 1;
        }
    }
    return NULL;
}
