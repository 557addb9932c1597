// idlab page: the entry point. It builds the form's two sides, wires the page's modules
// (www/page/) and starts the compute worker (worker.js); no computation happens on this
// thread. `window.idlab` is the hook the end-to-end tests (tests/e2e/) drive the page by.

import { ui, showError } from './page/dom.js';
import { state, userFiles } from './page/state.js';
import { startWorker, ensureWorker, metric } from './page/worker-client.js';
import { cancel, running } from './page/status.js';
import { run, runFromTextarea } from './page/run.js';
import { buildSides, wireForm, loadZoo } from './page/form.js';
import { specPreflight } from './page/memory.js';
import { wireUploads } from './page/uploads.js';
import { wirePermalink } from './page/permalink.js';
import { loadPreset, loadPresetMenu } from './page/presets.js';
import { estimateMemory, checkFits } from './zoo.js';
import { upgradeSpec } from './spec.js';

buildSides(); // before anything looks up a side's elements

window.addEventListener('error', (event) => showError(`Unexpected error: ${event.message}`));
window.addEventListener('unhandledrejection', (event) => {
  const r = event.reason;
  showError(`Unexpected error: ${r && r.message ? r.message : String(r)}`);
});

ui.run.addEventListener('click', runFromTextarea);
ui.cancel.addEventListener('click', cancel);
wireForm(runFromTextarea);
wireUploads();
wirePermalink();

window.idlab = {
  get ready() {
    return ensureWorker().ready;
  },
  run,
  cancel,
  get lastResult() { return state.lastResult; },
  /** The last run's activations and RDMs as a .zip Blob (null when its spec had no export). */
  get lastExports() { return state.lastExports; },
  get lastProgress() { return state.lastProgress; },
  get running() { return running(); },
  /** The models of models/zoo.json (null until loaded). */
  get zoo() { return state.zooModels; },
  /** Peak memory estimate for a zoo entry on `images` images: {arch, weights, activations, base, total, …} in bytes. */
  estimateMemory,
  /** {fits, total, limit, message}: whether an estimate fits in this tab; message names the model and numbers. */
  checkFits,
  /** The message Run would refuse a spec with, or null. */
  preflight: (spec) => (state.zooModels ? specPreflight(upgradeSpec(spec)) : null),
  /** One metric of two matrices in the worker, as `idlab metric NAME` computes it (see worker-client.js). */
  metric,
  /** Names of the ONNX files chosen in this tab. */
  get userModels() { return [...userFiles.keys()]; },
};

startWorker();
loadPresetMenu();
state.zooReady = loadZoo();
Promise.all([loadPreset(), state.zooReady]).then(([spec]) => spec).then(
  (spec) => {
    if (!running()) ui.run.disabled = false;
    const autorun = new URLSearchParams(location.search).get('autorun') !== '0';
    if (autorun) run(spec).catch(() => { /* shown in #error, or cancelled */ });
  },
  (err) => {
    if (!running()) ui.run.disabled = false;
    showError(err.message);
  },
);
