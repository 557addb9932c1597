//! Soft matching (optimal transport between units): a distance.

use super::ExperimentMetric;
use crate::error::Result;
use crate::experiment::session::{Cell, LayerData, Role};
use crate::metrics::registry::MetricParams;
use crate::metrics::regression::target_units;
use crate::metrics::soft_matching::soft_matching;
use crate::sinks::Keep;

pub(super) struct SoftMatching;

impl ExperimentMetric for SoftMatching {
    fn title(&self) -> &'static str {
        "soft matching"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["max_units", "seed"]
    }

    /// Matching is between units: both sides keep the same seeded subset rule, no projection.
    fn keep(&self, _role: Role, units: usize, p: &MetricParams) -> Result<Option<Keep>> {
        Ok(Some(Keep::Units(target_units(units, p.max_units, p.seed))))
    }

    fn score(&self, k: usize, _p: &MetricParams, src: &LayerData, tgt: &LayerData) -> Option<Result<Cell>> {
        // Both sinks kept at most max_units units (the seeded subset of `target_units`).
        let (x, y) = (src.features.get(k)?.as_ref()?, tgt.features.get(k)?.as_ref()?);
        Some(soft_matching(x, y).map(|r| Cell::value(r.value)))
    }
}
