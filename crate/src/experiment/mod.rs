//! Where stimuli, models, sinks and metrics meet: the spec, the stepwise run
//! and the result document.

pub mod datasets;
mod result;
mod session;
mod spec;
pub mod specificity;

pub use result::{ExperimentResult, Score, ModelInfo, TIDY_HEADER};
pub use session::{Progress, Session};
pub use specificity::Specificity;
pub use spec::{MetricSpec, NoiseSpec, SpecificitySpec, ModelRef, ModelSpec, NormOverride, Spec, StimuliSpec, UnitSubsample, EXPERIMENT_METRICS, SPEC_VERSION};
