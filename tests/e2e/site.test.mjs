// dist/ on an ordinary static host (tests/e2e/static-server.mjs: no COOP/COEP, nothing
// idlab-specific): the site's service worker (www/sw.js, registered by www/isolation.js) makes
// the lab cross-origin isolated with one reload, so the threaded build runs; with service
// workers blocked, or inside another site's frame, the page runs the single-threaded build and
// says why; after one visit the lab runs a preset offline; a new deploy replaces the old cache
// (downloading only the changed file); and on `idlab serve`
// (isolated by its headers) the worker is registered all the same, for the offline cache.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { DIST, ROOT, assertBuilt, useBrowser, limitedSpec, startServer, waitReady, outDir, writeJson } from './helpers.mjs';
import { startStatic } from './static-server.mjs';

const env = useBrowser();
const RUN_MS = 4 * 60 * 1000;
let site; // dist/ on a header-less static server
before(async () => {
  assertBuilt();
  assert.ok(fs.existsSync(path.join(DIST, 'precache.json')), 'dist/precache.json (www/build/precache.mjs) is missing: ./build.sh site');
  site = await startStatic(DIST);
});
after(async () => { await site?.close(); });

/** A page in `context` at `url`, with its problems (console errors, failed requests, HTTP errors) and its document loads. */
async function open(context, url) {
  const page = await context.newPage();
  const problems = [];
  const navigations = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    const why = req.failure() ? req.failure().errorText : 'unknown';
    if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${req.url()} (${why})`);
  });
  page.on('response', (resp) => { if (resp.status() >= 400) problems.push(`HTTP ${resp.status()} for ${resp.url()}`); });
  page.on('load', () => navigations.push(page.url())); // document loads (not the permalink's hash updates)
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, navigations };
}

/** isolation.js's outcome ({isolated, how, why}), once settled (after its one reload, if any). */
async function isolationOf(page, timeout = 60000) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      await page.waitForFunction(() => window.idlabIsolation, null, { timeout: Math.max(1000, end - Date.now()) });
      return await page.evaluate(() => ({ ...window.idlabIsolation, crossOriginIsolated: window.crossOriginIsolated }));
    } catch (err) {
      // The one reload destroys the context the wait ran in: wait again in the new page.
      if (Date.now() > end || !/context was destroyed|navigat/i.test(err.message)) throw err;
    }
  }
}

/** The service worker's offline cache, filled now: {version, total, cached, complete}. */
function fillOffline(page) {
  return page.evaluate(() => import('./isolation.js').then((m) => m.fillOffline()));
}

/** Names of the page's Cache Storage caches. */
function cacheNames(page) {
  return page.evaluate(() => caches.keys());
}

test('a header-less static host: the service worker isolates the lab with one reload, threaded build', { timeout: 3 * 60 * 1000 }, async () => {
  const context = await env.browser.newContext();
  try {
    const { page, problems, navigations } = await open(context, `${site.url}?autorun=0`);
    const state = await isolationOf(page);
    assert.equal(state.isolated, true, `isolated (why not: ${state.why})`);
    assert.equal(state.how, 'service-worker');
    assert.equal(state.crossOriginIsolated, true);
    const info = await waitReady(page);
    assert.equal(info.flavor, 'threads');
    const build = await page.textContent('#build');
    assert.match(build, /^Build: threaded \(\d+ threads?, relaxed SIMD\); cross-origin isolated by the site's service worker/);
    await page.waitForTimeout(2000); // a reload loop would show here
    assert.equal(navigations.length, 2, `one reload, no more: ${navigations.join(', ')}`);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.isolation), 'service-worker');
    assert.deepEqual(problems, []);

    // Requests the worker leaves alone still work and reach the server: a Range request, a
    // POST (sirv answers it with the file), and another origin's URL (CORS, never cached).
    const other = await startStatic(DIST, { cors: true });
    const asked = () => site.requests.filter((u) => u === '/presets/index.json').length;
    const before = asked();
    try {
      const seen = await page.evaluate(async (url) => {
        const range = await fetch('presets/index.json', { headers: { Range: 'bytes=0-9' } });
        const post = await fetch('presets/index.json', { method: 'POST', body: '{}' });
        const cross = await fetch(url);
        return {
          range: [range.status, (await range.text()).length],
          post: post.status,
          cross: [cross.status, cross.type],
          cached: Boolean(await caches.match(url)),
        };
      }, `${other.url}presets/index.json`);
      assert.deepEqual(seen, { range: [206, 10], post: 200, cross: [200, 'cors'], cached: false });
      assert.equal(asked() - before, 2, 'the Range request and the POST went to the server');
    } finally {
      await other.close();
    }
  } finally {
    await context.close();
  }
});

test('service workers blocked: the single-threaded build, a note saying why, and a reduced run', { timeout: 3 * 60 * 1000 }, async () => {
  const context = await env.browser.newContext({ serviceWorkers: 'block' });
  try {
    const { page, problems, navigations } = await open(context, `${site.url}?autorun=0`);
    const state = await isolationOf(page);
    assert.equal(state.isolated, false);
    assert.match(state.why, /service workers are blocked/);
    const info = await waitReady(page);
    assert.equal(info.flavor, 'single');
    const build = await page.textContent('#build');
    assert.match(build, /^Build: single-threaded: this host does not send the cross-origin isolation headers \(COOP\/COEP\) and service workers are blocked here/);
    const result = await page.evaluate((s) => window.idlab.run(s), limitedSpec(8));
    assert.equal(result.flavor, 'single');
    assert.ok(result.scores.length > 0 && result.scores[0].values.length > 0, 'the run has scores');
    assert.equal(navigations.length, 1, 'no reload');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('offline after the first visit: with the network off and the server gone, a reload runs a preset to the end', { timeout: 3 * 60 * 1000 }, async () => {
  const own = await startStatic(DIST); // closed below: nothing can come from the network after that
  const context = await env.browser.newContext();
  try {
    const { page, problems } = await open(context, `${own.url}?autorun=0`);
    assert.equal((await isolationOf(page)).isolated, true);
    await waitReady(page);
    const kept = await fillOffline(page);
    assert.equal(kept.complete, true, `precache complete: ${JSON.stringify(kept)}`);
    assert.ok(kept.total > 1000, `the precache lists the site's files (${kept.total})`);
    // Each wasm build came from the server once: the page before the reload fetched none, and
    // the fill kept the copy the page's worker had fetched through the service worker.
    const times = (file) => own.requests.filter((u) => u === file).length;
    assert.deepEqual(['threads-relaxed', 'threads', 'single'].map((b) => times(`/pkg/${b}/idlab_bg.wasm`)), [1, 1, 1]);
    assert.deepEqual((await cacheNames(page)).filter((n) => n.startsWith('idlab-site-')), [`idlab-site-${kept.version}`]);

    await context.setOffline(true);
    await own.close();
    problems.length = 0;
    await page.reload({ waitUntil: 'load' });
    const state = await isolationOf(page);
    assert.equal(state.isolated, true, `isolated offline (why not: ${state.why})`);
    const info = await waitReady(page);
    assert.equal(info.flavor, 'threads');
    const started = Date.now();
    const result = await page.evaluate((s) => window.idlab.run(s), limitedSpec(8));
    assert.equal(result.flavor, 'threads');
    assert.ok(result.scores.length > 0 && result.scores[0].values.length > 0, 'the run has scores');
    writeJson(path.join(outDir('site'), 'offline-result.json'), { ...result, wall_seconds: (Date.now() - started) / 1000 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await own.close();
  }
});

test('a new deploy replaces the old cache and its changed file is served', { timeout: 5 * 60 * 1000 }, async (t) => {
  // A copy of dist/: the large folders linked, the small files copied (one of them changed below).
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'idlab-deploy-'));
  for (const name of fs.readdirSync(DIST)) {
    const from = path.join(DIST, name);
    if (['pkg', 'data', 'vendor', 'models'].includes(name)) fs.symlinkSync(from, path.join(copy, name));
    else fs.cpSync(from, path.join(copy, name), { recursive: true });
  }
  const server = await startStatic(copy);
  const context = await env.browser.newContext();
  try {
    const { page, problems } = await open(context, `${server.url}?autorun=0`);
    assert.equal((await isolationOf(page)).isolated, true);
    await waitReady(page);
    const first = await fillOffline(page);
    assert.equal(first.complete, true, `precache complete: ${JSON.stringify(first)}`);
    assert.deepEqual((await cacheNames(page)).filter((n) => n.startsWith('idlab-site-')), [`idlab-site-${first.version}`]);

    // The compute worker's cache of trained weights (weights-cache.js) is not the site's: it stays.
    await page.evaluate(() => caches.open('idlab-weights-v1').then((c) => c.put('/.idlab-weights/test', new Response('kept'))));
    const marker = `/* deploy ${Date.now()} */`;
    fs.appendFileSync(path.join(copy, 'style.css'), `\n${marker}\n`);
    execFileSync(process.execPath, [path.join(ROOT, 'www/build/precache.mjs'), copy], { stdio: 'pipe' });

    const asked = server.requests.length;
    await page.reload({ waitUntil: 'load' });
    await isolationOf(page);
    // The browser's update check on the reload finds the new sw.js; its worker takes over and
    // drops the old cache. Chromium schedules that check and defers it while the worker is busy
    // (on CI's loaded 2-core machine it had not run a minute later), so the test also asks for
    // it, as a tab left open would on its next navigation: what is tested is the takeover.
    // Chromium lets a new worker that called skipWaiting() take over only once the old one has
    // no event in flight (up to 5 minutes, its kMaxLameDuckTime), so the wait reads the
    // registration and the caches from the page and sends the old worker nothing: a status
    // message every quarter second kept it busy (CI, 2026-12-03: still waiting 150 s later).
    const siteCaches = async () => (await cacheNames(page)).filter((n) => n.startsWith('idlab-site-'));
    const registration = () => page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      const v = (w) => (w ? w.state : null);
      return { installing: v(r.installing), waiting: v(r.waiting), active: v(r.active) };
    });
    const waitStarted = Date.now();
    let state = await registration();
    let found = null; // seconds until the new worker was installing or waiting
    let lastAsk = 0;
    for (const end = Date.now() + 150000; Date.now() < end; state = await registration()) {
      const names = await siteCaches();
      const taken = !names.includes(`idlab-site-${first.version}`) && names.length === 1;
      if (taken && state.active === 'activated' && !state.installing && !state.waiting) break;
      if (state.installing || state.waiting) found ??= (Date.now() - waitStarted) / 1000;
      else if (Date.now() - lastAsk > 5000) {
        lastAsk = Date.now();
        await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update())).catch(() => {});
      }
      await page.waitForTimeout(250);
    }
    const second = await page.evaluate(() => import('./isolation.js').then((m) => m.offlineState()));
    const waited = (Date.now() - waitStarted) / 1000;
    t.diagnostic(`new deploy: the new worker found after ${found} s, in control after ${waited.toFixed(1)} s`);
    assert.notEqual(second.version, first.version,
      `the new version took over (after ${waited.toFixed(0)} s: registration ${JSON.stringify(state)}, found after ${found} s, caches ${JSON.stringify(await siteCaches())})`);
    assert.deepEqual((await cacheNames(page)).filter((n) => n.startsWith('idlab-site-')), [`idlab-site-${second.version}`]);
    assert.equal(await page.evaluate(() => caches.match('/.idlab-weights/test', { cacheName: 'idlab-weights-v1' }).then((r) => r && r.text())), 'kept');
    const css = await page.evaluate(() => fetch('style.css').then((r) => r.text()));
    assert.ok(css.includes(marker), 'the changed style.css is served');
    // The new version kept everything, copying the unchanged files from the old cache: of the
    // site's files only the changed one came from the server again.
    const kept = await fillOffline(page);
    assert.equal(kept.complete, true, `new precache complete: ${JSON.stringify(kept)}`);
    const fetched = server.requests.slice(asked).map((u) => u.split('?')[0]);
    assert.deepEqual(fetched.filter((u) => !['/', '/sw.js', '/precache.json'].includes(u)), ['/style.css']);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('inside another site\'s frame: no service worker, the single-threaded build and the note', { timeout: 3 * 60 * 1000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idlab-frame-host-'));
  fs.writeFileSync(path.join(dir, 'index.html'),
    `<!doctype html><title>host</title><link rel="icon" href="data:,"><iframe src="${site.url}index.html?autorun=0" width="1200" height="800"></iframe>\n`);
  const host = await startStatic(dir); // another origin (its own port)
  const context = await env.browser.newContext();
  try {
    const { page, problems, navigations } = await open(context, host.url);
    const frame = page.frames().find((f) => f.url().startsWith(site.url));
    assert.ok(frame, 'the lab\'s frame');
    await frame.waitForFunction(() => window.idlabIsolation, null, { timeout: 60000 });
    const state = await frame.evaluate(() => window.idlabIsolation);
    assert.equal(state.isolated, false);
    assert.match(state.why, /inside a frame of another site/);
    await frame.waitForFunction(() => typeof window.idlab === 'object');
    const info = await frame.evaluate(() => window.idlab.ready);
    assert.equal(info.flavor, 'single');
    assert.match(await frame.textContent('#build'), /^Build: single-threaded: .*inside a frame of another site/);
    assert.equal(await frame.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => Boolean(r))), false, 'no service worker registered');
    assert.equal(navigations.length, 1, 'no reload');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await host.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** GET `url` accepting `accept`: the response's headers and its body's bytes on the wire (not decoded). */
function rawGet(url, accept) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'accept-encoding': accept } }, (r) => {
      let bytes = 0;
      r.on('data', (c) => { bytes += c.length; });
      r.on('end', () => resolve({ headers: r.headers, bytes }));
    }).on('error', reject);
  });
}

test('idlab serve (isolated by its headers): no reload, the service worker is registered for the offline cache, the wasm goes out precompressed', { timeout: 3 * 60 * 1000 }, async () => {
  const server = await startServer();
  // What a browser downloads of each build (Chromium accepts br): the build's .br file, under 3 MB.
  const sizes = {};
  for (const flavor of ['threads-relaxed', 'threads', 'single']) {
    const url = `${server.url}pkg/${flavor}/idlab_bg.wasm`;
    const { headers, bytes } = await rawGet(url, 'gzip, deflate, br, zstd');
    assert.equal(headers['content-encoding'], 'br', `${url}: ${JSON.stringify(headers)}`);
    assert.equal(headers['content-type'], 'application/wasm');
    assert.equal(bytes, fs.statSync(path.join(DIST, `pkg/${flavor}/idlab_bg.wasm.br`)).size, 'the .br file as built');
    assert.ok(bytes < 3e6, `${flavor} wasm sent as ${bytes} bytes, over 3 MB`);
    const gz = await rawGet(url, 'gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    sizes[flavor] = { raw: fs.statSync(path.join(DIST, `pkg/${flavor}/idlab_bg.wasm`)).size, br: bytes, gzip: gz.bytes };
  }
  writeJson(path.join(outDir('site'), 'wasm-sizes.json'), sizes);
  const context = await env.browser.newContext();
  try {
    const { page, problems, navigations } = await open(context, `${server.url}?autorun=0`);
    const state = await isolationOf(page);
    assert.equal(state.isolated, true);
    assert.equal(state.how, 'headers');
    const info = await waitReady(page);
    assert.equal(info.flavor, 'threads');
    const active = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => Boolean(r.active)));
    assert.equal(active, true, 'the service worker is active');
    assert.match(await page.textContent('#build'), /^Build: threaded \(\d+ threads?, relaxed SIMD\)$/);
    assert.equal(navigations.length, 1, 'no reload');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.close();
  }
});
