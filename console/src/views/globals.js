// Global settings runbooks use: variables ({var:name}; encrypted ones
// never show a value) and schedules, as the web service lists them.
import { html, useLoad, ErrorBox, fmtTime } from '../ui.js';
import { web } from '../api.js';

export function Globals() {
    const [data, error, reload] = useLoad(async () => {
        const [variables, schedules] = await Promise.all([web.get('/api/variables'), web.get('/api/schedules')]);
        return { variables: variables.items, schedules: schedules.items };
    }, []);
    if (error) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    return html`<section>
  <h1>Global settings</h1>
  <h2>Variables</h2>
  <div class="table-wrap"><table class="list variables">
    <thead><tr><th>Name</th><th>Value</th><th>Updated</th></tr></thead>
    <tbody>${data.variables.map((v) => html`<tr key=${v.name}><td>${v.name}</td>
      <td class="cell">${v.encrypted ? html`<span class="muted">(encrypted)</span>` : v.value === null ? html`<span class="muted">(not text)</span>` : v.value}</td>
      <td>${fmtTime(v.updated)}</td></tr>`)}
    ${data.variables.length === 0 && html`<tr><td colspan="3" class="muted">No variables.</td></tr>`}</tbody>
  </table></div>
  <h2>Schedules</h2>
  <div class="table-wrap"><table class="list schedules">
    <thead><tr><th>Name</th><th>Definition</th><th>Updated</th></tr></thead>
    <tbody>${data.schedules.map((s) => html`<tr key=${s.name}><td>${s.name}</td>
      <td class="cell">${JSON.stringify(s.definition)}</td><td>${fmtTime(s.updated)}</td></tr>`)}
    ${data.schedules.length === 0 && html`<tr><td colspan="3" class="muted">No schedules.</td></tr>`}</tbody>
  </table></div>
  <p class="muted small">Change them with the management server: <code>baton var set</code>, <code>baton schedule set</code>.</p>
</section>`;
}
