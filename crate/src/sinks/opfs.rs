//! The page's spill store: a file in the origin-private file system, through
//! the synchronous access handle the worker opened (`www/spill-file.js`).
//! The handle reads and writes views of the module's own memory (a
//! `SharedArrayBuffer` in the threaded build, which the File System standard
//! allows): a copy through a fresh JS buffer made writing 120 MB take 1.0 s
//! instead of 0.5 (BENCHMARKS.md, "Against the peers"). A browser that refuses a view
//! gets the bytes through one JS buffer, kept for the next request.

use super::spill::SpillStore;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `FileSystemSyncAccessHandle` (bound here by hand: only four methods).
    pub type SyncAccessHandle;
    #[wasm_bindgen(method, catch)]
    fn write(this: &SyncAccessHandle, buffer: &js_sys::Uint8Array, options: &js_sys::Object) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn read(this: &SyncAccessHandle, buffer: &js_sys::Uint8Array, options: &js_sys::Object) -> Result<f64, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn truncate(this: &SyncAccessHandle, size: f64) -> Result<(), JsValue>;
}

/// A spill store on an OPFS file.
pub struct OpfsFile {
    handle: SyncAccessHandle,
    /// Set once the handle refused a view of the module's memory: the buffer
    /// the bytes go through instead (grown to the largest request).
    through: Option<js_sys::Uint8Array>,
}

impl OpfsFile {
    pub fn new(handle: SyncAccessHandle) -> Self {
        OpfsFile { handle, through: None }
    }

    /// `op` (the handle's read or write) on a view of the module's memory,
    /// unless the handle refused one before: `None` then, and when it refuses
    /// this one (a TypeError), from then on.
    fn on_view(
        &self,
        view: &js_sys::Uint8Array,
        options: &js_sys::Object,
        op: fn(&SyncAccessHandle, &js_sys::Uint8Array, &js_sys::Object) -> Result<f64, JsValue>,
    ) -> std::io::Result<Option<f64>> {
        if self.through.is_some() {
            return Ok(None);
        }
        match op(&self.handle, view, options) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.is_instance_of::<js_sys::TypeError>() => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    /// The JS buffer of at least `len` bytes the bytes go through, as a view of `len`.
    fn buffer(&mut self, len: usize) -> js_sys::Uint8Array {
        let big = self.through.as_ref().is_some_and(|b| b.length() as usize >= len);
        if !big {
            self.through = Some(js_sys::Uint8Array::new_with_length(len as u32));
        }
        self.through.as_ref().expect("set above").subarray(0, len as u32)
    }
}

fn at(offset: u64) -> js_sys::Object {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"at".into(), &(offset as f64).into());
    o
}

fn io(e: JsValue) -> std::io::Error {
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser refused".into());
    std::io::Error::other(message)
}

impl SpillStore for OpfsFile {
    fn write(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let options = at(offset);
        // SAFETY: the view is used by this one call, which allocates nothing in
        // the module (so its memory cannot grow and detach the view meanwhile).
        let view = unsafe { js_sys::Uint8Array::view(bytes) };
        let written = match self.on_view(&view, &options, SyncAccessHandle::write)? {
            Some(n) => n,
            None => {
                let buffer = self.buffer(bytes.len());
                buffer.copy_from(bytes);
                self.handle.write(&buffer, &options).map_err(io)?
            }
        };
        if written > bytes.len() as f64 {
            // Chromium answers a write past the origin's quota with a count
            // that is its error code read as unsigned (2^32 - 8: no space).
            return Err(std::io::Error::other(format!(
                "the browser refused to write {} bytes: the site's storage is full (a private window keeps it in memory, with a small quota)",
                bytes.len()
            )));
        }
        if written as usize != bytes.len() {
            return Err(std::io::Error::other(format!("wrote {written} of {} bytes (is the disk full?)", bytes.len())));
        }
        Ok(())
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let options = at(offset);
        // SAFETY: as in `write`; the handle fills the view, which is `buf`.
        let view = unsafe { js_sys::Uint8Array::view_mut_raw(buf.as_mut_ptr(), buf.len()) };
        let got = match self.on_view(&view, &options, SyncAccessHandle::read)? {
            Some(n) => n,
            None => {
                let buffer = self.buffer(buf.len());
                let n = self.handle.read(&buffer, &options).map_err(io)?;
                if n as usize == buf.len() {
                    buffer.copy_to(buf);
                }
                n
            }
        };
        if got as usize != buf.len() {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("read {got} of {} bytes", buf.len())));
        }
        Ok(())
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.handle.truncate(len as f64).map_err(io)
    }
    fn describe(&self) -> String {
        "the page's scratch file (origin-private file system)".into()
    }
}
