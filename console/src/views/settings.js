// Editing global settings through the management server: variables
// (encrypted ones are write-only: their value is never fetched, shown or
// put back in a form), counters and schedules, each in a settings folder.
// A change of folder alone goes through the kind's /move endpoint.
import { useState } from 'preact/hooks';
import { html, fmtTime } from '../ui.js';
import { mgmt } from '../api.js';
import { useAction, useFocus, FieldError, FormError, invalid, ConfirmButton } from './admin_common.js';

export const KINDS = {
    variables: { title: 'Variables', one: 'variable' },
    counters: { title: 'Counters', one: 'counter' },
    schedules: { title: 'Schedules', one: 'schedule' },
};
const FIELDS = ['name', 'folder', 'value', 'encrypted', 'definition'];
const pretty = (def) => JSON.stringify(def, null, 2);

function initial(kind, item) {
    return {
        name: item ? item.name : '',
        folder: item ? item.folder : '',
        value: !item || (kind === 'variables' && (item.encrypted || item.value === null)) ? ''
            : String(item.value),
        encrypted: !!(item && item.encrypted),
        definition: item && kind === 'schedules' ? pretty(item.definition) : '{}',
    };
}

// What to send: {path, body} or an error naming the field.
function request(kind, item, f) {
    const folder = f.folder.trim();
    let changed = true;
    const body = { name: f.name };
    if (kind === 'variables') {
        if (item && item.encrypted && !f.encrypted && f.value === '')
            return { error: { target: 'value', message: 'Type the value: an encrypted value is never shown, so it cannot be kept in clear.' } };
        changed = !item || f.encrypted !== item.encrypted || (item.encrypted ? f.value !== '' : f.value !== (item.value ?? ''));
        body.value = f.value;
        if (f.encrypted) body.encrypted = true;
    } else if (kind === 'counters') {
        changed = !item || f.value !== String(item.value);
        // a number when it reads as one; anything else goes as typed so
        // the server's own message names the problem
        body.value = /^-?\d+$/.test(f.value.trim()) ? Number(f.value.trim()) : f.value;
    } else {
        try {
            body.definition = JSON.parse(f.definition);
        } catch (e) {
            return { error: { target: 'definition', message: `Not JSON: ${e.message}` } };
        }
        changed = !item || JSON.stringify(body.definition) !== JSON.stringify(item.definition);
    }
    if (item && !changed) {
        if (folder && folder !== item.folder) return { path: `/api/${kind}/move`, body: { name: f.name, folder } };
        return { error: { message: 'Nothing changed.' } };
    }
    if (folder) body.folder = folder;
    return { path: `/api/${kind}`, body };
}

function Editor({ kind, item, folders, onDone, onCancel }) {
    const [f, setF] = useState(() => initial(kind, item));
    const set = (k) => (e) => setF({ ...f, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
    const act = useAction(onDone);
    const form = `${kind}-edit`;
    const one = KINDS[kind].one;
    const submit = (ev) => {
        ev.preventDefault();
        const req = request(kind, item, f);
        if (req.error) {
            act.setError(req.error);
            return;
        }
        act.run(async () => {
            await mgmt.post(req.path, req.body);
            return `${one} ${f.name} saved.`;
        });
    };
    const secret = kind === 'variables' && f.encrypted;
    const first = useFocus(); // the name of a new one, the value of one edited
    return html`<form class="card settings-editor" aria-label=${(item ? 'edit ' : 'new ') + one} onSubmit=${submit}
      data-kind=${kind}>
  <h3>${item ? `Edit ${one} ${item.name}` : `New ${one}`}</h3>
  <div class="form-grid">
    <label class="field">Name <input name="name" ref=${item ? undefined : first} value=${f.name} onInput=${set('name')} required readOnly=${!!item}
        autocomplete="off" ...${invalid(act.error, form, 'name')} />
      <${FieldError} error=${act.error} form=${form} field="name" /></label>
    <label class="field">Folder <input name="folder" value=${f.folder} onInput=${set('folder')} placeholder=${item ? item.folder : '/'}
        list=${form + '-folders'} autocomplete="off" ...${invalid(act.error, form, 'folder')} />
      <datalist id=${form + '-folders'}>${folders.map((x) => html`<option value=${x} />`)}</datalist>
      <${FieldError} error=${act.error} form=${form} field="folder" /></label>
    ${kind === 'variables' && html`<label class="field">Value
        <input name="value" ref=${item ? first : undefined} type=${secret ? 'password' : 'text'} autocomplete=${secret ? 'new-password' : 'off'} value=${f.value}
          onInput=${set('value')} placeholder=${item && item.encrypted ? 'type a new value to replace it' : ''}
          ...${invalid(act.error, form, 'value')} />
        <${FieldError} error=${act.error} form=${form} field="value" /></label>
      <label class="check"><input type="checkbox" name="encrypted" checked=${f.encrypted} onChange=${set('encrypted')} />
        Encrypted (write-only: never shown again)</label>
      <${FieldError} error=${act.error} form=${form} field="encrypted" />`}
    ${kind === 'counters' && html`<label class="field">Value
        <input name="value" ref=${item ? first : undefined} inputmode="numeric" value=${f.value} onInput=${set('value')} required ...${invalid(act.error, form, 'value')} />
        <${FieldError} error=${act.error} form=${form} field="value" /></label>`}
    ${kind === 'schedules' && html`<label class="field wide">Definition (JSON: days_of_week, days_of_month, occurrences, hours, exceptions, timezone)
        <textarea name="definition" ref=${item ? first : undefined} rows="6" value=${f.definition} onInput=${set('definition')} spellcheck="false"
          ...${invalid(act.error, form, 'definition')}></textarea>
        <${FieldError} error=${act.error} form=${form} field="definition" /></label>`}
  </div>
  <${FormError} error=${act.error} fields=${FIELDS} />
  <div class="toolbar">
    <button type="submit" class="primary" disabled=${act.busy}>${act.busy ? 'Saving…' : 'Save'}</button>
    <button type="button" onClick=${onCancel}>Cancel</button>
  </div>
</form>`;
}

function shown(kind, it) {
    if (kind === 'variables')
        return it.encrypted ? html`<span class="muted">(encrypted)</span>` : it.value === null ? html`<span class="muted">(not text)</span>` : it.value;
    if (kind === 'counters') return String(it.value);
    return JSON.stringify(it.definition);
}

function Row({ kind, it, admin, onEdit, onDone }) {
    const act = useAction(onDone);
    return html`<tr key=${it.name} data-name=${it.name}><td data-label="Name">${it.name}</td>
  <td class="folder-cell" data-label="Folder">${it.folder}</td>
  <td class="cell" data-label=${kind === 'schedules' ? 'Definition' : 'Value'}>${shown(kind, it)}</td>
  <td data-label="Updated">${fmtTime(it.updated)}</td>
  ${admin && html`<td class="actions">
    <button type="button" onClick=${() => onEdit(it)} aria-label=${`edit ${KINDS[kind].one} ${it.name}`}>Edit</button>
    <${ConfirmButton} label="Delete" confirm=${`Delete ${KINDS[kind].one} ${it.name}?`} busy=${act.busy}
      onConfirm=${() => act.run(async () => {
          await mgmt.del(`/api/${kind}/${encodeURIComponent(it.name)}`);
          return `${KINDS[kind].one} ${it.name} deleted.`;
      })} />
    <${FormError} error=${act.error} />
  </td>`}
</tr>`;
}

export function SettingsSection({ kind, items, admin, folders, onDone }) {
    const [editing, setEditing] = useState(null); // null, 'new' or an item
    const [note, setNote] = useState(null);
    const done = (msg) => {
        setEditing(null);
        setNote(msg || null);
        onDone();
    };
    const { title, one } = KINDS[kind];
    return html`<section class="settings" aria-label=${title}>
  <div class="title-row"><h2>${title}</h2>
    ${admin && !editing && html`<button type="button" onClick=${() => { setEditing('new'); setNote(null); }}>New ${one}</button>`}</div>
  ${note && html`<p class="notice" role="status">${note}</p>`}
  ${editing && html`<${Editor} key=${editing === 'new' ? 'new' : editing.name} kind=${kind} item=${editing === 'new' ? null : editing}
      folders=${folders} onDone=${done} onCancel=${() => setEditing(null)} />`}
  <div class="table-wrap"><table class=${'list stack ' + kind}>
    <thead><tr><th>Name</th><th>Folder</th><th>${kind === 'schedules' ? 'Definition' : 'Value'}</th><th>Updated</th>
      ${admin && html`<th>Actions</th>`}</tr></thead>
    <tbody>${items.map((it) => html`<${Row} key=${it.name} kind=${kind} it=${it} admin=${admin}
        onEdit=${(x) => { setEditing(x); setNote(null); }} onDone=${done} />`)}
    ${items.length === 0 && html`<tr><td colspan=${admin ? 5 : 4} class="muted">No ${title.toLowerCase()}.</td></tr>`}</tbody>
  </table></div>
</section>`;
}
