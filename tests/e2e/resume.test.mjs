// A run interrupted by a crashed worker or a reload resumes from its last finished model: the
// worker keeps each finished model's checkpoint in IndexedDB (www/resume-store.js), Run again
// restores them, the progress says so, and the scores equal an uninterrupted run's exactly.
// Three models on 16 photographs, through the page's own controls; the threaded build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { browserAndServer, openFormReady, waitReady, settled, waitForResult, visibleError, outDir } from './helpers.mjs';

const env = browserAndServer();

// A fast target first, then two slower sources, so that a run stopped after one or two finished
// models still has seconds of work left.
const SPEC = {
  idlab: 2,
  name: 'Resume after an interruption',
  stimuli: { set: 'kriegeskorte92', limit: 16 },
  targets: [{ arch: 'alexnet', seed: 1, layers: ['features.2', 'classifier.4'] }],
  sources: [
    { arch: 'resnet18', seed: 0, layers: ['layer1.0', 'layer4.1', 'avgpool'] },
    { arch: 'resnet18', seed: 1, layers: ['layer1.0', 'layer4.1', 'avgpool'] },
  ],
  metrics: [{ name: 'cka' }, { name: 'rsa' }],
};
const N = SPEC.stimuli.limit;

async function runFromForm(page) {
  await page.$eval('details.spec', (d) => { d.open = true; });
  await page.fill('#spec', JSON.stringify(SPEC, null, 2));
  await settled(page);
  await page.click('#run');
  assert.equal(await page.evaluate(() => window.idlab.running), true, 'Run started a run');
}

/** Waits until `models` models are recorded (their checkpoints are kept before the next step). */
async function waitModels(page, models) {
  const got = await (await page.waitForFunction((n) => {
    const err = document.getElementById('error');
    if (err && !err.hidden && err.textContent.trim()) return { error: err.textContent.trim() };
    const p = window.idlab.lastProgress;
    if (!window.idlab.running) return { error: 'the run finished before it was interrupted' };
    return p && p.stage !== 'done' && p.images_done > n ? { progress: p } : false;
  }, models * N, { timeout: 5 * 60 * 1000, polling: 50 })).jsonValue();
  assert.equal(got.error, undefined, got.error);
  return got.progress;
}

/** The checkpoints in the page's IndexedDB: [[set, entry]]. */
function stored(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('idlab-resume');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('checkpoints')) return resolve([]);
      const req = db.transaction('checkpoints').objectStore('checkpoints').getAllKeys();
      req.onsuccess = () => { resolve(req.result.map((k) => [k[1], k[2]])); db.close(); };
      req.onerror = () => reject(req.error);
    };
  }));
}

test('a crashed worker and a reload resume from the last finished model, with the same scores', { timeout: 15 * 60 * 1000 }, async () => {
  const dir = outDir('resume');
  const { page, context } = await openFormReady(env.browser, env.server.url);
  try {
    // (a) Uninterrupted: the reference scores; its checkpoints are deleted at the end.
    await runFromForm(page);
    const whole = await waitForResult(page);
    assert.equal(whole.scores.length, 2 * 2 * 1);
    assert.deepEqual(await stored(page), [], 'a finished run keeps no checkpoints');
    assert.equal(await page.evaluate(() => window.idlab.lastProgress.note), undefined, 'a fresh run did not resume');

    // (b) The worker crashes once the target is finished; the page restarts it; Run again resumes.
    await runFromForm(page);
    await waitModels(page, 1);
    const worker = page.workers().find((w) => /\/worker\.js$/.test(w.url()));
    assert.ok(worker, `the compute worker among ${page.workers().map((w) => w.url()).join(', ')}`);
    await worker.evaluate(() => { setTimeout(() => { throw new Error('killed by the test'); }, 0); });
    await page.waitForFunction(() => !window.idlab.running, null, { timeout: 30000 });
    assert.match(await visibleError(page), /compute worker failed.*killed by the test/);
    assert.ok((await stored(page)).length >= 1, 'the finished model\'s checkpoint is kept');
    await waitReady(page);
    await page.click('#run');
    assert.equal(await page.evaluate(() => window.idlab.running), true);
    const resumed = await waitForResult(page);
    assert.match(await page.evaluate(() => window.idlab.lastProgress.note), /^resumed: [12] of 3 models already finished$/);
    assert.deepEqual(resumed.scores, whole.scores, 'the same scores, bit for bit');
    assert.deepEqual(await stored(page), []);

    // (c) A reload once two models are finished; Run again on the new page resumes too.
    await runFromForm(page);
    await waitModels(page, 2);
    await page.reload({ waitUntil: 'load' });
    await waitReady(page);
    // The reloaded page shows the three-model spec (its permalink), which the one-pair form leaves disabled.
    await page.waitForSelector('#spec', { state: 'attached', timeout: 30000 });
    await settled(page);
    assert.ok((await stored(page)).length >= 2, 'both finished models\' checkpoints survive the reload');
    await runFromForm(page);
    const reloaded = await waitForResult(page);
    // The reloaded page has no preset to describe the change from, so its spec's "about" differs: words only.
    assert.notDeepEqual(reloaded.spec.about, whole.spec.about);
    assert.deepEqual(reloaded.inputs, whole.inputs, 'the reloaded page gave the same inputs');
    assert.equal(await page.evaluate(() => window.idlab.lastProgress.note), 'resumed: 2 of 3 models already finished');
    assert.deepEqual(reloaded.scores, whole.scores, 'the same scores after a reload');
    assert.deepEqual(await stored(page), []);
    assert.equal(await visibleError(page), null);
    await page.screenshot({ path: path.join(dir, 'resumed.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
