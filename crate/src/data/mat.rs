//! MATLAB `.mat` files, version 5 (`save(..., '-v7')`, scipy's `savemat`),
//! through matfile: numeric variables only. MATLAB stores columns first and
//! stacks matrices along the last axis; the table is C order with the stack
//! first (an n x n x s variable becomes s x n x n).

use super::{fortran_to_c, shaped, Table};
use crate::error::{Error, Result};
use matfile::NumericData;

const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

/// Reads the variable `key` of a .mat file, or its only numeric variable.
pub(super) fn read(name: &str, bytes: &[u8], key: Option<&str>) -> Result<Table> {
    // v7.3 files are HDF5 with a 512-byte MATLAB preamble; plain HDF5 starts with it.
    if bytes.starts_with(HDF5_SIGNATURE) || bytes.get(512..520) == Some(HDF5_SIGNATURE) {
        return Err(Error::Input(format!(
            "{name}: MATLAB v7.3 (HDF5) files are not supported; save with `save(..., '-v7')` \
             or export .npy/.csv"
        )));
    }
    let mat = matfile::MatFile::parse(bytes)
        .map_err(|e| Error::Input(format!("{name}: not a readable MATLAB v5 .mat file ({e})")))?;
    let arrays = mat.arrays();
    let listed = || arrays.iter().map(|a| format!("'{}'", a.name())).collect::<Vec<_>>().join(", ");
    let array = match key {
        Some(k) => mat.find_by_name(k).ok_or_else(|| {
            Error::Input(format!("{name} has no numeric variable '{k}'; its numeric variables: {}", listed()))
        })?,
        None if arrays.len() == 1 => &arrays[0],
        None if arrays.is_empty() => {
            return Err(Error::Input(format!(
                "{name} holds no numeric variables (cells, structs, text and sparse matrices are not read)"
            )))
        }
        None => {
            return Err(Error::Input(format!(
                "{name} holds {} numeric variables; choose one of {}",
                arrays.len(),
                listed()
            )))
        }
    };
    let full = format!("{name}:{}", array.name());
    macro_rules! real {
        ($($v:ident),*) => {
            match array.data() {
                $(NumericData::$v { real, imag } => {
                    if imag.is_some() {
                        return Err(Error::Input(format!("{full} is complex; save its real part")));
                    }
                    real.iter().map(|&v| v as f64).collect::<Vec<f64>>()
                })*
            }
        };
    }
    let column_major = real!(Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Single, Double);
    let mut shape = array.size().clone();
    // Trailing singleton axes are MATLAB's padding (a 3-D variable of one matrix).
    while shape.len() > 2 && shape.last() == Some(&1) {
        shape.pop();
    }
    let mut data = fortran_to_c(&shape, &column_major);
    match shape.len() {
        // A row vector (1 x n, what savemat writes for a 1-D array) is one column.
        2 if shape[0] == 1 => shape = vec![shape[1], 1],
        3 => {
            // n x m x s -> s x n x m: matrix k is data[.., .., k].
            let (n, m, s) = (shape[0], shape[1], shape[2]);
            let c = data;
            data = (0..s).flat_map(|k| (0..n * m).map(move |ij| (k, ij))).map(|(k, ij)| c[ij * s + k]).collect();
            shape = vec![s, n, m];
        }
        _ => {}
    }
    shaped(full, shape, data)
}
