//! Similarity metrics: pure functions on matrices (rows = stimuli), no I/O and
//! no knowledge of models.

pub mod check;
pub mod cka;
pub mod splits;
pub mod ranks;
pub mod rdm;
pub mod rdm_compare;
pub mod resample;
pub mod mantel;
pub mod noise_ceiling;
pub mod bootstrap;
pub mod rsa;
