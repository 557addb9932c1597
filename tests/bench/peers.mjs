// The peers benchmark's browser half (a benchmark, not a test; `./build.sh bench` runs it after
// tests/bench/peers.py, which writes the models and the native half). In headless Chromium, on
// the same ONNX files and equal threads:
//
// - idlab: the lab page's own path (its worker, the 92 photographs decoded and preprocessed, the
//   sinks a CKA run folds each image into), the threaded build with 2 threads (COOP/COEP) and the
//   single-threaded build (1 thread); images per second from the page's per-step timings
//   (`result.timings`), after the first 1 + WARM images; cold = the model's build (weights drawn,
//   graph emitted, tract optimised) + its first step;
// - onnxruntime-web (npm, wasm backend: SIMD, threads), numThreads 2 and 1, on A-final.onnx and
//   A-layers.onnx (tests/bench/ort-page/): images per second after WARM warm-up images; cold =
//   session created + first image;
// - start-up (tests/bench/startup.mjs): page open to the lab ready, to the first image recorded and
//   to the result of two AlexNets on 4 images, cold cache and warm;
// - the machine's limit: a wasm SIMD f32 multiply-add loop (tests/bench/ort-page/peak.js) on 1
//   thread and on 2 at once, plain and relaxed-SIMD; each model's multiply-adds (peers.py, from
//   its convolutions and matrix products) give achieved GFLOP/s and the percentage of that peak
//   (the plain loop's for onnxruntime-web and idlab's plain builds; the relaxed loop's for idlab's
//   relaxed-SIMD threaded build, which the page picks in Chromium);
// - bytes: each .wasm raw, and as idlab serve sends it (the build's brotli and gzip files).
//
// Each figure is the median of RUNS runs (env RUNS, default 3) with min and max. Prints the
// Markdown tables of BENCHMARKS.md ("Against the peers") and writes tests/out/bench/peers/browser.json.
//
//   node tests/bench/peers.mjs [alexnet,resnet18,vit_b_32,vgg11]   (THREADS=2: the threaded rows only;
//   SIMD=plain: the plain threaded build)

import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, openPage, outDir, writeJson, DIST, ROOT } from '../e2e/helpers.mjs';
import { imagesPerSecond, runSource, summary } from './steps.mjs';
import { peakOnce } from './peak.mjs';
import { startup, startupTable } from './startup.mjs';

const ARCHS = (process.argv[2] || 'alexnet,resnet18,vit_b_32,vgg11').split(',');
const RUNS = Number(process.env.RUNS || 3);
// THREADS=2 for the threaded rows alone (the single-threaded build's rows take as long again).
const THREAD_COUNTS = (process.env.THREADS || '2,1').split(',').map(Number);
// SIMD=plain: the threaded page with `?simd=plain` (the plain threaded build instead of the
// relaxed-SIMD one Chromium is given), for the two builds' ratios in one sitting.
const QUERY = process.env.SIMD === 'plain' ? '&simd=plain' : '';
// 1 + WARM = 8: whole steps are skipped and timed alike for a model whose steps take 2 images (2
// threads) and for AlexNet, whose batched head takes 8 a step (2026-12-05; 3 and 10 before).
const WARM = 7;
const IMAGES = 16;
const OUT = outDir('bench', 'peers');
const MODELS = path.join(OUT, 'models');
if (!fs.existsSync(path.join(MODELS, 'layers.json'))) {
  console.error('tests/out/bench/peers/models/layers.json is missing: run tests/bench/peers.py first (./build.sh bench does)');
  process.exit(2);
}
const LAYERS = JSON.parse(fs.readFileSync(path.join(MODELS, 'layers.json'), 'utf8'));
const missing = ARCHS.filter((a) => !LAYERS[a]);
if (missing.length) {
  console.error(`layers.json has no ${missing.join(', ')}: run tests/bench/peers.py --archs ${ARCHS.join(',')} first (it writes the models of those it is given)`);
  process.exit(2);
}

/** The onnxruntime-web page: tests/bench/ort-page/ and the package's wasm build, the models linked in. */
function ortSite() {
  const site = path.join(OUT, 'ort-site');
  fs.rmSync(site, { recursive: true, force: true });
  fs.mkdirSync(site, { recursive: true });
  for (const f of fs.readdirSync(path.join(ROOT, 'tests/bench/ort-page'))) fs.copyFileSync(path.join(ROOT, 'tests/bench/ort-page', f), path.join(site, f));
  const dist = path.join(ROOT, 'tests/bench/node_modules/onnxruntime-web/dist');
  for (const f of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) fs.copyFileSync(path.join(dist, f), path.join(site, f));
  fs.symlinkSync(MODELS, path.join(site, 'models'));
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/bench/node_modules/onnxruntime-web/package.json'), 'utf8')).version;
  return { site, version };
}

async function ortOnce(browser, url, arch, variant, threads) {
  const { page, context } = await openPage(browser, url);
  try {
    await page.waitForFunction(() => typeof window.benchOrt === 'function', null, { timeout: 60000 });
    return await page.evaluate((a) => window.benchOrt(a), {
      url: `models/${arch}-${variant}.onnx`, threads, size: LAYERS[arch].size, warm: WARM, images: IMAGES,
    });
  } finally {
    await context.close();
  }
}

async function idlabOnce(url, arch, variant) {
  const layers = variant === 'final' ? { layers: [LAYERS[arch].final_layer] } : {};
  const { result, steps } = await runSource(url, `idlab ${arch} ${variant}`, { arch, ...layers }, 1 + WARM + IMAGES, QUERY);
  const build = steps.find((s) => s.stage === 'building');
  const rec = steps.filter((s) => s.stage === 'recording');
  return { cold_s: build.seconds + rec[0].seconds, build_s: build.seconds, images_per_s: imagesPerSecond(rec, 1 + WARM), flavor: result.simd ? `${result.flavor} (${result.simd})` : result.flavor };
}

const browser = await launchBrowser();
const { site, version } = ortSite();
const rows = [];
const starts = { threads: [], single: [] };
const peaks = [];
try {
  const ort = await startServer({ dir: site });
  const labThreads = await startServer({ isolation: true });
  const labSingle = await startServer({ isolation: false });
  try {
    for (let r = 0; r < RUNS; r++) peaks.push(await peakOnce(browser, ort.url, 2));
    for (const arch of ARCHS) {
      for (const variant of ['final', 'layers']) {
        for (const threads of THREAD_COUNTS) {
          const lab = threads === 2 ? labThreads : labSingle;
          const o = [];
          const i = [];
          let failed = null;
          for (let r = 0; r < RUNS && !failed; r++) {
            try {
              o.push(await ortOnce(browser, ort.url, arch, variant, threads));
              i.push(await idlabOnce(lab.url, arch, variant));
            } catch (err) {
              failed = String(err && err.message ? err.message : err).split('\n')[0];
            }
          }
          if (failed) {
            // A crash is a result too: the row says it, the other rows still run.
            rows.push({ arch, variant, threads, failed });
            process.stderr.write(`${arch} ${variant} ${threads} thread(s): FAILED: ${failed}\n`);
            continue;
          }
          const row = {
            arch, variant, threads,
            idlab: { flavor: i[0].flavor, images_per_s: summary(i.map((x) => x.images_per_s)), cold_s: summary(i.map((x) => x.cold_s)), build_s: summary(i.map((x) => x.build_s)) },
            ort: { isolated: o[0].isolated, images_per_s: summary(o.map((x) => x.images_per_s)), cold_s: summary(o.map((x) => x.cold_s)), create_s: summary(o.map((x) => x.create_s)) },
          };
          rows.push(row);
          process.stderr.write(`${arch} ${variant} ${threads} thread(s): idlab ${row.idlab.images_per_s.median.toFixed(2)} img/s (${row.idlab.flavor}), onnxruntime-web ${row.ort.images_per_s.median.toFixed(2)} img/s\n`);
        }
      }
    }
    for (let r = 0; r < RUNS; r++) {
      starts.threads.push(await startup(browser, labThreads.url, 'allow'));
      starts.single.push(await startup(browser, labSingle.url, 'block'));
    }
  } finally {
    await ort.close();
    await labThreads.close();
    await labSingle.close();
  }
} finally {
  await browser.close();
}

const bytes = ['threads-relaxed', 'threads', 'single'].map((flavor) => {
  const f = path.join(DIST, `pkg/${flavor}/idlab_bg.wasm`);
  const size = (p) => (fs.existsSync(p) ? fs.statSync(p).size : null);
  return { flavor, raw: size(f), gzip: size(`${f}.gz`), brotli: size(`${f}.br`) };
});
const ortWasm = fs.statSync(path.join(site, 'ort-wasm-simd-threaded.wasm')).size;

const f = (s, d = 2) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
const peak = {
  plain: { one: summary(peaks.map((p) => p.plain.one)), all: summary(peaks.map((p) => p.plain.all)) },
  relaxed: peaks[0].relaxed.one == null ? null : { one: summary(peaks.map((p) => p.relaxed.one)), all: summary(peaks.map((p) => p.relaxed.all)) },
};
console.log(`onnxruntime-web ${version}; ${RUNS} runs each, median (min–max); ${WARM} warm-up images, then ${IMAGES} timed.`);
console.log(`% of peak: achieved GFLOP/s (2 x the model's multiply-adds x images/s) over the SIMD loop's on as many threads: the relaxed loop's for idlab's relaxed-SIMD build, else the plain loop's.\n`);
console.log('| model | recorded | threads | idlab, images/s | onnxruntime-web, images/s | idlab / ort | idlab, % of peak | ort, % of peak | idlab cold (s) | ort cold (s) |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  if (r.failed) {
    console.log(`| ${r.arch} | ${r.variant} | ${r.threads} | failed: ${r.failed.slice(0, 160)} | | | | | | |`);
    continue;
  }
  const ratio = r.idlab.images_per_s.median / r.ort.images_per_s.median;
  const what = r.variant === 'final' ? `last layer (${LAYERS[r.arch].final_layer})` : `every Table 1 layer (${LAYERS[r.arch].layers.length})`;
  const loop = (kind) => (r.threads === 1 ? peak[kind].one.median : peak[kind].all.median);
  const relaxed = r.idlab.flavor.includes('relaxed') && peak.relaxed;
  const pct = (ips, top) => ((100 * 2 * LAYERS[r.arch].multiply_adds * ips) / 1e9 / top).toFixed(0);
  const idlabPct = pct(r.idlab.images_per_s.median, loop(relaxed ? 'relaxed' : 'plain'));
  const ortPct = pct(r.ort.images_per_s.median, loop('plain'));
  r.percent_of_peak = { idlab: Number(idlabPct), ort: Number(ortPct), idlab_against: relaxed ? 'relaxed' : 'plain' };
  console.log(`| ${r.arch} | ${what} | ${r.threads} | ${f(r.idlab.images_per_s)} | ${f(r.ort.images_per_s)} | ${ratio.toFixed(2)} | ${idlabPct}${relaxed ? ' (relaxed)' : ''} | ${ortPct} | ${f(r.idlab.cold_s)} | ${f(r.ort.cold_s)} |`);
}
console.log('\n| wasm SIMD f32 multiply-add loop | 1 thread (GFLOP/s) | 2 threads at once (GFLOP/s) |');
console.log('| --- | ---: | ---: |');
console.log(`| plain (f32x4.mul + f32x4.add) | ${f(peak.plain.one, 1)} | ${f(peak.plain.all, 1)} |`);
console.log(peak.relaxed ? `| relaxed (f32x4.relaxed_madd) | ${f(peak.relaxed.one, 1)} | ${f(peak.relaxed.all, 1)} |` : '| relaxed | not supported | |');
console.log('\n| model | multiply-adds per image (G) |');
console.log('| --- | ---: |');
for (const arch of ARCHS) console.log(`| ${arch} | ${(LAYERS[arch].multiply_adds / 1e9).toFixed(2)} |`);
console.log(`\n${startupTable(starts)}`);
console.log('\n| module | raw (MB) | gzip -9 (MB) | brotli (MB) |');
console.log('| --- | ---: | ---: | ---: |');
const mb = (b) => (b == null ? '–' : (b / 1e6).toFixed(2));
for (const b of bytes) console.log(`| idlab ${b.flavor} | ${mb(b.raw)} | ${mb(b.gzip)} | ${mb(b.brotli)} |`);
console.log(`| onnxruntime-web ort-wasm-simd-threaded.wasm | ${mb(ortWasm)} | | |`);
writeJson(path.join(OUT, 'browser.json'), { onnxruntime_web: version, runs: RUNS, warm: WARM, images: IMAGES, peak, rows, startup: starts, bytes, ort_wasm_bytes: ortWasm });
