// JSON Pointers (RFC 6901) into specs and results: how an assignment names an editable field
// and the value a question is checked against.

function tokens(pointer) {
  if (pointer === '') return [];
  if (!String(pointer).startsWith('/')) throw new Error(`"${pointer}" is not a JSON Pointer (it must start with /)`);
  return String(pointer).slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value at `pointer` in `doc`, or undefined. */
export function getPointer(doc, pointer) {
  let at = doc;
  for (const t of tokens(pointer)) {
    if (at === null || typeof at !== 'object' || !(t in at)) return undefined;
    at = at[t];
  }
  return at;
}

/** A copy of `doc` with `value` at `pointer` (missing objects on the way are made). */
export function setPointer(doc, pointer, value) {
  const copy = structuredClone(doc);
  const path = tokens(pointer);
  if (!path.length) return value;
  let at = copy;
  for (const t of path.slice(0, -1)) {
    if (at[t] === null || typeof at[t] !== 'object') at[t] = {};
    at = at[t];
  }
  at[path[path.length - 1]] = value;
  return copy;
}

/** The pointer of a path given as tokens. */
export function pointerOf(parts) {
  return parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
