// Models against neural RDMs: per score whose target is a set of RDMs (an upload or a shipped
// data set), bars over the source's layers per target region: the mean over subjects with its
// standard error, the noise ceiling as a grey band, and p < 0.05 marked with a star. The star
// tests the plotted value: with several subjects, the mean over subjects (the core relabels the
// stimuli of every subject's RDM together); each subject's own test is in the hover.

import { esc, formatValue, isNum, layerNames, metricName, modelLabel, modelsById, sentence } from '../format.js';
import { COLORS, bars } from './plot.js';
import { section, fileBase } from './sections.js';

/** Whether a score's target is neural RDMs (drawn as bars here, not as a heatmap). */
export function isRdmScore(score, get) {
  return ['rdms', 'dataset'].includes(get(score.target).kind);
}

/**
 * Draws the bars of every score of `result` (a result document, spec.idlab == 2) against neural
 * RDMs into a "Models against neural RDMs" section of `container`, with result.noise_ceilings;
 * returns the plot divs (wait for them with rendered()). options.base: the start of the download
 * names (default: from the spec's name).
 */
export function renderRdmBars(container, result, { base = fileBase(result) } = {}) {
  const get = modelsById(result);
  const rdmScores = (result.scores ?? []).filter((s) => isRdmScore(s, get));
  if (!rdmScores.length) return [];
  const sec = section(container, 'Models against neural RDMs', 'idlab-neural');
  return rdmScores.flatMap((score) => rdmBars(sec, result, score, get, base));
}

function rdmBars(container, result, score, get, base) {
  const src = get(score.source);
  const tgt = get(score.target);
  const metric = metricName(score.metric);
  const rows = score.values.length;
  const srcLayers = layerNames(src, rows);
  const cols = score.values[0]?.length ?? 0;
  const tgtLayers = layerNames(tgt, cols, 'region');
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
    // Per-subject Mantel p-values: detail tables p_subject.0, p_subject.1, ... (RSA with several subjects).
    const subjectP = Object.keys(score.detail ?? {}).filter((k) => k.startsWith('p_subject.')).map((k) => score.detail[k]);
    const subjectSig = score.values.map((_, i) => {
      const ps = subjectP.map((t) => t?.[i]?.[j]).filter(isNum);
      return ps.length ? `${ps.filter((v) => v < 0.05).length} of ${ps.length}` : 'n/a';
    });
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
    if (score.p_values) {
      caption += nSubjects > 1
        ? '★ marks layers whose mean over subjects has p < 0.05 (permutation test of that mean, the stimuli of every subject relabelled together; uncorrected); each subject\'s own test is in the hover. '
        : '★ marks layers with p < 0.05 (permutation test, uncorrected). ';
    }
    const gd = bars(container, {
      x: srcLayers,
      y: stats.map((s) => s.mean),
      error: hasErr ? stats.map((s) => s.sem) : undefined,
      customdata: stats.map((s, i) => [s.sem === null ? 'undefined' : formatValue(s.sem), formatValue(p[i]), String(s.n), subjectSig[i]]),
      customHover: `${esc(modelLabel(src))} · %{x}<br>${esc(metric)}${nSubjects ? ' (mean over %{customdata[2]} subjects)' : ''}: %{y:.4f}` +
        `${hasErr ? '<br>SEM: %{customdata[0]}' : ''}${score.p_values ? '<br>p: %{customdata[1]}' : ''}` +
        `${subjectP.length ? '<br>subjects with p < 0.05: %{customdata[3]}' : ''}<extra></extra>`,
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
