// Cross-origin isolation and the offline cache for every page of the site. The threaded build
// needs a cross-origin isolated page; a host that sends no COOP/COEP headers gets it from the
// site's service worker (sw.js), which serves the site again with those headers: this module
// registers it and, once it controls the page, reloads the page once. Where that cannot work
// (no service workers, registration refused, the page in another site's frame, or still not
// isolated after the reload) `isolation` resolves with {isolated: false, why} and the page runs
// the single-threaded build and says why. On a page isolated by its host's headers (idlab serve)
// the worker is registered all the same, for the offline cache.
//
// The outcome is also left where tests and other scripts read it: `window.idlabIsolation`
// ({isolated, how, why}) and `<html data-isolation="headers | service-worker | none">`
// ("reloading" while the one reload is on its way).

const SW_URL = new URL('./sw.js', import.meta.url).href;
const SCOPE = new URL('./', import.meta.url).href;
const RELOADED = 'idlab-isolation-reloaded'; // sessionStorage: this tab already reloaded once for it
const CONTROL_MS = 30000; // how long the worker may take to install before the page gives up on it
const FILL_DELAY_MS = 2000; // after the page's load: its own downloads go first

/** Promise of {isolated, how: 'headers' | 'service-worker' | null, why}; never settles when the page is about to reload. */
export const isolation = decide().catch((err) => ({
  isolated: Boolean(globalThis.crossOriginIsolated),
  how: globalThis.crossOriginIsolated ? 'headers' : null,
  why: `the check for cross-origin isolation failed (${err && err.message ? err.message : err})`,
})).then((state) => {
  globalThis.idlabIsolation = state;
  document.documentElement.dataset.isolation = state.isolated ? state.how : 'none';
  return state;
});

async function decide() {
  const sw = serviceWorkers();
  const frame = frameKind();
  if (globalThis.crossOriginIsolated) {
    forget();
    if (sw && frame !== 'other-site') keepOffline(sw);
    return { isolated: true, how: addedByWorker() ? 'service-worker' : 'headers', why: '' };
  }
  const no = (why) => ({ isolated: false, how: null, why });
  if (frame === 'other-site') {
    return no('the page is inside a frame of another site, whose page the site\'s service worker cannot make cross-origin isolated');
  }
  if (!globalThis.isSecureContext) {
    return no('the page is not a secure context (plain http from a host other than localhost), where browsers allow no service workers');
  }
  if (!sw) {
    return no('this browser gives the page no service workers (a private window or a browser setting may turn them off)');
  }
  let registration;
  try {
    registration = await sw.register(SW_URL, { scope: SCOPE });
  } catch (err) {
    return no(`the browser refused the site's service worker (${err && err.message ? err.message : err})`);
  }
  if (!registration) return no('service workers are blocked here');
  if (frame === 'same-site') {
    keepOffline(sw);
    return no('the page is inside a frame whose top page is not cross-origin isolated');
  }
  if (reloadedBefore()) {
    keepOffline(sw);
    return no('the site\'s service worker did not make the page cross-origin isolated, even after a reload');
  }
  const control = await controlled(sw, registration);
  if (control.why) return no(control.why);
  if (!remember()) return no('this tab keeps no session storage, which the one reload for isolation needs');
  document.documentElement.dataset.isolation = 'reloading';
  location.reload();
  return new Promise(() => {}); // the reload replaces this page
}

/** navigator.serviceWorker, or null: undefined outside secure contexts and where turned off, it throws in a sandboxed frame. */
function serviceWorkers() {
  try {
    return navigator.serviceWorker || null;
  } catch {
    return null;
  }
}

/** 'top', 'same-site' (a frame of a page of this origin) or 'other-site'. */
function frameKind() {
  if (window.top === window) return 'top';
  try {
    return window.top.location.origin === location.origin ? 'same-site' : 'other-site';
  } catch {
    return 'other-site';
  }
}

/** Whether sw.js added this page's isolation headers (it marks its responses with Server-Timing). */
function addedByWorker() {
  const nav = performance.getEntriesByType('navigation')[0];
  return Boolean(nav && Array.isArray(nav.serverTiming) && nav.serverTiming.some((t) => t.name === 'idlab-isolation'));
}

/** Resolves with {} once the worker controls the page, or {why} when it failed to install or took too long. */
function controlled(sw, registration) {
  // Active but not in control (a first visit's worker is not yet, a hard reload bypasses it): the reload is controlled.
  if (sw.controller || registration.active) return Promise.resolve({});
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ why: `the site's service worker did not take control within ${CONTROL_MS / 1000} s` }), CONTROL_MS);
    const done = (value) => { clearTimeout(timer); resolve(value); };
    sw.addEventListener('controllerchange', () => done({}), { once: true });
    const installing = registration.installing || registration.waiting;
    if (installing) {
      installing.addEventListener('statechange', () => {
        if (installing.state === 'redundant' && !sw.controller) done({ why: 'the site\'s service worker failed to install' });
      });
    }
  });
}

function reloadedBefore() {
  try {
    return sessionStorage.getItem(RELOADED) === '1';
  } catch {
    return false;
  }
}

/** Marks the one reload; false when session storage is unusable (then no reload: it could loop). */
function remember() {
  try {
    sessionStorage.setItem(RELOADED, '1');
    return sessionStorage.getItem(RELOADED) === '1';
  } catch {
    return false;
  }
}

function forget() {
  try {
    sessionStorage.removeItem(RELOADED);
  } catch { /* nothing kept */ }
}

const fillWaits = []; // what the page needs first (fillOfflineAfter)

/**
 * Holds the offline cache's download of the large files (the wasm builds, the data) until
 * `promise` settles: the lab passes its worker's start, so that its own wasm comes first.
 */
export function fillOfflineAfter(promise) {
  fillWaits.push(Promise.resolve(promise).catch(() => {}));
}

/** Registers the worker (if needed) and, a little after the page's load, asks it to fill the offline cache. */
function keepOffline(sw) {
  const later = () => setTimeout(() => { fillOffline().catch(() => { /* offline cache incomplete: the next visit tries again */ }); }, FILL_DELAY_MS);
  const fill = () => Promise.all(fillWaits).then(later);
  sw.register(SW_URL, { scope: SCOPE }).then(() => {
    if (document.readyState === 'complete') fill();
    else window.addEventListener('load', fill, { once: true });
  }, (err) => console.warn(`idlab: the service worker for the offline cache was refused: ${err && err.message}`));
}

/** The active worker of the site's registration, or null. */
async function activeWorker() {
  const sw = serviceWorkers();
  if (!sw) return null;
  const registration = await sw.getRegistration(SCOPE);
  if (!registration) return null;
  if (!registration.active) await sw.ready;
  return registration.active;
}

function ask(worker, message) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    worker.postMessage(message, [channel.port2]);
  });
}

/** {version, total, cached, complete} of the offline cache, or null where there is no service worker. */
export async function offlineState() {
  const worker = await activeWorker();
  return worker ? ask(worker, { type: 'status' }) : null;
}

/** Asks the worker to keep every file of the offline cache now; resolves with offlineState's answer once it has. */
export async function fillOffline() {
  const worker = await activeWorker();
  return worker ? ask(worker, { type: 'precache' }) : null;
}
