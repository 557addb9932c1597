// Pruning (seed 002): when sources are one model (architecture and seed) at several
// sparsities, each metric's score against each target over sparsity, one line per source layer.

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

function pruningViews(container, result, get, base) {
  const models = result.models ?? [];
  const sources = models.filter((m) => m.role === 'source' && m.kind === 'zoo');
  const families = new Map();
  for (const m of sources) {
    const key = `${m.arch}|${m.seed}`;
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
      const layers = layerNames(family[0], first.values.length);
      for (let j = 0; j < cols; j++) {
        const where = cols > 1 ? `${modelLabel(tgt)} ${layerNames(tgt, cols)[j]}` : modelLabel(tgt);
        const series = layers.map((layer, i) => ({
          name: layer,
          x,
          y: ids.map((id) => scores.find((sc) => sc.source === id)?.values[i]?.[j] ?? null),
        }));
        const gd = lines(sec, {
          x,
          xtype: 'linear',
          series,
          title: `${sentence(metric)} against ${where} as ${family[0].arch} seed ${family[0].seed} is pruned${setSuffix(result, first)}`,
          xtitle: 'sparsity (% of each weight tensor pruned)',
          ytitle: metric,
          hover: metric,
          caption: `${sentence(metric)} of each layer of ${family[0].arch} seed ${family[0].seed} against ${where}, with ` +
            `${x.map((v) => `${v}%`).join(', ')} of every conv and linear weight tensor set to zero (smallest |w| first, ` +
            'layer by layer). Flat lines: pruning leaves the layer\'s predictivity intact.' +
            (first.better === 'lower' ? ` ${sentence(metric)} is a distance: lower is better.` : ''),
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
