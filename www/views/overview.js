// The result at a glance, as the page shows it on top: one sentence saying what ran, the first
// score table as a heatmap in a plot div of the caller's (the page's #heatmap), and the same
// values as a table. Usable alone like the other views; the heatmap is heatmaps.js's, titled
// with the experiment's name.

import { formatSeconds, formatValue, layerNames, metricName, modelLabel, modelsById } from '../format.js';
import { heatmapFigure, redraw } from './plot.js';
import { scoreHeatmapOptions } from './heatmaps.js';
import { fileBase } from './sections.js';

/** "linear CKA: alexnet against vgg11, layer by layer, on 64 images, computed in 2.1 s (...)." */
export function summaryText(result) {
  const flavor = result.flavor === 'threads' ? 'threaded wasm' : result.flavor === 'single' ? 'single-threaded wasm' : result.flavor;
  const secs = typeof result.seconds === 'number' ? `, computed in ${formatSeconds(result.seconds)}` : '';
  const sources = result.models.filter((m) => m.role === 'source');
  const targets = result.models.filter((m) => m.role === 'target');
  const metrics = [...new Set(result.scores.map((s) => metricName(s.metric)))];
  return `${metrics.join(', ')}: ${sources.map(modelLabel).join(', ')} against ${targets.map(modelLabel).join(', ')}, ` +
    `layer by layer, on ${result.n_stimuli} images${secs} (${flavor}, idlab ${result.idlab_version}).` +
    (result.warnings && result.warnings.length ? ` ${result.warnings.length} score(s) undefined: see the report.` : '');
}

/**
 * Whether the overview shows all the result holds: a single layer-by-layer table, no analyses and
 * no neural data (those get the full views of index.js).
 */
export function overviewIsAll(result) {
  const targets = result.models.filter((m) => m.role === 'target');
  return result.scores.length <= 1 && !(result.identifiability?.length > 0) &&
    !targets.some((t) => t.kind === 'rdms' || t.kind === 'dataset');
}

/**
 * Draws `score` (default: the result's first) as a heatmap into the plot div `gd`, replacing what
 * it showed (Plotly.react: the div stays, so a re-run redraws in place). Returns gd.
 */
export function renderOverview(gd, result, score = result.scores[0]) {
  const get = modelsById(result);
  const src = get(score.source);
  const tgt = get(score.target);
  const metric = metricName(score.metric);
  const rows = score.values.length;
  const cols = score.values[0]?.length ?? 0;
  const { data, layout } = heatmapFigure({
    ...scoreHeatmapOptions(score, get, fileBase(result)),
    title: result.spec?.name || `${modelLabel(src)} vs ${modelLabel(tgt)}`,
    height: Math.max(420, 160 + 30 * rows),
  });
  try {
    redraw(gd, data, layout, { toImage: true });
  } catch (err) {
    throw new Error(`${err.message}; the table below has the values`);
  }
  gd.setAttribute('aria-label',
    `Heatmap of ${metric} between ${rows} layers of ${modelLabel(src)} and ${cols} layers of ${modelLabel(tgt)}; the values are also in the table below.`);
  return gd;
}

/** `score` as a <table>: a caption, target layers as columns, source layers as rows, 3 decimals. */
export function scoreTable(result, score = result.scores[0]) {
  const get = modelsById(result);
  const src = get(score.source);
  const tgt = get(score.target);
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  caption.textContent = `${metricName(score.metric)}. Rows: ${modelLabel(src)} layers. Columns: ${modelLabel(tgt)} layers.`;
  table.append(caption);
  const head = table.createTHead().insertRow();
  const header = (text, scope) => {
    const th = document.createElement('th');
    th.scope = scope;
    th.textContent = text;
    return th;
  };
  head.append(header('layer', 'col'), ...layerNames(tgt, score.values[0]?.length ?? 0).map((name) => header(name, 'col')));
  const body = table.createTBody();
  const rows = layerNames(src, score.values.length);
  score.values.forEach((row, i) => {
    const tr = body.insertRow();
    tr.append(header(rows[i], 'row'));
    for (const v of row) tr.insertCell().textContent = formatValue(v, 3);
  });
  return table;
}
