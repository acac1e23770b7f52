// The console in Debian's chromium, driven by Playwright (playwright-core:
// no browser download). Run by test/integration/console_test.cc, which
// starts the master and `tandemd console` and passes:
//   CONSOLE_URL, CONSOLE_CERT (the console's certificate), ARTIFACTS (where
//   screenshots go), MASTER_PID, MASTER, ADMIN_PASSWORD, CAROL_PASSWORD,
//   DAVE_PASSWORD, TANDEMCTL and TANDEM_TOKEN_FILE (the administrator's);
//   NODE_EXTRA_CA_CERTS is the test CA (for fetch).
// carol may read and change folder Visible (DBID 1: host hv, DBID 1) and
// nothing else; dave has no grants.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { launchChromium } from './browser.mjs';
import { readEvents } from './sse.mjs';

const URL = process.env.CONSOLE_URL;
const ARTIFACTS = process.env.ARTIFACTS;
const WAIT = { timeout: 5000 };

let browser;
// carol's password: a test changes it.
let carolPassword = process.env.CAROL_PASSWORD;
const pageErrors = [];  // uncaught exceptions in any page: always a failure

before(async () => {
  browser = await launchChromium(process.env.CONSOLE_CERT);
});
after(async () => { if (browser) await browser.close(); });

// A new browser context (its own cookies: another person) and page, with
// its console errors collected.
async function newPage(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => { pageErrors.push('unexpected dialog: ' + d.message()); d.dismiss(); });
  return page;
}

async function loginAs(page, user, password) {
  await page.goto(URL + '/#/config');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#who').filter({ hasText: 'person ' + user }).waitFor(WAIT);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });
}

// The admin's session for the API (fetch trusts the test CA).
async function adminApi() {
  const res = await fetch(URL + '/api/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tandem-Console': '1' },
    body: JSON.stringify({ user: 'admin', password: process.env.ADMIN_PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = res.headers.get('set-cookie').split(';')[0];
  return async (method, p, body) => {
    const r = await fetch(URL + p, {
      method, headers: { Cookie: cookie, 'X-Tandem-Console': '1', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };
}

test('the console serves HTTPS with a certificate of the CA, and safe headers', async () => {
  const res = await fetch(URL + '/');
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/, 'the page loads nothing from elsewhere');
});

test('the API refuses calls without a session, writes without the page header, bad JSON', async () => {
  let r = await fetch(URL + '/api/objects');
  assert.equal(r.status, 401);
  assert.match((await r.json()).error, /log in/);
  r = await fetch(URL + '/api/login', { method: 'POST', body: '{"user":"admin","password":"x"}' });
  assert.equal(r.status, 403, 'a login from another site (no X-Tandem-Console) is refused');
  r = await fetch(URL + '/api/login', { method: 'POST', headers: { 'X-Tandem-Console': '1' },
                                        body: '{"user": "admin", "password": ' });
  assert.equal(r.status, 400);
  assert.ok((await r.json()).error.length > 0);
  r = await fetch(URL + '/api/login', { method: 'POST', headers: { 'X-Tandem-Console': '1' },
                                        body: '{"user": "admin", "password": "wrong password"}' });
  assert.equal(r.status, 401);
  assert.match((await r.json()).error, /wrong user name or password/);
  const api = await adminApi();
  let got = await api('PUT', '/api/objects/host/1', { object: { name: 'hv' } });
  assert.equal(got.status, 400);
  assert.match(got.body.error, /expected_revision is required/);
  got = await api('GET', '/api/objects/nosuchtype/1');
  assert.equal(got.status, 400);
  got = await api('GET', '/api/nothing');
  assert.equal(got.status, 404);
});

test('login with the keyboard, and every page renders without console errors', async () => {
  const page = await newPage();
  await page.goto(URL + '/');
  await page.getByLabel('User name').waitFor(WAIT);
  await shot(page, '01-login');
  // A wrong password: said on the page.
  await page.keyboard.type('carol');
  await page.keyboard.press('Tab');
  await page.keyboard.type('not her password');
  await page.keyboard.press('Enter');
  await page.getByText('wrong user name or password').waitFor(WAIT);
  page.consoleErrors.length = 0;  // the refused login's 401 is logged by chromium
  await page.getByLabel('Password', { exact: true }).fill('');
  await page.getByLabel('Password', { exact: true }).focus();
  await page.keyboard.type(carolPassword);
  await page.keyboard.press('Enter');
  await page.locator('#who').filter({ hasText: 'person carol' }).waitFor(WAIT);
  await page.getByText('live ·').waitFor(WAIT);
  await shot(page, '02-config-top');
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: 'Visible' })
    .click();
  await page.getByRole('link', { name: 'hv' }).waitFor(WAIT);
  await shot(page, '03-config-folder');
  await page.getByRole('link', { name: 'hv' }).click();
  await page.getByLabel('address').waitFor(WAIT);
  await shot(page, '04-object');
  await page.getByRole('link', { name: 'History' }).click();
  await page.getByText('Revision', { exact: false }).first().waitFor(WAIT);
  await shot(page, '05-history');
  // Regions: r1's master answers (its DBMS does not), nothing of r2 does.
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Regions' }).click();
  await page.locator('[data-region=r1][data-state=up][data-dbms=down]').waitFor(WAIT);
  await page.locator('[data-region=r2][data-state=down]').waitFor(WAIT);
  await page.getByText('No live region').waitFor(WAIT);
  await page.locator('#regions-age', { hasText: /checked \d+ s ago/ }).waitFor(WAIT);
  await shot(page, '05b-regions');
  assert.deepEqual(page.consoleErrors, []);
  assert.deepEqual(pageErrors, []);
  await page.context().close();
});

test('an edit round-trips; a stale edit in a second tab is refused and shown', async () => {
  const page = await newPage();
  await loginAs(page, 'carol', carolPassword);
  const tab2 = await page.context().newPage();
  tab2.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(URL + '/#/object/Host/1');
  await tab2.goto(URL + '/#/object/Host/1');
  // The second tab starts editing first; then the first saves.
  await tab2.getByLabel('address').fill('192.0.2.20');
  await page.getByLabel('address').fill('192.0.2.10');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText(/Saved at revision \d+/).waitFor(WAIT);
  // The second tab is told at once, and keeps its edit.
  await tab2.getByText(/while you edit: saving will be refused/).waitFor({ timeout: 2000 });
  const api = await adminApi();
  const got = await api('GET', '/api/objects/host/1');
  assert.equal(got.body.object.properties.address, '192.0.2.10');
  // Saving the second tab's edit of the old version is refused.
  await tab2.getByRole('button', { name: 'Save' }).click();
  await tab2.getByText('Someone changed this object while you edited it').waitFor(WAIT);
  await tab2.screenshot({ path: path.join(ARTIFACTS, '06-stale-edit.png'), fullPage: true });
  assert.equal(await tab2.getByLabel('address').inputValue(), '192.0.2.20', 'the edit is kept');
  assert.equal((await api('GET', '/api/objects/host/1')).body.object.properties.address,
               '192.0.2.10');
  // Keeping the edit on top of the newer version saves it.
  await tab2.getByRole('button', { name: 'Keep my edit on top of it' }).click();
  await tab2.getByRole('button', { name: 'Save' }).click();
  await tab2.getByText(/Saved at revision \d+/).waitFor(WAIT);
  assert.equal((await api('GET', '/api/objects/host/1')).body.object.properties.address,
               '192.0.2.20');
  await page.context().close();
});

test('a value the server refuses is shown on the field it names', async () => {
  // The administrator (carol would be refused the move itself: no rights there).
  const page = await newPage();
  await loginAs(page, 'admin', process.env.ADMIN_PASSWORD);
  await page.goto(URL + '/#/object/Host/1');
  await page.getByLabel('Folder (DBID, 0 for none)').fill('9999');
  await page.getByRole('button', { name: 'Save' }).click();
  const field = page.locator('[data-field="folder_dbid"] .field-error');
  await field.filter({ hasText: /./ }).waitFor(WAIT);
  assert.equal(await page.getByLabel('Folder (DBID, 0 for none)').getAttribute('aria-invalid'),
               'true');
  await shot(page, '07-field-error');
  // A value the page itself can tell is wrong never reaches the server.
  await page.getByLabel('Folder (DBID, 0 for none)').fill('one');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('folder_dbid: must be a whole number').waitFor(WAIT);
  await page.context().close();
});

test('hostile values are shown as text, never run', async () => {
  const api = await adminApi();
  const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
  const cur = await api('GET', '/api/objects/folder/1');
  const o = cur.body.object;
  o.properties.description = hostile;
  const put = await api('PUT', '/api/objects/folder/1', { object: o, expected_revision: o.revision });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const page = await newPage();
  await loginAs(page, 'carol', carolPassword);
  await page.goto(URL + '/#/object/Folder/1');
  await page.getByLabel('description').waitFor(WAIT);
  assert.equal(await page.getByLabel('description').inputValue(), hostile);
  await page.goto(URL + '/#/object/Folder/1/history');
  await page.getByText('<script>window.pwned=2</script>', { exact: false }).first().waitFor(WAIT);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('img[src=x]').count(), 0);
  await page.context().close();
});

test('a person without Read sees nothing of an object', async () => {
  const page = await newPage();
  await loginAs(page, 'dave', process.env.DAVE_PASSWORD);
  await page.getByText('0 of 0 objects').waitFor(WAIT);
  assert.equal(await page.getByRole('link', { name: 'Visible' }).count(), 0);
  page.consoleErrors.length = 0;
  await page.goto(URL + '/#/object/Host/1');
  await page.getByRole('heading', { name: 'Not available' }).waitFor(WAIT);
  assert.equal(await page.getByText('192.0.2').count(), 0);
  await shot(page, '08-no-read');
  // carol sees hv but not hh (in Hidden).
  const carol = await newPage();
  await loginAs(carol, 'carol', carolPassword);
  await carol.goto(URL + '/#/object/Host/2');
  await carol.getByRole('heading', { name: 'Not available' }).waitFor(WAIT);
  await page.context().close();
  await carol.context().close();
});

test('changes appear live, without reload', async () => {
  const page = await newPage();
  await loginAs(page, 'carol', carolPassword);
  await page.goto(URL + '/#/config?folder=1');
  await page.getByRole('link', { name: 'hv' }).waitFor(WAIT);
  await page.getByText('live ·').waitFor(WAIT);
  const api = await adminApi();
  const made = await api('POST', '/api/objects/host',
                         { object: { name: 'hnew', folder_dbid: 1, properties: { address: '192.0.2.5' } } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const t0 = Date.now();
  await page.getByRole('link', { name: 'hnew' }).waitFor({ timeout: 2000 });
  console.log(`# live: a new object appeared in the open page after ${Date.now() - t0} ms`);
  // An object being looked at (not edited) follows the change.
  await page.getByRole('link', { name: 'hnew' }).click();
  await page.getByLabel('address').waitFor(WAIT);
  const o = made.body.object;
  o.properties.address = '192.0.2.6';
  assert.equal((await api('PUT', '/api/objects/host/' + o.dbid,
                          { object: o, expected_revision: o.revision })).status, 200);
  await page.getByText('Updated live').waitFor({ timeout: 2000 });
  assert.equal(await page.getByLabel('address').inputValue(), '192.0.2.6');
  await page.context().close();
});

test('the live stream resumes from the revision it last delivered (Last-Event-ID)', async () => {
  const api = await adminApi();
  const before = await api('GET', '/api/objects/host/1');
  const from = before.body.revision;
  // Two changes while no stream is open.
  for (const name of ['hgap1', 'hgap2']) {
    const r = await api('POST', '/api/objects/host',
                        { object: { name, folder_dbid: 1, properties: { address: '192.0.2.7' } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const login = await fetch(URL + '/api/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tandem-Console': '1' },
    body: JSON.stringify({ user: 'carol', password: carolPassword }),
  });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const res = await fetch(URL + '/api/events', { headers: { Cookie: cookie, 'Last-Event-ID': String(from) } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  const names = [];
  const events = await readEvents(res, (ev) => {
    if (ev.event === 'changes') {
      for (const c of JSON.parse(ev.data).changes) if (c.after) names.push(c.after.name);
    }
    return names.includes('hgap2');
  });
  assert.deepEqual(names.filter((n) => n.startsWith('hgap')), ['hgap1', 'hgap2'], JSON.stringify(events));
  assert.ok(events.filter((e) => e.event === 'changes').every((e) => e.id > from));
  // dave's stream carries nothing of folder Visible.
  const dlogin = await fetch(URL + '/api/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tandem-Console': '1' },
    body: JSON.stringify({ user: 'dave', password: process.env.DAVE_PASSWORD }),
  });
  const dres = await fetch(URL + '/api/events', {
    headers: { Cookie: dlogin.headers.get('set-cookie').split(';')[0], 'Last-Event-ID': String(from) } });
  const seen = await readEvents(dres, () => false, 1500);
  assert.equal(seen.filter((e) => e.event === 'changes').length, 0, JSON.stringify(seen));
});

test('on a narrow screen nothing scrolls sideways', async () => {
  const page = await newPage({ viewport: { width: 360, height: 740 } });
  await loginAs(page, 'carol', carolPassword);
  await page.goto(URL + '/#/object/Host/1');
  await page.getByLabel('address').waitFor(WAIT);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await shot(page, '09-narrow');
  await page.context().close();
});

test('a session that ends mid-edit keeps the edit: log in again, and it is saved', async () => {
  const page = await newPage();
  await loginAs(page, 'carol', carolPassword);
  await page.goto(URL + '/#/object/Host/1');
  try { await page.getByLabel('address').waitFor(WAIT); } catch (e) {
    await shot(page, 'failed-10'); throw e;
  }
  await page.getByLabel('address').fill('192.0.2.30');
  // The administrator sets a new password for carol: her session token ends.
  const api = await adminApi();
  const pw = await api('GET', '/api/objects/person/2');  // carol (admin is 1)
  assert.equal(pw.body.object.name, 'carol');
  const newPassword = 'her second secret, longer';
  const changed = await setPassword('carol', newPassword);
  assert.equal(changed, 0);
  carolPassword = newPassword;
  await page.getByRole('button', { name: 'Save' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Your session has ended').waitFor(WAIT);
  await shot(page, '10-relogin');
  await dialog.getByLabel('Password', { exact: true }).fill(newPassword);
  await dialog.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(/Saved at revision \d+/).waitFor(WAIT);
  assert.equal((await api('GET', '/api/objects/host/1')).body.object.properties.address,
               '192.0.2.30');
  await page.context().close();
});

// tandemctl passwd as the administrator (the console has no such page yet).
async function setPassword(user, password) {
  const r = spawnSync(process.env.TANDEMCTL, ['--server', process.env.MASTER, 'passwd', user,
                                              '--password-stdin'],
                      { input: password + '\n', env: { ...process.env } });
  if (r.status !== 0) console.log(String(r.stdout) + String(r.stderr));
  return r.status;
}

test('a server that goes away: the page says which and keeps the last known state', async () => {
  const page = await newPage();
  await loginAs(page, 'carol', carolPassword);
  await page.goto(URL + '/#/config?folder=1');
  await page.getByRole('link', { name: 'hv' }).waitFor(WAIT);
  await page.getByText('live ·').waitFor(WAIT);
  process.kill(Number(process.env.MASTER_PID), 'SIGKILL');
  const badge = page.locator('#live.bad');
  await badge.filter({ hasText: process.env.MASTER }).waitFor({ timeout: 10000 });
  await badge.filter({ hasText: /last known state, \d+ s old/ }).waitFor(WAIT);
  assert.ok(await page.getByRole('link', { name: 'hv' }).isVisible(), 'the table is still shown');
  await shot(page, '11-server-gone');
  await page.context().close();
  assert.deepEqual(pageErrors, []);
});
