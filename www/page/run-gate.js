// Whether Run may start, and what it will run: every input that failed to load and every
// invalid value holds Run off with its reason shown beside it (#run-reason, tied to the
// button by aria-describedby), so that a click never runs a stale experiment. The label says
// the spec's name and size. `window.idlab.run(spec)` does not pass through here.

import { ui } from './dom.js';

const reasons = new Map(); // key (what failed: "json", "spec", "images", "source-onnx"…) -> why Run is off
let busy = false;          // a run in progress
let loaded = false;        // the first spec is shown (Run starts off until then)

/** Holds Run off for `key`, saying `why`; `why` empty releases it. */
export function block(key, why) {
  if (why) reasons.set(key, why);
  else reasons.delete(key);
  refresh();
}

export const unblock = (key) => block(key, '');

/** The reason Run is off for `key`, if any. */
export const blocked = (key) => reasons.get(key);

/** A run started or ended. */
export function setBusy(running) {
  busy = running;
  refresh();
}

/** The first spec is shown: Run may start. */
export function setLoaded() {
  loaded = true;
  refresh();
}

/** The label of Run for a spec: its name, its models and its images (`images` from the core). */
export function describeRun(spec, images) {
  if (!spec || typeof spec !== 'object') return;
  const list = [...(Array.isArray(spec.sources) ? spec.sources : []), ...(Array.isArray(spec.targets) ? spec.targets : [])];
  const models = list.filter((m) => m && (typeof m.arch === 'string' || typeof m.onnx === 'string' || typeof m.tflite === 'string')).length;
  const size = [models ? `${models} model${models === 1 ? '' : 's'}` : '', images || '']
    .filter(Boolean).join(', ');
  ui.run.textContent = `Run: ${spec.name || 'Custom experiment'}${size ? ` — ${size}` : ''}`;
}

function refresh() {
  const why = [...reasons.values()];
  ui.run.disabled = busy || !loaded || why.length > 0;
  const note = document.getElementById('run-reason');
  if (!note) return;
  note.textContent = why.length && !busy ? `Run is off: ${why.join('; ')}.` : '';
  note.hidden = !note.textContent;
}
