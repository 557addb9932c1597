// The compute worker of every figure on one host page: one worker (worker.js from the lab's
// origin, through worker-link.js), runs one after another in a queue, and identical specs (the
// same JSON text) computed once and their result shared. It touches no element of the page.

import { createWorkerLink } from '../page/worker-link.js';

/** The lab's root: where embed.js and worker.js lie, whatever page loaded this. */
export const LAB = new URL('../', import.meta.url);

let link = null;
let runCounter = 0;
let queue = Promise.resolve();
const jobs = new Map();    // spec JSON text -> job (queued, running or done)
const byId = new Map();    // run id -> job while it runs

function theLink() {
  if (!link) {
    link = createWorkerLink(new URL('worker.js', LAB).href, {
      initError(entry, message) {
        failRunning(message);
      },
      crash(entry, message) {
        entry.failed = message; // the next request starts a fresh worker
        failRunning(message);
      },
      run(msg) {
        const job = byId.get(msg.id);
        if (!job) return;
        if (msg.type === 'progress') {
          job.progress = msg.progress;
          for (const l of job.listeners) if (l.onProgress) l.onProgress(msg.progress);
        } else if (msg.type === 'result') {
          job.settle(null, msg.result);
        } else if (msg.type === 'error') {
          if (msg.fatal && link.current) link.current.failed = msg.message;
          job.settle(new Error(msg.message));
        } else if (msg.type === 'cancelled') {
          job.settle(cancelledError());
        }
      },
    });
  }
  return link;
}

function failRunning(message) {
  for (const job of byId.values()) job.settle(new Error(message));
}

function cancelledError() {
  const err = new Error('Cancelled.');
  err.cancelled = true;
  return err;
}

/** Resolves with {flavor, simd, threads, version, note?} once the worker has loaded its build. */
export async function workerInfo() {
  const entry = theLink().ensure();
  await entry.ready;
  return entry.info;
}

/** One of the core's functions by name, in the worker; rejects with the core's message. */
export function core(name, ...args) {
  return theLink().call({ type: 'core', name, args }).then((reply) => reply.value);
}

/**
 * Runs `spec` after the runs queued before it (a spec whose JSON text is one already run or
 * queued shares that run). onProgress(progress) hears the worker's progress messages.
 * Returns {promise (of the result document), cancel()}: cancel detaches this caller (rejecting
 * its promise with err.cancelled) and stops the run when no other caller waits for it.
 */
export function runSpec(spec, { onProgress } = {}) {
  const text = JSON.stringify(spec);
  let job = jobs.get(text);
  if (!job || job.failed) {
    job = newJob(text, spec);
    jobs.set(text, job);
    queue = queue.then(() => execute(job));
  }
  const listener = { onProgress };
  let rejectMine;
  const promise = new Promise((resolve, reject) => {
    rejectMine = reject;
    job.done.then(resolve, reject);
  });
  job.listeners.add(listener);
  if (job.progress && onProgress) onProgress(job.progress);
  let detached = false;
  return {
    promise,
    cancel() {
      if (detached) return;
      detached = true;
      job.listeners.delete(listener);
      rejectMine(cancelledError()); // a promise already settled stays as it was
      if (job.listeners.size === 0 && !job.finished) stopJob(job);
    },
    /** The job's state: 'queued' | 'running' | 'done'. */
    get state() { return job.state; },
  };
}

function newJob(text, spec) {
  const job = { text, spec, id: null, state: 'queued', listeners: new Set(), progress: null, finished: false, failed: false };
  job.done = new Promise((resolve, reject) => {
    job.settle = (err, result) => {
      if (job.finished) return;
      job.finished = true;
      job.state = 'done';
      if (job.id !== null) byId.delete(job.id);
      if (err) {
        job.failed = true;
        if (jobs.get(text) === job) jobs.delete(text); // a later figure runs it afresh
        reject(err);
      } else {
        resolve(result);
      }
    };
  });
  job.done.catch(() => {}); // each caller's promise reports it
  return job;
}

/** Stops a job nobody waits for: dropped from the queue, or the worker's run cancelled. */
function stopJob(job) {
  if (job.state === 'running' && link && link.current) {
    link.current.worker.postMessage({ type: 'cancel', id: job.id });
    // The worker answers 'cancelled' between two steps; the job settles then.
  } else {
    job.settle(cancelledError());
  }
}

/** Runs a queued job to its end (result, error or cancel); never rejects (the queue goes on). */
async function execute(job) {
  if (job.finished) return;
  if (job.listeners.size === 0) {
    job.settle(cancelledError());
    return;
  }
  try {
    const entry = theLink().ensure();
    await entry.ready;
    if (job.finished) return;
    job.id = `embed-${++runCounter}`;
    job.state = 'running';
    byId.set(job.id, job);
    entry.worker.postMessage({ type: 'run', id: job.id, spec: job.spec, models: {}, data: {}, stimuli: [], weights: {} });
  } catch (err) {
    job.settle(err instanceof Error ? err : new Error(String(err)));
  }
  await job.done.catch(() => {});
}
