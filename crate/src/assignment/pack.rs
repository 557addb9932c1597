//! Writing a `.idlab.zip`: the manifest's `files` list is completed with every
//! file's sha256 and size (a file given but not listed is added), the zip is
//! written with fixed dates so the same folder gives the same bytes, and the
//! result is opened as a student's page would open it before it is returned.

use super::format::{FileEntry, Manifest};
use super::open::{open, parse_manifest};
use super::sha256_hex;
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The zip of `manifest` (JSON) and `files` (path in the zip -> bytes).
pub fn pack(manifest: serde_json::Value, files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>> {
    let mut m: Manifest = parse_manifest(manifest)?;
    if files.contains_key("assignment.json") {
        return Err(Error::Input("assignment.json is written by pack; do not pass it as a file".into()));
    }
    for f in &mut m.files {
        let Some(bytes) = files.get(&f.path) else {
            return Err(Error::Input(format!("{} is listed in assignment.json but missing from the files given", f.path)));
        };
        let got = sha256_hex(bytes);
        if let Some(want) = &f.sha256 {
            if !want.eq_ignore_ascii_case(&got) {
                return Err(Error::Input(format!("{}: assignment.json lists sha256 {want}, the file's is {got} (leave sha256 out to have pack fill it)", f.path)));
            }
        }
        f.sha256 = Some(got);
        f.bytes = Some(bytes.len() as u64);
    }
    for (path, bytes) in files {
        if !m.files.iter().any(|f| &f.path == path) {
            m.files.push(FileEntry { path: path.clone(), sha256: Some(sha256_hex(bytes)), bytes: Some(bytes.len() as u64) });
        }
    }
    let json = serde_json::to_vec_pretty(&m).expect("a manifest serialises");
    let mut entries: Vec<(&str, &[u8])> = vec![("assignment.json", &json)];
    entries.extend(m.files.iter().map(|f| (f.path.as_str(), files[&f.path].as_slice())));
    let bytes = crate::experiment::exports::zip(entries)?;
    open(&bytes)?;
    Ok(bytes)
}
