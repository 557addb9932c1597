//! `idlab rdm`: the representational dissimilarity matrix of a response matrix, as .npy.

use crate::npy;
use std::path::Path;

pub fn run(x: &Path, distance: &str, out: &Path) -> Result<(), String> {
    let _responses = npy::read_matrix(x)?;
    let _ = (distance, out, npy::write_matrix);
    Err("idlab rdm: not wired yet".into())
}
