// Pruning: when sources are one model (architecture and seed, or the same trained weights) at
// several sparsities, each metric's score against each target over sparsity, one line per source
// layer; for the NRP (whose value is the MLP's mean absolute error), the ridge baseline's error
// per layer beside it (lines named "MLP" and "ridge").

import { layerNames, metricName, modelLabel, modelsById, sentence } from '../format.js';
import { lines } from './plot.js';
import { section, setSuffix, fileBase } from './sections.js';

/**
 * Draws the scores of `result` (a result document, spec.idlab == 2) over sparsity for every
 * zoo source pruned at more than one level, into a "Pruning" section of `container`; returns the
 * plot divs (none when nothing was pruned; wait for them with rendered()). options.base: the
 * start of the download names (default: from the spec's name).
 */
export function renderPruning(container, result, { base = fileBase(result) } = {}) {
  return pruningViews(container, result, modelsById(result), base);
}

/** A pruned family's name: its first model's label without the ", N% pruned" the run adds. */
function familyName(m) {
  const label = String(m.label ?? '');
  const cut = label.lastIndexOf(', ');
  if (cut > 0 && label.endsWith('% pruned')) return label.slice(0, cut);
  return m.weights ? `${m.arch} (trained)` : `${m.arch} seed ${m.seed}`;
}

function pruningViews(container, result, get, base) {
  const models = result.models ?? [];
  const sources = models.filter((m) => m.role === 'source' && m.kind === 'zoo');
  const families = new Map();
  for (const m of sources) {
    const key = `${m.arch}|${m.weights ? `weights ${m.weights.sha256 ?? m.weights.name}` : `seed ${m.seed}`}`;
    if (!families.has(key)) families.set(key, []);
    families.get(key).push(m);
  }
  const pruned = [...families.values()].filter((f) => new Set(f.map((m) => m.prune ?? 0)).size > 1);
  if (!pruned.length) return [];
  const sec = section(container, 'Pruning: scores over sparsity', 'idlab-pruning');
  const plots = [];
  for (const family of pruned) {
    family.sort((a, b) => (a.prune ?? 0) - (b.prune ?? 0));
    const ids = family.map((m) => m.id);
    const x = family.map((m) => Math.round((m.prune ?? 0) * 1000) / 10);
    const groups = new Map();
    for (const sc of result.scores ?? []) {
      if (!ids.includes(sc.source)) continue;
      const key = `${sc.metric}|${sc.target}|${sc.set ?? ''}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(sc);
    }
    for (const scores of groups.values()) {
      const first = scores[0];
      const tgt = get(first.target);
      const cols = first.values[0]?.length ?? 0;
      const metric = metricName(first.metric);
      // The NRP's value is an error (lower is better) even where an older result says otherwise.
      const lower = first.better === 'lower' || first.metric === 'nrp';
      const ytitle = first.metric === 'nrp' ? 'held-out mean absolute error' : metric;
      const layers = layerNames(family[0], first.values.length);
      for (let j = 0; j < cols; j++) {
        const where = cols > 1 ? `${modelLabel(tgt)} ${layerNames(tgt, cols)[j]}` : modelLabel(tgt);
        const series = layers.map((layer, i) => ({
          name: first.metric === 'nrp' ? `${layer} MLP` : layer,
          x,
          y: ids.map((id) => scores.find((sc) => sc.source === id)?.values[i]?.[j] ?? null),
        }));
        // The NRP's ridge baseline, per layer (its own lines: compare each with the MLP's).
        const ridge = first.metric === 'nrp' && scores.every((sc) => sc.detail?.ridge_mae);
        if (ridge) {
          layers.forEach((layer, i) => series.push({
            name: `${layer} ridge`,
            x,
            y: ids.map((id) => scores.find((sc) => sc.source === id)?.detail.ridge_mae[i]?.[j] ?? null),
          }));
        }
        const name = familyName(family[0]);
        const gd = lines(sec, {
          x,
          xtype: 'linear',
          series,
          title: `${sentence(metric)} against ${where} as ${name} is pruned${setSuffix(result, first)}`,
          xtitle: 'sparsity (% of each weight tensor pruned)',
          ytitle,
          hover: ytitle,
          caption: `${sentence(metric)} of each layer of ${name} against ${where}, with ` +
            `${x.map((v) => `${v}%`).join(', ')} of every conv and linear weight tensor set to zero (smallest |w| first, ` +
            'layer by layer, no retraining). Flat lines: pruning leaves the layer\'s score unchanged.' +
            (first.metric === 'nrp'
              ? ` The value is the MLP's held-out mean absolute error${ridge ? ' (lines "MLP"), beside the ridge baseline\'s on the same splits (lines "ridge")' : ''}: lower is better.`
              : (lower ? ` ${sentence(metric)} is a distance: lower is better.` : '')),
          filename: `${base}-${first.metric}-${first.target}-${j}-pruning`,
          kind: 'pruning',
        });
        gd.dataset.metric = first.metric;
        gd.dataset.target = first.target;
        plots.push(gd);
      }
    }
  }
  return plots;
}
