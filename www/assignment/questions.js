// The question steps: a numeric answer checked at once by the core (assignment_check: correct,
// off by how much, the author's hint, the expected value only where the author allows it), a
// choice checked the same way, free text only kept. Answers and checks are kept per assignment.

import { markdownBlock } from './markdown.js';
import { core } from './compute.js';

/** A number as the student reads it: four significant digits, no trailing zeros. */
function formatValue(v) {
  return String(Number(v.toPrecision(4)));
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The run step a numeric question is checked against (undefined for a fixed value). */
function runOf(ctx, step) {
  const run = step.answer && typeof step.answer === 'object' ? step.answer.run : undefined;
  return run ? ctx.manifest.steps.find((s) => s.id === run) : undefined;
}

/** Shows a check's verdict in `box`: correct, or off by how much with the hint; the expected value when given. */
function showCheck(box, step, check) {
  box.replaceChildren();
  box.hidden = !check;
  if (!check) return;
  box.dataset.correct = String(check.correct);
  let line;
  if (check.correct === true) line = 'Correct.';
  else if (step.kind === 'numeric' && Number.isFinite(check.off_by)) line = `Not quite: off by ${formatValue(check.off_by)}.`;
  else line = 'Not quite.';
  if (Number.isFinite(check.expected)) line += ` The expected value is ${formatValue(check.expected)}.`;
  box.append(el('p', 'verdict', line));
  if (check.correct !== true && check.hint) {
    const hint = el('div', 'hint-box');
    hint.append(el('strong', '', 'Hint: '), markdownBlock(check.hint));
    box.append(hint);
  }
}

/** The <li> of question step `step` (numeric, choice or text); ctx as in run-step.js. */
export function questionStep(ctx, step) {
  const li = el('li', `step question ${step.kind}`);
  li.dataset.step = step.id;
  if (step.title) li.append(el('h3', 'step-title', step.title));
  li.append(markdownBlock(step.prompt || ''));
  const feedback = el('div', 'feedback');
  feedback.setAttribute('role', 'status');
  feedback.setAttribute('aria-live', 'polite');
  const error = el('p', 'run-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const kept = ctx.progress.answers[step.id];

  async function check(answer) {
    error.hidden = true;
    ctx.progress.answers[step.id] = answer;
    const run = runOf(ctx, step);
    if (run && !ctx.progress.results[run.id]) {
      delete ctx.progress.checks[step.id];
      await ctx.save();
      showCheck(feedback, step, null);
      error.textContent = `Run "${run.title || run.id}" first: this answer is checked against your own result.`;
      error.hidden = false;
      return;
    }
    try {
      const result = await core('assignment_check', ctx.manifest, step.id, answer, ctx.progress.results);
      ctx.progress.checks[step.id] = result;
      showCheck(feedback, step, result);
    } catch (err) {
      delete ctx.progress.checks[step.id];
      showCheck(feedback, step, null);
      error.textContent = err.message;
      error.hidden = false;
    }
    await ctx.save();
  }

  if (step.kind === 'numeric') {
    const id = `answer-${step.id}`;
    const form = el('form', 'answer');
    const label = el('label', '', 'Your answer');
    label.htmlFor = id;
    const input = document.createElement('input');
    input.id = id;
    input.type = 'text';
    input.inputMode = 'decimal';
    input.autocomplete = 'off';
    input.spellcheck = false;
    if (kept !== undefined) input.value = String(kept);
    const button = el('button', '', 'Check');
    button.type = 'submit';
    form.append(label, input, button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = Number(input.value.trim().replace(',', '.'));
      if (input.value.trim() === '' || !Number.isFinite(value)) {
        error.textContent = 'Enter a number (for example 0.42).';
        error.hidden = false;
        return;
      }
      check(value);
    });
    li.append(form);
    // When the run it depends on is run again, the kept verdict is checked afresh.
    ctx.onResult((runId) => {
      const run = runOf(ctx, step);
      if (run && run.id === runId && ctx.progress.answers[step.id] !== undefined) check(ctx.progress.answers[step.id]);
    });
  } else if (step.kind === 'choice') {
    const group = el('fieldset', 'answer choices');
    group.append(el('legend', 'visually-hidden', 'Your answer'));
    (Array.isArray(step.options) ? step.options : []).forEach((option, i) => {
      const id = `answer-${step.id}-${i}`;
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = `answer-${step.id}`;
      input.id = id;
      input.value = String(i);
      input.checked = kept === i;
      input.addEventListener('change', () => check(i));
      const label = el('label', '', String(option));
      label.htmlFor = id;
      const row = el('div', 'choice');
      row.append(input, label);
      group.append(row);
    });
    li.append(group);
  } else {
    const id = `answer-${step.id}`;
    const label = el('label', '', 'Your answer (kept for the hand-in; not checked)');
    label.htmlFor = id;
    const area = document.createElement('textarea');
    area.id = id;
    area.rows = 4;
    if (typeof kept === 'string') area.value = kept;
    let timer = null;
    area.addEventListener('input', () => {
      ctx.progress.answers[step.id] = area.value;
      clearTimeout(timer);
      timer = setTimeout(() => ctx.save(), 300);
    });
    const saved = el('p', 'hint', 'Saved in this browser as you type.');
    li.append(label, area, saved);
  }
  li.append(feedback, error);
  showCheck(feedback, step, ctx.progress.checks[step.id] || null);
  return li;
}
