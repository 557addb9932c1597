// What the lab hands to author mode ("Make an assignment from this run"): the spec, its result
// and the user's files the spec names, kept in IndexedDB (not the URL: a result is large, and a
// URL is shared and logged).

import { get, put } from './idb.js';

/** Keeps {spec, result, files: {name: Uint8Array}} for assignment.html#author. */
export function handOver(value) {
  return put('handover', 'current', { ...value, at: Date.now() });
}

/** What the lab handed over last, or undefined. */
export function takeHandover() {
  return get('handover', 'current');
}
