// Groups of users (/api/groups): add, members in and out, delete.
import { useState } from 'preact/hooks';
import { html, useLoad } from '../ui.js';
import { web } from '../api.js';
import { useAction, FieldError, FormError, invalid, LoadError, ConfirmButton } from './admin_common.js';

const enc = encodeURIComponent;

function AddGroup({ onDone }) {
    const [name, setName] = useState('');
    const [description, setDescription] = useState('');
    const act = useAction(onDone);
    const submit = async (ev) => {
        ev.preventDefault();
        const body = description ? { name, description } : { name };
        if (await act.run(() => web.post('/api/groups', body), `Group ${name} added.`)) {
            setName('');
            setDescription('');
        }
    };
    return html`<form class="card inline-form" aria-label="add a group" onSubmit=${submit}>
  <h2>Add a group</h2>
  <label class="field">Name <input name="new-group" value=${name} onInput=${(e) => setName(e.target.value)} required
      autocomplete="off" ...${invalid(act.error, 'group', 'name')} />
    <${FieldError} error=${act.error} form="group" field="name" /></label>
  <label class="field">Description <input name="new-group-description" value=${description}
      onInput=${(e) => setDescription(e.target.value)} /></label>
  <${FormError} error=${act.error} fields=${['name']} />
  ${act.note && html`<p class="notice" role="status">${act.note}</p>`}
  <button type="submit" class="primary" disabled=${act.busy}>Add group</button>
</form>`;
}

function GroupRow({ g, users, onDone }) {
    const act = useAction(onDone);
    const candidates = users.filter((u) => !g.members.includes(u));
    const [pick, setPick] = useState('');
    // the pick is gone from the list once added
    const chosen = candidates.includes(pick) ? pick : candidates[0];
    const add = (ev) => {
        ev.preventDefault();
        const user = chosen;
        if (user) act.run(() => web.post(`/api/groups/${enc(g.name)}/members`, { user }), `${user} added to ${g.name}.`);
    };
    return html`<tr data-group=${g.name}>
  <td data-label="Name">${g.name}</td>
  <td class="cell" data-label="Description">${g.description || ''}</td>
  <td data-label="Members"><ul class="chips">${g.members.map((m) => html`<li key=${m}>${m}
      <button type="button" class="chip-remove" aria-label=${`remove ${m} from ${g.name}`} title="remove from the group"
        onClick=${() => act.run(() => web.del(`/api/groups/${enc(g.name)}/members/${enc(m)}`), `${m} removed from ${g.name}.`)}>×</button></li>`)}
    ${g.members.length === 0 && html`<li class="muted">no members</li>`}</ul></td>
  <td class="actions">
    ${candidates.length > 0 && html`<form class="row-form" onSubmit=${add} aria-label=${'add a member to ' + g.name}>
      <label>Member <select name="member" value=${chosen} onChange=${(e) => setPick(e.target.value)}>
        ${candidates.map((u) => html`<option value=${u}>${u}</option>`)}</select></label>
      <button type="submit" disabled=${act.busy}>Add member</button>
    </form>`}
    <${ConfirmButton} label="Delete" confirm=${`Delete group ${g.name}?`} busy=${act.busy}
      onConfirm=${() => act.run(() => web.del(`/api/groups/${enc(g.name)}`))} />
    <${FormError} error=${act.error} />
    ${act.note && html`<span class="notice-inline" role="status">${act.note}</span>`}
  </td>
</tr>`;
}

export function Groups() {
    const [data, error, reload] = useLoad(async () => {
        const [groups, users] = await Promise.all([web.get('/api/groups'), web.get('/api/users')]);
        return { groups: groups.items, users: users.items.map((u) => u.name) };
    }, []);
    if (error) return html`<${LoadError} error=${error} what="manage groups" onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    return html`<div>
  <${AddGroup} onDone=${reload} />
  <h2>Groups</h2>
  <div class="table-wrap"><table class="list stack groups">
    <thead><tr><th>Name</th><th>Description</th><th>Members</th><th>Actions</th></tr></thead>
    <tbody>${data.groups.map((g) => html`<${GroupRow} key=${g.name} g=${g} users=${data.users} onDone=${reload} />`)}
    ${data.groups.length === 0 && html`<tr><td colspan="4" class="muted">No groups.</td></tr>`}</tbody>
  </table></div>
</div>`;
}
