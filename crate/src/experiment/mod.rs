//! Where stimuli, models, sinks and metrics meet: the spec, the stepwise run
//! and the result document.

pub mod classes;
pub mod datasets;
pub mod exports;
mod result;
mod session;
mod sets;
mod spec;
pub mod specificity;

pub use result::{ExperimentResult, Score, ModelInfo, TIDY_HEADER};
pub use exports::{ExportFile, ExportSpec};
pub use session::{Progress, Session, MAX_BATCH};
pub use sets::Experiment;
pub use specificity::Specificity;
pub use spec::{MetricSpec, NoiseSpec, SpecificitySpec, ModelRef, ModelSpec, NormOverride, Spec, StimuliSpec, UnitSubsample, EXPERIMENT_METRICS, SPEC_VERSION};
