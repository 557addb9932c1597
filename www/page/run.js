// Starting a run: the spec parsed and upgraded, refused on this page (before the worker
// hears of it) when it cannot work, and sent with copies of the user's files it names.

import { ui, setStatus, announce, showError } from './dom.js';
import { state, userFiles, userData } from './state.js';
import { beginRun, isActive, postRun, failRun, running } from './status.js';
import { specPreflight } from './memory.js';
import { upgradeSpec, specModels, specDataFiles } from '../spec.js';

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
  spec = upgradeSpec(spec);

  // Refuse, on this page and before the worker hears of it, a run that cannot work:
  // a model too big for the tab, or two models that take different input sizes.
  const checked = state.zooModels !== null;
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
    if (!state.userStimuli || state.userStimuli.folder !== upload.folder) {
      return refuse(`The spec's stimuli are your images (${upload.folder}), which this page does not have: ` +
        'add that folder or .zip under "Your data" first.');
    }
    stimuli = state.userStimuli.files.map((f) => ({ name: f.name, bytes: f.bytes.slice(0) }));
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

  const { id, entry, promise } = beginRun(spec);
  Promise.all([entry.ready, state.zooReady]).then(
    () => {
      if (!isActive(id)) return; // cancelled while waiting
      if (!checked && state.zooModels) {
        // The model list arrived after Run was pressed: check now, still before posting.
        const refusal = specPreflight(spec);
        if (refusal) {
          failRun(id, refusal);
          ui.status.textContent = 'Not run: see the message below.';
          return;
        }
      }
      postRun(id, { type: 'run', spec, models, data, stimuli },
        [...Object.values(models), ...Object.values(data), ...stimuli.map((f) => f.bytes)]);
    },
    (err) => {
      if (isActive(id)) failRun(id, err.message, { shown: Boolean(entry.failed) });
    },
  );
  return promise;
}

/** Runs the spec in the textarea (the Run button, Enter in the form). */
export function runFromTextarea() {
  run(ui.spec.value).catch(() => { /* shown in #error, or cancelled */ });
}

function refuse(message) {
  showError(message);
  setStatus('Not run: see the message below.');
  announce('Run refused.');
  return Promise.reject(new Error(message));
}
