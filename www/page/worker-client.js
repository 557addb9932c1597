// The page's side of the conversation with the compute worker (worker.js): starting
// and restarting it, the build line, request/reply calls (inspection, unzip, metric, and
// `core`: what the page asks the Rust core to compute), and handing a run's messages to
// whoever handles runs (status.js). Without the page's elements (a view on a page of its
// own) it still works: it only has no build line to write.

import { ui, showError } from './dom.js';
import { singleThreadNote } from '../help/texts.js';

let worker = null;      // {worker, ready, info, failed}
const requests = new Map(); // request id -> {entry (the worker asked), resolve, reject}
let requestCounter = 0;
// Set by status.js: the run in progress hears its messages, and is failed when the worker does.
let runs = {
  message() {},
  /** Fails the run on `entry` with `message`; false when no run was on it. */
  fail() { return false; },
};

/** Who hears run messages ({message(msg), fail(entry, message, opts)}). */
export function handleRuns(handler) {
  runs = handler;
}

export function startWorker() {
  const entry = { worker: new Worker('worker.js', { type: 'module' }), info: null, failed: null };
  entry.ready = new Promise((resolve, reject) => {
    entry.resolveReady = resolve;
    entry.rejectReady = reject;
  });
  entry.ready.catch(() => {}); // failures are shown in #error; callers that await it still see the rejection
  entry.worker.onmessage = (event) => onWorkerMessage(entry, event.data);
  entry.worker.onerror = (event) => onWorkerCrash(entry, event);
  entry.worker.onmessageerror = () => onWorkerCrash(entry, { message: 'a message from the worker could not be read' });
  worker = entry;
  setBuild('Build: loading…');
  return entry;
}

/** The worker, started afresh when there is none or the last one failed. */
export function ensureWorker() {
  if (!worker || worker.failed) {
    if (worker) stop(worker);
    startWorker();
  }
  return worker;
}

export function restartWorker() {
  if (worker) stop(worker);
  worker = null;
  startWorker();
}

/** Terminates a worker; the requests it had not answered are rejected (they can be asked again). */
function stop(entry) {
  entry.worker.terminate();
  for (const [id, request] of requests) {
    if (request.entry !== entry) continue;
    requests.delete(id);
    request.reject(new Error('The compute worker was restarted before it answered; try again.'));
  }
}

/**
 * Sends a request (inspect, fetch-model, unzip, metric) once the worker is ready;
 * resolves with its reply (a metric's result object), rejects with its error message.
 */
export function call(message, transfer = [], { onEvent } = {}) {
  const entry = ensureWorker();
  const id = `request-${++requestCounter}`;
  return entry.ready.then(() => new Promise((resolve, reject) => {
    requests.set(id, { entry, resolve, reject, onEvent });
    entry.worker.postMessage({ ...message, id }, transfer);
  }));
}

// Who hears a run's weights events ('weights-error': a file the core refused; 'weights-loaded').
const weightsListeners = new Set();

/** Calls `handler(msg)` for each run's weights event; returns a function that stops it. */
export function onWeightsEvent(handler) {
  weightsListeners.add(handler);
  return () => weightsListeners.delete(handler);
}

/**
 * Downloads a weights file into the worker's cache ({name, url, sha256?, bytes?: the expected
 * size}); `onProgress({loaded, total})` hears its progress. Returns {promise (of {name, size,
 * from: 'cache' | 'network', kept, sha256}), cancel()}.
 */
export function fetchWeights(params, onProgress) {
  let cancelled = false;
  const before = requestCounter;
  const promise = call({ type: 'fetch-weights', ...params }, [], {
    onEvent: (msg) => { if (onProgress && msg.type === 'weights-progress') onProgress(msg); },
  });
  const id = `request-${before + 1}`; // call() numbered this request synchronously
  return {
    promise,
    cancel() {
      if (cancelled) return;
      cancelled = true;
      if (worker) worker.worker.postMessage({ type: 'cancel-fetch', target: id });
    },
  };
}

/** What the worker keeps in Cache Storage ({available, why, entries, total}); `clear` empties it first. */
export function weightsCache(action = 'list') {
  return call({ type: 'weights-cache', action }).then((reply) => reply.value);
}

/**
 * Calls one of the core's functions (crate/src/wasm.rs: tidy_csv, report_text, upgrade_spec,
 * spec_inputs, estimate_memory) in the worker with `args` (JSON-like values); resolves with
 * its value, rejects with the core's message. Answered before the first run and during one.
 */
export function core(name, ...args) {
  return call({ type: 'core', name, args }).then((reply) => reply.value);
}

/**
 * One metric of two matrices (arrays of rows, or {rows, data: Float64Array} row-major, which
 * is transferred: stimuli x units) in the worker, as `idlab metric NAME` computes it; params
 * as MetricParams ({lambda: [1], folds: 10, ...}). Resolves with the core's JSON object
 * (metric, value, detail) plus `seconds`.
 */
export function metric(name, x, y, params) {
  const flat = (m, what) => {
    if (m && m.data instanceof Float64Array && Number.isInteger(m.rows)) return m.data; // {rows, data}: row-major
    if (!Array.isArray(m) || !m.length || !Array.isArray(m[0])) throw new Error(`${what} must be an array of rows or {rows, data: Float64Array}`);
    const cols = m[0].length;
    const out = new Float64Array(m.length * cols);
    m.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols) throw new Error(`${what}: row ${i} has ${row && row.length} values, row 0 has ${cols}`);
      out.set(row, i * cols);
    });
    return out;
  };
  const xs = flat(x, 'x');
  const ys = flat(y, 'y');
  const rows = (m) => (Array.isArray(m) ? m.length : m.rows);
  return call({ type: 'metric', name, x: xs.buffer, xRows: rows(x), y: ys.buffer, yRows: rows(y), params },
    [xs.buffer, ys.buffer]);
}

function onWorkerMessage(entry, msg) {
  if (entry !== worker) return; // a message from a worker we already replaced
  switch (msg.type) {
    case 'ready': {
      entry.info = { flavor: msg.flavor, threads: msg.threads, version: msg.version };
      setBuild(buildText(entry.info) + (msg.note ? ` (${msg.note})` : ''));
      entry.resolveReady({ flavor: msg.flavor, threads: msg.threads });
      return;
    }
    case 'init-error': {
      entry.failed = msg.message;
      setBuild('Build: unavailable');
      showError(msg.message);
      entry.rejectReady(new Error(msg.message));
      runs.fail(entry, msg.message, { shown: true });
      return;
    }
    case 'inspection':
    case 'inspect-error':
    case 'unzipped':
    case 'unzip-error':
    case 'metric-result':
    case 'metric-error':
    case 'core-result':
    case 'core-error':
    case 'weights-fetched':
    case 'weights-fetch-error':
    case 'weights-cache-result':
    case 'weights-cache-error': {
      const request = requests.get(msg.id);
      if (!request) return;
      requests.delete(msg.id);
      if (msg.type.endsWith('-error')) request.reject(new Error(msg.message));
      else request.resolve(msg.type === 'metric-result' ? msg.result : msg);
      return;
    }
    case 'weights-progress': {
      const request = requests.get(msg.id);
      if (request && request.onEvent) request.onEvent(msg);
      return;
    }
    case 'weights-error':
    case 'weights-loaded':
      for (const listener of weightsListeners) listener(msg);
      return;
    default:
      runs.message(msg);
  }
}

// An uncaught error inside the worker, or the worker script failed to load.
function onWorkerCrash(entry, event) {
  if (event && typeof event.preventDefault === 'function') event.preventDefault();
  if (entry !== worker) return;
  const detail = event && event.message ? event.message : 'it could not be loaded or stopped unexpectedly';
  const message = `The compute worker failed: ${detail}`;
  if (!entry.info) {
    // It never became ready: do not loop; the next Run starts a fresh one.
    entry.failed = message;
    setBuild('Build: unavailable');
    entry.rejectReady(new Error(message));
  }
  if (!runs.fail(entry, message, { restart: Boolean(entry.info) })) {
    showError(message);
    if (entry.info) restartWorker();
  }
}

function setBuild(text) {
  if (ui.build) ui.build.textContent = text;
}

function buildText(info) {
  if (info.flavor === 'threads') {
    return `Build: threaded (${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  }
  return globalThis.crossOriginIsolated ? 'Build: single-threaded' : `Build: ${singleThreadNote(navigator.hardwareConcurrency)}`;
}
