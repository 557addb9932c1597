// Metrics in wasm against the native CLI on the same matrices (a benchmark,
// not a test): linear CKA and RSA (correlation RDMs + Kendall tau-a) at
// issue 4's size (n = 3,000 stimuli, 4,096 and 3,000 units), ridge regression
// over 10 splits at n = 1,000 (the full size takes minutes natively; see
// BENCHMARKS.md). The page's worker runs `window.idlab.metric` in the threaded
// build (COOP/COEP) as Chromium picks it (the relaxed-SIMD build), in the plain
// threaded build (`?simd=plain`) and in the single-threaded one; `idlab metric`
// runs natively on the same .npy files. Each page's build line is checked, so a
// column is the build it names. Prints a Markdown table; writes
// tests/out/bench/metrics-wasm.json.
//
//   node tests/bench/metrics-wasm.mjs          (after ./build.sh build)

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage, waitReady, outDir, writeJson, writeNpy } from '../e2e/helpers.mjs';

/** Seeded uniform(-1, 1) rows x cols, row-major (a 32-bit LCG). */
function matrix(rows, cols, seed) {
  const data = new Float64Array(rows * cols);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { rows, cols, data };
}

// The page's three builds, each named by what its build line says.
const BUILDS = [
  { key: 'relaxed', isolation: true, query: '', line: /threaded \(2 threads, relaxed SIMD\)/ },
  { key: 'threads', isolation: true, query: '&simd=plain', line: /threaded \(2 threads\)/ },
  { key: 'single', isolation: false, query: '', line: /single-threaded/ },
];

const CASES = [
  { name: 'cka', n: 3000, p1: 4096, p2: 3000, params: {} },
  { name: 'rsa', n: 3000, p1: 4096, p2: 3000, params: { permutations: 0 } },
  { name: 'regression', n: 1000, p1: 4096, p2: 1000, params: {} },
];

// The release binary (./build.sh build makes it): the e2e default, the debug
// build, would time unoptimised code.
const BIN = path.resolve(ROOT, process.env.IDLAB_BIN || 'target/release/idlab');
const dir = outDir('bench', 'metrics');
const browser = await launchBrowser();
const rows = [];
try {
  for (const c of CASES) {
    const x = matrix(c.n, c.p1, 1);
    const y = matrix(c.n, c.p2, 2);
    const [xf, yf] = [path.join(dir, `${c.name}-x.npy`), path.join(dir, `${c.name}-y.npy`)];
    writeNpy(xf, x);
    writeNpy(yf, y);
    const args = ['metric', c.name, '--x', xf, '--y', yf];
    if (c.params.permutations !== undefined) args.push('--permutations', String(c.params.permutations));
    const t0 = performance.now();
    const out = spawnSync(BIN, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (out.status !== 0) throw new Error(`idlab ${args.join(' ')}: ${out.stderr}`);
    const native = (performance.now() - t0) / 1000; // includes reading the .npy files
    const row = { name: c.name, n: c.n, p1: c.p1, p2: c.p2, native_s: native, value: JSON.parse(out.stdout).value };
    for (const build of BUILDS) {
      const server = await startServer({ isolation: build.isolation });
      const { page, context } = await openPage(browser, `${server.url}?autorun=0${build.query}`);
      try {
        await waitReady(page);
        await page.waitForFunction(() => !/loading/.test(document.querySelector('#build').textContent));
        const line = await page.locator('#build').textContent();
        if (!build.line.test(line)) throw new Error(`${build.key}: the page says "${line}"`);
        const r = await page.evaluate(async ([cc, sx, sy]) => {
          const gen = (rowsN, cols, seed) => {
            const data = new Float64Array(rowsN * cols);
            let s = seed >>> 0;
            for (let i = 0; i < data.length; i++) {
              s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
              data[i] = s / 2 ** 31 - 1;
            }
            return { rows: rowsN, data };
          };
          return window.idlab.metric(cc.name, gen(cc.n, cc.p1, sx), gen(cc.n, cc.p2, sy), cc.params);
        }, [c, 1, 2]);
        row[`wasm_${build.key}_s`] = r.seconds;
        row[`value_${build.key}`] = r.value;
      } finally {
        await context.close();
        await server.close();
      }
    }
    rows.push(row);
    process.stderr.write(`${c.name} done\n`);
  }
} finally {
  await browser.close();
}
console.log('| metric | size | native (s) | wasm threads, relaxed SIMD (s) | wasm threads (s) | wasm single (s) | relaxed / native | threads / native |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.name} | n ${r.n}, ${r.p1} vs ${r.p2} units | ${r.native_s.toFixed(2)} | ${r.wasm_relaxed_s.toFixed(2)} | ` +
    `${r.wasm_threads_s.toFixed(2)} | ${r.wasm_single_s.toFixed(2)} | ${(r.wasm_relaxed_s / r.native_s).toFixed(2)} | ` +
    `${(r.wasm_threads_s / r.native_s).toFixed(2)} |`);
}
writeJson(path.join(dir, 'metrics-wasm.json'), rows);
