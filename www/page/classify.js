// "Check: top-5 classes" beside a trained model of the form (a zoo model with trained weights,
// or a shipped TFLite model): runs that model in the worker on the current stimulus set's first
// images (20 by default) or on every image the user added, and shows each image's five most
// probable ImageNet classes with their p, as `idlab classify` prints them: the core's own
// function (crate/src/classify.rs) computes both, so that a student sees the weights are the
// ones meant (a wrong file or preprocessing gives nonsense classes) before running an experiment.

import { $, ui, SIDES, sideUi } from './dom.js';
import { state, userWeights, userFiles } from './state.js';
import { call, ensureWorker } from './worker-client.js';
import { specInputs } from './core.js';
import { formView } from '../spec.js';
import { TFLITE_PREFIX } from './weights.js';

/** Images checked from a shipped stimulus set. */
export const CHECK_IMAGES = 20;
const TOP = 5;

let jobCounter = 0;
const jobs = new Map(); // side -> {job, cancel()} of the check in progress
const shownUrls = new Map(); // side -> the object URLs of the thumbnails its table shows (freed with the table)
/** Per side, the last check's {label, imagenet, images: [{image, top}], cancelled} (for the tests too). */
export const classifyResults = {};

/** The side's model as the spec writes it, when it is one the check applies to (trained zoo or TFLite); else null. */
export function checkableModel(side) {
  const view = formView(state.formSpec);
  const m = view && view[side];
  if (!m || typeof m !== 'object') return null;
  if (typeof m.tflite === 'string') return m;
  if (typeof m.arch === 'string' && m.weights && typeof m.weights === 'object') return m;
  return null;
}

/** True when the side's controls (not only the spec) show a trained model: the button follows the form at once. */
function formShowsTrained(side) {
  const s = sideUi(side);
  if (!s.arch) return false;
  if (s.arch.value.startsWith(TFLITE_PREFIX)) return true;
  return !s.weights.hidden && s.weightsKind.value !== 'none';
}

function els(side) {
  return {
    box: $(`${side}-classify`),
    run: $(`${side}-classify-run`),
    cancel: $(`${side}-classify-cancel`),
    status: $(`${side}-classify-status`),
    error: $(`${side}-classify-error`),
    table: $(`${side}-classify-table`),
  };
}

/** Adds the check's controls to a side's fieldset, after its trained weights control. */
function buildSide(side) {
  const weights = sideUi(side).weights;
  if (!weights || $(`${side}-classify`)) return;
  const box = document.createElement('div');
  box.id = `${side}-classify`;
  box.className = 'classify-side';
  box.hidden = true;
  box.innerHTML = `
    <button id="${side}-classify-run" type="button">Check: top-5 classes</button>
    <button id="${side}-classify-cancel" type="button" hidden>Cancel</button>
    <p id="${side}-classify-status" class="hint" aria-live="polite"></p>
    <p id="${side}-classify-error" class="weights-error" role="alert" hidden></p>
    <div id="${side}-classify-table" class="classify-table"></div>`;
  weights.after(box);
  const e = els(side);
  e.run.title = 'Runs this model on the first images of the stimulus set (or every image you added) and lists each one\'s five most probable ImageNet classes, as `idlab classify` does.';
  e.run.addEventListener('click', () => checkSide(side).catch(() => { /* shown beside the button */ }));
  e.cancel.addEventListener('click', () => cancelCheck(side));
}

/** Shows each side's check only beside a trained model. */
export function refreshClassify() {
  for (const side of SIDES) {
    const e = els(side);
    if (!e.box) continue;
    const show = formShowsTrained(side) && !sideUi(side).arch.disabled;
    if (e.box.hidden === show) e.box.hidden = !show;
  }
}

/** The images to check: the user's (all of them) when the set is an upload, else the set's first CHECK_IMAGES. */
async function imagesToCheck(n) {
  const full = state.formSpec;
  const set = full && full.stimuli && full.stimuli.set;
  if (set === 'upload') {
    if (!state.userStimuli || !state.userStimuli.files.length) throw new Error('Add your images under "Your data" first (the stimulus set is your upload).');
    return { images: state.userStimuli.files.map((f) => ({ name: f.name, bytes: f.bytes.slice(0) })), urls: [] };
  }
  const inputs = await specInputs(full);
  const paths = (inputs && inputs.stimuli && Array.isArray(inputs.stimuli.paths)) ? inputs.stimuli.paths : [];
  if (!paths.length) throw new Error(`The stimulus set ${set || ''} has no image files to check with (it is drawn when a run starts): choose the 92 images or add your own.`);
  return { images: [], urls: paths.slice(0, n) };
}

/** The bytes of the user's file a model needs (a weights file, or a user's ONNX / TFLite file). */
function userFile(model) {
  const name = model.weights && model.weights.file;
  if (name) {
    const held = userWeights.get(name);
    if (!held) throw new Error(`Choose the weights file ${name} again: this tab does not hold it.`);
    return held.bytes.slice(0);
  }
  const own = model.tflite || model.onnx;
  const held = own ? userFiles.get(own) : undefined;
  return held ? held.bytes.slice(0) : undefined;
}

function mb(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * Runs the check for `side` (or for `model`, a spec side, when given: the tests' way in);
 * resolves with {label, imagenet, images: [{image, top: [{index, label, p}]}], cancelled},
 * also kept in classifyResults[side] and shown as a table beside the button.
 */
export async function checkSide(side, { model, n = CHECK_IMAGES, k = TOP } = {}) {
  const e = els(side);
  const m = model || checkableModel(side);
  cancelCheck(side);
  e.error.hidden = true;
  e.error.textContent = '';
  e.table.replaceChildren();
  for (const u of shownUrls.get(side) || []) URL.revokeObjectURL(u);
  shownUrls.delete(side);
  if (!m) {
    const message = 'Choose trained weights (or a trained TFLite model) for this side first; the spec must be the form\'s simple shape.';
    fail(e, message);
    throw new Error(message);
  }
  const job = `classify-${++jobCounter}`;
  let stopped = false;
  const entry = { job, cancel() { stopped = true; ensureWorker().worker.postMessage({ type: 'cancel-fetch', target: job }); } };
  jobs.set(side, entry);
  e.run.disabled = true;
  e.cancel.hidden = false;
  e.status.textContent = 'Preparing the images…';
  const rows = [];
  const tbody = startTable(e.table);
  try {
    const { images, urls } = await imagesToCheck(n);
    const file = userFile(m);
    const transfer = [...images.map((i) => i.bytes), ...(file ? [file] : [])];
    const total = images.length + urls.length;
    const own = images.map((i) => URL.createObjectURL(new Blob([i.bytes.slice(0)])));
    shownUrls.set(side, own);
    const thumbs = [...own, ...urls];
    if (stopped) throw Object.assign(new Error('cancelled'), { cancelled: true });
    e.status.textContent = `Starting the check on ${total} images…`;
    const reply = await call({ type: 'classify', job, model: m, file, images, urls, k }, transfer, {
      onEvent: (msg) => {
        const c = msg.classify;
        if (!c) {
          if (msg.name) e.status.textContent = `Loading ${msg.name.split('/').pop()}: ${mb(msg.loaded)}${msg.total ? ` of ${mb(msg.total)}` : ''}`;
          return;
        }
        if (c.stage === 'building the model') {
          e.status.textContent = 'Building the model…';
          return;
        }
        rows.push({ image: c.image, top: c.top });
        addRow(tbody, thumbs[c.done - 1], c.image, c.top);
        e.status.textContent = `Classifying: image ${c.done} of ${c.total}`;
      },
    });
    const result = reply.value;
    classifyResults[side] = result;
    const classes = result.imagenet ? 'ImageNet-1k classes' : 'the model\'s own class indices (not ImageNet-1k\'s)';
    e.status.textContent = result.cancelled
      ? `Cancelled after ${result.images.length} of ${total} images.`
      : `${result.label}: top ${k} of ${classes} on ${result.images.length} images, as idlab classify gives them.`;
    return result;
  } catch (err) {
    if (err && err.cancelled) {
      e.status.textContent = 'Cancelled.';
      classifyResults[side] = { label: '', imagenet: true, images: rows, cancelled: true };
      return classifyResults[side];
    }
    fail(e, `The check failed: ${err.message}`);
    throw err;
  } finally {
    if (jobs.get(side) === entry) jobs.delete(side);
    e.run.disabled = false;
    e.cancel.hidden = true;
  }
}

/** Stops the side's check between two images (a download is aborted at once). */
export function cancelCheck(side) {
  const j = jobs.get(side);
  if (j) j.cancel();
}

function fail(e, message) {
  e.status.textContent = '';
  e.error.textContent = message;
  e.error.hidden = false;
}

function startTable(container) {
  const table = document.createElement('table');
  table.className = 'classify-results';
  const head = table.createTHead().insertRow();
  for (const h of ['Image', 'Top classes (p)']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const tbody = table.createTBody();
  container.replaceChildren(table);
  return tbody;
}

function addRow(tbody, thumb, name, top) {
  const row = tbody.insertRow();
  const cell = row.insertCell();
  if (thumb) {
    const img = document.createElement('img');
    img.src = thumb;
    img.alt = '';
    img.width = 40;
    img.height = 40;
    cell.append(img);
  }
  const caption = document.createElement('span');
  caption.textContent = name;
  cell.append(caption);
  const list = document.createElement('ol');
  for (const p of top) {
    const li = document.createElement('li');
    li.textContent = `${p.label.split(',')[0]} (${p.index}) ${p.p.toFixed(3)}`;
    li.title = `${p.index}: ${p.label}, p = ${p.p}`;
    list.append(li);
  }
  row.insertCell().append(list);
}

/** Adds the check beside both sides and keeps it shown only beside a trained model. */
export function wireClassify() {
  for (const side of SIDES) buildSide(side);
  // The form is rewritten from many places (the JSON, presets, the permalink): follow its controls.
  ui.form.addEventListener('change', () => setTimeout(refreshClassify, 0));
  ui.spec.addEventListener('input', () => setTimeout(refreshClassify, 0));
  setInterval(refreshClassify, 500);
  refreshClassify();
}
