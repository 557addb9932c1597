// Identifiability (the seed paper's question): for each target, does the correct source
// architecture score best? Per entry of result.identifiability: a verdict line, the best layer
// of every source per target layer, the identifiability index per target layer, and every source
// layer against a chosen target layer over relative depth. More than PICK_ABOVE entries are
// shown one at a time, chosen from a menu.

import { esc, formatValue, layerNames, metricName, modelLabel, modelsById, sentence, slug } from '../format.js';
import { COLORS, bars, figure, lines, linesFigure, draw, redraw, plotly } from './plot.js';
import { section, setSuffix, sameSet, fileBase, scoreWarnings } from './sections.js';

/**
 * Draws every entry of `result.identifiability` (a result document, spec.idlab == 2) into
 * `container`; returns the plot divs (wait for them with rendered()). options.base: the start
 * of the download names (default: from the spec's name).
 */
export function renderIdentifiability(container, result, { base = fileBase(result) } = {}) {
  const get = modelsById(result);
  const ident = result.identifiability ?? [];
  const plots = [];
  if (!ident.length) return plots;
  const picker = ident.length > PICK_ABOVE ? identifiabilityPicker(container, result, ident, get) : null;
  ident.forEach((entry, k) => {
    const views = identifiabilityViews(container, result, entry, get, base);
    plots.push(...views);
    if (picker) picker.add(k, views[0].closest('section'));
  });
  if (picker) picker.show(0);
  return plots;
}

/** The correct source's architecture (or label) for the verdict. */
function archName(m) {
  return m.arch ?? modelLabel(m);
}

/** A layer's outcome, "won", "tie" or "lost" (older results: from correct_won); null when undefined. */
export function layerOutcome(l) {
  if (l.outcome === 'won' || l.outcome === 'tie' || l.outcome === 'lost') return l.outcome;
  return l.correct_won === true ? 'won' : l.correct_won === false ? 'lost' : null;
}

/**
 * One line about an identifiability entry: "The correct architecture (alexnet) won at 5 of 8
 * target layers and tied at 2 (within one standard error ...); it lost at features.3 (vgg11 seed 0
 * won)." A tie is never called a win: a win needs the margin the result states.
 */
export function verdict(result, entry) {
  const get = modelsById(result);
  const layers = entry.layers ?? [];
  const by = (o) => layers.filter((l) => layerOutcome(l) === o);
  const won = by('won').length;
  const ties = by('tie');
  const lost = by('lost');
  const undef = layers.filter((l) => layerOutcome(l) === null);
  // A spec's `identity` (e.g. a training set) in place of the architecture names what was identified.
  const who = entry.identity
    ? `The correct source (identity ${entry.identity}: ${modelLabel(get(entry.correct_source))})`
    : `The correct architecture (${archName(get(entry.correct_source))})`;
  let text = `${who} won at ${won} of ${layers.length} target layer${layers.length === 1 ? '' : 's'}`;
  if (ties.length) {
    const basis = [...new Set(ties.map((l) => l.margin_basis).filter(Boolean))];
    text += ` and tied at ${ties.length} (${ties.map((l) => l.layer).join(', ')}: the margin was within ${basis.length ? basis.join('; ') : 'the noise'})`;
  }
  if (lost.length) {
    text += `; it lost at ${lost.map((l) => (l.best_source ? `${l.layer} (${modelLabel(get(l.best_source))} won)` : l.layer)).join(', ')}`;
  }
  if (undef.length) text += `; undefined at ${undef.map((l) => l.layer).join(', ')}`;
  const basis = [...new Set(layers.map((l) => l.margin_basis).filter(Boolean))];
  if (won && basis.length) text += `. A win needs a margin beyond ${basis.join('; ')}`;
  return `${text}.`;
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
  const warned = (result.scores ?? []).filter((s) => s.metric === entry.metric && s.target === entry.target && sameSet(s, entry) && s.warnings?.length);
  const notes = scoreWarnings(result, warned);
  if (notes) sec.append(notes);

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
      `The correct source, ${modelLabel(correct)}, is the thick blue line; every other source is a thinner line of its own colour and dash, named at its right end.`,
    filename: `${file}-best`,
    kind: 'identifiability-best',
  });
  best.dataset.correct = entry.correct_source;
  plots.push(best);

  // 2. The identifiability index per target layer, blue where the correct source won.
  const index = bars(sec, {
    x: targetLayers,
    y: layers.map((l) => l.index ?? null),
    colors: layers.map((l) => ({ won: COLORS.accent, lost: COLORS.lost }[layerOutcome(l)] ?? COLORS.grey)),
    customdata: layers.map((l) => [formatValue(l.match), formatValue(l.nonmatch_mean), l.best_source ? esc(modelLabel(get(l.best_source))) : 'undefined']),
    customHover: `${esc(modelLabel(tgt))} · %{x}<br>identifiability index: %{y:.4f}<br>correct source: %{customdata[0]}` +
      '<br>mean of the others: %{customdata[1]}<br>best: %{customdata[2]}<extra></extra>',
    title: `Identifiability index per ${modelLabel(tgt)} layer`,
    xtitle: `${modelLabel(tgt)} layer`,
    ytitle: 'identifiability index',
    caption: `The identifiability index per layer of ${modelLabel(tgt)}, from the score of the correct source ` +
      `(${modelLabel(correct)}) and the mean of the other sources: above 0 the correct source stands out. ` +
      'Blue bars: the correct source won (beyond the stated margin); grey: a tie (within it) or undefined; red: another source won.',
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
      const names = layerNames(src, n);
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
    redraw(plot, next.data, next.layout);
  });
  return plot;
}
