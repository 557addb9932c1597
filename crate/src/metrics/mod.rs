//! Similarity metrics: pure functions on matrices (rows = stimuli), no I/O and
//! no knowledge of models.

pub mod check;
pub mod cka;
pub mod kernels;
pub mod procrustes;
pub mod soft_matching;
pub mod transport;
pub mod splits;
