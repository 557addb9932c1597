// The presets (the papers' experiments): the menu from presets/index.json, loading one
// into the form and the spec, and the default experiment the page opens with (unless a
// permalink carries a spec).

import { ui, showError, clearError, setFormNote } from './dom.js';
import { state } from './state.js';
import { showSpec, EXPORT_ALL } from './form.js';
import { specFromLink } from './permalink.js';
import { upgraded } from './core.js';
import { offerTrained } from './trained.js';
import { vetSpec, notKept, refusalMessage, askToFetch } from '../url-safety.js';
import { weightsCache } from './worker-client.js';

const PRESET_URL = 'presets/alexnet-seeds-cka.json';
const PRESETS_INDEX_URL = 'presets/index.json';

/** Loads the default preset and shows the permalink's spec, else the default; resolves with the spec shown. */
export async function loadPreset() {
  const resp = await fetch(PRESET_URL);
  if (!resp.ok) throw new Error(`Could not load the default experiment (${PRESET_URL}): HTTP ${resp.status}`);
  state.defaultSpec = await upgraded(await resp.json());
  state.defaultSpecText = JSON.stringify(state.defaultSpec, null, 2);
  state.defaultPreset = { spec: state.defaultSpec, title: state.defaultSpec.name || 'the default' };
  // A permalink's spec (#spec=...) comes first; the default preset otherwise.
  let spec = state.defaultSpec;
  try {
    spec = (await specFromLink(location.hash)) || state.defaultSpec;
  } catch (err) {
    showError(err.message);
    state.holdAutorun = true; // a run of the default would clear the message
  }
  // A link's URLs on another site are fetched only once the reader allows it (url-safety.js).
  if (spec !== state.defaultSpec) {
    const { refused, ask: remote } = vetSpec(spec, { page: location.href });
    const listed = remote.length ? await weightsCache('list').catch(() => null) : null;
    const ask = notKept(remote, (listed && listed.entries) || []);
    if (refused.length) {
      showError(`${refusalMessage(refused)} Showing the default experiment instead.`);
      spec = state.defaultSpec;
      state.holdAutorun = true; // a run would clear the message
    } else if (ask.length && !(await askToFetch(ask))) {
      state.holdAutorun = true; // shown, not run: Run fetches, as the reader's own choice
      setFormNote(`Not run: this link's experiment fetches files from ${[...new Set(ask.map((a) => a.host))].join(', ')}. Press Run to fetch them and run it.`, 'warn');
    }
  }
  // The default preset is what the About text compares with; a permalink's spec is its own.
  state.presetSpec = spec === state.defaultSpec ? state.defaultPreset : null;
  showSpec(spec);
  offerTrained(spec);
  return spec;
}

/** Fills the preset menu from presets/index.json; choosing one loads it into the form and the spec. */
export async function loadPresetMenu() {
  ui.preset.addEventListener('change', choosePreset);
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
    const spec = await upgraded(await resp.json());
    // The export checkbox is kept across presets.
    if (ui.keepExports.checked && !spec.export) spec.export = { ...EXPORT_ALL };
    const option = ui.preset.selectedOptions[0];
    state.presetSpec = { spec, title: option ? option.textContent : file };
    showSpec(spec);
    offerTrained(spec);
    clearError();
  } catch (err) {
    showError(`Could not load the preset ${file}: ${err.message}`);
  }
}
