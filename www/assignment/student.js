// The student's view of an opened assignment: title, course and author, the instructions, the
// steps in order, and the hand-in; the progress kept in this browser is read first, so a reload
// shows the answers, checks and finished runs as they were.

import { markdownBlock } from './markdown.js';
import { runStep } from './run-step.js';
import { questionStep } from './questions.js';
import { handIn } from './handin.js';
import { loadProgress, saveProgress } from './progress-store.js';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Draws `opened` (assignment_open's value: {manifest, sha256, instructions, specs, files}) into
 * `container`; resolves with the page's context (its progress, for tests and the console).
 */
export async function showAssignment(container, opened) {
  const { manifest, sha256 } = opened;
  const progress = await loadProgress(sha256);
  const listeners = [];
  const files = (Array.isArray(opened.files) ? opened.files : []).map((f) => ({
    path: String(f.path),
    name: f.name || String(f.path).split('/').pop(),
    bytes: f.bytes instanceof Uint8Array ? f.bytes : new Uint8Array(f.bytes),
  }));
  let saving = Promise.resolve();
  const ctx = {
    manifest, sha256, specs: opened.specs || {}, files, progress,
    save() {
      saving = saving.then(() => saveProgress(sha256, progress));
      return saving;
    },
    onResult(listener) { listeners.push(listener); },
    resultsChanged(stepId) { for (const l of listeners) l(stepId); },
  };

  const head = el('header', 'assignment-head');
  const title = el('h2', '', manifest.title || 'Assignment');
  title.id = 'assignment-title';
  const meta = el('p', 'assignment-meta', [manifest.course, manifest.author].filter(Boolean).join(' · '));
  meta.id = 'assignment-meta';
  head.append(title, meta);
  const instructions = markdownBlock(opened.instructions || '', 'markdown instructions');
  instructions.id = 'assignment-instructions';
  const steps = el('ol', 'steps');
  steps.id = 'assignment-steps';
  for (const step of Array.isArray(manifest.steps) ? manifest.steps : []) {
    steps.append(step.kind === 'run' ? runStep(ctx, step) : questionStep(ctx, step));
  }
  container.replaceChildren(head, instructions, steps, handIn(ctx));
  container.hidden = false;
  document.title = `${manifest.title || 'Assignment'} · idlab`;
  return ctx;
}
