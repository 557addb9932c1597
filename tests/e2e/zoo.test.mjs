// The model form: its selectors list the zoo (models/zoo.json), it and the JSON
// spec edit the same experiment, it shows each model's memory estimate (the core's
// estimate_memory), and the page refuses, before the worker hears of a run, one that
// would not fit in the tab (with the core's numbers) or that pairs models with
// different input sizes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, DIST, browserAndServer, openFormReady, visibleError, waitForResult,
  heatmapData, checkMatrix, outDir, writeJson, pairView, settled
} from './helpers.mjs';
import { formatBytes } from '../../www/format.js';

// The list the page is served (build.sh copies the repository's models/zoo.json
// there), so the test matches the wasm built alongside it.
const ZOO = JSON.parse(fs.readFileSync(path.join(DIST, 'models/zoo.json'), 'utf8'));
const CATALOGUE = JSON.parse(fs.readFileSync(path.join(DIST, 'models/weights.json'), 'utf8'));
const entry = (arch) => {
  const e = ZOO.models.find((m) => m.arch === arch);
  assert.ok(e, `models/zoo.json lists ${arch}`);
  return e;
};

const env = browserAndServer();

/** Open the page without autorun and wait for the worker and the model list. */
async function openReady() {
  const opened = await openFormReady(env.browser, env.server.url);
  // Count what the page posts to the worker, to prove a refused run never reached it.
  await opened.page.evaluate(() => {
    window.__posted = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (msg, ...rest) {
      window.__posted.push(msg && msg.type);
      return post.call(this, msg, ...rest);
    };
  });
  return opened;
}

async function specValue(page) {
  return JSON.parse(await page.inputValue('#spec'));
}

/** The core's memory estimate of the spec shown (its stimuli's fields overridden by `stimuli`), by model id (`s0`, `t0`, …). */
async function coreEstimate(page, stimuli = {}) {
  const shown = await specValue(page);
  const spec = { ...shown, stimuli: { ...shown.stimuli, ...stimuli } };
  const est = await page.evaluate((s) => window.idlab.estimateMemory(s), spec);
  return Object.fromEntries(est.models.map((m) => [m.id, m]));
}

/** The form's memory line for a model estimate. */
const memoryLine = (m) => `about ${formatBytes(m.total)} while it loads`;

async function options(page, id) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} optgroup`)].map((g) => ({
    group: g.label,
    options: [...g.querySelectorAll('option')].map((o) => ({ value: o.value, label: o.textContent })),
  })), id);
}

test('the selectors list the zoo, stay in step with the JSON spec, and run resnet18 vs vgg11',
  { timeout: 10 * 60 * 1000 }, async () => {
    const { page, context, problems } = await openReady();
    try {
      // Every model of the manifest, grouped by family, with its parameter count.
      for (const id of ['#source-arch', '#target-arch']) {
        const all = await options(page, id);
        // The shipped trained TFLite models have a group of their own, after the zoo's families.
        const isTflite = (g) => g.options.every((o) => o.value.startsWith('tflite:'));
        const groups = all.filter((g) => !isTflite(g));
        const listed = groups.flatMap((g) => g.options.map((o) => o.value));
        assert.deepEqual([...listed].sort(), ZOO.models.map((m) => m.arch).sort(), `${id} lists every zoo model once`);
        const tflite = all.filter(isTflite).flatMap((g) => g.options.map((o) => o.value));
        const shipped = CATALOGUE.entries.filter((e) => e.format === 'tflite' && e.shipped).map((e) => `tflite:${e.id}`);
        assert.deepEqual([...tflite].sort(), shipped.sort(), `${id} lists every shipped TFLite model once`);
        for (const g of groups) {
          for (const o of g.options) {
            const m = entry(o.value);
            assert.ok(g.group.includes(m.family), `${o.value} is in its family's group (${m.family}), not "${g.group}"`);
            assert.match(o.label, new RegExp(`^${m.arch} — \\d+(\\.\\d)? M parameters$`), `label of ${m.arch}`);
          }
        }
        const families = groups.map((g) => g.group);
        const order = ['cnn', 'transformer', 'mixer'].filter((f) => ZOO.models.some((m) => m.family === f));
        assert.deepEqual(families.slice(0, order.length).map((g) => order.find((f) => g.includes(f))), order,
          `families in order cnn, transformer, mixer: ${families.join(' | ')}`);
      }
      assert.equal(await page.inputValue('#source-arch'), 'alexnet');
      assert.match((await page.evaluate(() => [...document.querySelectorAll('#source-arch option')]
        .find((o) => o.value === 'resnet18').textContent)), /^resnet18 — 11\.7 M parameters$/);

      // The default experiment's memory is stated, as the core estimates it: alexnet on 92 images.
      const alexnetText = await page.textContent('#source-memory');
      assert.match(alexnetText, /^about \d+(\.\d)? (GB|MB) while it loads$/, `alexnet memory text: ${alexnetText}`);
      const est = await coreEstimate(page);
      assert.equal(alexnetText, memoryLine(est.s0), "the form's line is the core's estimate");
      assert.equal(await page.textContent('#target-memory'), memoryLine(est.t0));
      // Built, in a tab: the weights once at 4 bytes a weight, a 16 MiB slice of fc6 (the copy tract
      // makes of it) and four slices more (a seeded model's fc6 is drawn in slices; each of tract's
      // passes takes a new block for its first: what a tab measures beyond the native build;
      // experiment::memory::build_extra); then, while it records, one copy beside its activations;
      // the larger of the two counts.
      assert.equal(est.s0.weights, entry('alexnet').parameters * 4 + 5 * 16 * 2 ** 20, 'weights while built');
      assert.equal(est.s0.graph, entry('alexnet').parameters * 4, 'weights once built');
      assert.equal(est.s0.total, est.s0.base + Math.max(est.s0.weights, est.s0.graph + est.s0.activations) + est.s0.held + est.s0.stimuli + est.s0.kept,
        'the total adds up');
      assert.equal(est.s0.base, 64 * 2 ** 20, '64 MB base');
      assert.equal(est.s0.images, 92);
      assert.equal(await page.inputValue('#images'), '92', 'the default uses all 92 images');
      assert.equal(await page.textContent('#images-max'), '92', "the set's size, as the core says it");

      // Form -> JSON.
      await page.selectOption('#source-arch', 'resnet18');
      await page.selectOption('#target-arch', 'vgg11');
      await page.fill('#images', '3');
      await page.fill('#source-seed', '0');
      await page.fill('#target-seed', '1');
      let spec = await specValue(page);
      assert.deepEqual(spec.sources[0], { arch: 'resnet18', seed: 0 }, 'spec.sources[0] follows the form');
      assert.deepEqual(spec.targets[0], { arch: 'vgg11', seed: 1 }, 'spec.targets[0] follows the form');
      assert.equal(spec.stimuli.limit, 3, 'spec.stimuli.limit follows the form');
      assert.equal(spec.stimuli.set, 'kriegeskorte92');
      assert.equal(spec.metrics[0].name, 'cka');
      assert.equal(spec.idlab, 2);
      assert.match(spec.name, /resnet18.*vgg11/, `the generated name describes the pair: ${spec.name}`);
      await settled(page);
      const pair = await coreEstimate(page);
      assert.equal(await page.textContent('#target-memory'), memoryLine(pair.t0), 'vgg11 on 3 images');
      assert.equal(await page.textContent('#source-memory'), memoryLine(pair.s0), 'resnet18 on 3 images');
      assert.match(memoryLine(pair.t0), /^about 6\d\d MB while it loads$/, 'vgg11: its weights and five 16 MiB slices of fc6');

      // JSON -> form, and back to the pair under test.
      await page.click('.spec summary');
      await page.fill('#spec', JSON.stringify({ ...spec, source: { arch: 'vit_b_32', seed: 7 }, stimuli: { set: 'kriegeskorte92', limit: 12 } }, null, 2));
      assert.equal(await page.inputValue('#source-arch'), 'vit_b_32', 'the form follows the JSON arch');
      assert.equal(await page.inputValue('#source-seed'), '7', 'the form follows the JSON seed');
      assert.equal(await page.inputValue('#images'), '12', 'the form follows the JSON limit');
      await page.fill('#spec', '{"idlab": 1, oops');
      assert.equal(await page.inputValue('#source-arch'), 'vit_b_32', 'unparsable JSON leaves the form alone');
      await page.fill('#spec', JSON.stringify(spec, null, 2));
      assert.equal(await page.inputValue('#source-arch'), 'resnet18');
      assert.equal(await page.inputValue('#images'), '3');
      assert.deepEqual(await specValue(page), spec);

      // Run it with the Run button.
      await page.click('#run');
      const result = await waitForResult(page, 8 * 60 * 1000);
      assert.equal(pairView(result).source.arch, 'resnet18');
      assert.equal(pairView(result).target.arch, 'vgg11');
      assert.equal(result.n_stimuli, 3);
      assert.equal(pairView(result).source.layers.length, entry('resnet18').layers.length);
      assert.equal(pairView(result).target.layers.length, entry('vgg11').layers.length);
      const fig = await heatmapData(page);
      checkMatrix(fig.z, 10, 10);
      assert.deepEqual(fig.y, entry('resnet18').layers.map((l) => l.name), 'rows: resnet18 layers');
      assert.deepEqual(fig.x, entry('vgg11').layers.map((l) => l.name), 'columns: vgg11 layers');
      assert.deepEqual(await page.evaluate(() => window.__posted.filter((t) => t === 'run').length), 1, 'one run posted');

      assert.equal(await visibleError(page), null, 'no error shown');
      assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
      const dir = outDir();
      await page.screenshot({ path: path.join(dir, 'zoo-resnet18-vgg11.png'), fullPage: true });
      writeJson(path.join(dir, 'zoo-resnet18-vgg11.json'), result);
    } finally {
      await context.close();
    }
  });

test('a run that would not fit, or that mixes input transforms, is refused on the page',
  { timeout: 5 * 60 * 1000 }, async () => {
    const { page, context, problems } = await openReady();
    try {
      // The default experiment fits: every model's estimate is within the tab's limit.
      const small = await page.evaluate(async (spec) => {
        const est = await window.idlab.estimateMemory(spec);
        return est.models.map((m) => window.idlab.checkFits(m));
      }, await specValue(page));
      assert.deepEqual(small.map((c) => [c.arch, c.fits, c.message]), [['alexnet', true, undefined], ['alexnet', true, undefined]]);

      // Every preset fits in a tab at full size, by the core's estimate (4 GB of wasm memory less headroom).
      const index = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/index.json'), 'utf8'));
      for (const { file } of index.presets) {
        const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', file), 'utf8'));
        if ([spec.stimuli, ...(spec.more_stimuli || [])].some((s) => s.set === 'upload')) continue; // its size is the user's
        assert.equal(await page.evaluate((s) => window.idlab.preflight(s), spec), null, `${file} is refused by the page`);
      }
      const vgg13 = { ...(await specValue(page)), sources: [{ arch: 'vgg13', seed: 0 }] };
      assert.equal(await page.evaluate((s) => window.idlab.preflight(s), vgg13), null, 'vgg13 on 92 images fits a desktop tab');
      // A device that says it has 1 GB (navigator.deviceMemory): the tab may use half, 512 MiB.
      // Gram rows spill to OPFS, so every zoo model fits the 3.5 GB of a desktop tab on 92 images;
      // VGG13's build in a tab (its 507 MiB of weights and five 16 MiB slices of its first fully
      // connected layer: about 690 MiB on 3 images) and the page's base do not fit this one's.
      await page.evaluate(() => Object.defineProperty(navigator, 'deviceMemory', { value: 1, configurable: true }));
      await page.selectOption('#source-arch', 'vgg13');
      await page.fill('#images', '92');
      await settled(page);
      assert.match(await page.textContent('#source-memory'), /too much for this tab/, 'the form warns');
      assert.equal(await page.evaluate(() => document.getElementById('source-memory').classList.contains('too-big')), true);
      const big = await coreEstimate(page);
      assert.equal(big.s0.arch, 'vgg13');
      await page.click('#run');
      await page.waitForFunction(() => !document.getElementById('error').hidden);
      const shown = await visibleError(page);
      assert.ok(shown, '#error is visible');
      assert.match(shown, /^Not run \(source vgg13\): vgg13 will not fit/, '#error names the model and says it will not fit');
      assert.ok(shown.includes(`it needs about ${formatBytes(big.s0.total)} while it loads`), `#error gives the core's numbers: ${shown}`);
      assert.ok(shown.includes(formatBytes(big.s0.weights)), "and the core's parts");
      assert.ok(shown.includes("half of this device's 1 GB of memory"), 'and why the limit is what it is');
      // Its rows spill, so fewer images barely help: even 3 need more than the limit, and the advice says so.
      const fewest = await coreEstimate(page, { limit: 3 });
      assert.ok(fewest.s0.total > 1 * 2 ** 30 / 2, `vgg13 on 3 images: ${fewest.s0.total}`);
      assert.match(shown, /Choose a smaller model\.$/, 'no promise that fewer images would fit');
      await page.waitForFunction(() => /^Not run/.test(document.getElementById('status').textContent));
      assert.equal(await page.evaluate(() => window.idlab.running), false);
      assert.equal(await page.isDisabled('#run'), false, 'Run stays enabled');
      assert.deepEqual(await page.evaluate(() => window.__posted.filter((t) => t === 'run')), [], 'no run was sent to the worker');
      await page.screenshot({ path: path.join(outDir(), 'zoo-refused-memory.png'), fullPage: true });

      // The same refusal through the API.
      const api = await page.evaluate(async (spec) => {
        try { await window.idlab.run(spec); return null; } catch (err) { return err.message; }
      }, await specValue(page));
      assert.match(api, /vgg13.*will not fit/);

      const p1 = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/identify-architecture.json'), 'utf8'));
      // Preset 1 fits a desktop tab; on this device its VGG11 target (about 760 MiB in a tab) does not.
      assert.match(await page.evaluate((s) => window.idlab.preflight(s), p1), /^Not run \(target vgg11\): vgg11 will not fit in this tab/);

      // A limit between what 3 and 92 images need: the page finds the most images that fit (the
      // core's estimate, searched), and the core agrees that one more would not.
      const between = (fewest.s0.total + big.s0.total) / 2;
      await page.evaluate((gb) => Object.defineProperty(navigator, 'deviceMemory', { value: gb, configurable: true }), (2 * between) / 2 ** 30);
      const advice = await page.evaluate((s) => window.idlab.preflight(s), vgg13);
      const most = Number((/It fits with at most (\d+) images/.exec(advice || '') || [])[1]);
      assert.ok(most >= 3 && most < 92, `the advice names a number of images: ${advice}`);
      assert.ok((await coreEstimate(page, { limit: most })).s0.total <= between, `vgg13 fits on ${most} images`);
      assert.ok((await coreEstimate(page, { limit: most + 1 })).s0.total > between, `and not on ${most + 1}`);
      await page.evaluate(() => delete navigator.deviceMemory);

      // Models with different normalisations (the Mixer's 0.5 vs ImageNet's) share one run;
      // only a different input size is refused, and the zoo has none today.
      const inputRefusal = (entries) => page.evaluate(async (es) => (await import('./zoo.js')).inputRefusal(es), entries);
      const mixer = ZOO.models.find((m) => JSON.stringify(m.input) !== JSON.stringify(entry('resnet18').input));
      if (mixer) assert.equal(await inputRefusal([mixer, entry('resnet18')]), null, `${mixer.arch} and resnet18 may be compared`);
      const odd = { ...entry('resnet18'), arch: 'odd_size', input: { ...entry('resnet18').input, size: 299 } };
      assert.match(await inputRefusal([odd, entry('resnet18')]) || '', /odd_size.*resnet18.*input sizes/s, 'a different input size is refused, naming both');

      // The page stays usable: a small run that fits goes ahead and clears the error.
      await page.selectOption('#source-arch', 'alexnet');
      await page.selectOption('#target-arch', 'alexnet');
      await page.fill('#images', '3');
      await page.click('#run');
      const result = await waitForResult(page, 4 * 60 * 1000);
      assert.equal(result.n_stimuli, 3);
      assert.equal(await visibleError(page), null, 'the error box is cleared by a run that went ahead');
      assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    } finally {
      await context.close();
    }
  });
