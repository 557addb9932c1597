// The Gram sinks' scratch file: a file in the origin-private file system (OPFS),
// opened for synchronous access, which only a dedicated worker may do. With it,
// a layer's activations spill to disk in blocks instead of filling the tab's
// memory (crate/src/sinks/spill.rs); without it (an old browser, a private
// window that refuses storage) every row stays in memory, as the memory check assumes.

const PREFIX = 'idlab-spill-';

/** Whether this context can open one (a dedicated worker with OPFS). */
export function canSpill() {
  return typeof navigator !== 'undefined' && !!navigator.storage && typeof navigator.storage.getDirectory === 'function'
    && typeof FileSystemFileHandle !== 'undefined' && 'createSyncAccessHandle' in FileSystemFileHandle.prototype;
}

/**
 * Opens a new scratch file and removes ones a crashed run left behind (a file
 * another tab is using is locked and stays). Resolves to `{handle, close()}`,
 * or null when the browser cannot give one.
 */
export async function openSpillFile() {
  if (!canSpill()) return null;
  try {
    const root = await navigator.storage.getDirectory();
    for await (const name of root.keys()) {
      if (name.startsWith(PREFIX)) await root.removeEntry(name).catch(() => {});
    }
    const name = PREFIX + crypto.randomUUID();
    const file = await root.getFileHandle(name, { create: true });
    const handle = await file.createSyncAccessHandle();
    return {
      handle,
      async close() {
        try { handle.close(); } catch { /* already closed */ }
        await root.removeEntry(name).catch(() => {});
      },
    };
  } catch {
    return null;
  }
}
