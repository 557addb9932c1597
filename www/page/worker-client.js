// The page's side of the conversation with the compute worker (worker.js): the build line,
// #error, and handing a run's messages to whoever handles runs (status.js). The worker itself,
// its start and restart and the request/reply calls are worker-link.js's (DOM-free, shared with
// the embed). Without the page's elements (a view on a page of its own) it still works: it only
// has no build line to write.

import { ui, showError } from './dom.js';
import { singleThreadNote } from '../help/texts.js';
import { createWorkerLink } from './worker-link.js';
import { threadedBuild } from '../format.js';

// Set by status.js: the run in progress hears its messages, and is failed when the worker does.
let runs = {
  message() {},
  /** Fails the run on `entry` with `message`; false when no run was on it. */
  fail() { return false; },
};

const link = createWorkerLink('worker.js', {
  ready(entry, msg) {
    setBuild(buildText(entry.info) + (msg.note ? ` (${msg.note})` : ''));
  },
  initError(entry, message) {
    setBuild('Build: unavailable');
    showError(message);
    runs.fail(entry, message, { shown: true });
  },
  crash(entry, message) {
    if (!entry.info) setBuild('Build: unavailable');
    if (!runs.fail(entry, message, { restart: Boolean(entry.info) })) {
      showError(message);
      if (entry.info) restartWorker();
    }
  },
  weights(msg) {
    for (const listener of weightsListeners) listener(msg);
  },
  run(msg) {
    runs.message(msg);
  },
});

/** Who hears run messages ({message(msg), fail(entry, message, opts)}). */
export function handleRuns(handler) {
  runs = handler;
}

export function startWorker() {
  const entry = link.start();
  setBuild('Build: loading…');
  return entry;
}

/** The worker, started afresh when there is none or the last one failed. */
export function ensureWorker() {
  const before = link.current;
  const entry = link.ensure();
  if (entry !== before) setBuild('Build: loading…');
  return entry;
}

export function restartWorker() {
  link.restart();
  setBuild('Build: loading…');
}

/**
 * Sends a request (inspect, fetch-model, unzip, metric) once the worker is ready;
 * resolves with its reply (a metric's result object), rejects with its error message.
 */
export function call(message, transfer = [], { onEvent } = {}) {
  const before = link.current;
  const reply = link.call(message, transfer, { onEvent });
  if (link.current !== before) setBuild('Build: loading…');
  return reply;
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
  const id = link.nextId(); // call() numbers this request synchronously
  const promise = call({ type: 'fetch-weights', ...params }, [], {
    onEvent: (msg) => { if (onProgress && msg.type === 'weights-progress') onProgress(msg); },
  });
  return {
    promise,
    cancel() {
      if (cancelled) return;
      cancelled = true;
      if (link.current) link.current.worker.postMessage({ type: 'cancel-fetch', target: id });
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

function setBuild(text) {
  if (ui.build) ui.build.textContent = text;
}

// How the page came to be isolated, or why not, is isolation.js's `window.idlabIsolation` (absent
// on a page that does not include it, such as an embed's host).
function buildText(info) {
  const isolation = globalThis.idlabIsolation;
  if (info.flavor === 'threads') {
    const how = isolation && isolation.how === 'service-worker'
      ? '; cross-origin isolated by the site\'s service worker, as this host sends no COOP/COEP headers' : '';
    return `Build: ${threadedBuild(info)}${how}`;
  }
  return globalThis.crossOriginIsolated
    ? 'Build: single-threaded'
    : `Build: ${singleThreadNote(navigator.hardwareConcurrency, isolation && isolation.why)}`;
}
