// Folder permissions (/api/permissions): what each user or group was
// granted on a folder, what it inherits from the folders above, and
// grant/revoke. A grant replaces what that user or group had there.
import { useState } from 'preact/hooks';
import { html, useLoad } from '../ui.js';
import { web, mgmt, qs } from '../api.js';
import { useAction, FieldError, FormError, invalid, LoadError, ConfirmButton, flattenTree } from './admin_common.js';

const RIGHTS = ['view', 'start', 'stop', 'author', 'admin'];

// `above` holds `folder` when it is the folder itself or one of its parents.
const covers = (above, folder) => above === '/' || folder === above || folder.startsWith(above + '/');
const who = (p) => `${p.kind} ${p[p.kind]}`;

function GrantForm({ folder, users, groups, edit, onDone }) {
    const [kind, setKind] = useState(edit ? edit.kind : 'user');
    const names = kind === 'user' ? users : groups;
    const [name, setName] = useState(edit ? edit[edit.kind] : '');
    const [rights, setRights] = useState(edit ? edit.rights : ['view']);
    const act = useAction(onDone);
    const chosen = names.includes(name) ? name : names[0] || '';
    const toggle = (r) => setRights(rights.includes(r) ? rights.filter((x) => x !== r) : RIGHTS.filter((x) => x === r || rights.includes(x)));
    const submit = (ev) => {
        ev.preventDefault();
        const msg = rights.length ? `${kind} ${chosen} now holds ${rights.join(', ')} on ${folder}.`
            : `Rights of ${kind} ${chosen} on ${folder} revoked.`;
        act.run(async () => { await web.post('/api/permissions', { folder, [kind]: chosen, rights }); return msg; });
    };
    return html`<form class="card inline-form grant-form" aria-label="grant rights" onSubmit=${submit}>
  <h3>Grant rights on ${folder}</h3>
  <label class="field">To <select name="grant-kind" value=${kind} onChange=${(e) => { setKind(e.target.value); setName(''); }}>
    <option value="user">user</option><option value="group">group</option></select></label>
  <label class="field">Name <select name="grant-name" value=${chosen} onChange=${(e) => setName(e.target.value)}
      ...${invalid(act.error, 'grant', kind)}>
    ${names.map((n) => html`<option value=${n}>${n}</option>`)}</select>
    <${FieldError} error=${act.error} form="grant" field=${kind} /></label>
  <fieldset class="rights" ...${invalid(act.error, 'grant', 'rights')}><legend>Rights</legend>
    ${RIGHTS.map((r) => html`<label class="check"><input type="checkbox" name=${'right-' + r} checked=${rights.includes(r)}
        onChange=${() => toggle(r)} /> ${r}</label>`)}
    <${FieldError} error=${act.error} form="grant" field="rights" />
  </fieldset>
  <${FormError} error=${act.error} fields=${[kind, 'rights']} />
  <button type="submit" class="primary" disabled=${act.busy || !chosen}>Grant</button>
</form>`;
}

function DirectRow({ p, folder, onEdit, onDone }) {
    const act = useAction(onDone);
    const name = p[p.kind];
    return html`<tr data-principal=${p.kind + ':' + name}>
  <td>${who(p)}</td><td>${p.rights.join(', ')}</td>
  <td class="actions">
    <button type="button" onClick=${() => onEdit(p)}>Edit</button>
    <${ConfirmButton} label="Revoke" confirm=${`Revoke every right of ${who(p)} on ${folder}?`} busy=${act.busy}
      onConfirm=${() => act.run(async () => {
          await web.del('/api/permissions' + qs({ folder, [p.kind]: name }));
          return `Every right of ${who(p)} on ${folder} revoked.`;
      })} />
    <${FormError} error=${act.error} />
  </td>
</tr>`;
}

export function Permissions() {
    const [folder, setFolder] = useState('/');
    const [edit, setEdit] = useState(null);
    const [formKey, setFormKey] = useState(0);
    const [note, setNote] = useState(null);
    const [data, error, reload] = useLoad(async () => {
        const [perms, users, groups, tree] = await Promise.all([web.get('/api/permissions'), web.get('/api/users'),
            web.get('/api/groups'), mgmt.get('/api/tree')]);
        return { perms: perms.items, users: users.items, groups: groups.items.map((g) => g.name),
            folders: flattenTree(tree) };
    }, []);
    if (error) return html`<${LoadError} error=${error} what="grant folder rights" onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    const direct = data.perms.filter((p) => p.folder === folder);
    const inherited = data.perms.filter((p) => p.folder !== folder && covers(p.folder, folder));
    // what each user may do on this folder: their own grants and their
    // groups', here and above (administrators: everything; disabled: nothing)
    const covering = data.perms.filter((p) => covers(p.folder, folder));
    const effective = [];
    for (const u of data.users) {
        if (u.admin) {
            effective.push({ who: `user ${u.name}`, may: 'every right (administrator)', via: '' });
            continue;
        }
        const via = covering.filter((p) => (p.kind === 'user' && p.user === u.name) || (p.kind === 'group' && (u.groups || []).includes(p.group)));
        if (!via.length) continue;
        const may = RIGHTS.filter((r) => via.some((p) => p.rights.includes(r)));
        effective.push({ who: `user ${u.name}`, may: u.disabled ? 'nothing (disabled)' : may.join(', '),
            via: via.map((p) => `${who(p)} on ${p.folder}`).join('; ') });
    }
    const done = (msg) => { setEdit(null); setFormKey((k) => k + 1); setNote(msg || null); reload(); };
    return html`<div class="perms">
  <label class="field folder-pick">Folder <select name="perm-folder" value=${folder}
      onChange=${(e) => { setFolder(e.target.value); setEdit(null); setNote(null); setFormKey((k) => k + 1); }}>
    ${data.folders.map((f) => html`<option value=${f.path}>${'\u00a0\u00a0'.repeat(f.depth)}${f.path}</option>`)}</select></label>
  ${note && html`<p class="notice" role="status">${note}</p>`}
  <div class="split-even">
    <div>
      <h2>Granted on ${folder}</h2>
      <div class="table-wrap"><table class="list perms-direct">
        <thead><tr><th>Who</th><th>Rights</th><th>Actions</th></tr></thead>
        <tbody>${direct.map((p) => html`<${DirectRow} key=${who(p)} p=${p} folder=${folder} onDone=${done}
            onEdit=${(x) => { setEdit(x); setFormKey((k) => k + 1); }} />`)}
        ${direct.length === 0 && html`<tr><td colspan="3" class="muted">Nothing granted on this folder itself.</td></tr>`}</tbody>
      </table></div>
      <h2>Inherited from above</h2>
      <div class="table-wrap"><table class="list perms-inherited">
        <thead><tr><th>Who</th><th>Rights</th><th>Granted on</th></tr></thead>
        <tbody>${inherited.map((p) => html`<tr><td>${who(p)}</td><td>${p.rights.join(', ')}</td><td>${p.folder}</td></tr>`)}
        ${inherited.length === 0 && html`<tr><td colspan="3" class="muted">Nothing inherited.</td></tr>`}</tbody>
      </table></div>
      <h2>Who may do what here</h2>
      <div class="table-wrap"><table class="list perms-effective">
        <thead><tr><th>Who</th><th>May</th><th>Through</th></tr></thead>
        <tbody>${effective.map((e) => html`<tr><td>${e.who}</td><td>${e.may}</td><td class="cell">${e.via}</td></tr>`)}</tbody>
      </table></div>
      <p class="muted small">A user holds what they and each of their groups were granted on this folder and every folder above it.</p>
    </div>
    <${GrantForm} key=${folder + formKey} folder=${folder} users=${data.users.map((u) => u.name)} groups=${data.groups} edit=${edit} onDone=${done} />
  </div>
</div>`;
}
