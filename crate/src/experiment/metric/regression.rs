//! Ridge regression from the source layer's projected features to the
//! target's seeded subset of units.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::projection::SparseProjection;
use crate::metrics::registry::MetricParams;
use crate::metrics::regression::{regression, target_units, RegressionOptions};
use crate::metrics::splits::{too_few, MIN_TEST_IMAGES};
use crate::sinks::Keep;

pub(super) struct Regression;

/// A mapping's features: the source's sparse random projection, the
/// target's seeded subset of units (the NRP maps the same ones).
pub(super) fn mapped_features(role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
    Ok(Some(match role {
        Role::Source => Keep::Projected(SparseProjection::new(units, p.projection_dim, p.seed)?),
        Role::Target => Keep::Units(target_units(units, p.max_units, p.seed)),
    }))
}

/// A cell with no value and the reason, when `n` stimuli are too few for a
/// held-out score (the rule of [`crate::metrics::splits::plan`]): said once
/// per table rather than as one error per layer pair.
pub(super) fn refused(m: &dyn ExperimentMetric, n: usize, metric: &str) -> Option<Cell> {
    let min = m.min_test_images()?;
    (n < min).then(|| Cell { warnings: too_few(n, metric).into_iter().collect(), ..Default::default() })
}

impl ExperimentMetric for Regression {
    fn title(&self) -> &'static str {
        "ridge regression"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["lambda", "folds", "test_fraction", "projection_dim", "max_units", "seed", "splits"]
    }

    fn min_test_images(&self) -> Option<usize> {
        Some(MIN_TEST_IMAGES)
    }

    fn keep(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
        mapped_features(role, units, p)
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
        // The sink already projected X and subsampled Y.
        if let Some(cell) = refused(self, x.nrows(), "regression") {
            return Some(Ok(cell));
        }
        let opts = RegressionOptions { projection_dim: x.ncols(), max_units: y.ncols(), ..p.regression_options() };
        Some(regression(x, y, &opts).map(|r| Cell { value: Some(r.value), standard_error: r.standard_error, warnings: r.warnings, ..Default::default() }))
    }
}
