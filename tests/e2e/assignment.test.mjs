// Course assignments (issue 15): a student opens the example assignment (assignment.html
// ?assignment=assignments/identifiability.idlab.zip), runs its run steps on a reduced size,
// answers one numeric question right and one wrong, reloads mid-way (the answer, its verdict and
// the finished run are still there and nothing is recomputed), and hands in; `idlab assignment
// grade` re-checks the report as answered and flags a copy whose numbers were edited. Author
// round trip: a run in the lab, "Make an assignment from this run", a ticked value, the
// downloaded .idlab.zip opened as a student, run, and its question checks correct against the
// same run's value. Bad files (not a zip; Markdown with <script>) show the message, nothing runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import {
  BIN, DIST, browserAndServer, openPage, openFormReady, outDir, limitedSpec, waitForResult,
} from './helpers.mjs';

const EXAMPLE = 'assignments/identifiability.idlab.zip';
const RUN_MS = 150000;
const env = browserAndServer();

/** The value at JSON Pointer `pointer` in `doc`. */
function at(doc, pointer) {
  return pointer.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((a, t) => (a === undefined || a === null ? undefined : a[t]), doc);
}

/** Waits until the assignment page has opened its file (or refused it); returns the page's state. */
async function opened(page) {
  await page.waitForFunction(() => window.idlabAssignment && ['open', 'refused', 'empty'].includes(window.idlabAssignment.state), null, { timeout: 60000 });
  return page.evaluate(() => ({ state: window.idlabAssignment.state, error: window.idlabAssignment.error }));
}

/** Runs the run step `id` (its editable fields at their minimum: the reduced size) and waits for its end. */
async function runStep(page, id) {
  const step = page.locator(`li[data-step="${id}"]`);
  for (const input of await step.locator('.editable input').all()) {
    const min = await input.getAttribute('min');
    if (min !== null) await input.fill(min);
  }
  await step.getByRole('button', { name: /^Run/ }).click();
  await page.waitForFunction((sid) => {
    const li = document.querySelector(`li[data-step="${sid}"]`);
    return li && ['done', 'failed'].includes(li.dataset.state);
  }, id, { timeout: RUN_MS, polling: 250 });
  const state = await step.getAttribute('data-state');
  assert.equal(state, 'done', `run step ${id} failed: ${await step.locator('.run-error').textContent()}`);
}

/** Types `value` into numeric question `id`, checks it, and returns the verdict's text. */
async function answer(page, id, value) {
  const step = page.locator(`li[data-step="${id}"]`);
  await step.locator('input[type="text"]').fill(String(value));
  await step.getByRole('button', { name: 'Check' }).click();
  await step.locator('.feedback .verdict').waitFor({ timeout: 15000 });
  return (await step.locator('.feedback .verdict').textContent()).trim();
}

/** The expected value of numeric step `step` for `results`. */
function expected(step, results) {
  return step.answer.run ? at(results[step.answer.run], step.answer.path) : step.answer.value;
}

/** A value surely outside `step`'s tolerance around `value`. */
function wrongValue(step, value) {
  const tol = (step.tolerance?.abs ?? 0) + (step.tolerance?.rel ?? 0) * Math.abs(value);
  return value + 10 * tol + 1;
}

/** Clicks `button` and waits for `n` downloads; saves them under `dir` and returns their paths. */
async function downloads(page, button, n, dir) {
  const got = [];
  const done = new Promise((resolve) => {
    const on = (d) => {
      got.push(d);
      if (got.length === n) {
        page.off('download', on);
        resolve();
      }
    };
    page.on('download', on);
  });
  await button.click();
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`${got.length} of ${n} downloads`)), 30000))]);
  const paths = [];
  for (const d of got) {
    const file = path.join(dir, d.suggestedFilename());
    await d.saveAs(file);
    paths.push(file);
  }
  return paths;
}

/** `idlab assignment grade` of `reports`: {status, rows: [{column: value}], stderr}. */
function grade(zip, reports, csv) {
  const r = spawnSync(BIN, ['assignment', 'grade', zip, ...reports, '-o', csv], { encoding: 'utf8' });
  const text = fs.existsSync(csv) ? fs.readFileSync(csv, 'utf8') : '';
  const [head, ...lines] = text.trim().split(/\r?\n/).map((l) => l.split(','));
  const rows = lines.map((cells) => Object.fromEntries((head || []).map((h, i) => [h.trim(), (cells[i] ?? '').trim()])));
  return { status: r.status, rows, stderr: r.stderr, stdout: r.stdout, text };
}

/** The value of the column whose name contains `part` (case-insensitive). */
function column(row, part) {
  const key = Object.keys(row).find((k) => k.toLowerCase().includes(part.toLowerCase()));
  return key === undefined ? undefined : row[key];
}

test('student: open, run, answer right and wrong, reload and resume, hand in; the CLI grades it', { timeout: 300000 }, async () => {
  const out = outDir('assignment');
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}assignment.html?assignment=${EXAMPLE}`);
  try {
    assert.deepEqual(await opened(page), { state: 'open', error: null });
    const manifest = await page.evaluate(() => window.idlabAssignment.opened.manifest);
    assert.ok((await page.locator('#assignment-instructions').textContent()).trim().length > 0, 'the instructions are shown');
    const runs = manifest.steps.filter((s) => s.kind === 'run');
    const numeric = manifest.steps.filter((s) => s.kind === 'numeric');
    assert.ok(runs.length >= 1 && numeric.length >= 2, 'the example has a run step and two numeric questions');

    await runStep(page, runs[0].id);
    // The build line, in the lab's words (format.js's threadedBuild: "1 thread", "2 threads").
    assert.match(await page.textContent('#build'), /^Build: (threaded \((1 thread|[2-9]\d* threads)(, relaxed SIMD)?\)|single-threaded), idlab \d/);
    let results = await page.evaluate(() => window.idlabAssignment.ctx.progress.results);
    const right = numeric.find((s) => s.answer.run && results[s.answer.run]) ?? numeric[0];
    const rightValue = expected(right, results);
    assert.ok(Number.isFinite(rightValue), `the value at ${right.answer.path} is a number`);
    assert.equal(await answer(page, right.id, rightValue), 'Correct.');

    // Reload mid-way: the answer, its verdict and the finished run are there; nothing recomputes.
    await page.reload({ waitUntil: 'load' });
    assert.equal((await opened(page)).state, 'open');
    const rightStep = page.locator(`li[data-step="${right.id}"]`);
    assert.equal(await rightStep.locator('input[type="text"]').inputValue(), String(rightValue));
    assert.equal((await rightStep.locator('.feedback .verdict').textContent()).trim(), 'Correct.');
    assert.equal(await page.locator(`li[data-step="${runs[0].id}"]`).getAttribute('data-state'), 'done');
    await page.locator(`li[data-step="${runs[0].id}"] .idlab-views .js-plotly-plot`).first().waitFor({ timeout: 30000 });
    assert.equal(await page.evaluate(() => window.idlabAssignment.runsStarted), 0, 'the reload recomputed a run');

    for (const r of runs.slice(1)) await runStep(page, r.id);
    results = await page.evaluate(() => window.idlabAssignment.ctx.progress.results);
    const wrong = numeric.find((s) => s !== right);
    const wrongExpected = expected(wrong, results);
    const off = Math.abs(wrongValue(wrong, wrongExpected) - wrongExpected);
    const verdict = await answer(page, wrong.id, wrongValue(wrong, wrongExpected));
    assert.match(verdict, /^Not quite: off by /);
    // "Off by" is the core's, rounded to two significant digits (it must not give the value away).
    const shown = Number(verdict.match(/off by (-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)/)[1]);
    assert.ok(Math.abs(shown - off) <= 0.05 * off, `${verdict} vs ${off}`);
    for (const s of manifest.steps.filter((x) => x.kind === 'choice')) {
      await page.locator(`li[data-step="${s.id}"] input[type="radio"][value="${s.answer}"]`).check();
      await page.locator(`li[data-step="${s.id}"] .feedback .verdict`).waitFor({ timeout: 15000 });
      assert.equal((await page.locator(`li[data-step="${s.id}"] .feedback .verdict`).textContent()).trim(), 'Correct.');
    }
    for (const s of manifest.steps.filter((x) => x.kind === 'text')) {
      await page.locator(`li[data-step="${s.id}"] textarea`).fill('The index is highest where the architectures differ most.');
    }

    // Hand in: one button, the report as HTML and JSON.
    await page.locator('#student-name').fill('Ada Student');
    const files = await downloads(page, page.locator('#handin-button'), 2, out);
    const json = files.find((f) => f.endsWith('.json'));
    const html = files.find((f) => f.endsWith('.html'));
    assert.ok(json && html, `both reports downloaded: ${files.join(', ')}`);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.equal(report.idlab_report, 1);
    assert.equal(report.student.name, 'Ada Student');
    assert.match(fs.readFileSync(html, 'utf8'), /<script type="application\/json"/);
    await page.screenshot({ path: path.join(out, 'student.png'), fullPage: true });

    // The TA's side: right and wrong as answered; an edited copy is flagged.
    const zip = path.join(DIST, EXAMPLE);
    const graded = grade(zip, [json], path.join(out, 'grades.csv'));
    assert.equal(graded.status, 0, `grade failed: ${graded.stderr}`);
    assert.equal(graded.rows.length, 1, graded.text);
    assert.match(column(graded.rows[0], right.id), /right|correct/i, graded.text);
    assert.match(column(graded.rows[0], wrong.id), /wrong|incorrect/i, graded.text);
    assert.match(column(graded.rows[0], 'content'), /yes|true|ok/i, graded.text);
    for (const s of manifest.steps.filter((x) => x.kind === 'choice')) assert.match(column(graded.rows[0], s.id), /right|correct/i, graded.text);
    const edited = structuredClone(report);
    const runEntry = edited.steps.find((s) => s.result && Array.isArray(s.result.scores) && s.result.scores.length);
    runEntry.result.scores[0].values[0][0] += 0.125;
    const editedFile = path.join(out, 'report-edited.json');
    fs.writeFileSync(editedFile, JSON.stringify(edited, null, 2));
    const both = grade(zip, [json, editedFile], path.join(out, 'grades-edited.csv'));
    assert.equal(both.rows.length, 2, both.text + both.stderr);
    const [ok, bad] = both.rows;
    assert.notEqual(column(bad, 'content'), column(ok, 'content'), `the edited report is flagged:\n${both.text}`);
    assert.match(column(bad, 'content'), /false|no|edited|mismatch/i, both.text);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('author round trip: make an assignment from a lab run, open it as a student, the question checks against the same run', { timeout: 300000 }, async () => {
  const out = outDir('assignment', 'author');
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    const spec = limitedSpec(4);
    await page.evaluate((s) => window.idlab.run(s), spec);
    const labResult = await waitForResult(page);
    await page.locator('#make-assignment').click();
    await page.waitForURL(/assignment\.html#author$/, { timeout: 30000 });
    const first = page.locator('#author-paths input[type="checkbox"]').first();
    await first.waitFor({ timeout: 30000 });
    const pointer = await first.getAttribute('data-path');
    const labValue = at(labResult, pointer);
    assert.ok(Number.isFinite(labValue), `${pointer} is a number of the lab's result`);
    await first.check();
    await page.locator('#author-draft').click();
    await page.locator('#author-download').waitFor({ timeout: 15000 });
    const title = page.locator('#author-editor .author-head input[type="text"]').first();
    await title.fill('CKA between two AlexNets');
    await page.screenshot({ path: path.join(out, 'author.png'), fullPage: true });
    const [zip] = await downloads(page, page.locator('#author-download'), 1, out);
    assert.match(path.basename(zip), /\.idlab\.zip$/);
    const checked = spawnSync(BIN, ['assignment', 'check', zip], { encoding: 'utf8' });
    assert.equal(checked.status, 0, `idlab assignment check: ${checked.stderr}`);

    await page.locator('#author-open-student').click();
    await page.waitForURL(/assignment\.html$/, { timeout: 30000 });
    assert.equal((await opened(page)).state, 'open');
    assert.equal((await page.locator('#assignment-title').textContent()).trim(), 'CKA between two AlexNets');
    const manifest = await page.evaluate(() => window.idlabAssignment.opened.manifest);
    const run = manifest.steps.find((s) => s.kind === 'run');
    const question = manifest.steps.find((s) => s.kind === 'numeric');
    assert.equal(question.answer.path, pointer);
    await runStep(page, run.id);
    const results = await page.evaluate(() => window.idlabAssignment.ctx.progress.results);
    const studentValue = at(results[run.id], pointer);
    assert.ok(Math.abs(studentValue - labValue) <= 1e-6, `the student's run found ${studentValue}, the lab's ${labValue}`);
    assert.equal(await answer(page, question.id, labValue), 'Correct.');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** A zip of `entries` ({name: text}), stored (no compression). */
function storedZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(centrals.length / 2, 8); end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

test('bad files: not a zip, and Markdown with <script>, each show the message and nothing runs', { timeout: 120000 }, async () => {
  const instructions = '# Hello\n\n<script>window.pwned = true</script>\n';
  const manifest = {
    idlab_assignment: 1, title: 'Bad', course: 'Test', author: 'Test', instructions: 'instructions.md',
    steps: [{ id: 'q-1', kind: 'text', prompt: 'Why?' }],
    files: [{ path: 'instructions.md', sha256: crypto.createHash('sha256').update(instructions).digest('hex'), bytes: Buffer.byteLength(instructions) }],
  };
  const cases = [
    { name: 'notes.idlab.zip', buffer: Buffer.from('these are my notes, not a zip'), message: /not an idlab assignment/i },
    { name: 'script.idlab.zip', buffer: storedZip({ 'assignment.json': JSON.stringify(manifest), 'instructions.md': instructions }), message: /instructions\.md/ },
  ];
  const { page, context } = await openPage(env.browser, `${env.server.url}assignment.html`);
  try {
    assert.equal((await opened(page)).state, 'empty');
    for (const c of cases) {
      await page.locator('#assignment-file').setInputFiles({ name: c.name, mimeType: 'application/zip', buffer: c.buffer });
      await page.waitForFunction(() => window.idlabAssignment.state === 'refused', null, { timeout: 30000 });
      const text = await page.locator('#open-error').textContent();
      assert.ok(await page.locator('#open-error').isVisible(), `${c.name}: the message is shown`);
      assert.match(text, c.message, `${c.name}: ${text}`);
      assert.ok(text.includes(c.name), `${c.name}: the message names the file: ${text}`);
      assert.equal(await page.locator('#student').isVisible(), false, 'no step is shown');
      assert.equal(await page.evaluate(() => window.pwned), undefined);
      assert.equal(await page.evaluate(() => window.idlabAssignment.runsStarted), 0);
      await page.evaluate(() => { window.idlabAssignment.state = 'waiting'; });
    }
  } finally {
    await context.close();
  }
});
