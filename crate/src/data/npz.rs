//! `.npz` archives (numpy `savez`, stored, and `savez_compressed`, deflated):
//! a zip of .npy files, one per array, named by its key.

use super::{npy, shaped, Table};
use crate::error::{Error, Result};
use std::io::{Cursor, Read};

/// Reads the array `key` of an .npz, or its only array without a key.
pub(super) fn read(name: &str, bytes: &[u8], key: Option<&str>) -> Result<Table> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::Input(format!("{name}: not a readable .npz (zip) file ({e})")))?;
    let entries: Vec<String> = zip.file_names().filter(|n| !n.ends_with('/')).map(String::from).collect();
    let keys: Vec<&str> = entries.iter().map(|n| n.strip_suffix(".npy").unwrap_or(n)).collect();
    let listed = || keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let index = match key {
        Some(k) => keys.iter().position(|&e| e == k).ok_or_else(|| {
            Error::Input(format!("{name} has no array '{k}'; its arrays: {}", listed()))
        })?,
        None if keys.len() == 1 => 0,
        None if keys.is_empty() => return Err(Error::Input(format!("{name} holds no arrays"))),
        None => {
            return Err(Error::Input(format!(
                "{name} holds {} arrays; choose one of {}",
                keys.len(),
                listed()
            )))
        }
    };
    let full = format!("{name}:{}", keys[index]);
    let mut buf = Vec::new();
    zip.by_name(&entries[index])
        .and_then(|mut f| f.read_to_end(&mut buf).map_err(Into::into))
        .map_err(|e| Error::Input(format!("{full}: cannot unpack ({e})")))?;
    let (shape, data) = npy::array(&full, &buf)?;
    shaped(full, shape, data)
}
