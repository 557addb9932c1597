// The site's generated pages and the lab's "Embed this", on a plain static server (no COOP/COEP,
// service workers blocked, so nothing here depends on the isolation path), and `idlab serve`'s
// headers for embedding: Document-Isolation-Policy on embed.html, CORS on every response,
// COOP/COEP/CORP as before.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIST, useBrowser, waitReady, startServer, outDir } from './helpers.mjs';
import { startStatic } from './static-server.mjs';

const env = useBrowser();
let site;
before(async () => { site = await startStatic(DIST); });
after(async () => { await site?.close(); });

const presets = JSON.parse(fs.readFileSync(path.join(DIST, 'presets/index.json'), 'utf8')).presets
  .map(({ file }) => ({ name: file.replace(/\.json$/, ''), spec: JSON.parse(fs.readFileSync(path.join(DIST, 'presets', file), 'utf8')) }));
const papers = [...new Set(presets.map((p) => p.spec.paper_file).filter(Boolean))].map((f) => ({
  stem: f.replace(/\.txt$/, ''),
  presets: presets.filter((p) => p.spec.paper_file === f),
}));

/** A page in its own context, service workers blocked; problems: console errors, page errors, failed requests. */
async function open(url) {
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 900 }, serviceWorkers: 'block' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (req.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${req.url()}`);
  });
  page.on('response', (resp) => { if (resp.status() >= 400) problems.push(`HTTP ${resp.status()} for ${resp.url()}`); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, problems };
}

test('each paper page shows its claims, its live figures and links that open the lab with the preset', { timeout: 4 * 60 * 1000 }, async () => {
  assert.ok(papers.length >= 4, `papers: ${papers.map((p) => p.stem)}`);
  for (const paper of papers) {
    const { page, context, problems } = await open(`${site.url}papers/${paper.stem}.html`);
    try {
      const text = await page.locator('main').innerText();
      for (const p of paper.presets) {
        for (const claim of p.spec.paper || []) assert.ok(text.includes(`“${claim.quote}”`), `${paper.stem}: the quote "${claim.quote}" of ${p.name}`);
      }
      const figures = await page.$$eval('idlab-figure', (els) => els.map((e) => ({ preset: e.getAttribute('preset'), view: e.getAttribute('view'), run: e.getAttribute('run') })));
      assert.deepEqual(figures.map((f) => f.preset), paper.presets.map((p) => p.name), `${paper.stem}: a figure per preset`);
      for (const f of figures) assert.ok(f.view && f.run === 'click', `${paper.stem}: ${JSON.stringify(f)}`);
      // The embed element (embed.js) reads each preset and offers its Run button.
      await page.waitForFunction((n) => [...document.querySelectorAll('idlab-figure')]
        .filter((e) => e.shadowRoot && e.shadowRoot.querySelector('button.run:not([hidden])')).length === n, paper.presets.length, { timeout: 60000 });
      const errors = await page.$$eval('idlab-figure', (els) => els.map((e) => e.shadowRoot.querySelector('.error')).filter((e) => e && !e.hidden).map((e) => e.textContent));
      assert.deepEqual(errors, [], `${paper.stem}: no figure shows an error`);
      // Each "Open in the lab" carries its preset, unchanged, in the lab's permalink.
      const links = await page.$$eval('a.open-lab', (as) => as.map((a) => a.href));
      assert.equal(links.length, paper.presets.length);
      links.forEach((href, i) => {
        const url = new URL(href);
        assert.equal(url.pathname, '/index.html');
        assert.deepEqual(JSON.parse(decodeURIComponent(url.hash.slice('#spec='.length))), paper.presets[i].spec);
      });
      await page.screenshot({ path: path.join(outDir('papers'), `${paper.stem}.png`), fullPage: false });
      assert.deepEqual(problems, [], `${paper.stem}: no errors`);
    } finally {
      await context.close();
    }
  }
});

test('"Open in the lab" opens the lab with that preset', { timeout: 3 * 60 * 1000 }, async () => {
  const paper = papers.find((p) => p.presets.some((q) => q.name === 'predictivity-specificity')) || papers[0];
  const { page, context, problems } = await open(`${site.url}papers/${paper.stem}.html`);
  try {
    // The navigation is awaited until it commits, not until the lab's load event: what is tested is
    // where the link goes and what the lab then shows (waitReady). On CI's loaded machine the wait
    // for the load event once ran out at 30 s (2026-12-03, not reproduced here, where the whole
    // test takes 3 s, also with the CPUs loaded).
    await Promise.all([page.waitForURL(/\/index\.html#spec=/, { waitUntil: 'commit', timeout: 60000 }), page.locator('a.open-lab').first().click()]);
    await waitReady(page);
    await page.waitForFunction(() => document.getElementById('spec').value.length > 0);
    const shown = JSON.parse(await page.inputValue('#spec'));
    assert.equal(shown.name, paper.presets[0].spec.name, 'the lab shows the preset');
    assert.deepEqual(shown.sources, paper.presets[0].spec.sources);
    await page.evaluate(() => window.idlab.cancel());
    assert.deepEqual(problems.filter((p) => !/cancel/i.test(p)), []);
  } finally {
    await context.close();
  }
});

test('the site index links the lab, every paper page, the README\'s sections and the benchmarks', async () => {
  const { page, context, problems } = await open(`${site.url}papers/index.html`);
  try {
    const hrefs = await page.$$eval('main a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.includes('../index.html'));
    for (const paper of papers) assert.ok(hrefs.includes(`${paper.stem}.html`), paper.stem);
    assert.ok(hrefs.some((h) => h.startsWith('../readme.html#')));
    assert.ok(hrefs.includes('../benchmarks.html'));
    for (const own of presets.filter((p) => !p.spec.paper_file)) {
      assert.ok(hrefs.some((h) => h.startsWith('../index.html#spec=') && JSON.parse(decodeURIComponent(h.split('#spec=')[1])).name === own.spec.name), own.name);
    }
    await page.goto(`${site.url}readme.html#the-command-line`);
    assert.equal(await page.locator('#the-command-line').count(), 1, 'the README page has GitHub\'s heading ids');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('"Embed this" gives the snippets of the current spec and view, and a preview of embed.html', { timeout: 3 * 60 * 1000 }, async () => {
  const { page, context, problems } = await open(`${site.url}index.html?autorun=0`);
  try {
    await waitReady(page);
    await page.waitForSelector('#target-arch:not([disabled])', { timeout: 30000 });
    await page.evaluate(() => window.idlab.settled());
    assert.equal(await page.getAttribute('header a[href="papers/index.html"]', 'href'), 'papers/index.html');
    // Keyboard: the button opens the panel and focus moves into it.
    await page.focus('#embed-toggle');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#embed-panel:not([hidden])');
    assert.equal(await page.getAttribute('#embed-toggle', 'aria-expanded'), 'true');
    // The default experiment is a preset, unchanged: the snippets name it.
    await page.waitForFunction(() => document.getElementById('embed-element').value.includes('preset='));
    let element = await page.inputValue('#embed-element');
    assert.match(element, new RegExp(`<script type="module" src="${site.url}embed\\.js"></script>`));
    assert.match(element, /<idlab-figure preset="alexnet-seeds-cka"><\/idlab-figure>/);
    // A changed spec travels whole, attribute-escaped; a chosen view is named in both snippets.
    await page.fill('#images', '8');
    await page.evaluate(() => window.idlab.settled());
    await page.check('#embed-view-list input[value="heatmaps"]');
    await page.waitForFunction(() => {
      const text = document.getElementById('embed-element').value;
      return text.includes("spec='") && text.includes(' view="heatmaps"');
    });
    const spec = JSON.parse(await page.inputValue('#spec'));
    assert.equal(spec.stimuli.limit, 8);
    element = await page.inputValue('#embed-element');
    const attr = /spec='([^']*)'/.exec(element)[1].replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&amp;', '&');
    assert.deepEqual(JSON.parse(attr), spec, 'the element carries the current spec');
    assert.match(element, / view="heatmaps"/);
    const iframe = await page.inputValue('#embed-iframe');
    const src = /<iframe src="([^"]*)"/.exec(iframe)[1].replaceAll('&amp;', '&');
    const url = new URL(src);
    assert.equal(url.href.split('#')[0], `${site.url}embed.html`);
    const params = new URLSearchParams(url.hash.slice(1));
    assert.deepEqual(JSON.parse(params.get('spec')), spec, 'the iframe carries the current spec');
    assert.equal(params.get('view'), 'heatmaps');
    // The preview loads only when asked for.
    assert.equal(await page.locator('#embed-preview iframe').count(), 0);
    await page.click('#embed-preview-toggle');
    const frame = await page.waitForSelector('#embed-preview iframe');
    assert.equal(await frame.getAttribute('src'), src);
    await page.waitForFunction(() => {
      const f = document.querySelector('#embed-preview iframe');
      return f && f.contentDocument && f.contentDocument.readyState === 'complete' && f.contentDocument.location.pathname.endsWith('/embed.html');
    }, null, { timeout: 30000 });
    const defined = await page.frameLocator('#embed-preview iframe').locator('idlab-figure').count();
    assert.equal(defined, 1, 'the preview holds the embed\'s figure');
    // Escape closes the panel and gives focus back to its button.
    await page.focus('#embed-element');
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('#embed-panel'), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'embed-toggle');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** The response headers of a GET, lower-cased names. */
async function headersOf(url, origin) {
  const resp = await fetch(url, { headers: origin ? { Origin: origin } : {} });
  await resp.arrayBuffer();
  assert.equal(resp.status, 200, url);
  return Object.fromEntries([...resp.headers].map(([k, v]) => [k.toLowerCase(), v]));
}

test('idlab serve: Document-Isolation-Policy on embed.html, CORS on every response, COOP/COEP as before', async () => {
  const server = await startServer();
  try {
    for (const file of ['index.html', 'embed.js', 'embed.html', 'pkg/single/idlab_bg.wasm', 'presets/index.json']) {
      const h = await headersOf(server.url + file, 'http://127.0.0.1:1');
      assert.equal(h['access-control-allow-origin'], '*', file);
      assert.equal(h['cross-origin-opener-policy'], 'same-origin', file);
      assert.equal(h['cross-origin-embedder-policy'], 'require-corp', file);
      assert.equal(h['cross-origin-resource-policy'], 'cross-origin', file);
      assert.equal(h['document-isolation-policy'], file === 'embed.html' ? 'isolate-and-require-corp' : undefined, file);
    }
  } finally {
    await server.close();
  }
  const open = await startServer({ isolation: false });
  try {
    for (const file of ['index.html', 'embed.html']) {
      const h = await headersOf(open.url + file);
      assert.equal(h['access-control-allow-origin'], '*', file);
      for (const name of ['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'document-isolation-policy']) assert.equal(h[name], undefined, `${file}: ${name}`);
    }
  } finally {
    await open.close();
  }
});
