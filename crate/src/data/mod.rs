//! The user's own data: response matrices, RDMs and stimulus archives as the
//! files people have them in (.npy, .npz, .csv, .mat, .zip). Pure functions,
//! bytes in and matrices out, so the CLI and the page read a file the same way
//! and refuse it with the same message, which always starts with the file name.

pub mod align;
pub mod archive;
mod csv;
mod mat;
mod npy;
mod npz;
pub mod splits;

use crate::error::{Error, Result};

/// The extensions [`read_table`] accepts, in the order its error lists them.
pub const TABLE_EXTENSIONS: &[&str] = &["npy", "npz", "csv", "mat"];

/// A numeric array read from a user's file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Table {
    /// The file name, with the array's key when it came from an .npz or .mat
    /// (`data.npz:responses`); every message about the table starts with it.
    pub name: String,
    /// 2-D (rows x columns; a 1-D array is read as one column) or 3-D
    /// (a stack of matrices, e.g. s subjects' n x n RDMs).
    pub shape: Vec<usize>,
    /// The values in C order (the last axis varies fastest).
    pub data: Vec<f64>,
    /// One name per row (the stimulus file names of a .csv's first column).
    pub row_names: Option<Vec<String>>,
}

impl Table {
    /// Number of rows (the first axis).
    pub fn nrows(&self) -> usize {
        self.shape[0]
    }

    /// Values per row (the product of the other axes).
    pub fn row_len(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// The 2-D table as a matrix (rows x columns); a 3-D stack is refused.
    pub fn to_matrix(&self) -> Result<nalgebra::DMatrix<f64>> {
        if self.shape.len() != 2 {
            return Err(Error::Input(format!(
                "{} has shape {:?}; expected a 2-D matrix (stimuli x units)",
                self.name, self.shape
            )));
        }
        Ok(nalgebra::DMatrix::from_row_slice(self.shape[0], self.shape[1], &self.data))
    }
}

/// Reads one numeric array from a user's file, chosen by the extension of
/// `file` (case-insensitive): `.npy` (any integer or float dtype, C or Fortran
/// order), `.npz` (numpy `savez` / `savez_compressed`), `.csv` (optional header
/// row, optional first column of stimulus names) or `.mat` (MATLAB v5).
/// An archive with several arrays needs `key`; the error lists them.
/// NaN and ±Inf are refused, naming the cell: a missing value would otherwise
/// reach a metric as a silent NaN.
pub fn read_table(file: &str, bytes: &[u8], key: Option<&str>) -> Result<Table> {
    decode(file, bytes, key, true)
}

/// [`read_table`] that leaves NaN and ±Inf in place, for a caller whose own
/// check refuses them in its own words (`idlab metric` names the side, X or Y).
pub fn read_table_unchecked(file: &str, bytes: &[u8], key: Option<&str>) -> Result<Table> {
    decode(file, bytes, key, false)
}

fn decode(file: &str, bytes: &[u8], key: Option<&str>, finite: bool) -> Result<Table> {
    let ext = extension(file).to_ascii_lowercase();
    let table = match ext.as_str() {
        "npy" => {
            refuse_key(file, key, "an .npy file holds one array")?;
            npy::read(file, bytes)?
        }
        "npz" => npz::read(file, bytes, key)?,
        "csv" => {
            refuse_key(file, key, "a .csv file holds one table")?;
            return csv::read(file, bytes, finite);
        }
        "mat" => mat::read(file, bytes, key)?,
        _ => {
            return Err(Error::Input(format!(
                "{file}: unknown file type{}; accepted: {}",
                if ext.is_empty() { String::new() } else { format!(" '.{ext}'") },
                TABLE_EXTENSIONS.iter().map(|e| format!(".{e}")).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    if finite {
        check_finite(&table)?;
    }
    Ok(table)
}

fn refuse_key(file: &str, key: Option<&str>, why: &str) -> Result<()> {
    match key {
        Some(k) => Err(Error::Input(format!("{file}: no array can be chosen by key '{k}': {why}"))),
        None => Ok(()),
    }
}

/// The text after the last dot of the file name (not of a directory), or "".
fn extension(file: &str) -> &str {
    let base = basename(file);
    match base.rfind('.') {
        Some(i) if i > 0 => &base[i + 1..],
        _ => "",
    }
}

/// The last component of a path written with `/` or `\`.
pub(crate) fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A table from an array's shape and values in C order: 1-D becomes one
/// column; 0-D, more than 3 axes and empty arrays are refused.
fn shaped(name: String, shape: Vec<usize>, data: Vec<f64>) -> Result<Table> {
    let shape = match shape.len() {
        1 => vec![shape[0], 1],
        2 | 3 => shape,
        0 => return Err(Error::Input(format!("{name} holds a single number (a 0-d array), not a matrix"))),
        _ => {
            return Err(Error::Input(format!(
                "{name} has shape {shape:?}; expected 1-D, 2-D (stimuli x units, or an n x n RDM) \
                 or 3-D (a stack of n x n RDMs)"
            )))
        }
    };
    if shape.contains(&0) {
        return Err(Error::Input(format!("{name} is empty (shape {shape:?})")));
    }
    debug_assert_eq!(shape.iter().product::<usize>(), data.len());
    Ok(Table { name, shape, data, row_names: None })
}

/// Column-major (Fortran, MATLAB) values of an array of `shape` in C order.
fn fortran_to_c(shape: &[usize], data: &[f64]) -> Vec<f64> {
    let nd = shape.len();
    // Fortran strides: axis 0 is the fastest.
    let mut stride = vec![1usize; nd];
    for d in 1..nd {
        stride[d] = stride[d - 1] * shape[d - 1];
    }
    let mut out = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; nd];
    for _ in 0..data.len() {
        out.push(data[idx.iter().zip(&stride).map(|(i, s)| i * s).sum::<usize>()]);
        // Advance the C-order multi-index: the last axis fastest.
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Refuses NaN or ±Inf in an array, naming the cell by its 0-based index.
fn check_finite(t: &Table) -> Result<()> {
    let Some(k) = t.data.iter().position(|v| !v.is_finite()) else {
        return Ok(());
    };
    let cols = t.shape[t.shape.len() - 1];
    let (r, c) = ((k / cols) % t.shape[t.shape.len() - 2], k % cols);
    let at = if t.shape.len() == 3 {
        format!("matrix {}, row {r}, column {c}", k / (cols * t.shape[1]))
    } else {
        format!("row {r}, column {c}")
    };
    Err(Error::Input(format!(
        "{} has a non-finite value ({}) at {at} (counting from 0)",
        t.name, t.data[k]
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_order_is_transposed_to_c() {
        // A 2 x 3 array [[0, 1, 2], [3, 4, 5]] stored column by column.
        assert_eq!(fortran_to_c(&[2, 3], &[0., 3., 1., 4., 2., 5.]), vec![0., 1., 2., 3., 4., 5.]);
        // 2 x 2 x 2: C index (i, j, k) holds 4i + 2j + k; Fortran stores i fastest.
        let f: Vec<f64> = (0..8).map(|o| {
            let (i, j, k) = (o % 2, (o / 2) % 2, o / 4);
            (4 * i + 2 * j + k) as f64
        }).collect();
        assert_eq!(fortran_to_c(&[2, 2, 2], &f), (0..8).map(|v| v as f64).collect::<Vec<_>>());
    }

    #[test]
    fn extension_and_basename() {
        assert_eq!(extension("dir.v2/resp.NPY"), "NPY");
        assert_eq!(extension("dir.v2/resp"), "");
        assert_eq!(extension(".hidden"), "");
        assert_eq!(basename("a/b\\c.png"), "c.png");
        let e = read_table("x.txt", b"1,2", None).unwrap_err().to_string();
        assert!(e.starts_with("x.txt: unknown file type '.txt'; accepted: .npy, .npz, .csv, .mat"), "{e}");
        let e = read_table("x", b"1,2", None).unwrap_err().to_string();
        assert!(e.starts_with("x: unknown file type; accepted"), "{e}");
    }

    #[test]
    fn non_finite_cells_are_named() {
        let t = Table { name: "r.npy".into(), shape: vec![2, 3, 3], data: vec![0.0; 18], row_names: None };
        let mut bad = t.clone();
        bad.data[9 + 3 + 2] = f64::NAN;
        let e = check_finite(&bad).unwrap_err().to_string();
        assert_eq!(e, "r.npy has a non-finite value (NaN) at matrix 1, row 1, column 2 (counting from 0)");
        let mut bad = Table { shape: vec![6, 3], ..t };
        bad.data[7] = f64::NEG_INFINITY;
        let e = check_finite(&bad).unwrap_err().to_string();
        assert_eq!(e, "r.npy has a non-finite value (-inf) at row 2, column 1 (counting from 0)");
    }
}
