// Predictivity vs specificity (a metric over a population of seeds): per entry of
// result.specificity, a summary line, the same-layer predictivity per target layer (and over all
// layers) as bars, and an MDS of the population's layers coloured by layer, its silhouette in the title.

import { esc, formatValue, isNum, metricName, sentence, slug } from '../format.js';
import { bars, mdsScatter } from './plot.js';
import { section, setSuffix, fileBase } from './sections.js';

/**
 * Draws every entry of `result.specificity` (a result document, spec.idlab == 2) into a
 * "Predictivity vs specificity" section of `container`; returns the plot divs (wait for them with
 * rendered()). options.base: the start of the download names (default: from the spec's name).
 */
export function renderSpecificity(container, result, { base = fileBase(result) } = {}) {
  const spec = result.specificity ?? [];
  const plots = [];
  if (!spec.length) return plots;
  const sec = section(container, 'Predictivity vs specificity', 'idlab-specificity');
  for (const entry of spec) plots.push(...specificityViews(sec, entry, base, setSuffix(result, entry)));
  return plots;
}

/**
 * One line about a specificity entry: "RSA (without noise): same-layer predictivity 0.8889 (16 of
 * 18 target layers of another seed); silhouette by layer 0.4392."
 */
export function specificitySummary(entry) {
  const sl = entry.same_layer ?? {};
  const metric = metricName(entry.metric);
  let text = `${sentence(metric)} (${entry.targets}): same-layer predictivity ${formatValue(sl.fraction)}` +
    ` (the best layer of another seed had the target layer's name in ${sl.hits ?? 0} of ${sl.cases ?? 0} cases)`;
  if (isNum(sl.same_mean) && isNum(sl.other_mean)) {
    text += `; mean ${metric} of the same layer ${formatValue(sl.same_mean)}, of other layers ${formatValue(sl.other_mean)}` +
      (entry.better === 'lower' ? ' (a distance: lower is more similar)' : '');
  }
  const pop = entry.population;
  if (pop) text += `; silhouette by layer ${formatValue(pop.silhouette)}`;
  return `${text}.`;
}

/** Per specificity entry: same-layer predictivity bars per target layer (and overall), the MDS scatter by layer. */
function specificityViews(container, entry, base, suffix = '') {
  const metric = metricName(entry.metric);
  const group = `${entry.targets ?? ''}${suffix}`;
  const p = document.createElement('p');
  p.className = 'idlab-verdict idlab-specificity-summary';
  p.textContent = specificitySummary(entry);
  container.append(p);
  const sl = entry.same_layer ?? { layers: [] };
  const layers = sl.layers ?? [];
  const x = [...layers.map((l) => l.layer), 'all layers'];
  const rows = [...layers, sl];
  const mean = (v) => (isNum(v) ? formatValue(v) : 'undefined');
  const gds = [];
  const b = bars(container, {
    x,
    y: rows.map((r) => r.fraction),
    highlight: [x.length - 1],
    title: `${sentence(metric)} (${group}): same-layer predictivity`,
    xtitle: 'target layer',
    ytitle: 'fraction best at the same layer',
    yrange: [0, 1.05],
    customdata: rows.map((r) => [r.hits ?? 0, r.cases ?? 0, mean(r.same_mean), mean(r.other_mean)]),
    customHover: `%{x}<br>same layer best: %{y:.4f} (%{customdata[0]} of %{customdata[1]})` +
      `<br>mean ${esc(metric)}, same layer: %{customdata[2]}<br>mean ${esc(metric)}, other layers: %{customdata[3]}<extra></extra>`,
    caption: `For every pair of different seeds (${(entry.pairs ?? []).length} pairs) and every target layer: how often the ` +
      `source layer that matched it best (${entry.better === 'lower' ? 'the smallest distance' : 'the highest score'}) ` +
      `has the same name, per target layer and over all layers (blue). Hover a bar for the mean ${metric} of the same ` +
      'layer and of the other layers.',
    filename: `${base}-${entry.metric}-${slug(group)}-same-layer`,
    kind: 'specificity-bars',
  });
  b.dataset.metric = entry.metric;
  b.dataset.targets = group;
  gds.push(b);
  const pop = entry.population;
  if (pop) {
    const sil = isNum(pop.silhouette) ? formatValue(pop.silhouette) : 'undefined';
    const m = mdsScatter(
      container,
      pop.mds,
      pop.points.map((pt) => `${pt.label}: ${pt.layer}`),
      pop.points.map((pt) => pt.layer),
      `${sentence(metric)} (${group}): MDS by layer, silhouette ${sil}`,
      {
        caption: `Every (seed, layer) representation, placed by classical MDS of the dissimilarities ` +
          `(${entry.better === 'lower' ? 'the distance' : `1 - ${metric}`}, mean of both directions; the two axes keep ` +
          `${formatValue(pop.mds_explained * 100, 1)}% of the positive eigenvalues) and coloured by layer. The silhouette ` +
          `(-1 to 1) is high when a layer's copies in different seeds are closer to each other than to other layers: ` +
          `the metric is specific. Per layer: ${(pop.silhouette_per_layer ?? []).map((l) => `${l.layer} ${formatValue(l.value)}`).join(', ')}.`,
        filename: `${base}-${entry.metric}-${slug(group)}-mds`,
      },
    );
    m.dataset.metric = entry.metric;
    m.dataset.targets = group;
    gds.push(m);
  }
  return gds;
}
