//! Similarity metrics: pure functions on matrices (rows = stimuli), no I/O and
//! no knowledge of models.

pub mod adam;
pub mod check;
pub mod cka;
pub mod mlp;
pub mod nrp;
pub mod splits;
pub mod registry;
