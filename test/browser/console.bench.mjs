// Console benchmarks (not a test: no pass/fail, figures for
// docs/PERFORMANCE.md). Run by the disabled ConsoleTest.DISABLED_Benchmark:
//   build/test/integration/console_test --gtest_also_run_disabled_tests \
//     --gtest_filter='*Benchmark*'
// with the same environment as console.test.mjs, plus BENCH_OBJECTS (10000),
// BENCH_CONSOLES (200), BENCH_CHANGES (30), BENCH_RENDERS (5).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { launchChromium } from './browser.mjs';
import { readEvents } from './sse.mjs';

const URL = process.env.CONSOLE_URL;
const OBJECTS = Number(process.env.BENCH_OBJECTS || 10000);
const CONSOLES = Number(process.env.BENCH_CONSOLES || 200);
const CHANGES = Number(process.env.BENCH_CHANGES || 30);
const RENDERS = Number(process.env.BENCH_RENDERS || 5);

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}
const ms = (x) => x.toFixed(1) + ' ms';

async function session(user, password) {
  const r = await fetch(URL + '/api/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tandem-Console': '1' },
    body: JSON.stringify({ user, password }),
  });
  assert.equal(r.status, 200);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const call = async (method, p, body) => {
    const res = await fetch(URL + p, {
      method, headers: { Cookie: cookie, 'X-Tandem-Console': '1', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  call.cookie = cookie;
  return call;
}

const admin = await session('admin', process.env.ADMIN_PASSWORD);

// ---- 1. A folder of OBJECTS hosts: time to first render ------------------
const folder = await admin('POST', '/api/objects/folder', { object: { name: 'Big', properties: {} } });
assert.equal(folder.status, 201, JSON.stringify(folder.body));
const big = folder.body.object.dbid;
let t = performance.now();
let next = 0;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < OBJECTS) {
    const i = next++;
    const r = await admin('POST', '/api/objects/host', { object: {
      name: 'big' + String(i).padStart(5, '0'), folder_dbid: big,
      properties: { address: '192.0.2.' + (i % 250 + 1) } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
}));
console.log(`# made ${OBJECTS} hosts through the console API in ${((performance.now() - t) / 1000).toFixed(1)} s (16 at once)`);

const apiTimes = [];
for (let i = 0; i < RENDERS; ++i) {
  t = performance.now();
  const r = await admin('GET', '/api/objects?folder=' + big);
  apiTimes.push(performance.now() - t);
  assert.equal(r.body.objects.length, OBJECTS);
}
console.log(`# GET /api/objects?folder= of ${OBJECTS} objects (the call the page makes): median ${ms(quantile(apiTimes, 0.5))}, max ${ms(Math.max(...apiTimes))}`);

const browser = await launchChromium(process.env.CONSOLE_CERT);
const page = await (await browser.newContext()).newPage();
await page.goto(URL + '/');
await page.getByLabel('User name').fill('admin');
await page.getByLabel('Password', { exact: true }).fill(process.env.ADMIN_PASSWORD);
await page.getByRole('button', { name: 'Log in' }).click();
await page.locator('#who').filter({ hasText: 'person admin' }).waitFor();
const renders = { folder: [], top: [], all: [] };
for (let i = 0; i < RENDERS; ++i) {
  for (const [key, hash, text] of [['top', '#/config', /of \d+ objects/],
                                   ['folder', '#/config?folder=' + big, `${OBJECTS} of ${OBJECTS} objects`]]) {
    await page.evaluate(() => { location.hash = '#/object/Folder/1'; });
    await page.getByLabel('Name').waitFor();
    t = performance.now();
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.getByText(text).waitFor({ timeout: 60000 });
    renders[key].push(performance.now() - t);
    if (key === 'folder') {
      t = performance.now();
      await page.getByRole('button', { name: 'Show all ' + OBJECTS }).click();
      await page.locator(`tbody tr:nth-child(${OBJECTS})`).waitFor({ timeout: 60000 });
      renders.all.push(performance.now() - t);
    }
  }
}
console.log(`# first render of the top level: median ${ms(quantile(renders.top, 0.5))}, max ${ms(Math.max(...renders.top))} (${RENDERS} runs)`);
console.log(`# first render of a ${OBJECTS}-object folder: median ${ms(quantile(renders.folder, 0.5))}, max ${ms(Math.max(...renders.folder))} (${RENDERS} runs)`);
console.log(`# then 'Show all ${OBJECTS}' rows: median ${ms(quantile(renders.all, 0.5))}, max ${ms(Math.max(...renders.all))}`);
await browser.close();

// ---- 2. SSE fan-out: one change to CONSOLES open streams -----------------
const carol = await session('carol', process.env.CAROL_PASSWORD);
let object = (await admin('GET', '/api/objects/host/1')).body.object;
const sent = new Map();  // lca_port written -> when the PUT was sent
const delays = [];       // per (change, console): sent -> delivered
const streams = await Promise.all(Array.from({ length: CONSOLES }, async () => {
  const res = await fetch(URL + '/api/events', { headers: { Cookie: carol.cookie } });
  assert.equal(res.status, 200);
  return res;
}));
const done = streams.map((res) => {
  let seen = 0;
  return readEvents(res, (ev) => {
    if (ev.event !== 'changes') return false;
    const now = performance.now();
    for (const c of JSON.parse(ev.data).changes) {
      const at = c.after ? sent.get(c.after.properties.lca_port) : undefined;
      if (at !== undefined) { delays.push(now - at); ++seen; }
    }
    return seen >= CHANGES;
  }, 60000 + CHANGES * 1000);
});
await new Promise((r) => setTimeout(r, 2000));  // every stream's watch is open
for (let i = 0; i < CHANGES; ++i) {
  object.properties.lca_port = 5000 + i;
  sent.set(5000 + i, performance.now());
  const r = await admin('PUT', '/api/objects/host/1', { object, expected_revision: object.revision });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  object = r.body.object;
  await new Promise((res) => setTimeout(res, 250));
}
await Promise.all(done);
console.log(`# SSE fan-out: ${CHANGES} changes to ${CONSOLES} open streams: ${delays.length} of ${CHANGES * CONSOLES} delivered; write sent -> delivered p50 ${ms(quantile(delays, 0.5))}, p99 ${ms(quantile(delays, 0.99))}, max ${ms(Math.max(...delays))}`);
