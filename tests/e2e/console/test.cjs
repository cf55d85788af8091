// test_console.sh's browser half: drives Debian's chromium with
// playwright-core through the console as an operator would. Prints one
// "ok NAME" or "FAIL NAME" line per check. Any console error or uncaught
// page error that a step did not expect fails the run.
const { chromium } = require('playwright-core');
const path = require('path');
const { check, assert, expecting, watch, finish, crashed } = require('./steps.cjs');

const env = process.env;
const URL = env.CONSOLE_URL;
const SHOTS = env.SHOTS;
const T = 60000; // generous: two shared cores, ASan, ctest -j
async function shot(page, name) {
    await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}
async function login(page) {
    await page.goto(URL);
    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', env.ADMIN_PW);
    await page.click('button[type=submit]');
    await page.waitForSelector('.tiles', { timeout: T });
}
async function openRunbook(page, folder, name) {
    await page.goto(URL + '#/runbooks');
    await page.waitForSelector('.tree .folder', { timeout: T });
    const link = page.locator('a.runbook-link', { hasText: name });
    if (!(await link.count())) await page.click(`.tree .folder:has-text("${folder}")`);
    await link.first().click();
    await page.waitForSelector('svg.diagram', { timeout: T });
}

(async () => {
    const browser = await chromium.launch({ executablePath: env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    watch(page);
    page.setDefaultTimeout(T);

    await check('a wrong password is refused on the login form', async () => {
        await expecting([/status of 401/], async () => {
            await page.goto(URL);
            await page.fill('input[name=password]', 'not-the-password');
            await page.click('button[type=submit]');
            await page.waitForSelector('.error:has-text("Wrong user name or password")');
        });
        await shot(page, 'login');
    });

    await check('logs in and shows the home page with job counts', async () => {
        await login(page);
        assert(await page.locator('.chart canvas').count() > 0, 'no chart');
    });

    const html = '<img src=x onerror="window.__xss=1"><b id="xss">bold</b> & "quotes"';
    let jobUrl = null;
    await check('starts a runbook with parameters from its Initialize Data form', async () => {
        await openRunbook(page, 'Console', 'Echo');
        assert(await page.locator('svg.diagram g.node').count() === 3, 'the diagram should have 3 activities');
        assert(await page.locator('select[name=mode]').count() === 1, 'allowed values should be a select');
        assert(await page.locator('input[name=count][type=number]').inputValue() === '2', 'integer default');
        await page.fill('input[name=text]', html);
        await page.fill('input[name=count]', '5');
        await page.selectOption('select[name=mode]', 'loud');
        await shot(page, 'runbook');
        await page.click('button:has-text("Start")');
        await page.waitForURL(/#\/jobs\/\d+/);
        jobUrl = page.url();
    });

    await check('sees the job complete live', async () => {
        await page.waitForSelector('.title-row .status-completed', { timeout: 120000 });
        await page.waitForSelector('text=finished');
        const params = await page.locator('.summary td.cell').first().textContent();
        assert(params.includes('count = 5') && params.includes('mode = loud'), 'parameters shown: ' + params);
        assert(await page.locator('svg.diagram g.node-success[data-activity=echo]').count() === 1, 'echo not coloured success');
    });

    await check('opens an activity instance: published data, stdout, timings', async () => {
        await page.click('button[data-act=echo]');
        await page.waitForSelector('.activity-detail');
        const detail = await page.locator('.activity-detail').textContent();
        assert(detail.includes('exit_code'), 'no exit_code field');
        assert(detail.includes('Duration'), 'no timings');
        assert(await page.locator('.activity-detail pre.output').count() >= 1, 'no stdout shown');
        await shot(page, 'job');
    });

    await check('HTML in published data is shown as text, never run', async () => {
        const cells = await page.locator('.activity-detail td.cell').allTextContents();
        assert(cells.some((c) => c.includes('<b id="xss">bold</b>')), 'the markup is not shown literally: ' + cells.join(' | '));
        assert(await page.locator('#xss').count() === 0, 'a <b> element was created from data');
        assert(await page.locator('.activity-detail img').count() === 0, 'an <img> was created from data');
        assert(await page.evaluate(() => window.__xss === undefined), 'the onerror handler ran');
    });

    await check('stops a running job', async () => {
        await openRunbook(page, 'Console', 'Sleep');
        await page.click('button:has-text("Start")');
        await page.waitForURL(/#\/jobs\/\d+/);
        await page.waitForSelector('.title-row .status-running', { timeout: 120000 });
        await page.click('button:has-text("Stop")');
        await page.waitForSelector('.title-row .status-canceled', { timeout: 120000 });
    });

    await check('the job list filters by status and pages', async () => {
        await page.goto(URL + '#/jobs?status=completed');
        await page.waitForSelector('table.jobs tbody tr');
        const statuses = await page.locator('table.jobs tbody .status').allTextContents();
        assert(statuses.length >= 1 && statuses.every((s) => s === 'completed'), 'statuses: ' + statuses.join(','));
        await page.goto(URL + '#/jobs');
        await page.waitForSelector('table.jobs tbody tr >> text=canceled');
        assert(await page.locator('.pager button:has-text("Older")').isDisabled(), 'one page only');
        await shot(page, 'jobs');
    });

    await check('the home page counts the jobs', async () => {
        await page.goto(URL + '#/');
        await page.waitForSelector('[data-count=completed]:text("1")');
        await page.waitForSelector('[data-count=canceled]:text("1")');
        await shot(page, 'home');
    });

    await check('runbook servers with status and load', async () => {
        await page.goto(URL + '#/servers');
        await page.waitForSelector('table.servers td:text("rb-console")');
        assert(await page.locator('table.servers .status-up').count() === 1, 'the server is not up');
        await shot(page, 'servers');
    });

    await check('events: a platform event\'s row with its message', async () => {
        // a runbook that sends one, run now: a real row must show, not
        // just the table's "No events." row
        const auth = 'Basic ' + Buffer.from('admin:' + env.ADMIN_PW).toString('base64');
        const headers = { Authorization: auth, 'Content-Type': 'application/json' };
        const yaml = ['name: Notify', 'folder: /Console', 'parameters:',
            '  - {name: summary, type: string, required: true}', 'activities:',
            '  - {id: start, type: initialize-data}',
            '  - {id: tell, type: send-platform-event, properties: {summary: "{start.summary}", severity: warning}}',
            'links:', '  - {from: start, to: tell}', ''].join('\n');
        let r = await fetch(env.MGMT_URL + '/api/runbook/checkin', { method: 'POST', headers, body: JSON.stringify({ yaml, comment: 'sends an event' }) });
        assert(r.status === 201, `checking Notify in: HTTP ${r.status} ${await r.text()}`);
        const summary = 'event from test_console <b>as text</b>';
        r = await fetch(env.WEB_URL + '/api/jobs', { method: 'POST', headers, body: JSON.stringify({ runbook: '/Console/Notify', parameters: { summary } }) });
        assert(r.status === 201, `starting Notify: HTTP ${r.status} ${await r.text()}`);
        await page.goto(URL + '#/events');
        await page.waitForFunction((s) => [...document.querySelectorAll('table.events tbody tr')].some((tr) =>
            tr.classList.contains('sev-warning') && [...tr.querySelectorAll('td.cell')].some((td) => td.textContent.includes(s))),
        summary, { timeout: 120000 });
        assert(!(await page.locator('table.events td:text("No events.")').count()), 'the empty row is shown beside the event');
        assert(!(await page.locator('table.events td.cell b').count()), 'markup in the event made an element');
    });

    await check('global variables: text shown as typed, encrypted values never', async () => {
        await page.goto(URL + '#/globals');
        await page.waitForSelector('table.variables td:text("greeting")');
        const cells = await page.locator('table.variables td.cell').allTextContents();
        assert(cells.includes('<b>hi</b>'), 'cells: ' + cells.join(' | '));
        assert(cells.includes('(encrypted)'), 'cells: ' + cells.join(' | '));
        assert(!(await page.content()).includes('s3cret-value'), 'the encrypted value reached the page');
    });

    await check('a narrow screen gets a menu', async () => {
        await page.setViewportSize({ width: 420, height: 800 });
        await page.goto(jobUrl);
        await page.waitForSelector('.title-row .status-completed');
        await page.click('.menu-toggle');
        await page.waitForSelector('nav.open a:text("Jobs")');
        await shot(page, 'narrow');
        await page.setViewportSize({ width: 1280, height: 720 });
    });

    await check('an expired session returns to the login form and says why', async () => {
        await expecting([/status of 401/], async () => {
            await page.evaluate(() => sessionStorage.setItem('baton.auth', JSON.stringify({ credentials: 'Basic ' + btoa('admin:expired'), user: 'admin' })));
            await page.goto(URL + '#/jobs');
            await page.reload();
            await page.waitForSelector('.login .error:has-text("expired")');
            // the page's other requests with the stale credentials may
            // still answer 401 meanwhile
            await login(page);
        });
    });

    await check('a web service that is down is named on the login form', async () => {
        const p2 = await browser.newPage();
        const errs = [];
        p2.on('pageerror', (e) => errs.push(e.message));
        await p2.goto(env.DOWN_URL);
        await p2.fill('input[name=password]', 'whatever');
        await p2.click('button[type=submit]');
        await p2.waitForSelector('.error:has-text("does not answer")');
        assert(errs.length === 0, 'page errors: ' + errs.join('; '));
        await p2.close();
    });

    let designedId = null;
    await check('designer: builds a two-activity runbook from the palette with a drawn link', async () => {
        await page.goto(URL + '#/design');
        await page.waitForSelector('.palette-item[data-type=run-program]');
        await page.fill('#rb-name', 'Two step');
        await page.fill('#rb-folder', '/Console');
        await page.click('button:has-text("Add parameter")');
        await page.fill('input[name=param-name-0]', 'who');
        // a click on the palette adds an activity (the keyboard way), and
        // Delete removes the selected one
        await page.click('.palette-item[data-type=junction]');
        await page.click('g.node[data-activity=junction] rect');
        await page.keyboard.press('Delete');
        await page.waitForSelector('g.node[data-activity=junction]', { state: 'detached' });
        await page.click('.palette-item[data-type=run-program]');
        await page.waitForSelector('g.node[data-activity=run_program]');
        // arrow keys move the selected box
        const before = await page.locator('g.node[data-activity=run_program]').getAttribute('transform');
        await page.click('g.node[data-activity=run_program] rect');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        const after = await page.locator('g.node[data-activity=run_program]').getAttribute('transform');
        assert(before !== after, 'ArrowDown did not move the box: ' + after);
        // draw the link start -> run_program: drag from start's port
        const port = page.locator('g.node[data-activity=start] circle.port');
        const pb = await port.boundingBox();
        const tb = await page.locator('g.node[data-activity=run_program] rect').boundingBox();
        await page.mouse.move(pb.x + pb.width / 2, pb.y + pb.height / 2);
        await page.mouse.down();
        await page.mouse.move(tb.x + 40, tb.y + 20, { steps: 8 });
        await page.mouse.up();
        await page.waitForSelector('g.link[data-link="start->run_program"]', { state: 'attached' });
        // the link just drawn is the selection, its properties shown
        await page.waitForSelector('.inspector[aria-label="link properties"]');
        await page.click('g.node[data-activity=run_program] rect');
        await page.fill('textarea[name=command]', 'echo');
        await page.fill('#act-timeout', '30s');
        await page.click('textarea[name=args]');
        await page.keyboard.type('hi ');
        await page.click('button[data-ref="{start.who}"]');
        assert((await page.inputValue('textarea[name=args]')) === 'hi {start.who}', 'the picker did not insert the reference');
        // drag Return Data from the palette onto the canvas
        await page.locator('.palette-item[data-type=return-data]').dragTo(page.locator('.canvas svg'), { targetPosition: { x: 300, y: 260 } });
        await page.waitForSelector('g.node[data-activity=return_data]');
        // link run_program -> return_data from the inspector
        await page.click('g.node[data-activity=run_program] rect');
        await page.selectOption('select[aria-label="link to"]', 'return_data');
        await page.click('button:has-text("Add link")');
        await page.waitForSelector('g.link[data-link="run_program->return_data"]', { state: 'attached' });
        // a condition on the new link
        await page.fill('#link-when', '{run_program.exit_code} == 0');
        await page.click('g.node[data-activity=return_data] rect');
        await page.fill('#new-prop', 'message');
        await page.click('button:has-text("Add")');
        await page.click('button[data-ref="{run_program.stdout}"]');
        const yaml = await page.locator('pre.yaml').textContent();
        assert(yaml.includes('timeout: 30s'), 'no timeout in the YAML');
        assert(yaml.includes('name: Two step') && yaml.includes('folder: /Console') && yaml.includes('when: \'{run_program.exit_code} == 0\''),
            'YAML: ' + yaml);
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'designer');
    });

    await check('designer: checks the new runbook in through the management server', async () => {
        await page.fill('input[name=comment]', 'built in the console');
        await page.click('button:has-text("Check in")');
        await page.waitForSelector('.designer-page .error, .designer-page h1:has-text("Two step")');
        if (await page.locator('.designer-page .error').count())
            throw new Error('check-in refused: ' + await page.locator('.designer-page .error').textContent());
        designedId = page.url().match(/design\/(\d+)/)[1];
        await page.waitForSelector('.designer-page h1:has-text("/Console/Two step")');
        await page.waitForSelector('text=checked in');
    });

    await check('designer: runs the checked-in runbook', async () => {
        await page.click('a:has-text("Open to run")');
        await page.waitForSelector('input[name=who]');
        await page.fill('input[name=who]', 'designer');
        await page.click('button:has-text("Start")');
        await page.waitForURL(/#\/jobs\/\d+/);
        await page.waitForSelector('.title-row .status-completed', { timeout: 120000 });
        const ret = await page.locator('[data-returned]').textContent();
        assert(ret.includes('message = hi designer'), 'returned: ' + ret);
    });

    await check('designer: a check-in the loader refuses shows why and keeps the edits', async () => {
        await page.goto(URL + '#/design/' + designedId);
        await expecting([/status of 400/], async () => {
            await page.click('button:has-text("Check out")');
            await page.waitForSelector('text=checked out by admin');
            await page.click('g.node[data-activity=run_program] rect');
            await page.fill('#act-timeout', 'soon');
            await page.click('g.node[data-activity=return_data] rect');
            await page.fill('textarea[name=message]', '{nosuch.field}');
            await page.click('button:has-text("Check in")');
            await page.waitForSelector('.designer-page .error');
        });
        const msg = await page.locator('.designer-page .error').textContent();
        assert(msg.includes('2 problems'), 'message: ' + msg);
        assert((await page.inputValue('textarea[name=message]')) === '{nosuch.field}', 'the edit was lost');
        // every problem listed, the boxes they name marked; a click selects one
        const listed = await page.locator('ul.problems li').allTextContents();
        assert(listed.length === 2 && listed.some((t) => t.includes('nosuch')) && listed.some((t) => t.includes("'timeout'")),
            'problems: ' + listed.join(' | '));
        assert(await page.locator('g.node-failed[data-activity=return_data]').count() === 1, 'return_data not marked');
        assert(await page.locator('g.node-failed[data-activity=run_program]').count() === 1, 'run_program not marked');
        assert(await page.locator('g.node-failed[data-activity=start]').count() === 0, 'start marked');
        await page.click('ul.problems button:has-text("timeout")');
        assert((await page.inputValue('#act-id')) === 'run_program', 'the problem did not select run_program');
        await page.click('button:has-text("Undo check-out")');
        await page.waitForSelector('.notice:has-text("undone")');
    });

    await check('designer: check out, edit, check in again, history and diff', async () => {
        await page.goto(URL + '#/design/' + designedId);
        await page.click('button:has-text("Check out")');
        await page.waitForSelector('text=checked out by admin');
        await page.fill('#rb-description', 'now with a description');
        await page.fill('input[name=comment]', 'second version');
        await page.click('button:has-text("Check in")');
        await page.waitForSelector('.notice:has-text("version 2")');
        await page.click('button:has-text("History")');
        await page.waitForSelector('.history td:text("second version")');
        await page.click('.history button:has-text("Diff to latest")');
        await page.waitForSelector('table.diff td:has-text("now with a description")');
        await shot(page, 'history');
    });

    // where each box is drawn: {id: transform}
    const transforms = (p) => p.evaluate(() => Object.fromEntries([...document.querySelectorAll('svg.diagram g.node')]
        .map((g) => [g.getAttribute('data-activity'), g.getAttribute('transform')])));
    // the messages shown with a field (in its .field or .published-row)
    const alertText = async (sel) => (await page.locator(sel)
        .locator('xpath=ancestor::div[contains(@class, "field") or contains(@class, "published-row")][1]')
        .locator('[role=alert]').allTextContents()).join(' ');
    let drawn = null;
    await check('designer: adds a box and links it without the mouse, then removes it', async () => {
        await page.goto(URL + '#/design/' + designedId);
        await page.click('button:has-text("Check out")');
        await page.waitForSelector('text=checked out by admin');
        // Enter on a palette item adds the activity and gives its box the focus
        await page.focus('.palette-item[data-type=junction]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('g.node[data-activity=junction]');
        await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('data-activity') === 'junction');
        const before = await page.locator('g.node[data-activity=junction]').getAttribute('transform');
        await page.keyboard.press('ArrowDown');
        const after = await page.locator('g.node[data-activity=junction]').getAttribute('transform');
        assert(before !== after, 'ArrowDown did not move the new box');
        // L jumps to "Link to"; choose the target and add the link, all keys
        await page.keyboard.press('l');
        await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'link-to');
        for (let i = 0; i < 10 && (await page.inputValue('#link-to')) !== 'return_data'; i++) await page.keyboard.press('ArrowDown');
        assert((await page.inputValue('#link-to')) === 'return_data', 'the keyboard could not choose return_data');
        await page.keyboard.press('Tab');
        assert(await page.evaluate(() => document.activeElement.textContent) === 'Add link', 'Tab after "Link to" is not "Add link"');
        await page.keyboard.press('Enter');
        await page.waitForSelector('g.link[data-link="junction->return_data"]', { state: 'attached' });
        assert(await page.locator('.inspector[aria-label="link properties"]').count() === 1, 'the new link is not selected');
        // the link is reachable by the keyboard too: focus it, Delete
        await page.focus('g.link[data-link="junction->return_data"]');
        await page.keyboard.press('Enter');
        await page.keyboard.press('Delete');
        await page.waitForSelector('g.link[data-link="junction->return_data"]', { state: 'detached' });
        await page.focus('g.node[data-activity=junction]');
        await page.keyboard.press('Enter');
        await page.keyboard.press('Delete');
        await page.waitForSelector('g.node[data-activity=junction]', { state: 'detached' });
    });

    await check('designer: edits retry and published fields with clear messages', async () => {
        await page.click('g.node[data-activity=run_program] rect');
        await page.check('input[name=retry-on]');
        await page.fill('#retry-max', '0');
        assert((await alertText('#retry-max')).includes('whole number from 1 to 1000000'), 'no message for max 0: ' + await alertText('#retry-max'));
        await page.fill('#retry-max', '4');
        assert((await alertText('#retry-max')) === '', 'a message for max 4');
        await page.fill('#retry-delay', 'soon');
        assert((await alertText('#retry-delay')).includes("not 'soon'"), 'no message for delay soon');
        await page.fill('#retry-delay', '2s');
        await page.fill('#retry-until', '{run_program.exit_code} == 0');
        // published fields: a bad name is refused with a reason, good ones added
        await page.fill('#publishes-add', '1st field');
        assert((await alertText('#publishes-add')).includes('not a valid field name'), 'no message for a bad name');
        assert(await page.locator('button[name=publishes-add-button]').isDisabled(), 'a bad name can be added');
        await page.fill('#publishes-add', 'total');
        await page.click('button[name=publishes-add-button]');
        await page.fill('#publishes-add', 'count');
        await page.keyboard.press('Enter');
        await page.waitForSelector('input[name=published-count]');
        await page.fill('#publishes-add', 'count');
        assert((await alertText('#publishes-add')).includes('already in the list'), 'no message for a duplicate');
        await page.fill('#publishes-add', '');
        // Return Data reads the declared field through the picker ...
        await page.click('g.node[data-activity=return_data] rect');
        await page.fill('#new-prop', 'total');
        await page.click('button:has-text("Add")');
        await page.click('textarea[name=total]');
        await page.click('button[data-ref="{run_program.total}"]');
        // ... and renaming the field follows the reference
        await page.click('g.node[data-activity=run_program] rect');
        await page.fill('input[name=published-total]', 'count');
        assert((await alertText('input[name=published-total]')).includes('already in the list'), 'no message for a rename onto another field');
        await page.fill('input[name=published-total]', 'sum');
        await page.press('input[name=published-total]', 'Enter');
        await page.waitForSelector('input[name=published-sum]');
        await page.click('button[aria-label="remove published field count"]');
        await page.waitForSelector('input[name=published-count]', { state: 'detached' });
        await page.click('g.node[data-activity=return_data] rect');
        assert((await page.inputValue('textarea[name=total]')) === '{run_program.sum}', 'the reference did not follow the rename');
        const yaml = await page.locator('pre.yaml').textContent();
        assert(/retry:\n {6}max: 4\n {6}delay: 2s\n {6}until: '\{run_program\.exit_code\} == 0'/.test(yaml), 'retry in the YAML: ' + yaml);
        assert(yaml.includes('publishes: [sum]'), 'publishes in the YAML: ' + yaml);
        await page.click('g.node[data-activity=run_program] rect');
        await page.locator('fieldset.retry').scrollIntoViewIfNeeded();
        await shot(page, 'designer-loop');
    });

    // A user in a browser context of their own (own sessionStorage and
    // localStorage), logged in.
    async function as(name, password, fn) {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
        const p = await ctx.newPage();
        watch(p);
        p.setDefaultTimeout(T);
        try {
            await p.goto(URL);
            await p.fill('input[name=user]', name);
            await p.fill('input[name=password]', password);
            await p.click('button[type=submit]');
            await p.waitForSelector('.tiles');
            await fn(p);
        } finally {
            await ctx.close();
        }
    }

    await check('designer: moved boxes, retry and published fields survive check-in and a fresh browser', async () => {
        // one box moved with the mouse, one with the keyboard
        const box = await page.locator('g.node[data-activity=run_program] rect').boundingBox();
        await page.mouse.move(box.x + 60, box.y + 10);
        await page.mouse.down();
        await page.mouse.move(box.x + 100, box.y + 70, { steps: 6 });
        await page.mouse.up();
        await page.click('g.node[data-activity=return_data] rect');
        for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
        drawn = await transforms(page);
        const yaml = await page.locator('pre.yaml').textContent();
        assert((yaml.match(/position: \{x: \d+, y: \d+\}/g) || []).length === 3, 'positions in the YAML: ' + yaml);
        await page.fill('input[name=comment]', 'loops, fields and a layout');
        await page.click('button:has-text("Check in")');
        await page.waitForSelector('.notice:has-text("version 3")');
        // a new browser context: no localStorage, nothing but the runbook
        await as('admin', env.ADMIN_PW, async (p) => {
            assert(await p.evaluate(() => localStorage.length) === 0, 'the fresh context has localStorage');
            await p.goto(URL + '#/design/' + designedId);
            await p.waitForSelector('g.node[data-activity=run_program]');
            const seen = await transforms(p);
            assert(JSON.stringify(seen) === JSON.stringify(drawn), `boxes moved: ${JSON.stringify(seen)} vs ${JSON.stringify(drawn)}`);
            await p.click('g.node[data-activity=run_program] rect');
            assert(await p.isChecked('input[name=retry-on]'), 'retry is off');
            assert((await p.inputValue('#retry-max')) === '4', 'max: ' + await p.inputValue('#retry-max'));
            assert((await p.inputValue('#retry-delay')) === '2s', 'delay');
            assert((await p.inputValue('#retry-until')) === '{run_program.exit_code} == 0', 'until');
            assert(await p.locator('input[name=published-sum]').count() === 1, 'the published field is gone');
            // the runbook page (web service) draws the boxes in the same places
            await p.click('a:has-text("Open to run")');
            await p.waitForSelector('svg.diagram g.node[data-activity=run_program]');
            const operated = await transforms(p);
            assert(JSON.stringify(operated) === JSON.stringify(drawn), `runbook page: ${JSON.stringify(operated)}`);
        });
        if (env.DESIGNED) {
            const pos = {};
            for (const [id, t] of Object.entries(drawn)) {
                const m = t.match(/translate\(([-\d.]+),([-\d.]+)\)/);
                pos[id] = { x: Math.round(Number(m[1]) + 90), y: Math.round(Number(m[2]) + 27) };
            }
            require('fs').writeFileSync(env.DESIGNED, JSON.stringify({ id: designedId, positions: pos }));
        }
    });

    // a link chosen from the keyboard: focus it, Enter
    const selectLink = async (p, key) => {
        await p.focus(`g.link[data-link="${key}"]`);
        await p.keyboard.press('Enter');
        await p.waitForSelector(`.inspector[aria-label="link properties"] h3:has-text("${key.replace('->', ' → ')}")`);
    };
    await check('designer: edits link filters, a loop guard and flatten with the loader\'s messages', async () => {
        await page.goto(URL + '#/design/' + designedId);
        await page.click('button:has-text("Check out")');
        await page.waitForSelector('text=checked out by admin');
        await selectLink(page, 'run_program->return_data');
        // a wrong condition is named at once, as the loader names it, and cannot be added
        await page.fill('#exclude-add', '{start.who} =! skip');
        assert((await alertText('#exclude-add')).includes("unexpected '!' at column 14: write != or 'not'"), 'exclude message: ' + await alertText('#exclude-add'));
        assert(await page.locator('button[name=exclude-add-button]').isDisabled(), 'a wrong condition can be added');
        await page.fill('#exclude-add', '{start.who} == skip');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#exclude-0');
        await page.fill('#include-add', '{start.who} == designer');
        await page.click('button[name=include-add-button]');
        await page.waitForSelector('#include-0');
        // one added and removed from the keyboard: the focus comes back to the field for a new one
        await page.keyboard.type('{start.who} == nobody');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#include-1');
        await page.focus('button[aria-label="remove include condition 2"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#include-1', { state: 'detached' });
        await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'include-add');
        // a condition already in the list edited into a wrong one: named under it, kept as typed
        await page.fill('#include-0', '{start.who} == designer and');
        assert((await alertText('#include-0')).includes('expected a value'), 'include message: ' + await alertText('#include-0'));
        await page.fill('#include-0', '{start.who} == designer or {start.who} == admin');
        assert((await alertText('#include-0')) === '', 'a message for a good condition');
        await page.fill('#link-when', '{run_program.exit_code} ==');
        assert((await alertText('#link-when')).includes('found the end of the condition'), 'when message: ' + await alertText('#link-when'));
        await page.fill('#link-when', '{run_program.exit_code} == 0');
        // a loop back with its guard, drawn from the keyboard's Link to
        await page.click('g.node[data-activity=return_data] rect');
        await page.selectOption('select[aria-label="link to"]', 'run_program');
        await page.click('button:has-text("Add link")');
        await page.waitForSelector('.inspector[aria-label="link properties"] h3:has-text("return_data → run_program")');
        await page.fill('#link-loop-guard', '0');
        assert((await alertText('#link-loop-guard')).includes("whole number from 1 to 1000000 (how often the link may fire), not '0'"),
            'loop guard message: ' + await alertText('#link-loop-guard'));
        await page.fill('#link-loop-guard', '2');
        assert((await alertText('#link-loop-guard')) === '', 'a message for loop guard 2');
        // flatten with a separator
        await page.click('g.node[data-activity=run_program] rect');
        await page.check('input[name=flatten]');
        await page.fill('#flatten-separator', ', ');
        const yaml = await page.locator('pre.yaml').textContent();
        assert(yaml.includes("    include:\n      - '{start.who} == designer or {start.who} == admin'\n    exclude:\n      - '{start.who} == skip'"),
            'filters in the YAML: ' + yaml);
        assert(/- from: return_data\n {4}to: run_program\n {4}loop_guard: 2\n/.test(yaml), 'loop guard in the YAML: ' + yaml);
        assert(yaml.includes("    flatten:\n      separator: ', '"), 'flatten in the YAML: ' + yaml);
        await selectLink(page, 'run_program->return_data');
        await page.locator('fieldset.exclude').scrollIntoViewIfNeeded();
        await shot(page, 'designer-link');
        await page.fill('input[name=comment]', 'filters and a loop');
        await page.click('button:has-text("Check in")');
        await page.waitForSelector('.notice:has-text("version 4")');
    });

    await check('designer: the filters and loop guard survive a fresh browser and a run honours them', async () => {
        await as('admin', env.ADMIN_PW, async (p) => {
            await p.goto(URL + '#/design/' + designedId);
            await p.waitForSelector('g.link[data-link="return_data->run_program"]', { state: 'attached' });
            await selectLink(p, 'run_program->return_data');
            assert((await p.inputValue('#exclude-0')) === '{start.who} == skip', 'exclude: ' + await p.inputValue('#exclude-0'));
            assert((await p.inputValue('#include-0')) === '{start.who} == designer or {start.who} == admin', 'include');
            assert((await p.inputValue('#link-when')) === '{run_program.exit_code} == 0', 'when');
            await selectLink(p, 'return_data->run_program');
            assert((await p.inputValue('#link-loop-guard')) === '2', 'loop guard: ' + await p.inputValue('#link-loop-guard'));
            await p.click('g.node[data-activity=run_program] rect');
            assert(await p.isChecked('input[name=flatten]'), 'flatten is off');
            assert((await p.inputValue('#flatten-separator')) === ', ', 'separator: ' + await p.inputValue('#flatten-separator'));
            // who=skip: the exclude condition holds, so Return Data never runs
            await p.click('a:has-text("Open to run")');
            await p.waitForSelector('input[name=who]');
            await p.fill('input[name=who]', 'skip');
            await p.click('button:has-text("Start")');
            await p.waitForURL(/#\/jobs\/\d+/);
            await p.waitForSelector('.title-row .status-completed', { timeout: 120000 });
            await p.waitForSelector('table.acts button[data-act=run_program]');
            assert(await p.locator('table.acts button[data-act=return_data]').count() === 0, 'return_data ran on a filtered path');
            assert(await p.locator('[data-returned]').count() === 0, 'data returned on a filtered path');
            assert(await p.locator('svg.diagram g.node-success[data-activity=run_program]').count() === 1, 'run_program not coloured success');
            assert(await p.locator('svg.diagram g.node[data-activity=return_data]:not(.node-success):not(.node-failed)').count() === 1,
                'return_data coloured as if it ran');
        });
    });

    await check('a runbook with 500 activities is drawn', async () => {
        const t0 = Date.now();
        await openRunbook(page, 'Console', 'Big');
        await page.waitForFunction(() => document.querySelectorAll('svg.diagram g.node').length === 500, null, { timeout: 120000 });
        console.log(`     (500 activities laid out and drawn in ${Date.now() - t0} ms)`);
    });


    await check('a user without the start right sees why the start was refused', async () => {
        await expecting([/status of 403/], () => as('viewer', 'viewer-password', async (p) => {
            await openRunbook(p, 'Console', 'Echo');
            await p.fill('input[name=text]', 'hi');
            await p.click('button:has-text("Start")');
            await p.waitForSelector('.start-form .error');
            const msg = await p.locator('.start-form .error').textContent();
            assert(/start/i.test(msg), 'message: ' + msg);
            assert(/#\/runbooks\//.test(p.url()), 'left the runbook page');
        }));
    });

    await check('a second designer cannot check out a runbook someone holds, and is told who', async () => {
        // 403: the web service's event stream is for administrators (the
        // console then polls instead)
        await expecting([/status of 409/, /status of 403/], () => as('bob', 'bob-password-1', async (p) => {
            await openRunbook(p, 'Console', 'Sleep');
            await p.click('.title-row a:has-text("Design")');
            await p.waitForSelector('text=checked out by admin');
            assert(await p.locator('button:has-text("Check in")').count() === 0, 'check-in offered while someone else holds it');
            await p.click('button:has-text("Check out")');
            await p.waitForSelector('.designer-page .error');
            const msg = await p.locator('.designer-page .error').textContent();
            assert(/admin/.test(msg), 'message: ' + msg);
        }));
    });

    await check('a web service that never answers is named after 15 s, not waited on for ever', async () => {
        const p2 = await browser.newPage();
        const errs = [];
        p2.on('pageerror', (e) => errs.push(e.message));
        await p2.goto(env.SLOW_URL);
        await p2.fill('input[name=password]', 'whatever');
        const t0 = Date.now();
        await p2.click('button[type=submit]');
        await p2.waitForSelector('.error:has-text("no answer within 15 s")', { timeout: 120000 });
        const waited = Date.now() - t0;
        assert(waited >= 14000, `gave up after ${waited} ms`);
        assert(await p2.locator('button[type=submit]').isEnabled(), 'the form stays usable');
        assert(errs.length === 0, 'page errors: ' + errs.join('; '));
        await p2.close();
    });

    await finish(browser);
})().catch(crashed);
