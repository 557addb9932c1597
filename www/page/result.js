// The result as the page shows it: the overview on top (a summary line, the first score table as
// a heatmap and a table), the full views when there is more, and the export buttons. The drawing
// is the views' (views/overview.js, views/index.js); this only places it in the page.

import { ui, showError } from './dom.js';
import { state } from './state.js';
import { renderResult as renderViews } from '../views/index.js';
import { summaryText, overviewIsAll, renderOverview, scoreTable } from '../views/overview.js';
import { exportButtons } from '../export.js';

export function renderResult(result) {
  ui.summary.textContent = summaryText(result);
  const first = result.scores[0];
  if (first) {
    ui.tableWrap.replaceChildren(scoreTable(result, first));
    ui.tableDetails.hidden = false;
  }
  ui.exports.replaceChildren(exportButtons(ui.exports, result, { zip: state.lastExports }));
  if (first) renderOverview(ui.heatmap, result, first);
  // A single layer-by-layer table is the heatmap above; anything more gets the full views.
  ui.views.hidden = overviewIsAll(result);
  if (ui.views.hidden) {
    ui.views.replaceChildren();
  } else {
    renderViews(ui.views, result).catch((err) => showError(`The result arrived but could not be plotted: ${err.message}`));
  }
}
