//! idlab, the identifiability lab: record vision models' layer activations on
//! stimulus images and score how well one representation matches another.
//!
//! The pipeline, one module a stage: [`stimuli`] (images and the one
//! preprocessing transform) → [`zoo`] (seeded architectures as ONNX) →
//! [`runtime`] (tract inference, recorded layers) → [`sinks`] (fold activations
//! image by image) → [`metrics`] (pure functions on matrices) →
//! [`experiment`] (the spec, the stepwise run, the result). Front doors:
//! `wasm` (browser bindings) and the `idlab` CLI.

/// The top classes a model gives each image (`idlab classify` and the page's top-5 check).
pub mod classify;
/// Course assignments as one `.idlab.zip`: open and validate, check answers, report, grade, draft, pack.
pub mod assignment;
/// The user's own data files (.npy, .npz, .csv, .mat tables; zips of stimuli), matched to the stimuli.
pub mod data;
pub mod error;
pub mod experiment;
/// One never-panicking entry per fuzz target (cargo fuzz and the replay test call the same code).
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzz;
pub mod metrics;
pub mod rng;
pub mod runtime;
pub mod sinks;
/// Statistics on scores and responses (identifiability, t-tests, silhouettes, MDS, subsampling, noise).
pub mod stats;
pub mod stimuli;
/// Trained weights for zoo architectures (PyTorch state dicts, safetensors), matched by name and shape.
pub mod weights;
pub mod zoo;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{Error, Result};
