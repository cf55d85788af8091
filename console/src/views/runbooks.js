// Runbooks: the folder tree, a runbook's diagram and properties, and the
// start form built from its Initialize Data parameters.
import { useState } from 'preact/hooks';
import { html, useLoad, ErrorBox, Status, fmtTime, navigate } from '../ui.js';
import { web, qs } from '../api.js';
import { Diagram } from '../diagram.js';

function Folder({ f, current, depth = 0 }) {
    const [open, setOpen] = useState(depth < 2);
    const has = (f.folders && f.folders.length) || (f.runbooks && f.runbooks.length);
    return html`<li>
  <button class="folder" aria-expanded=${open} onClick=${() => setOpen(!open)} disabled=${!has}>
    ${has ? (open ? '▾' : '▸') : '·'} ${f.name || '/'}</button>
  ${open && html`<ul>
    ${(f.folders || []).map((c) => html`<${Folder} f=${c} current=${current} depth=${depth + 1} key=${c.path} />`)}
    ${(f.runbooks || []).map((r) => html`<li key=${'r' + r.id}><a class=${'runbook-link' + (String(r.id) === String(current) ? ' active' : '')}
        href=${'#/runbooks/' + r.id}>${r.name}</a></li>`)}
  </ul>`}
</li>`;
}

export function paramValue(p, raw) {
    if (p.type === 'boolean') return !!raw;
    if (raw === '' || raw === undefined || raw === null) return undefined;
    if (p.type === 'integer' || p.type === 'number') {
        const n = Number(raw);
        return isNaN(n) ? raw : n;
    }
    return raw;
}

export function StartForm({ runbook, onStarted }) {
    const params = runbook.parameters || [];
    const init = {};
    for (const p of params) init[p.name] = p.type === 'boolean' ? p.default === 'true' : (p.default ?? '');
    const [values, setValues] = useState(init);
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const set = (name, v) => setValues({ ...values, [name]: v });
    const submit = async (ev) => {
        ev.preventDefault();
        setBusy(true);
        setError(null);
        const parameters = {};
        for (const p of params) {
            const v = paramValue(p, values[p.name]);
            if (v !== undefined) parameters[p.name] = v;
        }
        try {
            const job = await web.post('/api/jobs', { runbook: runbook.id, parameters });
            onStarted(job);
        } catch (e) {
            setError(e);
        } finally {
            setBusy(false);
        }
    };
    if (runbook.parameters === null)
        return html`<div class="error">This runbook does not load: ${runbook.load_error}</div>`;
    return html`<form class="start-form card" onSubmit=${submit} aria-label="start runbook">
  <h3>Start</h3>
  ${params.length === 0 && html`<p class="muted">No parameters.</p>`}
  ${params.map((p) => {
        const id = 'param-' + p.name;
        let input;
        if (p.allowed && p.allowed.length)
            input = html`<select id=${id} name=${p.name} value=${values[p.name]} onChange=${(e) => set(p.name, e.target.value)} required=${p.required}>
              ${!p.required && html`<option value="">(none)</option>`}
              ${p.allowed.map((a) => html`<option value=${a}>${a}</option>`)}</select>`;
        else if (p.type === 'boolean')
            input = html`<input id=${id} name=${p.name} type="checkbox" checked=${values[p.name]} onChange=${(e) => set(p.name, e.target.checked)} />`;
        else
            input = html`<input id=${id} name=${p.name} type=${p.type === 'integer' || p.type === 'number' ? 'number' : 'text'}
              step=${p.type === 'number' ? 'any' : '1'} value=${values[p.name]} required=${p.required}
              onInput=${(e) => set(p.name, e.target.value)} />`;
        return html`<div class="field">
          <label for=${id}>${p.name}${p.required && html`<span class="required" title="required"> *</span>`}
            <span class="muted small"> ${p.type || 'string'}</span></label>
          ${input}
          ${p.description && html`<div class="muted small">${p.description}</div>`}
        </div>`;
    })}
  <${ErrorBox} error=${error} />
  <button type="submit" class="primary" disabled=${busy}>${busy ? 'Starting…' : '▶ Start'}</button>
</form>`;
}

function RunbookDetail({ id }) {
    const [selected, setSelected] = useState(null);
    const [data, error, reload] = useLoad(async () => {
        const rb = await web.get('/api/runbooks/' + encodeURIComponent(id));
        const [diagram, jobs] = await Promise.all([
            web.get(`/api/runbooks/${rb.id}/diagram`).catch((e) => ({ error: e })),
            web.get('/api/jobs' + qs({ runbook: rb.id, order: 'desc', limit: 10 })),
        ]);
        return { rb, diagram, jobs: jobs.items };
    }, [id]);
    if (error) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    const { rb, diagram } = data;
    const act = selected && diagram.activities && diagram.activities.find((a) => a.id === selected);
    return html`<div class="runbook-detail">
  <div class="title-row">
    <h1>${rb.name}</h1>
    <span class="muted">${rb.path} · version ${rb.latest_version}</span>
    <a class="button" href=${'#/design/' + rb.id}>✎ Design</a>
  </div>
  ${rb.description && html`<p>${rb.description}</p>`}
  <div class="split">
    <div class="diagram-wrap">
      ${diagram.error ? html`<${ErrorBox} error=${diagram.error} />`
        : html`<${Diagram} activities=${diagram.activities} links=${diagram.links} selected=${selected} onSelect=${setSelected} />`}
      ${act && html`<div class="card activity-props">
        <h3>${act.name || act.id} <span class="muted small">${act.type}</span></h3>
        <table class="kv"><tbody>${Object.entries(act.properties || {}).map(([k, v]) => html`<tr><th>${k}</th>
          <td class="cell">${typeof v === 'string' ? v : JSON.stringify(v)}</td></tr>`)}</tbody></table>
      </div>`}
    </div>
    <div class="side">
      <${StartForm} runbook=${rb} onStarted=${(job) => navigate('#/jobs/' + job.id)} />
      <div class="card">
        <h3>Recent jobs</h3>
        ${data.jobs.length ? html`<ul class="plain">${data.jobs.map((j) => html`<li><a href=${'#/jobs/' + j.id}>#${j.id}</a>
          <${Status} value=${j.status} /> <span class="muted small">${fmtTime(j.created)}</span></li>`)}</ul>`
        : html`<p class="muted">No jobs yet.</p>`}
        <a href=${'#/jobs?runbook=' + encodeURIComponent(rb.path)}>All jobs of this runbook</a>
      </div>
    </div>
  </div>
</div>`;
}

export function Runbooks({ id }) {
    const [tree, error, reload] = useLoad(() => web.get('/api/folders'), []);
    return html`<div class="browser">
  <aside class="tree" aria-label="folders">
    <h2>Folders</h2>
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    ${tree && html`<ul class="tree-root"><${Folder} f=${tree} current=${id} /></ul>`}
  </aside>
  <section class="detail">
    ${id ? html`<${RunbookDetail} id=${id} key=${id} />` : html`<p class="muted">Choose a runbook.</p>`}
  </section>
</div>`;
}
