// Predictivity vs specificity (a metric over a population of seeds): per entry of
// result.specificity, a summary line; for a mapping (ridge, soft matching) its same-layer
// predictivity, the held-out R² per target layer (and over all layers), as bars; the same-layer
// identification rate (an extra: how often the best source layer has the target layer's name) as
// bars; and an MDS of the population's layers coloured by layer, its silhouette in the title.

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
 * One line about a specificity entry: "Soft matching (without noise): same-layer predictivity
 * (held-out R², mean over layers) -0.63; silhouette by layer -0.15 (on held-out R²); same-layer
 * identification rate 0.3333 (12 of 36 cases)."
 */
export function specificitySummary(entry) {
  const sl = entry.same_layer ?? {};
  const metric = metricName(entry.metric);
  const parts = [];
  const pr = entry.predictivity;
  if (pr) parts.push(`same-layer predictivity (held-out R², mean over layers) ${formatValue(pr.same_layer)}`);
  const pop = entry.population;
  if (pop) {
    let sil = `silhouette by layer ${formatValue(pop.silhouette)}`;
    if (entry.basis) sil += ` (on ${entry.basis}${isNum(pop.silhouette_squared) ? `; ${formatValue(pop.silhouette_squared)} on squared scores` : ''})`;
    parts.push(sil);
  }
  parts.push(`same-layer identification rate ${formatValue(sl.fraction)} (the best layer of another seed had the target ` +
    `layer's name in ${sl.hits ?? 0} of ${sl.cases ?? 0} cases)`);
  return `${sentence(metric)} (${entry.targets}): ${parts.join('; ')}.`;
}

/** The held-out R² per target layer of a mapping, as bars (and over all layers, blue). */
function predictivityBars(container, entry, metric, group, base) {
  const pr = entry.predictivity;
  const layers = pr.layers ?? [];
  const x = [...layers.map((l) => l.layer), 'all layers'];
  const y = [...layers.map((l) => l.same), pr.same_layer];
  const mean = (v) => (isNum(v) ? formatValue(v) : 'undefined');
  const customdata = [
    ...layers.map((l) => [l.pairs ?? 0, mean(l.other_mean), l.best_other ? `${esc(l.best_other.layer)} (${mean(l.best_other.value)})` : 'none']),
    [(entry.pairs ?? []).length, '', ''],
  ];
  const b = bars(container, {
    x,
    y,
    highlight: [x.length - 1],
    title: `${sentence(metric)} (${group}): same-layer predictivity, held-out R²`,
    xtitle: 'target layer',
    ytitle: 'held-out R² from the same layer',
    customdata,
    customHover: `%{x}<br>held-out R², same layer: %{y:.4f} (%{customdata[0]} pairs)` +
      `<br>mean R², other layers: %{customdata[1]}<br>best other layer: %{customdata[2]}<extra></extra>`,
    caption: `${sentence(metric)} as a mapping: fitted on the training images, it predicts a layer of one seed from the same ` +
      `layer of another seed (${(entry.pairs ?? []).length} pairs of different seeds); the bar is the held-out R², the mean over ` +
      'pairs per target layer and the mean over layers (blue). 1 is a perfect prediction, 0 no better than the mean, below 0 ' +
      'worse. Hover a bar for the mean R² from the other layers and the best other layer.',
    filename: `${base}-${entry.metric}-${slug(group)}-predictivity`,
    kind: 'predictivity-bars',
  });
  b.dataset.metric = entry.metric;
  b.dataset.targets = group;
  return b;
}

/**
 * Per specificity entry: the held-out R² bars of a mapping, the identification-rate bars per
 * target layer (and overall), the MDS scatter by layer.
 */
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
  if (entry.predictivity) gds.push(predictivityBars(container, entry, metric, group, base));
  const r2 = entry.basis === 'held-out R²';
  const read = r2 ? 'held-out R²' : metric;
  const b = bars(container, {
    x,
    y: rows.map((r) => r.fraction),
    highlight: [x.length - 1],
    title: `${sentence(metric)} (${group}): same-layer identification rate`,
    xtitle: 'target layer',
    ytitle: 'fraction best at the same layer',
    yrange: [0, 1.05],
    customdata: rows.map((r) => [r.hits ?? 0, r.cases ?? 0, mean(r.same_mean), mean(r.other_mean)]),
    customHover: `%{x}<br>same layer best: %{y:.4f} (%{customdata[0]} of %{customdata[1]})` +
      `<br>mean ${esc(read)}, same layer: %{customdata[2]}<br>mean ${esc(read)}, other layers: %{customdata[3]}<extra></extra>`,
    caption: `Same-layer identification rate (an extra of this lab, not the paper's predictivity): for every pair of ` +
      `different seeds (${(entry.pairs ?? []).length} pairs) and every target layer, how often the ` +
      `source layer that matched it best (${r2 ? 'the highest held-out R²' : entry.better === 'lower' ? 'the smallest distance' : 'the highest score'}) ` +
      `has the same name, per target layer and over all layers (blue). Hover a bar for the mean ${read} of the same ` +
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
          `(${r2 ? '1 - held-out R²' : entry.better === 'lower' ? 'the distance' : `1 - ${metric}`}, mean of both directions; the two axes keep ` +
          `${formatValue(pop.mds_explained * 100, 1)}% of the positive eigenvalues) and coloured by layer. The silhouette ` +
          `(-1 to 1) is high when a layer's copies in different seeds are closer to each other than to other layers: ` +
          `the metric is specific. Per layer: ${(pop.silhouette_per_layer ?? []).map((l) => `${l.layer} ${formatValue(l.value)}`).join(', ')}.` +
          (isNum(pop.silhouette_squared) ? ` On 1 - ${metric}² (squared scores): ${formatValue(pop.silhouette_squared)}.` : ''),
        filename: `${base}-${entry.metric}-${slug(group)}-mds`,
      },
    );
    m.dataset.metric = entry.metric;
    m.dataset.targets = group;
    gds.push(m);
  }
  return gds;
}
