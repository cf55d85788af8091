/* The entity model of Orchestrator 2012's web service: entity sets, their
 * properties in Orchestrator's order (scripts read properties by position
 * as well as by name), navigation properties, and the two documents that
 * describe them: the service document and $metadata (CSDL). */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "web/odata.h"

#define P(n, t) {n, t, true}
#define KEY(n) {n, OD_GUID, false}
#define N(a) a, BT_ARRAY_LEN(a)

int od_load_runbooks(od_ctx *c, json_t *out);
int od_load_runbook_parameters(od_ctx *c, json_t *out);
int od_load_jobs(od_ctx *c, json_t *out);
int od_load_instances(od_ctx *c, json_t *out);
int od_load_instance_parameters(od_ctx *c, json_t *out);
int od_load_activity_instances(od_ctx *c, json_t *out);
int od_load_activity_data(od_ctx *c, json_t *out);
int od_load_activities(od_ctx *c, json_t *out);
int od_load_servers(od_ctx *c, json_t *out);
int od_load_folders(od_ctx *c, json_t *out);
int od_load_events(od_ctx *c, json_t *out);
int od_load_statistics(od_ctx *c, json_t *out);
int od_load_diagrams(od_ctx *c, json_t *out);

static const od_prop runbook_props[] = {
    KEY("Id"), P("FolderId", OD_GUID), P("Name", OD_STRING),
    P("Description", OD_STRING), P("CreatedBy", OD_STRING),
    P("CreationTime", OD_DATETIME), P("LastModifiedBy", OD_STRING),
    P("LastModifiedTime", OD_DATETIME), P("IsMonitor", OD_BOOL),
    P("Path", OD_STRING), P("CheckedOutBy", OD_STRING),
    P("CheckedOutTime", OD_DATETIME)};
static const od_nav runbook_navs[] = {
    {"Folder", "Folders", false, "FolderId", "Id"},
    {"Parameters", "RunbookParameters", true, "Id", "RunbookId"},
    {"Jobs", "Jobs", true, "Id", "RunbookId"},
    {"Instances", "RunbookInstances", true, "Id", "RunbookId"},
    {"Activities", "Activities", true, "Id", "RunbookId"},
    {"Statistics", "Statistics", true, "Id", "RunbookId"},
    {"Diagram", "RunbookDiagrams", false, "Id", "RunbookId"}};

static const od_prop parameter_props[] = {
    KEY("Id"), P("RunbookId", OD_GUID), P("Name", OD_STRING),
    P("Type", OD_STRING), P("Direction", OD_STRING),
    P("Description", OD_STRING)};
static const od_nav parameter_navs[] = {
    {"Runbook", "Runbooks", false, "RunbookId", "Id"},
    {"Instances", "RunbookInstanceParameters", true, "Id",
     "RunbookParameterId"}};

static const od_prop job_props[] = {
    KEY("Id"), P("RunbookId", OD_GUID), P("Parameters", OD_STRING),
    P("RunbookServers", OD_STRING), P("RunbookServerId", OD_GUID),
    P("Status", OD_STRING), P("ParentId", OD_GUID),
    P("ParentIsWaiting", OD_BOOL), P("CreatedBy", OD_STRING),
    P("CreationTime", OD_DATETIME), P("LastModifiedBy", OD_STRING),
    P("LastModifiedTime", OD_DATETIME)};
static const od_nav job_navs[] = {
    {"Runbook", "Runbooks", false, "RunbookId", "Id"},
    {"RunbookServer", "RunbookServers", false, "RunbookServerId", "Id"},
    {"Instances", "RunbookInstances", true, "Id", "JobId"}};

static const od_prop instance_props[] = {
    KEY("Id"), P("RunbookId", OD_GUID), P("JobId", OD_GUID),
    P("RunbookServerId", OD_GUID), P("Status", OD_STRING),
    P("CreationTime", OD_DATETIME), P("CompletionTime", OD_DATETIME)};
static const od_nav instance_navs[] = {
    {"Runbook", "Runbooks", false, "RunbookId", "Id"},
    {"Job", "Jobs", false, "JobId", "Id"},
    {"RunbookServer", "RunbookServers", false, "RunbookServerId", "Id"},
    {"Parameters", "RunbookInstanceParameters", true, "Id",
     "RunbookInstanceId"},
    {"ActivityInstances", "ActivityInstances", true, "Id",
     "RunbookInstanceId"}};

static const od_prop instance_param_props[] = {
    KEY("Id"), P("RunbookInstanceId", OD_GUID),
    P("RunbookParameterId", OD_GUID), P("Name", OD_STRING),
    P("Value", OD_STRING), P("Direction", OD_STRING),
    P("GroupId", OD_INT32)};
static const od_nav instance_param_navs[] = {
    {"RunbookInstance", "RunbookInstances", false, "RunbookInstanceId", "Id"},
    {"RunbookParameter", "RunbookParameters", false, "RunbookParameterId",
     "Id"}};

static const od_prop activity_instance_props[] = {
    KEY("Id"), P("RunbookInstanceId", OD_GUID), P("ActivityId", OD_GUID),
    P("SequenceNumber", OD_INT32), P("Status", OD_STRING),
    P("StartTime", OD_DATETIME), P("EndTime", OD_DATETIME)};
static const od_nav activity_instance_navs[] = {
    {"RunbookInstance", "RunbookInstances", false, "RunbookInstanceId", "Id"},
    {"Activity", "Activities", false, "ActivityId", "Id"},
    {"Data", "ActivityInstanceData", true, "Id", "ActivityInstanceId"}};

static const od_prop activity_data_props[] = {
    KEY("Id"), P("ActivityInstanceId", OD_GUID), P("Name", OD_STRING),
    P("Value", OD_STRING), P("GroupId", OD_INT32)};
static const od_nav activity_data_navs[] = {
    {"ActivityInstance", "ActivityInstances", false, "ActivityInstanceId",
     "Id"}};

static const od_prop activity_props[] = {
    KEY("Id"), P("RunbookId", OD_GUID), P("Name", OD_STRING),
    P("TypeName", OD_STRING), P("Description", OD_STRING),
    P("CreatedBy", OD_STRING), P("CreationTime", OD_DATETIME),
    P("LastModifiedBy", OD_STRING), P("LastModifiedTime", OD_DATETIME),
    P("HasBreakpoint", OD_BOOL), P("PositionX", OD_INT32),
    P("PositionY", OD_INT32), P("Enabled", OD_BOOL)};
static const od_nav activity_navs[] = {
    {"Runbook", "Runbooks", false, "RunbookId", "Id"},
    {"Instances", "ActivityInstances", true, "Id", "ActivityId"}};

static const od_prop server_props[] = {KEY("Id"), P("Name", OD_STRING),
                                       P("Description", OD_STRING)};
static const od_nav server_navs[] = {
    {"Jobs", "Jobs", true, "Id", "RunbookServerId"},
    {"Instances", "RunbookInstances", true, "Id", "RunbookServerId"},
    {"Events", "Events", true, "Id", "SourceId"}};

static const od_prop folder_props[] = {
    KEY("Id"), P("ParentId", OD_GUID), P("Name", OD_STRING),
    P("Description", OD_STRING), P("CreatedBy", OD_STRING),
    P("CreationTime", OD_DATETIME), P("LastModifiedBy", OD_STRING),
    P("LastModifiedTime", OD_DATETIME), P("Path", OD_STRING)};
static const od_nav folder_navs[] = {
    {"Parent", "Folders", false, "ParentId", "Id"},
    {"Subfolders", "Folders", true, "Id", "ParentId"},
    {"Runbooks", "Runbooks", true, "Id", "FolderId"}};

static const od_prop event_props[] = {
    KEY("Id"), P("Type", OD_STRING), P("Summary", OD_STRING),
    P("Description", OD_STRING), P("SourceId", OD_GUID),
    P("SourceName", OD_STRING), P("CreationTime", OD_DATETIME)};
static const od_nav event_navs[] = {
    {"RunbookServer", "RunbookServers", false, "SourceId", "Id"}};

static const od_prop statistic_props[] = {
    KEY("Id"), P("ResourceId", OD_GUID), P("ResourceType", OD_STRING),
    P("Counter", OD_STRING), P("Criteria", OD_STRING),
    P("Value", OD_INT32), P("StartTime", OD_DATETIME),
    P("EndTime", OD_DATETIME), P("RunbookId", OD_GUID),
    P("RunbookPath", OD_STRING)};
static const od_nav statistic_navs[] = {
    {"Runbook", "Runbooks", false, "RunbookId", "Id"}};

/* The key of a diagram is its runbook's Id, as in Orchestrator. */
static const od_prop diagram_props[] = {KEY("RunbookId"),
                                        P("ContentType", OD_STRING),
                                        P("LastModifiedTime", OD_DATETIME)};
static const od_nav diagram_navs[] = {
    {"Runbook", "Runbooks", false, "RunbookId", "Id"}};

const od_set od_sets[OD_N_SETS] = {
    {OD_RUNBOOKS, "Runbooks", "Runbook", N(runbook_props), N(runbook_navs),
     od_load_runbooks},
    {OD_RUNBOOK_PARAMETERS, "RunbookParameters", "RunbookParameter",
     N(parameter_props), N(parameter_navs), od_load_runbook_parameters},
    {OD_JOBS, "Jobs", "Job", N(job_props), N(job_navs), od_load_jobs},
    {OD_RUNBOOK_INSTANCES, "RunbookInstances", "RunbookInstance",
     N(instance_props), N(instance_navs), od_load_instances},
    {OD_RUNBOOK_INSTANCE_PARAMETERS, "RunbookInstanceParameters",
     "RunbookInstanceParameter", N(instance_param_props),
     N(instance_param_navs), od_load_instance_parameters},
    {OD_ACTIVITY_INSTANCES, "ActivityInstances", "ActivityInstance",
     N(activity_instance_props), N(activity_instance_navs),
     od_load_activity_instances},
    {OD_ACTIVITY_INSTANCE_DATA, "ActivityInstanceData",
     "ActivityInstanceData", N(activity_data_props), N(activity_data_navs),
     od_load_activity_data},
    {OD_ACTIVITIES, "Activities", "Activity", N(activity_props),
     N(activity_navs), od_load_activities},
    {OD_RUNBOOK_SERVERS, "RunbookServers", "RunbookServer", N(server_props),
     N(server_navs), od_load_servers},
    {OD_FOLDERS, "Folders", "Folder", N(folder_props), N(folder_navs),
     od_load_folders},
    {OD_EVENTS, "Events", "Event", N(event_props), N(event_navs),
     od_load_events},
    {OD_STATISTICS, "Statistics", "Statistic", N(statistic_props),
     N(statistic_navs), od_load_statistics},
    {OD_RUNBOOK_DIAGRAMS, "RunbookDiagrams", "RunbookDiagram",
     N(diagram_props), N(diagram_navs), od_load_diagrams},
};

/* Names are matched exactly: WCF Data Services is case-sensitive and a
 * script that works against Baton must keep working against Orchestrator. */
const od_set *od_set_find(const char *name) {
    for (size_t i = 0; i < OD_N_SETS; i++)
        if (!strcmp(od_sets[i].name, name)) return &od_sets[i];
    return NULL;
}

const od_prop *od_prop_find(const od_set *set, const char *name) {
    for (size_t i = 0; i < set->n_props; i++)
        if (!strcmp(set->props[i].name, name)) return &set->props[i];
    return NULL;
}

const od_nav *od_nav_find(const od_set *set, const char *name) {
    for (size_t i = 0; i < set->n_navs; i++)
        if (!strcmp(set->navs[i].name, name)) return &set->navs[i];
    return NULL;
}

static const char *edm_name(od_type t) {
    switch (t) {
    case OD_GUID: return "Edm.Guid";
    case OD_INT32: return "Edm.Int32";
    case OD_BOOL: return "Edm.Boolean";
    case OD_DATETIME: return "Edm.DateTime";
    case OD_STRING: break;
    }
    return "Edm.String";
}

/* Each navigation property gets an association of its own, named
 * Type_Nav, with roles Type and Nav (Type + "Source" when they clash). */
static void role_names(const od_set *set, const od_nav *nav, char *from,
                       size_t n) {
    snprintf(from, n, "%s%s", set->type,
             strcmp(set->type, nav->name) ? "" : "Source");
}

void od_write_metadata(bt_buf *b) {
    bt_buf_appends(
        b,
        "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n"
        "<edmx:Edmx Version=\"1.0\" "
        "xmlns:edmx=\"http://schemas.microsoft.com/ado/2007/06/edmx\">"
        "<edmx:DataServices "
        "xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/"
        "metadata\" m:DataServiceVersion=\"2.0\">"
        "<Schema Namespace=\"" OD_NS "\" "
        "xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" "
        "xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/"
        "metadata\" xmlns=\"http://schemas.microsoft.com/ado/2008/09/edm\">");
    char from[64];
    for (size_t i = 0; i < OD_N_SETS; i++) {
        const od_set *s = &od_sets[i];
        /* a diagram is a media link entry: its image is its $value */
        bt_buf_printf(b,
                      "<EntityType Name=\"%s\"%s><Key><PropertyRef "
                      "Name=\"%s\"/></Key>",
                      s->type,
                      i == OD_RUNBOOK_DIAGRAMS ? " m:HasStream=\"true\"" : "",
                      s->props[0].name);
        for (size_t k = 0; k < s->n_props; k++)
            bt_buf_printf(b, "<Property Name=\"%s\" Type=\"%s\" "
                             "Nullable=\"%s\"/>",
                          s->props[k].name, edm_name(s->props[k].type),
                          s->props[k].nullable ? "true" : "false");
        for (size_t k = 0; k < s->n_navs; k++) {
            role_names(s, &s->navs[k], from, sizeof from);
            bt_buf_printf(b,
                          "<NavigationProperty Name=\"%s\" "
                          "Relationship=\"" OD_NS ".%s_%s\" FromRole=\"%s\" "
                          "ToRole=\"%s\"/>",
                          s->navs[k].name, s->type, s->navs[k].name, from,
                          s->navs[k].name);
        }
        bt_buf_appends(b, "</EntityType>");
    }
    for (size_t i = 0; i < OD_N_SETS; i++) {
        const od_set *s = &od_sets[i];
        for (size_t k = 0; k < s->n_navs; k++) {
            const od_nav *nv = &s->navs[k];
            const od_set *t = od_set_find(nv->target);
            role_names(s, nv, from, sizeof from);
            bt_buf_printf(b,
                          "<Association Name=\"%s_%s\">"
                          "<End Role=\"%s\" Type=\"" OD_NS ".%s\" "
                          "Multiplicity=\"*\"/>"
                          "<End Role=\"%s\" Type=\"" OD_NS ".%s\" "
                          "Multiplicity=\"%s\"/></Association>",
                          s->type, nv->name, from, s->type, nv->name,
                          t->type, nv->many ? "*" : "0..1");
        }
    }
    bt_buf_appends(b, "<EntityContainer Name=\"" OD_CONTAINER "\" "
                      "m:IsDefaultEntityContainer=\"true\">");
    for (size_t i = 0; i < OD_N_SETS; i++)
        bt_buf_printf(b, "<EntitySet Name=\"%s\" EntityType=\"" OD_NS
                         ".%s\"/>",
                      od_sets[i].name, od_sets[i].type);
    for (size_t i = 0; i < OD_N_SETS; i++) {
        const od_set *s = &od_sets[i];
        for (size_t k = 0; k < s->n_navs; k++) {
            const od_nav *nv = &s->navs[k];
            role_names(s, nv, from, sizeof from);
            bt_buf_printf(b,
                          "<AssociationSet Name=\"%s_%s\" "
                          "Association=\"" OD_NS ".%s_%s\">"
                          "<End Role=\"%s\" EntitySet=\"%s\"/>"
                          "<End Role=\"%s\" EntitySet=\"%s\"/>"
                          "</AssociationSet>",
                          s->type, nv->name, s->type, nv->name, from,
                          s->name, nv->name, nv->target);
        }
    }
    bt_buf_appends(b, "</EntityContainer></Schema></edmx:DataServices>"
                      "</edmx:Edmx>\n");
}

void od_write_service(od_ctx *c, bt_buf *b) {
    if (c->json) {
        od_json_service(b);
        return;
    }
    bt_buf_appends(b, "<?xml version=\"1.0\" encoding=\"utf-8\" "
                      "standalone=\"yes\"?>\n<service xml:base=\"");
    od_xml_escape(b, c->base);
    bt_buf_appends(b, "\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
                      "xmlns:app=\"http://www.w3.org/2007/app\" "
                      "xmlns=\"http://www.w3.org/2007/app\"><workspace>"
                      "<atom:title>Default</atom:title>");
    for (size_t i = 0; i < OD_N_SETS; i++)
        bt_buf_printf(b, "<collection href=\"%s\"><atom:title>%s"
                         "</atom:title></collection>",
                      od_sets[i].name, od_sets[i].name);
    bt_buf_appends(b, "</workspace></service>\n");
}
