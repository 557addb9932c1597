//! Sinks fold activations, image by image, into what a metric needs, so that a
//! layer's full activations need not outlive the model that produced them.

mod features;
mod gram;

pub use features::{FeatureSink, Keep};
pub use gram::GramSink;
