// Every metric gives the same numbers with 1 thread and with N: bit for bit
// (f64 JSON round-trips exactly, headline value and detail) between the
// native CLI with 1 and 2 threads, and between the threaded and the
// single-threaded wasm builds. Native and wasm agree to 1e-9 (relative):
// native SIMD kernels (faer, matrixmultiply) may fuse multiply-adds that
// wasm's do not, so the last bits may differ; the MLP mapping (nrp) is
// trained by Adam over many epochs and is held to 1e-3 instead. The threaded build compared bit
// for bit is the plain one (`?simd=plain`); the relaxed-SIMD build the page picks in Chromium
// (its f32 kernels fuse multiply-adds) is held to the same bounds against native.
// The matrices are written as .npy here and read by `idlab metric`; the page
// gets the same values through window.idlab.metric (the worker's wasm).

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, useBrowser, withServer, withPage, waitReady, outDir, writeJson, writeNpy } from './helpers.mjs';

/** Seeded uniform(-1, 1) (a 32-bit LCG): the same matrices every run. */
function matrix(rows, cols, seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

const N = 40;
const X = matrix(N, 12, 1);
// Y: a noisy nonlinear function of X, so every metric has something to find.
const W = matrix(12, 9, 2);
const NOISE = matrix(N, 9, 3);
const Y = X.map((row, i) => W[0].map((_, j) => Math.tanh(row.reduce((a, v, k) => a + v * W[k][j], 0)) + 0.3 * NOISE[i][j]));

// Small parameters keep the run short; every metric's parallel part still runs.
const CASES = [
  ['cka', {}],
  ['cka-debiased', {}],
  ['cka-rbf', { rbf_threshold: 0.8 }],
  ['regression', { folds: 4, lambda: [0.1, 1, 10], projection_dim: 8, seed: 3 }],
  ['rsa', { compare: 'tau-a', permutations: 200, seed: 5 }],
  ['rsa', { rdm_distance: 'euclidean', compare: 'spearman' }],
  ['procrustes', {}],
  ['soft-matching', {}],
  ['nrp', { folds: 2, seed: 1 }],
];

const FLAGS = {
  folds: '--folds', lambda: '--lambda', projection_dim: '--projection-dim', seed: '--seed', compare: '--compare',
  permutations: '--permutations', rdm_distance: '--rdm-distance', rbf_threshold: '--rbf-threshold',
};

function native(dir, name, params, threads) {
  const args = ['--threads', String(threads), 'metric', name, '--x', path.join(dir, 'x.npy'), '--y', path.join(dir, 'y.npy')];
  for (const [k, v] of Object.entries(params)) args.push(FLAGS[k], Array.isArray(v) ? v.join(',') : String(v));
  const out = spawnSync(BIN, args, { encoding: 'utf8', timeout: 300000 });
  assert.equal(out.status, 0, `idlab ${args.join(' ')} failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

/** Throws unless a and b have the same structure and numbers within rel (relative, or absolute near 0). */
function assertClose(a, b, rel, where) {
  if (typeof a === 'number' && typeof b === 'number') {
    const ok = a === b || Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
    assert.ok(ok, `${where}: ${a} vs ${b}`);
    return;
  }
  if (Array.isArray(a) || (a && typeof a === 'object')) {
    assert.equal(typeof b, 'object', `${where}: object vs ${typeof b}`);
    const keys = Object.keys(a);
    assert.deepEqual(keys.sort(), Object.keys(b || {}).sort(), `${where}: keys`);
    for (const k of keys) assertClose(a[k], b[k], rel, `${where}.${k}`);
    return;
  }
  assert.equal(a, b, where);
}

/** The result without what legitimately differs between runs (paths, wall time). */
function numbers(r) {
  const { x, y, seconds, ...rest } = r;
  return rest;
}

const env = useBrowser();
let dir;
before(() => {
  dir = outDir('metrics');
  writeNpy(path.join(dir, 'x.npy'), X);
  writeNpy(path.join(dir, 'y.npy'), Y);
});

function inPage(isolation, query = '') {
  return withServer({ isolation }, (server) => withPage(env.browser, `${server.url}?autorun=0${query}`, async ({ page, problems }) => {
    const info = await waitReady(page);
    const out = [];
    for (const [name, params] of CASES) {
      out.push(await page.evaluate(([n, x, y, p]) => window.idlab.metric(n, x, y, p), [name, X, Y, params]));
    }
    // A bad input is refused with the core's message, and the worker stays usable.
    const bad = await page.evaluate(([x, y]) => window.idlab.metric('cka', x, y.slice(1), {}).then(() => null, (e) => e.message), [X, Y]);
    assert.match(bad, /X has 40 rows, Y has 39/, `the row mismatch is named: ${bad}`);
    const unknown = await page.evaluate(([x, y]) => window.idlab.metric('cca', x, y, {}).then(() => null, (e) => e.message), [X, Y]);
    assert.match(unknown, /unknown metric 'cca'/);
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    return { info, out };
  }));
}

test('metrics: 1 and N threads give the same bits (native; the two plain wasm builds), native and wasm agree', { timeout: 10 * 60 * 1000 }, async () => {
  const threaded = await inPage(true, '&simd=plain');
  const relaxed = await inPage(true);
  const single = await inPage(false);
  assert.deepEqual([threaded.info.simd, relaxed.info.simd, single.info.flavor], ['plain', 'relaxed', 'single']);
  const report = [];
  CASES.forEach(([name, params], i) => {
    const one = native(dir, name, params, 1);
    const two = native(dir, name, params, 2);
    const label = `${name} ${JSON.stringify(params)}`;
    assert.ok(Number.isFinite(one.value), `${label}: a finite value (${one.value})`);
    assert.deepEqual(numbers(two), numbers(one), `${label}: native 2 threads = 1 thread`);
    assert.deepEqual(numbers(threaded.out[i]), numbers(single.out[i]), `${label}: wasm threads = wasm single`);
    assertClose(numbers(threaded.out[i]), numbers(one), name === 'nrp' ? 1e-3 : 1e-9, `${label}: wasm vs native`);
    assertClose(numbers(relaxed.out[i]), numbers(one), name === 'nrp' ? 1e-3 : 1e-9, `${label}: wasm relaxed SIMD vs native`);
    const sameBits = JSON.stringify(numbers(relaxed.out[i])) === JSON.stringify(numbers(threaded.out[i]));
    report.push({ name, params, value: one.value, relaxed_same_bits_as_plain: sameBits, wasm_threads_s: threaded.out[i].seconds, wasm_single_s: single.out[i].seconds });
  });
  writeJson(path.join(dir, 'parity.json'), { threads: threaded.info, report });
});
