//! Reading and writing the matrices of `idlab metric` / `idlab rdm` as .npy
//! (ndarray-npy: the format numpy writes, float32 or float64, C or Fortran order).

use nalgebra::DMatrix;
use ndarray::{ArrayD, Ix2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WriteNpyExt};
use std::fs::File;
use std::io::Cursor;
use std::path::Path;

/// Reads a 2-D numeric .npy as an f64 matrix (rows = stimuli). A 1-D array is
/// one unit (a column). Integers and float32 are widened.
pub fn read_matrix(path: &Path) -> Result<DMatrix<f64>, String> {
    let show = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {show}: {e}"))?;
    let open = || Cursor::new(&bytes[..]);
    let any: ArrayD<f64> = match ArrayD::<f64>::read_npy(open()) {
        Ok(a) => a,
        Err(ReadNpyError::WrongDescriptor(_)) => read_as(open(), |v: f32| v as f64)
            .or_else(|_| read_as(open(), |v: i64| v as f64))
            .or_else(|_| read_as(open(), |v: i32| v as f64))
            .or_else(|_| read_as(open(), |v: u8| v as f64))
            .map_err(|e| format!("{show}: not a float32/float64/integer array ({e})"))?,
        Err(e) => return Err(format!("{show}: not a readable .npy file ({e})")),
    };
    let shape = any.shape().to_vec();
    let a = match shape.len() {
        1 => any.into_shape_with_order((shape[0], 1)).map_err(|e| e.to_string())?.into_dimensionality::<Ix2>().unwrap(),
        2 => any.into_dimensionality::<Ix2>().map_err(|e| e.to_string())?,
        _ => return Err(format!("{show} has shape {shape:?}; expected a 2-D matrix (stimuli x units)")),
    };
    let (n, p) = a.dim();
    if n == 0 || p == 0 {
        return Err(format!("{show} is empty (shape [{n}, {p}])"));
    }
    Ok(DMatrix::from_fn(n, p, |i, j| a[[i, j]]))
}

fn read_as<T: ndarray_npy::ReadableElement + Copy>(f: Cursor<&[u8]>, widen: fn(T) -> f64) -> Result<ArrayD<f64>, ReadNpyError> {
    Ok(ArrayD::<T>::read_npy(f)?.mapv(widen))
}

/// Writes an f64 matrix as a C-order float64 .npy.
pub fn write_matrix(path: &Path, m: &DMatrix<f64>) -> Result<(), String> {
    let a = ndarray::Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)]);
    let f = File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    a.write_npy(f).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
