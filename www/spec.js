// The experiment spec as the page's form shows it. The core reads versions 1 and 2
// and upgrades the first (crate/src/experiment/spec/upgrade.rs, asked through
// page/core.js); the page writes version 2 and shows the simple shape (one
// source, one target, one metric) in its form, through a "form view" with
// `source`, `target` and `metric` fields.

export const SPEC_VERSION = 2;

const isModel = (m) => m && typeof m === 'object' && (typeof m.arch === 'string' || typeof m.onnx === 'string' || typeof m.tflite === 'string');

/**
 * The form's view of a version 2 spec: the same object with `source`,
 * `target` and `metric` in place of the lists, or null when the spec is not
 * the simple shape (several models or metrics, data targets).
 */
export function formView(spec) {
  if (!spec || typeof spec !== 'object') return null;
  const { sources, targets, metrics } = spec;
  if (!Array.isArray(sources) || !Array.isArray(targets) || !Array.isArray(metrics)) return null;
  if (sources.length !== 1 || targets.length !== 1 || metrics.length !== 1) return null;
  if (!isModel(sources[0]) || !isModel(targets[0]) || !metrics[0] || typeof metrics[0].name !== 'string') return null;
  const view = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'sources') view.source = v[0];
    else if (k === 'targets') view.target = v[0];
    else if (k === 'metrics') {
      view.metric = v[0].name;
      if (v[0].params) view.metricParams = v[0].params;
    } else view[k] = v;
  }
  return view;
}

/** The version 2 spec a form view describes (keys in the presets' order). */
export function fromFormView(view) {
  const metric = { name: view.metric };
  if (view.metricParams) metric.params = view.metricParams;
  const spec = { idlab: SPEC_VERSION };
  for (const k of ['name', 'figure', 'about', 'stimuli']) if (k in view) spec[k] = view[k];
  spec.sources = [view.source];
  spec.targets = [view.target];
  if ('layers' in view) spec.layers = view.layers;
  spec.metrics = [metric];
  for (const [k, v] of Object.entries(view)) {
    if (!(k in spec) && !['idlab', 'source', 'target', 'metric', 'metricParams'].includes(k)) spec[k] = v;
  }
  return spec;
}

/** The keys of a spec in the order the presets write them (the rest after, as they come): for a spec shown to a person. */
const KEY_ORDER = ['idlab', 'name', 'figure', 'about', 'paper_file', 'paper', 'this_run', 'stimuli', 'more_stimuli', 'sources', 'targets', 'layers', 'metrics'];

/** The same spec with its keys in the presets' order (the core's upgrade gives them sorted). */
export function inPresetOrder(spec) {
  const out = {};
  for (const k of KEY_ORDER) if (k in spec) out[k] = spec[k];
  for (const [k, v] of Object.entries(spec)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * The core's limits on a spec's JSON text (crate/src/experiment/spec/upgrade.rs:
 * MAX_SPEC_BYTES, MAX_SPEC_DEPTH), checked in the page before it parses a spec
 * from the spec box or a link: the page's own code walks the spec (a 10,000-deep
 * one overflows the JS stack) and puts it in the address bar. Returns the core's
 * message for a spec past a limit, null for one within them. One pass over the
 * text, no recursion.
 */
export const MAX_SPEC_BYTES = 1 << 20;
export const MAX_SPEC_DEPTH = 128;

export function specTextLimit(text) {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_SPEC_BYTES) {
    return `the spec is ${(bytes / (1 << 20)).toFixed(1)} MiB of JSON, more than the ${MAX_SPEC_BYTES >> 20} MiB a spec may be`;
  }
  let depth = 0;
  let inString = false;
  let line = 1;
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    column += 1;
    if (c === '\n') {
      line += 1;
      column = 0;
    } else if (inString) {
      if (c === '\\') { i += 1; column += 1; } else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth += 1;
      if (depth >= MAX_SPEC_DEPTH) return `the spec's JSON nests ${MAX_SPEC_DEPTH} or more levels deep (line ${line}, column ${column})`;
    } else if (c === ']' || c === '}') depth -= 1;
  }
  return null;
}
