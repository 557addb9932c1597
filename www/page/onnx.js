// The ONNX side panel of each side of the form: a user's model from a file or a URL,
// inspected by the core in the worker; its layers to record and its preprocessing.

import { sideUi, SIDES, readInt, dropZone, showError, clearError } from './dom.js';
import { block, unblock } from './run-gate.js';
import { userFiles } from './state.js';
import { call } from './worker-client.js';
import { formatBytes } from '../format.js';

/** The "Your model (ONNX)" entry of each side's model selector. */
export const ONNX_OPTION = '__onnx__';
// Layers chosen by default in a user's model: up to this many, evenly spaced
// among the outputs of these ops (else among all candidates).
const DEFAULT_ONNX_LAYERS = 10;
const DEFAULT_ONNX_OPS = ['Relu', 'Gemm', 'Add'];

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

let onEdit = () => {}; // the form's "a field changed" (set by wireOnnx)

export function onnxChosen(side) {
  return sideUi(side).arch.value === ONNX_OPTION;
}

export function showOnnx(side, shown) {
  const s = sideUi(side);
  s.onnx.hidden = !shown;
  s.seed.disabled = shown;
  s.seed.closest('.field').hidden = shown;
}

/** The spec side the form describes for a user model, or null while no file is chosen or a field is invalid. */
export function onnxSide(side) {
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
export function readPreprocess(side) {
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
export function showPreprocess(side, m = {}) {
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
export function showLayers(side, name, chosen) {
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
export function defaultLayers(inspection) {
  let pool = inspection.layers.filter((c) => DEFAULT_ONNX_OPS.includes(c.op));
  if (!pool.length) pool = inspection.layers;
  if (pool.length <= DEFAULT_ONNX_LAYERS) return pool.map((c) => c.tensor);
  const out = [];
  for (let k = 0; k < DEFAULT_ONNX_LAYERS; k++) {
    out.push(pool[Math.round((k * (pool.length - 1)) / (DEFAULT_ONNX_LAYERS - 1))].tensor);
  }
  return [...new Set(out)];
}

/** Zoo-like entries ({arch, input}) for a form view's user models, for the input-size check. */
export function userEntries(spec) {
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
      input: {
        size,
        mean: Array.isArray(m.mean) ? m.mean : i.preprocess ? i.preprocess.mean : IMAGENET_MEAN,
        std: Array.isArray(m.std) ? m.std : i.preprocess ? i.preprocess.std : IMAGENET_STD,
      },
    };
  }
  return out;
}

async function addUserFile(side, name, bytes, inspected) {
  const s = sideUi(side);
  clearError();
  s.info.textContent = `Reading ${name}…`;
  try {
    let reply = inspected;
    if (!reply) {
      const copy = bytes.slice(0); // the page keeps `bytes`; the worker gets this copy
      reply = await call({ type: 'inspect', name, bytes: copy }, [copy]);
    }
    const buffer = bytes || reply.bytes;
    userFiles.set(reply.name || name, { bytes: buffer, size: buffer.byteLength, inspection: reply.inspection });
    s.arch.value = ONNX_OPTION;
    showOnnx(side, true);
    showLayers(side, reply.name || name, defaultLayers(reply.inspection));
    showPreprocess(side, { onnx: reply.name || name });
    unblock(`${side}-onnx`);
    onEdit();
  } catch (err) {
    s.info.textContent = `${name} cannot be used (see the message below).`;
    block(`${side}-onnx`, `the ${side} model ${name} could not be read (choose another file, or a zoo model)`);
    showError(err.message);
  }
}

async function onFileChosen(side, file) {
  if (!file) return;
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (err) {
    block(`${side}-onnx`, `the ${side} model ${file.name} could not be read`);
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
    const reply = await call({ type: 'fetch-model', url });
    await addUserFile(side, reply.name, null, reply);
  } catch (err) {
    s.info.textContent = 'The model could not be loaded (see the message below).';
    block(`${side}-onnx`, `the ${side} model at ${url} could not be loaded`);
    showError(err.message);
  }
}


function wireSide(side) {
  const s = sideUi(side);
  s.file.addEventListener('change', () => onFileChosen(side, s.file.files[0]));
  s.fetch.addEventListener('click', () => onUrlChosen(side));
  s.url.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      onUrlChosen(side);
    }
  });
  s.layers.addEventListener('change', () => onEdit());
  for (const el of [s.size, s.mean, s.std]) el.addEventListener('input', () => onEdit());
  s.channels.addEventListener('change', () => onEdit());
  dropZone(s.drop, (event) => {
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) onFileChosen(side, file);
  });
  s.arch.addEventListener('change', () => {
    const chosen = onnxChosen(side);
    showOnnx(side, chosen);
    if (chosen && !s.layers.dataset.file) s.info.textContent = 'Choose an ONNX file (NCHW image input).';
    if (!chosen && s.seed.value.trim() === '') s.seed.value = '0'; // back to the zoo: a seed to start from
    if (!chosen) unblock(`${side}-onnx`); // the file that failed is no longer asked for
  });
}

/** Wires both sides' panels; `onFormEdit` runs when one of their fields changes. */
export function wireOnnx(onFormEdit) {
  onEdit = onFormEdit;
  for (const side of SIDES) wireSide(side);
}
