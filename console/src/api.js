// Talking to the web service (port 81) and the management server (port
// 135) straight from the browser, as /config.json says where they are.
// Credentials are HTTP Basic, kept for this tab only (sessionStorage).

let config = { web_url: '', mgmt_url: '' };
const REQUEST_TIMEOUT_MS = 15000;
let credentials = null; // "Basic ..."
let user = null;
const listeners = new Set(); // called with 'unauthorized' | 'down' | 'up'

export class ApiError extends Error {
    constructor(status, code, message, target) {
        super(message);
        this.status = status;
        this.code = code;
        this.target = target;
    }
}

export async function loadConfig() {
    const r = await fetch('config.json', { cache: 'no-store' });
    if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
    config = await r.json();
    const saved = sessionStorage.getItem('baton.auth');
    if (saved) {
        try {
            const s = JSON.parse(saved);
            credentials = s.credentials;
            user = s.user;
        } catch (e) {
            sessionStorage.removeItem('baton.auth');
        }
    }
    return config;
}

export const getConfig = () => config;
export const currentUser = () => user;
export const loggedIn = () => credentials !== null;

export function onApiState(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
}
function tell(state, detail) {
    for (const fn of listeners) fn(state, detail);
}

function basic(name, password) {
    const bytes = new TextEncoder().encode(`${name}:${password}`);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return 'Basic ' + btoa(bin);
}

export async function login(name, password) {
    const cred = basic(name, password);
    // /api/statistics needs a login (health does not): it proves the pair
    await request('web', 'GET', '/api/statistics', undefined, cred);
    credentials = cred;
    user = name;
    sessionStorage.setItem('baton.auth', JSON.stringify({ credentials, user }));
}

export function logout() {
    credentials = null;
    user = null;
    sessionStorage.removeItem('baton.auth');
    sessionStorage.removeItem('baton.stream');
    sessionStorage.removeItem('baton.admin');
}

function base(service) {
    return service === 'mgmt' ? config.mgmt_url : config.web_url;
}

// Requests still waiting after SLOW_MS: the shell shows them ("waiting for
// the web service…") with a retry, so a slow service is never a silent
// hang. Each entry: {id, where, url, method, since, retry | null}.
const SLOW_MS = 2000;
const pending = new Map();
let nextPending = 1;
const slowListeners = new Set();
export function onSlow(fn) {
    slowListeners.add(fn);
    fn(slowList());
    return () => slowListeners.delete(fn);
}
function slowList() {
    return [...pending.values()].filter((p) => p.slow);
}
function tellSlow() {
    const list = slowList();
    for (const fn of slowListeners) fn(list);
}
// Sends every slow GET again (a GET changes nothing, so a second one is
// safe; a change is never sent twice, it stays waiting).
export function retrySlow() {
    for (const p of pending.values()) if (p.slow && p.retry) p.retry();
}

async function request(service, method, path, body, cred = credentials) {
    const headers = { Accept: 'application/json' };
    if (cred) headers.Authorization = cred;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let r;
    const where = service === 'mgmt' ? 'management server' : 'web service';
    const entry = { id: nextPending++, where, url: base(service), method, path, since: Date.now(), slow: false, retry: null };
    pending.set(entry.id, entry);
    const slowTimer = setTimeout(() => {
        entry.slow = true;
        tellSlow();
    }, SLOW_MS);
    try {
        for (;;) {
            // a service that accepts but never answers must not leave the
            // page waiting for ever
            const abort = new AbortController();
            let retried = false;
            if (method === 'GET') entry.retry = () => { retried = true; abort.abort(); };
            const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
            try {
                r = await fetch(base(service) + path, {
                    method,
                    headers,
                    body: body === undefined ? undefined : JSON.stringify(body),
                    signal: abort.signal,
                });
                break;
            } catch (e) {
                if (retried) {
                    entry.since = Date.now();
                    continue;
                }
                const why = abort.signal.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : e.message;
                tell('down', `${where} at ${base(service)}`);
                throw new ApiError(0, 'unreachable', `The ${where} at ${base(service)} does not answer (${why}).`);
            } finally {
                clearTimeout(timer);
            }
        }
    } finally {
        clearTimeout(slowTimer);
        pending.delete(entry.id);
        if (entry.slow) tellSlow();
    }
    tell('up');
    const text = await r.text();
    let doc = null;
    try {
        doc = text ? JSON.parse(text) : null;
    } catch (e) {
        doc = null;
    }
    if (!r.ok) {
        const err = (doc && doc.error) || {};
        const ex = new ApiError(r.status, err.code || 'http_' + r.status,
            err.message || `${method} ${path}: HTTP ${r.status}`, err.target);
        // every problem of a runbook the loader refused (the message has the first)
        if (Array.isArray(err.problems)) ex.problems = err.problems;
        if (r.status === 401 && cred === credentials && credentials) {
            logout();
            tell('unauthorized', 'Your session has expired or the credentials were refused: log in again.');
        }
        throw ex;
    }
    return doc;
}

export const web = {
    get: (path) => request('web', 'GET', path),
    post: (path, body) => request('web', 'POST', path, body ?? {}),
    del: (path) => request('web', 'DELETE', path),
};
export const mgmt = {
    get: (path) => request('mgmt', 'GET', path),
    post: (path, body) => request('mgmt', 'POST', path, body ?? {}),
    del: (path) => request('mgmt', 'DELETE', path),
};

// Whether the logged-in user is an administrator (GET /api/me),
// remembered for the session.
export async function isAdmin() {
    const known = sessionStorage.getItem('baton.admin');
    if (known) return known === 'yes';
    const me = await web.get('/api/me');
    sessionStorage.setItem('baton.admin', me.admin ? 'yes' : 'no');
    return !!me.admin;
}

export function qs(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params))
        if (v !== undefined && v !== null && v !== '')
            parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
    return parts.length ? '?' + parts.join('&') : '';
}

// Server-Sent Events over fetch: EventSource cannot send an Authorization
// header. Calls onEvent(name, data, id) for each event; reconnects after a
// drop (with Last-Event-ID) unless `once`; returns a function that stops.
export function stream(path, onEvent, { once = false, onState, onForbidden } = {}) {
    let stopped = false;
    let controller = null;
    let lastId = null;
    const run = async () => {
        while (!stopped) {
            controller = new AbortController();
            const headers = { Accept: 'text/event-stream' };
            if (credentials) headers.Authorization = credentials;
            if (lastId) headers['Last-Event-ID'] = lastId;
            let ended = false;
            try {
                const r = await fetch(config.web_url + path, { headers, signal: controller.signal });
                if (r.status === 403 && onForbidden) {
                    onForbidden();
                    return;
                }
                if (r.status === 401) {
                    logout();
                    tell('unauthorized', 'Your session has expired: log in again.');
                    return;
                }
                if (!r.ok) throw new Error(`HTTP ${r.status}`);
                onState && onState('open');
                const reader = r.body.getReader();
                const decoder = new TextDecoder();
                let buf = '';
                let ev = { name: 'message', data: [], id: null };
                for (;;) {
                    const { value, done } = await reader.read();
                    if (done) break;
                    buf += decoder.decode(value, { stream: true });
                    let nl;
                    while ((nl = buf.indexOf('\n')) >= 0) {
                        const line = buf.slice(0, nl).replace(/\r$/, '');
                        buf = buf.slice(nl + 1);
                        if (line === '') {
                            if (ev.data.length) {
                                if (ev.id) lastId = ev.id;
                                let data = ev.data.join('\n');
                                try {
                                    data = JSON.parse(data);
                                } catch (e) { /* not JSON: pass the text */ }
                                if (ev.name === 'end') ended = true;
                                onEvent(ev.name, data, ev.id);
                            }
                            ev = { name: 'message', data: [], id: null };
                        } else if (line.startsWith(':')) {
                            // keep-alive comment
                        } else {
                            const c = line.indexOf(':');
                            const field = c < 0 ? line : line.slice(0, c);
                            const val = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
                            if (field === 'event') ev.name = val;
                            else if (field === 'data') ev.data.push(val);
                            else if (field === 'id') ev.id = val;
                        }
                    }
                }
            } catch (e) {
                if (stopped) return;
                onState && onState('error', e.message);
            }
            if (stopped || (once && ended)) return;
            onState && onState('reconnecting');
            await new Promise((res) => setTimeout(res, 2000));
        }
    };
    run();
    return () => {
        stopped = true;
        if (controller) controller.abort();
    };
}

// Calls onChange (at most once a second) when any job the user may view
// is created or changes status: the web service's event stream; a poll
// every 5 seconds when the stream is refused (403, from a web service
// older than the per-user stream; remembered for the session).
export function followJobs(onChange) {
    let timer = null;
    let poll = null;
    const kick = () => {
        if (!timer) timer = setTimeout(() => { timer = null; onChange(); }, 1000);
    };
    const startPolling = () => {
        sessionStorage.setItem('baton.stream', 'forbidden');
        poll = setInterval(onChange, 5000);
    };
    let stop = () => {};
    if (sessionStorage.getItem('baton.stream') === 'forbidden') startPolling();
    else stop = stream('/api/events/stream', (name) => name === 'job' && kick(), { onForbidden: startPolling });
    return () => {
        stop();
        clearTimeout(timer);
        clearInterval(poll);
    };
}
