// idlab compute worker (module worker). All wasm work happens here, never on
// the page's main thread.
//
// Page -> worker: {type: 'run', id, spec, models?, data?, stimuli?, weights?, gramMemoryMb?, imageMemoryMb?}, {type: 'cancel', id?}
//                 (gramMemoryMb: Gram rows a model holds before they spill to OPFS; imageMemoryMb: resized
//                 images kept in memory before they do; defaults the core's)
//                 {type: 'inspect', id, name, bytes}       (bytes: a transferred ArrayBuffer)
//                 {type: 'fetch-model', id, url}
//                 {type: 'unzip', id, name, bytes}         (a user's .zip of images)
//                 {type: 'metric', id, name, x, xRows, y, yRows, params}  (x, y: row-major Float64Array buffers)
//                 {type: 'core', id, name, args}             (one of CORE_FUNCTIONS, by name, with its arguments)
//                 {type: 'fetch-weights', id, name, url, sha256?, bytes?}  (into the weights cache, with progress)
//                 {type: 'cancel-fetch', target}             (aborts the fetch-weights request `target`)
//                 {type: 'weights-cache', id, action: 'list' | 'clear'}
//                 {type: 'classify', id, job, model, file?, images?, urls?, k}  (the top-k check of one model;
//                   model: a spec side, file: the bytes of its user file, images: [{name, bytes}], urls:
//                   site-relative stimuli to fetch; cancelled by {type: 'cancel-fetch', target: job})
//   `models` maps a spec's "onnx" (or "tflite") file name to its bytes, `data` a data file's name
//   to its bytes, `weights` a trained weights file's name to its bytes (transferred ArrayBuffers);
//   `stimuli` are the user's images, [{name, bytes}] in order. Weights given by URL or shipped with
//   the site are fetched here (see weights-cache.js), never by the page.
// Worker -> page: {type: 'ready', flavor, simd, threads, version, note?}  (simd: 'relaxed' | 'plain')
//                 {type: 'init-error', message}
//                 {type: 'progress', id, progress}  (progress.note: the run resumed, or has no checkpoints, and why)
//                 {type: 'result', id, result, exports?}  (exports: the spec.export .zip, a transferred ArrayBuffer)
//                 {type: 'error', id, message, fatal}
//                 {type: 'cancelled', id}
//                 {type: 'inspection', id, name, size, inspection, bytes?}  (bytes: after fetch-model)
//                 {type: 'inspect-error', id, message}
//                 {type: 'unzipped', id, files: [{name, bytes}]} / {type: 'unzip-error', id, message}
//                 {type: 'metric-result', id, result} / {type: 'metric-error', id, message}
//                 {type: 'core-result', id, value} / {type: 'core-error', id, message}
//                 {type: 'weights-progress', id, name, loaded, total}  (a weights fetch, for a run or a request)
//                 {type: 'weights-error', id, name, message}  (a run's weights file refused: before the run's 'error')
//                 {type: 'weights-loaded', id, name, size, from: 'cache' | 'network', kept}  (a run's fetched file)
//                 {type: 'weights-fetched', id, name, size, from, kept, sha256} / {type: 'weights-fetch-error', id, message}
//                 {type: 'weights-cache-result', id, value} / {type: 'weights-cache-error', id, message}
//                 a classify request's progress as {type: 'weights-progress', id, name, loaded, total, classify?:
//                   {done, total, image, top}} and its answer as {type: 'core-result', id, value: {label, imagenet,
//                   images: [{image, top: [{index, label, p}]}], cancelled}} / {type: 'core-error', id, message}
// Requests (inspect, fetch-model, unzip, metric, core, fetch-weights, weights-cache) are answered by id: www/page/worker-link.js's `call`.
// A core request does not wait for a run: it is answered between two of the run's steps.
// `fatal: true` means the wasm instance trapped and must not be used again:
// the page terminates this worker and starts a new one.

import { getWeights, listCache, clearCache } from './weights-cache.js';
import { openResumeStore } from './resume-store.js';
import { canSpill, openSpillFile } from './spill-file.js';

// The site's root: where this script lies, not self.location (a worker started from a blob
// trampoline on another page's origin has a blob: location). Site paths resolve against it.
const SITE = new URL('./', import.meta.url);

// `?simd=plain` on this script's URL (worker-link.js passes on the page's): the threaded build
// without relaxed SIMD, the same bits as the single-threaded build, where the relaxed one would
// be picked. Anything else: relaxed where the browser validates it.
const SIMD = new URL(import.meta.url).searchParams.get('simd');

let wasm = null;          // the imported pkg module
let wasmMemory = null;    // its WebAssembly.Memory (for the memory reported with results)
let readyInfo = null;     // what was posted with 'ready'
let current = null;       // {id, cancelled, abort: AbortController} of the run in progress
let queue = Promise.resolve();
let poisoned = false;     // set after a wasm trap
const fetches = new Map(); // request id -> AbortController of a weights download asked outside a run
const cancelledEarly = new Set(); // classify jobs cancelled before their request arrived

// What the page asks the core to compute (crate/src/wasm.rs), so that it exists once, in Rust:
// the result's CSV and report (the bytes `idlab run` writes), the spec's upgrade, what a spec
// needs before it runs (files, stimulus sets and their sizes), the memory it will take, and a
// spec's variant on the catalogue's trained weights.
// The assignment_* functions open, check, report on, draft and pack course assignments
// (crate/src/assignment/); their bytes (a zip, its data files) stay Uint8Arrays both ways.
const CORE_FUNCTIONS = new Set(['tidy_csv', 'report_text', 'upgrade_spec', 'spec_inputs', 'estimate_memory', 'trained_variant',
  'assignment_open', 'assignment_check', 'assignment_report', 'assignment_draft', 'assignment_pack']);

const initialised = init();
initialised.catch((err) => {
  self.postMessage({ type: 'init-error', message: `Could not start the WebAssembly module: ${describe(err)}` });
});

self.onmessage = (event) => {
  const msg = event.data || {};
  if (msg.type === 'cancel') {
    if (current && (msg.id === undefined || msg.id === current.id)) {
      current.cancelled = true;
      current.abort.abort();
    }
    return;
  }
  if (msg.type === 'inspect' || msg.type === 'fetch-model') {
    queue = queue.then(() => inspectOne(msg));
    return;
  }
  if (msg.type === 'fetch-weights') {
    // Not queued: a download must not wait for a run (nor a run for it); cancel aborts it.
    fetchWeightsOne(msg);
    return;
  }
  if (msg.type === 'weights-cache') {
    cacheOne(msg);
    return;
  }
  if (msg.type === 'cancel-fetch') {
    const f = fetches.get(msg.target);
    if (f) f.abort();
    else if (/^classify-/.test(String(msg.target))) cancelledEarly.add(msg.target); // before its request arrived
    return;
  }
  if (msg.type === 'classify') {
    // Queued: it runs the wasm module between a run's steps no more than a run would.
    const abort = new AbortController();
    fetches.set(msg.job, abort); // 'cancel-fetch' with the job stops it between two images
    if (cancelledEarly.delete(msg.job)) abort.abort();
    queue = queue.then(() => classifyOne(msg, abort.signal)).finally(() => fetches.delete(msg.job));
    return;
  }
  if (msg.type === 'unzip') {
    queue = queue.then(() => unzipOne(msg));
    return;
  }
  if (msg.type === 'metric') {
    queue = queue.then(() => metricOne(msg));
    return;
  }
  if (msg.type === 'core') {
    // Not queued behind a run: the run loop yields to the event loop between steps.
    coreOne(msg);
    return;
  }
  if (msg.type === 'run') {
    // A new run supersedes the one in progress (the page normally prevents this).
    if (current) {
      current.cancelled = true;
      current.abort.abort();
    }
    queue = queue.then(() => runOne(msg.id, msg.spec, msg.models || {}, msg.data || {}, msg.stimuli || [], msg.weights || {}, { gramMemoryMb: msg.gramMemoryMb, imageMemoryMb: msg.imageMemoryMb }));
    return;
  }
  self.postMessage({ type: 'error', id: msg.id, message: `Unknown message type: ${String(msg.type)}`, fatal: false });
};

async function init() {
  const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  let note;
  if (isolated) {
    // The threaded build with relaxed SIMD where the browser has it, else (or if it fails to
    // start) the plain one; then the single-threaded build. Each failure is said in the note.
    const builds = (await relaxedSimd()) ? ['threads-relaxed', 'threads'] : ['threads'];
    const failed = [];
    for (const dir of builds) {
      try {
        const pkg = await import(`./pkg/${dir}/idlab.js`);
        wasmMemory = (await pkg.default()).memory;
        const threads = Math.max(1, navigator.hardwareConcurrency || 1);
        await pkg.initThreadPool(threads);
        return announce(pkg, threads, failed.length ? `${failed.join('; ')}; using the plain threaded build` : undefined);
      } catch (err) {
        failed.push(`the ${dir === 'threads' ? 'threaded' : 'threaded relaxed-SIMD'} build failed to start (${describe(err)})`);
        console.warn(`idlab: ${failed.at(-1)}`);
      }
    }
    // Keep the page usable: fall back to the single-threaded build, and say so.
    note = `${failed.join('; ')}; using the single-threaded build`;
  }
  const pkg = await import('./pkg/single/idlab.js');
  wasmMemory = (await pkg.default()).memory;
  return announce(pkg, 1, note);
}

/** Whether to load the relaxed-SIMD build: not when the page asked for plain, else whether the browser validates relaxed SIMD. */
async function relaxedSimd() {
  if (SIMD === 'plain') return false;
  try {
    const detect = await import('./vendor/wasm-feature-detect.js');
    return await detect.relaxedSimd();
  } catch (err) {
    console.warn(`idlab: the check for relaxed SIMD failed (${describe(err)}); using the plain build`);
    return false;
  }
}

function announce(pkg, threads, note) {
  wasm = pkg;
  const info = plain(pkg.build_info());
  readyInfo = { type: 'ready', flavor: info.flavor, simd: info.simd, version: info.version, threads };
  if (note) readyInfo.note = note;
  self.postMessage(readyInfo);
}

// Give the event loop a turn (a macrotask) so that a pending 'cancel' message is handled.
function yieldToEventLoop() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// One metric of two matrices (what `idlab metric NAME` computes), on this
// build's threads; the reply carries the core's JSON object and the wall time.
async function metricOne(msg) {
  try {
    await initialised;
    if (poisoned) throw new Error('The WebAssembly module crashed earlier; reload the page.');
    const t0 = performance.now();
    const x = new Float64Array(msg.x);
    const y = new Float64Array(msg.y);
    const result = plain(wasm.compute_metric(String(msg.name), x, msg.xRows, y, msg.yRows, msg.params ?? null));
    result.seconds = (performance.now() - t0) / 1000;
    self.postMessage({ type: 'metric-result', id: msg.id, result });
  } catch (err) {
    self.postMessage({ type: 'metric-error', id: msg.id, message: describe(err) });
  }
}

// One core function by name; the reply carries its value (plain JSON-like data) or the core's message.
async function coreOne(msg) {
  try {
    await initialised;
    if (poisoned) throw new Error('The WebAssembly module crashed earlier; reload the page.');
    const name = String(msg.name);
    if (!CORE_FUNCTIONS.has(name)) throw new Error(`Unknown core function: ${name}`);
    const args = Array.isArray(msg.args) ? [...msg.args] : [];
    // The estimate counts Gram rows as spilled when this worker can open an OPFS file (runOne does).
    if (name === 'estimate_memory') args[1] = { ...(args[1] || {}), spill: canSpill() };
    const value = plain(wasm[name](...args), name.startsWith('assignment_'));
    self.postMessage({ type: 'core-result', id: msg.id, value });
  } catch (err) {
    self.postMessage({ type: 'core-error', id: msg.id, message: failure(err).message });
  }
}

// Inspects a user's ONNX file (sent by the page, or fetched here from a URL):
// candidate layers with shapes, input, preprocessing; or the core's message.
async function inspectOne(msg) {
  try {
    await initialised;
    let name = msg.name;
    let buffer = msg.bytes;
    if (msg.type === 'fetch-model') {
      const url = String(msg.url || '').trim();
      let resolved;
      try {
        resolved = new URL(url, SITE);
      } catch {
        throw new Error(`Could not fetch the model: "${url}" is not a URL`);
      }
      let resp;
      try {
        resp = await fetch(resolved);
      } catch (err) {
        throw new Error(`Could not fetch the model from ${url}: ${describe(err)}`);
      }
      if (!resp.ok) throw new Error(`Could not fetch the model from ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
      buffer = await resp.arrayBuffer();
      name = decodeURIComponent(resolved.pathname.split('/').pop() || '') || 'model.onnx';
    }
    const inspection = plain(wasm.inspect_onnx(name, new Uint8Array(buffer)));
    const reply = { type: 'inspection', id: msg.id, name, size: buffer.byteLength, inspection };
    if (msg.type === 'fetch-model') {
      reply.bytes = buffer;
      self.postMessage(reply, [buffer]);
    } else {
      self.postMessage(reply);
    }
  } catch (err) {
    self.postMessage({ type: 'inspect-error', id: msg.id, message: describe(err) });
  }
}

// Downloads a weights file into the cache (the page's "Load" beside a URL, so that a wrong URL or
// hash shows at once and the run finds the file kept); progress as 'weights-progress'.
async function fetchWeightsOne(msg) {
  const abort = new AbortController();
  fetches.set(msg.id, abort);
  try {
    const got = await getWeights(
      { name: msg.name, url: String(msg.url || ''), sha256: msg.sha256, expected: msg.bytes },
      { signal: abort.signal, onProgress: (loaded, total) => self.postMessage({ type: 'weights-progress', id: msg.id, name: msg.name, loaded, total }) },
    );
    self.postMessage({ type: 'weights-fetched', id: msg.id, name: msg.name, size: got.bytes.byteLength, from: got.from, kept: got.kept, sha256: got.sha256 });
  } catch (err) {
    const message = err && err.name === 'AbortError' ? 'the download was cancelled' : describe(err);
    self.postMessage({ type: 'weights-fetch-error', id: msg.id, message });
  } finally {
    fetches.delete(msg.id);
  }
}

// Lists or clears the weights kept in Cache Storage.
async function cacheOne(msg) {
  try {
    const value = msg.action === 'clear' ? await clearCache() : await listCache();
    self.postMessage({ type: 'weights-cache-result', id: msg.id, value });
  } catch (err) {
    self.postMessage({ type: 'weights-cache-error', id: msg.id, message: describe(err) });
  }
}

/**
 * The trained weights (and shipped TFLite models) a spec needs, as the core lists them
 * (spec_inputs' `weights`: [{name, kind: file | url | shipped, url, sha256, bytes}]); [] for a
 * core that predates them.
 */
function weightsNeeded(spec) {
  let needs;
  try {
    needs = plain(wasm.spec_inputs(spec));
  } catch {
    return []; // the session reports the spec's error
  }
  return Array.isArray(needs.weights) ? needs.weights : [];
}

/**
 * The bytes of a file the worker fetches for a run (a URL's weights, a shipped file), from the
 * cache or downloaded with progress in the run's status; Cancel aborts the download.
 */
async function remoteFile(run, w) {
  const total = Number.isFinite(w.bytes) ? w.bytes : null;
  const progress = (loaded, all) => post(run, {
    stage: 'loading weights', label: w.name, done: loaded, total: all || loaded || 1,
    bytes_done: loaded, bytes_total: all, images_done: 0, images_total: 0,
  });
  progress(0, total);
  let got;
  try {
    got = await getWeights(
      { name: w.name, url: w.url || w.name, sha256: w.sha256, expected: total },
      { signal: run.abort.signal, onProgress: progress },
    );
  } catch (err) {
    if (err && err.name !== 'AbortError') {
      run.blamed = true;
      self.postMessage({ type: 'weights-error', id: run.id, name: w.name, message: describe(err) });
    }
    throw err;
  }
  self.postMessage({ type: 'weights-loaded', id: run.id, name: w.name, size: got.bytes.byteLength, from: got.from, kept: got.kept });
  return got.bytes;
}

/**
 * Adds a run's trained weights to its session: a user's file from the page's bytes, a URL or a
 * shipped file from the cache or downloaded (progress in MB; Cancel aborts the download). A file
 * the core refuses is reported as 'weights-error' (the page shows it beside its control) before
 * the run's error.
 */
async function addWeights(run, session, spec, given) {
  const added = new Set();
  for (const w of weightsNeeded(spec)) {
    if (run.cancelled) return added;
    let bytes;
    if (w.kind === 'file') {
      const buffer = given[w.name];
      if (!buffer) throw new Error(`The spec names the weights file ${w.name}, but it was not given; choose it again under "Trained weights".`);
      bytes = new Uint8Array(buffer);
    } else {
      bytes = await remoteFile(run, w);
    }
    if (run.cancelled) return added;
    try {
      session.add_weights(w.name, bytes); // a shipped TFLite model's too: the core knows it by its name
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError)) {
        run.blamed = true;
        self.postMessage({ type: 'weights-error', id: run.id, name: w.name, message: describe(err) });
      }
      throw err;
    }
    added.add(w.name);
    run.weights.push(w.name);
    bytes = null; // the core holds what it needs; the download is freed with this scope
    await yieldToEventLoop();
  }
  return added;
}

/**
 * The top-k classes of a model on a few images (the page's "Check: top-5 classes"): the model
 * is built once by the core (crate/src/classify.rs, what `idlab classify` uses), its file
 * fetched like a run's weights (cache, progress, Cancel), then each image classified in turn,
 * reported as it is done, with the event loop given a turn between images so that Cancel is heard.
 */
async function classifyOne(msg, signal) {
  const id = msg.id;
  const progress = (extra) => self.postMessage({ type: 'weights-progress', id, name: '', loaded: 0, total: 0, ...extra });
  let classifier = null;
  try {
    await initialised;
    if (poisoned) throw new Error('The WebAssembly module crashed earlier; reload the page.');
    const need = plain(wasm.classifier_needs(msg.model));
    let bytes;
    if (need && need.kind === 'file') {
      if (!msg.file) throw new Error(`The model's file ${need.name} was not given; choose it again.`);
      bytes = new Uint8Array(msg.file);
    } else if (need) {
      const total = Number.isFinite(need.bytes) ? need.bytes : null;
      const got = await getWeights(
        { name: need.name, url: need.url || need.name, sha256: need.sha256, expected: total },
        { signal, onProgress: (loaded, all) => progress({ name: need.name, loaded, total: all }) },
      );
      bytes = got.bytes;
    }
    if (signal.aborted) return classifyCancelled(id);
    progress({ classify: { stage: 'building the model', done: 0, total: 0 } });
    await yieldToEventLoop();
    classifier = new wasm.Classifier(msg.model, bytes);
    bytes = null;
    const label = classifier.label();
    const given = Array.isArray(msg.images) ? msg.images : [];
    const urls = Array.isArray(msg.urls) ? msg.urls : [];
    const total = given.length + urls.length;
    const k = Number.isInteger(msg.k) && msg.k > 0 ? msg.k : 5;
    const images = [];
    for (let i = 0; i < total; i++) {
      await yieldToEventLoop();
      if (signal.aborted) return classifyCancelled(id, { label, images });
      let name;
      let data;
      if (i < given.length) {
        name = String(given[i].name);
        data = new Uint8Array(given[i].bytes);
      } else {
        const path = String(urls[i - given.length]);
        try {
          data = await fetchBytes(path, signal);
        } catch (err) {
          if (signal.aborted) return classifyCancelled(id, { label, images });
          throw err;
        }
        name = path.split('/').pop();
      }
      const top = plain(classifier.classify(name, data, k));
      images.push({ image: name, top });
      progress({ classify: { stage: 'classifying', done: i + 1, total, image: name, top } });
    }
    self.postMessage({ type: 'core-result', id, value: { label, imagenet: classifier.imagenet(), images, cancelled: false } });
  } catch (err) {
    if (signal.aborted && !(err instanceof WebAssembly.RuntimeError)) return classifyCancelled(id);
    const message = err && err.name === 'AbortError' ? 'the download was cancelled' : failure(err).message;
    self.postMessage({ type: 'core-error', id, message });
  } finally {
    if (classifier && !poisoned) {
      try { classifier.free(); } catch { /* instance unusable */ }
    }
  }
}

/** A cancelled check: answered (not failed), with the images done so far. */
function classifyCancelled(id, done = {}) {
  self.postMessage({ type: 'core-result', id, value: { label: done.label || '', imagenet: true, images: done.images || [], cancelled: true } });
}

// The image entries of a user's .zip (the core's reader: natural order, no
// __MACOSX or dotfiles), returned as transferable buffers.
async function unzipOne(msg) {
  try {
    await initialised;
    // Each Uint8Array is a copy in JS memory (not a view of wasm memory), so its buffer can be transferred.
    const entries = wasm.images_in_zip(String(msg.name), new Uint8Array(msg.bytes));
    const files = Array.from(entries, ([name, bytes]) => ({ name, bytes: bytes.buffer }));
    self.postMessage({ type: 'unzipped', id: msg.id, files }, files.map((f) => f.bytes));
  } catch (err) {
    self.postMessage({ type: 'unzip-error', id: msg.id, message: describe(err) });
  }
}

async function runOne(id, spec, models, data, uploaded, weights, budgets) {
  const run = { id, cancelled: false, abort: new AbortController(), weights: [], blamed: false, ...budgets };
  current = run;
  let session = null;
  let spill = null;
  const started = performance.now();
  let memoryBefore = null;
  try {
    try {
      await initialised;
    } catch (err) {
      throw new Error(`The WebAssembly module is not available: ${describe(err)}`);
    }
    if (poisoned) throw new Error('The WebAssembly module crashed earlier; reload the page.');
    if (run.cancelled) return cancelled(run);
    memoryBefore = wasmMemory ? wasmMemory.buffer.byteLength : null;

    session = new wasm.Session(spec);
    // Trained weights first: a wrong file fails the run before any image is fetched.
    const added = await addWeights(run, session, spec, weights);
    if (run.cancelled) return cancelled(run);
    for (const file of Array.from(session.model_files())) {
      if (added.has(file)) continue; // a shipped TFLite model, added with the weights
      if (/^models\/trained\//.test(file) && !models[file]) {
        // A model file the site ships (a TFLite model by its catalogue id): fetched here, kept like weights.
        session.add_model(file, await remoteFile(run, { name: file, url: file }));
        continue;
      }
      const buffer = models[file];
      if (!buffer) throw new Error(`The spec names the model ${file}, but its file was not given; choose it again under "Your model (ONNX)" (or "Trained weights").`);
      session.add_model(file, new Uint8Array(buffer));
    }
    // The user's own images, in the order the page gave them (names are the stimuli's names).
    for (let i = 0; i < uploaded.length; i++) {
      if (run.cancelled) return cancelled(run);
      session.add_stimulus(uploaded[i].name, new Uint8Array(uploaded[i].bytes));
      post(run, { stage: 'loading stimuli', label: uploaded[i].name, done: i + 1, total: uploaded.length, images_done: 0, images_total: uploaded.length });
      if (i % 8 === 7) await yieldToEventLoop();
    }
    const urls = Array.from(session.stimulus_urls());
    const n = urls.length;
    post(run, { stage: 'loading stimuli', label: '', done: 0, total: n, images_done: 0, images_total: n });

    // Start all downloads at once (the browser limits how many run in parallel),
    // but decode them strictly in order.
    const downloads = urls.map((p) => fetchBytes(p, run.abort.signal));
    downloads.forEach((d) => d.catch(() => {})); // the awaited one reports; the rest must not be "unhandled"
    for (let i = 0; i < n; i++) {
      let bytes;
      try {
        bytes = await downloads[i];
      } catch (err) {
        if (run.cancelled) return cancelled(run);
        throw err;
      }
      if (run.cancelled) return cancelled(run);
      session.add_stimulus(urls[i], bytes);
      post(run, { stage: 'loading stimuli', label: urls[i], done: i + 1, total: n, images_done: 0, images_total: n });
      if (i % 8 === 7) await yieldToEventLoop();
    }

    // Data after the stimuli: rows are matched to the stimuli's names.
    for (const file of Array.from(session.data_files())) {
      const buffer = data[file];
      if (!buffer) throw new Error(`The spec's target ${file} is a data file that was not given; add it under "Your data".`);
      session.add_data(file, new Uint8Array(buffer));
    }
    for (const path of Array.from(session.dataset_urls())) {
      let bytes;
      try {
        bytes = await fetchBytes(path, run.abort.signal, 'dataset file');
      } catch (err) {
        if (run.cancelled) return cancelled(run);
        throw err;
      }
      if (run.cancelled) return cancelled(run);
      session.add_data(path, bytes);
    }

    // Gram rows spill to an OPFS file rather than fill the tab (none: all stay in memory).
    spill = await openSpillFile();
    if (spill) session.use_spill_file(spill.handle, run.gramMemoryMb, run.imageMemoryMb);

    // An interrupted run of the same spec and inputs goes on from its last finished model.
    const resume = await startResume(run, session);

    // Each step's wall time and the module's memory after it, kept with the result (the run report
    // and the wasm benchmarks read them).
    const steps = [];
    while (!session.is_done()) {
      await yieldToEventLoop();
      if (run.cancelled) return cancelled(run);
      const t0 = performance.now();
      const progress = plain(session.step());
      steps.push({
        stage: progress.stage,
        label: progress.label,
        seconds: (performance.now() - t0) / 1000,
        wasm_memory_bytes: wasmMemory ? wasmMemory.buffer.byteLength : null,
      });
      if (run.note) progress.note = run.note;
      post(run, progress);
      await keepCheckpoint(run, session, resume);
    }
    if (resume) await resume.store.clear(resume.key).catch(() => {});
    const result = plain(session.result((performance.now() - started) / 1000));
    result.timings = {
      steps,
      wasm_memory_bytes: wasmMemory ? wasmMemory.buffer.byteLength : null,
      wasm_memory_before_bytes: memoryBefore,
      spilled_bytes: spill ? session.spilled_bytes() : null,
    };
    // The activations and RDMs the spec keeps, as the core's .zip (a copy in JS memory, so its buffer transfers).
    const exports = spec && spec.export ? session.exports_zip().buffer : null;
    self.postMessage({ type: 'result', id, result, exports }, exports ? [exports] : []);
  } catch (err) {
    if (run.cancelled && !(err instanceof WebAssembly.RuntimeError)) return cancelled(run);
    if (!(err instanceof WebAssembly.RuntimeError)) blameWeights(run, describe(err));
    reportError(run, err);
  } finally {
    run.abort.abort(); // stop downloads nobody will read
    if (session && !poisoned) {
      try { session.free(); } catch { /* already freed or instance unusable */ }
    }
    if (spill) await spill.close();
    if (current === run) current = null;
  }
}

// ---------------------------------------------------------------- resuming an interrupted run
// Each finished model's checkpoint (the core's) is kept in IndexedDB under the run key as soon as
// the step that finished it returns (resume-store.js); a later run of the same key restores them
// before its first step. Without IndexedDB (a private mode, no quota) runs go on without
// checkpoints, said once per worker.

let resumeOffSaid = false;
let resumeStore = null; // the store's promise, opened once per worker

/** Says once, on this run's progress, that checkpoints are off and why. */
function resumeOff(run, err) {
  if (resumeOffSaid) return;
  resumeOffSaid = true;
  run.note = `no checkpoints (${describe(err)}): an interrupted run will start over`;
}

/**
 * {key, store} for the run's checkpoints, after restoring those an interrupted run left (its
 * progress then says "resumed: k of n models already finished"); null without a store. A
 * checkpoint the core refuses (another run's, damaged) is deleted and the run starts over, saying why.
 */
async function startResume(run, session) {
  let key;
  try {
    key = session.run_key();
  } catch {
    return null; // an input is missing: the first step says which
  }
  let store;
  let saved;
  try {
    resumeStore = resumeStore || openResumeStore();
    store = await resumeStore;
    saved = await store.load(key);
  } catch (err) {
    resumeOff(run, err);
    return null;
  }
  if (saved.length) {
    try {
      run.note = plain(session.resume(saved.map((c) => c.bytes))).message;
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) throw err;
      run.note = `could not resume (${describe(err)}); started over`;
      await store.clear(key).catch(() => {});
    }
  }
  return { key, store };
}

/** Keeps the checkpoint of the model the last step finished, if any, before the next step. */
async function keepCheckpoint(run, session, resume) {
  if (!resume || resume.off) return;
  const checkpoint = session.take_checkpoint();
  if (!checkpoint) return;
  try {
    if (!(await resume.store.put(resume.key, checkpoint))) {
      resume.off = true;
      run.note = 'checkpoints are too large to keep for this run: if it is interrupted it will start over';
    }
  } catch (err) {
    resume.off = true;
    resumeOff(run, err);
  }
}

async function fetchBytes(path, signal, what = 'stimulus') {
  const url = new URL('./' + path.replace(/^\/+/, ''), SITE);
  let resp;
  try {
    resp = await fetch(url, { signal });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new Error(`Could not fetch ${what} ${path}: ${describe(err)}`);
  }
  if (!resp.ok) throw new Error(`Could not fetch ${what} ${path}: HTTP ${resp.status} ${resp.statusText}`.trim());
  return new Uint8Array(await resp.arrayBuffer());
}

/**
 * A run's error that names one of its weights files (the core's name-map check runs when the
 * model is built, after the file was added) is that file's too: said as 'weights-error', so the
 * page shows it beside the control that chose the file.
 */
function blameWeights(run, message) {
  if (run.blamed) return;
  const name = run.weights.find((n) => message.includes(n) || message.includes(String(n).split('/').pop()));
  if (name) self.postMessage({ type: 'weights-error', id: run.id, name, message });
}

function post(run, progress) {
  self.postMessage({ type: 'progress', id: run.id, progress });
}

function cancelled(run) {
  self.postMessage({ type: 'cancelled', id: run.id });
}

function reportError(run, err) {
  const { message, fatal } = failure(err);
  self.postMessage({ type: 'error', id: run.id, message, fatal });
}

/**
 * {message, fatal} of an error thrown by the module: the core's message, or, for a trap (a Rust
 * panic aborts with one; the panic hook kept its message), the crash, after which the instance
 * is unusable (`poisoned`).
 */
function failure(err) {
  if (!(err instanceof WebAssembly.RuntimeError)) return { message: describe(err), fatal: false };
  poisoned = true;
  let panic;
  try { panic = wasm && wasm.last_panic ? wasm.last_panic() : undefined; } catch { /* instance unusable */ }
  return { message: panic ? `The computation crashed: ${panic}` : `The computation crashed (${describe(err)}).`, fatal: true };
}

function describe(err) {
  if (err instanceof Error) return err.message || String(err);
  if (typeof err === 'string') return err;
  try { return JSON.stringify(err); } catch { return String(err); }
}

// Turn whatever the bindings return (Maps from serde-wasm-bindgen, typed arrays)
// into plain JSON-like data, so the page can JSON.stringify it; with `keepBytes`, a Uint8Array
// (a file's bytes) stays one.
function plain(value, keepBytes = false) {
  if (value instanceof Map) {
    const obj = {};
    for (const [k, v] of value) obj[String(k)] = plain(v, keepBytes);
    return obj;
  }
  if (keepBytes && value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value, (x) => (typeof x === 'bigint' ? Number(x) : x));
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, keepBytes));
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object') {
    const obj = {};
    for (const [k, v] of Object.entries(value)) obj[k] = plain(v, keepBytes);
    return obj;
  }
  return value;
}
