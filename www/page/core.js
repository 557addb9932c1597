// What the page asks the Rust core (crate/src/wasm.rs, through the worker: worker-client.js's
// `core`), so that each thing is computed once, in Rust, as `idlab run` computes it: a spec's
// upgrade to the current version, what it needs before it runs (the user's files, its stimulus
// sets and their sizes) and the memory its run takes. The form asks on every edit, so answers
// are kept by the spec's text (and, for the memory, the user's files it names).

import { core } from './worker-client.js';
import { state, userFiles, userWeights } from './state.js';
import { SPEC_VERSION, inPresetOrder } from '../spec.js';

const KEEP = 64;           // answers kept (the oldest is dropped first)
const answers = new Map(); // key -> promise of the core's answer

function cached(key, ask) {
  if (!answers.has(key)) {
    if (answers.size >= KEEP) answers.delete(answers.keys().next().value);
    const answer = ask();
    answers.set(key, answer);
    answer.catch(() => answers.delete(key)); // a spec error is asked again (the worker may have restarted)
  }
  return answers.get(key);
}

/**
 * The spec at the current version: a current one as it is (its keys in the order written),
 * an older one rewritten by the core's upgrade (its keys put back in the presets' order).
 */
export async function upgraded(spec) {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec) || spec.idlab === SPEC_VERSION) return spec;
  const value = await core('upgrade_spec', spec);
  return value && typeof value === 'object' && !Array.isArray(value) ? inPresetOrder(value) : value;
}

/**
 * The core's `spec_inputs`: {stimuli: {set, n, all, paths}, sets: [{set, n, all}], models, data,
 * datasets} (n: the images a set uses, all: its whole size, null for an upload); rejects with
 * the spec's error.
 */
export function specInputs(spec) {
  return cached(`inputs ${JSON.stringify(spec)}`, () => core('spec_inputs', spec));
}

/**
 * The core's `estimate_memory` of a spec: {images, models: [{id, arch, total, …}], total} in
 * bytes, with the user's ONNX files this tab holds sized by their bytes and chosen layers, and
 * the user's images counted; rejects with the spec's error.
 */
export function memoryEstimate(spec) {
  const users = userModels(spec);
  return cached(`memory ${JSON.stringify([spec, users])}`, () => core('estimate_memory', spec, users));
}

/**
 * {models: {file: {bytes, units: [per chosen layer]}}, weights: {name: bytes}, upload_images}: what
 * only this tab knows (a weights file's size: the user's, or a URL's kept in this browser).
 */
function userModels(spec) {
  const models = {};
  const weights = {};
  const list = [...(Array.isArray(spec.sources) ? spec.sources : []), ...(Array.isArray(spec.targets) ? spec.targets : [])];
  for (const m of list) {
    const w = m && m.weights && typeof m.weights === 'object' ? m.weights : null;
    if (w && typeof w.file === 'string' && userWeights.has(w.file)) weights[w.file] = userWeights.get(w.file).size;
    if (w && typeof w.url === 'string') {
      const kept = state.keptWeights && state.keptWeights.entries.find((e) => e.url === w.url);
      if (kept) weights[w.url] = kept.size;
    }
    const file = m && typeof m.onnx === 'string' ? userFiles.get(m.onnx) : undefined;
    if (!file) continue;
    const shapes = new Map(file.inspection.layers.map((c) => [c.tensor, c.shape]));
    const units = (Array.isArray(m.layers) ? m.layers : [])
      .map((name) => shapes.get(String(name)))
      .filter(Boolean)
      .map((shape) => shape.reduce((a, b) => a * b, 1));
    models[m.onnx] = { bytes: file.size, units };
  }
  return { models, weights, upload_images: state.userStimuli ? state.userStimuli.files.length : 0 };
}
