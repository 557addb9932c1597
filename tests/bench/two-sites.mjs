// Issue 16's "parallelism shape" lever (a benchmark, not a test): the page's threaded build
// running images across the pool (as shipped: a recording step takes as many images as there
// are threads, each image's products on its own thread) against the same build running one
// image a step with tract's matrix products spread over the pool (op-level threads). The
// second needs a copy of dist/ built with one image a step: in
// crate/src/experiment/session/mod.rs set `batch: 1` in `Session::from_plan`, run
// `./build.sh build`, copy dist/ to OP_DIST and undo the change (and build again).
//
//   OP_DIST=/tmp/dist-op RUNS=3 node tests/bench/parallelism.mjs [alexnet,resnet18,vit_b_32]
//
// Runs alternate between the two sites; each is the source's images per second after 1 + 3
// warm-up images, over 10 more (the last Table 1 layer, as peers.mjs), 2 threads, the build
// Chromium picks (relaxed SIMD). Prints one JSON line per model and writes
// tests/out/bench/parallelism.json.

import fs from 'node:fs';
import path from 'node:path';
import { startServer, outDir, writeJson, ROOT } from '../e2e/helpers.mjs';
import { median, imagesPerSecond, runSource } from './steps.mjs';

const ARCHS = (process.argv[2] || 'alexnet,resnet18,vit_b_32').split(',');
const RUNS = Number(process.env.RUNS || 3);
const WARM = 3;
const IMAGES = 10;
const ZOO = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/zoo.json'), 'utf8')).models;
const finalLayer = (arch) => ZOO.find((m) => m.arch === arch).layers.at(-1).name;
if (!process.env.OP_DIST) {
  process.stderr.write('OP_DIST (a copy of dist/ built with one image a step) is not set\n');
  process.exit(2);
}

/** The source's images per second and the images each recording step took. */
async function once(url, arch) {
  const { result, steps } = await runSource(url, `shape ${arch}`, { arch, layers: [finalLayer(arch)] }, 1 + WARM + IMAGES);
  if (result.flavor !== 'threads') throw new Error(`${arch}: the page ran the ${result.flavor} build`);
  const recording = steps.filter((s) => s.stage === 'recording');
  return { images_per_s: imagesPerSecond(recording, 1 + WARM), steps: recording.length, scores: result.scores.flatMap((s) => s.values.flat()) };
}

const pool = await startServer({ isolation: true });
const op = await startServer({ isolation: true, dir: path.resolve(process.env.OP_DIST) });
const rows = [];
try {
  for (const arch of ARCHS) {
    const p = [];
    const o = [];
    for (let i = 0; i < RUNS; i++) {
      p.push(await once(pool.url, arch));
      o.push(await once(op.url, arch));
    }
    if (o[0].steps <= p[0].steps) throw new Error(`${arch}: OP_DIST took ${o[0].steps} recording steps, the site ${p[0].steps}: is it built with one image a step?`);
    const row = {
      arch,
      images_across_pool: { median: median(p.map((x) => x.images_per_s)), runs: p.map((x) => x.images_per_s) },
      op_level: { median: median(o.map((x) => x.images_per_s)), runs: o.map((x) => x.images_per_s) },
      cka_max_abs_difference: Math.max(...p[0].scores.map((v, k) => Math.abs(v - o[0].scores[k]))),
    };
    row.op_level_over_pool = row.op_level.median / row.images_across_pool.median;
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
} finally {
  await pool.close();
  await op.close();
}
writeJson(path.join(outDir('bench'), 'parallelism.json'), rows);
