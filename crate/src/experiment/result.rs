//! The result document: numbers plus everything needed to know where they came from.

use super::spec::Spec;
use serde::Serialize;

/// One side of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The zoo architecture, or the user model's file name.
    pub arch: String,
    /// The zoo model's seed; absent for a user model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub layers: Vec<String>,
}

/// A layer x layer score matrix and its provenance.
#[derive(Clone, Debug, Serialize)]
pub struct ExperimentResult {
    pub idlab_version: String,
    /// Which build computed it: `native`, `threads` or `single` (set by the front door).
    pub flavor: String,
    pub spec: Spec,
    pub metric: String,
    pub n_stimuli: usize,
    pub source: Side,
    pub target: Side,
    /// `matrix[i][j]`: score of source layer i against target layer j.
    pub matrix: Vec<Vec<f64>>,
    /// Wall-clock seconds of the run (set by the front door, which owns the clock).
    pub seconds: f64,
}

impl ExperimentResult {
    /// The matrix as CSV with a header row of target layers and a first column of source layers.
    pub fn to_csv_rows(&self) -> Vec<Vec<String>> {
        let mut rows = Vec::with_capacity(self.matrix.len() + 1);
        let mut header = vec![format!("source\\target")];
        header.extend(self.target.layers.iter().cloned());
        rows.push(header);
        for (name, row) in self.source.layers.iter().zip(&self.matrix) {
            let mut r = vec![name.clone()];
            r.extend(row.iter().map(|v| format!("{v}")));
            rows.push(r);
        }
        rows
    }
}
