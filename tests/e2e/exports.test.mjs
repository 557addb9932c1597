// Activations and RDMs for download: the page's checkbox sets spec.export (and
// so the permalink), the memory estimate counts what it keeps, and after the
// run "Download activations and RDMs (.zip)" gives the files `idlab run`
// writes for the same spec: the same names in the same order, the manifest and
// every .npy header byte for byte, and the numbers to float32 rounding (tract's
// native and wasm kernels round differently, so about half the activations
// differ in their last bits; measured: at most 1.5e-6 of the array's largest
// value, RDMs within 5e-8).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { unzip, npy } from './zip-npy.mjs';
import {
  browserAndServer, openFormReady, openPage, waitReady, visibleError, waitForResult, runNativeResult, outDir, writeJson, settled,
} from './helpers.mjs';

const env = browserAndServer();


/** The files under `dir` (relative, '/'-separated). */
function filesUnder(dir, rel = '') {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    const r = rel ? `${rel}/${d.name}` : d.name;
    return d.isDirectory() ? filesUnder(dir, r) : [r];
  });
}

test('the checkbox keeps activations and RDMs, and the page downloads the CLI\'s files', { timeout: 10 * 60 * 1000 }, async () => {
  const spec = {
    idlab: 2,
    name: 'AlexNet seed 0 vs seed 1, two layers, with the export',
    stimuli: { set: 'kriegeskorte92', limit: 8 },
    sources: [{ arch: 'alexnet', seed: 0 }],
    targets: [{ arch: 'alexnet', seed: 1 }],
    layers: ['features.2', 'classifier.4'],
    metrics: [{ name: 'cka' }],
  };
  const dir = outDir('exports');
  let link;
  const { page, context, problems } = await openFormReady(env.browser, env.server.url);
  try {
    await page.$eval('details.spec', (d) => { d.open = true; });
    await page.fill('#spec', JSON.stringify(spec, null, 2));
    assert.equal(await page.isChecked('#keep-exports'), false, 'off for a spec without export');
    await settled(page); // the memory is the core's estimate, shown once it answers
    const before = await page.getAttribute('#source-memory', 'title');
    await page.check('#keep-exports');
    await settled(page);
    const withExport = JSON.parse(await page.inputValue('#spec'));
    assert.deepEqual(withExport.export, { activations: true, rdms: true }, 'the checkbox sets spec.export');
    link = page.url();
    assert.deepEqual(JSON.parse(decodeURIComponent(new URL(link).hash.slice('#spec='.length))).export, withExport.export, 'and the permalink carries it');
    const after = await page.getAttribute('#source-memory', 'title');
    assert.doesNotMatch(before, /kept for download/);
    assert.match(after, /kept for download/, `the memory estimate counts the kept activations: ${after}`);

    await page.click('#run');
    const result = await waitForResult(page, 6 * 60 * 1000);
    assert.deepEqual(result.spec.export, { activations: true, rdms: true });
    const button = page.locator('#exports button[data-export="npy"]');
    assert.equal(await button.textContent(), 'Download activations and RDMs (.zip)');
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    assert.match(download.suggestedFilename(), /\.zip$/);
    await page.screenshot({ path: path.join(dir, 'page.png'), fullPage: true });
    const zipFile = path.join(dir, 'page-exports.zip');
    await download.saveAs(zipFile);
    assert.equal(await visibleError(page), null);
    assert.deepEqual(problems, []);

    const specFile = path.join(dir, 'spec.json');
    writeJson(specFile, withExport);
    const cliDir = path.join(dir, 'native');
    await runNativeResult(specFile, cliDir);
    const entries = unzip(fs.readFileSync(zipFile));
    const names = entries.map(([n]) => n);
    const manifest = JSON.parse(fs.readFileSync(path.join(cliDir, 'exports.json'), 'utf8'));
    assert.deepEqual(names, [...manifest.files.map((f) => f.path), 'exports.json'], 'the zip holds the listed files, in order');
    assert.equal(names.length, 2 * 2 * 2 + 1, 'activations and RDMs of two layers of two models, and the manifest');
    const written = filesUnder(cliDir).filter((f) => f.startsWith('activations/') || f.startsWith('rdms/') || f === 'exports.json');
    assert.deepEqual([...written].sort(), [...names].sort(), 'the CLI wrote the same files');
    for (const [name, bytes] of entries) {
      const cli = fs.readFileSync(path.join(cliDir, name));
      assert.equal(bytes.length, cli.length, `${name}: sizes`);
      if (!name.endsWith('.npy')) {
        assert.ok(bytes.equals(cli), `${name}: the page's bytes equal the CLI's`);
        continue;
      }
      const a = npy(bytes, name);
      const b = npy(cli, name);
      assert.ok(a.header.equals(b.header), `${name}: the same .npy header`);
      let scale = 0;
      let diff = 0;
      let same = 0;
      b.values.forEach((v, k) => {
        scale = Math.max(scale, Math.abs(v));
        diff = Math.max(diff, Math.abs(v - a.values[k]));
        if (v === a.values[k]) same += 1;
      });
      const tol = name.startsWith('rdms/') ? 1e-6 : 1e-5 * scale;
      console.log(`${name}: ${same} of ${b.values.length} values identical, max |page - CLI| = ${diff.toExponential(2)} (largest |value| ${scale.toExponential(2)})`);
      assert.ok(diff <= tol, `${name}: max |page - CLI| = ${diff} > ${tol}`);
    }
  } finally {
    await context.close();
  }

  // The permalink opens with the box checked.
  const opened = await openPage(env.browser, link);
  try {
    await waitReady(opened.page);
    await opened.page.waitForSelector('#target-arch:not([disabled])', { timeout: 30000 });
    assert.equal(await opened.page.isChecked('#keep-exports'), true);
    assert.deepEqual(opened.problems, []);
  } finally {
    await opened.context.close();
  }
});
