//! The neural regression probe (an MLP mapping) beside ridge regression on
//! the same splits, on the features regression keeps.

use super::regression::{mapped_features, mapped_pair};
use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::nrp::{NrpOptions, NrpResult};
use crate::metrics::registry::{nrp_vs_ridge, MetricParams};
use crate::metrics::splits::MIN_TEST_IMAGES;
use crate::sinks::Keep;

pub(super) struct Nrp;

impl ExperimentMetric for Nrp {
    fn title(&self) -> &'static str {
        "NRP"
    }

    /// Regression's, and the MLP's grid (the quick one unless given).
    fn reads(&self) -> &'static [&'static str] {
        &[
            "lambda", "folds", "test_fraction", "projection_dim", "max_units", "seed", "splits", "hidden_sizes", "learning_rates", "max_epochs",
            "batch_size", "patience", "validation_fraction",
        ]
    }

    fn min_test_images(&self) -> Option<usize> {
        Some(MIN_TEST_IMAGES)
    }

    fn keep(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
        mapped_features(role, units, p)
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        let (x, y) = match mapped_pair(self, "nrp", k, src, tgt)? {
            Ok(pair) => pair,
            Err(refusal) => return Some(Ok(refusal)),
        };
        // The grid is the quick one unless the params say otherwise.
        let params = MetricParams { projection_dim: x.ncols(), max_units: y.ncols(), ..p.clone() };
        Some(nrp_vs_ridge(x, y, &params, &p.nrp_options(NrpOptions::quick())).map(|r| Cell {
            value: Some(r.nrp.value),
            standard_error: split_error(&r.nrp),
            warnings: r.nrp.warnings.clone(),
            detail: vec![
                ("mlp_mae", Some(r.nrp.mae)),
                ("mlp_r2", Some(r.nrp.value)),
                ("ridge_mae", Some(r.ridge_mae)),
                ("ridge_r2", r.ridge_r2),
            ],
            ..Default::default()
        }))
    }
}

/// The standard error over splits of the MLP's R² (sd / √K); none when the
/// folds were pooled or there is one split.
fn split_error(r: &NrpResult) -> Option<f64> {
    let k = r.splits.len();
    (!r.pooled && k > 1).then(|| {
        let var = r.splits.iter().map(|s| (s.r2 - r.value).powi(2)).sum::<f64>() / (k - 1) as f64;
        (var / k as f64).sqrt()
    })
}
