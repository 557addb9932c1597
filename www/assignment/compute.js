// The assignment page's compute worker (worker.js, through the shared worker link): the core's
// assignment functions, and runs that carry the assignment's data files to the worker as the
// lab hands a user's files (by file name: a spec's onnx, weights.file, responses or RDMs).

import { createWorkerLink } from '../page/worker-link.js';

const runs = new Map(); // run id -> {onProgress, resolve, reject}
let counter = 0;
let started = 0; // runs sent to the worker (a test checks that a reload recomputes none)

const link = createWorkerLink(new URL('../worker.js', import.meta.url).href, {
  initError(entry, message) { failAll(message); },
  crash(entry, message) {
    entry.failed = message; // the next request starts a fresh worker
    failAll(message);
  },
  run(msg) {
    const run = runs.get(msg.id);
    if (!run) return;
    if (msg.type === 'progress') {
      if (run.onProgress) run.onProgress(msg.progress);
      return;
    }
    runs.delete(msg.id);
    if (msg.type === 'result') run.resolve(msg.result);
    else if (msg.type === 'cancelled') run.reject(cancelledError());
    else if (msg.type === 'error') {
      if (msg.fatal && link.current) link.current.failed = msg.message;
      run.reject(new Error(msg.message));
    }
  },
  weights(msg) {
    if (msg.type === 'weights-error') {
      const run = runs.get(msg.id);
      if (run) run.weightsError = msg.message;
    }
  },
});

function failAll(message) {
  for (const [id, run] of runs) {
    runs.delete(id);
    run.reject(new Error(message));
  }
}

function cancelledError() {
  const err = new Error('Cancelled.');
  err.cancelled = true;
  return err;
}

/** How many runs this page has sent to the worker. */
export function runsStarted() {
  return started;
}

/** One of the core's functions by name, in the worker; rejects with the core's message. */
export function core(name, ...args) {
  return link.call({ type: 'core', name, args }).then((reply) => reply.value);
}

/** {flavor, simd, threads, version, note?} once the worker has loaded its build. */
export async function workerInfo() {
  const entry = link.ensure();
  await entry.ready;
  return entry.info;
}

/** The data files of an upload stimulus set `folder`: those under data/FOLDER/ (else every image under data/), in natural order. */
function uploadImages(folder, list) {
  const images = list.filter((f) => /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.path));
  const inFolder = images.filter((f) => f.path.startsWith(`data/${folder}/`));
  return (inFolder.length ? inFolder : images)
    .slice()
    .sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }))
    .map((f) => ({ name: f.name, bytes: f.bytes.slice().buffer }));
}

/**
 * Runs `spec` with the assignment's data files (`list`: [{path, name, bytes: Uint8Array}]): each
 * file the core says the spec needs (spec_inputs: models, data, weights of kind file) goes with
 * the run by its file name, and an upload stimulus set takes the images under data/.
 * Returns {promise (of the result), cancel()}.
 */
export function runSpec(spec, list, { onProgress } = {}) {
  const id = `assignment-run-${++counter}`;
  let cancelRequested = false;
  let entry = null;
  const byName = new Map(list.map((f) => [f.name, f.bytes]));
  const promise = (async () => {
    const inputs = await core('spec_inputs', spec);
    const pick = (names, what) => {
      const out = {};
      for (const name of names) {
        const bytes = byName.get(name) ?? byName.get(String(name).split('/').pop());
        if (!bytes) throw new Error(`The spec needs the ${what} ${name}, which this assignment does not hold.`);
        out[name] = bytes.slice().buffer; // a copy: the kept one stays for the next run
      }
      return out;
    };
    const models = pick((inputs.models || []).filter((m) => !/^models\/trained\//.test(m)), 'model file'); // shipped ones: the worker fetches them
    const data = pick(inputs.data || [], 'data file');
    const weights = pick((inputs.weights || []).filter((w) => w.kind === 'file').map((w) => w.name), 'weights file');
    const upload = spec.stimuli && spec.stimuli.set === 'upload' ? uploadImages(String(spec.stimuli.folder || ''), list) : [];
    if (cancelRequested) throw cancelledError();
    entry = link.ensure();
    await entry.ready;
    if (cancelRequested) throw cancelledError();
    started += 1;
    return new Promise((resolve, reject) => {
      runs.set(id, { onProgress, resolve, reject });
      const transfer = [...Object.values(models), ...Object.values(data), ...Object.values(weights), ...upload.map((f) => f.bytes)];
      entry.worker.postMessage({ type: 'run', id, spec, models, data, stimuli: upload, weights }, transfer);
    });
  })();
  return {
    promise,
    cancel() {
      cancelRequested = true;
      if (entry && runs.has(id)) entry.worker.postMessage({ type: 'cancel', id });
    },
  };
}
