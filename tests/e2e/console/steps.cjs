// What the browser tests share: each check prints one "ok NAME (N s)" or
// "FAIL NAME" line; console errors and uncaught page errors are collected
// unless the running step expects them (expecting), and fail the run at
// the end (finish). Works with Playwright's and puppeteer's pages alike.
let failed = 0;
const pageErrors = [];
let expected = []; // regexps of console errors a step provokes on purpose
let step = '';
let stepStart = Date.now();

function ok(name) { console.log(`ok   ${name} (${((Date.now() - stepStart) / 1000).toFixed(1)} s)`); }
function bad(name, detail) {
    failed++;
    console.log('FAIL ' + name + (detail ? '\n     ' + String(detail).split('\n').join('\n     ') : ''));
}
async function check(name, fn, lines = 8) {
    step = name;
    stepStart = Date.now();
    try {
        await fn();
        ok(name);
    } catch (e) {
        bad(name, e && e.message ? e.message.split('\n').slice(0, lines).join('\n') : e);
    }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
async function expecting(patterns, fn) {
    expected = patterns;
    try { await fn(); } finally { expected = []; }
}
function unexpected(kind, text) {
    if (expected.some((re) => re.test(text))) return;
    pageErrors.push(`${kind} (${step}): ${text}`);
}
function watch(page) {
    page.on('console', (m) => { if (m.type() === 'error') unexpected('console error', m.text()); });
    page.on('pageerror', (e) => unexpected('page error', (e && e.message) || String(e)));
}
// The last check (no unexpected errors in any step), then the exit status.
async function finish(browser, label = 'no console errors') {
    if (pageErrors.length) bad(label, pageErrors.join('\n'));
    else ok(label);
    await browser.close();
    process.exit(failed ? 1 : 0);
}
function crashed(e) {
    bad('the browser run', e && e.stack);
    process.exit(1);
}

module.exports = { ok, bad, check, assert, expecting, watch, finish, crashed };
