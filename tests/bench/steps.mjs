// What the benchmarks read from the lab page's per-step timings (`result.timings.steps`), and the
// one page run they time a source model by.

import { openPage, waitReady, runInPage } from '../e2e/helpers.mjs';

/** The median of a list of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

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
 * One run in a fresh page of `url`: `source` (a spec source, seed 0) against a small SqueezeNet
 * target (it runs first, so the source's steps are the ones timed), CKA, on the first `limit`
 * photographs. {result, steps}: the result, and the source's steps in order. Throws with the
 * page's error, prefixed by `name`.
 */
export async function runSource(browser, url, name, source, limit) {
  const { page, context } = await openPage(browser, `${url}?autorun=0`);
  try {
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
  } finally {
    await context.close();
  }
}
