// A user's own ONNX model as the source: a resnet18 seed-0 export (written by
// the native CLI) is uploaded through the page's file input, three of its
// layers are picked, and compared with the zoo's resnet18 seed 0 on the same
// layers: the heatmap's diagonal is 1. A file that is not ONNX is refused in
// #error with the core's message. The same export loaded from a URL (real
// HTTP from the test server) and dropped on the other side's drop zone runs
// with preprocessing set in the form: BGR input moves the diagonal off 1,
// RGB brings it back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  BIN, DIST, browserAndServer, openFormReady, visibleError, waitForResult,
  heatmapData, checkMatrix, outDir, writeJson, pairView
} from './helpers.mjs';

const LAYERS = ['layer1.0', 'layer2.0', 'avgpool'];

const env = browserAndServer();
let onnxFile;
let garbageFile;
before(() => {
  const dir = outDir('upload');
  onnxFile = path.join(dir, 'resnet18.onnx');
  const out = spawnSync(BIN, ['export', '--arch', 'resnet18', '--seed', '0', '-o', onnxFile], { encoding: 'utf8' });
  assert.equal(out.status, 0, `idlab export failed: ${out.stderr}`);
  garbageFile = path.join(dir, 'garbage.onnx');
  fs.writeFileSync(garbageFile, 'this is not a protobuf, just some text \u0000\u0001\u00ff');
});
after(() => {
  fs.rmSync(path.join(DIST, 'e2e-tmp'), { recursive: true, force: true });
});

const openReady = () => openFormReady(env.browser, env.server.url);

test('an uploaded resnet18 export matches the zoo resnet18 on its diagonal', { timeout: 8 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openReady();
  try {
    await page.selectOption('#source-arch', '__onnx__');
    assert.equal(await page.isVisible('#source-onnx-file'), true, 'the file input shows for "Your model (ONNX)"');
    await page.setInputFiles('#source-onnx-file', onnxFile);
    await page.waitForFunction(() => document.querySelectorAll('#source-onnx-layers option').length > 0, null, { timeout: 60000 });
    const listed = await page.evaluate(() => [...document.querySelectorAll('#source-onnx-layers option')].map((o) => ({
      value: o.value, text: o.textContent, selected: o.selected,
    })));
    const block = listed.find((o) => o.value === 'layer1.0');
    assert.ok(block, 'layer1.0 is listed');
    assert.match(block.text, /64×56×56/, `the shape is shown: ${block.text}`);
    const defaults = listed.filter((o) => o.selected);
    assert.ok(defaults.length > 0 && defaults.length <= 10, `a default selection of up to 10 layers (${defaults.length})`);

    await page.selectOption('#source-onnx-layers', LAYERS);
    await page.selectOption('#target-arch', 'resnet18');
    await page.fill('#target-seed', '0');
    await page.fill('#images', '3');
    let spec = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(spec.sources[0], {
      onnx: 'resnet18.onnx', layers: LAYERS, size: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: 'rgb',
    }, 'the spec names the file, its layers and the preprocessing read from its metadata');
    assert.deepEqual(spec.targets[0], { arch: 'resnet18', seed: 0 });
    // The zoo side's layers through the top-level list.
    spec = { ...spec, layers: LAYERS };
    await page.click('.spec summary');
    await page.fill('#spec', JSON.stringify(spec, null, 2));
    assert.equal(await page.inputValue('#source-arch'), '__onnx__', 'the form keeps the user model');
    assert.match(await page.textContent('#source-memory'), /^about \d+ MB while it loads$/, 'a memory estimate for the file');

    await page.click('#run');
    const result = await waitForResult(page, 6 * 60 * 1000);
    assert.equal(pairView(result).source.label, 'resnet18.onnx');
    assert.equal(pairView(result).source.seed, undefined, 'no seed for a user model');
    assert.deepEqual(pairView(result).source.layers, LAYERS);
    assert.deepEqual(pairView(result).target.layers, LAYERS);
    const fig = await heatmapData(page);
    checkMatrix(fig.z, 3, 3);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(fig.z[i][i] - 1) < 1e-6, `diagonal ${i}: ${fig.z[i][i]}`);
    assert.equal(await visibleError(page), null, 'no error shown');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    const dir = outDir('upload');
    await page.screenshot({ path: path.join(dir, 'upload-resnet18.png'), fullPage: true });
    writeJson(path.join(dir, 'upload-resnet18.json'), result);
  } finally {
    await context.close();
  }
});

test('a file that is not ONNX, or a URL that is not there, is refused with the reason', { timeout: 3 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openReady();
  try {
    await page.selectOption('#target-arch', '__onnx__');
    await page.setInputFiles('#target-onnx-file', garbageFile);
    await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 60000 });
    const shown = await visibleError(page);
    assert.match(shown, /garbage\.onnx is not an ONNX model/, `#error: ${shown}`);

    // Loading from a URL that is not there names the URL and the HTTP status.
    const missing = `${env.server.url}models/no-such-model.onnx`;
    await page.fill('#target-onnx-url', missing);
    await page.click('#target-onnx-fetch');
    await page.waitForFunction(() => /Could not fetch/.test(document.getElementById('error').textContent), null, { timeout: 60000 });
    const fetched = await visibleError(page);
    assert.ok(fetched.includes(missing) && /HTTP 404/.test(fetched), `#error: ${fetched}`);
    const unexpected = problems.filter((p) => !p.includes('no-such-model.onnx'));
    assert.deepEqual(unexpected, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});

test('a model from a URL and a dropped file run with the preprocessing set in the form', { timeout: 8 * 60 * 1000 }, async () => {
  // Served by the same server as the page: a real HTTP download into the worker.
  fs.mkdirSync(path.join(DIST, 'e2e-tmp'), { recursive: true });
  fs.copyFileSync(onnxFile, path.join(DIST, 'e2e-tmp', 'resnet18.onnx'));
  const url = `${env.server.url}e2e-tmp/resnet18.onnx`;
  const two = ['layer1.0', 'avgpool'];
  const { page, context, problems } = await openReady();
  try {
    await page.selectOption('#source-arch', '__onnx__');
    await page.fill('#source-onnx-url', url);
    await page.click('#source-onnx-fetch');
    await page.waitForFunction(() => document.querySelectorAll('#source-onnx-layers option').length > 0, null, { timeout: 120000 });
    assert.match(await page.textContent('#source-onnx-info'), /resnet18\.onnx: \d+(\.\d+)? MB/, 'the URL load names the file and its size');

    // Drag and drop: a real File in a real DataTransfer, dropped on the target's zone.
    await page.selectOption('#target-arch', '__onnx__');
    await page.evaluate(async (u) => {
      const blob = await (await fetch(u)).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'dropped.onnx'));
      const zone = document.getElementById('target-onnx-drop');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, url);
    await page.waitForFunction(() => document.getElementById('target-onnx-layers').dataset.file === 'dropped.onnx'
      && document.querySelectorAll('#target-onnx-layers option').length > 0, null, { timeout: 120000 });

    await page.selectOption('#source-onnx-layers', two);
    await page.selectOption('#target-onnx-layers', two);
    await page.fill('#images', '3');
    await page.selectOption('#target-onnx-channels', 'bgr');
    let spec = JSON.parse(await page.inputValue('#spec'));
    assert.equal(spec.sources[0].onnx, 'resnet18.onnx');
    assert.equal(spec.targets[0].onnx, 'dropped.onnx');
    assert.equal(spec.targets[0].channels, 'bgr', 'the channel order goes into the spec');
    assert.equal(spec.sources[0].channels, 'rgb');

    // A bad std is refused in the form, not sent.
    await page.fill('#target-onnx-std', '0.2, 0, 0.2');
    assert.equal(await page.getAttribute('#target-onnx-std', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#form-note'), /std three positive numbers/);
    await page.fill('#target-onnx-std', '0.229, 0.224, 0.225');
    spec = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(spec.targets[0].std, [0.229, 0.224, 0.225]);

    await page.click('#run');
    let result = await waitForResult(page, 6 * 60 * 1000);
    let fig = await heatmapData(page);
    checkMatrix(fig.z, 2, 2);
    assert.ok(fig.z[0][0] < 1 - 1e-6, `BGR on one side only: layer1.0 differs (${fig.z[0][0]})`);
    assert.equal(result.spec.targets[0].channels, 'bgr', 'the result carries the spec it ran');

    await page.selectOption('#target-onnx-channels', 'rgb');
    await page.click('#run');
    await page.waitForFunction((old) => {
      const p = document.getElementById('heatmap');
      return p && p.data && p.data[0] && p.data[0].z[0][0] !== old;
    }, fig.z[0][0], { timeout: 6 * 60 * 1000 });
    result = await waitForResult(page, 6 * 60 * 1000);
    fig = await heatmapData(page);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(fig.z[i][i] - 1) < 1e-6, `RGB on both sides: diagonal ${i} is 1 (${fig.z[i][i]})`);
    assert.equal(await visibleError(page), null, 'no error shown');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});
