// The caller's own API tokens (/api/tokens), for every user: list, create
// (the secret is in the POST's answer only, so it is shown that once and
// kept in this component's state alone, never stored), revoke.
import { useState } from 'preact/hooks';
import { html, useLoad, fmtTime } from '../ui.js';
import { web, currentUser } from '../api.js';
import { useAction, useFocus, FieldError, FormError, invalid, LoadError, ConfirmButton } from './admin_common.js';

// The days as typed go to the server when they are not a whole number,
// so its refusal (naming expires_days) is shown by the field.
function daysValue(s) {
    const t = s.trim();
    if (t === '') return undefined; // never expires
    return /^\d+$/.test(t) ? Number(t) : t;
}

function Secret({ created, onClose }) {
    const ref = useFocus();
    const [copied, setCopied] = useState(null);
    const copy = async () => {
        ref.current.select();
        try {
            // the clipboard API exists only in secure contexts (https,
            // localhost); elsewhere the selected text is copied the old way
            if (navigator.clipboard) await navigator.clipboard.writeText(created.token);
            else if (!document.execCommand('copy')) throw new Error('refused');
            setCopied('Copied to the clipboard.');
        } catch (e) {
            setCopied('The browser would not copy it: it is selected, press Ctrl+C.');
        }
    };
    return html`<div class="card secret" role="region" aria-label="new token">
  <h2>Token ${created.name} created</h2>
  <p><strong>Copy it now: it will not be shown again.</strong> Baton keeps only a hash of it.
    Send it as <code>Authorization: Bearer …</code> or set <code>BATON_TOKEN</code>.</p>
  <div class="secret-row">
    <input ref=${ref} name="token-secret" readonly value=${created.token} aria-label="the new token"
      onFocus=${(e) => e.target.select()} />
    <button type="button" class="primary" onClick=${copy}>Copy</button>
  </div>
  ${copied && html`<p class="small" role="status">${copied}</p>`}
  <button type="button" onClick=${onClose}>I have saved it</button>
</div>`;
}

function CreateToken({ onCreated }) {
    const [name, setName] = useState('');
    const [days, setDays] = useState('90');
    const act = useAction(onCreated);
    const submit = async (ev) => {
        ev.preventDefault();
        const body = { name };
        const d = daysValue(days);
        if (d !== undefined) body.expires_days = d;
        if (await act.run(() => web.post('/api/tokens', body))) setName('');
    };
    return html`<form class="card inline-form" aria-label="create a token" onSubmit=${submit}>
  <h2>Create a token</h2>
  <label class="field">Name <input name="token-name" value=${name} onInput=${(e) => setName(e.target.value)}
      autocomplete="off" required ...${invalid(act.error, 'token', 'name')} />
    <${FieldError} error=${act.error} form="token" field="name" /></label>
  <label class="field">Expires after (days; empty: never) <input name="token-days" inputmode="numeric" value=${days}
      onInput=${(e) => setDays(e.target.value)} autocomplete="off" ...${invalid(act.error, 'token', 'expires_days')} />
    <${FieldError} error=${act.error} form="token" field="expires_days" /></label>
  <${FormError} error=${act.error} fields=${['name', 'expires_days']} />
  <button type="submit" class="primary" disabled=${act.busy}>Create token</button>
</form>`;
}

function expiry(t) {
    if (!t.expires) return 'never';
    const when = fmtTime(t.expires);
    return new Date(t.expires) < new Date() ? html`${when} <span class="status status-failed">expired</span>` : when;
}

function TokenRow({ t, onDone }) {
    const act = useAction(onDone);
    return html`<tr data-token=${t.id}>
  <td data-label="Name" class="cell">${t.name}</td>
  <td data-label="Created">${fmtTime(t.created)}</td>
  <td data-label="Expires">${expiry(t)}</td>
  <td data-label="Last used">${t.last_used ? fmtTime(t.last_used) : 'never'}</td>
  <td class="actions">
    <${ConfirmButton} label="Revoke" confirm=${`Revoke token ${t.name}? Scripts using it will be refused.`}
      busy=${act.busy} onConfirm=${() => act.run(() => web.del(`/api/tokens/${t.id}`))} />
    <${FormError} error=${act.error} />
  </td>
</tr>`;
}

export function Tokens() {
    const [data, error, reload] = useLoad(() => web.get('/api/tokens'), []);
    const [created, setCreated] = useState(null);
    let list;
    if (error) list = html`<${LoadError} error=${error} what="see other users' tokens" onRetry=${reload} />`;
    else if (!data) list = html`<p class="muted">Loading…</p>`;
    else if (!data.items.length) list = html`<p class="muted" data-empty>No tokens yet.</p>`;
    else list = html`<div class="table-wrap"><table class="list stack tokens">
    <thead><tr><th>Name</th><th>Created</th><th>Expires</th><th>Last used</th><th>Actions</th></tr></thead>
    <tbody>${data.items.map((t) => html`<${TokenRow} key=${t.id} t=${t} onDone=${reload} />`)}</tbody>
  </table></div>`;
    return html`<section class="tokens-page">
  <h1>API tokens</h1>
  <p class="muted">Tokens of ${currentUser()} for scripts and services (<code>baton token</code>): each acts with
    your rights until it expires or is revoked.</p>
  ${created ? html`<${Secret} created=${created} onClose=${() => setCreated(null)} />`
        : html`<${CreateToken} onCreated=${(t) => { setCreated(t); reload(); }} />`}
  <h2>Your tokens</h2>
  ${list}
</section>`;
}
