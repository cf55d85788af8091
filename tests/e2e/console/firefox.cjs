// test_console_firefox.sh's browser half: drives Debian's firefox-esr
// headless over WebDriver BiDi with puppeteer-core (Playwright needs its
// own patched Firefox) through the console as an operator would. Prints
// one "ok NAME" or "FAIL NAME" line per check. Any console error, uncaught
// page error or Content-Security-Policy violation that a step did not
// provoke on purpose fails the run.
const puppeteer = require('puppeteer-core');
const path = require('path');
const { check, assert, expecting, watch, finish, crashed } = require('./steps.cjs');

const env = process.env;
const URL = env.CONSOLE_URL;
const SHOTS = env.SHOTS;
const T = 60000; // generous: two shared cores, ASan, ctest -j
const basicAdmin = 'Basic ' + Buffer.from('admin:' + env.ADMIN_PW).toString('base64');
// Firefox reports a CSP violation as a page error; the page logs each one
// as a console error too, naming the directive and the source line.
const REPORT_CSP = () => {
    document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
};

// every page: the shared error watch, and CSP violations logged
async function watchAll(page) {
    watch(page);
    await page.evaluateOnNewDocument(REPORT_CSP);
}
async function shot(page, name) {
    await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}
// Waits until an element matches (or, gone, none does). puppeteer's
// waitForSelector sometimes misses an SVG element that a pointer drag
// added in Firefox; querying the document from a polled function does not.
async function present(page, sel, gone = false) {
    await page.waitForFunction((s, g) => !document.querySelector(s) === g, { polling: 100 }, sel, gone);
}
const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const count = (page, sel) => page.$$eval(sel, (l) => l.length);
const value = (page, sel) => page.$eval(sel, (e) => e.value);

// Types into a field as a user would: focus, select what is there, type.
async function fill(page, sel, s) {
    await page.waitForSelector(sel);
    await page.focus(sel);
    await page.$eval(sel, (e) => e.select());
    // typing replaces the selection (a field may not stay empty between)
    if (s) await page.keyboard.type(s);
    else await page.keyboard.press('Backspace');
    const v = await value(page, sel);
    assert(v === s, `${sel} holds ${JSON.stringify(v)} after typing ${JSON.stringify(s)}`);
}
// Routes live in the fragment: change it as a link would.
async function go(page, hash) {
    await page.evaluate((h) => { location.hash = h; }, hash);
}
// Activates a control from the keyboard: focus it, press a key.
async function press(page, sel, key = 'Enter') {
    await page.waitForSelector(sel);
    // page.focus() wants an HTMLElement; the diagram's boxes are SVG
    await page.$eval(sel, (e) => e.focus());
    assert(await page.$eval(sel, (e) => e === document.activeElement), sel + ' cannot take the focus');
    await page.keyboard.press(key);
}
async function login(page) {
    await page.goto(URL);
    await fill(page, 'input[name=user]', 'admin');
    await fill(page, 'input[name=password]', env.ADMIN_PW);
    await page.click('button[type=submit]');
    await page.waitForSelector('.tiles', { timeout: T });
}
async function openRunbook(page, folder, name) {
    await go(page, '#/runbooks');
    await page.waitForSelector('.tree .folder');
    const find = () => page.$$eval('a.runbook-link', (l, n) => l.findIndex((a) => a.textContent === n), name);
    if ((await find()) < 0) await page.click(`.tree .folder::-p-text(${folder})`);
    await page.waitForFunction((n) => [...document.querySelectorAll('a.runbook-link')].some((a) => a.textContent === n), {}, name);
    const i = await find();
    await (await page.$$('a.runbook-link'))[i].click();
    await page.waitForFunction((n) => {
        const h = document.querySelector('.runbook-detail h1');
        return h && h.textContent === n && document.querySelector('svg.diagram g.node');
    }, {}, name);
}
// The job page's status, as the title row shows it.
const jobStatus = (page) => page.$eval('.title-row .status', (e) => e.textContent).catch(() => null);

(async () => {
    const browser = await puppeteer.launch({
        browser: 'firefox',
        executablePath: env.FIREFOX || '/usr/bin/firefox-esr',
        headless: true,
        // Firefox may take long to start on a loaded machine (30 s default)
        timeout: 180000,
        protocolTimeout: 180000,
    });
    console.log(`     (${await browser.version()} over WebDriver BiDi)`);
    const page = await browser.newPage();
    await watchAll(page);
    page.setDefaultTimeout(T);
    await page.setViewport({ width: 1280, height: 720 });

    await check('firefox: a wrong password is refused on the login form', async () => {
        await expecting([/401/], async () => {
            await page.goto(URL);
            await fill(page, 'input[name=password]', 'not-the-password');
            await page.click('button[type=submit]');
            await page.waitForSelector('.error::-p-text(Wrong user name or password)');
        });
        await shot(page, 'firefox-login');
    });

    await check('firefox: logs in and shows the home page with its chart', async () => {
        await login(page);
        await page.waitForSelector('.chart canvas');
        const user = await text(page, '.topbar .user');
        assert(user.includes('admin'), 'user shown: ' + user);
    });

    const html = '<img src=x onerror="window.__xss=1"><b id="xss">bold</b> & "quotes"';
    let jobHash = null;
    await check('firefox: browses to a runbook and sees its diagram with labelled links', async () => {
        await openRunbook(page, 'Console', 'Echo');
        assert(await count(page, 'svg.diagram g.node') === 3, 'the diagram should have 3 activities');
        assert(await count(page, 'svg.diagram g.link') === 2, 'the diagram should have 2 links');
        const label = await text(page, 'svg.diagram .link-label');
        assert(label.includes('{echo.exit_code}'), 'link label: ' + label);
        // the boxes have room: dagre placed them apart, inside the drawing
        const boxes = await page.$$eval('svg.diagram g.node rect', (l) => l.map((r) => r.getBoundingClientRect().toJSON()));
        for (let i = 1; i < boxes.length; i++)
            assert(boxes[i].left >= boxes[i - 1].right, 'boxes overlap: ' + JSON.stringify(boxes));
        // an activity's properties, opened from the keyboard
        await press(page, 'svg.diagram g.node[data-activity=echo]');
        await page.waitForSelector('.activity-props td.cell::-p-text({start.text})');
    });

    await check('firefox: starts it with parameters from the generated form', async () => {
        assert(await count(page, 'select[name=mode]') === 1, 'allowed values should be a select');
        assert(await value(page, 'input[name=count][type=number]') === '2', 'integer default');
        assert(await page.$eval('input[name=text]', (e) => e.required), 'text should be required');
        await fill(page, 'input[name=text]', html);
        await fill(page, 'input[name=count]', '5');
        await page.select('select[name=mode]', 'loud');
        await shot(page, 'firefox-runbook');
        await page.click('form.start-form button[type=submit]');
        await page.waitForFunction(() => /#\/jobs\/\d+$/.test(location.hash));
        jobHash = await page.evaluate(() => location.hash);
    });

    await check('firefox: sees the job complete over its event stream', async () => {
        await page.waitForSelector('.title-row .status-completed', { timeout: 120000 });
        // "finished" is set by the stream's end event only, never by a GET
        await page.waitForSelector('.title-row .live-ended');
        const params = await text(page, '.summary td.cell');
        assert(params.includes('count = 5') && params.includes('mode = loud'), 'parameters shown: ' + params);
        assert(await count(page, 'svg.diagram g.node-success[data-activity=echo]') === 1, 'echo not coloured success');
    });

    await check('firefox: opens an activity instance: published data, stdout, timings', async () => {
        await page.click('button[data-act=echo]');
        await page.waitForSelector('.activity-detail');
        const detail = await text(page, '.activity-detail');
        assert(detail.includes('exit_code'), 'no exit_code field');
        assert(detail.includes('Duration'), 'no timings');
        assert(await count(page, '.activity-detail pre.output') >= 1, 'no stdout shown');
        await shot(page, 'firefox-job');
    });

    await check('firefox: HTML in published data is shown as text, never run', async () => {
        const cells = await page.$$eval('.activity-detail td.cell', (l) => l.map((c) => c.textContent));
        assert(cells.some((c) => c.includes('<b id="xss">bold</b>')), 'the markup is not shown literally: ' + cells.join(' | '));
        const out = await text(page, '.activity-detail pre.output');
        assert(out.includes('<img src=x onerror='), 'stdout not literal: ' + out);
        assert(await count(page, '#xss') === 0, 'a <b> element was created from data');
        assert(await count(page, '.activity-detail img') === 0, 'an <img> was created from data');
        assert(await page.evaluate(() => window.__xss === undefined), 'the onerror handler ran');
    });

    await check('firefox: a running job turns completed live, without a reload', async () => {
        await openRunbook(page, 'Console', 'Sleep');
        await fill(page, 'input[name=seconds]', '3');
        // a reload would clear this mark: it must survive to the end
        await page.evaluate(() => { window.__sameDocument = true; });
        await page.click('form.start-form button[type=submit]');
        await page.waitForFunction(() => /#\/jobs\/\d+$/.test(location.hash));
        await page.waitForSelector('.title-row .status-running', { timeout: 120000 });
        await page.waitForSelector('.title-row .live-live');
        await page.waitForSelector('.title-row .status-completed', { timeout: 120000 });
        await page.waitForSelector('.title-row .live-ended');
        assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
        assert((await text(page, '.summary td.cell')).includes('seconds = 3'), 'parameters');
    });

    await check('firefox: stops a running job', async () => {
        await openRunbook(page, 'Console', 'Sleep');
        await page.click('form.start-form button[type=submit]');
        await page.waitForFunction(() => /#\/jobs\/\d+$/.test(location.hash));
        await page.waitForSelector('.title-row .status-running', { timeout: 120000 });
        await page.click('.title-row button.danger');
        await page.waitForSelector('.title-row .status-canceled', { timeout: 120000 });
    });

    await check('firefox: an event arrives live over the event stream, markup as text', async () => {
        await go(page, '#/events');
        // the list is loaded (rows or "No events."): what comes after
        // this can only arrive over the stream
        await page.waitForSelector('table.events tbody tr');
        await page.evaluate(() => { window.__sameDocument = true; });
        const summary = '<i id="evxss">live</i> from Firefox';
        const r = await fetch(env.WEB_URL + '/api/jobs', {
            method: 'POST',
            headers: { Authorization: 'Basic ' + Buffer.from('admin:' + env.ADMIN_PW).toString('base64'), 'Content-Type': 'application/json' },
            body: JSON.stringify({ runbook: '/Console/Notify', parameters: { summary } }),
        });
        assert(r.status === 201, `starting Notify: HTTP ${r.status} ${await r.text()}`);
        await page.waitForFunction((s) => [...document.querySelectorAll('table.events td.cell')].some((td) => td.textContent.includes(s)),
            { timeout: 120000 }, summary);
        assert(await count(page, '#evxss') === 0, 'an <i> element was created from the event');
        assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
        const sev = await page.$$eval('table.events tbody tr', (l, s) => l.filter((tr) => tr.textContent.includes(s)).map((tr) => tr.className), summary);
        assert(sev.length === 1 && sev[0].includes('sev-warning'), 'row classes: ' + sev.join(','));
    });

    let designedId = null;
    await check('firefox: designer builds a two-activity runbook from the keyboard', async () => {
        await go(page, '#/design');
        await page.waitForSelector('.palette-item[data-type=run-program]');
        const [pw, psw] = await page.$eval('.palette', (p) => [p.clientWidth, p.scrollWidth]);
        assert(psw <= pw, `the palette scrolls sideways: ${psw} px of content in ${pw} px`);
        await fill(page, '#rb-name', 'Firefox two step');
        await fill(page, '#rb-folder', '/Console');
        await press(page, '.inspector button::-p-text(Add parameter)');
        await fill(page, 'input[name=param-name-0]', 'who');
        // Enter on a palette item adds the activity and selects it;
        // Delete removes the selected box
        await press(page, '.palette-item[data-type=junction]');
        await present(page, 'g.node[data-activity=junction]');
        await press(page, 'g.node[data-activity=junction]');
        await page.keyboard.press('Delete');
        await present(page, 'g.node[data-activity=junction]', true);
        // Enter on a palette item adds the box and gives it the focus;
        // arrow keys move it
        await press(page, '.palette-item[data-type=run-program]');
        await present(page, 'g.node[data-activity=run_program]');
        await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('data-activity') === 'run_program');
        const at = () => page.$eval('g.node[data-activity=run_program]', (g) => g.getAttribute('transform'));
        const before = await at();
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        const after = await at();
        assert(before !== after, 'ArrowDown did not move the box: ' + after);
        // link start -> run_program with keys only: select start, L jumps
        // to "Link to", arrows choose, Tab to "Add link", Enter
        await press(page, 'g.node[data-activity=start]');
        await page.keyboard.press('l');
        await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'link-to');
        for (let i = 0; i < 10 && (await value(page, '#link-to')) !== 'run_program'; i++) await page.keyboard.press('ArrowDown');
        assert((await value(page, '#link-to')) === 'run_program', 'the keyboard could not choose run_program');
        await page.keyboard.press('Tab');
        assert(await page.evaluate(() => document.activeElement.textContent) === 'Add link', 'Tab after "Link to" is not "Add link"');
        await page.keyboard.press('Enter');
        await present(page, 'g.link[data-link="start->run_program"]');
        assert(await count(page, '.inspector[aria-label="link properties"]') === 1, 'the new link is not selected');
        // run_program's properties and the data picker
        await press(page, 'g.node[data-activity=run_program]');
        await fill(page, 'textarea[name=command]', 'echo');
        await fill(page, '#act-timeout', '30s');
        await fill(page, 'textarea[name=args]', 'hi ');
        await press(page, 'button[data-ref="{start.who}"]');
        await page.waitForFunction(() => document.querySelector('textarea[name=args]').value === 'hi {start.who}');
        await press(page, '.palette-item[data-type=return-data]');
        await present(page, 'g.node[data-activity=return_data]');
        await press(page, 'g.node[data-activity=run_program]');
        await page.select('select[aria-label="link to"]', 'return_data');
        await press(page, 'button::-p-text(Add link)');
        await present(page, 'g.link[data-link="run_program->return_data"]');
        // the new link is selected: a condition on it
        await fill(page, '#link-when', '{run_program.exit_code} == 0');
        await press(page, 'g.node[data-activity=return_data]');
        await fill(page, '#new-prop', 'message');
        await press(page, '#new-prop + button');
        await press(page, 'button[data-ref="{run_program.stdout}"]');
        await page.waitForFunction(() => (document.querySelector('textarea[name=message]') || {}).value === '{run_program.stdout}');
        const yaml = await text(page, 'pre.yaml');
        assert(yaml.includes('timeout: 30s'), 'no timeout in the YAML');
        assert(yaml.includes('name: Firefox two step') && yaml.includes('folder: /Console') &&
            yaml.includes('when: \'{run_program.exit_code} == 0\''), 'YAML: ' + yaml);
        await page.evaluate(() => scrollTo(0, 0)); // the picker's focus scrolled down
        await shot(page, 'firefox-designer');
    });

    await check('firefox: designer draws a link with the pointer', async () => {
        // a junction to link to, then a drag from run_program's port to it
        await press(page, '.palette-item[data-type=junction]');
        await present(page, 'g.node[data-activity=junction]');
        // the new box may start a row below the window: bring it in
        await page.$eval('g.node[data-activity=junction]', (g) => g.scrollIntoView({ block: 'center' }));
        const port = await (await page.$('g.node[data-activity=run_program] circle.port')).boundingBox();
        const target = await (await page.$('g.node[data-activity=junction] rect')).boundingBox();
        const vh = await page.evaluate(() => innerHeight);
        assert(port.y > 0 && target.y + target.height < vh, `port at ${port.y}, box at ${target.y}, window ${vh} high`);
        await page.mouse.move(port.x + port.width / 2, port.y + port.height / 2);
        await page.mouse.down();
        for (let i = 1; i <= 8; i++)
            await page.mouse.move(port.x + (target.x + 40 - port.x) * i / 8, port.y + (target.y + 20 - port.y) * i / 8);
        await page.mouse.up();
        await present(page, 'g.link[data-link="run_program->junction"]');
        // the link just drawn is selected; a click on a box and back on the
        // link selects it again; gone again from its inspector
        await page.waitForSelector('.inspector h3::-p-text(Link run_program → junction)');
        await page.click('g.node[data-activity=run_program] rect');
        await page.click('g.link[data-link="run_program->junction"] path.link-hit');
        await page.waitForSelector('.inspector h3::-p-text(Link run_program → junction)');
        await page.click('.inspector button::-p-text(Delete link)');
        await present(page, 'g.link[data-link="run_program->junction"]', true);
        await press(page, 'g.node[data-activity=junction]');
        await page.keyboard.press('Delete');
        await present(page, 'g.node[data-activity=junction]', true);
    });

    await check('firefox: designer checks the runbook in through the management server', async () => {
        await fill(page, 'input[name=comment]', 'built in Firefox');
        await page.click('button::-p-text(Check in)');
        await page.waitForFunction(() => document.querySelector('.designer-page .error') ||
            /\/Console\/Firefox two step/.test((document.querySelector('.designer-page h1') || {}).textContent));
        if (await count(page, '.designer-page .error'))
            throw new Error('check-in refused: ' + await text(page, '.designer-page .error'));
        designedId = (await page.evaluate(() => location.hash)).match(/design\/(\d+)/)[1];
        await page.waitForSelector('.designer-page ::-p-text(checked in)');
    });

    await check('firefox: runs the runbook it designed', async () => {
        await page.click('a::-p-text(Open to run)');
        await page.waitForSelector('input[name=who]');
        await fill(page, 'input[name=who]', 'firefox');
        await page.click('form.start-form button[type=submit]');
        await page.waitForFunction(() => /#\/jobs\/\d+$/.test(location.hash));
        await page.waitForSelector('.title-row .status-completed', { timeout: 120000 });
        const ret = await text(page, '[data-returned]');
        assert(ret.includes('message = hi firefox'), 'returned: ' + ret);
    });

    await check('firefox: the home page counts the jobs (four completed, one canceled) and charts them', async () => {
        await go(page, '#/');
        await page.waitForFunction(() => (document.querySelector('[data-count=completed]') || {}).textContent === '4' &&
            (document.querySelector('[data-count=canceled]') || {}).textContent === '1');
        // the completed jobs are drawn: the chart has pixels of their
        // green (#2e9d57, 80 % opaque)
        const green = await page.$eval('.chart canvas', (c) => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4)
                if (d[i + 3] && d[i + 1] > d[i] + 50 && d[i + 1] > d[i + 2] + 40) n++;
            return n;
        });
        assert(green > 50, `the chart shows no completed jobs (${green} green pixels)`);
    });

    await check('firefox: a narrow window folds the navigation into a menu', async () => {
        await page.setViewport({ width: 420, height: 800 });
        await go(page, jobHash);
        await page.waitForSelector('.title-row .status-completed');
        assert(await page.$eval('nav#nav', (n) => getComputedStyle(n).display) === 'none', 'navigation shown before the menu opens');
        await page.click('.menu-toggle');
        await page.waitForSelector('nav.open a::-p-text(Jobs)', { visible: true });
        // nothing wider than the window: no sideways scrolling
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(wide <= 420, `the page is ${wide} px wide in a 420 px window`);
        await shot(page, 'firefox-narrow');
        await page.click('nav.open a::-p-text(Jobs)');
        await page.waitForSelector('table.jobs tbody tr');
        assert(!(await count(page, 'nav.open')), 'the menu stays open after choosing');
        await page.setViewport({ width: 1280, height: 720 });
    });

    await check('firefox: the designed runbook is listed in its folder', async () => {
        await openRunbook(page, 'Console', 'Firefox two step');
        assert(await count(page, 'svg.diagram g.node') === 3, 'the diagram should have 3 activities');
        assert(designedId && (await page.evaluate(() => location.hash)).endsWith('/' + designedId), 'id ' + designedId);
    });

    await check('firefox: designer: checked out, changed, checked in again; history and diff', async () => {
        await go(page, '#/design/' + designedId);
        await page.waitForSelector('button::-p-text(Check out)');
        await page.click('button::-p-text(Check out)');
        await page.waitForSelector('.designer-page ::-p-text(checked out by admin)');
        await fill(page, '#rb-description', 'described in Firefox');
        await fill(page, 'input[name=comment]', 'second version from Firefox');
        await page.click('button::-p-text(Check in)');
        await page.waitForSelector('.notice::-p-text(version 2)');
        await page.click('button::-p-text(History)');
        await page.waitForSelector('.history td::-p-text(second version from Firefox)');
        const rows = await page.$$eval('.history tbody tr', (l) => l.map((tr) => tr.textContent));
        assert(rows.length === 2 && rows.some((r) => r.includes('built in Firefox')), 'history: ' + rows.join(' | '));
        await page.click('.history button::-p-text(Diff to latest)');
        await page.waitForSelector('table.diff td::-p-text(described in Firefox)');
        await shot(page, 'firefox-history');
    });

    await check('firefox: administration: a user added, a right granted on a folder', async () => {
        await go(page, '#/admin/users');
        await page.waitForSelector('table.users tr[data-user=admin]');
        await fill(page, 'input[name=new-user]', 'frank');
        await fill(page, 'input[name=new-password]', 'frank-password-1');
        await page.keyboard.press('Enter'); // submits the form
        await page.waitForSelector('table.users tr[data-user=frank]');
        await page.waitForSelector('.notice::-p-text(User frank added)');
        await page.click('.tabs a::-p-text(Folder permissions)');
        await page.waitForSelector('select[name=perm-folder] option[value="/Console"]');
        await page.select('select[name=perm-folder]', '/Console');
        await page.select('select[name=grant-kind]', 'user');
        await page.waitForSelector('select[name=grant-name] option[value=frank]');
        await page.select('select[name=grant-name]', 'frank');
        for (const r of ['view', 'start'])
            if (!(await page.$eval(`input[name=right-${r}]`, (e) => e.checked))) await page.click(`input[name=right-${r}]`);
        await page.click('form button[type=submit]::-p-text(Grant)');
        await page.waitForFunction(() => {
            const tr = document.querySelector('table.perms-direct tr[data-principal="user:frank"]');
            return tr && tr.textContent.includes('view, start');
        });
        await shot(page, 'firefox-admin');
        // the web service agrees
        const r = await fetch(env.WEB_URL + '/api/permissions?folder=%2FConsole', { headers: { Authorization: basicAdmin } });
        const doc = await r.json();
        assert(doc.items.some((p) => p.user === 'frank' && p.rights.join() === 'view,start'), JSON.stringify(doc));
    });

    await check('firefox: API tokens: one made, its secret shown once, used, revoked, then refused', async () => {
        await page.click('.topbar .user a::-p-text(API tokens)');
        await page.waitForSelector('form[aria-label="create a token"]');
        await fill(page, 'input[name=token-name]', 'firefox <i>ci</i>');
        await fill(page, 'input[name=token-days]', '7');
        await press(page, 'form[aria-label="create a token"] button[type=submit]');
        await page.waitForSelector('.secret ::-p-text(it will not be shown again)');
        const secret = await value(page, 'input[name=token-secret]');
        assert(/^baton_[A-Za-z0-9_-]{43}$/.test(secret), 'secret: ' + secret);
        assert(await page.evaluate(() => document.activeElement.name) === 'token-secret', 'the secret does not have the focus');
        await page.click('.secret button::-p-text(Copy)');
        await page.waitForSelector('.secret [role=status]');
        await shot(page, 'firefox-tokens');
        // narrow: the secret's field and its button fit, nothing wider
        await page.setViewport({ width: 420, height: 800 });
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        const field = await page.$eval('input[name=token-secret]', (e) => e.getBoundingClientRect().right);
        assert(wide <= 420 && field <= 420, `the page is ${wide} px wide, the secret's field ends at ${field} px in a 420 px window`);
        await shot(page, 'firefox-tokens-narrow');
        await page.setViewport({ width: 1280, height: 720 });
        const use = (path) => fetch(env.WEB_URL + path, { headers: { Authorization: 'Bearer ' + secret } });
        let r = await use('/api/me');
        const me = r.ok ? await r.json() : {};
        assert(r.status === 200 && me.name === 'admin', `GET /api/me with the token: ${r.status} ${JSON.stringify(me)}`);
        r = await use('/api/jobs');
        assert(r.status === 200, 'GET /api/jobs with the token: HTTP ' + r.status);
        await press(page, '.secret button::-p-text(I have saved it)');
        await present(page, '.secret', true);
        const inPage = await page.evaluate(() => document.documentElement.outerHTML +
            [...document.querySelectorAll('input')].map((i) => i.value).join('\n'));
        assert(!inPage.includes(secret), 'the secret is still in the page');
        // listed, used (the list read again), its name as text
        await go(page, '#/');
        await go(page, '#/tokens');
        await page.waitForSelector('table.tokens td.cell::-p-text(firefox <i>ci</i>)');
        assert(await count(page, 'table.tokens i') === 0, 'markup in the name made an element');
        const used = await page.$eval('table.tokens td[data-label="Last used"]', (td) => td.textContent);
        assert(used !== 'never', 'last used: ' + used);
        await page.setViewport({ width: 420, height: 800 });
        const listWide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(listWide <= 420, `the list is ${listWide} px wide in a 420 px window`);
        await page.setViewport({ width: 1280, height: 720 });
        // revoked after a confirmation, then refused
        await press(page, 'table.tokens button::-p-text(Revoke)');
        await page.waitForSelector('table.tokens .confirm');
        await page.click('table.tokens button::-p-text(Yes, revoke)');
        await page.waitForSelector('[data-empty]');
        r = await use('/api/me');
        assert(r.status === 401, 'the revoked token: HTTP ' + r.status);
    });

    await check('firefox: a web service that is down is said plainly, on the login form and in the console', async () => {
        const p = await browser.newPage();
        try {
            await watchAll(p);
            // what reaches the page's own handlers: nothing may go uncaught
            await p.evaluateOnNewDocument(() => {
                window.__uncaught = [];
                addEventListener('error', (e) => window.__uncaught.push(String(e.message)));
                addEventListener('unhandledrejection', (e) => window.__uncaught.push(String(e.reason)));
            });
            p.setDefaultTimeout(T);
            // Firefox reports each refused connection as an error of the
            // page (a network failure, not a script's): expected here only
            await expecting([/CORS request did not succeed|NetworkError/], async () => {
                await p.goto(env.DOWN_URL);
                await fill(p, 'input[name=password]', 'whatever');
                await p.click('button[type=submit]');
                await p.waitForSelector('.login .error::-p-text(does not answer)');
                const msg = await text(p, '.login .error');
                assert(msg.includes(env.DEAD_URL), 'the message does not name the web service: ' + msg);
                assert(!(await p.evaluate(() => window.__uncaught)).length, 'uncaught on the login form');
                // a session open when the service goes away: the banner, and
                // the page's own error with a retry
                await p.evaluate(() => sessionStorage.setItem('baton.auth',
                    JSON.stringify({ credentials: 'Basic ' + btoa('admin:gone'), user: 'admin' })));
                await p.reload();
                await p.waitForSelector('.banner::-p-text(does not answer)');
                await p.waitForSelector('main.content .error ::-p-text(Retry)');
                await shot(p, 'firefox-down');
                await go(p, '#/jobs');
                await p.waitForSelector('main.content .error');
                const uncaught = await p.evaluate(() => window.__uncaught);
                assert(!uncaught.length, 'uncaught: ' + uncaught.join('; '));
            });
        } finally {
            await p.close();
        }
    });

    await check('firefox: an expired session returns to the login form and says why', async () => {
        await expecting([/401/], async () => {
            await page.evaluate(() => sessionStorage.setItem('baton.auth',
                JSON.stringify({ credentials: 'Basic ' + btoa('admin:expired'), user: 'admin' })));
            await go(page, '#/jobs');
            await page.reload();
            await page.waitForSelector('.login .error::-p-text(expired)');
            // the page's other requests with the stale credentials may
            // still answer 401 meanwhile
            await login(page);
        });
    });

    await finish(browser, 'firefox: no console errors');
})().catch(crashed);
