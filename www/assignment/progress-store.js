// A student's progress on one assignment, kept in this browser by the assignment's sha256 (a
// changed file starts afresh): the name, answers and their checks, the editable fields' values,
// and each finished run's spec and result, so that a reload resumes and no run is recomputed.

import { get, put } from './idb.js';

/** An empty progress record. */
function fresh() {
  return { name: '', answers: {}, checks: {}, edits: {}, results: {}, specs: {} };
}

/** The progress kept for the assignment `sha256` (an empty one when none). */
export async function loadProgress(sha256) {
  try {
    const kept = await get('progress', sha256);
    return { ...fresh(), ...(kept || {}) };
  } catch {
    return fresh(); // no IndexedDB (some private windows): progress lives as long as the tab
  }
}

/** Keeps `progress` for the assignment `sha256`; resolves false when the browser would not keep it. */
export async function saveProgress(sha256, progress) {
  try {
    await put('progress', sha256, progress);
    return true;
  } catch {
    return false;
  }
}

/** Remembers the bytes of the assignment last opened (a reload reopens it). */
export async function keepLastFile(name, bytes) {
  try {
    await put('files', 'last', { name, bytes });
  } catch { /* reopening is a convenience */ }
}

/** {name, bytes} of the assignment last opened, or undefined. */
export async function lastFile() {
  try {
    return await get('files', 'last');
  } catch {
    return undefined;
  }
}
