// Errors reach the person: a bad spec rejects window.idlab.run and shows a
// message in #error that names the problem, and the page keeps working.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  DEFAULT_SPEC, limitedSpec, browserAndServer, openPage, waitReady, visibleError, outDir,
} from './helpers.mjs';

const env = browserAndServer();

/** Run a spec through window.idlab.run; returns {ok, message} instead of throwing. */
async function tryRun(page, spec) {
  return page.evaluate(async (s) => {
    try {
      const r = await window.idlab.run(s);
      return { ok: true, n: r.n_stimuli };
    } catch (err) {
      return { ok: false, message: String(err && err.message) };
    }
  }, spec);
}

test('bad specs are reported in #error and the page stays usable', { timeout: 5 * 60 * 1000 }, async () => {
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}?autorun=0`);
  try {
    await waitReady(page);
    assert.equal(await visibleError(page), null, 'no error before anything ran');

    // An unknown architecture.
    const badArch = { ...DEFAULT_SPEC, sources: [{ arch: 'nonexistent', seed: 0 }] };
    const r1 = await tryRun(page, badArch);
    assert.equal(r1.ok, false, 'idlab.run rejects a spec with an unknown arch');
    assert.match(r1.message, /nonexistent/, 'the rejection names the bad arch');
    const shown1 = await visibleError(page);
    assert.ok(shown1, '#error is visible');
    assert.match(shown1, /nonexistent/, '#error names the bad arch');
    assert.match(await page.textContent('#status'), /fail/i, '#status says the run failed');
    assert.equal(await page.isDisabled('#run'), false, 'Run is enabled after an error');
    assert.equal(await page.evaluate(() => window.idlab.running), false);
    await page.screenshot({ path: path.join(outDir(), 'error-bad-arch.png'), fullPage: true });

    // An unknown stimulus set.
    const r2 = await tryRun(page, { ...DEFAULT_SPEC, stimuli: { set: 'no-such-set' } });
    assert.equal(r2.ok, false, 'idlab.run rejects an unknown stimulus set');
    assert.match(await visibleError(page), /no-such-set/, '#error names the bad stimulus set');

    // Not JSON at all, typed into the spec box: Run is off, and the reason beside it names the JSON.
    await page.click('.spec summary');
    await page.fill('#spec', '{"idlab": 1, oops');
    assert.equal(await page.isDisabled('#run'), true, 'Run is off while the JSON does not parse');
    assert.match(await page.textContent('#run-reason'), /JSON/, 'and says why');
    // The API still runs text as it is given, and says it is not JSON.
    const r3 = await tryRun(page, '{"idlab": 1, oops');
    assert.equal(r3.ok, false);
    assert.match(await visibleError(page), /JSON/, '#error says the spec is not JSON');

    // Still usable: a small valid run succeeds and clears the error box.
    const ok = await tryRun(page, limitedSpec(3));
    assert.deepEqual(ok, { ok: true, n: 3 }, 'a valid run after the errors succeeds');
    assert.equal(await visibleError(page), null, 'the error box is cleared by a successful run');
    const z = await page.evaluate(() => document.getElementById('heatmap').data[0].z);
    assert.ok(Array.isArray(z) && z.length > 0, 'the heatmap is drawn');

    // The page reported errors in #error, not as uncaught exceptions or console errors.
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  } finally {
    await context.close();
  }
});
