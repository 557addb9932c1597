// Permalinks: the spec lives in the URL fragment. Editing the form rewrites
// the address; opening that address in a fresh page gives the same spec back
// (form and JSON), and a run from it carries that spec. A broken fragment is
// reported and the default experiment shown; a version 1 spec is upgraded by the core.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, browserAndServer, openPage, waitReady, openFormReady, visibleError, waitForResult, DEFAULT_SPEC, settled,
} from './helpers.mjs';

/** Opens `url` as given (fragment and all) and waits for the worker and the model form. */
async function openAt(url) {
  const opened = await openPage(env.browser, url);
  await waitReady(opened.page);
  await opened.page.waitForSelector('#target-arch:not([disabled])', { timeout: 30000 });
  return opened;
}

const env = browserAndServer();

test('a permalink reproduces the spec and its run', { timeout: 6 * 60 * 1000 }, async () => {
  let link;
  let spec;
  {
    const { page, context, problems } = await openFormReady(env.browser, env.server.url);
    try {
      await page.selectOption('#target-arch', 'resnet18');
      await page.fill('#target-seed', '5');
      await page.fill('#images', '4');
      spec = JSON.parse(await page.inputValue('#spec'));
      assert.deepEqual(spec.targets[0], { arch: 'resnet18', seed: 5 });
      link = page.url();
      assert.match(link, /#spec=/, `the address carries the spec: ${link}`);
      const fromUrl = JSON.parse(decodeURIComponent(new URL(link).hash.slice('#spec='.length)));
      assert.deepEqual(fromUrl, spec, 'the fragment is the spec shown');
      assert.equal(await page.getAttribute('#permalink', 'href'), link, 'the link anchor points at it');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  // A new page from the link: same spec, same form, and a run that carries it.
  const { page, context, problems } = await openAt(link.replace('?autorun=0', ''));
  try {
    assert.deepEqual(JSON.parse(await page.inputValue('#spec')), spec, 'the spec comes back from the link');
    assert.equal(await page.inputValue('#target-arch'), 'resnet18');
    assert.equal(await page.inputValue('#target-seed'), '5');
    assert.equal(await page.inputValue('#images'), '4');
    const result = await waitForResult(page); // the link autoruns, as the default page does
    assert.deepEqual(result.spec, spec, 'the result carries the linked spec');
    assert.equal(result.n_stimuli, 4);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a broken permalink is reported and the default experiment shown', { timeout: 3 * 60 * 1000 }, async () => {
  const { page, context } = await openAt(`${env.server.url}?autorun=0#spec=%7B%22idlab%22%3A`);
  try {
    const shown = await visibleError(page);
    assert.match(shown, /The link's spec could not be read/, `#error: ${shown}`);
    assert.deepEqual(JSON.parse(await page.inputValue('#spec')), DEFAULT_SPEC);
  } finally {
    await context.close();
  }
});

test('a version 1 spec in a link is read as the core upgrades it', { timeout: 3 * 60 * 1000 }, async () => {
  const v1 = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/session-alexnet-6.spec.json'), 'utf8'));
  const { page, context, problems } = await openAt(`${env.server.url}?autorun=0#spec=${encodeURIComponent(JSON.stringify(v1))}`);
  try {
    await settled(page);
    const shown = JSON.parse(await page.inputValue('#spec'));
    const { source, target, metric, ...rest } = v1;
    assert.deepEqual(shown, { ...rest, idlab: 2, sources: [source], targets: [target], metrics: [{ name: metric }] });
    assert.deepEqual(Object.keys(shown), ['idlab', 'name', 'stimuli', 'sources', 'targets', 'metrics'], 'in the presets\' order');
    assert.deepEqual(await page.evaluate((s) => window.idlab.core('upgrade_spec', s), v1), shown, "the core's upgrade");
    assert.equal(await page.inputValue('#images'), '6');
    assert.equal(await page.inputValue('#target-seed'), '1');
    // A version 1 spec typed in the JSON box is read too; the box keeps the text as typed.
    const typed = JSON.stringify({ ...v1, target: { arch: 'alexnet', seed: 3 } }, null, 2);
    await page.$eval('details.spec', (d) => { d.open = true; });
    await page.fill('#spec', typed);
    await page.waitForFunction(() => document.getElementById('target-seed').value === '3');
    assert.equal(await page.inputValue('#spec'), typed);
    assert.equal(await visibleError(page), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
