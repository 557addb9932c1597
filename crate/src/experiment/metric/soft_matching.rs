//! Soft matching (optimal transport between units): a distance, and, beside
//! it (the score table's `detail.r2`), the held-out R² of soft matching used
//! as a predictive model on the same splits as ridge regression with the same
//! `folds`, `test_fraction` and `seed` (Thobani et al.'s predictivity).

use super::ExperimentMetric;
use crate::error::{Error, Result};
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::registry::MetricParams;
use crate::metrics::regression::target_units;
use crate::metrics::soft_matching::{soft_matching, soft_matching_predictivity};
use crate::metrics::splits;
use crate::sinks::Keep;

/// The most units per side soft matching keeps in an experiment: the exact
/// transport solver takes at most `transport::MAX_CELLS` = 1000 x 1000 unit pairs.
pub(crate) const SOFT_MATCHING_MAX_UNITS: usize = 1000;

pub(super) struct SoftMatching;

impl ExperimentMetric for SoftMatching {
    fn title(&self) -> &'static str {
        "soft matching"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["max_units", "seed", "folds", "test_fraction", "splits"]
    }

    /// The exact transport solver takes at most `transport::MAX_CELLS` =
    /// [`SOFT_MATCHING_MAX_UNITS`]² unit pairs.
    fn check(&self, p: &MetricParams) -> Result<()> {
        let units = p.max_units;
        if units == 0 || units > SOFT_MATCHING_MAX_UNITS {
            return Err(Error::Spec(format!(
                "soft-matching compares a seeded subset of at most params.max_units units per layer on each side, \
                 and its exact solver takes at most {SOFT_MATCHING_MAX_UNITS} x {SOFT_MATCHING_MAX_UNITS}; \
                 set params.max_units between 1 and {SOFT_MATCHING_MAX_UNITS} (it is {units}{})",
                if units == MetricParams::default().max_units { ", the default" } else { "" }
            )));
        }
        Ok(())
    }

    /// Matching is between units: both sides keep the same seeded subset rule, no projection.
    fn keep(&self, _role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
        Ok(Some(Keep::Units(target_units(units, p.max_units, p.seed))))
    }

    fn score(&self, k: usize, p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        // Both sinks kept at most max_units units (the seeded subset of `target_units`).
        let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
        let distance = match soft_matching(x, y) {
            Ok(r) => r.value,
            Err(e) => return Some(Err(e)),
        };
        // Held-out R² on ridge's splits; too few images for a held-out score
        // leaves it undefined with the reason, the distance still stands.
        let mut warnings = Vec::new();
        let r2 = match splits::plan(x.nrows(), p.folds, p.test_fraction, p.seed, p.splits.as_deref(), "soft-matching predictivity") {
            Ok(plan) => {
                warnings.extend(plan.warning.clone());
                match soft_matching_predictivity(x, y, &plan) {
                    Ok(r) => Some(r.r2),
                    Err(e) => {
                        warnings.push(e.to_string());
                        None
                    }
                }
            }
            Err(e) => {
                warnings.push(e.to_string());
                None
            }
        };
        Some(Ok(Cell { value: Some(distance), detail: vec![("r2", r2)], warnings, ..Default::default() }))
    }
}
