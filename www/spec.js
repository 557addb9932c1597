// The experiment spec as the page handles it. The core reads versions 1 and 2
// (crate/src/experiment/spec.rs); the page writes version 2 and shows the
// simple shape (one source, one target, one metric) in its form, through a
// "form view" with `source`, `target` and `metric` fields.

export const SPEC_VERSION = 2;

/** A version 1 spec ({source, target, metric}) as version 2; anything else unchanged. */
export function upgradeSpec(spec) {
  if (!spec || typeof spec !== 'object' || spec.idlab !== 1) return spec;
  const out = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'idlab') out.idlab = SPEC_VERSION;
    else if (k === 'source') out.sources = [v];
    else if (k === 'target') out.targets = [v];
    else if (k === 'metric') out.metrics = [{ name: v }];
    else out[k] = v;
  }
  return out;
}

const isModel = (m) => m && typeof m === 'object' && (typeof m.arch === 'string' || typeof m.onnx === 'string');

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

/** Every model entry of a version 2 spec ({arch, seed} or {onnx, …}) with its role. */
export function specModels(spec) {
  const out = [];
  for (const role of ['sources', 'targets']) {
    const list = spec && Array.isArray(spec[role]) ? spec[role] : [];
    for (const m of list) if (isModel(m)) out.push({ role: role.slice(0, -1), model: m });
  }
  return out;
}

/** The user data files (responses / rdms) a version 2 spec names. */
export function specDataFiles(spec) {
  const list = spec && Array.isArray(spec.targets) ? spec.targets : [];
  return list.flatMap((t) => (t && typeof t === 'object' ? [t.responses, t.rdms].filter((f) => typeof f === 'string') : []));
}
