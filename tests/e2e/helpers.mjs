// Shared helpers for the browser end-to-end tests (run: `node --test tests/e2e/` from the repo root).
//
// Environment:
//   IDLAB_BIN       the idlab binary (default target/debug/idlab)
//   IDLAB_DIST      the built site (default dist/)
//   IDLAB_TEST_OUT  where screenshots and result JSON go (default tests/out/)
//   CHROMIUM        the browser executable (default /usr/bin/chromium)

import { before, after } from 'node:test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.resolve(ROOT, process.env.IDLAB_BIN || 'target/debug/idlab');
export const DIST = path.resolve(ROOT, process.env.IDLAB_DIST || 'dist');
export const OUT = path.resolve(ROOT, process.env.IDLAB_TEST_OUT || 'tests/out');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Upper bound for one full 92-image run in wasm. */
export const LONG_MS = 10 * 60 * 1000;

/** The default experiment, as the page and the CLI load it. */
export const DEFAULT_SPEC = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/alexnet-seeds-cka.json'), 'utf8'));

/** The default spec restricted to the first `limit` images. */
export function limitedSpec(limit) {
  return {
    ...DEFAULT_SPEC,
    name: `${DEFAULT_SPEC.name} (first ${limit} images)`,
    stimuli: { ...DEFAULT_SPEC.stimuli, limit },
  };
}

export function outDir(...parts) {
  const dir = path.join(OUT, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Fail early, with a useful message, when the build has not been done. */
export function assertBuilt() {
  const missing = [BIN, path.join(DIST, 'index.html'), path.join(DIST, 'pkg/single/idlab.js'), path.join(DIST, 'pkg/threads/idlab.js'), path.join(DIST, 'pkg/threads-relaxed/idlab.js'), path.join(DIST, 'vendor/wasm-feature-detect.js'), path.join(DIST, 'vendor/plotly.min.js')]
    .filter((p) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`Build first (./build.sh); missing: ${missing.map((p) => path.relative(ROOT, p)).join(', ')}`);
  }
}

/**
 * Start `idlab serve --dir dist --port 0` and wait for the URL it prints.
 * isolation=false adds --no-isolation (no COOP/COEP headers: no SharedArrayBuffer);
 * `dir` serves another folder (the benchmarks' pages).
 */
export async function startServer({ isolation = true, dir = null } = {}) {
  if (!dir) assertBuilt();
  const args = ['serve', '--dir', dir || DIST, '--port', '0'];
  if (!isolation) args.push('--no-isolation');
  const child = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-8000); });
  const url = await new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`idlab serve ${why}.\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    const timer = setTimeout(() => fail('printed no URL within 30 s'), 30000);
    child.stdout.on('data', (d) => {
      stdout = (stdout + d).slice(-8000);
      const m = stdout.match(/http:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/?/);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/`);
      }
    });
    child.on('error', (err) => fail(`could not start (${err.message})`));
    child.on('exit', (code, signal) => fail(`exited (${code ?? signal}) before printing its URL`));
  });
  return {
    url,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The one browser of a test file: registers node:test's before/after hooks and returns
 * {browser}, filled once the before hook has run (closed by the after hook).
 */
export function useBrowser() {
  const env = { browser: null };
  before(async () => { env.browser = await launchBrowser(); });
  after(async () => { await env.browser?.close(); });
  return env;
}

/**
 * One browser and one `idlab serve` for a test file: registers node:test's before/after
 * and returns {browser, server}, filled once the before hook has run.
 */
export function browserAndServer({ isolation = true } = {}) {
  const env = useBrowser();
  env.server = null;
  before(async () => { env.server = await startServer({ isolation }); });
  after(async () => { await env.server?.close(); });
  return env;
}

/** Runs `fn(server)` with its own `idlab serve` (see startServer), closed afterwards. */
export async function withServer(options, fn) {
  const server = await startServer(options);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** Runs `fn({page, context, problems})` on a fresh page at `url` (see openPage); its context is closed afterwards. */
export async function withPage(browser, url, fn) {
  const opened = await openPage(browser, url);
  try {
    return await fn(opened);
  } finally {
    await opened.context.close();
  }
}

/** The flags every headless Chromium of the tests and benchmarks runs with. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    timeout: 60000,
  });
}

/**
 * Open a page and record everything that went wrong in it: console errors (the page's
 * and its workers'), uncaught page errors, failed requests and HTTP errors.
 * Returns {page, problems} where problems is a live array of strings.
 * Content-Security-Policy violations (events in every frame, CSP console messages of the page and
 * its workers) are recorded too: `cspViolations(page)` lists them (tests/e2e/security.test.mjs).
 * `setup(context)`, when given, runs before the page opens (routes). Service workers are blocked unless `serviceWorkers: 'allow'`: the site's worker (www/sw.js)
 * would make a page on a header-less server cross-origin isolated and reload it, and these tests
 * choose the build by the server's headers; tests/e2e/site.test.mjs tests the service worker.
 */
export async function openPage(browser, url, { serviceWorkers = 'block', setup } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, serviceWorkers });
  if (setup) await setup(context); // before the page loads: routes standing for another browser or host
  const page = await context.newPage();
  await recordCsp(page);
  const problems = [];
  const seen = new WeakSet();
  const onConsole = (where) => (msg) => {
    if (seen.has(msg)) return;
    seen.add(msg);
    if (CSP_MESSAGE.test(msg.text())) cspConsole.get(page).push(`${where}: ${msg.text()}`);
    if (msg.type() === 'error') problems.push(`console error (${where}): ${msg.text()}`);
  };
  page.on('console', onConsole('page'));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('crash', () => problems.push('page crashed'));
  page.on('worker', (worker) => {
    worker.on('console', onConsole(`worker ${worker.url()}`));
  });
  page.on('requestfailed', (req) => {
    const why = req.failure() ? req.failure().errorText : 'unknown';
    if (why === 'net::ERR_ABORTED') return; // cancelled downloads (Cancel button)
    problems.push(`request failed: ${req.url()} (${why})`);
  });
  page.on('response', (resp) => {
    if (resp.status() >= 400) problems.push(`HTTP ${resp.status()} for ${resp.url()}`);
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, problems };
}

// ---------------------------------------------------------------- Content-Security-Policy

/** Console text of a CSP refusal (Chromium: "Refused to ... because it violates the following Content Security Policy directive"). */
const CSP_MESSAGE = /Content Security Policy|Content-Security-Policy/i;
/** Per page opened by openPage: the CSP messages its console (and its workers') printed. */
const cspConsole = new WeakMap();

/** Records every `securitypolicyviolation` of the page's frames in `window.__cspViolations`. */
async function recordCsp(page) {
  cspConsole.set(page, []);
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
    }, true);
  });
}

/**
 * The CSP violations of a page opened by openPage, in all its frames: the
 * `securitypolicyviolation` events and the console's CSP messages (the page's and its workers').
 * Tests assert it is empty.
 */
export async function cspViolations(page) {
  const found = [...(cspConsole.get(page) || [])];
  for (const frame of page.frames()) {
    try {
      const events = await frame.evaluate(() => window.__cspViolations || []);
      found.push(...events.map((e) => `${frame.url()}: ${e}`));
    } catch { /* a frame gone meanwhile */ }
  }
  return found;
}

/** Wait for window.idlab.ready; returns {flavor, threads}. */
export async function waitReady(page, timeout = 120000) {
  await page.waitForFunction(() => typeof window.idlab === 'object', null, { timeout });
  return page.evaluate((ms) => Promise.race([
    window.idlab.ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`idlab.ready did not settle within ${ms} ms`)), ms)),
  ]), timeout);
}

/** Opens the page without autorun and waits for the worker and the model form. */
export async function openFormReady(browser, baseUrl) {
  const opened = await openPage(browser, `${baseUrl}?autorun=0`);
  await waitReady(opened.page);
  await opened.page.waitForSelector('#source-arch:not([disabled])', { timeout: 30000 });
  await opened.page.waitForSelector('#target-arch:not([disabled])', { timeout: 30000 });
  await settled(opened.page);
  return opened;
}

/** Waits until the form shows the core's numbers (the images field, each model's memory) for the spec shown. */
export function settled(page) {
  return page.evaluate(() => window.idlab.settled());
}

/** Text of #error if it is visible, else null. */
export async function visibleError(page) {
  return page.evaluate(() => {
    const el = document.getElementById('error');
    return el && !el.hidden && el.textContent.trim() ? el.textContent.trim() : null;
  });
}

/** Runs `spec` through the page's `window.idlab.run`: {result} (the page's last result) or {error} (its message). */
export async function runInPage(page, spec) {
  return page.evaluate(async (s) => {
    try {
      await window.idlab.run(s);
    } catch (err) {
      return { error: String(err && err.message ? err.message : err) };
    }
    return { result: window.idlab.lastResult };
  }, spec);
}

/** Waits for the run to end: its result, or the error box's text (returned as {error}). */
export async function runOutcome(page, timeout = LONG_MS) {
  const handle = await page.waitForFunction(() => {
    const err = document.getElementById('error');
    if (err && !err.hidden && err.textContent.trim()) return { error: err.textContent.trim() };
    if (window.idlab.lastResult && !window.idlab.running) return { ok: true };
    return false;
  }, null, { timeout, polling: 250 });
  const outcome = await handle.jsonValue();
  if (outcome.error) return outcome;
  return { result: await page.evaluate(() => window.idlab.lastResult) };
}

/**
 * Wait until the current run finished (window.idlab.lastResult is set and the heatmap drawn)
 * or failed (#error visible); throws on failure. Returns the result.
 */
export async function waitForResult(page, timeout = LONG_MS) {
  const handle = await page.waitForFunction(
    () => {
      const err = document.getElementById('error');
      if (err && !err.hidden && err.textContent.trim()) return { error: err.textContent.trim() };
      const r = window.idlab && window.idlab.lastResult;
      const hm = document.getElementById('heatmap');
      if (r && !window.idlab.running && hm && hm.data && hm.data.length) return { ok: true };
      return false;
    },
    null,
    { timeout, polling: 250 },
  );
  const outcome = await handle.jsonValue();
  if (outcome.error) throw new Error(`the run failed; #error says: ${outcome.error}`);
  return page.evaluate(() => window.idlab.lastResult);
}

/** The z matrix and axes of the Plotly heatmap as drawn. */
export async function heatmapData(page) {
  return page.evaluate(() => {
    const d = document.getElementById('heatmap').data[0];
    return { type: d.type, z: d.z, x: d.x, y: d.y };
  });
}

// ---------------------------------------------------------------- matrices

/** Throws unless m is a rows x cols matrix of finite numbers in [lo, hi] (with a little float slack). */
export function checkMatrix(m, rows, cols, { lo = 0, hi = 1, slack = 1e-6 } = {}) {
  if (!Array.isArray(m) || m.length !== rows) throw new Error(`expected ${rows} rows, got ${Array.isArray(m) ? m.length : typeof m}`);
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) throw new Error(`row ${i}: expected ${cols} values, got ${Array.isArray(row) ? row.length : typeof row}`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`value [${i}][${j}] is not a finite number: ${v}`);
      if (v < lo - slack || v > hi + slack) throw new Error(`value [${i}][${j}] = ${v} is outside [${lo}, ${hi}]`);
    });
  });
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`row counts differ: ${a.length} vs ${b.length}`);
  let max = 0;
  a.forEach((row, i) => {
    if (row.length !== b[i].length) throw new Error(`row ${i} lengths differ: ${row.length} vs ${b[i].length}`);
    row.forEach((v, j) => { max = Math.max(max, Math.abs(v - b[i][j])); });
  });
  return max;
}

/** Mean of the diagonal and mean of everything else, for a square matrix. */
export function diagonalContrast(m) {
  let diag = 0;
  let off = 0;
  let nOff = 0;
  m.forEach((row, i) => row.forEach((v, j) => {
    if (i === j) diag += v;
    else { off += v; nOff += 1; }
  }));
  return { diag: diag / m.length, off: nOff ? off / nOff : NaN };
}

/**
 * The one comparison of a one-source, one-target result (spec version 2) in
 * the shape the checks use: {metric, source, target, matrix} with each side's
 * {arch, seed, label, layers} and the first score table as the matrix.
 */
export function pairView(result) {
  const score = result.scores[0];
  const side = (id) => result.models.find((m) => m.id === id);
  return { metric: score.metric, source: side(score.source), target: side(score.target), matrix: score.values };
}

/** The first score table of a result.json written by `idlab run`; null if absent. */
export function readMatrixFile(file) {
  if (!fs.existsSync(file)) return null;
  return pairView(JSON.parse(fs.readFileSync(file, 'utf8'))).matrix;
}

/** Run the native CLI: `idlab run <specFile> -o <dir>`; returns the first score table of <dir>/result.json. */
export async function runNative(specFile, dir, timeout = LONG_MS) {
  return pairView(await runNativeResult(specFile, dir, timeout)).matrix;
}

/** Run the native CLI: `idlab run <specFile> -o <dir>`; returns the parsed <dir>/result.json. */
export async function runNativeResult(specFile, dir, timeout = LONG_MS) {
  assertBuilt();
  fs.rmSync(dir, { recursive: true, force: true });
  const child = spawn(BIN, ['run', specFile, '-o', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output = (output + d).slice(-8000); });
  child.stderr.on('data', (d) => { output = (output + d).slice(-8000); });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`idlab run took over ${timeout} ms`)); }, timeout);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (c, signal) => { clearTimeout(timer); resolve(c ?? signal); });
  });
  if (code !== 0) throw new Error(`idlab run exited with ${code}:\n${output}`);
  const file = path.join(dir, 'result.json');
  if (!fs.existsSync(file)) throw new Error(`idlab run wrote no ${file}:\n${output}`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every score table of two results (same shape) differs by at most `tol`; nulls must match. */
export function maxScoreDiff(a, b) {
  if (a.scores.length !== b.scores.length) throw new Error(`score tables: ${a.scores.length} vs ${b.scores.length}`);
  let max = 0;
  a.scores.forEach((s, k) => {
    const t = b.scores[k];
    if (s.metric !== t.metric || s.source !== t.source || s.target !== t.target) {
      throw new Error(`table ${k}: ${s.metric} ${s.source}/${s.target} vs ${t.metric} ${t.source}/${t.target}`);
    }
    const walk = (x, y, where) => {
      if (Array.isArray(x)) {
        if (!Array.isArray(y) || x.length !== y.length) throw new Error(`${where}: shapes differ`);
        x.forEach((v, i) => walk(v, y[i], `${where}[${i}]`));
      } else if (x === null || y === null) {
        if (x !== y) throw new Error(`${where}: ${x} vs ${y}`);
      } else {
        max = Math.max(max, Math.abs(x - y));
      }
    };
    walk(s.values, t.values, `${s.metric} ${s.source}/${s.target}`);
    if (s.per_subject) walk(s.per_subject, t.per_subject, `${s.metric} ${s.source}/${s.target} per subject`);
  });
  return max;
}

export function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** A C-order float64 .npy file (format 1.0) of an array of rows or {rows, cols, data: Float64Array}. */
export function writeNpy(file, m) {
  const typed = m.data instanceof Float64Array;
  const [rows, cols] = typed ? [m.rows, m.cols] : [m.length, m[0].length];
  const shape = `(${rows}, ${cols}), `;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}}`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = typed
    ? Buffer.from(new Float64Array(m.data).buffer) // little-endian on every machine this runs on
    : Buffer.alloc(8 * rows * cols);
  if (!typed) m.flat().forEach((v, i) => body.writeDoubleLE(v, 8 * i));
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}
