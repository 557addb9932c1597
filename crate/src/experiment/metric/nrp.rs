//! The neural response predictor (an MLP mapping) beside a ridge baseline
//! fitted on its footing (the same standardised features, fit and validation
//! images, test images), on the features regression keeps. The cell's value
//! is the MLP's held-out mean absolute error, the NRP paper's headline (lower
//! is better); R² and the baseline's numbers are the detail tables.

use super::regression::{mapped_features, mapped_pair, mapped_shape};
use super::ExperimentMetric;
use crate::error::{Error, Result};
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::nrp::{nrp_with_lambdas, NrpOptions, NrpResult, RIDGE_LAMBDAS};
use crate::metrics::registry::MetricParams;
use crate::metrics::splits::{self, Scheme, MIN_TEST_IMAGES};
use crate::sinks::{Keep, KeepShape};

pub(super) struct Nrp;

/// The ridge baseline's λ grid: the spec's `lambda` when it is not the
/// default `[1]` (one value is a fixed λ), else [`RIDGE_LAMBDAS`].
fn lambdas(p: &MetricParams) -> Vec<f64> {
    if p.lambda == MetricParams::default().lambda {
        RIDGE_LAMBDAS.to_vec()
    } else {
        p.lambda.clone()
    }
}

impl ExperimentMetric for Nrp {
    fn title(&self) -> &'static str {
        "NRP"
    }

    /// The splits and features regression's fields give, `lambda` as the
    /// ridge baseline's grid, and the MLP's grid (the quick one unless given).
    fn reads(&self) -> &'static [&'static str] {
        &[
            "lambda", "folds", "test_fraction", "projection_dim", "max_units", "seed", "splits", "hidden_sizes", "learning_rates", "max_epochs",
            "batch_size", "patience", "validation_fraction",
        ]
    }

    fn check(&self, p: &MetricParams) -> Result<()> {
        match lambdas(p).iter().find(|l| !(l.is_finite() && **l > 0.0)) {
            Some(l) => Err(Error::Spec(format!("nrp: every λ of the ridge baseline's grid (lambda) must be positive and finite, got {l}"))),
            None if p.lambda.is_empty() => Err(Error::Spec("nrp: lambda, the ridge baseline's λ grid, is empty".into())),
            None => Ok(()),
        }
    }

    fn min_test_images(&self) -> Option<usize> {
        Some(MIN_TEST_IMAGES)
    }

    fn keep(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
        mapped_features(role, units, p)
    }

    fn keep_shape(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<KeepShape>> {
        mapped_shape(role, units, p)
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        let (x, y) = match mapped_pair(self, "nrp", k, src, tgt)? {
            Ok(pair) => pair,
            Err(refusal) => return Some(Ok(refusal)),
        };
        // Random splits, the user's, or (too few images) K folds pooled: regression's rule.
        let run = || -> Result<NrpResult> {
            let plan = splits::plan(x.nrows(), p.folds, p.test_fraction, p.seed, p.splits.as_deref(), "nrp")?;
            let pooled = plan.scheme == Scheme::KFold;
            let mut r = nrp_with_lambdas(x, y, &plan.splits, &p.nrp_options(NrpOptions::quick()), &lambdas(p), pooled)?;
            r.warnings.extend(plan.warning);
            Ok(r)
        };
        Some(run().map(|r| Cell {
            value: Some(r.value),
            standard_error: split_error(&r),
            warnings: r.warnings.clone(),
            detail: vec![
                ("mlp_mae", Some(r.mae)),
                ("mlp_r2", Some(r.r2)),
                ("ridge_mae", Some(r.ridge_mae)),
                ("ridge_r2", Some(r.ridge_r2)),
            ],
            ..Default::default()
        }))
    }
}

/// The standard error over splits of the MLP's MAE (sd / √K); none when the
/// folds were pooled or there is one split.
fn split_error(r: &NrpResult) -> Option<f64> {
    let k = r.splits.len();
    (!r.pooled && k > 1).then(|| {
        let var = r.splits.iter().map(|s| (s.mae - r.mae).powi(2)).sum::<f64>() / (k - 1) as f64;
        (var / k as f64).sqrt()
    })
}
