// Checkpoints of unfinished runs, kept in IndexedDB so that a run interrupted by a reload, a
// crashed worker or a closed tab resumes from its last finished model (the core's
// crate/src/experiment/session/checkpoint.rs makes and reads them). Keyed by (run key, stimulus
// set, entry); the run key is a SHA-256 of the spec and of every input, so a changed spec or file
// never meets an old checkpoint. A finished run's checkpoints are deleted; of the others, only
// the last KEEP_RUNS runs' are kept, MAX_BYTES in all.

const DB = 'idlab-resume';
const VERSION = 1;
/** Runs whose checkpoints are kept (the one running included). */
export const KEEP_RUNS = 3;
/** Bytes of checkpoints kept in all (a target's Gram matrices are n x n float64 per layer). */
export const MAX_BYTES = 1024 * 1024 * 1024;

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('the transaction was aborted'));
  });
}

/** Every checkpoint of `run`: keys [run, set, entry] sort after [run] and before [run, []]. */
const ofRun = (run) => IDBKeyRange.bound([run], [run, []]);

/**
 * The store, opened (created on first use); rejects where IndexedDB is unavailable (some private
 * modes) or refused. {load(run), put(run, checkpoint), clear(run)}.
 */
export async function openResumeStore() {
  if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available here');
  const open = indexedDB.open(DB, VERSION);
  open.onupgradeneeded = () => {
    open.result.createObjectStore('checkpoints', { keyPath: ['run', 'set', 'entry'] });
    open.result.createObjectStore('runs', { keyPath: 'run' }); // {run, at, bytes}: which to drop first
  };
  const db = await new Promise((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
    open.onblocked = () => reject(new Error('another tab holds an older version of the checkpoint store'));
  });

  async function drop(runs) {
    if (!runs.length) return;
    const tx = db.transaction(['checkpoints', 'runs'], 'readwrite');
    for (const run of runs) {
      tx.objectStore('checkpoints').delete(ofRun(run));
      tx.objectStore('runs').delete(run);
    }
    await committed(tx);
  }

  return {
    /** `run`'s checkpoints, [{set, entry, label, bytes: Uint8Array}] in (set, entry) order. */
    async load(run) {
      const tx = db.transaction('checkpoints', 'readonly');
      return done(tx.objectStore('checkpoints').getAll(ofRun(run)));
    },

    /**
     * Keeps a checkpoint ({set, entry, label, bytes}) of `run`, making room first: older runs go,
     * oldest first, past KEEP_RUNS or MAX_BYTES. False (nothing kept) when this run alone would
     * pass MAX_BYTES.
     */
    async put(run, checkpoint) {
      const runs = await done(db.transaction('runs', 'readonly').objectStore('runs').getAll());
      const mine = runs.find((r) => r.run === run);
      const bytes = (mine ? mine.bytes : 0) + checkpoint.bytes.byteLength;
      if (bytes > MAX_BYTES) return false;
      let room = MAX_BYTES - bytes;
      const others = runs.filter((r) => r.run !== run).sort((a, b) => b.at - a.at);
      const kept = [];
      for (const r of others) {
        if (kept.length < KEEP_RUNS - 1 && r.bytes <= room) {
          kept.push(r);
          room -= r.bytes;
        }
      }
      await drop(others.filter((r) => !kept.includes(r)).map((r) => r.run));
      const tx = db.transaction(['checkpoints', 'runs'], 'readwrite');
      tx.objectStore('checkpoints').put({ run, set: checkpoint.set, entry: checkpoint.entry, label: checkpoint.label, bytes: checkpoint.bytes });
      tx.objectStore('runs').put({ run, at: Date.now(), bytes });
      await committed(tx);
      return true;
    },

    /** Deletes `run`'s checkpoints (it finished, or they could not be used). */
    clear(run) {
      return drop([run]);
    },
  };
}
