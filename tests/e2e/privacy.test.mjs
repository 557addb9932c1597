// Nothing leaves the tab, and the result reads on a phone: a reduced run of the default
// experiment (8 images) from the Run button, every request the page and its workers made
// recorded from before the first one; then no share / cloud / Chart Studio control anywhere, no
// request to another origin, and the result at 390 px wide (screenshot in tests/out/privacy/).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { LONG_MS, browserAndServer, limitedSpec, outDir, waitReady, waitForResult } from './helpers.mjs';

const env = browserAndServer({ isolation: true });

/** The origin a request went to ('' for data: URLs, which go nowhere; a blob: URL's own origin). */
function originOf(url) {
  if (url.startsWith('data:')) return '';
  return new URL(url.startsWith('blob:') ? url.slice('blob:'.length) : url).origin;
}

test('a run sends nothing anywhere, offers no sharing, and its result reads at 390 px', { timeout: LONG_MS }, async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 }, serviceWorkers: 'block' });
  const requests = [];
  context.on('request', (req) => requests.push(req.url()));
  const page = await context.newPage();
  page.on('request', (req) => requests.push(req.url()));
  page.on('worker', (w) => requests.push(w.url()));
  try {
    const spec = limitedSpec(8);
    await page.goto(`${env.server.url}?autorun=0#spec=${encodeURIComponent(JSON.stringify(spec))}`, { waitUntil: 'load' });
    await waitReady(page);
    await page.waitForSelector('#run:not([disabled])');
    await page.click('#run');
    const result = await waitForResult(page);
    assert.equal(result.n_stimuli, 8);
    await page.waitForTimeout(500);

    // No control offers to share or upload: buttons, links, Plotly's mode bar.
    const controls = await page.evaluate(() => [...document.querySelectorAll('button, a, [role="button"], .modebar-btn, [data-title]')]
      .map((b) => `${b.getAttribute('data-title') ?? ''} ${b.getAttribute('title') ?? ''} ${b.textContent}`.trim()));
    const offending = controls.filter((t) => /\bshare\b|chart studio|edit in|cloud/i.test(t));
    assert.deepEqual(offending, [], 'no sharing or cloud control');
    const contexts = await page.evaluate(() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => [
      gd._context.showSendToCloud, gd._context.showEditInChartStudio, gd._context.showLink, gd._context.sendData]));
    assert.ok(contexts.length >= 1);
    for (const c of contexts) assert.deepEqual(c, [false, false, false, false]);

    // Every request went to the page's own origin.
    const own = new URL(env.server.url).origin;
    const foreign = [...new Set(requests)].filter((u) => originOf(u) && originOf(u) !== own);
    assert.deepEqual(foreign, [], `requests to another origin (of ${requests.length})`);
    assert.ok(requests.some((u) => u.includes('.wasm')), 'the wasm build was fetched (and seen)');

    // Several pairs: the overview offers each, titled with the pair it shows; the footer explains the metric.
    const pairs = await page.evaluate(async () => {
      const { renderResult } = await import('./page/result.js');
      const r = window.idlab.lastResult;
      const s = r.scores[0];
      const swapped = { ...s, source: s.target, target: s.source, values: s.values[0].map((_, j) => s.values.map((row) => row[j])) };
      renderResult({ ...r, scores: [s, swapped] });
      const select = document.getElementById('overview-pair');
      const options = [...select.options].map((o) => o.textContent);
      select.value = '1';
      select.dispatchEvent(new Event('change'));
      await new Promise((res) => setTimeout(res, 300));
      const title = document.getElementById('heatmap').layout.title.text;
      renderResult(r);
      return { options, title, footer: document.getElementById('footer-note').textContent, help: document.querySelector('#result-extras details.idlab-help p')?.textContent };
    });
    assert.deepEqual(pairs.options, ['linear CKA: alexnet seed 0 vs alexnet seed 1', 'linear CKA: alexnet seed 1 vs alexnet seed 0']);
    assert.match(pairs.title.replace(/<br>/g, ' '), /alexnet seed 1 vs alexnet seed 0/);
    assert.match(pairs.footer, /^linear CKA: Higher is more similar/);
    assert.match(pairs.help, /centred kernel alignment/);

    // The help panel links the documentation, served beside the page (same origin).
    const docs = await page.evaluate(async () => Promise.all([...document.querySelectorAll('#help-panel a[href$=".html"]')]
      .map(async (a) => ({ href: a.getAttribute('href'), ok: (await fetch(a.href)).ok }))));
    assert.deepEqual(docs, [{ href: 'readme.html', ok: true }, { href: 'benchmarks.html', ok: true }, { href: 'papers/index.html', ok: true }]);

    // On a phone: the title in view, not under the mode bar; the result one tap away.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(800);
    const box = await page.evaluate(() => {
      const gd = document.getElementById('heatmap');
      const title = gd.querySelector('.gtitle')?.getBoundingClientRect();
      const bar = gd.querySelector('.modebar-container .modebar');
      const b = bar ? bar.getBoundingClientRect() : null;
      const overlap = Boolean(title && b && b.width > 0 && b.height > 0 && !(b.right <= title.left || b.left >= title.right || b.bottom <= title.top || b.top >= title.bottom));
      return {
        title: title && { left: title.left, right: title.right, width: title.width }, width: document.documentElement.clientWidth, overlap,
        jump: document.getElementById('jump-result')?.getAttribute('href'),
      };
    });
    await page.screenshot({ path: path.join(outDir('privacy'), 'result-390.png'), fullPage: true });
    await page.locator('#heatmap').screenshot({ path: path.join(outDir('privacy'), 'heatmap-390.png') });
    assert.ok(box.title && box.title.width > 0, 'the heatmap has a title');
    assert.ok(box.title.left >= 0 && box.title.right <= box.width + 1, `the title is inside the viewport: ${JSON.stringify(box)}`);
    assert.equal(box.overlap, false, 'the mode bar does not cover the title');
    assert.equal(box.jump, '#result-heading', 'a "Jump to result" link');
  } finally {
    await context.close();
  }
});
