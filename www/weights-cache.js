// Trained weights fetched by the compute worker (worker.js): a URL the spec names, or a file
// shipped with the site (models/trained/), downloaded with progress and an abort signal, and
// kept in the browser's Cache Storage so that the next visit does not download it again.
//
// An entry is keyed by the file's sha256 when one is known (a shipped file's, or a URL's given
// with one), so the same bytes are kept once whatever URL served them; a URL given without a
// sha256 is keyed by the URL itself, and a file changed at that URL would not be noticed (the
// page says so). Keys are URLs under this origin that are never requested: Cache Storage keys
// are requests. Where Cache Storage is missing (not a secure context: plain http other than
// localhost) every run downloads again, and `cacheState` says why.
// Used in a worker and in a page alike: no DOM.

export const CACHE_NAME = 'idlab-weights-v1';
const KEY_PREFIX = '/.idlab-weights/';
const PROGRESS_MS = 100; // the least time between two progress reports of one download

/** {available, why}: whether fetched weights can be kept here, and if not, why not (in words). */
export function cacheState() {
  if (typeof caches === 'undefined' || !caches) {
    const secure = globalThis.isSecureContext === false ? ' (this page is not a secure context: served over plain http from another host than localhost)' : '';
    return { available: false, why: `this browser gives the page no Cache Storage${secure}, so trained weights are downloaded on every run` };
  }
  return { available: true, why: '' };
}

/** The Cache Storage key of a download: by its sha256 when known, else by its URL. */
export function cacheKey(url, sha256) {
  const hex = normalHash(sha256);
  const origin = globalThis.location ? globalThis.location.origin : 'http://localhost';
  return hex
    ? `${origin}${KEY_PREFIX}sha256/${hex}`
    : `${origin}${KEY_PREFIX}url/${encodeURIComponent(url)}`;
}

/** A sha256 as 64 lower-case hex digits, or '' for none; throws for something else. */
export function normalHash(sha256) {
  if (sha256 === undefined || sha256 === null || sha256 === '') return '';
  const hex = String(sha256).trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`"${sha256}" is not a sha256 (64 hexadecimal digits)`);
  return hex;
}

/** The sha256 of `bytes` in hex, or null where the browser has no SubtleCrypto (not a secure context). */
export async function sha256Hex(bytes) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function openCache() {
  if (!cacheState().available) return null;
  try {
    return await caches.open(CACHE_NAME);
  } catch (err) {
    console.warn(`idlab: Cache Storage could not be opened (${err && err.message}); downloading without keeping`);
    return null;
  }
}

/**
 * The bytes of the weights file `url` (site-relative for a shipped file): from Cache Storage when
 * kept there, else downloaded (reporting `onProgress(loaded, total)`; `signal` aborts it), checked
 * against `sha256` when one is given, and kept. `expected` is the size the catalogue gives, for
 * progress when the server sends no length. Resolves with {bytes: Uint8Array, from: 'cache' |
 * 'network', kept, sha256}; rejects naming the URL, or with an AbortError when aborted.
 */
export async function getWeights({ name, url, sha256, expected }, { signal, onProgress } = {}) {
  const want = normalHash(sha256);
  const key = cacheKey(url, want);
  const cache = await openCache();
  if (cache) {
    let hit = await cache.match(key);
    if (!hit && want) {
      // Loaded earlier without a sha256 (kept by its URL): the same file if its hash is the one now given.
      const byUrl = await cache.match(cacheKey(url, ''));
      if (byUrl && byUrl.headers.get('x-idlab-sha256') === want) hit = byUrl;
    }
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if (onProgress) onProgress(bytes.byteLength, bytes.byteLength);
      return { bytes, from: 'cache', kept: true, sha256: hit.headers.get('x-idlab-sha256') || want || null };
    }
  }
  const bytes = await download(url, { signal, onProgress, expected });
  const got = await sha256Hex(bytes);
  if (want && got && got !== want) {
    throw new Error(`${name || url}: its sha256 is ${got}, not the ${want} given (a different file, or a damaged download); it was not kept`);
  }
  let kept = false;
  if (cache) {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.byteLength),
      'x-idlab-name': encodeURIComponent(name || url),
      'x-idlab-url': encodeURIComponent(url),
      'x-idlab-sha256': got || want || '',
      'x-idlab-by': want ? 'sha256' : 'url',
      'x-idlab-stored': new Date().toISOString(),
    };
    try {
      await cache.put(key, new Response(bytes, { headers }));
      kept = true;
    } catch (err) {
      // Over the origin's quota, say: the run goes on with the bytes it has.
      console.warn(`idlab: ${name || url} could not be kept in Cache Storage: ${err && err.message}`);
    }
  }
  return { bytes, from: 'network', kept, sha256: got || want || null };
}

// The site's root (this script lies there): a relative URL is a site path, also for a worker
// started from a blob trampoline on another origin, whose location is a blob: URL.
const SITE = new URL('./', import.meta.url);

/** Downloads `url` (relative to the site's root, where this script lies) with progress; rejects naming the URL. */
async function download(url, { signal, onProgress, expected }) {
  const resolved = new URL(url, SITE);
  let resp;
  try {
    resp = await fetch(resolved, { signal });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new Error(`Could not fetch the weights ${url}: ${err && err.message ? err.message : String(err)} ` +
      '(a server on another site must allow it: Access-Control-Allow-Origin)');
  }
  if (!resp.ok) throw new Error(`Could not fetch the weights ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
  const header = Number(resp.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : Number.isFinite(expected) && expected > 0 ? expected : null;
  if (!resp.body || !resp.body.getReader) {
    const bytes = new Uint8Array(await resp.arrayBuffer());
    if (onProgress) onProgress(bytes.byteLength, bytes.byteLength);
    return bytes;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read(); // rejects with an AbortError once `signal` aborts
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    const now = Date.now();
    if (onProgress && now - last >= PROGRESS_MS) {
      last = now;
      onProgress(loaded, total);
    }
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  if (onProgress) onProgress(loaded, total === null ? loaded : total);
  return bytes;
}

/**
 * What Cache Storage keeps: {available, why, entries: [{name, url, sha256, by, size, stored}], total}
 * (total in bytes), entries in the order they were kept.
 */
export async function listCache() {
  const state = cacheState();
  const out = { ...state, entries: [], total: 0 };
  const cache = await openCache();
  if (!cache) return out;
  for (const request of await cache.keys()) {
    const resp = await cache.match(request);
    if (!resp) continue;
    const h = (k) => resp.headers.get(k) || '';
    const size = Number(h('content-length')) || (await resp.clone().arrayBuffer()).byteLength;
    out.entries.push({
      name: safeDecode(h('x-idlab-name')) || request.url,
      url: safeDecode(h('x-idlab-url')),
      sha256: h('x-idlab-sha256') || null,
      by: h('x-idlab-by') || 'sha256',
      size,
      stored: h('x-idlab-stored') || null,
    });
    out.total += size;
  }
  return out;
}

/** Deletes every kept file; resolves with the (now empty) listing. */
export async function clearCache() {
  if (cacheState().available) {
    try {
      await caches.delete(CACHE_NAME);
    } catch (err) {
      throw new Error(`The kept weights could not be cleared: ${err && err.message}`);
    }
  }
  return listCache();
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
