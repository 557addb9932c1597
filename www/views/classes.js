// Classes of architecture compared (the spec's `classes` on one target): per entry of
// result.class_comparison, a verdict line with each class's size beside the paper's and, per target
// layer, each class's mean ± sd, each architecture's best score, and Welch's t-test (★ where p < alpha,
// "n.s." where not, "–" where undefined; "⚠" where its power to detect a one-sd difference is low),
// with Hedges' g and its 95% interval and the power on hover.

import { esc, formatValue, isNum, metricName, modelLabel, modelsById, sentence } from '../format.js';
import { COLORS, PALETTE, baseLayout, draw, figure, tickAngle } from './plot.js';
import { section, setSuffix, fileBase } from './sections.js';

/**
 * Draws every entry of `result.class_comparison` (a result document, spec.idlab == 2) into
 * `container`, one section each; returns the plot divs (wait for them with rendered()).
 * options.base: the start of the download names (default: from the spec's name).
 */
export function renderClasses(container, result, { base = fileBase(result) } = {}) {
  const get = modelsById(result);
  return (result.class_comparison ?? []).map((entry) => classView(container, result, entry, get, base));
}

/** Colours of the two classes of a class comparison. */
const CLASS_COLORS = PALETTE.slice(0, 2);

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
  const sizes = (entry.classes ?? []).map((c) =>
    `${c.name}: ${c.n} architecture${c.n === 1 ? '' : 's'}` + (Number.isInteger(c.paper_n) ? ` (the paper: ${c.paper_n})` : ''));
  const lowPower = layers.filter((l) => l.low_power).length;
  if (sizes.length) line.textContent += ` Class sizes: ${sizes.join('; ')}.`;
  if (lowPower) {
    line.textContent += ` ${lowPower} of ${layers.length} tests have power below ${entry.low_power_below ?? 0.5} to detect a difference of ` +
      `${entry.power_d ?? 1} sd (⚠): there a missing ★ says little.`;
  }
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
    text: layers.map((l) => (l.significant ? '★' : isNum(l.p_value) ? 'n.s.' : '–') + (l.low_power ? ' ⚠' : '')),
    textfont: { size: 13, color: COLORS.ink },
    customdata: layers.map((l) => [
      formatValue(l.t), formatValue(l.df), formatValue(l.p_value),
      l.effect ? `${formatValue(l.effect.g, 3)} [${formatValue(l.effect.ci_low, 3)}, ${formatValue(l.effect.ci_high, 3)}]` : '–',
      isNum(l.power) ? formatValue(l.power, 3) + (l.low_power ? ' (low)' : '') : '–',
      esc(l.note ?? ''),
    ]),
    hovertemplate: '%{x}<br>t: %{customdata[0]}, df: %{customdata[1]}<br>p: %{customdata[2]}<br>' +
      `Hedges' g (${esc(names[0] ?? '')} − ${esc(names[1] ?? '')}), 95% CI: %{customdata[3]}<br>` +
      `power to detect ${entry.power_d ?? 1} sd: %{customdata[4]}<br>%{customdata[5]}<extra></extra>`,
    showlegend: false,
  });
  const { plot } = figure(sec, {
    caption: `For each layer of ${modelLabel(tgt)}: every source architecture's best ${metric} over its layers (open markers), ` +
      `and the mean ± sd of each class (lines). ★: the classes differ by Welch's t-test at p < ${entry.alpha}; n.s.: not significant; ` +
      '–: no test (a class has fewer than 2 architectures there); ⚠: the test\'s power to detect a difference of one standard deviation ' +
      `is below ${entry.low_power_below ?? 0.5}. Hover for t, df, p, Hedges' g with its 95% interval and the power.`,
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
