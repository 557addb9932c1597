// "Run on trained weights" beside the preset menu (www/page/trained.js; the variant is the
// core's, crate/src/experiment/trained.rs, as `idlab run --trained` builds it). With every
// request outside the page's server refused: (a) preset 1 on trained weights: the spec's
// every side names catalogue weights (ViT-B/32's targets another training run than its
// sources), the list under the control names each file, Run is off until the files the
// catalogue has no sha256 for are loaded, a Load that cannot reach its host asks for the
// person's copy, and "Back to seeded weights" restores the preset; (b) a reduced spec of two
// seeded EfficientNet-Lite0s runs to the end on the shipped trained file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, browserAndServer, openFormReady, settled, outDir, writeJson, runOutcome } from './helpers.mjs';

const env = browserAndServer();
const PTH_SHA = '579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db';
const PRESET_FILE = 'identify-architecture.json';
const PRESET = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', PRESET_FILE), 'utf8'));
const CATALOGUE = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/weights.json'), 'utf8')).entries;
const RUN_MS = 5 * 60 * 1000;

/** Refuses every request that does not go to the page's own server (the worker's included); returns the refused URLs. */
async function offline(context, serverUrl) {
  const origin = new URL(serverUrl).origin;
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    outside.push(url);
    return route.abort('internetdisconnected');
  });
  return outside;
}

const specShown = (page) => page.inputValue('#spec').then((t) => JSON.parse(t));

test('preset 1 on trained weights: every side names its file, Load offline asks for a copy, Back restores the seeds', { timeout: 3 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    const outside = await offline(context, env.server.url);
    await page.waitForSelector('#preset:not([disabled])');
    await page.selectOption('#preset', PRESET_FILE);
    await page.waitForFunction((n) => JSON.parse(document.getElementById('spec').value).name === n, PRESET.name);
    await page.waitForSelector('#trained-run', { state: 'visible', timeout: 30000 });
    assert.equal(await page.isVisible('#trained-back'), false, 'no way back before the variant');

    await page.click('#trained-run');
    await page.waitForSelector('#trained-sides li', { timeout: 30000 });
    await settled(page);
    const spec = await specShown(page);
    assert.equal(spec.name, `${PRESET.name} (trained weights)`);
    assert.match(spec.this_run[0], /^Trained weights: /, 'This run says first that the weights are trained');
    const sides = [...spec.sources, ...spec.targets].filter((m) => m.arch);
    assert.ok(sides.length >= 8, `the preset's zoo sides: ${sides.length}`);
    const entryOf = (w) => CATALOGUE.find((e) => (w.shipped && e.id === w.shipped) || (w.url && e.url === w.url));
    for (const m of sides) {
      assert.equal(m.seed, undefined, `${m.arch}: no seed with trained weights`);
      const e = m.weights && entryOf(m.weights);
      assert.ok(e, `${m.arch}: weights from the catalogue (${JSON.stringify(m.weights)})`);
      assert.equal(e.arch, m.arch);
    }
    const vit = (list) => list.find((m) => m.arch === 'vit_b_32');
    if (vit(spec.sources) && vit(spec.targets)) {
      assert.notEqual(vit(spec.sources).weights.url, vit(spec.targets).weights.url, 'ViT-B/32: the targets are another training run');
    }

    // The list names every file and who uses it; Run waits for the files without a sha256.
    const rows = await page.$$eval('#trained-sides li', (lis) => lis.map((li) => li.textContent));
    const files = new Set(sides.map((m) => m.weights.url || m.weights.shipped));
    assert.equal(rows.length, files.size, `one row per file: ${rows.join(' | ')}`);
    for (const id of sides.map((m) => entryOf(m.weights).id)) assert.ok(rows.some((r) => r.includes(id)), `${id} is listed`);
    assert.match(rows.join(' '), /source 1/);
    assert.equal(await page.isDisabled('#run'), true, 'Run waits for the sha256s');
    assert.match(await page.textContent('#run-reason'), /sha256/);
    assert.match(await page.textContent('#trained-note'), /offline default/);

    // Load cannot reach download.pytorch.org here: the row asks for the person's copy.
    const alexRow = page.locator('#trained-sides li', { hasText: 'alexnet/torchvision' });
    await alexRow.locator('button.trained-load').click();
    await page.waitForFunction(() => [...document.querySelectorAll('#trained-sides li')].some((li) => /Could not fetch it/.test(li.textContent)), null, { timeout: 60000 });
    assert.match(await alexRow.textContent(), /choose your copy of alexnet-owt-7be5be79\.pth/);
    assert.equal(await alexRow.locator('input.trained-file').isVisible(), true);
    assert.ok(outside.some((u) => u.startsWith('https://download.pytorch.org/')), 'the Load tried the catalogue\'s host');
    await page.screenshot({ path: path.join(outDir('trained-variant'), 'preset-1-trained.png'), fullPage: true });

    // Back to the seeded preset, the offline default.
    await page.click('#trained-back');
    await settled(page);
    const back = await specShown(page);
    assert.deepEqual(back.sources, PRESET.sources);
    assert.deepEqual(back.targets, PRESET.targets);
    assert.equal(back.name, PRESET.name);
    assert.equal(await page.isVisible('#trained-run'), true, 'the control is offered again');
    assert.equal(await page.isVisible('#trained-back'), false);
    assert.equal(await page.isVisible('#trained-sides'), false);
    // The only failures are the refused downloads.
    assert.deepEqual(problems.filter((p) => !/download\.pytorch\.org|internetdisconnected|ERR_INTERNET_DISCONNECTED|Failed to fetch/i.test(String(p))), []);
  } finally {
    await context.close();
  }
});

test('two seeded EfficientNet-Lite0s on trained weights run offline on the shipped file', { timeout: RUN_MS + 60000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    const outside = await offline(context, env.server.url);
    const spec = {
      idlab: 2,
      name: 'EfficientNet-Lite0 seed 0 vs seed 1',
      stimuli: { set: 'kriegeskorte92', limit: 6 },
      sources: [{ arch: 'efficientnet_lite0', seed: 0 }],
      targets: [{ arch: 'efficientnet_lite0', seed: 1 }],
      layers: ['_blocks.0', '_conv_head'],
      metrics: [{ name: 'cka' }],
    };
    await page.$eval('details.spec', (d) => { d.open = true; });
    await page.fill('#spec', JSON.stringify(spec, null, 2));
    await settled(page);
    await page.waitForSelector('#trained-run', { state: 'visible', timeout: 30000 });
    await page.click('#trained-run');
    await page.waitForSelector('#trained-back', { state: 'visible', timeout: 30000 });
    await settled(page);

    // One source and one target: the form itself shows each side's weights.
    assert.equal(await page.inputValue('#source-weights-kind'), 'catalogue:efficientnet_lite0/imagenet');
    assert.equal(await page.inputValue('#target-weights-kind'), 'catalogue:efficientnet_lite0/imagenet');
    assert.equal(await page.isVisible('#source-seed'), false, 'no seed with trained weights');
    const shown = await specShown(page);
    assert.deepEqual(shown.sources[0], { arch: 'efficientnet_lite0', weights: { shipped: 'efficientnet_lite0/imagenet' } });
    assert.match(await page.textContent('#trained-sides'), /served by this site/);
    assert.equal(await page.isDisabled('#run'), false, `Run is on: ${await page.textContent('#run-reason')}`);

    await page.click('#run');
    const outcome = await runOutcome(page, RUN_MS);
    assert.ok(outcome.result, `the run finished: ${outcome.error}`);
    const result = outcome.result;
    writeJson(path.join(outDir('trained-variant'), 'effnet-trained-result.json'), result);
    assert.equal(result.spec.name, 'EfficientNet-Lite0 seed 0 vs seed 1 (trained weights)');
    assert.match(result.spec.this_run[0], /^Trained weights: /);
    const models = result.models.filter((m) => m.weights);
    assert.equal(models.length, 2, 'both sides ran on trained weights');
    for (const m of models) assert.equal(m.weights.sha256, PTH_SHA);
    // The same network on both sides: a layer's CKA with itself is 1.
    const cka = result.scores.find((s) => s.metric === 'cka');
    assert.ok(Math.abs(cka.values[0][0] - 1) < 1e-6, `CKA of a layer with itself: ${cka.values[0][0]}`);
    assert.deepEqual(outside, [], 'nothing left the page\'s server');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});
