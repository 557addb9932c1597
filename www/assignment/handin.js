// The hand-in: the student's name and one button that downloads the report the core makes
// (assignment_report: every answer and check, every run's spec, input hashes and result, the
// lab's version and a content hash over the whole) as HTML and as JSON.

import { core } from './compute.js';
import { download } from '../download.js';
import { slug } from '../format.js';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * The report's JSON as the core wrote it: the text the HTML report embeds. Not JSON.stringify of
 * the parsed object: JavaScript writes 1.0 as 1, which would change the canonical JSON the
 * content hash is computed over, and every honest report would read as edited.
 */
function reportText(report) {
  const open = '<script type="application/json" id="idlab-report">';
  const html = String(report.html || '');
  const at = html.indexOf(open);
  const end = at < 0 ? -1 : html.indexOf('</script>', at + open.length);
  if (end >= 0) return `${html.slice(at + open.length, end)}\n`;
  return JSON.stringify(report.json, null, 2);
}

/** The hand-in section; ctx as in run-step.js plus {sha256}. */
export function handIn(ctx) {
  const section = el('section', 'handin');
  section.id = 'handin';
  section.setAttribute('aria-labelledby', 'handin-heading');
  const h = el('h2', '', 'Hand in');
  h.id = 'handin-heading';
  const label = el('label', '', 'Your name');
  label.htmlFor = 'student-name';
  const name = document.createElement('input');
  name.id = 'student-name';
  name.type = 'text';
  name.autocomplete = 'name';
  name.value = ctx.progress.name || '';
  name.addEventListener('input', () => {
    ctx.progress.name = name.value;
    ctx.save();
  });
  const button = el('button', 'primary', 'Download the report (HTML and JSON)');
  button.id = 'handin-button';
  button.type = 'button';
  const status = el('p', 'handin-status');
  status.id = 'handin-status';
  status.setAttribute('role', 'status');
  const note = el('p', 'hint', 'Hand in both files as your course asks. The report holds a hash of its content: an edited report is detected when it is graded.');

  button.addEventListener('click', async () => {
    const student = name.value.trim();
    if (!student) {
      status.textContent = 'Enter your name first.';
      name.focus();
      return;
    }
    const runs = ctx.manifest.steps.filter((s) => s.kind === 'run');
    const missing = runs.filter((s) => !ctx.progress.results[s.id]);
    const unanswered = ctx.manifest.steps.filter((s) => s.kind !== 'run' && ctx.progress.answers[s.id] === undefined);
    button.disabled = true;
    status.textContent = 'Making the report…';
    try {
      const specs = {};
      for (const s of runs) if (ctx.progress.specs[s.id]) specs[s.id] = ctx.progress.specs[s.id];
      const report = await core('assignment_report', ctx.manifest, ctx.sha256, { name: student },
        ctx.progress.answers, ctx.progress.results, specs);
      const base = `${slug(ctx.manifest.title || 'assignment', 'assignment', 60)}-${slug(student, 'student', 40)}`;
      download(`${base}.report.html`, report.html, 'text/html');
      download(`${base}.report.json`, reportText(report), 'application/json');
      const left = [];
      if (missing.length) left.push(`${missing.length} run${missing.length === 1 ? '' : 's'} not run`);
      if (unanswered.length) left.push(`${unanswered.length} question${unanswered.length === 1 ? '' : 's'} unanswered`);
      status.textContent = `Downloaded ${base}.report.html and ${base}.report.json${left.length ? ` (${left.join(', ')})` : ''}.`;
    } catch (err) {
      status.textContent = `The report could not be made: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });

  section.append(h, label, name, button, status, note);
  return section;
}
