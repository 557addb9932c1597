//! Similarity metrics: pure functions on matrices (rows = stimuli), no I/O and
//! no knowledge of models.

pub mod adam;
pub mod bootstrap;
pub mod check;
pub mod cka;
pub mod dense;
pub mod kernels;
pub mod mantel;
pub mod mlp;
pub mod noise_ceiling;
pub mod nrp;
pub mod procrustes;
pub mod projection;
pub mod ranks;
pub mod rdm;
pub mod rdm_compare;
pub mod registry;
pub mod regression;
pub mod resample;
pub mod ridge;
pub mod rsa;
pub mod soft_matching;
pub mod splits;
pub mod transport;
