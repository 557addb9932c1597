// The views tests' own site (views.test.mjs, views-exports.test.mjs): a small static server
// that serves www/ as it is (the views need no build), Plotly from www/node_modules (or
// dist/vendor/ when only the built site has it) and the wasm build from dist/pkg/ (the core,
// which writes the CSV and the report, through the worker as the page's buttons ask it); the
// hand-written result documents of tests/fixtures/results/; and a page with that result drawn.

import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { before, after } from 'node:test';
import { ROOT, DIST, launchBrowser, openPage } from './helpers.mjs';

/** A hand-written result document of tests/fixtures/results/ (name without .json). */
export function readFixture(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, `tests/fixtures/results/${name}.json`), 'utf8'));
}

/** The result the views are drawn from: 2 zoo sources x 2 zoo targets and a neural-RDM target. */
export const FIXTURE = readFixture('identify-small');

/** FIXTURE cut to one layer against one layer, its one score undefined: nothing to plot. */
export const ONE_BY_ONE = {
  ...FIXTURE,
  models: [
    { id: 's0', role: 'source', label: 'a', kind: 'zoo', arch: 'alexnet', seed: 0, layers: ['fc'] },
    { id: 't0', role: 'target', label: 'b', kind: 'zoo', arch: 'alexnet', seed: 1, layers: ['fc'] },
  ],
  scores: [{ metric: 'cka', source: 's0', target: 't0', values: [[null]] }],
  identifiability: [],
  noise_ceilings: [],
};

/** FIXTURE with its first two score tables only: no analyses. */
export const SCORES_ONLY = { ...FIXTURE, identifiability: undefined, noise_ceilings: undefined, scores: FIXTURE.scores.slice(0, 2) };

const WWW = path.join(ROOT, 'www');
export const PLOTLY = [
  path.join(WWW, 'node_modules/plotly.js-dist-min/plotly.min.js'),
  path.join(DIST, 'vendor/plotly.min.js'),
].find((p) => fs.existsSync(p));

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>views test</title>
<link rel="stylesheet" href="style.css"><link rel="stylesheet" href="views.css">
<script src="vendor/plotly.min.js"></script></head>
<body><main id="views"></main><div id="exports"></div></body></html>`;

/** A page with Plotly and nothing else of the site: for a view module imported alone. */
const BLANK = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>one view alone</title>
<script src="vendor/plotly.min.js"></script></head>
<body><div id="figure"></div></body></html>`;

const TYPES = {
  '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.html': 'text/html', '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

export function startStatic() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let file = null;
    if (url.pathname === '/' || url.pathname === '/views-test.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
      return;
    }
    if (url.pathname === '/blank.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(BLANK);
      return;
    }
    if (url.pathname === '/vendor/plotly.min.js') file = PLOTLY;
    else if (url.pathname === '/favicon.ico') file = path.join(WWW, 'favicon.svg');
    else if (url.pathname.startsWith('/pkg/')) {
      // The wasm build (the worker's core): the single-threaded one, as this server is not cross-origin isolated.
      const pkg = path.join(DIST, 'pkg');
      const p = path.normalize(path.join(DIST, decodeURIComponent(url.pathname)));
      if (p.startsWith(pkg + path.sep)) file = p;
    }
    else {
      const p = path.normalize(path.join(WWW, decodeURIComponent(url.pathname)));
      if (p.startsWith(WWW + path.sep) && !p.includes(`${path.sep}node_modules${path.sep}`)) file = p;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => server.close(r)),
  })));
}


/**
 * Opens the views page of `server` in `browser` with FIXTURE drawn into #views and its export
 * buttons in #exports; window.views, window.exporter, window.core (the worker's core functions)
 * and window.result are set. Returns openPage's {page, context, problems}.
 */
export async function openViewsPage(browser, server) {
  assert.ok(PLOTLY, 'Plotly is in neither www/node_modules (npm ci in www/) nor dist/vendor (./build.sh)');
  const opened = await openPage(browser, `${server.url}views-test.html`);
  await opened.page.waitForFunction(() => typeof window.Plotly === 'object');
  await opened.page.evaluate(async (result) => {
    window.views = await import('./views/index.js');
    window.exporter = await import('./export.js');
    // The core's functions in the worker (tidy_csv, report_text), as export.js's buttons ask them.
    window.core = (await import('./page/worker-client.js')).core;
    window.result = result;
    await window.views.renderResult(document.getElementById('views'), result);
    window.exporter.exportButtons(document.getElementById('exports'), result);
  }, FIXTURE);
  return opened;
}

/**
 * The browser, the static server and the views page of a test file: registers node:test's
 * before/after hooks and returns {browser, server, page, context, problems}, filled once the
 * before hook has run. beforeClose(page) runs before the page is closed (screenshots).
 */
export function useViewsPage({ beforeClose = null } = {}) {
  const env = { browser: null, server: null, page: null, context: null, problems: null };
  before(async () => {
    env.browser = await launchBrowser();
    env.server = await startStatic();
    Object.assign(env, await openViewsPage(env.browser, env.server));
  });
  after(async () => {
    if (env.page && beforeClose) await beforeClose(env.page);
    await env.context?.close();
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}
