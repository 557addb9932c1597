// idlab result views: the plots for a result document (spec.idlab == 2), each in
// its own <figure> with a caption and PNG / SVG download buttons. Plain ES module;
// Plotly is the classic script vendor/plotly.min.js (window.Plotly).
//
//   renderResult(container, result)            -> Promise<HTMLElement[]> (the plot divs, once drawn)
//   heatmap(container, {z, x, y, ...})         -> plot div
//   bars(container, {x, y, error, highlight, title, ytitle, ...}) -> plot div
//   lines(container, {x, series, title, xtitle, ytitle, ...})     -> plot div
//   rdmImage(container, matrix, labels, title, options?)          -> plot div
//   mdsScatter(container, points, labels, groups, title, options?) -> plot div
//   verdict(result, entry)                     -> "The correct architecture (alexnet) won at 7 of 8 target layers; ..."
//   specificitySummary(entry)                  -> "RSA (without noise): same-layer predictivity 0.8889 (16 of 18 ...); silhouette 0.4392."
//   rendered(plotDiv)                          -> Promise resolved when that plot is drawn
//
// Values may be null (a score undefined for that pair): they are never drawn as 0,
// and their tooltips say "undefined".

const COLORS = {
  accent: '#2c5fb8',
  grey: '#9aa1ad',
  lost: '#a3161b',
  ink: '#1b1f2a',
  band: 'rgba(84, 91, 107, 0.18)',
};
const DASHES = ['dot', 'dash', 'dashdot', 'longdash', 'longdashdot', 'solid'];
const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 13, color: COLORS.ink };
const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['toImage'] };

/** Display names of the metrics (registry names as keys); others are shown as they are. */
export const METRIC_NAMES = {
  cka: 'linear CKA',
  'cka-debiased': 'debiased CKA',
  'cka-rbf': 'RBF CKA',
  rsa: 'RSA',
  regression: 'ridge regression',
  'soft-matching': 'soft matching',
  procrustes: 'Procrustes',
  nrp: 'NRP',
};

const pending = new WeakMap();

function plotly() {
  const P = window.Plotly;
  if (!P) throw new Error('the plotting library (vendor/plotly.min.js) did not load');
  return P;
}

/** A number with 4 decimals, or "undefined" for null / NaN / missing. */
export function formatValue(v, digits = 4) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'undefined';
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** Text safe inside a Plotly hovertemplate / title (which read a little HTML and %{...}). */
function esc(s) {
  return String(s)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/%\{/g, '%&#123;');
}

export function metricName(metric) {
  return METRIC_NAMES[metric] || String(metric);
}

/** The first letter upper-cased, for a sentence that starts with a metric's name. */
const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** Long or many tick labels are rotated. */
function tickAngle(labels) {
  return labels.some((l) => String(l).length > 8) || labels.length > 12 ? -45 : 0;
}

/** A caption for a generic plot given none: "title: ytitle per xtitle." */
function defaultCaption(opts) {
  const what = opts.ytitle ? `${opts.ytitle}${opts.xtitle ? ` per ${opts.xtitle}` : ''}` : '';
  const text = [opts.title, what].filter(Boolean).join(': ');
  return text ? `${text}.` : '';
}

function slug(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'plot';
}

function baseLayout(title, extra = {}) {
  return {
    title: title ? { text: esc(title), font: { size: 15 } } : undefined,
    font: FONT,
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    margin: { t: title ? 50 : 20, r: 20, b: 40, l: 50 },
    hoverlabel: { font: { family: FONT.family } },
    ...extra,
  };
}

/** Draws and remembers the promise, so that rendered(gd) can wait for it. */
function draw(gd, data, layout) {
  const done = plotly().newPlot(gd, data, layout, CONFIG);
  pending.set(gd, Promise.resolve(done).then(() => gd));
  return gd;
}

/** Resolves with the plot div once Plotly has drawn it. */
export function rendered(gd) {
  return pending.get(gd) || Promise.resolve(gd);
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
  const actions = document.createElement('div');
  actions.className = 'idlab-figure-actions';
  for (const format of ['png', 'svg']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'idlab-download';
    b.dataset.format = format;
    b.textContent = format.toUpperCase();
    b.title = `Download this plot as ${format.toUpperCase()}`;
    b.setAttribute('aria-label', `Download this plot as ${format.toUpperCase()}`);
    b.addEventListener('click', () => {
      plotly().downloadImage(plot, { format, filename: slug(filename) });
    });
    actions.append(b);
  }
  cap.append(actions);
  fig.append(plot, cap);
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
  const { z, x, y } = opts;
  const row = esc(opts.hover?.row ?? opts.ytitle ?? 'row');
  const col = esc(opts.hover?.col ?? opts.xtitle ?? 'column');
  const value = esc(opts.hover?.value ?? opts.ztitle ?? 'value');
  const head = `${row}: %{y}<br>${col}: %{x}<br>${value}: `;
  const what = [opts.ztitle ?? 'value', opts.ytitle && `of every ${opts.ytitle} (rows)`, opts.xtitle && `against every ${opts.xtitle} (columns)`]
    .filter(Boolean).join(' ');
  const { plot } = figure(container, {
    caption: opts.caption ?? `${opts.title ? `${opts.title}: ` : ''}${what}.`,
    filename: opts.filename ?? opts.title, kind: opts.kind ?? 'heatmap',
  });
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
  return draw(plot, data, layout);
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
  const { x, y } = opts;
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
 * caption, filename, kind}. A highlighted series is thick and blue, the others thin, grey and dashed
 * (when any series is highlighted); without highlights Plotly's colours are used.
 */
export function lines(container, opts) {
  const { plot } = figure(container, {
    caption: opts.caption ?? defaultCaption(opts), filename: opts.filename ?? opts.title, kind: opts.kind ?? 'lines',
  });
  const { data, layout } = linesFigure(opts);
  return draw(plot, data, layout);
}

function linesFigure(opts) {
  const anyHighlight = opts.series.some((s) => s.highlight);
  const value = esc(opts.hover ?? opts.ytitle ?? 'value');
  const data = [];
  let other = 0;
  for (const s of opts.series) {
    const x = s.x ?? opts.x;
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
      trace.line = s.highlight
        ? { color: COLORS.accent, width: 4 }
        : { color: COLORS.grey, width: 1.5, dash: DASHES[other++ % DASHES.length] };
      trace.marker = { color: s.highlight ? COLORS.accent : COLORS.grey, size: s.highlight ? 9 : 6 };
    }
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
  if (opts.xrange) layout.xaxis.range = opts.xrange;
  if (opts.yrange) layout.yaxis.range = opts.yrange;
  return { data, layout };
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

// ---------------------------------------------------------------- the result document

function modelIndex(result) {
  const byId = new Map((result.models ?? []).map((m) => [m.id, m]));
  const get = (id) => byId.get(id) ?? { id, label: String(id), layers: [] };
  return { byId, get };
}

function modelLabel(m) {
  return m.label ?? (m.arch !== undefined ? (m.seed !== undefined && m.seed !== null ? `${m.arch} seed ${m.seed}` : m.arch) : m.id);
}

/** The correct source's architecture (or label) for the verdict. */
function archName(m) {
  return m.arch ?? modelLabel(m);
}

/**
 * One line about an identifiability entry: "The correct architecture (alexnet) won at 7 of 8
 * target layers; it lost at features.3 (vgg11 seed 0 won)."
 */
export function verdict(result, entry) {
  const { get } = modelIndex(result);
  const layers = entry.layers ?? [];
  const won = layers.filter((l) => l.correct_won === true).length;
  const lost = layers.filter((l) => l.correct_won === false);
  const undef = layers.filter((l) => l.correct_won !== true && l.correct_won !== false);
  let text = `The correct architecture (${archName(get(entry.correct_source))}) won at ${won} of ${layers.length} target layer${layers.length === 1 ? '' : 's'}`;
  if (lost.length) {
    text += `; it lost at ${lost.map((l) => (l.best_source ? `${l.layer} (${modelLabel(get(l.best_source))} won)` : l.layer)).join(', ')}`;
  }
  if (undef.length) text += `; undefined at ${undef.map((l) => l.layer).join(', ')}`;
  return `${text}.`;
}

function section(container, heading, className) {
  const s = document.createElement('section');
  s.className = `idlab-views-section ${className}`;
  const h = document.createElement('h3');
  h.textContent = heading;
  s.append(h);
  container.append(s);
  return s;
}

/** More layer-by-layer heatmaps than this are folded into a closed <details>. */
const FOLD_HEATMAPS = 6;

/** A closed <details> in `container`; its plots are resized when it opens (drawn while hidden). */
function fold(container, summary) {
  const d = document.createElement('details');
  d.className = 'idlab-fold';
  const s = document.createElement('summary');
  s.textContent = summary;
  d.append(s);
  d.addEventListener('toggle', () => {
    if (d.open) for (const gd of d.querySelectorAll('.js-plotly-plot')) plotly().Plots.resize(gd);
  });
  container.append(d);
  return d;
}

/** " · textures" for an entry of a run over several stimulus sets, else "". */
function setSuffix(result, entry) {
  if (!Number.isInteger(entry?.set)) return '';
  return ` · ${result.stimulus_sets?.[entry.set]?.name ?? `set ${entry.set}`}`;
}

const sameSet = (a, b) => (a.set ?? null) === (b.set ?? null);

function isRdmScore(score, get) {
  return ['rdms', 'dataset'].includes(get(score.target).kind);
}

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
  const { get } = modelIndex(result);
  const scores = result.scores ?? [];
  const plots = [];
  const base = slug(result.spec?.name ?? 'idlab').slice(0, 40).replace(/-+$/, '');

  if ((result.by_stimuli ?? []).length) plots.push(...stimulusSetViews(container, result, get, base));
  const spec = result.specificity ?? [];
  if (spec.length) {
    const sec = section(container, 'Predictivity vs specificity', 'idlab-specificity');
    for (const entry of spec) plots.push(...specificityViews(sec, entry, base, setSuffix(result, entry)));
  }

  if ((result.scores ?? []).some((sc) => sc.detail && sc.detail.mlp_mae && sc.detail.ridge_mae)) {
    plots.push(...mappingViews(container, result, get, base));
  }
  plots.push(...pruningViews(container, result, get, base));

  const ident = result.identifiability ?? [];
  if (ident.length) {
    const picker = ident.length > PICK_ABOVE ? identifiabilityPicker(container, result, ident, get) : null;
    ident.forEach((entry, k) => {
      const views = identifiabilityViews(container, result, entry, get, base);
      plots.push(...views);
      if (picker) picker.add(k, views[0].closest('section'));
    });
    if (picker) picker.show(0);
  }

  for (const entry of result.class_comparison ?? []) plots.push(classView(container, result, entry, get, base));

  const rdmScores = scores.filter((s) => isRdmScore(s, get));
  if (rdmScores.length) {
    const sec = section(container, 'Models against neural RDMs', 'idlab-neural');
    for (const score of rdmScores) plots.push(...rdmBars(sec, result, score, get, base));
  }

  const maps = scores.filter((s) => !isRdmScore(s, get)).filter((s) => {
    const rows = s.values?.length ?? 0;
    const cols = s.values?.[0]?.length ?? 0;
    return rows > 1 || cols > 1;
  });
  if (maps.length) {
    const sec = section(container, 'Layer by layer', 'idlab-heatmaps');
    // Many tables (a preset scores every source against every target): folded away, one click to open.
    const host = maps.length > FOLD_HEATMAPS ? fold(sec, `Show all ${maps.length} layer-by-layer heatmaps`) : sec;
    for (const score of maps) plots.push(scoreHeatmap(host, score, get, base, setSuffix(result, score)));
  }

  if (!plots.length) {
    const p = document.createElement('p');
    p.className = 'idlab-empty';
    p.textContent = 'This result has nothing to plot (one layer against one layer): see the values in the downloads.';
    container.append(p);
  }
  return Promise.all(plots.map(rendered));
}

function scoreHeatmap(container, score, get, base, suffix = '') {
  const src = get(score.source);
  const tgt = get(score.target);
  const metric = metricName(score.metric);
  const rows = score.values.length;
  const cols = score.values[0]?.length ?? 0;
  const srcLayers = src.layers?.length === rows ? src.layers : score.values.map((_, i) => `layer ${i}`);
  const tgtLayers = tgt.layers?.length === cols ? tgt.layers : score.values[0].map((_, j) => `layer ${j}`);
  const hasNull = score.values.some((r) => r.some((v) => !isNum(v)));
  const unit = score.metric === 'cka' || score.metric === 'cka-rbf'; // in [0, 1]: one colour scale for every heatmap
  const gd = heatmap(container, {
    z: score.values,
    x: tgtLayers,
    y: srcLayers,
    title: `${metric}: ${modelLabel(src)} vs ${modelLabel(tgt)}${suffix}`,
    xtitle: `${modelLabel(tgt)} layer`,
    ytitle: `${modelLabel(src)} layer`,
    ztitle: metric,
    hover: { row: modelLabel(src), col: modelLabel(tgt), value: metric },
    zmin: unit ? 0 : undefined,
    zmax: unit ? 1 : undefined,
    caption: `${sentence(metric)} between every layer of ${modelLabel(src)} (rows, ${rows} layers) and every layer of ` +
      `${modelLabel(tgt)} (columns, ${cols} layers). Hover a cell for its exact value.` +
      (hasNull ? ' Blank cells are undefined for that pair (for example a constant layer).' : '') +
      (score.better === 'lower' ? ` ${sentence(metric)} is a distance: lower values mean more similar.` : ''),
    filename: `${base}-${score.metric}-${score.source}-${score.target}${Number.isInteger(score.set) ? `-set${score.set}` : ''}-heatmap`,
    kind: 'heatmap',
  });
  gd.dataset.metric = score.metric;
  gd.dataset.source = score.source;
  gd.dataset.target = score.target;
  return gd;
}

/** More identifiability entries than this (preset 1 has ten) are shown one at a time, chosen from a menu. */
const PICK_ABOVE = 4;

/**
 * A menu over the identifiability sections (target · metric · stimuli): one is shown at a
 * time, so a many-target result reads as one figure with a switch instead of a long page.
 */
function identifiabilityPicker(container, result, ident, get) {
  const bar = document.createElement('div');
  bar.className = 'idlab-picker';
  const label = document.createElement('label');
  label.textContent = `Identifiability of ${ident.length} target × metric pairs; show: `;
  const select = document.createElement('select');
  select.className = 'idlab-pick';
  ident.forEach((e, k) => {
    const o = document.createElement('option');
    o.value = String(k);
    o.textContent = `${modelLabel(get(e.target))} · ${metricName(e.metric)}${setSuffix(result, e)}`;
    select.append(o);
  });
  label.append(select);
  bar.append(label);
  container.append(bar);
  const sections = [];
  const show = (k) => {
    select.value = String(k);
    sections.forEach((sec, j) => {
      sec.hidden = j !== k;
      if (j === k) for (const gd of sec.querySelectorAll('.js-plotly-plot')) plotly().Plots.resize(gd);
    });
  };
  select.addEventListener('change', () => show(Number(select.value)));
  return { add: (k, sec) => { sections[k] = sec; }, show };
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

function identifiabilityViews(container, result, entry, get, base) {
  const tgt = get(entry.target);
  const correct = get(entry.correct_source);
  const metric = metricName(entry.metric);
  const sec = section(container, `Identifiability: ${modelLabel(tgt)} (${metric})${setSuffix(result, entry)}`, 'idlab-identifiability');
  sec.dataset.target = entry.target;
  if (Number.isInteger(entry.set)) sec.dataset.set = String(entry.set);
  sec.dataset.metric = entry.metric;
  const line = document.createElement('p');
  line.className = 'idlab-verdict';
  line.textContent = verdict(result, entry);
  sec.append(line);

  const layers = entry.layers ?? [];
  const targetLayers = layers.map((l) => l.layer);
  // Sources in the models' order, then any only named in best_per_source.
  const sourceIds = [];
  for (const m of result.models ?? []) if (m.role === 'source') sourceIds.push(m.id);
  for (const l of layers) for (const id of Object.keys(l.best_per_source ?? {})) if (!sourceIds.includes(id)) sourceIds.push(id);
  const shown = sourceIds.filter((id) => layers.some((l) => l.best_per_source && id in l.best_per_source));
  const plots = [];
  const file = `${base}-${entry.metric}-${entry.target}${Number.isInteger(entry.set) ? `-set${entry.set}` : ''}`;

  // 1. Best layer of every source, per target layer.
  const best = lines(sec, {
    x: targetLayers,
    series: shown.map((id) => ({
      name: id === entry.correct_source ? `${modelLabel(get(id))} (correct)` : modelLabel(get(id)),
      y: layers.map((l) => l.best_per_source?.[id] ?? null),
      highlight: id === entry.correct_source,
    })),
    title: `Best layer of each source vs ${modelLabel(tgt)}`,
    xtitle: `${modelLabel(tgt)} layer`,
    ytitle: `${metric} of the best source layer`,
    hover: metric,
    caption: `For each layer of ${modelLabel(tgt)}: the ${metric} of every source model's best-matching layer. ` +
      `The correct source, ${modelLabel(correct)}, is the thick blue line; the other sources are thin grey lines.`,
    filename: `${file}-best`,
    kind: 'identifiability-best',
  });
  best.dataset.correct = entry.correct_source;
  plots.push(best);

  // 2. The identifiability index per target layer, blue where the correct source won.
  const index = bars(sec, {
    x: targetLayers,
    y: layers.map((l) => l.index ?? null),
    colors: layers.map((l) => (l.correct_won === true ? COLORS.accent : l.correct_won === false ? COLORS.lost : COLORS.grey)),
    customdata: layers.map((l) => [formatValue(l.match), formatValue(l.nonmatch_mean), l.best_source ? esc(modelLabel(get(l.best_source))) : 'undefined']),
    customHover: `${esc(modelLabel(tgt))} · %{x}<br>identifiability index: %{y:.4f}<br>correct source: %{customdata[0]}` +
      '<br>mean of the others: %{customdata[1]}<br>best: %{customdata[2]}<extra></extra>',
    title: `Identifiability index per ${modelLabel(tgt)} layer`,
    xtitle: `${modelLabel(tgt)} layer`,
    ytitle: 'identifiability index',
    caption: `The identifiability index per layer of ${modelLabel(tgt)}, from the score of the correct source ` +
      `(${modelLabel(correct)}) and the mean of the other sources: above 0 the correct source stands out. ` +
      'Blue bars: the correct source scored best; red: another source did.',
    filename: `${file}-index`,
    kind: 'identifiability-index',
  });
  plots.push(index);

  // 3. Every source layer against one chosen target layer, over relative depth.
  const related = (result.scores ?? []).filter((s) => s.metric === entry.metric && s.target === entry.target && sameSet(s, entry));
  if (related.length) plots.push(depthView(sec, entry, related, get, file));
  return plots;
}

function depthView(container, entry, related, get, file) {
  const tgt = get(entry.target);
  const metric = metricName(entry.metric);
  const cols = related[0].values[0]?.length ?? 0;
  const tgtLayers = tgt.layers?.length === cols ? tgt.layers : (entry.layers ?? []).map((l) => l.layer);
  const { figure: fig, plot } = figure(container, {
    caption: `${sentence(metric)} of every layer of every source model against the chosen layer of ${modelLabel(tgt)}. ` +
      'x is the source layer\'s relative depth (0: its first recorded layer, 1: its last), so models of different ' +
      `depth share the axis. The correct source, ${modelLabel(get(entry.correct_source))}, is the thick blue line.`,
    filename: `${file}-depth`,
    kind: 'identifiability-depth',
  });
  const pick = document.createElement('div');
  pick.className = 'idlab-select';
  const label = document.createElement('label');
  const select = document.createElement('select');
  select.id = `idlab-depth-${slug(file)}-${Math.random().toString(36).slice(2, 8)}`;
  label.htmlFor = select.id;
  label.textContent = `${modelLabel(tgt)} layer`;
  tgtLayers.forEach((name, j) => select.append(new Option(name, String(j))));
  select.value = String(Math.max(0, cols - 1));
  pick.append(label, select);
  fig.insertBefore(pick, plot);

  const figureFor = (j) => linesFigure({
    series: related.map((s) => {
      const src = get(s.source);
      const n = s.values.length;
      const names = src.layers?.length === n ? src.layers : s.values.map((_, i) => `layer ${i}`);
      return {
        name: s.source === entry.correct_source ? `${modelLabel(src)} (correct)` : modelLabel(src),
        x: s.values.map((_, i) => (n === 1 ? 1 : i / (n - 1))),
        y: s.values.map((r) => r[j] ?? null),
        customdata: names.map(esc),
        highlight: s.source === entry.correct_source,
      };
    }),
    title: `Every source layer vs ${modelLabel(tgt)} · ${tgtLayers[j]}`,
    xtitle: 'relative depth of the source layer',
    ytitle: metric,
    hover: metric,
    xtype: 'linear',
    xrange: [-0.05, 1.05],
  });
  const first = figureFor(Number(select.value));
  draw(plot, first.data, first.layout);
  plot.dataset.correct = entry.correct_source;
  plot.dataset.targetLayer = select.value;
  select.addEventListener('change', () => {
    const next = figureFor(Number(select.value));
    plot.dataset.targetLayer = select.value;
    pending.set(plot, Promise.resolve(plotly().react(plot, next.data, next.layout, CONFIG)).then(() => plot));
  });
  return plot;
}

/**
 * A run over several stimulus sets: per metric, the mean identifiability index of
 * every target on every set (grouped bars, one colour per set), with the wins in the tooltip.
 */
function stimulusSetViews(container, result, get, base) {
  const sec = section(container, 'Identifiability per stimulus set', 'idlab-sets');
  const sets = result.stimulus_sets ?? [];
  const metrics = [...new Set(result.by_stimuli.map((b) => b.metric))];
  const palette = [COLORS.accent, '#c26a12', '#2f8f5b', '#8a4fb8', '#a3161b', '#545b6b'];
  return metrics.map((m) => {
    const rows = result.by_stimuli.filter((b) => b.metric === m);
    const targets = [...new Set(rows.map((b) => b.target))];
    const x = targets.map((t) => modelLabel(get(t)));
    const data = sets.map((set, k) => {
      const per = targets.map((t) => rows.find((b) => b.target === t && b.set === set.index));
      return {
        type: 'bar', name: esc(set.name), x,
        y: per.map((b) => (b && isNum(b.mean_index) ? b.mean_index : null)),
        marker: { color: palette[k % palette.length] },
        customdata: per.map((b) => [b ? `${b.correct_won} of ${b.layers}` : 'not run', String(set.n_stimuli)]),
        hovertemplate: `${esc(set.name)} (%{customdata[1]} images) · %{x}<br>mean identifiability index: %{y:.4f}` +
          '<br>correct architecture best at %{customdata[0]} target layers<extra></extra>',
      };
    });
    const metric = metricName(m);
    const { plot } = figure(sec, {
      caption: `The identifiability index by ${metric}, averaged over each target's layers, on each stimulus set ` +
        `(${sets.map((s) => `${s.name}: ${s.n_stimuli} images`).join('; ')}). Higher: the correct architecture stands out ` +
        'more from the others. Hover a bar for how many target layers the correct architecture won.',
      filename: `${base}-${m}-stimulus-sets`,
      kind: 'stimulus-sets',
    });
    plot.dataset.metric = m;
    const layout = baseLayout(`Identifiability per stimulus set (${metric})`, {
      barmode: 'group',
      xaxis: { title: { text: 'target' }, type: 'category', tickangle: tickAngle(x), automargin: true },
      yaxis: { title: { text: 'mean identifiability index' }, automargin: true, zeroline: true },
      legend: { x: 1.02, xanchor: 'left', y: 1, yanchor: 'top', title: { text: 'stimuli' } },
      height: 400,
    });
    return draw(plot, data, layout);
  });
}

const PALETTE = [COLORS.accent, '#c26a12', '#2f8f5b', '#8a4fb8', '#a3161b', '#545b6b', '#1b8a9e', '#b5a000'];

/** Source layer names of a score table (the model's, or "layer i"). */
function rowNames(model, rows) {
  return model.layers?.length === rows ? model.layers : Array.from({ length: rows }, (_, i) => `layer ${i}`);
}

/**
 * NRP scores (seed 002): per target (column), the held-out mean absolute error of the MLP
 * (solid) and of ridge regression on the same splits (dashed) over the source's layers, one
 * colour per source; R² in the tooltips.
 */
function mappingViews(container, result, get, base) {
  const nrp = (result.scores ?? []).filter((sc) => sc.detail && sc.detail.mlp_mae && sc.detail.ridge_mae);
  const sec = section(container, 'Linear vs nonlinear mapping (ridge vs MLP)', 'idlab-mapping');
  const plots = [];
  const targets = [...new Set(nrp.map((sc) => `${sc.target}|${sc.set ?? ''}`))];
  for (const key of targets) {
    const scores = nrp.filter((sc) => `${sc.target}|${sc.set ?? ''}` === key);
    const tgt = get(scores[0].target);
    const cols = scores[0].values[0]?.length ?? 0;
    for (let j = 0; j < cols; j++) {
      const tl = rowNames(tgt, cols)[j];
      const where = cols > 1 ? `${modelLabel(tgt)} ${tl}` : modelLabel(tgt);
      const data = [];
      scores.forEach((sc, k) => {
        const src = get(sc.source);
        const x = rowNames(src, sc.values.length);
        const color = PALETTE[k % PALETTE.length];
        for (const [kind, dash] of [['mlp', 'solid'], ['ridge', 'dash']]) {
          const mae = sc.detail[`${kind}_mae`].map((r) => (isNum(r[j]) ? r[j] : null));
          const r2 = sc.detail[`${kind}_r2`]?.map((r) => formatValue(r[j])) ?? x.map(() => 'undefined');
          data.push({
            type: 'scatter', mode: 'lines+markers', x, y: mae, customdata: r2,
            name: `${esc(modelLabel(src))} · ${kind === 'mlp' ? 'MLP' : 'ridge'}`,
            line: { color, dash, width: kind === 'mlp' ? 3 : 2 }, marker: { color, size: 7, symbol: kind === 'mlp' ? 'circle' : 'square-open' },
            hovertemplate: `${esc(modelLabel(src))} · %{x}<br>${kind === 'mlp' ? 'MLP' : 'ridge'} held-out MAE: %{y:.4f}<br>R²: %{customdata}<extra></extra>`,
          });
        }
      });
      const { plot } = figure(sec, {
        caption: `Held-out mean absolute error of predicting ${where} from each source layer: the nonlinear MLP mapping ` +
          '(NRP; solid lines) and ridge regression on the very same splits and features (dashed), one colour per source. ' +
          'Lower is better; hover for R². Where the solid line lies below the dashed one, a nonlinear readout predicts better.',
        filename: `${base}-nrp-${scores[0].target}-${j}-mapping`,
        kind: 'mapping',
      });
      plot.dataset.target = scores[0].target;
      const layout = baseLayout(`Mapping error: ${where}${setSuffix(result, scores[0])}`, {
        xaxis: { title: { text: 'source layer' }, type: 'category', automargin: true },
        yaxis: { title: { text: 'held-out mean absolute error' }, automargin: true },
        legend: { x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' },
        hovermode: 'closest',
        height: 420,
      });
      plots.push(draw(plot, data, layout));
    }
  }
  return plots;
}

/**
 * Pruning (seed 002): when sources are one model (architecture and seed) at several
 * sparsities, each metric's score against each target over sparsity, one line per source layer.
 */
function pruningViews(container, result, get, base) {
  const models = result.models ?? [];
  const sources = models.filter((m) => m.role === 'source' && m.kind === 'zoo');
  const families = new Map();
  for (const m of sources) {
    const key = `${m.arch}|${m.seed}`;
    if (!families.has(key)) families.set(key, []);
    families.get(key).push(m);
  }
  const pruned = [...families.values()].filter((f) => new Set(f.map((m) => m.prune ?? 0)).size > 1);
  if (!pruned.length) return [];
  const sec = section(container, 'Pruning: scores over sparsity', 'idlab-pruning');
  const plots = [];
  for (const family of pruned) {
    family.sort((a, b) => (a.prune ?? 0) - (b.prune ?? 0));
    const ids = family.map((m) => m.id);
    const x = family.map((m) => Math.round((m.prune ?? 0) * 1000) / 10);
    const groups = new Map();
    for (const sc of result.scores ?? []) {
      if (!ids.includes(sc.source)) continue;
      const key = `${sc.metric}|${sc.target}|${sc.set ?? ''}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(sc);
    }
    for (const scores of groups.values()) {
      const first = scores[0];
      const tgt = get(first.target);
      const cols = first.values[0]?.length ?? 0;
      const metric = metricName(first.metric);
      const layers = rowNames(family[0], first.values.length);
      for (let j = 0; j < cols; j++) {
        const where = cols > 1 ? `${modelLabel(tgt)} ${rowNames(tgt, cols)[j]}` : modelLabel(tgt);
        const series = layers.map((layer, i) => ({
          name: layer,
          x,
          y: ids.map((id) => scores.find((sc) => sc.source === id)?.values[i]?.[j] ?? null),
        }));
        const gd = lines(sec, {
          x,
          xtype: 'linear',
          series,
          title: `${sentence(metric)} against ${where} as ${family[0].arch} seed ${family[0].seed} is pruned${setSuffix(result, first)}`,
          xtitle: 'sparsity (% of each weight tensor pruned)',
          ytitle: metric,
          hover: metric,
          caption: `${sentence(metric)} of each layer of ${family[0].arch} seed ${family[0].seed} against ${where}, with ` +
            `${x.map((v) => `${v}%`).join(', ')} of every conv and linear weight tensor set to zero (smallest |w| first, ` +
            'layer by layer). Flat lines: pruning leaves the layer\'s predictivity intact.' +
            (first.better === 'lower' ? ` ${sentence(metric)} is a distance: lower is better.` : ''),
          filename: `${base}-${first.metric}-${first.target}-${j}-pruning`,
          kind: 'pruning',
        });
        gd.dataset.metric = first.metric;
        gd.dataset.target = first.target;
        plots.push(gd);
      }
    }
  }
  return plots;
}

/** Colours of the two classes of a class comparison. */
const CLASS_COLORS = [COLORS.accent, '#c26a12'];

/**
 * The spec's `classes` on one target: per target layer, each class's mean ± sd
 * (lines with error bars), each architecture's best score (points), and the
 * Welch test (★ where p < alpha, "n.s." where not, "–" where undefined).
 */
function classView(container, result, entry, get, base) {
  const tgt = get(entry.target);
  const metric = metricName(entry.metric);
  const layers = entry.layers ?? [];
  const x = layers.map((l) => l.layer);
  const names = layers[0]?.groups.map((g) => g.name) ?? [];
  const sec = section(container, `${sentence(names.join(' vs '))}: ${modelLabel(tgt)} (${metric})${setSuffix(result, entry)}`, 'idlab-classes');
  sec.dataset.target = entry.target;
  sec.dataset.metric = entry.metric;
  const sig = layers.filter((l) => l.significant).length;
  const line = document.createElement('p');
  line.className = 'idlab-verdict';
  line.textContent = `${sentence(names.join(' and '))} differ (Welch's t-test, p < ${entry.alpha}) at ${sig} of ${layers.length} ` +
    `layers of ${modelLabel(tgt)}` + (entry.excluded_arch ? `; ${entry.excluded_arch}, the target's own architecture, is left out.` : '.');
  sec.append(line);
  const data = [];
  names.forEach((name, g) => {
    const color = CLASS_COLORS[g % CLASS_COLORS.length];
    const stats = layers.map((l) => l.groups[g]);
    data.push({
      type: 'scatter', mode: 'lines+markers', name: `${esc(name)} mean ± sd`, x,
      y: stats.map((s) => (isNum(s.mean) ? s.mean : null)),
      error_y: { type: 'data', array: stats.map((s) => (isNum(s.sd) ? s.sd : 0)), visible: true, color, thickness: 1.2, width: 5 },
      line: { color, width: 3 }, marker: { color, size: 8 },
      customdata: stats.map((s) => [formatValue(s.sd), String(s.n)]),
      hovertemplate: `${esc(name)} · %{x}<br>mean: %{y:.4f}<br>sd: %{customdata[0]}<br>architectures: %{customdata[1]}<extra></extra>`,
    });
    const px = [];
    const py = [];
    const pt = [];
    stats.forEach((s, j) => {
      for (const [arch, v] of Object.entries(s.best_per_arch ?? {})) {
        px.push(x[j]);
        py.push(v);
        pt.push(esc(arch));
      }
    });
    data.push({
      type: 'scatter', mode: 'markers', name: `${esc(name)} architectures`, x: px, y: py, text: pt,
      marker: { color, size: 6, symbol: g === 0 ? 'circle-open' : 'diamond-open' },
      hovertemplate: `%{text} (${esc(name)}) · %{x}<br>best ${esc(metric)}: %{y:.4f}<extra></extra>`,
    });
  });
  const ys = data.flatMap((d) => d.y.filter(isNum));
  const top = ys.length ? Math.max(...ys) : 1;
  const low = ys.length ? Math.min(...ys) : 0;
  const pad = 0.08 * Math.max(1e-9, top - low);
  data.push({
    type: 'scatter', mode: 'text', name: 'Welch test', x,
    y: x.map(() => top + pad),
    text: layers.map((l) => (l.significant ? '★' : isNum(l.p_value) ? 'n.s.' : '–')),
    textfont: { size: 13, color: COLORS.ink },
    customdata: layers.map((l) => [formatValue(l.t), formatValue(l.df), formatValue(l.p_value), esc(l.note ?? '')]),
    hovertemplate: '%{x}<br>t: %{customdata[0]}, df: %{customdata[1]}<br>p: %{customdata[2]}<br>%{customdata[3]}<extra></extra>',
    showlegend: false,
  });
  const { plot } = figure(sec, {
    caption: `For each layer of ${modelLabel(tgt)}: every source architecture's best ${metric} over its layers (open markers), ` +
      `and the mean ± sd of each class (lines). ★: the classes differ by Welch's t-test at p < ${entry.alpha}; n.s.: not significant; ` +
      '–: no test (a class has fewer than 2 architectures there). Hover for t, df and p.',
    filename: `${base}-${entry.metric}-${entry.target}-classes`,
    kind: 'classes',
  });
  const layout = baseLayout(`${sentence(names.join(' vs '))} on ${modelLabel(tgt)}`, {
    xaxis: { title: { text: `${esc(modelLabel(tgt))} layer` }, type: 'category', tickangle: tickAngle(x), automargin: true },
    yaxis: { title: { text: `best ${esc(metric)} per architecture` }, automargin: true, range: [low - pad, top + 2.5 * pad] },
    legend: { x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' },
    hovermode: 'closest',
    height: 420,
  });
  plot.dataset.target = entry.target;
  plot.dataset.metric = entry.metric;
  return draw(plot, data, layout);
}

function rdmBars(container, result, score, get, base) {
  const src = get(score.source);
  const tgt = get(score.target);
  const metric = metricName(score.metric);
  const rows = score.values.length;
  const srcLayers = src.layers?.length === rows ? src.layers : score.values.map((_, i) => `layer ${i}`);
  const cols = score.values[0]?.length ?? 0;
  const tgtLayers = tgt.layers?.length === cols ? tgt.layers : score.values[0].map((_, j) => `region ${j}`);
  const ceiling = (result.noise_ceilings ?? []).find((c) => c.target === score.target && c.metric === score.metric);
  const plots = [];
  for (let j = 0; j < cols; j++) {
    const per = score.per_subject ? score.values.map((_, i) => score.per_subject[i]?.[j] ?? null) : null;
    const stats = score.values.map((r, i) => {
      const subj = per && Array.isArray(per[i]) ? per[i].filter(isNum) : null;
      if (subj && subj.length) {
        const m = subj.reduce((a, b) => a + b, 0) / subj.length;
        const sd = subj.length > 1 ? Math.sqrt(subj.reduce((a, b) => a + (b - m) ** 2, 0) / (subj.length - 1)) : null;
        return { mean: m, sem: sd === null ? null : sd / Math.sqrt(subj.length), n: subj.length };
      }
      return { mean: isNum(r[j]) ? r[j] : null, sem: null, n: 0 };
    });
    const p = score.values.map((_, i) => score.p_values?.[i]?.[j] ?? null);
    const stars = p.map((v, i) => (isNum(v) && v < 0.05 ? i : -1)).filter((i) => i >= 0);
    const nSubjects = Math.max(0, ...stats.map((s) => s.n));
    const hasErr = stats.some((s) => isNum(s.sem));
    const shapes = [];
    const annotations = [];
    let yrange;
    if (ceiling && isNum(ceiling.lower) && isNum(ceiling.upper)) {
      shapes.push({
        type: 'rect', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: ceiling.lower, y1: ceiling.upper,
        fillcolor: COLORS.band, line: { width: 0 }, layer: 'below',
      });
      annotations.push({
        xref: 'paper', x: 1, xanchor: 'right', yref: 'y', y: ceiling.upper, yanchor: 'bottom',
        text: 'noise ceiling', showarrow: false, font: { size: 11, color: '#545b6b' },
      });
      const tops = stats.map((s) => (isNum(s.mean) ? s.mean + (s.sem ?? 0) : 0));
      const lows = stats.map((s) => (isNum(s.mean) ? s.mean - (s.sem ?? 0) : 0));
      const hi = Math.max(ceiling.upper, ...tops);
      const lo = Math.min(0, ceiling.lower, ...lows);
      yrange = [lo - 0.05 * (hi - lo), hi + 0.15 * (hi - lo)];
    }
    const region = tgtLayers[j];
    const regionText = region === modelLabel(tgt) ? modelLabel(tgt) : `${modelLabel(tgt)} (${region})`;
    let caption = `${sentence(metric)} between each layer of ${modelLabel(src)} and ${regionText}. `;
    caption += nSubjects > 0
      ? `Bars: the mean over ${nSubjects} subjects; error bars: the standard error of the mean (sd over subjects / √${nSubjects}). `
      : 'Bars: the score. ';
    if (shapes.length) caption += `The grey band is the noise ceiling (lower bound ${formatValue(ceiling.lower)}, upper bound ${formatValue(ceiling.upper)}). `;
    if (score.p_values) caption += '★ marks layers with p < 0.05 (permutation test, uncorrected). ';
    const gd = bars(container, {
      x: srcLayers,
      y: stats.map((s) => s.mean),
      error: hasErr ? stats.map((s) => s.sem) : undefined,
      customdata: stats.map((s, i) => [s.sem === null ? 'undefined' : formatValue(s.sem), formatValue(p[i]), String(s.n)]),
      customHover: `${esc(modelLabel(src))} · %{x}<br>${esc(metric)}${nSubjects ? ' (mean over %{customdata[2]} subjects)' : ''}: %{y:.4f}` +
        `${hasErr ? '<br>SEM: %{customdata[0]}' : ''}${score.p_values ? '<br>p: %{customdata[1]}' : ''}<extra></extra>`,
      stars,
      shapes,
      annotations,
      yrange,
      title: `${modelLabel(src)} vs ${regionText}`,
      xtitle: `${modelLabel(src)} layer`,
      ytitle: nSubjects ? `${metric} (mean over subjects)` : metric,
      caption: caption.trim(),
      filename: `${base}-${score.metric}-${score.source}-${score.target}-${j}-bars`,
      kind: 'rdm-bars',
    });
    gd.dataset.metric = score.metric;
    gd.dataset.source = score.source;
    gd.dataset.target = score.target;
    plots.push(gd);
  }
  return plots;
}
