//! Sinks fold activations, image by image, into what a metric needs, so that a
//! layer's full activations need not outlive the model that produced them
//! (nor, with a spill store, be held in memory while it runs).

mod features;
mod gram;
pub mod spill;
#[cfg(target_arch = "wasm32")]
pub mod opfs;

pub use features::{FeatureSink, Keep, KeepShape};
pub use gram::{GramSink, PAIR_SUMS_BYTES};
pub use spill::{MemoryStore, Spill, SpillStore};
