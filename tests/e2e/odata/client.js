// Drives /Orchestrator2012/Orchestrator.svc/ with @odata/client, an OData
// v2 client from npm, the way a Node.js integration would: find a runbook
// by name, read its parameters, start a job with the parameters XML keyed
// by parameter GUID, follow the job to its end and read what it returned,
// start a long job and stop it by setting Status to Canceled.
//
//   node client.js SERVICE_ROOT RUNBOOK PARAMETER VALUE SLEEPER
//
// Prints "ok ..." per check; exits 1 at the first failure.
"use strict";
const { OData, EdmV2 } = require("@odata/client");

const [root, runbookName, paramName, value, sleeperName] = process.argv.slice(2);
if (!sleeperName) {
    console.error("usage: node client.js SERVICE_ROOT RUNBOOK PARAMETER VALUE SLEEPER");
    process.exit(2);
}
// BATON_ODATA_AUTH: the Authorization header (batond's authentication).
const auth = process.env.BATON_ODATA_AUTH;
const client = OData.New({
    serviceEndpoint: root,
    commonHeaders: auth ? { Authorization: auth } : {},
});
const guid = (g) => EdmV2.RawString.from(`guid'${g}'`);

function check(cond, what, detail) {
    if (!cond) {
        console.error(`FAIL ${what}` + (detail ? `\n     ${JSON.stringify(detail)}` : ""));
        process.exit(1);
    }
    console.log(`ok   ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(jobs, id, statuses, seconds) {
    for (let i = 0; i < seconds * 10; i++) {
        const job = await jobs.retrieve(guid(id));
        if (statuses.includes(job.Status)) return job;
        await sleep(100);
    }
    return jobs.retrieve(guid(id));
}

async function runbookByName(runbooks, name) {
    const found = await runbooks.query(client.newFilter().property("Name").eqString(name));
    check(Array.isArray(found) && found.length === 1, `Runbooks $filter Name eq '${name}' finds one`, found);
    return found[0];
}

async function main() {
    const runbooks = client.getEntitySet("Runbooks");
    const jobs = client.getEntitySet("Jobs");

    const all = await runbooks.query();
    check(all.length >= 2, "Runbooks lists the runbooks", all.length);
    const total = await runbooks.count();
    check(total === all.length, "Runbooks count ($inlinecount) agrees", { total, listed: all.length });

    const rb = await runbookByName(runbooks, runbookName);
    check(rb.__metadata && rb.__metadata.type === "Microsoft.SystemCenter.Orchestrator.WebService.Runbook",
          "entities carry Orchestrator's type name", rb.__metadata);
    check(/^\/Date\(\d+\)\/$/.test(rb.CreationTime), "DateTime comes as /Date(ms)/", rb.CreationTime);
    const again = await runbooks.retrieve(guid(rb.Id));
    check(again.Id === rb.Id && again.Path === rb.Path, "Runbooks(guid'…') retrieves it by key", again);

    const params = await client.newRequest({
        collection: "RunbookParameters",
        params: client.newParam().filter(client.newFilter()
            .property("RunbookId").eq(guid(rb.Id))
            .property("Direction").eqString("In")),
    });
    const list = params.d.results;
    const param = list.find((p) => p.Name === paramName);
    check(param && /^[0-9a-f-]{36}$/.test(param.Id), `parameter '${paramName}' has a GUID`, list);

    const expanded = await runbooks.retrieve(guid(rb.Id), client.newParam().expand("Parameters").select("Name,Parameters"));
    check(expanded.Parameters.results.length === list.length + expanded.Parameters.results.filter((p) => p.Direction === "Out").length,
          "$expand=Parameters inlines them", expanded);
    check(expanded.Path === undefined, "$select leaves other properties out", expanded);

    const created = await jobs.create({
        RunbookId: rb.Id,
        Parameters: `<Data><Parameter><ID>{${param.Id}}</ID><Value>${value}</Value></Parameter></Data>`,
    });
    check(created && created.Status === "Pending" && created.RunbookId === rb.Id, "POST Jobs starts a job", created);
    const done = await waitFor(jobs, created.Id, ["Completed", "Failed", "Canceled"], 30);
    check(done.Status === "Completed", "the job completes", done);

    const instances = await client.newRequest({
        collection: "RunbookInstances",
        params: client.newParam()
            .filter(client.newFilter().property("JobId").eq(guid(created.Id)))
            .expand("Parameters"),
    });
    const inst = instances.d.results[0];
    check(inst && inst.Status === "Success", "its runbook instance succeeded", instances.d);
    const inParam = inst.Parameters.results.find((p) => p.Direction === "In" && p.Name === paramName);
    check(inParam && inParam.Value === value && inParam.RunbookParameterId === param.Id,
          "the instance shows the parameter it was given", inst.Parameters.results);
    const out = inst.Parameters.results.filter((p) => p.Direction === "Out");
    check(out.length >= 1 && out.some((p) => p.Value.includes(value)), "and what it returned", out);

    const sleeper = await runbookByName(runbooks, sleeperName);
    const long = await jobs.create({ RunbookId: sleeper.Id });
    const running = await waitFor(jobs, long.Id, ["Running"], 30);
    check(running.Status === "Running", "a long job runs", running);
    await jobs.update(guid(long.Id), { Status: "Canceled" });
    const stopped = await waitFor(jobs, long.Id, ["Canceled", "Completed", "Failed"], 30);
    check(stopped.Status === "Canceled", "setting Status to Canceled stops it", stopped);

    let error = null;
    try {
        await jobs.create({ RunbookId: "00000000-0000-0000-0000-000000000000" });
    } catch (e) {
        error = e;
    }
    check(error && /runbook/i.test(error.message), "errors reach the client in OData's shape", String(error));
}

main().catch((e) => {
    console.error(`FAIL ${e.stack || e}`);
    process.exit(1);
});
