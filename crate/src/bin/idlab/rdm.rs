//! `idlab rdm`: the representational dissimilarity matrix of a response matrix, as .npy.

use crate::npy;
use idlab::metrics::rdm::{rdm, Distance};
use std::path::Path;

pub fn run(x: &Path, distance: &str, out: &Path) -> Result<(), String> {
    let distance = Distance::parse(distance).map_err(crate::cli::core)?;
    let responses = npy::read_matrix(x)?;
    let r = rdm(&responses, distance).map_err(|e| format!("{}: {}", x.display(), crate::cli::core(e)))?;
    npy::write_matrix(out, &r.to_matrix())?;
    eprintln!("idlab: wrote {} ({n} x {n} RDM, {distance:?} distance)", out.display(), n = r.n());
    Ok(())
}
