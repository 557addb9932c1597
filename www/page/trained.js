// "Run on trained weights" beside the preset menu: the spec shown, with every seeded zoo model
// whose architecture has trained weights in the catalogue (models/weights.json) put on them.
// The variant is the core's (crate/src/experiment/trained.rs, as `idlab run --trained` builds
// it); the seeded spec stays the offline default, one click back. The list under the control
// says which file each side got: shipped ones and URLs with a sha256 are fetched by the worker
// when the run starts (with progress, kept in Cache Storage); a URL whose sha256 the catalogue
// lacks is Loaded here (which fills in the file's own), or replaced by the person's copy.

import { ui } from './dom.js';
import { state, userWeights } from './state.js';
import { core, fetchWeights } from './worker-client.js';
import { showSpec } from './form.js';
import { catalogue, entryWords, refreshKept } from './weights.js';
import { formatBytes } from '../format.js';
import { describedSpec } from './about.js';

let seeded = null;  // {spec, preset} the trained variant replaced: the seeded spec and the About reference
let asking = 0;     // the latest visibility question (older answers are dropped)

const sidesOf = (spec) => [
  ...(Array.isArray(spec && spec.sources) ? spec.sources.map((m, i) => ({ role: 'source', i, m })) : []),
  ...(Array.isArray(spec && spec.targets) ? spec.targets.map((m, i) => ({ role: 'target', i, m })) : []),
].filter(({ m }) => m && typeof m === 'object' && typeof m.arch === 'string');

/** True when a seeded zoo side of `spec` has catalogue weights (and its arch is not already run trained, as a twin). */
function canTrain(spec) {
  const sides = sidesOf(spec);
  const trained = new Set(sides.filter(({ m }) => m.weights).map(({ m }) => m.arch));
  return sides.some(({ m }) => Number.isInteger(m.seed) && !m.weights && !trained.has(m.arch)
    && catalogue().some((e) => e.arch === m.arch && e.format !== 'tflite'));
}

/**
 * Shows or hides the control for `spec` (a preset just chosen, or the spec edited): shown when
 * it has a seeded zoo side the catalogue has trained weights for. `fresh`: a new preset, so the
 * way back to the previous one's seeded spec is dropped.
 */
export async function offerTrained(spec, fresh = true) {
  if (!ui.trainedBox) return;
  const mine = ++asking;
  if (fresh) {
    seeded = null;
    ui.trainedSides.replaceChildren();
    ui.trainedSides.hidden = true;
    ui.trainedNote.textContent = '';
  }
  if (state.zooReady) await state.zooReady.catch(() => null); // the catalogue loads with the zoo list
  if (mine !== asking) return;
  const can = Boolean(spec) && canTrain(spec);
  ui.trainedRun.hidden = !can;
  ui.trainedBack.hidden = !seeded;
  ui.trainedBox.hidden = !can && !seeded;
}

/** Replaces the spec shown by its trained variant (the core's), keeping the seeded one to go back to. */
async function runTrained() {
  const spec = state.formSpec;
  ui.trainedRun.disabled = true;
  ui.trainedNote.textContent = 'Putting the models on trained weights…';
  try {
    // A spec changed from its preset first says so (and drops the preset's This run), as a run of it would.
    const { spec: variant, notes } = await core('trained_variant', describedSpec(spec));
    if (!seeded) seeded = { spec, preset: state.presetSpec };
    // The variant is the spec on trained weights: the About text compares the form with it from now on.
    state.presetSpec = { spec: variant, title: variant.name || 'trained weights' };
    showSpec(variant);
    ui.trainedNote.textContent = `${notes.length ? `${sidesOf(variant).filter(({ m }) => m.weights).length} models on trained weights; which file each got is listed below and in "This run". ` : ''}` +
      'The seeded run stays the offline default: "Back to seeded weights" returns to it.';
    ui.trainedRun.hidden = true;
    ui.trainedBack.hidden = false;
    showSides();
  } catch (err) {
    ui.trainedNote.textContent = `This spec cannot run on trained weights: ${err.message}`;
  } finally {
    ui.trainedRun.disabled = false;
  }
}

/** Back to the seeded spec the variant came from. */
function backToSeeded() {
  if (!seeded) return;
  const { spec, preset } = seeded;
  seeded = null;
  state.presetSpec = preset;
  showSpec(spec);
  ui.trainedSides.replaceChildren();
  ui.trainedSides.hidden = true;
  ui.trainedNote.textContent = 'Back on the seeded weights (the offline default).';
  offerTrained(spec, false);
}

/** The sides that use the same weights, grouped: [{key, weights, who: ["source 1", ...], arch}]. */
function groups(spec) {
  const out = [];
  for (const { role, i, m } of sidesOf(spec)) {
    const w = m.weights;
    if (!w || typeof w !== 'object') continue;
    const key = w.shipped || w.url || w.file;
    let g = out.find((x) => x.key === key);
    if (!g) out.push((g = { key, weights: w, who: [], arch: m.arch }));
    g.who.push(`${role} ${i + 1}`);
  }
  return out;
}

/** The list of files the variant's sides use, each with what happens to it (and Load or a file where needed). */
function showSides() {
  const spec = state.formSpec;
  const items = groups(spec).map((g) => {
    const li = document.createElement('li');
    li.dataset.key = g.key;
    const e = catalogue().find((x) => (g.weights.shipped && x.id === g.weights.shipped) || (g.weights.url && x.url === g.weights.url));
    const name = e ? e.id : g.key;
    const head = document.createElement('span');
    head.className = 'trained-what';
    head.textContent = `${g.who.join(', ')} (${g.arch}): ${name}${e ? ` — ${entryWords(e)}` : ''}`;
    const status = document.createElement('span');
    status.className = 'trained-status';
    li.append(head, ' ', status);
    const w = g.weights;
    if (w.shipped) status.textContent = 'served by this site; fetched when the run starts and kept in this browser.';
    else if (w.file) {
      const held = userWeights.get(w.file);
      status.textContent = held ? `your file (${formatBytes(held.size)}).` : 'your file: choose it again.';
    } else if (w.sha256) status.textContent = 'fetched when the run starts (checked against its sha256) and kept in this browser.';
    else {
      status.textContent = 'the catalogue has no sha256 for it: Load it (its own is filled in) or choose your copy.';
      const load = document.createElement('button');
      load.type = 'button';
      load.className = 'trained-load';
      load.textContent = 'Load';
      const pick = document.createElement('input');
      pick.type = 'file';
      pick.accept = '.pth,.pt,.safetensors';
      pick.className = 'trained-file';
      pick.setAttribute('aria-label', `Your copy of ${name}`);
      load.addEventListener('click', () => loadOne(g.key, status, load));
      pick.addEventListener('change', () => useFile(g.key, pick.files[0], status));
      li.append(' ', load, ' ', pick);
    }
    return li;
  });
  ui.trainedSides.replaceChildren(...items);
  ui.trainedSides.hidden = !items.length;
}

/** `spec` with `change(weights)` applied to every side whose weights have this key. */
function withWeights(spec, key, change) {
  const copy = JSON.parse(JSON.stringify(spec));
  for (const { m } of sidesOf(copy)) {
    const w = m.weights;
    if (w && (w.shipped || w.url || w.file) === key) m.weights = change(w);
  }
  return copy;
}

/** Shows `spec` as the trained variant (the About text's reference follows it: the same run, its file now known). */
function showVariant(spec) {
  if (state.presetSpec && seeded) state.presetSpec = { ...state.presetSpec, spec };
  showSpec(spec);
  showSides();
}

/** Downloads a URL the catalogue gives without a sha256 (progress, cache), then fills in the file's own. */
async function loadOne(url, status, button) {
  button.disabled = true;
  status.textContent = `Loading ${url}…`;
  const job = fetchWeights({ name: url, url }, (p) => {
    status.textContent = `Loading: ${formatBytes(p.loaded)} of ${p.total ? formatBytes(p.total) : 'unknown size'}`;
  });
  try {
    const got = await job.promise;
    if (!got.sha256) throw new Error('the worker gave no sha256 for it');
    showVariant(withWeights(state.formSpec, url, (w) => ({ ...w, sha256: got.sha256 })));
  } catch (err) {
    status.textContent = `Could not fetch it (${err.message}): choose your copy of ${url.split('/').pop()} instead.`;
    status.dataset.kind = 'error';
    button.disabled = false;
  } finally {
    refreshKept();
  }
}

/** The person's copy of a file, in place of its URL for every side that uses it. */
async function useFile(key, file, status) {
  if (!file) return;
  try {
    const bytes = await file.arrayBuffer();
    userWeights.set(file.name, { bytes, size: file.size });
  } catch (err) {
    status.textContent = `Could not read ${file.name}: ${err.message}`;
    return;
  }
  // The entry's input normalisation goes with the file (timm's augreg ViT: 0.5, 0.5).
  const e = catalogue().find((x) => x.url === key);
  const norm = { ...(e && e.mean ? { mean: e.mean } : {}), ...(e && e.std ? { std: e.std } : {}) };
  showVariant(withWeights(state.formSpec, key, (w) => ({ file: file.name, ...norm, ...(w.mean ? { mean: w.mean } : {}), ...(w.std ? { std: w.std } : {}) })));
}

// Wired once, when the page's modules load (the elements are in index.html).
if (ui.trainedBox) {
  ui.trainedRun.addEventListener('click', runTrained);
  ui.trainedBack.addEventListener('click', backToSeeded);
  // A spec edited in the JSON box may gain or lose sides the catalogue has weights for.
  ui.spec.addEventListener('input', () => {
    let spec;
    try {
      spec = JSON.parse(ui.spec.value);
    } catch {
      return; // the form says why; the control keeps its state
    }
    offerTrained(spec, false);
  });
}
