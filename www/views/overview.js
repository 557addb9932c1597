// The result at a glance, as the page shows it on top: one sentence saying what ran, one score
// table as a heatmap in a plot div of the caller's (the page's #heatmap), a menu over every
// source-target pair when there are several, and the same values as a table. Usable alone like
// the other views; the heatmap is heatmaps.js's, titled with the pair it shows (not the whole
// experiment's name, which would claim one pair is the experiment).

import { formatSeconds, formatValue, layerNames, metricName, modelLabel, modelsById } from '../format.js';
import { heatmapFigure, redraw } from './plot.js';
import { scoreHeatmapOptions } from './heatmaps.js';
import { fileBase, setSuffix } from './sections.js';

/** "linear CKA: alexnet against vgg11, layer by layer, on 64 images, computed in 2.1 s (...)." */
export function summaryText(result) {
  const simd = result.simd === 'relaxed-simd' ? ', relaxed SIMD' : '';
  const flavor = (result.flavor === 'threads' ? 'threaded wasm' : result.flavor === 'single' ? 'single-threaded wasm' : result.flavor) + simd;
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
    title: pairName(result, score),
    height: Math.max(420, 160 + 30 * rows),
  });
  try {
    redraw(gd, data, layout); // the page's PNG / SVG buttons download it, with caption and provenance
  } catch (err) {
    throw new Error(`${err.message}; the table below has the values`);
  }
  gd.setAttribute('aria-label',
    `Heatmap of ${metric} between ${rows} layers of ${modelLabel(src)} and ${cols} layers of ${modelLabel(tgt)}; the values are also in the table below.`);
  return gd;
}

/** "linear CKA: alexnet seed 0 vs vgg11 seed 1 · textures": which pair a score table is. */
export function pairName(result, score) {
  const get = modelsById(result);
  return `${metricName(score.metric)}: ${modelLabel(get(score.source))} vs ${modelLabel(get(score.target))}${setSuffix(result, score)}`;
}

/**
 * A menu over every score table of `result` (every source-target pair, metric and stimulus set),
 * calling onPick(score) on a change; null when there is only one.
 */
export function overviewChooser(result, onPick) {
  const scores = result.scores ?? [];
  if (scores.length < 2) return null;
  const wrap = document.createElement('div');
  wrap.className = 'idlab-select idlab-overview-chooser';
  const label = document.createElement('label');
  label.textContent = `Pair (${scores.length}):`;
  const select = document.createElement('select');
  select.id = 'overview-pair';
  label.htmlFor = select.id;
  scores.forEach((s, i) => select.add(new Option(pairName(result, s), String(i))));
  select.addEventListener('change', () => onPick(scores[Number(select.value)]));
  wrap.append(label, select);
  return wrap;
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
