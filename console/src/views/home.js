// Home: job counts by status, a chart of jobs by status over time (from
// the newest jobs), and what is running now; refreshed by the event stream.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html, useLoad, ErrorBox, Status, fmtTime } from '../ui.js';
import { web, followJobs } from '../api.js';

const STATUSES = ['pending', 'running', 'completed', 'failed', 'canceled'];
const COLOURS = { pending: '#8a8f98', running: '#2f6fd6', completed: '#2e9d57', failed: '#d64545', canceled: '#c98a16' };

// Jobs per status per time bucket: 24 buckets over the span of the jobs
// given (at least 15 minutes), ending now.
export function bucketJobs(jobs, now = Date.now()) {
    const times = jobs.map((j) => new Date(j.created).getTime()).filter((t) => !isNaN(t));
    const first = times.length ? Math.min(...times) : now - 3600e3;
    const span = Math.max(now - first, 15 * 60e3);
    const n = 24;
    const step = span / n;
    const xs = [];
    for (let i = 0; i < n; i++) xs.push((now - span + step * (i + 1)) / 1000);
    const series = STATUSES.map(() => new Array(n).fill(0));
    for (const j of jobs) {
        const t = new Date(j.created).getTime();
        let i = Math.floor((t - (now - span)) / step);
        i = Math.min(Math.max(i, 0), n - 1);
        const s = STATUSES.indexOf(j.status);
        if (s >= 0) series[s][i]++;
    }
    return [xs, ...series];
}

// Stacked: each status is drawn as the sum of itself and the statuses
// below it, largest first, so the filled steps stack; the legend shows
// each status's own count.
function stacked(data) {
    const [xs, ...series] = data;
    const sums = [];
    let run = new Array(xs.length).fill(0);
    for (const s of series) {
        run = run.map((v, i) => v + s[i]);
        sums.push(run);
    }
    return { plotted: [xs, ...sums.slice().reverse()], raw: series.slice().reverse() };
}

function Chart({ jobs }) {
    const ref = useRef(null);
    const plot = useRef(null);
    const raw = useRef(null);
    useEffect(() => {
        const st = stacked(bucketJobs(jobs));
        raw.current = st.raw;
        const width = Math.max(280, Math.min(ref.current.clientWidth || 800, 1100));
        if (plot.current) {
            plot.current.setData(st.plotted);
            return undefined;
        }
        const order = STATUSES.slice().reverse();
        plot.current = new uPlot({
            width, height: 240,
            series: [{}, ...order.map((s, k) => ({
                label: s, stroke: COLOURS[s], fill: COLOURS[s] + 'cc', width: 1,
                paths: uPlot.paths.stepped({ align: -1 }), points: { show: false },
                value: (u, v, si, idx) => (idx === null || !raw.current ? '--' : raw.current[k][idx]),
            }))],
            axes: [{}, { label: 'jobs' }],
            scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        }, st.plotted, ref.current);
        const onResize = () => plot.current && plot.current.setSize({ width: Math.max(280, Math.min(ref.current.clientWidth, 1100)), height: 240 });
        addEventListener('resize', onResize);
        return () => removeEventListener('resize', onResize);
    }, [jobs]);
    useEffect(() => () => { if (plot.current) plot.current.destroy(); plot.current = null; }, []);
    return html`<div class="chart" ref=${ref} role="img" aria-label="jobs by status over time"></div>`;
}

export function Home() {
    const [tick, setTick] = useState(0);
    const [data, error, reload] = useLoad(async () => {
        const [stats, recent, running] = await Promise.all([
            web.get('/api/statistics'),
            web.get('/api/jobs?order=desc&limit=1000'),
            web.get('/api/jobs?status=running&order=desc&limit=20'),
        ]);
        return { stats, recent: recent.items, running: running.items };
    }, [tick]);
    useEffect(() => followJobs(() => setTick((t) => t + 1)), []);
    if (error) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
    if (!data) return html`<p class="muted">Loading…</p>`;
    const c = data.stats.jobs;
    return html`<section>
  <h1>Overview</h1>
  <div class="tiles">
    ${[...STATUSES, 'total'].map((s) => html`<a class=${'tile tile-' + s} href=${s === 'total' ? '#/jobs' : '#/jobs?status=' + s}>
      <span class="tile-count" data-count=${s}>${c[s] ?? 0}</span><span class="tile-label">${s}</span></a>`)}
  </div>
  <h2>Jobs by status over time</h2>
  <${Chart} jobs=${data.recent} />
  <h2>Running now</h2>
  ${data.running.length ? html`<table class="list"><thead><tr><th>Job</th><th>Runbook</th><th>Started</th><th>Status</th></tr></thead>
    <tbody>${data.running.map((j) => html`<tr><td><a href=${'#/jobs/' + j.id}>#${j.id}</a></td><td>${j.runbook_path}</td>
      <td>${fmtTime(j.started)}</td><td><${Status} value=${j.status} /></td></tr>`)}</tbody></table>`
        : html`<p class="muted">Nothing is running.</p>`}
  <h2>Busiest runbooks</h2>
  <table class="list"><thead><tr><th>Runbook</th><th>Total</th><th>Completed</th><th>Failed</th></tr></thead>
  <tbody>${data.stats.runbooks.slice().sort((a, b) => b.jobs.total - a.jobs.total).slice(0, 10).map((r) => html`<tr>
    <td><a href=${'#/runbooks/' + r.runbook_id}>${r.path}</a></td><td>${r.jobs.total}</td><td>${r.jobs.completed}</td><td>${r.jobs.failed}</td></tr>`)}</tbody></table>
</section>`;
}
