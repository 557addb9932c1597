//! Similarity metrics: pure functions on matrices (rows = stimuli), no I/O and
//! no knowledge of models.

pub mod check;
pub mod cka;
pub mod splits;
pub mod dense;
pub mod projection;
pub mod regression;
pub mod ridge;
