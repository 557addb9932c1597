// Trained networks in the page (issue 12). (a) With every request outside the local test
// server refused, trained EfficientNet-Lite0 (the shipped .pth) and the trained MobileNetV2
// TFLite model (ImageNet) run against the human and monkey IT RDMs next to seeded
// EfficientNet-Lite0 and MobileNetV2, on a reduced preset (12 images, two
// layers each): labels say trained or seeded, the scores differ, the download showed "MB of
// MB", and a screenshot is kept. (b) A weights URL on a second local server (the shipped .pth
// under another name, with its sha256) is downloaded once; Load again, a run and a reload all
// take it from Cache Storage (the server sees one request), the page lists it, and Clear
// empties the list. (c) A wrong weights file (another architecture's, a file that is not
// weights) and a wrong sha256 give their errors in words beside the control, and the form
// keeps its values.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, browserAndServer, openFormReady, settled, visibleError, outDir, writeJson, runOutcome } from './helpers.mjs';

const env = browserAndServer();
const PTH = path.join(ROOT, 'models/trained/efficientnet-lite0-57934424.pth');
const PTH_SHA = '579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db';
const PRESET = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/trained-vs-random.json'), 'utf8'));
const RUN_MS = 8 * 60 * 1000;

// A second server: serves the .pth at /w/effnet.pth (CORS allowed, as a weights host must) and counts requests.
const weightsServer = { url: null, hits: new Map(), server: null };
before(async () => {
  const bytes = fs.readFileSync(PTH);
  weightsServer.server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    weightsServer.hits.set(p, (weightsServer.hits.get(p) || 0) + 1);
    const headers = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...headers, 'access-control-allow-methods': 'GET', 'access-control-allow-headers': '*' });
      res.end();
      return;
    }
    if (p.startsWith('/w/') && p.endsWith('.pth')) {
      res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    res.writeHead(404, headers);
    res.end('not here');
  });
  await new Promise((resolve) => weightsServer.server.listen(0, '127.0.0.1', resolve));
  weightsServer.url = `http://127.0.0.1:${weightsServer.server.address().port}`;
});
after(async () => {
  await new Promise((resolve) => (weightsServer.server ? weightsServer.server.close(resolve) : resolve()));
});

const hits = (p) => weightsServer.hits.get(p) || 0;


/** Puts `spec` in the JSON box (the form follows) and waits for the core's answers. */
async function showSpec(page, spec) {
  if (!(await page.isVisible('#spec'))) await page.click('.spec summary');
  await page.fill('#spec', JSON.stringify(spec, null, 2));
  await settled(page);
}

/** Records every text the status line shows (the download's progress passes quickly). */
const watchStatus = (page) => page.evaluate(() => {
  window.__statuses = [];
  const el = document.getElementById('status');
  new MutationObserver(() => window.__statuses.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
});

test('offline: trained EfficientNet-Lite0 and MobileNetV2 run next to seeded twins against human and monkey IT', { timeout: RUN_MS + 60000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  const origin = new URL(env.server.url).origin;
  const requests = [];
  const outside = [];
  try {
    // No network from here on but the page's own server (the worker's requests included).
    context.on('request', (r) => requests.push(r.url()));
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin)) return route.continue();
      outside.push(url);
      return route.abort('internetdisconnected');
    });
    const kept0 = await page.evaluate(() => window.idlab.keptWeights());
    assert.equal(kept0.available, true, `Cache Storage is available on 127.0.0.1: ${kept0.why}`);
    assert.equal(kept0.entries.length, 0, 'a fresh browser keeps nothing');

    // The preset, reduced: 12 images, two layers per model, 100 permutations; labels left to the core.
    const layers = { efficientnet_lite0: ['_blocks.5', '_avg_pooling'], mobilenet_v2: ['features.5', 'features.18'] };
    const spec = {
      ...PRESET,
      name: `${PRESET.name} (12 images, 2 layers each)`,
      stimuli: { ...PRESET.stimuli, limit: 12 },
      sources: PRESET.sources.map(({ label, ...m }) => ({
        ...m,
        layers: m.tflite ? ['expanded_conv_5/add', 'AvgPool'] : layers[m.arch],
      })),
      metrics: [{ name: 'rsa', params: { ...PRESET.metrics[0].params, permutations: 100 } }],
    };
    await showSpec(page, spec);
    assert.equal(await page.isDisabled('#run'), false, `Run is on: ${await page.textContent('#run-reason')}`);
    await watchStatus(page);
    await page.click('#run');
    const outcome = await runOutcome(page, RUN_MS);
    assert.ok(outcome.result, `the run finished: ${outcome.error}`);
    const result = outcome.result;
    writeJson(path.join(outDir('trained'), 'offline-result.json'), result);

    // Labels say trained or seeded, and the result records the weights it used.
    const sources = result.models.filter((m) => m.role === 'source');
    assert.equal(sources.length, 4);
    const label = (i) => sources[i].label;
    for (const i of [0, 2]) assert.match(label(i), /trained/i, `source ${i} is labelled trained: ${label(i)}`);
    for (const i of [1, 3]) assert.match(label(i), /seed 0/, `source ${i} is labelled by its seed: ${label(i)}`);
    for (const i of [1, 3]) assert.doesNotMatch(label(i), /trained/i);
    assert.equal(sources[0].weights && sources[0].weights.sha256, PTH_SHA, 'the trained EfficientNet-Lite0 records its file\'s sha256');
    assert.ok(sources.slice(2, 3).every((m) => m.weights && m.weights.format === 'tflite'), 'the TFLite model records its file');

    // Scores against human IT: trained and seeded differ.
    const scores = (id) => result.scores.filter((s) => s.source === id && s.metric === 'rsa').map((s) => s.values).flat(Infinity);
    const diff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const [effTrained, effSeeded, mnTrained, mnSeeded] = sources.map((m) => scores(m.id));
    assert.ok(effTrained.length >= 2 && effTrained.every(Number.isFinite), `scores for the trained EfficientNet-Lite0: ${effTrained}`);
    assert.ok(diff(effTrained, effSeeded) > 1e-3, `trained and seeded EfficientNet-Lite0 score differently: ${effTrained} vs ${effSeeded}`);
    assert.ok(diff(mnTrained, mnSeeded) > 1e-3, `trained and seeded MobileNetV2 score differently: ${mnTrained} vs ${mnSeeded}`);
    assert.ok(result.noise_ceilings && Object.keys(result.noise_ceilings).length > 0, 'the human IT noise ceiling is in the result');

    // The page shows both, and said how the download went.
    const shown = await page.textContent('#views');
    assert.match(shown, /trained/, 'the result shows the trained models');
    assert.match(shown, /seed 0/, 'and the seeded ones');
    const statuses = await page.evaluate(() => window.__statuses);
    assert.ok(statuses.some((t) => /Loading trained weights .*: [\d.]+ MB of 18\.8 MB/.test(t)), `the status showed MB of MB: ${statuses.slice(0, 5).join(' | ')}`);
    await page.screenshot({ path: path.join(outDir('trained'), 'trained-vs-seeded-offline.png'), fullPage: true });

    // Every shipped file is now kept in this browser, and nothing went past the page's server.
    const kept = await page.evaluate(() => window.idlab.keptWeights());
    const names = kept.entries.map((e) => e.name).join(' ');
    assert.ok(kept.entries.length >= 2, `the two shipped files are kept: ${names}`);
    assert.match(await page.textContent('#kept-weights-list'), /efficientnet-lite0-57934424\.pth/);
    assert.deepEqual(outside, [], 'no request left the page\'s server');
    assert.ok(requests.every((u) => u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:')), 'every request went to the page\'s server');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});

test('a weights URL is downloaded once, then taken from Cache Storage; Clear empties it', { timeout: 6 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  const file = '/w/effnet.pth';
  const url = `${weightsServer.url}${file}`;
  try {
    await page.selectOption('#source-arch', 'efficientnet_lite0');
    assert.equal(await page.isVisible('#source-weights-kind'), true, 'a zoo model has a trained weights control');
    const choices = await page.evaluate(() => [...document.querySelectorAll('#source-weights-kind option')].map((o) => o.textContent));
    assert.ok(choices.some((t) => /^shipped: efficientnet_lite0\/imagenet — this site, Apache-2\.0, 18\.8 MB/.test(t)), `the catalogue's shipped weights are offered: ${choices.join(' | ')}`);
    await page.selectOption('#source-weights-kind', 'url');
    assert.equal(await page.isVisible('#source-seed'), false, 'trained weights take the seed\'s place');
    await page.fill('#source-weights-url', url);
    await page.fill('#source-weights-sha256', PTH_SHA);
    await page.click('#source-weights-fetch');
    await page.waitForFunction(() => /kept in this browser/.test(document.getElementById('source-weights-info').textContent), null, { timeout: 60000 });
    assert.match(await page.textContent('#source-weights-info'), /downloaded and kept in this browser/);
    assert.equal(hits(file), 1, 'one request for the file');
    let kept = await page.evaluate(() => window.idlab.keptWeights());
    assert.equal(kept.entries.length, 1);
    assert.equal(kept.entries[0].sha256, PTH_SHA);
    assert.equal(kept.entries[0].size, fs.statSync(PTH).size);
    assert.match(await page.textContent('#kept-weights-list'), /effnet\.pth: 18 MB/);
    assert.match(await page.textContent('#kept-weights-note'), /keeps 1 file, 18 MB in all/);

    await page.click('#source-weights-fetch');
    await page.waitForFunction(() => /already kept/.test(document.getElementById('source-weights-info').textContent), null, { timeout: 30000 });
    assert.equal(hits(file), 1, 'Load again: from the cache');

    // A run takes it from the cache too.
    await page.selectOption('#target-arch', 'efficientnet_lite0');
    await page.fill('#target-seed', '0');
    await page.fill('#images', '3');
    await settled(page);
    const spec = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(spec.sources[0], { arch: 'efficientnet_lite0', weights: { url, sha256: PTH_SHA } });
    await page.click('#run');
    const outcome = await runOutcome(page, 4 * 60 * 1000);
    assert.ok(outcome.result, `the run finished: ${outcome.error}`);
    assert.match(outcome.result.models[0].label, /trained/);
    assert.equal(hits(file), 1, 'the run took the file from the cache');

    // The next visit finds it kept.
    await page.reload();
    await page.waitForFunction(() => /keeps 1 file/.test(document.getElementById('kept-weights-note').textContent), null, { timeout: 60000 });
    assert.match(await page.textContent('#kept-weights-list'), /effnet\.pth/);

    // A URL without a sha256 is kept by its URL, and the page says so.
    const other = `${weightsServer.url}/w/no-hash.pth`;
    await page.waitForSelector('#source-arch:not([disabled])');
    await page.selectOption('#source-arch', 'efficientnet_lite0');
    await page.selectOption('#source-weights-kind', 'url');
    await page.fill('#source-weights-url', other);
    await page.fill('#source-weights-sha256', ''); // the reloaded spec kept the first URL's
    assert.match(await page.textContent('#source-weights-info'), /kept by its URL/);
    await page.click('#source-weights-fetch');
    await page.waitForFunction(() => /kept in this browser/.test(document.getElementById('source-weights-info').textContent), null, { timeout: 60000 });
    assert.equal(hits('/w/no-hash.pth'), 1);
    kept = await page.evaluate(() => window.idlab.keptWeights());
    assert.equal(kept.entries.length, 2);
    assert.match(await page.textContent('#kept-weights-list'), /no-hash\.pth: 18 MB \(kept by its URL/);

    await page.click('#kept-weights-clear');
    await page.waitForFunction(() => document.getElementById('kept-weights-list').hidden, null, { timeout: 30000 });
    kept = await page.evaluate(() => window.idlab.keptWeights());
    assert.equal(kept.entries.length, 0, 'Clear empties it');
    assert.match(await page.textContent('#kept-weights-note'), /keeps no trained weights/);
    assert.equal(await page.isDisabled('#kept-weights-clear'), true);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});

test('a wrong weights file or hash gives its error beside the control; the form keeps its values', { timeout: 4 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  const garbage = path.join(outDir('trained'), 'not-weights.pth');
  fs.writeFileSync(garbage, 'these bytes are not a state dict\n');
  try {
    // EfficientNet-Lite0's file for a MobileNetV2: the core's name-map error, in words.
    await page.selectOption('#source-arch', 'mobilenet_v2');
    await page.selectOption('#source-weights-kind', 'file');
    await page.setInputFiles('#source-weights-file', PTH);
    await page.selectOption('#target-arch', 'mobilenet_v2');
    await page.fill('#target-seed', '0');
    await page.fill('#images', '3');
    await settled(page);
    const before = await page.inputValue('#spec');
    assert.deepEqual(JSON.parse(before).sources[0], { arch: 'mobilenet_v2', weights: { file: 'efficientnet-lite0-57934424.pth' } });
    await page.click('#run');
    let outcome = await runOutcome(page, 2 * 60 * 1000);
    assert.ok(outcome.error, 'the run fails');
    await page.waitForSelector('#source-weights-error:not([hidden])', { timeout: 10000 });
    const beside = await page.textContent('#source-weights-error');
    assert.match(beside, /efficientnet-lite0-57934424\.pth/, `the error names the file: ${beside}`);
    assert.match(beside, /mobilenet_v2|features\./, `and what the model needs: ${beside}`);
    assert.equal(await page.inputValue('#spec'), before, 'the spec is kept');
    assert.equal(await page.inputValue('#source-arch'), 'mobilenet_v2');
    assert.equal(await page.inputValue('#images'), '3');
    assert.equal(await page.isDisabled('#run'), false, 'Run is on again');

    // A file that is not weights at all.
    await page.setInputFiles('#source-weights-file', garbage);
    await settled(page);
    await page.click('#run');
    outcome = await runOutcome(page, 2 * 60 * 1000);
    assert.ok(outcome.error);
    await page.waitForSelector('#source-weights-error:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#source-weights-error'), /not-weights\.pth.*not a weights file/);

    // A sha256 that is not the file's: refused at Load, and not kept.
    await page.selectOption('#source-weights-kind', 'url');
    await page.fill('#source-weights-url', `${weightsServer.url}/w/wrong-hash.pth`);
    await page.fill('#source-weights-sha256', '0'.repeat(64));
    await page.click('#source-weights-fetch');
    await page.waitForSelector('#source-weights-error:not([hidden])', { timeout: 60000 });
    assert.match(await page.textContent('#source-weights-error'), new RegExp(`sha256 is ${PTH_SHA}`));
    const kept = await page.evaluate(() => window.idlab.keptWeights());
    assert.equal(kept.entries.length, 0, 'a file with the wrong hash is not kept');
    assert.ok(await visibleError(page), 'the run\'s error is shown too');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});
