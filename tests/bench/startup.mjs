// Start-up of the lab page (a benchmark, not a test; peers.mjs runs it as part of `./build.sh bench`,
// or alone: `node tests/bench/startup.mjs` after `./build.sh build`, RUNS=N runs, default 3).
//
// The experiment is two AlexNets (seed 0 vs seed 1), last layer, CKA on 4 images. In a fresh browser
// context (cold cache), then reloaded in the same one (warm: HTTP cache, and for the threaded build the
// site's service worker, which fills its offline cache on the first visit), each time from opening the
// page to:
// - ready: the worker and its wasm instantiated (`window.idlab.ready`);
// - first image: the first image recorded (the page's progress first counts an image; issue 16's
//   "time from opening the page to the first image recorded");
// - result: the whole result (both models built and run, CKA computed).
// The run's own step timings (`result.timings`) split the time after ready into model builds,
// recording and the rest.

import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, waitReady } from '../e2e/helpers.mjs';
import { median } from './steps.mjs';

const SPEC = {
  idlab: 2,
  name: 'start-up',
  stimuli: { set: 'kriegeskorte92', limit: 4 },
  sources: [{ arch: 'alexnet', seed: 0, layers: ['classifier.4'] }],
  targets: [{ arch: 'alexnet', seed: 1, layers: ['classifier.4'] }],
  metrics: [{ name: 'cka' }],
};

/**
 * One cold and one warm start of `url` ({cold, warm}, each {ready_s, first_image_s, first_result_s,
 * build_s, recording_s}). `serviceWorkers`: 'allow' for the threaded build as a visitor gets it,
 * 'block' for the single-threaded one (else the service worker would isolate the page and reload it
 * into the threaded build).
 */
export async function startup(browser, url, serviceWorkers) {
  const context = await browser.newContext({ serviceWorkers });
  const page = await context.newPage();
  const out = {};
  try {
    for (const cache of ['cold', 'warm']) {
      const t0 = Date.now();
      await page.goto(`${url}?autorun=0`);
      await waitReady(page);
      const ready = (Date.now() - t0) / 1000;
      const running = page.evaluate((s) => window.idlab.run(s), SPEC);
      await page.waitForFunction(() => {
        const p = window.idlab.lastProgress;
        return p && p.images_done >= 1;
      }, null, { polling: 5, timeout: 120000 });
      const firstImage = (Date.now() - t0) / 1000;
      await running;
      const firstResult = (Date.now() - t0) / 1000;
      const steps = await page.evaluate(() => window.idlab.lastResult.timings.steps);
      const sum = (stage) => steps.filter((s) => s.stage === stage).reduce((a, s) => a + s.seconds, 0);
      out[cache] = { ready_s: ready, first_image_s: firstImage, first_result_s: firstResult, build_s: sum('building'), recording_s: sum('recording') };
    }
  } finally {
    await context.close();
  }
  return out;
}

const COLUMNS = [
  ['ready_s', 'to ready'],
  ['first_image_s', 'to first image'],
  ['first_result_s', 'to result'],
  ['build_s', 'of which two builds'],
  ['recording_s', 'recording 2 x 4 images'],
];

/** The Markdown table of RUNS start-ups per build ({threads: [...], single: [...]}), median (min–max). */
export function startupTable(starts) {
  const f = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  const lines = [];
  const head = ['build', 'cache', ...COLUMNS.map(([, t]) => `${t} (s)`)];
  lines.push(`| ${head.join(' | ')} |`, `| --- | --- |${' ---: |'.repeat(COLUMNS.length)}`);
  for (const flavor of Object.keys(starts)) {
    for (const cache of ['cold', 'warm']) {
      const runs = starts[flavor];
      lines.push(`| ${flavor} | ${cache} | ${COLUMNS.map(([k]) => f(runs.map((r) => r[cache][k]))).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const RUNS = Number(process.env.RUNS || 3);
  const browser = await launchBrowser();
  const starts = { threads: [], single: [] };
  try {
    const labThreads = await startServer({ isolation: true });
    const labSingle = await startServer({ isolation: false });
    try {
      for (let r = 0; r < RUNS; r++) {
        starts.threads.push(await startup(browser, labThreads.url, 'allow'));
        starts.single.push(await startup(browser, labSingle.url, 'block'));
        process.stderr.write(`run ${r + 1} of ${RUNS}: warm first image ${starts.threads[r].warm.first_image_s.toFixed(2)} s (threads), ${starts.single[r].warm.first_image_s.toFixed(2)} s (single)\n`);
      }
    } finally {
      await labThreads.close();
      await labSingle.close();
    }
  } finally {
    await browser.close();
  }
  console.log(startupTable(starts));
}
