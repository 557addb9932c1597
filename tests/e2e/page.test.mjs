// The page as a person uses it: open it, press Run, get a heatmap. Once with
// cross-origin isolation (threaded wasm) and once without (single-threaded).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  LONG_MS, OUT, DEFAULT_SPEC, useBrowser, withServer, withPage, waitReady, visibleError,
  waitForResult, heatmapData, checkMatrix, diagonalContrast, maxAbsDiff, readMatrixFile, outDir, writeJson, pairView
} from './helpers.mjs';

const env = useBrowser();

for (const isolation of [true, false]) {
  const flavor = isolation ? 'threads' : 'single';

  test(`default experiment runs from the Run button (${isolation ? 'isolated, threaded' : 'not isolated, single-threaded'})`,
    { timeout: LONG_MS + 120000 }, () => withServer({ isolation }, (server) =>
      withPage(env.browser, `${server.url}?autorun=0`, async ({ page, problems }) => {
        // The build the page picked.
        assert.equal(await page.evaluate(() => self.crossOriginIsolated), isolation, 'crossOriginIsolated');
        const info = await waitReady(page);
        assert.equal(info.flavor, flavor, 'window.idlab.ready flavor');
        const build = await page.textContent('#build');
        if (isolation) {
          // Chromium validates relaxed SIMD: the worker loads the relaxed-SIMD threaded build.
          assert.equal(info.simd, 'relaxed', 'window.idlab.ready simd');
          assert.match(build, /^Build: threaded \(\d+ threads?, relaxed SIMD\)/, '#build text');
          assert.ok(info.threads >= 1, `threads = ${info.threads}`);
        } else {
          assert.match(build, /^Build: single-threaded/, '#build text');
        }

        // autorun=0: nothing started by itself.
        assert.equal(await page.evaluate(() => window.idlab.running), false, 'no run before pressing Run');
        assert.equal(await page.evaluate(() => window.idlab.lastResult), null);

        // Keep every status line the page shows, to check progress and ETA afterwards.
        await page.evaluate(() => {
          window.__statusLog = [];
          window.__progressMax = 0;
          const status = document.getElementById('status');
          const bar = document.getElementById('progress');
          new MutationObserver(() => {
            window.__statusLog.push(status.textContent);
            if (bar.hasAttribute('value')) window.__progressMax = Math.max(window.__progressMax, bar.value / bar.max);
          }).observe(status, { childList: true, characterData: true, subtree: true });
        });

        await page.waitForSelector('#run:not([disabled])');
        await page.click('#run');
        await page.waitForFunction(() => window.idlab.running && !document.getElementById('cancel').disabled,
          null, { timeout: 10000 });
        assert.equal(await page.isDisabled('#run'), true, 'Run is disabled while running');

        const t0 = Date.now();
        const result = await waitForResult(page);
        const wallSeconds = (Date.now() - t0) / 1000;

        // The result object.
        assert.equal(result.flavor, flavor, 'result.flavor');
        assert.equal(result.simd, isolation ? 'relaxed-simd' : undefined, 'result.simd');
        assert.equal(pairView(result).metric, 'cka');
        assert.equal(result.n_stimuli, 92);
        assert.equal(pairView(result).source.arch, DEFAULT_SPEC.sources[0].arch);
        assert.equal(pairView(result).source.seed, DEFAULT_SPEC.sources[0].seed);
        assert.equal(pairView(result).target.seed, DEFAULT_SPEC.targets[0].seed);
        const rows = pairView(result).source.layers.length;
        const cols = pairView(result).target.layers.length;
        assert.ok(rows >= 2 && cols >= 2, `layers: ${rows} x ${cols}`);
        assert.deepEqual(pairView(result).source.layers, pairView(result).target.layers, 'same architecture, same layers');

        // The figure as drawn.
        const fig = await heatmapData(page);
        assert.equal(fig.type, 'heatmap');
        checkMatrix(fig.z, rows, cols);
        assert.deepEqual(fig.y, pairView(result).source.layers, 'y axis = source layers');
        assert.deepEqual(fig.x, pairView(result).target.layers, 'x axis = target layers');
        assert.deepEqual(fig.z, pairView(result).matrix, 'the heatmap shows the result matrix');

        // Two seeds of the same net: corresponding layers are the most alike.
        const { diag, off } = diagonalContrast(fig.z);
        assert.ok(diag > off, `mean diagonal ${diag} should exceed mean off-diagonal ${off}`);

        // The page showed progress with an ETA, then finished.
        const log = await page.evaluate(() => window.__statusLog);
        assert.ok(log.some((s) => /\d+ \/ \d+ images/.test(s)), `progress counts shown; saw: ${log.slice(0, 5).join(' | ')}`);
        assert.ok(log.some((s) => /left/.test(s)), 'an ETA was shown');
        assert.match(await page.textContent('#status'), /^Done/);
        assert.equal(await page.evaluate(() => window.__progressMax), 1, 'progress bar reached the end');
        assert.equal(await page.isDisabled('#run'), false, 'Run is enabled again');
        assert.equal(await page.isDisabled('#cancel'), true, 'Cancel is disabled again');

        assert.equal(await visibleError(page), null, 'no error shown');
        assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');

        const dir = outDir();
        await page.screenshot({ path: path.join(dir, `page-${flavor}.png`), fullPage: true });
        writeJson(path.join(dir, `result-${flavor}.json`), { ...result, wall_seconds: wallSeconds });

        // Same numbers as the native CLI, when build.sh left its reference.
        const native = readMatrixFile(path.join(OUT, 'native', 'result.json'));
        if (native) {
          const diff = maxAbsDiff(fig.z, native);
          assert.ok(diff <= 1e-4, `max |wasm - native| = ${diff}`);
        }
      })));
}
