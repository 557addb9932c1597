// The assignment page's IndexedDB database: one key-value store per kind of thing kept
// (a student's progress by the assignment's sha256, the last opened file, the lab's handover).
// IndexedDB rather than localStorage: results and zips may exceed localStorage's few MB.

const DB = 'idlab-assignments';
const STORES = ['progress', 'files', 'handover'];
let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      for (const name of STORES) if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('IndexedDB could not be opened'));
  });
  return opening;
}

function request(store, mode, act) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = act(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error || new Error('IndexedDB request failed'));
    tx.onabort = () => reject(tx.error || new Error('IndexedDB request aborted'));
  }));
}

/** The value kept under `key` in `store` (undefined when none). */
export function get(store, key) {
  return request(store, 'readonly', (s) => s.get(key));
}

/** Keeps `value` (structured-cloned) under `key` in `store`. */
export function put(store, key, value) {
  return request(store, 'readwrite', (s) => s.put(value, key));
}

/** Forgets `key` in `store`. */
export function remove(store, key) {
  return request(store, 'readwrite', (s) => s.delete(key));
}
