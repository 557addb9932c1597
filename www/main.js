// idlab page: the entry point. It builds the form's two sides, wires the page's modules
// (www/page/) and starts the compute worker (worker.js); no computation happens on this
// thread. `window.idlab` is the hook the end-to-end tests (tests/e2e/) drive the page by.

import { ui, showError } from './page/dom.js';
import { state, userFiles, userWeights } from './page/state.js';
import { ensureWorker, metric, core, weightsCache } from './page/worker-client.js';
import { cancel, running } from './page/status.js';
import { run, runFromTextarea } from './page/run.js';
import { buildSides, wireForm, loadZoo, learnSetSizes, settled } from './page/form.js';
import { specPreflight } from './page/memory.js';
import { upgraded, memoryEstimate } from './page/core.js';
import { wireUploads } from './page/uploads.js';
import { wirePermalink } from './page/permalink.js';
import { loadPreset, loadPresetMenu } from './page/presets.js';
import { checkFits } from './zoo.js';
import { setLoaded } from './page/run-gate.js';
import { refreshKept } from './page/weights.js';
import { wireClassify, checkSide, cancelCheck, classifyResults } from './page/classify.js';
import { isolation, fillOfflineAfter } from './isolation.js';

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
wireClassify();

// The worker starts once the page knows whether it is cross-origin isolated (isolation.js): the
// worker picks the threaded build only then, and a page about to reload once for isolation
// (isolation never settles) downloads no wasm. What needs the worker (the preset's upgrade,
// the zoo) waits with it; the page itself is drawn meanwhile.
const started = isolation.then(() => ensureWorker()); // ensure: a request made meanwhile may have started it
fillOfflineAfter(started.then((entry) => entry.ready)); // the offline cache's large downloads wait for the worker's own

window.idlab = {
  get ready() {
    return started.then(() => ensureWorker().ready);
  },
  /** {isolated, how: 'headers' | 'service-worker' | null, why}: see isolation.js. */
  isolation,
  run,
  cancel,
  get lastResult() { return state.lastResult; },
  /** The last run's activations and RDMs as a .zip Blob (null when its spec had no export). */
  get lastExports() { return state.lastExports; },
  get lastProgress() { return state.lastProgress; },
  get running() { return running(); },
  /** The models of models/zoo.json (null until loaded). */
  get zoo() { return state.zooModels; },
  /** The core's memory estimate of a spec (estimate_memory): {images, models: [{id, arch, total, …}], total} in bytes. */
  estimateMemory: async (spec) => memoryEstimate(await upgraded(spec)),
  /** {fits, total, limit, message}: whether one model's estimate fits in this tab; message names the model and numbers. */
  checkFits,
  /** The message Run would refuse a spec with, or null. */
  preflight: async (spec) => (state.zooModels ? specPreflight(await upgraded(spec)) : null),
  /** Resolves once the form shows the core's numbers (set sizes, memory) for the spec shown. */
  settled,
  /** One metric of two matrices in the worker, as `idlab metric NAME` computes it (see worker-client.js). */
  metric,
  /** One of the core's functions by name (tidy_csv, report_text, upgrade_spec, spec_inputs, estimate_memory), as the page asks it. */
  core,
  /** Names of the ONNX files chosen in this tab. */
  get userModels() { return [...userFiles.keys()]; },
  /** Names of the trained weights files chosen in this tab. */
  get userWeights() { return [...userWeights.keys()]; },
  /** The entries of models/weights.json (null until loaded, [] when it could not be). */
  get weightsCatalogue() { return state.weightsCatalogue; },
  /** What the worker keeps in Cache Storage: {available, why, entries: [{name, url, sha256, by, size}], total}; shown in the page. */
  keptWeights: async () => (await refreshKept()) || weightsCache('list'),
  /** Empties the kept weights (as the Clear button does); resolves with the listing. */
  clearKeptWeights: async () => {
    await weightsCache('clear');
    return refreshKept();
  },
  /** {name, message} of the last weights file a run could not use (also shown beside its control). */
  get lastWeightsError() { return state.lastWeightsError; },
  /**
   * "Check: top-5 classes" of a side ('source' | 'target'), as its button runs it, or of `model`
   * (a spec side) when given; resolves with {label, imagenet, images: [{image, top: [{index, label, p}]}], cancelled}.
   */
  classify: (side, options) => checkSide(side, options),
  cancelClassify: cancelCheck,
  /** Per side, the last check's result (as classify resolves with). */
  get classifyResults() { return classifyResults; },
};

state.zooReady = started.then(() => loadZoo());
started.then(() => loadPresetMenu());
Promise.all([started.then(() => loadPreset()), state.zooReady]).then(([spec]) => spec).then(
  (spec) => {
    setLoaded();
    const autorun = new URLSearchParams(location.search).get('autorun') !== '0';
    if (autorun && !state.holdAutorun) run(spec).catch(() => { /* shown in #error, or cancelled */ });
    ensureWorker().ready.then(learnSetSizes, () => { /* shown in #error */ });
    ensureWorker().ready.then(refreshKept, () => { /* shown in #error */ });
  },
  (err) => {
    setLoaded();
    showError(err.message);
  },
);
