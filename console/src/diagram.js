// A runbook drawn as Orchestrator draws it: activities as boxes with an
// icon for their type, links as arrows labelled with their conditions.
// dagre lays it out left to right; results colour the boxes.
import { html } from './ui.js';
import dagre from '@dagrejs/dagre';

export const NODE_W = 180;
export const NODE_H = 54;

const ICONS = [
    [/^initialize-data$/, '▶'], [/^return-data$/, '⏎'], [/^invoke-runbook$/, '↪'],
    [/^junction$/, '⋈'], [/run-program|run-script|ssh/, '⌘'], [/file|folder/, '▤'],
    [/monitor|wait|date|schedule|sleep/, '◷'], [/mail|notify|event|snmp|syslog/, '✉'],
    [/query|database|sql/, '▦'], [/web|http|rest/, '⇄'], [/text|xml|json|regex|format/, '¶'],
    [/counter|variable/, '#'], [/ping|probe|service|process/, '♥'],
];
export function iconFor(type) {
    for (const [re, icon] of ICONS) if (re.test(type || '')) return icon;
    return '◆';
}

// "on failed; {a.x} > 3" for a link's label; the full text goes in a title
export function linkLabel(l) {
    const parts = [];
    const on = l.on || ['success'];
    if (!(on.length === 1 && on[0] === 'success')) parts.push('on ' + on.join('|'));
    for (const c of l.include || []) parts.push(c);
    for (const c of l.exclude || []) parts.push('not ' + c);
    return parts.join('; ');
}

function shorten(s, n) {
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

// An activity's own position (the runbook's `position`, text or numbers),
// or null.
function ownPosition(a) {
    const p = a.position;
    if (!p || typeof p !== 'object') return null;
    const x = Number(p.x);
    const y = Number(p.y);
    return Number.isFinite(x) && Number.isFinite(y) ? { x, y } : null;
}

// Positions (box centres) for activities: fixed[id] when given, else the
// activity's own position, else dagre's, for those left only, laid out
// among themselves under the placed ones so that none lands on another.
export function layout(activities, links, fixed) {
    const pos = {};
    const free = [];
    for (const a of activities) {
        const p = (fixed && fixed[a.id]) || ownPosition(a);
        if (p) pos[a.id] = p;
        else free.push(a);
    }
    let w = 200;
    let h = 100;
    if (free.length) {
        const g = new dagre.graphlib.Graph({ multigraph: true });
        g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 110, marginx: 20, marginy: 20 });
        g.setDefaultEdgeLabel(() => ({}));
        for (const a of free) g.setNode(a.id, { width: NODE_W, height: NODE_H });
        links.forEach((l, i) => {
            if (g.hasNode(l.from) && g.hasNode(l.to)) g.setEdge(l.from, l.to, { width: 10, height: 10 }, 'l' + i);
        });
        dagre.layout(g);
        const placed = Object.values(pos);
        const top = placed.length ? Math.max(...placed.map((p) => p.y)) + NODE_H / 2 + 20 : 0;
        for (const a of free) {
            const n = g.node(a.id);
            pos[a.id] = { x: n.x, y: n.y + top };
        }
        const gr = g.graph();
        w = gr.width || w;
        h = (gr.height || h) + top;
    }
    for (const p of Object.values(pos)) {
        w = Math.max(w, p.x + NODE_W / 2 + 20);
        h = Math.max(h, p.y + NODE_H / 2 + 20);
    }
    return { pos, width: w, height: h };
}

// The point where the segment from the centre a towards b leaves a's box.
function boxEdge(a, b) {
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    if (!dx && !dy) return a;
    const sx = dx ? (NODE_W / 2) / Math.abs(dx) : Infinity;
    const sy = dy ? (NODE_H / 2) / Math.abs(dy) : Infinity;
    const s = Math.min(sx, sy);
    return { x: a.x + dx * s, y: a.y + dy * s };
}

export function linkPath(pa, pb) {
    const s = boxEdge(pa, pb);
    const e = boxEdge(pb, pa);
    return { d: `M${s.x},${s.y} L${e.x},${e.y}`, mid: { x: (s.x + e.x) / 2, y: (s.y + e.y) / 2 } };
}

// props: activities, links, status {id: result}, selected, onSelect(id),
// onLinkSelect(index), selectedLink, pos (designer), onNodeDown (designer),
// children (extra SVG, like the link being drawn), zoom
export function Diagram(props) {
    const { activities, links, status = {}, selected, onSelect, onLinkSelect, selectedLink, zoom = 1 } = props;
    const lay = props.lay || layout(activities, links, props.pos);
    const pos = lay.pos;
    return html`
<svg class="diagram" width=${lay.width * zoom} height=${lay.height * zoom}
     viewBox="0 0 ${lay.width} ${lay.height}" role="group" aria-label="runbook diagram"
     onPointerMove=${props.onPointerMove} onPointerUp=${props.onPointerUp} onPointerDown=${props.onBackgroundDown}>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
    </marker>
  </defs>
  ${links.map((l, i) => {
        const pa = pos[l.from];
        const pb = pos[l.to];
        if (!pa || !pb) return null;
        const p = linkPath(pa, pb);
        const label = linkLabel(l);
        const cls = 'link' + ((l.on || ['success']).some((o) => o !== 'success') ? ' link-nonsuccess' : '') +
            (selectedLink === i ? ' selected' : '');
        return html`<g class=${cls} key=${'l' + i} data-link=${l.from + '->' + l.to}
            tabindex=${onLinkSelect ? '0' : undefined} role=${onLinkSelect ? 'button' : undefined}
            aria-label=${onLinkSelect ? `link ${l.from} to ${l.to}${label ? ', ' + label : ''}` : undefined}
            onClick=${onLinkSelect ? (ev) => { ev.stopPropagation(); onLinkSelect(i); } : undefined}
            onKeyDown=${onLinkSelect ? (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onLinkSelect(i); } } : undefined}>
          <path d=${p.d} class="link-hit" />
          <path d=${p.d} class="link-line" marker-end="url(#arrow)" />
          ${label && html`<text x=${p.mid.x} y=${p.mid.y - 6} class="link-label" text-anchor="middle"><title>${label}</title>${shorten(label, 24)}</text>`}
        </g>`;
    })}
  ${activities.map((a) => {
        const p = pos[a.id];
        const st = status[a.id];
        const cls = 'node' + (st ? ' node-' + st : '') + (selected === a.id ? ' selected' : '');
        return html`<g class=${cls} key=${a.id} data-activity=${a.id} transform="translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})"
            tabindex="0" role="button" aria-label=${`${a.name || a.id} (${a.type})${st ? ', ' + st : ''}`}
            onPointerDown=${props.onNodeDown ? (ev) => props.onNodeDown(ev, a.id) : undefined}
            onClick=${onSelect ? (ev) => { ev.stopPropagation(); onSelect(a.id); } : undefined}
            onKeyDown=${onSelect ? (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(a.id); } } : undefined}>
          <rect width=${NODE_W} height=${NODE_H} rx="6" />
          <text x="14" y="33" class="node-icon">${iconFor(a.type)}</text>
          <text x="38" y="23" class="node-name">${shorten(a.name || a.id, 20)}</text>
          <text x="38" y="40" class="node-type">${shorten(a.type || '', 24)}</text>
          ${props.onPortDown && html`<circle class="port" cx=${NODE_W} cy=${NODE_H / 2} r="7"
              onPointerDown=${(ev) => { ev.stopPropagation(); props.onPortDown(ev, a.id); }}><title>drag to link</title></circle>`}
        </g>`;
    })}
  ${props.children}
</svg>`;
}
