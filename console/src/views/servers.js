// Runbook servers with their status and load. The management server
// knows running instances and throttles; without it, the web service's
// list and the running jobs per server.
import { html, useLoad, ErrorBox, Status, fmtTime } from '../ui.js';
import { web, mgmt, qs } from '../api.js';
import { useEffect } from 'preact/hooks';

export function Servers() {
    const [items, error, reload] = useLoad(async () => {
        try {
            const m = await mgmt.get('/api/servers');
            return m.items.map((s) => ({ ...s, source: 'management' }));
        } catch (e) {
            const w = await web.get('/api/servers');
            return Promise.all(w.items.map(async (s) => {
                const running = await web.get('/api/jobs' + qs({ server: s.name, status: 'running', limit: 1000 }));
                return { ...s, status: s.up ? 'up' : 'down', running: running.items.length, source: 'web' };
            }));
        }
    }, []);
    useEffect(() => {
        const t = setInterval(reload, 5000);
        return () => clearInterval(t);
    }, []);
    return html`<section>
  <h1>Runbook servers</h1>
  ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
  ${items && html`<div class="table-wrap"><table class="list servers">
    <thead><tr><th>Name</th><th>Status</th><th>Running</th><th>Throttle</th><th>Version</th><th>Heartbeat</th><th>Lease expires</th></tr></thead>
    <tbody>${items.map((s) => html`<tr key=${s.name}>
      <td>${s.name}</td><td><${Status} value=${s.status || (s.up ? 'up' : 'down')} /></td>
      <td><a href=${'#/jobs' + qs({ status: 'running' })}>${s.running ?? '—'}</a></td>
      <td>${s.throttle ? s.throttle : 'own'}</td><td>${s.version}</td>
      <td>${fmtTime(s.heartbeat)}</td><td>${fmtTime(s.lease_expires)}</td></tr>`)}
    ${items.length === 0 && html`<tr><td colspan="7" class="muted">No runbook server has registered.</td></tr>`}</tbody>
  </table></div>`}
</section>`;
}
