// Determinism across builds: three presets, reduced as the native determinism test reduces
// them (tests/fixtures/determinism-reduced.json, with the export of every layer's RDM, and of
// its activations for two), run in the threaded wasm build (cross-origin isolated page), in
// the single-threaded one (no isolation) and by the native CLI. Each quantity is compared on
// its own: activations (relative to the layer's largest |value|), RDM entries, each metric's
// scores and the identifiability index. The two wasm builds run the same simd128 kernels and
// compute each output tile alone whatever the thread count, so they must agree bit for bit;
// wasm and native differ where tract's kernels (x86 vs simd128) round differently, within
// the tolerances below (measured, then rounded up with a margin; the README's "Limits and
// guarantees" states them). The isolated page runs twice: with `?simd=plain` (the plain
// threaded build, compared bit for bit with the single-threaded one) and as a visitor's
// Chromium runs it, the threaded build with relaxed SIMD, whose fused multiply-adds round once
// where the plain build rounds twice: within the same TOLERANCE of the plain build and of native
// (on x86-64 it is as far from the plain build as native is: both fuse).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { unzip, npy } from './zip-npy.mjs';
import {
  ROOT, useBrowser, withServer, withPage, waitReady, visibleError, runNativeResult, outDir, writeJson,
} from './helpers.mjs';

/** The presets run here (the native test runs them all): CKA, regression, the identifiability index, RSA. */
const PRESETS = ['alexnet-seeds-cka', 'identify-architecture', 'random-alexnet-vs-it'];
/** Those whose activations are exported and compared, as natively (every preset's RDMs are). */
const ACTIVATIONS = ['alexnet-seeds-cka', 'random-alexnet-vs-it'];

/**
 * Largest |wasm - native| allowed, per quantity: activations relative to the layer's largest
 * |value|, the identifiability index relative to max(1, |index|), the rest absolute. Measured
 * on this test's runs (2026-12-02, x86-64 AVX2 native vs Chromium simd128): activations 7.6e-6,
 * RDM entries 2.2e-7, CKA 9.1e-8, debiased CKA 8.1e-8, regression r 3.7e-6, RSA 0 (ranks),
 * index 1.7e-5 (abs, on indices up to 2.8); each bound is that rounded up with a margin of
 * 5 to 50 for other CPUs' native kernels.
 */
const TOLERANCE = {
  activations: 1e-4,
  rdm: 1e-5,
  cka: 1e-6,
  'cka-debiased': 1e-6,
  regression: 1e-4,
  rsa: 1e-6,
  index: 1e-3,
};

const REDUCED = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/determinism-reduced.json'), 'utf8')).presets;

/** Preset `name` reduced as crate/tests/determinism.rs reduces it. */
function reduced(name) {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', `${name}.json`), 'utf8'));
  const r = REDUCED[name];
  spec.name = `${spec.name} (reduced)`;
  spec.stimuli = { ...spec.stimuli, limit: r.limit };
  for (const key of ['sources', 'targets', 'layers']) if (r[key]) spec[key] = r[key];
  if (r.more) spec.more_stimuli = spec.more_stimuli.map((s) => ({ ...s, count: r.more }));
  spec.export = { activations: ACTIVATIONS.includes(name), rdms: true };
  return spec;
}

/** Every number of two same-shaped JSON values, pairwise; nulls must match. */
function pairs(a, b, where, out = []) {
  if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && a.length === b.length, `${where}: shapes differ`);
    a.forEach((v, i) => pairs(v, b[i], `${where}[${i}]`, out));
  } else if (a === null || b === null || typeof a !== 'number') {
    assert.equal(a, b, where);
  } else {
    out.push([a, b]);
  }
  return out;
}

/**
 * Max |a - b| per quantity between two runs: {quantity: {max, n, identical}}. Activations are
 * divided by the layer's largest |value| (in b).
 */
function compare(a, b, label) {
  const out = {};
  /** Folds values x[i] vs y[i] (arrays or typed arrays), each divided by `scale`, into quantity q. */
  const add = (q, x, y, scale = 1) => {
    const o = (out[q] ||= { max: 0, n: 0, identical: 0 });
    for (let i = 0; i < x.length; i++) {
      o.max = Math.max(o.max, Math.abs(x[i] - y[i]) / scale);
      if (x[i] === y[i]) o.identical += 1;
    }
    o.n += x.length;
  };
  const addPairs = (q, ps) => add(q, ps.map(([x]) => x), ps.map(([, y]) => y));
  assert.equal(a.result.scores.length, b.result.scores.length, `${label}: score tables`);
  a.result.scores.forEach((s, k) => {
    const t = b.result.scores[k];
    const where = `${label}: ${s.metric} ${s.source}/${s.target}`;
    assert.deepEqual([s.metric, s.source, s.target], [t.metric, t.source, t.target], where);
    addPairs(s.metric, pairs(s.values, t.values, where));
    if (s.per_subject) addPairs(s.metric, pairs(s.per_subject, t.per_subject, `${where} per subject`));
  });
  assert.equal(a.result.identifiability.length, b.result.identifiability.length, `${label}: identifiability analyses`);
  a.result.identifiability.forEach((v, k) => {
    const w = b.result.identifiability[k];
    v.layers.forEach((l, i) => {
      const [x, y] = [l.index, w.layers[i].index];
      if (x !== null && x !== undefined) add('index', [x], [y], Math.max(1, Math.abs(y)));
    });
  });
  assert.deepEqual([...a.files.keys()], [...b.files.keys()], `${label}: the same export files`);
  for (const [name, bytes] of a.files) {
    if (!name.endsWith('.npy')) continue;
    const x = npy(bytes, name).values;
    const y = npy(b.files.get(name), name).values;
    assert.equal(x.length, y.length, `${label}: ${name} sizes`);
    if (name.includes('activations/')) {
      const scale = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      add('activations', x, y, scale);
    } else if (name.includes('rdms/')) {
      add('rdm', x, y);
    }
  }
  return out;
}

/** Runs each spec in one page of `idlab serve` (isolated or not; `query` added to the page's URL): [{result, files}] and the build's flavour and SIMD. */
function runInBrowser(browser, isolation, specs, query = '') {
  return withServer({ isolation }, (server) => withPage(browser, `${server.url}?autorun=0${query}`, async ({ page, problems }) => {
    let t0 = Date.now();
    const info = await waitReady(page);
    const times = [`ready ${((Date.now() - t0) / 1000).toFixed(1)} s`];
    const runs = [];
    for (const spec of specs) {
      t0 = Date.now();
      const { result, zip } = await page.evaluate(async (s) => {
        const result = await window.idlab.run(s);
        const blob = window.idlab.lastExports;
        const url = await new Promise((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve(reader.result);
          reader.readAsDataURL(blob);
        });
        return { result, zip: url.slice(url.indexOf(',') + 1) };
      }, spec);
      assert.equal(await visibleError(page), null, `${spec.name}: no error shown`);
      runs.push({ result, files: new Map(unzip(Buffer.from(zip, 'base64'))) });
      times.push(`${spec.name.slice(0, 24)} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
    return { flavor: info.flavor, simd: info.simd, threads: info.threads, runs, times };
  }));
}

/** The native run's result and export files, in the zip's order (its exports.json lists them). */
function nativeFiles(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'exports.json'), 'utf8'));
  return new Map([...manifest.files.map((f) => [f.path, fs.readFileSync(path.join(dir, f.path))]), ['exports.json', fs.readFileSync(path.join(dir, 'exports.json'))]]);
}

const env = useBrowser();

test('reduced presets: the plain wasm builds agree bit for bit, the relaxed-SIMD build with them and every build with native within the stated tolerances', { timeout: 10 * 60 * 1000 }, async (t) => {
  const dir = outDir('determinism');
  let t0 = Date.now();
  const specs = PRESETS.map(reduced);
  const native = [];
  for (const [k, spec] of specs.entries()) {
    const specFile = path.join(dir, `${PRESETS[k]}.spec.json`);
    writeJson(specFile, spec);
    const out = path.join(dir, `${PRESETS[k]}-native`);
    const result = await runNativeResult(specFile, out);
    native.push({ result, files: nativeFiles(out) });
  }
  const seconds = () => { const s = (Date.now() - t0) / 1000; t0 = Date.now(); return s.toFixed(1); };
  t.diagnostic(`native runs: ${seconds()} s`);
  const threads = await runInBrowser(env.browser, true, specs, '&simd=plain');
  t.diagnostic(`threaded build: ${seconds()} s (${threads.times.join(', ')})`);
  const relaxed = await runInBrowser(env.browser, true, specs);
  t.diagnostic(`threaded relaxed-SIMD build: ${seconds()} s (${relaxed.times.join(', ')})`);
  const single = await runInBrowser(env.browser, false, specs);
  t.diagnostic(`single-threaded build: ${seconds()} s (${single.times.join(', ')})`);
  assert.deepEqual([threads.flavor, threads.simd], ['threads', 'plain'], 'the isolated page asked for ?simd=plain runs the plain threaded build');
  assert.deepEqual([relaxed.flavor, relaxed.simd], ['threads', 'relaxed'], 'the isolated page in a Chromium with relaxed SIMD runs the relaxed-SIMD threaded build');
  assert.deepEqual([single.flavor, single.simd], ['single', 'plain'], 'the page without isolation runs the single-threaded build');
  for (const [k, name] of PRESETS.entries()) {
    assert.equal(relaxed.runs[k].result.simd, 'relaxed-simd', `${name}: the relaxed build's result says so`);
    assert.equal(threads.runs[k].result.simd, undefined, `${name}: the plain build's result has no simd field`);
  }
  t.diagnostic(`threaded build on ${threads.threads} threads`);

  const measured = {};
  PRESETS.forEach((name, k) => {
    const builds = compare(threads.runs[k], single.runs[k], `${name} threads vs single`);
    const vsNative = compare(threads.runs[k], native[k], `${name} threads vs native`);
    const singleVsNative = compare(single.runs[k], native[k], `${name} single vs native`);
    const relaxedVsPlain = compare(relaxed.runs[k], threads.runs[k], `${name} relaxed vs plain`);
    const relaxedVsNative = compare(relaxed.runs[k], native[k], `${name} relaxed vs native`);
    measured[name] = {
      threads_vs_single: builds, threads_vs_native: vsNative, single_vs_native: singleVsNative,
      relaxed_vs_plain: relaxedVsPlain, relaxed_vs_native: relaxedVsNative,
    };
    for (const [q, m] of Object.entries(builds)) {
      t.diagnostic(`${name} ${q}: threads vs single max |diff| ${m.max.toExponential(2)} (${m.identical} of ${m.n} identical)`);
      assert.equal(m.max, 0, `${name} ${q}: the threaded and single-threaded builds differ by ${m.max}`);
    }
    for (const [q, m] of Object.entries(relaxedVsPlain)) {
      t.diagnostic(`${name} ${q}: relaxed vs plain max |diff| ${m.max.toExponential(2)} (${m.identical} of ${m.n} identical)`);
      assert.ok(q in TOLERANCE, `${name}: no tolerance stated for ${q}`);
      assert.ok(m.max <= TOLERANCE[q], `${name} ${q}: max |relaxed - plain| = ${m.max} > ${TOLERANCE[q]}`);
    }
    for (const [which, cmp] of [['threads', vsNative], ['single', singleVsNative], ['relaxed', relaxedVsNative]]) {
      for (const [q, m] of Object.entries(cmp)) {
        t.diagnostic(`${name} ${q}: ${which} vs native max |diff| ${m.max.toExponential(2)} (${m.identical} of ${m.n} identical)`);
        assert.ok(q in TOLERANCE, `${name}: no tolerance stated for ${q}`);
        assert.ok(m.max <= TOLERANCE[q], `${name} ${q}: max |${which} - native| = ${m.max} > ${TOLERANCE[q]}`);
      }
    }
  });
  writeJson(path.join(dir, 'measured.json'), measured);
});
