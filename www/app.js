// idlab page: user interface, Plotly rendering, and the conversation with the
// compute worker (worker.js). No computation happens on this thread.

import {
  ZOO_URL, setSize, MIN_IMAGES, parseZoo, groupByFamily, modelLabel, estimateMemory, checkFits,
  describeEstimate, formatBytes, memoryLimit, preflight, preflightModels, specImages, sameInput, maxImages, setUploadCount, exportBytes,
} from './zoo.js';
import { upgradeSpec, formView, fromFormView, specModels, specDataFiles } from './spec.js';
import { renderResult as renderViews, metricName } from './views.js';
import { exportButtons } from './export.js';

const PRESET_URL = 'presets/alexnet-seeds-cka.json';
const PRESETS_INDEX_URL = 'presets/index.json';
const CANCEL_GRACE_MS = 5000;   // after this, a cancel that was not acknowledged terminates the worker
const STALL_MS = 120000;        // no message from a running worker for this long: it is stuck (e.g. a thread crashed)

const $ = (id) => document.getElementById(id);
const ui = {
  run: $('run'),
  cancel: $('cancel'),
  build: $('build'),
  progress: $('progress'),
  status: $('status'),
  announce: $('announce'),
  error: $('error'),
  spec: $('spec'),
  resetSpec: $('reset-spec'),
  name: $('experiment-name'),
  summary: $('summary'),
  heatmap: $('heatmap'),
  download: $('download'),
  tableDetails: $('table-details'),
  tableWrap: $('table-wrap'),
  form: $('model-form'),
  sourceArch: $('source-arch'),
  sourceSeed: $('source-seed'),
  sourceMemory: $('source-memory'),
  targetArch: $('target-arch'),
  targetSeed: $('target-seed'),
  targetMemory: $('target-memory'),
  images: $('images'),
  imagesMax: $('images-max'),
  formNote: $('form-note'),
  memoryLimit: $('memory-limit'),
  permalink: $('permalink'),
  stimulusSet: $('stimulus-set'),
  copyLink: $('copy-link'),
  preset: $('preset'),
  about: $('about'),
  views: $('views'),
  exports: $('exports'),
  uploadImages: $('upload-images'),
  uploadFolder: $('upload-folder'),
  imagesDrop: $('images-drop'),
  imagesInfo: $('images-info'),
  thumbs: $('thumbs'),
  uploadData: $('upload-data'),
  dataDrop: $('data-drop'),
  dataInfo: $('data-info'),
  useResponses: $('use-responses'),
  useRdms: $('use-rdms'),
  keepExports: $('keep-exports'),
};

// The "Your model (ONNX)" entry of each side's model selector.
const ONNX_OPTION = '__onnx__';
// Layers chosen by default in a user's model: up to this many, evenly spaced
// among the outputs of these ops (else among all candidates).
const DEFAULT_ONNX_LAYERS = 10;
const DEFAULT_ONNX_OPS = ['Relu', 'Gemm', 'Add'];

const STAGE_NAMES = {
  'loading stimuli': 'Loading stimuli',
  building: 'Building models',
  recording: 'Recording activations',
  comparing: 'Comparing layers',
  done: 'Finishing',
};

let worker = null;      // {worker, ready, info, failed}
let active = null;      // the run in progress, see run()
let runCounter = 0;
let defaultSpecText = '';
let lastResult = null;
let lastExports = null;  // the last run's activations and RDMs (a .zip Blob), when its spec asked for them
let lastProgress = null;
const baseTitle = document.title;
let zooModels = null;   // models[] of models/zoo.json once loaded
let defaultSpec = null; // the preset, parsed
let zooError = null;    // why models/zoo.json could not be used, if it could not
let formSpec = null;    // the last spec the textarea parsed to (or the form wrote): what the form shows
// Users' ONNX files, by name (the spec's "onnx" value): {bytes: ArrayBuffer, size, inspection}.
// They stay in this tab; a copy of the bytes goes to the worker with each run.
const userFiles = new Map();
// The user's images ({folder, files: [{name, bytes: ArrayBuffer}]}, natural order) and data files
// (name -> {bytes, size}): they stay in this tab; copies go to the worker with each run.
let userStimuli = null;
const userData = new Map();
let lastDataFile = null;
const inspections = new Map(); // request id -> {side, bytes?, resolve, reject}
let inspectCounter = 0;

// ---------------------------------------------------------------- worker

function startWorker() {
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
  ui.build.textContent = 'Build: loading…';
  return entry;
}

function ensureWorker() {
  if (!worker || worker.failed) {
    if (worker) worker.worker.terminate();
    startWorker();
  }
  return worker;
}

function restartWorker() {
  if (worker) worker.worker.terminate();
  worker = null;
  startWorker();
}

function onWorkerMessage(entry, msg) {
  if (entry !== worker) return; // a message from a worker we already replaced
  switch (msg.type) {
    case 'ready': {
      entry.info = { flavor: msg.flavor, threads: msg.threads, version: msg.version };
      ui.build.textContent = buildText(entry.info) + (msg.note ? ` (${msg.note})` : '');
      entry.resolveReady({ flavor: msg.flavor, threads: msg.threads });
      return;
    }
    case 'init-error': {
      entry.failed = msg.message;
      ui.build.textContent = 'Build: unavailable';
      showError(msg.message);
      entry.rejectReady(new Error(msg.message));
      if (active && active.entry === entry) failRun(active.id, msg.message, { shown: true });
      return;
    }
    case 'inspection':
    case 'inspect-error':
    case 'unzipped':
    case 'unzip-error':
    case 'metric-result':
    case 'metric-error': {
      const request = inspections.get(msg.id);
      if (!request) return;
      inspections.delete(msg.id);
      if (msg.type.endsWith('-error')) request.reject(new Error(msg.message));
      else request.resolve(msg.type === 'metric-result' ? msg.result : msg);
      return;
    }
    default:
      break;
  }
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
    ui.build.textContent = 'Build: unavailable';
    entry.rejectReady(new Error(message));
  }
  if (active && active.entry === entry) {
    failRun(active.id, message, { restart: Boolean(entry.info) });
  } else {
    showError(message);
    if (entry.info) restartWorker();
  }
}

function buildText(info) {
  if (info.flavor === 'threads') {
    return `Build: threaded (${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  }
  return 'Build: single-threaded';
}

// ---------------------------------------------------------------- runs

function run(spec) {
  if (typeof spec === 'string') {
    try {
      spec = JSON.parse(spec);
    } catch (err) {
      const message = `The spec is not valid JSON: ${err.message}`;
      showError(message);
      return Promise.reject(new Error(message));
    }
  }
  if (active) return Promise.reject(new Error('A run is already in progress; cancel it first.'));
  spec = upgradeSpec(spec);

  // Refuse, on this page and before the worker hears of it, a run that cannot work:
  // a model too big for the tab, or two models that take different input sizes.
  const checked = zooModels !== null;
  if (checked) {
    const refusal = specPreflight(spec);
    if (refusal) return refuse(refusal);
  }
  // A user model's bytes must be in this tab; they travel with the run.
  const models = {};
  for (const { role, model: m } of specModels(spec)) {
    if (typeof m.onnx !== 'string') continue;
    const file = userFiles.get(m.onnx);
    if (!file) {
      return refuse(`The ${role} model is your ONNX file ${m.onnx}, which this page does not have: ` +
        `choose it under "Your model (ONNX)" (or load it from a URL) first.`);
    }
    if (!models[m.onnx]) models[m.onnx] = file.bytes.slice(0);
  }
  // And the user's images, when one of the spec's stimulus sets is an upload.
  let stimuli = [];
  const upload = [spec.stimuli, ...(Array.isArray(spec.more_stimuli) ? spec.more_stimuli : [])].find((s) => s && s.set === 'upload');
  if (upload) {
    if (!userStimuli || userStimuli.folder !== upload.folder) {
      return refuse(`The spec's stimuli are your images (${upload.folder}), which this page does not have: ` +
        'add that folder or .zip under "Your data" first.');
    }
    stimuli = userStimuli.files.map((f) => ({ name: f.name, bytes: f.bytes.slice(0) }));
  }
  // So do the user's data files (responses, RDMs).
  const data = {};
  for (const name of specDataFiles(spec)) {
    const file = userData.get(name);
    if (!file) {
      return refuse(`The spec's target ${name} is a data file this page does not have: add it under "Your data" first.`);
    }
    data[name] = file.bytes.slice(0);
  }

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

  Promise.all([entry.ready, zooReady]).then(
    () => {
      if (!active || active.id !== id) return; // cancelled while waiting
      if (!checked && zooModels) {
        // The model list arrived after Run was pressed: check now, still before posting.
        const refusal = specPreflight(spec);
        if (refusal) {
          failRun(id, refusal);
          ui.status.textContent = 'Not run: see the message below.';
          return;
        }
      }
      active.posted = true;
      active.lastMessageAt = performance.now();
      active.stallTimer = setInterval(() => checkStall(id), 5000);
      entry.worker.postMessage({ type: 'run', id, spec, models, data, stimuli },
        [...Object.values(models), ...Object.values(data), ...stimuli.map((f) => f.bytes)]);
    },
    (err) => {
      if (active && active.id === id) failRun(id, err.message, { shown: Boolean(entry.failed) });
    },
  );
  return promise;
}

function refuse(message) {
  showError(message);
  setStatus('Not run: see the message below.');
  announce('Run refused.');
  return Promise.reject(new Error(message));
}

function cancel() {
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

function failRun(id, message, { restart = false, shown = false } = {}) {
  const run = endRun(id);
  if (!run) return;
  if (!shown) showError(message);
  setStatus('Failed: see the error below.');
  if (!ui.progress.hasAttribute('value')) ui.progress.value = 0;
  if (restart) restartWorker();
  run.reject(new Error(message));
}

function onProgress(p) {
  lastProgress = p;
  const run = active;
  const now = performance.now();
  const loading = p.stage === 'loading stimuli';
  if (!loading && run.stepsStartedAt === null) {
    // The first step just finished; it started when the last stimulus was added.
    run.stepsStartedAt = run.loadedAt ?? run.startedAt;
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
  if (loading) {
    text += `: ${p.done} / ${p.total} images`;
  } else {
    text += `: ${p.images_done} / ${p.images_total} images recorded, step ${p.done} / ${p.total}`;
    const eta = estimate(run, p, now);
    if (eta !== null) text += ` · about ${formatSeconds(eta)} left`;
  }
  setStatus(text);
  document.title = `(${Math.floor((100 * ui.progress.value) / total)}%) ${baseTitle}`;
}

// Remaining time = elapsed time per finished step × steps still to do.
function estimate(run, p, now) {
  if (run.stepsStartedAt === null || !(p.done > 0) || p.stage === 'done') return null;
  const elapsed = (now - run.stepsStartedAt) / 1000;
  if (elapsed < 0.5) return null;
  return (elapsed / p.done) * Math.max(0, p.total - p.done);
}

function onResult(result, exports) {
  const run = endRun(active.id);
  lastResult = result;
  lastExports = exports ? new Blob([exports], { type: 'application/zip' }) : null;
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

// ---------------------------------------------------------------- rendering

function renderResult(result) {
  const flavor = result.flavor === 'threads' ? 'threaded wasm' : result.flavor === 'single' ? 'single-threaded wasm' : result.flavor;
  const secs = typeof result.seconds === 'number' ? `, computed in ${formatSeconds(result.seconds)}` : '';
  const sources = result.models.filter((m) => m.role === 'source');
  const targets = result.models.filter((m) => m.role === 'target');
  const metrics = [...new Set(result.scores.map((s) => metricName(s.metric)))];
  const first = result.scores[0];
  const byId = (id) => result.models.find((m) => m.id === id);
  ui.summary.textContent =
    `${metrics.join(', ')}: ${sources.map((m) => m.label).join(', ')} against ${targets.map((m) => m.label).join(', ')}, ` +
    `layer by layer, on ${result.n_stimuli} images${secs} (${flavor}, idlab ${result.idlab_version}).` +
    (result.warnings && result.warnings.length ? ` ${result.warnings.length} score(s) undefined: see the report.` : '');
  if (first) {
    renderHeatmap(first, byId(first.source), byId(first.target), result.spec);
    renderTable(first, byId(first.source), byId(first.target));
  }
  // A single layer-by-layer table is the heatmap above; anything more gets the full views.
  const more = result.scores.length > 1 || result.identifiability.length > 0 || targets.some((t) => t.kind === 'rdms' || t.kind === 'dataset');
  ui.views.hidden = !more;
  if (more) {
    renderViews(ui.views, result).catch((err) => showError(`The result arrived but could not be plotted: ${err.message}`));
  } else {
    ui.views.replaceChildren();
  }
  ui.exports.replaceChildren(exportButtons(ui.exports, result, { zip: lastExports }));
}

function renderHeatmap(score, src, tgt, spec) {
  const Plotly = window.Plotly;
  if (!Plotly) throw new Error(`the plotting library (vendor/plotly.min.js) did not load; the table below has the values`);
  const metric = metricName(score.metric);
  const rows = src.layers.length;
  const cols = tgt.layers.length;
  const bounded = ['cka', 'cka-debiased', 'cka-rbf'].includes(score.metric);
  const trace = {
    type: 'heatmap',
    // An undefined score (null) stays a gap, never a 0.
    z: score.values,
    x: tgt.layers,
    y: src.layers,
    ...(bounded ? { zmin: 0, zmax: 1 } : {}),
    colorscale: 'Viridis',
    colorbar: { title: { text: metric }, thickness: 14 },
    hovertemplate: `${src.label} · %{y}<br>${tgt.label} · %{x}<br>${metric}: %{z:.4f}<extra></extra>`,
    xgap: 1,
    ygap: 1,
  };
  const layout = {
    title: { text: spec && spec.name ? spec.name : `${src.label} vs ${tgt.label}` },
    xaxis: { title: { text: `${tgt.label} layer` }, type: 'category', tickangle: -45, automargin: true },
    yaxis: { title: { text: `${src.label} layer` }, type: 'category', autorange: 'reversed', automargin: true },
    height: Math.max(420, 160 + 30 * rows),
    margin: { t: 60, r: 20, b: 40, l: 40 },
    font: { family: 'system-ui, sans-serif' },
  };
  Plotly.react(ui.heatmap, [trace], layout, { responsive: true, displaylogo: false });
  ui.heatmap.setAttribute('aria-label',
    `Heatmap of ${metric} between ${rows} layers of ${src.label} and ${cols} layers of ${tgt.label}; the values are also in the table below.`);
}

function renderTable(score, src, tgt) {
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  caption.textContent = `${metricName(score.metric)}. Rows: ${src.label} layers. Columns: ${tgt.label} layers.`;
  table.append(caption);
  const head = table.createTHead().insertRow();
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.textContent = 'layer';
  head.append(corner);
  for (const name of tgt.layers) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  score.values.forEach((row, i) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = src.layers[i];
    tr.append(th);
    for (const v of row) tr.insertCell().textContent = Number.isFinite(v) ? v.toFixed(3) : 'undefined';
  });
  ui.tableWrap.replaceChildren(table);
  ui.tableDetails.hidden = false;
}

// ---------------------------------------------------------------- small UI helpers

function setRunning(running) {
  ui.run.disabled = running;
  ui.cancel.disabled = !running;
  ui.heatmap.parentElement.setAttribute('aria-busy', String(running));
}

function setStatus(text) {
  ui.status.textContent = text;
}

function announce(text) {
  ui.announce.textContent = text;
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
  console.warn(`idlab: ${message}`);
}

function clearError() {
  ui.error.textContent = '';
  ui.error.hidden = true;
}

function formatSeconds(s) {
  if (!Number.isFinite(s)) return '?';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

// ---------------------------------------------------------------- start-up

function runFromTextarea() {
  run(ui.spec.value).catch(() => { /* shown in #error, or cancelled */ });
}

async function loadPreset() {
  const resp = await fetch(PRESET_URL);
  if (!resp.ok) throw new Error(`Could not load the default experiment (${PRESET_URL}): HTTP ${resp.status}`);
  defaultSpec = upgradeSpec(await resp.json());
  defaultSpecText = JSON.stringify(defaultSpec, null, 2);
  // A permalink's spec (#spec=...) comes first; the default preset otherwise.
  let spec = defaultSpec;
  try {
    spec = specFromLink(location.hash) || defaultSpec;
  } catch (err) {
    showError(err.message);
  }
  ui.spec.value = JSON.stringify(spec, null, 2);
  ui.name.textContent = spec.name || 'Default experiment';
  formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
  return spec;
}

// ---------------------------------------------------------------- permalinks
// The spec travels in the URL's fragment (#spec=<URI-encoded compact JSON>): never
// sent to a server, readable, and a link reproduces the experiment.

/** The spec a URL fragment carries, null when it carries none; throws naming the problem. */
function specFromLink(hash) {
  const m = /^#spec=(.*)$/s.exec(hash || '');
  if (!m) return null;
  let spec;
  try {
    spec = JSON.parse(decodeURIComponent(m[1]));
  } catch (err) {
    throw new Error(`The link's spec could not be read (${err.message}); showing the default experiment instead.`);
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new Error("The link's spec is not a JSON object; showing the default experiment instead.");
  }
  return upgradeSpec(spec);
}

/** Puts the spec in the address bar (no new history entry) and in the "link" anchor. */
function updateLink(spec) {
  const url = `${location.pathname}${location.search}#spec=${encodeURIComponent(JSON.stringify(spec))}`;
  history.replaceState(null, '', url);
  ui.permalink.href = location.href;
}

async function loadZoo() {
  try {
    const resp = await fetch(ZOO_URL);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    zooModels = parseZoo(await resp.json());
  } catch (err) {
    // The JSON spec still works without the list; the core names the models it knows.
    console.warn(`idlab: could not load the model list (${ZOO_URL}): ${err.message}`);
    zooError = `The model list (${ZOO_URL}) could not be loaded (${err.message}); choose models in the JSON spec below instead.`;
    setFormNote(zooError, 'warn');
    ui.sourceArch.replaceChildren(new Option('(model list unavailable)', ''));
    ui.targetArch.replaceChildren(new Option('(model list unavailable)', ''));
    return null;
  }
  populateSelectors(zooModels);
  if (formSpec) syncFormFromSpec(formSpec);
  return zooModels;
}

// ---------------------------------------------------------------- the model form
// The form shows, and edits, the source and target models, their seeds and the
// number of images of the spec in the textarea. Editing the JSON updates the form
// whenever the text parses; changing the form rewrites the JSON.

const SIDES = ['source', 'target'];
const sideUi = (side) => ({
  arch: $(`${side}-arch`),
  seed: $(`${side}-seed`),
  memory: $(`${side}-memory`),
  onnx: $(`${side}-onnx`),
  file: $(`${side}-onnx-file`),
  drop: $(`${side}-onnx-drop`),
  url: $(`${side}-onnx-url`),
  fetch: $(`${side}-onnx-fetch`),
  info: $(`${side}-onnx-info`),
  layers: $(`${side}-onnx-layers`),
  size: $(`${side}-onnx-size`),
  mean: $(`${side}-onnx-mean`),
  std: $(`${side}-onnx-std`),
  channels: $(`${side}-onnx-channels`),
});

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

function populateSelectors(models) {
  const groups = groupByFamily(models);
  for (const side of SIDES) {
    const select = sideUi(side).arch;
    const nodes = groups.map(({ family, label, models: members }) => {
      const group = document.createElement('optgroup');
      group.label = label;
      group.dataset.family = family;
      for (const m of members) group.append(new Option(modelLabel(m), m.arch));
      return group;
    });
    select.replaceChildren(...nodes, new Option('Your model (ONNX)', ONNX_OPTION));
    select.disabled = false;
  }
  ui.memoryLimit.textContent = describeLimit();
}

function describeLimit() {
  const limit = memoryLimit();
  return `${formatBytes(limit.bytes)} (${limit.why})`;
}

function zooEntry(arch) {
  return zooModels ? zooModels.find((m) => m.arch === arch) : undefined;
}

/** Selects `arch`, adding an "other" option for an arch that the zoo list lacks. */
function selectArch(select, arch) {
  for (const o of select.querySelectorAll('option[data-other]')) {
    if (o.value !== arch) o.remove();
  }
  const g = select.querySelector('optgroup[data-other]');
  if (g && !g.children.length) g.remove();
  if (typeof arch !== 'string' || !arch) {
    select.selectedIndex = -1;
    return;
  }
  if (![...select.options].some((o) => o.value === arch)) {
    let group = select.querySelector('optgroup[data-other]');
    if (!group) {
      group = document.createElement('optgroup');
      group.label = 'Not in the zoo list';
      group.dataset.other = '';
      select.append(group);
    }
    const option = new Option(`${arch} (not in the zoo list)`, arch);
    option.dataset.other = '';
    group.append(option);
  }
  select.value = arch;
}

function setsSize(spec) {
  return setSize(spec && spec.stimuli);
}

function syncFormFromSpec(full) {
  if (!full || typeof full !== 'object') return;
  showAbout(full);
  ui.keepExports.checked = Boolean(full.export && (full.export.activations || full.export.rdms));
  const spec = formView(full);
  setFormEnabled(Boolean(spec), full);
  if (!spec) {
    ui.name.textContent = full.name || 'Custom experiment';
    updateMemory(full);
    return;
  }
  if (zooModels) {
    for (const side of SIDES) {
      const m = spec[side] && typeof spec[side] === 'object' ? spec[side] : {};
      const s = sideUi(side);
      const onnx = typeof m.onnx === 'string';
      if (onnx) {
        selectArch(s.arch, undefined);
        s.arch.value = ONNX_OPTION;
        showLayers(side, m.onnx, Array.isArray(m.layers) ? m.layers.map(String) : []);
        showPreprocess(side, m);
      } else {
        selectArch(s.arch, m.arch);
      }
      showOnnx(side, onnx);
      s.seed.value = Number.isSafeInteger(m.seed) ? String(m.seed) : '';
    }
  } else {
    for (const side of SIDES) {
      const m = spec[side] && typeof spec[side] === 'object' ? spec[side] : {};
      sideUi(side).seed.value = Number.isSafeInteger(m.seed) ? String(m.seed) : '';
    }
  }
  const set = spec.stimuli && spec.stimuli.set;
  if ([...ui.stimulusSet.options].some((o) => o.value === set)) ui.stimulusSet.value = set;
  const all = setsSize(spec);
  ui.images.max = all === undefined ? '' : String(all);
  ui.imagesMax.textContent = all === undefined ? 'the size of the set' : String(all);
  const n = specImages(spec);
  ui.images.value = n === undefined ? '' : String(n);
  ui.images.disabled = Boolean(spec.stimuli && spec.stimuli.set === 'upload');
  for (const el of [ui.sourceSeed, ui.targetSeed, ui.images]) el.removeAttribute('aria-invalid');
  ui.name.textContent = spec.name || 'Custom experiment';
  updateMemory(full);
}

/** Reads one whole number from an input; null (and the field marked) if it is not one in [min, max]. */
function readInt(input, min, max) {
  const text = input.value.trim();
  const v = Number(text);
  const ok = text !== '' && Number.isSafeInteger(v) && v >= min && (max === undefined || v <= max);
  if (ok) input.removeAttribute('aria-invalid');
  else input.setAttribute('aria-invalid', 'true');
  return ok ? v : null;
}

function autoName(spec) {
  const n = spec.stimuli && Number.isInteger(spec.stimuli.limit) ? ` (first ${spec.stimuli.limit} images)` : '';
  const metric = spec.metric === 'cka' ? 'linear CKA' : spec.metric;
  const name = (m) => (m && typeof m.onnx === 'string' ? m.onnx : `${m && m.arch} seed ${m && m.seed}`);
  const set = spec.stimuli && spec.stimuli.set && spec.stimuli.set !== 'kriegeskorte92' ? ` on ${spec.stimuli.set}` : '';
  return `${name(spec.source)} vs ${name(spec.target)}: ${metric}, layer by layer${set}${n}`;
}

/** The spec the form describes, built on the last parsed one; null while a field is invalid. */
function specFromForm() {
  const base = formView(formSpec && typeof formSpec === 'object' ? formSpec : defaultSpec);
  if (!base) return null; // not the simple shape: the JSON spec is the way to edit it
  const problems = [];
  const seeds = {};
  for (const side of SIDES) {
    if (onnxChosen(side)) {
      if (!sideUi(side).layers.dataset.file || !userFiles.has(sideUi(side).layers.dataset.file)) {
        problems.push(`choose the ${side} model's ONNX file`);
      } else if (!readPreprocess(side)) {
        problems.push(`the ${side} model's input size must be a whole number from 8 to 1024, mean three numbers and std three positive numbers`);
      }
      continue;
    }
    const seed = readInt(sideUi(side).seed, 0, Number.MAX_SAFE_INTEGER);
    if (seed === null) problems.push(`the ${side} seed must be a whole number, 0 or more`);
    seeds[side] = seed;
  }
  const chosenSet = ui.stimulusSet.value || (base.stimuli && base.stimuli.set) || 'kriegeskorte92';
  const stimuli = { ...(base.stimuli || {}), set: chosenSet };
  if (chosenSet !== 'upload') delete stimuli.folder;
  else if (userStimuli) stimuli.folder = userStimuli.folder;
  if (chosenSet === 'kriegeskorte92') delete stimuli.seed; // only generated or scrambled sets take a seed
  if (!['textures', 'objects'].includes(chosenSet)) delete stimuli.count;
  const all = setSize(stimuli);
  ui.images.max = all === undefined ? '' : String(all);
  ui.imagesMax.textContent = all === undefined ? 'the size of the set' : String(all);
  const upload = chosenSet === 'upload';
  ui.images.disabled = upload; // every image given is used
  const images = upload ? all : readInt(ui.images, MIN_IMAGES, all);
  if (images === null || images === undefined) {
    problems.push(`the number of images must be a whole number from ${MIN_IMAGES}${all === undefined ? '' : ` to ${all}`}`);
  }
  if (problems.length) {
    setFormNote(`Not applied to the spec yet: ${problems.join('; ')}.`, 'warn');
    return null;
  }
  const spec = JSON.parse(JSON.stringify(base));
  for (const side of SIDES) {
    if (onnxChosen(side)) {
      spec[side] = onnxSide(side);
      continue;
    }
    const arch = sideUi(side).arch.value || (base[side] && base[side].arch);
    spec[side] = { arch, seed: seeds[side] };
  }
  spec.stimuli = stimuli;
  if (images === all || upload) delete spec.stimuli.limit;
  else spec.stimuli.limit = images;
  // Keep a name the person wrote; replace one that only described the old choice.
  if (!base.name || base.name === autoName(base) || (defaultSpec && base.name === defaultSpec.name)) {
    spec.name = autoName(spec);
  }
  return fromFormView(spec);
}

function onFormEdit() {
  const spec = specFromForm();
  if (!spec) return;
  showAbout(spec);
  for (const side of SIDES) {
    const select = sideUi(side).arch;
    if (select.value && select.value !== ONNX_OPTION) selectArch(select, select.value); // drops a "not in the zoo list" entry no longer chosen
  }
  formSpec = spec;
  ui.spec.value = JSON.stringify(spec, null, 2);
  ui.spec.removeAttribute('aria-invalid');
  ui.name.textContent = spec.name || 'Custom experiment';
  updateMemory(spec);
  updateLink(spec);
}

function onSpecEdit() {
  let spec;
  try {
    spec = upgradeSpec(JSON.parse(ui.spec.value));
  } catch {
    ui.spec.setAttribute('aria-invalid', 'true');
    setFormNote('The JSON spec does not parse; the form shows the last version that did.', 'warn');
    return;
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return;
  ui.spec.removeAttribute('aria-invalid');
  formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
}

/** "about 1.1 GB while it loads" next to each model, and a warning for a spec Run would refuse. */
function updateMemory(full) {
  const spec = formView(full);
  if (!spec) {
    for (const side of SIDES) sideUi(side).memory.textContent = '';
    setFormNote(zooModels ? specPreflight(full) || '' : zooError || '', 'warn');
    return;
  }
  const images = specImages(spec);
  const users = userEntries(spec);
  const kept = keptBytes(spec, users);
  for (const side of SIDES) {
    const s = sideUi(side);
    const m = spec[side] && typeof spec[side] === 'object' ? spec[side] : {};
    const arch = m.arch;
    const user = typeof m.onnx === 'string';
    const entry = user ? users[side] : zooEntry(arch);
    const layerNames = user ? m.layers : spec.layers;
    s.memory.classList.remove('too-big');
    s.memory.removeAttribute('title');
    if (user && !entry) {
      s.memory.textContent = `Choose the file ${m.onnx} to see its memory estimate.`;
    } else if (user && images !== undefined) {
      const estimate = estimateMemory(entry, images, layerNames, kept);
      const fits = checkFits(estimate, undefined, entry, layerNames);
      s.memory.textContent = `about ${formatBytes(estimate.total)} while it loads` +
        (fits.fits ? '' : ` — too much for this tab (at most ${formatBytes(fits.limit)})`);
      s.memory.title = `the file's ${formatBytes(entry.fileSize)} × 2, + ${formatBytes(estimate.activations)} of activations ` +
        `(${estimate.layers} layers × ${estimate.images} images × 4 bytes), ` +
        (kept > 0 ? `+ ${formatBytes(kept)} kept for download, ` : '') + `+ ${formatBytes(estimate.base)} base`;
      s.memory.classList.toggle('too-big', !fits.fits);
    } else if (!zooModels) {
      s.memory.textContent = '';
    } else if (!entry) {
      s.memory.textContent = arch ? `${arch} is not in the zoo list: its memory is unknown.` : '';
    } else if (images === undefined) {
      s.memory.textContent = 'Memory unknown for this stimulus set.';
    } else {
      const estimate = estimateMemory(entry, images, spec.layers, kept);
      const fits = checkFits(estimate, undefined, entry, spec.layers);
      s.memory.textContent = `about ${formatBytes(estimate.total)} while it loads` +
        (fits.fits ? '' : ` — too much for this tab (at most ${formatBytes(fits.limit)})`);
      s.memory.title = `${describeEstimate(estimate)} = ${formatBytes(estimate.total)}`;
      s.memory.classList.toggle('too-big', !fits.fits);
    }
  }
  setFormNote(zooModels ? formWarning(spec) : zooError || '', 'warn');
}

/** A short warning for a spec that Run would refuse ('' if none); #error gets the full numbers on Run. */
function formWarning(spec) {
  const refusal = preflight(spec, zooModels, undefined, userEntries(spec));
  if (!refusal) return '';
  if (['source', 'target'].some((side) => spec[side] && typeof spec[side].onnx === 'string')) return refusal;
  const source = zooEntry(spec.source && spec.source.arch);
  const target = zooEntry(spec.target && spec.target.arch);
  if (source && target && !sameInput(source, target)) {
    return `${source.arch} and ${target.arch} take different input sizes, so Run will refuse this pair.`;
  }
  const images = specImages(spec);
  const kept = keptBytes(spec, userEntries(spec));
  for (const entry of [source, target]) {
    if (!entry) continue;
    const check = checkFits(estimateMemory(entry, images, spec.layers, kept), undefined, entry, spec.layers);
    if (check.fits) continue;
    const most = maxImages(entry, check.limit, spec.layers);
    return `${entry.arch} needs more memory than this tab can use, so Run will refuse it. ` +
      (most >= MIN_IMAGES && most < images ? `It fits with at most ${most} images.` : 'Choose a smaller model.');
  }
  return refusal;
}

/**
 * The message Run would refuse a version 2 spec with, or null. The simple
 * shape goes through the form's check (user models included); otherwise the
 * zoo models must share one input size and each must fit in the tab.
 */
function specPreflight(spec) {
  const view = formView(spec);
  if (view) return preflight(view, zooModels, undefined, userEntries(view));
  return preflightModels(spec, specModels(spec), zooModels, undefined, keptBytes(spec, {}));
}

/** Bytes the spec's export keeps in the tab (0 without one); `users` are the form view's user-model entries. */
function keptBytes(spec, users) {
  return exportBytes(spec, (m, side) => (typeof m.onnx === 'string' ? users[side] : zooEntry(m.arch)));
}

// The export checkbox sets spec.export (and so the permalink); the spec's export sets the box.
const EXPORT_ALL = { activations: true, rdms: true };

function onKeepExports() {
  let spec = formSpec || defaultSpec;
  try {
    spec = upgradeSpec(JSON.parse(ui.spec.value));
  } catch { /* the JSON box does not parse: change the last spec that did */ }
  if (!spec || typeof spec !== 'object') return;
  spec = { ...spec };
  if (ui.keepExports.checked) spec.export = spec.export && typeof spec.export === 'object' ? { ...spec.export, ...EXPORT_ALL } : { ...EXPORT_ALL };
  else delete spec.export;
  ui.spec.value = JSON.stringify(spec, null, 2);
  ui.spec.removeAttribute('aria-invalid');
  formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
}

/** Enables the form for the simple shape; otherwise says that the JSON spec edits this experiment. */
function setFormEnabled(enabled, spec) {
  for (const el of ui.form.querySelectorAll('fieldset.model-side select, fieldset.model-side input')) el.disabled = !enabled;
  // A many-model spec has no one source and one target to show: the two sides step aside rather than show stale values.
  for (const fs of ui.form.querySelectorAll('fieldset.model-side')) fs.hidden = !enabled;
  if (!enabled) {
    const n = (k) => (Array.isArray(spec[k]) ? spec[k].length : 0);
    setFormNote(`This experiment has ${n('sources')} source(s), ${n('targets')} target(s) and ${n('metrics')} metric(s): ` +
      'the form edits one source against one target; edit this one in the JSON spec below.', 'info');
  } else {
    for (const side of SIDES) {
      const s = sideUi(side);
      s.arch.disabled = !zooModels;
      s.seed.disabled = onnxChosen(side);
    }
  }
}

/** The preset's figure and findings, when the spec says them. */
function showAbout(spec) {
  const parts = [];
  if (spec && spec.figure) parts.push(`Reproduces: ${spec.figure}.`);
  if (spec && spec.about) parts.push(spec.about);
  ui.about.textContent = parts.join(' ');
  ui.about.hidden = parts.length === 0;
}

/** Fills the preset menu from presets/index.json; choosing one loads it into the form and the spec. */
async function loadPresetMenu() {
  try {
    const resp = await fetch(PRESETS_INDEX_URL);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const index = await resp.json();
    ui.preset.replaceChildren(new Option('Choose a preset…', ''), ...index.presets.map((p) => new Option(p.title, p.file)));
    ui.preset.disabled = false;
  } catch (err) {
    ui.preset.replaceChildren(new Option(`(presets unavailable: ${err.message})`, ''));
  }
}

async function choosePreset() {
  const file = ui.preset.value;
  if (!file) return;
  try {
    const resp = await fetch(`presets/${file}`);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const spec = upgradeSpec(await resp.json());
    // The export checkbox is kept across presets.
    if (ui.keepExports.checked && !spec.export) spec.export = { ...EXPORT_ALL };
    ui.spec.value = JSON.stringify(spec, null, 2);
    formSpec = spec;
    syncFormFromSpec(spec);
    updateLink(spec);
    clearError();
  } catch (err) {
    showError(`Could not load the preset ${file}: ${err.message}`);
  }
}

// ---------------------------------------------------------------- users' images and data

const IMAGE_RE = /\.(png|jpe?g|webp|gif|bmp)$/i;
const naturalOrder = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' }).compare;
const MAX_THUMBS = 60;

/** Files (from an input, a folder or a drop) as the user's images: a .zip is unpacked by the core. */
async function takeImages(files, folderName) {
  files = [...files];
  try {
    let entries;
    let folder = folderName;
    const zip = files.length === 1 && /\.zip$/i.test(files[0].name) ? files[0] : null;
    if (zip) {
      const bytes = await zip.arrayBuffer();
      const reply = await inspectInWorker({ type: 'unzip', name: zip.name, bytes }, [bytes]);
      entries = reply.files;
      folder = zip.name;
    } else {
      const images = files.filter((f) => IMAGE_RE.test(f.name));
      const skipped = files.length - images.length;
      if (!images.length) throw new Error(`none of the ${files.length} file(s) is an image (PNG, JPEG, WebP, GIF, BMP) or a .zip`);
      images.sort((a, b) => naturalOrder(a.webkitRelativePath || a.name, b.webkitRelativePath || b.name));
      entries = await Promise.all(images.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
      folder = folder || (images[0].webkitRelativePath ? images[0].webkitRelativePath.split('/')[0] : `${images.length} images`);
      if (skipped) setFormNote(`${skipped} file(s) that are not images were left out.`, 'info');
    }
    userStimuli = { folder, files: entries };
    setUploadCount(entries.length);
    showThumbs();
    const option = [...ui.stimulusSet.options].find((o) => o.value === 'upload');
    option.disabled = false;
    option.textContent = `your images: ${folder} (${entries.length})`;
    ui.stimulusSet.value = 'upload';
    if (formView(formSpec)) onFormEdit();
    else if (Array.isArray((formSpec || defaultSpec).more_stimuli)) addUploadSet(folder);
    else setSpecStimuli({ set: 'upload', folder });
  } catch (err) {
    ui.imagesInfo.textContent = '';
    showError(`Could not use those images: ${err.message}`);
  }
}

/** Sets the spec's stimuli directly (for specs the form does not edit). */
function setSpecStimuli(stimuli) {
  const spec = { ...(formSpec || defaultSpec), stimuli };
  ui.spec.value = JSON.stringify(spec, null, 2);
  formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
}

/** A spec over several stimulus sets (preset 3) takes the user's images as one more set, replacing an earlier upload. */
function addUploadSet(folder) {
  const base = formSpec || defaultSpec;
  const more = base.more_stimuli.filter((s) => s.set !== 'upload');
  const spec = base.stimuli?.set === 'upload'
    ? { ...base, stimuli: { set: 'upload', folder }, more_stimuli: more }
    : { ...base, more_stimuli: [...more, { set: 'upload', folder }] };
  ui.spec.value = JSON.stringify(spec, null, 2);
  formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
  setFormNote(`Your images (${folder}) are one more stimulus set of this experiment.`, 'info');
}

function showThumbs() {
  for (const img of ui.thumbs.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  const files = userStimuli.files;
  ui.imagesInfo.textContent = `${files.length} images from ${userStimuli.folder}` +
    (files.length > MAX_THUMBS ? ` (the first ${MAX_THUMBS} shown)` : '') + '; they are matched to responses by file name.';
  ui.thumbs.replaceChildren(...files.slice(0, MAX_THUMBS).map((f) => {
    const fig = document.createElement('figure');
    const img = document.createElement('img');
    img.src = URL.createObjectURL(new Blob([f.bytes]));
    img.alt = f.name;
    img.loading = 'lazy';
    const cap = document.createElement('figcaption');
    cap.textContent = f.name;
    fig.append(img, cap);
    return fig;
  }));
  ui.thumbs.hidden = false;
}

/** Every file under a dropped folder entry (webkitGetAsEntry), with its path. */
async function filesOfEntry(entry) {
  if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await filesOfEntry(e)));
  }
  return out;
}

async function onImagesDrop(event) {
  event.preventDefault();
  ui.imagesDrop.classList.remove('over');
  const items = [...(event.dataTransfer.items || [])].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  const dir = items.length === 1 && items[0] && items[0].isDirectory ? items[0] : null;
  if (dir) return takeImages(await filesOfEntry(dir), dir.name);
  return takeImages(event.dataTransfer.files);
}

async function takeData(file) {
  if (!file) return;
  userData.set(file.name, { bytes: await file.arrayBuffer(), size: file.size });
  lastDataFile = file.name;
  ui.dataInfo.textContent = `${file.name} (${formatBytes(file.size)}): checked against the images when the run starts.`;
  ui.useResponses.disabled = false;
  ui.useRdms.disabled = false;
}

/** Makes the chosen data file the target: the sources are scored against it. */
function useData(kind) {
  const base = formSpec || defaultSpec;
  const spec = { ...base, targets: [{ [kind]: lastDataFile }] };
  spec.metrics = kind === 'rdms' ? [{ name: 'rsa' }] : [{ name: 'regression' }, { name: 'cka' }];
  spec.name = `${(base.sources || []).map((m) => m.onnx || `${m.arch} seed ${m.seed}`).join(', ')} vs ${lastDataFile}`;
  delete spec.figure;
  delete spec.about;
  ui.spec.value = JSON.stringify(spec, null, 2);
  formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
}

// ---------------------------------------------------------------- users' ONNX models

function onnxChosen(side) {
  return sideUi(side).arch.value === ONNX_OPTION;
}

function showOnnx(side, shown) {
  const s = sideUi(side);
  s.onnx.hidden = !shown;
  s.seed.disabled = shown;
  s.seed.closest('.field').hidden = shown;
}

/** The spec side the form describes for a user model, or null while no file is chosen or a field is invalid. */
function onnxSide(side) {
  const s = sideUi(side);
  const name = s.layers.dataset.file;
  if (!name || !userFiles.has(name)) return null;
  const pre = readPreprocess(side);
  if (!pre) return null;
  const layers = [...s.layers.selectedOptions].map((o) => o.value);
  // Preprocessing is written out in full, so the spec alone says how the images were fed.
  return { onnx: name, layers, ...pre };
}

/** Three finite numbers from "a, b, c" (positive ones when `positive`), else null. */
function parseTriple(text, positive) {
  const parts = text.split(/[\s,;]+/).filter(Boolean).map(Number);
  const ok = parts.length === 3 && parts.every((v) => Number.isFinite(v) && (!positive || v > 0));
  return ok ? parts : null;
}

/** The side's preprocessing fields as spec keys {size, mean, std, channels}; null (fields marked) if invalid. */
function readPreprocess(side) {
  const s = sideUi(side);
  const size = readInt(s.size, 8, 1024);
  const mark = (input, ok) => (ok ? input.removeAttribute('aria-invalid') : input.setAttribute('aria-invalid', 'true'));
  const mean = parseTriple(s.mean.value, false);
  const std = parseTriple(s.std.value, true);
  mark(s.mean, mean);
  mark(s.std, std);
  if (size === null || !mean || !std) return null;
  return { size, mean, std, channels: s.channels.value };
}

/** Fills the side's preprocessing fields: the spec's values, else the file's metadata, else ImageNet's. */
function showPreprocess(side, m = {}) {
  const s = sideUi(side);
  const file = userFiles.get(m.onnx || s.layers.dataset.file);
  const i = file ? file.inspection : {};
  const meta = i.preprocess || {};
  const size = Number.isInteger(m.size) ? m.size : meta.size || (i.input_size ? i.input_size[0] : 224);
  const fmt = (v) => v.map((x) => String(Math.round(x * 1e6) / 1e6)).join(', ');
  s.size.value = String(size);
  s.mean.value = fmt(Array.isArray(m.mean) ? m.mean : meta.mean || IMAGENET_MEAN);
  s.std.value = fmt(Array.isArray(m.std) ? m.std : meta.std || IMAGENET_STD);
  s.channels.value = m.channels === 'bgr' || (!m.channels && meta.channels === 'bgr') ? 'bgr' : 'rgb';
  for (const el of [s.size, s.mean, s.std]) el.removeAttribute('aria-invalid');
}

/** Lists a file's candidate layers (with shapes) in the side's multi-select, selecting `chosen`. */
function showLayers(side, name, chosen) {
  const s = sideUi(side);
  const file = userFiles.get(name);
  s.layers.dataset.file = name;
  if (!file) {
    s.layers.replaceChildren();
    s.info.textContent = `The spec names ${name}: choose that file (or load it from a URL) to run it.`;
    return;
  }
  const wanted = new Set(chosen);
  s.layers.replaceChildren(...file.inspection.layers.map((c) => {
    const o = new Option(`${c.tensor} — ${c.op} ${c.shape.join('×')}`, c.tensor);
    o.selected = wanted.has(c.tensor) || wanted.has(c.node);
    return o;
  }));
  const i = file.inspection;
  const pre = i.preprocess
    ? `size ${i.preprocess.size}, mean/std from the file`
    : `no idlab.* metadata: ImageNet mean/std${i.input_size ? `, ${i.input_size[0]} px` : ', 224 px'}`;
  s.info.textContent = `${name}: ${formatBytes(file.size)}, input '${i.input_name}', ${i.layers.length} recordable layers; ${pre}.`;
}

/** Up to DEFAULT_ONNX_LAYERS evenly spaced ReLU / Gemm / Add outputs (else any candidates). */
function defaultLayers(inspection) {
  let pool = inspection.layers.filter((c) => DEFAULT_ONNX_OPS.includes(c.op));
  if (!pool.length) pool = inspection.layers;
  if (pool.length <= DEFAULT_ONNX_LAYERS) return pool.map((c) => c.tensor);
  const out = [];
  for (let k = 0; k < DEFAULT_ONNX_LAYERS; k++) {
    out.push(pool[Math.round((k * (pool.length - 1)) / (DEFAULT_ONNX_LAYERS - 1))].tensor);
  }
  return [...new Set(out)];
}

/** Zoo-like entries for the spec's user models (for the memory estimate and the input-size check). */
function userEntries(spec) {
  const out = {};
  for (const side of SIDES) {
    const m = spec && spec[side];
    const file = m && typeof m.onnx === 'string' ? userFiles.get(m.onnx) : undefined;
    if (!file) continue;
    const i = file.inspection;
    const size = Number.isInteger(m.size) ? m.size
      : i.preprocess ? i.preprocess.size : i.input_size ? i.input_size[0] : 224;
    out[side] = {
      arch: m.onnx,
      user: true,
      fileSize: file.size,
      // estimateMemory counts weights as parameters × 4 bytes × 2: the file's size twice.
      parameters: file.size / 4,
      layers: i.layers.map((c) => ({ name: c.tensor, shape: c.shape })),
      input: {
        size,
        mean: Array.isArray(m.mean) ? m.mean : i.preprocess ? i.preprocess.mean : IMAGENET_MEAN,
        std: Array.isArray(m.std) ? m.std : i.preprocess ? i.preprocess.std : IMAGENET_STD,
      },
    };
  }
  return out;
}

/** Sends bytes (or a URL) to the worker to inspect; resolves with {name, size, inspection, bytes?}. */
function inspectInWorker(message, transfer = []) {
  const entry = ensureWorker();
  const id = `inspect-${++inspectCounter}`;
  return entry.ready.then(() => new Promise((resolve, reject) => {
    inspections.set(id, { resolve, reject });
    entry.worker.postMessage({ ...message, id }, transfer);
  }));
}

async function addUserFile(side, name, bytes, inspected) {
  const s = sideUi(side);
  clearError();
  s.info.textContent = `Reading ${name}…`;
  try {
    let reply = inspected;
    if (!reply) {
      const copy = bytes.slice(0); // the page keeps `bytes`; the worker gets this copy
      reply = await inspectInWorker({ type: 'inspect', name, bytes: copy }, [copy]);
    }
    const buffer = bytes || reply.bytes;
    userFiles.set(reply.name || name, { bytes: buffer, size: buffer.byteLength, inspection: reply.inspection });
    s.arch.value = ONNX_OPTION;
    showOnnx(side, true);
    showLayers(side, reply.name || name, defaultLayers(reply.inspection));
    showPreprocess(side, { onnx: reply.name || name });
    onFormEdit();
  } catch (err) {
    s.info.textContent = `${name} cannot be used (see the message below).`;
    showError(err.message);
  }
}

async function onFileChosen(side, file) {
  if (!file) return;
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    showError(`Could not read ${file.name}: ${err.message}`);
    return;
  }
  await addUserFile(side, file.name, bytes);
}

async function onUrlChosen(side) {
  const s = sideUi(side);
  const url = s.url.value.trim();
  if (!url) return;
  clearError();
  s.info.textContent = `Loading ${url}…`;
  try {
    const reply = await inspectInWorker({ type: 'fetch-model', url });
    await addUserFile(side, reply.name, null, reply);
  } catch (err) {
    s.info.textContent = 'The model could not be loaded (see the message below).';
    showError(err.message);
  }
}

function wireOnnx(side) {
  const s = sideUi(side);
  s.file.addEventListener('change', () => onFileChosen(side, s.file.files[0]));
  s.fetch.addEventListener('click', () => onUrlChosen(side));
  s.url.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      onUrlChosen(side);
    }
  });
  s.layers.addEventListener('change', onFormEdit);
  for (const el of [s.size, s.mean, s.std]) el.addEventListener('input', onFormEdit);
  s.channels.addEventListener('change', onFormEdit);
  s.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    s.drop.classList.add('over');
  });
  s.drop.addEventListener('dragleave', () => s.drop.classList.remove('over'));
  s.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    s.drop.classList.remove('over');
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) onFileChosen(side, file);
  });
  s.arch.addEventListener('change', () => {
    const chosen = onnxChosen(side);
    showOnnx(side, chosen);
    if (chosen && !s.layers.dataset.file) s.info.textContent = 'Choose an ONNX file (NCHW image input).';
    if (!chosen && s.seed.value.trim() === '') s.seed.value = '0'; // back to the zoo: a seed to start from
  });
}

function setFormNote(text, kind = 'info') {
  ui.formNote.textContent = text;
  ui.formNote.hidden = !text;
  ui.formNote.dataset.kind = kind;
}

window.addEventListener('error', (event) => showError(`Unexpected error: ${event.message}`));
window.addEventListener('unhandledrejection', (event) => {
  const r = event.reason;
  showError(`Unexpected error: ${r && r.message ? r.message : String(r)}`);
});

ui.run.addEventListener('click', runFromTextarea);
ui.stimulusSet.addEventListener('change', onFormEdit);
ui.copyLink.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(location.href);
    setFormNote('Link copied: it opens this experiment with this spec.');
  } catch {
    setFormNote('Copying was not allowed here: right-click "Link to this experiment" and copy the address.', 'warn');
  }
});
ui.cancel.addEventListener('click', cancel);
ui.preset.addEventListener('change', choosePreset);
ui.keepExports.addEventListener('change', onKeepExports);
ui.uploadImages.addEventListener('change', () => takeImages(ui.uploadImages.files));
ui.uploadFolder.addEventListener('change', () => takeImages(ui.uploadFolder.files));
ui.imagesDrop.addEventListener('dragover', (e) => { e.preventDefault(); ui.imagesDrop.classList.add('over'); });
ui.imagesDrop.addEventListener('dragleave', () => ui.imagesDrop.classList.remove('over'));
ui.imagesDrop.addEventListener('drop', (e) => { onImagesDrop(e).catch((err) => showError(err.message)); });
ui.uploadData.addEventListener('change', () => takeData(ui.uploadData.files[0]));
ui.dataDrop.addEventListener('dragover', (e) => e.preventDefault());
ui.dataDrop.addEventListener('drop', (e) => { e.preventDefault(); takeData(e.dataTransfer.files[0]); });
ui.useResponses.addEventListener('click', () => useData('responses'));
ui.useRdms.addEventListener('click', () => useData('rdms'));
ui.resetSpec.addEventListener('click', () => {
  ui.spec.value = defaultSpecText;
  onSpecEdit();
});
ui.spec.addEventListener('input', onSpecEdit);
for (const side of SIDES) wireOnnx(side);
for (const el of [ui.sourceArch, ui.targetArch]) el.addEventListener('change', onFormEdit);
for (const el of [ui.sourceSeed, ui.targetSeed, ui.images]) {
  el.addEventListener('input', onFormEdit);
  // On leaving a field with a number out of range, bring it back into range.
  el.addEventListener('change', () => {
    if (el.getAttribute('aria-invalid') !== 'true' || el.value.trim() === '') return;
    const v = Math.round(Number(el.value));
    if (!Number.isFinite(v)) return;
    const min = Number(el.min);
    const max = el.max === '' ? Infinity : Number(el.max);
    el.value = String(Math.min(max, Math.max(min, v)));
    onFormEdit();
  });
}
ui.form.addEventListener('submit', (event) => {
  // Enter in a field runs the experiment, as the Run button would.
  event.preventDefault();
  if (!ui.run.disabled) runFromTextarea();
});

window.idlab = {
  get ready() {
    return ensureWorker().ready;
  },
  run,
  cancel,
  get lastResult() { return lastResult; },
  /** The last run's activations and RDMs as a .zip Blob (null when its spec had no export). */
  get lastExports() { return lastExports; },
  get lastProgress() { return lastProgress; },
  get running() { return active !== null; },
  /** The models of models/zoo.json (null until loaded). */
  get zoo() { return zooModels; },
  /** Peak memory estimate for a zoo entry on `images` images: {arch, weights, activations, base, total, …} in bytes. */
  estimateMemory,
  /** {fits, total, limit, message}: whether an estimate fits in this tab; message names the model and numbers. */
  checkFits,
  /** The message Run would refuse a spec with, or null. */
  preflight: (spec) => (zooModels ? specPreflight(upgradeSpec(spec)) : null),
  /**
   * One metric of two matrices (arrays of rows, or {rows, data: Float64Array} row-major, which
   * is transferred: stimuli x units) in the worker, as
   * `idlab metric NAME` computes it; params as MetricParams ({lambda: [1], folds: 10, ...}).
   * Resolves with the core's JSON object (metric, value, detail) plus `seconds`.
   */
  metric(name, x, y, params) {
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
    return inspectInWorker({ type: 'metric', name, x: xs.buffer, xRows: rows(x), y: ys.buffer, yRows: rows(y), params },
      [xs.buffer, ys.buffer]);
  },
  /** Names of the ONNX files chosen in this tab. */
  get userModels() { return [...userFiles.keys()]; },
};

startWorker();
loadPresetMenu();
const zooReady = loadZoo();
Promise.all([loadPreset(), zooReady]).then(([spec]) => spec).then(
  (spec) => {
    if (!active) ui.run.disabled = false;
    const autorun = new URLSearchParams(location.search).get('autorun') !== '0';
    if (autorun) run(spec).catch(() => { /* shown in #error, or cancelled */ });
  },
  (err) => {
    if (!active) ui.run.disabled = false;
    showError(err.message);
  },
);
