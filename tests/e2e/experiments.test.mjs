// The papers' experiments in the page: presets 1 (identify the architecture)
// and 5 (random AlexNets vs IT) at a reduced size run in the browser and give
// the CLI's numbers (and, through the same Rust function, the CLI's scores.csv and
// report.txt); the user's own folder of images and a .npy of responses
// run a regression, in the page as by the CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, browserAndServer, openFormReady, visibleError, waitForResult, runNativeResult, maxScoreDiff,
  outDir, writeJson, writeNpy,
} from './helpers.mjs';

const TOLERANCE = 1e-4;
const env = browserAndServer();
const preset = (file) => JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', file), 'utf8'));

/** First and last recorded layer of each architecture: few layers, the whole depth. */
const ENDS = {
  alexnet: ['features.2', 'classifier.4'],
  vgg11: ['features.3', 'classifier.3'],
  resnet18: ['layer1.0', 'avgpool'],
  vit_b_32: ['encoder.layers.encoder_layer_0', 'encoder.layers.encoder_layer_11'],
  mixer_b16_224: ['blocks.0', 'blocks.11'],
};

/** Types a spec into the page's JSON box (opening its disclosure first), as a person edits it. */
async function typeSpec(page, spec) {
  await page.$eval('details.spec', (d) => { d.open = true; });
  await page.fill('#spec', JSON.stringify(spec, null, 2));
}

/** Picks the preset in the page's menu, then runs `spec` (the preset reduced) there and by the CLI. */
async function runBoth(file, spec, tag) {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    await page.waitForSelector('#preset:not([disabled])');
    await page.selectOption('#preset', file);
    await page.waitForFunction((f) => JSON.parse(document.getElementById('spec').value).name === f, preset(file).name);
    assert.match(await page.textContent('#about'), /Reproduces:/, 'the page says which figure the preset reproduces');
    // The preset's texts in their parts: the paper's claims with their quotes, and this run.
    const texts = await page.$$eval('#preset-texts h3', (hs) => hs.map((h) => h.textContent));
    if (preset(file).paper) {
      assert.deepEqual(texts, ['The paper', 'This run'], 'the paper and this run, under the About line');
      const quotes = await page.$$eval('#preset-texts q', (qs) => qs.map((q) => q.textContent));
      assert.equal(quotes.length, preset(file).paper.length, 'one quote per claim');
    } else assert.deepEqual(texts, ['This run']);
    assert.match(await page.textContent('#preset-texts'), /seeded|trained/, 'and says whether weights are seeded or trained');
    assert.equal(await page.isDisabled('#source-arch'), true, 'the one-pair form is off for a many-model preset');
    assert.equal(await page.isVisible('#source-arch'), false, 'and hidden, rather than showing stale values');

    // The reduced spec through the JSON box, as a person would edit it.
    await typeSpec(page, spec);
    await page.click('#run');
    const result = await waitForResult(page, 8 * 60 * 1000);
    await page.waitForSelector('#views figure .js-plotly-plot');
    const figures = await page.$$eval('#views figure', (fs) => fs.length);
    assert.ok(figures >= 2, `plots drawn: ${figures}`);
    assert.equal(await visibleError(page), null);
    assert.deepEqual(problems, []);
    const dir = outDir('experiments');
    await page.screenshot({ path: path.join(dir, `${tag}.png`), fullPage: true });
    writeJson(path.join(dir, `${tag}-browser.json`), result);
    const specFile = path.join(dir, `${tag}-spec.json`);
    writeJson(specFile, spec);
    const native = await runNativeResult(specFile, path.join(dir, `${tag}-native`));
    return { page, context, result, native };
  } catch (err) {
    await context.close();
    throw err;
  }
}

test('preset 1, reduced: identifiability in the browser equals the CLI', { timeout: 15 * 60 * 1000 }, async () => {
  const spec = preset('identify-architecture.json');
  spec.stimuli = { set: 'kriegeskorte92', limit: 12 };
  // All five candidate sources; two of the five targets (a seeded twin and the Mixer that shares
  // its source's weights), since building the models is most of the test's time.
  spec.targets = spec.targets.filter((m) => ['resnet18', 'mixer_b16_224'].includes(m.arch));
  for (const m of [...spec.sources, ...spec.targets]) m.layers = ENDS[m.arch];
  spec.metrics = [{ name: 'regression', params: { folds: 2, test_fraction: 0.25, projection_dim: 512 } }, { name: 'cka' }];
  const { context, page, result, native } = await runBoth('identify-architecture.json', spec, 'preset1');
  try {
    assert.equal(result.scores.length, 2 * 5 * 2, 'two metrics, five sources, two targets');
    assert.equal(result.identifiability.length, 2 * 2, 'one analysis per metric and target');
    const diff = maxScoreDiff(result, native);
    assert.ok(diff <= TOLERANCE, `max |browser - CLI| = ${diff}`);
    result.identifiability.forEach((v, k) => {
      const w = native.identifiability[k];
      assert.equal(v.correct_source, w.correct_source);
      v.layers.forEach((l, j) => assert.ok(Math.abs(l.index - w.layers[j].index) <= TOLERANCE, `${v.metric} ${v.target} ${l.layer}`));
    });
    // The Mixer target has the very weights of its source: identified with CKA 1 at every layer.
    const mixerId = result.models.find((m) => m.role === 'target' && m.arch === 'mixer_b16_224').id;
    const mixer = result.identifiability.find((v) => v.metric === 'cka' && v.target === mixerId);
    assert.ok(mixer.layers.every((l) => l.correct_won && Math.abs(l.match - 1) < 1e-6), JSON.stringify(mixer.layers));
    // Twenty tables: the heatmaps are folded away, and open at full width.
    assert.equal(await page.$eval('#views details.idlab-fold', (d) => d.open), false, 'the heatmaps start folded');
    await page.click('#views details.idlab-fold > summary');
    const width = await page.$eval('#views details.idlab-fold .js-plotly-plot', (gd) => gd.getBoundingClientRect().width);
    assert.ok(width > 400, `an opened heatmap is drawn wide (${width} px)`);
    // What this run found: the core's sentences, the same in the page, the result and the report.
    const shown = await page.$$eval('#findings li', (lis) => lis.map((li) => li.textContent));
    assert.ok(shown.length >= 2, `findings shown: ${JSON.stringify(shown)}`);
    assert.deepEqual(shown, native.findings, "the page's findings are the CLI's result's");
    const report = fs.readFileSync(path.join(outDir('experiments'), 'preset1-native', 'report.txt'), 'utf8');
    const section = report.split('What this run found:\n')[1].split('\n\n')[0].split('\n').map((l) => l.replace(/^  - /, ''));
    assert.deepEqual(section, shown, "and the CLI's report prints them");
    const won = result.identifiability.filter((v) => v.metric === 'cka').flatMap((v) => v.layers).filter((l) => l.outcome === 'won').length;
    assert.ok(shown.some((f) => f.includes(`by linear CKA at ${won} of 4`)), `the identification is counted (${won} won by CKA): ${shown.join(' | ')}`);
    const verdicts = await page.$$eval('#views figure figcaption, #views p', (els) => els.map((e) => e.textContent).join('\n'));
    assert.match(verdicts, /correct architecture \(mixer_b16_224\) won at 2 of 2 target layers/);
  } finally {
    await context.close();
  }
});

test('preset 5, reduced: RSA against human and monkey IT in the browser equals the CLI', { timeout: 10 * 60 * 1000 }, async () => {
  const spec = preset('random-alexnet-vs-it.json');
  spec.stimuli = { set: 'kriegeskorte92', limit: 20 };
  spec.sources = spec.sources.slice(0, 2).map((m) => ({ ...m, layers: ['features.5', 'classifier.1'] }));
  spec.metrics[0].params.permutations = 200;
  const { context, page, result, native } = await runBoth('random-alexnet-vs-it.json', spec, 'preset5');
  try {
    // One function writes the CSV and the report: the page's core, given the CLI's result, gives
    // the CLI's files byte for byte, and the page's buttons download what it gives for the page's result.
    const cli = path.join(outDir('experiments'), 'preset5-native');
    const asked = await page.evaluate(async (r) => ({
      csv: await window.idlab.core('tidy_csv', r), report: await window.idlab.core('report_text', r),
    }), native);
    assert.equal(asked.csv, fs.readFileSync(path.join(cli, 'scores.csv'), 'utf8'), "the page's CSV of the CLI's result is scores.csv");
    assert.equal(asked.report, fs.readFileSync(path.join(cli, 'report.txt'), 'utf8'), "and its report is report.txt");
    assert.ok(asked.csv.split('\r\n').length > 2 * 4, 'per-subject rows are there');
    for (const [kind, name] of [['csv', 'tidy_csv'], ['report', 'report_text']]) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#exports button[data-export="${kind}"]`)]);
      const want = await page.evaluate((n) => window.idlab.core(n, window.idlab.lastResult), name);
      assert.equal(fs.readFileSync(await dl.path(), 'utf8'), want, `the ${kind} button downloads the core's ${name}`);
    }
    const diff = maxScoreDiff(result, native);
    assert.ok(diff <= TOLERANCE, `max |browser - CLI| = ${diff}`);
    const human = result.scores.filter((s) => s.target === 't0');
    assert.equal(human.length, 2);
    for (const s of human) {
      assert.equal(s.per_subject[0][0].length, 4, 'four subjects');
      const twin = native.scores.find((t) => t.source === s.source && t.target === s.target);
      assert.deepEqual(s.p_values, twin.p_values, 'the same seeded permutations give the same p-values');
    }
    assert.equal(result.noise_ceilings.length, 1);
    const [a, b] = [result.noise_ceilings[0], native.noise_ceilings[0]];
    assert.ok(Math.abs(a.lower - b.lower) < 1e-12 && Math.abs(a.upper - b.upper) < 1e-12, 'the ceiling is the data\'s alone');
    assert.equal(result.inputs.filter((i) => i.role === 'data').length, 9, 'every dataset file hashed');
  } finally {
    await context.close();
  }
});

/** A fresh folder of `n` of the 92 photos from number `first` on, named `${prefix}1.png`, `${prefix}2.png`, … */
function imageFolder(folder, n, first, prefix) {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  for (let i = 0; i < n; i++) {
    fs.copyFileSync(path.join(ROOT, `www/data/kriegeskorte92/images/${String(i + first).padStart(3, '0')}.png`), path.join(folder, `${prefix}${i + 1}.png`));
  }
  return folder;
}

test('your folder of images and a .npy of responses: regression in the page equals the CLI', { timeout: 10 * 60 * 1000 }, async () => {
  const dir = outDir('experiments', 'upload');
  const n = 10;
  const folder = imageFolder(path.join(dir, 'my-stimuli'), n, 30, 'stim');
  // Responses of 6 "neurons", rows in the images' natural order (stim1, stim2, …, stim10).
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: 6 }, (_, u) => Math.sin(i * (u + 1)) + 0.1 * u));
  const npy = path.join(dir, 'responses.npy');
  writeNpy(npy, rows);

  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    await page.setInputFiles('#upload-folder', folder);
    await page.waitForFunction(() => document.querySelectorAll('#thumbs img').length === 10);
    assert.match(await page.textContent('#images-info'), /10 images from my-stimuli/);
    const names = await page.$$eval('#thumbs figcaption', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, Array.from({ length: n }, (_, i) => `stim${i + 1}.png`), 'natural order');
    await page.setInputFiles('#upload-data', npy);
    await page.waitForSelector('#use-responses:not([disabled])');
    await page.click('#use-responses');
    const spec = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(spec.stimuli, { set: 'upload', folder: 'my-stimuli' });
    assert.deepEqual(spec.targets, [{ responses: 'responses.npy' }]);
    // Fewer layers and splits, for a quick run.
    spec.sources[0].layers = ['features.5', 'classifier.1'];
    spec.metrics = [{ name: 'regression', params: { folds: 3, test_fraction: 0.3 } }];
    await typeSpec(page, spec);
    await page.click('#run');
    const result = await waitForResult(page, 5 * 60 * 1000);
    assert.deepEqual(result.stimuli, names);
    assert.equal(result.models[1].units, 6);
    assert.equal(result.inputs.filter((i) => i.role === 'stimulus').length, n, 'every image hashed');
    assert.equal(await visibleError(page), null);
    assert.deepEqual(problems, []);

    writeJson(path.join(dir, 'spec.json'), spec); // beside my-stimuli/ and responses.npy, as the CLI reads them
    const native = await runNativeResult(path.join(dir, 'spec.json'), path.join(dir, 'native'));
    const diff = maxScoreDiff(result, native);
    assert.ok(diff <= TOLERANCE, `max |browser - CLI| = ${diff}`);

    // Too few rows: the core names both counts.
    writeNpy(npy, rows.slice(0, 7));
    await page.$eval('#data-info', (el) => { el.textContent = ''; }); // so the wait below sees the new file
    await page.setInputFiles('#upload-data', []); // the same path again: clear first, so the input changes
    await page.setInputFiles('#upload-data', npy);
    await page.waitForFunction(() => /responses\.npy/.test(document.getElementById('data-info').textContent));
    await page.click('#run');
    await page.waitForFunction(() => !document.getElementById('error').hidden);
    const message = await visibleError(page);
    assert.match(message, /responses\.npy/);
    assert.match(message, /7/);
    assert.match(message, /10/);
  } finally {
    await context.close();
  }
});

test('a .zip of images in the page: unpacked by the core, in natural order, and run', { timeout: 5 * 60 * 1000 }, async () => {
  const zip = path.join(ROOT, 'tests/fixtures/data/images.zip'); // 3 PNGs, a __MACOSX entry and a text file
  const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/data/expected.json'), 'utf8'))['images.zip'].paths;
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    await page.setInputFiles('#upload-images', zip);
    await page.waitForFunction(() => document.querySelectorAll('#thumbs img').length > 0);
    const names = await page.$$eval('#thumbs figcaption', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, expected, 'the images, in the order the CLI reads them');
    assert.match(await page.textContent('#images-info'), /3 images from images\.zip/);
    const spec = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(spec.stimuli, { set: 'upload', folder: 'images.zip' });
    assert.equal(await page.inputValue('#stimulus-set'), 'upload', 'the form shows your images as the stimuli');
    spec.sources[0].layers = ['features.2'];
    spec.targets[0].layers = ['features.2'];
    await typeSpec(page, spec);
    await page.click('#run');
    const result = await waitForResult(page, 3 * 60 * 1000);
    assert.deepEqual(result.stimuli, expected);
    assert.equal(await visibleError(page), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('preset 3, reduced, with your images as a third set: one run per set, in the page as by the CLI', { timeout: 12 * 60 * 1000 }, async () => {
  const dir = outDir('experiments', 'sets');
  const folder = imageFolder(path.join(dir, 'my-set'), 5, 60, 'img');
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    await page.waitForSelector('#preset:not([disabled])');
    await page.selectOption('#preset', 'which-stimuli-identify.json');
    await page.waitForFunction(() => Array.isArray(JSON.parse(document.getElementById('spec').value).more_stimuli));
    assert.match(await page.textContent('#about'), /Fig\. 5/);
    // Your images join the preset's sets instead of replacing them.
    await page.setInputFiles('#upload-folder', folder);
    await page.waitForFunction(() => document.querySelectorAll('#thumbs img').length === 5);
    let spec = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(spec.stimuli, { set: 'kriegeskorte92' });
    assert.deepEqual(spec.more_stimuli.map((s) => s.set), ['textures', 'objects', 'upload']);
    assert.equal(spec.more_stimuli[2].folder, 'my-set');
    // Reduced: few images, two architectures, few layers.
    spec = {
      ...spec,
      stimuli: { set: 'kriegeskorte92', limit: 6 },
      more_stimuli: [{ set: 'objects', count: 6, seed: 2 }, { set: 'upload', folder: 'my-set' }],
      sources: [{ arch: 'alexnet', seed: 0, layers: ENDS.alexnet }, { arch: 'vit_b_32', seed: 0, layers: ENDS.vit_b_32 }],
      targets: [{ arch: 'alexnet', seed: 1, layers: ENDS.alexnet }, { arch: 'vit_b_32', seed: 1, layers: ENDS.vit_b_32 }],
    };
    await typeSpec(page, spec);
    await page.click('#run');
    const result = await waitForResult(page, 8 * 60 * 1000);
    assert.deepEqual(result.stimulus_sets.map((s) => [s.name, s.n_stimuli]), [['kriegeskorte92', 6], ['objects', 6], ['upload (my-set)', 5]]);
    const k = spec.metrics.length;
    assert.equal(result.scores.length, 3 * 2 * 2 * k, 'sets x sources x targets x metrics');
    assert.equal(result.by_stimuli.length, 3 * 2 * k);
    await page.waitForSelector('#views figure[data-kind="stimulus-sets"] .js-plotly-plot');
    const bars = await page.$eval('#views figure[data-kind="stimulus-sets"] .js-plotly-plot', (gd) => gd.data.map((t) => [t.name, t.y.length]));
    assert.deepEqual(bars, [['kriegeskorte92', 2], ['objects', 2], ['upload (my-set)', 2]], 'one bar per set and target');
    const headings = await page.$$eval('#views .idlab-identifiability h3', (hs) => hs.map((h) => h.textContent));
    assert.ok(headings.some((h) => / · upload \(my-set\)$/.test(h)), headings.join(' | '));
    assert.equal(await visibleError(page), null);
    assert.deepEqual(problems, []);
    await page.screenshot({ path: path.join(dir, 'preset3.png'), fullPage: true });

    writeJson(path.join(dir, 'spec.json'), spec); // beside my-set/, as the CLI reads it
    const native = await runNativeResult(path.join(dir, 'spec.json'), path.join(dir, 'native'));
    const diff = maxScoreDiff(result, native);
    assert.ok(diff <= TOLERANCE, `max |browser - CLI| = ${diff}`);
    result.by_stimuli.forEach((b, k) => {
      const w = native.by_stimuli[k];
      assert.equal(b.stimuli, w.stimuli);
      assert.ok(Math.abs(b.mean_index - w.mean_index) <= TOLERANCE, `${b.stimuli} ${b.target}`);
    });
  } finally {
    await context.close();
  }
});

test('preset 6, reduced: V4 data, pruning and the MLP mapping in the page as by the CLI', { timeout: 10 * 60 * 1000 }, async () => {
  const spec = preset('linear-vs-nonlinear.json');
  spec.stimuli = { set: 'cowley-v4', limit: 24 };
  spec.sources = [{ arch: 'alexnet', seed: 0, prune: 0 }, { arch: 'alexnet', seed: 0, prune: 0.5 }];
  spec.layers = ['features.5', 'features.12'];
  spec.metrics = [
    { name: 'regression', params: { folds: 2, test_fraction: 0.25, projection_dim: 64 } },
    { name: 'nrp', params: { folds: 2, test_fraction: 0.25, projection_dim: 32, hidden_sizes: [[8, 8]], learning_rates: [0.01], max_epochs: 10, validation_fraction: 0.25 } },
  ];
  const { context, page, result, native } = await runBoth('linear-vs-nonlinear.json', spec, 'preset6');
  try {
    assert.deepEqual(result.models.map((m) => m.label), ['alexnet seed 0, 0% pruned', 'alexnet seed 0, 50% pruned', native.models[2].label]);
    assert.equal(result.models[2].units, 33, 'the 33 V4 neurons');
    assert.deepEqual(result.warnings, native.warnings, 'the same warnings as the CLI (24 images: pooled K-fold scores)');
    // Ridge regression's scores and the ridge columns of nrp follow the activations (1e-4).
    const ridge = { ...result, scores: result.scores.filter((s) => s.metric === 'regression') };
    assert.ok(maxScoreDiff(ridge, { ...native, scores: native.scores.filter((s) => s.metric === 'regression') }) <= TOLERANCE);
    for (const s of result.scores.filter((x) => x.metric === 'nrp')) {
      const twin = native.scores.find((t) => t.metric === 'nrp' && t.source === s.source);
      for (const key of ['ridge_mae', 'ridge_r2']) {
        s.detail[key].forEach((row, i) => assert.ok(Math.abs(row[0] - twin.detail[key][i][0]) <= TOLERANCE, `${key} ${s.source} ${i}`));
      }
      // The MLP is trained by Adam over several epochs from the same seeded start: the last bits of the
      // activations (tract rounds differently in wasm and natively) move its error by about 1e-8 here.
      s.detail.mlp_mae.forEach((row, i) => {
        const [a, b] = [row[0], twin.detail.mlp_mae[i][0]];
        assert.ok(Number.isFinite(a) && Math.abs(a - b) <= TOLERANCE * Math.abs(b), `MLP MAE ${s.source} ${i}: ${a} vs ${b}`);
      });
    }
    await page.waitForSelector('#views figure[data-kind="mapping"] .js-plotly-plot');
    const mapping = await page.$eval('#views figure[data-kind="mapping"] .js-plotly-plot', (gd) => gd.data.map((t) => t.name));
    assert.equal(mapping.length, 4, `MLP and ridge for each source: ${mapping}`);
    const pruning = await page.$$eval('#views figure[data-kind="pruning"] .js-plotly-plot', (gds) => gds.map((gd) => gd.data[0].x));
    assert.equal(pruning.length, 2, 'one pruning plot per metric');
    assert.deepEqual(pruning[0], [0, 50], 'sparsity on x');
  } finally {
    await context.close();
  }
});

test('preset 7, reduced: soft matching, noise and the specificity analysis in the page as by the CLI', { timeout: 10 * 60 * 1000 }, async () => {
  const spec = preset('predictivity-specificity.json');
  spec.stimuli = { set: 'kriegeskorte92', limit: 10 };
  spec.layers = ['features.0:pre', 'features.0', 'classifier.1'];
  const seeds = [0, 1, 2];
  spec.sources = seeds.map((seed) => ({ arch: 'alexnet', seed }));
  spec.targets = [
    ...seeds.map((seed) => ({ arch: 'alexnet', seed })),
    ...seeds.map((seed) => ({ arch: 'alexnet', seed, noise: { gain: 0.1, seed: 10 + seed } })),
  ];
  spec.metrics = [
    { name: 'regression', params: { folds: 2, test_fraction: 0.3, projection_dim: 64 } },
    { name: 'soft-matching', params: { max_units: 24 } },
    { name: 'rsa', params: { permutations: 0 } },
  ];
  const { context, page, result, native } = await runBoth('predictivity-specificity.json', spec, 'preset7');
  try {
    const diff = maxScoreDiff(result, native);
    assert.ok(diff <= TOLERANCE, `max |browser - CLI| = ${diff}`);
    assert.equal(result.specificity.length, 3 * 2, 'per metric, without noise and noisy');
    result.specificity.forEach((sp, k) => {
      const w = native.specificity[k];
      // Predictivity is the held-out R² of the mappings (ridge, soft matching); RSA has none.
      assert.equal(Boolean(sp.predictivity), sp.metric !== 'rsa', `${sp.metric} has predictivity: ${Boolean(sp.predictivity)}`);
      if (sp.predictivity) assert.ok(Number.isFinite(sp.predictivity.same_layer), `${sp.metric} R² is defined`);
      // Soft matching's optimal transport plan need not be unique (its cost is, and agrees to 1e-8), so its
      // held-out predictions, their R² and the silhouette on them may differ between builds on near-ties:
      // only ridge and RSA are compared here (README, "Reproducibility").
      if (sp.metric === 'soft-matching') return;
      assert.equal(sp.same_layer.hits, w.same_layer.hits, `${sp.metric} ${sp.targets}`);
      if (sp.population) assert.ok(Math.abs(sp.population.silhouette - w.population.silhouette) <= TOLERANCE, `${sp.metric} silhouette`);
      if (sp.predictivity) assert.ok(Math.abs(sp.predictivity.same_layer - w.predictivity.same_layer) <= TOLERANCE, `${sp.metric} R²`);
    });
    assert.ok(result.models.some((m) => /noisy \(gain 0\.1\)/.test(m.label)));
    await page.waitForSelector('#views figure[data-kind="mds"] .js-plotly-plot');
    const kinds = await page.$$eval('#views .idlab-specificity figure', (fs) => fs.map((f) => f.dataset.kind));
    assert.ok(kinds.filter((k) => k === 'specificity-bars').length === 6 && kinds.includes('mds'), kinds.join(' '));
    assert.equal(kinds.filter((k) => k === 'predictivity-bars').length, 4, `R² bars for the two mappings, twice: ${kinds.join(' ')}`);
  } finally {
    await context.close();
  }
});
