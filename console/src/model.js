// The designer's model: the runbook document as the management server
// gives it (the YAML's own shape), edited in place, and written back as
// the same YAML the CLI imports. Pure functions, no DOM.
import yaml from 'js-yaml';

const TOP_ORDER = ['name', 'folder', 'description', 'parameters', 'returns', 'activities', 'links'];
const ACT_ORDER = ['id', 'name', 'type', 'properties', 'retry', 'flatten', 'timeout', 'publishes', 'position'];
const RETRY_ORDER = ['max', 'delay', 'until'];
const LINK_ORDER = ['from', 'to', 'name', 'on', 'when', 'include', 'exclude', 'loop_guard'];

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
        // the server gives `flatten: true` as the text 'true'
        if (typeof o.flatten === 'string' && parseBool(o.flatten) !== null) o.flatten = parseBool(o.flatten);
        if (o.flatten === false) delete o.flatten;
        const p = pos && pos[a.id];
        if (p) o.position = { x: Math.max(0, Math.round(p.x)), y: Math.max(0, Math.round(p.y)) };
        if (o.position) {
            // after everything else, whatever order it came in
            const { position, ...rest } = o;
            return { ...rest, position };
        }
        return o;
    });
    if (d.links) d.links = d.links.map((l) => {
        const o = ordered(l, LINK_ORDER);
        if (/^\d+$/.test(String(o.loop_guard))) o.loop_guard = Number(o.loop_guard);
        return o;
    });
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
    if (r.until !== undefined && r.until !== null && r.until !== '') {
        const c = conditionProblem(r.until);
        if (c) out.until = c;
    }
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

// bt_parse_bool: true false yes no on off 1 0, any case; null otherwise.
export function parseBool(v) {
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    return ['true', 'yes', 'on', '1'].includes(s) ? true : ['false', 'no', 'off', '0'].includes(s) ? false : null;
}

// An activity's `flatten` (true, false or {separator}) as {on, separator}:
// separator null means the default, a newline.
export function flattenOf(act) {
    const f = act && act.flatten;
    if (f && typeof f === 'object') return { on: true, separator: f.separator === undefined ? null : f.separator === null ? '' : String(f.separator) };
    return { on: f === undefined || f === null ? false : parseBool(f) === true, separator: null };
}

// The flatten value to write: true for the default separator (a newline).
export function flattenValue(on, separator) {
    if (!on) return undefined;
    return separator === null || separator === undefined || separator === '' ? true : { separator };
}

// A link's conditions under one key (`include`, `exclude`) as a list: the
// format also takes a single condition.
export function conditionsOf(link, key) {
    const v = link[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map((c) => (c === null || c === undefined ? '' : String(c)));
    return typeof v === 'object' ? [] : [String(v)];
}

// What the loader says of a loop_guard (bt_parse_int64, then 1..1000000),
// or null when it is fine or absent.
export function loopGuardProblem(v) {
    if (v === undefined || v === null || v === '') return null;
    const s = String(v);
    if (!/^[+-]?\d+$/.test(s) || Number(s) < 1 || Number(s) > 1000000)
        return `Loop guard must be a whole number from 1 to 1000000 (how often the link may fire), not '${s}'.`;
    return null;
}

// The syntax of a condition as src/engine/cond.c parses it, with its
// messages: the problem as a sentence, or null. What only the loader can
// tell (references to activities and fields, whether a `matches` pattern
// compiles as a POSIX regular expression) is left to check-in.
const COND_MAX_LEN = 64 << 10;
const COND_MAX_DEPTH = 64;
const SHOW_MAX = 40;
const isSpace = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const endsWord = (c) => isSpace(c) || c === '(' || c === ')' || c === '=' || c === '!' || c === '<' || c === '>';
const OPS1 = ['==', '=', 'equals', '!=', '<>', '>=', '<=', '>', '<', 'contains', 'matches'];
const OPS2 = { starts: ['with'], ends: ['with'], not: ['contains', 'matches', 'equals'] };

export function conditionProblem(source) {
    const text = source === undefined || source === null ? '' : String(source);
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > COND_MAX_LEN) return `condition is ${bytes} bytes long; the limit is ${COND_MAX_LEN}`;
    const fail = (msg) => {
        throw Object.assign(new Error(msg), { condition: true });
    };
    const col = (o) => o + 1;
    const short = (s) => (s.length > SHOW_MAX ? s.slice(0, SHOW_MAX) + '...' : s);
    const describe = (t) => (t.kind === 'end' ? 'the end of the condition' : `'${short(t.text)}'`);
    let pos = 0;
    let tok = { kind: 'end', start: 0, len: 0, text: '' };
    let prevEnd = 0;
    let depth = 0;
    const next = () => {
        prevEnd = tok.start + tok.len;
        while (pos < text.length && isSpace(text[pos])) pos++;
        const t = { kind: 'end', start: pos, len: 0 };
        if (pos < text.length) {
            const ch = text[pos];
            const nx = text[pos + 1] || '';
            if (ch === '(' || ch === ')') {
                t.kind = ch;
                t.len = 1;
            } else if (ch === '=') {
                t.kind = 'sym';
                t.len = nx === '=' ? 2 : 1;
            } else if (ch === '!') {
                if (nx !== '=') fail(`unexpected '!' at column ${col(pos)}: write != or 'not'`);
                t.kind = 'sym';
                t.len = 2;
            } else if (ch === '<' || ch === '>') {
                t.kind = 'sym';
                t.len = nx === '=' || (ch === '<' && nx === '>') ? 2 : 1;
            } else if (ch === '"' || ch === "'") {
                let i = pos + 1;
                while (i < text.length && text[i] !== ch) i += text[i] === '\\' && i + 1 < text.length ? 2 : 1;
                if (i >= text.length) fail(`unterminated quoted text starting at column ${col(pos)}: expected a closing ${ch}`);
                t.kind = 'quoted';
                t.len = i + 1 - pos;
            } else {
                let i = pos;
                while (i < text.length && !endsWord(text[i])) i++;
                t.kind = 'word';
                t.len = i - pos;
            }
        }
        t.text = text.substr(t.start, t.len);
        pos += t.len;
        tok = t;
    };
    const is = (w) => (tok.kind === 'word' || tok.kind === 'sym') && tok.text.toLowerCase() === w;
    const operand = (what) => {
        const t = tok;
        if (t.kind !== 'word' && t.kind !== 'quoted')
            fail(`expected a value (a {reference}, quoted text, a word or a number) ${what} at column ${col(t.start)}, found ${describe(t)}`);
        if (is('and') || is('or') || is('not'))
            fail(`expected a value ${what} at column ${col(t.start)}, found the keyword ${describe(t)} (quote it to compare with the word)`);
        next();
    };
    const operator = () => {
        if (is('is')) {
            const at = tok.start;
            next();
            const negated = is('not');
            if (negated) next();
            if (!is('empty'))
                fail(`expected 'empty' after '${negated ? 'is not' : 'is'}' (the 'is' at column ${col(at)}) at column ${col(tok.start)}, found ${describe(tok)}`);
            next();
            return { unary: true };
        }
        for (const o of OPS1) if (is(o)) {
            next();
            return { unary: false };
        }
        for (const [first, seconds] of Object.entries(OPS2)) if (is(first)) {
            const save = tok;
            next();
            if (seconds.some((w) => is(w))) {
                next();
                return { unary: false };
            }
            fail(`expected ${first === 'not' ? "'contains', 'matches' or 'equals'" : "'with'"} after ${describe(save)} at column ${col(tok.start)}, found ${describe(tok)}`);
        }
        return null;
    };
    const compare = () => {
        const lt = tok;
        operand('at the start of a comparison');
        const before = tok;
        const op = operator();
        if (!op)
            fail(`expected an operator (==, !=, <, >, <=, >=, contains, starts with, ends with, matches, is empty...) after '${short(lt.text)}' at column ${col(before.start)}, found ${describe(before)}`);
        if (!op.unary) operand(`after '${text.slice(before.start, prevEnd)}'`);
    };
    let chain = null;
    const unary = () => {
        if (++depth > COND_MAX_DEPTH) fail(`condition nests 'not' and parentheses more than ${COND_MAX_DEPTH} deep at column ${col(tok.start)}`);
        if (is('not')) {
            next();
            unary();
        } else if (tok.kind === '(') {
            const open = tok.start;
            next();
            chain('or');
            if (tok.kind !== ')')
                fail(`expected ')' to close the '(' at column ${col(open)}, or 'and' / 'or', at column ${col(tok.start)}, found ${describe(tok)}`);
            next();
        } else compare();
        depth--;
    };
    chain = (kind) => {
        for (;;) {
            if (kind === 'or') chain('and');
            else unary();
            if (!is(kind)) break;
            next();
        }
    };
    try {
        next();
        if (tok.kind === 'end') fail('empty condition: expected a comparison such as {step.exit_code} == 0 at column 1');
        chain('or');
        if (tok.kind === ')') fail(`unbalanced ')' at column ${col(tok.start)}: no '(' is open`);
        if (tok.kind !== 'end') fail(`expected 'and', 'or' or the end of the condition at column ${col(tok.start)}, found ${describe(tok)}`);
    } catch (e) {
        if (e.condition) return e.message;
        throw e;
    }
    return null;
}
