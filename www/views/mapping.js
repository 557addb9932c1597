// Linear vs nonlinear mapping (NRP scores): per target column, the held-out mean absolute error
// (the NRP paper's headline; lower is better) of the MLP (solid) and of the ridge baseline fitted on
// its footing (dashed: same standardised features, λ chosen on the same validation images, same
// held-out images) over each source's layers, one colour per source; R² in the tooltips.

import { esc, formatValue, isNum, layerNames, modelLabel, modelsById } from '../format.js';
import { PALETTE, baseLayout, draw, figure } from './plot.js';
import { section, setSuffix, fileBase } from './sections.js';

/** Whether a score carries the MLP and ridge errors this view draws. */
const hasMapping = (sc) => sc.detail && sc.detail.mlp_mae && sc.detail.ridge_mae;

/**
 * Draws the mapping errors of the NRP scores of `result` (a result document, spec.idlab == 2)
 * into a "Linear vs nonlinear mapping" section of `container`; returns the plot divs (wait for
 * them with rendered()). options.base: the start of the download names (default: from the spec's name).
 */
export function renderMapping(container, result, { base = fileBase(result) } = {}) {
  if (!(result.scores ?? []).some(hasMapping)) return [];
  return mappingViews(container, result, modelsById(result), base);
}

function mappingViews(container, result, get, base) {
  const nrp = (result.scores ?? []).filter(hasMapping);
  const sec = section(container, 'Linear vs nonlinear mapping (ridge vs MLP)', 'idlab-mapping');
  const plots = [];
  const targets = [...new Set(nrp.map((sc) => `${sc.target}|${sc.set ?? ''}`))];
  for (const key of targets) {
    const scores = nrp.filter((sc) => `${sc.target}|${sc.set ?? ''}` === key);
    const tgt = get(scores[0].target);
    const cols = scores[0].values[0]?.length ?? 0;
    for (let j = 0; j < cols; j++) {
      const tl = layerNames(tgt, cols)[j];
      const where = cols > 1 ? `${modelLabel(tgt)} ${tl}` : modelLabel(tgt);
      const data = [];
      scores.forEach((sc, k) => {
        const src = get(sc.source);
        const x = layerNames(src, sc.values.length);
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
          '(NRP; solid lines) and a ridge baseline on the same footing (dashed: the same standardised features, its λ chosen ' +
          'on the same validation images, scored on the same held-out images), one colour per source. ' +
          'Lower is better; hover for R². Where the solid line lies below the dashed one, the nonlinear readout erred less.',
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
