// The result as the page shows it: the overview on top (a summary line, a heatmap of one score
// table with a menu over every pair, the same values as a table), the warnings the core put on
// the scores, help on the metrics, the full views when there is more, and the export buttons.
// The drawing is the views' (views/overview.js, views/index.js); this only places it in the page.

import { ui, showError, slotAfter, titledList } from './dom.js';
import { state } from './state.js';
import { renderResult as renderViews } from '../views/index.js';
import { summaryText, overviewIsAll, overviewChooser, pairName, renderOverview, scoreTable } from '../views/overview.js';
import { downloadButtons, setProvenance } from '../views/export-image.js';
import { scoreWarnings } from '../views/sections.js';
import { metricsHelp } from '../help/help.js';
import { METRIC_HELP } from '../help/texts.js';
import { exportButtons } from '../export.js';
import { slug } from '../format.js';

/** The page's own slot under the summary line: the pair menu, warnings, help, overview downloads. */
function extras() {
  return slotAfter(ui.summary, 'div', 'result-extras', 'result-extras');
}

/** "Jump to result" at the top of the page once a result exists (the form is long on a phone). */
function jumpLink() {
  if (document.getElementById('jump-result')) return;
  const a = document.createElement('a');
  a.id = 'jump-result';
  a.className = 'jump-result';
  a.href = '#result-heading';
  a.textContent = 'Jump to result ↓';
  const main = document.querySelector('main') ?? document.body;
  main.prepend(a);
}

/** The footer's note: one sentence per metric that ran (it used to explain linear CKA always). */
function footerNote(result) {
  const note = document.getElementById('footer-note');
  if (!note) return;
  const metrics = [...new Set(result.scores.map((s) => s.metric))];
  note.textContent = metrics.map((m) => {
    const h = METRIC_HELP[m];
    return h ? `${h.name}: ${h.better} ${h.range}` : `${m}: see the README.`;
  }).join(' ') + ' In the heatmap, rows are layers of the source model and columns layers of the target model.';
}

/** Shows `score` in the overview: the heatmap, its table and its warnings. */
function showPair(result, score, notes) {
  ui.tableWrap.replaceChildren(scoreTable(result, score));
  ui.tableDetails.hidden = false;
  renderOverview(ui.heatmap, result, score);
  notes.replaceChildren(...[scoreWarnings(result, [score])].filter(Boolean));
}

/**
 * "What this run found": the result's own sentences, computed by the core from the numbers
 * (crate/src/experiment/findings), the same list `idlab run`'s report prints.
 */
function findingsList(result) {
  const box = slotAfter(ui.summary, 'section', 'findings', 'findings');
  const items = Array.isArray(result.findings) ? result.findings : [];
  box.replaceChildren(titledList('What this run found', items));
  box.hidden = items.length === 0;
}

export function renderResult(result) {
  ui.summary.textContent = summaryText(result);
  findingsList(result);
  setProvenance(ui.heatmap.parentElement, result);
  const box = extras();
  box.replaceChildren();
  const first = result.scores[0];
  const notes = document.createElement('div');
  notes.className = 'result-warnings';
  let shown = first;
  if (first) {
    const chooser = overviewChooser(result, (score) => {
      shown = score;
      showPair(result, score, notes);
    });
    if (chooser) box.append(chooser);
  }
  box.append(notes, metricsHelp(result.scores.map((s) => s.metric)));
  ui.exports.replaceChildren(exportButtons(ui.exports, result, { zip: state.lastExports }));
  if (first) {
    showPair(result, first, notes);
    const buttons = downloadButtons(ui.heatmap, {
      filename: () => slug(`${result.spec?.name ?? 'idlab'} ${pairName(result, shown)}`, 'idlab-heatmap', 60),
      caption: () => `${summaryText(result)} Shown: ${pairName(result, shown)} (rows: source layers, columns: target layers).`,
    });
    buttons.classList.add('overview-downloads');
    box.append(buttons);
  }
  footerNote(result);
  jumpLink();
  // A single layer-by-layer table is the heatmap above; anything more gets the full views.
  ui.views.hidden = overviewIsAll(result);
  if (ui.views.hidden) {
    ui.views.replaceChildren();
  } else {
    renderViews(ui.views, result).catch((err) => showError(`The result arrived but could not be plotted: ${err.message}`));
  }
}
