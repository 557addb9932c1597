// The model zoo as the page sees it (models/zoo.json, copied there by build.sh), and the
// words of the memory check the page makes before a spec goes to the worker: the numbers
// are the core's (estimate_memory, crate/src/experiment/memory.rs, asked by page/core.js);
// this module says what they mean and what the tab can hold. Pure functions only: no DOM.

import { formatBytes } from './format.js';

export const ZOO_URL = 'models/zoo.json';

const GiB = 2 ** 30;

/** WebAssembly (wasm32) can address at most 4 GB; keep 0.5 GB of headroom for fragmentation and copies. */
export const WASM_MAX_BYTES = 4 * GiB;
export const HEADROOM_BYTES = 0.5 * GiB;
export const TAB_LIMIT_BYTES = WASM_MAX_BYTES - HEADROOM_BYTES;

/** Linear CKA needs at least this many images. */
export const MIN_IMAGES = 3;

/** Families in the order the selectors list them; any other family follows. */
export const FAMILY_ORDER = ['cnn', 'transformer', 'mixer'];
const FAMILY_LABELS = { cnn: 'Convolutional networks (cnn)', transformer: 'Vision transformers (transformer)', mixer: 'MLP-Mixers (mixer)' };

/** Checks the manifest's shape; returns its models (throws with a readable message). */
export function parseZoo(manifest) {
  if (!manifest || !Array.isArray(manifest.models)) throw new Error('the model list has no "models" array');
  for (const m of manifest.models) {
    if (!m || typeof m.arch !== 'string' || !Number.isFinite(m.parameters) || !Array.isArray(m.layers)) {
      throw new Error(`the model list has a malformed entry: ${JSON.stringify(m).slice(0, 120)}`);
    }
  }
  return manifest.models;
}

/** [{family, label, models: [entry…]}] in FAMILY_ORDER, then any other family alphabetically; models keep manifest order. */
export function groupByFamily(models) {
  const groups = new Map();
  for (const m of models) {
    const family = m.family || 'other';
    if (!groups.has(family)) groups.set(family, []);
    groups.get(family).push(m);
  }
  const rank = (f) => {
    const i = FAMILY_ORDER.indexOf(f);
    return i < 0 ? FAMILY_ORDER.length : i;
  };
  return [...groups.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((family) => ({ family, label: FAMILY_LABELS[family] || family, models: groups.get(family) }));
}

/** "11.7 M parameters" */
export function formatParameters(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B parameters`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M parameters`;
  return `${Math.round(n / 1e3)} k parameters`;
}

/** "resnet18 — 11.7 M parameters" */
export function modelLabel(entry) {
  return `${entry.arch} — ${formatParameters(entry.parameters)}`;
}


/**
 * The most the tab should use: 4 GB of wasm memory less 0.5 GB of headroom, and
 * no more than half the device's memory where the browser says how much it has
 * (navigator.deviceMemory, in GB). `deviceMemory` may be passed for tests.
 */
export function memoryLimit(deviceMemory = (typeof navigator !== 'undefined' ? navigator.deviceMemory : undefined)) {
  const tab = { bytes: TAB_LIMIT_BYTES, why: "WebAssembly's 4 GB less 0.5 GB of headroom" };
  if (Number.isFinite(deviceMemory) && deviceMemory > 0) {
    const half = (deviceMemory * GiB) / 2;
    if (half < tab.bytes) return { bytes: half, why: `half of this device's ${deviceMemory} GB of memory` };
  }
  return tab;
}

/**
 * How one model's estimate (an entry of the core's `models`) adds up, e.g. "11.7 M parameters
 * × 4 bytes = 47 MB of weights, 56 MB while it is built (with the copies made as it is
 * optimised), + …".
 */
export function describeEstimate(e) {
  const weights = e.weights_file > 0
    ? `${formatBytes(e.weights)} of weights while it is built (its ${formatBytes(e.weights_file)} trained weights file and the tensors read from it)`
    : `${formatParameters(e.parameters)} × 4 bytes = ${formatBytes(e.parameters * 4)} of weights, ${formatBytes(e.weights)} while it is built (with the copies made as it is optimised)`;
  // Older estimates (no `graph`) added the two phases.
  const recording = `${formatBytes(e.activations)} while its ${e.layers} layers record ${e.images} images (activations, Gram matrices, features` +
    (e.spilled > 0 ? `; ${formatBytes(e.spilled)} of activations spill to the browser's disk storage, not memory` : '') + ')';
  const phases = e.graph > 0
    ? `the larger of ${weights} and ${formatBytes(e.graph)} of built model + ${recording}, `
    : `${weights}, + ${recording}, `;
  return phases +
    (e.held > 0 ? `+ ${formatBytes(e.held)} the models before it keep until scoring, ` : '') +
    `+ ${formatBytes(e.stimuli)} of preprocessed images, ` +
    (e.kept > 0 ? `+ ${formatBytes(e.kept)} kept for download (every model's activations and RDMs, and their .zip), ` : '') +
    `+ ${formatBytes(e.base)} base`;
}

/**
 * {fits, total, limit, message} of one model's estimate: message (only when it does not fit)
 * names the model and the numbers; `most` is the most images it fits with, when known.
 */
export function checkFits(estimate, deviceMemory, most) {
  const limit = memoryLimit(deviceMemory);
  const fits = estimate.total <= limit.bytes;
  const out = { fits, arch: estimate.arch, total: estimate.total, limit: limit.bytes, limitReason: limit.why };
  if (!fits) {
    out.message =
      `${estimate.arch} will not fit in this tab: it needs about ${formatBytes(estimate.total)} while it loads ` +
      `(${describeEstimate(estimate)}), more than the ${formatBytes(limit.bytes)} this tab can use (${limit.why}). ` +
      advice(estimate, most);
  }
  return out;
}

/** What to do about a model that does not fit. */
function advice(estimate, most) {
  if (most >= MIN_IMAGES && most < estimate.images) {
    return `It fits with at most ${most} images; use fewer images, or a smaller model.`;
  }
  return 'Choose a smaller model.';
}

/**
 * True when two zoo entries take the same input size. The core resizes the
 * images once and each model normalises them with its own mean and std, so
 * only the size has to agree.
 */
export function sameInput(a, b) {
  return ((a.input || {}).size ?? null) === ((b.input || {}).size ?? null);
}

function describeInput(entry) {
  const i = entry.input || {};
  const r = (v) => (Array.isArray(v) ? `[${v.map((x) => Number(x).toFixed(3)).join(', ')}]` : String(v));
  return `${i.size} px, mean ${r(i.mean)}, std ${r(i.std)}`;
}

/**
 * Why zoo entries cannot share one run (they take different input sizes), or null. `entries`
 * are the zoo entries of a spec's models, in spec order.
 */
export function inputRefusal(entries) {
  const first = entries[0];
  const other = entries.find((e) => !sameInput(first, e));
  if (!other) return null;
  return `${first.arch} and ${other.arch} cannot be compared in one run: they take different input sizes ` +
    `(${first.arch}: ${describeInput(first)}; ${other.arch}: ${describeInput(other)}), ` +
    'and this version resizes the images once for every model. Choose models with the same input size.';
}
