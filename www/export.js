// idlab exports of a result document (spec.idlab == 2): a tidy CSV, a plain-text
// report, and the download buttons. Plain ES module; no Plotly needed.
//
//   tidyCsv(result)                        -> CSV text (RFC 4180, CRLF line ends)
//   reportText(result)                     -> plain text
//   download(filename, textOrBlob, mime)   -> saves a file from the page
//   exportButtons(container, result, {zip}) -> the div of "Download JSON / CSV / report" buttons, and
//                                            "activations and RDMs (.zip)" when the run kept them

import { formatBytes, formatSeconds, metricName, modelLabel, modelsById, setLabel, slug } from './format.js';
import { verdict } from './views/identifiability.js';

export const CSV_HEADER = ['metric', 'source', 'source_layer', 'target', 'target_layer', 'subject', 'value', 'p_value', 'stimuli'];

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; null is empty. */
export function csvField(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isFinite(v)) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(fields) {
  return fields.map(csvField).join(',');
}

/**
 * The scores as tidy CSV: header metric,source,source_layer,target,target_layer,subject,value,p_value,stimuli
 * and one row per cell of every score (subject empty: the score itself, for RDM targets the mean
 * over subjects), plus, where the score has per_subject values, one row per subject of that cell
 * (subject named, p_value empty: p-values are per cell). source and target are the models'
 * labels; undefined values and absent p-values are empty fields. Lines end in CRLF (RFC 4180).
 */
export function tidyCsv(result) {
  const get = modelsById(result);
  const lines = [csvLine(CSV_HEADER)];
  for (const score of result.scores ?? []) {
    const src = get(score.source);
    const tgt = get(score.target);
    const subjects = tgt.subjects ?? [];
    const set = Number.isInteger(score.set) ? (result.stimulus_sets?.[score.set]?.name ?? String(score.set)) : setLabel(result.spec?.stimuli);
    (score.values ?? []).forEach((row, i) => {
      const sl = src.layers?.[i] ?? String(i);
      row.forEach((value, j) => {
        const tl = tgt.layers?.[j] ?? String(j);
        const p = score.p_values?.[i]?.[j] ?? null;
        lines.push(csvLine([score.metric, modelLabel(src), sl, modelLabel(tgt), tl, null, value, p, set]));
        const per = score.per_subject?.[i]?.[j];
        if (Array.isArray(per)) {
          per.forEach((v, k) => {
            lines.push(csvLine([score.metric, modelLabel(src), sl, modelLabel(tgt), tl, subjects[k] ?? String(k), v, null, set]));
          });
        }
      });
    });
  }
  return `${lines.join('\r\n')}\r\n`;
}

function paramText(params) {
  const parts = Object.entries(params ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`);
  return parts.length ? parts.join(', ') : 'defaults';
}

/**
 * The metrics of the spec with their parameters, as [name, params] pairs. Reads
 * `metrics` as an array of names or objects ({name|metric, params?, ...params}), or an
 * object {name: params}; else `metric` (+ `params`); else the metrics of the scores.
 */
function specMetrics(result) {
  const spec = result.spec ?? {};
  const out = [];
  const m = spec.metrics;
  if (Array.isArray(m)) {
    for (const item of m) {
      if (typeof item === 'string') out.push([item, spec.params?.[item] ?? {}]);
      else if (item && typeof item === 'object') {
        const { name, metric, id, params, ...rest } = item;
        out.push([name ?? metric ?? id ?? '?', { ...rest, ...(params ?? {}) }]);
      }
    }
  } else if (m && typeof m === 'object') {
    for (const [name, params] of Object.entries(m)) out.push([name, params ?? {}]);
  } else if (typeof spec.metric === 'string') {
    out.push([spec.metric, spec.params ?? {}]);
  }
  if (!out.length) {
    for (const name of new Set((result.scores ?? []).map((s) => s.metric))) out.push([name, {}]);
  }
  return out;
}

function modelLine(m) {
  const bits = [];
  if (m.kind) bits.push(m.kind);
  if (m.arch !== undefined && m.arch !== m.label) bits.push(`arch ${m.arch}`);
  if (m.seed !== undefined && m.seed !== null) bits.push(`seed ${m.seed}`);
  if (Array.isArray(m.layers)) bits.push(`${m.layers.length} layer${m.layers.length === 1 ? '' : 's'}`);
  if (Array.isArray(m.subjects)) bits.push(`${m.subjects.length} subjects (${m.subjects.join(', ')})`);
  if (typeof m.units === 'number') bits.push(`${m.units} units`);
  return `  ${m.id} ${m.role ?? ''}: ${modelLabel(m)} (${bits.join(', ')})`.replace(/ {2,}:/, ':');
}

/**
 * A short plain-text report: name, figure, idlab version, flavor, stimuli, models, metrics and
 * their parameters, every input with its sha256, total and slowest steps' seconds, and the
 * identifiability verdicts.
 */
export function reportText(result) {
  const spec = result.spec ?? {};
  const out = [];
  const title = spec.name ?? 'idlab result';
  out.push(title, '='.repeat(Math.min(78, Math.max(3, title.length))), '');
  if (spec.figure) out.push(`Figure: ${spec.figure}`);
  if (spec.about) out.push(`About: ${spec.about}`);
  out.push(`idlab ${result.idlab_version ?? '?'} (${result.flavor ?? 'unknown'} build), spec version ${spec.idlab ?? '?'}`);
  const set = typeof spec.stimuli?.set === 'string' ? ` (set ${spec.stimuli.set})` : '';
  if ((result.stimulus_sets ?? []).length) {
    out.push(`Stimuli: ${result.stimulus_sets.map((s) => `${s.name} (${s.n_stimuli})`).join(', ')}, one run per set`);
  } else {
    out.push(`Stimuli: ${result.n_stimuli ?? (result.stimuli ?? []).length}${set}`);
  }
  out.push('');

  out.push('Models:');
  for (const m of result.models ?? []) out.push(modelLine(m));
  out.push('');

  out.push('Metrics:');
  for (const [name, params] of specMetrics(result)) out.push(`  ${name} (${metricName(name)}): ${paramText(params)}`);
  out.push('');

  const inputs = result.inputs ?? [];
  out.push(`Inputs (${inputs.length}, sha256):`);
  for (const i of inputs) {
    const size = formatBytes(i.bytes);
    out.push(`  ${i.sha256 ?? 'no sha256'}  ${i.name}${i.role ? ` [${i.role}]` : ''}${size ? ` ${size}` : ''}`);
  }
  out.push('');

  out.push(`Total time: ${formatSeconds(result.seconds)}`);
  const steps = (result.timings?.steps ?? []).filter((s) => typeof s.seconds === 'number');
  if (steps.length) {
    out.push('Slowest steps:');
    for (const s of [...steps].sort((a, b) => b.seconds - a.seconds).slice(0, 5)) {
      out.push(`  ${formatSeconds(s.seconds).padStart(10)}  ${s.stage ?? ''}${s.label ? `: ${s.label}` : ''}`);
    }
  }
  if (typeof result.timings?.wasm_memory_bytes === 'number') out.push(`WebAssembly memory: ${formatBytes(result.timings.wasm_memory_bytes)}`);

  const ident = result.identifiability ?? [];
  if (ident.length) {
    out.push('', 'Identifiability:');
    const byId = modelsById(result);
    const setName = (e) => (Number.isInteger(e.set) ? `, ${result.stimulus_sets?.[e.set]?.name ?? e.set}` : '');
    for (const entry of ident) out.push(`  ${modelLabel(byId(entry.target))} (${entry.metric}${setName(entry)}): ${verdict(result, entry)}`);
  }
  const bySet = result.by_stimuli ?? [];
  if (bySet.length) {
    out.push('', 'Identifiability per stimulus set (mean index over target layers; layers won):');
    const byId = modelsById(result);
    for (const b of bySet) {
      const idx = typeof b.mean_index === 'number' ? b.mean_index.toFixed(4) : 'undefined';
      out.push(`  ${b.stimuli}: ${modelLabel(byId(b.target))} (${b.metric}): ${idx}; ${b.correct_won} of ${b.layers}`);
    }
  }
  const classes = result.class_comparison ?? [];
  if (classes.length) {
    out.push('', 'Classes of architecture (Welch t per target layer):');
    const byId = modelsById(result);
    for (const c of classes) {
      const names = (c.layers?.[0]?.groups ?? []).map((g) => g.name).join(' vs ');
      const sig = (c.layers ?? []).filter((l) => l.significant).length;
      out.push(`  ${modelLabel(byId(c.target))} (${c.metric}): ${names} differ at p < ${c.alpha} at ${sig} of ${(c.layers ?? []).length} layers`);
    }
  }
  const spec7 = result.specificity ?? [];
  if (spec7.length) {
    out.push('', 'Predictivity vs specificity (same-layer predictivity; silhouette by layer):');
    const num = (v) => (typeof v === 'number' ? v.toFixed(4) : 'undefined');
    for (const sp of spec7) {
      const sl = sp.same_layer ?? {};
      out.push(`  ${sp.metric} (${sp.targets}; ${sp.better} is better): ${num(sl.fraction)} (${sl.hits ?? 0} of ${sl.cases ?? 0}); ` +
        `silhouette ${num(sp.population?.silhouette)}`);
    }
  }
  const ceilings = result.noise_ceilings ?? [];
  if (ceilings.length) {
    out.push('', 'Noise ceilings:');
    const byId = modelsById(result);
    for (const c of ceilings) out.push(`  ${modelLabel(byId(c.target))} (${c.metric}): lower ${c.lower}, upper ${c.upper}`);
  }
  return `${out.join('\n')}\n`;
}

/** Saves `data` (text or a Blob) as `filename` through a temporary object URL. */
export function download(filename, data, mime = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

/** The downloads' base name: the spec's name as a slug of at most 60 characters. */
function baseName(result) {
  return slug(result.spec?.name ?? 'idlab-result', 'idlab-result', 60);
}

/**
 * Appends "Download JSON", "Download CSV" and "Download report" buttons to container, and
 * "Download activations and RDMs (.zip)" when `zip` (a Blob: the .npy files the core built
 * for spec.export, the files `idlab run` writes) is given; returns their div.
 */
export function exportButtons(container, result, { zip = null } = {}) {
  const div = document.createElement('div');
  div.className = 'idlab-exports';
  const base = baseName(result);
  const items = [
    ['json', 'Download JSON', () => download(`${base}.json`, JSON.stringify(result, null, 2), 'application/json;charset=utf-8')],
    ['csv', 'Download CSV', () => download(`${base}.csv`, tidyCsv(result), 'text/csv;charset=utf-8')],
    ['report', 'Download report', () => download(`${base}-report.txt`, reportText(result), 'text/plain;charset=utf-8')],
  ];
  if (zip) items.push(['npy', 'Download activations and RDMs (.zip)', () => download(`${base}-activations-rdms.zip`, zip)]);
  for (const [kind, text, act] of items) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.export = kind;
    b.textContent = text;
    b.addEventListener('click', act);
    div.append(b);
  }
  container.append(div);
  return div;
}
