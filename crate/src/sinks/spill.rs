//! Where a Gram sink's rows go when a layer's activations outgrow memory:
//! an append-only scratch file (a temporary file natively, a file in the
//! tab's origin-private file system in the page), truncated after each model.
//!
//! The exact Gram matrix needs every pair of rows, so the rows cannot simply
//! be folded away as images arrive; [`super::GramSink`] keeps one block of
//! rows in memory, writes full blocks here and reads every spilled row back
//! once at the layer's end, a stretch of units at a time. Only the bytes
//! move: the products, and so the matrix, are the same bits as without spilling.

use crate::error::{Error, Result};

/// Random-access scratch storage. `write` appends or overwrites at `at`;
/// `read` fills `buf` from `at`; `truncate` forgets everything past `len`.
pub trait SpillStore {
    fn write(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()>;
    fn read(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<()>;
    fn truncate(&mut self, len: u64) -> std::io::Result<()>;
    /// Where the bytes go, for messages ("a temporary file in /tmp").
    fn describe(&self) -> String;
}

/// Bytes written per request, and read back at once: a stretch of the
/// spilled rows (so reading back costs a fixed, small buffer however large a
/// block is).
pub const READ_CHUNK_BYTES: usize = 8 << 20;

/// A store and its length, shared by every layer of the model that runs.
/// Its head may hold the run's resized images (kept across models, see
/// [`Spill::put_head`]); Gram rows follow them and go after each model.
pub struct Spill {
    store: Box<dyn SpillStore>,
    len: u64,
    /// Bytes of the head (the images), which `clear` keeps.
    head: u64,
    /// Bytes of rows written since the last `clear`, and the most rows held at once.
    pub written: u64,
    pub peak: u64,
}

impl Spill {
    pub fn new(store: Box<dyn SpillStore>) -> Spill {
        Spill { store, len: 0, head: 0, written: 0, peak: 0 }
    }

    /// Writes `parts` one after another at the start of the store, in place
    /// of anything there (rows included): what stays until the next head.
    pub(crate) fn put_head<'a>(&mut self, parts: impl Iterator<Item = &'a [u8]>) -> Result<()> {
        self.store.truncate(0).map_err(|e| self.error("clear", e))?;
        let mut at = 0u64;
        for bytes in parts {
            self.store.write(at, bytes).map_err(|e| self.error("write to", e))?;
            at += bytes.len() as u64;
        }
        self.head = at;
        self.len = at;
        Ok(())
    }

    /// Reads `buf.len()` bytes of the head from byte `at`.
    pub(crate) fn read_head(&mut self, at: u64, buf: &mut [u8]) -> Result<()> {
        if at + buf.len() as u64 > self.head {
            return Err(Error::State(format!("bytes {at}..{} are past the spilled images ({} bytes)", at + buf.len() as u64, self.head)));
        }
        self.store.read(at, buf).map_err(|e| self.error("read from", e))
    }

    /// Appends `rows` (f32, little-endian) and returns where they start.
    pub(crate) fn append(&mut self, rows: &[f32]) -> Result<u64> {
        let at = self.len;
        for chunk in rows.chunks(READ_CHUNK_BYTES / 4) {
            let bytes = little_endian(chunk);
            self.store.write(self.len, &bytes).map_err(|e| self.error("write to", e))?;
            self.len += bytes.len() as u64;
        }
        self.written += self.len - at;
        self.peak = self.peak.max(self.len - self.head);
        Ok(at)
    }

    /// Reads `out.len()` f32 values starting at byte `at`, straight into `out`.
    pub(crate) fn read(&mut self, at: u64, out: &mut [f32]) -> Result<()> {
        self.store.read(at, bytemuck::cast_slice_mut(out)).map_err(|e| self.error("read from", e))?;
        if cfg!(target_endian = "big") {
            out.iter_mut().for_each(|v| *v = f32::from_bits(u32::from_le(v.to_bits())));
        }
        Ok(())
    }

    /// Forgets the rows of the model that just finished (the head stays).
    pub fn clear(&mut self) -> Result<()> {
        if self.len > self.head {
            self.store.truncate(self.head).map_err(|e| self.error("clear", e))?;
        }
        self.len = self.head;
        Ok(())
    }

    fn error(&self, what: &str, e: std::io::Error) -> Error {
        Error::Limit(format!(
            "could not {what} {} while spilling images or a layer's activations: {e} (free some disk space, or record fewer images or layers)",
            self.store.describe()
        ))
    }
}

/// The bytes of `values` as the store keeps them (little-endian): the values
/// themselves on a little-endian machine (wasm32, x86, Arm), without a copy.
fn little_endian(values: &[f32]) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        std::borrow::Cow::Borrowed(bytemuck::cast_slice(values))
    } else {
        std::borrow::Cow::Owned(values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

/// A store in memory: what the tests use to spill without a file system.
#[derive(Default)]
pub struct MemoryStore(Vec<u8>);

impl SpillStore for MemoryStore {
    fn write(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        let (at, end) = (at as usize, at as usize + bytes.len());
        if self.0.len() < end {
            self.0.resize(end, 0);
        }
        self.0[at..end].copy_from_slice(bytes);
        Ok(())
    }
    fn read(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let at = at as usize;
        let src = self.0.get(at..at + buf.len()).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "past the end"))?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.0.truncate(len as usize);
        self.0.shrink_to_fit();
        Ok(())
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

/// A temporary file, created on the first write and removed when dropped
/// (on Unix it is unlinked at once, so a killed run leaves nothing behind).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
pub struct TempFile {
    file: Option<std::fs::File>,
    path: Option<std::path::PathBuf>,
}

#[cfg(not(target_arch = "wasm32"))]
impl TempFile {
    fn open(&mut self) -> std::io::Result<&mut std::fs::File> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        if self.file.is_none() {
            let name = format!("idlab-spill-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            let path = std::env::temp_dir().join(name);
            let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
            if cfg!(unix) && std::fs::remove_file(&path).is_ok() {
                self.path = None;
            } else {
                self.path = Some(path);
            }
            self.file = Some(file);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl SpillStore for TempFile {
    fn write(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let f = self.open()?;
        f.seek(SeekFrom::Start(at))?;
        f.write_all(bytes)
    }
    fn read(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let f = self.open()?;
        f.seek(SeekFrom::Start(at))?;
        f.read_exact(buf)
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.set_len(len),
            None => Ok(()),
        }
    }
    fn describe(&self) -> String {
        format!("a temporary file in {}", std::env::temp_dir().display())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for TempFile {
    fn drop(&mut self) {
        self.file = None;
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The head (the images) stays when a model's rows are cleared, and rows
    /// start after it; a new head replaces the old one and the rows.
    #[test]
    fn the_head_outlives_the_rows() {
        let mut s = Spill::new(Box::new(MemoryStore::default()));
        s.put_head([&[1u8, 2, 3][..], &[4, 5][..]].into_iter()).unwrap();
        let at = s.append(&[1.5, -2.0]).unwrap();
        assert_eq!((at, s.peak), (5, 8));
        let mut rows = [0f32; 2];
        s.read(at, &mut rows).unwrap();
        assert_eq!(rows, [1.5, -2.0]);
        s.clear().unwrap();
        let mut head = [0u8; 5];
        s.read_head(0, &mut head).unwrap();
        assert_eq!(head, [1, 2, 3, 4, 5]);
        assert_eq!(s.append(&[7.0]).unwrap(), 5, "rows start after the head again");
        assert!(s.read_head(3, &mut [0u8; 3]).is_err(), "past the head");
        s.put_head([&[9u8][..]].into_iter()).unwrap();
        let mut one = [0u8; 1];
        s.read_head(0, &mut one).unwrap();
        assert_eq!(one, [9]);
        assert_eq!(s.append(&[1.0]).unwrap(), 1);
    }

    /// A temporary file truncated to the head keeps it.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_temporary_file_keeps_its_head() {
        let mut s = Spill::new(Box::new(TempFile::default()));
        s.put_head([&[7u8; 10][..]].into_iter()).unwrap();
        s.append(&[0.25; 1000]).unwrap();
        s.clear().unwrap();
        let mut head = [0u8; 10];
        s.read_head(0, &mut head).unwrap();
        assert_eq!(head, [7; 10]);
    }
}
