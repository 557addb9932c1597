// idlab's one set of format, label and slug helpers: the page, the views and the exports all
// write times, sizes, values, model and metric names through these, so one number reads the
// same everywhere. Plain ES module; no DOM, no Plotly (node can import it).

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * The threaded build in words, as the lab's build line, the embed's caption and the assignment
 * page write it: "threaded (2 threads, relaxed SIMD)"; `info` is the worker's build_info
 * ({threads, simd: 'plain' | 'relaxed'}).
 */
export function threadedBuild(info) {
  const simd = info.simd === 'relaxed' ? ', relaxed SIMD' : '';
  return `threaded (${info.threads} thread${info.threads === 1 ? '' : 's'}${simd})`;
}

/** True for a finite number (null, NaN and missing values are "undefined" in idlab's output). */
export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** Seconds as "850 ms", "12.3 s" or "2 min 5 s"; "unknown" for a missing or non-finite value. */
export function formatSeconds(s) {
  if (!isNum(s)) return 'unknown';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/**
 * Bytes as "512 B", "12 KB", "850 MB" or "1.1 GB" (binary units, as browsers and wasm count
 * memory); "" for a missing or non-finite value.
 */
export function formatBytes(n) {
  if (!isNum(n)) return '';
  if (n < KiB) return `${n} B`;
  if (n < 0.95 * MiB) return `${Math.round(n / KiB)} KB`;
  if (n < 0.95 * GiB) return `${Math.round(n / MiB)} MB`;
  return `${(n / GiB).toFixed(1).replace(/\.0$/, '')} GB`;
}

/** A number with `digits` decimals (4 unless told), or "undefined" for null / NaN / missing. */
export function formatValue(v, digits = 4) {
  return isNum(v) ? v.toFixed(digits) : 'undefined';
}

/**
 * A file-name-safe slug: lower case, runs of other characters as one "-", at most `max`
 * characters, cut at a word boundary (never mid-word); `fallback` when nothing is left.
 */
export function slug(s, fallback = 'plot', max = 120) {
  const full = String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (full.length <= max) return full || fallback;
  const boundary = full.slice(0, max + 1).lastIndexOf('-');
  return full.slice(0, boundary > 0 ? boundary : max) || fallback;
}

/**
 * HTML-escaped text that is also safe inside a Plotly hovertemplate or title (which read a
 * little HTML and %{...} placeholders).
 */
export function esc(s) {
  return String(s)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/%\{/g, '%&#123;');
}

/** The first letter upper-cased, for a sentence that starts with a metric's name. */
export const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** Display names of the metrics (registry names as keys); others are shown as they are. */
/** What a run's progress stage (the core's `progress.stage`) is called on the page and in a figure. */
export const STAGE_NAMES = {
  'loading weights': 'Loading trained weights',
  'loading stimuli': 'Loading stimuli',
  building: 'Building models',
  recording: 'Recording activations',
  comparing: 'Comparing layers',
  done: 'Finishing',
};

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

/** A metric's display name: "cka" -> "linear CKA". */
export function metricName(metric) {
  return METRIC_NAMES[metric] || String(metric);
}

/** A result's model as people read it: its label, else "arch seed N", else its id. */
export function modelLabel(m) {
  if (m.label !== undefined && m.label !== null) return String(m.label);
  if (m.arch !== undefined) return m.seed !== undefined && m.seed !== null ? `${m.arch} seed ${m.seed}` : String(m.arch);
  return String(m.id);
}

/** A lookup of a result's models by id; an unknown id gives a stand-in with no layers. */
export function modelsById(result) {
  const byId = new Map((result.models ?? []).map((m) => [m.id, m]));
  return (id) => byId.get(id) ?? { id, label: String(id), layers: [] };
}

/** The names of a model's `n` layers (rows or columns of a score table): its own, else "layer i". */
export function layerNames(model, n, word = 'layer') {
  return model.layers?.length === n ? model.layers : Array.from({ length: n }, (_, i) => `${word} ${i}`);
}

