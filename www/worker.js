// idlab compute worker (module worker). All wasm work happens here, never on
// the page's main thread.
//
// Page -> worker: {type: 'run', id, spec, models?, data?, stimuli?}, {type: 'cancel', id?}
//                 {type: 'inspect', id, name, bytes}       (bytes: a transferred ArrayBuffer)
//                 {type: 'fetch-model', id, url}
//                 {type: 'unzip', id, name, bytes}         (a user's .zip of images)
//                 {type: 'metric', id, name, x, xRows, y, yRows, params}  (x, y: row-major Float64Array buffers)
//                 {type: 'core', id, name, args}             (one of CORE_FUNCTIONS, by name, with its arguments)
//   `models` maps a spec's "onnx" file name to its bytes, `data` a data file's name to its bytes
//   (transferred ArrayBuffers); `stimuli` are the user's images, [{name, bytes}] in order.
// Worker -> page: {type: 'ready', flavor, threads, version, note?}
//                 {type: 'init-error', message}
//                 {type: 'progress', id, progress}
//                 {type: 'result', id, result, exports?}  (exports: the spec.export .zip, a transferred ArrayBuffer)
//                 {type: 'error', id, message, fatal}
//                 {type: 'cancelled', id}
//                 {type: 'inspection', id, name, size, inspection, bytes?}  (bytes: after fetch-model)
//                 {type: 'inspect-error', id, message}
//                 {type: 'unzipped', id, files: [{name, bytes}]} / {type: 'unzip-error', id, message}
//                 {type: 'metric-result', id, result} / {type: 'metric-error', id, message}
//                 {type: 'core-result', id, value} / {type: 'core-error', id, message}
// Requests (inspect, fetch-model, unzip, metric, core) are answered by id: www/page/worker-client.js's `call`.
// A core request does not wait for a run: it is answered between two of the run's steps.
// `fatal: true` means the wasm instance trapped and must not be used again:
// the page terminates this worker and starts a new one.

let wasm = null;          // the imported pkg module
let wasmMemory = null;    // its WebAssembly.Memory (for the memory reported with results)
let readyInfo = null;     // what was posted with 'ready'
let current = null;       // {id, cancelled, abort: AbortController} of the run in progress
let queue = Promise.resolve();
let poisoned = false;     // set after a wasm trap

// What the page asks the core to compute (crate/src/wasm.rs), so that it exists once, in Rust:
// the result's CSV and report (the bytes `idlab run` writes), the spec's upgrade, what a spec
// needs before it runs (files, stimulus sets and their sizes) and the memory it will take.
const CORE_FUNCTIONS = new Set(['tidy_csv', 'report_text', 'upgrade_spec', 'spec_inputs', 'estimate_memory']);

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
    queue = queue.then(() => runOne(msg.id, msg.spec, msg.models || {}, msg.data || {}, msg.stimuli || []));
    return;
  }
  self.postMessage({ type: 'error', id: msg.id, message: `Unknown message type: ${String(msg.type)}`, fatal: false });
};

async function init() {
  const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  let note;
  if (isolated) {
    try {
      const pkg = await import('./pkg/threads/idlab.js');
      wasmMemory = (await pkg.default()).memory;
      const threads = Math.max(1, navigator.hardwareConcurrency || 1);
      await pkg.initThreadPool(threads);
      return announce(pkg, threads);
    } catch (err) {
      // Keep the page usable: fall back to the single-threaded build, and say so.
      note = `the threaded build failed to start (${describe(err)}); using the single-threaded build`;
      console.warn(`idlab: ${note}`);
    }
  }
  const pkg = await import('./pkg/single/idlab.js');
  wasmMemory = (await pkg.default()).memory;
  return announce(pkg, 1, note);
}

function announce(pkg, threads, note) {
  wasm = pkg;
  const info = plain(pkg.build_info());
  readyInfo = { type: 'ready', flavor: info.flavor, version: info.version, threads };
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
    const value = plain(wasm[name](...(Array.isArray(msg.args) ? msg.args : [])));
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
        resolved = new URL(url, self.location.href);
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

async function runOne(id, spec, models, data, uploaded) {
  const run = { id, cancelled: false, abort: new AbortController() };
  current = run;
  let session = null;
  const started = performance.now();
  try {
    try {
      await initialised;
    } catch (err) {
      throw new Error(`The WebAssembly module is not available: ${describe(err)}`);
    }
    if (poisoned) throw new Error('The WebAssembly module crashed earlier; reload the page.');
    if (run.cancelled) return cancelled(run);

    session = new wasm.Session(spec);
    for (const file of Array.from(session.model_files())) {
      const buffer = models[file];
      if (!buffer) throw new Error(`The spec names the model ${file}, but its file was not given; choose it again under "Your model (ONNX)".`);
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

    // Each step's wall time, kept with the result (the run report and the wasm benchmark read it).
    const steps = [];
    while (!session.is_done()) {
      await yieldToEventLoop();
      if (run.cancelled) return cancelled(run);
      const t0 = performance.now();
      const progress = plain(session.step());
      steps.push({ stage: progress.stage, label: progress.label, seconds: (performance.now() - t0) / 1000 });
      post(run, progress);
    }
    const result = plain(session.result((performance.now() - started) / 1000));
    result.timings = { steps, wasm_memory_bytes: wasmMemory ? wasmMemory.buffer.byteLength : null };
    // The activations and RDMs the spec keeps, as the core's .zip (a copy in JS memory, so its buffer transfers).
    const exports = spec && spec.export ? session.exports_zip().buffer : null;
    self.postMessage({ type: 'result', id, result, exports }, exports ? [exports] : []);
  } catch (err) {
    if (run.cancelled && !(err instanceof WebAssembly.RuntimeError)) return cancelled(run);
    reportError(run, err);
  } finally {
    run.abort.abort(); // stop downloads nobody will read
    if (session && !poisoned) {
      try { session.free(); } catch { /* already freed or instance unusable */ }
    }
    if (current === run) current = null;
  }
}

async function fetchBytes(path, signal, what = 'stimulus') {
  const url = new URL('./' + path.replace(/^\/+/, ''), self.location.href);
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
// into plain JSON-like data, so the page can JSON.stringify it.
function plain(value) {
  if (value instanceof Map) {
    const obj = {};
    for (const [k, v] of value) obj[String(k)] = plain(v);
    return obj;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value, (x) => (typeof x === 'bigint' ? Number(x) : x));
  }
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object') {
    const obj = {};
    for (const [k, v] of Object.entries(value)) obj[k] = plain(v);
    return obj;
  }
  return value;
}
