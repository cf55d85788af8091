// test_console_admin.sh's browser half: an administrator manages users,
// groups, folder rights, folders and global settings in the console; the
// user it made logs in and sees only what it was granted; a slow web
// service is shown as such. Prints one "ok NAME" or "FAIL NAME" line per
// check. Any console error or uncaught page error that a step did not
// provoke on purpose fails the run.
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { check, assert, expecting, watch, finish, crashed } = require('./steps.cjs');

const env = process.env;
const URL = env.CONSOLE_URL;
const SHOTS = env.SHOTS;
const T = 60000; // generous: two shared cores, ASan, ctest -j
const DELAY_MS = Number(env.DELAY) * 1000;
const LONG_MS = Number(env.LONG) * 1000;
async function shot(page, name) {
    await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}
// baton CLI as admin against the management server: its JSON answer
function cli(...args) {
    const out = execFileSync(env.BATON, [...args, '--json'], {
        env: { ...env, BATON_MGMT_URL: env.MGMT_URL, BATON_USER: 'admin', BATON_PASSWORD: env.ADMIN_PW },
        encoding: 'utf8',
    });
    return JSON.parse(out);
}
async function login(page, url, name, password, ready = '.tiles') {
    await page.goto(url);
    await page.fill('input[name=user]', name);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector(ready, { timeout: T });
}
// Everything the page holds, markup and form values: a secret must be in
// neither.
async function everything(page) {
    return page.evaluate(() => document.documentElement.outerHTML + '\n' +
        [...document.querySelectorAll('input, textarea')].map((i) => i.value).join('\n'));
}
async function poll(what, fn, ms = T) {
    const end = Date.now() + ms;
    for (;;) {
        if (await fn()) return;
        if (Date.now() > end) throw new Error('timed out waiting for ' + what);
        await new Promise((r) => setTimeout(r, 200));
    }
}

(async () => {
    const browser = await chromium.launch({ executablePath: env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    watch(page);
    page.setDefaultTimeout(T);

    await check('an administrator sees the Administration page', async () => {
        await login(page, URL, 'admin', env.ADMIN_PW);
        await page.waitForSelector('nav#nav a:text("Administration")');
        await page.click('nav#nav a:text("Administration")');
        await page.waitForSelector('table.users tr[data-user=admin]');
    });

    await check('adding a user: the server\'s validation errors are shown next to their fields', async () => {
        await expecting([/status of 400/], async () => {
            await page.fill('input[name=new-user]', '<b>x</b>');
            await page.fill('input[name=new-password]', 'long-enough-1');
            await page.click('button:text("Add user")');
            await page.waitForSelector('label:has(input[name=new-user]) .field-error');
            const msg = await page.locator('label:has(input[name=new-user]) .field-error').textContent();
            assert(/letters, digits/.test(msg), 'message: ' + msg);
            assert(await page.getAttribute('input[name=new-user]', 'aria-invalid') === 'true', 'the field is not marked invalid');
            await page.fill('input[name=new-user]', 'carol');
            await page.fill('input[name=new-password]', 'short');
            await page.click('button:text("Add user")');
            await page.waitForSelector('label:has(input[name=new-password]) .field-error:has-text("8 to")');
            assert(await page.locator('label:has(input[name=new-user]) .field-error').count() === 0, 'the old name error stayed');
        });
        await page.fill('input[name=new-password]', 'carol-password-1');
        await page.click('button:text("Add user")');
        await page.waitForSelector('table.users tr[data-user=carol]');
        assert(await page.inputValue('input[name=new-user]') === '', 'the form was not cleared');
    });

    await check('a user is added with the keyboard alone', async () => {
        await page.focus('input[name=new-user]');
        await page.keyboard.type('erin');
        await page.keyboard.press('Tab');
        await page.keyboard.type('erin-password-1');
        await page.keyboard.press('Tab'); // the Administrator box
        await page.keyboard.press('Tab'); // the button
        await page.keyboard.press('Enter');
        await page.waitForSelector('table.users tr[data-user=erin]');
        await shot(page, 'admin-users');
    });

    await check('groups: add one with markup in its description, add and remove members', async () => {
        await page.click('.tabs a:text("Groups")');
        await page.fill('input[name=new-group]', 'operators');
        await page.fill('input[name=new-group-description]', '<img src=x onerror="window.__xss=1">ops');
        await page.click('button:text("Add group")');
        const row = page.locator('table.groups tr[data-group=operators]');
        await row.waitFor();
        assert((await row.locator('td.cell').textContent()).includes('<img src=x'), 'the description is not shown as text');
        assert(await row.locator('img').count() === 0, 'an <img> was made from the description');
        for (const u of ['dave', 'erin']) {
            await row.locator('select[name=member]').selectOption(u);
            await row.locator('button:text("Add member")').click();
            await row.locator(`ul.chips li:has-text("${u}")`).waitFor();
        }
        await row.locator('button[aria-label="remove erin from operators"]').click();
        await poll('erin to leave the group', async () => (await row.locator('ul.chips li:has-text("erin")').count()) === 0);
        await shot(page, 'admin-groups');
        // one made and deleted again
        await page.fill('input[name=new-group]', 'temp');
        await page.click('button:text("Add group")');
        const temp = page.locator('table.groups tr[data-group=temp]');
        await temp.locator('button:text("Delete")').click();
        await temp.locator('button:text("Yes, delete")').click();
        await poll('the group to go', async () => (await temp.count()) === 0);
        const groups = await page.evaluate(async ([w, pw]) => {
            const res = await fetch(w + '/api/groups', { headers: { Authorization: 'Basic ' + btoa('admin:' + pw) } });
            return (await res.json()).items.map((g) => g.name + ':' + g.members.join('+'));
        }, [env.WEB_URL, env.ADMIN_PW]);
        assert(groups.join() === 'operators:dave', 'groups: ' + groups.join());
    });

    const xssFolder = '<img src=x onerror="window.__xss=2">';
    await check('folders: create, rename, move and delete through the management server', async () => {
        await page.click('.tabs a:text("Folders")');
        await page.waitForSelector('.folder-item:text("Console")');
        // a subfolder of /Console that stays (rights are inherited into it)
        await page.click('.folder-item:text("Console")');
        await page.fill('input[name=subfolder]', 'Sub');
        await page.click('button:text("Create")');
        await page.waitForSelector('.folder-actions h2:text-is("/Console/Sub")');
        // one made, renamed, moved and deleted
        await page.click('.folder-item:text-is("/")');
        await page.fill('input[name=subfolder]', 'Team');
        await page.click('button:text("Create")');
        await page.waitForSelector('.folder-actions h2:text-is("/Team")');
        await page.fill('input[name=rename]', 'Team2');
        await page.click('button:text("Rename")');
        await page.waitForSelector('.folder-actions h2:text-is("/Team2")');
        await page.selectOption('select[name=move-to]', '/Other');
        await page.click('button:text("Move")');
        await page.waitForSelector('.folder-actions h2:text-is("/Other/Team2")');
        let tree = cli('ls', '/Other');
        assert(tree.folders.some((f) => f.path === '/Other/Team2'), 'baton ls /Other: ' + JSON.stringify(tree));
        await page.click('form[aria-label="delete the folder"] button:text("Delete")');
        await page.click('button:text("Yes, delete")');
        await page.waitForSelector('.notice:text("Folder deleted.")');
        tree = cli('ls', '/Other');
        assert(!tree.folders.some((f) => f.path === '/Other/Team2'), 'still there: ' + JSON.stringify(tree));
        // a folder whose name is markup, and a refusal shown by its field
        await page.click('.folder-item:text-is("/")');
        await page.fill('input[name=subfolder]', xssFolder);
        await page.click('button:text("Create")');
        await page.waitForSelector('.notice:text("Folder created.")');
        await expecting([/status of 409/], async () => {
            await page.click('.folder-item:text("Console")');
            await page.fill('input[name=rename]', 'Other');
            await page.click('button:text("Rename")');
            await page.waitForSelector('form[aria-label="rename the folder"] .field-error, form[aria-label="rename the folder"] .error');
        });
        assert(await page.locator('.folder-item img').count() === 0, 'an <img> was made from a folder name');
        assert(await page.locator(`.folder-item:has-text('${xssFolder}')`).count() === 1, 'the markup folder is not listed as text');
        await page.click('.folder-item:text("Console")');
        await shot(page, 'admin-folders');
    });

    await check('folder rights: grant view+start on /Console to carol, a group on /, inherited ones shown below', async () => {
        await page.click('.tabs a:text("Folder permissions")');
        await page.selectOption('select[name=perm-folder]', '/Console');
        await page.selectOption('select[name=grant-kind]', 'user');
        await page.selectOption('select[name=grant-name]', 'carol');
        await page.check('input[name=right-view]');
        await page.check('input[name=right-start]');
        await page.click('button:text("Grant")');
        await page.waitForSelector('table.perms-direct tr[data-principal="user:carol"] td:text("view, start")');
        // Edit fills the form with what carol holds there
        await page.click('table.perms-direct tr[data-principal="user:carol"] button:text("Edit")');
        assert(await page.inputValue('select[name=grant-name]') === 'carol', 'the form names someone else');
        for (const [r, on] of [['view', true], ['start', true], ['stop', false], ['author', false], ['admin', false]])
            assert(await page.isChecked(`input[name=right-${r}]`) === on, `${r} ticked: ${!on}`);
        await page.selectOption('select[name=perm-folder]', '/');
        await page.selectOption('select[name=grant-kind]', 'group');
        await page.selectOption('select[name=grant-name]', 'operators');
        await page.click('button:text("Grant")'); // view, ticked by default
        await page.waitForSelector('table.perms-direct tr[data-principal="group:operators"]');
        await page.selectOption('select[name=perm-folder]', '/Console/Sub');
        await page.waitForSelector('table.perms-inherited td:text("/Console")');
        const rows = await page.locator('table.perms-inherited tbody tr').allTextContents();
        assert(rows.some((r) => r.includes('user carol') && r.includes('view, start') && r.includes('/Console')), 'inherited: ' + rows.join(' | '));
        assert(rows.some((r) => r.includes('group operators') && r.includes('view')), 'inherited: ' + rows.join(' | '));
        const eff = await page.locator('table.perms-effective tbody tr').allTextContents();
        assert(eff.some((r) => r.includes('user carol') && r.includes('view, start')), 'effective: ' + eff.join(' | '));
        // dave holds view through the group, erin (no longer a member) nothing
        assert(eff.some((r) => r.includes('user dave') && r.includes('group operators on /')), 'effective: ' + eff.join(' | '));
        assert(!eff.some((r) => r.includes('user erin')), 'effective: ' + eff.join(' | '));
        await shot(page, 'admin-permissions');
        // the web service agrees
        const r = await page.evaluate(async ([w, pw]) => {
            const res = await fetch(w + '/api/permissions?folder=%2FConsole', { headers: { Authorization: 'Basic ' + btoa('admin:' + pw) } });
            return res.json();
        }, [env.WEB_URL, env.ADMIN_PW]);
        assert(r.items.some((p) => p.user === 'carol' && p.rights.join() === 'view,start'), JSON.stringify(r));
        // and the group's grant goes again (it would let its members see /Other)
        await page.selectOption('select[name=perm-folder]', '/');
        const grow = page.locator('table.perms-direct tr[data-principal="group:operators"]');
        await grow.locator('button:text("Revoke")').click();
        await grow.locator('button:text("Yes, revoke")').click();
        await page.waitForSelector('.notice:has-text("revoked")');
        await poll('the group\'s grant to go from the list', async () => (await grow.count()) === 0);
    });

    await check('variables: one added in a folder, one changed, the CLI sees both', async () => {
        await page.click('nav#nav a:text("Globals")');
        const sec = page.locator('section[aria-label=Variables]');
        await sec.locator('table.variables tr[data-name=colour]').waitFor();
        await sec.locator('button:text("New variable")').click();
        await sec.locator('input[name=name]').fill('greeting');
        await sec.locator('input[name=folder]').fill('/Mail/<i>');
        await sec.locator('input[name=value]').fill('<b>hi</b>');
        await sec.locator('button:text("Save")').click();
        await sec.locator('tr[data-name=greeting] td.cell:text-is("<b>hi</b>")').waitFor();
        assert(await sec.locator('tr[data-name=greeting] td.folder-cell').textContent() === '/Mail/<i>', 'folder not shown as text');
        assert(await sec.locator('table.variables b, table.variables i').count() === 0, 'markup in a value or folder became elements');
        await sec.locator('button[aria-label="edit variable colour"]').click();
        assert(await sec.locator('input[name=value]').inputValue() === 'red', 'the form is not filled in');
        await sec.locator('input[name=value]').fill('blue');
        await sec.locator('button:text("Save")').click();
        await sec.locator('tr[data-name=colour] td.cell:text-is("blue")').waitFor();
        assert(cli('variable', 'get', 'colour').value === 'blue', 'baton variable get colour');
        const g = cli('variable', 'get', 'greeting');
        assert(g.value === '<b>hi</b>' && g.folder === '/Mail/<i>', 'baton variable get greeting: ' + JSON.stringify(g));
    });

    await check('an encrypted variable: made and moved in the console, its value never in the page', async () => {
        const secret = 'enc-NEW-7f3a-secret';
        const sec = page.locator('section[aria-label=Variables]');
        await sec.locator('button:text("New variable")').click();
        await sec.locator('input[name=name]').fill('api_key');
        await sec.locator('input[name=encrypted]').check();
        assert(await sec.locator('input[name=value]').getAttribute('type') === 'password', 'a secret typed in clear');
        await sec.locator('input[name=value]').fill(secret);
        await sec.locator('button:text("Save")').click();
        await sec.locator('tr[data-name=api_key] td.cell:has-text("(encrypted)")').waitFor();
        // the one set with curl: moved without its value, which the form never holds
        await sec.locator('button[aria-label="edit variable db_password"]').click();
        assert(await sec.locator('input[name=value]').inputValue() === '', 'the form holds a value');
        await sec.locator('input[name=folder]').fill('/Secrets');
        await sec.locator('button:text("Save")').click();
        await sec.locator('tr[data-name=db_password] td.folder-cell:text-is("/Secrets")').waitFor();
        await page.reload();
        await sec.locator('tr[data-name=db_password]').waitFor();
        const all = await everything(page);
        assert(!all.includes(secret) && !all.includes('enc-s3cret-XYZ'), 'an encrypted value reached the page');
        const v = cli('variable', 'get', 'db_password');
        assert(v.encrypted === true && v.value === null && v.folder === '/Secrets', JSON.stringify(v));
        assert(cli('variable', 'get', 'api_key').encrypted === true, 'api_key is not encrypted');
    });

    await check('a counter: a bad value refused by the server next to the field, then set and moved', async () => {
        const sec = page.locator('section[aria-label=Counters]');
        await sec.locator('button[aria-label="edit counter builds"]').click();
        await expecting([/status of 400/], async () => {
            await sec.locator('input[name=value]').fill('lots');
            await sec.locator('button:text("Save")').click();
            await sec.locator('label:has(input[name=value]) .field-error').waitFor();
        });
        await sec.locator('input[name=value]').fill('42');
        await sec.locator('input[name=folder]').fill('/CI');
        await sec.locator('button:text("Save")').click();
        await sec.locator('tr[data-name=builds] td.cell:text-is("42")').waitFor();
        const c = cli('counter', 'get', 'builds');
        assert(c.value === 42, 'baton counter get builds: ' + JSON.stringify(c));
        const list = cli('counter', 'list');
        assert(list.items.some((x) => x.name === 'builds' && x.folder === '/CI'), JSON.stringify(list));
    });

    await check('a schedule: bad JSON and a non-object refused next to the field, then saved', async () => {
        const sec = page.locator('section[aria-label=Schedules]');
        await sec.locator('button[aria-label="edit schedule office"]').click();
        const def = sec.locator('textarea[name=definition]');
        await def.fill('{"days_of_week": [');
        await sec.locator('button:text("Save")').click();
        await sec.locator('label:has(textarea) .field-error:has-text("Not JSON")').waitFor();
        await expecting([/status of 400/], async () => {
            await def.fill('["mon"]');
            await sec.locator('button:text("Save")').click();
            await sec.locator('label:has(textarea) .field-error:has-text("JSON object")').waitFor();
        });
        await def.fill('{"days_of_week": ["mon", "tue"], "hours": ["08:00-12:00"]}');
        await shot(page, 'globals-edit');
        await sec.locator('button:text("Save")').click();
        await sec.locator('tr[data-name=office] td.cell:has-text("08:00-12:00")').waitFor();
        const s = cli('schedule', 'get', 'office');
        assert(JSON.stringify(s.definition.days_of_week) === '["mon","tue"]', 'baton schedule get office: ' + JSON.stringify(s));
    });

    await check('a counter is added with the keyboard alone', async () => {
        const sec = page.locator('section[aria-label=Counters]');
        await sec.locator('button:text("New counter")').focus();
        await page.keyboard.press('Enter');
        // the form takes the focus on its first field
        await poll('the name field to take the focus', () => page.evaluate(() => document.activeElement.name === 'name'));
        await page.keyboard.type('deploys');
        await page.keyboard.press('Tab');
        await page.keyboard.type('/CI');
        await page.keyboard.press('Tab');
        await page.keyboard.type('7');
        await page.keyboard.press('Enter');
        await sec.locator('tr[data-name=deploys] td.cell:text-is("7")').waitFor();
        assert(cli('counter', 'get', 'deploys').value === 7, 'baton counter get deploys');
    });

    await check('a variable is deleted after a second confirmation', async () => {
        const sec = page.locator('section[aria-label=Variables]');
        const row = sec.locator('tr[data-name=greeting]');
        await row.locator('button:text("Delete")').click();
        await row.locator('button:text("Yes, delete")').click();
        await poll('the row to go', async () => (await row.count()) === 0);
        let gone = false;
        try { cli('variable', 'get', 'greeting'); } catch (e) { gone = e.status === 4; }
        assert(gone, 'baton variable get greeting still finds it');
        await page.selectOption('select[name=settings-folder]', '/CI');
        await page.waitForSelector('section[aria-label=Variables] td:text("No variables.")');
        assert(await page.locator('section[aria-label=Counters] tr[data-name=builds]').count() === 1, 'the folder filter hid builds');
        await page.selectOption('select[name=settings-folder]', '');
    });

    await check('a narrow screen: administration through the menu, nothing wider than the screen', async () => {
        await page.setViewportSize({ width: 400, height: 800 });
        await page.goto(URL + '#/');
        await page.click('.menu-toggle');
        await page.click('nav.open a:text("Administration")');
        await page.waitForSelector('table.users tr[data-user=carol]');
        for (const tab of ['Users', 'Groups', 'Folder permissions', 'Folders']) {
            await page.click(`.tabs a:text("${tab}")`);
            await page.waitForSelector('.tabs a.active:text("' + tab + '")');
            await page.waitForSelector('.admin form, .admin table');
            const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert(over <= 1, `${tab}: the page is ${over} px wider than the screen`);
            if (tab === 'Users') await shot(page, 'admin-narrow');
        }
        await page.goto(URL + '#/globals');
        await page.waitForSelector('table.variables');
        const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(over <= 1, `Globals: the page is ${over} px wider than the screen`);
        await page.setViewportSize({ width: 1280, height: 800 });
    });

    // carol, in a browser context of her own
    let ctx2 = null;
    let p2 = null;
    await check('carol sees only /Console\'s runbooks and no administration', async () => {
        ctx2 = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        p2 = await ctx2.newPage();
        watch(p2);
        p2.setDefaultTimeout(T);
        // no 403 expected: the console asks /api/me whether to offer
        // administration, and the event stream is hers too, filtered
        await expecting([], async () => {
            await login(p2, URL, 'carol', 'carol-password-1');
            await p2.goto(URL + '#/runbooks');
            await p2.waitForSelector('a.runbook-link:text("Echo")');
            const names = await p2.locator('a.runbook-link').allTextContents();
            assert(names.includes('Echo') && names.includes('Sleep') && !names.includes('Hidden'), 'runbooks: ' + names.join(', '));
            assert(await p2.locator('nav#nav a:text("Administration")').count() === 0, 'administration offered');
            await p2.goto(URL + '#/globals');
            await p2.waitForSelector('table.variables tr[data-name=colour]');
            assert(await p2.locator('button:text("Edit"), button:text("New variable")').count() === 0, 'editing offered');
        });
    });

    await check('carol opening the administration page gets the server\'s 403, said plainly', async () => {
        await expecting([/status of 403/], async () => {
            await p2.goto(URL + '#/admin/users');
            await p2.waitForSelector('.forbidden');
            const msg = await p2.locator('.forbidden').textContent();
            assert(/403/.test(msg) && /administrator/i.test(msg), 'message: ' + msg);
            await p2.goto(URL + '#/admin/permissions');
            await p2.waitForSelector('.forbidden');
            await shot(p2, 'admin-forbidden');
        });
    });

    await check('carol can start Echo but not check it out', async () => {
        await expecting([/status of 403/], async () => {
            await p2.goto(URL + '#/runbooks');
            await p2.click('a.runbook-link:text("Echo")');
            await p2.waitForSelector('svg.diagram');
            await p2.fill('input[name=text]', 'from carol');
            await p2.click('button:has-text("Start")');
            await p2.waitForURL(/#\/jobs\/\d+/);
            await p2.waitForSelector('.title-row .status-completed', { timeout: 120000 });
            await p2.goBack();
            await p2.waitForSelector('svg.diagram');
            await p2.click('.title-row a:has-text("Design")');
            await p2.click('button:text("Check out")');
            await p2.waitForSelector('.designer-page .error');
            const msg = await p2.locator('.designer-page .error').textContent();
            assert(/author/.test(msg), 'message: ' + msg);
        });
    });

    await check('carol\'s API tokens: a bad expiry refused by its field, one made, used, revoked and refused', async () => {
        await p2.click('.topbar .user a:text("API tokens")');
        await p2.waitForSelector('form[aria-label="create a token"]');
        await expecting([/status of 400/], async () => {
            await p2.fill('input[name=token-name]', 'carol <b>ci</b>');
            await p2.fill('input[name=token-days]', '0');
            await p2.click('button:text("Create token")');
            const err = p2.locator('label:has(input[name=token-days]) .field-error');
            await err.waitFor();
            assert(/1 to 3650/.test(await err.textContent()), 'message: ' + await err.textContent());
            assert(await p2.getAttribute('input[name=token-days]', 'aria-invalid') === 'true', 'the field is not marked invalid');
        });
        await p2.fill('input[name=token-days]', '30');
        await p2.click('button:text("Create token")');
        await p2.waitForSelector('.secret:has-text("it will not be shown again")');
        const secret = await p2.inputValue('input[name=token-secret]');
        assert(/^baton_[A-Za-z0-9_-]{43}$/.test(secret), 'secret: ' + secret);
        // the focus lands on the secret, selected, for a keyboard copy
        assert(await p2.evaluate(() => document.activeElement.name) === 'token-secret', 'the secret does not have the focus');
        await p2.click('.secret button:text("Copy")');
        await p2.waitForSelector('.secret [role=status]');
        await shot(p2, 'tokens');
        const me = async () => {
            const r = await fetch(env.WEB_URL + '/api/me', { headers: { Authorization: 'Bearer ' + secret } });
            return [r.status, r.ok ? (await r.json()).name : null];
        };
        const [code, name] = await me();
        assert(code === 200 && name === 'carol', `GET /api/me with the token: ${code} ${name}`);
        await p2.click('button:text("I have saved it")');
        const row = p2.locator('table.tokens tr', { hasText: 'carol <b>ci</b>' });
        await row.waitFor();
        assert(await p2.locator('table.tokens b').count() === 0, 'markup in the name made an element');
        // shown once: after closing it, nowhere in the page
        assert(!(await everything(p2)).includes(secret), 'the secret is still in the page');
        await row.locator('button:text("Revoke")').click();
        await row.locator('button:text("Yes, revoke")').click();
        await p2.waitForSelector('[data-empty]:text("No tokens yet.")');
        const [after] = await me();
        assert(after === 401, 'the revoked token: HTTP ' + after);
    });

    await check('disabled, carol is sent back to log in; enabled with a new password, she is let in', async () => {
        // every 401 (and the console's 403s for carol) in this step is on
        // purpose: requests carol's page had in flight when she was
        // disabled may be answered after the first 401 logged her out
        await expecting([/status of 401/, /status of 403/], async () => {
            await page.goto(URL + '#/admin/users');
            const row = page.locator('table.users tr[data-user=carol]');
            await row.locator('button:text("Disable")').click();
            await row.locator('.status:text("disabled")').waitFor();
            await p2.goto(URL + '#/jobs');
            await p2.waitForSelector('.login .error:has-text("log in again")');
            await row.locator('button:text("Enable")').click();
            await row.locator('.status:text("enabled")').waitFor();
            await row.locator('button:text("Reset password")').click();
            await row.locator('input[name=reset-password]').fill('carol-password-2');
            await row.locator('button:text("Set")').click();
            await row.locator('.notice-inline:has-text("Password of carol changed")').waitFor();
            await p2.fill('input[name=user]', 'carol');
            await p2.fill('input[name=password]', 'carol-password-1');
            await p2.click('button[type=submit]');
            await p2.waitForSelector('.error:has-text("Wrong user name or password")');
            await p2.fill('input[name=password]', 'carol-password-2');
            await p2.click('button[type=submit]');
            await p2.waitForSelector('table.jobs');
        });
        await ctx2.close();
    });

    await check('a user is deleted after a second confirmation; an administrator cannot delete themself', async () => {
        const row = page.locator('table.users tr[data-user=erin]');
        await row.locator('button:text("Delete")').click();
        await row.locator('button:text("Yes, delete")').click();
        await poll('erin to go', async () => (await row.count()) === 0);
        const me = page.locator('table.users tr[data-user=admin]');
        await expecting([/status of 409/], async () => {
            await me.locator('button:text("Delete")').click();
            await me.locator('button:text("Yes, delete")').click();
            await me.locator('.error:has-text("cannot delete yourself")').waitFor();
        });
    });

    await check('no HTML from names or values ever ran', async () => {
        assert(await page.evaluate(() => window.__xss === undefined), 'an onerror handler ran');
    });

    // The web service behind a proxy that holds every answer DELAY s.
    await check('a slow web service: "waiting" shown within seconds, the page stays usable, retry re-sends', async () => {
        const ctx3 = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const p3 = await ctx3.newPage();
        watch(p3);
        p3.setDefaultTimeout(T);
        // GET lines of the job list filtered by completed, as the proxy saw them
        const completedLists = () => (fs.existsSync(env.PROXY_LOG) ? fs.readFileSync(env.PROXY_LOG, 'utf8') : '')
            .split('\n').filter((l) => l.startsWith('GET /api/jobs?') && l.includes('status=completed')).length;
        await p3.goto(env.SLOW_URL);
        await p3.fill('input[name=user]', 'admin');
        await p3.fill('input[name=password]', env.ADMIN_PW);
        const t0 = Date.now();
        await p3.click('button[type=submit]');
        // one look at the page: the bar names the service while the log-in
        // button is still busy (the answer is held DELAY s, the bar comes
        // after 2 s)
        await p3.waitForFunction((url) => {
            const bar = document.querySelector('.login .waiting');
            const button = document.querySelector('.login button[type=submit]');
            return bar && bar.textContent.includes('Waiting for the web service at ' + url) && button && button.disabled;
        }, env.PROXY_URL, { timeout: T + DELAY_MS * 4 });
        await p3.waitForSelector('.tiles', { timeout: T + DELAY_MS * 4 });
        assert(Date.now() - t0 >= DELAY_MS, 'logged in faster than the proxy answers');
        // the list of completed jobs, slower still; meanwhile the other
        // pages work, and a retry sends the request again
        await p3.waitForSelector('.waiting', { state: 'detached', timeout: T + DELAY_MS * 4 });
        const before = completedLists();
        await p3.goto(env.SLOW_URL + '#/jobs?status=completed');
        await p3.waitForSelector('.waiting:has-text("Waiting for the web service")');
        await shot(p3, 'waiting');
        assert(await p3.locator('table.jobs').count() === 0, 'the list came before the proxy let it through');
        await poll('the first request at the proxy', async () => completedLists() > before);
        await p3.click('.waiting button:text("Retry now")');
        await poll('the retry at the proxy', async () => completedLists() > before + 1);
        await p3.click('nav#nav a:text("Globals")'); // the management server answers at once
        await p3.waitForSelector('table.variables tr[data-name=colour]');
        await p3.click('nav#nav a:text("Jobs")');
        await p3.waitForSelector('table.jobs tbody tr', { timeout: T + LONG_MS * 4 });
        await p3.waitForSelector('.waiting', { state: 'detached', timeout: T + LONG_MS * 4 });
        assert(await p3.locator('.banner').count() === 0, 'the slow service was called down');
        await ctx3.close();
    });

    await finish(browser);
})().catch(crashed);
