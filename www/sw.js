// idlab's service worker, registered by isolation.js with the site root as its scope. A scope has
// only one service worker, and this one has two jobs, so it is written here rather than taken
// from the npm package coi-serviceworker (whose pattern job 1 follows, and which would be the
// scope's only worker, without an offline cache):
//
// 1. Cross-origin isolation where the host sends no COOP/COEP headers (GitHub Pages and most
//    static hosts): every same-origin response is served again with the headers `idlab serve`
//    sends: Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp
//    and Cross-Origin-Resource-Policy: cross-origin (so that pages of other sites may still load
//    or frame the lab's files). Once this worker controls a page, isolation.js reloads it once
//    and it is crossOriginIsolated: the threaded build runs. COEP is require-corp, as `idlab
//    serve` sends, rather than credentialless: the lab loads only its own same-origin files and,
//    in CORS mode, a user's model or weights URL, both of which require-corp allows, so the
//    looser credentialless (which also admits other sites' no-cors files) gains nothing here,
//    and both ways of hosting the lab stay alike.
//
// 2. Offline after the first visit: the files www/build/precache.mjs lists in precache.json
//    (the pages, scripts, styles, presets, model catalogues, Plotly, the three wasm builds and the
//    shipped data) are kept in the cache `idlab-site-<VERSION>`. The small files ("shell") are
//    kept on install; the large ones ("bulk") once a page asks ({type: 'precache'}), so that
//    the first visit is isolated without waiting for 60 MB. A precached file is served from the
//    cache first. Trained weight files (models/trained/) are not kept here: the compute worker
//    keeps each in its own cache (idlab-weights-v1, weights-cache.js) when it first fetches it,
//    and the page's Clear button empties that one. Other same-origin GETs go to the network and
//    are kept as a fallback for offline. A new deploy changes VERSION (so this file's bytes,
//    which is what the browser's update check compares); the new worker copies the files whose
//    hash did not change from the old cache (only changed files are downloaded again), takes
//    over as soon as the old worker has no event in flight (skipWaiting; Chromium waits for
//    those events, at most 5 minutes) and deletes every other idlab-site-* cache.
//
// Never touched: requests to other origins (a user's URLs go to the network as if there were
// no service worker), non-GET requests, and Range requests (they bypass the cache).
//
// Messages (each answered on the MessageChannel port sent with it):
//   {type: 'status'}    -> {version, total, cached, complete}
//   {type: 'precache'}  -> the same, once every listed file is kept (or a fetch failed: complete false)

const VERSION = 'unstamped'; // www/build/precache.mjs writes a hash of the deployed files here
const PREFIX = 'idlab-site-';
const CACHE = `${PREFIX}${VERSION}`;
const SCOPE = self.registration.scope; // ends in '/'
const LIST_URL = `${SCOPE}precache.json`;
const NOT_KEPT = ['models/trained/', 'sw.js', 'precache.json'];
const FILL_AT_ONCE = 3; // parallel downloads while filling the bulk

let list = null;           // {version, shell: [path], bulk: [path], paths: Set<path>}, once read
const inflight = new Map(); // key URL -> promise of the cache.put of a download in progress
let filling = null;        // the fill in progress

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const precache = await readList({ fromNetwork: true });
    if (precache) {
      const cache = await caches.open(CACHE);
      await cache.put(LIST_URL, new Response(JSON.stringify(precache.raw), { headers: { 'content-type': 'application/json' } }));
      await adoptUnchanged(precache);
      // A file that fails here is fetched again by the next fill: the install still succeeds.
      await fill(precache.shell);
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  const port = event.ports && event.ports[0];
  const reply = (value) => { if (port) port.postMessage(value); };
  const fail = (err) => reply({ version: VERSION, error: String(err && err.message ? err.message : err) });
  if (msg.type === 'status') {
    event.waitUntil(status().then(reply, fail));
  } else if (msg.type === 'precache') {
    event.waitUntil(fillAll().then(status).then(reply, fail));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  if (!request.url.startsWith(SCOPE)) return; // another origin, or outside the site
  if (request.headers.has('range')) return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return; // would throw in fetch()
  event.respondWith(answer(event, request).then(isolate));
});

/** The response to a same-origin GET: the cache first for a precached file, else the network. */
async function answer(event, request) {
  const key = keyOf(request.url);
  const path = key.slice(SCOPE.length);
  const precache = await readList({ fromNetwork: false });
  const cache = await caches.open(CACHE);
  if (precache && precache.paths.has(path)) {
    const hit = await cache.match(key);
    if (hit) return hit;
    return download(key, event);
  }
  try {
    const response = await fetch(request);
    if (keepable(response) && !NOT_KEPT.some((p) => path.startsWith(p))) {
      event.waitUntil(cache.put(key, response.clone()).catch(() => {}));
    }
    return response;
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw err;
  }
}

/**
 * Fetches a precached file and keeps it; resolves with the response (streamed to whoever asked
 * while the cache reads its copy). A file already downloading is not fetched twice.
 */
function download(key, event) {
  const pending = inflight.get(key);
  if (pending) return pending.then(async () => (await caches.match(key, { cacheName: CACHE })) || fetch(key));
  const { response, kept } = startDownload(key);
  event.waitUntil(kept);
  return response;
}

/** {response, kept}: a precached file's fetch, and the promise of its copy in the cache (never rejects). */
function startDownload(key) {
  const response = fetch(new Request(key, { cache: 'no-cache', credentials: 'same-origin' }));
  // Cloned at once, before anyone reads the body: this callback is the first one on `response`.
  const kept = response
    .then((r) => {
      if (!keepable(r)) return undefined;
      const copy = r.clone();
      return caches.open(CACHE).then((cache) => cache.put(key, copy));
    })
    .catch(() => {})
    .finally(() => inflight.delete(key));
  inflight.set(key, kept);
  return { response, kept };
}

/**
 * Keeps every path not kept yet, FILL_AT_ONCE at a time; resolves when all were tried, or, with
 * `yieldToNewer`, as soon as a newer version of this worker is installing or waiting: it cannot
 * take over (and delete this version's cache) while this worker is still busy filling it.
 */
async function fill(paths, { yieldToNewer = false } = {}) {
  const cache = await caches.open(CACHE);
  const have = new Set((await cache.keys()).map((r) => r.url));
  const todo = paths.map((p) => SCOPE + p).filter((key) => !have.has(key));
  const superseded = () => yieldToNewer && Boolean(self.registration.installing || self.registration.waiting);
  const next = async () => {
    for (let key = todo.shift(); key && !superseded(); key = todo.shift()) {
      const pending = inflight.get(key); // the page is downloading it already
      if (pending) {
        await pending;
        continue;
      }
      const { response, kept } = startDownload(key);
      // Only the cache's copy is wanted: drop the other, so that it is not held in memory.
      response.then((r) => (r.body ? r.body.cancel() : undefined)).catch(() => {});
      await kept;
    }
  };
  await Promise.all(Array.from({ length: FILL_AT_ONCE }, next));
}

/**
 * Copies into this version's cache the files an older version kept whose hash is unchanged
 * (precache.json's `hashes`), so that a deploy downloads only what it changed. At install:
 * the older caches are deleted when this version activates.
 */
async function adoptUnchanged(precache) {
  const hashes = precache.raw.hashes || {};
  const cache = await caches.open(CACHE);
  const have = new Set((await cache.keys()).map((r) => r.url));
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === CACHE) continue;
    const old = await caches.open(name);
    const oldList = await old.match(LIST_URL);
    if (!oldList) continue;
    const oldHashes = (await oldList.json()).hashes || {};
    for (const path of precache.paths) {
      const key = SCOPE + path;
      if (have.has(key) || !hashes[path] || oldHashes[path] !== hashes[path]) continue;
      const hit = await old.match(key);
      if (!hit) continue;
      await cache.put(key, hit);
      have.add(key);
    }
  }
}

/** Fills the whole precache (shell and bulk); one fill at a time. */
function fillAll() {
  if (!filling) {
    filling = readList({ fromNetwork: false })
      .then((precache) => (precache ? fill([...precache.shell, ...precache.bulk], { yieldToNewer: true }) : undefined))
      .finally(() => { filling = null; });
  }
  return filling;
}

/** {version, total, cached, complete}: how much of the precache is kept. */
async function status() {
  const precache = await readList({ fromNetwork: false });
  if (!precache) return { version: VERSION, total: 0, cached: 0, complete: false, why: 'this site has no precache.json' };
  const cache = await caches.open(CACHE);
  const have = new Set((await cache.keys()).map((r) => r.url));
  let cached = 0;
  for (const path of precache.paths) if (have.has(SCOPE + path)) cached += 1;
  return { version: VERSION, total: precache.paths.size, cached, complete: cached === precache.paths.size };
}

/**
 * The precache list: from memory, from this version's cache, or (at install, or when neither
 * has it) from the network. Null when the site has none (built without precache.mjs); throws
 * when the deployed list belongs to another version (a deploy in progress: install again later).
 */
async function readList({ fromNetwork }) {
  if (list) return list;
  let raw = null;
  if (!fromNetwork) {
    const kept = await caches.match(LIST_URL, { cacheName: CACHE });
    if (kept) raw = await kept.json();
  }
  if (!raw) {
    if (VERSION === 'unstamped') return null;
    const response = await fetch(LIST_URL, { cache: 'no-cache' });
    if (!response.ok) return null;
    raw = await response.json();
    if (raw.version !== VERSION) throw new Error(`precache.json is for version ${raw.version}, this worker is ${VERSION}`);
  }
  const shell = raw.shell || [];
  const bulk = raw.bulk || [];
  list = { raw, shell, bulk, paths: new Set([...shell, ...bulk]) };
  return list;
}

/** The cache key of a URL: without query or fragment, a folder as its index.html. */
function keyOf(url) {
  const u = new URL(url);
  let key = u.origin + u.pathname;
  if (key.endsWith('/')) key += 'index.html';
  return key;
}

function keepable(response) {
  return response && response.status === 200 && response.type === 'basic';
}

/** The response with the isolation headers (and a Server-Timing mark isolation.js reads when they were added here). */
function isolate(response) {
  if (!response || response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  const added = !headers.has('cross-origin-embedder-policy') || !headers.has('cross-origin-opener-policy');
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  if (added) headers.append('Server-Timing', 'idlab-isolation;desc="service-worker"');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
