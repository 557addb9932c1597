// What a preset's live figure shows on a paper page: the views (by the view modules' names)
// that draw what the spec computes, and the number of images that keeps a run in a tab short.

/** Per-metric names whose scores are fitted on held-out images (they need more images). */
const FITTED = new Set(['regression', 'soft-matching', 'nrp']);

/**
 * Model-images a paper page's figure may cost before it runs on fewer images: about what the
 * lab's default experiment costs (two models on 92 images) times 2.5.
 */
export const BUDGET = 480;

/** The models of a spec (zoo, ONNX and TFLite ones; not neural data). */
export function models(spec) {
  return [...(spec.sources || []), ...(spec.targets || [])]
    .filter((m) => m && (typeof m.arch === 'string' || typeof m.onnx === 'string' || typeof m.tflite === 'string'));
}

/**
 * The views that draw the spec's own analysis, most specific first (the lab draws every view a
 * result has; a page shows the one the paper's figure is about).
 */
export function viewsFor(spec) {
  const metrics = (spec.metrics || []).map((m) => m.name);
  if (Array.isArray(spec.more_stimuli) && spec.more_stimuli.length) return ['stimulus-sets'];
  if (spec.specificity) return ['specificity'];
  if (metrics.includes('nrp')) {
    const pruned = [...(spec.sources || []), ...(spec.targets || [])].some((m) => m && m.prune);
    return pruned ? ['mapping', 'pruning'] : ['mapping'];
  }
  if (spec.classes) return ['classes'];
  const rdmTargets = (spec.targets || []).some((t) => t && (typeof t.dataset === 'string' || typeof t.rdms === 'string'));
  if (rdmTargets && metrics.includes('rsa')) return ['rdm-bars'];
  if (identifiability(spec)) return ['identifiability'];
  return ['heatmaps'];
}

/** Model-as-brain identification: zoo targets whose architecture is among several source architectures. */
function identifiability(spec) {
  const sourceArchs = new Set((spec.sources || []).map((s) => s && s.arch).filter(Boolean));
  return sourceArchs.size > 1 && (spec.targets || []).some((t) => t && sourceArchs.has(t.arch));
}

/**
 * {images, of}: `images` the first-N limit for the page's figure (null: the full preset), `of`
 * the images the full preset runs on its first set. `setSize(name)` is a set's whole size.
 */
export function imagesFor(spec, setSize) {
  const stimuli = spec.stimuli || {};
  const whole = setSize(stimuli.set);
  const of = Number.isInteger(stimuli.limit) ? Math.min(stimuli.limit, whole) : whole;
  const more = (spec.more_stimuli || []).reduce((n, s) => n + (Number(s.count) || setSize(s.set)), 0);
  const n = Math.max(1, models(spec).length);
  if (n * (of + more) <= BUDGET) return { images: null, of };
  const floor = (spec.metrics || []).some((m) => FITTED.has(m.name)) ? 32 : 16;
  const fit = Math.floor((BUDGET / n - more) / 8) * 8;
  const images = Math.max(floor, fit);
  return images >= of ? { images: null, of } : { images, of };
}
