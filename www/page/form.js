// The model form: the source and target sides (zoo selector, seed, or a user's ONNX
// model), the stimulus set and the number of images. The form and the JSON spec in the
// textarea edit the same experiment: editing the JSON updates the form whenever the text
// parses; changing the form rewrites the JSON (and the permalink). The numbers the form
// shows (a set's size, the images a spec uses, each model's memory) are the core's, asked
// through core.js once the spec stops changing.

import { $, ui, SIDES, sideUi, readInt, setFormNote, showError } from './dom.js';
import { state, userFiles } from './state.js';
import {
  ONNX_OPTION, onnxChosen, showOnnx, onnxSide, readPreprocess, showPreprocess, showLayers, wireOnnx,
} from './onnx.js';
import { showMemory, describeLimit } from './memory.js';
import { updateLink } from './permalink.js';
import { upgraded, specInputs } from './core.js';
import { formView, fromFormView, specTextLimit } from '../spec.js';
import { block, unblock, describeRun } from './run-gate.js';
import { showAbout as showAboutOf } from './about.js';
import { ZOO_URL, MIN_IMAGES, parseZoo, groupByFamily, modelLabel } from '../zoo.js';
import {
  TFLITE_PREFIX, loadCatalogue, tfliteModels, tfliteLabel, showWeights, weightsFromForm, wireWeights,
} from './weights.js';

const SIDE_TEXT = {
  source: { title: 'Source model', axis: '(heatmap rows)' },
  target: { title: 'Target model', axis: '(heatmap columns)' },
};
// The attributes of the template that name a side's elements ("side-arch" -> "source-arch").
const SIDE_ATTRIBUTES = ['id', 'for', 'aria-describedby'];

/** Clones index.html's side template once per side, in front of it, with the side's ids and legend. */
export function buildSides() {
  const template = $('model-side-template');
  for (const side of SIDES) {
    const fieldset = template.content.firstElementChild.cloneNode(true);
    for (const el of fieldset.querySelectorAll(SIDE_ATTRIBUTES.map((a) => `[${a}^="side-"]`).join(', '))) {
      for (const a of SIDE_ATTRIBUTES) {
        const v = el.getAttribute(a);
        if (v && v.startsWith('side-')) el.setAttribute(a, `${side}-${v.slice('side-'.length)}`);
      }
    }
    fieldset.querySelector('[data-slot="title"]').textContent = SIDE_TEXT[side].title;
    fieldset.querySelector('[data-slot="axis"]').textContent = SIDE_TEXT[side].axis;
    template.before(fieldset);
  }
}

/** Shows `spec` in the textarea, the form and the permalink: it becomes the experiment. */
export function showSpec(spec) {
  ui.spec.value = JSON.stringify(spec, null, 2);
  ui.spec.removeAttribute('aria-invalid');
  unblock('json');
  state.formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
}

export async function loadZoo() {
  const catalogue = loadCatalogue(); // the trained models and weights the selectors offer; never rejects
  try {
    const resp = await fetch(ZOO_URL);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    state.zooModels = parseZoo(await resp.json());
  } catch (err) {
    // The JSON spec still works without the list; the core names the models it knows.
    console.warn(`idlab: could not load the model list (${ZOO_URL}): ${err.message}`);
    state.zooError = `The model list (${ZOO_URL}) could not be loaded (${err.message}); choose models in the JSON spec below instead.`;
    setFormNote(state.zooError, 'warn');
    for (const side of SIDES) sideUi(side).arch.replaceChildren(new Option('(model list unavailable)', ''));
    return null;
  }
  await catalogue;
  populateSelectors(state.zooModels);
  if (state.formSpec) syncFormFromSpec(state.formSpec);
  return state.zooModels;
}

function populateSelectors(models) {
  const groups = groupByFamily(models);
  for (const side of SIDES) {
    const select = sideUi(side).arch;
    const nodes = groups.map(({ family, label, models: members }) => {
      const group = document.createElement('optgroup');
      group.label = label;
      group.dataset.family = family;
      for (const m of members) group.append(new Option(modelLabel(m), m.arch));
      return group;
    });
    // The trained TFLite models the site ships: models of their own (their graph is in the file).
    const tflite = tfliteModels();
    if (tflite.length) {
      const group = document.createElement('optgroup');
      group.label = 'Trained, shipped with this site (TFLite)';
      group.dataset.family = 'tflite';
      for (const e of tflite) group.append(new Option(tfliteLabel(e), TFLITE_PREFIX + e.id));
      nodes.push(group);
    }
    select.replaceChildren(...nodes, new Option('Your model (ONNX)', ONNX_OPTION));
    select.disabled = false;
  }
  ui.memoryLimit.textContent = describeLimit();
}

/** Selects `arch`, adding an "other" option for an arch that the zoo list lacks. */
function selectArch(select, arch) {
  for (const o of select.querySelectorAll('option[data-other]')) {
    if (o.value !== arch) o.remove();
  }
  const g = select.querySelector('optgroup[data-other]');
  if (g && !g.children.length) g.remove();
  if (typeof arch !== 'string' || !arch) {
    select.selectedIndex = -1;
    return;
  }
  if (![...select.options].some((o) => o.value === arch)) {
    let group = select.querySelector('optgroup[data-other]');
    if (!group) {
      group = document.createElement('optgroup');
      group.label = 'Not in the zoo list';
      group.dataset.other = '';
      select.append(group);
    }
    const option = new Option(`${arch} (not in the zoo list)`, arch);
    option.dataset.other = '';
    group.append(option);
  }
  select.value = arch;
}

// The sizes of the stimulus sets the core has named (the form checks the images field against
// them as it is typed), by the set's description less its limit.
const setSizes = new Map();
const setKey = (stimuli) => {
  const { limit, ...rest } = stimuli || {};
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
};

/** Images of the whole set `stimuli` describes, as far as the page knows: the user's own, or as the core said. */
function setSize(stimuli) {
  if (stimuli && stimuli.set === 'upload') return state.userStimuli ? state.userStimuli.files.length : undefined;
  return setSizes.get(setKey(stimuli));
}

// Sets the core draws: their size is the spec's `count`, learnt from the answer for a spec that uses one.
const DRAWN_SETS = ['textures', 'objects'];

/** Learns the sizes of the shipped sets the stimulus menu offers (one question to the core). */
export async function learnSetSizes() {
  const base = state.defaultSpec;
  const sets = [...ui.stimulusSet.options]
    .filter((o) => !o.disabled && o.value !== 'upload' && !DRAWN_SETS.includes(o.value))
    .map((o) => ({ set: o.value }));
  if (!base || !sets.length) return;
  try {
    const spec = { ...base, stimuli: sets[0], more_stimuli: sets.slice(1) };
    remember(spec, await specInputs(spec));
  } catch (err) {
    console.warn(`idlab: could not learn the stimulus sets' sizes: ${err.message}`);
  }
}

function remember(spec, inputs) {
  const sets = [spec.stimuli, ...(Array.isArray(spec.more_stimuli) ? spec.more_stimuli : [])];
  sets.forEach((s, i) => {
    const all = inputs.sets[i] && inputs.sets[i].all;
    if (Number.isInteger(all)) setSizes.set(setKey(s), all);
  });
}

// The core's answers for the spec shown: asked once the spec has not changed for FOLLOW_MS,
// applied only if it is still the one shown; `settled()` resolves when they are.
const FOLLOW_MS = 100;
let following = 0;
let followTimer = null;
let waiting = null; // {promise, resolve} while an answer is due

function followCore(full) {
  const mine = ++following;
  clearTimeout(followTimer);
  if (!waiting) {
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    waiting = { promise, resolve };
  }
  const current = () => mine === following;
  followTimer = setTimeout(async () => {
    try {
      await Promise.all([showSizes(full, current), showMemory(full, current)]);
    } catch (err) {
      console.warn(`idlab: ${err.message}`);
    } finally {
      if (current()) stopFollowing();
    }
  }, FOLLOW_MS);
}

/** Drops any answer still due (the form holds a value the spec does not). */
function stopFollowing() {
  following += 1;
  clearTimeout(followTimer);
  if (waiting) waiting.resolve();
  waiting = null;
}

/** Resolves once the form shows the core's numbers for the spec shown. */
export function settled() {
  return waiting ? waiting.promise : Promise.resolve();
}

/** The images a run of `full` records, in words: the set's (or each set's) number the core gave. */
function imagesOf(full, inputs) {
  const sets = [full.stimuli, ...(Array.isArray(full.more_stimuli) ? full.more_stimuli : [])];
  const counts = sets.map((s, i) => (s && s.set === 'upload' ? setSize(s) : inputs.sets[i] && inputs.sets[i].n));
  if (counts.some((n) => !Number.isInteger(n))) return '';
  return counts.length === 1 ? `${counts[0]} images` : `${counts.reduce((a, b) => a + b, 0)} images in ${counts.length} sets`;
}

/** The images field's range and value: the set's size and the images the spec uses, from the core. */
async function showSizes(full, current) {
  let inputs;
  try {
    inputs = await specInputs(full);
  } catch (err) {
    if (current()) block('spec', `the core cannot run this spec: ${err.message}`);
    return;
  }
  if (!current()) return;
  unblock('spec');
  remember(full, inputs);
  describeRun(full, imagesOf(full, inputs));
  const all = setSize(full.stimuli);
  ui.images.max = all === undefined ? '' : String(all);
  ui.imagesMax.textContent = all === undefined ? 'the size of the set' : String(all);
  const n = full.stimuli && full.stimuli.set === 'upload' ? all : inputs.stimuli.n;
  if (document.activeElement !== ui.images) ui.images.value = n === undefined || n === null ? '' : String(n);
}

export function syncFormFromSpec(full) {
  if (!full || typeof full !== 'object') return;
  showAbout(full);
  ui.keepExports.checked = Boolean(full.export && (full.export.activations || full.export.rdms));
  const spec = formView(full);
  setFormEnabled(Boolean(spec), full);
  showStimuli(full);
  unblock('form');
  if (!spec) {
    ui.name.textContent = full.name || 'Custom experiment';
    followCore(full);
    return;
  }
  if (state.zooModels) {
    for (const side of SIDES) {
      const m = spec[side] && typeof spec[side] === 'object' ? spec[side] : {};
      const s = sideUi(side);
      const onnx = typeof m.onnx === 'string';
      if (onnx) {
        selectArch(s.arch, undefined);
        s.arch.value = ONNX_OPTION;
        showLayers(side, m.onnx, Array.isArray(m.layers) ? m.layers.map(String) : []);
        showPreprocess(side, m);
      } else if (typeof m.tflite === 'string') {
        selectArch(s.arch, TFLITE_PREFIX + m.tflite);
      } else {
        selectArch(s.arch, m.arch);
      }
      showOnnx(side, onnx);
      s.seed.value = Number.isSafeInteger(m.seed) ? String(m.seed) : '';
      showWeights(side, m); // after showOnnx: a trained or TFLite side has no seed
    }
  } else {
    for (const side of SIDES) {
      const m = spec[side] && typeof spec[side] === 'object' ? spec[side] : {};
      sideUi(side).seed.value = Number.isSafeInteger(m.seed) ? String(m.seed) : '';
    }
  }
  for (const el of [sideUi('source').seed, sideUi('target').seed]) el.removeAttribute('aria-invalid');
  ui.name.textContent = spec.name || 'Custom experiment';
  followCore(full);
}

/**
 * The stimulus menu and the Images field show the spec's first set and its limit, for every
 * spec; over several sets (more_stimuli) both are off, and the note beside them says why.
 */
function showStimuli(full) {
  const stimuli = full.stimuli && typeof full.stimuli === 'object' ? full.stimuli : {};
  const set = stimuli.set;
  if (typeof set === 'string' && set && ![...ui.stimulusSet.options].some((o) => o.value === set)) {
    const option = new Option(`${set} (from the spec)`, set);
    option.dataset.other = '';
    ui.stimulusSet.append(option); // a set the menu did not offer: shown as the spec names it
  }
  if (typeof set === 'string') ui.stimulusSet.value = set;
  const all = setSize(stimuli);
  ui.images.max = all === undefined ? '' : String(all);
  ui.imagesMax.textContent = all === undefined ? 'the size of the set' : String(all);
  if (Number.isInteger(stimuli.limit)) ui.images.value = String(stimuli.limit);
  else if (all !== undefined) ui.images.value = String(all);
  ui.images.removeAttribute('aria-invalid');
  const sets = Array.isArray(full.more_stimuli) ? full.more_stimuli.length + 1 : 1;
  const upload = set === 'upload';
  let why = '';
  if (sets > 1) why = `This experiment runs ${sets} stimulus sets, one run each: edit them (and their limits) in the JSON spec below.`;
  else if (upload) why = 'Every one of your images is used: add fewer to use fewer.';
  ui.stimulusSet.disabled = sets > 1;
  ui.images.disabled = sets > 1 || upload;
  ui.stimuliWhy.textContent = why;
  ui.stimuliWhy.hidden = !why;
}

function autoName(spec) {
  const n = spec.stimuli && Number.isInteger(spec.stimuli.limit) ? ` (first ${spec.stimuli.limit} images)` : '';
  const metric = spec.metric === 'cka' ? 'linear CKA' : spec.metric;
  const name = (m) => {
    if (m && typeof m.onnx === 'string') return m.onnx;
    if (m && typeof m.tflite === 'string') return `trained ${m.tflite}`;
    if (m && m.weights && typeof m.weights === 'object') return `trained ${m.arch} (${m.weights.shipped || m.weights.file || m.weights.url})`;
    return `${m && m.arch} seed ${m && m.seed}`;
  };
  const set = spec.stimuli && spec.stimuli.set && spec.stimuli.set !== 'kriegeskorte92' ? ` on ${spec.stimuli.set}` : '';
  return `${name(spec.source)} vs ${name(spec.target)}: ${metric}, layer by layer${set}${n}`;
}

/** The spec the form describes, built on the last parsed one; null while a field is invalid. */
export function specFromForm() {
  const full = state.formSpec && typeof state.formSpec === 'object' ? state.formSpec : state.defaultSpec;
  const base = formView(full);
  if (!base) return manySpecFromForm(full); // not the simple shape: the form edits its stimuli only
  const problems = [];
  const seeds = {};
  const weights = {};
  for (const side of SIDES) {
    if (onnxChosen(side)) {
      if (!sideUi(side).layers.dataset.file || !userFiles.has(sideUi(side).layers.dataset.file)) {
        problems.push(`choose the ${side} model's ONNX file`);
      } else if (!readPreprocess(side)) {
        problems.push(`the ${side} model's input size must be a whole number from 8 to 1024, mean three numbers and std three positive numbers`);
      }
      continue;
    }
    if (tfliteChosen(side)) continue;
    weights[side] = weightsFromForm(side, problems);
    if (weights[side] !== undefined) continue; // trained: no seed
    const seed = readInt(sideUi(side).seed, 0, Number.MAX_SAFE_INTEGER);
    if (seed === null) problems.push(`the ${side} seed must be a whole number, 0 or more`);
    seeds[side] = seed;
  }
  const { stimuli, images, all, upload } = stimuliFromForm(base, problems);
  if (problems.length) {
    stopFollowing(); // an answer for the last spec must not replace this note
    setFormNote(`Not applied to the spec yet: ${problems.join('; ')}.`, 'warn');
    block('form', problems.join('; '));
    return null;
  }
  unblock('form');
  const spec = JSON.parse(JSON.stringify(base));
  for (const side of SIDES) {
    if (onnxChosen(side)) {
      spec[side] = onnxSide(side);
      continue;
    }
    if (tfliteChosen(side)) {
      const id = sideUi(side).arch.value.slice(TFLITE_PREFIX.length);
      const was = base[side] && base[side].tflite === id ? base[side] : null;
      // Layers: the spec's own for this model, else the catalogue's defaults (the core's).
      spec[side] = was ? { ...was } : { tflite: id };
      continue;
    }
    const arch = sideUi(side).arch.value || (base[side] && base[side].arch);
    // The side's other fields (its layers, prune, noise, ...) stay while the architecture does.
    const { arch: _arch, seed: _seed, weights: _weights, ...rest } = base[side] && base[side].arch === arch ? base[side] : {};
    spec[side] = weights[side] ? { arch, weights: weights[side], ...rest } : { arch, seed: seeds[side], ...rest };
  }
  spec.stimuli = stimuli;
  if (images === all || upload) delete spec.stimuli.limit;
  else spec.stimuli.limit = images;
  // Keep a name the person wrote; replace one that only described the old choice.
  if (!base.name || base.name === autoName(base) || (state.defaultSpec && base.name === state.defaultSpec.name)) {
    spec.name = autoName(spec);
  }
  return fromFormView(spec);
}

/**
 * A many-model spec (the presets) with the stimulus menu's set and the Images field's limit:
 * the two fields the form edits for every spec. Null while a field is invalid, or for a spec
 * over several stimulus sets (those fields are off then: the JSON edits its sets).
 */
function manySpecFromForm(full) {
  if (!full || typeof full !== 'object' || Array.isArray(full.more_stimuli)) return null;
  const problems = [];
  const { stimuli, images, all, upload } = stimuliFromForm(full, problems);
  if (problems.length) {
    stopFollowing();
    setFormNote(`Not applied to the spec yet: ${problems.join('; ')}.`, 'warn');
    block('form', problems.join('; '));
    return null;
  }
  unblock('form');
  const spec = JSON.parse(JSON.stringify(full));
  spec.stimuli = stimuli;
  if (images === all || upload) delete spec.stimuli.limit;
  else spec.stimuli.limit = images;
  return spec;
}

/** True when the side's selector holds a shipped TFLite model. */
function tfliteChosen(side) {
  return sideUi(side).arch.value.startsWith(TFLITE_PREFIX);
}

/** The stimuli the menu and the Images field describe, on `base`'s; what is invalid goes onto `problems`. */
function stimuliFromForm(base, problems) {
  const chosenSet = ui.stimulusSet.value || (base.stimuli && base.stimuli.set) || 'kriegeskorte92';
  const stimuli = { ...(base.stimuli || {}), set: chosenSet };
  if (chosenSet !== 'upload') delete stimuli.folder;
  else if (state.userStimuli) stimuli.folder = state.userStimuli.folder;
  if (chosenSet === 'kriegeskorte92') delete stimuli.seed; // only generated or scrambled sets take a seed
  if (!DRAWN_SETS.includes(chosenSet)) delete stimuli.count; // only generated sets take a count
  const all = setSize(stimuli);
  ui.images.max = all === undefined ? '' : String(all);
  ui.imagesMax.textContent = all === undefined ? 'the size of the set' : String(all);
  const upload = chosenSet === 'upload';
  ui.images.disabled = upload; // every image given is used
  const images = upload ? all : readInt(ui.images, MIN_IMAGES, all);
  if (images === null || images === undefined) {
    problems.push(`the number of images must be a whole number from ${MIN_IMAGES}${all === undefined ? '' : ` to ${all}`}`);
  }
  return { stimuli, images, all, upload };
}

export function onFormEdit() {
  const spec = specFromForm();
  if (!spec) return;
  showAbout(spec);
  for (const side of SIDES) {
    const select = sideUi(side).arch;
    if (select.value && select.value !== ONNX_OPTION) selectArch(select, select.value); // drops a "not in the zoo list" entry no longer chosen
  }
  state.formSpec = spec;
  ui.spec.value = JSON.stringify(spec, null, 2);
  ui.spec.removeAttribute('aria-invalid');
  unblock('json');
  ui.name.textContent = spec.name || 'Custom experiment';
  followCore(spec);
  updateLink(spec);
}

export async function onSpecEdit() {
  const text = ui.spec.value;
  let spec;
  // Past the core's size or depth limit: refused before the page walks it.
  const limit = specTextLimit(text);
  if (limit) {
    ui.spec.setAttribute('aria-invalid', 'true');
    block('json', `the JSON spec cannot be used: ${limit}`);
    showError(`The JSON spec cannot be used: ${limit}.`);
    return;
  }
  try {
    spec = JSON.parse(text);
  } catch {
    ui.spec.setAttribute('aria-invalid', 'true');
    setFormNote('The JSON spec does not parse; the form shows the last version that did.', 'warn');
    block('json', 'the JSON spec does not parse');
    return;
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
    block('json', 'the JSON spec is not an object');
    return;
  }
  try {
    spec = await upgraded(spec); // the textarea keeps the text as written
  } catch (err) {
    if (ui.spec.value !== text) return;
    ui.spec.setAttribute('aria-invalid', 'true');
    setFormNote(`The JSON spec cannot be read: ${err.message}`, 'warn');
    block('json', `the JSON spec cannot be read: ${err.message}`);
    return;
  }
  if (ui.spec.value !== text) return; // edited again while the core upgraded it
  ui.spec.removeAttribute('aria-invalid');
  unblock('json');
  state.formSpec = spec;
  syncFormFromSpec(spec);
  updateLink(spec);
}

// The export checkbox sets spec.export (and so the permalink); the spec's export sets the box.
export const EXPORT_ALL = { activations: true, rdms: true };

async function onKeepExports() {
  let spec = state.formSpec || state.defaultSpec;
  try {
    spec = await upgraded(JSON.parse(ui.spec.value));
  } catch { /* the JSON box does not parse (or the core cannot read it): change the last spec that did */ }
  if (!spec || typeof spec !== 'object') return;
  spec = { ...spec };
  if (ui.keepExports.checked) spec.export = spec.export && typeof spec.export === 'object' ? { ...spec.export, ...EXPORT_ALL } : { ...EXPORT_ALL };
  else delete spec.export;
  showSpec(spec);
}

/** Enables the form for the simple shape; otherwise says that the JSON spec edits this experiment. */
function setFormEnabled(enabled, spec) {
  for (const el of ui.form.querySelectorAll('fieldset.model-side select, fieldset.model-side input')) el.disabled = !enabled;
  // A many-model spec has no one source and one target to show: the two sides step aside rather than show stale values.
  for (const fs of ui.form.querySelectorAll('fieldset.model-side')) fs.hidden = !enabled;
  // Said beside the fields (the form note below is the memory check's): why the model fields are away.
  const n = (k) => (Array.isArray(spec[k]) ? spec[k].length : 0);
  ui.sidesWhy.textContent = enabled ? '' : `This experiment has ${n('sources')} source(s), ${n('targets')} target(s) and ${n('metrics')} metric(s): ` +
    'the model fields edit one source against one model target, so they are set aside; edit its models in the JSON spec below ' +
    '(the stimuli and images here still apply).';
  ui.sidesWhy.hidden = enabled;
  if (!enabled) {
    setFormNote('', 'info');
  } else {
    for (const side of SIDES) {
      const s = sideUi(side);
      s.arch.disabled = !state.zooModels;
      s.seed.disabled = onnxChosen(side) || tfliteChosen(side);
    }
  }
}

/** The About text for `spec` (the preset's, or what differs from it), with the set sizes the core gave. */
export function showAbout(spec) {
  showAboutOf(spec, setSize);
}

/** Wires the form's fields; `onSubmit` runs the experiment (Enter in a field, as the Run button would). */
export function wireForm(onSubmit) {
  ui.stimulusSet.addEventListener('change', onFormEdit);
  ui.keepExports.addEventListener('change', onKeepExports);
  ui.resetSpec.addEventListener('click', () => {
    ui.spec.value = state.defaultSpecText;
    state.presetSpec = state.defaultPreset;
    onSpecEdit();
  });
  ui.spec.addEventListener('input', onSpecEdit);
  wireOnnx(onFormEdit); // before the selectors' own listener: the ONNX panel shows first
  wireWeights(onFormEdit); // likewise: the weights control follows the model chosen
  for (const side of SIDES) sideUi(side).arch.addEventListener('change', onFormEdit);
  for (const el of [sideUi('source').seed, sideUi('target').seed, ui.images]) {
    el.addEventListener('input', onFormEdit);
    // On leaving a field with a number out of range, bring it back into range.
    el.addEventListener('change', () => {
      if (el.getAttribute('aria-invalid') !== 'true' || el.value.trim() === '') return;
      const v = Math.round(Number(el.value));
      if (!Number.isFinite(v)) return;
      const min = Number(el.min);
      const max = el.max === '' ? Infinity : Number(el.max);
      el.value = String(Math.min(max, Math.max(min, v)));
      onFormEdit();
    });
  }
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!ui.run.disabled) onSubmit();
  });
}
