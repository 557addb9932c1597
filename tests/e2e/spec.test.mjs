// The page's form view of a spec (www/spec.js), in node: the one-pair view
// round-trips; many-model specs have no form view. What a spec needs and its
// upgrade from version 1 are the core's (asked through the worker: zoo.test.mjs,
// permalink.test.mjs; crate/src/experiment/spec/upgrade.rs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.mjs';
import { formView, fromFormView } from '../../www/spec.js';

const preset = (f) => JSON.parse(fs.readFileSync(path.join(ROOT, 'www/presets', f), 'utf8'));

test('the form view of a one-pair spec round-trips', () => {
  const spec = preset('alexnet-seeds-cka.json');
  const view = formView(spec);
  assert.deepEqual(view.source, spec.sources[0]);
  assert.equal(view.metric, 'cka');
  assert.deepEqual(fromFormView(view), spec);
  const withParams = { ...spec, metrics: [{ name: 'regression', params: { folds: 3 } }] };
  assert.deepEqual(fromFormView(formView(withParams)), withParams);
});

test('many models, data targets: no form view', () => {
  assert.equal(formView(preset('identify-architecture.json')), null);
  const p5 = preset('random-alexnet-vs-it.json');
  assert.equal(formView(p5), null);
  assert.equal(formView({ ...p5, targets: [{ responses: 'v4.npy' }] }), null);
});
