// Pieces the administration and settings views share: running a change
// with its busy/error state, and showing a server's validation error next
// to the field it names (the error's `target`) instead of only on top.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, ErrorBox } from '../ui.js';

// run(fn, note) calls fn, then onDone; keeps the error for the form.
export function useAction(onDone) {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null);
    const [note, setNote] = useState(null);
    const run = async (fn, done) => {
        setBusy(true);
        setError(null);
        setNote(null);
        try {
            const out = await fn();
            if (done) setNote(done);
            if (onDone) onDone(out);
            return true;
        } catch (e) {
            setError(e);
            return false;
        } finally {
            setBusy(false);
        }
    };
    return { run, busy, error, note, setError, setNote };
}

const fieldId = (form, field) => `${form}-${field}-error`;

// The message for `field` when the error names it (else nothing).
export function FieldError({ error, form, field }) {
    if (!error || error.target !== field) return null;
    return html`<span class="field-error" id=${fieldId(form, field)} role="alert">${error.message}</span>`;
}

// Attributes for an input whose field an error may name.
export function invalid(error, form, field) {
    const bad = !!error && error.target === field;
    return { 'aria-invalid': bad ? 'true' : undefined, 'aria-describedby': bad ? fieldId(form, field) : undefined };
}

// An error that names none of the form's fields, shown above its button.
export function FormError({ error, fields = [] }) {
    if (!error || (error.target && fields.includes(error.target))) return null;
    return html`<${ErrorBox} error=${error} />`;
}

// A refusal from the server, said plainly: who may do this and what the
// service answered (its 403 message).
export function Forbidden({ error, what }) {
    return html`<div class="error forbidden" role="alert">
  <strong>Forbidden (HTTP ${error.status}).</strong> Only administrators ${what}.
  The service answered: ${error.message}
</div>`;
}

export function LoadError({ error, what, onRetry }) {
    if (error.status === 403) return html`<${Forbidden} error=${error} what=${what} />`;
    return html`<${ErrorBox} error=${error} onRetry=${onRetry} />`;
}

// A ref whose element takes the keyboard focus when it appears (a form
// opened in place, a confirmation), so keyboard users land on it.
export function useFocus() {
    const ref = useRef(null);
    useEffect(() => {
        if (ref.current) ref.current.focus();
    }, []);
    return ref;
}

function Asking({ label, confirm, onYes, onNo }) {
    const no = useFocus();
    return html`<span class="confirm" role="group" aria-label=${confirm}>
  <span>${confirm}</span>
  <button type="button" class="danger" onClick=${onYes}>Yes, ${label.toLowerCase()}</button>
  <button type="button" ref=${no} onClick=${onNo}>Cancel</button>
</span>`;
}

// A delete that asks once more in place (no modal dialog to trap focus).
export function ConfirmButton({ label, confirm, onConfirm, busy }) {
    const [asking, setAsking] = useState(false);
    if (!asking)
        return html`<button type="button" class="danger-outline" onClick=${() => setAsking(true)} disabled=${busy}>${label}</button>`;
    return html`<${Asking} label=${label} confirm=${confirm} onYes=${() => { setAsking(false); onConfirm(); }}
      onNo=${() => setAsking(false)} />`;
}

// Every folder of a /api/tree answer, depth first: [{path, name, depth}].
export function flattenTree(node, depth = 0, out = []) {
    if (!node) return out;
    out.push({ path: node.path, name: node.name, depth, runbooks: (node.runbooks || []).length });
    for (const f of node.folders || []) flattenTree(f, depth + 1, out);
    return out;
}
