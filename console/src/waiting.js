// What the console shows while a request is slow to answer: which
// service, for how long, and a retry. The page stays usable meanwhile
// (every request is asynchronous); this only makes the wait visible.
import { useEffect, useState } from 'preact/hooks';
import { html } from './ui.js';
import { onSlow, retrySlow } from './api.js';

export function Waiting() {
    const [slow, setSlow] = useState([]);
    const [, setNow] = useState(0);
    useEffect(() => onSlow(setSlow), []);
    useEffect(() => {
        if (!slow.length) return undefined;
        const t = setInterval(() => setNow(Date.now()), 1000);
        return () => clearInterval(t);
    }, [slow.length > 0]);
    if (!slow.length) return null;
    const services = [...new Set(slow.map((p) => `${p.where} at ${p.url}`))];
    const oldest = Math.min(...slow.map((p) => p.since));
    const secs = Math.max(2, Math.round((Date.now() - oldest) / 1000));
    const canRetry = slow.some((p) => p.retry);
    const changes = slow.filter((p) => p.method !== 'GET').length;
    return html`<div class="waiting" role="status" aria-live="polite">
  <span class="spinner" aria-hidden="true"></span>
  Waiting for the ${services.join(' and the ')}… (${slow.length} request${slow.length > 1 ? 's' : ''}, ${secs} s)
  ${changes > 0 && html` <span class="muted">A change is not sent twice: it waits for its answer.</span>`}
  ${canRetry && html` <button type="button" class="link-button" onClick=${retrySlow}>Retry now</button>`}
</div>`;
}
