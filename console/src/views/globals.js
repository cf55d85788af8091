// Global settings runbooks use: variables ({var:name}; encrypted ones
// never show a value), counters and schedules, grouped by settings folder,
// as the management server lists them; administrators edit them here.
import { useState } from 'preact/hooks';
import { html, useLoad, ErrorBox } from '../ui.js';
import { mgmt } from '../api.js';
import { SettingsSection, KINDS } from './settings.js';

export function Globals({ admin }) {
    const [filter, setFilter] = useState('');
    const [data, error, reload] = useLoad(async () => {
        const kinds = Object.keys(KINDS);
        const lists = await Promise.all(kinds.map((k) => mgmt.get('/api/' + k)));
        return Object.fromEntries(kinds.map((k, i) => [k, lists[i].items]));
    }, []);
    if (error) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    const folders = [...new Set(Object.values(data).flat().map((it) => it.folder))].sort();
    const pick = (items) => (filter ? items.filter((it) => it.folder === filter) : items);
    return html`<section class="globals">
  <div class="title-row"><h1>Global settings</h1>
    <label class="inline-label">Settings folder <select name="settings-folder" value=${filter} onChange=${(e) => setFilter(e.target.value)}>
      <option value="">all folders</option>
      ${folders.map((f) => html`<option value=${f}>${f}</option>`)}</select></label></div>
  ${!admin && html`<p class="muted small">Only administrators change global settings.</p>`}
  ${Object.keys(KINDS).map((k) => html`<${SettingsSection} key=${k} kind=${k} items=${pick(data[k])} admin=${admin}
      folders=${folders} onDone=${reload} />`)}
</section>`;
}
