// Shared plot primitives of the result views: Plotly (the classic script vendor/plotly.min.js,
// window.Plotly), the layout every plot shares, the <figure> with its caption and PNG / SVG
// buttons, and the generic plots every view draws with. Plain ES module.
//
//   figure(container, {caption, filename, kind, label})          -> {figure, plot, caption}
//   heatmap(container, {z, x, y, ...})                           -> plot div (the one heatmap renderer)
//   heatmapFigure({z, x, y, ...})                                -> {data, layout} of that heatmap
//   bars(container, {x, y, error, highlight, title, ytitle, ...}) -> plot div
//   lines(container, {x, series, title, xtitle, ytitle, ...})     -> plot div
//   rdmImage(container, matrix, labels, title, options?)          -> plot div
//   mdsScatter(container, points, labels, groups, title, options?) -> plot div
//   rendered(plotDiv)                                            -> Promise resolved when that plot is drawn
//
// Values may be null (a score undefined for that pair): they are never drawn as 0,
// and their tooltips say "undefined".

import { esc, isNum, slug } from '../format.js';
import { downloadButtons, wrapText } from './export-image.js';
import { helpDetails } from '../help/help.js';
import { VIEW_HELP } from '../help/texts.js';

/** Okabe & Ito's colour-blind-safe colours: blue for the correct or highlighted, vermillion for a loss. */
export const COLORS = {
  accent: '#0072b2',
  grey: '#9aa1ad',
  lost: '#d55e00',
  ink: '#1b1f2a',
  band: 'rgba(84, 91, 107, 0.18)',
};
const DASHES = ['dot', 'dash', 'dashdot', 'longdash', 'longdashdot', 'solid'];
/** The other series' colours and marker symbols beside a highlighted one. */
const OTHERS = ['#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#000000', '#7f7f7f'];
const SYMBOLS = ['square', 'diamond', 'triangle-up', 'cross', 'x', 'triangle-down', 'star'];
/** At most this many series get direct labels at their ends (more keep the legend). */
const DIRECT_LABELS = 8;
const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 13, color: COLORS.ink };
/**
 * Nothing leaves the tab: no "Edit in Chart Studio", "Share"/send-to-cloud or link-out controls
 * (Plotly 4's config), no server URL, no data sent; and no logo.
 */
export const PRIVATE = {
  displaylogo: false, showLink: false, sendData: false, showSendToCloud: false, showEditInChartStudio: false,
  showSources: false, plotlyServerURL: '', linkText: '',
};
const CLOUD_BUTTONS = ['sendDataToCloud', 'editInChartStudio'];
const CONFIG = { responsive: true, ...PRIVATE, modeBarButtonsToRemove: ['toImage', ...CLOUD_BUTTONS] };

/** Colours for one series or bar group each, in order (Okabe-Ito, yellow left out: unreadable on white). */
export const PALETTE = [COLORS.accent, '#e69f00', '#009e73', '#cc79a7', COLORS.lost, '#56b4e9', '#000000', '#7f7f7f'];

const pending = new WeakMap();

/** Plotly, loaded by the page as a classic script; a clear error when it is missing. */
export function plotly() {
  const P = window.Plotly;
  if (!P) throw new Error('the plotting library (vendor/plotly.min.js) did not load');
  if (!P.idlabPrivate && P.setPlotConfig) {
    P.setPlotConfig(PRIVATE); // every plot, also those drawn by others on this page
    P.idlabPrivate = true;
  }
  return P;
}

/**
 * Category labels (layer, model and file names: user strings, from an ONNX file or a spec) as
 * Plotly's text: it reads <b>, <br>, <a> and entities in tick labels and tooltips, so &, < and >
 * are escaped (it shows them as typed). Numbers are left as they are.
 */
export function plotLabels(values) {
  return Array.isArray(values) ? values.map((v) => (typeof v === 'string' ? esc(v) : v)) : values;
}

/** Long or many tick labels are rotated. */
export function tickAngle(labels) {
  return labels.some((l) => String(l).length > 8) || labels.length > 12 ? -45 : 0;
}

/** A caption for a generic plot given none: "title: ytitle per xtitle." */
function defaultCaption(opts) {
  const what = opts.ytitle ? `${opts.ytitle}${opts.xtitle ? ` per ${opts.xtitle}` : ''}` : '';
  const text = [opts.title, what].filter(Boolean).join(': ');
  return text ? `${text}.` : '';
}

/** The layout every plot shares (font, white paper, margins), with `extra` on top. */
export function baseLayout(title, extra = {}) {
  return {
    title: title ? { text: esc(title), font: { size: 15 }, x: 0.02, xanchor: 'left' } : undefined,
    font: FONT,
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    margin: { t: title ? 50 : 20, r: 20, b: 40, l: 50 },
    hoverlabel: { font: { family: FONT.family } },
    colorway: PALETTE,
    ...extra,
  };
}

/** Below this width (px) a plot is laid out for a phone: wrapped title, no mode bar, every tick label turned. */
export const NARROW = 600;

/**
 * The layout fitted to the plot's width: the title wrapped to lines that fit (never under the
 * mode bar: the top margin grows with it), and on a narrow screen every category tick kept
 * (turned, smaller) instead of Plotly dropping every other one.
 */
export function fitWidth(gd, layout) {
  const width = plotWidth(gd);
  const narrow = width < NARROW;
  const out = { ...layout };
  if (layout.title?.text) {
    const size = narrow ? 13 : layout.title.font?.size ?? 15;
    const room = Math.max(12, Math.floor((width - (narrow ? 24 : 140)) / (0.56 * size)));
    const lines = wrapText(layout.title.text, room);
    out.title = { ...layout.title, text: lines.join('<br>'), font: { ...layout.title.font, size }, y: 1, yref: 'container', yanchor: 'top', pad: { t: narrow ? 10 : 34 } };
    out.margin = { ...layout.margin, t: Math.max(layout.margin?.t ?? 50, (narrow ? 20 : 44) + lines.length * (size + 5)) };
  }
  if (narrow) {
    out.margin = { ...out.margin, l: 40, r: 10 };
    for (const key of ['xaxis', 'yaxis']) {
      const axis = layout[key];
      if (axis?.type === 'category') out[key] = { ...axis, dtick: 1, tickfont: { size: 9 }, tickangle: key === 'xaxis' ? -90 : 0, automargin: true };
    }
    if (out.legend?.x > 1) out.legend = { orientation: 'h', x: 0, y: -0.3, yanchor: 'top' };
  }
  return out;
}

/** The plot's width; for one drawn hidden (a folded or unpicked section), the window's, at most 800. */
function plotWidth(gd) {
  return gd.clientWidth || gd.parentElement?.clientWidth || Math.min(globalThis.innerWidth || 800, 800);
}

/** Every drawn plot's own layout and config, to fit it again when the window's width changes. */
const drawn = new Map();
let resizeTimer = null;

function track(gd, layout, config) {
  for (const old of drawn.keys()) if (!old.isConnected && old !== gd) drawn.delete(old);
  drawn.set(gd, { layout, config, narrow: plotWidth(gd) < NARROW });
  if (resizeTimer !== null || typeof window === 'undefined') return;
  resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(refit, 150);
  });
}

/** After a resize: plots whose width crossed NARROW are laid out again (title, ticks, mode bar). */
function refit() {
  for (const [gd, { layout, config, narrow }] of drawn) {
    if (!gd.isConnected) {
      drawn.delete(gd);
      continue;
    }
    const now = plotWidth(gd) < NARROW;
    if (now === narrow || !gd.data) continue;
    drawn.set(gd, { layout, config, narrow: now });
    pending.set(gd, Promise.resolve(plotly().react(gd, gd.data, fitWidth(gd, layout), narrowConfig(gd, config))).then(() => gd));
  }
}

/** On a narrow screen the mode bar is left out (the figure's own buttons download), so it covers nothing. */
function narrowConfig(gd, config) {
  return plotWidth(gd) < NARROW ? { ...config, displayModeBar: false } : config;
}

/** Draws and remembers the promise, so that rendered(gd) can wait for it. */
export function draw(gd, data, layout) {
  track(gd, layout, CONFIG);
  const done = plotly().newPlot(gd, data, fitWidth(gd, layout), narrowConfig(gd, CONFIG));
  pending.set(gd, Promise.resolve(done).then(() => gd));
  return gd;
}

/** Resolves with the plot div once Plotly has drawn it. */
export function rendered(gd) {
  return pending.get(gd) || Promise.resolve(gd);
}

/**
 * Draws `gd` again with new data and layout (Plotly.react), and remembers it like draw.
 * toImage: keep Plotly's own PNG button (for a plot without the figure's download buttons).
 */
export function redraw(gd, data, layout, { toImage = false } = {}) {
  const config = toImage ? { responsive: true, ...PRIVATE, modeBarButtonsToRemove: CLOUD_BUTTONS } : CONFIG;
  track(gd, layout, config);
  pending.set(gd, Promise.resolve(plotly().react(gd, data, fitWidth(gd, layout), narrowConfig(gd, config))).then(() => gd));
  return gd;
}

/**
 * A <figure> appended to container: the plot div, a caption and PNG / SVG download
 * buttons. Returns {figure, plot, caption}.
 */
export function figure(container, { caption = '', filename = 'idlab-plot', kind = 'plot', label = '' } = {}) {
  const fig = document.createElement('figure');
  fig.className = 'idlab-figure';
  fig.dataset.kind = kind;
  const plot = document.createElement('div');
  plot.className = 'idlab-plot';
  plot.setAttribute('role', 'img');
  if (label || caption) plot.setAttribute('aria-label', label || caption);
  const cap = document.createElement('figcaption');
  const text = document.createElement('span');
  text.className = 'idlab-caption-text';
  text.textContent = caption;
  cap.append(text);
  const actions = downloadButtons(plot, { filename: slug(filename, 'idlab-plot', 64), caption: () => text.textContent });
  cap.append(actions);
  fig.append(plot, cap);
  const help = VIEW_HELP[kind];
  if (help) fig.append(helpDetails(help));
  container.append(fig);
  return { figure: fig, plot, caption: cap };
}

// ---------------------------------------------------------------- generic plots

/**
 * A heatmap of z[row][col] (null cells left blank, their tooltip "undefined").
 * opts: {z, x, y, title, xtitle, ytitle, ztitle, zmin, zmax, colorscale, hover: {row, col, value},
 *        caption, filename, kind, height, square (equal cell sides), reversed (false: first row at the bottom)}
 */
export function heatmap(container, opts) {
  const what = [opts.ztitle ?? 'value', opts.ytitle && `of every ${opts.ytitle} (rows)`, opts.xtitle && `against every ${opts.xtitle} (columns)`]
    .filter(Boolean).join(' ');
  const { plot } = figure(container, {
    caption: opts.caption ?? `${opts.title ? `${opts.title}: ` : ''}${what}.`,
    filename: opts.filename ?? opts.title, kind: opts.kind ?? 'heatmap',
  });
  const { data, layout } = heatmapFigure(opts);
  return draw(plot, data, layout);
}

/** The traces and layout of heatmap(opts), for a plot div that is not in a figure (the page's own). */
export function heatmapFigure(opts) {
  const { z } = opts;
  const x = plotLabels(opts.x);
  const y = plotLabels(opts.y);
  const row = esc(opts.hover?.row ?? opts.ytitle ?? 'row');
  const col = esc(opts.hover?.col ?? opts.xtitle ?? 'column');
  const value = esc(opts.hover?.value ?? opts.ztitle ?? 'value');
  const head = `${row}: %{y}<br>${col}: %{x}<br>${value}: `;
  const trace = {
    type: 'heatmap',
    z,
    x,
    y,
    colorscale: opts.colorscale ?? 'Viridis',
    colorbar: { title: { text: esc(opts.ztitle ?? '') }, thickness: 14 },
    hoverongaps: false,
    hovertemplate: `${head}%{z:.4f}<extra></extra>`,
    xgap: z.length > 30 || z[0].length > 30 ? 0 : 1,
    ygap: z.length > 30 || z[0].length > 30 ? 0 : 1,
  };
  if (isNum(opts.zmin)) trace.zmin = opts.zmin;
  if (isNum(opts.zmax)) trace.zmax = opts.zmax;
  const data = [trace];
  // Undefined cells: a transparent trace over them whose tooltip says so.
  if (z.some((r) => r.some((v) => !isNum(v)))) {
    data.push({
      type: 'heatmap',
      z: z.map((r) => r.map((v) => (isNum(v) ? null : 1))),
      x,
      y,
      showscale: false,
      colorscale: [[0, 'rgba(0,0,0,0)'], [1, 'rgba(0,0,0,0)']],
      hoverongaps: false,
      hovertemplate: `${head}undefined<extra></extra>`,
      name: 'undefined',
    });
  }
  const xs = x ?? z[0].map((_, j) => j);
  const ys = y ?? z.map((_, i) => i);
  const layout = baseLayout(opts.title, {
    xaxis: { title: { text: esc(opts.xtitle ?? '') }, type: 'category', tickangle: tickAngle(xs), automargin: true, showgrid: false },
    yaxis: {
      title: { text: esc(opts.ytitle ?? '') }, type: 'category', automargin: true, showgrid: false,
      autorange: opts.reversed === false ? true : 'reversed',
    },
    height: opts.height ?? Math.min(900, Math.max(360, 170 + 26 * ys.length)),
  });
  if (opts.square) {
    layout.yaxis.scaleanchor = 'x';
    layout.xaxis.constrain = 'domain';
    layout.yaxis.constrain = 'domain';
  }
  return { data, layout };
}

/** Invisible, hoverable markers at the baseline where a value is undefined. */
function undefinedMarkers(x, y, label, xaxisName = 'x') {
  const idx = y.map((v, i) => (isNum(v) ? -1 : i)).filter((i) => i >= 0);
  if (!idx.length) return null;
  return {
    type: 'scatter',
    mode: 'markers',
    x: idx.map((i) => x[i]),
    y: idx.map(() => 0),
    xaxis: xaxisName,
    marker: { opacity: 0, size: 14 },
    showlegend: false,
    name: 'undefined',
    hovertemplate: `${label}%{x}<br>undefined<extra></extra>`,
  };
}

/**
 * Bars of y over x. opts: {x, y, error (array of ± half-widths, optional), highlight (indices or
 * booleans: those bars blue, others grey), colors (per bar, overrides), title, xtitle, ytitle,
 * hover (a label for the value), customHover (a hovertemplate), customdata, shapes, stars
 * (indices: a ★ above those bars), caption, filename, kind}
 */
export function bars(container, opts) {
  const { y } = opts;
  const x = plotLabels(opts.x);
  const { plot } = figure(container, {
    caption: opts.caption ?? defaultCaption(opts), filename: opts.filename ?? opts.title, kind: opts.kind ?? 'bars',
  });
  const marks = highlightSet(opts.highlight, x.length);
  const colors = opts.colors ?? x.map((_, i) => (marks === null || marks.has(i) ? COLORS.accent : COLORS.grey));
  const value = esc(opts.hover ?? opts.ytitle ?? 'value');
  const trace = {
    type: 'bar',
    x,
    y: y.map((v) => (isNum(v) ? v : null)),
    marker: { color: colors, line: { color: colors.map((c) => (c === COLORS.grey ? COLORS.grey : COLORS.ink)), width: marks ? 1 : 0 } },
    hovertemplate: opts.customHover ?? `%{x}<br>${value}: %{y:.4f}<extra></extra>`,
    name: opts.ytitle ?? 'value',
    showlegend: false,
  };
  if (opts.customdata) trace.customdata = opts.customdata;
  if (opts.error) {
    trace.error_y = {
      type: 'data', array: opts.error.map((e) => (isNum(e) ? e : 0)), visible: true,
      color: COLORS.ink, thickness: 1.2, width: 5,
    };
  }
  const data = [trace];
  const undef = undefinedMarkers(x, y, '');
  if (undef) data.push(undef);
  if (opts.stars && opts.stars.length) {
    const top = (i) => (isNum(y[i]) ? Math.max(y[i], 0) + (opts.error && isNum(opts.error[i]) ? opts.error[i] : 0) : 0);
    const span = Math.max(1e-9, ...y.filter(isNum).map((v) => Math.abs(v)));
    data.push({
      type: 'scatter',
      mode: 'text',
      x: opts.stars.map((i) => x[i]),
      y: opts.stars.map((i) => top(i) + 0.04 * span),
      text: opts.stars.map(() => '★'),
      textposition: 'top center',
      textfont: { size: 16, color: COLORS.ink },
      hoverinfo: 'skip',
      showlegend: false,
      name: 'p < 0.05',
    });
  }
  const layout = baseLayout(opts.title, {
    xaxis: { title: { text: esc(opts.xtitle ?? '') }, type: 'category', tickangle: tickAngle(x), automargin: true },
    yaxis: { title: { text: esc(opts.ytitle ?? '') }, automargin: true, zeroline: true },
    shapes: opts.shapes ?? [],
    annotations: opts.annotations ?? [],
    height: opts.height ?? 380,
    bargap: 0.25,
  });
  if (opts.yrange) layout.yaxis.range = opts.yrange;
  return draw(plot, data, layout);
}

function highlightSet(h, n) {
  if (h === undefined || h === null || h === false) return null;
  if (typeof h === 'number') return new Set([h]);
  if (Array.isArray(h)) {
    if (h.length === n && h.every((v) => typeof v === 'boolean')) return new Set(h.map((v, i) => (v ? i : -1)).filter((i) => i >= 0));
    return new Set(h);
  }
  return null;
}

/**
 * Lines over x. opts: {x (shared, or per series), series: [{name, y, x?, highlight, customdata, hover}],
 * title, xtitle, ytitle, xtype ('category' | 'linear'), xrange, hover (a label for the value),
 * caption, filename, kind}. A highlighted series is thick and blue, the others thinner, each its own
 * colour, dash and marker; without highlights the palette's colours are used. Up to DIRECT_LABELS
 * series, every line is named at its right end instead of in a legend.
 */
export function lines(container, opts) {
  const { plot } = figure(container, {
    caption: opts.caption ?? defaultCaption(opts), filename: opts.filename ?? opts.title, kind: opts.kind ?? 'lines',
  });
  const { data, layout } = linesFigure(opts);
  return draw(plot, data, layout);
}

export function linesFigure(opts) {
  const anyHighlight = opts.series.some((s) => s.highlight);
  const value = esc(opts.hover ?? opts.ytitle ?? 'value');
  const data = [];
  const labels = [];
  let other = 0;
  for (const s of opts.series) {
    const x = plotLabels(s.x ?? opts.x);
    const name = esc(s.name);
    const point = s.customdata ? '%{customdata}' : '%{x}';
    const trace = {
      type: 'scatter',
      mode: 'lines+markers',
      name,
      x,
      y: s.y.map((v) => (isNum(v) ? v : null)),
      connectgaps: false,
      hovertemplate: s.hover ?? `${name}<br>${esc(opts.xtitle ?? 'x')}: ${point}<br>${value}: %{y:.4f}<extra></extra>`,
    };
    if (s.customdata) trace.customdata = s.customdata;
    if (anyHighlight) {
      // Not by dash alone: each other series has its own colour (Okabe-Ito, never the highlight's blue).
      const color = s.highlight ? COLORS.accent : OTHERS[other % OTHERS.length];
      trace.line = s.highlight ? { color, width: 4 } : { color, width: 1.5, dash: DASHES[other % DASHES.length] };
      trace.marker = { color, size: s.highlight ? 9 : 6, symbol: s.highlight ? 'circle' : SYMBOLS[other % SYMBOLS.length] };
      if (!s.highlight) other++;
    }
    const end = lastDefined(x, trace.y);
    if (end) labels.push({ ...end, text: name, color: trace.line?.color });
    data.push(trace);
    const undef = undefinedMarkers(x, s.y, `${name}<br>`);
    if (undef && s.customdata) {
      undef.customdata = s.y.map((v, i) => (isNum(v) ? -1 : i)).filter((i) => i >= 0).map((i) => s.customdata[i]);
      undef.hovertemplate = `${name}<br>%{customdata}<br>undefined<extra></extra>`;
    }
    if (undef) data.push(undef);
  }
  // The highlighted series last, so it is drawn on top.
  data.sort((a, b) => (a.line?.width === 4) - (b.line?.width === 4));
  const xs = opts.x ?? opts.series[0].x ?? [];
  const xtype = opts.xtype ?? 'category';
  const layout = baseLayout(opts.title, {
    xaxis: {
      title: { text: esc(opts.xtitle ?? '') }, type: xtype, automargin: true, zeroline: false,
      tickangle: xtype === 'category' ? tickAngle(xs) : 0,
    },
    yaxis: { title: { text: esc(opts.ytitle ?? '') }, automargin: true },
    legend: { x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' },
    hovermode: 'closest',
    height: opts.height ?? 400,
  });
  // Direct labels at the line ends (few series): read without matching colours to a legend.
  if (labels.length > 1 && labels.length <= DIRECT_LABELS) {
    layout.annotations = labels.map((l) => ({
      x: l.x, y: l.y, text: l.text, xanchor: 'left', xshift: 8, showarrow: false,
      font: { size: 11, color: l.color ?? COLORS.ink }, name: 'direct-label',
    }));
    layout.showlegend = false;
    layout.margin = { ...layout.margin, r: Math.min(160, 20 + 6.5 * Math.max(...labels.map((l) => String(l.text).length))) };
  }
  if (opts.xrange) layout.xaxis.range = opts.xrange;
  if (opts.yrange) layout.yaxis.range = opts.yrange;
  return { data, layout };
}

/** The last point of a series with a value, {x, y}; null when none. */
function lastDefined(x, y) {
  for (let i = y.length - 1; i >= 0; i--) if (isNum(y[i])) return { x: x[i], y: y[i] };
  return null;
}

/** A square image of an RDM (matrix[i][j], labels of the stimuli). */
export function rdmImage(container, matrix, labels, title, options = {}) {
  const names = labels ?? matrix.map((_, i) => String(i));
  return heatmap(container, {
    z: matrix,
    x: names,
    y: names,
    title,
    xtitle: options.xtitle ?? 'stimulus',
    ytitle: options.ytitle ?? 'stimulus',
    ztitle: options.ztitle ?? 'dissimilarity',
    hover: { row: 'stimulus', col: 'stimulus', value: options.ztitle ?? 'dissimilarity' },
    colorscale: options.colorscale ?? 'Viridis',
    zmin: options.zmin,
    zmax: options.zmax,
    square: true,
    height: options.height ?? Math.min(640, Math.max(360, 200 + 20 * names.length)),
    caption: options.caption ?? `${title ?? 'RDM'}: the dissimilarity of every pair of stimuli (row vs column).`,
    filename: options.filename ?? title ?? 'rdm',
    kind: 'rdm',
  });
}

/**
 * A 2-D scatter of MDS coordinates: points[i] = [x, y], labels[i] on hover, groups[i] (optional)
 * a group name per point (one colour and legend entry each).
 */
export function mdsScatter(container, points, labels, groups, title, options = {}) {
  const { plot } = figure(container, {
    caption: options.caption ?? `${title ?? 'MDS'}: classical multidimensional scaling of the dissimilarities; nearby points are represented alike.`,
    filename: options.filename ?? title ?? 'mds',
    kind: 'mds',
  });
  const keys = groups ? [...new Set(groups)] : [null];
  const data = keys.map((g) => {
    const idx = points.map((_, i) => i).filter((i) => !groups || groups[i] === g);
    return {
      type: 'scatter',
      mode: 'markers',
      name: g === null ? 'stimuli' : esc(g),
      x: idx.map((i) => points[i][0]),
      y: idx.map((i) => points[i][1]),
      customdata: idx.map((i) => esc(labels ? labels[i] : i)),
      marker: { size: 9, line: { width: 0.5, color: '#ffffff' } },
      hovertemplate: `%{customdata}${g === null ? '' : `<br>${esc(g)}`}<br>(%{x:.4f}, %{y:.4f})<extra></extra>`,
    };
  });
  const layout = baseLayout(title, {
    xaxis: { title: { text: 'MDS 1' }, zeroline: false, automargin: true },
    yaxis: { title: { text: 'MDS 2' }, zeroline: false, automargin: true, scaleanchor: 'x' },
    showlegend: keys.length > 1,
    height: options.height ?? 460,
    hovermode: 'closest',
  });
  return draw(plot, data, layout);
}
