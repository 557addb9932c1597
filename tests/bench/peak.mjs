// The machine's limit as the benchmarks measure it: tests/bench/ort-page/peak.js (a wasm SIMD f32
// multiply-add loop written byte by byte) in a fresh page of a site that serves it.

import { openPage } from '../e2e/helpers.mjs';

/** GFLOP/s of the loop, {plain: {one, all}, relaxed: {one, all}, threads}: one thread, and `threads` at once. */
export async function peakOnce(browser, url, threads) {
  const { page, context } = await openPage(browser, url);
  try {
    await page.waitForFunction(() => typeof window.benchPeak === 'function', null, { timeout: 60000 });
    return await page.evaluate((t) => window.benchPeak(t), threads);
  } finally {
    await context.close();
  }
}
