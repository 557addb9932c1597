// Author mode (assignment.html#author): the spec and result the lab handed over, the result values
// to ask about (ticked), the core's draft (assignment_draft: a run step, a numeric question per
// value, tolerances from the run's own variability where it has them), the texts and tolerances
// edited here, and the .idlab.zip the core packs (assignment_pack), with "Open as a student".

import { takeHandover } from './handover.js';
import { resultPaths } from './result-paths.js';
import { specSummary } from './summary.js';
import { core } from './compute.js';
import { keepLastFile } from './progress-store.js';
import { download } from '../download.js';
import { formatValue, slug } from '../format.js';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

let fieldCounter = 0;

/** A labelled input (or textarea) bound to obj[key]; `kind`: 'text' | 'area' | 'number' | 'check'. */
function bound(labelText, obj, key, kind = 'text', { onChange, name } = {}) {
  const box = el('div', `field ${kind}`);
  const id = `author-field-${++fieldCounter}`;
  const label = el('label', '', labelText);
  label.htmlFor = id;
  let input;
  if (kind === 'area') {
    input = document.createElement('textarea');
    input.rows = 4;
    input.value = obj[key] ?? '';
  } else {
    input = document.createElement('input');
    input.type = kind === 'check' ? 'checkbox' : kind === 'number' ? 'number' : 'text';
    if (kind === 'number') input.step = 'any';
    if (kind === 'check') input.checked = Boolean(obj[key]);
    else input.value = obj[key] ?? '';
  }
  input.id = id;
  if (name) input.name = name;
  input.addEventListener(kind === 'check' ? 'change' : 'input', () => {
    if (kind === 'check') obj[key] = input.checked;
    else if (kind === 'number') {
      if (input.value.trim() === '') delete obj[key];
      else obj[key] = Number(input.value);
    } else obj[key] = input.value;
    if (onChange) onChange();
  });
  if (kind === 'check') box.append(input, label);
  else box.append(label, input);
  return box;
}

/** The draft's manifest and text files, whatever the core's wrapping ({manifest, files} or the manifest itself). */
function splitDraft(draft) {
  if (draft && draft.manifest) return { manifest: draft.manifest, files: draft.files || {}, notes: draft.notes || {} };
  const { files, ...manifest } = draft || {};
  return { manifest: { ...manifest, files: Array.isArray(files) ? files : [] }, files: files && !Array.isArray(files) ? files : {}, notes: {} };
}

/** The editor of one step of the draft; `note`: the core's word on it (the value found, the tolerance's basis). */
function stepEditor(step, note, manifest, redraw) {
  const box = el('fieldset', `author-step ${step.kind}`);
  box.dataset.step = step.id;
  box.append(el('legend', '', `${step.id} (${step.kind})`));
  if (step.kind === 'run') {
    box.append(bound('Title', step, 'title'), bound('Text (Markdown)', step, 'text', 'area'));
    if (typeof step.spec === 'string') box.append(el('p', 'hint', `Spec: ${step.spec}`));
    return box;
  }
  box.append(bound('Question (Markdown)', step, 'prompt', 'area'), bound('Hint (Markdown, shown after a wrong answer)', step, 'hint', 'text'));
  if (step.kind === 'numeric') {
    const answer = step.answer || {};
    box.append(el('p', 'hint', answer.path ? `Checked against the student's own result at ${answer.path} (run ${answer.run}).` : `Checked against the value ${answer.value}.`));
    if (note) box.append(el('p', 'hint draft-note', `${String(note).charAt(0).toUpperCase()}${String(note).slice(1)}.`));
    step.tolerance = step.tolerance || {};
    const tol = el('div', 'tolerance');
    tol.append(bound('Tolerance (absolute)', step.tolerance, 'abs', 'number'), bound('Tolerance (relative)', step.tolerance, 'rel', 'number'));
    box.append(tol, bound('Show the expected value after an answer', step, 'reveal', 'check'));
  }
  const remove = el('button', 'link', 'Remove this question');
  remove.type = 'button';
  remove.addEventListener('click', () => {
    manifest.steps = manifest.steps.filter((s) => s !== step);
    redraw();
  });
  box.append(remove);
  return box;
}

/** Draws author mode into `container`; resolves with its state (for tests). */
export async function showAuthor(container) {
  container.hidden = false;
  const state = { draft: null, zip: null, error: null };
  const handed = await takeHandover().catch(() => undefined);
  const heading = el('h2', '', 'Make an assignment from a run');
  if (!handed || !handed.spec || !handed.result) {
    container.replaceChildren(heading, el('p', '', 'Nothing was handed over: run an experiment in the lab, then press "Make an assignment from this run" under its result.'));
    const back = el('a', '', 'Open the lab');
    back.href = 'index.html';
    container.append(back);
    return state;
  }
  const { spec, result } = handed;
  const dataFiles = handed.files || {};
  container.replaceChildren(heading, el('p', 'spec-summary', `${spec.name || 'Experiment'}: ${specSummary(spec)}`));

  // 1. The values to ask about.
  const pick = el('fieldset', 'author-paths');
  pick.id = 'author-paths';
  pick.append(el('legend', '', 'Ask the students about these values of the run (each becomes a numeric question checked against their own result)'));
  const candidates = resultPaths(result);
  if (!candidates.length) pick.append(el('p', 'hint', 'This result holds no single number to ask about.'));
  let group = null;
  for (const c of candidates) {
    if (c.group !== group) {
      group = c.group;
      pick.append(el('h3', '', group));
    }
    const row = el('div', 'path-choice');
    const id = `path-${++fieldCounter}`;
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.id = id;
    input.value = c.path;
    input.dataset.path = c.path;
    const label = el('label', '', `${c.label}: ${formatValue(c.value)}`);
    label.htmlFor = id;
    label.title = c.path;
    row.append(input, label);
    pick.append(row);
  }
  const makeDraft = el('button', 'primary', 'Make the draft');
  makeDraft.id = 'author-draft';
  makeDraft.type = 'button';
  const draftError = el('p', 'run-error');
  draftError.setAttribute('role', 'alert');
  draftError.hidden = true;
  const editor = el('div', 'author-editor');
  editor.id = 'author-editor';
  container.append(pick, makeDraft, draftError, editor);

  makeDraft.addEventListener('click', async () => {
    const paths = [...pick.querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
    draftError.hidden = true;
    makeDraft.disabled = true;
    try {
      const { manifest, files, notes } = splitDraft(await core('assignment_draft', spec, result, paths));
      state.draft = { manifest, texts: { ...files }, notes };
      drawEditor();
    } catch (err) {
      draftError.textContent = `The draft could not be made: ${err.message}`;
      draftError.hidden = false;
    } finally {
      makeDraft.disabled = false;
    }
  });

  // 2. The editor of the draft, and the download.
  function drawEditor() {
    const { manifest, texts, notes } = state.draft;
    const head = el('fieldset', 'author-head');
    head.append(el('legend', '', 'The assignment'),
      bound('Title', manifest, 'title'), bound('Course', manifest, 'course'), bound('Author', manifest, 'author'),
      bound('Show expected values after an answer (unless a question says otherwise)', manifest, 'reveal', 'check'));
    const instructionsPath = manifest.instructions || 'instructions.md';
    manifest.instructions = instructionsPath;
    if (texts[instructionsPath] === undefined) texts[instructionsPath] = '';
    head.append(bound('Instructions (Markdown: no HTML; links http, https or mailto)', texts, instructionsPath, 'area'));
    const steps = el('div', 'author-steps');
    for (const step of manifest.steps || []) steps.append(stepEditor(step, notes[step.id], manifest, drawEditor));
    const addText = el('button', '', 'Add a free-text question');
    addText.type = 'button';
    addText.addEventListener('click', () => {
      let n = (manifest.steps || []).length + 1;
      while ((manifest.steps || []).some((s) => s.id === `q-${n}`)) n += 1;
      manifest.steps = [...(manifest.steps || []), { id: `q-${n}`, kind: 'text', prompt: 'Explain what you found in two sentences.' }];
      drawEditor();
    });
    const pack = el('button', 'primary', 'Download the assignment (.idlab.zip)');
    pack.id = 'author-download';
    pack.type = 'button';
    const packStatus = el('p', 'pack-status');
    packStatus.id = 'author-status';
    packStatus.setAttribute('role', 'status');
    const asStudent = el('a', 'as-student', 'Open as a student');
    asStudent.id = 'author-open-student';
    asStudent.href = 'assignment.html';
    asStudent.hidden = true;
    asStudent.addEventListener('click', async (event) => {
      event.preventDefault();
      if (!state.zip) return;
      await keepLastFile(state.zip.name, state.zip.bytes);
      location.assign('assignment.html');
    });
    pack.addEventListener('click', async () => {
      pack.disabled = true;
      packStatus.textContent = 'Packing…';
      try {
        const files = { ...texts };
        for (const [name, bytes] of Object.entries(dataFiles)) files[`data/${name}`] = bytes;
        const packed = await core('assignment_pack', manifest, files);
        const bytes = packed instanceof Uint8Array ? packed : new Uint8Array(packed);
        const name = `${slug(manifest.title || spec.name || 'assignment', 'assignment', 60)}.idlab.zip`;
        state.zip = { name, bytes };
        state.error = null;
        download(name, new Blob([bytes], { type: 'application/zip' }));
        packStatus.textContent = `Downloaded ${name} (${bytes.byteLength.toLocaleString('en')} bytes). Check it with: idlab assignment check ${name}`;
        asStudent.hidden = false;
      } catch (err) {
        state.error = err.message;
        packStatus.textContent = `Not packed: ${err.message}`;
      } finally {
        pack.disabled = false;
      }
    });
    editor.replaceChildren(el('h2', '', 'Edit the draft'), head, steps, addText, pack, packStatus, asStudent);
  }
  return state;
}
