// The page's handling of specs (www/spec.js), in node: a version 1 spec is
// read as version 2, exactly as the core reads it; the form's one-pair view
// round-trips; many-model specs have no form view.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.mjs';
import { upgradeSpec, formView, fromFormView, specModels, specDataFiles } from '../../www/spec.js';

const preset = (f) => JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', f), 'utf8'));

test('a version 1 spec is upgraded as the core upgrades it', () => {
  const v1 = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/session-alexnet-6.spec.json'), 'utf8'));
  assert.equal(v1.idlab, 1);
  const v2 = upgradeSpec(v1);
  assert.equal(v2.idlab, 2);
  assert.deepEqual(v2.sources, [v1.source]);
  assert.deepEqual(v2.targets, [v1.target]);
  assert.deepEqual(v2.metrics, [{ name: v1.metric }]);
  for (const k of ['source', 'target', 'metric']) assert.ok(!(k in v2), `${k} is gone`);
  const v2preset = preset('alexnet-seeds-cka.json');
  assert.equal(upgradeSpec(v2preset), v2preset, 'version 2 is left alone');
});

test('the form view of a one-pair spec round-trips', () => {
  const spec = preset('alexnet-seeds-cka.json');
  const view = formView(spec);
  assert.deepEqual(view.source, spec.sources[0]);
  assert.equal(view.metric, 'cka');
  assert.deepEqual(fromFormView(view), spec);
  const withParams = { ...spec, metrics: [{ name: 'regression', params: { folds: 3 } }] };
  assert.deepEqual(fromFormView(formView(withParams)), withParams);
});

test('many models, data targets: no form view; models and data files listed', () => {
  const p1 = preset('identify-architecture.json');
  assert.equal(formView(p1), null);
  assert.equal(specModels(p1).length, 10);
  const p5 = preset('random-alexnet-vs-it.json');
  assert.equal(formView(p5), null);
  assert.deepEqual(specModels(p5).map((m) => m.role), ['source', 'source', 'source']);
  const mine = { ...p5, targets: [{ responses: 'v4.npy' }, { rdms: 'it.mat', key: 'rdm' }] };
  assert.deepEqual(specDataFiles(mine), ['v4.npy', 'it.mat']);
});

test('every preset fits in a tab at full size, by the page\'s own memory check', async () => {
  const { parseZoo, preflightModels, specImages } = await import('../../www/zoo.js');
  const models = parseZoo(JSON.parse(fs.readFileSync(path.join(ROOT, 'models/zoo.json'), 'utf8')));
  const index = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets/index.json'), 'utf8'));
  for (const { file } of index.presets) {
    const spec = preset(file);
    if (specImages(spec) === undefined) continue; // an upload: its size is the user's
    assert.equal(preflightModels(spec, specModels(spec), models), null, `${file} is refused by the page`);
  }
  // The check does refuse: VGG11 with every layer on 92 images does not fit.
  const p1 = preset('identify-architecture.json');
  p1.sources = [{ arch: 'vgg11', seed: 0 }];
  assert.match(preflightModels(p1, specModels(p1), models), /Not run \(source vgg11\): vgg11 will not fit in this tab/);
});
