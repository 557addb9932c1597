// Cancel stops a running experiment promptly, leaves the page responsive, and a
// new run afterwards completes. Checked in both builds: in the threaded one the
// worker is blocked inside each step while the thread pool works.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  limitedSpec, useBrowser, withServer, withPage, waitReady, visibleError,
  heatmapData, checkMatrix, outDir, pairView
} from './helpers.mjs';

const env = useBrowser();

for (const isolation of [true, false]) {
  const flavor = isolation ? 'threads' : 'single';

  test(`Cancel stops the autorun and the page stays usable (${flavor})`, { timeout: 8 * 60 * 1000 }, () =>
    // No ?autorun=0: the default experiment starts by itself.
    withServer({ isolation }, (server) => withPage(env.browser, server.url, async ({ page, problems }) => {
      const info = await waitReady(page);
      assert.equal(info.flavor, flavor);

      // Wait until images are being recorded (fail fast if the run errors out instead).
      const started = await (await page.waitForFunction(() => {
        const err = document.getElementById('error');
        if (!err.hidden) return { error: err.textContent };
        const p = window.idlab.lastProgress;
        return p && p.images_done > 0 ? { progress: p } : false;
      }, null, { timeout: 5 * 60 * 1000, polling: 100 })).jsonValue();
      assert.equal(started.error, undefined, `the autorun failed: ${started.error}`);
      assert.equal(await page.evaluate(() => window.idlab.running), true, 'the autorun is running');
      assert.equal(await page.isDisabled('#cancel'), false, 'Cancel is enabled while running');
      // The core answers the page between two of the run's steps (the form's numbers, a download).
      const asked = await page.evaluate(async () => {
        const t = performance.now();
        const spec = await window.idlab.core('upgrade_spec', { idlab: 1, stimuli: { set: 'kriegeskorte92' }, source: { arch: 'alexnet', seed: 0 }, target: { arch: 'alexnet', seed: 1 }, metric: 'cka' });
        return { spec, ms: performance.now() - t, running: window.idlab.running };
      });
      assert.deepEqual(asked.spec.metrics, [{ name: 'cka' }], "the core's answer");
      assert.equal(asked.running, true, 'answered while the run goes on');
      assert.ok(asked.ms < 5000, `answered in ${asked.ms} ms`);

      const t0 = Date.now();
      await page.click('#cancel');
      await page.waitForFunction(() => /cancelled/i.test(document.getElementById('status').textContent),
        null, { timeout: 10000, polling: 50 });
      const cancelMs = Date.now() - t0;
      assert.ok(cancelMs < 8000, `cancel took ${cancelMs} ms`);

      // Responsive, idle, and really stopped.
      const e0 = Date.now();
      assert.equal(await page.evaluate(() => 6 * 7), 42);
      assert.ok(Date.now() - e0 < 1000, 'page.evaluate answers quickly after a cancel');
      assert.equal(await page.evaluate(() => window.idlab.running), false, 'no run in progress');
      assert.equal(await page.isDisabled('#run'), false, 'Run is enabled after a cancel');
      assert.equal(await page.isDisabled('#cancel'), true, 'Cancel is disabled after a cancel');
      const frozen = await page.evaluate(() => JSON.stringify(window.idlab.lastProgress));
      await page.waitForTimeout(1500);
      assert.equal(await page.evaluate(() => JSON.stringify(window.idlab.lastProgress)), frozen,
        'no progress arrives after the cancel');
      assert.equal(await page.evaluate(() => window.idlab.lastResult), null, 'the cancelled run left no result');
      assert.equal(await visibleError(page), null, 'a cancel is not an error');

      // A new, small run completes and is drawn.
      const result = await page.evaluate((s) => window.idlab.run(s), limitedSpec(4));
      assert.equal(result.n_stimuli, 4);
      assert.equal(result.flavor, flavor);
      const fig = await heatmapData(page);
      checkMatrix(fig.z, pairView(result).source.layers.length, pairView(result).target.layers.length);
      assert.match(await page.textContent('#status'), /^Done/);
      assert.equal(await visibleError(page), null, 'no error shown');
      assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
      await page.screenshot({ path: path.join(outDir(), `cancel-${flavor}.png`), fullPage: true });
    })));
}
