// Starting a run: the spec parsed and upgraded, refused on this page (before the worker
// hears of a run) when it cannot work, and sent with copies of the user's files it names.
// The upgrade, the files a spec needs and its memory are the core's (core.js), asked once
// the worker is ready: the run shows as starting meanwhile, and Cancel works.

import { ui, setStatus, announce, showError } from './dom.js';
import { state, userFiles, userData, userWeights } from './state.js';
import { isShipped, clearWeightsErrors } from './weights.js';
import { beginRun, isActive, postRun, failRun, running } from './status.js';
import { specPreflight } from './memory.js';
import { upgraded, specInputs } from './core.js';
import { describedSpec } from './about.js';

/** Runs a spec (an object or JSON text); resolves with the result, rejects with why it did not run. */
export function run(spec) {
  if (typeof spec === 'string') {
    try {
      spec = JSON.parse(spec);
    } catch (err) {
      const message = `The spec is not valid JSON: ${err.message}`;
      showError(message);
      return Promise.reject(new Error(message));
    }
  }
  if (running()) return Promise.reject(new Error('A run is already in progress; cancel it first.'));
  const { id, entry, promise } = beginRun(spec);
  clearWeightsErrors();
  Promise.all([entry.ready, state.zooReady]).then(() => prepare(spec)).then(
    (prepared) => {
      if (!isActive(id)) return; // cancelled while waiting
      if (typeof prepared === 'string') {
        // Refused on this page: a model too big for the tab, models of different input sizes, a file it lacks.
        failRun(id, prepared);
        setStatus('Not run: see the message below.');
        announce('Run refused.');
        return;
      }
      const { models, data, stimuli, weights } = prepared;
      postRun(id, { type: 'run', ...prepared },
        [...Object.values(models), ...Object.values(data), ...Object.values(weights), ...stimuli.map((f) => f.bytes)]);
    },
    (err) => {
      if (isActive(id)) failRun(id, err.message, { shown: Boolean(entry.failed) });
    },
  );
  return promise;
}

/**
 * The run's message ({spec, models, data, stimuli}: the spec upgraded, copies of the user's files
 * it names), or why this page refuses it (a string). A spec the core cannot read goes to the
 * worker as it is: the run reports the core's error.
 */
async function prepare(spec) {
  spec = await upgraded(spec);
  if (state.zooModels) {
    const refusal = await specPreflight(spec);
    if (refusal) return refusal;
  }
  let inputs = { models: [], data: [] };
  try {
    inputs = await specInputs(spec);
  } catch { /* the run says it */ }
  // A user model's bytes must be in this tab; they travel with the run.
  const models = {};
  for (const file of inputs.models) {
    if (isShipped(file)) continue; // a TFLite model the site ships: the worker fetches it
    const held = userFiles.get(file);
    if (!held) {
      return `The spec names your ONNX file ${file}, which this page does not have: ` +
        'choose it under "Your model (ONNX)" (or load it from a URL) first.';
    }
    models[file] = held.bytes.slice(0);
  }
  // And the user's images, when one of the spec's stimulus sets is an upload.
  let stimuli = [];
  const upload = [spec.stimuli, ...(Array.isArray(spec.more_stimuli) ? spec.more_stimuli : [])].find((s) => s && s.set === 'upload');
  if (upload) {
    if (!state.userStimuli || state.userStimuli.folder !== upload.folder) {
      return `The spec's stimuli are your images (${upload.folder}), which this page does not have: ` +
        'add that folder or .zip under "Your data" first.';
    }
    stimuli = state.userStimuli.files.map((f) => ({ name: f.name, bytes: f.bytes.slice(0) }));
  }
  // So do the user's data files (responses, RDMs).
  const data = {};
  for (const name of inputs.data) {
    const file = userData.get(name);
    if (!file) return `The spec's target ${name} is a data file this page does not have: add it under "Your data" first.`;
    data[name] = file.bytes.slice(0);
  }
  // And the user's trained weights files (URLs and shipped files are fetched by the worker).
  const weights = {};
  for (const w of Array.isArray(inputs.weights) ? inputs.weights : []) {
    if (w.kind !== 'file') continue;
    const held = userWeights.get(w.name);
    if (!held) return `The spec names the weights file ${w.name}, which this page does not have: choose it under "Trained weights" first.`;
    weights[w.name] = held.bytes.slice(0);
  }
  // Described last: the checks above are the form's, already answered for this very spec.
  return { spec: describedSpec(spec), models, data, stimuli, weights };
}

/** Runs the spec in the textarea (the Run button, Enter in the form). */
export function runFromTextarea() {
  run(ui.spec.value).catch(() => { /* shown in #error, or cancelled */ });
}
