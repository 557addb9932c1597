//! Reading the matrices of `idlab metric` / `idlab rdm` through the core's
//! readers (`idlab::data`: .npy, .npz, .csv, .mat, as the page reads them) and
//! writing .npy through the core's writer (`idlab::experiment::exports`, as
//! `spec.export` writes: float64, C order).

use idlab::data::{self, Table};
use idlab::experiment::exports::npy_f64;
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

/// Reads a user's table. `FILE.npz:KEY` (or `.mat:KEY`) picks one array of an
/// archive when no file has that whole name. NaN and ±Inf are left for the
/// metric's own check, which names the side (X or Y).
pub fn read_table(path: &Path) -> Result<Table, String> {
    let (file, key) = split_key(path);
    let show = file.display().to_string();
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    data::read_table_unchecked(&show, &bytes, key.as_deref()).map_err(|e| {
        let e = crate::cli::core(e);
        if key.is_none() && e.contains("; choose one of") {
            format!("{e} (as {show}:KEY)")
        } else {
            e
        }
    })
}

/// `a.npz:layer1.0:pre` -> (`a.npz`, Some(`layer1.0:pre`)) when the whole
/// name is not a file but the part before a colon is (the first such colon:
/// layer names may hold colons).
fn split_key(path: &Path) -> (PathBuf, Option<String>) {
    let s = path.to_string_lossy();
    if !path.exists() {
        for (i, _) in s.match_indices(':') {
            let (file, key) = (&s[..i], &s[i + 1..]);
            if Path::new(file).is_file() {
                return (PathBuf::from(file), Some(key.to_string()));
            }
        }
    }
    (path.to_path_buf(), None)
}

/// Reads a 2-D numeric table as an f64 matrix (rows = stimuli). A 1-D array
/// is one unit (a column). Integers and float32 are widened.
pub fn read_matrix(path: &Path) -> Result<DMatrix<f64>, String> {
    table_matrix(&read_table(path)?)
}

/// The matrix of a 2-D table; a 3-D stack is refused.
pub fn table_matrix(t: &Table) -> Result<DMatrix<f64>, String> {
    if t.shape.len() != 2 {
        return Err(format!("{} has shape {:?}; expected a 2-D matrix (stimuli x units)", t.name, t.shape));
    }
    t.to_matrix().map_err(crate::cli::core)
}

/// Writes an f64 matrix as a C-order float64 .npy.
pub fn write_matrix(path: &Path, m: &DMatrix<f64>) -> Result<(), String> {
    let c_order = (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)]));
    let bytes = npy_f64(&[m.nrows(), m.ncols()], c_order).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
