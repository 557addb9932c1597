// The result values an author may ask about, as JSON Pointers with a label and the value this
// run found: the identifiability index per target layer, each score table's best value, the
// score of same-named layers, the noise ceilings, each stimulus set's mean index. Findings are sentences, not numbers.

import { pointerOf } from './pointer.js';
import { metricName } from '../format.js';

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function modelLabel(result, id) {
  const m = (result.models || []).find((x) => x.id === id);
  return m ? m.label || m.arch || id : id;
}

function layerName(result, id, i) {
  const m = (result.models || []).find((x) => x.id === id);
  return m && Array.isArray(m.layers) && m.layers[i] !== undefined ? m.layers[i] : `#${i + 1}`;
}

/** [{path, label, value, group}] of `result`'s useful numbers, in the order the views show them. */
export function resultPaths(result) {
  const out = [];
  (result.identifiability || []).forEach((entry, i) => {
    (entry.layers || []).forEach((layer, j) => {
      if (isNum(layer.index)) {
        out.push({
          group: 'Identifiability index',
          path: pointerOf(['identifiability', i, 'layers', j, 'index']),
          label: `${modelLabel(result, entry.target)} layer ${layer.layer} (${metricName(entry.metric)})`,
          value: layer.index,
        });
      }
    });
  });
  (result.by_stimuli || []).forEach((entry, i) => {
    if (isNum(entry.mean_index)) {
      out.push({
        group: 'Mean identifiability per stimulus set',
        path: pointerOf(['by_stimuli', i, 'mean_index']),
        label: `${entry.stimuli} (${metricName(entry.metric)}, ${modelLabel(result, entry.target)})`,
        value: entry.mean_index,
      });
    }
  });
  (result.scores || []).forEach((score, k) => {
    let best = null;
    (score.values || []).forEach((row, r) => (row || []).forEach((v, c) => {
      if (!isNum(v)) return;
      const better = score.better === 'lower' ? best === null || v < best.v : best === null || v > best.v;
      if (better) best = { v, r, c };
    }));
    if (!best) return;
    const set = score.set !== undefined && score.set !== null ? `, set ${score.set}` : '';
    out.push({
      group: 'Best score',
      path: pointerOf(['scores', k, 'values', best.r, best.c]),
      label: `${metricName(score.metric)}: ${modelLabel(result, score.source)} ${layerName(result, score.source, best.r)} vs ${modelLabel(result, score.target)} ${layerName(result, score.target, best.c)}${set}`,
      value: best.v,
    });
  });
  // Same-named layers of two models (two seeds of one architecture): the score of each pair.
  (result.scores || []).forEach((score, k) => {
    const source = (result.models || []).find((m) => m.id === score.source);
    const target = (result.models || []).find((m) => m.id === score.target);
    if (!source || !target || !Array.isArray(source.layers) || !Array.isArray(target.layers)) return;
    source.layers.forEach((layer, r) => {
      const c = target.layers.indexOf(layer);
      const v = c >= 0 ? score.values?.[r]?.[c] : undefined;
      if (!isNum(v)) return;
      out.push({
        group: 'Score of the same layer',
        path: pointerOf(['scores', k, 'values', r, c]),
        label: `${metricName(score.metric)}: ${layer}, ${modelLabel(result, score.source)} vs ${modelLabel(result, score.target)}`,
        value: v,
      });
    });
  });
  (result.noise_ceilings || []).forEach((ceiling, i) => {
    for (const bound of ['lower', 'upper']) {
      if (!isNum(ceiling[bound])) continue;
      out.push({
        group: 'Noise ceiling',
        path: pointerOf(['noise_ceilings', i, bound]),
        label: `${bound} bound, ${modelLabel(result, ceiling.target)} (${metricName(ceiling.metric)})`,
        value: ceiling[bound],
      });
    }
  });
  return out;
}
