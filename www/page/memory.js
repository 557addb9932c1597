// The memory estimate next to each model of the form, and the check Run makes before the
// worker hears of a spec: a model too big for the tab, or two models that take different
// input sizes (the numbers come from zoo.js).

import { SIDES, sideUi, setFormNote } from './dom.js';
import { state, zooEntry } from './state.js';
import { userEntries } from './onnx.js';
import { formView, specModels } from '../spec.js';
import {
  MIN_IMAGES, estimateMemory, checkFits, describeEstimate, memoryLimit, preflight, preflightModels,
  specImages, sameInput, maxImages, exportBytes,
} from '../zoo.js';
import { formatBytes } from '../format.js';

/** "about 1.1 GB while it loads" next to each model, and a warning for a spec Run would refuse. */
export function updateMemory(full) {
  const spec = formView(full);
  if (!spec) {
    for (const side of SIDES) sideUi(side).memory.textContent = '';
    setFormNote(state.zooModels ? specPreflight(full) || '' : state.zooError || '', 'warn');
    return;
  }
  const images = specImages(spec);
  const users = userEntries(spec);
  const kept = keptBytes(spec, users);
  for (const side of SIDES) {
    const s = sideUi(side);
    const m = spec[side] && typeof spec[side] === 'object' ? spec[side] : {};
    const arch = m.arch;
    const user = typeof m.onnx === 'string';
    const entry = user ? users[side] : zooEntry(arch);
    const layerNames = user ? m.layers : spec.layers;
    s.memory.classList.remove('too-big');
    s.memory.removeAttribute('title');
    if (user && !entry) {
      s.memory.textContent = `Choose the file ${m.onnx} to see its memory estimate.`;
    } else if (user && images !== undefined) {
      const estimate = estimateMemory(entry, images, layerNames, kept);
      const fits = checkFits(estimate, undefined, entry, layerNames);
      s.memory.textContent = `about ${formatBytes(estimate.total)} while it loads` +
        (fits.fits ? '' : ` — too much for this tab (at most ${formatBytes(fits.limit)})`);
      s.memory.title = `the file's ${formatBytes(entry.fileSize)} × 2, + ${formatBytes(estimate.activations)} of activations ` +
        `(${estimate.layers} layers × ${estimate.images} images × 4 bytes), ` +
        (kept > 0 ? `+ ${formatBytes(kept)} kept for download, ` : '') + `+ ${formatBytes(estimate.base)} base`;
      s.memory.classList.toggle('too-big', !fits.fits);
    } else if (!state.zooModels) {
      s.memory.textContent = '';
    } else if (!entry) {
      s.memory.textContent = arch ? `${arch} is not in the zoo list: its memory is unknown.` : '';
    } else if (images === undefined) {
      s.memory.textContent = 'Memory unknown for this stimulus set.';
    } else {
      const estimate = estimateMemory(entry, images, spec.layers, kept);
      const fits = checkFits(estimate, undefined, entry, spec.layers);
      s.memory.textContent = `about ${formatBytes(estimate.total)} while it loads` +
        (fits.fits ? '' : ` — too much for this tab (at most ${formatBytes(fits.limit)})`);
      s.memory.title = `${describeEstimate(estimate)} = ${formatBytes(estimate.total)}`;
      s.memory.classList.toggle('too-big', !fits.fits);
    }
  }
  setFormNote(state.zooModels ? formWarning(spec) : state.zooError || '', 'warn');
}

/** A short warning for a spec that Run would refuse ('' if none); #error gets the full numbers on Run. */
function formWarning(spec) {
  const refusal = preflight(spec, state.zooModels, undefined, userEntries(spec));
  if (!refusal) return '';
  if (['source', 'target'].some((side) => spec[side] && typeof spec[side].onnx === 'string')) return refusal;
  const source = zooEntry(spec.source && spec.source.arch);
  const target = zooEntry(spec.target && spec.target.arch);
  if (source && target && !sameInput(source, target)) {
    return `${source.arch} and ${target.arch} take different input sizes, so Run will refuse this pair.`;
  }
  const images = specImages(spec);
  const kept = keptBytes(spec, userEntries(spec));
  for (const entry of [source, target]) {
    if (!entry) continue;
    const check = checkFits(estimateMemory(entry, images, spec.layers, kept), undefined, entry, spec.layers);
    if (check.fits) continue;
    const most = maxImages(entry, check.limit, spec.layers);
    return `${entry.arch} needs more memory than this tab can use, so Run will refuse it. ` +
      (most >= MIN_IMAGES && most < images ? `It fits with at most ${most} images.` : 'Choose a smaller model.');
  }
  return refusal;
}

/**
 * The message Run would refuse a version 2 spec with, or null. The simple
 * shape goes through the form's check (user models included); otherwise the
 * zoo models must share one input size and each must fit in the tab.
 */
export function specPreflight(spec) {
  const view = formView(spec);
  if (view) return preflight(view, state.zooModels, undefined, userEntries(view));
  return preflightModels(spec, specModels(spec), state.zooModels, undefined, keptBytes(spec, {}));
}

/** Bytes the spec's export keeps in the tab (0 without one); `users` are the form view's user-model entries. */
function keptBytes(spec, users) {
  return exportBytes(spec, (m, side) => (typeof m.onnx === 'string' ? users[side] : zooEntry(m.arch)));
}

export function describeLimit() {
  const limit = memoryLimit();
  return `${formatBytes(limit.bytes)} (${limit.why})`;
}
