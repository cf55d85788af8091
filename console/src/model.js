// The designer's model: the runbook document as the management server
// gives it (the YAML's own shape), edited in place, and written back as
// the same YAML the CLI imports. Pure functions, no DOM.
import yaml from 'js-yaml';

const TOP_ORDER = ['name', 'folder', 'description', 'parameters', 'returns', 'activities', 'links'];
const ACT_ORDER = ['id', 'name', 'type', 'properties'];
const LINK_ORDER = ['from', 'to', 'name', 'on', 'when', 'include', 'exclude'];

function ordered(obj, order) {
    const out = {};
    for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
    for (const k of Object.keys(obj)) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
    return out;
}

export function toYaml(doc) {
    const d = ordered(doc, TOP_ORDER);
    if (d.folder === '/') delete d.folder;
    if (!d.description) delete d.description;
    if (d.parameters && !d.parameters.length) delete d.parameters;
    if (d.links && !d.links.length) delete d.links;
    d.activities = (doc.activities || []).map((a) => {
        const o = ordered(a, ACT_ORDER);
        if (o.properties && !Object.keys(o.properties).length) delete o.properties;
        if (!o.name) delete o.name;
        return o;
    });
    if (d.links) d.links = d.links.map((l) => ordered(l, LINK_ORDER));
    return yaml.dump(d, { lineWidth: -1, noRefs: true });
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

export function renameActivity(doc, from, to) {
    const re = new RegExp('\\{' + from.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&') + '\\.', 'g');
    const fix = (v) => (typeof v === 'string' ? v.replace(re, '{' + to + '.')
        : Array.isArray(v) ? v.map(fix)
            : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fix(x)])) : v);
    return {
        ...doc,
        activities: doc.activities.map((a) => (a.id === from ? { ...a, id: to } : { ...a, properties: fix(a.properties) })),
        links: (doc.links || []).map((l) => ({
            ...l, from: l.from === from ? to : l.from, to: l.to === from ? to : l.to,
            when: fix(l.when), include: fix(l.include), exclude: fix(l.exclude),
        })),
    };
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
