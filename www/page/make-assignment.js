// "Make an assignment from this run": hands the lab's last spec and result (and the user's files
// the spec names: they become the assignment's data) to author mode, assignment.html#author,
// through IndexedDB (a result is too large for a URL, and a URL is shared). Loaded by its own
// script tag; it shows its button once a result is drawn.

import { state, userData, userFiles, userWeights } from './state.js';
import { handOver } from '../assignment/handover.js';

const box = document.getElementById('make-assignment-box');
const button = document.getElementById('make-assignment');
const note = document.getElementById('make-assignment-note');

/** The user's files (name -> Uint8Array) that `spec` names: models, weights, responses, RDMs, images. */
function namedFiles(spec) {
  const text = JSON.stringify(spec);
  const files = {};
  for (const map of [userFiles, userWeights, userData]) {
    for (const [name, held] of map) {
      if (text.includes(JSON.stringify(name))) files[name] = new Uint8Array(held.bytes.slice(0));
    }
  }
  // The user's images, when the spec's stimuli are an upload: data/FOLDER/NAME in the assignment.
  const upload = spec && spec.stimuli && spec.stimuli.set === 'upload' ? spec.stimuli.folder : null;
  if (upload && state.userStimuli && state.userStimuli.folder === upload) {
    for (const f of state.userStimuli.files) files[`${upload}/${f.name}`] = new Uint8Array(f.bytes.slice(0));
  }
  return files;
}

function refresh() {
  box.hidden = !state.lastResult;
}

if (box && button) {
  // The result's export buttons are redrawn with every result (page/result.js): show ours then.
  const exports = document.getElementById('exports');
  if (exports) new MutationObserver(refresh).observe(exports, { childList: true });
  refresh();
  button.addEventListener('click', async () => {
    const result = state.lastResult;
    if (!result) return;
    button.disabled = true;
    note.textContent = 'Opening the assignment editor…';
    try {
      const spec = result.spec || state.formSpec;
      await handOver({ spec, result, files: namedFiles(spec) });
      location.assign('assignment.html#author');
    } catch (err) {
      note.textContent = `This browser would not keep the run for the editor: ${err.message}`;
      button.disabled = false;
    }
  });
}
