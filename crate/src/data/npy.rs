//! `.npy` arrays through npyz: every integer and float dtype numpy writes
//! (either byte order), C or Fortran order, widened to f64.

use super::{fortran_to_c, shaped, Table};
use crate::error::{Error, Result};
use npyz::{DType, NpyFile, Order, TypeChar};

/// Reads one .npy file; `name` heads every message.
pub(super) fn read(name: &str, bytes: &[u8]) -> Result<Table> {
    let (shape, data) = array(name, bytes)?;
    shaped(name.to_string(), shape, data)
}

/// The shape and the values (C order) of an .npy array.
pub(super) fn array(name: &str, bytes: &[u8]) -> Result<(Vec<usize>, Vec<f64>)> {
    let bad = |e: &dyn std::fmt::Display| Error::Input(format!("{name}: not a readable .npy file ({e})"));
    let npy = NpyFile::new(bytes).map_err(|e| bad(&e))?;
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let order = npy.order();
    let dtype = npy.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(Error::Input(format!(
            "{name}: a structured array ({}) is not a numeric matrix",
            dtype.descr()
        )));
    };
    let size = ts.size_field();
    macro_rules! widen {
        ($t:ty) => {
            npy.into_vec::<$t>().map_err(|e| bad(&e))?.into_iter().map(|v| v as f64).collect::<Vec<f64>>()
        };
    }
    let data = match (ts.type_char(), size) {
        (TypeChar::Float, 8) => npy.into_vec::<f64>().map_err(|e| bad(&e))?,
        (TypeChar::Float, 4) => widen!(f32),
        (TypeChar::Int, 1) => widen!(i8),
        (TypeChar::Int, 2) => widen!(i16),
        (TypeChar::Int, 4) => widen!(i32),
        (TypeChar::Int, 8) => widen!(i64),
        (TypeChar::Uint, 1) => widen!(u8),
        (TypeChar::Uint, 2) => widen!(u16),
        (TypeChar::Uint, 4) => widen!(u32),
        (TypeChar::Uint, 8) => widen!(u64),
        _ => {
            return Err(Error::Input(format!(
                "{name}: dtype '{ts}' is not supported; save float32, float64 or integers \
                 (e.g. x.astype('float32'))"
            )))
        }
    };
    if data.len() != shape.iter().product::<usize>() {
        return Err(bad(&"the data is shorter than the shape says"));
    }
    let data = match order {
        Order::Fortran => fortran_to_c(&shape, &data),
        Order::C => data,
    };
    Ok((shape, data))
}
