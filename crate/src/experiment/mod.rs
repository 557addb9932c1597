//! Where stimuli, models, sinks and metrics meet: the spec, the stepwise run
//! and the result document.

mod result;
mod session;
mod spec;

pub use result::{ExperimentResult, Side};
pub use session::{Progress, Session};
pub use spec::{ModelRef, ModelSpec, NormOverride, Spec, StimuliSpec, METRICS, SPEC_VERSION};
