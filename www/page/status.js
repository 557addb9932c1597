// The run in progress as the page shows it: progress bar, status line with an ETA,
// the tab title, Cancel (with a hard stop when the worker does not answer), stall
// detection, and the run's end (result, failure or cancel).

import { setBusy } from './run-gate.js';
import { ui, setStatus, announce, showError, clearError } from './dom.js';
import { state } from './state.js';
import { ensureWorker, restartWorker, handleRuns } from './worker-client.js';
import { renderResult } from './result.js';
import { formatSeconds, STAGE_NAMES } from '../format.js';

const CANCEL_GRACE_MS = 5000;   // after this, a cancel that was not acknowledged terminates the worker
const STALL_MS = 120000;        // no message from a running worker for this long: it is stuck (e.g. a thread crashed)

let active = null;      // the run in progress, see beginRun()
let runCounter = 0;
const baseTitle = document.title;

handleRuns({
  message(msg) {
    if (!active || msg.id !== active.id) return; // stale message from an earlier run
    active.lastMessageAt = performance.now();
    switch (msg.type) {
      case 'progress':
        onProgress(msg.progress);
        break;
      case 'result':
        onResult(msg.result, msg.exports);
        break;
      case 'error':
        failRun(active.id, msg.message, { restart: msg.fatal === true });
        break;
      case 'cancelled':
        finishCancelled(active.id);
        break;
      default:
        console.warn('idlab: unexpected message from the worker', msg);
    }
  },
  fail(entry, message, opts) {
    if (!active || active.entry !== entry) return false;
    failRun(active.id, message, opts);
    return true;
  },
});

/** True while a run is in progress. */
export function running() {
  return active !== null;
}

/** True while the run `id` is the one in progress. */
export function isActive(id) {
  return active !== null && active.id === id;
}

/** Starts showing a new run of `spec`; returns {id, entry (its worker), promise (of its result)}. */
export function beginRun(spec) {
  const id = ++runCounter;
  const entry = ensureWorker();
  const promise = new Promise((resolve, reject) => {
    active = {
      id, entry, spec, resolve, reject,
      startedAt: performance.now(),
      lastMessageAt: performance.now(),
      stepsStartedAt: null,
      lastStage: null,
      posted: false,
      cancelTimer: null,
      stallTimer: null,
    };
  });
  clearError();
  setRunning(true);
  ui.name.textContent = spec && spec.name ? spec.name : 'Custom experiment';
  setStatus('Starting the compute worker…');
  ui.progress.removeAttribute('value'); // indeterminate until the first progress message
  announce('Run started.');
  return { id, entry, promise };
}

/** Posts the run `id` to its worker (`message` without its id) and starts watching for a stall. */
export function postRun(id, message, transfer) {
  active.posted = true;
  active.lastMessageAt = performance.now();
  active.stallTimer = setInterval(() => checkStall(id), 5000);
  active.entry.worker.postMessage({ ...message, id }, transfer);
}

export function cancel() {
  if (!active || active.cancelling) return;
  const run = active;
  run.cancelling = true;
  ui.cancel.disabled = true;
  setStatus('Cancelling…');
  if (!run.posted) {
    finishCancelled(run.id);
    return;
  }
  run.entry.worker.postMessage({ type: 'cancel', id: run.id });
  run.cancelTimer = setTimeout(() => {
    // The worker is busy inside one long step (or stuck): stop it the hard way.
    if (active && active.id === run.id) {
      restartWorker();
      finishCancelled(run.id);
    }
  }, CANCEL_GRACE_MS);
}

function checkStall(id) {
  if (!active || active.id !== id || active.cancelling) return;
  if (performance.now() - active.lastMessageAt > STALL_MS) {
    failRun(id, `The computation stopped responding for ${Math.round(STALL_MS / 1000)} s ` +
      '(a worker thread may have crashed; the browser console may say more). The compute worker was restarted.',
    { restart: true });
  }
}

function endRun(id) {
  if (!active || active.id !== id) return null;
  const run = active;
  clearTimeout(run.cancelTimer);
  clearInterval(run.stallTimer);
  active = null;
  setRunning(false);
  document.title = baseTitle;
  return run;
}

function finishCancelled(id) {
  const run = endRun(id);
  if (!run) return;
  ui.progress.value = 0;
  ui.progress.max = 1;
  setStatus('Cancelled.');
  announce('Run cancelled.');
  const err = new Error('Cancelled');
  err.name = 'AbortError';
  run.reject(err);
}

export function failRun(id, message, { restart = false, shown = false } = {}) {
  const run = endRun(id);
  if (!run) return;
  if (!shown) showError(message);
  setStatus('Failed: see the error below.');
  if (!ui.progress.hasAttribute('value')) ui.progress.value = 0;
  if (restart) restartWorker();
  run.reject(new Error(message));
}

function onProgress(p) {
  state.lastProgress = p;
  const run = active;
  const now = performance.now();
  const weights = p.stage === 'loading weights';
  const loading = p.stage === 'loading stimuli' || weights;
  if (!loading && run.stepsStartedAt === null) {
    // The first step just finished; it started when the last stimulus was added. A resumed run
    // starts past the steps and images its checkpoints restored (its first step adds no image).
    run.stepsStartedAt = run.loadedAt ?? run.startedAt;
    run.stepsBefore = Math.max(0, (Number(p.done) || 1) - 1);
    run.imagesBefore = Number(p.images_done) || 0;
  }
  if (loading) run.loadedAt = now;

  const total = Math.max(1, Number(p.total) || 0);
  ui.progress.max = total;
  ui.progress.value = Math.min(total, Number(p.done) || 0);

  const stage = STAGE_NAMES[p.stage] || p.stage;
  if (p.stage !== run.lastStage) {
    announce(`${stage}…`);
    run.lastStage = p.stage;
  }
  let text = stage;
  if (p.label) text += ` (${p.label})`;
  if (weights) {
    text += `: ${megabytes(p.bytes_done)} of ${p.bytes_total ? megabytes(p.bytes_total) : 'unknown size'}`;
  } else if (loading) {
    text += `: ${p.done} / ${p.total} images`;
  } else {
    text += `: ${p.images_done} / ${p.images_total} images recorded, step ${p.done} / ${p.total}`;
    const eta = estimate(run, p, now);
    if (eta !== null) text += ` · about ${formatSeconds(eta)} left`;
  }
  if (p.note) text += ` · ${p.note}`; // e.g. "resumed: 2 of 4 models already finished"
  setStatus(text);
  document.title = `(${Math.floor((100 * ui.progress.value) / total)}%) ${baseTitle}`;
}

/** "3.2 MB" (decimal megabytes, one decimal): a download's progress. */
function megabytes(n) {
  return `${((Number(n) || 0) / 1e6).toFixed(1)} MB`;
}

// Remaining time, from two paces that err in opposite directions, averaged: per step (builds,
// image batches and scoring steps counted alike: too long when many cheap scoring steps remain,
// as preset 4's 21 minutes predicted for 9), and per image recorded (builds and scoring so far
// included: too short when the last scoring is heavy, as a 16-image regression run's). On a
// reduced preset 1 (tests/e2e/eta.test.mjs) the first read 20% long, the second 33% short at a
// third of the run, their mean 12% long. Once every image is recorded, the remaining steps at their own pace.
function estimate(run, p, now) {
  const done = p.done - (run.stepsBefore || 0);
  if (run.stepsStartedAt === null || !(done > 0) || p.stage === 'done') return null;
  const elapsed = (now - run.stepsStartedAt) / 1000;
  if (elapsed < 0.5) return null;
  const stepsLeft = Math.max(0, p.total - p.done);
  const bySteps = (elapsed / done) * stepsLeft;
  const images = p.images_done - (run.imagesBefore || 0);
  if (!(p.images_total > 0) || !(images > 0)) return bySteps;
  if (p.images_done < p.images_total) {
    run.recordedAt = null;
    return (bySteps + (elapsed / images) * (p.images_total - p.images_done)) / 2;
  }
  if (!run.recordedAt) run.recordedAt = { at: now, done: p.done };
  const since = p.done - run.recordedAt.done;
  if (since <= 0) return bySteps;
  return ((now - run.recordedAt.at) / 1000 / since) * stepsLeft;
}

function onResult(result, exports) {
  const run = endRun(active.id);
  state.lastResult = result;
  state.lastExports = exports ? new Blob([exports], { type: 'application/zip' }) : null;
  ui.progress.max = 1;
  ui.progress.value = 1;
  const seconds = (performance.now() - run.startedAt) / 1000;
  setStatus(`Done in ${formatSeconds(seconds)}.`);
  announce(`Run finished in ${formatSeconds(seconds)}.`);
  try {
    renderResult(result);
  } catch (err) {
    showError(`The result arrived but could not be shown: ${err.message}`);
  }
  run.resolve(result);
}

function setRunning(running) {
  setBusy(running);
  ui.cancel.disabled = !running;
  ui.heatmap.parentElement.setAttribute('aria-busy', String(running));
}
