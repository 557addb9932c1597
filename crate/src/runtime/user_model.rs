//! A user's ONNX model made ready to record, the same for `idlab run` (the
//! session) and `idlab activations`: the side its images are cropped to, its
//! preprocessing before a spec's override, and the requested layers' tensors.

use super::inspect::{self, Inspection};
use crate::error::{Error, Result};
use crate::stimuli::Preprocess;
use crate::zoo::Probe;
use tract_onnx::pb::ModelProto;

/// What a user model is recorded with.
#[derive(Clone, Debug, PartialEq)]
pub struct UserModel {
    /// The side from `size` (else the file's metadata, else its fixed square
    /// input, else 224), with the metadata's mean/std/channels, else ImageNet's.
    /// A spec's [`NormOverride`](crate::experiment::NormOverride) applies on top.
    pub preprocess: Preprocess,
    /// One per requested name (a tensor, else a node's first output), labelled with it.
    pub layers: Vec<Probe>,
}

/// Inspects a decoded user model and finds `requested` among its recordable
/// tensors, inferred at the side images will have. `size` is a spec's
/// `size`, which must match an input the graph fixes.
pub fn prepare(file: &str, proto: &ModelProto, requested: &[String], size: Option<u32>) -> Result<UserModel> {
    let found = inspect::inspect_proto(file, proto)?;
    let side = match size {
        Some(s) => {
            if let Some((h, w)) = found.input_size {
                if (h, w) != (s as usize, s as usize) {
                    return Err(Error::Input(format!(
                        "{file}: the spec asks for size {s}, but input '{}' is fixed at {h} x {w}",
                        found.input_name
                    )));
                }
            }
            s as usize
        }
        None => found.side(file)?,
    };
    let preprocess = Preprocess { size: side as u32, ..found.preprocess.unwrap_or(Preprocess::IMAGENET_224) };
    // The side inspect_proto inferred the candidates' shapes at.
    let inferred = match (&found.preprocess, found.input_size) {
        (_, Some((h, _))) => h,
        (Some(p), None) => p.size as usize,
        (None, None) => inspect::DEFAULT_SIZE,
    };
    let candidates = if side == inferred {
        found.layers
    } else {
        inspect::candidates(file, proto, &found.input_name, (side, side))?
    };
    let by_name = Inspection { layers: candidates, ..found };
    let layers = requested
        .iter()
        .map(|name| {
            let c = by_name.candidate(file, name)?;
            Ok(Probe { label: name.clone(), tensor: c.tensor.clone(), units: c.units })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(UserModel { preprocess, layers })
}
