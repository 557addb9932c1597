//! Activations and RDMs kept for download (`"export"` in the spec): every
//! model layer's activations as recorded (stimuli x units, float32, after any
//! subsample) and its RDM (stimuli x stimuli, float64), and a data target's
//! matrix or RDMs as loaded, written as `.npy` files (C order, little-endian,
//! numpy format 1.0) under names that are safe on any file system. The CLI
//! writes them into its output folder; the page downloads them as one .zip
//! built here, so both hold the same bytes.

use crate::error::{Error, Result};
use crate::metrics::rdm::{rdm_from_gram, Distance, Rdm};
use nalgebra::DMatrix;
use npyz::{DType, TypeStr, WriterBuilder};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{Cursor, Write};

/// What a run keeps for download: `{"activations": true, "rdms": true, "distance": "correlation"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Every layer's activations (models) and a responses target's matrix.
    #[serde(default)]
    pub activations: bool,
    /// Every layer's RDM, and an RDM target's RDMs.
    #[serde(default)]
    pub rdms: bool,
    /// The RDMs' distance, as `idlab rdm --distance` (default `correlation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<String>,
}

impl ExportSpec {
    pub fn validate(&self) -> Result<()> {
        if !self.activations && !self.rdms {
            return Err(Error::Spec("export keeps nothing: set \"activations\" or \"rdms\" (or both) to true, or leave export out".into()));
        }
        self.distance().map(|_| ())
    }

    /// The RDMs' distance.
    pub fn distance(&self) -> Result<Distance> {
        match &self.distance {
            None => Ok(Distance::Correlation),
            Some(d) => Distance::parse(d).map_err(|e| Error::Spec(format!("export.distance: {e}"))),
        }
    }
}

/// One file of the export: its path (`/`-separated, relative) and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The manifest's line about one file (`exports.json`): which model and layer it holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Listed {
    path: String,
    /// `activations`, `rdm`, `responses` or `rdms`.
    kind: String,
    model: String,
    label: String,
    layer: String,
    shape: Vec<usize>,
    dtype: String,
}

/// A layer's (or data target's) activations as kept: an f32 row per stimulus, or a data matrix.
pub(super) enum Rows {
    F32(Vec<Vec<f32>>),
    F64(DMatrix<f64>),
}

/// What the export needs of one layer of an entry.
pub(super) struct LayerView<'a> {
    pub name: &'a str,
    pub rows: Option<Rows>,
    /// The Gram matrix, row sums and unit count the layer's RDM is computed from.
    pub gram: Option<(&'a DMatrix<f64>, &'a [f64], usize)>,
    /// A data target's RDMs (one per subject), written as loaded.
    pub rdms: &'a [Rdm],
}

/// The entry a set of files belongs to; `order` is its place in the result's models list.
pub(super) struct Owner<'a> {
    pub order: usize,
    pub id: &'a str,
    pub label: &'a str,
}

/// (kind, model, layer): the files' fixed order, activations first, then RDMs.
pub(crate) type Rank = (u8, usize, usize);

/// The files of one run, added as each entry finishes and sorted at the end.
pub(super) struct Exports {
    activations: bool,
    rdms: bool,
    distance: Distance,
    files: Vec<(Rank, ExportFile)>,
    listed: Vec<(Rank, Listed)>,
    finished: bool,
}

/// The file names of the manifest.
pub const MANIFEST: &str = "exports.json";

impl Exports {
    /// None when the spec exports nothing.
    pub fn new(spec: Option<&ExportSpec>) -> Result<Option<Exports>> {
        let Some(spec) = spec else { return Ok(None) };
        spec.validate()?;
        Ok(Some(Exports {
            activations: spec.activations,
            rdms: spec.rdms,
            distance: spec.distance()?,
            files: Vec::new(),
            listed: Vec::new(),
            finished: false,
        }))
    }

    /// True when activations are kept (the sinks keep their rows for this).
    pub fn keeps_activations(&self) -> bool {
        self.activations
    }

    /// Adds an entry's files. `data` marks a data target, whose one "layer" is
    /// named for its kind (`responses` or `rdms`). An RDM that is undefined (a
    /// constant layer) is left out, with the reason pushed to `warnings`.
    pub fn add(&mut self, owner: Owner, data: bool, layers: Vec<LayerView>, warnings: &mut Vec<String>) -> Result<()> {
        let dir = format!("{}-{}", owner.id, slug(owner.label));
        let names: Vec<String> = layers
            .iter()
            .map(|l| if data { if l.rdms.is_empty() { "responses" } else { "rdms" }.to_string() } else { l.name.to_string() })
            .collect();
        let files = unique_slugs(&names);
        for (k, (layer, file)) in layers.into_iter().zip(files).enumerate() {
            let listed = |path: &str, kind: &'static str, shape: Vec<usize>, dtype: &'static str| Listed {
                path: path.to_string(),
                kind: kind.into(),
                model: owner.id.to_string(),
                label: owner.label.to_string(),
                layer: names[k].clone(),
                shape,
                dtype: dtype.into(),
            };
            if self.activations {
                if let Some(rows) = layer.rows {
                    let path = format!("activations/{dir}/{file}.npy");
                    let (bytes, shape, dtype, kind) = match &rows {
                        Rows::F32(r) => {
                            let units = r.first().map_or(0, Vec::len);
                            let shape = vec![r.len(), units];
                            (npy_f32(&shape, r.iter().flatten().copied())?, shape, "<f4", "activations")
                        }
                        Rows::F64(m) => {
                            let shape = vec![m.nrows(), m.ncols()];
                            let rows = (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| (i, j)));
                            (npy_f64(&shape, rows.map(|(i, j)| m[(i, j)]))?, shape, "<f8", "responses")
                        }
                    };
                    drop(rows);
                    self.push((0, owner.order, k), path.clone(), bytes, listed(&path, kind, shape, dtype));
                }
            }
            if !self.rdms {
                continue;
            }
            let path = format!("rdms/{dir}/{file}.npy");
            if !layer.rdms.is_empty() {
                // As loaded: n x n, or subjects x n x n.
                let n = layer.rdms[0].n();
                let shape = if layer.rdms.len() == 1 { vec![n, n] } else { vec![layer.rdms.len(), n, n] };
                let values = layer.rdms.iter().flat_map(|r| (0..n).flat_map(move |i| (0..n).map(move |j| r.get(i, j))));
                let bytes = npy_f64(&shape, values)?;
                self.push((1, owner.order, k), path.clone(), bytes, listed(&path, "rdms", shape, "<f8"));
            } else if let Some((gram, sums, units)) = layer.gram {
                match rdm_from_gram(gram, sums, units, self.distance) {
                    Ok(r) => {
                        let n = r.n();
                        let bytes = npy_f64(&[n, n], (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| r.get(i, j)))?;
                        self.push((1, owner.order, k), path.clone(), bytes, listed(&path, "rdm", vec![n, n], "<f8"));
                    }
                    Err(e) => warnings.push(format!("export: no RDM of {} {}: {e}", owner.label, names[k])),
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, rank: Rank, path: String, bytes: Vec<u8>, listed: Listed) {
        self.files.push((rank, ExportFile { path, bytes }));
        self.listed.push((rank, listed));
    }

    /// Sorts the files into their fixed order and appends the manifest,
    /// `exports.json`: the distance, the stimuli (the rows, in order) and what each file holds.
    pub fn finish(&mut self, stimuli: &[String]) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.files.sort_by_key(|(r, _)| *r);
        self.listed.sort_by_key(|(r, _)| *r);
        #[derive(Serialize)]
        struct Manifest<'a> {
            /// The RDMs' distance (null without RDMs).
            distance: Option<Distance>,
            /// The stimuli: the rows of every array, in order.
            stimuli: &'a [String],
            files: Vec<&'a Listed>,
        }
        let manifest = Manifest { distance: self.rdms.then_some(self.distance), stimuli, files: self.listed.iter().map(|(_, l)| l).collect() };
        let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::State(format!("export manifest: {e}")))?;
        bytes.push(b'\n');
        self.files.push(((2, 0, 0), ExportFile { path: MANIFEST.into(), bytes }));
        self.finished = true;
        Ok(())
    }

    pub fn files(&self) -> impl Iterator<Item = &ExportFile> {
        self.files.iter().map(|(_, f)| f)
    }

    /// The files of the entry at `order` (its place in the result's models
    /// list), with their ranks and manifest lines: what a checkpoint keeps of it.
    pub(crate) fn of_entry(&self, order: usize) -> Vec<(Rank, ExportFile, Listed)> {
        self.files
            .iter()
            .zip(&self.listed)
            .filter(|((r, _), _)| r.0 < 2 && r.1 == order)
            .map(|((r, f), (_, l))| (*r, f.clone(), l.clone()))
            .collect()
    }

    /// Puts back an entry's files taken by [`Exports::of_entry`] (a resumed run).
    pub(crate) fn restore(&mut self, files: Vec<(Rank, ExportFile, Listed)>) {
        for (rank, file, listed) in files {
            self.files.push((rank, file));
            self.listed.push((rank, listed));
        }
    }
}

/// The files as one .zip, in their order: deflated (fast level), every entry
/// dated 1980-01-01 00:00 with mode 0644, so the same files give the same bytes.
pub fn zip<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let bad = |e: &dyn std::fmt::Display| Error::State(format!("cannot build the export .zip: {e}"));
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in files {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        w.start_file(path, options).map_err(|e| bad(&e))?;
        w.write_all(bytes).map_err(|e| bad(&e))?;
    }
    Ok(w.finish().map_err(|e| bad(&e))?.into_inner())
}

fn npy<T: npyz::Serialize>(descr: &str, shape: &[usize], values: impl IntoIterator<Item = T>) -> Result<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| Error::State(format!("cannot write an .npy array: {e}"));
    let ty: TypeStr = descr.parse().map_err(|e| bad(&e))?;
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let mut buf = Vec::new();
    let mut w = npyz::WriteOptions::new()
        .dtype(DType::new_scalar(ty))
        .shape(&shape)
        .writer(&mut buf)
        .begin_nd()
        .map_err(|e| bad(&e))?;
    w.extend(values).map_err(|e| bad(&e))?;
    w.finish().map_err(|e| bad(&e))?;
    Ok(buf)
}

/// A little-endian float32 array in C order.
pub fn npy_f32(shape: &[usize], values: impl IntoIterator<Item = f32>) -> Result<Vec<u8>> {
    npy("<f4", shape, values)
}

/// A little-endian float64 array in C order.
pub fn npy_f64(shape: &[usize], values: impl IntoIterator<Item = f64>) -> Result<Vec<u8>> {
    npy("<f8", shape, values)
}

/// A name safe as one path component on Linux, macOS and Windows: lower case
/// (case-insensitive file systems), ASCII letters, digits, `.` and `_`, any
/// other run of characters as one `-`, no leading or trailing `.`, `-` or `_`,
/// at most 80 characters, never empty nor a Windows device name (`con`, `nul`, `com1`, ...).
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let edge = |c: char| c == '-' || c == '.' || c == '_';
    let mut s: String = out.trim_matches(edge).chars().take(80).collect();
    s = s.trim_end_matches(edge).to_string();
    if s.is_empty() {
        s = "unnamed".into();
    }
    let stem = s.split('.').next().unwrap_or_default();
    let reserved = matches!(stem, "con" | "prn" | "aux" | "nul")
        || ((stem.starts_with("com") || stem.starts_with("lpt")) && stem.len() == 4 && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        s.insert(0, '_');
    }
    s
}

/// [`slug`] of each name, a repeated one suffixed `-2`, `-3`, ... in order.
pub fn unique_slugs(names: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    names
        .iter()
        .map(|n| {
            let base = slug(n);
            let mut s = base.clone();
            let mut k = 2;
            while !seen.insert(s.clone()) {
                s = format!("{base}-{k}");
                k += 1;
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_and_unique() {
        assert_eq!(slug("features.0:pre"), "features.0-pre");
        assert_eq!(slug("AlexNet seed 0"), "alexnet-seed-0");
        assert_eq!(slug("/features/features.0/Conv_output_0"), "features-features.0-conv_output_0");
        assert_eq!(slug(".."), "unnamed");
        assert_eq!(slug("../etc/passwd"), "etc-passwd");
        assert_eq!(slug("NUL"), "_nul");
        assert_eq!(slug("com1.txt"), "_com1.txt");
        assert_eq!(slug("ℝ²"), "unnamed");
        assert!(slug(&"a".repeat(300)).len() <= 80);
        let names: Vec<String> = ["a:b", "a-b", "A-B", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(unique_slugs(&names), vec!["a-b", "a-b-2", "a-b-3", "c"]);
    }

    #[test]
    fn npy_headers_are_numpy_format_1() {
        let b = npy_f32(&[2, 3], (0..6).map(|v| v as f32)).unwrap();
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "data aligned to 64 bytes");
        let header = std::str::from_utf8(&b[10..10 + header_len]).unwrap();
        assert!(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False") && header.contains("'shape': (2, 3, )"), "{header}"); // npyz's tuple, which numpy reads
        assert_eq!(&b[10 + header_len..10 + header_len + 8], &[0, 0, 0, 0, 0, 0, 128, 63]);
        assert_eq!(b.len(), 10 + header_len + 24);
    }

    #[test]
    fn spec_is_checked() {
        let e = ExportSpec::default().validate().unwrap_err().to_string();
        assert!(e.contains("export keeps nothing"), "{e}");
        let e = ExportSpec { rdms: true, distance: Some("manhattan".into()), ..Default::default() }.validate().unwrap_err().to_string();
        assert!(e.contains("export.distance") && e.contains("manhattan"), "{e}");
    }
}
