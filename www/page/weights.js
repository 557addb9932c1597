// Trained weights in the form: beside each zoo model a "Trained weights" control (none: the
// seeded initialisation; a file, picked or dropped; a URL with an optional sha256; or an entry of
// the catalogue models/weights.json for that architecture, shipped ones marked), the trained
// TFLite models the site ships as models of their own, and the panel of what the worker keeps in
// Cache Storage (names, sizes, total, Clear). The files themselves are read by the core in the
// worker; the page holds only a user's own weights file, whose bytes go with each run.

import { $, sideUi, SIDES, dropZone } from './dom.js';
import { block, unblock } from './run-gate.js';
import { state, userWeights } from './state.js';
import { fetchWeights, weightsCache, onWeightsEvent } from './worker-client.js';
import { formatBytes } from '../format.js';

export const CATALOGUE_URL = 'models/weights.json';
/** Prefix of a shipped TFLite model's entry in the model selectors ("tflite:ID"). */
export const TFLITE_PREFIX = 'tflite:';

let onEdit = () => {}; // the form's "a field changed" (set by wireWeights)

/** The catalogue's entries ([] until loaded, or when it could not be). */
export function catalogue() {
  return state.weightsCatalogue || [];
}

/** The catalogue entry `id` (undefined for an unknown one). */
export function catalogueEntry(id) {
  return catalogue().find((e) => e.id === id);
}

/** Loads models/weights.json; a page without it still runs seeded models (and says why in the panel). */
export async function loadCatalogue() {
  try {
    const resp = await fetch(CATALOGUE_URL);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const json = await resp.json();
    const entries = Array.isArray(json) ? json : Array.isArray(json.weights) ? json.weights : Array.isArray(json.entries) ? json.entries : null;
    if (!entries) throw new Error('it holds no list of entries');
    state.weightsCatalogue = entries.filter((e) => e && typeof e.id === 'string');
  } catch (err) {
    state.weightsCatalogue = [];
    state.weightsCatalogueError = `The catalogue of trained weights (${CATALOGUE_URL}) could not be loaded (${err.message}): files and URLs still work.`;
    console.warn(`idlab: ${state.weightsCatalogueError}`);
  }
  return state.weightsCatalogue;
}

/** True for a model file the site ships (a catalogue id or a models/trained/ path), which the worker fetches. */
export function isShipped(name) {
  return /^models\/trained\//.test(String(name)) || catalogue().some((e) => e.shipped && (e.id === name || e.url === name));
}

/** The shipped TFLite models of the catalogue (models one can add, not weights for a zoo arch). */
export function tfliteModels() {
  return catalogue().filter((e) => typeof e.tflite === 'string' || e.format === 'tflite');
}

/** The catalogue's weights for a zoo architecture. */
function entriesFor(arch) {
  return catalogue().filter((e) => e.arch === arch && e.format !== 'tflite');
}

/**
 * A shipped TFLite model's name in the form: "trained MobileNetV2 (ImageNet)", "trained
 * MobileNetV2 (iNaturalist birds)", from the entry's own label, else its file name.
 */
export function tfliteLabel(e) {
  if (e.label) return e.label;
  const file = String(e.url || e.tflite || e.id).split('/').pop();
  const v2 = /mobilenet_v2/i.test(file);
  const width = (file.match(/mobilenet_v[12]_([0-9.]+)_(\d+)/i) || []);
  let data = 'ImageNet';
  if (/inat_bird/i.test(file)) data = 'iNaturalist birds';
  else if (/inat_insect/i.test(file)) data = 'insects';
  else if (/tf2_.*ptq/i.test(file)) data = 'ImageNet, TF2 post-training quantisation';
  const size = !v2 && width[1] ? ` ${width[1]}, ${width[2]} px` : '';
  return `trained MobileNet${v2 ? 'V2' : 'V1'}${size} (${data})`;
}

/** "18.8 MB" from the catalogue's bytes (decimal megabytes, as downloads are counted). */
function mb(n) {
  return Number.isFinite(n) ? `${(n / 1e6).toFixed(1)} MB` : 'size unknown';
}

/** A catalogue entry in a few words: its host (this site for a shipped file), licence, size, names, whether tested here. */
export function entryWords(e) {
  const host = e.shipped ? 'this site' : hostOf(e.url) || e.source;
  const parts = [host, e.licence || e.license, mb(e.bytes)];
  if (e.names && e.names !== 'torchvision') parts.push(`${e.names} names`);
  if (!e.shipped && e.tested && e.tested !== 'here') parts.push('untested here');
  return parts.filter(Boolean).join(', ');
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

// ------------------------------------------------------------------ one side's control

/** Fills the side's weights menu with the choices for `arch`: none, file, URL, and the catalogue's. */
export function showWeightChoices(side, arch) {
  const s = sideUi(side);
  const kept = s.weightsKind.value;
  const options = [
    new Option('none: seeded random initialisation', 'none'),
    new Option('a file (.pth, .pt, .safetensors)', 'file'),
    new Option('a URL', 'url'),
  ];
  const entries = entriesFor(arch);
  const nodes = [...options];
  if (entries.length) {
    const group = document.createElement('optgroup');
    group.label = `Catalogue: trained ${arch}`;
    for (const e of entries) {
      const o = new Option(`${e.shipped ? 'shipped: ' : ''}${e.id} — ${entryWords(e)}`, `catalogue:${e.id}`);
      o.title = [e.source, e.trained_on && `trained on ${e.trained_on}`, e.url, e.tested && e.tested !== 'here' ? e.tested : ''].filter(Boolean).join('\n');
      group.append(o);
    }
    nodes.push(group);
  }
  s.weightsKind.replaceChildren(...nodes);
  s.weightsKind.value = [...s.weightsKind.options].some((o) => o.value === kept) ? kept : 'none';
}

/** Shows the side's weights control for the spec's side `m` ({arch, seed} or {arch, weights}); hides it for other sides. */
export function showWeights(side, m) {
  const s = sideUi(side);
  const zoo = m && typeof m.arch === 'string';
  s.weights.hidden = !zoo;
  if (!zoo) return;
  showWeightChoices(side, m.arch);
  const w = m.weights && typeof m.weights === 'object' ? m.weights : null;
  let kind = 'none';
  if (w && typeof w.shipped === 'string') kind = `catalogue:${w.shipped}`;
  else if (w && typeof w.url === 'string') {
    const e = catalogue().find((x) => x.url === w.url && x.arch === m.arch && !x.shipped);
    kind = e ? `catalogue:${e.id}` : 'url';
    s.weightsUrl.value = w.url;
    s.weightsSha.value = typeof w.sha256 === 'string' ? w.sha256 : '';
  } else if (w && typeof w.file === 'string') {
    kind = 'file';
    s.weightsFile.dataset.name = w.file;
  }
  if (![...s.weightsKind.options].some((o) => o.value === kind)) {
    // A catalogue id this page does not know: shown as the spec names it (the core says whether it exists).
    const o = new Option(`${kind.slice('catalogue:'.length)} (from the spec)`, kind);
    s.weightsKind.append(o);
  }
  s.weightsKind.value = kind;
  showKind(side);
}

/** Shows the fields of the chosen kind (file box, URL box), the seed only without weights, and the words of the choice. */
function showKind(side) {
  const s = sideUi(side);
  const kind = s.weightsKind.value;
  s.weightsFileBox.hidden = kind !== 'file';
  s.weightsUrlBox.hidden = kind !== 'url';
  // A seed only for a zoo model without trained weights (not for ONNX or TFLite models either).
  const zoo = !s.weights.hidden;
  const noSeed = !zoo || kind !== 'none';
  s.seed.closest('.field').hidden = noSeed;
  s.seed.disabled = noSeed;
  let info = '';
  if (kind === 'file') {
    const name = s.weightsFile.dataset.name;
    const held = name ? userWeights.get(name) : undefined;
    info = held ? `${name} (${formatBytes(held.size)}): read by the core when the run starts; it stays in this tab.`
      : name ? `The spec names ${name}: choose that file to run it.` : 'Choose a .pth, .pt or .safetensors file with this architecture\'s parameter names.';
  } else if (kind === 'url') {
    info = s.weightsSha.value.trim() ? 'Fetched by the worker when the run starts (or now, with Load), checked against its sha256 and kept in this browser.'
      : 'A URL needs its sha256 (so that the file fetched is the file meant): give the publisher\'s, or Load the file to fill in its own. ' +
        'Loaded without one, the file is kept by its URL: a file changed at that URL would not be noticed.';
  } else if (kind.startsWith('catalogue:')) {
    const e = catalogueEntry(kind.slice('catalogue:'.length));
    if (e) {
      info = `${e.id}: ${entryWords(e)}${e.trained_on ? `, trained on ${e.trained_on}` : ''}${e.source ? ` (${e.source})` : ''}.` +
        (e.shipped ? ' Served by this site and kept in this browser after the first run.' : ` Fetched from ${e.url} when the run starts and kept in this browser.`) +
        (!e.shipped && e.tested && e.tested !== 'here' ? ` (${e.tested})` : '');
    }
  }
  if (!s.weightsError.textContent) s.weightsInfo.textContent = info;
  else s.weightsInfo.textContent = '';
}

/**
 * The side's `weights` spec value: undefined for none, null (and the problem pushed on
 * `problems`) while the choice is incomplete, else {file}, {url, sha256?} or {shipped} / {url, sha256}.
 */
export function weightsFromForm(side, problems) {
  const s = sideUi(side);
  if (s.weights.hidden) return undefined;
  const kind = s.weightsKind.value;
  if (kind === 'none' || !kind) return undefined;
  if (kind === 'file') {
    const name = s.weightsFile.dataset.name;
    if (!name || !userWeights.has(name)) {
      problems.push(`choose the ${side} model's weights file`);
      return null;
    }
    return { file: name };
  }
  if (kind === 'url') {
    const url = s.weightsUrl.value.trim();
    const sha = s.weightsSha.value.trim().toLowerCase();
    let ok = true;
    try {
      new URL(url, location.href); // eslint-disable-line no-new
    } catch {
      ok = false;
    }
    if (!url || !ok) {
      problems.push(`give the URL of the ${side} model's weights`);
      return null;
    }
    if (sha && !/^[0-9a-f]{64}$/.test(sha)) {
      problems.push(`the ${side} weights' sha256 must be 64 hexadecimal digits (or left empty)`);
      return null;
    }
    return sha ? { url, sha256: sha } : { url };
  }
  const id = kind.slice('catalogue:'.length);
  const e = catalogueEntry(id);
  if (!e || e.shipped) return { shipped: id };
  return e.sha256 ? { url: e.url, sha256: e.sha256 } : { url: e.url }; // without one, the core asks for it
}

/** The names the core gives a side's weights (file name, URL, shipped path), for its errors. */
function namesOf(side) {
  const s = sideUi(side);
  const kind = s.weightsKind.value;
  if (kind === 'file') return [s.weightsFile.dataset.name];
  if (kind === 'url') return [s.weightsUrl.value.trim()];
  if (kind.startsWith('catalogue:')) {
    const id = kind.slice('catalogue:'.length);
    const e = catalogueEntry(id);
    return [id, e && e.url, e && e.url && e.url.split('/').pop()].filter(Boolean);
  }
  return [];
}

/** Clears both sides' weights errors (a new run starts). */
export function clearWeightsErrors() {
  for (const side of SIDES) if (sideUi(side).weightsError.textContent) showWeightsError(side, '');
}

/** Shows `message` next to the side's control (the core's words), or clears it. */
export function showWeightsError(side, message) {
  const s = sideUi(side);
  s.weightsError.textContent = message || '';
  s.weightsError.hidden = !message;
  if (message) s.weightsInfo.textContent = '';
  else showKind(side);
}

async function takeFile(side, file) {
  if (!file) return;
  const s = sideUi(side);
  showWeightsError(side, '');
  try {
    const bytes = await file.arrayBuffer();
    userWeights.set(file.name, { bytes, size: file.size });
  } catch (err) {
    showWeightsError(side, `Could not read ${file.name}: ${err.message}`);
    block(`${side}-weights`, `the ${side} weights file ${file.name} could not be read`);
    return;
  }
  unblock(`${side}-weights`);
  s.weightsKind.value = 'file';
  s.weightsFile.dataset.name = file.name;
  showKind(side);
  onEdit();
}

/** The Load button beside a URL: downloads it into the cache now, with progress and Cancel. */
let loading = null; // {side, cancel} of the download in progress
async function loadUrl(side) {
  const s = sideUi(side);
  const url = s.weightsUrl.value.trim();
  const sha = s.weightsSha.value.trim();
  if (!url) return;
  if (loading) loading.cancel();
  showWeightsError(side, '');
  s.weightsInfo.textContent = `Loading ${url}…`;
  s.weightsCancel.hidden = false;
  const job = fetchWeights({ name: url, url, sha256: sha || undefined }, (p) => {
    s.weightsInfo.textContent = `Loading ${url}: ${mb(p.loaded)} of ${p.total ? mb(p.total) : 'unknown size'}`;
  });
  loading = { side, cancel: job.cancel };
  try {
    const got = await job.promise;
    const where = got.from === 'cache' ? 'already kept in this browser' : got.kept ? 'downloaded and kept in this browser' : 'downloaded (this browser cannot keep it: it is fetched again when the run starts)';
    s.weightsInfo.textContent = `${url}: ${formatBytes(got.size)}, ${where}${got.sha256 ? `; sha256 ${got.sha256}` : ''}.`;
    if (got.sha256 && !sha && s.weightsUrl.value.trim() === url) {
      // The spec needs a sha256 with a URL: this file's, filled in (and said, to be checked against the publisher's).
      s.weightsSha.value = got.sha256;
      onEdit();
      s.weightsInfo.textContent += ' Its sha256 is filled in above: check it against the publisher\'s where they give one.';
    }
  } catch (err) {
    showWeightsError(side, err.message);
  } finally {
    if (loading && loading.cancel === job.cancel) loading = null;
    s.weightsCancel.hidden = true;
    refreshKept();
  }
}

/** True when the side's selector holds a zoo architecture (not an ONNX or TFLite model). */
function zooChosen(side) {
  const v = sideUi(side).arch.value;
  return Boolean(v) && v !== '__onnx__' && !v.startsWith(TFLITE_PREFIX);
}

function wireSide(side) {
  const s = sideUi(side);
  // Registered after the ONNX panel's listener and before the form's: the control follows the model.
  s.arch.addEventListener('change', () => {
    s.weights.hidden = !zooChosen(side);
    if (zooChosen(side)) showWeightChoices(side, s.arch.value);
    showWeightsError(side, '');
    unblock(`${side}-weights`);
    if (s.weights.hidden || s.weightsKind.value === 'none') {
      if (zooChosen(side) && s.seed.value.trim() === '') s.seed.value = '0';
    }
  });
  s.weightsKind.addEventListener('change', () => {
    const chosen = s.weightsKind.value.startsWith('catalogue:') ? catalogueEntry(s.weightsKind.value.slice('catalogue:'.length)) : null;
    if (chosen && !chosen.shipped && !chosen.sha256) {
      // The catalogue could not give its sha256 (unreachable from where it was written): a URL to Load.
      s.weightsKind.value = 'url';
      s.weightsUrl.value = chosen.url;
      s.weightsSha.value = '';
    }
    showWeightsError(side, '');
    unblock(`${side}-weights`);
    showKind(side);
    if (s.weightsKind.value === 'none' && s.seed.value.trim() === '') s.seed.value = '0';
    onEdit();
  });
  s.weightsFile.addEventListener('change', () => takeFile(side, s.weightsFile.files[0]));
  // A file dropped anywhere on the control (its file box included) chooses "a file".
  dropZone(s.weights, (event) => takeFile(side, event.dataTransfer && event.dataTransfer.files[0]));
  for (const el of [s.weightsUrl, s.weightsSha]) {
    el.addEventListener('input', () => { showWeightsError(side, ''); onEdit(); });
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        loadUrl(side);
      }
    });
  }
  s.weightsFetch.addEventListener('click', () => loadUrl(side));
  s.weightsCancel.addEventListener('click', () => { if (loading) loading.cancel(); });
}

// ------------------------------------------------------------------ what the browser keeps

/** Lists what the worker keeps in Cache Storage in the panel (names, sizes, total). */
export async function refreshKept() {
  const list = $('kept-weights-list');
  const note = $('kept-weights-note');
  if (!list) return null;
  let kept;
  try {
    kept = await weightsCache('list');
  } catch (err) {
    note.textContent = `What this browser keeps could not be read: ${err.message}`;
    return null;
  }
  state.keptWeights = kept;
  showKept(kept);
  return kept;
}

function showKept(kept) {
  const list = $('kept-weights-list');
  const note = $('kept-weights-note');
  const clear = $('kept-weights-clear');
  list.replaceChildren(...kept.entries.map((e) => {
    const li = document.createElement('li');
    const how = e.by === 'url' ? ' (kept by its URL: no sha256 was given)' : e.sha256 ? ` (sha256 ${e.sha256.slice(0, 12)}…)` : '';
    li.textContent = `${e.name}: ${formatBytes(e.size)}${how}`;
    li.title = [e.url, e.sha256 && `sha256 ${e.sha256}`, e.stored && `kept ${e.stored}`].filter(Boolean).join('\n');
    return li;
  }));
  list.hidden = !kept.entries.length;
  if (!kept.available) note.textContent = `Nothing is kept: ${kept.why}.`;
  else if (!kept.entries.length) note.textContent = 'This browser keeps no trained weights yet: files fetched for a run (shipped or from a URL) are kept here, so the next visit does not download them again.';
  else note.textContent = `This browser keeps ${kept.entries.length} file${kept.entries.length === 1 ? '' : 's'}, ${formatBytes(kept.total)} in all (Cache Storage of this site).`;
  if (state.weightsCatalogueError) note.textContent += ` ${state.weightsCatalogueError}`;
  clear.disabled = !kept.available || !kept.entries.length;
}

async function clearKept() {
  const note = $('kept-weights-note');
  try {
    const kept = await weightsCache('clear');
    state.keptWeights = kept;
    showKept(kept);
  } catch (err) {
    note.textContent = err.message;
  }
}

/** Wires both sides' weights controls and the kept-weights panel; `onFormEdit` runs when a choice changes. */
export function wireWeights(onFormEdit) {
  onEdit = onFormEdit;
  for (const side of SIDES) wireSide(side);
  const clear = $('kept-weights-clear');
  if (clear) clear.addEventListener('click', clearKept);
  // A run's weights file the core refused: its words beside the control that chose it.
  onWeightsEvent((msg) => {
    if (msg.type === 'weights-loaded') {
      refreshKept();
      return;
    }
    if (msg.type !== 'weights-error') return;
    for (const side of SIDES) {
      const s = sideUi(side);
      if (s.weights.hidden || s.weightsKind.value === 'none') continue;
      const names = namesOf(side);
      if (names.some((n) => n && (msg.name === n || String(msg.name).endsWith(`/${n}`) || String(msg.message).startsWith(n)))) {
        showWeightsError(side, msg.message);
      }
    }
    state.lastWeightsError = { name: msg.name, message: msg.message };
  });
}
