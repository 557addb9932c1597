//! safetensors files (how the Hugging Face Hub serves timm's weights), read
//! with the `safetensors` crate: a JSON header, then raw little-endian
//! tensors, contiguous. float32, float16 and bfloat16 are read exactly;
//! integer and bool tensors as f32, as in [`super::torch`]; other types
//! (float64, 8-bit floats, complex, unsigned wider than 8 bits) are refused
//! with the tensor's name.

use super::pickle::Dtype;
use super::{StateDict, Tensor};
use crate::error::{Error, Result};
use safetensors::{Dtype as St, SafeTensors};

/// Reads every tensor of a safetensors file.
pub fn read(file: &str, bytes: &[u8]) -> Result<StateDict> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::Input(format!("{file}: not a readable safetensors file ({e})")))?;
    let mut out = StateDict::default();
    for (name, view) in st.iter() {
        let dtype = match view.dtype() {
            St::F32 => Dtype::F32,
            St::F16 => Dtype::F16,
            St::BF16 => Dtype::BF16,
            St::I64 => Dtype::I64,
            St::I32 => Dtype::I32,
            St::I16 => Dtype::I16,
            St::I8 => Dtype::I8,
            St::U8 => Dtype::U8,
            St::BOOL => Dtype::Bool,
            other => {
                return Err(Error::Input(format!(
                    "{file}: tensor {name} is {other:?}; idlab reads F32, F16 and BF16 weights \
                     (and I64, I32, I16, I8, U8 and BOOL buffers)"
                )))
            }
        };
        let shape = view.shape().to_vec();
        let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).unwrap_or(usize::MAX);
        let data = view.data();
        // The crate checks that the header's offsets match the shapes.
        if numel.checked_mul(dtype.size()) != Some(data.len()) {
            return Err(Error::Input(format!(
                "{file}: tensor {name} of shape {shape:?} and type {:?} holds {} bytes, which do not fit it",
                view.dtype(),
                data.len()
            )));
        }
        let mut values = Vec::with_capacity(numel);
        dtype.extend(data, &mut values);
        out.tensors.insert(name.to_string(), Tensor { shape, data: values });
    }
    Ok(out)
}
