// A run step: its title and text, the spec's summary, the fields the student may change (within
// the author's ranges), Run with progress and Cancel, then the result's views. A finished run is
// kept with the spec it ran (progress-store.js) and drawn again on reload, never recomputed.

import { markdownBlock } from './markdown.js';
import { getPointer, setPointer } from './pointer.js';
import { specSummary, progressText } from './summary.js';
import { runSpec } from './compute.js';
import { drawViews } from '../embed/views.js';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The step's spec with the student's values of its editable fields. */
export function currentSpec(ctx, step) {
  let spec = ctx.specs[step.id];
  const edits = ctx.progress.edits[step.id] || {};
  for (const [path, value] of Object.entries(edits)) spec = setPointer(spec, path, value);
  return spec;
}

/** Why `value` is not allowed in `field`, or null. */
function fieldProblem(field, value) {
  if (!Number.isFinite(value)) return `${field.label || field.path}: enter a number.`;
  if (field.integer && !Number.isInteger(value)) return `${field.label || field.path}: enter a whole number.`;
  if (Number.isFinite(field.min) && value < field.min) return `${field.label || field.path}: at least ${field.min}.`;
  if (Number.isFinite(field.max) && value > field.max) return `${field.label || field.path}: at most ${field.max}.`;
  return null;
}

/** The <li> of run step `step`; ctx: {manifest, specs, files, progress, save(), resultsChanged()}. */
export function runStep(ctx, step) {
  const li = el('li', 'step run-step');
  li.dataset.step = step.id;
  li.append(el('h3', 'step-title', step.title || 'Run the experiment'));
  if (step.text) li.append(markdownBlock(step.text));
  const summary = el('p', 'spec-summary');
  li.append(summary);

  const fields = el('div', 'editable');
  const problems = el('p', 'field-problem');
  problems.setAttribute('role', 'status');
  problems.hidden = true;
  const inputs = [];
  for (const [i, field] of (Array.isArray(step.editable) ? step.editable : []).entries()) {
    const box = el('div', 'field');
    const id = `field-${step.id}-${i}`;
    const label = el('label', '', field.label || field.path);
    label.htmlFor = id;
    const input = document.createElement('input');
    input.id = id;
    input.type = 'number';
    input.dataset.path = field.path;
    if (Number.isFinite(field.min)) input.min = String(field.min);
    if (Number.isFinite(field.max)) input.max = String(field.max);
    input.step = field.integer ? '1' : 'any';
    const kept = (ctx.progress.edits[step.id] || {})[field.path];
    input.value = String(kept ?? getPointer(ctx.specs[step.id], field.path) ?? '');
    const range = el('span', 'hint', Number.isFinite(field.min) && Number.isFinite(field.max) ? `${field.min} to ${field.max}` : '');
    box.append(label, input, range);
    fields.append(box);
    inputs.push({ field, input });
  }
  if (inputs.length) li.append(fields, problems);

  const controls = el('div', 'controls');
  const runButton = el('button', 'primary', 'Run');
  runButton.type = 'button';
  const cancelButton = el('button', '', 'Cancel');
  cancelButton.type = 'button';
  cancelButton.disabled = true;
  controls.append(runButton, cancelButton);
  const progress = document.createElement('progress');
  progress.max = 1;
  progress.value = 0;
  const status = el('p', 'run-status', 'Not run yet.');
  status.setAttribute('role', 'status');
  const error = el('p', 'run-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const findings = el('ul', 'findings');
  const views = el('div', 'views');
  li.append(controls, progress, status, error, findings, views);

  let running = null;

  function problem() {
    for (const { field, input } of inputs) {
      const p = fieldProblem(field, Number(input.value));
      if (p || input.value.trim() === '') return p || `${field.label || field.path}: enter a number.`;
    }
    return null;
  }

  function refresh() {
    const why = problem();
    problems.hidden = !why;
    problems.textContent = why || '';
    runButton.disabled = Boolean(why) || Boolean(running);
    if (!why) summary.textContent = specSummary(currentSpec(ctx, step));
    const kept = ctx.progress.results[step.id];
    if (kept && !running) {
      const same = JSON.stringify(ctx.progress.specs[step.id]) === JSON.stringify(currentSpec(ctx, step));
      runButton.textContent = 'Run again';
      status.textContent = same
        ? 'Finished: the result is kept in this browser.'
        : 'Finished with other values: the questions use that result until you run again.';
    }
  }

  for (const { field, input } of inputs) {
    input.addEventListener('input', () => {
      const value = Number(input.value);
      if (input.value.trim() !== '' && !fieldProblem(field, value)) {
        ctx.progress.edits[step.id] = { ...(ctx.progress.edits[step.id] || {}), [field.path]: value };
        ctx.save();
      }
      refresh();
    });
  }

  async function show(result) {
    findings.replaceChildren(...(Array.isArray(result.findings) ? result.findings : []).map((f) => el('li', '', f)));
    try {
      await drawViews(views, result, null);
    } catch (err) {
      views.replaceChildren(el('p', 'run-error', `The result could not be drawn: ${err.message}`));
    }
  }

  runButton.addEventListener('click', async () => {
    if (running || problem()) return;
    const spec = currentSpec(ctx, step);
    error.hidden = true;
    status.textContent = 'Starting…';
    progress.removeAttribute('value');
    const started = performance.now();
    running = runSpec(spec, ctx.files, {
      onProgress(p) {
        progress.max = Math.max(1, Number(p.total) || 1);
        progress.value = Math.min(progress.max, Number(p.done) || 0);
        status.textContent = progressText(p, (performance.now() - started) / 1000);
      },
    });
    runButton.disabled = true;
    cancelButton.disabled = false;
    li.dataset.state = 'running';
    try {
      const result = await running.promise;
      running = null;
      ctx.progress.results[step.id] = result;
      ctx.progress.specs[step.id] = spec;
      await ctx.save();
      progress.max = 1;
      progress.value = 1;
      li.dataset.state = 'done';
      refresh();
      ctx.resultsChanged(step.id);
      await show(result);
    } catch (err) {
      running = null;
      progress.max = 1;
      progress.value = 0;
      li.dataset.state = err.cancelled ? 'cancelled' : 'failed';
      status.textContent = err.cancelled ? 'Cancelled.' : 'Failed.';
      if (!err.cancelled) {
        error.textContent = err.message;
        error.hidden = false;
      }
      refresh();
    } finally {
      cancelButton.disabled = true;
    }
  });

  cancelButton.addEventListener('click', () => {
    if (running) running.cancel();
  });

  refresh();
  const kept = ctx.progress.results[step.id];
  if (kept) {
    li.dataset.state = 'done';
    progress.value = 1;
    show(kept);
  }
  return li;
}
