// The zoo benchmark's wasm half (a benchmark, not a test): for each
// architecture, the page builds a seeded model in its worker (weights drawn,
// ONNX emitted, tract load), records one layer on IMAGES images, and reports
// each step's wall time and the wasm memory; run once with COOP/COEP
// (threaded build) and once without (single-threaded build), in headless
// Chromium, against the built site (./build.sh build first).
//
//   node tests/bench/zoo-wasm.mjs [arch ...]     (default: every zoo architecture)
//
// Prints a Markdown table (the one in BENCHMARKS.md) and writes
// tests/out/bench/zoo-wasm.json.

import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, waitReady, runInPage, outDir, writeJson, DIST } from '../e2e/helpers.mjs';

const IMAGES = 3;
const ZOO = JSON.parse(fs.readFileSync(path.join(DIST, 'models/zoo.json'), 'utf8')).models;
const wanted = process.argv.slice(2);
const archs = ZOO.filter((m) => !wanted.length || wanted.includes(m.arch));

async function measure(browser, isolation) {
  const server = await startServer({ isolation });
  const rows = [];
  try {
    for (const m of archs) {
      // A fresh page (and worker) per model, so memory is this model's alone.
      const { page, context } = await openPage(browser, `${server.url}?autorun=0`);
      try {
        await waitReady(page);
        const layer = m.layers[m.layers.length - 1].name;
        const spec = {
          idlab: 1,
          name: `bench ${m.arch}`,
          stimuli: { set: 'kriegeskorte92', limit: IMAGES },
          source: { arch: m.arch, seed: 0 },
          target: { arch: m.arch, seed: 1 },
          layers: [layer],
          metric: 'cka',
        };
        const refused = await page.evaluate((s) => window.idlab.preflight(s), spec);
        const outcome = refused ? { refused } : await runInPage(page, spec);
        if (!outcome.result) {
          rows.push({ arch: m.arch, parameters: m.parameters, refused: outcome.refused || outcome.error });
          continue;
        }
        const steps = outcome.result.timings.steps;
        const builds = steps.filter((s) => s.stage === 'building').map((s) => s.seconds);
        const images = steps.filter((s) => s.stage === 'recording').map((s) => s.seconds);
        // Per model: the first image includes tract's first-run set-up; report the later ones.
        const later = [...images.slice(1, IMAGES), ...images.slice(IMAGES + 1)];
        rows.push({
          arch: m.arch,
          parameters: m.parameters,
          build_load_s: builds[0],
          first_image_s: images[0],
          image_s: later.reduce((a, b) => a + b, 0) / later.length,
          wasm_memory_mb: outcome.result.timings.wasm_memory_bytes / 2 ** 20,
          flavor: outcome.result.flavor || null,
        });
      } finally {
        await context.close();
      }
      process.stderr.write(`${isolation ? 'threads' : 'single'} ${m.arch} done\n`);
    }
  } finally {
    await server.close();
  }
  return rows;
}

const browser = await launchBrowser();
let threads;
let single;
try {
  threads = await measure(browser, true);
  single = await measure(browser, false);
} finally {
  await browser.close();
}
const fmt = (v, d) => (typeof v === 'number' ? v.toFixed(d) : '–');
console.log('| arch | build + load, threads (s) | 1 image, threads (s) | build + load, single (s) | 1 image, single (s) | wasm memory, threads (MB) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (let i = 0; i < threads.length; i++) {
  const t = threads[i];
  const s = single[i];
  if (t.refused) {
    console.log(`| ${t.arch} | refused: ${t.refused.slice(0, 80)} | | | | |`);
    continue;
  }
  console.log(`| ${t.arch} | ${fmt(t.build_load_s, 2)} | ${fmt(t.image_s, 3)} | ${fmt(s.build_load_s, 2)} | ${fmt(s.image_s, 3)} | ${fmt(t.wasm_memory_mb, 0)} |`);
}
writeJson(path.join(outDir('bench'), 'zoo-wasm.json'), { images: IMAGES, threads, single });
