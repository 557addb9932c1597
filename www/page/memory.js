// The memory line next to each model of the form, and the check Run makes before the worker
// hears of a spec: a model too big for the tab, or models that take different input sizes.
// The numbers are the core's (estimate_memory, asked through core.js); zoo.js words them.

import { SIDES, sideUi, setFormNote } from './dom.js';
import { state, userFiles, zooEntry } from './state.js';
import { userEntries } from './onnx.js';
import { memoryEstimate } from './core.js';
import { formView } from '../spec.js';
import { MIN_IMAGES, checkFits, describeEstimate, memoryLimit, inputRefusal } from '../zoo.js';
import { formatBytes } from '../format.js';

/** The core's ids of the form's two models (`s0`, `t0`: the first source and the first target). */
const SIDE_IDS = { source: 's0', target: 't0' };
const ROLES = { s: 'source', t: 'target' };

/**
 * "about 1.1 GB while it loads" next to each model of the form, and a warning for a spec Run
 * would refuse; `current()` says whether `full` is still the spec shown once the core answers.
 */
export async function showMemory(full, current) {
  const view = formView(full);
  let estimate = null;
  try {
    estimate = await memoryEstimate(full);
  } catch { /* the spec's error: the core says it on Run */ }
  const refusal = state.zooModels ? await refusalOf(full, estimate) : null;
  if (!current()) return;
  for (const side of SIDES) {
    const s = sideUi(side);
    s.memory.classList.remove('too-big');
    s.memory.removeAttribute('title');
    const m = view && view[side] && typeof view[side] === 'object' ? view[side] : null;
    const e = m && estimate ? estimate.models.find((x) => x.id === SIDE_IDS[side]) : undefined;
    if (m && typeof m.onnx === 'string' && !userFiles.has(m.onnx)) {
      s.memory.textContent = `Choose the file ${m.onnx} to see its memory estimate.`;
    } else if (!e) {
      s.memory.textContent = '';
    } else {
      const fits = checkFits(e);
      s.memory.textContent = `about ${formatBytes(e.total)} while it loads` +
        (fits.fits ? '' : ` — too much for this tab (at most ${formatBytes(fits.limit)})`);
      s.memory.title = `${describeEstimate(e)} = ${formatBytes(e.total)}`;
      s.memory.classList.toggle('too-big', !fits.fits);
    }
  }
  setFormNote(state.zooModels ? (refusal ? refusal.short : '') : state.zooError || '', 'warn');
}

/** The message Run would refuse a version 2 spec with, or null (also when the core cannot read it: it says why on Run). */
export async function specPreflight(spec) {
  let estimate = null;
  try {
    estimate = await memoryEstimate(spec);
  } catch { /* the core reports the spec's error when it runs */ }
  const refusal = await refusalOf(spec, estimate);
  return refusal ? refusal.message : null;
}

/** {message, short} of a spec Run would refuse, or null: models of different input sizes, or one too big for the tab. */
async function refusalOf(spec, estimate) {
  const view = formView(spec);
  const list = [...(Array.isArray(spec.sources) ? spec.sources : []), ...(Array.isArray(spec.targets) ? spec.targets : [])];
  const users = view ? userEntries(view) : {};
  const entries = view
    ? SIDES.map((side) => (typeof view[side]?.onnx === 'string' ? users[side] : zooEntry(view[side]?.arch))).filter(Boolean)
    : list.filter((m) => m && typeof m.arch === 'string').map((m) => zooEntry(m.arch)).filter(Boolean);
  const mixed = inputRefusal(entries);
  if (mixed) return { message: mixed, short: mixed };
  for (const e of estimate ? estimate.models : []) {
    if (checkFits(e).fits) continue;
    const most = await mostImages(spec, e.id);
    const check = checkFits(e, undefined, most);
    const role = ROLES[e.id[0]] ?? e.id;
    return {
      message: `Not run (${role} ${e.arch}): ${check.message}`,
      short: `${e.arch} needs more memory than this tab can use, so Run will refuse it. ` +
        (most >= MIN_IMAGES && most < e.images ? `It fits with at most ${most} images.` : 'Choose a smaller model.'),
    };
  }
  return null;
}

/**
 * The most images of the spec's set with which model `id` fits in the tab (the core's estimate,
 * searched over `stimuli.limit`); undefined for a spec over several sets or the user's images.
 */
async function mostImages(spec, id) {
  if (!spec.stimuli || spec.stimuli.set === 'upload' || Array.isArray(spec.more_stimuli)) return undefined;
  const limit = memoryLimit().bytes;
  const fits = async (n) => {
    const e = await memoryEstimate({ ...spec, stimuli: { ...spec.stimuli, limit: n } });
    return e.models.find((m) => m.id === id).total <= limit;
  };
  try {
    const all = (await memoryEstimate({ ...spec })).images;
    if (!(await fits(MIN_IMAGES))) return 0;
    let [lo, hi] = [MIN_IMAGES, all]; // fits(lo), and hi does not
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await fits(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  } catch {
    return undefined;
  }
}

export function describeLimit() {
  const limit = memoryLimit();
  return `${formatBytes(limit.bytes)} (${limit.why})`;
}
