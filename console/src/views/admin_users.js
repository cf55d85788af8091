// Users of the web service: add, disable/enable, reset a password, delete
// (/api/users; administrators only).
import { useState } from 'preact/hooks';
import { html, useLoad, fmtTime } from '../ui.js';
import { web } from '../api.js';
import { useAction, useFocus, FieldError, FormError, invalid, LoadError, ConfirmButton } from './admin_common.js';

const enc = encodeURIComponent;

function AddUser({ onDone }) {
    const [name, setName] = useState('');
    const [password, setPassword] = useState('');
    const [admin, setAdmin] = useState(false);
    const act = useAction(onDone);
    const submit = async (ev) => {
        ev.preventDefault();
        const ok = await act.run(() => web.post('/api/users', { name, password, admin }), `User ${name} added.`);
        if (ok) {
            setName('');
            setPassword('');
            setAdmin(false);
        }
    };
    return html`<form class="card inline-form" aria-label="add a user" onSubmit=${submit}>
  <h2>Add a user</h2>
  <label class="field">Name <input name="new-user" value=${name} onInput=${(e) => setName(e.target.value)}
      autocomplete="off" required ...${invalid(act.error, 'user', 'name')} />
    <${FieldError} error=${act.error} form="user" field="name" /></label>
  <label class="field">Password (8 or more characters) <input name="new-password" type="password" value=${password}
      autocomplete="new-password" onInput=${(e) => setPassword(e.target.value)} required ...${invalid(act.error, 'user', 'password')} />
    <${FieldError} error=${act.error} form="user" field="password" /></label>
  <label class="check"><input type="checkbox" name="new-admin" checked=${admin} onChange=${(e) => setAdmin(e.target.checked)} /> Administrator</label>
  <${FormError} error=${act.error} fields=${['name', 'password']} />
  ${act.note && html`<p class="notice" role="status">${act.note}</p>`}
  <button type="submit" class="primary" disabled=${act.busy}>Add user</button>
</form>`;
}

function NewPassword({ value, onInput, ...rest }) {
    const ref = useFocus();
    return html`<input ref=${ref} type="password" name="reset-password" autocomplete="new-password" value=${value}
      onInput=${onInput} required ...${rest} />`;
}

function UserRow({ u, onDone }) {
    const act = useAction(onDone);
    const [pw, setPw] = useState(null); // null: the reset form is closed
    const reset = async (ev) => {
        ev.preventDefault();
        if (await act.run(() => web.post(`/api/users/${enc(u.name)}/password`, { password: pw }), `Password of ${u.name} changed.`))
            setPw(null);
    };
    return html`<tr data-user=${u.name}>
  <td data-label="Name">${u.name}</td>
  <td data-label="Role">${u.admin ? 'administrator' : 'user'}</td>
  <td data-label="State">${u.disabled ? html`<span class="status status-down">disabled</span>` : html`<span class="status status-up">enabled</span>`}</td>
  <td data-label="Groups">${(u.groups || []).join(', ')}</td>
  <td data-label="Created">${fmtTime(u.created)}</td>
  <td class="actions">
    <button type="button" disabled=${act.busy} onClick=${() => act.run(() =>
        web.post(`/api/users/${enc(u.name)}/${u.disabled ? 'enable' : 'disable'}`), `${u.name} ${u.disabled ? 'enabled' : 'disabled'}.`)}>
      ${u.disabled ? 'Enable' : 'Disable'}</button>
    ${pw === null ? html`<button type="button" onClick=${() => setPw('')}>Reset password</button>`
        : html`<form class="row-form" onSubmit=${reset} aria-label=${'new password for ' + u.name}>
        <label>New password <${NewPassword} value=${pw} onInput=${(e) => setPw(e.target.value)}
          ...${invalid(act.error, 'reset-' + u.name, 'password')} /></label>
        <button type="submit" class="primary" disabled=${act.busy}>Set</button>
        <button type="button" onClick=${() => { setPw(null); act.setError(null); }}>Cancel</button>
        <${FieldError} error=${act.error} form=${'reset-' + u.name} field="password" />
      </form>`}
    <${ConfirmButton} label="Delete" confirm=${`Delete user ${u.name}?`} busy=${act.busy}
      onConfirm=${() => act.run(() => web.del(`/api/users/${enc(u.name)}`))} />
    <${FormError} error=${act.error} fields=${pw === null ? [] : ['password']} />
    ${act.note && html`<span class="notice-inline" role="status">${act.note}</span>`}
  </td>
</tr>`;
}

export function Users() {
    const [data, error, reload] = useLoad(() => web.get('/api/users'), []);
    if (error) return html`<${LoadError} error=${error} what="manage users" onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    return html`<div>
  <${AddUser} onDone=${reload} />
  <h2>Users</h2>
  <div class="table-wrap"><table class="list stack users">
    <thead><tr><th>Name</th><th>Role</th><th>State</th><th>Groups</th><th>Created</th><th>Actions</th></tr></thead>
    <tbody>${data.items.map((u) => html`<${UserRow} key=${u.name} u=${u} onDone=${reload} />`)}</tbody>
  </table></div>
</div>`;
}
