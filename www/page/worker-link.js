// The DOM-free side of the conversation with the compute worker (worker.js), shared by the lab
// (worker-client.js adds its build line and #error) and the embed (embed/lab-worker.js):
// starting the worker from a URL (through a blob trampoline when that URL is on another origin),
// request/reply calls answered by id, and handing every other message to the owner's hooks.

/**
 * A module worker running `url`. A page cannot construct a worker from another origin's URL,
 * so then a same-origin blob imports it; the worker's own import.meta.url stays the lab's
 * (worker.js resolves the site's files against it).
 */
export function spawnWorker(url) {
  const abs = new URL(url, document.baseURI);
  // `?simd=plain` on the page asks the worker for the plain threaded build (worker.js).
  const simd = new URLSearchParams(location.search).get('simd');
  if (simd) abs.searchParams.set('simd', simd);
  if (abs.origin === location.origin) return new Worker(abs, { type: 'module' });
  const source = `import ${JSON.stringify(abs.href)};`;
  const blob = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return new Worker(blob, { type: 'module' });
}

/**
 * A link to one worker at a time, started from `url` on demand and restarted when it fails.
 * hooks (all optional): ready(entry, msg), initError(entry, message), crash(entry, message)
 * (an uncaught error in the worker, or its script did not load; entry.info is null when it never
 * became ready), weights(msg) (a run's 'weights-error' / 'weights-loaded'), run(msg) (every other
 * message: a run's progress, result, error, cancelled).
 * An entry is {worker, info: {flavor, simd, threads, version, note?} once ready, failed: message | null, ready: Promise}.
 */
export function createWorkerLink(url, hooks = {}) {
  let current = null;
  const requests = new Map(); // request id -> {entry (the worker asked), resolve, reject, onEvent}
  let counter = 0;

  function start() {
    const entry = { worker: spawnWorker(url), info: null, failed: null };
    entry.ready = new Promise((resolve, reject) => {
      entry.resolveReady = resolve;
      entry.rejectReady = reject;
    });
    entry.ready.catch(() => {}); // the owner reports failures; callers that await it still see the rejection
    entry.worker.onmessage = (event) => onMessage(entry, event.data);
    entry.worker.onerror = (event) => onCrash(entry, event);
    entry.worker.onmessageerror = () => onCrash(entry, { message: 'a message from the worker could not be read' });
    current = entry;
    return entry;
  }

  /** Terminates a worker; the requests it had not answered are rejected (they can be asked again). */
  function stop(entry) {
    entry.worker.terminate();
    for (const [id, request] of requests) {
      if (request.entry !== entry) continue;
      requests.delete(id);
      request.reject(new Error('The compute worker was restarted before it answered; try again.'));
    }
  }

  function onMessage(entry, msg) {
    if (entry !== current) return; // a message from a worker already replaced
    switch (msg.type) {
      case 'ready':
        entry.info = { flavor: msg.flavor, simd: msg.simd, threads: msg.threads, version: msg.version };
        if (msg.note) entry.info.note = msg.note;
        if (hooks.ready) hooks.ready(entry, msg);
        entry.resolveReady({ flavor: msg.flavor, simd: msg.simd, threads: msg.threads });
        return;
      case 'init-error':
        entry.failed = msg.message;
        entry.rejectReady(new Error(msg.message));
        if (hooks.initError) hooks.initError(entry, msg.message);
        return;
      case 'inspection':
      case 'inspect-error':
      case 'unzipped':
      case 'unzip-error':
      case 'metric-result':
      case 'metric-error':
      case 'core-result':
      case 'core-error':
      case 'weights-fetched':
      case 'weights-fetch-error':
      case 'weights-cache-result':
      case 'weights-cache-error': {
        const request = requests.get(msg.id);
        if (!request) return;
        requests.delete(msg.id);
        if (msg.type.endsWith('-error')) request.reject(new Error(msg.message));
        else request.resolve(msg.type === 'metric-result' ? msg.result : msg);
        return;
      }
      case 'weights-progress': {
        const request = requests.get(msg.id);
        if (request && request.onEvent) request.onEvent(msg);
        return;
      }
      case 'weights-error':
      case 'weights-loaded':
        if (hooks.weights) hooks.weights(msg);
        return;
      default:
        if (hooks.run) hooks.run(msg);
    }
  }

  // An uncaught error inside the worker, or the worker script failed to load.
  function onCrash(entry, event) {
    if (event && typeof event.preventDefault === 'function') event.preventDefault();
    if (entry !== current) return;
    const detail = event && event.message ? event.message : 'it could not be loaded or stopped unexpectedly';
    const message = `The compute worker failed: ${detail}`;
    if (!entry.info) {
      // It never became ready: do not loop; the next request starts a fresh one.
      entry.failed = message;
      entry.rejectReady(new Error(message));
    }
    if (hooks.crash) hooks.crash(entry, message);
  }

  return {
    /** The worker in use (null before the first start). */
    get current() { return current; },
    /** Starts a worker (replacing none: see restart). */
    start,
    /** The worker, started afresh when there is none or the last one failed. */
    ensure() {
      if (!current || current.failed) {
        if (current) stop(current);
        start();
      }
      return current;
    },
    /** Terminates the worker in use and starts another. */
    restart() {
      if (current) stop(current);
      current = null;
      return start();
    },
    /** The id the next call will carry (a caller that must name its request, e.g. to cancel it). */
    nextId() {
      return `request-${counter + 1}`;
    },
    /**
     * Sends a request once the worker is ready; resolves with its reply (a metric's result
     * object), rejects with its error message. onEvent hears its 'weights-progress' messages.
     */
    call(message, transfer = [], { onEvent } = {}) {
      const entry = this.ensure();
      const id = `request-${++counter}`;
      return entry.ready.then(() => new Promise((resolve, reject) => {
        requests.set(id, { entry, resolve, reject, onEvent });
        entry.worker.postMessage({ ...message, id }, transfer);
      }));
    },
  };
}
