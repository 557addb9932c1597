// A user's own ONNX model as the source: a resnet18 seed-0 export (written by
// the native CLI) is uploaded through the page's file input, three of its
// layers are picked, and compared with the zoo's resnet18 seed 0 on the same
// layers: the heatmap's diagonal is 1. A file that is not ONNX is refused in
// #error with the core's message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  BIN, startServer, launchBrowser, openFormReady, visibleError, waitForResult,
  heatmapData, checkMatrix, outDir, writeJson,
} from './helpers.mjs';

const LAYERS = ['layer1.0', 'layer2.0', 'avgpool'];

let browser;
let server;
let onnxFile;
let garbageFile;
before(async () => {
  const dir = outDir('upload');
  onnxFile = path.join(dir, 'resnet18.onnx');
  const out = spawnSync(BIN, ['export', '--arch', 'resnet18', '--seed', '0', '-o', onnxFile], { encoding: 'utf8' });
  assert.equal(out.status, 0, `idlab export failed: ${out.stderr}`);
  garbageFile = path.join(dir, 'garbage.onnx');
  fs.writeFileSync(garbageFile, 'this is not a protobuf, just some text \u0000\u0001\u00ff');
  browser = await launchBrowser();
  server = await startServer({ isolation: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const openReady = () => openFormReady(browser, server.url);

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
    assert.deepEqual(spec.source, { onnx: 'resnet18.onnx', layers: LAYERS }, 'the spec names the file and its layers');
    assert.deepEqual(spec.target, { arch: 'resnet18', seed: 0 });
    // The zoo side's layers through the top-level list.
    spec = { ...spec, layers: LAYERS };
    await page.click('.spec summary');
    await page.fill('#spec', JSON.stringify(spec, null, 2));
    assert.equal(await page.inputValue('#source-arch'), '__onnx__', 'the form keeps the user model');
    assert.match(await page.textContent('#source-memory'), /^about \d+ MB while it loads$/, 'a memory estimate for the file');

    await page.click('#run');
    const result = await waitForResult(page, 6 * 60 * 1000);
    assert.equal(result.source.arch, 'resnet18.onnx');
    assert.equal(result.source.seed, undefined, 'no seed for a user model');
    assert.deepEqual(result.source.layers, LAYERS);
    assert.deepEqual(result.target.layers, LAYERS);
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
    const missing = `${server.url}models/no-such-model.onnx`;
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
