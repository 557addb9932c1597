// Per-layer speed of the lab page against the machine's limit (a benchmark, not a test). Issue 16
// asks for "at least half of the measured peak on convolution and matrix-product layers"; the
// whole-model figures of peers.mjs count pooling, normalisation, preprocessing and the sinks as
// time without multiply-adds. Here, for each Table 1 layer L of a model, the page records L alone
// (tract prunes the graph after it) on 1 + WARM + IMAGES images (env; 4 and 20) and gives the seconds an image
// takes; the difference between consecutive layers is the time of the stretch of graph between
// them (a convolution or matrix product with its bias, activation and pooling, and the change in
// the sink's cost), and the multiply-adds of that stretch (tests/bench/peers.py, from onnx's shape
// inference) over it give GFLOP/s, compared with the wasm SIMD multiply-add loop's
// (tests/bench/ort-page/peak.js) on as many threads. The runs of one layer spread by 10-20% in
// this tab, more than a short stretch takes: its figure can come out negative or above 100%; read
// the long stretches (BENCHMARKS.md, "Per layer").
//
//   target/py/bin/python tests/bench/peers.py --archs alexnet,vgg11 --models-only
//   node tests/bench/layers.mjs alexnet,vgg11        (FLAVOR=threads: the threaded build on 2 threads;
//                                                    RUNS=N: runs per layer, default 3)

import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, outDir, writeJson, ROOT } from '../e2e/helpers.mjs';
import { median, imagesPerSecond, runSource } from './steps.mjs';
import { peakOnce } from './peak.mjs';

const ARCHS = (process.argv[2] || 'alexnet,vgg11').split(',');
const FLAVOR = process.env.FLAVOR || 'single';
const RUNS = Number(process.env.RUNS || 3);
// Images after the first and WARM more (V8 tiers the hot kernels up meanwhile); fewer for the VGGs,
// whose first layer is 3.2 M units an image and the sink holds every image's (past 128 MiB it spills).
const WARM = Number(process.env.WARM || 4);
const IMAGES = Number(process.env.IMAGES || 20);
const imagesFor = (arch) => (arch.startsWith('vgg') ? Math.min(IMAGES, 6) : IMAGES);
const warmFor = (arch) => (arch.startsWith('vgg') ? Math.min(WARM, 2) : WARM);
const OUT = outDir('bench', 'layers');
const layersFile = path.join(outDir('bench', 'peers'), 'models', 'layers.json');
if (!fs.existsSync(layersFile)) {
  console.error(`${layersFile} is missing: run target/py/bin/python tests/bench/peers.py --archs ${ARCHS.join(',')} --models-only`);
  process.exit(2);
}
const LAYERS = JSON.parse(fs.readFileSync(layersFile, 'utf8'));

/** Seconds an image takes on the page recording `layer` of `arch` alone (after 1 + WARM images). */
async function secondsPerImage(url, arch, layer) {
  const { steps } = await runSource(url, `layers ${arch} ${layer}`, { arch, layers: [layer] }, 1 + warmFor(arch) + imagesFor(arch));
  return 1 / imagesPerSecond(steps.filter((s) => s.stage === 'recording'), 1 + warmFor(arch));
}

/** The plain loop's GFLOP/s on `threads` (tests/bench/ort-page/ served on its own). */
async function peak(browser, threads) {
  const server = await startServer({ dir: path.join(ROOT, 'tests/bench/ort-page') });
  try {
    const p = await peakOnce(browser, server.url, threads);
    return threads === 1 ? p.plain.one : p.plain.all;
  } finally {
    await server.close();
  }
}

const threads = FLAVOR === 'threads' ? 2 : 1;
const browser = await launchBrowser();
const doc = { flavor: FLAVOR, threads, runs: RUNS, warm: WARM, images: IMAGES, archs: {} };
try {
  const peaks = [];
  for (let r = 0; r < RUNS; r++) peaks.push(await peak(browser, threads));
  doc.peak_gflops = median(peaks);
  const lab = await startServer({ isolation: FLAVOR === 'threads' });
  try {
    for (const arch of ARCHS) {
      const rows = [];
      for (const l of LAYERS[arch].per_layer) {
        const s = [];
        for (let r = 0; r < RUNS; r++) s.push(await secondsPerImage(lab.url, arch, l.name));
        rows.push({ ...l, seconds: median(s), runs: s });
        process.stderr.write(`${arch} ${l.name}: ${(1000 * median(s)).toFixed(1)} ms an image\n`);
      }
      doc.archs[arch] = rows;
    }
  } finally {
    await lab.close();
  }
} finally {
  await browser.close();
}
writeJson(path.join(OUT, `layers-${FLAVOR}.json`), doc);

console.log(`${FLAVOR} build, ${threads} thread(s); peak (plain SIMD loop) ${doc.peak_gflops.toFixed(1)} GFLOP/s; median of ${RUNS} runs, ${IMAGES} images after ${1 + WARM} (the VGGs: ${Math.min(IMAGES, 6)} after ${1 + Math.min(WARM, 2)}).\n`);
// Stretches from the fastest run of each layer (the least disturbed; the medians are printed beside).
console.log('| model | stretch up to layer | ms an image up to it, median (fastest) | ms of the stretch (fastest runs) | multiply-adds of the stretch (M) | GFLOP/s | % of peak |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const [arch, rows] of Object.entries(doc.archs)) {
  let before = { fastest: 0, multiply_adds: 0 };
  for (const r of rows) {
    r.fastest = Math.min(...r.runs);
    const dt = r.fastest - before.fastest;
    const dm = r.multiply_adds - before.multiply_adds;
    const ok = dm > 0 && dt > 0;
    const gflops = ok ? (2 * dm) / dt / 1e9 : NaN;
    console.log(`| ${arch} | ${r.name} | ${(1000 * r.seconds).toFixed(1)} (${(1000 * r.fastest).toFixed(1)}) | ${(1000 * dt).toFixed(1)} | ${(dm / 1e6).toFixed(1)} | ${ok ? gflops.toFixed(1) : '–'} | ${ok ? ((100 * gflops) / doc.peak_gflops).toFixed(0) : '–'} |`);
    before = r;
  }
}
