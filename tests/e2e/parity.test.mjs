// The threaded wasm build, the single-threaded wasm build and the native CLI
// compute the same numbers (on a reduced experiment: the first 8 images).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  LONG_MS, OUT, limitedSpec, useBrowser, withServer, withPage, waitReady, visibleError,
  checkMatrix, maxAbsDiff, readMatrixFile, runNative, outDir, writeJson, pairView
} from './helpers.mjs';

const TOLERANCE = 1e-4;

function readJsonIfPresent(file) {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}
const spec = limitedSpec(8);

const env = useBrowser();

function runInBrowser(isolation) {
  return withServer({ isolation }, (server) => withPage(env.browser, `${server.url}?autorun=0`, async ({ page, problems }) => {
    const info = await waitReady(page);
    const result = await page.evaluate((s) => window.idlab.run(s), spec);
    assert.equal(await visibleError(page), null, 'no error shown');
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    return { info, result };
  }));
}

test('threaded wasm, single-threaded wasm and native agree on an 8-image run', { timeout: 3 * LONG_MS }, async (t) => {
  const dir = outDir();
  const specFile = path.join(dir, 'parity-spec.json');
  writeJson(specFile, spec);

  const native = await runNative(specFile, path.join(dir, 'parity-native'));
  const threaded = await runInBrowser(true);
  const single = await runInBrowser(false);
  writeJson(path.join(dir, 'parity-threads.json'), threaded.result);
  writeJson(path.join(dir, 'parity-single.json'), single.result);

  assert.equal(threaded.info.flavor, 'threads', 'isolated page uses the threaded build');
  assert.equal(single.info.flavor, 'single', 'non-isolated page uses the single-threaded build');
  assert.equal(threaded.result.flavor, 'threads');
  assert.equal(single.result.flavor, 'single');

  for (const { result } of [threaded, single]) {
    assert.equal(result.n_stimuli, 8, 'stimuli.limit is honoured');
    checkMatrix(pairView(result).matrix, pairView(result).source.layers.length, pairView(result).target.layers.length);
  }
  assert.deepEqual(pairView(single.result).source.layers, pairView(threaded.result).source.layers, 'same source layers');
  assert.deepEqual(pairView(single.result).target.layers, pairView(threaded.result).target.layers, 'same target layers');

  const wasmDiff = maxAbsDiff(pairView(threaded.result).matrix, pairView(single.result).matrix);
  assert.ok(wasmDiff <= TOLERANCE, `max |threads - single| = ${wasmDiff}`);

  checkMatrix(native, pairView(threaded.result).source.layers.length, pairView(threaded.result).target.layers.length);
  const nativeDiff = maxAbsDiff(pairView(threaded.result).matrix, native);
  assert.ok(nativeDiff <= TOLERANCE, `max |threads - native| = ${nativeDiff}`);
  const nativeDiffSingle = maxAbsDiff(pairView(single.result).matrix, native);
  assert.ok(nativeDiffSingle <= TOLERANCE, `max |single - native| = ${nativeDiffSingle}`);

  // build.sh's own native run of the reduced spec, when present (and of the same size).
  const reference = readMatrixFile(path.join(OUT, 'native-small', 'result.json'));
  const refMeta = readJsonIfPresent(path.join(OUT, 'native-small', 'result.json'));
  if (reference && refMeta && refMeta.n_stimuli !== undefined && refMeta.n_stimuli !== 8) {
    t.diagnostic(`tests/out/native-small is a ${refMeta.n_stimuli}-image run, not 8: not compared`);
  } else if (reference) {
    const refDiff = maxAbsDiff(pairView(threaded.result).matrix, reference);
    assert.ok(refDiff <= TOLERANCE, `max |threads - native-small| = ${refDiff}`);
  }
});
