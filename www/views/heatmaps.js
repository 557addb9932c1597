// Scores as heatmaps: every score table with more than one layer on a side (and not against
// neural RDMs), source layers by target layer; more than FOLD_HEATMAPS are folded away.

import { isNum, layerNames, metricName, modelLabel, modelsById, sentence } from '../format.js';
import { heatmap } from './plot.js';
import { section, fold, setSuffix, fileBase } from './sections.js';
import { isRdmScore } from './rdm-bars.js';

/** More layer-by-layer heatmaps than this are folded into a closed <details>. */
const FOLD_HEATMAPS = 6;

/**
 * Draws a heatmap per layer-by-layer score of `result` (a result document, spec.idlab == 2) into
 * a "Layer by layer" section of `container`; returns the plot divs (wait for them with
 * rendered()). options.base: the start of the download names (default: from the spec's name).
 */
export function renderHeatmaps(container, result, { base = fileBase(result) } = {}) {
  const get = modelsById(result);
  const maps = (result.scores ?? []).filter((s) => !isRdmScore(s, get)).filter((s) => {
    const rows = s.values?.length ?? 0;
    const cols = s.values?.[0]?.length ?? 0;
    return rows > 1 || cols > 1;
  });
  if (!maps.length) return [];
  const sec = section(container, 'Layer by layer', 'idlab-heatmaps');
  // Many tables (a preset scores every source against every target): folded away, one click to open.
  const host = maps.length > FOLD_HEATMAPS ? fold(sec, `Show all ${maps.length} layer-by-layer heatmaps`) : sec;
  return maps.map((score) => scoreHeatmap(host, score, get, base, setSuffix(result, score)));
}

function scoreHeatmap(container, score, get, base, suffix = '') {
  const gd = heatmap(container, scoreHeatmapOptions(score, get, base, suffix));
  gd.dataset.metric = score.metric;
  gd.dataset.source = score.source;
  gd.dataset.target = score.target;
  return gd;
}

/**
 * The heatmap of one score table as plot.js's heatmap() takes it: source layers as rows, target
 * layers as columns, the metric's name on the colour bar and in the tooltip, a [0, 1] colour
 * scale for the metrics bounded so, a caption and a download name. `get` looks a model up by id
 * (modelsById(result)); the overview draws the first table with these too.
 */
export function scoreHeatmapOptions(score, get, base = 'idlab', suffix = '') {
  const src = get(score.source);
  const tgt = get(score.target);
  const metric = metricName(score.metric);
  const rows = score.values.length;
  const cols = score.values[0]?.length ?? 0;
  const hasNull = score.values.some((r) => r.some((v) => !isNum(v)));
  const unit = score.metric === 'cka' || score.metric === 'cka-rbf'; // in [0, 1]: one colour scale for every heatmap
  return {
    z: score.values,
    x: layerNames(tgt, cols),
    y: layerNames(src, rows),
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
      (score.better === 'lower' ? ` ${sentence(metric)} is a distance: lower values mean more similar.` : '') +
      (score.warnings?.length ? ` ⚠ ${score.warnings.join(' ')}` : ''),
    filename: `${base}-${score.metric}-${score.source}-${score.target}${Number.isInteger(score.set) ? `-set${score.set}` : ''}-heatmap`,
    kind: 'heatmap',
  };
}
