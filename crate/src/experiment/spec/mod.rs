//! The versioned experiment spec: the only thing that crosses from the page to
//! the worker and from the CLI to the core. Results carry the spec they came from.
//!
//! [`types`] holds the serde types, [`models`] what a source or target names,
//! [`validate`] the checks run before any work, and [`upgrade`] the reading of
//! older versions.

mod models;
mod types;
mod upgrade;
mod validate;

pub use models::{ModelRef, WeightsRef};
pub use types::{
    MetricSpec, ModelSpec, NoiseSpec, NormOverride, PaperClaim, Spec, SpecificitySpec, StimuliSpec, UnitSubsample, SPEC_VERSION,
};
pub use upgrade::upgrade;
// For `experiment` to re-export beside ModelSpec (its mod.rs is another engineer's to change).
#[allow(unused_imports)]
pub use types::WeightsSpec;

/// The page's default preset, which the unit tests vary.
#[cfg(test)]
const DEFAULT_PRESET: &str = include_str!("../../../../www/presets/alexnet-seeds-cka.json");
