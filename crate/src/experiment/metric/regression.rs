//! Ridge regression from the source layer's projected features to the
//! target's seeded subset of units.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::projection::SparseProjection;
use crate::metrics::registry::MetricParams;
use crate::metrics::regression::{regression, target_units, RegressionOptions};
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

impl ExperimentMetric for Regression {
    fn title(&self) -> &'static str {
        "ridge regression"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["lambda", "folds", "test_fraction", "projection_dim", "max_units", "seed", "splits"]
    }

    fn keep(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
        mapped_features(role, units, p)
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
        // The sink already projected X and subsampled Y.
        let opts = RegressionOptions { projection_dim: x.ncols(), max_units: y.ncols(), ..p.regression_options() };
        Some(regression(x, y, &opts).map(|r| Cell::value(r.value)))
    }
}
