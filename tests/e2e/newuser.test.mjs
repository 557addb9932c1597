// A new user's path through the page, in one browser: every preset loaded from the menu
// shows its own stimulus set, images and Run label; the Images field writes the spec's
// limit (a preset's too); a value out of range, JSON that does not parse and a garbage
// .onnx each hold Run off with the reason beside it; a 16-image regression run carries its
// small-size warning onto the page. Lean: no full preset runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, LONG_MS, browserAndServer, openFormReady, settled, outDir, waitForResult } from './helpers.mjs';

const env = browserAndServer();
const PRESETS = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/index.json'), 'utf8')).presets;

const specValue = async (page) => JSON.parse(await page.inputValue('#spec'));

/** Chooses a preset from the menu and waits until the form shows it and the core's numbers. */
async function choosePreset(page, file) {
  const want = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', file), 'utf8')).name;
  await page.selectOption('#preset', file);
  await page.waitForFunction((name) => JSON.parse(document.getElementById('spec').value).name === name, want, { timeout: 30000 });
  await settled(page);
  return specValue(page);
}

/** Run's state: {disabled, label, reason (the text it is described by, when shown)}. */
const runState = (page) => page.evaluate(() => {
  const run = document.getElementById('run');
  const reason = (run.getAttribute('aria-describedby') || '').split(/\s+/).map((id) => document.getElementById(id))
    .filter((el) => el && !el.hidden).map((el) => el.textContent.trim()).join(' ');
  return { disabled: run.disabled, label: run.textContent.trim(), reason };
});

const isModel = (m) => typeof m.arch === 'string' || typeof m.onnx === 'string' || typeof m.tflite === 'string';

test('every preset shows its own stimuli, images and Run label; Images writes the limit', { timeout: 5 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    for (const { file } of PRESETS) {
      const spec = await choosePreset(page, file);
      const inputs = await page.evaluate((s) => window.idlab.core('spec_inputs', s), spec);
      assert.equal(await page.inputValue('#stimulus-set'), spec.stimuli.set, `${file}: the stimulus menu shows the preset's set`);
      assert.equal(await page.inputValue('#images'), String(spec.stimuli.limit ?? inputs.stimuli.n), `${file}: Images shows the preset's images`);
      assert.equal(await page.textContent('#images-max'), String(inputs.stimuli.all), `${file}: the set's size, as the core says it`);
      const models = [...spec.sources, ...spec.targets].filter(isModel).length;
      const run = await runState(page);
      assert.equal(run.disabled, false, `${file}: Run is on`);
      assert.ok(run.label.startsWith(`Run: ${spec.name} — ${models} model`), `${file}: Run names the spec and its models: ${run.label}`);
      const several = Array.isArray(spec.more_stimuli);
      const images = several ? `images in ${spec.more_stimuli.length + 1} sets` : `${inputs.stimuli.n} images`;
      assert.ok(run.label.includes(images), `${file}: Run says the images: ${run.label}`);
      assert.equal(await page.isDisabled('#images'), several, `${file}: Images is off only over several sets`);
      if (several) assert.match(await page.textContent('#stimuli-why'), /stimulus sets/, `${file}: and says why`);
      const onePair = spec.sources.length === 1 && spec.targets.length === 1 && spec.metrics.length === 1 && isModel(spec.targets[0]);
      assert.equal(await page.isVisible('#sides-why'), !onePair, `${file}: the model fields say why they are set aside`);
      if (!onePair) assert.match(await page.textContent('#sides-why'), /set aside/);
    }
    // Preset 6 uses cowley-v4 limited to 300, preset 7 a limit of 32: already checked above; now shrink one.
    const preset6 = await choosePreset(page, 'linear-vs-nonlinear.json');
    assert.equal(await page.inputValue('#stimulus-set'), 'cowley-v4');
    assert.equal(await page.inputValue('#images'), '300');
    await page.fill('#images', '16');
    await settled(page);
    const shrunk = await specValue(page);
    assert.equal(shrunk.stimuli.limit, 16, 'Images writes stimuli.limit for a many-model preset');
    assert.equal(shrunk.stimuli.set, 'cowley-v4');
    assert.deepEqual({ ...shrunk, stimuli: preset6.stimuli }, preset6, 'the rest of the preset is kept');
    assert.match((await runState(page)).label, /— \d+ models, 16 images$/);
    const about = await page.textContent('#about');
    assert.match(about, /^Changed from the preset "6\. [^"]+": images 300 -> 16\./, `the About text says what changed: ${about}`);
    assert.ok(!about.includes(preset6.about), "and no longer shows the preset's findings as this run's");

    // A seed changed in the default preset, then changed back.
    const preset0 = await choosePreset(page, 'alexnet-seeds-cka.json');
    await page.fill('#target-seed', '2');
    await settled(page);
    assert.match(await page.textContent('#about'), /: target seed 1 -> 2\./);
    await page.fill('#target-seed', '1');
    await settled(page);
    assert.ok((await page.textContent('#about')).includes(preset0.about), "the preset's own text is back");
    await choosePreset(page, 'linear-vs-nonlinear.json');
    await page.fill('#images', '16');
    await settled(page);

    // A value out of range holds Run off, with the reason beside it.
    await page.fill('#images', '2');
    let run = await runState(page);
    assert.equal(run.disabled, true, 'Run is off while Images is out of range');
    assert.match(run.reason, /number of images/);
    assert.equal((await specValue(page)).stimuli.limit, 16, 'the spec keeps the last valid value');
    await page.fill('#images', '20');
    await settled(page);
    assert.equal((await runState(page)).disabled, false, 'Run is on again');
    assert.equal((await specValue(page)).stimuli.limit, 20);

    // JSON that does not parse holds Run off; resetting it brings Run back.
    await page.click('.spec summary');
    await page.fill('#spec', '{"idlab": 2, oops');
    run = await runState(page);
    assert.equal(run.disabled, true, 'Run is off while the JSON does not parse');
    assert.match(run.reason, /JSON/);
    await page.click('#reset-spec');
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 30000 });
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});

test('a garbage .onnx shows its error and holds Run off until a zoo model replaces it', { timeout: 3 * 60 * 1000 }, async () => {
  const garbage = path.join(outDir('newuser'), 'garbage.onnx');
  fs.writeFileSync(garbage, 'not a protobuf \u0000\u0001');
  const { page, context } = await openFormReady(env.browser, env.server.url);
  try {
    await page.selectOption('#source-arch', '__onnx__');
    await page.setInputFiles('#source-onnx-file', garbage);
    await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 60000 });
    const run = await runState(page);
    assert.equal(run.disabled, true, 'Run is off after a failed input');
    assert.match(run.reason, /garbage\.onnx could not be read/, `the reason is beside Run: ${run.reason}`);
    await page.selectOption('#source-arch', 'alexnet');
    await settled(page);
    assert.equal((await runState(page)).disabled, false, 'Run is on once the failed file is no longer asked for');
    assert.ok(await page.evaluate(() => typeof window.idlab.run === 'function'), "the tests' hook stays");
  } finally {
    await context.close();
  }
});

test('a 16-image regression run carries its small-size warning onto the page', { timeout: LONG_MS }, async () => {
  const { page, context } = await openFormReady(env.browser, env.server.url);
  try {
    // The loaded preset changed: what is sent to run (and so the result and its report) says what
    // changed instead of carrying the paper's figure and findings; the preset as it is keeps them.
    const described = await page.evaluate(async () => {
      const { describedSpec } = await import('./page/about.js');
      const text = JSON.parse(document.getElementById('spec').value);
      return { same: describedSpec(text), changed: describedSpec({ ...text, stimuli: { ...text.stimuli, limit: 8 } }) };
    });
    assert.ok(described.same.figure && !/^Changed/.test(described.same.about ?? ''), 'the preset as it is keeps its text');
    assert.equal(described.changed.figure, undefined, 'a changed preset names no figure');
    assert.match(described.changed.about, /^Changed from the preset .*images .*-> 8/);
    const preset = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/identify-architecture.json'), 'utf8'));
    const spec = {
      ...preset,
      name: 'Identify the architecture (16 images)',
      stimuli: { set: 'kriegeskorte92', limit: 16 },
      sources: [preset.sources[0], preset.sources[2]],
      targets: [preset.targets[0]],
      metrics: [{ name: 'regression' }],
    };
    await page.evaluate((text) => {
      const box = document.getElementById('spec');
      box.value = text;
      box.dispatchEvent(new Event('input'));
    }, JSON.stringify(spec));
    await settled(page);
    assert.match((await runState(page)).label, /3 models, 16 images$/);
    await page.click('#run');
    const result = await waitForResult(page);
    assert.equal(result.n_stimuli, 16);
    const regression = result.scores.filter((s) => s.metric === 'regression');
    assert.ok(regression.length > 0 && regression.every((s) => (s.warnings ?? []).length > 0),
      'every regression score on 16 images carries a warning');
    const shown = await page.evaluate(() => [...document.querySelectorAll('.idlab-warnings, .result-warnings')]
      .filter((el) => el.offsetParent !== null).map((el) => el.textContent).join(' '));
    assert.ok(shown.trim().length > 0, 'the warning is shown on the page');
    await page.screenshot({ path: path.join(outDir('newuser'), 'regression-16.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
