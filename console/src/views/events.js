// Server and job events, newest first, followed live.
import { useEffect, useState } from 'preact/hooks';
import { html, ErrorBox, fmtTime } from '../ui.js';
import { web, qs, stream } from '../api.js';

const KEEP = 300;

export function Events() {
    const [items, setItems] = useState(null);
    const [error, setError] = useState(null);
    const [severity, setSeverity] = useState('');
    useEffect(() => {
        let stop = () => {};
        let dead = false;
        (async () => {
            // the list is oldest first: walk to its end (bounded), keep the tail
            let cursor = 0;
            let all = [];
            for (let i = 0; i < 20; i++) {
                const page = await web.get('/api/events' + qs({ cursor, limit: 1000 }));
                all = all.concat(page.items).slice(-KEEP);
                if (!page.items.length || page.next_cursor === cursor || page.next_cursor === null) break;
                cursor = page.next_cursor;
            }
            if (dead) return;
            setItems(all.reverse());
            const add = (list) => setItems((old) => {
                let out = old;
                for (const e of list) if (!out.some((x) => x.id === e.id)) out = [e, ...out];
                return out.slice(0, KEEP);
            });
            // the stream is for administrators; others poll the list
            const poll = () => {
                const t = setInterval(async () => {
                    const page = await web.get('/api/events' + qs({ cursor, limit: 1000 })).catch(() => null);
                    if (page && page.items.length) {
                        add(page.items);
                        cursor = page.next_cursor ?? cursor;
                    }
                }, 5000);
                stop = () => clearInterval(t);
            };
            if (sessionStorage.getItem('baton.stream') === 'forbidden') poll();
            else stop = stream('/api/events/stream' + qs({ cursor }), (name, data) => name === 'event' && add([data]), {
                onForbidden: () => { sessionStorage.setItem('baton.stream', 'forbidden'); poll(); },
            });
        })().catch((e) => !dead && setError(e));
        return () => {
            dead = true;
            stop();
        };
    }, []);
    const shown = (items || []).filter((e) => !severity || e.severity === severity);
    return html`<section>
  <h1>Events</h1>
  <label>Severity <select value=${severity} onChange=${(e) => setSeverity(e.target.value)}>
    <option value="">any</option><option>info</option><option>warning</option><option>error</option></select></label>
  ${error && html`<${ErrorBox} error=${error} />`}
  ${items && html`<div class="table-wrap"><table class="list events">
    <thead><tr><th>Time</th><th>Severity</th><th>Source</th><th>Message</th><th>Job</th></tr></thead>
    <tbody>${shown.map((e) => html`<tr key=${e.id} class=${'sev-' + e.severity}>
      <td>${fmtTime(e.time)}</td><td>${e.severity}</td><td>${e.source}</td><td class="cell">${e.message}</td>
      <td>${e.job ? html`<a href=${'#/jobs/' + e.job}>#${e.job}</a>` : ''}</td></tr>`)}
    ${shown.length === 0 && html`<tr><td colspan="5" class="muted">No events.</td></tr>`}</tbody>
  </table></div>`}
</section>`;
}
