// Weights files of zoo architectures in each format trained models ship as (issue 12), in
// the page: a zip-format .pth written by torch.save (torchvision's ResNet18 names), and
// safetensors written by the safetensors package of timm's ResNet18 and VGG11 (timm's names,
// which for these equal torchvision's). Fixtures: tests/fixtures/weights/zoo/ (written by
// tests/fixtures/weights/make_zoo_fixtures.py; torch, not run here). Each spec is put in the
// spec box, each file given through the side's weights file control; the run succeeds, the
// labels say trained with the file's name, the result records the format and sha256, and
// every score equals `idlab run`'s on the same spec and files (to 1e-4).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, browserAndServer, openFormReady, settled, outDir, writeJson, runNativeResult, maxScoreDiff, runOutcome } from './helpers.mjs';

const env = browserAndServer();
const FIXTURES = path.join(ROOT, 'tests/fixtures/weights/zoo');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
const RUN_MS = 4 * 60 * 1000;

const fixture = (file) => EXPECTED.fixtures.find((f) => f.file === file);

/** A CKA run over 4 of the 92 images, one source and one target, both recording `layers` (or their own). */
const spec = (name, source, target, layers) => ({
  idlab: 2,
  name,
  stimuli: { set: 'kriegeskorte92', limit: 4 },
  sources: [source],
  targets: [target],
  layers,
  metrics: [{ name: 'cka' }],
});

const CASES = [
  {
    tag: 'resnet18',
    spec: spec(
      'ResNet18: torchvision zip .pth vs timm safetensors',
      { arch: 'resnet18', weights: { file: 'resnet18_tv_zip.pth' } },
      { arch: 'resnet18', weights: { file: 'resnet18_timm.safetensors' } },
      ['maxpool', 'layer1.0', 'layer1.1'],
    ),
    files: { source: 'resnet18_tv_zip.pth', target: 'resnet18_timm.safetensors' },
  },
  {
    tag: 'vgg11',
    spec: spec(
      'VGG11: timm safetensors vs seed 0',
      // Each side's own layers, which must survive the file picked in the form.
      { arch: 'vgg11', weights: { file: 'vgg11_timm_features.safetensors' }, layers: ['features.0', 'features.3'] },
      { arch: 'vgg11', seed: 0, layers: ['features.0', 'features.3'] },
      undefined,
    ),
    files: { source: 'vgg11_timm_features.safetensors' },
  },
];


/** `idlab run` on the spec with the fixtures it names copied beside it. */
async function cliResult(c) {
  const dir = outDir('weights-formats', `cli-${c.tag}`);
  for (const f of Object.values(c.files)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  const specFile = path.join(dir, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify(c.spec, null, 2));
  return runNativeResult(specFile, path.join(dir, 'out'));
}

for (const c of CASES) {
  test(`${c.tag}: ${Object.values(c.files).join(' and ')} load through the weights file control and score as idlab run does`, { timeout: RUN_MS + 120000 }, async () => {
    const cli = await cliResult(c);
    const { page, context, problems } = await openFormReady(env.browser, env.server.url);
    try {
      if (!(await page.isVisible('#spec'))) await page.click('.spec summary');
      await page.fill('#spec', JSON.stringify(c.spec, null, 2));
      await settled(page);
      // The spec names files the tab does not hold yet: the controls ask for them.
      for (const [side, file] of Object.entries(c.files)) {
        assert.equal(await page.inputValue(`#${side}-weights-kind`), 'file', `the ${side}'s weights control shows a file`);
        assert.match(await page.textContent(`#${side}-weights-info`), new RegExp(`The spec names ${file.replace(/\./g, '\\.')}`));
      }
      for (const [side, file] of Object.entries(c.files)) {
        await page.setInputFiles(`#${side}-weights-file`, path.join(FIXTURES, file));
        await page.waitForFunction((s) => /read by the core when the run starts/.test(document.getElementById(`${s}-weights-info`).textContent), side, { timeout: 30000 });
      }
      await settled(page);
      assert.equal(await page.isDisabled('#run'), false, `Run is on: ${await page.textContent('#run-reason')}`);
      const shown = JSON.parse(await page.inputValue('#spec'));
      assert.deepEqual(shown.sources[0].weights, c.spec.sources[0].weights, 'the spec keeps the source\'s weights');
      assert.deepEqual(shown.targets[0].weights, c.spec.targets[0].weights, 'and the target\'s');
      assert.deepEqual(shown.layers, c.spec.layers, 'and the layers');
      assert.deepEqual(shown.sources[0].layers, c.spec.sources[0].layers, 'and each side\'s own layers');
      assert.deepEqual(shown.targets[0].layers, c.spec.targets[0].layers);
      await page.click('#run');
      const outcome = await runOutcome(page, RUN_MS);
      assert.ok(outcome.result, `the run finished: ${outcome.error}`);
      const result = outcome.result;
      const dir = outDir('weights-formats');
      writeJson(path.join(dir, `${c.tag}-page-result.json`), result);

      // Each trained side: labelled trained with its file, and recorded with its format and sha256.
      for (const [side, file] of Object.entries(c.files)) {
        const id = side === 'source' ? 's0' : 't0';
        const m = result.models.find((x) => x.id === id);
        const fx = fixture(file);
        assert.match(m.label, /trained/, `${id}: ${m.label}`);
        assert.ok(m.label.includes(file) && m.label.includes(fx.sha256.slice(0, 8)), `${id}'s label names ${file} and its hash: ${m.label}`);
        assert.equal(m.weights.format, fx.format, `${file}'s format`);
        assert.equal(m.weights.sha256, fx.sha256, `${file}'s sha256`);
        assert.equal(m.weights.bytes, fx.bytes);
        assert.equal(m.weights.applied.map.naming, 'as_is', `${file}: timm's names here are torchvision's`);
        const cliModel = cli.models.find((x) => x.id === id);
        assert.equal(cliModel.label, m.label, 'the CLI labels it the same');
        assert.equal(cliModel.weights.sha256, fx.sha256);
      }
      // The result shown names each trained model with its file (the pair's heatmap or the views).
      const labels = result.models.filter((m) => m.weights).map((m) => m.label);
      assert.equal(labels.length, Object.keys(c.files).length);
      await page.waitForFunction((want) => {
        const text = document.getElementById('result-heading').parentElement.innerText;
        return want.every((l) => text.includes(l));
      }, labels, { timeout: 30000 }).catch(() => assert.fail(`the result shown names ${labels.join(' and ')}`));

      // The same numbers as the native CLI on the same spec and files.
      const diff = maxScoreDiff(result, cli);
      assert.ok(diff <= 1e-4, `page and idlab run differ by ${diff}`);
      console.log(`${c.tag}: page vs idlab run, largest score difference ${diff.toExponential(2)}`);
      const values = result.scores.flatMap((s) => s.values.flat());
      assert.ok(values.length > 0 && values.every((v) => Number.isFinite(v) && v >= -1e-9 && v <= 1 + 1e-9), `CKA values: ${values}`);
      await page.screenshot({ path: path.join(dir, `${c.tag}.png`), fullPage: true });
      assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    } finally {
      await context.close();
    }
  });
}
