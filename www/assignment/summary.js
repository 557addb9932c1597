// One line about a spec (what it compares, with which metrics, on how many images) and the words
// for a run's progress: what a run step shows before and while it runs.

import { metricName, formatSeconds, STAGE_NAMES } from '../format.js';

function sideLabel(m) {
  if (!m || typeof m !== 'object') return 'a model';
  if (m.label) return m.label;
  if (m.arch) return `${m.arch}${m.seed !== undefined ? ` seed ${m.seed}` : ''}${m.weights ? ' (trained)' : ''}`;
  return m.dataset || m.responses || m.rdms || m.tflite || m.onnx || 'a model';
}

function sides(list) {
  const items = Array.isArray(list) ? list : [];
  return items.length > 3 ? `${items.length} models` : items.map(sideLabel).join(', ');
}

/** "Linear CKA: alexnet seed 0 against alexnet seed 1, on 8 images of kriegeskorte92." */
export function specSummary(spec) {
  const metrics = (Array.isArray(spec.metrics) ? spec.metrics : []).map((m) => metricName(m.name || m)).join(', ');
  const set = spec.stimuli && spec.stimuli.set ? ` of ${spec.stimuli.set}` : '';
  const n = spec.stimuli && spec.stimuli.limit ? `, on ${spec.stimuli.limit} images${set}` : set ? `, on the images${set}` : '';
  return `${metrics || 'No metric'}: ${sides(spec.sources)} against ${sides(spec.targets)}${n}.`;
}

/** A progress message as one line ("Recording activations: 4 / 8 images recorded, step 3 / 9"). */
export function progressText(p, elapsedSeconds) {
  const stage = STAGE_NAMES[p.stage] || p.stage || 'Working';
  let text = stage;
  if (p.label) text += ` (${p.label})`;
  if (p.stage === 'loading weights') return text;
  if (p.stage === 'loading stimuli') return `${text}: ${p.done} / ${p.total} images`;
  text += `: ${p.images_done} / ${p.images_total} images recorded, step ${p.done} / ${p.total}`;
  if (elapsedSeconds > 1) text += ` · ${formatSeconds(elapsedSeconds)} so far`;
  return text;
}
