//! Ridge regression from the source layer's projected features to the
//! target's seeded subset of units.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::projection::SparseProjection;
use crate::metrics::registry::MetricParams;
use crate::metrics::regression::{regression, target_units, RegressionOptions};
use crate::metrics::splits::{too_few, MIN_TEST_IMAGES};
use crate::sinks::{Keep, KeepShape};
use nalgebra::DMatrix;

pub(super) struct Regression;

/// A mapping's features: the source's sparse random projection, the
/// target's seeded subset of units (the NRP maps the same ones).
pub(super) fn mapped_features(role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
    Ok(Some(match role {
        Role::Source => Keep::Projected(SparseProjection::new(units, p.projection_dim, p.seed)?),
        Role::Target => Keep::Units(target_units(units, p.max_units, p.seed)),
    }))
}

/// The shape of [`mapped_features`], without drawing the projection.
pub(super) fn mapped_shape(role: Role, units: usize, p: &MetricParams) -> Result<Option<KeepShape>> {
    Ok(Some(match role {
        Role::Source => KeepShape::Projected { units, dim: SparseProjection::output_dim_of(units, p.projection_dim)? },
        Role::Target => KeepShape::Units(target_units(units, p.max_units, p.seed).len()),
    }))
}

/// A mapping's two feature matrices of a layer pair (the sinks already
/// projected X and subsampled Y); or, when the stimuli are too few for a
/// held-out score (the rule of [`crate::metrics::splits::plan`]), a cell with
/// no value and the reason, said once per table rather than as one error per
/// layer pair. None when the metric does not apply to the pair.
pub(super) fn mapped_pair<'a>(
    m: &dyn ExperimentMetric,
    metric: &str,
    k: usize,
    src: &'a LayerData,
    tgt: &'a LayerData,
) -> Option<std::result::Result<(&'a DMatrix<f64>, &'a DMatrix<f64>), Cell>> {
    let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
    let n = x.nrows();
    Some(match m.min_test_images() {
        Some(min) if n < min => Err(Cell { warnings: too_few(n, metric).into_iter().collect(), ..Default::default() }),
        _ => Ok((x, y)),
    })
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

    fn keep_shape(&self, role: Role, units: usize, p: &MetricParams) -> Result<Option<KeepShape>> {
        mapped_shape(role, units, p)
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        let (x, y) = match mapped_pair(self, "regression", k, src, tgt)? {
            Ok(pair) => pair,
            Err(refusal) => return Some(Ok(refusal)),
        };
        let opts = RegressionOptions { projection_dim: x.ncols(), max_units: y.ncols(), ..p.regression_options() };
        // `detail.r2`: the held-out R² per unit (mean over splits), its median over units: ridge's
        // predictivity as the predictivity vs specificity analysis reads it (Thobani et al.).
        Some(regression(x, y, &opts).map(|r| Cell {
            value: Some(r.value),
            standard_error: r.standard_error,
            detail: vec![("r2", crate::metrics::soft_matching::median_of_defined(&r.unit_r2))],
            warnings: r.warnings,
            ..Default::default()
        }))
    }
}
