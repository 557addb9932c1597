// Where an assignment's bytes come from: the file picker, a file dropped on the page, the
// page's `?assignment=URL` (relative to the page), or the file opened last (a reload resumes).
// The core opens them (assignment_open); a file it refuses shows its message and nothing runs.

import { core } from './compute.js';
import { keepLastFile, lastFile } from './progress-store.js';
import { dropZone } from '../drop-zone.js';
import { classifyUrl, refusalMessage, askToFetch } from '../url-safety.js';

/** The bytes at `url` (relative to this page), or an error naming the URL. */
export async function fetchAssignment(url) {
  const resolved = new URL(url, location.href);
  let resp;
  try {
    resp = await fetch(resolved);
  } catch (err) {
    throw new Error(`Could not fetch the assignment ${url}: ${err.message}`);
  }
  if (!resp.ok) throw new Error(`Could not fetch the assignment ${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
  return { name: decodeURIComponent(resolved.pathname.split('/').pop() || 'assignment.idlab.zip'), bytes: new Uint8Array(await resp.arrayBuffer()) };
}

/** assignment_open's value for `bytes`; kept as the last file only when the core accepts it. */
export async function openBytes(name, bytes) {
  const opened = await core('assignment_open', bytes);
  await keepLastFile(name, bytes);
  return opened;
}

/** {name, bytes} to open when the page loads: `?assignment=URL`, else the last file, else null. */
export async function initialFile() {
  const url = new URLSearchParams(location.search).get('assignment');
  if (url) {
    // A link's assignment on another site is fetched once the reader allows it; one on their own
    // network, or not http(s), never (url-safety.js).
    const safety = classifyUrl(url, { page: location.href });
    if (safety.verdict === 'refuse') throw new Error(refusalMessage([{ url, reason: safety.reason }], 'The link (?assignment=)'));
    if (safety.verdict === 'ask' && !(await askToFetch([safety], { what: "This link's assignment" }))) {
      throw new Error(`The assignment at ${safety.host} was not fetched (Cancel). Choose or drop the file instead.`);
    }
    return fetchAssignment(url);
  }
  const last = await lastFile();
  return last && last.bytes ? { name: last.name, bytes: new Uint8Array(last.bytes) } : null;
}

/** Calls onFile({name, bytes}) for a file chosen in `input` or dropped on `zone`. */
export function wireOpen(input, zone, onFile) {
  const take = async (file) => {
    if (file) onFile({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
  };
  input.addEventListener('change', () => {
    take(input.files && input.files[0]);
    input.value = '';
  });
  dropZone(zone, (event) => take(event.dataTransfer && event.dataTransfer.files[0]));
}
