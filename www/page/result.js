// The result as the page shows it: the summary line, the first score table as a
// heatmap and a table, the full views when there is more, and the export buttons.

import { ui, showError } from './dom.js';
import { state } from './state.js';
import { renderResult as renderViews } from '../views.js';
import { exportButtons } from '../export.js';
import { formatSeconds, metricName } from '../format.js';

export function renderResult(result) {
  const flavor = result.flavor === 'threads' ? 'threaded wasm' : result.flavor === 'single' ? 'single-threaded wasm' : result.flavor;
  const secs = typeof result.seconds === 'number' ? `, computed in ${formatSeconds(result.seconds)}` : '';
  const sources = result.models.filter((m) => m.role === 'source');
  const targets = result.models.filter((m) => m.role === 'target');
  const metrics = [...new Set(result.scores.map((s) => metricName(s.metric)))];
  const first = result.scores[0];
  const byId = (id) => result.models.find((m) => m.id === id);
  ui.summary.textContent =
    `${metrics.join(', ')}: ${sources.map((m) => m.label).join(', ')} against ${targets.map((m) => m.label).join(', ')}, ` +
    `layer by layer, on ${result.n_stimuli} images${secs} (${flavor}, idlab ${result.idlab_version}).` +
    (result.warnings && result.warnings.length ? ` ${result.warnings.length} score(s) undefined: see the report.` : '');
  if (first) {
    renderHeatmap(first, byId(first.source), byId(first.target), result.spec);
    renderTable(first, byId(first.source), byId(first.target));
  }
  // A single layer-by-layer table is the heatmap above; anything more gets the full views.
  const more = result.scores.length > 1 || result.identifiability.length > 0 || targets.some((t) => t.kind === 'rdms' || t.kind === 'dataset');
  ui.views.hidden = !more;
  if (more) {
    renderViews(ui.views, result).catch((err) => showError(`The result arrived but could not be plotted: ${err.message}`));
  } else {
    ui.views.replaceChildren();
  }
  ui.exports.replaceChildren(exportButtons(ui.exports, result, { zip: state.lastExports }));
}

function renderHeatmap(score, src, tgt, spec) {
  const Plotly = window.Plotly;
  if (!Plotly) throw new Error(`the plotting library (vendor/plotly.min.js) did not load; the table below has the values`);
  const metric = metricName(score.metric);
  const rows = src.layers.length;
  const cols = tgt.layers.length;
  const bounded = ['cka', 'cka-debiased', 'cka-rbf'].includes(score.metric);
  const trace = {
    type: 'heatmap',
    // An undefined score (null) stays a gap, never a 0.
    z: score.values,
    x: tgt.layers,
    y: src.layers,
    ...(bounded ? { zmin: 0, zmax: 1 } : {}),
    colorscale: 'Viridis',
    colorbar: { title: { text: metric }, thickness: 14 },
    hovertemplate: `${src.label} · %{y}<br>${tgt.label} · %{x}<br>${metric}: %{z:.4f}<extra></extra>`,
    xgap: 1,
    ygap: 1,
  };
  const layout = {
    title: { text: spec && spec.name ? spec.name : `${src.label} vs ${tgt.label}` },
    xaxis: { title: { text: `${tgt.label} layer` }, type: 'category', tickangle: -45, automargin: true },
    yaxis: { title: { text: `${src.label} layer` }, type: 'category', autorange: 'reversed', automargin: true },
    height: Math.max(420, 160 + 30 * rows),
    margin: { t: 60, r: 20, b: 40, l: 40 },
    font: { family: 'system-ui, sans-serif' },
  };
  Plotly.react(ui.heatmap, [trace], layout, { responsive: true, displaylogo: false });
  ui.heatmap.setAttribute('aria-label',
    `Heatmap of ${metric} between ${rows} layers of ${src.label} and ${cols} layers of ${tgt.label}; the values are also in the table below.`);
}

function renderTable(score, src, tgt) {
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  caption.textContent = `${metricName(score.metric)}. Rows: ${src.label} layers. Columns: ${tgt.label} layers.`;
  table.append(caption);
  const head = table.createTHead().insertRow();
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.textContent = 'layer';
  head.append(corner);
  for (const name of tgt.layers) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  score.values.forEach((row, i) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = src.layers[i];
    tr.append(th);
    for (const v of row) tr.insertCell().textContent = Number.isFinite(v) ? v.toFixed(3) : 'undefined';
  });
  ui.tableWrap.replaceChildren(table);
  ui.tableDetails.hidden = false;
}
