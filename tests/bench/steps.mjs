// What the benchmarks read from the lab page's per-step timings (`result.timings.steps`), and the
// one page run they time a source model by.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { waitReady, runInPage, CHROMIUM, CHROMIUM_ARGS } from '../e2e/helpers.mjs';

/** The median of a list of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs' values as the benchmarks report them: the median, min, max and each run. */
export const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs });

/** Images a recording step covered, from its label ("…: image 3 of 14" or "…: images 5-6 of 14"). */
export function stepImages(label) {
  const m = /images (\d+)-(\d+) of/.exec(label || '');
  return m ? Number(m[2]) - Number(m[1]) + 1 : 1;
}

/** Images per second over recording steps, the first `skip` images (the first and the warm-up) left out. */
export function imagesPerSecond(recordingSteps, skip) {
  let seen = 0;
  let seconds = 0;
  let images = 0;
  for (const s of recordingSteps) {
    const n = stepImages(s.label);
    if (seen >= skip) {
      seconds += s.seconds;
      images += n;
    }
    seen += n;
  }
  return images / seconds;
}

/**
 * `work(page)` in a page of a Chromium with a fresh profile on disk, as a visitor's browser has:
 * the tests' contexts are off the record, and keep the origin-private file system in memory with a
 * small quota, where the Gram rows of a wide layer spill slower than to disk (BENCHMARKS.md,
 * "Against the peers") and a large run's gigabytes do not fit. The browser and profile go after.
 */
export async function withProfile(work) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'idlab-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 },
    serviceWorkers: 'block',
  });
  try {
    return await work(await context.newPage());
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * One run in a fresh page of `url` (a fresh profile, `withProfile`): `source` (a spec source,
 * seed 0) against a small SqueezeNet target (it runs first, so the source's steps are the ones
 * timed), CKA, on the first `limit` photographs; `query` is added to the page's address
 * (`&simd=plain`). {result, steps}: the result, and the source's steps in order. Throws with the
 * page's error, prefixed by `name`.
 */
export async function runSource(url, name, source, limit, query = '') {
  return withProfile(async (page) => {
    await page.goto(`${url}?autorun=0${query}`);
    await waitReady(page);
    const outcome = await runInPage(page, {
      idlab: 2,
      name,
      stimuli: { set: 'kriegeskorte92', limit },
      sources: [{ seed: 0, ...source }],
      targets: [{ arch: 'squeezenet1_0', seed: 0, layers: ['features.12'] }],
      metrics: [{ name: 'cka' }],
    });
    if (!outcome.result) throw new Error(`${name}: ${outcome.error}`);
    const who = `${source.arch} seed 0`;
    return { result: outcome.result, steps: outcome.result.timings.steps.filter((s) => (s.label || '').includes(who)) };
  });
}
