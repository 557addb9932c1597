// The model zoo as the page sees it (models/zoo.json, copied there by build.sh),
// and the memory check that runs on the page before a spec goes to the worker.
// Pure functions only: no DOM, so they can be called from tests through
// window.idlab.estimateMemory / window.idlab.checkFits.

import { formatBytes } from './format.js';

export const ZOO_URL = 'models/zoo.json';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Bytes of the page and the wasm module itself, before any model. */
export const BASE_BYTES = 64 * MiB;
/** WebAssembly (wasm32) can address at most 4 GB; keep 0.5 GB of headroom for fragmentation and copies. */
export const WASM_MAX_BYTES = 4 * GiB;
export const HEADROOM_BYTES = 0.5 * GiB;
export const TAB_LIMIT_BYTES = WASM_MAX_BYTES - HEADROOM_BYTES;

/** Images in each stimulus set the lab ships. */
export const STIMULUS_SETS = {
  kriegeskorte92: 92,
  'kriegeskorte92-scrambled': 92,
  'cowley-v4': 1200, // Cowley et al.'s macaque V4 images
  textures: 92, // generated: the default count
  objects: 92,
};
/** Sets the crate generates (their size is `stimuli.count`, default 92). */
export const GENERATED_SETS = ['textures', 'objects'];

/** Images in the spec's whole set (before `limit`), or undefined for an unknown set. */
let uploadedImages;
/** The number of the user's images the page holds (the size of the `upload` set). */
export function setUploadCount(n) {
  uploadedImages = n;
}

export function setSize(stimuli) {
  const s = stimuli || {};
  if (s.set === 'upload') return uploadedImages;
  if (GENERATED_SETS.includes(s.set) && Number.isInteger(s.count)) return s.count;
  return STIMULUS_SETS[s.set];
}
/** Linear CKA needs at least this many images. */
export const MIN_IMAGES = 3;

/** Families in the order the selectors list them; any other family follows. */
export const FAMILY_ORDER = ['cnn', 'transformer', 'mixer'];
const FAMILY_LABELS = { cnn: 'Convolutional networks (cnn)', transformer: 'Vision transformers (transformer)', mixer: 'MLP-Mixers (mixer)' };

const PRE = ':pre';

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


function units(layer) {
  return (layer.shape || []).reduce((a, b) => a * b, 1);
}

/**
 * The layers of `entry` a spec records: all of them, or those named in `layerNames`
 * (`name` or `name:pre`, both the same size). Unknown names are skipped here: the
 * core reports them.
 */
export function recordedLayers(entry, layerNames) {
  if (!Array.isArray(layerNames) || layerNames.length === 0) return entry.layers;
  const byName = new Map(entry.layers.map((l) => [l.name, l]));
  return layerNames
    .map((n) => byName.get(String(n).endsWith(PRE) ? String(n).slice(0, -PRE.length) : String(n)))
    .filter(Boolean);
}

/**
 * Peak memory of the tab while `entry` loads and records `images` images:
 * weights twice (the ONNX bytes plus tract's copy; the first is freed once the
 * model is loaded) + every recorded layer's activations for every image (kept
 * until that model's Gram matrices are complete) + a fixed base.
 * The two models of a spec load one after the other, so each is checked alone,
 * plus `kept`: what the spec's export keeps for download (see exportBytes).
 */
export function estimateMemory(entry, images, layerNames, kept = 0) {
  const n = Math.max(0, Math.floor(Number(images) || 0));
  const weights = entry.parameters * 4 * 2;
  const layers = recordedLayers(entry, layerNames);
  const activations = layers.reduce((sum, l) => sum + units(l) * n * 4, 0);
  return {
    arch: entry.arch,
    parameters: entry.parameters,
    images: n,
    layers: layers.length,
    weights,
    activations,
    kept,
    base: BASE_BYTES,
    total: weights + activations + kept + BASE_BYTES,
  };
}

/**
 * Bytes that `spec.export` keeps in the tab until the run ends, counted twice
 * (the .npy files, and the .zip built from them at the end): every recorded
 * layer's activations of every model (units × images × 4 bytes) when
 * `export.activations`, and an images × images float64 RDM per layer when
 * `export.rdms`. `spec` is a version 2 spec or the form's view of one;
 * `entryOf(model, side)` gives a model's zoo-like entry (side: 'source' or
 * 'target' in the form's view), and a model without one is not counted.
 * 0 without an export.
 */
export function exportBytes(spec, entryOf) {
  const x = spec && spec.export;
  if (!x || typeof x !== 'object') return 0;
  const n = specImages(spec) || 0;
  const models = Array.isArray(spec.sources) || Array.isArray(spec.targets)
    ? [...(spec.sources || []), ...(spec.targets || [])].map((m) => [m, undefined])
    : [[spec.source, 'source'], [spec.target, 'target']];
  let bytes = 0;
  for (const [m, side] of models) {
    if (!m || typeof m !== 'object') continue;
    const entry = entryOf(m, side);
    if (!entry) continue;
    const layers = recordedLayers(entry, typeof m.onnx === 'string' || Array.isArray(m.layers) ? m.layers : spec.layers);
    for (const l of layers) {
      if (x.activations) bytes += units(l) * n * 4;
      if (x.rdms) bytes += n * n * 8;
    }
  }
  return 2 * bytes;
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

/** How an estimate adds up, e.g. "11.7 M parameters × 4 bytes × 2 = 89 MB of weights + …". */
export function describeEstimate(e) {
  return `${formatParameters(e.parameters)} × 4 bytes × 2 = ${formatBytes(e.weights)} of weights, ` +
    `+ ${formatBytes(e.activations)} of activations (the units of ${e.layers} recorded layers × ${e.images} images × 4 bytes), ` +
    (e.kept > 0 ? `+ ${formatBytes(e.kept)} kept for download (every model's activations and RDMs, and their .zip), ` : '') +
    `+ ${formatBytes(e.base)} base`;
}

/**
 * The most images `entry` can record within `limitBytes` (0 if even its weights do
 * not fit; Infinity if it records nothing).
 */
export function maxImages(entry, limitBytes, layerNames) {
  const perImage = recordedLayers(entry, layerNames).reduce((sum, l) => sum + units(l) * 4, 0);
  const room = limitBytes - entry.parameters * 4 * 2 - BASE_BYTES;
  if (room < 0) return 0;
  return perImage > 0 ? Math.floor(room / perImage) : Infinity;
}

/**
 * {fits, total, limit, message}: message (only when it does not fit) names the
 * model and the numbers.
 */
export function checkFits(estimate, deviceMemory, entry, layerNames) {
  const limit = memoryLimit(deviceMemory);
  const fits = estimate.total <= limit.bytes;
  const out = { fits, arch: estimate.arch, total: estimate.total, limit: limit.bytes, limitReason: limit.why };
  if (!fits) {
    out.message =
      `${estimate.arch} will not fit in this tab: it needs about ${formatBytes(estimate.total)} while it loads ` +
      `(${describeEstimate(estimate)}), more than the ${formatBytes(limit.bytes)} this tab can use (${limit.why}). ` +
      advice(estimate, limit.bytes, entry, layerNames);
  }
  return out;
}

function advice(estimate, limitBytes, entry, layerNames) {
  const most = entry ? maxImages(entry, limitBytes, layerNames) : 0;
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

/** Number of images a stimulus set uses (its limit, or the whole set). */
function setImages(stimuli) {
  const all = setSize(stimuli);
  const limit = Number.isInteger(stimuli.limit) ? stimuli.limit : undefined;
  if (all === undefined) return limit;
  return limit === undefined ? all : Math.min(limit, all);
}

/**
 * Number of images a spec's models hold at once: its set's, or, over several sets
 * (`more_stimuli`, run one after the other), the largest.
 */
export function specImages(spec) {
  const sets = [(spec && spec.stimuli) || {}, ...(spec && Array.isArray(spec.more_stimuli) ? spec.more_stimuli : [])];
  const counts = sets.map((s) => setImages(s || {}));
  if (counts.some((n) => n === undefined)) return counts[0];
  return Math.max(...counts);
}

/**
 * The checks of a many-model spec: every zoo model (`list` is spec.js's
 * specModels(spec), [{role, model}]) takes the same input size and fits in
 * the tab with the spec's images (the largest set's). Null, or a message.
 */
export function preflightModels(spec, list, models, deviceMemory, kept = 0) {
  const images = specImages(spec);
  const zoo = list.filter(({ model }) => typeof model.arch === 'string')
    .map(({ role, model }) => ({ role, model, entry: (models || []).find((m) => m.arch === model.arch) }));
  const known = zoo.filter((z) => z.entry);
  for (const z of known) {
    if (!sameInput(known[0].entry, z.entry)) {
      return `${known[0].entry.arch} and ${z.entry.arch} cannot be compared in one run: they take different input sizes; ` +
        'this version resizes the images once for every model. Choose models with the same input size.';
    }
  }
  if (images === undefined) return null;
  for (const z of known) {
    const layers = Array.isArray(z.model.layers) ? z.model.layers : spec.layers;
    const check = checkFits(estimateMemory(z.entry, images, layers, kept), deviceMemory, z.entry, layers);
    if (!check.fits) return `Not run (${z.role} ${z.entry.arch}): ${check.message}`;
  }
  return null;
}

/**
 * Everything the page checks before a spec goes to the worker. Returns null when
 * the run may go ahead, else a message. Models that are not in the zoo list are
 * left to the core, which names the zoo it knows.
 */
export function preflight(spec, models, deviceMemory, users = {}) {
  if (!spec || typeof spec !== 'object' || !Array.isArray(models)) return null;
  const find = (side) => {
    const m = spec[side];
    if (m && typeof m === 'object' && typeof m.onnx === 'string') return users[side];
    return m && typeof m === 'object' ? models.find((e) => e.arch === m.arch) : undefined;
  };
  // A user model records its own layers; the top-level list is for zoo models.
  const layersOf = (side) => (spec[side] && typeof spec[side].onnx === 'string' ? spec[side].layers : spec.layers);
  const source = find('source');
  const target = find('target');
  if (source && target && !sameInput(source, target)) {
    return `${source.arch} and ${target.arch} cannot be compared in one run: they take different input sizes ` +
      `(${source.arch}: ${describeInput(source)}; ${target.arch}: ${describeInput(target)}), ` +
      'and this version resizes the images once for both models. Choose two models with the same input size.';
  }
  const images = specImages(spec);
  if (images === undefined) return null; // unknown stimulus set: the core says so
  const kept = exportBytes(spec, (m, side) => (typeof m.onnx === 'string' ? users[side] : models.find((e) => e.arch === m.arch)));
  for (const [side, entry] of [['source', source], ['target', target]]) {
    if (!entry) continue;
    const check = checkFits(estimateMemory(entry, images, layersOf(side), kept), deviceMemory, entry, layersOf(side));
    if (!check.fits) return `Not run (${side} model): ${check.message}`;
  }
  return null;
}
