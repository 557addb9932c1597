// idlab result views: the plots for a result document (spec.idlab == 2), each in its own
// <figure> with a caption and PNG / SVG download buttons. Plain ES module; Plotly is the classic
// script vendor/plotly.min.js (window.Plotly). One module per analysis sits beside this one, each
// usable alone (import it, call its render function with a container and a result):
//
//   identifiability.js  renderIdentifiability   specificity.js    renderSpecificity
//   rdm-bars.js         renderRdmBars           classes.js        renderClasses
//   mapping.js          renderMapping           pruning.js        renderPruning
//   stimulus-sets.js    renderStimulusSets      heatmaps.js       renderHeatmaps
//   overview.js         summaryText, renderOverview (into a plot div of the caller's), overviewChooser, scoreTable
//
// export-image.js draws the PNG / SVG downloads with their caption and provenance.
//
// plot.js holds the shared plot primitives (figure, heatmap, bars, lines, rdmImage, mdsScatter,
// rendered); ../format.js the format and label helpers.

import { fileBase } from './sections.js';
import { plotly, rendered } from './plot.js';
import { setProvenance } from './export-image.js';
import { renderStimulusSets } from './stimulus-sets.js';
import { renderSpecificity } from './specificity.js';
import { renderMapping } from './mapping.js';
import { renderPruning } from './pruning.js';
import { renderIdentifiability } from './identifiability.js';
import { renderClasses } from './classes.js';
import { renderRdmBars } from './rdm-bars.js';
import { renderHeatmaps } from './heatmaps.js';

export { METRIC_NAMES, formatValue, metricName } from '../format.js';
export { figure, heatmap, heatmapFigure, bars, lines, rdmImage, mdsScatter, rendered } from './plot.js';
export { verdict, renderIdentifiability } from './identifiability.js';
export { specificitySummary, renderSpecificity } from './specificity.js';
export { renderStimulusSets, renderMapping, renderPruning, renderClasses, renderRdmBars, renderHeatmaps };
export { scoreHeatmapOptions } from './heatmaps.js';
export { summaryText, overviewIsAll, overviewChooser, pairName, renderOverview, scoreTable } from './overview.js';
export { stampedImage, provenanceLine, wrapText } from './export-image.js';

/** The views in the order the page shows them: each draws what `result` holds of its analysis. */
const VIEWS = [
  renderStimulusSets, renderSpecificity, renderMapping, renderPruning,
  renderIdentifiability, renderClasses, renderRdmBars, renderHeatmaps,
];

/**
 * Fills `container` with the plots for what `result` holds (replacing what was there):
 * per specificity entry (a metric over a population of seeds), the same-layer predictivity per
 * target layer and an MDS of the population's layers coloured by layer, the silhouette in its title;
 * per identifiability entry, the best-layer scores of every source per target layer, the
 * identifiability index with a verdict, and every source layer against a chosen target layer;
 * per score against neural RDMs, bars over source layers with the noise ceiling and p < 0.05
 * marked; per other score (more than one layer on a side), a heatmap of source x target layers.
 * Returns a promise of the plot divs, resolved once all are drawn.
 */
export function renderResult(container, result) {
  for (const old of container.querySelectorAll('.js-plotly-plot')) plotly().purge(old);
  container.replaceChildren();
  container.classList.add('idlab-views');
  setProvenance(container, result); // the PNG / SVG exports name the experiment, version and date
  const base = fileBase(result);
  const plots = VIEWS.flatMap((view) => view(container, result, { base }));
  if (!plots.length) {
    const p = document.createElement('p');
    p.className = 'idlab-empty';
    p.textContent = 'This result has nothing to plot (one layer against one layer): see the values in the downloads.';
    container.append(p);
  }
  return Promise.all(plots.map(rendered));
}
