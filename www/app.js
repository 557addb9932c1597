// idlab page: user interface, Plotly rendering, and the conversation with the
// compute worker (worker.js). No computation happens on this thread.

const PRESET_URL = 'presets/alexnet-seeds-cka.json';
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
};

const STAGE_NAMES = {
  'loading stimuli': 'Loading stimuli',
  building: 'Building models',
  recording: 'Recording activations',
  comparing: 'Comparing layers',
  done: 'Finishing',
};
const METRIC_NAMES = { cka: 'Linear CKA' };

let worker = null;      // {worker, ready, info, failed}
let active = null;      // the run in progress, see run()
let runCounter = 0;
let defaultSpecText = '';
let lastResult = null;
let lastProgress = null;
let downloadUrl = null;
const baseTitle = document.title;

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
      onResult(msg.result);
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

  entry.ready.then(
    () => {
      if (!active || active.id !== id) return; // cancelled while waiting
      active.posted = true;
      active.lastMessageAt = performance.now();
      active.stallTimer = setInterval(() => checkStall(id), 5000);
      entry.worker.postMessage({ type: 'run', id, spec });
    },
    (err) => {
      if (active && active.id === id) failRun(id, err.message, { shown: Boolean(entry.failed) });
    },
  );
  return promise;
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

function onResult(result) {
  const run = endRun(active.id);
  lastResult = result;
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
  const metric = METRIC_NAMES[result.metric] || result.metric;
  const src = result.source;
  const tgt = result.target;
  const srcName = `${src.arch} seed ${src.seed}`;
  const tgtName = `${tgt.arch} seed ${tgt.seed}`;
  const flavor = result.flavor === 'threads' ? 'threaded wasm' : result.flavor === 'single' ? 'single-threaded wasm' : result.flavor;
  const secs = typeof result.seconds === 'number' ? `, computed in ${formatSeconds(result.seconds)}` : '';
  ui.summary.textContent =
    `${metric} between ${src.layers.length} layers of ${srcName} (rows) and ${tgt.layers.length} layers of ${tgtName} ` +
    `(columns) on ${result.n_stimuli} images${secs} (${flavor}, idlab ${result.idlab_version}).`;

  renderHeatmap(result, metric, srcName, tgtName);
  renderTable(result, srcName, tgtName);

  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([JSON.stringify(result, null, 2)], { type: 'application/json' }));
  ui.download.href = downloadUrl;
  ui.download.hidden = false;
}

function renderHeatmap(result, metric, srcName, tgtName) {
  const Plotly = window.Plotly;
  if (!Plotly) throw new Error(`the plotting library (vendor/plotly.min.js) did not load; the table below has the values`);
  const rows = result.source.layers.length;
  const cols = result.target.layers.length;
  const trace = {
    type: 'heatmap',
    z: result.matrix,
    x: result.target.layers,
    y: result.source.layers,
    zmin: 0,
    zmax: 1,
    colorscale: 'Viridis',
    colorbar: { title: { text: metric }, thickness: 14 },
    hovertemplate: `${srcName} · %{y}<br>${tgtName} · %{x}<br>${metric}: %{z:.4f}<extra></extra>`,
    xgap: 1,
    ygap: 1,
  };
  const layout = {
    title: { text: result.spec && result.spec.name ? result.spec.name : `${srcName} vs ${tgtName}` },
    xaxis: { title: { text: `${tgtName} layer` }, type: 'category', tickangle: -45, automargin: true },
    yaxis: { title: { text: `${srcName} layer` }, type: 'category', autorange: 'reversed', automargin: true },
    height: Math.max(420, 160 + 30 * rows),
    margin: { t: 60, r: 20, b: 40, l: 40 },
    font: { family: 'system-ui, sans-serif' },
  };
  Plotly.react(ui.heatmap, [trace], layout, { responsive: true, displaylogo: false });
  ui.heatmap.setAttribute('aria-label',
    `Heatmap of ${metric} between ${rows} layers of ${srcName} and ${cols} layers of ${tgtName}; the values are also in the table below.`);
}

function renderTable(result, srcName, tgtName) {
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  caption.textContent = `Rows: ${srcName} layers. Columns: ${tgtName} layers.`;
  table.append(caption);
  const head = table.createTHead().insertRow();
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.textContent = 'layer';
  head.append(corner);
  for (const name of result.target.layers) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  result.matrix.forEach((row, i) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = result.source.layers[i];
    tr.append(th);
    for (const v of row) tr.insertCell().textContent = Number.isFinite(v) ? v.toFixed(3) : String(v);
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
  const spec = await resp.json();
  defaultSpecText = JSON.stringify(spec, null, 2);
  ui.spec.value = defaultSpecText;
  ui.name.textContent = spec.name || 'Default experiment';
  return spec;
}

window.addEventListener('error', (event) => showError(`Unexpected error: ${event.message}`));
window.addEventListener('unhandledrejection', (event) => {
  const r = event.reason;
  showError(`Unexpected error: ${r && r.message ? r.message : String(r)}`);
});

ui.run.addEventListener('click', runFromTextarea);
ui.cancel.addEventListener('click', cancel);
ui.resetSpec.addEventListener('click', () => { ui.spec.value = defaultSpecText; });

window.idlab = {
  get ready() {
    return ensureWorker().ready;
  },
  run,
  cancel,
  get lastResult() { return lastResult; },
  get lastProgress() { return lastProgress; },
  get running() { return active !== null; },
};

startWorker();
loadPreset().then(
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
