// Runbook folders through the management server (/api/folders*): create
// a subfolder, rename, move under another folder, delete (with what is in
// it only when asked: its runbooks are deleted, their history kept).
import { useState } from 'preact/hooks';
import { html, useLoad } from '../ui.js';
import { mgmt } from '../api.js';
import { useAction, FieldError, FormError, invalid, LoadError, flattenTree } from './admin_common.js';

const join = (parent, name) => (parent === '/' ? '' : parent) + '/' + name;

function FolderActions({ folder, folders, onDone }) {
    const [sub, setSub] = useState('');
    const [name, setName] = useState(folder.name);
    const [to, setTo] = useState('/');
    const [recursive, setRecursive] = useState(false);
    const [asking, setAsking] = useState(false);
    const create = useAction(onDone);
    const rename = useAction(onDone);
    const move = useAction(onDone);
    const del = useAction(onDone);
    const root = folder.path === '/';
    // a folder cannot go under itself or its own subfolders
    const targets = folders.filter((f) => f.path !== folder.path && !f.path.startsWith(folder.path + '/'));
    const target = targets.some((f) => f.path === to) ? to : (targets[0] || {}).path;
    const submit = (act, fn, msg) => (ev) => {
        ev.preventDefault();
        act.run(async () => ({ select: await fn(), msg }));
    };
    return html`<div class="folder-actions card" aria-label=${'folder ' + folder.path}>
  <h2>${folder.path}</h2>
  <p class="muted">${folder.runbooks} runbook${folder.runbooks === 1 ? '' : 's'} directly in it.</p>
  <form class="row-form" aria-label="create a subfolder" onSubmit=${submit(create,
      () => mgmt.post('/api/folders', { path: join(folder.path, sub) }).then((f) => f.path), `Folder created.`)}>
    <label>New subfolder <input name="subfolder" value=${sub} onInput=${(e) => setSub(e.target.value)} required
      ...${invalid(create.error, 'create', 'path')} /></label>
    <button type="submit" class="primary" disabled=${create.busy}>Create</button>
    <${FieldError} error=${create.error} form="create" field="path" />
    <${FormError} error=${create.error} fields=${['path']} />
  </form>
  ${!root && html`<form class="row-form" aria-label="rename the folder" onSubmit=${submit(rename,
      () => mgmt.post('/api/folders/rename', { path: folder.path, name }).then((f) => f.path), 'Folder renamed.')}>
    <label>Rename to <input name="rename" value=${name} onInput=${(e) => setName(e.target.value)} required
      ...${invalid(rename.error, 'rename', 'name')} /></label>
    <button type="submit" disabled=${rename.busy}>Rename</button>
    <${FieldError} error=${rename.error} form="rename" field="name" />
    <${FieldError} error=${rename.error} form="rename" field="path" />
    <${FormError} error=${rename.error} fields=${['name', 'path']} />
  </form>`}
  ${!root && html`<form class="row-form" aria-label="move the folder" onSubmit=${submit(move,
      () => mgmt.post('/api/folders/move', { path: folder.path, to: target }).then((f) => f.path), 'Folder moved.')}>
    <label>Move under <select name="move-to" value=${target} onChange=${(e) => setTo(e.target.value)}
        ...${invalid(move.error, 'move', 'to')}>
      ${targets.map((f) => html`<option value=${f.path}>${f.path}</option>`)}</select></label>
    <button type="submit" disabled=${move.busy || !target}>Move</button>
    <${FieldError} error=${move.error} form="move" field="to" />
    <${FieldError} error=${move.error} form="move" field="path" />
    <${FormError} error=${move.error} fields=${['to', 'path']} />
  </form>`}
  ${!root && html`<form class="row-form" aria-label="delete the folder" onSubmit=${(ev) => {
      ev.preventDefault();
      if (!asking) { setAsking(true); return; }
      setAsking(false);
      del.run(async () => { await mgmt.post('/api/folders/delete', { path: folder.path, recursive }); return { select: '/', msg: 'Folder deleted.' }; });
  }}>
    <label class="check"><input type="checkbox" name="recursive" checked=${recursive} onChange=${(e) => setRecursive(e.target.checked)} />
      with everything in it</label>
    ${asking ? html`<span>Delete ${folder.path}${recursive ? ' and everything in it' : ''}?</span>
      <button type="submit" class="danger">Yes, delete</button> <button type="button" onClick=${() => setAsking(false)}>Cancel</button>`
        : html`<button type="submit" class="danger-outline" disabled=${del.busy}>Delete</button>`}
    <${FieldError} error=${del.error} form="delete" field="path" />
    <${FormError} error=${del.error} fields=${['path']} />
  </form>`}
</div>`;
}

export function Folders() {
    const [selected, setSelected] = useState('/');
    const [note, setNote] = useState(null);
    const [data, error, reload] = useLoad(async () => flattenTree(await mgmt.get('/api/tree')), []);
    if (error) return html`<${LoadError} error=${error} what="and authors manage folders" onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    const folder = data.find((f) => f.path === selected) || data[0];
    const done = (out) => {
        if (out && out.select) setSelected(out.select);
        setNote(out && out.msg);
        reload();
    };
    return html`<div class="folders-admin split-even">
  <div class="tree">
    <h2>Folders</h2>
    <ul class="plain folder-list">${data.map((f) => html`<li key=${f.path} style=${`padding-left:${f.depth * 0.9}rem`}>
      <button type="button" class=${'folder-item' + (f.path === folder.path ? ' active' : '')} aria-pressed=${f.path === folder.path}
        onClick=${() => { setSelected(f.path); setNote(null); }}>${f.path === '/' ? '/' : f.name}</button></li>`)}</ul>
  </div>
  <div>
    ${note && html`<p class="notice" role="status">${note}</p>`}
    <${FolderActions} key=${folder.path} folder=${folder} folders=${data} onDone=${done} />
  </div>
</div>`;
}
