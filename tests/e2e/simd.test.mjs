// Which threaded build the worker loads (www/worker.js). Chromium validates relaxed SIMD, so an
// isolated page runs the relaxed-SIMD build (page.test.mjs and determinism.test.mjs check that,
// and `?simd=plain`); here the other paths, in this Chromium: a browser that does not validate
// relaxed SIMD (the detection module's answer routed to "no", as Safari's would be) gets the plain
// threaded build and never downloads the relaxed one; a relaxed build that fails to start (its
// .wasm missing from the host) falls back to the plain threaded build and says why.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, withServer, openPage, waitReady, visibleError, limitedSpec } from './helpers.mjs';

const env = useBrowser();
const RELAXED_WASM = /\/pkg\/threads-relaxed\/idlab_bg\.wasm$/;

/** Opens the isolated lab with `setup(context)` first; returns what the page picked and the requests it made. */
async function picked(setup, { run = false } = {}) {
  return withServer({ isolation: true }, async (server) => {
    const opened = await openPage(env.browser, `${server.url}?autorun=0`, { setup });
    try {
      const { page, problems } = opened;
      const info = await waitReady(page);
      const build = await page.textContent('#build');
      const result = run ? await page.evaluate((s) => window.idlab.run(s), limitedSpec(4)) : null;
      assert.equal(await visibleError(page), null, 'no error shown');
      return { info, build, result, problems };
    } finally {
      await opened.context.close();
    }
  });
}

test('a browser without relaxed SIMD runs the plain threaded build, and downloads no relaxed module', async () => {
  const requested = [];
  const { info, build, result, problems } = await picked(async (context) => {
    context.on('request', (req) => requested.push(req.url()));
    await context.route('**/vendor/wasm-feature-detect.js', (route) => route.fulfill({
      contentType: 'text/javascript',
      body: 'export const relaxedSimd = async () => false;',
    }));
  }, { run: true });
  assert.deepEqual([info.flavor, info.simd], ['threads', 'plain']);
  assert.match(build, /^Build: threaded \(\d+ threads?\)/);
  assert.doesNotMatch(build, /relaxed/);
  assert.equal(result.flavor, 'threads');
  assert.equal(result.simd, undefined, 'a plain build\'s result has no simd field');
  assert.ok(requested.some((u) => /\/pkg\/threads\/idlab_bg\.wasm$/.test(u)), 'the plain threaded module was loaded');
  assert.ok(!requested.some((u) => u.includes('/pkg/threads-relaxed/')), 'nothing of the relaxed build was downloaded');
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
});

test('a relaxed-SIMD build that fails to start falls back to the plain threaded build and says why', async () => {
  const { info, build, problems } = await picked(async (context) => {
    await context.route(RELAXED_WASM, (route) => route.fulfill({ status: 404, body: 'missing' }));
  });
  assert.deepEqual([info.flavor, info.simd], ['threads', 'plain']);
  assert.match(build, /^Build: threaded \(\d+ threads?\) \(the threaded relaxed-SIMD build failed to start \(.+\); using the plain threaded build\)$/);
  // The one expected problem: the missing module (its 404, and the worker's warning is not an error).
  assert.deepEqual(problems.filter((p) => !RELAXED_WASM.test(p.replace(/ \(.*$/, ''))), [], 'nothing else went wrong');
  assert.ok(problems.some((p) => p.includes('threads-relaxed')), 'the relaxed module was asked for');
});
