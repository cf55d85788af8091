// The designer: a palette of activity types (GET /api/activity-types),
// a canvas to drop them on, move them and draw links, a property editor
// with a picker for upstream published data, link conditions, and
// check-out / check-in / history / diff through the management server.
// What it checks in is the runbook YAML the CLI imports and exports.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html, ErrorBox, fmtTime, navigate } from '../ui.js';
import { web, mgmt, currentUser, qs } from '../api.js';
import { Diagram, layout, NODE_W, NODE_H, iconFor } from '../diagram.js';
import * as M from '../model.js';

// Where this browser kept a runbook's positions before the runbook format
// had a field for them; read for runbooks not checked in since.
const storedKey = (id) => 'baton.pos.' + id;

function extent(pos) {
    let w = 600;
    let h = 400;
    for (const p of Object.values(pos)) {
        w = Math.max(w, p.x + NODE_W / 2 + 40);
        h = Math.max(h, p.y + NODE_H / 2 + 40);
    }
    return { pos, width: w, height: h };
}

function diagramLinks(links) {
    return (links || []).map((l) => {
        const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
        return { from: l.from, to: l.to, on: M.linkOn(l), include: [...list(l.when), ...list(l.include)], exclude: list(l.exclude) };
    });
}

function Palette({ types, onAdd, disabled }) {
    const [filter, setFilter] = useState('');
    const groups = {};
    for (const t of types.items) {
        if (filter && !(t.name + ' ' + (t.title || '')).toLowerCase().includes(filter.toLowerCase())) continue;
        (groups[t.category || 'other'] = groups[t.category || 'other'] || []).push(t);
    }
    return html`<aside class="palette" aria-label="activity types">
  <input type="search" placeholder="Find an activity" aria-label="find an activity type" value=${filter}
    onInput=${(e) => setFilter(e.target.value)} />
  ${Object.keys(groups).sort().map((g) => html`<div key=${g}><h3>${g}</h3>
    ${groups[g].map((t) => html`<button class="palette-item" draggable=${!disabled} disabled=${disabled} data-type=${t.name}
        title=${t.description || ''}
        onDragStart=${(e) => { e.dataTransfer.setData('application/x-baton-activity', t.name); e.dataTransfer.effectAllowed = 'copy'; }}
        onClick=${() => onAdd(t.name)}>${iconFor(t.name)} ${t.title || t.name}</button>`)}
  </div>`)}
</aside>`;
}

function PropField({ spec, value, onChange, onFocus, editable }) {
    const id = 'prop-' + spec.name;
    const text = M.propText(spec.kind, value);
    let input;
    if (spec.choices && spec.choices.length)
        input = html`<select id=${id} name=${spec.name} value=${text} disabled=${!editable} onFocus=${onFocus}
            onChange=${(e) => onChange(M.propValue(spec.kind, e.target.value))}>
          <option value="">${spec.default ? `(default: ${spec.default})` : '(none)'}</option>
          ${spec.choices.map((c) => html`<option value=${c}>${c}</option>`)}</select>`;
    else if (spec.kind === 'boolean')
        input = html`<select id=${id} name=${spec.name} value=${text} disabled=${!editable} onFocus=${onFocus}
            onChange=${(e) => onChange(M.propValue('boolean', e.target.value))}>
          <option value="">${spec.default ? `(default: ${spec.default})` : '(none)'}</option><option>true</option><option>false</option></select>`;
    else
        input = html`<textarea id=${id} name=${spec.name} rows=${spec.kind === 'list' || spec.kind === 'map' ? 3 : 1} readonly=${!editable}
            placeholder=${spec.default ? 'default: ' + spec.default : spec.kind === 'map' ? 'name=value per line' : spec.kind === 'list' ? 'one per line' : ''}
            value=${text} onFocus=${onFocus} onInput=${(e) => onChange(M.propValue(spec.kind, e.target.value))}></textarea>`;
    return html`<div class="field">
  <label for=${id}>${spec.name}${spec.required && html`<span class="required"> *</span>`} <span class="muted small">${spec.kind}</span></label>
  ${input}
  ${spec.description && html`<div class="muted small">${spec.description}</div>`}
</div>`;
}

// retry: {max, delay, until} (runbook-format.md, "Looping"). What is
// typed is kept as typed, so the YAML shows it and the loader's refusal at
// check-in names it too; the messages here come at once.
function RetryEditor({ act, editable, update }) {
    const r = act.retry && typeof act.retry === 'object' ? act.retry : null;
    const problems = M.retryProblems(r);
    const set = (k, v) => {
        const next = { ...r };
        if (v === '') delete next[k];
        else next[k] = v;
        update({ ...act, retry: next });
    };
    const field = (key, label, hint, attrs) => html`<div class="field">
    <label for=${'retry-' + key}>${label} <span class="muted small">${hint}</span></label>
    <input id=${'retry-' + key} name=${'retry-' + key} value=${r[key] ?? ''} readonly=${!editable} placeholder=${attrs.placeholder || ''}
      inputmode=${attrs.inputmode} aria-invalid=${problems[key] ? 'true' : 'false'}
      aria-describedby=${problems[key] ? 'retry-' + key + '-error' : undefined}
      onInput=${(e) => set(key, attrs.number && /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)} />
    ${problems[key] && html`<div class="error-text small" id=${'retry-' + key + '-error'} role="alert">${problems[key]}</div>`}
  </div>`;
    return html`<fieldset class="retry"><legend>Looping (retry)</legend>
  <label class="field-inline"><input type="checkbox" name="retry-on" checked=${!!r} disabled=${!editable}
    onChange=${(e) => update({ ...act, retry: e.target.checked ? { max: 3 } : undefined })} /> Run it again until it succeeds or a condition holds</label>
  ${r && html`
    ${field('max', 'Attempts', 'runs in all, the first included (1 to 1000000)', { inputmode: 'numeric', number: true })}
    ${field('delay', 'Delay', 'between attempts, like 5s', { placeholder: 'none' })}
    ${field('until', 'Until', 'stop when this condition holds', { placeholder: 'until its result is success' })}`}
</fieldset>`;
}

// flatten: true, false or {separator} (runbook-format.md, "Rows and
// flatten"); an empty separator writes `flatten: true`, a newline.
function FlattenEditor({ act, editable, update }) {
    const f = M.flattenOf(act);
    return html`<fieldset class="flatten"><legend>Rows</legend>
  <label class="field-inline"><input type="checkbox" name="flatten" checked=${f.on} disabled=${!editable}
    onChange=${(e) => update({ ...act, flatten: M.flattenValue(e.target.checked, f.separator) })} /> Flatten its rows into one</label>
  ${f.on && html`<div class="field"><label for="flatten-separator">Separator <span class="muted small">joins each field's values</span></label>
    <input id="flatten-separator" name="flatten-separator" value=${f.separator ?? ''} readonly=${!editable} placeholder="a new line"
      onInput=${(e) => update({ ...act, flatten: M.flattenValue(true, e.target.value) })} /></div>`}
</fieldset>`;
}

function PublishedName({ name, editable, check, rename, remove }) {
    const [text, setText] = useState(name);
    useEffect(() => setText(name), [name]);
    const problem = text === name ? null : check(text);
    return html`<div class="published-row">
  <div class="toolbar"><input aria-label=${'published field ' + name} name=${'published-' + name} value=${text} readonly=${!editable}
      aria-invalid=${problem ? 'true' : 'false'}
      onInput=${(e) => setText(e.target.value)}
      onChange=${(e) => { if (e.target.value !== name && !check(e.target.value)) rename(e.target.value); }} />
    ${editable && html`<button aria-label=${'remove published field ' + name} onClick=${remove}>✕</button>`}</div>
  ${problem && html`<div class="error-text small" role="alert">${problem}</div>`}
</div>`;
}

// publishes: the names of fields the activity declares it publishes;
// renaming one follows the references to it.
function PublishesEditor({ act, type, editable, update, renameField }) {
    const list = M.publishesOf(act);
    const [add, setAdd] = useState('');
    const check = (name, self) => {
        if (name === '') return 'A published field needs a name.';
        if (!M.FIELD_NAME.test(name))
            return `'${name}' is not a valid field name: use letters, digits, '_' and '-', starting with a letter or '_'.`;
        if (list.some((f) => f === name && f !== self)) return `'${name}' is already in the list.`;
        if (list.length >= 1000 && self === undefined) return 'An activity declares at most 1000 published fields.';
        return null;
    };
    const addProblem = add === '' ? null : check(add);
    const set = (next) => update({ ...act, publishes: next.length ? next : undefined });
    const doAdd = () => {
        if (add === '' || addProblem) return;
        set([...list, add]);
        setAdd('');
    };
    return html`<fieldset class="publishes"><legend>Published fields it declares</legend>
  <p class="muted small">${type && type.open_published
        ? 'This type publishes whatever its script sets. Declare the fields: then only those can be read, and a misspelt reference is refused at check-in.'
        : 'Fields it publishes besides its type\'s own.'}</p>
  ${list.map((f) => html`<${PublishedName} key=${f} name=${f} editable=${editable} check=${(n) => check(n, f)}
      rename=${(to) => renameField(f, to)} remove=${() => set(list.filter((x) => x !== f))} />`)}
  ${editable && html`<div class="field"><label for="publishes-add">Add a published field</label>
    <div class="toolbar"><input id="publishes-add" name="publishes-add" value=${add} placeholder="field name"
        aria-invalid=${addProblem ? 'true' : 'false'} aria-describedby=${addProblem ? 'publishes-add-error' : undefined}
        onInput=${(e) => setAdd(e.target.value)} onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); doAdd(); } }} />
      <button name="publishes-add-button" onClick=${doAdd} disabled=${add === '' || !!addProblem}>Add field</button></div>
    ${addProblem && html`<div class="error-text small" id="publishes-add-error" role="alert">${addProblem}</div>`}</div>`}
</fieldset>`;
}

function ActivityInspector({ doc, act, types, editable, update, remove, rename, renameField }) {
    const t = types.byName[act.type];
    const [focus, setFocus] = useState(null);
    const [newProp, setNewProp] = useState('');
    const [idText, setIdText] = useState(act.id);
    const [linkTo, setLinkTo] = useState('');
    useEffect(() => setIdText(act.id), [act.id]);
    const props = act.properties || {};
    const specs = (t ? t.properties : []).filter((p) => p.name !== '*');
    const open = t && t.properties.find((p) => p.name === '*');
    const extra = Object.keys(props).filter((k) => !specs.some((s) => s.name === k));
    const setProp = (name, v) => {
        const p = { ...props };
        if (v === undefined) delete p[name];
        else p[name] = v;
        update({ ...act, properties: p });
    };
    const up = M.upstream(doc, act.id);
    const insert = (ref) => {
        const name = focus || (specs[0] && specs[0].name) || extra[0];
        if (!name) return;
        const spec = specs.find((s) => s.name === name) || { name, kind: open ? open.kind : 'string' };
        const cur = M.propText(spec.kind, props[name]);
        setProp(name, M.propValue(spec.kind, cur + ref));
    };
    const others = doc.activities.filter((a) => a.id !== act.id && !(doc.links || []).some((l) => l.from === act.id && l.to === a.id));
    return html`<div class="card inspector" aria-label="activity properties">
  <h3>${iconFor(act.type)} ${t ? t.title : act.type}</h3>
  ${!t && html`<div class="error">Unknown activity type '${act.type}'.</div>`}
  ${t && t.description && html`<p class="muted small">${t.description}</p>`}
  <div class="field"><label for="act-id">Id</label>
    <input id="act-id" name="id" value=${idText} readonly=${!editable} onInput=${(e) => setIdText(e.target.value)}
      onChange=${(e) => rename(act.id, e.target.value)} /></div>
  <div class="field"><label for="act-name">Name</label>
    <input id="act-name" name="name" value=${act.name || ''} readonly=${!editable}
      onInput=${(e) => update({ ...act, name: e.target.value || undefined })} /></div>
  <div class="field"><label for="act-timeout">Timeout <span class="muted small">duration, like 30s</span></label>
    <input id="act-timeout" name="timeout" value=${act.timeout || ''} readonly=${!editable} placeholder="none"
      onInput=${(e) => update({ ...act, timeout: e.target.value || undefined })} /></div>
  <${FlattenEditor} act=${act} editable=${editable} update=${update} />
  ${specs.map((s) => html`<${PropField} key=${s.name} spec=${s} value=${props[s.name]} editable=${editable}
      onFocus=${() => setFocus(s.name)} onChange=${(v) => setProp(s.name, v)} />`)}
  ${extra.map((k) => html`<${PropField} key=${k} spec=${{ name: k, kind: open ? open.kind : 'string', description: open ? '' : 'not a property of this type' }}
      value=${props[k]} editable=${editable} onFocus=${() => setFocus(k)} onChange=${(v) => setProp(k, v)} />`)}
  ${open && editable && html`<div class="field"><label for="new-prop">Add a field</label>
    <div class="toolbar"><input id="new-prop" name="new-prop" value=${newProp} onInput=${(e) => setNewProp(e.target.value)} placeholder="field name" />
    <button onClick=${() => { if (newProp && !(newProp in props)) { setProp(newProp, ''); setFocus(newProp); setNewProp(''); } }}>Add</button></div></div>`}
  <${RetryEditor} act=${act} editable=${editable} update=${update} />
  <${PublishesEditor} act=${act} type=${t} editable=${editable} update=${update} renameField=${renameField} />
  <h4>Published data of upstream activities</h4>
  ${up.length === 0 ? html`<p class="muted small">Link an activity to this one to use its data.</p>`
        : html`<div aria-label="published data picker">${up.map((a) => html`<div key=${a.id}><span class="muted small">${a.name || a.id}</span>
      <div class="picker">${M.publishedFields(a, types, doc).map((f) => html`<button disabled=${!editable} data-ref=${`{${a.id}.${f}}`}
        onClick=${() => insert(`{${a.id}.${f}}`)} title=${'insert into ' + (focus || 'the first property')}>${a.id}.${f}</button>`)}</div></div>`)}</div>`}
  ${editable && html`<h4>Link to</h4><div class="toolbar">
    <select id="link-to" aria-label="link to" aria-keyshortcuts="L" value=${linkTo} onChange=${(e) => setLinkTo(e.target.value)}>
      <option value="">(choose an activity)</option>
      ${others.map((a) => html`<option value=${a.id}>${a.name || a.id}</option>`)}</select>
    <button onClick=${() => { if (linkTo) { update(act, { from: act.id, to: linkTo }); setLinkTo(''); } }}>Add link</button></div>
  <p><button class="danger" onClick=${remove}>Delete activity</button></p>`}
</div>`;
}

// One condition field: its loader message under it at once. What is
// typed is kept as typed, so the YAML shows it and a check-in names it too.
function ConditionField({ id, name, label, ariaLabel, hint, value, editable, onInput, placeholder, children }) {
    const problem = value === undefined ? null : M.conditionProblem(value);
    return html`<div class="field">
    ${label && html`<label for=${id}>${label} ${hint && html`<span class="muted small">${hint}</span>`}</label>`}
    <div class="toolbar condition"><input id=${id} name=${name} value=${value ?? ''} readonly=${!editable} placeholder=${placeholder || ''}
      aria-label=${ariaLabel} aria-invalid=${problem ? 'true' : 'false'} aria-describedby=${problem ? id + '-error' : undefined}
      onInput=${(e) => onInput(e.target.value)} />${children}</div>
    ${problem && html`<div class="error-text small" id=${id + '-error'} role="alert">${problem}</div>`}
  </div>`;
}

// include / exclude: lists of conditions (one condition is a list of one).
function ConditionList({ link, kind, legend, hint, editable, update }) {
    const list = M.conditionsOf(link, kind);
    const [add, setAdd] = useState('');
    const addProblem = add === '' ? null : M.conditionProblem(add);
    const set = (next) => update({ ...link, [kind]: next.length ? next : undefined });
    // the button pressed goes away (✕) or is disabled (Add): the keyboard
    // carries on from the field for a new condition
    const refocus = () => setTimeout(() => {
        const el = document.getElementById(kind + '-add');
        if (el) el.focus();
    }, 0);
    const doAdd = () => {
        if (add === '' || addProblem) return;
        set([...list, add]);
        setAdd('');
        refocus();
    };
    return html`<fieldset class=${'conditions ' + kind}><legend>${legend}</legend>
  <p class="muted small">${hint}</p>
  ${list.map((c, i) => html`<${ConditionField} key=${i} id=${kind + '-' + i} name=${kind + '-' + i} ariaLabel=${`${kind} condition ${i + 1}`}
      value=${c} editable=${editable}
      onInput=${(v) => set(list.map((x, j) => (j === i ? v : x)))}>
    ${editable && html`<button aria-label=${`remove ${kind} condition ${i + 1}`} onClick=${() => { set(list.filter((_, j) => j !== i)); refocus(); }}>✕</button>`}<//>`)}
  ${editable && html`<div class="field"><label for=${kind + '-add'}>Add a condition</label>
    <div class="toolbar condition"><input id=${kind + '-add'} name=${kind + '-add'} value=${add} placeholder="{activity.field} == value"
        aria-invalid=${addProblem ? 'true' : 'false'} aria-describedby=${addProblem ? kind + '-add-error' : undefined}
        onInput=${(e) => setAdd(e.target.value)} onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); doAdd(); } }} />
      <button name=${kind + '-add-button'} onClick=${doAdd} disabled=${add === '' || !!addProblem}>Add</button></div>
    ${addProblem && html`<div class="error-text small" id=${kind + '-add-error'} role="alert">${addProblem}</div>`}</div>`}
</fieldset>`;
}

function LinkInspector({ link, editable, update, remove }) {
    const on = M.linkOn(link);
    const guardProblem = M.loopGuardProblem(link.loop_guard);
    const toggle = (r) => {
        const next = on.includes(r) ? on.filter((x) => x !== r) : [...on, r];
        if (next.length) update(M.setLinkOn(link, ['success', 'warning', 'failed'].filter((x) => next.includes(x))));
    };
    return html`<div class="card inspector" aria-label="link properties">
  <h3>Link ${link.from} → ${link.to}</h3>
  <fieldset><legend>Follow when the result is</legend>
    ${['success', 'warning', 'failed'].map((r) => html`<label key=${r}><input type="checkbox" name=${'on-' + r} checked=${on.includes(r)}
      disabled=${!editable} onChange=${() => toggle(r)} /> ${r} </label>`)}
  </fieldset>
  <${ConditionField} id="link-when" name="when" label="Condition (when)" value=${link.when === undefined || link.when === null ? undefined : String(link.when)}
    editable=${editable} placeholder="{activity.field} == value" onInput=${(v) => update({ ...link, when: v || undefined })} />
  <${ConditionList} link=${link} kind="include" legend="Also follow when (include)" editable=${editable} update=${update}
    hint="With conditions here or in 'when', the link is followed when at least one holds." />
  <${ConditionList} link=${link} kind="exclude" legend="Never follow when (exclude)" editable=${editable} update=${update}
    hint="Any one that holds stops the link." />
  <div class="field"><label for="link-loop-guard">Loop guard <span class="muted small">fires at most this often per instance (1 to 1000000)</span></label>
    <input id="link-loop-guard" name="loop_guard" value=${link.loop_guard ?? ''} readonly=${!editable} inputmode="numeric" placeholder="no limit"
      aria-invalid=${guardProblem ? 'true' : 'false'} aria-describedby=${guardProblem ? 'link-loop-guard-error' : undefined}
      onInput=${(e) => update({ ...link, loop_guard: e.target.value === '' ? undefined : /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value })} />
    ${guardProblem && html`<div class="error-text small" id="link-loop-guard-error" role="alert">${guardProblem}</div>`}
    <div class="muted small">Needed on one link of every loop; an activity whose only incoming links have one also starts the runbook.</div></div>
  <div class="field"><label for="link-name">Name</label>
    <input id="link-name" name="link-name" value=${link.name || ''} readonly=${!editable}
      onInput=${(e) => update({ ...link, name: e.target.value || undefined })} /></div>
  ${editable && html`<button class="danger" onClick=${remove}>Delete link</button>`}
</div>`;
}

function RunbookInspector({ doc, setDoc, editable, isNew }) {
    const params = doc.parameters || [];
    const setParam = (i, p) => setDoc({ ...doc, parameters: params.map((x, j) => (i === j ? p : x)) });
    return html`<div class="card inspector" aria-label="runbook properties">
  <h3>Runbook</h3>
  <div class="field"><label for="rb-name">Name</label><input id="rb-name" name="rb-name" value=${doc.name} readonly=${!editable || !isNew}
    onInput=${(e) => setDoc({ ...doc, name: e.target.value })} /></div>
  <div class="field"><label for="rb-folder">Folder</label><input id="rb-folder" name="rb-folder" value=${doc.folder || '/'} readonly=${!editable || !isNew}
    onInput=${(e) => setDoc({ ...doc, folder: e.target.value })} /></div>
  <div class="field"><label for="rb-description">Description</label><textarea id="rb-description" name="rb-description" readonly=${!editable}
    value=${doc.description || ''} onInput=${(e) => setDoc({ ...doc, description: e.target.value })}></textarea></div>
  <h4>Parameters (Initialize Data)</h4>
  ${params.map((p, i) => html`<div class="param-row" key=${i}>
    <input aria-label="parameter name" name=${'param-name-' + i} value=${p.name} readonly=${!editable} onInput=${(e) => setParam(i, { ...p, name: e.target.value })} />
    <select aria-label="parameter type" value=${p.type || 'string'} disabled=${!editable} onChange=${(e) => setParam(i, { ...p, type: e.target.value === 'string' ? undefined : e.target.value })}>
      ${['string', 'integer', 'number', 'boolean', 'datetime'].map((t) => html`<option>${t}</option>`)}</select>
    <label><input type="checkbox" checked=${!!p.required} disabled=${!editable} onChange=${(e) => setParam(i, { ...p, required: e.target.checked || undefined })} /> required</label>
    <input aria-label="default" placeholder="default" value=${p.default ?? ''} readonly=${!editable}
      onInput=${(e) => setParam(i, { ...p, default: e.target.value === '' ? undefined : e.target.value })} />
    ${editable && html`<button aria-label="remove parameter" onClick=${() => setDoc({ ...doc, parameters: params.filter((_, j) => j !== i) })}>✕</button>`}
  </div>`)}
  ${editable && html`<button onClick=${() => setDoc({ ...doc, parameters: [...params, { name: 'param' + (params.length + 1) }] })}>Add parameter</button>`}
</div>`;
}

// The activity a loader problem is about ("r.yaml:9:5: activity 'a': ..."
// or "r.yaml:4:5: junction 'j': ..."), or null.
function problemActivity(doc, text) {
    const m = /^.*?:\d+:\d+: (activity|[a-z][a-z0-9-]*) '([^']+)'/.exec(text);
    if (!m) return null;
    const act = doc.activities.find((a) => a.id === m[2]);
    return act && (m[1] === 'activity' || m[1] === act.type) ? act.id : null;
}

const show = (v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

// One row per change, or per changed field of a changed activity or link.
function diffRows(changes) {
    const rows = [];
    for (const c of changes || []) {
        if (c.fields && c.fields.length)
            for (const f of c.fields) rows.push({ what: `${c.kind} ${c.key}: ${f.name}`, change: c.change, before: f.before, after: f.after });
        else rows.push({ what: `${c.kind} ${c.key}`, change: c.change, before: c.before, after: c.after });
    }
    return rows;
}

function History({ id, onClose }) {
    const [hist, setHist] = useState(null);
    const [diff, setDiff] = useState(null);
    const [error, setError] = useState(null);
    const [from, setFrom] = useState(null);
    useEffect(() => {
        mgmt.get('/api/runbook/history' + qs({ runbook: id })).then(setHist).catch(setError);
    }, [id]);
    const showDiff = async (v) => {
        setFrom(v);
        try {
            setDiff(await mgmt.get('/api/runbook/diff' + qs({ runbook: id, from: v })));
        } catch (e) {
            setError(e);
        }
    };
    return html`<div class="card history" aria-label="version history">
  <div class="toolbar"><h3>History</h3><button onClick=${onClose}>Close</button></div>
  <${ErrorBox} error=${error} />
  ${hist && html`<table class="list"><thead><tr><th>Version</th><th>Author</th><th>When</th><th>Comment</th><th></th></tr></thead>
    <tbody>${hist.versions.map((v) => html`<tr key=${v.version}><td>${v.version}</td><td>${v.author}</td><td>${fmtTime(v.created)}</td>
      <td class="cell">${v.comment}</td>
      <td>${v.version < hist.latest_version && html`<button onClick=${() => showDiff(v.version)}>Diff to latest</button>`}</td></tr>`)}</tbody></table>`}
  ${diff && html`<h4>Changes from version ${from} to ${hist.latest_version}</h4>
    <table class="list diff"><thead><tr><th>What</th><th>Change</th><th>Before</th><th>After</th></tr></thead>
    <tbody>${diffRows(diff.changes).map((c, i) => html`<tr key=${i}><td>${c.what}</td>
      <td class=${c.change === 'added' ? 'diff-add' : c.change === 'removed' ? 'diff-remove' : ''}>${c.change}</td>
      <td class="cell">${show(c.before)}</td><td class="cell">${show(c.after)}</td></tr>`)}
    ${(diff.changes || []).length === 0 && html`<tr><td colspan="4" class="muted">No changes.</td></tr>`}</tbody></table>`}
</div>`;
}

export function Designer({ runbook }) {
    const isNew = !runbook;
    const [types, setTypes] = useState(null);
    const [meta, setMeta] = useState(null);
    const [doc, setDocRaw] = useState(null);
    const [pos, setPos] = useState({});
    const [sel, setSel] = useState(null); // {kind: 'activity', id} | {kind: 'link', index}
    const [dirty, setDirty] = useState(false);
    const [error, setError] = useState(null);
    const [notice, setNotice] = useState(null);
    const [comment, setComment] = useState('');
    const [busy, setBusy] = useState(false);
    const [showHistory, setShowHistory] = useState(false);
    const [drawing, setDrawing] = useState(null); // {from, x, y}
    const [dragging, setDragging] = useState(false);
    const svgWrap = useRef(null);
    const focusBox = useRef(null); // a box to give the keyboard focus to after rendering

    const setDoc = (d) => {
        setDocRaw(d);
        setDirty(true);
    };
    const load = async () => {
        const [t, rb] = await Promise.all([web.get('/api/activity-types'),
            isNew ? null : mgmt.get('/api/runbook' + qs({ runbook }))]);
        const byName = {};
        for (const x of t.items) byName[x.name] = x;
        setTypes({ items: t.items, byName, common: t.common_published });
        const d = rb ? rb.document : M.newDocument();
        d.links = d.links || [];
        setMeta(rb);
        setDocRaw(d);
        setDirty(false);
        setSel(null);
        // Positions are the activities' own (`position` in the YAML); a
        // runbook checked in before they were may have some in this
        // browser, where the designer used to keep them; dagre places the
        // rest.
        let saved = null;
        try {
            saved = rb && JSON.parse(localStorage.getItem(storedKey(rb.id)) || 'null');
        } catch (e) {
            saved = null;
        }
        const fixed = {};
        for (const a of d.activities) {
            const p = M.positionOf(a) || (saved && saved[a.id]);
            if (p) fixed[a.id] = p;
        }
        const lay = layout(d.activities, diagramLinks(d.links), fixed);
        // whole pixels, as the YAML keeps them: what is seen is what is saved
        setPos(Object.fromEntries(Object.entries(lay.pos).map(([id, p]) => [id, { x: Math.round(p.x), y: Math.round(p.y) }])));
    };
    useEffect(() => {
        load().catch(setError);
    }, [runbook]);
    useEffect(() => {
        if (!focusBox.current || !svgWrap.current) return;
        const g = [...svgWrap.current.querySelectorAll('g.node')].find((n) => n.getAttribute('data-activity') === focusBox.current);
        focusBox.current = null;
        if (g) g.focus();
    });
    const me = currentUser();
    const editable = isNew || (meta && meta.checked_out_by === me);
    // not at every step of a drag: 500 activities take some 25 ms to write
    const yamlText = useMemo(() => (doc ? M.toYaml(doc, pos) : ''), [doc, dragging ? null : pos]);
    if (error && !doc) return html`<${ErrorBox} error=${error} />`;
    if (!doc || !types) return html`<p class="muted">Loading the designer…</p>`;

    const addActivity = (type, at) => {
        if (!editable) return;
        const id = M.uniqueId(doc, type);
        let p = at;
        if (!p) {
            // right of the last box, or a new row under everything when
            // that would leave the visible canvas
            const xs = Object.values(pos);
            const last = xs[xs.length - 1] || { x: NODE_W / 2 - 50, y: NODE_H / 2 + 20 };
            const room = svgWrap.current ? svgWrap.current.clientWidth : 800;
            p = { x: last.x + NODE_W + 70, y: last.y };
            if (p.x + NODE_W / 2 > room)
                p = { x: NODE_W / 2 + 20, y: Math.max(...xs.map((q) => q.y)) + NODE_H + 50 };
        }
        setPos({ ...pos, [id]: { x: Math.round(p.x), y: Math.round(p.y) } });
        setDoc({ ...doc, activities: [...doc.activities, { id, type }] });
        setSel({ kind: 'activity', id });
        // from the keyboard (Enter on the palette) the arrow keys then
        // move the new box at once
        focusBox.current = id;
    };
    const addLink = (from, to) => {
        if (from === to || doc.links.some((l) => l.from === from && l.to === to)) return;
        setDoc({ ...doc, links: [...doc.links, { from, to }] });
        setSel({ kind: 'link', index: doc.links.length });
    };
    const svgPoint = (ev) => {
        const svg = svgWrap.current.querySelector('svg');
        const r = svg.getBoundingClientRect();
        return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    };
    const onNodeDown = (ev, id) => {
        setSel({ kind: 'activity', id });
        if (!editable || ev.button !== 0) return;
        const start = svgPoint(ev);
        const orig = pos[id];
        let moved = false;
        const move = (e) => {
            const p = svgPoint(e);
            if (!moved && Math.abs(p.x - start.x) + Math.abs(p.y - start.y) < 4) return;
            if (!moved) setDragging(true);
            moved = true;
            setDirty(true);
            setPos((old) => ({ ...old, [id]: { x: Math.round(Math.max(NODE_W / 2, orig.x + p.x - start.x)), y: Math.round(Math.max(NODE_H / 2, orig.y + p.y - start.y)) } }));
        };
        const up = () => {
            removeEventListener('pointermove', move);
            removeEventListener('pointerup', up);
            setDragging(false);
        };
        addEventListener('pointermove', move);
        addEventListener('pointerup', up);
    };
    const onPortDown = (ev, from) => {
        if (!editable) return;
        const p = svgPoint(ev);
        setDrawing({ from, ...p });
        const move = (e) => setDrawing({ from, ...svgPoint(e) });
        const up = (e) => {
            removeEventListener('pointermove', move);
            removeEventListener('pointerup', up);
            setDrawing(null);
            const el = document.elementFromPoint(e.clientX, e.clientY);
            const g = el && el.closest('[data-activity]');
            if (!g) return;
            addLink(from, g.getAttribute('data-activity'));
            // the click that ends the drag lands on the canvas, whose click
            // clears the selection: the new link stays selected instead
            const swallow = (c) => c.stopPropagation();
            addEventListener('click', swallow, { capture: true, once: true });
            setTimeout(() => removeEventListener('click', swallow, { capture: true }), 0);
        };
        addEventListener('pointermove', move);
        addEventListener('pointerup', up);
    };
    const onDrop = (ev) => {
        ev.preventDefault();
        const type = ev.dataTransfer.getData('application/x-baton-activity');
        if (type) addActivity(type, svgPoint(ev));
    };

    const run = async (what, fn) => {
        setBusy(true);
        setError(null);
        setNotice(null);
        try {
            await fn();
        } catch (e) {
            setError(e);
        } finally {
            setBusy(false);
        }
    };
    const checkout = () => run('checkout', async () => {
        await mgmt.post('/api/runbook/checkout', { runbook: meta.id });
        const rb = await mgmt.get('/api/runbook' + qs({ runbook: meta.id }));
        setMeta(rb);
        setNotice('Checked out to you: edit, then check in with a comment.');
    });
    const undo = () => run('undo', async () => {
        await mgmt.post('/api/runbook/undo-checkout', { runbook: meta.id });
        await load();
        setNotice('Check-out undone; changes discarded.');
    });
    const checkin = () => run('checkin', async () => {
        const body = { yaml: M.toYaml(doc, pos), comment: comment || 'edited in the console designer' };
        if (!isNew) body.runbook = meta.id;
        const rb = await mgmt.post('/api/runbook/checkin', body);
        setComment('');
        setDirty(false);
        // the positions are in the runbook now
        if (!isNew) localStorage.removeItem(storedKey(meta.id));
        if (isNew) {
            navigate('#/design/' + rb.id);
            return;
        }
        const fresh = await mgmt.get('/api/runbook' + qs({ runbook: meta.id }));
        setMeta(fresh);
        setNotice(`Checked in as version ${rb.checked_in_version || fresh.latest_version}.`);
    });

    const removeActivity = (id) => {
        setDoc({ ...doc, activities: doc.activities.filter((a) => a.id !== id),
            links: doc.links.filter((l) => l.from !== id && l.to !== id) });
        const rest = { ...pos };
        delete rest[id];
        setPos(rest);
    };
    const onKey = (ev) => {
        const arrows = { ArrowLeft: [-10, 0], ArrowRight: [10, 0], ArrowUp: [0, -10], ArrowDown: [0, 10] };
        if (editable && sel && sel.kind === 'activity' && arrows[ev.key] && pos[sel.id]) {
            // the keyboard's way to move a box
            ev.preventDefault();
            const [dx, dy] = arrows[ev.key];
            const p = pos[sel.id];
            setPos({ ...pos, [sel.id]: { x: Math.max(NODE_W / 2, p.x + dx), y: Math.max(NODE_H / 2, p.y + dy) } });
            setDirty(true);
            return;
        }
        if (editable && sel && sel.kind === 'activity' && (ev.key === 'l' || ev.key === 'L') && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
            // the keyboard's way to draw a link: choose its target there
            const to = document.getElementById('link-to');
            if (to) {
                ev.preventDefault();
                to.focus();
            }
            return;
        }
        if (!editable || !sel || (ev.key !== 'Delete' && ev.key !== 'Backspace')) return;
        ev.preventDefault();
        if (sel.kind === 'activity') removeActivity(sel.id);
        else setDoc({ ...doc, links: doc.links.filter((_, i) => i !== sel.index) });
        setSel(null);
    };
    // what the loader refused at the last check-in: each problem listed,
    // the boxes it names marked
    const problems = (error && error.problems) || [];
    const marked = {};
    for (const p of problems) {
        const id = problemActivity(doc, p);
        if (id) marked[id] = 'failed';
    }
    const selAct = sel && sel.kind === 'activity' && doc.activities.find((a) => a.id === sel.id);
    const selLink = sel && sel.kind === 'link' && doc.links[sel.index];
    const dlinks = diagramLinks(doc.links);
    const lay = extent(pos);
    return html`<section class="designer-page">
  <div class="toolbar">
    <h1>${isNew ? 'New runbook' : meta.path}</h1>
    ${!isNew && html`<span class="muted">version ${meta.latest_version} ·
      ${meta.checked_out_by ? `checked out by ${meta.checked_out_by}` : 'checked in'}</span>`}
    ${dirty && html`<span class="status status-warning">unsaved changes</span>`}
  </div>
  <div class="toolbar">
    ${!isNew && !editable && html`<button class="primary" onClick=${checkout} disabled=${busy}>Check out</button>`}
    ${editable && html`<input name="comment" aria-label="check-in comment" placeholder="comment for this version" value=${comment}
        onInput=${(e) => setComment(e.target.value)} size="32" />
      <button class="primary" onClick=${checkin} disabled=${busy}>Check in</button>`}
    ${!isNew && editable && html`<button onClick=${undo} disabled=${busy}>Undo check-out</button>`}
    ${!isNew && html`<button onClick=${() => setShowHistory(!showHistory)}>History</button>
      <a class="button" href=${'#/runbooks/' + meta.id}>Open to run</a>`}
  </div>
  ${notice && html`<div class="notice" role="status">${notice}</div>`}
  <${ErrorBox} error=${error} />
  ${problems.length > 1 && html`<ul class="problems" aria-label="problems">${problems.map((p, i) => {
        const id = problemActivity(doc, p);
        return html`<li key=${i}>${id ? html`<button class="link-button" onClick=${() => setSel({ kind: 'activity', id })}>${p}</button>` : p}</li>`;
    })}</ul>`}
  ${showHistory && html`<${History} id=${meta.id} onClose=${() => setShowHistory(false)} />`}
  <div class="designer">
    <${Palette} types=${types} onAdd=${(t) => addActivity(t)} disabled=${!editable} />
    <div class="canvas" ref=${svgWrap} onDragOver=${(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }} onDrop=${onDrop}
      onClick=${() => setSel(null)} onKeyDown=${onKey} aria-label="canvas (arrow keys move the selected box, L links it to another, Delete removes the selection)">
      <${Diagram} activities=${doc.activities} links=${dlinks} lay=${lay} status=${marked}
        selected=${selAct && selAct.id} onSelect=${(id) => setSel({ kind: 'activity', id })}
        selectedLink=${sel && sel.kind === 'link' ? sel.index : null} onLinkSelect=${(i) => setSel({ kind: 'link', index: i })}
        onNodeDown=${onNodeDown} onPortDown=${editable ? onPortDown : null}>
        ${drawing && pos[drawing.from] && html`<line class="drawing" x1=${pos[drawing.from].x + NODE_W / 2} y1=${pos[drawing.from].y}
          x2=${drawing.x} y2=${drawing.y} />`}
      <//>
    </div>
    <div class="side">
      ${selAct ? html`<${ActivityInspector} key=${selAct.id} doc=${doc} act=${selAct} types=${types} editable=${editable}
          update=${(a, link) => {
            setDoc({ ...doc, activities: doc.activities.map((x) => (x.id === selAct.id ? a : x)), links: link ? [...doc.links, link] : doc.links });
            if (link) setSel({ kind: 'link', index: doc.links.length });
          }}
          rename=${(from, to) => { if (to && to !== from && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(to) && !doc.activities.some((a) => a.id === to)) {
            setDoc(M.renameActivity(doc, from, to)); setPos({ ...pos, [to]: pos[from] }); setSel({ kind: 'activity', id: to }); } }}
          renameField=${(from, to) => setDoc(M.renamePublished(doc, selAct.id, from, to))}
          remove=${() => { removeActivity(selAct.id); setSel(null); }} />`
        : selLink ? html`<${LinkInspector} key=${sel.index} link=${selLink} editable=${editable}
          update=${(l) => setDoc({ ...doc, links: doc.links.map((x, i) => (i === sel.index ? l : x)) })}
          remove=${() => { setDoc({ ...doc, links: doc.links.filter((_, i) => i !== sel.index) }); setSel(null); }} />`
        : html`<${RunbookInspector} doc=${doc} setDoc=${setDoc} editable=${editable} isNew=${isNew} />`}
      <details class="card"><summary>YAML</summary><pre class="yaml" aria-label="runbook YAML">${yamlText}</pre></details>
    </div>
  </div>
</section>`;
}
