//! Trained weights for zoo architectures, read from the files trained models
//! ship as: PyTorch state dicts (`torch.save`'s zip format and the legacy
//! pickle format) and safetensors. The graph always comes from the zoo; a
//! file only supplies the values of its parameters and buffers, matched by
//! name (after a name map for timm's checkpoints) and checked by shape.
//!
//! Nothing in a file is executed: the pickle reader knows the handful of
//! globals a state dict needs and refuses any other by name.

pub mod apply;
pub mod catalogue;
pub mod names;
pub mod pickle;
pub mod safetensors;
pub mod torch;

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// One tensor of a state dict, as f32 in row-major (C) order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// The container a weights file came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `torch.save` since torch 1.6: a zip holding `data.pkl` and one file per storage.
    TorchZip,
    /// `torch.save` before 1.6 (and with `_use_new_zipfile_serialization=False`):
    /// pickles and raw storages one after another.
    TorchLegacy,
    /// Hugging Face's safetensors: a JSON header and raw little-endian tensors.
    Safetensors,
}

/// A state dict: tensor name -> tensor, in name order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateDict {
    pub tensors: BTreeMap<String, Tensor>,
}

impl StateDict {
    /// Number of values held, for memory estimates and messages.
    pub fn values(&self) -> usize {
        self.tensors.values().map(|t| t.data.len()).sum()
    }
}

/// Reads a weights file of any supported format, told apart by its first
/// bytes (a zip's `PK`, a pickle's protocol opcode, a safetensors header's
/// length then `{`). `file` names it in errors.
pub fn read(file: &str, bytes: &[u8]) -> Result<(StateDict, Format)> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok((torch::read_zip(file, bytes)?, Format::TorchZip));
    }
    if bytes.first() == Some(&0x80) {
        return Ok((torch::read_legacy(file, bytes)?, Format::TorchLegacy));
    }
    if bytes.len() >= 9 && bytes[8] == b'{' {
        return Ok((safetensors::read(file, bytes)?, Format::Safetensors));
    }
    Err(Error::Input(format!(
        "{file}: not a weights file idlab reads (a PyTorch .pth/.pt saved by torch.save, or a .safetensors file); \
         its first bytes are {:02x?}",
        &bytes[..bytes.len().min(8)]
    )))
}
