// Identifiability per stimulus set (a run over several sets): per metric of result.by_stimuli,
// the mean identifiability index of every target on every set as grouped bars, one colour per
// set, with the layers won in the tooltip.

import { esc, isNum, metricName, modelLabel, modelsById } from '../format.js';
import { PALETTE, baseLayout, draw, figure, tickAngle } from './plot.js';
import { section, fileBase } from './sections.js';

/**
 * Draws the per-set identifiability of `result` (a result document, spec.idlab == 2, with
 * by_stimuli and stimulus_sets) into an "Identifiability per stimulus set" section of
 * `container`; returns the plot divs (wait for them with rendered()). options.base: the start of
 * the download names (default: from the spec's name).
 */
export function renderStimulusSets(container, result, { base = fileBase(result) } = {}) {
  if (!(result.by_stimuli ?? []).length) return [];
  return stimulusSetViews(container, result, modelsById(result), base);
}

/**
 * A run over several stimulus sets: per metric, the mean identifiability index of
 * every target on every set (grouped bars, one colour per set), with the wins in the tooltip.
 */
function stimulusSetViews(container, result, get, base) {
  const sec = section(container, 'Identifiability per stimulus set', 'idlab-sets');
  const sets = result.stimulus_sets ?? [];
  const metrics = [...new Set(result.by_stimuli.map((b) => b.metric))];
  const palette = PALETTE.slice(0, 6);
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
        customdata: per.map((b) => [b ? `${b.correct_won} of ${b.layers}${b.ties ? ` (tied at ${b.ties})` : ''}` : 'not run', String(set.n_stimuli)]),
        hovertemplate: `${esc(set.name)} (%{customdata[1]} images) · %{x}<br>mean identifiability index: %{y:.4f}` +
          '<br>correct architecture won at %{customdata[0]} target layers<extra></extra>',
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
