//! The page's spill store: a file in the origin-private file system, through
//! the synchronous access handle the worker opened (`www/spill-file.js`).
//! Bytes are copied through a JS buffer of their own, so the same code runs
//! in the threaded build, whose memory is shared.

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
pub struct OpfsFile(pub SyncAccessHandle);

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
        let buffer = js_sys::Uint8Array::new_with_length(bytes.len() as u32);
        buffer.copy_from(bytes);
        let written = self.0.write(&buffer, &at(offset)).map_err(io)?;
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
        let buffer = js_sys::Uint8Array::new_with_length(buf.len() as u32);
        let got = self.0.read(&buffer, &at(offset)).map_err(io)?;
        if got as usize != buf.len() {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("read {got} of {} bytes", buf.len())));
        }
        buffer.copy_to(buf);
        Ok(())
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.0.truncate(len as f64).map_err(io)
    }
    fn describe(&self) -> String {
        "the page's scratch file (origin-private file system)".into()
    }
}
