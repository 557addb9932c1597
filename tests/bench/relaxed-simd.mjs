// Does a relaxed-SIMD build pay? (issue 16; a benchmark, not a test.) tract 0.23.9 emits
// f32x4.relaxed_madd in its wider wasm f32 kernels when built with +relaxed-simd. This runs the
// lab page's own path (worker, decoding, preprocessing, a CKA sink), plain against relaxed,
// alternating, and reports images per second and how far the scores moved.
//
// FLAVOR=threads (default: COOP/COEP, the pool's threads): the site as built (dist/), which ships
// the threaded build twice; the page with `?simd=plain` against the page as Chromium picks it (the
// relaxed-SIMD build).
//
// FLAVOR=single (one thread, no isolation): the site ships no relaxed single-threaded build, so
// build one into a copy of dist/ and name it RELAXED_DIST:
//
//   RUSTFLAGS="-C target-feature=+simd128,+bulk-memory,+relaxed-simd" cargo build --release \
//     --locked -p idlab --lib --target wasm32-unknown-unknown --target-dir target/wasm-single-relaxed
//   cp -R dist /tmp/dist-relaxed && rm /tmp/dist-relaxed/pkg/single/idlab_bg.wasm.*
//   wasm-bindgen --target web --out-dir /tmp/dist-relaxed/pkg/single --out-name idlab \
//     --remove-name-section --remove-producers-section \
//     target/wasm-single-relaxed/wasm32-unknown-unknown/release/idlab.wasm
//   FLAVOR=single RELAXED_DIST=/tmp/dist-relaxed node tests/bench/relaxed-simd.mjs [alexnet,resnet18]
//
// Prints one JSON line per model and writes tests/out/bench/relaxed-simd-FLAVOR.json.

import fs from 'node:fs';
import path from 'node:path';
import { startServer, outDir, writeJson, ROOT } from '../e2e/helpers.mjs';
import { imagesPerSecond, runSource, summary } from './steps.mjs';

const ARCHS = (process.argv[2] || 'alexnet,resnet18').split(',');
const RUNS = Number(process.env.RUNS || 3);
const FLAVOR = process.env.FLAVOR || 'threads';
const WARM = 3;
const IMAGES = 10;
// Each model's last Table 1 layer, as tests/bench/peers.py takes it: the zoo manifest's last.
const ZOO = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/zoo.json'), 'utf8')).models;
const finalLayer = (arch) => ZOO.find((m) => m.arch === arch).layers.at(-1).name;
if (FLAVOR === 'single' && !process.env.RELAXED_DIST) {
  process.stderr.write('RELAXED_DIST (a copy of dist/ with a +relaxed-simd single-threaded build) is not set\n');
  process.exit(2);
}

/** The lab page with the FLAVOR build: the source's images per second after 1 + WARM, and its scores. */
async function once(url, arch, simd) {
  const query = FLAVOR === 'threads' && simd === undefined ? '&simd=plain' : '';
  const { result, steps } = await runSource(url, `relaxed ${arch}`, { arch, layers: [finalLayer(arch)] }, 1 + WARM + IMAGES, query);
  if (result.flavor !== FLAVOR) throw new Error(`${arch}: the page ran the ${result.flavor} build, not ${FLAVOR}`);
  if (result.simd !== simd) throw new Error(`${arch}: the page's result has simd ${result.simd}, not ${simd}`);
  return { images_per_s: imagesPerSecond(steps.filter((s) => s.stage === 'recording'), 1 + WARM), scores: result.scores.flatMap((s) => s.values.flat()) };
}

const isolation = FLAVOR === 'threads';
const plain = await startServer({ isolation });
const relaxed = FLAVOR === 'threads' ? plain : await startServer({ isolation, dir: path.resolve(process.env.RELAXED_DIST) });
const rows = [];
try {
  for (const arch of ARCHS) {
    const p = [];
    const r = [];
    for (let i = 0; i < RUNS; i++) {
      p.push(await once(plain.url, arch, undefined));
      r.push(await once(relaxed.url, arch, 'relaxed-simd'));
    }
    const diff = Math.max(...p[0].scores.map((v, k) => Math.abs(v - r[0].scores[k])));
    const row = {
      arch,
      flavor: FLAVOR,
      plain_images_per_s: summary(p.map((x) => x.images_per_s)),
      relaxed_images_per_s: summary(r.map((x) => x.images_per_s)),
      cka_max_abs_difference: diff,
    };
    row.ratio = row.relaxed_images_per_s.median / row.plain_images_per_s.median;
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
} finally {
  await plain.close();
  if (relaxed !== plain) await relaxed.close();
}
writeJson(path.join(outDir('bench'), `relaxed-simd-${FLAVOR}.json`), rows);
