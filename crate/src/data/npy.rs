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

/// Deepest bracket nesting a numeric array's header needs (`{'shape': (3, 4)}`
/// is 2); structured dtypes go a little deeper and are refused later anyway.
const MAX_HEADER_DEPTH: usize = 4;

/// Refuses, before npyz reads it, a header longer than the file (npyz
/// allocates the claimed length first: 4 GiB from 4 bytes) or nested deeper
/// than [`MAX_HEADER_DEPTH`] (its Python-literal parser backtracks
/// exponentially in the depth: a 118-byte header of `{{{{...` took minutes).
/// Both found by fuzzing, `crate/fuzz/regressions/npy/`.
fn check_header(name: &str, bytes: &[u8]) -> Result<()> {
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
        return Ok(()); // npyz says what is wrong
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Ok(()),
    };
    // npyz allocates the header's claimed length before reading it.
    if start.saturating_add(len) > bytes.len() {
        return Err(Error::Input(format!(
            "{name}: not a readable .npy file (its header claims {len} bytes; the file has {})",
            bytes.len()
        )));
    }
    let header = &bytes[start..start + len];
    let (mut depth, mut deepest) = (0usize, 0usize);
    for &b in header {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_HEADER_DEPTH {
        return Err(Error::Input(format!(
            "{name}: not a readable .npy file (its header nests brackets {deepest} deep; a numeric array's needs {MAX_HEADER_DEPTH} at most)"
        )));
    }
    Ok(())
}

/// The shape and the values (C order) of an .npy array.
pub(super) fn array(name: &str, bytes: &[u8]) -> Result<(Vec<usize>, Vec<f64>)> {
    let bad = |e: &dyn std::fmt::Display| Error::Input(format!("{name}: not a readable .npy file ({e})"));
    check_header(name, bytes)?;
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
