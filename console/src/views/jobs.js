// Jobs: newest first, filtered by status, runbook and who started them,
// paged with the web service's cursors; the first page follows the event
// stream.
import { useEffect, useState } from 'preact/hooks';
import { html, useLoad, ErrorBox, Status, fmtTime, fmtDuration, jobDuration, navigate } from '../ui.js';
import { web, qs, followJobs } from '../api.js';

const PAGE = 50;

export function Jobs({ query }) {
    const filters = { status: query.get('status') || '', runbook: query.get('runbook') || '', created_by: query.get('created_by') || '' };
    const [form, setForm] = useState(filters);
    const [cursors, setCursors] = useState([null]); // cursor of each page seen
    const [tick, setTick] = useState(0);
    const key = JSON.stringify(filters);
    useEffect(() => { setForm(filters); setCursors([null]); }, [key]);
    const cursor = cursors[cursors.length - 1];
    const [page, error, reload, loading] = useLoad(() => web.get('/api/jobs' + qs({ ...filters, order: 'desc', limit: PAGE, cursor })),
        [key, cursor, tick]);
    useEffect(() => {
        if (cursor !== null) return undefined;
        return followJobs(() => setTick((t) => t + 1));
    }, [cursor]);
    const apply = (ev) => {
        ev.preventDefault();
        navigate('#/jobs' + qs(form));
    };
    return html`<section>
  <h1>Jobs</h1>
  <form class="filters" onSubmit=${apply} aria-label="filter jobs">
    <label>Status <select name="status" value=${form.status} onChange=${(e) => setForm({ ...form, status: e.target.value })}>
      <option value="">any</option>
      ${['pending', 'running', 'completed', 'failed', 'canceled'].map((s) => html`<option value=${s}>${s}</option>`)}
    </select></label>
    <label>Runbook <input name="runbook" placeholder="/Folder/Name or id" value=${form.runbook}
      onInput=${(e) => setForm({ ...form, runbook: e.target.value })} /></label>
    <label>Started by <input name="created_by" value=${form.created_by} onInput=${(e) => setForm({ ...form, created_by: e.target.value })} /></label>
    <button type="submit">Filter</button>
    <a href="#/jobs" class="button">Clear</a>
  </form>
  ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
  ${page && html`<div class="table-wrap"><table class="list jobs">
    <thead><tr><th>Job</th><th>Runbook</th><th>Status</th><th>Created</th><th>Duration</th><th>Started by</th></tr></thead>
    <tbody>${page.items.map((j) => html`<tr key=${j.id}>
      <td><a href=${'#/jobs/' + j.id}>#${j.id}</a></td>
      <td>${j.runbook_path}</td>
      <td><${Status} value=${j.status} /></td>
      <td>${fmtTime(j.created)}</td>
      <td>${fmtDuration(jobDuration(j))}</td>
      <td>${j.created_by}</td></tr>`)}
    ${page.items.length === 0 && html`<tr><td colspan="6" class="muted">No jobs match.</td></tr>`}</tbody>
  </table></div>
  <div class="pager">
    <button disabled=${cursors.length < 2 || loading} onClick=${() => setCursors(cursors.slice(0, -1))}>← Newer</button>
    <span class="muted">page ${cursors.length}</span>
    <button disabled=${page.next_cursor === null || page.next_cursor === undefined || loading}
      onClick=${() => setCursors([...cursors, page.next_cursor])}>Older →</button>
  </div>`}
</section>`;
}
