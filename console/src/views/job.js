// One job, live: its status, runbook instances and every activity
// instance as it is committed (the job's event stream), the diagram
// coloured by result, and an activity's published data, output and times.
import { useEffect, useState } from 'preact/hooks';
import { html, ErrorBox, Status, fmtTime, fmtDuration, jobDuration, RowsTable } from '../ui.js';
import { web, stream } from '../api.js';
import { Diagram } from '../diagram.js';

const FINISHED = ['completed', 'failed', 'canceled'];

// Merge an activity instance into an instance's list (the stream may
// replay what the first GET already had).
function upsert(list, item) {
    const i = list.findIndex((x) => x.id === item.id);
    if (i < 0) return [...list, item].sort((a, b) => a.seq - b.seq);
    const copy = list.slice();
    copy[i] = { ...copy[i], ...item };
    return copy;
}

// A job update over what we have: stream events leave out fields (or send
// them null) that the first GET had, like the runbook's path.
function merge(old, data) {
    const out = { ...old };
    for (const [k, v] of Object.entries(data)) if (v !== null && v !== undefined && k !== 'instances') out[k] = v;
    return out;
}

function ActivityDetail({ a }) {
    const rows = a.rows || [];
    const outputs = [];
    rows.forEach((r, i) => {
        for (const f of ['stdout', 'stderr']) if (r[f]) outputs.push({ f, i, text: String(r[f]) });
    });
    return html`<div class="card activity-detail" aria-label="activity instance">
  <h3>${a.name || a.activity} <span class="muted small">${a.type}</span> <${Status} value=${a.result} /></h3>
  <table class="kv"><tbody>
    <tr><th>Activity</th><td>${a.activity}</td></tr>
    <tr><th>Sequence</th><td>${a.seq}${a.parent_seq ? ` (after ${a.parent_seq})` : ''}, attempt ${a.attempt}</td></tr>
    <tr><th>Started</th><td>${fmtTime(a.started)}</td></tr>
    <tr><th>Ended</th><td>${fmtTime(a.ended)}</td></tr>
    <tr><th>Duration</th><td>${fmtDuration(a.duration_ms)}</td></tr>
    ${a.error && html`<tr><th>Error</th><td class="cell error-text">${a.error}</td></tr>`}
  </tbody></table>
  <h4>Published data</h4>
  <${RowsTable} rows=${rows} />
  ${outputs.map((o) => html`<h4>${o.f}${rows.length > 1 ? ` (row ${o.i + 1})` : ''}</h4><pre class="output">${o.text}</pre>`)}
</div>`;
}

export function Job({ id }) {
    const [job, setJob] = useState(null);
    const [instances, setInstances] = useState([]);
    const [diagram, setDiagram] = useState(null);
    const [error, setError] = useState(null);
    const [live, setLive] = useState('connecting');
    const [selInst, setSelInst] = useState(null);
    const [selAct, setSelAct] = useState(null); // activity instance id
    const [stopping, setStopping] = useState(false);

    useEffect(() => {
        let dead = false;
        let stop = () => {};
        web.get('/api/jobs/' + id).then((j) => {
            if (dead) return;
            setJob(j);
            setInstances((j.instances || []).map((i) => ({ ...i, activities: i.activities || [] })));
            web.get(`/api/runbooks/${j.runbook_id}/diagram?version=${j.runbook_version}`)
                .then((d) => !dead && setDiagram(d)).catch((e) => !dead && setDiagram({ error: e }));
            stop = stream(`/api/jobs/${id}/stream`, (name, data) => {
                if (name === 'status') setJob((old) => merge(old, data));
                else if (name === 'instance') {
                    setInstances((list) => {
                        const i = list.findIndex((x) => x.id === data.id);
                        if (i < 0) return [...list, { ...data, activities: [] }];
                        const copy = list.slice();
                        copy[i] = { ...copy[i], ...data, activities: copy[i].activities };
                        return copy;
                    });
                } else if (name === 'activity') {
                    setInstances((list) => {
                        let i = list.findIndex((x) => x.id === data.instance_id);
                        if (i < 0) {
                            list = [...list, { id: data.instance_id, status: 'running', activities: [] }];
                            i = list.length - 1;
                        }
                        const copy = list.slice();
                        copy[i] = { ...copy[i], activities: upsert(copy[i].activities, data) };
                        return copy;
                    });
                } else if (name === 'end') {
                    setJob((old) => merge(old, data));
                    setLive('ended');
                }
            }, { once: true, onState: (s) => setLive((old) => (old === 'ended' ? old : s === 'open' ? 'live' : s)) });
        }).catch((e) => !dead && setError(e));
        return () => {
            dead = true;
            stop();
        };
    }, [id]);

    if (error) return html`<${ErrorBox} error=${error} />`;
    if (!job) return html`<p class="muted">Loading…</p>`;
    const inst = instances.find((i) => i.id === selInst) || instances[instances.length - 1];
    const acts = inst ? inst.activities : [];
    const colours = {};
    for (const a of acts) colours[a.activity] = a.result; // the latest wins
    const act = acts.find((a) => a.id === selAct);
    const finished = FINISHED.includes(job.status);
    const stopJob = async () => {
        setStopping(true);
        try {
            const j = await web.post(`/api/jobs/${id}/cancel`);
            setJob((old) => merge(old, j));
        } catch (e) {
            setError(e);
        } finally {
            setStopping(false);
        }
    };
    const selectNode = (activityId) => {
        const matches = acts.filter((a) => a.activity === activityId);
        setSelAct(matches.length ? matches[matches.length - 1].id : null);
    };
    return html`<section class="job">
  <div class="title-row">
    <h1>Job #${job.id}</h1>
    <${Status} value=${job.status} />
    <span class=${'live live-' + live} title="event stream">${live === 'live' ? '● live' : live === 'ended' ? 'finished' : live}</span>
    ${!finished && html`<button class="danger" onClick=${stopJob} disabled=${stopping || job.cancel_requested}>
      ${job.cancel_requested ? 'Stopping…' : '■ Stop'}</button>`}
  </div>
  <table class="kv summary"><tbody>
    <tr><th>Runbook</th><td><a href=${'#/runbooks/' + job.runbook_id}>${job.runbook_path}</a> (version ${job.runbook_version})</td></tr>
    <tr><th>Started by</th><td>${job.created_by}</td></tr>
    <tr><th>Created</th><td>${fmtTime(job.created)}</td></tr>
    <tr><th>Duration</th><td>${fmtDuration(jobDuration(job))}</td></tr>
    <tr><th>Parameters</th><td class="cell">${Object.entries(job.parameters || {}).map(([k, v]) => `${k} = ${v}`).join(', ') || '—'}</td></tr>
    ${job.return_data && html`<tr><th>Returned</th><td class="cell" data-returned>${Object.entries(job.return_data).map(([k, v]) => `${k} = ${v}`).join(', ')}</td></tr>`}
  </tbody></table>
  ${instances.length > 1 && html`<div class="instances">Instances:
    ${instances.map((i) => html`<button class=${inst && i.id === inst.id ? 'chip active' : 'chip'} onClick=${() => { setSelInst(i.id); setSelAct(null); }}>
      #${i.id} <${Status} value=${i.result || i.status} /></button>`)}</div>`}
  <div class="split">
    <div class="diagram-wrap">
      ${diagram && (diagram.error ? html`<${ErrorBox} error=${diagram.error} />`
        : html`<${Diagram} activities=${diagram.activities} links=${diagram.links} status=${colours}
            selected=${act && act.activity} onSelect=${selectNode} />`)}
    </div>
    <div class="side">
      <div class="card">
        <h3>Activity instances ${inst && html`<span class="muted small">instance #${inst.id}</span>`}</h3>
        <table class="list acts"><thead><tr><th>#</th><th>Activity</th><th>Result</th><th>Time</th></tr></thead>
        <tbody>${acts.map((a) => html`<tr key=${a.id} class=${a.id === selAct ? 'selected' : ''}>
          <td>${a.seq}</td>
          <td><button class="link-button" data-act=${a.activity} onClick=${() => setSelAct(a.id)}>${a.name || a.activity}</button></td>
          <td><${Status} value=${a.result} /></td><td>${fmtDuration(a.duration_ms)}</td></tr>`)}
        ${acts.length === 0 && html`<tr><td colspan="4" class="muted">${finished ? 'No activity ran.' : 'Waiting for the first activity…'}</td></tr>`}
        </tbody></table>
      </div>
    </div>
  </div>
  ${act && html`<${ActivityDetail} a=${act} key=${act.id} />`}
</section>`;
}
