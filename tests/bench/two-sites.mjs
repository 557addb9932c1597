// Two builds of the lab on the page's own path (a benchmark, not a test): the site as built
// (dist/) against another build of it (OTHER_DIST), e.g. one with a change to how images are run.
// Measured with it (BENCHMARKS.md):
//
// - "Parallelism shape": OTHER_DIST built with one image a step (in
//   crate/src/experiment/session/mod.rs, `batch: 1` in `Session::from_plan`), tract's products
//   spread over the pool, against images across the pool;
// - "Images batched through the head": OTHER_DIST built at the commit before the batched head.
//
// To make OTHER_DIST: change or check out the code, `./build.sh build`, copy dist/ away, undo, and
// `./build.sh build` again.
//
//   OTHER_DIST=/tmp/dist-other RUNS=3 node tests/bench/two-sites.mjs [alexnet,resnet18,vit_b_32]
//
// Runs alternate between the two sites; each is the source's images per second after the first
// 1 + WARM images, over IMAGES more (the last Table 1 layer, as peers.mjs; LAYERS=all for every
// Table 1 layer), 2 threads (COOP/COEP), the build Chromium picks (relaxed SIMD). Prints one JSON
// line per model and writes tests/out/bench/two-sites.json.

import fs from 'node:fs';
import path from 'node:path';
import { startServer, outDir, writeJson, ROOT } from '../e2e/helpers.mjs';
import { imagesPerSecond, runSource, summary } from './steps.mjs';

const ARCHS = (process.argv[2] || 'alexnet,resnet18,vit_b_32').split(',');
const RUNS = Number(process.env.RUNS || 3);
const WARM = 7;
const IMAGES = 16;
const ZOO = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/zoo.json'), 'utf8')).models;
const layersOf = (arch) => {
  const all = ZOO.find((m) => m.arch === arch).layers.map((l) => l.name);
  return process.env.LAYERS === 'all' ? all : [all.at(-1)];
};
if (!process.env.OTHER_DIST) {
  process.stderr.write('OTHER_DIST (another build of dist/) is not set\n');
  process.exit(2);
}

/** The source's images per second, the recording steps it took, and its scores. */
async function once(url, arch) {
  const { result, steps } = await runSource(url, `two sites ${arch}`, { arch, layers: layersOf(arch) }, 1 + WARM + IMAGES);
  if (result.flavor !== 'threads') throw new Error(`${arch}: the page ran the ${result.flavor} build`);
  const recording = steps.filter((s) => s.stage === 'recording');
  return { images_per_s: imagesPerSecond(recording, 1 + WARM), steps: recording.length, scores: result.scores.flatMap((s) => s.values.flat()) };
}

const site = await startServer({ isolation: true });
const other = await startServer({ isolation: true, dir: path.resolve(process.env.OTHER_DIST) });
const rows = [];
try {
  for (const arch of ARCHS) {
    const a = [];
    const b = [];
    for (let i = 0; i < RUNS; i++) {
      a.push(await once(site.url, arch));
      b.push(await once(other.url, arch));
    }
    const row = {
      arch,
      layers: process.env.LAYERS === 'all' ? 'every Table 1 layer' : 'last layer',
      site: { ...summary(a.map((x) => x.images_per_s)), steps: a[0].steps },
      other: { ...summary(b.map((x) => x.images_per_s)), steps: b[0].steps },
      cka_max_abs_difference: Math.max(...a[0].scores.map((v, k) => Math.abs(v - b[0].scores[k]))),
    };
    row.site_over_other = row.site.median / row.other.median;
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
} finally {
  await site.close();
  await other.close();
}
writeJson(path.join(outDir('bench'), 'two-sites.json'), rows);
