// The About line under the preset menu: the preset's own text (the paper's figure and
// findings) only while the spec is still the preset's; once the person changes a seed, the
// images, a model or uploads their own, it says what differs from the preset instead, so the
// paper's words are never read as a description of a different run.

import { ui, slotAfter, titledList } from './dom.js';
import { state } from './state.js';

// Keys that do not change what runs (the name follows the form; the texts describe it; export only keeps files).
const NOT_RUN = ['name', 'figure', 'about', 'paper_file', 'paper', 'this_run', 'export'];

/** The JSON of `value` with object keys sorted: two specs that run the same compare equal. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const runPart = (spec) => Object.fromEntries(Object.entries(spec || {}).filter(([k]) => !NOT_RUN.includes(k)));

/** A model entry in a few words: "alexnet seed 0", "your model.onnx", "responses v4.npy". */
function modelWords(m) {
  if (!m || typeof m !== 'object') return String(m);
  if (typeof m.onnx === 'string') return `your ${m.onnx}`;
  if (typeof m.tflite === 'string') return `trained ${m.tflite} (TFLite)`;
  if (typeof m.arch === 'string' && m.weights && typeof m.weights === 'object') {
    const w = m.weights;
    return `trained ${m.arch} (${w.shipped || w.file || w.url})`;
  }
  if (typeof m.arch === 'string') return `${m.arch}${Number.isInteger(m.seed) ? ` seed ${m.seed}` : ''}`;
  for (const k of ['responses', 'rdms', 'dataset']) if (typeof m[k] === 'string') return `${k} ${m[k]}`;
  return 'a model';
}

/** The images a stimuli entry uses, in words: "16", "all 92", "your images". */
function imagesWords(stimuli, sizeOf) {
  if (!stimuli || typeof stimuli !== 'object') return '?';
  if (stimuli.set === 'upload') return `your images (${stimuli.folder || 'uploaded'})`;
  if (Number.isInteger(stimuli.limit)) return String(stimuli.limit);
  const all = sizeOf(stimuli);
  return all === undefined ? 'all' : `all ${all}`;
}

/** What `now` changes from `preset`, as short phrases ("images all 92 -> 16", "source 2 seed 0 -> 3"). */
export function differences(preset, now, sizeOf = () => undefined) {
  const out = [];
  const a = preset.stimuli || {};
  const b = now.stimuli || {};
  if (a.set !== b.set) out.push(b.set === 'upload' ? 'your images' : `stimuli ${a.set} -> ${b.set}`);
  else if (canonical(a) !== canonical(b)) out.push(`images ${imagesWords(a, sizeOf)} -> ${imagesWords(b, sizeOf)}`);
  for (const role of ['sources', 'targets']) {
    const x = Array.isArray(preset[role]) ? preset[role] : [];
    const y = Array.isArray(now[role]) ? now[role] : [];
    const one = role.slice(0, -1);
    if (x.length !== y.length) out.push(`${role} ${x.length} -> ${y.length}`);
    for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
      if (canonical(x[i]) === canonical(y[i])) continue;
      const which = x.length > 1 ? `${one} ${i + 1}` : one;
      const same = (k) => canonical(x[i] && x[i][k]) === canonical(y[i] && y[i][k]);
      if (typeof y[i].onnx === 'string' && typeof x[i].onnx !== 'string') out.push(`${which}: your model ${y[i].onnx}`);
      else if (x[i].arch === y[i].arch && !same('seed') && ['layers', 'subsample', 'noise', 'prune', 'weights'].every(same)) {
        out.push(`${which} seed ${x[i].seed} -> ${y[i].seed}`);
      } else out.push(`${which} ${modelWords(x[i])} -> ${modelWords(y[i])}${modelWords(x[i]) === modelWords(y[i]) ? ' (its settings)' : ''}`);
    }
  }
  const names = (s) => (Array.isArray(s.metrics) ? s.metrics.map((m) => m && m.name).join(', ') : '');
  if (canonical(preset.metrics) !== canonical(now.metrics)) {
    out.push(names(preset) === names(now) ? 'metric settings' : `metrics ${names(preset)} -> ${names(now)}`);
  }
  const seen = new Set(['stimuli', 'sources', 'targets', 'metrics', ...NOT_RUN]);
  for (const k of new Set([...Object.keys(preset), ...Object.keys(now)])) {
    if (!seen.has(k) && canonical(preset[k]) !== canonical(now[k])) out.push(`${k} changed`);
  }
  return out;
}

/** What `spec` changes from the loaded preset ([] when it runs as the preset, or has an About of its own). */
function changesFromPreset(spec, sizeOf = () => undefined) {
  const preset = state.presetSpec;
  // A spec with an About of its own (pasted, or a permalink's) is not the preset changed.
  const ours = preset && spec && (!spec.about || spec.about === preset.spec.about);
  return ours && canonical(runPart(preset.spec)) !== canonical(runPart(spec)) ? differences(preset.spec, spec, sizeOf) : [];
}

/**
 * The spec as it is sent to run: when it was changed from the preset, its `about` says what
 * changed and its `figure` is dropped, so that the result and its report (which quote them)
 * never present the paper's words as a description of this run.
 */
export function describedSpec(spec, sizeOf) {
  const changed = changesFromPreset(spec, sizeOf);
  if (!changed.length) return spec;
  // `this_run` described the preset's run, not this one; the paper's claims stay (they are the paper's).
  const { figure, this_run: _, ...rest } = spec;
  const preset = state.presetSpec;
  const was = preset.spec.figure ? ` The preset reproduces ${preset.spec.figure}; this run does not.` : '';
  return { ...rest, about: `Changed from the preset "${preset.title}": ${changed.join('; ')}.${was}` };
}

/**
 * Shows the About text for `spec`: the preset's figure and findings while `spec` runs as the
 * preset does, else "Changed from preset …: what differs". `sizeOf(stimuli)` is a set's size, if known.
 */
export function showAbout(spec, sizeOf) {
  const preset = state.presetSpec;
  const parts = [];
  const changed = changesFromPreset(spec, sizeOf);
  if (changed.length) {
    // The paper's text would describe the preset, not this run: only its figure is named.
    parts.push(`Changed from the preset "${preset.title}": ${changed.join('; ')}.`);
    if (preset.spec.figure) parts.push(`The preset (not this run) reproduces ${preset.spec.figure}; choose it again to restore it.`);
  } else {
    if (spec && spec.figure) parts.push(`Reproduces: ${spec.figure}.`);
    if (spec && spec.about) parts.push(spec.about);
  }
  ui.about.textContent = parts.join(' ');
  ui.about.hidden = parts.length === 0;
  ui.about.dataset.changed = changed.length ? 'true' : 'false';
  const source = changed.length ? preset.spec : spec;
  presetTexts(source, changed.length > 0);
}

/**
 * The preset's texts in their parts, under the About line: "The paper" (each claim, its
 * verbatim quote and where it stands) and "This run" (how the run differs from the paper).
 * For a changed spec only the paper's claims stay, marked as the preset's: "This run" no
 * longer describes what runs. "What this run found" is the result's (result.js).
 */
function presetTexts(spec, changed) {
  const box = slotAfter(ui.about, 'div', 'preset-texts', 'preset-texts about');
  box.replaceChildren();
  const claims = Array.isArray(spec && spec.paper) ? spec.paper : [];
  if (claims.length) {
    box.append(titledList(changed ? "The preset's paper" : 'The paper', claims.map((c) => {
      const q = document.createElement('q');
      q.textContent = String(c.quote ?? '').split(/\s+/).join(' ').trim();
      return [`${c.claim} `, q, ` (${c.where})`];
    })));
  }
  const lines = !changed && Array.isArray(spec && spec.this_run) ? spec.this_run : [];
  if (lines.length) box.append(titledList('This run', lines));
  box.hidden = box.childElementCount === 0;
}
