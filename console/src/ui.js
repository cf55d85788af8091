// Shared pieces: htm bound to Preact, formatting, small components.
// Everything from the server is rendered as text nodes by Preact (never
// as HTML), so published data with markup in it shows as typed.
import { h } from 'preact';
import { useEffect, useState, useCallback } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

export function fmtTime(t) {
    if (!t) return '—';
    const d = new Date(t);
    if (isNaN(d)) return String(t);
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
        `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const m = Math.floor(ms / 60000);
    return `${m} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function jobDuration(j) {
    if (!j.started) return null;
    const end = j.ended ? new Date(j.ended) : new Date();
    return end - new Date(j.started);
}

export function Status({ value }) {
    const v = value || 'unknown';
    return html`<span class=${'status status-' + v}>${v}</span>`;
}

export function ErrorBox({ error, onRetry }) {
    if (!error) return null;
    const msg = error.message || String(error);
    return html`<div class="error" role="alert">${msg}
      ${onRetry && html` <button class="link-button" onClick=${onRetry}>Retry</button>`}</div>`;
}

// load() once and whenever deps change: [data, error, reload, loading]
export function useLoad(load, deps) {
    const [state, setState] = useState({ data: null, error: null, loading: true });
    const [tick, setTick] = useState(0);
    useEffect(() => {
        let live = true;
        setState((s) => ({ ...s, loading: true }));
        Promise.resolve()
            .then(load)
            .then((data) => live && setState({ data, error: null, loading: false }))
            .catch((error) => live && setState({ data: null, error, loading: false }));
        return () => {
            live = false;
        };
    }, [...deps, tick]);
    const reload = useCallback(() => setTick((t) => t + 1), []);
    return [state.data, state.error, reload, state.loading];
}

export function navigate(hash) {
    if (location.hash !== hash) location.hash = hash;
}

// Published data rows as a table: one column per field, text only.
export function RowsTable({ rows }) {
    if (!rows || !rows.length) return html`<p class="muted">No published data.</p>`;
    const cols = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
    return html`<div class="table-wrap"><table class="rows">
      <thead><tr><th>#</th>${cols.map((c) => html`<th>${c}</th>`)}</tr></thead>
      <tbody>${rows.map((r, i) => html`<tr><td>${i + 1}</td>${cols.map((c) =>
        html`<td class="cell">${r[c] === null || r[c] === undefined ? '' : String(r[c])}</td>`)}</tr>`)}</tbody>
    </table></div>`;
}
