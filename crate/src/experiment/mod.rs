//! Where stimuli, models, sinks and metrics meet: the spec, the stepwise run
//! and the result document.

pub mod analysis;
pub mod datasets;
pub mod exports;
pub mod findings;
pub mod memory;
pub mod needs;
pub mod output;
pub mod sweep;
pub mod trained;
mod metric;
mod result;
mod runner;
mod session;
mod spec;

pub use result::{ExperimentResult, Score, ModelInfo, StepTime, Timings, WeightsInfo};
pub use output::csv::TIDY_HEADER;
pub use exports::{ExportFile, ExportSpec};
pub use analysis::{classes, specificity};
pub use analysis::specificity::Specificity;
pub use metric::experiment_metrics;
pub use runner::Experiment;
pub use trained::trained_variant;
pub use session::{Checkpoint, Plan, Progress, Resumed, Session, WeightsNeed, GRAM_MEMORY, HEAD_BATCH, IMAGE_MEMORY, MAX_BATCH};
pub use spec::{upgrade as upgrade_spec, WeightsRef, WeightsSpec, MetricSpec, NoiseSpec, SpecificitySpec, ModelRef, ModelSpec, NormOverride, PaperClaim, Spec, StimuliSpec, UnitSubsample, SPEC_VERSION};
