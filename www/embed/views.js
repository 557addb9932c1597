// The lab's result views by the names a figure's `view` attribute uses (the view modules'
// names), drawn into a figure's container: the named ones, or every view the result has,
// as the lab draws it (the overview heatmap, then the full views when there is more).

import { plotly, figure, rendered } from '../views/plot.js';
import { setProvenance } from '../views/export-image.js';
import { fileBase } from '../views/sections.js';
import { overviewIsAll, pairName, renderOverview, summaryText } from '../views/overview.js';
import { renderStimulusSets } from '../views/stimulus-sets.js';
import { renderSpecificity } from '../views/specificity.js';
import { renderMapping } from '../views/mapping.js';
import { renderPruning } from '../views/pruning.js';
import { renderIdentifiability } from '../views/identifiability.js';
import { renderClasses } from '../views/classes.js';
import { renderRdmBars } from '../views/rdm-bars.js';
import { renderHeatmaps } from '../views/heatmaps.js';
import { VIEW_NAMES } from './view-names.js';

/** The overview as a figure of its own: the result's first score table as a heatmap. */
function renderOverviewFigure(container, result, { base }) {
  const score = result.scores[0];
  if (!score) return [];
  const { plot } = figure(container, {
    caption: `${summaryText(result)} Shown: ${pairName(result, score)} (rows: source layers, columns: target layers).`,
    filename: `${base} overview`,
    kind: 'heatmap',
  });
  renderOverview(plot, result, score);
  return [plot];
}

/** view name (view-names.js) -> render(container, result, {base}) returning its plot divs ([] when it has nothing to draw). */
const RENDERERS = {
  overview: renderOverviewFigure,
  'stimulus-sets': renderStimulusSets,
  specificity: renderSpecificity,
  mapping: renderMapping,
  pruning: renderPruning,
  identifiability: renderIdentifiability,
  classes: renderClasses,
  'rdm-bars': renderRdmBars,
  heatmaps: renderHeatmaps,
};

/**
 * Draws `result` into `container` (replacing what it held): the views `names`, or when null the
 * lab's choice. Resolves with the plot divs once drawn; a named view that has nothing to draw
 * for this result says so in place.
 */
export async function drawViews(container, result, names) {
  for (const old of container.querySelectorAll('.js-plotly-plot')) plotly().purge(old);
  container.replaceChildren();
  container.classList.add('idlab-views');
  setProvenance(container, result);
  const base = fileBase(result);
  const chosen = names ?? ['overview', ...(overviewIsAll(result) ? [] : VIEW_NAMES.filter((n) => n !== 'overview'))];
  const plots = [];
  for (const name of chosen) {
    const drawn = RENDERERS[name](container, result, { base });
    if (!drawn.length && names) {
      const p = document.createElement('p');
      p.className = 'idlab-empty';
      p.textContent = `This result has nothing for the view "${name}".`;
      container.append(p);
    }
    plots.push(...drawn);
  }
  return Promise.all(plots.map(rendered));
}
