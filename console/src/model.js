// The designer's model: the runbook document as the management server
// gives it (the YAML's own shape), edited in place, and written back as
// the same YAML the CLI imports. Pure functions, no DOM.
import yaml from 'js-yaml';

const TOP_ORDER = ['name', 'folder', 'description', 'parameters', 'returns', 'activities', 'links'];
const ACT_ORDER = ['id', 'name', 'type', 'properties', 'retry', 'flatten', 'timeout', 'publishes', 'position'];
const RETRY_ORDER = ['max', 'delay', 'until'];
const LINK_ORDER = ['from', 'to', 'name', 'on', 'when', 'include', 'exclude'];

function ordered(obj, order) {
    const out = {};
    for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
    for (const k of Object.keys(obj)) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
    return out;
}

// pos: {id: {x, y}}, where the designer draws each box (its centre);
// written as each activity's `position`, whole pixels, in flow style so a
// box that moved is a one-line change.
export function toYaml(doc, pos) {
    const d = ordered(doc, TOP_ORDER);
    if (d.folder === '/') delete d.folder;
    if (!d.description) delete d.description;
    if (d.parameters && !d.parameters.length) delete d.parameters;
    if (d.links && !d.links.length) delete d.links;
    d.activities = (doc.activities || []).map((a) => {
        const o = ordered(a, ACT_ORDER);
        if (o.properties && !Object.keys(o.properties).length) delete o.properties;
        if (!o.name) delete o.name;
        if (o.retry && typeof o.retry === 'object') {
            o.retry = ordered(o.retry, RETRY_ORDER);
            if (/^\d+$/.test(String(o.retry.max))) o.retry.max = Number(o.retry.max);
        }
        if (Array.isArray(o.publishes) && !o.publishes.length) delete o.publishes;
        const p = pos && pos[a.id];
        if (p) o.position = { x: Math.max(0, Math.round(p.x)), y: Math.max(0, Math.round(p.y)) };
        if (o.position) {
            // after everything else, whatever order it came in
            const { position, ...rest } = o;
            return { ...rest, position };
        }
        return o;
    });
    if (d.links) d.links = d.links.map((l) => ordered(l, LINK_ORDER));
    // js-yaml writes every map and list in block style; these two read
    // better on one line (and js-yaml quotes the key y, a YAML 1.1 boolean)
    return yaml.dump(d, { lineWidth: -1, noRefs: true })
        .replace(/^( +)position:\n\1  x: (\d+)\n\1  '?y'?: (\d+)$/gm, '$1position: {x: $2, y: $3}')
        .replace(/^( +)publishes:\n((?:\1  - [A-Za-z_][A-Za-z0-9_-]*\n)+)/gm,
            (all, ind, items) => `${ind}publishes: [${items.trim().split('\n').map((l) => l.trim().slice(2)).join(', ')}]\n`);
}

// An activity's position as numbers ({x, y}), or null: the management
// server gives the document's scalars as text.
export function positionOf(act) {
    const p = act && act.position;
    if (!p || typeof p !== 'object') return null;
    const x = Number(p.x);
    const y = Number(p.y);
    return Number.isFinite(x) && Number.isFinite(y) ? { x, y } : null;
}

export function newDocument() {
    return { name: 'New runbook', folder: '/', activities: [{ id: 'start', type: 'initialize-data' }], links: [] };
}

export function uniqueId(doc, type) {
    const base = (type.split('/').pop() || 'step').replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1');
    const taken = new Set(doc.activities.map((a) => a.id));
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(base + i)) return base + i;
}

// Activities with a path of links to id (what id can reference).
export function upstream(doc, id) {
    const seen = new Set();
    const todo = [id];
    while (todo.length) {
        const cur = todo.pop();
        for (const l of doc.links || [])
            if (l.to === cur && !seen.has(l.from) && l.from !== id) {
                seen.add(l.from);
                todo.push(l.from);
            }
    }
    return doc.activities.filter((a) => seen.has(a.id));
}

// The fields an activity publishes, for the data picker.
export function publishedFields(act, types, doc) {
    const t = types.byName[act.type];
    let fields = [];
    if (act.type === 'initialize-data') fields = (doc.parameters || []).map((p) => p.name);
    else if (t) fields = [...(t.published || [])];
    if (Array.isArray(act.publishes)) fields = fields.concat(act.publishes);
    if (act.type === 'return-data') fields = Object.keys(act.properties || {});
    return [...new Set([...fields, ...(types.common || [])])];
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

// Every place a reference may be written: properties, retry 'until' and
// link conditions; fix(text) rewrites one value.
function rewriteReferences(doc, fix, renameAct) {
    const deep = (v) => (typeof v === 'string' ? fix(v)
        : Array.isArray(v) ? v.map(deep)
            : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])) : v);
    return {
        ...doc,
        activities: doc.activities.map((a) => {
            const o = { ...(renameAct ? renameAct(a) : a), properties: deep(a.properties) };
            if (a.retry && typeof a.retry === 'object' && a.retry.until !== undefined) o.retry = { ...a.retry, until: deep(a.retry.until) };
            if (o.properties === undefined) delete o.properties;
            return o;
        }),
        links: (doc.links || []).map((l) => {
            const o = { ...l };
            for (const k of ['when', 'include', 'exclude']) if (l[k] !== undefined) o[k] = deep(l[k]);
            return o;
        }),
    };
}

export function renameActivity(doc, from, to) {
    const re = new RegExp('\\{' + escapeRe(from) + '\\.', 'g');
    const d = rewriteReferences(doc, (v) => v.replace(re, '{' + to + '.'), (a) => (a.id === from ? { ...a, id: to } : a));
    d.links = d.links.map((l) => ({ ...l, from: l.from === from ? to : l.from, to: l.to === from ? to : l.to }));
    return d;
}

// A published field declared in `publishes` renamed, and every
// {act.from} reference with it.
export function renamePublished(doc, act, from, to) {
    const re = new RegExp('\\{' + escapeRe(act) + '\\.' + escapeRe(from) + '\\}', 'g');
    return rewriteReferences(doc, (v) => v.replace(re, '{' + act + '.' + to + '}'),
        (a) => (a.id === act ? { ...a, publishes: publishesOf(a).map((f) => (f === from ? to : f)) } : a));
}

// An activity's `publishes` as a list: the format also takes one name.
export function publishesOf(a) {
    return Array.isArray(a.publishes) ? a.publishes.map(String)
        : a.publishes !== undefined && a.publishes !== null ? [String(a.publishes)] : [];
}

// What the loader accepts for a name in `publishes` (and an activity id).
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

// The loader's duration syntax: 250ms, 5s, 1.5s, 2m, 2min, 1h, 1d, or a
// bare number of seconds.
export function isDuration(text) {
    return /^\s*(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*(ms|s|m|min|h|d)?$/.test(String(text));
}

// What is wrong with a retry map, field by field ({max, delay, until}:
// a sentence each), as the loader would say it.
export function retryProblems(r) {
    const out = {};
    if (!r || typeof r !== 'object') return out;
    const max = r.max === undefined || r.max === null ? '' : String(r.max);
    if (max === '') out.max = 'Attempts is required: the total number of runs, from 1 to 1000000.';
    else if (!/^[+]?\d+$/.test(max) || Number(max) < 1 || Number(max) > 1000000)
        out.max = `Attempts must be a whole number from 1 to 1000000, not '${max}'.`;
    if (r.delay !== undefined && r.delay !== null && r.delay !== '' && !isDuration(r.delay))
        out.delay = `Delay must be a duration such as 500ms, 30s, 2m or 1h, not '${r.delay}'.`;
    return out;
}

// A property's value as the editor shows it, and back.
export function propText(kind, v) {
    if (v === undefined || v === null) return '';
    if (kind === 'list') return Array.isArray(v) ? v.join('\n') : String(v);
    if (kind === 'map') return typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k}=${x}`).join('\n') : String(v);
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
}

export function propValue(kind, text) {
    if (text === '') return undefined;
    if (kind === 'list') return text.split('\n').filter((s) => s !== '');
    if (kind === 'map') {
        const o = {};
        for (const line of text.split('\n')) {
            const i = line.indexOf('=');
            if (i > 0) o[line.slice(0, i).trim()] = line.slice(i + 1);
        }
        return o;
    }
    if (kind === 'boolean') return text === 'true';
    if ((kind === 'integer' || kind === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    return text;
}

export function linkOn(l) {
    const on = l.on === undefined ? ['success'] : Array.isArray(l.on) ? l.on : [l.on];
    return on.includes('any') ? ['success', 'warning', 'failed'] : on;
}

export function setLinkOn(l, on) {
    const out = { ...l };
    if (on.length === 1 && on[0] === 'success') delete out.on;
    else if (on.length === 3) out.on = 'any';
    else out.on = on.length === 1 ? on[0] : on;
    return out;
}
