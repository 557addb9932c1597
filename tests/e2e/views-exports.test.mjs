// The result's downloads as the page's buttons give them (www/export.js): the JSON as it came,
// and the CSV and the report, which are the core's (crate/src/experiment/output/, asked through
// the worker: the bytes `idlab run` writes), on the hand-written results of tests/fixtures/results/.
// Needs the wasm build in dist/pkg/ (./build.sh); views-site.mjs serves it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { outDir } from './helpers.mjs';
import { FIXTURE, ONE_BY_ONE, SCORES_ONLY, readFixture, useViewsPage } from './views-site.mjs';

const env = useViewsPage();

/** RFC 4180 parser: rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

test('tidy CSV: one row per cell and per subject, RFC 4180 quoting', async () => {
  const csv = await env.page.evaluate(() => window.core('tidy_csv', window.result));
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], ['metric', 'source', 'source_layer', 'target', 'target_layer', 'subject', 'value', 'p_value', 'stimuli']);
  // CKA cells: 3x3 + 4x3 + 3x4 + 4x4 = 49; RSA cells: 3 + 4 = 7, each with 4 subject rows.
  assert.equal(rows.length - 1, 49 + 7 + 7 * 4);
  assert.ok(rows.every((r) => r.length === 9), 'nine fields in every row');
  assert.ok(rows.slice(1).every((r) => r[8] === 'kriegeskorte92'), 'the stimulus set on every row');
  assert.ok(csv.includes('"human IT, ""fMRI"""'), 'the label with a comma and quotes is quoted');
  const it = rows.filter((r) => r[3] === 'human IT, "fMRI"');
  assert.equal(it.length, 35, 'the quoted field survives a round trip');
  assert.deepEqual(it[0], ['rsa', 'alexnet seed 0', 'features.2', 'human IT, "fMRI"', 'human IT', '', '0.11', '0.03', 'kriegeskorte92']);
  assert.deepEqual(it[1], ['rsa', 'alexnet seed 0', 'features.2', 'human IT, "fMRI"', 'human IT', 'BE', '0.1', '', 'kriegeskorte92']);
  const nul = rows.find((r) => r[1] === 'vgg11 seed 0' && r[2] === 'features.10' && r[3] === 'alexnet seed 1' && r[4] === 'features.5');
  assert.deepEqual(nul, ['cka', 'vgg11 seed 0', 'features.10', 'alexnet seed 1', 'features.5', '', '', '', 'kriegeskorte92'], 'null: an empty value');
  const [dl] = await Promise.all([env.page.waitForEvent('download'), env.page.click('#exports button[data-export="csv"]')]);
  assert.match(dl.suggestedFilename(), /\.csv$/);
  assert.equal(fs.readFileSync(await dl.path(), 'utf8'), csv, 'the CSV button downloads the same text');
});

test('the report names the run, every input\'s sha256, the timings and the verdicts', async () => {
  const report = await env.page.evaluate(() => window.core('report_text', window.result));
  fs.writeFileSync(path.join(outDir('views'), 'identify-small-report.txt'), report);
  assert.ok(report.startsWith(FIXTURE.spec.name));
  assert.ok(report.includes(FIXTURE.spec.figure));
  assert.match(report, /idlab 0\.1\.0 \(threads build\)/);
  assert.match(report, /Stimuli: 4/);
  for (const m of FIXTURE.models) assert.ok(report.includes(m.label), `model ${m.label}`);
  assert.match(report, /rsa \(RSA\): rdm_distance = correlation, compare = spearman, permutations = 1000/);
  for (const input of FIXTURE.inputs) {
    assert.ok(report.includes(input.sha256), `sha256 of ${input.name}`);
    assert.ok(report.includes(input.name));
  }
  assert.match(report, /Total time: 12\.3 s/);
  assert.match(report, /4\.6 s {2}recording: vgg11 seed 0/, 'the slowest step first');
  assert.ok(report.includes('The correct architecture (alexnet) won at 2 of 3 target layers; it lost at classifier.1'));
  assert.ok(report.includes('The correct architecture (vgg11) won at 4 of 4 target layers.'));
  const labels = await env.page.locator('#exports button').allTextContents();
  assert.deepEqual(labels, ['Download JSON', 'Download CSV', 'Download report']);
  const [dl] = await Promise.all([env.page.waitForEvent('download'), env.page.click('#exports button[data-export="json"]')]);
  assert.deepEqual(JSON.parse(fs.readFileSync(await dl.path(), 'utf8')), FIXTURE);
});

test('a result with one undefined score, one with no analyses, one with specificity', async () => {
  const out = await env.page.evaluate(async ([one, plain]) => (
    { csv: await window.core('tidy_csv', one), report: await window.core('report_text', plain) }
  ), [ONE_BY_ONE, SCORES_ONLY]);
  assert.equal(out.csv, 'metric,source,source_layer,target,target_layer,subject,value,p_value,stimuli\r\ncka,a,fc,b,fc,,,,kriegeskorte92\r\n');
  assert.doesNotMatch(out.report, /Identifiability/);
  const report = await env.page.evaluate((result) => window.core('report_text', result), readFixture('specificity-small'));
  assert.match(report, /Predictivity vs specificity \(same-layer held-out R²; same-layer identification rate; silhouette by layer\):\n  \S+ \(without noise; (higher|lower) is better\): R² \S+.*; identification [0-9.]+ \(\d+ of \d+\); silhouette /);
  assert.deepEqual(env.problems, []);
});
