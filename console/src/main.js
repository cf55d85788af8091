// The Baton Orchestration console: a single-page application served by
// batond's console role. Routes live in the URL fragment (#/jobs/17), so
// the console server only ever serves "/" and its assets.
import './styles.css';
import 'uplot/dist/uPlot.min.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, ErrorBox } from './ui.js';
import * as api from './api.js';
import { Home } from './views/home.js';
import { Runbooks } from './views/runbooks.js';
import { Jobs } from './views/jobs.js';
import { Job } from './views/job.js';
import { Servers } from './views/servers.js';
import { Events } from './views/events.js';
import { Designer } from './views/designer.js';
import { Globals } from './views/globals.js';
import { Admin } from './views/admin.js';
import { Tokens } from './views/tokens.js';
import { Waiting } from './waiting.js';

function useRoute() {
    const [hash, setHash] = useState(location.hash || '#/');
    useEffect(() => {
        const on = () => setHash(location.hash || '#/');
        addEventListener('hashchange', on);
        return () => removeEventListener('hashchange', on);
    }, []);
    const path = hash.replace(/^#/, '');
    const [p, query = ''] = path.split('?');
    return { parts: p.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

function Login({ message, onDone }) {
    const [name, setName] = useState('admin');
    const [password, setPassword] = useState('');
    const [error, setError] = useState(message ? { message } : null);
    const [busy, setBusy] = useState(false);
    const submit = async (ev) => {
        ev.preventDefault();
        setBusy(true);
        setError(null);
        try {
            await api.login(name, password);
            onDone();
        } catch (e) {
            setError(e.status === 401 ? { message: 'Wrong user name or password.' } : e);
        } finally {
            setBusy(false);
        }
    };
    return html`<main class="login">
  <form onSubmit=${submit} class="card" aria-label="log in">
    <h1><span class="logo">◆</span> Baton</h1>
    <p class="muted">Orchestration console</p>
    <label>User <input name="user" autocomplete="username" value=${name} onInput=${(e) => setName(e.target.value)} required /></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" value=${password}
      onInput=${(e) => setPassword(e.target.value)} required /></label>
    <${ErrorBox} error=${error} />
    <button type="submit" class="primary" disabled=${busy}>${busy ? 'Logging in…' : 'Log in'}</button>
    <p class="muted small">Web service: ${api.getConfig().web_url}</p>
    <${Waiting} />
  </form>
</main>`;
}

const NAV = [
    ['#/', 'Home', ''], ['#/runbooks', 'Runbooks', 'runbooks'], ['#/jobs', 'Jobs', 'jobs'],
    ['#/design', 'Designer', 'design'], ['#/servers', 'Servers', 'servers'], ['#/events', 'Events', 'events'],
    ['#/globals', 'Globals', 'globals'],
];

function Shell({ route, onLogout }) {
    const [down, setDown] = useState(null);
    const [menu, setMenu] = useState(false);
    const [admin, setAdmin] = useState(false);
    useEffect(() => {
        api.isAdmin().then(setAdmin, () => setAdmin(false));
    }, []);
    const nav = admin ? [...NAV, ['#/admin', 'Administration', 'admin']] : NAV;
    useEffect(() => api.onApiState((state, detail) => {
        if (state === 'down') setDown(detail);
        if (state === 'up') setDown(null);
    }), []);
    const top = route.parts[0] || '';
    let view;
    switch (top) {
    case '': view = html`<${Home} />`; break;
    case 'runbooks': view = html`<${Runbooks} id=${route.parts[1]} />`; break;
    case 'jobs': view = route.parts[1] ? html`<${Job} id=${route.parts[1]} key=${route.parts[1]} query=${route.query} />`
        : html`<${Jobs} query=${route.query} />`; break;
    case 'design': view = html`<${Designer} runbook=${route.parts[1]} key=${route.parts[1] || 'new'} />`; break;
    case 'servers': view = html`<${Servers} />`; break;
    case 'events': view = html`<${Events} />`; break;
    case 'globals': view = html`<${Globals} admin=${admin} />`; break;
    case 'admin': view = html`<${Admin} section=${route.parts[1]} />`; break;
    case 'tokens': view = html`<${Tokens} />`; break;
    default: view = html`<p>No such page. <a href="#/">Home</a></p>`;
    }
    return html`<div class="shell">
  <header class="topbar">
    <a class="brand" href="#/"><span class="logo">◆</span> Baton</a>
    <button class="menu-toggle" aria-expanded=${menu} aria-controls="nav" onClick=${() => setMenu(!menu)}>☰ Menu</button>
    <nav id="nav" class=${menu ? 'open' : ''} aria-label="main">
      ${nav.map(([href, label, key]) => html`<a href=${href} class=${top === key ? 'active' : ''}
          aria-current=${top === key ? 'page' : undefined} onClick=${() => setMenu(false)}>${label}</a>`)}
    </nav>
    <span class="user">${api.currentUser()}
      <a href="#/tokens" class=${top === 'tokens' ? 'active' : ''} aria-current=${top === 'tokens' ? 'page' : undefined}>API tokens</a>
      <button class="link-button" onClick=${onLogout}>Log out</button></span>
  </header>
  ${down && html`<div class="banner" role="alert">The ${down} does not answer; retrying as you work.</div>`}
  <${Waiting} />
  <main class="content">${view}</main>
</div>`;
}

function App() {
    const [ready, setReady] = useState(false);
    const [bootError, setBootError] = useState(null);
    const [authed, setAuthed] = useState(false);
    const [message, setMessage] = useState(null);
    const route = useRoute();
    useEffect(() => {
        api.loadConfig().then(() => {
            setAuthed(api.loggedIn());
            setReady(true);
        }).catch(setBootError);
        return api.onApiState((state, detail) => {
            if (state === 'unauthorized') {
                setMessage(detail);
                setAuthed(false);
            }
        });
    }, []);
    if (bootError) return html`<main class="login"><${ErrorBox} error=${bootError} /></main>`;
    if (!ready) return html`<p class="boot">Loading…</p>`;
    if (!authed) return html`<${Login} message=${message} onDone=${() => { setMessage(null); setAuthed(true); }} />`;
    return html`<${Shell} route=${route} onLogout=${() => { api.logout(); setAuthed(false); }} />`;
}

render(html`<${App} />`, document.getElementById('app'));
